"""backstage-backend-auth-secret in the RHDH namespace (replaces setup.sh's secret, reference 1.4).

Values: explicit input > live value > discovered (cluster URL, token, ArgoCD) > generated
(BACKEND_SECRET). Keys without a value are omitted. Values never reach the reporter.
"""

from __future__ import annotations

from orchestrator_cli.core import secrets
from orchestrator_cli.core.ownership import MANAGED_BY
from orchestrator_cli.install.steps.base import Change, Step, StepContext, plan_object
from orchestrator_cli.install.steps.token import token_secret_ref
from orchestrator_cli.kube.client import NotServed, Ref

SECRET_NAME = "backstage-backend-auth-secret"
ARGOCD_API = "argoproj.io/v1beta1"


def argocd_discovery(kube, namespace: str, instance: str) -> dict[str, str]:
    """ARGOCD_URL/USERNAME/PASSWORD for one ArgoCD instance (empty values when not found)."""
    out: dict[str, str] = {}
    try:
        routes, _ = kube.list("route.openshift.io/v1", "Route", namespace,
                              label_selector=f"app.kubernetes.io/managed-by={instance}")
    except NotServed:
        routes = []
    # Prefer the server route over e.g. a Grafana one (setup.sh took .items[0]).
    routes.sort(key=lambda r: (r["metadata"]["name"] != f"{instance}-server", r["metadata"]["name"]))
    for route in routes:
        host = (route.get("spec") or {}).get("host") or next(
            (i.get("host") for i in (route.get("status") or {}).get("ingress") or [] if i.get("host")), None)
        if host:
            out["ARGOCD_URL"] = f"https://{host}"
            break
    secret = kube.get(Ref("v1", "Secret", f"{instance}-cluster", namespace))
    password = secrets.live_values(secret).get("admin.password")
    if password:
        out["ARGOCD_USERNAME"] = "admin"
        out["ARGOCD_PASSWORD"] = password
    return out


def desired_values(config, live: dict[str, str], discovered: dict[str, str]) -> dict[str, str]:
    explicit = {k: v for k, (v, is_explicit) in config.secret_inputs.items() if is_explicit}
    defaults = {k: v for k, (v, is_explicit) in config.secret_inputs.items() if not is_explicit}
    return secrets.merge(live=live, explicit=explicit, discovered={**defaults, **discovered},
                         generated={"BACKEND_SECRET": secrets.generate_token})


def secret_object(namespace: str, values: dict[str, str]) -> dict:
    return {
        "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
        "metadata": {"name": SECRET_NAME, "namespace": namespace, "labels": dict(MANAGED_BY)},
        "data": secrets.secret_data(values),
    }


class SetupSecretStep(Step):
    id = "setup-secret"
    title = "Backstage setup secret"

    def plan(self, ctx: StepContext) -> list[Change]:
        c = ctx.config
        discovered = {"K8S_CLUSTER_URL": ctx.kube.server}
        token = ctx.state.get("token") or secrets.live_values(ctx.kube.get(token_secret_ref(c))).get("token")
        if token:
            discovered["K8S_CLUSTER_TOKEN"] = token
        if c.gitops and c.argocd_instance:
            found = argocd_discovery(ctx.kube, c.argocd_namespace, c.argocd_instance)
            if not found.get("ARGOCD_URL"):
                ctx.reporter.warn(f"no Route found for ArgoCD instance {c.argocd_instance}; ARGOCD_* keys omitted")
            else:
                discovered.update(found)
        live_secret = ctx.kube.get(Ref("v1", "Secret", SECRET_NAME, c.rhdh_namespace))
        live = secrets.live_values(live_secret)
        values = desired_values(c, live, discovered)
        if "ARGOCD_URL" not in values:
            values.pop("ARGOCD_USERNAME", None), values.pop("ARGOCD_PASSWORD", None)
        secrets.register_secrets(values)
        ctx.state["setup_secret_keys"] = sorted(values)
        keys = ", ".join(sorted(values))
        return [plan_object(ctx.kube, secret_object(c.rhdh_namespace, values), f"keys: {keys}")]
