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


class Forbidden(StepFailed):
    """The API server refused a request for lack of rights (HTTP 403); a StepFailed (exit 5) to the user, told
    apart so a reader can fall back to narrower requests (a cluster-wide list -> one namespace at a time)."""


class ReadinessTimeout(OrchError):
    """One or more components did not become ready within their timeout."""

    exit_code = 6


class LockTimeout(OrchError):
    """Another orch run holds the install lock and did not release it in time."""

    exit_code = 7


class Unhealthy(OrchError):
    """`orch status`: at least one component, namespace or workflow is not healthy."""

    exit_code = 8


class Refused(OrchError):
    """A destructive command declined: workflows still exist, or no --yes / no terminal to confirm on."""

    exit_code = 9


class Stuck(OrchError):
    """`orch cleanup`: objects did not go away within the timeout (finalizers named in the details)."""

    exit_code = 10


class NotInstalled(OrchError):
    """No Orchestrator installation (Orchestrator CR) was found on the cluster."""

    exit_code = 11


class HelmUnavailable(OrchError):
    """`orch workflow`: the helm binary is missing, not runnable, or older than 3.9 (nothing was written)."""

    exit_code = 12


class ChartUnavailable(OrchError):
    """`orch workflow install`: the chart repository is unreachable or unusable, the chart (version) is not in
    its index, or the archive does not match the index's digest (nothing was written)."""

    exit_code = 13


class Incompatible(OrchError):
    """`orch workflow install`: the chart version does not match the installed Orchestrator's major.minor."""

    exit_code = 14


class LintFailed(OrchError):
    """`orch workflow lint` / `deploy`: the workflow definitions have lint errors (listed); nothing was written."""

    exit_code = 15


class ManifestUnverified(OrchError):
    """`orch install` on Kubernetes: a pinned release manifest could not be fetched or read from --manifests-dir,
    does not match its pinned SHA-256, or has no pinned digest and --allow-unverified-manifests was not given
    (nothing was written)."""

    exit_code = 17


class PlatformUnsupported(OrchError):
    """An option or generation the (detected or --platform) platform cannot install, e.g. --gitops on Kubernetes
    or --host on OpenShift (nothing was written)."""

    exit_code = 18


class PartlyFailed(OrchError):
    """A command given several names (`orch workflow add-namespace / remove-namespace NS...`) did some and failed
    for others; each failure is named with its reason (and its own exit code) in the report."""

    exit_code = 21


class Interrupted(OrchError):
    """SIGINT / Ctrl-C, or a prompt aborted with Ctrl-C / EOF."""

    exit_code = 130


class Terminated(KeyboardInterrupt):
    """SIGTERM (kill, a CI job's timeout, a pod's shutdown), raised from the signal handler. A
    KeyboardInterrupt, so it unwinds exactly like Ctrl-C: waits stop, the install lock is released."""

    exit_code = 143


EXIT_CODES: dict[int, str] = {
    0: "success",
    1: "unexpected error (a bug: please report it with the output)",
    2: "invalid input: flags, values file, namespace names, version, conflicting options",
    3: "cluster unreachable: kubeconfig, context, API server or credentials",
    4: "pre-flight failed (including missing permissions); nothing was written",
    5: "an install step failed",
    6: "timed out waiting for readiness",
    7: "timed out waiting for the install lock held by another orch run",
    8: "orch status: something is unhealthy (each problem is listed with a hint)",
    9: "refused: workflows still exist, their operator is not running, or confirmation needed (--yes) and no "
       "terminal to ask on",
    10: "orch cleanup: objects still present after the timeout (the blocking finalizers are named)",
    11: "no Orchestrator installation found on the cluster",
    12: "orch workflow: helm is missing, not runnable or older than 3.9",
    13: "orch workflow install: chart repository unreachable or unusable, chart not listed, or digest mismatch",
    14: "orch workflow install: chart version incompatible with the installed Orchestrator",
    15: "workflow lint found errors (each is listed as file:line:column); deploy wrote nothing",
    17: "Kubernetes: a pinned release manifest is unavailable, does not match its SHA-256 or has no pinned digest; "
        "nothing was written",
    18: "an option or generation the platform (detected or --platform) does not support; nothing was written",
    21: "orch workflow add-namespace / remove-namespace with several namespaces: some failed (each is named with "
        "its reason), the others were done",
    130: "interrupted (Ctrl-C); re-run to continue",
    143: "terminated (SIGTERM); re-run to continue",
}
