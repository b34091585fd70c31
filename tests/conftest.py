"""Shared test helpers: the real package, a tiny two-source package, and the real CLI (in this
process with click's runner, or as a process of its own where a test needs one)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import settings

# Under CI the property tests draw the same examples at every run (derandomized), so a run that
# passed is the run a pull request lands with; elsewhere each run draws new ones and finds more.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI") == "true":
    settings.load_profile("ci")

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
BASE = FIXTURES / "base"


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None, input: str | None = None):
    """Run the installed `seccoop` entry point as a user would, in a subprocess: for what needs a
    process of its own (signals, pipes, real file descriptors, a hang to time out, an environment
    read at start-up such as PYTHONHASHSEED, PYTHONPATH or the locale, another hash seed than the
    tests'). Else use `invoke`."""
    full_env = {k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "seccoop", *args],
        cwd=cwd or ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        input=input,
        timeout=300,
    )


def invoke(*args: str, cwd: Path | None = None, env: dict | None = None, input: str | None = None):
    """The same command as `run_cli`, run in this process with click's runner (a second faster):
    the same command line, exit-status mapping and separate stdout and stderr, in the folder `cwd`
    with `env` added to the environment for the call (TMPDIR too: Python's temporary folder is
    found again, as a new process would). Returns what `run_cli` returns (returncode, stdout,
    stderr). An exception that escapes the command fails the test, as its traceback would in a
    real run. Not for an environment read only at start-up (PYTHONHASHSEED, the locale)."""
    import tempfile

    from click.testing import CliRunner

    from seccoop.cli import main

    overrides = {"GITHUB_ACTIONS": None, **(env or {})}
    here, tempdir = os.getcwd(), tempfile.tempdir
    os.chdir(cwd or ROOT)
    if "TMPDIR" in overrides:
        tempfile.tempdir = None  # cached by the first gettempdir(): read TMPDIR again
    try:
        result = CliRunner().invoke(main, list(args), input=input, env=overrides, catch_exceptions=False)
    finally:
        os.chdir(here)
        tempfile.tempdir = tempdir
    return subprocess.CompletedProcess(["seccoop", *args], result.exit_code, result.stdout, result.stderr)


def first_fast(values) -> list:
    """The cases of a parametrized family, the first in the developer's loop and the others marked
    `slow`: the same path again with other inputs, which the README's test command runs."""
    values = list(values)
    return values[:1] + [pytest.param(value, marks=pytest.mark.slow) for value in values[1:]]


def included_source(name: str, text: str) -> dict:
    """The source record of a made-up text (CC0) kept in seeds/, whose first line is
    ` date YYYY-MM-DD TITLE`: as `seccoop add-source` writes it."""
    first = text.split("\n", 1)[0]
    return {
        "id": name,
        "title": first.split(" ", 3)[3],
        "published": text.split(" ")[2],
        "published_from": "archive",
        "language": "en",
        "publisher": "unknown",
        "url": f"https://example.org/{name}",
        "retrieved": "unknown",
        "extent": "whole",
        "text": "included",
        "licence": "CC0-1.0",
        "path": f"seeds/{name}.txt",
        "sha256": hashlib.sha256(text.encode()).hexdigest(),
        "length": len(text),
        "normalized_sha256": hashlib.sha256(" ".join(text.split()).encode()).hexdigest(),
        "archive_prefix": len(first) + 1,
        "evidence": [{"source": name, "quote": first.strip()}],
    }


def snapshot(folder: Path) -> dict[str, str]:
    """sha256 of every file under a folder, to prove a command changed nothing."""
    out = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink():
            out[path.relative_to(folder).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def opened_for_writing(fd: int) -> bool:
    import fcntl

    return fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE != os.O_RDONLY


def disk_full_on_write(monkeypatch, n: int) -> None:
    """Make the n-th file seccoop opens for writing fail as a full disk would, midway through a write."""
    real_fdopen, calls = os.fdopen, []

    def fdopen(fd, *args, **kwargs):
        if not opened_for_writing(fd):  # reads go through os.fdopen too (seccoop.safety.paths)
            return real_fdopen(fd, *args, **kwargs)
        calls.append(fd)
        if len(calls) == n:
            os.close(fd)
            raise OSError(28, "No space left on device")
        return real_fdopen(fd, *args, **kwargs)

    monkeypatch.setattr(os, "fdopen", fdopen)


def copy_package(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest, symlinks=True)
    return dest


@pytest.fixture(scope="session", autouse=True)
def check_cache(tmp_path_factory) -> Path:
    """The check cache of every seccoop the tests run: a folder of the session's, never the user's
    (docs/cache.md). CI=true turns it off; tests of the cache turn it on again."""
    folder = tmp_path_factory.mktemp("check-cache")
    os.environ["SECCOOP_CACHE_DIR"] = str(folder)
    return folder


@pytest.fixture(scope="session")
def built_base(tmp_path_factory) -> Path:
    """The tiny fixture package with the real schemas, built once by the CLI."""
    dest = tmp_path_factory.mktemp("base") / "pkg"
    shutil.copytree(BASE, dest)
    shutil.copytree(ROOT / "schema", dest / "schema")
    result = invoke("build", str(dest))
    assert result.returncode == 0, result.stderr
    return dest


@pytest.fixture
def base_package(built_base, tmp_path) -> Path:
    """A fresh, writable copy of the built fixture package."""
    return copy_package(built_base, tmp_path / "pkg")


def copy_real(dest: Path) -> Path:
    """A writable copy of the shipped package (curated data, seeds, schemas, derived files) at
    `dest`: the checkout's package, without its tests, docs, code or virtual environment."""
    dest.mkdir(parents=True)
    for name in ("datapackage.json", "seeds", "schema", "data"):
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, dest / name)
    return dest


@pytest.fixture
def real_package(tmp_path) -> Path:
    """A writable copy of the shipped package (curated data, seeds, schemas, derived files)."""
    return copy_real(tmp_path / "real")


def withheld_spans() -> dict[str, int]:
    """How many spans each withheld source of the real package has: what a check without the
    texts leaves unverified, by source id (read from the published tables, so that adding a
    source changes no test)."""
    import csv

    with (ROOT / "data" / "sources.csv").open(encoding="utf-8", newline="") as f:
        withheld = {r["id"] for r in csv.DictReader(f) if r["text"] == "withheld"}
    counts: dict[str, int] = {}
    with (ROOT / "data" / "spans.csv").open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            if row["source"] in withheld:
                counts[row["source"]] = counts.get(row["source"], 0) + 1
    return counts
