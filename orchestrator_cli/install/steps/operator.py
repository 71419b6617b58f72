"""The Orchestrator operator through OLM, pinned to the generation's startingCSV.

Subscription with installPlanApproval Manual; orch approves only the InstallPlan that
installs startingCSV (an upgrade plan OLM creates later stays unapproved), then waits for
the InstallPlan Installed, the CSV Succeeded and the operator Deployment Available.
"""

from __future__ import annotations

import time

from orchestrator_cli.core.errors import ReadinessTimeout, StepFailed
from orchestrator_cli.core.render import render
from orchestrator_cli.health import readiness
from orchestrator_cli.health.waiter import WaitItem
from orchestrator_cli.install.steps.base import Change, Step, StepContext, plan_object
from orchestrator_cli.install.steps.waits import run_waits
from orchestrator_cli.kube.client import NotServed, Ref

OLM = "operators.coreos.com/v1alpha1"


def subscription_object(gen, pin=None) -> dict:
    op = pin or gen.operator
    return render("subscription.yaml", {
        "name": op.subscription, "namespace": op.namespace, "package": op.package, "channel": op.channel,
        "source": op.source, "source_namespace": op.source_namespace, "approval": op.approval,
        "starting_csv": op.starting_csv,
    })[0]


def operator_group_object(pin) -> dict:
    return render("operator-group.yaml", {"name": pin.operator_group, "namespace": pin.namespace})[0]


def pins_of(gen, existing_rhdh: bool = False) -> list:
    """Every operator orch subscribes to for a generation, pinned the same way."""
    return [p for p in (gen.operator, *gen.extra_operators) if not (existing_rhdh and p.only_new_rhdh)]


def plan_for_csv(plans: list[dict], csv_name: str) -> dict | None:
    """The InstallPlan that installs exactly csv_name (pure)."""
    for plan in plans:
        if csv_name in ((plan.get("spec") or {}).get("clusterServiceVersionNames") or []):
            return plan
    return None


def current_plan_for_csv(plans: list[dict], sub: dict | None, csv_name: str) -> dict | None:
    """The InstallPlan to approve for csv_name (pure): the one the Subscription points at if it
    installs csv_name, else the newest one that does. Real OLM may replace a plan (e.g. after a
    write conflict while resolving); approving a stale one never installs anything."""
    ref = (((sub or {}).get("status") or {}).get("installPlanRef") or {}).get("name")
    matching = [p for p in plans if csv_name in ((p.get("spec") or {}).get("clusterServiceVersionNames") or [])]
    for plan in matching:
        if plan["metadata"].get("name") == ref:
            return plan
    matching.sort(key=lambda p: (p["metadata"].get("creationTimestamp") or "", p["metadata"].get("name") or ""))
    return matching[-1] if matching else None


def plan_in_progress(plans: list[dict], csv_name: str) -> dict | None:
    """An approved InstallPlan for csv_name that OLM is executing or has executed (pure). While
    one exists orch approves no other: real OLM may also offer a replacement plan for the same
    CSV, and approving both only doubles the work."""
    for plan in plans:
        spec, phase = plan.get("spec") or {}, (plan.get("status") or {}).get("phase")
        if spec.get("approved") and phase in ("Installing", "Complete") and \
                csv_name in (spec.get("clusterServiceVersionNames") or []):
            return plan
    return None


def subscription_problem(sub: dict | None) -> str | None:
    """A resolution failure reported on the Subscription, as one line (pure)."""
    for c in readiness.conditions(sub):
        if c.get("type") in ("ResolutionFailed", "CatalogSourcesUnhealthy") and c.get("status") == "True":
            return f"{c.get('type')}: {c.get('reason') or ''} {c.get('message') or ''}".strip()
    return None


class OperatorStep(Step):
    id = "operator"
    title = "Orchestrator operator (OLM)"

    def plan(self, ctx: StepContext) -> list[Change]:
        changes = []
        for pin in pins_of(ctx.config.generation, ctx.config.existing_rhdh):
            if pin.operator_group:
                changes.append(plan_object(ctx.kube, operator_group_object(pin)))
            changes.append(plan_object(ctx.kube, subscription_object(ctx.config.generation, pin),
                                       f"pinned to {pin.starting_csv}"))
            plan = plan_for_csv(self._plans(ctx, pin), pin.starting_csv)
            if plan is not None and (plan.get("spec") or {}).get("approved") is False:
                changes.append(Change("approve", Ref.of({**plan, "apiVersion": OLM, "kind": "InstallPlan"}), None,
                                      f"approve the InstallPlan for {pin.starting_csv}"))
        return changes

    def apply(self, ctx: StepContext, changes: list[Change]) -> None:
        super().apply(ctx, [c for c in changes if c.action != "approve"])

    def _plans(self, ctx: StepContext, pin) -> list[dict]:
        try:
            items, _ = ctx.kube.list(OLM, "InstallPlan", pin.namespace)
        except NotServed:
            return []
        return items

    def verify(self, ctx: StepContext) -> None:
        timeout = ctx.config.timeout_for("operator")
        items = []
        for i, op in enumerate(pins_of(ctx.config.generation, ctx.config.existing_rhdh)):
            csv_ref = Ref(OLM, "ClusterServiceVersion", op.starting_csv, op.namespace)
            if ctx.kube.get(csv_ref) is None:  # once the CSV exists, OLM is installing it: wait on it
                self._approve_and_wait_plan(ctx, op, timeout, csv_ref)
            suffix = "" if i == 0 else f"-{op.package}"
            items += [WaitItem(f"operator{suffix}", csv_ref, "csv", timeout),
                      WaitItem(f"operator-deployment{suffix}", Ref("apps/v1", "Deployment", op.deployment,
                                                                   op.namespace), "deployment", timeout)]
        run_waits(ctx, items, "operators")

    def _approve_and_wait_plan(self, ctx: StepContext, op, timeout: float, csv_ref: Ref) -> None:
        deadline = time.monotonic() + timeout
        sub_ref = Ref(OLM, "Subscription", op.subscription, op.namespace)
        announced = False
        while not ctx.stop.is_set():
            if ctx.kube.get(csv_ref) is not None:
                return
            plans = self._plans(ctx, op)
            plan = plan_in_progress(plans, op.starting_csv) or current_plan_for_csv(
                plans, ctx.kube.get(sub_ref), op.starting_csv)
            if plan is not None:
                name = plan["metadata"]["name"]
                if (plan.get("spec") or {}).get("approved") is False:
                    ctx.before_write()
                    ref = Ref(OLM, "InstallPlan", name, op.namespace)
                    ctx.kube.merge_patch(ref, {"spec": {"approved": True}})
                    ctx.reporter.change(self.id, Change("approve", ref, None, f"approved for {op.starting_csv}"), True)
                verdict = readiness.installplan({**plan, "spec": {**plan.get("spec", {}), "approved": True}})
                if isinstance(verdict, readiness.Ready):
                    return
                if isinstance(verdict, readiness.Failed):
                    raise StepFailed(f"InstallPlan {name}: {verdict.reason}")
            elif not announced:
                ctx.reporter.info(f"waiting for OLM to resolve Subscription {op.subscription} ({op.starting_csv})")
                announced = True
            if time.monotonic() > deadline:
                sub = ctx.kube.get(sub_ref)
                problem = subscription_problem(sub)
                conds = [f"condition {c.get('type')}={c.get('status')} {c.get('reason') or ''} {c.get('message') or ''}"
                         for c in readiness.conditions(sub)]
                raise ReadinessTimeout(
                    f"OLM did not install {op.starting_csv} within {timeout:.0f}s"
                    + (f": {problem}" if problem else ""), details=conds)
            ctx.stop.wait(2)
