"""orch against real OLM (v0.33.0) and a real opm-served catalog: what only real OLM does.

- an AllNamespaces install leaves OLM's copied CSVs in every namespace; `orch status`, a re-run's
  pre-flight and `orch cleanup` are not confused by them;
- a Subscription with Automatic approval and an old startingCSV is upgraded by OLM to the channel
  head (the pitfall orch's Manual pin avoids) while orch's pinned install stays on its CSV;
- a package OLM cannot resolve shows OLM's own ResolutionFailed message in orch's error;
- the real Knative operator v0.42.5 stands behind the catalog's serverless-operator CSV
  (`Cluster.start("openshift", real=("knative",))`): OLM installs the CSV (its Deployment
  `knative-openshift`, ServiceAccount, clusterPermissions, the operator's own CRDs), the supervisor
  runs the real binary "in" that Deployment's pod with its ServiceAccount token, and the Knative
  simulator stays off, so the KnativeServing and KnativeEventing of the 1.3 install are reconciled by
  upstream code: its Deployments, conditions and finalizers, on install and on cleanup;
- the real RHDH operator stands behind the catalog's rhdh CSV the same way (`real=(..., "rhdh")`), in
  OpenShift mode: the 1.3 chart's Backstage CR is reconciled by upstream code into its Deployment,
  local PostgreSQL StatefulSet, Service and Route (the PVCs bound by the test provisioner, the Route
  admitted by the router stand-in), and `orch status` and cleanup work against what it made.

One cluster and one install for the module.
"""

from __future__ import annotations

import time

import pytest

from tests.cluster.audit import AuditLog
from tests.helpers import eventually
from tests.helpers import run_orch as orch
from tests.json_schemas import validate

pytestmark = [pytest.mark.cluster, pytest.mark.openshift]

OLM = "operators.coreos.com/v1alpha1"
OPS = "openshift-operators"
PINNED = "orchestrator-operator.v1.3.1"  # --use-default's generation; the channel head is v1.4.0
KN = "operator.knative.dev/v1beta1"
SERVERLESS_NS = "openshift-serverless"
OPERATOR_USER = f"system:serviceaccount:{SERVERLESS_NS}:knative-openshift"
SERVING = {"activator", "autoscaler", "controller", "webhook", "net-kourier-controller"}
EVENTING = {"eventing-controller", "eventing-webhook", "imc-controller", "imc-dispatcher"}
RHDH_NS = "rhdh-operator"
RHDH_USER = f"system:serviceaccount:{RHDH_NS}:rhdh-operator"


class Api:
    def __init__(self, cluster):
        from kubernetes import dynamic

        self.dyn = dynamic.DynamicClient(cluster.api_client())

    def list(self, api_version, kind, namespace=None, label_selector=None):
        res = self.dyn.resources.get(api_version=api_version, kind=kind)
        return [i.to_dict() for i in res.get(namespace=namespace, label_selector=label_selector).items]

    def get(self, api_version, kind, name, namespace=None):
        from kubernetes.dynamic.exceptions import NotFoundError

        try:
            return self.dyn.resources.get(api_version=api_version, kind=kind).get(
                name=name, namespace=namespace).to_dict()
        except NotFoundError:
            return None

    def namespaces(self) -> dict[str, dict]:
        return {n["metadata"]["name"]: n for n in self.list("v1", "Namespace")}


def conditions(obj: dict) -> dict[str, str]:
    return {c["type"]: c["status"] for c in ((obj or {}).get("status") or {}).get("conditions") or []}


@pytest.fixture(scope="module")
def real(request):
    """The cluster with the real Knative and RHDH operators, after one `orch install --use-default`."""
    from tests.conftest import _start

    cluster = _start("openshift", real=("knative", "rhdh"))
    request.addfinalizer(cluster.stop)
    api = Api(cluster)
    audit = AuditLog(cluster.audit_log)
    mark = audit.mark()
    before = set(api.namespaces())
    started = time.monotonic()
    out = orch(cluster, "install", "--use-default", "-o", "plain", "--timeout", "600", timeout=900)
    assert out.returncode == 0, out.stdout + out.stderr
    return {"cluster": cluster, "api": api, "audit": audit, "mark": mark, "before": before,
            "install_seconds": time.monotonic() - started}


@pytest.fixture(scope="module")
def installed(real):
    return real["cluster"]


def test_automatic_approval_climbs_to_the_head_while_orchs_pin_holds(installed):
    """A Subscription with Automatic approval and an old startingCSV is upgraded by OLM straight to
    the channel head (the pitfall orch's Manual pin avoids); orch's pinned Subscription meanwhile
    only gets an upgrade InstallPlan nobody approves, and stays on its CSV."""
    cluster = installed
    api = Api(cluster)
    ns, first, head = "t-auto", "openshift-pipelines-operator-rh.v1.16.0", "openshift-pipelines-operator-rh.v1.17.0"
    cluster.apply_manifests([
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}},
        {"apiVersion": "operators.coreos.com/v1", "kind": "OperatorGroup", "metadata": {"name": ns, "namespace": ns},
         "spec": {}},
        {"apiVersion": OLM, "kind": "Subscription", "metadata": {"name": "pipelines", "namespace": ns},
         "spec": {"name": "openshift-pipelines-operator-rh", "channel": "latest", "source": "redhat-operators",
                  "sourceNamespace": "openshift-marketplace", "installPlanApproval": "Automatic",
                  "startingCSV": first}},
    ])
    sub = eventually(lambda: (s := api.get(OLM, "Subscription", "pipelines", ns))
                     and (s.get("status") or {}).get("installedCSV") == head
                     and s["status"].get("state") == "AtLatestKnown" and s, 120,
                     what=f"Automatic Subscription upgraded from {first} to the head {head}")
    plans = api.list(OLM, "InstallPlan", ns)
    assert sorted(p["spec"]["clusterServiceVersionNames"][0] for p in plans) == [first, head]
    assert all(p["spec"]["approved"] for p in plans)  # nobody approved them: Automatic did
    eventually(lambda: api.get(OLM, "ClusterServiceVersion", first, ns) is None, 60,
               what=f"{first} replaced and deleted")
    assert sub["spec"]["startingCSV"] == first
    # orch's pin: OLM offers the next CSV in an InstallPlan nobody approves; v1.3.1 stays installed
    pinned = eventually(lambda: (s := api.get(OLM, "Subscription", "orchestrator-operator", OPS))
                        and (s.get("status") or {}).get("currentCSV") == "orchestrator-operator.v1.4.0" and s,
                        90, what="OLM offers orch's pinned Subscription the upgrade to v1.4.0")
    assert pinned["spec"]["installPlanApproval"] == "Manual" and pinned["spec"]["startingCSV"] == PINNED
    assert pinned["status"]["installedCSV"] == PINNED and pinned["status"]["state"] == "UpgradePending"
    upgrade = [p for p in api.list(OLM, "InstallPlan", OPS)
               if p["spec"]["clusterServiceVersionNames"] == ["orchestrator-operator.v1.4.0"]]
    assert len(upgrade) == 1 and upgrade[0]["spec"]["approved"] is False
    assert upgrade[0]["status"]["phase"] == "RequiresApproval"
    assert api.get(OLM, "ClusterServiceVersion", "orchestrator-operator.v1.4.0", OPS) is None
    assert api.get(OLM, "ClusterServiceVersion", PINNED, OPS)["status"]["phase"] == "Succeeded"
    # a re-run of orch keeps it that way (it approves only the plan for its pinned CSV)
    rerun = orch(cluster, "install", "--use-default", "-o", "plain", "--timeout", "120")
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert api.get(OLM, "InstallPlan", upgrade[0]["metadata"]["name"], OPS)["spec"]["approved"] is False


def test_the_real_knative_operator_stands_behind_the_serverless_csv(real):
    cluster, api, audit = real["cluster"], real["api"], real["audit"]
    sub = api.get(OLM, "Subscription", "serverless-operator", SERVERLESS_NS)
    csv_name = sub["status"]["installedCSV"]
    csv = api.get(OLM, "ClusterServiceVersion", csv_name, SERVERLESS_NS)
    assert csv["status"]["phase"] == "Succeeded"
    # OLM created the Deployment from the CSV; the supervisor runs the real binary behind it, as its ServiceAccount
    deployment = api.get("apps/v1", "Deployment", "knative-openshift", SERVERLESS_NS)
    assert deployment["metadata"]["labels"]["olm.owner"] == csv_name
    running = cluster.supervisor_state()[f"{SERVERLESS_NS}/knative-openshift"]
    assert running["operator"] == "knative-operator" and running["running"], running
    assert running["user"] == OPERATOR_USER
    # the CRDs are the Knative operator's own (the CSV owns them; the simulators' permissive ones are not served)
    crd = api.get("apiextensions.k8s.io/v1", "CustomResourceDefinition", "knativeservings.operator.knative.dev")
    spec_schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
    assert "kourier" in spec_schema["ingress"]["properties"] and "security" in spec_schema
    assert crd["metadata"]["labels"]["operators.coreos.com/serverless-operator." + SERVERLESS_NS] == ""
    # what is in knative-serving was written by the operator's ServiceAccount, and the simulator is off
    writers = {e.user for e in audit.events(since=real["mark"]) if e.is_write and e.code < 300
               and e.resource == "deployments" and not e.subresource
               and e.namespace in ("knative-serving", "knative-eventing")}
    assert writers == {OPERATOR_USER}, writers
    sim_log = (cluster.log_dir / "simulators.log").read_text()
    line = next(x for x in sim_log.splitlines() if "simulators running:" in x)
    assert "knativeserving" not in line and "knativeeventing" not in line and "rhdh.backstage" not in line, line
    assert "sonataflow" in line and "router" in line, line


def test_serving_and_eventing_ready_with_the_real_operators_conditions(real):
    from kubernetes import client

    cluster, api = real["cluster"], real["api"]
    serving = api.get(KN, "KnativeServing", "knative-serving", "knative-serving")
    eventing = api.get(KN, "KnativeEventing", "knative-eventing", "knative-eventing")
    for obj in (serving, eventing):
        cond = conditions(obj)
        assert {"Ready", "InstallSucceeded", "DeploymentsAvailable"} <= set(cond), cond
        assert cond["Ready"] == cond["InstallSucceeded"] == cond["DeploymentsAvailable"] == "True", cond
        assert obj["status"]["version"].startswith("1.15."), obj["status"]
        assert obj["metadata"]["finalizers"], obj["metadata"]  # the operator's: cleanup needs it alive
    # the Kourier default (OpenShift Serverless's; a CRD default stands in for its OpenShift extension)
    assert serving["spec"]["ingress"]["kourier"]["enabled"] is True
    apps = client.AppsV1Api(cluster.api_client())

    def available(namespace):
        return {d.metadata.name for d in apps.list_namespaced_deployment(namespace).items
                if any(c.type == "Available" and c.status == "True" for c in d.status.conditions or [])}
    assert SERVING <= available("knative-serving"), available("knative-serving")
    assert EVENTING <= available("knative-eventing"), available("knative-eventing")
    gateways = [d for d in apps.list_deployment_for_all_namespaces().items if d.metadata.name == "3scale-kourier-gateway"]
    assert gateways, "the Kourier gateway Deployment"
    # the simulator's stand-in message would name no Deployment the operator made; the operator's do exist
    activator = api.get("apps/v1", "Deployment", "activator", "knative-serving")
    assert activator["metadata"]["labels"]["app.kubernetes.io/version"].startswith("1.15"), activator["metadata"]

    status = orch(cluster, "status", "-o", "json")
    assert status.returncode == 0, status.stdout + status.stderr
    report = validate(["status"], status.stdout)
    assert report["success"] and report["summary"]["healthy"], [c for c in report["checks"] if c["status"] != "ok"]
    knative = [c for c in report["checks"] if "Knative" in str(c)]
    assert knative and all(c["status"] == "ok" for c in knative), knative


def test_the_real_rhdh_operator_reconciles_the_charts_backstage(real):
    cluster, api, audit = real["cluster"], real["api"], real["audit"]
    deployment = api.get("apps/v1", "Deployment", "rhdh-operator", RHDH_NS)
    csv = api.get(OLM, "ClusterServiceVersion", deployment["metadata"]["labels"]["olm.owner"], RHDH_NS)
    assert csv["status"]["phase"] == "Succeeded" and csv["spec"]["version"].startswith("1.3."), csv["spec"]
    running = cluster.supervisor_state()[f"{RHDH_NS}/rhdh-operator"]
    assert running["operator"] == "rhdh-operator" and running["running"] and running["user"] == RHDH_USER, running
    # the operator's own CRD (three served versions, v1alpha3 stored), installed by OLM from the bundle
    crd = api.get("apiextensions.k8s.io/v1", "CustomResourceDefinition", "backstages.rhdh.redhat.com")
    assert {v["name"]: v["storage"] for v in crd["spec"]["versions"]} == \
        {"v1alpha1": False, "v1alpha2": False, "v1alpha3": True}
    # the chart's v1alpha1 CR, Deployed by the operator's own reason
    backstage = api.get("rhdh.redhat.com/v1alpha1", "Backstage", "backstage", RHDH_NS)
    deployed = next(c for c in backstage["status"]["conditions"] if c["type"] == "Deployed")
    assert deployed["status"] == "True" and deployed["reason"] == "Deployed", deployed
    # what the operator made from its default configuration, written as its ServiceAccount only
    made = {(e.resource, e.name) for e in audit.events(since=real["mark"], user=RHDH_USER)
            if e.is_write and e.code < 300 and e.namespace == RHDH_NS and not e.subresource}
    for obj in [("deployments", "backstage-backstage"), ("statefulsets", "backstage-psql-backstage"),
                ("services", "backstage-backstage"), ("routes", "backstage-backstage"),
                ("secrets", "backstage-psql-secret-backstage")]:
        assert obj in made, sorted(made)
    writers = {e.user for e in audit.events(since=real["mark"]) if e.is_write and e.code < 300
               and e.resource in ("deployments", "statefulsets") and not e.subresource
               and e.namespace == RHDH_NS and e.name.startswith("backstage-")}
    assert writers == {RHDH_USER}, writers
    dep = api.get("apps/v1", "Deployment", "backstage-backstage", RHDH_NS)
    volumes = {v["name"]: v for v in dep["spec"]["template"]["spec"]["volumes"]}
    assert "ephemeral" in volumes["dynamic-plugins-root"], volumes  # upstream's default deployment.yaml
    assert dep["spec"]["template"]["spec"]["initContainers"][0]["name"] == "install-dynamic-plugins"
    # its PVCs (the pod's ephemeral dynamic-plugins-root and the database's data) are bound
    claims = {c["metadata"]["name"]: c["status"]["phase"] for c in api.list("v1", "PersistentVolumeClaim", RHDH_NS)}
    assert [n for n, phase in claims.items() if n.endswith("-dynamic-plugins-root") and phase == "Bound"], claims
    assert [n for n, phase in claims.items() if "backstage-psql-backstage" in n and phase == "Bound"], claims
    # the Route names no host (OpenShift generates it); the router stand-in admitted the generated one
    route = api.get("route.openshift.io/v1", "Route", "backstage-backstage", RHDH_NS)
    host = route["status"]["ingress"][0]["host"]
    assert not route["spec"].get("host") and host.startswith(f"backstage-backstage-{RHDH_NS}."), route
    status = orch(cluster, "status", "-o", "json")
    assert status.returncode == 0, status.stdout + status.stderr
    report = validate(["status"], status.stdout)
    assert report["success"] and report["summary"]["healthy"], [c for c in report["checks"] if c["status"] != "ok"]
    url = next(c for c in report["checks"] if c["id"] == "backstage-url")
    assert url["status"] == "ok" and host in url["message"], url


def test_copied_csvs_do_not_confuse_status_preflight_or_cleanup(installed):
    cluster = installed
    api = Api(cluster)
    # OLM copied the global (AllNamespaces) operator's CSV into every namespace, orch's own included
    namespaces = {n["metadata"]["name"] for n in api.list("v1", "Namespace")
                  if (n.get("status") or {}).get("phase") == "Active"}

    def copies():
        found = {c["metadata"]["namespace"] for c in api.list(OLM, "ClusterServiceVersion",
                                                             label_selector=f"olm.copiedFrom={OPS}")
                 if c["metadata"]["name"] == PINNED}
        return found if namespaces - {OPS} <= found else None
    found = eventually(copies, 60, what=f"copies of {PINNED} in every namespace")
    assert {"orchestrator", "sonataflow-infra", "default"} <= found
    copy = api.get(OLM, "ClusterServiceVersion", PINNED, "orchestrator")
    assert copy["status"]["reason"] == "Copied" and copy["metadata"]["labels"]["olm.copiedFrom"] == OPS

    status = orch(cluster, "status", "-o", "json")
    assert status.returncode == 0, status.stdout + status.stderr
    report = validate(["status"], status.stdout)
    assert report["success"] and report["summary"]["healthy"], [c for c in report["checks"] if c["status"] != "ok"]
    assert report["summary"]["version"] == "1.3"
    # every check names the operator's CSV in its install namespace, never a copy's namespace
    csv_checks = [c for c in report["checks"] if PINNED in str(c)]
    assert csv_checks and all("orchestrator/" not in str(c) and "default/" not in str(c) for c in csv_checks)

    # a re-run: pre-flight finds the existing install (not a copy) and completes it as a no-op
    rerun = orch(cluster, "install", "--use-default", "-o", "plain", "--timeout", "120")
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert f"existing install of {PINNED} detected (installed)" in rerun.stdout

    # cleanup removes the operator; OLM removes every copy with the original
    done = orch(cluster, "cleanup", "--yes", "--delete-data", "-o", "plain", "--timeout", "300", timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    # cleanup deleted the CSV in its install namespace only; the copies went with it (OLM)
    listed = [line for line in done.stdout.splitlines() if "ClusterServiceVersion" in line and PINNED in line]
    assert listed and all(OPS in line for line in listed), done.stdout
    assert not [line for line in done.stdout.splitlines() if "ClusterServiceVersion" in line
                and ("default" in line or "sonataflow-infra" in line)], done.stdout
    eventually(lambda: not [c for c in api.list(OLM, "ClusterServiceVersion")
                            if c["metadata"]["name"].startswith("orchestrator-operator.")],
               90, what="no orchestrator-operator CSV (original or copy) left")
    # nothing of orch's is left for a second cleanup (copies are not mistaken for leftovers)
    again = orch(cluster, "cleanup", "--yes", "-o", "plain", "--timeout", "60")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "ClusterServiceVersion" not in again.stdout, again.stdout


def test_cleanup_with_the_real_operators_leaves_nothing_terminating(real):
    """After the cleanup above (the real Knative and RHDH operators still ran while their CRs were deleted)."""
    cluster, api = real["cluster"], real["api"]
    after = api.namespaces()
    assert not [n for n, o in after.items() if (o.get("status") or {}).get("phase") == "Terminating"], \
        {n: (o.get("status") or {}) for n, o in after.items()}
    # the real operator removed its finalizers while it still ran: no KnativeServing/Eventing is left
    assert api.list(KN, "KnativeServing") == [] and api.list(KN, "KnativeEventing") == []
    # (the Automatic Subscription in t-auto is the user's: cleanup leaves it)
    assert [(s["metadata"]["namespace"], s["metadata"]["name"]) for s in api.list(OLM, "Subscription")] == \
        [("t-auto", "pipelines")]
    assert api.list("rhdh.redhat.com/v1alpha3", "Backstage") == []
    assert not [d for d in api.list("apps/v1", "StatefulSet", RHDH_NS) if d["metadata"]["name"].startswith("backstage-")]
    # the Deployments went with their CSVs, and the supervisor stopped the operators with them
    for key in (f"{SERVERLESS_NS}/knative-openshift", f"{RHDH_NS}/rhdh-operator"):
        eventually(lambda: key not in cluster.supervisor_state(), 60,
                   what=f"the supervisor stopped {key}", describe=cluster.supervisor_state)
    assert set(after) - real["before"] <= {"orch-sim", "t-auto"}, set(after) - real["before"]


def test_unresolvable_package_shows_olms_resolution_failure(installed):
    """The PackageManifest still lists the channel (pre-flight passes) but the catalog OLM reads
    ends before the pinned CSV: orch's error carries OLM's own ResolutionFailed message."""
    cluster = installed
    cluster.serve_catalog(channel_heads={"orchestrator-operator/stable": "orchestrator-operator.v1.3.0"})
    try:
        out = orch(cluster, "install", "--use-default", "-o", "plain", "--timeout", "45")
    finally:
        cluster.serve_catalog()
    text = out.stdout + out.stderr
    assert out.returncode != 0, text
    assert "ResolutionFailed" in text, text
    assert "constraints not satisfiable" in text, text
    assert PINNED in text, text
