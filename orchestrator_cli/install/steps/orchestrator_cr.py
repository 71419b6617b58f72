"""The Orchestrator CR, rendered for the generation and applied once its CRD is Established."""

from __future__ import annotations

from orchestrator_cli.core.render import OMIT, render
from orchestrator_cli.health.waiter import WaitItem
from orchestrator_cli.install.steps.base import Change, Step, StepContext, plan_object
from orchestrator_cli.install.steps.waits import run_waits
from orchestrator_cli.kube.client import Ref

CRD_NAME = "orchestrators.rhdh.redhat.com"


def orchestrator_cr(config) -> dict:
    gen = config.generation
    return render(gen.cr_template, {
        "name": gen.cr_name, "namespace": config.orchestrator_namespace,
        "osl_namespace": gen.serverless_logic.namespace, "osl_name": gen.serverless_logic.name,
        "osl_channel": gen.serverless_logic.channel, "osl_starting_csv": gen.serverless_logic.starting_csv or OMIT,
        "serverless_namespace": gen.serverless.namespace, "serverless_name": gen.serverless.name,
        "serverless_channel": gen.serverless.channel, "serverless_starting_csv": gen.serverless.starting_csv or OMIT,
        "rhdh_enabled": not config.existing_rhdh, "guest_provider": config.guest_provider,
        "rhdh_namespace": config.rhdh_namespace, "rhdh_channel": gen.rhdh_channel,
        "postgres_service": config.postgres_service, "postgres_namespace": config.postgres_namespace,
        "postgres_secret": config.postgres_secret, "postgres_database": config.postgres_database,
        "workflow_namespace": config.workflow_namespace, "tekton": config.tekton, "gitops": config.gitops,
        "argocd_namespace": config.argocd_namespace if config.gitops else OMIT,
    })[0]


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
