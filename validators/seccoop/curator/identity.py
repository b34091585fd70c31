"""Identity (docs/accounts.md, "Identity"): `merge` says two ids name the same record, `rename`
gives a record a new id. Both retire the old id in data/curated/retired-ids.yaml with its
successor ("same as"), and update the references in the curated files by patching only the
scalars that change (`yamlwrite.patch_scalars`), so comments and layout survive.

Each returns a `Plan` (every change with its file, line and column, and the new files' bytes, each
re-loaded with the strict loader and compared with what was meant); `apply` writes it atomically.
Nothing is written before every file of the plan has been verified.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seccoop.checks.accounts import SINGLE_REFERENCES
from seccoop.checks.references import REFERENCES
from seccoop.curator.yamlwrite import (
    PatchRefused,
    append_records,
    find_scalars,
    patch_scalars,
)
from seccoop.model.load import CuratedFile, load_bytes, load_file
from seccoop.model.package import PLURAL, Package
from seccoop.model.schemas import Schemas
from seccoop.safety.write import write_atomically

ID = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
VERSION = re.compile(r"([0-9]+)\.([0-9]+)\.([0-9]+)")
RECORD_KINDS = ("actor", "relation", "event", "commitment")
RETIRED = "retired-ids.yaml"
POSSIBLY_SAME = "possibly-same.yaml"
RESOLUTIONS = "resolutions.yaml"

# A resolution's `value` is an id where it settles one of these fields: the kinds it may name
# (`part_of` names an event of an event, an actor of an actor).
RESOLVED_IDS: dict[str, set[str]] = {
    name: {target for fields in SINGLE_REFERENCES.values() for other, target in fields.items() if other == name}
    for fields in SINGLE_REFERENCES.values()
    for name in fields
}
_ARTICLE = {
    "actor": "an actor",
    "relation": "a relation",
    "event": "an event",
    "commitment": "a commitment",
    "source": "a source",
}


class IdentityRefused(Exception):
    """The package does not allow the merge or rename asked for (exit 1); nothing was written."""


class BadArguments(IdentityRefused):
    """The command line itself is wrong, whatever the package holds (exit 2)."""


@dataclass(frozen=True)
class Change:
    """One scalar that changes: where it is written (line and column from 1) and what it becomes."""

    file: str
    line: int
    column: int
    path: tuple
    old: Any
    new: Any

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.old} -> {self.new}"


@dataclass
class Plan:
    """What a merge or rename does: the scalars that change, the retired-ids entry it appends, and
    the new bytes of every file that changes (already verified)."""

    old: str
    new: str
    retired: dict
    retired_file: str
    changes: list[Change] = field(default_factory=list)
    files: dict[Path, bytes] = field(default_factory=dict)

    def lines(self, dry_run: bool = False) -> list[str]:
        """What the commands print, one line per change and one for the retired id."""
        prefix = "would change " if dry_run else ""
        out = [prefix + str(c) for c in self.changes]
        out.append(
            f"{'would retire' if dry_run else 'retired'} {self.old} (replaced by {self.new}) in {self.retired_file}"
        )
        return out


# What the merge rules may say of a merged record that only the curator can settle, afterwards
# (`seccoop resolve`): reported with the plan, never a reason to refuse it.
_TO_SETTLE = ("merge-conflict", "resolution-stale", "resolution-unneeded")


def problems_after(package: Package, plan: Plan) -> list:
    """The problems the package would have once the plan is written, and has not now: the whole
    check, merge rules included, run on the curated files as the plan would leave them. Raises
    IdentityRefused where one of them is an error a curator cannot settle with a resolution (a
    chain of `part_of` made a cycle, ...): nothing is written then."""
    from seccoop.model.load import PENDING
    from seccoop.published.flow import run

    def found() -> dict:
        outcome = run(package, keep_texts=False)
        return {(p.code, p.file, p.path): p for p in outcome.problems}

    before = found()
    token = PENDING.set(dict(plan.files))
    try:
        after = found()
    finally:
        PENDING.reset(token)
    new = [p for key, p in sorted(after.items(), key=lambda kv: tuple(map(str, kv[0]))) if key not in before]
    refusing = [p for p in new if p.severity == "error" and p.code not in _TO_SETTLE]
    if refusing:
        shown = "; ".join(f"{p.file}: {p.code} {p.message}" for p in refusing[:5])
        raise IdentityRefused(f"the package would then be invalid: {shown}")
    return new


def apply(plan: Plan) -> list[Path]:
    """Write every file of the plan as one atomic set. Returns the paths that changed."""
    return write_atomically(plan.files)


# -- reading the curated files --------------------------------------------------------------------


@dataclass
class _File:
    cf: CuratedFile
    kind: str  # a record kind, or "retired", "possibly-same", "resolutions"
    data: list

    @property
    def display(self) -> str:
        return self.cf.display

    def where(self, path: tuple) -> str:
        spot = find_scalars(self.cf.text, [path])[0]
        return f"{self.display}:{spot.line}:{spot.column}"


def _read(package: Package, path: Path, kind: str) -> _File | None:
    if not path.exists() and not path.is_symlink():
        return None
    display = package.rel(path)
    cf, problems = load_file(path, display, records=False, root=package.root)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        p = errors[0]
        where = ":".join(str(x) for x in (p.file, p.line, p.column) if x is not None)
        raise IdentityRefused(
            f"{where}: {p.code} {p.message}; fix the curated files first (`seccoop check` lists every problem)"
        )
    data = cf.data if cf.data is not None else []
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise IdentityRefused(
            f"{display}: not a list of records; fix the curated files first (`seccoop check` lists every problem)"
        )
    return _File(cf, kind, data)


@dataclass
class CuratedFiles:
    """Every curated file that holds ids, read once, and which ids name what."""

    package: Package
    files: list[_File]
    accounts: dict[str, list[tuple[_File, int]]]  # id -> each entry written with it
    retired: dict[str, dict]
    retired_path: Path

    def accounts_of(self, id_: str) -> list[tuple[_File, int]]:
        """The entries that are accounts of `id_`: written with it, or with a retired id whose
        successor (followed through chains) it is."""
        found = list(self.accounts.get(id_, []))
        for written in self.accounts:
            seen, here = {written}, written
            while here in self.retired and self.retired[here].get("replaced_by") not in (None, *seen):
                here = self.retired[here]["replaced_by"]
                seen.add(here)
            if here == id_ and written != id_:
                found += self.accounts[written]
        return found

    @classmethod
    def read(cls, package: Package) -> CuratedFiles:
        files, accounts = [], {}
        for kind in ("source", *RECORD_KINDS):
            for path in package.curated_files(kind):
                f = _read(package, path, kind)
                if f is None:
                    continue
                files.append(f)
                for i, record in enumerate(f.data):
                    if isinstance(record.get("id"), str):
                        accounts.setdefault(record["id"], []).append((f, i))
        retired: dict[str, dict] = {}
        for name, kind in ((RETIRED, "retired"), (POSSIBLY_SAME, "possibly-same"), (RESOLUTIONS, "resolutions")):
            f = _read(package, package.curated / name, kind)
            if f is not None:
                files.append(f)
                if kind == "retired":
                    for entry in f.data:
                        retired.setdefault(entry.get("id"), entry)
        return cls(package, files, accounts, retired, package.curated / RETIRED)

    def kinds(self, id_: str) -> set[str]:
        return {f.kind for f, _ in self.accounts.get(id_, [])}

    def referred(self, id_: str) -> set[str]:
        """The kinds of record that the references written with `id_` expect."""
        return {
            target
            for f in self.files
            if f.kind in RECORD_KINDS
            for i, record in enumerate(f.data)
            for _, target, value in _references(f.kind, record)
            if value == id_
        }


def _references(kind: str, record: dict) -> Iterator[tuple[tuple, str, Any]]:
    """(path within the record, kind of record named, value) of each reference an account makes."""
    for name, target in REFERENCES.get(kind, ()):
        if name.endswith("[].actor"):
            members = record.get(name.removesuffix("[].actor"))
            for j, member in enumerate(members if isinstance(members, list) else []):
                if isinstance(member, dict) and "actor" in member:
                    yield (name.removesuffix("[].actor"), j, "actor"), target, member["actor"]
        elif name in record:
            yield (name,), target, record[name]
    spans = record.get("evidence")
    for j, span in enumerate(spans if isinstance(spans, list) else []):
        if isinstance(span, dict) and "speaker" in span:  # whose statement the span reports
            yield ("evidence", j, "speaker"), "actor", span["speaker"]


def _scalars_naming(curated: CuratedFiles, old: str, kind: str) -> dict[int, list[tuple]]:
    """Every path (by file) where `old` names the record of `kind`: an account's id, a reference
    of the right kind, a retired id's successor, a possibly-same link, a resolution."""
    found: dict[int, list[tuple]] = {}
    for n, f in enumerate(curated.files):
        paths = []
        for i, record in enumerate(f.data):
            if f.kind == kind and record.get("id") == old:
                paths.append((i, "id"))
            if f.kind in RECORD_KINDS:
                paths += [
                    (i, *p) for p, target, value in _references(f.kind, record) if target == kind and value == old
                ]
            elif (
                f.kind == "retired"
                and record.get("replaced_by") == old
                and record.get("table", PLURAL[kind]) == PLURAL[kind]
            ):
                paths.append((i, "replaced_by"))
            elif f.kind == "possibly-same":
                paths += [(i, k) for k in ("id", "other") if record.get(k) == old]
            elif f.kind == "resolutions":
                if record.get("record") == old:
                    paths.append((i, "record"))
                if kind in RESOLVED_IDS.get(record.get("field"), ()) and record.get("value") == old:
                    paths.append((i, "value"))
        if paths:
            found[n] = paths
    return found


# -- what may be merged or renamed ----------------------------------------------------------------


def _not_retired(curated: CuratedFiles, id_: str, what: str) -> None:
    entry = curated.retired.get(id_)
    if entry is None:
        return
    successor = entry.get("replaced_by")
    if successor:
        raise IdentityRefused(
            f"{what} `{id_}` is already retired (in {entry.get('version')}, replaced by "
            f"`{successor}`); name `{successor}` instead"
        )
    raise IdentityRefused(
        f"{what} `{id_}` is already retired (in {entry.get('version')}, withdrawn: "
        f"{entry.get('reason')}); it names no record"
    )


def _record_kind(curated: CuratedFiles, id_: str, what: str, *, references_enough: bool = False) -> str:
    """The kind of record `id_` names; refused if it names none (with `references_enough`, an id
    that only references use still names the kind they expect), a source, or several kinds."""
    _not_retired(curated, id_, what)
    kinds = curated.kinds(id_)
    if "source" in kinds:
        raise IdentityRefused(
            f"{what} `{id_}` is a source; merge and rename act on actors, relations, events and commitments"
        )
    if not kinds and references_enough:
        kinds = curated.referred(id_)
    if not kinds:
        raise IdentityRefused(f"{what} `{id_}`: no actor, relation, event or commitment has this id")
    if len(kinds) > 1:
        raise IdentityRefused(
            f"{what} `{id_}` names records of several kinds ({', '.join(sorted(kinds))}); fix the curated files first"
        )
    return kinds.pop()


def _version(package: Package, version: str | None) -> str:
    """`--version`, else the package's version with the minor number bumped (0.1.0 -> 0.2.0)."""
    if version is not None:
        if not VERSION.fullmatch(version):
            raise BadArguments(f"--version {version!r} is not a version X.Y.Z (such as 0.2.0)")
        return version
    path = package.curated / "package.yaml"
    cf, problems = load_file(path, package.rel(path), records=False, root=package.root)
    current = cf.data.get("version") if isinstance(cf.data, dict) else None
    match = VERSION.fullmatch(current) if isinstance(current, str) else None
    if match is None or any(p.severity == "error" for p in problems):
        raise IdentityRefused(
            f"{package.rel(path)} gives no version X.Y.Z to retire the id in; give one with --version"
        )
    return f"{match[1]}.{int(match[2]) + 1}.0"


def _check_reason(reason: str | None) -> None:
    if reason is not None and not reason.strip():
        raise BadArguments("--reason is empty; say in a few words why, or leave it out")


# -- the operations -------------------------------------------------------------------------------


def rename(package: Package, old: str, new: str, *, reason: str | None = None, version: str | None = None) -> Plan:
    """Give the record `old` the id `new`: retire `old` (replaced by `new`) and update every
    curated reference to it. `new` must be a well-formed id that names nothing and was never
    retired."""
    if old == new:
        raise BadArguments(f"OLD and NEW are the same id `{old}`")
    if not ID.fullmatch(new):
        raise BadArguments(
            f"NEW `{new}` is not an id: lowercase letters and digits in words joined "
            "by single hyphens (such as us-delegation-visit)"
        )
    _check_reason(reason)
    version = _version(package, version)
    curated = CuratedFiles.read(package)
    kind = _record_kind(curated, old, "OLD")
    if new in curated.retired:
        entry = curated.retired[new]
        raise IdentityRefused(
            f"NEW `{new}` was retired in {entry.get('version')} ({entry.get('reason')}); "
            "ids are never reused: choose another"
        )
    taken = curated.kinds(new)
    if taken:
        what = _ARTICLE[sorted(taken)[0]]
        hint = f"; to make them one record, run `seccoop merge {new} {old}`" if taken == {kind} else ""
        raise IdentityRefused(f"NEW `{new}` already names {what}{hint}")
    return _plan(curated, old, new, kind, reason or f"renamed to {new}", version)


def merge(package: Package, keep: str, other: str, *, reason: str | None = None, version: str | None = None) -> Plan:
    """Make `other` the same record as `keep`: retire `other` (replaced by `keep`) and update every
    curated reference to it, so its accounts become accounts of `keep`. Refused where a source
    would then give two accounts of `keep`: a curator merges those two entries by hand first."""
    if keep == other:
        raise BadArguments(f"KEEP and OTHER are the same id `{keep}`")
    _check_reason(reason)
    version = _version(package, version)
    curated = CuratedFiles.read(package)
    kind = _record_kind(curated, keep, "KEEP")
    # OTHER may be left only in references, once its accounts were merged into KEEP's by hand
    other_kind = _record_kind(curated, other, "OTHER", references_enough=True)
    if kind != other_kind:
        raise IdentityRefused(
            f"KEEP `{keep}` is {_ARTICLE[kind]} and OTHER `{other}` is "
            f"{_ARTICLE[other_kind]}: only records of one kind can be the same"
        )
    _refuse_collisions(curated, keep, other)
    return _plan(curated, other, keep, kind, reason or f"merged into {keep}", version)


def _account_sources(record: dict) -> set[str]:
    evidence = record.get("evidence")
    return {
        span["source"]
        for span in (evidence if isinstance(evidence, list) else [])
        if isinstance(span, dict) and isinstance(span.get("source"), str)
    }


def _refuse_collisions(curated: CuratedFiles, keep: str, other: str) -> None:
    """What the merge would make twice, which only a curator can make one: two accounts of `keep`
    from one source, two resolutions of one field, a possibly-same link of `keep` with itself or
    twice over."""
    for f, i in curated.accounts_of(other):
        for g, j in curated.accounts_of(keep):
            common = _account_sources(f.data[i]) & _account_sources(g.data[j])
            if common:
                raise IdentityRefused(
                    f"after the merge, source `{sorted(common)[0]}` would give two accounts of `{keep}`: "
                    f"{g.where((j, 'id'))} (`{keep}`) and {f.where((i, 'id'))} (`{other}`); merge those "
                    f"two entries into one under `{keep}` by hand first, keeping every field of both, then "
                    f"run `seccoop merge {keep} {other}` again"
                )
    rename_ = {other: keep}
    for f in curated.files:
        if f.kind == "resolutions":
            seen: dict[tuple, int] = {}
            for i, r in enumerate(f.data):
                key = (rename_.get(r.get("record"), r.get("record")), r.get("field"))
                if key[0] == keep and key in seen:
                    raise IdentityRefused(
                        f"after the merge, `{keep}` would have two resolutions of `{key[1]}`: "
                        f"{f.where((seen[key], 'record'))} and {f.where((i, 'record'))}; keep one of them "
                        "(remove the other) first"
                    )
                seen.setdefault(key, i)
        elif f.kind == "possibly-same":
            pairs: dict[frozenset, int] = {}
            for i, r in enumerate(f.data):
                pair = frozenset(rename_.get(r.get(k), r.get(k)) for k in ("id", "other"))
                if {r.get("id"), r.get("other")} == {keep, other}:
                    raise IdentityRefused(
                        f"{f.where((i, 'id'))}: links `{keep}` and `{other}` as possibly the same, and "
                        "this merge makes them one record; remove that entry first"
                    )
                if keep in pair and pair in pairs:
                    raise IdentityRefused(
                        f"after the merge, {f.where((pairs[pair], 'id'))} and {f.where((i, 'id'))} would "
                        "link the same two records; remove one of them first"
                    )
                pairs.setdefault(pair, i)


def _plan(curated: CuratedFiles, old: str, new: str, kind: str, reason: str, version: str) -> Plan:
    package = curated.package
    entry = _retired_entry(
        package, {"id": old, "table": PLURAL[kind], "replaced_by": new, "version": version, "reason": reason}
    )
    plan = Plan(old, new, entry, package.rel(curated.retired_path))
    targets = _scalars_naming(curated, old, kind)
    retired_file = next((f for f in curated.files if f.kind == "retired"), None)
    if retired_file is not None:
        targets.setdefault(curated.files.index(retired_file), [])
    for n, paths in targets.items():
        f = curated.files[n]
        text = f.cf.text
        try:
            spots = find_scalars(text, paths)
            text = patch_scalars(text, [(p, new) for p in paths])
        except PatchRefused as exc:
            raise IdentityRefused(f"{f.display}: cannot be updated in place: {exc}") from None
        plan.changes += [Change(f.display, s.line, s.column, s.path, old, new) for s in spots]
        expected = copy.deepcopy(f.data)
        for path in paths:
            _set(expected, path, new)
        if f is retired_file:
            text, expected = append_records(text, [entry]), expected + [entry]
        plan.files[f.cf.path] = verified_bytes(package, f.cf.path, text, expected)
    if retired_file is None:  # the first id this package retires
        plan.files[curated.retired_path] = verified_bytes(
            package, curated.retired_path, append_records("", [entry]), [entry]
        )
    return plan


def _retired_entry(package: Package, entry: dict) -> dict:
    """The retired-ids entry, with the fields the package's schema has (`table` came with 0.2),
    valid by that schema."""
    schemas = Schemas(package.schema)
    entry = {k: v for k, v in entry.items() if k in schemas.documents["retired-id"].get("properties", entry)}
    for error in schemas.validators["retired-id"].iter_errors(entry):
        raise IdentityRefused(
            f"the entry for {package.rel(package.curated / RETIRED)} would not be valid: {error.message}"
        )
    return entry


def _set(data: Any, path: tuple, value: Any) -> None:
    for step in path[:-1]:
        data = data[step]
    data[path[-1]] = value


def verified_bytes(package: Package, path: Path, text: str, expected: list) -> bytes:
    """The new file's bytes, once the strict loader reads them as exactly the records meant."""
    raw = text.encode("utf-8")
    again, problems = load_bytes(raw, path, package.rel(path), records=False, root=package.root)
    if problems or again.data != expected:
        found = "; ".join(f"{p.code}: {p.message}" for p in problems) or "the records differ"
        raise IdentityRefused(f"{package.rel(path)}: the updated file would not read back as meant ({found})")
    return raw
