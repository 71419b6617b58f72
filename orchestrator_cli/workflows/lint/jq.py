"""A syntax checker for jq expressions as SonataFlow compiles them (jackson-jq's grammar).

SonataFlow evaluates `expressionLang: jq` with jackson-jq, whose parser is a JavaCC grammar close
to jq 1.6 with a few differences that matter to an honest check: `if` without `else`, keywords as
object keys and `{a: 1 + 2}` (object values without parentheses) are accepted; raw control
characters inside string literals, `?//` alternative patterns and `.a.[0]` are not. This module
answers one question — does the expression parse? — and never whether it runs: function names,
arities and variables are not resolved (jackson-jq does that at compile time against its own
function table, which varies by version).

`check(expr)` returns None when the expression parses, else JqSyntaxError with the 0-based offset
of the problem in `expr`.
"""

from __future__ import annotations

from functools import lru_cache

from orchestrator_cli.workflows.lint.jq_lexer import BINARY, ESCAPES, HEX, JqSyntaxError, Lexer

__all__ = ["JqSyntaxError", "check", "unwrap"]


class _Parser(Lexer):
    # -- strings ------------------------------------------------------------------------------------------
    def string(self) -> None:
        """A string literal at the current token ("…", with \\(…) interpolation); consumes it."""
        start = self.next().start
        src, i = self.src, start + 1
        while True:
            if i >= len(src):
                raise JqSyntaxError("unterminated string", start)
            ch = src[i]
            if ch == '"':
                self.pos = i + 1
                return
            if ch in "\b\f\n\r\t":
                raise JqSyntaxError("a control character (line break, tab) inside a string literal; write it as \\n, \\t", i)
            if ch != "\\":
                i += 1
                continue
            nxt = src[i + 1] if i + 1 < len(src) else ""
            if nxt in ESCAPES and nxt:
                i += 2
            elif nxt == "u":
                digits = src[i + 2:i + 6]
                if len(digits) != 4 or not set(digits) <= HEX:
                    raise JqSyntaxError("\\u must be followed by four hex digits", i)
                i += 6
            elif nxt == "(":
                self.pos = i + 2
                self._peeked = None
                self.expression()
                close = self.expect(")", " closing the string interpolation \\(")
                i = close.end
            else:
                raise JqSyntaxError(f"invalid escape \\{nxt}" if nxt else "unterminated string", i)

    # -- grammar ------------------------------------------------------------------------------------------
    def expression(self, comma: bool = True) -> None:
        """Pipe components separated by '|'; the last may not be a binding (`… as $x`) or a label."""
        while True:
            terminal = self.pipe_component(comma)
            if not self.accept("|"):
                if not terminal:
                    self.fail("a binding (`as $x`) or `label` must be followed by '|'")
                return

    def pipe_component(self, comma: bool) -> bool:
        if self.accept("label"):
            self.expect("$")
            self.expect_ident("a label name")
            return False
        self.binary()
        while comma and self.accept(","):
            self.binary()
        if self.accept("as"):
            self.pattern()
            return False
        return True

    def binary(self) -> None:
        self.primary()
        while True:
            tok = self.peek()
            if tok.kind in ("op", "kw") and tok.text in BINARY:
                self.next()
                self.primary()
            else:
                return

    def primary(self) -> None:
        while self.at("def"):
            self.function_definition()
        tok = self.peek()
        kind, text = tok.kind, tok.text
        if kind == "field":
            self.next()
            self.accept("?")
            self.accessors()
            self.questions()
        elif kind == "op" and text == ".":
            self.next()
            nxt = self.peek()
            if nxt.kind == "str":
                self.string()
                self.accept("?")
                self.accessors()
            elif nxt.kind == "op" and nxt.text == "[":
                self.bracket()
                self.accessors()
            self.questions()
        elif kind == "op" and text == "$":
            self.next()
            self.expect_ident("a variable name after '$'")
            if self.accept("::"):
                self.expect_ident("a variable name after '::'")
            self.accessors()
            self.questions()
        elif kind in ("num", "lit") or kind == "str" or (kind == "op" and text in ("@", "[", "{")) or kind == "ident":
            if kind in ("num", "lit"):
                self.next()
            elif kind == "str":
                self.string()
            elif text == "@":
                self.next()
                self.expect_ident("a format name after '@'")
                if self.peek().kind == "str":
                    self.string()
            elif text == "[":
                self.next()
                if not self.at("]"):
                    self.expression()
                self.expect("]", " closing '['")
            elif text == "{":
                self.object()
            else:
                self.function_call()
            self.accessors()
            self.questions()
        elif kind == "op" and text == "(":
            self.next()
            self.expression()
            self.expect(")", " closing '('")
            self.accessors()
            self.questions()
        elif kind == "op" and text == "-":
            self.next()
            self.primary()
        elif kind == "op" and text == "..":
            self.next()
        elif kind == "kw" and text == "if":
            self.next()
            self.expression()
            self.expect("then", " after the `if` condition")
            self.expression()
            while self.accept("elif"):
                self.expression()
                self.expect("then", " after the `elif` condition")
                self.expression()
            if self.accept("else"):
                self.expression()
            self.expect("end", " closing `if`")
        elif kind == "kw" and text in ("reduce", "foreach"):
            self.next()
            self.primary()
            self.expect("as", f" after the `{text}` source")
            self.pattern()
            self.expect("(", f" starting the `{text}` body")
            self.expression()
            self.expect(";", f" in `{text}`")
            self.expression()
            if text == "foreach" and self.accept(";"):
                self.expression()
            self.expect(")", f" closing `{text}`")
        elif kind == "kw" and text == "try":
            self.next()
            self.expression()
            if self.accept("catch"):
                self.primary()
        elif kind == "kw" and text == "break":
            self.next()
            self.expect("$")
            self.expect_ident("a label name")
        else:
            self.fail("expected an expression")

    def questions(self) -> None:
        while self.accept("?"):
            pass

    def accessors(self) -> None:
        """`.name`, `."name"`, `[…]` after a term, any number of times."""
        while True:
            tok = self.peek()
            if tok.kind == "field":
                self.next()
                self.accept("?")
            elif tok.kind == "op" and tok.text == ".":
                self.next()
                if self.peek().kind != "str":
                    self.fail("expected a field name or a string after '.'")
                self.string()
                self.accept("?")
            elif tok.kind == "op" and tok.text == "[":
                self.bracket()
            else:
                return

    def bracket(self) -> None:
        self.expect("[")
        if self.accept(":"):
            self.expression()
        elif not self.at("]"):
            self.expression()
            if self.accept(":") and not self.at("]"):
                self.expression()
        self.expect("]", " closing '['")
        self.accept("?")

    def function_call(self) -> None:
        self.expect_ident()
        if self.accept("::"):
            self.expect_ident("a function name after '::'")
        if self.accept("("):
            if not self.at(")"):
                self.expression()
                while self.accept(";"):
                    self.expression()
            self.expect(")", " closing the argument list")

    def function_definition(self) -> None:
        self.expect("def")
        self.expect_ident("a function name after `def`")
        if self.accept("("):
            while True:
                self.accept("$")
                self.expect_ident("a parameter name")
                if not self.accept(";"):
                    break
            self.expect(")", " closing the parameter list")
        self.expect(":", " after the function name")
        self.expression()
        self.expect(";", " ending the function definition")

    def object(self) -> None:
        self.expect("{")
        if self.accept("}"):
            return
        while True:
            self.object_field()
            if self.accept("}"):
                return
            self.expect(",", " or '}' in the object")
            if self.accept("}"):  # a trailing comma is accepted
                return

    def object_field(self) -> None:
        tok = self.peek()
        if tok.kind == "op" and tok.text == "$":
            self.next()
            self.keyword_or_ident()
            return
        if tok.kind in ("ident", "kw", "lit"):
            self.next()
        elif tok.kind == "str" or (tok.kind == "op" and tok.text == "@"):
            if tok.text == "@":
                self.next()
                self.expect_ident("a format name after '@'")
                if self.peek().kind != "str":
                    self.fail("expected a string after the format")
            self.string()
        elif tok.kind == "op" and tok.text == "(":
            self.next()
            self.expression()
            self.expect(")", " closing the computed key")
            self.expect(":", " after a computed key")
            self.expression(comma=False)
            return
        else:
            self.fail("expected an object key")
        if self.accept(":"):
            self.expression(comma=False)

    def pattern(self) -> None:
        if self.accept("$"):
            self.expect_ident("a variable name after '$'")
        elif self.accept("["):
            self.pattern()
            while self.accept(","):
                self.pattern()
            self.expect("]", " closing the array pattern")
        elif self.accept("{"):
            while True:
                if self.accept("$"):
                    self.keyword_or_ident()
                    if self.accept(":"):
                        self.pattern()
                else:
                    tok = self.peek()
                    if tok.kind in ("ident", "kw", "lit"):
                        self.next()
                    elif tok.kind == "str":
                        self.string()
                    elif self.accept("("):
                        self.expression()
                        self.expect(")", " closing the computed key")
                    else:
                        self.fail("expected a key in the object pattern")
                    self.expect(":", " after the key in the object pattern")
                    self.pattern()
                if not self.accept(","):
                    break
            self.expect("}", " closing the object pattern")
        else:
            self.fail("expected a pattern ($name, [..] or {..}) after `as`")

    def program(self) -> None:
        if self.accept("module"):
            self.expression()
            self.expect(";", " after the module directive")
        while self.at("import") or self.at("include"):
            word = self.next().text
            if self.peek().kind != "str":
                self.fail(f"expected a path string after `{word}`")
            self.string()
            if word == "import":
                self.expect("as", " in `import`")
                self.accept("$")
                self.expect_ident("a module name")
            if not self.at(";"):
                self.expression()
            self.expect(";", f" after `{word}`")
        self.expression()
        if self.peek().kind != "eof":
            self.fail("expected an operator or the end of the expression")


@lru_cache(maxsize=4096)
def check(expr: str) -> JqSyntaxError | None:
    """None when `expr` parses as jackson-jq would parse it, else the first syntax error."""
    if not expr.strip():
        return JqSyntaxError("empty expression", 0)
    try:
        _Parser(expr).program()
    except JqSyntaxError as exc:
        return exc
    except RecursionError:
        return None  # nested too deeply to check here: say nothing rather than guess
    return None


def unwrap(value: str) -> tuple[str, int] | None:
    """The expression inside `${ … }` and its offset in `value`, or None if `value` is not wrapped."""
    stripped = value.strip()
    if not (stripped.startswith("${") and stripped.endswith("}")):
        return None
    start = value.index("${") + 2
    end = value.rindex("}")
    return value[start:end], start
