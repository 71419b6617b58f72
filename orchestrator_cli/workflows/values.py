"""The inputs of `orch workflow install` that go to the chart or to the workflow's environment (pure).

--set and --values go to Helm unchanged; orch only reads, from the same inputs, the chart values that
name a workflow-specific URL (WORKFLOW_URL_VALUES), so the SonataFlow gets the URL the chart's own
objects use (upstream's docs patch them in by hand, reference E3). --env sets any variable directly.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from orchestrator_cli.core.errors import InputError
from orchestrator_cli.core.validation import validate_text

# chart -> {environment variable of the SonataFlow: the chart value holding it} (reference A5, A6, E3)
WORKFLOW_URL_VALUES: dict[str, dict[str, str]] = {
    "move2kube": {"MOVE2KUBE_URL": "workflow.move2kubeURL"},
    "mta-v7": {"MTA_URL": "mta.url"},
}
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def parse_env(items: list[str]) -> dict[str, str]:
    """--env NAME=VALUE (repeatable; the last one wins)."""
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not _ENV_NAME.match(name):
            raise InputError(f"--env {item!r} must be NAME=VALUE with NAME a variable name (example: "
                             "MTA_URL=https://mta.example.com)")
        out[name] = validate_text(value, f"--env {name}")
    return out


def _split_unescaped(text: str, sep: str) -> list[str]:
    parts, cur, escaped = [], [], False
    for ch in text:
        if escaped:
            cur.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == sep:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return parts


def parse_set(items: list[str]) -> list[tuple[str, str]]:
    """(dotted key, value) pairs of --set arguments, as Helm splits them (a,b=c pairs, \\-escapes).

    Only the validation and the lookup of plain dotted keys live here; Helm itself parses the full syntax."""
    pairs: list[tuple[str, str]] = []
    for item in items:
        validate_text(item, "--set")
        for part in _split_unescaped(item, ","):
            key, sep, value = part.partition("=")
            if not sep or not key.strip():
                raise InputError(f"--set {item!r} must be KEY=VALUE (example: --set workflow.move2kubeURL="
                                 "https://move2kube.example.com)")
            pairs.append((key.strip(), value))
    return pairs


def load_values_file(path: str) -> dict:
    """A --values file: must exist and hold a YAML mapping (Helm reads it again itself)."""
    import yaml

    p = Path(path)
    if not p.is_file():
        raise InputError(f"values file {path} does not exist or is not a file")
    try:
        doc = yaml.safe_load(p.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InputError(f"values file {path} is not UTF-8") from None
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        raise InputError(f"values file {path} is not valid YAML" + (f" at line {line + 1}" if line is not None
                                                                     else "")) from None
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise InputError(f"values file {path} must hold a mapping of chart values")
    return doc


def _lookup(doc: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(doc, dict) or part not in doc:
            return None
        doc = doc[part]
    return doc


def url_env(chart: str, defaults: dict, values_docs: list[dict], set_pairs: list[tuple[str, str]]) -> dict[str, str]:
    """The workflow-specific URLs this chart's values name: --set > later --values > earlier > chart default."""
    out: dict[str, str] = {}
    for env, path in WORKFLOW_URL_VALUES.get(chart, {}).items():
        value = None
        for doc in [defaults, *values_docs]:
            found = _lookup(doc, path)
            if isinstance(found, (str, int, float)) and not isinstance(found, bool) and str(found):
                value = str(found)
        for key, val in set_pairs:
            if key == path and val:
                value = val
        if value:
            out[env] = value
    return out
