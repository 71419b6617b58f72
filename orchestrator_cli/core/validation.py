"""Pure validators for user input. Each raises InputError with one actionable line."""

from __future__ import annotations

import re

from orchestrator_cli.core.errors import InputError

_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_RESERVED_PREFIXES = ("kube-", "openshift-")
_RESERVED_NAMES = ("default", "openshift", "kubernetes")


def validate_name(value: str, what: str) -> str:
    """A DNS-1123 label (ServiceAccount, ArgoCD instance, Service and Secret names)."""
    if not isinstance(value, str) or not value:
        raise InputError(f"{what} must not be empty")
    if len(value) > 63:
        raise InputError(f"{what} {value!r} is {len(value)} characters long; the limit is 63")
    if not _DNS1123_LABEL.match(value):
        raise InputError(
            f"{what} {value!r} is not a valid name: use lower-case letters, digits and '-', "
            "starting and ending with a letter or digit"
        )
    return value


def validate_namespace(value: str, what: str = "namespace", *, allow_reserved: bool = False) -> str:
    """A namespace the user chose: DNS-1123 label, <= 63 chars, not a platform namespace."""
    validate_name(value, what)
    if not allow_reserved and (value.startswith(_RESERVED_PREFIXES) or value in _RESERVED_NAMES):
        raise InputError(
            f"{what} {value!r} is reserved for the platform (kube-*, openshift-*, default); choose another name"
        )
    return value


def validate_text(value: str, what: str, *, secret: bool = False) -> str:
    """A single-line text or secret value. Secret values never appear in the message."""
    if not isinstance(value, str):
        raise InputError(f"{what} must be a string")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes arrive as surrogate escapes: show the bytes
        try:
            shown = "" if secret else f" {value.encode('utf-8', 'surrogateescape')!r}"
        except UnicodeEncodeError:
            shown = f" {ascii(value)}"
        raise InputError(f"{what}{shown} is not valid UTF-8") from None
    shown = "" if secret else f" {value!r}"
    value = value.strip()
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise InputError(f"{what}{shown} contains a line break or control character")
    return value


def validate_hostname(value: str, what: str) -> str:
    value = validate_text(value, what)
    if value and not re.match(r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?$", value):
        raise InputError(f"{what} {value!r} is not a host name (example: gitlab.example.com)")
    return value


def validate_timeout(value, what: str) -> int:
    try:
        seconds = int(value)
    except (TypeError, ValueError):
        raise InputError(f"{what} must be a whole number of seconds, got {value!r}") from None
    if isinstance(value, bool) or seconds <= 0 or seconds > 24 * 3600:
        raise InputError(f"{what} must be between 1 and 86400 seconds, got {value!r}")
    return seconds
