"""Platforms orch installs on, each as data plus its steps.

- `openshift`: OLM Subscriptions for the Orchestrator operator, which installs the rest (Routes, OLM).
- `kubernetes`: no OLM, no Routes. orch applies pinned upstream release manifests (Knative operator,
  SonataFlow operator, RHDH operator), verified by SHA-256, and the operands itself; Backstage is exposed
  through an Ingress.

The platform is detected (`detect_platform`) or forced with `--platform`. Nothing outside this package
branches on the platform: install and day-2 ask the chosen `Platform` for its checks and steps.
"""

from __future__ import annotations

from orchestrator_cli.core.errors import InputError

PLATFORM_NAMES = ("openshift", "kubernetes")


def detect_platform(kube) -> str:
    """OpenShift when the cluster serves config.openshift.io ClusterVersion or the Route API, else Kubernetes."""
    if "ClusterVersion" in kube.served_kinds("config.openshift.io/v1"):
        return "openshift"
    if "Route" in kube.served_kinds("route.openshift.io/v1"):
        return "openshift"
    return "kubernetes"


def platform_generation(name: str, generation):
    """The generation's data as installed on platform `name` (OpenShift: unchanged)."""
    if name == "kubernetes":
        from orchestrator_cli.platforms.kubernetes_generation import kubernetes_generation

        return kubernetes_generation(generation)
    return generation


def get_platform(name: str):
    """The Platform named `name` (its modules are imported on demand)."""
    if name == "openshift":
        from orchestrator_cli.platforms.openshift import OPENSHIFT

        return OPENSHIFT
    if name == "kubernetes":
        from orchestrator_cli.platforms.kubernetes import KUBERNETES

        return KUBERNETES
    raise InputError(f"unknown platform {name!r}; choose one of {', '.join(PLATFORM_NAMES)}")
