"""Verify the network policies the generation's operator creates in the workflow namespace."""

from __future__ import annotations

from orchestrator_cli.install.steps.base import Step, StepContext
from orchestrator_cli.kube.client import NotServed


def expected_policies(config) -> list[str]:
    gen = config.generation
    names = list(gen.network_policies)
    if gen.monitoring_network_policy:
        names.append(gen.monitoring_network_policy)  # monitoring is on by default in v1alpha2
    return names


class NetworkPoliciesStep(Step):
    id = "network-policies"
    title = "Network policies"

    def verify(self, ctx: StepContext) -> None:
        try:
            items, _ = ctx.kube.list("networking.k8s.io/v1", "NetworkPolicy", ctx.config.workflow_namespace)
        except NotServed:
            items = []
        present = {i["metadata"]["name"] for i in items}
        missing = [n for n in expected_policies(ctx.config) if n not in present]
        ctx.state["network_policies_missing"] = missing
        if missing:
            ctx.reporter.warn(f"network policies missing in {ctx.config.workflow_namespace}: {', '.join(missing)} "
                              "(the operator creates them; check the Orchestrator CR conditions)")
        else:
            ctx.reporter.info(f"network policies present in {ctx.config.workflow_namespace}")
