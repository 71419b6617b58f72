"""`orch cleanup`: ordered, ownership-driven teardown that never hangs (reference section 7).

Order (each phase waits, with a timeout, until its objects are gone — by watching: health.waiter.wait_gone):
  1. workflows       SonataFlow CRs in every namespace (only with --include-workflows; otherwise
                     cleanup refuses and lists them) — while the SonataFlow operator still runs
  2. orchestrator-cr orch's Orchestrator CR — while its operator still runs (finalizer processed)
  3. operands        operand CRs the operator made for that CR (Helm release annotations) still left
  4. operators       orch's Subscription + the operator Subscriptions made for its CR, the CSVs and
                     InstallPlans OLM created for them, release OperatorGroups
  5. orch-objects    everything labelled app.kubernetes.io/managed-by=orch: PostgreSQL, setup
                     secret, token ServiceAccount, ClusterRole/Binding, workflow-namespace
                     policies and secret copies; the PostgreSQL PVCs only with --delete-data;
                     orch's labels released from namespaces it did not create
  6. namespaces      namespaces orch created (annotation) and those the operator created for
                     orch's CR — never pre-existing or shared ones; a namespace holding a kept
                     PVC is kept
  7. crds            only with --purge (knative CRDs only with --purge-knative), only CRDs of
                     the operators removed above and only when no instance is left

What orch may delete is decided by marks only (ownership.py): the managed-by label, the
created-namespace annotation, and for the operator's objects the Helm release annotations that
point at orch's own CR. When something does not go away, cleanup names it, its finalizers and the
state of the operator that should process them, and stops; finalizers are removed only with
--force-finalizers.
"""

from __future__ import annotations

import threading
import time
from typing import Callable

from orchestrator_cli.core.errors import Refused, Stuck
from orchestrator_cli.core.plan import Change
from orchestrator_cli.day2.cleanup_diagnose import diagnose, remove_finalizers, stuck_advice
from orchestrator_cli.day2.cleanup_plan import CleanupKube, CleanupOptions, CleanupPlan, Phase, plan_cleanup
from orchestrator_cli.kube.resources import Ref

__all__ = [  # execution and the command; planning and diagnosis re-exported for callers of the former module
    "CleanupOptions", "CleanupPlan", "Phase", "cleanup", "diagnose", "execute", "plan_cleanup", "remove_finalizers",
    "report_kept", "report_plan", "run_phase", "stuck_advice", "wait_gone",
]


# -- execution --------------------------------------------------------------------------------

def _present(kube: CleanupKube, refs: list[Ref]) -> list[tuple[Ref, dict]]:
    out = []
    for ref in refs:
        obj = kube.get(ref)
        if obj is not None:
            out.append((ref, {**obj, "apiVersion": ref.api_version, "kind": ref.kind}))
    return out


def wait_gone(kube: CleanupKube, refs: list[Ref], timeout: float, stop: threading.Event,
              clock: Callable[[], float] = time.monotonic) -> list[tuple[Ref, dict]]:
    """Wait until every object is gone or the timeout passes, by watching (health.waiter.wait_gone: a deletion is
    seen when its DELETED event arrives, not at a next poll); returns what is left with its live object."""
    from orchestrator_cli.health.waiter import wait_gone as watch_gone

    return _present(kube, watch_gone(kube, refs, timeout, stop, clock))


def run_phase(kube: CleanupKube, phase: Phase, reporter, opts: CleanupOptions, stop: threading.Event) -> int:
    """Delete (or release) a phase's targets and wait for them; raise Stuck with a diagnosis."""
    deleted = 0
    waiting: list[Ref] = []
    for target in phase.targets:
        live = kube.get(target.ref)
        if live is None:
            reporter.change(phase.id, Change("info", target.ref, None, "already gone"), False)
            continue
        if target.release is not None:
            kube.apply(target.release)
            reporter.change(phase.id, Change("update", target.ref, None, target.note), True)
            continue
        if target.patch is not None:
            kube.merge_patch(target.ref, target.patch)
            reporter.change(phase.id, Change("update", target.ref, None, target.note), True)
            continue
        if (live.get("metadata") or {}).get("deletionTimestamp"):
            reporter.change(phase.id, Change("info", target.ref, None, "already being deleted"), False)
        else:
            kube.delete(target.ref)
            reporter.change(phase.id, Change("delete", target.ref, None, target.note), True)
            deleted += 1
        waiting.append(target.ref)
    if not waiting:
        return deleted
    left = wait_gone(kube, waiting, opts.timeout, stop)
    if left and opts.force_finalizers:
        for ref, obj in left:
            for line in remove_finalizers(kube, ref, obj):
                reporter.warn(f"--force-finalizers: {line}")
        left = wait_gone(kube, [r for r, _ in left], opts.timeout, stop)
    if left:
        details: list[str] = []
        for ref, obj in left:
            details += diagnose(kube, ref, obj)
        details.append("what to do: " + stuck_advice(not opts.force_finalizers))
        names = ", ".join(str(r) for r, _ in left)
        raise Stuck(f"{phase.title}: still present after {opts.timeout:.0f}s: {names}", details=details)
    return deleted


def execute(kube: CleanupKube, plan: CleanupPlan, reporter, opts: CleanupOptions,
            stop: threading.Event | None = None) -> int:
    stop = stop or threading.Event()
    total = 0
    for phase in plan.phases:
        if not phase.targets:
            continue
        reporter.step_started(phase.id, phase.title)
        try:
            total += run_phase(kube, phase, reporter, opts, stop)
        except Stuck:
            reporter.step_finished(phase.id, False, "stopped here: later phases were not run")
            raise
        reporter.step_finished(phase.id, True)
    return total


def report_plan(plan: CleanupPlan, reporter) -> None:
    for phase in plan.phases:
        if not phase.targets:
            continue
        reporter.step_started(phase.id, phase.title)
        for t in phase.targets:
            action = "update" if t.release or t.patch else "delete"
            reporter.change(phase.id, Change(action, t.ref, None, t.note), False)
        reporter.step_finished(phase.id, True)
    report_kept(plan, reporter)


def report_kept(plan: CleanupPlan, reporter) -> None:
    if plan.kept:
        reporter.step_started("kept", "Left in place")
        for t in plan.kept:
            reporter.change("kept", Change("keep", t.ref, None, t.note), False)
        reporter.step_finished("kept", True)


def cleanup(opts, reporter, confirm: Callable[[str], bool] | None = None) -> None:
    """The `orch cleanup` command (opts: day2.common.Day2Options with extra CleanupOptions fields)."""
    from orchestrator_cli.day2.common import _connect
    from orchestrator_cli.generations.detect import detect_optional
    from orchestrator_cli.kube.lock import InstallLock

    copts = CleanupOptions(**{k: v for k, v in opts.extra.items() if k in CleanupOptions.__dataclass_fields__})
    if copts.purge_knative and not copts.purge:
        from orchestrator_cli.core.errors import InputError

        raise InputError("--purge-knative needs --purge")
    kube = _connect(opts)
    inst = detect_optional(kube)
    if inst is not None:
        reporter.info(f"Orchestrator {inst.version} found: CR {inst.cr_ref}")
    plan = plan_cleanup(kube, inst, copts)
    summary = {"command": "cleanup", "dry_run": opts.dry_run, "version": inst.version if inst else None,
               "plan": plan.to_dict(), "deleted": 0}
    if plan.empty:
        report_kept(plan, reporter)
        reporter.summary({**summary, "nothing_to_do": True})
        return
    if opts.dry_run:
        report_plan(plan, reporter)
        reporter.summary(summary)
        return
    if not opts.extra.get("yes"):
        report_plan(plan, reporter)
        count = sum(len(p.targets) for p in plan.phases)
        if confirm is None:
            raise Refused(f"cleanup would delete {count} object(s) listed above; re-run with --yes "
                          "(no terminal to confirm on)")
        if not confirm(f"Delete the {count} object(s) listed above?"):
            raise Refused("cleanup cancelled; nothing was deleted")
    lock = None
    if inst is not None and kube.get(Ref("v1", "Namespace", inst.generation.lock_namespace)) is not None:
        lock = InstallLock(kube, inst.generation.lock_namespace, on_wait=reporter.info)
        lock.acquire()
    stop = threading.Event()
    try:
        summary["deleted"] = execute(kube, plan, reporter, copts, stop)
    finally:
        stop.set()
        if lock is not None:
            lock.release()
    report_kept(plan, reporter)
    reporter.summary(summary)
