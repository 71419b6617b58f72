"""Day 2 against the real control plane with the simulated OpenShift platform (issue 5 acceptance).

orch runs as a subprocess; its requests are told apart from the simulators' in the apiserver audit
log by its User-Agent (orch/<version>). Objects the test makes are applied with the harness's own
field manager, so they look like a user's, not orch's.
"""

from __future__ import annotations

import json
import time

import pytest

from tests.cluster.audit import AuditLog
from tests.helpers import eventually
from tests.helpers import run_orch as orch
from tests.helpers import set_sim_config
from tests.json_schemas import validate

pytestmark = [pytest.mark.cluster, pytest.mark.openshift]

REVIEWS = {"selfsubjectrulesreviews", "selfsubjectaccessreviews"}
SF_API = "sonataflow.org/v1alpha08"
LEASE = "leases"  # the install lock: taken and released around writes


def orch_json(cluster, *args, code=0, timeout=300):
    res = orch(cluster, *args, "-o", "json", timeout=timeout)
    assert res.returncode == code, f"exit {res.returncode}\n{res.stdout}\n{res.stderr}"
    return validate(args, res.stdout)  # every JSON output read here matches its docs/json-schemas schema


def orch_writes(log: AuditLog, mark: int) -> list:
    return [e for e in log.events(since=mark, user_agent_prefix="orch/") if e.is_write and e.resource not in REVIEWS]


class Api:
    """Reads and user-style writes through the dynamic client (field manager of the harness)."""

    def __init__(self, cluster):
        from kubernetes import dynamic

        self.cluster = cluster
        self.dyn = dynamic.DynamicClient(cluster.api_client())

    def res(self, api_version, kind):
        return self.dyn.resources.get(api_version=api_version, kind=kind)

    def get(self, api_version, kind, name, namespace=None):
        from kubernetes.dynamic.exceptions import NotFoundError

        try:
            return self.res(api_version, kind).get(name=name, namespace=namespace).to_dict()
        except NotFoundError:
            return None

    def list(self, api_version, kind, namespace=None, label_selector=None):
        return [i.to_dict() for i in self.res(api_version, kind).get(namespace=namespace,
                                                                      label_selector=label_selector).items]

    def delete(self, api_version, kind, name, namespace=None):
        self.res(api_version, kind).delete(name=name, namespace=namespace)

    def apply(self, *docs):
        self.cluster.apply_manifests(list(docs))

    def sim_config(self, config: dict):
        set_sim_config(self.cluster, config)

    def namespaces(self) -> dict[str, dict]:
        return {n["metadata"]["name"]: n for n in self.list("v1", "Namespace")}

    def orch_labelled(self) -> list[str]:
        out = []
        for api, kind in (("v1", "Secret"), ("v1", "ServiceAccount"), ("v1", "Service"), ("v1", "ConfigMap"),
                          ("apps/v1", "StatefulSet"), ("networking.k8s.io/v1", "NetworkPolicy"),
                          ("rbac.authorization.k8s.io/v1", "ClusterRole"),
                          ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
                          ("operators.coreos.com/v1alpha1", "Subscription"),
                          ("rhdh.redhat.com/v1alpha1", "Orchestrator")):
            for o in self.list(api, kind, label_selector="app.kubernetes.io/managed-by=orch"):
                out.append(f"{kind} {o['metadata'].get('namespace', '')}/{o['metadata']['name']}")
        return out


def workflow(name, namespace):
    return {"apiVersion": SF_API, "kind": "SonataFlow", "metadata": {"name": name, "namespace": namespace},
            "spec": {"flow": {"start": "hello", "states": []},
                     "persistence": {"postgresql": {
                         "secretRef": {"name": "sonataflow-psql-postgresql", "userKey": "postgres-username",
                                       "passwordKey": "postgres-password"},
                         "serviceRef": {"name": "sonataflow-psql-postgresql", "port": 5432,
                                        "databaseName": "sonataflow", "databaseSchema": name}}}}}


def meta(ns: dict) -> dict:
    md = ns["metadata"]
    return {"labels": md.get("labels") or {}, "annotations": md.get("annotations") or {}}


def test_day2_add_namespace_status_cleanup(fresh_openshift_cluster):
    cluster = fresh_openshift_cluster
    api = Api(cluster)
    log = AuditLog(cluster.audit_log)

    # A namespace that exists before orch (a team's), and an unrelated one carrying its own labels —
    # even the workflow-namespace label and a foreign managed-by.
    api.apply({"apiVersion": "v1", "kind": "Namespace",
               "metadata": {"name": "team-a", "labels": {"team": "a"}, "annotations": {"owner": "team-a"}}},
              {"apiVersion": "v1", "kind": "Namespace",
               "metadata": {"name": "unrelated", "labels": {"team": "b", "rhdh.redhat.com/workflow-namespace": "",
                                                           "app.kubernetes.io/managed-by": "someone-else"}}})
    team_a_before = meta(api.get("v1", "Namespace", "team-a"))
    unrelated_before = api.get("v1", "Namespace", "unrelated")["metadata"]
    namespaces_before = set(api.namespaces())

    res = orch(cluster, "install", "--use-default", "-o", "plain", "--timeout", "120")
    assert res.returncode == 0, res.stdout + res.stderr
    api.apply(workflow("greeting", "team-a"))  # deployed before the namespace was enabled

    # -- add-namespace: dry run writes nothing; the real run patches the workflow ----------------------
    mark = log.mark()
    plan = orch_json(cluster, "workflow", "add-namespace", "team-a", "--dry-run")
    assert plan["summary"]["dry_run"] and plan["summary"]["namespaces"][0]["patched_workflows"] == ["greeting"]
    assert orch_writes(log, mark) == []

    first = orch_json(cluster, "workflow", "add-namespace", "team-a")
    assert first["summary"]["changed"] and first["summary"]["namespaces"][0]["patched_workflows"] == ["greeting"]
    sf = api.get(SF_API, "SonataFlow", "greeting", "team-a")
    assert sf["spec"]["persistence"]["postgresql"]["serviceRef"]["namespace"] == "sonataflow-infra"
    source = api.get("v1", "Secret", "sonataflow-psql-postgresql", "sonataflow-infra")
    copy = api.get("v1", "Secret", "sonataflow-psql-postgresql", "team-a")
    assert copy["data"] == source["data"] and copy["metadata"]["uid"] != source["metadata"]["uid"]
    policies = {p["metadata"]["name"] for p in api.list("networking.k8s.io/v1", "NetworkPolicy", "team-a")}
    assert policies == {"allow-rhdh-to-sonataflow-and-workflows", "allow-intra-namespace"}
    assert api.get("networking.k8s.io/v1", "NetworkPolicy", "allow-workflows-from-team-a", "sonataflow-infra")
    operator_policy = api.get("networking.k8s.io/v1", "NetworkPolicy", "allow-rhdh-to-sonataflow-and-workflows",
                              "sonataflow-infra")
    assert "team-a" not in json.dumps(operator_policy["spec"])  # the operator's own policy is never patched
    assert "rhdh.redhat.com/workflow-namespace" in api.get("v1", "Namespace", "team-a")["metadata"]["labels"]

    # second run: nothing changes, not a single write request
    mark = log.mark()
    second = orch_json(cluster, "workflow", "add-namespace", "team-a")
    assert not second["summary"]["changed"]
    assert {s["action"] for s in second["steps"][0]["changes"]} <= {"unchanged"}
    assert orch_writes(log, mark) == []

    orch_json(cluster, "workflow", "add-namespace", "wf-new")  # a namespace orch creates
    assert api.get("v1", "Namespace", "wf-new")["metadata"]["annotations"][
        "orch.rhdhorchestrator.io/created-namespace"] == "true"
    eventually(lambda: any(c["type"] == "Running" and c["status"] == "True" for c in
                           (api.get(SF_API, "SonataFlow", "greeting", "team-a").get("status") or {})
                           .get("conditions") or []), 60, what="workflow greeting Running")

    # -- status: healthy, exit 0; list-namespaces complete; `orch check` is the same -------------------
    # (once real OLM has rolled out the Automatic upgrade of the operator the 1.3 chart subscribes)
    eventually(lambda: orch(cluster, "status", "-o", "json").returncode == 0, 90, what="orch status healthy")
    status = orch_json(cluster, "status")
    s = status["summary"]
    assert status["success"] and s["healthy"], [c for c in status["checks"] if c["status"] != "ok"]
    assert s["backstage_url"] == "https://backstage-backstage-rhdh-operator.apps.orch.local"
    assert s["version"] == "1.3" and s["postgres"]["deployed_by_orch"]
    # `unrelated` carries the workflow-namespace label but nothing else: listed incomplete, a warning only
    assert {n["namespace"]: n["complete"] for n in s["namespaces"]} == \
        {"sonataflow-infra": True, "team-a": True, "wf-new": True, "unrelated": False}
    assert s["warnings"] == ["namespace/unrelated"]
    assert [(w["namespace"], w["name"]) for w in s["workflows"]] == [("team-a", "greeting")]
    ids = {c["id"] for c in status["checks"]}
    assert {"data-index", "jobs-service", "knative-serving", "backstage", "postgres",
            "workflow/team-a/greeting"} <= ids
    listing = orch_json(cluster, "workflow", "list-namespaces")
    assert [n["namespace"] for n in listing["summary"]["namespaces"] if not n["complete"]] == ["unrelated"]
    assert orch(cluster, "check").returncode == 0

    # -- cleanup refuses while workflows exist, and writes nothing -----------------------------------
    mark = log.mark()
    refused = orch(cluster, "cleanup", "--yes")
    assert refused.returncode == 9, refused.stdout + refused.stderr
    assert "SonataFlow greeting in team-a" in refused.stderr
    no_tty = orch(cluster, "cleanup", "--include-workflows")  # no --yes and no terminal
    assert no_tty.returncode == 9 and "--yes" in no_tty.stderr
    dry = orch_json(cluster, "cleanup", "--include-workflows", "--dry-run")
    assert orch_writes(log, mark) == []
    planned = {t["object"] for p in dry["summary"]["plan"]["phases"] for t in p["targets"] if t["action"] == "delete"}
    assert {"SonataFlow greeting in team-a", "Orchestrator orchestrator in orchestrator",
            "Namespace wf-new", "Namespace orchestrator"} <= planned
    assert not {"Namespace team-a", "Namespace unrelated", "Namespace openshift-operators"} & planned

    # -- cleanup --include-workflows --yes ------------------------------------------------------------
    mark = log.mark()
    done = orch(cluster, "cleanup", "--include-workflows", "--yes", "-o", "plain", "--timeout", "120")
    assert done.returncode == 0, done.stdout + done.stderr
    deleted = {("" if e.resource == "namespaces" else e.namespace, e.name)  # the audit log puts a Namespace in itself
               for e in orch_writes(log, mark) if e.verb == "delete" and e.resource != LEASE}
    planned_refs = {(t["namespace"] or "", t["name"]) for p in dry["summary"]["plan"]["phases"] for t in p["targets"]}
    assert deleted and deleted <= planned_refs, deleted - planned_refs  # it deleted only what the dry run listed

    after = api.namespaces()
    assert not [n for n, o in after.items() if (o.get("status") or {}).get("phase") == "Terminating"]
    assert meta(after["team-a"]) == team_a_before
    assert after["unrelated"]["metadata"]["resourceVersion"] == unrelated_before["resourceVersion"]
    assert not api.list("networking.k8s.io/v1", "NetworkPolicy", "team-a")
    assert api.get("v1", "Secret", "sonataflow-psql-postgresql", "team-a") is None
    assert "wf-new" not in after and "orchestrator" not in after
    assert api.list(SF_API, "SonataFlow") == []
    # what is left of orch's: only namespaces holding PVCs (data), reported as kept
    leftover = set(after) - namespaces_before
    assert leftover <= {"sonataflow-infra", "rhdh-operator", "orch-sim"}, leftover
    for name in leftover - {"orch-sim"}:
        assert api.list("v1", "PersistentVolumeClaim", name), name
        assert f"Namespace {name} (created by orch, but holds the kept PVC" in done.stdout
    assert api.orch_labelled() == []

    # -- running cleanup again is harmless; --delete-data finishes the job ----------------------------
    again = orch(cluster, "cleanup", "--yes", "--delete-data", "-o", "plain", "--timeout", "120")
    assert again.returncode == 0, again.stdout + again.stderr
    final = api.namespaces()
    assert set(final) - namespaces_before <= {"orch-sim"}
    assert not [n for n, o in final.items() if (o.get("status") or {}).get("phase") == "Terminating"]
    assert meta(final["team-a"]) == team_a_before
    assert final["unrelated"]["metadata"]["resourceVersion"] == unrelated_before["resourceVersion"]
    mark = log.mark()
    third = orch(cluster, "cleanup", "--yes")
    assert third.returncode == 0 and "Nothing of orch's left" in third.stdout
    assert orch_writes(log, mark) == []


def test_status_names_unready_component_and_cleanup_reports_stuck_cr_on_1_4(fresh_openshift_cluster):
    cluster = fresh_openshift_cluster
    api = Api(cluster)
    res = orch(cluster, "install", "--use-default", "--version", "1.4", "-o", "plain", "--timeout", "120")
    assert res.returncode == 0, res.stdout + res.stderr
    # (real OLM may still be rolling out the Automatic upgrade of an operator the chart subscribed,
    # e.g. logic-operator v1.35.0 -> v1.36.0, right after the install: status is healthy once it is done)
    eventually(lambda: orch(cluster, "status", "-o", "json").returncode == 0, 90, what="orch status healthy")
    healthy = orch_json(cluster, "status")
    assert healthy["summary"]["version"] == "1.4"  # detected from the v1alpha2 CR
    assert healthy["summary"]["orchestrator_cr"] == "Orchestrator orchestrator in orchestrator"

    # data-index made unready: its pods become unschedulable (nodeSelector no node matches); with the
    # Recreate strategy the old pod goes first, so the Deployment really loses availability
    di = ("apps/v1", "Deployment", "sonataflow-platform-data-index-service", "sonataflow-infra")
    api.res("apps/v1", "Deployment").patch(name=di[2], namespace=di[3], content_type="application/merge-patch+json",
                                           body={"spec": {"strategy": {"type": "Recreate", "rollingUpdate": None}}})
    api.sim_config({"never_ready": ["sonataflow-platform-data-index-service"]})
    eventually(lambda: any(c["type"] == "Available" and c["status"] == "False"
                           for c in (api.get(*di).get("status") or {}).get("conditions") or []),
               60, what="data-index unavailable")
    out = orch(cluster, "status", "-o", "json")
    assert out.returncode == 8, out.stdout + out.stderr
    report = validate(["status"], out.stdout)
    failed = {c["id"]: c for c in report["checks"] if c["status"] == "failed"}
    assert "data-index" in failed and "sonataflow-platform-data-index-service" in failed["data-index"]["description"]
    assert "data-index" in report["error"]["message"]
    assert "knative-serving" not in failed and "backstage" not in failed
    start = time.monotonic()
    waited = orch(cluster, "status", "--wait", "--timeout", "5", "-o", "plain")
    assert waited.returncode == 8 and time.monotonic() - start < 60
    assert "data-index" in waited.stderr

    # healed: --wait returns as soon as everything is healthy
    api.sim_config({})
    healed = orch(cluster, "status", "--wait", "--timeout", "120", "-o", "plain")
    assert healed.returncode == 0, healed.stdout + healed.stderr

    # the operator's Deployment deleted by hand (OLM brings back a crash-looping one): the CR's finalizer
    # cannot be processed; cleanup names it within its timeout instead of hanging
    api.sim_config({"pod_faults": {"orchestrator-operator": "CrashLoopBackOff"}})
    api.delete("apps/v1", "Deployment", "orchestrator-operator", "openshift-operators")
    eventually(lambda: not any(c["type"] == "Available" and c["status"] == "True" for c in
                               ((api.get("apps/v1", "Deployment", "orchestrator-operator", "openshift-operators")
                                 or {}).get("status") or {}).get("conditions") or []), 60,
               what="operator not available")
    start = time.monotonic()
    stuck = orch(cluster, "cleanup", "--yes", "--timeout", "10", "-o", "plain")
    elapsed = time.monotonic() - start
    assert stuck.returncode == 10, stuck.stdout + stuck.stderr
    assert elapsed < 60, elapsed
    assert "Orchestrator orchestrator in orchestrator" in stuck.stderr
    assert "finalizers helm.sdk.operatorframework.io/uninstall-release" in stuck.stderr
    assert "Deployment orchestrator-operator in openshift-operators is not Available" in stuck.stderr
    assert "--force-finalizers" in stuck.stderr
    cr = api.get("rhdh.redhat.com/v1alpha2", "Orchestrator", "orchestrator", "orchestrator")
    assert cr["metadata"]["finalizers"] == ["helm.sdk.operatorframework.io/uninstall-release"]  # not removed
    assert api.get("operators.coreos.com/v1alpha1", "Subscription", "orchestrator-operator", "openshift-operators")

    # operator restored: the same cleanup resumes and finishes, leaving nothing Terminating
    api.sim_config({})
    done = orch(cluster, "cleanup", "--yes", "--delete-data", "--timeout", "120", "-o", "plain")
    assert done.returncode == 0, done.stdout + done.stderr
    left = api.namespaces()
    assert not [n for n, o in left.items() if (o.get("status") or {}).get("phase") == "Terminating"]
    assert not {"orchestrator", "sonataflow-infra", "rhdh-operator", "openshift-serverless"} & set(left)
