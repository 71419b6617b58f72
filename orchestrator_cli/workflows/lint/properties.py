"""`application.properties` as Quarkus reads it (java.util.Properties syntax, UTF-8).

Lines are `key=value`, `key: value` or `key value`; `#` and `!` start comments; a line ending in an
odd number of backslashes continues on the next. The one thing that fails to load is a malformed
`\\uXXXX` escape (Java throws "Malformed \\uxxxx encoding"); a key given twice is legal, the later
value wins.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Property:
    key: str
    value: str
    line: int  # 1-based line of the key
    column: int


@dataclass(frozen=True)
class PropertiesError(Exception):
    message: str
    line: int
    column: int


def _logical_lines(text: str):
    """(line number, column offset, logical line text) with continuations joined."""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        start_line = i + 1
        raw = lines[i]
        stripped = raw.lstrip(" \t\f")
        indent = len(raw) - len(stripped)
        i += 1
        if not stripped or stripped[0] in "#!":
            continue
        parts = [stripped]
        while _continues(parts[-1]) and i < len(lines):
            parts[-1] = parts[-1][:-1]
            parts.append(lines[i].lstrip(" \t\f"))
            i += 1
        if _continues(parts[-1]):
            parts[-1] = parts[-1][:-1]
        yield start_line, indent, "".join(parts)


def _continues(line: str) -> bool:
    return (len(line) - len(line.rstrip("\\"))) % 2 == 1


def _unescape(text: str, line: int, column: int) -> str:
    out, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        nxt = text[i + 1] if i + 1 < len(text) else ""
        if nxt == "u":
            digits = text[i + 2:i + 6]
            if len(digits) != 4 or any(c not in "0123456789abcdefABCDEF" for c in digits):
                raise PropertiesError("malformed \\uXXXX escape (Java cannot load the file)", line, column + i)
            out.append(chr(int(digits, 16)))
            i += 6
        else:
            out.append({"t": "\t", "n": "\n", "r": "\r", "f": "\f"}.get(nxt, nxt))
            i += 2
    return "".join(out)


def parse(text: str) -> list[Property]:
    """Every property in order (duplicates included); raises PropertiesError."""
    props = []
    for line, indent, logical in _logical_lines(text):
        i, n = 0, len(logical)
        while i < n:
            ch = logical[i]
            if ch == "\\":
                i += 2
                continue
            if ch in "=: \t\f":
                break
            i += 1
        raw_key = logical[:i]
        j = i
        while j < n and logical[j] in " \t\f":
            j += 1
        if j < n and logical[j] in "=:":
            j += 1
            while j < n and logical[j] in " \t\f":
                j += 1
        key = _unescape(raw_key, line, indent + 1)
        value = _unescape(logical[j:], line, indent + 1 + j)
        props.append(Property(key, value, line, indent + 1))
    return props
