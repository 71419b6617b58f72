"""Inputs and resources: the data input schema, the OpenAPI specs functions call, application.properties,
and whether a referenced file is in a directory the deploy mounts (specs/, schemas/, subflows/)."""

from __future__ import annotations

from orchestrator_cli.workflows.lint import properties
from orchestrator_cli.workflows.lint.model import ERROR, WARNING, Rule
from orchestrator_cli.workflows.lint.project import RESOURCE_DIRS, Definition, is_definition
from orchestrator_cli.workflows.lint.schemas import load_checked
from orchestrator_cli.workflows.lint.source import Document, SourceError, read_text

FILE_OPERATION_TYPES = ("rest", "openapi", "asyncapi", "rpc", "grpc")
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def input_schema_ref(d: Definition):
    """(key path, reference) of `dataInputSchema` (a string, or {schema: …})."""
    value = d.data.get("dataInputSchema")
    if isinstance(value, str):
        return ("dataInputSchema",), value
    if isinstance(value, dict) and isinstance(value.get("schema"), str):
        return ("dataInputSchema", "schema"), value["schema"]
    return None


def file_operations(d: Definition):
    """(key path, file reference, operation id or None, function type) of functions that name a spec file."""
    functions = d.data.get("functions")
    if not isinstance(functions, list):
        return
    for i, fn in enumerate(functions):
        if not isinstance(fn, dict) or not isinstance(fn.get("operation"), str):
            continue
        kind = fn.get("type", "rest")
        if kind not in FILE_OPERATION_TYPES:
            continue
        file_part, sep, op = fn["operation"].partition("#")
        if file_part and "://" not in file_part and not file_part.startswith(("classpath:", "file:", "/")):
            yield ("functions", i, "operation"), file_part, (op if sep else None), kind


def check_input_schema(rule: Rule, d: Definition):
    value = d.data.get("dataInputSchema")
    if value is None:
        return
    ref = input_schema_ref(d)
    if ref is None:
        yield rule.finding(d, d.doc.at(("dataInputSchema",)), "`dataInputSchema` must be a path or "
                                                             "{schema: <path>, failOnValidationErrors: …}")
        return
    path, reference = ref
    _, findings = load_checked(d, rule, reference, d.doc.at(path), "data input schema")
    yield from findings


def check_spec_file(rule: Rule, d: Definition):
    for path, reference, _, _ in file_operations(d):
        target = d.resolve(reference)
        if target is not None and not target.is_file():
            yield rule.finding(d, d.doc.at(path), f"function operation names {reference!r}, which does not exist")
        elif target is not None and target.suffix.lower() in (".yaml", ".yml", ".json"):
            doc = d.document(target)
            if isinstance(doc, SourceError):
                yield rule.finding(d, doc.pos, f"spec {reference!r}: {doc.message}", file=target)


def check_spec_operation(rule: Rule, d: Definition):
    for path, reference, op, kind in file_operations(d):
        target = d.resolve(reference)
        if kind not in ("rest", "openapi") or target is None or not target.is_file() or not op:
            continue
        doc = d.document(target)
        if not isinstance(doc, Document) or not isinstance(doc.data, dict) or not isinstance(doc.data.get("paths"), dict):
            continue
        ids = {operation.get("operationId") for item in doc.data["paths"].values() if isinstance(item, dict)
               for method, operation in item.items() if method in HTTP_METHODS and isinstance(operation, dict)}
        if op not in ids:
            yield rule.finding(d, d.doc.at(path), f"operation {op!r} is not an operationId in {reference}")


def check_properties(rule: Rule, d: Definition):
    path = d.directory / "application.properties"
    if not path.is_file():
        return
    try:
        text = read_text(path)
        props = properties.parse(text)
    except SourceError as exc:
        yield rule.finding(d, exc.pos, f"application.properties: {exc.message}", file=path)
        return
    except properties.PropertiesError as exc:
        yield rule.finding(d, (exc.line, exc.column), f"application.properties: {exc.message}", file=path)
        return
    first: dict[str, int] = {}
    for prop in props:
        if prop.key in first:
            yield rule.finding(d, (prop.line, prop.column), f"{prop.key} is set twice (first on line "
                               f"{first[prop.key]}); the later value is used", file=path, severity=WARNING)
        else:
            first[prop.key] = prop.line


def _referenced_files(d: Definition):
    ref = input_schema_ref(d)
    if ref is not None:
        yield ref
    for path, reference in d.output_schema_refs():
        if isinstance(reference, str):
            yield path, reference
    for path, reference, _, _ in file_operations(d):
        yield path, reference


def check_not_deployed(rule: Rule, d: Definition):
    for path, reference in _referenced_files(d):
        target = d.resolve(reference)
        if target is None or not target.is_file():
            continue
        try:
            relative = target.resolve().relative_to(d.directory.resolve())
        except ValueError:
            relative = None
        if relative is None or len(relative.parts) != 2 or relative.parts[0] not in RESOURCE_DIRS:
            yield rule.finding(d, d.doc.at(path), f"{reference!r} is not directly in specs/, schemas/ or subflows/: "
                               "`orch workflow deploy` and kn-workflow gen-manifest mount only those directories, "
                               "so the deployed workflow will not find it")


def check_multiple_definitions(rule: Rule, d: Definition):
    if d.path.parent.name == "subflows":
        return
    siblings = [p for p in sorted(d.path.parent.iterdir()) if is_definition(p) and p.is_file()]
    if len(siblings) > 1 and siblings[0] == d.path:
        others = ", ".join(p.name for p in siblings[1:])
        yield rule.finding(d, (1, 1), f"{len(siblings)} workflow definitions in one project directory (also {others}): "
                           "a project deploys one workflow; put others in their own directories or in subflows/")


def _rule(id, severity, description, fn) -> Rule:
    rule: Rule | None = None

    def check(d: Definition):
        return list(fn(rule, d))

    rule = Rule(id, severity, "resources", description, check)
    return rule


RULES = [
    _rule("input-schema", ERROR, "`dataInputSchema` names an existing, valid JSON Schema file", check_input_schema),
    _rule("spec-file", ERROR, "function operations that name a spec file (specs/…#op) point at a file that exists "
          "and parses", check_spec_file),
    _rule("spec-operation", ERROR, "the operation after '#' is an operationId of that OpenAPI file",
          check_spec_operation),
    _rule("application-properties", ERROR, "application.properties next to the definition loads (Java properties, "
          "UTF-8); a key set twice is a warning", check_properties),
    _rule("resource-not-deployed", WARNING, "files the definition names are directly in specs/, schemas/ or "
          "subflows/, the directories a deploy mounts", check_not_deployed),
    _rule("multiple-definitions", WARNING, "a project directory holds one workflow definition",
          check_multiple_definitions),
]
