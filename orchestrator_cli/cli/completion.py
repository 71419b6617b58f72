"""`orch completion bash|zsh|fish` and the value completers the commands' options use.

The shell calls orch back with _ORCH_COMPLETE set (typer's protocol); only then are these
completers run. They are cheap: output formats and generations are constants, kubeconfig contexts
come from the kubeconfig file alone, and namespaces from one bounded API read (day2/names.py).
Nothing here is imported by the day-2 libraries, and nothing heavy is imported at module level, so
`orch --help` does not pay for completion.
"""

from __future__ import annotations

import sys

import typer

PROG = "orch"
COMPLETE_VAR = "_ORCH_COMPLETE"
SHELLS = ("bash", "zsh", "fish")

HOW_TO_LOAD = {
    "bash": ("# orch completion for bash. Load it in the current shell:\n"
             "#   source <(orch completion bash)\n"
             "# or for every new shell:\n"
             "#   orch completion bash > ~/.local/share/bash-completion/completions/orch\n"),
    "zsh": ("# orch completion for zsh (needs compinit). Load it in the current shell:\n"
            "#   source <(orch completion zsh)\n"
            "# or for every new shell, into a directory on $fpath:\n"
            "#   orch completion zsh > \"${fpath[1]}/_orch\"\n"),
    "fish": ("# orch completion for fish. Load it in the current shell:\n"
             "#   orch completion fish | source\n"
             "# or for every new shell:\n"
             "#   orch completion fish > ~/.config/fish/completions/orch.fish\n"),
}


def completion_requested() -> bool:
    import os

    return bool(os.environ.get(COMPLETE_VAR))


def enable_shell_completion() -> None:
    """Register typer's completion classes (plain values for bash, value:help for zsh/fish)."""
    from typer._completion_classes import completion_init

    completion_init()


def script(shell: str) -> str:
    from typer._completion_shared import get_completion_script

    body = get_completion_script(prog_name=PROG, complete_var=COMPLETE_VAR, shell=shell)
    if shell == "zsh":  # `#compdef` must stay the first line for zsh's autoloading from $fpath
        first, _, rest = body.partition("\n")
        return f"{first}\n{HOW_TO_LOAD[shell]}{rest}\n"
    return HOW_TO_LOAD[shell] + body + "\n"


def _complete_shell(incomplete: str) -> list[str]:
    return [s for s in SHELLS if s.startswith(incomplete)]


def completion_command(
    shell: str = typer.Argument(..., metavar="SHELL", help="bash, zsh or fish.", autocompletion=_complete_shell),
) -> None:
    """Print the shell completion script for SHELL (commands, options, kubeconfig contexts, namespaces)."""
    if shell not in SHELLS:
        typer.echo(f"error: unsupported shell {shell!r}; choose one of {', '.join(SHELLS)}", err=True)
        raise typer.Exit(2)
    sys.stdout.write(script(shell))


# -- value completers (typer passes ctx and the word being completed) ---------------------------------

def _param(ctx: typer.Context, name: str):
    """A value given earlier on the command line (e.g. --kubeconfig before --context), else None."""
    while ctx is not None:
        value = (ctx.params or {}).get(name)
        if value:
            return value
        ctx = ctx.parent
    return None


def complete_context(ctx: typer.Context, incomplete: str) -> list[str]:
    from orchestrator_cli.kube.kubeconfig import contexts

    return [c for c in contexts(_param(ctx, "kubeconfig")) if c.startswith(incomplete)]


def complete_day2_output(incomplete: str) -> list[str]:
    return [o for o in ("table", "plain", "json") if o.startswith(incomplete)]


def complete_install_output(incomplete: str) -> list[str]:
    return [o for o in ("table", "plain", "json", "yaml") if o.startswith(incomplete)]


def complete_generation(incomplete: str) -> list[str]:
    from orchestrator_cli.generations import GENERATIONS

    return [v for v in sorted(GENERATIONS) if v.startswith(incomplete)]


def _namespaces(ctx: typer.Context, incomplete: str, workflow: bool | None) -> list[str]:
    from orchestrator_cli.day2.names import namespaces

    taken = set(ctx.params.get("namespaces") or [])  # NS... arguments already typed
    return [n for n in namespaces(_param(ctx, "kubeconfig"), _param(ctx, "context"), workflow=workflow)
            if n.startswith(incomplete) and n not in taken]


def complete_namespace(ctx: typer.Context, incomplete: str) -> list[str]:
    return _namespaces(ctx, incomplete, None)


def _given(ctx: typer.Context) -> set[str]:
    """Namespaces already on the command line (NS... takes many): not offered again."""
    return set((ctx.params or {}).get("namespaces") or [])


def complete_workflow_namespace(ctx: typer.Context, incomplete: str) -> list[str]:
    given = _given(ctx)
    return [n for n in _namespaces(ctx, incomplete, True) if n not in given]


def complete_new_workflow_namespace(ctx: typer.Context, incomplete: str) -> list[str]:
    """Namespaces not yet enabled, without the platform's own (kube-*, openshift-*, default: refused anyway)."""
    from orchestrator_cli.core.errors import InputError
    from orchestrator_cli.core.validation import validate_namespace

    def allowed(name: str) -> bool:
        try:
            validate_namespace(name)
        except InputError:
            return False
        return True

    given = _given(ctx)
    return [n for n in _namespaces(ctx, incomplete, False) if allowed(n) and n not in given]


def register(app: typer.Typer) -> None:
    from orchestrator_cli.cli.help import manual

    manual(app, "completion", completion_command, "source <(orch completion bash)",
           'orch completion zsh > "${fpath[1]}/_orch"', "orch completion fish > ~/.config/fish/completions/orch.fish")
