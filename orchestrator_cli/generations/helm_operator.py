"""Orchestrator 1.3 and 1.4: the Helm-based Orchestrator operator (HOP), CRs v1alpha1 / v1alpha2.

The family's recipes: the CR spec names the namespaces and PostgreSQL (`installation_from_cr`);
the operator is a Helm release of the CR, so what it made carries Helm's release annotations naming
the CR (`made_for_cr`); it subscribes to the Serverless, Serverless Logic and RHDH operators as the
CR says (`operand_subscriptions`).
"""

from __future__ import annotations

from orchestrator_cli.core.render import OMIT
from orchestrator_cli.generations.installation import Installation, spec_get
from orchestrator_cli.generations.model import Family, Generation, OperandSubscription, OperatorPin, WaitTemplate
from orchestrator_cli.kube.client import Ref

OLM_API = "operators.coreos.com/v1alpha1"
RELEASE_NAME = "meta.helm.sh/release-name"
RELEASE_NAMESPACE = "meta.helm.sh/release-namespace"


class HelmOperatorFamily(Family):
    id = "helm_operator"
    operand_kinds = (  # what the Helm-based operator renders for a CR (reference section 4)
        ("sonataflow.org/v1alpha08", "SonataFlowPlatform"),
        ("sonataflow.org/v1alpha08", "SonataFlowClusterPlatform"),
        ("rhdh.redhat.com/v1alpha1", "Backstage"),
        ("rhdh.redhat.com/v1alpha2", "Backstage"),
        ("operator.knative.dev/v1beta1", "KnativeServing"),
        ("operator.knative.dev/v1beta1", "KnativeEventing"),
        ("argoproj.io/v1alpha1", "AppProject"),
    )

    def installation_from_cr(self, cr: dict, generation: Generation) -> Installation:
        """Pure: the facts day-2 commands need, read from the CR spec (CRD defaults as fall-backs)."""
        spec = cr.get("spec") or {}
        ns = cr["metadata"]["namespace"]
        rhdh_enabled = spec_get(spec, "rhdhOperator.enabled", True)
        rhdh_ns = (spec_get(spec, "rhdhOperator.subscription.targetNamespace") or "rhdh-operator") if rhdh_enabled \
            else (spec_get(spec, "networkPolicy.rhdhNamespace") or "")
        workflow_ns = spec_get(spec, "orchestrator.namespace") or "sonataflow-infra"
        gitops = bool(spec_get(spec, "argocd.enabled", False))
        return Installation(
            generation=generation,
            cr=cr,
            orchestrator_namespace=ns,
            workflow_namespace=workflow_ns,
            rhdh_namespace=rhdh_ns,
            existing_rhdh=not rhdh_enabled,
            postgres_service=spec_get(spec, "postgres.serviceName") or "sonataflow-psql-postgresql",
            postgres_namespace=spec_get(spec, "postgres.serviceNamespace") or workflow_ns,
            postgres_secret=spec_get(spec, "postgres.authSecret.name") or "sonataflow-psql-postgresql",
            postgres_user_key=spec_get(spec, "postgres.authSecret.userKey") or "postgres-username",
            postgres_password_key=spec_get(spec, "postgres.authSecret.passwordKey") or "postgres-password",
            postgres_database=spec_get(spec, "postgres.database") or "sonataflow",
            gitops=gitops,
            argocd_namespace=(spec_get(spec, "argocd.namespace") or "orchestrator-gitops") if gitops else None,
            backend_secret=spec_get(spec, "rhdhOperator.secretRef.name") or "backstage-backend-auth-secret",
            backstage_service=generation.backstage_service,
            backstage_deployment=generation.backstage_deployment,
            backstage_route=generation.backstage_route,
        )

    def operand_subscriptions(self, inst: Installation) -> list[tuple[str, Ref]]:
        out = []
        spec = inst.cr.get("spec") or {}
        operands = [("serverless-logic-operator", "sonataFlowOperator", inst.generation.serverless_logic),
                    ("serverless-operator", "serverlessOperator", inst.generation.serverless)]
        for component, key, pin in operands:
            if spec_get(spec, f"{key}.enabled", True) is False:
                continue
            name = spec_get(spec, f"{key}.subscription.name") or pin.name
            namespace = spec_get(spec, f"{key}.subscription.namespace") or pin.namespace
            out.append((component, Ref(OLM_API, "Subscription", name, namespace)))
        if not inst.existing_rhdh:
            name = spec_get(spec, "rhdhOperator.subscription.name") or "rhdh"
            out.append(("rhdh-operator", Ref(OLM_API, "Subscription", name, inst.rhdh_namespace)))
        return out

    def cr_values(self, config) -> dict:
        gen = config.generation
        return {
            "name": gen.cr_name, "namespace": config.orchestrator_namespace,
            "osl_namespace": gen.serverless_logic.namespace, "osl_name": gen.serverless_logic.name,
            "osl_channel": gen.serverless_logic.channel, "osl_starting_csv": gen.serverless_logic.starting_csv or OMIT,
            "serverless_namespace": gen.serverless.namespace, "serverless_name": gen.serverless.name,
            "serverless_channel": gen.serverless.channel,
            "serverless_starting_csv": gen.serverless.starting_csv or OMIT,
            "rhdh_enabled": not config.existing_rhdh, "guest_provider": config.guest_provider,
            "rhdh_namespace": config.rhdh_namespace, "rhdh_channel": gen.rhdh_channel,
            "postgres_service": config.postgres_service, "postgres_namespace": config.postgres_namespace,
            "postgres_secret": config.postgres_secret, "postgres_database": config.postgres_database,
            "workflow_namespace": config.workflow_namespace, "tekton": config.tekton, "gitops": config.gitops,
            "argocd_namespace": config.argocd_namespace if config.gitops else OMIT,
        }

    def made_for_cr(self, obj: dict, cr: dict | None) -> bool:
        """Made by the Helm-based operator for this CR: its release annotations name the CR (pure)."""
        if cr is None:
            return False
        ann = (obj.get("metadata") or {}).get("annotations") or {}
        return ann.get(RELEASE_NAME) == cr["metadata"]["name"] and \
            ann.get(RELEASE_NAMESPACE) == cr["metadata"]["namespace"]


HELM_OPERATOR = HelmOperatorFamily()
HOP_RECIPE = ("namespaces", "postgres", "operator", "token", "setup-secret", "rhdh-config", "orchestrator-cr",
              "wait", "network-policies", "summary")

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
        family=HELM_OPERATOR,
        install_recipe=HOP_RECIPE,
        cr_finalizer="helm.sdk.operatorframework.io/uninstall-release",
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
        family=HELM_OPERATOR,
        install_recipe=HOP_RECIPE,
        cr_finalizer="helm.sdk.operatorframework.io/uninstall-release",
    ),
}
