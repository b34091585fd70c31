"""Writing files safely: every new file is staged beside its target and renamed into place only
when all are written, so a failure (an error, a full disk, Ctrl-C) leaves every old file whole.

Bytes pass through an `Output`, which counts and hashes them as they go, so that a large package
is rendered, compared and written in a stream instead of held in memory.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from pathlib import Path
from typing import BinaryIO


class WriteRefused(Exception):
    """A target path cannot be written (a folder where a file should be, read-only)."""


class Output:
    """A sink for bytes that keeps their count and sha256, and writes them to `file` if given."""

    def __init__(self, file: BinaryIO | None = None):
        self.file = file
        self.size = 0
        self._hash = hashlib.sha256()

    def write(self, data: bytes) -> None:
        self.size += len(data)
        self._hash.update(data)
        if self.file is not None:
            self.file.write(data)

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()


def file_digest(path: Path) -> tuple[int, str] | None:
    """(size, sha256) of a file read in chunks, or None if it cannot be read as a file."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
    except OSError:
        return None
    return path.stat().st_size, digest.hexdigest()


def refuse_unwritable(path: Path) -> None:
    if path.is_dir():
        raise WriteRefused(f"{path}: is a folder, not a file")
    # The mode bit, not only access(): root may write anything, but a file someone marked
    # read-only is not ours to replace.
    if path.exists() and (not os.access(path, os.W_OK) or not path.stat().st_mode & stat.S_IWUSR):
        raise WriteRefused(f"{path}: is read-only")


class Staging:
    """New versions of files, each in a temporary file beside its target until `commit`.
    Used as a context manager, it removes every temporary file if the block fails."""

    def __init__(self) -> None:
        self._staged: list[tuple[Path, Path, Output | None]] = []

    def _temporary(self, target: Path) -> tuple[int, str]:
        refuse_unwritable(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        return tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)

    def reserve(self, target: Path) -> Path:
        """A temporary path beside `target`, for a writer that needs a path (SQLite), not a stream."""
        fd, tmp = self._temporary(target)
        os.close(fd)
        self._staged.append((Path(tmp), target, None))
        return Path(tmp)

    def open(self, target: Path) -> Output:
        fd, tmp = self._temporary(target)
        try:
            file = os.fdopen(fd, "wb")
        except BaseException:
            os.unlink(tmp)
            try:
                os.close(fd)
            except OSError:
                pass  # already closed by whatever failed
            raise
        output = Output(file)
        self._staged.append((Path(tmp), target, output))
        return output

    def commit(self) -> list[Path]:
        """Rename each staged file over its target where the content changed; drop the others.
        Returns the targets that changed."""
        changed = []
        for tmp, target, output in self._staged:
            if output is not None:
                output.file.flush()
                os.fsync(output.file.fileno())
                output.file.close()
            written = file_digest(tmp) if output is None else (output.size, output.sha256)
            if file_digest(target) == written:
                tmp.unlink()
                continue
            os.chmod(tmp, target.stat().st_mode & 0o777 if target.exists() else 0o644)
            changed.append((tmp, target))
        for tmp, target in changed:
            os.replace(tmp, target)
        self._staged = []
        return sorted(target for _, target in changed)

    def abort(self) -> None:
        for tmp, _, output in self._staged:
            if output is not None:
                output.file.close()
            tmp.unlink(missing_ok=True)
        self._staged = []

    def __enter__(self) -> "Staging":
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if kind is not None:
            self.abort()


def write_atomically(targets: dict[Path, bytes]) -> list[Path]:
    """Write whole files atomically as a set (see `Staging`). Returns the paths that changed."""
    for path in targets:
        refuse_unwritable(path)
    with Staging() as staging:
        for path, data in targets.items():
            staging.open(path).write(data)
        return staging.commit()
