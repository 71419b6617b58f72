"""What a workflow namespace needs (pure): its labels and mark, the three NetworkPolicies, the PostgreSQL
secret copy and the patch pointing a workflow's serviceRef at orch's PostgreSQL (reference section 6.3).

See day2/namespaces.py for the commands and the ownership rules.
"""

from __future__ import annotations

from typing import Protocol

from orchestrator_cli.core.namespaces import ARGOCD_MANAGED_BY, WORKFLOW_LABEL, desired_namespace
from orchestrator_cli.core.ownership import MANAGED_BY, WORKFLOW_NAMESPACE_MARK
from orchestrator_cli.generations.detect import Installation
from orchestrator_cli.kube.resources import Ref

NP_API = "networking.k8s.io/v1"
SONATAFLOW_API = "sonataflow.org/v1alpha08"
IN_NS_POLICY = "allow-rhdh-to-sonataflow-and-workflows"  # upstream name (reference 6.3)
INTRA_POLICY = "allow-intra-namespace"
MONITORING_NAMESPACE = "openshift-user-workload-monitoring"
KNATIVE_NAMESPACES = ("knative-eventing", "knative-serving")
FOR_NAMESPACE = "orch.rhdhorchestrator.io/for-namespace"  # annotation on orch's platform-side policy
COPIED_FROM = "orch.rhdhorchestrator.io/copied-from"
FIELD_MANAGER = "orch"


class NsKube(Protocol):
    def get(self, ref: Ref) -> dict | None: ...
    def list(self, api_version: str, kind: str, namespace: str | None = None, *, label_selector: str | None = None,
             field_selector: str | None = None) -> tuple[list[dict], str | None]: ...
    def apply(self, obj: dict) -> dict: ...
    def merge_patch(self, ref: Ref, patch: dict) -> dict: ...
    def delete(self, ref: Ref) -> None: ...


def platform_policy_name(namespace: str, inst: Installation | None = None) -> str:
    template = inst.generation.platform_side_policy if inst is not None else "allow-workflows-from-{namespace}"
    return template.format(namespace=namespace)


def _ns_peer(name: str) -> dict:
    return {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": name}}}


def ingress_sources(inst: Installation) -> list[str]:
    """Namespaces whose traffic workflows in an extra namespace must accept (ordered, unique)."""
    sources = [inst.rhdh_namespace, inst.workflow_namespace, *KNATIVE_NAMESPACES]
    if inst.generation.monitoring_network_policy:
        sources.append(MONITORING_NAMESPACE)
    return list(dict.fromkeys(s for s in sources if s))


def desired_policies(inst: Installation, namespace: str) -> list[dict]:
    """The three NetworkPolicies for one workflow namespace (pure)."""
    md = lambda name, ns, ann=None: {"name": name, "namespace": ns, "labels": dict(MANAGED_BY),  # noqa: E731
                                     **({"annotations": ann} if ann else {})}
    gen = inst.generation
    extra = []
    if gen.cluster_platform_for_namespaces:  # 1.7+: workflows elsewhere use the Backstage namespace's platform
        extra.append({"apiVersion": SONATAFLOW_API, "kind": "SonataFlowClusterPlatform",
                      "metadata": {"name": "cluster-platform", "labels": dict(MANAGED_BY)},
                      "spec": {"platformRef": {"name": "sonataflow-platform", "namespace": inst.workflow_namespace}}})
    return extra + [
        {"apiVersion": NP_API, "kind": "NetworkPolicy", "metadata": md(gen.workflow_ns_policy, namespace),
         "spec": {"podSelector": {}, "policyTypes": ["Ingress"],
                  "ingress": [{"from": [_ns_peer(s) for s in ingress_sources(inst)]}]}},
        {"apiVersion": NP_API, "kind": "NetworkPolicy", "metadata": md(INTRA_POLICY, namespace),
         "spec": {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{"from": [{"podSelector": {}}]}]}},
        {"apiVersion": NP_API, "kind": "NetworkPolicy",
         "metadata": md(platform_policy_name(namespace, inst), inst.workflow_namespace, {FOR_NAMESPACE: namespace}),
         "spec": {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{"from": [_ns_peer(namespace)]}]}},
    ]


def desired_secret(inst: Installation, source: dict, namespace: str) -> dict:
    """The PostgreSQL secret rebuilt from the source's type and .data only (pure)."""
    return {
        "apiVersion": "v1", "kind": "Secret", "type": source.get("type") or "Opaque",
        "metadata": {"name": inst.postgres_secret, "namespace": namespace, "labels": dict(MANAGED_BY),
                     "annotations": {COPIED_FROM: f"{inst.workflow_namespace}/{inst.postgres_secret}"}},
        "data": {k: v for k, v in sorted((source.get("data") or {}).items())},
    }


def namespace_labels(inst: Installation) -> dict[str, str]:
    labels = {WORKFLOW_LABEL: ""}
    if inst.gitops and inst.argocd_namespace:
        labels[ARGOCD_MANAGED_BY] = inst.argocd_namespace
    return labels


def desired_workflow_namespace(inst: Installation, namespace: str, live: dict | None) -> dict:
    desired = desired_namespace(namespace, namespace_labels(inst), live)
    assert desired is not None  # labels are never empty
    desired["metadata"].setdefault("annotations", {})[WORKFLOW_NAMESPACE_MARK] = "true"
    return desired


def workflow_patch(workflow: dict, inst: Installation) -> tuple[dict | None, str]:
    """The merge patch pointing a workflow's PostgreSQL serviceRef at orch's PostgreSQL namespace (pure).

    Returns (None, reason) when nothing is to change: no postgresql persistence in the spec (the
    workflow then uses the platform's), a serviceRef naming another database server, or a
    namespace already set.
    """
    pg = (((workflow.get("spec") or {}).get("persistence") or {}).get("postgresql"))
    if not isinstance(pg, dict):
        return None, "no spec.persistence.postgresql: uses the platform's persistence"
    ref = pg.get("serviceRef") or {}
    if ref.get("name") and ref["name"] != inst.postgres_service:
        return None, f"serviceRef names {ref['name']}, not {inst.postgres_service}: left as is"
    current = ref.get("namespace")
    if current == inst.postgres_namespace:
        return None, f"serviceRef.namespace already {current}"
    if current:
        return None, f"serviceRef.namespace is {current}: left as is"
    return ({"spec": {"persistence": {"postgresql": {"serviceRef": {"namespace": inst.postgres_namespace}}}}},
            f"set spec.persistence.postgresql.serviceRef.namespace={inst.postgres_namespace}")
