"""Test-only hook for tests/e2e/test_reliability.py (never part of the product).

The reliability tests put this directory on PYTHONPATH of the `orch` subprocess they start, so
Python imports this module at start-up. $ORCH_TEST_STOP_AT holds one or more regexes, one per line:
when the next one in order matches a line orch's plain reporter writes, orch stops itself with
SIGSTOP right after writing (and flushing) that line. The test then injects its fault at exactly that
point and resumes orch with SIGCONT: the fault cannot land later than aimed, however loaded the
machine is. Each pattern fires once, so one run can meet a fault in each of several steps.
"""

import os

_PATTERN = os.environ.get("ORCH_TEST_STOP_AT")

if _PATTERN:
    import re
    import signal
    import threading

    from orchestrator_cli.report import reporters as report

    _pending = [re.compile(p) for p in _PATTERN.split("\n") if p]
    _lock = threading.Lock()
    _write = report.PlainReporter._line

    def _line(self, text, stream=None):
        _write(self, text, stream)
        with _lock:
            hit = bool(_pending) and bool(_pending[0].search(text))
            if hit:
                _pending.pop(0)
        if hit:
            os.kill(os.getpid(), signal.SIGSTOP)

    report.PlainReporter._line = _line
