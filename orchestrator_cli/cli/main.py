"""Typer application: parses arguments, calls the library, renders results.

Heavy modules (the kubernetes client, rich live views) are imported inside the
commands so that `orch --help` and `orch --version` start fast. This is the only place that
turns exceptions into exit codes (docs/exit-codes.md).
"""

from __future__ import annotations

from typing import List, Optional

import typer

from orchestrator_cli import __version__
from orchestrator_cli.cli.common import CONNECTION, NO_COLOR_OPTION, OUTPUT
from orchestrator_cli.cli.help import ManualCommand, examples
from orchestrator_cli.cli.completion import (
    complete_context,
    complete_day2_output,
    complete_generation,
    complete_install_output,
)

app = typer.Typer(
    name="orch",
    help="Install and operate the Orchestrator (Workflows for Backstage) on OpenShift and Kubernetes.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)

OUTPUTS = ("table", "plain", "json", "yaml")
# install / check --pre help panels (cli/help.py), besides CONNECTION and OUTPUT
PLATFORM = "Platform (Kubernetes)"
NAMESPACES, RHDH, GITOPS, SECRETS, POSTGRES, WAITING = ("Namespaces", "RHDH", "GitOps", "Secrets", "PostgreSQL",
                                                         "Waiting")


@app.callback(invoke_without_command=True)
def root(
    ctx: typer.Context,
    version: bool = typer.Option(False, "--version",
                                 help="Print the client version and exit (with -o: as `orch version`)."),
    output: Optional[str] = typer.Option(None, "--output", "-o", metavar="FORMAT",
                                         help="With --version: table, plain or json, client and cluster versions "
                                              "(the same as `orch version -o FORMAT`).",
                                         autocompletion=complete_day2_output),
    no_color: bool = NO_COLOR_OPTION,
) -> None:
    """Install and operate the Orchestrator (Workflows for Backstage)."""
    if version:
        if output is None:  # one line, no cluster contact: on the start-up budget
            typer.echo(f"orch {__version__}")
            raise typer.Exit()
        from orchestrator_cli.cli.version import version_command

        version_command(client=False, output=output, kubeconfig=None, context=None)
    if output is not None:
        typer.echo("error: -o before the command is only for --version; put it after the command "
                   "(e.g. orch status -o json)", err=True)
        raise typer.Exit(2)
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())
        raise typer.Exit()


def _run(action, opts, output: Optional[str], reporter_factory=None) -> None:
    """Call the library; map errors to exit codes; make sure the reporter is closed."""
    from orchestrator_cli.core.errors import InputError, Interrupted, OrchError, Terminated
    from orchestrator_cli.report.reporters import make_reporter

    if output is not None and output not in OUTPUTS:
        typer.echo(f"error: -o/--output must be one of {', '.join(OUTPUTS)}", err=True)
        raise typer.Exit(InputError.exit_code)
    reporter = (reporter_factory or make_reporter)(output)
    code = 0
    try:
        ok = action(opts, reporter)
        if ok is False:
            code = 4
    except OrchError as exc:
        reporter.error(exc)
        code = exc.exit_code
    except Terminated:
        exc = Interrupted("terminated (SIGTERM); every step is idempotent: run the same command again to continue")
        reporter.error(exc)
        code = Terminated.exit_code
    except KeyboardInterrupt:
        exc = Interrupted("interrupted; every step is idempotent: run the same command again to continue")
        reporter.error(exc)
        code = exc.exit_code
    finally:
        reporter.close()
    raise typer.Exit(code)


def _flags(**kwargs) -> dict:
    return {k: v for k, v in kwargs.items() if v is not None and v != []}


@app.command(cls=ManualCommand, epilog=examples(
    "orch install                                   # prompts for what it needs",
    "orch install --use-default --version 1.4 --gitops",
    "orch install --dry-run -o yaml -f values.yaml   # the manifests, secrets redacted"))
def install(
    version: Optional[str] = typer.Option(None, "--version", metavar="VERSION", help="Orchestrator generation: 1.3 (default) or 1.4. Env ORCH_VERSION.",
                                          autocompletion=complete_generation),
    values: Optional[str] = typer.Option(None, "--values", "-f", metavar="FILE", help="YAML file with input values (docs/inputs.md)."),
    use_default: bool = typer.Option(False, "--use-default", help="Never prompt: defaults for everything not given; missing optional secrets are omitted."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Write nothing; print the plan (with -o yaml: the manifests, secrets redacted)."),
    output: Optional[str] = typer.Option(None, "--output", "-o", metavar="FORMAT", rich_help_panel=OUTPUT, help="table (terminal default), plain, json, or yaml (with --dry-run).",
                                         autocompletion=complete_install_output),
    no_color: bool = NO_COLOR_OPTION,
    kubeconfig: Optional[str] = typer.Option(None, "--kubeconfig", metavar="FILE", rich_help_panel=CONNECTION, help="Path to the kubeconfig (default: $KUBECONFIG, ~/.kube/config)."),
    context: Optional[str] = typer.Option(None, "--context", metavar="NAME", rich_help_panel=CONNECTION, help="Kubeconfig context to use.",
                                          autocompletion=complete_context),
    orchestrator_namespace: Optional[str] = typer.Option(None, "--orchestrator-namespace", metavar="NS", rich_help_panel=NAMESPACES, help="Namespace of the Orchestrator CR and the token ServiceAccount (default orchestrator)."),
    rhdh_namespace: Optional[str] = typer.Option(None, "--rhdh-namespace", metavar="NS", rich_help_panel=NAMESPACES, help="RHDH operator/Backstage namespace (default rhdh-operator)."),
    workflow_namespace: Optional[str] = typer.Option(None, "--workflow-namespace", metavar="NS", rich_help_panel=NAMESPACES, help="SonataFlow platform/workflow namespace (default sonataflow-infra)."),
    existing_rhdh: Optional[str] = typer.Option(None, "--existing-rhdh", rich_help_panel=RHDH, metavar="NS", help="Use the RHDH already running in NS (the RHDH operator is not installed)."),
    configure_rhdh: Optional[bool] = typer.Option(None, "--configure-rhdh/--no-configure-rhdh", rich_help_panel=RHDH, help="With --existing-rhdh: apply the plugin ConfigMaps instead of printing them."),
    gitops: Optional[bool] = typer.Option(None, "--gitops/--no-gitops", rich_help_panel=GITOPS, help="Enable ArgoCD integration."),
    argocd_namespace: Optional[str] = typer.Option(None, "--argocd-namespace", metavar="NS", rich_help_panel=GITOPS, help="ArgoCD namespace (default orchestrator-gitops)."),
    argocd_instance: Optional[str] = typer.Option(None, "--argocd-instance", metavar="NAME", rich_help_panel=GITOPS, help="ArgoCD instance name (implies --gitops)."),
    tekton: Optional[bool] = typer.Option(None, "--tekton/--no-tekton", rich_help_panel=GITOPS, help="Enable the Tekton workflow pipeline (needs --gitops)."),
    token_service_account: Optional[str] = typer.Option(None, "--token-service-account", metavar="NAME", rich_help_panel=RHDH, help="ServiceAccount holding K8S_CLUSTER_TOKEN (default orchestrator)."),
    token_cluster_admin: Optional[bool] = typer.Option(None, "--token-cluster-admin/--no-token-cluster-admin", rich_help_panel=RHDH, help="Bind cluster-admin to the token ServiceAccount (default: read-only ClusterRole)."),
    guest_provider: Optional[bool] = typer.Option(None, "--guest-provider/--no-guest-provider", rich_help_panel=RHDH, help="Enable the Backstage guest sign-in provider."),
    github_token: Optional[str] = typer.Option(None, "--github-token", metavar="TOKEN", rich_help_panel=SECRETS, help="Prefer env GITHUB_TOKEN (flags are visible in the process list)."),
    github_client_id: Optional[str] = typer.Option(None, "--github-client-id", metavar="ID", rich_help_panel=SECRETS, help="Env GITHUB_CLIENT_ID."),
    github_client_secret: Optional[str] = typer.Option(None, "--github-client-secret", metavar="SECRET", rich_help_panel=SECRETS, help="Env GITHUB_CLIENT_SECRET."),
    gitlab_host: Optional[str] = typer.Option(None, "--gitlab-host", metavar="HOST", rich_help_panel=SECRETS, help="Env GITLAB_HOST."),
    gitlab_token: Optional[str] = typer.Option(None, "--gitlab-token", metavar="TOKEN", rich_help_panel=SECRETS, help="Env GITLAB_TOKEN."),
    notifications_email: Optional[bool] = typer.Option(None, "--notifications-email/--no-notifications-email", rich_help_panel=SECRETS, help="Configure the notifications email plugin. Env SETUP_NOTIFICATIONS_EMAIL."),
    email_hostname: Optional[str] = typer.Option(None, "--notifications-email-hostname", metavar="HOST", rich_help_panel=SECRETS, help="Env NOTIFICATIONS_EMAIL_HOSTNAME."),
    email_username: Optional[str] = typer.Option(None, "--notifications-email-username", metavar="USER", rich_help_panel=SECRETS, help="Env NOTIFICATIONS_EMAIL_USERNAME."),
    email_password: Optional[str] = typer.Option(None, "--notifications-email-password", metavar="PASSWORD", rich_help_panel=SECRETS, help="Env NOTIFICATIONS_EMAIL_PASSWORD."),
    postgres_external: Optional[bool] = typer.Option(None, "--postgres-external/--no-postgres-external", rich_help_panel=POSTGRES, help="Use an existing PostgreSQL instead of deploying the reference one."),
    postgres_namespace: Optional[str] = typer.Option(None, "--postgres-namespace", metavar="NS", rich_help_panel=POSTGRES, help="Namespace of the external PostgreSQL Service."),
    postgres_service: Optional[str] = typer.Option(None, "--postgres-service", metavar="NAME", rich_help_panel=POSTGRES, help="PostgreSQL Service name (default sonataflow-psql-postgresql)."),
    postgres_secret: Optional[str] = typer.Option(None, "--postgres-secret", metavar="NAME", rich_help_panel=POSTGRES, help="PostgreSQL Secret name in the workflow namespace."),
    postgres_database: Optional[str] = typer.Option(None, "--postgres-database", metavar="NAME", rich_help_panel=POSTGRES, help="Database name (default sonataflow)."),
    platform: Optional[str] = typer.Option(None, "--platform", metavar="kubernetes|openshift", rich_help_panel=PLATFORM, help="Force the platform (default: detected; OpenShift when ClusterVersion or the Route API is served). Env ORCH_PLATFORM."),
    ingress_class: Optional[str] = typer.Option(None, "--ingress-class", metavar="NAME", rich_help_panel=PLATFORM, help="Kubernetes: IngressClass of Backstage's Ingress (default: the cluster's default one)."),
    host: Optional[str] = typer.Option(None, "--host", metavar="HOST", rich_help_panel=PLATFORM, help="Kubernetes: host name of Backstage's Ingress (default localhost, as in the kind guide)."),
    manifests_dir: Optional[str] = typer.Option(None, "--manifests-dir", metavar="DIR", rich_help_panel=PLATFORM, help="Kubernetes: read the pinned release manifests from DIR instead of fetching them (still verified). Env ORCH_MANIFESTS_DIR."),
    manifest_pins: Optional[str] = typer.Option(None, "--manifest-pins", metavar="FILE", rich_help_panel=PLATFORM, help="Kubernetes: YAML file of URL and SHA-256 per release manifest replacing the built-in pins (a mirror). Env ORCH_MANIFEST_PINS."),
    allow_unverified_manifests: Optional[bool] = typer.Option(None, "--allow-unverified-manifests", rich_help_panel=PLATFORM, help="Kubernetes: apply a release manifest whose digest is not pinned (docs/kubernetes.md says which)."),
    timeout: Optional[str] = typer.Option(None, "--timeout", metavar="SECONDS", rich_help_panel=WAITING, help="Seconds each wait item may take (default 900). Env ORCH_TIMEOUT."),
    item_timeout: List[str] = typer.Option([], "--item-timeout", rich_help_panel=WAITING, metavar="ID=SECONDS", help="Timeout for one wait item (repeatable)."),
    lock_timeout: float = typer.Option(600, "--lock-timeout", metavar="SECONDS", rich_help_panel=WAITING, help="Seconds to wait for another orch install to finish."),
) -> None:
    """Install the Orchestrator on OpenShift or Kubernetes (safe to re-run)."""
    from orchestrator_cli.install.run import Options
    from orchestrator_cli.install.run import install as do_install

    if not 0 <= lock_timeout <= 24 * 3600:  # also rejects nan
        typer.echo(f"error: --lock-timeout must be between 0 and 86400 seconds, got {lock_timeout:g}", err=True)
        raise typer.Exit(2)
    flags = _flags(version=version, orchestrator_namespace=orchestrator_namespace, rhdh_namespace=rhdh_namespace,
                   workflow_namespace=workflow_namespace, existing_rhdh=existing_rhdh, configure_rhdh=configure_rhdh,
                   gitops=gitops, argocd_namespace=argocd_namespace, argocd_instance=argocd_instance, tekton=tekton,
                   token_service_account=token_service_account, token_cluster_admin=token_cluster_admin,
                   guest_provider=guest_provider, github_token=github_token, github_client_id=github_client_id,
                   github_client_secret=github_client_secret, gitlab_host=gitlab_host, gitlab_token=gitlab_token,
                   notifications_email=notifications_email, email_hostname=email_hostname,
                   email_username=email_username, email_password=email_password,
                   postgres_external=postgres_external, postgres_namespace=postgres_namespace,
                   postgres_service=postgres_service, postgres_secret=postgres_secret,
                   postgres_database=postgres_database, timeout=timeout, item_timeouts=item_timeout,
                   platform=platform, ingress_class=ingress_class, host=host, manifests_dir=manifests_dir,
                   manifest_pins=manifest_pins, allow_unverified_manifests=allow_unverified_manifests)
    opts = Options(flags=flags, values_file=values, kubeconfig=kubeconfig, context=context, use_default=use_default,
                   dry_run=dry_run, output=output, lock_timeout=lock_timeout)
    _run(do_install, opts, output)


@app.command(cls=ManualCommand, epilog=examples(
    "orch check --pre                   # can this cluster take an install? (exit 4 if not)",
    "orch check --pre --version 1.4 --gitops -o json"))
def check(
    pre: bool = typer.Option(False, "--pre", help="Pre-flight checks for an install (read-only)."),
    version: Optional[str] = typer.Option(None, "--version", metavar="VERSION", help="Orchestrator generation to check for.",
                                          autocompletion=complete_generation),
    values: Optional[str] = typer.Option(None, "--values", "-f", metavar="FILE", help="The values file install would use."),
    output: Optional[str] = typer.Option(None, "--output", "-o", metavar="FORMAT", rich_help_panel=OUTPUT, help="table, plain or json.",
                                         autocompletion=complete_day2_output),
    no_color: bool = NO_COLOR_OPTION,
    kubeconfig: Optional[str] = typer.Option(None, "--kubeconfig", metavar="FILE", rich_help_panel=CONNECTION, help="Path to the kubeconfig."),
    context: Optional[str] = typer.Option(None, "--context", metavar="NAME", rich_help_panel=CONNECTION, help="Kubeconfig context to use.",
                                          autocompletion=complete_context),
    orchestrator_namespace: Optional[str] = typer.Option(None, "--orchestrator-namespace", metavar="NS", rich_help_panel=NAMESPACES),
    rhdh_namespace: Optional[str] = typer.Option(None, "--rhdh-namespace", metavar="NS", rich_help_panel=NAMESPACES),
    workflow_namespace: Optional[str] = typer.Option(None, "--workflow-namespace", metavar="NS", rich_help_panel=NAMESPACES),
    existing_rhdh: Optional[str] = typer.Option(None, "--existing-rhdh", rich_help_panel=RHDH, metavar="NS"),
    gitops: Optional[bool] = typer.Option(None, "--gitops/--no-gitops", rich_help_panel=GITOPS),
    argocd_namespace: Optional[str] = typer.Option(None, "--argocd-namespace", metavar="NS", rich_help_panel=GITOPS),
    argocd_instance: Optional[str] = typer.Option(None, "--argocd-instance", metavar="NAME", rich_help_panel=GITOPS),
    tekton: Optional[bool] = typer.Option(None, "--tekton/--no-tekton", rich_help_panel=GITOPS),
    token_cluster_admin: Optional[bool] = typer.Option(None, "--token-cluster-admin/--no-token-cluster-admin", rich_help_panel=RHDH),
    postgres_external: Optional[bool] = typer.Option(None, "--postgres-external/--no-postgres-external", rich_help_panel=POSTGRES),
    postgres_namespace: Optional[str] = typer.Option(None, "--postgres-namespace", metavar="NS", rich_help_panel=POSTGRES),
    platform: Optional[str] = typer.Option(None, "--platform", metavar="kubernetes|openshift", rich_help_panel=PLATFORM, help="Force the platform (default: detected; OpenShift when ClusterVersion or the Route API is served). Env ORCH_PLATFORM."),
    ingress_class: Optional[str] = typer.Option(None, "--ingress-class", metavar="NAME", rich_help_panel=PLATFORM, help="Kubernetes: IngressClass of Backstage's Ingress (default: the cluster's default one)."),
    host: Optional[str] = typer.Option(None, "--host", metavar="HOST", rich_help_panel=PLATFORM, help="Kubernetes: host name of Backstage's Ingress (default localhost, as in the kind guide)."),
    manifests_dir: Optional[str] = typer.Option(None, "--manifests-dir", metavar="DIR", rich_help_panel=PLATFORM, help="Kubernetes: read the pinned release manifests from DIR instead of fetching them (still verified). Env ORCH_MANIFESTS_DIR."),
    manifest_pins: Optional[str] = typer.Option(None, "--manifest-pins", metavar="FILE", rich_help_panel=PLATFORM, help="Kubernetes: YAML file of URL and SHA-256 per release manifest replacing the built-in pins (a mirror). Env ORCH_MANIFEST_PINS."),
    allow_unverified_manifests: Optional[bool] = typer.Option(None, "--allow-unverified-manifests", rich_help_panel=PLATFORM, help="Kubernetes: apply a release manifest whose digest is not pinned (docs/kubernetes.md says which)."),
) -> None:
    """Health checks. `orch check --pre`: can this cluster take an install? (exit 4 if not)."""
    from orchestrator_cli.core.errors import InputError
    from orchestrator_cli.install.run import Options, check_pre

    if not pre:  # `orch check` without --pre is `orch status`
        from orchestrator_cli.cli.day2 import status_command

        status_command(output=output, wait=False, timeout=300, show_all=False, kubeconfig=kubeconfig, context=context)
        return
    if output == "yaml":
        typer.echo("error: -o yaml is for `orch install --dry-run`", err=True)
        raise typer.Exit(InputError.exit_code)
    flags = _flags(version=version, orchestrator_namespace=orchestrator_namespace, rhdh_namespace=rhdh_namespace,
                   workflow_namespace=workflow_namespace, existing_rhdh=existing_rhdh, gitops=gitops,
                   argocd_namespace=argocd_namespace, argocd_instance=argocd_instance, tekton=tekton,
                   token_cluster_admin=token_cluster_admin, postgres_external=postgres_external,
                   postgres_namespace=postgres_namespace, platform=platform, ingress_class=ingress_class,
                   host=host, manifests_dir=manifests_dir, manifest_pins=manifest_pins,
                   allow_unverified_manifests=allow_unverified_manifests)
    opts = Options(flags=flags, values_file=values, kubeconfig=kubeconfig, context=context, use_default=True,
                   output=output)
    _run(check_pre, opts, output)



from orchestrator_cli.cli import day2 as cli_day2  # noqa: E402 - the command groups register themselves
from orchestrator_cli.cli import workflow as cli_workflow  # noqa: E402

from orchestrator_cli.cli import completion as cli_completion  # noqa: E402
from orchestrator_cli.cli import support as cli_support  # noqa: E402
from orchestrator_cli.cli import version as cli_version  # noqa: E402

cli_day2.register(app)
cli_workflow.register(app)
cli_completion.register(app)
cli_version.register(app)
cli_support.register(app)


def _click_exceptions():
    try:
        from typer._click import exceptions  # typer >= 0.2x vendors click
    except ImportError:  # pragma: no cover - older typer with click installed
        from click import exceptions
    return exceptions


def _abort_type(exceptions):
    """click's Abort; typer 0.28 keeps it in typer.exceptions instead of its vendored click (without this, any
    unexpected error ended in an AttributeError here instead of its own traceback)."""
    found = getattr(exceptions, "Abort", None)
    if found is None:
        try:
            from typer.exceptions import Abort as found  # type: ignore[no-redef]
        except ImportError:  # pragma: no cover
            found = ()
    return found


def _on_sigterm(signum, frame) -> None:
    import signal

    from orchestrator_cli.core.errors import Terminated

    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # once: a repeat must not cut short the unwinding
    raise Terminated()


def run() -> None:
    """Like app(), but a usage error (unknown option, bad option value) is one `error:` line, exit 2.
    SIGTERM unwinds like Ctrl-C (lock released, exit 143) instead of killing orch mid-write."""
    import signal
    import sys

    signal.signal(signal.SIGTERM, _on_sigterm)
    if cli_completion.completion_requested():  # the shell asking for completions (typer exits after answering)
        cli_completion.enable_shell_completion()
    try:
        code = app(standalone_mode=False)
    except Exception as exc:  # noqa: BLE001 - only click's own exceptions are handled here
        ex = _click_exceptions()
        if isinstance(exc, getattr(ex, "NoArgsIsHelpError", ())):
            exc.show()  # `orch` / `orch workflow` alone: the help text
            sys.exit(exc.exit_code)
        if isinstance(exc, ex.ClickException):
            where = f" (see `{exc.ctx.command_path} --help`)" if getattr(exc, "ctx", None) is not None else ""
            typer.echo(f"error: {exc.format_message()}{where}", err=True)
            sys.exit(exc.exit_code)
        if isinstance(exc, _abort_type(ex)):  # EOF at a typer.confirm() question
            typer.echo("error: aborted", err=True)
            sys.exit(130)
        raise
    sys.exit(code if isinstance(code, int) else 0)
