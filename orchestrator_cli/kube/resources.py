"""What orch knows about the Kubernetes API without asking it: the resource table and object references.

No kubernetes import here: modules that only name objects stay cheap to import.
"""

from __future__ import annotations

from dataclasses import dataclass

# (apiVersion, kind) -> (plural, namespaced)
RESOURCES: dict[tuple[str, str], tuple[str, bool]] = {
    ("v1", "Namespace"): ("namespaces", False),
    ("v1", "Secret"): ("secrets", True),
    ("v1", "Service"): ("services", True),
    ("v1", "ServiceAccount"): ("serviceaccounts", True),
    ("v1", "ConfigMap"): ("configmaps", True),
    ("v1", "Pod"): ("pods", True),
    ("v1", "Event"): ("events", True),
    ("v1", "Node"): ("nodes", False),
    ("v1", "PersistentVolumeClaim"): ("persistentvolumeclaims", True),
    ("apps/v1", "Deployment"): ("deployments", True),
    ("apps/v1", "StatefulSet"): ("statefulsets", True),
    ("discovery.k8s.io/v1", "EndpointSlice"): ("endpointslices", True),
    ("storage.k8s.io/v1", "StorageClass"): ("storageclasses", False),
    ("networking.k8s.io/v1", "NetworkPolicy"): ("networkpolicies", True),
    ("networking.k8s.io/v1", "Ingress"): ("ingresses", True),
    ("networking.k8s.io/v1", "IngressClass"): ("ingressclasses", False),
    ("rbac.authorization.k8s.io/v1", "Role"): ("roles", True),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): ("rolebindings", True),
    ("rhdh.redhat.com/v1alpha3", "Backstage"): ("backstages", True),
    ("rhdh.redhat.com/v1alpha4", "Backstage"): ("backstages", True),
    ("batch/v1", "Job"): ("jobs", True),
    ("coordination.k8s.io/v1", "Lease"): ("leases", True),
    ("rbac.authorization.k8s.io/v1", "ClusterRole"): ("clusterroles", False),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): ("clusterrolebindings", False),
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition"): ("customresourcedefinitions", False),
    ("authorization.k8s.io/v1", "SelfSubjectAccessReview"): ("selfsubjectaccessreviews", False),
    ("authorization.k8s.io/v1", "SelfSubjectRulesReview"): ("selfsubjectrulesreviews", False),
    ("config.openshift.io/v1", "ClusterVersion"): ("clusterversions", False),
    ("config.openshift.io/v1", "Ingress"): ("ingresses", False),
    ("route.openshift.io/v1", "Route"): ("routes", True),
    ("operators.coreos.com/v1alpha1", "Subscription"): ("subscriptions", True),
    ("operators.coreos.com/v1alpha1", "InstallPlan"): ("installplans", True),
    ("operators.coreos.com/v1alpha1", "ClusterServiceVersion"): ("clusterserviceversions", True),
    ("operators.coreos.com/v1alpha1", "CatalogSource"): ("catalogsources", True),
    ("operators.coreos.com/v1", "OperatorGroup"): ("operatorgroups", True),
    ("packages.operators.coreos.com/v1", "PackageManifest"): ("packagemanifests", True),
    ("rhdh.redhat.com/v1alpha1", "Orchestrator"): ("orchestrators", True),
    ("rhdh.redhat.com/v1alpha2", "Orchestrator"): ("orchestrators", True),
    ("rhdh.redhat.com/v1alpha3", "Orchestrator"): ("orchestrators", True),
    ("rhdh.redhat.com/v1alpha1", "Backstage"): ("backstages", True),
    ("rhdh.redhat.com/v1alpha2", "Backstage"): ("backstages", True),
    ("operator.knative.dev/v1beta1", "KnativeServing"): ("knativeservings", True),
    ("operator.knative.dev/v1beta1", "KnativeEventing"): ("knativeeventings", True),
    ("sonataflow.org/v1alpha08", "SonataFlowPlatform"): ("sonataflowplatforms", True),
    ("sonataflow.org/v1alpha08", "SonataFlowClusterPlatform"): ("sonataflowclusterplatforms", False),
    ("sonataflow.org/v1alpha08", "SonataFlow"): ("sonataflows", True),
    ("argoproj.io/v1beta1", "ArgoCD"): ("argocds", True),
    ("argoproj.io/v1alpha1", "ArgoCD"): ("argocds", True),
    ("argoproj.io/v1alpha1", "AppProject"): ("appprojects", True),
    ("tekton.dev/v1", "Task"): ("tasks", True),
    ("tekton.dev/v1", "Pipeline"): ("pipelines", True),
}


@dataclass(frozen=True)
class Ref:
    api_version: str
    kind: str
    name: str
    namespace: str | None = None

    def __str__(self) -> str:
        where = f" in {self.namespace}" if self.namespace else ""
        return f"{self.kind} {self.name}{where}"

    @classmethod
    def of(cls, obj: dict) -> "Ref":
        md = obj.get("metadata") or {}
        return cls(obj["apiVersion"], obj["kind"], md["name"], md.get("namespace"))


class NotServed(Exception):
    """The API (CRD) for a kind is not served (yet)."""


class Gone(Exception):
    """A watch resourceVersion expired (HTTP 410): relist."""


class LogUnavailable(Exception):
    """The API server did not serve a container's log (no node to proxy to, container not started, no rights)."""
