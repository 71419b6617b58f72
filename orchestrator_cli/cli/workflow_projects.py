"""`orch workflow lint` and `orch workflow deploy`: the user's own workflow projects.

Parsing and rendering only; orchestrator_cli.workflows.lint (and .project for deploy) do the work.
Findings print like a compiler's (`file:line:column: severity rule-id: message`, on stdout, so
editors can jump to them); the summary and the `error:` line go to stderr.
"""

from __future__ import annotations

import json
import sys
from typing import Optional

import typer

from orchestrator_cli.cli.common import CONTEXT_OPTION, KUBECONFIG_OPTION, NO_COLOR_OPTION, OUTPUT
from orchestrator_cli.cli.help import ManualCommand, examples
from orchestrator_cli.cli.workflow import workflow_app

LINT_OUTPUTS = ("plain", "table", "json")


def _fail(message: str, code: int) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@workflow_app.command("lint", cls=ManualCommand, epilog=examples(
    "orch workflow lint .                     # every definition under the current directory",
    "orch workflow lint greeting.sw.yaml -o json"))
def lint_command(
    path: str = typer.Argument(..., metavar="PATH", help="A workflow definition (*.sw.yaml, *.sw.yml, *.sw.json) "
                                                          "or a directory (every definition under it)."),
    output: Optional[str] = typer.Option(None, "--output", "-o", metavar="FORMAT", rich_help_panel=OUTPUT,
                                         help="plain (default: file:line:column lines) or json."),
) -> None:
    """Check workflow definitions against Serverless Workflow 0.8 and the Orchestrator's rules (offline).
    Exit 15 when there are errors (docs/workflow-lint.md lists the rules)."""
    from pathlib import Path

    from orchestrator_cli.core.errors import InputError, LintFailed
    from orchestrator_cli.workflows.lint import lint

    if output is not None and output not in LINT_OUTPUTS:
        _fail("-o/--output must be one of plain, json", InputError.exit_code)
    try:
        report = lint(Path(path))
    except InputError as exc:
        _fail(exc.message, exc.exit_code)
    if output == "json":
        typer.echo(json.dumps(report.to_dict(), indent=2))
    else:
        for finding in report.findings:
            typer.echo(finding.line_text())
        sys.stdout.flush()
        typer.echo(report.summary(), err=True)
    if report.errors:
        _fail(f"workflow lint found {len(report.errors)} error{'s' if len(report.errors) != 1 else ''}",
              LintFailed.exit_code)


@workflow_app.command("deploy", cls=ManualCommand, epilog=examples(
    "orch workflow deploy ./greeting --image quay.io/example/greeting:1.0",
    "orch workflow deploy ./greeting -n team-a --dry-run -o yaml"))
def deploy_command(
    directory: str = typer.Argument(..., metavar="DIR", help="A workflow project: one *.sw.yaml, application.properties, "
                                                             "specs/, schemas/, subflows/."),
    image: Optional[str] = typer.Option(None, "--image", metavar="IMAGE", help="The workflow's built image (default: the image of the "
                                                              "SonataFlow manifest in DIR/manifests/, if any)."),
    namespace: Optional[str] = typer.Option(None, "--namespace", "-n", metavar="NS", help="Target namespace (default: the "
                                            "installation's workflow namespace; another is enabled like add-namespace)."),
    timeout: float = typer.Option(300, "--timeout", metavar="SECONDS", help="Seconds to wait for the workflow to run."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan (with -o yaml: the manifests); write nothing."),
    output: Optional[str] = typer.Option(None, "--output", "-o", metavar="FORMAT", rich_help_panel=OUTPUT,
                                         help="table (terminal default), plain, json, or yaml (with --dry-run)."),
    no_color: bool = NO_COLOR_OPTION,
    kubeconfig: Optional[str] = KUBECONFIG_OPTION,
    context: Optional[str] = CONTEXT_OPTION,
) -> None:
    """Deploy a workflow project as the gitops profile expects (what kn-workflow gen-manifest renders), with
    persistence on the installation's PostgreSQL. Lint runs first: errors stop it (exit 15)."""
    from orchestrator_cli.cli.main import _run
    from orchestrator_cli.core.errors import InputError
    from orchestrator_cli.report.deploy import make_reporter
    from orchestrator_cli.workflows.deploy import DeployOptions, deploy

    if output == "yaml" and not dry_run:
        _fail("-o yaml is for --dry-run (the manifests that would be applied)", InputError.exit_code)
    opts = DeployOptions(directory=directory, image=image, namespace=namespace, timeout=timeout, kubeconfig=kubeconfig,
                         context=context, output=output, dry_run=dry_run)
    _run(deploy, opts, output, reporter_factory=make_reporter)
