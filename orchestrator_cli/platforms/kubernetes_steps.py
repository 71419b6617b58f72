"""The install steps on Kubernetes, in order."""

from __future__ import annotations

from orchestrator_cli.core.errors import PlatformUnsupported


def kubernetes_steps(config) -> list:
    raise PlatformUnsupported("orch install on Kubernetes is not available in this build yet (orch check --pre "
                              "is); nothing was written")
