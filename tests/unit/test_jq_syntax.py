"""The jq syntax checker (workflows/lint/jq.py) against expressions from real workflows and jq's manual, and
against broken ones: it must accept every valid one (a false error would block a deploy) and point at the
problem in each broken one."""

from __future__ import annotations

import pytest

from orchestrator_cli.workflows.lint.jq import check, unwrap

VALID = [
    ".", ".a", ".a.b", ".a?", ".a[]", ".a[0]", '.["a"]', '."a-b"', ".a[1:2]", ".a[:2]", ".a[1:]", "..",
    "$WORKFLOW.headers", '"heads/" + .baseBranch', '"headers " + ($WORKFLOW.headers | tostring)',
    '{ "result": { "message": "Branch created", "outputs":[ { "key": "URL", "value": ("https://x/" + .owner), '
    '"format":"link" } ] } }',
    '.inputText | ascii_downcase | contains("dummy")', "if .a then 1 else 2 end", "if .a then 1 end",
    "if . then 1 elif .b then 2 else 3 end", "reduce .[] as $x (0; . + $x)", "foreach .[] as $x (0; . + $x; .)",
    "[.[] | select(.a == 1)]", "try .a catch .b", '.a // "default"', "def f: . + 1; f", "def f($x): $x; f(1)",
    '{a, b: .c, $x, "d": 1, (.k): .v, if: 1}', "{a: 1 + 2}", ".a as $x | $x", ". as [$a, $b] | $a",
    ". as {a: $x, $y} | $x", "label $out | foreach .[] as $i (0; .+1; if . > 3 then ., break $out else . end)",
    '"interp \\(.a + "x\\(.b)") done"', "@base64", '@json "x: \\(.)"', ".a |= . + 1", "-1", "1 - -1", ".5 * 2",
    "1e10", "not", ".a | not", "$SECRET.foo", "$CONST.x", "map(.id)", "length > 0", ".x == null", "[.a, .b]",
    "{}", "[]", ".a[]?", '.a."b"', ". # comment\n| .a", "{a: 1,}", 'try error("x")', ".foo.bar? // empty",
    "keys[]", ".[] as {a: $a} | $a", "env.HOME", "$ENV.HOME", ".result.nextWorkflows | length",
    'has("a") and (.b | not)', "del(.a)", 'getpath(["a","b"])', "now | todate", '.x | test("^a"; "i")',
]
BROKEN = [
    ("", 0), (".a.", 3), ("(.a", 3), (".a]", 2), ("if .a then 1", 12), ("{a: }", 4), (".a +", 4), (". foo", 2),
    ('"unterminated', 0), ('"bad \\q escape"', 5), (".a as $x", 8), (".[", 2), ("reduce .[] (0; .)", 11),
    ("{,}", 1), ("1 2", 2), ("foo(", 4), (".a | | .b", 5), ("$", 1), ("@", 1), ('"raw\nnewline"', 4),
    ("def f: 1", 8), (".a.[0]", 3), ("{(.a)}", 5), (". as $x | ", 10), ("1 ~ 2", 2),
]


@pytest.mark.parametrize("expr", VALID)
def test_valid_expressions_parse(expr):
    assert check(expr) is None


@pytest.mark.parametrize("expr,offset", BROKEN)
def test_broken_expressions_are_pointed_at(expr, offset):
    error = check(expr)
    assert error is not None
    assert error.offset == offset, str(error)


def test_unwrap():
    assert unwrap("${ .a }") == (" .a ", 2)
    assert unwrap("  ${.a}") == (".a", 4)
    assert unwrap(".a") is None and unwrap("${ .a") is None
