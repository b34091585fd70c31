"""`seccoop export`: the published data in the format a user's tool wants: CSV, JSON, JSON Lines,
SQLite (Datasette-ready, with seccoop.exports.sqlite_extras), Parquet (typed by seccoop.exports.typed) or the
HTML review site.

Every export starts with the same check as `seccoop check`; invalid data exports nothing. The
tables written are the published ones (the bytes `build` writes), so an export never disagrees
with data/*.csv, and they are streamed from those files. Files are written atomically: an export
that fails leaves any earlier file whole.
"""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import sqlite3
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from seccoop.model.package import DOCUMENT, PLURAL, Package, find_package
from seccoop.model.report import Problem, Report
from seccoop.published.render import write_csv
from seccoop.safety import paths
from seccoop.safety.streams import WholeWriter
from seccoop.safety.untrusted import load_json
from seccoop.safety.write import Output, Staging

FORMATS = ("csv", "json", "jsonl", "sqlite", "parquet", "html", "zip")
# The csv module refuses fields over 131,072 characters by default; a curated text may be longer
# (a curated file may hold up to 64 MiB), and the published CSV was written by seccoop itself.
csv.field_size_limit(2**31 - 1)
FLAT_EVENTS = "events_flat"
# A cell a spreadsheet would run as a formula starts with one of these (OWASP CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
JOIN = " | "


class ExportRefused(Exception):
    """The request cannot be met as asked (a usage problem: exit 2)."""


class ExportInvalid(Exception):
    """The package does not pass its check; nothing was exported (exit 1 or 3)."""

    def __init__(self, report: Report):
        super().__init__(f"{len(report.errors)} error(s)")
        self.report = report


class Published:
    """The checked package's published files, read as a stream when an export needs them: the
    check has just proved them equal to a fresh build, so an export copies or reparses them
    instead of holding every table in memory."""

    def __init__(self, package: Package, texts: dict[str, str]):
        self.package, self.texts = package, texts
        # Every file is read through the gate (docs/safety.md), though the check has just read
        # it: a file replaced since by a link or a FIFO is refused, not followed.
        with self.open_binary(package.descriptor) as f:
            self.descriptor = load_json(f.read())
        tables = [r for r in self.descriptor["resources"] if r["type"] == "table"]
        self.paths = {r["name"]: package.root / r["path"] for r in tables}
        self.schemas = {r["name"]: r["schema"] for r in tables}
        self.schemas[FLAT_EVENTS] = flat_schema(self.schemas["events"])
        # Each table's title and description, for formats that carry them (sqlite, parquet).
        self.about = {r["name"]: {"title": r.get("title", ""), "description": r.get("description", "")} for r in tables}
        self.about[FLAT_EVENTS] = {"title": FLAT_TITLE, "description": FLAT_DESCRIPTION}

    def open_text(self, path: Path):
        return open_published(self.package, path, text=True)

    def open_binary(self, path: Path):
        return open_published(self.package, path)

    @property
    def names(self) -> list[str]:
        return [*self.paths, FLAT_EVENTS]

    def rows(self, name: str) -> tuple[list[str], Iterator[list[str]]]:
        """A table's header and its rows as text, read one at a time."""
        if name == FLAT_EVENTS:
            return FLAT_HEADER, flat_events(self)
        f = self.open_text(self.paths[name])
        reader = csv.reader(f)
        header = next(reader)

        def rows():
            with f:
                yield from reader

        return header, rows()

    def records(self, kinds: list[str]) -> Iterator[tuple[str, dict]]:
        """(kind plural, record) from data/seccoop.json, which holds one record a line."""
        plural = None
        with self.open_text(self.package.root / DOCUMENT) as f:
            for line in f:
                if line.startswith('  "'):
                    plural = line.split('"')[1]
                elif line.startswith("    {") and plural in kinds:
                    yield plural, json.loads(line.strip().removesuffix(","))

    def scan(self) -> Iterator[tuple[str, dict]]:
        """(kind, record) of every record of data/seccoop.json, in its order: kind by kind, as
        KINDS lists them."""
        kinds = {plural: kind for kind, plural in PLURAL.items()}
        kind = None
        with self.open_binary(self.package.root / DOCUMENT) as f:
            for line in f:
                if line.startswith(b'  "'):
                    kind = kinds.get(line.split(b'"')[1].decode("utf-8"))
                elif line.startswith(b"    {") and kind is not None:
                    yield kind, json.loads(line.strip().removesuffix(b","))


def open_published(package: Package, path: Path, text: bool = False):
    """A published file opened through the gate (binary, or UTF-8 text for the csv module); one
    the gate refuses stops the export with a report naming it (exit 1)."""
    try:
        raw = paths.open_file(path, package.root, paths.TABLE_LIMIT)
    except paths.Refused as exc:
        problem = Problem(exc.code, exc.reason, file=package.rel(path))
        raise ExportInvalid(Report(str(package.root), [problem])) from None
    stream = io.BufferedReader(raw, 1 << 20)
    return io.TextIOWrapper(stream, encoding="utf-8", newline="") if text else stream


def load_published(path: str | Path | Package | None = None, cache: bool = False) -> Published:
    """Check the package (as `seccoop check` does, from the check cache with `cache` where it is on:
    docs/cache.md) and return what it publishes."""
    from seccoop.check import answer

    package = path if isinstance(path, Package) else find_package(path)
    problems, _ = answer(package, cache)
    report = Report(str(package.root), problems)
    if not report.valid:
        raise ExportInvalid(report)
    return Published(package, SourceTexts(package))


class SourceTexts:
    """The texts of included sources, by source id, each read from seeds/ when a page shows it
    (the check has just verified them against their sha256): the review site then holds one text
    at a time, not the 70 MB of texts of 100k events. Withheld texts are never read: the site
    shows them through their spans only (docs/rights.md)."""

    def __init__(self, package: Package):
        self.package = package
        self._paths: dict[str, str] | None = None

    def get(self, source_id: str, default=None) -> str | None:
        if self._paths is None:
            with open_published(self.package, self.package.root / "data" / "sources.csv", text=True) as f:
                self._paths = {
                    row["id"]: row["path"] for row in csv.DictReader(f) if row["text"] == "included" and row["path"]
                }
        path = self._paths.get(source_id)
        if path is None:
            return default
        return paths.read_file(self.package.root / path, self.package.root, paths.DOCUMENT_LIMIT).decode("utf-8")


FLAT_HEADER = [
    "id",
    "type",
    "cameo_code",
    "plover_type",
    "plover_mode",
    "status",
    "date_earliest",
    "date_latest",
    "date_precision",
    "place",
    "country",
    "summary",
    "participants",
    "attributed_to",
    "source_count",
    "sources",
    "quotes",
]
FLAT_TITLE = "Events, flat"
FLAT_DESCRIPTION = (
    "One row per event with its dates, type, participants, sources and quotes: a first look. "
    "Several values in one cell are joined by ' | ' in table order."
)
# The flat view's own columns; the others are the events table's, described there.
FLAT_FIELDS = {
    "participants": "Each participant's name and role, as 'name (role)', joined by ' | '.",
    "attributed_to": "Name of the actor the source attributes the claim to (actors.name); empty where none.",
    "sources": "Ids of the sources whose spans state the event (sources.id), joined by ' | '.",
    "quotes": "The quotes that state the event (spans.quote), joined by ' | '.",
}


def flat_schema(events: dict) -> dict:
    """The Table Schema of the flat view: the events table's fields where it shows them, text
    for the columns it joins from other tables."""
    fields = {f["name"]: f for f in events["fields"]}
    return {
        "fields": [
            {"name": n, "type": "string", "description": FLAT_FIELDS[n]} if n in FLAT_FIELDS else fields[n]
            for n in FLAT_HEADER
        ]
    }


def flat_events(published: Published) -> Iterator[list[str]]:
    """The analyst's first view: one row per event with its dates, type, participants and quotes.
    Several participants, sources or quotes share one cell, joined by " | " in table order."""

    def table(name):
        header, rows = published.rows(name)
        return (dict(zip(header, row)) for row in rows)

    names = {a["id"]: a["name"] for a in table("actors")}
    participants: dict[str, list[str]] = {}
    for p in table("event_participants"):
        participants.setdefault(p["event"], []).append(f"{names[p['actor']]} ({p['role']})")
    of_event: dict[str, list[str]] = {}
    for link in table("evidence"):
        if link["event"]:
            of_event.setdefault(link["span"], []).append(link["event"])
    quotes: dict[str, list[tuple[str, str]]] = {}
    for span in table("spans"):
        for event in of_event.get(span["id"], ()):
            quotes.setdefault(event, []).append((span["source"], span["quote"]))
    for e in table("events"):
        spans = quotes.get(e["id"], [])
        yield [
            e["id"],
            e["type"],
            e["cameo_code"],
            e["plover_type"],
            e["plover_mode"],
            e["status"],
            e["date_earliest"],
            e["date_latest"],
            e["date_precision"],
            e["place"],
            e["country"],
            e["summary"],
            JOIN.join(participants.get(e["id"], [])),
            names.get(e["attributed_to"], ""),
            e["source_count"],
            JOIN.join(dict.fromkeys(s for s, _ in spans)),
            JOIN.join(q for _, q in spans if q),
        ]  # a withheld text's unpublished words are not shown


def guard_formula(cell: str) -> str:
    """Excel-safe form of a text cell: a leading quote keeps a spreadsheet from running it."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def _table_writer(published: Published, name: str, excel_safe: bool) -> Callable[[Output], None]:
    """What writes one exported table: the published file as it is, or its rows rendered again
    (the flat view, or text cells guarded for spreadsheets)."""

    def copy(output: Output) -> None:
        with published.open_binary(published.paths[name]) as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                output.write(chunk)

    def rewrite(output: Output) -> None:
        header, rows = published.rows(name)
        if excel_safe:
            text = [f["type"] == "string" for f in published.schemas[name]["fields"]]
            rows = ([guard_formula(v) if t else v for t, v in zip(text, row)] for row in rows)
        write_csv(output, header, rows)

    return rewrite if excel_safe or name == FLAT_EVENTS else copy


def export(
    path: str | Path | None,
    fmt: str,
    tables: Iterable[str] = (),
    out: str | None = None,
    excel_safe: bool = False,
    stdout=None,
    cache: bool = False,
) -> list[str]:
    """Export a checked package. Returns the paths written ("-" for standard output). With `cache`,
    the check it starts with may come from the check cache (docs/cache.md)."""
    if fmt not in FORMATS:
        raise ExportRefused(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    # An option that does not apply is refused, not ignored: the user would think it took effect.
    if excel_safe and fmt != "csv":
        raise ExportRefused(f"--excel-safe applies to csv only (it guards spreadsheet cells); not to {fmt}")
    if fmt == "parquet":
        from seccoop.exports.typed import MissingExtra, require

        try:
            require("pyarrow.parquet", "parquet", "the parquet export")
        except MissingExtra as exc:  # a format this install cannot write: a usage error, before any work
            raise ExportRefused(str(exc)) from None
    if tables and fmt in ("html", "zip"):
        raise ExportRefused(
            f"{fmt} exports the whole {'review site' if fmt == 'html' else 'release'}; --table does not apply to it"
        )
    package = find_package(path)
    chosen = list(dict.fromkeys(tables))
    to_stdout = out in (None, "-")
    if not to_stdout:
        _check_target(Path(out), package, fmt, chosen)
    published = load_published(package, cache)
    if fmt == "zip":
        if to_stdout:
            raise ExportRefused("zip needs --out FILE (the release archive)")
        from seccoop.exports.release import NotACheckout, write_release

        try:
            from seccoop.exports.release import members

            members(package.root)  # a checkout's files are all there, before anything is written
        except NotACheckout as exc:
            raise ExportRefused(str(exc)) from None
        return _emit({out: lambda output: write_release(package.root, output)}, stdout)
    if fmt == "parquet":
        if to_stdout:
            raise ExportRefused("parquet needs --out FOLDER (a file for each table)")
        unknown = [t for t in chosen if t not in published.names]
        if unknown:
            raise ExportRefused(f"no table {unknown[0]!r}; tables: {', '.join(published.names)}")
        folder = Path(out)
        return _emit(
            {str(folder / f"{n}.parquet"): _parquet_writer(published, n) for n in chosen or published.names}, stdout
        )
    if fmt == "csv":
        unknown = [t for t in chosen if t not in published.names]
        if unknown:
            raise ExportRefused(f"no table {unknown[0]!r}; tables: {', '.join(published.names)}")
        names = chosen or published.names
        if len(names) == 1 and (to_stdout or not _is_folder(Path(out))):
            return _emit({"-" if to_stdout else out: _table_writer(published, names[0], excel_safe)}, stdout)
        if to_stdout:
            raise ExportRefused("several tables need a folder: give --out FOLDER (or one --table)")
        folder = Path(out)
        if folder.exists() and not folder.is_dir():
            raise ExportRefused(f"{out} is a file; several tables need a folder")
        return _emit({str(folder / f"{n}.csv"): _table_writer(published, n, excel_safe) for n in names}, stdout)
    kinds = list(PLURAL.values())
    unknown = [t for t in chosen if t not in kinds]
    if unknown and fmt in ("json", "jsonl"):
        raise ExportRefused(f"{fmt} exports record kinds; no kind {unknown[0]!r} (kinds: {', '.join(kinds)})")
    if fmt == "json":
        return _emit({"-" if to_stdout else out: lambda output: _write_json(published, chosen, output)}, stdout)
    if fmt == "jsonl":
        return _emit(
            {"-" if to_stdout else out: lambda output: _write_jsonl(published, chosen or kinds, output)}, stdout
        )
    if fmt == "sqlite":
        if to_stdout:
            raise ExportRefused("sqlite needs --out FILE (a database cannot go to standard output)")
        write_sqlite(published, Path(out), chosen)
        from seccoop.exports.sqlite_extras import metadata_path

        return [out, str(metadata_path(Path(out)))]
    if to_stdout:
        raise ExportRefused("html needs --out FOLDER")
    from seccoop.exports.review import write_review_site

    return write_review_site(published, published.texts, Path(out))


def _is_folder(path: Path) -> bool:
    """A real folder (a link to one is not: the target check refuses links)."""
    return path.is_dir() and not path.is_symlink()


def _check_target(out: Path, package: Package, fmt: str, chosen: list[str]) -> None:
    """Refuse, before any work, an --out that is a link, a device or FIFO, the wrong kind of
    file, or one of the package's own files (docs/safety.md). A usage error for every format."""
    from seccoop.safety.write import TargetRefused, check_export_target

    # csv writes a folder for several tables, or one table into an existing folder.
    folder = fmt in ("html", "parquet") or (fmt == "csv" and (len(chosen) != 1 or _is_folder(out)))
    try:
        check_export_target(out, package.root, folder)
        if fmt == "sqlite":  # its Datasette metadata is written beside it, under the same rules
            from seccoop.exports.sqlite_extras import metadata_path

            check_export_target(metadata_path(out), package.root, False)
    except TargetRefused as exc:
        raise ExportRefused(str(exc)) from None


def _write_json(published: Published, chosen: list[str], output: Output) -> None:
    """The nested document: the published file itself, or only the chosen kinds in its layout."""
    if not chosen:
        with published.open_binary(published.package.root / DOCUMENT) as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                output.write(chunk)
        return
    by_kind: dict[str, list[dict]] = {k: [] for k in chosen}
    for plural, record in published.records(chosen):
        by_kind[plural].append(record)
    output.write((json.dumps(by_kind, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))


def _write_jsonl(published: Published, kinds: list[str], output: Output) -> None:
    kind_of = {plural: kind for kind, plural in PLURAL.items()}
    for plural in kinds:  # in the order asked for
        for _, record in published.records([plural]):
            line = json.dumps({"kind": kind_of[plural], **record}, ensure_ascii=False, separators=(",", ":"))
            output.write((line + "\n").encode("utf-8"))


def _emit(writers: dict[str, Callable[[Output], None]], stdout) -> list[str]:
    """Run each writer into its target: standard output ("-"), or files written atomically."""
    if "-" in writers:
        sink = WholeWriter(stdout or sys.stdout.buffer)
        writers["-"](Output(sink))
        # Flushed here, not at exit: a reader that closed the pipe is then seen as a closed pipe
        # (exit 141), for every format, however small the last write.
        sink.flush()
        return ["-"]
    with Staging() as staging:
        for path, write in writers.items():
            write(staging.open(Path(path)))
        staging.commit()
    return list(writers)


def _parquet_writer(published: Published, name: str) -> Callable[[Output], None]:
    """What writes one table as Parquet, typed from its Table Schema (seccoop.exports.typed). The same
    table gives the same bytes: no clock in the file, the codelist as each code column's
    dictionary, and pyarrow's version (in the footer's `created_by`) the only thing that varies."""

    def write(output: Output) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        from seccoop.exports.typed import arrow_table

        header, rows = published.rows(name)
        table = arrow_table(name, published.schemas[name], header, rows, **published.about[name])
        sink = pa.BufferOutputStream()
        # zstd: small files every reader (pandas, polars, DuckDB, Spark, R arrow) reads.
        pq.write_table(table, sink, compression="zstd", version="2.6")
        output.write(sink.getvalue().to_pybytes())

    return write


_SQL_TYPES = {"integer": "INTEGER", "number": "REAL", "date": "TEXT", "string": "TEXT", "boolean": "INTEGER"}


def write_sqlite(published: Published, out: Path, chosen: list[str]) -> None:
    """One SQLite database: every table with its declared types, primary and foreign keys, an
    index on each foreign-key column and full-text search where people search; and beside it
    `X.metadata.json`, Datasette's metadata for it (seccoop.exports.sqlite_extras). With chosen tables,
    the tables they reference come too, so that every foreign key holds."""
    from seccoop.exports.sqlite_extras import (
        datasette_metadata,
        metadata_bytes,
        metadata_path,
    )

    names = chosen or published.names
    unknown = [n for n in names if n not in published.names]
    if unknown:
        raise ExportRefused(f"no table {unknown[0]!r}; tables: {', '.join(published.names)}")
    ordered = _dependency_order(published, names)
    with Staging() as staging:
        # Autocommit mode with an explicit transaction: sqlite3's implicit transactions decide
        # what is an INSERT by upper-casing SQL in the C locale's rules, which some locales
        # (tr_TR) break, committing every row on its own.
        database = staging.reserve(out)
        con = sqlite3.connect(database, isolation_level=None)
        try:
            _sqlite_fill(con, published, ordered, database)
        finally:
            con.close()
        tables = {n: {**published.about[n], "schema": published.schemas[n]} for n in ordered}
        metadata = datasette_metadata(published.descriptor, out.stem, tables)
        staging.open(metadata_path(out)).write(metadata_bytes(metadata))
        staging.commit()


# SQLite's own result codes for a failing environment: said as the OSError every other format
# raises for it, so the command exits 4 (docs/safety.md), not 3.
_SQLITE_ENVIRONMENT = {
    "SQLITE_FULL": errno.ENOSPC,
    "SQLITE_READONLY": errno.EROFS,
    "SQLITE_READONLY_DIRECTORY": errno.EROFS,
    "SQLITE_PERM": errno.EACCES,
}


def _sqlite_fill(con: sqlite3.Connection, published: Published, ordered: list[str], database: Path) -> None:
    """Every table into the database in one transaction; a full disk or a read-only folder is
    raised as the OSError it is."""
    from seccoop.exports.sqlite_extras import enable_search

    try:
        con.execute("PRAGMA foreign_keys = ON")
        con.execute("BEGIN")
        # Checked at COMMIT: a row may name one later in its own table (an event part of another).
        con.execute("PRAGMA defer_foreign_keys = ON")
        # Referenced tables first, so every foreign key points at a table that exists.
        for name in ordered:
            _sqlite_table(con, name, published)
            enable_search(con, name, published.schemas[name])
        con.execute("COMMIT")
    except sqlite3.Error as exc:
        code = _SQLITE_ENVIRONMENT.get(getattr(exc, "sqlite_errorname", ""))
        if code is None:
            raise
        raise OSError(code, os.strerror(code), str(database)) from exc


def _dependency_order(published: Published, names: list[str]) -> list[str]:
    """The tables named and every table they reference, each after the tables it references."""
    ordered: list[str] = []

    def visit(name):
        if name in ordered:
            return
        for fk in published.schemas[name].get("foreignKeys", ()):
            target = fk["reference"]["resource"]
            if target != name:
                visit(target)
        ordered.append(name)

    for name in names:
        visit(name)
    return ordered


def _sqlite_table(con: sqlite3.Connection, name: str, published: Published) -> None:
    """Create a table, index its foreign keys, then fill it. Indexed before its rows: a foreign
    key to its own table (an event part of another) is checked, for each row inserted, against
    the rows already there, which without the index is a scan of the table each time (quadratic:
    minutes at 100k events)."""
    from seccoop.exports.sqlite_extras import index_foreign_keys

    schema = published.schemas[name]
    header, rows = published.rows(name)
    columns = []
    for field in schema["fields"]:
        col = f'"{field["name"]}" {_SQL_TYPES[field["type"]]}'
        if field.get("constraints", {}).get("required"):
            col += " NOT NULL"
        columns.append(col)
    if schema.get("primaryKey"):
        columns.append("PRIMARY KEY (" + ", ".join(f'"{k}"' for k in schema["primaryKey"]) + ")")
    for fk in schema.get("foreignKeys", ()):
        ref = fk["reference"]
        columns.append(f'FOREIGN KEY ("{fk["fields"][0]}") REFERENCES "{ref["resource"]}" ("{ref["fields"][0]}")')
    con.execute(f'CREATE TABLE "{name}" (\n  ' + ",\n  ".join(columns) + "\n)")
    index_foreign_keys(con, name, schema)
    types = [f["type"] for f in schema["fields"]]
    convert = [_converter(t) for t in types]
    con.executemany(
        f'INSERT INTO "{name}" VALUES ({", ".join("?" for _ in header)})',
        ([c(v) for c, v in zip(convert, row)] for row in rows),
    )


def _converter(ftype: str):
    if ftype == "boolean":
        return lambda v: (1 if v in ("true", "True", "TRUE", "1") else 0) if v != "" else None
    if ftype == "integer":
        return lambda v: int(v) if v != "" else None
    if ftype == "number":
        return lambda v: (int(v) if v.lstrip("-").isdigit() else float(v)) if v != "" else None
    return lambda v: v if v != "" else None
