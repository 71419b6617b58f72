"""Kubernetes: no OLM, no Routes. orch applies the pinned release manifests of the Knative, SonataFlow and RHDH
operators, then the operands (KnativeServing with Kourier, KnativeEventing, the SonataFlowPlatform with
persistence, the Backstage CR), an Ingress for Backstage and the NetworkPolicies."""

from __future__ import annotations

from orchestrator_cli.platforms.kubernetes_checks import KUBERNETES_CHECKS
from orchestrator_cli.platforms.model import Platform

# Inputs whose explicit use Kubernetes refuses, with why.
OPENSHIFT_ONLY_OPTIONS = {
    "gitops": "--gitops needs OpenShift GitOps (ArgoCD through OLM); not available on Kubernetes",
    "tekton": "--tekton needs OpenShift Pipelines; not available on Kubernetes",
    "argocd_instance": "--argocd-instance needs OpenShift GitOps; not available on Kubernetes",
    "existing_rhdh": "--existing-rhdh is OpenShift-only: on Kubernetes orch installs RHDH from its release manifest",
    "configure_rhdh": "--configure-rhdh is OpenShift-only (it goes with --existing-rhdh)",
}


def unsupported(config) -> list[str]:
    from orchestrator_cli.core.errors import PlatformUnsupported
    from orchestrator_cli.platforms.kubernetes_pins import pins_for

    out = [why for name, why in OPENSHIFT_ONLY_OPTIONS.items()
           if name in config.explicit and getattr(config, name, None)]
    try:
        pins_for(config.version)
    except PlatformUnsupported as exc:
        out.append(exc.message.removesuffix("; nothing was written"))
    return out


def steps(config) -> list:
    from orchestrator_cli.platforms.kubernetes_steps import kubernetes_steps

    return kubernetes_steps(config)


KUBERNETES = Platform(name="kubernetes", title="Kubernetes", checks=KUBERNETES_CHECKS, steps=steps,
                      unsupported=unsupported)
