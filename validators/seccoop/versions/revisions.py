"""A published version of a package, read-only, for `seccoop diff`: a package folder, a release
zip archive, or a git revision of a checkout (`git:REV` or `git:REV:FOLDER`).

Only the published files a comparison needs are read: `datapackage.json` (the version),
`data/seccoop.json` (every record, its accounts and evidence), `data/retired_ids.csv` and
`data/possibly_same.csv`. An archive or a revision is copied, file by file under names seccoop
chooses (never a name taken from the archive), into a temporary folder that is always removed;
every file is then read through the reading gate (docs/safety.md) as in a folder.
"""

from __future__ import annotations

import contextlib
import lzma
import os
import shutil
import stat
import subprocess
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from seccoop.model.package import DESCRIPTOR, DOCUMENT, NoPackage, find_package
from seccoop.safety import paths
from seccoop.safety.git import git_env

# What a comparison reads; the first two must be there, the registers may not (an older release).
REQUIRED = (DESCRIPTOR, DOCUMENT)
OPTIONAL = ("data/retired_ids.csv", "data/possibly_same.csv")

# Limits for an archive from anyone (a release asset, a pull request's artifact). A real release
# is a few dozen files and the 100k-event benchmark's nested document is well under 1 GiB;
# published JSON and CSV compress about 4-10:1, a zip bomb's members thousands to one.
ARCHIVE_LIMIT = 8 * 1024 * paths.MiB  # the archive file itself
ARCHIVE_MEMBERS = 100_000  # entries in its central directory
MEMBER_LIMIT = 1024 * paths.MiB  # one member, uncompressed
TOTAL_LIMIT = 4 * 1024 * paths.MiB  # all members, uncompressed
RATIO_LIMIT = 200  # uncompressed : compressed, for members over RATIO_FLOOR
RATIO_FLOOR = paths.MiB  # a small member is harmless whatever its ratio
READ_LIMIT = MEMBER_LIMIT  # any one published file read for a comparison

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

GIT_TIMEOUT = 300  # seconds for one git command: a revision read never hangs a CI job


class Unreadable(Exception):
    """OLD or NEW names no package, or one that cannot be read safely (exit 2)."""


@dataclass(frozen=True)
class Version:
    """One side of a comparison: what the user typed, and a folder holding its published files."""

    label: str
    root: Path
    commit: str | None = None  # the commit a git revision resolved to

    def read(self, rel: str) -> bytes:
        """A required published file's bytes (one of REQUIRED) through the reading gate."""
        try:
            return paths.read_file(self.root / rel, self.root, READ_LIMIT)
        except paths.Refused as exc:
            raise self._unreadable(rel, exc) from None

    def read_optional(self, rel: str) -> bytes | None:
        """An optional published file's bytes (one of OPTIONAL) through the reading gate; None when
        it is absent (an older release)."""
        try:
            return paths.read_file(self.root / rel, self.root, READ_LIMIT)
        except paths.Refused as exc:
            if exc.code == "file-missing" and rel in OPTIONAL:
                return None
            raise self._unreadable(rel, exc) from None

    def _unreadable(self, rel: str, exc: paths.Refused) -> Unreadable:
        hint = "; run `seccoop build` there first" if exc.code == "file-missing" else ""
        return Unreadable(f"{self.label}: {rel}: {exc.reason}{hint}")


@contextlib.contextmanager
def open_version(spec: str | None) -> Iterator[Version]:
    """The version `spec` names (a folder or its datapackage.json, a .zip, or `git:REV[:FOLDER]`;
    None: the package at or above the current folder); a temporary folder made for it is removed
    on leaving, whatever happens."""
    if spec is None:
        try:
            here = find_package(None, allow_bundled=False).root
        except NoPackage as exc:
            raise Unreadable(str(exc)) from None
        yield Version(".", here)
        return
    if spec.startswith("git:"):
        with _temporary() as folder:
            yield _from_git(spec, folder)
        return
    path = Path(spec)
    if path.is_file() and path.name != DESCRIPTOR:
        with _temporary() as folder:
            yield _from_zip(spec, path, folder)
        return
    try:
        package = find_package(path, allow_bundled=False)
    except NoPackage as exc:
        raise Unreadable(str(exc)) from None
    yield Version(spec, package.root)


@contextlib.contextmanager
def _temporary() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="seccoop-diff-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _write_new(folder: Path, rel: str, chunks: Iterator[bytes], limit: int, what: str) -> None:
    """Write a file under a name seccoop chose, inside its own fresh folder, refusing more than
    `limit` bytes as they come (a header's sizes may lie)."""
    target = folder / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    written = 0
    with os.fdopen(fd, "wb") as out:
        for chunk in chunks:
            written += len(chunk)
            if written > limit:
                raise Unreadable(f"{what} is larger than {limit} bytes; at most that is read")
            out.write(chunk)


# -- zip archives -----------------------------------------------------------------------------


def _from_zip(label: str, path: Path, folder: Path) -> Version:
    try:
        handle = paths.open_archive(path, ARCHIVE_LIMIT)
    except paths.Refused as exc:
        raise Unreadable(f"{label}: {exc.reason}") from None
    with handle:
        try:
            archive = zipfile.ZipFile(handle)
        except CORRUPT as exc:
            raise Unreadable(f"{label}: neither a package folder nor a zip archive ({exc})") from None
        with archive:
            members = _safe_members(label, archive)
            prefix = _package_prefix(label, members)
            for rel in REQUIRED + OPTIONAL:
                info = members.get(prefix + rel)
                if info is not None:
                    _extract(label, archive, info, folder, rel)
    return Version(label, folder)


def _safe_members(label: str, archive: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """Every member, once the whole archive is known to hold nothing unsafe: no path that could
    leave a folder, no link or device, nothing encrypted, no size or ratio of a zip bomb. An
    archive with any such member is refused whole: it is not a release seccoop made."""
    infos = archive.infolist()
    if len(infos) > ARCHIVE_MEMBERS:
        raise Unreadable(f"{label}: {len(infos)} members; at most {ARCHIVE_MEMBERS} are read")
    members, total = {}, 0
    for info in infos:
        name = info.filename
        why = _unsafe_name(name)
        kind = stat.S_IFMT(info.external_attr >> 16)  # 0: no Unix type given (many zip writers)
        if why is None and kind not in (0, stat.S_IFREG, stat.S_IFDIR):
            why = "a link or special file" if kind == stat.S_IFLNK else "not a regular file"
        if why is None and info.flag_bits & 0x1:
            why = "encrypted"
        if why is None and info.file_size > MEMBER_LIMIT:
            why = f"{info.file_size} bytes uncompressed; at most {MEMBER_LIMIT} are read"
        if why is None and info.file_size > RATIO_FLOOR and info.file_size > RATIO_LIMIT * max(info.compress_size, 1):
            why = (
                f"compressed {info.file_size // max(info.compress_size, 1)}:1 "
                f"(at most {RATIO_LIMIT}:1): a zip bomb, not published data"
            )
        if why is not None:
            raise Unreadable(f"{label}: refused member {name!r}: {why}")
        total += info.file_size
        if total > TOTAL_LIMIT:
            raise Unreadable(f"{label}: more than {TOTAL_LIMIT} bytes uncompressed; at most that is read")
        if name in members:
            raise Unreadable(f"{label}: refused member {name!r}: listed twice")
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


def _package_prefix(label: str, members: dict[str, zipfile.ZipInfo]) -> str:
    """Where datapackage.json lies: at the archive's root, or in its one top folder."""
    if DESCRIPTOR in members:
        return ""
    tops = {name.split("/", 1)[0] for name in members}
    if len(tops) == 1:
        prefix = next(iter(tops)) + "/"
        if prefix + DESCRIPTOR in members:
            return prefix
    raise Unreadable(f"{label}: no {DESCRIPTOR} at the archive's root or in its one top folder")


def _extract(label: str, archive: zipfile.ZipFile, info: zipfile.ZipInfo, folder: Path, rel: str) -> None:
    if info.is_dir():
        raise Unreadable(f"{label}: {info.filename} is a folder, not a file")

    def chunks() -> Iterator[bytes]:
        # Only reading is caught here: a failure to write the copy (no space) is the environment's.
        try:
            with archive.open(info) as member:
                while chunk := member.read(paths.MiB):
                    yield chunk
        except CORRUPT as exc:  # a bad CRC or stream, an unknown compression method, a truncated member
            raise Unreadable(f"{label}: {info.filename}: cannot be read: {exc}") from None

    _write_new(folder, rel, chunks(), min(info.file_size, MEMBER_LIMIT), f"{label}: {info.filename}")


# -- git revisions ----------------------------------------------------------------------------


def _from_git(label: str, folder: Path) -> Version:
    """`git:REV` or `git:REV:FOLDER` of the git checkout holding the current folder. FOLDER is the
    package's folder from the repository's top; by default, that of the package at or above the
    current folder. Only plumbing runs (rev-parse, ls-tree, cat-file): no hook, no filter, no
    checkout, and never a shell."""
    rev, _, sub = label[len("git:") :].partition(":")
    if not rev or rev.startswith("-") or any(c in rev for c in "\x00\n\r"):
        raise Unreadable(f"{label}: not a git revision (write git:REV or git:REV:FOLDER)")
    shown = _git(
        label,
        "rev-parse",
        "--show-toplevel",
        cwd=Path.cwd(),
        missing=f"{label}: the current folder is not inside a git checkout",
    )
    top_path = Path(shown.decode("utf-8", "surrogateescape").rstrip("\n"))
    commit = (
        _git(
            label,
            "rev-parse",
            "--verify",
            "--quiet",
            f"{rev}^{{commit}}",
            cwd=top_path,
            missing=f"{label}: unknown git revision {rev!r}",
        )
        .decode("ascii")
        .strip()
    )
    prefix = _git_folder(label, sub, top_path)
    entries = _git_entries(label, commit, top_path, [prefix + rel for rel in REQUIRED + OPTIONAL])
    for rel in REQUIRED + OPTIONAL:
        entry = entries.get(prefix + rel)
        if entry is None:
            if rel in REQUIRED:
                where = f"{rev}:{prefix or './'}"
                raise Unreadable(
                    f"{label}: no {rel} at {where}"
                    + ("; was the package built and committed there?" if rel == DOCUMENT else "")
                )
            continue
        mode, kind, obj, size = entry
        if kind != "blob" or mode not in ("100644", "100755"):
            raise Unreadable(f"{label}: {prefix + rel} is {'a link' if mode == '120000' else 'not a file'} at {rev}")
        if size > READ_LIMIT:
            raise Unreadable(f"{label}: {prefix + rel} is {size} bytes; at most {READ_LIMIT} are read")
        _git_blob(label, obj, top_path, folder, rel)
    return Version(label, folder, commit)


def _git_folder(label: str, sub: str, top: Path) -> str:
    if sub:
        parts = PurePosixPath(sub).parts
        if sub.startswith("/") or ".." in parts or "\\" in sub:
            raise Unreadable(f"{label}: FOLDER must be a path inside the repository, from its top")
        rel = PurePosixPath(*parts).as_posix() if parts else "."
    else:
        try:
            root = find_package(None, allow_bundled=False).root
            rel = root.resolve().relative_to(top.resolve()).as_posix()
        except (NoPackage, ValueError):
            rel = "."
    return "" if rel == "." else rel + "/"


def _git_entries(label: str, commit: str, top: Path, wanted: list[str]) -> dict[str, tuple[str, str, str, int]]:
    out = _git(label, "ls-tree", "-z", "--long", "--full-tree", commit, "--", *wanted, cwd=top)
    entries = {}
    for record in out.split(b"\x00"):
        if not record:
            continue
        meta, _, name = record.partition(b"\t")
        mode, kind, obj, size = meta.decode("ascii").split()
        entries[name.decode("utf-8", "surrogateescape")] = (mode, kind, obj, int(size) if size.isdigit() else 0)
    return entries


def _git_blob(label: str, obj: str, top: Path, folder: Path, rel: str) -> None:
    process = subprocess.Popen(
        ["git", "cat-file", "blob", obj],
        cwd=top,
        env=git_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        stdout = process.stdout
        if stdout is None:  # never with stdout=PIPE; says so to the type checker
            raise Unreadable(f"{label}: git gave no output for {rel}")

        def chunks() -> Iterator[bytes]:
            while chunk := stdout.read(paths.MiB):
                yield chunk

        _write_new(folder, rel, chunks(), READ_LIMIT, f"{label}: {rel}")
        if process.wait(timeout=GIT_TIMEOUT) != 0:
            raise Unreadable(f"{label}: git could not read {rel}")
    finally:
        if process.poll() is None:
            process.kill()
        if process.stdout is not None:
            process.stdout.close()
        process.wait()


def _git(label: str, *args: str, cwd: Path, missing: str | None = None) -> bytes:
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, env=git_env(), stdin=subprocess.DEVNULL, capture_output=True, timeout=GIT_TIMEOUT
        )
    except FileNotFoundError:
        raise Unreadable(f"{label}: git is not installed") from None
    except subprocess.TimeoutExpired:
        raise Unreadable(f"{label}: git did not answer within {GIT_TIMEOUT} s") from None
    if done.returncode != 0:
        if missing is not None:
            raise Unreadable(missing)
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise Unreadable(f"{label}: git {args[0]} failed: {said[-1] if said else 'status ' + str(done.returncode)}")
    return done.stdout
