"""The simulated RHDH operator's plugin dependencies (RHDH 1.7/1.8, reference §D1.4), on the real control plane:
a Backstage CR whose dynamic plugins enable the orchestrator backend with `dependencies: [{ref: sonataflow}]`
gets the SonataFlow platform and NetworkPolicies in its namespace (and from 1.8 the database Job); the
Serverless Logic operator the user installed runs the platform on the Backstage database.
"""

from __future__ import annotations

import base64

import pytest
import yaml

from tests.e2e.test_simulators import ensure_ns, kube_of, subscribe, wait_available, wait_cond, wait_csv
from tests.helpers import eventually
from tests.sim import kube as K
from tests.sim.rhdh_plugin_deps import JOBS

pytestmark = [pytest.mark.cluster, pytest.mark.openshift]

NS = "rhdh"
PLUGINS = {"plugins": [
    {"package": "@redhat/backstage-plugin-orchestrator@1.8.12", "disabled": False},
    {"package": "@redhat/backstage-plugin-orchestrator-backend-dynamic@1.8.12", "disabled": False,
     "dependencies": [{"ref": "sonataflow"}]},
    {"package": "@redhat/backstage-plugin-other@1.0.0", "disabled": True, "dependencies": [{"ref": "tekton"}]},
]}


def backstage(kube, name, version, plugins):
    kube.apply(K.CONFIGMAPS, {"apiVersion": "v1", "kind": "ConfigMap",
                              "metadata": {"name": f"{name}-dynamic-plugins", "namespace": NS},
                              "data": {"dynamic-plugins.yaml": yaml.safe_dump(plugins)}}, "test")
    kube.apply(K.BACKSTAGES.with_version(version), {
        "apiVersion": f"rhdh.redhat.com/{version}", "kind": "Backstage", "metadata": {"name": name, "namespace": NS},
        "spec": {"application": {"dynamicPluginsConfigMapName": f"{name}-dynamic-plugins"}}}, "test")


def test_plugin_dependencies_of_the_1_8_operator(fresh_openshift_cluster):
    kube = kube_of(fresh_openshift_cluster)
    subscribe(kube, "logic-operator-rhel8", "openshift-serverless-logic", channel="alpha",
              starting_csv="logic-operator-rhel8.v1.36.0")
    subscribe(kube, "rhdh", "rhdh-operator", channel="fast-1.8")
    wait_csv(kube, "rhdh-operator.v1.8.1", "rhdh-operator")
    wait_available(kube, "rhdh-operator", "rhdh-operator")
    ensure_ns(kube, NS)
    backstage(kube, "hub", "v1alpha4", PLUGINS)

    sfp = eventually(lambda: kube.get(K.SONATAFLOWPLATFORMS, "sonataflow-platform", NS), 60,
                     what="SonataFlowPlatform from the plugin dependency")
    pg = sfp["spec"]["services"]["dataIndex"]["persistence"]["postgresql"]
    assert pg["secretRef"] == {"name": "backstage-psql-secret-hub", "userKey": "POSTGRES_USER",
                               "passwordKey": "POSTGRES_PASSWORD"}
    assert pg["serviceRef"] == {"name": "backstage-psql-hub", "namespace": NS,
                                "databaseName": "backstage_plugin_orchestrator"}
    assert sfp["metadata"]["ownerReferences"][0]["kind"] == "Backstage"
    policies = {p["metadata"]["name"] for p in kube.items(K.NETWORKPOLICIES, NS)}
    assert policies == {"allow-infra-ns-to-workflow-ns", "allow-external-communication", "allow-intra-network",
                        "allow-monitoring-to-sonataflow-and-workflows"}
    job = kube.get(JOBS, "create-sonataflow-database-hub", NS)
    assert job and job["spec"]["template"]["spec"]["containers"][0]["image"] == "quay.io/fedora/postgresql-15:latest"
    secret = kube.get(K.SECRETS, "backstage-psql-secret-hub", NS)
    assert base64.b64decode(secret["data"]["POSTGRES_USER"]) == b"postgres"
    # the Serverless Logic operator runs the platform on the Backstage database
    wait_cond(kube, K.SONATAFLOWPLATFORMS, "sonataflow-platform", NS, "Succeed", timeout=120)
    wait_cond(kube, K.BACKSTAGES.with_version("v1alpha4"), "hub", NS, "Deployed", timeout=90)
