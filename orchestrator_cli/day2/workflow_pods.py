"""The pods of every SonataFlow workflow, for `orch status` (fail-fast reasons, start times): listed once
across the cluster by the label the SonataFlow operator puts on a workflow's pods, and grouped, so the
number of requests does not depend on the number of workflows and no other pod is read."""

from __future__ import annotations

from orchestrator_cli.kube.resources import NotServed

# The SonataFlow operator labels each workflow's Deployment, pod template and pods with the workflow's name.
WORKFLOW_APP_LABEL = "sonataflow.org/workflow-app"


def _list(kube, api_version: str, kind: str, namespace: str | None = None, **kw) -> list[dict]:
    try:
        items, _ = kube.list(api_version, kind, namespace, **kw)
    except NotServed:
        return []
    return items


def group_by_workflow(pods: list[dict]) -> dict[tuple[str, str], list[dict]]:
    """Pods keyed by (namespace, workflow name) from their workflow-app label (pure)."""
    out: dict[tuple[str, str], list[dict]] = {}
    for pod in pods:
        meta = pod.get("metadata") or {}
        name = (meta.get("labels") or {}).get(WORKFLOW_APP_LABEL)
        if name:
            out.setdefault((meta.get("namespace"), name), []).append(pod)
    return out


def gather_workflow_pods(kube, workflows: list[dict]) -> dict[tuple[str, str], list[dict]]:
    """Each workflow's pods: one cluster-wide list of the labelled pods, grouped; one namespace at a time
    only when the user may not list pods cluster-wide."""
    from orchestrator_cli.core.errors import Forbidden

    if not workflows:
        return {}
    keys = [(wf["metadata"]["namespace"], wf["metadata"]["name"]) for wf in workflows]
    try:
        grouped = group_by_workflow(_list(kube, "v1", "Pod", label_selector=WORKFLOW_APP_LABEL))
    except Forbidden:
        grouped = {}
        for ns in sorted({ns for ns, _ in keys}):
            grouped.update(group_by_workflow(_list(kube, "v1", "Pod", ns, label_selector=WORKFLOW_APP_LABEL)))
    return {key: grouped.get(key, []) for key in keys}
