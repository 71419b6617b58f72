"""Simulated OpenShift Serverless operator: KnativeServing / KnativeEventing."""
from __future__ import annotations

from typing import Optional

from . import kube as K
from . import workloads as W
from .config import SimConfig
from .operand import OperandController

DEPENDENT_CONDITIONS = ("DependenciesInstalled", "DeploymentsAvailable", "InstallSucceeded",
                        "VersionMigrationEligible")


class _KnativeController(OperandController):
    package = "serverless-operator"
    manager = "knative-openshift"
    component = ""
    waiting_on = ""

    @property
    def finalizer(self) -> str:  # knative reconcilers use "<plural>.<group>"
        return f"{self.res.plural}.{self.res.group}"

    def sync(self, obj: dict, cfg: SimConfig) -> Optional[float]:
        wait = W.delay_remaining(obj, cfg.delay(self.component))
        never = self.component in cfg.never_ready
        ready = wait <= 0 and not never
        csv = ((self.ctx.operator_deployment(self.package) or {}).get("metadata", {})
               .get("labels", {}).get("sim.orch.dev/csv", ""))
        version = csv.rsplit(".v", 1)[-1] if ".v" in csv else ""
        self.set_ready(obj, "Ready", ready, "" if ready else "NotReady",
                       "" if ready else f"Waiting on deployments: {self.waiting_on}",
                       extra_types=DEPENDENT_CONDITIONS, version=version)
        return wait if wait > 0 and not never else None


class KnativeServingController(_KnativeController):
    name = "serverless.knativeserving"
    res = K.KNATIVESERVINGS
    component = "knativeserving"
    waiting_on = "activator, autoscaler, controller, webhook"


class KnativeEventingController(_KnativeController):
    name = "serverless.knativeeventing"
    res = K.KNATIVEEVENTINGS
    component = "knativeeventing"
    waiting_on = "eventing-controller, eventing-webhook, imc-controller, imc-dispatcher"
