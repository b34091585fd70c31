"""Reading a zip archive a stranger may have made: a release asset given to `seccoop diff` or
`seccoop.read()` (docs/safety.md).

The whole central directory is judged before any member is read: an archive holding a path that
could leave a folder, a link or device, an encrypted member, or the sizes or ratio of a zip bomb
is refused whole, naming the archive and the member. Members are then read straight from the
archive into memory, each within a limit counted as it is decompressed (a header's sizes may lie);
nothing is written to disk.
"""

from __future__ import annotations

import contextlib
import lzma
import stat
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

from seccoop.safety import paths

# Limits for an archive from anyone (a release asset, a pull request's artifact). A real release
# is a few dozen files and the 100k-event benchmark's nested document is well under 1 GiB;
# published JSON and CSV compress about 4-10:1, a zip bomb's members thousands to one.
ARCHIVE_LIMIT = 8 * 1024 * paths.MiB  # the archive file itself
ARCHIVE_MEMBERS = 100_000  # entries in its central directory
MEMBER_LIMIT = 1024 * paths.MiB  # one member, uncompressed
TOTAL_LIMIT = 4 * 1024 * paths.MiB  # all members, uncompressed
RATIO_LIMIT = 200  # uncompressed : compressed, for members over RATIO_FLOOR
RATIO_FLOOR = paths.MiB  # a small member is harmless whatever its ratio

# What zipfile raises on an archive whose headers or data are corrupt or of a kind it cannot read:
# beside its own errors, those of the decompressors (bz2's is a bare OSError) and of a seek to an
# offset a header made up (EINVAL). The archive is a regular file already open: reading it fails
# for no reason of the environment's.
CORRUPT = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    NotImplementedError,
    ValueError,
    EOFError,
    RuntimeError,
    OSError,
    zlib.error,
    lzma.LZMAError,
)


class ArchiveRefused(Exception):
    """An archive, or a member of it, that is not read: the message names the archive (as the
    user gave it), the member where one is at fault, and why; never what a member holds."""


class Archive:
    """An open zip archive whose every member is known to be safe to read."""

    def __init__(self, label: str, archive: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo]):
        self.label, self._archive, self.members = label, archive, members

    def package_prefix(self, descriptor: str) -> str | None:
        """Where `descriptor` lies: at the archive's root (""), or in its one top folder
        ("top/"); None where it is in neither (no package, or not where a release puts it)."""
        if descriptor in self.members:
            return ""
        tops = {name.split("/", 1)[0] for name in self.members}
        if len(tops) == 1:
            prefix = next(iter(tops)) + "/"
            if prefix + descriptor in self.members:
                return prefix
        return None

    def read(self, name: str, limit: int) -> bytes:
        """The member `name`'s bytes, at most `limit` of them (ArchiveRefused beyond, or where it
        is a folder or cannot be decompressed). KeyError where there is no such member."""
        info = self.members[name]
        if info.is_dir():
            raise ArchiveRefused(f"{self.label}: {name} is a folder, not a file")
        if info.file_size > limit:
            raise ArchiveRefused(f"{self.label}: {name} is {info.file_size} bytes; at most {limit} are read")
        chunks, count = [], 0
        try:
            with self._archive.open(info) as member:
                while chunk := member.read(paths.MiB):
                    count += len(chunk)
                    if count > info.file_size:  # more than its header said: a lie
                        raise ArchiveRefused(f"{self.label}: {name} holds more than its header says")
                    chunks.append(chunk)
        except CORRUPT as exc:  # a bad CRC or stream, an unknown compression method, a truncated member
            raise ArchiveRefused(f"{self.label}: {name}: cannot be read: {exc}") from None
        return b"".join(chunks)


@contextlib.contextmanager
def open_zip(path: Path, label: str) -> Iterator[Archive]:
    """The zip archive at `path` (`label`: how the user named it), open while the block runs,
    once its whole central directory has been judged safe."""
    try:
        handle = paths.open_archive(path, ARCHIVE_LIMIT)
    except paths.Refused as exc:
        raise ArchiveRefused(f"{label}: {exc.reason}") from None
    with handle:
        try:
            archive = zipfile.ZipFile(handle)
        except CORRUPT as exc:
            raise ArchiveRefused(f"{label}: neither a package folder nor a zip archive ({exc})") from None
        with archive:
            yield Archive(label, archive, safe_members(label, archive))


def safe_members(label: str, archive: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """Every member, once the whole archive is known to hold nothing unsafe: no path that could
    leave a folder, no link or device, nothing encrypted, no size or ratio of a zip bomb. An
    archive with any such member is refused whole: it is not a release seccoop made."""
    infos = archive.infolist()
    if len(infos) > ARCHIVE_MEMBERS:
        raise ArchiveRefused(f"{label}: {len(infos)} members; at most {ARCHIVE_MEMBERS} are read")
    members, total = {}, 0
    for info in infos:
        name = info.filename
        why = _unsafe_name(name) or _unsafe_member(info)
        if why is not None:
            raise ArchiveRefused(f"{label}: refused member {name!r}: {why}")
        total += info.file_size
        if total > TOTAL_LIMIT:
            raise ArchiveRefused(f"{label}: more than {TOTAL_LIMIT} bytes uncompressed; at most that is read")
        if name in members:
            raise ArchiveRefused(f"{label}: refused member {name!r}: listed twice")
        members[name] = info
    return members


def _unsafe_name(name: str) -> str | None:
    if not name or "\x00" in name or "\\" in name:
        return "not a plain path"
    if name.startswith("/") or name[1:2] == ":":
        return "an absolute path"
    parts = name.removesuffix("/").split("/")  # a folder's name ends with /
    if ".." in parts:
        return "a path with `..`"
    if any(p in ("", ".") for p in parts):
        return "not a plain path"
    return None


def _unsafe_member(info: zipfile.ZipInfo) -> str | None:
    kind = stat.S_IFMT(info.external_attr >> 16)  # 0: no Unix type given (many zip writers)
    if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        return "a link or special file" if kind == stat.S_IFLNK else "not a regular file"
    if info.flag_bits & 0x1:
        return "encrypted"
    if info.file_size > MEMBER_LIMIT:
        return f"{info.file_size} bytes uncompressed; at most {MEMBER_LIMIT} are read"
    ratio = info.file_size // max(info.compress_size, 1)
    if info.file_size > RATIO_FLOOR and info.file_size > RATIO_LIMIT * max(info.compress_size, 1):
        return f"compressed {ratio}:1 (at most {RATIO_LIMIT}:1): a zip bomb, not published data"
    return None
