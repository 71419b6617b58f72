"""The permissions `orch install` needs, and which of them the current user lacks.

Fast path: one SelfSubjectRulesReview in a namespace that cannot hold RoleBindings gives the
user's cluster-wide rules (for a cluster-admin that answers everything in one request).
What those rules do not grant is looked up per namespace with SelfSubjectRulesReview, and
every permission still not granted is confirmed with a SelfSubjectAccessReview, which is
authoritative (other authorizers, aggregated roles). All missing permissions are reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

PROBE_NAMESPACE = "orch-cluster-scope-probe"  # never created: only cluster-wide rules apply there


@dataclass(frozen=True)
class Permission:
    verb: str
    group: str
    resource: str
    namespace: str | None = None  # None: cluster-scoped (or all namespaces)

    def __str__(self) -> str:
        res = f"{self.resource}.{self.group}" if self.group else self.resource
        where = f" in namespace {self.namespace}" if self.namespace else " (cluster-wide)"
        return f"{self.verb} {res}{where}"


def _p(verbs: str, group: str, resource: str, ns: str | None = None) -> list[Permission]:
    return [Permission(v, group, resource, ns) for v in verbs.split()]


def required_permissions(config) -> list[Permission]:
    gen = config.generation
    op_ns = gen.operator.namespace
    wf, rhdh, orch_ns = config.workflow_namespace, config.rhdh_namespace, config.orchestrator_namespace
    out: list[Permission] = []
    out += _p("get create patch", "", "namespaces")
    out += _p("get", "apiextensions.k8s.io", "customresourcedefinitions")
    out += _p("get create patch", "rbac.authorization.k8s.io", "clusterrolebindings")
    if not config.token_cluster_admin:
        out += _p("get create patch", "rbac.authorization.k8s.io", "clusterroles")
    out += _p("get", "config.openshift.io", "clusterversions")
    out += _p("list", "storage.k8s.io", "storageclasses")
    out += _p("list", "", "nodes")
    for pin_ns in dict.fromkeys([op_ns, *(p.namespace for p in gen.extra_operators)]):
        out += _p("get create patch", "operators.coreos.com", "subscriptions", pin_ns)
        out += _p("list patch", "operators.coreos.com", "installplans", pin_ns)
        out += _p("get list watch", "operators.coreos.com", "clusterserviceversions", pin_ns)
    out += _p("get create update delete", "coordination.k8s.io", "leases", gen.lock_namespace)
    out += _p("get", "packages.operators.coreos.com", "packagemanifests", gen.operator.source_namespace)
    out += _p("get create patch list watch", "rhdh.redhat.com", "orchestrators", orch_ns)
    out += _p("get create patch", "", "serviceaccounts", orch_ns)
    out += _p("get create patch list watch", "", "secrets", orch_ns)
    out += _p("get create patch", "", "secrets", rhdh)
    out += _p("get", "route.openshift.io", "routes", rhdh)
    if not config.existing_rhdh:
        out += _p("list watch", "rhdh.redhat.com", "backstages", rhdh)
    if config.configure_rhdh:
        out += _p("get create patch", "", "configmaps", rhdh)
    if "gop-defects" in gen.install_recipe and not config.existing_rhdh:
        out += _p("get patch", "", "configmaps", rhdh)  # the Go operator's swapped-plugins ConfigMap
    if not config.postgres_external:
        out += _p("get create patch", "", "secrets", wf)
        out += _p("get create patch", "", "services", wf)
        out += _p("get create patch list watch", "apps", "statefulsets", wf)
        out += _p("list watch", "discovery.k8s.io", "endpointslices", wf)
    out += _p("list watch", "sonataflow.org", "sonataflowplatforms", wf)
    out += _p("list", "networking.k8s.io", "networkpolicies", wf)
    out += _p("list watch", "operator.knative.dev", "knativeservings", "knative-serving")
    out += _p("list watch", "operator.knative.dev", "knativeeventings", "knative-eventing")
    deploy_namespaces = {op_ns, wf, gen.serverless.namespace, gen.serverless_logic.namespace}
    if not config.existing_rhdh:
        deploy_namespaces.add(rhdh)
    for ns in sorted(deploy_namespaces):
        out += _p("list watch", "apps", "deployments", ns)
        out += _p("list", "", "pods", ns)
        out += _p("list", "", "events", ns)
    if config.gitops:
        out += _p("list", "argoproj.io", "argocds", config.argocd_namespace)
        out += _p("list", "route.openshift.io", "routes", config.argocd_namespace)
        out += _p("get", "", "secrets", config.argocd_namespace)
    return list(dict.fromkeys(out))


def rule_allows(rule: dict, p: Permission) -> bool:
    def has(field: str, value: str) -> bool:
        values = rule.get(field) or []
        return "*" in values or value in values

    return (has("verbs", p.verb) and has("apiGroups", p.group) and has("resources", p.resource)
            and not rule.get("resourceNames"))


def granted_by(rules: Iterable[dict], p: Permission) -> bool:
    return any(rule_allows(r, p) for r in rules)


def _rules(kube, namespace: str) -> tuple[list[dict], bool]:
    review = kube.review({"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectRulesReview",
                          "spec": {"namespace": namespace}})
    status = review.get("status") or {}
    return status.get("resourceRules") or [], bool(status.get("incomplete"))


def _access(kube, p: Permission) -> bool:
    attrs = {"verb": p.verb, "group": p.group, "resource": p.resource}
    if p.namespace:
        attrs["namespace"] = p.namespace
    review = kube.review({"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
                          "spec": {"resourceAttributes": attrs}})
    return bool((review.get("status") or {}).get("allowed"))


def missing_permissions(kube, required: list[Permission]) -> list[Permission]:
    cluster_rules, _ = _rules(kube, PROBE_NAMESPACE)
    pending = [p for p in required if not granted_by(cluster_rules, p)]
    by_ns: dict[str, list[dict]] = {}
    still = []
    for p in pending:
        if p.namespace is None:
            still.append(p)
            continue
        if p.namespace not in by_ns:
            by_ns[p.namespace] = _rules(kube, p.namespace)[0]
        if not granted_by(by_ns[p.namespace], p):
            still.append(p)
    return [p for p in still if not _access(kube, p)]
