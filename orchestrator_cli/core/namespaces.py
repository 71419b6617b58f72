"""Namespace labels orch sets and the applied configuration of one Namespace (pure).

All of orch's wishes for one Namespace go into one applied configuration: with server-side
apply, fields orch applied before and omits now would be removed. Shared by the install's
namespace step and `orch workflow add-namespace`.
"""

from __future__ import annotations

from orchestrator_cli.core.ownership import CREATED_NAMESPACE, MANAGED_BY, created_by_orch

WORKFLOW_LABEL = "rhdh.redhat.com/workflow-namespace"
ARGOCD_LABEL = "rhdh.redhat.com/argocd-namespace"
ARGOCD_MANAGED_BY = "argocd.argoproj.io/managed-by"


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
