"""The interactive path: real questionary prompts driven through a pseudo-terminal (pexpect),
on a GitOps-enabled cluster, choosing the discovered ArgoCD instance."""

from __future__ import annotations

import base64
import sys
from pathlib import Path

import pexpect
import pytest
import yaml

pytestmark = [pytest.mark.cluster, pytest.mark.openshift]

ORCH = str(Path(sys.executable).parent / "orch")
CRDS = Path(__file__).parents[1] / "sim" / "crds"
TOKEN = "gh-interactive-token-9731"


def gitops_cluster(cluster):
    crds = [yaml.safe_load((CRDS / f).read_text()) for f in ("appprojects.yaml", "argocds.yaml")]
    cluster.apply_manifests(crds)
    cluster.wait_crds_established([c["metadata"]["name"] for c in crds])
    ns = "orchestrator-gitops"
    cluster.apply_manifests([
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}},
        {"apiVersion": "argoproj.io/v1beta1", "kind": "ArgoCD", "metadata": {"name": "gitops-demo", "namespace": ns},
         "spec": {}},
        {"apiVersion": "route.openshift.io/v1", "kind": "Route",
         "metadata": {"name": "gitops-demo-server", "namespace": ns,
                      "labels": {"app.kubernetes.io/managed-by": "gitops-demo"}},
         "spec": {"host": "gitops-demo-server-orchestrator-gitops.apps.orch.local",
                  "to": {"kind": "Service", "name": "gitops-demo-server"}}},
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "gitops-demo-cluster", "namespace": ns},
         "data": {"admin.password": base64.b64encode(b"argo-admin-pass-55").decode()}},
    ])


def test_interactive_install_choosing_discovered_argocd(fresh_openshift_cluster):
    cluster = fresh_openshift_cluster
    gitops_cluster(cluster)
    env = cluster.env()
    for key in ("GITHUB_TOKEN", "GITLAB_HOST", "GITLAB_TOKEN", "GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET"):
        env.pop(key, None)
    env.update({"TERM": "xterm", "COLUMNS": "120", "LINES": "40"})
    child = pexpect.spawn(ORCH, ["install", "--timeout", "120"], env=env, encoding="utf-8", timeout=60,
                          dimensions=(40, 120))
    transcript = []
    child.logfile_read = type("T", (), {"write": lambda s, d: transcript.append(d), "flush": lambda s: None})()
    child.expect("Setup for a new RHDH deployment")
    child.send("\r")  # Yes
    child.expect("Enter workflow namespace")
    child.send("\r")  # default sonataflow-infra
    child.expect("Enter ArgoCD installation namespace")
    child.send("\r")  # default orchestrator-gitops
    child.expect("Select an ArgoCD instance")
    child.expect("gitops-demo")
    child.send("\r")  # the discovered instance (first choice)
    child.expect("ServiceAccount holding the persistent token")
    child.send("\r")
    child.expect("Enter GitHub access token")
    child.send(TOKEN + "\r")
    child.expect("Enter GitHub client ID")
    child.send("\r")
    child.expect("Enter GitHub client secret")
    child.send("\r")
    child.expect("Enter GitLab host name")
    child.send("\r")
    child.expect("Enter GitLab user access token")
    child.send("\r")
    child.expect("notifications email plugin")
    child.send("n")
    child.expect("Enter RHDH Operator namespace")
    child.send("\r")
    child.expect(pexpect.EOF, timeout=240)
    child.close()
    output = "".join(transcript)
    assert child.exitstatus == 0, output[-4000:]
    assert "https://backstage-backstage-rhdh-operator.apps.orch.local" in output
    assert TOKEN not in output and "argo-admin-pass-55" not in output

    from kubernetes import client

    core = client.CoreV1Api(cluster.api_client())
    data = {k: base64.b64decode(v).decode()
            for k, v in core.read_namespaced_secret("backstage-backend-auth-secret", "rhdh-operator").data.items()}
    assert data["GITHUB_TOKEN"] == TOKEN
    assert data["ARGOCD_URL"] == "https://gitops-demo-server-orchestrator-gitops.apps.orch.local"
    assert data["ARGOCD_USERNAME"] == "admin" and data["ARGOCD_PASSWORD"] == "argo-admin-pass-55"
    assert "GITLAB_TOKEN" not in data  # empty answers are omitted
    labels = core.read_namespace("orchestrator-gitops").metadata.labels
    assert labels.get("rhdh.redhat.com/argocd-namespace") == ""
    assert "orch.rhdhorchestrator.io/created-namespace" not in (core.read_namespace("orchestrator-gitops").metadata.annotations or {})
    wf = core.read_namespace("sonataflow-infra").metadata.labels
    assert wf.get("argocd.argoproj.io/managed-by") == "orchestrator-gitops"
