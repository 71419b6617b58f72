"""The installation record on Kubernetes. There is no Orchestrator operator (and no Orchestrator CR) there: orch
records what it installed in a ConfigMap in the orchestrator namespace, whose `spec` has the Orchestrator CR's
shape (v1alpha1 keys), so day-2 commands read it like a CR (generations.detect)."""

from __future__ import annotations

import yaml

from orchestrator_cli.core.ownership import MANAGED_BY, PART_OF

RECORD_NAME = "orchestrator-installation"
RECORD_LABEL = "orch.rhdhorchestrator.io/installation"
RECORD_SELECTOR = f"{RECORD_LABEL}=kubernetes"


def find_records(kube) -> list[dict]:
    """Every installation record on the cluster (cluster-wide list by label)."""
    items, _ = kube.list("v1", "ConfigMap", label_selector=RECORD_SELECTOR)
    return sorted(items, key=lambda i: (i["metadata"]["namespace"], i["metadata"]["name"]))


def record_spec(config) -> dict:
    """The Orchestrator-CR-shaped spec of an install (pure)."""
    return {
        "orchestrator": {"namespace": config.workflow_namespace},
        "rhdhOperator": {"enabled": True, "subscription": {"targetNamespace": config.rhdh_namespace},
                         "secretRef": {"name": "backstage-backend-auth-secret"}},
        "postgres": {"serviceName": config.postgres_service, "serviceNamespace": config.postgres_namespace,
                     "authSecret": {"name": config.postgres_secret, "userKey": "postgres-username",
                                    "passwordKey": "postgres-password"},
                     "database": config.postgres_database},
        "argocd": {"enabled": False},
    }


def record_object(config, ingress_class: str) -> dict:
    return {
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": RECORD_NAME, "namespace": config.orchestrator_namespace,
                     "labels": {**MANAGED_BY, **PART_OF, RECORD_LABEL: "kubernetes"}},
        "data": {"version": config.version, "platform": "kubernetes", "ingressClass": ingress_class,
                 "host": config.host, "spec.yaml": yaml.safe_dump(record_spec(config), sort_keys=True)},
    }


def record_as_cr(record: dict) -> dict:
    """The record as the Orchestrator CR day-2 reads (pure): metadata of the ConfigMap, its spec."""
    data = record.get("data") or {}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": record["metadata"],
            "spec": yaml.safe_load(data.get("spec.yaml") or "{}") or {}}


def installation_from_records(kube):
    """The Kubernetes installation orch recorded, or None (several records: the first, by namespace)."""
    from orchestrator_cli.core.errors import NotInstalled
    from orchestrator_cli.generations import GENERATIONS
    from orchestrator_cli.kube.client import NotServed
    from orchestrator_cli.platforms.kubernetes_generation import kubernetes_generation

    try:
        records = find_records(kube)
    except NotServed:
        return None
    live = [r for r in records if not r["metadata"].get("deletionTimestamp")]
    if not live:
        return None
    if len(live) > 1:
        names = ", ".join(f"{r['metadata']['namespace']}/{r['metadata']['name']}" for r in live)
        raise NotInstalled(f"several orch installation records found ({names}); orch supports one installation "
                           "per cluster")
    record = live[0]
    version = (record.get("data") or {}).get("version")
    if version not in GENERATIONS:
        raise NotInstalled(f"the installation record {record['metadata']['namespace']}/{RECORD_NAME} names "
                           f"Orchestrator {version!r}, which this orch does not know")
    return installation_from_record(record, kubernetes_generation(GENERATIONS[version]))


def installation_from_record(record: dict, generation):
    """The Installation a record describes (pure; read by orch's own keys, whatever the generation's CR family)."""
    from orchestrator_cli.generations.installation import Installation

    cr = record_as_cr(record)
    spec = cr["spec"]
    pg = spec.get("postgres") or {}
    auth = pg.get("authSecret") or {}
    workflow_ns = (spec.get("orchestrator") or {}).get("namespace") or "sonataflow-infra"
    return Installation(
        generation=generation, cr=cr, orchestrator_namespace=record["metadata"]["namespace"],
        workflow_namespace=workflow_ns,
        rhdh_namespace=((spec.get("rhdhOperator") or {}).get("subscription") or {}).get("targetNamespace")
        or "rhdh-operator",
        existing_rhdh=False,
        postgres_service=pg.get("serviceName") or "sonataflow-psql-postgresql",
        postgres_namespace=pg.get("serviceNamespace") or workflow_ns,
        postgres_secret=auth.get("name") or "sonataflow-psql-postgresql",
        postgres_user_key=auth.get("userKey") or "postgres-username",
        postgres_password_key=auth.get("passwordKey") or "postgres-password",
        postgres_database=pg.get("database") or "sonataflow",
        gitops=False, argocd_namespace=None,
        backend_secret=((spec.get("rhdhOperator") or {}).get("secretRef") or {}).get("name")
        or "backstage-backend-auth-secret",
        backstage_service=generation.backstage_service, backstage_deployment=generation.backstage_deployment,
        backstage_route=generation.backstage_route, platform="kubernetes")
