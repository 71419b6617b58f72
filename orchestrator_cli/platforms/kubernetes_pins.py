"""The release manifests orch applies on Kubernetes, pinned per Orchestrator generation: URL and SHA-256.

docs/kubernetes.md has the pins table with where each pin and digest came from. A digest of None means it could
not be established when the pin was made: orch then refuses the fetched bytes unless --allow-unverified-manifests
(and prints their SHA-256 so it can be pinned with --manifest-pins FILE).
"""

from __future__ import annotations

from dataclasses import dataclass

from orchestrator_cli.core.errors import PlatformUnsupported


@dataclass(frozen=True)
class ManifestPin:
    component: str  # knative-operator | sonataflow-operator | rhdh-operator (also the --manifests-dir file stem)
    version: str
    url: str
    sha256: str | None
    namespace: str  # where the manifest puts the operator
    deployment: str  # the operator Deployment the manifest creates

    @property
    def file_name(self) -> str:
        return f"{self.component}.yaml"


@dataclass(frozen=True)
class KubernetesPins:
    version: str  # the Orchestrator generation
    min_kubernetes: tuple[int, int]
    manifests: tuple[ManifestPin, ...]  # in install order (cleanup removes them in reverse)

    def pin(self, component: str) -> ManifestPin:
        return next(m for m in self.manifests if m.component == component)


# Knative 1.15 is OpenShift Serverless 1.35's Knative (reference B, OSO project.yaml): 1.4 pins Serverless 1.35,
# 1.3 subscribes to the floating `stable` channel, which 1.35 is on. knative.dev/pkg of that release requires
# Kubernetes v1.28.0 (version.defaultMinimumVersion).
_KNATIVE = ManifestPin(
    "knative-operator", "knative-v1.15.2",
    "https://github.com/knative/operator/releases/download/knative-v1.15.2/operator.yaml",
    None,  # a release asset: not readable where these pins were made (docs/kubernetes.md)
    "default", "knative-operator")
# The last release of the standalone SonataFlow (Kogito serverless) operator repository, tag v1.44.1 (commit
# 0e6b8aef841941290e3a2d217ba98705ef424dca); digest of operator.yaml at that commit.
_SONATAFLOW = ManifestPin(
    "sonataflow-operator", "v1.44.1",
    "https://raw.githubusercontent.com/apache/incubator-kie-kogito-serverless-operator/"
    "0e6b8aef841941290e3a2d217ba98705ef424dca/operator.yaml",
    "b295772a0212e63d0284277dcae65987116871af69575c89e0303120ce7eba40",
    "sonataflow-operator-system", "sonataflow-operator-controller-manager")
# RHDH publishes a plain-manifest install from release-1.6 on (dist/rhdh/install.yaml); release-1.6 at commit
# c674af230322a43a2b3e34aac3427a5116c02d3f (pinned by commit: a branch URL moves).
_RHDH = ManifestPin(
    "rhdh-operator", "1.6 (c674af23)",
    "https://raw.githubusercontent.com/redhat-developer/rhdh-operator/"
    "c674af230322a43a2b3e34aac3427a5116c02d3f/dist/rhdh/install.yaml",
    "525bf08efeb9f78d5b30f4af170a737ad317399c522f19a1cbaa307420f4c331",
    "rhdh-operator", "rhdh-operator")

# Orchestrator 1.6 pins OpenShift Serverless 1.36, whose Knative is 1.16 (reference B). Its minimum Kubernetes
# version was not read here: orch checks 1.15's (1.28).
_KNATIVE_16 = ManifestPin(
    "knative-operator", "knative-v1.16.0",
    "https://github.com/knative/operator/releases/download/knative-v1.16.0/operator.yaml",
    None, "default", "knative-operator")

KUBERNETES_PINS: dict[str, KubernetesPins] = {
    "1.3": KubernetesPins("1.3", (1, 28), (_KNATIVE, _SONATAFLOW, _RHDH)),
    "1.4": KubernetesPins("1.4", (1, 28), (_KNATIVE, _SONATAFLOW, _RHDH)),
    "1.5": KubernetesPins("1.5", (1, 28), (_KNATIVE, _SONATAFLOW, _RHDH)),
    "1.6": KubernetesPins("1.6", (1, 28), (_KNATIVE_16, _SONATAFLOW, _RHDH)),
}


def pins_for(version: str) -> KubernetesPins:
    try:
        return KUBERNETES_PINS[version]
    except KeyError:
        known = ", ".join(sorted(KUBERNETES_PINS))
        raise PlatformUnsupported(f"Orchestrator {version} has no pinned Kubernetes release manifests (Kubernetes: "
                                  f"{known}); nothing was written") from None
