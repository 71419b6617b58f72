"""Real OLM (v0.33.0) and the real opm catalog server for the OpenShift-flavoured test cluster.

- `opm serve` (operator-registry v1.56.0) serves the file-based catalog rendered from the test
  tree (tests/cluster/fbc.py) over gRPC on a free loopback port;
- olm-operator and catalog-operator run as host processes against the test API server with the
  admin kubeconfig, with `CI` removed from their environment (with CI set, OLM panics on every
  create without the `olm.managed` label) and ClusterOperator status writes off;
- OLM's own CRDs come from its module (the build copies them next to the binaries); an OLMConfig
  `cluster`; CatalogSource `redhat-operators` in openshift-marketplace points at opm with
  `spec.address` (no registry pod, no image): the catalog-operator's global catalog namespace is
  openshift-marketplace, as on OpenShift.

PackageManifests (package-server's aggregated API) still come from the simulators' small
stand-in (tests/sim/olm.py `PackageServer`, on the same catalog data): package-server needs
in-cluster credentials and an aggregation layer the harness does not set up.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import yaml

from tests.cluster import fbc, operators
from tests.cluster.processes import Component, wait_until

OLM_NAMESPACE = "olm"
CATALOG_NAMESPACE = "openshift-marketplace"
CATALOG_SOURCE = "redhat-operators"


def available(bin_dir: Path) -> bool:
    return all((bin_dir / name).exists() for name in ("olm-olm", "olm-catalog", "opm", "olm-crds"))


def crds(bin_dir: Path) -> list[dict]:
    docs = []
    for path in sorted((bin_dir / "olm-crds").glob("*.yaml")):
        docs += [d for d in yaml.safe_load_all(path.read_text()) if d]
    return docs


def process_env(kubeconfig: Path) -> dict[str, str]:
    """What OLM sees of the host: PATH and HOME only, never CI (see the module docstring)."""
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "TMPDIR")}
    env["KUBECONFIG"] = str(kubeconfig)
    return env


def catalog_source(address: str) -> dict:
    return {"apiVersion": "operators.coreos.com/v1alpha1", "kind": "CatalogSource",
            "metadata": {"name": CATALOG_SOURCE, "namespace": CATALOG_NAMESPACE},
            "spec": {"sourceType": "grpc", "address": address, "displayName": "Red Hat Operators",
                     "publisher": "Red Hat"}}


def bootstrap_objects() -> list[dict]:
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": OLM_NAMESPACE}},
        {"apiVersion": "operators.coreos.com/v1", "kind": "OLMConfig", "metadata": {"name": "cluster"}, "spec": {}},
    ]


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


class CatalogServer:
    """One `opm serve` of a rendered catalog; replace() swaps in another catalog content."""

    def __init__(self, cluster, name: str = "opm"):
        self.cluster = cluster
        self.name = name
        self.port = 0
        self.component: Component | None = None
        self.generation = 0

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, hidden=frozenset(), channel_heads: dict | None = None) -> str:
        from tests.cluster.harness import free_port

        c = self.cluster
        self.generation += 1
        root = c.work_dir / f"catalog-{self.generation}"
        fbc.render(root / "configs", hidden, channel_heads, operators.catalog_crds(c.bin_dir, c.real))
        self.port, pprof = free_port(), free_port()
        # opm listens on all interfaces; inside the private network namespace that is loopback only.
        self.component = c._component(self.name, [
            str(c.bin_dir / "opm"), "serve", str(root / "configs"), "-p", str(self.port),
            "-t", str(root / "termination.log"), "--cache-dir", str(root / "cache"), "--cache-enforce-integrity=false",
            "--pprof-addr", f"127.0.0.1:{pprof}",
        ], env=process_env(c.kubeconfig))
        wait_until(lambda: _listening(self.port), 60, f"{self.name} gRPC on {self.address}", alive=[self.component])
        return self.address


def start(cluster) -> CatalogServer:
    """Starts opm and OLM for an OpenShift-flavoured cluster (CRDs and namespaces must exist)."""
    c = cluster
    server = CatalogServer(c)
    address = server.start()
    c.apply_manifests(bootstrap_objects())
    c.apply_manifests([catalog_source(address)])
    env = process_env(c.kubeconfig)
    c._component("olm-operator", [
        str(c.bin_dir / "olm-olm"), "--namespace", OLM_NAMESPACE, "--writeStatusName", "",
        "--writePackageServerStatusName", "",
    ], env=env)
    c._component("catalog-operator", [
        str(c.bin_dir / "olm-catalog"), "--kubeconfig", str(c.kubeconfig), "--namespace", CATALOG_NAMESPACE,
        "--writeStatusName", "",
    ], env=env)
    return server


OPERATOR_PROCESSES = ("olm-operator", "catalog-operator")


def restart_operators(cluster) -> None:
    """Restarts OLM's two processes, as the kubelet restarts their pods once liveness fails during an
    outage of the whole API server. Without it, after such an outage real OLM here sometimes never
    recovered a CSV it installed next (Pending, "couldn't ensure RBAC in target namespaces: no owned
    roles found", for minutes): a stale informer, not something orch can or should work around."""
    for name in OPERATOR_PROCESSES:
        comp = cluster.components.get(name)
        if comp is not None:
            comp.kill()  # as a failed liveness probe ends: no graceful leader-election hand-over to wait for
            comp.start()


def wait_catalog_ready(cluster, timeout: float = 90) -> None:
    from kubernetes import client

    api = client.CustomObjectsApi(cluster.api_client())

    def ready():
        cs = api.get_namespaced_custom_object("operators.coreos.com", "v1alpha1", CATALOG_NAMESPACE,
                                              "catalogsources", CATALOG_SOURCE)
        return ((cs.get("status") or {}).get("connectionState") or {}).get("lastObservedState") == "READY"

    wait_until(ready, timeout, f"CatalogSource {CATALOG_SOURCE} READY",
               alive=[cluster.components[n] for n in ("opm", "olm-operator", "catalog-operator")
                      if n in cluster.components])


def serve_catalog(cluster, hidden=frozenset(), channel_heads: dict | None = None) -> str:
    """Serves another cut of the catalog (packages left out, channels ending earlier) from a new
    opm, points the CatalogSource at it and stops the old one; the PackageManifest stand-in
    follows (the simulators' `hidden_packages` / `channel_heads`). Returns the new address."""
    from kubernetes import client

    server = cluster.catalog
    old = server.component
    address = server.start(hidden, channel_heads)
    cluster.apply_manifests([catalog_source(address)])
    if old is not None:
        old.stop()
    core = client.CoreV1Api(cluster.api_client())
    try:
        cm = core.read_namespaced_config_map("simulator-config", "orch-sim")
        config = yaml.safe_load((cm.data or {}).get("config.yaml") or "") or {}
    except client.ApiException as exc:
        if exc.status != 404:
            raise
        config = {}
    config["hidden_packages"] = sorted(hidden)
    config["channel_heads"] = dict(channel_heads or {})
    from tests.helpers import set_sim_config

    set_sim_config(cluster, config)
    return address
