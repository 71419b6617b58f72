"""Every version-specific fact of an Orchestrator generation, in one table per generation.

The pipeline never branches on a version number: it reads a `Generation`. Adding 1.5/1.6
(the Go operator, CR v1alpha3) means adding a table here plus its CR template.

Version pinning is deliberate: the Subscription uses installPlanApproval Manual and orch
approves only the InstallPlan whose CSV is the generation's startingCSV. With Automatic
approval OLM would keep upgrading past startingCSV along the channel (1.3 -> 1.4 ...), so
`--version 1.3` would silently end on another generation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from orchestrator_cli.errors import InputError


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
    cr_name: str = "orchestrator"
    notes: tuple[str, ...] = field(default_factory=tuple)


# The HOP (Helm-based operator) wait list, reference section 2.2. Same items for 1.3 and 1.4.
_HOP_WAIT_LIST = (
    WaitTemplate("knative-openshift", "apps/v1", "Deployment", "knative-openshift", "openshift-serverless", "deployment"),
    WaitTemplate("knative-eventing", "operator.knative.dev/v1beta1", "KnativeEventing", "knative-eventing",
                 "knative-eventing", "condition:Ready"),
    WaitTemplate("knative-serving", "operator.knative.dev/v1beta1", "KnativeServing", "knative-serving",
                 "knative-serving", "condition:Ready"),
    WaitTemplate("logic-operator", "apps/v1", "Deployment", "logic-operator-rhel8-controller-manager",
                 "openshift-serverless-logic", "deployment"),
    WaitTemplate("sonataflow-platform", "sonataflow.org/v1alpha08", "SonataFlowPlatform", "sonataflow-platform",
                 "{workflow_namespace}", "condition:Succeed"),
    WaitTemplate("data-index", "apps/v1", "Deployment", "sonataflow-platform-data-index-service",
                 "{workflow_namespace}", "deployment"),
    WaitTemplate("jobs-service", "apps/v1", "Deployment", "sonataflow-platform-jobs-service",
                 "{workflow_namespace}", "deployment"),
    WaitTemplate("backstage-cr", "rhdh.redhat.com/v1alpha1", "Backstage", "backstage", "{rhdh_namespace}",
                 "condition:Deployed", only_new_rhdh=True),
    WaitTemplate("backstage", "apps/v1", "Deployment", "backstage-backstage", "{rhdh_namespace}", "deployment",
                 only_new_rhdh=True),
)

_HOP_NETWORK_POLICIES = ("allow-rhdh-to-sonataflow-and-workflows", "allow-intra-namespace")

GENERATIONS: dict[str, Generation] = {
    "1.3": Generation(
        version="1.3",
        cr_api_version="rhdh.redhat.com/v1alpha1",
        cr_template="orchestrator-v1alpha1.yaml",
        operator=OperatorPin(package="orchestrator-operator", channel="stable",
                             starting_csv="orchestrator-operator.v1.3.1"),
        min_openshift=(4, 13),
        serverless=OperandSubscription("serverless-operator", "openshift-serverless", "stable"),
        serverless_logic=OperandSubscription("logic-operator-rhel8", "openshift-serverless-logic", "alpha",
                                             "logic-operator-rhel8.v1.34.0"),
        rhdh_channel="fast-1.3",
        wait_list=_HOP_WAIT_LIST,
        network_policies=_HOP_NETWORK_POLICIES,
        monitoring_network_policy=None,
        tekton_rule="clustertask",
        plugin_version="1.3.0",
    ),
    "1.4": Generation(
        version="1.4",
        cr_api_version="rhdh.redhat.com/v1alpha2",
        cr_template="orchestrator-v1alpha2.yaml",
        operator=OperatorPin(package="orchestrator-operator", channel="stable",
                             starting_csv="orchestrator-operator.v1.4.0"),
        min_openshift=(4, 13),
        serverless=OperandSubscription("serverless-operator", "openshift-serverless", "stable",
                                       "serverless-operator.v1.35.0"),
        serverless_logic=OperandSubscription("logic-operator-rhel8", "openshift-serverless-logic", "alpha",
                                             "logic-operator-rhel8.v1.35.0"),
        rhdh_channel="fast-1.4",
        wait_list=_HOP_WAIT_LIST,
        network_policies=_HOP_NETWORK_POLICIES,
        monitoring_network_policy="allow-monitoring-to-sonataflow-and-workflows",
        tekton_rule="pipelines-subscription",
        plugin_version="1.4.0",
    ),
}

DEFAULT_VERSION = "1.3"


def get_generation(version: str) -> Generation:
    try:
        return GENERATIONS[version]
    except KeyError:
        known = ", ".join(sorted(GENERATIONS))
        raise InputError(f"unknown Orchestrator version {version!r}; supported: {known}") from None
