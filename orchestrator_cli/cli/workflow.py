"""`orch workflow ...`: the workflow command group.

Capabilities add their commands to `workflow_app` from their own CLI module (imported in
`register`), so each stays small: namespaces here, workflow charts in cli/workflow_charts.py.
"""

from __future__ import annotations

from typing import List, Optional

import typer

from orchestrator_cli.cli.completion import complete_new_workflow_namespace, complete_workflow_namespace
from orchestrator_cli.cli.help import ManualCommand, examples
from orchestrator_cli.cli.common import (
    ALL_OPTION,
    CONTEXT_OPTION,
    KUBECONFIG_OPTION,
    NO_COLOR_OPTION,
    OUTPUT_OPTION,
    run_day2,
    terminal_confirm,
)

workflow_app = typer.Typer(name="workflow", help="Workflows and workflow namespaces.", no_args_is_help=True,
                           add_completion=False, rich_markup_mode=None)


@workflow_app.command("add-namespace", cls=ManualCommand, epilog=examples(
    "orch workflow add-namespace team-a",
    "orch workflow add-namespace team-a team-b team-c   # one plan, one lock, one report",
    "orch workflow add-namespace team-a --dry-run -o json",
    "orch workflow add-namespace team-a --no-patch-workflows"))
def add_namespace(
    namespaces: List[str] = typer.Argument(..., metavar="NS...", help="Namespaces to enable for workflows (each "
                                           "created if missing).", autocompletion=complete_new_workflow_namespace),
    patch_workflows: bool = typer.Option(True, "--patch-workflows/--no-patch-workflows",
                                         help="Point SonataFlow workflows already in NS at orch's PostgreSQL namespace."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan; write nothing."),
    output: Optional[str] = OUTPUT_OPTION,
    no_color: bool = NO_COLOR_OPTION,
    kubeconfig: Optional[str] = KUBECONFIG_OPTION,
    context: Optional[str] = CONTEXT_OPTION,
) -> None:
    """Enable each NS for workflows: label, network policies both ways, PostgreSQL secret, workflow serviceRefs.
    When some namespaces fail, the others are still done and the command exits 21 naming each failure."""
    from orchestrator_cli.day2.namespaces import add_namespace as run

    run_day2(run, output, namespaces=namespaces, patch_workflows=patch_workflows, dry_run=dry_run, kubeconfig=kubeconfig,
        context=context)


@workflow_app.command("list-namespaces", cls=ManualCommand, epilog=examples(
    "orch workflow list-namespaces",
    "orch workflow list-namespaces -o json | jq -r '.summary.namespaces[] | select(.complete | not) | .namespace'"))
def list_namespaces(
    show_all: bool = ALL_OPTION,
    output: Optional[str] = OUTPUT_OPTION,
    no_color: bool = NO_COLOR_OPTION,
    kubeconfig: Optional[str] = KUBECONFIG_OPTION,
    context: Optional[str] = CONTEXT_OPTION,
) -> None:
    """Workflow namespaces and whether each is complete (label, policies, secret, workflow serviceRefs)."""
    from orchestrator_cli.day2.namespaces import list_namespaces as run

    run_day2(run, output, show_all=show_all, kubeconfig=kubeconfig, context=context)


@workflow_app.command("remove-namespace", cls=ManualCommand, epilog=examples(
    "orch workflow remove-namespace team-a --dry-run",
    "orch workflow remove-namespace team-a team-b --yes   # also deletes those orch created"))
def remove_namespace(
    namespaces: List[str] = typer.Argument(..., metavar="NS...", help="Workflow namespaces to disable.",
                                           autocompletion=complete_workflow_namespace),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan; write nothing."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask before deleting a namespace orch created."),
    output: Optional[str] = OUTPUT_OPTION,
    no_color: bool = NO_COLOR_OPTION,
    kubeconfig: Optional[str] = KUBECONFIG_OPTION,
    context: Optional[str] = CONTEXT_OPTION,
) -> None:
    """Undo add-namespace: only what orch added (its policies, secret copy, labels; NS if orch created it).
    When some namespaces fail, the others are still done and the command exits 21 naming each failure."""
    from functools import partial

    from orchestrator_cli.day2.namespaces import remove_namespace as run

    run_day2(partial(run, confirm=terminal_confirm()), output, namespaces=namespaces, dry_run=dry_run, yes=yes,
        kubeconfig=kubeconfig, context=context)


def register(app: typer.Typer) -> None:
    from orchestrator_cli.cli import workflow_projects  # noqa: F401 - lint, deploy (the user's own projects)
    from orchestrator_cli.cli import workflow_charts  # noqa: F401 - adds install/list/uninstall to workflow_app

    app.add_typer(workflow_app, name="workflow")
