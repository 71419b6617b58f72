"""Workflow chart repositories for the tests: archives built at test time from the charts in this
directory (authored here, shaped like upstream's; reference A1-A7), an index.yaml with their sha256
digests, served over HTTP on loopback.

    repo = ChartRepository.build(tmp_path, {"greeting": ["1.3.0", "1.4.0"]})
    with repo.serve() as url:                      # http://127.0.0.1:PORT
        ...orch workflow install greeting --repo {url}
    repo.tamper("greeting", "1.3.0", under="tampered")   # {url}/tampered: same index, altered archive
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import http.server
import io
import tarfile
import threading
from pathlib import Path

import yaml

CHARTS = Path(__file__).resolve().parent
KNATIVE_CRDS = CHARTS / "crds" / "knative.yaml"
CREATED = "2026-01-01T00:00:00Z"


def package(name: str, version: str, *, tweak: str = "") -> bytes:
    """A chart archive (.tgz) of CHARTS/name at `version`, deterministic; `tweak` alters values.yaml."""
    src = CHARTS / name
    buf = io.BytesIO()
    # gzip's header carries a timestamp: fixed, so the same chart always has the same digest
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as gz, \
            tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in sorted(p for p in src.rglob("*") if p.is_file()):
            data = path.read_bytes()
            rel = path.relative_to(src).as_posix()
            if rel == "Chart.yaml":
                meta = yaml.safe_load(data)
                meta["version"] = version
                data = yaml.safe_dump(meta, sort_keys=False).encode()
            if rel == "values.yaml" and tweak:
                data += f"\n# {tweak}\n".encode()
            info = tarfile.TarInfo(f"{name}/{rel}")
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


class ChartRepository:
    def __init__(self, root: Path):
        self.root = root
        self.url: str | None = None

    @classmethod
    def build(cls, root: Path, charts: dict[str, list[str]], *, absolute: tuple[str, ...] = ()) -> "ChartRepository":
        """Archives and index under root. Charts named in `absolute` get absolute URLs in the index (as
        upstream's GitHub release assets), the others URLs relative to the repository."""
        root.mkdir(parents=True, exist_ok=True)
        repo = cls(root)
        repo._charts = charts  # type: ignore[attr-defined]
        repo._absolute = absolute  # type: ignore[attr-defined]
        for name, versions in charts.items():
            for version in versions:
                (root / f"{name}-{version}.tgz").write_bytes(package(name, version))
        return repo

    def index(self, base_url: str, under: str = "") -> dict:
        entries: dict[str, list[dict]] = {}
        for name, versions in self._charts.items():  # type: ignore[attr-defined]
            for version in versions:
                archive = (self.root / f"{name}-{version}.tgz").read_bytes()
                file = f"{name}-{version}.tgz"
                url = f"{base_url}/{under + '/' if under else ''}{file}" if name in self._absolute else file  # type: ignore[attr-defined]
                entries.setdefault(name, []).append({
                    "apiVersion": "v2", "name": name, "version": version, "appVersion": "1.0",
                    "created": CREATED, "digest": hashlib.sha256(archive).hexdigest(), "urls": [url],
                    "description": f"{name} (orch test chart)"})
        return {"apiVersion": "v1", "entries": entries, "generated": CREATED}

    def _write_index(self, base_url: str) -> None:
        (self.root / "index.yaml").write_text(yaml.safe_dump(self.index(base_url)))

    def tamper(self, name: str, version: str, under: str = "tampered") -> None:
        """A copy of the repository under `under`/: the same index (digests of the real archives), but the
        archive of name-version altered, as a compromised mirror would serve it."""
        assert self.url, "serve() first"
        target = self.root / under
        target.mkdir(exist_ok=True)
        (target / "index.yaml").write_text(yaml.safe_dump(self.index(self.url, under)))
        for name_, versions in self._charts.items():  # type: ignore[attr-defined]
            for v in versions:
                data = package(name_, v, tweak="altered") if (name_, v) == (name, version) else \
                    (self.root / f"{name_}-{v}.tgz").read_bytes()
                (target / f"{name_}-{v}.tgz").write_bytes(data)

    @contextlib.contextmanager
    def serve(self):
        root = self.root

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *a, **kw):
                super().__init__(*a, directory=str(root), **kw)

            def log_message(self, *a):  # keep test output quiet
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        self._write_index(self.url)
        thread = threading.Thread(target=server.serve_forever, name="chart-repository", daemon=True)
        thread.start()
        try:
            yield self.url
        finally:
            server.shutdown()
            server.server_close()
