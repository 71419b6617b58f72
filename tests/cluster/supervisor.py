"""Runs real operator binaries "in the pod" of their Deployment.

kwok makes an operator's pod Ready but runs nothing in it. The supervisor closes that gap: for
each *supervised operator* (which Deployment → which binary, arguments, environment) it starts
the binary on the host when a matching Deployment is Available and stops it when that Deployment
is deleted or scaled to zero. The process gets what a container of that pod would get:

- a kubeconfig with a token of the pod's ServiceAccount (TokenRequest), so the RBAC the
  operator's manifests or CSV grant is exactly what it has;
- the container's environment (literal values; fieldRefs metadata.name / metadata.namespace /
  spec.serviceAccountName / status.podIP; configMapKeyRef / secretKeyRef), then the supervised
  operator's own `env` on top. Nothing else of the host's environment but PATH (so `CI` never
  reaches an operator).

A process that exits while its Deployment still wants it is restarted with a back-off (as a
kubelet restarts a crashed container); a change of the pod template (an upgrade: new image, env
or ServiceAccount) restarts it once the new rollout is Available.

    python -m tests.cluster.supervisor --kubeconfig ADMIN --spec SPEC.json --work-dir DIR --log-dir DIR

SPEC.json is a list of SupervisedOperator dicts, re-read when it changes; the supervisor writes
`supervisor-state.json` (what runs, as whom, since when) into its work dir after every change.
The contract is documented in docs/CONTRIBUTING-CONTRACTS.md.
"""

from __future__ import annotations

import argparse
import base64
import ctypes
import hashlib
import json
import logging
import os
import signal
import socket
import subprocess
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

log = logging.getLogger("supervisor")
TOKEN_SECONDS = 7 * 24 * 3600
STATE_FILE = "supervisor-state.json"


@dataclass(frozen=True)
class SupervisedOperator:
    """Which Deployment runs which binary.

    `argv` and `env` values may use placeholders: {kubeconfig} (the ServiceAccount kubeconfig),
    {namespace} (the Deployment's), {pod} (the pod name), {work} (a private working directory),
    {bin} (the test binaries directory), {port:NAME} (a free loopback port, one per NAME and start).
    `namespace` None matches the Deployment in any namespace (one process per namespace).
    `container` names the container whose environment the process gets (default: the first).
    """

    name: str
    deployment: str
    argv: tuple[str, ...]
    namespace: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    container: str | None = None

    @classmethod
    def from_dict(cls, d: dict) -> "SupervisedOperator":
        return cls(name=d["name"], deployment=d["deployment"], argv=tuple(d["argv"]),
                   namespace=d.get("namespace"), env=dict(d.get("env") or {}), container=d.get("container"))

    def to_dict(self) -> dict:
        return {**asdict(self), "argv": list(self.argv)}

    def matches(self, namespace: str, name: str) -> bool:
        return name == self.deployment and self.namespace in (None, namespace)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:
    """prctl(PR_SET_PDEATHSIG, SIGTERM): an operator never outlives a SIGKILLed supervisor."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)
    except OSError:
        pass


def deployment_wanted(dep: dict) -> bool:
    """Whether the Deployment's pod should be running its operator now (pure)."""
    md, spec, status = dep.get("metadata") or {}, dep.get("spec") or {}, dep.get("status") or {}
    if md.get("deletionTimestamp") or spec.get("replicas", 1) == 0:
        return False
    # A Deployment just scaled up from zero still reports the Available=True it had at zero.
    if not status.get("availableReplicas"):
        return False
    return any(c.get("type") == "Available" and c.get("status") == "True" for c in status.get("conditions") or [])


def rolled_out(dep: dict) -> bool:
    md, status = dep.get("metadata") or {}, dep.get("status") or {}
    want = (dep.get("spec") or {}).get("replicas", 1)
    return status.get("observedGeneration", 0) >= md.get("generation", 0) and \
        status.get("updatedReplicas", 0) >= want and deployment_wanted(dep)


def template_hash(dep: dict) -> str:
    return hashlib.sha256(json.dumps((dep.get("spec") or {}).get("template") or {},
                                     sort_keys=True).encode()).hexdigest()[:16]


def expand(text: str, values: dict[str, str], ports: dict[str, int]) -> str:
    """Fills {name} and {port:NAME} placeholders (pure apart from picking free ports)."""
    out, i = [], 0
    while i < len(text):
        j = text.find("{", i)
        if j < 0:
            out.append(text[i:])
            break
        k = text.find("}", j)
        if k < 0:
            out.append(text[i:])
            break
        out.append(text[i:j])
        key = text[j + 1:k]
        if key.startswith("port:"):
            ports.setdefault(key[5:], free_port())
            out.append(str(ports[key[5:]]))
        elif key in values:
            out.append(values[key])
        else:
            out.append(text[j:k + 1])
        i = k + 1
    return "".join(out)


class Instance:
    """One running operator process for one Deployment."""

    def __init__(self, op: SupervisedOperator, namespace: str, dep_name: str, sup: "Supervisor"):
        self.op, self.namespace, self.dep_name, self.sup = op, namespace, dep_name, sup
        self.key = f"{namespace}/{dep_name}"
        self.work = sup.work_dir / f"{op.name}-{namespace}"
        self.work.mkdir(parents=True, exist_ok=True)
        self.log_path = sup.log_dir / f"{op.name}-{namespace}.log"
        self.process: subprocess.Popen | None = None
        self.template = ""
        self.service_account = ""
        self.starts = 0
        self.next_start = 0.0
        self.started_at = ""

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, dep: dict) -> None:
        spec = dep["spec"]["template"]["spec"]
        sa = spec.get("serviceAccountName") or spec.get("serviceAccount") or "default"
        pod = self.sup.ready_pod(dep) or f"{self.dep_name}-supervised"
        kubeconfig = self.sup.service_account_kubeconfig(self.namespace, sa, self.work / "kubeconfig")
        values = {"kubeconfig": str(kubeconfig), "namespace": self.namespace, "pod": pod,
                  "work": str(self.work), "bin": str(self.sup.bin_dir)}
        ports: dict[str, int] = {}
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(self.work),
               "KUBECONFIG": str(kubeconfig)}
        env.update(self.sup.container_env(dep, self.op.container, pod, sa))
        env.update({k: expand(v, values, ports) for k, v in self.op.env.items()})
        argv = [expand(a, values, ports) for a in self.op.argv]
        logf = open(self.log_path, "ab")
        logf.write(f"\n=== supervisor: starting {self.op.name} for Deployment {self.key} as "
                   f"system:serviceaccount:{self.namespace}:{sa}: {' '.join(argv)}\n".encode())
        logf.flush()
        self.process = subprocess.Popen(argv, env=env, cwd=str(self.work), stdout=logf, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)
        logf.close()
        self.template, self.service_account = template_hash(dep), sa
        self.starts += 1
        self.started_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        log.info("started %s for %s (pid %d, ServiceAccount %s, start %d)", self.op.name, self.key,
                 self.process.pid, sa, self.starts)

    def stop(self, why: str) -> None:
        if self.process is None:
            return
        if self.running:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        log.info("stopped %s for %s (%s; exit %s)", self.op.name, self.key, why, self.process.returncode)
        self.process = None

    def state(self) -> dict:
        return {"operator": self.op.name, "deployment": self.dep_name, "namespace": self.namespace,
                "running": self.running, "pid": self.process.pid if self.running else None,
                "user": f"system:serviceaccount:{self.namespace}:{self.service_account}",
                "starts": self.starts, "started_at": self.started_at, "log": str(self.log_path)}


class Supervisor:
    def __init__(self, kubeconfig: Path, spec_path: Path, work_dir: Path, log_dir: Path, bin_dir: Path):
        from kubernetes import client, config

        self.api = config.new_client_from_config(str(kubeconfig))
        self.core = client.CoreV1Api(self.api)
        self.apps = client.AppsV1Api(self.api)
        kc = yaml.safe_load(kubeconfig.read_text())
        self.server = kc["clusters"][0]["cluster"]["server"]
        self.ca_data = kc["clusters"][0]["cluster"]["certificate-authority-data"]
        self.spec_path, self.work_dir, self.log_dir, self.bin_dir = spec_path, work_dir, log_dir, bin_dir
        self.spec_mtime = -1.0
        self.operators: list[SupervisedOperator] = []
        self.deployments: dict[str, dict] = {}
        self.instances: dict[str, Instance] = {}
        self.changed = threading.Event()
        self.lock = threading.Lock()

    # ---- what a container would get -----------------------------------------------------------

    def service_account_kubeconfig(self, namespace: str, sa: str, path: Path) -> Path:
        from kubernetes import client

        req = client.AuthenticationV1TokenRequest(spec=client.V1TokenRequestSpec(
            audiences=[], expiration_seconds=TOKEN_SECONDS))
        token = self.core.create_namespaced_service_account_token(sa, namespace, req).status.token
        user = f"system:serviceaccount:{namespace}:{sa}"
        path.write_text(yaml.safe_dump({
            "apiVersion": "v1", "kind": "Config",
            "clusters": [{"name": "cluster", "cluster": {"server": self.server,
                                                         "certificate-authority-data": self.ca_data}}],
            "users": [{"name": user, "user": {"token": token}}],
            "contexts": [{"name": "pod", "context": {"cluster": "cluster", "user": user, "namespace": namespace}}],
            "current-context": "pod",
        }))
        path.chmod(0o600)
        return path

    def ready_pod(self, dep: dict) -> str | None:
        labels = ((dep.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        selector = ",".join(f"{k}={v}" for k, v in labels.items())
        pods = self.core.list_namespaced_pod(dep["metadata"]["namespace"], label_selector=selector).items
        for pod in pods:
            if pod.metadata.deletion_timestamp is None and any(
                    c.type == "Ready" and c.status == "True" for c in (pod.status.conditions or [])):
                return pod.metadata.name
        return None

    def container_env(self, dep: dict, container: str | None, pod: str, sa: str) -> dict[str, str]:
        ns = dep["metadata"]["namespace"]
        containers = dep["spec"]["template"]["spec"].get("containers") or []
        chosen = next((c for c in containers if c.get("name") == container), None) if container else None
        chosen = chosen or (containers[0] if containers else {})
        fields = {"metadata.name": pod, "metadata.namespace": ns, "spec.serviceAccountName": sa,
                  "status.podIP": "127.0.0.1", "status.hostIP": "127.0.0.1"}
        env: dict[str, str] = {}
        for var in chosen.get("env") or []:
            name, source = var["name"], var.get("valueFrom") or {}
            if "value" in var or not source:
                env[name] = var.get("value") or ""
            elif "fieldRef" in source:
                env[name] = fields.get(source["fieldRef"].get("fieldPath", ""), "")
            elif "configMapKeyRef" in source:
                ref = source["configMapKeyRef"]
                try:
                    env[name] = (self.core.read_namespaced_config_map(ref["name"], ns).data or {}).get(ref["key"], "")
                except Exception:  # noqa: BLE001 - optional references are common
                    env[name] = ""
            elif "secretKeyRef" in source:
                ref = source["secretKeyRef"]
                try:
                    raw = (self.core.read_namespaced_secret(ref["name"], ns).data or {}).get(ref["key"], "")
                    env[name] = base64.b64decode(raw).decode() if raw else ""
                except Exception:  # noqa: BLE001
                    env[name] = ""
        return env

    # ---- the loop -----------------------------------------------------------------------------

    def load_spec(self) -> None:
        try:
            mtime = self.spec_path.stat().st_mtime
        except FileNotFoundError:
            return
        if mtime == self.spec_mtime:
            return
        self.spec_mtime = mtime
        self.operators = [SupervisedOperator.from_dict(d) for d in json.loads(self.spec_path.read_text() or "[]")]
        log.info("supervising %s", ", ".join(f"{o.deployment} -> {o.name}" for o in self.operators) or "nothing")

    def operator_for(self, namespace: str, name: str) -> SupervisedOperator | None:
        return next((o for o in self.operators if o.matches(namespace, name)), None)

    def watch_deployments(self, stop: threading.Event) -> None:
        from kubernetes import watch

        while not stop.is_set():
            try:
                listing = self.api.sanitize_for_serialization(self.apps.list_deployment_for_all_namespaces())
                with self.lock:
                    self.deployments = {f"{d['metadata']['namespace']}/{d['metadata']['name']}": d
                                        for d in listing.get("items") or []}
                self.changed.set()
                rv = listing["metadata"]["resourceVersion"]
                for event in watch.Watch().stream(self.apps.list_deployment_for_all_namespaces,
                                                  resource_version=rv, timeout_seconds=60):
                    obj = self.api.sanitize_for_serialization(event["object"])
                    key = f"{obj['metadata']['namespace']}/{obj['metadata']['name']}"
                    with self.lock:
                        if event["type"] == "DELETED":
                            self.deployments.pop(key, None)
                        else:
                            self.deployments[key] = obj
                    self.changed.set()
                    if stop.is_set():
                        return
            except Exception as exc:  # noqa: BLE001 - apiserver restarts in fault tests: relist
                log.debug("deployment watch interrupted (%s); relisting", type(exc).__name__)
                stop.wait(1)

    def reconcile(self) -> None:
        self.load_spec()
        with self.lock:
            deployments = dict(self.deployments)
        now = time.monotonic()
        for key, dep in deployments.items():
            ns, name = key.split("/", 1)
            op = self.operator_for(ns, name)
            if op is None:
                continue
            inst = self.instances.get(key)
            if not deployment_wanted(dep):
                if inst is not None and inst.running:
                    inst.stop("Deployment scaled to zero or being deleted" if dep["metadata"].get("deletionTimestamp")
                              or (dep.get("spec") or {}).get("replicas", 1) == 0 else "Deployment not Available")
                continue
            if inst is None or inst.op != op:
                if inst is not None:
                    inst.stop("supervised operator changed")
                inst = self.instances[key] = Instance(op, ns, name, self)
            if inst.running and inst.template != template_hash(dep) and rolled_out(dep):
                inst.stop("pod template changed")
            if not inst.running and now >= inst.next_start:
                if inst.process is not None:  # it exited by itself: back off like a kubelet
                    log.warning("%s for %s exited with %s; restarting", op.name, key, inst.process.returncode)
                    inst.process = None
                try:
                    inst.start(dep)
                    inst.next_start = now + min(30.0, 2.0 ** min(inst.starts, 5))
                except Exception as exc:  # noqa: BLE001 - e.g. the ServiceAccount is not there yet
                    log.info("cannot start %s for %s yet: %s", op.name, key, exc)
                    inst.next_start = now + 2
        for key, inst in list(self.instances.items()):
            ns, name = key.split("/", 1)
            if key not in deployments or self.operator_for(ns, name) != inst.op:
                if inst.running:
                    inst.stop("Deployment deleted" if key not in deployments else "no longer supervised")
                del self.instances[key]
        self.write_state()

    def write_state(self) -> None:
        state = {key: inst.state() for key, inst in sorted(self.instances.items())}
        path = self.work_dir / STATE_FILE
        text = json.dumps(state, indent=2)
        if not path.exists() or path.read_text() != text:
            tmp = path.with_suffix(".tmp")
            tmp.write_text(text)
            tmp.replace(path)

    def run(self, stop: threading.Event) -> None:
        threading.Thread(target=self.watch_deployments, args=(stop,), daemon=True).start()
        while not stop.is_set():
            self.changed.wait(1.0)
            self.changed.clear()
            try:
                self.reconcile()
            except Exception:  # noqa: BLE001 - keep supervising
                log.exception("reconcile failed")
        for inst in self.instances.values():
            inst.stop("supervisor stopping")
        self.write_state()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.cluster.supervisor", description=__doc__)
    parser.add_argument("--kubeconfig", required=True, type=Path)
    parser.add_argument("--spec", required=True, type=Path)
    parser.add_argument("--work-dir", required=True, type=Path)
    parser.add_argument("--log-dir", required=True, type=Path)
    parser.add_argument("--bin-dir", required=True, type=Path)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("kubernetes").setLevel(logging.WARNING)
    logging.getLogger("urllib3").setLevel(logging.WARNING)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    args.work_dir.mkdir(parents=True, exist_ok=True)
    Supervisor(args.kubeconfig, args.spec, args.work_dir, args.log_dir, args.bin_dir).run(stop)


if __name__ == "__main__":
    main()
