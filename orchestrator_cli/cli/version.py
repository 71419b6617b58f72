"""`orch version` (and `orch --version -o FORMAT`, which is the same): client and cluster versions.

Parsing only; day2/version.py reads the cluster. A bare `orch --version` stays the one-line client
version and never connects (it is on the start-up budget, bench/README.md).
"""

from __future__ import annotations

from typing import Optional

import typer

from orchestrator_cli.cli.common import (
    CONTEXT_OPTION,
    KUBECONFIG_OPTION,
    NO_COLOR_OPTION,
    OUTPUT_OPTION,
    run_day2,
)


def version_command(
    client: bool = typer.Option(False, "--client", help="Only the client version; do not contact the cluster."),
    output: Optional[str] = OUTPUT_OPTION,
    no_color: bool = NO_COLOR_OPTION,
    kubeconfig: Optional[str] = KUBECONFIG_OPTION,
    context: Optional[str] = CONTEXT_OPTION,
) -> None:
    """The orch version and, when the cluster is reachable, the Kubernetes/OpenShift version, the installed
    Orchestrator generation, each operator's Subscription and CSV, and the Backstage image. Exit 0 even when
    the cluster is unreachable (the reason is printed).
    """
    from orchestrator_cli.day2.version import version

    run_day2(version, output, client_only=client, kubeconfig=kubeconfig, context=context)


def register(app: typer.Typer) -> None:
    from orchestrator_cli.cli.help import manual

    manual(app, "version", version_command, "orch version", "orch version -o json --context prod",
           "orch version --client              # no cluster contact")
