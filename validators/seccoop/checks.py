"""The checks of the flow, layer by layer: shape, identity, sources, references, evidence, time.

`load_dataset` reads and checks every curated file of a package and returns a `Dataset` (the
records that can be published, with their evidence pinned to offsets) and every problem found.
"""

from __future__ import annotations

import copy
import difflib
import os
import hashlib
from dataclasses import dataclass, field
from typing import Any, Iterator

from . import paths, rights
from .accounts import a_kind, merge_accounts, span_id
from .coherence import check_coherence
from .evidence import Span, resolve, word_cut
from .header import read_header
from .load import CuratedFile, json_path, load_file, shared_scalars
from .memory import compact, give_back
from .package import KINDS, PLURAL, Package
from .report import Problem
from .schemas import Schemas

# Which fields point at which kind of record.
_REFERENCES = {
    "relation": (("subject", "actor"), ("object", "actor")),
    "event": (("part_of", "event"), ("attributed_to", "actor"), ("participants[].actor", "actor")),
    "commitment": (("made_in", "event"), ("attributed_to", "actor"), ("parties[].actor", "actor")),
}


@dataclass(slots=True)
class Record:
    """A curated record and where it was written. Once its shape is checked, each span of
    `data["evidence"]` is a `Span`; once its evidence resolves, each has its `start` and `end`."""

    kind: str
    data: dict
    file: CuratedFile
    index: int

    @property
    def id(self) -> str:
        return self.data["id"]

    def problem(self, code: str, message: str, *path: Any, key: bool = False, **kw) -> Problem:
        return self.file.problem(code, message, (self.index, *path), key=key, **kw)


@dataclass
class Dataset:
    """Every record of a package by kind (in curated order), and the text of every source."""

    package: Package
    schemas: Schemas
    records: dict[str, list[Record]]
    texts: dict[str, str]
    # Ids of records held back by a shape error: references to them are not reported again.
    withheld: dict[str, str] = field(default_factory=dict)
    # Kinds with a file that could not be parsed: their ids are unknown, so are not reported.
    incomplete: set[str] = field(default_factory=set)
    # Every record of a good shape, before later checks held some back (for warnings).
    shaped: dict[str, list[Record]] = field(default_factory=dict)
    # Ids retired from use (data/curated/retired-ids.yaml), as records of kind "retired-id".
    retired: list[Record] = field(default_factory=list)
    # Retired id -> the id that replaced it (None: withdrawn), chains already followed.
    successors: dict[str, str | None] = field(default_factory=dict)
    # The published records, merged from their accounts (docs/accounts.md), by kind.
    merged: dict[str, list] = field(default_factory=dict)
    possibly_same: list[dict] = field(default_factory=list)
    # Source id -> `included` or `withheld`, for every source whose text checked out or is absent.
    rights: dict[str, str] = field(default_factory=dict)
    lengths: dict[str, int] = field(default_factory=dict)  # of each of those texts, in code points
    # Withheld sources whose text is not in the texts folder: their spans are not verified.
    absent: set[str] = field(default_factory=set)
    # Spans of absent texts, by source id: how many a check could not verify.
    unverified: dict[str, list[dict]] = field(default_factory=dict)
    # The part of the package checked (`seccoop.scope.Scope`), or None: all of it.
    scope: Any = None

    def successor(self, id_: str) -> str:
        """The id a record is published under: itself, or what replaced it (same as)."""
        return self.successors.get(id_) or id_


def load_dataset(package: Package, schemas: Schemas, keep_texts: bool = True,
                 parsed=None, scope=None) -> tuple[Dataset, list[Problem]]:
    """Load every curated file of a package and check it layer by layer. Records with a problem
    are held back from later layers (and their ids remembered, so that references to them are
    not reported again); what remains can be published. Without `keep_texts`, the sources'
    texts are let go once the evidence is checked (`dataset.texts` is then empty). `parsed`, a
    `cache.ParsedFiles`, gives the parse of files that did not change since an earlier check.
    With a `scope` (`seccoop.scope.Scope`), only the files and register entries in it are read:
    the part of the package an edit can reach (docs/cache.md)."""
    problems: list[Problem] = []
    records: dict[str, list[Record]] = {kind: [] for kind in KINDS}
    withheld: dict[str, str] = {}
    incomplete: set[str] = set()
    broken: list[tuple[Record, set[str]]] = []  # records held back by their shape, and where
    validators = schemas.validators
    for kind in KINDS:
        validator = validators[kind]
        for path in _curated_files(package, kind, scope):
            rel = package.rel(path)
            cf, found = parsed.load(path, rel, package.root) if parsed else load_file(path, rel, root=package.root)
            problems += found
            if not cf.parsed and any(p.severity == "error" for p in found):
                incomplete.add(kind)
            withheld.update((id_, kind) for id_ in cf.withheld)
            for i, data in cf.records:
                record = Record(kind, data, cf, i)
                shape = list(_shape_problems(record, validator, schemas))
                problems += shape
                if not shape:
                    if kind == "source":  # a source may quote nothing of itself (no first line)
                        data.setdefault("evidence", [])
                    spans = data["evidence"]  # compact now, so the next files reuse the dicts' memory
                    spans[:] = [Span(**span) for span in spans]
                    if scope is None:  # held to the end of a whole check: in less memory
                        record.data = compact(data)
                    records[kind].append(record)
                else:
                    if isinstance(data.get("id"), str):
                        withheld[data["id"]] = kind
                    broken.append((record, {p.path for p in shape}))
            cf.records = []  # the Records hold them now; at 100k events the pairs weigh ~30 MB
    shared_scalars.clear()  # the records hold the shared strings themselves now
    dataset = Dataset(package, schemas, records, {}, withheld, incomplete,
                      {kind: list(rs) for kind, rs in records.items()}, scope=scope)
    problems += _load_retired(dataset)
    by_id, found = _check_identity(dataset)
    problems += found
    problems += _check_sources(dataset)
    problems += _check_references(dataset, by_id)
    problems += _references_of_broken(dataset, by_id, broken)
    del by_id  # an entry for every account: let it go before the records are merged
    problems += _check_evidence(dataset)
    if not keep_texts:  # nothing later reads them: about 110 MB at 100k events
        dataset.texts.clear()
        give_back()
    problems += _check_time(dataset)
    problems += merge_accounts(dataset)
    problems += check_coherence(dataset)
    if not any(p.severity == "error" for p in problems):
        # Spans and quantities are known only once every account resolved and merged.
        problems += _check_successors(dataset)
    problems += _warnings(dataset)
    return dataset, problems


def _curated_files(package: Package, kind: str, scope) -> list:
    if scope is None:
        return package.curated_files(kind)
    from .scope import kind_of

    return [package.root / rel for rel, _ in sorted(scope.files.items(), key=lambda item: item[1])
            if kind_of(rel) == kind]


# -- shape ------------------------------------------------------------------------------------

def _shape_problems(record: Record, validator, schemas: Schemas) -> Iterator[Problem]:
    yield from _offset_types(record)
    if validator.is_valid(record.data):
        return
    errors = list(validator.detailed.iter_errors(record.data))
    required: set[tuple] = set()
    for error in errors:
        error = _best(error)
        if error.validator == "required":  # one error per missing field, each naming the same list
            where = tuple(error.absolute_path)
            if where not in required:
                required.add(where)
                missing = [name for name in error.validator_value if name not in (error.instance or {})]
                for name in missing:
                    yield record.problem("schema-required", f"missing field `{name}`", *where)
            continue
        yield _schema_problem(record, error, schemas)
    if not errors:  # the two validators disagree: never pass a record the fast one refused
        yield record.problem("schema-invalid", validator.fast_message(record.data))


def _offset_types(record: Record) -> Iterator[Problem]:
    """Offsets are whole numbers: JSON Schema counts 1.0 as an integer, but text is not indexed by it."""
    evidence = record.data.get("evidence")
    for i, span in enumerate(evidence if isinstance(evidence, list) else ()):
        for name in ("start", "end"):
            value = span.get(name) if isinstance(span, dict) else None
            if isinstance(value, float):
                yield record.problem("schema-type", f"{_describe(value)} where integer is expected",
                                     "evidence", i, name, hint="Write an offset as a whole number, "
                                     "without a decimal point (`seccoop locate` lists them).")


def _best(error):
    """For anyOf (a nullable field), the error of the branch that is not `null`."""
    while error.validator == "anyOf" and error.context:
        branches = [e for e in error.context if e.schema.get("type") != "null"]
        error = min(branches or error.context, key=lambda e: len(e.schema_path))
    return error


def _schema_problem(record: Record, error, schemas: Schemas) -> Problem:
    error = _best(error)
    path = tuple(error.absolute_path)
    where = json_path(path)
    value, kind = error.instance, error.validator
    field_name = path[-1] if path and isinstance(path[-1], str) else None
    if kind == "additionalProperties":
        allowed = list(error.schema.get("properties", {}))
        extra = sorted(set(value) - set(allowed))[0]
        close = difflib.get_close_matches(extra, allowed, n=1)
        hint = f"Did you mean `{close[0]}`? Allowed fields: {', '.join(allowed)}." if close \
            else f"Allowed fields: {', '.join(allowed)}."
        return record.problem("schema-additional-property", f"unknown field `{extra}`", *path, extra,
                              key=True, hint=hint)
    if kind == "enum" and "codelist" in error.schema:
        codes = [c for c in error.validator_value if c is not None]
        close = difflib.get_close_matches(str(value), codes, n=3, cutoff=0.5)
        hint = (f"Did you mean {', '.join(f'`{c}`' for c in close)}? " if close else "") + \
            f"Codes are listed in schema/codelists/{error.schema['codelist']}."
        return record.problem("codelist-unknown", f"`{value}` is not a code of {error.schema['codelist']}"
                              f"{f' (field {field_name})' if field_name else ''}", *path, hint=hint)
    if kind == "pattern" and path == ("id",):
        return record.problem("id-pattern", f"id `{value}` is not a lowercase slug", *path)
    if kind == "pattern":
        return record.problem("schema-pattern", f"`{value}` does not match {error.validator_value}", *path)
    if kind == "format":
        return record.problem("schema-format", f"`{value}` is not a valid {error.validator_value}", *path)
    if kind == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        hint = None
        if isinstance(value, (bool, int, float)) and "string" in expected:
            hint = "The value was read as a number or boolean; put it in quotes to keep it as text."
        return record.problem("schema-type", f"{_describe(value)} where {expected} is expected", *path, hint=hint)
    if kind == "contains":
        return record.problem("schema-committer", "no party has role `committer`", *path)
    return record.problem("schema-invalid", f"{error.message} (at {where})", *path)


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"boolean `{str(value).lower()}`"
    if isinstance(value, (int, float)):
        return f"number `{value}`"
    if value is None:
        return "empty value"
    if isinstance(value, str):
        return f"text `{value}`"
    return "a list" if isinstance(value, list) else "a mapping"


# -- identity ---------------------------------------------------------------------------------

def _check_identity(dataset: Dataset) -> tuple[dict[str, Record], list[Problem]]:
    """Accounts: each cites one source, sits in its source's file (or a kind's top-level file),
    and is the only account of its record from that source; an id names records of one kind.
    An account written with a retired id is read as its successor's (same as)."""
    by_id: dict[str, Record] = {}
    given: dict[tuple[str, str], Record] = {}
    source_ids = {r.id for r in dataset.shaped["source"]}
    written_kind: dict[str, str] = {}
    for kind in KINDS:
        for record in dataset.records[kind]:
            written_kind.setdefault(record.id, kind)
    problems = []
    for kind in KINDS:
        kept = []
        folder = dataset.package.curated / PLURAL[kind]
        for record in dataset.records[kind]:
            written = record.id
            if written in dataset.withheld and dataset.withheld[written] == "retired-id":
                continue  # an id in a cycle of retired ids: reported at the register
            if written in dataset.successors:
                successor = dataset.successors[written]
                if successor is not None and written_kind.get(successor, kind) != kind:
                    problems.append(record.problem(
                        "ref-wrong-kind", f"`{written}` is retired as the same as `{successor}`, which is "
                        f"{a_kind(written_kind[successor])}; "
                        f"this account is of {a_kind(kind)}", "id",
                        hint="Fix replaced_by in data/curated/retired-ids.yaml, or the id of this account."))
                    continue
                if successor is None or kind == "source":
                    entry = next(r for r in dataset.retired if r.id == written)
                    problems.append(record.problem(
                        "id-retired", f"id `{written}` was retired in {entry.data['version']} "
                        f"({entry.data['reason']}); ids are never reused", "id"))
                    continue
                record.data["id"] = dataset.successors[written]  # same as: the successor's account
            if kind != "source":
                sources = list(dict.fromkeys(span["source"] for span in record.data["evidence"]))
                if len(sources) > 1:
                    i = next(i for i, span in enumerate(record.data["evidence"]) if span["source"] != sources[0])
                    problems.append(record.problem(
                        "account-sources", f"this account of `{record.id}` cites {sources[0]} and "
                        f"{sources[1]}; an account states what one source says", "evidence", i, "source",
                        hint=f"Move the spans of {sources[1]} into an account of `{record.id}` in "
                             f"data/curated/{PLURAL[kind]}/{sources[1]}.yaml."))
                    continue
                # A file named for a source holds that source's accounts only (other names are free).
                # (cheapest test first: almost every account is in its own source's file)
                stem = record.file.path.stem
                home = stem != sources[0] and stem in source_ids and record.file.path.is_relative_to(folder)
                if home:
                    problems.append(record.problem(
                        "account-file", f"an account citing {sources[0]} is in {record.file.display}, the file "
                        f"of source `{record.file.path.stem}`", "evidence", 0, "source",
                        hint=f"Move it to data/curated/{PLURAL[kind]}/{sources[0]}.yaml: each source's "
                             "accounts live in that source's own files."))
                    continue
                twice = given.get((record.id, sources[0]))
                if twice is not None:
                    line, _ = twice.file.locate((twice.index, "id"))
                    problems.append(record.problem(
                        "id-duplicate", f"{sources[0]} already gives an account of `{record.id}` at "
                        f"{twice.file.display}:{line}", "id",
                        hint="One account per record and source: merge the two entries into one."))
                    continue
                given[(record.id, sources[0])] = record
            first = by_id.get(record.id)
            if first is not None and (first.kind != kind or kind == "source"):
                line, _ = first.file.locate((first.index, "id"))
                problems.append(record.problem(
                    "id-duplicate", f"id `{record.id}` is already used by {a_kind(first.kind)} "
                    f"at {first.file.display}:{line}", "id",
                    hint="An id names one record of one kind; pick a new id (ids are never reused)."))
                continue
            by_id.setdefault(record.id, record)
            kept.append(record)
        dataset.records[kind] = kept
    return by_id, problems


# -- retired ids ------------------------------------------------------------------------------

RETIRED = "retired-ids.yaml"
_RECORD_TABLES = ("records", "sources", "actors", "relations", "events", "commitments")


def load_register(dataset: Dataset, name: str, kind: str) -> tuple[list[Record], list[Problem]]:
    """The entries of a curated register of the curator's (retired ids, resolutions, possibly-same
    links) whose shape is right, and the problems of the others. A package that has never needed
    the register need not have its file."""
    path = dataset.package.curated / name
    if not path.exists() and not path.is_symlink():
        return [], []
    scope = dataset.scope
    if scope is not None and name in scope.loaded:  # read once for the runs of a scope
        cf, problems = copy.copy(scope.loaded[name][0]), list(scope.loaded[name][1])
        wanted = scope.registers.get(name, ())  # each run gets its own copy: checks fill in defaults
        cf.records = copy.deepcopy([(i, data) for i, data in cf.records if i in wanted])
    else:
        cf, problems = load_file(path, dataset.package.rel(path), root=dataset.package.root)
    validator = dataset.schemas.validators[kind]
    entries = []
    if scope is not None:  # only the entries an edit can reach (their problems too)
        cf.records = [(i, data) for i, data in cf.records if i in scope.registers.get(name, ())]
    for i, data in cf.records:
        entry = Record(kind, data, cf, i)
        shape = list(_shape_problems(entry, validator, dataset.schemas))
        problems += shape
        if not shape:
            entries.append(entry)
    return entries, problems


def _load_retired(dataset: Dataset) -> list[Problem]:
    """The register of retired ids: each retired once, and each successor chain followed to the
    id in use (a cycle is an error)."""
    entries, problems = load_register(dataset, RETIRED, "retired-id")
    replaced: dict[str, str | None] = {}
    seen: set[tuple[str, str]] = set()
    for entry in entries:
        data = entry.data
        table = data.setdefault("table", "records")
        if (entry.id, table) in seen:
            problems.append(entry.problem("id-duplicate", f"id `{entry.id}` of {table} is retired twice", "id"))
            continue
        seen.add((entry.id, table))
        if table in _RECORD_TABLES:  # only a record id is followed: same as
            replaced[entry.id] = data.get("replaced_by")
        dataset.retired.append(entry)
    in_cycle: set[str] = set()
    for entry in dataset.retired:
        if entry.id not in replaced:
            continue
        path, here = [entry.id], replaced[entry.id]
        while here in replaced:
            if here in path:
                cycle = path[path.index(here):]
                if not in_cycle & set(cycle):  # one report for one cycle
                    problems.append(entry.problem(
                        "id-retired", f"retired ids replace each other in a cycle ({' -> '.join([*cycle, here])})",
                        "replaced_by", hint="Point replaced_by at an id in use."))
                in_cycle.update(cycle)
                here = None
                break
            path.append(here)
            here = replaced[here]
        dataset.successors[entry.id] = here
    # Accounts and references written with an id of the cycle were reported with the cycle.
    dataset.withheld.update((id_, "retired-id") for id_ in in_cycle)
    return problems


def _check_successors(dataset: Dataset) -> list[Problem]:
    """What replaced a retired id is published: a record, a span or a quantity."""
    from .accounts import quantities_of, span_id

    wanted = {entry.data.get("replaced_by") for entry in dataset.retired} - {None}
    if dataset.incomplete or not wanted:
        return []
    published = set()  # the wanted ids that are published (a set of every span id is 100 MB at 100k events)

    def publish(ids):
        published.update(id_ for id_ in ids if id_ in wanted)

    publish(r.id for r in dataset.records["source"])
    publish(dataset.withheld)
    for kind, records in dataset.merged.items():
        for record in records:
            publish((record.id,))
            publish(span_id(s) for s in record.data["evidence"])
            publish(q for q, _ in quantities_of(record))
    publish(span_id(s) for r in dataset.records["source"] for s in r.data["evidence"])
    # A successor held back by its own error was reported there.
    publish(r.id for records in dataset.shaped.values() for r in records)
    problems = []
    for entry in dataset.retired:
        replaced_by = entry.data.get("replaced_by")
        if replaced_by is not None and replaced_by not in published:
            problems.append(entry.problem("ref-unknown", f"nothing published has id `{replaced_by}`", "replaced_by"))
    return problems


# -- sources ----------------------------------------------------------------------------------

class SourceUnreadable(Exception):
    """A source's document that the gate does not read: `code` and `message` say why."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def read_source(package: Package, rel: str) -> bytes:
    """The bytes of a source's document: a regular file directly in seeds/, with no link on the
    way, read through the gate. Raises SourceUnreadable."""
    parts = rel.split("/")
    if len(parts) != 2 or parts[0] != "seeds" or parts[1] in ("", ".", "..") or "\\" in rel:
        raise SourceUnreadable("source-path", f"`{rel}` is not a file directly in seeds/")
    try:
        return paths.read_file(package.root / rel, package.root, paths.SOURCE_LIMIT)
    except paths.Refused as exc:
        if exc.code == "file-link":
            raise SourceUnreadable("source-path", f"`{rel}` is not a file directly in seeds/: "
                                   f"{exc.reason}") from None
        if exc.code == "file-missing":
            raise SourceUnreadable("source-missing", f"`{rel}` does not exist") from None
        raise SourceUnreadable(exc.code, f"`{rel}` cannot be read: {exc.reason}") from None


def _check_sources(dataset: Dataset) -> list[Problem]:
    """Each source's rights and text: an included text read from seeds/, a withheld one from the
    texts folder by its sha256 (docs/rights.md); either checked against its recorded sha256,
    length and normalized hash. A withheld text that is absent leaves its spans unverified."""
    problems = []
    kept = []
    package = dataset.package
    for record in dataset.records["source"]:
        data = record.data
        if data["text"] == "included" and data["licence"].strip().lower() == "unknown":
            problems.append(record.problem(
                "source-rights", "the text is included, but its licence is unknown", "licence",
                hint="Name the licence that allows republishing the text, or set `text: withheld` "
                     "(docs/rights.md)."))
            continue
        if data["text"] == "included" and data.get("path") is None:
            problems.append(record.problem(
                "source-path", "an included text needs its path in seeds/", "text",
                hint="Add `path: seeds/NAME` (the file the text is kept in), or set `text: withheld` "
                     "(docs/rights.md)."))
            continue
        if data["text"] == "withheld" and data.get("path") is not None:
            problems.append(record.problem(
                "source-path", "a withheld text has no path: it is found in the texts folder by its sha256", "path",
                hint="Delete `path:` and move the text out of seeds/ into the texts folder as `<sha256>.txt` "
                     "(docs/rights.md)."))
            continue
        try:
            if data["text"] == "included":
                shown = data["path"]
                raw = read_source(package, shown)
            else:
                raw, shown = rights.read_withheld(package, data["sha256"])
        except rights.TextAbsent as exc:
            dataset.absent.add(record.id)
            kept.append(record)
            if package.require_texts:
                problems.append(record.problem(
                    "source-text-missing", f"the withheld text is not in the texts folder (`{exc}`)", "sha256",
                    hint=f"Put the text there as `{data['sha256']}.txt` (or name the folder with --texts or "
                         f"{rights.TEXTS_ENV}); without --require-texts its spans are left unverified."))
            continue
        except SourceUnreadable as exc:
            problems.append(record.problem(exc.code, exc.message, "path"))
            continue
        except paths.Refused as exc:
            problems.append(record.problem(exc.code, f"the withheld text cannot be read: {exc.reason}", "sha256"))
            continue
        digest = hashlib.sha256(raw).hexdigest()
        if digest != data["sha256"]:
            message = (f"`{shown}` has sha256 {digest}, not the recorded one" if data["text"] == "included" else
                       f"`{shown}` has sha256 {digest}: the file is not this source's text (changed or replaced)")
            problems.append(record.problem("source-checksum", message, "sha256"))
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            problems.append(record.problem("source-encoding", f"`{shown}` is not UTF-8 (byte {exc.start})",
                                           "path" if data["text"] == "included" else "sha256"))
            continue
        if len(text) != data["length"]:
            problems.append(record.problem("source-length", f"the text is {len(text)} code points long, "
                                           f"not {data['length']}", "length", hint=f"Write `length: {len(text)}`."))
            continue
        if (normalized := rights.normalized_sha256(text)) != data["normalized_sha256"]:
            problems.append(record.problem("source-checksum", "normalized_sha256 is not the text's",
                                           "normalized_sha256", hint=f"Write `normalized_sha256: {normalized}`."))
            continue
        # The first line `date YYYY-MM-DD TITLE` is optional; where it is there, the record agrees
        # with it (docs/curating.md, section 1). Without it, title and date are the curator's.
        header = read_header(text)
        if header is not None:
            if header.date != data["published"]:
                problems.append(record.problem("source-header", f"published `{data['published']}` "
                                               f"but the document says `{header.date}`", "published"))
            if header.title != data["title"]:
                problems.append(record.problem("source-header", "title differs from the document's first line",
                                               "title", hint=f"The document's title is: {header.title!r}"))
        dataset.texts[record.id] = text
        kept.append(record)
    dataset.records["source"] = kept
    problems += _unlisted_seeds(dataset)
    dataset.rights = {r.id: r.data["text"] for r in kept}
    dataset.lengths = {r.id: r.data["length"] for r in kept}
    return problems


def _unlisted_seeds(dataset: Dataset) -> list[Problem]:
    """A file in seeds/ that no included source names: a withheld text put there by mistake would
    enter git and every artefact (docs/rights.md). Only seeds/README.md may sit beside the texts."""
    if "source" in dataset.incomplete or "source" in dataset.withheld.values():
        return []  # a source record held back by its own error may name the file: not judged
    named = {r.data.get("path") for r in dataset.shaped.get("source", ()) if r.data.get("text") == "included"}
    try:
        entries = sorted(os.scandir(dataset.package.seeds), key=lambda e: e.name)
    except OSError:
        return []  # no seeds/ (or it is not a folder): a source naming a path there is reported
    if dataset.scope is not None:  # only the seeds named in the part checked can have lost their source
        entries = [e for e in entries if f"seeds/{e.name}" in dataset.scope.seeds]
    return [Problem("source-unlisted", "is not the text of an included source", file=f"seeds/{e.name}")
            for e in entries if f"seeds/{e.name}" not in named and e.name != "README.md"]


# -- references -------------------------------------------------------------------------------

def _refs(record: Record) -> Iterator[tuple[tuple, str, str]]:
    """(path, id, expected kind) of every reference a record makes, evidence sources included."""
    data = record.data
    for spec, expected in _REFERENCES.get(record.kind, ()):
        if spec.endswith("[].actor"):
            list_name = spec.split("[")[0]
            for i, item in enumerate(data.get(list_name) or ()):
                yield (list_name, i, "actor"), item["actor"], expected
        elif data.get(spec) is not None:
            yield (spec,), data[spec], expected
    for i, span in enumerate(data["evidence"]):
        yield ("evidence", i, "source"), span["source"], "source"


def _set(data: dict, path: tuple, value: Any) -> None:
    for step in path[:-1]:
        data = data[step]
    data[path[-1]] = value


def _check_references(dataset: Dataset, by_id: dict[str, Record]) -> list[Problem]:
    problems = []
    known: dict[str, list[str]] = {}
    for kind in KINDS:
        kept = []
        for record in dataset.records[kind]:
            ok = True
            for path, ref, expected in _refs(record):
                if ref in dataset.successors and dataset.successors[ref] is not None:
                    ref = dataset.successors[ref]  # same as: a reference follows the successor
                    _set(record.data, path, ref)
                target = by_id.get(ref)
                if target is None and (ref in dataset.withheld or expected in dataset.incomplete):
                    ok = False  # the record's own error, or its file's, was reported
                elif target is None:
                    problems.append(_ref_unknown(dataset, known, record, path, ref, expected))
                    ok = False
                elif target.kind != expected or (expected == "source" and ref not in dataset.rights):
                    if target.kind != expected:
                        problems.append(record.problem(
                            "ref-wrong-kind", f"`{ref}` is a {target.kind}, but this field needs a {expected}", *path))
                    ok = False  # a source whose document failed its checks was reported already
            if kind == "source" and any(s["source"] != record.id for s in record.data["evidence"]):
                i = next(i for i, s in enumerate(record.data["evidence"]) if s["source"] != record.id)
                problems.append(record.problem("evidence-source-self",
                                               f"source `{record.id}` cites `{record.data['evidence'][i]['source']}`",
                                               "evidence", i, "source"))
                ok = False
            if ok:
                kept.append(record)
        dataset.records[kind] = kept
    return problems


def _ref_unknown(dataset: Dataset, known: dict[str, list[str]], record: Record, path: tuple, ref: str,
                 expected: str) -> Problem:
    """`ref-unknown`, with the nearest ids of the kind expected as a hint (`known` caches them)."""
    ids = known.get(expected)
    if ids is None:  # with a scope, the ids beyond it count too, as a whole check lists them
        ids = known[expected] = [r.id for r in dataset.records[expected]] + \
            (dataset.scope.outside_ids(expected) if dataset.scope is not None else [])
    close = difflib.get_close_matches(ref, ids, n=3, cutoff=0.6)
    hint = f"Did you mean {', '.join(f'`{c}`' for c in close)}?" if close else \
        f"No {expected} has this id; add it to data/curated/{PLURAL[expected]}.yaml."
    return record.problem("ref-unknown", f"no {expected} has id `{ref}`", *path, hint=hint)


def _references_of_broken(dataset: Dataset, by_id: dict[str, Record], broken) -> list[Problem]:
    """The references of a record held back by its shape that lie outside what is wrong with it:
    a bad code and a dangling reference on one record are independent, so both are reported in
    one run. A reference inside a part the schema refused is that part's problem, not reported."""
    problems: list[Problem] = []
    known: dict[str, list[str]] = {}
    for record, wrong in broken:
        root = json_path((record.index,))
        covered = {p for p in wrong if p and p != root}  # a missing or extra field is the record's own

        def inside(path: tuple) -> bool:
            where = json_path((record.index, *path))
            return any(where == p or where.startswith(p + ".") or where.startswith(p + "[") for p in covered)

        for path, ref, expected in _loose_refs(record):
            if inside(path) or ref in dataset.withheld or expected in dataset.incomplete:
                continue
            ref = dataset.successor(ref)
            target = by_id.get(ref)
            if target is None and ref not in dataset.withheld:
                problems.append(_ref_unknown(dataset, known, record, path, ref, expected))
            elif target is not None and target.kind != expected:
                problems.append(record.problem(
                    "ref-wrong-kind", f"`{ref}` is a {target.kind}, but this field needs a {expected}", *path))
    return problems


def _loose_refs(record: Record) -> Iterator[tuple[tuple, str, str]]:
    """`_refs` of a record whose shape may be wrong: only the references written as text where
    the schema puts them."""
    data = record.data
    for spec, expected in _REFERENCES.get(record.kind, ()):
        if spec.endswith("[].actor"):
            list_name = spec.split("[")[0]
            items = data.get(list_name)
            for i, item in enumerate(items if isinstance(items, list) else ()):
                if isinstance(item, dict) and isinstance(item.get("actor"), str):
                    yield (list_name, i, "actor"), item["actor"], expected
        elif isinstance(data.get(spec), str):
            yield (spec,), data[spec], expected
    spans = data.get("evidence")
    for i, span in enumerate(spans if isinstance(spans, list) else ()):
        if isinstance(span, dict) and isinstance(span.get("source"), str):
            yield ("evidence", i, "source"), span["source"], "source"


# -- evidence ---------------------------------------------------------------------------------

def _check_evidence(dataset: Dataset) -> list[Problem]:
    """Pin every span to offsets in its source's text and verify it there; a span of a withheld
    text that is absent is checked for everything but its words (docs/rights.md)."""
    lengths = dataset.lengths
    # Read whether or not a text is absent: a file the gate refuses is reported either way.
    released, problems = _released_spans(dataset.package)
    # An offset is one of a few thousand numbers: one int object for each, not two per span
    # (about 50 MB at 100k events).
    offsets: dict[int, int] = {}
    for kind in KINDS:
        kept = []
        for record in dataset.records[kind]:
            resolved = True
            for i, span in enumerate(record.data["evidence"]):
                problem = _pin_span(dataset, span, lengths[span["source"]], offsets)
                if problem is not None:
                    code, message, where, hint = problem
                    problems.append(record.problem(code, message, "evidence", i, *where, hint=hint))
                    resolved = False
                elif span["source"] in dataset.absent and span_id(span) not in released:
                    problems.append(record.problem(
                        "evidence-unverified", f"span {span_id(span)} is new since the last release and its "
                        "text is not here to verify it", "evidence", i, "start"))
                elif (cut := _word_cut(dataset, span)) is not None:
                    problems.append(record.problem("evidence-word-cut", cut[0], "evidence", i,
                                                   "quote" if span["quote"] is not None else "start", hint=cut[1]))
            if resolved:
                kept.append(record)
        dataset.records[kind] = kept
    return problems + _check_budget(dataset)


RELEASED_SPANS = "data/curated/released-spans.txt"


def _released_spans(package: Package) -> tuple[set[str], list[Problem]]:
    """The span ids the last release published (verified then by curators holding the texts):
    one a line in data/curated/released-spans.txt, written at each release (docs/versioning.md).
    A file the gate refuses (a link, a FIFO, too large) is reported, and counts as no list."""
    try:
        raw = paths.read_file(package.root / RELEASED_SPANS, package.root, paths.CURATED_LIMIT)
    except paths.Refused as exc:
        if exc.code == "file-missing":
            return set(), []
        return set(), [Problem(exc.code, exc.reason, file=RELEASED_SPANS)]
    return {line.strip() for line in raw.decode("utf-8", "replace").splitlines()
            if line.strip() and not line.lstrip().startswith("#")}, []


def _pin_span(dataset: Dataset, span, length: int, offsets: dict[int, int]) -> tuple | None:
    """Fill a span's start, end, length, sha256 and published quote (None where a withheld text's
    quote is not published), or say why it cannot be: (code, message, path in the span, hint)."""
    source, quote = span["source"], span.get("quote")
    withheld = dataset.rights[source] == "withheld"
    if withheld and "start" not in span:
        return ("evidence-unpinned", "a quote of a withheld text needs its `start`", ("quote",),
                "Run `seccoop locate --pin` with the text in the texts folder: it writes start, end and "
                "sha256, so ids and tables never need the text (docs/rights.md).")
    text = dataset.texts.get(source)
    if quote is not None and text is not None:
        result = resolve(text, quote, span.get("start"))
        if result.code is not None:
            return result.code, result.message, ("start" if result.code == "evidence-offset" else "quote",), result.hint
        start, end = result.start, result.end
    elif quote is not None:  # a withheld text that is absent: the quote itself gives the end
        start, end = span["start"], span["start"] + len(quote)
    else:
        start, end = span["start"], span["end"]
        if end <= start:
            return "evidence-offset", f"end {end} is not after start {start}", ("end",), None
    if span.get("end", end) != end:
        return ("evidence-offset", f"end {span['end']} is not where the quote ends ({end})", ("end",),
                "Remove `end:`; build computes it.")
    if end > length:
        return ("evidence-offset", f"end {end} lies past the end of the text ({length} code points)", ("end",),
                "Pin the span again with `seccoop locate --pin`.")
    if quote is None and text is not None:
        quote_at = text[start:end]
        if rights.fingerprint(quote_at) != span["sha256"]:
            found = rights.verify_copy(text, [{"start": start, "end": end, "sha256": span["sha256"]}])[0].found_at
            return ("evidence-fingerprint", f"the text from {start} to {end} does not have this sha256", ("sha256",),
                    f"Its words are at start {found}: write `start: {found}` and `end: {found + end - start}`."
                    if found is not None else "No words of this length in the text have it: pin the quote again.")
    if quote is not None and "sha256" in span and (digest := rights.fingerprint(quote)) != span["sha256"]:
        return ("evidence-fingerprint", "sha256 is not the quote's fingerprint", ("sha256",),
                f"The quote's sha256 is {digest}; remove `sha256:` or pin it again.")
    if text is None:
        dataset.unverified.setdefault(source, []).append(span)
    start, end = offsets.setdefault(start, start), offsets.setdefault(end, end)
    span["start"], span["end"], span["length"] = start, end, end - start
    # The fingerprint of a published quote is computed again where it is published
    # (rights.span_sha256): a 64-character string on each of 921k spans at 100k events is 100 MB.
    span["quote"] = quote
    return None


def _word_cut(dataset: Dataset, span) -> tuple[str, str] | None:
    """(message, hint) for a span that starts or ends inside a word of its text. The hint gives
    the whole words, or for a withheld text only their offsets (a report may be public)."""
    text = dataset.texts.get(span["source"])
    if text is None or (found := word_cut(text, span["start"], span["end"])) is None:
        return None
    start, end = found
    sides = " and ".join(side for side, cut in (("starts", start != span["start"]), ("ends", end != span["end"]))
                         if cut)
    if dataset.rights[span["source"]] == "included":
        return f"the quote {sides} inside a word", f"Quote the whole words: {text[start:end]!r}."
    return (f"the quote {sides} inside a word",
            f"The whole words run from {start} to {end}: pin the quote again over them.")


def _check_budget(dataset: Dataset) -> list[Problem]:
    """The quotation budget of each withheld text (docs/rights.md): each published quote at most
    rights.MAX_QUOTE code points, all of them together at most rights.MAX_SHARE of the text. A
    source's own first line (its date and title, published as metadata) does not count."""
    problems, published = [], {}
    for kind in KINDS[1:]:
        for record in dataset.records[kind]:
            for i, span in enumerate(record.data["evidence"]):
                if span["quote"] is None or dataset.rights[span["source"]] != "withheld":
                    continue
                if span["length"] > rights.MAX_QUOTE:
                    problems.append(record.problem(
                        "quote-budget", f"the quote is {span['length']} code points long; a published quote of a "
                        f"withheld text is at most {rights.MAX_QUOTE}", "evidence", i, "quote",
                        hint="Quote fewer words, or delete `quote:` once the span is pinned: its offsets and "
                             "sha256 stay published and verifiable (docs/rights.md)."))
                published.setdefault(span["source"], {})[(span["start"], span["end"])] = (record, i)
    for source in dataset.records["source"]:
        spans = published.get(source.id)
        if not spans:
            continue
        covered, reach = 0, 0
        for start, end in sorted(spans):
            covered += max(0, end - max(start, reach))
            reach = max(reach, end)
        allowed = int(rights.MAX_SHARE * source.data["length"])
        if covered > allowed:
            longest = sorted(spans.items(), key=lambda item: (item[0][0] - item[0][1], item[0]))[:3]
            where = "; ".join(f"{r.file.display}:{r.file.locate((r.index, 'evidence', i, 'quote'))[0]} "
                              f"({end - start})" for (start, end), (r, i) in longest)
            problems.append(source.problem(
                "quote-budget", f"the published quotes of this withheld text cover {covered} of its "
                f"{source.data['length']} code points ({covered / source.data['length']:.0%}); the budget is "
                f"{rights.MAX_SHARE:.0%} ({allowed})", "text",
                hint=f"Choose which quotes to publish: delete `quote:` from others once pinned (their offsets and "
                     f"sha256 stay published). The longest: {where}."))
    return problems


# -- time -------------------------------------------------------------------------------------

def _precision_fits(date: dict) -> bool:
    earliest, latest = date.get("earliest"), date.get("latest")
    return {"day": earliest is not None and earliest == latest,
            "range": earliest is not None and latest is not None,
            "month": bool(earliest and latest and earliest[:7] == latest[:7] and earliest[8:] == "01"),
            "year": bool(earliest and latest and earliest[:4] == latest[:4] and earliest[5:] == "01-01"
                         and latest[5:] == "12-31"),
            "open": earliest is None or latest is None}.get(date.get("precision"), False)


def date_problem(date: dict) -> str | None:
    """What is wrong with a date's bounds or precision (for a date a curator writes outside an
    account: a resolution's value), or None."""
    earliest, latest = date.get("earliest"), date.get("latest")
    if isinstance(earliest, str) and isinstance(latest, str) and earliest > latest:
        return f"earliest {earliest} is after latest {latest}"
    if not _precision_fits(date):
        return f"precision `{date.get('precision')}` does not fit earliest {earliest} and latest {latest}"
    return None


def _check_time(dataset: Dataset) -> list[Problem]:
    """Dates as bounds, and each account within what its own source could know when it was
    published (docs/accounts.md, "Dates per source")."""
    published = {r.id: r.data["published"] for r in dataset.shaped["source"]}
    problems = []
    for kind in ("relation", "event", "commitment"):
        for record in dataset.records[kind]:
            date = record.data["date"]
            earliest, latest, precision = date.get("earliest"), date.get("latest"), date["precision"]
            if earliest and latest and earliest > latest:
                problems.append(record.problem("time-bounds-order", f"earliest {earliest} is after latest {latest}",
                                               "date", "earliest"))
                continue
            if not _precision_fits(date):
                problems.append(record.problem("time-precision", f"precision `{precision}` does not fit "
                                               f"earliest {earliest} and latest {latest}", "date", "precision"))
            source = record.data["evidence"][0]["source"]
            cited = published[source]
            status = record.data.get("status")
            what = {"commitment": "made", "relation": "stated"}.get(kind, status)
            starts_by_source = kind != "event" or status in ("occurred", "ongoing")
            if starts_by_source and earliest and earliest > cited:
                problems.append(record.problem(
                    "time-after-source", f"{kind} {what} is dated from {earliest}, after its source {source} "
                    f"was published ({cited})", "date", "earliest"))
            elif kind == "event" and status == "occurred" and latest and latest > cited:
                problems.append(record.problem(
                    "time-after-source", f"event occurred is dated up to {latest}, after its source {source} "
                    f"was published ({cited}): what a source reports as done ended by then", "date", "latest",
                    hint=f"Set latest to {cited} at most, or make the status planned or ongoing."))
            if kind == "event" and status == "planned" and latest and latest < cited:
                problems.append(record.problem(
                    "time-planned-in-past", f"planned event ends by {latest}, before its source {source} "
                    f"was published ({cited})", "date", "latest"))
    return problems


# -- warnings ---------------------------------------------------------------------------------

def _warnings(dataset: Dataset) -> list[Problem]:
    """What a careful reviewer would ask about, once per record (at its first account)."""
    problems = []
    referenced = set()
    for kind in ("relation", "event", "commitment"):
        for record in dataset.shaped[kind]:
            referenced.update(dataset.successor(ref) for _, ref, expected in _refs(record) if expected == "actor")
    # An actor's references may sit in a record held back by an error: judge only a whole picture.
    partial = ({"relation", "event", "commitment"} & (dataset.incomplete | set(dataset.withheld.values())))
    for record in ([] if partial else dataset.merged.get("actor", ())):
        if record.id not in referenced:
            problems.append(record.accounts[0].problem("actor-unreferenced", f"no relation, event or commitment "
                                                       f"refers to actor `{record.id}`", "id"))
    for record in dataset.merged.get("event", ()):
        if not record.data.get("participants") and not record.data.get("part_of"):
            problems.append(record.accounts[0].problem("event-without-participants",
                                                       f"event `{record.id}` has no participants", "id"))
    return problems
