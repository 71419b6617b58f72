"""Pre-flight on Kubernetes: the OpenShift list with the OpenShift-only checks skipped (not failed), the
Kubernetes permissions, the Kubernetes version, an IngressClass and an existing Kubernetes install. Read-only."""

from __future__ import annotations

from orchestrator_cli.health.checks import Check, CheckFailed, Skip
from orchestrator_cli.install import preflight as openshift
from orchestrator_cli.install.permissions import missing_permissions
from orchestrator_cli.install.preflight import PreflightContext, parse_version
from orchestrator_cli.kube.client import NotServed
from orchestrator_cli.platforms.kubernetes_permissions import required_permissions

DEFAULT_INGRESS_CLASS = "ingressclass.kubernetes.io/is-default-class"

# The checks that only mean something on OpenShift: skipped on Kubernetes, with the reason.
OPENSHIFT_ONLY = {
    "openshift-version": "Kubernetes: no ClusterVersion (the Kubernetes version is checked instead)",
    "olm": "Kubernetes: no OLM; the operators are applied from pinned release manifests",
    "catalog": "Kubernetes: no OLM catalog",
    "existing-install": "Kubernetes: see kubernetes-install",
    "existing-rhdh": "Kubernetes: orch installs RHDH itself",
    "gitops": "Kubernetes: GitOps is OpenShift-only in orch",
    "tekton": "Kubernetes: Tekton is OpenShift-only in orch",
    "tekton-version": "Kubernetes: Tekton is OpenShift-only in orch",
}


def _skip(reason: str):
    def run(_ctx):
        raise Skip(reason)
    return run


def check_permissions(ctx: PreflightContext) -> str:
    required = required_permissions(ctx.config)
    missing = missing_permissions(ctx.kube, required)
    if missing:
        raise CheckFailed(f"{len(missing)} of {len(required)} required permissions are missing",
                          [str(p) for p in missing])
    return f"all {len(required)} required permissions granted"


def check_kubernetes_version(ctx: PreflightContext) -> str:
    from orchestrator_cli.platforms.kubernetes_pins import pins_for

    v = ctx.facts.get("server_version") or ctx.kube.server_version()
    text = v.get("gitVersion") or f"{v.get('major', '')}.{v.get('minor', '')}"
    found = parse_version(text.replace("+", ""))
    minimum = pins_for(ctx.config.version).min_kubernetes
    if found is None:
        raise CheckFailed(f"the API server reports no usable version ({text!r})")
    if found < minimum:
        raise CheckFailed(f"Kubernetes {text} is older than {minimum[0]}.{minimum[1]}, the minimum of the pinned "
                          f"Knative release for Orchestrator {ctx.config.version}")
    return f"Kubernetes {text} (minimum {minimum[0]}.{minimum[1]})"


def ingress_class(kube, wanted: str | None) -> str:
    """The IngressClass the Backstage Ingress uses: `wanted`, else the default one, else the only one.
    Raises CheckFailed when there is none to use."""
    try:
        items, _ = kube.list("networking.k8s.io/v1", "IngressClass")
    except NotServed:
        items = []
    names = sorted(i["metadata"]["name"] for i in items)
    if wanted:
        if wanted not in names:
            raise CheckFailed(f"IngressClass {wanted} not found (found: {', '.join(names) or 'none'})")
        return wanted
    default = [i["metadata"]["name"] for i in items
               if (i["metadata"].get("annotations") or {}).get(DEFAULT_INGRESS_CLASS) == "true"]
    if len(default) == 1:
        return default[0]
    if len(names) == 1:
        return names[0]
    if not names:
        raise CheckFailed("no IngressClass: Backstage's Ingress would never be served (no ingress controller)")
    raise CheckFailed(f"several IngressClasses and no single default ({', '.join(names)}): choose one with "
                      "--ingress-class")


def check_ingress_class(ctx: PreflightContext) -> str:
    name = ingress_class(ctx.kube, ctx.config.ingress_class)
    return f"IngressClass {name} (Backstage at http://{ctx.config.host})"


def check_existing_install(ctx: PreflightContext) -> str:
    from orchestrator_cli.platforms.kubernetes_record import find_records

    records = find_records(ctx.kube)
    if not records:
        return "no existing Orchestrator install"
    rec = records[0]
    version = (rec.get("data") or {}).get("version")
    where = f"{rec['metadata']['namespace']}/{rec['metadata']['name']}"
    if version != ctx.config.version:
        raise CheckFailed(f"Orchestrator {version} is installed ({where}); this install is for "
                          f"{ctx.config.version}. orch install does not upgrade or downgrade")
    return f"existing install of Orchestrator {version} ({where}); orch will complete/reconcile it"


def check_release_manifests(ctx: PreflightContext) -> str:
    """Without fetching anything: every pin has a digest (or --allow-unverified-manifests), and with
    --manifests-dir every file is there. The bytes are verified when install reads them."""
    from pathlib import Path

    from orchestrator_cli.platforms.kubernetes_manifests import effective_pins

    c = ctx.config
    pins = effective_pins(c)
    unpinned = [m.component for m in pins.manifests if m.sha256 is None]
    if unpinned and not c.allow_unverified_manifests:
        raise CheckFailed(f"no pinned digest for {', '.join(unpinned)} (docs/kubernetes.md): pin it with "
                          "--manifest-pins FILE or pass --allow-unverified-manifests")
    if c.manifests_dir:
        missing = [m.file_name for m in pins.manifests if not (Path(c.manifests_dir) / m.file_name).is_file()]
        if missing:
            raise CheckFailed(f"--manifests-dir {c.manifests_dir} lacks {', '.join(missing)}")
        return f"{len(pins.manifests)} release manifests in {c.manifests_dir} (verified when read)"
    return f"{len(pins.manifests)} pinned release manifests ({', '.join(m.component for m in pins.manifests)})"


_REPLACED = {"permissions": check_permissions}
_ADDED = (
    Check("kubernetes-version", "Kubernetes version supported by the pinned releases",
          "upgrade the cluster (kind: a newer node image)", check_kubernetes_version),
    Check("ingress-class", "an IngressClass for Backstage's Ingress",
          "install an ingress controller (docs/kubernetes.md: Contour on kind) or pass --ingress-class",
          check_ingress_class),
    Check("release-manifests", "pinned release manifests usable",
          "see docs/kubernetes.md for the pins; --manifests-dir DIR holds <component>.yaml files",
          check_release_manifests),
    Check("kubernetes-install", "existing Orchestrator install", "use the same --version as the installed one",
          check_existing_install),
)


def _adapt(check: Check) -> Check:
    if check.id in OPENSHIFT_ONLY:
        return Check(check.id, check.description, check.hint, _skip(OPENSHIFT_ONLY[check.id]), check.fatal,
                     check.category)
    if check.id in _REPLACED:
        return Check(check.id, check.description, check.hint, _REPLACED[check.id], check.fatal, check.category)
    return check


KUBERNETES_CHECKS: tuple[Check, ...] = (
    tuple(_adapt(c) for c in openshift.PREFLIGHT_CHECKS[:2]) + _ADDED[:1]
    + tuple(_adapt(c) for c in openshift.PREFLIGHT_CHECKS[2:]) + _ADDED[1:]
)
