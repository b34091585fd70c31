"""`seccoop export`: the published data in the format a user's tool wants.

Every export starts with the same check as `seccoop check`; invalid data exports nothing. The
tables written are the published ones (the bytes `build` writes), so an export never disagrees
with data/*.csv. Files are written atomically: an export that fails leaves any earlier file whole.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from .package import DOCUMENT, PLURAL, find_package
from .render import render_csv
from .report import Report
from .write import write_atomically

FORMATS = ("csv", "json", "jsonl", "sqlite", "html")
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


@dataclass
class Published:
    """The checked package's published content, in memory."""

    tables: dict[str, tuple[list[str], list[list[str]]]]  # name -> (header, rows as text)
    csv_bytes: dict[str, bytes]
    document: bytes
    texts: dict[str, str]
    schemas: dict[str, dict]  # table name -> Table Schema


def load_published(path: str | Path | None = None) -> Published:
    """Check the package (as `seccoop check` does) and return what it publishes: the committed
    derived files, which the check has just proved equal to a fresh build."""
    from .check import verify

    package = find_package(path)
    problems, outcome = verify(package)
    report = Report(str(package.root), problems)
    if not report.valid:
        raise ExportInvalid(report)
    descriptor = json.loads(package.descriptor.read_text(encoding="utf-8"))
    tables, csv_bytes, schemas = {}, {}, {}
    for resource in descriptor["resources"]:
        if resource.get("type") != "table":
            continue
        data = (package.root / resource["path"]).read_bytes()
        rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
        tables[resource["name"]] = (rows[0], rows[1:])
        csv_bytes[resource["name"]] = data
        schemas[resource["name"]] = resource["schema"]
    flat_header, flat_rows = flat_events(tables)
    tables[FLAT_EVENTS] = (flat_header, flat_rows)
    csv_bytes[FLAT_EVENTS] = render_csv(flat_header, flat_rows)
    schemas[FLAT_EVENTS] = {"fields": [{"name": n, "type": "string"} for n in flat_header]}
    return Published(tables, csv_bytes, (package.root / DOCUMENT).read_bytes(), outcome.dataset.texts, schemas)


def flat_events(tables) -> tuple[list[str], list[list[str]]]:
    """The analyst's first view: one row per event with its dates, type, participants and quotes.
    Several participants, sources or quotes share one cell, joined by " | " in table order."""
    def index(name):
        header, rows = tables[name]
        return [dict(zip(header, row)) for row in rows]

    names = {a["id"]: a["name"] for a in index("actors")}
    participants: dict[str, list[str]] = {}
    for p in index("event_participants"):
        participants.setdefault(p["event"], []).append(f"{names[p['actor']]} ({p['role']})")
    quotes: dict[str, list[dict]] = {}
    for span in index("evidence"):
        if span["event"]:
            quotes.setdefault(span["event"], []).append(span)
    header = ["id", "type", "status", "date_earliest", "date_latest", "date_precision", "place", "country",
              "summary", "participants", "attributed_to", "sources", "quotes"]
    rows = []
    for e in index("events"):
        spans = quotes.get(e["id"], [])
        rows.append([e["id"], e["type"], e["status"], e["date_earliest"], e["date_latest"], e["date_precision"],
                     e["place"], e["country"], e["summary"], JOIN.join(participants.get(e["id"], [])),
                     names.get(e["attributed_to"], ""), JOIN.join(dict.fromkeys(s["source"] for s in spans)),
                     JOIN.join(s["quote"] for s in spans)])
    return header, rows


def guard_formula(cell: str) -> str:
    """Excel-safe form of a text cell: a leading quote keeps a spreadsheet from running it."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def _csv_for_excel(published: Published, name: str) -> bytes:
    header, rows = published.tables[name]
    text_columns = {f["name"] for f in published.schemas[name]["fields"] if f["type"] == "string"}
    guarded = [[guard_formula(v) if h in text_columns else v for h, v in zip(header, row)] for row in rows]
    return render_csv(header, guarded)


def table_names(published: Published) -> list[str]:
    return list(published.tables)


def export(path: str | Path | None, fmt: str, tables: Iterable[str] = (), out: str | None = None,
           excel_safe: bool = False, stdout=None) -> list[str]:
    """Export a checked package. Returns the paths written ("-" for standard output)."""
    if fmt not in FORMATS:
        raise ExportRefused(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    published = load_published(path)
    chosen = list(dict.fromkeys(tables))
    to_stdout = out in (None, "-")
    if fmt == "csv":
        known = table_names(published)
        unknown = [t for t in chosen if t not in known]
        if unknown:
            raise ExportRefused(f"no table {unknown[0]!r}; tables: {', '.join(known)}")
        names = chosen or [t for t in known if t != FLAT_EVENTS] + [FLAT_EVENTS]
        render = (lambda n: _csv_for_excel(published, n)) if excel_safe else (lambda n: published.csv_bytes[n])
        if len(names) == 1 and (to_stdout or not Path(out).is_dir()):
            return _emit({out: render(names[0])} if not to_stdout else {"-": render(names[0])}, stdout)
        if to_stdout:
            raise ExportRefused("several tables need a folder: give --out FOLDER (or one --table)")
        folder = Path(out)
        if folder.exists() and not folder.is_dir():
            raise ExportRefused(f"{out} is a file; several tables need a folder")
        return _emit({str(folder / f"{n}.csv"): render(n) for n in names}, stdout)
    kinds = [PLURAL[k] for k in PLURAL]
    unknown = [t for t in chosen if t not in kinds]
    if unknown and fmt in ("json", "jsonl"):
        raise ExportRefused(f"{fmt} exports record kinds; no kind {unknown[0]!r} (kinds: {', '.join(kinds)})")
    if fmt == "json":
        data = published.document
        if chosen:
            doc = json.loads(data)
            data = (json.dumps({k: doc[k] for k in chosen}, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
        return _emit({"-" if to_stdout else out: data}, stdout)
    if fmt == "jsonl":
        doc = json.loads(published.document)
        lines = []
        for plural in chosen or kinds:
            kind = next(k for k, p in PLURAL.items() if p == plural)
            for record in doc[plural]:
                lines.append(json.dumps({"kind": kind, **record}, ensure_ascii=False, separators=(",", ":")))
        return _emit({"-" if to_stdout else out: ("\n".join(lines) + "\n").encode("utf-8")}, stdout)
    if fmt == "sqlite":
        if to_stdout:
            raise ExportRefused("sqlite needs --out FILE (a database cannot go to standard output)")
        write_sqlite(published, Path(out), chosen)
        return [out]
    if to_stdout:
        raise ExportRefused("html needs --out FOLDER")
    from .review import write_review_site
    return write_review_site(json.loads(published.document), published.texts, Path(out))


def _emit(files: dict[str, bytes], stdout) -> list[str]:
    if "-" in files:
        (stdout or _stdout()).write(files["-"])
        return ["-"]
    targets = {Path(p): data for p, data in files.items()}
    for path in targets:
        if path.parent and not path.parent.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(targets)
    return list(files)


def _stdout():
    import sys

    return sys.stdout.buffer


_SQL_TYPES = {"integer": "INTEGER", "number": "REAL", "date": "TEXT", "string": "TEXT"}


def write_sqlite(published: Published, out: Path, chosen: list[str]) -> None:
    """One SQLite database: every table with its declared types, primary and foreign keys."""
    from .write import WriteRefused

    if out.is_dir():
        raise WriteRefused(f"{out}: is a folder, not a file")
    if out.exists() and not os.access(out, os.W_OK):
        raise WriteRefused(f"{out}: is read-only")
    names = chosen or list(published.tables)
    unknown = [n for n in names if n not in published.tables]
    if unknown:
        raise ExportRefused(f"no table {unknown[0]!r}; tables: {', '.join(published.tables)}")
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    os.close(fd)
    try:
        con = sqlite3.connect(tmp)
        try:
            con.execute("PRAGMA foreign_keys = ON")
            # Referenced tables first, so every foreign key points at a table that exists.
            for name in _dependency_order(published, names):
                _sqlite_table(con, name, published)
            con.commit()
        finally:
            con.close()
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _dependency_order(published: Published, names: list[str]) -> list[str]:
    ordered: list[str] = []

    def visit(name):
        if name in ordered:
            return
        for fk in published.schemas[name].get("foreignKeys", ()):
            target = fk["reference"]["resource"]
            if target in names and target != name:
                visit(target)
        ordered.append(name)

    for name in names:
        visit(name)
    return ordered


def _sqlite_table(con: sqlite3.Connection, name: str, published: Published) -> None:
    schema = published.schemas[name]
    header, rows = published.tables[name]
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
    types = [f["type"] for f in schema["fields"]]
    convert = [_converter(t) for t in types]
    con.executemany(f'INSERT INTO "{name}" VALUES ({", ".join("?" for _ in header)})',
                    ([c(v) for c, v in zip(convert, row)] for row in rows))


def _converter(ftype: str):
    if ftype == "integer":
        return lambda v: int(v) if v != "" else None
    if ftype == "number":
        return lambda v: (int(v) if v.lstrip("-").isdigit() else float(v)) if v != "" else None
    return lambda v: v if v != "" else None
