"""Find the installed Orchestrator: its CR, the generation it implies, and the namespaces it uses.

Day-2 commands (status, workflow add/remove/list-namespaces, cleanup) never ask the user which
version is installed: the Orchestrator CRD's storage version names the generation
(v1alpha1 -> 1.3, v1alpha2 -> 1.4; generations.GENERATIONS), and the CR's spec names the
namespaces, the PostgreSQL service and secret, and whether GitOps is configured.
"""

from __future__ import annotations

from typing import Protocol

from orchestrator_cli.core.errors import NotInstalled
from orchestrator_cli.core.ownership import is_managed
from orchestrator_cli.generations import GENERATIONS, Generation
from orchestrator_cli.generations.installation import Installation, WorkflowPersistence, spec_get  # noqa: F401
from orchestrator_cli.kube.client import NotServed, Ref

CRD_NAME = "orchestrators.rhdh.redhat.com"
CRD_REF = Ref("apiextensions.k8s.io/v1", "CustomResourceDefinition", CRD_NAME)


class DetectKube(Protocol):
    def get(self, ref: Ref) -> dict | None: ...
    def list(self, api_version: str, kind: str, namespace: str | None = None, *, label_selector: str | None = None,
             field_selector: str | None = None) -> tuple[list[dict], str | None]: ...


def generation_for(api_version: str) -> Generation | None:
    for gen in GENERATIONS.values():
        if gen.cr_api_version == api_version:
            return gen
    return None


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


OLM_API = "operators.coreos.com/v1alpha1"


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
