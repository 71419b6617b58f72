"""Find the installed Orchestrator: its CR, the generation it implies, and the namespaces it uses.

Day-2 commands (status, workflow add/remove/list-namespaces, cleanup) never ask the user which
version is installed: the Orchestrator CRD's storage version names the generation
(v1alpha1 -> 1.3, v1alpha2 -> 1.4, v1alpha3 -> 1.5 or 1.6, told apart by generation_of_cr), and the
generation's family reads from the CR the
namespaces, the PostgreSQL service and secret, and whether GitOps is configured.
"""

from __future__ import annotations

from typing import Protocol

from orchestrator_cli.core.errors import NotInstalled
from orchestrator_cli.core.ownership import is_managed
from orchestrator_cli.generations import GENERATIONS, Generation
from orchestrator_cli.generations.installation import Installation, WorkflowPersistence, spec_get  # noqa: F401
from orchestrator_cli.kube.client import NotServed, Ref

OLM_API = "operators.coreos.com/v1alpha1"
CRD_NAME = "orchestrators.rhdh.redhat.com"
CRD_REF = Ref("apiextensions.k8s.io/v1", "CustomResourceDefinition", CRD_NAME)


class DetectKube(Protocol):
    def get(self, ref: Ref) -> dict | None: ...
    def list(self, api_version: str, kind: str, namespace: str | None = None, *, label_selector: str | None = None,
             field_selector: str | None = None) -> tuple[list[dict], str | None]: ...


def generation_for(api_version: str) -> Generation | None:
    """The first generation with this CR apiVersion (see generation_of_cr for v1alpha3's two)."""
    found = generations_for(api_version)
    return found[0] if found else None


def installation_from_cr(cr: dict, generation: Generation) -> Installation:
    """Pure: the facts day-2 commands need, read by the generation's family from the CR."""
    return generation.family.installation_from_cr(cr, generation)


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


def generations_for(api_version: str) -> list[Generation]:
    """Every generation whose CR has this apiVersion (1.5 and 1.6 share v1alpha3)."""
    return [g for g in GENERATIONS.values() if g.cr_api_version == api_version]


VERSION_ANNOTATION = "orch.rhdhorchestrator.io/version"


def generation_of_cr(kube: DetectKube, cr: dict, candidates: list[Generation]) -> Generation:
    """Tell apart generations sharing a CR version: the version orch recorded on its CR, else the CSV OLM
    installed for the Orchestrator operator Subscription, else the newest candidate."""
    if len(candidates) == 1:
        return candidates[0]
    by_version = {g.version: g for g in candidates}
    recorded = ((cr.get("metadata") or {}).get("annotations") or {}).get(VERSION_ANNOTATION)
    if recorded in by_version:
        return by_version[recorded]
    op = candidates[0].operator
    sub = kube.get(Ref(OLM_API, "Subscription", op.subscription, op.namespace)) or {}
    csv = (sub.get("status") or {}).get("installedCSV") or (sub.get("spec") or {}).get("startingCSV") or ""
    for gen in candidates:
        if csv.startswith(f"{op.package}.v{gen.version}."):
            return gen
    return sorted(candidates, key=lambda g: tuple(int(x) for x in g.version.split(".")))[-1]


def find_crs(kube: DetectKube) -> tuple[list[dict], Generation | None]:
    """All Orchestrator CRs and the generation the CRD's storage version implies ([] when none)."""
    crd = kube.get(CRD_REF)
    if crd is None:
        return [], None
    versions = (crd.get("spec") or {}).get("versions") or []
    storage = [v["name"] for v in versions if v.get("storage")]
    served = [v["name"] for v in versions if v.get("served")]
    group = (crd.get("spec") or {}).get("group", "rhdh.redhat.com")
    candidates: list[Generation] = []
    for version in storage + served:
        candidates = generations_for(f"{group}/{version}")
        if candidates:
            break
    if not candidates:
        known = ", ".join(sorted({g.cr_api_version for g in GENERATIONS.values()}))
        raise NotInstalled(f"the Orchestrator CRD serves {', '.join(served) or 'no version'}; orch knows {known}")
    api = candidates[0].cr_api_version
    try:
        crs, _ = kube.list(api, "Orchestrator")
    except NotServed:
        return [], candidates[0]
    for cr in crs:
        cr.setdefault("apiVersion", api)
        cr.setdefault("kind", "Orchestrator")
    generation = generation_of_cr(kube, pick_cr(crs), candidates) if crs else candidates[0]
    return crs, generation


def find_backstage_anchor(kube: DetectKube) -> tuple[dict, Generation] | None:
    """1.7+ (no Orchestrator CR): the Backstage CR orch configured, recognised by the version orch recorded."""
    for gen in GENERATIONS.values():
        if gen.cr_template or not gen.cr_api_version.endswith(tuple(f"/{v}" for v in ("v1alpha3", "v1alpha4"))):
            continue
        try:
            items, _ = kube.list(gen.cr_api_version, "Backstage")
        except NotServed:
            continue
        for item in items:
            if ((item.get("metadata") or {}).get("annotations") or {}).get(VERSION_ANNOTATION) == gen.version:
                return {**item, "apiVersion": gen.cr_api_version, "kind": "Backstage"}, gen
    return None


def detect(kube: DetectKube) -> Installation:
    """The installation, or NotInstalled with a hint."""
    crs, generation = find_crs(kube)
    if not crs or generation is None:
        anchor = find_backstage_anchor(kube)  # 1.7+: no Orchestrator CR, orch's Backstage CR
        if anchor is not None:
            return installation_from_cr(*anchor)
        from orchestrator_cli.platforms.kubernetes_record import installation_from_records

        found = installation_from_records(kube)  # Kubernetes: no Orchestrator CR, orch's installation record
        if found is not None:
            return found
        raise NotInstalled("no Orchestrator CR found on this cluster; install first with `orch install`")
    return installation_from_cr(pick_cr(crs), generation)


def detect_optional(kube: DetectKube) -> Installation | None:
    try:
        return detect(kube)
    except NotInstalled:
        return None



def operator_subscriptions(inst: Installation) -> list[tuple[str, Ref]]:
    """The OLM Subscriptions this installation runs on, each with the component it installs (pure):
    orch's own (the generation's operator pin), then those the family's operator creates for the CR."""
    if inst.platform == "kubernetes":
        return []  # no OLM: the operators come from release manifests (platforms/kubernetes_pins.py)
    op = inst.generation.operator
    out = [("orchestrator-operator", Ref(OLM_API, "Subscription", op.subscription, op.namespace))]
    return out + inst.generation.family.operand_subscriptions(inst)


def backstage_deployment_ref(inst: Installation) -> Ref | None:
    """The Backstage Deployment the RHDH operator runs for this installation (None with an existing RHDH,
    whose Backstage orch does not name)."""
    if inst.existing_rhdh:
        return None
    return Ref("apps/v1", "Deployment", inst.backstage_deployment, inst.rhdh_namespace)
