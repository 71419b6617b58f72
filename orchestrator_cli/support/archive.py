"""The bundle file: a .tar.gz written entry by entry (memory stays flat), published only when complete.

Every entry's text passes through secrets.REDACT on its way in, so a value the bundle learnt is
secret can appear in no file, whatever collector produced it. The archive is written to
`FILE.partial` and renamed to FILE at the end; an interrupted or failed run leaves no FILE behind.
"""

from __future__ import annotations

import io
import os
import tarfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from orchestrator_cli.core.errors import InputError
from orchestrator_cli.core.secrets import REDACT

SUFFIXES = (".tar.gz", ".tgz")


def default_name(now: float | None = None) -> str:
    return time.strftime("orch-support-%Y%m%d-%H%M%S.tar.gz", time.localtime(now))


def validate_target(path: str) -> Path:
    """The archive path the user asked for, checked before anything is read or written (pure but for stat)."""
    if not path.endswith(SUFFIXES):
        raise InputError(f"-o/--output is the archive file and must end in .tar.gz or .tgz, got {path!r} "
                         "(the report format is --format table|plain|json)")
    target = Path(path).expanduser()
    if target.exists():
        raise InputError(f"{target} already exists; choose another file name (orch never overwrites a bundle)")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise InputError(f"directory {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise InputError(f"directory {parent} is not writable")
    return target


@dataclass
class BundleWriter:
    target: Path
    root: str  # top directory inside the archive (the file's stem)
    entries: list[dict] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.partial = self.target.with_name(self.target.name + ".partial")
        self._tar = tarfile.open(self.partial, "w:gz")
        self._now = time.time()

    def add(self, path: str, text: str) -> None:
        data = REDACT(text).encode("utf-8")
        info = tarfile.TarInfo(f"{self.root}/{path}")
        info.size, info.mtime, info.mode = len(data), self._now, 0o644
        self._tar.addfile(info, io.BytesIO(data))
        self.entries.append({"path": path, "size": len(data)})

    def close(self) -> int:
        """Finish the archive and publish it under its name; returns its size in bytes."""
        self._tar.close()
        try:
            os.link(self.partial, self.target)  # fails if FILE appeared meanwhile: never overwrite
        except FileExistsError:
            raise InputError(f"{self.target} appeared while the bundle was collected; it is kept as "
                             f"{self.partial}") from None
        except OSError:  # a file system without hard links
            os.replace(self.partial, self.target)
            return self.target.stat().st_size
        self.partial.unlink()
        return self.target.stat().st_size

    def abort(self) -> None:
        try:
            self._tar.close()
        finally:
            self.partial.unlink(missing_ok=True)
