"""Deployments/Services the simulated operators create.  Readiness always comes from the real
controller-manager + scheduler + kwok; faults are injected into the pod template only."""
from __future__ import annotations

from typing import Optional

from . import kube as K
from .config import FAULT_LABEL, UNSCHEDULABLE_SELECTOR, SimConfig


def deployment(name: str, namespace: str, *, component: Optional[str] = None,
               cfg: SimConfig, image: str, labels: Optional[dict] = None,
               owner: Optional[dict] = None, containers: Optional[list[str]] = None,
               annotations: Optional[dict] = None, port: Optional[int] = 8080,
               replicas: int = 1, fault: Optional[str] = None) -> dict:
    """A Deployment whose pods kwok runs; ``cfg`` decides injected faults for ``component``
    (default: the Deployment name); ``fault`` is what the workload itself suffers otherwise
    (e.g. CrashLoopBackOff while its database is unreachable)."""
    component = component or name
    selector = {"app.kubernetes.io/name": name, "app.kubernetes.io/instance": name}
    pod_labels = {**(labels or {}), **selector}  # as operators do: the pods carry the workload's labels too
    pod_spec: dict = {"containers": []}
    fault = cfg.pod_fault(component) or fault
    if fault == "Unschedulable":
        pod_spec["nodeSelector"] = dict(UNSCHEDULABLE_SELECTOR)
    elif fault:
        pod_labels[FAULT_LABEL] = fault
    for c in containers or ["manager"]:
        cont = {"name": c, "image": image if c != "kube-rbac-proxy"
                else "registry.redhat.io/openshift4/ose-kube-rbac-proxy:v4.14",
                "resources": {"requests": {"cpu": "10m", "memory": "64Mi"}}}
        if port and c != "kube-rbac-proxy":
            cont["ports"] = [{"name": "http", "containerPort": port, "protocol": "TCP"}]
        pod_spec["containers"].append(cont)
    meta = {"name": name, "namespace": namespace,
            "labels": {**selector, **(labels or {})}}
    if annotations:
        meta["annotations"] = annotations
    if owner:
        meta["ownerReferences"] = [owner]
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta,
            "spec": {"replicas": replicas, "selector": {"matchLabels": selector},
                     "template": {"metadata": {"labels": pod_labels}, "spec": pod_spec}}}


def service(name: str, namespace: str, selector_name: str, *, port: int = 80,
            target_port: int = 8080, owner: Optional[dict] = None,
            labels: Optional[dict] = None) -> dict:
    meta = {"name": name, "namespace": namespace, "labels": labels or {}}
    if owner:
        meta["ownerReferences"] = [owner]
    return {"apiVersion": "v1", "kind": "Service", "metadata": meta,
            "spec": {"selector": {"app.kubernetes.io/name": selector_name,
                                  "app.kubernetes.io/instance": selector_name},
                     "ports": [{"name": "http", "port": port, "targetPort": target_port,
                                "protocol": "TCP"}]}}


def wait_message(dep_name: str, dep: Optional[dict]) -> str:
    """OLM-style text for a Deployment that is not yet available."""
    if dep is None:
        return f'deployment "{dep_name}" not found'
    return (f'deployment "{dep_name}" not available: '
            "Deployment does not have minimum availability.")


def delay_remaining(obj: dict, seconds: float) -> float:
    """Seconds left before ``obj`` is ``seconds`` old (0 when due)."""
    return max(0.0, seconds - K.age_seconds(obj))


def template_differs(dep: dict, want: dict) -> bool:
    """Whether the Deployment's pod template/owners differ from ``want`` in what we manage."""
    cur_t = dep["spec"]["template"]
    want_t = want["spec"]["template"]
    cur_labels = cur_t["metadata"].get("labels") or {}
    if cur_labels != want_t["metadata"]["labels"]:
        return True
    if (cur_t["spec"].get("nodeSelector") or {}) != (want_t["spec"].get("nodeSelector") or {}):
        return True
    if [c["image"] for c in cur_t["spec"]["containers"]] != \
            [c["image"] for c in want_t["spec"]["containers"]]:
        return True
    owners = [r.get("uid") for r in dep["metadata"].get("ownerReferences") or []]
    want_owners = [r.get("uid") for r in want["metadata"].get("ownerReferences") or []]
    return owners != want_owners
