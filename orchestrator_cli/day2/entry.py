"""What exposes Backstage for an installation: the RHDH operator's Route on OpenShift, orch's Ingress on
Kubernetes; and the URL it gives."""

from __future__ import annotations

from orchestrator_cli.generations.detect import Installation
from orchestrator_cli.kube.resources import Ref


def backstage_entry_ref(inst: Installation) -> Ref:
    if inst.platform == "kubernetes":
        return Ref("networking.k8s.io/v1", "Ingress", "backstage", inst.rhdh_namespace)
    return Ref("route.openshift.io/v1", "Route", inst.backstage_route, inst.rhdh_namespace)


def entry_url(obj: dict | None) -> str | None:
    """Backstage's URL from its Route, or from orch's Ingress on Kubernetes (pure)."""
    from orchestrator_cli.install.steps.summary import route_url

    if (obj or {}).get("kind") == "Ingress":
        from orchestrator_cli.platforms.kubernetes_operands import ingress_url

        return ingress_url(obj)
    return route_url(obj)
