"""health.waiter.wait_gone: deletions seen from watch events, grouped watches, relists, deadlines."""

from __future__ import annotations

import threading
import time

from orchestrator_cli.health.waiter import gone_groups, wait_gone
from orchestrator_cli.kube.client import Gone, NotServed, Ref


def ref(kind, name, ns=None, api="v1"):
    return Ref(api, kind, name, ns)


def test_groups_per_kind_and_namespace_or_cluster_wide_when_spread():
    refs = [ref("Secret", "s", "a"), ref("Secret", "t", "a"), ref("Namespace", "a"), ref("Namespace", "b")]
    refs += [ref("NetworkPolicy", "p", f"ns{i}", "networking.k8s.io/v1") for i in range(10)]
    groups = gone_groups(refs)
    assert groups[("v1", "Secret", "a")] == {("a", "s"), ("a", "t")}
    assert groups[("v1", "Namespace", None)] == {(None, "a"), (None, "b")}
    assert len(groups[("networking.k8s.io/v1", "NetworkPolicy", None)]) == 10 and len(groups) == 3


class EventKube:
    """list() returns what is still there; watch() replays scheduled DELETED events at their times."""

    def __init__(self, present, deletions, gone_once=False, not_served=()):
        self.present = set(present)  # (kind, ns, name)
        self.deletions = sorted(deletions)  # (seconds after start, kind, ns, name)
        self.start = time.monotonic()
        self.gone_once, self.not_served = gone_once, set(not_served)
        self.calls = []
        self.lock = threading.Lock()

    def _due(self, kind):
        now = time.monotonic() - self.start
        with self.lock:
            due = [d for d in self.deletions if d[0] <= now and d[1] == kind]
            for d in due:
                self.deletions.remove(d)
                self.present.discard(d[1:])
        return due

    def list(self, api_version, kind, namespace=None, *, label_selector=None, field_selector=None, budget=None):
        self.calls.append(("list", kind, namespace, field_selector))
        if kind in self.not_served:
            raise NotServed(kind)
        self._due(kind)
        name = field_selector.split("=", 1)[1] if field_selector else None
        return [{"metadata": {"namespace": ns, "name": n}} for k, ns, n in sorted(self.present, key=str)
                if k == kind and (namespace is None or ns == namespace) and (name is None or n == name)], "1"

    def watch(self, api_version, kind, namespace, *, name=None, resource_version=None, timeout_seconds=30, **kw):
        self.calls.append(("watch", kind, namespace, name))
        if self.gone_once:
            self.gone_once = False
            raise Gone()
        end = time.monotonic() + timeout_seconds
        while time.monotonic() < end:
            for _, k, ns, n in self._due(kind):
                if namespace in (None, ns) and name in (None, n):
                    yield "DELETED", {"metadata": {"namespace": ns, "name": n, "resourceVersion": "9"}}
            time.sleep(0.02)


def test_returns_when_the_last_deletion_event_arrives_not_at_a_poll():
    kube = EventKube({("Secret", "a", "s"), ("Namespace", None, "a")},
                     [(0.3, "Secret", "a", "s"), (0.6, "Namespace", None, "a")])
    start = time.monotonic()
    left = wait_gone(kube, [ref("Secret", "s", "a"), ref("Namespace", "a")], timeout=30)
    assert left == [] and time.monotonic() - start < 3
    lists = sorted(c for c in kube.calls if c[0] == "list")  # one list per group, then watches only
    assert lists == [("list", "Namespace", None, "metadata.name=a"), ("list", "Secret", "a", "metadata.name=s")]


def test_what_is_left_at_the_deadline_is_returned():
    kube = EventKube({("Secret", "a", "s"), ("Secret", "a", "t")}, [(0.2, "Secret", "a", "s")])
    left = wait_gone(kube, [ref("Secret", "s", "a"), ref("Secret", "t", "a")], timeout=1.5)
    assert left == [ref("Secret", "t", "a")]


def test_relists_after_410_and_an_unserved_kind_counts_as_gone():
    kube = EventKube({("Secret", "a", "s")}, [(0.2, "Secret", "a", "s")], gone_once=True)
    assert wait_gone(kube, [ref("Secret", "s", "a")], timeout=10) == []
    assert len([c for c in kube.calls if c[0] == "list"]) == 2
    crd_gone = EventKube({("Widget", "a", "w")}, [], not_served={"Widget"})
    assert wait_gone(crd_gone, [ref("Widget", "w", "a")], timeout=10) == []


def test_already_gone_objects_need_no_watch_and_stop_ends_the_wait():
    kube = EventKube(set(), [])
    assert wait_gone(kube, [ref("Secret", "s", "a")], timeout=10) == []
    assert [c[0] for c in kube.calls] == ["list"]
    stuck = EventKube({("Secret", "a", "s")}, [])
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    start = time.monotonic()
    assert wait_gone(stuck, [ref("Secret", "s", "a")], timeout=60, stop=stop) == [ref("Secret", "s", "a")]
    assert time.monotonic() - start < 3
