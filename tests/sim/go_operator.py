"""Simulated Orchestrator Go operator (GOP, Orchestrator 1.5/1.6, CR rhdh.redhat.com/v1alpha3).

Facts: reference upstream-workflows-and-generations.md §C1–C6, upstream-orchestrator.md §3.2, §6.2,
§7.3, real-operators.md (the namespace race). Behaviour per CR, reconcile order OSL → Knative →
RHDH → NetworkPolicies (GitOps not simulated beyond the flags):

- finalizer ``rhdh.redhat.com/orchestrator-cleanup``; ``status.phase`` Running → Completed
  (condition ``Completed=True`` reason ``ReconciliationCompleted``) once every object was *created*
  (not when anything is ready), or Failed with ``Degrading=False`` and a ``Reconciling…Failed`` reason
  (retried every 60 s, as the operator requeues on error);
- namespaces it needs are created labelled ``rhdh.redhat.com/created-by=orchestrator``; an existing one
  gets that label too (CheckNamespaceExist: the hazard of §7.3) — except the platform namespace, which
  it *creates*: when that namespace was created moments (< 60 s) before by someone else the create
  fails with ``namespaces "<ns>" already exists`` (its cache race, real-operators.md) and the next
  reconcile a minute later goes through;
- Subscriptions logic-operator-rhel8, serverless-operator, rhdh (Manual approval, startingCSV per
  operator version); it approves only the InstallPlan whose CSV is the startingCSV;
- SonataFlowPlatform ``sonataflow-platform`` (persistence from spec.postgres) and the cluster
  platform, KnativeServing/Eventing, the RHDH ConfigMaps (created only if absent; upstream defect: the
  ArgoCD and Tekton flags reach them swapped) and the Backstage CR (apiVersion v1alpha2), the
  NetworkPolicies of §6.2 in the platform namespace (overwritten when their spec differs);
- deletion (§7.3, without waiting between steps): the labelled knative namespaces and
  openshift-serverless, the labelled SonataFlow platforms, openshift-serverless-logic, the RHDH
  namespace when it holds exactly one labelled Backstage, rhdh-operator; then the finalizer goes.
"""
from __future__ import annotations

import base64
from typing import Optional

import yaml

from . import kube as K

CREATED_BY = "rhdh.redhat.com/created-by"
FINALIZER = "rhdh.redhat.com/orchestrator-cleanup"
MANAGER = "orchestrator-go-operator"
OSL_NS, SERVERLESS_NS, RHDH_OPERATOR_NS = "openshift-serverless-logic", "openshift-serverless", "rhdh-operator"
KNATIVE_NAMESPACES = ("knative-eventing", "knative-serving")
RACE_WINDOW = 60.0
REQUEUE_ON_ERROR = 60.0

# operator minor -> (OSL/Serverless version, RHDH channel, RHDH CSV, plugin version)
PINS = {
    "1.5": ("1.35.0", "fast-1.5", "rhdh-operator.v1.5.1", "1.5.1"),
    "1.6": ("1.36.0", "fast-1.6", "rhdh-operator.v1.6.1", "1.6.0"),
}
ARGOCD_PLUGIN = "./dynamic-plugins/dist/roadiehq-backstage-plugin-argo-cd"
TEKTON_PLUGIN = "./dynamic-plugins/dist/backstage-community-plugin-tekton"


def _g(d, path, default=None):
    for p in path.split("."):
        if not isinstance(d, dict) or p not in d:
            return default
        d = d[p]
    return default if d is None else d


class ReconcileError(Exception):
    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def network_policies(spec: dict, operator_version: str) -> list[dict]:
    """The platform namespace's policies (§6.2; the OSL one from 1.6.1) (pure)."""
    pns = _g(spec, "platform.namespace")
    peers = lambda names: [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": n}}}  # noqa: E731
                           for n in names]
    names = list(dict.fromkeys(n for n in ("knative-eventing", "knative-serving", pns, _g(spec, "rhdh.namespace"),
                                           _g(spec, "postgres.namespace")) if n))
    out = [("allow-rhdh-to-sonataflow-and-workflows", [{"from": peers(names)}]),
           ("allow-intra-namespace", [{"from": [{"podSelector": {}}]}])]
    if _g(spec, "platform.monitoring.enabled", False):
        out.append(("allow-monitoring-to-sonataflow-and-workflows",
                    [{"from": peers(["openshift-user-workload-monitoring"])}]))
    if tuple(int(x) for x in operator_version.split(".")) >= (1, 6, 1):
        out.append(("allow-openshift-serverless-logic-to-sonataflow-and-workflows", [{"from": peers([OSL_NS])}]))
    return [{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
             "metadata": {"name": n, "namespace": pns, "labels": {CREATED_BY: "orchestrator"}},
             "spec": {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": ingress}} for n, ingress in out]


def dynamic_plugins(spec: dict, plugin_version: str) -> str:
    """dynamic-plugins-rhdh content. Upstream defect (§C2): reconcileRHDH passes (argocd, tekton) to a
    function taking (tekton, argocd), so each flag gates the other's plugins (pure)."""
    argocd, tekton = bool(_g(spec, "argocd.enabled", False)), bool(_g(spec, "tekton.enabled", False))
    tekton_param, argocd_param = argocd, tekton  # the swap
    plugins = [{"package": f"@redhat/backstage-plugin-orchestrator@{plugin_version}", "disabled": False},
               {"package": f"@redhat/backstage-plugin-orchestrator-backend-dynamic@{plugin_version}",
                "disabled": False},
               {"package": ARGOCD_PLUGIN, "disabled": not argocd_param},
               {"package": TEKTON_PLUGIN, "disabled": not tekton_param}]
    return yaml.safe_dump({"includes": ["dynamic-plugins.default.yaml"], "plugins": plugins}, sort_keys=False)


class GoGeneration:
    """Registered in orchestrator_operator.GENERATIONS for CRD version v1alpha3."""

    crd_version = "v1alpha3"
    finalizer = FINALIZER
    csv_generation = "gop"

    def reconcile(self, ctl, cr: dict) -> Optional[float]:
        m = cr["metadata"]
        if m.get("deletionTimestamp"):
            return self.cleanup(ctl, cr)
        fins = m.get("finalizers") or []
        if FINALIZER not in fins:
            cr = ctl.kube.set_finalizers(ctl.res(), cr, fins + [FINALIZER])
            ctl.action("Orchestrator %s: finalizer %s added", K.key_of(cr), FINALIZER)
        status = dict(cr.get("status") or {})
        if not status.get("phase"):
            status = {"phase": "Running", "conditions": K.set_condition([], "Available", "Unknown", "Reconciling",
                                                                        "Starting Reconciliation")}
            cr = ctl.kube.patch_status(ctl.res(), cr, status)
        from .workloads import delay_remaining
        wait = delay_remaining(cr, ctl.ctx.config().delay("orchestrator"))
        if wait > 0:
            return wait
        version = self._operator_version(ctl)
        spec = cr.get("spec") or {}
        self.ctl, self.version = ctl, version
        pending = False
        try:
            for step in (self._osl, self._knative, self._rhdh, self._network_policies):
                pending = bool(step(spec)) or pending
        except ReconcileError as e:
            conds = K.set_condition(status.get("conditions") or [], "Degrading", "False", e.reason, str(e))
            conds = K.remove_condition(conds, "Completed")
            if status.get("phase") != "Failed" or not K.conditions_equal(status.get("conditions"), conds):
                ctl.kube.patch_status(ctl.res(), cr, {**status, "phase": "Failed", "conditions": conds})
                ctl.action("Orchestrator %s: Failed (%s): %s", K.key_of(cr), e.reason, e)
                ctl.kube.event(cr, e.reason, str(e), "Warning", "orchestrator-operator")
            return REQUEUE_ON_ERROR
        if pending:
            return 2.0
        conds = K.remove_condition(status.get("conditions") or [], "Degrading")
        conds = K.set_condition(conds, "Completed", "True", "ReconciliationCompleted",
                                "Reconciliation completed successfully")
        if status.get("phase") != "Completed" or not K.conditions_equal(status.get("conditions"), conds):
            ctl.kube.patch_status(ctl.res(), cr, {**status, "phase": "Completed", "conditions": conds})
            ctl.action("Orchestrator %s: Completed", K.key_of(cr))
        return None

    # -- helpers ---------------------------------------------------------------------------------
    def _operator_version(self, ctl) -> str:
        op = ctl.ctx.operator_deployment("orchestrator-operator")
        csv = ((op or {}).get("metadata", {}).get("labels") or {}).get("sim.orch.dev/csv", "")
        return csv.rsplit(".v", 1)[-1] if ".v" in csv else "1.6.1"

    def _pins(self) -> tuple[str, str, str, str]:
        return PINS[".".join(self.version.split(".")[:2])]

    def _ensure(self, res: K.Res, obj: dict, differs=None) -> dict:
        m = obj["metadata"]
        cur = self.ctl.kube.get(res, m["name"], m.get("namespace"))
        if cur is None or (differs and differs(cur)):
            cur = self.ctl.kube.apply(res, obj, MANAGER)
            self.ctl.action("Orchestrator: applied %s %s", res.kind, K.key_of(obj))
        return cur

    def _check_namespace(self, name: str) -> None:
        """Create it labelled, or label an existing one (CheckNamespaceExist)."""
        cur = self.ctl.kube.get(K.NAMESPACES, name)
        if cur is None:
            self._ensure(K.NAMESPACES, {"apiVersion": "v1", "kind": "Namespace",
                                        "metadata": {"name": name, "labels": {CREATED_BY: "orchestrator"}}})
        elif (cur["metadata"].get("labels") or {}).get(CREATED_BY) != "orchestrator":
            self.ctl.kube.patch(K.NAMESPACES, name, {"metadata": {"labels": {CREATED_BY: "orchestrator"}}})
            self.ctl.action("Orchestrator: labelled existing Namespace %s %s=orchestrator", name, CREATED_BY)

    def _create_platform_namespace(self, name: str) -> None:
        cur = self.ctl.kube.get(K.NAMESPACES, name)
        if cur is not None and (cur["metadata"].get("labels") or {}).get(CREATED_BY) != "orchestrator" \
                and K.age_seconds(cur) < RACE_WINDOW:
            raise ReconcileError("ReconcilingOSLResourcesFailed", f'namespaces "{name}" already exists')
        self._check_namespace(name)

    def _subscription(self, name: str, ns: str, og: str, channel: str, starting_csv: str) -> None:
        self._check_namespace(ns)
        if not self.ctl.kube.items(K.OPERATORGROUPS, ns):
            self._ensure(K.OPERATORGROUPS, {"apiVersion": "operators.coreos.com/v1", "kind": "OperatorGroup",
                                            "metadata": {"name": og, "namespace": ns,
                                                         "labels": {CREATED_BY: "orchestrator"}}, "spec": {}})
        sub = self._ensure(K.SUBSCRIPTIONS, {
            "apiVersion": "operators.coreos.com/v1alpha1", "kind": "Subscription",
            "metadata": {"name": name, "namespace": ns, "labels": {CREATED_BY: "orchestrator"}},
            "spec": {"channel": channel, "installPlanApproval": "Manual", "name": name,
                     "source": "redhat-operators", "sourceNamespace": "openshift-marketplace",
                     "startingCSV": starting_csv}})
        # ApproveInstallPlan: only the plan whose CSV is the startingCSV
        for ip in self.ctl.kube.items(K.INSTALLPLANS, ns):
            spec = ip.get("spec") or {}
            if starting_csv in (spec.get("clusterServiceVersionNames") or []) and not spec.get("approved"):
                self.ctl.kube.patch(K.INSTALLPLANS, ip["metadata"]["name"], {"spec": {"approved": True}}, ns)
                self.ctl.action("Orchestrator: approved InstallPlan %s/%s (%s)", ns, ip["metadata"]["name"],
                                starting_csv)
        del sub

    def _cr_when_crd(self, crd: str, res: K.Res, obj: dict) -> bool:
        """Apply a CR once its CRD is Established; True while pending."""
        if not self.ctl.ctx.hub.crd_established(crd):
            return True
        self._ensure(res, obj)
        return False

    # -- reconcile steps (order as upstream) -------------------------------------------------------
    def _osl(self, spec: dict) -> bool:
        if not _g(spec, "serverlessLogic.installOperator", True):
            return False
        v = self._pins()[0]
        self._subscription("logic-operator-rhel8", OSL_NS, "serverless-operator-group", "alpha",
                           f"logic-operator-rhel8.v{v}")
        pns = _g(spec, "platform.namespace")
        self._create_platform_namespace(pns)
        lbl = {CREATED_BY: "orchestrator"}
        persistence = {"postgresql": {
            "secretRef": {"name": _g(spec, "postgres.authSecret.name"), "userKey": _g(spec, "postgres.authSecret.userKey"),
                          "passwordKey": _g(spec, "postgres.authSecret.passwordKey")},
            "serviceRef": {"name": _g(spec, "postgres.name"), "namespace": _g(spec, "postgres.namespace"),
                           "databaseName": _g(spec, "postgres.database")}}}
        sfp_spec = {"services": {"dataIndex": {"enabled": True, "persistence": persistence},
                                 "jobService": {"enabled": True, "persistence": persistence}},
                    "build": {"template": {"resources": _g(spec, "platform.resources", {})}},
                    "monitoring": {"enabled": bool(_g(spec, "platform.monitoring.enabled", False))}}
        broker = _g(spec, "platform.eventing.broker", {})
        if broker.get("name"):
            sfp_spec["eventing"] = {"broker": {"ref": {"name": broker["name"], "namespace": broker.get("namespace")}}}
        pending = self._cr_when_crd("sonataflowplatforms.sonataflow.org", K.SONATAFLOWPLATFORMS, {
            "apiVersion": "sonataflow.org/v1alpha08", "kind": "SonataFlowPlatform",
            "metadata": {"name": "sonataflow-platform", "namespace": pns, "labels": lbl}, "spec": sfp_spec})
        pending = self._cr_when_crd("sonataflowclusterplatforms.sonataflow.org", K.SONATAFLOWCLUSTERPLATFORMS, {
            "apiVersion": "sonataflow.org/v1alpha08", "kind": "SonataFlowClusterPlatform",
            "metadata": {"name": "cluster-platform", "labels": lbl},
            "spec": {"platformRef": {"name": "sonataflow-platform", "namespace": pns}}}) or pending
        return pending

    def _knative(self, spec: dict) -> bool:
        if not _g(spec, "serverless.installOperator", True):
            return False
        v = self._pins()[0]
        self._subscription("serverless-operator", SERVERLESS_NS, "serverless-operator-group", "stable",
                           f"serverless-operator.v{v}")
        pending = False
        for ns, res, kind in (("knative-eventing", K.KNATIVEEVENTINGS, "KnativeEventing"),
                              ("knative-serving", K.KNATIVESERVINGS, "KnativeServing")):
            self._check_namespace(ns)
            pending = self._cr_when_crd(f"{res.plural}.operator.knative.dev", res, {
                "apiVersion": "operator.knative.dev/v1beta1", "kind": kind,
                "metadata": {"name": ns, "namespace": ns, "labels": {CREATED_BY: "orchestrator"}},
                "spec": {}}) or pending
        return pending

    def _rhdh(self, spec: dict) -> bool:
        if not _g(spec, "rhdh.installOperator", False):
            return False  # the code's default: no RHDH at all
        _, channel, csv, plugins = self._pins()
        self._subscription("rhdh", RHDH_OPERATOR_NS, "rhdh-operator-group", channel, csv)
        ns, name = _g(spec, "rhdh.namespace"), _g(spec, "rhdh.name")
        self._check_namespace(ns)
        lbl = {CREATED_BY: "orchestrator"}
        self._ensure(K.SECRETS, {"apiVersion": "v1", "kind": "Secret", "metadata": {
            "name": "dynamic-plugins-npmrc", "namespace": ns, "labels": lbl},
            "data": {".npmrc": base64.b64encode(b"registry=https://npm.registry.redhat.com").decode()}})
        guest = bool(_g(spec, "rhdh.devMode", False))
        contents = {
            "app-config-rhdh": {"app-config-rhdh.yaml": yaml.safe_dump({"backend": {"auth": {"externalAccess": [
                {"type": "static", "options": {"token": "${BACKEND_SECRET}", "subject": "orchestrator"}}]}},
                "orchestrator": {"dataIndexService": {
                    "url": f"http://sonataflow-platform-data-index-service.{_g(spec, 'platform.namespace')}"}}})},
            "app-config-rhdh-auth": {"app-config-auth.gh.yaml": yaml.safe_dump(
                {"auth": {"providers": {"guest": {"dangerouslyAllowOutsideDevelopment": True}} if guest else {}}})},
            "app-config-rhdh-catalog": {"app-config-catalog.yaml": "catalog: {}\n"},
            "dynamic-plugins-rhdh": {"dynamic-plugins.yaml": dynamic_plugins(spec, plugins)},
        }
        for cm, data in contents.items():  # created only if absent
            self._ensure(K.CONFIGMAPS, {"apiVersion": "v1", "kind": "ConfigMap",
                                        "metadata": {"name": cm, "namespace": ns, "labels": lbl}, "data": data})
        return self._cr_when_crd("backstages.rhdh.redhat.com", K.BACKSTAGES.with_version("v1alpha2"), {
            "apiVersion": "rhdh.redhat.com/v1alpha2", "kind": "Backstage",
            "metadata": {"name": name, "namespace": ns, "labels": lbl},
            "spec": {"application": {
                "appConfig": {"configMaps": [{"name": n} for n in contents if n.startswith("app-config")]},
                "dynamicPluginsConfigMapName": "dynamic-plugins-rhdh",
                "extraEnvs": {"secrets": [{"name": "backstage-backend-auth-secret"}]}}}})

    def _network_policies(self, spec: dict) -> bool:
        for np in network_policies(spec, self.version):
            self._ensure(K.NETWORKPOLICIES, np, lambda cur, np=np: cur.get("spec") != np["spec"])
        return False

    # -- deletion (handleCleanUp, §7.3) ------------------------------------------------------------
    def cleanup(self, ctl, cr: dict) -> Optional[float]:
        m = cr["metadata"]
        if FINALIZER not in (m.get("finalizers") or []):
            return None
        spec = cr.get("spec") or {}

        def labelled(obj) -> bool:
            return bool(obj) and (obj["metadata"].get("labels") or {}).get(CREATED_BY) == "orchestrator"

        def delete_ns(name: str) -> None:
            ns = ctl.kube.get(K.NAMESPACES, name)
            if labelled(ns) and not ns["metadata"].get("deletionTimestamp"):
                ctl.kube.delete(K.NAMESPACES, name)
                ctl.action("Orchestrator %s: cleanup: deleted Namespace %s", K.key_of(cr), name)

        for name in (*KNATIVE_NAMESPACES, SERVERLESS_NS):
            delete_ns(name)
        pns = _g(spec, "platform.namespace")
        for res in (K.SONATAFLOWPLATFORMS, K.SONATAFLOWCLUSTERPLATFORMS):
            try:
                items = ctl.kube.items(res, pns if res is K.SONATAFLOWPLATFORMS else None)
            except Exception:  # noqa: BLE001 - CRD gone
                items = []
            for obj in items:
                if labelled(obj) and not obj["metadata"].get("deletionTimestamp"):
                    ctl.kube.delete(res, obj["metadata"]["name"], obj["metadata"].get("namespace"))
                    ctl.action("Orchestrator %s: cleanup: deleted %s %s", K.key_of(cr), res.kind, K.key_of(obj))
        delete_ns(OSL_NS)
        rhdh_ns = _g(spec, "rhdh.namespace")
        try:
            backstages = [b for b in ctl.kube.items(K.BACKSTAGES.with_version("v1alpha2"), rhdh_ns) if labelled(b)]
        except Exception:  # noqa: BLE001
            backstages = []
        if len(backstages) == 1:
            delete_ns(rhdh_ns)
        delete_ns(RHDH_OPERATOR_NS)
        ctl.kube.set_finalizers(ctl.res(), cr, [f for f in m.get("finalizers") or [] if f != FINALIZER])
        ctl.action("Orchestrator %s: cleanup done, finalizer removed", K.key_of(cr))
        return None
