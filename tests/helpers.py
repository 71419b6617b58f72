"""Small helpers shared by the cluster tests."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import yaml


def eventually(predicate, timeout: float = 60, interval: float = 0.25, what: str = "condition",
               describe=None):
    """Returns predicate()'s first truthy value, or fails the test after `timeout` seconds.

    `describe()` (optional) tells what was seen instead; it goes on the failure's one line, which is
    what CI's short summary keeps."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except Exception as exc:  # not there yet
            last_exc = exc
        time.sleep(interval)
    message = f"timed out after {timeout}s waiting for {what}"
    if last_exc:
        message += f" (last error: {last_exc})"
    if describe is not None:
        try:
            message += f"; seen: {describe()}"
        except Exception as exc:  # noqa: BLE001 - a diagnosis must not hide the timeout
            message += f"; could not describe the state: {exc}"
    raise AssertionError(message)


def condition_status(obj: dict, cond_type: str) -> str | None:
    for cond in ((obj or {}).get("status") or {}).get("conditions") or []:
        if cond.get("type") == cond_type:
            return cond.get("status")
    return None


# ---- running orch and configuring the simulators from e2e tests --------------------------------------------

ORCH = str(Path(sys.executable).parent / "orch")
# The upstream secret variables a developer may have exported: tests decide them explicitly.
UPSTREAM_SECRET_ENV = ("GITHUB_TOKEN", "GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET", "GITLAB_HOST", "GITLAB_TOKEN")


def run_orch(cluster, *args, kubeconfig=None, env=None, timeout=300) -> subprocess.CompletedProcess:
    """Runs the installed `orch` against `cluster` (admin kubeconfig unless another is given), no stdin."""
    full_env = cluster.env(kubeconfig) if kubeconfig else cluster.env()
    for key in UPSTREAM_SECRET_ENV:
        full_env.pop(key, None)
    full_env.update(env or {})
    return subprocess.run([ORCH, *args], env=full_env, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def set_sim_config(cluster, config: dict) -> None:
    """Writes the simulators' ConfigMap (tests/sim/README.md); they re-read it on every reconcile."""
    cluster.apply_manifests([
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "orch-sim"}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "simulator-config", "namespace": "orch-sim"},
         "data": {"config.yaml": yaml.safe_dump(config)}},
    ])
