"""Wait for every item of the generation's upstream wait list, concurrently (reference 2.2)."""

from __future__ import annotations

from orchestrator_cli.health.waiter import WaitItem
from orchestrator_cli.install.steps.base import Step, StepContext
from orchestrator_cli.install.steps.waits import run_waits
from orchestrator_cli.kube.client import Ref


def wait_items(config) -> list[WaitItem]:
    gen = config.generation
    names = {"workflow_namespace": config.workflow_namespace, "rhdh_namespace": config.rhdh_namespace}
    items = []
    if gen.cr_template:  # the generation has an Orchestrator CR of its own (1.7+ has none)
        items.append(WaitItem("orchestrator-cr", Ref(gen.cr_api_version, "Orchestrator", gen.cr_name,
                                                     config.orchestrator_namespace), gen.cr_ready,
                              config.timeout_for("orchestrator-cr")))
    for t in gen.wait_list:
        if t.only_new_rhdh and config.existing_rhdh:
            continue
        items.append(WaitItem(t.id, Ref(t.api_version, t.kind, t.name, t.namespace.format(**names)), t.ready,
                              config.timeout_for(t.id)))
    return items


class WaitReadyStep(Step):
    id = "wait"
    title = "Components ready"

    def verify(self, ctx: StepContext) -> None:
        run_waits(ctx, wait_items(ctx.config), "components")
