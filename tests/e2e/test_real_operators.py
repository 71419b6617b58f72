"""orch on the OpenShift flavour with real operators behind the catalog's CSVs (opt-in per cluster).

`Cluster.start("openshift", real=("knative",))`: real OLM installs the serverless-operator CSV of
the test catalog (its Deployment `knative-openshift`, its ServiceAccount and clusterPermissions,
the Knative operator's own CRDs); the supervisor runs the real Knative operator v0.42.5 "in" that
Deployment's pod with its ServiceAccount token, and the Knative simulator stays off. So the
KnativeServing and KnativeEventing that the 1.3 install creates are reconciled by upstream code:
its Deployments, its conditions, its finalizers on cleanup. One cluster for the module.
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
KN = "operator.knative.dev/v1beta1"
SERVERLESS_NS = "openshift-serverless"
OPERATOR_USER = f"system:serviceaccount:{SERVERLESS_NS}:knative-openshift"
SERVING = {"activator", "autoscaler", "controller", "webhook", "net-kourier-controller"}
EVENTING = {"eventing-controller", "eventing-webhook", "imc-controller", "imc-dispatcher"}


class Api:
    def __init__(self, cluster):
        from kubernetes import dynamic

        self.dyn = dynamic.DynamicClient(cluster.api_client())

    def list(self, api_version, kind, namespace=None):
        return [i.to_dict() for i in self.dyn.resources.get(api_version=api_version, kind=kind).get(
            namespace=namespace).items]

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
    from tests.conftest import _start

    cluster = _start("openshift", real=("knative",))
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
    assert "knativeserving" not in line and "knativeeventing" not in line and "rhdh" in line, line


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


def test_cleanup_leaves_nothing_terminating(real):
    cluster, api = real["cluster"], real["api"]
    done = orch(cluster, "cleanup", "--yes", "--delete-data", "-o", "plain", "--timeout", "300", timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    after = api.namespaces()
    assert not [n for n, o in after.items() if (o.get("status") or {}).get("phase") == "Terminating"], \
        {n: (o.get("status") or {}) for n, o in after.items()}
    # the real operator removed its finalizers while it still ran: no KnativeServing/Eventing is left
    assert api.list(KN, "KnativeServing") == [] and api.list(KN, "KnativeEventing") == []
    assert api.list(OLM, "Subscription") == []
    # the Deployment went with its CSV, and the supervisor stopped the operator with it
    eventually(lambda: f"{SERVERLESS_NS}/knative-openshift" not in cluster.supervisor_state(), 60,
               what="the supervisor stopped the Knative operator", describe=cluster.supervisor_state)
    assert set(after) - real["before"] <= {"orch-sim"}, set(after) - real["before"]
