"""How orch marks what it owns; `orch cleanup` (later) reads exactly these marks.

- Label MANAGED_BY on every object orch creates.
- Annotation CREATED_NAMESPACE on namespaces orch created. A namespace that already existed
  never gets it (nor the label), so cleanup can never delete it.
- Annotation ADOPTED on any other object that already existed when orch first applied it (e.g. a
  setup secret the user made by hand): cleanup then releases orch's fields and keeps the object.
"""

from __future__ import annotations

MANAGED_BY_KEY = "app.kubernetes.io/managed-by"
MANAGED_BY_VALUE = "orch"
MANAGED_BY = {MANAGED_BY_KEY: MANAGED_BY_VALUE}
CREATED_NAMESPACE = "orch.rhdhorchestrator.io/created-namespace"
PART_OF = {"app.kubernetes.io/part-of": "orchestrator"}
MANAGED_BY_SELECTOR = f"{MANAGED_BY_KEY}={MANAGED_BY_VALUE}"
# Annotation on a namespace `orch workflow add-namespace` enabled (remove-namespace/cleanup undo it).
WORKFLOW_NAMESPACE_MARK = "orch.rhdhorchestrator.io/workflow-namespace"
ADOPTED = "orch.rhdhorchestrator.io/adopted"


def is_managed(obj: dict | None) -> bool:
    labels = ((obj or {}).get("metadata") or {}).get("labels") or {}
    return labels.get(MANAGED_BY_KEY) == MANAGED_BY_VALUE


def created_by_orch(namespace: dict | None) -> bool:
    annotations = ((namespace or {}).get("metadata") or {}).get("annotations") or {}
    return annotations.get(CREATED_NAMESPACE) == "true"


def is_adopted(obj: dict | None) -> bool:
    annotations = ((obj or {}).get("metadata") or {}).get("annotations") or {}
    return annotations.get(ADOPTED) == "true"


def created_by_orch_object(obj: dict | None) -> bool:
    """Labelled as orch's and not merely adopted: cleanup may delete it."""
    return is_managed(obj) and not is_adopted(obj)


def mark_adopted(desired: dict) -> dict:
    """A copy of `desired` carrying the ADOPTED annotation."""
    md = dict(desired.get("metadata") or {})
    md["annotations"] = {**(md.get("annotations") or {}), ADOPTED: "true"}
    return {**desired, "metadata": md}


def release_of(obj: dict) -> dict:
    """An empty applied configuration: applied by orch's field manager it drops exactly orch's fields."""
    md = obj.get("metadata") or {}
    out_md = {"name": md["name"]}
    if md.get("namespace"):
        out_md["namespace"] = md["namespace"]
    return {"apiVersion": obj["apiVersion"], "kind": obj["kind"], "metadata": out_md}
