"""Runs the local cluster in the background for `make cluster-up` and the demo.

Started inside its own network namespace by tests/cluster/cluster-up; writes
.cluster/state.json (pid, kubeconfig, logs) once the cluster is ready, and stops
the cluster on SIGTERM/SIGINT (`make cluster-down`).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import threading

from tests.cluster.harness import REPO, Cluster

STATE_DIR = REPO / ".cluster"
STATE_FILE = STATE_DIR / "state.json"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--flavor", choices=["vanilla", "openshift"], default="openshift")
    args = parser.parse_args()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    STATE_DIR.mkdir(exist_ok=True)
    try:
        cluster = Cluster.start(args.flavor)
    except Exception as exc:
        (STATE_DIR / "failed").write_text(f"{type(exc).__name__}: {exc}\n")
        raise
    try:
        kubeconfig = STATE_DIR / "kubeconfig"
        kubeconfig.write_text(cluster.kubeconfig.read_text())
        kubeconfig.chmod(0o600)
        state = cluster.describe() | {"pid": os.getpid(), "kubeconfig": str(kubeconfig)}
        tmp = STATE_FILE.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=2))
        tmp.replace(STATE_FILE)
        stop.wait()
    finally:
        cluster.stop()
        STATE_FILE.unlink(missing_ok=True)
        (STATE_DIR / "kubeconfig").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
