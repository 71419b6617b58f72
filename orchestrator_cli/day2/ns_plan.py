"""Planning and applying add-namespace and remove-namespace for one namespace (reads, then writes only in
apply_plan). Removal undoes exactly what add-namespace did: see day2/namespaces.py for the ownership rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from orchestrator_cli.core.errors import InputError, Refused, StepFailed
from orchestrator_cli.core.ownership import MANAGED_BY_SELECTOR, created_by_orch, is_managed
from orchestrator_cli.core.plan import Change, plan_object
from orchestrator_cli.day2.ns_desired import (
    COPIED_FROM,
    FIELD_MANAGER,
    FOR_NAMESPACE,
    NP_API,
    SONATAFLOW_API,
    NsKube,
    desired_policies,
    desired_secret,
    desired_workflow_namespace,
    workflow_patch,
)
from orchestrator_cli.generations.detect import Installation
from orchestrator_cli.kube.resources import NotServed, Ref


@dataclass
class Plan:
    """What one command would do; `patches` holds merge patches for changes without a desired object."""

    namespace: str
    changes: list[Change] = field(default_factory=list)
    patches: dict[Ref, dict] = field(default_factory=dict)
    deletes: list[Ref] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def writes(self) -> bool:
        return any(c.action in ("create", "update", "delete") for c in self.changes)


def _list(kube: NsKube, api_version: str, kind: str, namespace: str | None = None, **kw) -> list[dict]:
    try:
        items, _ = kube.list(api_version, kind, namespace, **kw)
    except NotServed:
        return []
    return items


def _validate_name(namespace: str) -> None:
    """Bad input is rejected before connecting: nothing is read or written."""
    from orchestrator_cli.core.validation import validate_namespace

    validate_namespace(namespace, "workflow namespace")


def _check_target(inst: Installation, namespace: str) -> None:
    _validate_name(namespace)
    own = {inst.workflow_namespace: "the SonataFlow platform namespace (already a workflow namespace)",
           inst.orchestrator_namespace: "the Orchestrator CR's namespace",
           inst.rhdh_namespace: "the RHDH namespace"}
    if namespace in own:
        raise InputError(f"{namespace} is {own[namespace]}; choose another namespace")


def plan_add(kube: NsKube, inst: Installation, namespace: str, *, patch_workflows: bool = True) -> Plan:
    """Read the cluster and plan add-namespace; writes nothing."""
    _check_target(inst, namespace)
    plan = Plan(namespace)
    ns_ref = Ref("v1", "Namespace", namespace)
    live_ns = kube.get(ns_ref)
    if live_ns is not None and (live_ns.get("metadata") or {}).get("deletionTimestamp"):
        raise StepFailed(f"namespace {namespace} is being deleted (Terminating); wait until it is gone")
    note = "created by orch" if live_ns is None or created_by_orch(live_ns) else "existing; labels only"
    plan.changes.append(plan_object(kube, desired_workflow_namespace(inst, namespace, live_ns), note))

    for policy in desired_policies(inst, namespace):
        ref = Ref.of(policy)
        live = kube.get(ref)
        if live is not None and not is_managed(live):
            plan.changes.append(Change("keep", ref, None, "exists and is not managed by orch; left as is"))
            continue
        plan.changes.append(plan_object(kube, policy))

    source_ref = Ref("v1", "Secret", inst.postgres_secret, inst.workflow_namespace)
    source = kube.get(source_ref)
    if source is None:
        raise StepFailed(f"PostgreSQL secret {inst.postgres_secret} not found in {inst.workflow_namespace}; "
                         "is the installation complete? (`orch status`)")
    from orchestrator_cli.core import secrets

    secrets.register_secrets(secrets.live_values(source))
    secret = desired_secret(inst, source, namespace)
    secret_ref = Ref.of(secret)
    live_secret = kube.get(secret_ref)
    if live_secret is not None and not is_managed(live_secret):
        same = (live_secret.get("data") or {}) == (source.get("data") or {})
        plan.changes.append(Change("keep", secret_ref, None, "exists, not managed by orch; "
                                   + ("same credentials as the source" if same else "DIFFERS from the source")))
        if not same:
            plan.warnings.append(f"Secret {inst.postgres_secret} in {namespace} was not created by orch and differs "
                                 f"from {inst.workflow_namespace}/{inst.postgres_secret}; workflows may fail to "
                                 "connect to PostgreSQL (delete it and re-run to get a fresh copy)")
    else:
        plan.changes.append(plan_object(kube, secret, f"rebuilt from {inst.workflow_namespace}/{inst.postgres_secret}"))

    if patch_workflows and live_ns is not None:
        for wf in _list(kube, SONATAFLOW_API, "SonataFlow", namespace):
            ref = Ref(SONATAFLOW_API, "SonataFlow", wf["metadata"]["name"], namespace)
            patch, why = workflow_patch(wf, inst)
            if patch is None:
                plan.changes.append(Change("unchanged", ref, None, why))
            else:
                plan.changes.append(Change("update", ref, None, why))
                plan.patches[ref] = patch
    return plan


def apply_plan(kube: NsKube, plan: Plan, reporter, step_id: str, before_write=lambda: None) -> None:
    for change in plan.changes:
        if change.action in ("create", "update"):
            before_write()
            if change.desired is not None:
                kube.apply(change.desired)
            else:
                kube.merge_patch(change.ref, plan.patches[change.ref])
            reporter.change(step_id, change, True)
        elif change.action == "delete":
            before_write()
            kube.delete(change.ref)
            reporter.change(step_id, change, True)
        else:
            reporter.change(step_id, change, False)


# -- removal -------------------------------------------------------------------------------------

def orch_owned_metadata(obj: dict, manager: str = FIELD_MANAGER) -> tuple[set[str], set[str]]:
    """Label and annotation keys only orch's server-side apply owns (pure, from managedFields).

    An empty apply by the same manager removes exactly these; keys another manager also owns stay.
    """
    def keys(entry: dict, section: str) -> set[str]:
        fields = ((entry.get("fieldsV1") or {}).get("f:metadata") or {}).get(f"f:{section}") or {}
        return {k[2:] for k in fields if k.startswith("f:")}

    entries = (obj.get("metadata") or {}).get("managedFields") or []
    mine = [e for e in entries if e.get("manager") == manager and e.get("operation") == "Apply"]
    others = [e for e in entries if not (e.get("manager") == manager and e.get("operation") == "Apply")]
    out = []
    for section in ("labels", "annotations"):
        owned = set().union(*(keys(e, section) for e in mine)) if mine else set()
        shared = set().union(*(keys(e, section) for e in others)) if others else set()
        out.append(owned - shared)
    return out[0], out[1]


def release_change(namespace_obj: dict, note_prefix: str = "") -> Change | None:
    """A Change that drops orch's applied labels/annotations from a namespace orch did not create."""
    labels, annotations = orch_owned_metadata(namespace_obj)
    if not labels and not annotations:
        return None
    name = namespace_obj["metadata"]["name"]
    parts = []
    if labels:
        parts.append("labels " + ", ".join(sorted(labels)))
    if annotations:
        parts.append("annotations " + ", ".join(sorted(annotations)))
    empty = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
    # An empty applied configuration by orch's field manager drops exactly orch's fields.
    return Change("update", Ref("v1", "Namespace", name), empty, f"{note_prefix}remove orch's {'; '.join(parts)}")


def orch_policies_for(kube: NsKube, inst: Installation | None, namespace: str,
                      platform_namespace: str | None) -> list[Ref]:
    refs = [Ref(NP_API, "NetworkPolicy", p["metadata"]["name"], namespace)
            for p in _list(kube, NP_API, "NetworkPolicy", namespace, label_selector=MANAGED_BY_SELECTOR)]
    if platform_namespace:
        for p in _list(kube, NP_API, "NetworkPolicy", platform_namespace, label_selector=MANAGED_BY_SELECTOR):
            if ((p["metadata"].get("annotations") or {}).get(FOR_NAMESPACE)) == namespace:
                refs.append(Ref(NP_API, "NetworkPolicy", p["metadata"]["name"], platform_namespace))
    return refs


def plan_remove(kube: NsKube, inst: Installation | None, namespace: str) -> Plan:
    """Undo add-namespace: orch's policies and secret copy, orch's labels; the namespace if orch created it."""
    if inst is not None:
        _check_target(inst, namespace)
    plan = Plan(namespace)
    live_ns = kube.get(Ref("v1", "Namespace", namespace))
    if live_ns is None:
        plan.changes.append(Change("unchanged", Ref("v1", "Namespace", namespace), None, "does not exist"))
        return plan
    platform = inst.workflow_namespace if inst else None
    workflows = [w["metadata"]["name"] for w in _list(kube, SONATAFLOW_API, "SonataFlow", namespace)]
    if created_by_orch(live_ns):
        if workflows:
            raise Refused(f"namespace {namespace} was created by orch and still holds SonataFlow workflows "
                          f"({', '.join(sorted(workflows))}); delete them first (deleting the namespace would "
                          "delete them)")
        for ref in orch_policies_for(kube, inst, namespace, platform):
            if ref.namespace != namespace:
                plan.changes.append(Change("delete", ref, None, "platform-side policy"))
        plan.changes.append(Change("delete", Ref("v1", "Namespace", namespace), None,
                                   "created by orch (its policies and secret go with it)"))
        return plan
    for ref in orch_policies_for(kube, inst, namespace, platform):
        plan.changes.append(Change("delete", ref, None, "managed by orch"))
    for s in _list(kube, "v1", "Secret", namespace, label_selector=MANAGED_BY_SELECTOR):
        if (s["metadata"].get("annotations") or {}).get(COPIED_FROM):
            plan.changes.append(Change("delete", Ref("v1", "Secret", s["metadata"]["name"], namespace), None,
                                       "PostgreSQL secret copy"))
    release = release_change(live_ns)
    if release is not None:
        plan.changes.append(release)
    if workflows:
        plan.warnings.append(f"SonataFlow workflows remain in {namespace} ({', '.join(sorted(workflows))}); "
                             "they lose access to PostgreSQL and to the platform without these policies")
    if not plan.changes:
        plan.changes.append(Change("unchanged", Ref("v1", "Namespace", namespace), None,
                                   "nothing of orch's here (not enabled by orch)"))
    return plan
