"""Namespaces orch needs (created when missing, marked as created by orch) and their labels.

All of orch's wishes for one Namespace go into one applied configuration: with server-side
apply, fields orch applied before and omits now would be removed. Labels on other
namespaces are never touched (setup.sh removed them everywhere: reference 1.5/1.6).
"""

from __future__ import annotations

from orchestrator_cli.core.namespaces import ARGOCD_LABEL, ARGOCD_MANAGED_BY, WORKFLOW_LABEL, desired_namespace
from orchestrator_cli.core.ownership import created_by_orch
from orchestrator_cli.install.steps.base import Change, Step, StepContext, plan_object
from orchestrator_cli.kube.client import Ref


def wanted_labels(config) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {ns: {} for ns in config.namespaces_to_ensure()}
    wf = out.setdefault(config.workflow_namespace, {})
    wf[WORKFLOW_LABEL] = ""
    if config.gitops:
        wf[ARGOCD_MANAGED_BY] = config.argocd_namespace
        out.setdefault(config.argocd_namespace, {})[ARGOCD_LABEL] = ""
    return out


class NamespacesStep(Step):
    id = "namespaces"
    title = "Namespaces and labels"

    def plan(self, ctx: StepContext) -> list[Change]:
        changes = []
        ensure = set(ctx.config.namespaces_to_ensure())
        for name, labels in wanted_labels(ctx.config).items():
            live = ctx.kube.get(Ref("v1", "Namespace", name))
            if live is None and name not in ensure:
                continue  # e.g. the ArgoCD namespace: pre-flight already failed if it is missing
            desired = desired_namespace(name, labels, live)
            if desired is None:
                changes.append(Change("unchanged", Ref("v1", "Namespace", name), None, "exists, not managed by orch"))
                continue
            note = "created by orch" if live is None or created_by_orch(live) else "existing; labels only"
            changes.append(plan_object(ctx.kube, desired, note))
        return changes
