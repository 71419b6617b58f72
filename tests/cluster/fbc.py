"""The test catalog `redhat-operators` as an operator-registry file-based catalog (FBC).

Rendered at test time from the catalog data in tests/sim/catalog.py (authored in this repository,
never copied from Red Hat's catalogs) and served by the real `opm serve` over gRPC on loopback.
Every bundle has no `image` and carries its CSV and CRDs as `olm.bundle.object` properties, so
real OLM installs it inline, without an unpack Job (docs/test-control-plane.md). The CSVs declare
real install strategies: the operator Deployment under its upstream name, its ServiceAccount and
clusterPermissions (the RBAC a real operator running under the supervisor gets).

Fault injection in the catalog's own terms: `hidden` packages are not in the catalog at all
(a Subscription to one fails resolution in OLM), `channel_heads` cuts a channel at a CSV.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import yaml

from tests.sim import catalog as C

SIM_CRDS = Path(__file__).resolve().parents[1] / "sim" / "crds"
INSTALL_MODES = ("OwnNamespace", "SingleNamespace", "MultiNamespace", "AllNamespaces")

OPERATOR_IMAGES = {
    "orchestrator-operator": "quay.io/orchestrator/orchestrator-operator:{v}",
    "serverless-operator": "registry.redhat.io/openshift-serverless-1/serverless-openshift-kn-rhel8-operator:{v}",
    "logic-operator-rhel8": "registry.redhat.io/openshift-serverless-1/logic-rhel8-operator:{v}",
    "rhdh": "registry.redhat.io/rhdh/rhdh-rhel9-operator:{v}",
    "openshift-gitops-operator": "registry.redhat.io/openshift-gitops-1/gitops-rhel8-operator:v{v}",
    "openshift-pipelines-operator-rh": "registry.redhat.io/openshift-pipelines/pipelines-rhel8-operator:v{v}",
}
RBAC_PROXY_IMAGE = "registry.redhat.io/openshift4/ose-kube-rbac-proxy:v4.14"

# What each operator may do cluster-wide (its CSV's clusterPermissions). The simulated operators
# act with the simulators' own credentials, so for them this is the declared RBAC only; a real
# operator behind a CSV (supervisor) runs with exactly this.
_CORE_RULES = [
    {"apiGroups": [""], "resources": ["configmaps", "secrets", "services", "serviceaccounts", "pods",
                                      "events", "namespaces", "persistentvolumeclaims"],
     "verbs": ["get", "list", "watch", "create", "update", "patch", "delete"]},
    {"apiGroups": ["apps"], "resources": ["deployments", "statefulsets", "replicasets"],
     "verbs": ["get", "list", "watch", "create", "update", "patch", "delete"]},
    {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"],
     "verbs": ["get", "list", "watch", "create", "update", "patch", "delete"]},
]
# Operators that install other operators' RBAC and CRDs need everything (as their upstream
# ClusterRoles effectively grant).
_ALL = [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]},
        {"nonResourceURLs": ["*"], "verbs": ["*"]}]
BROAD_RBAC = {"orchestrator-operator", "serverless-operator", "rhdh"}


def load_crd(filename: str) -> dict:
    return yaml.safe_load((SIM_CRDS / filename).read_text())


def _b64(obj: dict) -> str:
    return base64.b64encode(json.dumps(obj, sort_keys=True).encode()).decode()


def _rules(info: C.CsvInfo, crds: list[dict]) -> list[dict]:
    if info.package in BROAD_RBAC:
        return _ALL
    groups = sorted({c["spec"]["group"] for c in crds})
    own = [{"apiGroups": groups, "resources": ["*"], "verbs": ["*"]}] if groups else []
    return own + _CORE_RULES


def operator_deployment(info: C.CsvInfo) -> dict:
    """The CSV's install strategy Deployment (what OLM creates in the install namespace)."""
    name = info.deployment
    selector = {"app.kubernetes.io/name": name, "app.kubernetes.io/instance": name}
    image = OPERATOR_IMAGES.get(info.package, "registry.example/{v}").format(v=info.version)
    names = ["kube-rbac-proxy", "manager"] if info.package == "orchestrator-operator" else ["manager"]
    containers = []
    for c in names:
        cont = {"name": c, "image": RBAC_PROXY_IMAGE if c == "kube-rbac-proxy" else image,
                "resources": {"requests": {"cpu": "10m", "memory": "64Mi"}}}
        if c == "manager":
            cont["ports"] = [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]
            cont["env"] = [{"name": "SYSTEM_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
                           {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]
            if info.package == "serverless-operator":  # as the Knative operator's own manifest sets it
                cont["env"].append({"name": "METRICS_DOMAIN", "value": "knative.dev/operator"})
        containers.append(cont)
    return {
        "name": name,
        # Labels the simulated operands use to find "their" operator (tests/sim/runtime.py).
        "label": {**selector, "sim.orch.dev/package": info.package, "sim.orch.dev/csv": info.name},
        "spec": {"replicas": 1, "selector": {"matchLabels": selector},
                 "template": {"metadata": {"labels": dict(selector)},
                              "spec": {"serviceAccountName": name, "containers": containers}}},
    }


def csv_manifest(info: C.CsvInfo, crds: list[dict]) -> dict:
    owned = []
    for crd in crds:
        for v in crd["spec"]["versions"]:
            if v.get("served", True):
                owned.append({"name": crd["metadata"]["name"], "version": v["name"],
                              "kind": crd["spec"]["names"]["kind"], "displayName": crd["spec"]["names"]["kind"]})
    suggested = "orchestrator" if info.package == "orchestrator-operator" else ""
    annotations = {"capabilities": "Basic Install", "containerImage": OPERATOR_IMAGES.get(
        info.package, "registry.example/{v}").format(v=info.version)}
    if suggested:
        annotations["operatorframework.io/suggested-namespace"] = suggested
    return {
        "apiVersion": "operators.coreos.com/v1alpha1", "kind": "ClusterServiceVersion",
        "metadata": {"name": info.name, "annotations": annotations},
        "spec": {
            "displayName": info.display_name, "version": info.version, "minKubeVersion": info.min_kube_version,
            "provider": {"name": "Red Hat"}, "maturity": "stable",
            "description": f"{info.display_name} (test catalog of orch, authored in tests/sim/catalog.py)",
            "installModes": [{"type": t, "supported": t in info.install_modes} for t in INSTALL_MODES],
            "customresourcedefinitions": {"owned": owned},
            "install": {"strategy": "deployment", "spec": {
                "clusterPermissions": [{"serviceAccountName": info.deployment, "rules": _rules(info, crds)}],
                "deployments": [operator_deployment(info)],
            }},
        },
    }


def bundle(info: C.CsvInfo, crds: list[dict] | None = None) -> dict:
    """One bundle, inline; `crds` replaces the simulators' CRDs of the package (a real operator's own)."""
    crds = crds if crds is not None else [load_crd(fn) for fn in info.crds]
    props = [{"type": "olm.package", "value": {"packageName": info.package, "version": info.version}}]
    for crd in crds:
        for v in crd["spec"]["versions"]:
            props.append({"type": "olm.gvk", "value": {"group": crd["spec"]["group"], "kind": crd["spec"]["names"]["kind"],
                                                       "version": v["name"]}})
    props += [{"type": "olm.bundle.object", "value": {"data": _b64(o)}} for o in [csv_manifest(info, crds), *crds]]
    return {"schema": "olm.bundle", "name": info.name, "package": info.package, "properties": props}


def documents(hidden: frozenset[str] | set[str] = frozenset(), channel_heads: dict | None = None,
              crds: dict[str, list[dict]] | None = None) -> list[dict]:
    """The whole catalog as FBC documents (pure). `crds` maps a package to the CRDs its bundles
    carry instead of the simulators' (the package stands before a real operator)."""
    docs: list[dict] = []
    for pkg in C.PACKAGES.values():
        if pkg.name in hidden:
            continue
        docs.append({"schema": "olm.package", "name": pkg.name, "defaultChannel": pkg.default_channel})
        used: set[str] = set()
        for channel in pkg.channels:
            names = C.channel_entries(pkg.name, channel, channel_heads)
            if not names:
                continue
            entries = []
            for i, name in enumerate(names):
                entry = {"name": name}
                if i:
                    entry["replaces"] = names[i - 1]
                skip_range = getattr(pkg.csvs[name], "skip_range", None)
                if skip_range:
                    entry["skipRange"] = skip_range
                entries.append(entry)
            used.update(names)
            docs.append({"schema": "olm.channel", "package": pkg.name, "name": channel, "entries": entries})
        docs += [bundle(pkg.csvs[name], (crds or {}).get(pkg.name)) for name in pkg.csvs if name in used]
    return docs


def render(dest: Path, hidden: frozenset[str] | set[str] = frozenset(), channel_heads: dict | None = None,
           crds: dict[str, list[dict]] | None = None) -> Path:
    """Writes the catalog into dest/catalog.json (one JSON document per bundle/channel/package)."""
    dest.mkdir(parents=True, exist_ok=True)
    with open(dest / "catalog.json", "w", encoding="utf-8") as fh:
        for doc in documents(hidden, channel_heads, crds):
            fh.write(json.dumps(doc, sort_keys=True))
            fh.write("\n")
    return dest
