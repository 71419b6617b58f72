"""The RHDH operator's plugin dependencies (RHDH 1.7+, reference upstream-workflows-and-generations.md §D1.4).

For each *enabled* dynamic plugin of a Backstage CR (its ``spec.application.dynamicPluginsConfigMapName``
ConfigMap, key ``dynamic-plugins.yaml``) the operator applies the plugin-deps files named by the
plugin's ``dependencies[].ref``. Only ``sonataflow`` is simulated (``config/profile/rhdh/plugin-deps/
sonataflow.yaml``): four NetworkPolicies and SonataFlowPlatform ``sonataflow-platform`` in the Backstage
namespace, persistence on the Backstage database (Secret ``backstage-psql-secret-<bs>``, Service
``backstage-psql-<bs>``, database ``backstage_plugin_orchestrator``); from 1.8 also the Job
``create-sonataflow-database-<bs>`` that creates that database. Objects are owned by the Backstage CR.
Operators older than 1.7 have no plugin dependencies.
"""
from __future__ import annotations

from typing import Optional

import yaml

from . import kube as K

JOBS = K.Res("batch", "v1", "jobs", "Job")
DATABASE = "backstage_plugin_orchestrator"
DB_JOB_IMAGE = "quay.io/fedora/postgresql-15:latest"


def operator_version(ctl) -> tuple[int, int]:
    csv = ((ctl.ctx.operator_deployment("rhdh") or {}).get("metadata", {}).get("labels") or {}).get(
        "sim.orch.dev/csv", "")
    try:
        major, minor = csv.rsplit(".v", 1)[-1].split(".")[:2]
        return int(major), int(minor)
    except ValueError:
        return (0, 0)


def dependency_refs(plugins_yaml: str) -> list[str]:
    """The dependency refs of the enabled plugins (pure)."""
    doc = yaml.safe_load(plugins_yaml or "") or {}
    refs = []
    for plugin in doc.get("plugins") or []:
        if plugin.get("disabled", False):
            continue
        for dep in plugin.get("dependencies") or []:
            if isinstance(dep, dict) and dep.get("ref"):
                refs.append(dep["ref"])
    return list(dict.fromkeys(refs))


def _peers(*namespaces: str) -> list[dict]:
    return [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": n}}} for n in namespaces]


def sonataflow_objects(bs: str, ns: str, version: tuple[int, int]) -> list[tuple[K.Res, dict]]:
    """What sonataflow.yaml holds, with {{backstage-name}}/{{backstage-ns}} substituted (pure)."""
    policies = [
        ("allow-infra-ns-to-workflow-ns", [{"from": _peers("knative-eventing", "knative-serving",
                                                          "openshift-serverless-logic")}]),
        ("allow-external-communication", [{"from": [{"namespaceSelector": {"matchLabels": {
            "policy-group.network.openshift.io/ingress": ""}}}]}]),
        ("allow-intra-network", [{"from": [{"podSelector": {}}]}]),
        ("allow-monitoring-to-sonataflow-and-workflows", [{"from": _peers("openshift-user-workload-monitoring")}]),
    ]
    out: list[tuple[K.Res, dict]] = [(K.NETWORKPOLICIES, {
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": name, "namespace": ns},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": ingress}}) for name, ingress in policies]
    persistence = {"postgresql": {
        "secretRef": {"name": f"backstage-psql-secret-{bs}", "userKey": "POSTGRES_USER",
                      "passwordKey": "POSTGRES_PASSWORD"},
        "serviceRef": {"name": f"backstage-psql-{bs}", "namespace": ns, "databaseName": DATABASE}}}
    out.append((K.SONATAFLOWPLATFORMS, {
        "apiVersion": "sonataflow.org/v1alpha08", "kind": "SonataFlowPlatform",
        "metadata": {"name": "sonataflow-platform", "namespace": ns},
        "spec": {"monitoring": {"enabled": True},
                 "services": {"dataIndex": {"enabled": True, "persistence": persistence},
                              "jobService": {"enabled": True, "persistence": persistence}}}}))
    if version >= (1, 8):
        out.append((JOBS, {
            "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": f"create-sonataflow-database-{bs}",
                                                                  "namespace": ns},
            "spec": {"backoffLimit": 6, "template": {"spec": {"restartPolicy": "OnFailure", "containers": [{
                "name": "create-database", "image": DB_JOB_IMAGE,
                "command": ["sh", "-c", f"createdb {DATABASE} || true"],
                "env": [{"name": "PGHOST", "value": f"backstage-psql-{bs}"},
                        {"name": "PGUSER", "valueFrom": {"secretKeyRef": {
                            "name": f"backstage-psql-secret-{bs}", "key": "POSTGRES_USER"}}}]}]}}}}))
    return out


def sync(ctl, backstage: dict) -> Optional[float]:
    """Apply the plugin dependencies of one Backstage CR; seconds to retry while a CRD is missing."""
    version = operator_version(ctl)
    if version < (1, 7):
        return None
    ns, bs = backstage["metadata"]["namespace"], backstage["metadata"]["name"]
    cm_name = ((backstage.get("spec") or {}).get("application") or {}).get("dynamicPluginsConfigMapName")
    if not cm_name:
        return None
    cm = ctl.kube.get(K.CONFIGMAPS, cm_name, ns)
    refs = dependency_refs(((cm or {}).get("data") or {}).get("dynamic-plugins.yaml", ""))
    if "sonataflow" not in refs:
        return None
    if not ctl.ctx.hub.crd_established("sonataflowplatforms.sonataflow.org"):
        return 5.0  # the Serverless Logic operator is a prerequisite the user installs
    owner = K.owner_ref(backstage)
    for res, obj in sonataflow_objects(bs, ns, version):
        obj["metadata"]["ownerReferences"] = [owner]
        cur = ctl.kube.get(res, obj["metadata"]["name"], ns)
        if cur is None:
            ctl.kube.apply(res, obj, ctl.manager)
            ctl.action("Backstage %s/%s: plugin dependency sonataflow: applied %s %s", ns, bs, res.kind,
                       obj["metadata"]["name"])
    return None
