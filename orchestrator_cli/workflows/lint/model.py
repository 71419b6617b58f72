"""Lint rules as data, findings as values (like health/checks.py's checks).

A Rule describes itself (id, severity, description, the Orchestrator/spec text it enforces); its
`check(definition) -> Iterable[Finding]` reads one Definition (the parsed workflow file plus its
project) and never prints. The runner collects every finding of every rule, so authors see all
problems at once; renderers are in the CLI layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

ERROR = "error"
WARNING = "warning"
SEVERITIES = (ERROR, WARNING)


@dataclass(frozen=True)
class Finding:
    file: Path
    line: int
    column: int
    severity: str
    rule: str
    message: str

    def location(self, base: Path | None = None) -> str:
        path = self.file
        if base is not None:
            try:
                path = self.file.relative_to(base)
            except ValueError:
                pass
        return f"{path}:{self.line}:{self.column}"

    def line_text(self, base: Path | None = None) -> str:
        """`file:line:column: severity rule-id: message`, the shape compilers use (editors jump to it)."""
        return f"{self.location(base)}: {self.severity} {self.rule}: {self.message}"

    def to_dict(self) -> dict:
        return {"file": str(self.file), "line": self.line, "column": self.column, "severity": self.severity,
                "rule": self.rule, "message": self.message}

    def sort_key(self) -> tuple:
        return (str(self.file), self.line, self.column, self.rule, self.message)


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    category: str  # basics | workflow-type | assessment | output-schema | resources
    description: str
    check: Callable[["object"], Iterable[Finding]]  # Definition -> findings

    def finding(self, definition, pos: tuple[int, int], message: str, *, file: Path | None = None,
                severity: str | None = None) -> Finding:
        return Finding(file or definition.path, pos[0], pos[1], severity or self.severity, self.id, message)


@dataclass
class LintReport:
    root: Path
    definitions: list[Path]
    findings: list[Finding]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == WARNING]

    def for_file(self, path: Path) -> list[Finding]:
        return [f for f in self.findings if f.file == path]

    def summary(self) -> str:
        def n(count: int, word: str) -> str:
            return f"{count} {word}{'' if count == 1 else 's'}"

        return (f"{n(len(self.errors), 'error')}, {n(len(self.warnings), 'warning')} in "
                f"{n(len(self.definitions), 'workflow definition')}")

    def to_dict(self) -> dict:
        return {"root": str(self.root), "definitions": [str(p) for p in self.definitions],
                "errors": len(self.errors), "warnings": len(self.warnings),
                "findings": [f.to_dict() for f in self.findings]}
