"""Reliability under fire (issue 6): `orch install --use-default` against the real control plane
while the API server is killed, watches expire, a second install runs at once, or Ctrl-C arrives.

Every fault is aimed at one install step. orch runs as a subprocess with plain output, and a
test-only start-up hook (tests/e2e/stop_at/sitecustomize.py, put on the subprocess's PYTHONPATH)
makes it stop itself (SIGSTOP) right after it writes the step's trigger line: the step's heading,
or the first object the step wrote, so the step is left half-applied. The test injects the fault
while orch is stopped and resumes it (SIGCONT). For the API server outage the API server is
SIGKILLed while orch is stopped and started again on the same etcd data a few seconds after orch
resumed: every request orch still has to make in that step meets the outage. The tests also check
from orch's output where the fault landed (no later heading printed during the outage; Ctrl-C:
the step's heading is the last one).

What is checked after each fault (`assert_one_consistent_install`): exactly one Subscription,
Orchestrator CR, orchestrator CSV, approved InstallPlan, token Secret, PostgreSQL StatefulSet and
token ClusterRoleBinding; no install lock left behind; the setup secret's K8S_CLUSTER_TOKEN is the
ServiceAccount's token; and BACKEND_SECRET / the PostgreSQL password never change once created.
docs/reliability.md describes the scenarios and the results.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.helpers import eventually, set_sim_config

pytestmark = [pytest.mark.cluster, pytest.mark.openshift]

ORCH = str(Path(sys.executable).parent / "orch")
URL = "Backstage URL: https://backstage-backstage-rhdh-operator.apps.orch.local"
OLM = "operators.coreos.com/v1alpha1"
HEADING = "==> "
STOP_HOOK = Path(__file__).parent / "stop_at"


# ---- orch as a subprocess, observed line by line --------------------------------------------

class OrchRun:
    """`orch install --use-default -o plain` in the background; stdout and stderr lines are kept in
    one list (stderr lines prefixed with "stderr: ") in the order the reader threads saw them."""

    def __init__(self, cluster, *args: str, env: dict | None = None, stop_at: str | list[str] | None = None):
        full_env = cluster.env()
        for key in ("GITHUB_TOKEN", "GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET", "GITLAB_HOST", "GITLAB_TOKEN"):
            full_env.pop(key, None)
        full_env.update(env or {})
        if stop_at:  # orch stops itself after writing the first line matching this regex (each, in order)
            full_env["ORCH_TEST_STOP_AT"] = stop_at if isinstance(stop_at, str) else "\n".join(stop_at)
            full_env["PYTHONPATH"] = os.pathsep.join(p for p in (str(STOP_HOOK), full_env.get("PYTHONPATH")) if p)
        self.argv = [ORCH, "install", "--use-default", "-o", "plain", *args]
        # SIGINT back to its default, as in a terminal: a shell's background job (e.g. a CI runner)
        # starts with SIGINT ignored, and Python keeps an inherited "ignore" (Ctrl-C would do nothing).
        self.proc = subprocess.Popen(self.argv, env=full_env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True,
                                     preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        self.lines: list[str] = []
        self._cond = threading.Condition()
        self._readers = [threading.Thread(target=self._read, args=(s, p), daemon=True)
                         for s, p in ((self.proc.stdout, ""), (self.proc.stderr, "stderr: "))]
        for t in self._readers:
            t.start()

    def _read(self, stream, prefix: str) -> None:
        for line in stream:
            with self._cond:
                self.lines.append(prefix + line.rstrip("\n"))
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def wait_for(self, pattern: str, timeout: float = 180) -> int:
        """Index of the first line matching the regex; fails if orch exits or time runs out first."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        seen = 0
        with self._cond:
            while True:
                for i in range(seen, len(self.lines)):
                    if rx.search(self.lines[i]):
                        return i
                seen = len(self.lines)
                if self.proc.poll() is not None and not any(t.is_alive() for t in self._readers):
                    raise AssertionError(f"orch exited ({self.proc.returncode}) before a line matched "
                                         f"{pattern!r}:\n{self.text()}")
                if time.monotonic() > deadline:
                    raise AssertionError(f"no line matched {pattern!r} within {timeout}s:\n{self.text()}")
                self._cond.wait(0.2)

    def signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def wait_stopped(self, pattern: str, timeout: float = 180) -> None:
        """Until orch has written a line matching `pattern` and stopped itself there (stop_at)."""
        self.wait_for(pattern, timeout)
        deadline = time.monotonic() + 30
        while True:
            stat = Path(f"/proc/{self.proc.pid}/stat").read_text()
            if stat.rsplit(")", 1)[1].split()[0] in ("T", "t"):
                return
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"orch did not stop at {pattern!r}:\n{self.text()}")
            time.sleep(0.05)

    def finish(self, timeout: float = 300) -> int:
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
            raise AssertionError(f"orch did not finish within {timeout}s:\n{self.text()}") from None
        for t in self._readers:
            t.join(10)
        return code

    def text(self) -> str:
        with self._cond:
            return "\n".join(self.lines)

    def headings(self, upto: int | None = None) -> list[str]:
        with self._cond:
            return [line for line in self.lines[:upto] if line.startswith(HEADING)]

    def errors(self) -> list[str]:
        with self._cond:
            return [line for line in self.lines if line.startswith("stderr: error:")]


def orch_install(cluster, *args: str, timeout: float = 300) -> tuple[int, str]:
    run = OrchRun(cluster, *args)
    return run.finish(timeout), run.text()


# ---- reading the cluster (the harness's admin client) ---------------------------------------

def _dyn(cluster):
    from kubernetes import dynamic

    return dynamic.DynamicClient(cluster.api_client())


def _items(cluster, api_version: str, kind: str, namespace: str | None = None) -> list[dict]:
    res = _dyn(cluster).resources.get(api_version=api_version, kind=kind)
    return res.get(namespace=namespace).to_dict().get("items") or []


def secret_values(cluster, name: str, namespace: str) -> dict[str, str]:
    """Decoded data of a Secret, {} when it does not exist."""
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException

    try:
        s = client.CoreV1Api(cluster.api_client()).read_namespaced_secret(name, namespace)
    except ApiException as exc:
        if exc.status == 404:
            return {}
        raise
    return {k: base64.b64decode(v).decode() for k, v in (s.data or {}).items()}


GENERATED = {  # secret values orch generates once: (Secret, namespace, key)
    "BACKEND_SECRET": ("backstage-backend-auth-secret", "rhdh-operator", "BACKEND_SECRET"),
    "postgres-password": ("sonataflow-psql-postgresql", "sonataflow-infra", "postgres-password"),
}


def generated_secrets(cluster) -> dict[str, str]:
    out = {}
    for label, (name, ns, key) in GENERATED.items():
        value = secret_values(cluster, name, ns).get(key)
        if value:
            out[label] = value
    return out


def assert_same_secrets(before: dict[str, str], after: dict[str, str]) -> None:
    """Every generated value that existed before still has the same value."""
    for label, value in before.items():
        assert after.get(label) == value, f"{label} changed"


def assert_one_consistent_install(cluster, *, expired_lock_ok: bool = False) -> None:
    """Nothing duplicated, nothing half-written, no lock left behind (with expired_lock_ok: none that
    is still held — a run that could not reach the server to delete its lock leaves it to expire)."""
    subs = [s for s in _items(cluster, OLM, "Subscription") if s["spec"].get("name") == "orchestrator-operator"]
    assert [s["metadata"]["name"] for s in subs] == ["orchestrator-operator"], subs
    crs = _items(cluster, "rhdh.redhat.com/v1alpha1", "Orchestrator")
    assert [(c["metadata"]["namespace"], c["metadata"]["name"]) for c in crs] == [("orchestrator", "orchestrator")]
    csvs = [c["metadata"]["name"] for c in _items(cluster, OLM, "ClusterServiceVersion", "openshift-operators")
            if c["metadata"]["name"].startswith("orchestrator-operator.")]
    assert csvs == ["orchestrator-operator.v1.3.1"], csvs
    plans = _items(cluster, OLM, "InstallPlan", "openshift-operators")
    approved = [p for p in plans if p["spec"].get("approved")
                and any(n.startswith("orchestrator-operator.") for n in p["spec"]["clusterServiceVersionNames"])]
    # orch approved the pinned CSV and nothing else. (Real OLM can replace a plan it has offered —
    # a write conflict while resolving after an outage — and orch then approves the replacement,
    # so there may be more than one approved plan, each for exactly the pinned CSV.)
    assert approved and all(p["spec"]["clusterServiceVersionNames"] == ["orchestrator-operator.v1.3.1"]
                            for p in approved), plans
    tokens = [s for s in _items(cluster, "v1", "Secret", "orchestrator")
              if s.get("type") == "kubernetes.io/service-account-token"
              and (s["metadata"].get("annotations") or {}).get("kubernetes.io/service-account.name") == "orchestrator"]
    assert [t["metadata"]["name"] for t in tokens] == ["orchestrator-token"], tokens
    bindings = [b["metadata"]["name"] for b in _items(cluster, "rbac.authorization.k8s.io/v1", "ClusterRoleBinding")
                if any(s.get("kind") == "ServiceAccount" and s.get("name") == "orchestrator"
                       and s.get("namespace") == "orchestrator" for s in b.get("subjects") or [])]
    assert bindings == ["orch-orchestrator-orchestrator"], bindings
    sts = [s["metadata"]["name"] for s in _items(cluster, "apps/v1", "StatefulSet", "sonataflow-infra")]
    assert sts == ["sonataflow-psql-postgresql"], sts
    locks = [lease for lease in _items(cluster, "coordination.k8s.io/v1", "Lease", "openshift-operators")
             if lease["metadata"]["name"] == "orch-install-lock"]
    if expired_lock_ok:
        from orchestrator_cli.kube.lock import expired

        locks = [lock for lock in locks if not expired(lock, dt.datetime.now(dt.timezone.utc))]
    assert not locks, f"the install lock was left behind: {locks}"
    token = secret_values(cluster, "orchestrator-token", "orchestrator").get("token")
    setup = secret_values(cluster, "backstage-backend-auth-secret", "rhdh-operator")
    assert token and setup.get("K8S_CLUSTER_TOKEN") == token
    assert setup.get("BACKEND_SECRET") and secret_values(cluster, "sonataflow-psql-postgresql",
                                                         "sonataflow-infra").get("postgres-password")


def assert_rerun_is_noop(cluster, secrets_before: dict[str, str]) -> str:
    code, out = orch_install(cluster, "--timeout", "120", "--lock-timeout", "60")
    assert code == 0, out
    assert "everything already in place; nothing changed." in out, out
    assert URL in out
    assert_one_consistent_install(cluster)
    assert_same_secrets(secrets_before, generated_secrets(cluster))
    return out


# ---- the steps and where a fault is aimed in each ------------------------------------------

@dataclass(frozen=True)
class Target:
    step: str
    heading: str
    trigger: str  # regex of the line at which the fault is injected

    @property
    def heading_line(self) -> str:
        return f"{HEADING}{self.heading}"


def _target(step: str, heading: str, trigger: str | None = None) -> Target:
    return Target(step, heading, trigger or "^" + re.escape(HEADING + heading) + "$")


# On a fresh cluster. Where a step writes several objects, the fault comes right after the first
# one, so the step is half-applied when it hits.
TARGETS = [
    _target("namespaces", "Namespaces and labels", r"^    created: Namespace "),
    _target("postgres", "PostgreSQL", r"^    created: Secret sonataflow-psql-postgresql "),
    _target("operator", "Orchestrator operator (OLM)", r"^    created: Subscription orchestrator-operator "),
    _target("token", "ServiceAccount token for Backstage", r"^    created: ClusterRole orch-backstage-reader"),
    _target("setup-secret", "Backstage setup secret"),
    _target("orchestrator-cr", "Orchestrator custom resource"),
    _target("wait", "Components ready"),
    _target("network-policies", "Network policies"),
    _target("summary", "Summary"),
]
STEP_HEADINGS = [t.heading_line for t in TARGETS]


def later_headings(run: OrchRun, target: Target, upto: int | None = None) -> list[str]:
    """Headings of steps after the target step printed among the first `upto` lines."""
    later = STEP_HEADINGS[STEP_HEADINGS.index(target.heading_line) + 1:]
    return [h for h in run.headings(upto) if h in later]


# ---- 1. the API server killed in the middle of each step (all in one install) -----------------------------------

OUTAGE_SECONDS = 3  # the API server is down this long, plus its own start-up (~4 s)


def test_apiserver_killed_in_every_step(fresh_openshift_cluster):
    """One install meets an API server outage (SIGKILL; etcd keeps the data) in the middle of each of
    its steps, one after another: each outage holds orch in that step, each is ridden out within the
    retry budget, and the install completes with nothing duplicated and no generated secret changed."""
    cluster = fresh_openshift_cluster
    run = OrchRun(cluster, "--timeout", "180", stop_at=[t.trigger for t in TARGETS])
    secrets_at_first_fault = None
    for target in TARGETS:
        run.wait_stopped(target.trigger)  # stopped in the step: it cannot finish it before the outage starts
        try:
            secrets = generated_secrets(cluster)
            if secrets_at_first_fault is None:
                secrets_at_first_fault = secrets
            assert_same_secrets(secrets_at_first_fault, secrets)
            cluster.stop_apiserver()
        finally:
            run.signal(signal.SIGCONT)
        time.sleep(OUTAGE_SECONDS)
        during_outage = len(run.lines)
        cluster.start_apiserver()
        # The outage hit the step: orch could not get past it while the API server was down.
        assert later_headings(run, target, during_outage) == [], f"outage in {target.step}:\n{run.text()}"
        assert target.heading_line in run.headings(during_outage), f"outage in {target.step}:\n{run.text()}"
    code = run.finish()
    out = run.text()
    # Rides them all out: the transient errors are retried within the retry budget.
    assert code == 0, out
    assert URL in out
    assert "Traceback" not in out
    assert_one_consistent_install(cluster)
    after = generated_secrets(cluster)
    assert_same_secrets(secrets_at_first_fault, after)
    assert_rerun_is_noop(cluster, after)


# ---- 2. a watch that expires (410 Gone) while orch waits -------------------------------------

WATCH_WINDOW = 5  # orchestrator_cli.health.waiter.WATCH_WINDOW: the server ends each watch after this long


def _knative_serving_ready(cluster) -> bool:
    from tests.helpers import condition_status

    obj = _dyn(cluster).resources.get(api_version="operator.knative.dev/v1beta1", kind="KnativeServing").get(
        name="knative-serving", namespace="knative-serving").to_dict()
    return condition_status(obj, "Ready") == "True"


def test_watch_expired_by_etcd_compaction_resumes_without_missing_readiness(fresh_openshift_cluster):
    """orch waits for KnativeServing (made slow by the simulator). orch is frozen until its watch
    windows have ended on the server, the API server is killed, etcd compacted and the API server
    started again; KnativeServing becomes Ready while orch is still frozen. Resumed, orch watches
    from a resourceVersion that no longer exists (410 Gone), must relist, and must see Ready."""
    from tests.cluster.audit import AuditLog

    cluster = fresh_openshift_cluster
    set_sim_config(cluster, {"delay_seconds": {"knativeserving": 25}})
    # (whichever orch sees first: the simulator sets Ready=False at its first sync, during the delay)
    waiting = r"^    wait knative-serving \[.*\]: waiting — (no Ready condition yet|Ready=False)"
    run = OrchRun(cluster, "--timeout", "150", stop_at=waiting)
    run.wait_stopped(waiting)
    audit = AuditLog(cluster.audit_log)
    try:
        time.sleep(WATCH_WINDOW + 2)
        cluster.stop_apiserver()
        compacted = cluster.compact_etcd()
        mark = audit.mark()  # the restarted API server appends to the same audit log
        cluster.start_apiserver()
        eventually(lambda: _knative_serving_ready(cluster), 90, what="KnativeServing Ready (while orch is frozen)")
    finally:
        run.signal(signal.SIGCONT)
    code = run.finish()
    out = run.text()
    assert code == 0, out
    assert re.search(r"^    wait knative-serving \[.*\]: ready — Ready", out, re.M), out
    assert URL in out
    # The scenario really expired orch's watch: after the restart orch asked to watch from before the
    # compacted revision (the API server answers that with 410 Gone "too old resource version").
    time.sleep(1)
    expired = []
    for e in audit.events(since=mark, user_agent_prefix="orch/"):
        m = re.search(r"[?&]resourceVersion=(\d+)", e.uri)
        if e.verb == "watch" and m and int(m.group(1)) < compacted:
            expired.append(e)
    assert expired, "orch never watched from a compacted resourceVersion: the scenario did not expire a watch"
    assert_one_consistent_install(cluster)


# ---- 3. two installs at once -------------------------------------------------------------------

def _lease_writes(events, user):
    # Only the writes that succeeded: a waiting run's create answered 409 does not hold the lock.
    return [i for i, e in enumerate(events)
            if e.user == user and e.resource == "leases" and e.is_write and 200 <= e.code < 300]


@pytest.mark.parametrize("second_starts", ["together", "at-operator-step"])
def test_two_installs_at_once_stay_consistent(fresh_openshift_cluster, second_starts):
    """Two `orch install` runs (as two users, so the audit log tells their requests apart): both
    exit 0, the one that has to wait says so (naming the other run), their writes never interleave
    (each run writes only inside its own lock interval), and each object and secret is written once."""
    from tests.cluster.audit import AuditLog

    cluster = fresh_openshift_cluster
    users = {"a": "orch-run-a", "b": "orch-run-b"}
    configs = {k: cluster.make_user(u, ["system:masters"]) for k, u in users.items()}
    audit = AuditLog(cluster.audit_log)
    mark = audit.mark()
    a = OrchRun(cluster, "--timeout", "180", "--lock-timeout", "300", env={"KUBECONFIG": str(configs["a"])})
    if second_starts == "at-operator-step":
        a.wait_for(r"^==> Orchestrator operator \(OLM\)$")
    b = OrchRun(cluster, "--timeout", "180", "--lock-timeout", "300", env={"KUBECONFIG": str(configs["b"])})
    code_a, code_b = a.finish(), b.finish()
    out_a, out_b = a.text(), b.text()
    assert (code_a, code_b) == (0, 0), out_a + "\n-----\n" + out_b
    assert URL in out_a and URL in out_b
    assert_one_consistent_install(cluster)

    time.sleep(1)
    events = [e for e in audit.events(since=mark) if e.user in users.values()]
    install_writes = [(i, e) for i, e in enumerate(events)
                      if e.is_write and e.resource not in ("leases", "selfsubjectaccessreviews", "selfsubjectrulesreviews")]
    intervals = {}
    for key, user in users.items():
        mine = [i for i, e in install_writes if e.user == user]
        if not mine:
            continue
        leases = _lease_writes(events, user)
        assert leases, f"{user} wrote without taking the install lock"
        start, end = leases[0], leases[-1]
        assert events[start].verb in ("create", "update") and events[end].verb == "delete", [str(events[i]) for i in leases]
        assert start < min(mine) and max(mine) < end, f"{user} wrote outside its lock interval"
        intervals[key] = (start, end)
    assert intervals, "neither run wrote anything"
    if len(intervals) == 2:
        (s1, e1), (s2, e2) = sorted(intervals.values())
        assert e1 < s2, "the two runs held the install lock at the same time"
    # Nothing was written twice: the run that came second re-planned under the lock and found it in place.
    written = [(e.resource, e.namespace, e.name) for _, e in install_writes
               if e.resource not in ("installplans",) and not e.subresource]
    duplicates = {w for w in written if written.count(w) > 1}
    assert not duplicates, duplicates
    # The run that had to wait said what it waited for, naming the holder.
    waited = [(k, r) for k, r in (("a", a), ("b", b)) if "waiting for the install lock held by" in r.text()]
    if second_starts == "together":
        assert len(waited) == 1, out_a + "\n-----\n" + out_b
    for key, run in waited:
        other = b if run is a else a
        assert re.search(rf"waiting for the install lock held by \S+ pid {other.proc.pid} "
                         r"\(Lease orch-install-lock in openshift-operators\)", run.text()), run.text()
    if second_starts == "at-operator-step" and not waited:
        # b found nothing left to write (a had already written it all): it waited on the components instead
        assert "b" not in intervals and re.search(r"^    wait \S+ \[", out_b, re.M), out_b
    assert_rerun_is_noop(cluster, generated_secrets(cluster))


# ---- 4. Ctrl-C in the middle of each step (one run per step, each the re-run of the one before) --------------------------------------------------------

INTERRUPTED = "stderr: error: interrupted; every step is idempotent: run the same command again to continue"


def signal_in_each_step_then_rerun(cluster, targets: list[Target], sig: int, exit_code: int,
                                   error_line: str) -> None:
    """One run per target, each the re-run of the one before: `sig` lands right after the target's
    trigger line, so orch stops in that step with one error line and deletes its lock; the next run
    continues without waiting for a lock, gets past that step and is stopped in the next one. A last
    re-run completes, nothing duplicated and the generated secrets unchanged; a further one is a no-op."""
    secrets_after_signal: dict[str, str] = {}
    for target in targets:
        run = OrchRun(cluster, "--timeout", "180", stop_at=target.trigger)
        run.wait_stopped(target.trigger)
        run.signal(sig)  # delivered as orch resumes, right after the trigger line
        run.signal(signal.SIGCONT)
        code = run.finish(90)
        out = f"signal in {target.step}:\n{run.text()}"
        assert code == exit_code, out
        assert run.errors() == [error_line], out
        assert "Traceback" not in out
        assert "waiting for the install lock" not in out
        assert run.headings()[-1] == target.heading_line, out  # it stopped in that step
        leases = [lease["metadata"]["name"] for lease in _items(cluster, "coordination.k8s.io/v1", "Lease",
                                                                "openshift-operators")]
        assert "orch-install-lock" not in leases, f"{signal.Signals(sig).name} left the install lock behind: {out}"
        assert_same_secrets(secrets_after_signal, generated_secrets(cluster))
        secrets_after_signal = generated_secrets(cluster)

    code, rerun = orch_install(cluster, "--timeout", "180", "--lock-timeout", "60")
    assert code == 0, rerun
    assert URL in rerun
    assert "waiting for the install lock" not in rerun
    assert_one_consistent_install(cluster)
    after = generated_secrets(cluster)
    assert_same_secrets(secrets_after_signal, after)
    assert_rerun_is_noop(cluster, after)


def test_ctrl_c_in_each_step_then_rerun_completes(fresh_openshift_cluster):
    signal_in_each_step_then_rerun(fresh_openshift_cluster, TARGETS, signal.SIGINT, 130, INTERRUPTED)


# ---- 5. the API server behind a load balancer ---------------------------------------------------

class TcpLoadBalancer:
    """A TCP pass-through in front of the API server, like the load balancer OpenShift puts before
    its API servers: it accepts every connection, and when the backend refuses it closes the client
    connection at once, so a client sees the TLS handshake cut short (EOF), not "connection refused"."""

    def __init__(self, backend_port: int):
        import socket

        self.backend_port = backend_port
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(128)
        self.port = self.listener.getsockname()[1]
        self.cut_short = 0  # connections accepted while the backend was down
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client) -> None:
        import socket

        try:
            upstream = socket.create_connection(("127.0.0.1", self.backend_port), timeout=5)
        except OSError:
            self.cut_short += 1
            client.close()
            return
        upstream.settimeout(None)

        def pump(src, dst):
            try:
                while data := src.recv(65536):
                    dst.sendall(data)
            except OSError:
                pass
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        threading.Thread(target=pump, args=(upstream, client), daemon=True).start()
        pump(client, upstream)

    def close(self) -> None:
        self.listener.close()


def test_apiserver_killed_behind_a_load_balancer(fresh_openshift_cluster, tmp_path):
    """Through a TCP load balancer (connections to a dead backend are accepted, then cut), one install
    meets an outage in the token step and another while it waits: both are ridden out."""
    cluster = fresh_openshift_cluster
    targets = [t for t in TARGETS if t.step in ("token", "wait")]
    lb = TcpLoadBalancer(cluster.apiserver_port)
    try:
        kc = yaml.safe_load(Path(cluster.kubeconfig).read_text())
        kc["clusters"][0]["cluster"]["server"] = f"https://127.0.0.1:{lb.port}"
        kubeconfig = tmp_path / "via-lb.kubeconfig"
        kubeconfig.write_text(yaml.safe_dump(kc))
        run = OrchRun(cluster, "--timeout", "180", env={"KUBECONFIG": str(kubeconfig)},
                      stop_at=[t.trigger for t in targets])
        for target in targets:
            run.wait_stopped(target.trigger)
            cut_before = lb.cut_short
            try:
                cluster.stop_apiserver()
            finally:
                run.signal(signal.SIGCONT)
            time.sleep(OUTAGE_SECONDS)
            during_outage = len(run.lines)
            cut_short = lb.cut_short - cut_before
            cluster.start_apiserver()
            assert later_headings(run, target, during_outage) == [], f"outage in {target.step}:\n{run.text()}"
            assert cut_short > 0, f"orch made no connection through the load balancer during the {target.step} outage"
        code = run.finish()
        out = run.text()
    finally:
        lb.close()
    assert code == 0, out
    assert URL in out
    assert_one_consistent_install(cluster)


# ---- 6. an outage longer than the retry budget ---------------------------------------------------

# How the API server goes away, how it comes back, and the reason orch's one error line gives.
OUTAGES = {
    "down": ("stop_apiserver", "start_apiserver", r"connection refused"),
    # Frozen (SIGSTOP): each attempt's read timeout is bounded by the budget, so orch does not hang
    # in a read that never returns. A pooled connection times out reading, a new one in the handshake.
    "hung": ("freeze_apiserver", "thaw_apiserver",
             r"(no answer \(read timed out\): the API server is hung or overloaded|connection timed out)"),
}


@pytest.mark.parametrize("outage", list(OUTAGES))
def test_outage_longer_than_retry_budget_exits_3_and_rerun_completes(fresh_openshift_cluster, outage):
    """The API server goes down (or hangs) after the PostgreSQL Secret was written (Service and
    StatefulSet not yet) and stays so past orch's retry budget (shortened with ORCH_API_RETRY_SECONDS):
    orch gives up, while the server is still away, with exit 3 and one line naming the server, what
    it was doing and why. Once the server is back, a re-run completes from the half-written state and
    keeps the generated password."""
    cluster = fresh_openshift_cluster
    go_away, come_back, reason = OUTAGES[outage]
    target = next(t for t in TARGETS if t.step == "postgres")
    run = OrchRun(cluster, "--timeout", "180", env={"ORCH_API_RETRY_SECONDS": "6"}, stop_at=target.trigger)
    run.wait_stopped(target.trigger)
    try:
        secrets_at_fault = generated_secrets(cluster)
        getattr(cluster, go_away)()
    finally:
        run.signal(signal.SIGCONT)
    try:
        code = run.finish(120)
    finally:
        getattr(cluster, come_back)()
    out = run.text()
    assert code == 3, out
    errors = run.errors()
    assert len(errors) == 1, out
    assert re.fullmatch(rf"stderr: error: API server {re.escape(cluster.server)} unreachable while trying to "
                        rf"(apply|read) \S+ \S+( in \S+)?: {reason}", errors[0]), errors[0]
    assert "Traceback" not in out
    assert run.headings()[-1] == target.heading_line, out
    assert secrets_at_fault.get("postgres-password")
    # orch could not delete its lock while the server was away; the re-run waits for it to expire.
    code, rerun = orch_install(cluster, "--timeout", "180", "--lock-timeout", "120")
    assert code == 0, rerun
    assert URL in rerun
    assert_one_consistent_install(cluster)
    after = generated_secrets(cluster)
    assert_same_secrets(secrets_at_fault, after)
    assert_rerun_is_noop(cluster, after)


# ---- 7. SIGTERM (kill, a CI job's timeout) in the middle of a step --------------------------------

TERMINATED = ("stderr: error: terminated (SIGTERM); every step is idempotent: run the same command again "
              "to continue")


def test_sigterm_in_a_step_releases_the_lock_and_rerun_completes(fresh_openshift_cluster):
    """SIGTERM (kill, a CI job's timeout) unwinds like Ctrl-C: exit 143, and the lock is deleted, so
    the re-run does not wait out its 30 s expiry as it must after SIGKILL."""
    targets = [t for t in TARGETS if t.step in ("postgres", "operator", "wait")]
    signal_in_each_step_then_rerun(fresh_openshift_cluster, targets, signal.SIGTERM, 143, TERMINATED)


# ---- 8. a hung API server (accepts connections, never answers) -----------------------------------

def _lock_expired_or_gone(cluster) -> bool:
    from orchestrator_cli.kube.lock import expired

    return all(expired(lease, dt.datetime.now(dt.timezone.utc))
               for lease in _items(cluster, "coordination.k8s.io/v1", "Lease", "openshift-operators")
               if lease["metadata"]["name"] == "orch-install-lock")


def test_hung_apiserver_while_waiting_times_out_instead_of_hanging(fresh_openshift_cluster):
    """The API server is frozen (SIGSTOP) while orch waits for the components. Every request orch
    then makes hangs: the watches in flight, the relists, the events read for diagnostics, the lock's
    release. orch must still finish on its own, while the server is frozen, with the wait's timeout
    (exit 6) naming the items; once the server is back, a re-run completes."""
    cluster = fresh_openshift_cluster
    set_sim_config(cluster, {"delay_seconds": {"knativeserving": 600}})
    waiting = r"^    wait knative-serving \[.*\]: waiting"
    run = OrchRun(cluster, "--timeout", "20", stop_at=waiting)
    run.wait_stopped(waiting)
    secrets_at_fault = generated_secrets(cluster)
    cluster.freeze_apiserver()
    try:
        run.signal(signal.SIGCONT)
        code = run.finish(240)  # without client-side timeouts this never returns while frozen
    finally:
        cluster.thaw_apiserver()
    out = run.text()
    assert code == 6, out
    assert "Traceback" not in out
    assert re.search(r"^stderr: error: components: .*knative-serving.* not ready in time", out, re.M), out
    assert run.headings()[-1] == "==> Components ready", out

    set_sim_config(cluster, {"delay_seconds": {"knativeserving": 1}})
    # orch could not delete its lock while the server was frozen. The re-run has nothing left to
    # write (the wait step writes nothing), so it does not need the lock; it only waits.
    code, rerun = orch_install(cluster, "--timeout", "180", "--lock-timeout", "120")
    assert code == 0, rerun
    assert URL in rerun
    eventually(lambda: _lock_expired_or_gone(cluster), 45, what="the unreleased install lock to expire")
    assert_one_consistent_install(cluster, expired_lock_ok=True)
    assert_same_secrets(secrets_at_fault, generated_secrets(cluster))
