"""The quality measures of docs/quality.md: the sample coded twice, the pinned codings, the
agreement statistics, and that the published table is what the script computes."""

from __future__ import annotations

import re

import pytest
import yaml
from conftest import ROOT

from seccoop.quality import agreement, coding, sample, stats
from seccoop.quality.__main__ import SEED_ARTICLE

QUALITY = ROOT / "docs" / "quality"
CATALOG = ROOT.parent / "shared" / "texts" / "CATALOG.tsv"
SOURCES = yaml.safe_load((ROOT / "data" / "curated" / "sources.yaml").read_text(encoding="utf-8"))


def test_the_sample_holds_what_the_issue_asks():
    """At least 8 sources, every language and group of kinds of the catalog drawn, at least 5 of
    them withheld news or wire copy, each a source of the package."""
    chosen = sample.read(QUALITY / "sample.tsv")
    by_sha = {s["sha256"]: s for s in SOURCES}
    assert len(chosen) >= 8
    assert all(e.sha256 in by_sha for e in chosen)
    assert {e.language for e in chosen} == {"es", "en", "pt"}
    assert {e.stratum[1] for e in chosen} == {"news", "wire", "government", "other"}
    withheld_news = [e for e in chosen if e.kind in ("news", "wire") and by_sha[e.sha256]["text"] == "withheld"]
    assert len(withheld_news) >= 5


@pytest.mark.skipif(not CATALOG.is_file(), reason="the curators' catalog is not beside the checkout")
def test_the_sample_is_reproduced_from_the_catalog():
    drawn = sample.draw(sample.read_catalog(CATALOG, exclude={SEED_ARTICLE}))
    assert drawn == sample.read(QUALITY / "sample.tsv")


def test_the_draw_is_seeded_and_stratified(tmp_path):
    rows = ["sha256\tlanguage\tkind"]
    rows += [f"{i:064x}\tes\tnews" for i in range(10)] + [f"{100 + i:064x}\tes\twire" for i in range(4)]
    rows += [f"{200 + i:064x}\tpt\tnews" for i in range(2)] + [f"{300 + i:064x}\ten\tgovernment" for i in range(3)]
    rows += [f"{400 + i:064x}\ten\t{kind}" for i, kind in enumerate(["interview", "opinion", "encyclopedia"])]
    (tmp_path / "CATALOG.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    entries = sample.read_catalog(tmp_path / "CATALOG.tsv", exclude=set())
    first, again, other = sample.draw(entries), sample.draw(entries), sample.draw(entries, seed=sample.SEED + 1)
    assert first == again and first != other
    assert Counter_of(first) == sample.ALLOCATION


def Counter_of(entries):  # noqa: N802 - reads as the Counter it builds
    counts: dict = {}
    for e in entries:
        counts[e.stratum] = counts.get(e.stratum, 0) + 1
    return counts


def test_kappa_and_alpha_by_hand():
    """Worked by hand: four units, coders agreeing on three. Observed 0.75; kappa's expected
    agreement (2*1 + 2*3)/16 = 0.5, so kappa 0.5; alpha's values n = 8 (a 3, b 5), one
    disagreeing unit: 1 - 7 * 2 / (64 - 9 - 25) = 0.5333."""
    values = [("a", "a"), ("a", "b"), ("b", "b"), ("b", "b")]
    assert agreement.cohen_kappa(values) == pytest.approx(0.5)
    assert agreement.krippendorff_alpha(values) == pytest.approx(1 - 14 / 30)
    assert agreement.cohen_kappa([("a", "a")] * 3) is None  # one category: undefined
    assert agreement.krippendorff_alpha([("a", "b"), ("b", "a")]) == pytest.approx(1 - 3 * 4 / 8)


def _account(unit, spans, kind="event", source="s", **codes):
    return {"unit": unit, "source": source, "kind": kind, "spans": [[a, b, "x"] for a, b in spans], "codes": codes}


def test_matching_needs_half_the_shorter_evidence_and_is_one_to_one():
    first = [_account(1, [(0, 100)]), _account(2, [(200, 220)]), _account(3, [(300, 310)], kind="actor")]
    second = [
        _account(1, [(40, 90)]),  # 50 of its 50 inside unit 1
        _account(2, [(0, 30)]),  # 30 of 30 inside unit 1 too, but unit 1 is taken by the larger share
        _account(3, [(215, 240)]),  # 5 of 20: not half of the shorter
        _account(4, [(300, 310)], kind="event"),  # same characters, another kind
    ]
    pairs = agreement.match(first, second)
    assert [(a["unit"], b["unit"]) for a, b in pairs] == [(1, 1)]
    units = {u.kind: u for u in agreement.unitizing(first, second, pairs)}
    assert (units["event"].first, units["event"].second, units["event"].matched) == (2, 4, 1)
    assert units["event"].f1 == pytest.approx(2 / 6)


def test_a_pinned_coding_holds_no_words(tmp_path):
    """The seed's coding, pinned: offsets, fingerprints and codes; no quote, summary or id."""
    accounts = coding.pin(ROOT, ["southcom-ecuador-2024-01-12"])
    coding.write(accounts, "test", "0" * 40, tmp_path / "c.json")
    text = (tmp_path / "c.json").read_text(encoding="utf-8")
    assert accounts and "quote" not in text and "summary" not in text
    assert "laura-richardson" not in text and "General" not in text
    assert agreement.table(accounts, accounts).count("| 1.00 | 1.00 | 1.00 |") == 5


@pytest.mark.skipif(not (QUALITY / "coding-second.json").is_file(), reason="the second coding is not committed yet")
def test_the_published_table_is_the_scripts():
    """docs/quality.md's tables are what `python -m seccoop.quality agreement` prints from the two
    committed codings."""
    first = coding.read(QUALITY / "coding-first.json")["accounts"]
    second = coding.read(QUALITY / "coding-second.json")["accounts"]
    page = (ROOT / "docs" / "quality.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- agreement: start -->\n(.*?)<!-- agreement: end -->", page, re.S)
    assert found, "docs/quality.md has no agreement table between its markers"
    assert found.group(1) == agreement.table(first, second)


def test_the_data_papers_figures_are_the_packages():
    """docs/data-paper.md's tables are what `python -m seccoop.quality stats` prints from the
    published tables: a release that changes the data changes the paper's figures too."""
    page = (ROOT / "docs" / "data-paper.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- stats: start -->\n(.*?)<!-- stats: end -->", page, re.S)
    assert found, "docs/data-paper.md has no figures between its markers"
    assert found.group(1) == stats.tables(ROOT)


def test_bad_input_is_said_without_a_traceback(tmp_path):
    import subprocess
    import sys

    run = [sys.executable, "-m", "seccoop.quality"]
    unknown = subprocess.run([*run, "ledger", "no-such-source"], cwd=ROOT, capture_output=True, text=True)
    assert unknown.returncode == 1 and "no source `no-such-source`" in unknown.stderr
    absent = subprocess.run(
        [*run, "ledger", "southcom-ecuador-2024-01-12", "--texts", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert absent.returncode == 1 and "not in the texts folder" in absent.stderr
    assert "Traceback" not in unknown.stderr + absent.stderr


@pytest.mark.skipif(not (QUALITY / "coding-second.json").is_file(), reason="the second coding is not committed yet")
def test_the_published_settlement_is_the_scripts():
    """docs/quality.md's settlement table is what `python -m seccoop.quality settlement` prints:
    the two codings against the package's accounts of the sample as they stand."""
    from seccoop.quality.__main__ import current

    first = coding.read(QUALITY / "coding-first.json")["accounts"]
    second = coding.read(QUALITY / "coding-second.json")["accounts"]
    page = (ROOT / "docs" / "quality.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- settlement: start -->\n(.*?)<!-- settlement: end -->", page, re.S)
    assert found, "docs/quality.md has no settlement table between its markers"
    assert found.group(1) == agreement.settlement(first, second, current(ROOT))
