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

from orchestrator_cli.config import InstallConfig
from orchestrator_cli.diff import changed_paths, needs_apply
from orchestrator_cli.kube import Ref
from orchestrator_cli.ownership import is_adopted, is_managed, mark_adopted


@dataclass(frozen=True)
class Change:
    action: str  # create | update | unchanged | approve | info
    ref: Ref
    desired: dict | None = None
    note: str = ""

    @property
    def writes(self) -> bool:
        return self.action in ("create", "update", "approve")

    def to_dict(self) -> dict:
        return {"action": self.action, "object": str(self.ref), "kind": self.ref.kind, "name": self.ref.name,
                "namespace": self.ref.namespace, "note": self.note}


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


def plan_object(kube, desired: dict, note: str = "") -> Change:
    """Compare one desired object with the live one: create, update (naming fields) or unchanged."""
    ref = Ref.of(desired)
    live = kube.get(ref)
    if live is None:
        return Change("create", ref, desired, note)
    if is_managed(desired) and (not is_managed(live) or is_adopted(live)):
        # It existed before orch applied it: mark it so cleanup keeps it (releasing orch's fields).
        desired = mark_adopted(desired)
        note = f"{note + '; ' if note else ''}existed before orch (adopted)"
    if needs_apply(desired, live):
        fields = ", ".join(changed_paths(desired, live)[:6])
        return Change("update", ref, desired, f"{note + '; ' if note else ''}changes {fields}")
    return Change("unchanged", ref, desired, note)
