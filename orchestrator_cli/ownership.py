"""How orch marks what it owns; `orch cleanup` (later) reads exactly these marks.

- Label MANAGED_BY on every object orch creates.
- Annotation CREATED_NAMESPACE on namespaces orch created. A namespace that already existed
  never gets it (nor the label), so cleanup can never delete it.
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


def is_managed(obj: dict | None) -> bool:
    labels = ((obj or {}).get("metadata") or {}).get("labels") or {}
    return labels.get(MANAGED_BY_KEY) == MANAGED_BY_VALUE


def created_by_orch(namespace: dict | None) -> bool:
    annotations = ((namespace or {}).get("metadata") or {}).get("annotations") or {}
    return annotations.get(CREATED_NAMESPACE) == "true"
