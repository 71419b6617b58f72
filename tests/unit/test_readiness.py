from orchestrator_cli.health import readiness as r


def dep(gen=2, observed=2, available="True", replicas=1, updated=1, ready=1):
    return {"metadata": {"generation": gen}, "spec": {"replicas": replicas},
            "status": {"observedGeneration": observed, "updatedReplicas": updated, "readyReplicas": ready,
                       "conditions": [{"type": "Available", "status": available, "reason": "MinimumReplicasUnavailable"}]}}


def test_deployment_ready_needs_available_and_observed_generation():
    assert isinstance(r.deployment(dep()), r.Ready)
    assert isinstance(r.deployment(dep(observed=1)), r.Waiting)
    assert "observedGeneration" in r.deployment(dep(observed=1)).reason
    assert isinstance(r.deployment(dep(available="False", ready=0)), r.Waiting)
    assert isinstance(r.deployment(None), r.Waiting)


def test_deployment_progress_deadline_fails():
    d = dep(available="False")
    d["status"]["conditions"].append({"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"})
    assert isinstance(r.deployment(d), r.Failed)


def test_statefulset_ready_replicas():
    sts = {"metadata": {"generation": 1}, "spec": {"replicas": 1}, "status": {"observedGeneration": 1}}
    assert isinstance(r.statefulset(sts), r.Waiting)
    sts["status"]["readyReplicas"] = 1
    assert isinstance(r.statefulset(sts), r.Ready)


def test_conditions_tolerate_null_status():
    pred = r.condition_true("Ready")
    for obj in ({"status": None}, {"status": {"conditions": None}}, {}, {"status": {"conditions": [None]}}):
        assert isinstance(pred(obj), r.Waiting)
    assert isinstance(pred({"status": {"conditions": [{"type": "Ready", "status": "True"}]}}), r.Ready)
    failed = {"status": {"conditions": [{"type": "ReleaseFailed", "status": "True", "message": "boom"}]}}
    assert isinstance(r.condition_true("Deployed")(failed), r.Failed)
    assert "boom" in r.condition_true("Deployed")(failed).reason


def test_csv_and_installplan():
    assert isinstance(r.csv({"status": {"phase": "Succeeded"}}), r.Ready)
    assert isinstance(r.csv({"status": {"phase": "Failed", "reason": "InstallCheckFailed"}}), r.Failed)
    assert isinstance(r.csv({"status": {}}), r.Waiting)
    plan = {"spec": {"approved": False}, "status": {}}
    assert r.installplan(plan).reason == "InstallPlan awaiting approval"
    plan = {"spec": {"approved": True}, "status": {"conditions": [{"type": "Installed", "status": "True"}]}}
    assert isinstance(r.installplan(plan), r.Ready)


def pod(waiting=None, sched=None, restarts=0):
    status = {"containerStatuses": [{"name": "c", "restartCount": restarts,
                                     "state": {"waiting": {"reason": waiting}} if waiting else {"running": {}}}]}
    if sched:
        status["conditions"] = [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": sched}]
    return {"metadata": {"name": "p-1"}, "status": status}


def test_pod_fail_fast_reasons():
    assert "CrashLoopBackOff" in r.pod_failure(pod("CrashLoopBackOff", restarts=3))
    assert "restarts 3" in r.pod_failure(pod("CrashLoopBackOff", restarts=3))
    assert "ImagePullBackOff" in r.pod_failure(pod("ImagePullBackOff"))
    assert "ErrImagePull" in r.pod_failure(pod("ErrImagePull"))
    assert "Unschedulable" in r.pod_failure(pod(sched="0/3 nodes are available: node(s) didn't match selector"))
    assert r.pod_failure(pod("ContainerCreating")) is None
    assert r.pod_failure(pod()) is None


def test_unbound_pvc_is_not_a_failure():
    assert r.pod_failure(pod(sched="0/3 nodes: pod has unbound immediate PersistentVolumeClaims")) is None


def test_claim_or_volume_not_yet_seen_by_the_scheduler_is_not_a_failure():
    # Seen in the reliability e2e right after an API server restart: the StatefulSet controller had
    # created the claim, the scheduler's cache had not caught up yet.
    msg = '0/3 nodes are available: persistentvolumeclaim "data-sonataflow-psql-postgresql-0" not found.'
    assert r.pod_failure(pod(sched=msg)) is None
    # ... and the same for the volume the provisioner bound to the claim (seen in CI).
    msg = '0/3 nodes are available: persistentvolume "pvc-373401fe-15e4-42d2-8b25-91146537c192" not found.'
    assert r.pod_failure(pod(sched=msg)) is None
    assert r.pod_failure(pod(sched="0/3 nodes are available: 3 Insufficient cpu.")) is not None


def test_an_ephemeral_volume_claim_on_its_way_is_not_a_failure():
    # The real RHDH operator's Backstage pod (ephemeral dynamic-plugins-root): the scheduler sees the pod
    # before the controller-manager's ephemeral-volume controller has created its claim.
    msg = ('0/3 nodes are available: waiting for ephemeral volume controller to create the persistentvolumeclaim '
           '"backstage-backstage-c6987b5f5-hnb9h-dynamic-plugins-root". not found.')
    assert r.pod_failure(pod(sched=msg)) is None


def test_token_secret():
    assert isinstance(r.token_secret({"data": {}}), r.Waiting)
    assert isinstance(r.token_secret({"data": {"token": "eA=="}}), r.Ready)


def test_the_plan_to_approve_is_the_one_the_subscription_points_at():
    """Real OLM can replace an InstallPlan (a write conflict while it resolves); approving the stale
    one would install nothing, so orch follows the Subscription's installPlanRef."""
    from orchestrator_cli.install.steps.operator import current_plan_for_csv

    def plan(name, created, csvs=("orchestrator-operator.v1.4.0",)):
        return {"metadata": {"name": name, "creationTimestamp": created},
                "spec": {"clusterServiceVersionNames": list(csvs), "approved": False}}

    stale, current = plan("install-aaaaa", "2026-12-02T06:00:00Z"), plan("install-bbbbb", "2026-12-02T06:00:01Z")
    other = plan("install-ccccc", "2026-12-02T06:00:02Z", ("orchestrator-operator.v1.5.0",))
    sub = {"status": {"installPlanRef": {"name": "install-aaaaa"}}}
    assert current_plan_for_csv([stale, current, other], sub, "orchestrator-operator.v1.4.0") is stale
    sub = {"status": {"installPlanRef": {"name": "install-bbbbb"}}}
    assert current_plan_for_csv([stale, current, other], sub, "orchestrator-operator.v1.4.0") is current
    # the Subscription points at a plan for another CSV (an upgrade): the newest for ours
    sub = {"status": {"installPlanRef": {"name": "install-ccccc"}}}
    assert current_plan_for_csv([current, stale, other], sub, "orchestrator-operator.v1.4.0") is current
    assert current_plan_for_csv([other], None, "orchestrator-operator.v1.4.0") is None


def test_no_second_plan_is_approved_while_one_for_the_csv_is_executing():
    """Real OLM may offer a replacement plan for the same CSV while the approved one runs."""
    from orchestrator_cli.install.steps.operator import plan_in_progress

    def plan(name, approved, phase, csvs=("orchestrator-operator.v1.3.1",)):
        return {"metadata": {"name": name}, "status": {"phase": phase},
                "spec": {"clusterServiceVersionNames": list(csvs), "approved": approved}}

    running = plan("install-a", True, "Installing")
    offered = plan("install-b", False, "RequiresApproval")
    assert plan_in_progress([offered, running], "orchestrator-operator.v1.3.1") is running
    assert plan_in_progress([offered, plan("install-c", True, "Complete")], "orchestrator-operator.v1.3.1")
    # approved but never picked up (OLM replaced it), or for another CSV: not in progress
    assert plan_in_progress([plan("install-d", True, "RequiresApproval"), offered],
                            "orchestrator-operator.v1.3.1") is None
    assert plan_in_progress([plan("install-e", True, "Installing", ("orchestrator-operator.v1.3.2",))],
                            "orchestrator-operator.v1.3.1") is None
