"""Simulated Red Hat Developer Hub operator: Backstage CR → Deployment, Service, Route (admitted by the
router stand-in, router.py), local DB (its Secret backstage-psql-secret-<name>), and from 1.7 the plugin
dependencies (rhdh_plugin_deps.py)."""
from __future__ import annotations

from typing import Optional

from . import kube as K
from . import workloads as W
from .config import SimConfig
from .operand import OperandController
from .router import generated_host, ingress_domain

class BackstageController(OperandController):
    name = "rhdh.backstage"
    package = "rhdh"
    res = K.BACKSTAGES
    manager = "backstage-operator"

    def __init__(self, ctx):
        super().__init__(ctx)
        self.watch(K.STATEFULSETS, lambda o: [
            f"{o['metadata']['namespace']}/{r['name']}"
            for r in o["metadata"].get("ownerReferences") or [] if r.get("kind") == "Backstage"])

    def sync(self, obj: dict, cfg: SimConfig) -> Optional[float]:
        ns, name = obj["metadata"]["namespace"], obj["metadata"]["name"]
        spec = obj.get("spec") or {}
        owner = K.owner_ref(obj, block=True)
        dep_name = f"backstage-{name}"
        labels = {"rhdh.redhat.com/app": dep_name}
        if (spec.get("database") or {}).get("enableLocalDb", True):
            self._local_db(name, ns, owner)
        from . import rhdh_plugin_deps

        retry = rhdh_plugin_deps.sync(self, obj)
        wait = W.delay_remaining(obj, cfg.delay(dep_name))
        if wait > 0:
            self.set_ready(obj, "Deployed", False, "DeployInProgress",
                           f"Waiting for Deployment {dep_name}")
            return wait
        app = spec.get("application") or {}
        image = (app.get("image") or
                 "registry.redhat.io/rhdh/rhdh-hub-rhel9:latest")
        want = W.deployment(dep_name, ns, cfg=cfg, image=image, owner=owner, labels=labels,
                            containers=["backstage-backend"], port=7007)
        dep = self.ensure(K.DEPLOYMENTS, want, lambda cur: W.template_differs(cur, want))
        self.ensure(K.SERVICES, W.service(dep_name, ns, dep_name, port=80, target_port=7007,
                                          owner=owner, labels=labels))
        if (app.get("route") or {}).get("enabled", True):
            self._route(dep_name, name, ns, owner)
        ready = K.deployment_rolled_out(dep) and "backstage" not in cfg.never_ready
        self.set_ready(obj, "Deployed", ready, "DeployOK" if ready else "DeployInProgress",
                       "" if ready else f"Deployment {dep_name} is not yet available")
        return retry

    def _local_db(self, name: str, ns: str, owner: dict) -> None:
        sts_name = f"backstage-psql-{name}"
        if self.kube.get(K.SECRETS, f"backstage-psql-secret-{name}", ns) is None:
            import base64
            import secrets

            password = base64.b64encode(secrets.token_hex(12).encode()).decode()
            self.kube.apply(K.SECRETS, {"apiVersion": "v1", "kind": "Secret", "metadata": {
                "name": f"backstage-psql-secret-{name}", "namespace": ns, "ownerReferences": [owner]},
                "data": {"POSTGRES_USER": base64.b64encode(b"postgres").decode(), "POSTGRES_PASSWORD": password,
                         "POSTGRES_HOST": base64.b64encode(sts_name.encode()).decode(),
                         "POSTGRES_PORT": base64.b64encode(b"5432").decode()}}, self.manager)
        sel = {"rhdh.redhat.com/app": sts_name}
        self.ensure(K.SERVICES, {"apiVersion": "v1", "kind": "Service", "metadata": {
            "name": sts_name, "namespace": ns, "ownerReferences": [owner]},
            "spec": {"selector": sel, "clusterIP": "None",
                     "ports": [{"name": "postgres", "port": 5432}]}})
        self.ensure(K.STATEFULSETS, {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {
            "name": sts_name, "namespace": ns, "ownerReferences": [owner], "labels": sel},
            "spec": {"replicas": 1, "serviceName": sts_name, "selector": {"matchLabels": sel},
                     "template": {"metadata": {"labels": sel}, "spec": {"containers": [{
                         "name": "postgres",
                         "image": "registry.redhat.io/rhel9/postgresql-15:latest",
                         "ports": [{"containerPort": 5432}],
                         "volumeMounts": [{"name": "data", "mountPath": "/var/lib/pgsql/data"}]}]}},
                     "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {
                         "accessModes": ["ReadWriteOnce"],
                         "resources": {"requests": {"storage": "1Gi"}}}}]}})

    def _route(self, dep_name: str, name: str, ns: str, owner: dict) -> None:
        host = generated_host(dep_name, ns, ingress_domain(self.kube))
        # OpenShift's API server would generate this host; the router stand-in admits it (router.py).
        self.ensure(K.ROUTES, {
            "apiVersion": "route.openshift.io/v1", "kind": "Route",
            "metadata": {"name": dep_name, "namespace": ns, "ownerReferences": [owner]},
            "spec": {"host": host, "to": {"kind": "Service", "name": dep_name, "weight": 100},
                     "port": {"targetPort": "http"},
                     "tls": {"termination": "edge",
                             "insecureEdgeTerminationPolicy": "Redirect"},
                     "wildcardPolicy": "None"}},
            lambda cur: (cur.get("spec") or {}).get("host") != host)
