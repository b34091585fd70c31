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
A key covers everything an answer depends on: seccoop's own code (its files' bytes: an editable
install keeps its version while its code changes), the Python, PyYAML/libyaml, jsonschema,
jsonschema-rs and frictionless versions, the options, and the identity of every input file (size,
modification time and inode; a file modified within two seconds of the check that wrote the entry
is compared by its sha256 as well, git's rule for racily clean files). An entry that is corrupt,
truncated, of another format or of another key is ignored and rewritten, never trusted.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import stat
import struct
import sys
import tempfile
import time
from pathlib import Path

FORMAT = 2  # 2: an entry is its body's sha256, a line end, and the body
CACHE_ENV = "SECCOOP_CACHE_DIR"
RACY_NS = 2_000_000_000  # coarser than any file system's timestamp granularity
# Changed curated files parsed to see whether they mean what they meant: beyond this many, a
# check that parses only what changed is as quick.
_REPARSE_AT_MOST = 20


def folder(package) -> Path | None:
    """The cache folder for a package, or None where the cache is off."""
    from .package import is_installed_copy

    if os.environ.get("CI") == "true" or is_installed_copy(package):
        return None
    base = os.environ.get(CACHE_ENV) or os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    where = Path(base).absolute() / "seccoop"
    root = package.root.absolute()
    if where == root or root in where.parents:
        return None  # inside the checkout: a pull request could commit an entry
    return where


_CODE: str | None = None


def code_identity() -> str:
    """sha256 of seccoop's own code and of the versions of what checks depend on."""
    global _CODE
    if _CODE is None:
        import yaml

        digest = hashlib.sha256()
        here = Path(__file__).resolve().parent
        for path in sorted(here.rglob("*.py")):
            digest.update(path.relative_to(here).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
        versions = (sys.version, yaml.__version__, str(getattr(yaml, "__with_libyaml__", False)),
                    _version("jsonschema"), _version("jsonschema-rs", "jsonschema_rs"), _version("frictionless"))
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


def _stat_tree(base: Path, shown: str, out: dict) -> None:
    """(size, mtime_ns, inode) of every entry under `base`, links and folders included, without
    following links."""
    try:
        entries = list(os.scandir(base))
    except OSError:
        return
    for entry in entries:
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        name = f"{shown}/{entry.name}"
        out[name] = (info.st_size, info.st_mtime_ns, info.st_ino, info.st_mode)
        if entry.is_dir(follow_symlinks=False):
            _stat_tree(Path(entry.path), name, out)


def inputs(package, texts: Path | None) -> dict[str, tuple]:
    """The identity of every file a check reads: data/ (curated and published), seeds/, schema/,
    the files at the package's root (datapackage.json, a build's journal), and the texts folder."""
    found: dict[str, tuple] = {}
    root = package.root
    for name in ("data", "seeds", "schema"):
        _stat_tree(root / name, name, found)
    try:
        for entry in os.scandir(root):
            if not entry.is_dir(follow_symlinks=False):
                info = entry.stat(follow_symlinks=False)
                found[entry.name] = (info.st_size, info.st_mtime_ns, info.st_ino, info.st_mode)
    except OSError:
        pass
    if texts is not None:
        _stat_tree(texts, f"texts:{texts}", found)
    return found


def _path_of(package, name: str) -> Path:
    if name.startswith("texts:"):
        return Path(name[len("texts:"):])
    return package.root / name


def _content(package, name: str) -> str | None:
    """sha256 of a regular file's bytes, read without following a link or waiting on a FIFO."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(_path_of(package, name), flags)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        return hashlib.sha256(f.read()).hexdigest()


class Entry:
    """One cache entry: its key, the inputs it was written for, and its answer."""

    def __init__(self, where: Path, key: str):
        self.path = where / f"{key}.json"
        self.key = key

    def load(self, package, current: dict[str, tuple], parsed: "ParsedFiles | None" = None):
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

    def read(self) -> tuple[dict[str, tuple], dict[str, str], object] | None:
        """(files, parse digests, answer) as stored, or None where the entry is missing, corrupt,
        truncated or foreign (then rebuilt by the caller)."""
        body_raw = read_blob(self.path)
        if body_raw is None:
            return None
        try:
            body = json.loads(body_raw)
            if body.get("format") != FORMAT or body.get("key") != self.key:
                return None
            files = {name: (tuple(v[:4]), v[4]) for name, v in body["files"].items()}
            return files, dict(body.get("digests") or {}), body["answer"]
        except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
            return None

    def save(self, package, list_inputs, before: dict[str, tuple], started_ns: int, answer,
             digests: dict[str, str] | None = None) -> None:
        """Store `answer` for the inputs seen `before` the run (`list_inputs()` lists them again),
        unless one changed during it, with the parse digest of each curated file (`digests`)."""
        if list_inputs() != before:
            return  # a file changed while the check ran: the answer may be of neither version
        files = {}
        for name, identity in before.items():
            racy = identity[1] >= started_ns - RACY_NS and stat.S_ISREG(identity[3])
            files[name] = [*identity, _content(package, name) if racy else None]
        # The sha256 of the body's bytes, then the body: encoded once, by json's C encoder (at 100k
        # events a body lists 82k files: `json.dump` to a file, or a second encoding to hash it,
        # took seconds)
        write_blob(self.path, json.dumps({"format": FORMAT, "key": self.key, "files": files,
                                          "digests": digests or {}, "answer": answer}).encode())


def read_blob(path: Path) -> bytes | None:
    """The bytes `write_blob` stored at `path`, or None where they are missing or corrupt."""
    try:
        checksum, _, body = path.read_bytes().partition(b"\n")
        return body if checksum.decode("ascii") == hashlib.sha256(body).hexdigest() else None
    except (OSError, UnicodeDecodeError):
        return None


def write_blob(path: Path, body: bytes) -> None:
    """Store bytes with their sha256, through a temporary file renamed into place (a cache that
    cannot be written is no cache: nothing is raised)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
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
    changed = []
    for name, (identity, content) in files.items():
        if tuple(current[name]) != identity:
            changed.append(name)
        elif content is not None and _content(package, name) != content:
            changed.append(name)  # racily clean when the entry was written: its bytes decide
    return changed


def published_inputs(package) -> dict[str, tuple]:
    """The identity of the files Frictionless validates: the descriptor and every file it names."""
    found: dict[str, tuple] = {}
    names = ["datapackage.json"]
    try:
        descriptor = json.loads((package.root / "datapackage.json").read_bytes())
        names += [r["path"] for r in descriptor["resources"] if isinstance(r.get("path"), str)]
    except (OSError, ValueError, KeyError, TypeError):
        pass  # Frictionless says what is wrong with it; the descriptor's identity keys that answer
    for name in names:
        try:
            info = os.stat(package.root / name, follow_symlinks=False)
        except (OSError, ValueError):
            found[name] = (-1, -1, -1, 0)
            continue
        found[name] = (info.st_size, info.st_mtime_ns, info.st_ino, info.st_mode)
    return found


def key(package, *parts) -> str:
    return hashlib.sha256("\0".join([str(FORMAT), code_identity(), str(package.root.absolute()),
                                     *map(str, parts)]).encode()).hexdigest()


def now_ns() -> int:
    return time.time_ns()


# -- what each curated file parsed into --------------------------------------------------------

_TRAILER = struct.Struct(">Q32s8s")  # where the index starts, its sha256, and a magic
_MAGIC = b"SECCOOP1"


def parse_blob(cf, problems) -> bytes:
    """What `load_file` made of a curated file, as bytes that depend on its value only: pickled
    without the memo, so that strings shared with other files (the loader interns them) do not
    change them. Their sha256 is the file's parse digest."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=5)
    pickler.fast = True
    pickler.dump((cf.records, cf.withheld, cf.parsed, cf.data, [p.as_dict() for p in problems]))
    return buffer.getvalue()


class ParsedFiles:
    """Every curated file's parse (records and the problems `load_file` found), stored by the
    file's identity in one file of the cache: a check after an edit parses again only the files
    that changed. A file modified within RACY_NS before the run is not stored (its identity may
    not tell its bytes apart), and a stored parse whose sha256 does not match is not used. Written
    as it goes (slices, then an index and a trailer) into a temporary file, renamed into place at
    the end, unless an input changed while the check ran."""

    def __init__(self, where: Path, key: str, current: dict[str, tuple], started_ns: int):
        self.path = where / f"{key}.parsed"
        self.key, self.current, self.started = key, current, started_ns
        self.digests: dict[str, str] = {}  # rel -> parse digest, of every file loaded this run
        # rel -> the ids its records name, and their own ids in order, of every file loaded this
        # run, in load order: the index of a baseline (seccoop.scope)
        self.tokens: dict[str, set[str]] = {}
        self.ids: dict[str, list] = {}
        self._old: dict[str, list] = {}
        self._src = self._out = self._tmp = None
        self._index: dict[str, list] = {}
        self._offset = 0
        self._fresh: dict[str, tuple] = {}
        self._opened = False  # the old store is opened at the first file loaded: a report from
        # the cache needs none of it

    def _open(self) -> None:
        self._opened = True
        try:
            self._src = open(self.path, "rb")
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
        return doc["files"]

    def _close_src(self) -> None:
        if self._src is not None:
            self._src.close()
            self._src = None

    def _racy(self, identity: tuple) -> bool:
        return identity[1] >= self.started - RACY_NS or not stat.S_ISREG(identity[3])

    def _stored(self, rel: str, identity: tuple | None) -> bytes | None:
        if not self._opened:
            self._open()
        old = self._old.get(rel)
        if identity is None or old is None or self._src is None or tuple(old[:4]) != tuple(identity):
            return None
        offset, length, digest = old[4:7]
        try:
            self._src.seek(offset)
            blob = self._src.read(length)
        except (OSError, ValueError):
            return None
        return blob if len(blob) == length and hashlib.sha256(blob).hexdigest() == digest else None

    def load(self, path: Path, rel: str, root: Path):
        """`load_file(path, rel, root=root)`, from the store where the file has not changed."""
        from .load import CuratedFile, load_file
        from .report import Problem

        if rel in self._fresh:  # parsed a moment ago, to compare it with the report's entry
            return self._fresh.pop(rel)
        identity = self.current.get(rel)
        identity = None if identity is None or self._racy(identity) else identity
        blob = self._stored(rel, identity)
        cf = None
        if blob is not None:
            try:
                records, withheld, parsed, data, found = pickle.loads(blob)
                cf = CuratedFile(path, rel, None, records, withheld, parsed, data, folder=root)
                problems = [Problem(**p) for p in found]
            except Exception:  # a stored parse that does not load is not used: parsed again
                cf = None
        if cf is None:
            cf, problems = load_file(path, rel, root=root)
            blob = parse_blob(cf, problems)
        digest = hashlib.sha256(blob).hexdigest()
        self.digests[rel] = digest
        self._remember(rel, cf)
        if identity is not None:
            self._append(rel, identity, blob, digest)
        return cf, problems

    def _remember(self, rel: str, cf) -> None:
        from .scope import file_ids, file_tokens

        self.tokens[rel] = file_tokens(rel, cf.records, cf.withheld)
        self.ids[rel] = file_ids(cf.records)

    def compare(self, path: Path, rel: str, root: Path) -> str:
        """The parse digest of a file, parsed now and kept for the check that may follow."""
        self._fresh[rel] = self.load(path, rel, root)
        return self.digests[rel]

    def _append(self, rel: str, identity: tuple, blob: bytes, digest: str) -> None:
        if self._out is False:
            return
        try:
            if self._out is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                fd, self._tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".parsed-", suffix=".tmp")
                self._out = os.fdopen(fd, "wb")
            self._out.write(blob)
        except OSError:
            self.discard()
            self._out = False  # a store that cannot be written is no store; the check goes on
            return
        self._index[rel] = [*identity, self._offset, len(blob), digest]
        self._offset += len(blob)

    def save(self, list_inputs, before: dict[str, tuple], keep: tuple[Path, ...] = ()) -> None:
        """Put this run's store in place of the old one, unless an input changed during the run.
        Old stores of other keys are pruned, but not those in `keep` (a baseline's)."""
        self._close_src()
        if not self._out or list_inputs() != before:
            self.discard()
            return
        raw = json.dumps({"format": FORMAT, "key": self.key, "files": self._index}).encode()
        try:
            self._out.write(raw + _TRAILER.pack(self._offset, hashlib.sha256(raw).digest(), _MAGIC))
            self._out.close()
            os.replace(self._tmp, self.path)
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
            try:
                out.close()
            except OSError:
                pass
        tmp, self._tmp = self._tmp, None
        if tmp:
            try:
                os.unlink(tmp)
            except OSError:
                pass


class NotStored(Exception):
    """A baseline's store does not hold the parse of a file."""


class BaselineParses(ParsedFiles):
    """Read only: the parse of each curated file as the store of a baseline check holds it
    (`link_baseline`), for files whose identity is the baseline's (`files`). A file it does not
    hold raises NotStored: the caller then checks the whole package."""

    def __init__(self, path: Path, key: str, files: dict[str, tuple]):
        super().__init__(path.parent, key, {}, 0)
        self.path = path
        self.current = {name: identity for name, (identity, _) in files.items()}

    def _racy(self, identity: tuple) -> bool:
        return False

    def load(self, path: Path, rel: str, root: Path):
        from .load import CuratedFile
        from .report import Problem

        blob = self._stored(rel, self.current.get(rel))
        if blob is None:
            raise NotStored(rel)
        records, withheld, parsed, data, found = pickle.loads(blob)
        cf = CuratedFile(path, rel, None, records, withheld, parsed, data, folder=root)
        return cf, [Problem(**p) for p in found]


def link_baseline(store: Path, baseline: Path) -> bool:
    """Keep the parse store just written as the baseline's (a second name of the same file: the
    next store is renamed over the first name, not written into it)."""
    try:
        tmp = baseline.with_name(baseline.name + ".tmp")
        if tmp.exists():
            tmp.unlink()
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
                elif entry.name.endswith(".scope"):  # a scope as its baseline had it (seccoop.recheck)
                    scopes.append((info.st_mtime_ns, entry.path))
                elif entry.name.endswith(".index") and entry.path not in {str(k.with_suffix(".index")) for k in keep}:
                    indexes.append((info.st_mtime_ns, entry.path))  # a baseline's (seccoop.scope)
                elif entry.name.startswith((".parsed-", ".index-")) and entry.name.endswith(".tmp") \
                        and now - info.st_mtime > _TMP_AGE_S:
                    os.unlink(entry.path)
        for _, path in sorted(stores, reverse=True)[_STORES_KEPT - 1:]:
            os.unlink(path)
        for _, path in sorted(indexes, reverse=True)[_STORES_KEPT - 1:]:
            os.unlink(path)
        for _, path in sorted(scopes, reverse=True)[_SCOPES_KEPT:]:
            os.unlink(path)
    except OSError:
        pass  # pruning is housekeeping: a failure leaves files behind, never a wrong answer
