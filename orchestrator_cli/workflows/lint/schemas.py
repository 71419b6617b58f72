"""JSON Schema files of a workflow project: load, validate against their meta-schema, follow `$ref`.

Validity is the `jsonschema` library's meta-schema check for the draft the file declares in
`$schema` (draft-07 when it declares none, the draft the Orchestrator's examples use); unknown
keywords such as the Orchestrator form's `ui:widget` are allowed, as JSON Schema allows them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from orchestrator_cli.workflows.lint.source import Document, SourceError

_MAX_PROBLEMS = 5


def meta_problems(doc: Document) -> list[tuple[tuple, str]]:
    """(key path in the schema, message) of every meta-schema violation, at most five."""
    import jsonschema
    from jsonschema import validators

    schema = doc.data
    if isinstance(schema, bool):
        return []
    if not isinstance(schema, dict):
        return [((), "a JSON Schema must be an object (or true/false)")]
    try:
        cls = validators.validator_for(schema, default=jsonschema.Draft7Validator)
    except Exception as exc:  # noqa: BLE001 - an unknown $schema URI: report it, do not crash
        return [(("$schema",), f"unknown $schema: {exc}")]
    meta = cls(cls.META_SCHEMA)
    errors = sorted(meta.iter_errors(schema), key=lambda e: (len(e.path), list(map(str, e.path))))
    return [(tuple(e.path), e.message) for e in errors[:_MAX_PROBLEMS]]


class Resolver:
    """Follows `$ref`s: `#/json/pointer` inside a document, `file.json[#/pointer]` relative to the file.
    A reference it cannot follow gives None: callers then skip the check (the runtime's base for
    relative references is not knowable here)."""

    def __init__(self, load):
        self.load = load  # Path -> Document | SourceError

    def deref(self, node: Any, doc: Document, path: tuple, depth: int = 0):
        """(node, document, key path) after following `$ref` chains, or None if a reference cannot be followed."""
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            if depth > 20:
                return None
            depth += 1
            ref = node["$ref"]
            file_part, _, pointer = ref.partition("#")
            if file_part:
                if "://" in file_part or file_part.startswith(("classpath:", "/")):
                    return None
                target = (doc.path.parent / file_part)
                loaded = self.load(target) if target.is_file() else None
                if not isinstance(loaded, Document):
                    return None
                doc = loaded
            found = _pointer(doc.data, pointer)
            if found is None:
                return None
            node, path = found
        return node, doc, path


def _pointer(data: Any, pointer: str):
    path: tuple = ()
    node = data
    for raw in [p for p in pointer.split("/") if p != ""]:
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node, path = node[part], (*path, part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node, path = node[int(part)], (*path, int(part))
        else:
            return None
    return node, path


def schema_type(node: Any) -> set[str]:
    """The types a schema node declares (`type: x` or a list), or an empty set when it declares none."""
    if not isinstance(node, dict):
        return set()
    kind = node.get("type")
    if isinstance(kind, str):
        return {kind}
    if isinstance(kind, list):
        return {k for k in kind if isinstance(k, str)}
    return set()


def load_checked(definition, rule, reference: str, ref_pos, what: str):
    """Loads a schema file named by a definition. Returns (document, findings); the document is None when
    the file is missing, unreadable or not valid JSON Schema (the findings say why)."""
    path = definition.resolve(reference)
    if path is None:
        return None, []
    if not path.is_file():
        return None, [rule.finding(definition, ref_pos, f"{what} {reference!r} does not exist "
                                                        f"(looked for {_shown(path, definition)})")]
    doc = definition.document(path)
    if isinstance(doc, SourceError):
        return None, [rule.finding(definition, doc.pos, f"{what} {reference!r}: {doc.message}", file=path)]
    problems = meta_problems(doc)
    if problems:
        return None, [rule.finding(definition, doc.at(p), f"{what} is not valid JSON Schema: {m}", file=path)
                      for p, m in problems]
    return doc, []


def _shown(path: Path, definition) -> str:
    try:
        return str(path.relative_to(definition.directory))
    except ValueError:
        return str(path)
