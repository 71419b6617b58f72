"""A loopback HTTP server serving stand-in release manifests for `orch install` on Kubernetes.

The stand-ins (tests/cluster/standins/*.yaml, authored here) have the names, namespaces and kinds of the upstream
release manifests orch pins (orchestrator_cli/platforms/kubernetes_pins.py); the CRDs are added at start: the
Knative operator's from its module (the real operator runs under the supervisor), the SonataFlow and Backstage
ones from tests/sim/crds. The server writes a pins file (--manifest-pins / ORCH_MANIFEST_PINS) with each file's
URL and SHA-256 for every generation orch pins, so orch verifies the bytes it fetches as it verifies upstream's.
"""

from __future__ import annotations

import copy
import hashlib
import http.server
import threading
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
STANDINS = HERE / "standins"
SIM_CRDS = HERE.parent / "sim" / "crds"
COMPONENTS = ("knative-operator", "sonataflow-operator", "rhdh-operator")


def _backstage_crd() -> dict:
    crd = yaml.safe_load((SIM_CRDS / "backstages.yaml").read_text())
    # RHDH 1.6's plain manifest serves v1alpha1..v1alpha3 and stores v1alpha3 (v1alpha4 came with 1.8)
    versions = [v for v in crd["spec"]["versions"] if v["name"] in ("v1alpha1", "v1alpha2", "v1alpha3")]
    if not any(v["name"] == "v1alpha3" for v in versions):
        v3 = copy.deepcopy(versions[-1])
        v3["name"] = "v1alpha3"
        versions.append(v3)
    for v in versions:
        v["storage"] = v["name"] == "v1alpha3"
    crd["spec"]["versions"] = versions
    return crd


def _crds(component: str, bin_dir: Path) -> list[dict]:
    if component == "knative-operator":
        from tests.cluster.operators import knative_crds

        return knative_crds(bin_dir)
    if component == "sonataflow-operator":
        return [yaml.safe_load((SIM_CRDS / f"{n}.yaml").read_text())
                for n in ("sonataflowplatforms", "sonataflows", "sonataflowclusterplatforms")]
    return [_backstage_crd()]


def render_standin(component: str, bin_dir: Path) -> bytes:
    """The stand-in manifest: its Namespace first (if any), the CRDs, then the rest, as upstream orders them."""
    docs = [d for d in yaml.safe_load_all((STANDINS / f"{component}.yaml").read_text()) if d]
    head = [d for d in docs if d["kind"] == "Namespace"]
    rest = [d for d in docs if d["kind"] != "Namespace"]
    return yaml.safe_dump_all(head + _crds(component, bin_dir) + rest, sort_keys=False).encode()


class ManifestMirror:
    """Serves `dir`'s files on 127.0.0.1:port (a daemon thread of the process that starts it)."""

    def __init__(self, directory: Path, port: int, bin_dir: Path):
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self.files = {}
        for component in COMPONENTS:
            data = render_standin(component, bin_dir)
            (self.dir / f"{component}.yaml").write_bytes(data)
            self.files[component] = hashlib.sha256(data).hexdigest()
        handler = lambda *a, **kw: _QuietHandler(*a, directory=str(self.dir), **kw)  # noqa: E731
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.url = f"http://127.0.0.1:{port}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="manifest-mirror", daemon=True)
        self.thread.start()
        self.pins_file = self.dir.parent / "manifest-pins.yaml"
        self.pins_file.write_text(yaml.safe_dump(self.pins()))

    def pins(self) -> dict:
        from orchestrator_cli.platforms.kubernetes_pins import KUBERNETES_PINS

        return {version: {c: {"url": f"{self.url}/{c}.yaml", "sha256": digest} for c, digest in self.files.items()}
                for version in KUBERNETES_PINS}

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # the requests are in the tests' assertions, not in stderr
        return
