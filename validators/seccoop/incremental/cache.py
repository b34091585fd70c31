"""The check cache (docs/cache.md): what an earlier `seccoop check` proved about files that have
not changed since, reused so that the curator's loop stays quick at any size.

Three entries, each the answer of a cold run for exactly the inputs recorded in it:

- the **whole report**, for a package none of whose inputs changed (a re-check with nothing
  edited, a pre-commit hook after `seccoop build`), or whose only changed files are curated files
  that parse to the same records as before, where no problem lies (a comment added);
- the **parse of each curated file** (`ParsedFiles`), so that a check after an edit parses again
  only the files that changed;
- the **Frictionless validation** of the published files, for a package whose published files
  did not change (after an edit of curated YAML, before `seccoop build`: the slowest step of a
  check is then skipped).

Rules: the cache lives outside the checkout (the user's cache folder; never a path a pull request
could commit), is off under `CI=true`, for the copy installed with seccoop and with `--no-cache`.
A portable baseline (`--baseline DIR`, `--save-baseline DIR`) is the one exception: a folder the
user names, used under `CI=true` too, whose entries know each file by its size, type and sha256
(`portable`) and whose keys hold no path of the checkout, so that a fresh checkout can use them.
The folder is the trust boundary: it is used only where no one but its user can change it (no
link, owned by the user, mode 0700, and every folder above it owned by the user or root and
writable by no one else, unless sticky), else the check says so once and runs without it.
Entries hold data only (JSON, and arrays of integers): reading one never runs code. A key covers
everything an answer depends on: seccoop's own code (its files' bytes: an editable install keeps
its version while its code changes), the Python, PyYAML/libyaml, jsonschema, jsonschema-rs and
frictionless versions, the options, and the identity of every input file (size, modification and
change times, inode and device; a file modified or changed within two seconds of the check that
wrote the entry is compared by its sha256 as well, git's rule for racily clean files). An entry
that is corrupt, truncated, of another format or of another key is ignored and rewritten, never
trusted: its sha256 catches accidents, not forgery (only the folder's user can write it).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import struct
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

# 4: an entry may list only its files that differ from another's, the baseline's
FORMAT = 4  # 3: data only (JSON, no pickle); a file's identity has its change time and device
CACHE_ENV = "SECCOOP_CACHE_DIR"
RACY_NS = 2_000_000_000  # coarser than any file system's timestamp granularity
# Changed curated files parsed to see whether they mean what they meant: beyond this many, a
# check that parses only what changed is as quick.
_REPARSE_AT_MOST = 20
# None where the system has no user ids (Windows: the profile folder's own rights apply)
_UID = os.geteuid() if hasattr(os, "geteuid") else None

# Why the last `folder()` did not use the cache folder, as said on stderr (None: it did, or the
# cache is off)
refused: str | None = None


def folder(package) -> Path | None:
    """The cache folder for a package (made where missing), or None where the cache is off or the
    folder is not one only this user can change: the reason is then said once, on stderr, and
    kept in `refused`; the check runs without the cache."""
    global refused
    from seccoop.model.package import is_installed_copy

    refused = None
    if is_installed_copy(package):
        return None
    if package.baseline is not None:  # named by the user for this check: on under CI=true too
        base = Path(package.baseline).absolute()
        named, (where, why) = f"the baseline folder {base / 'seccoop'}", _own_folder(base, package.root)
    elif os.environ.get("CI") == "true":
        return None
    else:
        try:
            base = Path(os.environ.get(CACHE_ENV) or os.environ.get("XDG_CACHE_HOME") or system_cache_folder())
        except RuntimeError:  # no HOME, and no home folder for this user id
            named, where, why = "the user's cache folder", None, "this user has no home folder"
        else:
            named = f"the check cache at {base.absolute() / 'seccoop'}"
            where, why = _own_folder(base.absolute(), package.root)
    if why is not None:
        from seccoop.safety.terminal import (
            shown,  # paths may hold anything: one line, and no escape a terminal runs
        )

        refused = f"seccoop: {shown(named)} is not used: {shown(why)}; checking without it"
        print(refused, file=sys.stderr, flush=True)
    return where


def clear(where: Path) -> None:
    """Remove every entry of a cache folder (`folder()` found it the user's own): a baseline saved
    there (`seccoop check --save-baseline`) then comes from a check that read nothing before it."""
    try:
        with os.scandir(where) as it:
            names = [entry.path for entry in it if not entry.is_dir(follow_symlinks=False)]
    except OSError:
        return
    for name in names:
        with contextlib.suppress(OSError):
            os.unlink(name)


def system_cache_folder() -> str:
    """The system's folder for this user's caches, which holds `seccoop` where neither
    SECCOOP_CACHE_DIR nor XDG_CACHE_HOME names one: `~/.cache` on Linux and the BSDs,
    `~/Library/Caches` on macOS, `%LOCALAPPDATA%` on Windows (platformdirs). RuntimeError where
    there is none (no home folder)."""
    import platformdirs

    base = platformdirs.user_cache_dir()  # no app name: the folder that holds every app's
    if not os.path.isabs(base):  # an unexpanded `~`: older platformdirs, with no home folder
        raise RuntimeError(f"no home folder ({base})")
    return base


def _own_folder(base: Path, root: Path) -> tuple[Path | None, str | None]:
    """The folder `seccoop` in `base` and None, or None and why it is not used. Links in `base`
    are resolved once (/tmp on macOS, a ~/.cache moved to another disk: the user's and the
    system's choice), and every later step uses the resolved path; from there down nothing may be
    a link. No one but the user may change what the folder holds: neither in it (its owner and
    mode) nor above it (a folder others can write could have it renamed away and replaced)."""
    real = Path(os.path.realpath(base))
    where = real / "seccoop"
    checkout = Path(os.path.realpath(root))
    if where == checkout or checkout in where.parents:
        return None, f"it is inside the package being checked ({where})"
    why = _way_not_own(real)  # before anything is made: nothing is made where others can write
    if why is not None:
        return None, why
    try:
        missing = []
        here = real
        while not os.path.lexists(here):
            missing.append(here)
            here = here.parent
        for made in reversed(missing):
            _mkdir(made)
        _mkdir(where)
        info = os.lstat(where)
    except OSError as exc:
        return None, f"it cannot be made ({exc.strerror or exc})"
    why = _way_not_own(real)  # again: a folder made by another user in the meantime
    if why is not None:
        return None, why
    if stat.S_ISLNK(info.st_mode):
        return None, "it is a link"
    if not stat.S_ISDIR(info.st_mode):
        return None, "it is not a folder"
    if _UID is not None:
        if info.st_uid != _UID:
            return None, f"it belongs to another user (uid {info.st_uid})"
        if info.st_mode & 0o022:
            return None, "it is writable by other users"
        if stat.S_IMODE(info.st_mode) != 0o700:
            try:  # readable by others (0.2.0 made it 0755), or not usable by its user: its user's only
                os.chmod(where, 0o700)
            except OSError as exc:
                return None, f"its mode cannot be set to 0700 ({exc.strerror or exc})"
    return where, None


def _mkdir(path: Path) -> None:
    # one already there was made by another check at the same moment, or by someone else: the checks decide
    with contextlib.suppress(FileExistsError):
        os.mkdir(path, 0o700)


def _way_not_own(real: Path) -> str | None:
    """Why a folder at or above `real` (those that exist) could be changed by another user: a
    link, a folder of another user's (root's is the system's), or one writable by group or
    others that is not sticky (/tmp is sticky: no one may rename or remove another's entries)."""
    if _UID is None:
        return None
    for above in (real, *real.parents):
        try:
            info = os.lstat(above)
        except FileNotFoundError:
            continue  # made by this user, next
        except OSError as exc:
            return f"{above}, a folder on its way, cannot be read ({exc.strerror or exc})"
        if stat.S_ISLNK(info.st_mode):
            return f"{above}, a folder on its way, is a link"
        if info.st_uid not in (0, _UID):
            return f"{above}, a folder on its way, belongs to another user (uid {info.st_uid})"
        if info.st_mode & 0o022 and not info.st_mode & stat.S_ISVTX:
            return f"{above}, a folder on its way, is writable by other users"
    return None


def _open_own(path: Path) -> BinaryIO | None:
    """A file of the cache folder opened for reading, or None where it is missing, a link, not a
    regular file, another user's or writable by others: then it is no entry of this user's."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or (_UID is not None and (info.st_uid != _UID or info.st_mode & 0o022)):
            os.close(fd)
            return None
        return os.fdopen(fd, "rb")
    except OSError:
        os.close(fd)
        return None


def read_own(path: Path) -> bytes | None:
    """The bytes of a file of the cache folder (`_open_own`), or None."""
    f = _open_own(path)
    if f is None:
        return None
    try:
        with f:
            return f.read()
    except OSError:
        return None


_CODE: str | None = None


def code_files() -> list[Path]:
    """Every module of seccoop, in every subpackage: a change to any of them can change an answer."""
    from seccoop.model.package import CODE_FOLDER

    return sorted(CODE_FOLDER.rglob("*.py"))


def code_identity() -> str:
    """sha256 of seccoop's own code and of the versions of what checks depend on."""
    global _CODE
    if _CODE is None:
        import yaml

        from seccoop.model.package import CODE_FOLDER

        digest = hashlib.sha256()
        for path in code_files():
            digest.update(path.relative_to(CODE_FOLDER).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
        versions = (
            sys.version,
            yaml.__version__,
            str(getattr(yaml, "__with_libyaml__", False)),
            _version("jsonschema"),
            _version("jsonschema-rs", "jsonschema_rs"),
            _version("frictionless"),
        )
        digest.update("\0".join(versions).encode())
        _CODE = digest.hexdigest()
    return _CODE


def _version(name: str, module: str | None = None) -> str:
    """A distribution's version from its metadata (importing frictionless alone takes half a
    second of an unchanged re-check), else the module's own."""
    from importlib import import_module
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return str(getattr(import_module(module or name), "__version__", "?"))


def file_identity(info: os.stat_result) -> tuple:
    """What tells one version of a file from another without reading it: size, modification time,
    change time, inode, device and type. The change time is the kernel's, set at every change of
    the file: no tool sets it back (a modification time is restored by `touch -r`, `os.utime`, an
    archive or a copy keeping dates)."""
    return (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev, info.st_mode)


_MISSING = (-1, -1, -1, -1, -1, 0)

# In a portable identity's time fields: the file is known by its size, its type and the sha256
# of its bytes, stored beside it (a baseline kept for another checkout: `seccoop check --baseline`)
CONTENT = -2


def portable(identity: tuple) -> tuple:
    """A file's identity as a portable baseline keeps it: what a fresh checkout of the same files
    gives back (size and type; no time, inode or device). Its sha256 is stored beside it, and
    compared."""
    return (identity[0], CONTENT, CONTENT, 0, 0, stat.S_IFMT(identity[5]))


# sha256 of files by their path and identity, taken in this process, of files not racily clean
# when hashed: a portable baseline's every comparison reads each file once
_DIGESTS: dict[tuple[str, tuple], str | None] = {}


def content_digest(path: Path, identity: tuple) -> str | None:
    """What a portable identity stores beside a file: the sha256 of a regular file's bytes, or of
    a link's target (`link:` before it); None for anything else. Kept for a file whose identity
    is settled (`is_racy`): any change since would change its identity."""
    memo = (str(path), tuple(identity))
    if memo in _DIGESTS:
        return _DIGESTS[memo]
    if stat.S_ISLNK(identity[5]):
        try:
            digest = "link:" + hashlib.sha256(os.fsencode(os.readlink(path))).hexdigest()
        except OSError:
            digest = None
    elif stat.S_ISREG(identity[5]):
        digest = file_digest(path)
    else:  # a folder (its listing is the input), a missing file, a FIFO: its identity says it all
        digest = None
    if not is_racy(identity, now_ns()) and not stat.S_ISLNK(identity[5]):
        _DIGESTS[memo] = digest
    return digest


def is_racy(identity: tuple, since_ns: int) -> bool:
    """Whether a regular file was modified or changed within RACY_NS before `since_ns` (the start
    of a check), or after: its identity may not yet tell its bytes apart (a second write within
    one tick of the file system's clock keeps every time), so its sha256 is compared as well,
    git's rule for racily clean files."""
    return stat.S_ISREG(identity[5]) and max(identity[1], identity[2]) >= since_ns - RACY_NS


# A folder's identity is that it is a folder: which entries it holds is an input (each is listed
# by name), its times are not. An editor's safe write (a new file renamed over the old), a
# temporary file created and removed, `sed -i`: each changes the folder's times, none its files.
FOLDER = (0, 0, 0, 0, 0, stat.S_IFDIR)


def _stat_tree(base: Path, shown: str, out: dict, unread=None) -> None:
    """The identity of every entry under `base`, links included, without following links; a
    folder as FOLDER, since only its listing is an input. A file for which `unread(name)` gives
    an identity gets that one, without a stat."""
    try:
        entries = list(os.scandir(base))
    except OSError:
        return
    for entry in entries:
        name = f"{shown}/{entry.name}"
        if entry.is_dir(follow_symlinks=False):
            out[name] = FOLDER
            _stat_tree(Path(entry.path), name, out, unread)
            continue
        known = unread(name) if unread is not None else None
        if known is not None:
            out[name] = known
            continue
        try:
            out[name] = file_identity(entry.stat(follow_symlinks=False))
        except OSError:
            continue


def inputs(package, texts: Path | None, unread=None) -> dict[str, tuple]:
    """The identity of every file a check reads: data/ (curated and published), seeds/, schema/,
    the files at the package's root (datapackage.json, a build's journal), and the texts folder.
    Where `unread(name)` gives an identity (a file the check did not read, listed again after it:
    its answer holds for the identity it started from), the file is not stat-ed again."""
    found: dict[str, tuple] = {}
    root = package.root
    for name in ("data", "seeds", "schema"):
        _stat_tree(root / name, name, found, unread)
    try:
        for entry in os.scandir(root):
            if not entry.is_dir(follow_symlinks=False):
                found[entry.name] = file_identity(entry.stat(follow_symlinks=False))
    except OSError:
        pass
    if texts is not None:
        _stat_tree(texts, f"texts:{_portable_part(package, texts)}", found)
    return found


def _path_of(package, name: str) -> Path:
    if name.startswith("texts:"):  # an absolute path, or (a portable baseline's) one in the package
        return package.root / name[len("texts:") :]
    return package.root / name


def _portable_part(package, part):
    """A path as a portable baseline names it: relative to the package where it lies inside (a
    fresh checkout may be elsewhere); as it is otherwise, and anywhere outside that mode."""
    if package.baseline is None or not isinstance(part, Path):
        return part
    try:
        return part.absolute().relative_to(package.root.absolute()).as_posix()
    except ValueError:
        return part


def _content(package, name: str) -> str | None:
    return file_digest(_path_of(package, name))


def file_digest(path: Path) -> str | None:
    """sha256 of a regular file's bytes, read without following a link or waiting on a FIFO."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        digest = hashlib.sha256()
        try:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
        except OSError:
            return None
        return digest.hexdigest()


Stored = tuple[dict[str, tuple], dict[str, str], Any]  # files (identity, sha256 or None), parse digests, answer


class Entry:
    """One cache entry: its key, the inputs it was written for, and its answer."""

    def __init__(self, where: Path, key: str):
        self.path = where / f"{key}.json"
        self.key = key
        self.checksum: str | None = None  # of the body, once read

    def load(self, package, current: dict[str, tuple], parsed: ParsedFiles | None = None) -> Any:
        """The answer stored for exactly `current`, else None. With `parsed`, also the answer
        stored for inputs that differ only in curated files that parse to the same records and
        problems as before (an added comment, a reformatted line), where no problem of the answer
        lies or points: such a file is parsed now (`self.reparsed` lists them)."""
        self.reparsed: list[str] = []
        self.digests: dict[str, str] = {}
        stored = self.read()
        if stored is None:
            return None
        files, digests, answer = stored
        changed = changed_files(package, files, current)
        if changed is None:
            return None
        if not changed:
            return answer
        if parsed is None or len(changed) > _REPARSE_AT_MOST:
            return None
        told = [" ".join(str(p.get(k) or "") for k in ("file", "message", "hint")) for p in answer["problems"]]
        for name in changed:
            if name not in digests or any(name in text for text in told):
                return None  # a problem's line or column may have moved with the edit
        for name in changed:
            if parsed.compare(package.root / name, name, package.root) != digests[name]:
                return None
        self.reparsed, self.digests = changed, digests
        return answer

    def read(self, checksum: str | None = None, under: bool = False) -> Stored | None:
        """(files: name -> (identity, sha256 or None), parse digests, answer) as stored, or None
        where the entry is missing, corrupt, truncated or foreign (then rebuilt by the caller), or
        is not the one whose `checksum` was asked for. An entry written over another (`save`'s
        `over`) is read with it; one under another is never itself over a third (`under`)."""
        stored = _read_blob_summed(self.path)
        if stored is None or (checksum is not None and stored[0] != checksum):
            return None
        self.checksum = stored[0]
        kept = _READ.get(self.path)
        if kept is not None and kept[0] == stored[0]:  # read a moment ago in this process
            files, digests, answer = kept[1]
            return dict(files), dict(digests), answer
        try:
            body = json.loads(stored[1])
            if body.get("format") != FORMAT or body.get("key") != self.key:
                return None
            files = {}
            for name, v in body["files"].items():
                if len(v) != len(_MISSING) + 1:
                    return None
                files[name] = (tuple(v[:-1]), v[-1])
            digests = dict(body.get("digests") or {})
            if "over" in body:  # the files that differ from another entry's, and those gone
                if under:
                    return None
                key, summed, gone = body["over"]
                base = Entry(self.path.parent, key).read(summed, under=True)
                if base is None:
                    return None
                for name in gone:
                    base[0].pop(name, None)
                files, digests = {**base[0], **files}, {**base[1], **digests}
            found = files, digests, body["answer"]
        except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
            return None
        if "over" not in body:  # (one written over another is read with it, whose bytes may change)
            _READ.pop(self.path, None)
            _READ[self.path] = (stored[0], found)
            while len(_READ) > 3:  # the report's, the baseline's, Frictionless's
                _READ.pop(next(iter(_READ)))
        return dict(files), dict(digests), found[2]

    def save(
        self,
        package,
        list_inputs,
        before: dict[str, tuple],
        started_ns: int,
        answer,
        digests: dict[str, str] | None = None,
        over: Over | None = None,
    ) -> None:
        """Store `answer` for the inputs seen `before` the run (`list_inputs()` lists them again),
        unless one changed during it, with the parse digest of each curated file (`digests`).
        `over` another entry (the baseline's), only the files and digests that differ from its
        are written: at 100k events an entry lists 82k files, and a re-check wrote them all."""
        if list_inputs() != before:
            return  # a file changed while the check ran: the answer may be of neither version
        body: dict[str, Any] = {"format": FORMAT, "key": self.key}
        if over is not None:
            files = {name: identity for name, identity in before.items() if _differs(package, name, identity, over)}
            body["over"] = [over.key, over.checksum, sorted(set(over.files) - set(before))]
            digests = {name: d for name, d in (digests or {}).items() if over.digests.get(name) != d}
        else:
            files = before
        if package.baseline is not None:  # portable: known by content in any checkout of these files
            body["files"] = {
                name: [*portable(identity), content_digest(_path_of(package, name), identity)]
                for name, identity in files.items()
            }
        else:
            body["files"] = {
                name: [*identity, _content(package, name) if is_racy(identity, started_ns) else None]
                for name, identity in files.items()
            }
        body["digests"], body["answer"] = digests or {}, answer
        # The sha256 of the body's bytes, then the body: encoded once, by json's C encoder (at 100k
        # events a body lists 82k files: `json.dump` to a file, or a second encoding to hash it,
        # took seconds)
        write_blob(self.path, json.dumps(body).encode())


def _differs(package, name: str, identity: tuple, over: Over) -> bool:
    """Whether an entry written over `over` lists a file: its identity is not the one `over` has
    (by content, in a portable baseline: hashed once in this process), or the check read it
    (racily clean when `over` was written, its bytes may have changed under the same identity:
    this entry's answer is for the bytes it read, which its own listing says)."""
    was = over.files.get(name)
    if was is None or name in over.read:
        return True
    if was[0][1] == CONTENT:
        return portable(identity) != was[0] or content_digest(_path_of(package, name), identity) != was[1]
    return was[0] != identity


@dataclass
class Over:
    """An entry another is written over: its key and checksum, and its files and digests as read."""

    key: str
    checksum: str
    files: dict[str, tuple]
    digests: dict[str, str]
    read: set[str] = field(default_factory=set)  # files the check written over it read


# The last entry read in this process, by path: (its checksum, what it held). A re-check reads the
# baseline's entry twice (under the report's, then for itself): 0.2 s of JSON at 100k events.
_READ: dict[Path, tuple[str, tuple]] = {}


def read_blob(path: Path) -> bytes | None:
    """The bytes `write_blob` stored at `path`, or None where they are missing or corrupt (the
    sha256 catches a disk's or a killed write's damage; forging it takes writing in the folder,
    which only its user can)."""
    stored = _read_blob_summed(path)
    return None if stored is None else stored[1]


def _read_blob_summed(path: Path) -> tuple[str, bytes] | None:
    """(sha256, bytes) as `write_blob` stored them at `path`, or None (`read_blob`)."""
    raw = read_own(path)
    if raw is None:
        return None
    checksum, _, body = raw.partition(b"\n")
    try:
        summed = checksum.decode("ascii")
    except UnicodeDecodeError:
        return None
    return (summed, body) if summed == hashlib.sha256(body).hexdigest() else None


def write_blob(path: Path, body: bytes) -> None:
    """Store bytes with their sha256, through a temporary file renamed into place (a cache that
    cannot be written is no cache: nothing is raised). The folder is not made here: `folder()`
    made it and found it the user's own."""
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".entry-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(hashlib.sha256(body).hexdigest().encode() + b"\n" + body)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        pass


def changed_files(package, files: dict[str, tuple], current: dict[str, tuple]) -> list[str] | None:
    """The inputs that differ from those an entry was written for (`files`), or None where files
    were added or removed."""
    if set(files) != set(current):
        return None
    return differing_files(package, files, current)


def differing_files(package, files: dict[str, tuple], current: dict[str, tuple]) -> list[str]:
    """The inputs that differ from those an entry was written for (`files`): changed, added or
    removed (in that order)."""
    changed = []
    for name, (identity, content) in files.items():
        if name not in current:
            continue
        if identity[1] == CONTENT:  # a portable entry: the file's type, size and bytes decide
            if portable(current[name]) != identity or content_digest(_path_of(package, name), current[name]) != content:
                changed.append(name)
        elif tuple(current[name]) != identity:
            changed.append(name)
        elif content is not None and _content(package, name) != content:
            changed.append(name)  # racily clean when the entry was written: its bytes decide
    return changed + sorted(set(current) - set(files)) + sorted(set(files) - set(current))


def published_inputs(package) -> dict[str, tuple]:
    """The identity of the files Frictionless validates: the descriptor and every file it names."""
    found: dict[str, tuple] = {}
    names = ["datapackage.json"]
    from seccoop.published.gated_package import read_descriptor
    from seccoop.safety import paths

    try:  # through the gate, as every read (a link at the descriptor is never followed)
        descriptor = read_descriptor(package.root)
        names += [r["path"] for r in descriptor["resources"] if isinstance(r.get("path"), str)]
    except (paths.Refused, ValueError, KeyError, TypeError, AttributeError):
        pass  # the check says what is wrong with it; the descriptor's identity keys that answer
    for name in names:
        found[name] = identity_of(package.root / name)
    return found


def identity_of(path: Path) -> tuple:
    """A file's identity, its link's where it is one (`_MISSING` where there is none)."""
    try:
        return file_identity(os.stat(path, follow_symlinks=False))
    except (OSError, ValueError):
        return _MISSING


def key(package, *parts) -> str:
    """The key of an entry: seccoop's code and libraries, the package's folder, and `parts`. A
    portable baseline's has no path of the checkout (a fresh one may lie elsewhere): its inputs
    are known by their content."""
    where = "portable" if package.baseline is not None else str(package.root.absolute())
    parts = tuple(_portable_part(package, part) for part in parts)
    return hashlib.sha256("\0".join([str(FORMAT), code_identity(), where, *map(str, parts)]).encode()).hexdigest()


def now_ns() -> int:
    return time.time_ns()


# -- what each curated file parsed into --------------------------------------------------------

_TRAILER = struct.Struct(">Q32s8s")  # where the index starts, its sha256, and a magic
_MAGIC = b"SECCOOP3"
# A store's index gives each file: its identity, the sha256 of its bytes (racily clean files
# only, else None), and where its parse lies (offset, length) with that parse's sha256
_RECORD = len(_MISSING) + 4
_SCALARS = frozenset({str, int, float, bool, type(None)})


def plain(value) -> bool:
    """Whether JSON gives `value` back exactly: dicts with text keys, lists, text, integers,
    floats, booleans and None, and nothing else (a tuple would come back a list, a number key
    text, a text's subclass plain text). Of a value `json.dumps` took: no cycle, no NaN."""
    pending = [value]
    while pending:
        item = pending.pop()
        kind = type(item)
        if kind is dict:
            if not all(type(k) is str for k in item):
                return False
            pending.extend(item.values())
        elif kind is list:
            pending.extend(item)
        elif kind not in _SCALARS:
            return False
    return True


def encode(value) -> bytes | None:
    """`value` as compact JSON (UTF-8; a lone surrogate kept, as YAML's escapes may write one), or
    None where JSON would not give it back exactly (`plain`)."""
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError):  # a type JSON has no word for, a cycle, a NaN
        return None
    return text.encode("utf-8", "surrogatepass") if plain(value) else None


def _no_constant(name: str):
    raise ValueError(f"{name} is no value seccoop stores")


def decode(raw: bytes):
    """What `encode` wrote: JSON's values only, whatever the bytes (no NaN or Infinity)."""
    return json.loads(raw.decode("utf-8", "surrogatepass"), parse_constant=_no_constant)


def parse_blob(cf, problems) -> bytes | None:
    """What `load_file` made of a curated file (records, refused ids, whether it parsed, its
    value, the problems found) as JSON, which depends on the value only: its sha256 is the file's
    parse digest. None where JSON would not give the parse back exactly (`plain`): then it is
    neither stored nor compared."""
    records = cf.records
    if not all(type(r) is tuple and len(r) == 2 for r in records) or type(cf.parsed) is not bool:
        return None
    return encode([[list(r) for r in records], cf.withheld, cf.parsed, cf.data, [p.as_dict() for p in problems]])


def parse_of(blob: bytes, path: Path, rel: str, root: Path):
    """The (CuratedFile, problems) a `parse_blob` holds. Raises ValueError (or the error of a
    Problem that cannot be made) where it is not one."""
    from seccoop.model.load import CuratedFile
    from seccoop.model.report import Problem

    records, withheld, parsed, data, found = decode(blob)
    if type(records) is not list or type(withheld) is not list or type(parsed) is not bool or type(found) is not list:
        raise ValueError("not a parse")
    pairs = []
    for record in records:
        if type(record) is not list or len(record) != 2 or type(record[0]) is not int or type(record[1]) is not dict:
            raise ValueError("not a record")
        pairs.append((record[0], record[1]))
    cf = CuratedFile(path, rel, None, pairs, withheld, parsed, data, folder=root)
    return cf, [Problem(**p) for p in found]


class ParsedFiles:
    """Every curated file's parse (records and the problems `load_file` found), stored by the
    file's identity in one file of the cache: a check after an edit parses again only the files
    that changed. A racily clean file (`is_racy`) is stored with the sha256 of its bytes (taken
    before and after it is parsed: the same, or it is not stored), and its stored parse is used
    only where its bytes still have that sha256. Each parse is stored with its own sha256, and
    one that does not match or does not decode is parsed again. Written as it goes (slices,
    then an index and a trailer) into a temporary file, renamed into place at the end, unless an
    input changed while the check ran."""

    def __init__(self, where: Path, key: str, current: dict[str, tuple], started_ns: int, by_content: bool = False):
        self.path = where / f"{key}.parsed"
        self.key, self.current, self.started = key, current, started_ns
        # a portable baseline's store: each file stored and found by its portable identity and
        # the sha256 of its bytes, whatever its times, inode and device
        self.by_content = by_content
        self.digests: dict[str, str] = {}  # rel -> parse digest, of every file loaded this run
        # rel -> the ids its records name, and their own ids in order, of every file loaded this
        # run, in load order: the index of a baseline (seccoop.incremental.scope)
        self.tokens: dict[str, set[str]] = {}
        self.ids: dict[str, list] = {}
        self._old: dict[str, list] = {}
        self._src: BinaryIO | None = None  # the old store, opened at the first file loaded
        self._out: BinaryIO | None = None  # this run's store, written as it goes
        self._tmp: str | None = None  # where that is, until `save` renames it into place
        self._unwritable = False  # this run's store cannot be written: the check goes on without it
        self._index: dict[str, list] = {}
        self._offset = 0
        self._fresh: dict[str, tuple] = {}
        self._opened = False  # the old store is opened at the first file loaded: a report from
        # the cache needs none of it

    def _open(self) -> None:
        self._opened = True
        self._src = _open_own(self.path)
        if self._src is None:
            return
        try:
            self._old = self._read_index(self._src)
        except (OSError, ValueError, KeyError, TypeError, struct.error):
            self._close_src()
            self._old = {}

    def _read_index(self, f) -> dict[str, list]:
        f.seek(-_TRAILER.size, os.SEEK_END)
        start, checksum, magic = _TRAILER.unpack(f.read(_TRAILER.size))
        end = f.tell() - _TRAILER.size
        if magic != _MAGIC or not 0 <= start <= end:
            raise ValueError("not a parse store")
        f.seek(start)
        raw = f.read(end - start)
        if hashlib.sha256(raw).digest() != checksum:
            raise ValueError("corrupt index")
        doc = json.loads(raw)
        if doc["format"] != FORMAT or doc["key"] != self.key:
            raise ValueError("foreign index")
        files = doc["files"]
        if type(files) is not dict or not all(type(r) is list and len(r) == _RECORD for r in files.values()):
            raise ValueError("not an index")
        return files

    def _close_src(self) -> None:
        if self._src is not None:
            self._src.close()
            self._src = None

    def _record(self, rel: str) -> list | None:
        """What the old store's index says of a file, or None."""
        if not self._opened:
            self._open()
        return self._old.get(rel) if self._src is not None else None

    def _slice(self, record: list) -> bytes | None:
        """The parse a record of the index points at, if its sha256 is the one recorded."""
        if self._src is None:
            return None
        offset, length, digest = record[-3:]
        try:
            self._src.seek(offset)
            blob = self._src.read(length)
        except (OSError, ValueError, TypeError, OverflowError):
            return None
        return blob if len(blob) == length and hashlib.sha256(blob).hexdigest() == digest else None

    def load(self, path: Path, rel: str, root: Path):
        """`load_file(path, rel, root=root)`, from the store where the file has not changed."""
        from seccoop.model.load import load_file

        if rel in self._fresh:  # parsed a moment ago, to compare it with the report's entry
            return self._fresh.pop(rel)
        identity = self.current.get(rel)
        if identity is not None and not stat.S_ISREG(identity[5]):
            identity = None  # a link or a folder in a file's place: parsed (and refused) every time
        # the sha256 of a racily clean file's bytes (of every file's, by content): compared with
        # the store's, and stored
        content = None
        if identity is not None and self.by_content:
            content = content_digest(path, identity)
            identity = portable(identity) if content is not None else None
        elif identity is not None and is_racy(identity, self.started):
            content = file_digest(path)
        blob = self._stored(path, rel, identity, content) if identity is not None else None
        try:
            parse = parse_of(blob, path, rel, root) if blob is not None else None
        except Exception:  # a stored parse that does not decode is not used: parsed again
            parse = None
        if parse is None:
            parse = load_file(path, rel, root=root)
            blob = parse_blob(*parse)
            if content is not None and file_digest(path) != content:
                identity = None  # its bytes changed while it was parsed: which ones it holds is unknown
        cf, problems = parse
        if blob is not None:
            digest = hashlib.sha256(blob).hexdigest()
            self.digests[rel] = digest
            if identity is not None:
                self._append(rel, [*identity, content], blob, digest)
        self._remember(rel, cf)
        return cf, problems

    def _stored(self, path: Path, rel: str, identity: tuple, content: str | None) -> bytes | None:
        """The stored parse of a file, where the old store holds it for this identity and, for a
        file racily clean when stored, for these bytes (`content`, else read now)."""
        old = self._record(rel)
        if old is None or tuple(old[: len(_MISSING)]) != tuple(identity):
            return None
        then = old[len(_MISSING)]
        if then is None:  # settled when stored: any change since would have changed its identity
            return self._slice(old) if content is None else None
        # racily clean when stored: its bytes decide (git's rule)
        now = content if content is not None else file_digest(path)
        return self._slice(old) if then == now else None

    def _remember(self, rel: str, cf) -> None:
        from seccoop.incremental.tokens import file_ids, file_tokens

        self.tokens[rel] = file_tokens(rel, cf.records, cf.withheld)
        self.ids[rel] = file_ids(cf.records)

    def compare(self, path: Path, rel: str, root: Path) -> str | None:
        """The parse digest of a file, parsed now and kept for the check that may follow."""
        self._fresh[rel] = self.load(path, rel, root)
        return self.digests.get(rel)

    def compared(self, rel: str):
        """The parse `compare` kept of a file (a `CuratedFile`), until the check loads it."""
        return self._fresh[rel][0]

    def _append(self, rel: str, known: list, blob: bytes, digest: str) -> None:
        if self._unwritable:
            return
        try:
            if self._out is None:
                fd, self._tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".parsed-", suffix=".tmp")
                self._out = os.fdopen(fd, "wb")
            self._out.write(blob)
        except OSError:
            self.discard()
            self._unwritable = True  # a store that cannot be written is no store; the check goes on
            return
        self._index[rel] = [*known, self._offset, len(blob), digest]
        self._offset += len(blob)

    def save(self, list_inputs, before: dict[str, tuple], keep: tuple[Path, ...] = ()) -> None:
        """Put this run's store in place of the old one, unless an input changed during the run.
        Old stores of other keys are pruned, but not those in `keep` (a baseline's)."""
        self._close_src()
        out, tmp = self._out, self._tmp
        if out is None or tmp is None or list_inputs() != before:  # nothing stored, or an input changed
            self.discard()
            return
        raw = json.dumps({"format": FORMAT, "key": self.key, "files": self._index}).encode()
        try:
            out.write(raw + _TRAILER.pack(self._offset, hashlib.sha256(raw).digest(), _MAGIC))
            out.close()
            os.replace(tmp, self.path)
            self._tmp = None
        except OSError:
            self.discard()
        self._out = None
        _prune(self.path.parent, keep=(self.path, *keep))

    def discard(self) -> None:
        """Drop this run's temporary file (the old store stays as it was)."""
        self._close_src()
        out, self._out = self._out, None
        if out:
            with contextlib.suppress(OSError):
                out.close()
        tmp, self._tmp = self._tmp, None
        if tmp:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


class NotStored(Exception):
    """A baseline's store does not hold the parse of a file."""


class BaselineParses(ParsedFiles):
    """Read only: the parse of each curated file as the store of a baseline check holds it
    (`link_baseline`), for files as the baseline's entry records them (`files`: identity and, for
    a racily clean file, the sha256 of its bytes). A file it does not hold, or holds for other
    bytes, raises NotStored: the caller then checks the whole package."""

    def __init__(self, path: Path, key: str, files: dict[str, tuple]):
        super().__init__(path.parent, key, {}, 0)
        self.path = path
        self.files = files

    def load(self, path: Path, rel: str, root: Path):
        old, then = self._record(rel), self.files.get(rel)
        if (
            old is None
            or then is None
            or (tuple(old[: len(_MISSING)]), old[len(_MISSING)]) != (tuple(then[0]), then[1])
        ):
            raise NotStored(rel)
        blob = self._slice(old)
        if blob is None:
            raise NotStored(rel)
        try:
            return parse_of(blob, path, rel, root)
        except Exception:  # a stored parse that does not decode: the whole package is checked
            raise NotStored(rel) from None

    def again(self) -> BaselineParses:
        """The same store for a second reader, with a file of its own (a worker may read it while
        this one does) and the index as this one read it (at 100k events, 0.2 s to read again)."""
        twin = BaselineParses(self.path, self.key, self.files)
        if self._opened and self._src is not None:
            twin._src = _open_own(self.path)
            twin._opened, twin._old = True, self._old if twin._src is not None else {}
        return twin


def link_baseline(store: Path, baseline: Path) -> bool:
    """Keep the parse store just written as the baseline's (a second name of the same file: the
    next store is renamed over the first name, not written into it)."""
    try:
        tmp = baseline.with_name(baseline.name + ".tmp")
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        os.link(store, tmp)
        os.replace(tmp, baseline)
        return True
    except OSError:
        return False


# A store holds every curated file's parse (about 300 MB at 100k events) and each version of
# seccoop's code (an edit of an editable install) and each package folder has its own: only the
# most recent few are kept, and a temporary file left by a killed check is removed after a day.
_STORES_KEPT = 4
_SCOPES_KEPT = 64  # a few kilobytes each
_TMP_AGE_S = 86_400


def _prune(where: Path, keep: tuple[Path, ...]) -> None:
    now = time.time()
    stores, indexes, scopes = [], [], []
    try:
        with os.scandir(where) as it:
            for entry in it:
                if not entry.is_file(follow_symlinks=False):
                    continue
                info = entry.stat(follow_symlinks=False)
                if entry.name.endswith(".parsed") and entry.path not in {str(k) for k in keep}:
                    stores.append((info.st_mtime_ns, entry.path))
                elif entry.name.endswith(".scope"):  # a scope as its baseline had it (seccoop.incremental.recheck)
                    scopes.append((info.st_mtime_ns, entry.path))
                elif entry.name.endswith(".index") and entry.path not in {str(k.with_suffix(".index")) for k in keep}:
                    indexes.append((info.st_mtime_ns, entry.path))  # a baseline's (seccoop.incremental.scope)
                elif (
                    entry.name.startswith((".parsed-", ".index-", ".entry-"))
                    and entry.name.endswith(".tmp")
                    and now - info.st_mtime > _TMP_AGE_S
                ):
                    os.unlink(entry.path)
        for _, path in sorted(stores, reverse=True)[_STORES_KEPT - 1 :]:
            os.unlink(path)
        for _, path in sorted(indexes, reverse=True)[_STORES_KEPT - 1 :]:
            os.unlink(path)
            for kept in (".rows", ".registers"):  # kept with that baseline's index (recheck.save_baseline)
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(Path(path).with_suffix(kept))
        for _, path in sorted(scopes, reverse=True)[_SCOPES_KEPT:]:
            os.unlink(path)
    except OSError:
        pass  # pruning is housekeeping: a failure leaves files behind, never a wrong answer
