"""The test catalog `redhat-operators` as one data table: real opm serves it as a file-based
catalog (tests/cluster/fbc.py renders it) and real OLM resolves against it; the simulators' PackageManifest stand-in publishes it.

Versions follow reference §9.1 (Orchestrator ↔ dependency matrix).  Patch versions that the
reference does not name (e.g. rhdh-operator.v1.3.1, gitops/pipelines versions) are plausible
stand-ins, listed here so tests can rely on them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

CATALOG_SOURCE = "redhat-operators"
CATALOG_NAMESPACE = "openshift-marketplace"
ALL_NAMESPACES = ("AllNamespaces",)
OWN_SINGLE_ALL = ("OwnNamespace", "SingleNamespace", "AllNamespaces")


@dataclass(frozen=True)
class CsvInfo:
    name: str
    package: str
    version: str
    display_name: str
    deployment: str            # the operator Deployment the CSV installs (in the CSV namespace)
    crds: tuple[str, ...]      # owned CRD manifests (files in tests/sim/crds/)
    install_modes: tuple[str, ...] = ALL_NAMESPACES
    generation: Optional[str] = None   # orchestrator-operator only: "hop" (1.2-1.4) / "gop" (1.5+)
    min_kube_version: str = "1.26.0"


@dataclass(frozen=True)
class Package:
    name: str
    display_name: str
    provider: str
    default_channel: str
    channels: dict[str, tuple[str, ...]]   # channel -> CSV names, oldest first (replaces chain)
    csvs: dict[str, CsvInfo] = field(default_factory=dict)


def _csvs(pkg: str, prefix: str, display: str, deployment: str, crds: tuple[str, ...],
          versions: list[str], **kw) -> dict[str, CsvInfo]:
    out = {}
    for v in versions:
        name = f"{prefix}.v{v}"
        out[name] = CsvInfo(name, pkg, v, display, deployment, crds, **kw)
    return out


ORCH_V1ALPHA1 = ("orchestrators-v1alpha1.yaml",)
ORCH_V1ALPHA2 = ("orchestrators-v1alpha2.yaml",)
ORCH_V1ALPHA3 = ("orchestrators-v1alpha3.yaml",)
KNATIVE = ("knativeservings.yaml", "knativeeventings.yaml")
SONATAFLOW = ("sonataflows.yaml", "sonataflowplatforms.yaml", "sonataflowclusterplatforms.yaml")
BACKSTAGE = ("backstages.yaml",)
ARGO = ("appprojects.yaml", "argocds.yaml")
TEKTON = ("tasks.yaml", "pipelines.yaml")


def _orchestrator() -> Package:
    csvs = {}
    csvs.update(_csvs("orchestrator-operator", "orchestrator-operator", "Orchestrator Operator",
                      "orchestrator-operator", ORCH_V1ALPHA1, ["1.3.0", "1.3.1"],
                      generation="hop"))
    csvs.update(_csvs("orchestrator-operator", "orchestrator-operator", "Orchestrator Operator",
                      "orchestrator-operator", ORCH_V1ALPHA2, ["1.4.0"], generation="hop"))
    # Go generation (1.5/1.6, CRD v1alpha3, Deployment orchestrator-operator-controller-manager;
    # reference §C1: v1.6.0 replaces v1.5.2 with skipRange '>=1.5.2 <1.6.0', all in channel stable).
    csvs.update(_csvs("orchestrator-operator", "orchestrator-operator", "Orchestrator Operator",
                      "orchestrator-operator-controller-manager", ORCH_V1ALPHA3,
                      ["1.5.0", "1.5.1", "1.5.2", "1.6.0", "1.6.1"], generation="gop"))
    return Package("orchestrator-operator", "Orchestrator Operator", "Red Hat",
                   "stable", {"stable": tuple(csvs)}, csvs)


def _simple(name: str, prefix: str, display: str, deployment: str, crds: tuple[str, ...],
            default_channel: str, channels: dict[str, list[str]], **kw) -> Package:
    csvs: dict[str, CsvInfo] = {}
    chans = {}
    for ch, versions in channels.items():
        c = _csvs(name, prefix, display, deployment, crds, versions, **kw)
        csvs.update(c)
        chans[ch] = tuple(c)
    return Package(name, display, "Red Hat", default_channel, chans, csvs)


PACKAGES: dict[str, Package] = {p.name: p for p in [
    _orchestrator(),
    _simple("serverless-operator", "serverless-operator", "Red Hat OpenShift Serverless",
            "knative-openshift", KNATIVE, "stable",
            {"stable": ["1.33.0", "1.34.0", "1.35.0", "1.36.0"]}),
    _simple("logic-operator-rhel8", "logic-operator-rhel8", "OpenShift Serverless Logic Operator",
            "logic-operator-rhel8-controller-manager", SONATAFLOW, "alpha",
            {"alpha": ["1.33.0", "1.34.0", "1.35.0", "1.36.0"]}, install_modes=OWN_SINGLE_ALL),
    _simple("rhdh", "rhdh-operator", "Red Hat Developer Hub Operator", "rhdh-operator",
            BACKSTAGE, "fast",
            {"fast-1.2": ["1.2.6"], "fast-1.3": ["1.3.0", "1.3.1"],
             "fast-1.4": ["1.4.0", "1.4.1"], "fast-1.5": ["1.5.0", "1.5.1"],
             "fast-1.6": ["1.6.0", "1.6.1"], "fast-1.7": ["1.7.0", "1.7.1"], "fast-1.8": ["1.8.0", "1.8.1"],
             "fast": ["1.5.0", "1.5.1", "1.6.0", "1.6.1", "1.7.0", "1.7.1", "1.8.0", "1.8.1"]},
            install_modes=OWN_SINGLE_ALL),
    _simple("openshift-gitops-operator", "openshift-gitops-operator",
            "Red Hat OpenShift GitOps", "openshift-gitops-operator-controller-manager", ARGO,
            "latest", {"gitops-1.14": ["1.14.0"], "gitops-1.15": ["1.15.0"],
                       "latest": ["1.14.0", "1.15.0"]}),
    _simple("openshift-pipelines-operator-rh", "openshift-pipelines-operator-rh",
            "Red Hat OpenShift Pipelines", "openshift-pipelines-operator", TEKTON, "latest",
            {"pipelines-1.16": ["1.16.0"], "pipelines-1.17": ["1.17.0"],
             "latest": ["1.16.0", "1.17.0"]}),
]}


def csv_info(name: str) -> Optional[CsvInfo]:
    for p in PACKAGES.values():
        if name in p.csvs:
            return p.csvs[name]
    return None


def visible_packages(channel_heads: Optional[dict] = None,
                     hidden: Optional[set] = None) -> list[str]:
    return [p for p in PACKAGES if p not in (hidden or set())]


def channel_entries(package: str, channel: str,
                    channel_heads: Optional[dict] = None) -> tuple[str, ...]:
    """CSVs of a channel (oldest first), cut at the configured head if any."""
    entries = PACKAGES[package].channels.get(channel, ())
    head = (channel_heads or {}).get(f"{package}/{channel}")
    if head and head in entries:
        entries = entries[: entries.index(head) + 1]
    return entries


def channel_head(package: str, channel: str, channel_heads: Optional[dict] = None) -> Optional[str]:
    entries = channel_entries(package, channel, channel_heads)
    return entries[-1] if entries else None


def package_manifest(package: str, channel_heads: Optional[dict] = None) -> dict:
    """The PackageManifest the package server would serve for ``package``."""
    pkg = PACKAGES[package]
    channels = []
    for ch in pkg.channels:
        head = channel_head(package, ch, channel_heads)
        if not head:
            continue
        info = pkg.csvs[head]
        channels.append({
            "name": ch, "currentCSV": head,
            "currentCSVDesc": {
                "displayName": info.display_name, "version": info.version,
                "installModes": [{"type": t, "supported": t in info.install_modes}
                                 for t in ("OwnNamespace", "SingleNamespace",
                                           "MultiNamespace", "AllNamespaces")],
                "minKubeVersion": info.min_kube_version,
                "provider": {"name": pkg.provider},
            },
            "entries": [{"name": n, "version": pkg.csvs[n].version}
                        for n in reversed(channel_entries(package, ch, channel_heads))],
        })
    return {
        "apiVersion": "packages.operators.coreos.com/v1", "kind": "PackageManifest",
        "metadata": {"name": package, "namespace": CATALOG_NAMESPACE,
                     "labels": {"catalog": CATALOG_SOURCE,
                                "catalog-namespace": CATALOG_NAMESPACE,
                                "operatorframework.io/arch.amd64": "supported"}},
        "spec": {},
        "status": {"catalogSource": CATALOG_SOURCE,
                   "catalogSourceDisplayName": "Red Hat Operators",
                   "catalogSourcePublisher": "Red Hat",
                   "catalogSourceNamespace": CATALOG_NAMESPACE,
                   "packageName": package, "provider": {"name": pkg.provider},
                   "defaultChannel": pkg.default_channel, "channels": channels},
    }
