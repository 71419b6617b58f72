"""The shape of a platform: its pre-flight checks, its install steps and the options it refuses (no behaviour
beyond calling them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable


@dataclass(frozen=True)
class Platform:
    name: str
    title: str
    checks: tuple  # health.checks.Check, run by `orch check --pre` and first by `orch install`
    steps: Callable[[Any], list]  # InstallConfig -> the install steps, in order
    # InstallConfig -> one line per chosen option or generation this platform cannot install (exit 18)
    unsupported: Callable[[Any], list[str]]
