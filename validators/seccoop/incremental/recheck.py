"""A re-check after an edit, limited to what the edit can reach (docs/cache.md, "Re-checking only
what an edit can reach").

A **baseline** is a check of the whole package that found it valid and its derived files fresh:
its report, its inputs, the parse of every curated file (its store, kept under a second name)
and the index of what each file names (`seccoop.incremental.scope.Index`). After edits of a few curated
files of records, and nothing else, a check starts from the baseline:

- the edit's scope is checked alone, as it is now and as it was at the baseline: first its
  members (the edited files and what reads them) with their context (what the members read,
  loaded and not judged again; `scope.directed_reach`), and where that does not hold, the files
  and register entries it shares ids with, and so on (`scope.reach`);
- the problems are the baseline's outside the scope and the scope's now; the scope as it was
  must give exactly the baseline's problems inside it, or the whole package is checked;
- a derived file is stale where the scope's rows of it differ from the baseline's (the rest of
  its rows are the baseline's, which matched the files on disk), or where a row of the scope
  changed place past rows beyond it: a row lies where its owner's first account is loaded (a
  record that moved to another file, a span or post another record publishes now), and the
  baseline's row places tell which files' records have rows in each derived file.

Files of records added or removed are part of the edit: an added file goes where a whole check
would load it, a removed one is in the scope as it was and not as it is.

Anything else is checked whole: a seed, schema, derived file, `retired-ids.yaml` or
`package.yaml` edited, more than 20 files changed, a scope beyond a twentieth of the files.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seccoop.incremental.tokens import record_tokens
from seccoop.model.package import KINDS, Package, kind_of
from seccoop.model.report import Problem

BASELINE = "baseline"
_REGISTERS = ("retired-ids.yaml", "resolutions.yaml", "possibly-same.yaml")
# Registers whose edits re-check what their entries reach (a retired id changes what the ids of
# every record outside the scope are published as: checked whole)
_EDITABLE = ("data/curated/resolutions.yaml", "data/curated/possibly-same.yaml")
_MAX_CHANGED = 20  # files whose records changed
_MAX_SEEN = 200  # files whose identity changed, parsed to tell (a save with the same records is none)


def baseline_key(package: Package, texts) -> str:
    from seccoop.incremental import cache

    return cache.key(package, BASELINE, package.require_texts, texts)


def baseline_store(where: Path, package: Package, texts) -> Path:
    """The parse store of the baseline: the store of the check that was one, by a second name."""
    return where / f"{baseline_key(package, texts)}.parsed"


def save_baseline(
    package: Package, where: Path, texts, list_inputs, before, started, problems, unverified, outcome, parsed
) -> None:
    """Keep a check of the whole package as the baseline of later edits, if it found no error
    (no error: the package valid and its derived files fresh)."""
    from seccoop.incremental import cache, scope

    if outcome is None or any(p.severity == "error" for p in problems) or not parsed.tokens:
        return
    key = baseline_key(package, texts)
    store = baseline_store(where, package, texts)
    if not parsed.path.exists() or not cache.link_baseline(parsed.path, store):
        return
    # numbered in a whole check's order (each kind's files as it loads them), which the parse
    # store's order is not (a file compared before the check began comes first there)
    loaded = parsed.tokens
    listed = [(rel, kind) for kind in KINDS for p in package.curated_files(kind) if (rel := package.rel(p)) in loaded]
    if len(listed) != len(parsed.tokens):  # `parsed` loads curated files of records only: each has a kind
        return
    rels, kinds = [rel for rel, _ in listed], [kind for _, kind in listed]
    posts = _post_tokens(outcome.dataset)
    index = scope.Index(
        rels,
        kinds,
        [parsed.tokens[r] | posts.get(r, set()) for r in rels],
        [parsed.ids[r] for r in rels],
        dict(outcome.dataset.successors),
    )
    digest = scope.save_index(where / f"{key}.index", index)
    if digest is None:
        return
    answer = {"problems": [p.as_dict() for p in problems], "unverified": unverified, "index": digest}
    if outcome.reads is not None:  # each kind's fields read beyond their record, as the check noted them
        answer["reads"] = outcome.reads
    registers = _register_parses(package)
    if registers is not None:
        cache.write_blob(where / f"{key}.registers", registers)
        answer["registers"] = hashlib.sha256(registers).hexdigest()
    places = _row_places(outcome, rels)
    if places is not None:
        cache.write_blob(where / f"{key}.rows", places)
        answer["rows"] = hashlib.sha256(places).hexdigest()
    cache.Entry(where, key).save(package, list_inputs, before, started, answer, parsed.digests)


def _register_parses(package: Package) -> bytes | None:
    """The parse of each register, as data: the register as the baseline had it, for the scope as
    it was, and for the check itself where the register is unchanged (JSON loads faster than YAML:
    0.6 s at 100k events)."""
    from seccoop.incremental import cache
    from seccoop.model.load import load_file

    kept = {}
    for rel in (f"data/curated/{name}" for name in _REGISTERS):
        path = package.root / rel
        if path.is_file() and not path.is_symlink():
            blob = cache.parse_blob(*load_file(path, rel, root=package.root))
            if blob is not None:
                kept[rel] = blob.decode("utf-8", "surrogatepass")
    return cache.encode(kept)


def _row_places(outcome, rels: list[str]) -> bytes | None:
    """For each derived file, the numbers of the files (the index's) where the records with rows
    in it first appear, sorted: whose rows a record moving from one place to another passes."""
    from seccoop.incremental import cache

    if outcome.owners is None:
        return None
    numbers = {rel: n for n, rel in enumerate(rels)}
    try:
        first = {id_: n for found in _first(outcome, numbers).values() for id_, n in found.items()}
    except KeyError:  # a record of a file the index does not number: no row places, no move within reach
        return None
    return cache.encode(
        {rel: sorted({int(first[id_]) for id_ in runs.ids if id_ in first}) for rel, runs in outcome.owners.items()}
    )


def _posts(dataset) -> set[str]:
    """The posts the published relations hold (`<object>@<role_code>`, one row each in posts.csv)."""
    from seccoop.published.tables import post_id

    return {post for record in dataset.merged.get("relation", ()) if (post := post_id(record.data))}


def _post_tokens(dataset) -> dict[str, set[str]]:
    """`post:<post>` for every file holding an account of a relation that holds a post: the
    relations sharing a post share its one row (the first publishes it), so the index tells which
    files beyond a scope hold one that the scope publishes."""
    from seccoop.published.tables import post_id

    found: dict[str, set[str]] = {}
    for record in dataset.merged.get("relation", ()):
        post = post_id(record.data)
        if post:
            for account in record.accounts:
                found.setdefault(account.file.display, set()).add(f"post:{post}")
    return found


def _row_places_then(where: Path, key: str, answer) -> dict[str, list[int]] | None:
    """The row places kept with the baseline (`_row_places`), or None where missing or damaged."""
    from seccoop.incremental import cache

    raw = cache.read_blob(where / f"{key}.rows")
    if raw is None or hashlib.sha256(raw).hexdigest() != answer.get("rows"):
        return None
    try:
        kept = cache.decode(raw)
    except ValueError:
        return None
    if type(kept) is not dict or not all(type(v) is list and all(type(n) is int for n in v) for v in kept.values()):
        return None
    return kept


def _registers_then(where: Path, key: str, answer) -> dict[str, bytes]:
    """The registers' parse kept with the baseline, by path (none where it is missing or damaged)."""
    from seccoop.incremental import cache

    raw = cache.read_blob(where / f"{key}.registers")
    if raw is None or hashlib.sha256(raw).hexdigest() != answer.get("registers"):
        return {}
    try:
        kept = cache.decode(raw)
    except ValueError:
        return {}
    if type(kept) is not dict or not all(type(v) is str for v in kept.values()):
        return {}
    names = {f"data/curated/{name}" for name in _REGISTERS}
    return {rel: blob.encode("utf-8", "surrogatepass") for rel, blob in kept.items() if rel in names}


@dataclass
class Rechecked:
    """A check from the baseline: its problems, unverified spans by source and parse digests, the
    files that differed from the baseline's, and the baseline's entry (its report is kept over it)."""

    problems: list[Problem]
    unverified: dict[str, int]
    digests: dict[str, str]
    read: set[str]
    baseline: Any  # cache.Over


def within_reach(package: Package, where: Path, texts, current: dict[str, tuple], parsed) -> Rechecked | None:
    """The check that starts from the baseline, or None where the whole package must be checked."""
    from seccoop.incremental import cache

    key = baseline_key(package, texts)
    entry = cache.Entry(where, key)
    stored = entry.read()
    if stored is None or entry.checksum is None:
        return None
    files, digests, answer = stored
    over = cache.Over(key, entry.checksum, files, digests)
    changed = cache.differing_files(package, files, current)
    if len(changed) > _MAX_SEEN:
        return None
    if not changed:
        return Rechecked([Problem(**p) for p in answer["problems"]], answer["unverified"], digests, set(), over)
    if not all(_of_records(name, current) or name in _EDITABLE for name in changed):
        return None  # seeds, schemas, derived files and the rest are read whole
    try:
        found = _from_baseline(package, where, key, files, digests, answer, changed, parsed, current)
    except cache.NotStored:  # a file the baseline's store does not hold (it was racily clean then)
        return None
    over.read = set(changed)
    return None if found is None else Rechecked(*found, set(changed), over)


def unread_records(before: dict[str, tuple], read: set[str]):
    """For listing the inputs again after a check from the baseline: a file in a kind's folder of
    curated records that it did not `read` was loaded from the baseline's store, if at all, so
    its answer holds for the identity it had `before` (`cache.inputs`'s `unread`)."""
    from seccoop.model.package import PLURAL

    folders = tuple(f"data/curated/{plural}/" for plural in PLURAL.values())

    def unread(name: str) -> tuple | None:
        return before.get(name) if name.startswith(folders) and name not in read else None

    return unread


def _of_records(name: str, current: dict[str, tuple]) -> bool:
    """A curated file of records (kept, or removed), or a regular one added."""
    if not (name.startswith("data/curated/") and name.endswith((".yaml", ".yml")) and kind_of(name)):
        return False
    return name not in current or stat.S_ISREG(current[name][5])


@dataclass
class _Edit:
    """The changed files as the baseline's index numbers them: each kept or removed file's tokens
    now (a removed one has none), the tokens of the files added, and where those go in a whole
    check's order (between the numbers of the files around them)."""

    now: dict[int, set[str]]
    added: dict[str, float]
    added_tokens: set[str]
    removed: set[str]
    ids: dict[int, set[str]] = field(default_factory=dict)  # each kept file's ids now
    added_roles: list[tuple[set[str], set[str]]] = field(default_factory=list)  # (ids, names) of each added
    # kept files whose edit changed only fields nothing beyond their record reads (`_quiet`)
    quiet: set[int] = field(default_factory=set)

    def roles(self) -> dict[int, tuple[set[str], set[str]]]:
        """(ids, named tokens) of each kept or removed file now, by number."""
        return {n: (self.ids.get(n, set()), tokens - self.ids.get(n, set())) for n, tokens in self.now.items()}

    @classmethod
    def read(
        cls, package: Package, index, changed: list[str], files: dict, parsed, digests, answer, then=None
    ) -> _Edit | None:
        """The edit, from the changed files; `then` (a `cache.BaselineParses`) gives a kept file's
        parse as the baseline had it, to tell an edit of fields read by their record alone."""
        edit = cls({}, {}, set(), set())
        told = {p.get("file") for p in answer["problems"]}
        for rel in changed:
            n = index.number(rel)
            if rel in _EDITABLE:  # a register: its entries decide (`_RegisterEdit`)
                continue
            if rel not in files:  # added
                number = _place_of(package, index, rel)
                if number is None:
                    return None
                parsed.compare(package.root / rel, rel, package.root)
                edit.added[rel] = number
                edit.added_tokens |= parsed.tokens[rel]
                ids = {i for i in parsed.ids[rel] if i is not None}
                edit.added_roles.append((ids, parsed.tokens[rel] - ids))
            elif n is None:
                return None
            elif not (package.root / rel).exists() and not (package.root / rel).is_symlink():  # removed
                edit.now[n] = set()
                edit.removed.add(rel)
            else:
                digest = parsed.compare(package.root / rel, rel, package.root)  # parsed now, kept for the flow
                if digest is not None and digest == digests.get(rel) and rel not in told:
                    continue  # saved again, or an edit undone: the baseline's parse, and no problem placed in it
                edit.now[n] = parsed.tokens[rel]
                edit.ids[n] = {i for i in parsed.ids[rel] if i is not None}
                if then is not None and _quiet(package, index, n, rel, parsed, then, answer.get("reads")):
                    edit.quiet.add(n)
        if len(edit.now) + len(edit.added) > _MAX_CHANGED:
            return None
        return edit


def _quiet(package: Package, index, n: int, rel: str, parsed, then, reads) -> bool:
    """Whether a kept file's edit changed only fields that nothing beyond their record reads, by
    the reads the baseline's whole check noted (`reads`: each kind's fields read beyond a record;
    docs/cache.md, "Field grain"): the same records in the same places and shapes, naming the
    same ids, their values differing only in such fields. Then the file's readers need not be
    checked again: its records' own rules and rows are (it and the other accounts of its ids)."""
    from seccoop.incremental.cache import NotStored

    beyond = reads.get(KINDS[index.kinds[n]]) if isinstance(reads, dict) else None
    if not isinstance(beyond, list) or not all(isinstance(k, str) for k in beyond):
        return False
    now_tokens = parsed.tokens[rel]
    # the index's `post:` tokens are the baseline's (a relation's type, object and role_code,
    # which are read beyond: any change of them makes the edit not quiet)
    if {t for t in index.tokens_of(n) if not t.startswith("post:") or t in now_tokens} != now_tokens:
        return False
    try:
        was = then.load(package.root / rel, rel, package.root)[0].records
    except NotStored:
        return False
    now = parsed.compared(rel).records
    if len(was) != len(now):
        return False
    read = set(beyond)
    for (i, a), (j, b) in zip(was, now, strict=True):
        # the same place and the same keys in the same order: the same shape, so the same
        # `Fields` class, whose reads the baseline noted
        if i != j or type(a) is not dict or type(b) is not dict or list(a) != list(b):
            return False
        if any(k in read and _encoded(a[k]) != _encoded(b[k]) for k in a):
            return False
    return True


def _encoded(value) -> str:
    """A parsed value as its parse is stored: `1`, `1.0` and `true` differ, and so does the key
    order of a mapping (Python's `==` holds them equal)."""
    return json.dumps(value, ensure_ascii=False, default=repr)


def _place_of(package: Package, index, rel: str) -> float | None:
    """Where an added file goes in a whole check's order: after the last file before it in its
    kind's listing that the index numbers (a fraction above that file's number)."""
    kind = kind_of(rel)
    if kind is None:
        return None
    listing = [package.rel(p) for p in package.curated_files(kind)]
    if rel not in listing:
        return None
    at = listing.index(rel)
    for back, before in enumerate(reversed(listing[:at]), start=1):
        n = index.number(before)
        if n is not None:
            return n + back / (len(listing) + 1)
    return None


def _registers(package: Package, kept: dict[str, bytes], changed: list[str]):
    """Each register's entries with their tokens, the retired ids' successors, and the registers
    as loaded (once, for both runs of a scope): from the baseline's `kept` parse where unchanged."""
    registers, successors, loaded = {}, {}, {}
    for name in _REGISTERS:
        path = package.curated / name
        rel = package.rel(path)
        if not (path.exists() or path.is_symlink()):
            continue
        cf, _ = loaded[name] = _register(package, path, rel, None if rel in changed else kept.get(rel))
        registers[name] = _tokens_of(cf)
        if name == "retired-ids.yaml":
            successors = {i: data.get("replaced_by") for i, data in cf.records if isinstance(data, dict)}
    return registers, successors, loaded


def _register(package: Package, path: Path, rel: str, kept: bytes | None):
    """A register as loaded: its parse kept with the baseline (it is unchanged), else its file."""
    from seccoop.incremental import cache
    from seccoop.model.load import load_file

    if kept is not None:
        try:
            return cache.parse_of(kept, path, rel, package.root)
        except (ValueError, TypeError, KeyError):
            pass  # its sha256 was the baseline's: a parse JSON cannot say exactly is read again
    return load_file(path, rel, root=package.root)


@dataclass
class _RegisterEdit:
    """The registers as the baseline had them, for the scope as it was: each edited register's
    entries matched by their content (an entry edited is one removed and one added), the tokens
    of the entries added or removed, and the entries that moved (kept, at another position)."""

    loaded: dict  # name -> (CuratedFile, problems), as the baseline had it
    entries: dict  # name -> [(position, tokens)], as the baseline had it
    pairs: dict  # name -> {position now: position then} of the entries kept
    gone: dict  # name -> positions then of the entries removed
    new: dict  # name -> positions now of the entries added
    tokens: set

    @classmethod
    def read(cls, package, kept: dict[str, bytes], changed, loaded) -> _RegisterEdit | None:
        import json

        from seccoop.incremental import cache

        edit = cls(dict(loaded), {}, {}, {}, {}, set())
        edited = [rel for rel in changed if rel in _EDITABLE]
        for rel in edited:
            name = rel.rsplit("/", 1)[1]
            if rel not in kept or name not in loaded:
                return None  # added or removed, or not kept: checked whole
            try:
                cf, found = cache.parse_of(kept[rel], package.root / rel, rel, package.root)
            except Exception:
                return None
            edit.loaded[name] = (cf, found)
            edit.entries[name] = _tokens_of(cf)
            then, pairs, new = {}, {}, []
            try:  # an entry's content as JSON (a value JSON cannot say, or keys that do not sort: whole)
                for i, data in cf.records:
                    then.setdefault(json.dumps(data, sort_keys=True), []).append(i)
                for i, data in loaded[name][0].records:
                    same = then.get(json.dumps(data, sort_keys=True))
                    if same:
                        pairs[i] = same.pop(0)
                    else:
                        new.append(i)
            except (TypeError, ValueError):
                return None
            edit.pairs[name], edit.new[name] = pairs, new
            edit.gone[name] = sorted(i for left in then.values() for i in left)
            now_tokens = dict(_tokens_of(loaded[name][0]))
            edit.tokens |= {t for i in new for t in now_tokens[i]}
            edit.tokens |= {t for i, tokens in edit.entries[name] if i in edit.gone[name] for t in tokens}
        return edit

    def then(self, entries: dict[str, set[int]]) -> dict[str, set[int]]:
        """The entries of the scope as it was: those kept that it holds now, and those removed."""
        found = dict(entries)
        for name, pairs in self.pairs.items():
            found[name] = {pairs[i] for i in entries.get(name, ()) if i in pairs} | set(self.gone[name])
        return found

    def now(self, entries: dict[str, set[int]]) -> dict[str, set[int]]:
        return {name: set(held) | set(self.new.get(name, ())) for name, held in entries.items()}

    def moved(self, name: str) -> bool:
        return any(i != j for i, j in self.pairs.get(name, {}).items())


def _tokens_of(cf) -> list[tuple[int, set[str]]]:
    return [(i, record_tokens(data)) for i, data in cf.records]


def _successor_beyond(index, edit: _Edit, entries, successors) -> bool:
    """Whether a retired id the scope reaches is replaced by what no record's id joins: a
    successor that is no record's id (a span, a quantity) is published by records the tokens do
    not join, so the whole package decides."""
    for i in entries.get("retired-ids.yaml", ()):
        successor = successors.get(i)
        named = successor.split("@", 1)[0] if isinstance(successor, str) else None  # a record, or a span's source
        if named is None or index.files_with(named) or named in edit.added_tokens:
            continue
        if not any(named in t for t in edit.now.values()):
            return True
    return False


def _from_baseline(package, where, key, files, digests, answer, changed, parsed, current):
    """The check from the baseline: first within the edit's readers and what they read (the
    directed scope), then, where that does not hold, within everything its ids join."""
    from seccoop.incremental import cache, scope

    index = scope.load_index(where / f"{key}.index", answer.get("index") or "")
    if index is None:
        return None
    then = cache.BaselineParses(where / f"{key}.parsed", parsed.key, files) if answer.get("reads") else None
    edit = _Edit.read(package, index, changed, files, parsed, digests, answer, then)
    if edit is None:
        return None
    kept = _registers_then(where, key, answer)
    registers, successors, loaded = _registers(package, kept, changed)
    register_edit = _RegisterEdit.read(package, kept, changed, loaded)
    if register_edit is None:
        return None
    limit = max(64, len(index.files) // 20) - len(edit.added)
    base = _Base(
        package,
        where,
        key,
        files,
        digests,
        answer,
        parsed,
        index,
        edit,
        register_edit,
        registers,
        loaded,
        current,
        then,
    )
    # A quiet edit first (its readers left out), then with its readers where the curated data has
    # an error (derived files left stale are none): an error may hold its record back (its merge
    # fails), which every reader sees without reading a field of it (docs/cache.md, "Field grain")
    for quiet in (edit.quiet, set()) if edit.quiet else (set(),):
        directed = scope.directed_reach(
            index, edit.roles(), edit.added_roles, registers, register_edit.tokens, limit, quiet=quiet
        )
        if directed is None or _successor_beyond(index, edit, directed.entries, successors):
            break
        found = base.checked(directed.members, directed.context, directed.entries, directed.tokens)
        if found is not None and not (quiet and base.held_back):
            return found
    reached = scope.reach(index, edit.now, registers, limit=limit, added=edit.added_tokens | register_edit.tokens)
    if reached is None:
        return None
    numbers, entries, tokens = reached
    if _successor_beyond(index, edit, entries, successors):
        return None
    return base.checked(numbers, set(), entries, tokens)


@dataclass
class _Base:
    """What a check from the baseline starts from: the baseline's entry, index and store, and the edit."""

    package: Package
    where: Path
    key: str
    files: dict
    digests: dict
    answer: dict
    parsed: Any  # cache.ParsedFiles
    index: Any  # scope.Index
    edit: _Edit
    register_edit: _RegisterEdit
    registers: dict
    loaded: dict
    current: dict  # the inputs' identities as this check found them
    then: Any = None  # the baseline's store as `_Edit.read` opened it (`cache.BaselineParses`), or None
    held_back: bool = False  # the last scope checked found an error in the curated data (`checked`)

    def checked(self, members: set[int], context: set[int], entries: dict, tokens: set[str]):
        """The check within a scope: the members judged again, the context loaded for them (its
        problems and those beyond the scope stay the baseline's); None where the scope as it was
        is not what the baseline found in it, or the edit changed what the context says."""
        from seccoop.incremental import scope
        from seccoop.incremental.published import published_problems
        from seccoop.model.schemas import SchemaBroken, Schemas
        from seccoop.published.flow import run
        from seccoop.safety.background import WorkerDied

        index, edit, answer = self.index, self.edit, self.answer
        numbers = members | context
        then_files = {index.files[n]: n for n in numbers}
        now_files = {rel: n for rel, n in then_files.items() if rel not in edit.removed} | edit.added
        named = set().union(*(index.tokens_of(n) for n in members), *edit.now.values(), edit.added_tokens)
        seeds = {t for t in tokens if t.startswith("seeds/")}
        outside = index.outside(numbers)
        then_entries = self.register_edit.then(entries)
        part = scope.Scope(then_files, then_entries, seeds, outside, self.register_edit.loaded)
        part_now = scope.Scope(now_files, self.register_edit.now(entries), seeds, outside, self.loaded)
        try:
            # compiled once for both runs; the baseline, which read these same files, checked them
            schemas = Schemas(self.package.schema, proven=True)
            started = _as_it_was(
                self.package,
                self.where,
                self.key,
                answer["index"],
                self.files,
                self.parsed.key,
                part,
                schemas,
                self.then,
            )
            try:  # the scope as it is, while the scope as it was is checked beside it
                fresh = run(
                    self.package,
                    keep_texts=False,
                    parsed=self.parsed,
                    scope=part_now,
                    schemas=schemas,
                    note_owners=True,
                )
            except BaseException:
                started.cancel()
                raise
            then, keep_then = started()
        except (SchemaBroken, WorkerDied):
            return None  # the whole package is checked
        member_files = {index.files[n] for n in members} | set(edit.added)
        inside = _inside(member_files, seeds & named, then_entries, self.registers)  # the baseline's problems
        # the scope's problems now: a register entry where it is now (entries kept may have moved)
        inside_now = _inside(member_files, seeds & named, self.register_edit.now(entries), self.registers)
        in_context = _inside({index.files[n] for n in context}, seeds - named, {}, {})
        if then is None or _placeless([p for p in answer["problems"] if inside(p)]) != _placeless(
            [p for p in then["problems"] if inside(p)]
        ):
            return None  # the scope as it was is not what the baseline found in it
        said = [p for p in then["problems"] if in_context(p)]
        if any(p["severity"] == "error" for p in said) or _placeless(_judged(said)) != _placeless(
            _judged([p.as_dict() for p in fresh.problems if in_context(p.as_dict())])
        ):
            return None  # the context as loaded is not as the baseline judged it, or the edit reached it
        for name in self.register_edit.pairs:
            if self.register_edit.moved(name) and any(
                p.get("file") == f"data/curated/{name}" and not inside(p) for p in answer["problems"]
            ):
                return None  # a problem of an entry that moved, beyond the scope: its place is not known
        keep_then()
        self.held_back = any(p.severity == "error" for p in fresh.problems)
        problems = _problems(answer, inside, fresh, inside_now)
        if fresh.outputs is not None:
            differ = {rel for rel, out in fresh.outputs.items() if [out.size, out.sha256] != then["outputs"].get(rel)}
            scoped = set(then_files.values()) | set(now_files.values())
            if self.post_beyond(set(then["posts"]) | _posts(fresh.dataset), scoped):
                return None  # a post the scope publishes is held beyond it too: whose row it is is not known
            passed = self.moved_past(scoped, then, fresh, differ)
            if passed is None:
                return None
            problems += _stale(sorted(differ | passed))
        # from its entry (the published files are the baseline's); where that is gone, as a check runs it
        problems += published_problems(self.package, self.where, self.current)
        return problems, _unverified(answer, named, fresh.dataset), {**self.digests, **self.parsed.digests}

    def post_beyond(self, posts: set[str], scoped: set) -> bool:
        """Whether a file beyond the scope holds a relation holding one of `posts` (the index's
        `post:` tokens)."""
        return any(n not in scoped for post in posts for n in self.index.files_with(f"post:{post}"))

    def moved_past(self, scoped: set, then: dict, fresh, differ: set[str]) -> set[str] | None:
        """The derived files whose scope rows are the same but lie among other rows beyond the
        scope: a row's place is its owner's (the file of its first account), and a row whose
        owner's place changed (the record moved to another file, or another record of the scope
        publishes it now: a span or post is published by the first that cites or holds it) passes
        the rows of the records first in the files between the two places. Which files have
        rows in which table, the baseline's row places tell. None where they are not at hand."""
        from seccoop.model.package import DESCRIPTOR

        was = {id_: n for found in then["first"].values() for id_, n in found.items()}
        now = {id_: n for found in _first(fresh).values() for id_, n in found.items()}
        places = None
        passed = set()
        for rel, runs in (fresh.owners or {}).items():
            if rel in differ:
                continue
            before = then["owners"].get(rel)
            if before is None:
                return None
            for a, b in _places_of_rows(before, (runs.ids, runs.counts), was, now):
                if a == b:
                    continue
                if a is None or b is None:
                    return None  # a row of a record as it was and of none as it is, or the reverse
                places = places if places is not None else _row_places_then(self.where, self.key, self.answer)
                if places is None:
                    return None
                if _beyond_between(places.get(rel, []), min(a, b), max(a, b), scoped):
                    passed.add(rel)
                    break
        return passed | {DESCRIPTOR} if passed else passed  # which lists each table's bytes and sha256


def _places_of_rows(then_runs, now_runs, was: dict, now: dict) -> set[tuple]:
    """(place as it was, place as it is) of the rows of a table the same in both runs, by who
    yields each: the number of the file of its owner's first account (None: no record's). Each
    run is given as `render.RowOwners` holds it, (ids, counts), read in place: at 100k events a
    table has up to a million runs."""
    (ids_i, counts_i), (ids_j, counts_j) = then_runs, now_runs
    found: set[tuple] = set()
    i = j = 0
    left_i = counts_i[0] if len(counts_i) else 0
    left_j = counts_j[0] if len(counts_j) else 0
    while i < len(ids_i) and j < len(ids_j):
        found.add((was.get(ids_i[i]), now.get(ids_j[j])))
        step = min(left_i, left_j)
        left_i, left_j = left_i - step, left_j - step
        if not left_i:
            i += 1
            left_i = counts_i[i] if i < len(counts_i) else 0
        if not left_j:
            j += 1
            left_j = counts_j[j] if j < len(counts_j) else 0
    if i < len(ids_i) or j < len(ids_j):
        found.add((None, 0))  # not as many rows: not the same rows (never, where the bytes are)
    return found


def _beyond_between(at: list[int], low: float, high: float, scoped: set) -> bool:
    """Whether a file beyond the scope strictly between `low` and `high` is among the row places
    `at` (sorted). Files are numbered as a whole check loads them, kind after kind, and every
    table lists its rows kind after kind in that order: the places between are those passed."""
    for n in at[bisect.bisect_right(at, low) :]:
        if n >= high:
            return False
        if n not in scoped:
            return True
    return False


def _inside(files: set[str], seeds: set[str], entries: dict, registers: dict):
    """Whether a problem lies in the scope: in its files or seeds, or in a register entry it reaches."""
    registered = {f"data/curated/{name}": name for name in registers}

    def inside(p: dict) -> bool:
        where_ = p.get("file")
        if where_ in files or where_ in seeds:
            return True
        if where_ in registered:
            i = _entry_of(p.get("path"))
            return i is None or i in entries[registered[where_]]
        return False

    return inside


def _problems(answer, inside, fresh, inside_now) -> list[Problem]:
    """The baseline's problems outside the scope (`inside`: as the baseline placed them) and the
    scope's now (`inside_now`: a register's entries numbered as they are now)."""
    rest = [p for p in answer["problems"] if not inside(p)]
    dataset = fresh.dataset
    if {"relation", "event", "commitment"} & (dataset.incomplete | set(dataset.withheld.values())):
        # a whole check judges no actor unreferenced while a referring record is held back
        rest = [p for p in rest if p["code"] != "actor-unreferenced"]
    return [Problem(**p) for p in rest] + [p for p in fresh.problems if inside_now(p.as_dict())]


def _judged(problems: list[dict]) -> list[dict]:
    """Problems of the context that the edit could change only through its members: an actor
    unreferenced is judged by the whole package (none while a record is held back), and the
    context's stay the baseline's (`_problems`)."""
    return [p for p in problems if p["code"] != "actor-unreferenced"]


def _stale(differ: list[str]) -> list[Problem]:
    from seccoop.published.freshness import stale_outputs

    return stale_outputs(differ, [], [], [])


def _unverified(answer, named: set[str], dataset) -> dict[str, int]:
    """The baseline's unverified spans by source, but for the sources the members cite (every file
    citing them is in the scope): counted now."""
    from seccoop.checks.accounts import span_id

    unverified = {s: n for s, n in answer["unverified"].items() if s not in named}
    unverified.update(
        {
            source: len({span_id(span) for span in spans})
            for source, spans in dataset.unverified.items()
            if source in named
        }
    )
    return unverified


def _first(outcome, numbers: Mapping[str, float] | None = None) -> dict[str, dict[str, float]]:
    """Where each published record of a run first appears, by kind: the number of the file of its
    first account in a whole check's order (the place of its rows among the others'), by the
    scope's numbers or the given ones."""
    dataset = outcome.dataset
    files = numbers if numbers is not None else dataset.scope.files
    first: dict[str, dict[str, float]] = {"source": {}}
    for record in dataset.records.get("source", ()):
        first["source"].setdefault(record.id, files[record.file.display])
    for kind, merged in dataset.merged.items():
        first[kind] = {record.data["id"]: min(files[a.file.display] for a in record.accounts) for record in merged}
    return first


def _as_it_was(package, where: Path, key: str, index_digest: str, files, parsed_key: str, part, schemas, opened=None):
    """The scope checked as the baseline had it, started: a function giving its problems and its
    derived files' sizes and sha256 (None where it rendered nothing), with a function that keeps
    them for the next edit of the same scope (a curator edits one file again and again), by the
    baseline's index and the scope's members: called once they passed the self-check. Where it is
    not kept, it runs in a forked process beside the scope as it is (a second core), in packages
    large enough to pay for one (`worth_a_process`); the function waits for it (and has
    `cancel()`)."""
    import hashlib
    import json

    from seccoop.incremental import cache
    from seccoop.published.validation import worth_a_process
    from seccoop.safety.background import in_background

    members = json.dumps([sorted(part.files), sorted((k, sorted(v)) for k, v in part.registers.items())])
    memo = where / f"{key}.{hashlib.sha256((index_digest + members).encode()).hexdigest()[:32]}.scope"
    stored = cache.read_blob(memo)
    if stored is not None:
        try:
            kept = json.loads(stored)
            return _Started(lambda: (kept, lambda: None))
        except ValueError:
            pass
    # the store, its index read once where the edit was read from it (`opened`)
    baseline = (
        opened.again() if opened is not None else cache.BaselineParses(where / f"{key}.parsed", parsed_key, files)
    )
    worth_it = _two_cores(worth_a_process(package))
    pending = in_background(_then_found, package, baseline, part, schemas, worth_it=worth_it)

    def found():
        then = pending()
        if then is None:
            return None, lambda: None
        return then, lambda: cache.write_blob(memo, json.dumps(then).encode())

    return _Started(found, pending.cancel)


def _two_cores(worth_it: bool) -> bool:
    """Whether a second process would run beside this one: worth it, and two cores this process
    may use (its affinity, where the system tells it)."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return worth_it and usable > 1


@dataclass
class _Started:
    """A result under way: called, it is waited for; cancelled, its process is stopped."""

    result: Any
    cancel: Any = lambda: None

    def __call__(self):
        return self.result()


def _then_found(package, baseline, part, schemas) -> dict | None:
    """The scope as the baseline had it, checked (from the baseline's store): its problems, its
    derived files' sizes and sha256 and where its records first appear; None where it rendered
    nothing."""
    from seccoop.published.flow import run

    then = run(package, keep_texts=False, parsed=baseline, scope=part, schemas=schemas, note_owners=True)
    if then.outputs is None:
        return None
    return {
        "problems": [p.as_dict() for p in then.problems],
        "outputs": {rel: [out.size, out.sha256] for rel, out in then.outputs.items()},
        "first": _first(then),
        "owners": {rel: [o.ids, list(o.counts)] for rel, o in (then.owners or {}).items()},
        "posts": sorted(_posts(then.dataset)),
    }


def _entry_of(path: str | None) -> int | None:
    """The register entry a problem's path is in (`$[3].field` is entry 3)."""
    if not path or not path.startswith("$["):
        return None
    try:
        return int(path[2 : path.index("]")])
    except ValueError:
        return None


def _placeless(problems: list[dict]) -> list:
    """Problems to compare, sorted, without line and column: a parse from the baseline's store
    finds its places in a file as it is now (its text is not stored), and which problems there
    are is what the self-check proves."""
    return sorted(sorted((k, v) for k, v in p.items() if k not in ("line", "column")) for p in problems)
