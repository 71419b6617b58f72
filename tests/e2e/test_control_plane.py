"""Smoke tests proving the local control plane is a real one."""

from __future__ import annotations

import uuid

import pytest
from kubernetes import client, config, dynamic
from kubernetes.client.rest import ApiException

from tests.helpers import eventually

pytestmark = pytest.mark.cluster


def _ns(api: client.CoreV1Api) -> str:
    name = f"smoke-{uuid.uuid4().hex[:8]}"
    api.create_namespace({"metadata": {"name": name}})
    return name


def _deployment(name: str, replicas: int = 2) -> dict:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
        "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                 "template": {"metadata": {"labels": labels},
                              "spec": {"containers": [{"name": "main", "image": "registry.invalid/app:1"}]}}},
    }


def test_deployment_becomes_available(cluster):
    api = cluster.api_client()
    ns = _ns(client.CoreV1Api(api))
    apps = client.AppsV1Api(api)
    apps.create_namespaced_deployment(ns, _deployment("web"))

    def available():
        d = apps.read_namespaced_deployment("web", ns)
        conds = {c.type: c.status for c in d.status.conditions or []}
        return conds.get("Available") == "True" and d.status.ready_replicas == 2

    eventually(available, 60, what="Deployment web Available with 2 ready replicas")
    pods = client.CoreV1Api(api).list_namespaced_pod(ns).items
    assert {p.spec.node_name for p in pods} <= {"kwok-node-0", "kwok-node-1", "kwok-node-2"}
    assert all(p.status.phase == "Running" for p in pods)


def test_statefulset_with_volume_claim_becomes_ready(cluster):
    api = cluster.api_client()
    core = client.CoreV1Api(api)
    ns = _ns(core)
    labels = {"app": "db"}
    client.AppsV1Api(api).create_namespaced_stateful_set(ns, {
        "apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
        "spec": {"serviceName": "db", "replicas": 1, "selector": {"matchLabels": labels},
                 "template": {"metadata": {"labels": labels},
                              "spec": {"containers": [{"name": "db", "image": "registry.invalid/db:1",
                                                       "volumeMounts": [{"name": "data", "mountPath": "/d"}]}]}},
                 "volumeClaimTemplates": [{"metadata": {"name": "data"},
                                           "spec": {"accessModes": ["ReadWriteOnce"],
                                                    "resources": {"requests": {"storage": "2Gi"}}}}]},
    })
    eventually(lambda: client.AppsV1Api(api).read_namespaced_stateful_set("db", ns).status.ready_replicas == 1,
               90, what="StatefulSet db ready")
    pvc = core.read_namespaced_persistent_volume_claim("data-db-0", ns)
    assert pvc.status.phase == "Bound"
    assert pvc.spec.storage_class_name == "standard"


def test_namespace_deletion_completes(cluster):
    api = cluster.api_client()
    core = client.CoreV1Api(api)
    ns = _ns(core)
    client.AppsV1Api(api).create_namespaced_deployment(ns, _deployment("doomed", 1))
    eventually(lambda: core.list_namespaced_pod(ns).items and
               all(p.status.phase == "Running" for p in core.list_namespaced_pod(ns).items), 60, what="pod running")
    core.delete_namespace(ns)

    def gone():
        try:
            core.read_namespace(ns)
            return False
        except ApiException as exc:
            return exc.status == 404

    eventually(gone, 90, what=f"namespace {ns} deleted")


def _whoami(kubeconfig_client) -> str:
    review = client.AuthenticationV1Api(kubeconfig_client).create_self_subject_review(
        {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"})
    return review.status.user_info.username


def _client_with_token(cluster, token: str) -> client.ApiClient:
    base = cluster.api_client().configuration
    cfg = client.Configuration()
    cfg.host = base.host
    cfg.ssl_ca_cert = base.ssl_ca_cert
    cfg.api_key = {"authorization": f"Bearer {token}"}
    return client.ApiClient(cfg)


def test_token_request_and_token_secret_yield_working_tokens(cluster):
    api = cluster.api_client()
    core = client.CoreV1Api(api)
    ns = _ns(core)
    core.create_namespaced_service_account(ns, {"metadata": {"name": "bot"}})
    requested = core.create_namespaced_service_account_token("bot", ns, client.AuthenticationV1TokenRequest(
        spec=client.V1TokenRequestSpec(audiences=[], expiration_seconds=600)))
    assert _whoami(_client_with_token(cluster, requested.status.token)) == f"system:serviceaccount:{ns}:bot"

    core.create_namespaced_secret(ns, {"metadata": {"name": "bot-token",
                                                    "annotations": {"kubernetes.io/service-account.name": "bot"}},
                                       "type": "kubernetes.io/service-account-token"})
    secret = eventually(lambda: (s := core.read_namespaced_secret("bot-token", ns)).data and
                        s.data.get("token") and s, 60, what="token controller to populate the Secret")
    import base64

    token = base64.b64decode(secret.data["token"]).decode()
    assert _whoami(_client_with_token(cluster, token)) == f"system:serviceaccount:{ns}:bot"


def test_rbac_denies_and_allows_a_non_admin_user(cluster):
    api = cluster.api_client()
    core = client.CoreV1Api(api)
    ns = _ns(core)
    alice = config.new_client_from_config(str(cluster.make_user("alice", ["team-a"])))
    assert _whoami(alice) == "alice"
    with pytest.raises(ApiException) as denied:
        client.CoreV1Api(alice).list_namespaced_config_map(ns)
    assert denied.value.status == 403

    rbac = client.RbacAuthorizationV1Api(api)
    rbac.create_namespaced_role(ns, {"metadata": {"name": "cm-reader"},
                                     "rules": [{"apiGroups": [""], "resources": ["configmaps"],
                                                "verbs": ["get", "list"]}]})
    rbac.create_namespaced_role_binding(ns, {"metadata": {"name": "team-a-reads"},
                                             "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                                                         "name": "cm-reader"},
                                             "subjects": [{"kind": "Group", "name": "team-a",
                                                           "apiGroup": "rbac.authorization.k8s.io"}]})
    names = eventually(lambda: [c.metadata.name for c in client.CoreV1Api(alice).list_namespaced_config_map(ns).items],
                       30, what="the RoleBinding to take effect")
    assert "kube-root-ca.crt" in names
    with pytest.raises(ApiException) as still_denied:
        client.CoreV1Api(alice).create_namespaced_config_map(ns, {"metadata": {"name": "x"}})
    assert still_denied.value.status == 403


def test_server_side_apply_records_field_manager(cluster):
    api = cluster.api_client()
    ns = _ns(client.CoreV1Api(api))
    dyn = dynamic.DynamicClient(api)
    cms = dyn.resources.get(api_version="v1", kind="ConfigMap")
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "applied", "namespace": ns},
            "data": {"k": "v"}}
    dyn.server_side_apply(cms, body=body, field_manager="orch")
    live = client.CoreV1Api(api).read_namespaced_config_map("applied", ns)
    managers = {(m.manager, m.operation) for m in live.metadata.managed_fields}
    assert ("orch", "Apply") in managers


def test_crd_schema_rejects_an_invalid_object(cluster):
    api = cluster.api_client()
    group = f"smoke{uuid.uuid4().hex[:6]}.orch.test"
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": f"widgets.{group}"},
        "spec": {"group": group, "scope": "Namespaced",
                 "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
                 "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                     "type": "object", "properties": {"spec": {"type": "object", "required": ["size"],
                                                               "properties": {"size": {"type": "integer"}}}}}}}]},
    }
    client.ApiextensionsV1Api(api).create_custom_resource_definition(crd)
    cluster.wait_crds_established([f"widgets.{group}"])
    custom = client.CustomObjectsApi(api)
    ns = _ns(client.CoreV1Api(api))
    ok = {"apiVersion": f"{group}/v1", "kind": "Widget", "metadata": {"name": "ok"}, "spec": {"size": 3}}
    eventually(lambda: custom.create_namespaced_custom_object(group, "v1", ns, "widgets", ok), 20,
               what="the new CRD to be served")
    bad = {"apiVersion": f"{group}/v1", "kind": "Widget", "metadata": {"name": "bad"}, "spec": {"size": "three"}}
    with pytest.raises(ApiException) as rejected:
        custom.create_namespaced_custom_object(group, "v1", ns, "widgets", bad)
    assert rejected.value.status == 422
    assert "spec.size" in rejected.value.body


def test_apiserver_restarts_on_the_same_etcd_data(fresh_cluster):
    core = client.CoreV1Api(fresh_cluster.api_client())
    ns = _ns(core)
    core.create_namespaced_config_map(ns, {"metadata": {"name": "survivor"}, "data": {"a": "1"}})
    fresh_cluster.stop_apiserver()
    with pytest.raises(Exception):
        client.CoreV1Api(fresh_cluster.api_client()).read_namespaced_config_map("survivor", ns,
                                                                                _request_timeout=3)
    fresh_cluster.start_apiserver()
    assert core.read_namespaced_config_map("survivor", ns).data == {"a": "1"}


def test_audit_log_records_requests(cluster):
    import json

    core = client.CoreV1Api(cluster.api_client())
    ns = _ns(core)
    events = [json.loads(line) for line in cluster.audit_log.read_text().splitlines() if line.strip()]
    creates = [e for e in events if e["verb"] == "create" and e["objectRef"].get("resource") == "namespaces"
               and e["objectRef"].get("name") == ns]
    assert creates and creates[0]["user"]["username"] == "orch-admin"
