"""`seccoop.read()`: the published tables as DataFrames, each column of its declared type.

The types come from the Table Schemas in datapackage.json (see `seccoop.exports.typed`), never from
guessing at the values, so a country code `NA` stays a code and an id of digits stays text. The
package is a folder, or the release archive a downloader has (read in place, member by member,
through seccoop.safety.archives: nothing is extracted).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from pathlib import Path

from seccoop.exports import typed
from seccoop.model.package import DESCRIPTOR, NoPackage, find_package
from seccoop.safety import paths
from seccoop.safety.archives import open_zip
from seccoop.safety.untrusted import BadJSON, load_json

# As in export: a curated text may exceed the csv module's default field limit of 131,072 characters.
csv.field_size_limit(2**31 - 1)
LIBRARIES = {"pandas": typed.pandas_frame, "polars": typed.polars_frame}


def read(path: str | Path | None = None, tables: Iterable[str] | None = None, library: str = "pandas") -> dict:
    """The package's tables (all, or those named) as {name: DataFrame}, in the descriptor's
    order: pandas (default) or polars DataFrames with the types the Table Schemas declare.

    `path` is a package folder, its datapackage.json, or a release archive (the .zip of `seccoop
    export --format zip`); by default the nearest package at or above the current folder, else
    the package installed with seccoop. It reads the published CSVs as they are (run `seccoop
    check` to prove them fresh); a value that is not of its declared type raises ValueError naming
    the table, row and column. An archive that is not safe to read (a member that could leave a
    folder, a link, a zip bomb) raises seccoop.safety.archives.ArchiveRefused naming the archive
    and the member."""
    if library not in LIBRARIES:
        raise ValueError(f"unknown library {library!r}; choose one of {', '.join(LIBRARIES)}")
    given = Path(path) if path is not None else None
    if given is not None and given.is_file() and given.name != DESCRIPTOR:
        with open_zip(given, str(path)) as archive:
            prefix = archive.package_prefix(DESCRIPTOR)
            if prefix is None:
                raise NoPackage(f"{path}: no {DESCRIPTOR} at the archive's root or in its one top folder")

            def member(rel: str) -> bytes:
                try:
                    return archive.read(prefix + rel, paths.TABLE_LIMIT)
                except KeyError:
                    raise ValueError(f"{path}: no member {prefix + rel!r}, which {DESCRIPTOR} names") from None

            return _tables(str(path), member, tables, LIBRARIES[library])
    package = find_package(path)

    def file(rel: str) -> bytes:
        return paths.read_file(package.root / rel, package.root, paths.TABLE_LIMIT)

    return _tables(str(package.root), file, tables, LIBRARIES[library])


def _tables(label: str, fetch: Callable[[str], bytes], tables: Iterable[str] | None, frame: Callable) -> dict:
    """The tables named (or all) of the package whose files `fetch` gives by their path."""
    try:
        descriptor = load_json(fetch(DESCRIPTOR))
    except BadJSON as exc:
        raise ValueError(f"{label}: {DESCRIPTOR} is not JSON seccoop reads: {exc.reason}") from None
    listed = descriptor.get("resources") if isinstance(descriptor, dict) else None
    if not isinstance(listed, list):
        raise ValueError(f"{label}: {DESCRIPTOR} lists no resources")
    resources = {r["name"]: r for r in listed if isinstance(r, dict) and r.get("type") == "table"}
    names = list(dict.fromkeys(tables)) if tables is not None else list(resources)
    unknown = [n for n in names if n not in resources]
    if unknown:
        raise ValueError(f"no table {unknown[0]!r}; tables: {', '.join(resources)}")
    out = {}
    for name in names:
        resource = resources[name]
        reader = csv.reader(io.StringIO(fetch(resource["path"]).decode("utf-8"), newline=""))
        header = next(reader, [])
        out[name] = frame(name, resource["schema"], header, reader)
    return out
