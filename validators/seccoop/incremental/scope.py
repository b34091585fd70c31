"""What an edit can reach: the curated files (and register entries) that share an id with it, and
with those, and so on (docs/cache.md, "Re-checking only what an edit can reach").

Every check across records meets other records through an id: a reference, an account of the
same record, the source a span cites, the seed a source names, the file named for a source. A
record's **tokens** are those ids. The curated files and register entries joined by shared
tokens, from the files an edit changed, are the edit's **scope**: checked alone, they give every
problem of theirs that a check of the whole package gives, and they render the same rows. The
**index** keeps each curated file's tokens from a check that found the package valid and fresh,
so that the scope of a later edit is found without reading the other files again.
"""

from __future__ import annotations

import hashlib
import os
import struct
import sys
import tempfile
from array import array
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from seccoop.model.package import KINDS

INDEX_FORMAT = 3  # 3: a JSON header and the arrays' bytes, data only (2 was a pickle)
# The arrays of an index, by attribute and type code, then its runs of bytes, as stored
_ARRAYS = (
    ("starts", "Q"),
    ("file_start", "Q"),
    ("file_tokens", "I"),
    ("token_start", "Q"),
    ("token_files", "I"),
    ("id_start", "Q"),
    ("ids", "q"),
)
_BYTES = ("blob", "kinds")
_HEADER = struct.Struct(">Q")


@dataclass
class Scope:
    """The part of a package a check is limited to: curated files of records (in the order a
    whole check loads them), entries of the registers by index, and the seeds named; `outside`
    gives the ids, by kind, of the records beyond it (for the hints of an unknown reference)."""

    files: Mapping[str, float]  # in a whole check's order: a file added since the index goes between
    registers: dict[str, set[int]]
    seeds: set[str]
    outside: Callable[[str], list[str]] | None = None  # kind -> the ids beyond the scope
    # register file name -> (CuratedFile, problems) as loaded once for the scope's runs
    loaded: dict = field(default_factory=dict)

    def outside_ids(self, kind: str) -> list[str]:
        return self.outside(kind) if self.outside is not None else []


class Index:
    """Each curated file's tokens and ids, from a check of the whole package, in flat arrays that
    load at once: the tokens sorted, as one run of UTF-8 bytes (found by bisection, decoded only
    when used), and for each file and each token, its neighbours."""

    def __init__(
        self,
        files: list[str],
        kinds: list[str],
        tokens_of: list[set[str]],
        ids_of: list[list[str | None]],
        successors: dict[str, str | None],
    ):
        tokens = sorted(set().union(*tokens_of)) if tokens_of else []
        position = {t: i for i, t in enumerate(tokens)}
        encoded = [t.encode("utf-8", "surrogatepass") for t in tokens]  # the same order as the texts
        self.blob = b"".join(encoded)
        self.starts = array("Q", [0])
        for raw in encoded:
            self.starts.append(self.starts[-1] + len(raw))
        self.files, self.successors = files, successors
        self.kinds = bytes(KINDS.index(kind) for kind in kinds)
        self.file_start, self.file_tokens = array("Q", [0]), array("I")
        by_token: list[list[int]] = [[] for _ in tokens]
        for n, found in enumerate(tokens_of):
            ordered = sorted(position[t] for t in found)
            self.file_tokens.extend(ordered)
            self.file_start.append(len(self.file_tokens))
            for t in ordered:
                by_token[t].append(n)
        self.token_start, self.token_files = array("Q", [0]), array("I")
        for nodes in by_token:
            self.token_files.extend(nodes)
            self.token_start.append(len(self.token_files))
        # each file's record ids in order (-1: a record without one): its structure, and the ids
        # beyond a scope for the hints of an unknown reference
        self.id_start, self.ids = array("Q", [0]), array("q")
        for ids in ids_of:
            self.ids.extend(-1 if id_ is None else position[id_] for id_ in ids)
            self.id_start.append(len(self.ids))

    def number(self, rel: str) -> int | None:
        numbers = self.__dict__.get("_by_name")
        if numbers is None:
            numbers = self.__dict__["_by_name"] = {rel: n for n, rel in enumerate(self.files)}
        return numbers.get(rel)

    def text(self, t: int) -> str:
        return self.blob[self.starts[t] : self.starts[t + 1]].decode("utf-8", "surrogatepass")

    def token(self, text: str) -> int | None:
        key = text.encode("utf-8", "surrogatepass")
        lo, hi = 0, len(self.starts) - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if self.blob[self.starts[mid] : self.starts[mid + 1]] < key:
                lo = mid + 1
            else:
                hi = mid
        found = lo < len(self.starts) - 1 and self.blob[self.starts[lo] : self.starts[lo + 1]] == key
        return lo if found else None

    def tokens_of(self, n: int) -> list[str]:
        return [self.text(t) for t in self.file_tokens[self.file_start[n] : self.file_start[n + 1]]]

    def files_with(self, text: str) -> list[int]:
        t = self.token(text)
        return [] if t is None else list(self.token_files[self.token_start[t] : self.token_start[t + 1]])

    def structure(self, n: int) -> list[str | None]:
        """The ids of a file's records, in order, as written (None: a record without one)."""
        return [None if t < 0 else self.text(t) for t in self.ids[self.id_start[n] : self.id_start[n + 1]]]

    def outside(self, inside: set[int]):
        """A function giving, by kind, the ids (as published: retired ids followed) of the records
        in files not `inside`, with as many entries as accounts, as a whole check lists them."""

        def ids(kind: str) -> list[str]:
            code = KINDS.index(kind)
            found = []
            for n, of_kind in enumerate(self.kinds):
                if of_kind == code and n not in inside:
                    found += [id_ for id_ in self.structure(n) if id_ is not None]
            return [self.successors.get(id_) or id_ for id_ in found]

        return ids

    # -- stored beside the check cache's baseline entry --------------------------------------

    def dumps(self) -> bytes | None:
        """The index as data: the length of a JSON header (format, byte order, each array's type
        code, item size and length; the file names and the retired ids' successors), the header,
        and the arrays' and byte runs' bytes one after another. None where JSON would not give
        the names back exactly."""
        from seccoop.incremental.cache import encode

        parts = [getattr(self, name).tobytes() for name, _ in _ARRAYS] + [bytes(getattr(self, name)) for name in _BYTES]
        header = encode(
            {
                "format": INDEX_FORMAT,
                "order": sys.byteorder,
                "arrays": [[name, code, getattr(self, name).itemsize] for name, code in _ARRAYS],
                "lengths": [len(part) for part in parts],
                "files": self.files,
                "successors": self.successors,
            }
        )
        if header is None:
            return None
        return _HEADER.pack(len(header)) + header + b"".join(parts)

    @classmethod
    def loads(cls, raw: bytes) -> Index:
        """What `dumps` wrote; ValueError where it is not that."""
        from seccoop.incremental.cache import decode

        (size,) = _HEADER.unpack_from(raw)
        header = decode(raw[_HEADER.size : _HEADER.size + size])
        arrays = [[name, code] for name, code in _ARRAYS]
        if (
            header["format"] != INDEX_FORMAT
            or header["order"] != sys.byteorder
            or [a[:2] for a in header["arrays"]] != arrays
        ):
            raise ValueError("an index of another format")
        lengths, files, successors = header["lengths"], header["files"], header["successors"]
        if (
            len(lengths) != len(_ARRAYS) + len(_BYTES)
            or not all(type(n) is int and n >= 0 for n in lengths)
            or _HEADER.size + size + sum(lengths) != len(raw)
            or type(files) is not list
            or not all(type(f) is str for f in files)
            or type(successors) is not dict
        ):
            raise ValueError("not an index")
        index = cls.__new__(cls)
        offset = _HEADER.size + size
        for (name, code, itemsize), length in zip(header["arrays"], lengths[: len(_ARRAYS)], strict=True):
            values = array(code)
            if values.itemsize != itemsize or length % itemsize:
                raise ValueError("an index of another machine")
            values.frombytes(raw[offset : offset + length])
            setattr(index, name, values)
            offset += length
        for name, length in zip(_BYTES, lengths[len(_ARRAYS) :], strict=True):
            setattr(index, name, raw[offset : offset + length])
            offset += length
        if len(index.kinds) != len(files) or len(index.file_start) != len(files) + 1:
            raise ValueError("not an index")
        index.files, index.successors = files, successors
        return index


def save_index(path: Path, index: Index) -> str | None:
    """Write the index through a temporary file renamed into place; its sha256, or None where it
    cannot be written (no index is then no fast path, never a wrong one)."""
    raw = index.dumps()
    if raw is None:
        return None
    try:  # the folder is the cache's, found the user's own (seccoop.incremental.cache.folder): not made here
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".index-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(raw)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        return None
    return hashlib.sha256(raw).hexdigest()


def load_index(path: Path, digest: str) -> Index | None:
    """The index at `path` if its bytes are those recorded (`digest`), else None."""
    from seccoop.incremental.cache import read_own

    try:
        raw = read_own(path)
        if raw is None or hashlib.sha256(raw).hexdigest() != digest:
            return None
        return Index.loads(raw)
    except Exception:  # missing, corrupt or foreign: not trusted
        return None


def reach(
    index: Index,
    changed: dict[int, set[str]],
    registers: dict[str, list[tuple[int, set[str]]]],
    limit: int,
    added: Collection[str] = (),
) -> tuple[set[int], dict[str, set[int]], set[str]] | None:
    """The files (by number) and register entries joined to the `changed` files (by number: their
    tokens now) and to the tokens of files `added` since the index, by shared tokens, with every
    token among them; None beyond `limit` files."""
    by_token_entry: dict[str, list[tuple[str, int]]] = {}
    for name, listed in registers.items():
        for i, tokens in listed:
            for t in tokens:
                by_token_entry.setdefault(t, []).append((name, i))
    entry_tokens = {(name, i): tokens for name, listed in registers.items() for i, tokens in listed}
    with_new: dict[str, list[int]] = {}
    for n, tokens in changed.items():
        for t in tokens:
            with_new.setdefault(t, []).append(n)
    files: set[int] = set()
    entries: dict[str, set[int]] = {name: set() for name in registers}
    seen: set[str] = set()
    pending_files = list(changed)
    pending_tokens: list[str] = sorted(added)
    while pending_files or pending_tokens:
        while pending_files:
            n = pending_files.pop()
            if n in files:
                continue
            files.add(n)
            if len(files) > limit:
                return None
            pending_tokens += index.tokens_of(n)
            pending_tokens += changed.get(n, ())
        while pending_tokens:
            t = pending_tokens.pop()
            if t in seen:
                continue
            seen.add(t)
            pending_files += [n for n in index.files_with(t) if n not in files]
            pending_files += [n for n in with_new.get(t, ()) if n not in files]
            for name, i in by_token_entry.get(t, ()):
                if i not in entries[name]:
                    entries[name].add(i)
                    pending_tokens += entry_tokens[(name, i)]
    return files, entries, seen


@dataclass
class Directed:
    """An edit's scope by who reads whom (docs/cache.md, "Readers and context"): the **members**,
    whose problems and rows the edit may change, and the **context**, which the members read and
    which is loaded for them, not judged again (its problems stay the baseline's)."""

    members: set[int]
    context: set[int]
    entries: dict[str, set[int]]
    tokens: set[str]


class _Roles:
    """Which files define a token (hold a record of that id) and which name it (refer to it), from
    the index: a file's ids are the ids it defines; every other token of it, it names."""

    def __init__(self, index: Index):
        self.index = index
        self._defined: dict[int, set[str]] = {}
        self._definers: dict[str, list[int]] = {}  # asked again and again while a scope grows
        self.source = KINDS.index("source")

    def defines(self, n: int) -> set[str]:
        found = self._defined.get(n)
        if found is None:
            found = self._defined[n] = {id_ for id_ in self.index.structure(n) if id_ is not None}
        return found

    def names(self, n: int) -> set[str]:
        return set(self.index.tokens_of(n)) - self.defines(n)

    def definers(self, token: str) -> list[int]:
        found = self._definers.get(token)
        if found is None:
            found = self._definers[token] = [n for n in self.index.files_with(token) if token in self.defines(n)]
        return found

    def namers(self, token: str) -> list[int]:
        return [n for n in self.index.files_with(token) if token not in self.defines(n)]

    def is_source(self, token: str) -> bool:
        return any(self.index.kinds[n] == self.source for n in self.definers(token))


def directed_reach(
    index: Index,
    edited: dict[int, tuple[set[str], set[str]]],
    added: list[tuple[set[str], set[str]]],
    registers: dict[str, list[tuple[int, set[str]]]],
    seeded: Collection[str],
    limit: int,
    quiet: Collection[int] = (),
) -> Directed | None:
    """The members and context of an edit (None beyond `limit` files): `edited` gives each kept or
    removed file's ids and named tokens now (by number), `added` those of each file added, and
    `seeded` the tokens of register entries added or removed.

    - **Readers** are members: every file that names or defines an id a member defines, and so on
      (a record's references, accounts, and what derives from them, such as a country up a chain
      of `part_of`). A token an edited file stopped or started naming, or a register entry
      changed, makes that token's definers members (whether it is referred to changes). A source
      an edited file cites makes the source's definer and every file citing it members (its
      quotation budget counts every quote of it).
    - **Context** is what the members read: the definers of every token they name, and their
      accounts, and so on; and every file citing a source a member cites (its budget is checked
      whole), and the register entries naming any of them.

    A `quiet` edited file changed only fields that nothing beyond their record reads (the reads
    noted by the baseline's check; docs/cache.md, "Field grain"): it and the other definers of its
    ids (their accounts merge) are members, and nothing reads them anew, so their readers are not
    (unless reached otherwise)."""
    roles = _Roles(index)
    loud = {n: roles_ for n, roles_ in edited.items() if n not in quiet}
    members, named, defined_now = _first_members(roles, loud, added, seeded)
    settled = {m for n in edited if n in quiet for t in roles.defines(n) for m in roles.definers(t)}
    settled = (settled | {n for n in edited if n in quiet}) - members
    members = _readers(roles, members | settled, limit, settled)
    if members is None:
        return None
    context = _read_by(roles, members, limit - len(members))
    if context is None:
        return None
    tokens: set[str] = set(named) | defined_now | {t for ids, names in added for t in ids | names}
    for n in members | context:
        tokens.update(index.tokens_of(n))
    entries = _entries(roles, registers, members, context, tokens, limit)
    if entries is None:
        return None
    return Directed(members, context, entries, tokens)


def _first_members(roles: _Roles, edited, added, seeded) -> tuple[set[int], set[str], set[str]]:
    """The edited files, the definers of what they started or stopped naming (and of what a
    changed register entry names), the citers of a source they cite, and the readers of what they
    define; with the tokens named and the ids defined."""
    members: set[int] = set(edited)
    defined_now: set[str] = set()
    named: set[str] = set(seeded)
    for n, (ids, names) in edited.items():
        defined_now |= ids | roles.defines(n)
        then = roles.names(n)
        named |= then ^ names  # stopped or started naming
        named |= {t for t in then | names if roles.is_source(t)}
    for ids, names in added:
        defined_now |= ids
        named |= names
    for t in named:
        members.update(roles.definers(t))
        if roles.is_source(t):
            members.update(roles.namers(t))
    for t in defined_now:
        members.update(roles.namers(t))
        members.update(roles.definers(t))
    return members, named, defined_now


def _entries(roles: _Roles, registers, members: set[int], context: set[int], tokens: set[str], limit: int):
    """The register entries naming any token of the scope, and what those name (a resolution's
    value; a retired id's successor: a span is published by the records citing its source), and
    so on, added to `context` and `tokens`; None beyond `limit` files."""
    entries: dict[str, set[int]] = {name: set() for name in registers}
    while True:
        read: set[int] = set()
        for name, listed in registers.items():
            for i, found in listed:
                if i not in entries[name] and found & tokens:
                    entries[name].add(i)
                    read.update(_read_through(roles, found))
        read -= members | context
        if not read:
            return entries
        more = _read_by(roles, read, limit - len(members) - len(context), members | context)
        if more is None:
            return None
        for n in read | more:
            context.add(n)
            tokens.update(roles.index.tokens_of(n))
        if len(members) + len(context) > limit:
            return None


def _read_through(roles: _Roles, tokens: set[str]) -> set[int]:
    """The files an entry naming `tokens` reads: their definers, and a source's citers."""
    read: set[int] = set()
    for t in tokens:
        read.update(roles.definers(t))
        if roles.is_source(t):
            read.update(roles.namers(t))
    return read


def _readers(roles: _Roles, members: set[int], limit: int, settled: Collection[int] = ()) -> set[int] | None:
    """`members` and every file that reads them: names or defines an id they define, and so on;
    but not the readers of `settled` members, unless reached from another."""
    pending = [n for n in members if n not in settled]
    unread = set(settled)
    seen_ids: set[str] = set()
    while pending:
        n = pending.pop()
        for t in roles.defines(n) - seen_ids:
            seen_ids.add(t)
            for m in roles.namers(t) + roles.definers(t):
                if m not in members or m in unread:
                    unread.discard(m)
                    members.add(m)
                    pending.append(m)
        if len(members) > limit:
            return None
    return members


def _read_by(roles: _Roles, members: set[int], limit: int, loaded: Collection[int] = ()) -> set[int] | None:
    """The files the members read, beyond them (and beyond the files already `loaded`): the
    definers of what they name and of their own ids (accounts), and so on; and every file citing
    a source a member cites."""
    context: set[int] = set()
    if not loaded:
        for n in members:
            for t in roles.names(n):
                if roles.is_source(t):
                    context.update(m for m in roles.namers(t) if m not in members)
    pending = list(members | context)
    seen: set[str] = set()
    while pending:
        n = pending.pop()
        for t in (roles.names(n) | roles.defines(n)) - seen:
            seen.add(t)
            for m in roles.definers(t):
                if m not in members and m not in context and m not in loaded:
                    context.add(m)
                    pending.append(m)
        if len(context) > limit:
            return None
    return context
