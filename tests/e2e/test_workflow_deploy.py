"""`orch workflow deploy` on the OpenShift flavour: one cluster and one `orch install` for the module.

The project is the authored tests/workflow_projects/valid/greet (copied per test where it is edited).
orch runs as the user `orch-runner` (a client certificate in system:masters), so the apiserver audit
log tells its requests from the simulators'. The simulated SonataFlow operator deploys the workflow
(Deployment + Service, Running once the Deployment is Available) and rolls the Deployment when the
workflow's properties ConfigMap changes, as the real one does.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from tests.cluster.audit import AuditLog
from tests.helpers import condition_status, eventually
from tests.helpers import run_orch as orch
from tests.json_schemas import validate

pytestmark = [pytest.mark.cluster, pytest.mark.openshift]

GREET = Path(__file__).parents[1] / "workflow_projects" / "valid" / "greet"
SF = "sonataflow.org/v1alpha08"
RUNNER = "orch-runner"
IMAGE = "quay.io/orch-test/serverless-workflow-greet:1.0"
WF_NS = "sonataflow-infra"
REVIEWS = {"selfsubjectrulesreviews", "selfsubjectaccessreviews"}


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


@pytest.fixture(scope="module")
def env(request, tmp_path_factory):
    from tests.conftest import _start

    cluster = _start("openshift")
    request.addfinalizer(cluster.stop)
    res = orch(cluster, "install", "--use-default", "-o", "plain", "--timeout", "180", timeout=600)
    assert res.returncode == 0, res.stdout + res.stderr
    runner = cluster.make_user(RUNNER, ["system:masters"])
    return cluster, runner, Api(cluster), AuditLog(cluster.audit_log), tmp_path_factory.mktemp("projects")


def deploy(cluster, runner, *args, timeout=300):
    return orch(cluster, "workflow", "deploy", *args, kubeconfig=runner, timeout=timeout)


def runner_events(log: AuditLog, mark: int):
    time.sleep(0.3)  # blocking audit mode: events are on disk; a margin for the file write
    return [e for e in log.events(since=mark, user=RUNNER)]


def writes(events) -> list[str]:
    return [str(e) for e in events if e.is_write and e.resource not in REVIEWS and e.resource != "leases"]


def copy_project(base: Path, name: str) -> Path:
    target = base / name
    shutil.copytree(GREET, target)
    return target


def test_deploy_runs_rerun_writes_nothing_change_rolls_out(env):
    cluster, runner, api, log, base = env
    project = copy_project(base, "greet")

    mark = log.mark()
    res = deploy(cluster, runner, str(project), "--image", IMAGE, "-o", "plain")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "Running" in res.stdout
    first = runner_events(log, mark)
    assert any("sonataflows" in w and w.startswith(("create", "patch")) for w in writes(first)), writes(first)

    flow = api.get(SF, "SonataFlow", "greet", WF_NS)
    assert condition_status(flow, "Running") == "True"
    md = flow["metadata"]
    assert md["labels"]["app.kubernetes.io/managed-by"] == "orch"
    assert md["annotations"]["sonataflow.org/profile"] == "gitops"
    assert md["annotations"]["sonataflow.org/version"] == "1.0"
    spec = flow["spec"]
    assert spec["podTemplate"]["container"]["image"] == IMAGE
    assert spec["flow"]["start"] == {"stateName": "ChooseLanguage"}
    assert spec["flow"]["dataInputSchema"] == {"schema": "schemas/greet-input.json", "failOnValidationErrors": True}
    assert "id" not in spec["flow"] and "extensions" not in spec["flow"]
    assert spec["resources"]["configMaps"] == [
        {"configMap": {"name": "01-greet-resources-schemas"}, "workflowPath": "schemas"},
        {"configMap": {"name": "02-greet-resources-specs"}, "workflowPath": "specs"}]
    pg = spec["persistence"]["postgresql"]
    assert pg["secretRef"] == {"name": "sonataflow-psql-postgresql", "userKey": "postgres-username",
                               "passwordKey": "postgres-password"}
    assert pg["serviceRef"] == {"name": "sonataflow-psql-postgresql", "port": 5432, "databaseName": "sonataflow",
                                "databaseSchema": "greet"}
    props = api.get("v1", "ConfigMap", "greet-props", WF_NS)["data"]["application.properties"]
    assert props.startswith((GREET / "application.properties").read_text())
    schemas = api.get("v1", "ConfigMap", "01-greet-resources-schemas", WF_NS)["data"]
    assert set(schemas) == {"greet-input.json", "workflow-output-schema.json"}
    assert api.get("v1", "ConfigMap", "02-greet-resources-specs", WF_NS)["data"]["notify.yaml"] == \
        (GREET / "specs" / "notify.yaml").read_text()
    dep = api.get("apps/v1", "Deployment", "greet", WF_NS)
    assert dep["spec"]["template"]["spec"]["containers"][0]["image"] == IMAGE

    # Re-run with nothing changed: no write at all (the install lock is not even taken).
    mark = log.mark()
    again = deploy(cluster, runner, str(project), "--image", IMAGE, "-o", "plain")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "nothing changed" in again.stdout
    events = runner_events(log, mark)
    assert writes(events) == [] and not any(e.resource == "leases" and e.is_write for e in events), writes(events)

    # A changed definition (and its new image): the CR is updated and the Deployment rolls out.
    definition = project / "greet.sw.yaml"
    definition.write_text(definition.read_text().replace('greeting: "Hola"', 'greeting: "¡Hola"'))
    template_before = dep["spec"]["template"]["metadata"].get("annotations") or {}
    generation_before = flow["metadata"]["generation"]
    changed = deploy(cluster, runner, str(project), "--image", IMAGE.replace(":1.0", ":1.1"), "-o", "json")
    assert changed.returncode == 0, changed.stdout + changed.stderr
    data = validate(["workflow", "deploy"], changed.stdout)  # and against docs/json-schemas/workflow-deploy.json
    assert data["summary"]["changed"] is True
    actions = {o["object"]: o["action"] for o in data["summary"]["objects"]}
    assert actions[f"SonataFlow greet in {WF_NS}"] == "update"
    assert actions[f"ConfigMap greet-props in {WF_NS}"] == "update"
    assert actions[f"ConfigMap 01-greet-resources-schemas in {WF_NS}"] == "unchanged"
    flow = api.get(SF, "SonataFlow", "greet", WF_NS)
    assert flow["metadata"]["generation"] > generation_before
    states = {s["name"]: s for s in flow["spec"]["flow"]["states"]}
    assert states["GreetInSpanish"]["data"]["greeting"] == "¡Hola"
    assert condition_status(flow, "Running") == "True"
    dep = api.get("apps/v1", "Deployment", "greet", WF_NS)
    assert dep["spec"]["template"]["spec"]["containers"][0]["image"].endswith(":1.1")
    assert (dep["spec"]["template"]["metadata"].get("annotations") or {}) != template_before
    assert dep["status"].get("updatedReplicas") == dep["spec"]["replicas"]

    # Only the definition changed (same image): still rolls (the properties checksum), and orch says the image
    # should have been rebuilt.
    definition.write_text(definition.read_text().replace("Greeting sent", "Greeting delivered"))
    template_before = dep["spec"]["template"]["metadata"]["annotations"]
    same_image = deploy(cluster, runner, str(project), "--image", IMAGE.replace(":1.0", ":1.1"), "-o", "plain")
    assert same_image.returncode == 0, same_image.stdout + same_image.stderr
    assert "changed but its image did not" in same_image.stderr
    dep = eventually(lambda: (d := api.get("apps/v1", "Deployment", "greet", WF_NS))
                     and d["spec"]["template"]["metadata"]["annotations"] != template_before and d,
                     timeout=30, what="the workflow Deployment to roll")
    assert dep["status"].get("observedGeneration") == dep["metadata"]["generation"]


def test_lint_errors_block_the_deploy_and_nothing_is_sent(env):
    cluster, runner, api, log, base = env
    project = copy_project(base, "broken")
    definition = project / "greet.sw.yaml"
    definition.write_text(definition.read_text().replace("id: greet", "id: broken")
                          .replace("transition: Report", "transition: Reprot"))
    mark = log.mark()
    res = deploy(cluster, runner, str(project), "--image", IMAGE, "-o", "plain")
    assert res.returncode == 15, res.stdout + res.stderr
    errors = [line for line in res.stderr.splitlines() if line.startswith("error:")]
    assert errors == [f"error: workflow lint found 1 error in {project}; nothing was deployed"], res.stderr
    assert f"{definition}:" in res.stderr and "transition-target" in res.stderr
    assert runner_events(log, mark) == []  # rejected before connecting
    assert api.get(SF, "SonataFlow", "broken", WF_NS) is None


def test_dry_run_yaml_and_another_namespace(env):
    cluster, runner, api, log, base = env
    project = copy_project(base, "greet-team")
    definition = project / "greet.sw.yaml"
    definition.write_text(definition.read_text().replace("id: greet", "id: greet-team"))
    mark = log.mark()
    dry = deploy(cluster, runner, str(project), "--image", IMAGE, "--namespace", "team-wf", "--dry-run", "-o", "yaml")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    import yaml

    docs = [d for d in yaml.safe_load_all(dry.stdout) if d]
    kinds = [(d["kind"], d["metadata"]["name"]) for d in docs]
    assert ("Namespace", "team-wf") in kinds and ("SonataFlow", "greet-team") in kinds
    assert ("ConfigMap", "greet-team-props") in kinds
    assert writes(runner_events(log, mark)) == []
    assert api.get("v1", "Namespace", "team-wf") is None

    res = deploy(cluster, runner, str(project), "--image", IMAGE, "--namespace", "team-wf", "-o", "plain")
    assert res.returncode == 0, res.stdout + res.stderr
    ns = api.get("v1", "Namespace", "team-wf")
    assert ns["metadata"]["labels"].get("rhdh.redhat.com/workflow-namespace") is not None
    flow = api.get(SF, "SonataFlow", "greet-team", "team-wf")
    assert condition_status(flow, "Running") == "True"
    ref = flow["spec"]["persistence"]["postgresql"]["serviceRef"]
    assert ref["namespace"] == WF_NS and ref["databaseSchema"] == "greet-team"
    assert api.get("v1", "Secret", "sonataflow-psql-postgresql", "team-wf") is not None  # add-namespace's copy


def test_bad_inputs_write_nothing(env):
    cluster, runner, api, log, base = env
    mark = log.mark()
    no_image = deploy(cluster, runner, str(GREET), "-o", "plain")
    assert no_image.returncode == 2
    assert no_image.stderr.strip().splitlines()[-1].startswith("error: --image is required")
    bad_image = deploy(cluster, runner, str(GREET), "--image", "not an image", "-o", "plain")
    assert bad_image.returncode == 2 and "is not a container image reference" in bad_image.stderr
    not_project = deploy(cluster, runner, str(GREET / "schemas"), "--image", IMAGE, "-o", "plain")
    assert not_project.returncode == 2 and "no workflow definition" in not_project.stderr
    assert runner_events(log, mark) == []


def test_a_workflow_orch_did_not_deploy_is_not_taken_over(env):
    cluster, runner, api, log, base = env
    cluster.apply_manifests([{"apiVersion": SF, "kind": "SonataFlow",
                              "metadata": {"name": "taken", "namespace": WF_NS},
                              "spec": {"flow": {"start": {"stateName": "A"},
                                                "states": [{"name": "A", "type": "inject", "data": {}, "end": True}]}}}])
    project = copy_project(base, "taken")
    definition = project / "greet.sw.yaml"
    definition.write_text(definition.read_text().replace("id: greet", "id: taken"))
    mark = log.mark()
    res = deploy(cluster, runner, str(project), "--image", IMAGE, "-o", "plain")
    assert res.returncode == 9, res.stdout + res.stderr
    assert "SonataFlow taken in sonataflow-infra belongs to someone else" in res.stderr
    assert writes(runner_events(log, mark)) == []
    assert "persistence" not in api.get(SF, "SonataFlow", "taken", WF_NS)["spec"]


def test_a_crash_looping_workflow_fails_fast(env):
    """The wait names the pods' reason and fails (exit 5: failed), instead of running out its --timeout (exit 6)."""
    from tests.helpers import set_sim_config

    cluster, runner, api, log, base = env
    project = copy_project(base, "crashy")
    definition = project / "greet.sw.yaml"
    definition.write_text(definition.read_text().replace("id: greet", "id: crashy"))
    set_sim_config(cluster, {"pod_faults": {"crashy": "CrashLoopBackOff"}})
    try:
        res = deploy(cluster, runner, str(project), "--image", IMAGE, "--timeout", "240", "-o", "plain")
    finally:
        set_sim_config(cluster, {})
    assert res.returncode == 5, res.stdout + res.stderr
    assert "error: workflow crashy in sonataflow-infra failed" in res.stderr and "CrashLoopBackOff" in res.stderr
