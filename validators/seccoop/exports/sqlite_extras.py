"""What makes the SQLite export ready for Datasette (and quick for any SQL reader): an index on
every foreign-key column, full-text search over the words people look for, and a metadata file
that Datasette reads with `-m`.

Full-text search follows sqlite-utils' `enable_fts` conventions, which Datasette detects: an FTS5
table `<table>_fts` with `content=[<table>]` (external content: the words are stored once, in
the table itself), filled from the table's rowids, and triggers that keep it in step if someone
edits the database afterwards. Datasette's search box then appears on the table itself.

Metadata: the released Datasette (0.65) reads titles, descriptions, licence, source and label
columns only from a metadata file given with `-m` (the `_metadata` tables of Datasette 1.0 are
an alpha's), so the export writes `X.metadata.json` beside `X.db`, derived from datapackage.json:

    datasette serve X.db -m X.metadata.json
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

# The columns a user searches, per table: quotes, event summaries, commitment actions, actor
# names and aliases. Columns a table does not have are left out (the schema is the truth).
SEARCHABLE = {
    "spans": ("quote",),
    "events": ("summary",),
    "commitments": ("action",),
    "actors": ("name",),
    "actor_aliases": ("alias",),
}
# The column that names a row when another table links to it (Datasette's `label_column`):
# the first of these the table has, not counting codes; else its first key column.
LABELS = ("name", "title", "summary", "action", "quote", "alias", "text", "role", "reason")


def metadata_path(database: Path) -> Path:
    """Where the metadata of `X.db` is written: `X.metadata.json` beside it."""
    return database.with_name(database.stem + ".metadata.json")


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def index_foreign_keys(con: sqlite3.Connection, name: str, schema: dict) -> None:
    """An index on each foreign-key column (named as sqlite-utils names them), unless the
    primary key's own index already starts with it."""
    key = schema.get("primaryKey") or []
    columns = dict.fromkeys(f for fk in schema.get("foreignKeys", ()) for f in fk["fields"])
    for column in columns:
        if key[:1] != [column]:
            con.execute(f"CREATE INDEX {_q(f'idx_{name}_{column}')} ON {_q(name)} ({_q(column)})")


def searchable_columns(name: str, schema: dict) -> list[str]:
    have = {f["name"] for f in schema["fields"]}
    return [c for c in SEARCHABLE.get(name, ()) if c in have]


def enable_search(con: sqlite3.Connection, name: str, schema: dict) -> str | None:
    """Full-text search over the table's searchable columns: `<name>_fts`, or None when the
    table has none."""
    columns = searchable_columns(name, schema)
    if not columns:
        return None
    fts, cols = f"{name}_fts", ", ".join(_q(c) for c in columns)
    # unicode61 with diacritics removed: "policia" finds "Policía".
    con.execute(
        f"CREATE VIRTUAL TABLE {_q(fts)} USING FTS5 (\n    {cols},\n    "
        f"tokenize='unicode61 remove_diacritics 2',\n    content=[{name}]\n)"
    )
    con.execute(f"INSERT INTO {_q(fts)} (rowid, {cols}) SELECT rowid, {cols} FROM {_q(name)}")
    new = ", ".join(f"new.{_q(c)}" for c in columns)
    old = ", ".join(f"old.{_q(c)}" for c in columns)
    delete = f"INSERT INTO {_q(fts)} ({_q(fts)}, rowid, {cols}) VALUES('delete', old.rowid, {old});"
    insert = f"INSERT INTO {_q(fts)} (rowid, {cols}) VALUES (new.rowid, {new});"
    for event, body in (("insert", insert), ("delete", delete), ("update", delete + "\n  " + insert)):
        con.execute(
            f"CREATE TRIGGER {_q(f'{name}_a{event[0]}')} AFTER {event.upper()} ON {_q(name)} BEGIN\n  {body}\nEND"
        )
    return fts


def label_column(schema: dict) -> str:
    fields = [f for f in schema["fields"] if not f.get("constraints", {}).get("enum")]
    names = [f["name"] for f in fields]
    for candidate in LABELS:
        if candidate in names:
            return candidate
    return (schema.get("primaryKey") or [schema["fields"][0]["name"]])[0]


def datasette_metadata(descriptor: dict, database: str, tables: dict[str, dict]) -> dict:
    """Datasette's metadata for the exported database, derived from datapackage.json: the
    package's title, description, licence and source; each table's title, description, label
    column and full-text table, and each column's description. `tables` maps each exported
    table to {"title", "description", "schema"}."""
    licence = (descriptor.get("licenses") or [{}])[0]
    version = descriptor.get("version")
    out = {
        "title": descriptor.get("title", descriptor.get("name", database)),
        "description": descriptor.get("description", ""),
        "license": licence.get("title") or licence.get("name", ""),
        "license_url": licence.get("path", ""),
        "source": f"{descriptor.get('name', database)} data package"
        + (f", version {version}" if version else "")
        + "; each record's source documents are in the sources table",
        "source_url": descriptor.get("homepage") or descriptor.get("id", ""),
        "databases": {database: {"tables": {}}},
    }
    out = {k: v for k, v in out.items() if v != ""}
    for name, table in tables.items():
        schema = table["schema"]
        entry = {
            "title": table.get("title") or name,
            "description": table.get("description", ""),
            "label_column": label_column(schema),
            "columns": {f["name"]: f.get("description", "") for f in schema["fields"]},
        }
        if searchable_columns(name, schema):
            entry["fts_table"], entry["fts_pk"] = f"{name}_fts", "rowid"
        out["databases"][database]["tables"][name] = entry
    return out


def metadata_bytes(metadata: dict) -> bytes:
    return (json.dumps(metadata, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
