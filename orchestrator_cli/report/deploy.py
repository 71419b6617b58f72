"""Renderers for `orch workflow deploy`: report.py's reporters with the deploy's closing summary."""

from __future__ import annotations

from typing import Any

from orchestrator_cli.report import reporters as report


class _DeploySummary:
    def summary(self, data: dict) -> None:
        report.BaseReporter.summary(self, data)  # type: ignore[arg-type]
        line = self._line  # type: ignore[attr-defined]
        line("")
        where = f"{data['workflow']} in {data['namespace']}"
        if data["dry_run"]:
            line(f"Dry run: {where} would be " + ("updated (plan above)" if data["changed"] else "left as is")
                 + "; nothing written.")
        elif data["changed"]:
            line(f"Workflow {where}: deployed ({data['image']}) and Running.")
        else:
            line(f"Workflow {where}: already deployed as is; nothing changed. Running.")
        if data.get("namespace_prepared"):
            line(f"{data['namespace']} was " + ("would be " if data["dry_run"] else "")
                 + "enabled as a workflow namespace (as orch workflow add-namespace does).")


class DeployPlainReporter(_DeploySummary, report.PlainReporter):
    pass


class DeployRichReporter(_DeploySummary, report.RichReporter):
    pass


class DeployYamlReporter(_DeploySummary, report.YamlReporter):
    pass


def make_reporter(output: str | None, *, stream: Any = None) -> report.BaseReporter:
    base = report.make_reporter(output, stream=stream)
    if isinstance(base, report.JsonReporter):
        return base
    if isinstance(base, report.YamlReporter):
        return DeployYamlReporter(base.manifest_out)
    if isinstance(base, report.RichReporter):
        return DeployRichReporter(base.out)
    return DeployPlainReporter(base.out)
