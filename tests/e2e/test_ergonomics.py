"""Issue 15 against the real control plane: `orch version`, live completion values, `orch support-bundle`.

One OpenShift-flavoured cluster and one install for the module; every test reads it (the
namespace tests add and remove their own namespaces). orch's requests are told apart in the audit
log by its User-Agent (orch/<version>).
"""

from __future__ import annotations

import json
import os
import tarfile

import pytest
import yaml

from tests.cluster.audit import AuditLog
from tests.helpers import eventually
from tests.helpers import run_orch as orch
from tests.json_schemas import validate

pytestmark = [pytest.mark.cluster, pytest.mark.openshift]


@pytest.fixture(scope="module")
def installed(request):
    from tests.conftest import _start

    cluster = _start("openshift")
    request.addfinalizer(cluster.stop)
    res = orch(cluster, "install", "--use-default", "-o", "plain", "--timeout", "180")
    assert res.returncode == 0, res.stdout + res.stderr
    return cluster


def orch_json(cluster, *args, code=0):
    res = orch(cluster, *args, "-o", "json")
    assert res.returncode == code, res.stdout + res.stderr
    return validate(args, res.stdout)


def _operators_settled(cluster) -> dict | None:
    """`orch version`'s summary once every operator CSV it names is Succeeded, else None."""
    data = orch_json(cluster, "version")["summary"]
    return data if all(o["phase"] == "Succeeded" for o in data["cluster"]["operators"]) else None


def test_version_names_generation_operator_csvs_and_backstage(installed):
    # The 1.3 operator subscribes to the Serverless Logic operator with Automatic approval and an old
    # startingCSV, so real OLM upgrades it to the channel head after the install: version reports the
    # CSV as Replacing meanwhile. Its answer is checked once OLM has settled.
    data = eventually(lambda: _operators_settled(installed), timeout=180, what="operator CSVs Succeeded",
                      describe=lambda: orch_json(installed, "version")["summary"]["cluster"]["operators"])
    cluster = data["cluster"]
    assert cluster["reachable"] and cluster["kubernetes"].startswith("v1.") and cluster["openshift"] == "4.14.12"
    assert cluster["orchestrator"]["generation"] == "1.3" and cluster["orchestrator"]["managed_by_orch"]
    ops = {o["component"]: o for o in cluster["operators"]}
    assert set(ops) == {"orchestrator-operator", "serverless-logic-operator", "serverless-operator", "rhdh-operator"}
    assert ops["orchestrator-operator"]["installed_csv"] == "orchestrator-operator.v1.3.1"
    assert ops["orchestrator-operator"]["version"] == "1.3.1"
    assert all(o["found"] and o["phase"] == "Succeeded" and o["version"] for o in ops.values()), ops
    assert cluster["backstage"]["images"] and cluster["backstage"]["rhdh_version"] == ops["rhdh-operator"]["version"]
    same = orch(installed, "--version", "-o", "json")  # `orch --version -o json` is `orch version -o json`
    assert same.returncode == 0 and validate(["--version"], same.stdout)["summary"]["cluster"]["orchestrator"]["generation"] == "1.3"
    plain = orch(installed, "version")
    assert "Orchestrator: 1.3" in plain.stdout and "orchestrator-operator.v1.3.1" in plain.stdout


def _complete(cluster, words: str) -> list[str]:
    # a loaded test machine must not turn a slow answer into "no suggestions": the bound is raised here
    res = orch(cluster, env={"_ORCH_COMPLETE": "complete_bash", "COMP_WORDS": words, "ORCH_COMPLETION_TIMEOUT": "60",
                             "COMP_CWORD": str(len(words.split(" ")) - 1)})
    assert res.returncode == 0, res.stderr
    return res.stdout.split()


def test_completion_offers_live_namespaces(installed):
    res = orch(installed, "workflow", "add-namespace", "compl-wf", "-o", "plain")
    assert res.returncode == 0, res.stdout + res.stderr
    assert _complete(installed, "orch workflow remove-namespace ") == ["compl-wf", "sonataflow-infra"]
    assert _complete(installed, "orch workflow remove-namespace compl") == ["compl-wf"]
    fresh = _complete(installed, "orch workflow add-namespace ")
    assert "orchestrator" in fresh and "compl-wf" not in fresh
    assert not [n for n in fresh if n.startswith(("kube-", "openshift-")) or n == "default"]  # refused anyway
    contexts = _complete(installed, "orch status --context ")
    kubeconfig = yaml.safe_load(installed.kubeconfig.read_text())
    assert contexts == [c["name"] for c in kubeconfig["contexts"]]
    assert orch(installed, "workflow", "remove-namespace", "compl-wf", "--yes", "-o", "plain").returncode == 0


def test_several_namespaces_one_plan_one_lock_one_report(installed):
    """add-namespace / remove-namespace NS...: one lock, one report, a Terminating namespace fails alone (exit 21)."""
    from kubernetes import client as k8s

    core = k8s.CoreV1Api(installed.api_client())
    log = AuditLog(installed.audit_log)
    # A namespace held in Terminating by a ConfigMap's finalizer (nothing processes it)
    core.create_namespace({"metadata": {"name": "multi-term"}})
    core.create_namespaced_config_map("multi-term", {"metadata": {"name": "hold", "finalizers": ["example.com/hold"]}})
    core.delete_namespace("multi-term")
    try:
        mark = log.mark()
        res = orch(installed, "workflow", "add-namespace", "multi-a", "multi-term", "multi-b", "-o", "json")
        assert res.returncode == 21, res.stdout + res.stderr
        report = validate(("workflow", "add-namespace"), res.stdout)
        s = report["summary"]
        assert [(n["namespace"], n["ok"]) for n in s["namespaces"]] == \
            [("multi-a", True), ("multi-term", False), ("multi-b", True)]
        assert s["failed"] == ["multi-term"] and s["namespaces"][1]["error"]["exit_code"] == 5
        assert "Terminating" in s["namespaces"][1]["error"]["message"]
        assert report["error"]["exit_code"] == 21 and "1 of 3" in report["error"]["message"]
        assert [st["id"] for st in report["steps"]] == \
            ["add-namespace/multi-a", "add-namespace/multi-term", "add-namespace/multi-b"]
        writes = [e for e in log.events(since=mark, user_agent_prefix="orch/") if e.is_write]
        assert [e.verb for e in writes if e.resource == "leases"].count("create") == 1  # one lock for the call
        assert not [e for e in writes if e.namespace == "multi-term" and e.resource != "leases"]
        for name in ("multi-a", "multi-b"):
            assert core.read_namespaced_secret("sonataflow-psql-postgresql", name).data

        mark = log.mark()
        again = orch(installed, "workflow", "add-namespace", "multi-a", "multi-b", "multi-a", "-o", "plain")
        assert again.returncode == 0, again.stdout + again.stderr
        assert "multi-a: nothing to change (already enabled)" in again.stdout
        assert "2 of 2 namespaces done" in again.stdout
        assert [e for e in log.events(since=mark, user_agent_prefix="orch/") if e.is_write] == []

        listing = orch_json(installed, "workflow", "list-namespaces")
        complete = {n["namespace"]: n["complete"] for n in listing["summary"]["namespaces"]}
        assert complete["multi-a"] and complete["multi-b"]

        mark = log.mark()
        removed = orch(installed, "workflow", "remove-namespace", "multi-a", "multi-b", "--yes", "-o", "json")
        assert removed.returncode == 0, removed.stdout + removed.stderr
        r = validate(("workflow", "remove-namespace"), removed.stdout)["summary"]
        assert [(n["namespace"], n["changed"]) for n in r["namespaces"]] == [("multi-a", True), ("multi-b", True)]
        writes = [e for e in log.events(since=mark, user_agent_prefix="orch/") if e.is_write]
        assert [e.verb for e in writes if e.resource == "leases"].count("create") == 1
        assert {e.name for e in writes if e.resource == "namespaces" and e.verb == "delete"} == {"multi-a", "multi-b"}
    finally:
        core.patch_namespaced_config_map("hold", "multi-term", {"metadata": {"finalizers": None}})


def _members(path) -> dict[str, str]:
    with tarfile.open(path) as tar:
        return {m.name.split("/", 1)[1]: tar.extractfile(m).read().decode() for m in tar.getmembers() if m.isfile()}


def test_support_bundle_collects_the_troubleshooting_list_and_writes_nothing(installed, tmp_path):
    installed.append_pod_log("bundle e2e: a line every container logs")
    log = AuditLog(installed.audit_log)
    mark = log.mark()
    target = tmp_path / "case.tar.gz"
    res = orch(installed, "support-bundle", "-o", str(target), "--format", "json")
    assert res.returncode == 0, res.stdout + res.stderr
    events = log.events(since=mark, user_agent_prefix="orch/")
    assert events and [str(e) for e in events if e.is_write] == []  # read-only, proven by the API server
    summary = validate(["support-bundle"], res.stdout)["summary"]
    files = _members(target)
    assert summary["file"] == str(target) and summary["size_bytes"] == os.path.getsize(target)
    assert sorted(f["path"] for f in summary["files"]) == sorted(files)  # the list printed is the archive's
    assert not (tmp_path / "case.tar.gz.partial").exists()
    expected = ["cluster/version.json", "cluster/nodes.yaml", "orch-status.json",
                "namespaces/orchestrator/orchestrators.rhdh.redhat.com.yaml",
                "namespaces/sonataflow-infra/sonataflowplatforms.sonataflow.org.yaml",
                "namespaces/knative-serving/knativeservings.operator.knative.dev.yaml",
                "namespaces/knative-eventing/knativeeventings.operator.knative.dev.yaml",
                "namespaces/rhdh-operator/backstages.rhdh.redhat.com.yaml",
                "namespaces/openshift-operators/subscriptions.operators.coreos.com.yaml",
                "namespaces/openshift-operators/installplans.operators.coreos.com.yaml",
                "namespaces/openshift-operators/clusterserviceversions.operators.coreos.com.yaml",
                "namespaces/sonataflow-infra/deployments.yaml", "namespaces/sonataflow-infra/statefulsets.yaml",
                "namespaces/sonataflow-infra/pods.yaml", "namespaces/sonataflow-infra/events.txt",
                "namespaces/sonataflow-infra/networkpolicies.yaml", "namespaces/rhdh-operator/secrets.yaml",
                "index.json", "README.txt"]
    assert [p for p in expected if p not in files] == []
    cr = yaml.safe_load(files["namespaces/orchestrator/orchestrators.rhdh.redhat.com.yaml"])["items"][0]
    assert cr["status"]["conditions"] and "managedFields" not in cr["metadata"]  # CRs with their status
    pods = yaml.safe_load(files["namespaces/sonataflow-infra/pods.yaml"])["items"]
    assert pods and all(p["status"].get("conditions") for p in pods)
    status = validate(["status"], files["orch-status.json"])
    assert status["summary"]["command"] == "status" and status["summary"]["healthy"]
    logs = [p for p in files if "/logs/" in p]
    assert logs and all("bundle e2e: a line every container logs" in files[p] for p in logs), logs
    secrets = yaml.safe_load(files["namespaces/rhdh-operator/secrets.yaml"])["items"]
    backend = next(s for s in secrets if s["metadata"]["name"] == "backstage-backend-auth-secret")
    assert backend["data"] and set(backend["data"].values()) == {"<redacted>"}
    index = json.loads(files["index.json"])
    assert "sonataflow-infra" in index["namespaces"] and index["orchestrator"] == "1.3"


def test_support_bundle_bad_output_is_refused_before_connecting(installed, tmp_path):
    log = AuditLog(installed.audit_log)
    mark = log.mark()
    existing = tmp_path / "taken.tar.gz"
    existing.write_text("keep me")
    for args, text in (((str(existing),), "already exists"), (("json",), "must end in .tar.gz"),
                       ((str(tmp_path / "missing" / "b.tar.gz"),), "does not exist")):
        res = orch(installed, "support-bundle", "-o", *args, "--format", "plain")
        assert res.returncode == 2 and text in res.stderr, res.stdout + res.stderr
    assert existing.read_text() == "keep me" and sorted(p.name for p in tmp_path.iterdir()) == ["taken.tar.gz"]
    assert log.events(since=mark, user_agent_prefix="orch/") == []  # not even a read
