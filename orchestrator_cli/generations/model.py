"""The shape of a generation: every version-specific fact as data, and its family's recipes.

A *family* is the way a group of generations is installed and run: the Helm-based Orchestrator
operator (1.3/1.4), the Go operator (1.5/1.6), the Orchestrator inside RHDH (1.7/1.8). A family
module holds its generations' data and the family's recipes (how its CR reads and renders, which
objects its operator makes for orch's CR, the install step list); the pipeline, status and cleanup
ask the family instead of testing version numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from orchestrator_cli.generations.installation import Installation
    from orchestrator_cli.kube.client import Ref


@dataclass(frozen=True)
class OperatorPin:
    package: str
    channel: str
    starting_csv: str
    namespace: str = "openshift-operators"
    subscription: str = "orchestrator-operator"
    source: str = "redhat-operators"
    source_namespace: str = "openshift-marketplace"
    deployment: str = "orchestrator-operator"
    approval: str = "Manual"
    operator_group: str = ""  # an OperatorGroup orch creates in `namespace` (none: openshift-operators' global one)
    only_new_rhdh: bool = False  # not subscribed with --existing-rhdh (the user's RHDH operator is used)


@dataclass(frozen=True)
class OperandSubscription:
    """What the CR tells the Orchestrator operator to subscribe to (rendered into the CR)."""

    name: str
    namespace: str
    channel: str
    starting_csv: str = ""


@dataclass(frozen=True)
class WaitTemplate:
    """One line of the upstream wait list (reference section 2.2), as data.

    `namespace` may hold {workflow_namespace} / {rhdh_namespace} placeholders.
    `ready` names a predicate in readiness.py: deployment, statefulset, condition:<Type>.
    `only_new_rhdh`: skipped with --existing-rhdh (the RHDH operator is not installed then).
    """

    id: str
    api_version: str
    kind: str
    name: str
    namespace: str
    ready: str
    only_new_rhdh: bool = False


@dataclass(frozen=True)
class Generation:
    version: str
    cr_api_version: str
    cr_template: str
    operator: OperatorPin
    min_openshift: tuple[int, int]
    serverless: OperandSubscription
    serverless_logic: OperandSubscription
    rhdh_channel: str
    wait_list: tuple[WaitTemplate, ...]
    network_policies: tuple[str, ...]
    monitoring_network_policy: str | None
    tekton_rule: str  # "clustertask" (Pipelines <= 1.16) | "pipelines-subscription" (1.4 lookup)
    plugin_version: str  # @redhat/backstage-plugin-orchestrator(-backend-dynamic) for --existing-rhdh
    backstage_cr: str = "backstage"
    backstage_deployment: str = "backstage-backstage"
    backstage_route: str = "backstage-backstage"
    backstage_service: str = "backstage-backstage"  # where workflows send notifications (reference E3)
    cr_name: str = "orchestrator"
    # The Helm repository holding this generation's workflow charts (`orch workflow install`; reference A1):
    # its index.yaml lists chart versions whose major.minor equals the generation's version.
    workflow_chart_repository: str = ""
    sonataflow_operator_wait_id: str = "logic-operator"  # the wait-list item that is the SonataFlow operator
    notes: tuple[str, ...] = field(default_factory=tuple)
    family: "Family | None" = None
    # The install steps, by step id, in order (install/steps/registry.py maps ids to steps).
    install_recipe: tuple[str, ...] = ()
    cr_ready: str = "condition:Deployed"  # readiness predicate of the Orchestrator CR (readiness.py)
    cr_finalizer: str = ""
    # The operator creates the SonataFlow platform (workflow) namespace itself (Go operator): orch labels it
    # and deploys PostgreSQL into it after the CR instead of creating it first.
    platform_namespace_by_operator: bool = False
    # Operators orch subscribes to besides `operator` (1.7+: Serverless and Serverless Logic), same pinning.
    extra_operators: tuple[OperatorPin, ...] = ()
    lock_namespace_override: str = ""  # where the install lock's Lease lives (default: the operator's namespace)
    # 1.7+: workflows run in the Backstage namespace, where the RHDH operator puts the SonataFlow platform.
    workflow_namespace_is_rhdh: bool = False
    extra_namespaces: tuple[str, ...] = ()  # further namespaces orch creates (1.7+: the operators' and Knative's)
    # `orch workflow add-namespace`: the policy in the workflow namespace, the one in the platform namespace
    # ({namespace}: the workflow namespace), and whether a SonataFlowClusterPlatform must point at the platform.
    workflow_ns_policy: str = "allow-rhdh-to-sonataflow-and-workflows"
    platform_side_policy: str = "allow-workflows-from-{namespace}"
    cluster_platform_for_namespaces: bool = False

    @property
    def lock_namespace(self) -> str:
        return self.lock_namespace_override or self.operator.namespace


class Family:
    """The behaviour shared by a family's generations (pure functions of objects and configs)."""

    id = ""
    # Kinds the family's operator makes for an Orchestrator CR (cleanup removes those left over).
    operand_kinds: tuple[tuple[str, str], ...] = ()

    def installation_from_cr(self, cr: dict, generation: Generation) -> "Installation":
        raise NotImplementedError

    def operand_subscriptions(self, inst: "Installation") -> list[tuple[str, "Ref"]]:
        """(component, Subscription) the operator creates for the CR, besides orch's own."""
        return []

    def cr_values(self, config: Any) -> dict:
        """Template values for the generation's CR template from an InstallConfig."""
        raise NotImplementedError

    def made_for_cr(self, obj: dict, cr: dict | None) -> bool:
        """Did the family's operator make `obj` for orch's CR `cr` (cleanup may then remove it)?"""
        return False

    def cleanup_protect(self, inst: "Installation", namespaces: list[dict]) -> list[tuple[str, dict, str]]:
        """(namespace, merge patch, why) to apply before orch's CR is deleted, so that the operator's own
        cleanup deletes nothing orch must keep or delete later in a safer order."""
        return []
