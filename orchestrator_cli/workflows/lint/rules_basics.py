"""Definition basics (Serverless Workflow 0.8, as SonataFlow loads it): required fields, states,
transitions, ends, reachability, references, expressions."""

from __future__ import annotations

import re
from typing import Iterator

from orchestrator_cli.workflows.lint import jq
from orchestrator_cli.workflows.lint.model import ERROR, WARNING, Finding, Rule
from orchestrator_cli.workflows.lint.project import Definition, walk

STATE_TYPES = ("sleep", "event", "operation", "parallel", "switch", "inject", "foreach", "callback")
REQUIRED = ("id", "version", "specVersion", "start", "states")
# The SonataFlow CR, its Deployment and Service are named after the id (lower-cased by kn-workflow):
# a Service name is an RFC 1035 label.
_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
# Fields that hold an expression whether or not it is wrapped in ${ } (Serverless Workflow 0.8).
EXPRESSION_FIELDS = {
    "stateDataFilter": ("input", "output"),
    "actionDataFilter": ("fromStateData", "results", "toStateData"),
    "eventDataFilter": ("data", "toStateData"),
}


def _target(value) -> str | None:
    """A transition's target: `transition: Name` or `transition: {nextState: Name}`."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("nextState"), str):
        return value["nextState"]
    return None


def _ends(value) -> bool:
    return value is True or isinstance(value, dict)


def start_name(d: Definition) -> str | None:
    start = d.data.get("start")
    if isinstance(start, str):
        return start
    if isinstance(start, dict) and isinstance(start.get("stateName"), str):
        return start["stateName"]
    return None


def exits(state_path: tuple, state: dict) -> Iterator[tuple[tuple, dict]]:
    """(path, holder) of every place a state leaves from: the state itself, or each switch condition and
    the default condition. A holder has `transition` or `end`."""
    if state.get("type") == "switch":
        for key in ("dataConditions", "eventConditions"):
            conditions = state.get(key)
            if isinstance(conditions, list):
                for i, cond in enumerate(conditions):
                    if isinstance(cond, dict):
                        yield (*state_path, key, i), cond
        default = state.get("defaultCondition")
        if isinstance(default, dict):
            yield (*state_path, "defaultCondition"), default
    else:
        yield state_path, state


def edges(state_path: tuple, state: dict) -> Iterator[tuple[tuple, str]]:
    """(path of the reference, target state name) of every transition out of a state."""
    for path, holder in exits(state_path, state):
        target = _target(holder.get("transition"))
        if target is not None:
            yield (*path, "transition"), target
    on_errors = state.get("onErrors")
    if isinstance(on_errors, list):
        for i, handler in enumerate(on_errors):
            if isinstance(handler, dict):
                target = _target(handler.get("transition"))
                if target is not None:
                    yield (*state_path, "onErrors", i, "transition"), target
    if isinstance(state.get("compensatedBy"), str):
        yield (*state_path, "compensatedBy"), state["compensatedBy"]


# ---- checks ------------------------------------------------------------------------------------------------
def check_duplicate_key(rule: Rule, d: Definition):
    for path, pos in d.doc.duplicate_keys:
        yield rule.finding(d, pos, f"key {path[-1]!r} is given twice; the later value is used")


def check_required(rule: Rule, d: Definition):
    for key in REQUIRED:
        if key not in d.data or d.data[key] in (None, ""):
            why = {"id": "the Orchestrator, kn-workflow and the SonataFlow CR name the workflow by its id",
                   "version": "the Orchestrator shows it and gen-manifest annotates the CR with it",
                   "specVersion": "SonataFlow needs it to parse the definition (\"0.8\")",
                   "start": "the workflow has no first state",
                   "states": "the workflow has no states"}[key]
            yield rule.finding(d, (1, 1), f"required field `{key}` is missing: {why}")
    states = d.data.get("states")
    if states is not None and not (isinstance(states, list) and states):
        yield rule.finding(d, d.doc.at(("states",)), "`states` must be a non-empty list of states")
    for key in ("id", "version"):
        value = d.data.get(key)
        if value is not None and not isinstance(value, str):
            yield rule.finding(d, d.doc.at((key,)), f"`{key}` must be a string (quote it: {key}: \"{value}\")")


def check_spec_version(rule: Rule, d: Definition):
    value = d.data.get("specVersion")
    if value is not None and str(value).strip() != "0.8":
        yield rule.finding(d, d.doc.at(("specVersion",)),
                           f"specVersion {value!r}: SonataFlow implements Serverless Workflow \"0.8\"")


def check_id_format(rule: Rule, d: Definition):
    value = d.data.get("id")
    if not isinstance(value, str) or not value:
        return
    pos = d.doc.at(("id",))
    lower = value.lower()
    if len(lower) > 63 or not _LABEL.match(lower):
        yield rule.finding(d, pos, f"id {value!r} cannot name the SonataFlow workflow and its Service: use lower-case "
                                   "letters, digits and '-', starting with a letter, at most 63 characters")
    elif lower != value:
        yield rule.finding(d, pos, f"id {value!r} has upper-case letters: the SonataFlow CR is named {lower!r} while "
                                   "the Orchestrator shows the id as written", severity=WARNING)


def check_state_type(rule: Rule, d: Definition):
    for i, state in d.states():
        if not isinstance(state.get("name"), str) or not state.get("name"):
            yield rule.finding(d, d.doc.at(("states", i)), "state without a `name`")
        kind = state.get("type")
        if kind not in STATE_TYPES:
            where = d.doc.at(("states", i, "type")) if "type" in state else d.doc.at(("states", i))
            shown = f"type {kind!r}" if kind is not None else "no `type`"
            yield rule.finding(d, where, f"state {state.get('name')!r} has {shown}; Serverless Workflow 0.8 "
                                         f"states are {', '.join(STATE_TYPES)}")
    states = d.data.get("states")
    if isinstance(states, list):
        for i, state in enumerate(states):
            if not isinstance(state, dict):
                yield rule.finding(d, d.doc.at(("states", i)), "each state must be a mapping")


def check_duplicate_state(rule: Rule, d: Definition):
    first: dict[str, int] = {}
    for i, state in d.states():
        name = state.get("name")
        if not isinstance(name, str):
            continue
        if name in first:
            line = d.doc.at(("states", first[name], "name"))[0]
            yield rule.finding(d, d.doc.at(("states", i, "name")), f"state {name!r} is defined twice (first on line {line})")
        else:
            first[name] = i


def check_start_state(rule: Rule, d: Definition):
    if "start" not in d.data or not d.state_names():
        return
    name = start_name(d)
    path = ("start",) if isinstance(d.data.get("start"), str) else ("start", "stateName")
    if name is None:
        yield rule.finding(d, d.doc.at(("start",)), "`start` must name a state (start: Name or start: {stateName: Name})")
    elif name not in d.state_names():
        yield rule.finding(d, d.doc.at(path), f"start state {name!r} is not defined{_suggest(name, d)}")


def _suggest(name: str, d: Definition) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(d.state_names()), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_transition_target(rule: Rule, d: Definition):
    names = d.state_names()
    for i, state in d.states():
        for path, target in edges(("states", i), state):
            if target not in names:
                what = "compensatedBy names" if path[-1] == "compensatedBy" else "transition to"
                yield rule.finding(d, d.doc.at(path), f"{what} state {target!r}, which is not defined{_suggest(target, d)}")


def check_state_exit(rule: Rule, d: Definition):
    for i, state in d.states():
        name = state.get("name")
        if state.get("type") == "switch" and "defaultCondition" not in state:
            yield rule.finding(d, d.doc.at(("states", i, "name")),
                               f"switch state {name!r} has no `defaultCondition` (required: where to go when no condition matches)")
        for path, holder in exits(("states", i), state):
            has_transition = holder.get("transition") not in (None, "")
            has_end = _ends(holder.get("end"))
            if path == ("states", i):
                where = "it"
            elif path[-1] == "defaultCondition":
                where = "its default condition"
            else:
                where = f"{path[-2][:-len('Conditions')]} condition {path[-1] + 1}"
            if has_transition and has_end:
                yield rule.finding(d, d.doc.key_at((*path, "end")),
                                   f"state {name!r}: {where} has both `transition` and `end`; keep one")
            elif not has_transition and not has_end:
                pos = d.doc.key_at(path) if path != ("states", i) else d.doc.at(("states", i, "name"))
                yield rule.finding(d, pos, f"state {name!r}: {where} has neither `transition` nor `end: true`")


def check_no_end(rule: Rule, d: Definition):
    if not d.state_names():
        return
    for i, state in d.states():
        for _, holder in exits(("states", i), state):
            if _ends(holder.get("end")):
                return
        for handler in state.get("onErrors") or []:
            if isinstance(handler, dict) and _ends(handler.get("end")):
                return
    yield rule.finding(d, d.doc.key_at(("states",)), "no state ends the workflow (`end: true` on at least one state)")


def check_unreachable(rule: Rule, d: Definition):
    names = d.state_names()
    start = start_name(d)
    if start not in names:
        return  # start-state reports it; everything would look unreachable
    graph = {state.get("name"): [t for _, t in edges(("states", i), state)] for i, state in d.states()}
    seen, todo = {start}, [start]
    while todo:
        for target in graph.get(todo.pop(), []):
            if target in names and target not in seen:
                seen.add(target)
                todo.append(target)
    for name, i in names.items():
        if name not in seen:
            yield rule.finding(d, d.doc.at(("states", i, "name")),
                               f"state {name!r} is not reachable from the start state {start!r}")


def _declared(d: Definition, key: str) -> set[str] | None:
    """Names of the declared functions/events, or None when they come from a file (`functions: file.json`)."""
    value = d.data.get(key)
    if isinstance(value, str):
        return None
    return {item["name"] for item in value or [] if isinstance(item, dict) and isinstance(item.get("name"), str)} \
        if isinstance(value, list) else set()


def check_function_ref(rule: Rule, d: Definition):
    functions = _declared(d, "functions")
    if functions is None:
        return
    for path, node in walk(d.data.get("states"), ("states",)):
        if isinstance(node, dict) and "functionRef" in node:
            ref = node["functionRef"]
            name = ref if isinstance(ref, str) else ref.get("refName") if isinstance(ref, dict) else None
            where = (*path, "functionRef") if isinstance(ref, str) else (*path, "functionRef", "refName")
            if not isinstance(name, str):
                yield rule.finding(d, d.doc.at((*path, "functionRef")), "functionRef must name a function (refName)")
            elif name not in functions:
                yield rule.finding(d, d.doc.at(where), f"function {name!r} is not declared in `functions`")


def check_event_ref(rule: Rule, d: Definition):
    events = _declared(d, "events")
    if events is None:
        return
    for path, node in walk(d.data.get("states"), ("states",)):
        if not isinstance(node, dict):
            continue
        refs = []
        for key in ("eventRef", "triggerEventRef", "resultEventRef"):
            if isinstance(node.get(key), str):
                refs.append(((*path, key), node[key]))
        if isinstance(node.get("eventRefs"), list):
            refs += [((*path, "eventRefs", j), r) for j, r in enumerate(node["eventRefs"]) if isinstance(r, str)]
        for where, name in refs:
            if name not in events:
                yield rule.finding(d, d.doc.at(where), f"event {name!r} is not declared in `events`")


def expressions(d: Definition) -> Iterator[tuple[tuple, str, int]]:
    """(path, expression, offset of the expression in the scalar) of every jq expression in the states and
    in `type: expression` functions: ${ } strings anywhere, bare strings in the expression-only fields."""
    for path, node in walk(d.data.get("states"), ("states",)):
        if "metadata" in path:
            continue
        if isinstance(node, str):
            inner = jq.unwrap(node)
            if inner is not None:
                yield path, inner[0], inner[1]
            elif node.strip() and _expression_field(d, path):
                yield path, node, 0
    functions = d.data.get("functions")
    if isinstance(functions, list):
        for i, fn in enumerate(functions):
            if isinstance(fn, dict) and fn.get("type") == "expression" and isinstance(fn.get("operation"), str):
                inner = jq.unwrap(fn["operation"])
                yield ("functions", i, "operation"), *(inner or (fn["operation"], 0))


def _expression_field(d: Definition, path: tuple) -> bool:
    if len(path) < 2:
        return False
    parent, key = path[-2], path[-1]
    if isinstance(parent, str) and key in EXPRESSION_FIELDS.get(parent, ()):
        return True
    if key == "condition":  # switch dataConditions[].condition, actions[].condition
        return len(path) >= 3 and path[-3] in ("dataConditions", "actions")
    if key in ("inputCollection", "outputCollection") and len(path) == 3:
        state = d.data["states"][path[1]]
        return isinstance(state, dict) and state.get("type") == "foreach"
    return False


def check_expression_syntax(rule: Rule, d: Definition):
    if d.expression_lang != "jq":
        return  # no pure-Python parser for other languages here: skip rather than guess
    for path, expr, _offset in expressions(d):
        error = jq.check(expr)
        if error is not None:
            shown = expr.strip().replace("\n", " ")
            shown = shown if len(shown) <= 60 else shown[:57] + "..."
            yield rule.finding(d, d.doc.at(path), f"jq expression does not parse: {error} in `{shown}`")


def _rule(id, severity, description, fn) -> Rule:
    rule: Rule | None = None

    def check(d: Definition) -> list[Finding]:
        return list(fn(rule, d))

    rule = Rule(id, severity, "basics", description, check)
    return rule


RULES = [
    _rule("required-field", ERROR, "`id`, `version`, `specVersion`, `start` and `states` are present", check_required),
    _rule("duplicate-key", WARNING, "no mapping key is given twice (the later one silently wins)", check_duplicate_key),
    _rule("spec-version", WARNING, "`specVersion` is \"0.8\", the Serverless Workflow version SonataFlow implements",
          check_spec_version),
    _rule("id-format", ERROR, "the id can name a SonataFlow CR and its Service (lower case, digits, '-', at most 63)",
          check_id_format),
    _rule("state-type", ERROR, "every state has a name and one of the eight 0.8 state types", check_state_type),
    _rule("duplicate-state", ERROR, "no two states share a name", check_duplicate_state),
    _rule("start-state", ERROR, "`start` names a defined state", check_start_state),
    _rule("transition-target", ERROR, "every transition (and compensatedBy) names a defined state",
          check_transition_target),
    _rule("state-exit", ERROR, "every state, switch condition and default condition has exactly one of "
          "`transition` or `end`; a switch has a defaultCondition", check_state_exit),
    _rule("no-end", ERROR, "at least one state ends the workflow", check_no_end),
    _rule("unreachable-state", WARNING, "every state is reachable from `start`", check_unreachable),
    _rule("function-ref", ERROR, "every functionRef names a declared function", check_function_ref),
    _rule("event-ref", ERROR, "every event reference names a declared event", check_event_ref),
    _rule("expression-syntax", ERROR, "jq expressions parse (jackson-jq's grammar, as SonataFlow compiles them); "
          "other expression languages are skipped", check_expression_syntax),
]
