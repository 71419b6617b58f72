"""Simulated Orchestrator operator.

One place decides how an Orchestrator CR is handled: ``GENERATIONS`` maps the CRD version to a
generation.  The Helm-based operator (HOP, Orchestrator 1.2–1.4, v1alpha1/v1alpha2) is
implemented here; the Go operator (GOP, 1.5/1.6, v1alpha3) in go_operator.py, registered there
(its CSVs in catalog.py).
"""
from __future__ import annotations

from typing import Optional

import yaml
from kubernetes.client.exceptions import ApiException

from . import catalog as C
from . import kube as K
from .orchestrator_chart import (
    APPPROJECTS,
    ARGOCD_NS_LABEL,
    HOOK_TIMEOUT,
    MANAGED_BY,
    RELEASE_NAME_ANN,
    RELEASE_NS_ANN,
    WORKFLOW_NS_LABEL,
    Release,
    RenderError,
    RenderInput,
    _g,
    render,
)
from .go_operator import GoGeneration
from .runtime import Controller, Ctx

PACKAGE = "orchestrator-operator"


# ---------------------------------------------------------------------------------------------
# Generations

class Generation:
    crd_version = ""
    finalizer = ""
    csv_generation = ""   # catalog CsvInfo.generation of the operator that handles it

    def reconcile(self, ctl: "OrchestratorController", cr: dict) -> Optional[float]:
        raise NotImplementedError


class HelmGeneration(Generation):
    """Helm-based operator (operator-sdk helm reconciler) for Orchestrator 1.2–1.4."""

    finalizer = "helm.sdk.operatorframework.io/uninstall-release"
    csv_generation = "hop"

    def __init__(self, crd_version: str):
        self.crd_version = crd_version

    # -- cluster lookups for render ----------------------------------------------------------
    def render_input(self, ctl: "OrchestratorController", cr: dict) -> RenderInput:
        spec = cr.get("spec") or {}
        kube = ctl.kube
        rhdh_ns = _g(spec, "rhdhOperator.subscription.targetNamespace", "rhdh-operator")
        secret_name = _g(spec, "rhdhOperator.secretRef.name", "backstage-backend-auth-secret")
        secret = kube.get(K.SECRETS, secret_name, rhdh_ns)
        ing = kube.get(K.INGRESSES_CONFIG, "cluster")
        labelled = {}
        for label in (WORKFLOW_NS_LABEL, ARGOCD_NS_LABEL):
            labelled[label] = sorted(n["metadata"]["name"] for n in
                                     kube.items(K.NAMESPACES, label_selector=label))
        release = cr["metadata"]["name"]
        unmanaged = set()
        checks = [("Namespace", K.NAMESPACES, None, n) for n in
                  ("openshift-serverless", "knative-serving", "knative-eventing",
                   "openshift-serverless-logic",
                   _g(spec, "serverlessOperator.subscription.namespace", "")) if n]
        checks += [("Subscription", K.SUBSCRIPTIONS,
                    _g(spec, "serverlessOperator.subscription.namespace", "openshift-serverless"),
                    _g(spec, "serverlessOperator.subscription.name", "serverless-operator")),
                   ("KnativeServing", K.KNATIVESERVINGS, "knative-serving", "knative-serving"),
                   ("KnativeEventing", K.KNATIVEEVENTINGS, "knative-eventing", "knative-eventing"),
                   ("Backstage", K.BACKSTAGES.with_version("v1alpha1"), rhdh_ns, "backstage")]
        for kind, res, ns, name in checks:
            try:
                obj = kube.get(res, name, ns)
            except ApiException:
                obj = None
            if obj is not None and (obj["metadata"].get("annotations") or {}).get(
                    RELEASE_NAME_ANN) != release:
                unmanaged.add((kind, ns, name))
        apis = set()
        for crd_name, api in (("tasks.tekton.dev", "tekton.dev/v1/Task"),
                              ("pipelines.tekton.dev", "tekton.dev/v1/Pipeline"),
                              ("appprojects.argoproj.io", "argoproj.io/v1alpha1/AppProject")):
            if ctl.ctx.hub.crd_established(crd_name):
                apis.add(api)
        psql = kube.get(K.STATEFULSETS, "backstage-psql-backstage", rhdh_ns) is not None
        return RenderInput(secret_data=None if secret is None else dict(secret.get("data") or {}),
                           domain=((ing or {}).get("spec") or {}).get("domain") if ing else None,
                           namespaces_with_label=labelled, psql_statefulset_exists=psql,
                           unmanaged=unmanaged, api_versions=apis)

    # -- reconcile -----------------------------------------------------------------------------
    def reconcile(self, ctl: "OrchestratorController", cr: dict) -> Optional[float]:
        m = cr["metadata"]
        status = dict(cr.get("status") or {})
        conds = list(status.get("conditions") or [])
        if m.get("deletionTimestamp"):
            return self.uninstall(ctl, cr)
        fins = m.get("finalizers") or []
        if self.finalizer not in fins:
            cr = ctl.kube.set_finalizers(ctl.res(), cr, fins + [self.finalizer])
            ctl.action("Orchestrator %s: finalizer %s added", K.key_of(cr), self.finalizer)
        if not K.get_condition(cr, "Initialized"):
            conds = K.set_condition(conds, "Initialized", "True", "", "")
            status["conditions"] = conds
            cr = ctl.kube.patch_status(ctl.res(), cr, status)
            ctl.action("Orchestrator %s: Initialized", K.key_of(cr))
        cfg = ctl.ctx.config()
        from .workloads import delay_remaining
        wait = delay_remaining(cr, cfg.delay("orchestrator"))
        if wait > 0:
            return wait
        had_release = bool(status.get("deployedRelease"))
        try:
            rel = render(m["name"], m["namespace"], cr.get("spec") or {},
                         self.render_input(ctl, cr), self.crd_version)
            self.check_ownership(ctl, cr, rel)
            pending = self.apply(ctl, rel)
        except RenderError as e:
            msg = (f"failed to {'upgrade' if had_release else 'install'} release: execution error "
                   f"at (orchestrator/templates/{e.template}): {e}")
            return self.fail(ctl, cr, conds, had_release, msg)
        except ReleaseError as e:
            return self.fail(ctl, cr, conds, had_release,
                             f"failed to {'upgrade' if had_release else 'install'} release: {e}")
        manifest = rel.manifest()
        old = status.get("deployedRelease") or {}
        deployed = K.get_condition(cr, "Deployed")
        reason, notes = "InstallSuccessful", rel.notes
        if deployed and deployed.get("status") == "True":
            if old.get("manifest") == manifest:
                # Nothing to upgrade: helm keeps the release (and its NOTES) as they are.
                reason, notes = deployed.get("reason", reason), deployed.get("message", notes)
            else:
                reason = "UpgradeSuccessful"
        conds = K.remove_condition(conds, "ReleaseFailed")
        conds = K.remove_condition(conds, "Irreconcilable")
        conds = K.set_condition(conds, "Deployed", "True", reason, notes)
        new_status = {"conditions": conds,
                      "deployedRelease": {"name": m["name"], "manifest": manifest}}
        if not K.conditions_equal(status.get("conditions"), conds) or old != new_status[
                "deployedRelease"]:
            ctl.kube.patch_status(ctl.res(), cr, {**status, **new_status})
            ctl.action("Orchestrator %s: Deployed (%s)", K.key_of(cr), reason)
        return 2.0 if pending else None

    def fail(self, ctl, cr: dict, conds: list, had_release: bool, msg: str) -> Optional[float]:
        conds = K.set_condition(conds, "ReleaseFailed", "True",
                                "UpgradeError" if had_release else "InstallError", msg)
        status = dict(cr.get("status") or {})
        if not K.conditions_equal(status.get("conditions"), conds):
            ctl.kube.patch_status(ctl.res(), cr, {**status, "conditions": conds})
            ctl.action("Orchestrator %s: ReleaseFailed: %s", K.key_of(cr), msg)
            ctl.kube.event(cr, "ReleaseFailed", msg, "Warning", "orchestrator-operator")
        return 30.0  # operator-sdk requeues failed releases with a back-off

    def check_ownership(self, ctl, cr: dict, rel: Release) -> None:
        """helm refuses to adopt existing objects that lack its ownership metadata."""
        release, ns = cr["metadata"]["name"], cr["metadata"]["namespace"]
        for it in rel.items:
            if it.crd and not ctl.ctx.hub.crd_established(it.crd):
                continue
            m = it.obj["metadata"]
            try:
                cur = ctl.kube.get(it.res, m["name"], m.get("namespace"))
            except ApiException:
                cur = None
            if cur is None:
                continue
            ann = cur["metadata"].get("annotations") or {}
            labels = cur["metadata"].get("labels") or {}
            problems = []
            if labels.get(MANAGED_BY) != "Helm":
                problems.append(f'label validation error: missing key "{MANAGED_BY}": must be '
                                'set to "Helm"')
            if ann.get(RELEASE_NAME_ANN) != release:
                problems.append(f'annotation validation error: key "{RELEASE_NAME_ANN}" must '
                                f'equal "{release}": current value is '
                                f'"{ann.get(RELEASE_NAME_ANN, "")}"')
            if ann.get(RELEASE_NS_ANN, ns) != ns:
                problems.append(f'annotation validation error: key "{RELEASE_NS_ANN}" must '
                                f'equal "{ns}"')
            if problems:
                where = f' in namespace "{m["namespace"]}"' if m.get("namespace") else ""
                raise ReleaseError(
                    "rendered manifests contain a resource that already exists. Unable to "
                    f'continue with install: {it.res.kind} "{m["name"]}"{where} exists and '
                    "cannot be imported into the current release: invalid ownership metadata; "
                    + "; ".join(problems))

    def apply(self, ctl, rel: Release) -> bool:
        """Apply the release; CR items wait for their CRD (the chart's CronJobs).  Returns True
        while something is still pending."""
        pending = False
        errors = []
        for it in rel.items:
            m = it.obj["metadata"]
            if it.crd and not ctl.ctx.hub.crd_established(it.crd):
                pending = True
                continue
            try:
                cur = ctl.kube.get(it.res, m["name"], m.get("namespace"))
                if cur is not None and cur["metadata"].get("deletionTimestamp"):
                    pending = True
                    continue
                before = (cur or {}).get("metadata", {}).get("resourceVersion")
                out = ctl.kube.apply(it.res, dict(it.obj), "orchestrator-operator")
                if out["metadata"].get("resourceVersion") != before:
                    ctl.action("Orchestrator: %s %s %s", "created" if cur is None
                               else "updated", it.res.kind, K.key_of(it.obj))
            except ApiException as e:
                if it.crd:  # a CronJob's Job would fail and retry a minute later
                    ctl.log.info("applying %s %s failed (retrying): %s", it.res.kind,
                                 K.key_of(it.obj), K.api_error_message(e))
                    pending = True
                else:
                    errors.append(f"failed to create resource: {K.api_error_message(e)}")
        if errors:
            raise ReleaseError("; ".join(errors))
        return pending

    def uninstall(self, ctl, cr: dict) -> Optional[float]:
        m = cr["metadata"]
        if self.finalizer not in (m.get("finalizers") or []):
            return None
        release = m["name"]
        docs = [d for d in yaml.safe_load_all(((cr.get("status") or {}).get("deployedRelease")
                                               or {}).get("manifest") or "") if d]
        objs = []
        for doc in docs:
            res = ctl.res_for(doc["apiVersion"], doc["kind"])
            if res is None:
                continue
            try:
                cur = ctl.kube.get(res, doc["metadata"]["name"], doc["metadata"].get("namespace"))
            except ApiException:
                cur = None
            if cur is None:
                continue
            if (cur["metadata"].get("annotations") or {}).get(RELEASE_NAME_ANN) != release:
                continue
            objs.append((res, cur))
        # 1. pre-delete hooks: the CRs go first and must be gone (60 s hook timeout each).
        crs = [(r, o) for r, o in objs if r.group not in ("", "operators.coreos.com",
                                                          "networking.k8s.io", "batch")]
        for res, o in objs:  # the delete hooks remove the CronJobs before the CRs
            if res.kind == "CronJob" and not o["metadata"].get("deletionTimestamp"):
                ctl.kube.delete(res, o["metadata"]["name"], o["metadata"].get("namespace"))
                ctl.action("Orchestrator %s: uninstall: deleted CronJob %s", K.key_of(cr),
                           K.key_of(o))
        if crs:
            for res, o in crs:
                if not o["metadata"].get("deletionTimestamp"):
                    ctl.kube.delete(res, o["metadata"]["name"], o["metadata"].get("namespace"))
                    ctl.action("Orchestrator %s: uninstall: deleted %s %s", K.key_of(cr),
                               res.kind, K.key_of(o))
            started = K.parse_ts(m["deletionTimestamp"])
            if started and (K.now() - started).total_seconds() > HOOK_TIMEOUT:
                names = ", ".join(f"{r.kind} {K.key_of(o)}" for r, o in crs)
                conds = K.set_condition((cr.get("status") or {}).get("conditions") or [],
                                        "ReleaseFailed", "True", "UninstallError",
                                        f"failed to delete release: {release}: pre-delete "
                                        f"hook failed: timed out waiting for {names}")
                if not K.conditions_equal((cr.get("status") or {}).get("conditions"), conds):
                    ctl.kube.patch_status(ctl.res(), cr, {**(cr.get("status") or {}),
                                                         "conditions": conds})
                    ctl.action("Orchestrator %s: UninstallError (waiting for %s)",
                               K.key_of(cr), names)
            return 2.0
        # 2. the release's own objects (helm does not wait for namespaces to terminate).
        for res, o in objs:
            if not o["metadata"].get("deletionTimestamp"):
                ctl.kube.delete(res, o["metadata"]["name"], o["metadata"].get("namespace"))
                ctl.action("Orchestrator %s: uninstall: deleted %s %s", K.key_of(cr), res.kind,
                           K.key_of(o))
        left = [(r, o) for r, o in objs if r.kind != "Namespace"
                and ctl.kube.get(r, o["metadata"]["name"], o["metadata"].get("namespace"))]
        if left:
            return 1.0
        ctl.kube.set_finalizers(ctl.res(), cr, [f for f in m.get("finalizers") or []
                                                if f != self.finalizer])
        ctl.action("Orchestrator %s: release uninstalled, finalizer removed", K.key_of(cr))
        return None


class ReleaseError(Exception):
    pass


# The one place to add a generation: CRD version -> handler.
GENERATIONS: dict[str, Generation] = {
    "v1alpha1": HelmGeneration("v1alpha1"),   # Orchestrator 1.2 / 1.3
    "v1alpha2": HelmGeneration("v1alpha2"),   # Orchestrator 1.4
    "v1alpha3": GoGeneration(),               # Orchestrator 1.5 / 1.6 (go_operator.py)
}


class OrchestratorController(Controller):
    name = "orchestrator-operator"
    CRD = "orchestrators.rhdh.redhat.com"

    def __init__(self, ctx: Ctx):
        super().__init__(ctx)
        self.crs = self.watch(K.ORCHESTRATORS, name="orchestrators.rhdh.redhat.com",
                              resolve=self._resolve)
        everything = lambda o: list(self.keys())  # noqa: E731
        self.watch(K.CRDS, everything)
        self.watch(K.NAMESPACES, everything, events={"ADDED", "DELETED"})
        self.watch(K.SECRETS, self._from_secret)
        self.watch(K.DEPLOYMENTS, lambda o: list(self.keys()) if (
            o["metadata"].get("labels") or {}).get("sim.orch.dev/package") == PACKAGE else [])
        for res in (K.SUBSCRIPTIONS, K.OPERATORGROUPS, K.NETWORKPOLICIES, K.CRONJOBS,
                    K.KNATIVESERVINGS,
                    K.KNATIVEEVENTINGS, K.SONATAFLOWPLATFORMS, K.SONATAFLOWCLUSTERPLATFORMS,
                    K.BACKSTAGES.with_version("v1alpha1")):
            self.watch(res, self._from_release_object, events={"DELETED"})
        self._res: Optional[K.Res] = None

    def _resolve(self) -> Optional[K.Res]:
        crd = self.ctx.hub.crd(self.CRD)
        if crd is None or not self.ctx.hub.crd_established(self.CRD):
            return None
        storage = [v["name"] for v in crd["spec"]["versions"] if v.get("storage")]
        self._res = K.ORCHESTRATORS.with_version(storage[0]) if storage else None
        return self._res

    def res(self) -> K.Res:
        return self._res or self._resolve() or K.ORCHESTRATORS

    def res_for(self, api_version: str, kind: str) -> Optional[K.Res]:
        group, _, version = api_version.rpartition("/")
        for r in (K.NAMESPACES, K.CONFIGMAPS, K.SECRETS, K.SUBSCRIPTIONS, K.OPERATORGROUPS,
                  K.CRONJOBS,
                  K.NETWORKPOLICIES, K.KNATIVESERVINGS, K.KNATIVEEVENTINGS,
                  K.SONATAFLOWPLATFORMS, K.SONATAFLOWCLUSTERPLATFORMS, APPPROJECTS,
                  K.BACKSTAGES):
            if r.kind == kind and r.group == group:
                return r.with_version(version)
        return None

    def _from_secret(self, secret: dict) -> list[str]:
        name = secret["metadata"]["name"]
        return [K.key_of(cr) for cr in self.crs.objects()
                if _g(cr.get("spec") or {}, "rhdhOperator.secretRef.name",
                      "backstage-backend-auth-secret") == name]

    def _from_release_object(self, obj: dict) -> list[str]:
        ann = obj["metadata"].get("annotations") or {}
        if ann.get(RELEASE_NAME_ANN) and ann.get(RELEASE_NS_ANN):
            return [f"{ann[RELEASE_NS_ANN]}/{ann[RELEASE_NAME_ANN]}"]
        return []

    def keys(self):
        return [K.key_of(o) for o in self.crs.objects()]

    def reconcile(self, key: str) -> Optional[float]:
        res = self.res()
        gen = GENERATIONS.get(res.version)
        if gen is None:
            return None
        op = self.ctx.operator_deployment(PACKAGE)
        if not K.deployment_available(op):
            return None  # operator gone or not ready: the CR is left as is (stuck if deleting)
        info = C.csv_info((op["metadata"].get("labels") or {}).get("sim.orch.dev/csv", ""))
        if info is None or info.generation != gen.csv_generation:
            return None
        ns, name = K.split_key(key)
        cr = self.kube.get(res, name, ns)
        if cr is None:
            return None
        cr.setdefault("apiVersion", res.api_version)
        cr.setdefault("kind", res.kind)
        return gen.reconcile(self, cr)

