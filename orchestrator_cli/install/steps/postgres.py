"""PostgreSQL reference deployment (reference section 5), or checks of an external one."""

from __future__ import annotations

from orchestrator_cli.core import secrets
from orchestrator_cli.core.errors import StepFailed
from orchestrator_cli.core.render import render
from orchestrator_cli.health.waiter import WaitItem
from orchestrator_cli.install.steps.base import Change, Step, StepContext, plan_object
from orchestrator_cli.install.steps.waits import run_waits
from orchestrator_cli.kube.client import Ref

POSTGRES_IMAGE = "registry.redhat.io/rhel9/postgresql-15"
USER_KEY, PASSWORD_KEY = "postgres-username", "postgres-password"


def postgres_credentials(live_secret: dict | None) -> dict[str, str]:
    """Generated once; a re-run (or a hand edit) keeps the live values."""
    return secrets.merge(
        live=secrets.live_values(live_secret),
        explicit={},
        generated={USER_KEY: lambda: "postgres", PASSWORD_KEY: secrets.generate_token},
    )


class PostgresStep(Step):
    id = "postgres"
    title = "PostgreSQL"

    def plan(self, ctx: StepContext) -> list[Change]:
        c = ctx.config
        if c.postgres_external:
            return self._check_external(ctx)
        live_secret = ctx.kube.get(Ref("v1", "Secret", c.postgres_secret, c.workflow_namespace))
        creds = postgres_credentials(live_secret)
        secrets.register_secrets(creds)
        objects = render("postgres.yaml", {
            "namespace": c.workflow_namespace, "secret_name": c.postgres_secret, "service_name": c.postgres_service,
            "database": c.postgres_database, "image": POSTGRES_IMAGE, "secret_data": secrets.secret_data(creds),
        })
        return [plan_object(ctx.kube, obj) for obj in objects]

    def _check_external(self, ctx: StepContext) -> list[Change]:
        c = ctx.config
        secret = ctx.kube.get(Ref("v1", "Secret", c.postgres_secret, c.workflow_namespace))
        if secret is None:
            raise StepFailed(f"--postgres-external: Secret {c.postgres_secret} not found in {c.workflow_namespace} "
                             f"(the SonataFlow platform reads it there; keys {USER_KEY}, {PASSWORD_KEY})")
        missing = [k for k in (USER_KEY, PASSWORD_KEY) if not (secret.get("data") or {}).get(k)]
        if missing:
            raise StepFailed(f"--postgres-external: Secret {c.postgres_secret} in {c.workflow_namespace} lacks "
                             f"key(s) {', '.join(missing)}")
        service = ctx.kube.get(Ref("v1", "Service", c.postgres_service, c.postgres_namespace))
        if service is None:
            raise StepFailed(f"--postgres-external: Service {c.postgres_service} not found in {c.postgres_namespace}")
        return [Change("info", Ref("v1", "Service", c.postgres_service, c.postgres_namespace), None,
                       "external PostgreSQL: Secret and Service found, nothing deployed")]

    def verify(self, ctx: StepContext) -> None:
        c = ctx.config
        if c.postgres_external:
            return
        pods = WaitItem("postgres", Ref("apps/v1", "StatefulSet", c.postgres_service, c.workflow_namespace),
                        "statefulset", c.timeout_for("postgres"))
        # Ready pods are not enough: data-index and jobs-service, started next, crash-loop unless the
        # Service already routes to PostgreSQL (the endpoint controller can lag, e.g. after an API
        # server restart).
        service = WaitItem("postgres-service",
                           Ref("discovery.k8s.io/v1", "EndpointSlice", c.postgres_service, c.workflow_namespace),
                           "endpoints", c.timeout_for("postgres-service"),
                           selector=f"kubernetes.io/service-name={c.postgres_service}")
        run_waits(ctx, [pods, service], "PostgreSQL")
