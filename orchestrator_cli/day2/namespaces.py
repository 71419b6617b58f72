"""`orch workflow add-namespace / list-namespaces / remove-namespace` (reference section 6.3).

A workflow namespace outside the SonataFlow platform namespace needs:
- the label rhdh.redhat.com/workflow-namespace (and argocd.argoproj.io/managed-by with GitOps);
- NetworkPolicies in it admitting the RHDH namespace, the platform namespace, knative-eventing,
  knative-serving (and user-workload monitoring where the generation enables it), plus
  intra-namespace traffic;
- a separate NetworkPolicy in the platform namespace admitting it (never a patch to the
  operator's own policy: the operator reverts such patches);
- a copy of the PostgreSQL secret, rebuilt from the source's .data (never the live object);
- SonataFlow workflows whose persistence serviceRef lacks the PostgreSQL namespace, patched.

Ownership: objects orch creates carry app.kubernetes.io/managed-by=orch; a namespace orch creates
carries the created-namespace annotation; labels on a pre-existing namespace are set by
server-side apply (field manager "orch") together with the WORKFLOW_NAMESPACE_MARK annotation.
Removal releases exactly orch's applied fields (an empty apply by the same manager), so a label
someone else also set survives, and deletes only objects labelled managed-by=orch.
"""

from __future__ import annotations

from dataclasses import dataclass

from orchestrator_cli.core.errors import OrchError, PartlyFailed, Refused, StepFailed
from orchestrator_cli.day2.common import Day2Options, _connect
from orchestrator_cli.day2.ns_assess import NamespaceReport, admits, assess_all, assess_namespace, namespace_check, \
    workflow_namespaces
from orchestrator_cli.day2.ns_desired import SONATAFLOW_API, desired_policies, desired_secret, workflow_patch
from orchestrator_cli.day2.ns_plan import Plan, _check_target, _validate_name, apply_plan, orch_owned_metadata, \
    plan_add, plan_remove, release_change
from orchestrator_cli.kube.resources import Ref

# What stops one namespace of a call but not the others: it is Terminating, it holds workflows orch would delete
# with it, a write to it was rejected (StepFailed: forbidden, invalid). Bad input, an unreachable cluster and the
# install lock stop the whole call.
PER_NAMESPACE_ERRORS = (StepFailed, Refused)

__all__ = [  # the commands, and what callers of the former single module import from here
    "Day2Options", "NamespaceReport", "Plan", "SONATAFLOW_API", "_connect", "add_namespace", "admits", "apply_plan",
    "assess_all", "assess_namespace", "desired_policies", "desired_secret", "list_namespaces", "namespace_check",
    "orch_owned_metadata", "plan_add", "plan_remove", "release_change", "remove_namespace", "workflow_namespaces",
    "workflow_patch",
]


def _names(extra: dict) -> list[str]:
    """The namespaces of one call, validated before connecting (bad input: nothing is read or written), each once."""
    names = list(dict.fromkeys(extra.get("namespaces") or [extra["namespace"]]))
    for name in names:
        _validate_name(name)
    return names


def _counts(plan: Plan) -> dict[str, int]:
    counts: dict[str, int] = {}
    for c in plan.changes:
        counts[c.action] = counts.get(c.action, 0) + 1
    return counts


@dataclass
class Outcome:
    """One namespace of a call: its plan (None when planning failed) and the error that stopped it, if any."""

    namespace: str
    plan: Plan | None = None
    error: OrchError | None = None

    def to_dict(self) -> dict:
        plan = self.plan or Plan(self.namespace)
        return {"namespace": self.namespace, "ok": self.error is None, "changed": plan.writes and self.error is None,
                "counts": _counts(plan), "warnings": plan.warnings,
                "patched_workflows": [c.ref.name for c in plan.changes
                                      if c.ref.kind == "SonataFlow" and c.action == "update"],
                "error": None if self.error is None else {"message": self.error.message,
                                                          "exit_code": self.error.exit_code}}


def _per_namespace(outcome: Outcome, fn):
    """Run fn for one namespace; a failure that concerns that namespace alone is recorded, not raised."""
    try:
        return fn()
    except PER_NAMESPACE_ERRORS as exc:
        outcome.error = exc
        return None


def _plan_all(names: list[str], plan_one) -> list[Outcome]:
    outcomes = [Outcome(name) for name in names]
    for outcome in outcomes:
        outcome.plan = _per_namespace(outcome, lambda: plan_one(outcome.namespace))
    return outcomes


def _report(reporter, step: str, outcome: Outcome, applied: bool, title: str) -> None:
    """One step per namespace: its changes (planned or, when applied, already reported by apply_plan)."""
    if not applied:
        reporter.step_started(f"{step}/{outcome.namespace}", title)
    if outcome.plan is not None and not applied:
        for c in outcome.plan.changes:
            reporter.change(f"{step}/{outcome.namespace}", c, False)
    if outcome.error is not None:
        reporter.step_finished(f"{step}/{outcome.namespace}", False, outcome.error.message)
    elif outcome.plan is not None and not outcome.plan.writes:
        reporter.step_finished(f"{step}/{outcome.namespace}", True,
                               f"nothing to change: {outcome.namespace} is already enabled" if step == "add-namespace"
                               else "nothing to remove")
    else:
        reporter.step_finished(f"{step}/{outcome.namespace}", True)


def _apply_all(kube, outcomes: list[Outcome], reporter, step: str, titles: dict[str, str]) -> None:
    for outcome in outcomes:
        if outcome.error is None and outcome.plan is not None and outcome.plan.writes:
            reporter.step_started(f"{step}/{outcome.namespace}", titles[outcome.namespace])
            _per_namespace(outcome, lambda: apply_plan(kube, outcome.plan, reporter, f"{step}/{outcome.namespace}"))
            _report(reporter, step, outcome, True, titles[outcome.namespace])
        else:
            _report(reporter, step, outcome, False, titles[outcome.namespace])


def _finish(reporter, action: str, outcomes: list[Outcome], dry_run: bool) -> None:
    """One summary for the call; a failed namespace makes the call fail (its own error when it was the only one)."""
    entries = [o.to_dict() for o in outcomes]
    counts: dict[str, int] = {}
    for e in entries:
        for k, v in e["counts"].items():
            counts[k] = counts.get(k, 0) + v
    failed = [o for o in outcomes if o.error is not None]
    if len(outcomes) == 1 and failed:
        raise failed[0].error
    reporter.summary({"command": "workflow", "action": action, "dry_run": dry_run,
                      "changed": any(e["changed"] for e in entries), "counts": counts,
                      "warnings": [w for e in entries for w in e["warnings"]], "namespaces": entries,
                      "failed": [o.namespace for o in failed]})
    if failed:
        verb = {"add": "enable", "remove": "disable"}[action]
        done = "planned" if dry_run else "done"
        raise PartlyFailed(f"could not {verb} {len(failed)} of {len(outcomes)} namespaces "
                           f"({', '.join(o.namespace for o in failed)}); the others were {done}",
                           details=[f"{o.namespace}: {o.error.message}" for o in failed])


def _warn(reporter, outcomes: list[Outcome]) -> None:
    for o in outcomes:
        for w in (o.plan.warnings if o.plan else []):
            reporter.warn(w)


def add_namespace(opts: Day2Options, reporter) -> None:
    """Enable one or more namespaces for workflows: one plan, one install lock, one report."""
    from orchestrator_cli.generations.detect import detect
    from orchestrator_cli.kube.lock import InstallLock

    names = _names(opts.extra)
    kube = _connect(opts)
    inst = detect(kube)
    for name in names:
        _check_target(inst, name)
    titles = {n: f"Workflow namespace {n} (Orchestrator {inst.version})" for n in names}
    patch = opts.extra.get("patch_workflows", True)
    outcomes = _plan_all(names, lambda ns: plan_add(kube, inst, ns, patch_workflows=patch))
    _warn(reporter, outcomes)
    if opts.dry_run or not any(o.plan.writes for o in outcomes if o.plan is not None and o.error is None):
        for o in outcomes:
            _report(reporter, "add-namespace", o, False, titles[o.namespace])
        _finish(reporter, "add", outcomes, opts.dry_run)
        return
    lock = InstallLock(kube, inst.generation.lock_namespace, on_wait=reporter.info)
    try:
        lock.acquire()
        # Re-plan under the lock: a concurrent run may have written meanwhile.
        outcomes = _plan_all(names, lambda ns: plan_add(kube, inst, ns, patch_workflows=patch))
        _apply_all(kube, outcomes, reporter, "add-namespace", titles)
    finally:
        lock.release()
    _finish(reporter, "add", outcomes, False)


def remove_namespace(opts: Day2Options, reporter, confirm=None) -> None:
    """Undo add-namespace for one or more namespaces: one plan, one install lock (when installed), one report."""
    from orchestrator_cli.generations.detect import detect_optional
    from orchestrator_cli.kube.lock import InstallLock

    names = _names(opts.extra)
    kube = _connect(opts)
    inst = detect_optional(kube)
    if inst is not None:
        for name in names:
            _check_target(inst, name)
    titles = {n: f"Workflow namespace {n}" for n in names}
    outcomes = _plan_all(names, lambda ns: plan_remove(kube, inst, ns))
    _warn(reporter, outcomes)
    ready = [o for o in outcomes if o.plan is not None and o.error is None]
    if opts.dry_run or not any(o.plan.writes for o in ready):
        for o in outcomes:
            _report(reporter, "remove-namespace", o, False, titles[o.namespace])
        _finish(reporter, "remove", outcomes, opts.dry_run)
        return
    doomed = [o.namespace for o in ready
              if any(c.action == "delete" and c.ref.kind == "Namespace" for c in o.plan.changes)]
    if doomed and not opts.extra.get("yes"):
        for o in outcomes:
            _report(reporter, "remove-namespace", o, False, titles[o.namespace])
        what = f"namespace {doomed[0]}" if len(doomed) == 1 else f"namespaces {', '.join(doomed)}"
        if confirm is None or not confirm(f"Delete {what} (created by orch) and everything in "
                                          f"{'it' if len(doomed) == 1 else 'them'}?"):
            raise Refused(f"not deleting {what} without confirmation; re-run with --yes")
    lock = None
    if inst is not None and kube.get(Ref("v1", "Namespace", inst.generation.lock_namespace)) is not None:
        lock = InstallLock(kube, inst.generation.lock_namespace, on_wait=reporter.info)
    try:
        if lock is not None:
            lock.acquire()
            outcomes = _plan_all(names, lambda ns: plan_remove(kube, inst, ns))  # re-planned under the lock
        _apply_all(kube, outcomes, reporter, "remove-namespace", titles)
    finally:
        if lock is not None:
            lock.release()
    _finish(reporter, "remove", outcomes, False)


def list_namespaces(opts: Day2Options, reporter) -> None:
    """Informational (exit 0 even when a namespace is incomplete; `orch status` is the health gate)."""
    from orchestrator_cli.generations.detect import detect
    from orchestrator_cli.health.checks import run_checks

    kube = _connect(opts)
    inst = detect(kube)
    reports = assess_all(kube, inst)
    checks = [namespace_check(r) for r in reports]
    reporter.checks_title = f"Workflow namespaces (Orchestrator {inst.version})"
    run_checks(checks, None, reporter)
    reporter.checks_done()
    reporter.summary({"command": "list-namespaces", "version": inst.version,
                      "namespaces": [r.to_dict() for r in reports]})
