"""Typer commands for day 2: `orch status` and `orch cleanup` (the workflow group is cli/workflow.py).

Parsing only; the library modules (day2.status, day2.cleanup) do the work. Heavy imports happen
inside the commands.
"""

from __future__ import annotations

from typing import Optional

import typer

from orchestrator_cli.cli.common import (
    ALL_OPTION,
    CONTEXT_OPTION,
    KUBECONFIG_OPTION,
    NO_COLOR_OPTION,
    OUTPUT_OPTION,
    run_day2,
    terminal_confirm,
)


def status_command(
    output: Optional[str] = OUTPUT_OPTION,
    no_color: bool = NO_COLOR_OPTION,
    wait: bool = typer.Option(False, "--wait", help="Wait until everything is healthy (or the timeout passes)."),
    timeout: float = typer.Option(300, "--timeout", metavar="SECONDS", help="Seconds --wait may take."),
    show_all: bool = ALL_OPTION,
    kubeconfig: Optional[str] = KUBECONFIG_OPTION,
    context: Optional[str] = CONTEXT_OPTION,
) -> None:
    """Health of the installed Orchestrator: wait-list items, Backstage URL, PostgreSQL, workflow
    namespaces and workflows. Exit 8 when anything is unhealthy."""
    from orchestrator_cli.day2.status import status

    if timeout <= 0:
        typer.echo("error: --timeout must be positive", err=True)
        raise typer.Exit(2)
    run_day2(status, output, show_all=show_all, wait=wait, timeout=timeout, kubeconfig=kubeconfig, context=context)


def cleanup_command(
    dry_run: bool = typer.Option(False, "--dry-run", help="Print exactly what would be deleted; write nothing."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation (needed without a terminal)."),
    include_workflows: bool = typer.Option(False, "--include-workflows",
                                           help="Delete SonataFlow workflows first (otherwise cleanup refuses)."),
    delete_data: bool = typer.Option(False, "--delete-data", help="Also delete the PostgreSQL PVC(s) orch's "
                                                                  "StatefulSet created."),
    purge: bool = typer.Option(False, "--purge", help="Also delete the CRDs of the removed operators (listed)."),
    purge_knative: bool = typer.Option(False, "--purge-knative", help="With --purge: knative CRDs too."),
    force_finalizers: bool = typer.Option(False, "--force-finalizers",
                                          help="Remove finalizers of objects still present after the timeout."),
    timeout: float = typer.Option(300, "--timeout", metavar="SECONDS", help="Seconds each phase may take before cleanup reports "
                                                         "what blocks it."),
    output: Optional[str] = OUTPUT_OPTION,
    no_color: bool = NO_COLOR_OPTION,
    kubeconfig: Optional[str] = KUBECONFIG_OPTION,
    context: Optional[str] = CONTEXT_OPTION,
) -> None:
    """Remove what orch installed, in order, and nothing it did not create."""
    from functools import partial

    from orchestrator_cli.day2.cleanup import cleanup

    if timeout <= 0:
        typer.echo("error: --timeout must be positive", err=True)
        raise typer.Exit(2)
    run_day2(partial(cleanup, confirm=None if output == "json" else terminal_confirm()), output, dry_run=dry_run,
        yes=yes, include_workflows=include_workflows, delete_data=delete_data, purge=purge,
        purge_knative=purge_knative, force_finalizers=force_finalizers, timeout=timeout, kubeconfig=kubeconfig,
        context=context)


def register(app: typer.Typer) -> None:
    from orchestrator_cli.cli.help import manual

    manual(app, "status", status_command, "orch status", "orch status --wait --timeout 600   # until healthy",
           "orch status -o json | jq -r '.summary.problems[]'")
    manual(app, "cleanup", cleanup_command, "orch cleanup --dry-run                 # exactly what would go",
           "orch cleanup --include-workflows --yes",
           "orch cleanup --yes --delete-data --purge   # also the PostgreSQL data and the operators' CRDs")
