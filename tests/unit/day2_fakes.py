"""A small in-memory stand-in for the kube adapter calls the day-2 modules use (get, list, apply,
merge_patch, delete, list_path, events_for). Objects are plain dicts; deletion honours finalizers
(an object with finalizers gets a deletionTimestamp and stays until they are removed)."""

from __future__ import annotations

import copy

from orchestrator_cli.kube.client import NotServed, Ref


def _key(ref: Ref) -> tuple:
    return (ref.api_version.rpartition("/")[0], ref.kind, ref.namespace or "", ref.name)


def _merge(base: dict, patch: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        elif isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def _matches(obj: dict, selector: str | None) -> bool:
    if not selector:
        return True
    labels = (obj.get("metadata") or {}).get("labels") or {}
    for part in selector.split(","):
        if "=" in part:
            k, v = part.split("=", 1)
            if labels.get(k) != v:
                return False
        elif part not in labels:
            return False
    return True


def _fields(obj: dict, selector: str | None) -> bool:
    """metadata.name= / metadata.namespace= field selectors, as the API server evaluates them."""
    for term in filter(None, (selector or "").split(",")):
        key, _, value = term.partition("=")
        if (obj.get("metadata") or {}).get(key.removeprefix("metadata.")) != value:
            return False
    return True


class FakeKube:
    def __init__(self, objects=(), not_served=()):
        self.store: dict[tuple, dict] = {}
        self.not_served = set(not_served)  # kinds whose API is absent
        self.writes: list[tuple[str, str]] = []
        self.deleted: list[tuple[int, dict]] = []  # (resourceVersion, object): what watch() reports as DELETED
        self.rv = 1
        for obj in objects:
            self.put(obj)

    # helpers for tests
    def put(self, obj: dict) -> dict:
        obj = copy.deepcopy(obj)
        obj.setdefault("metadata", {})
        self.store[_key(Ref.of(obj))] = obj
        return obj

    def find(self, api_version, kind, name, namespace=None) -> dict | None:
        return self.store.get(_key(Ref(api_version, kind, name, namespace)))

    # adapter surface
    def get(self, ref: Ref, budget=None) -> dict | None:
        if ref.kind in self.not_served:
            return None
        obj = self.store.get(_key(ref))
        return copy.deepcopy(obj) if obj is not None else None

    def list(self, api_version, kind, namespace=None, *, label_selector=None, field_selector=None, budget=None):
        if kind in self.not_served:
            raise NotServed(kind)
        group = api_version.rpartition("/")[0]
        out = [copy.deepcopy(o) for (g, k, ns, _), o in sorted(self.store.items())
               if g == group and k == kind and (namespace is None or ns == namespace) and _matches(o, label_selector)
               and _fields(o, field_selector)]
        return out, str(self.rv)

    def list_path(self, path: str) -> list[dict]:
        _, _, group, version, plural = path.split("/")
        return [copy.deepcopy(o) for (g, k, _, _), o in self.store.items()
                if g == group and k.lower() + "s" == plural]

    def apply(self, obj: dict) -> dict:
        ref = Ref.of(obj)
        self.writes.append(("apply", str(ref)))
        live = self.store.get(_key(ref))
        if live is not None and obj.get("kind") == "Namespace" and set(obj.get("metadata", {})) == {"name"}:
            # the empty "release" apply: drop what orch's Apply entry owns (tests set managedFields)
            from orchestrator_cli.day2.ns_plan import orch_owned_metadata

            labels, annotations = orch_owned_metadata(live)
            for key in labels:
                live["metadata"].get("labels", {}).pop(key, None)
            for key in annotations:
                live["metadata"].get("annotations", {}).pop(key, None)
            live["metadata"]["managedFields"] = [e for e in live["metadata"].get("managedFields") or []
                                                 if not (e.get("manager") == "orch" and e.get("operation") == "Apply")]
            return copy.deepcopy(live)
        merged = _merge(live or {}, obj)
        self.store[_key(ref)] = merged
        return copy.deepcopy(merged)

    def merge_patch(self, ref: Ref, patch: dict) -> dict:
        self.writes.append(("patch", str(ref)))
        live = self.store[_key(ref)]
        merged = _merge(live, patch)
        md = merged["metadata"]
        if md.get("deletionTimestamp") and not md.get("finalizers"):
            self._gone(ref, merged)
        else:
            self.store[_key(ref)] = merged
        return copy.deepcopy(merged)

    def delete(self, ref: Ref, budget=None) -> None:
        self.writes.append(("delete", str(ref)))
        obj = self.store.get(_key(ref))
        if obj is None:
            return
        if obj["metadata"].get("finalizers"):
            obj["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
        else:
            self._gone(ref, obj)

    def _gone(self, ref: Ref, obj: dict) -> None:
        del self.store[_key(ref)]
        self.rv += 1
        self.deleted.append((self.rv, {**copy.deepcopy(obj), "apiVersion": ref.api_version, "kind": ref.kind}))

    def watch(self, api_version, kind, namespace, *, name=None, label_selector=None, resource_version=None,
              timeout_seconds=30):
        """DELETED events after resource_version, as the API server's watch sends them, until the window ends."""
        import time

        if kind in self.not_served:
            raise NotServed(kind)
        seen = int(resource_version or 0)
        end = time.monotonic() + timeout_seconds
        while time.monotonic() < end:
            for rv, obj in list(self.deleted):
                md = obj["metadata"]
                if rv <= seen or obj["kind"] != kind or obj["apiVersion"].rpartition("/")[0] != \
                        api_version.rpartition("/")[0]:
                    continue
                seen = rv
                if (namespace is None or md.get("namespace") == namespace) and name in (None, md["name"]):
                    yield "DELETED", {**obj, "metadata": {**md, "resourceVersion": str(rv)}}
            time.sleep(0.01)

    def events_for(self, ref: Ref, limit: int = 5) -> list[str]:
        return []


def ns(name, labels=None, annotations=None, managed_fields=None) -> dict:
    md = {"name": name, "labels": {"kubernetes.io/metadata.name": name, **(labels or {})}}
    if annotations:
        md["annotations"] = dict(annotations)
    if managed_fields:
        md["managedFields"] = managed_fields
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": md, "status": {"phase": "Active"}}


def applied_by_orch(labels=(), annotations=()) -> dict:
    """A managedFields entry as the API server records an orch server-side apply."""
    meta = {}
    if labels:
        meta["f:labels"] = {f"f:{k}": {} for k in labels}
    if annotations:
        meta["f:annotations"] = {f"f:{k}": {} for k in annotations}
    return {"manager": "orch", "operation": "Apply", "fieldsV1": {"f:metadata": meta}}


def cr(version="v1alpha1", managed=True, spec=None, name="orchestrator", namespace="orchestrator") -> dict:
    labels = {"app.kubernetes.io/managed-by": "orch"} if managed else {}
    return {"apiVersion": f"rhdh.redhat.com/{version}", "kind": "Orchestrator",
            "metadata": {"name": name, "namespace": namespace, "labels": labels,
                         "finalizers": ["helm.sdk.operatorframework.io/uninstall-release"]},
            "spec": spec or {}}


def crd(version="v1alpha1") -> dict:
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": "orchestrators.rhdh.redhat.com"},
            "spec": {"group": "rhdh.redhat.com", "names": {"kind": "Orchestrator", "plural": "orchestrators"},
                     "versions": [{"name": version, "served": True, "storage": True}]}}
