import base64

from orchestrator_cli.core import secrets
from orchestrator_cli.core.diff import changed_paths, needs_apply
from orchestrator_cli.core.namespaces import desired_namespace
from orchestrator_cli.core.render import OMIT, render
from orchestrator_cli.install.steps.postgres import postgres_credentials
from orchestrator_cli.install.steps.setup_secret import desired_values


def test_generated_once_then_live_kept():
    calls = []

    def gen():
        calls.append(1)
        return "generated"

    assert secrets.merge({}, {}, {}, {"K": gen}) == {"K": "generated"}
    assert secrets.merge({"K": "live"}, {}, {}, {"K": gen}) == {"K": "live"}
    assert len(calls) == 1  # not called when a live value exists


def test_precedence_explicit_live_discovered():
    assert secrets.merge({"K": "hand-edited"}, {}, {"K": "discovered"}) == {"K": "hand-edited"}
    assert secrets.merge({"K": "hand-edited"}, {"K": "new"}, {"K": "discovered"}) == {"K": "new"}
    assert secrets.merge({}, {}, {"K": "discovered"}) == {"K": "discovered"}
    assert secrets.merge({}, {"EMPTY": ""}, {"NONE": None}) == {}  # keys without values omitted


def test_postgres_password_kept_from_live_secret():
    first = postgres_credentials(None)
    assert first["postgres-username"] == "postgres" and len(first["postgres-password"]) >= 32
    live = {"data": secrets.secret_data(first)}
    assert postgres_credentials(live) == first


def test_setup_secret_values():
    from orchestrator_cli.install.config import build_config
    from orchestrator_cli.install.inputs import collect, with_defaults

    c = build_config(with_defaults(collect({}, {"GITHUB_TOKEN": "explicit"}, {})))
    values = desired_values(c, {"BACKEND_SECRET": "kept", "GITHUB_TOKEN": "old"}, {"K8S_CLUSTER_URL": "https://x"})
    assert values == {"BACKEND_SECRET": "kept", "GITHUB_TOKEN": "explicit", "K8S_CLUSTER_URL": "https://x"}
    fresh = desired_values(build_config(with_defaults({})), {}, {})
    assert set(fresh) == {"BACKEND_SECRET"}


def test_redaction():
    obj = {"kind": "Secret", "data": {"a": secrets.b64("s3cr3t-value")}, "metadata": {"name": "x"}}
    assert secrets.redact_object(obj)["data"] == {"a": "<redacted>"}
    assert obj["data"]["a"] != "<redacted>"  # the original is untouched
    r = secrets.Redactor()
    r.add(["s3cr3t-value", "ab"])
    assert r("token s3cr3t-value and " + secrets.b64("s3cr3t-value")) == "token <redacted> and <redacted>"
    assert r("ab stays") == "ab stays"  # too short to be a secret: would mangle output


def test_register_only_secret_keys():
    secrets.register_secrets({"K8S_CLUSTER_URL": "https://api.example:6443", "BACKEND_SECRET": "zzzz-backend-9"})
    assert secrets.REDACT("https://api.example:6443") == "https://api.example:6443"
    assert secrets.REDACT("x zzzz-backend-9") == "x <redacted>"


def test_render_types_omit_and_labels():
    objs = render("subscription.yaml", {"name": "n", "namespace": "ns", "package": "p", "channel": "c",
                                        "source": "s", "source_namespace": "sn", "approval": "Manual",
                                        "starting_csv": OMIT})
    sub = objs[0]
    assert "startingCSV" not in sub["spec"]
    assert sub["metadata"]["labels"] == {"app.kubernetes.io/managed-by": "orch"}


def test_render_cannot_inject_yaml():
    objs = render("subscription.yaml", {"name": "n\nspec: {evil: true}", "namespace": "ns", "package": "p",
                                        "channel": "c", "source": "s", "source_namespace": "sn",
                                        "approval": "Manual", "starting_csv": "x"})
    assert objs[0]["metadata"]["name"] == "n\nspec: {evil: true}"
    assert "evil" not in objs[0]["spec"]


def test_diff_subset_semantics():
    desired = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a", "labels": {"x": "1"}},
               "spec": {"ports": [{"port": 5432}]}}
    live = {"metadata": {"name": "a", "labels": {"x": "1", "other": "y"}, "uid": "u"},
            "spec": {"ports": [{"port": 5432, "protocol": "TCP"}], "clusterIP": "10.0.0.1"}}
    assert not needs_apply(desired, live)
    live["metadata"]["labels"]["x"] = "2"
    assert needs_apply(desired, live)
    assert changed_paths(desired, live) == ["metadata.labels.x"]
    assert needs_apply(desired, None)


def test_namespace_marks_only_for_namespaces_orch_created():
    created = desired_namespace("wf", {"rhdh.redhat.com/workflow-namespace": ""}, None)
    assert created["metadata"]["annotations"] == {"orch.rhdhorchestrator.io/created-namespace": "true"}
    assert created["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "orch"
    existing = {"metadata": {"name": "wf", "labels": {"team": "a"}}}
    labelled = desired_namespace("wf", {"rhdh.redhat.com/workflow-namespace": ""}, existing)
    assert "annotations" not in labelled["metadata"]
    assert labelled["metadata"]["labels"] == {"rhdh.redhat.com/workflow-namespace": ""}
    assert desired_namespace("orchestrator", {}, existing) is None
    assert base64  # imported for helpers above
