"""Completeness of workflow namespaces (list-namespaces, status): label, policies both ways, secret copy,
workflow serviceRefs; and the check (checks-as-data) that reports one namespace."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable

from orchestrator_cli.core.namespaces import WORKFLOW_LABEL
from orchestrator_cli.core.ownership import WORKFLOW_NAMESPACE_MARK, created_by_orch
from orchestrator_cli.day2.ns_desired import MONITORING_NAMESPACE, NP_API, SONATAFLOW_API, NsKube, ingress_sources, \
    workflow_patch
from orchestrator_cli.day2.ns_plan import _list
from orchestrator_cli.generations.detect import Installation
from orchestrator_cli.kube.resources import Ref


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


NAME_LABEL = "kubernetes.io/metadata.name"


def _pinned_names(policy: dict, policy_namespace: str) -> set[str] | None:
    """The namespaces a policy can admit at most, when every peer pins one by name (namespaceSelector
    matchLabels kubernetes.io/metadata.name; a podSelector-only peer: its own namespace); None otherwise (pure)."""
    names: set[str] = set()
    for rule in (policy.get("spec") or {}).get("ingress") or []:
        peers = rule.get("from")
        if not peers:
            return None  # admits everyone
        for peer in peers:
            ns_sel = peer.get("namespaceSelector")
            if ns_sel is None:
                if "ipBlock" not in peer:
                    names.add(policy_namespace)
                continue
            pinned = (ns_sel.get("matchLabels") or {}).get(NAME_LABEL)
            if pinned is None:
                return None
            names.add(pinned)
    return names


def admission_candidates(policies: Iterable[dict], policy_namespace: str) -> Callable[[str], list[dict]]:
    """source namespace -> the policies that may admit it (pure): admits(candidates(ns), ...) equals
    admits(policies, ...), but one namespace's check no longer reads the policies pinned to the others (the
    platform namespace holds one `allow-workflows-from-NS` per workflow namespace: quadratic otherwise)."""
    by_name: dict[str, list[dict]] = {}
    general: list[dict] = []
    for p in policies:
        names = _pinned_names(p, policy_namespace)
        if names is None:
            general.append(p)
        else:
            for n in names:
                by_name.setdefault(n, []).append(p)
    return lambda source: general + by_name.get(source, [])


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
    """Namespaces labelled as workflow namespaces or enabled by orch, platform namespace first (one list)."""
    found: dict[str, dict] = {}
    for ns in _list(kube, "v1", "Namespace"):
        md = ns.get("metadata") or {}
        if (WORKFLOW_LABEL in (md.get("labels") or {}) or WORKFLOW_NAMESPACE_MARK in (md.get("annotations") or {})
                or md.get("name") == inst.workflow_namespace):
            found[md["name"]] = ns
    return sorted(found.values(), key=lambda n: (n["metadata"]["name"] != inst.workflow_namespace,
                                                 n["metadata"]["name"]))


def by_namespace(items: Iterable[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for item in items:
        out.setdefault((item.get("metadata") or {}).get("namespace"), []).append(item)
    return out


def _per_namespace_reads(kube: NsKube, inst: Installation, names: list[str]) -> tuple[dict, dict]:
    """Policies and PostgreSQL secret copies, one list each across the cluster; namespace by namespace only when
    the user may not list them cluster-wide (the requests then grow with the namespaces)."""
    from orchestrator_cli.core.errors import Forbidden

    try:
        policies = by_namespace(_list(kube, NP_API, "NetworkPolicy"))
        secrets = {ns: items[0] for ns, items in by_namespace(
            _list(kube, "v1", "Secret", field_selector=f"metadata.name={inst.postgres_secret}")).items()}
    except Forbidden:
        policies = {n: _list(kube, NP_API, "NetworkPolicy", n) for n in names}
        secrets = {n: s for n in names if (s := kube.get(Ref("v1", "Secret", inst.postgres_secret, n))) is not None}
    return policies, secrets


def assess_all(kube: NsKube, inst: Installation, workflows: list[dict] | None = None) -> list[NamespaceReport]:
    """Every workflow namespace's completeness with a fixed number of requests (list once, then group):
    namespaces, NetworkPolicies, the PostgreSQL secret copies and SonataFlows, whatever their number."""
    namespaces = workflow_namespaces(kube, inst)
    names = [n["metadata"]["name"] for n in namespaces]
    policies, secrets = _per_namespace_reads(kube, inst, list(dict.fromkeys([inst.workflow_namespace, *names])))
    platform_policies = policies.get(inst.workflow_namespace, [])
    source = secrets.get(inst.workflow_namespace)
    flows = by_namespace(workflows if workflows is not None else _list(kube, SONATAFLOW_API, "SonataFlow"))
    into_platform = admission_candidates(platform_policies, inst.workflow_namespace)
    return [assess_namespace(inst, ns, policies.get(name, []),
                             platform_policies if name == inst.workflow_namespace else into_platform(name),
                             secrets.get(name), source, flows.get(name, []))
            for ns, name in zip(namespaces, names)]


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
