"""When cleanup is stuck: what holds an object (finalizers, conditions, a namespace's content), which operator
should process it and whether it runs; and --force-finalizers' removal of what holds it."""

from __future__ import annotations

from orchestrator_cli.day2.cleanup_plan import FINALIZER_KINDS, OLM, CleanupKube, _list, _ref
from orchestrator_cli.health import readiness
from orchestrator_cli.kube.resources import Ref


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
        if ((csv.get("metadata") or {}).get("labels") or {}).get("olm.copiedFrom"):
            continue  # OLM's copy of an AllNamespaces CSV: its Deployment runs in the original's namespace
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
