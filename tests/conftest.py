"""Shared fixtures: the real local control plane, started on demand.

`cluster` and `openshift_cluster` are started once per test session;
`fresh_openshift_cluster` gives a test its own cluster when it must not see
another test's state. All of them must run inside a private network namespace
(see the Makefile's `test` target); outside one they refuse to start.
"""

from __future__ import annotations

import os
import socket

import pytest

_started: list = []


def _require_private_netns() -> None:
    if os.environ.get("ORCH_ALLOW_HOST_NETWORK") == "1":
        return
    # if_nameindex asks the kernel about this process's network namespace
    # (/sys/class/net shows the namespace sysfs was mounted in).
    interfaces = {name for _, name in socket.if_nameindex()}
    if interfaces - {"lo"}:
        pytest.fail("cluster tests must run in a private network namespace: use `make test` "
                    "(unshare -n) so nothing can leave loopback")


def _start(flavor: str, **kw):
    from tests.cluster.harness import Cluster

    _require_private_netns()
    cluster = Cluster.start(flavor, **kw)
    _started.append(cluster)
    return cluster


@pytest.fixture(scope="session")
def cluster():
    c = _start("vanilla")
    yield c
    c.stop()


@pytest.fixture(scope="session")
def openshift_cluster():
    c = _start("openshift")
    yield c
    c.stop()


@pytest.fixture
def fresh_openshift_cluster():
    c = _start("openshift")
    yield c
    c.stop()


@pytest.fixture
def fresh_cluster():
    c = _start("vanilla")
    yield c
    c.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        for c in _started:
            if c.components:
                report.sections.append((f"cluster logs ({c.flavor}, {c.log_dir})", c.log_tails()))
