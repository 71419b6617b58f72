"""From a PATH to the definitions to lint, each with its project (the directory around it).

The layout the Orchestrator documents (and `kn-workflow gen-manifest` deploys): a project
directory holds `application.properties`, one `<workflow>.sw.yaml` and optional `specs/`,
`schemas/` and `subflows/` directories; files the definition names (`schemas/input.json`,
`specs/api.yaml#op`) are relative to that directory. A definition inside `subflows/` belongs to
the project around that directory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from orchestrator_cli.workflows.lint.source import Document, SourceError, load

DEFINITION_SUFFIXES = (".sw.yaml", ".sw.yml", ".sw.json")
# Never part of a workflow project: build output (Maven copies resources into target/), VCS, tooling.
SKIPPED_DIRS = frozenset({"target", "node_modules", "build", "dist"})
RESOURCE_DIRS = ("specs", "schemas", "subflows")  # what gen-manifest mounts next to the workflow
WORKFLOW_TYPES = ("infrastructure", "assessment")
TYPE_PREFIX = "workflow-type/"


def is_definition(path: Path) -> bool:
    return path.name.lower().endswith(DEFINITION_SUFFIXES)


def find_definitions(root: Path) -> list[Path]:
    """Every workflow definition under `root` (a directory), sorted, skipping hidden and build directories."""
    out: list[Path] = []

    def walk(directory: Path) -> None:
        try:
            entries = sorted(directory.iterdir())
        except OSError:
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_dir():
                if entry.name not in SKIPPED_DIRS:
                    walk(entry)
            elif is_definition(entry) and entry.is_file():
                out.append(entry)

    walk(root)
    return out


def project_dir_of(path: Path) -> Path:
    parent = path.parent
    return parent.parent if parent.name == "subflows" else parent


@dataclass
class Project:
    """The directory being linted: every definition in it (their ids answer 'does this workflow exist?')
    and a cache of the resource files definitions share."""

    root: Path
    definition_paths: list[Path]
    _documents: dict = field(default_factory=dict)

    def document(self, path: Path) -> Document | SourceError:
        key = path.resolve()
        if key not in self._documents:
            try:
                self._documents[key] = load(path)
            except SourceError as exc:
                self._documents[key] = exc
        return self._documents[key]

    def workflow_ids(self) -> set[str]:
        ids = set()
        for path in self.definition_paths:
            doc = self.document(path)
            if isinstance(doc, Document) and isinstance(doc.data, dict) and isinstance(doc.data.get("id"), str):
                ids.add(doc.data["id"])
        return ids


@dataclass
class Definition:
    """One workflow definition being linted, with what rules ask about it."""

    path: Path
    doc: Document
    project: Project

    @property
    def data(self) -> dict:
        return self.doc.data

    @property
    def directory(self) -> Path:
        return project_dir_of(self.path)

    @property
    def expression_lang(self) -> str:
        lang = self.data.get("expressionLang")
        return lang.strip().lower() if isinstance(lang, str) and lang.strip() else "jq"

    def states(self) -> Iterator[tuple[int, dict]]:
        states = self.data.get("states")
        if isinstance(states, list):
            for i, state in enumerate(states):
                if isinstance(state, dict):
                    yield i, state

    def state_names(self) -> dict[str, int]:
        """Name -> index of its first state."""
        names: dict[str, int] = {}
        for i, state in self.states():
            name = state.get("name")
            if isinstance(name, str):
                names.setdefault(name, i)
        return names

    def workflow_types(self) -> list[tuple[int, str]]:
        """(annotation index, type) for every `workflow-type/...` annotation."""
        annotations = self.data.get("annotations")
        if not isinstance(annotations, list):
            return []
        return [(i, a[len(TYPE_PREFIX):]) for i, a in enumerate(annotations)
                if isinstance(a, str) and a.startswith(TYPE_PREFIX)]

    @property
    def is_assessment(self) -> bool:
        return any(t == "assessment" for _, t in self.workflow_types())

    def resolve(self, reference: str) -> Path | None:
        """A relative file reference (no URL scheme, no classpath:) as a path in the project, else None."""
        ref = reference.strip()
        if not ref or "://" in ref or ref.startswith(("classpath:", "file:", "/")):
            return None
        return self.directory / ref

    def document(self, path: Path) -> Document | SourceError:
        return self.project.document(path)

    def output_schema_refs(self) -> list[tuple[tuple, str]]:
        """(key path, outputSchema) of each `workflow-output-schema` extension."""
        out = []
        extensions = self.data.get("extensions")
        if isinstance(extensions, list):
            for i, ext in enumerate(extensions):
                if isinstance(ext, dict) and ext.get("extensionid") == "workflow-output-schema":
                    out.append((("extensions", i, "outputSchema"), ext.get("outputSchema")))
        return out


def walk(node: Any, path: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    """Every (key path, value) below `node`, depth first, `node` itself first."""
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from walk(value, (*path, i))
