"""The `orch support-bundle` command: run the collectors into one archive; report progress, size, contents.

Read-only towards the cluster: only GET/LIST requests (no lock, no review, no apply), which the e2e
test proves from the API server's audit log. The only thing written is the archive itself.
"""

from __future__ import annotations

import json
import time

from orchestrator_cli import __version__
from orchestrator_cli.support.archive import BundleWriter, default_name, validate_target
from orchestrator_cli.support.collectors import COLLECTORS, BundleContext, bundle_namespaces

README = """orch support bundle
===================

Made by orch {version} at {when} from {server}.
Orchestrator: {orchestrator}.
Namespaces: {namespaces}.

What is here (one file per kind and namespace, as `kubectl get -o yaml` would show them):
  cluster/            versions (orch version -o json), nodes, the namespaces below
  cluster-scoped/     cluster-scoped custom resources (SonataFlowClusterPlatform)
  namespaces/NS/      CRs, Subscriptions/InstallPlans/CSVs, Deployments/StatefulSets/Pods/PVCs,
                      Events (events.txt: one line each, oldest first), NetworkPolicies, Services,
                      Routes, Secrets (keys only), logs/POD/CONTAINER.log
  orch-status.json    `orch status -o json`
  index.json          every file with its size; what could not be collected and why

Secrets: every Secret value is replaced by <redacted>; every value of a secret-like key (password,
token, secret, key, credential, certificate...) is also removed wherever else it appears (CR specs,
environment variables, logs). ConfigMaps are not collected.

Not collected or partly collected:
{problems}
"""


def _target(opts):
    return validate_target(opts.extra.get("file") or default_name())


def support_bundle(opts, reporter) -> None:
    from orchestrator_cli.day2.common import _connect
    from orchestrator_cli.generations.detect import detect_optional

    target = _target(opts)  # bad input: one line, before connecting, nothing written
    kube = _connect(opts)
    started = time.monotonic()
    inst = detect_optional(kube)
    all_namespaces, _ = kube.list("v1", "Namespace")
    ctx = BundleContext(kube=kube, inst=inst, namespaces=bundle_namespaces(inst, all_namespaces),
                        namespace_objects=all_namespaces, day2_opts=opts)
    root = target.name[: -len(".tar.gz")] if target.name.endswith(".tar.gz") else target.name[: -len(".tgz")]
    writer = BundleWriter(target, root)
    reporter.info(f"collecting into {target} from {len(ctx.namespaces)} namespace(s): {', '.join(ctx.namespaces)}")
    try:
        for i, collector in enumerate(COLLECTORS):
            reporter.progress("support-bundle", i, len(COLLECTORS), collector.description, started=True)
            before = len(writer.entries)
            for path, text in collector.collect(ctx):
                writer.add(path, text)
            reporter.progress("support-bundle", i + 1, len(COLLECTORS),
                              f"{collector.description}: {len(writer.entries) - before} file(s)")
        problems = [*ctx.notes, *ctx.errors]
        index = {"orch_version": __version__, "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                 "server": kube.server, "orchestrator": inst.version if inst else None,
                 "namespaces": ctx.namespaces, "collectors": [c.id for c in COLLECTORS],
                 "files": list(writer.entries), "notes": ctx.notes, "errors": ctx.errors}
        writer.add("index.json", json.dumps(index, indent=2))
        writer.add("README.txt", README.format(
            version=__version__, when=index["created"], server=kube.server,
            orchestrator=f"{inst.version} ({inst.cr_ref})" if inst else "no Orchestrator CR found",
            namespaces=", ".join(ctx.namespaces) or "-",
            problems="\n".join(f"  - {p}" for p in problems) or "  nothing"))
        size = writer.close()
    except BaseException:
        writer.abort()  # Ctrl-C, SIGTERM, a bug: no half-written FILE is left behind
        raise
    reporter.summary({"command": "support-bundle", "file": str(target), "size_bytes": size,
                      "files": writer.entries, "namespaces": ctx.namespaces,
                      "orchestrator": inst.version if inst else None, "notes": ctx.notes, "errors": ctx.errors,
                      "seconds": round(time.monotonic() - started, 1)})
