"""`orch workflow install / list / uninstall` (and the hidden `post-render` Helm runs): parsing only.

The library is orchestrator_cli.workflows; heavy imports happen inside the commands.
"""

from __future__ import annotations

from typing import List, Optional

import typer

from orchestrator_cli.cli.common import CONTEXT_OPTION, KUBECONFIG_OPTION, NO_COLOR_OPTION, OUTPUT
from orchestrator_cli.cli.help import ManualCommand, examples
from orchestrator_cli.cli.workflow import workflow_app

OUTPUT_OPTION = typer.Option(None, "--output", "-o", metavar="FORMAT", rich_help_panel=OUTPUT, help="table (terminal default), plain, json; yaml with --dry-run.")
NAMESPACE_OPTION = typer.Option(None, "--namespace", "-n", metavar="NS", help="Workflow namespace (default: the SonataFlow "
                                "platform namespace of the installation).")
HELM_OPTION = typer.Option(None, "--helm", metavar="PATH", help="The helm binary (3.9+; default: helm on PATH). "
                           "Env ORCH_HELM.")
CONFIG_OPTION = typer.Option(None, "--config", metavar="FILE", help="YAML with repository, helm, namespace, timeout, "
                             "env (docs/workflows.md).")
TIMEOUT_OPTION = typer.Option(None, "--timeout", metavar="SECONDS", help="Seconds to wait for the workflow (default 600).")


def _run(action, output: Optional[str], allowed: tuple[str, ...], dry_run: bool = False, **kw) -> None:
    from orchestrator_cli.cli.main import _run as run
    from orchestrator_cli.core.errors import InputError
    from orchestrator_cli.day2.common import Day2Options
    from orchestrator_cli.report.workflows import make_reporter

    if output is not None and output not in allowed:
        typer.echo(f"error: -o/--output must be one of {', '.join(allowed)}", err=True)
        raise typer.Exit(InputError.exit_code)
    if output == "yaml" and not dry_run:
        typer.echo("error: -o yaml prints the rendered objects of --dry-run; add --dry-run", err=True)
        raise typer.Exit(InputError.exit_code)
    opts = Day2Options(kubeconfig=kw.pop("kubeconfig", None), context=kw.pop("context", None), output=output,
                       dry_run=dry_run, extra=kw)
    run(action, opts, output, reporter_factory=make_reporter)


@workflow_app.command("install", cls=ManualCommand, epilog=examples(
    "orch workflow install greeting",
    "orch workflow install mta-v7 -n team-a --env MTA_URL=https://mta.example.com",
    "orch workflow install greeting --chart-version 1.4.0 --dry-run -o yaml"))
def install_command(
    name: str = typer.Argument(..., metavar="NAME", help="Workflow chart: greeting, move2kube, mta-v7, ... "
                               "(whatever the repository index lists)."),
    namespace: Optional[str] = NAMESPACE_OPTION,
    chart_version: Optional[str] = typer.Option(None, "--chart-version", metavar="V",
                                                help="Chart version (default: the newest for the installed "
                                                     "Orchestrator's major.minor)."),
    devel: bool = typer.Option(False, "--devel", help="Consider pre-release chart versions (1.7.0-rc3) too."),
    allow_incompatible: bool = typer.Option(False, "--allow-incompatible",
                                            help="Install a --chart-version made for another Orchestrator version."),
    repo: Optional[str] = typer.Option(None, "--repo", metavar="URL", help="Chart repository (a mirror; http(s)://, "
                                       "file:// or a directory). Env ORCH_WORKFLOW_REPO."),
    set_values: List[str] = typer.Option([], "--set", metavar="KEY=VALUE", help="Chart value (repeatable; as helm)."),
    values: List[str] = typer.Option([], "--values", "-f", metavar="FILE", help="Chart values file (repeatable)."),
    env: List[str] = typer.Option([], "--env", metavar="NAME=VALUE", help="Environment variable of the workflow "
                                  "(e.g. MTA_URL=https://mta.example.com; repeatable). Not for secrets."),
    helm: Optional[str] = HELM_OPTION,
    config: Optional[str] = CONFIG_OPTION,
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan (with -o yaml: the rendered, wired "
                                 "objects, secrets redacted); write nothing."),
    timeout: Optional[float] = TIMEOUT_OPTION,
    output: Optional[str] = OUTPUT_OPTION,
    no_color: bool = NO_COLOR_OPTION,
    kubeconfig: Optional[str] = KUBECONFIG_OPTION,
    context: Optional[str] = CONTEXT_OPTION,
) -> None:
    """Install or upgrade a workflow chart compatible with the installed Orchestrator, wired to it (notification
    token and URL, PostgreSQL), and wait until it runs. Safe to re-run."""
    from orchestrator_cli.workflows.install import install

    _run(install, output, ("table", "plain", "json", "yaml"), dry_run=dry_run, name=name, namespace=namespace,
         chart_version=chart_version, devel=devel, allow_incompatible=allow_incompatible, repo=repo,
         set=set_values, values=values, env=env, helm=helm, config=config, timeout=timeout,
         kubeconfig=kubeconfig, context=context)


@workflow_app.command("list", cls=ManualCommand, epilog=examples(
    "orch workflow list",
    "orch workflow list -n team-a -o json | jq -r '.summary.workflows[].name'"))
def list_command(
    namespace: Optional[str] = typer.Option(None, "--namespace", "-n", metavar="NS", help="Only this namespace."),
    helm: Optional[str] = HELM_OPTION,
    output: Optional[str] = typer.Option(None, "--output", "-o", metavar="FORMAT", rich_help_panel=OUTPUT,
                                         help="table (terminal default), plain or json."),
    no_color: bool = NO_COLOR_OPTION,
    kubeconfig: Optional[str] = KUBECONFIG_OPTION,
    context: Optional[str] = CONTEXT_OPTION,
) -> None:
    """Every workflow (SonataFlow): namespace, chart and version, compatible or not, running or why not."""
    from orchestrator_cli.workflows.manage import list_workflows

    _run(list_workflows, output, ("table", "plain", "json"), namespace=namespace, helm=helm, kubeconfig=kubeconfig,
         context=context)


@workflow_app.command("uninstall", cls=ManualCommand, epilog=examples(
    "orch workflow uninstall greeting",
    "orch workflow uninstall mta-v7 -n team-a --dry-run"))
def uninstall_command(
    name: str = typer.Argument(..., metavar="NAME", help="A workflow chart's release, or a project orch workflow "
                               "deploy deployed."),
    namespace: Optional[str] = NAMESPACE_OPTION,
    helm: Optional[str] = HELM_OPTION,
    dry_run: bool = typer.Option(False, "--dry-run", help="List what would be removed; write nothing."),
    timeout: Optional[float] = typer.Option(None, "--timeout", metavar="SECONDS", help="Seconds to wait until "
                                            "everything is gone (default 600)."),
    output: Optional[str] = typer.Option(None, "--output", "-o", metavar="FORMAT", rich_help_panel=OUTPUT,
                                         help="table (terminal default), plain or json."),
    no_color: bool = NO_COLOR_OPTION,
    kubeconfig: Optional[str] = KUBECONFIG_OPTION,
    context: Optional[str] = CONTEXT_OPTION,
) -> None:
    """Remove a workflow and what its chart created (helm uninstall), while the SonataFlow operator runs so its
    finalizers clear. The namespace's PostgreSQL secret and labels stay."""
    from orchestrator_cli.workflows.manage import uninstall

    _run(uninstall, output, ("table", "plain", "json"), dry_run=dry_run, name=name, namespace=namespace, helm=helm,
         timeout=timeout, kubeconfig=kubeconfig, context=context)


@workflow_app.command("post-render", hidden=True)
def post_render_command(
    namespace: str = typer.Option(..., "--namespace"),
    env: List[str] = typer.Option([], "--env"),
    kubeconfig: Optional[str] = typer.Option(None, "--kubeconfig"),
    context: Optional[str] = typer.Option(None, "--context"),
) -> None:
    """Helm's post-renderer: reads the rendered manifest on stdin, writes it wired on stdout."""
    import sys

    from orchestrator_cli.core.errors import OrchError
    from orchestrator_cli.core.secrets import REDACT
    from orchestrator_cli.workflows.manage import post_render

    try:
        post_render(namespace, env, kubeconfig, context, sys.stdin, sys.stdout)
    except OrchError as exc:
        typer.echo(f"error: {REDACT(exc.message)}", err=True)
        raise typer.Exit(exc.exit_code)
