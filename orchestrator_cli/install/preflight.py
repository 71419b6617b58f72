"""Pre-flight checks (`orch check --pre`, and the first thing `orch install` does). Read-only."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from orchestrator_cli.health.checks import Check, CheckFailed, Skip
from orchestrator_cli.health.readiness import Ready
from orchestrator_cli.health.readiness import csv as csv_ready
from orchestrator_cli.install.permissions import missing_permissions, required_permissions
from orchestrator_cli.kube.client import NotServed, Ref

OLM_KINDS = {"Subscription", "InstallPlan", "ClusterServiceVersion"}


@dataclass
class PreflightContext:
    kube: Any
    config: Any
    facts: dict = field(default_factory=dict)


def parse_version(text: str) -> tuple[int, int] | None:
    m = re.match(r"^v?(\d+)\.(\d+)", text or "")
    return (int(m.group(1)), int(m.group(2))) if m else None


def check_api(ctx: PreflightContext) -> str:
    v = ctx.facts.get("server_version") or ctx.kube.server_version()
    return f"{ctx.kube.server} (Kubernetes {v.get('gitVersion', '?')})"


def check_permissions(ctx: PreflightContext) -> str:
    required = required_permissions(ctx.config)
    missing = missing_permissions(ctx.kube, required)
    if missing:
        raise CheckFailed(f"{len(missing)} of {len(required)} required permissions are missing",
                          [str(p) for p in missing])
    return f"all {len(required)} required permissions granted"


def check_openshift(ctx: PreflightContext) -> str:
    try:
        cv = ctx.kube.get(Ref("config.openshift.io/v1", "ClusterVersion", "version"))
    except NotServed:
        cv = None
    if cv is None:
        raise CheckFailed("ClusterVersion 'version' not found: this does not look like OpenShift")
    status = cv.get("status") or {}
    text = (status.get("desired") or {}).get("version") or next(
        (h.get("version") for h in status.get("history") or [] if h.get("state") == "Completed"), "")
    found = parse_version(text)
    minimum = ctx.config.generation.min_openshift
    if found is None:
        raise CheckFailed("the OpenShift version is not reported in ClusterVersion status")
    if found < minimum:
        raise CheckFailed(f"OpenShift {text} is older than {minimum[0]}.{minimum[1]}, the minimum for "
                          f"Orchestrator {ctx.config.version}")
    return f"OpenShift {text}"


def check_olm(ctx: PreflightContext) -> str:
    served = ctx.kube.served_kinds("operators.coreos.com/v1alpha1")
    missing = sorted(OLM_KINDS - served)
    if missing:
        raise CheckFailed(f"OLM APIs missing: {', '.join(missing)}")
    return "Subscription, InstallPlan, ClusterServiceVersion served"


def check_catalog(ctx: PreflightContext) -> str:
    op = ctx.config.generation.operator
    pm = ctx.kube.get(Ref("packages.operators.coreos.com/v1", "PackageManifest", op.package, op.source_namespace))
    if pm is None:
        raise CheckFailed(f"package {op.package} not found in the catalogs of {op.source_namespace}")
    channels = {c.get("name"): c for c in (pm.get("status") or {}).get("channels") or []}
    if channels and op.channel not in channels:
        raise CheckFailed(f"package {op.package} has no channel {op.channel} (has {', '.join(sorted(channels))})")
    return f"{op.package} available (channel {op.channel})"


def check_storage(ctx: PreflightContext) -> str:
    if ctx.config.postgres_external:
        raise Skip("external PostgreSQL: no volume needed")
    items, _ = ctx.kube.list("storage.k8s.io/v1", "StorageClass")
    default = [s["metadata"]["name"] for s in items
               if ((s["metadata"].get("annotations") or {}).get("storageclass.kubernetes.io/is-default-class") == "true")]
    if not default:
        raise CheckFailed("no default StorageClass: the PostgreSQL volume (2Gi) would never bind")
    return f"default StorageClass {default[0]}"


def check_arch(ctx: PreflightContext) -> str:
    nodes, _ = ctx.kube.list("v1", "Node")
    arches = {}
    for n in nodes:
        arch = ((n["metadata"].get("labels") or {}).get("kubernetes.io/arch")
                or ((n.get("status") or {}).get("nodeInfo") or {}).get("architecture") or "unknown")
        arches[arch] = arches.get(arch, 0) + 1
    if not arches.get("amd64"):
        raise CheckFailed(f"no amd64 node (found {arches or 'no nodes'}); the operators' images are amd64 only")
    others = {a: n for a, n in arches.items() if a != "amd64"}
    if others:
        return f"{arches['amd64']} amd64 node(s); other architectures {others} cannot run the operators"
    return f"{arches['amd64']} amd64 node(s)"


def check_existing_install(ctx: PreflightContext) -> str:
    gen = ctx.config.generation
    op = gen.operator
    from orchestrator_cli.core.errors import OrchError
    from orchestrator_cli.generations import upgrade_path
    from orchestrator_cli.generations.detect import detect_optional

    try:
        inst = detect_optional(ctx.kube)
    except OrchError:
        inst = None
    if inst is not None and inst.version != gen.version:
        raise CheckFailed(f"Orchestrator {inst.version} is installed ({inst.cr_ref}); orch install does not switch "
                          f"generations (no upgrade or downgrade): {upgrade_path(inst.version, gen.version)}")
    sub = ctx.kube.get(Ref("operators.coreos.com/v1alpha1", "Subscription", op.subscription, op.namespace))
    if sub is None:
        return "no existing Orchestrator install"
    installed = (sub.get("status") or {}).get("installedCSV")
    starting = (sub.get("spec") or {}).get("startingCSV")
    found = installed or starting
    if found and found != op.starting_csv:
        from orchestrator_cli.generations import upgrade_path

        version = ".".join(found.rsplit(".v", 1)[-1].split(".")[:2])
        what = "is installed" if installed else f"is pinned by Subscription {op.subscription}"
        raise CheckFailed(f"Orchestrator {found} {what}; this install pins {op.starting_csv}. orch install does not "
                          f"switch generations (no upgrade or downgrade): {upgrade_path(version, gen.version)}")
    csv = ctx.kube.get(Ref("operators.coreos.com/v1alpha1", "ClusterServiceVersion", op.starting_csv, op.namespace))
    state = "installed" if isinstance(csv_ready(csv), Ready) else "in progress"
    return f"existing install of {op.starting_csv} detected ({state}); orch will complete/reconcile it"


def check_namespaces(ctx: PreflightContext) -> str:
    c = ctx.config
    terminating = []
    for ns in c.namespaces_to_ensure():
        live = ctx.kube.get(Ref("v1", "Namespace", ns))
        if live and (live.get("status") or {}).get("phase") == "Terminating":
            terminating.append(ns)
    if terminating:
        raise CheckFailed(f"namespace(s) {', '.join(terminating)} are being deleted; wait until they are gone")
    return "target namespaces usable"


def check_existing_rhdh(ctx: PreflightContext) -> str:
    c = ctx.config
    if not c.existing_rhdh:
        raise Skip("a new RHDH is installed")
    if ctx.kube.get(Ref("v1", "Namespace", c.rhdh_namespace)) is None:
        raise CheckFailed(f"--existing-rhdh: namespace {c.rhdh_namespace} does not exist")
    for version in ("v1alpha2", "v1alpha1"):
        try:
            items, _ = ctx.kube.list(f"rhdh.redhat.com/{version}", "Backstage", c.rhdh_namespace)
            break
        except NotServed:
            items = []
    if not c.generation.cr_template:  # 1.7+: orch configures the user's Backstage CR at the generation's version
        crd = ctx.kube.get(Ref("apiextensions.k8s.io/v1", "CustomResourceDefinition", "backstages.rhdh.redhat.com"))
        served = [v.get("name") for v in ((crd or {}).get("spec") or {}).get("versions") or [] if v.get("served")]
        want = c.generation.cr_api_version.rpartition("/")[2]
        if want not in served:
            raise CheckFailed(f"--existing-rhdh {c.rhdh_namespace}: the Backstage CRD serves "
                              f"{', '.join(served) or 'nothing'}, not {want}: that RHDH belongs to another "
                              f"generation than Orchestrator {c.version}")
        if len(items) != 1:
            raise CheckFailed(f"--existing-rhdh {c.rhdh_namespace}: expected one Backstage CR, found {len(items)}")
        return f"Backstage {items[0]['metadata']['name']} in {c.rhdh_namespace} (orch sets only the orchestrator's fields)"
    if not items:
        return f"namespace {c.rhdh_namespace} exists but has no Backstage CR (orch will not create one)"
    return f"Backstage {', '.join(i['metadata']['name'] for i in items)} in {c.rhdh_namespace} (left unchanged)"


def argocd_instances(kube, namespace: str) -> list[str]:
    for version in ("v1beta1", "v1alpha1"):
        try:
            items, _ = kube.list(f"argoproj.io/{version}", "ArgoCD", namespace)
            return sorted(i["metadata"]["name"] for i in items)
        except NotServed:
            continue
    return []


def check_gitops(ctx: PreflightContext) -> str:
    c = ctx.config
    if not c.gitops:
        raise Skip("GitOps not requested")
    if "AppProject" not in ctx.kube.served_kinds("argoproj.io/v1alpha1"):
        raise CheckFailed("the ArgoCD AppProject API (argoproj.io/v1alpha1) is not served: install OpenShift GitOps")
    instances = argocd_instances(ctx.kube, c.argocd_namespace)
    if not instances:
        raise CheckFailed(f"no ArgoCD instance in namespace {c.argocd_namespace}")
    if c.argocd_instance and c.argocd_instance not in instances:
        raise CheckFailed(f"ArgoCD instance {c.argocd_instance} not found in {c.argocd_namespace} "
                          f"(found: {', '.join(instances)})")
    return f"ArgoCD instance {c.argocd_instance or instances[0]} in {c.argocd_namespace}"


def check_tekton(ctx: PreflightContext) -> str:
    c = ctx.config
    if not c.tekton:
        raise Skip("Tekton not requested")
    served = ctx.kube.served_kinds("tekton.dev/v1")
    missing = sorted({"Task", "Pipeline"} - served)
    if missing:
        raise CheckFailed(f"Tekton API tekton.dev/v1 {', '.join(missing)} not served: install OpenShift Pipelines")
    return "tekton.dev/v1 Task and Pipeline served"


def check_tekton_version(ctx: PreflightContext) -> str:
    c = ctx.config
    if not c.tekton:
        raise Skip("Tekton not requested")
    rule = c.generation.tekton_rule
    if rule == "clustertask":
        if "ClusterTask" not in ctx.kube.served_kinds("tekton.dev/v1beta1"):
            raise CheckFailed(f"Orchestrator {c.version} uses the ClusterTask 'buildah': OpenShift Pipelines "
                              "<= 1.16 is required (ClusterTask API not served)")
        return "ClusterTask API served (OpenShift Pipelines <= 1.16)"
    if rule == "cluster-resolver":
        if "ClusterTask" in ctx.kube.served_kinds("tekton.dev/v1beta1"):
            raise CheckFailed(f"Orchestrator {c.version} uses the cluster resolver (buildah Task in "
                              "openshift-pipelines): OpenShift Pipelines >= 1.17 is required (ClusterTask is "
                              "still served, so this is <= 1.16)")
        return "no ClusterTask API: OpenShift Pipelines >= 1.17 (cluster resolver)"
    sub = ctx.kube.get(Ref("operators.coreos.com/v1alpha1", "Subscription", "openshift-pipelines-operator-rh",
                           "openshift-operators"))
    if sub is None:
        raise CheckFailed(f"Orchestrator {c.version} reads Subscription openshift-pipelines-operator-rh in "
                          "openshift-operators to pick the buildah task; it was not found")
    return f"OpenShift Pipelines {(sub.get('status') or {}).get('installedCSV', '?')}"


def check_postgres_external(ctx: PreflightContext) -> str:
    c = ctx.config
    if not c.postgres_external:
        raise Skip("the reference PostgreSQL is deployed")
    secret = ctx.kube.get(Ref("v1", "Secret", c.postgres_secret, c.workflow_namespace))
    if secret is None:
        raise CheckFailed(f"Secret {c.postgres_secret} not found in {c.workflow_namespace}")
    missing = [k for k in ("postgres-username", "postgres-password") if not (secret.get("data") or {}).get(k)]
    if missing:
        raise CheckFailed(f"Secret {c.postgres_secret} lacks key(s) {', '.join(missing)}")
    if ctx.kube.get(Ref("v1", "Service", c.postgres_service, c.postgres_namespace)) is None:
        raise CheckFailed(f"Service {c.postgres_service} not found in {c.postgres_namespace}")
    return f"Service {c.postgres_service} in {c.postgres_namespace} and its Secret found"


PREFLIGHT_CHECKS: tuple[Check, ...] = (
    Check("kubernetes-api", "API server reachable, credentials valid", "check --kubeconfig/--context", check_api),
    Check("permissions", "user may do everything install does",
          "ask a cluster admin for the listed permissions (or run as cluster-admin)", check_permissions),
    Check("openshift-version", "OpenShift detected, version supported",
          "orch installs on OpenShift 4.13+ (4.14+ for Orchestrator 1.5+)", check_openshift),
    Check("olm", "Operator Lifecycle Manager APIs present", "OLM ships with OpenShift; is this OpenShift?", check_olm),
    Check("catalog", "operator package known to the catalog",
          "check the redhat-operators CatalogSource in openshift-marketplace", check_catalog, fatal=False),
    Check("storage-class", "a default StorageClass exists",
          "mark a StorageClass default, or use --postgres-external", check_storage),
    Check("node-arch", "amd64 nodes available", "ARM64 is not supported by the operators' images", check_arch),
    Check("existing-install", "existing Orchestrator install", "use the same --version as the installed one",
          check_existing_install),
    Check("namespaces", "target namespaces are not being deleted", "wait for the deletion to finish",
          check_namespaces),
    Check("existing-rhdh", "existing RHDH namespace", "create the namespace or drop --existing-rhdh",
          check_existing_rhdh),
    Check("gitops", "ArgoCD API and instance", "install OpenShift GitOps and create an ArgoCD instance, "
          "or drop --gitops", check_gitops),
    Check("tekton", "Tekton Task and Pipeline APIs", "install OpenShift Pipelines, or drop --tekton", check_tekton),
    Check("tekton-version", "Tekton version matches the generation",
          "Orchestrator 1.3 needs Pipelines <= 1.16; 1.4 reads the openshift-pipelines-operator-rh Subscription; "
          "1.5+ needs Pipelines >= 1.17",
          check_tekton_version, fatal=False),
    Check("postgres-external", "external PostgreSQL Secret and Service", "create them, or drop --postgres-external",
          check_postgres_external),
)
