"""Platforms: detection, --platform, the options each refuses, the Kubernetes pre-flight (pure, fake cluster)."""

from __future__ import annotations

import dataclasses

import pytest

from orchestrator_cli.core.errors import InputError, PlatformUnsupported
from orchestrator_cli.health.checks import CheckFailed, Skip, run_checks
from orchestrator_cli.install.config import build_config
from orchestrator_cli.install.inputs import collect, with_defaults
from orchestrator_cli.install.preflight import PreflightContext
from orchestrator_cli.install.run import _with_platform
from orchestrator_cli.platforms import detect_platform, get_platform
from orchestrator_cli.platforms import kubernetes_checks as kc
from orchestrator_cli.platforms.kubernetes_pins import KUBERNETES_PINS, pins_for
from tests.unit.day2_fakes import FakeKube


class Served(FakeKube):
    def __init__(self, kinds: dict[str, set[str]], objects=(), version="v1.31.2"):
        super().__init__(objects)
        self.kinds = kinds
        self.version = version

    def served_kinds(self, gv):
        return self.kinds.get(gv, set())

    def server_version(self):
        return {"gitVersion": self.version}


def _config(flags=None, env=None):
    return build_config(with_defaults(collect(flags or {}, env or {}, {})))


def test_detect_openshift_by_clusterversion_or_route_api_else_kubernetes():
    assert detect_platform(Served({"config.openshift.io/v1": {"ClusterVersion", "Ingress"}})) == "openshift"
    assert detect_platform(Served({"route.openshift.io/v1": {"Route"}})) == "openshift"
    assert detect_platform(Served({"networking.k8s.io/v1": {"Ingress", "IngressClass"}})) == "kubernetes"


def test_platform_input_is_kubernetes_or_openshift():
    assert _config({"platform": "kubernetes"}).platform == "kubernetes"
    assert _config(env={"ORCH_PLATFORM": "openshift"}).platform == "openshift"
    assert _config().platform == "auto"
    with pytest.raises(InputError, match="--platform must be kubernetes or openshift, got 'k8s'"):
        _config({"platform": "k8s"})


def test_forced_platform_wins_over_detection_and_detection_fills_auto():
    kube = Served({"config.openshift.io/v1": {"ClusterVersion"}})
    assert _with_platform(kube, _config()).platform == "openshift"
    forced = _with_platform(kube, _config({"platform": "kubernetes"}))
    assert forced.platform == "kubernetes" and forced.platform_forced


def test_kubernetes_refuses_openshift_only_options_and_openshift_kubernetes_only_ones():
    vanilla = Served({})
    with pytest.raises(PlatformUnsupported, match=r"^--gitops needs OpenShift GitOps .*\(platform kubernetes, "
                                                  r"detected\); nothing was written$"):
        _with_platform(vanilla, _config({"gitops": True}))
    with pytest.raises(PlatformUnsupported, match=r"--existing-rhdh is OpenShift-only"):
        _with_platform(vanilla, _config({"existing_rhdh": "rhdh", "platform": "kubernetes"}))
    openshift = Served({"route.openshift.io/v1": {"Route"}})
    with pytest.raises(PlatformUnsupported, match=r"^--host is for Kubernetes"):
        _with_platform(openshift, _config({"host": "backstage.example.com"}))
    # defaults are not choices: nothing refused
    assert _with_platform(openshift, _config()).host == "localhost"
    assert _with_platform(vanilla, _config()).platform == "kubernetes"


def test_a_generation_without_kubernetes_pins_is_refused_on_kubernetes(monkeypatch):
    for version in [v for v in KUBERNETES_PINS if v != "1.3"]:
        monkeypatch.delitem(KUBERNETES_PINS, version)
    with pytest.raises(PlatformUnsupported, match=r"Orchestrator 1.4 has no pinned Kubernetes release manifests "
                                                  r"\(Kubernetes: 1.3\)"):
        _with_platform(Served({}), _config({"version": "1.4"}))


def test_kubernetes_generation_names_the_manifest_installed_operators():
    cfg = dataclasses.replace(_config(), platform="kubernetes")
    gen = cfg.generation
    ids = [w.id for w in gen.wait_list]
    assert ids[:4] == ["knative-operator", "knative-eventing", "knative-serving", "sonataflow-operator"]
    assert gen.operator.namespace == "default"  # the install lock's Lease
    by_id = {w.id: w for w in gen.wait_list}
    assert (by_id["sonataflow-operator"].namespace, by_id["sonataflow-operator"].name) == (
        "sonataflow-operator-system", "sonataflow-operator-controller-manager")
    assert by_id["rhdh-operator"].name == "rhdh-operator"
    assert _config().generation.wait_list[0].id == "knative-openshift"  # OpenShift unchanged


def _ingress_class(name, default=False):
    md = {"name": name}
    if default:
        md["annotations"] = {kc.DEFAULT_INGRESS_CLASS: "true"}
    return {"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": md}


def test_ingress_class_given_default_only_or_missing():
    kube = FakeKube([_ingress_class("contour"), _ingress_class("nginx", default=True)])
    assert kc.ingress_class(kube, None) == "nginx"
    assert kc.ingress_class(kube, "contour") == "contour"
    with pytest.raises(CheckFailed, match=r"IngressClass traefik not found \(found: contour, nginx\)"):
        kc.ingress_class(kube, "traefik")
    assert kc.ingress_class(FakeKube([_ingress_class("contour")]), None) == "contour"
    with pytest.raises(CheckFailed, match="several IngressClasses and no single default"):
        kc.ingress_class(FakeKube([_ingress_class("a"), _ingress_class("b")]), None)
    with pytest.raises(CheckFailed, match="^no IngressClass: "):
        kc.ingress_class(FakeKube(), None)


def test_kubernetes_version_against_the_pinned_minimum():
    cfg = dataclasses.replace(_config(), platform="kubernetes")
    minimum = pins_for(cfg.version).min_kubernetes
    assert kc.check_kubernetes_version(PreflightContext(Served({}, version="v1.31.2"), cfg)).startswith(
        "Kubernetes v1.31.2")
    with pytest.raises(CheckFailed, match=rf"older than {minimum[0]}.{minimum[1]}"):
        kc.check_kubernetes_version(PreflightContext(Served({}, version="v1.27.3+k3s1"), cfg))


class Observer:
    def __init__(self):
        self.results = []

    def check_result(self, r):
        self.results.append(r)


def test_kubernetes_preflight_skips_openshift_checks_and_reports_a_missing_ingress_class():
    cfg = dataclasses.replace(_config(), platform="kubernetes")
    checks = get_platform("kubernetes").checks
    ids = [c.id for c in checks]
    assert {"kubernetes-version", "ingress-class", "storage-class", "node-arch", "permissions"} <= set(ids)
    skipped = [c for c in checks if c.id in kc.OPENSHIFT_ONLY]
    assert {c.id for c in skipped} == set(kc.OPENSHIFT_ONLY)
    for c in skipped:
        with pytest.raises(Skip):
            c.run(None)
    wanted = {"ingress-class", "kubernetes-version", "openshift-version", "olm"}
    results = run_checks([c for c in checks if c.id in wanted], PreflightContext(Served({}), cfg), Observer())
    status = {r.check.id: r.status for r in results}
    assert status == {"kubernetes-version": "ok", "openshift-version": "skipped", "olm": "skipped",
                      "ingress-class": "failed"}
    # OpenShift keeps its list unchanged
    assert get_platform("openshift").checks[2].id == "openshift-version"


def test_kubernetes_permissions_cover_the_manifests_and_operator_namespaces():
    from orchestrator_cli.platforms.kubernetes_permissions import required_permissions

    cfg = dataclasses.replace(_config(), platform="kubernetes")
    perms = {str(p) for p in required_permissions(cfg)}
    assert "create customresourcedefinitions.apiextensions.k8s.io (cluster-wide)" in perms
    assert "escalate clusterroles.rbac.authorization.k8s.io (cluster-wide)" in perms
    assert "create deployments.apps in namespace sonataflow-operator-system" in perms
    assert "create ingresses.networking.k8s.io in namespace rhdh-operator" in perms
    assert not any("operators.coreos.com" in p or "route.openshift.io" in p for p in perms)


def test_release_manifests_are_verified_before_use(tmp_path):
    import hashlib

    from orchestrator_cli.core.errors import ManifestUnverified
    from orchestrator_cli.platforms.kubernetes_manifests import effective_pins, load

    body = (b"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: rhdh-operator, namespace: rhdh-operator}\n")
    (tmp_path / "rhdh-operator.yaml").write_bytes(body)
    pins = tmp_path / "pins.yaml"
    digest = hashlib.sha256(body).hexdigest()
    pins.write_text(f'"1.3": {{rhdh-operator: {{url: "http://127.0.0.1:1/x.yaml", sha256: "{digest}"}}}}\n')
    cfg = dataclasses.replace(_config(), platform="kubernetes", manifests_dir=str(tmp_path), manifest_pins=str(pins))
    pin = effective_pins(cfg).pin("rhdh-operator")
    assert pin.sha256 == digest and pin.url == "http://127.0.0.1:1/x.yaml"
    assert effective_pins(cfg).pin("knative-operator").sha256 is None  # not in the file: built-in pin
    loaded = load(pin, cfg)
    assert loaded.docs[0]["kind"] == "Deployment" and loaded.source == str(tmp_path / "rhdh-operator.yaml")
    (tmp_path / "rhdh-operator.yaml").write_bytes(body + b"# tampered\n")
    with pytest.raises(ManifestUnverified, match=r"does not match its pin: sha256 [0-9a-f]{16}… instead of "
                                                 rf"{digest[:16]}…; nothing was written$"):
        load(pin, cfg)
    unpinned = dataclasses.replace(pin, sha256=None)
    with pytest.raises(ManifestUnverified, match="has no pinned digest: its sha256 is"):
        load(unpinned, cfg)
    assert load(unpinned, dataclasses.replace(cfg, allow_unverified_manifests=True)).sha256 != digest


def test_pins_file_errors_are_input_errors(tmp_path):
    from orchestrator_cli.platforms.kubernetes_manifests import effective_pins

    bad = tmp_path / "pins.yaml"
    bad.write_text('"1.3": {no-such-operator: {url: "http://x", sha256: null}}\n')
    cfg = dataclasses.replace(_config(), platform="kubernetes", manifest_pins=str(bad))
    with pytest.raises(InputError, match="unknown component 'no-such-operator'"):
        effective_pins(cfg)
    bad.write_text('"1.3": {rhdh-operator: {url: "http://x", sha256: "abc"}}\n')
    with pytest.raises(InputError, match="needs url and a 64-hex sha256"):
        effective_pins(cfg)


def _labelled(api, kind, name, ns=None, **labels):
    md = {"name": name, "labels": {"app.kubernetes.io/managed-by": "orch", **labels}}
    if ns:
        md["namespace"] = ns
    return {"apiVersion": api, "kind": kind, "metadata": md}


def test_kubernetes_cleanup_deletes_operands_before_the_release_manifest_objects():
    from orchestrator_cli.day2.cleanup_plan import CleanupOptions, plan_cleanup
    from orchestrator_cli.platforms.kubernetes_record import installation_from_records, record_object
    from orchestrator_cli.platforms.kubernetes_steps import RELEASE_LABEL

    cfg = dataclasses.replace(_config(), platform="kubernetes")
    rel = {RELEASE_LABEL: "knative-operator"}
    kube = FakeKube([
        record_object(cfg, "contour"),
        _labelled("rhdh.redhat.com/v1alpha3", "Backstage", "backstage", "rhdh-operator"),
        _labelled("operator.knative.dev/v1beta1", "KnativeServing", "knative-serving", "knative-serving"),
        _labelled("apps/v1", "Deployment", "knative-operator", "default", **rel),
        _labelled("rbac.authorization.k8s.io/v1", "ClusterRole", "knative-serving-operator", **rel),
        _labelled("apiextensions.k8s.io/v1", "CustomResourceDefinition", "knativeservings.operator.knative.dev",
                  **rel) | {"spec": {"group": "operator.knative.dev"}},
        _labelled("v1", "Secret", "backstage-backend-auth-secret", "rhdh-operator"),
    ])
    inst = installation_from_records(kube)
    assert inst.platform == "kubernetes" and inst.version == "1.3"
    assert str(inst.cr_ref) == "ConfigMap orchestrator-installation in orchestrator"
    plan = plan_cleanup(kube, inst, CleanupOptions())
    phases = {p.id: [str(t.ref) for t in p.targets] for p in plan.phases}
    assert phases["orchestrator-cr"] == []  # no CR: the record is swept with orch's other objects
    assert phases["operands"] == ["Backstage backstage in rhdh-operator",
                                  "KnativeServing knative-serving in knative-serving"]
    assert phases["operators"] == ["Deployment knative-operator in default", "ClusterRole knative-serving-operator"]
    assert "ConfigMap orchestrator-installation in orchestrator" in phases["orch-objects"]
    assert not any("knative-operator" in o for o in phases["orch-objects"])
    assert phases["crds"] == [] and any("knativeservings" in str(t.ref) for t in plan.kept)
    purge = plan_cleanup(kube, inst, CleanupOptions(purge=True, purge_knative=True))
    assert [str(t.ref) for t in purge.phases[-1].targets] == [
        "CustomResourceDefinition knativeservings.operator.knative.dev"]


class _Question:
    def __init__(self, log, kind, label, answer):
        self.log, self.answer = log, answer
        self.application = type("App", (), {"key_bindings": None})()
        log.append((kind, label))

    def unsafe_ask(self):
        return self.answer


class _FakeQuestionary:
    def __init__(self):
        self.asked = []

    def select(self, label, choices, default=None):
        return _Question(self.asked, "select", label, default or choices[0])

    def text(self, label, default="", validate=None):
        return _Question(self.asked, "text", label, default)

    def password(self, label, validate=None):
        return _Question(self.asked, "password", label, "")

    def confirm(self, label, default=False):
        return _Question(self.asked, "confirm", label, default)


class _NoDiscovery:
    def backstage_namespaces(self):
        return []

    def argocd_api(self):
        return False


@pytest.mark.parametrize("platform,asked", [("openshift", True), ("kubernetes", False)])
def test_prompts_ask_about_an_existing_rhdh_only_on_openshift(platform, asked):
    from orchestrator_cli.install.prompts import Prompter

    prompter = Prompter({}, _NoDiscovery(), platform)
    prompter.q = _FakeQuestionary()
    resolved = prompter.run()
    labels = [label for _, label in prompter.q.asked]
    assert ("Setup for a new RHDH deployment?" in labels) is asked
    assert "existing_rhdh" not in resolved and resolved["workflow_namespace"].value == "sonataflow-infra"
