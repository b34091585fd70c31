"""The check cache (docs/cache.md): what an earlier `seccoop check` proved about files that have
not changed since, reused so that the curator's loop stays quick at any size.

Two entries, each the answer of a cold run for exactly the inputs recorded in it:

- the **whole report**, for a package none of whose inputs changed (a re-check with nothing
  edited, a pre-commit hook after `seccoop build`);
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
import json
import os
import stat
import sys
import tempfile
import time
from pathlib import Path

FORMAT = 1
CACHE_ENV = "SECCOOP_CACHE_DIR"
RACY_NS = 2_000_000_000  # coarser than any file system's timestamp granularity


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
        import frictionless
        import jsonschema
        import jsonschema_rs
        import yaml

        digest = hashlib.sha256()
        here = Path(__file__).resolve().parent
        for path in sorted(here.rglob("*.py")):
            digest.update(path.relative_to(here).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
        versions = (sys.version, yaml.__version__, str(getattr(yaml, "__with_libyaml__", False)),
                    _version("jsonschema", jsonschema), _version("jsonschema-rs", jsonschema_rs),
                    _version("frictionless", frictionless))
        digest.update("\0".join(versions).encode())
        _CODE = digest.hexdigest()
    return _CODE


def _version(name: str, module) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return str(getattr(module, "__version__", "?"))


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

    def load(self, package, current: dict[str, tuple]):
        """The answer stored for exactly `current`, else None."""
        try:
            raw = self.path.read_bytes()
            doc = json.loads(raw)
            body = doc["body"]
            if doc.get("checksum") != hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest():
                return None
            if body.get("format") != FORMAT or body.get("key") != self.key:
                return None
            files = {name: (tuple(v[:4]), v[4]) for name, v in body["files"].items()}
        except (OSError, ValueError, KeyError, TypeError, IndexError):
            return None  # missing, corrupt, truncated or foreign: rebuilt by the caller
        if set(files) != set(current):
            return None
        for name, (identity, content) in files.items():
            if tuple(current[name]) != identity:
                return None
            if content is not None and _content(package, name) != content:
                return None  # racily clean when the entry was written: its bytes decide
        return body.get("answer")

    def save(self, package, list_inputs, before: dict[str, tuple], started_ns: int, answer) -> None:
        """Store `answer` for the inputs seen `before` the run (`list_inputs()` lists them again),
        unless one changed during it."""
        if list_inputs() != before:
            return  # a file changed while the check ran: the answer may be of neither version
        files = {}
        for name, identity in before.items():
            racy = identity[1] >= started_ns - RACY_NS and stat.S_ISREG(identity[3])
            files[name] = [*identity, _content(package, name) if racy else None]
        body = {"format": FORMAT, "key": self.key, "files": files, "answer": answer}
        doc = {"body": body, "checksum": hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".entry-", suffix=".tmp")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    json.dump(doc, f)
                os.replace(tmp, self.path)
            except BaseException:
                os.unlink(tmp)
                raise
        except OSError:
            pass  # a cache that cannot be written is no cache; the answer stands


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
