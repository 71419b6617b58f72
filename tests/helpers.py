"""Small helpers shared by the cluster tests."""

from __future__ import annotations

import time


def eventually(predicate, timeout: float = 60, interval: float = 0.25, what: str = "condition"):
    """Returns predicate()'s first truthy value, or fails the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except Exception as exc:  # not there yet
            last_exc = exc
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}" + (f" (last error: {last_exc})" if last_exc else ""))


def condition_status(obj: dict, cond_type: str) -> str | None:
    for cond in ((obj or {}).get("status") or {}).get("conditions") or []:
        if cond.get("type") == cond_type:
            return cond.get("status")
    return None
