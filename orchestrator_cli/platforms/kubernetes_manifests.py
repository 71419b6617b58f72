"""The pinned release manifests: the effective pins (built-in, or a --manifest-pins file for a mirror), read from
--manifests-dir or fetched from their URL, verified against the pinned SHA-256 before anything is parsed or
applied. Every failure raises ManifestUnverified (exit 17) before orch writes anything."""

from __future__ import annotations

import dataclasses
import hashlib
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import yaml

from orchestrator_cli.core.errors import InputError, ManifestUnverified
from orchestrator_cli.platforms.kubernetes_pins import KubernetesPins, ManifestPin, pins_for

FETCH_TIMEOUT = 30.0
MAX_BYTES = 32 * 1024 * 1024
_NOTHING = "; nothing was written"


@dataclass(frozen=True)
class LoadedManifest:
    pin: ManifestPin
    source: str  # the URL or the file read
    sha256: str
    docs: tuple[dict, ...]


def effective_pins(config) -> KubernetesPins:
    """The generation's pins, with the URL and digest of each component a pins file names replaced."""
    pins = pins_for(config.version)
    if not config.manifest_pins:
        return pins
    path = Path(config.manifest_pins)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InputError(f"--manifest-pins {path} cannot be read as YAML ({exc.__class__.__name__})") from None
    if not isinstance(data, dict):
        raise InputError(f"--manifest-pins {path} must map generations to components")
    mine = data.get(config.version) or {}
    known = {m.component for m in pins.manifests}
    unknown = sorted(set(mine) - known)
    if unknown:
        raise InputError(f"--manifest-pins {path}: unknown component {unknown[0]!r} (known: {', '.join(sorted(known))})")
    out = []
    for m in pins.manifests:
        entry = mine.get(m.component)
        if entry is None:
            out.append(m)
            continue
        if not isinstance(entry, dict) or not isinstance(entry.get("url"), str) or (
                entry.get("sha256") is not None and not _is_digest(entry.get("sha256"))):
            raise InputError(f"--manifest-pins {path}: {config.version}.{m.component} needs url and a 64-hex sha256")
        out.append(dataclasses.replace(m, url=entry["url"], sha256=entry.get("sha256")))
    return dataclasses.replace(pins, manifests=tuple(out))


def _is_digest(value) -> bool:
    return isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)


def unverified(config) -> list[ManifestPin]:
    """The pins without a digest (refused unless --allow-unverified-manifests)."""
    return [m for m in effective_pins(config).manifests if m.sha256 is None]


def _read(pin: ManifestPin, config) -> tuple[bytes, str]:
    if config.manifests_dir:
        path = Path(config.manifests_dir) / pin.file_name
        try:
            return path.read_bytes(), str(path)
        except OSError as exc:
            raise ManifestUnverified(f"release manifest {pin.component}: {path} cannot be read "
                                     f"({exc.strerror or exc.__class__.__name__}){_NOTHING}") from None
    if not pin.url.startswith(("https://", "http://")):
        raise ManifestUnverified(f"release manifest {pin.component}: {pin.url} is not an http(s) URL{_NOTHING}")
    request = urllib.request.Request(pin.url, headers={"User-Agent": "orch"})
    try:
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT) as resp:  # noqa: S310 - pinned, verified
            data = resp.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise ManifestUnverified(f"release manifest {pin.component}: {pin.url} answered HTTP {exc.code}"
                                 f"{_NOTHING}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise ManifestUnverified(f"release manifest {pin.component}: {pin.url} cannot be fetched ({reason})"
                                 f"{_NOTHING}") from None
    if len(data) > MAX_BYTES:
        raise ManifestUnverified(f"release manifest {pin.component}: {pin.url} is larger than {MAX_BYTES} bytes"
                                 f"{_NOTHING}")
    return data, pin.url


def load(pin: ManifestPin, config) -> LoadedManifest:
    data, source = _read(pin, config)
    got = hashlib.sha256(data).hexdigest()
    if pin.sha256 is None and not config.allow_unverified_manifests:
        raise ManifestUnverified(f"release manifest {pin.component} ({source}) has no pinned digest: its sha256 is "
                                 f"{got}; pin it with --manifest-pins or pass --allow-unverified-manifests{_NOTHING}")
    if pin.sha256 is not None and got != pin.sha256:
        raise ManifestUnverified(f"release manifest {pin.component} ({source}) does not match its pin: sha256 "
                                 f"{got[:16]}… instead of {pin.sha256[:16]}…{_NOTHING}")
    try:
        docs = tuple(d for d in yaml.safe_load_all(data.decode("utf-8").replace("\t", " ")) if d)
    except (UnicodeDecodeError, yaml.YAMLError):
        raise ManifestUnverified(f"release manifest {pin.component} ({source}) is not YAML{_NOTHING}") from None
    if not all(isinstance(d, dict) and d.get("apiVersion") and d.get("kind") and (d.get("metadata") or {}).get("name")
               for d in docs):
        raise ManifestUnverified(f"release manifest {pin.component} ({source}) holds a document that is not a "
                                 f"Kubernetes object{_NOTHING}")
    if not any(d["kind"] == "Deployment" and d["metadata"]["name"] == pin.deployment
               and d["metadata"].get("namespace") == pin.namespace for d in docs):
        raise ManifestUnverified(f"release manifest {pin.component} ({source}) does not create Deployment "
                                 f"{pin.namespace}/{pin.deployment}{_NOTHING}")
    return LoadedManifest(pin, source, got, docs)


def load_all(config) -> list[LoadedManifest]:
    """Every manifest of the generation, in install order; all are verified before the first is used."""
    return [load(pin, config) for pin in effective_pins(config).manifests]
