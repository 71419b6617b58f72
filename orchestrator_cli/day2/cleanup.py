"""`orch cleanup`: ordered, ownership-driven teardown that never hangs (reference section 7).

Order (each phase waits, with a timeout, until its objects are gone):
  1. workflows       SonataFlow CRs in every namespace (only with --include-workflows; otherwise
                     cleanup refuses and lists them) — while the SonataFlow operator still runs
  2. orchestrator-cr orch's Orchestrator CR — while its operator still runs (finalizer processed)
  3. operands        operand CRs the operator made for that CR (Helm release annotations) still left
  4. operators       orch's Subscription + the operator Subscriptions made for its CR, the CSVs and
                     InstallPlans OLM created for them, release OperatorGroups
  5. orch-objects    everything labelled app.kubernetes.io/managed-by=orch: PostgreSQL, setup
                     secret, token ServiceAccount, ClusterRole/Binding, workflow-namespace
                     policies and secret copies; the PostgreSQL PVCs only with --delete-data;
                     orch's labels released from namespaces it did not create
  6. namespaces      namespaces orch created (annotation) and those the operator created for
                     orch's CR — never pre-existing or shared ones; a namespace holding a kept
                     PVC is kept
  7. crds            only with --purge (knative CRDs only with --purge-knative), only CRDs of
                     the operators removed above and only when no instance is left

What orch may delete is decided by marks only (ownership.py): the managed-by label, the
created-namespace annotation, and for the operator's objects the Helm release annotations that
point at orch's own CR. When something does not go away, cleanup names it, its finalizers and the
state of the operator that should process them, and stops; finalizers are removed only with
--force-finalizers.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Protocol

from orchestrator_cli.core.errors import Refused, Stuck
from orchestrator_cli.core.ownership import (
    MANAGED_BY_SELECTOR,
    created_by_orch,
    created_by_orch_object,
    is_adopted,
    is_managed,
    release_of,
)
from orchestrator_cli.core.plan import Change
from orchestrator_cli.day2.namespaces import SONATAFLOW_API, release_change
from orchestrator_cli.generations.detect import Installation
from orchestrator_cli.health import readiness
from orchestrator_cli.kube.client import NotServed, Ref

OLM = "operators.coreos.com/v1alpha1"
RELEASE_NAME = "meta.helm.sh/release-name"
RELEASE_NAMESPACE = "meta.helm.sh/release-namespace"
OPERAND_KINDS = (  # what the Helm-based operator renders for a CR (reference section 4)
    ("sonataflow.org/v1alpha08", "SonataFlowPlatform"),
    ("sonataflow.org/v1alpha08", "SonataFlowClusterPlatform"),
    ("rhdh.redhat.com/v1alpha1", "Backstage"),
    ("rhdh.redhat.com/v1alpha2", "Backstage"),
    ("operator.knative.dev/v1beta1", "KnativeServing"),
    ("operator.knative.dev/v1beta1", "KnativeEventing"),
    ("argoproj.io/v1alpha1", "AppProject"),
)
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


@dataclass(frozen=True)
class Target:
    ref: Ref
    note: str = ""
    release: dict | None = None  # an empty applied configuration: drop orch's fields instead of deleting


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
                                         "namespace": t.ref.namespace, "action": "release" if t.release else "delete",
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
    if cr is None:
        return False
    ann = (obj.get("metadata") or {}).get("annotations") or {}
    return ann.get(RELEASE_NAME) == cr["metadata"]["name"] and ann.get(RELEASE_NAMESPACE) == cr["metadata"]["namespace"]


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

    cr = inst.cr if inst is not None else None
    ours = cr is not None and created_by_orch_object(cr)
    cr_phase = Phase("orchestrator-cr", "Orchestrator CR (its operator uninstalls the operands)")
    if cr is not None and ours:
        cr_phase.targets.append(Target(inst.cr_ref, f"Orchestrator {inst.version}"))
    elif cr is not None:
        why = "existed before orch (adopted)" if is_adopted(cr) else "not created by orch (no managed-by=orch label)"
        kept.append(Target(inst.cr_ref, f"{why}: left with its operands"))
    phases.append(cr_phase)
    release_cr = cr if ours else None

    operands = Phase("operands", "Operand CRs the operator made for orch's CR (if any are left)")
    for api, kind in OPERAND_KINDS:
        for obj in _list(kube, api, kind):
            if of_release(obj, release_cr):
                operands.targets.append(Target(_ref(obj, api, kind), "made by the Orchestrator operator"))
    operands.targets = _dedupe(operands.targets)
    phases.append(operands)

    operators = Phase("operators", "Subscriptions, CSVs and InstallPlans")
    crds_of_removed: list[tuple[str, str]] = []  # (crd name, owner CSV)
    all_subs = _list(kube, OLM, "Subscription")
    subs = [s for s in all_subs if created_by_orch_object(s) or of_release(s, release_cr)]
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
        if of_release(og, release_cr) or created_by_orch_object(og):
            operators.targets.append(Target(_ref(og, "operators.coreos.com/v1", "OperatorGroup"),
                                            "made for orch's CR"))
    operators.targets = _dedupe(operators.targets)
    phases.append(operators)

    objects = Phase("orch-objects", "Objects orch created (PostgreSQL, setup secret, token, policies, RBAC)")
    kept_pvc_namespaces: dict[str, list[str]] = {}
    data_pvcs: dict[str, dict[str, str]] = {}  # namespace -> PVC -> why it is data orch may delete
    for api, kind in SWEEP_KINDS:
        for obj in _list(kube, api, kind, label_selector=MANAGED_BY_SELECTOR):
            if not is_managed(obj):
                continue
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
    all_namespaces = _list(kube, "v1", "Namespace")
    for ns in all_namespaces:
        # Deleting a namespace deletes its volumes' claims: any PVC in a namespace orch would delete counts as
        # data, whoever made it (e.g. a second cleanup run after the StatefulSet is gone).
        if created_by_orch(ns):
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
        elif of_release(ns, release_cr):
            namespaces.targets.append(Target(ref, "created by the Orchestrator operator for orch's CR"))
    phases.append(namespaces)

    crd_phase = Phase("crds", "CustomResourceDefinitions (--purge)")
    candidates = list(dict.fromkeys([*(name for name, _ in crds_of_removed),
                                     *(["orchestrators.rhdh.redhat.com"] if ours else [])]))
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


# -- diagnosis --------------------------------------------------------------------------------

def _first_line(text: str | None, limit: int = 200) -> str:
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return line if len(line) <= limit else line[:limit] + "…"


def _age(obj: dict) -> str:
    ts = (obj.get("metadata") or {}).get("deletionTimestamp")
    return f" (deletion requested at {ts})" if ts else ""


def operator_for(kube: CleanupKube, obj: dict, csvs: list[dict] | None = None) -> str:
    """Which operator should process this object's finalizers, and whether it runs (one line)."""
    api = obj.get("apiVersion", "")
    group = api.rpartition("/")[0]
    kind = obj.get("kind", "")
    csvs = csvs if csvs is not None else _list(kube, OLM, "ClusterServiceVersion")
    for csv in csvs:
        owned = ((csv.get("spec") or {}).get("customresourcedefinitions") or {}).get("owned") or []
        if not any(o.get("kind") == kind and (o.get("name") or "").endswith("." + group) for o in owned):
            continue
        ns = csv["metadata"]["namespace"]
        deployments = [d.get("name") for d in ((((csv.get("spec") or {}).get("install") or {}).get("spec") or {})
                                               .get("deployments") or []) if d.get("name")]
        states = []
        for name in deployments:
            dep = kube.get(Ref("apps/v1", "Deployment", name, ns))
            verdict = readiness.deployment(dep) if dep is not None else None
            if dep is None:
                states.append(f"Deployment {name} in {ns} does not exist")
            elif isinstance(verdict, readiness.Ready):
                states.append(f"Deployment {name} in {ns} is Available")
            else:
                selector = ",".join(f"{k}={v}" for k, v in sorted(
                    (((dep.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}).items()))
                pods = _list(kube, "v1", "Pod", ns, label_selector=selector) if selector else []
                why = next((r for r in (readiness.pod_failure(p) for p in pods) if r), verdict.reason)
                states.append(f"Deployment {name} in {ns} is not Available ({why})")
        phase = (csv.get("status") or {}).get("phase", "?")
        return f"its operator: CSV {csv['metadata']['name']} ({phase}); " + "; ".join(states or ["no Deployment"])
    return f"no installed operator (CSV) owns {kind} ({group}) any more: nothing will process its finalizers"


def diagnose(kube: CleanupKube, ref: Ref, obj: dict) -> list[str]:
    md = obj.get("metadata") or {}
    fins = md.get("finalizers") or []
    lines = [f"{ref}{_age(obj)}: finalizers {', '.join(fins) if fins else '(none)'}"]
    for c in readiness.conditions(obj):
        if c.get("status") == "True" or c.get("type") in ("NamespaceContentRemaining", "NamespaceFinalizersRemaining"):
            lines.append(f"    condition {c.get('type')}={c.get('status')} {c.get('reason') or ''} "
                         f"{_first_line(c.get('message'))}".rstrip())
    if ref.kind == "Namespace":
        for holder_ref, holder in namespace_holders(kube, ref.name):
            hf = (holder.get("metadata") or {}).get("finalizers") or []
            lines.append(f"    held by {holder_ref}: finalizers {', '.join(hf)}; {operator_for(kube, holder)}")
    elif fins:
        lines.append(f"    {operator_for(kube, obj)}")
    return lines


def namespace_holders(kube: CleanupKube, namespace: str) -> list[tuple[Ref, dict]]:
    out = []
    for api, kind in FINALIZER_KINDS:
        for obj in _list(kube, api, kind, namespace):
            if (obj.get("metadata") or {}).get("finalizers"):
                out.append((_ref(obj, api, kind), obj))
    return out


def stuck_advice(force_available: bool) -> str:
    advice = ("restore the operator named above (e.g. re-run `orch install`) and run `orch cleanup` again; "
              "it resumes where it stopped")
    if force_available:
        advice += ("; or re-run with --force-finalizers to remove the finalizers (what the operator would have "
                   "cleaned up stays behind)")
    return advice


# -- execution --------------------------------------------------------------------------------

def _present(kube: CleanupKube, refs: list[Ref]) -> list[tuple[Ref, dict]]:
    out = []
    for ref in refs:
        obj = kube.get(ref)
        if obj is not None:
            out.append((ref, {**obj, "apiVersion": ref.api_version, "kind": ref.kind}))
    return out


def wait_gone(kube: CleanupKube, refs: list[Ref], timeout: float, stop: threading.Event,
              clock: Callable[[], float] = time.monotonic) -> list[tuple[Ref, dict]]:
    """Poll until every object is gone or the timeout passes; returns what is left."""
    deadline = clock() + timeout
    delay = 0.25
    while True:
        left = _present(kube, refs)
        if not left or clock() >= deadline or stop.is_set():
            return left
        refs = [r for r, _ in left]
        stop.wait(min(delay, max(0.0, deadline - clock())))
        delay = min(delay * 2, 2.0)


def remove_finalizers(kube: CleanupKube, ref: Ref, obj: dict) -> list[str]:
    fins = (obj.get("metadata") or {}).get("finalizers") or []
    if ref.kind == "Namespace":
        # Never the namespace's own spec.finalizers (kubernetes): free what holds its content instead.
        removed = []
        for holder_ref, holder in namespace_holders(kube, ref.name):
            removed += remove_finalizers(kube, holder_ref, holder)
        return removed
    if not fins:
        return []
    kube.merge_patch(ref, {"metadata": {"finalizers": None}})
    return [f"{ref}: removed finalizers {', '.join(fins)}"]


def run_phase(kube: CleanupKube, phase: Phase, reporter, opts: CleanupOptions, stop: threading.Event) -> int:
    """Delete (or release) a phase's targets and wait for them; raise Stuck with a diagnosis."""
    deleted = 0
    waiting: list[Ref] = []
    for target in phase.targets:
        live = kube.get(target.ref)
        if live is None:
            reporter.change(phase.id, Change("info", target.ref, None, "already gone"), False)
            continue
        if target.release is not None:
            kube.apply(target.release)
            reporter.change(phase.id, Change("update", target.ref, None, target.note), True)
            continue
        if (live.get("metadata") or {}).get("deletionTimestamp"):
            reporter.change(phase.id, Change("info", target.ref, None, "already being deleted"), False)
        else:
            kube.delete(target.ref)
            reporter.change(phase.id, Change("delete", target.ref, None, target.note), True)
            deleted += 1
        waiting.append(target.ref)
    if not waiting:
        return deleted
    left = wait_gone(kube, waiting, opts.timeout, stop)
    if left and opts.force_finalizers:
        for ref, obj in left:
            for line in remove_finalizers(kube, ref, obj):
                reporter.warn(f"--force-finalizers: {line}")
        left = wait_gone(kube, [r for r, _ in left], opts.timeout, stop)
    if left:
        details: list[str] = []
        for ref, obj in left:
            details += diagnose(kube, ref, obj)
        details.append("what to do: " + stuck_advice(not opts.force_finalizers))
        names = ", ".join(str(r) for r, _ in left)
        raise Stuck(f"{phase.title}: still present after {opts.timeout:.0f}s: {names}", details=details)
    return deleted


def execute(kube: CleanupKube, plan: CleanupPlan, reporter, opts: CleanupOptions,
            stop: threading.Event | None = None) -> int:
    stop = stop or threading.Event()
    total = 0
    for phase in plan.phases:
        if not phase.targets:
            continue
        reporter.step_started(phase.id, phase.title)
        try:
            total += run_phase(kube, phase, reporter, opts, stop)
        except Stuck:
            reporter.step_finished(phase.id, False, "stopped here: later phases were not run")
            raise
        reporter.step_finished(phase.id, True)
    return total


def report_plan(plan: CleanupPlan, reporter) -> None:
    for phase in plan.phases:
        if not phase.targets:
            continue
        reporter.step_started(phase.id, phase.title)
        for t in phase.targets:
            reporter.change(phase.id, Change("update" if t.release else "delete", t.ref, None, t.note), False)
        reporter.step_finished(phase.id, True)
    report_kept(plan, reporter)


def report_kept(plan: CleanupPlan, reporter) -> None:
    if plan.kept:
        reporter.step_started("kept", "Left in place")
        for t in plan.kept:
            reporter.change("kept", Change("keep", t.ref, None, t.note), False)
        reporter.step_finished("kept", True)


def cleanup(opts, reporter, confirm: Callable[[str], bool] | None = None) -> None:
    """The `orch cleanup` command (opts: workflow_ns.Day2Options with extra CleanupOptions fields)."""
    from orchestrator_cli.day2.namespaces import _connect
    from orchestrator_cli.generations.detect import detect_optional
    from orchestrator_cli.kube.lock import InstallLock

    copts = CleanupOptions(**{k: v for k, v in opts.extra.items() if k in CleanupOptions.__dataclass_fields__})
    if copts.purge_knative and not copts.purge:
        from orchestrator_cli.core.errors import InputError

        raise InputError("--purge-knative needs --purge")
    kube = _connect(opts)
    inst = detect_optional(kube)
    if inst is not None:
        reporter.info(f"Orchestrator {inst.version} found: CR {inst.cr_ref}")
    plan = plan_cleanup(kube, inst, copts)
    summary = {"command": "cleanup", "dry_run": opts.dry_run, "version": inst.version if inst else None,
               "plan": plan.to_dict(), "deleted": 0}
    if plan.empty:
        report_kept(plan, reporter)
        reporter.summary({**summary, "nothing_to_do": True})
        return
    if opts.dry_run:
        report_plan(plan, reporter)
        reporter.summary(summary)
        return
    if not opts.extra.get("yes"):
        report_plan(plan, reporter)
        count = sum(len(p.targets) for p in plan.phases)
        if confirm is None:
            raise Refused(f"cleanup would delete {count} object(s) listed above; re-run with --yes "
                          "(no terminal to confirm on)")
        if not confirm(f"Delete the {count} object(s) listed above?"):
            raise Refused("cleanup cancelled; nothing was deleted")
    lock = None
    if inst is not None and kube.get(Ref("v1", "Namespace", inst.generation.operator.namespace)) is not None:
        lock = InstallLock(kube, inst.generation.operator.namespace, on_wait=reporter.info)
        lock.acquire()
    stop = threading.Event()
    try:
        summary["deleted"] = execute(kube, plan, reporter, copts, stop)
    finally:
        stop.set()
        if lock is not None:
            lock.release()
    report_kept(plan, reporter)
    reporter.summary(summary)
