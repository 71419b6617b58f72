"""Typer commands for day 2: `orch status`, `orch workflow ...`, `orch cleanup`.

Parsing only; the library modules (status, workflow_ns, cleanup) do the work and cli._run maps
their exceptions to exit codes (docs/exit-codes.md). Heavy imports happen inside the commands.
"""

from __future__ import annotations

import sys
from typing import Optional

import typer

workflow_app = typer.Typer(name="workflow", help="Workflow namespaces: add, list, remove.", no_args_is_help=True,
                           add_completion=False, rich_markup_mode=None)

DAY2_OUTPUTS = ("table", "plain", "json")

_KUBECONFIG = typer.Option(None, "--kubeconfig", help="Path to the kubeconfig (default: $KUBECONFIG, ~/.kube/config).")
_CONTEXT = typer.Option(None, "--context", help="Kubeconfig context to use.")
_OUTPUT = typer.Option(None, "--output", "-o", help="table (terminal default), plain or json.")


def _go(action, output: Optional[str], **kw) -> None:
    from orchestrator_cli.cli.main import _run
    from orchestrator_cli.core.errors import InputError
    from orchestrator_cli.report.day2 import make_reporter

    if output is not None and output not in DAY2_OUTPUTS:
        typer.echo(f"error: -o/--output must be one of {', '.join(DAY2_OUTPUTS)}", err=True)
        raise typer.Exit(InputError.exit_code)
    from orchestrator_cli.day2.namespaces import Day2Options

    opts = Day2Options(kubeconfig=kw.pop("kubeconfig", None), context=kw.pop("context", None), output=output,
                       dry_run=kw.pop("dry_run", False), extra=kw)
    _run(action, opts, output, reporter_factory=make_reporter)


def _terminal_confirm():
    """A confirmation prompt when stdin and stdout are terminals, else None (commands then refuse)."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        return None
    return lambda question: typer.confirm(question, default=False)


def status_command(
    output: Optional[str] = _OUTPUT,
    wait: bool = typer.Option(False, "--wait", help="Wait until everything is healthy (or the timeout passes)."),
    timeout: float = typer.Option(300, "--timeout", help="Seconds --wait may take."),
    kubeconfig: Optional[str] = _KUBECONFIG,
    context: Optional[str] = _CONTEXT,
) -> None:
    """Health of the installed Orchestrator: wait-list items, Backstage URL, PostgreSQL, workflow
    namespaces and workflows. Exit 8 when anything is unhealthy."""
    from orchestrator_cli.day2.status import status

    if timeout <= 0:
        typer.echo("error: --timeout must be positive", err=True)
        raise typer.Exit(2)
    _go(status, output, wait=wait, timeout=timeout, kubeconfig=kubeconfig, context=context)


@workflow_app.command("add-namespace")
def add_namespace(
    namespace: str = typer.Argument(..., metavar="NS", help="Namespace to enable for workflows (created if missing)."),
    patch_workflows: bool = typer.Option(True, "--patch-workflows/--no-patch-workflows",
                                         help="Point SonataFlow workflows already in NS at orch's PostgreSQL namespace."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan; write nothing."),
    output: Optional[str] = _OUTPUT,
    kubeconfig: Optional[str] = _KUBECONFIG,
    context: Optional[str] = _CONTEXT,
) -> None:
    """Enable NS for workflows: label, network policies both ways, PostgreSQL secret, workflow serviceRefs."""
    from orchestrator_cli.day2.namespaces import add_namespace as run

    _go(run, output, namespace=namespace, patch_workflows=patch_workflows, dry_run=dry_run, kubeconfig=kubeconfig,
        context=context)


@workflow_app.command("list-namespaces")
def list_namespaces(
    output: Optional[str] = _OUTPUT,
    kubeconfig: Optional[str] = _KUBECONFIG,
    context: Optional[str] = _CONTEXT,
) -> None:
    """Workflow namespaces and whether each is complete (label, policies, secret, workflow serviceRefs)."""
    from orchestrator_cli.day2.namespaces import list_namespaces as run

    _go(run, output, kubeconfig=kubeconfig, context=context)


@workflow_app.command("remove-namespace")
def remove_namespace(
    namespace: str = typer.Argument(..., metavar="NS"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan; write nothing."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask before deleting a namespace orch created."),
    output: Optional[str] = _OUTPUT,
    kubeconfig: Optional[str] = _KUBECONFIG,
    context: Optional[str] = _CONTEXT,
) -> None:
    """Undo add-namespace: only what orch added (its policies, secret copy, labels; NS if orch created it)."""
    from functools import partial

    from orchestrator_cli.day2.namespaces import remove_namespace as run

    _go(partial(run, confirm=_terminal_confirm()), output, namespace=namespace, dry_run=dry_run, yes=yes,
        kubeconfig=kubeconfig, context=context)


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
    timeout: float = typer.Option(300, "--timeout", help="Seconds each phase may take before cleanup reports "
                                                         "what blocks it."),
    output: Optional[str] = _OUTPUT,
    kubeconfig: Optional[str] = _KUBECONFIG,
    context: Optional[str] = _CONTEXT,
) -> None:
    """Remove what orch installed, in order, and nothing it did not create."""
    from functools import partial

    from orchestrator_cli.day2.cleanup import cleanup

    if timeout <= 0:
        typer.echo("error: --timeout must be positive", err=True)
        raise typer.Exit(2)
    _go(partial(cleanup, confirm=None if output == "json" else _terminal_confirm()), output, dry_run=dry_run,
        yes=yes, include_workflows=include_workflows, delete_data=delete_data, purge=purge,
        purge_knative=purge_knative, force_finalizers=force_finalizers, timeout=timeout, kubeconfig=kubeconfig,
        context=context)


def register(app: typer.Typer) -> None:
    app.command("status")(status_command)
    app.command("cleanup")(cleanup_command)
    app.add_typer(workflow_app, name="workflow")
