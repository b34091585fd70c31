"""`seccoop export --format csv`: the published tables as CSV, one to a file or to standard
output, several into a folder; the flat view of events; and, with --excel-safe, text cells guarded
so that a spreadsheet never runs them as formulas."""

from __future__ import annotations

from pathlib import Path

from seccoop.exports.errors import ExportRefused
from seccoop.exports.flat import FLAT_EVENTS
from seccoop.exports.published import Published
from seccoop.exports.request import Request, Writer, emit, is_folder
from seccoop.published.render import write_csv
from seccoop.safety.write import Output

# A cell a spreadsheet would run as a formula starts with one of these (OWASP CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def guard_formula(cell: str) -> str:
    """Excel-safe form of a text cell: a leading quote keeps a spreadsheet from running it."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def targets(out: Path, chosen: list[str]) -> list[tuple[Path, bool]]:
    """--out is a folder for several tables, or for one table written into an existing folder."""
    return [(out, len(chosen) != 1 or is_folder(out))]


def export_csv(published: Published, request: Request) -> list[str]:
    """One table into a file or standard output; several, each `<table>.csv`, into a folder."""
    names = published.tables(request.chosen)
    if len(names) == 1 and (request.to_stdout or not is_folder(Path(request.destination))):
        return emit({request.destination: table_writer(published, names[0], request.excel_safe)}, request.stdout)
    out = request.needs_out("several tables need a folder: give --out FOLDER (or one --table)")
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise ExportRefused(f"{out} is a file; several tables need a folder")
    writers = {str(folder / f"{n}.csv"): table_writer(published, n, request.excel_safe) for n in names}
    return emit(writers, request.stdout)


def table_writer(published: Published, name: str, excel_safe: bool) -> Writer:
    """What writes one exported table: the published file as it is, or its rows rendered again
    (the flat view, or text cells guarded for spreadsheets)."""

    def copy(output: Output) -> None:
        with published.open_binary(published.paths[name]) as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                output.write(chunk)

    def rewrite(output: Output) -> None:
        header, rows = published.rows(name)
        if excel_safe:
            text = [f["type"] == "string" for f in published.schemas[name]["fields"]]
            rows = ([guard_formula(v) if t else v for t, v in zip(text, row, strict=False)] for row in rows)
        write_csv(output, header, rows)

    return rewrite if excel_safe or name == FLAT_EVENTS else copy
