"""Day-2 facts of a Kubernetes installation: what status checks (the install's wait list: no OLM CSV, no
Orchestrator CR) and what cleanup removes in which order (operands while their operators run, then the
operators' release-manifest objects, their CRDs only with --purge)."""

from __future__ import annotations

from orchestrator_cli.core.ownership import MANAGED_BY_SELECTOR, created_by_orch_object
from orchestrator_cli.kube.resources import NotServed, Ref
from orchestrator_cli.platforms.kubernetes_steps import RELEASE_LABEL

# The operands orch creates on Kubernetes (the Orchestrator operator's job on OpenShift), deleted first.
OPERAND_KINDS = (
    ("rhdh.redhat.com/v1alpha3", "Backstage"),
    ("sonataflow.org/v1alpha08", "SonataFlowPlatform"),
    ("operator.knative.dev/v1beta1", "KnativeServing"),
    ("operator.knative.dev/v1beta1", "KnativeEventing"),
    ("networking.k8s.io/v1", "Ingress"),
)
# What the release manifests hold that cleanup removes with the operators (CRDs: the crds phase, --purge).
RELEASE_KINDS = (
    ("apps/v1", "Deployment"), ("v1", "Service"), ("v1", "ServiceAccount"), ("v1", "ConfigMap"), ("v1", "Secret"),
    ("rbac.authorization.k8s.io/v1", "Role"), ("rbac.authorization.k8s.io/v1", "RoleBinding"),
    ("rbac.authorization.k8s.io/v1", "ClusterRole"), ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
    ("admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration"),
    ("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration"),
)


def status_items(inst) -> list[tuple[str, Ref, str]]:
    names = {"workflow_namespace": inst.workflow_namespace, "rhdh_namespace": inst.rhdh_namespace}
    return [(t.id, Ref(t.api_version, t.kind, t.name, t.namespace.format(**names)), t.ready)
            for t in inst.generation.wait_list]


def _list(kube, api: str, kind: str, selector: str) -> list[dict]:
    if hasattr(kube, "learn_resources") and kind.endswith("WebhookConfiguration"):
        kube.learn_resources(api)
    try:
        items, _ = kube.list(api, kind, label_selector=selector)
    except (NotServed, KeyError):
        return []
    return items


def _ref(obj: dict, api: str, kind: str) -> Ref:
    md = obj["metadata"]
    return Ref(api, kind, md["name"], md.get("namespace"))


def operand_refs(kube) -> list[tuple[Ref, str]]:
    return [(_ref(o, api, kind), "created by orch (its operator processes its finalizers)")
            for api, kind in OPERAND_KINDS for o in _list(kube, api, kind, MANAGED_BY_SELECTOR)
            if created_by_orch_object(o)]


def release_refs(kube) -> list[tuple[Ref, str]]:
    out = []
    for api, kind in RELEASE_KINDS:
        for o in _list(kube, api, kind, RELEASE_LABEL):
            if created_by_orch_object(o):
                out.append((_ref(o, api, kind), f"{o['metadata']['labels'][RELEASE_LABEL]} release manifest"))
    return out


def release_crds(kube) -> list[str]:
    return [o["metadata"]["name"] for o in _list(kube, "apiextensions.k8s.io/v1", "CustomResourceDefinition",
                                                 RELEASE_LABEL) if created_by_orch_object(o)]
