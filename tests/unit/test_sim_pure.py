"""Pure-function tests for the simulators (no cluster): catalog resolution, conditions,
NOTES rendering, config parsing, chart render failures."""
from __future__ import annotations

import pytest

from tests.sim import catalog as C
from tests.sim import kube as K
from tests.sim import orchestrator_chart as O
from tests.sim.config import ConfigError, config_map, parse_config
from tests.sim.olm import load_crd

# -- catalog ----------------------------------------------------------------------------------

def test_channel_heads_cut_the_channel():
    heads = {"serverless-operator/stable": "serverless-operator.v1.35.0"}
    assert C.channel_head("serverless-operator", "stable", heads) == "serverless-operator.v1.35.0"
    assert C.channel_head("serverless-operator", "stable") == "serverless-operator.v1.36.0"


def test_catalog_matches_reference_matrix():
    # reference §9.1: 1.3 -> v1alpha1 CRD, 1.4 -> v1alpha2; HOP deployment orchestrator-operator
    assert C.csv_info("orchestrator-operator.v1.3.1").crds == ("orchestrators-v1alpha1.yaml",)
    assert C.csv_info("orchestrator-operator.v1.4.0").crds == ("orchestrators-v1alpha2.yaml",)
    assert C.csv_info("orchestrator-operator.v1.4.0").deployment == "orchestrator-operator"
    assert C.csv_info("logic-operator-rhel8.v1.35.0").deployment == \
        "logic-operator-rhel8-controller-manager"
    assert C.csv_info("serverless-operator.v1.35.0").deployment == "knative-openshift"
    assert "fast-1.4" in C.PACKAGES["rhdh"].channels
    assert C.PACKAGES["orchestrator-operator"].default_channel == "stable"
    # HOP 1.4 takes installedCSV after a 33-char prefix (reference §9.3)
    assert len("openshift-pipelines-operator-rh.v") == 33
    assert "openshift-pipelines-operator-rh.v1.17.0" in C.PACKAGES[
        "openshift-pipelines-operator-rh"].csvs


def test_package_manifest_shape():
    pm = C.package_manifest("serverless-operator",
                            {"serverless-operator/stable": "serverless-operator.v1.35.0"})
    st = pm["status"]
    assert st["catalogSource"] == "redhat-operators"
    assert st["catalogSourceNamespace"] == "openshift-marketplace"
    assert st["defaultChannel"] == "stable"
    assert st["channels"] == [dict(st["channels"][0], name="stable",
                                   currentCSV="serverless-operator.v1.35.0")]


def test_every_owned_crd_file_loads():
    for pkg in C.PACKAGES.values():
        for info in pkg.csvs.values():
            for fn in info.crds:
                crd = load_crd(fn)
                assert crd["kind"] == "CustomResourceDefinition"
                assert sum(v["storage"] for v in crd["spec"]["versions"]) == 1


def test_orchestrator_crd_defaults_follow_reference():
    crd = load_crd("orchestrators-v1alpha2.yaml")
    spec = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    sub = spec["properties"]["sonataFlowOperator"]["properties"]["subscription"]["properties"]
    assert sub["startingCSV"]["default"] == "logic-operator-rhel8.v1.35.0"
    rhdh = spec["properties"]["rhdhOperator"]["properties"]
    assert rhdh["subscription"]["properties"]["channel"]["default"] == "fast-1.4"
    assert rhdh["secretRef"]["properties"]["name"]["default"] == "backstage-backend-auth-secret"
    v1 = load_crd("orchestrators-v1alpha1.yaml")["spec"]["versions"][0]
    sub1 = v1["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"][
        "sonataFlowOperator"]["properties"]["subscription"]["properties"]
    assert "sourceName" in sub1 and "source" not in sub1
    assert v1["name"] == "v1alpha1"


# -- conditions -------------------------------------------------------------------------------

def test_set_condition_keeps_transition_time_and_order():
    c = K.set_condition([], "Initialized", "True", transition_time="t1")
    c = K.set_condition(c, "Deployed", "False", "X", transition_time="t2")
    c2 = K.set_condition(c, "Deployed", "False", "Y", "m", transition_time="t3")
    assert [x["type"] for x in c2] == ["Initialized", "Deployed"]
    assert c2[1]["lastTransitionTime"] == "t2" and c2[1]["reason"] == "Y"
    c3 = K.set_condition(c2, "Deployed", "True", transition_time="t4")
    assert c3[1]["lastTransitionTime"] == "t4"
    assert K.conditions_equal(c2, K.set_condition(c, "Deployed", "False", "Y", "m"))
    assert [x["type"] for x in K.remove_condition(c3, "Initialized")] == ["Deployed"]


def test_deployment_rollout_checks():
    dep = {"metadata": {"generation": 2}, "spec": {"replicas": 1},
           "status": {"observedGeneration": 2, "updatedReplicas": 1, "availableReplicas": 1,
                      "replicas": 1, "conditions": [{"type": "Available", "status": "True"}]}}
    assert K.deployment_rolled_out(dep)
    dep["status"]["replicas"] = 2  # an old pod still around
    assert K.deployment_available(dep) and not K.deployment_rolled_out(dep)
    assert not K.deployment_available(None)


# -- config -----------------------------------------------------------------------------------

def test_config_parsing():
    cfg = parse_config("""
delay_seconds: {default: 1, knativeserving: 5}
never_ready: [knativeeventing, sonataflow-platform-jobs-service]
pod_faults: {backstage-backstage: CrashLoopBackOff}
channel_heads: {serverless-operator/stable: serverless-operator.v1.35.0}
""")
    assert cfg.delay("knativeserving") == 5 and cfg.delay("other") == 1
    assert cfg.pod_fault("backstage-backstage") == "CrashLoopBackOff"
    assert cfg.pod_fault("sonataflow-platform-jobs-service") == "Unschedulable"
    assert cfg.pod_fault("knative-openshift") is None
    assert parse_config("").delay("x") == 0


@pytest.mark.parametrize("text", [
    "pod_faults: {x: Sleepy}", "delay_seconds: {x: soon}", "nonsense: 1", "- a list",
    "delay_seconds: {x: -1}", "channel_heads: {nochannel: x}", "failing_csvs: [rhdh]", "never_ready: abc", "a: [",
])
def test_config_rejects_invalid(text):
    with pytest.raises(ConfigError):
        parse_config(text)


def test_config_map_helper_validates():
    cm = config_map({"never_ready": ["knativeserving"]})
    assert cm["metadata"] == {"name": "simulator-config", "namespace": "orch-sim"}
    with pytest.raises(ConfigError):
        config_map({"pod_faults": {"x": "Nope"}})


# -- orchestrator chart render ----------------------------------------------------------------

def _defaults(version: str = "v1alpha2") -> dict:
    """The spec the apiserver produces from `spec: {}` via the CRD defaults."""
    crd = load_crd(f"orchestrators-{version}.yaml")
    schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]

    def fill(s):
        if s.get("type") == "object" and "properties" in s:
            return {k: fill(v) for k, v in s["properties"].items()
                    if "default" in v or v.get("type") == "object" and "default" in v}
        return s.get("default")
    return fill(schema)


def _inp(**kw) -> O.RenderInput:
    base = dict(secret_data={"BACKEND_SECRET": "eA=="}, domain="apps.orch.local",
                namespaces_with_label={})
    base.update(kw)
    return O.RenderInput(**base)


def test_render_defaults_creates_chart_objects():
    rel = O.render("orchestrator-sample", "openshift-operators", _defaults(), _inp(), "v1alpha2")
    got = {(i.res.kind, i.obj["metadata"].get("namespace"), i.obj["metadata"]["name"])
           for i in rel.items}
    for want in [("Namespace", None, "openshift-serverless"), ("Namespace", None, "knative-serving"),
                 ("Namespace", None, "knative-eventing"),
                 ("Namespace", None, "openshift-serverless-logic"),
                 ("Subscription", "openshift-serverless", "serverless-operator"),
                 ("Subscription", "openshift-serverless-logic", "logic-operator-rhel8"),
                 ("Subscription", "rhdh-operator", "rhdh"),
                 ("OperatorGroup", "rhdh-operator", "rhdh-operator-group"),
                 ("KnativeServing", "knative-serving", "knative-serving"),
                 ("SonataFlowClusterPlatform", None, "cluster-platform"),
                 ("SonataFlowPlatform", "sonataflow-infra", "sonataflow-platform"),
                 ("Backstage", "rhdh-operator", "backstage"),
                 ("NetworkPolicy", "sonataflow-infra", "allow-rhdh-to-sonataflow-and-workflows"),
                 ("NetworkPolicy", "sonataflow-infra", "allow-intra-namespace"),
                 ("NetworkPolicy", "sonataflow-infra",
                  "allow-monitoring-to-sonataflow-and-workflows")]:
        assert want in got, want
    assert ("Namespace", None, "rhdh-operator") not in got  # the chart does not create it
    subs = {i.obj["metadata"]["name"]: i.obj["spec"] for i in rel.items
            if i.res.kind == "Subscription"}
    assert subs["logic-operator-rhel8"]["startingCSV"] == "logic-operator-rhel8.v1.35.0"
    assert subs["serverless-operator"]["startingCSV"] == "serverless-operator.v1.35.0"
    assert subs["rhdh"]["channel"] == "fast-1.4" and "startingCSV" not in subs["rhdh"]
    for i in rel.items:
        assert i.obj["metadata"]["annotations"][O.RELEASE_NAME_ANN] == "orchestrator-sample"


def test_notes_wait_list_exact_lines():
    spec = _defaults()
    spec["orchestrator"]["namespace"] = "wf"
    spec["rhdhOperator"]["subscription"]["targetNamespace"] = "my-rhdh"
    rel = O.render("r", "ns", spec, _inp(psql_statefulset_exists=True), "v1alpha2")
    waits = rel.notes.split("Run the following commands to wait until the services are ready:\n")[1]
    assert [w.strip() for w in waits.strip().splitlines()] == [
        "oc wait -n openshift-serverless deploy/knative-openshift --for=condition=Available --timeout=5m",
        "oc wait -n knative-eventing knativeeventing/knative-eventing --for=condition=Ready --timeout=5m",
        "oc wait -n knative-serving knativeserving/knative-serving --for=condition=Ready --timeout=5m",
        "oc wait -n openshift-serverless-logic deploy/logic-operator-rhel8-controller-manager --for=condition=Available --timeout=5m",
        "oc wait -n wf sonataflowplatform/sonataflow-platform --for=condition=Succeed --timeout=5m",
        "oc wait -n wf deploy/sonataflow-platform-data-index-service --for=condition=Available --timeout=5m",
        "oc wait -n wf deploy/sonataflow-platform-jobs-service --for=condition=Available --timeout=5m",
        "oc wait -n my-rhdh pod/backstage-psql-backstage-0 --for=condition=Ready --timeout=5m",
        "oc wait -n my-rhdh backstage backstage --for=condition=Deployed=True",
        "oc wait -n my-rhdh deploy/backstage-backstage --for=condition=Available --timeout=5m",
        "oc get networkpolicy -n wf",
    ]


def test_render_rhdh_disabled_uses_network_policy_namespace():
    spec = _defaults()
    spec["rhdhOperator"]["enabled"] = False
    with pytest.raises(O.RenderError, match="No namespace for existing RHDH instance defined"):
        O.render("r", "ns", spec, _inp(secret_data=None), "v1alpha2")
    spec["networkPolicy"]["rhdhNamespace"] = "existing-rhdh"
    rel = O.render("r", "ns", spec, _inp(secret_data=None), "v1alpha2")
    kinds = {i.res.kind for i in rel.items}
    assert "Backstage" not in kinds
    assert not any(i.res.kind == "Subscription" and i.obj["metadata"]["name"] == "rhdh"
                   for i in rel.items)
    np = next(i.obj for i in rel.items
              if i.obj["metadata"]["name"] == "allow-rhdh-to-sonataflow-and-workflows")
    assert np["spec"]["ingress"][0]["from"][0] == {"namespaceSelector": {"matchLabels": {
        "kubernetes.io/metadata.name": "existing-rhdh"}}}
    assert "deploy/backstage-backstage" not in rel.notes


def test_render_fails_without_secret_or_key():
    with pytest.raises(O.RenderError, match="backstage-backend-auth-secret not found"):
        O.render("r", "ns", _defaults(), _inp(secret_data=None), "v1alpha2")
    with pytest.raises(O.RenderError, match="has no key BACKEND_SECRET"):
        O.render("r", "ns", _defaults(), _inp(secret_data={"OTHER": "x"}), "v1alpha2")


def test_render_workflow_namespace_label_lookup():
    spec = _defaults()
    spec["orchestrator"]["namespace"] = ""
    with pytest.raises(O.RenderError, match="No namespace found with label"):
        O.render("r", "ns", spec, _inp(), "v1alpha2")
    with pytest.raises(O.RenderError, match="More than one namespace found with label"):
        O.render("r", "ns", spec, _inp(namespaces_with_label={O.WORKFLOW_NS_LABEL: ["a", "b"]}),
                 "v1alpha2")
    rel = O.render("r", "ns", spec, _inp(namespaces_with_label={O.WORKFLOW_NS_LABEL: ["wf1"]}),
                   "v1alpha2")
    assert "oc get networkpolicy -n wf1" in rel.notes


def test_render_skips_unmanaged_serverless_and_v1alpha1_shape():
    spec = _defaults("v1alpha1")
    rel = O.render("r", "ns", spec, _inp(unmanaged={("Subscription", "openshift-serverless",
                                                     "serverless-operator")}), "v1alpha1")
    names = {(i.res.kind, i.obj["metadata"]["name"]) for i in rel.items}
    assert ("Subscription", "serverless-operator") not in names
    assert "deploy/knative-openshift" not in rel.notes
    assert "knativeserving/knative-serving" in rel.notes
    # v1alpha1: no monitoring NetworkPolicy, OSL 1.34
    assert ("NetworkPolicy", "allow-monitoring-to-sonataflow-and-workflows") not in names
    osl = next(i.obj for i in rel.items if i.obj["metadata"]["name"] == "logic-operator-rhel8")
    assert osl["spec"]["startingCSV"] == "logic-operator-rhel8.v1.34.0"
    assert osl["spec"]["source"] == "redhat-operators"


def test_lifecycle_cronjobs_named_like_the_chart():
    # reference §4/§7.2: `<rel>-<kind>-reconcile`, last 52 characters
    assert O.cronjob_name("orchestrator-sample", "SonataFlowClusterPlatform") == \
        "hestrator-sample-sonataflowclusterplatform-reconcile"
    rel = O.render("orchestrator-sample", "openshift-operators", _defaults(), _inp(), "v1alpha2")
    crons = {i.obj["metadata"]["name"]: i.obj for i in rel.items if i.res.kind == "CronJob"}
    assert set(crons) == {O.cronjob_name("orchestrator-sample", k) for k in (
        "KnativeServing", "KnativeEventing", "SonataFlowClusterPlatform", "SonataFlowPlatform",
        "Backstage")}
    cj = crons["orchestrator-sample-knativeserving-reconcile"]
    assert cj["metadata"]["labels"][O.RECONCILES_LABEL] == "knativeservings.operator.knative.dev"
    assert cj["metadata"]["namespace"] == "openshift-operators"
    assert cj["spec"]["schedule"] == "* * * * *"


def test_plugin_dependencies_of_enabled_plugins_and_the_1_8_job():
    from tests.sim.rhdh_plugin_deps import dependency_refs, sonataflow_objects

    text = ("plugins:\n- {package: a, disabled: false, dependencies: [{ref: sonataflow}]}\n"
            "- {package: b, disabled: true, dependencies: [{ref: tekton}]}\n- {package: c}\n")
    assert dependency_refs(text) == ["sonataflow"]
    kinds17 = [o["kind"] for _, o in sonataflow_objects("hub", "rhdh", (1, 7))]
    assert kinds17 == ["NetworkPolicy"] * 4 + ["SonataFlowPlatform"]
    assert [o["kind"] for _, o in sonataflow_objects("hub", "rhdh", (1, 8))][-1] == "Job"


def test_plugin_dependencies_only_from_operator_1_7():
    from tests.sim import rhdh_plugin_deps as deps

    class Ctx:
        def __init__(self, csv):
            self.csv = csv

        def operator_deployment(self, package):
            return {"metadata": {"labels": {"sim.orch.dev/csv": self.csv}}}

    class Ctl:
        kube = None  # never touched: an operator before 1.7 has no plugin dependencies

        def __init__(self, csv):
            self.ctx = Ctx(csv)

    backstage = {"metadata": {"name": "hub", "namespace": "rhdh"},
                 "spec": {"application": {"dynamicPluginsConfigMapName": "plugins"}}}
    assert deps.operator_version(Ctl("rhdh-operator.v1.6.1")) == (1, 6)
    assert deps.sync(Ctl("rhdh-operator.v1.6.1"), backstage) is None
    assert deps.operator_version(Ctl("rhdh-operator.v1.8.1")) == (1, 8)


def test_the_router_stand_in_admits_a_route_once_with_its_own_or_a_generated_host():
    from tests.sim.router import admission

    bare = {"metadata": {"name": "backstage-backstage", "namespace": "rhdh-operator"}, "spec": {}}
    ingress = admission(bare, "apps.test")
    assert ingress[0]["host"] == "backstage-backstage-rhdh-operator.apps.test"
    assert ingress[0]["conditions"][0]["type"] == "Admitted" and ingress[0]["conditions"][0]["status"] == "True"
    assert admission({**bare, "status": {"ingress": ingress}}, "apps.test") is None  # already admitted
    named = {**bare, "spec": {"host": "rhdh.example.org"}, "status": {"ingress": ingress}}
    assert admission(named, "apps.test")[0]["host"] == "rhdh.example.org"  # the Route's own host wins
