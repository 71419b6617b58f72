"""Simulated OLM: package server, Subscription → InstallPlan → CSV → operator Deployment."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import yaml
from kubernetes.client.exceptions import ApiException

from . import catalog as C
from . import kube as K
from . import workloads as W
from .runtime import Controller, Ctx

CRD_DIR = Path(__file__).parent / "crds"
MANAGER = "olm"
OLM_COMPONENT = "operator-lifecycle-manager"
CATALOG_COMPONENT = "catalog-operator"

OPERATOR_IMAGES = {
    "orchestrator-operator": "quay.io/orchestrator/orchestrator-operator:{v}",
    "serverless-operator": "registry.redhat.io/openshift-serverless-1/serverless-openshift-kn-rhel8-operator:{v}",
    "logic-operator-rhel8": "registry.redhat.io/openshift-serverless-1/logic-rhel8-operator:{v}",
    "rhdh": "registry.redhat.io/rhdh/rhdh-rhel9-operator:{v}",
    "openshift-gitops-operator": "registry.redhat.io/openshift-gitops-1/gitops-rhel8-operator:v{v}",
    "openshift-pipelines-operator-rh": "registry.redhat.io/openshift-pipelines/pipelines-rhel8-operator:v{v}",
}


def load_crd(filename: str) -> dict:
    return yaml.safe_load((CRD_DIR / filename).read_text())


def package_label(package: str, namespace: str) -> str:
    return f"operators.coreos.com/{package}.{namespace}"


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

class SubscriptionController(Controller):
    name = "olm.subscription"

    def __init__(self, ctx: Ctx):
        super().__init__(ctx)
        self.subs = self.watch(K.SUBSCRIPTIONS)
        self.watch(K.INSTALLPLANS, self._owners)
        self.watch(K.CSVS, self._same_namespace)
        self.watch(K.CATALOGSOURCES, lambda o: [K.key_of(s) for s in self.subs.objects()])

    def _owners(self, ip: dict) -> list[str]:
        ns = ip["metadata"]["namespace"]
        return [f"{ns}/{r['name']}" for r in ip["metadata"].get("ownerReferences") or []
                if r.get("kind") == "Subscription"]

    def _same_namespace(self, obj: dict) -> list[str]:
        ns = obj["metadata"].get("namespace")
        return [K.key_of(s) for s in self.subs.objects() if s["metadata"]["namespace"] == ns]

    def keys(self):
        return [K.key_of(s) for s in self.subs.objects()]

    def reconcile(self, key: str) -> Optional[float]:
        ns, name = K.split_key(key)
        sub = self.kube.get(K.SUBSCRIPTIONS, name, ns)
        if sub is None or sub["metadata"].get("deletionTimestamp"):
            return None
        cfg = self.ctx.config()
        spec = sub.get("spec") or {}
        status = dict(sub.get("status") or {})
        conds = list(status.get("conditions") or [])
        package = spec.get("name", "")
        approval = spec.get("installPlanApproval") or "Automatic"
        source = spec.get("source", "")
        catalog_ok = (spec.get("sourceNamespace") == C.CATALOG_NAMESPACE and
                      self.kube.get(K.CATALOGSOURCES, source, C.CATALOG_NAMESPACE) is not None)
        status["catalogHealth"] = [{
            "catalogSourceRef": {"apiVersion": "operators.coreos.com/v1alpha1",
                                 "kind": "CatalogSource", "name": source,
                                 "namespace": spec.get("sourceNamespace", "")},
            "healthy": catalog_ok, "lastUpdated": K.ts()}]
        conds = K.set_condition(conds, "CatalogSourcesUnhealthy",
                                "False" if catalog_ok else "True",
                                "AllCatalogSourcesHealthy" if catalog_ok
                                else "UnhealthyCatalogSourceFound",
                                "all available catalogsources are healthy" if catalog_ok
                                else f"targeted catalogsource {spec.get('sourceNamespace')}/"
                                     f"{source} missing")
        ip_ref = status.get("installPlanRef") or {}
        ip = self.kube.get(K.INSTALLPLANS, ip_ref["name"], ns) if ip_ref.get("name") else None
        installed = status.get("installedCSV")

        if ip is None and not installed:
            # First resolution.
            try:
                channel, csv = C.resolve(name, package, spec.get("channel"),
                                         spec.get("startingCSV"),
                                         source, cfg.channel_heads, cfg.hidden_packages,
                                         source_exists=catalog_ok)
            except C.ResolutionError as e:
                before = K.get_condition(sub, "ResolutionFailed")
                conds = K.set_condition(conds, "ResolutionFailed", "True",
                                        "ConstraintsNotSatisfiable", str(e))
                if not before or before.get("message") != str(e) \
                        or before.get("status") != "True":
                    self.action("subscription %s: resolution failed: %s", key, e)
                    self.kube.event(sub, "ResolutionFailed", str(e), "Warning",
                                    CATALOG_COMPONENT)
                status.update({"conditions": conds, "lastUpdated": K.ts(),
                               "state": status.get("state", "")})
                self._write(sub, status)
                return None
            conds = K.remove_condition(conds, "ResolutionFailed")
            ip = self._create_installplan(sub, csv, approval)
            status.update({"currentCSV": csv, "state": "UpgradePending"})
        elif ip is not None and installed and installed == status.get("currentCSV"):
            # Installed and current: look for an upgrade (only once the CSV succeeded).
            csv_obj = self.kube.get(K.CSVS, installed, ns)
            channel = spec.get("channel") or C.PACKAGES.get(package, C.PACKAGES[
                "orchestrator-operator"]).default_channel
            nxt = C.next_upgrade(package, channel, installed, cfg.channel_heads) \
                if package in C.PACKAGES else None
            if nxt and csv_obj and (csv_obj.get("status") or {}).get("phase") == "Succeeded":
                ip = self._create_installplan(sub, nxt, approval)
                status.update({"currentCSV": nxt, "state": "UpgradePending"})
                self.action("subscription %s: upgrade %s -> %s available (%s approval)",
                            key, installed, nxt, approval)

        if ip is not None:
            ipm = ip["metadata"]
            status["installplan"] = {"apiVersion": "operators.coreos.com/v1alpha1",
                                     "kind": "InstallPlan", "name": ipm["name"],
                                     "namespace": ipm["namespace"], "uuid": ipm.get("uid")}
            status["installPlanRef"] = {"apiVersion": "operators.coreos.com/v1alpha1",
                                        "kind": "InstallPlan", "name": ipm["name"],
                                        "namespace": ipm["namespace"], "uid": ipm.get("uid"),
                                        "resourceVersion": ipm.get("resourceVersion")}
            status["installPlanGeneration"] = (ip.get("spec") or {}).get("generation", 1)
            phase = (ip.get("status") or {}).get("phase", "")
            if phase == "Complete":
                status["installedCSV"] = status.get("currentCSV")
                conds = K.remove_condition(conds, "InstallPlanPending")
                conds = K.remove_condition(conds, "InstallPlanFailed")
                channel = spec.get("channel") or C.PACKAGES[package].default_channel \
                    if package in C.PACKAGES else ""
                nxt = C.next_upgrade(package, channel, status["installedCSV"],
                                     cfg.channel_heads) if package in C.PACKAGES else None
                status["state"] = "UpgradeAvailable" if nxt else "AtLatestKnown"
                if nxt:
                    self.enqueue(key, 1.0)  # create the upgrade plan once the CSV succeeds
            elif phase == "Failed":
                conds = K.remove_condition(conds, "InstallPlanPending")
                msg = (K.get_condition(ip, "Installed") or {}).get("message", "")
                conds = K.set_condition(conds, "InstallPlanFailed", "True",
                                        "InstallComponentFailed", msg)
                status["state"] = "UpgradePending" if installed else ""
            else:
                reason = "RequiresApproval" if phase == "RequiresApproval" else "Installing"
                conds = K.set_condition(conds, "InstallPlanPending", "True", reason, "")
                status["state"] = "UpgradePending"
        status["conditions"] = conds
        self._write(sub, status)
        return None

    def _write(self, sub: dict, status: dict) -> None:
        old = sub.get("status") or {}
        cmp_keys = set(status) | set(old)
        changed = any(k not in ("lastUpdated", "catalogHealth", "conditions")
                      and old.get(k) != status.get(k) for k in cmp_keys) \
            or not K.conditions_equal(old.get("conditions"), status.get("conditions"))
        if changed:
            status["lastUpdated"] = K.ts()
            self.kube.patch_status(K.SUBSCRIPTIONS, sub, status)
            self.action("subscription %s/%s: state=%s currentCSV=%s installedCSV=%s",
                        sub["metadata"]["namespace"], sub["metadata"]["name"],
                        status.get("state"), status.get("currentCSV"),
                        status.get("installedCSV"))

    def _create_installplan(self, sub: dict, csv: str, approval: str) -> dict:
        ns = sub["metadata"]["namespace"]
        info = C.csv_info(csv)
        prev_gen = max([(ip.get("spec") or {}).get("generation", 0) for ip in
                        self.kube.items(K.INSTALLPLANS, ns)] or [0])
        ip = {
            "metadata": {"generateName": "install-", "namespace": ns,
                         "labels": {package_label(info.package, ns): ""},
                         "ownerReferences": [K.owner_ref(sub, controller=False)]},
            "spec": {"approval": approval, "approved": approval == "Automatic",
                     "clusterServiceVersionNames": [csv], "generation": prev_gen + 1},
        }
        created = self.kube.create(K.INSTALLPLANS, ip, ns)
        self.action("subscription %s/%s: created InstallPlan %s for %s (approval %s)",
                    ns, sub["metadata"]["name"], created["metadata"]["name"], csv, approval)
        return created


# ---------------------------------------------------------------------------------------------

class InstallPlanController(Controller):
    name = "olm.installplan"

    def __init__(self, ctx: Ctx):
        super().__init__(ctx)
        self.ips = self.watch(K.INSTALLPLANS)

    def keys(self):
        return [K.key_of(o) for o in self.ips.objects()]

    def reconcile(self, key: str) -> Optional[float]:
        ns, name = K.split_key(key)
        ip = self.kube.get(K.INSTALLPLANS, name, ns)
        if ip is None or ip["metadata"].get("deletionTimestamp"):
            return None
        status = dict(ip.get("status") or {})
        if status.get("phase") in ("Complete", "Failed"):
            return None
        spec = ip.get("spec") or {}
        csvs = spec.get("clusterServiceVersionNames") or []
        infos = [C.csv_info(c) for c in csvs]
        steps = []
        for info in infos:
            if info is None:
                continue
            for fn in info.crds:
                crd = load_crd(fn)
                steps.append({"resolving": info.name, "status": "Unknown", "resource": {
                    "group": "apiextensions.k8s.io", "version": "v1",
                    "kind": "CustomResourceDefinition", "name": crd["metadata"]["name"],
                    "sourceName": C.CATALOG_SOURCE, "sourceNamespace": C.CATALOG_NAMESPACE}})
            steps.append({"resolving": info.name, "status": "Unknown", "resource": {
                "group": "operators.coreos.com", "version": "v1alpha1",
                "kind": "ClusterServiceVersion", "name": info.name,
                "sourceName": C.CATALOG_SOURCE, "sourceNamespace": C.CATALOG_NAMESPACE}})
        base = {"catalogSources": [C.CATALOG_SOURCE], "plan": steps,
                "bundleLookups": []}
        if not spec.get("approved"):
            if status.get("phase") != "RequiresApproval":
                status.update(base, phase="RequiresApproval", conditions=[])
                self.kube.patch_status(K.INSTALLPLANS, ip, status)
                self.action("installplan %s: RequiresApproval (%s)", key, ", ".join(csvs))
            return None
        delay = W.delay_remaining(ip, self.ctx.config().delay("installplan"))
        if delay > 0:
            if status.get("phase") != "Installing":
                self.kube.patch_status(K.INSTALLPLANS, ip, {**status, **base,
                                                           "phase": "Installing"})
            return delay
        ip = self.kube.patch_status(K.INSTALLPLANS, ip, {**status, **base, "phase": "Installing"})
        try:
            for info in infos:
                if info is None:
                    raise RuntimeError(f"no bundle for {csvs}")
                install_crds(self.kube, info.crds)
                self._ensure_csv(ns, info)
        except (ApiException, RuntimeError) as e:
            msg = K.api_error_message(e) if isinstance(e, ApiException) else str(e)
            conds = K.set_condition([], "Installed", "False", "InstallComponentFailed", msg)
            self.kube.patch_status(K.INSTALLPLANS, ip, {**base, "phase": "Failed",
                                                       "conditions": conds,
                                                       "message": msg})
            self.action("installplan %s: Failed: %s", key, msg)
            return None
        for s in steps:
            s["status"] = "Created"
        conds = K.set_condition([], "Installed", "True", "", "")
        self.kube.patch_status(K.INSTALLPLANS, ip, {**base, "plan": steps, "phase": "Complete",
                                                   "conditions": conds})
        self.action("installplan %s: Complete (CRDs + CSV %s created)", key, ", ".join(csvs))
        return None

    def _ensure_csv(self, ns: str, info: C.CsvInfo) -> None:
        if self.kube.get(K.CSVS, info.name, ns) is not None:
            return
        replaces = None
        for other in self.kube.items(K.CSVS, ns):
            oi = C.csv_info(other["metadata"]["name"])
            if oi and oi.package == info.package and oi.name != info.name:
                replaces = oi.name
        owned = []
        for fn in info.crds:
            crd = load_crd(fn)
            for v in crd["spec"]["versions"]:
                if v.get("storage"):
                    owned.append({"name": crd["metadata"]["name"], "version": v["name"],
                                  "kind": crd["spec"]["names"]["kind"],
                                  "displayName": crd["spec"]["names"]["kind"]})
        csv = {
            "metadata": {"name": info.name, "namespace": ns,
                         "labels": {package_label(info.package, ns): ""},
                         "annotations": {"olm.skipRange": "", "capabilities": "Basic Install",
                                         "operatorframework.io/suggested-namespace":
                                             "orchestrator" if info.package ==
                                             "orchestrator-operator" else ns}},
            "spec": {
                "displayName": info.display_name, "version": info.version,
                "minKubeVersion": info.min_kube_version,
                "installModes": [{"type": t, "supported": t in info.install_modes}
                                 for t in ("OwnNamespace", "SingleNamespace",
                                           "MultiNamespace", "AllNamespaces")],
                "customresourcedefinitions": {"owned": owned},
                "install": {"strategy": "deployment", "spec": {"deployments": [
                    {"name": info.deployment}]}},
                "provider": {"name": "Red Hat"},
            },
        }
        if replaces:
            csv["spec"]["replaces"] = replaces
        self.kube.create(K.CSVS, csv, ns)
        self.action("created ClusterServiceVersion %s/%s%s", ns, info.name,
                    f" (replaces {replaces})" if replaces else "")


# ---------------------------------------------------------------------------------------------

class CSVController(Controller):
    name = "olm.csv"
    RETRY_REASONS = ("NoOperatorGroup", "TooManyOperatorGroups", "UnsupportedOperatorGroup",
                     "ComponentUnhealthy")

    def __init__(self, ctx: Ctx):
        super().__init__(ctx)
        self.csvs = self.watch(K.CSVS)
        self.watch(K.DEPLOYMENTS, self._from_deployment)
        self.watch(K.OPERATORGROUPS, self._same_namespace)

    def _from_deployment(self, dep: dict) -> list[str]:
        labels = dep["metadata"].get("labels") or {}
        if labels.get("olm.owner"):
            return [f"{labels.get('olm.owner.namespace')}/{labels['olm.owner']}"]
        return []

    def _same_namespace(self, obj: dict) -> list[str]:
        ns = obj["metadata"].get("namespace")
        return [K.key_of(c) for c in self.csvs.objects() if c["metadata"]["namespace"] == ns]

    def keys(self):
        return [K.key_of(o) for o in self.csvs.objects()]

    def _set_phase(self, csv: dict, phase: str, reason: str, message: str) -> dict:
        st = dict(csv.get("status") or {})
        if st.get("phase") == phase and st.get("reason") == reason \
                and st.get("message") == message:
            return csv
        stamp = K.ts()
        conds = list(st.get("conditions") or [])
        conds.append({"phase": phase, "reason": reason, "message": message,
                      "lastTransitionTime": stamp, "lastUpdateTime": stamp})
        st.update({"phase": phase, "reason": reason, "message": message,
                   "lastTransitionTime": stamp if st.get("phase") != phase
                   else st.get("lastTransitionTime", stamp),
                   "lastUpdateTime": stamp, "conditions": conds[-20:]})
        etype = "Warning" if phase == "Failed" else "Normal"
        prev = csv.get("status") or {}
        if prev.get("phase") != phase or prev.get("reason") != reason:
            self.kube.event(csv, reason, message, etype, OLM_COMPONENT)
        self.action("csv %s/%s: %s (%s) %s", csv["metadata"]["namespace"],
                    csv["metadata"]["name"], phase, reason, message)
        return self.kube.patch_status(K.CSVS, csv, st)

    def _operator_group_problem(self, csv: dict, info: C.CsvInfo) -> Optional[tuple[str, str]]:
        ns = csv["metadata"]["namespace"]
        ogs = [o for o in self.ctx.hub.informer(K.OPERATORGROUPS).objects()
               if o["metadata"].get("namespace") == ns]
        if not ogs:
            return "NoOperatorGroup", "csv in namespace with no operatorgroups"
        if len(ogs) > 1:
            return ("TooManyOperatorGroups",
                    "csv created in namespace with multiple operatorgroups, can't pick one "
                    "automatically")
        targets = [t for t in ((ogs[0].get("spec") or {}).get("targetNamespaces") or []) if t]
        if not targets and "AllNamespaces" not in info.install_modes:
            return ("UnsupportedOperatorGroup",
                    "AllNamespaces InstallModeType not supported, cannot configure to watch "
                    "all namespaces")
        if targets and targets != [ns] and "MultiNamespace" not in info.install_modes \
                and "SingleNamespace" not in info.install_modes:
            return ("UnsupportedOperatorGroup",
                    "SingleNamespace InstallModeType not supported, cannot configure to watch "
                    "one namespace")
        if targets == [ns] and "OwnNamespace" not in info.install_modes:
            return ("UnsupportedOperatorGroup",
                    "OwnNamespace InstallModeType not supported, cannot configure to watch own "
                    "namespace")
        return None

    def _deployment(self, csv: dict, info: C.CsvInfo, cfg) -> dict:
        ns = csv["metadata"]["namespace"]
        containers = ["kube-rbac-proxy", "manager"] if info.package == "orchestrator-operator" \
            else ["manager"]
        image = OPERATOR_IMAGES.get(info.package, "registry.example/{v}").format(v=info.version)
        return W.deployment(
            info.deployment, ns, cfg=cfg, image=image, containers=containers,
            owner=K.owner_ref(csv, controller=False, block=True),
            labels={"olm.owner": info.name, "olm.owner.kind": "ClusterServiceVersion",
                    "olm.owner.namespace": ns, package_label(info.package, ns): "",
                    "sim.orch.dev/package": info.package, "sim.orch.dev/csv": info.name},
            annotations={"olm.targetNamespaces": "", "olm.operatorGroup":
                         self._og_name(ns)})

    def _og_name(self, ns: str) -> str:
        for o in self.ctx.hub.informer(K.OPERATORGROUPS).objects():
            if o["metadata"].get("namespace") == ns:
                return o["metadata"]["name"]
        return ""

    def reconcile(self, key: str) -> Optional[float]:
        ns, name = K.split_key(key)
        csv = self.kube.get(K.CSVS, name, ns)
        if csv is None or csv["metadata"].get("deletionTimestamp"):
            return None
        info = C.csv_info(name)
        if info is None:
            return None  # not from our catalog (e.g. a user-made CSV): leave it alone
        cfg = self.ctx.config()
        st = csv.get("status") or {}
        phase = st.get("phase", "")
        failure = cfg.failing_csvs.get(info.package)

        if phase in ("Replacing", "Deleting"):
            return None
        if not phase:
            self._mark_replaced(csv)
            csv = self._set_phase(csv, "Pending", "RequirementsUnknown",
                                  "requirements not yet checked")
            phase = "Pending"
        if phase == "Failed":
            reason = st.get("reason")
            if reason in self.RETRY_REASONS:
                if self._operator_group_problem(csv, info) is not None:
                    return None
            elif failure is not None:
                return None  # configured failure still in force
            csv = self._set_phase(csv, "Pending", "NeedsReinstall",
                                  "calculated deployment install is bad")
            phase = "Pending"
        if phase == "Pending":
            problem = self._operator_group_problem(csv, info)
            if problem:
                self._set_phase(csv, "Failed", *problem)
                return None
            crd_names = [load_crd(fn)["metadata"]["name"] for fn in info.crds]
            missing = [n for n in crd_names if not self.ctx.hub.crd_established(n)]
            if missing:
                self._set_phase(csv, "Pending", "RequirementsNotMet",
                                "one or more requirements couldn't be found")
                return 1.0
            csv = self._set_phase(csv, "InstallReady", "AllRequirementsMet",
                                  "all requirements found, attempting install")
            phase = "InstallReady"

        dep_name = info.deployment
        component = f"csv:{info.package}"
        wait = max(W.delay_remaining(csv, cfg.delay(component)),
                   W.delay_remaining(csv, cfg.delay(dep_name)))
        if phase == "InstallReady":
            if wait > 0:
                return wait
            self.kube.apply(K.DEPLOYMENTS, self._deployment(csv, info, cfg), MANAGER)
            self.action("csv %s: applied operator Deployment %s/%s", key, ns, dep_name)
            csv = self._set_phase(csv, "Installing", "InstallWaiting",
                                  f"installing: waiting for deployment {dep_name} to become "
                                  f"ready: {W.wait_message(dep_name, {})}")
            phase = "Installing"
            return 0.5

        # Installing / Succeeded: keep the Deployment as OLM wants it (re-created if deleted).
        dep = self.kube.get(K.DEPLOYMENTS, dep_name, ns)
        want = self._deployment(csv, info, cfg)
        if dep is None or W.template_differs(dep, want):
            dep = self.kube.apply(K.DEPLOYMENTS, want, MANAGER)
            self.action("csv %s: applied operator Deployment %s/%s", key, ns, dep_name)
        available = K.deployment_available(dep)
        if phase == "Installing":
            if failure is not None:
                self._set_phase(csv, "Failed", failure.reason, failure.message)
                return None
            if available:
                csv = self._set_phase(csv, "Succeeded", "InstallSucceeded",
                                      "install strategy completed with no errors")
                self._finish_replacement(csv)
            else:
                self._set_phase(csv, "Installing", "InstallWaiting",
                                f"installing: waiting for deployment {dep_name} to become "
                                f"ready: {W.wait_message(dep_name, dep)}")
            return None
        if phase == "Succeeded":
            if failure is not None:
                self._set_phase(csv, "Failed", failure.reason, failure.message)
            elif not available:
                self._set_phase(csv, "Failed", "ComponentUnhealthy",
                                f"installing: {W.wait_message(dep_name, dep)}")
            else:
                self._finish_replacement(csv)
        return None

    def _mark_replaced(self, csv: dict) -> None:
        old_name = (csv.get("spec") or {}).get("replaces")
        if not old_name:
            return
        old = self.kube.get(K.CSVS, old_name, csv["metadata"]["namespace"])
        if old and (old.get("status") or {}).get("phase") != "Replacing":
            self._set_phase(old, "Replacing", "BeingReplaced",
                            f"being replaced by csv: {csv['metadata']['name']}")

    def _finish_replacement(self, csv: dict) -> None:
        old_name = (csv.get("spec") or {}).get("replaces")
        if old_name and self.kube.delete(K.CSVS, old_name, csv["metadata"]["namespace"]):
            self.action("csv %s replaced: deleted %s", csv["metadata"]["name"], old_name)

