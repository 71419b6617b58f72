"""`orch install` against the real control plane with the simulated OpenShift platform.

Each test names the acceptance criterion of issue 4 it proves. Requests are attributed to orch
through its User-Agent (orch/<version>) in the apiserver audit log.
"""

from __future__ import annotations

import base64
import signal
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from tests.cluster.audit import AuditLog
from tests.helpers import ORCH
from tests.helpers import run_orch as orch
from tests.helpers import eventually, set_sim_config

pytestmark = [pytest.mark.cluster, pytest.mark.openshift]

URL = "Backstage URL: https://backstage-backstage-rhdh-operator.apps.orch.local"
# Reviews are answered, never stored: they are how pre-flight asks "may I?", not writes.
REVIEWS = {"selfsubjectrulesreviews", "selfsubjectaccessreviews"}


def writes(events):
    return [e for e in events if e.is_write and e.resource not in REVIEWS]


def secret_values(cluster, name, namespace):
    from kubernetes import client

    s = client.CoreV1Api(cluster.api_client()).read_namespaced_secret(name, namespace)
    return {k: base64.b64decode(v).decode() for k, v in (s.data or {}).items()}



def _subscription_with_installed_csv(dyn, csv: str) -> dict:
    """orch's Subscription once it records `csv` as installed (real OLM records installedCSV a little
    after the CSV Succeeded, which is what the install waits for)."""
    res = dyn.resources.get(api_version="operators.coreos.com/v1alpha1", kind="Subscription")
    return eventually(lambda: (s := res.get(name="orchestrator-operator", namespace="openshift-operators").to_dict())
                      and (s.get("status") or {}).get("installedCSV") == csv and s, 60,
                      what=f"Subscription orchestrator-operator installedCSV {csv}")

@pytest.fixture(scope="module")
def installed(request):
    """One OpenShift-flavoured cluster for this module, with a first `orch install --use-default`."""
    from tests.conftest import _start

    cluster = _start("openshift")
    request.addfinalizer(cluster.stop)
    first = orch(cluster, "install", "--use-default", "-o", "plain", "--timeout", "120")
    return cluster, first


def test_fresh_install_prints_backstage_url(installed):
    cluster, first = installed
    assert first.returncode == 0, first.stdout + first.stderr
    assert URL in first.stdout
    assert "created" in first.stdout


def test_version_is_pinned_no_upgrade_approved(installed):
    """Manual approval: OLM's upgrade plan to 1.4.0 exists but orch never approves it."""
    from kubernetes import dynamic

    cluster, first = installed
    assert first.returncode == 0
    dyn = dynamic.DynamicClient(cluster.api_client())
    sub = _subscription_with_installed_csv(dyn, "orchestrator-operator.v1.3.1")
    assert sub["spec"]["installPlanApproval"] == "Manual"
    csvs = dyn.resources.get(api_version="operators.coreos.com/v1alpha1", kind="ClusterServiceVersion").get(
        namespace="openshift-operators").to_dict()["items"]
    assert "orchestrator-operator.v1.4.0" not in {c["metadata"]["name"] for c in csvs}


def test_second_run_writes_nothing_and_keeps_secrets(installed):
    cluster, first = installed
    assert first.returncode == 0
    backend = secret_values(cluster, "backstage-backend-auth-secret", "rhdh-operator")
    pg = secret_values(cluster, "sonataflow-psql-postgresql", "sonataflow-infra")
    audit = AuditLog(cluster.audit_log)
    mark = audit.mark()
    second = orch(cluster, "install", "--use-default", "-o", "plain", "--timeout", "60")
    assert second.returncode == 0, second.stdout + second.stderr
    assert "everything already in place" in second.stdout
    assert URL in second.stdout
    time.sleep(1)  # the audit backend flushes asynchronously
    events = audit.events(since=mark, user_agent_prefix="orch/")
    assert events, "no orch requests found in the audit log"
    assert writes(events) == [], [str(e) for e in writes(events)]
    assert len(events) < 60, f"{len(events)} requests for a no-op re-run"
    assert secret_values(cluster, "backstage-backend-auth-secret", "rhdh-operator") == backend
    assert secret_values(cluster, "sonataflow-psql-postgresql", "sonataflow-infra") == pg
    for value in [backend["BACKEND_SECRET"], backend["K8S_CLUSTER_TOKEN"], pg["postgres-password"]]:
        for out in (first.stdout, first.stderr, second.stdout, second.stderr):
            assert value not in out


def test_hand_edited_value_kept_unless_given_explicitly(installed):
    from kubernetes import client

    cluster, first = installed
    core = client.CoreV1Api(cluster.api_client())
    core.patch_namespaced_secret("backstage-backend-auth-secret", "rhdh-operator",
                                 {"data": {"GITHUB_TOKEN": base64.b64encode(b"edited-by-hand-1234").decode()}})
    rerun = orch(cluster, "install", "--use-default", "-o", "plain", "--timeout", "60")
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert secret_values(cluster, "backstage-backend-auth-secret", "rhdh-operator")["GITHUB_TOKEN"] == "edited-by-hand-1234"
    explicit = orch(cluster, "install", "--use-default", "-o", "plain", "--timeout", "60",
                    env={"GITHUB_TOKEN": "given-explicitly-5678"})
    assert explicit.returncode == 0, explicit.stdout + explicit.stderr
    values = secret_values(cluster, "backstage-backend-auth-secret", "rhdh-operator")
    assert values["GITHUB_TOKEN"] == "given-explicitly-5678"
    assert "given-explicitly-5678" not in explicit.stdout + explicit.stderr


def test_dry_run_yaml_writes_nothing_and_redacts(installed):
    cluster, _ = installed
    audit = AuditLog(cluster.audit_log)
    mark = audit.mark()
    dry = orch(cluster, "install", "--use-default", "--dry-run", "-o", "yaml", "--workflow-namespace", "wf-dry")
    assert dry.returncode == 0, dry.stderr
    docs = [d for d in yaml.safe_load_all(dry.stdout) if d]
    kinds = {d["kind"] for d in docs}
    assert {"Namespace", "Secret", "StatefulSet", "Subscription", "Orchestrator"} <= kinds
    for d in docs:
        if d["kind"] == "Secret" and d.get("data"):
            assert set(d["data"].values()) == {"<redacted>"}
    backend = secret_values(cluster, "backstage-backend-auth-secret", "rhdh-operator")["BACKEND_SECRET"]
    assert backend not in dry.stdout + dry.stderr
    time.sleep(1)
    assert writes(audit.events(since=mark, user_agent_prefix="orch/")) == []


def test_user_without_permissions_fails_preflight_listing_all(installed):
    cluster, _ = installed
    kubeconfig = cluster.make_user("alice", groups=["team-a"])
    audit = AuditLog(cluster.audit_log)
    mark = audit.mark()
    check = orch(cluster, "check", "--pre", "-o", "json", kubeconfig=kubeconfig)
    assert check.returncode == 4, check.stdout + check.stderr
    from tests.json_schemas import validate

    report = validate(["check", "--pre"], check.stdout)  # the JSON is also checked against its schema
    perm = next(c for c in report["checks"] if c["id"] == "permissions")
    assert perm["status"] == "failed"
    listed = "\n".join(perm["details"])
    for expected in ("create namespaces (cluster-wide)", "create subscriptions.operators.coreos.com in namespace "
                     "openshift-operators", "patch secrets in namespace rhdh-operator",
                     "create statefulsets.apps in namespace sonataflow-infra"):
        assert expected in listed
    assert len(perm["details"]) > 30
    inst = orch(cluster, "install", "--use-default", "-o", "plain", kubeconfig=kubeconfig)
    assert inst.returncode == 4, inst.stdout + inst.stderr
    assert "nothing was written" in inst.stderr
    time.sleep(1)
    assert writes(audit.events(since=mark, user="alice")) == []


@pytest.mark.parametrize("args, code, message", [
    (["--workflow-namespace", "Bad_NS"], 2, "is not a valid name"),
    (["--rhdh-namespace", "openshift-foo"], 2, "reserved"),
    (["--workflow-namespace", "a" * 64], 2, "limit is 63"),
    (["--version", "1.9"], 2, "unknown Orchestrator version"),
    (["--values", "/nonexistent/values.yaml"], 2, "does not exist"),
    (["--context", "no-such-context"], 3, "context 'no-such-context' not found"),
    (["--configure-rhdh"], 2, "needs --existing-rhdh"),
    (["--tekton"], 2, "needs --gitops"),
])
def test_invalid_input_one_line_error_and_nothing_written(installed, args, code, message):
    cluster, _ = installed
    audit = AuditLog(cluster.audit_log)
    mark = audit.mark()
    out = orch(cluster, "install", "--use-default", *args)
    assert out.returncode == code, out.stdout + out.stderr
    errors = [line for line in out.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and message in errors[0], out.stderr
    time.sleep(0.5)
    assert [e for e in audit.events(since=mark, user_agent_prefix="orch/")] == []


def test_bad_values_file_and_unreachable_server(installed, tmp_path):
    cluster, _ = installed
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("version: [1.3\n")
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text("workflowNamespace: wf\nnoSuchKey: 1\n")
    wrong_type = tmp_path / "type.yaml"
    wrong_type.write_text("gitops:\n  enabled: maybe\n")
    for path, message in ((bad_yaml, "not valid YAML"), (unknown, "unknown key 'noSuchKey'"),
                          (wrong_type, "must be true or false")):
        out = orch(cluster, "install", "--use-default", "--values", str(path))
        assert out.returncode == 2 and message in out.stderr, out.stderr
    down = yaml.safe_load(Path(cluster.kubeconfig).read_text())
    down["clusters"][0]["cluster"]["server"] = "https://127.0.0.1:1"
    kc = tmp_path / "down.kubeconfig"
    kc.write_text(yaml.safe_dump(down))
    out = orch(cluster, "install", "--use-default", "--kubeconfig", str(kc))
    assert out.returncode == 3 and "cannot reach the API server" in out.stderr, out.stderr


def test_version_14(fresh_openshift_cluster):
    cluster = fresh_openshift_cluster
    out = orch(cluster, "install", "--use-default", "--version", "1.4", "-o", "plain", "--timeout", "120")
    assert out.returncode == 0, out.stdout + out.stderr
    assert URL in out.stdout
    from kubernetes import dynamic

    dyn = dynamic.DynamicClient(cluster.api_client())
    cr = dyn.resources.get(api_version="rhdh.redhat.com/v1alpha2", kind="Orchestrator").get(
        name="orchestrator", namespace="orchestrator").to_dict()
    assert cr["apiVersion"] == "rhdh.redhat.com/v1alpha2"
    sub = _subscription_with_installed_csv(dyn, "orchestrator-operator.v1.4.0")


def test_never_ready_times_out_while_others_finish_and_crashloop_fails_fast(fresh_openshift_cluster):
    cluster = fresh_openshift_cluster
    set_sim_config(cluster, {"never_ready": ["knativeeventing"],
                             "pod_faults": {"sonataflow-platform-jobs-service": "CrashLoopBackOff"}})
    start = time.monotonic()
    out = orch(cluster, "install", "--use-default", "-o", "json", "--timeout", "45",
               "--item-timeout", "knative-eventing=20")
    elapsed = time.monotonic() - start
    from tests.json_schemas import validate

    report = validate(["install"], out.stdout)
    assert out.returncode == 5, out.stdout[-3000:] + out.stderr
    waits = {w["id"]: w for w in report["waits"]}
    assert waits["jobs-service"]["state"] == "failed"
    assert "CrashLoopBackOff" in waits["jobs-service"]["reason"]
    assert waits["jobs-service"]["elapsed"] < 25  # fail fast, not at the 45 s timeout (2 busy cores)
    assert waits["knative-eventing"]["state"] == "timeout"
    assert 19 <= waits["knative-eventing"]["elapsed"] < 35  # its own timeout, not the default
    assert any(d.startswith("condition Ready=") for d in waits["knative-eventing"]["details"])
    # independent components finish; the platform depends on the crashing jobs service, so it may not
    for other in ("data-index", "knative-serving", "knative-openshift", "backstage", "logic-operator"):
        assert waits[other]["state"] == "ready", waits[other]
    assert elapsed < 90
    assert "jobs-service" in report["error"]["message"]
    # each failed item ends with where to look next
    assert "    hint: it needs PostgreSQL at start-up: kubectl -n sonataflow-infra logs " \
           "deployment/sonataflow-platform-jobs-service" in report["error"]["details"]


def test_install_killed_midway_completes_on_rerun(fresh_openshift_cluster):
    """SIGKILL during the operator step: the lease is left behind, the re-run waits for it and completes."""
    cluster = fresh_openshift_cluster
    set_sim_config(cluster, {"delay_seconds": {"installplan": 4}})
    env = cluster.env()
    proc = subprocess.Popen([ORCH, "install", "--use-default", "-o", "plain", "--timeout", "120"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if "approved: InstallPlan" in line or "waiting for OLM" in line:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    rerun = orch(cluster, "install", "--use-default", "-o", "plain", "--timeout", "120", "--lock-timeout", "90")
    assert rerun.returncode == 0, "".join(seen) + rerun.stdout + rerun.stderr
    assert URL in rerun.stdout
    assert "waiting for the install lock held by" in rerun.stdout


# Ctrl-C (and SIGTERM) in each step, the lock released and the re-run completing: tests/e2e/test_reliability.py.


def test_existing_rhdh_leaves_backstage_cr_unchanged(fresh_openshift_cluster):
    from kubernetes import dynamic

    cluster = fresh_openshift_cluster
    crd = yaml.safe_load((Path(__file__).parents[1] / "sim" / "crds" / "backstages.yaml").read_text())
    cluster.apply_manifests([crd])
    cluster.wait_crds_established([crd["metadata"]["name"]])
    cluster.apply_manifests([
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "my-rhdh"}},
        {"apiVersion": "rhdh.redhat.com/v1alpha1", "kind": "Backstage",
         "metadata": {"name": "developer-hub", "namespace": "my-rhdh"}, "spec": {}},
    ])
    dyn = dynamic.DynamicClient(cluster.api_client())
    backstages = dyn.resources.get(api_version="rhdh.redhat.com/v1alpha1", kind="Backstage")
    before = backstages.get(name="developer-hub", namespace="my-rhdh").to_dict()
    out = orch(cluster, "install", "--use-default", "--existing-rhdh", "my-rhdh", "-o", "plain", "--timeout", "120")
    assert out.returncode == 0, out.stdout + out.stderr
    after = backstages.get(name="developer-hub", namespace="my-rhdh").to_dict()
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
    assert "backstage-plugin-orchestrator" in out.stdout  # the plugin configuration to add
    assert "BACKEND_SECRET" in secret_values(cluster, "backstage-backend-auth-secret", "my-rhdh")
    subs = dyn.resources.get(api_version="operators.coreos.com/v1alpha1", kind="Subscription").get().to_dict()
    assert "rhdh" not in {s["metadata"]["name"] for s in subs["items"]}
    cr = dyn.resources.get(api_version="rhdh.redhat.com/v1alpha1", kind="Orchestrator").get(
        name="orchestrator", namespace="orchestrator").to_dict()
    assert cr["spec"]["rhdhOperator"]["enabled"] is False
    assert cr["spec"]["networkPolicy"]["rhdhNamespace"] == "my-rhdh"
