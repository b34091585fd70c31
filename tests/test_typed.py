"""Typed exports: every column of every Parquet file has its Table Schema's type as pandas,
polars and DuckDB read it, and no row is lost; `seccoop.read()` gives the declared dtypes."""

from __future__ import annotations

import csv
import json
import os
from datetime import date

import pytest
from conftest import ROOT, invoke, run_cli, snapshot

from seccoop import read
from seccoop.exports import typed

DESCRIPTOR = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))
TABLES = {r["name"]: r for r in DESCRIPTOR["resources"] if r["type"] == "table"}


def _csv_rows(name):
    with (ROOT / TABLES[name]["path"]).open(encoding="utf-8", newline="") as f:
        return len(list(csv.reader(f))) - 1


@pytest.fixture(scope="module")
def parquet(tmp_path_factory):
    out = tmp_path_factory.mktemp("parquet") / "tables"
    result = invoke("export", "--format", "parquet", "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out


def _fields():
    from seccoop.exports.flat import FLAT_EVENTS, flat_schema

    schemas = {name: r["schema"] for name, r in TABLES.items()}
    schemas[FLAT_EVENTS] = flat_schema(schemas["events"])
    return [(name, field) for name, schema in schemas.items() for field in schema["fields"]]


def test_every_table_is_one_parquet_file_with_every_row(parquet):
    assert sorted(p.name for p in parquet.iterdir()) == sorted(f"{n}.parquet" for n in [*TABLES, "events_flat"])
    import pyarrow.parquet as pq

    for name in TABLES:
        assert pq.read_metadata(parquet / f"{name}.parquet").num_rows == _csv_rows(name), name
    flat = pq.read_table(parquet / "events_flat.parquet")
    assert flat.num_rows == _csv_rows("events")
    assert flat.schema.metadata[b"title"] == b"Events, flat"


def test_pandas_reads_each_column_with_its_declared_type(parquet):
    import pandas as pd
    import pyarrow as pa

    expected = {
        "date": pa.date32(),
        "integer": pa.int64(),
        "number": pa.float64(),
        "boolean": pa.bool_(),
        "string": pa.string(),
        "code": pa.dictionary(pa.int32(), pa.string()),
    }
    frames, plain = {}, {}
    for name, field in _fields():
        if name not in frames:
            frames[name] = pd.read_parquet(parquet / f"{name}.parquet", dtype_backend="pyarrow")
            plain[name] = pd.read_parquet(parquet / f"{name}.parquet")
        kind = typed.kind(field)
        assert frames[name][field["name"]].dtype.pyarrow_dtype == expected[kind], (name, field["name"])
        if kind == "code" and len(plain[name]):  # a category whose categories are the whole codelist, in its
            # order (a table without rows, such as posts today, has no data page to keep a dictionary in)
            assert list(plain[name][field["name"]].cat.categories) == field["constraints"]["enum"]
    assert sum(len(f) for f in frames.values()) > 0


def test_polars_reads_each_column_with_its_declared_type(parquet):
    import polars as pl

    expected = {
        "date": pl.Date,
        "integer": pl.Int64,
        "number": pl.Float64,
        "boolean": pl.Boolean,
        "string": pl.String,
        "code": pl.Categorical,
    }
    frames = {}
    for name, field in _fields():
        if name not in frames:
            frames[name] = pl.read_parquet(parquet / f"{name}.parquet")
        assert frames[name].schema[field["name"]] == expected[typed.kind(field)], (name, field["name"])
    for name in TABLES:
        assert frames[name].height == _csv_rows(name)


def test_duckdb_reads_each_column_with_its_declared_type(parquet):
    import duckdb

    # DuckDB reads a dictionary-encoded column as the text it encodes.
    expected = {
        "date": "DATE",
        "integer": "BIGINT",
        "number": "DOUBLE",
        "boolean": "BOOLEAN",
        "string": "VARCHAR",
        "code": "VARCHAR",
    }
    types = {}
    for name, field in _fields():
        if name not in types:
            path = str(parquet / f"{name}.parquet").replace("'", "''")
            types[name] = {row[0]: row[1] for row in duckdb.sql(f"DESCRIBE SELECT * FROM '{path}'").fetchall()}
            if name in TABLES:
                assert duckdb.sql(f"SELECT count(*) FROM '{path}'").fetchall() == [(_csv_rows(name),)]
        assert types[name][field["name"]] == expected[typed.kind(field)], (name, field["name"])


def test_empty_cells_are_null_and_values_survive(parquet):
    import pyarrow.parquet as pq

    for name in ("events", "quantities", "spans"):
        table = pq.read_table(parquet / f"{name}.parquet").to_pylist()
        with (ROOT / "data" / f"{name}.csv").open(encoding="utf-8", newline="") as f:
            for row, published in zip(table, csv.DictReader(f), strict=True):
                for column, text in published.items():
                    value = row[column]
                    assert (value is None) == (text == ""), (name, column)
                    if isinstance(value, date):
                        assert value.isoformat() == text
                    elif isinstance(value, float):
                        assert value == float(text)
                    elif value is not None:
                        assert str(value) == text


def test_parquet_export_is_byte_identical(parquet, tmp_path):
    again = tmp_path / "again"
    # a process of its own (another hash seed), where the fixture ran in this one
    assert run_cli("export", "--format", "parquet", "--out", str(again)).returncode == 0
    assert snapshot(again) == snapshot(parquet)


def test_parquet_of_chosen_tables_and_usage_errors(tmp_path):
    out = tmp_path / "two"
    assert (
        invoke("export", "--format", "parquet", "--table", "events", "--table", "spans", "--out", str(out)).returncode
        == 0
    )
    assert sorted(p.name for p in out.iterdir()) == ["events.parquet", "spans.parquet"]
    to_stdout = invoke("export", "--format", "parquet")
    assert to_stdout.returncode == 2 and "--out FOLDER" in to_stdout.stderr
    (tmp_path / "file").write_text("x", encoding="utf-8")
    onto_file = invoke("export", "--format", "parquet", "--out", str(tmp_path / "file"))
    assert onto_file.returncode == 2 and "is a file" in onto_file.stderr


def test_parquet_without_pyarrow_is_a_usage_error_naming_the_extra(tmp_path):
    """An install without the extra: `import pyarrow` fails as it would where it is missing."""
    fake = tmp_path / "no-pyarrow" / "pyarrow"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('No module named pyarrow')\n", encoding="utf-8")
    env = {"PYTHONPATH": os.pathsep.join(filter(None, [str(fake.parent), os.environ.get("PYTHONPATH")]))}
    # a process of its own: this one has imported pyarrow already
    result = run_cli("export", "--format", "parquet", "--out", str(tmp_path / "out"), env=env)
    assert result.returncode == 2, result.stderr
    assert "pip install 'seccoop[parquet]'" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


# -- seccoop.read() ----------------------------------------------------------------------------


def test_read_gives_pandas_the_declared_dtype_of_every_column():
    import pandas as pd

    frames = read(ROOT)
    assert list(frames) == list(TABLES)
    for name, resource in TABLES.items():
        frame = frames[name]
        assert list(frame.columns) == [f["name"] for f in resource["schema"]["fields"]]
        assert len(frame) == _csv_rows(name), name
        for field in resource["schema"]["fields"]:
            dtype, kind = frame[field["name"]].dtype, typed.kind(field)
            where = (name, field["name"], str(dtype))
            if kind == "code":
                assert isinstance(dtype, pd.CategoricalDtype), where
                assert list(dtype.categories) == field["constraints"]["enum"], where
            elif kind == "string":
                assert isinstance(dtype, pd.StringDtype) and dtype.na_value is pd.NA, where
            else:
                assert (
                    str(dtype)
                    == {"date": "datetime64[s]", "integer": "Int64", "number": "Float64", "boolean": "boolean"}[kind]
                ), where


def test_read_gives_polars_the_declared_dtype_of_every_column():
    import polars as pl

    frames = read(ROOT, library="polars")
    for name, resource in TABLES.items():
        assert frames[name].height == _csv_rows(name)
        for field in resource["schema"]["fields"]:
            kind = typed.kind(field)
            expected = (
                pl.Enum(field["constraints"]["enum"])
                if kind == "code"
                else {
                    "date": pl.Date,
                    "integer": pl.Int64,
                    "number": pl.Float64,
                    "boolean": pl.Boolean,
                    "string": pl.String,
                }[kind]
            )
            assert frames[name].schema[field["name"]] == expected, (name, field["name"])


def test_read_keeps_empty_as_missing_and_codes_as_codes():
    import pandas as pd

    events = read(ROOT, tables=["events"])["events"]
    with (ROOT / "data" / "events.csv").open(encoding="utf-8", newline="") as f:
        published = list(csv.DictReader(f))
    assert [pd.isna(v) for v in events["place"]] == [row["place"] == "" for row in published]
    assert [None if pd.isna(v) else v for v in events["country"]] == [row["country"] or None for row in published]


def test_typed_columns_read_declared_types_not_guesses():
    schema = {
        "fields": [
            {"name": "id", "type": "string"},
            {"name": "country", "type": "string", "constraints": {"enum": ["NA", "EC"]}},
            {"name": "n", "type": "integer"},
            {"name": "on", "type": "date"},
            {"name": "ok", "type": "boolean"},
        ]
    }
    values = typed.columns(
        "t",
        schema,
        ["id", "country", "n", "on", "ok"],
        [["007", "NA", "", "2024-01-12", "true"], ["", "", "3", "", "0"]],
    )
    assert values == {
        "id": ["007", None],
        "country": ["NA", None],
        "n": [None, 3],
        "on": [date(2024, 1, 12), None],
        "ok": [True, False],
    }
    with pytest.raises(ValueError, match=r"t: row 2, column n: 'x' is not an integer"):
        typed.columns("t", schema, ["id", "country", "n", "on", "ok"], [["a", "EC", "x", "", ""]])
    with pytest.raises(ValueError, match="not one of its codes"):
        typed.columns("t", schema, ["id", "country", "n", "on", "ok"], [["a", "XX", "", "", ""]])
    with pytest.raises(ValueError, match="header"):
        typed.columns("t", schema, ["id"], [])


def test_read_refuses_an_unknown_table_or_library():
    with pytest.raises(ValueError, match="no table 'evnets'"):
        read(ROOT, tables=["evnets"])
    with pytest.raises(ValueError, match="unknown library"):
        read(ROOT, library="spark")
