"""Find the installed Orchestrator: its CR, the generation it implies, and the namespaces it uses.

Day-2 commands (status, workflow add/remove/list-namespaces, cleanup) never ask the user which
version is installed: the Orchestrator CRD's storage version names the generation
(v1alpha1 -> 1.3, v1alpha2 -> 1.4; generations.GENERATIONS), and the CR's spec names the
namespaces, the PostgreSQL service and secret, and whether GitOps is configured.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from orchestrator_cli.core.errors import NotInstalled
from orchestrator_cli.core.ownership import is_managed
from orchestrator_cli.generations import GENERATIONS, Generation
from orchestrator_cli.kube.client import NotServed, Ref

CRD_NAME = "orchestrators.rhdh.redhat.com"
CRD_REF = Ref("apiextensions.k8s.io/v1", "CustomResourceDefinition", CRD_NAME)


class DetectKube(Protocol):
    def get(self, ref: Ref) -> dict | None: ...
    def list(self, api_version: str, kind: str, namespace: str | None = None, *, label_selector: str | None = None,
             field_selector: str | None = None) -> tuple[list[dict], str | None]: ...


@dataclass(frozen=True)
class WorkflowPersistence:
    """Where a workflow's own persistence (SonataFlow spec.persistence.postgresql) must point.

    The Secret is always looked up in the workflow's namespace (a SonataFlow's secretRef has no
    namespace): outside the PostgreSQL namespace `orch workflow add-namespace` puts a copy there.
    The Service is named with its namespace; `serviceRef.namespace` is set only outside it.
    """

    secret_name: str
    user_key: str
    password_key: str
    service_name: str
    service_namespace: str
    database: str
    port: int = 5432


@dataclass(frozen=True)
class Installation:
    """What is installed, as data. Besides the namespaces and PostgreSQL facts, it answers the questions
    `orch workflow install` asks (every generation answers them from its own data, never `if version`):

    - `workflow_chart_repository`: the Helm repository of this generation's workflow charts;
    - `backend_secret_ref` / `backend_secret_key`: the Secret and key holding BACKEND_SECRET, the static
      token workflows send notifications with (NOTIFICATIONS_BEARER_TOKEN);
    - `backstage_service_ref`: the Backstage Service (BACKSTAGE_NOTIFICATIONS_URL points at it);
    - `workflow_persistence(namespace)`: the PostgreSQL Secret/keys/Service a workflow in that namespace uses;
    - `sonataflow_operator_ref`: the SonataFlow operator Deployment (it must run while workflows are deleted:
      their finalizers need it).
    A generation whose objects are named differently (the Go operator's `backstage-<rhdh.name>`, 1.7+'s
    `backstage-psql-secret-<name>`) fills the fields below differently where the Installation is built.
    """

    generation: Generation
    cr: dict
    orchestrator_namespace: str
    workflow_namespace: str  # the SonataFlow platform namespace
    rhdh_namespace: str
    existing_rhdh: bool
    postgres_service: str
    postgres_namespace: str
    postgres_secret: str
    postgres_user_key: str
    postgres_password_key: str
    postgres_database: str
    gitops: bool
    argocd_namespace: str | None
    backend_secret: str = "backstage-backend-auth-secret"  # in rhdh_namespace
    backend_secret_key: str = "BACKEND_SECRET"
    backstage_service: str = "backstage-backstage"  # in rhdh_namespace
    postgres_port: int = 5432

    @property
    def workflow_chart_repository(self) -> str:
        return self.generation.workflow_chart_repository

    @property
    def backend_secret_ref(self) -> Ref:
        return Ref("v1", "Secret", self.backend_secret, self.rhdh_namespace)

    @property
    def backstage_service_ref(self) -> Ref:
        return Ref("v1", "Service", self.backstage_service, self.rhdh_namespace)

    def workflow_persistence(self, namespace: str) -> WorkflowPersistence:
        """The persistence a workflow in `namespace` uses: the installation's PostgreSQL, through the Secret of
        the same name in that namespace (the platform's own, or add-namespace's copy)."""
        return WorkflowPersistence(secret_name=self.postgres_secret, user_key=self.postgres_user_key,
                                   password_key=self.postgres_password_key, service_name=self.postgres_service,
                                   service_namespace=self.postgres_namespace, database=self.postgres_database,
                                   port=self.postgres_port)

    @property
    def sonataflow_operator_ref(self) -> Ref | None:
        wait_id = self.generation.sonataflow_operator_wait_id
        for t in self.generation.wait_list:
            if t.id == wait_id:
                ns = t.namespace.format(workflow_namespace=self.workflow_namespace, rhdh_namespace=self.rhdh_namespace)
                return Ref(t.api_version, t.kind, t.name, ns)
        return None

    @property
    def cr_ref(self) -> Ref:
        md = self.cr["metadata"]
        return Ref(self.cr.get("apiVersion", self.generation.cr_api_version), "Orchestrator", md["name"],
                   md["namespace"])

    @property
    def version(self) -> str:
        return self.generation.version

    @property
    def managed_by_orch(self) -> bool:
        return is_managed(self.cr)


def generation_for(api_version: str) -> Generation | None:
    for gen in GENERATIONS.values():
        if gen.cr_api_version == api_version:
            return gen
    return None


def _g(d: Any, path: str, default=None):
    for part in path.split("."):
        if not isinstance(d, dict) or part not in d:
            return default
        d = d[part]
    return default if d is None else d


def installation_from_cr(cr: dict, generation: Generation) -> Installation:
    """Pure: the facts day-2 commands need, read from the CR spec (CRD defaults as fall-backs)."""
    spec = cr.get("spec") or {}
    ns = cr["metadata"]["namespace"]
    rhdh_enabled = _g(spec, "rhdhOperator.enabled", True)
    rhdh_ns = (_g(spec, "rhdhOperator.subscription.targetNamespace") or "rhdh-operator") if rhdh_enabled \
        else (_g(spec, "networkPolicy.rhdhNamespace") or "")
    workflow_ns = _g(spec, "orchestrator.namespace") or "sonataflow-infra"
    gitops = bool(_g(spec, "argocd.enabled", False))
    return Installation(
        generation=generation,
        cr=cr,
        orchestrator_namespace=ns,
        workflow_namespace=workflow_ns,
        rhdh_namespace=rhdh_ns,
        existing_rhdh=not rhdh_enabled,
        postgres_service=_g(spec, "postgres.serviceName") or "sonataflow-psql-postgresql",
        postgres_namespace=_g(spec, "postgres.serviceNamespace") or workflow_ns,
        postgres_secret=_g(spec, "postgres.authSecret.name") or "sonataflow-psql-postgresql",
        postgres_user_key=_g(spec, "postgres.authSecret.userKey") or "postgres-username",
        postgres_password_key=_g(spec, "postgres.authSecret.passwordKey") or "postgres-password",
        postgres_database=_g(spec, "postgres.database") or "sonataflow",
        gitops=gitops,
        argocd_namespace=(_g(spec, "argocd.namespace") or "orchestrator-gitops") if gitops else None,
        backend_secret=_g(spec, "rhdhOperator.secretRef.name") or "backstage-backend-auth-secret",
        backstage_service=generation.backstage_service,
    )


def pick_cr(crs: list[dict]) -> dict:
    """One CR: the one orch manages when there are several (pure). Raises NotInstalled on ambiguity."""
    live = [c for c in crs if not (c.get("metadata") or {}).get("deletionTimestamp")] or crs
    if len(live) == 1:
        return live[0]
    ours = [c for c in live if is_managed(c)]
    if len(ours) == 1:
        return ours[0]
    names = ", ".join(f"{c['metadata']['namespace']}/{c['metadata']['name']}" for c in live)
    raise NotInstalled(f"several Orchestrator CRs found ({names}); orch supports one installation per cluster")


def find_crs(kube: DetectKube) -> tuple[list[dict], Generation | None]:
    """All Orchestrator CRs and the generation the CRD's storage version implies ([] when none)."""
    crd = kube.get(CRD_REF)
    if crd is None:
        return [], None
    versions = (crd.get("spec") or {}).get("versions") or []
    storage = [v["name"] for v in versions if v.get("storage")]
    served = [v["name"] for v in versions if v.get("served")]
    group = (crd.get("spec") or {}).get("group", "rhdh.redhat.com")
    generation = None
    for version in storage + served:
        generation = generation_for(f"{group}/{version}")
        if generation is not None:
            break
    if generation is None:
        known = ", ".join(sorted(g.cr_api_version for g in GENERATIONS.values()))
        raise NotInstalled(f"the Orchestrator CRD serves {', '.join(served) or 'no version'}; orch knows {known} "
                           "(Orchestrator 1.5+ is not supported yet)")
    try:
        crs, _ = kube.list(generation.cr_api_version, "Orchestrator")
    except NotServed:
        return [], generation
    for cr in crs:
        cr.setdefault("apiVersion", generation.cr_api_version)
        cr.setdefault("kind", "Orchestrator")
    return crs, generation


def detect(kube: DetectKube) -> Installation:
    """The installation, or NotInstalled with a hint."""
    crs, generation = find_crs(kube)
    if not crs or generation is None:
        raise NotInstalled("no Orchestrator CR found on this cluster; install first with `orch install`")
    return installation_from_cr(pick_cr(crs), generation)


def detect_optional(kube: DetectKube) -> Installation | None:
    try:
        return detect(kube)
    except NotInstalled:
        return None


OLM_API = "operators.coreos.com/v1alpha1"


def operator_subscriptions(inst: Installation) -> list[tuple[str, Ref]]:
    """The OLM Subscriptions this installation runs on, each with the component it installs (pure):
    orch's own (the generation's operator pin), then those the CR tells the operator to create."""
    op = inst.generation.operator
    out = [("orchestrator-operator", Ref(OLM_API, "Subscription", op.subscription, op.namespace))]
    spec = inst.cr.get("spec") or {}
    operands = [("serverless-logic-operator", "sonataFlowOperator", inst.generation.serverless_logic),
                ("serverless-operator", "serverlessOperator", inst.generation.serverless)]
    for component, key, pin in operands:
        if _g(spec, f"{key}.enabled", True) is False:
            continue
        name = _g(spec, f"{key}.subscription.name") or pin.name
        namespace = _g(spec, f"{key}.subscription.namespace") or pin.namespace
        out.append((component, Ref(OLM_API, "Subscription", name, namespace)))
    if not inst.existing_rhdh:
        name = _g(spec, "rhdhOperator.subscription.name") or "rhdh"
        out.append(("rhdh-operator", Ref(OLM_API, "Subscription", name, inst.rhdh_namespace)))
    return out


def backstage_deployment_ref(inst: Installation) -> Ref | None:
    """The Backstage Deployment the RHDH operator runs for this installation (None with an existing RHDH,
    whose Backstage orch does not name)."""
    if inst.existing_rhdh:
        return None
    return Ref("apps/v1", "Deployment", inst.generation.backstage_deployment, inst.rhdh_namespace)
