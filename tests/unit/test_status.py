"""`orch status` checks are pure functions of a snapshot: tested here without a cluster."""

from __future__ import annotations

from orchestrator_cli.day2.ns_assess import NamespaceReport
from orchestrator_cli.day2.status import (
    Snapshot,
    build_checks,
    evaluate,
    healthy,
    started_before_data_index,
    summary,
    wait_list_items,
    zip_bomb,
)
from orchestrator_cli.generations.detect import generation_for, installation_from_cr
from orchestrator_cli.report.reporters import JsonReporter
from tests.unit.day2_fakes import cr


def inst(version="v1alpha1", **spec):
    return installation_from_cr(cr(version, spec=spec), generation_for(f"rhdh.redhat.com/{version}"))


def ready(item):
    kind = item.ref.kind
    md = {"name": item.ref.name, "namespace": item.ref.namespace, "generation": 1}
    if kind in ("Deployment",):
        return {"metadata": md, "spec": {"replicas": 1, "selector": {"matchLabels": {"app": item.ref.name}}},
                "status": {"observedGeneration": 1, "updatedReplicas": 1, "readyReplicas": 1, "conditions": [
                    {"type": "Available", "status": "True", "lastTransitionTime": "2026-01-01T00:01:00Z"}]}}
    if kind == "StatefulSet":
        return {"metadata": md, "spec": {"replicas": 1}, "status": {"observedGeneration": 1, "readyReplicas": 1}}
    if kind == "ClusterServiceVersion":
        return {"metadata": md, "status": {"phase": "Succeeded"}}
    ctype = item.ready.split(":", 1)[1]
    return {"metadata": md, "status": {"conditions": [{"type": ctype, "status": "True"}]}}


def workflow(name="greeting", namespace="team-a", running="True"):
    return {"apiVersion": "sonataflow.org/v1alpha08", "kind": "SonataFlow",
            "metadata": {"name": name, "namespace": namespace},
            "status": {"conditions": [{"type": "Built", "status": "True"},
                                      {"type": "Running", "status": running, "reason": "" if running == "True"
                                       else "WaitingForDeployment"}],
                       "address": {"url": f"http://{name}.{namespace}"}}}


def pod(name, started="2026-01-01T00:05:00Z", **status):
    return {"metadata": {"name": name}, "status": {"startTime": started, **status}}


def snapshot(i=None, workflows=(), namespaces=None, objects=None, pods=None, workflow_pods=None, rhdh_pods=()):
    i = i or inst()
    items = wait_list_items(i)
    objs = {it.ref: ready(it) for it in items}
    objs.update(objects or {})
    if namespaces is None:
        namespaces = [NamespaceReport(i.workflow_namespace, "platform", True, True, False),
                      NamespaceReport("team-a", "workflow", True, False, True, workflows=["greeting"])]
    route = {"spec": {"host": "backstage.apps.example", "tls": {}}}
    return Snapshot(inst=i, items=items, objects=objs, pods=pods or {}, namespaces=namespaces,
                    workflows=list(workflows), workflow_pods=workflow_pods or {}, rhdh_pods=list(rhdh_pods),
                    route=route, postgres={"deployed_by_orch": False, "service_found": True,
                                           "service": "pg", "namespace": "sonataflow-infra", "database": "sonataflow"})


def by_id(results):
    return {r.check.id: r for r in results}


def test_wait_list_comes_from_the_generation_table():
    ids = [it.id for it in wait_list_items(inst())]
    assert ids[:3] == ["operator", "operator-deployment", "orchestrator-cr"]
    assert {"knative-serving", "knative-eventing", "data-index", "jobs-service", "backstage"} <= set(ids)
    existing = [it.id for it in wait_list_items(inst(rhdhOperator={"enabled": False},
                                                     networkPolicy={"rhdhNamespace": "my-rhdh"}))]
    assert "backstage" not in existing and "backstage-cr" not in existing
    v14 = wait_list_items(inst("v1alpha2"))
    assert next(i for i in v14 if i.id == "orchestrator-cr").ref.api_version == "rhdh.redhat.com/v1alpha2"


def test_everything_ready_is_healthy_and_json_carries_url_postgres_namespaces_and_workflows():
    snap = snapshot(workflows=[workflow()])
    results = evaluate(snap)
    assert healthy(results), [(r.check.id, r.message) for r in results if r.status != "ok"]
    data = summary(snap, results)
    assert data["healthy"] and data["backstage_url"] == "https://backstage.apps.example"
    assert data["workflows"][0]["conditions"][1] == {"type": "Running", "status": "True", "reason": "", "message": None}
    assert [n["namespace"] for n in data["namespaces"]] == ["sonataflow-infra", "team-a"]
    rep = JsonReporter()
    evaluate(snap, rep)
    assert rep.as_dict()["success"]


def test_unready_data_index_names_the_component_and_explains_the_workflow_symptom():
    i = inst()
    di = next(it for it in wait_list_items(i) if it.id == "data-index")
    broken = ready(di)
    broken["status"]["conditions"] = [{"type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable"}]
    broken["status"]["readyReplicas"] = 0
    snap = snapshot(i, workflows=[workflow()], objects={di.ref: broken},
                    pods={di.ref: [pod("di-1", conditions=[{"type": "PodScheduled", "status": "False",
                                                            "reason": "Unschedulable",
                                                            "message": "0/3 nodes are available"}])]})
    results = by_id(evaluate(snap))
    assert results["data-index"].status == "failed"
    assert "Unschedulable" in results["data-index"].message
    wf = results["workflow/team-a/greeting"]
    assert wf.status == "failed" and "data-index is not ready" in wf.message
    assert "rollout restart deployment/greeting" in " ".join(wf.details)
    assert not healthy(list(results.values()))


def test_workflow_not_running_or_outside_a_workflow_namespace_fails():
    results = by_id(evaluate(snapshot(workflows=[workflow(running="False"), workflow("lost", "elsewhere")])))
    assert results["workflow/team-a/greeting"].status == "failed"
    assert "not running" in results["workflow/team-a/greeting"].message
    lost = results["workflow/elsewhere/lost"]
    assert lost.status == "failed" and "orch workflow add-namespace elsewhere" in " ".join(lost.details)


def test_workflow_started_before_data_index_is_a_warning_with_the_restart_hint():
    early = {("team-a", "greeting"): [pod("greeting-1", started="2026-01-01T00:00:30Z")]}
    snap = snapshot(workflows=[workflow()], workflow_pods=early)
    assert started_before_data_index(snap, workflow())
    results = by_id(evaluate(snap))
    listed = results["workflow-listed/team-a/greeting"]
    assert listed.status == "warning" and "rollout restart" in listed.check.hint
    assert healthy(list(results.values()))  # a warning does not make status fail
    late = snapshot(workflows=[workflow()], workflow_pods={("team-a", "greeting"): [pod("g-1")]})
    assert "workflow-listed/team-a/greeting" not in by_id(evaluate(late))


def test_zip_bomb_is_detected_from_the_init_container_termination_message():
    bad = pod("backstage-1", initContainerStatuses=[{
        "name": "install-dynamic-plugins", "state": {"waiting": {"reason": "CrashLoopBackOff"}},
        "lastState": {"terminated": {"exitCode": 1, "message": "======= Installing dynamic plugin @redhat/"
                                     "backstage-plugin-orchestrator\nInstallException: Zip bomb detected in "
                                     "backstage-plugin-orchestrator-1.3.0.tgz"}}}])
    assert "Zip bomb detected in backstage-plugin-orchestrator" in zip_bomb(bad)
    assert zip_bomb(pod("fine", initContainerStatuses=[{"name": "install-dynamic-plugins",
                                                       "state": {"terminated": {"exitCode": 0}}}])) is None
    results = by_id(evaluate(snapshot(rhdh_pods=[bad])))
    check = results["rhdh-dynamic-plugins"]
    assert check.status == "failed" and "MAX_ENTRY_SIZE" in check.check.hint


def test_incomplete_namespace_and_crashlooping_component_fail_with_their_reason():
    i = inst()
    be = next(it for it in wait_list_items(i) if it.id == "backstage")
    crashing = ready(be)
    crashing["status"]["conditions"][0]["status"] = "False"
    crash_pod = pod("bs-1", containerStatuses=[{"name": "backstage-backend", "restartCount": 3,
                                                "state": {"waiting": {"reason": "CrashLoopBackOff"}}}])
    ns_reports = [NamespaceReport("team-a", "workflow", True, False, True, missing=["Secret x (PostgreSQL credentials)"])]
    results = by_id(evaluate(snapshot(i, namespaces=ns_reports, objects={be.ref: crashing}, pods={be.ref: [crash_pod]})))
    assert "CrashLoopBackOff" in results["backstage"].message
    assert results["namespace/team-a"].status == "failed"
    assert results["namespace/team-a"].details == ["Secret x (PostgreSQL credentials)"]
    assert [c.id for c in build_checks(snapshot(i))][0] == "operator"


# -- scale: the requests do not grow with the workflow namespaces (issue 15) ----------------------------

class CountingKube:
    """A FakeKube that counts the adapter calls status and list-namespaces make."""

    def __init__(self, kube):
        self.kube, self.calls = kube, 0

    def __getattr__(self, name):
        attr = getattr(self.kube, name)
        if name in ("get", "list", "list_path", "events_for", "watch"):
            def counted(*a, **kw):
                self.calls += 1
                return attr(*a, **kw)
            return counted
        return attr


def _cluster_with(n: int):
    from orchestrator_cli.day2.ns_desired import desired_policies, desired_secret, desired_workflow_namespace
    from orchestrator_cli.generations.detect import detect
    from orchestrator_cli.kube.resources import Ref
    from tests.unit.day2_fakes import FakeKube, crd, ns
    from tests.unit.test_workflow_ns import secret

    kube = FakeKube([crd(), cr(), ns("sonataflow-infra"), ns("orchestrator"), ns("rhdh-operator"), secret()])
    installation = detect(kube)
    source = kube.get(Ref("v1", "Secret", "sonataflow-psql-postgresql", "sonataflow-infra"))
    for i in range(n):
        name = f"scale-{i:03d}"
        for obj in [desired_workflow_namespace(installation, name, None), *desired_policies(installation, name),
                    desired_secret(installation, source, name)]:
            kube.apply(obj)
        for w in ("wf-0", "wf-1"):
            kube.put({**workflow(w, name), "apiVersion": "sonataflow.org/v1alpha08", "kind": "SonataFlow"})
            kube.put({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": w, "namespace": name},
                      "spec": {"selector": {"matchLabels": {"app": w}}}})
            kube.put({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"{w}-abc", "namespace": name,
                                                                      "labels": {"app": w, "sonataflow.org/workflow-app": w}}})
        kube.put({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"other-{w}", "namespace": name,
                                                                  "labels": {"app": w}}})  # not a workflow's
    return kube, installation


def test_status_and_list_namespaces_requests_do_not_grow_with_the_namespaces():
    from orchestrator_cli.day2.ns_assess import assess_all
    from orchestrator_cli.day2.status import gather

    counts = {}
    for n in (3, 30):
        kube, installation = _cluster_with(n)
        status_kube, listing_kube = CountingKube(kube), CountingKube(kube)
        snapshot = gather(status_kube, installation, details=False)
        reports = assess_all(listing_kube, installation)
        assert len(snapshot.workflows) == 2 * n and len(reports) == n + 1
        assert all(r.complete for r in reports if r.role == "workflow"), [r.missing for r in reports]
        assert all(len(snapshot.workflow_pods[("scale-000", w)]) == 1 for w in ("wf-0", "wf-1"))
        counts[n] = (status_kube.calls, listing_kube.calls)
    assert counts[3] == counts[30], counts
