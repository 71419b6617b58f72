"""The support bundle's pure parts: which namespaces, which logs, how objects are cleaned, the archive."""

from __future__ import annotations

import base64
import tarfile

import pytest

from orchestrator_cli.core.errors import InputError
from orchestrator_cli.core.secrets import REDACT, printable_secret, register_secret_object, secret_like_key
from orchestrator_cli.generations import GENERATIONS
from orchestrator_cli.generations.detect import installation_from_cr
from orchestrator_cli.support import collectors as C
from orchestrator_cli.support.archive import BundleWriter, validate_target


def ns(name, labels=None, annotations=None):
    return {"metadata": {"name": name, "labels": labels or {}, "annotations": annotations or {}}}


def test_bundle_namespaces_are_the_installations_own_plus_workflow_and_orch_created_ones():
    cr = {"apiVersion": "rhdh.redhat.com/v1alpha1", "kind": "Orchestrator",
          "metadata": {"name": "o", "namespace": "orch-cr"}, "spec": {"orchestrator": {"namespace": "wf-platform"}}}
    inst = installation_from_cr(cr, GENERATIONS["1.3"])
    existing = [ns("orch-cr"), ns("wf-platform"), ns("rhdh-operator"), ns("openshift-operators"), ns("knative-serving"),
                ns("team-a", {"rhdh.redhat.com/workflow-namespace": ""}),
                ns("team-b", annotations={"orch.rhdhorchestrator.io/workflow-namespace": "true"}),
                ns("made", annotations={"orch.rhdhorchestrator.io/created-namespace": "true"}),
                ns("unrelated"), ns("kube-system")]
    got = C.bundle_namespaces(inst, existing)
    assert got == sorted(["orch-cr", "wf-platform", "rhdh-operator", "openshift-operators", "knative-serving",
                          "team-a", "team-b", "made"])
    # no CR (a failed install): the default generation's names
    assert {"orchestrator", "sonataflow-infra", "openshift-operators"} <= set(C.installation_namespaces(None))


def test_logs_of_not_ready_pods_first_previous_logs_only_after_a_restart_and_a_cap():
    def pod(name, ready, restarts=0):
        return {"metadata": {"name": name}, "spec": {"containers": [{"name": "main"}], "initContainers": [{"name": "init"}]},
                "status": {"conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
                           "containerStatuses": [{"name": "main", "restartCount": restarts}]}}

    targets, left = C.log_targets({"a": [pod("ok", True)], "b": [pod("broken", False, restarts=3)]})
    assert targets[:3] == [("b", "broken", "init", False), ("b", "broken", "main", False),
                           ("b", "broken", "main", True)]
    assert ("a", "ok", "main", True) not in targets and left == 0
    capped, left = C.log_targets({"a": [pod(f"p{i}", True) for i in range(10)]}, limit=5)
    assert len(capped) == 5 and left == 15


def test_clean_drops_managed_fields_and_secret_values_including_last_applied():
    secret = {"apiVersion": "v1", "kind": "Secret",
              "metadata": {"name": "s", "managedFields": [{"manager": "x"}],
                           "annotations": {"kubectl.kubernetes.io/last-applied-configuration": '{"data":{"k":"djE="}}',
                                           "keep": "me"}},
              "data": {"k": "djE="}, "stringData": {"t": "plain"}}
    out = C.clean(secret)
    assert out["data"] == {"k": "<redacted>"} and out["stringData"] == {"t": "<redacted>"}
    assert out["metadata"]["annotations"] == {"keep": "me"} and "managedFields" not in out["metadata"]
    assert printable_secret({"kind": "Secret", "metadata": {"annotations": {
        "kubectl.kubernetes.io/last-applied-configuration": "x"}}})["metadata"] == {}
    cm = {"kind": "Pod", "metadata": {"name": "p", "managedFields": []}, "spec": {"x": 1}}
    assert C.clean(cm) == {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"x": 1}}


def test_secret_like_keys_are_registered_and_names_stay_readable():
    assert secret_like_key("postgres-password") and secret_like_key("tls.key") and secret_like_key("token")
    assert secret_like_key("GITHUB_CLIENT_ID") and not secret_like_key("postgres-username")
    assert not secret_like_key("database") and not secret_like_key("GITLAB_HOST")
    enc = lambda v: base64.b64encode(v.encode()).decode()  # noqa: E731
    register_secret_object({"data": {"postgres-password": enc("pw-Unit-Canary-1"), "postgres-username": enc("sonataflow")}})
    assert REDACT("x pw-Unit-Canary-1 y") == "x <redacted> y"
    assert REDACT("sonataflow-psql-postgresql") == "sonataflow-psql-postgresql"


def test_validate_target_refuses_before_anything_is_written(tmp_path):
    with pytest.raises(InputError, match="must end in .tar.gz"):
        validate_target("json")
    (tmp_path / "x.tar.gz").write_text("")
    with pytest.raises(InputError, match="already exists"):
        validate_target(str(tmp_path / "x.tar.gz"))
    with pytest.raises(InputError, match="does not exist"):
        validate_target(str(tmp_path / "no" / "b.tgz"))
    assert validate_target(str(tmp_path / "b.tgz")).name == "b.tgz"


def test_writer_redacts_every_entry_and_publishes_only_when_complete(tmp_path):
    REDACT.add(["writer-Canary-secret"])
    target = tmp_path / "b.tar.gz"
    w = BundleWriter(target, "b")
    w.add("a.txt", "token writer-Canary-secret here")
    assert not target.exists() and w.partial.exists()
    size = w.close()
    assert size == target.stat().st_size and not w.partial.exists()
    with tarfile.open(target) as tar:
        assert tar.getnames() == ["b/a.txt"]
        assert tar.extractfile("b/a.txt").read().decode() == "token <redacted> here"
    aborted = BundleWriter(tmp_path / "c.tar.gz", "c")
    aborted.add("x", "y")
    aborted.abort()
    assert not (tmp_path / "c.tar.gz").exists() and not aborted.partial.exists()


class ListKube:
    """list() from a dict of (kind, namespace) -> items, counting requests; pod_log per container."""

    def __init__(self, objects, logs=None):
        self.objects, self.logs, self.requests = objects, logs or {}, []

    def list(self, api_version, kind, namespace=None, **kw):
        self.requests.append((kind, namespace))
        if namespace is None:
            return [o for (k, _), items in self.objects.items() if k == kind for o in items], "1"
        return list(self.objects.get((kind, namespace), [])), "1"

    def pod_log(self, name, namespace, container, **kw):
        from orchestrator_cli.kube.client import LogUnavailable

        if (namespace, name, container) in self.logs:
            return self.logs[(namespace, name, container)]
        raise LogUnavailable("HTTP 400: no logs")


def _ctx(kube, namespaces):
    return C.BundleContext(kube=kube, inst=None, namespaces=namespaces, namespace_objects=[], day2_opts=None)


def test_many_namespaces_are_listed_once_cluster_wide_and_grouped():
    pods = {("Pod", f"ns{i}"): [{"metadata": {"name": f"p{i}", "namespace": f"ns{i}"}}] for i in range(50)}
    kube = ListKube(pods)
    few = C.list_in_namespaces(_ctx(kube, ["ns1", "ns2"]), "v1", "Pod")
    assert len(kube.requests) == 2 and [p["metadata"]["name"] for p in few["ns2"]] == ["p2"]
    kube.requests.clear()
    many = C.list_in_namespaces(_ctx(kube, [f"ns{i}" for i in range(0, 50, 2)]), "v1", "Pod")
    assert kube.requests == [("Pod", None)] and len(many) == 25 and "ns1" not in many


def test_logs_stop_after_the_same_failure_repeats_and_say_why():
    pods = {"a": [{"metadata": {"name": f"p{i}"}, "spec": {"containers": [{"name": "c"}]}} for i in range(10)]}
    ctx = _ctx(ListKube({}), ["a"])
    ctx.pods = pods
    assert list(C.collect_logs(ctx)) == []
    assert len(ctx.errors) == C.LOG_GIVE_UP_AFTER and "serves no pod logs here" in ctx.notes[0]
    served = _ctx(ListKube({}, {("a", "p0", "c"): "hello\n"}), ["a"])
    served.pods = {"a": [{"metadata": {"name": "p0"}, "spec": {"containers": [{"name": "c"}]}}]}
    assert list(C.collect_logs(served)) == [("namespaces/a/logs/p0/c.log", "hello\n")]


def test_event_lines_read_like_kubectl_get_events():
    e = {"type": "Warning", "reason": "BackOff", "count": 4, "lastTimestamp": "2026-01-01T00:00:00Z",
         "involvedObject": {"kind": "Pod", "name": "p"}, "message": "Back-off restarting failed container"}
    assert C.event_line(e) == "2026-01-01T00:00:00Z Warning BackOff Pod/p (x4): Back-off restarting failed container"
