"""`seccoop diff` on crafted documents (docs/safety.md, "Reading untrusted JSON"): whatever a
stranger publishes as data/seccoop.json (a wrong type at any key diff reads, a key removed or
added, deep nesting, no object at all, huge or non-finite numbers, half of a surrogate pair,
bytes that are no UTF-8 or no JSON), diff exits 2 naming the version and the file, or 0 or 1
where the document is in fact well-formed; never 3, never a traceback.

The examples run in-process (click's runner, through the same exit-status mapping as the real
command); a few run the real CLI too, to show it answers the same."""

from __future__ import annotations

import json
import math
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import run_cli
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import seccoop
from seccoop.cli import main
from seccoop.versions.revisions import Unreadable

KINDS = ("sources", "actors", "relations", "events", "commitments")
MAX_DEPTH = 64  # the whole document's bound (seccoop.safety.untrusted.MAX_DEPTH)
HALF_PAIR = re.compile(r"[\ud800-\udfff]")

# Put into the serialized document in place of a marker string: what json.dumps cannot write.
RAW = {
    "@@deep@@": "[" * 100_000 + "]" * 100_000,  # past any parser's stack
    "@@huge@@": "7" * 5000,  # more digits than Python converts to an int
    "@@1e999@@": "1e999",
    "@@-Infinity@@": "-Infinity",
    "@@NaN@@": "NaN",
}


# -- what the answer must be, said independently of seccoop.diff -------------------------------


def expected(raw: bytes) -> set[int]:
    """{2} for a document diff must refuse, {0, 1} for one it must compare."""
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):  # no UTF-8, no JSON, an int too long, too deep to parse
        return {2}
    return {0, 1} if well_formed(doc) else {2}


def well_formed(doc) -> bool:
    """A document of the shape seccoop publishes, as far as diff reads it: an object whose kinds
    are lists of objects with unique string ids; evidence a list of spans (source a string, start
    and end integers, quote and id strings or null); accounts a list of objects, one per source
    (a string); every record nested at most 62 levels (the document's 64), every number finite,
    every string and key UTF-8 text."""
    if not isinstance(doc, dict):
        return False
    ids = set()
    for kind in KINDS:
        records = doc.get(kind, [])
        if not isinstance(records, list):
            return False
        for record in records:
            if not isinstance(record, dict) or not isinstance(record.get("id"), str) or record["id"] in ids:
                return False
            ids.add(record["id"])
            evidence = record.get("evidence")
            if evidence is not None and not (isinstance(evidence, list) and all(map(span_ok, evidence))):
                return False
            if "accounts" in record:
                accounts = record["accounts"]
                if not (
                    isinstance(accounts, list)
                    and all(isinstance(a, dict) and isinstance(a.get("source"), str) for a in accounts)
                ):
                    return False
                if len({a["source"] for a in accounts}) != len(accounts):
                    return False
            if depth(record) > MAX_DEPTH - 2 or not plain(record):
                return False
    return True


def span_ok(span) -> bool:
    def is_int(v):
        return isinstance(v, int) and not isinstance(v, bool)

    return (
        isinstance(span, dict)
        and isinstance(span.get("source"), str)
        and is_int(span.get("start"))
        and is_int(span.get("end"))
        and isinstance(span.get("quote"), (str, type(None)))
        and isinstance(span.get("id"), (str, type(None)))
    )


def nodes(value):
    """Every value inside `value`, with its depth in containers (`value` itself: 1)."""
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        yield item, level
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        stack.extend((child, level + 1) for child in children)


def depth(value) -> int:
    return max((level for item, level in nodes(value) if isinstance(item, (dict, list))), default=0)


def plain(value) -> bool:
    for item, _ in nodes(value):
        if isinstance(item, float) and not math.isfinite(item):
            return False
        texts = [item] if isinstance(item, str) else list(item) if isinstance(item, dict) else []
        if any(HALF_PAIR.search(text) for text in texts):
            return False
    return True


# -- crafting ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sides(built_base, tmp_path_factory) -> tuple[Path, Path, dict]:
    """The built fixture package (OLD), a copy whose data/seccoop.json each example replaces, and
    the document they both publish."""
    crafted = shutil.copytree(built_base, tmp_path_factory.mktemp("fuzz") / "crafted")
    doc = json.loads((built_base / "data" / "seccoop.json").read_text(encoding="utf-8"))
    return built_base, crafted, doc


def paths(value, here=()) -> list[tuple]:
    """Every place in a document: each key of an object, each member of a list."""
    out = [here]
    if isinstance(value, dict):
        for key, child in value.items():
            out += paths(child, (*here, key))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            out += paths(child, (*here, i))
    return out


scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(-(10**300), 10**300)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8)
    | st.sampled_from(["\ud800", "a\udfffb", "é", "\u202e", "1", "alpha", "", *RAW])
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=6) | st.sampled_from(["source", "id", "\udc80"]), inner, max_size=3)
    ),
    max_leaves=6,
)


def nested(levels: int, leaf) -> object:
    for i in range(levels):
        leaf = [leaf] if i % 2 else {"k": leaf}
    return leaf


@st.composite
def edits(draw, doc: dict):
    """One to three edits: a value replaced (by any JSON value, a deep one, or another record's
    id), a key removed, or a key added, anywhere; then maybe the bytes spoilt."""
    doc = json.loads(json.dumps(doc))
    every_id = [r["id"] for kind in KINDS for r in doc[kind]]
    for _ in range(draw(st.integers(1, 3))):
        where = draw(st.sampled_from(paths(doc)))
        # Deep values nest either far below any parser's limit or far above it, so that whether
        # the document parses at all never depends on the stack depth it is parsed at.
        new = draw(
            st.one_of(
                values, st.builds(nested, st.integers(1, 80), scalars), st.just("@@deep@@"), st.sampled_from(every_id)
            )
        )
        op = draw(st.sampled_from(["replace", "replace", "remove", "add"]))
        parent = doc
        for key in where[:-1]:
            parent = parent[key]
        if op == "add":
            target = parent[where[-1]] if where else doc
            if isinstance(target, dict):
                target[draw(st.sampled_from(["evidence", "accounts", "source", "start", "id", "extra"]))] = new
        elif not where:
            doc = new if op == "replace" else doc
        elif op == "replace":
            parent[where[-1]] = new
        else:
            del parent[where[-1]]
    text = json.dumps(doc, allow_nan=True, ensure_ascii=True)
    for marker, raw in RAW.items():
        text = text.replace(json.dumps(marker), raw)
    data = text.encode("utf-8")
    spoil = draw(st.sampled_from(["none"] * 6 + ["byte", "truncate", "bom"]))
    at = draw(st.integers(0, len(data)))
    if spoil == "byte":
        data = data[:at] + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00"])) + data[at:]
    elif spoil == "truncate":
        data = data[:at]
    elif spoil == "bom":
        data = b"\xef\xbb\xbf" + data
    return data


def run_diff(old: Path, new: Path, fmt: str):
    return CliRunner().invoke(main, ["diff", str(old), str(new), "--format", fmt], catch_exceptions=False)


def assert_answer(result, raw: bytes, crafted: Path, fmt: str) -> None:
    want = expected(raw)
    assert result.exit_code in want, (want, result.exit_code, result.stderr[-2000:], raw[:300])
    assert "Traceback" not in result.output + result.stderr
    if want == {2}:
        assert f"{crafted}: " in result.stderr and "data/seccoop.json" in result.stderr, result.stderr
        assert result.stdout == ""
    elif fmt == "json":  # strict JSON: no NaN, no Infinity
        json.loads(result.stdout, parse_constant=lambda token: pytest.fail(f"{token} in the output"))


FUZZ = dict(
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
DRAWS = dict(
    data=st.data(), fmt=st.sampled_from(["text", "json", "markdown"]), side=st.sampled_from(["new", "old", "both"])
)


@pytest.mark.slow  # the property at CI size
@settings(max_examples=150, **FUZZ)
@given(**DRAWS)
def test_a_crafted_document_exits_2_or_is_compared_never_3(sides, data, fmt, side):
    crafted_document_answers(sides, data, fmt, side)


@settings(max_examples=15, **FUZZ)
@given(**DRAWS)
def test_a_few_crafted_documents_exit_2_or_are_compared(sides, data, fmt, side):
    """The same property on a few examples, for the developer's loop (`pytest -m "not slow"`)."""
    crafted_document_answers(sides, data, fmt, side)


def crafted_document_answers(sides, data, fmt, side):
    base, crafted, doc = sides
    raw = data.draw(edits(doc))
    (crafted / "data" / "seccoop.json").write_bytes(raw)
    old, new = {"new": (base, crafted), "old": (crafted, base), "both": (crafted, crafted)}[side]
    result = run_diff(old, new, fmt)
    event(f"exit {result.exit_code}")  # --hypothesis-show-statistics: both answers are exercised
    assert_answer(result, raw, crafted, fmt)
    if result.exit_code == 2:  # the Python API says the same
        with pytest.raises(Unreadable) as refused:
            seccoop.diff(old, new)
        assert str(refused.value) in result.stderr


# The documents each reader once crashed on, and the real command on some of them.
CRAFTED = {
    "evidence is a number": lambda d: d["events"][0].update(evidence=5),
    "accounts is a number": lambda d: d["events"][0].update(accounts=7),
    "an account's source is a list": lambda d: d["events"][0]["accounts"][0].update(source=["alpha"]),
    "a span is a string": lambda d: d["actors"][0]["evidence"].append("alpha@1-2"),
    "a span's end is true": lambda d: d["actors"][0]["evidence"][0].update(end=True),
    "an id is a number": lambda d: d["actors"][0].update(id=1),
    "a kind is an object": lambda d: d.update(events={}),
    "a record is a list": lambda d: d["events"].append([]),
    "two accounts of one source": lambda d: d["events"][0]["accounts"].append(d["events"][0]["accounts"][0]),
    "a field 600 levels deep": lambda d: d["events"][0].update(date=nested(600, 1)),
    "NaN": lambda d: d["events"][0].update(summary=float("nan")),
    "half a pair in a key": lambda d: d["events"][0].update({"\udc80": 1}),
}


@pytest.mark.parametrize("name", sorted(CRAFTED))
def test_each_crafted_document_is_unreadable_in_process(sides, name):
    base, crafted, doc = sides
    doc = json.loads(json.dumps(doc))
    CRAFTED[name](doc)
    raw = json.dumps(doc, allow_nan=True).encode("utf-8")
    (crafted / "data" / "seccoop.json").write_bytes(raw)
    assert expected(raw) == {2}
    for fmt in ("text", "json", "markdown"):
        result = run_diff(crafted, crafted, fmt)  # both sides: comparing reads both
        assert result.exit_code == 2, result.stderr
        assert_answer(result, raw, crafted, fmt)


@pytest.mark.parametrize(
    "raw, words",
    [
        (b'{"events": [{"id": "e", "x": "\xff"}]}', "not UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (json.dumps({"events": [{"id": "e", "evidence": 5}]}).encode(), "`evidence` is not a list"),
        (b'{"events": [{"id": "e", "n": ' + b"7" * 5000 + b"}]}", "a number too long to read"),
    ],
)
def test_the_real_command_answers_as_the_runner(sides, tmp_path, raw, words):
    base, _, _ = sides
    crafted = shutil.copytree(base, tmp_path / "crafted")
    (crafted / "data" / "seccoop.json").write_bytes(raw)
    real = run_cli("diff", str(base), str(crafted))
    assert real.returncode == 2 and words in real.stderr, real.stderr
    assert real.stdout == "" and "Traceback" not in real.stderr
    runner = run_diff(base, crafted, "text")
    assert runner.exit_code == 2 and runner.stderr.splitlines()[-1] == real.stderr.splitlines()[-1]


def test_a_well_formed_document_is_compared(sides):
    """The oracle is no wall: the published document itself, and one with a changed value, pass."""
    base, crafted, doc = sides
    doc = json.loads(json.dumps(doc))
    raw = json.dumps(doc).encode("utf-8")
    (crafted / "data" / "seccoop.json").write_bytes(raw)
    assert expected(raw) == {0, 1} and run_diff(base, crafted, "json").exit_code == 0
    doc["events"][0]["summary"] = {"nested": [1, 2.5, 10**300, None, "é"]}
    raw = json.dumps(doc).encode("utf-8")
    (crafted / "data" / "seccoop.json").write_bytes(raw)
    result = run_diff(base, crafted, "json")
    assert result.exit_code == 1 and json.loads(result.stdout)["summary"]["changed"] == 1
