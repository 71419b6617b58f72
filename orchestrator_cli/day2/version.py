"""`orch version`: the client version and, when a cluster is reachable, what is installed on it.

Everything installation-specific comes through generations/detect.py (the generation from the
CRD, the Subscriptions from `operator_subscriptions`, the Backstage Deployment from
`backstage_deployment_ref`), so a new generation shows here without a change in this module. An
unreachable cluster is not an error: the client part is still the answer (exit 0), and the
reason the cluster part is missing is said.
"""

from __future__ import annotations

import platform
from typing import Any

from orchestrator_cli import __version__
from orchestrator_cli.kube.client import Ref

OLM = "operators.coreos.com/v1alpha1"
REACH_BUDGET = 5.0  # seconds: `orch version` answers quickly even when the cluster is down


def client_info() -> dict:
    return {"version": __version__, "python": platform.python_version()}


def openshift_version(cluster_version: dict | None) -> str | None:
    """OpenShift's version from ClusterVersion `version` (pure); None on plain Kubernetes."""
    status = (cluster_version or {}).get("status") or {}
    return (status.get("desired") or {}).get("version") or next(
        (h.get("version") for h in status.get("history") or [] if h.get("state") == "Completed"), None)


def csv_facts(component: str, sub_ref: Ref, sub: dict | None, csv: dict | None) -> dict:
    """One operator's line: its Subscription, the CSV OLM installed for it, that CSV's version and phase (pure)."""
    status = (sub or {}).get("status") or {}
    return {"component": component, "subscription": str(sub_ref), "found": sub is not None,
            "package": ((sub or {}).get("spec") or {}).get("name"),
            "channel": ((sub or {}).get("spec") or {}).get("channel"),
            "installed_csv": status.get("installedCSV"),
            "version": ((csv or {}).get("spec") or {}).get("version"),
            "phase": ((csv or {}).get("status") or {}).get("phase")}


def images(deployment: dict | None) -> list[str]:
    spec = (((deployment or {}).get("spec") or {}).get("template") or {}).get("spec") or {}
    return [c.get("image") for c in spec.get("containers") or [] if c.get("image")]


def image_tag(image: str) -> str | None:
    """The tag (or digest) of an image reference (pure): registry:port/repo:tag -> tag."""
    if "@" in image:
        return image.split("@", 1)[1]
    last = image.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else None


def cluster_info(kube) -> dict[str, Any]:
    """Server and installation facts (reads only)."""
    from orchestrator_cli.core.errors import OrchError
    from orchestrator_cli.generations.detect import backstage_deployment_ref, detect_optional, operator_subscriptions

    server = kube.server_version(budget=min(REACH_BUDGET, kube.retry_budget))  # $ORCH_API_RETRY_SECONDS shortens it
    out: dict[str, Any] = {"reachable": True, "server": kube.server, "kubernetes": server.get("gitVersion"),
                           "openshift": openshift_version(kube.get(Ref("config.openshift.io/v1", "ClusterVersion",
                                                                       "version")))}
    try:
        inst = detect_optional(kube)
    except OrchError as exc:  # e.g. no permission to read the CRD, or a generation orch does not know
        out["orchestrator"] = {"installed": None, "error": exc.message}
        return out
    if inst is None:
        out["orchestrator"] = {"installed": False}
        return out
    out["orchestrator"] = {"installed": True, "generation": inst.version, "cr": str(inst.cr_ref),
                           "cr_api_version": inst.cr_ref.api_version, "managed_by_orch": inst.managed_by_orch}
    operators = []
    for component, ref in operator_subscriptions(inst):
        sub = kube.get(ref)
        installed = ((sub or {}).get("status") or {}).get("installedCSV")
        csv = kube.get(Ref(OLM, "ClusterServiceVersion", installed, ref.namespace)) if installed else None
        operators.append(csv_facts(component, ref, sub, csv))
    out["operators"] = operators
    dep_ref = backstage_deployment_ref(inst)
    rhdh = next((o for o in operators if o["component"] == "rhdh-operator"), None)
    if dep_ref is None:
        out["backstage"] = {"managed": False, "namespace": inst.rhdh_namespace}
    else:
        found = images(kube.get(dep_ref))
        out["backstage"] = {"managed": True, "deployment": str(dep_ref), "images": found,
                            "image_tag": image_tag(found[0]) if found else None,
                            "rhdh_version": (rhdh or {}).get("version")}
    return out


def version(opts, reporter) -> None:
    """The command: the client always; the cluster part when reachable (an unreachable cluster is said, exit 0)."""
    from orchestrator_cli.core.errors import ClusterUnreachable
    from orchestrator_cli.kube.client import connect

    data: dict[str, Any] = {"command": "version", "client": client_info()}
    if not opts.extra.get("client_only"):
        try:
            kube = connect(opts.kubeconfig, opts.context, retry_budget=REACH_BUDGET)
            data["cluster"] = cluster_info(kube)
        except ClusterUnreachable as exc:
            data["cluster"] = {"reachable": False, "error": exc.message}
    reporter.summary(data)
