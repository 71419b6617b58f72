"""orch workflow install/list/uninstall: the pure parts (repository rule, digest, wiring, inputs, readiness)."""

from __future__ import annotations

import base64
import hashlib
import os
import stat
import threading

import pytest

from orchestrator_cli.core.errors import ChartUnavailable, HelmUnavailable, Incompatible, InputError, StepFailed
from orchestrator_cli.generations import GENERATIONS
from orchestrator_cli.generations.detect import WorkflowPersistence, installation_from_cr
from orchestrator_cli.health import readiness
from orchestrator_cli.health.waiter import WaitItem, wait_one
from orchestrator_cli.kube.client import Ref
from orchestrator_cli.workflows import facts as F
from orchestrator_cli.workflows import helm as H
from orchestrator_cli.workflows import options as O
from orchestrator_cli.workflows import repository as R
from orchestrator_cli.workflows import values as V
from orchestrator_cli.workflows import wiring as W
from orchestrator_cli.workflows.install import differing, plan_release, post_renderer, wait_items
from orchestrator_cli.workflows.manage import split_chart, workflow_row
from tests.charts import package
from tests.unit.day2_fakes import FakeKube

TOKEN = "backend-secret-Canary-77"
SWC = "https://rhdhorchestrator.io/serverless-workflows-config"


def inst(version="1.3", **spec):
    return installation_from_cr({"metadata": {"name": "orchestrator", "namespace": "orchestrator"}, "spec": spec},
                                GENERATIONS[version])


# -- the generation's answers ------------------------------------------------------------------------------

def test_installation_answers_what_workflows_need_from_data():
    i = inst()
    assert i.workflow_chart_repository == SWC and inst("1.4").workflow_chart_repository == SWC
    assert i.backend_secret_ref == Ref("v1", "Secret", "backstage-backend-auth-secret", "rhdh-operator")
    assert i.backstage_service_ref == Ref("v1", "Service", "backstage-backstage", "rhdh-operator")
    assert i.sonataflow_operator_ref == Ref("apps/v1", "Deployment", "logic-operator-rhel8-controller-manager",
                                            "openshift-serverless-logic")
    p = inst(postgres={"serviceName": "db", "serviceNamespace": "dbs", "database": "wf",
                       "authSecret": {"name": "dbcreds", "userKey": "u", "passwordKey": "p"}}).workflow_persistence("x")
    assert p == WorkflowPersistence("dbcreds", "u", "p", "db", "dbs", "wf", 5432)
    other = inst(rhdhOperator={"secretRef": {"name": "my-auth"}, "subscription": {"targetNamespace": "rhdh"}})
    assert other.backend_secret_ref == Ref("v1", "Secret", "my-auth", "rhdh")


# -- repository: semver, the compatibility rule, the digest --------------------------------------------------

def index(**charts):
    return R.ChartIndex("https://repo.example", {
        name: tuple(sorted((R.ChartVersion(name, R.SemVer.parse(v), "d" * 64, (f"{name}-{v}.tgz",), "https://repo.example")
                            for v in versions), key=lambda c: c.version.key(), reverse=True))
        for name, versions in charts.items()})


def test_semver_order_and_prerelease():
    order = ["1.6.0-rc0", "1.6.0-rc1", "1.6.0-rc10", "1.6.0", "1.6.1", "1.10.0"]
    parsed = [R.SemVer.parse(v) for v in order]
    assert sorted(parsed, key=lambda v: v.key()) == parsed
    assert R.SemVer.parse("1.7.0-rc3").prerelease and not R.SemVer.parse("1.3.0").prerelease
    assert R.SemVer.parse("v1.3.0").major_minor == "1.3"
    assert R.SemVer.parse("1.3") is None and R.SemVer.parse("latest") is None
    with pytest.raises(InputError, match="not a semantic version"):
        R.parse_version("1.3")


def test_choose_follows_the_compatibility_rule():
    idx = index(greeting=["1.3.0", "1.3.1", "1.3.2-rc1", "1.4.0", "1.6.0", "1.7.0-rc3"])
    assert str(R.choose(idx, "greeting", "1.3").version) == "1.3.1"  # newest release, not the rc
    assert str(R.choose(idx, "greeting", "1.3", devel=True).version) == "1.3.2-rc1"
    assert str(R.choose(idx, "greeting", "1.4").version) == "1.4.0"
    assert str(R.choose(idx, "greeting", "1.3", requested=R.SemVer.parse("1.3.0")).version) == "1.3.0"
    with pytest.raises(ChartUnavailable, match=r"pre-releases: 1\.7\.0-rc3 \(pass --devel"):
        R.choose(idx, "greeting", "1.7")
    assert str(R.choose(idx, "greeting", "1.7", devel=True).version) == "1.7.0-rc3"
    with pytest.raises(ChartUnavailable, match="no greeting chart for Orchestrator 1.5"):
        R.choose(idx, "greeting", "1.5")
    with pytest.raises(ChartUnavailable, match=r"version 1\.3\.7 is not in .*1\.3: 1\.3\.2-rc1, 1\.3\.1, 1\.3\.0"):
        R.choose(idx, "greeting", "1.3", requested=R.SemVer.parse("1.3.7"))
    with pytest.raises(ChartUnavailable, match="no chart named 'mta' .*it has: greeting"):
        R.choose(idx, "mta", "1.3")


def test_explicit_incompatible_version_is_refused_naming_both():
    with pytest.raises(Incompatible, match=r"greeting 1\.4\.0 is for Orchestrator 1\.4, but Orchestrator 1\.3 is "
                                           r"installed.*--allow-incompatible") as exc:
        R.check_compatible(R.SemVer.parse("1.4.0"), "greeting", "1.3", False)
    assert exc.value.exit_code == 14
    R.check_compatible(R.SemVer.parse("1.4.0"), "greeting", "1.3", True)
    R.check_compatible(R.SemVer.parse("1.3.5"), "greeting", "1.3", False)
    assert R.compatible("1.3.1", "1.3") and R.compatible("1.4.0", "1.3") is False and R.compatible("x", "1.3") is None


def test_index_parsing_and_unusable_indexes():
    text = """apiVersion: v1
entries:
  greeting:
  - {name: greeting, version: 1.3.0, digest: abc, urls: [https://github.com/o/r/releases/download/greeting-1.3.0/greeting-1.3.0.tgz]}
  - {name: greeting, version: not-semver, urls: [x.tgz]}
  - {name: greeting, version: 1.4.0, urls: []}
  move2kube:
  - {name: move2kube, version: 1.3.0, digest: def, urls: [move2kube-1.3.0.tgz]}
"""
    idx = R.parse_index(text, "https://repo.example/sub")
    assert [str(c.version) for c in idx.entries["greeting"]] == ["1.3.0"]
    assert idx.entries["greeting"][0].archive_url.startswith("https://github.com/")  # absolute URLs kept
    assert idx.entries["move2kube"][0].archive_url == "https://repo.example/sub/move2kube-1.3.0.tgz"
    with pytest.raises(ChartUnavailable, match="not valid YAML"):
        R.parse_index("entries: [", "https://x")
    with pytest.raises(ChartUnavailable, match="has no chart entries"):
        R.parse_index("<html>404</html>", "https://x")


def test_digest_and_archive_checks(tmp_path):
    data = package("greeting", "1.3.0")
    good = R.ChartVersion("greeting", R.SemVer.parse("1.3.0"), hashlib.sha256(data).hexdigest(), ("g.tgz",), "file:///r")
    sha = R.verify_digest(data, good)
    archive = R.read_archive(data, good, sha, tmp_path)
    assert archive.path.read_bytes() == data and archive.version == "1.3.0" and archive.values == {}
    altered = package("greeting", "1.3.0", tweak="altered")
    with pytest.raises(ChartUnavailable, match="does not match the repository index: sha256"):
        R.verify_digest(altered, good)
    with pytest.raises(ChartUnavailable, match="has no digest"):
        R.verify_digest(data, R.ChartVersion("greeting", good.version, "", ("g.tgz",), "file:///r"))
    other = R.ChartVersion("greeting", R.SemVer.parse("1.3.1"), good.digest, ("g.tgz",), "file:///r")
    with pytest.raises(ChartUnavailable, match="holds chart greeting 1.3.0, not greeting 1.3.1"):
        R.read_archive(data, other, sha, tmp_path)
    with pytest.raises(ChartUnavailable, match="not a readable chart archive"):
        R.read_archive(b"not a tgz", good, sha, tmp_path)
    m2k = package("move2kube", "1.3.0")
    ver = R.ChartVersion("move2kube", R.SemVer.parse("1.3.0"), hashlib.sha256(m2k).hexdigest(), ("m.tgz",), "file:///r")
    assert R.read_archive(m2k, ver, R.verify_digest(m2k, ver), tmp_path).values["workflow"]["name"] == "m2k"


def test_repository_urls_and_fetching(tmp_path):
    assert R.normalize_repository("https://mirror.example/charts/") == "https://mirror.example/charts"
    assert R.normalize_repository(str(tmp_path)) == tmp_path.resolve().as_uri()
    for bad, text in (("ftp://x/y", "use an http"), ("not/a/dir", "neither"), ("", "must not be empty"),
                      ("https://", "has no host")):
        with pytest.raises(InputError, match=text):
            R.normalize_repository(bad)
    (tmp_path / "index.yaml").write_text("apiVersion: v1\nentries: {greeting: []}\n")
    assert R.fetch_index(tmp_path.as_uri()).entries == {"greeting": ()}
    with pytest.raises(ChartUnavailable, match=r"unreachable: connection refused \(fetching http://127.0.0.1:9/"):
        R.fetch_index("http://127.0.0.1:9", budget=0.5)
    with pytest.raises(ChartUnavailable, match="unreachable: no such file"):
        R.fetch_index((tmp_path / "absent").as_uri(), budget=0.5)


# -- helm: found, version-checked, argument lists ----------------------------------------------------------

def fake_helm(tmp_path, version: str, name="helm"):
    path = tmp_path / name
    path.write_text(f"#!/bin/sh\necho '{version}'\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


@pytest.mark.parametrize("reported, ok, text", [
    ("v3.22.0", True, ""), ("v3.9.0", True, ""), ("v3.8.2", False, "needs 3.9 or newer"),
    ("v4.0.1", False, "needs Helm 3"), ("garbage", False, "did not report a Helm version"),
])
def test_helm_version_rule(tmp_path, reported, ok, text):
    path = fake_helm(tmp_path, reported)
    if ok:
        assert H.find_helm(path).version[:2] >= (3, 9)
    else:
        with pytest.raises(HelmUnavailable, match=text) as exc:
            H.find_helm(path)
        assert exc.value.exit_code == 12 and "https://helm.sh/docs/intro/install/" in exc.value.message


def test_helm_missing_or_not_executable(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("ORCH_HELM", raising=False)
    with pytest.raises(HelmUnavailable, match="helm is not on PATH; install Helm 3.9"):
        H.find_helm(None)
    with pytest.raises(HelmUnavailable, match="/no/such/helm does not exist"):
        H.find_helm("/no/such/helm")
    plain = tmp_path / "helm-noexec"
    plain.write_text("#!/bin/sh\n")
    with pytest.raises(HelmUnavailable, match="is not executable"):
        H.find_helm(str(plain))
    monkeypatch.setenv("ORCH_HELM", fake_helm(tmp_path, "v3.16.4", "helm-env"))
    assert H.find_helm(None).path.endswith("helm-env")


def test_post_renderer_is_an_argument_list_without_secrets(monkeypatch):
    args = post_renderer("team-a", {"MTA_URL": "https://mta.example"}, "rel/kubeconfig", "ctx")
    assert args[1:6] == ["workflow", "post-render", "--namespace", "team-a", "--env"]
    assert "MTA_URL=https://mta.example" in args and os.path.isabs(args[args.index("--kubeconfig") + 1])
    assert args[-2:] == ["--context", "ctx"] and not any(TOKEN in a for a in args)


# -- inputs ----------------------------------------------------------------------------------------------

def test_set_env_and_values_parsing(tmp_path):
    assert V.parse_set(["a.b=1,c=x\\,y", "d="]) == [("a.b", "1"), ("c", "x,y"), ("d", "")]
    for bad in ("novalue", "=x", "a=1,b"):
        with pytest.raises(InputError, match="must be KEY=VALUE"):
            V.parse_set([bad])
    assert V.parse_env(["MTA_URL=https://m", "X=1", "X=2"]) == {"MTA_URL": "https://m", "X": "2"}
    for bad in ("1X=a", "NOEQUALS", "A-B=c"):
        with pytest.raises(InputError, match="--env"):
            V.parse_env([bad])
    with pytest.raises(InputError, match="line break"):
        V.parse_env(["A=x\ny"])
    (tmp_path / "v.yaml").write_text("workflow:\n  move2kubeURL: https://from-file\n")
    docs = [V.load_values_file(str(tmp_path / "v.yaml"))]
    defaults = {"workflow": {"move2kubeURL": "https://default"}}
    assert V.url_env("move2kube", defaults, [], []) == {"MOVE2KUBE_URL": "https://default"}
    assert V.url_env("move2kube", defaults, docs, []) == {"MOVE2KUBE_URL": "https://from-file"}
    assert V.url_env("move2kube", defaults, docs, [("workflow.move2kubeURL", "https://from-set")]) == \
        {"MOVE2KUBE_URL": "https://from-set"}
    assert V.url_env("greeting", {}, docs, []) == {}
    (tmp_path / "list.yaml").write_text("- a\n")
    (tmp_path / "bad.yaml").write_text("a: [\n")
    for name, text in (("absent.yaml", "does not exist"), ("list.yaml", "must hold a mapping"),
                       ("bad.yaml", "not valid YAML at line")):
        with pytest.raises(InputError, match=text):
            V.load_values_file(str(tmp_path / name))


def test_install_request_validation(tmp_path, monkeypatch):
    monkeypatch.delenv(O.REPO_ENV, raising=False)
    monkeypatch.delenv("ORCH_HELM", raising=False)
    req = O.parse_install({"name": "greeting", "chart_version": "1.3.0", "env": ["A=b"]})
    assert req.chart_version.major_minor == "1.3" and req.timeout == 600 and req.repository is None
    for extra, text in (({"name": "Greeting"}, "workflow name 'Greeting' is not a valid name"),
                        ({"name": "g" * 54}, "Helm's release-name limit is 53"),
                        ({"name": "greeting", "namespace": "kube-system"}, "reserved"),
                        ({"name": "greeting", "chart_version": "latest"}, "not a semantic version"),
                        ({"name": "greeting", "timeout": 0}, "between 1 and 86400"),
                        ({"name": "greeting", "repo": "ftp://x"}, "use an http"),
                        ({"name": "greeting", "set": ["x"]}, "KEY=VALUE"),
                        ({"name": "greeting", "values": [str(tmp_path / "none.yaml")]}, "does not exist")):
        with pytest.raises(InputError, match=text):
            O.parse_install(extra)
    cfg = tmp_path / "orch.yaml"
    cfg.write_text("repository: https://mirror.example\nnamespace: team-a\nenv: {MTA_URL: https://m}\ntimeout: 90\n")
    req = O.parse_install({"name": "greeting", "config": str(cfg), "env": ["X=1"]})
    assert (req.repository, req.namespace, req.timeout, req.env) == \
        ("https://mirror.example", "team-a", 90.0, {"MTA_URL": "https://m", "X": "1"})
    monkeypatch.setenv(O.REPO_ENV, "https://env.example")
    assert O.parse_install({"name": "greeting"}).repository == "https://env.example"
    assert O.parse_install({"name": "greeting", "repo": "https://flag.example", "config": str(cfg)}).repository == \
        "https://flag.example"  # flag > config file > env
    cfg.write_text("repo: x\n")
    with pytest.raises(InputError, match="unknown key 'repo'"):
        O.parse_install({"name": "greeting", "config": str(cfg)})


# -- wiring ----------------------------------------------------------------------------------------------

def facts(namespace="sonataflow-infra", env=()):
    return W.WiringFacts(namespace=namespace, token=TOKEN, notifications_url="http://backstage-backstage.rhdh-operator",
                         persistence=inst().workflow_persistence(namespace), env=tuple(env))


def rendered(name, version="1.3.0"):
    """The chart's objects as Helm renders them with default values (tests/charts; the few template expressions
    the test charts use are filled in here, so this needs no helm binary; the e2e tests render with Helm)."""
    import io
    import tarfile

    import yaml

    out = []
    with tarfile.open(fileobj=io.BytesIO(package(name, version))) as tar:
        values = yaml.safe_load(tar.extractfile(f"{name}/values.yaml").read()) or {}
        for m in sorted(tar.getmembers(), key=lambda m: m.name):
            if "/templates/" in m.name and m.name.endswith(".yaml"):
                text = tar.extractfile(m).read().decode()
                text = text.replace("{{ .Values.brokerNamespace | default .Release.Namespace }}", "")
                text = text.replace('{{ .Values.brokerName | default "default" }}', "default")
                text = text.replace("{{ .Release.Namespace }}", "sonataflow-infra")
                for key in ("kfunction.name", "kfunction.image", "workflow.move2kubeURL", "sshSecretName",
                            "instance.namespace", "instance.name", "instance.image"):
                    v = values
                    for part in key.split("."):
                        v = (v or {}).get(part)
                    if v is not None:
                        text = text.replace("{{ .Values.%s }}" % key, str(v))
                out += [d for d in yaml.safe_load_all(text) if d]
    return out


def flow_of(objects, name):
    return next(o for o in objects if o["kind"] == "SonataFlow" and o["metadata"]["name"] == name)


def test_greeting_wired_in_the_platform_namespace():
    objects = rendered("greeting")
    before = repr(objects)
    wired = W.wire(objects, facts())
    assert repr(objects) == before  # the input is not modified
    flow = flow_of(wired.objects, "greeting")
    assert flow["spec"]["podTemplate"]["container"]["env"] == [
        {"name": "BACKSTAGE_NOTIFICATIONS_URL", "value": "http://backstage-backstage.rhdh-operator"}]
    pg = flow["spec"]["persistence"]["postgresql"]
    assert pg["serviceRef"] == {"name": "sonataflow-psql-postgresql", "port": 5432, "databaseName": "sonataflow",
                                "databaseSchema": "greeting"}  # no namespace inside the PostgreSQL namespace
    assert pg["secretRef"] == {"name": "sonataflow-psql-postgresql", "userKey": "postgres-username",
                               "passwordKey": "postgres-password"}
    assert not any(o["kind"] == "Secret" for o in wired.objects) and wired.duplicates == []
    assert TOKEN not in " ".join(wired.wired)
    assert W.wire(wired.objects, facts()).objects == wired.objects  # idempotent


def test_move2kube_wired_in_another_namespace():
    env = (("MOVE2KUBE_URL", "https://m2k.example"),)
    wired = W.wire(rendered("move2kube"), facts("team-a", env))
    creds = next(o for o in wired.objects if o["kind"] == "Secret" and o["metadata"]["name"] == "m2k-creds")
    assert base64.b64decode(creds["data"]["NOTIFICATIONS_BEARER_TOKEN"]).decode() == TOKEN
    flow = flow_of(wired.objects, "m2k")
    assert flow["spec"]["podTemplate"]["container"]["envFrom"] == [{"secretRef": {"name": "m2k-creds"}}]
    assert [e["name"] for e in flow["spec"]["podTemplate"]["container"]["env"]] == \
        ["BACKSTAGE_NOTIFICATIONS_URL", "MOVE2KUBE_URL"]
    ref = flow["spec"]["persistence"]["postgresql"]["serviceRef"]
    assert ref["namespace"] == "sonataflow-infra" and ref["databaseSchema"] == "move2kube"
    kinds = {(o["apiVersion"], o["kind"]) for o in wired.objects}
    assert ("serving.knative.dev/v1", "Service") in kinds and ("eventing.knative.dev/v1", "Trigger") in kinds


def test_mta_duplicates_are_reduced_to_the_last_and_both_token_secrets_wired():
    wired = W.wire(rendered("mta-v7"), facts(env=(("MTA_URL", "http://mta"),)))
    assert sorted(wired.duplicates) == [
        "ConfigMap 01-mta-analysis-v7-resources-schemas in sonataflow-infra is rendered 2 times; the last one is kept",
        "SonataFlow mta-analysis-v7 in sonataflow-infra is rendered 2 times; the last one is kept"]
    flows = [o for o in wired.objects if o["kind"] == "SonataFlow"]
    assert len(flows) == 1 and flows[0]["spec"]["podTemplate"]["container"]["image"].endswith(":orch-test")
    secrets = {o["metadata"]["name"]: o for o in wired.objects if o["kind"] == "Secret"}
    for s in secrets.values():
        assert base64.b64decode(s["data"]["NOTIFICATIONS_BEARER_TOKEN"]).decode() == TOKEN
        assert "NOTIFICATIONS_BEARER_TOKEN" not in (s.get("stringData") or {})  # stringData would win on write
    env = {e["name"]: e for e in flows[0]["spec"]["podTemplate"]["container"]["env"]}
    assert env["NOTIFICATIONS_BEARER_TOKEN"]["valueFrom"]["secretKeyRef"]["name"] == "mta-analysis-v7-secrets"
    assert env["MTA_URL"] == {"name": "MTA_URL", "value": "http://mta"}


def test_wiring_edge_cases():
    flow = {"apiVersion": W.SONATAFLOW_API, "kind": "SonataFlow", "metadata": {"name": "f"},
            "spec": {"persistence": {"postgresql": {"jdbcUrl": "jdbc:postgresql://elsewhere/db"}}}}
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "f-creds"}, "data": {"OTHER": "eA=="}}
    flow["spec"]["podTemplate"] = {"container": {"envFrom": [{"secretRef": {"name": "f-creds"}}]}}
    out = W.wire([flow, secret], facts(env=(("BACKSTAGE_NOTIFICATIONS_URL", "https://elsewhere"),)))
    f, s = out.objects
    assert f["spec"]["persistence"]["postgresql"] == {"jdbcUrl": "jdbc:postgresql://elsewhere/db"}
    assert f["spec"]["podTemplate"]["container"]["env"] == [{"name": "BACKSTAGE_NOTIFICATIONS_URL",
                                                             "value": "https://elsewhere"}]
    assert set(s["data"]) == {"OTHER", "NOTIFICATIONS_BEARER_TOKEN"}  # referenced through envFrom: gets the key
    unrelated = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "other"}, "data": {"a": "eA=="}}
    assert W.wire([unrelated], facts()).objects == [unrelated]


def test_wiring_drift_names_what_the_live_object_lacks():
    wired = W.wire(rendered("move2kube"), facts("team-a"))
    creds = next(o for o in wired.objects if o["kind"] == "Secret")
    flow = flow_of(wired.objects, "m2k")
    assert W.wiring_drift(creds, None) == ["missing"]
    assert W.wiring_drift(creds, {**creds, "metadata": {**creds["metadata"], "uid": "1"}}) == []
    assert W.wiring_drift(creds, {**creds, "data": {"NOTIFICATIONS_BEARER_TOKEN": ""}}) == \
        ["data.NOTIFICATIONS_BEARER_TOKEN"]
    live = {**flow, "status": {"conditions": []}}
    assert W.wiring_drift(flow, live) == []
    import copy

    reset = copy.deepcopy(flow)
    reset["spec"]["podTemplate"]["container"]["env"] = []
    del reset["spec"]["persistence"]["postgresql"]["serviceRef"]["namespace"]
    assert W.wiring_drift(flow, reset) == ["env BACKSTAGE_NOTIFICATIONS_URL", "spec.persistence.postgresql"]


# -- facts and the release plan ----------------------------------------------------------------------------

def backend_secret(value=TOKEN):
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "backstage-backend-auth-secret",
                                                               "namespace": "rhdh-operator"},
            "data": {"BACKEND_SECRET": base64.b64encode(value.encode()).decode()} if value else {}}


def test_facts_from_the_installation():
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "backstage-backstage",
                                                                   "namespace": "rhdh-operator"},
               "spec": {"ports": [{"port": 7007}]}}
    f, warnings = F.gather(FakeKube([backend_secret(), service]), inst(), "team-a")
    assert f.token == TOKEN and f.notifications_url == "http://backstage-backstage.rhdh-operator:7007"
    assert f.persistence.service_namespace == "sonataflow-infra" and warnings == []
    assert TOKEN not in repr(f)
    f, warnings = F.gather(FakeKube([backend_secret()]), inst(), "team-a")
    assert f.notifications_url == "http://backstage-backstage.rhdh-operator" and "was not found" in warnings[0]
    with pytest.raises(StepFailed, match="holds no BACKEND_SECRET"):
        F.gather(FakeKube([backend_secret("")]), inst(), "team-a")


class FakeHelm:
    def __init__(self, release=None):
        self._release = release

    def release(self, name, namespace):
        return self._release


def test_release_plan_create_upgrade_unchanged():
    archive = R.ChartArchive(path=None, name="greeting", version="1.3.1", sha256="0" * 64, values={})
    wired = W.wire(rendered("greeting"), facts())
    manifest = W.join_manifest(wired.objects)
    live = [{**o, "metadata": {**o["metadata"], "namespace": "sonataflow-infra"}} for o in wired.objects]
    kube = FakeKube(live)
    assert plan_release(FakeHelm(None), kube, "greeting", "sonataflow-infra", archive, wired).action == "create"
    deployed = {"status": "deployed", "chart": "greeting-1.3.1", "manifest": manifest}
    same = plan_release(FakeHelm(deployed), kube, "greeting", "sonataflow-infra", archive, wired)
    assert same.action == "unchanged", same.note
    older = plan_release(FakeHelm({**deployed, "chart": "greeting-1.3.0"}), kube, "greeting", "sonataflow-infra",
                         archive, wired)
    assert older.action == "update" and "greeting-1.3.0 -> greeting-1.3.1" in older.note
    failed = plan_release(FakeHelm({**deployed, "status": "failed"}), kube, "greeting", "sonataflow-infra", archive,
                          wired)
    assert failed.action == "update" and "release is failed" in failed.note
    unwired = W.join_manifest(rendered("greeting"))
    changed = plan_release(FakeHelm({**deployed, "manifest": unwired}), kube, "greeting", "sonataflow-infra",
                           archive, wired)
    assert changed.action == "update" and "SonataFlow greeting in sonataflow-infra changed" in changed.note
    kube.store.pop(next(k for k in kube.store if k[1] == "SonataFlow"))  # deleted by hand: the upgrade restores it
    drift = plan_release(FakeHelm(deployed), kube, "greeting", "sonataflow-infra", archive, wired)
    assert drift.action == "update" and "SonataFlow greeting in sonataflow-infra: missing" in drift.note
    assert differing(wired.objects, wired.objects, "ns") == []


def test_foreign_workflows_are_never_taken_over():
    from orchestrator_cli.workflows.install import foreign_workflows

    objects = W.wire(rendered("greeting"), facts()).objects
    flow = {**flow_of(objects, "greeting"), "metadata": {"name": "greeting", "namespace": "sonataflow-infra"}}
    assert foreign_workflows(FakeKube([]), objects, "greeting", "sonataflow-infra") == []
    assert foreign_workflows(FakeKube([flow]), objects, "greeting", "sonataflow-infra") == [
        "SonataFlow greeting in sonataflow-infra exists and belongs to orch workflow deploy or a user (no Helm release)"]
    ours = {**flow, "metadata": {**flow["metadata"], "annotations": {"meta.helm.sh/release-name": "greeting",
                                                                     "meta.helm.sh/release-namespace": "sonataflow-infra"}}}
    assert foreign_workflows(FakeKube([ours]), objects, "greeting", "sonataflow-infra") == []
    other = {**flow, "metadata": {**flow["metadata"], "annotations": {"meta.helm.sh/release-name": "hello",
                                                                      "meta.helm.sh/release-namespace": "sonataflow-infra"}}}
    assert "belongs to Helm release hello" in foreign_workflows(FakeKube([other]), objects, "greeting",
                                                                "sonataflow-infra")[0]


def test_wait_items_per_sonataflow():
    items = wait_items(W.wire(rendered("move2kube"), facts("team-a")).objects, "team-a", 60)
    assert [(i.id, i.ref.kind, i.ready) for i in items] == [("m2k", "SonataFlow", "sonataflow"),
                                                          ("m2k-deployment", "Deployment", "deployment")]
    assert items[0].pods_from == Ref("apps/v1", "Deployment", "m2k", "team-a")


# -- readiness and the waiter ------------------------------------------------------------------------------

def sonataflow(*conds, generation=1, observed=1):
    return {"metadata": {"name": "greeting", "generation": generation},
            "status": {"observedGeneration": observed,
                       "conditions": [{"type": t, "status": s, "reason": r} for t, s, r in conds]}}


def test_sonataflow_readiness():
    assert isinstance(readiness.sonataflow(sonataflow(("Built", "False", "BuildSkipped"), ("Running", "True", ""))),
                      readiness.Ready)  # gitops: Built=False/BuildSkipped is normal
    waiting = readiness.sonataflow(sonataflow(("Running", "False", "WaitingForPlatform")))
    assert isinstance(waiting, readiness.Waiting) and "WaitingForPlatform" in waiting.reason
    assert isinstance(readiness.sonataflow(sonataflow(("Built", "False", "BuildFailedReason"))), readiness.Failed)
    stale = readiness.sonataflow(sonataflow(("Running", "True", ""), generation=2, observed=1))
    assert isinstance(stale, readiness.Waiting) and "observedGeneration" in stale.reason
    assert isinstance(readiness.sonataflow(None), readiness.Waiting)
    assert readiness.predicate_for("sonataflow") is readiness.sonataflow


class PodsKube:
    """A SonataFlow that never runs; its Deployment's pod crash-loops."""

    def __init__(self):
        self.flow = sonataflow(("Running", "False", "WaitingForDeployment"))
        self.flow["metadata"]["resourceVersion"] = "1"
        self.dep = {"metadata": {"name": "greeting"}, "spec": {"selector": {"matchLabels": {"app": "greeting"}}}}
        self.pod = {"metadata": {"name": "greeting-1"}, "status": {"containerStatuses": [
            {"name": "c", "restartCount": 3, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}}

    def list(self, api_version, kind, namespace=None, *, label_selector=None, field_selector=None, budget=None):
        return {"SonataFlow": [self.flow], "Deployment": [self.dep], "Pod": [self.pod]}[kind], "1"

    def watch(self, *a, **kw):
        return iter(())

    def events_for(self, ref, limit=5):
        return []


def test_sonataflow_wait_fails_fast_on_its_deployments_pods():
    item = WaitItem("greeting", Ref(W.SONATAFLOW_API, "SonataFlow", "greeting", "ns"), "sonataflow", 300,
                    pods_from=Ref("apps/v1", "Deployment", "greeting", "ns"))

    class Quiet:
        def wait_update(self, status):
            pass

    out = wait_one(PodsKube(), item, Quiet(), threading.Event())
    assert out.state == "failed" and "CrashLoopBackOff" in out.reason and out.elapsed < 5


# -- list ------------------------------------------------------------------------------------------------

def test_list_rows():
    assert split_chart("greeting-1.7.0-rc3") == ("greeting", "1.7.0-rc3")
    assert split_chart("mta-v7-1.4.0") == ("mta-v7", "1.4.0") and split_chart("odd") == ("odd", "")
    flow = sonataflow(("Running", "True", ""))
    flow["metadata"].update({"namespace": "sonataflow-infra", "annotations": {
        "meta.helm.sh/release-name": "greeting", "meta.helm.sh/release-namespace": "sonataflow-infra"}})
    releases = {("sonataflow-infra", "greeting"): {"chart": "greeting-1.4.0"}}
    row = workflow_row(flow, releases, "1.3", {"sonataflow-infra"})
    assert (row["chart"], row["chart_version"], row["compatible"], row["running"]) == ("greeting", "1.4.0", False, True)
    bare = workflow_row({**flow, "metadata": {"name": "x", "namespace": "elsewhere"}}, releases, "1.3", set())
    assert bare["chart"] is None and bare["compatible"] is None and "not in a workflow namespace" in bare["reason"]
