"""Checks as data (linkerd style): a Check describes itself; one runner feeds an observer.

`orch check --pre` runs the pre-flight list; `orch install` runs the same list first; the
later `orch status` can add its own lists and reuse the runner and renderers unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Protocol


class Skip(Exception):
    """Raised by a check that does not apply (e.g. GitOps checks without --gitops)."""


class CheckFailed(Exception):
    """Raised by a check with a one-line reason; optional details are listed under it."""

    def __init__(self, message: str, details: Iterable[str] = ()):
        super().__init__(message)
        self.details = list(details)


@dataclass(frozen=True)
class Check:
    id: str
    description: str
    hint: str
    run: Callable[[Any], str | None]  # returns an optional detail line; raises CheckFailed / Skip
    fatal: bool = True  # False: a failure is a warning
    category: str = "pre-flight"


@dataclass(frozen=True)
class CheckResult:
    check: Check
    status: str  # ok | warning | failed | skipped
    message: str = ""
    details: list[str] = field(default_factory=list)

    @property
    def blocking(self) -> bool:
        return self.status == "failed"

    def to_dict(self) -> dict:
        return {
            "id": self.check.id,
            "category": self.check.category,
            "description": self.check.description,
            "status": self.status,
            "fatal": self.check.fatal,
            "message": self.message,
            "details": self.details,
            "hint": self.check.hint if self.status in ("failed", "warning") else "",
        }


class CheckObserver(Protocol):
    def check_result(self, result: CheckResult) -> None: ...


def run_checks(checks: Iterable[Check], ctx: Any, observer: CheckObserver) -> list[CheckResult]:
    """Run every check (all of them: users see every failure at once) and report each result."""
    results = []
    for check in checks:
        try:
            detail = check.run(ctx)
            result = CheckResult(check, "ok", detail or "")
        except Skip as skip:
            result = CheckResult(check, "skipped", str(skip))
        except CheckFailed as failed:
            result = CheckResult(check, "failed" if check.fatal else "warning", str(failed), failed.details)
        except Exception as exc:  # noqa: BLE001 - e.g. a forbidden read: report it, keep checking
            message = getattr(exc, "message", None) or f"{exc.__class__.__name__}: {exc}"
            result = CheckResult(check, "failed" if check.fatal else "warning", message)
        observer.check_result(result)
        results.append(result)
    return results


def passed(results: Iterable[CheckResult]) -> bool:
    return not any(r.blocking for r in results)
