"""The Helm-based Orchestrator operator's chart, rendered as pure functions (reference §2.2
NOTES, §3.1 values, §4 objects, §6.1 network policies, §7.2 CR-lifecycle CronJobs).  The
controller in orchestrator_operator.py feeds it what the chart's `lookup` calls would see."""
from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Optional

import yaml

from . import kube as K

RELEASE_NAME_ANN = "meta.helm.sh/release-name"
RELEASE_NS_ANN = "meta.helm.sh/release-namespace"
MANAGED_BY = "app.kubernetes.io/managed-by"
WORKFLOW_NS_LABEL = "rhdh.redhat.com/workflow-namespace"
ARGOCD_NS_LABEL = "rhdh.redhat.com/argocd-namespace"
HOOK_TIMEOUT = 60  # the chart's pre-delete hook Jobs use `kubectl delete --timeout=60s`


class RenderError(Exception):
    """The chart failed to render (helm `fail`); str() is the reason."""

    def __init__(self, template: str, message: str):
        super().__init__(message)
        self.template = template


@dataclass
class Item:
    """One object of the release."""
    res: K.Res
    obj: dict
    crd: Optional[str] = None          # applied only once this CRD is Established (CronJob role)
    adopt_check: bool = False          # helm's unmanaged-resource-exists: skip if user-owned


@dataclass
class Release:
    items: list[Item] = field(default_factory=list)
    notes: str = ""

    def manifest(self) -> str:
        """The release manifest: every rendered object, as helm stores it."""
        docs = [{"apiVersion": i.res.api_version, "kind": i.res.kind, **i.obj}
                for i in self.items]
        return yaml.safe_dump_all(docs, sort_keys=False)


# ---------------------------------------------------------------------------------------------
# Pure rendering (unit-tested)

def _g(d: dict, path: str, default=None):
    cur = d
    for p in path.split("."):
        if not isinstance(cur, dict) or p not in cur:
            return default
        cur = cur[p]
    return cur


@dataclass
class RenderInput:
    """What the chart's `lookup` calls see in the cluster."""
    secret_data: Optional[dict]              # data of the RHDH secret (None: missing)
    domain: Optional[str]                    # Ingress cluster spec.domain (None: missing)
    namespaces_with_label: dict              # label -> [namespace names]
    psql_statefulset_exists: bool = False
    unmanaged: set = field(default_factory=set)   # (kind, ns, name) existing and not ours
    api_versions: set = field(default_factory=set)  # "group/version/Kind" available


def workflow_namespace(spec: dict, inp: RenderInput) -> str:
    ns = _g(spec, "orchestrator.namespace") or ""
    if ns:
        return ns
    found = inp.namespaces_with_label.get(WORKFLOW_NS_LABEL, [])
    if len(found) > 1:
        raise RenderError("_helpers.tpl",
                          f"More than one namespace found with label {WORKFLOW_NS_LABEL}")
    if not found:
        raise RenderError("_helpers.tpl", f"No namespace found with label {WORKFLOW_NS_LABEL}")
    return found[0]


def render_notes(release: str, release_ns: str, spec: dict, inp: RenderInput,
                 wf_ns: str, managed: dict) -> str:
    """The chart's NOTES (reference §2.2): a component table, prerequisites and the wait list."""
    sl_ns = _g(spec, "serverlessOperator.subscription.namespace", "openshift-serverless")
    osl_ns = _g(spec, "sonataFlowOperator.subscription.namespace", "openshift-serverless-logic")
    rhdh_ns = _g(spec, "rhdhOperator.subscription.targetNamespace", "rhdh-operator")
    argo_ns = _g(spec, "argocd.namespace") or "orchestrator-gitops"
    osl = _g(spec, "sonataFlowOperator.enabled", True)
    rhdh = _g(spec, "rhdhOperator.enabled", True)
    yes = lambda b: "YES" if b else "NO"  # noqa: E731
    rows = [
        ("Backstage", rhdh, rhdh_ns),
        ("Postgres DB - Backstage", rhdh and inp.psql_statefulset_exists, rhdh_ns),
        ("Red Hat Serverless Operator", managed["serverless"], sl_ns),
        ("KnativeServing", managed["knativeserving"], "knative-serving"),
        ("KnativeEventing", managed["knativeeventing"], "knative-eventing"),
        ("SonataFlow Operator", osl, osl_ns),
        ("SonataFlowPlatform", osl, wf_ns),
        ("Data Index Service", osl, wf_ns),
        ("Job Service", osl, wf_ns),
        ("Tekton pipeline", _tekton_enabled(spec, inp), argo_ns),
        ("Tekton task", _tekton_enabled(spec, inp), argo_ns),
        ("ArgoCD project", _argocd_enabled(spec, inp), argo_ns),
    ]
    lines = [f"Helm Release {release} installed in namespace {release_ns}.", "",
             f"{'Components':<30}{'Installed':<12}Namespace", "=" * 68]
    lines += [f"{n:<30}{yes(b):<12}{ns}" for n, b, ns in rows]
    lines += ["", "=" * 68, "Prerequisites check:"]
    for api, shown in (("tekton.dev/v1/Task", "tekton.dev/v1beta1/Task"),
                       ("tekton.dev/v1/Pipeline", "tekton.dev/v1/Pipeline"),
                       ("argoproj.io/v1alpha1/AppProject", "argoproj.io/v1alpha1/AppProject")):
        state = "installed" if api in inp.api_versions else "not installed"
        lines.append(f"The required CRD {shown} is {state}.")
    lines += ["=" * 68, "", "Run the following commands to wait until the services are ready:"]
    waits = []
    t = "--timeout=5m"
    if managed["serverless"]:
        waits.append(f"oc wait -n {sl_ns} deploy/knative-openshift --for=condition=Available {t}")
    if managed["knativeeventing"]:
        waits.append(f"oc wait -n knative-eventing knativeeventing/knative-eventing "
                     f"--for=condition=Ready {t}")
    if managed["knativeserving"]:
        waits.append(f"oc wait -n knative-serving knativeserving/knative-serving "
                     f"--for=condition=Ready {t}")
    if osl:
        waits += [
            f"oc wait -n {osl_ns} deploy/logic-operator-rhel8-controller-manager "
            f"--for=condition=Available {t}",
            f"oc wait -n {wf_ns} sonataflowplatform/sonataflow-platform --for=condition=Succeed {t}",
            f"oc wait -n {wf_ns} deploy/sonataflow-platform-data-index-service "
            f"--for=condition=Available {t}",
            f"oc wait -n {wf_ns} deploy/sonataflow-platform-jobs-service "
            f"--for=condition=Available {t}",
        ]
    if rhdh and inp.psql_statefulset_exists:
        waits.append(f"oc wait -n {rhdh_ns} pod/backstage-psql-backstage-0 "
                     f"--for=condition=Ready {t}")
    if rhdh:
        waits += [f"oc wait -n {rhdh_ns} backstage backstage --for=condition=Deployed=True",
                  f"oc wait -n {rhdh_ns} deploy/backstage-backstage --for=condition=Available {t}"]
    if osl:
        waits.append(f"oc get networkpolicy -n {wf_ns}")
    lines += [f"  {w}" for w in waits]
    return "\n".join(lines) + "\n"


def _tekton_enabled(spec: dict, inp: RenderInput) -> bool:
    return bool(_g(spec, "tekton.enabled") and _argocd_enabled(spec, inp)
                and "tekton.dev/v1/Task" in inp.api_versions
                and "tekton.dev/v1/Pipeline" in inp.api_versions)


def _argocd_enabled(spec: dict, inp: RenderInput) -> bool:
    return bool(_g(spec, "argocd.enabled")
                and "argoproj.io/v1alpha1/AppProject" in inp.api_versions)


def render(release: str, release_ns: str, spec: dict, inp: RenderInput,
           crd_version: str) -> Release:
    """Render the release like the HOP chart (reference §3.1, §4, §6.1).  Raises RenderError."""
    src_key = "sourceName" if crd_version == "v1alpha1" else "source"
    osl = _g(spec, "sonataFlowOperator.enabled", True)
    sl = _g(spec, "serverlessOperator.enabled", True)
    rhdh = _g(spec, "rhdhOperator.enabled", True)
    rhdh_ns = _g(spec, "rhdhOperator.subscription.targetNamespace", "rhdh-operator")
    wf_ns = workflow_namespace(spec, inp)
    if _g(spec, "argocd.enabled") and not _g(spec, "argocd.namespace"):
        found = inp.namespaces_with_label.get(ARGOCD_NS_LABEL, [])
        if len(found) != 1:
            raise RenderError("_helpers.tpl", ("More than one" if found else "No") +
                              f" namespace found with label {ARGOCD_NS_LABEL}")
    if rhdh:
        secret = _g(spec, "rhdhOperator.secretRef.name", "backstage-backend-auth-secret")
        key = _g(spec, "rhdhOperator.secretRef.backstage.backendSecret", "BACKEND_SECRET")
        if inp.secret_data is None:
            raise RenderError("rhdh-operator.yaml",
                              f"Secret {secret} not found in namespace {rhdh_ns}: it must exist "
                              f"and contain the key {key}")
        if key not in inp.secret_data:
            raise RenderError("rhdh-operator.yaml",
                              f"Secret {secret} in namespace {rhdh_ns} has no key {key}")
    if rhdh or osl:
        if inp.domain is None:
            raise RenderError("_helpers.tpl", 'ingresses.config.openshift.io "cluster" not found: '
                                              "cannot compute the cluster domain")
    np_rhdh_ns = rhdh_ns if rhdh else (_g(spec, "networkPolicy.rhdhNamespace") or "")
    if osl and not np_rhdh_ns:
        raise RenderError("network-policies.yaml", "No namespace for existing RHDH instance defined")

    items: list[Item] = []
    managed = {"serverless": False, "knativeserving": False, "knativeeventing": False}

    def ns_item(name: str) -> None:
        if ("Namespace", None, name) not in inp.unmanaged:
            items.append(Item(K.NAMESPACES, {"metadata": {"name": name}}))

    def sub_item(path: str, approval_hardcoded: bool) -> dict:
        s = _g(spec, f"{path}.subscription", {}) or {}
        sub = {"metadata": {"name": s.get("name"), "namespace": s.get("namespace")},
               "spec": {"channel": s.get("channel"), "name": s.get("name"),
                        "source": s.get(src_key) or s.get("source") or "redhat-operators",
                        "sourceNamespace": "openshift-marketplace",
                        "installPlanApproval": "Automatic" if approval_hardcoded
                        else s.get("installPlanApproval", "Automatic")}}
        if s.get("startingCSV"):
            sub["spec"]["startingCSV"] = s["startingCSV"]
        return sub

    if sl:
        s_ns = _g(spec, "serverlessOperator.subscription.namespace", "openshift-serverless")
        s_name = _g(spec, "serverlessOperator.subscription.name", "serverless-operator")
        if ("Subscription", s_ns, s_name) not in inp.unmanaged:
            managed["serverless"] = True
            ns_item(s_ns)
            items.append(Item(C_OG, {"metadata": {"name": "serverless-operator-group",
                                                  "namespace": s_ns}, "spec": {}}))
            items.append(Item(K.SUBSCRIPTIONS, sub_item("serverlessOperator", True)))
        for ns in ("knative-serving", "knative-eventing"):
            ns_item(ns)
        if ("KnativeServing", "knative-serving", "knative-serving") not in inp.unmanaged:
            managed["knativeserving"] = True
            items.append(Item(K.KNATIVESERVINGS, {
                "metadata": {"name": "knative-serving", "namespace": "knative-serving"},
                "spec": {}}, crd="knativeservings.operator.knative.dev"))
        if ("KnativeEventing", "knative-eventing", "knative-eventing") not in inp.unmanaged:
            managed["knativeeventing"] = True
            items.append(Item(K.KNATIVEEVENTINGS, {
                "metadata": {"name": "knative-eventing", "namespace": "knative-eventing"},
                "spec": {}}, crd="knativeeventings.operator.knative.dev"))
    if osl:
        o_ns = _g(spec, "sonataFlowOperator.subscription.namespace", "openshift-serverless-logic")
        ns_item(o_ns)
        items.append(Item(C_OG, {"metadata": {"name": o_ns, "namespace": o_ns}, "spec": {}}))
        items.append(Item(K.SUBSCRIPTIONS, sub_item("sonataFlowOperator", False)))
        items.append(Item(K.SONATAFLOWCLUSTERPLATFORMS, {
            "metadata": {"name": "cluster-platform"},
            "spec": {"platformRef": {"name": "sonataflow-platform", "namespace": wf_ns}}},
            crd="sonataflowclusterplatforms.sonataflow.org"))
        items.append(Item(K.SONATAFLOWPLATFORMS, _platform(spec, wf_ns, crd_version),
                          crd="sonataflowplatforms.sonataflow.org"))
        items += _network_policies(spec, wf_ns, np_rhdh_ns, crd_version)
    if rhdh:
        r_ns = _g(spec, "rhdhOperator.subscription.namespace", "rhdh-operator")
        items.append(Item(C_OG, {"metadata": {"name": "rhdh-operator-group", "namespace": r_ns},
                                 "spec": {}}))
        items.append(Item(K.SUBSCRIPTIONS, sub_item("rhdhOperator", True)))
        items += _rhdh_config(spec, rhdh_ns, wf_ns, inp.domain or "")
        if ("Backstage", rhdh_ns, "backstage") not in inp.unmanaged:
            items.append(Item(K.BACKSTAGES.with_version("v1alpha1"), _backstage(spec, rhdh_ns),
                              crd="backstages.rhdh.redhat.com"))
    if _argocd_enabled(spec, inp):
        argo_ns = _g(spec, "argocd.namespace") or inp.namespaces_with_label[ARGOCD_NS_LABEL][0]
        items.append(Item(APPPROJECTS, {"metadata": {"name": "orchestrator-gitops",
                                                     "namespace": argo_ns},
                                        "spec": {"destinations": [{"namespace": "*",
                                                                   "server": "*"}],
                                                 "sourceRepos": ["*"]}},
                          crd="appprojects.argoproj.io"))
    notes = render_notes(release, release_ns, spec, inp, wf_ns, managed)
    items += [Item(K.CRONJOBS, _lifecycle_cronjob(release, release_ns, it))
              for it in items if it.crd and it.res.kind != "AppProject"]
    for it in items:
        m = it.obj["metadata"]
        m.setdefault("labels", {})[MANAGED_BY] = "Helm"
        m.setdefault("annotations", {}).update({RELEASE_NAME_ANN: release,
                                                RELEASE_NS_ANN: release_ns})
    return Release(items, notes)


C_OG = K.OPERATORGROUPS
RECONCILES_LABEL = "orchestrator.rhdh.redhat.com/reconciles"


def cronjob_name(release: str, kind: str) -> str:
    """`<release>-<kind>-reconcile`, keeping the last 52 characters (reference §7.2)."""
    return f"{release}-{kind.lower()}-reconcile"[-52:].lstrip("-")


def _lifecycle_cronjob(release: str, release_ns: str, item: "Item") -> dict:
    """The chart's CR-lifecycle CronJob for a CR kind whose CRD appears only after OLM installs
    the operator.  Created suspended: the simulator applies the CR itself once the CRD exists
    (what the CronJob's job does every minute), so no Job pods are spent on it."""
    manifest = base64.b64encode(yaml.safe_dump(
        {"apiVersion": item.res.api_version, "kind": item.res.kind, **item.obj}).encode()).decode()
    return {"metadata": {"name": cronjob_name(release, item.res.kind), "namespace": release_ns,
                         "labels": {RECONCILES_LABEL: f"{item.res.plural}.{item.res.group}"}},
            "spec": {"schedule": "* * * * *", "suspend": True, "concurrencyPolicy": "Replace",
                     "successfulJobsHistoryLimit": 0,
                     "jobTemplate": {"spec": {"template": {"spec": {
                         "restartPolicy": "OnFailure",
                         "serviceAccountName": f"{release}-{item.res.kind.lower()}",
                         "containers": [{"name": "reconcile",
                                         "image": "registry.redhat.io/openshift4/ose-cli:latest",
                                         "env": [{"name": "MANIFEST", "value": manifest}],
                                         "command": ["/bin/sh", "-c",
                                                     "echo $MANIFEST | base64 -d | "
                                                     "kubectl apply -f -"]}]}}}}}}
APPPROJECTS = K.Res("argoproj.io", "v1alpha1", "appprojects", "AppProject")


def _platform(spec: dict, wf_ns: str, crd_version: str) -> dict:
    res = _g(spec, "orchestrator.sonataflowPlatform.resources", {}) or {}
    pg = _g(spec, "postgres", {}) or {}
    auth = pg.get("authSecret") or {}
    sfp = {"metadata": {"name": "sonataflow-platform", "namespace": wf_ns},
           "spec": {"build": {"template": {"resources": res}},
                    "persistence": {"postgresql": {
                        "secretRef": {"name": auth.get("name", "sonataflow-psql-postgresql"),
                                      "userKey": auth.get("userKey", "postgres-username"),
                                      "passwordKey": auth.get("passwordKey",
                                                              "postgres-password")},
                        "serviceRef": {"name": pg.get("serviceName",
                                                      "sonataflow-psql-postgresql"),
                                       "namespace": pg.get("serviceNamespace",
                                                           "sonataflow-infra"),
                                       "databaseName": pg.get("database", "sonataflow")}}},
                    "services": {"dataIndex": {"enabled": True}, "jobService": {"enabled": True}}}}
    for key, svc in (("dataIndexImage", "dataIndex"), ("jobServiceImage", "jobService")):
        img = _g(spec, f"orchestrator.sonataflowPlatform.{key}")
        if img:
            sfp["spec"]["services"][svc]["podTemplate"] = {"container": {"image": img}}
    if crd_version != "v1alpha1":
        if _g(spec, "orchestrator.sonataflowPlatform.monitoring.enabled", True):
            sfp["spec"]["monitoring"] = {"enabled": True}
        broker = _g(spec, "orchestrator.sonataflowPlatform.eventing.broker", {}) or {}
        if broker.get("name") and broker.get("namespace"):
            sfp["spec"]["eventing"] = {"broker": {"ref": {
                "apiVersion": "eventing.knative.dev/v1", "kind": "Broker",
                "name": broker["name"], "namespace": broker["namespace"]}}}
    return sfp


def _ns_sel(name: str) -> dict:
    return {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": name}}}


def _network_policies(spec: dict, wf_ns: str, rhdh_ns: str, crd_version: str) -> list[Item]:
    nps = [
        {"metadata": {"name": "allow-rhdh-to-sonataflow-and-workflows", "namespace": wf_ns},
         "spec": {"podSelector": {}, "ingress": [{"from": [
             _ns_sel(rhdh_ns),
             {"namespaceSelector": {"matchLabels": {WORKFLOW_NS_LABEL: ""}}},
             _ns_sel("knative-eventing"), _ns_sel("knative-serving")]}]}},
        {"metadata": {"name": "allow-intra-namespace", "namespace": wf_ns},
         "spec": {"podSelector": {}, "policyTypes": ["Ingress"],
                  "ingress": [{"from": [{"podSelector": {}}]}]}},
    ]
    if crd_version != "v1alpha1" and _g(spec, "orchestrator.sonataflowPlatform.monitoring.enabled",
                                        True):
        nps.append({"metadata": {"name": "allow-monitoring-to-sonataflow-and-workflows",
                                 "namespace": wf_ns},
                    "spec": {"podSelector": {}, "ingress": [{"from": [
                        _ns_sel("openshift-user-workload-monitoring")]}]}})
    return [Item(K.NETWORKPOLICIES, np) for np in nps]


def _rhdh_config(spec: dict, rhdh_ns: str, wf_ns: str, domain: str) -> list[Item]:
    base_url = f"https://backstage-backstage-{rhdh_ns}.{domain}"
    registry = _g(spec, "rhdhPlugins.npmRegistry", "https://npm.registry.redhat.com")
    app_config = {"app": {"baseUrl": base_url}, "backend": {"baseUrl": base_url,
                  "auth": {"keys": [{"secret": "${BACKEND_SECRET}"}]}},
                  "orchestrator": {"dataIndexService": {
                      "url": f"http://sonataflow-platform-data-index-service.{wf_ns}"}}}
    plugins = {"plugins": [{"package": f"{_g(spec, 'rhdhPlugins.scope', '@redhat')}/"
                                       f"{_g(spec, f'rhdhPlugins.{p}.package', '')}",
                            "integrity": _g(spec, f"rhdhPlugins.{p}.integrity", ""),
                            "disabled": False}
                           for p in ("orchestrator", "orchestratorBackend")]}
    cms = {"app-config-rhdh": ("app-config-rhdh.yaml", app_config),
           "app-config-rhdh-auth": ("app-config-auth.gh.yaml", {"auth": {
               "environment": "development",
               "providers": {"guest": {}} if _g(spec, "rhdhOperator.enableGuestProvider")
               else {}}}),
           "app-config-rhdh-catalog": ("app-config-catalog.yaml", {"catalog": {"locations": [{
               "type": "url", "target": "https://github.com/rhdhorchestrator/"
               "workflow-software-templates/blob/"
               f"{_g(spec, 'rhdhOperator.catalogBranch', 'main')}/entities/"
               "workflow-resources.yaml"}]}}),
           "dynamic-plugins-rhdh": ("dynamic-plugins.yaml", plugins)}
    items = [Item(K.CONFIGMAPS, {"metadata": {"name": n, "namespace": rhdh_ns},
                                 "data": {k: yaml.safe_dump(v)}}) for n, (k, v) in cms.items()]
    items.append(Item(K.SECRETS, {"metadata": {"name": "dynamic-plugins-npmrc",
                                               "namespace": rhdh_ns},
                                  "type": "Opaque",
                                  "data": {".npmrc": base64.b64encode(
                                      f"registry={registry}\n".encode()).decode()}}))
    return items


def _backstage(spec: dict, rhdh_ns: str) -> dict:
    """The chart's Backstage CR: its app-config ConfigMaps, dynamic plugins and backend secret only; the
    RHDH operator's defaults give the local database, the Route and the npmrc secret volume (the real
    operator refuses an extraFiles secret without key or mountPath, which this CR once had)."""
    secret = _g(spec, "rhdhOperator.secretRef.name", "backstage-backend-auth-secret")
    return {"metadata": {"name": "backstage", "namespace": rhdh_ns},
            "spec": {"application": {
                "appConfig": {"configMaps": [{"name": "app-config-rhdh"},
                                             {"name": "app-config-rhdh-auth"},
                                             {"name": "app-config-rhdh-catalog"}]},
                "dynamicPluginsConfigMapName": "dynamic-plugins-rhdh",
                "extraEnvs": {"secrets": [{"name": secret}]},
                "replicas": 1}}}


