"""A generation as installed on Kubernetes: the same Orchestrator facts (plugins, workflow charts, network policy
names) with the Kubernetes components' names: the operators the release manifests create, in their namespaces,
instead of the OLM-installed ones (pure data)."""

from __future__ import annotations

import dataclasses

from orchestrator_cli.generations.model import Generation, OperandSubscription, OperatorPin, WaitTemplate

# The install lock's Lease lives in `default` (every Kubernetes cluster has it; there is no operator namespace
# orch owns before its first write).
LOCK_NAMESPACE = "default"
BACKSTAGE_API = "rhdh.redhat.com/v1alpha3"  # the RHDH operator 1.6 CRD's storage version
# orch's Backstage CR on Kubernetes (manifests/kubernetes-backstage.yaml) and what the RHDH operator names after it.
BACKSTAGE_CR, BACKSTAGE_DEPLOYMENT = "backstage", "backstage-backstage"
# The policies manifests/kubernetes-sonataflow.yaml creates (the OpenShift generations' names; not the 1.6.1
# OpenShift Serverless Logic one, whose source namespace is OpenShift's).
NETWORK_POLICIES = ("allow-rhdh-to-sonataflow-and-workflows", "allow-intra-namespace")


def wait_list(gen: Generation) -> tuple[WaitTemplate, ...]:
    from orchestrator_cli.platforms.kubernetes_pins import pins_for

    pins = pins_for(gen.version)
    knative, sonataflow, rhdh = (pins.pin(c) for c in ("knative-operator", "sonataflow-operator", "rhdh-operator"))
    return (
        WaitTemplate("knative-operator", "apps/v1", "Deployment", knative.deployment, knative.namespace,
                     "deployment"),
        WaitTemplate("knative-eventing", "operator.knative.dev/v1beta1", "KnativeEventing", "knative-eventing",
                     "knative-eventing", "condition:Ready"),
        WaitTemplate("knative-serving", "operator.knative.dev/v1beta1", "KnativeServing", "knative-serving",
                     "knative-serving", "condition:Ready"),
        WaitTemplate("sonataflow-operator", "apps/v1", "Deployment", sonataflow.deployment, sonataflow.namespace,
                     "deployment"),
        WaitTemplate("sonataflow-platform", "sonataflow.org/v1alpha08", "SonataFlowPlatform", "sonataflow-platform",
                     "{workflow_namespace}", "condition:Succeed"),
        WaitTemplate("data-index", "apps/v1", "Deployment", "sonataflow-platform-data-index-service",
                     "{workflow_namespace}", "deployment"),
        WaitTemplate("jobs-service", "apps/v1", "Deployment", "sonataflow-platform-jobs-service",
                     "{workflow_namespace}", "deployment"),
        WaitTemplate("rhdh-operator", "apps/v1", "Deployment", rhdh.deployment, rhdh.namespace, "deployment"),
        WaitTemplate("backstage-cr", BACKSTAGE_API, "Backstage", BACKSTAGE_CR, "{rhdh_namespace}",
                     "condition:Deployed"),
        WaitTemplate("backstage", "apps/v1", "Deployment", BACKSTAGE_DEPLOYMENT, "{rhdh_namespace}", "deployment"),
    )


def kubernetes_generation(gen: Generation) -> Generation:
    from orchestrator_cli.platforms.kubernetes_pins import pins_for

    pins = pins_for(gen.version)
    knative, sonataflow = pins.pin("knative-operator"), pins.pin("sonataflow-operator")
    return dataclasses.replace(
        gen,
        operator=OperatorPin(package="", channel="", starting_csv="", namespace=LOCK_NAMESPACE, subscription="",
                             source="", source_namespace="", deployment="", approval=""),
        serverless=OperandSubscription(knative.deployment, knative.namespace, "", knative.version),
        serverless_logic=OperandSubscription(sonataflow.deployment, sonataflow.namespace, "", sonataflow.version),
        wait_list=wait_list(gen),
        sonataflow_operator_wait_id="sonataflow-operator",
        network_policies=NETWORK_POLICIES,
        platform_namespace_by_operator=False,  # no Orchestrator operator: orch creates the workflow namespace
        backstage_cr=BACKSTAGE_CR, backstage_deployment=BACKSTAGE_DEPLOYMENT, backstage_service=BACKSTAGE_DEPLOYMENT,
        backstage_route=BACKSTAGE_DEPLOYMENT,
        monitoring_network_policy=None,  # its source namespace is OpenShift's user-workload monitoring
        notes=gen.notes + ("kubernetes",),
    )
