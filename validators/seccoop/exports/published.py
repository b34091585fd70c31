"""The checked package's published files, as every export reads them: `load_published` runs the
same check as `seccoop check`, and `Published` then streams the tables and records from the files
on disk, each opened through the gate (docs/safety.md)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

from seccoop.exports.errors import ExportInvalid, ExportRefused
from seccoop.exports.flat import FLAT_DESCRIPTION, FLAT_EVENTS, FLAT_HEADER, FLAT_TITLE, flat_events, flat_schema
from seccoop.model.package import DOCUMENT, PLURAL, Package, find_package
from seccoop.model.report import Problem, Report
from seccoop.safety import paths
from seccoop.safety.untrusted import load_json

# The csv module refuses fields over 131,072 characters by default; a curated text may be longer
# (a curated file may hold up to 64 MiB), and the published CSV was written by seccoop itself.
csv.field_size_limit(2**31 - 1)


class SourceTexts:
    """The texts of included sources, by source id, each read from seeds/ when a page shows it
    (the check has just verified them against their sha256): the review site then holds one text
    at a time, not the 70 MB of texts of 100k events. Withheld texts are never read: the site
    shows them through their spans only (docs/rights.md)."""

    def __init__(self, package: Package):
        self.package = package
        self._paths: dict[str, str] | None = None

    def get(self, source_id: str, default: str | None = None) -> str | None:
        if self._paths is None:
            with open_published_text(self.package, self.package.root / "data" / "sources.csv") as f:
                self._paths = {
                    row["id"]: row["path"] for row in csv.DictReader(f) if row["text"] == "included" and row["path"]
                }
        path = self._paths.get(source_id)
        if path is None:
            return default
        return paths.read_file(self.package.root / path, self.package.root, paths.DOCUMENT_LIMIT).decode("utf-8")


class Published:
    """The checked package's published files, read as a stream when an export needs them: the
    check has just proved them equal to a fresh build, so an export copies or reparses them
    instead of holding every table in memory."""

    def __init__(self, package: Package, texts: SourceTexts):
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

    def open_text(self, path: Path) -> io.TextIOWrapper:
        return open_published_text(self.package, path)

    def open_binary(self, path: Path) -> io.BufferedReader:
        return open_published(self.package, path)

    @property
    def names(self) -> list[str]:
        return [*self.paths, FLAT_EVENTS]

    def tables(self, chosen: list[str]) -> list[str]:
        """The tables chosen (every table when none is), refusing a name that is no table."""
        unknown = [t for t in chosen if t not in self.names]
        if unknown:
            raise ExportRefused(f"no table {unknown[0]!r}; tables: {', '.join(self.names)}")
        return chosen or self.names

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


def open_published(package: Package, path: Path) -> io.BufferedReader:
    """A published file opened through the gate; one the gate refuses stops the export with a
    report naming it (exit 1)."""
    try:
        raw = paths.open_file(path, package.root, paths.TABLE_LIMIT)
    except paths.Refused as exc:
        problem = Problem(exc.code, exc.reason, file=package.rel(path))
        raise ExportInvalid(Report(str(package.root), [problem])) from None
    return io.BufferedReader(raw, 1 << 20)


def open_published_text(package: Package, path: Path) -> io.TextIOWrapper:
    """A published file opened through the gate as UTF-8 text, newlines as they are (for the csv
    module); refused as `open_published` refuses it."""
    return io.TextIOWrapper(open_published(package, path), encoding="utf-8", newline="")


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
