"""Completeness of workflow namespaces (list-namespaces, status): label, policies both ways, secret copy,
workflow serviceRefs; and the check (checks-as-data) that reports one namespace."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

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
