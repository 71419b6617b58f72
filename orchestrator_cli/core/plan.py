"""What a command intends to do to one object (a Change), and how it is decided (pure given the live object).

Install steps and day-2 commands plan with the same Change type, so one reporter renders both and
`--dry-run` means the same everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

from orchestrator_cli.core.diff import changed_paths, needs_apply
from orchestrator_cli.core.ownership import is_adopted, is_managed, mark_adopted
from orchestrator_cli.kube.client import Ref


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
