"""Test-only hook for tests/e2e/test_reliability.py (never part of the product).

The reliability tests put this directory on PYTHONPATH of the `orch` subprocess they start, so
Python imports this module at start-up. When $ORCH_TEST_STOP_AT (a regex) matches a line orch's
plain reporter writes, orch stops itself with SIGSTOP right after writing (and flushing) that line,
once. The test then injects its fault at exactly that point and resumes orch with SIGCONT: the fault
cannot land later than aimed, however loaded the machine is.
"""

import os

_PATTERN = os.environ.get("ORCH_TEST_STOP_AT")

if _PATTERN:
    import re
    import signal
    import threading

    from orchestrator_cli.report import reporters as report

    _rx = re.compile(_PATTERN)
    _fired = threading.Event()
    _write = report.PlainReporter._line

    def _line(self, text, stream=None):
        _write(self, text, stream)
        if not _fired.is_set() and _rx.search(text):
            _fired.set()
            os.kill(os.getpid(), signal.SIGSTOP)

    report.PlainReporter._line = _line
