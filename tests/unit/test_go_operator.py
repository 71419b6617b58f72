"""The Go operator family (Orchestrator 1.5/1.6): its recipes as pure functions."""

from __future__ import annotations

from orchestrator_cli.generations import get_generation
from orchestrator_cli.generations.go_operator import GO_OPERATOR, PREEXISTING
from orchestrator_cli.health.readiness import Failed, Ready, Waiting, orchestrator_phase
from orchestrator_cli.install.steps.go_operator import swapped_plugin_flags

LABEL = {"rhdh.redhat.com/created-by": "orchestrator"}


def namespace(name, labels=None, created_by_orch=False):
    ann = {"orch.rhdhorchestrator.io/created-namespace": "true"} if created_by_orch else {}
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels or {},
                                                                   "annotations": ann}}


def gop_cr(preexisting=""):
    return {"apiVersion": "rhdh.redhat.com/v1alpha3", "kind": "Orchestrator",
            "metadata": {"name": "orchestrator", "namespace": "orchestrator",
                         "annotations": {PREEXISTING: preexisting, "orch.rhdhorchestrator.io/version": "1.6"}},
            "spec": {"rhdh": {"name": "backstage", "namespace": "rhdh-operator", "installOperator": True},
                     "platform": {"namespace": "sonataflow-infra"}}}


def test_generations_pin_the_go_operator():
    for version, csv in (("1.5", "orchestrator-operator.v1.5.2"), ("1.6", "orchestrator-operator.v1.6.1")):
        gen = get_generation(version)
        assert gen.cr_api_version == "rhdh.redhat.com/v1alpha3" and gen.operator.starting_csv == csv
        assert gen.operator.channel == "stable" and gen.operator.approval == "Manual"
        assert gen.min_openshift == (4, 14) and gen.family is GO_OPERATOR
        assert gen.operator.deployment == "orchestrator-operator-controller-manager"
    assert "allow-openshift-serverless-logic-to-sonataflow-and-workflows" in get_generation("1.6").network_policies
    assert "allow-openshift-serverless-logic-to-sonataflow-and-workflows" not in get_generation("1.5").network_policies


def test_made_for_cr_namespaces_only_those_the_operator_created():
    cr = gop_cr(preexisting="openshift-serverless")
    assert GO_OPERATOR.made_for_cr(namespace("knative-serving", LABEL), cr)
    assert not GO_OPERATOR.made_for_cr(namespace("openshift-serverless", LABEL), cr)  # existed before
    assert not GO_OPERATOR.made_for_cr(namespace("rhdh-operator", LABEL, created_by_orch=True), cr)  # orch's
    assert not GO_OPERATOR.made_for_cr(namespace("knative-serving"), cr)  # not labelled
    sub = {"kind": "Subscription", "metadata": {"name": "rhdh", "namespace": "rhdh-operator", "labels": LABEL}}
    assert GO_OPERATOR.made_for_cr(sub, cr) and not GO_OPERATOR.made_for_cr(sub, None)


def test_cleanup_protect_lets_the_operator_delete_only_its_knative_namespaces():
    cr = gop_cr(preexisting="knative-eventing")
    inst = GO_OPERATOR.installation_from_cr(cr, get_generation("1.6"))
    live = [namespace("knative-serving", LABEL), namespace("knative-eventing", LABEL),
            namespace("openshift-serverless", LABEL), namespace("openshift-serverless-logic", LABEL),
            namespace("rhdh-operator", LABEL, created_by_orch=True), namespace("sonataflow-infra", LABEL),
            namespace("team-a")]
    protected = {name: patch for name, patch, _ in GO_OPERATOR.cleanup_protect(inst, live)}
    assert set(protected) == {"knative-eventing", "openshift-serverless", "openshift-serverless-logic",
                              "rhdh-operator"}
    assert protected["openshift-serverless"] == {"metadata": {"labels": {"rhdh.redhat.com/created-by": None}}}


def test_cr_phase_predicate_waits_through_the_namespace_race_only():
    def cr(phase, reason="", message="", completed=None):
        conds = [{"type": "Degrading", "status": "False", "reason": reason, "message": message}] if reason else []
        if completed:
            conds.append({"type": "Completed", "status": "True", "reason": "ReconciliationCompleted"})
        return {"status": {"phase": phase, "conditions": conds}}

    assert isinstance(orchestrator_phase(cr("Completed", completed=True)), Ready)
    assert isinstance(orchestrator_phase(cr("Running")), Waiting)
    race = orchestrator_phase(cr("Failed", "ReconcilingOSLResourcesFailed", 'namespaces "x" already exists'))
    assert isinstance(race, Waiting) and "upstream defect" in race.reason
    failed = orchestrator_phase(cr("Failed", "ReconcilingRHDHResourcesFailed", "boom"))
    assert isinstance(failed, Failed) and failed.reason == "ReconcilingRHDHResourcesFailed: boom"


def test_swapped_argocd_tekton_plugins_are_corrected_once():
    swapped = ("plugins:\n- {package: ./dynamic-plugins/dist/roadiehq-backstage-plugin-argo-cd, disabled: true}\n"
               "- {package: ./dynamic-plugins/dist/backstage-community-plugin-tekton, disabled: false}\n")
    fixed = swapped_plugin_flags(swapped, argocd=True, tekton=False)
    assert fixed is not None and "argo-cd\n  disabled: false" in fixed and "tekton\n  disabled: true" in fixed
    assert swapped_plugin_flags(fixed, argocd=True, tekton=False) is None  # a re-run changes nothing
    assert swapped_plugin_flags(swapped, argocd=False, tekton=True) is None  # both swapped back: as requested


class _Kube:
    """get() answers from a dict keyed by (kind, name)."""

    def __init__(self, objects):
        self.objects = objects

    def get(self, ref):
        return self.objects.get((ref.kind, ref.name))

    def list(self, *args, **kwargs):
        return [], None


def _cfg(version):
    from orchestrator_cli.install.config import build_config
    from orchestrator_cli.install.inputs import Resolved, with_defaults

    return build_config(with_defaults({"version": Resolved(version, "flag")}))


def test_preflight_needs_openshift_4_14_for_the_go_operator():
    import pytest

    from orchestrator_cli.health.checks import CheckFailed
    from orchestrator_cli.install.preflight import PreflightContext, check_openshift

    cv = {("ClusterVersion", "version"): {"status": {"desired": {"version": "4.13.9"}}}}
    assert check_openshift(PreflightContext(_Kube(cv), _cfg("1.4"), {})) == "OpenShift 4.13.9"
    with pytest.raises(CheckFailed, match=r"older than 4.14, the minimum for Orchestrator 1.6"):
        check_openshift(PreflightContext(_Kube(cv), _cfg("1.6"), {}))


def test_preflight_refuses_another_generation_and_names_the_upgrade_path():
    import pytest

    from orchestrator_cli.health.checks import CheckFailed
    from orchestrator_cli.install.preflight import PreflightContext, check_existing_install

    sub = {("Subscription", "orchestrator-operator"): {"spec": {"startingCSV": "orchestrator-operator.v1.4.0"},
                                                      "status": {"installedCSV": "orchestrator-operator.v1.4.0"}}}
    with pytest.raises(CheckFailed, match=r"v1.4.0 is installed; this install pins orchestrator-operator.v1.6.1\. "
                                          r"orch install does not switch generations .*v1alpha2 -> "
                                          r"rhdh.redhat.com/v1alpha3.*orch cleanup.*--version 1.6"):
        check_existing_install(PreflightContext(_Kube(sub), _cfg("1.6"), {}))
    sub[("Subscription", "orchestrator-operator")]["status"]["installedCSV"] = "orchestrator-operator.v1.5.2"
    with pytest.raises(CheckFailed, match=r"removing everything and reinstalling"):
        check_existing_install(PreflightContext(_Kube(sub), _cfg("1.6"), {}))
