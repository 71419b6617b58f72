"""Pure parts of the operator supervisor and its shims (no cluster)."""

from tests.cluster.operators import without_webhook_configurations
from tests.cluster.supervisor import SupervisedOperator, deployment_wanted, expand, rolled_out


def _dep(replicas=1, available="True", available_replicas=1, deleting=False, generation=1, observed=1):
    md = {"name": "op", "namespace": "ns", "generation": generation}
    if deleting:
        md["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    return {"metadata": md, "spec": {"replicas": replicas},
            "status": {"observedGeneration": observed, "availableReplicas": available_replicas,
                       "updatedReplicas": available_replicas,
                       "conditions": [{"type": "Available", "status": available}]}}


def test_wanted_only_while_available_with_a_replica():
    assert deployment_wanted(_dep())
    assert not deployment_wanted(_dep(replicas=0))
    assert not deployment_wanted(_dep(deleting=True))
    assert not deployment_wanted(_dep(available="False"))
    # just scaled up from zero: Available=True is still the zero-replica verdict
    assert not deployment_wanted(_dep(available_replicas=0))


def test_rolled_out_needs_the_new_generation_observed():
    assert rolled_out(_dep(generation=2, observed=2))
    assert not rolled_out(_dep(generation=2, observed=1))


def test_placeholders_and_one_port_per_name():
    ports: dict[str, int] = {}
    out = [expand(a, {"kubeconfig": "/k", "namespace": "ns"}, ports)
           for a in ("--kubeconfig={kubeconfig}", "{namespace}", "127.0.0.1:{port:metrics}", "{port:metrics}",
                     "{port:health}", "{unknown}", "{")]
    assert out[:2] == ["--kubeconfig=/k", "ns"]
    assert out[2] == f"127.0.0.1:{ports['metrics']}" and out[3] == str(ports["metrics"])
    assert out[4] == str(ports["health"]) and ports["health"] != ports["metrics"]
    assert out[5:] == ["{unknown}", "{"]


def test_operator_matching_and_round_trip():
    op = SupervisedOperator("knative-operator", "knative-operator", ("{bin}/knative-operator",))
    assert op.matches("any", "knative-operator") and not op.matches("any", "other")
    pinned = SupervisedOperator("x", "d", ("x",), namespace="only")
    assert pinned.matches("only", "d") and not pinned.matches("elsewhere", "d")
    assert SupervisedOperator.from_dict(op.to_dict()) == op


def test_webhook_configurations_are_dropped_and_the_rest_kept():
    text = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\n"
            "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\nmetadata:\n"
            "  name: validation.webhook.serving.knative.dev\n---\n"
            "apiVersion: admissionregistration.k8s.io/v1\nkind: MutatingWebhookConfiguration\nmetadata:\n"
            "  name: webhook.serving.knative.dev\n---\n"
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: webhook-certs\n")
    out = without_webhook_configurations(text)
    assert "WebhookConfiguration" not in out
    assert "name: a" in out and "name: webhook-certs" in out


def test_the_rhdh_operator_runs_from_the_built_profile_on_loopback_ports():
    from tests.cluster.operators import REAL_OPERATORS, rhdh_operator

    op = rhdh_operator(REAL_OPERATORS["rhdh"][1])
    assert op.matches("rhdh-operator", "rhdh-operator") and not op.matches("rhdh-operator", "other")
    ports: dict[str, int] = {}
    argv = [expand(a, {"bin": "/b", "kubeconfig": "/k"}, ports) for a in op.argv]
    assert argv[:3] == ["/b/rhdh-operator", "--kubeconfig", "/k"]
    assert argv[argv.index("--metrics-bind-address") + 1] == f"127.0.0.1:{ports['metrics']}"
    assert argv[argv.index("--health-probe-bind-address") + 1] == f"127.0.0.1:{ports['probe']}"
    assert ports["metrics"] != ports["probe"] and "--leader-elect" not in argv
    assert expand(op.env["LOCALBIN"], {"bin": "/b"}, ports) == "/b/rhdh-operator-data/profile"
