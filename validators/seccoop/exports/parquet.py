"""`seccoop export --format parquet`: a folder of Parquet files, one for each table, each column
of the type its Table Schema declares (seccoop.exports.typed). pyarrow is optional: the extra
`seccoop[parquet]` installs it."""

from __future__ import annotations

from pathlib import Path

from seccoop.exports.errors import ExportRefused
from seccoop.exports.published import Published
from seccoop.exports.request import Request, Writer, emit
from seccoop.exports.typed import MissingExtra, arrow_table, require
from seccoop.safety.write import Output


def ready() -> None:
    """Refuse, before any work, the parquet export where this install cannot write it."""
    try:
        require("pyarrow.parquet", "parquet", "the parquet export")
    except MissingExtra as exc:  # a format this install cannot write: a usage error
        raise ExportRefused(str(exc)) from None


def export_parquet(published: Published, request: Request) -> list[str]:
    """Each table chosen (all by default) as `<table>.parquet` in the folder --out."""
    folder = Path(request.needs_out("parquet needs --out FOLDER (a file for each table)"))
    names = published.tables(request.chosen)
    return emit({str(folder / f"{n}.parquet"): parquet_writer(published, n) for n in names}, request.stdout)


def parquet_writer(published: Published, name: str) -> Writer:
    """What writes one table as Parquet, typed from its Table Schema (seccoop.exports.typed). The same
    table gives the same bytes: no clock in the file, the codelist as each code column's
    dictionary, and pyarrow's version (in the footer's `created_by`) the only thing that varies."""

    def write(output: Output) -> None:
        pa = require("pyarrow", "parquet", "the parquet export")
        pq = require("pyarrow.parquet", "parquet", "the parquet export")
        header, rows = published.rows(name)
        table = arrow_table(name, published.schemas[name], header, rows, **published.about[name])
        sink = pa.BufferOutputStream()
        # zstd: small files every reader (pandas, polars, DuckDB, Spark, R arrow) reads.
        pq.write_table(table, sink, compression="zstd", version="2.6")
        output.write(sink.getvalue().to_pybytes())

    return write
