"""The fixture corpus: every case in tests/fixtures/{valid,invalid}/<case>/case.yaml, run through
the real CLI on a copy of the tiny fixture package with the case's changes applied.

A case says what to change (`edits`, `write`, `write_latin1`, `delete`, `symlink`, `mkfifo`, `chmod`;
`build: true` to rebuild after the change) and what must come out: the exit code, and every
problem as (code, file, line). `outside` writes decoy files beside the package (a link in the case
may point at them): what they hold must appear in no output, and they must stay unchanged. Each
run also proves that `check` (and a refused `build`) changed no file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml
from conftest import FIXTURES, invoke, snapshot

CASES = sorted(FIXTURES.glob("*/*/case.yaml"))


def _cases():
    """Every case; in the developer's loop (`pytest -m "not slow"`) every valid and warning case
    and the first invalid case of each family (the name's first word: yaml, schema, evidence, ...),
    the other invalid cases marked slow: the README's test command runs them all."""
    families = set()
    for path in CASES:
        kind, name = path.parent.parent.name, path.parent.name
        family = name.split("-")[0]
        further = kind == "invalid" and family in families
        families.add(family)
        yield pytest.param(path, id=f"{kind}/{name}", marks=[pytest.mark.slow] if further else [])


def apply_case(case: dict, pkg: Path) -> None:
    for rel, content in (case.get("outside") or {}).items():
        (pkg.parent / rel).parent.mkdir(parents=True, exist_ok=True)
        (pkg.parent / rel).write_bytes(content.encode("utf-8"))
    for edit in case.get("edits", ()):
        path = pkg / edit["file"]
        text = path.read_text(encoding="utf-8")
        count = edit.get("count", 1)
        assert text.count(edit["old"]) >= 1, f"fixture edit does not apply: {edit['old']!r} in {edit['file']}"
        path.write_bytes(text.replace(edit["old"], edit["new"], count).encode("utf-8"))
    for rel, content in (case.get("write") or {}).items():
        (pkg / rel).parent.mkdir(parents=True, exist_ok=True)
        (pkg / rel).write_bytes(content.encode("utf-8"))
    for rel, content in (case.get("write_latin1") or {}).items():
        (pkg / rel).write_bytes(content.encode("latin-1"))
    for rel in case.get("delete", ()):
        path = pkg / rel
        if path.is_dir():
            import shutil

            shutil.rmtree(path)
        else:
            path.unlink()
    for rel, target in (case.get("symlink") or {}).items():
        (pkg / rel).unlink(missing_ok=True)
        os.symlink(target, pkg / rel)
    for rel in case.get("mkfifo", ()):
        (pkg / rel).unlink(missing_ok=True)
        os.mkfifo(pkg / rel)
    for rel, mode in (case.get("chmod") or {}).items():
        os.chmod(pkg / rel, mode)


@pytest.mark.parametrize("case_file", list(_cases()))
def test_fixture_case(case_file: Path, base_package: Path):
    case = yaml.safe_load(case_file.read_text(encoding="utf-8"))
    apply_case(case, base_package)
    if case.get("build"):  # a change to curated data that is meant to be built, then checked
        built = invoke("build", str(base_package))
        assert built.returncode == 0, built.stdout + built.stderr
    before = snapshot(base_package)
    expect = case["expect"]

    result = invoke("check", str(base_package), "--format", "json")
    assert "Traceback" not in result.stderr
    outside = case.get("outside") or {}
    for rel, content in outside.items():  # nothing beyond the package was read or written
        secret = content.strip().splitlines()[-1]
        assert secret not in result.stdout + result.stderr, rel
        assert (base_package.parent / rel).read_bytes() == content.encode("utf-8"), rel
    assert result.returncode == expect["exit"], result.stdout + result.stderr
    report = json.loads(result.stdout)
    got = sorted((p["code"], p["file"], p["line"]) for p in report["errors"])
    want = sorted((p["code"], p.get("file"), p.get("line")) for p in expect.get("problems", ()))
    assert got == want, json.dumps(report["errors"], indent=1, ensure_ascii=False)
    for want_problem in expect.get("problems", ()):
        if "message" in want_problem:  # the words a curator reads, where the case names them
            assert any(
                want_problem["message"] in p["message"] + " " + (p["hint"] or "")
                for p in report["errors"]
                if (p["code"], p["file"], p["line"])
                == (want_problem["code"], want_problem.get("file"), want_problem.get("line"))
            ), (want_problem, report["errors"])
    for problem in report["errors"]:
        assert problem["message"] and problem["hint"], problem
        if problem["line"] is not None:
            assert problem["line"] >= 1 and problem["column"] >= 1

    assert snapshot(base_package) == before, "check must never write"

    curated_errors = [p for p in got if not p[0].startswith("package-")]
    if expect["exit"] == 1 and curated_errors:
        # A build of bad data is refused with the same exit code, and writes nothing.
        built = invoke("build", str(base_package))
        assert "Traceback" not in built.stderr
        assert built.returncode == 1, built.stdout + built.stderr
        assert snapshot(base_package) == before, "a refused build must write nothing"
        for rel, content in outside.items():
            assert content.strip().splitlines()[-1] not in built.stdout + built.stderr, rel
            assert (base_package.parent / rel).read_bytes() == content.encode("utf-8"), rel
