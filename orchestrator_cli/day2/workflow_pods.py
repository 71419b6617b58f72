"""The pods of every SonataFlow workflow, for `orch status` (fail-fast reasons, start times): listed once
across the cluster and grouped, so the number of requests does not depend on the number of workflows."""

from __future__ import annotations

from orchestrator_cli.kube.resources import NotServed, Ref


def _list(kube, api_version: str, kind: str, namespace: str | None = None, **kw) -> list[dict]:
    try:
        items, _ = kube.list(api_version, kind, namespace, **kw)
    except NotServed:
        return []
    return items


def _selector(obj: dict | None) -> str | None:
    labels = (((obj or {}).get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items())) or None


def _matches(selector: dict[str, str], pod: dict) -> bool:
    labels = (pod.get("metadata") or {}).get("labels") or {}
    return all(labels.get(k) == v for k, v in selector.items())


def gather_workflow_pods(kube, workflows: list[dict]) -> dict[tuple[str, str], list[dict]]:
    """Each workflow's pods (those its Deployment selects): Deployments and Pods listed once across the cluster
    and grouped, so the requests do not grow with the workflows; one workflow at a time only when the user may
    not list them cluster-wide."""
    from orchestrator_cli.core.errors import Forbidden

    if not workflows:
        return {}
    keys = [(wf["metadata"]["namespace"], wf["metadata"]["name"]) for wf in workflows]
    try:
        deployments = {(d["metadata"].get("namespace"), d["metadata"]["name"]): d
                       for d in _list(kube, "apps/v1", "Deployment")}
        pods: dict[str, list[dict]] = {}
        for pod in _list(kube, "v1", "Pod"):
            pods.setdefault(pod["metadata"].get("namespace"), []).append(pod)
    except Forbidden:
        out = {}
        for ns, name in keys:
            selector = _selector(kube.get(Ref("apps/v1", "Deployment", name, ns)))
            out[(ns, name)] = _list(kube, "v1", "Pod", ns, label_selector=selector) if selector else []
        return out
    out = {}
    for ns, name in keys:
        labels = ((((deployments.get((ns, name)) or {}).get("spec") or {}).get("selector") or {})
                  .get("matchLabels") or {})
        out[(ns, name)] = [p for p in pods.get(ns, []) if _matches(labels, p)] if labels else []
    return out
