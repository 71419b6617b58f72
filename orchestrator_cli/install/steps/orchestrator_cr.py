"""The Orchestrator CR, rendered for the generation and applied once its CRD is Established."""

from __future__ import annotations

from orchestrator_cli.core.render import render
from orchestrator_cli.health.waiter import WaitItem
from orchestrator_cli.install.steps.base import Change, Step, StepContext, plan_object
from orchestrator_cli.install.steps.waits import run_waits
from orchestrator_cli.kube.client import Ref

CRD_NAME = "orchestrators.rhdh.redhat.com"


def orchestrator_cr(config) -> dict:
    gen = config.generation
    return render(gen.cr_template, gen.family.cr_values(config))[0]


class OrchestratorCRStep(Step):
    id = "orchestrator-cr"
    title = "Orchestrator custom resource"

    def plan(self, ctx: StepContext) -> list[Change]:
        return [plan_object(ctx.kube, orchestrator_cr(ctx.config))]

    def apply(self, ctx: StepContext, changes: list[Change]) -> None:
        if not any(c.writes for c in changes):
            return
        # OLM installs the CRD with the CSV; applying before it is Established fails with "no matches".
        crd = Ref("apiextensions.k8s.io/v1", "CustomResourceDefinition", CRD_NAME)
        run_waits(ctx, [WaitItem("crd", crd, "crd", ctx.config.timeout_for("crd"))], "Orchestrator CRD")
        super().apply(ctx, changes)
