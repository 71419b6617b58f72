"""Does applying `desired` change the live object? (pure)

orch's desired objects only carry fields orch sets, so "unchanged" means every desired field
is present in the live object with an equal value (the server adds defaults and status,
which are ignored). A re-run uses this to send no write at all when nothing changed.
"""

from __future__ import annotations

from typing import Any


def is_subset(desired: Any, live: Any) -> bool:
    if isinstance(desired, dict):
        if not isinstance(live, dict):
            return False
        return all(k in live and is_subset(v, live[k]) for k, v in desired.items())
    if isinstance(desired, list):
        if not isinstance(live, list) or len(desired) != len(live):
            return False
        return all(is_subset(d, l) for d, l in zip(desired, live))
    if isinstance(desired, (int, float)) and not isinstance(desired, bool) and isinstance(live, str):
        return str(desired) == live  # e.g. intOrString ports
    return desired == live


def needs_apply(desired: dict, live: dict | None) -> bool:
    if live is None:
        return True
    return not is_subset({k: v for k, v in desired.items() if k not in ("apiVersion", "kind")}, live)


def changed_paths(desired: Any, live: Any, prefix: str = "") -> list[str]:
    """Field paths that differ (for the plan output; values are never included)."""
    if isinstance(desired, dict) and isinstance(live, dict):
        out = []
        for k, v in desired.items():
            if k in ("apiVersion", "kind") and not prefix:
                continue
            path = f"{prefix}.{k}" if prefix else k
            if k not in live:
                out.append(path)
            else:
                out.extend(changed_paths(v, live[k], path))
        return out
    return [] if is_subset(desired, live) else [prefix or "."]
