"""The command line as users and CI meet it: exit codes, formats, defaults, and the library behind it."""

from __future__ import annotations

import importlib
import json
import stat

import pytest
from conftest import disk_full_on_write, invoke, snapshot

import seccoop


def _break(pkg, count=3):
    """Introduce `count` independent errors into the fixture package."""
    path = pkg / "data" / "curated" / "actors.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("type: state", "type: stat", 1).replace("type: person", "type: persn")
    text = text.replace("quote: with Freedonia", "quote: with Freedonia, and more")
    path.write_text(text, encoding="utf-8")


def test_no_package_is_a_usage_error(tmp_path):
    result = invoke("check", str(tmp_path))
    assert result.returncode == 2
    assert "no datapackage.json" in result.stderr and "Traceback" not in result.stderr


def test_unknown_option_is_a_usage_error():
    result = invoke("check", "--frobnicate")
    assert result.returncode == 2 and "Traceback" not in result.stderr


def test_default_package_is_the_nearest_one_above(base_package):
    result = invoke("check", cwd=base_package / "data" / "curated")
    assert result.returncode == 0, result.stdout + result.stderr
    assert str(base_package) in result.stdout


def test_text_format_names_file_line_column_code_and_hint(base_package):
    _break(base_package)
    result = invoke("check", str(base_package))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert (
        "data/curated/actors.yaml:3:9: error codelist-unknown `stat` is not a code of actor-types.csv"
        " (field type) [$[0].type]" in lines
    )
    assert any("Did you mean `state`" in line for line in lines)
    assert lines[-1].endswith("invalid (3 error(s), 0 warning(s))")


def test_json_format_has_the_documented_shape(base_package):
    _break(base_package)
    report = json.loads(invoke("check", str(base_package), "--format", "json").stdout)
    assert set(report) == {"valid", "package", "strict", "counts", "truncated", "unverified", "errors"}
    assert report["counts"] == {"errors": 3, "warnings": 0} and report["valid"] is False
    for error in report["errors"]:
        assert set(error) == {"file", "line", "column", "path", "code", "severity", "message", "hint"}
    codes = sorted(e["code"] for e in report["errors"])
    assert codes == ["codelist-unknown", "codelist-unknown", "evidence-not-found"]


def test_github_format_is_chosen_on_github_actions_and_escapes(base_package):
    _break(base_package)
    result = invoke("check", str(base_package), env={"GITHUB_ACTIONS": "true"})
    first = result.stdout.splitlines()[0]
    assert first.startswith("::error file=data/curated/actors.yaml,line=3,col=9,title=codelist-unknown::")
    assert "%0Ahint: " in first and "\n" not in first
    explicit = invoke("check", str(base_package), "--format", "text", env={"GITHUB_ACTIONS": "true"})
    assert explicit.stdout.startswith("data/curated/actors.yaml:3:9: error")


def test_max_errors_says_how_many_were_cut(base_package):
    _break(base_package)
    result = invoke("check", str(base_package), "--max-errors", "1")
    assert result.returncode == 1
    assert "... 2 more problem(s) not shown (--max-errors 1)" in result.stdout
    report = json.loads(invoke("check", str(base_package), "--format", "json", "--max-errors", "2").stdout)
    assert len(report["errors"]) == 2 and report["truncated"] == 1


def test_strict_makes_warnings_fail(base_package):
    path = base_package / "data" / "curated" / "actors" / "extra.yaml"
    path.write_text(
        "- id: police\n  name: Police\n  type: collective\n  evidence:\n"
        "    - source: alpha\n      quote: Police arrested 12 suspects\n",
        encoding="utf-8",
    )
    assert invoke("build", str(base_package)).returncode == 0
    assert invoke("check", str(base_package)).returncode == 0
    strict = invoke("check", str(base_package), "--strict")
    assert strict.returncode == 1 and "actor-unreferenced" in strict.stdout
    # --allow CODE: that warning is still reported, but no longer fails a strict check
    allowed = invoke("check", str(base_package), "--strict", "--allow", "actor-unreferenced")
    assert allowed.returncode == 0 and "warning actor-unreferenced" in allowed.stdout
    other = invoke("check", str(base_package), "--strict", "--allow", "type-other")
    assert other.returncode == 1
    for bad in ("no-such-code", "evidence-not-found"):  # unknown, and an error's code
        refused = invoke("check", str(base_package), "--strict", "--allow", bad)
        assert refused.returncode == 2 and "is not a warning's code" in refused.stderr


def test_library_and_cli_agree(base_package):
    _break(base_package)
    report = seccoop.check(base_package)
    cli = json.loads(invoke("check", str(base_package), "--format", "json").stdout)
    assert report.exit_code == 1 and not report.valid
    assert [p.as_dict() for p in report.sorted()] == cli["errors"]


def test_internal_error_is_exit_3_without_traceback(base_package):
    (base_package / "schema" / "actor.schema.json").write_text("[]", encoding="utf-8")
    result = invoke("check", str(base_package))
    assert result.returncode == 3 and "internal-schema" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_locate_lists_each_occurrence_with_offset(base_package):
    result = invoke("locate", "Ruritania will share intelligence", "--package", str(base_package))
    assert result.returncode == 0
    starts = [line.split("\t")[1] for line in result.stdout.splitlines()]
    assert starts == ["start 64", "start 250"]
    missing = invoke("locate", '"We will share everything,"', "--package", str(base_package))
    assert missing.returncode == 1 and "“We will share everything,”" in missing.stderr


def test_build_refuses_bad_data_and_writes_nothing(base_package):
    _break(base_package)
    before = snapshot(base_package)
    result = invoke("build", str(base_package))
    assert result.returncode == 1 and "nothing was written" in result.stderr
    assert snapshot(base_package) == before


def test_build_failing_midway_leaves_every_old_file_whole(base_package, monkeypatch):
    """A writer that fails after staging some files: no target changes, no temporary file stays."""
    build_module = importlib.import_module("seccoop.published.build")

    text = (base_package / "data" / "curated" / "events.yaml").read_text(encoding="utf-8")
    (base_package / "data" / "curated" / "events.yaml").write_text(
        text.replace("Over 30 officers were injured", "More than 30 officers were injured"), encoding="utf-8"
    )
    before = snapshot(base_package)
    disk_full_on_write(monkeypatch, 2)
    with pytest.raises(OSError):
        build_module.build(base_package)
    assert snapshot(base_package) == before
    assert not list(base_package.rglob("*.tmp"))


def test_build_refuses_a_folder_where_a_file_should_be(base_package):
    (base_package / "data" / "events.csv").unlink()
    (base_package / "data" / "events.csv").mkdir()
    before = snapshot(base_package)
    result = invoke("build", str(base_package))
    assert result.returncode == 1 and "is a folder" in result.stderr and "Traceback" not in result.stderr
    assert snapshot(base_package) == before


def test_build_refuses_a_read_only_target(base_package):
    text = (base_package / "data" / "curated" / "events.yaml").read_text(encoding="utf-8")
    (base_package / "data" / "curated" / "events.yaml").write_text(
        text.replace("in the riots.", "in riots."), encoding="utf-8"
    )
    target = base_package / "data" / "events.csv"
    target.chmod(stat.S_IRUSR)
    before = snapshot(base_package)
    result = invoke("build", str(base_package))
    assert result.returncode == 1 and "read-only" in result.stderr
    assert snapshot(base_package) == before


@pytest.mark.parametrize("written, published", [("240.0000000000000001", "240.0"), ("1.0e-400", "0.0")])
def test_a_number_that_a_float_does_not_keep_is_refused_not_published_changed(base_package, written, published):
    path = base_package / "data" / "curated" / "events.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("lower: 31,", f"lower: {written},"), encoding="utf-8")
    before = snapshot(base_package)
    result = invoke("build", str(base_package))
    assert result.returncode == 1, result.stdout + result.stderr
    assert (
        f"data/curated/events.yaml:31:30: error yaml-number-range the number {written} cannot be published as "
        f"written: as a float it is {published}"
    ) in result.stderr
    assert snapshot(base_package) == before
