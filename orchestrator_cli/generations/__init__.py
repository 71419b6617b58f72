"""Every version-specific fact of an Orchestrator generation, in one table per generation.

The pipeline never branches on a version number: it reads a `Generation`. Adding 1.5/1.6
(the Go operator, CR v1alpha3) means adding a module of tables here plus its CR template.

Version pinning is deliberate: the Subscription uses installPlanApproval Manual and orch
approves only the InstallPlan whose CSV is the generation's startingCSV. With Automatic
approval OLM would keep upgrading past startingCSV along the channel (1.3 -> 1.4 ...), so
`--version 1.3` would silently end on another generation.
"""

from __future__ import annotations

from orchestrator_cli.core.errors import InputError
from orchestrator_cli.generations.helm_operator import HELM_OPERATOR_GENERATIONS
from orchestrator_cli.generations.model import Generation


GENERATIONS: dict[str, Generation] = {**HELM_OPERATOR_GENERATIONS}

DEFAULT_VERSION = "1.3"


def get_generation(version: str) -> Generation:
    try:
        return GENERATIONS[version]
    except KeyError:
        known = ", ".join(sorted(GENERATIONS))
        raise InputError(f"unknown Orchestrator version {version!r}; supported: {known}") from None
