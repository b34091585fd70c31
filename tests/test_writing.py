"""Writing safely (docs/safety.md, "Writing"): export targets, temporary files of dead and live runs,
cleanup that runs to the end, and commits of several files through a journal."""

from __future__ import annotations

import errno
import hashlib
import importlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import invoke, snapshot

write = importlib.import_module("seccoop.safety.write")
build_module = importlib.import_module("seccoop.published.build")
export_module = importlib.import_module("seccoop.exports.export")
cli = importlib.import_module("seccoop.cli")

DECOY = b"decoy: nothing may read or replace this file\n"


def leftovers(folder: Path) -> list[str]:
    """Everything a run leaves while it writes: temporary, lock and journal files."""
    return sorted(p.name for p in folder.rglob(".*") if ".seccoop-" in p.name)


def change_a_curated_value(package: Path) -> None:
    path = package / "data" / "curated" / "events.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("Over 30 officers were injured", "More than 30 officers were injured"), encoding="utf-8"
    )


# -- export targets --------------------------------------------------------------------------------


def test_a_device_is_refused(base_package):
    with pytest.raises(write.TargetRefused, match=r"/dev/null: is a device"):
        write.check_export_target(Path("/dev/null"), base_package, folder=False)
    result = invoke("export", str(base_package), "--format", "json", "--out", "/dev/null")
    assert result.returncode == 2 and "/dev/null: is a device" in result.stderr


def test_a_fifo_is_refused_without_hanging(base_package, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(write.TargetRefused, match=r"pipe: is a FIFO"):
        write.check_export_target(fifo, base_package, folder=False)
    result = subprocess.run(
        [sys.executable, "-m", "seccoop", "export", str(base_package), "--format", "jsonl", "--out", str(fifo)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "is a FIFO" in result.stderr


@pytest.mark.parametrize("fmt", ["json", "sqlite", "csv"])
def test_a_link_is_refused_and_what_it_points_at_is_untouched(base_package, tmp_path, fmt):
    decoy = tmp_path / "decoy.txt"
    decoy.write_bytes(DECOY)
    link = tmp_path / "out"
    link.symlink_to(decoy)
    with pytest.raises(write.TargetRefused, match=r"out: is a link"):
        write.check_export_target(link, base_package, folder=False)
    args = ["--table", "events"] if fmt == "csv" else []
    result = invoke("export", str(base_package), "--format", fmt, *args, "--out", str(link))
    assert result.returncode == 2 and "is a link" in result.stderr
    assert decoy.read_bytes() == DECOY and link.is_symlink()


def test_staging_never_replaces_a_link_or_a_special_file(tmp_path):
    decoy = tmp_path / "decoy.txt"
    decoy.write_bytes(DECOY)
    (tmp_path / "link.csv").symlink_to(decoy)
    os.mkfifo(tmp_path / "fifo.csv")
    for name, kind in (("link.csv", "a link"), ("fifo.csv", "a FIFO")):
        with (
            pytest.raises(write.WriteRefused, match=f"{name}: is {kind}, not a regular file"),
            write.Staging() as staging,
        ):
            staging.open(tmp_path / "fine.csv").write(b"x\n")
            staging.open(tmp_path / name).write(b"y\n")
    assert decoy.read_bytes() == DECOY
    assert sorted(p.name for p in tmp_path.iterdir()) == ["decoy.txt", "fifo.csv", "link.csv"]


@pytest.mark.parametrize(
    "inside, folder",
    [
        ("data/curated/events.yaml", False),
        ("data/curated", True),
        ("data/events.csv", False),
        ("datapackage.json", False),
        ("seeds/alpha.txt", False),
        ("seeds/new.json", False),
        ("schema/new.json", False),
        ("data", True),
    ],
)
def test_the_package_s_own_files_are_refused(base_package, inside, folder):
    before = snapshot(base_package)
    with pytest.raises(write.TargetRefused, match=r"is inside the package's own files"):
        write.check_export_target(base_package / inside, base_package, folder=folder)
    # Reached through a link on the way, it is the same place.
    (base_package.parent / "via").symlink_to(base_package)
    with pytest.raises(write.TargetRefused, match=r"is inside the package's own files"):
        write.check_export_target(base_package.parent / "via" / inside, base_package, folder=folder)
    fmt = "html" if folder else "json"
    result = invoke("export", str(base_package), "--format", fmt, "--out", str(base_package / inside))
    assert result.returncode == 2 and "own files" in result.stderr
    assert snapshot(base_package) == before


def test_ordinary_targets_pass(base_package, tmp_path):
    write.check_export_target(tmp_path / "new.json", base_package, folder=False)
    write.check_export_target(tmp_path, base_package, folder=True)
    write.check_export_target(base_package / "exports" / "site", base_package, folder=True)
    with pytest.raises(write.TargetRefused, match="is a folder; this export writes a file"):
        write.check_export_target(tmp_path, base_package, folder=False)


# -- temporary files -------------------------------------------------------------------------------


def test_cleanup_runs_to_the_end_when_close_fails(tmp_path):
    staging = write.Staging()
    outputs = [staging.open(tmp_path / f"{n}.csv") for n in range(3)]
    for output in outputs:
        output.write(b"rows\n")

    def full_disk():
        raise OSError(errno.ENOSPC, "No space left on device")

    outputs[0].file.close = full_disk  # a buffered write that fails on close, as a full disk does
    with pytest.raises(OSError, match="No space left"):
        staging.abort()
    assert leftovers(tmp_path) == [] and list(tmp_path.iterdir()) == []


def test_a_failure_reports_itself_not_the_cleanup(tmp_path, monkeypatch):
    real_unlink = os.unlink

    def unlink(path, *args, **kwargs):
        if str(path).endswith(".tmp") and "0.csv" in str(path):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_unlink(path, *args, **kwargs)

    with pytest.raises(KeyboardInterrupt) as raised, write.Staging() as staging:
        staging.open(tmp_path / "0.csv").write(b"a\n")
        staging.open(tmp_path / "1.csv").write(b"b\n")
        monkeypatch.setattr(os, "unlink", unlink)
        raise KeyboardInterrupt
    monkeypatch.undo()
    notes = "\n".join(raised.value.__notes__)
    assert "could not remove" in notes and ".0.csv.seccoop-" in notes
    assert [p.name for p in tmp_path.iterdir() if p.name != ".0.csv.seccoop-" + staging.token + ".tmp"] == []


def test_a_file_staged_whole_is_closed_at_once_and_committed_or_removed(tmp_path):
    (tmp_path / "kept.html").write_bytes(b"old\n")
    with write.Staging() as staging:
        staging.write(tmp_path / "kept.html", b"new\n")
        staging.write(tmp_path / "added.html", b"added\n")
        assert all(output.file.closed for _, _, output in staging._staged)  # no descriptor held per file
        staging.commit()
    assert (tmp_path / "kept.html").read_bytes() == b"new\n" and (tmp_path / "added.html").read_bytes() == b"added\n"
    with pytest.raises(KeyboardInterrupt), write.Staging() as staging:
        staging.write(tmp_path / "kept.html", b"newer\n")
        raise KeyboardInterrupt
    assert sorted(p.name for p in tmp_path.iterdir()) == ["added.html", "kept.html"]
    assert (tmp_path / "kept.html").read_bytes() == b"new\n"


DEAD_RUN = textwrap.dedent("""
    import importlib, os, sys
    from pathlib import Path
    write = importlib.import_module("seccoop.safety.write")
    staging = write.Staging()
    staging.open(Path(sys.argv[1]) / "a.csv").write(b"dead run\\n")
    staging.open(Path(sys.argv[1]) / "b.csv").write(b"dead run\\n")
    print(staging.token, flush=True)
    os._exit(9)  # killed: nothing cleans up
""")


def test_the_next_run_removes_what_dead_runs_left_and_not_what_live_runs_write(tmp_path):
    out = tmp_path / "out"
    dead = subprocess.run([sys.executable, "-c", DEAD_RUN, str(out)], capture_output=True, text=True)
    dead_token = dead.stdout.strip()
    assert len(leftovers(out)) == 3  # two temporary files and the lock
    live = write.Staging()
    live.open(out / "c.csv").write(b"live run\n")
    live_files = set(leftovers(out)) - {n for n in leftovers(out) if dead_token in n}
    assert len(live_files) == 2

    with write.Staging() as staging:
        staging.open(out / "a.csv").write(b"next run\n")
        assert dead_token not in " ".join(leftovers(out))
        assert live_files <= set(leftovers(out))
        staging.commit()
    assert set(leftovers(out)) == live_files
    live.commit()
    assert leftovers(out) == [] and sorted(p.name for p in out.iterdir()) == ["a.csv", "c.csv"]


def disk_full_on_staged_write(monkeypatch, n: int) -> None:
    """As conftest.disk_full_on_write, counting only files opened for writing: the reading gate
    (seccoop.safety.paths) opens files with os.fdopen too."""
    real_fdopen, calls = os.fdopen, []

    def fdopen(fd, mode="r", *args, **kwargs):
        if "w" in mode:
            calls.append(fd)
            if len(calls) == n:
                os.close(fd)
                raise OSError(errno.ENOSPC, "No space left on device")
        return real_fdopen(fd, mode, *args, **kwargs)

    monkeypatch.setattr(os, "fdopen", fdopen)


def test_a_full_disk_midway_leaves_no_temporary_file_and_no_folder_it_made(base_package, tmp_path, monkeypatch):
    site = tmp_path / "new" / "site"
    disk_full_on_staged_write(monkeypatch, 2)
    with pytest.raises(OSError, match="No space left"):
        export_module.export(base_package, "html", out=str(site))
    assert list(tmp_path.iterdir()) == [base_package]

    monkeypatch.undo()
    change_a_curated_value(base_package)
    before = snapshot(base_package)
    disk_full_on_staged_write(monkeypatch, 3)
    with pytest.raises(OSError, match="No space left"):
        build_module.build(base_package)
    assert snapshot(base_package) == before and leftovers(base_package) == []


# -- commits through a journal ---------------------------------------------------------------------


def forge_journal(package: Path) -> Path:
    """A journal and a temporary file as a pull request could commit them: right names, right
    sha256, even the device and inode, but not the change time only this machine can give."""
    token = "0123456789abcdef"
    forged = b'{"name": "forged"}\n'
    tmp = package / f".datapackage.json.seccoop-{token}.tmp"
    tmp.write_bytes(forged)
    st = os.lstat(tmp)
    journal = package / f".seccoop-{token}.journal"
    journal.write_text(
        json.dumps(
            {
                "files": [
                    {
                        "tmp": tmp.name,
                        "target": "datapackage.json",
                        "sha256": hashlib.sha256(forged).hexdigest(),
                        "dev": st.st_dev,
                        "ino": st.st_ino,
                        "ctime_ns": st.st_ctime_ns - 1,
                    }
                ]
            }
        ),
        encoding="utf-8",
    )
    return journal


def test_a_forged_journal_renames_nothing(base_package):
    journal = forge_journal(base_package)
    before = snapshot(base_package)
    result = invoke("check", str(base_package))
    assert result.returncode == 1
    assert f"{journal.name}: error package-interrupted" in result.stdout
    assert snapshot(base_package) == before  # check never writes

    messages: list[str] = []
    build_module.build(base_package, notify=messages.append)
    assert messages == [
        f"removed {journal.name}: a journal that matches no interrupted build here (it renamed nothing); rebuilding"
    ]
    assert b"forged" not in (base_package / "datapackage.json").read_bytes()
    assert leftovers(base_package) == []
    assert invoke("check", str(base_package)).returncode == 0


def test_a_build_killed_between_renames_is_finished_by_the_next_build(base_package, monkeypatch):
    change_a_curated_value(base_package)
    real_replace, renames = os.replace, []

    def replace(src, dst):
        if len(renames) == 1:
            raise KeyboardInterrupt  # killed after the first rename
        renames.append(dst)
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(KeyboardInterrupt):
        build_module.build(base_package)
    monkeypatch.undo()
    journals = [p.name for p in base_package.glob(".seccoop-*.journal")]
    assert len(journals) == 1
    waiting = [p for p in base_package.rglob(".*.seccoop-*.tmp")]
    assert waiting  # every file but the first is still waiting

    before = snapshot(base_package)
    result = invoke("check", str(base_package))
    assert result.returncode == 1 and f"{journals[0]}: error package-interrupted" in result.stdout
    assert snapshot(base_package) == before

    messages: list[str] = []
    assert build_module.build(base_package, notify=messages.append) == []  # the journal did it all
    finished = sorted(m.removeprefix("finished an interrupted build: ") for m in messages)
    assert finished == sorted(
        base_package.joinpath(p.parent, p.name.split(".seccoop-")[0][1:]).relative_to(base_package).as_posix()
        for p in waiting
    )
    assert leftovers(base_package) == []
    assert invoke("check", str(base_package)).returncode == 0


def test_an_export_killed_between_renames_is_finished_by_the_next_export_there(base_package, tmp_path, monkeypatch):
    out = tmp_path / "tables"
    export_module.export(base_package, "csv", out=str(out))
    old = snapshot(out)
    change_a_curated_value(base_package)
    build_module.build(base_package)
    real_replace, renames = os.replace, []

    def replace(src, dst):
        if len(renames) == 1:
            raise KeyboardInterrupt
        renames.append(dst)
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(KeyboardInterrupt):
        export_module.export(base_package, "csv", out=str(out))
    monkeypatch.undo()
    assert snapshot(out) != old and len(list(out.glob(".seccoop-*.journal"))) == 1

    staging = write.Staging()
    staging.prepare(out)
    assert staging.recovered and set(staging.recovered) <= {
        out / f"{t}.csv" for t in export_module.load_published(base_package).names
    }
    staging.abort()
    assert leftovers(out) == []
    fresh = tmp_path / "fresh"
    export_module.export(base_package, "csv", out=str(fresh))
    assert snapshot(out) == snapshot(fresh)


# -- planted names (docs/safety.md, "Writing") ---------------------------------------------------

DEAD = "0123456789abcdef"  # the token of a run that never ran here


def plant_folder(path: Path) -> Path:
    """A folder, with a file of someone's in it, where seccoop keeps its own files."""
    path.mkdir()
    (path / "keep").write_bytes(DECOY)
    return path


@pytest.mark.parametrize(
    "name",
    [
        f"data/.events.csv.seccoop-{DEAD}.tmp",
        f"data/.seccoop-{DEAD}.lock",
        f"data/.seccoop-{DEAD}.journal",
        f".seccoop-{DEAD}.journal",
        f"data/.seccoop-{DEAD}.lock-new",
        f"data/.x.db.seccoop-{DEAD}.tmp-wal",
    ],
)
def test_a_folder_planted_at_a_dead_run_s_name_is_refused_and_kept(base_package, name):
    """Clearing a dead run's leftovers unlinked it: IsADirectoryError, exit 3. A folder is never
    seccoop's (it makes none there) and not its to remove: the build is refused (exit 1), naming it,
    before anything is removed or written."""
    change_a_curated_value(base_package)
    planted = plant_folder(base_package / name)
    before = snapshot(base_package)
    result = CliRunner().invoke(cli.main, ["build", str(base_package)])
    assert result.exit_code == 1, result.output
    assert f"cannot write {planted}: is a folder, at a name seccoop keeps for its own" in result.stderr
    assert "remove or rename it; nothing was changed" in result.stderr and "bug" not in result.stderr
    assert snapshot(base_package) == before and (planted / "keep").read_bytes() == DECOY
    assert leftovers(base_package) == [planted.name]  # this run's lock and temporary files are gone


def test_a_folder_planted_in_an_export_folder_is_a_refused_target(base_package, tmp_path):
    out = tmp_path / "tables"
    out.mkdir()
    planted = plant_folder(out / f".events.csv.seccoop-{DEAD}.tmp")
    result = CliRunner().invoke(cli.main, ["export", str(base_package), "--format", "csv", "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert f"{planted}: is a folder" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == [planted.name]


@pytest.mark.parametrize("name", ["lock", "tmp", "journal"])
def test_anything_at_a_name_of_this_run_s_own_is_refused(tmp_path, name):
    """A name with the run's own fresh token can only have been planted: refused, never written
    through, replaced or removed (it was FileExistsError or IsADirectoryError, exit 3)."""
    staging = write.Staging()
    planted = plant_folder(
        tmp_path
        / {
            "lock": f".seccoop-{staging.token}.lock",
            "tmp": f".a.csv.seccoop-{staging.token}.tmp",
            "journal": f".seccoop-{staging.token}.journal",
        }[name]
    )
    (tmp_path / "a.csv").write_bytes(b"old\n")
    with pytest.raises(write.WriteRefused, match=f"{planted}: something is already there"), staging:
        staging.open(tmp_path / "a.csv").write(b"new\n")
        staging.open(tmp_path / "b.csv").write(b"new\n")  # two files: committed through a journal
        staging.commit()
    assert (tmp_path / "a.csv").read_bytes() == b"old\n" and not (tmp_path / "b.csv").exists()
    assert leftovers(tmp_path) == [planted.name] and (planted / "keep").read_bytes() == DECOY


def test_a_journal_nested_too_deeply_is_stale_not_a_crash(base_package):
    """A dead run's journal is a stranger's JSON: read with its depth bounded (RecursionError, exit 3,
    before), it matches no interrupted build, so it is removed and renames nothing."""
    journal = base_package / f".seccoop-{DEAD}.journal"
    journal.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    messages: list[str] = []
    build_module.build(base_package, notify=messages.append)
    assert messages == [
        f"removed {journal.name}: a journal that matches no interrupted build here (it renamed nothing); rebuilding"
    ]
    assert leftovers(base_package) == []


def test_a_file_where_a_folder_is_written_is_refused(base_package):
    data = base_package / "data"
    shutil.rmtree(data)
    data.write_bytes(DECOY)  # mkdir(exist_ok=True) raised FileExistsError: exit 3
    result = CliRunner().invoke(cli.main, ["build", str(base_package)])
    assert result.exit_code == 1, result.output
    assert f"cannot write {data}: is not a folder" in result.stderr
    assert data.read_bytes() == DECOY


def test_a_folder_put_where_an_interrupted_build_renames_is_never_renamed_over(base_package, monkeypatch):
    """os.replace onto a folder raised IsADirectoryError (exit 3): such a journal no longer
    verifies, and the build that follows refuses the folder by name."""
    change_a_curated_value(base_package)
    real_replace, renames = os.replace, []

    def replace(src, dst):
        if len(renames) == 1:
            raise KeyboardInterrupt  # killed after the first rename
        renames.append(dst)
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(KeyboardInterrupt):
        build_module.build(base_package)
    monkeypatch.undo()
    [journal] = base_package.glob(".seccoop-*.journal")
    waiting = sorted(base_package.rglob(".*.seccoop-*.tmp"))
    target = waiting[0].with_name(waiting[0].name.split(".seccoop-")[0][1:])
    target.unlink()
    plant_folder(target)
    messages: list[str] = []
    with pytest.raises(write.WriteRefused, match=f"{target}: is a folder, not a file"):
        build_module.build(base_package, notify=messages.append)
    assert messages == [
        f"removed {journal.name}: a journal that matches no interrupted build here (it renamed nothing); rebuilding"
    ]
    assert (target / "keep").read_bytes() == DECOY and leftovers(base_package) == []
