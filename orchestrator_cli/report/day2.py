"""Renderers for the day-2 commands: report.py's reporters with day-2 closing summaries.

The library emits the same observer events as install (check results, step/change events,
waits, info/warn, one summary dict); only the closing summary differs per command, so these
subclasses override `summary` alone. JSON output is report.JsonReporter unchanged.
"""

from __future__ import annotations

from typing import Any

from orchestrator_cli.report import reporters as report


class _Day2Summary:
    checks_title = "Status"

    def summary(self, data: dict) -> None:
        report.BaseReporter.summary(self, data)  # type: ignore[arg-type]
        line = self._line  # type: ignore[attr-defined]
        command = data.get("command")
        if command != "version":  # version's lines are the whole output, not a closing summary
            line("")
        if command == "status":
            state = "healthy" if data["healthy"] else f"UNHEALTHY ({', '.join(data['problems'])})"
            line(f"Orchestrator {data['version']} ({data['orchestrator_cr']}): {state}")
            if data.get("warnings"):
                line(f"Warnings: {', '.join(data['warnings'])}")
            if data.get("backstage_url"):
                line(f"Backstage URL: {data['backstage_url']}")
            pg = data.get("postgres") or {}
            line(f"PostgreSQL: {pg.get('service')} in {pg.get('namespace')} "
                 f"({'deployed by orch' if pg.get('deployed_by_orch') else 'external'}), database {pg.get('database')}")
            for ns in data.get("namespaces", []):
                line(f"Workflow namespace {ns['namespace']} ({ns['role']}): "
                     f"{'complete' if ns['complete'] else 'INCOMPLETE'}, {len(ns['workflows'])} workflow(s)")
            for wf in data.get("workflows", []):
                conds = ", ".join(f"{c['type']}={c['status']}" for c in wf["conditions"]) or "no conditions"
                line(f"Workflow {wf['namespace']}/{wf['name']}: {conds}")
        elif command == "list-namespaces":
            for ns in data.get("namespaces", []):
                owner = "created by orch" if ns["created_by_orch"] else (
                    "enabled by orch" if ns["enabled_by_orch"] else "not by orch")
                line(f"{ns['namespace']:<32} {ns['role']:<9} {'complete' if ns['complete'] else 'INCOMPLETE':<10} "
                     f"{owner:<16} workflows: {', '.join(ns['workflows']) or '-'}")
        elif command == "workflow":
            namespace_lines(line, data)
        elif command == "version":
            version_lines(line, data)
        elif command == "support-bundle":
            bundle_lines(line, data)
        elif command == "cleanup":
            if data.get("nothing_to_do"):
                line("Nothing of orch's left to clean up.")
            elif data["dry_run"]:
                count = sum(len(p["targets"]) for p in data["plan"]["phases"])
                line(f"Dry run: cleanup would delete or release {count} object(s) (listed above); nothing written.")
            else:
                line(f"Cleanup finished: {data['deleted']} object(s) deleted.")
            if data["plan"]["kept"]:
                line(f"Kept {len(data['plan']['kept'])} object(s) (listed above with the reason).")


def namespace_lines(line, data: dict) -> None:
    """add-namespace / remove-namespace: one line per namespace (and the workflows patched in it)."""
    verb = {"add": "enabled", "remove": "disabled"}[data["action"]]
    for ns in data["namespaces"]:
        name = ns["namespace"]
        if ns["error"] is not None:
            line(f"{name}: FAILED: {ns['error']['message']}")
        elif not ns["changed"]:
            line(f"{name}: nothing to change" + (" (already enabled)" if data["action"] == "add" else ""))
        elif data["dry_run"]:
            line(f"{name}: dry run, nothing written (the plan is above)")
        else:
            line(f"{name}: {verb} as a workflow namespace")
        if ns["patched_workflows"]:
            line(f"  {'Would patch' if data['dry_run'] else 'Patched'} SonataFlow serviceRef.namespace: "
                 + ", ".join(ns["patched_workflows"]))
    if len(data["namespaces"]) > 1:
        ok = len(data["namespaces"]) - len(data["failed"])
        line(f"{ok} of {len(data['namespaces'])} namespaces {'planned' if data['dry_run'] else 'done'}"
             + (f"; failed: {', '.join(data['failed'])}" if data["failed"] else ""))


def version_lines(line, data: dict) -> None:
    client = data["client"]
    line(f"Client: orch {client['version']} (Python {client['python']})")
    cluster = data.get("cluster")
    if cluster is None:
        return
    if not cluster.get("reachable"):
        line(f"Cluster: not reachable ({cluster.get('error')})")
        return
    platform = f", OpenShift {cluster['openshift']}" if cluster.get("openshift") else ""
    line(f"Cluster: {cluster['server']}: Kubernetes {cluster.get('kubernetes')}{platform}")
    orch = cluster.get("orchestrator") or {}
    if orch.get("installed") is None:
        line(f"Orchestrator: unknown ({orch.get('error')})")
        return
    if not orch["installed"]:
        line("Orchestrator: not installed")
        return
    line(f"Orchestrator: {orch['generation']} ({orch['cr']}, {orch['cr_api_version']}"
         f"{'' if orch['managed_by_orch'] else ', not installed by orch'})")
    for op in cluster.get("operators", []):
        if not op["found"]:
            line(f"  {op['component']:<27} Subscription not found ({op['subscription']})")
            continue
        line(f"  {op['component']:<27} {op.get('installed_csv') or 'no CSV installed yet':<40} "
             f"{op.get('version') or '-':<10} {op.get('phase') or '-'}")
    bs = cluster.get("backstage") or {}
    if not bs.get("managed"):
        line(f"Backstage: existing RHDH in {bs.get('namespace')} (not managed by orch)")
    else:
        line(f"Backstage: {', '.join(bs['images']) or 'Deployment not found'}"
             + (f" (RHDH operator {bs['rhdh_version']})" if bs.get("rhdh_version") else ""))


BUNDLE_LIST_LIMIT = 60  # files listed by name; the rest are counted (`tar tzf FILE` lists them all)


def human_size(n: int) -> str:
    for unit in ("B", "KiB", "MiB"):
        if n < 1024 or unit == "MiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"  # pragma: no cover


def bundle_lines(line, data: dict) -> None:
    files = data["files"]
    line(f"Support bundle {data['file']}: {human_size(data['size_bytes'])} compressed, {len(files)} file(s), "
         f"{len(data['namespaces'])} namespace(s), {data['seconds']}s")
    width = max((len(f["path"]) for f in files[:BUNDLE_LIST_LIMIT]), default=0)
    for f in files[:BUNDLE_LIST_LIMIT]:
        line(f"  {f['path']:<{width}}  {human_size(f['size']):>9}")
    if len(files) > BUNDLE_LIST_LIMIT:
        line(f"  ... and {len(files) - BUNDLE_LIST_LIMIT} more (tar tzf {data['file']} lists them all)")
    for note in data.get("notes", []):
        line(f"Note: {note}")
    if data.get("errors"):
        line(f"Not collected: {len(data['errors'])} item(s), listed in index.json and README.txt in the bundle")
    line("Attach the file to the ticket; every Secret value and every known secret in it is redacted.")


class Day2PlainReporter(_Day2Summary, report.PlainReporter):
    pass


class Day2RichReporter(_Day2Summary, report.RichReporter):
    pass


def make_reporter(output: str | None, *, stream: Any = None) -> report.BaseReporter:
    base = report.make_reporter(output, stream=stream)
    if isinstance(base, report.JsonReporter):
        return base
    if isinstance(base, report.RichReporter):
        return Day2RichReporter(base.out)
    return Day2PlainReporter(base.out)
