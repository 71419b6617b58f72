import datetime as dt
import threading

import pytest
from typer.testing import CliRunner

from orchestrator_cli.cli.main import app
from orchestrator_cli.health.readiness import Ready, service_endpoints
from orchestrator_cli.health.waiter import WaitItem, WaitStatus, as_error_details, wait_one
from orchestrator_cli.kube.client import Gone, Ref
from orchestrator_cli.kube.lock import InstallLock, expired

runner = CliRunner()


@pytest.mark.parametrize("args, code, text", [
    (["install", "--use-default", "--workflow-namespace", "UPPER"], 2, "not a valid name"),
    (["install", "--use-default", "--version", "1.2"], 2, "unknown Orchestrator version"),
    (["install", "--use-default", "-o", "yaml"], 2, "needs --dry-run"),
    (["install", "--use-default", "-o", "xml"], 2, "must be one of"),
    (["install", "--use-default", "--kubeconfig", "/does/not/exist"], 3, "does not exist"),
    (["install", "--no-such-flag"], 2, "No such option"),
])
def test_exit_codes_for_bad_input(args, code, text):
    result = runner.invoke(app, args)
    assert result.exit_code == code, result.output
    assert text in result.output


def test_malformed_kubeconfig_and_missing_context(tmp_path):
    bad = tmp_path / "kc"
    bad.write_text(":: not yaml [")
    result = runner.invoke(app, ["install", "--use-default", "--kubeconfig", str(bad)])
    assert result.exit_code == 3
    ok = tmp_path / "kc2"
    ok.write_text("apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\n"
                  "users: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n"
                  "current-context: x\n")
    result = runner.invoke(app, ["install", "--use-default", "--kubeconfig", str(ok), "--context", "nope"])
    assert result.exit_code == 3 and "context 'nope' not found" in result.output


def test_version_flag():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("orch ")


class FakeWatchKube:
    """list returns `states[0]`, then the watch yields the rest; optionally one 410 first."""

    def __init__(self, states, pods=(), gone_once=False):
        self.states, self.pods, self.gone_once = list(states), list(pods), gone_once
        self.lists = 0

    def list(self, api_version, kind, namespace=None, *, label_selector=None, field_selector=None, budget=None):
        if kind == "Pod":
            return self.pods, "1"
        self.lists += 1
        obj = self.states[0]
        return ([obj] if obj else []), "1"

    def watch(self, api_version, kind, namespace, *, name=None, resource_version=None, timeout_seconds=30):
        if self.gone_once:
            self.gone_once = False
            raise Gone()
        for obj in self.states[1:]:
            yield "MODIFIED", obj
        self.states = self.states[-1:]

    def events_for(self, ref, limit=5):
        return ["Warning BackOff: back-off restarting failed container"]


class Collect:
    def __init__(self):
        self.updates = []

    def wait_update(self, status):
        self.updates.append((status.state, status.reason))


def cr(status):
    return {"metadata": {"name": "x", "resourceVersion": "2"},
            "status": {"conditions": [{"type": "Ready", "status": status}]}}


def test_waiter_sees_change_and_resumes_after_410():
    kube = FakeWatchKube([cr("False"), cr("True")], gone_once=True)
    item = WaitItem("x", Ref("operator.knative.dev/v1beta1", "KnativeServing", "x", "ns"), "condition:Ready", 10)
    out = wait_one(kube, item, Collect(), threading.Event())
    assert out.state == "ready"
    assert kube.lists == 2  # relisted after 410 Gone


def test_waiter_fails_fast_on_crashloop_with_events():
    dep = {"metadata": {"name": "d", "generation": 1}, "spec": {"replicas": 1, "selector": {"matchLabels": {"a": "b"}}},
           "status": {"observedGeneration": 1, "conditions": [{"type": "Available", "status": "False"}]}}
    pod = {"metadata": {"name": "d-1"}, "status": {"containerStatuses": [
        {"name": "c", "restartCount": 2, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}}
    kube = FakeWatchKube([dep], pods=[pod])
    item = WaitItem("d", Ref("apps/v1", "Deployment", "d", "ns"), "deployment", 300)
    out = wait_one(kube, item, Collect(), threading.Event())
    assert out.state == "failed" and "CrashLoopBackOff" in out.reason
    assert out.elapsed < 5
    assert any("back-off" in d for d in out.details) and any(d.startswith("condition Available") for d in out.details)


def endpoint_slice(name, *ready):
    return {"metadata": {"name": name, "resourceVersion": "3", "labels": {"kubernetes.io/service-name": "db"}},
            "endpoints": [{"addresses": ["10.0.0.1"], "conditions": {"ready": r}} for r in ready]}


class FakeSliceKube:
    """A Service's EndpointSlices: listed by label, then watch events (a slice added, one deleted)."""

    def __init__(self, listed, events):
        self.listed, self.events, self.selectors = listed, events, []

    def list(self, api_version, kind, namespace=None, *, label_selector=None, field_selector=None, budget=None):
        self.selectors.append(("list", label_selector, field_selector))
        return list(self.listed), "1"

    def watch(self, api_version, kind, namespace, *, name=None, label_selector=None, resource_version=None,
              timeout_seconds=30):
        self.selectors.append(("watch", label_selector, name))
        yield from self.events
        self.events = []

    def events_for(self, ref, limit=5):
        return []


def test_selected_item_is_ready_when_any_selected_slice_has_a_ready_endpoint():
    kube = FakeSliceKube([endpoint_slice("db-a", False)],
                         [("ADDED", endpoint_slice("db-b")), ("DELETED", endpoint_slice("db-a", False)),
                          ("MODIFIED", endpoint_slice("db-b", True))])
    item = WaitItem("postgres-service", Ref("discovery.k8s.io/v1", "EndpointSlice", "db", "ns"), "endpoints", 10,
                    selector="kubernetes.io/service-name=db")
    collect = Collect()
    out = wait_one(kube, item, collect, threading.Event())
    assert out.state == "ready" and out.reason == "1 ready endpoint(s)"
    assert ("waiting", "no ready endpoint yet (1 not ready)") in collect.updates
    assert ("waiting", "no endpoint yet") in collect.updates  # db-b added empty, db-a deleted
    assert kube.selectors == [("list", "kubernetes.io/service-name=db", None),
                              ("watch", "kubernetes.io/service-name=db", None)]


def test_service_endpoints_predicate():
    assert service_endpoints(None).reason == "no EndpointSlice for the Service yet"
    assert service_endpoints({"items": [endpoint_slice("a")]}).reason == "no endpoint yet"
    assert isinstance(service_endpoints({"items": [endpoint_slice("a", False, None)]}), Ready)  # unset: ready


def test_failure_details_end_each_item_with_its_hint():
    data_index = WaitItem("data-index", Ref("apps/v1", "Deployment", "sfp-data-index-service", "sonataflow-infra"),
                          "deployment", 300)
    crd = WaitItem("crd", Ref("apiextensions.k8s.io/v1", "CustomResourceDefinition", "orchestrators.rhdh.redhat.com"),
                   "crd", 300)
    lines = as_error_details([WaitStatus(data_index, "failed", "CrashLoopBackOff", details=["event x"]),
                              WaitStatus(crd, "timeout", "not ready after 300s")])
    assert lines == [
        "data-index (Deployment sfp-data-index-service in sonataflow-infra): CrashLoopBackOff",
        "    event x",
        "    hint: workflows appear in RHDH only through data-index; it needs PostgreSQL at start-up: "
        "kubectl -n sonataflow-infra logs deployment/sfp-data-index-service",
        "crd (CustomResourceDefinition orchestrators.rhdh.redhat.com): not ready after 300s",
        # cluster-scoped: no -n
        "    hint: kubectl describe customresourcedefinition orchestrators.rhdh.redhat.com",
    ]


def test_waiter_times_out_with_its_own_deadline():
    now = [0.0]

    def clock():
        now[0] += 0.6
        return now[0]

    kube = FakeWatchKube([cr("False")])
    item = WaitItem("x", Ref("operator.knative.dev/v1beta1", "KnativeServing", "x", "ns"), "condition:Ready", 3)
    out = wait_one(kube, item, Collect(), threading.Event(), clock=clock)
    assert out.state == "timeout" and "not ready after 3s" in out.reason


def test_lease_expiry():
    now = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    fresh = {"spec": {"renewTime": "2026-01-01T00:00:00.000000Z", "leaseDurationSeconds": 30}}
    assert not expired(fresh, now + dt.timedelta(seconds=10))
    assert expired(fresh, now + dt.timedelta(seconds=31))


class Conflict(Exception):
    status = 409


class FakeLeaseKube:
    def __init__(self, holder_lease=None):
        self.lease = holder_lease

    def create(self, obj):
        if self.lease is not None:
            raise Conflict()
        self.lease = obj

    def get(self, ref, budget=None):
        return self.lease

    def replace(self, obj):
        self.lease = obj

    def delete(self, ref, budget=None):
        self.lease = None


def test_lock_takes_over_expired_lease_and_reports_holder():
    stale = {"metadata": {"resourceVersion": "5"}, "spec": {"holderIdentity": "bob@host pid 1",
             "renewTime": "2020-01-01T00:00:00.000000Z", "leaseDurationSeconds": 30}}
    kube = FakeLeaseKube(stale)
    lock = InstallLock(kube, "openshift-operators", timeout=5, holder="me")
    lock.acquire()
    assert kube.lease["spec"]["holderIdentity"] == "me"
    lock.release()
    assert kube.lease is None


def test_lock_waits_then_times_out_naming_holder():
    from orchestrator_cli.core.errors import LockTimeout

    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    kube = FakeLeaseKube({"metadata": {"resourceVersion": "5"},
                          "spec": {"holderIdentity": "bob@host pid 1", "renewTime": now, "leaseDurationSeconds": 30}})
    told = []
    lock = InstallLock(kube, "openshift-operators", timeout=0.5, holder="me", on_wait=told.append)
    with pytest.raises(LockTimeout, match="bob@host pid 1"):
        lock.acquire()
    assert told and "waiting for the install lock held by bob@host pid 1" in told[0]
