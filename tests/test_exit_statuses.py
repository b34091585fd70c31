"""Exit statuses as docs/safety.md assigns them: the environment's failures are named as such
(4, 130, 141, 143), seccoop's own stay 3, and input that passes the check never crashes an export."""

from __future__ import annotations

import errno
import importlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner
from conftest import ROOT, invoke, opened_for_writing, run_cli, snapshot

from seccoop.cli import main


def _fail_writes(monkeypatch, code: int) -> None:
    """Every file seccoop opens for writing fails as the environment would (errno `code`)."""
    real_fdopen = os.fdopen

    def fdopen(fd, *args, **kwargs):
        if not opened_for_writing(fd):
            return real_fdopen(fd, *args, **kwargs)
        os.close(fd)
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(os, "fdopen", fdopen)


@pytest.mark.parametrize(
    "code, words",
    [
        (errno.ENOSPC, "no space left on device"),
        (errno.EROFS, "read-only file system"),
        (errno.EACCES, "permission denied"),
    ],
)
def test_a_failing_environment_exits_4_and_says_so(base_package, tmp_path, monkeypatch, code, words):
    out = tmp_path / "out.csv"
    _fail_writes(monkeypatch, code)
    result = CliRunner().invoke(
        main, ["export", str(base_package), "--format", "csv", "--table", "events", "--out", str(out)]
    )
    assert result.exit_code == 4, result.output
    assert f"seccoop: the environment failed: {words}; nothing was changed\n" in result.stderr  # one colon
    assert "bug in seccoop" not in result.stderr and "Traceback" not in result.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == [base_package]


def test_a_failing_environment_names_the_file_once_and_safely(base_package, monkeypatch):
    """The file git or the disk failed on is named with one colon after it, its name shown safely."""
    export_module = importlib.import_module("seccoop.exports.export")

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", "/tmp/out\x1b]0;owned\x07.csv")

    monkeypatch.setattr(export_module, "export", full)
    result = CliRunner().invoke(main, ["export", str(base_package), "--format", "csv", "--out", "x.csv"])
    assert result.exit_code == 4, result.output
    assert result.stderr.startswith(
        "seccoop: the environment failed: /tmp/out\\u001b]0;owned\\u0007.csv: no space "
        "left on device; nothing was changed\n"
    ), result.stderr


def test_a_failing_environment_in_build_exits_4_and_writes_nothing(base_package, monkeypatch):
    path = base_package / "data" / "curated" / "events.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("in the riots.", "in riots."), encoding="utf-8")
    before = snapshot(base_package)
    _fail_writes(monkeypatch, errno.ENOSPC)
    result = CliRunner().invoke(main, ["build", str(base_package)])
    assert result.exit_code == 4 and "no space left on device" in result.stderr, result.output
    assert snapshot(base_package) == before


def test_a_closed_pipe_exits_141_without_a_word(base_package):
    """`seccoop export --format jsonl | head -c 1`: the reader goes away first. The output is more
    than a pipe holds, so the export is still writing when it does."""
    _lengthen_a_summary(base_package)
    assert invoke("build", str(base_package)).returncode == 0
    shell = (
        f"{sys.executable} -m seccoop export {base_package} --format jsonl | head -c 1 >/dev/null; "
        "echo ${PIPESTATUS[0]} >&2"
    )
    result = subprocess.run(["bash", "-c", shell], cwd=ROOT, capture_output=True, text=True, timeout=120)
    *rest, status = result.stderr.strip().splitlines()
    assert status == "141", result.stderr
    assert rest == [], result.stderr  # no message, no traceback


def test_a_closed_pipe_before_any_output_exits_141():
    proc = subprocess.Popen(
        [sys.executable, "-m", "seccoop", "export", "--format", "json"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    proc.stdout.close()  # closed before seccoop writes a byte
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 141 and err == b"", err


def test_ctrl_c_exits_130(base_package):
    """SIGINT while the export waits to write into a full pipe that nobody reads."""
    _lengthen_a_summary(base_package)  # more than a pipe holds
    assert invoke("build", str(base_package)).returncode == 0
    proc = subprocess.Popen(
        [sys.executable, "-m", "seccoop", "export", str(base_package), "--format", "jsonl"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=_as_in_a_terminal,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not _blocked_writing(proc.pid):
        time.sleep(0.1)
    assert proc.poll() is None, "the export ended before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert b"interrupted" in err and b"Traceback" not in err


def test_sigterm_exits_143(base_package):
    """`kill`, `timeout` or a cancelled CI job: SIGTERM is said as such, without a traceback."""
    _lengthen_a_summary(base_package)
    assert invoke("build", str(base_package)).returncode == 0
    proc = subprocess.Popen(
        [sys.executable, "-m", "seccoop", "export", str(base_package), "--format", "jsonl"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not _blocked_writing(proc.pid):
        time.sleep(0.1)
    assert proc.poll() is None, "the export ended before it could be terminated"
    proc.terminate()
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert err == b"seccoop: terminated; nothing was changed\n", err


TERMINATED_WHILE_WRITING = """
import os, signal, sys

from seccoop.cli import main
from seccoop.safety import write

real_commit = write.Staging.commit


def commit(self):  # every file staged, its lock held: the moment a killed run leaves the most behind
    os.kill(os.getpid(), signal.SIGTERM)
    return real_commit(self)


write.Staging.commit = commit
main(["build", sys.argv[1]])
"""


def test_a_build_terminated_while_it_writes_changes_nothing_and_leaves_nothing(base_package):
    """Python's default for SIGTERM ends the process at once: the run's lock and staged files would
    stay, and the next check would count them as new inputs of the package."""
    _lengthen_a_summary(base_package)
    before = snapshot(base_package)
    done = subprocess.run(
        [sys.executable, "-c", TERMINATED_WHILE_WRITING, str(base_package)], capture_output=True, timeout=300
    )
    assert done.returncode == 143, done.stderr
    assert done.stderr.endswith(b"seccoop: terminated; nothing was changed\n") and b"Traceback" not in done.stderr
    assert snapshot(base_package) == before
    left = [p.name for p in base_package.rglob("*") if ".seccoop-" in p.name]
    assert left == []


TERMINATED_WHILE_RENAMING = """
import os, signal, sys

from seccoop.cli import main
from seccoop.safety import write

real_replace = os.replace
renamed = []


def replace(source, target):  # the journal is written: the set is committed, one rename done
    real_replace(source, target)
    renamed.append(target)
    if len(renamed) == 1:
        os.kill(os.getpid(), signal.SIGTERM)


write.os.replace = replace
main(["build", sys.argv[1]])
"""


def test_a_build_terminated_while_it_renames_says_so_and_the_next_build_completes_it(base_package):
    _lengthen_a_summary(base_package)  # events.csv, seccoop.json and more change: a set under a journal
    done = subprocess.run(
        [sys.executable, "-c", TERMINATED_WHILE_RENAMING, str(base_package)], capture_output=True, timeout=300
    )
    assert done.returncode == 143, done.stderr
    assert done.stderr.endswith(
        b"seccoop: terminated; it stopped while replacing files; the next seccoop run that writes there "
        b"completes them\n"
    ), done.stderr
    assert [p for p in base_package.rglob("*") if p.name.endswith(".journal")]
    assert invoke("build", str(base_package)).returncode == 0
    assert [p.name for p in base_package.rglob("*") if ".seccoop-" in p.name] == []
    assert invoke("check", str(base_package), "--no-cache").returncode == 0


IGNORED_BY_THE_CALLER = """
import os, signal, sys, time

signal.signal(signal.SIGTERM, signal.SIG_IGN)  # as a caller may start seccoop
from seccoop.safety.background import in_background


def work():
    time.sleep(1.5)
    return os.getpid()


worker = in_background(work)
time.sleep(0.3)
os.killpg(0, signal.SIGTERM)  # the whole group, as a cancelled CI job signals it
print(worker() != os.getpid())
"""


def test_a_worker_keeps_a_sigterm_its_caller_ignored():
    done = subprocess.run(
        [sys.executable, "-c", IGNORED_BY_THE_CALLER],
        capture_output=True,
        text=True,
        timeout=60,
        start_new_session=True,
    )
    assert done.returncode == 0 and done.stdout == "True\n", done.stderr


def _signals_in_the_worker():
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    return signal.getsignal(signal.SIGTERM) == signal.SIG_DFL, signal.SIGTERM in blocked, signal.SIGINT in blocked


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no worker process without fork")
def test_a_worker_has_its_own_handlers_and_blocks_nothing():
    """The parent's handler never runs in a worker: a worker starts with Ctrl-C and SIGTERM
    blocked, puts them back to their defaults, then unblocks them."""
    background = importlib.import_module("seccoop.safety.background")
    previous = signal.signal(signal.SIGTERM, lambda _signum, _frame: None)
    try:
        assert background.in_background(_signals_in_the_worker)() == (True, False, False)
        assert signal.SIGTERM not in signal.pthread_sigmask(signal.SIG_BLOCK, [])  # the parent's mask is back
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_sigterm_is_left_as_the_caller_set_it(base_package):
    """A command run in this process (a test, a notebook) hands SIGTERM back as it found it, and one
    ignored or handled by whoever started seccoop stays so."""
    cli = importlib.import_module("seccoop.cli")
    previous = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        assert CliRunner().invoke(main, ["check", str(base_package), "--no-cache"]).exit_code == 0
        assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
        with cli._terminated_as_interrupted():
            assert signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, signal.SIG_IGN)
        for theirs in (signal.SIG_IGN, lambda _signum, _frame: None):
            signal.signal(signal.SIGTERM, theirs)
            with cli._terminated_as_interrupted():
                assert signal.getsignal(signal.SIGTERM) is theirs
            assert signal.getsignal(signal.SIGTERM) is theirs
    finally:
        signal.signal(signal.SIGTERM, previous)


def _as_in_a_terminal() -> None:
    """Ctrl-C as a terminal's foreground job receives it: where these tests were started in the
    background of a shell without job control (`.ci/run &`), SIGINT is ignored, as POSIX asks,
    and a child inherits that; seccoop rightly keeps it ignored, and would never see it."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _blocked_writing(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/wchan") as f:
            return "pipe" in f.read()
    except OSError:
        return False


def test_debug_shows_the_traceback_and_keeps_exit_3(base_package, monkeypatch):
    check_module = importlib.import_module("seccoop.check")

    def broken(*args, **kwargs):
        raise RuntimeError("a deliberate bug")

    monkeypatch.setattr(check_module, "check", broken)
    plain = CliRunner().invoke(main, ["check", str(base_package)])
    assert plain.exit_code == 3 and "internal error: RuntimeError: a deliberate bug" in plain.stderr
    assert "Traceback" not in plain.stderr
    monkeypatch.setenv("SECCOOP_DEBUG", "1")
    debug = CliRunner().invoke(main, ["check", str(base_package)])
    assert debug.exit_code == 3 and "Traceback" in debug.stderr


@pytest.mark.parametrize(
    "args, words",
    [
        (["--format", "sqlite", "--excel-safe"], "--excel-safe applies to csv only"),
        (["--format", "json", "--excel-safe"], "--excel-safe applies to csv only"),
        (["--format", "jsonl", "--excel-safe"], "--excel-safe applies to csv only"),
        (["--format", "html", "--table", "events"], "--table does not apply"),
    ],
)
def test_options_that_do_not_apply_are_refused_not_ignored(base_package, tmp_path, args, words):
    out = tmp_path / "out"
    result = invoke("export", str(base_package), *args, "--out", str(out))
    assert result.returncode == 2 and words in result.stderr, result.stderr
    assert not out.exists()


@pytest.mark.parametrize("fmt", ["csv", "sqlite", "json", "jsonl"])
def test_a_folder_where_a_file_should_be_is_a_usage_error_in_every_format(base_package, tmp_path, fmt):
    (tmp_path / "out").mkdir()
    args = ["--table", "events"] if fmt in ("csv", "sqlite") else []
    result = invoke("export", str(base_package), "--format", fmt, *args, "--out", str(tmp_path / "out"))
    if fmt == "csv":  # one csv table into a folder writes the table into it
        assert result.returncode == 0 and (tmp_path / "out" / "events.csv").is_file(), result.stderr
    else:
        assert result.returncode == 2 and "folder" in result.stderr, result.stderr
        assert list((tmp_path / "out").iterdir()) == []


@pytest.mark.parametrize("table", ["events", "event_participants", "quantities", "evidence", "commitment_parties"])
def test_sqlite_export_of_one_table_brings_what_it_references(base_package, tmp_path, table):
    db = tmp_path / "one.db"
    result = invoke("export", str(base_package), "--format", "sqlite", "--table", table, "--out", str(db))
    assert result.returncode == 0, result.stderr
    con = sqlite3.connect(db)
    names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert table in names
    for (target,) in con.execute(f"SELECT DISTINCT \"table\" FROM pragma_foreign_key_list('{table}')"):
        assert target in names
    assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    assert con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] > 0
    con.close()


LONG_SUMMARY = ("Officers were injured in the riots. " * 4000).strip()  # 144,000 characters


def _lengthen_a_summary(package) -> None:
    path = package / "data" / "curated" / "events.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("summary: Over 30 officers were injured in the riots.", f"summary: {LONG_SUMMARY}"),
        encoding="utf-8",
    )


def test_a_text_longer_than_the_csv_modules_default_limit_exports(base_package, tmp_path):
    long_summary = LONG_SUMMARY
    _lengthen_a_summary(base_package)
    assert invoke("build", str(base_package)).returncode == 0
    for fmt in ("csv", "sqlite", "jsonl"):
        out = tmp_path / f"out.{fmt}"
        args = ["--table", "events"] if fmt == "csv" else []
        result = invoke("export", str(base_package), "--format", fmt, *args, "--out", str(out))
        assert result.returncode == 0, (fmt, result.stderr)
    assert long_summary.strip() in (tmp_path / "out.csv").read_text(encoding="utf-8")
    row = (
        sqlite3.connect(tmp_path / "out.sqlite")
        .execute("SELECT summary FROM events WHERE id = 'riot-injuries'")
        .fetchone()
    )
    assert row == (long_summary.strip(),)


def _turkish_locale(tmp_path) -> dict | None:
    """LOCPATH and LC_ALL for a tr_TR.UTF-8 locale compiled into tmp_path (none is installed)."""
    if shutil.which("localedef") is None:
        return None
    folder = tmp_path / "locales"
    folder.mkdir()
    subprocess.run(["localedef", "-i", "tr_TR", "-f", "UTF-8", str(folder / "tr_TR.UTF-8")], capture_output=True)
    if not (folder / "tr_TR.UTF-8").exists():
        return None
    return {"LOCPATH": str(folder), "LC_ALL": "tr_TR.UTF-8"}


def test_sqlite_export_is_one_transaction_and_the_same_bytes_in_a_turkish_locale(base_package, tmp_path):
    turkish = _turkish_locale(tmp_path)
    if turkish is None:
        pytest.skip("localedef or the tr_TR locale source is not on this machine")
    # The locale really is in force for Python, where sqlite3's implicit transactions go wrong.
    probe = subprocess.run(
        [sys.executable, "-c", "import locale; print(locale.setlocale(locale.LC_ALL, ''))"],
        env={**os.environ, **turkish},
        capture_output=True,
        text=True,
    )
    assert probe.stdout.strip() == "tr_TR.UTF-8", probe.stderr
    plain, turk = tmp_path / "c.db", tmp_path / "tr.db"  # processes of their own: the locale is read at start-up
    assert (
        run_cli(
            "export", str(base_package), "--format", "sqlite", "--out", str(plain), env={"LC_ALL": "C.UTF-8"}
        ).returncode
        == 0
    )
    result = run_cli("export", str(base_package), "--format", "sqlite", "--out", str(turk), env=turkish)
    assert result.returncode == 0, result.stderr
    assert turk.read_bytes() == plain.read_bytes()
