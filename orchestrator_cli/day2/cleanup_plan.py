"""Planning `orch cleanup` (reads only): from ownership marks alone, which objects each phase deletes or
releases and what is kept (the phases and the rules: day2/cleanup.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Protocol

from orchestrator_cli.core.errors import Refused
from orchestrator_cli.core.ownership import (
    MANAGED_BY_SELECTOR,
    created_by_orch,
    created_by_orch_object,
    is_adopted,
    is_managed,
    release_of,
)
from orchestrator_cli.day2.ns_desired import SONATAFLOW_API
from orchestrator_cli.day2.ns_plan import release_change
from orchestrator_cli.generations.detect import Installation
from orchestrator_cli.generations.helm_operator import HELM_OPERATOR
from orchestrator_cli.kube.resources import NotServed, Ref

OLM = "operators.coreos.com/v1alpha1"
# Kinds orch labels; swept in phase 5 (Lease: the install lock removes itself; Namespace: phase 6).
SWEEP_KINDS = (
    ("networking.k8s.io/v1", "NetworkPolicy"), ("v1", "ConfigMap"), ("v1", "Secret"), ("v1", "Service"),
    ("apps/v1", "StatefulSet"), ("apps/v1", "Deployment"), ("v1", "ServiceAccount"),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"), ("rbac.authorization.k8s.io/v1", "ClusterRole"),
)
# Namespaced kinds whose finalizers can hold a namespace in Terminating (diagnosis).
FINALIZER_KINDS = (
    ("sonataflow.org/v1alpha08", "SonataFlow"), ("sonataflow.org/v1alpha08", "SonataFlowPlatform"),
    ("rhdh.redhat.com/v1alpha1", "Orchestrator"), ("rhdh.redhat.com/v1alpha2", "Orchestrator"),
    ("rhdh.redhat.com/v1alpha1", "Backstage"), ("rhdh.redhat.com/v1alpha2", "Backstage"),
    ("operator.knative.dev/v1beta1", "KnativeServing"), ("operator.knative.dev/v1beta1", "KnativeEventing"),
)
KNATIVE_GROUP = re.compile(r"(^|\.)knative\.dev$")


class CleanupKube(Protocol):
    def get(self, ref: Ref) -> dict | None: ...
    def list(self, api_version: str, kind: str, namespace: str | None = None, *, label_selector: str | None = None,
             field_selector: str | None = None) -> tuple[list[dict], str | None]: ...
    def list_path(self, path: str) -> list[dict]: ...
    def delete(self, ref: Ref) -> None: ...
    def apply(self, obj: dict) -> dict: ...
    def merge_patch(self, ref: Ref, patch: dict) -> dict: ...
    def watch(self, api_version: str, kind: str, namespace: str | None, *, name: str | None = None,
              label_selector: str | None = None, resource_version: str | None = None,
              timeout_seconds: int = 30): ...  # waiting for deletions (health.waiter.wait_gone)


@dataclass(frozen=True)
class Target:
    ref: Ref
    note: str = ""
    release: dict | None = None  # an empty applied configuration: drop orch's fields instead of deleting
    patch: dict | None = None  # a merge patch instead of deleting (e.g. drop an operator's label)


@dataclass
class Phase:
    id: str
    title: str
    targets: list[Target] = field(default_factory=list)


@dataclass
class CleanupOptions:
    include_workflows: bool = False
    delete_data: bool = False
    purge: bool = False
    purge_knative: bool = False
    force_finalizers: bool = False
    timeout: float = 300.0


@dataclass
class CleanupPlan:
    installation: Installation | None
    phases: list[Phase]
    kept: list[Target] = field(default_factory=list)
    workflows: list[Ref] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not any(p.targets for p in self.phases)

    def to_dict(self) -> dict:
        return {"phases": [{"id": p.id, "title": p.title,
                            "targets": [{"object": str(t.ref), "kind": t.ref.kind, "name": t.ref.name,
                                         "namespace": t.ref.namespace, "action": "release" if t.release or t.patch else "delete",
                                         "note": t.note} for t in p.targets]} for p in self.phases],
                "kept": [{"object": str(t.ref), "note": t.note} for t in self.kept]}


def _list(kube: CleanupKube, api_version: str, kind: str, namespace: str | None = None, **kw) -> list[dict]:
    try:
        items, _ = kube.list(api_version, kind, namespace, **kw)
    except NotServed:
        return []
    for item in items:
        item.setdefault("apiVersion", api_version)
        item.setdefault("kind", kind)
    return items


def _ref(obj: dict, api_version: str | None = None, kind: str | None = None) -> Ref:
    md = obj["metadata"]
    return Ref(api_version or obj["apiVersion"], kind or obj["kind"], md["name"], md.get("namespace"))


def of_release(obj: dict, cr: dict | None) -> bool:
    """Made by the Helm-based operator for this CR (its release annotations name the CR) (pure)."""
    return HELM_OPERATOR.made_for_cr(obj, cr)


def pvc_belongs_to(pvc_name: str, sts: dict) -> bool:
    """A PVC the StatefulSet controller made from one of the set's volumeClaimTemplates (pure)."""
    name = sts["metadata"]["name"]
    for tmpl in (sts.get("spec") or {}).get("volumeClaimTemplates") or []:
        if re.fullmatch(rf"{re.escape((tmpl.get('metadata') or {}).get('name', ''))}-{re.escape(name)}-\d+", pvc_name):
            return True
    return False


def _dedupe(targets: list[Target]) -> list[Target]:
    """One target per object: a kind served in two versions (Backstage v1alpha1/v1alpha2) lists twice."""
    seen, out = set(), []
    for t in targets:
        key = (t.ref.api_version.rpartition("/")[0], t.ref.kind, t.ref.namespace, t.ref.name)
        if key not in seen:
            seen.add(key)
            out.append(t)
    return out


def plan_cleanup(kube: CleanupKube, inst: Installation | None, opts: CleanupOptions) -> CleanupPlan:
    """Read the cluster and decide, from ownership marks only, what cleanup deletes (writes nothing)."""
    kept: list[Target] = []
    workflows = [_ref(w, SONATAFLOW_API, "SonataFlow") for w in _list(kube, SONATAFLOW_API, "SonataFlow")]
    if workflows and not opts.include_workflows:
        first = workflows[0]
        raise Refused(f"{len(workflows)} SonataFlow workflow(s) still exist; remove them first with `orch workflow "
                      f"uninstall NAME --namespace NS` (e.g. `orch workflow uninstall {first.name} --namespace "
                      f"{first.namespace}`) or re-run with --include-workflows (they are deleted first, while their "
                      "operator still runs)", details=[str(w) for w in workflows])
    phases = [Phase("workflows", "SonataFlow workflows (their operator processes their finalizers)",
                    [Target(w, "workflow") for w in workflows])]

    k8s = None  # Kubernetes: no operator uninstalls anything; orch deletes its operands, then the operators
    if inst is not None and inst.platform == "kubernetes":
        from orchestrator_cli.platforms import kubernetes_day2 as k8s
    cr = inst.cr if inst is not None and k8s is None else None  # the installation record: swept with the rest
    ours = cr is not None and created_by_orch_object(cr)
    all_namespaces = _list(kube, "v1", "Namespace")
    protect = Phase("protect", "Namespaces the Orchestrator operator would delete in the wrong order or must not")
    if inst is not None and ours:
        for name, patch, why in inst.generation.family.cleanup_protect(inst, all_namespaces):
            protect.targets.append(Target(Ref("v1", "Namespace", name), why, patch=patch))
    phases.append(protect)
    cr_phase = Phase("orchestrator-cr", "Orchestrator CR (its operator uninstalls the operands)")
    if cr is not None and ours:
        cr_phase.targets.append(Target(inst.cr_ref, f"Orchestrator {inst.version}"))
    elif cr is not None:
        why = "existed before orch (adopted)" if is_adopted(cr) else "not created by orch (no managed-by=orch label)"
        kept.append(Target(inst.cr_ref, f"{why}: left with its operands"))
    phases.append(cr_phase)
    release_cr = cr if ours else None
    family = inst.generation.family if inst is not None else HELM_OPERATOR

    def made(obj: dict) -> bool:  # made by the installation's operator for orch's CR
        return family.made_for_cr(obj, release_cr)

    operands = Phase("operands", "Operand CRs the operator made for orch's CR (if any are left)")
    for api, kind in family.operand_kinds:
        for obj in _list(kube, api, kind):
            if made(obj):
                operands.targets.append(Target(_ref(obj, api, kind), "made by the Orchestrator operator"))
    if k8s is not None:
        operands.targets += [Target(ref, note) for ref, note in k8s.operand_refs(kube)]
    operands.targets = _dedupe(operands.targets)
    phases.append(operands)

    operators = Phase("operators", "Subscriptions, CSVs and InstallPlans")
    crds_of_removed: list[tuple[str, str]] = []  # (crd name, owner CSV)
    all_subs = _list(kube, OLM, "Subscription")
    subs = [s for s in all_subs if created_by_orch_object(s) or made(s)]
    for sub in subs:
        ns = sub["metadata"]["namespace"]
        operators.targets.append(Target(_ref(sub, OLM, "Subscription"),
                                        "orch's" if is_managed(sub) else "made by the Orchestrator operator"))
        status = sub.get("status") or {}
        for csv_name in dict.fromkeys(n for n in (status.get("installedCSV"), status.get("currentCSV")) if n):
            csv = kube.get(Ref(OLM, "ClusterServiceVersion", csv_name, ns))
            if csv is None:
                continue
            operators.targets.append(Target(Ref(OLM, "ClusterServiceVersion", csv_name, ns),
                                            f"installed by OLM for Subscription {sub['metadata']['name']}"))
            for owned in ((csv.get("spec") or {}).get("customresourcedefinitions") or {}).get("owned") or []:
                if owned.get("name"):
                    crds_of_removed.append((owned["name"], csv_name))
        for ip in _list(kube, OLM, "InstallPlan", ns):
            owners = (ip.get("metadata") or {}).get("ownerReferences") or []
            if any(o.get("kind") == "Subscription" and o.get("name") == sub["metadata"]["name"] for o in owners):
                operators.targets.append(Target(_ref(ip, OLM, "InstallPlan"),
                                                f"created by OLM for Subscription {sub['metadata']['name']}"))
    for sub in all_subs:
        if is_managed(sub) and is_adopted(sub):
            operators.targets.append(Target(_ref(sub, OLM, "Subscription"), "existed before orch: release orch's "
                                            "fields, keep the operator", release_of({**sub, "apiVersion": OLM,
                                                                                     "kind": "Subscription"})))
    for og in _list(kube, "operators.coreos.com/v1", "OperatorGroup"):
        if made(og) or created_by_orch_object(og):
            operators.targets.append(Target(_ref(og, "operators.coreos.com/v1", "OperatorGroup"),
                                            "made for orch's CR"))
    if k8s is not None:
        operators.targets += [Target(ref, note) for ref, note in k8s.release_refs(kube)]
    operators.targets = _dedupe(operators.targets)
    phases.append(operators)

    objects = Phase("orch-objects", "Objects orch created (PostgreSQL, setup secret, token, policies, RBAC)")
    kept_pvc_namespaces: dict[str, list[str]] = {}
    data_pvcs: dict[str, dict[str, str]] = {}  # namespace -> PVC -> why it is data orch may delete
    for api, kind in SWEEP_KINDS:
        for obj in _list(kube, api, kind, label_selector=MANAGED_BY_SELECTOR):
            if not is_managed(obj) or (k8s is not None and k8s.RELEASE_LABEL in obj["metadata"].get("labels", {})):
                continue  # release-manifest objects go with the operators (phase 4)
            if is_adopted(obj):
                objects.targets.append(Target(_ref(obj, api, kind), "existed before orch: release orch's fields, "
                                              "keep the object", release_of({**obj, "apiVersion": api, "kind": kind})))
                continue
            objects.targets.append(Target(_ref(obj, api, kind), "managed-by=orch"))
            if kind == "StatefulSet":
                ns = obj["metadata"]["namespace"]
                for pvc in _list(kube, "v1", "PersistentVolumeClaim", ns):
                    if pvc_belongs_to(pvc["metadata"]["name"], obj):
                        data_pvcs.setdefault(ns, {})[pvc["metadata"]["name"]] = \
                            f"data of orch's StatefulSet {obj['metadata']['name']}"
    for ns in all_namespaces:
        # Deleting a namespace deletes its volumes' claims: any PVC in a namespace orch would delete counts as
        # data, whoever made it (e.g. a second cleanup run after the StatefulSet is gone).
        if created_by_orch(ns) or made(ns):
            name = ns["metadata"]["name"]
            for pvc in _list(kube, "v1", "PersistentVolumeClaim", name):
                data_pvcs.setdefault(name, {}).setdefault(pvc["metadata"]["name"], "in a namespace orch created")
    for ns_name, pvcs in sorted(data_pvcs.items()):
        for pvc_name, why in sorted(pvcs.items()):
            ref = Ref("v1", "PersistentVolumeClaim", pvc_name, ns_name)
            if opts.delete_data:
                objects.targets.append(Target(ref, f"{why} (--delete-data)"))
            else:
                kept.append(Target(ref, f"{why}: data, kept without --delete-data"))
                kept_pvc_namespaces.setdefault(ns_name, []).append(pvc_name)
    for ns in all_namespaces:
        if created_by_orch(ns):
            continue
        change = release_change(ns)
        if change is not None:
            objects.targets.append(Target(change.ref, change.note.replace("remove", "release", 1), change.desired))
    objects.targets = _dedupe(objects.targets)
    phases.append(objects)

    namespaces = Phase("namespaces", "Namespaces orch created (and those the operator created for orch's CR)")
    for ns in all_namespaces:
        name = ns["metadata"]["name"]
        ref = Ref("v1", "Namespace", name)
        if created_by_orch(ns):
            if name in kept_pvc_namespaces:
                kept.append(Target(ref, f"created by orch, but holds the kept PVC(s) "
                                        f"{', '.join(kept_pvc_namespaces[name])}: re-run with --delete-data"))
            else:
                namespaces.targets.append(Target(ref, "created by orch"))
        elif made(ns):
            if name in kept_pvc_namespaces:
                kept.append(Target(ref, f"created by the Orchestrator operator for orch's CR, but holds the kept "
                                        f"PVC(s) {', '.join(kept_pvc_namespaces[name])}: re-run with --delete-data"))
            else:
                namespaces.targets.append(Target(ref, "created by the Orchestrator operator for orch's CR"))
    phases.append(namespaces)

    crd_phase = Phase("crds", "CustomResourceDefinitions (--purge)")
    candidates = list(dict.fromkeys([*(name for name, _ in crds_of_removed),
                                     *(["orchestrators.rhdh.redhat.com"] if ours else []),
                                     *(k8s.release_crds(kube) if k8s is not None else [])]))
    for name in candidates:
        ref = Ref("apiextensions.k8s.io/v1", "CustomResourceDefinition", name)
        crd = kube.get(ref)
        if crd is None:
            continue
        group = (crd.get("spec") or {}).get("group", "")
        if not opts.purge:
            kept.append(Target(ref, "CRD: kept without --purge"))
            continue
        if KNATIVE_GROUP.search(group) and not opts.purge_knative:
            kept.append(Target(ref, "knative CRD: kept without --purge-knative"))
            continue
        others = foreign_instances(kube, crd, planned={t.ref for p in phases for t in p.targets})
        if others:
            kept.append(Target(ref, f"CRD still has {len(others)} instance(s) orch does not remove: "
                                    + ", ".join(others[:5])))
            continue
        crd_phase.targets.append(Target(ref, f"group {group}"))
    phases.append(crd_phase)
    return CleanupPlan(installation=inst, phases=phases, kept=kept, workflows=workflows)


def foreign_instances(kube: CleanupKube, crd: dict, planned: set[Ref]) -> list[str]:
    """Instances of a CRD that no earlier phase removes (deleting the CRD would delete them)."""
    spec = crd.get("spec") or {}
    versions = [v["name"] for v in spec.get("versions") or [] if v.get("storage")] or \
        [v["name"] for v in spec.get("versions") or [] if v.get("served")]
    if not versions:
        return []
    plural, group = (spec.get("names") or {}).get("plural"), spec.get("group")
    out = []
    for obj in kube.list_path(f"/apis/{group}/{versions[0]}/{plural}"):
        md = obj.get("metadata") or {}
        if any(r.name == md.get("name") and r.namespace == md.get("namespace") and r.kind == spec["names"]["kind"]
               for r in planned):
            continue
        out.append(f"{md.get('namespace') + '/' if md.get('namespace') else ''}{md.get('name')}")
    return out
