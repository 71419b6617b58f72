"""A workflow chart repository (reference A1/A2): its index, the compatibility rule, the verified archive.

- The index is `<repository>/index.yaml` (Helm's repository layout); chart archives are found through each
  entry's `urls` (absolute, e.g. GitHub release assets, or relative to the repository).
- Compatibility: a chart's major.minor must equal the installed Orchestrator's major.minor (1.3.x charts for
  Orchestrator 1.3, ...). Without an explicit version the newest compatible *release* is chosen;
  pre-releases (1.7.0-rc3) only with `devel`.
- An archive is used only when its sha256 equals the index entry's `digest`.
Pure except `fetch_index` / `download` (HTTP(S) or file://, bounded retries).
"""

from __future__ import annotations

import hashlib
import io
import re
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable
from urllib.parse import urljoin, urlparse

from orchestrator_cli.core.errors import ChartUnavailable, Incompatible, InputError

INDEX_FILE = "index.yaml"
MAX_INDEX_BYTES = 32 * 1024 * 1024
MAX_ARCHIVE_BYTES = 64 * 1024 * 1024
RETRY_SECONDS = 10.0  # a repository that refuses connections this long is reported unreachable
_SEMVER = re.compile(r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?(?:\+([0-9A-Za-z.-]+))?$")


@dataclass(frozen=True)
class SemVer:
    major: int
    minor: int
    patch: int
    pre: tuple[str, ...] = ()
    text: str = ""

    @classmethod
    def parse(cls, text: str) -> "SemVer | None":
        m = _SEMVER.match(str(text).strip())
        if not m:
            return None
        pre = tuple(m.group(4).split(".")) if m.group(4) else ()
        return cls(int(m.group(1)), int(m.group(2)), int(m.group(3)), pre, str(text).strip().lstrip("v"))

    @property
    def major_minor(self) -> str:
        return f"{self.major}.{self.minor}"

    @property
    def prerelease(self) -> bool:
        return bool(self.pre)

    def key(self) -> tuple:
        """Semver precedence: a release sorts after its pre-releases; numeric identifiers before others."""
        pre = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in self.pre)
        return (self.major, self.minor, self.patch, 1 if not self.pre else 0, pre)

    def __str__(self) -> str:
        return self.text or f"{self.major}.{self.minor}.{self.patch}" + ("-" + ".".join(self.pre) if self.pre else "")


def parse_version(text: str, what: str = "--chart-version") -> SemVer:
    version = SemVer.parse(text)
    if version is None:
        raise InputError(f"{what} {text!r} is not a semantic version (example: 1.3.0)")
    return version


def compatible(chart_version: str, orchestrator_version: str) -> bool | None:
    """Does this chart version fit the installed Orchestrator (major.minor equal)? None when unparsable."""
    v = SemVer.parse(chart_version)
    return None if v is None else v.major_minor == orchestrator_version


def check_compatible(version: SemVer, name: str, orchestrator_version: str, allow_incompatible: bool) -> None:
    """An explicitly requested version: refused, naming both versions, unless allowed (pure)."""
    if version.major_minor != orchestrator_version and not allow_incompatible:
        raise Incompatible(f"chart {name} {version} is for Orchestrator {version.major_minor}, but Orchestrator "
                           f"{orchestrator_version} is installed; use a {orchestrator_version}.x chart version or "
                           "pass --allow-incompatible")


@dataclass(frozen=True)
class ChartVersion:
    name: str
    version: SemVer
    digest: str
    urls: tuple[str, ...]
    repository: str

    @property
    def archive_url(self) -> str:
        return urljoin(self.repository.rstrip("/") + "/", self.urls[0])


@dataclass(frozen=True)
class ChartIndex:
    repository: str
    entries: dict[str, tuple[ChartVersion, ...]]


def normalize_repository(repo: str) -> str:
    """An http(s):// or file:// URL; a directory path becomes a file:// URL (an offline mirror)."""
    text = (repo or "").strip()
    if not text:
        raise InputError("--repo must not be empty")
    parsed = urlparse(text)
    if parsed.scheme in ("http", "https"):
        if not parsed.netloc:
            raise InputError(f"--repo {text!r} has no host")
        return text.rstrip("/")
    if parsed.scheme == "file":
        return text.rstrip("/")
    if parsed.scheme and len(parsed.scheme) > 1:
        raise InputError(f"--repo {text!r}: use an http://, https:// or file:// URL, or a directory")
    path = Path(text).expanduser()
    if not path.is_dir():
        raise InputError(f"--repo {text!r} is neither an http(s):// or file:// URL nor a directory")
    return path.resolve().as_uri()


def parse_index(text: bytes | str, repository: str) -> ChartIndex:
    """The index's chart entries (pure). Entries without a parsable version or URL are skipped."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        doc = yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError:
        raise ChartUnavailable(f"{repository}/{INDEX_FILE} is not valid YAML: is {repository} a Helm chart "
                               "repository?") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("entries"), dict):
        raise ChartUnavailable(f"{repository}/{INDEX_FILE} has no chart entries: is {repository} a Helm chart "
                               "repository?")
    entries: dict[str, tuple[ChartVersion, ...]] = {}
    for name, versions in doc["entries"].items():
        out = []
        for entry in versions or []:
            if not isinstance(entry, dict):
                continue
            version = SemVer.parse(str(entry.get("version", "")))
            urls = tuple(str(u) for u in entry.get("urls") or [] if u)
            if version is None or not urls:
                continue
            out.append(ChartVersion(str(name), version, str(entry.get("digest") or ""), urls, repository))
        entries[str(name)] = tuple(sorted(out, key=lambda c: c.version.key(), reverse=True))
    return ChartIndex(repository, entries)


def choose(index: ChartIndex, name: str, orchestrator_version: str, *, requested: SemVer | None = None,
           devel: bool = False) -> ChartVersion:
    """The chart version to install (pure): the requested one, or the newest compatible release."""
    versions = index.entries.get(name)
    if not versions:
        names = sorted(index.entries)
        listed = ", ".join(names[:12]) + (", …" if len(names) > 12 else "")
        raise ChartUnavailable(f"no chart named {name!r} in {index.repository} (it has: {listed or 'no charts'})")
    same_line = [c for c in versions if c.version.major_minor == orchestrator_version]
    if requested is not None:
        for c in versions:
            if c.version.key() == requested.key():
                return c
        shown = ", ".join(str(c.version) for c in same_line) or "none"
        raise ChartUnavailable(f"chart {name} version {requested} is not in {index.repository} (versions for "
                               f"Orchestrator {orchestrator_version}: {shown})")
    candidates = [c for c in same_line if devel or not c.version.prerelease]
    if candidates:
        return candidates[0]
    if same_line:
        pre = ", ".join(str(c.version) for c in same_line)
        raise ChartUnavailable(f"no released {name} chart for Orchestrator {orchestrator_version} in "
                               f"{index.repository}; pre-releases: {pre} (pass --devel to use one)")
    others = ", ".join(str(c.version) for c in versions[:8])
    raise ChartUnavailable(f"no {name} chart for Orchestrator {orchestrator_version} in {index.repository} "
                           f"(it has: {others})")


# -- I/O ------------------------------------------------------------------------------------------------

def _describe(exc: BaseException) -> str:
    import urllib.error

    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    reason = getattr(exc, "reason", exc)
    text = str(reason)
    if "refused" in text.lower():
        return "connection refused"
    if isinstance(reason, TimeoutError) or "timed out" in text.lower():
        return "connection timed out"
    if isinstance(reason, FileNotFoundError) or "No such file" in text:
        return "no such file"
    if "certificate" in text.lower():
        return "TLS verification failed"
    if "name or service not known" in text.lower() or "nodename nor servname" in text.lower():
        return "host name not found"
    return text or reason.__class__.__name__


def _transient(exc: BaseException) -> bool:
    import urllib.error

    if isinstance(exc, urllib.error.HTTPError):
        return exc.code in (429, 502, 503, 504)
    text = str(getattr(exc, "reason", exc)).lower()
    return isinstance(exc, (urllib.error.URLError, TimeoutError, ConnectionError)) and "certificate" not in text \
        and "no such file" not in text and "not known" not in text


def read_url(url: str, limit: int, *, budget: float = RETRY_SECONDS,
             opener: Callable[..., object] | None = None) -> bytes:
    """GET a URL (http, https, file) with bounded retries on transient errors; raises ChartUnavailable."""
    import urllib.request

    from tenacity import Retrying, retry_if_exception, stop_after_delay, wait_exponential

    open_url = opener or urllib.request.urlopen
    try:
        for attempt in Retrying(retry=retry_if_exception(_transient), stop=stop_after_delay(budget),
                                wait=wait_exponential(multiplier=0.25, max=2), reraise=True):
            with attempt:
                with open_url(url, timeout=30) as resp:  # type: ignore[attr-defined]
                    data = resp.read(limit + 1)
    except Exception as exc:  # noqa: BLE001 - every failure here is "cannot get it"
        raise ChartUnavailable(f"cannot fetch {url}: {_describe(exc)}") from None
    if len(data) > limit:
        raise ChartUnavailable(f"{url} is larger than {limit // (1024 * 1024)} MiB; refusing to read it")
    return data


def fetch_index(repository: str, **kw) -> ChartIndex:
    url = f"{repository.rstrip('/')}/{INDEX_FILE}"
    try:
        data = read_url(url, MAX_INDEX_BYTES, **kw)
    except ChartUnavailable as exc:
        raise ChartUnavailable(f"chart repository {repository} unreachable: {exc.message.split(': ', 1)[-1]} "
                               f"(fetching {url})") from None
    return parse_index(data, repository)


def verify_digest(data: bytes, chart: ChartVersion) -> str:
    """The archive's sha256, if it equals the index's digest; ChartUnavailable otherwise (pure)."""
    got = hashlib.sha256(data).hexdigest()
    want = chart.digest.lower().removeprefix("sha256:")
    if not want:
        raise ChartUnavailable(f"the index of {chart.repository} has no digest for {chart.name} {chart.version}; "
                               "orch installs only archives it can verify")
    if got != want:
        raise ChartUnavailable(f"chart archive {chart.archive_url} does not match the repository index: sha256 "
                               f"{got[:16]}… instead of {want[:16]}…; nothing was installed")
    return got


@dataclass(frozen=True)
class ChartArchive:
    path: Path
    name: str
    version: str
    sha256: str
    values: dict  # the chart's default values.yaml


def read_archive(data: bytes, chart: ChartVersion, sha256: str, dest: Path) -> ChartArchive:
    """Check that the verified archive is the chart the index promised, keep it in dest, read its defaults."""
    import yaml

    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            members = {m.name: m for m in tar.getmembers() if m.isfile()}
            chart_yaml = next((n for n in members if n.count("/") == 1 and n.endswith("/Chart.yaml")), None)
            if chart_yaml is None:
                raise ChartUnavailable(f"{chart.archive_url} is not a chart archive (no Chart.yaml)")
            meta = yaml.safe_load(tar.extractfile(members[chart_yaml]).read()) or {}  # type: ignore[union-attr]
            values_name = chart_yaml.rsplit("/", 1)[0] + "/values.yaml"
            values = {}
            if values_name in members:
                values = yaml.safe_load(tar.extractfile(members[values_name]).read()) or {}  # type: ignore[union-attr]
    except (tarfile.TarError, OSError, yaml.YAMLError):
        raise ChartUnavailable(f"{chart.archive_url} is not a readable chart archive") from None
    found = SemVer.parse(str(meta.get("version", "")))
    if str(meta.get("name")) != chart.name or found is None or found.key() != chart.version.key():
        raise ChartUnavailable(f"{chart.archive_url} holds chart {meta.get('name')} {meta.get('version')}, not "
                               f"{chart.name} {chart.version} as the index says")
    path = dest / f"{chart.name}-{chart.version}.tgz"
    path.write_bytes(data)
    return ChartArchive(path, chart.name, str(chart.version), sha256, values if isinstance(values, dict) else {})


def download(chart: ChartVersion, dest: Path, **kw) -> ChartArchive:
    data = read_url(chart.archive_url, MAX_ARCHIVE_BYTES, **kw)
    sha = verify_digest(data, chart)
    return read_archive(data, chart, sha, dest)
