"""Closing summaries of `orch workflow install / list / uninstall` (plain and Rich; JSON is JsonReporter's)."""

from __future__ import annotations

from typing import Any

from orchestrator_cli.report import day2
from orchestrator_cli.report import reporters as report

RUN_FROM_BACKSTAGE = "in Backstage: Orchestrator -> Workflows -> {name} -> Run"


class _WorkflowSummary(day2._Day2Summary):
    def summary(self, data: dict) -> None:
        command = data.get("command")
        if command not in ("workflow-install", "workflow-list", "workflow-uninstall"):
            return super().summary(data)
        report.BaseReporter.summary(self, data)  # type: ignore[arg-type]
        line = self._line  # type: ignore[attr-defined]
        line("")
        if command == "workflow-install":
            what = f"{data['chart']} {data['chart_version']} in {data['namespace']}"
            if data["dry_run"]:
                line(f"Dry run: {what} would be {_verb(data['release'])}; nothing written.")
            elif not data["changed"]:
                line(f"Workflow {what}: already installed and wired; nothing changed.")
            else:
                line(f"Workflow {what}: {_verb(data['release'])}, wired and running.")
            if not data["dry_run"]:
                for url in data["served_at"]:
                    line(f"Served in the cluster at {url}")
                if data.get("backstage_url"):
                    line(f"Backstage URL: {data['backstage_url']}")
                for flow in data["sonataflows"]:
                    line("Run it " + RUN_FROM_BACKSTAGE.format(name=flow))
        elif command == "workflow-list":
            rows = data["workflows"]
            if not rows:
                line(f"No workflows (Orchestrator {data['orchestrator_version']}); "
                     "install one with `orch workflow install greeting`.")
            if rows:
                line(f"{'WORKFLOW':<40} {'CHART':<28} {'FOR ' + data['orchestrator_version']:<12} STATE")
            for r in rows:
                chart = f"{r['chart']}-{r['chart_version']}" if r["chart"] else \
                    {"project": "(orch workflow deploy)"}.get(r.get("source"), "(not from a chart)")
                compat = {True: "compatible", False: "INCOMPATIBLE", None: "-"}[r["compatible"]]
                state = "Running" if r["running"] else f"not running: {r['reason']}"
                if r["running"] and r["reason"]:
                    state += f" ({r['reason']})"
                line(f"{r['namespace'] + '/' + r['name']:<40} {chart:<28} {compat:<12} {state}")
        else:
            if data["nothing_to_do"]:
                line(f"Workflow {data['workflow']} is not installed in {data['namespace']}; nothing to remove.")
            elif data["dry_run"]:
                line(f"Dry run: uninstalling {data['workflow']} would remove {len(data['removed'])} object(s) "
                     "(listed above); nothing written.")
            else:
                line(f"Workflow {data['workflow']} uninstalled from {data['namespace']}: "
                     f"{len(data['removed'])} object(s) removed (the namespace's PostgreSQL secret and labels stay).")


def _verb(action: str) -> str:
    return {"create": "installed", "update": "upgraded", "unchanged": "left as it is"}.get(action, action)


class WorkflowPlainReporter(_WorkflowSummary, report.PlainReporter):
    pass


class WorkflowRichReporter(_WorkflowSummary, report.RichReporter):
    pass


class WorkflowYamlReporter(_WorkflowSummary, report.YamlReporter):
    pass


def make_reporter(output: str | None, *, stream: Any = None) -> report.BaseReporter:
    base = report.make_reporter(output, stream=stream)
    if isinstance(base, report.JsonReporter):
        return base
    if isinstance(base, report.YamlReporter):
        return WorkflowYamlReporter(base.manifest_out)
    if isinstance(base, report.RichReporter):
        return WorkflowRichReporter(base.out)
    return WorkflowPlainReporter(base.out)
