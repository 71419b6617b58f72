"""What a support bundle holds, as data: one Collector per part of the troubleshooting page.

A collector reads (never writes) and yields (path, text) entries; the archive redacts and stores
them. A collector that cannot read something records why in `ctx.errors` and goes on, so a bundle
from a half-broken cluster still holds everything that could be read. Order matters once: the
Secrets are read first, so every secret value is known to the redactor before any other text
(CR specs, pod logs) is written.

The bundle's namespaces are the installation's own (from generations/detect.py, or the default
generation's names when no Orchestrator CR is found, e.g. after a failed install) plus every
workflow namespace and every namespace orch created; lists run per namespace, or once cluster-wide
and grouped when there are many (request count does not grow with the namespace count).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator

import yaml

from orchestrator_cli.core.namespaces import WORKFLOW_LABEL
from orchestrator_cli.core.ownership import MANAGED_BY_KEY, MANAGED_BY_VALUE, WORKFLOW_NAMESPACE_MARK, created_by_orch
from orchestrator_cli.core.secrets import printable_secret, register_secret_object
from orchestrator_cli.kube.client import RESOURCES, LogUnavailable, NotServed

PER_NAMESPACE_LIMIT = 20  # above this many namespaces, a kind is listed once cluster-wide and grouped
EVENTS_PER_NAMESPACE = 1000
LOG_TAIL_LINES = 1000
LOG_LIMIT_BYTES = 512 * 1024
MAX_LOGS = 300  # container logs per bundle (a cluster with hundreds of workflow pods)
LOG_GIVE_UP_AFTER = 3  # the same failure for the first N logs: the API server does not serve logs here

Entry = tuple[str, str]


@dataclass
class BundleContext:
    kube: Any
    inst: Any  # generations.detect.Installation | None
    namespaces: list[str]
    namespace_objects: list[dict]
    day2_opts: Any
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    pods: dict[str, list[dict]] = field(default_factory=dict)  # filled by the workloads collector


@dataclass(frozen=True)
class Collector:
    id: str
    description: str
    collect: Callable[[BundleContext], Iterable[Entry]]


# -- helpers --------------------------------------------------------------------------------------

def clean(obj: dict) -> dict:
    """An object as the bundle stores it: no managedFields (noise); Secrets without their values (pure)."""
    md = {k: v for k, v in (obj.get("metadata") or {}).items() if k != "managedFields"}
    out = {**obj, "metadata": md}
    return printable_secret(out) if out.get("kind") == "Secret" else out


def as_yaml(items: list[dict]) -> str:
    return yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": items}, sort_keys=False)


def plural(api_version: str, kind: str) -> str:
    name = RESOURCES[(api_version, kind)][0]
    group = api_version.rpartition("/")[0]
    return f"{name}.{group}" if group and not group.endswith("k8s.io") and group not in ("apps",) else name


def _list(ctx: BundleContext, api_version: str, kind: str, namespace: str | None = None, **kw) -> list[dict]:
    try:
        items, _ = ctx.kube.list(api_version, kind, namespace, **kw)
    except NotServed:
        return []
    except Exception as exc:  # noqa: BLE001 - forbidden, a flapping server: note it, keep collecting
        ctx.errors.append(f"list {kind}{' in ' + namespace if namespace else ''}: {getattr(exc, 'message', exc)}")
        return []
    for item in items:
        item.setdefault("apiVersion", api_version)
        item.setdefault("kind", kind)
    return items


def list_in_namespaces(ctx: BundleContext, api_version: str, kind: str, **kw) -> dict[str, list[dict]]:
    """Objects of one kind in the bundle's namespaces, grouped by namespace."""
    wanted = set(ctx.namespaces)
    if len(ctx.namespaces) <= PER_NAMESPACE_LIMIT:
        return {ns: _list(ctx, api_version, kind, ns, **kw) for ns in ctx.namespaces}
    grouped: dict[str, list[dict]] = {ns: [] for ns in ctx.namespaces}
    for obj in _list(ctx, api_version, kind, **kw):
        ns = (obj.get("metadata") or {}).get("namespace")
        if ns in wanted:
            grouped[ns].append(obj)
    return grouped


def by_namespace(items: Iterable[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for obj in items:
        out.setdefault((obj.get("metadata") or {}).get("namespace") or "", []).append(obj)
    return out


def dedupe(items: Iterable[dict]) -> list[dict]:
    """One object per uid: a kind served in two versions lists the same objects twice."""
    seen: set = set()
    out = []
    for obj in items:
        uid = (obj.get("metadata") or {}).get("uid") or id(obj)
        if uid not in seen:
            seen.add(uid)
            out.append(obj)
    return out


def kind_entries(api_version: str, kind: str, grouped: dict[str, list[dict]]) -> Iterator[Entry]:
    name = plural(api_version, kind)
    for ns, items in sorted(grouped.items()):
        if items:
            where = f"namespaces/{ns}" if ns else "cluster-scoped"
            yield f"{where}/{name}.yaml", as_yaml([clean(o) for o in items])


def cluster_wide(ctx: BundleContext, *kinds: tuple[str, str]) -> Iterator[Entry]:
    for api_version, kind in kinds:
        yield from kind_entries(api_version, kind, by_namespace(dedupe(_list(ctx, api_version, kind))))


def in_namespaces(ctx: BundleContext, *kinds: tuple[str, str], **kw) -> Iterator[Entry]:
    for api_version, kind in kinds:
        yield from kind_entries(api_version, kind, list_in_namespaces(ctx, api_version, kind, **kw))


def served_versions(kind: str) -> list[str]:
    return [api for (api, k) in RESOURCES if k == kind]


# -- namespaces ----------------------------------------------------------------------------------

def installation_namespaces(inst) -> set[str]:
    """The namespaces one installation uses (from detect's Installation, or the default generation's names)."""
    from orchestrator_cli.generations import DEFAULT_VERSION, GENERATIONS
    from orchestrator_cli.generations.detect import operator_subscriptions

    if inst is None:
        gen = GENERATIONS[DEFAULT_VERSION]
        names = {"orchestrator", "sonataflow-infra", "rhdh-operator", gen.operator.namespace,
                 gen.operator.source_namespace, gen.serverless.namespace, gen.serverless_logic.namespace}
        names |= {w.namespace.format(workflow_namespace="sonataflow-infra", rhdh_namespace="rhdh-operator")
                  for w in gen.wait_list}
        return names
    gen = inst.generation
    names = {inst.orchestrator_namespace, inst.workflow_namespace, inst.rhdh_namespace, inst.postgres_namespace,
             inst.argocd_namespace, gen.operator.namespace, gen.operator.source_namespace}
    names |= {ref.namespace for _, ref in operator_subscriptions(inst)}
    names |= {w.namespace.format(workflow_namespace=inst.workflow_namespace, rhdh_namespace=inst.rhdh_namespace)
              for w in gen.wait_list}
    return {n for n in names if n}


def bundle_namespaces(inst, all_namespaces: list[dict]) -> list[str]:
    """Existing namespaces among the installation's, every workflow namespace and what orch created (pure)."""
    wanted = installation_namespaces(inst)
    for ns in all_namespaces:
        md = ns.get("metadata") or {}
        labels, annotations = md.get("labels") or {}, md.get("annotations") or {}
        if (WORKFLOW_LABEL in labels or WORKFLOW_NAMESPACE_MARK in annotations or created_by_orch(ns)
                or labels.get(MANAGED_BY_KEY) == MANAGED_BY_VALUE):
            wanted.add(md["name"])
    existing = {(n.get("metadata") or {}).get("name") for n in all_namespaces}
    return sorted(wanted & existing)


# -- the collectors ------------------------------------------------------------------------------

def collect_secrets(ctx: BundleContext) -> Iterator[Entry]:
    grouped = list_in_namespaces(ctx, "v1", "Secret")
    for items in grouped.values():
        for secret in items:
            register_secret_object(secret)  # before any other text is written
    yield from kind_entries("v1", "Secret", grouped)


def collect_cluster(ctx: BundleContext) -> Iterator[Entry]:
    from orchestrator_cli.day2.version import cluster_info

    try:
        info = cluster_info(ctx.kube)
    except Exception as exc:  # noqa: BLE001
        info = {"error": getattr(exc, "message", str(exc))}
        ctx.errors.append(f"versions: {info['error']}")
    yield "cluster/version.json", json.dumps(info, indent=2, default=str)
    yield "cluster/nodes.yaml", as_yaml([clean(n) for n in _list(ctx, "v1", "Node")])
    wanted = set(ctx.namespaces)
    yield "cluster/namespaces.yaml", as_yaml([clean(n) for n in ctx.namespace_objects
                                               if n["metadata"]["name"] in wanted])


def collect_custom_resources(ctx: BundleContext) -> Iterator[Entry]:
    for kind in ("Orchestrator", "Backstage"):
        items: list[dict] = []
        for api in served_versions(kind):
            items += _list(ctx, api, kind)
        items = dedupe(items)
        if items:
            yield from kind_entries(items[0]["apiVersion"], kind, by_namespace(items))
    yield from cluster_wide(ctx, ("sonataflow.org/v1alpha08", "SonataFlowPlatform"),
                            ("sonataflow.org/v1alpha08", "SonataFlowClusterPlatform"),
                            ("sonataflow.org/v1alpha08", "SonataFlow"),
                            ("operator.knative.dev/v1beta1", "KnativeServing"),
                            ("operator.knative.dev/v1beta1", "KnativeEventing"))


def collect_olm(ctx: BundleContext) -> Iterator[Entry]:
    olm = "operators.coreos.com/v1alpha1"
    yield from in_namespaces(ctx, (olm, "Subscription"), (olm, "InstallPlan"), (olm, "CatalogSource"),
                             ("operators.coreos.com/v1", "OperatorGroup"))
    # OLM copies a global operator's CSV into every namespace; the copies say nothing new
    yield from in_namespaces(ctx, (olm, "ClusterServiceVersion"), label_selector="!olm.copiedFrom")


def collect_workloads(ctx: BundleContext) -> Iterator[Entry]:
    yield from in_namespaces(ctx, ("apps/v1", "Deployment"), ("apps/v1", "StatefulSet"),
                             ("v1", "PersistentVolumeClaim"))
    pods = list_in_namespaces(ctx, "v1", "Pod")
    ctx.pods = pods
    yield from kind_entries("v1", "Pod", pods)


def event_line(e: dict) -> str:
    obj = e.get("involvedObject") or {}
    when = e.get("lastTimestamp") or e.get("eventTime") or (e.get("metadata") or {}).get("creationTimestamp") or ""
    count = f" (x{e['count']})" if (e.get("count") or 1) > 1 else ""
    return (f"{when} {e.get('type', '')} {e.get('reason', '')} {obj.get('kind', '')}/{obj.get('name', '')}"
            f"{count}: {e.get('message', '')}").strip()


def collect_events(ctx: BundleContext) -> Iterator[Entry]:
    def when(e: dict) -> str:
        return e.get("lastTimestamp") or e.get("eventTime") or (e.get("metadata") or {}).get("creationTimestamp") or ""

    for ns, items in sorted(list_in_namespaces(ctx, "v1", "Event").items()):
        if not items:
            continue
        recent = sorted(items, key=when)[-EVENTS_PER_NAMESPACE:]
        yield f"namespaces/{ns}/events.txt", "\n".join(event_line(e) for e in recent) + "\n"
        yield f"namespaces/{ns}/events.yaml", as_yaml([clean(e) for e in recent])


def collect_networking(ctx: BundleContext) -> Iterator[Entry]:
    yield from in_namespaces(ctx, ("networking.k8s.io/v1", "NetworkPolicy"), ("v1", "Service"),
                             ("route.openshift.io/v1", "Route"), ("networking.k8s.io/v1", "Ingress"))


def collect_status(ctx: BundleContext) -> Iterator[Entry]:
    """`orch status -o json`, run in-process (its exit code noted: 8 means unhealthy, which is why we are here)."""
    import io

    from orchestrator_cli.core.errors import OrchError
    from orchestrator_cli.day2.status import status
    from orchestrator_cli.report.reporters import JsonReporter

    out = io.StringIO()
    reporter = JsonReporter(out)
    code = 0
    try:
        status(ctx.day2_opts, reporter)
    except OrchError as exc:
        reporter.error(exc)
        code = exc.exit_code
    finally:
        reporter.close()
    ctx.notes.append("orch status: healthy (exit 0)" if code == 0
                     else f"orch status: exit {code} (see orch-status.json)")
    yield "orch-status.json", out.getvalue()


def _containers(pod: dict) -> list[tuple[str, int]]:
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    restarts = {c.get("name"): c.get("restartCount") or 0
                for c in (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or [])}
    names = [c["name"] for c in (spec.get("initContainers") or []) + (spec.get("containers") or []) if c.get("name")]
    return [(n, restarts.get(n, 0)) for n in names]


def log_targets(pods: dict[str, list[dict]], limit: int = MAX_LOGS) -> tuple[list[tuple[str, str, str, bool]], int]:
    """(namespace, pod, container, previous) to read, pods that are not ready first; and how many were left out."""
    def ready(p: dict) -> bool:
        return any(c.get("type") == "Ready" and c.get("status") == "True"
                   for c in (p.get("status") or {}).get("conditions") or [])

    flat = sorted(((ns, p) for ns, items in pods.items() for p in items),
                  key=lambda t: (ready(t[1]), t[0], t[1]["metadata"]["name"]))
    targets = []
    for ns, pod in flat:
        for container, restarts in _containers(pod):
            targets.append((ns, pod["metadata"]["name"], container, False))
            if restarts:
                targets.append((ns, pod["metadata"]["name"], container, True))
    return targets[:limit], max(0, len(targets) - limit)


def collect_logs(ctx: BundleContext) -> Iterator[Entry]:
    targets, left_out = log_targets(ctx.pods)
    if left_out:
        ctx.notes.append(f"logs: {left_out} container log(s) left out (at most {MAX_LOGS} per bundle, "
                         "not-ready pods first)")
    failures: list[str] = []
    served = 0
    for i, (ns, pod, container, previous) in enumerate(targets):
        if not served and len(failures) >= LOG_GIVE_UP_AFTER and len(set(failures)) == 1:
            ctx.notes.append(f"logs: the API server serves no pod logs here ({failures[0]}); "
                             f"{len(targets) - i} more not tried")
            break
        try:
            text = ctx.kube.pod_log(pod, ns, container, tail_lines=LOG_TAIL_LINES, limit_bytes=LOG_LIMIT_BYTES,
                                    previous=previous)
        except LogUnavailable as exc:
            failures.append(str(exc))
            ctx.errors.append(f"log {ns}/{pod}/{container}{' (previous)' if previous else ''}: {exc}")
            continue
        served += 1
        yield f"namespaces/{ns}/logs/{pod}/{container}{'.previous' if previous else ''}.log", text


COLLECTORS: tuple[Collector, ...] = (
    Collector("secrets", "Secrets (names, types and keys; every value redacted)", collect_secrets),
    Collector("cluster", "versions, nodes, namespaces", collect_cluster),
    Collector("custom-resources", "Orchestrator, SonataFlowPlatform, SonataFlow, Knative and Backstage CRs",
              collect_custom_resources),
    Collector("olm", "Subscriptions, InstallPlans, CSVs, OperatorGroups, CatalogSources", collect_olm),
    Collector("workloads", "Deployments, StatefulSets, Pods, PVCs with their conditions", collect_workloads),
    Collector("events", "recent Events", collect_events),
    Collector("networking", "NetworkPolicies, Services, Routes", collect_networking),
    Collector("status", "orch status -o json", collect_status),
    Collector("logs", "pod logs (where the API serves them)", collect_logs),
)
