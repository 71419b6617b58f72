"""Secret values: generated once, preserved across re-runs, never printed.

Merge rule for each key of a Secret orch manages:
    explicit new value (flag / values file / env / prompt)  >  live value in the cluster
    >  discovered value (cluster URL, token, ArgoCD)  >  generated value (BACKEND_SECRET, DB password)
So a re-run never rotates a generated secret, and a value a user edited by hand survives
unless a new one is given explicitly.
"""

from __future__ import annotations

import base64
import secrets as _stdlib_secrets
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

REDACTED = "<redacted>"


def generate_token(nbytes: int = 24) -> str:
    """URL-safe random secret (24 bytes = 32 chars), as upstream RHDH docs recommend."""
    return _stdlib_secrets.token_urlsafe(nbytes)


def b64(value: str) -> str:
    return base64.b64encode(value.encode("utf-8")).decode("ascii")


def unb64(value: str) -> str:
    return base64.b64decode(value).decode("utf-8", errors="replace")


def live_values(secret: Mapping[str, Any] | None) -> dict[str, str]:
    """Decoded .data of a live Secret (empty when absent)."""
    if not secret:
        return {}
    return {k: unb64(v) for k, v in (secret.get("data") or {}).items()}


@dataclass(frozen=True)
class Candidate:
    value: str | None
    explicit: bool = False  # given by the user for this run


def merge(
    live: Mapping[str, str],
    explicit: Mapping[str, str],
    discovered: Mapping[str, str | None] = (),
    generated: Mapping[str, Any] = (),
) -> dict[str, str]:
    """Apply the precedence rule. `generated` maps key -> zero-arg callable, called only if needed."""
    out: dict[str, str] = {}
    discovered = dict(discovered)
    generated = dict(generated)
    keys = list(dict.fromkeys([*explicit, *live, *discovered, *generated]))
    for key in keys:
        if explicit.get(key):
            out[key] = explicit[key]
        elif live.get(key):
            out[key] = live[key]
        elif discovered.get(key):
            out[key] = discovered[key]  # type: ignore[assignment]
        elif key in generated:
            out[key] = generated[key]()
        # keys without a value are omitted (setup.sh bug: empty keys)
    return out


def secret_data(values: Mapping[str, str]) -> dict[str, str]:
    """Secret .data (base64) with sorted keys, so the desired object is stable across runs."""
    return {k: b64(values[k]) for k in sorted(values)}


def redact_object(obj: dict) -> dict:
    """A copy of a manifest safe to print: Secret data/stringData values replaced."""
    if obj.get("kind") != "Secret":
        return obj
    out = dict(obj)
    for field in ("data", "stringData"):
        if field in out and out[field]:
            out[field] = {k: REDACTED for k in out[field]}
    return out


class Redactor:
    """Scrubs known secret values from any text before it is printed or logged."""

    def __init__(self) -> None:
        self._values: set[str] = set()

    def add(self, values: Iterable[str]) -> None:
        for value in values:
            if value and len(value) >= 6:
                self._values.add(value)
                self._values.add(b64(value))

    def __call__(self, text: str) -> str:
        for value in sorted(self._values, key=len, reverse=True):
            if value in text:
                text = text.replace(value, REDACTED)
        return text


REDACT = Redactor()

# Keys whose values are secret (URLs, host and user names are not, and must stay readable).
SECRET_KEYS = frozenset({"BACKEND_SECRET", "K8S_CLUSTER_TOKEN", "GITHUB_TOKEN", "GITHUB_CLIENT_ID",
                         "GITHUB_CLIENT_SECRET", "GITLAB_TOKEN", "ARGOCD_PASSWORD",
                         "NOTIFICATIONS_EMAIL_PASSWORD", "postgres-password", "token", "admin.password"})


def register_secrets(values: Mapping[str, str]) -> None:
    """Remember the secret values among `values` so no renderer ever prints them."""
    REDACT.add(v for k, v in values.items() if k in SECRET_KEYS)  # process-wide: every renderer passes output through it


# Key names whose values are secret in Secrets orch did not write (a support bundle reads them all):
# user names, hosts, URLs and database names stay readable.
SECRET_KEY_WORDS = ("password", "passwd", "token", "secret", "key", "credential", "auth", "cert", ".crt",
                    "dockerconfig", "htpasswd", "private")


def secret_like_key(key: str) -> bool:
    k = key.lower()
    return key in SECRET_KEYS or any(word in k for word in SECRET_KEY_WORDS)


def register_secret_object(secret: Mapping[str, Any]) -> None:
    """Remember the secret-like values of a live Secret (data and stringData) so no renderer prints them."""
    values = live_values(secret)
    values.update({k: v for k, v in ((secret.get("stringData") or {}).items()) if isinstance(v, str)})
    REDACT.add(v for k, v in values.items() if secret_like_key(k))


def printable_secret(obj: dict) -> dict:
    """A Secret safe to print or archive: values replaced (redact_object), and the last-applied annotation —
    which holds the whole object, values included, when it was made with `kubectl apply` — dropped."""
    out = redact_object(obj)
    md = dict(out.get("metadata") or {})
    annotations = {k: v for k, v in (md.get("annotations") or {}).items()
                   if k != "kubectl.kubernetes.io/last-applied-configuration"}
    if annotations:
        md["annotations"] = annotations
    else:
        md.pop("annotations", None)
    out["metadata"] = md
    return out
