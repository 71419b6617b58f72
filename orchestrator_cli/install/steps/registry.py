"""The install step list for a config (the order is the install order)."""

from __future__ import annotations

from orchestrator_cli.install.steps.base import Step
from orchestrator_cli.install.steps.existing_rhdh import ExistingRhdhStep
from orchestrator_cli.install.steps.namespaces import NamespacesStep
from orchestrator_cli.install.steps.network_policies import NetworkPoliciesStep
from orchestrator_cli.install.steps.operator import OperatorStep
from orchestrator_cli.install.steps.orchestrator_cr import OrchestratorCRStep
from orchestrator_cli.install.steps.postgres import PostgresStep
from orchestrator_cli.install.steps.setup_secret import SetupSecretStep
from orchestrator_cli.install.steps.summary import SummaryStep
from orchestrator_cli.install.steps.token import TokenStep
from orchestrator_cli.install.steps.wait_ready import WaitReadyStep


def install_steps(config) -> list[Step]:
    steps: list[Step] = [NamespacesStep(), PostgresStep(), OperatorStep(), TokenStep(), SetupSecretStep()]
    if config.existing_rhdh:
        steps.append(ExistingRhdhStep())
    steps += [OrchestratorCRStep(), WaitReadyStep(), NetworkPoliciesStep(), SummaryStep()]
    return steps
