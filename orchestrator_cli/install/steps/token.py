"""ServiceAccount + long-lived token Secret for K8S_CLUSTER_TOKEN (fixes reference 1.4/1.6 bugs).

Least privilege by default (ClusterRole orch-backstage-reader); cluster-admin only with
--token-cluster-admin. orch waits until the token controller has populated .data.token.
"""

from __future__ import annotations

from orchestrator_cli.core import secrets
from orchestrator_cli.core.render import render
from orchestrator_cli.health.waiter import WaitItem
from orchestrator_cli.install.steps.base import Change, Step, StepContext, plan_object
from orchestrator_cli.install.steps.waits import run_waits
from orchestrator_cli.kube.client import Ref

READER_ROLE = "orch-backstage-reader"


def token_objects(config) -> list[dict]:
    role = "cluster-admin" if config.token_cluster_admin else READER_ROLE
    objs = render("token.yaml", {"sa_name": config.token_service_account, "namespace": config.orchestrator_namespace,
                                 "role_name": role})
    if not config.token_cluster_admin:
        objs = render("token-reader-role.yaml", {}) + objs
    return objs


def token_secret_ref(config) -> Ref:
    return Ref("v1", "Secret", f"{config.token_service_account}-token", config.orchestrator_namespace)


class TokenStep(Step):
    id = "token"
    title = "ServiceAccount token for Backstage"

    def plan(self, ctx: StepContext) -> list[Change]:
        return [plan_object(ctx.kube, obj) for obj in token_objects(ctx.config)]

    def verify(self, ctx: StepContext) -> None:
        ref = token_secret_ref(ctx.config)
        run_waits(ctx, [WaitItem("token", ref, "token", ctx.config.timeout_for("token"))], "ServiceAccount token")
        secret = ctx.kube.get(ref) or {}
        token = secrets.live_values(secret).get("token")
        if token:
            secrets.REDACT.add([token])
            ctx.state["token"] = token
