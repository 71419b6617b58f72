"""Renderers (observers): Rich on a terminal, plain lines otherwise, JSON with -o json.

Library code emits results; only these classes write to the terminal. Every string passes
through secrets.REDACT first, so a secret value can never be printed by accident.
"""

from __future__ import annotations

import json
import sys
import threading
from typing import Any, TextIO

from orchestrator_cli.core.secrets import REDACT, redact_object


def colour_disabled() -> bool:
    """NO_COLOR set and not empty (https://no-color.org); `--no-color` sets it."""
    import os

    return os.environ.get("NO_COLOR", "") != ""


# Checks of these categories come in the hundreds on a large cluster (one per workflow namespace and
# workflow): past LIST_LIMIT of them, the terminal shows the ones that are not ok and counts the rest
# (`--all` lists every one; JSON always has all).
COLLAPSIBLE = {"workflow-namespaces": "workflow namespace(s)", "workflows": "workflow(s)"}
LIST_LIMIT = 20


def shown_checks(checks: list[dict], limit: int | None) -> tuple[list[dict], dict[str, int]]:
    """The checks a terminal shows, in order, and per collapsible category how many ok ones were left out (pure)."""
    collapsible = [c for c in checks if c["category"] in COLLAPSIBLE]
    if limit is None or len(collapsible) <= limit:
        return list(checks), {}
    hidden: dict[str, int] = {}
    shown = []
    for c in checks:
        if c["category"] in COLLAPSIBLE and c["status"] in ("ok", "skipped"):
            hidden[c["category"]] = hidden.get(c["category"], 0) + 1
        else:
            shown.append(c)
    return shown, hidden


def hidden_line(hidden: dict[str, int]) -> str:
    return ("… and " + ", ".join(f"{n} more {COLLAPSIBLE[k]} ok" for k, n in hidden.items())
            + " (--all lists them)")


ICONS = {"ok": "✓", "warning": "‼", "failed": "✗", "skipped": "-"}
WAIT_ICONS = {"ready": "✓", "failed": "✗", "timeout": "✗", "waiting": "…"}


class BaseReporter:
    """Collects everything (for JSON and for tests); subclasses decide what to print."""

    checks_title = "Pre-flight checks"
    list_limit: int | None = LIST_LIMIT  # None: --all

    def __init__(self, out: TextIO | None = None, err: TextIO | None = None):
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.checks: list[dict] = []
        self.steps: list[dict] = []
        self.waits: dict[str, dict] = {}
        self.messages: list[dict] = []
        self.summary_data: dict | None = None
        self.error_data: dict | None = None
        self._lock = threading.RLock()

    # observer API ----------------------------------------------------------------------
    def check_result(self, result) -> None:
        self.checks.append(result.to_dict())

    def checks_done(self) -> None:
        pass

    def headline(self, text: str) -> None:
        """The one-line verdict that comes before a long list of checks (status, list-namespaces)."""
        self.headline_text = REDACT(text)

    def step_started(self, step_id: str, title: str) -> None:
        self.steps.append({"id": step_id, "title": title, "changes": [], "ok": None})

    def change(self, step_id: str, change, applied: bool) -> None:
        entry = {**change.to_dict(), "applied": applied}
        for step in reversed(self.steps):
            if step["id"] == step_id:
                step["changes"].append(entry)
                break

    def step_finished(self, step_id: str, ok: bool, message: str = "") -> None:
        for step in reversed(self.steps):
            if step["id"] == step_id:
                step["ok"], step["message"] = ok, REDACT(message)
                break

    def wait_update(self, status) -> None:
        with self._lock:
            self.waits[status.item.id] = status.to_dict()

    def progress(self, task: str, done: int, total: int, text: str, *, started: bool = False) -> None:
        """A long collection's progress (support-bundle): `done` of `total` parts finished; `started`: part
        done+1 begins (`text` says what it is) rather than part `done` ended."""

    def info(self, text: str) -> None:
        self.messages.append({"level": "info", "text": REDACT(text)})

    def warn(self, text: str) -> None:
        self.messages.append({"level": "warning", "text": REDACT(text)})

    def manifests(self, objects: list[dict]) -> None:
        import yaml

        text = yaml.safe_dump_all([redact_object(o) for o in objects], sort_keys=False)
        self.out.write(REDACT(text))

    def summary(self, data: dict) -> None:
        self.summary_data = data

    def error(self, exc) -> None:
        self.error_data = {"message": REDACT(getattr(exc, "message", str(exc))),
                           "details": [REDACT(d) for d in getattr(exc, "details", [])],
                           "exit_code": getattr(exc, "exit_code", 1)}

    def close(self) -> None:
        pass

    def as_dict(self) -> dict:
        return {"success": self.error_data is None and not any(c["status"] == "failed" for c in self.checks),
                "checks": self.checks, "steps": self.steps, "waits": list(self.waits.values()),
                "messages": self.messages, "summary": self.summary_data, "error": self.error_data}


class JsonReporter(BaseReporter):
    def manifests(self, objects: list[dict]) -> None:
        self.steps.append({"id": "manifests", "objects": [redact_object(o) for o in objects]})

    def close(self) -> None:
        self.out.write(REDACT(json.dumps(self.as_dict(), indent=2, default=str)) + "\n")
        self.out.flush()


class PlainReporter(BaseReporter):
    """Line-oriented, for logs and pipes: one line per event, no cursor tricks."""

    def _line(self, text: str, stream: TextIO | None = None) -> None:
        with self._lock:
            (stream or self.out).write(REDACT(text) + "\n")
            (stream or self.out).flush()

    def check_result(self, result) -> None:
        super().check_result(result)
        d = result.to_dict()
        if d["category"] in COLLAPSIBLE and self.list_limit is not None:
            return  # printed at checks_done, collapsed when there are many
        self._print_check(d)

    def checks_done(self) -> None:
        if self.list_limit is None:
            return
        pending = [c for c in self.checks if c["category"] in COLLAPSIBLE]
        shown, hidden = shown_checks(pending, self.list_limit)
        for d in shown:
            self._print_check(d)
        if hidden:
            self._line(hidden_line(hidden))

    def headline(self, text: str) -> None:
        super().headline(text)
        self._line(text)

    def _print_check(self, d: dict) -> None:
        tag = {"ok": "ok", "warning": "WARN", "failed": "FAIL", "skipped": "skip"}[d["status"]]
        self._line(f"[{tag}] {d['id']}: {d['description']}" + (f" — {d['message']}" if d["message"] else ""))
        for detail in d["details"]:
            self._line(f"    - {detail}")
        if d["hint"]:
            self._line(f"    hint: {d['hint']}")

    def step_started(self, step_id: str, title: str) -> None:
        super().step_started(step_id, title)
        self._line(f"==> {title}")

    def change(self, step_id: str, change, applied: bool) -> None:
        super().change(step_id, change, applied)
        verb = {"create": "created" if applied else "would create", "update": "updated" if applied else "would update",
                "approve": "approved" if applied else "would approve", "unchanged": "in place",
                "delete": "deleted" if applied else "would delete", "keep": "kept",
                "info": "note"}.get(change.action, change.action)
        note = f" ({change.note})" if change.note else ""
        self._line(f"    {verb}: {change.ref}{note}")

    def step_finished(self, step_id: str, ok: bool, message: str = "") -> None:
        super().step_finished(step_id, ok, message)
        if message:
            self._line(f"    {message}")

    def wait_update(self, status) -> None:
        with self._lock:
            previous = self.waits.get(status.item.id)
            super().wait_update(status)
            d = self.waits[status.item.id]
            if previous and (previous["state"], previous["reason"]) == (d["state"], d["reason"]):
                return
            if d["state"] == "waiting" and not d["reason"]:
                return  # the first "started" event says nothing yet
            self._line(f"    wait {d['id']} [{d['object']}]: {d['state']}"
                       + (f" — {d['reason']}" if d["reason"] else "") + f" ({d['elapsed']:.0f}s)")
            for detail in d["details"]:
                self._line(f"        {detail}")

    def progress(self, task: str, done: int, total: int, text: str, *, started: bool = False) -> None:
        if not started:  # one line per finished part; the start of a part says nothing a log needs
            self._line(f"    [{done}/{total}] {text}")

    def info(self, text: str) -> None:
        super().info(text)
        self._line(f"    {text}")

    def warn(self, text: str) -> None:
        super().warn(text)
        self._line(f"warning: {text}", self.err)

    def summary(self, data: dict) -> None:
        super().summary(data)
        self._line("")
        if data.get("in_place"):
            self._line(f"Orchestrator {data['version']}: everything already in place; nothing changed.")
        else:
            self._line(f"Orchestrator {data['version']} installed: {data['created']} created, {data['updated']} "
                       f"updated, {data['unchanged']} already in place.")
        if data.get("backstage_url"):
            self._line(f"Backstage URL: {data['backstage_url']}")
        for step in data.get("next_steps", []):
            self._line(f"Next: {step}")

    def error(self, exc) -> None:
        super().error(exc)
        self._line(f"error: {self.error_data['message']}", self.err)
        for d in self.error_data["details"]:
            self._line(f"    {d}", self.err)


class RichReporter(PlainReporter):
    """Terminal rendering: check table, coloured step lines, live wait view with spinners."""

    def __init__(self, out: TextIO | None = None, err: TextIO | None = None):
        super().__init__(out, err)
        from rich.console import Console

        self.console = Console(file=self.out, highlight=False, no_color=colour_disabled())
        self.err_console = Console(file=self.err, highlight=False, no_color=colour_disabled())
        self._live = None
        self._status_objs: dict = {}
        self._progress = None

    def _line(self, text: str, stream: TextIO | None = None) -> None:
        from rich.text import Text

        self._stop_live()
        (self.err_console if stream is self.err else self.console).print(Text(REDACT(text)))

    def check_result(self, result) -> None:
        BaseReporter.check_result(self, result)

    def checks_done(self) -> None:
        from rich.table import Table

        table = Table(title=self.checks_title, show_lines=False)
        table.add_column("", width=2)
        table.add_column("check")
        table.add_column("result")
        styles = {"ok": "green", "warning": "yellow", "failed": "red", "skipped": "dim"}
        shown, hidden = shown_checks(self.checks, self.list_limit)
        if hidden:
            table.caption = hidden_line(hidden)
        for d in shown:
            body = d["message"] or d["description"]
            if d["details"]:
                body += "\n" + "\n".join(f"- {x}" for x in d["details"])
            if d["hint"]:
                body += f"\nhint: {d['hint']}"
            table.add_row(f"[{styles[d['status']]}]{ICONS[d['status']]}[/]", d["id"], REDACT(body))
        self._stop_live()
        self.console.print(table)

    def step_started(self, step_id: str, title: str) -> None:
        BaseReporter.step_started(self, step_id, title)
        self._stop_live()
        self.console.print(f"[bold]==> {title}[/bold]")

    def wait_update(self, status) -> None:
        with self._lock:
            BaseReporter.wait_update(self, status)
            self._status_objs[status.item.id] = status
            if self._live is None:
                from rich.live import Live

                self._live = Live(self._render_waits(), console=self.console, refresh_per_second=8,
                                  transient=False, get_renderable=self._render_waits)
                self._live.start()

    def _render_waits(self):
        from rich.spinner import Spinner
        from rich.table import Table

        table = Table.grid(padding=(0, 1))
        with self._lock:
            rows = list(self._status_objs.values())
        for st in rows:
            if st.state == "waiting":
                icon = Spinner("dots")
            else:
                icon = {"ready": "[green]✓[/]", "failed": "[red]✗[/]", "timeout": "[red]✗[/]"}[st.state]
            table.add_row(icon, st.item.id, f"[dim]{st.item.ref}[/]", REDACT(st.reason or st.state),
                          f"{st.elapsed:.0f}s")
        return table

    def progress(self, task: str, done: int, total: int, text: str, *, started: bool = False) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        with self._lock:
            if self._progress is None:
                self._progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                          TimeElapsedColumn(), console=self.console, transient=True)
                self._progress.start()
                self._progress_task = self._progress.add_task(REDACT(text), total=total)
            self._progress.update(self._progress_task, completed=done, description=REDACT(text))
            if done >= total:
                self._progress.stop()
                self._progress = None

    def _stop_live(self) -> None:
        with self._lock:
            if self._progress is not None:
                self._progress.stop()
                self._progress = None
            if self._live is not None:
                self._live.stop()
                self._live = None
                for st in self._status_objs.values():
                    for detail in st.details:
                        self.console.print(f"    [dim]{REDACT(detail)}[/]")
                self._status_objs.clear()

    def step_finished(self, step_id: str, ok: bool, message: str = "") -> None:
        self._stop_live()
        super().step_finished(step_id, ok, message)

    def close(self) -> None:
        self._stop_live()


class YamlReporter(PlainReporter):
    """-o yaml: progress goes to stderr so stdout carries only the manifests."""

    def __init__(self, out: TextIO | None = None):
        super().__init__(sys.stderr, sys.stderr)
        self.manifest_out = out or sys.stdout

    def manifests(self, objects: list[dict]) -> None:
        import yaml

        text = yaml.safe_dump_all([redact_object(o) for o in objects], sort_keys=False)
        self.manifest_out.write(REDACT(text))
        self.manifest_out.flush()


def make_reporter(output: str | None, *, stream: Any = None) -> BaseReporter:
    out = stream or sys.stdout
    if output == "yaml":
        return YamlReporter(out)
    if output == "json":
        return JsonReporter(out)
    if output == "plain":
        return PlainReporter(out)
    if output in (None, "table", "yaml") and hasattr(out, "isatty") and out.isatty():
        return RichReporter(out)
    return PlainReporter(out)
