"""The install facts the wiring needs, read from the cluster through the detected Installation.

Every name comes from the Installation (generations/detect.py): where BACKEND_SECRET lives, the
Backstage Service, the PostgreSQL a workflow namespace uses. Nothing here depends on the version.
"""

from __future__ import annotations

from typing import Protocol

from orchestrator_cli.core import secrets
from orchestrator_cli.core.errors import StepFailed
from orchestrator_cli.generations.detect import Installation
from orchestrator_cli.kube.client import Ref
from orchestrator_cli.workflows.wiring import NOTIFICATIONS_URL, WiringFacts


class FactsKube(Protocol):
    def get(self, ref: Ref) -> dict | None: ...


def service_url(ref: Ref, service: dict | None) -> str:
    """http://NAME.NAMESPACE, with the Service's first port unless it is 80 (pure)."""
    ports = ((service or {}).get("spec") or {}).get("ports") or []
    port = ports[0].get("port") if ports and isinstance(ports[0], dict) else 80
    return f"http://{ref.name}.{ref.namespace}" + ("" if port in (80, None) else f":{port}")


def gather(kube: FactsKube, inst: Installation, namespace: str,
           env: dict[str, str] | None = None) -> tuple[WiringFacts, list[str]]:
    """The facts for a release in `namespace`, and warnings (e.g. the Backstage Service not found)."""
    warnings: list[str] = []
    ref = inst.backend_secret_ref
    token = secrets.live_values(kube.get(ref)).get(inst.backend_secret_key)
    if not token:
        raise StepFailed(f"{ref} holds no {inst.backend_secret_key}: workflows could not send notifications; "
                         "is the installation complete? (`orch status`, or re-run `orch install`)")
    secrets.register_secrets({"BACKEND_SECRET": token})
    env = dict(env or {})
    svc_ref = inst.backstage_service_ref
    service = kube.get(svc_ref)
    url = service_url(svc_ref, service)
    if service is None and NOTIFICATIONS_URL not in env:
        warnings.append(f"the Backstage {svc_ref} was not found; {NOTIFICATIONS_URL} points at {url} anyway "
                        f"(pass --env {NOTIFICATIONS_URL}=URL if Backstage is elsewhere)")
    facts = WiringFacts(namespace=namespace, token=token, notifications_url=url,
                        persistence=inst.workflow_persistence(namespace), env=tuple(sorted(env.items())))
    return facts, warnings
