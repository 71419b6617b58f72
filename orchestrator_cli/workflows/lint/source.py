"""YAML/JSON documents that remember where every node came from (1-based line and column).

`load(path)` returns a Document: `data` is the plain Python value (dicts, lists, scalars, as
yaml.safe_load would build it) and `at(path)` the position of the value at a key path such as
("states", 2, "transition"); `key_at(path)` the position of its key. Rules read plain data and
ask for positions only when they report, so they stay simple.

JSON goes through json.loads first (its errors and duplicate rules are JSON's), then through
PyYAML's composer for the marks: JSON is YAML flow syntax; tabs, which YAML does not allow as
separators, are replaced by spaces (same width, so columns stay exact).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

# libyaml's parser when PyYAML has it (5-10x faster, same nodes and marks), else the pure-Python one.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

Pos = tuple[int, int]  # 1-based line, column
KeyPath = tuple  # of str (mapping keys) and int (sequence indexes)


class SourceError(Exception):
    """The file cannot be read or parsed; `pos` says where (1-based), when known."""

    def __init__(self, message: str, pos: Pos = (1, 1)):
        super().__init__(message)
        self.message = message
        self.pos = pos


@dataclass
class Document:
    path: Path
    data: Any
    positions: dict = field(default_factory=dict)  # KeyPath -> Pos of the value
    key_positions: dict = field(default_factory=dict)  # KeyPath -> Pos of the mapping key
    duplicate_keys: list = field(default_factory=list)  # (KeyPath, Pos) of keys given twice

    def at(self, path: KeyPath) -> Pos:
        """Position of the value at `path`, or of the nearest enclosing node that exists."""
        path = tuple(path)
        while path and path not in self.positions:
            path = path[:-1]
        return self.positions.get(path, (1, 1))

    def key_at(self, path: KeyPath) -> Pos:
        """Position of the key of `path` (for a sequence item: the item itself)."""
        path = tuple(path)
        return self.key_positions.get(path) or self.at(path)

    def get(self, path: KeyPath, default: Any = None) -> Any:
        node = self.data
        for part in path:
            if isinstance(part, int) and isinstance(node, list) and -len(node) <= part < len(node):
                node = node[part]
            elif isinstance(part, str) and isinstance(node, dict) and part in node:
                node = node[part]
            else:
                return default
        return node


def _mark(mark) -> Pos:
    return mark.line + 1, mark.column + 1


class _Builder:
    def __init__(self, loader, doc: Document):
        self.loader = loader
        self.doc = doc

    def build(self, node, path: KeyPath, depth: int = 0):
        if depth > 200:
            raise SourceError("nesting deeper than 200 levels", _mark(node.start_mark))
        self.doc.positions.setdefault(path, _mark(node.start_mark))
        if isinstance(node, yaml.MappingNode):
            # Keys written here, not merged in: only these can be "given twice" (a merge key's entries are meant
            # to be overridden).
            explicit = {id(k) for k, _ in node.value if k.tag != "tag:yaml.org,2002:merge"}
            self.loader.flatten_mapping(node)  # YAML merge keys (<<)
            out: dict = {}
            written: set[str] = set()
            for key_node, value_node in node.value:
                key = self.loader.construct_object(key_node, deep=True)
                if isinstance(key, (list, dict)):
                    raise SourceError("a mapping key must be a scalar", _mark(key_node.start_mark))
                key = key if isinstance(key, str) else str(key)
                child = (*path, key)
                if key in out:
                    if id(key_node) in explicit and key in written:
                        self.doc.duplicate_keys.append((child, _mark(key_node.start_mark)))
                    self.doc.positions.pop(child, None)  # the later value wins, as in safe_load
                if id(key_node) in explicit:
                    written.add(key)
                self.doc.key_positions[child] = _mark(key_node.start_mark)
                out[key] = self.build(value_node, child, depth + 1)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        return self.loader.construct_object(node, deep=True)


def parse(text: str, path: Path, *, json_syntax: bool = False) -> Document:
    if json_syntax:
        try:
            json.loads(text)
        except json.JSONDecodeError as exc:
            raise SourceError(f"not valid JSON: {exc.msg}", (exc.lineno, exc.colno)) from None
        text = text.replace("\t", " ")
    loader = _Loader(text)
    doc = Document(path=path, data=None)
    try:
        node = loader.get_single_node()
        if node is not None:
            doc.data = _Builder(loader, doc).build(node, ())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "parse error"
        raise SourceError(f"not valid {'JSON' if json_syntax else 'YAML'}: {problem}",
                          _mark(mark) if mark else (1, 1)) from None
    except yaml.YAMLError as exc:
        raise SourceError(f"not valid {'JSON' if json_syntax else 'YAML'}: {exc}") from None
    finally:
        loader.dispose()
    return doc


def read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"cannot read: {exc.strerror or exc}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise SourceError("not valid UTF-8", (line, column)) from None


def load(path: Path) -> Document:
    """Reads and parses a YAML or JSON file (by its extension); raises SourceError."""
    return parse(read_text(path), path, json_syntax=path.suffix.lower() == ".json")
