"""`orch status` (alias `orch check`): the post-install health view.

Two halves, as in cilium's status: `gather(kube, inst)` here reads the cluster into a Snapshot (the
only I/O), and `status_checks.build_checks(snapshot)` turns it into checks-as-data (checks.Check) that
are pure functions of the snapshot. The checks runner feeds the reporter (rendering is an observer);
`--wait` re-gathers until healthy, using the waiter's concurrent watches for the wait-list items.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from orchestrator_cli.core.ownership import is_managed
from orchestrator_cli.day2.entry import backstage_entry_ref
from orchestrator_cli.day2.ns_assess import assess_all
from orchestrator_cli.day2.ns_desired import SONATAFLOW_API
from orchestrator_cli.day2.status_checks import (  # noqa: F401 - the checks are part of status's interface
    DYNAMIC_PLUGINS_INIT,
    ZIP_BOMB,
    Item,
    Snapshot,
    build_checks,
    data_index_available_since,
    evaluate,
    healthy,
    item_state,
    started_before_data_index,
    summary,
    zip_bomb,
)
from orchestrator_cli.day2.workflow_pods import gather_workflow_pods
from orchestrator_cli.generations.detect import Installation
from orchestrator_cli.health import readiness
from orchestrator_cli.kube.client import NotServed, Ref

OLM = "operators.coreos.com/v1alpha1"
# Concurrent reads of one gather round (the adapter is thread-safe; its connection pool holds 32).
GATHER_CONCURRENCY = 8


@dataclass(frozen=True)
class _WaitConfig:
    """The InstallConfig attributes steps.wait_ready.wait_items() reads, from a detected installation."""

    generation: Any
    orchestrator_namespace: str
    workflow_namespace: str
    rhdh_namespace: str
    existing_rhdh: bool
    timeout: int = 300

    def timeout_for(self, _item_id: str) -> int:
        return self.timeout


def wait_list_items(inst: Installation) -> list[Item]:
    """The operator, the generation's wait list (same items as install) and PostgreSQL."""
    from orchestrator_cli.install.steps.wait_ready import wait_items

    if inst.platform == "kubernetes":
        from orchestrator_cli.platforms.kubernetes_day2 import status_items

        return [Item(i, ref, ready) for i, ref, ready in status_items(inst)]
    gen = inst.generation
    op = gen.operator
    items = [Item("operator", Ref(OLM, "ClusterServiceVersion", op.starting_csv, op.namespace), "csv"),
             Item("operator-deployment", Ref("apps/v1", "Deployment", op.deployment, op.namespace), "deployment")]
    cfg = _WaitConfig(gen, inst.orchestrator_namespace, inst.workflow_namespace, inst.rhdh_namespace,
                      inst.existing_rhdh)
    items += [Item(w.id, w.ref, w.ready) for w in wait_items(cfg)]
    return items


def _selector(obj: dict | None) -> str | None:
    labels = (((obj or {}).get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items())) or None


def _list(kube, api_version: str, kind: str, namespace: str | None = None, **kw) -> list[dict]:
    try:
        items, _ = kube.list(api_version, kind, namespace, **kw)
    except NotServed:
        return []
    return items


def gather(kube, inst: Installation, *, details: bool = True) -> Snapshot:
    """Read everything status needs (the only cluster I/O of status). The reads are independent of one
    another but for two rounds (pods need their owner's selector, workflow pods the SonataFlows), so
    each round runs concurrently: wall time is a few round trips, not one per object."""
    from concurrent.futures import ThreadPoolExecutor

    items = wait_list_items(inst)
    gen = inst.generation
    sub_ref = Ref(OLM, "Subscription", gen.operator.subscription, gen.operator.namespace) \
        if gen.operator.subscription else None
    pg_ref = Ref("apps/v1", "StatefulSet", inst.postgres_service, inst.postgres_namespace)
    entry_ref = None if inst.existing_rhdh else backstage_entry_ref(inst)
    with ThreadPoolExecutor(max_workers=GATHER_CONCURRENCY) as pool:
        sub_f = pool.submit(kube.get, sub_ref) if sub_ref else None
        object_fs = {item.ref: pool.submit(kube.get, item.ref) for item in items}
        pg_f = pool.submit(kube.get, pg_ref)
        workflows_f = pool.submit(_list, kube, SONATAFLOW_API, "SonataFlow")
        route_f = pool.submit(kube.get, entry_ref) if entry_ref else None
        rhdh_pods_f = pool.submit(_list, kube, "v1", "Pod", inst.rhdh_namespace) if inst.rhdh_namespace else None

        installed = (((sub_f.result() if sub_f else None) or {}).get("status") or {}).get("installedCSV")
        if installed and installed != items[0].ref.name:  # the CSV OLM actually installed for orch's Subscription
            items[0] = Item("operator", Ref(OLM, "ClusterServiceVersion", installed, gen.operator.namespace), "csv")
            object_fs[items[0].ref] = pool.submit(kube.get, items[0].ref)
        objects: dict[Ref, dict | None] = {}
        pod_fs = {}
        for item in items:
            obj = object_fs[item.ref].result()
            if obj is not None:
                obj = {**obj, "apiVersion": item.ref.api_version, "kind": item.ref.kind}
            objects[item.ref] = obj
            if readiness.has_pods(item.ready) and obj is not None and _selector(obj):
                pod_fs[item.ref] = pool.submit(_list, kube, "v1", "Pod", item.ref.namespace,
                                               label_selector=_selector(obj))

        pg_sts = pg_f.result()
        if pg_sts is not None and is_managed(pg_sts):
            items.append(Item("postgres", pg_ref, "statefulset"))
            objects[pg_ref] = pg_sts
            if _selector(pg_sts):
                pod_fs[pg_ref] = pool.submit(_list, kube, "v1", "Pod", pg_ref.namespace, label_selector=_selector(pg_sts))
            postgres = {"deployed_by_orch": True}
        else:
            service = kube.get(Ref("v1", "Service", inst.postgres_service, inst.postgres_namespace))
            postgres = {"deployed_by_orch": False, "service_found": service is not None}
        postgres.update({"service": inst.postgres_service, "namespace": inst.postgres_namespace,
                         "secret": inst.postgres_secret, "database": inst.postgres_database})

        workflows = workflows_f.result()
        workflow_pods_f = pool.submit(gather_workflow_pods, kube, workflows)
        namespaces_f = pool.submit(assess_all, kube, inst, workflows)
        route = route_f.result() if route_f else None  # what exposes Backstage: the Route, or orch's Ingress
        if route is not None:
            route = {**route, "kind": entry_ref.kind}
        pods = {ref: f.result() for ref, f in pod_fs.items()}
        snapshot = dict(workflows=workflows, workflow_pods=workflow_pods_f.result(), namespaces=namespaces_f.result(),
                        rhdh_pods=rhdh_pods_f.result() if rhdh_pods_f else [])

    def events(ref: Ref) -> list[str]:
        return kube.events_for(ref) if details else []

    return Snapshot(inst=inst, items=items, objects=objects, pods=pods, route=route, postgres=postgres,
                    events=events, **snapshot)


# -- command --------------------------------------------------------------------------------

def status(opts, reporter) -> None:
    from orchestrator_cli.core.errors import Unhealthy
    from orchestrator_cli.day2.common import _connect
    from orchestrator_cli.generations.detect import detect
    from orchestrator_cli.health.waiter import WaitItem, wait_all

    kube = _connect(opts)
    inst = detect(kube)
    wait = bool(opts.extra.get("wait"))
    timeout = float(opts.extra.get("timeout") or 300)
    deadline = time.monotonic() + timeout
    snapshot = gather(kube, inst, details=not wait)
    if wait:
        results = evaluate(snapshot)
        if not healthy(results):
            failing = {r.check.id for r in results if r.status == "failed"}
            items = [WaitItem(i.id, i.ref, i.ready, max(1.0, deadline - time.monotonic()))
                     for i in snapshot.items if i.id in failing]
            if items:
                reporter.info(f"waiting up to {timeout:.0f}s for: {', '.join(i.id for i in items)}")
                wait_all(kube, items, reporter)
            told = None
            while True:
                snapshot = gather(kube, inst, details=False)
                results = evaluate(snapshot)
                failing_now = sorted(r.check.id for r in results if r.status == "failed")
                if not failing_now or time.monotonic() >= deadline:
                    break
                if failing_now != told:
                    reporter.info(f"still waiting for: {', '.join(failing_now)}")
                    told = failing_now
                time.sleep(min(2.0, max(0.0, deadline - time.monotonic())))
        snapshot = gather(kube, inst, details=True)
    reporter.checks_title = f"Orchestrator {inst.version} status"
    results = evaluate(snapshot, reporter)
    reporter.checks_done()
    reporter.summary(summary(snapshot, results))
    if not healthy(results):
        failed = [r for r in results if r.status == "failed"]
        raise Unhealthy(f"unhealthy: {', '.join(r.check.id for r in failed)} (see above)")
