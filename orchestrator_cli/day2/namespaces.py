"""`orch workflow add-namespace / list-namespaces / remove-namespace` (reference section 6.3).

A workflow namespace outside the SonataFlow platform namespace needs:
- the label rhdh.redhat.com/workflow-namespace (and argocd.argoproj.io/managed-by with GitOps);
- NetworkPolicies in it admitting the RHDH namespace, the platform namespace, knative-eventing,
  knative-serving (and user-workload monitoring where the generation enables it), plus
  intra-namespace traffic;
- a separate NetworkPolicy in the platform namespace admitting it (never a patch to the
  operator's own policy: the operator reverts such patches);
- a copy of the PostgreSQL secret, rebuilt from the source's .data (never the live object);
- SonataFlow workflows whose persistence serviceRef lacks the PostgreSQL namespace, patched.

Ownership: objects orch creates carry app.kubernetes.io/managed-by=orch; a namespace orch creates
carries the created-namespace annotation; labels on a pre-existing namespace are set by
server-side apply (field manager "orch") together with the WORKFLOW_NAMESPACE_MARK annotation.
Removal releases exactly orch's applied fields (an empty apply by the same manager), so a label
someone else also set survives, and deletes only objects labelled managed-by=orch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Protocol

from orchestrator_cli.core.errors import InputError, Refused, StepFailed
from orchestrator_cli.core.namespaces import ARGOCD_MANAGED_BY, WORKFLOW_LABEL, desired_namespace
from orchestrator_cli.core.ownership import (
    MANAGED_BY,
    MANAGED_BY_SELECTOR,
    WORKFLOW_NAMESPACE_MARK,
    created_by_orch,
    is_managed,
)
from orchestrator_cli.core.plan import Change, plan_object
from orchestrator_cli.generations.detect import Installation
from orchestrator_cli.kube.client import NotServed, Ref

NP_API = "networking.k8s.io/v1"
SONATAFLOW_API = "sonataflow.org/v1alpha08"
IN_NS_POLICY = "allow-rhdh-to-sonataflow-and-workflows"  # upstream name (reference 6.3)
INTRA_POLICY = "allow-intra-namespace"
MONITORING_NAMESPACE = "openshift-user-workload-monitoring"
KNATIVE_NAMESPACES = ("knative-eventing", "knative-serving")
FOR_NAMESPACE = "orch.rhdhorchestrator.io/for-namespace"  # annotation on orch's platform-side policy
COPIED_FROM = "orch.rhdhorchestrator.io/copied-from"
FIELD_MANAGER = "orch"


class NsKube(Protocol):
    def get(self, ref: Ref) -> dict | None: ...
    def list(self, api_version: str, kind: str, namespace: str | None = None, *, label_selector: str | None = None,
             field_selector: str | None = None) -> tuple[list[dict], str | None]: ...
    def apply(self, obj: dict) -> dict: ...
    def merge_patch(self, ref: Ref, patch: dict) -> dict: ...
    def delete(self, ref: Ref) -> None: ...


def platform_policy_name(namespace: str) -> str:
    return f"allow-workflows-from-{namespace}"


def _ns_peer(name: str) -> dict:
    return {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": name}}}


def ingress_sources(inst: Installation) -> list[str]:
    """Namespaces whose traffic workflows in an extra namespace must accept (ordered, unique)."""
    sources = [inst.rhdh_namespace, inst.workflow_namespace, *KNATIVE_NAMESPACES]
    if inst.generation.monitoring_network_policy:
        sources.append(MONITORING_NAMESPACE)
    return list(dict.fromkeys(s for s in sources if s))


def desired_policies(inst: Installation, namespace: str) -> list[dict]:
    """The three NetworkPolicies for one workflow namespace (pure)."""
    md = lambda name, ns, ann=None: {"name": name, "namespace": ns, "labels": dict(MANAGED_BY),  # noqa: E731
                                     **({"annotations": ann} if ann else {})}
    return [
        {"apiVersion": NP_API, "kind": "NetworkPolicy", "metadata": md(IN_NS_POLICY, namespace),
         "spec": {"podSelector": {}, "policyTypes": ["Ingress"],
                  "ingress": [{"from": [_ns_peer(s) for s in ingress_sources(inst)]}]}},
        {"apiVersion": NP_API, "kind": "NetworkPolicy", "metadata": md(INTRA_POLICY, namespace),
         "spec": {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{"from": [{"podSelector": {}}]}]}},
        {"apiVersion": NP_API, "kind": "NetworkPolicy",
         "metadata": md(platform_policy_name(namespace), inst.workflow_namespace, {FOR_NAMESPACE: namespace}),
         "spec": {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{"from": [_ns_peer(namespace)]}]}},
    ]


def desired_secret(inst: Installation, source: dict, namespace: str) -> dict:
    """The PostgreSQL secret rebuilt from the source's type and .data only (pure)."""
    return {
        "apiVersion": "v1", "kind": "Secret", "type": source.get("type") or "Opaque",
        "metadata": {"name": inst.postgres_secret, "namespace": namespace, "labels": dict(MANAGED_BY),
                     "annotations": {COPIED_FROM: f"{inst.workflow_namespace}/{inst.postgres_secret}"}},
        "data": {k: v for k, v in sorted((source.get("data") or {}).items())},
    }


def namespace_labels(inst: Installation) -> dict[str, str]:
    labels = {WORKFLOW_LABEL: ""}
    if inst.gitops and inst.argocd_namespace:
        labels[ARGOCD_MANAGED_BY] = inst.argocd_namespace
    return labels


def desired_workflow_namespace(inst: Installation, namespace: str, live: dict | None) -> dict:
    desired = desired_namespace(namespace, namespace_labels(inst), live)
    assert desired is not None  # labels are never empty
    desired["metadata"].setdefault("annotations", {})[WORKFLOW_NAMESPACE_MARK] = "true"
    return desired


def workflow_patch(workflow: dict, inst: Installation) -> tuple[dict | None, str]:
    """The merge patch pointing a workflow's PostgreSQL serviceRef at orch's PostgreSQL namespace (pure).

    Returns (None, reason) when nothing is to change: no postgresql persistence in the spec (the
    workflow then uses the platform's), a serviceRef naming another database server, or a
    namespace already set.
    """
    pg = (((workflow.get("spec") or {}).get("persistence") or {}).get("postgresql"))
    if not isinstance(pg, dict):
        return None, "no spec.persistence.postgresql: uses the platform's persistence"
    ref = pg.get("serviceRef") or {}
    if ref.get("name") and ref["name"] != inst.postgres_service:
        return None, f"serviceRef names {ref['name']}, not {inst.postgres_service}: left as is"
    current = ref.get("namespace")
    if current == inst.postgres_namespace:
        return None, f"serviceRef.namespace already {current}"
    if current:
        return None, f"serviceRef.namespace is {current}: left as is"
    return ({"spec": {"persistence": {"postgresql": {"serviceRef": {"namespace": inst.postgres_namespace}}}}},
            f"set spec.persistence.postgresql.serviceRef.namespace={inst.postgres_namespace}")


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


# -- completeness (list-namespaces, status) -------------------------------------------------------

def _selector_matches(selector: dict | None, labels: dict[str, str]) -> bool:
    """A LabelSelector against labels; matchExpressions are evaluated for In/NotIn/Exists/DoesNotExist."""
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def admits(policies: Iterable[dict], policy_namespace: str, source_namespace: str,
           source_labels: dict[str, str]) -> bool:
    """Does some ingress policy selecting every pod of policy_namespace admit traffic from source_namespace? (pure)"""
    labels = {"kubernetes.io/metadata.name": source_namespace, **source_labels}
    for p in policies:
        spec = p.get("spec") or {}
        pod_selector = spec.get("podSelector") or {}
        if pod_selector.get("matchLabels") or pod_selector.get("matchExpressions"):
            continue  # selects only some pods
        if "Ingress" not in (spec.get("policyTypes") or ["Ingress"]):
            continue
        for rule in spec.get("ingress") or []:
            peers = rule.get("from")
            if not peers:
                return True  # a rule without `from` admits everyone
            for peer in peers:
                ns_sel = peer.get("namespaceSelector")
                if ns_sel is None:
                    if source_namespace == policy_namespace and "ipBlock" not in peer:
                        return True  # podSelector-only peer: same namespace
                    continue
                if _selector_matches(ns_sel, labels) and not (peer.get("podSelector") or {}).get("matchLabels"):
                    return True
    return False


@dataclass
class NamespaceReport:
    name: str
    role: str  # platform | workflow
    labelled: bool
    created_by_orch: bool
    enabled_by_orch: bool
    missing: list[str] = field(default_factory=list)  # what makes it incomplete
    workflows: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.missing

    def to_dict(self) -> dict:
        return {"namespace": self.name, "role": self.role, "complete": self.complete, "labelled": self.labelled,
                "created_by_orch": self.created_by_orch, "enabled_by_orch": self.enabled_by_orch,
                "missing": self.missing, "workflows": self.workflows}


def assess_namespace(inst: Installation, ns_obj: dict, policies: list[dict], platform_policies: list[dict],
                     secret: dict | None, source_secret: dict | None, workflows: list[dict]) -> NamespaceReport:
    """Completeness of one namespace (pure): label, policies both ways, secret copy, workflow serviceRefs."""
    md = ns_obj.get("metadata") or {}
    name = md["name"]
    labels = md.get("labels") or {}
    report = NamespaceReport(name=name, role="platform" if name == inst.workflow_namespace else "workflow",
                             labelled=WORKFLOW_LABEL in labels, created_by_orch=created_by_orch(ns_obj),
                             enabled_by_orch=WORKFLOW_NAMESPACE_MARK in (md.get("annotations") or {}),
                             workflows=sorted(w["metadata"]["name"] for w in workflows))
    if not report.labelled:
        report.missing.append(f"label {WORKFLOW_LABEL}")
    if report.role == "platform":
        present = {p["metadata"]["name"] for p in policies}
        expected = list(inst.generation.network_policies)
        report.missing += [f"NetworkPolicy {n} (created by the Orchestrator operator)" for n in expected
                           if n not in present]
        return report
    for source in ingress_sources(inst):
        if source == MONITORING_NAMESPACE:
            continue  # optional: metrics only
        if not admits(policies, name, source, {}):
            report.missing.append(f"ingress from {source} (NetworkPolicy in {name})")
    if not admits(policies, name, name, labels):
        report.missing.append(f"intra-namespace ingress (NetworkPolicy in {name})")
    if not admits(platform_policies, inst.workflow_namespace, name, labels):
        report.missing.append(f"ingress from {name} into {inst.workflow_namespace} (NetworkPolicy there)")
    if secret is None:
        report.missing.append(f"Secret {inst.postgres_secret} (PostgreSQL credentials)")
    elif source_secret is not None:
        keys = (inst.postgres_user_key, inst.postgres_password_key)
        if any((secret.get("data") or {}).get(k) != (source_secret.get("data") or {}).get(k) for k in keys):
            report.missing.append(f"Secret {inst.postgres_secret} is stale (differs from "
                                  f"{inst.workflow_namespace}/{inst.postgres_secret})")
    for wf in workflows:
        patch, _ = workflow_patch(wf, inst)
        if patch is not None:
            report.missing.append(f"SonataFlow {wf['metadata']['name']}: serviceRef.namespace not set "
                                  f"(re-run add-namespace to patch it)")
    return report


def workflow_namespaces(kube: NsKube, inst: Installation) -> list[dict]:
    """Namespaces labelled as workflow namespaces or enabled by orch, platform namespace first."""
    found: dict[str, dict] = {}
    for ns in _list(kube, "v1", "Namespace", label_selector=WORKFLOW_LABEL):
        found[ns["metadata"]["name"]] = ns
    for ns in _list(kube, "v1", "Namespace"):
        if WORKFLOW_NAMESPACE_MARK in ((ns.get("metadata") or {}).get("annotations") or {}):
            found[ns["metadata"]["name"]] = ns
    platform = kube.get(Ref("v1", "Namespace", inst.workflow_namespace))
    if platform is not None:
        found[inst.workflow_namespace] = platform
    return sorted(found.values(), key=lambda n: (n["metadata"]["name"] != inst.workflow_namespace,
                                                 n["metadata"]["name"]))


def assess_all(kube: NsKube, inst: Installation) -> list[NamespaceReport]:
    platform_policies = _list(kube, NP_API, "NetworkPolicy", inst.workflow_namespace)
    source = kube.get(Ref("v1", "Secret", inst.postgres_secret, inst.workflow_namespace))
    all_workflows = _list(kube, SONATAFLOW_API, "SonataFlow")
    reports = []
    for ns in workflow_namespaces(kube, inst):
        name = ns["metadata"]["name"]
        if name == inst.workflow_namespace:
            policies, secret = platform_policies, source
        else:
            policies = _list(kube, NP_API, "NetworkPolicy", name)
            secret = kube.get(Ref("v1", "Secret", inst.postgres_secret, name))
        wfs = [w for w in all_workflows if w["metadata"].get("namespace") == name]
        reports.append(assess_namespace(inst, ns, policies, platform_policies, secret, source, wfs))
    return reports


# -- commands (library side; cli_day2 parses and renders) ----------------------------------------

@dataclass
class Day2Options:
    kubeconfig: str | None = None
    context: str | None = None
    output: str | None = None
    dry_run: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def _connect(opts: Day2Options):
    from orchestrator_cli.kube.client import connect

    kube = connect(opts.kubeconfig, opts.context)
    kube.server_version()
    return kube


def _summarize(plan: Plan, applied: bool) -> dict:
    counts: dict[str, int] = {}
    for c in plan.changes:
        counts[c.action] = counts.get(c.action, 0) + 1
    return {"command": "workflow", "namespace": plan.namespace, "dry_run": not applied,
            "changed": plan.writes, "counts": counts, "warnings": plan.warnings,
            "patched_workflows": [c.ref.name for c in plan.changes
                                  if c.ref.kind == "SonataFlow" and c.action == "update"]}


def add_namespace(opts: Day2Options, reporter) -> None:
    from orchestrator_cli.generations.detect import detect
    from orchestrator_cli.kube.lock import InstallLock

    namespace = opts.extra["namespace"]
    _validate_name(namespace)
    kube = _connect(opts)
    inst = detect(kube)
    _check_target(inst, namespace)
    reporter.step_started("add-namespace", f"Workflow namespace {namespace} (Orchestrator {inst.version})")
    plan = plan_add(kube, inst, namespace, patch_workflows=opts.extra.get("patch_workflows", True))
    for w in plan.warnings:
        reporter.warn(w)
    if opts.dry_run or not plan.writes:
        for c in plan.changes:
            reporter.change("add-namespace", c, False)
        reporter.step_finished("add-namespace", True, "" if plan.writes else
                               f"nothing to change: {namespace} is already enabled")
        reporter.summary({**_summarize(plan, False), "action": "add"})
        return
    lock = InstallLock(kube, inst.generation.operator.namespace, on_wait=reporter.info)
    try:
        lock.acquire()
        # Re-plan under the lock: a concurrent run may have written meanwhile.
        plan = plan_add(kube, inst, namespace, patch_workflows=opts.extra.get("patch_workflows", True))
        apply_plan(kube, plan, reporter, "add-namespace")
    finally:
        lock.release()
    reporter.step_finished("add-namespace", True)
    reporter.summary({**_summarize(plan, True), "action": "add"})


def remove_namespace(opts: Day2Options, reporter, confirm=None) -> None:
    from orchestrator_cli.generations.detect import detect_optional

    namespace = opts.extra["namespace"]
    _validate_name(namespace)
    kube = _connect(opts)
    inst = detect_optional(kube)
    reporter.step_started("remove-namespace", f"Workflow namespace {namespace}")
    plan = plan_remove(kube, inst, namespace)
    for w in plan.warnings:
        reporter.warn(w)
    deletes_namespace = any(c.action == "delete" and c.ref.kind == "Namespace" for c in plan.changes)
    if opts.dry_run or not plan.writes:
        for c in plan.changes:
            reporter.change("remove-namespace", c, False)
        reporter.step_finished("remove-namespace", True, "" if plan.writes else "nothing to remove")
        reporter.summary({**_summarize(plan, False), "action": "remove"})
        return
    if deletes_namespace and not opts.extra.get("yes"):
        for c in plan.changes:
            reporter.change("remove-namespace", c, False)
        if confirm is None or not confirm(f"Delete namespace {namespace} (created by orch) and everything in it?"):
            raise Refused(f"not deleting namespace {namespace} without confirmation; re-run with --yes")
    apply_plan(kube, plan, reporter, "remove-namespace")
    reporter.step_finished("remove-namespace", True)
    reporter.summary({**_summarize(plan, True), "action": "remove"})


def list_namespaces(opts: Day2Options, reporter) -> None:
    """Informational (exit 0 even when a namespace is incomplete; `orch status` is the health gate)."""
    from orchestrator_cli.generations.detect import detect
    from orchestrator_cli.health.checks import run_checks

    kube = _connect(opts)
    inst = detect(kube)
    reports = assess_all(kube, inst)
    checks = [namespace_check(r) for r in reports]
    reporter.checks_title = f"Workflow namespaces (Orchestrator {inst.version})"
    run_checks(checks, None, reporter)
    reporter.checks_done()
    reporter.summary({"command": "list-namespaces", "version": inst.version,
                      "namespaces": [r.to_dict() for r in reports]})


def namespace_check(report: NamespaceReport):
    """A check (checks-as-data) for one namespace's completeness; shared by list-namespaces and status."""
    from orchestrator_cli.health.checks import Check, CheckFailed

    def run(_ctx) -> str:
        if report.missing:
            raise CheckFailed("incomplete", report.missing)
        bits = [report.role]
        if report.created_by_orch:
            bits.append("created by orch")
        elif report.enabled_by_orch:
            bits.append("enabled by orch")
        bits.append(f"{len(report.workflows)} workflow(s)")
        return "complete (" + ", ".join(bits) + ")"

    hint = ("the Orchestrator operator creates the platform namespace's policies: check `orch status`"
            if report.role == "platform" else f"run `orch workflow add-namespace {report.name}`")
    # Fatal where it matters: the platform namespace, namespaces orch enabled, and any holding workflows.
    # A namespace someone else labelled, with no workflow in it, is only a warning.
    fatal = report.role == "platform" or report.enabled_by_orch or report.created_by_orch or bool(report.workflows)
    return Check(id=f"namespace/{report.name}", description=f"workflow namespace {report.name}", hint=hint,
                 run=run, fatal=fatal, category="workflow-namespaces")
