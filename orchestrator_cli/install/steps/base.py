"""The step contract and the context steps run in.

plan(ctx)    reads the cluster and returns Changes; writes nothing (--dry-run stops here)
apply(ctx)   server-side applies the changes that are not "unchanged"
verify(ctx)  waits/asserts; raises an OrchError subclass on failure
Steps never print: they report through ctx.reporter.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

from orchestrator_cli.core.plan import Change, plan_object  # noqa: F401 - steps plan with these
from orchestrator_cli.install.config import InstallConfig


class Reporter(Protocol):
    def check_result(self, result) -> None: ...
    def step_started(self, step_id: str, title: str) -> None: ...
    def change(self, step_id: str, change: Change, applied: bool) -> None: ...
    def step_finished(self, step_id: str, ok: bool, message: str = "") -> None: ...
    def wait_update(self, status) -> None: ...
    def info(self, text: str) -> None: ...
    def warn(self, text: str) -> None: ...
    def manifests(self, objects: list[dict]) -> None: ...
    def summary(self, data: dict) -> None: ...
    def close(self) -> None: ...


@dataclass
class StepContext:
    kube: Any  # kube.Kube or a fake implementing the calls a step uses
    config: InstallConfig
    reporter: Reporter
    dry_run: bool = False
    before_write: Callable[[], None] = lambda: None  # takes the install lock on the first write
    stop: threading.Event = field(default_factory=threading.Event)
    state: dict[str, Any] = field(default_factory=dict)  # facts steps hand to later steps
    changes: list[Change] = field(default_factory=list)  # everything planned, for the summary


class Step:
    id = "step"
    title = "step"

    def applies(self, config) -> bool:
        """Whether this step runs for the configuration (e.g. only with --existing-rhdh)."""
        return True

    def plan(self, ctx: StepContext) -> list[Change]:
        return []

    def apply(self, ctx: StepContext, changes: list[Change]) -> None:
        for change in changes:
            if change.writes and change.desired is not None:
                ctx.before_write()
                ctx.kube.apply(change.desired)
                ctx.reporter.change(self.id, change, True)

    def verify(self, ctx: StepContext) -> None:
        return None
