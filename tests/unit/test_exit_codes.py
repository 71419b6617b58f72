"""Exit codes: the documented table matches the code, and SIGTERM unwinds like Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path

import pytest
import typer

from orchestrator_cli.cli import main as cli
from orchestrator_cli.core.errors import EXIT_CODES, Terminated

DOC = Path(__file__).resolve().parents[2] / "docs" / "exit-codes.md"


class Recorder:
    def __init__(self):
        self.errors: list[str] = []
        self.closed = False

    def error(self, exc):
        self.errors.append(str(exc))

    def close(self):
        self.closed = True


def test_every_exit_code_is_documented_and_every_documented_code_exists():
    documented = {int(m) for m in re.findall(r"^\| (\d+) \|", DOC.read_text(), re.M)}
    assert documented == set(EXIT_CODES)


def _exit_code(action) -> tuple[int, Recorder]:
    rec = Recorder()
    with pytest.raises(typer.Exit) as info:
        cli._run(action, None, "plain", reporter_factory=lambda output: rec)
    return info.value.exit_code, rec


def test_sigterm_during_a_command_exits_143_with_one_line_and_closes_the_reporter():
    previous = signal.signal(signal.SIGTERM, cli._on_sigterm)
    try:
        def action(opts, reporter):
            os.kill(os.getpid(), signal.SIGTERM)
            raise AssertionError("SIGTERM did not stop the command")

        code, rec = _exit_code(action)
        # One-shot: a second SIGTERM while unwinding is ignored, so releasing the lock is not cut short.
        assert signal.getsignal(signal.SIGTERM) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert code == 143 == Terminated.exit_code
    assert rec.errors == ["terminated (SIGTERM); every step is idempotent: run the same command again to continue"]
    assert rec.closed


def test_ctrl_c_still_exits_130():
    def action(opts, reporter):
        raise KeyboardInterrupt

    code, rec = _exit_code(action)
    assert code == 130
    assert rec.errors == ["interrupted; every step is idempotent: run the same command again to continue"]
