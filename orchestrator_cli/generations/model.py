"""The shape of a generation: every version-specific fact as data (no behaviour)."""

from __future__ import annotations

from dataclasses import dataclass, field


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
