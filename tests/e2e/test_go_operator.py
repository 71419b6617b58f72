"""Orchestrator 1.5 and 1.6 (the Go operator, CR rhdh.redhat.com/v1alpha3) against the real control plane
with the simulated OpenShift platform (issue 12): one cluster per generation, installed once, then the
day-2 commands in order — re-run with zero writes, status, add-namespace, a workflow chart, cleanup.
"""

from __future__ import annotations

import time

import pytest

from tests.cluster.audit import AuditLog
from tests.helpers import eventually
from tests.e2e.leak_scan import CANARY_ENV, assert_no_secret_leaked, secret_values
from tests.e2e.leak_scan import recorded_orch as orch
from tests.json_schemas import validate

pytestmark = [pytest.mark.cluster, pytest.mark.openshift]

REVIEWS = {"selfsubjectrulesreviews", "selfsubjectaccessreviews"}
SF_API = "sonataflow.org/v1alpha08"
URL = "https://backstage-backstage-rhdh-operator.apps.orch.local"
CSV = {"1.5": "orchestrator-operator.v1.5.2", "1.6": "orchestrator-operator.v1.6.1"}
OSL = {"1.5": "1.35.0", "1.6": "1.36.0"}


def writes(log: AuditLog, mark: int) -> list:
    return [e for e in log.events(since=mark, user_agent_prefix="orch/") if e.is_write and e.resource not in REVIEWS]


class Api:
    def __init__(self, cluster):
        from kubernetes import dynamic

        self.dyn = dynamic.DynamicClient(cluster.api_client())

    def get(self, api_version, kind, name, namespace=None):
        from kubernetes.dynamic.exceptions import NotFoundError

        try:
            return self.dyn.resources.get(api_version=api_version, kind=kind).get(
                name=name, namespace=namespace).to_dict()
        except NotFoundError:
            return None

    def list(self, api_version, kind, namespace=None, label_selector=None):
        res = self.dyn.resources.get(api_version=api_version, kind=kind)
        return [i.to_dict() for i in res.get(namespace=namespace, label_selector=label_selector).items]

    def namespaces(self) -> dict[str, dict]:
        return {n["metadata"]["name"]: n for n in self.list("v1", "Namespace")}


@pytest.fixture(scope="module", params=["1.6", "1.5"])
def gop(request, tmp_path_factory):
    from tests.charts import ChartRepository
    from tests.conftest import _start

    version = request.param
    cluster = _start("openshift")
    request.addfinalizer(cluster.stop)
    repo = ChartRepository.build(tmp_path_factory.mktemp("charts") / "repo", {"greeting": [f"{version}.0"]})
    served = repo.serve()
    url = served.__enter__()
    request.addfinalizer(lambda: served.__exit__(None, None, None))
    api = Api(cluster)
    # a team's namespace that exists before orch (it must survive cleanup untouched)
    cluster.apply_manifests([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}}])
    before = set(api.namespaces())
    start = time.monotonic()
    first = orch(cluster, "install", "--use-default", "--version", version, "-o", "plain", "--timeout", "240",
                 env=CANARY_ENV)
    return {"cluster": cluster, "version": version, "api": api, "first": first, "repo": url, "before": before,
            "elapsed": time.monotonic() - start}


def orch_json(cluster, *args, code=0, timeout=300):
    res = orch(cluster, *args, "-o", "json", timeout=timeout)
    assert res.returncode == code, f"exit {res.returncode}\n{res.stdout}\n{res.stderr}"
    return validate(args, res.stdout)


def test_fresh_install_pins_the_go_operator_and_waits_for_everything(gop):
    first, api, version = gop["first"], gop["api"], gop["version"]
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr
    assert f"Backstage URL: {URL}" in first.stdout
    # (real OLM records installedCSV a little after the CSV Succeeded, which is what the install waits for)
    sub = eventually(lambda: (o := api.get("operators.coreos.com/v1alpha1", "Subscription", "orchestrator-operator",
                                           "openshift-operators"))
                     and (o.get("status") or {}).get("installedCSV") == CSV[version] and o, 60,
                     what=f"Subscription orchestrator-operator installedCSV {CSV[version]}")
    assert sub["spec"]["installPlanApproval"] == "Manual" and sub["spec"]["channel"] == "stable"
    cr = api.get("rhdh.redhat.com/v1alpha3", "Orchestrator", "orchestrator", "orchestrator")
    assert cr["status"]["phase"] == "Completed"
    assert cr["metadata"]["finalizers"] == ["rhdh.redhat.com/orchestrator-cleanup"]
    assert cr["spec"]["rhdh"]["installOperator"] is True
    # the Subscriptions the operator made and approved itself: Manual, pinned
    for name, ns, csv in (("logic-operator-rhel8", "openshift-serverless-logic", f"logic-operator-rhel8.v{OSL[version]}"),
                          ("serverless-operator", "openshift-serverless", f"serverless-operator.v{OSL[version]}")):
        # (real OLM records installedCSV once the CSV has Succeeded, a little after its Deployment is
        # Available, which is what the install waits for)
        s = eventually(lambda: (o := api.get("operators.coreos.com/v1alpha1", "Subscription", name, ns))
                       and (o.get("status") or {}).get("installedCSV") == csv and o, 60,
                       what=f"Subscription {ns}/{name} installedCSV {csv}")
        assert s["spec"]["installPlanApproval"] == "Manual"
        assert s["metadata"]["labels"]["rhdh.redhat.com/created-by"] == "orchestrator"
    # the platform namespace is the operator's (orch labelled it and put PostgreSQL into it)
    platform = api.get("v1", "Namespace", "sonataflow-infra")
    assert platform["metadata"]["labels"]["rhdh.redhat.com/created-by"] == "orchestrator"
    assert "rhdh.redhat.com/workflow-namespace" in platform["metadata"]["labels"]
    assert api.get("apps/v1", "StatefulSet", "sonataflow-psql-postgresql", "sonataflow-infra")
    policies = {p["metadata"]["name"] for p in api.list("networking.k8s.io/v1", "NetworkPolicy", "sonataflow-infra")}
    expected = {"allow-rhdh-to-sonataflow-and-workflows", "allow-intra-namespace"}
    if version == "1.6":
        expected.add("allow-openshift-serverless-logic-to-sonataflow-and-workflows")
    assert expected <= policies
    assert "network policies present in sonataflow-infra" in first.stdout
    for name in ("backstage-backstage",):
        dep = api.get("apps/v1", "Deployment", name, "rhdh-operator")
        assert any(c["type"] == "Available" and c["status"] == "True" for c in dep["status"]["conditions"])


def test_rerun_writes_nothing(gop):
    cluster = gop["cluster"]
    assert gop["first"].returncode == 0
    log = AuditLog(cluster.audit_log)
    mark = log.mark()
    again = orch(cluster, "install", "--use-default", "--version", gop["version"], "-o", "plain", "--timeout", "60")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "everything already in place" in again.stdout
    time.sleep(1)
    assert writes(log, mark) == [], [str(e) for e in writes(log, mark)]


def test_other_generation_is_refused_with_the_upgrade_path(gop):
    cluster = gop["cluster"]
    other = "1.5" if gop["version"] == "1.6" else "1.6"
    log = AuditLog(cluster.audit_log)
    mark = log.mark()
    out = orch(cluster, "install", "--use-default", "--version", other, "-o", "plain")
    assert out.returncode == 4, out.stdout + out.stderr
    assert f"Orchestrator {gop['version']} is installed" in out.stderr and "orch cleanup" in out.stderr
    time.sleep(0.5)
    assert writes(log, mark) == []


def test_status_healthy_version_and_add_namespace(gop):
    cluster, api, version = gop["cluster"], gop["api"], gop["version"]
    status = orch_json(cluster, "status")
    assert status["summary"]["healthy"], [c for c in status["checks"] if c["status"] != "ok"]
    assert status["summary"]["version"] == version and status["summary"]["backstage_url"] == URL
    ids = {c["id"] for c in status["checks"]}
    assert {"operator", "orchestrator-cr", "data-index", "jobs-service", "backstage", "postgres"} <= ids
    assert orch_json(cluster, "version")["summary"]["cluster"]["orchestrator"]["generation"] == version
    added = orch_json(cluster, "workflow", "add-namespace", "team-a")
    assert added["summary"]["changed"]
    source = api.get("v1", "Secret", "sonataflow-psql-postgresql", "sonataflow-infra")
    copy = api.get("v1", "Secret", "sonataflow-psql-postgresql", "team-a")
    assert copy["data"] == source["data"]
    assert api.get("networking.k8s.io/v1", "NetworkPolicy", "allow-workflows-from-team-a", "sonataflow-infra")
    listing = orch_json(cluster, "workflow", "list-namespaces")
    assert {n["namespace"]: n["complete"] for n in listing["summary"]["namespaces"]} == \
        {"sonataflow-infra": True, "team-a": True}


def test_workflow_chart_runs_in_the_added_namespace(gop):
    cluster, api = gop["cluster"], gop["api"]
    import os

    path = f"{cluster.bin_dir}:{os.environ.get('PATH', '/usr/bin:/bin')}"  # helm on PATH, as for a user
    out = orch(cluster, "workflow", "install", "greeting", "-n", "team-a", "--repo", gop["repo"], "-o", "plain",
               "--timeout", "120", env={"PATH": path})
    assert out.returncode == 0, out.stdout + out.stderr
    eventually(lambda: any(c["type"] == "Running" and c["status"] == "True" for c in
                           ((api.get(SF_API, "SonataFlow", "greeting", "team-a") or {}).get("status") or {})
                           .get("conditions") or []), 60, what="greeting Running")
    assert orch_json(cluster, "status")["summary"]["healthy"]


def test_no_secret_in_any_output(gop, tmp_path):
    """Every output of this module (install, re-runs, status, version, add-namespace, workflow chart), a
    dry-run and a support bundle hold neither the generated secrets nor the token the user gave."""
    cluster = gop["cluster"]
    auth = secret_values(cluster, "backstage-backend-auth-secret", "rhdh-operator")
    assert auth.get("GITHUB_TOKEN") == CANARY_ENV["GITHUB_TOKEN"]  # control: orch did handle the token
    pg = secret_values(cluster, "sonataflow-psql-postgresql", "sonataflow-infra")
    secrets = {"BACKEND_SECRET": auth.get("BACKEND_SECRET", ""), "GITHUB_TOKEN": CANARY_ENV["GITHUB_TOKEN"],
               **{f"postgres {k}": v for k, v in pg.items() if "password" in k}}
    assert len(secrets) >= 3, sorted(pg)
    assert_no_secret_leaked(cluster, gop["version"], secrets, tmp_path)


def test_cleanup_leaves_nothing_terminating_and_only_removes_what_was_made(gop):
    cluster, api = gop["cluster"], gop["api"]
    log = AuditLog(cluster.audit_log)
    dry = orch_json(cluster, "cleanup", "--include-workflows", "--delete-data", "--dry-run")
    planned = {t["object"] for p in dry["summary"]["plan"]["phases"] for t in p["targets"] if t["action"] == "delete"}
    protected = {t["object"] for p in dry["summary"]["plan"]["phases"] if p["id"] == "protect" for t in p["targets"]}
    assert "Orchestrator orchestrator in orchestrator" in planned and "Namespace team-a" not in planned
    assert {"Namespace openshift-serverless", "Namespace rhdh-operator"} <= protected
    assert not {"Namespace knative-serving", "Namespace knative-eventing"} & protected  # the operator's to delete
    assert {"Namespace openshift-serverless", "Namespace sonataflow-infra"} <= planned  # orch deletes them later
    mark = log.mark()
    done = orch(cluster, "cleanup", "--include-workflows", "--yes", "--delete-data", "-o", "plain", "--timeout", "120")
    assert done.returncode == 0, done.stdout + done.stderr
    after = api.namespaces()
    assert not [n for n, o in after.items() if (o.get("status") or {}).get("phase") == "Terminating"]
    assert set(after) - gop["before"] <= {"orch-sim"}, set(after) - gop["before"]
    assert "team-a" in after and not api.list("networking.k8s.io/v1", "NetworkPolicy", "team-a")
    assert api.list("operators.coreos.com/v1alpha1", "Subscription") == []
    deleted_ns = {e.name for e in writes(log, mark) if e.verb == "delete" and e.resource == "namespaces"}
    assert "team-a" not in deleted_ns and "knative-serving" not in deleted_ns  # the operator deleted that one
    print(done.stdout)
    again = orch(cluster, "cleanup", "--yes")
    assert again.returncode == 0 and "Nothing of orch's left" in again.stdout, again.stdout + again.stderr
