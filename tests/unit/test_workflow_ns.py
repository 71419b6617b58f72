"""Planning logic of `orch workflow add/remove/list-namespaces` against an in-memory fake."""

from __future__ import annotations

import pytest

from orchestrator_cli.core.errors import InputError, NotInstalled, Refused
from orchestrator_cli.core.ownership import CREATED_NAMESPACE, WORKFLOW_NAMESPACE_MARK
from orchestrator_cli.day2.ns_assess import admits, assess_all
from orchestrator_cli.day2.ns_desired import (
    IN_NS_POLICY,
    INTRA_POLICY,
    MONITORING_NAMESPACE,
    desired_policies,
    platform_policy_name,
    workflow_patch,
)
from orchestrator_cli.day2.ns_plan import apply_plan, orch_owned_metadata, plan_add, plan_remove
from orchestrator_cli.generations.detect import detect, generation_for, installation_from_cr, pick_cr
from orchestrator_cli.kube.client import Ref
from tests.unit.day2_fakes import FakeKube, applied_by_orch, cr, crd, ns


class Rec:
    def __init__(self):
        self.events = []

    def change(self, step, change, applied):
        self.events.append((change.action, str(change.ref), applied))


def secret(namespace="sonataflow-infra", password="cGFzcw==", **meta):
    return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": "sonataflow-psql-postgresql", "namespace": namespace, "uid": "u-1",
                         "resourceVersion": "42", "creationTimestamp": "2026-01-01T00:00:00Z",
                         "ownerReferences": [{"kind": "X", "name": "y"}], **meta},
            "data": {"postgres-username": "cG9zdGdyZXM=", "postgres-password": password}}


def workflow(name, namespace, ref=None):
    pg = {"secretRef": {"name": "sonataflow-psql-postgresql"},
          "serviceRef": ref if ref is not None else {"name": "sonataflow-psql-postgresql", "port": 5432}}
    return {"apiVersion": "sonataflow.org/v1alpha08", "kind": "SonataFlow",
            "metadata": {"name": name, "namespace": namespace}, "spec": {"persistence": {"postgresql": pg}}}


def installed(version="v1alpha1", **spec):
    return FakeKube([crd(version), cr(version, spec=spec), ns("sonataflow-infra"), ns("orchestrator"),
                     ns("rhdh-operator"), secret()])


def test_detect_maps_crd_version_to_generation_and_reads_namespaces():
    kube = installed("v1alpha2", orchestrator={"namespace": "wf-platform"},
                     rhdhOperator={"subscription": {"targetNamespace": "my-rhdh"}},
                     postgres={"serviceNamespace": "db", "serviceName": "pg"}, argocd={"enabled": True})
    inst = detect(kube)
    assert inst.version == "1.4" and inst.workflow_namespace == "wf-platform" and inst.rhdh_namespace == "my-rhdh"
    assert (inst.postgres_namespace, inst.postgres_service) == ("db", "pg")
    assert inst.gitops and inst.argocd_namespace == "orchestrator-gitops"
    assert detect(installed("v1alpha1")).version == "1.3"
    assert generation_for("rhdh.redhat.com/v1alpha9") is None


def test_detect_without_cr_or_with_unknown_version():
    with pytest.raises(NotInstalled, match="orch install"):
        detect(FakeKube([crd()]))
    with pytest.raises(NotInstalled, match="orch knows .*v1alpha3"):
        detect(FakeKube([crd("v1alpha9")]))


def test_detect_tells_1_5_from_1_6_and_reads_the_v1alpha3_spec():
    spec = {"rhdh": {"name": "hub", "namespace": "my-rhdh", "installOperator": True},
            "platform": {"namespace": "wf-platform"},
            "postgres": {"name": "pg", "namespace": "db", "database": "sf",
                         "authSecret": {"name": "pg-secret", "userKey": "u", "passwordKey": "p"}}}
    recorded = cr("v1alpha3", spec=spec)
    recorded["metadata"]["annotations"] = {"orch.rhdhorchestrator.io/version": "1.5",
                                           "orch.rhdhorchestrator.io/preexisting-namespaces": "wf-platform"}
    inst = detect(FakeKube([crd("v1alpha3"), recorded]))
    assert inst.version == "1.5" and inst.workflow_namespace == "wf-platform" and inst.rhdh_namespace == "my-rhdh"
    assert (inst.postgres_service, inst.postgres_namespace, inst.postgres_secret) == ("pg", "db", "pg-secret")
    assert inst.backstage_deployment == "backstage-hub" and not inst.existing_rhdh
    assert inst.preexisting_namespaces == ("wf-platform",)
    sub = {"apiVersion": "operators.coreos.com/v1alpha1", "kind": "Subscription",
           "metadata": {"name": "orchestrator-operator", "namespace": "openshift-operators"},
           "spec": {}, "status": {"installedCSV": "orchestrator-operator.v1.6.1"}}
    # not recorded on the CR (not orch's): the installed CSV decides; rhdh.installOperator defaults to false
    assert detect(FakeKube([crd("v1alpha3"), cr("v1alpha3", spec={**spec, "rhdh": {"name": "x", "namespace": "y"}}),
                            sub])).version == "1.6"
    assert detect(FakeKube([crd("v1alpha3"), cr("v1alpha3", spec=spec)])).existing_rhdh is False


def test_pick_cr_prefers_the_one_orch_manages_and_refuses_ambiguity():
    ours, theirs = cr(managed=True, name="a"), cr(managed=False, name="b")
    assert pick_cr([theirs, ours])["metadata"]["name"] == "a"
    with pytest.raises(NotInstalled, match="several"):
        pick_cr([cr(managed=False, name="x"), cr(managed=False, name="y")])


def test_policies_admit_every_source_and_the_platform_side_is_separate():
    inst = installation_from_cr(cr("v1alpha2"), generation_for("rhdh.redhat.com/v1alpha2"))
    in_ns, intra, platform = desired_policies(inst, "team-a")
    sources = [p["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"] for p in in_ns["spec"]["ingress"][0]["from"]]
    assert sources == ["rhdh-operator", "sonataflow-infra", "knative-eventing", "knative-serving", MONITORING_NAMESPACE]
    assert (in_ns["metadata"]["name"], intra["metadata"]["name"]) == (IN_NS_POLICY, INTRA_POLICY)
    assert platform["metadata"]["namespace"] == "sonataflow-infra"
    assert platform["metadata"]["name"] == platform_policy_name("team-a") != "allow-rhdh-to-sonataflow-and-workflows"
    assert admits([platform], "sonataflow-infra", "team-a", {})
    assert not admits([platform], "sonataflow-infra", "team-b", {})
    # 1.3 has no monitoring policy, so no monitoring source
    inst13 = installation_from_cr(cr(), generation_for("rhdh.redhat.com/v1alpha1"))
    assert MONITORING_NAMESPACE not in str(desired_policies(inst13, "x")[0])


def test_workflow_patch_only_where_the_namespace_is_missing():
    inst = detect(installed())
    patch, why = workflow_patch(workflow("a", "team-a"), inst)
    assert patch == {"spec": {"persistence": {"postgresql": {"serviceRef": {"namespace": "sonataflow-infra"}}}}}
    assert workflow_patch(workflow("b", "t", {"name": "sonataflow-psql-postgresql", "namespace": "sonataflow-infra"}),
                          inst)[0] is None
    assert workflow_patch(workflow("c", "t", {"name": "other-db"}), inst)[0] is None
    assert workflow_patch(workflow("d", "t", {"name": "sonataflow-psql-postgresql", "namespace": "elsewhere"}),
                          inst)[0] is None
    assert workflow_patch({"metadata": {"name": "e"}, "spec": {}}, inst)[0] is None


def test_add_creates_everything_then_a_second_plan_changes_nothing():
    kube = installed()
    kube.put(ns("team-a", labels={"team": "a"}))
    kube.put(workflow("greeting", "team-a"))
    inst = detect(kube)
    plan = plan_add(kube, inst, "team-a")
    actions = {(c.action, c.ref.kind, c.ref.name) for c in plan.changes}
    assert ("update", "Namespace", "team-a") in actions
    assert {("create", "NetworkPolicy", n) for n in (IN_NS_POLICY, INTRA_POLICY, platform_policy_name("team-a"))} <= actions
    assert ("create", "Secret", "sonataflow-psql-postgresql") in actions
    assert ("update", "SonataFlow", "greeting") in actions
    apply_plan(kube, plan, Rec(), "add")

    copy = kube.find("v1", "Secret", "sonataflow-psql-postgresql", "team-a")
    assert copy["data"] == secret()["data"]
    assert not {"uid", "resourceVersion", "creationTimestamp", "ownerReferences"} & set(copy["metadata"])
    team_a = kube.find("v1", "Namespace", "team-a")
    assert team_a["metadata"]["labels"]["team"] == "a"
    assert CREATED_NAMESPACE not in (team_a["metadata"].get("annotations") or {})
    wf = kube.find("sonataflow.org/v1alpha08", "SonataFlow", "greeting", "team-a")
    assert wf["spec"]["persistence"]["postgresql"]["serviceRef"]["namespace"] == "sonataflow-infra"

    again = plan_add(kube, inst, "team-a")
    assert not again.writes, [(c.action, str(c.ref)) for c in again.changes if c.action != "unchanged"]


def test_add_new_namespace_is_marked_created_and_foreign_objects_are_left_alone():
    kube = installed()
    kube.put({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
              "metadata": {"name": platform_policy_name("wf-new"), "namespace": "sonataflow-infra"}, "spec": {}})
    plan = plan_add(kube, detect(kube), "wf-new")
    created = next(c for c in plan.changes if c.ref.kind == "Namespace")
    assert created.action == "create"
    assert created.desired["metadata"]["annotations"][CREATED_NAMESPACE] == "true"
    assert created.desired["metadata"]["annotations"][WORKFLOW_NAMESPACE_MARK] == "true"
    keep = [c for c in plan.changes if c.action == "keep"]
    assert [c.ref.name for c in keep] == [platform_policy_name("wf-new")]


@pytest.mark.parametrize("name", ["sonataflow-infra", "orchestrator", "rhdh-operator", "kube-system", "Bad_Name"])
def test_add_rejects_installation_and_reserved_namespaces(name):
    kube = installed()
    with pytest.raises(InputError):
        plan_add(kube, detect(kube), name)


def test_orch_owned_metadata_leaves_fields_another_manager_also_owns():
    obj = ns("team-a", managed_fields=[
        applied_by_orch(labels=["rhdh.redhat.com/workflow-namespace", "shared"], annotations=[WORKFLOW_NAMESPACE_MARK]),
        {"manager": "kubectl-label", "operation": "Update",
         "fieldsV1": {"f:metadata": {"f:labels": {"f:shared": {}, "f:team": {}}}}},
    ])
    labels, annotations = orch_owned_metadata(obj)
    assert labels == {"rhdh.redhat.com/workflow-namespace"} and annotations == {WORKFLOW_NAMESPACE_MARK}
    assert orch_owned_metadata(ns("x", managed_fields=[{"manager": "orch", "operation": "Update",
                                                        "fieldsV1": {"f:metadata": {"f:labels": {"f:a": {}}}}}])) \
        == (set(), set())


def _enabled(kube, name="team-a", created=False):
    inst = detect(kube)
    ann = {WORKFLOW_NAMESPACE_MARK: "true", **({CREATED_NAMESPACE: "true"} if created else {})}
    kube.put(ns(name, labels={"rhdh.redhat.com/workflow-namespace": "", "team": "a"}, annotations=ann,
                managed_fields=[applied_by_orch(["rhdh.redhat.com/workflow-namespace"], list(ann))]))
    apply_plan(kube, plan_add(kube, inst, name), Rec(), "add")
    return inst


def test_remove_undoes_only_what_add_did_on_a_pre_existing_namespace():
    kube = installed()
    inst = _enabled(kube)
    kube.put({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "users-own", "namespace": "team-a"}})
    plan = plan_remove(kube, inst, "team-a")
    deleted = {(c.ref.kind, c.ref.name, c.ref.namespace) for c in plan.changes if c.action == "delete"}
    assert deleted == {("NetworkPolicy", IN_NS_POLICY, "team-a"), ("NetworkPolicy", INTRA_POLICY, "team-a"),
                       ("NetworkPolicy", platform_policy_name("team-a"), "sonataflow-infra"),
                       ("Secret", "sonataflow-psql-postgresql", "team-a")}
    apply_plan(kube, plan, Rec(), "remove")
    team_a = kube.find("v1", "Namespace", "team-a")
    assert team_a["metadata"]["labels"] == {"kubernetes.io/metadata.name": "team-a", "team": "a"}
    assert kube.find("v1", "Secret", "users-own", "team-a") is not None
    assert not plan_remove(kube, inst, "team-a").writes


def test_remove_deletes_a_namespace_orch_created_but_refuses_while_workflows_live_there():
    kube = installed()
    inst = _enabled(kube, "wf-new", created=True)
    plan = plan_remove(kube, inst, "wf-new")
    assert [(c.action, c.ref.kind) for c in plan.changes] == [("delete", "NetworkPolicy"), ("delete", "Namespace")]
    kube.put(workflow("greeting", "wf-new"))
    with pytest.raises(Refused, match="greeting"):
        plan_remove(kube, inst, "wf-new")


def test_completeness_names_each_missing_piece():
    kube = installed()
    inst = _enabled(kube)
    kube.put(workflow("late", "team-a"))  # deployed after add-namespace: serviceRef not patched yet
    kube.put(secret("team-a", password="c3RhbGU=", labels={"app.kubernetes.io/managed-by": "orch"}))
    kube.delete(Ref("networking.k8s.io/v1", "NetworkPolicy", platform_policy_name("team-a"), "sonataflow-infra"))
    kube.put(ns("not-enabled", labels={"rhdh.redhat.com/workflow-namespace": ""}))
    reports = {r.name: r for r in assess_all(kube, inst)}
    missing = " | ".join(reports["team-a"].missing)
    assert "ingress from team-a into sonataflow-infra" in missing
    assert "stale" in missing and "SonataFlow late" in missing
    assert not reports["team-a"].complete
    bare = " | ".join(reports["not-enabled"].missing)
    assert "ingress from rhdh-operator" in bare and "intra-namespace" in bare and "Secret" in bare
    platform = reports["sonataflow-infra"]
    assert platform.role == "platform" and "allow-intra-namespace" in " ".join(platform.missing)


# -- several namespaces in one call (issue 15) ------------------------------------------------------

class CountingLock:
    taken = 0

    def __init__(self, kube, namespace, on_wait=None):
        pass

    def acquire(self):
        CountingLock.taken += 1

    def release(self):
        pass


def _run_command(monkeypatch, kube, command, **extra):
    from orchestrator_cli.day2 import namespaces as cmd
    from orchestrator_cli.kube import lock
    from orchestrator_cli.report.reporters import BaseReporter

    monkeypatch.setattr(cmd, "_connect", lambda opts: kube)
    monkeypatch.setattr(lock, "InstallLock", CountingLock)
    CountingLock.taken = 0
    reporter = BaseReporter()
    error = None
    try:
        getattr(cmd, command)(cmd.Day2Options(dry_run=extra.pop("dry_run", False), extra=extra), reporter)
    except Exception as exc:  # noqa: BLE001 - the test looks at what the CLI would map to an exit code
        error = exc
    return reporter, error


def terminating(name):
    obj = ns(name)
    obj["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    return obj


def test_add_many_namespaces_one_lock_one_report_and_a_failure_per_namespace(monkeypatch):
    from orchestrator_cli.core.errors import PartlyFailed

    kube = installed()
    kube.put(terminating("doomed"))
    reporter, error = _run_command(monkeypatch, kube, "add_namespace", namespaces=["team-a", "doomed", "team-b"])
    assert isinstance(error, PartlyFailed) and error.exit_code == 21
    assert "1 of 3" in error.message and error.details == [
        "doomed: namespace doomed is being deleted (Terminating); wait until it is gone"]
    assert CountingLock.taken == 1
    summary = reporter.summary_data
    assert [(n["namespace"], n["ok"], n["changed"]) for n in summary["namespaces"]] == \
        [("team-a", True, True), ("doomed", False, False), ("team-b", True, True)]
    assert summary["failed"] == ["doomed"] and summary["namespaces"][1]["error"]["exit_code"] == 5
    assert [s["id"] for s in reporter.steps] == ["add-namespace/team-a", "add-namespace/doomed", "add-namespace/team-b"]
    for name in ("team-a", "team-b"):  # the others were done all the same
        assert kube.find("v1", "Secret", "sonataflow-psql-postgresql", name) is not None
    assert kube.find("v1", "Secret", "sonataflow-psql-postgresql", "doomed") is None

    again, error = _run_command(monkeypatch, kube, "add_namespace", namespaces=["team-a", "team-b", "team-a"])
    assert error is None and not again.summary_data["changed"] and CountingLock.taken == 0  # nothing to write
    assert [n["namespace"] for n in again.summary_data["namespaces"]] == ["team-a", "team-b"]  # each once


def test_one_failing_namespace_fails_as_before_and_bad_input_writes_nothing(monkeypatch):
    from orchestrator_cli.core.errors import InputError, StepFailed

    kube = installed()
    kube.put(terminating("doomed"))
    reporter, error = _run_command(monkeypatch, kube, "add_namespace", namespaces=["doomed"])
    assert type(error) is StepFailed and reporter.summary_data is None
    _, error = _run_command(monkeypatch, kube, "add_namespace", namespaces=["team-a", "Bad_NS"])
    assert isinstance(error, InputError) and kube.writes == []
    _, error = _run_command(monkeypatch, kube, "add_namespace", namespaces=["team-a", "sonataflow-infra"])
    assert isinstance(error, InputError) and kube.writes == []


def test_remove_many_namespaces_dry_run_then_for_real(monkeypatch):
    kube = installed()
    kube.put(ns(detect(kube).generation.operator.namespace))  # where the install lock lives
    _, error = _run_command(monkeypatch, kube, "add_namespace", namespaces=["team-a", "team-b"])
    assert error is None
    plan, error = _run_command(monkeypatch, kube, "remove_namespace", namespaces=["team-a", "team-b"], dry_run=True,
                               yes=True)
    assert error is None and plan.summary_data["dry_run"] and plan.summary_data["changed"]
    assert kube.find("v1", "Namespace", "team-a") is not None
    done, error = _run_command(monkeypatch, kube, "remove_namespace", namespaces=["team-a", "team-b"], yes=True)
    assert error is None and CountingLock.taken == 1
    assert [n["namespace"] for n in done.summary_data["namespaces"] if n["changed"]] == ["team-a", "team-b"]
    assert kube.find("v1", "Namespace", "team-a") is None and kube.find("v1", "Namespace", "team-b") is None


def test_admission_candidates_give_the_same_answer_as_every_policy():
    from orchestrator_cli.day2.ns_assess import admission_candidates

    inst = detect(installed())
    pinned = [desired_policies(inst, f"team-{i}")[2] for i in range(5)]  # allow-workflows-from-team-i
    open_rule = {"metadata": {"name": "open"}, "spec": {"podSelector": {}, "ingress": [{}]}}
    by_label = {"metadata": {"name": "by-label"}, "spec": {"podSelector": {}, "ingress": [
        {"from": [{"namespaceSelector": {"matchLabels": {"team": "x"}}}]}]}}
    intra = {"metadata": {"name": "intra"}, "spec": {"podSelector": {}, "ingress": [{"from": [{"podSelector": {}}]}]}}
    for policies in (pinned, [*pinned, by_label], [*pinned, intra], [*pinned, open_rule]):
        candidates = admission_candidates(policies, "sonataflow-infra")
        for source, labels in (("team-1", {}), ("team-9", {}), ("team-9", {"team": "x"}), ("sonataflow-infra", {})):
            assert admits(candidates(source), "sonataflow-infra", source, labels) == \
                admits(policies, "sonataflow-infra", source, labels), (source, labels, [p["metadata"]["name"]
                                                                                         for p in policies])
    assert len(admission_candidates(pinned, "sonataflow-infra")("team-1")) == 1
