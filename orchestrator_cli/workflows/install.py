"""`orch workflow install NAME`: a workflow chart from the generation's repository, wired and waited on.

Order (nothing is written before the last read):
  1. inputs validated, helm found (3.9+), the installation detected (its version and namespaces)
  2. chart: the compatibility rule picks the version; the archive must match the index digest
  3. namespace: one that is not yet a workflow namespace is planned exactly as `add-namespace` plans it
  4. render: `helm template`, then the wiring (the same pure function Helm later runs as post-renderer)
  5. release: install, upgrade (chart, rendered objects or the live wiring differ) or unchanged
  6. writes, under the install lock, only when 3 or 5 has something to do: the namespace, then
     `helm upgrade --install` with orch as post-renderer; a re-run with nothing changed writes nothing
  7. wait: each SonataFlow Running=True and its Deployment Available, failing fast on the pods' reasons
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from orchestrator_cli.core.errors import ChartUnavailable, ReadinessTimeout, Refused, StepFailed
from orchestrator_cli.core.plan import Change
from orchestrator_cli.generations.detect import Installation
from orchestrator_cli.health.waiter import WaitItem, as_error_details, summarize_failures, wait_all
from orchestrator_cli.kube.client import RESOURCES, Ref
from orchestrator_cli.workflows import facts as F
from orchestrator_cli.workflows import repository as R
from orchestrator_cli.workflows.helm import Helm
from orchestrator_cli.workflows.options import WorkflowRequest
from orchestrator_cli.workflows.values import url_env
from orchestrator_cli.workflows.wiring import (
    SONATAFLOW_API,
    Wired,
    describe,
    identity,
    is_sonataflow,
    namespace_of,
    split_manifest,
    wire,
    wiring_drift,
)

RELEASE_API = "helm.sh/v3"


def release_ref(name: str, namespace: str) -> Ref:
    return Ref(RELEASE_API, "Release", name, namespace)


def orch_executable() -> str:
    """The orch command Helm runs as post-renderer: the console script next to this Python, or on PATH."""
    beside = Path(sys.executable).parent / "orch"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("orch")
    if found is None:
        raise StepFailed("cannot find the orch executable for Helm to run as post-renderer; put orch on PATH")
    return found


def post_renderer(namespace: str, env: dict[str, str], kubeconfig: str | None, context: str | None) -> list[str]:
    """`orch workflow post-render ...`: the same wiring at Helm's install/upgrade (no secret in the arguments:
    the post-renderer reads BACKEND_SECRET from the cluster itself)."""
    args = [orch_executable(), "workflow", "post-render", "--namespace", namespace]
    for key, value in sorted(env.items()):
        args += ["--env", f"{key}={value}"]
    if kubeconfig:
        args += ["--kubeconfig", os.path.abspath(kubeconfig)]
    if context:
        args += ["--context", context]
    return args


def _canonical(obj: dict) -> str:
    return json.dumps(obj, sort_keys=True, default=str)


def differing(stored: list[dict], desired: list[dict], namespace: str) -> list[str]:
    """Objects that differ between the deployed release and the new rendering (pure)."""
    old = {identity(o, namespace): _canonical(o) for o in stored}
    new = {identity(o, namespace): (_canonical(o), o) for o in desired}
    out = [f"{describe(o, namespace)} {'added' if k not in old else 'changed'}"
           for k, (text, o) in new.items() if old.get(k) != text]
    out += [f"{k[1]} {k[3]} removed" for k in old if k not in new]
    return out


def live_drift(kube, objects: list[dict], namespace: str) -> list[str]:
    """Objects (of kinds orch's adapter knows) that are missing or lack orch's wiring in the cluster."""
    out = []
    for obj in objects:
        api, kind = obj.get("apiVersion"), obj.get("kind")
        if (api, kind) not in RESOURCES:
            continue  # e.g. a Knative Service: Helm's to keep
        ns = namespace_of(obj, namespace)
        live = kube.get(Ref(api, kind, obj["metadata"]["name"], ns))
        problems = wiring_drift(obj, live)
        if problems:
            out.append(f"{describe(obj, namespace)}: {', '.join(problems)}")
    return out


def foreign_workflows(kube, objects: list[dict], release: str, namespace: str) -> list[str]:
    """SonataFlows of the rendering that already exist but belong to no Helm release of this name (made by `orch
    workflow deploy`, another release or a user): orch never takes them over."""
    out = []
    for flow in objects:
        if not is_sonataflow(flow):
            continue
        ns = namespace_of(flow, namespace)
        live = kube.get(Ref(SONATAFLOW_API, "SonataFlow", flow["metadata"]["name"], ns))
        ann = ((live or {}).get("metadata") or {}).get("annotations") or {}
        if live is not None and (ann.get("meta.helm.sh/release-name"), ann.get("meta.helm.sh/release-namespace")) != \
                (release, namespace):
            owner = f"Helm release {ann['meta.helm.sh/release-name']}" if ann.get("meta.helm.sh/release-name") else \
                "orch workflow deploy or a user (no Helm release)"
            out.append(f"SonataFlow {flow['metadata']['name']} in {ns} exists and belongs to {owner}")
    return out


def plan_release(helm: Helm, kube, name: str, namespace: str, archive: R.ChartArchive, wired: Wired) -> Change:
    ref = release_ref(name, namespace)
    chart = f"{archive.name}-{archive.version}"
    status = helm.release(name, namespace)
    if status is None:
        return Change("create", ref, None, f"helm install {chart}")
    state = status.get("status")
    deployed = status.get("chart")
    if state != "deployed":
        return Change("update", ref, None, f"release is {state}: helm upgrade to {chart} repairs it")
    if deployed != chart:
        return Change("update", ref, None, f"helm upgrade {deployed} -> {chart}")
    changed = differing(split_manifest(status.get("manifest") or ""), wired.objects, namespace)
    if changed:
        return Change("update", ref, None, "rendered objects differ: " + "; ".join(changed[:6]))
    drift = live_drift(kube, wired.objects, namespace)
    if drift:
        return Change("update", ref, None, "the cluster differs from the release: " + "; ".join(drift[:6]))
    return Change("unchanged", ref, None, f"{chart} deployed, wiring in place")


def wait_items(objects: list[dict], namespace: str, timeout: float) -> list[WaitItem]:
    """Each SonataFlow Running=True (failing fast on its Deployment's pods) and its Deployment Available."""
    items = []
    for flow in objects:
        if not is_sonataflow(flow):
            continue
        name, ns = flow["metadata"]["name"], namespace_of(flow, namespace)
        api = flow["apiVersion"] if (flow["apiVersion"], "SonataFlow") in RESOURCES else SONATAFLOW_API
        deployment = Ref("apps/v1", "Deployment", name, ns)
        items.append(WaitItem(name, Ref(api, "SonataFlow", name, ns), "sonataflow", timeout, pods_from=deployment))
        if (((flow.get("spec") or {}).get("podTemplate") or {}).get("deploymentModel")) != "knative":
            items.append(WaitItem(f"{name}-deployment", deployment, "deployment", timeout))
    return items


def _namespace_plan(kube, inst: Installation, namespace: str):
    """The add-namespace plan for a namespace that is not the platform's (None for the platform's)."""
    from orchestrator_cli.day2.ns_plan import plan_add

    return None if namespace == inst.workflow_namespace else plan_add(kube, inst, namespace)


def _report_plan(reporter, step: str, title: str, changes: list[Change], done: str = "") -> None:
    reporter.step_started(step, title)
    for c in changes:
        reporter.change(step, c, False)
    reporter.step_finished(step, True, done)


def _wait(kube, items: list[WaitItem], reporter) -> None:
    reporter.step_started("wait", "Workflow ready")
    outcomes = wait_all(kube, items, reporter)
    failed, timed_out = summarize_failures(outcomes)
    if failed:
        reporter.step_finished("wait", False)
        raise StepFailed(f"workflow: {', '.join(o.item.id for o in failed + timed_out)} failed",
                         details=as_error_details(failed + timed_out))
    if timed_out:
        reporter.step_finished("wait", False)
        raise ReadinessTimeout(f"workflow: {', '.join(o.item.id for o in timed_out)} not ready in time",
                               details=as_error_details(timed_out))
    reporter.step_finished("wait", True)


def _backstage_url(kube, inst: Installation) -> str | None:
    from orchestrator_cli.day2.entry import backstage_entry_ref, entry_url

    if inst.existing_rhdh:
        return None
    ref = backstage_entry_ref(inst)  # the Route, or orch's Ingress on Kubernetes
    obj = kube.get(ref)
    return entry_url({**obj, "kind": ref.kind} if obj else None)


def install(opts, reporter) -> None:
    """The command (opts: day2.common.Day2Options; opts.extra holds the install flags)."""
    from orchestrator_cli.day2.common import _connect
    from orchestrator_cli.day2.ns_plan import apply_plan, plan_add
    from orchestrator_cli.generations.detect import detect
    from orchestrator_cli.kube.lock import InstallLock
    from orchestrator_cli.workflows.helm import find_helm
    from orchestrator_cli.workflows.options import parse_install

    req: WorkflowRequest = parse_install(opts.extra)
    helm = find_helm(req.helm, kubeconfig=opts.kubeconfig, context=opts.context)
    kube = _connect(opts)
    inst = detect(kube)
    namespace = req.namespace or inst.workflow_namespace
    if req.chart_version is not None:
        R.check_compatible(req.chart_version, req.name, inst.version, req.allow_incompatible)
    repo = req.repository or inst.workflow_chart_repository
    if not repo:
        raise ChartUnavailable(f"Orchestrator {inst.version} names no workflow chart repository; pass --repo URL")

    with tempfile.TemporaryDirectory(prefix="orch-chart-") as tmp:
        reporter.step_started("chart", f"Chart {req.name} for Orchestrator {inst.version} from {repo}")
        chosen = R.choose(R.fetch_index(repo), req.name, inst.version, requested=req.chart_version, devel=req.devel)
        archive = R.download(chosen, Path(tmp))
        reporter.change("chart", Change("info", Ref(RELEASE_API, "Chart", f"{archive.name}-{archive.version}"),
                                        None, f"sha256 {archive.sha256[:12]}… matches the repository index"), False)
        if chosen.version.major_minor != inst.version:
            reporter.warn(f"chart {archive.name} {archive.version} is not made for Orchestrator {inst.version} "
                          "(--allow-incompatible)")
        reporter.step_finished("chart", True)

        ns_plan = _namespace_plan(kube, inst, namespace)
        for w in ns_plan.warnings if ns_plan is not None else []:
            reporter.warn(w)
        env = {**url_env(archive.name, archive.values, list(req.values_docs), list(req.set_pairs)), **req.env}
        facts, warnings = F.gather(kube, inst, namespace, env)
        for w in warnings:
            reporter.warn(w)
        reporter.step_started("render", f"Render {archive.name} {archive.version} and wire it")
        rendered = helm.template(req.name, archive.path, namespace, list(req.values_files), list(req.set_args))
        wired = wire(split_manifest(rendered), facts)
        for d in wired.duplicates:
            reporter.warn(f"the chart renders duplicates: {d}")
        for line in wired.wired:
            reporter.info(f"wired {line}")
        if not any(is_sonataflow(o) for o in wired.objects):
            raise StepFailed(f"chart {archive.name} {archive.version} renders no SonataFlow: not a workflow chart")
        reporter.step_finished("render", True, f"{len(wired.objects)} object(s)")
        if opts.output == "yaml":
            reporter.manifests(wired.objects)

        taken = foreign_workflows(kube, wired.objects, req.name, namespace)
        if taken:
            raise Refused(f"not installing {req.name}: {taken[0]}; orch does not take over a workflow something else "
                          "created (remove it first, e.g. `orch workflow uninstall NAME`)", details=taken[1:])
        release = plan_release(helm, kube, req.name, namespace, archive, wired)
        ns_title = f"Workflow namespace {namespace} (as `orch workflow add-namespace`)"
        writes = release.writes or bool(ns_plan and ns_plan.writes)
        if opts.dry_run or not writes:  # the plan is all there is to show
            if ns_plan is not None:
                _report_plan(reporter, "namespace", ns_title, ns_plan.changes,
                             "" if ns_plan.writes else f"{namespace} is already a workflow namespace")
            _report_plan(reporter, "release", f"Helm release {req.name} in {namespace}", [release])
        else:
            lock = InstallLock(kube, inst.generation.lock_namespace, on_wait=reporter.info)
            try:
                lock.acquire()
                if ns_plan is not None:
                    reporter.step_started("namespace", ns_title)
                    ns_plan = plan_add(kube, inst, namespace)  # re-planned under the lock
                    apply_plan(kube, ns_plan, reporter, "namespace")
                    reporter.step_finished("namespace", True)
                reporter.step_started("release", f"Helm release {req.name} in {namespace}")
                helm.upgrade_install(req.name, archive.path, namespace, list(req.values_files), list(req.set_args),
                                     post_renderer(namespace, env, opts.kubeconfig, opts.context),
                                     timeout=max(120.0, req.timeout))
                reporter.change("release", release, True)
            finally:
                lock.release()
            stored = split_manifest(helm.manifest(req.name, namespace) or "")
            mismatch = differing(stored, wired.objects, namespace)
            if mismatch:
                reporter.warn("the release Helm stored differs from what orch rendered (" + "; ".join(mismatch[:4])
                              + "): was a different orch run as post-renderer?")
            reporter.step_finished("release", True)

        if not opts.dry_run:
            _wait(kube, wait_items(wired.objects, namespace, req.timeout), reporter)

    flows = [o for o in wired.objects if is_sonataflow(o)]
    reporter.summary({
        "command": "workflow-install", "workflow": req.name, "namespace": namespace, "dry_run": opts.dry_run,
        "orchestrator_version": inst.version, "repository": repo, "chart": archive.name,
        "chart_version": archive.version, "digest": f"sha256:{archive.sha256}", "release": release.action,
        "release_note": release.note, "changed": writes, "wired": wired.wired, "duplicates": wired.duplicates,
        "namespace_prepared": bool(ns_plan and ns_plan.writes),
        "served_at": [f"http://{f['metadata']['name']}.{namespace_of(f, namespace)}" for f in flows],
        "sonataflows": [f["metadata"]["name"] for f in flows],
        "backstage_url": None if opts.dry_run else _backstage_url(kube, inst),
    })
