"""docs/json-schemas: valid schemas, one per command with JSON output, and they really constrain.

The e2e tests validate every -o json output they read (tests/json_schemas.py); here, without a
cluster: the schemas themselves, their completeness against the command tree, the outputs that need
no cluster, and controls that a wrong document is rejected.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from orchestrator_cli.cli.main import app
from tests import json_schemas

runner = CliRunner()


def test_every_schema_is_a_valid_2020_12_schema_named_after_its_id():
    from jsonschema import Draft202012Validator

    for path in sorted(json_schemas.SCHEMAS.glob("*.json")):
        schema = json.loads(path.read_text())
        Draft202012Validator.check_schema(schema)
        assert schema["$id"].endswith(f"/json-schemas/{path.name}"), path.name
        assert schema.get("title") and schema.get("description"), path.name


def _commands(group, prefix=()):
    for name, cmd in group.commands.items():
        path = (*prefix, name)
        if hasattr(cmd, "commands"):
            yield from _commands(cmd, path)
        else:
            yield path, cmd


def test_every_command_with_json_output_has_a_schema():
    """A new command that prints JSON needs docs/json-schemas/<command path>.json (e.g. workflow-add-namespace.json)."""
    import typer.main

    root = typer.main.get_command(app)
    missing, with_json = [], []
    for path, cmd in _commands(root):
        opts = [p for p in cmd.params if {"--output", "--format"} & set(getattr(p, "opts", []))]
        if any("json" in (p.help or "") for p in opts):
            with_json.append("-".join(path))
            if "-".join(path) not in json_schemas.schema_names():
                missing.append(" ".join(path))
    assert not missing, f"commands with -o json but no schema in docs/json-schemas: {missing}"
    assert {"install", "status", "cleanup", "version", "support-bundle", "workflow-add-namespace"} <= set(with_json)
    assert set(json_schemas.schema_names()) - set(with_json) == set(), "a schema for a command that no longer exists"


def test_offline_outputs_match_their_schemas(tmp_path):
    out = runner.invoke(app, ["version", "--client", "-o", "json"])
    json_schemas.validate(["version"], out.output)
    kc = tmp_path / "config"
    kc.write_text("apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:9'}}]\n"
                  "users: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n"
                  "current-context: x\n")
    env = {"ORCH_API_RETRY_SECONDS": "0"}
    unreachable = runner.invoke(app, ["version", "-o", "json", "--kubeconfig", str(kc)], env=env)
    assert json_schemas.validate(["version"], unreachable.output)["summary"]["cluster"]["reachable"] is False
    bad_input = runner.invoke(app, ["cleanup", "--purge-knative", "-o", "json", "--kubeconfig", str(tmp_path / "no")])
    assert bad_input.exit_code == 2  # an error before any summary: summary null, error set
    assert json_schemas.validate(["cleanup"], bad_input.output)["error"]["exit_code"] == 2
    lint = runner.invoke(app, ["workflow", "lint", "tests/workflow_projects/valid", "-o", "json"])
    json_schemas.validate(["workflow", "lint"], lint.output)


def _status_doc(**summary_changes) -> str:
    summary = {"command": "status", "version": "1.3", "orchestrator_cr": "Orchestrator o in o", "healthy": True,
               "problems": [], "warnings": [], "backstage_url": None,
               "postgres": {"deployed_by_orch": True, "service": "s", "namespace": "n", "secret": "s", "database": "d"},
               "namespaces": [], "workflows": []}
    summary.update(summary_changes)
    summary = {k: v for k, v in summary.items() if v is not ...}
    return json.dumps({"success": True, "checks": [], "steps": [], "waits": [], "messages": [], "summary": summary,
                       "error": None})


def test_a_wrong_document_is_rejected():
    json_schemas.validate(["status"], _status_doc())  # control: the right one passes
    for bad in ({"healthy": "yes"}, {"healthy": ...}, {"surprise": 1}, {"namespaces": [{"namespace": "x"}]}):
        with pytest.raises(AssertionError, match="does not match docs/json-schemas/status.json"):
            json_schemas.validate(["status"], _status_doc(**bad))
    with pytest.raises(AssertionError, match="no JSON schema"):
        json_schemas.schema_for(["no-such-command"])
    assert json_schemas.schema_for(["check"]) == "status" and json_schemas.schema_for(["check", "--pre"]) == "check"
    assert json_schemas.schema_for(["--version", "-o", "json"]) == "version"
