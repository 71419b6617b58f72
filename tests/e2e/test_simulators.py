"""The simulated OpenShift platform (tests/sim), observed only through the real API server.

Readiness of every Deployment/StatefulSet comes from the real controller-manager, scheduler and
kwok; the simulators only create objects and write the status of the kinds they own.
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.helpers import eventually
from tests.sim import kube as K
from tests.sim.config import config_map

pytestmark = pytest.mark.openshift

REPO = Path(__file__).resolve().parents[2]
OPS = "openshift-operators"
NODES = K.Res("", "v1", "nodes", "Node", False)


# ---------------------------------------------------------------------------------------------
# helpers

def kube_of(cluster) -> K.Kube:
    return K.Kube(cluster.api_client())


def ensure_ns(kube: K.Kube, name: str, labels: dict | None = None) -> None:
    if kube.get(K.NAMESPACES, name) is None:
        kube.create(K.NAMESPACES, {"metadata": {"name": name, "labels": labels or {}}})


def set_sim_config(kube: K.Kube, cfg: dict) -> None:
    ensure_ns(kube, "orch-sim")
    kube.apply(K.CONFIGMAPS, config_map(cfg), "test")


def subscribe(kube: K.Kube, package: str, namespace: str = OPS, *, channel: str | None = None,
              approval: str = "Automatic", starting_csv: str | None = None,
              name: str | None = None, operator_group: bool = True) -> dict:
    ensure_ns(kube, namespace)
    if operator_group and namespace != OPS and not kube.items(K.OPERATORGROUPS, namespace):
        kube.create(K.OPERATORGROUPS, {"metadata": {"name": f"{namespace}-og",
                                                    "namespace": namespace}, "spec": {}})
    spec = {"name": package, "source": "redhat-operators",
            "sourceNamespace": "openshift-marketplace", "installPlanApproval": approval}
    if channel:
        spec["channel"] = channel
    if starting_csv:
        spec["startingCSV"] = starting_csv
    return kube.create(K.SUBSCRIPTIONS, {"metadata": {"name": name or package,
                                                      "namespace": namespace}, "spec": spec})


def get(kube, res, name, ns=None):
    return kube.get(res, name, ns)


def csv_phase(kube, name, ns):
    csv = kube.get(K.CSVS, name, ns)
    return (csv or {}).get("status", {}).get("phase")


def describe_namespace(kube, ns, *res_names):
    """One line on what blocks a namespace's workloads: the named objects' status, each pod's phase
    and unmet conditions, and node taints (for a CI failure's summary line)."""
    def unmet(status):
        return " ".join(f"{c.get('type', c.get('phase'))}={c.get('status')}({c.get('reason', '')}: "
                        f"{c.get('message', '')})"
                        for c in (status.get("conditions") or [])[-3:] if c.get("status") != "True")

    parts = []
    for res, name in res_names:
        obj = kube.get(res, name, ns)
        st = (obj or {}).get("status") or {}
        parts.append(f"{res.kind} {name}: " + ("absent" if obj is None else
                                              f"{st.get('phase', '')} {st.get('reason', '')} "
                                              f"{st.get('message', '')} {unmet(st)}".strip()))
    for pod in kube.items(K.PODS, ns):
        st = pod.get("status") or {}
        parts.append(f"pod {pod['metadata']['name']} {st.get('phase')} {unmet(st)}".strip())
    for node in kube.items(NODES):
        taints = [t["key"] for t in node.get("spec", {}).get("taints") or []]
        if taints:
            parts.append(f"node {node['metadata']['name']} taints {taints}")
    return "; ".join(parts) or f"nothing in {ns}"


def wait_csv(kube, name, ns, phase="Succeeded", timeout=60):
    return eventually(lambda: csv_phase(kube, name, ns) == phase and kube.get(K.CSVS, name, ns),
                      timeout, what=f"CSV {ns}/{name} phase {phase}",
                      describe=lambda: describe_namespace(kube, ns, (K.CSVS, name)))


def wait_cond(kube, res, name, ns, ctype, status="True", timeout=90):
    def check():
        obj = kube.get(res, name, ns)
        c = K.get_condition(obj or {}, ctype)
        return obj if c and c.get("status") == status else None
    return eventually(check, timeout, interval=0.5,
                      what=f"{res.kind} {ns}/{name} condition {ctype}={status}",
                      describe=lambda: describe_namespace(kube, ns, (res, name)))


def wait_available(kube, name, ns, timeout=90):
    return eventually(lambda: K.deployment_available(kube.get(K.DEPLOYMENTS, name, ns)) and
                      kube.get(K.DEPLOYMENTS, name, ns), timeout, interval=0.5,
                      what=f"Deployment {ns}/{name} Available",
                      describe=lambda: describe_namespace(kube, ns, (K.DEPLOYMENTS, name)))


def pods_of(kube, dep_name, ns):
    return kube.items(K.PODS, ns, label_selector=f"app.kubernetes.io/name={dep_name}")


def events_for(kube, ns, name, reason=None):
    return [e for e in kube.items(K.EVENTS, ns)
            if e["involvedObject"].get("name") == name
            and (reason is None or e.get("reason") == reason)]


def gone(kube, res, name, ns=None):
    return kube.get(res, name, ns) is None


def install_orchestrator_operator(kube) -> None:
    """The documented manual install (reference §2.1), pinned to the Helm-based 1.4.0: the channel goes on to
    the Go operator (1.5.x/1.6.x), so Manual approval of the 1.4.0 plan only."""
    subscribe(kube, "orchestrator-operator", OPS, channel="stable", starting_csv="orchestrator-operator.v1.4.0",
              approval="Manual")
    ip = eventually(lambda: (kube.get(K.SUBSCRIPTIONS, "orchestrator-operator", OPS)
                             .get("status") or {}).get("installplan", {}).get("name"), 30, what="installplan")
    kube.patch(K.INSTALLPLANS, ip, {"spec": {"approved": True}}, OPS)
    wait_csv(kube, "orchestrator-operator.v1.4.0", OPS)
    wait_available(kube, "orchestrator-operator", OPS)


def backend_secret(kube, ns="rhdh-operator"):
    ensure_ns(kube, ns)
    kube.create(K.SECRETS, {"metadata": {"name": "backstage-backend-auth-secret",
                                         "namespace": ns},
                            "stringData": {"BACKEND_SECRET": "abcdefghijklmnopqrstuvw"}})


def postgres(kube, ns="sonataflow-infra", name="sonataflow-psql-postgresql") -> None:
    """A stand-in PostgreSQL (what orch or the docs' Bitnami chart would provide): a Deployment
    kwok runs and a Service whose EndpointSlice becomes ready through the real controllers."""
    ensure_ns(kube, ns)
    sel = {"app": name}
    kube.apply(K.DEPLOYMENTS, {"metadata": {"name": name, "namespace": ns}, "spec": {
        "replicas": 1, "selector": {"matchLabels": sel},
        "template": {"metadata": {"labels": sel}, "spec": {"containers": [{
            "name": "postgresql", "image": "docker.io/bitnami/postgresql:15",
            "ports": [{"containerPort": 5432}]}]}}}}, "test")
    kube.apply(K.SERVICES, {"metadata": {"name": name, "namespace": ns}, "spec": {
        "selector": sel, "ports": [{"name": "tcp-postgresql", "port": 5432}]}}, "test")


def orchestrator_cr(kube, spec: dict | None = None, name="orchestrator-sample", ns=OPS) -> dict:
    return kube.create(K.ORCHESTRATORS, {"metadata": {"name": name, "namespace": ns},
                                         "spec": spec or {}})


# ---------------------------------------------------------------------------------------------
# OLM

def test_package_manifests_for_every_catalog_package(openshift_cluster):
    from tests.sim.catalog import PACKAGES
    kube = kube_of(openshift_cluster)
    for pkg in PACKAGES:
        pm = eventually(lambda: kube.get(K.PACKAGEMANIFESTS, pkg, "openshift-marketplace"),
                        30, what=f"PackageManifest {pkg}")
        st = eventually(lambda: kube.get(K.PACKAGEMANIFESTS, pkg, "openshift-marketplace")
                        .get("status"), 30, what=f"PackageManifest {pkg} status")
        assert st["catalogSource"] == "redhat-operators"
        assert st["catalogSourceNamespace"] == "openshift-marketplace"
        assert st["defaultChannel"] in {c["name"] for c in st["channels"]}
        assert all(c["currentCSV"] for c in st["channels"])
        assert pm["metadata"]["labels"]["catalog"] == "redhat-operators"
    orch = kube.get(K.PACKAGEMANIFESTS, "orchestrator-operator", "openshift-marketplace")
    assert {c["name"]: c["currentCSV"] for c in orch["status"]["channels"]} == \
        {"stable": "orchestrator-operator.v1.6.1"}


def test_subscription_installs_the_orchestrator_operator(openshift_cluster):
    kube = kube_of(openshift_cluster)
    subscribe(kube, "orchestrator-operator", OPS, channel="stable")
    # what hack/wait_for_operator_installed.sh polls (reference §2.1)
    ip_name = eventually(lambda: (kube.get(K.SUBSCRIPTIONS, "orchestrator-operator", OPS)
                                  .get("status") or {}).get("installplan", {}).get("name"),
                         30, what="status.installplan.name")
    ip = wait_cond(kube, K.INSTALLPLANS, ip_name, OPS, "Installed")
    assert ip["spec"]["clusterServiceVersionNames"] == ["orchestrator-operator.v1.6.1"]
    assert ip["spec"]["approval"] == "Automatic" and ip["spec"]["approved"] is True
    assert ip["status"]["phase"] == "Complete"
    csv = wait_csv(kube, "orchestrator-operator.v1.6.1", OPS)
    phases = [c["phase"] for c in csv["status"]["conditions"]]
    firsts = sorted(set(phases), key=phases.index)
    assert firsts == ["Pending", "InstallReady", "Installing", "Succeeded"], phases
    assert phases[-1] == "Succeeded"
    # the operator Deployment is Available through controller-manager + kwok: a real Pod runs
    dep = wait_available(kube, "orchestrator-operator-controller-manager", OPS)
    assert dep["metadata"]["labels"]["olm.owner"] == "orchestrator-operator.v1.6.1"
    assert [c["name"] for c in dep["spec"]["template"]["spec"]["containers"]] == \
        ["kube-rbac-proxy", "manager"]
    pods = pods_of(kube, "orchestrator-operator-controller-manager", OPS)
    assert pods and pods[0]["status"]["phase"] == "Running" and pods[0]["spec"]["nodeName"]
    # the CSV's owned CRD: v1alpha3 for the Go operator (1.5/1.6)
    crd = kube.get(K.CRDS, "orchestrators.rhdh.redhat.com")
    assert [v["name"] for v in crd["spec"]["versions"]] == ["v1alpha3"]
    sub = eventually(lambda: (s := kube.get(K.SUBSCRIPTIONS, "orchestrator-operator", OPS))
                     ["status"].get("state") == "AtLatestKnown" and s, 30, what="AtLatestKnown")
    st = sub["status"]
    assert st["currentCSV"] == st["installedCSV"] == "orchestrator-operator.v1.6.1"
    # real OLM: status.installplan has no namespace (installPlanRef has)
    assert st["installplan"]["kind"] == "InstallPlan" and st["installplan"]["uuid"]
    assert st["installplan"]["apiVersion"] == "operators.coreos.com/v1alpha1"
    assert st["installPlanRef"]["namespace"] == OPS and st["installPlanRef"]["name"] == ip_name
    assert K.get_condition(sub, "CatalogSourcesUnhealthy")["status"] == "False"
    assert events_for(kube, OPS, "orchestrator-operator.v1.6.1", "InstallSucceeded")


def test_unknown_package_fails_resolution_without_installplan(openshift_cluster):
    kube = kube_of(openshift_cluster)
    subscribe(kube, "no-such-operator", "t-unknown", channel="stable")
    sub = wait_cond(kube, K.SUBSCRIPTIONS, "no-such-operator", "t-unknown", "ResolutionFailed")
    c = K.get_condition(sub, "ResolutionFailed")
    assert c["reason"] == "ConstraintsNotSatisfiable"
    assert c["message"].startswith("constraints not satisfiable: no operators found in package "
                                   "no-such-operator")
    assert "subscription no-such-operator" in c["message"]
    assert kube.items(K.INSTALLPLANS, "t-unknown") == []
    assert not (sub["status"].get("installplan") or {}).get("name")
    # real OLM records the Warning Event on the Namespace it resolves (so the Event lives in
    # `default`), not on the Subscription
    ev = eventually(lambda: [e for e in events_for(kube, "default", "t-unknown", "ResolutionFailed")
                             if e["involvedObject"].get("kind") == "Namespace"], 30,
                    what="ResolutionFailed event")
    assert ev[0]["type"] == "Warning" and "no-such-operator" in ev[0]["message"]


def test_manual_approval_waits_then_offers_unapproved_upgrade(openshift_cluster):
    kube = kube_of(openshift_cluster)
    ns = "t-manual"
    first, head = ("openshift-pipelines-operator-rh.v1.16.0",
                   "openshift-pipelines-operator-rh.v1.17.0")
    subscribe(kube, "openshift-pipelines-operator-rh", ns, channel="latest", approval="Manual",
              starting_csv=first)
    ip_name = eventually(lambda: (kube.get(K.SUBSCRIPTIONS, "openshift-pipelines-operator-rh",
                                           ns).get("status") or {}).get("installplan", {})
                         .get("name"), 30, what="installplan")
    ip = eventually(lambda: (p := kube.get(K.INSTALLPLANS, ip_name, ns)).get("status", {})
                    .get("phase") == "RequiresApproval" and p, 30, what="RequiresApproval")
    assert ip["spec"]["approved"] is False
    sub = wait_cond(kube, K.SUBSCRIPTIONS, "openshift-pipelines-operator-rh", ns, "InstallPlanPending")
    assert sub["status"]["state"] == "UpgradePending"
    assert K.get_condition(sub, "InstallPlanPending")["reason"] == "RequiresApproval"
    assert kube.get(K.CSVS, first, ns) is None  # nothing installs before approval
    kube.patch(K.INSTALLPLANS, ip_name, {"spec": {"approved": True}}, ns)
    wait_cond(kube, K.INSTALLPLANS, ip_name, ns, "Installed")
    wait_csv(kube, first, ns)
    # OLM then offers the channel head in a new, unapproved InstallPlan
    sub = eventually(lambda: (s := kube.get(K.SUBSCRIPTIONS, "openshift-pipelines-operator-rh",
                                            ns))["status"].get("currentCSV") == head and s,
                     30, what="upgrade offered")
    st = sub["status"]
    assert st["installedCSV"] == first and st["state"] == "UpgradePending"
    up = kube.get(K.INSTALLPLANS, st["installplan"]["name"], ns)
    assert up["metadata"]["name"] != ip_name
    assert up["spec"]["clusterServiceVersionNames"] == [head] and up["spec"]["approved"] is False
    eventually(lambda: kube.get(K.INSTALLPLANS, up["metadata"]["name"], ns)["status"]["phase"]
               == "RequiresApproval", 30, what="upgrade plan RequiresApproval")
    assert kube.get(K.CSVS, head, ns) is None
    assert csv_phase(kube, first, ns) == "Succeeded"
    # the tekton CRDs the CSV owns were installed
    assert kube.get(K.CRDS, "tasks.tekton.dev") and kube.get(K.CRDS, "pipelines.tekton.dev")


def test_automatic_approval_upgrades_past_starting_csv(openshift_cluster):
    """The real pitfall: startingCSV older than the channel head is upgraded right away."""
    kube = kube_of(openshift_cluster)
    ns = "t-auto"
    subscribe(kube, "openshift-gitops-operator", ns, channel="latest",
              starting_csv="openshift-gitops-operator.v1.14.0")
    sub = eventually(lambda: (s := kube.get(K.SUBSCRIPTIONS, "openshift-gitops-operator", ns))
                     .get("status", {}).get("installedCSV") == "openshift-gitops-operator.v1.15.0"
                     and s["status"].get("state") == "AtLatestKnown" and s, 60,
                     what="upgraded to the head")
    wait_csv(kube, "openshift-gitops-operator.v1.15.0", ns)
    eventually(lambda: gone(kube, K.CSVS, "openshift-gitops-operator.v1.14.0", ns), 30,
               what="replaced CSV deleted")
    plans = kube.items(K.INSTALLPLANS, ns)
    assert sorted(p["spec"]["clusterServiceVersionNames"][0] for p in plans) == [
        "openshift-gitops-operator.v1.14.0", "openshift-gitops-operator.v1.15.0"]
    dep = wait_available(kube, "openshift-gitops-operator-controller-manager", ns)
    assert dep["metadata"]["labels"]["olm.owner"] == "openshift-gitops-operator.v1.15.0"
    assert [r["name"] for r in dep["metadata"]["ownerReferences"]] == [
        "openshift-gitops-operator.v1.15.0"]
    assert sub["status"]["currentCSV"] == "openshift-gitops-operator.v1.15.0"


def test_install_without_operator_group_waits_until_one_exists(openshift_cluster):
    """Real OLM (unlike the old simulator, which made the CSV fail with NoOperatorGroup) does not
    resolve a namespace without an OperatorGroup at all: no InstallPlan, no CSV, nothing on the
    Subscription but its catalog health (the reason is only in the catalog-operator's log, "found
    0 operatorGroups, expected 1"). An OperatorGroup lets it install."""
    kube = kube_of(openshift_cluster)
    ns = "t-noog"
    subscribe(kube, "logic-operator-rhel8", ns, channel="alpha", operator_group=False,
              starting_csv="logic-operator-rhel8.v1.36.0")
    eventually(lambda: (kube.get(K.SUBSCRIPTIONS, "logic-operator-rhel8", ns).get("status") or {})
               .get("catalogHealth"), 30, what="the catalog-operator saw the Subscription")
    time.sleep(5)
    st = kube.get(K.SUBSCRIPTIONS, "logic-operator-rhel8", ns).get("status") or {}
    assert not st.get("installPlanRef") and not st.get("currentCSV") and not st.get("state"), st
    assert kube.items(K.INSTALLPLANS, ns) == []
    assert kube.get(K.CSVS, "logic-operator-rhel8.v1.36.0", ns) is None
    assert kube.get(K.DEPLOYMENTS, "logic-operator-rhel8-controller-manager", ns) is None
    kube.create(K.OPERATORGROUPS, {"metadata": {"name": "og", "namespace": ns},
                                   "spec": {"targetNamespaces": [ns]}})
    wait_csv(kube, "logic-operator-rhel8.v1.36.0", ns, timeout=120)
    wait_available(kube, "logic-operator-rhel8-controller-manager", ns)


def test_operator_install_faults_and_recovery(fresh_openshift_cluster):
    """Pod faults in the operators' CSV templates: real OLM rolls them out, the real scheduler /
    kwok stages report them and the CSVs stay Installing; clearing the config lets OLM converge."""
    c = fresh_openshift_cluster
    kube = kube_of(c)
    set_sim_config(kube, {"pod_faults": {"knative-openshift": "CrashLoopBackOff",
                                         "rhdh-operator": "ImagePullBackOff"},
                          "never_ready": ["logic-operator-rhel8-controller-manager"]})
    subscribe(kube, "serverless-operator", "openshift-serverless", channel="stable",
              starting_csv="serverless-operator.v1.36.0")
    subscribe(kube, "rhdh", "rhdh-operator", channel="fast-1.4")
    subscribe(kube, "logic-operator-rhel8", "openshift-serverless-logic", channel="alpha",
              starting_csv="logic-operator-rhel8.v1.36.0")
    subscribe(kube, "openshift-gitops-operator", OPS, channel="latest")

    def waiting(dep, ns, reason):
        for p in pods_of(kube, dep, ns):
            for cs in p.get("status", {}).get("containerStatuses") or []:
                if (cs.get("state", {}).get("waiting") or {}).get("reason") == reason:
                    return p
        return None
    p = eventually(lambda: waiting("knative-openshift", "openshift-serverless",
                                   "CrashLoopBackOff"), 60, what="CrashLoopBackOff pod")
    assert p["status"]["containerStatuses"][0]["restartCount"] > 0
    eventually(lambda: waiting("rhdh-operator", "rhdh-operator", "ImagePullBackOff"), 60,
               what="ImagePullBackOff pod")

    def unschedulable():
        for p in pods_of(kube, "logic-operator-rhel8-controller-manager",
                         "openshift-serverless-logic"):
            cond = next((x for x in p.get("status", {}).get("conditions") or []
                         if x["type"] == "PodScheduled"), None)
            if cond and cond["status"] == "False" and cond.get("reason") == "Unschedulable":
                return p
        return None
    eventually(unschedulable, 60, what="scheduler reports Unschedulable")
    for csv, ns in (("serverless-operator.v1.36.0", "openshift-serverless"),
                    ("rhdh-operator.v1.4.1", "rhdh-operator"),
                    ("logic-operator-rhel8.v1.36.0", "openshift-serverless-logic")):
        # real OLM goes Installing/InstallSucceeded ("waiting for install components to report
        # healthy") first, then Installing/InstallWaiting with the Deployment's state
        obj = eventually(lambda: (o := kube.get(K.CSVS, csv, ns)) and (o.get("status") or {}).get(
            "reason") == "InstallWaiting" and o, 90, what=f"CSV {csv} InstallWaiting")
        assert obj["status"]["phase"] == "Installing"
        assert "Deployment does not have minimum availability" in obj["status"]["message"]
    wait_csv(kube, "openshift-gitops-operator.v1.15.0", OPS)  # no fault: it succeeds meanwhile
    # still not ready a while later: readiness is never faked
    time.sleep(3)
    assert csv_phase(kube, "serverless-operator.v1.36.0", "openshift-serverless") == "Installing"
    assert not K.deployment_available(kube.get(K.DEPLOYMENTS, "knative-openshift",
                                               "openshift-serverless"))
    # a test changes the configuration while the simulators run
    set_sim_config(kube, {})
    wait_csv(kube, "serverless-operator.v1.36.0", "openshift-serverless")
    wait_csv(kube, "rhdh-operator.v1.4.1", "rhdh-operator")
    wait_csv(kube, "logic-operator-rhel8.v1.36.0", "openshift-serverless-logic")
    wait_csv(kube, "openshift-gitops-operator.v1.15.0", OPS)


# ---------------------------------------------------------------------------------------------
# Orchestrator operator (Helm-based, 1.4) and its operands

def _wait_list(notes: str) -> list[str]:
    part = notes.split("Run the following commands to wait until the services are ready:\n")[1]
    return [line.strip() for line in part.splitlines() if line.strip()]


def _check_wait_line(kube: K.Kube, line: str) -> bool:
    """Evaluate one `oc wait`/`oc get` line of the NOTES against the API."""
    if line.startswith("oc get networkpolicy"):
        ns = line.split("-n ")[1].strip()
        return bool(kube.items(K.NETWORKPOLICIES, ns))
    m = re.match(r"oc wait -n (\S+) (\S+?)(?:/| )(\S+) --for=condition=(\w+)(?:=True)?", line)
    assert m, line
    ns, kind, name, cond = m.groups()
    res = {"deploy": K.DEPLOYMENTS, "knativeeventing": K.KNATIVEEVENTINGS,
           "knativeserving": K.KNATIVESERVINGS, "sonataflowplatform": K.SONATAFLOWPLATFORMS,
           "backstage": K.BACKSTAGES, "pod": K.PODS}[kind]
    return K.condition_true(kube.get(res, name, ns) or {}, cond)


def test_orchestrator_install_operands_restore_and_uninstall(fresh_openshift_cluster):
    kube = kube_of(fresh_openshift_cluster)
    install_orchestrator_operator(kube)
    ensure_ns(kube, "rhdh-operator")
    postgres(kube)
    cr = orchestrator_cr(kube)
    # without backstage-backend-auth-secret the chart fails to render
    cr = wait_cond(kube, K.ORCHESTRATORS, "orchestrator-sample", OPS, "ReleaseFailed")
    rf = K.get_condition(cr, "ReleaseFailed")
    assert rf["reason"] == "InstallError"
    assert rf["message"].startswith("failed to install release: execution error at "
                                    "(orchestrator/templates/rhdh-operator.yaml")
    assert "backstage-backend-auth-secret" in rf["message"]
    assert K.get_condition(cr, "Initialized")["status"] == "True"
    assert cr["metadata"]["finalizers"] == ["helm.sdk.operatorframework.io/uninstall-release"]
    assert kube.get(K.NAMESPACES, "openshift-serverless") is None
    # the secret appears: the operator re-reconciles and deploys
    backend_secret(kube)
    cr = wait_cond(kube, K.ORCHESTRATORS, "orchestrator-sample", OPS, "Deployed", timeout=30)
    deployed = K.get_condition(cr, "Deployed")
    assert deployed["reason"] == "InstallSuccessful"
    assert K.get_condition(cr, "ReleaseFailed") is None
    assert cr["status"]["conditions"][-1]["type"] == "Deployed"  # printer column Ready
    waits = _wait_list(deployed["message"])
    assert waits[0] == ("oc wait -n openshift-serverless deploy/knative-openshift "
                        "--for=condition=Available --timeout=5m")
    assert "oc wait -n rhdh-operator backstage backstage --for=condition=Deployed=True" in waits
    assert waits[-1] == "oc get networkpolicy -n sonataflow-infra"
    # every line of the wait list eventually holds on the simulated platform
    for line in waits:
        eventually(lambda: _check_wait_line(kube, line), 120, interval=0.5, what=line)
    # what the chart created
    for ns in ("openshift-serverless", "knative-serving", "knative-eventing",
               "openshift-serverless-logic"):
        assert kube.get(K.NAMESPACES, ns)
    for sub, ns in (("serverless-operator", "openshift-serverless"),
                    ("logic-operator-rhel8", "openshift-serverless-logic"),
                    ("rhdh", "rhdh-operator")):
        s = kube.get(K.SUBSCRIPTIONS, sub, ns)
        assert s["metadata"]["annotations"]["meta.helm.sh/release-name"] == "orchestrator-sample"
    osl = kube.get(K.SUBSCRIPTIONS, "logic-operator-rhel8", "openshift-serverless-logic")
    assert osl["spec"]["startingCSV"] == "logic-operator-rhel8.v1.35.0"
    # serverless: Automatic + startingCSV v1.35.0 -> OLM moves on to the channel head
    eventually(lambda: kube.get(K.SUBSCRIPTIONS, "serverless-operator", "openshift-serverless")
               ["status"].get("installedCSV") == "serverless-operator.v1.36.0", 60,
               what="serverless upgraded past startingCSV")
    sfcp = kube.get(K.SONATAFLOWCLUSTERPLATFORMS, "cluster-platform")
    assert sfcp["spec"]["platformRef"] == {"name": "sonataflow-platform",
                                           "namespace": "sonataflow-infra"}
    sfp = kube.get(K.SONATAFLOWPLATFORMS, "sonataflow-platform", "sonataflow-infra")
    assert sfp["spec"]["persistence"]["postgresql"]["serviceRef"]["name"] == \
        "sonataflow-psql-postgresql"
    for svc in ("sonataflow-platform-data-index-service", "sonataflow-platform-jobs-service"):
        assert kube.get(K.SERVICES, svc, "sonataflow-infra")
    nps = {n["metadata"]["name"]: n for n in kube.items(K.NETWORKPOLICIES, "sonataflow-infra")}
    assert set(nps) == {"allow-rhdh-to-sonataflow-and-workflows", "allow-intra-namespace",
                        "allow-monitoring-to-sonataflow-and-workflows"}
    froms = nps["allow-rhdh-to-sonataflow-and-workflows"]["spec"]["ingress"][0]["from"]
    assert {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name":
                                                  "rhdh-operator"}}} in froms
    crons = {c["metadata"]["name"]: c for c in kube.items(
        K.CRONJOBS, OPS, label_selector="orchestrator.rhdh.redhat.com/reconciles")}
    assert "hestrator-sample-sonataflowclusterplatform-reconcile" in crons
    assert crons["orchestrator-sample-knativeserving-reconcile"]["metadata"]["labels"][
        "orchestrator.rhdh.redhat.com/reconciles"] == "knativeservings.operator.knative.dev"
    route = kube.get(K.ROUTES, "backstage-backstage", "rhdh-operator")
    host = "backstage-backstage-rhdh-operator.apps.orch.local"
    assert route["spec"]["host"] == host
    assert route["status"]["ingress"][0]["host"] == host
    # a helm operator keeps its operands: a deleted KnativeServing comes back
    old_uid = kube.get(K.KNATIVESERVINGS, "knative-serving", "knative-serving")["metadata"]["uid"]
    kube.delete(K.KNATIVESERVINGS, "knative-serving", "knative-serving")
    eventually(lambda: (o := kube.get(K.KNATIVESERVINGS, "knative-serving", "knative-serving"))
               and o["metadata"]["uid"] != old_uid, 60, what="KnativeServing restored")
    wait_cond(kube, K.KNATIVESERVINGS, "knative-serving", "knative-serving", "Ready")
    # uninstall: the CR's finalizer removes the operands, then the CR goes
    kube.delete(K.ORCHESTRATORS, "orchestrator-sample", OPS)
    eventually(lambda: gone(kube, K.ORCHESTRATORS, "orchestrator-sample", OPS), 90,
               what="Orchestrator CR deleted")
    for res, name, ns in ((K.BACKSTAGES, "backstage", "rhdh-operator"),
                          (K.SONATAFLOWPLATFORMS, "sonataflow-platform", "sonataflow-infra"),
                          (K.SONATAFLOWCLUSTERPLATFORMS, "cluster-platform", None),
                          (K.SUBSCRIPTIONS, "rhdh", "rhdh-operator"),
                          (K.NETWORKPOLICIES, "allow-intra-namespace", "sonataflow-infra")):
        assert gone(kube, res, name, ns), (res.kind, name)
    assert kube.get(K.NAMESPACES, "rhdh-operator")  # never the chart's to delete
    assert kube.items(K.CRONJOBS, OPS) == []


def test_operator_removal_leaves_crs_stuck_and_rhdh_disabled(fresh_openshift_cluster):
    kube = kube_of(fresh_openshift_cluster)
    install_orchestrator_operator(kube)
    postgres(kube)
    orchestrator_cr(kube, {"rhdhOperator": {"enabled": False},
                           "networkPolicy": {"rhdhNamespace": "existing-rhdh"}})
    cr = wait_cond(kube, K.ORCHESTRATORS, "orchestrator-sample", OPS, "Deployed", timeout=60)
    notes = K.get_condition(cr, "Deployed")["message"]
    assert "backstage" not in " ".join(_wait_list(notes))
    np = eventually(lambda: kube.get(K.NETWORKPOLICIES, "allow-rhdh-to-sonataflow-and-workflows",
                                     "sonataflow-infra"), 30, what="NetworkPolicy")
    assert np["spec"]["ingress"][0]["from"][0]["namespaceSelector"]["matchLabels"] == \
        {"kubernetes.io/metadata.name": "existing-rhdh"}
    assert kube.get(K.SUBSCRIPTIONS, "rhdh", "rhdh-operator") is None
    assert kube.get(K.NAMESPACES, "rhdh-operator") is None
    # a workflow gets the OSL finalizer, a Deployment and Running=True
    wait_available(kube, "logic-operator-rhel8-controller-manager", "openshift-serverless-logic")
    kube.create(K.SONATAFLOWS, {"metadata": {"name": "greeting", "namespace": "sonataflow-infra"},
                                "spec": {"flow": {"start": "Greet"}}})
    wf = wait_cond(kube, K.SONATAFLOWS, "greeting", "sonataflow-infra", "Running")
    assert wf["metadata"]["finalizers"] == ["sonataflow.org/trigger-protection"]
    wait_available(kube, "greeting", "sonataflow-infra")
    kube.create(K.SONATAFLOWS, {"metadata": {"name": "bye", "namespace": "sonataflow-infra"},
                                "spec": {}})
    wait_cond(kube, K.SONATAFLOWS, "bye", "sonataflow-infra", "Running")
    # deleting a workflow while the OSL operator runs completes
    kube.delete(K.SONATAFLOWS, "bye", "sonataflow-infra")
    eventually(lambda: gone(kube, K.SONATAFLOWS, "bye", "sonataflow-infra"), 30,
               what="workflow deleted")
    # remove the operators first (the documented cleanup order's mistake): Subscription, then
    # CSV (real OLM re-installs a deleted CSV while its Subscription exists)
    kube.delete(K.SUBSCRIPTIONS, "orchestrator-operator", OPS)
    kube.delete(K.CSVS, "orchestrator-operator.v1.4.0", OPS)
    eventually(lambda: gone(kube, K.DEPLOYMENTS, "orchestrator-operator", OPS), 60,
               what="operator Deployment garbage-collected")
    # (only now: a running Orchestrator operator re-applies the Subscriptions it made, and it
    # may still be finishing a reconcile: remove the OSL operator until it stays removed)
    def osl_removed():
        subs = kube.items(K.SUBSCRIPTIONS, "openshift-serverless-logic")
        csvs = kube.items(K.CSVS, "openshift-serverless-logic", label_selector="!olm.copiedFrom")
        for sub in subs:
            kube.delete(K.SUBSCRIPTIONS, sub["metadata"]["name"], "openshift-serverless-logic")
        for csv in csvs:  # (the one installed first may have been upgraded meanwhile)
            kube.delete(K.CSVS, csv["metadata"]["name"], "openshift-serverless-logic")
        time.sleep(2)
        return not subs and not csvs
    eventually(osl_removed, 60, what="OSL Subscription and CSV stay deleted")
    eventually(lambda: gone(kube, K.DEPLOYMENTS, "logic-operator-rhel8-controller-manager",
                            "openshift-serverless-logic"), 60, what="OSL Deployment GC")
    kube.delete(K.ORCHESTRATORS, "orchestrator-sample", OPS)
    kube.delete(K.SONATAFLOWS, "greeting", "sonataflow-infra")
    deadline = time.monotonic() + 8  # nothing may remove the finalizers: observe for a while
    while time.monotonic() < deadline:
        cr = kube.get(K.ORCHESTRATORS, "orchestrator-sample", OPS)
        wf = kube.get(K.SONATAFLOWS, "greeting", "sonataflow-infra")
        assert cr["metadata"]["deletionTimestamp"] and cr["metadata"]["finalizers"] == [
            "helm.sdk.operatorframework.io/uninstall-release"]
        assert wf["metadata"]["deletionTimestamp"] and wf["metadata"]["finalizers"] == [
            "sonataflow.org/trigger-protection"]
        time.sleep(0.5)
    assert kube.get(K.SONATAFLOWPLATFORMS, "sonataflow-platform", "sonataflow-infra")


def test_platform_services_wait_for_postgres(fresh_openshift_cluster):
    """data-index/jobs-service crash-loop until the platform's PostgreSQL is reachable."""
    kube = kube_of(fresh_openshift_cluster)
    subscribe(kube, "logic-operator-rhel8", "openshift-serverless-logic", channel="alpha",
              starting_csv="logic-operator-rhel8.v1.36.0")  # the channel head: no upgrade follows
    wait_csv(kube, "logic-operator-rhel8.v1.36.0", "openshift-serverless-logic")
    ensure_ns(kube, "wf")
    kube.create(K.SONATAFLOWPLATFORMS, {"metadata": {"name": "sonataflow-platform",
                                                     "namespace": "wf"},
                                        "spec": {"persistence": {"postgresql": {
                                            "serviceRef": {"name": "db", "namespace": "wf"},
                                            "secretRef": {"name": "db"}}}}})

    def crashing(dep):
        return any((cs.get("state", {}).get("waiting") or {}).get("reason") == "CrashLoopBackOff"
                   for p in pods_of(kube, dep, "wf")
                   for cs in p.get("status", {}).get("containerStatuses") or [])
    eventually(lambda: crashing("sonataflow-platform-data-index-service") and
               crashing("sonataflow-platform-jobs-service"), 60, what="services crash-loop",
               describe=lambda: describe_namespace(kube, "wf"))
    sfp = wait_cond(kube, K.SONATAFLOWPLATFORMS, "sonataflow-platform", "wf", "Succeed", "False")
    assert "PostgreSQL service wf/db has no ready endpoint" in \
        K.get_condition(sfp, "Succeed")["message"]
    postgres(kube, "wf", "db")
    wait_cond(kube, K.SONATAFLOWPLATFORMS, "sonataflow-platform", "wf", "Succeed", timeout=90)
    for dep in ("sonataflow-platform-data-index-service", "sonataflow-platform-jobs-service"):
        assert K.deployment_rolled_out(kube.get(K.DEPLOYMENTS, dep, "wf"))


def test_knative_delay_never_ready_and_finalizer(fresh_openshift_cluster):
    kube = kube_of(fresh_openshift_cluster)
    set_sim_config(kube, {"delay_seconds": {"knativeserving": 4},
                          "never_ready": ["knativeeventing"]})
    subscribe(kube, "serverless-operator", "openshift-serverless", channel="stable")
    wait_csv(kube, "serverless-operator.v1.36.0", "openshift-serverless")
    ensure_ns(kube, "knative-serving")
    ensure_ns(kube, "knative-eventing")
    ks = kube.create(K.KNATIVESERVINGS, {"metadata": {"name": "knative-serving",
                                                      "namespace": "knative-serving"}})
    kube.create(K.KNATIVEEVENTINGS, {"metadata": {"name": "knative-eventing",
                                                  "namespace": "knative-eventing"}})
    t0 = time.monotonic()
    ks = wait_cond(kube, K.KNATIVESERVINGS, "knative-serving", "knative-serving", "Ready",
                   "False", timeout=10)
    assert ks["metadata"]["finalizers"] == ["knativeservings.operator.knative.dev"]
    wait_cond(kube, K.KNATIVESERVINGS, "knative-serving", "knative-serving", "Ready",
              timeout=20)
    assert time.monotonic() - t0 >= 2.5  # the configured delay (4 s from creation)
    ke = wait_cond(kube, K.KNATIVEEVENTINGS, "knative-eventing", "knative-eventing", "Ready",
                   "False", timeout=10)
    assert "Waiting on deployments" in K.get_condition(ke, "Ready")["message"]
    time.sleep(2)
    assert not K.condition_true(kube.get(K.KNATIVEEVENTINGS, "knative-eventing",
                                         "knative-eventing"), "Ready")
    set_sim_config(kube, {})
    wait_cond(kube, K.KNATIVEEVENTINGS, "knative-eventing", "knative-eventing", "Ready",
              timeout=20)
    kube.delete(K.KNATIVESERVINGS, "knative-serving", "knative-serving")
    eventually(lambda: gone(kube, K.KNATIVESERVINGS, "knative-serving", "knative-serving"), 30,
               what="KnativeServing finalized by the operator")


def test_simulators_survive_apiserver_restart(fresh_openshift_cluster):
    c = fresh_openshift_cluster
    kube = kube_of(c)
    subscribe(kube, "rhdh", "rhdh-operator", channel="fast-1.3")
    wait_csv(kube, "rhdh-operator.v1.3.1", "rhdh-operator")
    c.restart_apiserver()
    kube = kube_of(c)
    # watches resume: new objects after the restart are still handled
    subscribe(kube, "logic-operator-rhel8", "openshift-serverless-logic", channel="alpha",
              starting_csv="logic-operator-rhel8.v1.36.0")
    wait_csv(kube, "logic-operator-rhel8.v1.36.0", "openshift-serverless-logic", timeout=90)
    ensure_ns(kube, "team-rhdh")
    kube.create(K.BACKSTAGES, {"metadata": {"name": "dev", "namespace": "team-rhdh"},
                               "spec": {}})
    wait_cond(kube, K.BACKSTAGES, "dev", "team-rhdh", "Deployed", timeout=90)
    route = kube.get(K.ROUTES, "backstage-dev", "team-rhdh")
    assert route["status"]["ingress"][0]["host"] == "backstage-dev-team-rhdh.apps.orch.local"
    wait_available(kube, "backstage-dev", "team-rhdh")
    assert "Traceback" not in (c.log_dir / "simulators.log").read_text()


def test_gitops_crds_helper_and_log_file(openshift_cluster, tmp_path):
    from tests.sim.olm import install_gitops_crds
    kube = kube_of(openshift_cluster)
    names = install_gitops_crds(kube)
    assert set(names) == {"appprojects.argoproj.io", "argocds.argoproj.io", "tasks.tekton.dev",
                          "pipelines.tekton.dev"}
    for n in names:
        eventually(lambda: K.condition_true(kube.get(K.CRDS, n), "Established"), 30, what=n)
    log = (openshift_cluster.log_dir / "simulators.log").read_text()
    assert "published PackageManifest orchestrator-operator" in log  # one line per action


def test_sim_process_stops_cleanly_on_sigterm(cluster, tmp_path):
    """`python -m tests.sim` runs until SIGTERM and exits 0 (here against a vanilla cluster,
    where the OLM APIs do not exist: it must wait for them, not crash)."""
    log = tmp_path / "sim.log"
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.Popen([sys.executable, "-m", "tests.sim", "--kubeconfig",
                             str(cluster.kubeconfig), "--log-file", str(log)], env=env, cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        eventually(lambda: log.exists() and "simulators running" in log.read_text(), 30,
                   what="simulators started")
        assert proc.poll() is None
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = log.read_text()
    assert "stopped" in text and "Traceback" not in text


def test_orchestrator_1_3_serves_v1alpha1(fresh_openshift_cluster):
    kube = kube_of(fresh_openshift_cluster)
    subscribe(kube, "orchestrator-operator", OPS, channel="stable",
              starting_csv="orchestrator-operator.v1.3.1", approval="Manual")
    ip = eventually(lambda: (kube.get(K.SUBSCRIPTIONS, "orchestrator-operator", OPS)
                             .get("status") or {}).get("installplan", {}).get("name"), 30,
                    what="installplan")
    kube.patch(K.INSTALLPLANS, ip, {"spec": {"approved": True}}, OPS)
    wait_csv(kube, "orchestrator-operator.v1.3.1", OPS)
    wait_available(kube, "orchestrator-operator", OPS)
    crd = kube.get(K.CRDS, "orchestrators.rhdh.redhat.com")
    assert [v["name"] for v in crd["spec"]["versions"]] == ["v1alpha1"]
    backend_secret(kube)
    ensure_ns(kube, "sonataflow-infra")
    v1 = K.ORCHESTRATORS.with_version("v1alpha1")
    eventually(lambda: kube.items(v1, OPS) is not None and
               kube.create(v1, {"metadata": {"name": "orchestrator-sample", "namespace": OPS},
                                "spec": {}}), 30, what="create v1alpha1 CR")
    cr = wait_cond(kube, v1, "orchestrator-sample", OPS, "Deployed", timeout=60)
    # CRD defaults of 1.3 (reference §3.1 v1alpha1)
    assert cr["spec"]["sonataFlowOperator"]["subscription"]["startingCSV"] == \
        "logic-operator-rhel8.v1.34.0"
    assert cr["spec"]["rhdhOperator"]["subscription"]["channel"] == "fast-1.3"
    sub = eventually(lambda: kube.get(K.SUBSCRIPTIONS, "rhdh", "rhdh-operator"), 30,
                     what="rhdh subscription")
    assert sub["spec"]["channel"] == "fast-1.3"
    nps = {n["metadata"]["name"] for n in kube.items(K.NETWORKPOLICIES, "sonataflow-infra")}
    assert "allow-monitoring-to-sonataflow-and-workflows" not in nps
    manifest = [d for d in yaml.safe_load_all(cr["status"]["deployedRelease"]["manifest"]) if d]
    assert {"Subscription", "NetworkPolicy", "SonataFlowPlatform"} <= {d["kind"] for d in manifest}
