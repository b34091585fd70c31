"""Property: no random edit of valid curated YAML crashes seccoop. Whatever a curator's slip does to
a file (a line deleted, duplicated or moved, a value or key retyped), `check` answers 0 or 1
with a report, never an exception, and `build` either writes a valid package or nothing."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from conftest import snapshot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import seccoop
from seccoop.published.build import BuildFailed

FILES = [
    "data/curated/actors.yaml",
    "data/curated/events.yaml",
    "data/curated/commitments.yaml",
    "data/curated/sources.yaml",
    "data/curated/relations.yaml",
]
ODD_VALUES = [
    "no",
    "yes",
    "on",
    "~",
    "null",
    "[]",
    "{}",
    "012",
    "1.10",
    "0x1F",
    "1:20",
    "2024-13-45",
    "2024-02-01",
    "-1",
    "99999999999999999999",
    "''",
    '"x"',
    "&a x",
    "*a",
    "!!str x",
    "{a: 1}",
    "[a, [b]]",
    "|",
    ">-",
    "- x",
    "#",
    "'",
    '"',
    "é",
    "\u200b",
    "ruritania",
    "alpha",
    "committer",
]


@st.composite
def edits(draw):
    ops = []
    for _ in range(draw(st.integers(1, 3))):
        ops.append(
            (
                draw(st.sampled_from(FILES)),
                draw(st.sampled_from(["delete", "duplicate", "swap", "value", "key", "indent"])),
                draw(st.integers(0, 10_000)),
                draw(st.integers(0, 10_000)),
                draw(st.sampled_from(ODD_VALUES) | st.text(max_size=12)),
            )
        )
    return ops


def mutate(text: str, op: str, i: int, j: int, value: str) -> str:
    lines = text.split("\n")
    i, j = i % len(lines), j % len(lines)
    if op == "delete":
        del lines[i]
    elif op == "duplicate":
        lines.insert(i, lines[i])
    elif op == "swap":
        lines[i], lines[j] = lines[j], lines[i]
    elif op == "value" and ":" in lines[i]:
        key = lines[i].split(":", 1)[0]
        lines[i] = f"{key}: {value}"
    elif op == "key" and ":" in lines[i]:
        indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
        lines[i] = indent + value.replace("\n", " ") + ":" + lines[i].split(":", 1)[1]
    elif op == "indent":
        lines[i] = " " + lines[i]
    return "\n".join(lines)


@pytest.mark.slow  # the property at CI size
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=edits())
def test_random_edits_never_crash(built_base, ops):
    never_crash(built_base, ops)


@settings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=edits())
def test_a_few_random_edits_never_crash(built_base, ops):
    """The same property on a few examples, for the developer's loop (`pytest -m "not slow"`)."""
    never_crash(built_base, ops)


def never_crash(built_base, ops):
    with tempfile.TemporaryDirectory() as tmp:
        pkg = Path(tmp) / "pkg"
        shutil.copytree(built_base, pkg)
        for file, op, i, j, value in ops:
            path = pkg / file
            path.write_text(mutate(path.read_text(encoding="utf-8"), op, i, j, value), encoding="utf-8")
        report = seccoop.check(pkg)
        assert report.exit_code in (0, 1), [p.as_dict() for p in report.problems if p.layer == "internal"]
        for problem in report.problems:
            assert problem.message and problem.code
            assert problem.line is None or problem.line >= 1
        before = snapshot(pkg)
        try:
            seccoop.build(pkg)
        except BuildFailed:
            assert snapshot(pkg) == before, "a refused build must write nothing"
        else:
            assert seccoop.check(pkg).valid, "what build writes must check clean"
