"""Live names for shell completion: namespaces, read once with a hard wall-clock bound.

A TAB press must never hang on an unreachable cluster: the read runs in a daemon thread that is
abandoned after `bound` seconds (completion then offers nothing and the shell falls back to its
default), the API call itself has no retries, and every error means "no suggestions".
"""

from __future__ import annotations

import threading

from orchestrator_cli.core.namespaces import WORKFLOW_LABEL
from orchestrator_cli.core.ownership import WORKFLOW_NAMESPACE_MARK

COMPLETION_BOUND = 1.5  # seconds a TAB press may wait for the API server ($ORCH_COMPLETION_TIMEOUT overrides)


def completion_bound() -> float:
    import os

    try:
        return max(0.1, float(os.environ.get("ORCH_COMPLETION_TIMEOUT", COMPLETION_BOUND)))
    except ValueError:
        return COMPLETION_BOUND


def split_namespaces(items: list[dict]) -> tuple[list[str], list[str]]:
    """(workflow namespaces, the others) among listed Namespace objects (pure)."""
    workflow, other = [], []
    for ns in items:
        md = ns.get("metadata") or {}
        name = md.get("name")
        if not name or md.get("deletionTimestamp"):
            continue
        marked = WORKFLOW_LABEL in (md.get("labels") or {}) or WORKFLOW_NAMESPACE_MARK in (md.get("annotations") or {})
        (workflow if marked else other).append(name)
    return sorted(workflow), sorted(other)


def _read(kubeconfig: str | None, context: str | None, box: dict, bound: float) -> None:
    try:
        from orchestrator_cli.kube.client import connect

        kube = connect(kubeconfig, context, retry_budget=0)
        items, _ = kube.list("v1", "Namespace", budget=bound)  # one request: all, then split
        box["split"] = split_namespaces(items)
    except Exception:  # noqa: BLE001 - completion never fails loudly
        pass


def namespaces(kubeconfig: str | None, context: str | None, *, workflow: bool | None,
               bound: float | None = None) -> list[str]:
    """Namespace names (workflow=True: workflow namespaces; False: the others; None: all), or [] after `bound`."""
    bound = completion_bound() if bound is None else bound
    box: dict = {}
    worker = threading.Thread(target=_read, args=(kubeconfig, context, box, bound), daemon=True)
    worker.start()
    worker.join(bound)
    if "split" not in box:
        return []
    wf, other = box["split"]
    if workflow is None:
        return sorted(wf + other)
    return wf if workflow else other
