"""`orch support-bundle`: parsing only (support/bundle.py collects)."""

from __future__ import annotations

from typing import Optional

import typer

from orchestrator_cli.cli.common import CONTEXT_OPTION, KUBECONFIG_OPTION, NO_COLOR_OPTION, run_day2
from orchestrator_cli.cli.completion import complete_day2_output


def support_bundle_command(
    file: Optional[str] = typer.Option(None, "--output", "-o", metavar="FILE.tar.gz", rich_help_panel="Output",
                                       help="Where to write the archive (default: orch-support-DATE-TIME.tar.gz "
                                            "here); an existing file is never overwritten."),
    report: Optional[str] = typer.Option(None, "--format", metavar="FORMAT", rich_help_panel="Output",
                                         help="How to print the report: table (terminal default), plain or json.",
                                         autocompletion=complete_day2_output),
    no_color: bool = NO_COLOR_OPTION,
    kubeconfig: Optional[str] = KUBECONFIG_OPTION,
    context: Optional[str] = CONTEXT_OPTION,
) -> None:
    """Collect what troubleshooting needs into one archive to attach to a ticket: the Orchestrator,
    SonataFlowPlatform, SonataFlow, Knative and Backstage CRs with their status, Subscriptions, InstallPlans
    and CSVs, Deployments/StatefulSets/Pods with their conditions, recent Events, NetworkPolicies, `orch
    status -o json`, and pod logs where the API serves them. Every Secret value and every known secret is
    redacted. Read-only: nothing on the cluster is written (docs/support-bundle.md).
    """
    from orchestrator_cli.support.bundle import support_bundle

    run_day2(support_bundle, report, output_flag="--format", file=file, kubeconfig=kubeconfig, context=context)


def register(app: typer.Typer) -> None:
    from orchestrator_cli.cli.help import manual

    manual(app, "support-bundle", support_bundle_command, "orch support-bundle",
           "orch support-bundle -o /tmp/case-01234.tar.gz --context prod",
           "orch support-bundle --format json | jq -r .summary.file")
