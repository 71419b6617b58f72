"""The RHDH-native family (Orchestrator 1.7/1.8): its data and recipes as pure functions."""

from __future__ import annotations

import pytest
import yaml

from orchestrator_cli.core.errors import StepFailed
from orchestrator_cli.generations import get_generation
from orchestrator_cli.generations.detect import detect
from orchestrator_cli.install.steps.rhdh_native import backstage_cr, dynamic_plugins, merged_into_existing


def _cfg(version, **extra):
    from orchestrator_cli.install.config import build_config
    from orchestrator_cli.install.inputs import Resolved, with_defaults

    return build_config(with_defaults({"version": Resolved(version, "flag"),
                                       **{k: Resolved(v, "flag") for k, v in extra.items()}}))


def test_pins_and_backstage_versions():
    for version, api, plugins in (("1.7", "rhdh.redhat.com/v1alpha3", "1.7.1"),
                                  ("1.8", "rhdh.redhat.com/v1alpha4", "1.8.12")):
        gen = get_generation(version)
        assert gen.cr_api_version == api and gen.plugin_version == plugins and gen.operator.channel == f"fast-{version}"
        assert [(p.subscription, p.namespace, p.starting_csv, p.approval) for p in gen.extra_operators] == [
            ("serverless-operator", "openshift-serverless", "serverless-operator.v1.36.0", "Manual"),
            ("logic-operator-rhel8", "openshift-serverless-logic", "logic-operator-rhel8.v1.36.0", "Manual")]
        assert gen.lock_namespace == "openshift-operators"


def test_workflows_run_in_the_backstage_namespace():
    from orchestrator_cli.core.errors import InputError

    cfg = _cfg("1.8", rhdh_namespace="hub")
    assert cfg.workflow_namespace == "hub"
    with pytest.raises(InputError, match="runs workflows in the Backstage namespace"):
        _cfg("1.8", rhdh_namespace="hub", workflow_namespace="elsewhere")


def test_dynamic_plugins_enable_the_four_plugins_with_the_sonataflow_dependency():
    doc = yaml.safe_load(dynamic_plugins(_cfg("1.8"))["data"]["dynamic-plugins.yaml"])
    packages = [p["package"] for p in doc["plugins"]]
    assert len(packages) == 4 and all(p.endswith("@1.8.12") and p.startswith("@redhat/") for p in packages)
    backend = next(p for p in doc["plugins"] if "backend-dynamic" in p["package"])
    assert backend["dependencies"] == [{"ref": "sonataflow"}] and not any(p["disabled"] for p in doc["plugins"])


def test_existing_backstage_keeps_the_users_list_entries_and_refuses_their_plugin_configmap():
    cfg = _cfg("1.8", existing_rhdh="hub")
    live = {"metadata": {"name": "dev", "namespace": "hub"},
            "spec": {"application": {"appConfig": {"configMaps": [{"name": "mine"}]},
                                     "extraEnvs": {"secrets": [{"name": "their-secret"}]}}}}
    desired = merged_into_existing(backstage_cr(cfg, "dev", ours=False), live)
    app = desired["spec"]["application"]
    assert app["appConfig"]["configMaps"] == [{"name": "mine"}, {"name": "orchestrator-app-config"}]
    assert app["extraEnvs"]["secrets"] == [{"name": "their-secret"}, {"name": "backstage-backend-auth-secret"}]
    assert "labels" not in desired["metadata"]  # not orch's: cleanup keeps it
    live["spec"]["application"]["dynamicPluginsConfigMapName"] = "their-plugins"
    with pytest.raises(StepFailed, match="already uses dynamic-plugins ConfigMap their-plugins"):
        merged_into_existing(backstage_cr(cfg, "dev", ours=False), live)


def test_detect_finds_the_backstage_anchor_and_the_backstage_database():
    from tests.unit.day2_fakes import FakeKube

    cr = backstage_cr(_cfg("1.8"))
    inst = detect(FakeKube([cr]))
    assert inst.version == "1.8" and inst.workflow_namespace == inst.rhdh_namespace == "rhdh-operator"
    p = inst.workflow_persistence("team-a")
    assert (p.secret_name, p.user_key, p.service_name, p.database) == (
        "backstage-psql-secret-backstage", "POSTGRES_USER", "backstage-psql-backstage", "backstage_plugin_orchestrator")


def test_add_namespace_objects_follow_the_1_7_recipe():
    from orchestrator_cli.day2.ns_desired import desired_policies
    from tests.unit.day2_fakes import FakeKube

    inst = detect(FakeKube([backstage_cr(_cfg("1.7"))]))
    objs = {(o["kind"], o["metadata"]["name"], o["metadata"].get("namespace")) for o in desired_policies(inst, "wf")}
    assert objs == {("SonataFlowClusterPlatform", "cluster-platform", None),
                    ("NetworkPolicy", "allow-rhdh-and-knative-to-workflows", "wf"),
                    ("NetworkPolicy", "allow-intra-namespace", "wf"),
                    ("NetworkPolicy", "allow-external-workflows-to-rhdh-wf", "rhdh-operator")}
