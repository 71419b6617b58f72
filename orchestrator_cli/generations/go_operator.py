"""Orchestrator 1.5 and 1.6: the Go Orchestrator operator (GOP), CR rhdh.redhat.com/v1alpha3.

Facts: reference upstream-workflows-and-generations.md §C, upstream-orchestrator.md §3.2, §6.2, §7.3.
The family's recipes:
- the CR names RHDH (`rhdh.name`/`namespace`), the platform namespace and PostgreSQL explicitly;
- the operator marks what it makes with the label `rhdh.redhat.com/created-by=orchestrator` — and also
  labels every *existing* namespace it touches, which its finalizer then deletes (§7.3). So orch records on
  its CR the namespaces that existed before it (PREEXISTING), and cleanup releases the operator's label
  from those and from every namespace orch must delete itself, in its own order;
- the operator creates the platform namespace and fails ("namespaces … already exists") when it finds one
  created just before (its cache race, real-operators.md): orch lets the operator create it, then labels
  it and deploys PostgreSQL into it (the recipe's order);
- `Completed` only means every object was created: orch then waits for the wait list (§C6) and
  `backstage-<rhdh.name>`.
"""

from __future__ import annotations

from orchestrator_cli.core.ownership import created_by_orch
from orchestrator_cli.core.render import OMIT
from orchestrator_cli.generations.installation import Installation, spec_get
from orchestrator_cli.generations.model import Family, Generation, OperandSubscription, OperatorPin, WaitTemplate
from orchestrator_cli.kube.client import Ref

OLM_API = "operators.coreos.com/v1alpha1"
CREATED_BY = "rhdh.redhat.com/created-by"
CREATED_BY_VALUE = "orchestrator"
VERSION_ANNOTATION = "orch.rhdhorchestrator.io/version"
PREEXISTING = "orch.rhdhorchestrator.io/preexisting-namespaces"
RHDH_NAME = "backstage"  # orch's rhdh.name: Deployment/Service/Route backstage-backstage, as for 1.3/1.4
OSL_NS, SERVERLESS_NS, RHDH_OPERATOR_NS = "openshift-serverless-logic", "openshift-serverless", "rhdh-operator"
KNATIVE_NAMESPACES = ("knative-eventing", "knative-serving")
# Namespaces the operator itself deletes on CR deletion when they carry its label (§7.3). orch lets it delete
# only the knative ones (their CRs' finalizers run while openshift-serverless is kept); the rest orch deletes
# after their Subscriptions and CSVs, so nothing is left Terminating.
OPERATOR_DELETES = (*KNATIVE_NAMESPACES, SERVERLESS_NS, OSL_NS, RHDH_OPERATOR_NS)
LET_OPERATOR_DELETE = KNATIVE_NAMESPACES


def touched_namespaces(config_or_inst) -> list[str]:
    """Every namespace the operator creates or labels for this configuration (ordered, unique)."""
    out = [OSL_NS, config_or_inst.workflow_namespace, SERVERLESS_NS, *KNATIVE_NAMESPACES]
    if not config_or_inst.existing_rhdh:
        out += [RHDH_OPERATOR_NS, config_or_inst.rhdh_namespace]
    return list(dict.fromkeys(out))


def operator_labelled(obj: dict | None) -> bool:
    return ((obj or {}).get("metadata", {}).get("labels") or {}).get(CREATED_BY) == CREATED_BY_VALUE


class GoOperatorFamily(Family):
    id = "go_operator"
    operand_kinds = (
        ("sonataflow.org/v1alpha08", "SonataFlowPlatform"),
        ("sonataflow.org/v1alpha08", "SonataFlowClusterPlatform"),
        ("rhdh.redhat.com/v1alpha2", "Backstage"),
        ("operator.knative.dev/v1beta1", "KnativeServing"),
        ("operator.knative.dev/v1beta1", "KnativeEventing"),
        ("argoproj.io/v1alpha1", "AppProject"),
    )

    def installation_from_cr(self, cr: dict, generation: Generation) -> Installation:
        spec = cr.get("spec") or {}
        ann = (cr.get("metadata") or {}).get("annotations") or {}
        rhdh_enabled = bool(spec_get(spec, "rhdh.installOperator", False))
        name = spec_get(spec, "rhdh.name") or RHDH_NAME
        workflow_ns = spec_get(spec, "platform.namespace") or "sonataflow-infra"
        gitops = bool(spec_get(spec, "argocd.enabled", False))
        return Installation(
            generation=generation,
            cr=cr,
            orchestrator_namespace=cr["metadata"]["namespace"],
            workflow_namespace=workflow_ns,
            rhdh_namespace=spec_get(spec, "rhdh.namespace") or "rhdh",
            existing_rhdh=not rhdh_enabled,
            postgres_service=spec_get(spec, "postgres.name") or "sonataflow-psql-postgresql",
            postgres_namespace=spec_get(spec, "postgres.namespace") or workflow_ns,
            postgres_secret=spec_get(spec, "postgres.authSecret.name") or "sonataflow-psql-postgresql",
            postgres_user_key=spec_get(spec, "postgres.authSecret.userKey") or "postgres-username",
            postgres_password_key=spec_get(spec, "postgres.authSecret.passwordKey") or "postgres-password",
            postgres_database=spec_get(spec, "postgres.database") or "sonataflow",
            gitops=gitops,
            argocd_namespace=(spec_get(spec, "argocd.namespace") or "orchestrator-gitops") if gitops else None,
            backstage_service=f"backstage-{name}",
            backstage_deployment=f"backstage-{name}",
            backstage_route=f"backstage-{name}",
            preexisting_namespaces=tuple(n for n in (ann.get(PREEXISTING) or "").split(",") if n),
        )

    def operand_subscriptions(self, inst: Installation) -> list[tuple[str, Ref]]:
        spec = inst.cr.get("spec") or {}
        gen = inst.generation
        out = []
        if spec_get(spec, "serverlessLogic.installOperator", True):
            out.append(("serverless-logic-operator", Ref(OLM_API, "Subscription", gen.serverless_logic.name,
                                                         gen.serverless_logic.namespace)))
        if spec_get(spec, "serverless.installOperator", True):
            out.append(("serverless-operator", Ref(OLM_API, "Subscription", gen.serverless.name,
                                                   gen.serverless.namespace)))
        if not inst.existing_rhdh:
            out.append(("rhdh-operator", Ref(OLM_API, "Subscription", "rhdh", RHDH_OPERATOR_NS)))
        return out

    def cr_values(self, config) -> dict:
        gen = config.generation
        return {
            "name": gen.cr_name, "namespace": config.orchestrator_namespace, "version": gen.version,
            "rhdh_name": RHDH_NAME, "rhdh_namespace": config.rhdh_namespace,
            "rhdh_enabled": not config.existing_rhdh, "guest_provider": config.guest_provider,
            "notifications_email": config.notifications_email,
            "postgres_service": config.postgres_service, "postgres_namespace": config.postgres_namespace,
            "postgres_secret": config.postgres_secret, "postgres_database": config.postgres_database,
            "workflow_namespace": config.workflow_namespace, "tekton": config.tekton, "gitops": config.gitops,
            "argocd_namespace": config.argocd_namespace if config.gitops else OMIT,
        }

    def made_for_cr(self, obj: dict, cr: dict | None) -> bool:
        """Carries the operator's label and, for a namespace, was created by the operator: not orch's, and not
        among those that existed before orch's CR (pure)."""
        if cr is None or not operator_labelled(obj):
            return False
        if obj.get("kind") == "Namespace":
            pre = ((cr.get("metadata") or {}).get("annotations") or {}).get(PREEXISTING) or ""
            return obj["metadata"]["name"] not in pre.split(",") and not created_by_orch(obj)
        return True

    def cleanup_protect(self, inst: Installation, namespaces: list[dict]) -> list[tuple[str, dict, str]]:
        """The operator's finalizer deletes every labelled namespace of OPERATOR_DELETES (and RHDH's) in one
        pass: the operator namespaces before the CRs their operators must finalize (Terminating namespaces),
        and namespaces it merely labelled. Its label is removed from all but the knative namespaces it made."""
        pre = set(inst.preexisting_namespaces)
        out = []
        for ns in namespaces:
            name = ns["metadata"]["name"]
            if not operator_labelled(ns) or name not in (*OPERATOR_DELETES, inst.rhdh_namespace):
                continue
            if name in LET_OPERATOR_DELETE and name not in pre and not created_by_orch(ns):
                continue
            why = ("existed before orch's CR" if name in pre else "created by orch" if created_by_orch(ns)
                   else "orch deletes it after its operator's Subscription and CSV")
            out.append((name, {"metadata": {"labels": {CREATED_BY: None}}},
                        f"remove the Go operator's {CREATED_BY} label ({why}) so its finalizer leaves it"))
        return out


GO_OPERATOR = GoOperatorFamily()
# The platform namespace is the operator's to create (its namespace race): orch labels it and deploys
# PostgreSQL into it after the CR.
GOP_RECIPE = ("namespaces", "operator", "token", "setup-secret", "rhdh-config", "orchestrator-cr-v1alpha3",
              "platform-namespace", "postgres", "wait", "network-policies", "gop-defects", "summary")

# The GOP docs' wait list (§C6) plus RHDH (installOperator: true): Backstage CR v1alpha2 and its Deployment.
_GOP_WAIT_LIST = (
    WaitTemplate("knative-openshift", "apps/v1", "Deployment", "knative-openshift", SERVERLESS_NS, "deployment"),
    WaitTemplate("knative-eventing", "operator.knative.dev/v1beta1", "KnativeEventing", "knative-eventing",
                 "knative-eventing", "condition:Ready"),
    WaitTemplate("knative-serving", "operator.knative.dev/v1beta1", "KnativeServing", "knative-serving",
                 "knative-serving", "condition:Ready"),
    WaitTemplate("logic-operator", "apps/v1", "Deployment", "logic-operator-rhel8-controller-manager", OSL_NS,
                 "deployment"),
    WaitTemplate("sonataflow-platform", "sonataflow.org/v1alpha08", "SonataFlowPlatform", "sonataflow-platform",
                 "{workflow_namespace}", "condition:Succeed"),
    WaitTemplate("data-index", "apps/v1", "Deployment", "sonataflow-platform-data-index-service",
                 "{workflow_namespace}", "deployment"),
    WaitTemplate("jobs-service", "apps/v1", "Deployment", "sonataflow-platform-jobs-service",
                 "{workflow_namespace}", "deployment"),
    WaitTemplate("backstage-cr", "rhdh.redhat.com/v1alpha2", "Backstage", RHDH_NAME, "{rhdh_namespace}",
                 "condition:Deployed", only_new_rhdh=True),
    WaitTemplate("backstage", "apps/v1", "Deployment", f"backstage-{RHDH_NAME}", "{rhdh_namespace}", "deployment",
                 only_new_rhdh=True),
)
_GOP_NETWORK_POLICIES = ("allow-rhdh-to-sonataflow-and-workflows", "allow-intra-namespace")
_OSL_POLICY = "allow-openshift-serverless-logic-to-sonataflow-and-workflows"  # GOP PR #257, in 1.6.1


def _gop(version: str, csv: str, osl: str, rhdh_channel: str, plugins: str, repo: str,
         policies: tuple[str, ...]) -> Generation:
    return Generation(
        version=version,
        cr_api_version="rhdh.redhat.com/v1alpha3",
        cr_template="orchestrator-v1alpha3.yaml",
        operator=OperatorPin(package="orchestrator-operator", channel="stable", starting_csv=csv,
                             deployment="orchestrator-operator-controller-manager"),
        min_openshift=(4, 14),
        serverless=OperandSubscription("serverless-operator", SERVERLESS_NS, "stable", f"serverless-operator.v{osl}"),
        serverless_logic=OperandSubscription("logic-operator-rhel8", OSL_NS, "alpha", f"logic-operator-rhel8.v{osl}"),
        rhdh_channel=rhdh_channel,
        wait_list=_GOP_WAIT_LIST,
        network_policies=policies,
        monitoring_network_policy=None,  # orch's CR leaves platform.monitoring off (the CRD default)
        tekton_rule="cluster-resolver",
        plugin_version=plugins,
        workflow_chart_repository=repo,
        family=GO_OPERATOR,
        install_recipe=GOP_RECIPE,
        cr_ready="orchestrator-phase",
        cr_finalizer="rhdh.redhat.com/orchestrator-cleanup",
        platform_namespace_by_operator=True,
    )


GO_OPERATOR_GENERATIONS: dict[str, Generation] = {
    "1.5": _gop("1.5", "orchestrator-operator.v1.5.2", "1.35.0", "fast-1.5", "1.5.1",
                "https://rhdhorchestrator.io/serverless-workflows-config", _GOP_NETWORK_POLICIES),
    "1.6": _gop("1.6", "orchestrator-operator.v1.6.1", "1.36.0", "fast-1.6", "1.6.1",
                "https://rhdhorchestrator.io/serverless-workflows", (*_GOP_NETWORK_POLICIES, _OSL_POLICY)),
}
