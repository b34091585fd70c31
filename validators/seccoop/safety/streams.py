"""Standard output that takes every byte or fails: a closed pipe is then always a closed pipe
(exit 141), never output silently cut short (docs/safety.md, "Exit statuses").

Python's `sys.stdout.buffer` is a raw file under `python -u` or PYTHONUNBUFFERED (as CI runners
often set), and a raw write to a pipe may take only part of what it is given (64 KiB, then the
reader is gone): its count must be checked, and the rest written again until the pipe fails."""

from __future__ import annotations

import io
import sys
from typing import BinaryIO


class WholeWriter:
    """A binary sink whose `write` writes all of `data` or raises (BrokenPipeError for a closed
    pipe), whatever kind of stream it wraps."""

    def __init__(self, sink: BinaryIO):
        self.sink = sink

    def write(self, data: bytes) -> int:
        view = memoryview(data)
        while view:
            count = self.sink.write(view)
            if count is None:  # a non-blocking stream that would block: never drop the rest
                raise BlockingIOError(0, "standard output would block")
            view = view[count:]
        return len(data)

    def flush(self) -> None:
        self.sink.flush()


def buffer_standard_output() -> None:
    """Give standard output a buffer where it has none (under `python -u`): Python's text layer
    ignores a raw write's count, so `click.echo` of a long report into a closing pipe would
    lose the rest without an error. A buffered writer writes every byte or raises."""
    stdout = sys.stdout
    raw = getattr(stdout, "buffer", None)
    if not isinstance(raw, io.RawIOBase) or not isinstance(stdout, io.TextIOWrapper):
        return
    sys.stdout = io.TextIOWrapper(io.BufferedWriter(raw), encoding=stdout.encoding, errors=stdout.errors, newline=None)
