"""What every day-2 command shares: its options and its connection (the CLI layer builds the options)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Day2Options:
    kubeconfig: str | None = None
    context: str | None = None
    output: str | None = None
    dry_run: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def _connect(opts: Day2Options):
    from orchestrator_cli.kube.client import connect

    kube = connect(opts.kubeconfig, opts.context)
    kube.server_version()
    return kube
