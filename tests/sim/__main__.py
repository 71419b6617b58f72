"""Entry point: ``python -m tests.sim --kubeconfig PATH [--log-file PATH]``.

Runs every simulator until SIGTERM/SIGINT, then exits 0.
"""
from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading

from . import kube as K
from .config import CONFIG_NAME, CONFIG_NAMESPACE
from .runtime import Ctx, Hub


# Simulators a real operator replaces (`--real NAME`, the harness's Cluster.start(real=...)): two
# reconcilers of one CR would make a test meaningless.
REPLACED_BY_REAL = {"knative": ("KnativeServingController", "KnativeEventingController"),
                    "rhdh": ("BackstageController",)}


def build(kube: K.Kube, stop: threading.Event, real: tuple[str, ...] = ()) -> Ctx:
    from .olm import OperatorPodFaults, PackageServer
    from .orchestrator_operator import OrchestratorController
    from .rhdh import BackstageController
    from .router import RouteAdmitter
    from .serverless import KnativeEventingController, KnativeServingController
    from .sonataflow import ClusterPlatformController, PlatformController, WorkflowController

    hub = Hub(kube, stop)
    ctx = Ctx(kube, hub, stop)
    replaced = {name for r in real for name in REPLACED_BY_REAL[r]}
    for cls in (PackageServer, OperatorPodFaults,
                OrchestratorController, KnativeServingController, KnativeEventingController,
                PlatformController, ClusterPlatformController, WorkflowController,
                BackstageController, RouteAdmitter):
        if cls.__name__ not in replaced:
            cls(ctx)

    log = logging.getLogger("sim.config")

    def config_changed(etype: str, obj: dict) -> None:
        m = obj.get("metadata", {})
        if m.get("name") == CONFIG_NAME and m.get("namespace") == CONFIG_NAMESPACE:
            log.info("simulator-config %s: re-reconciling everything", etype.lower())
            ctx.resync_all()
    hub.informer(K.CONFIGMAPS).add_handler(config_changed)
    return ctx


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.sim", description=__doc__)
    p.add_argument("--kubeconfig", required=True)
    p.add_argument("--log-file")
    p.add_argument("--verbose", "-v", action="store_true")
    p.add_argument("--real", action="append", default=[], choices=sorted(REPLACED_BY_REAL),
                   help="an operator that runs for real: its simulator stays off")
    args = p.parse_args(argv)

    # One destination: the log file if given (the harness also captures stderr into the same
    # component log, so writing both would duplicate every line), else stderr.
    handlers: list[logging.Handler] = [logging.FileHandler(args.log_file) if args.log_file
                                       else logging.StreamHandler(sys.stderr)]
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s [%(name)s] %(message)s",
                        handlers=handlers)
    for noisy in ("urllib3", "kubernetes"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

    stop = threading.Event()

    def on_signal(signum, _frame):
        logging.getLogger("sim").info("signal %s: stopping", signum)
        stop.set()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    kube = K.Kube.from_kubeconfig(args.kubeconfig)
    ctx = build(kube, stop, tuple(args.real))
    ctx.hub.start()
    ctx.hub.wait_synced(30)
    for c in ctx.controllers:
        c.start()
        c.enqueue_all()
    logging.getLogger("sim").info("simulators running: %s",
                                  ", ".join(c.name for c in ctx.controllers))
    while not stop.wait(1.0):
        pass
    logging.getLogger("sim").info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
