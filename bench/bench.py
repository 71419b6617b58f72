"""orch benchmark: start-up, install wall time against a sequential `kubectl wait` list, no-op re-run,
requests / wall time / peak RSS per command. Run through bench/run.sh (inside `unshare -n`).

Everything is measured in one run, side by side; bench/results/latest.json keeps the raw figures and
bench/results/latest.md the tables that bench/README.md quotes.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # before the tests import: `python bench/bench.py` puts only bench/ on the path

import cleanup_bench  # noqa: E402 - bench/cleanup_bench.py, next to this file
from tests.cluster.audit import AuditLog  # noqa: E402


PY = sys.executable
ORCH = str(Path(PY).parent / "orch")
OUT = REPO / "bench" / "results"
N_STARTUP = int(os.environ.get("BENCH_STARTUP_RUNS", "21"))
# Operand delays (seconds from the triggering object's creation), the same on both clusters.
DELAYS = {"delay_seconds": {"installplan": 2, "csv:serverless-operator": 2, "knative-openshift": 3,
                            "knativeserving": 6, "knativeeventing": 4, "sonataflowplatform": 8,
                            "backstage-backstage": 10}}
# The upstream wait list (reference section 2.2), as `kubectl wait` commands run one after another.
WAIT_LIST = [
    ("knative-openshift", "openshift-serverless", "deployment/knative-openshift", "condition=Available"),
    ("knative-eventing", "knative-eventing", "knativeeventings.operator.knative.dev/knative-eventing", "condition=Ready"),
    ("knative-serving", "knative-serving", "knativeservings.operator.knative.dev/knative-serving", "condition=Ready"),
    ("logic-operator", "openshift-serverless-logic", "deployment/logic-operator-rhel8-controller-manager",
     "condition=Available"),
    ("sonataflow-platform", "sonataflow-infra", "sonataflowplatforms.sonataflow.org/sonataflow-platform",
     "condition=Succeed"),
    ("data-index", "sonataflow-infra", "deployment/sonataflow-platform-data-index-service", "condition=Available"),
    ("jobs-service", "sonataflow-infra", "deployment/sonataflow-platform-jobs-service", "condition=Available"),
    ("backstage-cr", "rhdh-operator", "backstages.rhdh.redhat.com/backstage", "condition=Deployed"),
    ("backstage", "rhdh-operator", "deployment/backstage-backstage", "condition=Available"),
]


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


# -- start-up ---------------------------------------------------------------------------------------------------
def startup() -> dict:
    cmds = {"python -c pass": [PY, "-c", "pass"], "orch --help": [ORCH, "--help"], "orch --version": [ORCH, "--version"],
            "orch install --help": [ORCH, "install", "--help"]}
    times: dict[str, list[float]] = {k: [] for k in cmds}
    for _ in range(N_STARTUP):  # interleaved, so load changes hit every command alike
        for name, argv in cmds.items():
            t = time.perf_counter()
            subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            times[name].append(time.perf_counter() - t)
    med = {k: statistics.median(v) for k, v in times.items()}
    base = med["python -c pass"]
    return {"runs": N_STARTUP, "median_s": med, "above_python_s": {k: v - base for k, v in med.items()},
            "ratio_to_python": {k: v / base for k, v in med.items()}}


# -- running orch with accounting --------------------------------------------------------------------------------
def run_orch(cluster, args: list[str], *, on_line=None, env=None) -> dict:
    """Wall time, exit code, API requests (audit log, User-Agent orch/), writes, peak RSS (/usr/bin/time)."""
    audit = AuditLog(cluster.audit_log)
    mark = audit.mark()
    rss_file = OUT / ".rss"
    argv = ["/usr/bin/time", "-f", "%M %U %S", "-o", str(rss_file), ORCH, *args]
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, env=env or cluster.env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, stdin=subprocess.DEVNULL)
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if on_line:
            on_line(line, time.perf_counter() - t0)
    code = proc.wait()
    wall = time.perf_counter() - t0
    time.sleep(0.5)
    events = audit.events(since=mark, user_agent_prefix="orch/")
    writes = [e for e in events if e.is_write and e.resource not in ("selfsubjectrulesreviews",
                                                                      "selfsubjectaccessreviews")]
    rss, user, system = rss_file.read_text().strip().splitlines()[-1].split()
    return {"args": args, "exit": code, "wall_s": wall, "requests": len(events), "writes": len(writes),
            "peak_rss_mib": int(rss) / 1024, "cpu_s": float(user) + float(system), "tail": "".join(lines[-6:])}


class Poller(threading.Thread):
    """Independent observer: when did each wait-list item become ready (seconds since `start`)?"""

    PATHS = {"deployment": "/apis/apps/v1/namespaces/{ns}/deployments/{name}",
             "knativeeventings.operator.knative.dev":
                 "/apis/operator.knative.dev/v1beta1/namespaces/{ns}/knativeeventings/{name}",
             "knativeservings.operator.knative.dev":
                 "/apis/operator.knative.dev/v1beta1/namespaces/{ns}/knativeservings/{name}",
             "sonataflowplatforms.sonataflow.org":
                 "/apis/sonataflow.org/v1alpha08/namespaces/{ns}/sonataflowplatforms/{name}",
             "backstages.rhdh.redhat.com": "/apis/rhdh.redhat.com/v1alpha1/namespaces/{ns}/backstages/{name}"}

    def __init__(self, cluster, start: float):
        super().__init__(daemon=True)
        from orchestrator_cli.kube.client import connect

        self.kube = connect(str(cluster.kubeconfig))
        self.kube.api_client.user_agent = "bench-poller"  # not counted as orch's requests
        self.errors: list[str] = []
        self.start_t = start
        self.ready: dict[str, float] = {}
        self.stop = threading.Event()

    def _get(self, path: str):
        from orchestrator_cli.kube.client import _raw

        return self.kube.dyn.request("get", path, serializer=_raw, _request_timeout=5)

    def run(self) -> None:
        while not self.stop.is_set() and len(self.ready) < len(WAIT_LIST):
            now = time.perf_counter() - self.start_t
            for item, ns, ref, cond in WAIT_LIST:
                if item in self.ready:
                    continue
                kind, name = ref.split("/")
                try:
                    obj = self._get(self.PATHS[kind].format(ns=ns, name=name))
                except Exception as exc:  # noqa: BLE001 - not there (or not served) yet
                    self.errors = (self.errors + [f"{item}: {exc.__class__.__name__}"])[-5:]
                    continue
                ctype = cond.split("=")[1]
                if any(c.get("type") == ctype and c.get("status") == "True"
                       for c in ((obj or {}).get("status") or {}).get("conditions") or []):
                    self.ready[item] = now
            time.sleep(0.25)


def set_delays(cluster) -> None:
    import yaml

    cluster.apply_manifests([
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "orch-sim"}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "simulator-config", "namespace": "orch-sim"},
         "data": {"config.yaml": yaml.safe_dump(DELAYS)}},
    ])


def install_with_timings(cluster, *, kubectl_baseline: bool) -> dict:
    """orch install; timestamps of its phases from the streamed plain output; an independent poller for
    the items' ready times; optionally the sequential kubectl wait list started when orch starts waiting."""
    marks: dict[str, float] = {}
    kubectl: dict = {}
    state = {"in_wait": False}
    poller_box = {}

    def start_kubectl(t_start: float) -> None:
        env = cluster.env()
        env["HOME"] = str(OUT / ".kubectl-home")
        kubectl_bin = str(Path(os.environ["ORCH_TESTBIN"]) / "kubectl")
        t0 = time.perf_counter()
        steps = []
        for item, ns, ref, cond in WAIT_LIST:
            for what in ("create", cond):
                r = subprocess.run([kubectl_bin, "wait", "-n", ns, ref, f"--for={what}", "--timeout=600s"], env=env,
                                   capture_output=True, text=True)
                if r.returncode != 0:
                    steps.append({"item": item, "error": r.stderr.strip()})
            steps.append({"item": item, "done_s": time.perf_counter() - t0})
        kubectl.update({"wall_s": time.perf_counter() - t0, "steps": steps, "started_at_s": t_start})

    kubectl_thread = None
    t_begin = time.perf_counter()

    def on_line(line: str, t: float) -> None:
        nonlocal kubectl_thread
        if line.startswith("==> Orchestrator custom resource"):
            poller = Poller(cluster, time.perf_counter())
            poller.start()
            poller_box["p"] = poller
            marks["cr_step"] = t
        if line.startswith("==> Components ready"):
            marks["wait_start"] = t
            state["in_wait"] = True
            if kubectl_baseline:
                kubectl_thread = threading.Thread(target=start_kubectl, args=(t,), daemon=True)
                kubectl_thread.start()
        elif line.startswith("==> ") and state["in_wait"]:
            marks["wait_end"] = t
            state["in_wait"] = False

    res = run_orch(cluster, ["install", "--use-default", "-o", "plain", "--timeout", "600"], on_line=on_line)
    if kubectl_thread:
        kubectl_thread.join(900)
    poller = poller_box.get("p")
    if poller:
        poller.join(30)
        poller.stop.set()
    res["phases"] = marks
    res["wait_s"] = marks.get("wait_end", 0) - marks.get("wait_start", 0)
    if poller:
        # poller times are since the CR step started; shift them to "since the wait phase started"
        shift = marks.get("wait_start", 0) - marks.get("cr_step", 0)
        res["item_ready_since_wait_start_s"] = {k: round(v - shift, 2) for k, v in poller.ready.items()}
        res["slowest_item_s"] = max(poller.ready.values()) - shift if poller.ready else None
        res["poller_last_errors"] = poller.errors
        if len(poller.ready) < len(WAIT_LIST):
            raise SystemExit(f"the poller saw only {sorted(poller.ready)} ready: {poller.errors}")
    if kubectl:
        res["kubectl"] = kubectl
        # the baseline install: everything orch did before waiting, then the sequential waits
        res["kubectl_install_s"] = marks["wait_start"] + kubectl["wall_s"]
    res["_t_begin"] = t_begin
    return res


def scale_only() -> dict:
    """`make bench ARGS=--scale-only`: only the scale section, on its own installed cluster."""
    import scale  # bench/scale.py, next to this file (bench/ is on sys.path)
    from tests.cluster.harness import Cluster

    c = Cluster.start("openshift")
    try:
        res = run_orch(c, ["install", "--use-default", "-o", "plain", "--timeout", "600"])
        if res["exit"] != 0:
            raise SystemExit(f"install failed: {res['tail']}")
        return scale.run(c, run_orch, log)
    finally:
        c.stop()


def cleanup_only() -> dict:
    """`make bench-cleanup`: cluster A's install (same delays), add-namespace, then the observed cleanup."""
    from tests.cluster.harness import Cluster

    c = Cluster.start("openshift")
    try:
        set_delays(c)
        res = run_orch(c, ["install", "--use-default", "-o", "plain", "--timeout", "600"])
        if res["exit"] != 0:
            raise SystemExit(f"install failed: {res['tail']}")
        run_orch(c, ["workflow", "add-namespace", "bench-wf", "-o", "plain"])
        return cleanup_bench.run(c, run_orch, log, ["cleanup", "--yes", "--timeout", "300"])
    finally:
        c.stop()


def main() -> None:
    from tests.cluster.harness import Cluster

    OUT.mkdir(parents=True, exist_ok=True)
    if "--cleanup-only" in sys.argv[1:]:
        result = {"date": datetime.datetime.now().isoformat(timespec="seconds"),
                  "load_avg_at_start": os.getloadavg(), "cleanup": cleanup_only()}
        (OUT / "cleanup.json").write_text(json.dumps(result, indent=1, default=str))
        print(f"Run {result['date']}, load average at start {result['load_avg_at_start'][0]:.1f}")
        print("\n".join(cleanup_bench.render(result["cleanup"])))
        return
    if "--scale-only" in sys.argv[1:]:
        import scale  # bench/scale.py, next to this file (bench/ is on sys.path)

        result = scale_only()
        (OUT / "scale.json").write_text(json.dumps(result, indent=1, default=str))
        print("\n".join(scale.render(result)))
        return
    (OUT / ".kubectl-home").mkdir(exist_ok=True)
    report: dict = {"date": datetime.datetime.now().isoformat(timespec="seconds"),
                    "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                "load_avg_at_start": os.getloadavg()}}
    log("start-up")
    report["startup"] = startup()
    log(json.dumps(report["startup"]["above_python_s"]))

    log("cluster A: orch install with operand delays, then the other commands")
    a = Cluster.start("openshift")
    try:
        set_delays(a)
        cmds = {}
        cmds["install"] = install_with_timings(a, kubectl_baseline=False)
        log(f"install: {cmds['install']['wall_s']:.1f}s exit {cmds['install']['exit']}")
        cmds["install (no-op re-run)"] = run_orch(a, ["install", "--use-default", "-o", "plain"])
        cmds["status"] = run_orch(a, ["status", "-o", "plain"])
        cmds["workflow add-namespace"] = run_orch(a, ["workflow", "add-namespace", "bench-wf", "-o", "plain"])
        cmds["workflow add-namespace (no-op re-run)"] = run_orch(a, ["workflow", "add-namespace", "bench-wf", "-o",
                                                                      "plain"])
        cmds["workflow list-namespaces"] = run_orch(a, ["workflow", "list-namespaces", "-o", "plain"])
        cmds["cleanup --dry-run"] = run_orch(a, ["cleanup", "--dry-run", "-o", "plain"])
        cmds["cleanup"] = cleanup_bench.run(a, run_orch, log, ["cleanup", "--yes", "--timeout", "300"])
        report["commands"] = cmds
    finally:
        a.stop()

    log("cluster B: orch install with the same delays, kubectl wait list run sequentially alongside")
    b = Cluster.start("openshift")
    try:
        set_delays(b)
        report["install_b"] = install_with_timings(b, kubectl_baseline=True)
    finally:
        b.stop()
    log("cluster C: scale (10 / 100 / 500 workflow namespaces)")
    report["scale"] = scale_only()
    for r in [*report["commands"].values(), report["install_b"]]:
        r.pop("_t_begin", None)
    (OUT / "latest.json").write_text(json.dumps(report, indent=1, default=str))
    (OUT / "latest.md").write_text(render(report))
    print(render(report))


def render(r: dict) -> str:
    s = r["startup"]
    out = [f"Run {r['date']}, {r['machine']['cpus']} cores, Python {r['machine']['python']}, "
           f"load average at start {r['machine']['load_avg_at_start'][0]:.1f}.", "",
           f"### Start-up (median of {s['runs']} interleaved runs)", "",
           "| command | median | above `python -c pass` | ratio to `python -c pass` |", "|---|---|---|---|"]
    for k in s["median_s"]:
        out.append(f"| `{k}` | {s['median_s'][k]:.3f} s | {s['above_python_s'][k]:+.3f} s | "
                   f"{s['ratio_to_python'][k]:.2f}× |")
    ia, ib = r["commands"]["install"], r["install_b"]
    out += ["", "### Install with operand delays " + json.dumps(DELAYS["delay_seconds"]), "",
            "| figure | cluster A (orch alone) | cluster B (orch + kubectl alongside) |", "|---|---|---|",
            f"| orch install, wall | {ia['wall_s']:.1f} s | {ib['wall_s']:.1f} s |",
            f"| orch wait phase (Components ready) | {ia['wait_s']:.1f} s | {ib['wait_s']:.1f} s |",
            f"| slowest wait-list item ready (independent poller, since the wait phase began) | "
            f"{ia.get('slowest_item_s') or 0:.1f} s | {ib.get('slowest_item_s') or 0:.1f} s |",
            f"| orch wait phase − slowest item | {ia['wait_s'] - (ia.get('slowest_item_s') or 0):+.1f} s | "
            f"{ib['wait_s'] - (ib.get('slowest_item_s') or 0):+.1f} s |"]
    if "kubectl" in ib:
        out += [f"| sequential `kubectl wait` list (started with orch's wait phase) | | {ib['kubectl']['wall_s']:.1f} s |",
                f"| ratio kubectl list / orch wait phase | | {ib['kubectl']['wall_s'] / max(ib['wait_s'], 1e-9):.2f}× |",
                f"| baseline install (orch's steps before waiting + kubectl list) | | {ib['kubectl_install_s']:.1f} s "
                f"({ib['kubectl_install_s'] / ib['wall_s']:.2f}× orch's {ib['wall_s']:.1f} s) |"]
    out += ["", "### Requests, wall time and peak memory per command (cluster A)", "",
            "| command | exit | wall | API requests | writes | peak RSS |", "|---|---|---|---|---|---|"]
    for name, c in r["commands"].items():
        out.append(f"| `orch {name}` | {c['exit']} | {c['wall_s']:.1f} s | {c['requests']} | {c['writes']} | "
                   f"{c['peak_rss_mib']:.0f} MiB |")
    if "phases" in r["commands"].get("cleanup", {}):
        out += cleanup_bench.render(r["commands"]["cleanup"])
    if "scale" in r:
        import scale  # bench/scale.py, next to this file (bench/ is on sys.path)

        out += scale.render(r["scale"])
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    main()
