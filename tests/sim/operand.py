"""Base class for operand simulators: they act only while their operator Deployment (created by
the simulated OLM) exists and is Available — so removing an operator leaves its CRs stuck with
finalizers, as on a real cluster."""
from __future__ import annotations

from typing import Optional

from . import kube as K
from .config import SimConfig
from .runtime import Controller, Ctx


class OperandController(Controller):
    package: str = ""                 # catalog package of the operator that owns the kind
    res: K.Res
    finalizer: Optional[str] = None
    manager: str = "sim-operator"     # field manager for what the operator applies

    def __init__(self, ctx: Ctx):
        super().__init__(ctx)
        self.objs = self.watch(self.res)
        self.watch(K.DEPLOYMENTS, self._from_deployment)

    def _from_deployment(self, dep: dict) -> list[str]:
        labels = dep["metadata"].get("labels") or {}
        if labels.get("sim.orch.dev/package") == self.package:
            return list(self.keys())
        ns = dep["metadata"].get("namespace")
        return [f"{ns}/{r['name']}" for r in dep["metadata"].get("ownerReferences") or []
                if r.get("kind") == self.res.kind]

    def keys(self):
        return [K.key_of(o) for o in self.objs.objects()]

    def reconcile(self, key: str) -> Optional[float]:
        ns, name = K.split_key(key)
        obj = self.kube.get(self.res, name, ns)
        if obj is None:
            return None
        obj.setdefault("apiVersion", self.res.api_version)
        obj.setdefault("kind", self.res.kind)
        if not self.ctx.operator_running(self.package):
            return None  # no operator, nothing happens (finalizers stay)
        fins = obj["metadata"].get("finalizers") or []
        if obj["metadata"].get("deletionTimestamp"):
            if self.finalizer and self.finalizer in fins:
                after = self.finalize(obj)
                if after is not None:
                    return after
                self.kube.set_finalizers(self.res, obj, [f for f in fins if f != self.finalizer])
                self.action("%s %s: finalizer %s removed", self.res.kind, key, self.finalizer)
            return None
        if self.finalizer and self.finalizer not in fins:
            obj = self.kube.set_finalizers(self.res, obj, fins + [self.finalizer])
            obj.setdefault("apiVersion", self.res.api_version)
            obj.setdefault("kind", self.res.kind)
            self.action("%s %s: finalizer %s added", self.res.kind, key, self.finalizer)
        return self.sync(obj, self.ctx.config())

    # -- for subclasses -------------------------------------------------------------------------
    def sync(self, obj: dict, cfg: SimConfig) -> Optional[float]:  # pragma: no cover
        raise NotImplementedError

    def finalize(self, obj: dict) -> Optional[float]:
        """Clean-up on deletion; return seconds to retry or None when done."""
        return None

    def write_status(self, obj: dict, status: dict) -> dict:
        old = obj.get("status") or {}
        same = all(old.get(k) == v for k, v in status.items() if k != "conditions") and \
            K.conditions_equal(old.get("conditions"), status.get("conditions"))
        if same:
            return obj
        new = dict(old)
        new.update(status)
        out = self.kube.patch_status(self.res, obj, new)
        ready = [f"{c['type']}={c['status']}" for c in status.get("conditions") or []]
        self.action("%s %s: status %s", self.res.kind, K.key_of(obj), " ".join(ready))
        return out

    def set_ready(self, obj: dict, ctype: str, ready: bool, reason: str, message: str,
                  extra_types: tuple[str, ...] = (), **status) -> dict:
        conds = list((obj.get("status") or {}).get("conditions") or [])
        for t in extra_types:
            conds = K.set_condition(conds, t, "True" if ready else "False",
                                    "" if ready else reason, "" if ready else message)
        conds = K.set_condition(conds, ctype, "True" if ready else "False", reason, message)
        return self.write_status(obj, {"conditions": conds,
                                       "observedGeneration": obj["metadata"].get("generation"),
                                       **status})

    def apply(self, res: K.Res, obj: dict) -> dict:
        return self.kube.apply(res, obj, self.manager)

    def ensure(self, res: K.Res, obj: dict, differs=None) -> dict:
        """Apply ``obj`` when missing (or when ``differs(current)``), logging the action."""
        m = obj["metadata"]
        cur = self.kube.get(res, m["name"], m.get("namespace"))
        if cur is None or (differs and differs(cur)):
            cur = self.apply(res, obj)
            self.action("%s: applied %s %s", self.res.kind, res.kind, K.key_of(obj))
        return cur
