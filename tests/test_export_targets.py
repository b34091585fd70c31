"""`export --out` through the real command: a link, a device, a FIFO or one of the package's own
files is refused before any work (exit 2, for every format alike), and nothing outside the
package and the named target is read or written: a decoy beside the package stays untouched and
never appears in any output."""

from __future__ import annotations

import os

import pytest
from conftest import invoke, run_cli, snapshot

SECRET = "decoy-6f1c2a secret line that must never be read or written"
FORMATS = [("csv", ["--table", "events"]), ("json", []), ("jsonl", []), ("sqlite", []), ("parquet", [])]


@pytest.fixture
def decoy(tmp_path):
    path = tmp_path / "decoy.txt"
    path.write_text(SECRET + "\n", encoding="utf-8")
    return path


def _refused(result, *words):
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and SECRET not in result.stdout + result.stderr
    for word in words:
        assert word in result.stderr, result.stderr


@pytest.mark.parametrize("fmt, args", FORMATS)
def test_a_link_as_out_is_refused_and_its_target_untouched(base_package, tmp_path, decoy, fmt, args):
    link = tmp_path / "out"
    link.symlink_to(decoy)
    _refused(invoke("export", str(base_package), "--format", fmt, *args, "--out", str(link)), "is a link")
    assert link.is_symlink() and decoy.read_text(encoding="utf-8") == SECRET + "\n"


def test_a_link_to_standard_output_is_refused(base_package, tmp_path):
    link = tmp_path / "fd1"
    link.symlink_to("/proc/self/fd/1")
    # a process of its own: its standard output is a real file descriptor, not the test's
    _refused(run_cli("export", str(base_package), "--format", "json", "--out", str(link)), "is a link")
    assert link.is_symlink()


@pytest.mark.parametrize("fmt, args", FORMATS)
def test_a_device_is_refused_and_stays_a_device(base_package, fmt, args):
    _refused(invoke("export", str(base_package), "--format", fmt, *args, "--out", "/dev/null"), "is a device")
    assert not os.path.isfile("/dev/null")


def test_a_fifo_is_refused_at_once(base_package, tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    # a process of its own, with a timeout: a hang would not hang the tests
    _refused(run_cli("export", str(base_package), "--format", "jsonl", "--out", str(fifo)), "is a FIFO")


@pytest.mark.parametrize(
    "target",
    [
        "data/curated/actors.yaml",
        "datapackage.json",
        "data/events.csv",
        "seeds/alpha.txt",
        "schema/actor.schema.json",
        "data/curated/new.csv",
    ],
)
def test_the_packages_own_files_are_never_an_export_target(base_package, target):
    before = snapshot(base_package)
    out = base_package / target
    _refused(
        invoke("export", str(base_package), "--format", "csv", "--table", "events", "--out", str(out)),
        "the package's own files",
    )
    assert snapshot(base_package) == before


def test_the_packages_own_folders_are_never_a_folder_target(base_package):
    before = snapshot(base_package)
    for folder, fmt in (("data", "csv"), ("seeds", "html"), ("data/curated", "csv")):
        _refused(
            invoke("export", str(base_package), "--format", fmt, "--out", str(base_package / folder)),
            "the package's own files",
        )
    assert snapshot(base_package) == before


def test_a_link_inside_an_out_folder_is_not_followed(base_package, tmp_path, decoy):
    out = tmp_path / "tables"
    out.mkdir()
    (out / "events.csv").symlink_to(decoy)
    result = invoke("export", str(base_package), "--format", "csv", "--out", str(out))
    _refused(result, "link")
    assert decoy.read_text(encoding="utf-8") == SECRET + "\n"
    assert sorted(p.name for p in out.iterdir()) == ["events.csv"]  # nothing else written or left
