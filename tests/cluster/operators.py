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
