import pytest

from orchestrator_cli.core.errors import InputError
from orchestrator_cli.core.validation import validate_namespace
from orchestrator_cli.install.config import build_config
from orchestrator_cli.install.inputs import collect, load_values_file, with_defaults


def cfg(flags=None, env=None, values=None):
    return build_config(with_defaults(collect(flags or {}, env or {}, values or {})))


@pytest.mark.parametrize("name", ["Bad", "a_b", "-a", "a-", "a" * 64, "kube-system", "openshift-x", "default", ""])
def test_bad_namespaces(name):
    with pytest.raises(InputError):
        validate_namespace(name)


def test_good_namespace():
    assert validate_namespace("a" * 63) == "a" * 63


def test_defaults():
    c = cfg()
    assert (c.version, c.orchestrator_namespace, c.rhdh_namespace, c.workflow_namespace) == (
        "1.3", "orchestrator", "rhdh-operator", "sonataflow-infra")
    assert c.timeout == 900 and not c.gitops and not c.token_cluster_admin


def test_precedence_flag_values_env():
    env = {"WORKFLOW_NAMESPACE": "from-env", "GITHUB_TOKEN": "env-token"}
    assert cfg(env=env).workflow_namespace == "from-env"
    assert cfg(env=env, values={"workflow_namespace": "from-values"}).workflow_namespace == "from-values"
    assert cfg({"workflow_namespace": "from-flag"}, env, {"workflow_namespace": "v"}).workflow_namespace == "from-flag"
    assert cfg(env=env).secret_inputs["GITHUB_TOKEN"] == ("env-token", True)


def test_email_keys_only_with_notifications_enabled():
    env = {"NOTIFICATIONS_EMAIL_HOSTNAME": "smtp.example.com"}
    assert "NOTIFICATIONS_EMAIL_HOSTNAME" not in cfg(env=env).secret_inputs
    assert "NOTIFICATIONS_EMAIL_HOSTNAME" in cfg(env={**env, "SETUP_NOTIFICATIONS_EMAIL": "true"}).secret_inputs


@pytest.mark.parametrize("flags, message", [
    ({"configure_rhdh": True}, "needs --existing-rhdh"),
    ({"tekton": True}, "needs --gitops"),
    ({"existing_rhdh": "a", "rhdh_namespace": "b"}, "conflicts"),
    ({"item_timeouts": ["nope=3"]}, "unknown wait item"),
    ({"item_timeouts": ["data-index"]}, "ID=SECONDS"),
    ({"timeout": "0"}, "between 1 and 86400"),
    ({"version": "2.0"}, "unknown Orchestrator version"),
    ({"postgres_namespace": "pg"}, "only for --postgres-external"),
])
def test_conflicts(flags, message):
    with pytest.raises(InputError, match=message):
        cfg(flags)


def test_existing_rhdh_sets_namespace():
    c = cfg({"existing_rhdh": "my-rhdh"})
    assert c.existing_rhdh and c.rhdh_namespace == "my-rhdh"
    assert "my-rhdh" not in c.namespaces_to_ensure()


def test_secret_values_never_in_messages():
    with pytest.raises(InputError) as exc:
        cfg(env={"GITHUB_TOKEN": "abc\ndef-secret"})
    assert "def-secret" not in exc.value.message


def test_non_utf8_env_rejected():
    bad = b"\xff\xfe".decode("utf-8", "surrogateescape")
    with pytest.raises(InputError, match="UTF-8"):
        cfg(env={"GITLAB_HOST": bad})


def test_values_file(tmp_path):
    f = tmp_path / "v.yaml"
    f.write_text("version: '1.4'\nworkflowNamespace: wf\ngitops:\n  enabled: true\n  argocdInstance: argo\n"
                 "github:\n  token: t0k3n\ntimeouts:\n  default: 60\n  items: {data-index: 30}\n")
    values = load_values_file(f)
    c = cfg(values=values)
    assert (c.version, c.workflow_namespace, c.gitops, c.argocd_instance) == ("1.4", "wf", True, "argo")
    assert c.timeout_for("data-index") == 30 and c.timeout_for("backstage") == 60


@pytest.mark.parametrize("text, message", [
    ("a: [", "not valid YAML"),
    ("- a\n- b\n", "must be a YAML mapping"),
    ("nope: 1\n", "unknown key 'nope'"),
    ("gitops:\n  bogus: 1\n", "unknown key 'gitops.bogus'"),
])
def test_values_file_errors(tmp_path, text, message):
    f = tmp_path / "v.yaml"
    f.write_text(text)
    with pytest.raises(InputError, match=message):
        load_values_file(f)


def test_values_file_wrong_type(tmp_path):
    f = tmp_path / "v.yaml"
    f.write_text("workflowNamespace: 12\n")
    with pytest.raises(InputError, match="must be a string"):
        cfg(values=load_values_file(f))


def test_values_file_missing(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load_values_file(tmp_path / "missing.yaml")
