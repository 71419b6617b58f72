"""Validating orch's -o json output against docs/json-schemas (one schema per command, envelope.json shared).

`schema_for(args)` picks the schema from the command line (the longest command path with a schema
file: `workflow add-namespace` -> workflow-add-namespace.json); `validate(args, text)` parses and
validates, failing with the JSON path of the first violation.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

SCHEMAS = Path(__file__).resolve().parents[1] / "docs" / "json-schemas"


@lru_cache(maxsize=1)
def registry():
    from referencing import Registry, Resource

    resources = []
    for path in sorted(SCHEMAS.glob("*.json")):
        schema = json.loads(path.read_text())
        resources.append((schema["$id"], Resource.from_contents(schema)))
    return Registry().with_resources(resources)


def schema_names() -> list[str]:
    return sorted(p.stem for p in SCHEMAS.glob("*.json") if p.stem != "envelope")


def schema_for(args) -> str:
    words = [a for a in args if not a.startswith("-")]
    if words[:1] == ["check"] and "--pre" not in args:
        return "status"  # `orch check` without --pre is `orch status`
    for n in range(min(3, len(words)), 0, -1):
        name = "-".join(words[:n])
        if name in schema_names():
            return name
    if "--version" in args:
        return "version"
    raise AssertionError(f"no JSON schema in docs/json-schemas for `orch {' '.join(args)}`")


def validate(args, text: str) -> dict:
    from jsonschema import Draft202012Validator

    doc = json.loads(text)
    name = schema_for(args)
    schema = json.loads((SCHEMAS / f"{name}.json").read_text())
    validator = Draft202012Validator(schema, registry=registry())
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "(top)"
        raise AssertionError(f"`orch {' '.join(args)}` -o json does not match docs/json-schemas/{name}.json at "
                             f"{where}: {first.message[:500]}")
    return doc
