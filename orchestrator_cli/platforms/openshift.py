"""OpenShift: OLM installs the Orchestrator operator, which installs Serverless, Serverless Logic and RHDH."""

from __future__ import annotations

from orchestrator_cli.install.preflight import PREFLIGHT_CHECKS
from orchestrator_cli.install.steps.registry import install_steps
from orchestrator_cli.platforms.model import Platform

# Options that only mean something on Kubernetes (an explicit value on OpenShift is refused).
KUBERNETES_ONLY_OPTIONS = {"ingress_class": "--ingress-class", "host": "--host", "manifests_dir": "--manifests-dir",
                           "allow_unverified_manifests": "--allow-unverified-manifests"}


def unsupported(config) -> list[str]:
    return [f"{flag} is for Kubernetes; on OpenShift the Orchestrator operator exposes Backstage through a Route"
            for name, flag in KUBERNETES_ONLY_OPTIONS.items() if name in config.explicit]


OPENSHIFT = Platform(name="openshift", title="OpenShift", checks=PREFLIGHT_CHECKS, steps=install_steps,
                     unsupported=unsupported)
