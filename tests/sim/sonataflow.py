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


def _workflow_db(flow: dict) -> Optional[dict]:
    """The workflow's own persistence (spec.persistence.postgresql), or None (the platform's)."""
    pg = (((flow.get("spec") or {}).get("persistence") or {}).get("postgresql"))
    return pg if isinstance(pg, dict) and (pg.get("serviceRef") or {}).get("name") else None


def _profile(flow: dict) -> str:
    return ((flow["metadata"].get("annotations") or {}).get("sonataflow.org/profile") or "preview").lower()


class WorkflowController(OperandController):
    """SonataFlow workflows, on the points orch relies on (reference A9):
    - a platform is needed: a SonataFlowPlatform in the namespace or the SonataFlowClusterPlatform
      (else Running=False WaitingForPlatform);
    - Deployment + Service named after the workflow; the container gets the workflow's
      podTemplate.container env and envFrom (so a creds Secret reaches the pod as the real operator does);
    - gitops profile: Built=False BuildSkipped (permanent, normal); other profiles build instantly
      (Built=True); Running=True once the Deployment is Available; status.address only in the dev profile;
    - its own persistence (spec.persistence.postgresql): the Service (serviceRef.namespace, else the
      workflow's namespace) must have a ready endpoint and the secretRef Secret (always in the workflow's
      namespace) must hold userKey and passwordKey, else the workflow's pods crash-loop, as a Quarkus
      workflow that cannot reach its database does;
    - finalizer while the operator runs (removed only by the running operator).
    """

    name = "osl.sonataflow"
    package = PACKAGE
    res = K.SONATAFLOWS
    finalizer = WORKFLOW_FINALIZER
    manager = "logic-operator-rhel8"

    def __init__(self, ctx):
        super().__init__(ctx)
        self.watch(K.ENDPOINTSLICES, self._from_endpoints)
        self.watch(K.SECRETS, self._from_secret)
        self.watch(K.SONATAFLOWPLATFORMS, lambda o: list(self.keys()))
        self.watch(K.SONATAFLOWCLUSTERPLATFORMS, lambda o: list(self.keys()))
        self.watch(K.CONFIGMAPS, self._from_props)

    def _from_endpoints(self, eps: dict) -> list[str]:
        svc = (eps["metadata"].get("labels") or {}).get("kubernetes.io/service-name")
        ns = eps["metadata"].get("namespace")
        out = []
        for flow in self.objs.objects():
            pg = _workflow_db(flow)
            if pg and pg["serviceRef"]["name"] == svc and \
                    (pg["serviceRef"].get("namespace") or flow["metadata"]["namespace"]) == ns:
                out.append(K.key_of(flow))
        return out

    def _from_secret(self, secret: dict) -> list[str]:
        ns = secret["metadata"].get("namespace")
        return [K.key_of(f) for f in self.objs.objects() if f["metadata"].get("namespace") == ns]

    def platform_found(self, ns: str) -> bool:
        return bool(self.kube.items(K.SONATAFLOWPLATFORMS, ns)) or \
            bool(self.kube.items(K.SONATAFLOWCLUSTERPLATFORMS))

    def database_problem(self, flow: dict) -> str:
        """Why the workflow cannot reach its own database ("" when it can, or has none)."""
        pg = _workflow_db(flow)
        if pg is None:
            return ""
        ns = flow["metadata"]["namespace"]
        ref, sec = pg["serviceRef"], pg.get("secretRef") or {}
        svc_ns = ref.get("namespace") or ns
        ready = any((ep.get("conditions") or {}).get("ready")
                    for eps in self.kube.items(K.ENDPOINTSLICES, svc_ns,
                                               label_selector=f"kubernetes.io/service-name={ref['name']}")
                    for ep in eps.get("endpoints") or [])
        if not ready:
            return f"PostgreSQL service {svc_ns}/{ref['name']} has no ready endpoint"
        secret = self.kube.get(K.SECRETS, sec.get("name", ""), ns) if sec.get("name") else None
        data = (secret or {}).get("data") or {}
        missing = [k for k in (sec.get("userKey"), sec.get("passwordKey")) if not k or k not in data]
        if secret is None or missing:
            return f"PostgreSQL secret {ns}/{sec.get('name')} is missing or lacks {', '.join(map(str, missing))}"
        return ""

    def _from_props(self, cm: dict) -> list[str]:
        md = cm["metadata"]
        return [f"{md.get('namespace')}/{md['name'][:-len('-props')]}"] if md["name"].endswith("-props") else []

    def sync(self, obj: dict, cfg: SimConfig) -> Optional[float]:
        ns, name = obj["metadata"]["namespace"], obj["metadata"]["name"]
        profile = _profile(obj)
        wait = W.delay_remaining(obj, cfg.delay(name))
        conds = list((obj.get("status") or {}).get("conditions") or [])
        conds = K.set_condition(conds, "Built", "False", "BuildSkipped", "") if profile == "gitops" else \
            K.set_condition(conds, "Built", "True", "BuildSuccessful", "")
        status = {"observedGeneration": obj["metadata"].get("generation")}
        if not self.platform_found(ns):
            conds = K.set_condition(conds, "Running", "False", "WaitingForPlatform",
                                    f"No SonataFlowPlatform found in {ns} and no SonataFlowClusterPlatform")
            self.write_status(obj, {"conditions": conds, **status})
            return None
        if wait > 0:
            conds = K.set_condition(conds, "Running", "False", "WaitingForDeployment",
                                    "Waiting for the workflow Deployment")
            self.write_status(obj, {"conditions": conds, **status})
            return wait
        db_problem = self.database_problem(obj)
        if db_problem:
            self.action("SonataFlow %s/%s: its pods crash-loop: %s", ns, name, db_problem)
        owner = K.owner_ref(obj, block=True)
        container = ((obj.get("spec") or {}).get("podTemplate") or {}).get("container") or {}
        image = container.get("image") or f"quay.io/orchestrator/serverless-workflow-{name}:latest"
        want = with_config_checksum(W.deployment(name, ns, cfg=cfg, image=image, owner=owner,
                                                 labels={"sonataflow.org/workflow-app": name},
                                                 fault="CrashLoopBackOff" if db_problem else None),
                                    props_checksum(self.kube, ns, name))
        pod_container = want["spec"]["template"]["spec"]["containers"][0]
        for key in ("env", "envFrom"):
            if container.get(key):
                pod_container[key] = container[key]

        def differs(cur: dict) -> bool:
            have = (cur["spec"]["template"]["spec"].get("containers") or [{}])[0]
            return W.template_differs(cur, want) or config_checksum_differs(cur, want) or \
                any(have.get(k) != pod_container.get(k) for k in ("env", "envFrom"))
        dep = self.ensure(K.DEPLOYMENTS, want, differs)
        self.ensure(K.SERVICES, W.service(name, ns, name, owner=owner))
        running = K.deployment_rolled_out(dep) and "sonataflow" not in cfg.never_ready
        conds = K.set_condition(conds, "Running", "True" if running else "False",
                                "" if running else "WaitingForDeployment",
                                "" if running else f"Deployment {name} is not yet available")
        if profile == "dev":
            status.update({"address": {"url": f"http://{name}.{ns}"}, "endpoint": f"http://{name}.{ns}"})
        self.write_status(obj, {"conditions": conds, **status})
        return None
