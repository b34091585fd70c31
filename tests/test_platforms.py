"""Every platform (docs/safety.md, "Every platform"): `import seccoop`, `seccoop.read()`,
`seccoop check` and every export work where `fcntl`, `prctl` and `os.fork` do not
exist (Windows), and the POSIX-only measures stay where they do.

The first test runs seccoop in a fresh Python in which those are hidden before seccoop is
imported: `fcntl` cannot be imported, the C library has no `prctl`, and
`os` has no `fork`, `O_NOFOLLOW`, `O_NONBLOCK`, `O_DIRECTORY` or `geteuid`, as on Windows. The
GitHub workflow runs this file on Windows and macOS as well, where the tests of each platform's
own lock run for real.
"""

from __future__ import annotations

import importlib
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT

write = importlib.import_module("seccoop.safety.write")
background_module = importlib.import_module("seccoop.safety.background")
cache = importlib.import_module("seccoop.incremental.cache")

# Each export, and where it writes (a folder for csv's several tables, parquet and html).
EXPORTS = {
    "csv": "csv",
    "json": "seccoop.json",
    "jsonl": "seccoop.jsonl",
    "sqlite": "seccoop.db",
    "parquet": "parquet",
    "html": "site",
    "zip": "seccoop.zip",
}

HIDDEN = r'''
import ctypes, importlib, json, os, sys

sys.modules["fcntl"] = None  # `import fcntl` raises ImportError, as on Windows


class NoPrctl(ctypes.CDLL):
    """The C library as macOS, Windows or musl have it: no prctl."""

    def __getattr__(self, name):
        if name == "prctl":
            raise AttributeError(name)
        return super().__getattr__(name)


ctypes.CDLL = NoPrctl
for name in ("fork", "O_NOFOLLOW", "O_NONBLOCK", "O_DIRECTORY", "geteuid"):
    if hasattr(os, name):
        delattr(os, name)

package, out = sys.argv[1], sys.argv[2]
import seccoop  # failed on Windows: seccoop.safety.write imported fcntl

write, background = (importlib.import_module(f"seccoop.{m}") for m in ("safety.write", "safety.background"))
said = {"locking": write.LOCKING, "prctl": background.parent_death_signal() is not None}

tables = seccoop.read(package)
said["tables"] = {name: len(frame) for name, frame in tables.items()}

from click.testing import CliRunner
from seccoop.cli import main

runner = CliRunner()
result = runner.invoke(main, ["check", package])
said["check"] = [result.exit_code, result.output]
exports = json.loads(sys.argv[3])
for fmt, name in exports.items():
    result = runner.invoke(main, ["export", package, "--format", fmt, "--out", os.path.join(out, name)])
    said[fmt] = [result.exit_code, result.output + (repr(result.exception) if result.exit_code else "")]
print(json.dumps(said))
'''


def _leftovers(folder: Path) -> list[str]:
    return sorted(
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if write.TEMPORARY.fullmatch(p.name)
        or write.LOCK.fullmatch(p.name)
        or write.JOURNAL.fullmatch(p.name)
        or p.name.endswith(".lock-new")
    )


def test_check_read_and_every_export_without_fcntl_prctl_or_fork(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "XDG_CACHE_HOME")}
    # The cache on, in a folder of this test's: its folder rules run without user ids too.
    env.update(SECCOOP_CACHE_DIR=str(tmp_path / "cache"), CI="false")
    done = subprocess.run(
        [sys.executable, "-c", HIDDEN, str(ROOT), str(out), json.dumps(EXPORTS)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        encoding="utf-8",
        errors="replace",
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    said = json.loads(done.stdout.splitlines()[-1])
    # Each measure is gone, and seccoop knows it: no lock on POSIX without flock, the lock file
    # held open on Windows; the watchdog thread alone.
    assert said["locking"] == ("open" if sys.platform == "win32" else None)
    assert not said["prctl"]
    assert said["tables"] and said["tables"]["events"] > 0
    assert said["check"][0] == 0 and "valid (0 error(s)" in said["check"][1], said["check"]
    for fmt, name in EXPORTS.items():
        assert said[fmt][0] == 0, (fmt, said[fmt])
        target = out / name
        assert target.exists(), fmt
        if target.is_dir():
            assert any(f.stat().st_size for f in target.iterdir()), fmt
        else:
            assert target.stat().st_size > 0, fmt
    assert (out / "csv" / "events.csv").is_file() and (out / "site" / "index.html").is_file()
    assert (out / "seccoop.metadata.json").is_file()  # sqlite's second file, for Datasette
    assert (tmp_path / "cache" / "seccoop").is_dir()
    assert _leftovers(out) == []
    assert [n for n in [*os.listdir(ROOT), *os.listdir(ROOT / "data")] if n.startswith(".") and "seccoop-" in n] == []


# -- what each platform keeps ------------------------------------------------------------------


def test_the_posix_only_measures_stay_where_they_exist():
    if sys.platform != "win32":
        assert write.LOCKING == "flock"  # every POSIX system: Linux, macOS, the BSDs
    else:
        assert write.LOCKING == "open"
    if sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc":
        assert background_module.parent_death_signal() is not None
    elif not sys.platform.startswith("linux"):  # macOS, Windows: the watchdog alone
        assert background_module.parent_death_signal() is None
    assert hasattr(os, "fork") == (sys.platform != "win32")


WATCHED = r"""
import ctypes, importlib, sys, time


class NoPrctl(ctypes.CDLL):
    def __getattr__(self, name):
        if name == "prctl":
            raise AttributeError(name)
        return super().__getattr__(name)


ctypes.CDLL = NoPrctl
background = importlib.import_module("seccoop.safety.background")
assert background.parent_death_signal() is None
worker = background.in_background(time.sleep, 120)
print(worker.pid, flush=True)
time.sleep(120)
"""


def _gone(pid: int) -> bool:
    """Whether a process has ended (a zombie no one has reaped yet has ended too)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    state = subprocess.run(["ps", "-o", "stat=", "-p", str(pid)], capture_output=True, text=True).stdout.strip()
    return state == "" or state.startswith("Z")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no forked worker where there is no fork")
def test_without_prctl_the_watchdog_alone_ends_a_worker_whose_parent_died():
    """macOS and the BSDs have no PR_SET_PDEATHSIG: the worker's watchdog thread sees its parent
    change and exits (docs/safety.md, "Processes")."""
    import signal

    parent = subprocess.Popen(
        [sys.executable, "-c", WATCHED], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        worker = int(parent.stdout.readline())
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait()
    deadline = time.monotonic() + 10  # it looks every 0.2 s
    while not _gone(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    if not _gone(worker):
        os.kill(worker, signal.SIGKILL)  # not to leak it into the rest of the suite
        pytest.fail(f"the worker {worker} outlived its parent")


def _dead_run(folder: Path, token: str = "0123456789abcdef") -> list[str]:
    """What a run killed while writing leaves: its temporary file and its lock, held by no one."""
    names = [f".events.csv.seccoop-{token}.tmp", f".seccoop-{token}.lock"]
    for name in names:
        (folder / name).write_bytes(b"left")
    return names


def test_a_dead_runs_leftovers_are_removed_and_a_live_runs_kept(tmp_path):
    """The platform's own lock (flock; on Windows the lock file held open) tells them apart."""
    if write.LOCKING is None:
        pytest.skip("no lock on this platform: see the next test")
    dead = _dead_run(tmp_path)
    live = write.Staging()
    output = live.open(tmp_path / "a.csv")  # holds its lock and its temporary file
    output.write(b"a\n")
    ours = sorted(p.name for p in tmp_path.iterdir() if live.token in p.name)
    assert all(name not in {p.name for p in tmp_path.iterdir()} for name in dead)
    other = write.Staging()
    other.prepare(tmp_path)  # finds the live run's files: keeps them
    assert sorted(p.name for p in tmp_path.iterdir() if live.token in p.name) == ours
    assert live.commit() == [tmp_path / "a.csv"]
    other.abort()
    assert (tmp_path / "a.csv").read_bytes() == b"a\n"
    assert _leftovers(tmp_path) == []


def test_without_a_lock_no_run_removes_what_another_left(tmp_path, monkeypatch):
    """Where there is neither flock nor Windows' rule (docs/safety.md, "Every platform"), a run
    cannot tell a dead run from a live one: it leaves their files, and still writes its own."""
    monkeypatch.setattr(write, "LOCKING", None)
    dead = _dead_run(tmp_path)
    assert write.write_atomically({tmp_path / "a.csv": b"a\n", tmp_path / "b.csv": b"b\n"}) == [
        tmp_path / "a.csv",
        tmp_path / "b.csv",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*dead, "a.csv", "b.csv"])


def test_a_link_is_never_followed_where_o_nofollow_is_missing(tmp_path, monkeypatch):
    """Windows has no O_NOFOLLOW: a file seccoop reads back (a journal, a temporary file to
    verify) is lstat'ed first, and the file opened must be the one lstat saw."""
    monkeypatch.setattr(write, "_NOFOLLOW", 0)
    (tmp_path / "secret").write_bytes(b"secret")
    try:
        (tmp_path / "link").symlink_to(tmp_path / "secret")
    except OSError:
        pytest.skip("this user may not make links here")
    assert write._sha256_nofollow(tmp_path / "link") is None
    assert write._sha256_nofollow(tmp_path / "secret") is not None
    with pytest.raises(OSError):
        write._open_regular(tmp_path / "link")


# -- the cache folder ----------------------------------------------------------------------------


@pytest.fixture
def no_cache_env(monkeypatch):
    for name in ("SECCOOP_CACHE_DIR", "XDG_CACHE_HOME", "CI"):
        monkeypatch.delenv(name, raising=False)


def _folder(root: Path = ROOT) -> Path | None:
    from seccoop.model.package import Package

    return cache.folder(Package(root))


@pytest.mark.usefixtures("no_cache_env")
def test_the_cache_folder_is_the_systems_cache_folder_for_the_user(tmp_path, monkeypatch):
    """Neither SECCOOP_CACHE_DIR nor XDG_CACHE_HOME set: `seccoop` in the system's folder for the
    user's caches (platformdirs): ~/.cache on Linux, ~/Library/Caches on macOS."""
    import platformdirs

    if sys.platform == "win32":  # %LOCALAPPDATA%, from Windows itself: not made here
        assert cache.system_cache_folder() == platformdirs.user_cache_dir()
        return
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    expected = {"linux": ".cache", "darwin": "Library/Caches"}.get(sys.platform)
    if expected is not None:
        assert cache.system_cache_folder() == str(tmp_path / "home" / expected)
    assert _folder() == Path(os.path.realpath(platformdirs.user_cache_dir())) / "seccoop"
    assert _folder().is_dir()


@pytest.mark.parametrize("variable", ["XDG_CACHE_HOME", "SECCOOP_CACHE_DIR"])
@pytest.mark.usefixtures("no_cache_env")
def test_the_variables_name_the_cache_folder_on_every_platform(tmp_path, monkeypatch, variable):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv(variable, str(tmp_path / "named"))
    if variable == "SECCOOP_CACHE_DIR":
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))  # SECCOOP_CACHE_DIR comes first
    assert _folder() == Path(os.path.realpath(tmp_path / "named")) / "seccoop"
    assert not (tmp_path / "home").exists() and not (tmp_path / "xdg").exists()


@pytest.mark.usefixtures("no_cache_env")
def test_no_home_folder_means_no_cache(monkeypatch, capsys):
    def nowhere():
        raise RuntimeError("no home folder")

    import platformdirs

    monkeypatch.setattr(platformdirs, "user_cache_dir", lambda *a, **kw: "~/.cache")  # as older versions say it
    with pytest.raises(RuntimeError):
        cache.system_cache_folder()
    monkeypatch.setattr(cache, "system_cache_folder", nowhere)
    assert _folder() is None
    assert "this user has no home folder" in capsys.readouterr().err
