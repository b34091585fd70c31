"""A published version of a package, read-only, for `seccoop diff`: a package folder, a release
zip archive, or a git revision of a checkout (`git:REV` or `git:REV:FOLDER`).

Only the published files a comparison needs are read: `datapackage.json` (the version),
`data/seccoop.json` (every record, its accounts and evidence), `data/retired_ids.csv` and
`data/possibly_same.csv`. An archive's members are read straight from it, once the whole archive
is known to be safe (seccoop.safety.archives). A revision is copied, file by file under names
seccoop chooses, into a temporary folder that is always removed; every file of a folder is then
read through the reading gate (docs/safety.md).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from seccoop.model.package import DESCRIPTOR, DOCUMENT, NoPackage, find_package
from seccoop.safety import paths
from seccoop.safety.archives import MEMBER_LIMIT, Archive, ArchiveRefused, open_zip
from seccoop.safety.git import git_env

# What a comparison reads; the first two must be there, the registers may not (an older release).
REQUIRED = (DESCRIPTOR, DOCUMENT)
OPTIONAL = ("data/retired_ids.csv", "data/possibly_same.csv")
READ_LIMIT = MEMBER_LIMIT  # any one published file read for a comparison

GIT_TIMEOUT = 300  # seconds for one git command: a revision read never hangs a CI job


class Unreadable(Exception):
    """OLD or NEW names no package, or one that cannot be read safely (exit 2)."""


@dataclass(frozen=True)
class Version:
    """One side of a comparison: what the user typed, and where its published files are: a folder
    (`root`), or an open archive with the folder its package lies in (`prefix`)."""

    label: str
    root: Path
    commit: str | None = None  # the commit a git revision resolved to
    archive: Archive | None = None
    prefix: str = ""

    def read(self, rel: str) -> bytes:
        """A required published file's bytes (one of REQUIRED)."""
        found = self._bytes(rel)
        if found is None:
            hint = "" if self.archive is not None else "; run `seccoop build` there first"
            raise Unreadable(f"{self.label}: {rel}: file not found{hint}")
        return found

    def read_optional(self, rel: str) -> bytes | None:
        """An optional published file's bytes (one of OPTIONAL); None when it is absent (an older
        release)."""
        return self._bytes(rel)

    def _bytes(self, rel: str) -> bytes | None:
        if self.archive is not None:
            try:
                return self.archive.read(self.prefix + rel, READ_LIMIT)
            except KeyError:
                return None
            except ArchiveRefused as exc:
                raise Unreadable(str(exc)) from None
        try:
            return paths.read_file(self.root / rel, self.root, READ_LIMIT)
        except paths.Refused as exc:
            if exc.code == "file-missing":
                return None
            raise Unreadable(f"{self.label}: {rel}: {exc.reason}") from None


@contextlib.contextmanager
def open_version(spec: str | None) -> Iterator[Version]:
    """The version `spec` names (a folder or its datapackage.json, a .zip, or `git:REV[:FOLDER]`;
    None: the package at or above the current folder); a temporary folder made for it is removed,
    and an archive closed, on leaving, whatever happens."""
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
        with _from_zip(spec, path) as version:
            yield version
        return
    try:
        package = find_package(path, allow_bundled=False)
    except NoPackage as exc:
        raise Unreadable(str(exc)) from None
    yield Version(spec, package.root)


@contextlib.contextmanager
def _from_zip(label: str, path: Path) -> Iterator[Version]:
    try:
        with open_zip(path, label) as archive:
            prefix = archive.package_prefix(DESCRIPTOR)
            if prefix is None:
                raise Unreadable(f"{label}: no {DESCRIPTOR} at the archive's root or in its one top folder")
            yield Version(label, path, archive=archive, prefix=prefix)
    except ArchiveRefused as exc:
        raise Unreadable(str(exc)) from None


@contextlib.contextmanager
def _temporary() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="seccoop-diff-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _write_new(folder: Path, rel: str, chunks: Iterator[bytes], limit: int, what: str) -> None:
    """Write a file under a name seccoop chose, inside its own fresh folder, refusing more than
    `limit` bytes as they come."""
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
