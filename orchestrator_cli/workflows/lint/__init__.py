"""`orch workflow lint`: the user's workflow definitions checked against Serverless Workflow 0.8 and the
Orchestrator's rules, offline (no cluster).

`lint(path)` returns a LintReport of Findings (file:line:column, severity, rule id, message);
`RULES` lists every rule as data (docs/workflow-lint.md documents each with a failing and a
passing example). Raises InputError when PATH is neither a definition nor a directory holding one.
"""

from __future__ import annotations

from pathlib import Path

from orchestrator_cli.core.errors import InputError
from orchestrator_cli.workflows.lint import rules_basics, rules_orchestrator, rules_resources
from orchestrator_cli.workflows.lint.model import ERROR, Finding, LintReport, Rule
from orchestrator_cli.workflows.lint.project import DEFINITION_SUFFIXES, Definition, Project, find_definitions, is_definition
from orchestrator_cli.workflows.lint.source import Document, SourceError


def _syntax(definition) -> list[Finding]:  # the runner reports syntax problems itself (other rules need data)
    return []


SYNTAX = Rule("syntax", ERROR, "basics", "the file is valid YAML (or JSON for .sw.json), UTF-8, and a mapping",
              _syntax)
RULES: list[Rule] = [SYNTAX, *rules_basics.RULES, *rules_orchestrator.RULES, *rules_resources.RULES]


def rule(rule_id: str) -> Rule:
    return next(r for r in RULES if r.id == rule_id)


def resolve_target(path: Path) -> tuple[Path, list[Path]]:
    """(project root, definitions to lint) for a PATH; InputError when there is nothing to lint."""
    if not path.exists():
        raise InputError(f"{path} does not exist")
    if path.is_file():
        if not is_definition(path):
            raise InputError(f"{path} is not a workflow definition ({', '.join('*' + s for s in DEFINITION_SUFFIXES)})")
        return path.parent, [path]
    if not path.is_dir():
        raise InputError(f"{path} is neither a file nor a directory")
    found = find_definitions(path)
    if not found:
        raise InputError(f"no workflow definitions ({', '.join('*' + s for s in DEFINITION_SUFFIXES)}) under {path}")
    return path, found


def lint_definitions(root: Path, paths: list[Path], rules: list[Rule] | None = None,
                     project_paths: list[Path] | None = None) -> LintReport:
    """Lints `paths`; the project (whose workflow ids option ids may name) is `project_paths`, default `paths`."""
    project = Project(root, project_paths or paths)
    findings: list[Finding] = []
    for path in paths:
        doc = project.document(path)
        if isinstance(doc, SourceError):
            findings.append(SYNTAX.finding(None, doc.pos, doc.message, file=path))
            continue
        if not isinstance(doc.data, dict):
            findings.append(SYNTAX.finding(None, (1, 1), "a workflow definition must be a mapping (id, states, …)",
                                           file=path))
            continue
        definition = Definition(path, doc, project)
        for r in rules or RULES:
            findings.extend(r.check(definition))
    findings.sort(key=Finding.sort_key)
    return LintReport(root, paths, findings)


def lint(path: Path) -> LintReport:
    """Lints a definition or every definition under a directory. For a single file, the project is the
    directory it is in (the other definitions there answer whether an option id exists)."""
    path = Path(path)
    root, paths = resolve_target(path)
    return lint_definitions(root, paths, project_paths=find_definitions(root) if path.is_file() else None)


__all__ = ["RULES", "Document", "Finding", "LintReport", "Rule", "lint", "lint_definitions", "resolve_target", "rule"]
