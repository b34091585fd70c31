"""SIGKILL at random moments (docs/safety.md): `check`, `build` and every export are killed a few
dozen times on a generated package of about 1k events. Afterwards no process of theirs is left, no
temporary file survives the next run, and every set of files is wholly old or wholly new.

Not timed: the moments are drawn within each command's own measured duration."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, snapshot

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

KILLS_PER_EXPORT = 4
KILLS_OF_BUILD = 6
KILLS_OF_CHECK = 4
EXPORTS = {
    "csv": "tables",
    "json": "seccoop.json",
    "jsonl": "seccoop.jsonl",
    "sqlite": "seccoop.db",
    "parquet": "parquet",
    "html": "site",
}


def seccoop(*args: str) -> list[str]:
    return [sys.executable, "-m", "seccoop", *args]


def group_members(group: int) -> list[int]:
    """Every live process in a process group, read from /proc."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue  # gone meanwhile
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z" and int(fields[2]) == group:  # state, ppid, pgrp
            members.append(int(entry))
    return members


def assert_no_process_left(group: int) -> None:
    deadline = time.monotonic() + 5  # a worker's watchdog looks every 0.2 s
    while (left := group_members(group)) and time.monotonic() < deadline:
        time.sleep(0.05)
    for pid in left:
        os.kill(pid, signal.SIGKILL)  # not to leak them into the rest of the suite
    assert not left, f"processes left behind by a killed seccoop: {left}"


def run_killed(args: list[str], delay: float) -> None:
    """Start a command in its own process group, SIGKILL it (only it) after `delay` seconds, and
    check that nothing it started outlives it."""
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        process.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert_no_process_left(process.pid)


def run_whole(args: list[str]) -> float:
    start = time.monotonic()
    result = subprocess.run(args, capture_output=True, text=True, timeout=300, start_new_session=True)
    assert result.returncode == 0, result.stderr
    return time.monotonic() - start


def leftovers(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob(".*") if ".seccoop-" in p.name)


def digests(path: Path) -> dict[str, str]:
    """The file set at `path`: a folder's files, or one file."""
    if path.is_dir():
        return {k: v for k, v in snapshot(path).items() if ".seccoop-" not in k}
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest()} if path.exists() else {}


def derived(package: Path) -> dict[str, str]:
    files = snapshot(package)
    return {
        k: v
        for k, v in files.items()
        if k == "datapackage.json" or (k.startswith("data/") and "/" not in k[5:] and ".seccoop-" not in k)
    }


def journal_in(folder: Path) -> bool:
    return any(folder.glob(".seccoop-*.journal"))


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("kill") / "pkg"
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "generate.py"),
            "--events",
            "1000",
            "--seed",
            "0",
            "--out",
            str(out),
        ],
        check=True,
        capture_output=True,
    )
    run_whole(seccoop("build", str(out)))
    return out


@pytest.mark.slow  # a few dozen commands killed on a 1k-event package
def test_killed_commands_leave_no_process_no_temporary_file_and_no_torn_file_set(package, tmp_path):
    rng = random.Random(11)
    curated = sorted((package / "data" / "curated" / "events").glob("*.yaml"))[0]
    old_text = curated.read_text(encoding="utf-8")
    new_text = old_text.replace("  summary: ", "  summary: Revised, ", 1)
    assert new_text != old_text

    # check never writes, whenever it is killed
    before = snapshot(package)
    took = run_whole(seccoop("check", str(package)))
    for _ in range(KILLS_OF_CHECK):
        run_killed(seccoop("check", str(package)), rng.uniform(0.1, took))
    assert snapshot(package) == before

    # every export, once whole on the old data: its old file set
    old, took_export = {}, {}
    for fmt, name in EXPORTS.items():
        took_export[fmt] = run_whole(seccoop("export", str(package), "--format", fmt, "--out", str(tmp_path / name)))
        old[fmt] = digests(tmp_path / name)

    # build, from the old curated data to the new; each state seen after a kill is judged once the
    # new set is known
    old_derived = derived(package)
    curated.write_text(new_text, encoding="utf-8")
    seen = []
    for _ in range(KILLS_OF_BUILD):
        run_killed(seccoop("build", str(package)), rng.uniform(0.1, took * 1.1))
        seen.append((derived(package), journal_in(package) or journal_in(package / "data")))
    run_whole(seccoop("build", str(package)))
    new_derived = derived(package)
    assert new_derived != old_derived
    # Killed before its journal was written, the set is wholly old; after the renames, wholly new;
    # in between, the journal is there for the next build to roll forward.
    assert all(state in (old_derived, new_derived) or journal for state, journal in seen)
    assert leftovers(package) == []
    run_whole(seccoop("check", str(package)))

    # every export, killed, then whole on the new data
    for fmt, name in EXPORTS.items():
        target = tmp_path / name
        seen = []
        for _ in range(KILLS_PER_EXPORT):
            run_killed(
                seccoop("export", str(package), "--format", fmt, "--out", str(target)),
                rng.uniform(0.1, took_export[fmt]),
            )
            seen.append((digests(target), target.is_dir() and journal_in(target)))
        run_whole(seccoop("export", str(package), "--format", fmt, "--out", str(target)))
        new = digests(target)
        assert new != old[fmt], fmt
        assert all(state in (old[fmt], new) or journal for state, journal in seen), fmt
        assert leftovers(tmp_path) == [], fmt
    assert leftovers(package) == []


def test_a_worker_dies_with_its_parent():
    """The forked Frictionless worker is not left waiting when its parent is SIGKILLed."""
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                "import importlib, sys, time\n"
                "background = importlib.import_module('seccoop.safety.background')\n"
                "worker = background.in_background(time.sleep, 120)\n"
                "print('started', flush=True)\n"
                "time.sleep(120)\n"
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert parent.stdout.readline() == "started\n"
    assert len(group_members(parent.pid)) == 2
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    assert_no_process_left(parent.pid)
