"""The Orchestrator's own rules for workflow authors (rhdhorchestrator.io "Workflow Types" and
serverless-workflows' best practices, Orchestrator 1.3–1.6):

- a `workflow-type/infrastructure` or `workflow-type/assessment` annotation; without one the
  Backstage plugin treats the workflow as infrastructure and ignores its output;
- an assessment returns `workflowOptions` with exactly six attributes: `currentVersion` (an
  object with `id` and `name`) and five lists of such objects (`newOptions`, `otherOptions`,
  `upgradeOptions`, `migrationOptions`, `continuationOptions`); the ids must name workflows that
  exist (the author's responsibility);
- the `workflow-output-schema` extension names a JSON Schema whose `result` property has the
  WorkflowResult shape (`message`, `outputs` of {key, value}, `nextWorkflows` of {id, name}), and
  results go under `data.result`.
"""

from __future__ import annotations

from orchestrator_cli.workflows.lint import jq
from orchestrator_cli.workflows.lint.model import ERROR, WARNING, Rule
from orchestrator_cli.workflows.lint.project import TYPE_PREFIX, WORKFLOW_TYPES, Definition, walk
from orchestrator_cli.workflows.lint.schemas import Resolver, load_checked, schema_type
from orchestrator_cli.workflows.lint.source import Document

OPTION_LISTS = ("newOptions", "otherOptions", "upgradeOptions", "migrationOptions", "continuationOptions")
OPTION_KEYS = ("currentVersion", *OPTION_LISTS)
RESULT_ITEM_KEYS = {"outputs": ("key", "value"), "nextWorkflows": ("id", "name")}


def _is_expression(value) -> bool:
    return isinstance(value, str) and jq.unwrap(value) is not None


def _type_pos(d: Definition) -> tuple[int, int]:
    return d.doc.key_at(("annotations",)) if "annotations" in d.data else d.doc.key_at(("id",))


# ---- workflow type -----------------------------------------------------------------------------------------
def check_type_missing(rule: Rule, d: Definition):
    if not d.workflow_types() and d.path.parent.name != "subflows":
        yield rule.finding(d, _type_pos(d), "no workflow-type annotation: the Orchestrator treats the workflow as "
                                            "infrastructure and ignores its output (add `annotations: "
                                            "[\"workflow-type/infrastructure\"]` or \"workflow-type/assessment\")")


def check_type_unknown(rule: Rule, d: Definition):
    annotations = d.data.get("annotations")
    if annotations is not None and not isinstance(annotations, list):
        yield rule.finding(d, d.doc.at(("annotations",)), "`annotations` must be a list of strings")
        return
    for i, kind in d.workflow_types():
        if kind not in WORKFLOW_TYPES:
            yield rule.finding(d, d.doc.at(("annotations", i)),
                               f"unknown workflow type {TYPE_PREFIX}{kind!s}: use {TYPE_PREFIX}infrastructure or "
                               f"{TYPE_PREFIX}assessment")
    kinds = {k for _, k in d.workflow_types() if k in WORKFLOW_TYPES}
    if len(kinds) > 1:
        i = d.workflow_types()[-1][0]
        yield rule.finding(d, d.doc.at(("annotations", i)), "both workflow-type/infrastructure and "
                                                            "workflow-type/assessment: a workflow has one type")


# ---- assessment --------------------------------------------------------------------------------------------
def _inject_options(d: Definition):
    """(path, value) of `workflowOptions` in every inject state's data."""
    for i, state in d.states():
        data = state.get("data")
        if state.get("type") == "inject" and isinstance(data, dict) and "workflowOptions" in data:
            yield ("states", i, "data", "workflowOptions"), data["workflowOptions"]


def _mentions_options(d: Definition) -> bool:
    """Some expression or filter names workflowOptions: the value is computed, so its shape is not checkable here."""
    for _, node in walk(d.data):
        if isinstance(node, str) and "workflowOptions" in node:
            return True
    return False


def _output_schema(d: Definition):
    """(document, key path of the root node) of the first readable output schema, else None."""
    for _, ref in d.output_schema_refs():
        if isinstance(ref, str):
            path = d.resolve(ref)
            if path is not None and path.is_file():
                doc = d.document(path)
                if isinstance(doc, Document) and isinstance(doc.data, dict):
                    return doc
    return None


def _option_item_problems(value, where: str) -> list[str]:
    if _is_expression(value):
        return []
    if not isinstance(value, dict):
        return [f"{where} must be an object with `id` and `name`"]
    missing = [k for k in ("id", "name") if k not in value]
    return [f"{where} lacks {' and '.join(f'`{k}`' for k in missing)}"] if missing else []


def check_assessment_options(rule: Rule, d: Definition):
    if not d.is_assessment:
        return
    injected = list(_inject_options(d))
    schema = _output_schema(d)
    schema_props = (schema.data.get("properties") or {}) if schema is not None else {}
    in_schema = isinstance(schema_props, dict) and "workflowOptions" in schema_props
    if not injected and not in_schema:
        if not _mentions_options(d):
            yield rule.finding(d, _type_pos(d), "an assessment must return `workflowOptions` (currentVersion and "
                                                "five option lists) and nothing in this workflow provides it: no "
                                                "inject state data, output schema property or expression names it")
        return
    for path, value in injected:
        for message in _options_problems(value):
            yield rule.finding(d, d.doc.at(path), message)
    if in_schema:
        resolved = Resolver(d.document).deref(schema_props["workflowOptions"], schema, ("properties", "workflowOptions"))
        if resolved is not None:
            node, sdoc, spath = resolved
            for message in _options_schema_problems(node, sdoc, Resolver(d.document)):
                yield rule.finding(d, sdoc.at(spath), f"output schema: {message}", file=sdoc.path)
    elif schema is not None and isinstance(schema.data.get("properties"), dict):
        yield rule.finding(d, schema.at(("properties",)), "output schema of an assessment does not describe "
                           "`workflowOptions`", file=schema.path, severity=WARNING)


def _options_problems(value) -> list[str]:
    if _is_expression(value):
        return []
    if not isinstance(value, dict):
        return ["`workflowOptions` must be an object with currentVersion, " + ", ".join(OPTION_LISTS)]
    problems = []
    missing = [k for k in OPTION_KEYS if k not in value]
    extra = [k for k in value if k not in OPTION_KEYS]
    if missing:
        problems.append(f"`workflowOptions` lacks {', '.join(missing)} (it must have exactly these six: "
                        f"{', '.join(OPTION_KEYS)})")
    if extra:
        problems.append(f"`workflowOptions` has {', '.join(map(str, extra))}, which the Orchestrator does not know "
                        f"(exactly six attributes: {', '.join(OPTION_KEYS)})")
    if "currentVersion" in value:
        problems += _option_item_problems(value["currentVersion"], "`currentVersion`")
    for key in OPTION_LISTS:
        items = value.get(key)
        if key not in value or _is_expression(items):
            continue
        if not isinstance(items, list):
            problems.append(f"`{key}` must be a list (empty, or of objects with `id` and `name`)")
            continue
        for n, item in enumerate(items):
            problems += _option_item_problems(item, f"`{key}` item {n + 1}")
    return problems


def _options_schema_problems(node, doc: Document, resolver: Resolver) -> list[str]:
    if not isinstance(node, dict):
        return []
    props = node.get("properties")
    if not isinstance(props, dict):
        return ["`workflowOptions` is described without `properties` for its six attributes"]
    problems = []
    missing = [k for k in OPTION_KEYS if k not in props]
    extra = [k for k in props if k not in OPTION_KEYS]
    if missing:
        problems.append(f"`workflowOptions` lacks {', '.join(missing)}")
    if extra:
        problems.append(f"`workflowOptions` describes {', '.join(extra)}, which the Orchestrator does not know")
    for key in OPTION_KEYS:
        if key not in props:
            continue
        resolved = resolver.deref(props[key], doc, ())
        if resolved is None:
            continue
        sub = resolved[0]
        types = schema_type(sub)
        want = "object" if key == "currentVersion" else "array"
        if types and want not in types:
            problems.append(f"`{key}` is described as {'/'.join(sorted(types))}, not {want}")
    return problems


def check_option_ids(rule: Rule, d: Definition):
    if not d.is_assessment:
        return
    known = d.project.workflow_ids()
    for path, value in _inject_options(d):
        if not isinstance(value, dict):
            continue
        items = [(("currentVersion",), value.get("currentVersion"))]
        for key in OPTION_LISTS:
            if isinstance(value.get(key), list):
                items += [((key, n), item) for n, item in enumerate(value[key])]
        for sub, item in items:
            ident = item.get("id") if isinstance(item, dict) else None
            if isinstance(ident, str) and ident and not _is_expression(ident) and ident not in known:
                yield rule.finding(d, d.doc.at((*path, *sub, "id")),
                                   f"workflow id {ident!r} names no workflow in this project; make sure it is "
                                   "deployed where the assessment runs")


# ---- output schema and data.result ------------------------------------------------------------------------
def check_output_schema_file(rule: Rule, d: Definition):
    for path, ref in d.output_schema_refs():
        if not isinstance(ref, str) or not ref.strip():
            yield rule.finding(d, d.doc.key_at(path[:-1]), "the workflow-output-schema extension needs "
                                                           "`outputSchema: <path to a JSON Schema file>`")
            continue
        _, findings = load_checked(d, rule, ref, d.doc.at(path), "output schema")
        yield from findings


def check_output_schema_result(rule: Rule, d: Definition):
    schema = _output_schema(d)
    if schema is None or not d.output_schema_refs():
        return
    data = schema.data
    resolver = Resolver(d.document)
    root = resolver.deref(data, schema, ())
    if root is None:
        return
    node, sdoc, spath = root
    props = node.get("properties") if isinstance(node, dict) else None
    if not isinstance(props, dict) or "result" not in props:
        hint = (" (`result` is a top-level keyword here: move it under `properties`)"
                if isinstance(node, dict) and "result" in node else "")
        yield rule.finding(d, sdoc.at(spath), "the output schema does not describe `result` under `properties`: "
                           f"the Orchestrator shows a workflow's output from data.result{hint}", file=sdoc.path)
        return
    resolved = resolver.deref(props["result"], sdoc, (*spath, "properties", "result"))
    if resolved is None:
        return  # a $ref this check cannot follow (e.g. to a shared schema outside the project)
    result, rdoc, rpath = resolved
    types = schema_type(result)
    if types and "object" not in types:
        yield rule.finding(d, rdoc.at(rpath), f"`result` is described as {'/'.join(sorted(types))}; the "
                           "WorkflowResult is an object", file=rdoc.path)
        return
    rprops = result.get("properties") if isinstance(result, dict) else None
    if not isinstance(rprops, dict):
        return
    expected = {"message": "string", "outputs": "array", "nextWorkflows": "array"}
    for key, want in expected.items():
        if key not in rprops:
            continue
        sub = resolver.deref(rprops[key], rdoc, (*rpath, "properties", key))
        if sub is None:
            continue
        snode, sdoc2, sp = sub
        stypes = schema_type(snode)
        if stypes and want not in stypes:
            yield rule.finding(d, sdoc2.at(sp), f"`result.{key}` is described as {'/'.join(sorted(stypes))}; "
                               f"WorkflowResult.{key} is a{'n' if want[0] in 'ae' else ''} {want}", file=sdoc2.path)
        elif key in RESULT_ITEM_KEYS and isinstance(snode, dict):
            item = resolver.deref(snode.get("items"), sdoc2, (*sp, "items")) if "items" in snode else None
            iprops = item[0].get("properties") if item and isinstance(item[0], dict) else None
            if isinstance(iprops, dict):
                missing = [k for k in RESULT_ITEM_KEYS[key] if k not in iprops]
                if missing:
                    yield rule.finding(d, item[1].at(item[2]), f"`result.{key}` items lack "
                                       f"{' and '.join(missing)} (WorkflowResult.{key} items have "
                                       f"{' and '.join(RESULT_ITEM_KEYS[key])})", file=item[1].path)


def _looks_like_result(data: dict) -> list[str]:
    """WorkflowResult fields placed at the top of the workflow data (they belong under `result`)."""
    found = []
    for key, item_keys in RESULT_ITEM_KEYS.items():
        items = data.get(key)
        if isinstance(items, list) and items and all(isinstance(i, dict) and set(item_keys) <= set(i) for i in items):
            found.append(key)
    if found and isinstance(data.get("message"), str):
        found.insert(0, "message")
    return found


def check_result_location(rule: Rule, d: Definition):
    for i, state in d.states():
        data = state.get("data")
        if state.get("type") != "inject" or not isinstance(data, dict):
            continue
        misplaced = _looks_like_result(data)
        if misplaced:
            yield rule.finding(d, d.doc.key_at(("states", i, "data", misplaced[0])),
                               f"{', '.join(misplaced)} at the top of the workflow data: the Orchestrator reads the "
                               "workflow result from data.result (put them under `result:`)")


def check_result_shape(rule: Rule, d: Definition):
    for i, state in d.states():
        data = state.get("data")
        if state.get("type") != "inject" or not isinstance(data, dict) or not isinstance(data.get("result"), dict):
            continue
        result = data["result"]
        base = ("states", i, "data", "result")
        if "message" in result and not isinstance(result["message"], str):
            yield rule.finding(d, d.doc.at((*base, "message")), "`result.message` must be a string")
        for key, item_keys in RESULT_ITEM_KEYS.items():
            items = result.get(key)
            if key not in result or _is_expression(items):
                continue
            if not isinstance(items, list):
                yield rule.finding(d, d.doc.at((*base, key)), f"`result.{key}` must be a list")
                continue
            for n, item in enumerate(items):
                if _is_expression(item):
                    continue
                missing = [k for k in item_keys if not isinstance(item, dict) or k not in item]
                if missing:
                    yield rule.finding(d, d.doc.at((*base, key, n)), f"`result.{key}` item {n + 1} lacks "
                                       f"{' and '.join(f'`{k}`' for k in missing)}")
            if key == "outputs":
                for n, item in enumerate(items):
                    fmt = item.get("format") if isinstance(item, dict) else None
                    if fmt is not None and fmt not in ("text", "number", "link", "markdown") and not _is_expression(fmt):
                        yield rule.finding(d, d.doc.at((*base, key, n, "format")), f"`result.outputs` format {fmt!r}: "
                                           "use text, number, link or markdown", severity=WARNING)


def _rule(id, severity, category, description, fn) -> Rule:
    rule: Rule | None = None

    def check(d: Definition):
        return list(fn(rule, d))

    rule = Rule(id, severity, category, description, check)
    return rule


RULES = [
    _rule("workflow-type-missing", WARNING, "workflow-type", "the definition carries a workflow-type annotation "
          "(without one the Orchestrator treats it as infrastructure and ignores its output)", check_type_missing),
    _rule("workflow-type-unknown", ERROR, "workflow-type", "workflow-type annotations are infrastructure or "
          "assessment, and one of them", check_type_unknown),
    _rule("assessment-options", ERROR, "assessment", "an assessment returns `workflowOptions` with exactly "
          "currentVersion {id, name} and the five option lists", check_assessment_options),
    _rule("assessment-option-id", WARNING, "assessment", "option ids name workflows of the same project",
          check_option_ids),
    _rule("output-schema-file", ERROR, "output-schema", "the workflow-output-schema extension names an existing, "
          "valid JSON Schema file", check_output_schema_file),
    _rule("output-schema-result", ERROR, "output-schema", "the output schema describes `result` with the "
          "WorkflowResult shape", check_output_schema_result),
    _rule("result-location", WARNING, "output-schema", "results (message, outputs, nextWorkflows) are placed under "
          "data.result", check_result_location),
    _rule("result-shape", ERROR, "output-schema", "data.result written by inject states has the WorkflowResult "
          "shape", check_result_shape),
]
