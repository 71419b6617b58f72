"""Reliability of the pieces orch relies on when the API server misbehaves (issue 6), without a cluster:

- the waiter never misses a readiness change when its watch ends early, drops mid-stream, or
  expires (410 Gone, as after an etcd compaction), against a fake API server that keeps a real
  revision history with compaction (FakeApi);
- `Kube.watch` turns both forms of 410 (an ERROR event in the stream, an HTTP 410) into Gone;
- which errors are transient (retried within the budget) and which are not, and that retries are bounded;
- the install lock when the API server answered a create whose response was lost.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import ssl
import threading
import time

import pytest
from kubernetes.client.exceptions import ApiException
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError, SSLError

from orchestrator_cli.core.errors import StepFailed
from orchestrator_cli.health import waiter
from orchestrator_cli.health.waiter import WaitItem, wait_one
from orchestrator_cli.kube import client as kube_module
from orchestrator_cli.kube.client import READ_TIMEOUT, Gone, Kube, Ref, is_transient
from orchestrator_cli.kube.lock import InstallLock

REF = Ref("operator.knative.dev/v1beta1", "KnativeServing", "knative-serving", "knative-serving")


def serving(ready: str) -> dict:
    return {"apiVersion": REF.api_version, "kind": REF.kind,
            "metadata": {"name": REF.name, "namespace": REF.namespace},
            "status": {"conditions": [{"type": "Ready", "status": ready}]}}


class FakeApi:
    """One object with a revision history, like etcd behind the apiserver.

    list() returns the current object and revision. watch(rv) replays every change after rv,
    then ends (a window). A watch from a revision at or below the compacted one raises Gone, like
    the apiserver after `etcdctl compact` + restart. `script` runs test actions at given points
    ("list", "watch-start", "watch-event") so changes happen exactly between the waiter's calls.
    """

    def __init__(self, obj: dict, script=None):
        self.revision = 1
        self.history: list[tuple[int, str, dict | None]] = [(1, "ADDED", self._stamp(copy.deepcopy(obj), 1))]
        self.compacted = 0
        self.script = script or (lambda api, point, n: None)
        self.calls: list[str] = []
        self.lock = threading.Lock()

    @staticmethod
    def _stamp(obj: dict, rev: int) -> dict:
        obj["metadata"]["resourceVersion"] = str(rev)
        return obj

    # -- what the test does to the "cluster"
    def change(self, obj: dict | None) -> None:
        self.revision += 1
        kind = "DELETED" if obj is None else "MODIFIED"
        self.history.append((self.revision, kind, None if obj is None else self._stamp(copy.deepcopy(obj), self.revision)))

    def compact(self) -> None:
        self.compacted = self.revision

    @property
    def current(self) -> dict | None:
        return self.history[-1][2]

    # -- the WaitKube protocol
    def list(self, api_version, kind, namespace=None, *, label_selector=None, field_selector=None, budget=None):
        if kind == "Pod":
            return [], str(self.revision)
        self.calls.append("list")
        self.script(self, "list", self.calls.count("list"))
        obj = self.current
        return ([copy.deepcopy(obj)] if obj else []), str(self.revision)

    def watch(self, api_version, kind, namespace, *, name=None, resource_version=None, timeout_seconds=30):
        self.calls.append(f"watch@{resource_version}")
        n = sum(c.startswith("watch@") for c in self.calls)
        self.script(self, "watch-start", n)
        since = self.revision if resource_version is None else int(resource_version)  # None: "from now"
        if since < self.compacted:  # the events after `since` are compacted away
            raise Gone()
        for rev, kind_, obj in list(self.history):
            if rev > since:
                yield kind_, copy.deepcopy(obj) if obj else {"metadata": {"resourceVersion": str(rev)}}
                self.script(self, "watch-event", n)

    def events_for(self, ref, limit=5):
        return []


class Collect:
    def __init__(self):
        self.updates: list[tuple[str, str]] = []

    def wait_update(self, status):
        self.updates.append((status.state, status.reason))


def wait(api, timeout=6.0):
    item = WaitItem("knative-serving", REF, "condition:Ready", timeout)
    return wait_one(api, item, Collect(), threading.Event())


def test_change_between_list_and_watch_is_seen():
    """The watch must start at the list's resourceVersion, not 'now': the change in between counts."""
    def script(api, point, n):
        if point == "watch-start" and n == 1:
            api.change(serving("True"))

    api = FakeApi(serving("False"), script)
    out = wait(api)
    assert out.state == "ready", (out.state, out.reason, api.calls)
    assert api.calls[:2] == ["list", "watch@1"]


def test_expired_watch_relists_and_sees_the_change_made_in_the_compacted_gap():
    """The object became ready and the history was compacted while the waiter was between windows:
    its next watch gets 410 Gone. Only a relist can see the change (no further event will come)."""
    def script(api, point, n):
        if point == "watch-start" and n == 2:
            api.change(serving("True"))  # happened while nobody watched ...
            api.compact()                # ... and its event is gone

    api = FakeApi(serving("False"), script)
    out = wait(api)
    assert out.state == "ready", (out.state, out.reason, api.calls)
    assert api.calls.count("list") == 2, api.calls  # relisted after the 410


def test_repeated_410s_keep_relisting_until_ready():
    def script(api, point, n):
        if point == "watch-start" and n <= 3:
            api.change(serving("False"))
            api.compact()
        if point == "watch-start" and n == 4:
            api.change(serving("True"))

    api = FakeApi(serving("False"), script)
    out = wait(api)
    assert out.state == "ready", (out.state, out.reason, api.calls)
    assert api.calls.count("list") >= 4


def test_stream_ending_early_resumes_from_the_last_seen_revision():
    """Windows that end before their timeout (the server closed them) resume from the last
    resourceVersion seen, so an event in between is delivered, not skipped."""
    def script(api, point, n):
        if point == "watch-start" and n == 2:
            api.change({**serving("False"), "spec": {"touched": 1}})
        if point == "watch-event" and n == 2:
            api.change(serving("True"))  # arrives after the window that carried rev 2 ended

    api = FakeApi(serving("False"), script)
    out = wait(api)
    assert out.state == "ready", (out.state, out.reason, api.calls)
    assert "watch@2" in api.calls, api.calls  # resumed after rev 2, which it had seen


class Dropping(FakeApi):
    """The connection drops mid-stream right after the object became ready (the event is lost)."""

    def watch(self, *args, **kwargs):
        n = sum(c.startswith("watch@") for c in self.calls) + 1
        if n == 1:
            self.calls.append(f"watch@{kwargs.get('resource_version')}")
            self.change(serving("True"))
            raise ProtocolError("Connection broken: IncompleteRead(0 bytes read)")
        yield from super().watch(*args, **kwargs)


def test_connection_dropped_mid_stream_relists():
    api = Dropping(serving("False"))
    out = wait(api)
    assert out.state == "ready", (out.state, out.reason, api.calls)
    assert api.calls.count("list") == 2


def test_object_deleted_and_recreated_while_watch_expired():
    def script(api, point, n):
        if point == "watch-start" and n == 2:
            api.change(None)
            api.change(serving("True"))
            api.compact()

    api = FakeApi(serving("False"), script)
    out = wait(api)
    assert out.state == "ready", (out.state, out.reason, api.calls)


def test_never_ready_still_times_out_despite_410s():
    """Control: the fake does not make everything ready; a 410 loop ends at the item's deadline."""
    def script(api, point, n):
        if point == "watch-start":
            api.change(serving("False"))
            api.compact()

    api = FakeApi(serving("False"), script)
    out = wait(api, timeout=1.5)
    assert out.state == "timeout"


class HungApi:
    """An API server that accepts requests and never answers (SIGSTOPped, or a partition without RST)."""

    def __init__(self):
        self.release = threading.Event()

    def list(self, *args, **kwargs):
        self.release.wait()
        raise ConnectionResetError("gone")

    def watch(self, *args, **kwargs):
        self.release.wait()
        return iter(())

    def events_for(self, ref, limit=5):
        return []


def test_wait_all_gives_up_on_an_item_stuck_in_a_call(monkeypatch):
    """The last line of defence: a call that never returns cannot hang the install past the
    deadlines; the stuck item times out, and its thread's later updates are not reported."""
    monkeypatch.setattr(waiter, "STRAGGLER_GRACE", 0.3)
    api, seen = HungApi(), Collect()
    items = [WaitItem("knative-serving", REF, "condition:Ready", 0.2)]
    result: list = []
    runner = threading.Thread(target=lambda: result.extend(waiter.wait_all(api, items, seen)), daemon=True)
    runner.start()
    runner.join(10)
    api.release.set()
    assert result, "wait_all hung on a call that never returns"
    (out,) = result
    assert out.state == "timeout" and out.reason == "not ready after 0s: no answer from the API server"
    reported = len(seen.updates)
    time.sleep(0.3)  # the released thread settles ("interrupted") now: nobody must hear of it
    assert len(seen.updates) == reported and seen.updates[-1][0] == "timeout"


def test_wait_all_leaves_the_callers_stop_event_alone():
    """The install's steps share one stop event: one wait's end must not stop the next one's items."""
    stop = threading.Event()
    for _ in range(2):
        api = FakeApi(serving("True"), lambda api, point, n: None)
        (out,) = waiter.wait_all(api, [WaitItem("knative-serving", REF, "condition:Ready", 2.0)], Collect(), stop)
        assert out.state == "ready", out.reason
    assert not stop.is_set()


# ---- Kube.watch: the two forms of 410 -------------------------------------------------------

class FakeResponse:
    """What urllib3 hands the watch: a 200 whose body streams one JSON event per line."""

    status = 200

    def __init__(self, events):
        self.lines = [json.dumps({"type": e["type"], "object": e["raw_object"]}).encode() + b"\n" for e in events]

    def stream(self, amt=None, decode_content=False):
        yield from self.lines

    def close(self):
        pass

    def release_conn(self):
        pass


class FakeDyn:
    """The DynamicClient's GET underneath Watch.stream: records each request's keyword arguments."""

    def __init__(self, events=(), raise_exc=None):
        self.events, self.raise_exc = list(events), raise_exc
        self.requests: list[dict] = []

    def get(self, resource, **kwargs):
        self.requests.append(kwargs)
        if self.raise_exc:
            raise self.raise_exc
        return FakeResponse(self.events)


def kube_with(dyn) -> Kube:
    k = Kube.__new__(Kube)
    k.dyn, k._lock, k.requests, k.retry_budget = dyn, threading.Lock(), 0, 1
    return k


def test_kube_watch_translates_error_event_410_to_gone():
    dyn = FakeDyn(events=[{"type": "MODIFIED", "raw_object": serving("False")},
                          {"type": "ERROR", "raw_object": {"code": 410, "reason": "Expired",
                                                           "message": "too old resource version"}}])
    got = []
    with pytest.raises(Gone):
        for etype, obj in kube_with(dyn).watch(REF.api_version, REF.kind, REF.namespace, name=REF.name):
            got.append(etype)
    assert got == ["MODIFIED"]


def test_kube_watch_translates_http_410_to_gone():
    dyn = FakeDyn(raise_exc=ApiException(status=410, reason="Expired: too old resource version: 254 (259)"))
    with pytest.raises(Gone):
        list(kube_with(dyn).watch(REF.api_version, REF.kind, REF.namespace, name=REF.name, resource_version="254"))


def test_kube_watch_has_a_client_side_read_timeout_past_the_server_window():
    """A hung API server (accepts, never answers, never closes) must end a watch window too."""
    dyn = FakeDyn(events=[{"type": "MODIFIED", "raw_object": serving("False")}])
    list(kube_with(dyn).watch(REF.api_version, REF.kind, REF.namespace, name=REF.name, timeout_seconds=5))
    (req,) = dyn.requests
    assert req["timeout_seconds"] == 5 and req["field_selector"] == f"metadata.name={REF.name}"
    connect, read = req["_request_timeout"]
    assert 5 < read <= 15 and connect <= 5


def test_a_call_read_timeout_never_exceeds_its_budget():
    """tenacity checks its budget between attempts only: one attempt must not outlast a short budget."""
    seen = []

    def call(**kwargs):
        seen.append(kwargs["_request_timeout"])
        return {}

    k = kube_with(None)
    k._call(call, budget=3)
    k._call(call)  # the adapter's default budget (1 s in kube_with) -> at least 1 s
    k.retry_budget = 120
    k._call(call)
    assert [read for _, read in seen] == [3, 1, READ_TIMEOUT]


# ---- transient or not -------------------------------------------------------------------------

def _ssl(exc):
    return MaxRetryError(None, "/api", reason=SSLError(exc))


def _http500(message: str) -> ApiException:
    exc = ApiException(status=500, reason="Internal Server Error")
    exc.body = json.dumps({"kind": "Status", "code": 500, "message": message})
    return exc


# What a just-restarted kube-apiserver answered the reliability e2e test's Service apply with.
RANGE_FULL = ('Internal error occurred: failed to allocate a serviceIP for Service "sonataflow-psql-postgresql": '
              'range is full')


@pytest.mark.parametrize("exc, transient", [
    (MaxRetryError(None, "/api", reason=NewConnectionError(None, "Connection refused")), True),
    (ProtocolError("Connection aborted.", ConnectionResetError(104, "Connection reset by peer")), True),
    (_ssl(ssl.SSLEOFError(8, "EOF occurred in violation of protocol (_ssl.c:2427)")), True),  # API server restarting
    (SSLError(ssl.SSLZeroReturnError(6, "TLS/SSL connection has been closed (EOF)")), True),
    (_ssl(ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")), False),
    (ApiException(status=503), True),
    (ApiException(status=429), True),
    (ApiException(status=409), False),
    (ApiException(status=500), False),  # SSA schema errors come back as 500
    (_http500(".spec.replicas: expected numeric (int or float), got string"), False),
    (_http500(RANGE_FULL), True),
    (_http500("etcdserver: leader changed"), True),
    (ApiException(status=403), False),
])
def test_transient_classification(exc, transient):
    assert is_transient(exc) is transient


def test_a_control_plane_hiccup_is_retried_briefly_then_reported_as_the_steps_failure(monkeypatch):
    """The Service IP allocator of a just-restarted API server answers "range is full" for a moment:
    retried, but for HICCUP_BUDGET only (a really full range must not take the whole budget), and a
    lasting one is the step's failure with the server's words (exit 5), not "API server unreachable"."""
    monkeypatch.setattr(kube_module, "HICCUP_BUDGET", 0.4)
    k = kube_with(None)
    k.retry_budget = 30
    calls = []

    def allocate(**_):
        calls.append(time.monotonic())
        if len(calls) < 2:
            raise _http500(RANGE_FULL)
        return {"ok": True}

    assert k._call(allocate) == {"ok": True}  # the hiccup passed: ridden out

    calls.clear()

    def always_full(**_):
        calls.append(time.monotonic())
        raise _http500(RANGE_FULL)

    with pytest.raises(ApiException):
        k._call(always_full)
    assert 2 <= len(calls) and calls[-1] - calls[0] < 5  # far inside the 30 s budget
    with pytest.raises(StepFailed, match="could not apply Service x in y: HTTP 500: .*range is full"):
        k._translate(_http500(RANGE_FULL), "apply Service x in y")


def test_retries_ride_out_a_short_outage_and_are_bounded():
    k = kube_with(None)
    k.retry_budget = 30
    calls = []

    def flaky(**_):
        calls.append(1)
        if len(calls) < 3:
            raise _ssl(ssl.SSLEOFError(8, "EOF occurred in violation of protocol"))
        return {"ok": True}

    assert k._call(flaky) == {"ok": True} and len(calls) == 3

    def down(**_):
        calls.append(1)
        raise MaxRetryError(None, "/api", reason=NewConnectionError(None, "Connection refused"))

    calls.clear()
    with pytest.raises(MaxRetryError):
        k._call(down, budget=0.6)  # stops after the budget, re-raising the last error
    assert 1 < len(calls) < 10


# ---- the install lock when a create's response was lost --------------------------------------

class Conflict(Exception):
    status = 409


class LeaseApi:
    """Kube.create as it behaves when the API server restarts mid-request: its first attempt made
    the Lease but the response was lost, so its retry answers 409 Conflict."""

    def __init__(self, lease=None):
        self.lease = lease

    def create(self, obj):
        if self.lease is None:
            self.lease = {**obj, "metadata": {**obj["metadata"], "resourceVersion": "7"}}  # persisted ...
        raise Conflict()  # ... but what the caller sees is the retry's 409

    def get(self, ref, budget=None):
        return self.lease

    def replace(self, obj):
        self.lease = obj

    def delete(self, ref, budget=None):
        self.lease = None


def test_lock_recognises_its_own_lease_after_a_lost_create_response():
    api = LeaseApi()
    told = []
    lock = InstallLock(api, "openshift-operators", timeout=2, holder="me@host pid 1", on_wait=told.append)
    lock.acquire()  # must not wait for (or time out on) its own Lease
    assert lock.held and told == [], told
    lock.release()
    assert api.lease is None


def test_lock_still_waits_for_another_holder():
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    api = LeaseApi({"metadata": {"resourceVersion": "5"},
                    "spec": {"holderIdentity": "bob@host pid 2", "renewTime": now, "leaseDurationSeconds": 30}})
    from orchestrator_cli.core.errors import LockTimeout

    told = []
    lock = InstallLock(api, "openshift-operators", timeout=0.3, holder="me@host pid 1", on_wait=told.append)
    with pytest.raises(LockTimeout):
        lock.acquire()
    assert told and "bob@host pid 2" in told[0]


# ---- the retry budget knob and the one-line reason ---------------------------------------------

def test_retry_budget_from_environment(monkeypatch, tmp_path):
    from orchestrator_cli.core.errors import InputError
    from orchestrator_cli.kube.client import connect

    kubeconfig = tmp_path / "kc"
    kubeconfig.write_text("apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\n"
                          "users: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n"
                          "current-context: x\n")
    monkeypatch.setenv("ORCH_API_RETRY_SECONDS", "7.5")
    assert connect(str(kubeconfig)).retry_budget == 7.5
    for bad in ("abc", "-1", "nan", "99999"):
        monkeypatch.setenv("ORCH_API_RETRY_SECONDS", bad)
        with pytest.raises(InputError, match="ORCH_API_RETRY_SECONDS"):
            connect(str(kubeconfig))


def test_connection_reasons_in_one_line():
    from orchestrator_cli.kube.client import describe_connection_error

    refused = MaxRetryError(None, "/api", reason=NewConnectionError(None, "[Errno 111] Connection refused"))
    assert describe_connection_error(refused) == "connection refused"
    assert describe_connection_error(_ssl(ssl.SSLEOFError(8, "EOF occurred in violation of protocol"))) == \
        "connection closed during the TLS handshake"
