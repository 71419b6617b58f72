"""`orch workflow deploy DIR`: a workflow project onto the installed Orchestrator, as its gitops profile expects.

Order (nothing is written before the last read, nothing at all on bad input or lint errors):
  1. inputs: the project directory loads (one definition), the image (--image, else the SonataFlow
     manifest the project keeps in manifests/), the namespace name
  2. lint: errors stop here (exit 15), warnings are shown
  3. cluster: the installation is detected; the namespace defaults to its workflow namespace; another one
     that is not yet a workflow namespace is planned exactly as `orch workflow add-namespace` plans it
  4. render: what `kn-workflow gen-manifest --profile gitops` produces (workflows/project.py), persistence
     pointed at the installation's PostgreSQL (schema = the workflow id)
  5. plan: create / update / unchanged per object, plus the deletion of resource ConfigMaps this project
     deployed earlier and no longer has (only objects carrying orch's marks); --dry-run stops here
  6. writes, under the install lock, only when 3 or 5 has something to do (server-side apply, field manager
     orch): a re-run with nothing changed writes nothing
  7. wait: the SonataFlow's Running condition for its current generation, then its Deployment Available,
     failing fast on the pods' reasons
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

from orchestrator_cli.core.errors import InputError, LintFailed, ReadinessTimeout, Refused, StepFailed
from orchestrator_cli.core.ownership import MANAGED_BY_SELECTOR, created_by_orch_object
from orchestrator_cli.core.plan import Change, plan_object
from orchestrator_cli.kube.client import Ref
from orchestrator_cli.workflows import project as P

STEP = "deploy"
_IMAGE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/:@+-]*$")
DEFAULT_TIMEOUT = 300.0


@dataclass
class DeployOptions:
    directory: str
    image: str | None = None
    namespace: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    kubeconfig: str | None = None
    context: str | None = None
    output: str | None = None
    dry_run: bool = False
    extra: dict = field(default_factory=dict)


def validate_image(image: str) -> str:
    if not image or len(image) > 512 or not _IMAGE.match(image):
        raise InputError(f"--image {image!r} is not a container image reference (registry/repository:tag or @digest)")
    return image


def lint_or_fail(directory: Path, reporter) -> None:
    """Lint first: warnings are shown, errors stop the deploy before anything is read from the cluster."""
    from orchestrator_cli.workflows.lint import lint

    report = lint(directory)
    for finding in report.warnings:
        reporter.warn(finding.line_text())
    if report.errors:
        raise LintFailed(f"workflow lint found {len(report.errors)} error{'s' if len(report.errors) != 1 else ''} "
                         f"in {directory}; nothing was deployed", details=[f.line_text() for f in report.errors])


def persistence(inst, namespace: str, schema: str) -> dict:
    """The installation's PostgreSQL for a workflow in `namespace` (Installation.workflow_persistence: the Secret is
    looked up in the workflow's own namespace; the Service is named with its namespace outside it)."""
    p = inst.workflow_persistence(namespace)
    return P.persistence_for(secret_name=p.secret_name, user_key=p.user_key, password_key=p.password_key,
                             service_name=p.service_name, port=p.port, database=p.database, schema=schema,
                             service_namespace=None if namespace == p.service_namespace else p.service_namespace)


def desired_objects(project: P.WorkflowProject, inst, image: str, namespace: str) -> list[dict]:
    objects = P.render(project, image=image, namespace=namespace, persistence=persistence(inst, namespace, project.name))
    return P.with_content_hashes(objects)


def stale_objects(kube, project: P.WorkflowProject, namespace: str, desired: list[dict]) -> list[Change]:
    """Resource ConfigMaps this project deployed before and no longer renders (a removed specs/ directory):
    deleted, but only those orch created (its label, not merely adopted)."""
    wanted = {(o["kind"], o["metadata"]["name"]) for o in desired}
    selector = f"{MANAGED_BY_SELECTOR},{P.PROJECT_LABEL}={project.name}"
    live, _ = kube.list("v1", "ConfigMap", namespace, label_selector=selector)
    return [Change("delete", Ref("v1", "ConfigMap", cm["metadata"]["name"], namespace), None,
                   "no longer in the project")
            for cm in live if ("ConfigMap", cm["metadata"]["name"]) not in wanted and created_by_orch_object(cm)]


def foreign_owner(live: dict | None, name: str) -> str | None:
    """Who else owns a live SonataFlow of the project's name (None: nobody, or an earlier deploy of this project).
    A deploy never takes over a workflow a Helm chart or a user created (pure)."""
    if live is None:
        return None
    md = live.get("metadata") or {}
    labels, annotations = md.get("labels") or {}, md.get("annotations") or {}
    if labels.get(P.PROJECT_LABEL) == name and created_by_orch_object(live):
        return None
    release = annotations.get("meta.helm.sh/release-name")
    if release:
        return f"the Helm release {release} (orch workflow install / helm)"
    return "someone else (it does not carry orch workflow deploy's marks)"


def _namespace_plan(kube, inst, namespace: str):
    """None when `namespace` is already the platform's workflow namespace, else add-namespace's plan."""
    from orchestrator_cli.day2.ns_plan import plan_add

    if namespace == inst.workflow_namespace:
        return None
    return plan_add(kube, inst, namespace, patch_workflows=True)


def _apply(kube, changes: list[Change], reporter) -> None:
    for change in changes:
        if change.action in ("create", "update"):
            kube.apply(change.desired)
            reporter.change(STEP, change, True)
        elif change.action == "delete":
            kube.delete(change.ref)
            reporter.change(STEP, change, True)
        else:
            reporter.change(STEP, change, False)


def wait_for(kube, name: str, namespace: str, timeout: float, reporter) -> None:
    """The SonataFlow Running for its current spec (observedGeneration), then its Deployment Available: in that
    order, so a stale Running=True from before an update, or the old Deployment, cannot answer for the new one."""
    from orchestrator_cli.health.waiter import WaitItem, as_error_details, summarize_failures, wait_all

    stop = threading.Event()
    deployment = Ref("apps/v1", "Deployment", name, namespace)
    # pods_from: a crash-looping workflow fails the first phase at once instead of at its timeout.
    phases = [[WaitItem(f"workflow {name}", Ref(P.SONATAFLOW_API, "SonataFlow", name, namespace), "sonataflow",
                        timeout, pods_from=deployment)],
              [WaitItem(f"{name} deployment", deployment, "deployment", timeout)]]
    for items in phases:
        outcomes = wait_all(kube, items, reporter, stop)
        failed, timed_out = summarize_failures(outcomes)
        if failed:
            raise StepFailed(f"workflow {name} in {namespace} failed", details=as_error_details(failed + timed_out))
        if timed_out:
            raise ReadinessTimeout(f"workflow {name} in {namespace} not ready in time",
                                   details=as_error_details(timed_out))


def deploy(opts: DeployOptions, reporter) -> None:
    from orchestrator_cli.core.validation import validate_namespace
    from orchestrator_cli.day2.common import Day2Options, _connect
    from orchestrator_cli.day2.ns_plan import apply_plan
    from orchestrator_cli.generations.detect import detect
    from orchestrator_cli.kube.lock import InstallLock

    directory = Path(opts.directory)
    project = P.load_project(directory)
    image = opts.image or project.image_hint
    if not image:
        raise InputError(f"--image is required: the built image of {project.name} (the project has no SonataFlow "
                         "manifest in manifests/ naming one)")
    validate_image(image)
    if opts.namespace is not None:
        validate_namespace(opts.namespace, "--namespace")
    if not 0 < opts.timeout <= 24 * 3600:
        raise InputError(f"--timeout must be between 1 and 86400 seconds, got {opts.timeout:g}")
    lint_or_fail(directory, reporter)

    kube = _connect(Day2Options(kubeconfig=opts.kubeconfig, context=opts.context))
    inst = detect(kube)
    namespace = opts.namespace or inst.workflow_namespace
    reporter.step_started(STEP, f"Workflow {project.name} from {directory} into {namespace} (Orchestrator "
                                f"{inst.version}, image {image})")
    owner = foreign_owner(kube.get(Ref(P.SONATAFLOW_API, "SonataFlow", project.name, namespace)), project.name)
    if owner is not None:
        raise Refused(f"SonataFlow {project.name} in {namespace} belongs to {owner}; orch workflow deploy does not take "
                      "it over: remove it first, or give the project another id")
    ns_plan = _namespace_plan(kube, inst, namespace)
    for warning in (ns_plan.warnings if ns_plan else []):
        reporter.warn(warning)
    objects = desired_objects(project, inst, image, namespace)
    live_ns = kube.get(Ref("v1", "Namespace", namespace))
    changes = [plan_object(kube, o) for o in objects] if live_ns is not None else \
        [Change("create", Ref.of(o), o) for o in objects]
    if live_ns is not None:
        changes += stale_objects(kube, project, namespace, objects)
    flow_change = next(c for c in changes if c.ref.kind == "SonataFlow")
    if flow_change.action == "update" and image_unchanged(kube, flow_change.ref, image):
        reporter.warn(f"the definition of {project.name} changed but its image did not: in the gitops profile the "
                      "definition is built into the image; build it and pass the new --image, or the pods restart "
                      "with the old one")
    writes = any(c.writes or c.action == "delete" for c in changes) or bool(ns_plan and ns_plan.writes)
    summary = {"command": "workflow-deploy", "workflow": project.name, "namespace": namespace, "image": image,
               "directory": str(directory), "dry_run": opts.dry_run, "changed": writes,
               "namespace_prepared": bool(ns_plan and ns_plan.writes),
               "objects": [c.to_dict() for c in changes]}
    if opts.dry_run:
        for change in [*(ns_plan.changes if ns_plan else []), *changes]:
            reporter.change(STEP, change, False)
        reporter.manifests([*[c.desired for c in (ns_plan.changes if ns_plan else []) if c.desired], *objects])
        reporter.step_finished(STEP, True, "dry run: nothing written")
        reporter.summary(summary)
        return
    if writes:
        lock = InstallLock(kube, inst.generation.lock_namespace, on_wait=reporter.info)
        try:
            lock.acquire()
            if ns_plan is not None and ns_plan.writes:
                # Re-plan under the lock (as add-namespace does): a concurrent run may have written meanwhile.
                apply_plan(kube, _namespace_plan(kube, inst, namespace), reporter, STEP)
            current = [plan_object(kube, o) for o in objects] + stale_objects(kube, project, namespace, objects)
            _apply(kube, current, reporter)
        finally:
            lock.release()
    else:
        for change in changes:
            reporter.change(STEP, change, False)
    reporter.step_finished(STEP, True, "" if writes else f"nothing to change: {project.name} is deployed as is")
    wait_for(kube, project.name, namespace, opts.timeout, reporter)
    reporter.summary(summary)


def image_unchanged(kube, ref: Ref, image: str) -> bool:
    live = kube.get(ref) or {}
    return (((live.get("spec") or {}).get("podTemplate") or {}).get("container") or {}).get("image") == image
