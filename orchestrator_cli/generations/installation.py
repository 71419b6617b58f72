"""What is installed, as data: the facts every day-2 command reads (built by a family from the live objects)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from orchestrator_cli.core.ownership import is_managed
from orchestrator_cli.generations.model import Generation
from orchestrator_cli.kube.client import Ref


def spec_get(d: Any, path: str, default=None):
    """d[a][b][c] for path "a.b.c", or default when missing or null (pure)."""
    for part in path.split("."):
        if not isinstance(d, dict) or part not in d:
            return default
        d = d[part]
    return default if d is None else d


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
    # "kubernetes": installed from release manifests; `cr` is then orch's installation record (a ConfigMap with the
    # CR's spec shape, platforms/kubernetes_record.py) and the generation has the Kubernetes names.
    platform: str = "openshift"
    backstage_deployment: str = "backstage-backstage"  # in rhdh_namespace (the RHDH operator's backstage-<CR>)
    backstage_route: str = "backstage-backstage"
    # Namespaces that existed before orch first applied the CR (the Go operator labels and later deletes
    # every namespace it touches; cleanup protects these): recorded on orch's CR.
    preexisting_namespaces: tuple[str, ...] = field(default_factory=tuple)

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
        return Ref(self.cr.get("apiVersion", self.generation.cr_api_version), self.cr.get("kind", "Orchestrator"),
                   md["name"], md["namespace"])

    @property
    def version(self) -> str:
        return self.generation.version

    @property
    def managed_by_orch(self) -> bool:
        return is_managed(self.cr)


