"""Informers (list + watch with resume) and level-triggered controllers with a delaying queue."""
from __future__ import annotations

import heapq
import logging
import threading
import time
from typing import Callable, Iterable, Optional

import urllib3
from kubernetes.client.exceptions import ApiException

from . import kube as K
from .config import SimConfig, load_config

log = logging.getLogger("sim.runtime")

Handler = Callable[[str, dict], None]

# On Kubernetes the operators come from release manifests, not OLM: their Deployments (namespace, name) stand for
# the simulated operator of the package (orchestrator_cli/platforms/kubernetes_pins.py names them).
MANIFEST_OPERATORS = {
    ("sonataflow-operator-system", "sonataflow-operator-controller-manager"): "logic-operator-rhel8",
    ("rhdh-operator", "rhdh-operator"): "rhdh",
}


class Informer:
    """Keeps a cache of one resource type and dispatches events to handlers.

    ``resolve`` returns the Res to watch, or None while the API does not exist yet (e.g. a CRD
    installed later by the simulated OLM); the informer then waits for a CRD change.
    Watches resume from the last resourceVersion; a 410 Gone (or an expired rv) relists.
    """

    def __init__(self, kube: K.Kube, name: str, resolve: Callable[[], Optional[K.Res]],
                 stop: threading.Event):
        self.kube = kube
        self.name = name
        self.resolve = resolve
        self.stop = stop
        self.handlers: list[Handler] = []
        self.cache: dict[str, dict] = {}
        self.res: Optional[K.Res] = None
        self.synced = threading.Event()
        self.api_changed = threading.Event()
        self._lock = threading.Lock()
        self.thread = threading.Thread(target=self._run, name=f"informer-{name}", daemon=True)

    def add_handler(self, h: Handler) -> None:
        self.handlers.append(h)

    def objects(self) -> list[dict]:
        with self._lock:
            return list(self.cache.values())

    def get(self, key: str) -> Optional[dict]:
        with self._lock:
            return self.cache.get(key)

    def _dispatch(self, etype: str, obj: dict) -> None:
        for h in self.handlers:
            try:
                h(etype, obj)
            except Exception:  # noqa: BLE001
                log.exception("handler failed for %s %s", self.name, etype)

    def _replace(self, items: list[dict]) -> None:
        new = {K.key_of(o): o for o in items}
        with self._lock:
            old = self.cache
            self.cache = new
        for k, o in old.items():
            if k not in new:
                self._dispatch("DELETED", o)
        for o in items:
            self._dispatch("ADDED", o)

    def _run(self) -> None:
        backoff = 0.5
        while not self.stop.is_set():
            res = None
            try:
                res = self.resolve()
            except Exception as e:  # noqa: BLE001
                log.debug("resolve %s failed: %s", self.name, e)
            if res is None:
                if self.cache:
                    self._replace([])
                self.synced.set()
                self.api_changed.wait(5)
                self.api_changed.clear()
                continue
            self.res = res
            try:
                lst = self.kube.list(res)
                for o in lst.get("items", []):
                    o.setdefault("apiVersion", res.api_version)
                    o.setdefault("kind", res.kind)
                self._replace(lst.get("items", []))
                self.synced.set()
                rv = lst["metadata"]["resourceVersion"]
                backoff = 0.5
                rv = self._watch_loop(res, rv)
            except ApiException as e:
                if e.status == 404:
                    if self.cache:
                        self._replace([])
                    self.api_changed.wait(5)
                    self.api_changed.clear()
                    continue
                if e.status == 429:  # a just-created CRD's storage is not ready yet
                    log.info("informer %s: API not ready yet (429), retrying", self.name)
                else:
                    log.warning("informer %s: %s %s", self.name, e.status, e.reason)
            except Exception as e:  # noqa: BLE001  (connection dropped, apiserver restarted...)
                log.info("informer %s: watch broke (%s); relisting", self.name, type(e).__name__)
            self.stop.wait(backoff)
            backoff = min(backoff * 2, 5)

    def _watch_loop(self, res: K.Res, rv: str) -> None:
        """Watch from rv until a 410, a version change or stop; resumes after timeouts."""
        while not self.stop.is_set():
            if self.resolve() != res:  # API version changed (CRD replaced)
                return
            try:
                for etype, obj in self.kube.watch(res, rv):
                    if self.stop.is_set():
                        return
                    if etype == "ERROR":
                        if obj.get("code") == 410:
                            return  # relist
                        log.warning("informer %s: watch error %s", self.name, obj)
                        return
                    rv = obj.get("metadata", {}).get("resourceVersion", rv)
                    if etype == "BOOKMARK":
                        continue
                    key = K.key_of(obj)
                    with self._lock:
                        if etype == "DELETED":
                            self.cache.pop(key, None)
                        else:
                            self.cache[key] = obj
                    self._dispatch(etype, obj)
            except ApiException as e:
                if e.status == 410:
                    return
                raise
            # normal end of a watch (timeoutSeconds): resume from rv


class Hub:
    """One informer per resource type, shared by all controllers."""

    def __init__(self, kube: K.Kube, stop: threading.Event):
        self.kube = kube
        self.stop = stop
        self.informers: dict[str, Informer] = {}
        self.started = False
        crd = self.informer(K.CRDS)
        crd.add_handler(self._crd_changed)

    def _crd_changed(self, etype: str, obj: dict) -> None:
        for inf in self.informers.values():
            inf.api_changed.set()

    def informer(self, res: K.Res, name: Optional[str] = None,
                 resolve: Optional[Callable[[], Optional[K.Res]]] = None) -> Informer:
        name = name or f"{res.plural}.{res.group}"
        inf = self.informers.get(name)
        if inf is None:
            if resolve is None:
                resolve = self._static_resolver(res)
            inf = Informer(self.kube, name, resolve, self.stop)
            self.informers[name] = inf
            if self.started:
                inf.thread.start()
        return inf

    def _static_resolver(self, res: K.Res) -> Callable[[], Optional[K.Res]]:
        if not res.group or "." not in res.group or res.group.endswith("k8s.io") \
                or res.group in ("apps", "batch"):
            return lambda: res
        crd_name = f"{res.plural}.{res.group}"

        def resolve() -> Optional[K.Res]:
            crd = self.informers[f"{K.CRDS.plural}.{K.CRDS.group}"].get(crd_name)
            if crd is None:
                return None
            served = [v["name"] for v in crd["spec"]["versions"] if v.get("served")]
            if not _crd_established(crd):
                return None
            return res if res.version in served else None
        return resolve

    def crd(self, name: str) -> Optional[dict]:
        return self.informers[f"{K.CRDS.plural}.{K.CRDS.group}"].get(name)

    def crd_established(self, name: str) -> bool:
        crd = self.crd(name)
        return crd is not None and _crd_established(crd)

    def start(self) -> None:
        self.started = True
        for inf in list(self.informers.values()):
            if not inf.thread.is_alive():
                inf.thread.start()

    def wait_synced(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        for inf in self.informers.values():
            inf.synced.wait(max(0.0, deadline - time.monotonic()))


def _crd_established(crd: dict) -> bool:
    return K.condition_true(crd, "Established") and not crd["metadata"].get("deletionTimestamp")


class Ctx:
    """What every controller gets: the client, the shared informers and the config."""

    def __init__(self, kube: K.Kube, hub: Hub, stop: threading.Event):
        self.kube = kube
        self.hub = hub
        self.stop = stop
        self.controllers: list[Controller] = []

    def config(self) -> SimConfig:
        """Re-read on every reconcile, so a test can change it while the simulators run."""
        return load_config(self.kube)

    def deployments(self) -> Informer:
        return self.hub.informer(K.DEPLOYMENTS)

    def operator_deployment(self, package: str) -> Optional[dict]:
        """The operator Deployment the simulated OLM created for ``package`` (an Available one
        if there are several), or None."""
        found = [d for d in self.deployments().objects()
                 if ((d["metadata"].get("labels") or {}).get("sim.orch.dev/package") == package
                     or MANIFEST_OPERATORS.get((d["metadata"].get("namespace"), d["metadata"]["name"])) == package)
                 and not d["metadata"].get("deletionTimestamp")]
        found.sort(key=lambda d: not K.deployment_available(d))
        return found[0] if found else None

    def operator_running(self, package: str) -> bool:
        return K.deployment_available(self.operator_deployment(package))

    def resync_all(self) -> None:
        for c in self.controllers:
            c.enqueue_all()


class Controller:
    """Level-triggered controller: keys are queued (deduplicated, optionally delayed) and
    ``reconcile(key)`` converges that object; it returns seconds to requeue after, or None."""

    name = "controller"
    resync_seconds = 30.0

    def __init__(self, ctx: Ctx):
        self.ctx = ctx
        self.kube = ctx.kube
        self.log = logging.getLogger(f"sim.{self.name}")
        self._heap: list[tuple[float, str]] = []
        self._due: dict[str, float] = {}
        self._failures: dict[str, int] = {}
        self._cv = threading.Condition()
        self.thread = threading.Thread(target=self._run, name=f"ctl-{self.name}", daemon=True)
        ctx.controllers.append(self)

    # -- wiring -------------------------------------------------------------------------------
    def watch(self, res: K.Res, mapper: Optional[Callable[[dict], Iterable[str]]] = None,
              name: Optional[str] = None, resolve=None,
              events: Optional[set] = None) -> Informer:
        """Reconcile the keys ``mapper`` returns for every event (or only ``events`` types)."""
        inf = self.ctx.hub.informer(res, name, resolve)
        mapper = mapper or (lambda o: [K.key_of(o)])

        def handler(etype: str, obj: dict) -> None:
            if events and etype not in events:
                return
            for k in mapper(obj) or []:
                self.enqueue(k)
        inf.add_handler(handler)
        return inf

    def keys(self) -> Iterable[str]:  # all keys, for periodic resync
        return []

    def enqueue_all(self) -> None:
        for k in list(self.keys()):
            self.enqueue(k)

    def enqueue(self, key: str, after: float = 0.0) -> None:
        due = time.monotonic() + max(0.0, after)
        with self._cv:
            cur = self._due.get(key)
            if cur is not None and cur <= due:
                return
            self._due[key] = due
            heapq.heappush(self._heap, (due, key))
            self._cv.notify()

    # -- loop ---------------------------------------------------------------------------------
    def start(self) -> None:
        self.thread.start()

    def _next(self) -> Optional[str]:
        with self._cv:
            while not self.ctx.stop.is_set():
                now = time.monotonic()
                while self._heap and self._due.get(self._heap[0][1]) != self._heap[0][0]:
                    heapq.heappop(self._heap)  # stale entry
                if self._heap and self._heap[0][0] <= now:
                    _, key = heapq.heappop(self._heap)
                    del self._due[key]
                    return key
                timeout = (self._heap[0][0] - now) if self._heap else 1.0
                self._cv.wait(min(timeout, 1.0))
        return None

    def _run(self) -> None:
        last_resync = time.monotonic()
        while not self.ctx.stop.is_set():
            if time.monotonic() - last_resync > self.resync_seconds:
                last_resync = time.monotonic()
                self.enqueue_all()
            key = self._next()
            if key is None:
                break
            try:
                after = self.reconcile(key)
                self._failures.pop(key, None)
                if after is not None:
                    self.enqueue(key, after)
            except ApiException as e:
                n = self._failures[key] = self._failures.get(key, 0) + 1
                if e.status == 409:
                    self.enqueue(key, 0.2)
                else:
                    self.log.warning("reconcile %s failed: %s %s", key, e.status,
                                     K.api_error_message(e))
                    self.enqueue(key, min(0.5 * 2 ** n, 20))
            except (urllib3.exceptions.HTTPError, OSError) as e:  # apiserver down/restarting
                n = self._failures[key] = self._failures.get(key, 0) + 1
                self.log.warning("reconcile %s: apiserver unreachable (%s); retrying", key,
                                 type(e).__name__)
                self.enqueue(key, min(0.5 * 2 ** n, 10))
            except Exception:  # noqa: BLE001
                n = self._failures[key] = self._failures.get(key, 0) + 1
                self.log.exception("reconcile %s crashed", key)
                self.enqueue(key, min(0.5 * 2 ** n, 20))

    def reconcile(self, key: str) -> Optional[float]:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- helpers ------------------------------------------------------------------------------
    def action(self, msg: str, *args) -> None:
        """One log line per action the simulator takes."""
        self.log.info(msg, *args)


def min_delay(*values: Optional[float]) -> Optional[float]:
    vals = [v for v in values if v is not None]
    return min(vals) if vals else None
