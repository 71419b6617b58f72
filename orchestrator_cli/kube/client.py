"""The kube adapter: the only module that talks to the Kubernetes API.

Every call goes through `Kube`, which adds bounded retries on transient failures (connection
refused/reset, 5xx, 429, timeouts), so an API server restart mid-install is ridden out.
Resources come from a static table (kube/resources.py: no discovery round-trips); requests use the official
client's DynamicClient (server-side apply with field manager "orch").
The kubernetes package is imported here only, and lazily by callers.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Iterator

from kubernetes import client as k8s_client
from kubernetes import config as k8s_config
from kubernetes.config.config_exception import ConfigException
from kubernetes.dynamic import DynamicClient
from kubernetes.dynamic.resource import Resource
from tenacity import Retrying, retry_if_exception, wait_exponential

from orchestrator_cli import __version__
from orchestrator_cli.core.errors import ClusterUnreachable, Forbidden, StepFailed
from orchestrator_cli.kube.api_errors import (  # noqa: F401 - re-exported
    HICCUP_BUDGET,
    HICCUP_MESSAGES,
    TRANSIENT_STATUS,
    _status,
    _tls_eof,
    _tls_failure,
    describe_api_error,
    describe_connection_error,
    is_transient,
    server_hiccup,
)
from orchestrator_cli.kube.resources import RESOURCES, Gone, LogUnavailable, NotServed, Ref  # noqa: F401 - re-exported

FIELD_MANAGER = "orch"
USER_AGENT = f"orch/{__version__}"
log = logging.getLogger("orch.kube")

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 30.0  # one request's silence; a hung (not dead) API server must not hang orch
SHORT_BUDGET = 5.0  # diagnostics and releasing the lock on the way out: never worth a long wait


def _raw(_client, data):
    """Keep API responses as plain dicts (ResourceInstance wrapping is slow and needs 'kind')."""
    return data


class _NoDiscovery:
    """DynamicClient discoverer that does nothing: orch knows its resources (see RESOURCES)."""

    def __init__(self, client, cache_file=None):
        self.client = client


class Kube:
    """Thread-safe adapter. `retry_budget` bounds how long a call rides out a flapping API server."""

    def __init__(self, api_client, *, retry_budget: float = 120.0, context: str | None = None):
        self.api_client = api_client
        self.dyn = DynamicClient(api_client, discoverer=_NoDiscovery)
        self.retry_budget = retry_budget
        self.context = context
        self._lock = threading.Lock()
        self.requests = 0
        self._discovered: dict[tuple[str, str], tuple[str, bool]] = {}  # learn_resources(): kinds of manifests

    def learn_resources(self, group_version: str) -> None:
        """Adds every kind served under group_version (one discovery request) to what resource() knows: for the
        upstream release manifests, whose kinds orch does not list in RESOURCES."""
        path = "/api/v1" if group_version == "v1" else f"/apis/{group_version}"
        try:
            out = self._call(self.dyn.request, "get", path)
        except Exception as exc:  # noqa: BLE001
            if _status(exc) == 404:
                return
            self._translate(exc, f"discover {group_version}")
        for r in out.get("resources") or []:
            if "/" not in r.get("name", ""):
                self._discovered[(group_version, r["kind"])] = (r["name"], bool(r.get("namespaced")))

    # -- plumbing ---------------------------------------------------------------------------
    @property
    def server(self) -> str:
        return self.api_client.configuration.host

    def resource(self, api_version: str, kind: str) -> Resource:
        try:
            plural, namespaced = RESOURCES.get((api_version, kind)) or self._discovered[(api_version, kind)]
        except KeyError:
            raise KeyError(f"orch does not know the resource {kind} in {api_version}") from None
        group, _, version = api_version.rpartition("/")
        return Resource(prefix="apis" if group else "api", group=group, api_version=version, kind=kind,
                        name=plural, namespaced=namespaced, client=self.dyn)

    def _call(self, fn, *args, budget: float | None = None, **kwargs):
        budget = self.retry_budget if budget is None else budget
        # An attempt's read timeout never exceeds the budget, so a hung server cannot stretch a
        # short budget (tenacity only checks its stop condition between attempts).
        kwargs.setdefault("_request_timeout", (CONNECT_TIMEOUT, max(1.0, min(READ_TIMEOUT, budget))))
        kwargs.setdefault("serializer", _raw)

        def out_of_time(rs) -> bool:
            spent = rs.seconds_since_start or 0.0
            hiccup = rs.outcome is not None and server_hiccup(rs.outcome.exception())
            return spent >= (min(budget, HICCUP_BUDGET) if hiccup else budget)

        retrying = Retrying(
            retry=retry_if_exception(is_transient),
            stop=out_of_time,
            wait=wait_exponential(multiplier=0.25, max=4),
            reraise=True,
            before_sleep=lambda rs: log.info("transient API error, retrying: %s", rs.outcome.exception()),
        )
        for attempt in retrying:
            with attempt:
                with self._lock:
                    self.requests += 1
                return fn(*args, **kwargs)

    def _translate(self, exc: BaseException, what: str):
        status = _status(exc)
        if status == 401:
            raise ClusterUnreachable(f"the API server rejected the credentials ({what}); log in again") from None
        if status == 403:
            raise Forbidden(f"forbidden: {what}: {describe_api_error(exc)}") from None
        if is_transient(exc) and not server_hiccup(exc):  # a lasting "hiccup" is the step's failure
            raise ClusterUnreachable(f"API server {self.server} unreachable while trying to {what}: "
                                     f"{describe_api_error(exc) if status else describe_connection_error(exc)}") from None
        raise StepFailed(f"could not {what}: {describe_api_error(exc)}") from None

    # -- reads ------------------------------------------------------------------------------
    def server_version(self, budget: float = 10.0) -> dict:
        try:
            return self._call(self.dyn.request, "get", "/version", budget=budget)
        except Exception as exc:  # noqa: BLE001 - everything here means "unreachable"
            if _status(exc) == 401:
                raise ClusterUnreachable(f"the API server {self.server} rejected the credentials; log in again") from None
            raise ClusterUnreachable(f"cannot reach the API server {self.server}: "
                                     f"{describe_api_error(exc) if _status(exc) else describe_connection_error(exc)}") from None

    def get(self, ref: Ref, *, budget: float | None = None) -> dict | None:
        res = self.resource(ref.api_version, ref.kind)
        try:
            return self._call(self.dyn.get, res, name=ref.name, namespace=ref.namespace, budget=budget)
        except Exception as exc:  # noqa: BLE001
            if _status(exc) == 404:
                return None
            self._translate(exc, f"read {ref}")

    def list(self, api_version: str, kind: str, namespace: str | None = None, *, label_selector: str | None = None,
             field_selector: str | None = None, budget: float | None = None) -> tuple[list[dict], str | None]:
        """Items and the list's resourceVersion. Raises NotServed when the API does not exist."""
        res = self.resource(api_version, kind)
        try:
            out = self._call(self.dyn.get, res, namespace=namespace, label_selector=label_selector,
                             field_selector=field_selector, budget=budget)
        except Exception as exc:  # noqa: BLE001
            if _status(exc) == 404:
                raise NotServed(f"{kind} ({api_version}) is not served by this cluster") from None
            self._translate(exc, f"list {kind}" + (f" in {namespace}" if namespace else ""))
        return out.get("items") or [], (out.get("metadata") or {}).get("resourceVersion")

    def list_path(self, path: str) -> list[dict]:
        """Items of a raw list path (/apis/GROUP/VERSION/PLURAL) for kinds not in RESOURCES, e.g. the
        instances of a CRD before `orch cleanup --purge` deletes it. [] when the path is not served."""
        try:
            out = self._call(self.dyn.request, "get", path)
        except Exception as exc:  # noqa: BLE001
            if _status(exc) == 404:
                return []
            self._translate(exc, f"list {path}")
        return out.get("items") or []

    def served_kinds(self, group_version: str) -> set[str]:
        """Kinds served under a group/version (one discovery request; empty set if absent)."""
        path = "/api/v1" if group_version == "v1" else f"/apis/{group_version}"
        try:
            out = self._call(self.dyn.request, "get", path)
        except Exception as exc:  # noqa: BLE001
            if _status(exc) == 404:
                return set()
            self._translate(exc, f"discover {group_version}")
        return {r.get("kind") for r in out.get("resources") or [] if "/" not in r.get("name", "")}

    def watch(self, api_version: str, kind: str, namespace: str | None, *, name: str | None = None,
              label_selector: str | None = None, resource_version: str | None = None,
              timeout_seconds: int = 30) -> Iterator[tuple[str, dict]]:
        """One watch window (no retries: the waiter relists on any error). Raises Gone on 410.

        The server ends the window after timeout_seconds; the client gives up a few seconds after
        that, so a server that hangs without closing the connection ends the window too."""
        from kubernetes import watch as k8s_watch

        res = self.resource(api_version, kind)
        with self._lock:
            self.requests += 1
        w = k8s_watch.Watch()
        try:
            # Watch.stream directly (not DynamicClient.watch, which takes no client-side timeout).
            for event in w.stream(res.get, namespace=namespace,
                                  field_selector=f"metadata.name={name}" if name else None,
                                  label_selector=label_selector,
                                  resource_version=resource_version, serialize=False,
                                  timeout_seconds=timeout_seconds,
                                  _request_timeout=(CONNECT_TIMEOUT, timeout_seconds + CONNECT_TIMEOUT)):
                etype = event.get("type")
                raw = event.get("raw_object") or {}
                if etype == "ERROR":
                    if raw.get("code") == 410:
                        raise Gone()
                    return
                yield etype, raw
        except Exception as exc:  # noqa: BLE001
            if isinstance(exc, Gone):
                raise
            if _status(exc) == 410:
                raise Gone() from None
            if _status(exc) == 404:
                raise NotServed(f"{kind} not served") from None
            raise
        finally:
            w.stop()

    def pod_log(self, name: str, namespace: str, container: str, *, tail_lines: int | None = None,
                limit_bytes: int | None = None, previous: bool = False, budget: float = SHORT_BUDGET) -> str:
        """A container's log as the API server proxies it from the node; LogUnavailable when it does not."""
        core = k8s_client.CoreV1Api(self.api_client)

        def read(**kw):
            kw.pop("serializer", None)  # a log is text, not an API object
            return core.read_namespaced_pod_log(name, namespace, container=container, tail_lines=tail_lines,
                                                limit_bytes=limit_bytes, previous=previous, **kw)

        try:
            return self._call(read, budget=budget)
        except Exception as exc:  # noqa: BLE001 - every failure means "no log from here"
            raise LogUnavailable(describe_api_error(exc) if _status(exc) else describe_connection_error(exc)) from None

    def events_for(self, ref: Ref, limit: int = 5) -> list[str]:
        """The latest events about an object, newest last, as one-line strings."""
        if not ref.namespace:
            return []
        try:
            items, _ = self.list("v1", "Event", ref.namespace, budget=SHORT_BUDGET,
                                 field_selector=f"involvedObject.name={ref.name},involvedObject.kind={ref.kind}")
        except Exception:  # noqa: BLE001 - events are diagnostics only
            return []
        items.sort(key=lambda e: e.get("lastTimestamp") or e.get("eventTime") or
                   (e.get("metadata") or {}).get("creationTimestamp") or "")
        return [f"{e.get('type', '')} {e.get('reason', '')}: {e.get('message', '')}".strip() for e in items[-limit:]]

    # -- writes -----------------------------------------------------------------------------
    def apply(self, obj: dict) -> dict:
        """Server-side apply with field manager orch, forcing conflicts (orch owns its fields)."""
        ref = Ref.of(obj)
        res = self.resource(ref.api_version, ref.kind)
        try:
            return self._call(self.dyn.server_side_apply, res, body=obj, name=ref.name, namespace=ref.namespace,
                              field_manager=FIELD_MANAGER, force_conflicts=True)
        except Exception as exc:  # noqa: BLE001
            self._translate(exc, f"apply {ref}")

    def merge_patch(self, ref: Ref, patch: dict) -> dict:
        res = self.resource(ref.api_version, ref.kind)
        try:
            return self._call(self.dyn.patch, res, body=patch, name=ref.name, namespace=ref.namespace,
                              content_type="application/merge-patch+json", field_manager=FIELD_MANAGER)
        except Exception as exc:  # noqa: BLE001
            self._translate(exc, f"patch {ref}")

    def create(self, obj: dict) -> dict:
        """Plain create (reviews, the lock Lease). Raises the API error for 409 so callers can react."""
        ref_ns = (obj.get("metadata") or {}).get("namespace")
        res = self.resource(obj["apiVersion"], obj["kind"])
        return self._call(self.dyn.create, res, body=obj, namespace=ref_ns, field_manager=FIELD_MANAGER)

    def replace(self, obj: dict) -> dict:
        ref = Ref.of(obj)
        res = self.resource(ref.api_version, ref.kind)
        return self._call(self.dyn.replace, res, body=obj, name=ref.name, namespace=ref.namespace,
                          field_manager=FIELD_MANAGER)

    def delete(self, ref: Ref, *, budget: float | None = None) -> None:
        res = self.resource(ref.api_version, ref.kind)
        try:
            self._call(self.dyn.delete, res, name=ref.name, namespace=ref.namespace, budget=budget)
        except Exception as exc:  # noqa: BLE001
            if _status(exc) != 404:
                self._translate(exc, f"delete {ref}")

    def review(self, obj: dict) -> dict:
        """Create a SelfSubject*Review (not persisted by the API server)."""
        try:
            return self.create(obj)
        except Exception as exc:  # noqa: BLE001
            self._translate(exc, f"create {obj['kind']}")


def connect(kubeconfig: str | None = None, context: str | None = None, *, retry_budget: float = 120.0) -> Kube:
    """Load kubeconfig like kubectl (--kubeconfig, $KUBECONFIG, ~/.kube/config; --context).

    $ORCH_API_RETRY_SECONDS overrides how long each call rides out transient API errors (default 120)."""
    env_budget = os.environ.get("ORCH_API_RETRY_SECONDS")
    if env_budget is not None:
        try:
            retry_budget = float(env_budget)
            if not 0 <= retry_budget <= 3600:
                raise ValueError
        except ValueError:
            from orchestrator_cli.core.errors import InputError

            raise InputError(f"ORCH_API_RETRY_SECONDS must be a number of seconds between 0 and 3600, "
                             f"got {env_budget!r}") from None
    if kubeconfig is not None and not os.path.isfile(kubeconfig):
        raise ClusterUnreachable(f"kubeconfig {kubeconfig} does not exist or is not a file")
    where = kubeconfig
    if kubeconfig is None:
        paths = [p for p in os.environ.get("KUBECONFIG", "").split(os.pathsep) if p]
        if paths and not any(os.path.isfile(os.path.expanduser(p)) for p in paths):
            raise ClusterUnreachable(f"kubeconfig {os.pathsep.join(paths)} (from $KUBECONFIG) does not exist or "
                                     "is not a file")
        where = os.pathsep.join(paths) if paths else "~/.kube/config"
    configuration = k8s_client.Configuration()
    try:
        k8s_config.load_kube_config(config_file=kubeconfig, context=context, client_configuration=configuration,
                                    persist_config=False)
    except ConfigException as exc:
        text = str(exc).splitlines()[0] if str(exc) else "invalid kubeconfig"
        if context and "context" in text.lower():
            raise ClusterUnreachable(f"context {context!r} not found in the kubeconfig") from None
        if "current-context" in text:
            raise ClusterUnreachable(f"kubeconfig {where} has no current-context: pass --context") from None
        raise ClusterUnreachable(f"kubeconfig problem: {text}") from None
    except Exception as exc:  # noqa: BLE001 - malformed YAML, unreadable file, bad base64...
        import binascii

        import yaml

        if isinstance(exc, yaml.YAMLError):
            raise ClusterUnreachable(f"kubeconfig {where} is not valid YAML") from None
        if isinstance(exc, binascii.Error):
            raise ClusterUnreachable(f"kubeconfig {where}: certificate or key data is not valid base64") from None
        raise ClusterUnreachable(f"kubeconfig {where} cannot be loaded: {exc.__class__.__name__}") from None
    configuration.retries = 0  # tenacity owns retries (bounded, logged)
    configuration.connection_pool_maxsize = 32  # one watch per wait item runs concurrently
    api_client = k8s_client.ApiClient(configuration)
    api_client.user_agent = USER_AGENT
    return Kube(api_client, retry_budget=retry_budget, context=context)
