"""Simulated OpenShift Serverless Logic operator: SonataFlowPlatform (data-index + jobs-service),
SonataFlowClusterPlatform and SonataFlow workflows."""
from __future__ import annotations

from typing import Optional

from . import kube as K
from . import workloads as W
from .config import SimConfig
from .operand import OperandController

PACKAGE = "logic-operator-rhel8"
# The real finalizer string was not found upstream (reference §7.4); this one is the simulator's.
WORKFLOW_FINALIZER = "sonataflow.org/trigger-protection"
SERVICE_IMAGES = {
    "data-index-service": "registry.redhat.io/openshift-serverless-1/logic-data-index-postgresql-rhel8:{v}",
    "jobs-service": "registry.redhat.io/openshift-serverless-1/logic-jobs-service-postgresql-rhel8:{v}",
}


def _osl_version(ctl) -> str:
    csv = ((ctl.ctx.operator_deployment(PACKAGE) or {}).get("metadata", {})
           .get("labels", {}).get("sim.orch.dev/csv", ""))
    return csv.rsplit(".v", 1)[-1] if ".v" in csv else ""


def _db_ref(sfp: dict) -> Optional[tuple[str, str]]:
    """(namespace, service) of the platform's PostgreSQL, or None for ephemeral persistence."""
    ref = ((((sfp.get("spec") or {}).get("persistence") or {}).get("postgresql") or {})
           .get("serviceRef") or {})
    if not ref.get("name"):
        return None
    return ref.get("namespace") or sfp["metadata"]["namespace"], ref["name"]


class PlatformController(OperandController):
    name = "osl.sonataflowplatform"
    package = PACKAGE
    res = K.SONATAFLOWPLATFORMS
    manager = "logic-operator-rhel8"

    def __init__(self, ctx):
        super().__init__(ctx)
        self.watch(K.ENDPOINTSLICES, self._from_endpoints)

    def _from_endpoints(self, eps: dict) -> list[str]:
        svc = (eps["metadata"].get("labels") or {}).get("kubernetes.io/service-name")
        want = (eps["metadata"].get("namespace"), svc)
        return [K.key_of(o) for o in self.objs.objects() if _db_ref(o) == want]

    def database_ready(self, sfp: dict) -> tuple[bool, str]:
        """data-index and jobs-service need their PostgreSQL at startup (reference §5)."""
        ref = _db_ref(sfp)
        if ref is None:
            return True, ""
        ns, svc = ref
        for eps in self.kube.items(K.ENDPOINTSLICES, ns,
                                   label_selector=f"kubernetes.io/service-name={svc}"):
            for ep in eps.get("endpoints") or []:
                if (ep.get("conditions") or {}).get("ready"):
                    return True, ""
        return False, f"PostgreSQL service {ns}/{svc} has no ready endpoint"

    def sync(self, obj: dict, cfg: SimConfig) -> Optional[float]:
        ns, name = obj["metadata"]["namespace"], obj["metadata"]["name"]
        version = _osl_version(self)
        db_ok, db_msg = self.database_ready(obj) if cfg.require_postgres else (True, "")
        waits, missing, not_ready = [], [], []
        owner = K.owner_ref(obj, block=True)
        for svc, image in SERVICE_IMAGES.items():
            dep_name = f"{name}-{svc}"
            wait = W.delay_remaining(obj, cfg.delay(dep_name))
            if wait > 0:
                waits.append(wait)
                missing.append(dep_name)
                continue
            override = ((obj.get("spec") or {}).get("services") or {}).get(
                "dataIndex" if svc.startswith("data") else "jobService") or {}
            img = ((override.get("podTemplate") or {}).get("container") or {}).get("image") \
                or image.format(v=version or "1.35.0")
            want = W.deployment(dep_name, ns, cfg=cfg, image=img, owner=owner,
                                labels={"sonataflow.org/service": dep_name},
                                fault=None if db_ok else "CrashLoopBackOff")
            dep = self.ensure(K.DEPLOYMENTS, want, lambda cur: W.template_differs(cur, want))
            self.ensure(K.SERVICES, W.service(dep_name, ns, dep_name, owner=owner))
            if not K.deployment_rolled_out(dep):
                not_ready.append(dep_name)
        wait = W.delay_remaining(obj, cfg.delay("sonataflowplatform"))
        never = "sonataflowplatform" in cfg.never_ready
        ready = not missing and not not_ready and wait <= 0 and not never
        msg = "" if ready else ("Waiting for " + ", ".join(missing + not_ready)
                                if missing or not_ready else "Waiting for the platform")
        if not ready and not db_ok:
            msg += f" ({db_msg})"
        self.set_ready(obj, "Succeed", ready, "" if ready else "WaitingForDeployment", msg,
                       cluster="openshift", version=version,
                       info={"kubeVersion": "v1.36", "goVersion": "sim"})
        due = [w for w in waits + ([wait] if wait > 0 and not never else []) if w > 0]
        return min(due) if due else None


class ClusterPlatformController(OperandController):
    name = "osl.sonataflowclusterplatform"
    package = PACKAGE
    res = K.SONATAFLOWCLUSTERPLATFORMS
    manager = "logic-operator-rhel8"

    def __init__(self, ctx):
        super().__init__(ctx)
        self.watch(K.SONATAFLOWPLATFORMS, lambda o: list(self.keys()))

    def sync(self, obj: dict, cfg: SimConfig) -> Optional[float]:
        ref = ((obj.get("spec") or {}).get("platformRef") or {})
        sfp = self.kube.get(K.SONATAFLOWPLATFORMS, ref.get("name", ""),
                            ref.get("namespace", "")) if ref.get("name") else None
        ok = sfp is not None
        self.set_ready(obj, "Succeed", ok, "" if ok else "PlatformNotFound",
                       "" if ok else f"Referenced SonataFlowPlatform "
                       f"{ref.get('namespace')}/{ref.get('name')} not found",
                       version=_osl_version(self))
        return None


# The real operator annotates the workflow Deployment's pod template with a checksum of the workflow's
# properties ConfigMaps (<name>-props, <name>-managed-props) and rolls it when that changes
# (RolloutDeploymentIfCMChangedMutateVisitor); the annotation key here is the simulator's.
CONFIG_CHECKSUM = "sonataflow.org/checksum-config"


def props_checksum(kube, namespace: str, name: str) -> str:
    """Checksum of the workflow's user properties ConfigMap ("" when it has none)."""
    import hashlib
    import json

    cm = kube.get(K.CONFIGMAPS, f"{name}-props", namespace)
    if cm is None:
        return ""
    return hashlib.sha256(json.dumps(cm.get("data") or {}, sort_keys=True).encode()).hexdigest()[:16]


def with_config_checksum(want: dict, checksum: str) -> dict:
    template_md = want["spec"]["template"]["metadata"]
    template_md["annotations"] = {**(template_md.get("annotations") or {}), CONFIG_CHECKSUM: checksum}
    return want


def config_checksum_differs(dep: dict, want: dict) -> bool:
    cur = ((dep["spec"]["template"]["metadata"].get("annotations") or {}).get(CONFIG_CHECKSUM))
    return cur != want["spec"]["template"]["metadata"]["annotations"][CONFIG_CHECKSUM]


class WorkflowController(OperandController):
    name = "osl.sonataflow"
    package = PACKAGE
    res = K.SONATAFLOWS
    finalizer = WORKFLOW_FINALIZER
    manager = "logic-operator-rhel8"

    def __init__(self, ctx):
        super().__init__(ctx)
        self.watch(K.CONFIGMAPS, self._from_props)

    def _from_props(self, cm: dict) -> list[str]:
        md = cm["metadata"]
        return [f"{md.get('namespace')}/{md['name'][:-len('-props')]}"] if md["name"].endswith("-props") else []

    def sync(self, obj: dict, cfg: SimConfig) -> Optional[float]:
        ns, name = obj["metadata"]["namespace"], obj["metadata"]["name"]
        wait = W.delay_remaining(obj, cfg.delay(name))
        conds = list((obj.get("status") or {}).get("conditions") or [])
        conds = K.set_condition(conds, "Built", "True", "", "")
        if wait > 0:
            conds = K.set_condition(conds, "Running", "False", "WaitingForDeployment",
                                    "Waiting for the workflow Deployment")
            self.write_status(obj, {"conditions": conds})
            return wait
        owner = K.owner_ref(obj, block=True)
        image = (((obj.get("spec") or {}).get("podTemplate") or {}).get("container") or {}).get(
            "image") or f"quay.io/orchestrator/serverless-workflow-{name}:latest"
        want = with_config_checksum(W.deployment(name, ns, cfg=cfg, image=image, owner=owner,
                                                 labels={"sonataflow.org/workflow-app": name}),
                                    props_checksum(self.kube, ns, name))
        dep = self.ensure(K.DEPLOYMENTS, want,
                          lambda cur: W.template_differs(cur, want) or config_checksum_differs(cur, want))
        self.ensure(K.SERVICES, W.service(name, ns, name, owner=owner))
        running = K.deployment_rolled_out(dep) and "sonataflow" not in cfg.never_ready
        conds = K.set_condition(conds, "Running", "True" if running else "False",
                                "" if running else "WaitingForDeployment",
                                "" if running else f"Deployment {name} is not yet available")
        self.write_status(obj, {"conditions": conds,
                                "address": {"url": f"http://{name}.{ns}"},
                                "endpoint": f"http://{name}.{ns}",
                                "observedGeneration": obj["metadata"].get("generation")})
        return None
