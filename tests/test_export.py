"""`seccoop export`: round trips through real readers, determinism, atomic writes, the bundled package."""

from __future__ import annotations

import csv
import importlib
import io
import json
import os
import re
import sqlite3
import subprocess
import sys

import pytest
from conftest import ROOT, disk_full_on_write, invoke, run_cli, snapshot

PATHS = {
    r["name"]: r["path"]
    for r in json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))["resources"]
    if r["type"] == "table"
}
TABLES = list(PATHS)


def _published_rows(name):
    with (ROOT / PATHS[name]).open(encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def test_csv_export_of_one_table_is_the_published_table():
    result = subprocess.run(
        [sys.executable, "-m", "seccoop", "export", "--format", "csv", "--table", "events"],
        cwd=ROOT,
        capture_output=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == (ROOT / "data" / "events.csv").read_bytes()


def test_csv_export_of_all_tables_reads_back_through_frictionless(tmp_path):
    """The exported tables, described by the published Table Schemas, are valid and hold the
    published rows, typed."""
    from frictionless import Package

    out = tmp_path / "tables"
    result = invoke("export", "--format", "csv", "--out", str(out))
    assert result.returncode == 0, result.stderr
    descriptor = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["resources"] = [
        dict(r, path=f"{r['name']}.csv") for r in descriptor["resources"] if r["type"] == "table"
    ]
    (out / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    exported = Package(str(out / "datapackage.json"))
    assert exported.validate().valid
    published = Package(str(ROOT / "datapackage.json"))
    for resource in exported.resources:
        rows = [r.to_dict() for r in resource.read_rows()]
        assert rows == [r.to_dict() for r in published.get_resource(resource.name).read_rows()], resource.name
    assert (out / "events_flat.csv").exists()


def test_several_tables_without_a_folder_is_a_usage_error():
    result = invoke("export", "--format", "csv", "--table", "events", "--table", "actors")
    assert result.returncode == 2 and "folder" in result.stderr and "Traceback" not in result.stderr


def test_unknown_table_is_a_usage_error():
    result = invoke("export", "--format", "csv", "--table", "evnets")
    assert result.returncode == 2 and "no table 'evnets'" in result.stderr


def test_json_export_is_the_nested_document_and_validates(tmp_path):
    from seccoop.model.schemas import Schemas

    result = subprocess.run(
        [sys.executable, "-m", "seccoop", "export", "--format", "json"], cwd=ROOT, capture_output=True
    )
    assert result.stdout == (ROOT / "data" / "seccoop.json").read_bytes()
    doc = json.loads(result.stdout)
    assert not list(Schemas(ROOT / "schema").validators["seccoop"].iter_errors(doc))


def test_jsonl_parses_line_by_line_into_the_same_records():
    result = invoke("export", "--format", "jsonl")
    doc = json.loads((ROOT / "data" / "seccoop.json").read_text(encoding="utf-8"))
    lines = result.stdout.splitlines()
    records = [json.loads(line) for line in lines]
    expected = [{"kind": kind[:-1], **r} for kind, rs in doc.items() for r in rs]
    assert records == expected


def test_sqlite_has_every_table_keys_and_types(tmp_path):
    db = tmp_path / "seccoop.db"
    assert invoke("export", "--format", "sqlite", "--out", str(db)).returncode == 0
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    for name in TABLES:
        assert con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] == len(_published_rows(name)) - 1
    fks = con.execute("PRAGMA foreign_key_list(event_participants)").fetchall()
    assert {(fk[2], fk[3]) for fk in fks} == {("events", "event"), ("actors", "actor"), ("participant_roles", "role")}
    types = {row[1]: row[2] for row in con.execute("PRAGMA table_info(spans)")}
    assert types["start"] == "INTEGER" and types["quote"] == "TEXT"
    assert con.execute("SELECT typeof(start) FROM spans LIMIT 1").fetchone() == ("integer",)
    con.close()


def test_exports_are_byte_identical(tmp_path):
    for fmt, name in (("sqlite", "db"), ("jsonl", "jsonl"), ("csv", "dir")):
        first, second = tmp_path / f"1.{name}", tmp_path / f"2.{name}"
        # one export in this process, one in a process of its own (another hash seed)
        assert invoke("export", "--format", fmt, "--out", str(first)).returncode == 0
        assert run_cli("export", "--format", fmt, "--out", str(second)).returncode == 0
        if first.is_dir():
            assert snapshot(first) == snapshot(second)
        else:
            assert first.read_bytes() == second.read_bytes(), fmt


def test_invalid_package_exports_nothing(base_package, tmp_path):
    path = base_package / "data" / "curated" / "actors.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("type: state", "type: stat", 1), encoding="utf-8")
    out = tmp_path / "out.csv"
    result = invoke("export", str(base_package), "--format", "csv", "--table", "events", "--out", str(out))
    assert result.returncode == 1 and "codelist-unknown" in result.stderr
    assert not out.exists()


def test_excel_safe_guards_formulas_and_raw_does_not(base_package):
    path = base_package / "data" / "curated" / "events.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace(
            "summary: Freedonia asked Ruritania for police trainers.", 'summary: "=HYPERLINK(\\"x\\") Freedonia asked"'
        ),
        encoding="utf-8",
    )
    assert invoke("build", str(base_package)).returncode == 0
    raw = invoke("export", str(base_package), "--format", "csv", "--table", "events")
    safe = invoke("export", str(base_package), "--format", "csv", "--table", "events", "--excel-safe")
    raw_rows = list(csv.DictReader(io.StringIO(raw.stdout)))
    safe_rows = list(csv.DictReader(io.StringIO(safe.stdout)))
    assert raw_rows[1]["summary"].startswith("=HYPERLINK")
    assert safe_rows[1]["summary"].startswith("'=HYPERLINK")
    assert safe_rows[1]["date_earliest"] == raw_rows[1]["date_earliest"]  # only text cells change


def test_interrupted_sqlite_export_leaves_the_earlier_file(base_package, tmp_path, monkeypatch):
    export_module = importlib.import_module("seccoop.exports.export")
    sqlite_module = importlib.import_module("seccoop.exports.sqlite")

    db = tmp_path / "exports" / "seccoop.db"
    export_module.export(base_package, "sqlite", out=str(db))
    before = snapshot(db.parent)

    def failing_table(con, name, published):
        if name == "events":
            raise KeyboardInterrupt  # as if the user pressed Ctrl-C midway
        return real_table(con, name, published)

    real_table = sqlite_module._sqlite_table
    monkeypatch.setattr(sqlite_module, "_sqlite_table", failing_table)
    with pytest.raises(KeyboardInterrupt):
        export_module.export(base_package, "sqlite", out=str(db))
    assert snapshot(db.parent) == before  # the database and its Datasette metadata, nothing else
    assert sorted(before) == ["seccoop.db", "seccoop.metadata.json"]


def test_interrupted_csv_folder_export_leaves_earlier_files(base_package, tmp_path, monkeypatch):
    export_module = importlib.import_module("seccoop.exports.export")

    out = tmp_path / "tables"
    export_module.export(base_package, "csv", out=str(out))
    (out / "events.csv").write_bytes(b"an earlier file\n")
    (out / "actors.csv").write_bytes(b"another earlier file\n")
    before = snapshot(out)
    disk_full_on_write(monkeypatch, 2)  # the second of the two changed tables
    with pytest.raises(OSError):
        export_module.export(base_package, "csv", out=str(out))
    assert snapshot(out) == before
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_export_to_a_folder_where_a_file_should_be(tmp_path):
    (tmp_path / "x.db").mkdir()
    result = invoke("export", "--format", "sqlite", "--out", str(tmp_path / "x.db"))
    assert result.returncode == 2 and "is a folder" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow  # builds and installs a wheel
def test_installed_wheel_exports_its_bundled_package_outside_a_checkout(tmp_path):
    """A non-editable install carries the published package: export works from any folder."""
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(ROOT)],
        check=True,
        capture_output=True,
    )
    target = tmp_path / "site"
    wheel = next(wheels.glob("seccoop-*.whl"))
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target)}
    where = subprocess.run(
        [sys.executable, "-c", "import seccoop, pathlib; print(pathlib.Path(seccoop.__file__).parent)"],
        cwd=outside,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert where.startswith(str(target))
    result = subprocess.run(
        [sys.executable, "-m", "seccoop", "export", "--format", "csv", "--table", "events"],
        cwd=outside,
        env=env,
        capture_output=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == (ROOT / "data" / "events.csv").read_bytes()
    check = subprocess.run(
        [sys.executable, "-m", "seccoop", "check"], cwd=outside, env=env, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    build = subprocess.run(
        [sys.executable, "-m", "seccoop", "build"], cwd=outside, env=env, capture_output=True, text=True
    )
    assert build.returncode == 2  # build acts only on a checkout


def _readme_snippets():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```python\n(# load-(\w+)\n.*?)```", readme, flags=re.S)


@pytest.mark.parametrize("code,name", _readme_snippets(), ids=lambda v: v if len(v) < 20 else "")
def test_readme_loading_snippets_run(code, name, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setenv("PATH", os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    namespace = {"__name__": "__readme__"}
    exec(compile(code, f"README.md:{name}", "exec"), namespace)
    assert len(namespace["events"]) == len(_published_rows("events")) - 1, "each snippet loads `events`"


def test_readme_has_the_loading_snippets():
    assert sorted(name for _, name in _readme_snippets()) == ["duckdb", "pandas", "parquet", "seccoop", "sqlite"]


# The analyst's question of issue 24: what did the United States commit to (every commitment of
# this package is made to or in Ecuador)? An actor of the United States is one whose country is
# US, stated or reached through `part_of` (country_derived): the delegation's commitment counts.
_US_COMMITMENTS_SQL = """
SELECT DISTINCT p.commitment FROM commitment_parties AS p JOIN actors AS a ON a.id = p.actor
WHERE p.role = 'committer' AND COALESCE(a.country, a.country_derived) = 'US' ORDER BY 1
"""


def test_what_the_united_states_committed_to_is_one_answer_in_sql_and_pandas(tmp_path):
    import pandas as pd

    db = tmp_path / "seccoop.db"
    assert invoke("export", "--format", "sqlite", "--out", str(db)).returncode == 0
    with sqlite3.connect(db) as con:
        in_sql = [row[0] for row in con.execute(_US_COMMITMENTS_SQL)]
    # pandas as README's snippet reads the CSV files: codes as text, only empty cells missing
    text = dict(dtype=str, keep_default_na=False, na_values=[""])
    actors = pd.read_csv(ROOT / "data" / "actors.csv", **text)
    parties = pd.read_csv(ROOT / "data" / "commitment_parties.csv", **text)
    actors["of"] = actors["country"].fillna(actors["country_derived"])
    joined = parties.merge(actors, left_on="actor", right_on="id")
    in_pandas = sorted(set(joined[(joined["role"] == "committer") & (joined["of"] == "US")]["commitment"]))
    assert in_sql == in_pandas
    assert "us-explore-ways-to-work-together-against-tcos" in in_sql  # the delegation's, through part_of
    # the seed article's U.S. commitments among the many the 0.3.0 sources add
    seed = {"us-deepen-law-enforcement-cooperation", "us-expand-intelligence-sharing", "us-bolster-ecuador-endeavors"}
    assert seed <= set(in_sql) and len(in_sql) > 8
