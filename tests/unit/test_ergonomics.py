"""Shell completion, `orch version`, NO_COLOR / --no-color (issue 15), without a cluster.

Completion is exercised through typer's real protocol (the environment variables the generated
bash/zsh/fish scripts set), in a subprocess, exactly as a shell would call orch back.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orchestrator_cli.cli.main import app
from orchestrator_cli.day2 import names, version
from orchestrator_cli.generations import GENERATIONS
from orchestrator_cli.generations.detect import backstage_deployment_ref, installation_from_cr, operator_subscriptions
from orchestrator_cli.kube import kubeconfig
from orchestrator_cli.report.day2 import Day2PlainReporter

runner = CliRunner()
ORCH = str(Path(sys.executable).parent / "orch")
KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: 'https://127.0.0.1:9'}}]
users: [{name: u, user: {token: t}}]
contexts:
- {name: prod-east, context: {cluster: c, user: u}}
- {name: dev, context: {cluster: c, user: u}}
current-context: dev
"""


def complete(words: str, env=None, shell: str = "bash") -> list[str]:
    """Ask orch for completions the way the bash script does (COMP_WORDS / COMP_CWORD)."""
    e = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
    e.update(env or {})
    parts = words.split(" ")
    if shell == "bash":
        e.update({"_ORCH_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(len(parts) - 1)})
    else:
        e.update({"_ORCH_COMPLETE": f"complete_{shell}", "_TYPER_COMPLETE_ARGS": words,
                  "_TYPER_COMPLETE_FISH_ACTION": "get-args"})
    out = subprocess.run([ORCH], env=e, capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    return [line for line in out.stdout.splitlines() if line]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_script_names_orch_and_its_protocol(shell):
    result = runner.invoke(app, ["completion", shell])
    assert result.exit_code == 0, result.output
    assert "_ORCH_COMPLETE=complete_" + shell in result.output and "orch" in result.output
    if shell == "zsh":
        assert result.output.startswith("#compdef orch\n")  # zsh autoloads from $fpath only with this first line
    if shell == "bash":  # the script is valid bash and registers the completion function
        check = subprocess.run(["bash", "-c", result.output + "\ncomplete -p orch"], capture_output=True, text=True)
        assert check.returncode == 0 and "_orch_completion" in check.stdout, check.stderr


def test_completion_rejects_an_unknown_shell():
    result = runner.invoke(app, ["completion", "tcsh"])
    assert result.exit_code == 2 and "unsupported shell 'tcsh'" in result.output


def test_completes_commands_options_and_constant_values():
    assert {"install", "status", "cleanup", "workflow", "version", "completion"} <= set(complete("orch "))
    assert {"add-namespace", "list-namespaces", "remove-namespace"} <= set(complete("orch workflow "))
    assert complete("orch install --vers") == ["--version"]
    assert complete("orch install --version ") == sorted(GENERATIONS)
    assert complete("orch status -o ") == ["table", "plain", "json"]
    assert complete("orch install -o y") == ["yaml"]
    assert complete("orch completion ") == ["bash", "zsh", "fish"]


def test_completes_kubeconfig_contexts_from_the_file_alone(tmp_path):
    kc = tmp_path / "config"
    kc.write_text(KUBECONFIG)  # its server (port 9) is never contacted for contexts
    assert complete("orch status --context ", {"KUBECONFIG": str(kc)}) == ["prod-east", "dev"]
    assert complete(f"orch status --kubeconfig {kc} --context p") == ["prod-east"]
    zsh = complete("orch cleanup --context d", {"KUBECONFIG": str(kc)}, shell="zsh")
    assert any("dev" in line for line in zsh)


def test_namespace_completion_is_bounded_when_the_cluster_is_unreachable(tmp_path):
    kc = tmp_path / "config"
    kc.write_text(KUBECONFIG)
    start = time.monotonic()
    assert complete("orch workflow remove-namespace ", {"KUBECONFIG": str(kc)}) == []
    assert time.monotonic() - start < 15  # generous: a loaded machine; the bound itself is COMPLETION_BOUND


def test_namespaces_gives_up_after_its_bound(monkeypatch):
    def hang(kubeconfig, context, box, bound):
        time.sleep(5)

    monkeypatch.setattr(names, "_read", hang)
    start = time.monotonic()
    assert names.namespaces(None, None, workflow=True, bound=0.2) == []
    assert time.monotonic() - start < 4


def test_split_namespaces_by_label_or_orch_mark():
    items = [{"metadata": {"name": "b", "labels": {"rhdh.redhat.com/workflow-namespace": ""}}},
             {"metadata": {"name": "a", "annotations": {"orch.rhdhorchestrator.io/workflow-namespace": "true"}}},
             {"metadata": {"name": "c"}},
             {"metadata": {"name": "gone", "deletionTimestamp": "2026-01-01T00:00:00Z"}}]
    assert names.split_namespaces(items) == (["a", "b"], ["c"])


def test_kubeconfig_contexts_merge_like_kubectl(tmp_path, monkeypatch):
    one, two = tmp_path / "one", tmp_path / "two"
    one.write_text("contexts: [{name: a}, {name: b}]\n")
    two.write_text("contexts: [{name: b}, {name: c}]\n")
    monkeypatch.setenv("KUBECONFIG", f"{one}{os.pathsep}{tmp_path / 'missing'}{os.pathsep}{two}")
    assert kubeconfig.contexts() == ["a", "b", "c"]
    assert kubeconfig.contexts(str(two)) == ["b", "c"]
    assert kubeconfig.context_names(":: [ not yaml") == [] and kubeconfig.context_names("- a list") == []


# -- orch version ------------------------------------------------------------------------------------

def _cr(api="rhdh.redhat.com/v1alpha1", **spec):
    return {"apiVersion": api, "kind": "Orchestrator", "metadata": {"name": "orchestrator", "namespace": "orch"},
            "spec": spec}


def test_operator_subscriptions_come_from_the_generation_and_the_cr():
    inst = installation_from_cr(_cr(serverlessOperator={"subscription": {"name": "sls", "namespace": "sls-ns"}}),
                                GENERATIONS["1.3"])
    subs = {c: (r.name, r.namespace) for c, r in operator_subscriptions(inst)}
    assert subs == {"orchestrator-operator": ("orchestrator-operator", "openshift-operators"),
                    "serverless-logic-operator": ("logic-operator-rhel8", "openshift-serverless-logic"),
                    "serverless-operator": ("sls", "sls-ns"),
                    "rhdh-operator": ("rhdh", "rhdh-operator")}
    existing = installation_from_cr(_cr(rhdhOperator={"enabled": False}, serverlessOperator={"enabled": False},
                                        networkPolicy={"rhdhNamespace": "my-rhdh"}), GENERATIONS["1.4"])
    assert [c for c, _ in operator_subscriptions(existing)] == ["orchestrator-operator", "serverless-logic-operator"]
    assert backstage_deployment_ref(existing) is None
    assert backstage_deployment_ref(inst).name == "backstage-backstage"


def test_version_facts_are_pure_functions_of_the_objects():
    assert version.openshift_version({"status": {"desired": {"version": "4.14.12"}}}) == "4.14.12"
    assert version.openshift_version({"status": {"history": [{"state": "Partial", "version": "4.15.0"},
                                                             {"state": "Completed", "version": "4.14.1"}]}}) == "4.14.1"
    assert version.openshift_version(None) is None
    assert version.image_tag("registry.example:5000/rhdh/hub:1.3") == "1.3"
    assert version.image_tag("quay.io/x/y@sha256:abc") == "sha256:abc" and version.image_tag("hub") is None
    from orchestrator_cli.kube.client import Ref

    facts = version.csv_facts("rhdh-operator", Ref("v1", "Subscription", "rhdh", "ns"),
                              {"spec": {"name": "rhdh", "channel": "fast-1.3"}, "status": {"installedCSV": "rhdh.v1"}},
                              {"spec": {"version": "1.3.1"}, "status": {"phase": "Succeeded"}})
    assert facts["version"] == "1.3.1" and facts["phase"] == "Succeeded" and facts["installed_csv"] == "rhdh.v1"
    assert version.csv_facts("x", Ref("v1", "Subscription", "x", "ns"), None, None)["found"] is False


def test_version_unreachable_cluster_is_exit_0_with_the_reason(tmp_path):
    kc = tmp_path / "config"
    kc.write_text(KUBECONFIG)
    result = runner.invoke(app, ["version", "-o", "json", "--kubeconfig", str(kc)],
                           env={"ORCH_API_RETRY_SECONDS": "0"})
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)["summary"]
    assert data["client"]["version"] and data["cluster"]["reachable"] is False and data["cluster"]["error"]
    client = json.loads(runner.invoke(app, ["version", "--client", "-o", "json"]).output)["summary"]
    assert "cluster" not in client


def test_root_version_flag_with_output_is_orch_version(tmp_path):
    kc = tmp_path / "config"
    kc.write_text(KUBECONFIG)
    result = runner.invoke(app, ["--version", "-o", "json"], env={"KUBECONFIG": str(kc), "ORCH_API_RETRY_SECONDS": "0"})
    assert result.exit_code == 0 and json.loads(result.output)["summary"]["command"] == "version"
    misplaced = runner.invoke(app, ["-o", "json", "status"])
    assert misplaced.exit_code == 2 and "only for --version" in misplaced.output


def test_version_rendering_names_every_operator():
    out = io.StringIO()
    rep = Day2PlainReporter(out)
    rep.summary({"command": "version", "client": {"version": "0.1.0", "python": "3.11"},
                 "cluster": {"reachable": True, "server": "https://x", "kubernetes": "v1.31.0", "openshift": "4.14.1",
                             "orchestrator": {"installed": True, "generation": "1.4", "cr": "Orchestrator o in n",
                                              "cr_api_version": "rhdh.redhat.com/v1alpha2", "managed_by_orch": True},
                             "operators": [{"component": "orchestrator-operator", "found": True, "version": "1.4.0",
                                            "installed_csv": "orchestrator-operator.v1.4.0", "phase": "Succeeded",
                                            "subscription": "Subscription s in n"},
                                           {"component": "rhdh-operator", "found": False, "subscription": "S r in n"}],
                             "backstage": {"managed": True, "images": ["hub:1.4"], "rhdh_version": None}}})
    text = out.getvalue()
    assert "Client: orch 0.1.0" in text and "OpenShift 4.14.1" in text and "Orchestrator: 1.4" in text
    assert "orchestrator-operator.v1.4.0" in text and "Subscription not found" in text and "hub:1.4" in text


# -- NO_COLOR / --no-color -----------------------------------------------------------------------------

def colour_codes(text: str) -> list[str]:
    """SGR parameters that set a colour (30-38, 40-48, 90-97, 100-107); bold/italic/dim are not colour."""
    import re

    found = []
    for params in re.findall(r"\x1b\[([\d;]*)m", text):
        for p in params.split(";"):
            if p.isdigit() and (30 <= int(p) <= 38 or 40 <= int(p) <= 48 or 90 <= int(p) <= 107):
                found.append(p)
    return found


def _rich_table(env: dict) -> str:
    """The table reporter's check table, rendered to a fake terminal."""
    from orchestrator_cli.health.checks import Check, CheckFailed, run_checks
    from orchestrator_cli.report.reporters import RichReporter

    class Tty(io.StringIO):
        def isatty(self):
            return True

    def boom(_ctx):
        raise CheckFailed("broken")

    old = dict(os.environ)
    os.environ.update(env)
    try:
        out = Tty()
        rep = RichReporter(out, Tty())
        rep.console.force_terminal = True  # a pty as far as rich can tell
        run_checks([Check(id="a", description="ok", hint="", run=lambda _c: "fine"),
                    Check(id="b", description="bad", hint="h", run=boom)], None, rep)
        rep.checks_done()
        return out.getvalue()
    finally:
        os.environ.clear()
        os.environ.update(old)


def test_no_color_env_removes_colour_escapes_from_the_table():
    coloured = _rich_table({"NO_COLOR": ""})
    assert colour_codes(coloured), "control: the table is coloured without NO_COLOR"
    plain = _rich_table({"NO_COLOR": "1"})
    assert "broken" in plain and colour_codes(plain) == [], repr(plain)


@pytest.mark.parametrize("args", [["--no-color", "--version"], ["status", "--no-color", "--kubeconfig", "/nope"],
                                  ["version", "--client", "--no-color"]])
def test_no_color_flag_sets_no_color_for_everything_after_it(args, monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    runner.invoke(app, args)
    assert os.environ.get("NO_COLOR") == "1"
    monkeypatch.delenv("NO_COLOR")


# -- long lists: summary line first, the rest collapsed past LIST_LIMIT unless --all -------------------------

def _results(n_ok: int, n_bad: int):
    from orchestrator_cli.health.checks import Check, CheckFailed, run_checks

    def bad(_c):
        raise CheckFailed("incomplete")

    checks = [Check(id="operator", description="operator", hint="", run=lambda _c: "Succeeded", category="components")]
    checks += [Check(id=f"namespace/ok-{i}", description="ns", hint="", run=lambda _c: "complete",
                     category="workflow-namespaces") for i in range(n_ok)]
    checks += [Check(id=f"namespace/bad-{i}", description="ns", hint="add it", run=bad, category="workflow-namespaces")
               for i in range(n_bad)]

    class Keep:
        def __init__(self):
            self.results = []

        def check_result(self, r):
            self.results.append(r)

    keep = Keep()
    run_checks(checks, None, keep)
    return keep.results


@pytest.mark.parametrize("limit, shown_ok", [(20, 0), (None, 30)])
def test_plain_status_shows_the_headline_first_and_collapses_ok_namespaces(limit, shown_ok):
    from orchestrator_cli.report.reporters import PlainReporter

    out = io.StringIO()
    rep = PlainReporter(out)
    rep.list_limit = limit
    rep.headline("Orchestrator 1.3: UNHEALTHY (2 of 33 checks failed)")
    for r in _results(30, 2):
        rep.check_result(r)
    rep.checks_done()
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("Orchestrator 1.3: UNHEALTHY")
    assert "[ok] operator: operator — Succeeded" in lines
    assert sum("namespace/bad-" in line for line in lines) == 2  # what is wrong is always shown
    assert sum("namespace/ok-" in line for line in lines) == shown_ok
    assert ("… and 30 more workflow namespace(s) ok (--all lists them)" in lines) == (limit is not None)
    assert len(rep.checks) == 33  # JSON keeps everything


def test_a_short_list_is_never_collapsed():
    from orchestrator_cli.report.reporters import shown_checks

    checks = [r.to_dict() for r in _results(5, 1)]
    assert shown_checks(checks, 20) == (checks, {})
    shown, hidden = shown_checks([r.to_dict() for r in _results(25, 1)], 20)
    assert len(shown) == 2 and hidden == {"workflow-namespaces": 25}


def _leaf_commands():
    import typer as _typer

    def walk(cmd, path):
        if hasattr(cmd, "commands"):
            for name, sub in cmd.commands.items():
                yield from walk(sub, [*path, name])
        elif not cmd.hidden:
            yield path

    return list(walk(_typer.main.get_command(app), []))


@pytest.mark.parametrize("path", _leaf_commands(), ids=" ".join)
def test_every_command_help_reads_like_a_manual(path):
    """Real metavars (never typer's <str>), panels, and examples at the end (issue 15)."""
    out = runner.invoke(app, [*path, "--help"], terminal_width=100).output
    assert not any(t in out for t in ("<str>", "<float>", "<int>", "<path>", "TEXT", "FLOAT")), out
    assert "\n  Examples:\n" in out, out
    assert out.rstrip().splitlines()[-1].strip().startswith("orch "), out


def test_install_help_groups_its_options_into_panels():
    out = runner.invoke(app, ["install", "--help"], terminal_width=100).output
    panels = [line[:-1] for line in out.splitlines() if line.endswith(":") and not line.startswith(" ")]
    assert panels == ["Options", "Output", "Connection", "Namespaces", "RHDH", "GitOps", "Secrets", "PostgreSQL",
                      "Platform (Kubernetes)", "Waiting"], panels
    for metavar in ("--workflow-namespace NS", "--values FILE", "--timeout SECONDS", "--version VERSION"):
        assert metavar in out
