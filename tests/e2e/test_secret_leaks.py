"""Secrets never leak: every orch command's output, in every output mode, holds none of the secret values.

One cluster for the module, GitOps-enabled (the ArgoCD CRDs, an ArgoCD instance and its admin
password Secret), so the ArgoCD password is one of the secrets too. The known values are given
through the environment (and once more as flags, which a user may do); the generated ones
(BACKEND_SECRET, K8S_CLUSTER_TOKEN, the PostgreSQL passwords) are read back from the cluster after
the first install. Then every command runs — install (first run, re-runs, dry-runs), check --pre,
status, workflow add/list/remove-namespace, workflow install (the chart's wiring carries BACKEND_SECRET)/list/
uninstall against a chart repository served on loopback, workflow lint and deploy, support-bundle, cleanup
--dry-run and cleanup — in plain, table, json and (dry-run) yaml output, with HOME and the working directory in
a scratch directory, and the test searches stdout, stderr and every file written under that scratch directory (the
members of the support bundles included) for each value: as is, base64-encoded, and base64-encoded
inside a larger blob (at each of the three byte alignments). Every container's log (served by the
API server from the harness's pod log file) carries every secret value once the install has run,
so the bundle's logs must be redacted too.

Controls: the known values must actually be in the cluster's Secrets (else the commands never
handled them), every command must exit with its expected code (else its output proves little), and
the search itself must find a value planted in a transcript, and the bundles must hold the planted
log lines (redacted) and only redacted Secret values.
"""

from __future__ import annotations

import base64
import subprocess
import tarfile
import sys
from pathlib import Path

import pytest
import yaml

pytestmark = [pytest.mark.cluster, pytest.mark.openshift]

ORCH = str(Path(sys.executable).parent / "orch")
CRDS = Path(__file__).parents[1] / "sim" / "crds"
ARGO_NS, ARGO = "orchestrator-gitops", "gitops-leak"

KNOWN = {
    "GITHUB_TOKEN": "ghp_CanaryGithubTok3n_q8Zx41",
    "GITHUB_CLIENT_SECRET": "gh-client-secret-Canary-3kd8Wm",
    "GITLAB_TOKEN": "glpat-Canary-55zzQ7rT",
    "NOTIFICATIONS_EMAIL_PASSWORD": "smtp-pass-Canary-19abXy",
    "ARGOCD_PASSWORD": "argo-admin-Canary-8812kP",
}
ENV = {
    "GITHUB_TOKEN": KNOWN["GITHUB_TOKEN"],
    "GITHUB_CLIENT_ID": "canary-client-id",
    "GITHUB_CLIENT_SECRET": KNOWN["GITHUB_CLIENT_SECRET"],
    "GITLAB_HOST": "gitlab.example.com",
    "GITLAB_TOKEN": KNOWN["GITLAB_TOKEN"],
    "SETUP_NOTIFICATIONS_EMAIL": "true",
    "NOTIFICATIONS_EMAIL_HOSTNAME": "smtp.example.com",
    "NOTIFICATIONS_EMAIL_USERNAME": "mailer",
    "NOTIFICATIONS_EMAIL_PASSWORD": KNOWN["NOTIFICATIONS_EMAIL_PASSWORD"],
}
I = ("install", "--use-default", "--gitops", "--timeout", "180")  # noqa: E741
GREET = Path(__file__).parents[1] / "workflow_projects" / "valid" / "greet"
WF_IMAGE = "quay.io/orch-test/serverless-workflow-greet:1.0"
# (label, args, expected exit codes, extra env)
COMMANDS: list[tuple[str, tuple[str, ...], tuple[int, ...], dict]] = [
    ("install first run (plain)", (*I, "-o", "plain"), (0,), {}),
    ("install re-run (json)", (*I, "-o", "json"), (0,), {}),
    ("install re-run (table)", (*I, "-o", "table"), (0,), {}),
    ("install re-run, secrets as flags (plain)",
     (*I, "-o", "plain", "--github-token", KNOWN["GITHUB_TOKEN"], "--gitlab-token", KNOWN["GITLAB_TOKEN"],
      "--github-client-secret", KNOWN["GITHUB_CLIENT_SECRET"],
      "--notifications-email-password", KNOWN["NOTIFICATIONS_EMAIL_PASSWORD"]), (0,), {}),
    ("install --dry-run -o yaml", (*I, "--dry-run", "-o", "yaml"), (0,), {}),
    ("install --dry-run -o json", (*I, "--dry-run", "-o", "json"), (0,), {}),
    ("install --dry-run (plain), other workflow namespace",
     (*I, "--dry-run", "-o", "plain", "--workflow-namespace", "wf-dry"), (0,), {}),
    ("install with a secret holding a line break (exit 2)", (*I, "-o", "plain"), (2,),
     {"GITHUB_TOKEN": KNOWN["GITHUB_TOKEN"] + "\nsecond-line"}),
    ("check --pre (plain)", ("check", "--pre", "-o", "plain", "--gitops"), (0,), {}),
    ("check --pre (json)", ("check", "--pre", "-o", "json", "--gitops"), (0,), {}),
    ("status (plain)", ("status", "-o", "plain"), (0, 8), {}),
    ("status (json)", ("status", "-o", "json"), (0, 8), {}),
    ("status (table)", ("status", "-o", "table"), (0, 8), {}),
    ("workflow add-namespace (plain)", ("workflow", "add-namespace", "wf-leak-a", "-o", "plain"), (0,), {}),
    ("workflow add-namespace (json)", ("workflow", "add-namespace", "wf-leak-b", "-o", "json"), (0,), {}),
    ("workflow add-namespace --dry-run (json)",
     ("workflow", "add-namespace", "wf-leak-c", "--dry-run", "-o", "json"), (0,), {}),
    ("workflow list-namespaces (json)", ("workflow", "list-namespaces", "-o", "json"), (0, 8), {}),
    ("workflow list-namespaces (table)", ("workflow", "list-namespaces", "-o", "table"), (0, 8), {}),
    ("workflow remove-namespace (plain)", ("workflow", "remove-namespace", "wf-leak-b", "--yes", "-o", "plain"),
     (0,), {}),
    ("workflow install greeting (plain)", ("workflow", "install", "greeting", "-o", "plain"), (0,), {}),
    ("workflow install greeting re-run (json)", ("workflow", "install", "greeting", "-o", "json"), (0,), {}),
    ("workflow install greeting re-run (table)", ("workflow", "install", "greeting", "-o", "table"), (0,), {}),
    ("workflow install --dry-run -o yaml", ("workflow", "install", "greeting", "--dry-run", "-o", "yaml"), (0,), {}),
    ("workflow install --dry-run (json), other namespace",
     ("workflow", "install", "greeting", "-n", "wf-leak-a", "--dry-run", "-o", "json"), (0,), {}),
    ("workflow install, digest mismatch (exit 13)",
     ("workflow", "install", "greeting", "--repo", "{repo}/tampered", "-o", "plain"), (13,), {}),
    ("workflow list (json)", ("workflow", "list", "-o", "json"), (0,), {}),
    ("workflow list (table)", ("workflow", "list", "-o", "table"), (0,), {}),
    ("workflow uninstall --dry-run (json)", ("workflow", "uninstall", "greeting", "--dry-run", "-o", "json"), (0,), {}),
    ("workflow uninstall (plain)", ("workflow", "uninstall", "greeting", "-o", "plain"), (0,), {}),
    ("workflow lint (plain)", ("workflow", "lint", str(GREET), "-o", "plain"), (0,), {}),
    ("workflow lint (json)", ("workflow", "lint", str(GREET), "-o", "json"), (0,), {}),
    ("workflow deploy (plain)", ("workflow", "deploy", str(GREET), "--image", WF_IMAGE, "-o", "plain"), (0,), {}),
    ("workflow deploy re-run (json)", ("workflow", "deploy", str(GREET), "--image", WF_IMAGE, "-o", "json"), (0,), {}),
    ("workflow deploy --dry-run -o yaml, another namespace",
     ("workflow", "deploy", str(GREET), "--image", WF_IMAGE, "-n", "wf-leak-d", "--dry-run", "-o", "yaml"), (0,), {}),
    ("workflow deploy into an enabled namespace (table)",
     ("workflow", "deploy", str(GREET), "--image", WF_IMAGE, "-n", "wf-leak-a", "-o", "table"), (0,), {}),
    ("support-bundle (plain)", ("support-bundle", "-o", "bundle-plain.tar.gz", "--format", "plain"), (0,), {}),
    ("support-bundle (json)", ("support-bundle", "-o", "bundle-json.tgz", "--format", "json"), (0,), {}),
    ("support-bundle (table)", ("support-bundle", "-o", "bundle-table.tar.gz", "--format", "table"), (0,), {}),
    # the deployed workflows exist now: without --include-workflows cleanup refuses (exit 9)
    ("cleanup --dry-run (plain)", ("cleanup", "--dry-run", "-o", "plain"), (9,), {}),
    ("cleanup --dry-run --include-workflows (json)", ("cleanup", "--dry-run", "--include-workflows", "-o", "json"),
     (0,), {}),
    ("cleanup (plain)", ("cleanup", "--yes", "--include-workflows", "--delete-data", "-o", "plain",
                         "--timeout", "180"), (0,), {}),
]


def forms(value: str) -> list[str]:
    """The value, its base64 (standard and URL-safe), and the part of its base64 that is the same wherever it
    sits inside a larger base64-encoded blob (one per byte alignment)."""
    raw = value.encode()
    out = {value}
    for enc in (base64.b64encode, base64.urlsafe_b64encode):
        out.add(enc(raw).decode().rstrip("="))
        for pad in (1, 2):
            core = enc(b"\0" * pad + raw).decode().rstrip("=")[4:-4]
            if len(core) >= 8:
                out.add(core)
    return sorted(out)


def leaks(texts: dict[str, str], secrets: dict[str, str]) -> list[str]:
    found = []
    for name, value in secrets.items():
        for form in forms(value):
            for where, text in texts.items():
                if form in text:
                    found.append(f"{name} ({'as is' if form == value else 'base64: ' + form}) in {where}")
    return found


def test_leak_search_finds_planted_values():
    """Control: the search finds a value as is, base64'd, and base64'd inside a larger blob."""
    secret = {"X": "planted-Canary-value-42"}
    assert leaks({"a": "... planted-Canary-value-42 ..."}, secret)
    assert leaks({"a": base64.b64encode(b"planted-Canary-value-42").decode()}, secret)
    for prefix in (b"", b"k", b"ke", b"key=", b"{\"x\": \""):
        blob = base64.b64encode(prefix + b"planted-Canary-value-42" + b"\"} tail").decode()
        assert leaks({"a": blob}, secret), prefix
    assert not leaks({"a": "planted-canary-value-4"}, secret)


def _gitops(cluster) -> None:
    crds = [yaml.safe_load((CRDS / f).read_text()) for f in ("appprojects.yaml", "argocds.yaml")]
    cluster.apply_manifests(crds)
    cluster.wait_crds_established([c["metadata"]["name"] for c in crds])
    cluster.apply_manifests([
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ARGO_NS}},
        {"apiVersion": "argoproj.io/v1beta1", "kind": "ArgoCD", "metadata": {"name": ARGO, "namespace": ARGO_NS},
         "spec": {}},
        {"apiVersion": "route.openshift.io/v1", "kind": "Route",
         "metadata": {"name": f"{ARGO}-server", "namespace": ARGO_NS,
                      "labels": {"app.kubernetes.io/managed-by": ARGO}},
         "spec": {"host": f"{ARGO}-server-{ARGO_NS}.apps.orch.local",
                  "to": {"kind": "Service", "name": f"{ARGO}-server"}}},
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": f"{ARGO}-cluster", "namespace": ARGO_NS},
         "data": {"admin.password": base64.b64encode(KNOWN["ARGOCD_PASSWORD"].encode()).decode()}},
    ])


def _secret(cluster, name: str, namespace: str) -> dict[str, str]:
    from kubernetes import client

    s = client.CoreV1Api(cluster.api_client()).read_namespaced_secret(name, namespace)
    return {k: base64.b64decode(v).decode() for k, v in (s.data or {}).items()}


@pytest.fixture(scope="module")
def transcripts(request, tmp_path_factory):
    from tests.conftest import _start

    from tests.charts import ChartRepository

    cluster = _start("openshift")
    request.addfinalizer(cluster.stop)
    _gitops(cluster)
    repo = ChartRepository.build(tmp_path_factory.mktemp("leak-charts"), {"greeting": ["1.3.0"]})
    served = repo.serve()
    repo_url = served.__enter__()
    request.addfinalizer(lambda: served.__exit__(None, None, None))
    repo.tamper("greeting", "1.3.0")
    scratch = tmp_path_factory.mktemp("leak-home")
    env = cluster.env()
    env.update(ENV)
    env.update({"HOME": str(scratch), "XDG_CACHE_HOME": str(scratch / ".cache"), "TMPDIR": str(scratch / "tmp"),
                "ORCH_WORKFLOW_REPO": repo_url, "PATH": f"{cluster.bin_dir}:{env.get('PATH', '')}"})
    (scratch / "tmp").mkdir()
    texts: dict[str, str] = {}
    results = []
    generated: dict[str, str] = {}
    json_outputs: list = []
    for label, args, codes, extra in COMMANDS:
        args = tuple(a.replace("{repo}", repo_url) for a in args)
        out = subprocess.run([ORCH, *args], env={**env, **extra}, cwd=scratch, capture_output=True, text=True,
                             timeout=600, stdin=subprocess.DEVNULL)
        texts[f"{label}: stdout"] = out.stdout
        if ("-o", "json") in zip(args, args[1:]) or ("--format", "json") in zip(args, args[1:]):
            json_outputs.append((args, out.stdout))
        texts[f"{label}: stderr"] = out.stderr
        results.append((label, out.returncode, codes, out.stdout[-1500:] + out.stderr[-1500:]))
        if label.startswith("install first run") and out.returncode == 0:
            backend = _secret(cluster, "backstage-backend-auth-secret", "rhdh-operator")
            pg = _secret(cluster, "sonataflow-psql-postgresql", "sonataflow-infra")
            generated = {"BACKEND_SECRET": backend.get("BACKEND_SECRET", ""),
                         "K8S_CLUSTER_TOKEN": backend.get("K8S_CLUSTER_TOKEN", ""),
                         **{f"postgres {k}": v for k, v in pg.items() if "password" in k},
                         **{f"stored {k}": backend.get(k, "") for k in KNOWN}}
            # every container "logs" every secret: the support bundle must not carry them out
            for name, value in {**KNOWN, **{k: v for k, v in generated.items() if not k.startswith("stored ")}}.items():
                cluster.append_pod_log(f"leak-canary {name}={value} (as a careless debug line would)")
    for path in scratch.rglob("*"):  # anything orch wrote: caches, logs, temp files, support bundles
        if path.is_file() and path.name.endswith((".tar.gz", ".tgz")):
            with tarfile.open(path) as tar:
                for member in tar.getmembers():
                    if member.isfile():
                        texts[f"bundle {path.name}: {member.name}"] = \
                            tar.extractfile(member).read().decode("utf-8", "replace")
        elif path.is_file():
            texts[f"file {path.relative_to(scratch)}"] = path.read_bytes().decode("utf-8", "replace")
    return results, texts, generated, json_outputs


def test_every_command_ran_as_expected(transcripts):
    results, _, generated, _ = transcripts
    bad = [f"{label}: exit {code}, expected {codes}\n{tail}" for label, code, codes, tail in results
           if code not in codes]
    assert not bad, "\n\n".join(bad)
    # the known values really went through orch into the cluster (else not leaking them would prove little)
    for key, value in KNOWN.items():
        assert generated[f"stored {key}"] == value, key
    assert generated["BACKEND_SECRET"] and generated["K8S_CLUSTER_TOKEN"].count(".") == 2
    assert any(k.startswith("postgres ") and v for k, v in generated.items())


def test_every_json_output_matches_its_schema(transcripts):
    """Each -o json / --format json run above, whatever its exit code, against docs/json-schemas."""
    from tests.json_schemas import validate

    *_, json_outputs = transcripts
    assert len(json_outputs) >= 8
    for args, stdout in json_outputs:
        validate(args, stdout)


def test_support_bundles_hold_the_planted_lines_redacted_and_no_secret_value(transcripts):
    """Controls for the bundle part of the search: the canary log lines are in the bundles (else their absence of
    secrets proves nothing), with <redacted> where the value was; every Secret in them has only redacted values."""
    _, texts, _, _ = transcripts
    bundles = {k: v for k, v in texts.items() if k.startswith("bundle ")}
    assert {k.split(":")[0] for k in bundles} == {"bundle bundle-plain.tar.gz", "bundle bundle-json.tgz",
                                                   "bundle bundle-table.tar.gz"}
    logs = {k: v for k, v in bundles.items() if "/logs/" in k}
    assert logs and all("leak-canary GITHUB_TOKEN=<redacted>" in v and "leak-canary BACKEND_SECRET=<redacted>" in v
                        for v in logs.values()), list(logs)[:3]
    secret_files = [v for k, v in bundles.items() if k.endswith("/secrets.yaml")]
    assert secret_files
    for text in secret_files:
        for secret in yaml.safe_load(text)["items"]:
            values = [*(secret.get("data") or {}).values(), *(secret.get("stringData") or {}).values()]
            assert all(v == "<redacted>" for v in values), secret["metadata"]["name"]


def test_no_secret_value_in_any_output_or_file(transcripts):
    _, texts, generated, _ = transcripts
    secrets = dict(KNOWN)
    secrets.update({k: v for k, v in generated.items() if not k.startswith("stored ") and v})
    assert len(secrets) >= 8, secrets.keys()
    assert sum(len(t) for t in texts.values()) > 10_000, "suspiciously little output collected"
    found = leaks(texts, secrets)
    assert not found, "\n".join(found)
