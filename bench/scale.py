"""Scale: `orch status`, `orch workflow list-namespaces` (and `orch workflow list` where it exists) with
10 / 100 / 500 workflow namespaces holding two SonataFlows each (1,000 at 500), on one installed cluster.

The namespaces are made of exactly the objects `orch workflow add-namespace` creates — built with
orch's own pure functions (day2.ns_desired: the Namespace with its label and mark, the three
NetworkPolicies, the PostgreSQL Secret copy) and applied through orch's adapter with a bench
User-Agent, so they are not counted as the measured commands' requests — plus two SonataFlows each
with their serviceRef pointing at the platform's PostgreSQL namespace (complete, as add-namespace
leaves them). The simulated SonataFlow operator reconciles them into Deployments and pods as the
real one does, so status reads real workloads. Each step waits until every SonataFlow is Running
before measuring.
"""

from __future__ import annotations

import os
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

SF_API = "sonataflow.org/v1alpha08"
STEPS = (10, 100, 500)
REPEATS = 3  # runs per command and step, interleaved: the median wall time (the machine is shared)
WORKFLOWS_PER_NAMESPACE = 2


def _kube(cluster):
    from orchestrator_cli.kube.client import connect

    kube = connect(str(cluster.kubeconfig))
    kube.api_client.user_agent = "bench-populate"  # not orch/...: not counted
    return kube


def workflow(name: str, namespace: str, inst) -> dict:
    return {"apiVersion": SF_API, "kind": "SonataFlow", "metadata": {"name": name, "namespace": namespace},
            "spec": {"flow": {"start": "hello", "states": []},
                     "persistence": {"postgresql": {
                         "secretRef": {"name": inst.postgres_secret, "userKey": inst.postgres_user_key,
                                       "passwordKey": inst.postgres_password_key},
                         "serviceRef": {"name": inst.postgres_service, "namespace": inst.postgres_namespace,
                                        "port": 5432, "databaseName": inst.postgres_database,
                                        "databaseSchema": name}}}}}


def namespace_objects(kube, inst, namespace: str, source_secret: dict) -> list[dict]:
    from orchestrator_cli.day2 import ns_desired as wns

    return [wns.desired_workflow_namespace(inst, namespace, None), *wns.desired_policies(inst, namespace),
            wns.desired_secret(inst, source_secret, namespace),
            *[workflow(f"wf-{i}", namespace, inst) for i in range(WORKFLOWS_PER_NAMESPACE)]]


def populate(cluster, start: int, stop: int) -> float:
    """Namespaces scale-<start>..scale-<stop-1>; returns the seconds it took until all workflows ran."""
    from orchestrator_cli.generations.detect import detect
    from orchestrator_cli.kube.client import Ref

    kube = _kube(cluster)
    inst = detect(kube)
    source = kube.get(Ref("v1", "Secret", inst.postgres_secret, inst.workflow_namespace))
    t0 = time.monotonic()

    def make(i: int) -> None:
        for obj in namespace_objects(kube, inst, f"scale-{i:03d}", source):
            kube.apply(obj)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(make, range(start, stop)))
    want = stop * WORKFLOWS_PER_NAMESPACE
    deadline = time.monotonic() + 1800
    while time.monotonic() < deadline:
        flows, _ = kube.list(SF_API, "SonataFlow")
        running = sum(1 for f in flows if any(c.get("type") == "Running" and c.get("status") == "True"
                                              for c in (f.get("status") or {}).get("conditions") or []))
        if running >= want:
            return time.monotonic() - t0
        time.sleep(2)
    raise SystemExit(f"only {running} of {want} SonataFlows Running after 30 min")


def commands(run_orch, cluster) -> dict[str, list[str]]:
    out = {"status": ["status", "-o", "plain"], "workflow list-namespaces": ["workflow", "list-namespaces", "-o", "plain"]}
    probe = run_orch(cluster, ["workflow", "list", "--help"])
    if probe["exit"] == 0:  # `orch workflow list` (issue 10) is measured where it exists
        out["workflow list"] = ["workflow", "list", "-o", "plain"]
    return out


def add_nodes(cluster, count: int = 3, pods: int = 500) -> None:
    """More kwok nodes, with room for the workflow pods (the harness's three take 110 pods each)."""
    kube = _kube(cluster)
    for i in range(count):
        name = f"kwok-scale-{i}"
        kube.create({"apiVersion": "v1", "kind": "Node",
                     "metadata": {"name": name, "annotations": {"node.alpha.kubernetes.io/ttl": "0",
                                                                "kwok.x-k8s.io/node": "fake"},
                                  "labels": {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
                                             "kubernetes.io/arch": "amd64", "type": "kwok"}},
                     "status": {"capacity": {"cpu": "1000", "memory": "4Ti", "pods": str(pods),
                                             "ephemeral-storage": "10Ti"},
                                "allocatable": {"cpu": "1000", "memory": "4Ti", "pods": str(pods),
                                                "ephemeral-storage": "10Ti"}}})


def run(cluster, run_orch, log) -> dict:
    """Measure each command at each step; the figures and their growth from the first to the last step."""
    add_nodes(cluster)
    results: dict = {"steps": {}, "populate_s": {}}
    done = 0
    for n in STEPS:
        log(f"scale: {n} workflow namespaces ({n * WORKFLOWS_PER_NAMESPACE} SonataFlows)")
        results["populate_s"][n] = round(populate(cluster, done, n), 1)
        done = n
        runs: dict[str, list[dict]] = {}
        load = os.getloadavg()[0]
        for _ in range(REPEATS):
            for name, args in commands(run_orch, cluster).items():
                runs.setdefault(name, []).append(run_orch(cluster, args))
        per = {}
        for name, rs in runs.items():
            walls = sorted(r["wall_s"] for r in rs)
            per[name] = {**rs[0], "wall_s": statistics.median(walls), "wall_min_s": walls[0], "wall_max_s": walls[-1],
                         "cpu_s": statistics.median(r["cpu_s"] for r in rs),
                         "requests": max(r["requests"] for r in rs), "peak_rss_mib": max(r["peak_rss_mib"] for r in rs),
                         "exit": max(r["exit"] for r in rs), "load_avg": round(load, 1)}
            log(f"  {name}: median {per[name]['wall_s']:.2f}s (min {walls[0]:.2f}s, CPU {per[name]['cpu_s']:.2f}s), "
                f"{per[name]['requests']} requests, "
                f"exit {per[name]['exit']}, load {load:.1f}")
        results["steps"][n] = per
    first, last = results["steps"][STEPS[0]], results["steps"][STEPS[-1]]
    results["growth"] = {name: {"requests": last[name]["requests"] - first[name]["requests"],
                                "wall_ratio": round(last[name]["wall_s"] / max(first[name]["wall_s"], 1e-9), 2),
                                "cpu_ratio": round(last[name]["cpu_s"] / max(first[name]["cpu_s"], 1e-9), 2),
                                "rss_mib": round(last[name]["peak_rss_mib"] - first[name]["peak_rss_mib"], 1)}
                         for name in first if name in last}
    return results


def render(s: dict) -> list[str]:
    steps = [int(k) for k in s["steps"]]
    out = ["", f"### Scale: workflow namespaces with {WORKFLOWS_PER_NAMESPACE} SonataFlows each", "",
           f"Wall: median of {REPEATS} interleaved runs (min–max); CPU: orch's user+system seconds (median), which the "
           "machine's load hardly changes; requests: API requests of one run (audit log); RSS: peak.",
           "",
           "| command | " + " | ".join(f"{n} ns: wall / CPU / requests / RSS" for n in steps) + " | growth 10 → 500 |",
           "|---|" + "---|" * (len(steps) + 1)]
    names = list(s["steps"][str(steps[0])] if str(steps[0]) in s["steps"] else s["steps"][steps[0]])
    for name in names:
        cells = []
        for n in steps:
            r = (s["steps"].get(str(n)) or s["steps"][n])[name]
            spread = f" ({r['wall_min_s']:.2f}–{r['wall_max_s']:.2f})" if "wall_min_s" in r else ""
            cpu = f" / {r['cpu_s']:.2f} s" if "cpu_s" in r else ""
            cells.append(f"{r['wall_s']:.2f} s{spread}{cpu} / {r['requests']} / {r['peak_rss_mib']:.0f} MiB"
                         + (f" (exit {r['exit']})" if r["exit"] else ""))
        g = s["growth"][name]
        cells.append(f"requests {g['requests']:+d}, wall ×{g['wall_ratio']}"
                     + (f", CPU ×{g['cpu_ratio']}" if "cpu_ratio" in g else "") + f", RSS {g['rss_mib']:+.0f} MiB")
        out.append(f"| `orch {name}` | " + " | ".join(cells) + " |")
    return out
