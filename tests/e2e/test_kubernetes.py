"""`orch install` on the vanilla flavour: no OLM, no Routes. The operators come from the stand-in release
manifests the harness's loopback mirror serves (tests/cluster/mirror.py, pins in ORCH_MANIFEST_PINS); the Knative
operator is the real one (under the supervisor), the SonataFlow and RHDH operators are simulated.

One module-scoped cluster and one install (the fixture); every other test re-runs against it. orch runs as the
user `orch-runner` (group system:masters) so the audit log attributes its requests."""

from __future__ import annotations

import json
import shutil
import time

import pytest
import yaml

from tests.cluster.audit import AuditLog
from tests.helpers import run_orch
from tests.json_schemas import validate

pytestmark = [pytest.mark.cluster]

URL = "Backstage URL: http://localhost:9090"
REVIEWS = {"selfsubjectrulesreviews", "selfsubjectaccessreviews"}
RUNNER = "orch-runner"


def writes(events):
    return [e for e in events if e.is_write and e.resource not in REVIEWS]


@pytest.fixture(scope="module")
def vanilla(request):
    from tests.conftest import _start

    cluster = _start("vanilla")
    request.addfinalizer(cluster.stop)
    runner = cluster.make_user(RUNNER, ["system:masters"])
    return cluster, runner


def orch(vanilla, *args, env=None, timeout=300):
    cluster, runner = vanilla
    return run_orch(cluster, *args, kubeconfig=runner, env=env, timeout=timeout)


def orch_writes(cluster, since):
    time.sleep(1)  # the audit backend flushes asynchronously
    return writes(AuditLog(cluster.audit_log).events(since=since, user=RUNNER))


@pytest.fixture(scope="module")
def preflight_without_ingress_class(vanilla):
    """Before the install: with the IngressClass gone, pre-flight says what is missing; nothing is written."""
    from kubernetes import client

    cluster, _ = vanilla
    net = client.NetworkingV1Api(cluster.api_client())
    net.delete_ingress_class("contour")
    mark = AuditLog(cluster.audit_log).mark()
    try:
        check = orch(vanilla, "check", "--pre", "-o", "json")
        install = orch(vanilla, "install", "--use-default", "-o", "plain")
        return check, install, orch_writes(cluster, mark)
    finally:
        from tests.cluster.harness import INGRESS_CLASS

        cluster.apply_manifests([INGRESS_CLASS])


@pytest.fixture(scope="module")
def installed(vanilla, preflight_without_ingress_class):
    cluster, _ = vanilla
    mark = AuditLog(cluster.audit_log).mark()
    first = orch(vanilla, "install", "--use-default", "-o", "plain", "--timeout", "240", timeout=400)
    return first, mark


def test_missing_ingress_class_is_reported_by_preflight_and_nothing_is_written(preflight_without_ingress_class):
    check, install, written = preflight_without_ingress_class
    assert check.returncode == 4, check.stdout + check.stderr
    results = {r["id"]: r for r in validate(["check", "--pre"], check.stdout)["checks"]}
    assert results["ingress-class"]["status"] == "failed"
    assert results["ingress-class"]["message"].startswith("no IngressClass")
    assert results["openshift-version"]["status"] == "skipped" and results["olm"]["status"] == "skipped"
    assert results["storage-class"]["status"] == "ok" and results["permissions"]["status"] == "ok"
    assert install.returncode == 4
    assert "error: pre-flight failed (ingress-class); nothing was written" in install.stderr
    assert written == [], [str(e) for e in written]


def test_fresh_install_on_kubernetes(vanilla, installed):
    from kubernetes import client

    cluster, _ = vanilla
    first, _ = installed
    assert first.returncode == 0, first.stdout + first.stderr
    assert URL in first.stdout
    assert "sha256" in first.stdout and "Subscription" not in first.stdout
    ing = client.NetworkingV1Api(cluster.api_client()).read_namespaced_ingress("backstage", "rhdh-operator")
    assert ing.spec.ingress_class_name == "contour" and ing.spec.rules[0].host == "localhost"
    assert ing.spec.rules[0].http.paths[0].backend.service.name == "backstage-backstage"
    # the real Knative operator made KnativeServing (Kourier) and KnativeEventing Ready
    dep = client.AppsV1Api(cluster.api_client()).read_namespaced_deployment("knative-operator", "default")
    assert dep.metadata.labels["app.kubernetes.io/managed-by"] == "orch"
    assert any(k.startswith("default/knative-operator") for k in cluster.supervisor_state())


def test_rerun_writes_nothing(vanilla, installed):
    cluster, _ = vanilla
    assert installed[0].returncode == 0
    mark = AuditLog(cluster.audit_log).mark()
    second = orch(vanilla, "install", "--use-default", "-o", "plain", "--timeout", "60")
    assert second.returncode == 0, second.stdout + second.stderr
    assert "everything already in place" in second.stdout and URL in second.stdout
    assert orch_writes(cluster, mark) == []
    dry = orch(vanilla, "install", "--use-default", "--dry-run", "-o", "yaml")
    for value in _secret_values(cluster):  # generated once, never printed (the dry run redacts them)
        for out in (installed[0], second, dry):
            assert value not in out.stdout + out.stderr


def _secret_values(cluster) -> list[str]:
    import base64

    from kubernetes import client

    core = client.CoreV1Api(cluster.api_client())
    out = []
    for name, ns in (("backstage-backend-auth-secret", "rhdh-operator"), ("sonataflow-psql-postgresql",
                                                                          "sonataflow-infra")):
        data = core.read_namespaced_secret(name, ns).data or {}
        out += [base64.b64decode(v).decode() for k, v in data.items() if k not in ("postgres-username",
                                                                                   "K8S_CLUSTER_URL")]
    assert len(out) >= 3
    return out


def _pins(cluster) -> dict:
    return yaml.safe_load(cluster.manifest_pins.read_text())


def test_digest_mismatch_is_refused_with_nothing_written(vanilla, installed, tmp_path):
    cluster, _ = vanilla
    assert installed[0].returncode == 0
    pins = _pins(cluster)
    for version in pins:
        pins[version]["sonataflow-operator"]["sha256"] = "0" * 64
    bad = tmp_path / "pins.yaml"
    bad.write_text(yaml.safe_dump(pins))
    mark = AuditLog(cluster.audit_log).mark()
    out = orch(vanilla, "install", "--use-default", "-o", "plain", env={"ORCH_MANIFEST_PINS": str(bad)})
    assert out.returncode == 17, out.stdout + out.stderr
    errors = [line for line in out.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "release manifest sonataflow-operator (http://127.0.0.1:" in errors[0]
    assert "does not match its pin: sha256" in errors[0] and "instead of 0000000000000000…" in errors[0]
    assert errors[0].endswith("; nothing was written")
    assert orch_writes(cluster, mark) == []


def test_manifests_dir_installs_offline_and_verifies_the_files(vanilla, installed, tmp_path):
    """--manifests-dir: nothing is fetched (the pins' URLs point at a closed port), the files are verified."""
    from tests.cluster.harness import free_port

    cluster, _ = vanilla
    assert installed[0].returncode == 0
    pins = _pins(cluster)
    offline = tmp_path / "manifests"
    offline.mkdir()
    closed = f"http://127.0.0.1:{free_port()}"
    for version, components in pins.items():
        for component, pin in components.items():
            shutil.copy(cluster.mirror.dir / f"{component}.yaml", offline / f"{component}.yaml")
            pin["url"] = f"{closed}/{component}.yaml"
    pins_file = tmp_path / "pins.yaml"
    pins_file.write_text(yaml.safe_dump(pins))
    env = {"ORCH_MANIFEST_PINS": str(pins_file)}
    unreachable = orch(vanilla, "install", "--use-default", "-o", "plain", env=env)
    assert unreachable.returncode == 17 and "cannot be fetched" in unreachable.stderr, unreachable.stderr
    mark = AuditLog(cluster.audit_log).mark()
    ok = orch(vanilla, "install", "--use-default", "-o", "plain", "--manifests-dir", str(offline), env=env)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert str(offline / "knative-operator.yaml") in ok.stdout and URL in ok.stdout
    assert orch_writes(cluster, mark) == []
    tampered = offline / "rhdh-operator.yaml"
    tampered.write_text(tampered.read_text() + "\n# edited\n")
    bad = orch(vanilla, "install", "--use-default", "-o", "plain", "--manifests-dir", str(offline), env=env)
    assert bad.returncode == 17 and "release manifest rhdh-operator" in bad.stderr, bad.stderr


def test_openshift_only_options_are_refused_on_kubernetes(vanilla, installed):
    out = orch(vanilla, "install", "--use-default", "--gitops", "-o", "plain")
    assert out.returncode == 18, out.stdout + out.stderr
    assert "error: --gitops needs OpenShift GitOps" in out.stderr and "(platform kubernetes, detected)" in out.stderr


def test_dry_run_yaml_prints_the_manifests(vanilla, installed):
    out = orch(vanilla, "install", "--use-default", "--dry-run", "-o", "yaml")
    assert out.returncode == 0, out.stderr
    kinds = {(d["kind"], d["metadata"]["name"]) for d in yaml.safe_load_all(out.stdout) if d}
    assert {("Ingress", "backstage"), ("Backstage", "backstage"), ("KnativeServing", "knative-serving"),
            ("Deployment", "knative-operator"), ("ConfigMap", "orchestrator-installation")} <= kinds


# -- day 2 on Kubernetes (the same installation; cleanup last) -------------------------------------------------


def test_status_and_version_read_the_installation_record(vanilla, installed):
    assert installed[0].returncode == 0
    status = orch(vanilla, "status", "-o", "json")
    assert status.returncode == 0, status.stdout + status.stderr
    data = validate(["status"], status.stdout)  # and against docs/json-schemas
    assert data["summary"]["backstage_url"] == "http://localhost:9090"
    ids = {c["id"]: c["status"] for c in data["checks"]}
    for item in ("knative-operator", "knative-serving", "knative-eventing", "sonataflow-operator", "rhdh-operator",
                 "data-index", "jobs-service", "backstage", "postgres", "backstage-url"):
        assert ids[item] == "ok", (item, ids)
    assert not any(i.startswith("operator") for i in ids)  # no OLM CSV on Kubernetes
    version = orch(vanilla, "version", "-o", "plain")
    assert version.returncode == 0 and "Orchestrator: 1.3 (ConfigMap orchestrator-installation in orchestrator" \
        in version.stdout, version.stdout + version.stderr


def test_add_namespace_on_kubernetes(vanilla, installed):
    from kubernetes import client

    cluster, _ = vanilla
    assert installed[0].returncode == 0
    out = orch(vanilla, "workflow", "add-namespace", "team-a", "-o", "plain")
    assert out.returncode == 0, out.stdout + out.stderr
    net = client.NetworkingV1Api(cluster.api_client())
    assert {p.metadata.name for p in net.list_namespaced_network_policy("team-a").items} >= {
        "allow-rhdh-to-sonataflow-and-workflows", "allow-intra-namespace"}
    assert client.CoreV1Api(cluster.api_client()).read_namespaced_secret("sonataflow-psql-postgresql", "team-a")
    listed = orch(vanilla, "workflow", "list-namespaces", "-o", "json")
    assert listed.returncode == 0, listed.stderr
    mark = AuditLog(cluster.audit_log).mark()
    again = orch(vanilla, "workflow", "add-namespace", "team-a", "-o", "plain")
    assert again.returncode == 0 and orch_writes(cluster, mark) == []


def test_workflow_install_and_list_on_kubernetes(vanilla, installed, tmp_path_factory):
    from tests.charts import ChartRepository

    cluster, runner = vanilla
    assert installed[0].returncode == 0
    repo = ChartRepository.build(tmp_path_factory.mktemp("charts") / "repo", {"greeting": ["1.3.1"]},
                                 absolute=("greeting",))
    with repo.serve() as url:
        env = {"PATH": f"{cluster.bin_dir}:/usr/bin:/bin", "ORCH_WORKFLOW_REPO": url}
        out = orch(vanilla, "workflow", "install", "greeting", "-o", "plain", env=env)
        assert out.returncode == 0, out.stdout + out.stderr
        assert "Backstage URL: http://localhost:9090" in out.stdout
        listed = orch(vanilla, "workflow", "list", "-o", "json", env=env)
        assert listed.returncode == 0, listed.stderr
        assert [w["name"] for w in json.loads(listed.stdout)["summary"]["workflows"]] == ["greeting"]
        gone = orch(vanilla, "workflow", "uninstall", "greeting", "-o", "plain", env=env)
        assert gone.returncode == 0, gone.stdout + gone.stderr


def test_workflow_deploy_on_kubernetes(vanilla, installed, tmp_path):
    from pathlib import Path

    cluster, _ = vanilla
    assert installed[0].returncode == 0
    project = tmp_path / "greet"
    shutil.copytree(Path(__file__).parents[1] / "workflow_projects" / "valid" / "greet", project)
    out = orch(vanilla, "workflow", "deploy", str(project), "--image", "quay.io/acme/greet:1.0", "-o", "plain")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Running" in out.stdout
    listed = orch(vanilla, "workflow", "list", "-o", "json")
    assert "greet" in [w["name"] for w in json.loads(listed.stdout)["summary"]["workflows"]], listed.stdout
    gone = orch(vanilla, "workflow", "uninstall", "greet", "-o", "plain")
    assert gone.returncode == 0, gone.stdout + gone.stderr


def test_zz_cleanup_removes_operands_then_operators_and_leaves_nothing_terminating(vanilla, installed):
    from kubernetes import client

    cluster, _ = vanilla
    assert installed[0].returncode == 0
    out = orch(vanilla, "cleanup", "--yes", "--delete-data", "-o", "json", timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr
    phases = {p["id"]: [t["object"] for t in p["targets"]] for p in validate(["cleanup"], out.stdout)["summary"][
        "plan"]["phases"]}
    assert any("KnativeServing knative-serving" in o for o in phases["operands"])
    assert any("Deployment knative-operator in default" in o for o in phases["operators"])
    core = client.CoreV1Api(cluster.api_client())
    names = {n.metadata.name: n.status.phase for n in core.list_namespace().items}
    assert "Terminating" not in names.values(), names
    for ns in ("orchestrator", "sonataflow-infra", "rhdh-operator", "team-a", "sonataflow-operator-system",
               "knative-serving", "knative-eventing"):
        assert ns not in names
    assert "default" in names  # the Knative operator's namespace: not orch's
    apps = client.AppsV1Api(cluster.api_client())
    assert [d.metadata.name for d in apps.list_namespaced_deployment("default").items] == []
    assert orch(vanilla, "status", "-o", "plain").returncode == 11


def test_orchestrator_1_6_on_kubernetes_installs_reports_and_cleans_up(fresh_cluster):
    """The Go-operator generation's Kubernetes pins: install, status, cleanup on a cluster of its own."""
    from kubernetes import client

    runner = fresh_cluster.make_user(RUNNER, ["system:masters"])
    pair = (fresh_cluster, runner)
    out = orch(pair, "install", "--use-default", "--version", "1.6", "-o", "plain", "--timeout", "240", timeout=400)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Orchestrator 1.6 installed" in out.stdout and URL in out.stdout
    status = validate(["status"], orch(pair, "status", "-o", "json").stdout)
    assert status["summary"]["healthy"] and status["summary"]["version"] == "1.6"
    gone = orch(pair, "cleanup", "--yes", "--delete-data", "-o", "plain", timeout=600)
    assert gone.returncode == 0, gone.stdout + gone.stderr
    phases = {n.status.phase for n in client.CoreV1Api(fresh_cluster.api_client()).list_namespace().items}
    assert phases == {"Active"}
