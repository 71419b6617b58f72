"""`orch status`'s checks as data: pure functions of a Snapshot (no I/O; day2/status.py gathers it).

One check per wait-list item (the same list install waits on), PostgreSQL, the Backstage URL, each
workflow namespace, each SonataFlow workflow, and the upstream troubleshooting guide's known failures.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

from orchestrator_cli.day2.ns_assess import NamespaceReport, namespace_check
from orchestrator_cli.generations.detect import Installation
from orchestrator_cli.health import readiness
from orchestrator_cli.health.checks import Check, CheckFailed, CheckResult, Skip, run_checks
from orchestrator_cli.health.hints import DATA_INDEX_ID, hint_for
from orchestrator_cli.kube.client import Ref

ZIP_BOMB = "Zip bomb detected"
DYNAMIC_PLUGINS_INIT = "install-dynamic-plugins"


@dataclass(frozen=True)
class Item:
    id: str
    ref: Ref
    ready: str  # readiness.predicate_for name


@dataclass
class Snapshot:
    inst: Installation
    items: list[Item]
    objects: dict[Ref, dict | None]
    pods: dict[Ref, list[dict]]  # pods of workload items
    namespaces: list[NamespaceReport]
    workflows: list[dict]
    workflow_pods: dict[tuple[str, str], list[dict]]
    rhdh_pods: list[dict]
    route: dict | None
    postgres: dict
    events: Callable[[Ref], list[str]] = lambda ref: []
    taken: float = field(default_factory=time.time)


# -- pure evaluation --------------------------------------------------------------------------

def item_state(item: Item, obj: dict | None, pods: list[dict]) -> readiness.State:
    verdict = readiness.predicate_for(item.ready)(obj)
    if isinstance(verdict, readiness.Waiting):
        for pod in pods:
            reason = readiness.pod_failure(pod)
            if reason:
                return readiness.Failed(reason)
    return verdict


def zip_bomb(pod: dict) -> str | None:
    """The RHDH dynamic-plugins 'Zip bomb detected' failure (MAX_ENTRY_SIZE too small), from pod status (pure)."""
    status = pod.get("status") or {}
    for cs in (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or []):
        for state in ((cs or {}).get("state") or {}, (cs or {}).get("lastState") or {}):
            for phase in ("terminated", "waiting"):
                msg = (state.get(phase) or {}).get("message") or ""
                if ZIP_BOMB in msg:
                    line = next((ln.strip() for ln in msg.splitlines() if ZIP_BOMB in ln), msg.strip())
                    return f"pod {pod['metadata']['name']} container {cs.get('name')}: {line}"
    return None


def _ts(value: str | None) -> float | None:
    if not value:
        return None
    import datetime as dt

    try:
        return dt.datetime.strptime(value.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S%z").timestamp()
    except ValueError:
        return None


def data_index_available_since(snapshot: Snapshot) -> float | None:
    item = next((i for i in snapshot.items if i.id == DATA_INDEX_ID), None)
    if item is None:
        return None
    c = readiness.condition(snapshot.objects.get(item.ref), "Available")
    if not c or c.get("status") != "True":
        return None
    return _ts(c.get("lastTransitionTime"))


def _item_check(snapshot: Snapshot, item: Item) -> Check:
    ref = item.ref

    def run(_ctx) -> str:
        obj = snapshot.objects.get(ref)
        verdict = item_state(item, obj, snapshot.pods.get(ref, []))
        if isinstance(verdict, readiness.Ready):
            return verdict.reason
        details = [f"condition {c.get('type')}={c.get('status')} {c.get('reason') or ''} {c.get('message') or ''}"
                   .rstrip() for c in readiness.conditions(obj)]
        details += [f"event {e}" for e in snapshot.events(ref)]
        state = "failed" if isinstance(verdict, readiness.Failed) else "not ready"
        raise CheckFailed(f"{state}: {verdict.reason}", details)

    return Check(id=item.id, description=str(ref), hint=hint_for(item.id, ref), run=run, category="components")


def _workflow_check(snapshot: Snapshot, wf: dict, enabled: set[str] | None = None) -> Check:
    ns, name = wf["metadata"]["namespace"], wf["metadata"]["name"]
    enabled = enabled if enabled is not None else {r.name for r in snapshot.namespaces}

    def run(_ctx) -> str:
        conds = readiness.conditions(wf)
        running = readiness.condition(wf, "Running")
        summary = ", ".join(f"{c.get('type')}={c.get('status')}" for c in conds) or "no conditions yet"
        details = [f"condition {c.get('type')}={c.get('status')} {c.get('reason') or ''} {c.get('message') or ''}"
                   .rstrip() for c in conds]
        for pod in snapshot.workflow_pods.get((ns, name), []):
            reason = readiness.pod_failure(pod)
            if reason:
                details.append(reason)
        if ns not in enabled:
            raise CheckFailed(f"namespace {ns} is not a workflow namespace ({summary})",
                              details + [f"run `orch workflow add-namespace {ns}` (label, network policies, "
                                         "PostgreSQL secret)"])
        if not running or running.get("status") != "True":
            raise CheckFailed(f"not running ({summary})", details)
        di_item = next((i for i in snapshot.items if i.id == DATA_INDEX_ID), None)
        if di_item is not None:
            di = item_state(di_item, snapshot.objects.get(di_item.ref), snapshot.pods.get(di_item.ref, []))
            if not isinstance(di, readiness.Ready):
                raise CheckFailed(f"running, but data-index is not ready ({di.reason}): the workflow is not "
                                  "listed in RHDH until data-index is ready",
                                  [f"then restart the workflow: kubectl -n {ns} rollout restart deployment/{name}"])
        url = ((wf.get("status") or {}).get("address") or {}).get("url") or ""
        return f"Running{' at ' + url if url else ''}"

    return Check(id=f"workflow/{ns}/{name}", description=f"SonataFlow {name} in {ns}",
                 hint=f"kubectl -n {ns} describe sonataflow {name}", run=run, category="workflows")


def started_before_data_index(snapshot: Snapshot, wf: dict) -> bool:
    """Troubleshooting guide: a workflow whose pods all started before data-index became Available may be
    missing from RHDH's list (it registers at start-up); restarting it fixes that (pure)."""
    ns, name = wf["metadata"]["namespace"], wf["metadata"]["name"]
    since = data_index_available_since(snapshot)
    started = [_ts((p.get("status") or {}).get("startTime")) for p in snapshot.workflow_pods.get((ns, name), [])]
    return bool(since and started and all(s is not None and s < since for s in started))


def _listing_check(wf: dict) -> Check:
    ns, name = wf["metadata"]["namespace"], wf["metadata"]["name"]

    def run(_ctx) -> str:
        raise CheckFailed("started before data-index became available: it may be missing from RHDH's workflow list")

    return Check(id=f"workflow-listed/{ns}/{name}", description=f"SonataFlow {name} registered with data-index",
                 hint=f"restart it: kubectl -n {ns} rollout restart deployment/{name}", run=run, fatal=False,
                 category="workflows")


def _postgres_check(snapshot: Snapshot) -> Check | None:
    pg = snapshot.postgres
    if pg.get("deployed_by_orch"):
        return None  # a wait item ("postgres") covers it

    def run(_ctx) -> str:
        if not pg.get("service_found"):
            raise CheckFailed(f"Service {pg['service']} not found in {pg['namespace']}")
        return f"external PostgreSQL: Service {pg['service']} in {pg['namespace']}"

    return Check(id="postgres", description="PostgreSQL (external)", run=run, category="components",
                 hint="data-index and jobs-service need it; check the Orchestrator CR's spec.postgres")


def _backstage_url_check(snapshot: Snapshot) -> Check:
    from orchestrator_cli.day2.entry import backstage_entry_ref, entry_url

    def run(_ctx) -> str:
        if snapshot.inst.existing_rhdh:
            raise Skip(f"existing RHDH in {snapshot.inst.rhdh_namespace}: its URL is not managed by orch")
        url = entry_url(snapshot.route)
        if not url:
            ref = backstage_entry_ref(snapshot.inst)
            raise CheckFailed(f"no {'admitted ' if ref.kind == 'Route' else ''}{ref.kind} {ref.name} in "
                              f"{snapshot.inst.rhdh_namespace}")
        return url

    return Check(id="backstage-url", description="Backstage URL", run=run, category="rhdh",
                 hint="the RHDH operator creates the Route with the Backstage CR")


def _zip_bomb_check(snapshot: Snapshot) -> Check:
    def run(_ctx) -> str:
        found = [z for z in (zip_bomb(p) for p in snapshot.rhdh_pods) if z]
        if found:
            raise CheckFailed("RHDH's dynamic-plugins init container rejected the orchestrator plugin "
                              "(\"Zip bomb detected\": MAX_ENTRY_SIZE too small)", found)
        return "no known init-container failure"

    return Check(id="rhdh-dynamic-plugins", description="RHDH dynamic plugins (troubleshooting)", run=run,
                 category="rhdh",
                 hint=f"set env MAX_ENTRY_SIZE=30000000 on the {DYNAMIC_PLUGINS_INIT} init container (Backstage "
                      "CR spec.deployment.patch), then let the pod restart (redhat-developer/rhdh#803)")


def build_checks(snapshot: Snapshot) -> list[Check]:
    checks = [_item_check(snapshot, item) for item in snapshot.items]
    pg = _postgres_check(snapshot)
    if pg is not None:
        checks.append(pg)
    checks += [_backstage_url_check(snapshot), _zip_bomb_check(snapshot)]
    checks += [namespace_check(r) for r in snapshot.namespaces]
    enabled = {r.name for r in snapshot.namespaces}  # once, not per workflow
    for wf in sorted(snapshot.workflows, key=lambda w: (w["metadata"]["namespace"], w["metadata"]["name"])):
        checks.append(_workflow_check(snapshot, wf, enabled))
        if started_before_data_index(snapshot, wf):
            checks.append(_listing_check(wf))
    return checks


class _Collect:
    def __init__(self) -> None:
        self.results: list[CheckResult] = []

    def check_result(self, result: CheckResult) -> None:
        self.results.append(result)


def evaluate(snapshot: Snapshot, observer=None) -> list[CheckResult]:
    return run_checks(build_checks(snapshot), snapshot, observer or _Collect())


def healthy(results: list[CheckResult]) -> bool:
    return not any(r.status == "failed" for r in results)


def summary(snapshot: Snapshot, results: list[CheckResult]) -> dict:
    from orchestrator_cli.day2.entry import entry_url

    inst = snapshot.inst
    return {
        "command": "status",
        "version": inst.version,
        "orchestrator_cr": str(inst.cr_ref),
        "healthy": healthy(results),
        "problems": [r.check.id for r in results if r.status == "failed"],
        "warnings": [r.check.id for r in results if r.status == "warning"],
        "backstage_url": None if inst.existing_rhdh else entry_url(snapshot.route),
        "postgres": snapshot.postgres,
        "namespaces": [r.to_dict() for r in snapshot.namespaces],
        "workflows": [{"namespace": w["metadata"]["namespace"], "name": w["metadata"]["name"],
                       "conditions": [{k: c.get(k) for k in ("type", "status", "reason", "message")}
                                      for c in readiness.conditions(w)]} for w in snapshot.workflows],
    }
