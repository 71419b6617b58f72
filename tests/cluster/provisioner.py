"""A tiny dynamic volume provisioner for the test cluster.

The StorageClass `standard` names this provisioner. For each claim the
controller-manager hands to it (annotation volume.kubernetes.io/storage-provisioner)
it creates a hostPath PersistentVolume pre-bound to the claim; the real PV binder
then binds them. Released volumes it provisioned are deleted (reclaimPolicy Delete).
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
import time

from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

PROVISIONER = "orch.test/fake-provisioner"
log = logging.getLogger("provisioner")


def wants_volume(pvc) -> bool:
    annotations = pvc.metadata.annotations or {}
    asked = annotations.get("volume.kubernetes.io/storage-provisioner") or annotations.get(
        "volume.beta.kubernetes.io/storage-provisioner")
    return asked == PROVISIONER and not pvc.spec.volume_name and pvc.status.phase == "Pending" \
        and pvc.metadata.deletion_timestamp is None


def provision(core: client.CoreV1Api, pvc) -> None:
    name = f"pvc-{pvc.metadata.uid}"
    size = (pvc.spec.resources.requests or {}).get("storage", "1Gi")
    body = {
        "apiVersion": "v1", "kind": "PersistentVolume",
        "metadata": {"name": name, "annotations": {"pv.kubernetes.io/provisioned-by": PROVISIONER}},
        "spec": {
            "capacity": {"storage": size},
            "accessModes": pvc.spec.access_modes or ["ReadWriteOnce"],
            "persistentVolumeReclaimPolicy": "Delete",
            "storageClassName": pvc.spec.storage_class_name,
            "hostPath": {"path": f"/var/lib/orch-fake-pv/{name}"},
            "claimRef": {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "namespace": pvc.metadata.namespace,
                         "name": pvc.metadata.name, "uid": pvc.metadata.uid},
        },
    }
    try:
        core.create_persistent_volume(body)
        log.info("provisioned %s for %s/%s", name, pvc.metadata.namespace, pvc.metadata.name)
    except ApiException as exc:
        if exc.status != 409:
            raise


def reclaim(core: client.CoreV1Api, pv) -> None:
    ours = (pv.metadata.annotations or {}).get("pv.kubernetes.io/provisioned-by") == PROVISIONER
    if ours and pv.status.phase == "Released" and pv.metadata.deletion_timestamp is None:
        try:
            core.delete_persistent_volume(pv.metadata.name)
            log.info("deleted released %s", pv.metadata.name)
        except ApiException as exc:
            if exc.status != 404:
                raise


def run_forever(list_fn, handle, stop: threading.Event) -> None:
    """List, then watch from the list's resourceVersion; relist on 410 Gone or any drop."""
    while not stop.is_set():
        try:
            listing = list_fn()
            for item in listing.items:
                handle(item)
            for event in watch.Watch().stream(list_fn, resource_version=listing.metadata.resource_version,
                                              timeout_seconds=60):
                handle(event["object"])
                if stop.is_set():
                    return
        except Exception as exc:  # apiserver restarts in fault tests; keep going
            log.info("watch interrupted (%s); relisting", type(exc).__name__)
            stop.wait(1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kubeconfig", required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    core = client.CoreV1Api(config.new_client_from_config(args.kubeconfig))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    threads = [
        threading.Thread(target=run_forever, daemon=True, args=(
            core.list_persistent_volume_claim_for_all_namespaces,
            lambda pvc: wants_volume(pvc) and provision(core, pvc), stop)),
        threading.Thread(target=run_forever, daemon=True, args=(
            core.list_persistent_volume, lambda pv: reclaim(core, pv), stop)),
    ]
    for t in threads:
        t.start()
    while not stop.is_set():
        time.sleep(0.5)


if __name__ == "__main__":
    main()
