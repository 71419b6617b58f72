"""Wiring a workflow chart into the installed Orchestrator: what upstream's docs do by hand (reference E3, A4-A7).

`wire(objects, facts)` is a pure function of the rendered chart objects and the install facts:
- every Secret that holds NOTIFICATIONS_BEARER_TOKEN (`<name>-creds`, empty in the charts) or that a
  SonataFlow takes its environment from (envFrom) gets the installation's BACKEND_SECRET as that key;
- every SonataFlow gets BACKSTAGE_NOTIFICATIONS_URL (the Backstage Service) and the workflow-specific
  variables (MTA_URL, MOVE2KUBE_URL, --env) in spec.podTemplate.container.env;
- a SonataFlow's own persistence (spec.persistence.postgresql) points at the installation's PostgreSQL:
  Secret name and keys (resolved in the workflow's namespace), Service, port and database, and, outside the
  PostgreSQL namespace, serviceRef.namespace; its databaseSchema is the chart's;
- two objects with the same kind, namespace and name (upstream's 1.6 mta chart renders its SonataFlow
  twice) are reduced to the last one, as applying them in order would leave it.
Helm runs it as the post-renderer (`orch workflow post-render`), so the stored release already holds the
wiring and every `helm upgrade` through orch re-applies it instead of resetting it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from orchestrator_cli.core.secrets import b64
from orchestrator_cli.generations.detect import WorkflowPersistence

SONATAFLOW_API = "sonataflow.org/v1alpha08"
TOKEN_KEY = "NOTIFICATIONS_BEARER_TOKEN"
NOTIFICATIONS_URL = "BACKSTAGE_NOTIFICATIONS_URL"
CLUSTER_SCOPED = {"Namespace", "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding",
                  "SonataFlowClusterPlatform", "StorageClass", "PersistentVolume"}


@dataclass(frozen=True)
class WiringFacts:
    namespace: str  # the release namespace (objects without metadata.namespace land there)
    token: str = field(repr=False)  # BACKEND_SECRET: never printed
    notifications_url: str
    persistence: WorkflowPersistence
    env: tuple[tuple[str, str], ...] = ()  # workflow-specific variables, in order

    def environment(self) -> list[tuple[str, str]]:
        """Every variable a SonataFlow gets: the notifications URL first, then the others (--env may
        override the URL too)."""
        env = dict([(NOTIFICATIONS_URL, self.notifications_url), *self.env])
        return list(env.items())


@dataclass
class Wired:
    objects: list[dict]
    wired: list[str] = field(default_factory=list)  # what was set, by object (names only, never values)
    duplicates: list[str] = field(default_factory=list)


def is_sonataflow(obj: dict) -> bool:
    return obj.get("kind") == "SonataFlow" and str(obj.get("apiVersion", "")).startswith("sonataflow.org/")


def namespace_of(obj: dict, release_namespace: str) -> str | None:
    if obj.get("kind") in CLUSTER_SCOPED:
        return None
    return (obj.get("metadata") or {}).get("namespace") or release_namespace


def identity(obj: dict, release_namespace: str) -> tuple[str, str, str, str]:
    group = str(obj.get("apiVersion", "")).rpartition("/")[0]
    return (group, str(obj.get("kind", "")), namespace_of(obj, release_namespace) or "",
            str((obj.get("metadata") or {}).get("name", "")))


def describe(obj: dict, release_namespace: str) -> str:
    ns = namespace_of(obj, release_namespace)
    return f"{obj.get('kind')} {(obj.get('metadata') or {}).get('name')}" + (f" in {ns}" if ns else "")


def split_manifest(text: str) -> list[dict]:
    """The objects of a multi-document YAML manifest (empty documents and non-objects dropped)."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return [d for d in yaml.load_all(text, Loader=loader) if isinstance(d, dict) and d.get("kind")]  # noqa: S506


def join_manifest(objects: list[dict]) -> str:
    import yaml

    return "".join("---\n" + yaml.safe_dump(o, sort_keys=False) for o in objects)


def dedupe(objects: list[dict], release_namespace: str) -> tuple[list[dict], list[str]]:
    """The last object of each identity, in the position of its first occurrence."""
    last: dict[tuple, dict] = {}
    order: list[tuple] = []
    counts: dict[tuple, int] = {}
    for obj in objects:
        key = identity(obj, release_namespace)
        if key not in last:
            order.append(key)
        last[key] = obj
        counts[key] = counts.get(key, 0) + 1
    duplicates = [f"{describe(last[k], release_namespace)} is rendered {counts[k]} times; the last one is kept"
                  for k in order if counts[k] > 1]
    return [last[k] for k in order], duplicates


def _set_env(container: dict, variables: list[tuple[str, str]]) -> None:
    env = [dict(e) for e in container.get("env") or [] if isinstance(e, dict)]
    for name, value in variables:
        entry = {"name": name, "value": value}
        for i, existing in enumerate(env):
            if existing.get("name") == name:
                env[i] = entry
                break
        else:
            env.append(entry)
    container["env"] = env


def _env_from_secrets(flow: dict) -> set[str]:
    container = (((flow.get("spec") or {}).get("podTemplate") or {}).get("container") or {})
    return {(e.get("secretRef") or {}).get("name") for e in container.get("envFrom") or []
            if isinstance(e, dict) and (e.get("secretRef") or {}).get("name")}


def _wire_persistence(flow: dict, facts: WiringFacts, namespace: str) -> bool:
    pg = ((flow.get("spec") or {}).get("persistence") or {}).get("postgresql")
    if not isinstance(pg, dict) or ("jdbcUrl" in pg and "serviceRef" not in pg):
        return False  # the platform's persistence, or a JDBC URL the chart chose: left as is
    p = facts.persistence
    pg["secretRef"] = {**(pg.get("secretRef") or {}), "name": p.secret_name, "userKey": p.user_key,
                       "passwordKey": p.password_key}
    ref = {**(pg.get("serviceRef") or {}), "name": p.service_name, "port": p.port, "databaseName": p.database}
    if namespace != p.service_namespace:
        ref["namespace"] = p.service_namespace
    pg["serviceRef"] = ref
    return True


def wire(objects: list[dict], facts: WiringFacts) -> Wired:
    """Rendered objects -> objects with orch's wiring (pure; the input is not modified)."""
    objects, duplicates = dedupe([copy.deepcopy(o) for o in objects], facts.namespace)
    out = Wired(objects=objects, duplicates=duplicates)
    flows = [o for o in objects if is_sonataflow(o)]
    creds = {(namespace_of(f, facts.namespace), name) for f in flows for name in _env_from_secrets(f)}
    for obj in objects:
        ns = namespace_of(obj, facts.namespace)
        if obj.get("kind") == "Secret" and obj.get("apiVersion") == "v1":
            name = (obj.get("metadata") or {}).get("name")
            data = obj.get("data") or {}
            string_data = obj.get("stringData") or {}
            if TOKEN_KEY in data or TOKEN_KEY in string_data or (ns, name) in creds:
                # stringData would override data on write: the key moves out of it.
                string_data.pop(TOKEN_KEY, None)
                if "stringData" in obj:
                    obj["stringData"] = string_data
                    if not string_data:
                        del obj["stringData"]
                obj["data"] = {**data, TOKEN_KEY: b64(facts.token)}
                out.wired.append(f"{describe(obj, facts.namespace)}: {TOKEN_KEY} (the installation's BACKEND_SECRET)")
        elif is_sonataflow(obj):
            spec = obj.setdefault("spec", {})
            container = spec.setdefault("podTemplate", {}).setdefault("container", {})
            variables = facts.environment()
            _set_env(container, variables)
            what = [", ".join(name for name, _ in variables)]
            if _wire_persistence(obj, facts, ns or facts.namespace):
                p = facts.persistence
                where = f" in {p.service_namespace}" if ns != p.service_namespace else ""
                what.append(f"persistence -> Secret {p.secret_name}, Service {p.service_name}{where}")
            out.wired.append(f"{describe(obj, facts.namespace)}: " + "; ".join(what))
    return out


# -- is the wiring in place? (re-runs write nothing when it is) ------------------------------------------

def _subset(desired, live) -> bool:
    if isinstance(desired, dict):
        return isinstance(live, dict) and all(k in live and _subset(v, live[k]) for k, v in desired.items())
    if isinstance(desired, (int, float)) and not isinstance(desired, bool) and isinstance(live, str):
        return str(desired) == live
    return desired == live


def wiring_drift(desired: dict, live: dict | None) -> list[str]:
    """What of orch's wiring a live object lacks (pure): the token key of a wired Secret, a SonataFlow's
    variables and persistence refs. Other fields are Helm's business; existence is checked by the caller."""
    if live is None:
        return ["missing"]
    out = []
    if desired.get("kind") == "Secret":
        want = (desired.get("data") or {}).get(TOKEN_KEY)
        if want is not None and (live.get("data") or {}).get(TOKEN_KEY) != want:
            out.append(f"data.{TOKEN_KEY}")
    elif is_sonataflow(desired):
        d_container = (((desired.get("spec") or {}).get("podTemplate") or {}).get("container") or {})
        l_container = (((live.get("spec") or {}).get("podTemplate") or {}).get("container") or {})
        live_env = {e.get("name"): e for e in l_container.get("env") or [] if isinstance(e, dict)}
        for e in d_container.get("env") or []:
            if live_env.get(e.get("name")) != e:
                out.append(f"env {e.get('name')}")
        d_pg = ((desired.get("spec") or {}).get("persistence") or {}).get("postgresql")
        l_pg = ((live.get("spec") or {}).get("persistence") or {}).get("postgresql")
        if isinstance(d_pg, dict) and not _subset(d_pg, l_pg):
            out.append("spec.persistence.postgresql")
    return out
