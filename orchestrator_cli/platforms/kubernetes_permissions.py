"""The permissions `orch install` needs on Kubernetes: applying the operators' release manifests (CRDs,
cluster RBAC, webhooks, their namespaces' workloads) and the operands. The manifests grant their operators
RBAC, which Kubernetes allows only to who holds it or may `escalate`/`bind`: in practice cluster-admin."""

from __future__ import annotations

from orchestrator_cli.install.permissions import Permission, _p


def operator_namespaces(config) -> list[str]:
    from orchestrator_cli.platforms.kubernetes_pins import pins_for

    return sorted({m.namespace for m in pins_for(config.version).manifests})


def required_permissions(config) -> list[Permission]:
    wf, rhdh, orch_ns = config.workflow_namespace, config.rhdh_namespace, config.orchestrator_namespace
    out: list[Permission] = []
    out += _p("get create patch", "", "namespaces")
    out += _p("get create patch", "apiextensions.k8s.io", "customresourcedefinitions")
    for res in ("clusterroles", "clusterrolebindings"):
        out += _p("get create patch escalate bind", "rbac.authorization.k8s.io", res)
    for res in ("validatingwebhookconfigurations", "mutatingwebhookconfigurations"):
        out += _p("get create patch", "admissionregistration.k8s.io", res)
    out += _p("list", "storage.k8s.io", "storageclasses")
    out += _p("list", "networking.k8s.io", "ingressclasses")
    out += _p("list", "", "nodes")
    out += _p("get create update delete", "coordination.k8s.io", "leases", "default")
    for ns in operator_namespaces(config):
        for group, res in (("", "serviceaccounts"), ("", "services"), ("", "configmaps"), ("", "secrets"),
                           ("apps", "deployments"), ("rbac.authorization.k8s.io", "roles"),
                           ("rbac.authorization.k8s.io", "rolebindings")):
            out += _p("get create patch", group, res, ns)
    out += _p("get create patch list watch", "operator.knative.dev", "knativeservings", "knative-serving")
    out += _p("get create patch list watch", "operator.knative.dev", "knativeeventings", "knative-eventing")
    out += _p("get create patch list watch", "", "configmaps", orch_ns)
    out += _p("get create patch", "", "serviceaccounts", orch_ns)
    out += _p("get create patch list watch", "", "secrets", orch_ns)
    out += _p("get create patch", "", "secrets", rhdh)
    out += _p("get create patch", "", "configmaps", rhdh)
    out += _p("get create patch list watch", "rhdh.redhat.com", "backstages", rhdh)
    out += _p("get create patch", "networking.k8s.io", "ingresses", rhdh)
    if not config.postgres_external:
        out += _p("get create patch", "", "secrets", wf)
        out += _p("get create patch", "", "services", wf)
        out += _p("get create patch list watch", "apps", "statefulsets", wf)
        out += _p("list watch", "discovery.k8s.io", "endpointslices", wf)
    out += _p("get create patch list watch", "sonataflow.org", "sonataflowplatforms", wf)
    out += _p("get create patch list", "networking.k8s.io", "networkpolicies", wf)
    for ns in sorted({*operator_namespaces(config), wf, rhdh}):
        out += _p("list watch", "apps", "deployments", ns)
        out += _p("list", "", "pods", ns)
        out += _p("list", "", "events", ns)
    return list(dict.fromkeys(out))
