"""Readiness as pure functions of an object: Ready | Waiting(reason) | Failed(reason).

No cluster access here; tolerate missing/null status everywhere (a fresh CR has none).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping

Obj = Mapping[str, Any]


@dataclass(frozen=True)
class Ready:
    reason: str = "ready"


@dataclass(frozen=True)
class Waiting:
    reason: str


@dataclass(frozen=True)
class Failed:
    reason: str


State = Ready | Waiting | Failed


def conditions(obj: Obj | None) -> list[dict]:
    status = (obj or {}).get("status") or {}
    conds = status.get("conditions") or []
    return [c for c in conds if isinstance(c, dict)]


def condition(obj: Obj | None, ctype: str) -> dict | None:
    for c in conditions(obj):
        if c.get("type") == ctype:
            return c
    return None


def _why(c: dict | None) -> str:
    if not c:
        return ""
    parts = [p for p in (c.get("reason"), c.get("message")) if p]
    return ": ".join(str(p) for p in parts)


def _generation_observed(obj: Obj) -> bool:
    gen = (obj.get("metadata") or {}).get("generation")
    observed = (obj.get("status") or {}).get("observedGeneration")
    return gen is None or (observed is not None and observed >= gen)


def deployment(obj: Obj | None) -> State:
    if not obj:
        return Waiting("not created yet")
    if not _generation_observed(obj):
        return Waiting("rollout not observed yet (observedGeneration < generation)")
    progressing = condition(obj, "Progressing")
    if progressing and progressing.get("status") == "False" and progressing.get("reason") == "ProgressDeadlineExceeded":
        return Failed(f"rollout stalled: {_why(progressing)}")
    available = condition(obj, "Available")
    status = obj.get("status") or {}
    wanted = (obj.get("spec") or {}).get("replicas", 1)
    updated = status.get("updatedReplicas", 0) or 0
    if available and available.get("status") == "True" and (wanted == 0 or updated >= wanted):
        return Ready("Available")
    ready = status.get("readyReplicas", 0) or 0
    if available and available.get("status") != "True":
        return Waiting(f"{ready}/{wanted} ready; {_why(available) or 'not Available'}")
    return Waiting(f"{ready}/{wanted} ready")


def statefulset(obj: Obj | None) -> State:
    if not obj:
        return Waiting("not created yet")
    if not _generation_observed(obj):
        return Waiting("rollout not observed yet (observedGeneration < generation)")
    status = obj.get("status") or {}
    wanted = (obj.get("spec") or {}).get("replicas", 1)
    ready = status.get("readyReplicas", 0) or 0
    if ready >= wanted:
        return Ready(f"{ready}/{wanted} ready")
    return Waiting(f"{ready}/{wanted} ready")


def condition_true(ctype: str, failure_conditions: tuple[str, ...] = ("ReleaseFailed", "Irreconcilable")) -> Callable[[Obj | None], State]:
    """CR readiness on one condition (oc wait --for=condition=X semantics)."""

    def predicate(obj: Obj | None) -> State:
        if not obj:
            return Waiting("not created yet")
        c = condition(obj, ctype)
        if c and c.get("status") == "True":
            return Ready(ctype)
        for failure in failure_conditions:
            fc = condition(obj, failure)
            if fc and fc.get("status") == "True":
                return Failed(f"{failure}: {_why(fc)}")
        if c:
            return Waiting(f"{ctype}={c.get('status')} {_why(c)}".strip())
        return Waiting(f"no {ctype} condition yet")

    return predicate


def csv(obj: Obj | None) -> State:
    if not obj:
        return Waiting("ClusterServiceVersion not created yet")
    status = obj.get("status") or {}
    phase = status.get("phase") or "Pending"
    why = ": ".join(p for p in (status.get("reason"), status.get("message")) if p)
    if phase == "Succeeded":
        return Ready("Succeeded")
    if phase == "Failed":
        return Failed(f"CSV phase Failed{': ' + why if why else ''}")
    return Waiting(f"CSV phase {phase}{': ' + why if why else ''}")


def installplan(obj: Obj | None) -> State:
    if not obj:
        return Waiting("InstallPlan not created yet")
    c = condition(obj, "Installed")
    if c and c.get("status") == "True":
        return Ready("Installed")
    phase = (obj.get("status") or {}).get("phase")
    if phase == "Failed":
        return Failed(f"InstallPlan failed: {_why(c)}")
    if (obj.get("spec") or {}).get("approved") is False:
        return Waiting("InstallPlan awaiting approval")
    return Waiting(f"InstallPlan phase {phase or 'pending'}")


def crd_established(obj: Obj | None) -> State:
    if not obj:
        return Waiting("CRD not installed yet")
    c = condition(obj, "Established")
    if c and c.get("status") == "True":
        return Ready("Established")
    return Waiting("CRD not Established yet")


def token_secret(obj: Obj | None) -> State:
    if not obj:
        return Waiting("token Secret not created yet")
    if (obj.get("data") or {}).get("token"):
        return Ready("token populated")
    return Waiting("waiting for the token controller to populate the token")


def service_endpoints(selected: Obj | None) -> State:
    """A Service's EndpointSlices ({"items": [...]}, see WaitItem.selector): ready once one endpoint is
    ready, i.e. the Service really reaches a pod (what data-index needs of PostgreSQL at start-up)."""
    slices = (selected or {}).get("items") or []
    endpoints = [ep for s in slices for ep in s.get("endpoints") or []]
    ready = [ep for ep in endpoints if (ep.get("conditions") or {}).get("ready") is not False]  # unset means ready
    if ready:
        return Ready(f"{len(ready)} ready endpoint(s)")
    if endpoints:
        return Waiting(f"no ready endpoint yet ({len(endpoints)} not ready)")
    return Waiting("no endpoint yet" if slices else "no EndpointSlice for the Service yet")


def sonataflow(obj: Obj | None) -> State:
    """A SonataFlow workflow (reference A9): ready on Running=True (`oc wait --for=condition=Running`). Built
    stays False with reason BuildSkipped in the gitops profile: normal; only a failed build fails. Running=True
    counts only once the operator has observed the latest generation."""
    if not obj:
        return Waiting("not created yet")
    if not _generation_observed(obj):  # a just-updated workflow still shows the old Running=True
        return Waiting("the operator has not seen the latest spec yet (observedGeneration < generation)")
    built = condition(obj, "Built")
    if built and built.get("status") == "False" and built.get("reason") == "BuildFailedReason":
        return Failed(f"build failed: {_why(built)}")
    running = condition(obj, "Running")
    if running and running.get("status") == "True":
        return Ready("Running")
    if running:
        return Waiting(f"Running={running.get('status')} {_why(running)}".strip())
    return Waiting("no Running condition yet (is the SonataFlow operator running?)")


# Pod failure reasons that will not fix themselves: fail the item at once.
FATAL_WAITING_REASONS = ("CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull", "InvalidImageName",
                         "ErrImageNeverPull", "CreateContainerError")


def pod_failure(pod: Obj) -> str | None:
    """The fail-fast reason of a pod, or None. Pure; used on the pods of a waited workload."""
    name = (pod.get("metadata") or {}).get("name", "?")
    status = pod.get("status") or {}
    for cs in (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or []):
        waiting = ((cs or {}).get("state") or {}).get("waiting") or {}
        reason = waiting.get("reason")
        if reason in FATAL_WAITING_REASONS:
            msg = waiting.get("message") or ""
            restarts = cs.get("restartCount")
            extra = f", restarts {restarts}" if restarts else ""
            return f"pod {name} container {cs.get('name')}: {reason}{extra}{': ' + msg if msg else ''}"
    sched = next((c for c in status.get("conditions") or [] if c.get("type") == "PodScheduled"), None)
    if sched and sched.get("status") == "False" and sched.get("reason") == "Unschedulable":
        msg = sched.get("message") or ""
        if "unbound" in msg and "PersistentVolumeClaim" in msg:
            return None  # the PVC is still binding; the scheduler retries by itself
        if "waiting for ephemeral volume controller" in msg:
            return None  # a generic ephemeral volume (RHDH's dynamic-plugins-root): its claim is on the way
        if re.search(r'persistentvolume(claim)? "[^"]+" not found', msg):
            # The scheduler's cache has not caught up with the claim the StatefulSet controller created
            # with the pod, or with the volume the provisioner bound to it (it lags e.g. after an API
            # server restart); it retries by itself when they show up.
            return None
        return f"pod {name} is Unschedulable: {msg}"
    return None


NAMESPACE_RACE = "already exists"


def orchestrator_phase(obj: Obj | None) -> State:
    """The Go operator's CR (1.5/1.6): phase Completed with condition Completed=True means every object was
    created; Failed carries the Degrading reason. One failure is upstream's own namespace race
    ("namespaces X already exists", retried by the operator a minute later): waited through, not fatal."""
    if not obj:
        return Waiting("not created yet")
    phase = (obj.get("status") or {}).get("phase") or ""
    c = condition(obj, "Completed")
    if phase == "Completed" and c and c.get("status") == "True":
        return Ready("Completed")
    if phase == "Failed":
        d = condition(obj, "Degrading") or {}
        why = f"{d.get('reason') or 'Failed'}: {d.get('message') or ''}".strip()
        if NAMESPACE_RACE in (d.get("message") or ""):
            return Waiting(f"{why} (upstream defect: the operator's namespace race; it retries in a minute)")
        return Failed(why)
    return Waiting(f"phase {phase or 'not set yet'}")


def job(obj: Obj | None) -> State:
    if not obj:
        return Waiting("Job not created yet")
    if (c := condition(obj, "Complete")) and c.get("status") == "True":
        return Ready("Complete")
    if (c := condition(obj, "Failed")) and c.get("status") == "True":
        return Failed(f"Job failed: {_why(c)}")
    return Waiting(f"Job running (succeeded {(obj.get('status') or {}).get('succeeded') or 0})")


def exists(obj: Obj | None) -> State:
    return Ready("exists") if obj else Waiting("not created yet")


PREDICATES: dict[str, Callable[[Obj | None], State]] = {
    "orchestrator-phase": orchestrator_phase,
    "exists": exists,
    "job": job,
    "deployment": deployment,
    "statefulset": statefulset,
    "csv": csv,
    "installplan": installplan,
    "crd": crd_established,
    "token": token_secret,
    "endpoints": service_endpoints,
    "sonataflow": sonataflow,
}


def predicate_for(name: str) -> Callable[[Obj | None], State]:
    if name.startswith("condition:"):
        return condition_true(name.split(":", 1)[1])
    return PREDICATES[name]


def has_pods(name: str) -> bool:
    return name in ("deployment", "statefulset")
