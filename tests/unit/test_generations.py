import pytest

from orchestrator_cli.core.errors import InputError
from orchestrator_cli.generations import DEFAULT_VERSION, GENERATIONS, get_generation
from orchestrator_cli.health.readiness import predicate_for
from orchestrator_cli.kube.client import RESOURCES


def test_default_is_13_with_v1alpha1():
    assert DEFAULT_VERSION == "1.3"
    assert get_generation("1.3").cr_api_version == "rhdh.redhat.com/v1alpha1"
    assert get_generation("1.4").cr_api_version == "rhdh.redhat.com/v1alpha2"


def test_pins_are_manual_with_starting_csv():
    for gen in GENERATIONS.values():
        assert gen.operator.approval == "Manual"
        prefix = "rhdh-operator" if gen.family.id == "rhdh_native" else "orchestrator-operator"  # 1.7+: no own operator
        assert gen.operator.starting_csv.startswith(f"{prefix}.v{gen.version}.")
        assert all(p.approval == "Manual" and p.starting_csv for p in gen.extra_operators)


def test_unknown_version_is_input_error():
    with pytest.raises(InputError, match="supported: 1.3, 1.4, 1.5, 1.6, 1.7, 1.8$"):
        get_generation("1.9")


@pytest.mark.parametrize("version", sorted(GENERATIONS))
def test_wait_list_matches_upstream_and_is_resolvable(version):
    gen = get_generation(version)
    ids = [w.id for w in gen.wait_list]
    if gen.family.id == "rhdh_native":  # 1.7+: the platform comes from RHDH's plugin dependency, after Backstage
        assert ids[:6] == ["knative-openshift", "knative-eventing", "knative-serving", "logic-operator",
                           "backstage-cr", "backstage"]
        assert ids[6:9] == ["sonataflow-platform", "data-index", "jobs-service"]
        assert ("database-job" in ids) == (version == "1.8")
    else:
        assert ids == ["knative-openshift", "knative-eventing", "knative-serving", "logic-operator",
                       "sonataflow-platform", "data-index", "jobs-service", "backstage-cr", "backstage"]
    for w in gen.wait_list:
        predicate_for(w.ready)  # every predicate exists
        assert (w.api_version, w.kind) in RESOURCES  # the adapter knows every kind


def test_cr_templates_render_for_each_generation():
    from orchestrator_cli.install.config import build_config
    from orchestrator_cli.install.inputs import Resolved, with_defaults
    from orchestrator_cli.install.steps.orchestrator_cr import orchestrator_cr

    for version in GENERATIONS:
        if not GENERATIONS[version].cr_template:
            continue  # 1.7+: no Orchestrator CR
        cfg = build_config(with_defaults({"version": Resolved(version, "flag")}))
        cr = orchestrator_cr(cfg)
        assert cr["apiVersion"] == GENERATIONS[version].cr_api_version
        assert "namespace" not in cr["spec"]["argocd"]  # OMIT when GitOps is off
        if GENERATIONS[version].family.id == "go_operator":
            assert cr["spec"]["rhdh"]["installOperator"] is True  # the code's default false installs no RHDH
            assert cr["metadata"]["annotations"]["orch.rhdhorchestrator.io/version"] == version
            assert cr["spec"]["platform"]["namespace"] == cfg.workflow_namespace
            continue
        sub = cr["spec"]["sonataFlowOperator"]["subscription"]
        assert ("sourceName" in sub) == (version == "1.3")
        assert cr["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "orch"
