"""The test catalog rendered as a file-based catalog for real opm (tests/cluster/fbc.py), pure."""
from __future__ import annotations

import base64
import json

from tests.cluster import fbc
from tests.sim import catalog as C


def _objects(bundle: dict) -> list[dict]:
    return [json.loads(base64.b64decode(p["value"]["data"])) for p in bundle["properties"]
            if p["type"] == "olm.bundle.object"]


def test_every_package_channel_and_bundle_is_rendered():
    docs = fbc.documents()
    packages = {d["name"]: d for d in docs if d["schema"] == "olm.package"}
    assert set(packages) == set(C.PACKAGES)
    bundles = {d["name"]: d for d in docs if d["schema"] == "olm.bundle"}
    assert set(bundles) == {n for p in C.PACKAGES.values() for n in p.csvs}
    for ch in (d for d in docs if d["schema"] == "olm.channel"):
        names = [e["name"] for e in ch["entries"]]
        assert names == list(C.PACKAGES[ch["package"]].channels[ch["name"]])
        # a replaces chain, oldest first: each entry replaces the one before it
        assert [e.get("replaces") for e in ch["entries"]] == [None, *names[:-1]]
    for pkg in packages.values():
        assert any(ch["name"] == pkg["defaultChannel"] for ch in docs
                   if ch["schema"] == "olm.channel" and ch["package"] == pkg["name"])


def test_bundles_are_inline_without_image_and_carry_a_real_install_strategy():
    bundle = next(d for d in fbc.documents() if d.get("name") == "serverless-operator.v1.35.0")
    assert "image" not in bundle  # OLM installs it without an unpack Job
    objects = _objects(bundle)
    csv = objects[0]
    assert csv["kind"] == "ClusterServiceVersion" and csv["spec"]["version"] == "1.35.0"
    assert {o["metadata"]["name"] for o in objects[1:]} == {
        "knativeservings.operator.knative.dev", "knativeeventings.operator.knative.dev"}
    strategy = csv["spec"]["install"]["spec"]
    dep = strategy["deployments"][0]
    assert dep["name"] == "knative-openshift"
    assert dep["spec"]["template"]["spec"]["serviceAccountName"] == "knative-openshift"
    assert strategy["clusterPermissions"][0]["serviceAccountName"] == "knative-openshift"
    assert dep["label"]["sim.orch.dev/package"] == "serverless-operator"
    props = {p["type"] for p in bundle["properties"]}
    assert {"olm.package", "olm.gvk", "olm.bundle.object"} <= props
    owned = {o["name"] for o in csv["spec"]["customresourcedefinitions"]["owned"]}
    assert owned == {"knativeservings.operator.knative.dev", "knativeeventings.operator.knative.dev"}


def test_hidden_packages_and_cut_channels():
    docs = fbc.documents(hidden={"rhdh"}, channel_heads={"serverless-operator/stable": "serverless-operator.v1.35.0"})
    assert "rhdh" not in {d.get("package", d.get("name")) for d in docs}
    stable = next(d for d in docs if d["schema"] == "olm.channel" and d["package"] == "serverless-operator")
    assert stable["entries"][-1]["name"] == "serverless-operator.v1.35.0"
    assert "serverless-operator.v1.36.0" not in {d["name"] for d in docs if d["schema"] == "olm.bundle"}


def test_render_writes_one_json_document_per_line(tmp_path):
    out = fbc.render(tmp_path / "c")
    lines = (out / "catalog.json").read_text().splitlines()
    assert len(lines) == len(fbc.documents())
    assert all(json.loads(line)["schema"].startswith("olm.") for line in lines)
