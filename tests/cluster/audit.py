"""Reads the apiserver audit log the harness writes (one JSON event per line).

Used to prove what a command sent to the API server: e.g. that a second
`orch install` makes no write request.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

WRITE_VERBS = frozenset({"create", "update", "patch", "delete", "deletecollection"})


@dataclass(frozen=True)
class AuditEvent:
    verb: str
    user: str
    user_agent: str
    resource: str
    namespace: str
    name: str
    subresource: str
    code: int
    uri: str

    @property
    def is_write(self) -> bool:
        return self.verb in WRITE_VERBS

    def __str__(self) -> str:
        where = "/".join(p for p in (self.namespace, self.resource, self.name) if p)
        return f"{self.verb} {where}{'/' + self.subresource if self.subresource else ''} -> {self.code}"


class AuditLog:
    def __init__(self, path: Path):
        self.path = path

    def mark(self) -> int:
        """An offset: events() since this mark are the requests made after it."""
        return self.path.stat().st_size if self.path.exists() else 0

    def events(self, since: int = 0, user: str | None = None, user_agent_prefix: str | None = None) -> list[AuditEvent]:
        with open(self.path, "rb") as fh:
            fh.seek(since)
            raw = fh.read().decode(errors="replace")
        out = []
        for line in raw.splitlines():
            if not line.strip():
                continue
            e = json.loads(line)
            ref = e.get("objectRef") or {}
            event = AuditEvent(
                verb=e.get("verb", ""), user=(e.get("user") or {}).get("username", ""),
                user_agent=e.get("userAgent", ""), resource=ref.get("resource", ""),
                namespace=ref.get("namespace", ""), name=ref.get("name", ""),
                subresource=ref.get("subresource", ""),
                code=(e.get("responseStatus") or {}).get("code", 0), uri=e.get("requestURI", ""),
            )
            if user is not None and event.user != user:
                continue
            if user_agent_prefix is not None and not event.user_agent.startswith(user_agent_prefix):
                continue
            out.append(event)
        return out
