"""Orchestrator 1.7 and 1.8: the Orchestrator inside Red Hat Developer Hub (no Orchestrator operator).

Facts: reference upstream-workflows-and-generations.md §D1, §D2, §E1. orch subscribes to the Serverless and
Serverless Logic operators (Manual approval, orch approves exactly the pinned CSVs: upstream's chart leaves
approval to the user), creates KnativeServing/KnativeEventing, subscribes to the RHDH operator (channel
fast-1.7 / fast-1.8), and configures RHDH: the auth Secret, an app-config with the static token, a
dynamic-plugins ConfigMap enabling the four orchestrator plugins with the backend's
`dependencies: [{ref: sonataflow}]`, and the Backstage CR (v1alpha3 / v1alpha4). The RHDH operator then
provisions the SonataFlow platform *in the Backstage namespace* from that dependency, on the Backstage
database (`backstage-psql-<bs>`, `backstage-psql-secret-<bs>`, database backstage_plugin_orchestrator).

The anchor of an installation is orch's Backstage CR (annotation orch.rhdhorchestrator.io/version).
"""

from __future__ import annotations

from orchestrator_cli.core.ownership import is_managed
from orchestrator_cli.generations.installation import Installation
from orchestrator_cli.generations.model import Family, Generation, OperandSubscription, OperatorPin, WaitTemplate
from orchestrator_cli.kube.client import Ref

OLM_API = "operators.coreos.com/v1alpha1"
VERSION_ANNOTATION = "orch.rhdhorchestrator.io/version"
BACKSTAGE = "backstage"
OSL_NS, SERVERLESS_NS, RHDH_OPERATOR_NS = "openshift-serverless-logic", "openshift-serverless", "rhdh-operator"
KNATIVE_NAMESPACES = ("knative-eventing", "knative-serving")
DATABASE = "backstage_plugin_orchestrator"
AUTH_SECRET = "backstage-backend-auth-secret"
APP_CONFIG = "orchestrator-app-config"
DYNAMIC_PLUGINS = "orchestrator-dynamic-plugins"
PLUGIN_PACKAGES = ("backstage-plugin-orchestrator", "backstage-plugin-orchestrator-backend-dynamic",
                   "backstage-plugin-scaffolder-backend-module-orchestrator-dynamic",
                   "backstage-plugin-orchestrator-form-widgets")
# The RHDH operator's plugin-deps sonataflow.yaml (§D1.4), in the Backstage namespace.
PLUGIN_DEPS_POLICIES = ("allow-infra-ns-to-workflow-ns", "allow-external-communication", "allow-intra-network",
                        "allow-monitoring-to-sonataflow-and-workflows")


class RhdhNativeFamily(Family):
    id = "rhdh_native"
    operand_kinds = (
        ("sonataflow.org/v1alpha08", "SonataFlowClusterPlatform"),  # add-namespace's, pointing at the platform
        ("operator.knative.dev/v1beta1", "KnativeServing"),
        ("operator.knative.dev/v1beta1", "KnativeEventing"),
    )

    def installation_from_cr(self, cr: dict, generation: Generation) -> Installation:
        md = cr["metadata"]
        ns, name = md["namespace"], md["name"]
        return Installation(
            generation=generation, cr=cr, orchestrator_namespace=ns, workflow_namespace=ns, rhdh_namespace=ns,
            existing_rhdh=not is_managed(cr),
            postgres_service=f"backstage-psql-{name}", postgres_namespace=ns,
            postgres_secret=f"backstage-psql-secret-{name}", postgres_user_key="POSTGRES_USER",
            postgres_password_key="POSTGRES_PASSWORD", postgres_database=DATABASE,
            gitops=False, argocd_namespace=None,
            backend_secret=AUTH_SECRET,
            backstage_service=f"backstage-{name}", backstage_deployment=f"backstage-{name}",
            backstage_route=f"backstage-{name}",
        )

    def operand_subscriptions(self, inst: Installation) -> list[tuple[str, Ref]]:
        gen = inst.generation
        return [("serverless-logic-operator", Ref(OLM_API, "Subscription", gen.serverless_logic.name, OSL_NS)),
                ("serverless-operator", Ref(OLM_API, "Subscription", gen.serverless.name, SERVERLESS_NS))]

    def made_for_cr(self, obj: dict, cr: dict | None) -> bool:
        """orch made the Knative CRs itself (managed-by); the RHDH operator's plugin-dependency objects are owned by
        the Backstage CR and go with it."""
        return cr is not None and is_managed(obj)


RHDH_NATIVE = RhdhNativeFamily()
RHDH_NATIVE_RECIPE = ("namespaces", "operator", "knative", "token", "setup-secret", "rhdh-native-config",
                      "backstage-cr", "wait", "network-policies", "summary")


def _wait_list(backstage_api: str, db_job: bool) -> tuple[WaitTemplate, ...]:
    items = [
        WaitTemplate("knative-openshift", "apps/v1", "Deployment", "knative-openshift", SERVERLESS_NS, "deployment"),
        WaitTemplate("knative-eventing", "operator.knative.dev/v1beta1", "KnativeEventing", "knative-eventing",
                     "knative-eventing", "condition:Ready"),
        WaitTemplate("knative-serving", "operator.knative.dev/v1beta1", "KnativeServing", "knative-serving",
                     "knative-serving", "condition:Ready"),
        WaitTemplate("logic-operator", "apps/v1", "Deployment", "logic-operator-rhel8-controller-manager", OSL_NS,
                     "deployment"),
        WaitTemplate("backstage-cr", backstage_api, "Backstage", BACKSTAGE, "{rhdh_namespace}", "condition:Deployed",
                     only_new_rhdh=True),
        WaitTemplate("backstage", "apps/v1", "Deployment", f"backstage-{BACKSTAGE}", "{rhdh_namespace}",
                     "deployment", only_new_rhdh=True),
        WaitTemplate("sonataflow-platform", "sonataflow.org/v1alpha08", "SonataFlowPlatform", "sonataflow-platform",
                     "{rhdh_namespace}", "condition:Succeed"),
        WaitTemplate("data-index", "apps/v1", "Deployment", "sonataflow-platform-data-index-service",
                     "{rhdh_namespace}", "deployment"),
        WaitTemplate("jobs-service", "apps/v1", "Deployment", "sonataflow-platform-jobs-service",
                     "{rhdh_namespace}", "deployment"),
    ]
    if db_job:
        items.append(WaitTemplate("database-job", "batch/v1", "Job", f"create-sonataflow-database-{BACKSTAGE}",
                                  "{rhdh_namespace}", "job"))
    return tuple(items)


def _native(version: str, rhdh_csv: str, backstage_api: str, plugins: str, db_job: bool) -> Generation:
    osl = "1.36.0"
    return Generation(
        version=version,
        cr_api_version=backstage_api,
        cr_template="",
        operator=OperatorPin(package="rhdh", channel=f"fast-{version}", starting_csv=rhdh_csv,
                             namespace=RHDH_OPERATOR_NS, subscription="rhdh", deployment="rhdh-operator",
                             operator_group="rhdh-operator-group", only_new_rhdh=True),
        extra_operators=(
            OperatorPin(package="serverless-operator", channel="stable", starting_csv=f"serverless-operator.v{osl}",
                        namespace=SERVERLESS_NS, subscription="serverless-operator", deployment="knative-openshift",
                        operator_group="serverless-operator-group"),
            OperatorPin(package="logic-operator-rhel8", channel="alpha", starting_csv=f"logic-operator-rhel8.v{osl}",
                        namespace=OSL_NS, subscription="logic-operator-rhel8",
                        deployment="logic-operator-rhel8-controller-manager",
                        operator_group="serverless-operator-group"),
        ),
        min_openshift=(4, 14),
        serverless=OperandSubscription("serverless-operator", SERVERLESS_NS, "stable", f"serverless-operator.v{osl}"),
        serverless_logic=OperandSubscription("logic-operator-rhel8", OSL_NS, "alpha", f"logic-operator-rhel8.v{osl}"),
        rhdh_channel=f"fast-{version}",
        wait_list=_wait_list(backstage_api, db_job),
        network_policies=PLUGIN_DEPS_POLICIES,
        monitoring_network_policy=None,
        tekton_rule="cluster-resolver",
        plugin_version=plugins,
        workflow_chart_repository="https://rhdhorchestrator.io/serverless-workflows",
        cr_name=BACKSTAGE,
        family=RHDH_NATIVE,
        install_recipe=RHDH_NATIVE_RECIPE,
        cr_ready="condition:Deployed",
        lock_namespace_override="openshift-operators",
        workflow_namespace_is_rhdh=True,
        workflow_ns_policy="allow-rhdh-and-knative-to-workflows",
        platform_side_policy="allow-external-workflows-to-rhdh-{namespace}",
        cluster_platform_for_namespaces=True,
        extra_namespaces=(SERVERLESS_NS, OSL_NS, *KNATIVE_NAMESPACES, RHDH_OPERATOR_NS),
    )


RHDH_NATIVE_GENERATIONS: dict[str, Generation] = {
    "1.7": _native("1.7", "rhdh-operator.v1.7.1", "rhdh.redhat.com/v1alpha3", "1.7.1", db_job=False),
    "1.8": _native("1.8", "rhdh-operator.v1.8.1", "rhdh.redhat.com/v1alpha4", "1.8.12", db_job=True),
}

