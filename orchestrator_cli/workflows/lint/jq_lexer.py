"""The lexer of the jq syntax checker (jq.py): jackson-jq's tokens, scanned on demand so string
interpolation can hand back to the parser."""

from __future__ import annotations

from dataclasses import dataclass

KEYWORDS = frozenset({"if", "then", "elif", "else", "end", "as", "def", "reduce", "foreach", "try", "catch",
                      "label", "break", "import", "include", "module", "and", "or"})
LITERALS = frozenset({"true", "false", "null"})
# Longest first: the lexer takes the first that matches.
OPERATORS = ("//=", "|=", "+=", "-=", "*=", "/=", "%=", "==", "!=", ">=", "<=", "//", "::", "..",
             "+", "-", "*", "/", "%", "=", ">", "<", "(", ")", "[", "]", "{", "}", "|", ",", ";", ":", "?", "$",
             "@", ".")
_OPS_BY_CHAR: dict[str, tuple[str, ...]] = {}
for _op in OPERATORS:
    _OPS_BY_CHAR[_op[0]] = (*_OPS_BY_CHAR.get(_op[0], ()), _op)
BINARY = frozenset({"*", "/", "%", "+", "-", "==", "!=", ">", ">=", "<", "<=", "and", "or", "//", "=", "|=", "+=",
                    "-=", "*=", "/=", "%=", "//="})
ESCAPES = frozenset('"\\/bfnrt')
HEX = frozenset("0123456789abcdefABCDEF")


@dataclass
class JqSyntaxError(Exception):
    message: str
    offset: int

    def __str__(self) -> str:
        return f"{self.message} (at character {self.offset + 1})"


@dataclass(frozen=True)
class Token:
    kind: str  # op | kw | ident | field | num | lit | str | eof
    text: str
    start: int
    end: int


def _ident_char(ch: str, first: bool = False) -> bool:
    return ch == "_" or ("a" <= ch <= "z") or ("A" <= ch <= "Z") or (not first and "0" <= ch <= "9")


class Lexer:
    def __init__(self, src: str):
        self.src = src
        self.pos = 0
        self._peeked: Token | None = None

    def _skip(self, i: int) -> int:
        src = self.src
        while i < len(src):
            ch = src[i]
            if ch in " \t\r\n":
                i += 1
            elif ch == "#":
                while i < len(src) and src[i] not in "\r\n":
                    i += 1
            else:
                break
        return i

    def _number_end(self, i: int) -> int:
        """End of a number literal starting at i (jackson-jq: 0 | [1-9][0-9]*, optional fraction and exponent,
        or a fraction alone like .5), or i if there is none."""
        src, n = self.src, len(self.src)
        j = i
        if j < n and src[j].isdigit():
            if src[j] == "0":
                j += 1
            else:
                while j < n and src[j].isdigit():
                    j += 1
            if j + 1 < n and src[j] == "." and src[j + 1].isdigit():
                j += 1
                while j < n and src[j].isdigit():
                    j += 1
        elif j + 1 < n and src[j] == "." and src[j + 1].isdigit():
            j += 1
            while j < n and src[j].isdigit():
                j += 1
        else:
            return i
        if j < n and src[j] in "eE":
            k = j + 1
            if k < n and src[k] in "+-":
                k += 1
            if k < n and src[k].isdigit():
                while k < n and src[k].isdigit():
                    k += 1
                j = k
        return j

    def peek(self) -> Token:
        if self._peeked is not None:
            return self._peeked
        src = self.src
        i = self._skip(self.pos)
        if i >= len(src):
            tok = Token("eof", "", i, i)
        elif src[i] == '"':
            tok = Token("str", '"', i, i + 1)  # the parser scans the string itself (interpolation)
        else:
            end = self._number_end(i)
            if end > i:
                tok = Token("num", src[i:end], i, end)
            elif _ident_char(src[i], first=True):
                j = i + 1
                while j < len(src) and _ident_char(src[j]):
                    j += 1
                word = src[i:j]
                kind = "kw" if word in KEYWORDS else "lit" if word in LITERALS else "ident"
                tok = Token(kind, word, i, j)
            elif src[i] == "." and i + 1 < len(src) and _ident_char(src[i + 1], first=True):
                j = i + 2
                while j < len(src) and _ident_char(src[j]):
                    j += 1
                tok = Token("field", src[i + 1:j], i, j)  # `.name`: no space allowed after the dot
            else:
                for op in _OPS_BY_CHAR.get(src[i], ()):
                    if src.startswith(op, i):
                        tok = Token("op", op, i, i + len(op))
                        break
                else:
                    raise JqSyntaxError(f"unexpected character {src[i]!r}", i)
        self._peeked = tok
        return tok

    def next(self) -> Token:
        tok = self.peek()
        self.pos = tok.end
        self._peeked = None
        return tok

    def at(self, text: str) -> bool:
        tok = self.peek()
        return tok.text == text and tok.kind in ("op", "kw")

    def accept(self, text: str) -> bool:
        if self.at(text):
            self.next()
            return True
        return False

    def expect(self, text: str, where: str = "") -> Token:
        if not self.at(text):
            self.fail(f"expected {text!r}{where}")
        return self.next()

    def fail(self, message: str):
        tok = self.peek()
        seen = "end of expression" if tok.kind == "eof" else repr(self.src[tok.start:tok.end])
        raise JqSyntaxError(f"{message}, found {seen}", tok.start)

    def expect_ident(self, what: str = "a name") -> Token:
        tok = self.peek()
        if tok.kind != "ident":
            self.fail(f"expected {what}")
        return self.next()

    def keyword_or_ident(self) -> Token:
        tok = self.peek()
        if tok.kind not in ("ident", "kw", "lit"):
            self.fail("expected a name")
        return self.next()
