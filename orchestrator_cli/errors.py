"""One exception type per failure class; the CLI layer alone maps them to exit codes.

Library code raises these; it never calls sys.exit. docs/exit-codes.md documents the numbers.
"""

from __future__ import annotations


class OrchError(Exception):
    """Base class. Subclasses set exit_code; the message is one actionable line."""

    exit_code = 1

    def __init__(self, message: str, *, details: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or []


class InputError(OrchError):
    """Bad flags, values file, namespace names, unknown version, conflicting options."""

    exit_code = 2


class ClusterUnreachable(OrchError):
    """Kubeconfig unreadable, context missing, API server down, credentials rejected."""

    exit_code = 3


class PreflightFailed(OrchError):
    """A fatal pre-flight check failed (this includes missing permissions)."""

    exit_code = 4


class StepFailed(OrchError):
    """An install step could not apply or verify its objects."""

    exit_code = 5


class ReadinessTimeout(OrchError):
    """One or more components did not become ready within their timeout."""

    exit_code = 6


class LockTimeout(OrchError):
    """Another orch run holds the install lock and did not release it in time."""

    exit_code = 7


class Interrupted(OrchError):
    """SIGINT / Ctrl-C, or a prompt aborted with Ctrl-C / EOF."""

    exit_code = 130


EXIT_CODES: dict[int, str] = {
    0: "success",
    1: "unexpected error (a bug: please report it with the output)",
    2: "invalid input: flags, values file, namespace names, version, conflicting options",
    3: "cluster unreachable: kubeconfig, context, API server or credentials",
    4: "pre-flight failed (including missing permissions); nothing was written",
    5: "an install step failed",
    6: "timed out waiting for readiness",
    7: "timed out waiting for the install lock held by another orch run",
    130: "interrupted (Ctrl-C); re-run to continue",
}
