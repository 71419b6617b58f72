"""What existed before orch survives cleanup: a setup secret the user made by hand is
adopted by install (its values kept) and released, not deleted, by cleanup."""

from __future__ import annotations

import pytest
from kubernetes import client

from tests.e2e.test_install import secret_values
from tests.helpers import run_orch as orch

pytestmark = [pytest.mark.cluster, pytest.mark.openshift]


def test_user_made_setup_secret_is_kept_through_install_and_cleanup(fresh_openshift_cluster):
    c = fresh_openshift_cluster
    core = client.CoreV1Api(c.api_client())
    core.create_namespace({"metadata": {"name": "rhdh-operator"}})
    core.create_namespaced_secret("rhdh-operator", {
        "metadata": {"name": "backstage-backend-auth-secret", "labels": {"owner": "platform-team"}},
        "stringData": {"BACKEND_SECRET": "made-by-hand-0123456789", "EXTRA_KEY": "user-value"}})

    install = orch(c, "install", "--use-default", "-o", "plain")
    assert install.returncode == 0, install.stdout + install.stderr
    assert "existed before orch (adopted)" in install.stdout
    values = secret_values(c, "backstage-backend-auth-secret", "rhdh-operator")
    assert values["BACKEND_SECRET"] == "made-by-hand-0123456789"
    assert values["EXTRA_KEY"] == "user-value" and "K8S_CLUSTER_TOKEN" in values

    cleanup = orch(c, "cleanup", "--yes", "--delete-data", "-o", "plain", timeout=600)
    assert cleanup.returncode == 0, cleanup.stdout + cleanup.stderr
    kept = core.read_namespaced_secret("backstage-backend-auth-secret", "rhdh-operator")
    assert kept.metadata.labels == {"owner": "platform-team"}  # orch's label released, the user's kept
    left = secret_values(c, "backstage-backend-auth-secret", "rhdh-operator")
    assert left["BACKEND_SECRET"] == "made-by-hand-0123456789" and left["EXTRA_KEY"] == "user-value"
    assert "K8S_CLUSTER_TOKEN" not in left  # the key orch added goes with orch's fields
    assert core.read_namespace("rhdh-operator").status.phase == "Active"  # pre-existing: never deleted
