"""The sentence ledgers (docs/curating.md, "The sentence ledger"): each source's ledger covers its
whole text, sentence by
sentence, each sentence recorded by records that cite it or explained by a reason; checked on the
real package by offsets alone (no text needed), and the sentence splitter on made-up texts."""

from __future__ import annotations

import functools

import pytest
import yaml
from conftest import ROOT

from seccoop.quality import ledger

SOURCES = yaml.safe_load((ROOT / "data" / "curated" / "sources.yaml").read_text(encoding="utf-8"))
LEDGERED = [s for s in SOURCES if ledger.ledger_path(ROOT, s["id"]).is_file()]


@functools.cache
def _curated() -> list:
    """Every curated list, read once for all the tests."""
    return ledger.curated_lists(ROOT)


def _spans(source_id: str) -> list[tuple[str, int, int]]:
    """Every span of the source in the curated files (withheld texts' spans are all pinned; an
    included text's quote without offsets is found in its text in seeds/)."""
    source = next(s for s in SOURCES if s["id"] == source_id)
    text = (ROOT / source["path"]).read_text(encoding="utf-8") if source["text"] == "included" else ""
    return ledger.evidence(ROOT, source_id, text, _curated())


def test_every_source_has_a_ledger():
    missing = [s["id"] for s in SOURCES if not ledger.ledger_path(ROOT, s["id"]).is_file()]
    assert not missing, f"sources without a sentence ledger: {missing}"


def test_no_ledger_without_its_source():
    ids = {s["id"] for s in SOURCES}
    strays = [p.stem for p in (ROOT / ledger.LEDGERS).glob("*.yaml") if p.stem not in ids]
    assert not strays


@pytest.mark.parametrize(
    "source", [s for s in SOURCES if ledger.ledger_path(ROOT, s["id"]).is_file()], ids=lambda s: s["id"]
)
def test_ledger_covers_the_whole_text(source):
    entries = ledger.read_ledger(ledger.ledger_path(ROOT, source["id"]))
    assert entries[0]["start"] == 0
    assert entries[-1]["end"] == source["length"], "the ledger stops before the text ends"
    for before, after in zip(entries, entries[1:], strict=False):
        assert before["end"] == after["start"], f"a gap or an overlap at {before['end']}..{after['start']}"
    for e in entries:
        assert e["start"] < e["end"]
        assert ("records" in e) != ("reason" in e), f"{e}: either the records or the reason"
        if "reason" in e:
            assert e["reason"] in ledger.REASONS, f"{e}: reason {e['reason']!r} is not a ledger reason"


@pytest.mark.parametrize(
    "source", [s for s in SOURCES if ledger.ledger_path(ROOT, s["id"]).is_file()], ids=lambda s: s["id"]
)
def test_ledger_agrees_with_the_evidence(source):
    """A sentence is listed as recorded by exactly the records with a span inside it: a record
    that cites a sentence the ledger says is not recorded, or a listed record that cites nothing
    there, means the ledger is stale (rerun `python -m seccoop.quality ledger`)."""
    entries = ledger.read_ledger(ledger.ledger_path(ROOT, source["id"]))
    spans = _spans(source["id"])
    for e in entries:
        inside = sorted({rid for rid, a, b in spans if a < e["end"] and b > e["start"]})
        assert e.get("records", []) == inside, f"sentence {e['start']}..{e['end']}"


def test_sentences_cover_the_text_and_keep_abbreviations():
    text = "Gen. Laura Richardson visited on Jan. 22. The U.S. will help.\n\nA new line “ends.” Then more"
    cut = ledger.sentences(text)
    assert cut[0].start == 0 and cut[-1].end == len(text)
    assert all(a.end == b.start for a, b in zip(cut, cut[1:], strict=False))
    pieces = [text[s.start : s.end].strip() for s in cut]
    assert pieces == [
        "Gen. Laura Richardson visited on Jan. 22.",
        "The U.S. will help.",
        "A new line “ends.”",
        "Then more",
    ]


def test_build_keeps_reasons_and_fills_records():
    text = "One thing happened. Another did not."
    old = [{"start": 20, "end": 36, "reason": "scope"}]
    entries = ledger.build(text, [("thing-happened", 0, 18)], old)
    assert entries == [
        {"start": 0, "end": 20, "records": ["thing-happened"]},
        {"start": 20, "end": 36, "reason": "scope"},
    ]
    fresh = ledger.build(text, [], [])
    assert fresh[1]["reason"] == ledger.TODO


TEXTS = ROOT.parent / "shared" / "texts"


@pytest.mark.parametrize("source", LEDGERED, ids=lambda s: s["id"])
def test_ledger_sentences_are_the_texts(source):
    """Where the text is at hand (an included one; a withheld one in the curators' texts folder),
    the ledger's entries are its sentences as the splitter finds them: a ledger of one coarse entry
    would cover the text and still say nothing."""
    if source["text"] == "included":
        text = (ROOT / source["path"]).read_text(encoding="utf-8")
    elif (TEXTS / f"{source['sha256']}.txt").is_file():
        text = (TEXTS / f"{source['sha256']}.txt").read_text(encoding="utf-8")
    else:
        pytest.skip("the withheld text is not here")
    entries = ledger.read_ledger(ledger.ledger_path(ROOT, source["id"]))
    assert [(e["start"], e["end"]) for e in entries] == [(s.start, s.end) for s in ledger.sentences(text)]
