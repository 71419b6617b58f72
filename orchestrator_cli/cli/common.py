"""What every day-2 command shares: the connection and output options, and the call into the library.

Parsing only; cli.main._run maps the library's exceptions to exit codes (docs/exit-codes.md).
"""

from __future__ import annotations

import sys
from typing import Optional

import typer

from orchestrator_cli.cli.completion import complete_context, complete_day2_output

DAY2_OUTPUTS = ("table", "plain", "json")
CONNECTION = "Connection"  # help panels (cli/help.py)
OUTPUT = "Output"


def _no_color(value: bool) -> bool:
    """--no-color: the same as NO_COLOR=1 (https://no-color.org), which rich and prompt_toolkit honour."""
    if value:
        import os

        os.environ["NO_COLOR"] = "1"
    return value


NO_COLOR_OPTION = typer.Option(False, "--no-color", help="No colours in the output (also: env NO_COLOR).",
                               callback=_no_color, is_eager=True, expose_value=False, rich_help_panel=OUTPUT)
KUBECONFIG_OPTION = typer.Option(None, "--kubeconfig", metavar="FILE", rich_help_panel=CONNECTION,
                                 help="Path to the kubeconfig (default: $KUBECONFIG, ~/.kube/config).")
CONTEXT_OPTION = typer.Option(None, "--context", metavar="NAME", help="Kubeconfig context to use.",
                              autocompletion=complete_context, rich_help_panel=CONNECTION)
OUTPUT_OPTION = typer.Option(None, "--output", "-o", metavar="FORMAT", help="table (terminal default), plain or json.",
                             autocompletion=complete_day2_output, rich_help_panel=OUTPUT)


ALL_OPTION = typer.Option(False, "--all", rich_help_panel=OUTPUT,
                          help="List every workflow namespace and workflow (past 20, only those not ok are shown "
                               "and the rest counted; -o json always has all).")


def run_day2(action, output: Optional[str], *, output_flag: str = "-o/--output", show_all: bool = False,
             **kw) -> None:
    from orchestrator_cli.cli.main import _run
    from orchestrator_cli.core.errors import InputError
    from orchestrator_cli.report.day2 import make_reporter

    if output is not None and output not in DAY2_OUTPUTS:
        typer.echo(f"error: {output_flag} must be one of {', '.join(DAY2_OUTPUTS)}", err=True)
        raise typer.Exit(InputError.exit_code)
    from orchestrator_cli.day2.common import Day2Options

    opts = Day2Options(kubeconfig=kw.pop("kubeconfig", None), context=kw.pop("context", None), output=output,
                       dry_run=kw.pop("dry_run", False), extra=kw)
    def reporter_factory(out):
        reporter = make_reporter(out)
        if show_all:
            reporter.list_limit = None
        return reporter

    _run(action, opts, output, reporter_factory=reporter_factory)


def terminal_confirm():
    """A confirmation prompt when stdin and stdout are terminals, else None (commands then refuse)."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        return None
    return lambda question: typer.confirm(question, default=False)
