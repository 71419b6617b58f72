"""The install steps of the RHDH-native family (Orchestrator 1.7/1.8, generations/rhdh_native.py).

- `KnativeStep`: KnativeServing/KnativeEventing once the Serverless operator's CRDs are Established.
- `RhdhNativeConfigStep`: the app-config (static token for the orchestrator subject, the sign-in) and the
  dynamic-plugins ConfigMap (the four orchestrator plugins at the generation's version, the backend with
  `dependencies: [{ref: sonataflow}]`), in the Backstage namespace.
- `BackstageCRStep`: orch's Backstage CR (v1alpha3 / v1alpha4) referencing them and the auth Secret; with
  --existing-rhdh the user's Backstage CR is changed in exactly the fields orch needs (server-side apply of
  only those fields under orch's field manager: everything else is kept).
"""

from __future__ import annotations

import yaml

from orchestrator_cli.core.errors import InputError, StepFailed
from orchestrator_cli.core.ownership import MANAGED_BY
from orchestrator_cli.generations.rhdh_native import (
    APP_CONFIG,
    AUTH_SECRET,
    BACKSTAGE,
    DYNAMIC_PLUGINS,
    PLUGIN_PACKAGES,
    VERSION_ANNOTATION,
)
from orchestrator_cli.health.waiter import WaitItem
from orchestrator_cli.install.steps.base import Change, Step, StepContext, plan_object
from orchestrator_cli.install.steps.waits import run_waits
from orchestrator_cli.kube.client import NotServed, Ref

CRD_API = "apiextensions.k8s.io/v1"
BACKSTAGE_VERSIONS = ("v1alpha4", "v1alpha3", "v1alpha2", "v1alpha1")


def knative_objects() -> list[dict]:
    return [{"apiVersion": "operator.knative.dev/v1beta1", "kind": kind,
             "metadata": {"name": name, "namespace": name, "labels": dict(MANAGED_BY)}, "spec": {}}
            for kind, name in (("KnativeEventing", "knative-eventing"), ("KnativeServing", "knative-serving"))]


def app_config(config) -> dict:
    doc = {"backend": {"auth": {"externalAccess": [
        {"type": "static", "options": {"token": "${BACKEND_SECRET}", "subject": "orchestrator"}}]}}}
    if config.guest_provider:
        doc["auth"] = {"providers": {"guest": {"dangerouslyAllowOutsideDevelopment": True}}}
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": APP_CONFIG, "namespace": config.rhdh_namespace, "labels": dict(MANAGED_BY)},
            "data": {"app-config.yaml": yaml.safe_dump(doc, sort_keys=False)}}


def dynamic_plugins(config) -> dict:
    version = config.generation.plugin_version
    plugins = []
    for package in PLUGIN_PACKAGES:
        entry = {"package": f"@redhat/{package}@{version}", "disabled": False}
        if package.endswith("-backend-dynamic"):
            entry["dependencies"] = [{"ref": "sonataflow"}]
            entry["pluginConfig"] = {"orchestrator": {"dataIndexService": {
                "url": f"http://sonataflow-platform-data-index-service.{config.rhdh_namespace}"}}}
        plugins.append(entry)
    doc = {"includes": ["dynamic-plugins.default.yaml"], "plugins": plugins}
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": DYNAMIC_PLUGINS, "namespace": config.rhdh_namespace, "labels": dict(MANAGED_BY)},
            "data": {"dynamic-plugins.yaml": yaml.safe_dump(doc, sort_keys=False)}}


def backstage_cr(config, name: str = BACKSTAGE, ours: bool = True) -> dict:
    """orch's Backstage CR, or (ours=False) the applied configuration of the fields orch sets on the user's."""
    gen = config.generation
    md: dict = {"name": name, "namespace": config.rhdh_namespace, "annotations": {VERSION_ANNOTATION: gen.version}}
    if ours:
        md["labels"] = dict(MANAGED_BY)
    return {"apiVersion": gen.cr_api_version, "kind": "Backstage", "metadata": md,
            "spec": {"application": {"appConfig": {"configMaps": [{"name": APP_CONFIG}]},
                                     "dynamicPluginsConfigMapName": DYNAMIC_PLUGINS,
                                     "extraEnvs": {"secrets": [{"name": AUTH_SECRET}]}}}}


def merged_into_existing(desired: dict, live: dict) -> dict:
    """orch's fields for a user's Backstage CR, keeping their list entries (those lists are atomic for server-side
    apply: applying orch's alone would drop the user's) (pure). A dynamic-plugins ConfigMap of their own is not
    replaced: orch refuses, naming what to add."""
    app = (live.get("spec") or {}).get("application") or {}
    theirs = app.get("dynamicPluginsConfigMapName")
    if theirs and theirs != DYNAMIC_PLUGINS:
        raise StepFailed(f"--existing-rhdh: Backstage {live['metadata']['name']} already uses dynamic-plugins "
                         f"ConfigMap {theirs}; add the orchestrator plugins of ConfigMap {DYNAMIC_PLUGINS} to it (or "
                         "remove it from the CR) and re-run")
    want = desired["spec"]["application"]
    for path, key in ((("appConfig", "configMaps"), "name"), (("extraEnvs", "secrets"), "name")):
        current = list((app.get(path[0]) or {}).get(path[1]) or [])
        names = {e.get(key) for e in current}
        current += [e for e in want[path[0]][path[1]] if e[key] not in names]
        want[path[0]][path[1]] = current
    return desired


def existing_backstages(kube, namespace: str) -> list[dict]:
    """Backstage CRs in the namespace, each with the apiVersion it was read in (the newest served)."""
    for version in BACKSTAGE_VERSIONS:
        api = f"rhdh.redhat.com/{version}"
        try:
            items, _ = kube.list(api, "Backstage", namespace)
        except NotServed:
            continue
        return [{**i, "apiVersion": api, "kind": "Backstage"} for i in items]
    return []


class KnativeStep(Step):
    id = "knative"
    title = "KnativeServing and KnativeEventing"

    def plan(self, ctx: StepContext) -> list[Change]:
        return [plan_object(ctx.kube, obj) for obj in knative_objects()]

    def apply(self, ctx: StepContext, changes: list[Change]) -> None:
        if not any(c.writes for c in changes):
            return
        crds = [WaitItem("crd", Ref(CRD_API, "CustomResourceDefinition", f"{plural}.operator.knative.dev"), "crd",
                         ctx.config.timeout_for("crd")) for plural in ("knativeservings", "knativeeventings")]
        run_waits(ctx, crds, "Knative CRDs")
        super().apply(ctx, changes)


class RhdhNativeConfigStep(Step):
    id = "rhdh-native-config"
    title = "RHDH configuration (app-config, orchestrator plugins)"

    def plan(self, ctx: StepContext) -> list[Change]:
        return [plan_object(ctx.kube, app_config(ctx.config)), plan_object(ctx.kube, dynamic_plugins(ctx.config))]


class BackstageCRStep(Step):
    id = "backstage-cr"
    title = "Backstage custom resource"

    def plan(self, ctx: StepContext) -> list[Change]:
        c = ctx.config
        if not c.existing_rhdh:
            return [plan_object(ctx.kube, backstage_cr(c))]
        found = [b for b in existing_backstages(ctx.kube, c.rhdh_namespace)
                 if b["metadata"].get("labels", {}).get("app.kubernetes.io/managed-by") != "orch"]
        if len(found) != 1:
            raise InputError(f"--existing-rhdh {c.rhdh_namespace}: expected one Backstage CR there, found "
                             f"{len(found)}")
        live = found[0]
        desired = merged_into_existing(backstage_cr(c, live["metadata"]["name"], ours=False), live)
        served = [v.get("name") for v in ((ctx.kube.get(Ref(CRD_API, "CustomResourceDefinition",
                                                            "backstages.rhdh.redhat.com")) or {}).get("spec") or {})
                  .get("versions") or [] if v.get("served")]
        if c.generation.cr_api_version.rpartition("/")[2] not in served:
            raise InputError(f"--existing-rhdh {c.rhdh_namespace}: Backstage {live['metadata']['name']} is served as "
                             f"{', '.join(served)}, not {c.generation.cr_api_version}: it belongs to another RHDH "
                             f"generation than Orchestrator {c.generation.version} (install the matching --version)")
        return [plan_object(ctx.kube, desired, "existing Backstage CR: only the orchestrator's fields")]

    def apply(self, ctx: StepContext, changes: list[Change]) -> None:
        if not any(c.writes for c in changes):
            return
        crd = Ref(CRD_API, "CustomResourceDefinition", "backstages.rhdh.redhat.com")
        run_waits(ctx, [WaitItem("crd", crd, "crd", ctx.config.timeout_for("crd"))], "Backstage CRD")
        super().apply(ctx, changes)
