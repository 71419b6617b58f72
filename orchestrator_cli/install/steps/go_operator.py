"""The install steps the Go operator family (Orchestrator 1.5/1.6) adds (generations/go_operator.py).

- `GoOrchestratorCRStep`: the v1alpha3 CR, recording on first creation which of the namespaces the
  operator touches existed before it (the operator labels them and its finalizer would delete them).
- `PlatformNamespaceStep`: the operator creates the platform namespace (it fails on one created just
  before it: upstream's namespace race); orch waits for it, labels it as a workflow namespace and
  claims it for cleanup (unless it existed before), then PostgreSQL goes into it.
- `GopDefectsStep`: upstream passes the ArgoCD and Tekton flags swapped into the RHDH configuration;
  the dynamic-plugins ConfigMap it creates (only if absent, never reconciled) is corrected.
"""

from __future__ import annotations

import yaml

from orchestrator_cli.core.diff import changed_paths, needs_apply
from orchestrator_cli.core.namespaces import desired_namespace
from orchestrator_cli.core.ownership import created_by_orch
from orchestrator_cli.generations.go_operator import PREEXISTING, touched_namespaces
from orchestrator_cli.health.waiter import WaitItem
from orchestrator_cli.install.steps.base import Change, Step, StepContext, plan_object
from orchestrator_cli.install.steps.namespaces import wanted_labels
from orchestrator_cli.install.steps.orchestrator_cr import OrchestratorCRStep, orchestrator_cr
from orchestrator_cli.install.steps.waits import run_waits
from orchestrator_cli.kube.client import Ref

DYNAMIC_PLUGINS_CM = "dynamic-plugins-rhdh"
DYNAMIC_PLUGINS_KEY = "dynamic-plugins.yaml"


class GoOrchestratorCRStep(OrchestratorCRStep):
    def plan(self, ctx: StepContext) -> list[Change]:
        cr = orchestrator_cr(ctx.config)
        md = cr["metadata"]
        live = ctx.kube.get(Ref.of(cr))
        if live is not None:
            value = ((live.get("metadata") or {}).get("annotations") or {}).get(PREEXISTING)
        else:
            found = []
            for name in touched_namespaces(ctx.config):
                ns = ctx.kube.get(Ref("v1", "Namespace", name))
                if ns is not None and not created_by_orch(ns):
                    found.append(name)
            value = ",".join(found)
        if value is not None:
            md["annotations"] = {**(md.get("annotations") or {}), PREEXISTING: value}
        note = f"namespaces that existed before: {value}" if value else ""
        return [plan_object(ctx.kube, cr, note)]


def swapped_plugin_flags(text: str, argocd: bool, tekton: bool) -> str | None:
    """The dynamic-plugins YAML with the ArgoCD and Tekton plugins enabled as requested, or None when they
    already are (pure). Plugins are recognised by their package names."""
    doc = yaml.safe_load(text or "") or {}
    changed = False
    for plugin in doc.get("plugins") or []:
        package = str(plugin.get("package") or "")
        want = argocd if "argo-cd" in package or "argocd" in package else tekton if "tekton" in package else None
        if want is not None and bool(plugin.get("disabled", False)) == want:
            plugin["disabled"] = not want
            changed = True
    return yaml.safe_dump(doc, sort_keys=False) if changed else None


class PlatformNamespaceStep(Step):
    id = "platform-namespace"
    title = "SonataFlow platform namespace (created by the operator)"

    def plan(self, ctx: StepContext) -> list[Change]:
        c = ctx.config
        ref = Ref("v1", "Namespace", c.workflow_namespace)
        live = ctx.kube.get(ref)
        if live is None and ctx.dry_run:
            return [Change("info", ref, None, "the Orchestrator operator creates it; then orch labels it")]
        if live is None:
            run_waits(ctx, [WaitItem("platform-namespace", ref, "exists", c.timeout_for("orchestrator-cr"))],
                      "platform namespace")
            live = ctx.kube.get(ref)
        cr = ctx.kube.get(Ref.of(orchestrator_cr(c))) or {}
        pre = (((cr.get("metadata") or {}).get("annotations") or {}).get(PREEXISTING) or "").split(",")
        claimed = c.workflow_namespace not in pre
        labels = wanted_labels(c).get(c.workflow_namespace, {})
        desired = desired_namespace(c.workflow_namespace, labels, None if claimed else live)
        note = "made by the operator for orch's CR: labelled, removed by orch cleanup" if claimed \
            else "existed before: labels only"
        if not claimed:
            return [plan_object(ctx.kube, desired, note)]
        # Claimed, not adopted: the operator made it for orch's CR (plan_object would mark it adopted).
        if needs_apply(desired, live):
            return [Change("update", ref, desired, f"{note}; changes {', '.join(changed_paths(desired, live)[:6])}")]
        return [Change("unchanged", ref, desired, note)]


class GopDefectsStep(Step):
    id = "gop-defects"
    title = "Upstream defects of the Go operator"

    def applies(self, config) -> bool:
        return not config.existing_rhdh

    def plan(self, ctx: StepContext) -> list[Change]:
        c = ctx.config
        ref = Ref("v1", "ConfigMap", DYNAMIC_PLUGINS_CM, c.rhdh_namespace)
        live = ctx.kube.get(ref)
        if live is None:
            return []
        fixed = swapped_plugin_flags((live.get("data") or {}).get(DYNAMIC_PLUGINS_KEY, ""), c.gitops, c.tekton)
        if fixed is None:
            return [Change("unchanged", ref, None, "ArgoCD/Tekton plugins as requested")]
        ctx.state["gop_plugins_fix"] = fixed
        return [Change("update", ref, None, "upstream defect: the operator passed the ArgoCD and Tekton flags "
                                            "swapped; enabling the plugins as requested")]

    def apply(self, ctx: StepContext, changes: list[Change]) -> None:
        for change in changes:
            if change.action == "update":
                ctx.before_write()
                ctx.kube.merge_patch(change.ref, {"data": {DYNAMIC_PLUGINS_KEY: ctx.state["gop_plugins_fix"]}})
                ctx.reporter.change(self.id, change, True)
                ctx.reporter.warn(f"worked around an upstream defect of the Go operator: ConfigMap "
                                  f"{DYNAMIC_PLUGINS_CM} in {ctx.config.rhdh_namespace} had the ArgoCD and Tekton "
                                  "plugins swapped (docs/install.md)")
