"""`seccoop export`: the published data in the format a user's tool wants, one module per format
behind one registry (`FORMATS`): CSV (`csv_`), JSON and JSON Lines (`json_`), SQLite, Datasette-ready
(`sqlite`), Parquet, typed by seccoop.exports.typed (`parquet`), the HTML review site (`review`) or
the release archive (`release`).

Every export starts with the same check as `seccoop check`; invalid data exports nothing. The
tables written are the published ones (the bytes `build` writes), so an export never disagrees
with data/*.csv, and they are streamed from those files (`published`). Files are written
atomically: an export that fails leaves any earlier file whole.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from seccoop.exports import csv_, json_
from seccoop.exports.errors import ExportRefused
from seccoop.exports.published import Published, load_published
from seccoop.exports.request import Request
from seccoop.model.package import Package, find_package
from seccoop.safety.write import TargetRefused, check_export_target

Targets = list[tuple[Path, bool]]  # what --out names, as (path, is it a folder), for the target check


def _one_file(out: Path, chosen: list[str]) -> Targets:
    return [(out, False)]


def _one_folder(out: Path, chosen: list[str]) -> Targets:
    return [(out, True)]


# csv and json load with seccoop; each other format's module loads only when that format is asked
# for, so that a command that exports nothing pays for no sqlite3, zipfile or review site.


def _sqlite(published: Published, request: Request) -> list[str]:
    from seccoop.exports.sqlite import export_sqlite

    return export_sqlite(published, request)


def _sqlite_targets(out: Path, chosen: list[str]) -> Targets:
    from seccoop.exports.sqlite import targets

    return targets(out, chosen)


def _parquet(published: Published, request: Request) -> list[str]:
    from seccoop.exports.parquet import export_parquet

    return export_parquet(published, request)


def _parquet_ready() -> None:
    from seccoop.exports.parquet import ready

    ready()


def _html(published: Published, request: Request) -> list[str]:
    from seccoop.exports.review import export_html

    return export_html(published, request)


def _annotations(published: Published, request: Request) -> list[str]:
    from seccoop.exports.annotations import export_annotations

    return export_annotations(published, request)


def _zip(published: Published, request: Request) -> list[str]:
    from seccoop.exports.release import export_release

    return export_release(published, request)


@dataclass(frozen=True)
class Format:
    """One export format: its writer, and what is checked of a request before any work."""

    write: Callable[[Published, Request], list[str]]  # returns the paths written ("-": standard output)
    targets: Callable[[Path, list[str]], Targets] = _one_file
    whole: str = ""  # what the format always exports whole, so --table does not apply to it
    ready: Callable[[], None] | None = None  # refuses a format this install cannot write


FORMATS: dict[str, Format] = {
    "csv": Format(csv_.export_csv, csv_.targets),
    "json": Format(json_.export_json),
    "jsonl": Format(json_.export_jsonl),
    "sqlite": Format(_sqlite, _sqlite_targets),
    "parquet": Format(_parquet, _one_folder, ready=_parquet_ready),
    "html": Format(_html, _one_folder, whole="review site"),
    "annotations": Format(_annotations, whole="annotation collection"),
    "zip": Format(_zip, whole="release"),
}


def export(
    path: str | Path | None,
    fmt: str,
    tables: Iterable[str] = (),
    out: str | None = None,
    excel_safe: bool = False,
    stdout: BinaryIO | None = None,
    cache: bool = False,
) -> list[str]:
    """Export a checked package. Returns the paths written ("-" for standard output). With `cache`,
    the check it starts with may come from the check cache (docs/cache.md)."""
    if fmt not in FORMATS:
        raise ExportRefused(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    form = FORMATS[fmt]
    # An option that does not apply is refused, not ignored: the user would think it took effect.
    if excel_safe and fmt != "csv":
        raise ExportRefused(f"--excel-safe applies to csv only (it guards spreadsheet cells); not to {fmt}")
    if form.ready is not None:  # a format this install cannot write: a usage error, before any work
        form.ready()
    if tables and form.whole:
        raise ExportRefused(f"{fmt} exports the whole {form.whole}; --table does not apply to it")
    package = find_package(path)
    request = Request(out, list(dict.fromkeys(tables)), excel_safe, stdout)
    if not request.to_stdout:
        _check_targets(form.targets(Path(request.destination), request.chosen), package)
    return form.write(load_published(package, cache), request)


def _check_targets(targets: Targets, package: Package) -> None:
    """Refuse, before any work, an --out that is a link, a device or FIFO, the wrong kind of
    file, or one of the package's own files (docs/safety.md). A usage error for every format."""
    try:
        for target, folder in targets:
            check_export_target(target, package.root, folder)
    except TargetRefused as exc:
        raise ExportRefused(str(exc)) from None
