"""A workflow project -> the gitops-profile objects (workflows/project.py, pure) and deploy's input checks."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from orchestrator_cli.core.errors import InputError, LintFailed
from orchestrator_cli.workflows import project as P
from orchestrator_cli.workflows.deploy import foreign_owner, lint_or_fail, stale_objects, validate_image

GREET = Path(__file__).parents[1] / "workflow_projects" / "valid" / "greet"
PG = P.persistence_for(secret_name="pg-secret", user_key="user", password_key="pass", service_name="pg", port=5432,
                       database="sonataflow", schema="greet")


def _render(project, **kw):
    return P.render(project, image="quay.io/x/greet:1", namespace="wf", persistence=PG, **kw)


def test_render_is_what_gen_manifest_produces_for_the_gitops_profile():
    project = P.load_project(GREET)
    objects = _render(project)
    assert [(o["kind"], o["metadata"]["name"]) for o in objects] == [
        ("ConfigMap", "greet-props"), ("ConfigMap", "01-greet-resources-schemas"),
        ("ConfigMap", "02-greet-resources-specs"), ("SonataFlow", "greet")]
    props, schemas, specs, flow = objects
    text = props["data"]["application.properties"]
    assert text.startswith((GREET / "application.properties").read_text())
    assert text.splitlines()[-1] == P.CHECKSUM_LINE.format(project.checksum())
    assert set(schemas["data"]) == {"greet-input.json", "workflow-output-schema.json"}
    assert specs["data"] == {"notify.yaml": (GREET / "specs" / "notify.yaml").read_text()}
    for obj in objects:
        labels = obj["metadata"]["labels"]
        assert labels["app"] == labels["sonataflow.org/workflow-app"] == "greet"
        assert labels["app.kubernetes.io/managed-by"] == "orch" and labels[P.PROJECT_LABEL] == "greet"
        assert labels["sonataflow.org/workflow-namespace"] == "wf" and obj["metadata"]["namespace"] == "wf"
    md = flow["metadata"]
    assert md["annotations"] == {"sonataflow.org/description": "Sends a greeting in the chosen language and reports it",
                                 "sonataflow.org/expressionLang": "jq", "sonataflow.org/profile": "gitops",
                                 "sonataflow.org/version": "1.0"}
    spec = flow["spec"]
    assert set(spec["flow"]) == {"start", "annotations", "dataInputSchema", "functions", "states"}
    assert spec["flow"]["start"] == {"stateName": "ChooseLanguage"}
    assert spec["flow"]["dataInputSchema"] == {"failOnValidationErrors": True, "schema": "schemas/greet-input.json"}
    assert spec["podTemplate"] == {"container": {"image": "quay.io/x/greet:1"}}
    assert spec["resources"]["configMaps"] == [
        {"configMap": {"name": "01-greet-resources-schemas"}, "workflowPath": "schemas"},
        {"configMap": {"name": "02-greet-resources-specs"}, "workflowPath": "specs"}]
    assert spec["persistence"] == {"postgresql": PG}
    assert PG["serviceRef"]["databaseSchema"] == "greet" and "namespace" not in PG["serviceRef"]


def test_string_forms_are_normalized_and_unknown_fields_stay_out_of_the_flow():
    flow = P.flow_of({"id": "x", "name": "X", "version": "1", "specVersion": "0.8", "description": "d",
                      "expressionLang": "jq", "start": {"stateName": "A", "schedule": "R/PT1H"},
                      "dataInputSchema": {"schema": "s.json", "failOnValidationErrors": False},
                      "extensions": [{"extensionid": "workflow-output-schema"}], "keepActive": True,
                      "states": [{"name": "A", "type": "inject", "data": {}, "end": True}]})
    assert flow == {"start": {"stateName": "A", "schedule": "R/PT1H"},
                    "dataInputSchema": {"schema": "s.json", "failOnValidationErrors": False}, "keepActive": True,
                    "states": [{"name": "A", "type": "inject", "data": {}, "end": True}]}


def test_content_hashes_change_when_something_is_only_removed(tmp_path):
    root = tmp_path / "greet"
    shutil.copytree(GREET, root)
    before = {o["metadata"]["name"]: o["metadata"]["annotations"][P.CONTENT_HASH]
              for o in P.with_content_hashes(_render(P.load_project(root)))}
    (root / "schemas" / "workflow-output-schema.json").unlink()
    after_objects = P.with_content_hashes(_render(P.load_project(root)))
    after = {o["metadata"]["name"]: o["metadata"]["annotations"][P.CONTENT_HASH] for o in after_objects}
    assert after["01-greet-resources-schemas"] != before["01-greet-resources-schemas"]
    assert after["greet-props"] != before["greet-props"]  # the definition checksum covers the resources too
    assert after["02-greet-resources-specs"] == before["02-greet-resources-specs"]
    assert after["greet"] == before["greet"]  # the SonataFlow spec itself did not change


def test_project_layout_errors(tmp_path):
    with pytest.raises(InputError, match="is not a directory"):
        P.load_project(GREET / "greet.sw.yaml")
    with pytest.raises(InputError, match="no workflow definition"):
        P.load_project(GREET / "schemas")
    root = tmp_path / "two"
    shutil.copytree(GREET, root)
    shutil.copy(root / "greet.sw.yaml", root / "other.sw.yaml")
    with pytest.raises(InputError, match="holds 2 workflow definitions"):
        P.load_project(root)


def test_image_from_the_projects_manifests(tmp_path):
    root = tmp_path / "greet"
    shutil.copytree(GREET, root)
    assert P.load_project(root).image_hint is None
    (root / "manifests").mkdir()
    (root / "manifests" / "03-sonataflow_greet.yaml").write_text(
        "apiVersion: sonataflow.org/v1alpha08\nkind: SonataFlow\nmetadata: {name: greet}\n"
        "spec:\n  podTemplate:\n    container:\n      image: quay.io/orchestrator/serverless-workflow-greet:osl_1_37\n")
    assert P.load_project(root).image_hint == "quay.io/orchestrator/serverless-workflow-greet:osl_1_37"


def test_image_references():
    for good in ("quay.io/orchestrator/serverless-workflow-greet:1.0", "greet", "registry:5000/a/b@sha256:" + "a" * 64):
        assert validate_image(good) == good
    for bad in ("", "not an image", "-rm", "a\nb"):
        with pytest.raises(InputError):
            validate_image(bad)


class _Recorder:
    def __init__(self):
        self.warnings = []

    def warn(self, text):
        self.warnings.append(text)


def test_lint_runs_first_errors_stop_warnings_show(tmp_path):
    rec = _Recorder()
    lint_or_fail(GREET, rec)
    assert rec.warnings == []
    root = tmp_path / "greet"
    shutil.copytree(GREET, root)
    definition = root / "greet.sw.yaml"
    definition.write_text(definition.read_text().replace('  - "workflow-type/infrastructure"\n', "  - extra\n"))
    lint_or_fail(root, rec)
    assert len(rec.warnings) == 1 and "workflow-type-missing" in rec.warnings[0]
    definition.write_text(definition.read_text().replace("transition: Report", "transition: Reprot"))
    with pytest.raises(LintFailed) as info:
        lint_or_fail(root, rec)
    assert info.value.exit_code == 15 and any("transition-target" in d for d in info.value.details)


class _ListKube:
    def __init__(self, items):
        self.items = items
        self.selectors = []

    def list(self, api_version, kind, namespace=None, *, label_selector=None):
        self.selectors.append(label_selector)
        return self.items, None


def test_stale_resource_configmaps_are_deleted_only_when_orch_created_them():
    project = P.load_project(GREET)
    desired = _render(project)
    mine = {"metadata": {"name": "03-greet-resources-subflows", "labels": {"app.kubernetes.io/managed-by": "orch"}}}
    adopted = {"metadata": {"name": "04-greet-resources-other", "labels": {"app.kubernetes.io/managed-by": "orch"},
                            "annotations": {"orch.rhdhorchestrator.io/adopted": "true"}}}
    current = {"metadata": {"name": "greet-props", "labels": {"app.kubernetes.io/managed-by": "orch"}}}
    kube = _ListKube([mine, adopted, current])
    changes = stale_objects(kube, project, "wf", desired)
    assert [(c.action, c.ref.name) for c in changes] == [("delete", "03-greet-resources-subflows")]
    assert kube.selectors == [f"app.kubernetes.io/managed-by=orch,{P.PROJECT_LABEL}=greet"]


def test_a_workflow_someone_else_owns_is_not_taken_over():
    ours = {"metadata": {"labels": {"app.kubernetes.io/managed-by": "orch", P.PROJECT_LABEL: "greet"}}}
    assert foreign_owner(None, "greet") is None and foreign_owner(ours, "greet") is None
    helm = {"metadata": {"annotations": {"meta.helm.sh/release-name": "greet"}, "labels": {"app": "greet"}}}
    assert "Helm release greet" in foreign_owner(helm, "greet")
    assert "someone else" in foreign_owner({"metadata": {"name": "greet"}}, "greet")
    adopted = {"metadata": {"labels": {"app.kubernetes.io/managed-by": "orch", P.PROJECT_LABEL: "greet"},
                            "annotations": {"orch.rhdhorchestrator.io/adopted": "true"}}}
    assert "someone else" in foreign_owner(adopted, "greet")
    assert "someone else" in foreign_owner(ours, "other")
