"""Render YAML templates from manifests/ (package orchestrator_cli.manifests) into objects (pure).

Placeholders are substituted after YAML parsing, so a value can never inject YAML:
a scalar that is exactly "{{ name }}" becomes the typed parameter (bool, dict, ...);
"{{ name }}" inside a longer string is replaced by its text; the OMIT parameter value
removes the key. Every rendered object gets the orch ownership label.
"""

from __future__ import annotations

import copy
import re
from functools import lru_cache
from importlib import resources
from typing import Any, Mapping

import yaml

from orchestrator_cli.core.ownership import MANAGED_BY


class _Omit:
    def __repr__(self) -> str:
        return "OMIT"


OMIT = _Omit()
_WHOLE = re.compile(r"^\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}$")
_INLINE = re.compile(r"\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}")


@lru_cache(maxsize=None)
def _load(template: str) -> tuple[dict, ...]:
    text = resources.files("orchestrator_cli.manifests").joinpath(template).read_text(encoding="utf-8")
    return tuple(doc for doc in yaml.safe_load_all(text) if doc)


def _subst(node: Any, params: Mapping[str, Any]) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            new = _subst(value, params)
            if new is not OMIT:
                out[key] = new
        return out
    if isinstance(node, list):
        return [x for x in (_subst(v, params) for v in node) if x is not OMIT]
    if isinstance(node, str):
        whole = _WHOLE.match(node)
        if whole:
            value = params[whole.group(1)]
            return value if value is OMIT else copy.deepcopy(value)
        return _INLINE.sub(lambda m: str(params[m.group(1)]), node)
    return node


def render(template: str, params: Mapping[str, Any], *, label: bool = True) -> list[dict]:
    out = []
    for doc in _load(template):
        obj = _subst(copy.deepcopy(doc), params)
        if label:
            md = obj.setdefault("metadata", {})
            md["labels"] = {**(md.get("labels") or {}), **MANAGED_BY}
        out.append(obj)
    return out
