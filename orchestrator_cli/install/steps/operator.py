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


def subscription_object(gen) -> dict:
    op = gen.operator
    return render("subscription.yaml", {
        "name": op.subscription, "namespace": op.namespace, "package": op.package, "channel": op.channel,
        "source": op.source, "source_namespace": op.source_namespace, "approval": op.approval,
        "starting_csv": op.starting_csv,
    })[0]


def plan_for_csv(plans: list[dict], csv_name: str) -> dict | None:
    """The InstallPlan that installs exactly csv_name (pure)."""
    for plan in plans:
        if csv_name in ((plan.get("spec") or {}).get("clusterServiceVersionNames") or []):
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
        gen = ctx.config.generation
        changes = [plan_object(ctx.kube, subscription_object(gen), f"pinned to {gen.operator.starting_csv}")]
        plans = self._plans(ctx)
        plan = plan_for_csv(plans, gen.operator.starting_csv)
        if plan is not None and (plan.get("spec") or {}).get("approved") is False:
            changes.append(Change("approve", Ref.of({**plan, "apiVersion": OLM, "kind": "InstallPlan"}), None,
                                  f"approve the InstallPlan for {gen.operator.starting_csv}"))
        return changes

    def apply(self, ctx: StepContext, changes: list[Change]) -> None:
        super().apply(ctx, [c for c in changes if c.action != "approve"])

    def _plans(self, ctx: StepContext) -> list[dict]:
        try:
            items, _ = ctx.kube.list(OLM, "InstallPlan", ctx.config.generation.operator.namespace)
        except NotServed:
            return []
        return items

    def verify(self, ctx: StepContext) -> None:
        gen = ctx.config.generation
        op = gen.operator
        timeout = ctx.config.timeout_for("operator")
        csv_ref = Ref(OLM, "ClusterServiceVersion", op.starting_csv, op.namespace)
        csv = ctx.kube.get(csv_ref)
        if not isinstance(readiness.csv(csv), readiness.Ready):
            self._approve_and_wait_plan(ctx, timeout)
        run_waits(ctx, [
            WaitItem("operator", csv_ref, "csv", timeout),
            WaitItem("operator-deployment", Ref("apps/v1", "Deployment", op.deployment, op.namespace), "deployment",
                     timeout),
        ], "Orchestrator operator")

    def _approve_and_wait_plan(self, ctx: StepContext, timeout: float) -> None:
        gen = ctx.config.generation
        op = gen.operator
        deadline = time.monotonic() + timeout
        sub_ref = Ref(OLM, "Subscription", op.subscription, op.namespace)
        announced = False
        while not ctx.stop.is_set():
            plan = plan_for_csv(self._plans(ctx), op.starting_csv)
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
