"""An export request as each format's writer receives it, and where the writers' bytes go:
standard output, or files written atomically (docs/safety.md)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from seccoop.exports.errors import ExportRefused
from seccoop.safety.streams import WholeWriter
from seccoop.safety.write import Output, Staging

# What writes one exported file into its Output.
Writer = Callable[[Output], None]


@dataclass(frozen=True)
class Request:
    """What the user asked of an export, once the checks made before any work have passed."""

    out: str | None  # None or "-": standard output
    chosen: list[str]  # tables or record kinds, each once, in the order asked; empty: all
    excel_safe: bool = False
    stdout: BinaryIO | None = None  # where standard output goes (default: sys.stdout's buffer)
    private: bool = False  # html: the curators' private view, withheld texts in full (docs/review-page.md)

    @property
    def to_stdout(self) -> bool:
        return self.out in (None, "-")

    @property
    def destination(self) -> str:
        """The one file written: --out, or "-" for standard output."""
        return "-" if self.out is None else self.out

    def needs_out(self, refusal: str) -> str:
        """--out, for a format that cannot go to standard output (refused with `refusal`)."""
        if self.out is None or self.out == "-":
            raise ExportRefused(refusal)
        return self.out


def is_folder(path: Path) -> bool:
    """A real folder (a link to one is not: the target check refuses links)."""
    return path.is_dir() and not path.is_symlink()


def emit(writers: dict[str, Writer], stdout: BinaryIO | None) -> list[str]:
    """Run each writer into its target: standard output ("-"), or files written atomically."""
    if "-" in writers:
        sink = WholeWriter(stdout or sys.stdout.buffer)
        writers["-"](Output(sink))  # pyright: ignore[reportArgumentType]  (a binary sink, not a whole BinaryIO)
        # Flushed here, not at exit: a reader that closed the pipe is then seen as a closed pipe
        # (exit 141), for every format, however small the last write.
        sink.flush()
        return ["-"]
    with Staging() as staging:
        for path, write in writers.items():
            write(staging.open(Path(path)))
        staging.commit()
    return list(writers)
