"""The OpenShift flavour: the platform APIs orch reads are served with their objects."""

from __future__ import annotations

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

pytestmark = pytest.mark.openshift


def test_openshift_platform_objects(openshift_cluster):
    api = openshift_cluster.api_client()
    custom = client.CustomObjectsApi(api)
    version = custom.get_cluster_custom_object("config.openshift.io", "v1", "clusterversions", "version")
    assert version["status"]["desired"]["version"] == "4.14.12"
    ingress = custom.get_cluster_custom_object("config.openshift.io", "v1", "ingresses", "cluster")
    assert ingress["spec"]["domain"] == "apps.orch.local"
    og = custom.get_namespaced_custom_object("operators.coreos.com", "v1", "openshift-operators",
                                             "operatorgroups", "global-operators")
    assert og["spec"] == {"upgradeStrategy": "Default"}  # OLM's CRD default; no targetNamespaces: all namespaces
    assert og["status"]["namespaces"] == [""]  # real OLM's verdict: AllNamespaces
    catalog = custom.get_namespaced_custom_object("operators.coreos.com", "v1alpha1", "openshift-marketplace",
                                                  "catalogsources", "redhat-operators")
    assert catalog["spec"]["sourceType"] == "grpc"
    assert catalog["spec"]["address"].startswith("127.0.0.1:") and "image" not in catalog["spec"]
    assert catalog["status"]["connectionState"]["lastObservedState"] == "READY"  # real opm answers


def test_cluster_version_is_settable(fresh_openshift_cluster):
    fresh_openshift_cluster.set_openshift_version("4.12.3")
    custom = client.CustomObjectsApi(fresh_openshift_cluster.api_client())
    version = custom.get_cluster_custom_object("config.openshift.io", "v1", "clusterversions", "version")
    assert version["status"]["desired"]["version"] == "4.12.3"


def test_subscription_schema_rejects_missing_source(openshift_cluster):
    custom = client.CustomObjectsApi(openshift_cluster.api_client())
    bad = {"apiVersion": "operators.coreos.com/v1alpha1", "kind": "Subscription",
           "metadata": {"name": "broken"}, "spec": {"name": "some-operator"}}
    with pytest.raises(ApiException) as rejected:
        custom.create_namespaced_custom_object("operators.coreos.com", "v1alpha1", "openshift-operators",
                                               "subscriptions", bad)
    assert rejected.value.status == 422
