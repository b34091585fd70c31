"""The curated-YAML loader on its own: what it refuses and what it keeps exactly."""

from __future__ import annotations

import importlib

import pytest

from seccoop.model.load import load_file

load_module = importlib.import_module("seccoop.model.load")


def _load(tmp_path, text: str | bytes):
    path = tmp_path / "actors.yaml"
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return load_file(path, "actors.yaml", root=tmp_path)


def test_values_keep_the_text_written(tmp_path):
    cf, problems = _load(tmp_path, '- {id: a, date: 2024-01-12, n: 12, x: 1.5, t: true, e: ~, q: "no"}\n')
    assert not problems
    assert cf.records == [(0, {"id": "a", "date": "2024-01-12", "n": 12, "x": 1.5, "t": True, "e": None, "q": "no"})]


def test_billion_laughs_is_refused_not_expanded(tmp_path):
    bomb = (
        "- a: &a [x, x, x, x, x, x, x, x, x]\n  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        "  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n  d: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
    )
    cf, problems = _load(tmp_path, bomb)
    assert [p.code for p in problems] == ["yaml-alias"] and cf.records == []


def test_one_bad_record_does_not_hide_the_others(tmp_path):
    cf, problems = _load(tmp_path, "- {id: a, name: x, name: y}\n- {id: b}\n- {id: c, v: no}\n")
    assert [(p.code, p.line) for p in problems] == [("yaml-duplicate-key", 1), ("yaml-implicit-type", 3)]
    assert [r for _, r in cf.records] == [{"id": "b"}]
    assert cf.withheld == ["a", "c"]


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path, monkeypatch):
    monkeypatch.setattr(load_module, "MAX_FILE_BYTES", 10)
    cf, problems = _load(tmp_path, "- {id: abcdefghijkl}\n")
    assert [p.code for p in problems] == ["file-too-large"] and cf.records == []


def test_positions_count_from_one_in_code_points(tmp_path):
    cf, problems = _load(tmp_path, "- id: a\n  name: 🚨 x\u200b\n")
    assert [(p.code, p.line, p.column) for p in problems] == [("text-invisible", 2, 12)]


@pytest.mark.parametrize(
    "written, value",
    [
        ("0.1", 0.1),
        ("1.50", 1.5),
        (".5", 0.5),
        ("+1.0", 1.0),
        ("-0.0", -0.0),
        ("1.5e+2", 150.0),
        ("0.30000000000000004", 0.30000000000000004),
        ("123456789012345.6", 123456789012345.6),
    ],
)
def test_a_number_a_float_keeps_is_read_in_any_notation(tmp_path, written, value):
    cf, problems = _load(tmp_path, f"- {{id: a, x: {written}}}\n")
    assert not problems and cf.records == [(0, {"id": "a", "x": value})]


@pytest.mark.parametrize(
    "written, published",
    [
        ("240.0000000000000001", "240.0"),  # 0.2.0 published it as 240.0
        ("0.1000000000000000055511151231257827", "0.1"),  # nearer the float than `0.1`, and still not it
        ("1.0e-400", "0.0"),
        ("2.5e-324", "5e-324"),  # too small for a float
        ("1.0e-99999999999999999999", "0.0"),  # beyond even Decimal's exponents
    ],
)
def test_a_number_a_float_does_not_keep_is_refused(tmp_path, written, published):
    cf, problems = _load(tmp_path, f"- {{id: a, x: {written}}}\n")
    assert [(p.code, p.line, p.column) for p in problems] == [("yaml-number-range", 1, 14)] and cf.records == []
    assert problems[0].message.endswith(f"cannot be published as written: as a float it is {published}")
    assert problems[0].hint.startswith(f"Write {published} if that is the value meant")
