"""`seccoop export --format sqlite`: one SQLite database of the published tables, with their
declared types, keys and search, and beside it Datasette's metadata (seccoop.exports.sqlite_extras)."""

from __future__ import annotations

import errno
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

from seccoop.exports.published import Published
from seccoop.exports.request import Request
from seccoop.exports.sqlite_extras import (
    datasette_metadata,
    enable_search,
    index_foreign_keys,
    metadata_bytes,
    metadata_path,
)
from seccoop.safety.write import Staging

_SQL_TYPES = {"integer": "INTEGER", "number": "REAL", "date": "TEXT", "string": "TEXT", "boolean": "INTEGER"}
# SQLite's own result codes for a failing environment: said as the OSError every other format
# raises for it, so the command exits 4 (docs/safety.md), not 3.
_SQLITE_ENVIRONMENT = {
    "SQLITE_FULL": errno.ENOSPC,
    "SQLITE_READONLY": errno.EROFS,
    "SQLITE_READONLY_DIRECTORY": errno.EROFS,
    "SQLITE_PERM": errno.EACCES,
}


def targets(out: Path, chosen: list[str]) -> list[tuple[Path, bool]]:
    """The database, and its Datasette metadata beside it, under the same rules."""
    return [(out, False), (metadata_path(out), False)]


def export_sqlite(published: Published, request: Request) -> list[str]:
    """The database into --out and its Datasette metadata beside it."""
    out = request.needs_out("sqlite needs --out FILE (a database cannot go to standard output)")
    write_sqlite(published, Path(out), request.chosen)
    return [out, str(metadata_path(Path(out)))]


def write_sqlite(published: Published, out: Path, chosen: list[str]) -> None:
    """One SQLite database: every table with its declared types, primary and foreign keys, an
    index on each foreign-key column and full-text search where people search; and beside it
    `X.metadata.json`, Datasette's metadata for it (seccoop.exports.sqlite_extras). With chosen tables,
    the tables they reference come too, so that every foreign key holds."""
    ordered = _dependency_order(published, published.tables(chosen))
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


def _sqlite_fill(con: sqlite3.Connection, published: Published, ordered: list[str], database: Path) -> None:
    """Every table into the database in one transaction; a full disk or a read-only folder is
    raised as the OSError it is."""
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

    def visit(name: str) -> None:
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
        ([c(v) for c, v in zip(convert, row, strict=False)] for row in rows),
    )


def _converter(ftype: str) -> Callable[[str], str | int | float | None]:
    if ftype == "boolean":
        return lambda v: (1 if v in ("true", "True", "TRUE", "1") else 0) if v != "" else None
    if ftype == "integer":
        return lambda v: int(v) if v != "" else None
    if ftype == "number":
        return lambda v: (int(v) if v.lstrip("-").isdigit() else float(v)) if v != "" else None
    return lambda v: v if v != "" else None
