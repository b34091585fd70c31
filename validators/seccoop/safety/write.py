"""Writing files safely (docs/safety.md, "Writing"): every new file is staged beside its target and
renamed into place only when all are written, so a failure (an error, a full disk, Ctrl-C, a kill)
leaves every old file whole.

- A temporary file is named `.<target name>.seccoop-<run token>.tmp`, and each run holds an
  exclusive `flock` on `.seccoop-<run token>.lock` in every folder it writes to, so that a later
  run can tell the leftovers of a run that died (its lock is free) from those of a run still
  writing, and remove them. Where there is no `flock` (docs/safety.md, "Every platform"): on
  Windows a run's lock is its lock file held open (Windows removes no file a process holds open,
  and closes every file of a process that ends), so a lock file that can be removed is a dead
  run's; on a system with neither, no run can tell, and none removes another's leftovers.
- A set of several files is committed through a journal (`.seccoop-<run token>.journal`): written
  and fsynced once every temporary file is, removed once every rename is done. A later writer into
  that folder rolls a dead run's journal forward, but only over temporary files that match every
  field it records (sha256, device, inode, change time): a journal and temporary files that
  arrived any other way (committed in a pull request) can never match, so they rename nothing.

Bytes pass through an `Output`, which counts and hashes them as they go, so that a large package
is rendered, compared and written in a stream instead of held in memory.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import secrets
import stat
import sys
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from seccoop.safety.untrusted import load_json

try:
    import fcntl
except ImportError:  # Windows (and WASI): no flock; see LOCKING
    fcntl = None

# How a run holds its lock, so that a later run can tell a dead run's leftovers from a live one's
# (docs/safety.md, "Every platform"): "flock" (Linux, macOS, the BSDs: every POSIX system);
# "open", Windows: the lock file held open is the lock (a file any process holds open cannot be
# removed there, and a process that ends has all its files closed); None: a system with neither,
# where no run removes another's leftovers.
LOCKING = "flock" if fcntl is not None else "open" if sys.platform == "win32" else None
# Flags that exist only on some systems: where one is missing, what it guards is done otherwise.
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)  # missing on Windows: the name is lstat'ed, see _open_regular
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # missing on Windows, whose file system holds no FIFO
_BINARY = getattr(os, "O_BINARY", 0)  # Windows only: bytes as they are (no newline translation)

# What a run leaves in a folder while it writes; the token ties them to the run and its lock.
TOKEN = r"(?P<token>[0-9a-f]{16})"
TEMPORARY = re.compile(r"\.(?P<target>.+)\.seccoop-" + TOKEN + r"\.tmp(?P<sqlite>-journal|-wal|-shm)?")
LOCK = re.compile(r"\.seccoop-" + TOKEN + r"\.lock")
JOURNAL = re.compile(r"\.seccoop-" + TOKEN + r"\.journal")
# The parts of a package no export may write into (docs/safety.md, "Export targets").
PACKAGE_OWN = ("datapackage.json", "data", "seeds", "schema")


# Sets of files put under a journal, and commits whose renames are done, in this process: a
# command stopped by Ctrl-C or SIGTERM says truly what it leaves (`seccoop.cli`).
COMMITS = {"journaled": 0, "done": 0}


class WriteRefused(Exception):
    """A target path cannot be written (a folder where a file should be, a link, read-only)."""


class TargetRefused(Exception):
    """An export target (`--out`) seccoop will not write: a link, a device, a FIFO or socket, the
    wrong kind of file, or one of the package's own files."""


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


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a link"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a folder" if stat.S_ISDIR(mode) else "a file" if stat.S_ISREG(mode) else "not a regular file"


def check_export_target(out: Path, package_root: Path, folder: bool) -> None:
    """Refuse an export target (TargetRefused) that is a link, a device, a FIFO or a socket, a
    folder where a file is written (`folder` False) or a file where a folder is, or that lies in
    the package's own files: its datapackage.json, data/, seeds/ or schema/."""
    out = Path(out)
    try:
        mode = os.lstat(out).st_mode  # never follows a link: the link itself is what is refused
    except FileNotFoundError:
        mode = None
    except OSError as exc:  # a part of the way is not a folder, or cannot be looked into
        raise TargetRefused(f"{out}: cannot be written: {exc.strerror}") from None
    if mode is not None:
        kind = _kind(mode)
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            raise TargetRefused(f"{out}: is {kind}; an export writes only regular files and folders")
        if folder and not stat.S_ISDIR(mode):
            raise TargetRefused(f"{out}: is a file; this export writes a folder")
        if not folder and stat.S_ISDIR(mode):
            raise TargetRefused(f"{out}: is a folder; this export writes a file")
    # Where it really is: the parent with its links resolved, then the name (itself never followed).
    where = out.resolve() if out.name in ("", ".", "..") else out.parent.resolve() / out.name
    root = Path(package_root).resolve()
    for part in PACKAGE_OWN:
        own = root / part
        if where == own or where.is_relative_to(own):
            raise TargetRefused(
                f"{out}: is inside the package's own files ({part}); export somewhere outside {', '.join(PACKAGE_OWN)}"
            )


def refuse_unwritable(path: Path) -> None:
    """Refuse (WriteRefused) to replace anything but a regular file we may write."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    except NotADirectoryError:
        raise WriteRefused(f"{path}: cannot be written: a file is where a folder on its way should be") from None
    if not stat.S_ISREG(st.st_mode):
        kind = _kind(st.st_mode)
        raise WriteRefused(
            f"{path}: is {kind}, not a file"
            if kind == "a folder"
            else f"{path}: is {kind}, not a regular file; seccoop replaces only regular files"
        )
    # The mode bit, not only access(): root may write anything, but a file someone marked
    # read-only is not ours to replace.
    if not os.access(path, os.W_OK) or not st.st_mode & stat.S_IWUSR:
        raise WriteRefused(f"{path}: is read-only")


def _create(path: Path, flags: int) -> int:
    """A file of this run's, created new (never through a link). Its name carries this run's fresh
    token, so whatever is already there was planted: refused, never written through or removed.
    (O_EXCL alone refuses any name that exists, a link included, where O_NOFOLLOW is missing.)"""
    try:
        return os.open(path, flags | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _BINARY, 0o600)
    except FileExistsError:
        raise WriteRefused(
            f"{path}: something is already there, at a name only this run of seccoop uses; remove it"
        ) from None


def _refuse_planted(path: Path) -> None:
    """Refuse (WriteRefused) a folder at a name seccoop keeps for its own temporary, lock and journal
    files: seccoop never makes one, and a folder it did not make is not its to remove."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if stat.S_ISDIR(mode):
        raise WriteRefused(
            f"{path}: is a folder, at a name seccoop keeps for its own temporary, lock "
            "and journal files (seccoop never makes such a folder); remove or rename it"
        )


def _open_regular(path: Path) -> int:
    """A regular file opened for reading, never through a link at `path` itself, nor waiting on a
    FIFO: O_NOFOLLOW and O_NONBLOCK where the system has them; elsewhere (Windows) the name is
    lstat'ed first and the file opened must be the one lstat saw. The caller checks the type on the
    descriptor (fstat)."""
    if _NOFOLLOW:
        return os.open(path, os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _BINARY)
    seen = os.lstat(path)
    if not stat.S_ISREG(seen.st_mode):
        raise OSError(
            errno.ELOOP if stat.S_ISLNK(seen.st_mode) else errno.EINVAL,
            f"is {_kind(seen.st_mode)}, not a regular file",
            str(path),
        )
    fd = os.open(path, os.O_RDONLY | _NONBLOCK | _BINARY)
    opened = os.fstat(fd)
    if (opened.st_dev, opened.st_ino) != (seen.st_dev, seen.st_ino):  # replaced since lstat
        os.close(fd)
        raise OSError(errno.ELOOP, "was replaced while it was opened", str(path))
    return fd


def _fsync_folder(folder: Path) -> None:
    """Make the renames in `folder` durable. Windows cannot open a folder as a file (and has no
    O_DIRECTORY): there NTFS's own journal keeps a finished rename, and nothing is done here."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sha256_nofollow(path: Path) -> str | None:
    try:
        fd = _open_regular(path)
    except OSError:
        return None
    digest = hashlib.sha256()
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            return None
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _run_is_alive(folder: Path, token: str) -> bool:
    """Whether the run of `token` still holds its lock in `folder` (see LOCKING). Where no lock can
    be told held from free, every run is taken as alive: its leftovers are never removed."""
    if LOCKING is None:
        return True
    if LOCKING == "open":
        # A live run holds its lock file open, and Windows refuses to remove such a file (os.open
        # never shares the right to delete); a dead run's files were closed when it ended.
        try:
            os.unlink(folder / f".seccoop-{token}.lock")
        except FileNotFoundError:
            return False  # a run takes its lock before it writes anything, and drops it last
        except PermissionError:
            return True  # held open (or marked read-only: not seccoop's, and left alone too)
        return False
    try:
        fd = os.open(folder / f".seccoop-{token}.lock", os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return False  # a run takes its lock before it writes anything, and drops it last
    try:
        _flock_now(fd)
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            return True
        raise
    finally:
        os.close(fd)
    return False


def _flock_now(fd: int) -> None:
    """Take an exclusive flock on `fd` at once, or fail (OSError: another run holds it). Only
    where LOCKING is "flock"."""
    assert fcntl is not None, "no flock here (see LOCKING)"
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def unfinished_journals(folder: Path) -> list[Path]:
    """The journals in `folder` of commits that have not finished (or were forged)."""
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    return sorted(folder / n for n in names if JOURNAL.fullmatch(n))


def _journal_entries(folder: Path, journal: Path, token: str) -> list[dict] | None:
    """The journal's entries, each with its temporary and target paths, or None if it is not one
    seccoop writes (unreadable, malformed, or naming paths outside its folder)."""
    try:
        fd = _open_regular(journal)
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                return None
            doc = load_json(f.read(1 << 24))  # anyone may have written it: depth bounded
        entries = []
        for e in doc["files"]:
            rel = Path(e["target"])
            if rel.is_absolute() or any(p in ("", ".", "..") for p in e["target"].split("/")):
                return None
            target = folder / rel
            where = folder
            for part in rel.parts[:-1]:  # no link on the way to a target
                where = where / part
                if not stat.S_ISDIR(os.lstat(where).st_mode):
                    return None
            if e["tmp"] != f".{target.name}.seccoop-{token}.tmp":
                return None
            entries.append({**e, "tmp_path": target.parent / e["tmp"], "target_path": target})
        return entries
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _roll_forward(folder: Path, journal: Path, token: str) -> list[Path] | None:
    """Finish a dead run's commit: rename each of its temporary files still waiting, if every
    entry verifies (a waiting temporary file matches sha256, device, inode and change time; a
    renamed one is the target, same device, inode and sha256). Returns the targets renamed, or
    None when the journal does not verify, in which case nothing is renamed."""
    entries = _journal_entries(folder, journal, token)
    if entries is None:
        return None
    waiting = []
    for e in entries:
        try:
            st = os.lstat(e["tmp_path"])
        except FileNotFoundError:
            st = None
        if st is not None:
            if not (
                stat.S_ISREG(st.st_mode)
                and [st.st_dev, st.st_ino, st.st_ctime_ns] == [e["dev"], e["ino"], e["ctime_ns"]]
                and _sha256_nofollow(e["tmp_path"]) == e["sha256"]
            ):
                return None
            try:  # a folder (or a link) put where its target was is never renamed over
                if not stat.S_ISREG(os.lstat(e["target_path"]).st_mode):
                    return None
            except FileNotFoundError:
                pass
            waiting.append(e)
            continue
        try:
            st = os.lstat(e["target_path"])
        except FileNotFoundError:
            return None
        if not (
            stat.S_ISREG(st.st_mode)
            and [st.st_dev, st.st_ino] == [e["dev"], e["ino"]]
            and _sha256_nofollow(e["target_path"]) == e["sha256"]
        ):
            return None
    for e in waiting:
        os.replace(e["tmp_path"], e["target_path"])
    for parent in dict.fromkeys(e["target_path"].parent for e in waiting):
        _fsync_folder(parent)
    return [e["target_path"] for e in waiting]


def _close_synced(output: Output) -> None:
    """Flush a staged file's bytes to disk and close it, unless it is closed already (`Staging.write`
    closes its file at once)."""
    file = output.file
    if file is not None and not file.closed:
        file.flush()
        os.fsync(file.fileno())
        file.close()


def _synced_digest(path: Path) -> tuple[int, str]:
    """Flush a file another writer filled (SQLite, through `Staging.reserve`) to disk, and give its
    (size, sha256)."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb+") as f:
        os.fsync(f.fileno())
        for chunk in iter(lambda: f.read(1 << 20), b""):
            size += len(chunk)
            digest.update(chunk)
    return size, digest.hexdigest()


class _Cleanup:
    """Removal that goes on past each failure, keeping them all, and what could not be removed,
    to raise the first at the end."""

    def __init__(self) -> None:
        self.errors: list[OSError] = []
        self.left: list[str] = []

    def attempt(self, action: Callable[..., object], *args: object, what: Path | None = None) -> None:
        try:
            action(*args)
        except FileNotFoundError:
            pass  # already gone: nothing to remove
        except OSError as exc:
            self.errors.append(exc)
            if what is not None:
                self.left.append(str(what))

    def raise_first(self) -> None:
        if self.errors:
            if self.left:
                self.errors[0].add_note(f"seccoop could not remove: {', '.join(self.left)}")
            raise self.errors[0]


class Staging:
    """New versions of files, each in a temporary file beside its target until `commit`.
    Used as a context manager, it removes every temporary file if the block fails.

    The first time it writes into a folder it takes its run's lock there and clears what dead runs
    left in it: their commits are rolled forward where their journal verifies (`recovered`), else
    the journal is removed (`stale`), and their temporary and lock files are removed."""

    def __init__(self) -> None:
        self.token = secrets.token_hex(8)
        self.recovered: list[Path] = []  # targets a dead run's verified journal renamed into place
        self.stale: list[Path] = []  # journals removed unused: they did not verify
        self._staged: list[tuple[Path, Path, Output | None]] = []
        self._locks: dict[Path, int] = {}  # folder -> the descriptor holding this run's lock there
        self._created: list[Path] = []  # folders this run made, to remove again if it fails
        self._journal: Path | None = None  # set once the commit is certain to happen

    def prepare(self, folder: Path) -> None:
        """Take this run's lock in `folder` and clear what dead runs left there (see the class)."""
        folder = Path(folder)
        if folder in self._locks:
            return
        missing = []
        for level in (folder, *folder.parents):
            if os.path.lexists(level):
                break
            missing.append(level)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            raise WriteRefused(
                f"{folder}: is not a folder (a file is where it, or a folder above it, should be)"
            ) from None
        self._created += missing  # deepest first
        # The lock appears under its final name only once it is held, so no other run can take
        # a run that is starting for a dead one.
        lock = folder / f".seccoop-{self.token}.lock"
        pending = folder / f".seccoop-{self.token}.lock-new"
        if os.path.lexists(lock):  # the rename below would replace a file there, and fail on a folder
            raise WriteRefused(
                f"{lock}: something is already there, at a name only this run of seccoop uses; remove it"
            )
        if LOCKING != "flock":
            # Windows: held from the moment it is made, since the open file is the lock (and an
            # open file cannot be renamed there); elsewhere without flock, only a name.
            self._locks[folder] = _create(lock, os.O_WRONLY)
            self._clear_dead_runs(folder)
            return
        fd = _create(pending, os.O_WRONLY)
        try:
            _flock_now(fd)
            os.rename(pending, lock)
        except BaseException:
            os.close(fd)
            os.unlink(pending)
            raise
        self._locks[folder] = fd
        self._clear_dead_runs(folder)

    def _clear_dead_runs(self, folder: Path) -> None:
        leftovers: dict[str, list[str]] = {}
        for name in os.listdir(folder):
            match = TEMPORARY.fullmatch(name) or LOCK.fullmatch(name) or JOURNAL.fullmatch(name)
            if match is None and name.startswith(".seccoop-") and name.endswith(".lock-new"):
                match = re.fullmatch(r"\.seccoop-" + TOKEN + r"\.lock-new", name)
            if match and match["token"] != self.token:
                # Checked before anything is removed: no run is cleared halfway.
                _refuse_planted(folder / name)
                leftovers.setdefault(match["token"], []).append(name)
        for token, names in sorted(leftovers.items()):
            if _run_is_alive(folder, token):
                continue
            # Journal first: the temporary files it renames must still be there.
            for name in names:
                if JOURNAL.fullmatch(name):
                    renamed = _roll_forward(folder, folder / name, token)
                    if renamed is None:
                        self.stale.append(folder / name)
                    else:
                        self.recovered += renamed
                    with contextlib.suppress(FileNotFoundError):  # removed by another run clearing the same dead one
                        os.unlink(folder / name)
                    _fsync_folder(folder)
            for name in names:
                if not JOURNAL.fullmatch(name):
                    with contextlib.suppress(FileNotFoundError):  # renamed by its journal, or removed by another run
                        os.unlink(folder / name)

    def _temporary(self, target: Path) -> tuple[int, Path]:
        refuse_unwritable(target)
        self.prepare(target.parent)
        tmp = target.parent / f".{target.name}.seccoop-{self.token}.tmp"
        return _create(tmp, os.O_RDWR), tmp

    def reserve(self, target: Path) -> Path:
        """A temporary path beside `target`, for a writer that needs a path (SQLite), not a stream."""
        fd, tmp = self._temporary(target)
        self._staged.append((tmp, target, None))
        os.close(fd)
        return tmp

    def open(self, target: Path) -> Output:
        fd, tmp = self._temporary(target)
        # Staged before anything can fail, so that abort() removes it.
        self._staged.append((tmp, target, None))
        try:
            file = os.fdopen(fd, "wb")
        except BaseException:
            with contextlib.suppress(OSError):  # already closed by whatever failed
                os.close(fd)
            raise
        output = Output(file)
        self._staged[-1] = (tmp, target, output)
        return output

    def write(self, target: Path, data: bytes) -> None:
        """Stage a whole file and close it at once: a run that stages thousands of files (the review
        site) holds neither their bytes nor a descriptor for each until `commit`."""
        output = self.open(target)
        output.write(data)
        _close_synced(output)

    def commit(self) -> list[Path]:
        """Rename each staged file over its target where the content changed; drop the others.
        Several changed files are renamed under a journal (see the module). Returns the targets
        that changed."""
        changed = []
        for tmp, target, output in self._staged:
            if output is not None:
                _close_synced(output)
                written = (output.size, output.sha256)
            else:
                written = _synced_digest(tmp)
            if file_digest(target) == written:
                tmp.unlink()
                continue
            os.chmod(tmp, target.stat().st_mode & 0o777 if target.exists() else 0o644)
            changed.append((tmp, target, written[1]))
        for folder in dict.fromkeys(tmp.parent for tmp, _, _ in changed):
            _fsync_folder(folder)
        if len(changed) > 1:
            self._write_journal(changed)
            COMMITS["journaled"] += 1
        for tmp, target, _ in changed:
            os.replace(tmp, target)
        if changed:  # a single rename is whole or not at all; a set is whole from here on
            COMMITS["done"] += 1
        for folder in dict.fromkeys(target.parent for _, target, _ in changed):
            _fsync_folder(folder)
        if self._journal is not None:
            os.unlink(self._journal)
            _fsync_folder(self._journal.parent)
            self._journal = None
        self._staged = []
        self.abort()  # the locks, and no longer needed folders
        return sorted(target for _, target, _ in changed)

    def _write_journal(self, changed: list[tuple[Path, Path, str]]) -> None:
        folder = Path(os.path.commonpath([target.parent for _, target, _ in changed]))
        self.prepare(folder)  # the journal's run must hold a lock where the journal is
        files = []
        for tmp, target, sha256 in changed:
            st = os.lstat(tmp)
            files.append(
                {
                    "tmp": tmp.name,
                    "target": target.relative_to(folder).as_posix(),
                    "sha256": sha256,
                    "dev": st.st_dev,
                    "ino": st.st_ino,
                    "ctime_ns": st.st_ctime_ns,
                }
            )
        journal = folder / f".seccoop-{self.token}.journal"
        fd = _create(journal, os.O_WRONLY)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(json.dumps({"files": files}, indent=1).encode("utf-8"))
                f.flush()
                os.fsync(f.fileno())
        except BaseException:
            os.unlink(journal)
            raise
        _fsync_folder(folder)
        # From here on the commit happens: this run renames the files, or the next writer does.
        self._journal = journal

    def abort(self) -> None:
        """Remove every temporary file, folder this run created (if empty) and lock, going on past
        any failure; then raise the first failure, noting what could not be removed. After a
        journal is written, its temporary files are left for the next writer to roll forward."""
        cleanup = _Cleanup()
        if self._journal is None:
            self._remove_temporaries(cleanup)
        self._staged = []
        self._release_locks(cleanup)
        self._locks = {}
        if self._journal is None:
            self._remove_created_folders()
        self._created = []
        cleanup.raise_first()

    def _remove_temporaries(self, cleanup: _Cleanup) -> None:
        for tmp, _, output in self._staged:
            if output is not None and output.file is not None:
                cleanup.attempt(output.file.close)
            for suffix in ("", "-journal", "-wal", "-shm"):  # SQLite's own files beside its database
                path = tmp.with_name(tmp.name + suffix)
                cleanup.attempt(os.unlink, path, what=path)

    def _release_locks(self, cleanup: _Cleanup) -> None:
        for folder, fd in self._locks.items():
            lock = folder / f".seccoop-{self.token}.lock"
            if LOCKING == "flock":
                cleanup.attempt(os.unlink, lock, what=lock)
                cleanup.attempt(os.close, fd)
            else:  # Windows removes no open file: closed first (a run that finds it then takes it as done)
                cleanup.attempt(os.close, fd)
                cleanup.attempt(os.unlink, lock, what=lock)

    def _remove_created_folders(self) -> None:
        for folder in self._created:  # deepest first
            try:
                folder.rmdir()
            except OSError:
                break  # not empty (or not ours to remove): neither are the folders above it

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if kind is None:
            return
        try:
            self.abort()
        except OSError as exc:
            # The failure that stopped the run is the one to report; what cleanup left goes with it.
            if value is not None:
                value.add_note(f"cleaning up also failed: {exc}")
                for note in getattr(exc, "__notes__", ()):
                    value.add_note(note)
            else:
                raise


def write_atomically(targets: dict[Path, bytes]) -> list[Path]:
    """Write whole files atomically as a set (see `Staging`). Returns the paths that changed."""
    for path in targets:
        refuse_unwritable(path)
    with Staging() as staging:
        for path, data in targets.items():
            staging.open(path).write(data)
        return staging.commit()
