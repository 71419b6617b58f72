"""Namespaces orch needs (created when missing, marked as created by orch) and their labels.

All of orch's wishes for one Namespace go into one applied configuration: with server-side
apply, fields orch applied before and omits now would be removed. Labels on other
namespaces are never touched (setup.sh removed them everywhere: reference 1.5/1.6).
"""

from __future__ import annotations

from orchestrator_cli.kube import Ref
from orchestrator_cli.ownership import CREATED_NAMESPACE, MANAGED_BY, created_by_orch
from orchestrator_cli.steps.base import Change, Step, StepContext, plan_object

WORKFLOW_LABEL = "rhdh.redhat.com/workflow-namespace"
ARGOCD_LABEL = "rhdh.redhat.com/argocd-namespace"
ARGOCD_MANAGED_BY = "argocd.argoproj.io/managed-by"


def wanted_labels(config) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {ns: {} for ns in config.namespaces_to_ensure()}
    wf = out.setdefault(config.workflow_namespace, {})
    wf[WORKFLOW_LABEL] = ""
    if config.gitops:
        wf[ARGOCD_MANAGED_BY] = config.argocd_namespace
        out.setdefault(config.argocd_namespace, {})[ARGOCD_LABEL] = ""
    return out


def desired_namespace(name: str, labels: dict[str, str], live: dict | None) -> dict | None:
    """The applied configuration for one namespace, or None when orch has nothing to set."""
    ours = live is None or created_by_orch(live)
    if not ours and not labels:
        return None
    md: dict = {"name": name}
    if ours:
        md["labels"] = {**MANAGED_BY, **labels}
        md["annotations"] = {CREATED_NAMESPACE: "true"}
    else:
        md["labels"] = dict(labels)
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": md}


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
