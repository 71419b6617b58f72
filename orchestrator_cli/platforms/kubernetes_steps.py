"""The install steps on Kubernetes, in order, and the steps applying the operators' release manifests."""

from __future__ import annotations

import copy

from orchestrator_cli.core.namespaces import desired_namespace
from orchestrator_cli.core.ownership import MANAGED_BY, PART_OF
from orchestrator_cli.core.plan import Change, plan_object
from orchestrator_cli.health.waiter import WaitItem
from orchestrator_cli.install.steps.base import Step, StepContext
from orchestrator_cli.install.steps.namespaces import NamespacesStep
from orchestrator_cli.install.steps.network_policies import NetworkPoliciesStep
from orchestrator_cli.install.steps.postgres import PostgresStep
from orchestrator_cli.install.steps.setup_secret import SetupSecretStep
from orchestrator_cli.install.steps.token import TokenStep
from orchestrator_cli.install.steps.waits import run_waits
from orchestrator_cli.kube.client import Ref

# Every object orch applies from a release manifest carries the component's name here (cleanup finds them by it).
RELEASE_LABEL = "orch.rhdhorchestrator.io/release-manifest"


class VerifyManifestsStep(Step):
    """Reads (or fetches) and verifies every pinned release manifest before anything is written."""

    id = "release-manifests"
    title = "Release manifests (pinned, SHA-256 verified)"

    def plan(self, ctx: StepContext) -> list[Change]:
        from orchestrator_cli.platforms.kubernetes_manifests import load_all

        loaded = load_all(ctx.config)
        ctx.state["release_manifests"] = {m.pin.component: m for m in loaded}
        return [Change("info", Ref("apps/v1", "Deployment", m.pin.deployment, m.pin.namespace), None,
                       f"{m.pin.component} {m.pin.version}: {len(m.docs)} objects from {m.source}, sha256 "
                       f"{m.sha256[:16]}…{'' if m.pin.sha256 else ' (not pinned: --allow-unverified-manifests)'}")
                for m in loaded]


def labelled(doc: dict, component: str) -> dict:
    out = copy.deepcopy(doc)
    md = out.setdefault("metadata", {})
    md["labels"] = {**(md.get("labels") or {}), **MANAGED_BY, **PART_OF, RELEASE_LABEL: component}
    for key in ("creationTimestamp", "resourceVersion", "uid", "generation", "managedFields"):
        md.pop(key, None)
    out.pop("status", None)
    return out


def manifest_changes(kube, docs, component: str, own_namespaces: set[str]) -> list[Change]:
    """Plan every object of one release manifest (pure but for reads). Namespaces that NamespacesStep manages are
    left to it; others are created with orch's created-namespace mark (and left alone when they pre-existed)."""
    changes, learned = [], set()
    for doc in docs:
        api = doc["apiVersion"]
        if api not in learned and hasattr(kube, "learn_resources"):
            kube.learn_resources(api)
            learned.add(api)
        if doc["kind"] == "Namespace":
            name = doc["metadata"]["name"]
            if name in own_namespaces:
                continue
            live = kube.get(Ref("v1", "Namespace", name))
            desired = desired_namespace(name, {RELEASE_LABEL: component}, live)
            if desired is None:
                changes.append(Change("unchanged", Ref("v1", "Namespace", name), None, "exists, not managed by orch"))
                continue
            changes.append(plan_object(kube, desired, f"{component} release manifest"))
            continue
        changes.append(plan_object(kube, labelled(doc, component), f"{component} release manifest"))
    return changes


class OperatorManifestStep(Step):
    """Applies one operator's verified release manifest; waits for its CRDs and its Deployment."""

    def __init__(self, component: str, title: str):
        self.component = component
        self.id = component
        self.title = title

    def _loaded(self, ctx):
        return ctx.state["release_manifests"][self.component]

    def plan(self, ctx: StepContext) -> list[Change]:
        own = set(ctx.config.namespaces_to_ensure())
        return manifest_changes(ctx.kube, self._loaded(ctx).docs, self.component, own)

    def apply(self, ctx: StepContext, changes: list[Change]) -> None:
        for change in changes:
            if change.writes and change.desired is not None:
                ctx.before_write()
                ctx.kube.apply(change.desired)
                ctx.reporter.change(self.id, change, True)
                if change.ref.kind == "CustomResourceDefinition" and hasattr(ctx.kube, "learn_resources"):
                    for version in change.desired["spec"].get("versions") or []:
                        ctx.kube.learn_resources(f"{change.desired['spec']['group']}/{version['name']}")

    def verify(self, ctx: StepContext) -> None:
        loaded = self._loaded(ctx)
        c = ctx.config
        items = [WaitItem(f"crd-{d['metadata']['name']}", Ref.of(d), "crd", c.timeout_for("crd"))
                 for d in loaded.docs if d["kind"] == "CustomResourceDefinition"]
        items.append(WaitItem(self.component, Ref("apps/v1", "Deployment", loaded.pin.deployment,
                                                  loaded.pin.namespace), "deployment", c.timeout_for(self.component)))
        run_waits(ctx, items, self.title)


def kubernetes_steps(config) -> list[Step]:
    from orchestrator_cli.platforms.kubernetes_operands import (
        BackstageStep,
        KnativeStep,
        KubernetesSummaryStep,
        KubernetesWaitStep,
        RecordStep,
        SonataFlowPlatformStep,
    )

    return [
        VerifyManifestsStep(), NamespacesStep(), PostgresStep(),
        OperatorManifestStep("knative-operator", "Knative operator (release manifest)"),
        OperatorManifestStep("sonataflow-operator", "SonataFlow operator (release manifest)"),
        OperatorManifestStep("rhdh-operator", "RHDH operator (release manifest)"),
        KnativeStep(), TokenStep(), SetupSecretStep(), SonataFlowPlatformStep(), BackstageStep(),
        KubernetesWaitStep(), NetworkPoliciesStep(), RecordStep(), KubernetesSummaryStep(),
    ]
