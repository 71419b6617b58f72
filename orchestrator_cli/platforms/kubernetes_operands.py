"""Kubernetes operands: KnativeServing (Kourier) and KnativeEventing, the SonataFlowPlatform with persistence and
the NetworkPolicies, Backstage (CR, plugin ConfigMaps, Ingress), the waits, the installation record, the summary."""

from __future__ import annotations

from collections import Counter

import yaml

from orchestrator_cli.core.namespaces import desired_namespace
from orchestrator_cli.core.plan import Change, plan_object
from orchestrator_cli.core.render import render
from orchestrator_cli.health.checks import CheckFailed
from orchestrator_cli.health.waiter import WaitItem
from orchestrator_cli.install.steps.base import Step, StepContext
from orchestrator_cli.install.steps.existing_rhdh import plugin_config
from orchestrator_cli.install.steps.waits import run_waits
from orchestrator_cli.kube.client import Ref

KNATIVE_NAMESPACES = ("knative-serving", "knative-eventing")
KIND_PORT = 9090  # the kind recipe maps host port 9090 to the ingress controller (reference §8)


def backstage_url(host: str) -> str:
    """Backstage's URL through the Ingress: the kind guide's http://localhost:9090 for localhost."""
    return f"http://{host}:{KIND_PORT}" if host == "localhost" else f"http://{host}"


class KnativeStep(Step):
    id = "knative"
    title = "Knative Serving (Kourier) and Eventing"

    def plan(self, ctx: StepContext) -> list[Change]:
        changes = []
        for name in KNATIVE_NAMESPACES:
            desired = desired_namespace(name, {}, ctx.kube.get(Ref("v1", "Namespace", name)))
            if desired is not None:
                changes.append(plan_object(ctx.kube, desired))
        changes += [plan_object(ctx.kube, obj) for obj in render("kubernetes-knative.yaml", {})]
        return changes


class SonataFlowPlatformStep(Step):
    id = "sonataflow-platform"
    title = "SonataFlow platform (data index, jobs service, persistence) and network policies"

    def plan(self, ctx: StepContext) -> list[Change]:
        c = ctx.config
        objs = render("kubernetes-sonataflow.yaml", {
            "workflow_namespace": c.workflow_namespace, "rhdh_namespace": c.rhdh_namespace,
            "postgres_secret": c.postgres_secret, "postgres_service": c.postgres_service,
            "postgres_namespace": c.postgres_namespace, "postgres_database": c.postgres_database})
        return [plan_object(ctx.kube, obj) for obj in objs]


def app_config(config) -> str:
    url = backstage_url(config.host)
    conf = {"app": {"baseUrl": url},
            "backend": {"baseUrl": url, "cors": {"origin": url}}}
    if config.guest_provider:
        conf["auth"] = {"environment": "development", "providers": {"guest": {"dangerouslyAllowOutsideDevelopment":
                                                                                  True}}}
    return yaml.safe_dump(conf, sort_keys=True)


class BackstageStep(Step):
    id = "backstage"
    title = "Backstage (RHDH) with the orchestrator plugins, and its Ingress"

    def plan(self, ctx: StepContext) -> list[Change]:
        from orchestrator_cli.platforms.kubernetes_checks import ingress_class

        c = ctx.config
        try:
            klass = ingress_class(ctx.kube, c.ingress_class)
        except CheckFailed as exc:  # pre-flight reported it already; a race (deleted since) lands here
            from orchestrator_cli.core.errors import StepFailed

            raise StepFailed(str(exc)) from None
        ctx.state["ingress_class"] = klass
        objs = plugin_config(c) + render("kubernetes-backstage.yaml", {
            "rhdh_namespace": c.rhdh_namespace, "app_config": app_config(c), "ingress_class": klass,
            "host": c.host, "backstage_service": c.generation.backstage_service})
        return [plan_object(ctx.kube, obj) for obj in objs]


class KubernetesWaitStep(Step):
    id = "wait"
    title = "Components ready"

    def verify(self, ctx: StepContext) -> None:
        c = ctx.config
        names = {"workflow_namespace": c.workflow_namespace, "rhdh_namespace": c.rhdh_namespace}
        items = [WaitItem(t.id, Ref(t.api_version, t.kind, t.name, t.namespace.format(**names)), t.ready,
                          c.timeout_for(t.id)) for t in c.generation.wait_list]
        run_waits(ctx, items, "components")


class RecordStep(Step):
    id = "record"
    title = "Installation record"

    def plan(self, ctx: StepContext) -> list[Change]:
        from orchestrator_cli.platforms.kubernetes_checks import ingress_class
        from orchestrator_cli.platforms.kubernetes_record import record_object

        klass = ctx.state.get("ingress_class") or ingress_class(ctx.kube, ctx.config.ingress_class)
        return [plan_object(ctx.kube, record_object(ctx.config, klass), "what day-2 commands read")]


def ingress_url(ingress: dict | None) -> str | None:
    rules = ((ingress or {}).get("spec") or {}).get("rules") or []
    host = next((r.get("host") for r in rules if r.get("host")), None)
    return backstage_url(host) if host else None


class KubernetesSummaryStep(Step):
    id = "summary"
    title = "Summary"

    def verify(self, ctx: StepContext) -> None:
        c = ctx.config
        url = ingress_url(ctx.kube.get(Ref("networking.k8s.io/v1", "Ingress", "backstage", c.rhdh_namespace)))
        counts = Counter(ch.action for ch in ctx.changes if ch.action in ("create", "update", "unchanged"))
        ctx.reporter.summary({
            "version": c.version,
            "backstage_url": url,
            "created": counts.get("create", 0),
            "updated": counts.get("update", 0),
            "unchanged": counts.get("unchanged", 0),
            "in_place": counts.get("create", 0) + counts.get("update", 0) == 0,
            "setup_secret_keys": ctx.state.get("setup_secret_keys", []),
            "network_policies_missing": ctx.state.get("network_policies_missing", []),
            "next_steps": [f"install a workflow into {c.workflow_namespace}: orch workflow install greeting"],
        })
