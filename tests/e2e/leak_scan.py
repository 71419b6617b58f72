"""The secret scan for the generation modules (1.5–1.8): every orch output a module's tests produced, plus a
dry-run and a support bundle, searched for the generated and the given secret values (the search of
test_secret_leaks: as is and base64-encoded, also inside a larger blob)."""

from __future__ import annotations

import base64
import tarfile
from pathlib import Path

from tests.e2e.test_secret_leaks import leaks
from tests.helpers import run_orch

# a token the user gives through the environment: it must reach the setup Secret and no output
CANARY_ENV = {"GITHUB_TOKEN": "ghp_CanaryGenerationTok3n_7Qw2"}

_TRANSCRIPTS: dict[str, dict[str, str]] = {}


def recorded_orch(cluster, *args, **kw):
    """run_orch that keeps every output per cluster for the module's closing scan."""
    res = run_orch(cluster, *args, **kw)
    seen = _TRANSCRIPTS.setdefault(str(cluster.kubeconfig), {})
    seen[f"#{len(seen)} orch {' '.join(args)}"] = f"{res.stdout}\n{res.stderr}"
    return res


def secret_values(cluster, name: str, namespace: str) -> dict[str, str]:
    from kubernetes import client

    s = client.CoreV1Api(cluster.api_client()).read_namespaced_secret(name, namespace)
    return {k: base64.b64decode(v).decode() for k, v in (s.data or {}).items()}


def assert_no_secret_leaked(cluster, version: str, secrets: dict[str, str], scratch: Path) -> None:
    """Runs a dry-run (-o yaml) and a support bundle, then searches everything the module's orch printed."""
    dry = recorded_orch(cluster, "install", "--use-default", "--version", version, "--dry-run", "-o", "yaml",
                        env=CANARY_ENV)
    assert dry.returncode == 0, dry.stdout + dry.stderr
    bundle = scratch / "bundle.tar.gz"
    made = recorded_orch(cluster, "support-bundle", "-o", str(bundle))
    assert made.returncode == 0, made.stdout + made.stderr
    texts = dict(_TRANSCRIPTS[str(cluster.kubeconfig)])
    with tarfile.open(bundle) as tar:
        members = [m for m in tar.getmembers() if m.isfile()]
        for member in members:
            texts[f"bundle: {member.name}"] = tar.extractfile(member).read().decode("utf-8", "replace")
    assert any(m.name.endswith(".yaml") or m.name.endswith(".json") for m in members), "an empty bundle proves nothing"
    assert len(texts) > 10, sorted(texts)
    assert all(len(v) >= 8 for v in secrets.values()), "a secret to search for is missing or trivially short"
    assert leaks(texts, secrets) == []
