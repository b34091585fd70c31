"""Every write counted (docs/safety.md, "Exit statuses"): an export into a pipe whose reader
closes early exits 141 for every format and table, also where standard output is a raw file
(`PYTHONUNBUFFERED`, as CI runners set it) whose writes may take only part of what they are given;
the sqlite export on a full disk exits 4 like every other format."""

from __future__ import annotations

import errno
import fcntl
import os
import sqlite3
import subprocess
import sys

import pytest
from click.testing import CliRunner
from conftest import ROOT

F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)


def _into_closing_pipe(args: list[str], unbuffered: bool) -> tuple[int, str]:
    """Run `seccoop ARGS` into a pipe of one page that its reader closes after the first byte:
    the command's next write takes part of what it is given, or fails."""
    read, write = os.pipe()
    try:
        fcntl.fcntl(write, F_SETPIPE_SZ, 4096)
    except OSError:
        pytest.skip("the pipe's size cannot be set here")
    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "PYTHONUNBUFFERED")}
    if unbuffered:
        env["PYTHONUNBUFFERED"] = "1"
    proc = subprocess.Popen(
        [sys.executable, "-m", "seccoop", *args],
        stdout=write,
        stderr=subprocess.PIPE,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    os.close(write)
    first = os.read(read, 1)
    os.close(read)
    _, stderr = proc.communicate(timeout=300)
    assert first, stderr
    return proc.returncode, stderr.decode(errors="replace")


@pytest.mark.parametrize("unbuffered", [True, False], ids=["raw-stdout", "buffered-stdout"])
@pytest.mark.parametrize(
    "args",
    [
        ["--format", "csv", "--table", "spans"],
        ["--format", "csv", "--table", "spans", "--excel-safe"],  # rows rendered again, as events_flat
        ["--format", "csv", "--table", "retired_ids"],
        ["--format", "json"],
        ["--format", "jsonl"],
    ],
    ids=lambda a: "-".join(a[1::2]) + ("-excel-safe" if "--excel-safe" in a else ""),
)
def test_a_reader_that_closes_the_pipe_early_is_a_closed_pipe(args, unbuffered):
    """Each output is larger than the pipe's one page: with the reader gone after one byte, the
    export cannot have written everything, so it exits 141 and says nothing (before, under
    PYTHONUNBUFFERED a CSV export exited 0 with its output cut short)."""
    status, stderr = _into_closing_pipe(["export", str(ROOT), *args], unbuffered)
    assert status == 141, stderr
    assert stderr == ""


@pytest.mark.parametrize("unbuffered", [True, False], ids=["raw-stdout", "buffered-stdout"])
def test_a_long_text_report_into_a_closing_pipe_is_a_closed_pipe(built_base, unbuffered):
    """Text printed through click (here diff's report of two different packages, several pages
    long) is written whole or the pipe is said closed: before, under PYTHONUNBUFFERED the text
    layer ignored a raw write's count and the command exited as if all was said."""
    status, stderr = _into_closing_pipe(["diff", str(built_base), str(ROOT)], unbuffered)
    assert status == 141, stderr
    assert stderr == ""


def test_whole_writer_writes_what_a_raw_file_leaves(tmp_path):
    """A raw file's write may take part of its bytes; WholeWriter writes the rest."""
    from seccoop.safety.streams import WholeWriter

    read, write = os.pipe()
    fcntl.fcntl(write, F_SETPIPE_SZ, 4096)
    os.set_blocking(read, False)
    raw = os.fdopen(write, "wb", buffering=0)
    data = bytes(range(256)) * 64  # 16 KiB: four pipes' worth
    received = bytearray()
    import threading

    def drain():
        while len(received) < len(data):
            try:
                received.extend(os.read(read, 1024))
            except BlockingIOError:
                threading.Event().wait(0.001)

    reader = threading.Thread(target=drain)
    reader.start()
    assert WholeWriter(raw).write(data) == len(data)
    reader.join(timeout=30)
    raw.close()
    os.close(read)
    assert bytes(received) == data


def test_the_sqlite_export_on_a_full_disk_exits_4(tmp_path, monkeypatch):
    """SQLite's own "database or disk is full" (SQLITE_FULL, here from a database allowed a few
    pages, as a full disk gives it) exits 4 with the environment named, not 3; nothing is left."""
    from seccoop.cli import main

    real_connect = sqlite3.connect

    def connect_to_a_full_disk(*args, **kwargs):
        con = real_connect(*args, **kwargs)
        con.execute("PRAGMA max_page_count = 8")
        return con

    monkeypatch.setattr(sqlite3, "connect", connect_to_a_full_disk)
    out = tmp_path / "x.db"
    result = CliRunner().invoke(main, ["export", str(ROOT), "--format", "sqlite", "--out", str(out), "--no-cache"])
    assert result.exit_code == 4, result.output
    assert os.strerror(errno.ENOSPC).lower() in result.output.lower() or "no space" in result.output
    assert list(tmp_path.iterdir()) == []
