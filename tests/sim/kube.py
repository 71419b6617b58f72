"""Small dict-based Kubernetes REST layer shared by the simulators.

Everything is plain JSON dicts (no generated models), so built-in kinds and custom resources are
handled the same way.  Built on the official ``kubernetes`` client's ApiClient for TLS/auth.
"""
from __future__ import annotations

import datetime as _dt
import json
import logging
import random
import string
from dataclasses import dataclass
from typing import Any, Iterator, Optional

from kubernetes import client as k8s_client
from kubernetes import config as k8s_config
from kubernetes.client.exceptions import ApiException

log = logging.getLogger("sim.kube")


@dataclass(frozen=True)
class Res:
    """A resource type: group/version/plural (+kind, scope)."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool = True

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def path(self, namespace: Optional[str] = None, name: Optional[str] = None,
             sub: Optional[str] = None) -> str:
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            base += f"/namespaces/{namespace}"
        base += f"/{self.plural}"
        if name:
            base += f"/{name}"
            if sub:
                base += f"/{sub}"
        return base

    def with_version(self, version: str) -> "Res":
        return Res(self.group, version, self.plural, self.kind, self.namespaced)


# Built-in kinds used by the simulators.
NAMESPACES = Res("", "v1", "namespaces", "Namespace", False)
SECRETS = Res("", "v1", "secrets", "Secret")
CONFIGMAPS = Res("", "v1", "configmaps", "ConfigMap")
SERVICES = Res("", "v1", "services", "Service")
EVENTS = Res("", "v1", "events", "Event")
PODS = Res("", "v1", "pods", "Pod")
DEPLOYMENTS = Res("apps", "v1", "deployments", "Deployment")
STATEFULSETS = Res("apps", "v1", "statefulsets", "StatefulSet")
ENDPOINTSLICES = Res("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice")
CRONJOBS = Res("batch", "v1", "cronjobs", "CronJob")
NETWORKPOLICIES = Res("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy")
CRDS = Res("apiextensions.k8s.io", "v1", "customresourcedefinitions",
           "CustomResourceDefinition", False)
# OpenShift platform stand-ins (CRDs installed by the harness).
ROUTES = Res("route.openshift.io", "v1", "routes", "Route")
INGRESSES_CONFIG = Res("config.openshift.io", "v1", "ingresses", "Ingress", False)
SUBSCRIPTIONS = Res("operators.coreos.com", "v1alpha1", "subscriptions", "Subscription")
INSTALLPLANS = Res("operators.coreos.com", "v1alpha1", "installplans", "InstallPlan")
CSVS = Res("operators.coreos.com", "v1alpha1", "clusterserviceversions", "ClusterServiceVersion")
OPERATORGROUPS = Res("operators.coreos.com", "v1", "operatorgroups", "OperatorGroup")
CATALOGSOURCES = Res("operators.coreos.com", "v1alpha1", "catalogsources", "CatalogSource")
PACKAGEMANIFESTS = Res("packages.operators.coreos.com", "v1", "packagemanifests", "PackageManifest")
# Operand kinds (CRDs installed by the simulated OLM when a CSV installs).
ORCHESTRATORS = Res("rhdh.redhat.com", "v1alpha2", "orchestrators", "Orchestrator")
BACKSTAGES = Res("rhdh.redhat.com", "v1alpha1", "backstages", "Backstage")
KNATIVESERVINGS = Res("operator.knative.dev", "v1beta1", "knativeservings", "KnativeServing")
KNATIVEEVENTINGS = Res("operator.knative.dev", "v1beta1", "knativeeventings", "KnativeEventing")
SONATAFLOWS = Res("sonataflow.org", "v1alpha08", "sonataflows", "SonataFlow")
SONATAFLOWPLATFORMS = Res("sonataflow.org", "v1alpha08", "sonataflowplatforms", "SonataFlowPlatform")
SONATAFLOWCLUSTERPLATFORMS = Res("sonataflow.org", "v1alpha08", "sonataflowclusterplatforms",
                                 "SonataFlowClusterPlatform", False)


def now() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


def ts(t: Optional[_dt.datetime] = None) -> str:
    return (t or now()).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_ts(s: Optional[str]) -> Optional[_dt.datetime]:
    if not s:
        return None
    return _dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=_dt.timezone.utc)


def age_seconds(obj: dict) -> float:
    created = parse_ts(obj.get("metadata", {}).get("creationTimestamp"))
    if created is None:
        return 0.0
    return (now() - created).total_seconds()


def rand_suffix(n: int = 5) -> str:
    return "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(n))


def meta(obj: dict) -> dict:
    return obj.setdefault("metadata", {})


def key_of(obj: dict) -> str:
    m = obj.get("metadata", {})
    ns = m.get("namespace")
    return f"{ns}/{m['name']}" if ns else m["name"]


def split_key(key: str) -> tuple[Optional[str], str]:
    if "/" in key:
        ns, name = key.split("/", 1)
        return ns, name
    return None, key


# ---------------------------------------------------------------------------------------------
# Conditions

def get_condition(obj: dict, ctype: str) -> Optional[dict]:
    for c in (obj.get("status") or {}).get("conditions") or []:
        if c.get("type") == ctype:
            return c
    return None


def condition_true(obj: dict, ctype: str) -> bool:
    c = get_condition(obj, ctype)
    return bool(c) and c.get("status") == "True"


def set_condition(conditions: list[dict], ctype: str, status: str, reason: str = "",
                  message: str = "", *, transition_time: Optional[str] = None,
                  extra: Optional[dict] = None) -> list[dict]:
    """Return a new condition list with ``ctype`` set; keeps lastTransitionTime when the status
    does not change and appends new types at the end (order matters for printer columns)."""
    out = [dict(c) for c in conditions or []]
    stamp = transition_time or ts()
    for c in out:
        if c.get("type") == ctype:
            if c.get("status") != status:
                c["lastTransitionTime"] = stamp
            c["status"] = status
            c["reason"] = reason
            c["message"] = message
            if extra:
                c.update(extra)
            return out
    new = {"type": ctype, "status": status, "reason": reason, "message": message,
           "lastTransitionTime": stamp}
    if extra:
        new.update(extra)
    out.append(new)
    return out


def remove_condition(conditions: list[dict], ctype: str) -> list[dict]:
    return [dict(c) for c in conditions or [] if c.get("type") != ctype]


def conditions_equal(a: list[dict], b: list[dict]) -> bool:
    """Compare condition lists ignoring timestamps."""
    def strip(cs):
        return [{k: v for k, v in c.items() if not k.startswith("last")} for c in cs or []]
    return strip(a) == strip(b)


def deployment_available(dep: Optional[dict]) -> bool:
    """The Deployment reports Available=True (what `oc wait --for=condition=Available` checks)."""
    return bool(dep) and condition_true(dep, "Available")


def deployment_rolled_out(dep: Optional[dict]) -> bool:
    """Available and the current spec is fully rolled out (like `kubectl rollout status`)."""
    if not deployment_available(dep):
        return False
    st = dep.get("status") or {}
    want = (dep.get("spec") or {}).get("replicas", 1)
    return (st.get("observedGeneration", 0) >= dep["metadata"].get("generation", 0)
            and st.get("updatedReplicas", 0) >= want
            and st.get("availableReplicas", 0) >= want
            and st.get("replicas", 0) == st.get("updatedReplicas", 0))


# ---------------------------------------------------------------------------------------------
# Client

class Kube:
    def __init__(self, api_client: k8s_client.ApiClient):
        self.api = api_client

    @classmethod
    def from_kubeconfig(cls, path: str) -> "Kube":
        cfg = k8s_client.Configuration()
        k8s_config.load_kube_config(config_file=str(path), client_configuration=cfg)
        cfg.retries = False
        return cls(k8s_client.ApiClient(cfg))

    # -- raw ----------------------------------------------------------------------------------
    def _send(self, method: str, path: str, query: Optional[dict] = None, body: Any = None,
              content_type: Optional[str] = None, timeout: Any = 30):
        headers = {"Accept": "application/json"}
        if content_type:
            headers["Content-Type"] = content_type
        elif body is not None:
            headers["Content-Type"] = "application/json"
        q = [(k, v) for k, v in (query or {}).items() if v is not None]
        m, url, hdrs, b, _ = self.api.param_serialize(
            method, path, query_params=q, header_params=headers, body=body,
            auth_settings=["BearerToken"])
        return self.api.call_api(m, url, header_params=hdrs, body=b, _request_timeout=timeout)

    def request(self, method: str, path: str, query: Optional[dict] = None, body: Any = None,
                content_type: Optional[str] = None, timeout: Any = 30) -> dict:
        resp = self._send(method, path, query, body, content_type, timeout)
        data = resp.read()
        if not 200 <= resp.status <= 299:
            raise ApiException(status=resp.status, reason=resp.reason,
                               body=data.decode("utf-8", "replace") if data else None)
        return json.loads(data) if data else {}

    # -- verbs --------------------------------------------------------------------------------
    def get(self, res: Res, name: str, namespace: Optional[str] = None) -> Optional[dict]:
        try:
            return self.request("GET", res.path(namespace, name))
        except ApiException as e:
            if e.status == 404:
                return None
            raise

    def list(self, res: Res, namespace: Optional[str] = None,
             label_selector: Optional[str] = None) -> dict:
        return self.request("GET", res.path(namespace),
                            {"labelSelector": label_selector})

    def items(self, res: Res, namespace: Optional[str] = None,
              label_selector: Optional[str] = None) -> list[dict]:
        try:
            return self.list(res, namespace, label_selector).get("items", [])
        except ApiException as e:
            if e.status == 404:
                return []
            raise

    def create(self, res: Res, obj: dict, namespace: Optional[str] = None) -> dict:
        ns = namespace or obj.get("metadata", {}).get("namespace")
        obj.setdefault("apiVersion", res.api_version)
        obj.setdefault("kind", res.kind)
        return self.request("POST", res.path(ns), body=obj)

    def apply(self, res: Res, obj: dict, manager: str, force: bool = True) -> dict:
        """Server-side apply (what controllers and helm-like tools converge with)."""
        m = obj["metadata"]
        obj.setdefault("apiVersion", res.api_version)
        obj.setdefault("kind", res.kind)
        return self.request("PATCH", res.path(m.get("namespace"), m["name"]),
                            {"fieldManager": manager, "force": "true" if force else None},
                            body=obj, content_type="application/apply-patch+yaml")

    def patch(self, res: Res, name: str, patch: Any, namespace: Optional[str] = None,
              sub: Optional[str] = None, kind: str = "merge") -> dict:
        ctype = {"merge": "application/merge-patch+json",
                 "json": "application/json-patch+json"}[kind]
        return self.request("PATCH", res.path(namespace, name, sub), body=patch,
                            content_type=ctype)

    def patch_status(self, res: Res, obj: dict, status: dict) -> dict:
        m = obj["metadata"]
        return self.patch(res, m["name"], {"status": status}, m.get("namespace"), sub="status")

    def delete(self, res: Res, name: str, namespace: Optional[str] = None,
               propagation: str = "Background") -> bool:
        try:
            self.request("DELETE", res.path(namespace, name),
                         body={"propagationPolicy": propagation})
            return True
        except ApiException as e:
            if e.status == 404:
                return False
            raise

    def set_finalizers(self, res: Res, obj: dict, finalizers: list[str]) -> dict:
        """Replace metadata.finalizers with optimistic concurrency (409 if obj is stale)."""
        m = obj["metadata"]
        return self.patch(res, m["name"], {"metadata": {
            "finalizers": finalizers or None, "resourceVersion": m["resourceVersion"]}},
            m.get("namespace"))

    def watch(self, res: Res, resource_version: str, timeout_seconds: int = 240,
              namespace: Optional[str] = None) -> Iterator[tuple[str, dict]]:
        """Yield (type, object) from a watch; ERROR events are yielded as ("ERROR", status)."""
        resp = self._send("GET", res.path(namespace),
                          {"watch": "true", "resourceVersion": resource_version,
                           "allowWatchBookmarks": "true", "timeoutSeconds": timeout_seconds},
                          timeout=(10, timeout_seconds + 30))
        if not 200 <= resp.status <= 299:
            data = resp.read()
            raise ApiException(status=resp.status, reason=resp.reason,
                               body=data.decode("utf-8", "replace") if data else None)
        raw = resp.response
        buf = b""
        try:
            for chunk in raw.stream(65536, decode_content=True):
                buf += chunk
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    if line.strip():
                        ev = json.loads(line)
                        yield ev.get("type", ""), ev.get("object") or {}
        finally:
            raw.release_conn()

    # -- events -------------------------------------------------------------------------------
    def event(self, obj: dict, reason: str, message: str, etype: str = "Normal",
              component: str = "sim") -> None:
        m = obj.get("metadata", {})
        ns = m.get("namespace") or "default"
        stamp = ts()
        ev = {
            "metadata": {"name": f"{m.get('name')}.{rand_suffix(10)}", "namespace": ns},
            "involvedObject": {"apiVersion": obj.get("apiVersion"), "kind": obj.get("kind"),
                               "name": m.get("name"), "namespace": m.get("namespace"),
                               "uid": m.get("uid"),
                               "resourceVersion": m.get("resourceVersion")},
            "reason": reason, "message": message, "type": etype,
            "source": {"component": component}, "reportingComponent": component,
            "firstTimestamp": stamp, "lastTimestamp": stamp, "count": 1,
        }
        try:
            self.create(EVENTS, ev, ns)
        except ApiException as e:  # events are best effort, as in client-go's recorder
            log.debug("event failed: %s", e)


def api_error_message(e: ApiException) -> str:
    try:
        return json.loads(e.body).get("message", str(e.body))
    except Exception:  # noqa: BLE001
        return str(e.body or e.reason)


def is_not_found(e: BaseException) -> bool:
    return isinstance(e, ApiException) and e.status == 404


def owner_ref(obj: dict, controller: bool = True, block: bool = False) -> dict:
    m = obj["metadata"]
    ref = {"apiVersion": obj["apiVersion"], "kind": obj["kind"], "name": m["name"],
           "uid": m["uid"]}
    if controller:
        ref["controller"] = True
    if block:
        ref["blockOwnerDeletion"] = True
    return ref

