"""`orch workflow list`, `orch workflow uninstall` and the post-renderer Helm runs (`orch workflow post-render`)."""

from __future__ import annotations

import re
import threading
from typing import TextIO

from orchestrator_cli.core.errors import HelmUnavailable, NotInstalled, Refused, Stuck
from orchestrator_cli.core.plan import Change
from orchestrator_cli.health import readiness
from orchestrator_cli.kube.client import RESOURCES, NotServed, Ref
from orchestrator_cli.workflows.repository import compatible
from orchestrator_cli.workflows.wiring import SONATAFLOW_API, is_sonataflow, namespace_of, split_manifest

RELEASE_NAME = "meta.helm.sh/release-name"
RELEASE_NAMESPACE = "meta.helm.sh/release-namespace"
_CHART = re.compile(r"^(?P<name>.+?)-(?P<version>v?\d+\.\d+\.\d+(?:[-+].*)?)$")


def split_chart(chart: str) -> tuple[str, str]:
    """helm list's "greeting-1.7.0-rc3" -> ("greeting", "1.7.0-rc3") (pure)."""
    m = _CHART.match(chart or "")
    return (m.group("name"), m.group("version")) if m else (chart or "", "")


def workflow_row(flow: dict, releases: dict[tuple[str, str], dict], orchestrator_version: str,
                 workflow_namespaces: set[str]) -> dict:
    """One line of `orch workflow list` (pure)."""
    md = flow.get("metadata") or {}
    ann = md.get("annotations") or {}
    rel = releases.get((ann.get(RELEASE_NAMESPACE, ""), ann.get(RELEASE_NAME, "")))
    chart, version = split_chart(rel.get("chart", "")) if rel else ("", "")
    from orchestrator_cli.workflows.project import is_deployed_project

    verdict = readiness.sonataflow(flow)
    reason = "" if isinstance(verdict, readiness.Ready) else verdict.reason
    if md.get("namespace") not in workflow_namespaces:
        reason = (reason + "; " if reason else "") + "not in a workflow namespace (orch workflow add-namespace)"
    return {"name": md.get("name"), "namespace": md.get("namespace"),
            "source": "chart" if rel else ("project" if is_deployed_project(flow) else None),
            "release": ann.get(RELEASE_NAME) if rel else None, "chart": chart or None,
            "chart_version": version or None,
            "compatible": compatible(version, orchestrator_version) if version else None,
            "running": isinstance(verdict, readiness.Ready), "reason": reason,
            "terminating": bool(md.get("deletionTimestamp"))}


def list_workflows(opts, reporter) -> None:
    """Informational: exit 0 whatever the workflows' state (`orch status` is the health gate)."""
    from orchestrator_cli.day2.common import _connect
    from orchestrator_cli.day2.ns_assess import workflow_namespaces
    from orchestrator_cli.generations.detect import detect
    from orchestrator_cli.workflows.helm import find_helm
    from orchestrator_cli.workflows.options import common

    base = common(opts.extra)
    try:
        helm = find_helm(base["helm"], kubeconfig=opts.kubeconfig, context=opts.context)
    except HelmUnavailable as exc:
        helm = None
        reporter.warn(f"{exc.message} (chart versions are not shown)")
    kube = _connect(opts)
    inst = detect(kube)
    releases = {(r.get("namespace", ""), r.get("name", "")): r for r in (helm.list_releases() if helm else [])}
    enabled = {n["metadata"]["name"] for n in workflow_namespaces(kube, inst)}
    try:
        flows, _ = kube.list(SONATAFLOW_API, "SonataFlow", base["namespace"])
    except NotServed:
        flows = []
    rows = [workflow_row(f, releases, inst.version, enabled)
            for f in sorted(flows, key=lambda f: (f["metadata"]["namespace"], f["metadata"]["name"]))]
    reporter.summary({"command": "workflow-list", "orchestrator_version": inst.version, "workflows": rows})


def _operator_running(kube, inst) -> tuple[bool, str]:
    ref = inst.sonataflow_operator_ref if inst is not None else None
    if ref is None:
        return False, "no SonataFlow operator is known for this installation"
    dep = kube.get(ref)
    if dep is None:
        return False, f"the SonataFlow operator ({ref}) does not exist"
    verdict = readiness.deployment(dep)
    if isinstance(verdict, readiness.Ready):
        return True, f"the SonataFlow operator ({ref}) is Available"
    selector = ",".join(f"{k}={v}" for k, v in sorted(
        (((dep.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}).items()))
    pods = kube.list("v1", "Pod", ref.namespace, label_selector=selector)[0] if selector else []
    why = next((r for r in (readiness.pod_failure(p) for p in pods) if r), verdict.reason)
    return False, f"the SonataFlow operator ({ref}) is not Available ({why})"


def _held(kube, objects: list[dict], namespace: str) -> list[str]:
    """The SonataFlows among `objects` whose live copies carry finalizers (only their operator removes them)."""
    held = []
    for o in objects:
        if is_sonataflow(o):
            live = kube.get(Ref(SONATAFLOW_API, "SonataFlow", o["metadata"]["name"], namespace_of(o, namespace)))
            if live is not None and (live.get("metadata") or {}).get("finalizers"):
                held.append(f"SonataFlow {o['metadata']['name']}: finalizers {', '.join(live['metadata']['finalizers'])}")
    return held


def uninstall(opts, reporter) -> None:
    """Remove a workflow: a Helm release NAME (`helm uninstall`), or what `orch workflow deploy` made for project
    NAME (its ConfigMaps and SonataFlow, deleted by orch); then wait until all of it is gone."""
    from orchestrator_cli.day2.cleanup import wait_gone
    from orchestrator_cli.day2.cleanup_diagnose import diagnose
    from orchestrator_cli.day2.common import _connect
    from orchestrator_cli.generations.detect import detect_optional
    from orchestrator_cli.kube.lock import InstallLock
    from orchestrator_cli.workflows.helm import find_helm
    from orchestrator_cli.workflows.options import common, validate_workflow_name
    from orchestrator_cli.workflows.project import deployed_objects, is_deployed_project

    base = common(opts.extra)
    name = validate_workflow_name(opts.extra["name"])
    helm, no_helm = None, None
    try:
        helm = find_helm(base["helm"], kubeconfig=opts.kubeconfig, context=opts.context)
    except HelmUnavailable as exc:  # fatal only if the workflow turns out to be a Helm release
        no_helm = exc
    kube = _connect(opts)
    inst = detect_optional(kube)
    namespace = base["namespace"] or (inst.workflow_namespace if inst is not None else None)
    if namespace is None:
        raise NotInstalled("no Orchestrator installation found to take the workflow namespace from; pass --namespace")
    step = "uninstall"
    reporter.step_started(step, f"Workflow {name} in {namespace}")
    flow_ref = Ref(SONATAFLOW_API, "SonataFlow", name, namespace)
    flow = kube.get(flow_ref)
    summary = {"command": "workflow-uninstall", "workflow": name, "namespace": namespace, "dry_run": opts.dry_run,
               "removed": [], "nothing_to_do": False, "source": None}
    status = None
    if is_deployed_project(flow):
        objects = list(reversed(deployed_objects(kube, name, namespace)))  # the SonataFlow first
        summary["source"], why = "project", f"made by orch workflow deploy {name}"
    else:
        if helm is None:
            raise no_helm  # type: ignore[misc]
        status = helm.release(name, namespace)
        if status is None:
            if flow is not None:
                raise Refused(f"SonataFlow {name} in {namespace} was neither installed from a chart (no Helm release "
                              f"{name} there) nor deployed by orch; orch removes only what it or its charts created: "
                              f"delete it yourself (kubectl -n {namespace} delete sonataflow {name})")
            reporter.change(step, Change("unchanged", flow_ref, None, "no Helm release and no SonataFlow of that name"),
                            False)
            reporter.step_finished(step, True, "nothing to remove")
            reporter.summary({**summary, "nothing_to_do": True})
            return
        objects = split_manifest(status.get("manifest") or "")
        summary["source"], why = "chart", f"Helm release {name}"
    refs = [Ref(o["apiVersion"], o["kind"], o["metadata"]["name"], namespace_of(o, namespace)) for o in objects]
    held = _held(kube, objects, namespace)
    if held:
        running, state = _operator_running(kube, inst)
        if not running:
            raise Refused(f"not uninstalling {name}: {state}, and only it removes the workflow's finalizers (the "
                          "deletion would hang in Terminating)",
                          details=held + ["bring the operator back (`orch status` shows what is wrong with it; "
                                          "`orch install` re-creates what it installed), then run this command again",
                                          "if the operator is gone for good: `orch cleanup --include-workflows "
                                          "--force-finalizers` removes the finalizers (what they guard stays behind)"])
    if opts.dry_run:
        for ref in refs:
            reporter.change(step, Change("delete", ref, None, why), False)
        reporter.step_finished(step, True, "dry run: nothing removed")
        reporter.summary({**summary, "removed": [str(r) for r in refs]})
        return
    lock = InstallLock(kube, inst.generation.lock_namespace, on_wait=reporter.info) if inst is not None else None
    try:
        if lock is not None:
            lock.acquire()
        if status is not None:
            helm.uninstall(name, namespace, timeout=base["timeout"])  # type: ignore[union-attr]
        else:
            for ref in refs:
                kube.delete(ref)
    finally:
        if lock is not None:
            lock.release()
    left = wait_gone(kube, [r for r in refs if (r.api_version, r.kind) in RESOURCES], base["timeout"],
                     threading.Event())
    if left:
        details: list[str] = []
        for ref, obj in left:
            details += diagnose(kube, ref, obj)
        reporter.step_finished(step, False)
        raise Stuck(f"workflow {name}: still present after {base['timeout']:.0f}s: "
                    + ", ".join(str(r) for r, _ in left), details=details)
    for ref in refs:
        reporter.change(step, Change("delete", ref, None, why), True)
    reporter.step_finished(step, True, f"{len(refs)} object(s) removed")
    reporter.summary({**summary, "removed": [str(r) for r in refs]})


def post_render(namespace: str, env_items: list[str], kubeconfig: str | None, context: str | None,
                stdin: TextIO, stdout: TextIO) -> None:
    """Helm's post-renderer: the manifest on stdin, wired, on stdout (nothing else is written there)."""
    from orchestrator_cli.core.validation import validate_namespace
    from orchestrator_cli.generations.detect import detect
    from orchestrator_cli.kube.client import connect
    from orchestrator_cli.workflows.facts import gather
    from orchestrator_cli.workflows.values import parse_env
    from orchestrator_cli.workflows.wiring import join_manifest, wire

    validate_namespace(namespace, "--namespace")
    env = parse_env(env_items)
    text = stdin.read()
    kube = connect(kubeconfig, context)
    inst = detect(kube)
    facts, _ = gather(kube, inst, namespace, env)
    stdout.write(join_manifest(wire(split_manifest(text), facts).objects))
    stdout.flush()
