"""Every version-specific fact of an Orchestrator generation, in one table per generation.

The pipeline never branches on a version number: it reads a `Generation` and asks its family
(helm_operator.py: 1.3/1.4, go_operator.py: 1.5/1.6). A family module holds its generations'
tables, its CR template name and its recipes.

Version pinning is deliberate: the Subscription uses installPlanApproval Manual and orch
approves only the InstallPlan whose CSV is the generation's startingCSV. With Automatic
approval OLM would keep upgrading past startingCSV along the channel (1.3 -> 1.4 ...), so
`--version 1.3` would silently end on another generation.
"""

from __future__ import annotations

from orchestrator_cli.core.errors import InputError
from orchestrator_cli.generations.go_operator import GO_OPERATOR_GENERATIONS
from orchestrator_cli.generations.helm_operator import HELM_OPERATOR_GENERATIONS
from orchestrator_cli.generations.model import Generation
from orchestrator_cli.generations.rhdh_native import RHDH_NATIVE_GENERATIONS

GENERATIONS: dict[str, Generation] = {**HELM_OPERATOR_GENERATIONS, **GO_OPERATOR_GENERATIONS,
                                      **RHDH_NATIVE_GENERATIONS}

DEFAULT_VERSION = "1.3"


def get_generation(version: str) -> Generation:
    try:
        return GENERATIONS[version]
    except KeyError:
        known = ", ".join(sorted(GENERATIONS))
        raise InputError(f"unknown Orchestrator version {version!r}; supported: {known}") from None


def upgrade_path(installed: str, wanted: str) -> str:
    """What upstream documents for moving from one generation to another (orch never switches in place)."""
    a, b = GENERATIONS.get(installed), GENERATIONS.get(wanted)
    if a is None or b is None:
        return "remove the installation (`orch cleanup`) and install the wanted version"
    if a.family is b.family and a.family is not None and a.family.id == "go_operator":
        return ("upstream upgrades the Go operator by removing everything and reinstalling: `orch cleanup` "
                f"(PVCs are kept without --delete-data), then `orch install --version {wanted}`")
    if a.family is not b.family and b.family is not None and b.family.id == "rhdh_native":
        return ("1.7+ has no Orchestrator operator and upstream has no in-place upgrade to it (its guide scales the "
                "old operator to 0 and removes the rhdh.redhat.com/created-by labels before reinstalling): remove "
                "the installation with `orch cleanup` (PVCs are kept without --delete-data), then "
                f"`orch install --version {wanted}`")
    if a.cr_api_version != b.cr_api_version:
        return (f"the CRs differ ({a.cr_api_version} -> {b.cr_api_version}) and are not converted: remove the "
                f"installation with `orch cleanup` (PVCs are kept without --delete-data), then "
                f"`orch install --version {wanted}`")
    return f"remove the installation with `orch cleanup`, then `orch install --version {wanted}`"
