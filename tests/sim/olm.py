"""What remains of OLM in the simulators now that real OLM runs (tests/cluster/olm.py): the
PackageManifest stand-in for OLM's package-server, operator pod faults injected through the CSV
(what a bad operator release does), and the CRD helpers."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import yaml

from . import catalog as C
from . import kube as K
from .config import FAULT_LABEL, UNSCHEDULABLE_SELECTOR
from .runtime import Controller, Ctx

CRD_DIR = Path(__file__).parent / "crds"
MANAGER = "olm"


def load_crd(filename: str) -> dict:
    return yaml.safe_load((CRD_DIR / filename).read_text())


def install_crds(kube: K.Kube, filenames: list[str] | tuple[str, ...]) -> list[str]:
    """Apply operand CRDs (as an InstallPlan does). Returns the CRD names."""
    names = []
    for fn in filenames:
        crd = load_crd(fn)
        kube.apply(K.CRDS, crd, MANAGER)
        names.append(crd["metadata"]["name"])
    return names


def install_gitops_crds(kube: K.Kube) -> list[str]:
    """For a GitOps-enabled cluster: argoproj.io AppProject/ArgoCD and tekton.dev Task/Pipeline."""
    return install_crds(kube, C.ARGO + C.TEKTON)


# ---------------------------------------------------------------------------------------------

class PackageServer(Controller):
    """Publishes a PackageManifest per catalog package in openshift-marketplace."""

    name = "packageserver"
    KEY = "catalog"

    def __init__(self, ctx: Ctx):
        super().__init__(ctx)
        self.watch(K.PACKAGEMANIFESTS, lambda o: [self.KEY])
        self.watch(K.CATALOGSOURCES, lambda o: [self.KEY])

    def keys(self):
        return [self.KEY]

    def reconcile(self, key: str) -> Optional[float]:
        cfg = self.ctx.config()
        if self.kube.get(K.CATALOGSOURCES, C.CATALOG_SOURCE, C.CATALOG_NAMESPACE) is None:
            return 5.0  # the catalog is not there: the package server serves nothing
        visible = C.visible_packages(hidden=cfg.hidden_packages)
        existing = {o["metadata"]["name"]: o for o in
                    self.ctx.hub.informer(K.PACKAGEMANIFESTS).objects()
                    if o["metadata"].get("namespace") == C.CATALOG_NAMESPACE}
        for pkg in visible:
            want = C.package_manifest(pkg, cfg.channel_heads)
            cur = existing.get(pkg)
            if cur is None:
                cur = self.kube.create(K.PACKAGEMANIFESTS, {k: v for k, v in want.items()
                                                            if k != "status"})
                self.action("published PackageManifest %s", pkg)
            if cur.get("status") != want["status"]:
                self.kube.patch_status(K.PACKAGEMANIFESTS, cur, want["status"])
        for name, obj in existing.items():
            if name not in visible and (obj["metadata"].get("labels") or {}).get(
                    "catalog") == C.CATALOG_SOURCE:
                self.kube.delete(K.PACKAGEMANIFESTS, name, C.CATALOG_NAMESPACE)
                self.action("withdrew PackageManifest %s", name)
        return None


# ---------------------------------------------------------------------------------------------

class OperatorPodFaults(Controller):
    """`pod_faults` / `never_ready` for an operator Deployment that real OLM manages: the fault
    goes into the pod template of the CSV's install strategy (as a bad operator release would
    ship it), so OLM itself rolls the Deployment out with it and keeps it; clearing the
    configuration restores the catalog's template. Copied CSVs are left to OLM."""

    name = "olm.pod-faults"

    def __init__(self, ctx: Ctx):
        super().__init__(ctx)
        self.csvs = self.watch(K.CSVS)
        self.watch(K.DEPLOYMENTS, self._owner)

    @staticmethod
    def _owner(dep: dict) -> list[str]:
        labels = dep["metadata"].get("labels") or {}
        return [f"{labels['olm.owner.namespace']}/{labels['olm.owner']}"] \
            if labels.get("olm.owner") and labels.get("olm.owner.namespace") else []

    def keys(self):
        return [K.key_of(o) for o in self.csvs.objects()]

    def reconcile(self, key: str) -> Optional[float]:
        ns, name = K.split_key(key)
        csv = self.kube.get(K.CSVS, name, ns)
        if csv is None or csv["metadata"].get("deletionTimestamp") or C.csv_info(name) is None \
                or (csv["metadata"].get("labels") or {}).get("olm.copiedFrom"):
            return None
        cfg = self.ctx.config()
        install = (csv.get("spec") or {}).get("install") or {}
        deployments = (install.get("spec") or {}).get("deployments") or []
        changed = False
        for dep in deployments:
            template = dep.setdefault("spec", {}).setdefault("template", {})
            labels = template.setdefault("metadata", {}).setdefault("labels", {})
            pod_spec = template.setdefault("spec", {})
            selector = dict(pod_spec.get("nodeSelector") or {})
            fault = cfg.pod_fault(dep.get("name", ""))
            want_label = fault if fault and fault != "Unschedulable" else None
            if labels.get(FAULT_LABEL) != want_label:
                changed = True
                if want_label:
                    labels[FAULT_LABEL] = want_label
                else:
                    labels.pop(FAULT_LABEL, None)
            # a faulty release replaces its pod at once (Recreate): a rolling update would keep the old,
            # healthy pod serving and the Deployment Available
            want_strategy = {"type": "Recreate"} if fault else None
            if dep["spec"].get("strategy") != want_strategy:
                changed = True
                if want_strategy:
                    dep["spec"]["strategy"] = want_strategy
                else:
                    dep["spec"].pop("strategy", None)
            want_selector = {k: v for k, v in selector.items() if k not in UNSCHEDULABLE_SELECTOR}
            if fault == "Unschedulable":
                want_selector.update(UNSCHEDULABLE_SELECTOR)
            if want_selector != selector:
                changed = True
                if want_selector:
                    pod_spec["nodeSelector"] = want_selector
                else:
                    pod_spec.pop("nodeSelector", None)
        if changed:
            self.kube.patch(K.CSVS, name, {"spec": {"install": install}}, ns)
            self.action("csv %s: operator pod template faults now %s", key,
                        {d.get("name"): cfg.pod_fault(d.get("name", "")) for d in deployments})
        for dep in deployments:
            if cfg.pod_fault(dep.get("name", "")) is None:
                self._clear_live(dep.get("name", ""), ns)
        return None

    def _clear_live(self, name: str, ns: str) -> None:
        """Takes a removed fault out of the live Deployment too (also one OLM re-created from the
        faulty template just before the CSV was restored): OLM checks a CSV's Deployment
        for readiness before it compares the template with the CSV's, so a CSV waiting on a
        faulty Deployment would only notice the restored template at its 5-minute install
        timeout. Once this rollout is Available OLM sees the changed template and re-applies the
        CSV's own."""
        dep = self.ctx.deployments().get(f"{ns}/{name}")  # (the informer's copy: no request when clean)
        if dep is None:
            return
        template = dep["spec"]["template"]
        labels = (template.get("metadata") or {}).get("labels") or {}
        selector = (template.get("spec") or {}).get("nodeSelector") or {}
        if FAULT_LABEL not in labels and not set(UNSCHEDULABLE_SELECTOR) & set(selector):
            return
        self.kube.patch(K.DEPLOYMENTS, name, {"spec": {"template": {
            "metadata": {"labels": {FAULT_LABEL: None}},
            "spec": {"nodeSelector": {k: None for k in UNSCHEDULABLE_SELECTOR}}}}}, ns)
        self.action("deployment %s/%s: fault taken out of the live template", ns, name)
