"""Cleanup planning (ordering, ownership filtering), execution and stuck-finalizer diagnosis on a fake."""

from __future__ import annotations

import threading

import pytest

from orchestrator_cli.core.errors import Refused, Stuck
from orchestrator_cli.core.ownership import CREATED_NAMESPACE, WORKFLOW_NAMESPACE_MARK
from orchestrator_cli.day2.cleanup import execute, run_phase
from orchestrator_cli.day2.cleanup_diagnose import diagnose
from orchestrator_cli.day2.cleanup_plan import CleanupOptions, of_release, plan_cleanup, pvc_belongs_to
from orchestrator_cli.generations.detect import detect
from orchestrator_cli.kube.client import Ref
from tests.unit.day2_fakes import FakeKube, applied_by_orch, cr, crd, ns

ORCH = {"app.kubernetes.io/managed-by": "orch"}
CREATED = {CREATED_NAMESPACE: "true"}
RELEASE = {"meta.helm.sh/release-name": "orchestrator", "meta.helm.sh/release-namespace": "orchestrator"}
OLM = "operators.coreos.com/v1alpha1"


class Rec:
    def __init__(self):
        self.lines = []

    def step_started(self, i, t): self.lines.append(("step", i))
    def change(self, step, c, applied): self.lines.append((c.action, str(c.ref), applied))
    def step_finished(self, i, ok, msg=""): self.lines.append(("done", i, ok))
    def warn(self, t): self.lines.append(("warn", t))
    def info(self, t): self.lines.append(("info", t))


def obj(api, kind, name, namespace=None, labels=None, annotations=None, **extra):
    md = {"name": name, "labels": dict(labels or {}), "annotations": dict(annotations or {})}
    if namespace:
        md["namespace"] = namespace
    return {"apiVersion": api, "kind": kind, "metadata": md, **extra}


def cluster(**kw):
    """An installed-looking cluster: orch's objects, the operator's objects, and things orch must not touch."""
    objects = [
        crd(), cr(),
        ns("orchestrator", labels=ORCH, annotations=CREATED), ns("rhdh-operator", labels=ORCH, annotations=CREATED),
        ns("sonataflow-infra", labels=ORCH, annotations=CREATED),
        ns("openshift-operators"), ns("openshift-serverless", annotations=RELEASE),
        ns("pre-existing", labels={"team": "a"}, annotations={WORKFLOW_NAMESPACE_MARK: "true"},
           managed_fields=[applied_by_orch(["rhdh.redhat.com/workflow-namespace"], [WORKFLOW_NAMESPACE_MARK])]),
        ns("unrelated", labels={"app.kubernetes.io/managed-by": "someone-else", "rhdh.redhat.com/workflow-namespace": ""}),
        obj(OLM, "Subscription", "orchestrator-operator", "openshift-operators", ORCH,
            status={"installedCSV": "orchestrator-operator.v1.3.1"}),
        obj(OLM, "ClusterServiceVersion", "orchestrator-operator.v1.3.1", "openshift-operators",
            spec={"customresourcedefinitions": {"owned": [{"name": "orchestrators.rhdh.redhat.com",
                                                           "kind": "Orchestrator"}]},
                  "install": {"spec": {"deployments": [{"name": "orchestrator-operator"}]}}}),
        obj(OLM, "InstallPlan", "install-abc", "openshift-operators"),
        obj(OLM, "InstallPlan", "install-other", "openshift-operators"),
        obj(OLM, "Subscription", "serverless-operator", "openshift-serverless", annotations=RELEASE,
            status={"installedCSV": "serverless-operator.v1.36.0"}),
        obj(OLM, "ClusterServiceVersion", "serverless-operator.v1.36.0", "openshift-serverless",
            spec={"customresourcedefinitions": {"owned": [{"name": "knativeservings.operator.knative.dev"}]}}),
        obj(OLM, "Subscription", "someone-elses", "openshift-operators", status={"installedCSV": "other.v1"}),
        obj(OLM, "ClusterServiceVersion", "other.v1", "openshift-operators"),
        obj("sonataflow.org/v1alpha08", "SonataFlowPlatform", "sonataflow-platform", "sonataflow-infra",
            annotations=RELEASE),
        obj("sonataflow.org/v1alpha08", "SonataFlowPlatform", "theirs", "unrelated"),
        obj("v1", "Secret", "backstage-backend-auth-secret", "rhdh-operator", ORCH),
        obj("v1", "Secret", "not-ours", "rhdh-operator"),
        obj("apps/v1", "StatefulSet", "sonataflow-psql-postgresql", "sonataflow-infra", ORCH,
            spec={"volumeClaimTemplates": [{"metadata": {"name": "data"}}]}),
        obj("v1", "PersistentVolumeClaim", "data-sonataflow-psql-postgresql-0", "sonataflow-infra"),
        obj("rbac.authorization.k8s.io/v1", "ClusterRole", "orch-backstage-reader", labels=ORCH),
        obj("rbac.authorization.k8s.io/v1", "ClusterRole", "admin"),
        obj("networking.k8s.io/v1", "NetworkPolicy", "allow-workflows-from-pre-existing", "sonataflow-infra", ORCH),
        obj("apiextensions.k8s.io/v1", "CustomResourceDefinition", "knativeservings.operator.knative.dev",
            spec={"group": "operator.knative.dev", "names": {"kind": "KnativeServing", "plural": "knativeservings"},
                  "versions": [{"name": "v1beta1", "served": True, "storage": True}]}),
    ]
    kube = FakeKube(objects, **kw)
    kube.find(OLM, "InstallPlan", "install-abc", "openshift-operators")["metadata"]["ownerReferences"] = [
        {"kind": "Subscription", "name": "orchestrator-operator"}]
    kube.find(OLM, "InstallPlan", "install-other", "openshift-operators")["metadata"]["ownerReferences"] = [
        {"kind": "Subscription", "name": "someone-elses"}]
    return kube


def targets(plan, phase):
    return [str(t.ref) for p in plan.phases if p.id == phase for t in p.targets]


def everything(plan):
    return {str(t.ref) for p in plan.phases for t in p.targets}


def test_phases_are_ordered_and_only_marked_objects_are_targets():
    kube = cluster()
    plan = plan_cleanup(kube, detect(kube), CleanupOptions())
    assert [p.id for p in plan.phases] == ["workflows", "protect", "orchestrator-cr", "operands", "operators", "orch-objects",
                                          "namespaces", "crds"]
    assert targets(plan, "orchestrator-cr") == ["Orchestrator orchestrator in orchestrator"]
    assert targets(plan, "operands") == ["SonataFlowPlatform sonataflow-platform in sonataflow-infra"]
    ops = targets(plan, "operators")
    assert "Subscription orchestrator-operator in openshift-operators" in ops
    assert "ClusterServiceVersion orchestrator-operator.v1.3.1 in openshift-operators" in ops
    assert "InstallPlan install-abc in openshift-operators" in ops
    assert "ClusterServiceVersion serverless-operator.v1.36.0 in openshift-serverless" in ops
    assert "Namespace openshift-serverless" in targets(plan, "namespaces")
    never = {"Subscription someone-elses in openshift-operators", "ClusterServiceVersion other.v1 in openshift-operators",
             "SonataFlowPlatform theirs in unrelated", "Secret not-ours in rhdh-operator", "ClusterRole admin",
             "Namespace openshift-operators", "Namespace unrelated", "Namespace pre-existing",
             "InstallPlan install-other in openshift-operators"}
    deleted = {str(t.ref) for p in plan.phases for t in p.targets if t.release is None}
    assert not never & deleted
    assert set(targets(plan, "namespaces")) == {"Namespace orchestrator", "Namespace rhdh-operator",
                                                "Namespace openshift-serverless"}
    release = [t for p in plan.phases for t in p.targets if t.release is not None]
    assert [str(t.ref) for t in release] == ["Namespace pre-existing"]


def test_pvc_and_its_namespace_are_kept_without_delete_data():
    kube = cluster()
    plan = plan_cleanup(kube, detect(kube), CleanupOptions())
    kept = {str(t.ref): t.note for t in plan.kept}
    assert "PersistentVolumeClaim data-sonataflow-psql-postgresql-0 in sonataflow-infra" in kept
    assert "delete-data" in kept["Namespace sonataflow-infra"]
    assert "Namespace sonataflow-infra" not in everything(plan)
    data = plan_cleanup(kube, detect(kube), CleanupOptions(delete_data=True))
    assert "PersistentVolumeClaim data-sonataflow-psql-postgresql-0 in sonataflow-infra" in everything(data)
    assert "Namespace sonataflow-infra" in targets(data, "namespaces")


def test_a_pvc_in_a_namespace_orch_created_is_data_even_after_the_statefulset_is_gone():
    kube = cluster()
    kube.delete(Ref("apps/v1", "StatefulSet", "sonataflow-psql-postgresql", "sonataflow-infra"))
    plan = plan_cleanup(kube, detect(kube), CleanupOptions())
    assert "Namespace sonataflow-infra" not in everything(plan)


def test_pvc_name_matching():
    sts = {"metadata": {"name": "db"}, "spec": {"volumeClaimTemplates": [{"metadata": {"name": "data"}}]}}
    assert pvc_belongs_to("data-db-0", sts) and pvc_belongs_to("data-db-12", sts)
    assert not pvc_belongs_to("data-db2-0", sts) and not pvc_belongs_to("data-db-x", sts)


def test_refuses_while_workflows_exist_and_lists_them():
    kube = cluster()
    kube.put(obj("sonataflow.org/v1alpha08", "SonataFlow", "greeting", "team-a"))
    with pytest.raises(Refused) as err:
        plan_cleanup(kube, detect(kube), CleanupOptions())
    assert err.value.details == ["SonataFlow greeting in team-a"]
    plan = plan_cleanup(kube, detect(kube), CleanupOptions(include_workflows=True))
    assert targets(plan, "workflows") == ["SonataFlow greeting in team-a"]


def test_a_cr_orch_did_not_create_is_kept_with_its_operands():
    kube = cluster()
    kube.put(cr(managed=False))
    plan = plan_cleanup(kube, detect(kube), CleanupOptions())
    assert not targets(plan, "orchestrator-cr") and not targets(plan, "operands")
    assert "Namespace openshift-serverless" not in everything(plan)
    assert any("not created by orch" in t.note for t in plan.kept)
    assert not of_release({"metadata": {"annotations": RELEASE}}, None)


def test_crds_only_with_purge_knative_only_with_purge_knative_and_never_with_foreign_instances():
    kube = cluster()
    inst = detect(kube)
    assert not targets(plan_cleanup(kube, inst, CleanupOptions()), "crds")
    purge = plan_cleanup(kube, inst, CleanupOptions(purge=True))
    assert targets(purge, "crds") == ["CustomResourceDefinition orchestrators.rhdh.redhat.com"]
    assert any("purge-knative" in t.note for t in purge.kept)
    assert "CustomResourceDefinition knativeservings.operator.knative.dev" in \
        targets(plan_cleanup(kube, inst, CleanupOptions(purge=True, purge_knative=True)), "crds")
    kube.put(cr(managed=False, name="another", namespace="team-b"))  # someone else's instance
    kube.put(cr())
    plan = plan_cleanup(kube, detect(kube), CleanupOptions(purge=True))
    assert not targets(plan, "crds")
    assert any("team-b/another" in t.note for t in plan.kept)


def test_execute_deletes_in_order_and_a_second_plan_is_empty():
    kube = cluster()
    kube.find("rhdh.redhat.com/v1alpha1", "Orchestrator", "orchestrator", "orchestrator")["metadata"]["finalizers"] = []
    plan = plan_cleanup(kube, detect(kube), CleanupOptions(delete_data=True, timeout=1))
    rec = Rec()
    execute(kube, plan, rec, CleanupOptions(delete_data=True, timeout=1))
    order = [line[1] for line in rec.lines if line[0] == "step"]
    assert order == ["orchestrator-cr", "operands", "operators", "orch-objects", "namespaces"]
    assert kube.find("v1", "Namespace", "unrelated") and kube.find("v1", "Secret", "not-ours", "rhdh-operator")
    pre = kube.find("v1", "Namespace", "pre-existing")["metadata"]
    assert pre["labels"] == {"kubernetes.io/metadata.name": "pre-existing", "team": "a"} and not pre["annotations"]
    again = plan_cleanup(kube, None, CleanupOptions(delete_data=True))
    assert again.empty, everything(again)


def _stuck_cluster():
    kube = cluster()
    kube.put({"apiVersion": "apps/v1", "kind": "Deployment",
              "metadata": {"name": "orchestrator-operator", "namespace": "openshift-operators"},
              "spec": {"replicas": 1}, "status": {"conditions": [
                  {"type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable"}]}})
    return kube


def test_stuck_cr_is_reported_with_its_finalizer_and_operator_state_within_the_timeout():
    import time

    kube = _stuck_cluster()  # nobody removes the CR's finalizer
    plan = plan_cleanup(kube, detect(kube), CleanupOptions(timeout=0.3))
    start = time.monotonic()
    with pytest.raises(Stuck) as err:
        execute(kube, plan, Rec(), CleanupOptions(timeout=0.3))
    assert time.monotonic() - start < 5
    text = "\n".join(err.value.details)
    assert "helm.sdk.operatorframework.io/uninstall-release" in text
    assert "Deployment orchestrator-operator in openshift-operators is not Available" in text
    assert "--force-finalizers" in text
    # nothing after the stuck phase ran
    assert kube.find(OLM, "Subscription", "orchestrator-operator", "openshift-operators") is not None
    assert not [w for w in kube.writes if w[0] == "patch"]  # finalizers untouched without the flag


def test_force_finalizers_removes_them_and_continues():
    kube = _stuck_cluster()
    opts = CleanupOptions(timeout=0.3, force_finalizers=True)
    plan = plan_cleanup(kube, detect(kube), opts)
    rec = Rec()
    run_phase(kube, next(p for p in plan.phases if p.id == "orchestrator-cr"), rec, opts, threading.Event())
    assert kube.find("rhdh.redhat.com/v1alpha1", "Orchestrator", "orchestrator", "orchestrator") is None
    assert any(line[0] == "warn" and "removed finalizers" in line[1] for line in rec.lines)


def test_a_phase_waits_by_watching_and_ends_when_the_finalizer_is_processed():
    """The operator (a thread here) processes the CR's finalizer after a while: cleanup sees the DELETED event of
    its watch, with one list and no polling gets while it waits (it used to poll every 2 s)."""
    kube = _stuck_cluster()
    plan = plan_cleanup(kube, detect(kube), CleanupOptions(timeout=30))
    phase = next(p for p in plan.phases if p.id == "orchestrator-cr")
    calls = []
    get, lst = kube.get, kube.list
    kube.get = lambda ref, budget=None: calls.append(("get", ref.kind)) or get(ref)
    kube.list = lambda *a, **kw: calls.append(("list", a[1])) or lst(*a, **kw)
    cr_ref = phase.targets[0].ref
    operator = threading.Timer(1.5, lambda: kube.merge_patch(cr_ref, {"metadata": {"finalizers": None}}))
    operator.start()
    try:
        run_phase(kube, phase, Rec(), CleanupOptions(timeout=30), threading.Event())
    finally:
        operator.cancel()
    assert kube.find(*[cr_ref.api_version, cr_ref.kind, cr_ref.name, cr_ref.namespace]) is None
    assert calls.count(("list", "Orchestrator")) == 1  # listed once, then watched
    assert calls.count(("get", "Orchestrator")) == 1  # before deleting; none while waiting


def test_diagnose_names_the_objects_holding_a_namespace():
    kube = cluster()
    wf = obj("sonataflow.org/v1alpha08", "SonataFlow", "greeting", "wf-ns")
    wf["metadata"]["finalizers"] = ["sonataflow.org/trigger-protection"]
    kube.put(wf)
    namespace = ns("wf-ns")
    namespace["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    namespace["status"] = {"phase": "Terminating", "conditions": [
        {"type": "NamespaceFinalizersRemaining", "status": "True", "reason": "SomeFinalizersRemain",
         "message": "Some content in the namespace has finalizers remaining: sonataflow.org/trigger-protection"}]}
    lines = diagnose(kube, Ref("v1", "Namespace", "wf-ns"), namespace)
    text = "\n".join(lines)
    assert "SomeFinalizersRemain" in text
    assert "held by SonataFlow greeting in wf-ns: finalizers sonataflow.org/trigger-protection" in text
    assert "no installed operator (CSV) owns SonataFlow" in text


def test_an_adopted_secret_is_released_not_deleted():
    from orchestrator_cli.core.ownership import ADOPTED

    kube = cluster()
    kube.put(obj("v1", "Secret", "backstage-backend-auth-secret", "team-rhdh", ORCH, {ADOPTED: "true"}))
    plan = plan_cleanup(kube, detect(kube), CleanupOptions())
    released = [t for p in plan.phases for t in p.targets
                if t.ref.name == "backstage-backend-auth-secret" and t.ref.namespace == "team-rhdh"]
    assert len(released) == 1 and released[0].release == {
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "backstage-backend-auth-secret", "namespace": "team-rhdh"}}
    phase = next(p for p in plan.phases if p.id == "orch-objects")
    run_phase(kube, phase, Rec(), CleanupOptions(timeout=1), threading.Event())
    assert kube.find("v1", "Secret", "backstage-backend-auth-secret", "team-rhdh") is not None
    assert kube.find("v1", "Secret", "backstage-backend-auth-secret", "rhdh-operator") is None


def test_an_adopted_subscription_is_released_not_deleted():
    from orchestrator_cli.core.ownership import ADOPTED

    kube = cluster()
    kube.put(obj(OLM, "Subscription", "orchestrator-operator", "openshift-operators", ORCH, {ADOPTED: "true"},
                 status={"installedCSV": "orchestrator-operator.v1.3.1"}))
    plan = plan_cleanup(kube, detect(kube), CleanupOptions())
    subs = [t for t in next(p for p in plan.phases if p.id == "operators").targets
            if t.ref.kind in ("Subscription", "ClusterServiceVersion") and "orchestrator-operator" in t.ref.name]
    assert [(t.ref.kind, t.release is not None) for t in subs] == [("Subscription", True)]


def test_stuck_finalizer_diagnosis_ignores_olms_copied_csvs():
    """With an AllNamespaces OperatorGroup real OLM copies the CSV into every namespace; the copy has
    no Deployment, so naming it as "the operator" would say the operator's Deployment is missing."""
    from orchestrator_cli.day2.cleanup_diagnose import operator_for

    def csv(ns, labels=None):
        return {"apiVersion": "operators.coreos.com/v1alpha1", "kind": "ClusterServiceVersion",
                "metadata": {"name": "logic-operator-rhel8.v1.36.0", "namespace": ns, "labels": labels or {}},
                "spec": {"customresourcedefinitions": {"owned": [{"name": "sonataflows.sonataflow.org",
                                                                  "kind": "SonataFlow", "version": "v1alpha08"}]},
                         "install": {"spec": {"deployments": [{"name": "logic-operator-rhel8-controller-manager"}]}}},
                "status": {"phase": "Succeeded"}}

    copy = csv("aaa-first-namespace", {"olm.copiedFrom": "openshift-serverless-logic"})
    original = csv("openshift-serverless-logic")
    kube = FakeKube([])
    wf = {"apiVersion": "sonataflow.org/v1alpha08", "kind": "SonataFlow", "metadata": {"name": "w", "namespace": "x"}}
    line = operator_for(kube, wf, [copy, original])
    assert "in openshift-serverless-logic does not exist" in line
    assert "aaa-first-namespace" not in line
