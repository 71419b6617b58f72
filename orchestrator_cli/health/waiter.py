"""Wait for many objects at once: one thread per item, each with its own deadline.

Each item lists its object, then watches it in short windows, relisting after a dropped
watch or a 410 Gone, so no readiness change is missed. Workloads (Deployment, StatefulSet)
also have their pods checked for fail-fast reasons (CrashLoopBackOff, ImagePullBackOff,
Unschedulable) so a broken component fails at once instead of at its timeout.
On failure or timeout the outcome names the object, its conditions and latest events.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Protocol

from orchestrator_cli.health import readiness
from orchestrator_cli.health.hints import hint_for
from orchestrator_cli.kube.client import SHORT_BUDGET, Gone, NotServed, Ref

WATCH_WINDOW = 5  # seconds per watch request; pods are re-checked between windows
STRAGGLER_GRACE = 15  # after the last item's deadline, an item still stuck in a call is given up


class WaitKube(Protocol):
    def list(self, api_version: str, kind: str, namespace: str | None = None, *, label_selector: str | None = None,
             field_selector: str | None = None, budget: float | None = None) -> tuple[list[dict], str | None]: ...
    def watch(self, api_version: str, kind: str, namespace: str | None, *, name: str | None = None,
              label_selector: str | None = None, resource_version: str | None = None,
              timeout_seconds: int = 30): ...
    def events_for(self, ref: Ref, limit: int = 5) -> list[str]: ...


@dataclass(frozen=True)
class WaitItem:
    id: str
    ref: Ref
    ready: str  # readiness predicate name (readiness.predicate_for)
    timeout: float
    # With a label selector the item is every object of ref's kind it selects (objects with
    # generated names, e.g. a Service's EndpointSlices); the predicate sees {"items": [...]}.
    selector: str | None = None
    # The workload whose pods fail this item fast (CrashLoopBackOff, ...), when the item is not one itself:
    # a SonataFlow's Deployment.
    pods_from: Ref | None = None


@dataclass
class WaitStatus:
    item: WaitItem
    state: str = "waiting"  # waiting | ready | failed | timeout
    reason: str = ""
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    details: list[str] = field(default_factory=list)

    @property
    def elapsed(self) -> float:
        return (self.finished or time.monotonic()) - self.started

    @property
    def done(self) -> bool:
        return self.state != "waiting"

    def to_dict(self) -> dict:
        return {"id": self.item.id, "object": str(self.item.ref), "state": self.state, "reason": self.reason,
                "elapsed": round(self.elapsed, 1), "details": self.details}


class WaitObserver(Protocol):
    def wait_update(self, status: WaitStatus) -> None: ...


def _selector(obj: dict | None) -> str | None:
    labels = (((obj or {}).get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items())) or None


def describe(kube: WaitKube, item: WaitItem, obj: dict | None) -> list[str]:
    """Diagnostics for a failed or timed-out item: conditions, then latest events."""
    lines = []
    if obj is None:
        lines.append(f"{item.ref} does not exist")
    for c in readiness.conditions(obj):
        lines.append(f"condition {c.get('type')}={c.get('status')} {c.get('reason') or ''} {c.get('message') or ''}".rstrip())
    phase = ((obj or {}).get("status") or {}).get("phase")
    if phase:
        lines.append(f"phase {phase}")
    for e in kube.events_for(item.ref):
        lines.append(f"event {e}")
    return lines


def _list(kube: WaitKube, item: WaitItem, budget: float) -> tuple[dict[str, dict], str | None]:
    """The item's objects by name, and the list's resourceVersion."""
    ref = item.ref
    if item.selector:
        items, rv = kube.list(ref.api_version, ref.kind, ref.namespace, label_selector=item.selector, budget=budget)
    else:
        items, rv = kube.list(ref.api_version, ref.kind, ref.namespace, field_selector=f"metadata.name={ref.name}",
                              budget=budget)
    return {(o.get("metadata") or {}).get("name", ""): o for o in items}, rv


def _watch(kube: WaitKube, item: WaitItem, rv: str | None, window: int):
    ref = item.ref
    if item.selector:
        return kube.watch(ref.api_version, ref.kind, ref.namespace, label_selector=item.selector,
                          resource_version=rv, timeout_seconds=window)
    return kube.watch(ref.api_version, ref.kind, ref.namespace, name=ref.name, resource_version=rv,
                      timeout_seconds=window)


def _view(item: WaitItem, members: dict[str, dict]) -> dict | None:
    """What the predicate judges: the named object (None while absent), or all selected objects."""
    if item.selector:
        return {"items": [members[n] for n in sorted(members)]}
    return members.get(item.ref.name)


def _pod_failure(kube: WaitKube, item: WaitItem, obj: dict | None) -> str | None:
    workload = item.pods_from
    try:
        if workload is not None:
            found, _ = kube.list(workload.api_version, workload.kind, workload.namespace,
                                 field_selector=f"metadata.name={workload.name}", budget=SHORT_BUDGET)
            obj = found[0] if found else None
        elif not readiness.has_pods(item.ready):
            return None
        if obj is None:
            return None
        selector = _selector(obj)
        if not selector:
            return None
        pods, _ = kube.list("v1", "Pod", (workload or item.ref).namespace, label_selector=selector,
                            budget=SHORT_BUDGET)
    except Exception:  # noqa: BLE001 - a failed diagnostic read must not fail the wait
        return None
    for pod in pods:
        reason = readiness.pod_failure(pod)
        if reason:
            return reason
    return None


def wait_one(kube: WaitKube, item: WaitItem, observer: WaitObserver, stop: threading.Event,
             clock: Callable[[], float] = time.monotonic) -> WaitStatus:
    status = WaitStatus(item, started=clock())
    predicate = readiness.predicate_for(item.ready)
    deadline = status.started + item.timeout
    ref = item.ref
    obj: dict | None = None
    last_reason = None

    def settle(state: str, reason: str) -> WaitStatus:
        status.state, status.reason, status.finished = state, reason, clock()
        if state in ("failed", "timeout"):
            status.details = describe(kube, item, obj)
        observer.wait_update(status)
        return status

    def evaluate() -> readiness.State:
        nonlocal last_reason
        verdict = predicate(obj)
        if isinstance(verdict, readiness.Waiting):
            pod_reason = _pod_failure(kube, item, obj)
            if pod_reason:
                return readiness.Failed(pod_reason)
        if isinstance(verdict, readiness.Waiting) and verdict.reason != last_reason:
            last_reason = verdict.reason
            status.reason = verdict.reason
            observer.wait_update(status)
        return verdict

    observer.wait_update(status)
    backoff = 0.5
    while not stop.is_set():
        try:
            # Retries end with the item's own deadline, not the adapter's longer budget.
            members, rv = _list(kube, item, budget=max(1.0, deadline - clock()))
            obj = _view(item, members)
            verdict = evaluate()
            if not isinstance(verdict, readiness.Waiting):
                return settle("ready" if isinstance(verdict, readiness.Ready) else "failed", verdict.reason)
            while not stop.is_set():
                remaining = deadline - clock()
                if remaining <= 0:
                    return settle("timeout", f"not ready after {item.timeout:.0f}s: {status.reason}")
                window = max(1, min(WATCH_WINDOW, int(remaining) + 1))
                for etype, raw in _watch(kube, item, rv, window):
                    meta = raw.get("metadata") or {}
                    rv = meta.get("resourceVersion") or rv
                    if etype == "DELETED":
                        members.pop(meta.get("name", ""), None)
                    else:
                        members[meta.get("name", "")] = raw
                    obj = _view(item, members)
                    verdict = evaluate()
                    if not isinstance(verdict, readiness.Waiting):
                        break
                    if stop.is_set() or clock() > deadline:
                        break
                else:
                    verdict = evaluate()  # window ended: re-check pods (their state is not in this object)
                if not isinstance(verdict, readiness.Waiting):
                    return settle("ready" if isinstance(verdict, readiness.Ready) else "failed", verdict.reason)
            backoff = 0.5
        except Gone:
            continue  # resourceVersion expired: relist
        except NotServed:
            obj = None
            reason = f"{ref.kind} API not served yet"
            if reason != status.reason:
                status.reason = reason
                observer.wait_update(status)
        except Exception as exc:  # noqa: BLE001 - API restart, dropped connection: relist after a pause
            reason = f"API error, retrying: {exc.__class__.__name__}"
            if reason != status.reason:
                status.reason = reason
                observer.wait_update(status)
        if clock() >= deadline:
            return settle("timeout", f"not ready after {item.timeout:.0f}s: {status.reason}")
        stop.wait(min(backoff, max(0.0, deadline - clock())))
        backoff = min(backoff * 2, 4)
    return settle("failed", "interrupted")


def wait_all(kube: WaitKube, items: list[WaitItem], observer: WaitObserver,
             stop: threading.Event | None = None) -> list[WaitStatus]:
    """Wait for every item concurrently; return all outcomes (order of `items`)."""
    stop = stop or threading.Event()  # the caller's: set by it (or by Ctrl-C here) to stop every wait
    halt = threading.Event()  # this call's threads only: also set when giving up on stragglers
    results: dict[str, WaitStatus] = {}
    lock = threading.Lock()
    gated = _Gate(observer)

    def run(item: WaitItem) -> None:
        try:
            outcome = wait_one(kube, item, gated, halt)
        except Exception as exc:  # noqa: BLE001 - a bug in one item must not hang the others
            outcome = WaitStatus(item, state="failed", reason=f"internal error: {exc!r}", finished=time.monotonic())
            gated.wait_update(outcome)
        with lock:
            results[item.id] = outcome

    threads = [threading.Thread(target=run, args=(i,), name=f"wait-{i.id}", daemon=True) for i in items]
    started = time.monotonic()
    give_up = started + max((i.timeout for i in items), default=0) + STRAGGLER_GRACE
    for t in threads:
        t.start()
    try:
        for t in threads:
            while t.is_alive() and time.monotonic() < give_up:
                if stop.is_set():
                    halt.set()
                t.join(0.2)  # short joins keep the main thread responsive to Ctrl-C
    except BaseException:
        stop.set()
        halt.set()
        raise
    halt.set()
    with lock:
        gated.close()  # a straggler finishing later must not report over the outcome below
        return [results.get(i.id) or _straggler(i, started, observer) for i in items]


class _Gate:
    """Passes updates to the observer until closed."""

    def __init__(self, observer: WaitObserver):
        self._observer = observer
        self._lock = threading.Lock()
        self._open = True

    def wait_update(self, status: WaitStatus) -> None:
        with self._lock:
            if self._open:
                self._observer.wait_update(status)

    def close(self) -> None:
        with self._lock:
            self._open = False


def _straggler(item: WaitItem, started: float, observer: WaitObserver) -> WaitStatus:
    """An item whose thread is still inside an API call well past its deadline (the per-request
    timeouts should prevent this; this is the last line of defence against hanging the install)."""
    outcome = WaitStatus(item, state="timeout", started=started, finished=time.monotonic(),
                         reason=f"not ready after {item.timeout:.0f}s: no answer from the API server")
    observer.wait_update(outcome)
    return outcome


def summarize_failures(outcomes: list[WaitStatus]) -> tuple[list[WaitStatus], list[WaitStatus]]:
    failed = [o for o in outcomes if o.state == "failed"]
    timed_out = [o for o in outcomes if o.state == "timeout"]
    return failed, timed_out


def as_error_details(outcomes: list[WaitStatus]) -> list[str]:
    lines: list[str] = []
    for o in outcomes:
        lines.append(f"{o.item.id} ({o.item.ref}): {o.reason}")
        lines.extend(f"    {d}" for d in o.details)
        lines.append(f"    hint: {hint_for(o.item.id, o.item.ref)}")
    return lines



# -- waiting for deletions (orch cleanup) ----------------------------------------------------------

GONE_GROUP_NAMESPACES = 5  # a kind in more namespaces than this is watched once, cluster-wide


def gone_groups(refs: list[Ref], per_kind_namespaces: int = GONE_GROUP_NAMESPACES) -> dict[tuple, set[tuple]]:
    """One watch per (apiVersion, kind, namespace), or per (apiVersion, kind) cluster-wide when a kind spans
    many namespaces (pure): the number of watches stays small however many objects a phase deletes."""
    by_kind: dict[tuple, set[tuple]] = {}
    for ref in refs:
        by_kind.setdefault((ref.api_version, ref.kind), set()).add((ref.namespace, ref.name))
    groups: dict[tuple, set[tuple]] = {}
    for (api, kind), members in by_kind.items():
        namespaces = {ns for ns, _ in members}
        if len(namespaces) > per_kind_namespaces or namespaces == {None}:
            groups[(api, kind, None)] = members
        else:
            for ns in namespaces:
                groups[(api, kind, ns)] = {m for m in members if m[0] == ns}
    return groups


def _watch_gone(kube: WaitKube, key: tuple, present: set[tuple], deadline: float, halt: threading.Event,
                clock: Callable[[], float]) -> None:
    """List, then watch the group until none of `present` is left (DELETED events), the deadline or halt."""
    api, kind, namespace = key
    single = next(iter(present)) if len(present) == 1 else None
    backoff = 0.5
    while present and not halt.is_set() and clock() < deadline:
        try:
            name = single[1] if single else None
            items, rv = kube.list(api, kind, namespace, field_selector=f"metadata.name={name}" if name else None,
                                  budget=max(1.0, deadline - clock()))
            listed = {((o.get("metadata") or {}).get("namespace"), (o.get("metadata") or {}).get("name"))
                      for o in items}
            present &= listed
            while present and not halt.is_set():
                remaining = deadline - clock()
                if remaining <= 0:
                    return
                window = max(1, min(WATCH_WINDOW, int(remaining) + 1))
                for etype, raw in kube.watch(api, kind, namespace, name=name, resource_version=rv,
                                             timeout_seconds=window):
                    md = raw.get("metadata") or {}
                    rv = md.get("resourceVersion") or rv
                    if etype == "DELETED":
                        present.discard((md.get("namespace"), md.get("name")))
                    if not present or halt.is_set() or clock() > deadline:
                        break
            backoff = 0.5
        except Gone:
            continue  # resourceVersion expired: relist
        except NotServed:
            present.clear()  # the kind's API (CRD) is gone, and every object of it with it
            return
        except Exception:  # noqa: BLE001 - API restart, dropped connection: relist after a pause
            halt.wait(min(backoff, max(0.0, deadline - clock())))
            backoff = min(backoff * 2, 4)


def wait_gone(kube: WaitKube, refs: list[Ref], timeout: float, stop: threading.Event | None = None,
              clock: Callable[[], float] = time.monotonic) -> list[Ref]:
    """Watch until every object in `refs` is deleted or `timeout` passes; returns those still present.

    A deletion is seen when its DELETED event arrives (not at the next poll), so the wait ends within
    the watch's latency of the slowest finalizer."""
    stop = stop or threading.Event()
    halt = threading.Event()
    deadline = clock() + timeout
    groups = gone_groups(refs)
    threads = [threading.Thread(target=_watch_gone, args=(kube, key, members, deadline, halt, clock),
                                name=f"gone-{key[1]}", daemon=True) for key, members in groups.items()]
    for t in threads:
        t.start()
    try:
        for t in threads:
            while t.is_alive() and clock() < deadline + STRAGGLER_GRACE and not stop.is_set():
                t.join(0.2)  # short joins keep the main thread responsive to Ctrl-C
    except BaseException:
        halt.set()
        raise
    halt.set()  # a thread still inside a watch window ends with it (daemon); its answer is not waited for
    left = set().union(*(set(m) for m in groups.values())) if groups else set()
    return [r for r in refs if (r.namespace, r.name) in left]
