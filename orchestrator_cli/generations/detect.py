"""Find the installed Orchestrator: its CR, the generation it implies, and the namespaces it uses.

Day-2 commands (status, workflow add/remove/list-namespaces, cleanup) never ask the user which
version is installed: the Orchestrator CRD's storage version names the generation
(v1alpha1 -> 1.3, v1alpha2 -> 1.4; generations.GENERATIONS), and the CR's spec names the
namespaces, the PostgreSQL service and secret, and whether GitOps is configured.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from orchestrator_cli.core.errors import NotInstalled
from orchestrator_cli.core.ownership import is_managed
from orchestrator_cli.generations import GENERATIONS, Generation
from orchestrator_cli.kube.client import NotServed, Ref

CRD_NAME = "orchestrators.rhdh.redhat.com"
CRD_REF = Ref("apiextensions.k8s.io/v1", "CustomResourceDefinition", CRD_NAME)


class DetectKube(Protocol):
    def get(self, ref: Ref) -> dict | None: ...
    def list(self, api_version: str, kind: str, namespace: str | None = None, *, label_selector: str | None = None,
             field_selector: str | None = None) -> tuple[list[dict], str | None]: ...


@dataclass(frozen=True)
class Installation:
    generation: Generation
    cr: dict
    orchestrator_namespace: str
    workflow_namespace: str  # the SonataFlow platform namespace
    rhdh_namespace: str
    existing_rhdh: bool
    postgres_service: str
    postgres_namespace: str
    postgres_secret: str
    postgres_user_key: str
    postgres_password_key: str
    postgres_database: str
    gitops: bool
    argocd_namespace: str | None

    @property
    def cr_ref(self) -> Ref:
        md = self.cr["metadata"]
        return Ref(self.cr.get("apiVersion", self.generation.cr_api_version), "Orchestrator", md["name"],
                   md["namespace"])

    @property
    def version(self) -> str:
        return self.generation.version

    @property
    def managed_by_orch(self) -> bool:
        return is_managed(self.cr)


def generation_for(api_version: str) -> Generation | None:
    for gen in GENERATIONS.values():
        if gen.cr_api_version == api_version:
            return gen
    return None


def _g(d: Any, path: str, default=None):
    for part in path.split("."):
        if not isinstance(d, dict) or part not in d:
            return default
        d = d[part]
    return default if d is None else d


def installation_from_cr(cr: dict, generation: Generation) -> Installation:
    """Pure: the facts day-2 commands need, read from the CR spec (CRD defaults as fall-backs)."""
    spec = cr.get("spec") or {}
    ns = cr["metadata"]["namespace"]
    rhdh_enabled = _g(spec, "rhdhOperator.enabled", True)
    rhdh_ns = (_g(spec, "rhdhOperator.subscription.targetNamespace") or "rhdh-operator") if rhdh_enabled \
        else (_g(spec, "networkPolicy.rhdhNamespace") or "")
    workflow_ns = _g(spec, "orchestrator.namespace") or "sonataflow-infra"
    gitops = bool(_g(spec, "argocd.enabled", False))
    return Installation(
        generation=generation,
        cr=cr,
        orchestrator_namespace=ns,
        workflow_namespace=workflow_ns,
        rhdh_namespace=rhdh_ns,
        existing_rhdh=not rhdh_enabled,
        postgres_service=_g(spec, "postgres.serviceName") or "sonataflow-psql-postgresql",
        postgres_namespace=_g(spec, "postgres.serviceNamespace") or workflow_ns,
        postgres_secret=_g(spec, "postgres.authSecret.name") or "sonataflow-psql-postgresql",
        postgres_user_key=_g(spec, "postgres.authSecret.userKey") or "postgres-username",
        postgres_password_key=_g(spec, "postgres.authSecret.passwordKey") or "postgres-password",
        postgres_database=_g(spec, "postgres.database") or "sonataflow",
        gitops=gitops,
        argocd_namespace=(_g(spec, "argocd.namespace") or "orchestrator-gitops") if gitops else None,
    )


def pick_cr(crs: list[dict]) -> dict:
    """One CR: the one orch manages when there are several (pure). Raises NotInstalled on ambiguity."""
    live = [c for c in crs if not (c.get("metadata") or {}).get("deletionTimestamp")] or crs
    if len(live) == 1:
        return live[0]
    ours = [c for c in live if is_managed(c)]
    if len(ours) == 1:
        return ours[0]
    names = ", ".join(f"{c['metadata']['namespace']}/{c['metadata']['name']}" for c in live)
    raise NotInstalled(f"several Orchestrator CRs found ({names}); orch supports one installation per cluster")


def find_crs(kube: DetectKube) -> tuple[list[dict], Generation | None]:
    """All Orchestrator CRs and the generation the CRD's storage version implies ([] when none)."""
    crd = kube.get(CRD_REF)
    if crd is None:
        return [], None
    versions = (crd.get("spec") or {}).get("versions") or []
    storage = [v["name"] for v in versions if v.get("storage")]
    served = [v["name"] for v in versions if v.get("served")]
    group = (crd.get("spec") or {}).get("group", "rhdh.redhat.com")
    generation = None
    for version in storage + served:
        generation = generation_for(f"{group}/{version}")
        if generation is not None:
            break
    if generation is None:
        known = ", ".join(sorted(g.cr_api_version for g in GENERATIONS.values()))
        raise NotInstalled(f"the Orchestrator CRD serves {', '.join(served) or 'no version'}; orch knows {known} "
                           "(Orchestrator 1.5+ is not supported yet)")
    try:
        crs, _ = kube.list(generation.cr_api_version, "Orchestrator")
    except NotServed:
        return [], generation
    for cr in crs:
        cr.setdefault("apiVersion", generation.cr_api_version)
        cr.setdefault("kind", "Orchestrator")
    return crs, generation


def detect(kube: DetectKube) -> Installation:
    """The installation, or NotInstalled with a hint."""
    crs, generation = find_crs(kube)
    if not crs or generation is None:
        raise NotInstalled("no Orchestrator CR found on this cluster; install first with `orch install`")
    return installation_from_cr(pick_cr(crs), generation)


def detect_optional(kube: DetectKube) -> Installation | None:
    try:
        return detect(kube)
    except NotInstalled:
        return None


OLM_API = "operators.coreos.com/v1alpha1"


def operator_subscriptions(inst: Installation) -> list[tuple[str, Ref]]:
    """The OLM Subscriptions this installation runs on, each with the component it installs (pure):
    orch's own (the generation's operator pin), then those the CR tells the operator to create."""
    op = inst.generation.operator
    out = [("orchestrator-operator", Ref(OLM_API, "Subscription", op.subscription, op.namespace))]
    spec = inst.cr.get("spec") or {}
    operands = [("serverless-logic-operator", "sonataFlowOperator", inst.generation.serverless_logic),
                ("serverless-operator", "serverlessOperator", inst.generation.serverless)]
    for component, key, pin in operands:
        if _g(spec, f"{key}.enabled", True) is False:
            continue
        name = _g(spec, f"{key}.subscription.name") or pin.name
        namespace = _g(spec, f"{key}.subscription.namespace") or pin.namespace
        out.append((component, Ref(OLM_API, "Subscription", name, namespace)))
    if not inst.existing_rhdh:
        name = _g(spec, "rhdhOperator.subscription.name") or "rhdh"
        out.append(("rhdh-operator", Ref(OLM_API, "Subscription", name, inst.rhdh_namespace)))
    return out


def backstage_deployment_ref(inst: Installation) -> Ref | None:
    """The Backstage Deployment the RHDH operator runs for this installation (None with an existing RHDH,
    whose Backstage orch does not name)."""
    if inst.existing_rhdh:
        return None
    return Ref("apps/v1", "Deployment", inst.generation.backstage_deployment, inst.rhdh_namespace)
