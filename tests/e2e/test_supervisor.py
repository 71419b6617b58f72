"""The supervisor runs a real operator binary "in the pod" of its Deployment.

On the vanilla flavour a `knative-operator` Deployment (shaped like the Knative operator's plain
release manifest, no OLM) makes the supervisor run the real Knative operator v0.42.5 with that
Deployment's ServiceAccount token: RBAC denies it until its role is bound, then it installs
Knative Serving (Kourier) to Ready; scaling the Deployment to zero or deleting it stops the
process.
"""

from __future__ import annotations

import json
import os
import time

import pytest

from tests.cluster import operators
from tests.cluster.audit import AuditLog
from tests.helpers import eventually

pytestmark = pytest.mark.cluster

NS = "knative-operator"
SA_USER = f"system:serviceaccount:{NS}:knative-operator"


def _objects() -> list[dict]:
    labels = {"app.kubernetes.io/name": "knative-operator"}
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}},
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "knative-operator", "namespace": NS}},
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "knative-operator", "namespace": NS,
                                                                     "labels": labels},
         "spec": {"replicas": 1, "selector": {"matchLabels": {"name": "knative-operator"}},
                  "template": {"metadata": {"labels": {"name": "knative-operator", **labels}},
                               "spec": {"serviceAccountName": "knative-operator", "containers": [{
                                   "name": "knative-operator",
                                   "image": "gcr.io/knative-releases/knative.dev/operator/cmd/operator:v1.15.2",
                                   "env": [
                                       {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                                       {"name": "SYSTEM_NAMESPACE",
                                        "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
                                       {"name": "METRICS_DOMAIN", "value": "knative.dev/operator"},
                                   ],
                                   "ports": [{"name": "metrics", "containerPort": 9090}]}]}}}},
    ]


def _binding() -> list[dict]:
    # The Knative operator creates ClusterRoles (with aggregation) and binds them; upstream grants
    # it escalate/bind on RBAC, which amounts to every permission: the test grants that directly.
    return [
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
         "metadata": {"name": "knative-operator-test"},
         "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
         "metadata": {"name": "knative-operator-test"},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "knative-operator-test"},
         "subjects": [{"kind": "ServiceAccount", "name": "knative-operator", "namespace": NS}]},
    ]


def _instance(cluster) -> dict:
    return cluster.supervisor_state().get(f"{NS}/knative-operator") or {}


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = open(f"/proc/{pid}/stat").read()
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_supervised_knative_operator_runs_as_its_service_account(fresh_cluster):
    from kubernetes import client, dynamic

    cluster = fresh_cluster
    api = cluster.api_client()
    dyn = dynamic.DynamicClient(api)
    crds = operators.knative_crds(cluster.bin_dir)
    cluster.apply_manifests(crds)
    cluster.wait_crds_established([c["metadata"]["name"] for c in crds])
    audit = AuditLog(cluster.audit_log)
    mark = audit.mark()
    cluster.apply_manifests(_objects())

    # Started once the Deployment is Available, with the ServiceAccount's token: without a role
    # binding every request it makes is forbidden, so it exits and is restarted (back-off).
    first = eventually(lambda: _instance(cluster).get("starts", 0) >= 1 and _instance(cluster), 90,
                       what="the supervisor starts the operator", describe=lambda: cluster.supervisor_state())
    assert first["user"] == SA_USER
    eventually(lambda: [e for e in audit.events(since=mark, user=SA_USER) if e.code == 403], 60,
               what="a request of the operator's ServiceAccount denied by RBAC")
    cluster.apply_manifests(_binding())

    core = client.CoreV1Api(api)
    core.create_namespace({"metadata": {"name": "knative-serving"}})
    serving = dyn.resources.get(api_version="operator.knative.dev/v1beta1", kind="KnativeServing")
    serving.create(namespace="knative-serving", body={
        "apiVersion": "operator.knative.dev/v1beta1", "kind": "KnativeServing",
        "metadata": {"name": "knative-serving", "namespace": "knative-serving"},
        "spec": {"ingress": {"kourier": {"enabled": True}},
                 "config": {"network": {"ingress-class": "kourier.ingress.networking.knative.dev"}}}})

    def ready():
        obj = serving.get(name="knative-serving", namespace="knative-serving").to_dict()
        return any(c["type"] == "Ready" and c["status"] == "True" for c in (obj.get("status") or {}).get(
            "conditions") or []) and obj

    def seen():
        obj = serving.get(name="knative-serving", namespace="knative-serving").to_dict()
        return json.dumps({"status": obj.get("status"), "supervisor": _instance(cluster)})[:1500]

    ks = eventually(ready, 300, interval=1, what="KnativeServing Ready (real Knative operator)", describe=seen)
    assert ks["status"]["version"].startswith("1.15")
    apps = client.AppsV1Api(api)
    deployments = {d.metadata.name for d in apps.list_namespaced_deployment("knative-serving").items}
    assert {"activator", "autoscaler", "controller", "webhook", "net-kourier-controller"} <= deployments
    # the shim: no webhook configuration was applied (nothing could serve it)
    admission = client.AdmissionregistrationV1Api(api)
    hooks = [w.metadata.name for w in admission.list_validating_webhook_configuration().items] + \
        [w.metadata.name for w in admission.list_mutating_webhook_configuration().items]
    assert not [h for h in hooks if "knative" in h], hooks
    writes = [e for e in audit.events(since=mark, user=SA_USER) if e.is_write and e.code < 300]
    assert any(e.resource == "deployments" for e in writes), "the operator's writes are its own"
    running = _instance(cluster)
    assert running["running"] and _alive(running["pid"])

    # Scaled to zero: the process stops; scaled back: a new one starts.
    apps.patch_namespaced_deployment_scale("knative-operator", NS, {"spec": {"replicas": 0}})
    eventually(lambda: not _instance(cluster).get("running"), 60, what="operator stopped at zero replicas")
    assert not _alive(running["pid"])
    apps.patch_namespaced_deployment_scale("knative-operator", NS, {"spec": {"replicas": 1}})
    again = eventually(lambda: (i := _instance(cluster)).get("running") and i["pid"] != running["pid"] and i, 90,
                       what="operator restarted when scaled back")
    # Deleted: the process stops and the supervisor forgets it.
    apps.delete_namespaced_deployment("knative-operator", NS)
    eventually(lambda: not _instance(cluster), 60, what="operator gone with its Deployment")
    time.sleep(0.5)
    assert not _alive(again["pid"])
