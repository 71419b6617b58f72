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

from orchestrator_cli.core.errors import Refused
from orchestrator_cli.day2.common import Day2Options, _connect
from orchestrator_cli.day2.ns_assess import NamespaceReport, admits, assess_all, assess_namespace, namespace_check, \
    workflow_namespaces
from orchestrator_cli.day2.ns_desired import SONATAFLOW_API, desired_policies, desired_secret, workflow_patch
from orchestrator_cli.day2.ns_plan import Plan, _check_target, _validate_name, apply_plan, orch_owned_metadata, \
    plan_add, plan_remove, release_change

__all__ = [  # the commands, and what callers of the former single module import from here
    "Day2Options", "NamespaceReport", "Plan", "SONATAFLOW_API", "_connect", "add_namespace", "admits", "apply_plan",
    "assess_all", "assess_namespace", "desired_policies", "desired_secret", "list_namespaces", "namespace_check",
    "orch_owned_metadata", "plan_add", "plan_remove", "release_change", "remove_namespace", "workflow_namespaces",
    "workflow_patch",
]


def _summarize(plan: Plan, applied: bool) -> dict:
    counts: dict[str, int] = {}
    for c in plan.changes:
        counts[c.action] = counts.get(c.action, 0) + 1
    return {"command": "workflow", "namespace": plan.namespace, "dry_run": not applied,
            "changed": plan.writes, "counts": counts, "warnings": plan.warnings,
            "patched_workflows": [c.ref.name for c in plan.changes
                                  if c.ref.kind == "SonataFlow" and c.action == "update"]}


def add_namespace(opts: Day2Options, reporter) -> None:
    from orchestrator_cli.generations.detect import detect
    from orchestrator_cli.kube.lock import InstallLock

    namespace = opts.extra["namespace"]
    _validate_name(namespace)
    kube = _connect(opts)
    inst = detect(kube)
    _check_target(inst, namespace)
    reporter.step_started("add-namespace", f"Workflow namespace {namespace} (Orchestrator {inst.version})")
    plan = plan_add(kube, inst, namespace, patch_workflows=opts.extra.get("patch_workflows", True))
    for w in plan.warnings:
        reporter.warn(w)
    if opts.dry_run or not plan.writes:
        for c in plan.changes:
            reporter.change("add-namespace", c, False)
        reporter.step_finished("add-namespace", True, "" if plan.writes else
                               f"nothing to change: {namespace} is already enabled")
        reporter.summary({**_summarize(plan, False), "action": "add"})
        return
    lock = InstallLock(kube, inst.generation.operator.namespace, on_wait=reporter.info)
    try:
        lock.acquire()
        # Re-plan under the lock: a concurrent run may have written meanwhile.
        plan = plan_add(kube, inst, namespace, patch_workflows=opts.extra.get("patch_workflows", True))
        apply_plan(kube, plan, reporter, "add-namespace")
    finally:
        lock.release()
    reporter.step_finished("add-namespace", True)
    reporter.summary({**_summarize(plan, True), "action": "add"})


def remove_namespace(opts: Day2Options, reporter, confirm=None) -> None:
    from orchestrator_cli.generations.detect import detect_optional

    namespace = opts.extra["namespace"]
    _validate_name(namespace)
    kube = _connect(opts)
    inst = detect_optional(kube)
    reporter.step_started("remove-namespace", f"Workflow namespace {namespace}")
    plan = plan_remove(kube, inst, namespace)
    for w in plan.warnings:
        reporter.warn(w)
    deletes_namespace = any(c.action == "delete" and c.ref.kind == "Namespace" for c in plan.changes)
    if opts.dry_run or not plan.writes:
        for c in plan.changes:
            reporter.change("remove-namespace", c, False)
        reporter.step_finished("remove-namespace", True, "" if plan.writes else "nothing to remove")
        reporter.summary({**_summarize(plan, False), "action": "remove"})
        return
    if deletes_namespace and not opts.extra.get("yes"):
        for c in plan.changes:
            reporter.change("remove-namespace", c, False)
        if confirm is None or not confirm(f"Delete namespace {namespace} (created by orch) and everything in it?"):
            raise Refused(f"not deleting namespace {namespace} without confirmation; re-run with --yes")
    apply_plan(kube, plan, reporter, "remove-namespace")
    reporter.step_finished("remove-namespace", True)
    reporter.summary({**_summarize(plan, True), "action": "remove"})


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
