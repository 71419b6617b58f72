"""--existing-rhdh: the orchestrator plugin configuration an existing RHDH needs.

Printed by default; applied as two ConfigMaps with --configure-rhdh. The existing Backstage
CR is never modified (the user references the ConfigMaps from it).
"""

from __future__ import annotations

from orchestrator_cli.core.render import render
from orchestrator_cli.install.steps.base import Change, Step, StepContext, plan_object


def plugin_config(config) -> list[dict]:
    return render("rhdh-plugin-config.yaml", {"namespace": config.rhdh_namespace,
                                              "plugin_version": config.generation.plugin_version,
                                              "workflow_namespace": config.workflow_namespace})


class ExistingRhdhStep(Step):
    id = "rhdh-config"
    title = "Existing RHDH plugin configuration"

    def applies(self, config) -> bool:
        return config.existing_rhdh

    def plan(self, ctx: StepContext) -> list[Change]:
        objs = plugin_config(ctx.config)
        if ctx.config.configure_rhdh:
            return [plan_object(ctx.kube, o) for o in objs]
        ctx.state["rhdh_plugin_config"] = objs
        return []

    def verify(self, ctx: StepContext) -> None:
        if ctx.config.configure_rhdh:
            return
        import yaml

        text = yaml.safe_dump_all(plugin_config(ctx.config), sort_keys=False)
        ctx.reporter.info("orchestrator plugin configuration for the existing RHDH "
                          f"(apply it yourself, or re-run with --configure-rhdh):\n{text}")
