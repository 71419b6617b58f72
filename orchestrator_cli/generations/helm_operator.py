"""Orchestrator 1.3 and 1.4: the Helm-based Orchestrator operator (HOP), CRs v1alpha1 / v1alpha2."""

from __future__ import annotations

from orchestrator_cli.generations.model import Generation, OperandSubscription, OperatorPin, WaitTemplate

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

# 1.3-1.5 workflow charts live in the archived serverless-workflows-config repository (reference A1).
_SWC_REPOSITORY = "https://rhdhorchestrator.io/serverless-workflows-config"

HELM_OPERATOR_GENERATIONS: dict[str, Generation] = {
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
        workflow_chart_repository=_SWC_REPOSITORY,
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
        workflow_chart_repository=_SWC_REPOSITORY,
    ),
}
