"""Orchestrator 1.7 and 1.8 (inside RHDH: no Orchestrator operator; the RHDH operator's plugin dependencies
provision the SonataFlow platform) against the real control plane with the simulated OpenShift platform:
one cluster per generation, installed once, then re-run, status, add-namespace (the 1.7+ recipe), cleanup.
"""

from __future__ import annotations

import time

import pytest

from tests.cluster.audit import AuditLog
from tests.e2e.test_go_operator import Api, orch_json, writes
from tests.e2e.leak_scan import CANARY_ENV, assert_no_secret_leaked, secret_values
from tests.e2e.leak_scan import recorded_orch as orch
from tests.helpers import eventually

pytestmark = [pytest.mark.cluster, pytest.mark.openshift]

URL = "https://backstage-backstage-rhdh-operator.apps.orch.local"
BACKSTAGE_API = {"1.7": "rhdh.redhat.com/v1alpha3", "1.8": "rhdh.redhat.com/v1alpha4"}
PLUGINS = {"1.7": "1.7.1", "1.8": "1.8.12"}


@pytest.fixture(scope="module", params=["1.8", "1.7"])
def native(request, tmp_path_factory):
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
    cluster.apply_manifests([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}}])
    before = set(api.namespaces())
    first = orch(cluster, "install", "--use-default", "--version", version, "-o", "plain", "--timeout", "240",
                 env=CANARY_ENV)
    return {"cluster": cluster, "version": version, "api": api, "first": first, "before": before, "repo": url}


def test_fresh_install_pins_the_infrastructure_and_configures_rhdh(native):
    first, api, version = native["first"], native["api"], native["version"]
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr
    assert f"Backstage URL: {URL}" in first.stdout
    for name, ns, csv in (("serverless-operator", "openshift-serverless", "serverless-operator.v1.36.0"),
                          ("logic-operator-rhel8", "openshift-serverless-logic", "logic-operator-rhel8.v1.36.0"),
                          ("rhdh", "rhdh-operator", f"rhdh-operator.v{version}.1")):
        # (real OLM records installedCSV a little after the CSV Succeeded, which is what the install waits for)
        sub = eventually(lambda: (o := api.get("operators.coreos.com/v1alpha1", "Subscription", name, ns))
                         and (o.get("status") or {}).get("installedCSV") == csv and o, 60,
                         what=f"Subscription {ns}/{name} installedCSV {csv}")
        assert sub["spec"]["installPlanApproval"] == "Manual" and sub["spec"]["startingCSV"] == csv
    assert api.get("operators.coreos.com/v1alpha1", "Subscription", "rhdh", "rhdh-operator")["spec"]["channel"] == \
        f"fast-{version}"
    bs = api.get(BACKSTAGE_API[version], "Backstage", "backstage", "rhdh-operator")
    assert bs["spec"]["application"]["dynamicPluginsConfigMapName"] == "orchestrator-dynamic-plugins"
    plugins = api.get("v1", "ConfigMap", "orchestrator-dynamic-plugins", "rhdh-operator")["data"]["dynamic-plugins.yaml"]
    assert f"backstage-plugin-orchestrator-backend-dynamic@{PLUGINS[version]}" in plugins and "ref: sonataflow" in plugins
    # what the RHDH operator made from the plugin dependency, in the Backstage namespace
    sfp = api.get("sonataflow.org/v1alpha08", "SonataFlowPlatform", "sonataflow-platform", "rhdh-operator")
    assert sfp["spec"]["services"]["dataIndex"]["persistence"]["postgresql"]["secretRef"]["name"] == \
        "backstage-psql-secret-backstage"
    assert (api.get("batch/v1", "Job", "create-sonataflow-database-backstage", "rhdh-operator") is not None) == \
        (version == "1.8")
    assert "network policies present in rhdh-operator" in first.stdout


def test_rerun_writes_nothing_and_status_is_healthy(native):
    cluster, version = native["cluster"], native["version"]
    assert native["first"].returncode == 0
    log = AuditLog(cluster.audit_log)
    mark = log.mark()
    again = orch(cluster, "install", "--use-default", "--version", version, "-o", "plain", "--timeout", "60")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "everything already in place" in again.stdout
    time.sleep(1)
    assert writes(log, mark) == [], [str(e) for e in writes(log, mark)]
    status = orch_json(cluster, "status")
    assert status["summary"]["healthy"], [c for c in status["checks"] if c["status"] != "ok"]
    assert status["summary"]["version"] == version and status["summary"]["backstage_url"] == URL
    other = orch(cluster, "install", "--use-default", "--version", "1.6", "-o", "plain")
    assert other.returncode == 4 and f"Orchestrator {version} is installed" in other.stdout + other.stderr


def test_add_namespace_follows_the_1_7_recipe(native):
    cluster, api = native["cluster"], native["api"]
    added = orch_json(cluster, "workflow", "add-namespace", "team-a")
    assert added["summary"]["changed"]
    sfcp = api.get("sonataflow.org/v1alpha08", "SonataFlowClusterPlatform", "cluster-platform")
    assert sfcp["spec"]["platformRef"] == {"name": "sonataflow-platform", "namespace": "rhdh-operator"}
    assert api.get("networking.k8s.io/v1", "NetworkPolicy", "allow-rhdh-and-knative-to-workflows", "team-a")
    assert api.get("networking.k8s.io/v1", "NetworkPolicy", "allow-external-workflows-to-rhdh-team-a",
                   "rhdh-operator")
    copy = api.get("v1", "Secret", "backstage-psql-secret-backstage", "team-a")
    assert copy["data"] == api.get("v1", "Secret", "backstage-psql-secret-backstage", "rhdh-operator")["data"]
    listing = orch_json(cluster, "workflow", "list-namespaces")
    assert {n["namespace"]: n["complete"] for n in listing["summary"]["namespaces"]} == \
        {"rhdh-operator": True, "team-a": True}


def test_workflow_chart_uses_the_backstage_database(native):
    import os

    from tests.helpers import eventually

    cluster, api = native["cluster"], native["api"]
    path = f"{cluster.bin_dir}:{os.environ.get('PATH', '/usr/bin:/bin')}"  # helm on PATH, as for a user
    out = orch(cluster, "workflow", "install", "greeting", "-n", "team-a", "--repo", native["repo"], "-o", "plain",
               "--timeout", "120", env={"PATH": path})
    assert out.returncode == 0, out.stdout + out.stderr
    sf = api.get("sonataflow.org/v1alpha08", "SonataFlow", "greeting", "team-a")
    pg = sf["spec"]["persistence"]["postgresql"]
    assert pg["secretRef"]["name"] == "backstage-psql-secret-backstage"  # not the chart's sonataflow-psql-postgresql
    assert pg["serviceRef"]["name"] == "backstage-psql-backstage" and pg["serviceRef"]["namespace"] == "rhdh-operator"
    eventually(lambda: any(c["type"] == "Running" and c["status"] == "True" for c in
                           ((api.get("sonataflow.org/v1alpha08", "SonataFlow", "greeting", "team-a") or {})
                            .get("status") or {}).get("conditions") or []), 60, what="greeting Running")


def test_no_secret_in_any_output(native, tmp_path):
    """Every output of this module, a dry-run and a support bundle hold neither BACKEND_SECRET, the Backstage
    database password nor the token the user gave."""
    cluster = native["cluster"]
    auth = secret_values(cluster, "backstage-backend-auth-secret", "rhdh-operator")
    assert auth.get("GITHUB_TOKEN") == CANARY_ENV["GITHUB_TOKEN"]  # control: orch did handle the token
    pg = secret_values(cluster, "backstage-psql-secret-backstage", "rhdh-operator")
    secrets = {"BACKEND_SECRET": auth.get("BACKEND_SECRET", ""), "GITHUB_TOKEN": CANARY_ENV["GITHUB_TOKEN"],
               "POSTGRES_PASSWORD": pg.get("POSTGRES_PASSWORD", "")}
    assert_no_secret_leaked(cluster, native["version"], secrets, tmp_path)


def test_cleanup_leaves_nothing_terminating(native):
    cluster, api = native["cluster"], native["api"]
    done = orch(cluster, "cleanup", "--yes", "--include-workflows", "--delete-data", "-o", "plain", "--timeout", "120")
    assert done.returncode == 0, done.stdout + done.stderr
    after = api.namespaces()
    assert not [n for n, o in after.items() if (o.get("status") or {}).get("phase") == "Terminating"]
    assert set(after) - native["before"] <= {"orch-sim"}, set(after) - native["before"]
    assert "team-a" in after and api.list("operators.coreos.com/v1alpha1", "Subscription") == []
    assert api.list("sonataflow.org/v1alpha08", "SonataFlowClusterPlatform") == []
