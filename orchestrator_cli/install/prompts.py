"""Interactive questions for inputs still missing (only on a terminal, never with --use-default).

Every answer is validated with the same converter as flags and env vars. Secrets use
password prompts. Discovered values are offered (ArgoCD instances, existing Backstage
namespaces). Ctrl-C or EOF at a prompt raises Interrupted.
"""

from __future__ import annotations

from typing import Any, Callable

from orchestrator_cli.core.errors import InputError, Interrupted, Terminated
from orchestrator_cli.install.inputs import SPECS, Resolved, convert

NO_GITOPS = "none (continue without GitOps)"


def _eof_aborts(question):
    """Ctrl-D on a select/confirm question aborts like Ctrl-C (text prompts already raise EOFError)."""
    from prompt_toolkit.key_binding import KeyBindings, merge_key_bindings

    kb = KeyBindings()

    @kb.add("c-d", eager=True)
    def _(event):
        event.app.exit(exception=EOFError, style="class:aborting")

    app = question.application
    app.key_bindings = merge_key_bindings([app.key_bindings, kb]) if app.key_bindings else kb
    return question


def _ask(question) -> Any:
    try:
        answer = question.unsafe_ask()
    except Terminated:
        raise
    except (KeyboardInterrupt, EOFError):
        raise Interrupted("prompt aborted; nothing was written") from None
    return answer


def _validator(name: str) -> Callable[[str], bool | str]:
    spec = SPECS[name]

    def validate(text: str) -> bool | str:
        if not text and spec.kind in ("secret", "host", "text"):
            return True
        try:
            convert(spec, text, "prompt")
        except InputError as exc:
            return exc.message
        return True

    return validate


class Prompter:
    def __init__(self, resolved: dict[str, Resolved], discover, platform: str = "openshift"):
        import questionary

        self.platform = platform  # on Kubernetes orch always installs RHDH: no existing-RHDH question
        self.q = questionary
        self.resolved = resolved
        self.discover = discover  # object with backstage_namespaces(), argocd_api(), argocd_instances(ns)

    def _set(self, name: str, raw: Any) -> None:
        spec = SPECS[name]
        if spec.kind in ("secret", "host", "text") and not raw:
            return  # empty answer: key omitted
        self.resolved[name] = Resolved(convert(spec, raw, "prompt"), "prompt")

    def _text(self, name: str, secret: bool = False) -> None:
        if name in self.resolved:
            return
        spec = SPECS[name]
        default = spec.default if isinstance(spec.default, str) else ""
        if secret:
            answer = _ask(self.q.password(f"{spec.prompt}:", validate=_validator(name)))
        else:
            label = f"{spec.prompt}" + (f" (default: {default})" if default else "") + ":"
            answer = _ask(self.q.text(label, default=default, validate=_validator(name)))
        self._set(name, answer)

    def run(self) -> dict[str, Resolved]:
        r = self.resolved
        if "existing_rhdh" not in r and self.platform == "openshift":
            new = _ask(_eof_aborts(self.q.select("Setup for a new RHDH deployment?", choices=["Yes", "No"], default="Yes")))
            if new == "No":
                found = self.discover.backstage_namespaces()
                if found:
                    ns = _ask(_eof_aborts(self.q.select("Select the namespace of the existing RHDH:", choices=found)))
                else:
                    ns = _ask(self.q.text("Namespace of the existing RHDH:", validate=_validator("existing_rhdh")))
                self._set("existing_rhdh", ns)
        self._text("workflow_namespace")
        gitops = r.get("gitops")
        if (gitops is None or gitops.value) and "argocd_instance" not in r and self.discover.argocd_api():
            self._text("argocd_namespace")
            ns = r["argocd_namespace"].value if "argocd_namespace" in r else SPECS["argocd_namespace"].default
            instances = self.discover.argocd_instances(ns)
            if instances:
                choice = _ask(_eof_aborts(self.q.select(f"{SPECS['argocd_instance'].prompt}:", choices=[*instances, NO_GITOPS])))
                if choice != NO_GITOPS:
                    self._set("argocd_instance", choice)
                    r["gitops"] = Resolved(True, "prompt")
        self._text("token_service_account")
        for name in ("github_token", "github_client_id", "github_client_secret"):
            self._text(name, secret=True)
        self._text("gitlab_host")
        self._text("gitlab_token", secret=True)
        if "notifications_email" not in r:
            wants = _ask(_eof_aborts(self.q.confirm(f"{SPECS['notifications_email'].prompt}", default=False)))
            r["notifications_email"] = Resolved(bool(wants), "prompt")
        if r["notifications_email"].value:
            self._text("email_hostname")
            self._text("email_username")
            self._text("email_password", secret=True)
        if "existing_rhdh" not in r:
            self._text("rhdh_namespace")
        return r
