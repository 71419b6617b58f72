"""`orch workflow install / list / uninstall` on the OpenShift flavour (issue 10 acceptance).

One cluster and one `orch install --use-default` for the module; the tests run in order and build on each
other: the Quick Start (greeting), a second namespace (move2kube), the chart with duplicates (mta-v7),
chart upgrades and Helm's own `helm upgrade` with and without orch as post-renderer, the refusals, the
list, uninstall (refused while the SonataFlow operator is down), then `orch cleanup`. The charts are built
at test time from tests/charts and served on loopback with an index that carries their digests; Helm is
the real one, built from the module proxy. orch runs as the user `orch-runner`, and so do the helm and
post-renderer processes it starts: every write of the run is attributed in the audit log. Every output of
every command is kept and searched for secret values at the end.
"""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.cluster.audit import AuditLog
from tests.e2e.test_bad_inputs import INSTALLED_CASES, check_case
from tests.e2e.test_secret_leaks import leaks
from tests.helpers import ORCH, condition_status, eventually, set_sim_config

pytestmark = [pytest.mark.cluster, pytest.mark.openshift]

SF = ("sonataflow.org/v1alpha08", "SonataFlow")
RUNNER = "orch-runner"
REVIEWS = {"selfsubjectrulesreviews", "selfsubjectaccessreviews"}
CHARTS = {"greeting": ["1.3.0", "1.3.1", "1.3.2-rc1", "1.4.0"], "move2kube": ["1.3.0"], "mta-v7": ["1.3.0"]}
PLATFORM = "sonataflow-infra"
BACKSTAGE_URL = "http://backstage-backstage.rhdh-operator"
GREET_PROJECT = Path(__file__).parents[1] / "workflow_projects" / "valid" / "greet"
OPERATOR = ("apps/v1", "Deployment", "logic-operator-rhel8-controller-manager", "openshift-serverless-logic")


class Env:
    """The module's cluster, chart repository and a transcript of every orch command."""

    def __init__(self, cluster, repo_url: str, kubeconfig, workdir):
        from kubernetes import dynamic

        self.cluster, self.repo, self.kubeconfig, self.dir = cluster, repo_url, kubeconfig, workdir
        self.dyn = dynamic.DynamicClient(cluster.api_client())
        self.audit = AuditLog(cluster.audit_log)
        self.transcripts: dict[str, str] = {}

    def env(self, **extra) -> dict:
        env = self.cluster.env(self.kubeconfig)
        env["PATH"] = f"{self.cluster.bin_dir}:{env.get('PATH', '/usr/bin:/bin')}"  # helm on PATH, as for a user
        env["ORCH_WORKFLOW_REPO"] = self.repo  # the mirror: the upstream repositories are out of reach here
        for key in ("ORCH_HELM", "GITHUB_TOKEN", "GITLAB_TOKEN"):
            env.pop(key, None)
        env.update(extra)
        return env

    def run(self, *args, code=0, env=None, timeout=300, cmd=ORCH) -> subprocess.CompletedProcess:
        out = subprocess.run([cmd, *args], env=env or self.env(), capture_output=True, text=True, timeout=timeout,
                             stdin=subprocess.DEVNULL)
        label = f"{len(self.transcripts) // 2:03d} {' '.join(args)[:120]}"
        self.transcripts[f"{label}: stdout"], self.transcripts[f"{label}: stderr"] = out.stdout, out.stderr
        if code is not None:
            assert out.returncode == code, f"{' '.join(args)}: exit {out.returncode}\n{out.stdout}\n{out.stderr}"
        return out

    def orch_json(self, *args, code=0) -> dict:
        from tests.json_schemas import validate

        return validate(args, self.run(*args, "-o", "json", code=code).stdout)  # and against its JSON Schema

    def helm(self, *args, code=0):
        return self.run(*args, code=code, cmd=str(self.cluster.bin_dir / "helm"))

    def get(self, api_version, kind, name, namespace=None):
        from kubernetes.dynamic.exceptions import NotFoundError

        try:
            return self.dyn.resources.get(api_version=api_version, kind=kind).get(
                name=name, namespace=namespace).to_dict()
        except NotFoundError:
            return None

    def list(self, api_version, kind, namespace=None):
        return [i.to_dict() for i in self.dyn.resources.get(api_version=api_version, kind=kind).get(
            namespace=namespace).items]

    def secret(self, name, namespace) -> dict[str, str]:
        s = self.get("v1", "Secret", name, namespace)
        return {k: base64.b64decode(v).decode() for k, v in ((s or {}).get("data") or {}).items()}

    def writes(self, mark) -> list[str]:
        return [str(e) for e in self.audit.events(since=mark) if e.user == RUNNER and e.is_write
                and e.resource not in REVIEWS]

    def running(self, name, namespace) -> dict:
        return eventually(lambda: (lambda f: f if condition_status(f, "Running") == "True" else None)(
            self.get(*SF, name, namespace)), 60, what=f"SonataFlow {namespace}/{name} Running",
            describe=lambda: (self.get(*SF, name, namespace) or {}).get("status"))


@pytest.fixture(scope="module")
def env(request, tmp_path_factory):
    from tests.charts import KNATIVE_CRDS, ChartRepository
    from tests.conftest import _start

    cluster = _start("openshift")
    request.addfinalizer(cluster.stop)
    work = tmp_path_factory.mktemp("workflows")
    repo = ChartRepository.build(work / "repo", CHARTS, absolute=("greeting",))
    served = repo.serve()
    url = served.__enter__()
    request.addfinalizer(lambda: served.__exit__(None, None, None))
    repo.tamper("greeting", "1.3.1")
    crds = [d for d in yaml.safe_load_all(KNATIVE_CRDS.read_text()) if d]
    missing = [c for c in crds if not _crd_exists(cluster, c["metadata"]["name"])]
    if missing:  # the move2kube chart renders a Knative Service and Trigger
        cluster.apply_manifests(missing)
        cluster.wait_crds_established([c["metadata"]["name"] for c in missing])
    e = Env(cluster, url, cluster.make_user(RUNNER, ["system:masters"]), work)
    e.install = e.run("install", "--use-default", "-o", "plain", "--timeout", "300")
    return e


def _crd_exists(cluster, name) -> bool:
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException

    try:
        client.ApiextensionsV1Api(cluster.api_client()).read_custom_resource_definition(name)
        return True
    except ApiException as exc:
        if exc.status == 404:
            return False
        raise


def test_quick_start_greeting_running_wired_and_rerun_writes_nothing(env):
    assert "Next: install a workflow into sonataflow-infra: orch workflow install greeting" in env.install.stdout
    mark = env.audit.mark()
    out = env.run("workflow", "install", "greeting", "-o", "plain")  # exactly the Quick Start's second command
    assert env.writes(mark), "control: the first install writes (else the no-write check below proves nothing)"
    assert "Chart greeting-1.3.1 (sha256" in out.stdout  # the newest 1.3 release: not 1.3.2-rc1, not 1.4.0
    assert "Served in the cluster at http://greeting.sonataflow-infra" in out.stdout
    assert "Orchestrator -> Workflows -> greeting -> Run" in out.stdout
    assert "Backstage URL: https://backstage-backstage-rhdh-operator.apps.orch.local" in out.stdout

    flow = env.running("greeting", PLATFORM)
    assert condition_status(flow, "Built") == "False"  # gitops profile: BuildSkipped, normal
    container = flow["spec"]["podTemplate"]["container"]
    assert container["env"] == [{"name": "BACKSTAGE_NOTIFICATIONS_URL", "value": BACKSTAGE_URL}]
    assert env.get("v1", "Service", "backstage-backstage", "rhdh-operator")  # the URL names a real Service
    ref = flow["spec"]["persistence"]["postgresql"]["serviceRef"]
    assert ref == {"name": "sonataflow-psql-postgresql", "port": 5432, "databaseName": "sonataflow",
                   "databaseSchema": "greeting"}  # in the PostgreSQL namespace: no serviceRef.namespace
    dep = env.get("apps/v1", "Deployment", "greeting", PLATFORM)
    assert dep["spec"]["template"]["spec"]["containers"][0]["env"] == container["env"]  # it reached the pod
    releases = json.loads(env.helm("list", "-n", PLATFORM, "-o", "json").stdout)
    assert [(r["name"], r["chart"], r["status"]) for r in releases] == [("greeting", "greeting-1.3.1", "deployed")]

    mark = env.audit.mark()
    again = env.orch_json("workflow", "install", "greeting")
    assert again["summary"]["release"] == "unchanged" and not again["summary"]["changed"]
    assert env.writes(mark) == []  # helm and the post-renderer run as orch-runner too: none of them wrote


def test_dry_run_prints_wired_objects_redacted_and_writes_nothing(env):
    mark = env.audit.mark()
    out = env.run("workflow", "install", "move2kube", "-n", "team-a", "--dry-run", "-o", "yaml")
    docs = [d for d in yaml.safe_load_all(out.stdout) if d]
    creds = next(d for d in docs if d["kind"] == "Secret")
    assert creds["data"] == {"NOTIFICATIONS_BEARER_TOKEN": "<redacted>"}
    flow = next(d for d in docs if d["kind"] == "SonataFlow")
    assert flow["spec"]["persistence"]["postgresql"]["serviceRef"]["namespace"] == PLATFORM
    assert "would create: Namespace team-a" in out.stderr  # progress on stderr, objects alone on stdout
    assert env.writes(mark) == [] and env.get("v1", "Namespace", "team-a") is None


def test_second_namespace_is_prepared_and_move2kube_wired(env):
    token = env.secret("backstage-backend-auth-secret", "rhdh-operator")["BACKEND_SECRET"]
    out = env.run("workflow", "install", "move2kube", "-n", "team-a", "--set",
                  "workflow.move2kubeURL=https://m2k.example.com", "-o", "plain")
    assert "created: Namespace team-a (created by orch)" in out.stdout
    ns = env.get("v1", "Namespace", "team-a")
    assert "rhdh.redhat.com/workflow-namespace" in ns["metadata"]["labels"]
    assert env.secret("sonataflow-psql-postgresql", "team-a") == env.secret("sonataflow-psql-postgresql", PLATFORM)
    assert env.get("networking.k8s.io/v1", "NetworkPolicy", "allow-workflows-from-team-a", PLATFORM)
    listing = env.orch_json("workflow", "list-namespaces")
    assert {n["namespace"]: n["complete"] for n in listing["summary"]["namespaces"]}["team-a"] is True

    flow = env.running("m2k", "team-a")  # the simulated workflow reaches its database only through the wiring
    assert flow["spec"]["persistence"]["postgresql"]["serviceRef"]["namespace"] == PLATFORM
    env_vars = {e["name"]: e.get("value") for e in flow["spec"]["podTemplate"]["container"]["env"]}
    assert env_vars == {"BACKSTAGE_NOTIFICATIONS_URL": BACKSTAGE_URL, "MOVE2KUBE_URL": "https://m2k.example.com"}
    assert env.secret("m2k-creds", "team-a") == {"NOTIFICATIONS_BEARER_TOKEN": token}
    container = env.get("apps/v1", "Deployment", "m2k", "team-a")["spec"]["template"]["spec"]["containers"][0]
    assert container["envFrom"] == [{"secretRef": {"name": "m2k-creds"}}]
    ksvc = env.get("serving.knative.dev/v1", "Service", "m2k-save-transformation-func", "team-a")
    assert ksvc["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"] == "https://m2k.example.com"
    assert env.get("eventing.knative.dev/v1", "Trigger", "m2k-save-transformation-event", "team-a")
    assert env.get("apps/v1", "Deployment", "move2kube", "move2kube")  # the chart's own namespace and instance


def test_plain_helm_install_crash_loops_until_orch_wires_it(env):
    """What upstream's docs do (helm install, patch by hand later) against what orch does, in one namespace."""
    archive = env.dir / "repo" / "greeting-1.3.0.tgz"
    env.helm("install", "greeting", str(archive), "-n", "team-a")
    eventually(lambda: "CrashLoopBackOff" in json.dumps(
        env.list("v1", "Pod", "team-a")), 60, what="the unwired greeting crash-looping (no PostgreSQL in team-a)")
    out = env.orch_json("workflow", "install", "greeting", "-n", "team-a", "--chart-version", "1.3.0")
    assert out["summary"]["release"] == "update" and "SonataFlow greeting in team-a changed" in \
        out["summary"]["release_note"]
    flow = env.running("greeting", "team-a")
    assert flow["spec"]["persistence"]["postgresql"]["serviceRef"]["namespace"] == PLATFORM


def test_duplicate_objects_reduced_and_both_token_secrets_wired(env):
    token = env.secret("backstage-backend-auth-secret", "rhdh-operator")["BACKEND_SECRET"]
    out = env.run("workflow", "install", "mta-v7", "-o", "plain")
    assert "SonataFlow mta-analysis-v7 in sonataflow-infra is rendered 2 times; the last one is kept" in out.stderr
    flow = env.running("mta-analysis-v7", PLATFORM)
    assert flow["spec"]["podTemplate"]["container"]["image"].endswith(":orch-test")  # the last (05) one
    env_vars = {e["name"]: e for e in flow["spec"]["podTemplate"]["container"]["env"]}
    assert env_vars["MTA_URL"]["value"] == "http://mta-ui.openshift-mta.svc.cluster.local:8080"  # chart default
    for name in ("mta-analysis-v7-creds", "mta-analysis-v7-secrets"):
        assert env.secret(name, PLATFORM) == {"NOTIFICATIONS_BEARER_TOKEN": token}


def test_chart_upgrades_keep_the_wiring(env):
    def wired() -> bool:
        flow = env.get(*SF, "greeting", PLATFORM)
        return {"name": "BACKSTAGE_NOTIFICATIONS_URL", "value": BACKSTAGE_URL} in \
            (flow["spec"]["podTemplate"]["container"].get("env") or [])

    out = env.orch_json("workflow", "install", "greeting", "--chart-version", "1.3.0")
    assert out["summary"]["release"] == "update" and "greeting-1.3.1 -> greeting-1.3.0" in out["summary"]["release_note"]
    assert wired()
    # Helm's own upgrade with orch as post-renderer (the command docs/workflows.md shows) keeps the wiring ...
    archive = env.dir / "repo" / "greeting-1.3.1.tgz"
    env.helm("upgrade", "greeting", str(archive), "-n", PLATFORM, "--reset-values", "--post-renderer", ORCH,
             "--post-renderer-args", "workflow", "--post-renderer-args", "post-render",
             f"--post-renderer-args=--namespace={PLATFORM}")
    assert wired()
    mark = env.audit.mark()
    assert env.orch_json("workflow", "install", "greeting")["summary"]["release"] == "unchanged"
    assert env.writes(mark) == []  # ... exactly as orch wires it
    # ... and one without it loses the wiring (upstream's problem); orch's next run puts it back
    env.helm("upgrade", "greeting", str(archive), "-n", PLATFORM, "--reset-values")
    assert not wired()
    out = env.orch_json("workflow", "install", "greeting")
    assert out["summary"]["release"] == "update" and "rendered objects differ" in out["summary"]["release_note"]
    assert wired()


def test_installed_bad_inputs(env):
    """The rows of docs/bad-inputs.md that need an installed Orchestrator (tests/e2e/test_bad_inputs.py)."""
    import hashlib

    from tests.cluster.harness import free_port
    from tests.charts import package

    runner_dir = env.kubeconfig.parent
    (runner_dir / "runner.kubeconfig").write_text(env.kubeconfig.read_text())
    closed = f"http://127.0.0.1:{free_port()}"
    extra = {"repo": env.repo,
             "tampered_sha": hashlib.sha256(package("greeting", "1.3.1", tweak="altered")).hexdigest()[:16],
             "index_sha": hashlib.sha256(package("greeting", "1.3.1")).hexdigest()[:16]}
    for case in INSTALLED_CASES:
        stdout, stderr = check_case(case, env.cluster, runner_dir, closed, extra)
        env.transcripts[f"bad input {case.id}: stdout"], env.transcripts[f"bad input {case.id}: stderr"] = stdout, stderr


def test_list_shows_charts_compatibility_and_state(env):
    env.run("workflow", "install", "greeting", "-n", "team-a", "--chart-version", "1.4.0", "--allow-incompatible")
    env.cluster.apply_manifests([{"apiVersion": SF[0], "kind": SF[1], "metadata": {"name": "by-hand", "namespace":
                                  PLATFORM}, "spec": {"flow": {"start": "s", "states": []}}}])
    env.running("by-hand", PLATFORM)
    env.run("workflow", "deploy", str(GREET_PROJECT), "--image", "quay.io/orch-test/greet:1.0", "-o", "plain")
    rows = {(r["namespace"], r["name"]): r for r in env.orch_json("workflow", "list")["summary"]["workflows"]}
    assert set(rows) == {(PLATFORM, "greeting"), (PLATFORM, "mta-analysis-v7"), (PLATFORM, "by-hand"),
                         (PLATFORM, "greet"), ("team-a", "m2k"), ("team-a", "greeting")}
    assert (rows[(PLATFORM, "greet")]["source"], rows[(PLATFORM, "greet")]["chart"]) == ("project", None)
    g = rows[(PLATFORM, "greeting")]
    assert (g["chart"], g["chart_version"], g["compatible"], g["running"]) == ("greeting", "1.3.1", True, True)
    assert (rows[("team-a", "greeting")]["chart_version"], rows[("team-a", "greeting")]["compatible"]) == ("1.4.0", False)
    assert rows[("team-a", "m2k")]["chart"] == "move2kube" and rows[(PLATFORM, "by-hand")]["chart"] is None
    table = env.run("workflow", "list", "-o", "plain").stdout
    assert "team-a/greeting" in table and "INCOMPATIBLE" in table and "(not from a chart)" in table
    assert "(orch workflow deploy)" in table

    # a workflow of the chart's name that something else made is never taken over
    env.cluster.apply_manifests([{"apiVersion": SF[0], "kind": SF[1], "metadata": {"name": "mta-analysis-v7",
                                  "namespace": "team-a"}, "spec": {"flow": {"start": "s", "states": []}}}])
    mark = env.audit.mark()
    taken = env.run("workflow", "install", "mta-v7", "-n", "team-a", code=9)
    assert "SonataFlow mta-analysis-v7 in team-a exists and belongs to orch workflow deploy or a user" in taken.stderr
    assert env.writes(mark) == []
    env.dyn.resources.get(api_version=SF[0], kind=SF[1]).delete(name="mta-analysis-v7", namespace="team-a")


def test_uninstall_refused_while_the_operator_is_down_then_uninstall_and_cleanup(env):
    refused = env.run("cleanup", "--yes", code=9)
    assert "orch workflow uninstall" in refused.stderr
    not_ours = env.run("workflow", "uninstall", "by-hand", code=9)
    assert "was neither installed from a chart" in not_ours.stderr

    # the operator's Deployment replaced by a crash-looping one: the fault goes into its CSV's pod
    # template (tests/sim/olm.py) and real OLM rolls it out
    set_sim_config(env.cluster, {"pod_faults": {OPERATOR[2]: "CrashLoopBackOff"}})
    owner = (env.get(*OPERATOR)["metadata"].get("labels") or {})["olm.owner"]

    def csv_template_faulty():
        csv = env.get("operators.coreos.com/v1alpha1", "ClusterServiceVersion", owner, OPERATOR[3]) or {}
        deps = (((csv.get("spec") or {}).get("install") or {}).get("spec") or {}).get("deployments") or []
        return any(((d["spec"]["template"].get("metadata") or {}).get("labels") or {}).get(
            "sim.orch.dev/pod-fault") == "CrashLoopBackOff" for d in deps if d.get("name") == OPERATOR[2])
    eventually(csv_template_faulty, 60, what=f"CrashLoopBackOff in the pod template of CSV {owner}")
    eventually(lambda: condition_status(env.get(*OPERATOR) or {}, "Available") == "False", 60,
               what="SonataFlow operator not Available")
    mark = env.audit.mark()
    down = env.run("workflow", "uninstall", "greeting", code=9)
    assert "the SonataFlow operator (Deployment logic-operator-rhel8-controller-manager in " \
           "openshift-serverless-logic) is not Available" in down.stderr
    assert "CrashLoopBackOff" in down.stderr and "finalizers sonataflow.org/trigger-protection" in down.stderr
    assert env.writes(mark) == [] and env.get(*SF, "greeting", PLATFORM)
    set_sim_config(env.cluster, {})  # the CSV's template restored; OLM rolls the Deployment back
    eventually(lambda: condition_status(env.get(*OPERATOR) or {}, "Available") == "True", 90,
               what="SonataFlow operator Available again")

    dry = env.orch_json("workflow", "uninstall", "move2kube", "-n", "team-a", "--dry-run")
    assert "Namespace move2kube" in dry["summary"]["removed"]
    out = env.run("workflow", "uninstall", "move2kube", "-n", "team-a", "-o", "plain")
    assert "Workflow move2kube uninstalled from team-a" in out.stdout
    assert env.get("v1", "Namespace", "move2kube") is None and env.get(*SF, "m2k", "team-a") is None
    assert env.secret("sonataflow-psql-postgresql", "team-a")  # add-namespace's work stays
    assert "rhdh.redhat.com/workflow-namespace" in env.get("v1", "Namespace", "team-a")["metadata"]["labels"]
    for args in (("greeting",), ("mta-v7",), ("greeting", "-n", "team-a")):
        env.run("workflow", "uninstall", *args)
    deployed = env.orch_json("workflow", "uninstall", "greet")  # what `orch workflow deploy` made, orch deletes
    assert deployed["summary"]["source"] == "project" and "SonataFlow greet in sonataflow-infra" in \
        deployed["summary"]["removed"]
    assert env.get(*SF, "greet", PLATFORM) is None and env.get("v1", "ConfigMap", "greet-props", PLATFORM) is None
    mark = env.audit.mark()
    again = env.orch_json("workflow", "uninstall", "greeting")
    assert again["summary"]["nothing_to_do"] and env.writes(mark) == []
    env.dyn.resources.get(api_version=SF[0], kind=SF[1]).delete(name="by-hand", namespace=PLATFORM)
    eventually(lambda: env.get(*SF, "by-hand", PLATFORM) is None, 60, what="by-hand deleted")
    assert json.loads(env.helm("list", "-A", "-o", "json").stdout) == []

    env.run("cleanup", "--yes", "--delete-data", "-o", "plain", "--timeout", "180")
    namespaces = {n["metadata"]["name"]: n for n in env.list("v1", "Namespace")}
    assert not [n for n, o in namespaces.items() if (o.get("status") or {}).get("phase") == "Terminating"]
    assert "team-a" not in namespaces and PLATFORM not in namespaces  # orch created them: gone, not stuck


def test_no_secret_in_any_output(env):
    assert len(env.transcripts) >= 40
    secrets = {"BACKEND_SECRET": env.secret_values["BACKEND_SECRET"],
               "postgres-password": env.secret_values["postgres-password"]}
    found = leaks(env.transcripts, secrets)
    assert not found, "\n".join(found)


@pytest.fixture(scope="module", autouse=True)
def _remember_secrets(env):
    """The secret values, read while the installation exists (the last tests remove it)."""
    env.secret_values = {"BACKEND_SECRET": env.secret("backstage-backend-auth-secret", "rhdh-operator")["BACKEND_SECRET"],
                         "postgres-password": env.secret("sonataflow-psql-postgresql", PLATFORM)["postgres-password"]}
    assert all(len(v) >= 8 for v in env.secret_values.values())
