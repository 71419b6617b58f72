"""The closing summary: Backstage URL from the Route, what changed, next steps."""

from __future__ import annotations

from collections import Counter

from orchestrator_cli.install.steps.base import Step, StepContext
from orchestrator_cli.kube.client import Ref


def route_url(route: dict | None) -> str | None:
    if not route:
        return None
    spec = route.get("spec") or {}
    host = spec.get("host") or next((i.get("host") for i in (route.get("status") or {}).get("ingress") or []
                                     if i.get("host")), None)
    if not host:
        return None
    return f"{'https' if spec.get('tls') is not None else 'http'}://{host}"


class SummaryStep(Step):
    id = "summary"
    title = "Summary"

    def verify(self, ctx: StepContext) -> None:
        c = ctx.config
        gen = c.generation
        url = None
        if not c.existing_rhdh:
            url = route_url(ctx.kube.get(Ref("route.openshift.io/v1", "Route", gen.backstage_route, c.rhdh_namespace)))
        counts = Counter(ch.action for ch in ctx.changes if ch.action in ("create", "update", "unchanged", "approve"))
        next_steps = []
        if c.existing_rhdh and not c.configure_rhdh:
            next_steps.append("add the orchestrator plugin configuration printed above to your RHDH "
                              "(or re-run with --configure-rhdh)")
        elif c.existing_rhdh:
            next_steps.append(f"reference ConfigMaps orchestrator-dynamic-plugins and orchestrator-app-config "
                              f"from your Backstage CR in {c.rhdh_namespace}")
        next_steps.append(f"install a workflow into {c.workflow_namespace}: orch workflow install greeting")
        ctx.reporter.summary({
            "version": gen.version,
            "backstage_url": url,
            "created": counts.get("create", 0),
            "updated": counts.get("update", 0) + counts.get("approve", 0),
            "unchanged": counts.get("unchanged", 0),
            "in_place": counts.get("create", 0) + counts.get("update", 0) + counts.get("approve", 0) == 0,
            "setup_secret_keys": ctx.state.get("setup_secret_keys", []),
            "network_policies_missing": ctx.state.get("network_policies_missing", []),
            "next_steps": next_steps,
        })
