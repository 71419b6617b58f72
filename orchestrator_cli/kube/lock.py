"""A Lease-based lock so two `orch install` runs never write at the same time.

Taken lazily before the first write (a no-op re-run writes nothing, not even the lock),
renewed by a background thread, deleted on exit. A holder that died stops renewing; its
lease expires after LEASE_SECONDS and the next run takes it over.
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
import socket
import threading
import time
from typing import Callable

from orchestrator_cli.core.errors import LockTimeout
from orchestrator_cli.core.ownership import MANAGED_BY
from orchestrator_cli.kube.client import SHORT_BUDGET, Ref, _status

LEASE_NAME = "orch-install-lock"
LEASE_SECONDS = 30
RENEW_EVERY = 10


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _fmt(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse(s: str | None) -> dt.datetime | None:
    if not s:
        return None
    try:
        return dt.datetime.strptime(s.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S.%f%z")
    except ValueError:
        try:
            return dt.datetime.strptime(s.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S%z")
        except ValueError:
            return None


def identity() -> str:
    try:
        user = getpass.getuser()
    except Exception:  # noqa: BLE001
        user = "unknown"
    return f"{user}@{socket.gethostname()} pid {os.getpid()}"


def expired(lease: dict, now: dt.datetime) -> bool:
    spec = lease.get("spec") or {}
    renewed = _parse(spec.get("renewTime")) or _parse(spec.get("acquireTime"))
    duration = spec.get("leaseDurationSeconds") or LEASE_SECONDS
    return renewed is None or (now - renewed).total_seconds() > duration


class InstallLock:
    def __init__(self, kube, namespace: str, *, timeout: float = 600, on_wait: Callable[[str], None] = lambda m: None,
                 holder: str | None = None):
        self.kube = kube
        self.namespace = namespace
        self.timeout = timeout
        self.on_wait = on_wait
        self.holder = holder or identity()
        self.held = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def ref(self) -> Ref:
        return Ref("coordination.k8s.io/v1", "Lease", LEASE_NAME, self.namespace)

    def _body(self, resource_version: str | None = None) -> dict:
        now = _fmt(_now())
        md = {"name": LEASE_NAME, "namespace": self.namespace, "labels": dict(MANAGED_BY)}
        if resource_version:
            md["resourceVersion"] = resource_version
        return {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": md,
                "spec": {"holderIdentity": self.holder, "leaseDurationSeconds": LEASE_SECONDS,
                         "acquireTime": now, "renewTime": now}}

    def acquire(self) -> None:
        if self.held:
            return
        deadline = time.monotonic() + self.timeout
        told = None
        while True:
            try:
                self.kube.create(self._body())
                break
            except Exception as exc:  # noqa: BLE001
                if _status(exc) != 409:
                    raise
            lease = self.kube.get(self.ref)
            if lease is not None and ((lease.get("spec") or {}).get("holderIdentity") == self.holder):
                break  # ours: an earlier attempt of this create made it and only its response was lost
            if lease is not None and expired(lease, _now()):
                try:
                    self.kube.replace(self._body(lease["metadata"]["resourceVersion"]))
                    break
                except Exception as exc:  # noqa: BLE001
                    if _status(exc) not in (409, 404):
                        raise
                    continue
            holder = ((lease or {}).get("spec") or {}).get("holderIdentity", "another orch run")
            if holder != told:
                self.on_wait(f"waiting for the install lock held by {holder} "
                             f"(Lease {LEASE_NAME} in {self.namespace})")
                told = holder
            if time.monotonic() > deadline:
                raise LockTimeout(f"the install lock is still held by {holder} after {self.timeout:.0f}s; "
                                  f"if that run is gone, the lock expires {LEASE_SECONDS}s after its last renewal")
            time.sleep(1)
        self.held = True
        self._thread = threading.Thread(target=self._renew, name="lock-renew", daemon=True)
        self._thread.start()

    def _renew(self) -> None:
        while not self._stop.wait(RENEW_EVERY):
            try:
                lease = self.kube.get(self.ref)
                if lease is None or (lease.get("spec") or {}).get("holderIdentity") != self.holder:
                    return
                lease["spec"]["renewTime"] = _fmt(_now())
                self.kube.replace(lease)
            except Exception:  # noqa: BLE001 - the next renewal retries; expiry is 3 renewals away
                continue

    def release(self) -> None:
        self._stop.set()
        if not self.held:
            return
        self.held = False
        try:  # briefly: on the way out after an outage or Ctrl-C, an expiring lease beats a long wait
            lease = self.kube.get(self.ref, budget=SHORT_BUDGET)
            if lease is not None and (lease.get("spec") or {}).get("holderIdentity") == self.holder:
                self.kube.delete(self.ref, budget=SHORT_BUDGET)
        except Exception:  # noqa: BLE001 - an unreleased lease simply expires
            pass
