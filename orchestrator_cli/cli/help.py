"""Help that reads like a manual: options in panels, real metavars, examples at the end.

typer draws `rich_help_panel` panels only in its rich help renderer, which imports rich at every
`--help` (the start-up budget in bench/README.md forbids it: orch runs with rich_markup_mode=None).
ManualCommand groups the options by their `rich_help_panel` in click's plain formatter instead, in
the order the panels first appear, and `examples()` builds the epilog (kept verbatim by click's `\\b`).
"""

from __future__ import annotations

from typer.core import TyperCommand

OTHER = "Options"


class ManualCommand(TyperCommand):
    def collect_usage_pieces(self, ctx) -> list[str]:
        # typer writes a required argument as {NS}; the manual convention is NS (optional ones stay [NS])
        return [p[1:-1] if p.startswith("{") and p.endswith("}") else p for p in super().collect_usage_pieces(ctx)]

    def format_options(self, ctx, formatter) -> None:
        args: list[tuple[str, str]] = []
        panels: dict[str, list[tuple[str, str]]] = {}
        help_record = None
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if param.param_type_name == "argument":
                args.append(record)
            elif param.name == "help":
                help_record = record
            else:
                panels.setdefault(getattr(param, "rich_help_panel", None) or OTHER, []).append(record)
        if help_record is not None:  # --help closes the last panel rather than opening one of its own
            panels.setdefault(list(panels)[-1] if panels else OTHER, []).append(help_record)
        if args:
            with formatter.section("Arguments"):
                formatter.write_dl(args)
        for title, records in panels.items():
            with formatter.section(title):
                formatter.write_dl(records)


def examples(*lines: str) -> str:
    """An epilog of examples, one command per line, printed as written (`# comment` lines allowed)."""
    return "Examples:\n\n\b\n" + "\n".join(f"  {line}" for line in lines)


def manual(app, name: str, function, *example_lines: str) -> None:
    """Register `function` as command `name` of `app` with panels and examples."""
    app.command(name, cls=ManualCommand, epilog=examples(*example_lines) if example_lines else None)(function)
