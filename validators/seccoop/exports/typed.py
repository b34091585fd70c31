"""The published tables with their declared types: one reading of a Table Schema for every typed
output (the Parquet export, `seccoop.read()` for pandas and polars).

A column's type comes from its Table Schema field in datapackage.json, never from guessing at
its values: `date`, `integer`, `number`, `boolean`, a **code** (a string field with an `enum`
constraint: its codes, in their declared order, are the column's categories) or any other
string. An empty cell is a missing value, whatever the type.

pandas, polars and pyarrow are optional: each is needed only by the feature that names it, and a
missing one is reported with the extra that installs it (`MissingExtra`).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from datetime import date
from typing import Any

# Table Schema's default spellings of a boolean (https://datapackage.org/standard/table-schema/).
_TRUE, _FALSE = ("true", "True", "TRUE", "1"), ("false", "False", "FALSE", "0")


class MissingExtra(ImportError):
    """A feature needs an optional dependency that is not installed; the message names the
    extra (`pip install 'seccoop[EXTRA]'`) that brings it."""


def require(module: str, extra: str, feature: str):
    """Import an optional dependency, or raise MissingExtra naming what installs it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtra(
            f"{feature} needs {module.split('.')[0]}, which is not installed: pip install 'seccoop[{extra}]'"
        ) from None


def kind(field: dict) -> str:
    """What a field holds: date, integer, number, boolean, code or string."""
    ftype = field.get("type", "string")
    if ftype == "string" and field.get("constraints", {}).get("enum"):
        return "code"
    if ftype in ("date", "integer", "number", "boolean", "string"):
        return ftype
    raise ValueError(f"field {field['name']!r}: type {ftype!r} has no typed reading in seccoop")


def codes(field: dict) -> list[str]:
    return list(field["constraints"]["enum"])


def _boolean(text: str) -> bool:
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{text!r} is not a boolean")


_PARSE = {"date": date.fromisoformat, "integer": int, "number": float, "boolean": _boolean, "string": str, "code": str}


def columns(table: str, schema: dict, header: list[str], rows: Iterable[list[str]]) -> dict[str, list[Any]]:
    """Each column of a table as a list of Python values of its declared type (None where the
    cell is empty). Raises ValueError, naming table, row and column, for a header that is not
    the schema's or a value that is not of its column's type or codelist."""
    fields = schema["fields"]
    names = [f["name"] for f in fields]
    if header != names:
        raise ValueError(f"{table}: the header {header} is not the schema's fields {names}")
    kinds = [kind(f) for f in fields]
    parse = [_PARSE[k] for k in kinds]
    allowed = [set(codes(f)) if k == "code" else None for f, k in zip(fields, kinds, strict=True)]
    out: list[list[Any]] = [[] for _ in fields]
    for number, row in enumerate(rows, start=2):  # line 1 is the header
        if len(row) != len(fields):
            raise ValueError(f"{table}: row {number} has {len(row)} cells, not {len(fields)}")
        for i, text in enumerate(row):
            if text == "":
                out[i].append(None)
                continue
            try:
                value = parse[i](text)
            except ValueError:
                raise ValueError(
                    f"{table}: row {number}, column {names[i]}: {text!r} is not "
                    f"a{'n' if kinds[i][0] in 'aeiou' else ''} {kinds[i]}"
                ) from None
            if allowed[i] is not None and value not in allowed[i]:
                raise ValueError(f"{table}: row {number}, column {names[i]}: {text!r} is not one of its codes")
            out[i].append(value)
    return dict(zip(names, out, strict=True))


# -- Arrow (Parquet) ---------------------------------------------------------------------------


def arrow_table(
    table: str, schema: dict, header: list[str], rows: Iterable[list[str]], title: str = "", description: str = ""
):
    """A pyarrow Table with the declared types: date32, int64, float64, bool, dictionary-encoded
    strings for codes (the dictionary is the codelist, in its declared order), string. Each field
    carries its description, and the table its title and description, as Arrow metadata."""
    pa = require("pyarrow", "parquet", "the parquet export")
    values = columns(table, schema, header, rows)
    arrays, fields = [], []
    for field in schema["fields"]:
        k, data = kind(field), values[field["name"]]
        if k == "code":
            dictionary = codes(field)
            position = {c: i for i, c in enumerate(dictionary)}
            indices = pa.array([None if v is None else position[v] for v in data], pa.int32())
            array = pa.DictionaryArray.from_arrays(indices, pa.array(dictionary, pa.string()))
        else:
            array = pa.array(data, _ARROW[k](pa))
        arrays.append(array)
        meta = {"description": field["description"]} if field.get("description") else None
        fields.append(pa.field(field["name"], array.type, metadata=meta))
    meta = {k: v for k, v in (("name", table), ("title", title), ("description", description)) if v}
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields, metadata=meta))


_ARROW = {
    "date": lambda pa: pa.date32(),
    "integer": lambda pa: pa.int64(),
    "number": lambda pa: pa.float64(),
    "boolean": lambda pa: pa.bool_(),
    "string": lambda pa: pa.string(),
}


# -- pandas and polars -------------------------------------------------------------------------


def pandas_frame(table: str, schema: dict, header: list[str], rows: Iterable[list[str]]):
    """A pandas DataFrame with the declared dtypes: datetime64[s] for dates (seconds, not
    nanoseconds: a day-resolution date of any year fits), nullable Int64,
    Float64 and boolean, category (the codelist as categories) for codes, string (NA where
    empty) for other text."""
    pd = require("pandas", "pandas", "seccoop.read()")
    values = columns(table, schema, header, rows)
    data = {}
    for field in schema["fields"]:
        k, column = kind(field), values[field["name"]]
        dtype = pd.CategoricalDtype(codes(field)) if k == "code" else _PANDAS[k](pd)
        data[field["name"]] = pd.Series(column, dtype=dtype)
    return pd.DataFrame(data, columns=[f["name"] for f in schema["fields"]])


_PANDAS = {
    "date": lambda pd: "datetime64[s]",
    "integer": lambda pd: "Int64",
    "number": lambda pd: "Float64",
    "boolean": lambda pd: "boolean",
    "string": lambda pd: pd.StringDtype(),
}


def polars_frame(table: str, schema: dict, header: list[str], rows: Iterable[list[str]]):
    """A polars DataFrame with the declared dtypes: Date, Int64, Float64, Boolean, Enum (the
    codelist, in its declared order) for codes, String for other text; null where empty."""
    pl = require("polars", "polars", "seccoop.read(library='polars')")
    values = columns(table, schema, header, rows)
    series = []
    for field in schema["fields"]:
        k = kind(field)
        dtype = pl.Enum(codes(field)) if k == "code" else _POLARS[k](pl)
        series.append(pl.Series(field["name"], values[field["name"]], dtype=dtype))
    return pl.DataFrame(series)


_POLARS = {
    "date": lambda pl: pl.Date,
    "integer": lambda pl: pl.Int64,
    "number": lambda pl: pl.Float64,
    "boolean": lambda pl: pl.Boolean,
    "string": lambda pl: pl.String,
}
