"""`orch cleanup` against an independent observer: how long did the objects themselves take to go, and how
much did orch's waiting add on top?

Before the run the bench plans the cleanup with orch's own planner (read-only, a bench User-Agent, not counted),
then watches every object the plan deletes — one watch per kind and namespace, its own client — and records
when each object's DELETED event arrives. orch runs as a subprocess with plain output; a phase ends, for orch,
when it prints the next phase's `==>` line (or its closing lines). Per phase:

    objects gone  = last DELETED event of the phase's objects − the phase's `==>` line
    orch's lag    = the phase's end in orch's output − that last DELETED event

The goal (issue 15) is a cleanup whose waiting adds at most 1 s in total over the objects' own deletion time
(finalizers processed by the simulated operators, namespaces finalized by the namespace controller), i.e. the
sum of the lags is at most 1 s.
"""

from __future__ import annotations

import threading
import time


def _kube(cluster):
    from orchestrator_cli.kube.client import connect

    kube = connect(str(cluster.kubeconfig))
    kube.api_client.user_agent = "bench-observer"  # not orch/...: not counted
    return kube


def plan(cluster) -> list:
    """The phases orch would run (its planner, read-only): [(phase id, title, [Ref to delete])]."""
    from orchestrator_cli.day2.cleanup_plan import CleanupOptions, plan_cleanup
    from orchestrator_cli.generations.detect import detect_optional

    kube = _kube(cluster)
    p = plan_cleanup(kube, detect_optional(kube), CleanupOptions())
    return [(ph.id, ph.title, [t.ref for t in ph.targets if t.release is None]) for ph in p.phases if ph.targets]


class Observer:
    """Watches the given objects; `gone[(kind, namespace, name)]` = perf_counter time of its DELETED event."""

    def __init__(self, cluster, refs: list):
        from orchestrator_cli.health.waiter import gone_groups

        self.kube = _kube(cluster)
        self.gone: dict[tuple, float] = {}
        self.halt = threading.Event()
        groups = gone_groups(refs)
        self.listed = [threading.Event() for _ in groups]
        self.threads = [threading.Thread(target=self._watch, args=(key, set(members), listed), daemon=True)
                        for (key, members), listed in zip(groups.items(), self.listed)]

    def start(self) -> None:
        for t in self.threads:
            t.start()
        for listed in self.listed:
            listed.wait(60)  # every watch has listed: nothing deleted from now on is missed

    def _watch(self, key: tuple, members: set, listed_once: threading.Event) -> None:
        try:
            self._watch_loop(key, members, listed_once)
        finally:
            listed_once.set()

    def _watch_loop(self, key: tuple, members: set, listed_once: threading.Event) -> None:
        from orchestrator_cli.kube.resources import Gone, NotServed

        api, kind, namespace = key
        while members and not self.halt.is_set():
            try:
                items, rv = self.kube.list(api, kind, namespace)
                listed = {((o.get("metadata") or {}).get("namespace"), o["metadata"]["name"]) for o in items}
                for m in members - listed:
                    self.gone.setdefault((kind, *m), time.perf_counter())
                members &= listed
                listed_once.set()
                while members and not self.halt.is_set():
                    for etype, raw in self.kube.watch(api, kind, namespace, resource_version=rv, timeout_seconds=5):
                        md = raw.get("metadata") or {}
                        rv = md.get("resourceVersion") or rv
                        m = (md.get("namespace"), md.get("name"))
                        if etype == "DELETED" and m in members:
                            self.gone[(kind, *m)] = time.perf_counter()
                            members.discard(m)
                        if not members or self.halt.is_set():
                            break
            except Gone:
                continue
            except NotServed:
                for m in members:
                    self.gone.setdefault((kind, *m), time.perf_counter())
                return
            except Exception:  # noqa: BLE001 - the API server restarting: relist
                time.sleep(0.2)

    def stop(self) -> None:
        self.halt.set()


def run(cluster, run_orch, log, args: list[str]) -> dict:
    """Plan, observe, run `orch cleanup ARGS -o plain`; the run_orch figures plus the per-phase timings."""
    phases = plan(cluster)
    refs = [r for _, _, rs in phases for r in rs]
    observer = Observer(cluster, refs)
    observer.start()
    lines: list[tuple[float, str]] = []
    res = run_orch(cluster, [*args, "-o", "plain"], on_line=lambda line, t: lines.append((time.perf_counter(), line)))
    time.sleep(1.0)  # the last DELETED events reach the observer
    observer.stop()
    starts = {}
    for t, line in lines:
        for pid, title, _ in phases:
            if line.strip() == f"==> {title}":
                starts[pid] = t
    marks = sorted((t, line) for t, line in lines if line.startswith("==> ") or line.startswith("Cleanup finished"))
    out = []
    for pid, title, rs in phases:
        if pid not in starts:
            continue
        start = starts[pid]
        end = next((t for t, _ in marks if t > start), lines[-1][0] if lines else start)
        gone = [observer.gone.get((r.kind, r.namespace, r.name)) for r in rs]
        missing = [str(r) for r, g in zip(rs, gone) if g is None]
        last = max((g for g in gone if g is not None), default=start)
        out.append({"phase": pid, "objects": len(rs), "objects_gone_s": round(max(0.0, last - start), 2),
                    "orch_phase_s": round(end - start, 2), "orch_lag_s": round(end - max(last, start), 2),
                    "not_seen_gone": missing})
    res["phases"] = out
    res["objects_gone_total_s"] = round(sum(p["objects_gone_s"] for p in out), 2)
    res["orch_lag_total_s"] = round(sum(p["orch_lag_s"] for p in out), 2)
    res["slowest_phase_objects_s"] = max((p["objects_gone_s"] for p in out), default=0.0)
    log(f"cleanup: {res['wall_s']:.1f}s, objects gone in {res['objects_gone_total_s']:.1f}s, "
        f"orch's lag {res['orch_lag_total_s']:.2f}s")
    return res


def render(res: dict) -> list[str]:
    out = ["", "### `orch cleanup`: waiting by watching (independent observer, cluster A)", "",
           "| phase | objects deleted | objects gone (observer) | orch's phase | orch's lag |", "|---|---|---|---|---|"]
    for p in res["phases"]:
        out.append(f"| {p['phase']} | {p['objects']} | {p['objects_gone_s']:.2f} s | {p['orch_phase_s']:.2f} s | "
                   f"{p['orch_lag_s']:+.2f} s |")
    out.append(f"| **total** | {sum(p['objects'] for p in res['phases'])} | {res['objects_gone_total_s']:.2f} s | "
               f"wall {res['wall_s']:.2f} s | {res['orch_lag_total_s']:+.2f} s |")
    return out
