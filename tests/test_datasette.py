"""The SQLite export is ready for Datasette: served by the released Datasette itself, it lists
every table with the description datapackage.json gives it, its search box finds a quote, links
show their label; and every foreign-key column has an index."""

from __future__ import annotations

import csv
import json
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import pytest
from conftest import invoke


def _export(package, out):
    result = invoke("export", str(package), "--format", "sqlite", "--out", str(out))
    assert result.returncode == 0, result.stderr
    metadata = out.with_name(out.stem + ".metadata.json")
    assert f"wrote {metadata}" in result.stderr
    return metadata


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(base: str, path: str) -> dict:
    with urllib.request.urlopen(base + path, timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture
def served(base_package, tmp_path):
    """The fixture package exported and served by `datasette serve X.db -m X.metadata.json`."""
    db = tmp_path / "fx.db"
    metadata = _export(base_package, db)
    port = _free_port()
    log = (tmp_path / "datasette.log").open("wb")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "datasette",
            "serve",
            str(db),
            "-m",
            str(metadata),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                _get(base, "/-/versions.json")
                break
            except OSError as exc:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(
                        "datasette did not start: " + (tmp_path / "datasette.log").read_text(errors="replace")
                    ) from exc
                time.sleep(0.2)
        yield base, base_package
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def _descriptor(package):
    return json.loads((package / "datapackage.json").read_text(encoding="utf-8"))


def _rows(package, name):
    with (package / "data" / f"{name}.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.slow  # Datasette served
def test_datasette_lists_every_table_with_its_descriptions(served):
    base, package = served
    descriptor = _descriptor(package)
    metadata = _get(base, "/-/metadata.json")
    assert metadata["title"] == descriptor["title"] and metadata.get("description") == descriptor.get("description")
    licence = descriptor["licenses"][0]
    assert (metadata["license"], metadata["license_url"]) == (licence.get("title", licence["name"]), licence["path"])
    assert descriptor["name"] in metadata["source"]
    described = metadata["databases"]["fx"]["tables"]
    database = _get(base, "/fx.json")
    visible = {t["name"] for t in database["tables"] if not t["hidden"]}
    tables = [r for r in descriptor["resources"] if r["type"] == "table"]
    assert visible == {r["name"] for r in tables} | {"events_flat"}
    for resource in tables:
        table = described[resource["name"]]
        assert table["description"] == resource["description"] and table["title"] == resource["title"]
        assert table["columns"] == {f["name"]: f["description"] for f in resource["schema"]["fields"]}
        assert table["label_column"] in table["columns"]
    assert all(all(table["columns"].values()) for table in described.values()), "every column is described"
    fts = {t["name"]: t["fts_table"] for t in database["tables"] if t["fts_table"] and not t["hidden"]}
    assert fts == {name: f"{name}_fts" for name in ("spans", "events", "commitments", "actors", "actor_aliases")}


@pytest.mark.slow  # Datasette served
def test_datasette_search_finds_a_quote(served):
    base, package = served
    words = ("Interior", "Minister")
    expected = {s["id"] for s in _rows(package, "spans") if all(w.lower() in s["quote"].lower() for w in words)}
    assert expected, "the fixture has a quote to find"
    query = urllib.parse.urlencode({"_search": " ".join(words), "_shape": "objects"})
    found = _get(base, f"/fx/spans.json?{query}")["rows"]
    assert {row["id"] for row in found} == expected
    assert all("Interior Minister" in row["quote"] for row in found)
    # An actor is found by an alias written in a source, in the aliases' own search.
    alias = _rows(package, "actor_aliases")[0]
    query = urllib.parse.urlencode({"_search": alias["alias"], "_shape": "objects"})
    assert alias["actor"] in {row["actor"] for row in _get(base, f"/fx/actor_aliases.json?{query}")["rows"]}


@pytest.mark.slow  # Datasette served
def test_datasette_shows_a_links_label(served):
    base, package = served
    names = {a["id"]: a["name"] for a in _rows(package, "actors")}
    rows = _get(base, "/fx/event_participants.json?_labels=on&_shape=objects")["rows"]
    assert rows and all(row["actor"]["label"] == names[row["actor"]["value"]] for row in rows)


def test_every_foreign_key_column_has_an_index(base_package, tmp_path):
    db = tmp_path / "fx.db"
    _export(base_package, db)
    con = sqlite3.connect(db)
    tables = [r["name"] for r in _descriptor(base_package)["resources"] if r["type"] == "table"]
    checked = 0
    for table in tables:
        leading = {
            con.execute(f'PRAGMA index_info("{index[1]}")').fetchone()[2]
            for index in con.execute(f'PRAGMA index_list("{table}")')
        }
        for fk in con.execute(f'PRAGMA foreign_key_list("{table}")'):
            assert fk[3] in leading, f"{table}.{fk[3]} has no index"
            checked += 1
    declared = sum(
        len(fk["fields"])
        for r in _descriptor(base_package)["resources"]
        if r["type"] == "table"
        for fk in r["schema"].get("foreignKeys", ())
    )
    assert checked == declared > 0


def test_full_text_search_stays_in_step_with_its_table(base_package, tmp_path):
    """The triggers keep the external-content index right when someone edits the database."""
    db = tmp_path / "fx.db"
    _export(base_package, db)
    con = sqlite3.connect(db)
    count = con.execute("SELECT count(*) FROM spans_fts WHERE spans_fts MATCH 'zanzibarish'").fetchone()[0]
    assert count == 0
    con.execute("UPDATE spans SET quote = quote || ' zanzibarish' WHERE rowid = 1")
    assert con.execute("SELECT rowid FROM spans_fts WHERE spans_fts MATCH 'zanzibarish'").fetchall() == [(1,)]
    con.execute("INSERT INTO spans_fts (spans_fts) VALUES ('integrity-check')")  # raises if out of step


def test_sqlite_metadata_beside_a_link_is_refused(base_package, tmp_path):
    decoy = tmp_path / "decoy.json"
    decoy.write_text("{}", encoding="utf-8")
    (tmp_path / "x.metadata.json").symlink_to(decoy)
    result = invoke("export", str(base_package), "--format", "sqlite", "--out", str(tmp_path / "x.db"))
    assert result.returncode == 2 and "is a link" in result.stderr
    assert not (tmp_path / "x.db").exists() and decoy.read_text(encoding="utf-8") == "{}"
