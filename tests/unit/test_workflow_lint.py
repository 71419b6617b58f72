"""`orch workflow lint`, rule by rule: every broken variant of the authored projects
(tests/workflow_projects/valid) must give its rule's finding at the right line and column, and
nothing the variant did not cause. The variants are single edits of the valid files, so the
expected position is where the edit (a marker in the edited text) landed."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from orchestrator_cli.core.errors import InputError
from orchestrator_cli.workflows.lint import RULES, lint

VALID = Path(__file__).parents[1] / "workflow_projects" / "valid"
ORCH = str(Path(sys.executable).parent / "orch")
GREET = "greet/greet.sw.yaml"
CHOOSE = "choose-path/choose-path.sw.yaml"
GREET_OUT = "greet/schemas/workflow-output-schema.json"


@dataclass(frozen=True)
class Variant:
    id: str
    rule: str
    file: str  # the file edited, relative to valid/
    old: str  # replaced once (must occur in the file)
    new: str
    marker: str | None  # where the finding must point: first char of the marker's n-th occurrence in the new text
    occurrence: int = 1
    offset: int = 0  # columns after the marker's start
    reported_in: str | None = None  # the file the finding names, when not `file`
    also: frozenset = field(default_factory=frozenset)  # other rules the edit legitimately triggers
    severity: str | None = None  # when not the rule's own
    more: tuple = ()  # further (old, new) edits of the same file, every occurrence replaced


def pos(text: str, marker: str | None, occurrence: int = 1, offset: int = 0) -> tuple[int, int]:
    if marker is None:
        return 1, 1
    index = -1
    for _ in range(occurrence):
        index = text.index(marker, index + 1)
    index += offset
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, column


ORPHAN = "  - name: Orphan\n    type: inject\n    data: {}\n    end: true\n"
WAIT_EVENT = "  - name: WaitForAck\n    type: event\n    onEvents:\n      - eventRefs: [ack]\n    end: true\n"

VARIANTS = (
    Variant("yaml-broken", "syntax", GREET, "start: ChooseLanguage", "start: [ChooseLanguage", "functions:", offset=9,
            also=frozenset({"assessment-option-id"})),
    Variant("duplicate-key", "duplicate-key", GREET, 'name: Greet a user\n', 'name: Greet a user\nversion: "2.0"\n',
            'version: "2.0"'),
    Variant("no-version", "required-field", GREET, 'version: "1.0"\n', "", None),
    Variant("version-number", "required-field", GREET, 'version: "1.0"', "version: 1.0", "1.0"),
    Variant("spec-version", "spec-version", GREET, 'specVersion: "0.8"', 'specVersion: "0.7"', '"0.7"'),
    Variant("id-underscore", "id-format", GREET, "id: greet", "id: greet_user", "greet_user",
            also=frozenset({"assessment-option-id"})),
    Variant("id-upper", "id-format", GREET, "id: greet", "id: Greet", "Greet", severity="warning",
            also=frozenset({"assessment-option-id"})),
    Variant("state-type", "state-type", GREET, "    type: inject\n", "    type: injection\n", "injection"),
    Variant("duplicate-state", "duplicate-state", GREET, "- name: GreetInSpanish", "- name: GreetInEnglish",
            "GreetInEnglish", occurrence=3, also=frozenset({"transition-target"})),
    Variant("start-state", "start-state", GREET, "start: ChooseLanguage", "start: ChooseLang", "ChooseLang",
            also=frozenset({"unreachable-state"})),
    Variant("transition-target", "transition-target", GREET, "transition: Report", "transition: Reprot", "Reprot",
            also=frozenset({"unreachable-state"})),
    Variant("state-neither", "state-exit", GREET, '      greeting: "Hello"\n    transition: Send\n',
            '      greeting: "Hello"\n', "GreetInEnglish", occurrence=2),
    Variant("state-both", "state-exit", GREET, "    transition: Report\n", "    transition: Report\n    end: true\n",
            "end: true", occurrence=1),
    Variant("switch-condition-neither", "state-exit", GREET, "        transition: GreetInSpanish\n", "",
            "condition:", also=frozenset({"unreachable-state"})),
    Variant("switch-no-default", "state-exit", GREET, "    defaultCondition:\n      transition: GreetInEnglish\n", "",
            "ChooseLanguage", occurrence=2, also=frozenset({"unreachable-state"})),
    Variant("no-end", "no-end", GREET, "          - key: Greeting\n            value: sent\n            format: text\n"
            "    end: true\n", "          - key: Greeting\n            value: sent\n            format: text\n"
            "    transition: ChooseLanguage\n", "states:"),
    Variant("unreachable", "unreachable-state", GREET, "    end: true\n", "    end: true\n" + ORPHAN, "Orphan"),
    Variant("function-ref", "function-ref", GREET, "refName: log\n", "refName: logger\n", "logger"),
    Variant("event-ref", "event-ref", GREET, "    end: true\n", "    end: true\n" + WAIT_EVENT, "ack",
            also=frozenset({"unreachable-state"})),
    Variant("jq-unterminated", "expression-syntax", GREET, """'${ .language == "Spanish" }'""",
            """'${ .language == "Spanish }'""", "'${ .language"),
    Variant("jq-bare-field", "expression-syntax", GREET, "toStateData: .sent", "toStateData: .sent.", ".sent."),
    Variant("type-missing", "workflow-type-missing", GREET, 'annotations:\n  - "workflow-type/infrastructure"\n', "",
            "id:"),
    Variant("type-unknown", "workflow-type-unknown", GREET, '"workflow-type/infrastructure"', '"workflow-type/infra"',
            '"workflow-type/infra"'),
    Variant("type-conflict", "workflow-type-unknown", GREET, '  - "workflow-type/infrastructure"\n',
            '  - "workflow-type/infrastructure"\n  - workflow-type/assessment\n', "workflow-type/assessment",
            also=frozenset({"assessment-options"})),
    Variant("options-missing-attr", "assessment-options", CHOOSE, "        upgradeOptions: []\n", "",
            "currentVersion:", occurrence=1),
    Variant("options-extra-attr", "assessment-options", CHOOSE, "        continuationOptions: []\n",
            "        continuationOptions: []\n        laterOptions: []\n", "currentVersion:", occurrence=2),
    Variant("options-item-shape", "assessment-options", CHOOSE, "          - id: greet\n            name: Greet another user\n",
            "          - id: greet\n", "currentVersion:", occurrence=1),
    Variant("options-none", "assessment-options", CHOOSE, "annotations:\n  - workflow-type/assessment\n"
            "dataInputSchema: schemas/choose-path-input.json\nextensions:\n  - extensionid: workflow-output-schema\n"
            "    outputSchema: schemas/workflow-output-schema.json\n",
            "annotations:\n  - workflow-type/assessment\ndataInputSchema: schemas/choose-path-input.json\n", "annotations:",
            more=(("      workflowOptions:\n", "      options:\n"),)),
    Variant("option-id", "assessment-option-id", CHOOSE, "          id: greet\n", "          id: greet-v2\n", "greet-v2"),
    Variant("output-schema-missing", "output-schema-file", GREET, "schemas/workflow-output-schema.json",
            "schemas/workflow-output.json", "schemas/workflow-output.json"),
    Variant("output-schema-invalid", "output-schema-file", GREET_OUT, '"type": "object",\n  "properties"',
            '"type": "objekt",\n  "properties"', '"objekt"'),
    Variant("output-schema-no-result", "output-schema-result", GREET_OUT, '"result": {', '"results": {', None),
    Variant("output-schema-message-type", "output-schema-result", GREET_OUT, '"message": {"type": "string"}',
            '"message": {"type": "number"}', '{"type": "number"}'),
    Variant("result-outside", "result-location", GREET, "      result:\n        message: Greeting sent\n        outputs:\n"
            "          - key: Greeting\n            value: sent\n            format: text\n",
            "      message: Greeting sent\n      outputs:\n        - key: Greeting\n          value: sent\n"
            "          format: text\n", "message: Greeting sent"),
    Variant("result-shape", "result-shape", GREET, "            value: sent\n", "", "key: Greeting"),
    Variant("input-schema-missing", "input-schema", GREET, "schemas/greet-input.json", "schemas/greet.json",
            "schemas/greet.json"),
    Variant("input-schema-invalid", "input-schema", "greet/schemas/greet-input.json", '"required": ["user"]',
            '"required": "user"', '"user"', occurrence=2),
    Variant("input-schema-not-json", "input-schema", "greet/schemas/greet-input.json", '"title": "Greet input",',
            '"title": "Greet input"', '"type"', offset=0),
    Variant("spec-file", "spec-file", GREET, "specs/notify.yaml#", "specs/notice.yaml#", "specs/notice.yaml"),
    Variant("spec-operation", "spec-operation", GREET, "#sendGreeting", "#sendGreetings", "specs/notify.yaml#"),
    Variant("properties-escape", "application-properties", "greet/application.properties", "quarkus.log.level=INFO\n",
            "quarkus.log.level=INFO\nbad.text=caf\\u00e\n", "\\u00e"),
    Variant("properties-duplicate", "application-properties", "greet/application.properties",
            "kie.flyway.enabled=true\n", "kie.flyway.enabled=true\nquarkus.log.level=DEBUG\n",
            "quarkus.log.level=DEBUG", severity="warning"),
)


def _make(tmp_path: Path, variant: Variant) -> tuple[Path, str]:
    root = tmp_path / "valid"
    shutil.copytree(VALID, root)
    target = root / variant.file
    text = target.read_text()
    assert variant.old in text, f"{variant.id}: {variant.old!r} not in {variant.file}"
    new = text.replace(variant.old, variant.new, 1)
    for old, replacement in variant.more:
        assert old in new, f"{variant.id}: {old!r} not in {variant.file}"
        new = new.replace(old, replacement)
    target.write_text(new)
    return root, new


def test_valid_projects_have_no_findings():
    report = lint(VALID)
    assert [f.line_text() for f in report.findings] == []
    assert len(report.definitions) == 2


@pytest.mark.parametrize("variant", VARIANTS, ids=[v.id for v in VARIANTS])
def test_variant(tmp_path, variant: Variant):
    root, text = _make(tmp_path, variant)
    report = lint(root)
    reported = root / (variant.reported_in or variant.file)
    expected = pos(text, variant.marker, variant.occurrence, variant.offset)
    rule = next(r for r in RULES if r.id == variant.rule)
    mine = [f for f in report.findings if f.rule == variant.rule]
    assert mine, f"no {variant.rule} finding; got {[f.line_text() for f in report.findings]}"
    assert any(f.file == reported and (f.line, f.column) == expected for f in mine), \
        f"expected {variant.rule} at {reported.name}:{expected}; got {[f.line_text() for f in mine]}"
    assert all(f.severity == (variant.severity or rule.severity) for f in mine)
    unexpected = {f.rule for f in report.findings} - {variant.rule} - variant.also
    assert not unexpected, [f.line_text() for f in report.findings if f.rule in unexpected]


def test_every_rule_has_a_broken_variant():
    assert {r.id for r in RULES} - {v.rule for v in VARIANTS} == {"resource-not-deployed", "multiple-definitions"}


def test_resource_outside_the_mounted_directories(tmp_path):
    root = tmp_path / "valid"
    shutil.copytree(VALID, root)
    (root / "greet/specs/notify.yaml").rename(root / "greet/notify.yaml")
    definition = root / GREET
    text = definition.read_text().replace("specs/notify.yaml#", "notify.yaml#")
    definition.write_text(text)
    findings = lint(root).findings
    assert [(f.rule, f.line, f.column) for f in findings] == [("resource-not-deployed", *pos(text, "notify.yaml#"))]


def test_two_definitions_in_one_project(tmp_path):
    root = tmp_path / "valid"
    shutil.copytree(VALID, root)
    text = (root / GREET).read_text().replace("id: greet", "id: greet-two")
    (root / "greet/greet-two.sw.yaml").write_text(text)
    findings = lint(root).findings
    assert [(f.rule, f.file.name, f.line, f.column) for f in findings] == [
        ("multiple-definitions", "greet-two.sw.yaml", 1, 1)]


def test_json_definition_positions(tmp_path):
    definition = {"id": "json-flow", "version": "1.0", "specVersion": "0.8", "start": "Only",
                  "annotations": ["workflow-type/infrastructure"],
                  "states": [{"name": "Only", "type": "inject", "data": {}, "transition": "Missing"}]}
    path = tmp_path / "json-flow.sw.json"
    text = json.dumps(definition, indent="\t")  # tabs: JSON allows them, YAML does not
    path.write_text(text)
    findings = lint(path).findings
    assert [(f.rule, f.line, f.column) for f in findings] == [("no-end", *pos(text, '"states"')),
                                                              ("transition-target", *pos(text, '"Missing"'))]
    path.write_text(text.replace('"Only",', '"Only"', 1))
    findings = lint(path).findings
    assert [f.rule for f in findings] == ["syntax"] and findings[0].message.startswith("not valid JSON")


def test_not_utf8_and_not_a_mapping(tmp_path):
    path = tmp_path / "bad.sw.yaml"
    path.write_bytes(b"id: bad\nname: caf\xe9\n")
    assert [(f.rule, f.line, f.column, f.message) for f in lint(path).findings] == [
        ("syntax", 2, 10, "not valid UTF-8")]
    path.write_text("- id: bad\n- states: []\n")
    assert [(f.rule, f.line, f.column) for f in lint(path).findings] == [("syntax", 1, 1)]


def test_other_expression_languages_are_skipped(tmp_path):
    root = tmp_path / "valid"
    shutil.copytree(VALID, root)
    definition = root / GREET
    definition.write_text(definition.read_text().replace("expressionLang: jq", "expressionLang: jsonpath")
                          .replace("toStateData: .sent", "toStateData: $.sent[("))
    assert lint(root).findings == []


def test_bad_paths():
    with pytest.raises(InputError, match="does not exist"):
        lint(VALID / "nope")
    with pytest.raises(InputError, match="is not a workflow definition"):
        lint(VALID / "greet" / "application.properties")
    with pytest.raises(InputError, match="no workflow definitions"):
        lint(VALID / "greet" / "schemas")


def test_the_project_is_the_directory_linted():
    """Option ids are looked up among the definitions of the directory linted (for one file: its directory)."""
    assert lint(VALID).findings == []
    alone = lint(VALID / CHOOSE).findings
    assert {(f.rule, f.severity) for f in alone} == {("assessment-option-id", "warning")} and len(alone) == 3


def test_cli_lines_json_and_exit_codes(tmp_path):
    root, text = _make(tmp_path, next(v for v in VARIANTS if v.id == "transition-target"))
    out = subprocess.run([ORCH, "workflow", "lint", str(root)], capture_output=True, text=True)
    assert out.returncode == 15, out.stderr
    line, col = pos(text, "Reprot")
    assert f"{root / GREET}:{line}:{col}: error transition-target: transition to state 'Reprot', which is not " \
           f"defined (did you mean 'Report'?)" in out.stdout.splitlines()
    assert out.stderr.splitlines()[-1] == "error: workflow lint found 1 error"
    as_json = subprocess.run([ORCH, "workflow", "lint", str(root), "-o", "json"], capture_output=True, text=True)
    data = json.loads(as_json.stdout)
    assert as_json.returncode == 15 and data["errors"] == 1
    assert {"rule": "transition-target", "line": line, "column": col, "severity": "error"}.items() <= \
        next(f for f in data["findings"] if f["rule"] == "transition-target").items()
    ok = subprocess.run([ORCH, "workflow", "lint", str(VALID)], capture_output=True, text=True)
    assert ok.returncode == 0 and ok.stdout == "" and "0 errors, 0 warnings in 2 workflow definitions" in ok.stderr
    warn_only = _make(tmp_path / "w", next(v for v in VARIANTS if v.id == "type-missing"))[0]
    warned = subprocess.run([ORCH, "workflow", "lint", str(warn_only)], capture_output=True, text=True)
    assert warned.returncode == 0 and "warning workflow-type-missing" in warned.stdout
    missing = subprocess.run([ORCH, "workflow", "lint", str(tmp_path / "absent")], capture_output=True, text=True)
    assert missing.returncode == 2 and missing.stderr.strip() == f"error: {tmp_path / 'absent'} does not exist"


def test_every_rule_is_documented_with_a_failing_and_a_passing_example():
    import re

    doc = (Path(__file__).parents[2] / "docs" / "workflow-lint.md").read_text()
    sections = re.split(r"^#### ", doc, flags=re.M)[1:]
    documented = {}
    for section in sections:
        heading = re.match(r"`([a-z-]+)` \((error|warning)", section)
        assert heading, section.splitlines()[0]
        body = section.split("\n### ", 1)[0]
        assert "Fails" in body and "Passes" in body, f"{heading.group(1)}: needs a failing and a passing example"
        documented[heading.group(1)] = heading.group(2)
    assert documented == {r.id: r.severity for r in RULES}


def test_merge_keys_are_not_duplicates():
    from orchestrator_cli.workflows.lint.source import parse

    doc = parse("base: &b {a: 1, c: 2}\nx:\n  <<: *b\n  a: 3\ny: {k: 1, k: 2}\n", Path("x.sw.yaml"))
    assert doc.data["x"] == {"a": 3, "c": 2}
    assert doc.duplicate_keys == [(("y", "k"), (5, 11))]
