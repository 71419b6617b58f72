import io
import json

from orchestrator_cli.health.checks import Check, CheckFailed, Skip, passed, run_checks
from orchestrator_cli.install.permissions import Permission, granted_by, missing_permissions
from orchestrator_cli.report.reporters import JsonReporter, PlainReporter, make_reporter


def _ok(ctx):
    return "fine"


def _fail(ctx):
    raise CheckFailed("2 missing", ["get a", "list b"])


def _skip(ctx):
    raise Skip("n/a")


def _boom(ctx):
    raise RuntimeError("forbidden read")


CHECKS = [Check("one", "first", "hint one", _ok), Check("two", "second", "hint two", _fail),
          Check("three", "third", "hint three", _fail, fatal=False), Check("four", "fourth", "h", _skip),
          Check("five", "fifth", "h5", _boom)]


def test_runner_runs_all_and_classifies():
    out = io.StringIO()
    results = run_checks(CHECKS, None, PlainReporter(out))
    assert [r.status for r in results] == ["ok", "failed", "warning", "skipped", "failed"]
    assert not passed(results)
    assert passed(results[:1] + results[2:4])
    text = out.getvalue()
    assert "[ok] one: first — fine" in text
    assert "[FAIL] two: second — 2 missing\n    - get a\n    - list b\n    hint: hint two" in text
    assert "[WARN] three" in text and "[skip] four" in text and "RuntimeError: forbidden read" in text


def test_json_renderer():
    out = io.StringIO()
    rep = JsonReporter(out)
    run_checks(CHECKS[:2], None, rep)
    rep.close()
    data = json.loads(out.getvalue())
    assert data["success"] is False
    assert data["checks"][1] == {"id": "two", "category": "pre-flight", "description": "second", "status": "failed",
                                 "fatal": True, "message": "2 missing", "details": ["get a", "list b"],
                                 "hint": "hint two"}
    assert data["checks"][0]["hint"] == ""


def test_reporter_choice():
    assert type(make_reporter("json", stream=io.StringIO())).__name__ == "JsonReporter"
    assert type(make_reporter(None, stream=io.StringIO())).__name__ == "PlainReporter"  # not a TTY


class FakeReviews:
    """SelfSubject*Review answers from a rule list: cluster-wide and per-namespace."""

    def __init__(self, cluster_rules, ns_rules, allowed=()):
        self.cluster_rules, self.ns_rules, self.allowed = cluster_rules, ns_rules, set(allowed)
        self.calls = []

    def review(self, obj):
        self.calls.append(obj["kind"])
        if obj["kind"] == "SelfSubjectRulesReview":
            ns = obj["spec"]["namespace"]
            return {"status": {"resourceRules": self.cluster_rules + self.ns_rules.get(ns, [])}}
        a = obj["spec"]["resourceAttributes"]
        return {"status": {"allowed": (a["verb"], a["resource"], a.get("namespace")) in self.allowed}}


def test_cluster_admin_needs_one_request():
    fake = FakeReviews([{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}], {})
    req = [Permission("create", "", "namespaces"), Permission("get", "", "secrets", "ns")]
    assert missing_permissions(fake, req) == []
    assert fake.calls == ["SelfSubjectRulesReview"]


def test_missing_permissions_are_all_listed_and_confirmed_by_ssar():
    fake = FakeReviews([], {"ns": [{"verbs": ["get"], "apiGroups": [""], "resources": ["secrets"]}]},
                       allowed={("list", "nodes", None)})
    req = [Permission("create", "", "namespaces"), Permission("get", "", "secrets", "ns"),
           Permission("patch", "", "secrets", "ns"), Permission("list", "", "nodes")]
    missing = missing_permissions(fake, req)
    assert [str(p) for p in missing] == ["create namespaces (cluster-wide)", "patch secrets in namespace ns"]
    assert fake.calls.count("SelfSubjectAccessReview") == 3


def test_resource_names_rules_do_not_grant_whole_resource():
    rule = {"verbs": ["get"], "apiGroups": [""], "resources": ["secrets"], "resourceNames": ["one"]}
    assert not granted_by([rule], Permission("get", "", "secrets", "ns"))
