"""Objects that existed before orch applied them are marked adopted, once, and stay unchanged after."""

from __future__ import annotations

from orchestrator_cli.core.ownership import ADOPTED, MANAGED_BY, is_adopted
from orchestrator_cli.core.plan import plan_object
from orchestrator_cli.kube.client import Ref


class Store:
    def __init__(self, live=None):
        self.live = live

    def get(self, ref: Ref):
        return self.live


def secret(labels=None, annotations=None, data=None):
    md = {"name": "s", "namespace": "ns", "labels": dict(labels or {})}
    if annotations:
        md["annotations"] = annotations
    return {"apiVersion": "v1", "kind": "Secret", "metadata": md, "data": data or {"K": "dg=="}}


def test_new_object_is_created_without_adoption_mark():
    change = plan_object(Store(None), secret(MANAGED_BY))
    assert change.action == "create" and not is_adopted(change.desired)


def test_object_the_user_made_is_adopted():
    change = plan_object(Store(secret()), secret(MANAGED_BY))
    assert change.action == "update" and is_adopted(change.desired)
    assert "existed before orch" in change.note


def test_adopted_object_stays_adopted_and_unchanged_on_rerun():
    live = secret(MANAGED_BY, {ADOPTED: "true"})
    change = plan_object(Store(live), secret(MANAGED_BY))
    assert change.action == "unchanged" and is_adopted(change.desired)


def test_object_orch_created_is_not_adopted_on_rerun():
    change = plan_object(Store(secret(MANAGED_BY)), secret(MANAGED_BY))
    assert change.action == "unchanged" and not is_adopted(change.desired)
