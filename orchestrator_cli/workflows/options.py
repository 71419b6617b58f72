"""The validated inputs of `orch workflow install`: flags > --config file > environment > defaults.

Everything is checked here, before helm is looked for or the cluster is contacted, so a bad input
writes nothing and sends no request (docs/bad-inputs.md).

--config FILE (YAML; unknown keys are refused) holds what a team keeps between runs:
    repository: https://mirror.example.com/serverless-workflows-config   # env ORCH_WORKFLOW_REPO
    helm: /opt/helm-3.16/helm                                             # env ORCH_HELM
    namespace: team-a
    timeout: 900
    env: {MTA_URL: https://mta.example.com}
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from orchestrator_cli.core.errors import InputError
from orchestrator_cli.core.validation import validate_name, validate_namespace, validate_timeout
from orchestrator_cli.workflows import values as V
from orchestrator_cli.workflows.repository import SemVer, normalize_repository, parse_version

RELEASE_NAME_LIMIT = 53  # Helm's limit for a release name
DEFAULT_TIMEOUT = 600
CONFIG_KEYS = {"repository", "helm", "namespace", "timeout", "env"}
REPO_ENV = "ORCH_WORKFLOW_REPO"


@dataclass(frozen=True)
class WorkflowRequest:
    name: str
    namespace: str | None = None
    chart_version: SemVer | None = None
    devel: bool = False
    allow_incompatible: bool = False
    repository: str | None = None
    set_args: tuple[str, ...] = ()
    set_pairs: tuple[tuple[str, str], ...] = ()
    values_files: tuple[str, ...] = ()
    values_docs: tuple[dict, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    helm: str | None = None
    timeout: float = DEFAULT_TIMEOUT


def validate_workflow_name(name: str) -> str:
    validate_name(name, "workflow name")
    if len(name) > RELEASE_NAME_LIMIT:
        raise InputError(f"workflow name {name!r} is {len(name)} characters long; Helm's release-name limit is "
                         f"{RELEASE_NAME_LIMIT}")
    return name


def load_config(path: str) -> dict:
    import yaml

    p = Path(path)
    if not p.is_file():
        raise InputError(f"--config {path} does not exist or is not a file")
    try:
        doc = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError):
        raise InputError(f"--config {path} is not valid YAML") from None
    if not isinstance(doc, dict):
        raise InputError(f"--config {path} must hold a mapping (keys: {', '.join(sorted(CONFIG_KEYS))})")
    unknown = sorted(set(doc) - CONFIG_KEYS)
    if unknown:
        raise InputError(f"--config {path}: unknown key {unknown[0]!r} (known: {', '.join(sorted(CONFIG_KEYS))})")
    for key in ("repository", "helm", "namespace"):
        if key in doc and not isinstance(doc[key], str):
            raise InputError(f"--config {path}: {key} must be a string")
    if "env" in doc and not (isinstance(doc["env"], dict) and all(isinstance(v, str) for v in doc["env"].values())):
        raise InputError(f"--config {path}: env must map variable names to strings")
    return doc


def common(extra: dict) -> dict:
    """The inputs every workflow command shares: config file, namespace, helm, timeout."""
    config = load_config(extra["config"]) if extra.get("config") else {}
    namespace = extra.get("namespace") or config.get("namespace")
    if namespace is not None:
        validate_namespace(namespace, "--namespace")
    timeout = next((t for t in (extra.get("timeout"), config.get("timeout")) if t is not None), DEFAULT_TIMEOUT)
    return {"config": config, "namespace": namespace,
            "helm": extra.get("helm") or config.get("helm") or os.environ.get("ORCH_HELM") or None,
            "timeout": float(validate_timeout(timeout, "--timeout"))}


def parse_install(extra: dict) -> WorkflowRequest:
    base = common(extra)
    config = base.pop("config")
    name = validate_workflow_name(extra["name"])
    version = parse_version(extra["chart_version"]) if extra.get("chart_version") else None
    repo = extra.get("repo") or config.get("repository") or os.environ.get(REPO_ENV) or None
    set_args = tuple(extra.get("set") or ())
    values_files = tuple(extra.get("values") or ())
    env = {**{k: str(v) for k, v in (config.get("env") or {}).items()}, **V.parse_env(list(extra.get("env") or ()))}
    V.parse_env([f"{k}={v}" for k, v in env.items()])  # the config file's names and values, validated alike
    return WorkflowRequest(
        name=name, chart_version=version, devel=bool(extra.get("devel")),
        allow_incompatible=bool(extra.get("allow_incompatible")),
        repository=normalize_repository(repo) if repo is not None else None,
        set_args=set_args, set_pairs=tuple(V.parse_set(list(set_args))), values_files=values_files,
        values_docs=tuple(V.load_values_file(p) for p in values_files), env=env, **base)
