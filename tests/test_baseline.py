"""A portable baseline (docs/cache.md, "A portable baseline"; docs/safety.md, "The CI baseline:
trusted by where it came from"): a check of the whole package that found no error, kept with
`--save-baseline DIR` and started from with `--baseline DIR` in a fresh checkout of the same
files elsewhere (new paths, inodes and times) under CI=true, where no other cache is on. Files
are compared by content, so a pull request's one edited file is checked with what it reaches
only, and the answer is the cold one. Where the baseline cannot be used (none, of another
seccoop, damaged, in a folder others can write) the check is cold and says why in one line."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import test_recheck
from conftest import copy_package, invoke
from test_cache import _answer
from test_recheck import EDITS, _files, _scopes, package_rel

from seccoop import check

stories = test_recheck.stories  # the generated package of 28 sources in stories (a fixture), built once here


@pytest.fixture
def in_ci(monkeypatch, tmp_path) -> Path:
    """CI=true, with a user's cache folder that must stay unused, and a folder for the baseline."""
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("SECCOOP_CACHE_DIR", str(tmp_path / "user-cache"))
    (tmp_path / "ci-temp").mkdir(mode=0o700)
    return tmp_path / "ci-temp" / "seccoop-baseline"


def _checkout(src: Path, dest: Path) -> Path:
    """A fresh checkout of the same files: another folder, new inodes, new times."""
    shutil.copytree(src, dest, symlinks=True, copy_function=shutil.copyfile)
    return dest


def test_a_fresh_checkout_starts_from_the_base_commits_baseline(stories, tmp_path, in_ci, monkeypatch, capsys):
    main = copy_package(stories, tmp_path / "main")
    saved = check(main, save_baseline=in_ci)
    assert saved.valid or all(p.severity != "error" for p in saved.problems)
    assert capsys.readouterr().err == ""
    assert list(in_ci.glob("seccoop/*.index")) and not (tmp_path / "user-cache").exists()

    pr = _checkout(main, tmp_path / "pull-request")
    edited = _files(pr, "events")[0]
    EDITS["summary"](pr, stories, 0)
    scopes = _scopes(monkeypatch)
    started = check(pr, baseline=in_ci)
    assert capsys.readouterr().err == ""  # the baseline was used: nothing to say
    # only what the edit reaches was checked, as it was and as it is: never the whole package
    assert len(scopes) == 2 and all(s is not None for s in scopes)
    everything = {
        package_rel(p)
        for plural in ("sources", "actors", "relations", "events", "commitments")
        for p in _files(pr, plural)
    }
    assert package_rel(edited) in scopes[0].files and set(scopes[0].files) < everything
    assert _answer(started) == _answer(check(pr, cache=False))
    assert "package-stale" in {p.code for p in started.problems}
    assert not (tmp_path / "user-cache").exists()  # CI=true: the user's cache stays off


def test_the_command_line_starts_from_a_baseline_in_ci(built_base, tmp_path, in_ci):
    main = copy_package(built_base, tmp_path / "main")
    env = {"CI": "true"}
    saved = invoke("check", "--save-baseline", str(in_ci), str(main), env=env)
    assert (saved.returncode, saved.stderr) == (0, "")
    pr = _checkout(main, tmp_path / "pr")
    events = pr / "data" / "curated" / "events.yaml"
    events.write_text(events.read_text(encoding="utf-8").replace("  type: public-statement", "  type: nope", 1))
    started = invoke("check", "--baseline", str(in_ci), str(pr), env=env)
    cold = invoke("check", "--no-cache", str(pr), env=env)
    assert started.stderr == ""
    assert (started.returncode, started.stdout) == (cold.returncode, cold.stdout) and cold.returncode == 1


def _refused_line(err: str, start: str) -> str:
    [line] = err.splitlines()
    assert line.startswith(f"seccoop: {start}"), line
    return line


def test_no_baseline_means_a_cold_check_said_in_one_line(base_package, in_ci, monkeypatch, capsys):
    scopes = _scopes(monkeypatch)
    started = check(base_package, baseline=in_ci)
    line = _refused_line(capsys.readouterr().err, f"the baseline in {in_ci} is not used: ")
    assert "it holds none" in line and line.endswith("checking the whole package")
    assert scopes == [None] and _answer(started) == _answer(check(base_package, cache=False))


def _save_then_edit(built_base, tmp_path, baseline: Path) -> Path:
    main = copy_package(built_base, tmp_path / "main")
    assert check(main, save_baseline=baseline).valid
    pr = _checkout(main, tmp_path / "pr")
    events = pr / "data" / "curated" / "events.yaml"
    events.write_text(events.read_text(encoding="utf-8").replace("summary: ", "summary: Edited. ", 1))
    return pr


def test_a_baseline_of_another_seccoop_is_not_used(built_base, tmp_path, in_ci, monkeypatch, capsys):
    from seccoop.incremental import cache

    pr = _save_then_edit(built_base, tmp_path, in_ci)
    monkeypatch.setattr(cache, "_CODE", "0" * 64)  # the pull request changed seccoop's code
    scopes = _scopes(monkeypatch)
    started = check(pr, baseline=in_ci)
    line = _refused_line(capsys.readouterr().err, f"the baseline in {in_ci} is not used: ")
    assert "holds none for this seccoop" in line
    assert scopes == [None] and _answer(started) == _answer(check(pr, cache=False))


def test_a_damaged_baseline_is_not_used(built_base, tmp_path, in_ci, monkeypatch, capsys):
    from seccoop.incremental import recheck
    from seccoop.model import rights
    from seccoop.model.package import Package

    pr = _save_then_edit(built_base, tmp_path, in_ci)
    package = Package(pr, baseline=in_ci)
    key = recheck.baseline_key(package, rights.texts_folder(package)[0])
    entry = in_ci / "seccoop" / f"{key}.json"
    raw = bytearray(entry.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    entry.write_bytes(bytes(raw))
    scopes = _scopes(monkeypatch)
    started = check(pr, baseline=in_ci)
    line = _refused_line(capsys.readouterr().err, f"the baseline in {in_ci} is not used: ")
    assert "damaged" in line
    assert scopes == [None] and _answer(started) == _answer(check(pr, cache=False))


def test_a_baseline_others_can_write_is_not_used(built_base, tmp_path, in_ci, monkeypatch, capsys):
    """Its digests prove nothing (whoever wrote it could recompute them): a baseline is trusted by
    where it came from, and a folder others can write could hold anyone's, so it is not read."""
    pr = _save_then_edit(built_base, tmp_path, in_ci)
    os.chmod(in_ci / "seccoop", 0o777)
    before = sorted((p.name, p.stat().st_mtime_ns) for p in (in_ci / "seccoop").iterdir())
    scopes = _scopes(monkeypatch)
    started = check(pr, baseline=in_ci)
    line = _refused_line(capsys.readouterr().err, f"the baseline folder {in_ci / 'seccoop'} is not used: ")
    assert "it is writable by other users" in line
    assert scopes == [None] and _answer(started) == _answer(check(pr, cache=False))
    assert sorted((p.name, p.stat().st_mtime_ns) for p in (in_ci / "seccoop").iterdir()) == before


def test_a_baseline_inside_the_checkout_is_not_used(base_package, monkeypatch, capsys):
    monkeypatch.setenv("CI", "true")
    started = check(base_package, save_baseline=base_package / "notes")
    line = _refused_line(capsys.readouterr().err, "the baseline folder ")
    assert "it is inside the package being checked" in line
    assert not (base_package / "notes").exists() and started.valid


def test_saving_reads_nothing_before_and_keeps_only_this_checks_entries(built_base, tmp_path, in_ci, monkeypatch):
    """The folder holds the baseline of an earlier commit, from which this edit could be checked
    within its reach: a check that saves reads none of it, and leaves none of it behind (its
    derived files stale, this package keeps no baseline)."""
    pr = _save_then_edit(built_base, tmp_path, in_ci)
    assert list(in_ci.glob("seccoop/*.index"))
    scopes = _scopes(monkeypatch)
    saved = check(pr, save_baseline=in_ci)
    assert scopes == [None]  # the whole package, whatever the folder held
    assert not list(in_ci.glob("seccoop/*.index")) and not saved.valid
    assert _answer(saved) == _answer(check(pr, cache=False))


def test_an_invalid_package_leaves_no_baseline(base_package, in_ci, capsys):
    events = base_package / "data" / "curated" / "events.yaml"
    events.write_text(events.read_text(encoding="utf-8").replace("  type: public-statement", "  type: nope", 1))
    assert not check(base_package, save_baseline=in_ci).valid
    line = _refused_line(capsys.readouterr().err, f"no baseline was saved in {in_ci}: ")
    assert line.endswith("the check found errors")
    assert not list(in_ci.glob("seccoop/*.index"))


@pytest.mark.parametrize(
    "options",
    [
        ["--baseline", "B", "--save-baseline", "B"],
        ["--no-cache", "--baseline", "B"],
        ["--no-cache", "--save-baseline", "B"],
    ],
)
def test_options_that_do_not_go_together(base_package, tmp_path, options):
    result = invoke("check", *[str(tmp_path / o) if o == "B" else o for o in options], str(base_package))
    assert result.returncode == 2
    assert "do not go together" in result.stderr or "reads and writes no baseline" in result.stderr
    assert not (tmp_path / "B").exists()
