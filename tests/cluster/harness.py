"""A real Kubernetes control plane for tests and the demo.

etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok (built from
Go modules by build/build-binaries.sh) run on 127.0.0.1 with free ports. kwok fakes
the nodes and the kubelet, so Deployments and StatefulSets really become ready
through the controller-manager and scheduler. Run it inside a private network
namespace (`unshare -n`): nothing can then reach anything but loopback.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import yaml

from tests.cluster import olm, operators
from tests.cluster.pki import CertificateAuthority, service_account_keypair
from tests.cluster.processes import Component, tail, wait_until
from tests.cluster.supervisor import STATE_FILE, SupervisedOperator

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
BUILD_SCRIPT = HERE / "build" / "build-binaries.sh"
FIELD_MANAGER = "orch-test-harness"
NODE_COUNT = 3
PV_PROVISIONER = "orch.test/fake-provisioner"
DEFAULT_OPENSHIFT_VERSION = "4.14.12"
OPENSHIFT_DOMAIN = "apps.orch.local"
SERVICE_CIDR = "10.96.0.0/12"
POD_CIDR = "10.244.0.0/16"

INGRESS_CLASS = {
    "apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
    "metadata": {"name": "contour", "annotations": {"ingressclass.kubernetes.io/is-default-class": "true"}},
    "spec": {"controller": "projectcontour.io/ingress-controller"},
}

_AUDIT_POLICY = {
    "apiVersion": "audit.k8s.io/v1",
    "kind": "Policy",
    "omitStages": ["RequestReceived"],
    "rules": [{"level": "Metadata"}],
}


def binaries_dir() -> Path:
    """Directory with the built binaries (builds them on first use)."""
    if os.environ.get("ORCH_TESTBIN"):
        return Path(os.environ["ORCH_TESTBIN"])
    out = subprocess.run(["bash", str(BUILD_SCRIPT)], check=True, stdout=subprocess.PIPE, text=True).stdout
    return Path(out.strip().splitlines()[-1])


_HANDED_OUT: set[int] = set()


def free_port() -> int:
    """A loopback port nothing listens on, never one this process handed out before: the port is released
    before its component binds it, so the kernel may offer it again to the next call (etcd and the API server
    once got the same port)."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _HANDED_OUT:
            _HANDED_OUT.add(port)
            return port


def _kubeconfig(server: str, ca: Path, cert: Path, key: Path, user: str, context: str = "orch-local") -> dict:
    b64 = lambda p: base64.b64encode(p.read_bytes()).decode()  # noqa: E731
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "orch-local", "cluster": {"server": server, "certificate-authority-data": b64(ca)}}],
        "users": [{"name": user, "user": {"client-certificate-data": b64(cert), "client-key-data": b64(key)}}],
        "contexts": [{"name": context, "context": {"cluster": "orch-local", "user": user}}],
        "current-context": context,
    }


class Cluster:
    def __init__(self, flavor: str, bin_dir: Path, work_dir: Path, log_dir: Path, simulators: bool):
        self.flavor = flavor
        self.bin_dir = bin_dir
        self.work_dir = work_dir
        self.log_dir = log_dir
        self.with_simulators = simulators
        self.pki_dir = work_dir / "pki"
        self.pki_dir.mkdir(parents=True)
        self.etcd_port, self.etcd_peer_port = free_port(), free_port()
        self.apiserver_port = free_port()
        self.server = f"https://127.0.0.1:{self.apiserver_port}"
        self.audit_log = log_dir / "audit.log"
        self.components: dict[str, Component] = {}
        self._api_client = None
        self.supervisor_dir = work_dir / "supervisor"
        # What the API server serves as every container's log (kwok's ClusterLogs, CRI log format);
        # tests append lines with append_pod_log() and read them back through `pods/log`.
        self.pod_log_file = work_dir / "pod-logs" / "current.log"
        self.previous_pod_log_file = work_dir / "pod-logs" / "previous.log"
        self.supervised: list[SupervisedOperator] = []
        self.mirror = None  # vanilla: the stand-in release manifests (tests/cluster/mirror.py)
        self.catalog = None  # tests.cluster.olm.CatalogServer (OpenShift flavour)
        self.real: frozenset[str] = frozenset()  # operators run for real behind their CSVs (start(real=...))

    # ---- lifecycle -------------------------------------------------------------------------

    @classmethod
    def start(
        cls,
        flavor: str = "vanilla",
        simulators: bool | None = None,
        log_root: Path | None = None,
        openshift_version: str = DEFAULT_OPENSHIFT_VERSION,
        real: tuple[str, ...] = (),
    ) -> "Cluster":
        """`real` (OpenShift flavour): operators that run for real behind their CSV instead of being
        simulated, from tests/cluster/operators.py REAL_OPERATORS (e.g. ("knative",))."""
        if flavor not in ("vanilla", "openshift") or set(real) - set(operators.REAL_OPERATORS) or \
                (real and flavor != "openshift"):
            raise ValueError(f"unknown cluster flavor {flavor!r} or real operators {real!r}")
        # vanilla runs them too: the SonataFlow and RHDH operators its stand-in release manifests install
        simulators = True if simulators is None else simulators
        bin_dir = binaries_dir()
        work_dir = Path(tempfile.mkdtemp(prefix="orch-cluster-"))
        log_root = log_root or REPO / ".cluster" / "logs"
        log_dir = log_root / f"{time.strftime('%Y%m%d-%H%M%S')}-{flavor}-{os.getpid()}-{work_dir.name[-6:]}"
        log_dir.mkdir(parents=True)
        cluster = cls(flavor, bin_dir, work_dir, log_dir, simulators)
        cluster.real = frozenset(real)
        try:
            cluster._boot(openshift_version)
        except BaseException:
            cluster.stop()
            raise
        return cluster

    def _boot(self, openshift_version: str) -> None:
        started = time.monotonic()
        self._write_pki()
        self._start_etcd()
        self.start_apiserver()
        self._start_controllers()
        self._create_nodes()
        self._start_provisioner()
        self._start_supervisor()
        if self.flavor == "openshift":
            self._install_openshift_platform(openshift_version)
        else:
            self._install_kubernetes_platform()
        if self.with_simulators:
            self._start_simulators()
        self._wait_ready()
        if self.flavor == "openshift":
            olm.wait_catalog_ready(self)
        (self.log_dir / "startup-seconds").write_text(f"{time.monotonic() - started:.1f}\n")

    def stop(self) -> None:
        if self.mirror is not None:
            self.mirror.stop()
            self.mirror = None
        for name in reversed(list(self.components)):
            self.components[name].stop()
        self.components.clear()
        if self._api_client is not None:
            self._api_client.close()
            self._api_client = None
        shutil.rmtree(self.work_dir, ignore_errors=True)

    def __enter__(self) -> "Cluster":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # ---- access ----------------------------------------------------------------------------

    def env(self, kubeconfig: Path | None = None) -> dict[str, str]:
        env = dict(os.environ)
        env["KUBECONFIG"] = str(kubeconfig or self.kubeconfig)
        if self.manifest_pins is not None:
            env["ORCH_MANIFEST_PINS"] = str(self.manifest_pins)
        return env

    def make_user(self, name: str, groups: tuple[str, ...] | list[str] = ()) -> Path:
        """A kubeconfig for a non-admin user authenticated by a client certificate."""
        users_dir = self.work_dir / "users"
        users_dir.mkdir(exist_ok=True)
        cert, key = self.ca.issue(users_dir, f"user-{name}", name, tuple(groups))
        path = users_dir / f"{name}.kubeconfig"
        path.write_text(yaml.safe_dump(_kubeconfig(self.server, self.ca.cert_path, cert, key, name)))
        return path

    def api_client(self):
        if self._api_client is None:
            from kubernetes import config

            self._api_client = config.new_client_from_config(str(self.kubeconfig))
        return self._api_client

    def log_tails(self, lines: int = 25) -> str:
        parts = []
        for log in sorted(self.log_dir.glob("*.log")):
            if log.name == "audit.log":
                continue
            parts.append(f"--- {log.name} (last {lines} lines)\n{tail(log, lines)}")
        return "\n".join(parts)

    # ---- components ------------------------------------------------------------------------

    def _component(self, name: str, argv: list[str], **kw) -> Component:
        comp = Component(name, argv, self.log_dir / f"{name}.log", **kw)
        self.components[name] = comp
        comp.start()
        return comp

    def _write_pki(self) -> None:
        d = self.pki_dir
        self.ca = CertificateAuthority.create(d)
        self.serving_cert = self.ca.issue(
            d, "apiserver", "kube-apiserver",
            dns_names=("localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
                       "kubernetes.default.svc.cluster.local"),
            ip_addresses=("127.0.0.1", "10.96.0.1"), server=True,
        )
        self.sa_private, self.sa_public = service_account_keypair(d)
        users = {
            "admin": ("orch-admin", ("system:masters",)),
            "kcm": ("system:kube-controller-manager", ()),
            "scheduler": ("system:kube-scheduler", ()),
            "kwok": ("kwok-controller", ("system:masters",)),
        }
        for stem, (cn, orgs) in users.items():
            cert, key = self.ca.issue(d, stem, cn, orgs)
            path = self.work_dir / f"{stem}.kubeconfig"
            path.write_text(yaml.safe_dump(_kubeconfig(self.server, self.ca.cert_path, cert, key, cn)))
        self.kubeconfig = self.work_dir / "admin.kubeconfig"
        self.admin_cert = (d / "admin.crt", d / "admin.key")
        (self.work_dir / "audit-policy.yaml").write_text(yaml.safe_dump(_AUDIT_POLICY))

    def _start_etcd(self) -> None:
        url, peer = f"http://127.0.0.1:{self.etcd_port}", f"http://127.0.0.1:{self.etcd_peer_port}"
        etcd = self._component("etcd", [
            str(self.bin_dir / "etcd"), "--name=node0", f"--data-dir={self.work_dir / 'etcd'}",
            f"--listen-client-urls={url}", f"--advertise-client-urls={url}",
            f"--listen-peer-urls={peer}", f"--initial-advertise-peer-urls={peer}",
            f"--initial-cluster=node0={peer}", "--unsafe-no-fsync=true", "--log-level=warn",
            "--listen-metrics-urls=", "--quota-backend-bytes=4294967296",
        ])
        wait_until(lambda: urllib.request.urlopen(f"{url}/health", timeout=2).status == 200, 30, "etcd /health",
                   alive=[etcd])

    def _https_ok(self, port: int, path: str, client_cert: bool = True) -> bool:
        ctx = ssl.create_default_context(cafile=str(self.ca.cert_path))
        if client_cert:
            ctx.load_cert_chain(*map(str, self.admin_cert))
        else:  # controller-manager and scheduler serve self-signed certificates
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        with urllib.request.urlopen(f"https://127.0.0.1:{port}{path}", context=ctx, timeout=3) as resp:
            return resp.status == 200

    def start_apiserver(self) -> None:
        apiserver = self._component("kube-apiserver", [
            str(self.bin_dir / "kube-apiserver"),
            f"--etcd-servers=http://127.0.0.1:{self.etcd_port}",
            "--bind-address=127.0.0.1", f"--secure-port={self.apiserver_port}",
            "--advertise-address=127.0.0.1", "--endpoint-reconciler-type=none",
            f"--cert-dir={self.work_dir / 'apiserver-certs'}",
            f"--tls-cert-file={self.serving_cert[0]}", f"--tls-private-key-file={self.serving_cert[1]}",
            f"--client-ca-file={self.ca.cert_path}",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            f"--service-account-key-file={self.sa_public}",
            f"--service-account-signing-key-file={self.sa_private}",
            "--authorization-mode=Node,RBAC", f"--service-cluster-ip-range={SERVICE_CIDR}",
            "--allow-privileged=true", "--profiling=false", "--enable-priority-and-fairness=false",
            "--max-requests-inflight=0", "--max-mutating-requests-inflight=0",
            f"--audit-policy-file={self.work_dir / 'audit-policy.yaml'}",
            f"--audit-log-path={self.audit_log}", "--audit-log-format=json", "--audit-log-mode=blocking",
            "--audit-log-maxsize=0",
        ])
        # Keep the start order after a restart (etcd, apiserver, then its clients): stop() goes in
        # reverse, so the clients must not outlive the apiserver (they would wait out their grace).
        order = {"etcd": 0, "kube-apiserver": 1}
        self.components = dict(sorted(self.components.items(), key=lambda kv: order.get(kv[0], 2)))
        wait_until(lambda: self._https_ok(self.apiserver_port, "/readyz"), 90, "kube-apiserver /readyz",
                   alive=[apiserver])
        olm.restart_operators(self)  # a restart after an outage (at boot OLM is not running yet)

    def stop_apiserver(self, hard: bool = True) -> None:
        """Stops the apiserver (SIGKILL by default, like a crash); etcd keeps the data."""
        comp = self.components.pop("kube-apiserver")
        comp.kill() if hard else comp.stop()

    def freeze_apiserver(self) -> None:
        """SIGSTOP: a hung API server. The kernel still accepts connections; nothing answers."""
        self.components["kube-apiserver"].process.send_signal(signal.SIGSTOP)

    def thaw_apiserver(self) -> None:
        self.components["kube-apiserver"].process.send_signal(signal.SIGCONT)

    def restart_apiserver(self) -> None:
        self.stop_apiserver()
        self.start_apiserver()

    def compact_etcd(self) -> int:
        """Compacts etcd's history up to its current revision (etcd's HTTP JSON gateway) and returns
        that revision: every resourceVersion before it is gone, so a watch from one gets 410 Gone once
        the apiserver's watch cache no longer holds it (e.g. after restart_apiserver)."""
        url = f"http://127.0.0.1:{self.etcd_port}/v3/kv"

        def post(path: str, body: dict) -> dict:
            req = urllib.request.Request(f"{url}/{path}", data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=10) as resp:
                return json.loads(resp.read())

        # A range over one key ("\0") is the cheapest request whose header carries the revision.
        revision = int(post("range", {"key": base64.b64encode(b"\0").decode()})["header"]["revision"])
        post("compaction", {"revision": str(revision), "physical": True})
        return revision

    def _start_controllers(self) -> None:
        kcm_port, sched_port = free_port(), free_port()
        always_allow = "--authorization-always-allow-paths=/healthz,/readyz,/livez"
        kcm = self._component("kube-controller-manager", [
            str(self.bin_dir / "kube-controller-manager"),
            f"--kubeconfig={self.work_dir / 'kcm.kubeconfig'}",
            f"--authentication-kubeconfig={self.work_dir / 'kcm.kubeconfig'}",
            f"--authorization-kubeconfig={self.work_dir / 'kcm.kubeconfig'}",
            "--leader-elect=false", "--bind-address=127.0.0.1", f"--secure-port={kcm_port}",
            f"--cert-dir={self.work_dir / 'kcm-certs'}", always_allow,
            f"--service-account-private-key-file={self.sa_private}", f"--root-ca-file={self.ca.cert_path}",
            "--use-service-account-credentials=true", "--controllers=*",
            # Without leader election the controller-manager's watches back off up to 30 s after an
            # API server restart; with a 40 s grace it then takes the kwok nodes for dead and marks
            # every pod NotReady (a PostgreSQL blip the restart tests never meant to inject).
            "--node-monitor-grace-period=120s", "--kube-api-qps=100", "--kube-api-burst=200",
            "--concurrent-deployment-syncs=10", "--concurrent-statefulset-syncs=10",
        ])
        sched = self._component("kube-scheduler", [
            str(self.bin_dir / "kube-scheduler"),
            f"--kubeconfig={self.work_dir / 'scheduler.kubeconfig'}",
            f"--authentication-kubeconfig={self.work_dir / 'scheduler.kubeconfig'}",
            f"--authorization-kubeconfig={self.work_dir / 'scheduler.kubeconfig'}",
            "--leader-elect=false", "--bind-address=127.0.0.1", f"--secure-port={sched_port}",
            f"--cert-dir={self.work_dir / 'scheduler-certs'}", always_allow,
        ])
        self._write_kwok_config()
        kwok_port = free_port()
        kwok = self._component("kwok", [
            str(self.bin_dir / "kwok"), f"--kubeconfig={self.work_dir / 'kwok.kubeconfig'}",
            f"--config={self.work_dir / 'kwok.yaml'}", "--manage-all-nodes=true",
            "--node-ip=127.0.0.1", "--node-name=localhost", f"--node-port={kwok_port}",
            f"--server-address=127.0.0.1:{kwok_port}", f"--cidr={POD_CIDR}",
            f"--tls-cert-file={self.serving_cert[0]}", f"--tls-private-key-file={self.serving_cert[1]}",
            "--node-lease-duration-seconds=40",
        ])
        wait_until(lambda: self._https_ok(kcm_port, "/healthz", client_cert=False), 60,
                   "kube-controller-manager /healthz", alive=[kcm])
        wait_until(lambda: self._https_ok(sched_port, "/healthz", client_cert=False), 60,
                   "kube-scheduler /healthz", alive=[sched])
        kwok.check_alive()

    def _write_kwok_config(self) -> None:
        """kwok's own stages (from its module), with pod-ready skipping fault-injected pods, plus ours."""
        stages = []
        for path in sorted((self.bin_dir / "kwok-stages").glob("*.yaml")):
            for doc in yaml.safe_load_all(path.read_text()):
                if doc and doc["metadata"]["name"] == "pod-ready":
                    doc["spec"]["selector"]["matchExpressions"].append(
                        {"key": '.metadata.labels["sim.orch.dev/pod-fault"]', "operator": "DoesNotExist"})
                if doc:
                    stages.append(doc)
        for path in sorted((HERE / "kwok").glob("*.yaml")):
            stages += [d for d in yaml.safe_load_all(path.read_text()) if d]
        self.pod_log_file.parent.mkdir(parents=True, exist_ok=True)
        self.pod_log_file.write_text("")
        self.previous_pod_log_file.write_text("")
        self.append_pod_log("container started (log served by kwok from the harness's pod log file)")
        self.append_pod_log("before the restart", previous=True)
        stages.append({"apiVersion": "kwok.x-k8s.io/v1alpha1", "kind": "ClusterLogs", "metadata": {"name": "all-pods"},
                       "spec": {"logs": [{"logsFile": str(self.pod_log_file),
                                          "previousLogsFile": str(self.previous_pod_log_file)}]}})
        (self.work_dir / "kwok.yaml").write_text(yaml.safe_dump_all(stages))

    def append_pod_log(self, line: str, *, previous: bool = False, stream: str = "stdout") -> None:
        """One line of every container's log (CRI format; kwok reads the file at each `pods/log` request)."""
        import datetime

        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        path = self.previous_pod_log_file if previous else self.pod_log_file
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(f"{stamp} {stream} F {line}\n")

    def _create_nodes(self) -> None:
        core = self._core()
        for i in range(NODE_COUNT):
            name = f"kwok-node-{i}"
            body = {
                "apiVersion": "v1", "kind": "Node",
                "metadata": {
                    "name": name,
                    "annotations": {"node.alpha.kubernetes.io/ttl": "0", "kwok.x-k8s.io/node": "fake"},
                    "labels": {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
                               "kubernetes.io/arch": "amd64", "type": "kwok",
                               "node-role.kubernetes.io/worker": ""},
                },
                "status": {
                    "capacity": {"cpu": "32", "memory": "256Gi", "pods": "110", "ephemeral-storage": "1Ti"},
                    "allocatable": {"cpu": "32", "memory": "256Gi", "pods": "110", "ephemeral-storage": "1Ti"},
                },
            }
            core.create_node(body)

    def _start_provisioner(self) -> None:
        self.apply_manifests([{
            "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
            "metadata": {"name": "standard",
                         "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
            "provisioner": PV_PROVISIONER, "reclaimPolicy": "Delete", "volumeBindingMode": "Immediate",
        }])
        self._python_component("provisioner", "tests.cluster.provisioner")

    def _python_component(self, name: str, module: str, *args: str) -> Component:
        env = self.env()
        env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
        return self._component(name, [sys.executable, "-u", "-m", module, "--kubeconfig", str(self.kubeconfig),
                                      *args], env=env, cwd=str(REPO))

    # ---- real operators "in their pods" (tests/cluster/supervisor.py) ---------------------------

    def _start_supervisor(self) -> None:
        self.supervisor_dir.mkdir(exist_ok=True)
        self.supervised = operators.supervised(self)  # the real operators of the flavour and `self.real`
        self._write_supervisor_spec()
        self._python_component("supervisor", "tests.cluster.supervisor",
                               "--spec", str(self.supervisor_dir / "spec.json"),
                               "--work-dir", str(self.supervisor_dir), "--log-dir", str(self.log_dir),
                               "--bin-dir", str(self.bin_dir))

    def _write_supervisor_spec(self) -> None:
        spec = self.supervisor_dir / "spec.json"
        tmp = spec.with_suffix(".tmp")
        tmp.write_text(json.dumps([op.to_dict() for op in self.supervised], indent=2))
        tmp.replace(spec)

    def supervise(self, *ops: SupervisedOperator) -> None:
        """Adds (or replaces, by deployment and namespace) supervised operators at run time."""
        keys = {(op.deployment, op.namespace) for op in ops}
        self.supervised = [o for o in self.supervised if (o.deployment, o.namespace) not in keys] + list(ops)
        self._write_supervisor_spec()

    def supervisor_state(self) -> dict:
        """What the supervisor runs now: {"<namespace>/<deployment>": {operator, running, pid,
        user, starts, started_at, log}}."""
        path = self.supervisor_dir / STATE_FILE
        try:
            return json.loads(path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return {}

    def _install_openshift_platform(self, version: str) -> None:
        """Platform stand-ins (ClusterVersion, Ingress, Route, PackageManifest CRDs), then real OLM
        with its own CRDs and the opm-served catalog (tests/cluster/olm.py)."""
        if not olm.available(self.bin_dir):
            raise RuntimeError(f"{self.bin_dir} has no OLM/opm binaries: build them with "
                               "tests/cluster/build/build-binaries.sh (components olm, opm)")
        crd_dir = HERE / "crds" / "openshift"
        crds = olm.crds(self.bin_dir)
        for name in ("config.openshift.io.yaml", "route.openshift.io.yaml", "packagemanifests.yaml"):
            crds += [d for d in yaml.safe_load_all((crd_dir / name).read_text()) if d]
        self.apply_manifests(crds)
        self.wait_crds_established([c["metadata"]["name"] for c in crds])
        self.apply_manifests([d for d in yaml.safe_load_all((crd_dir / "platform-objects.yaml").read_text()) if d])
        self.set_openshift_version(version)
        self.catalog = olm.start(self)

    def serve_catalog(self, hidden=frozenset(), channel_heads: dict | None = None) -> str:
        """Re-serves the test catalog without `hidden` packages and with channels cut at
        `channel_heads` ({"package/channel": csv}); no arguments: the whole catalog again."""
        return olm.serve_catalog(self, frozenset(hidden), channel_heads)

    def _install_kubernetes_platform(self) -> None:
        """What a Kubernetes user's cluster has besides the default StorageClass: an ingress controller's
        IngressClass (Contour's, the user's guide's), and a mirror of the operators' release manifests."""
        from tests.cluster.mirror import ManifestMirror

        self.apply_manifests([INGRESS_CLASS])
        self.mirror = ManifestMirror(self.work_dir / "mirror" / "manifests", free_port(), self.bin_dir)

    @property
    def manifest_pins(self) -> Path | None:
        """The pins file of the stand-in release manifests (ORCH_MANIFEST_PINS), vanilla only."""
        return self.mirror.pins_file if self.mirror is not None else None

    def set_openshift_version(self, version: str) -> None:
        """Sets ClusterVersion `version` status as the cluster-version operator would."""
        from kubernetes import client

        api = client.CustomObjectsApi(self.api_client())
        status = {"desired": {"version": version, "image": f"quay.io/openshift-release-dev/ocp-release:{version}"},
                  "history": [{"state": "Completed", "version": version,
                               "startedTime": "2026-01-01T00:00:00Z", "completionTime": "2026-01-01T00:30:00Z"}]}
        api.patch_cluster_custom_object_status("config.openshift.io", "v1", "clusterversions", "version",
                                               {"status": status})

    def _start_simulators(self) -> None:
        self._python_component("simulators", "tests.sim", "--log-file", str(self.log_dir / "simulators.log"),
                               *(f"--real={name}" for name in sorted(self.real)))

    def _wait_ready(self) -> None:
        core = self._core()

        def nodes_ready():
            nodes = core.list_node().items
            return len(nodes) == NODE_COUNT and all(
                any(c.type == "Ready" and c.status == "True" for c in (n.status.conditions or [])) for n in nodes)

        alive = list(self.components.values())
        wait_until(nodes_ready, 60, "kwok nodes Ready", alive=alive)
        wait_until(lambda: core.read_namespaced_service_account("default", "default"), 60,
                   "ServiceAccount default/default", alive=alive)

    # ---- helpers used by tests -------------------------------------------------------------

    def _core(self):
        from kubernetes import client

        return client.CoreV1Api(self.api_client())

    def apply_manifests(self, docs: list[dict]) -> None:
        from kubernetes import dynamic

        dyn = dynamic.DynamicClient(self.api_client())
        for doc in docs:
            resource = dyn.resources.get(api_version=doc["apiVersion"], kind=doc["kind"])
            ns = doc["metadata"].get("namespace") if resource.namespaced else None
            dyn.server_side_apply(resource, body=doc, namespace=ns, field_manager=FIELD_MANAGER,
                                  force_conflicts=True)
            if doc["kind"] == "CustomResourceDefinition":
                dyn.resources.invalidate_cache()

    def wait_crds_established(self, names: list[str], timeout: float = 30) -> None:
        from kubernetes import client

        ext = client.ApiextensionsV1Api(self.api_client())

        def established(name):
            crd = ext.read_custom_resource_definition(name)
            return any(c.type == "Established" and c.status == "True" for c in (crd.status.conditions or []))

        for name in names:
            wait_until(lambda: established(name), timeout, f"CRD {name} Established")

    def describe(self) -> dict:
        return {"flavor": self.flavor, "real": sorted(self.real), "server": self.server, "kubeconfig": str(self.kubeconfig),
                "log_dir": str(self.log_dir), "simulators": self.with_simulators,
                "manifest_pins": str(self.manifest_pins) if self.manifest_pins else None,
                "components": {n: c.process.pid for n, c in self.components.items() if c.process}}


def main() -> None:  # pragma: no cover - convenience for a quick manual check
    with Cluster.start(sys.argv[1] if len(sys.argv) > 1 else "vanilla") as c:
        print(json.dumps(c.describe(), indent=2))


if __name__ == "__main__":
    main()
