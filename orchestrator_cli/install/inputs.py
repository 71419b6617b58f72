"""The table of every install input: flag, environment variable, values-file key, prompt.

One row per setup.sh prompt (and per orch option), so CLI flags, env vars, the values file
and the interactive prompts cannot drift apart. Precedence: flag > values file > env var >
prompt > default. `collect` is pure (no cluster), so bad input fails before anything is read
from or written to the cluster.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

import yaml

from orchestrator_cli.core import validation as v
from orchestrator_cli.core.errors import InputError


@dataclass(frozen=True)
class InputSpec:
    name: str
    kind: str  # namespace | name | text | host | secret | bool | timeout | version | item-timeouts | platform | path
    values_key: str  # dotted path in the values file
    flag: str | None = None
    env: str | None = None
    default: Any = None
    prompt: str | None = None  # None: never prompted
    secret_key: str | None = None  # key in backstage-backend-auth-secret


INPUTS: tuple[InputSpec, ...] = (
    InputSpec("version", "version", "version", "--version", "ORCH_VERSION", "1.3"),
    InputSpec("orchestrator_namespace", "namespace", "orchestratorNamespace", "--orchestrator-namespace",
              "ORCH_NAMESPACE", "orchestrator"),
    InputSpec("existing_rhdh", "namespace", "existingRhdh", "--existing-rhdh", None, None),
    InputSpec("configure_rhdh", "bool", "configureRhdh", "--configure-rhdh", None, False),
    InputSpec("workflow_namespace", "namespace", "workflowNamespace", "--workflow-namespace", "WORKFLOW_NAMESPACE",
              "sonataflow-infra", prompt="Enter workflow namespace"),
    InputSpec("gitops", "bool", "gitops.enabled", "--gitops", None, False),
    InputSpec("argocd_namespace", "namespace", "gitops.argocdNamespace", "--argocd-namespace", "ARGOCD_NAMESPACE",
              "orchestrator-gitops", prompt="Enter ArgoCD installation namespace"),
    InputSpec("argocd_instance", "name", "gitops.argocdInstance", "--argocd-instance", "ARGOCD_INSTANCE", None,
              prompt="Select an ArgoCD instance"),
    InputSpec("tekton", "bool", "gitops.tekton", "--tekton", None, False),
    InputSpec("token_service_account", "name", "tokenServiceAccount", "--token-service-account", None,
              "orchestrator", prompt="What is the name of the ServiceAccount holding the persistent token?"),
    InputSpec("token_cluster_admin", "bool", "tokenClusterAdmin", "--token-cluster-admin", None, False),
    InputSpec("guest_provider", "bool", "guestProvider", "--guest-provider", None, False),
    InputSpec("github_token", "secret", "github.token", "--github-token", "GITHUB_TOKEN",
              prompt="Enter GitHub access token", secret_key="GITHUB_TOKEN"),
    InputSpec("github_client_id", "secret", "github.clientId", "--github-client-id", "GITHUB_CLIENT_ID",
              prompt="Enter GitHub client ID (empty for disabling it)", secret_key="GITHUB_CLIENT_ID"),
    InputSpec("github_client_secret", "secret", "github.clientSecret", "--github-client-secret",
              "GITHUB_CLIENT_SECRET", prompt="Enter GitHub client secret (empty for disabling it)",
              secret_key="GITHUB_CLIENT_SECRET"),
    InputSpec("gitlab_host", "host", "gitlab.host", "--gitlab-host", "GITLAB_HOST",
              prompt="Enter GitLab host name (empty for disabling it)", secret_key="GITLAB_HOST"),
    InputSpec("gitlab_token", "secret", "gitlab.token", "--gitlab-token", "GITLAB_TOKEN",
              prompt="Enter GitLab user access token (empty for disabling it)", secret_key="GITLAB_TOKEN"),
    InputSpec("notifications_email", "bool", "notificationsEmail.enabled", "--notifications-email",
              "SETUP_NOTIFICATIONS_EMAIL", False, prompt="Set up the notifications email plugin?"),
    InputSpec("email_hostname", "host", "notificationsEmail.hostname", "--notifications-email-hostname",
              "NOTIFICATIONS_EMAIL_HOSTNAME", prompt="Enter SMTP server host name (empty for disabling it)",
              secret_key="NOTIFICATIONS_EMAIL_HOSTNAME"),
    InputSpec("email_username", "text", "notificationsEmail.username", "--notifications-email-username",
              "NOTIFICATIONS_EMAIL_USERNAME", prompt="Enter SMTP user name (empty for disabling it)",
              secret_key="NOTIFICATIONS_EMAIL_USERNAME"),
    InputSpec("email_password", "secret", "notificationsEmail.password", "--notifications-email-password",
              "NOTIFICATIONS_EMAIL_PASSWORD", prompt="Enter SMTP password (empty for disabling it)",
              secret_key="NOTIFICATIONS_EMAIL_PASSWORD"),
    InputSpec("rhdh_namespace", "namespace", "rhdhNamespace", "--rhdh-namespace", "RHDH_NAMESPACE",
              "rhdh-operator", prompt="Enter RHDH Operator namespace"),
    InputSpec("postgres_external", "bool", "postgres.external", "--postgres-external", None, False),
    InputSpec("postgres_namespace", "namespace", "postgres.namespace", "--postgres-namespace", None, None),
    InputSpec("postgres_service", "name", "postgres.serviceName", "--postgres-service", None,
              "sonataflow-psql-postgresql"),
    InputSpec("postgres_secret", "name", "postgres.secretName", "--postgres-secret", None,
              "sonataflow-psql-postgresql"),
    InputSpec("postgres_database", "name", "postgres.database", "--postgres-database", None, "sonataflow"),
    InputSpec("platform", "platform", "platform", "--platform", "ORCH_PLATFORM", "auto"),
    InputSpec("ingress_class", "name", "kubernetes.ingressClass", "--ingress-class", None, None),
    InputSpec("host", "host", "kubernetes.host", "--host", None, "localhost"),
    InputSpec("manifests_dir", "path", "kubernetes.manifestsDir", "--manifests-dir", "ORCH_MANIFESTS_DIR", None),
    InputSpec("manifest_pins", "path", "kubernetes.manifestPins", "--manifest-pins", "ORCH_MANIFEST_PINS", None),
    InputSpec("allow_unverified_manifests", "bool", "kubernetes.allowUnverifiedManifests",
              "--allow-unverified-manifests", None, False),
    InputSpec("timeout", "timeout", "timeouts.default", "--timeout", "ORCH_TIMEOUT", 900),
    InputSpec("item_timeouts", "item-timeouts", "timeouts.items", "--item-timeout", None, None),
)

SPECS = {s.name: s for s in INPUTS}
_BY_VALUES_KEY = {s.values_key: s for s in INPUTS}


@dataclass(frozen=True)
class Resolved:
    value: Any
    source: str  # flag | values | env | prompt | default | discovered

    @property
    def explicit(self) -> bool:
        return self.source in ("flag", "values", "env", "prompt")


def _label(spec: InputSpec, source: str) -> str:
    if source == "flag":
        return spec.flag or spec.name
    if source == "env":
        return spec.env or spec.name
    if source == "values":
        return f"values file key '{spec.values_key}'"
    return spec.name.replace("_", " ")  # a prompt: "workflow namespace"


_TRUE = {"1", "true", "yes", "y", "on"}
_FALSE = {"0", "false", "no", "n", "off", ""}


def convert(spec: InputSpec, raw: Any, source: str) -> Any:
    """Validate and normalise one raw value; raise InputError naming where it came from."""
    what = _label(spec, source)
    kind = spec.kind
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        if source == "env" and isinstance(raw, str) and raw.strip().lower() in _TRUE | _FALSE:
            return raw.strip().lower() in _TRUE
        raise InputError(f"{what} must be true or false, got {_show(spec, raw)}")
    if kind == "platform":
        if raw not in ("auto", "kubernetes", "openshift"):
            raise InputError(f"{what} must be kubernetes or openshift, got {_show(spec, raw)}")
        return raw
    if kind == "path":
        return v.validate_text(raw, what)
    if kind == "timeout":
        return v.validate_timeout(raw, what)
    if kind == "item-timeouts":
        return _item_timeouts(raw, what)
    if not isinstance(raw, str):
        raise InputError(f"{what} must be a string, got {type(raw).__name__}")
    if kind == "namespace":
        return v.validate_namespace(v.validate_text(raw, what), what)
    if kind == "name":
        return v.validate_name(v.validate_text(raw, what), what)
    if kind == "host":
        return v.validate_hostname(raw, what)
    if kind == "secret":
        return v.validate_text(raw, what, secret=True)
    if kind in ("text", "version"):
        return v.validate_text(raw, what)
    raise AssertionError(kind)


def _show(spec: InputSpec, raw: Any) -> str:
    return "(hidden)" if spec.kind == "secret" else repr(raw)


def _item_timeouts(raw: Any, what: str) -> dict[str, int]:
    if isinstance(raw, (list, tuple)):  # --item-timeout ID=SECONDS (repeatable)
        out = {}
        for entry in raw:
            item, sep, secs = str(entry).partition("=")
            if not sep or not item:
                raise InputError(f"{what} expects ID=SECONDS, got {entry!r}")
            out[item.strip()] = v.validate_timeout(secs, f"{what} {item}")
        return out
    if isinstance(raw, dict):
        return {str(k): v.validate_timeout(secs, f"{what} {k}") for k, secs in raw.items()}
    raise InputError(f"{what} must be a mapping of wait item to seconds")


def load_values_file(path: Path) -> dict[str, Any]:
    """Read and validate a values file; return {input name: raw value}. Unknown keys are errors."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"values file {path} does not exist") from None
    except IsADirectoryError:
        raise InputError(f"values file {path} is a directory, not a file") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"values file {path} is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset "
                         f"{exc.start})") from None
    except OSError as exc:
        raise InputError(f"values file {path} cannot be read: {exc.__class__.__name__}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise InputError(f"values file {path} is not valid YAML{where}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError(f"values file {path} must be a YAML mapping of keys to values")
    out: dict[str, Any] = {}
    _flatten(data, "", out, path)
    return out


def _flatten(node: dict, prefix: str, out: dict[str, Any], path: Path) -> None:
    for key, value in node.items():
        dotted = f"{prefix}{key}"
        spec = _BY_VALUES_KEY.get(dotted)
        if spec is not None:
            out[spec.name] = value
            continue
        if isinstance(value, dict) and any(k.startswith(dotted + ".") for k in _BY_VALUES_KEY):
            _flatten(value, dotted + ".", out, path)
            continue
        raise InputError(f"values file {path}: unknown key '{dotted}' (see docs/inputs.md for the keys)")


def collect(
    flags: Mapping[str, Any],
    env: Mapping[str, str],
    values: Mapping[str, Any],
) -> dict[str, Resolved]:
    """Resolve every input that has a value from flags, values file or env. Defaults come later."""
    resolved: dict[str, Resolved] = {}
    for spec in INPUTS:
        for source, mapping, key in (("flag", flags, spec.name), ("values", values, spec.name),
                                     ("env", env, spec.env)):
            if key is None or key not in mapping or mapping[key] is None:
                continue
            raw = mapping[key]
            if source == "flag" and spec.kind == "item-timeouts" and not raw:
                continue
            resolved[spec.name] = Resolved(convert(spec, raw, source), source)
            break
    return resolved


def with_defaults(resolved: dict[str, Resolved], skip: Callable[[str], bool] = lambda n: False) -> dict[str, Resolved]:
    out = dict(resolved)
    for spec in INPUTS:
        if spec.name not in out and spec.default is not None and not skip(spec.name):
            out[spec.name] = Resolved(spec.default, "default")
    return out
