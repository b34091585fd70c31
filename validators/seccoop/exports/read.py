"""`seccoop.read()`: the published tables as DataFrames, each column of its declared type.

The types come from the Table Schemas in datapackage.json (see `seccoop.exports.typed`), never from
guessing at the values, so a country code `NA` stays a code and an id of digits stays text.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from pathlib import Path

from seccoop.exports import typed
from seccoop.model.package import find_package
from seccoop.safety import paths

# As in export: a curated text may exceed the csv module's default field limit of 131,072 characters.
csv.field_size_limit(2**31 - 1)
LIBRARIES = {"pandas": typed.pandas_frame, "polars": typed.polars_frame}


def read(path: str | Path | None = None, tables: Iterable[str] | None = None, library: str = "pandas") -> dict:
    """The package's tables (all, or those named) as {name: DataFrame}, in the descriptor's
    order: pandas (default) or polars DataFrames with the types the Table Schemas declare.

    `path` is a package folder or its datapackage.json; by default the nearest one at or above
    the current folder, else the package installed with seccoop. It reads the published CSVs as
    they are (run `seccoop check` to prove them fresh); a value that is not of its declared type
    raises ValueError naming the table, row and column."""
    if library not in LIBRARIES:
        raise ValueError(f"unknown library {library!r}; choose one of {', '.join(LIBRARIES)}")
    frame = LIBRARIES[library]
    package = find_package(path)
    descriptor = json.loads(paths.read_file(package.descriptor, package.root, paths.TABLE_LIMIT))
    resources = {r["name"]: r for r in descriptor["resources"] if r.get("type") == "table"}
    names = list(dict.fromkeys(tables)) if tables is not None else list(resources)
    unknown = [n for n in names if n not in resources]
    if unknown:
        raise ValueError(f"no table {unknown[0]!r}; tables: {', '.join(resources)}")
    out = {}
    for name in names:
        resource = resources[name]
        raw = paths.read_file(package.root / resource["path"], package.root, paths.TABLE_LIMIT)
        reader = csv.reader(io.StringIO(raw.decode("utf-8"), newline=""))
        header = next(reader, [])
        out[name] = frame(name, resource["schema"], header, reader)
    return out
