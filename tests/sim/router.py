"""Stand-in for OpenShift's router: admits every Route.

On OpenShift the API server gives a Route without `spec.host` a generated host
(`<name>-<namespace>.<ingress domain>`) and the default IngressController admits it, writing
`status.ingress`. Neither exists under our API server, so this controller writes the admission
(with the generated host when the Route names none) for whichever operator created the Route:
the simulated RHDH operator or the real one (tests/cluster/operators.py)."""
from __future__ import annotations

from typing import Optional

from . import kube as K
from .runtime import Controller, Ctx

DEFAULT_DOMAIN = "apps.example.com"


def generated_host(name: str, namespace: str, domain: str) -> str:
    return f"{name}-{namespace}.{domain}"


def ingress_domain(kube: K.Kube) -> str:
    """The cluster's apps domain (the Ingress config `cluster`, as the IngressController reads it)."""
    ing = kube.get(K.INGRESSES_CONFIG, "cluster")
    return ((ing or {}).get("spec") or {}).get("domain") or DEFAULT_DOMAIN


def admission(route: dict, domain: str) -> Optional[list[dict]]:
    """The `status.ingress` the router would write, or None when the Route is already admitted (pure)."""
    md, spec = route["metadata"], route.get("spec") or {}
    host = spec.get("host") or generated_host(md["name"], md["namespace"], domain)
    current = ((route.get("status") or {}).get("ingress") or [{}])[0]
    if current.get("host") == host:
        return None
    return [{"host": host, "routerName": "default", "wildcardPolicy": "None",
             "routerCanonicalHostname": f"router-default.{domain}",
             "conditions": [{"type": "Admitted", "status": "True", "lastTransitionTime": K.ts()}]}]


class RouteAdmitter(Controller):
    name = "router"

    def __init__(self, ctx: Ctx):
        super().__init__(ctx)
        self.routes = self.watch(K.ROUTES)

    def reconcile(self, key: str) -> Optional[float]:
        route = self.routes.get(key)
        if route is None or route["metadata"].get("deletionTimestamp"):
            return None
        ingress = admission(route, ingress_domain(self.kube))
        if ingress is not None:
            self.kube.patch_status(K.ROUTES, route, {"ingress": ingress})
            self.action("Route %s admitted at %s", key, ingress[0]["host"])
        return None
