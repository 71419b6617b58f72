"""The install step list for a config: the generation's recipe (step ids, in install order) mapped to steps.

A family names the steps its generations need (generations/<family>.py `*_RECIPE`); a step that only
applies to some configurations says so itself (`Step.applies`), so no version test lives here.
"""

from __future__ import annotations

from orchestrator_cli.install.steps.base import Step
from orchestrator_cli.install.steps.existing_rhdh import ExistingRhdhStep
from orchestrator_cli.install.steps.go_operator import GopDefectsStep, GoOrchestratorCRStep, PlatformNamespaceStep
from orchestrator_cli.install.steps.namespaces import NamespacesStep
from orchestrator_cli.install.steps.network_policies import NetworkPoliciesStep
from orchestrator_cli.install.steps.operator import OperatorStep
from orchestrator_cli.install.steps.orchestrator_cr import OrchestratorCRStep
from orchestrator_cli.install.steps.postgres import PostgresStep
from orchestrator_cli.install.steps.rhdh_native import BackstageCRStep, KnativeStep, RhdhNativeConfigStep
from orchestrator_cli.install.steps.setup_secret import SetupSecretStep
from orchestrator_cli.install.steps.summary import SummaryStep
from orchestrator_cli.install.steps.token import TokenStep
from orchestrator_cli.install.steps.wait_ready import WaitReadyStep

STEPS: dict[str, type[Step]] = {cls.id: cls for cls in (
    NamespacesStep, PostgresStep, OperatorStep, TokenStep, SetupSecretStep, ExistingRhdhStep, OrchestratorCRStep,
    WaitReadyStep, NetworkPoliciesStep, SummaryStep, PlatformNamespaceStep, GopDefectsStep, KnativeStep,
    RhdhNativeConfigStep, BackstageCRStep,
)}
STEPS["orchestrator-cr-v1alpha3"] = GoOrchestratorCRStep  # the Go operator's CR (same step id for the reporter)


def install_steps(config) -> list[Step]:
    steps = [STEPS[step_id]() for step_id in config.generation.install_recipe]
    return [s for s in steps if s.applies(config)]
