"""The reading gate: every file seccoop reads on a user's behalf passes here (docs/safety.md).

A path is read only when it lies inside a root the user chose (the package, or a folder named
explicitly for the purpose), no component on the way from that root is a link, it is a regular
file, and it is no larger than the limit of its kind. A refusal names the file and the reason,
never what the file holds.
"""

from __future__ import annotations

import errno
import hashlib
import io
import os
import stat
from collections.abc import Iterator
from pathlib import Path

MiB = 1024 * 1024
CURATED_LIMIT = 64 * MiB
SOURCE_LIMIT = 64 * MiB
DOCUMENT_LIMIT = 64 * MiB
TABLE_LIMIT = 1024 * MiB  # a published table (data/*.csv) or the descriptor, read by seccoop.read()

# O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer, forever.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
_CHUNK = 1 << 20


class Refused(Exception):
    """A path the gate does not read. `code` is the report code (file-link, file-missing,
    file-unreadable, file-too-large); `link` is the component that is a link, if one is."""

    def __init__(self, code: str, reason: str, link: Path | None = None):
        super().__init__(reason)
        self.code, self.reason, self.link = code, reason, link


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def check_way(path: Path, root: Path) -> os.stat_result:
    """The `lstat` of `path`, once every component from `root` to it (itself included) is known
    to be no link. Raises Refused for a path outside `root`, a link, or a missing component."""
    try:
        parts = path.relative_to(root).parts
    except ValueError:
        raise Refused("file-unreadable", "lies outside the package") from None
    if ".." in parts:
        raise Refused("file-unreadable", "lies outside the package")
    here, info = root, None
    for part in parts:
        here = here / part
        try:
            info = os.lstat(here)
        except FileNotFoundError:
            raise Refused("file-missing", "file not found") from None
        except NotADirectoryError:
            raise Refused("file-missing", "file not found (a component is not a folder)") from None
        except OSError as exc:
            raise Refused("file-unreadable", exc.strerror or str(exc)) from None
        if stat.S_ISLNK(info.st_mode):
            what = "it" if here == path else f"`{here.relative_to(root).as_posix()}` on its way"
            if not os.path.exists(here):  # only whether its target exists, never what it holds
                raise Refused("file-unreadable", f"{what} is a broken symbolic link", link=here)
            raise Refused(
                "file-link", f"{what} is a symbolic link; seccoop reads only the package's own files", link=here
            )
    return info if info is not None else os.lstat(root)


class LimitedReader(io.RawIOBase):
    """A binary stream over an open regular file that refuses to yield more than `limit` bytes
    (the file may grow after its size was checked). A raw stream, so that `open_text` and
    Frictionless's loader can buffer and decode it like any file."""

    def __init__(self, fd: int, limit: int):
        super().__init__()
        self._file = os.fdopen(fd, "rb", buffering=0)
        self.limit, self.count = limit, 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if size is None:
            size = -1
        want = self.limit + 1 - self.count if size < 0 else min(size, self.limit + 1 - self.count)
        chunks = []
        while want > 0:
            chunk = self._file.read(min(want, _CHUNK))
            if not chunk:
                break
            chunks.append(chunk)
            want -= len(chunk)
            if size >= 0:
                break
        data = b"".join(chunks)
        self.count += len(data)
        if self.count > self.limit:
            raise Refused("file-too-large", f"larger than {self.limit} bytes; at most that is read")
        return data

    def readall(self) -> bytes:
        return self.read(-1)

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def seekable(self) -> bool:
        return True  # a regular file (the gate admits nothing else); Frictionless rereads its start

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        # The limit bounds how far into the file one reads, so the count is the position.
        self.count = self._file.seek(offset, whence)
        return self.count

    def tell(self) -> int:
        return self.count

    def fileno(self) -> int:
        return self._file.fileno()

    def close(self) -> None:
        if not self.closed:
            self._file.close()
        super().close()

    def __enter__(self) -> LimitedReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_file(path: Path, root: Path | None, limit: int) -> LimitedReader:
    """Open a file for reading through the gate. With `root` None the file itself is what the user
    named (a document given to `add-source`): it may lie anywhere, but must still be a regular
    file within the limit."""
    if root is not None:
        info = check_way(path, root)
        if not stat.S_ISREG(info.st_mode):  # refused before open: opening a device may act
            raise Refused("file-unreadable", f"{_kind(info.st_mode)}, not a regular file")
    flags = _OPEN_FLAGS if root is not None else _OPEN_FLAGS & ~getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise Refused("file-missing", "file not found") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # replaced by a link since it was checked
            raise Refused("file-link", "it is a symbolic link; seccoop reads only the package's own files") from None
        raise Refused("file-unreadable", exc.strerror or str(exc)) from None
    try:
        info = os.fstat(fd)  # the file opened, not the name: no race between check and read
        if not stat.S_ISREG(info.st_mode):
            raise Refused("file-unreadable", f"{_kind(info.st_mode)}, not a regular file")
        if info.st_size > limit:
            raise Refused("file-too-large", f"{info.st_size} bytes; at most {limit} are read")
        return LimitedReader(fd, limit)
    except BaseException:
        os.close(fd)
        raise


def open_archive(path: Path, limit: int):
    """An archive the user named (`seccoop diff OLD.zip NEW`), open for random access: a regular
    file within the limit, like a document given to `add-source`. A zip reader seeks, so this is
    a plain file, not a LimitedReader: the caller bounds each member it reads."""
    try:
        fd = os.open(path, _OPEN_FLAGS & ~getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        raise Refused("file-missing", "file not found") from None
    except OSError as exc:
        raise Refused("file-unreadable", exc.strerror or str(exc)) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Refused("file-unreadable", f"{_kind(info.st_mode)}, not a regular file")
        if info.st_size > limit:
            raise Refused("file-too-large", f"{info.st_size} bytes; at most {limit} are read")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_file(path: Path, root: Path | None, limit: int) -> bytes:
    """The whole content of a file read through the gate (see `open_file`)."""
    with open_file(path, root, limit) as f:
        try:
            return f.read()
        except OSError as exc:
            raise Refused("file-unreadable", exc.strerror or str(exc)) from None


def open_text(path: Path, root: Path | None, limit: int) -> io.TextIOWrapper:
    """A file opened through the gate as UTF-8 text (newlines as they are, for the csv module)."""
    return io.TextIOWrapper(io.BufferedReader(open_file(path, root, limit), _CHUNK), encoding="utf-8", newline="")


def digest(path: Path, root: Path, limit: int) -> tuple[int, str]:
    """(size, sha256) of a file read through the gate in chunks (Refused as `open_file`)."""
    sha = hashlib.sha256()
    with open_file(path, root, limit) as f:
        try:
            for chunk in iter(lambda: f.read(_CHUNK), b""):
                sha.update(chunk)
        except OSError as exc:
            raise Refused("file-unreadable", exc.strerror or str(exc)) from None
        return f.count, sha.hexdigest()


def check_file(path: Path, root: Path, limit: int) -> None:
    """Whether the gate would read `path` (a regular file within the limit, no link on the way),
    without reading it: Refused if not. For files another reader opens through the gate later."""
    with open_file(path, root, limit):
        pass


def walk(folder: Path, root: Path) -> Iterator[tuple[Path, bool]]:
    """(path, is_link) of every entry under `folder` that is not a folder, in path order, entering
    no link: a link is listed as it is, for the caller to report. Nothing when `folder` does not
    exist; Refused when `folder` or a component on the way to it is a link."""
    try:
        info = check_way(folder, root)
    except Refused as exc:
        if exc.code == "file-missing":
            return
        raise
    if not stat.S_ISDIR(info.st_mode):
        yield folder, False  # a file where a folder belongs: reading it says what it is
        return
    entries = []
    with os.scandir(folder) as it:
        for entry in it:
            entries.append((entry.name, entry.is_symlink(), entry.is_dir(follow_symlinks=False)))
    for name, is_link, is_dir in sorted(entries):
        path = folder / name
        if is_dir:
            yield from walk(path, root)
        else:
            yield path, is_link
