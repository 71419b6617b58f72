"""The real operators the test platform runs under the supervisor, and the shims each needs.

Each function returns a SupervisedOperator: which Deployment runs which binary with which
arguments and environment (tests/cluster/supervisor.py; docs/CONTRIBUTING-CONTRACTS.md). The
shims are made at test time from the files the build copied out of each upstream module; they
exist only because kwok runs no containers (docs/test-control-plane.md lists them).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from tests.cluster.supervisor import SupervisedOperator

# A document of a multi-document YAML file, split on the `---` separator lines.
_SEPARATOR = re.compile(r"^---[ \t]*$", re.MULTILINE)
_WEBHOOK_KIND = re.compile(r"^kind:[ \t]*(Mutating|Validating)WebhookConfiguration[ \t]*$", re.MULTILINE)


def without_webhook_configurations(text: str) -> str:
    """The YAML stream minus its Mutating/ValidatingWebhookConfiguration documents (pure)."""
    docs = _SEPARATOR.split(text)
    return "---".join(d for d in docs if not _WEBHOOK_KIND.search(d))


def knative_kodata(bin_dir: Path, dest: Path) -> Path:
    """A copy of the Knative operator's kodata (the manifests it applies) without webhook
    configurations. Nothing serves Knative's webhooks under kwok, and the serving webhook
    (failurePolicy Fail) intercepts the operator's own second reconcile (its Certificate
    update), so KnativeServing would never become Ready. Unchanged files are symlinks."""
    src = bin_dir / "knative-operator-data" / "kodata"
    if (dest / ".complete").exists():
        return dest
    for root, _dirs, files in os.walk(src, followlinks=True):
        rel = Path(root).relative_to(src)
        (dest / rel).mkdir(parents=True, exist_ok=True)
        for name in files:
            source, target = Path(root) / name, dest / rel / name
            text = source.read_text() if name.endswith((".yaml", ".yml")) else ""
            if _WEBHOOK_KIND.search(text):
                target.write_text(without_webhook_configurations(text))
            elif not target.exists():
                target.symlink_to(source.resolve())
    (dest / ".complete").touch()
    return dest


def knative_crds(bin_dir: Path) -> list[dict]:
    """The operator's own CRDs (KnativeServing, KnativeEventing), from its module. (A few
    descriptions hold tab characters, which PyYAML refuses outside quotes.)"""
    import yaml

    return [yaml.safe_load(p.read_text().replace("\t", " "))
            for p in sorted((bin_dir / "knative-operator-data" / "crds").glob("*.yaml"))]


def knative_operator(deployment: str, kodata: Path, namespace: str | None = None) -> SupervisedOperator:
    """knative.dev/operator (v0.42.5, Knative 1.15) for Deployment `deployment`.

    From the Deployment it takes SYSTEM_NAMESPACE / POD_NAME / METRICS_DOMAIN (as its upstream
    manifest sets them); the supervisor adds the shim kodata and free loopback ports for its
    profiling and metrics servers (several clusters share the host's loopback)."""
    return SupervisedOperator(
        name="knative-operator", deployment=deployment, namespace=namespace,
        argv=("{bin}/knative-operator", "--kubeconfig", "{kubeconfig}"),
        env={"KO_DATA_PATH": str(kodata), "PROFILING_PORT": "{port:profiling}",
             "METRICS_PROMETHEUS_PORT": "{port:metrics}", "METRICS_PROMETHEUS_HOST": "127.0.0.1"},
    )


# ---- OpenShift flavour: real operators behind the test catalog's CSVs (opt-in per cluster) ----------

# What `Cluster.start("openshift", real=...)` may make real: the catalog package whose CSV Deployment
# it stands behind, that Deployment, and the binary the build must have made.
REAL_OPERATORS = {"knative": ("serverless-operator", "knative-openshift", "knative-operator"),
                  "rhdh": ("rhdh", "rhdh-operator", "rhdh-operator")}
KOURIER = {"kourier": {"enabled": True}}
KOURIER_CLASS = {"network": {"ingress-class": "kourier.ingress.networking.knative.dev"}}


def kourier_by_default(crd: dict) -> dict:
    """The KnativeServing CRD with schema defaults `spec.ingress: {kourier: {enabled: true}}` and
    `spec.config: {network: {ingress-class: kourier}}` (a copy; pure). OpenShift Serverless's
    operator defaults KnativeServing to Kourier in its OpenShift extension, which the upstream
    Knative operator does not have (its default is Istio, whose Gateway CRDs no OpenShift cluster
    without Service Mesh serves); the API server's CRD defaulting stands in for that extension."""
    import copy

    crd = copy.deepcopy(crd)
    for version in crd["spec"]["versions"]:
        spec = version["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
        spec["ingress"]["default"] = KOURIER
        spec["config"]["default"] = KOURIER_CLASS
    return crd


def catalog_crds(bin_dir: Path, real: frozenset[str]) -> dict[str, list[dict]]:
    """The CRDs the test catalog's bundles carry instead of the simulators' ones: a package whose
    CSV stands before a real operator owns that operator's own CRDs."""
    out: dict[str, list[dict]] = {}
    if "knative" in real:
        out["serverless-operator"] = [kourier_by_default(c) if c["spec"]["names"]["kind"] == "KnativeServing" else c
                                      for c in knative_crds(bin_dir)]
    if "rhdh" in real:
        out["rhdh"] = rhdh_crds(bin_dir)
    return out


def rhdh_crds(bin_dir: Path) -> list[dict]:
    """The RHDH operator's own Backstage CRD (v1alpha1, v1alpha2, v1alpha3 served; v1alpha3 stored)."""
    import yaml

    return [yaml.safe_load(p.read_text()) for p in sorted((bin_dir / "rhdh-operator-data" / "crds").glob("*.yaml"))]


def rhdh_operator(deployment: str) -> SupervisedOperator:
    """github.com/redhat-developer/rhdh-operator (the commit the proxy serves, after 1.4.1) for
    Deployment `deployment`. LOCALBIN points at the profile the build copied out of the module (its
    image has it under /), where the operator reads the default Backstage objects it applies. It
    runs in OpenShift mode because the Route API is served; no leader election (one replica), and
    its metrics and probe servers on free loopback ports."""
    return SupervisedOperator(
        name="rhdh-operator", deployment=deployment,
        argv=("{bin}/rhdh-operator", "--kubeconfig", "{kubeconfig}",
              "--metrics-bind-address", "127.0.0.1:{port:metrics}",
              "--health-probe-bind-address", "127.0.0.1:{port:probe}"),
        env={"LOCALBIN": "{bin}/rhdh-operator-data/profile"},
    )


def supervised(cluster) -> list[SupervisedOperator]:
    """The real operators a cluster runs: on vanilla, the Knative operator behind a `knative-operator`
    Deployment (as its plain release manifest names it); on the OpenShift flavour, what `cluster.real`
    opts in to, behind the Deployment of the catalog's CSV (in whatever namespace OLM installs it)."""
    for name in sorted(cluster.real):
        binary = REAL_OPERATORS[name][2]
        if not (cluster.bin_dir / binary).exists():  # an ORCH_TESTBIN built before it existed
            raise RuntimeError(f"{cluster.bin_dir} has no {binary}: build it with build-binaries.sh")
    if not (cluster.bin_dir / "knative-operator").exists():
        return []
    kodata = knative_kodata(cluster.bin_dir, cluster.work_dir / "knative-kodata")
    if cluster.flavor == "vanilla":
        return [knative_operator("knative-operator", kodata)]
    out = []
    if "knative" in cluster.real:
        out.append(knative_operator(REAL_OPERATORS["knative"][1], kodata))
    if "rhdh" in cluster.real:
        out.append(rhdh_operator(REAL_OPERATORS["rhdh"][1]))
    return out
