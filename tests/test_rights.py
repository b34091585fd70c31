"""Source rights (docs/rights.md): a package with one included and one withheld source, whose
texts the tests own. The withheld source is added as a curator would (`seccoop add-source`), its
quotes pinned (`seccoop locate --pin`), some of its words left unpublished; then every way of
checking it with and without its text, and every artefact searched for words it must not ship."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT, copy_package, invoke, snapshot

GAMMA = (
    "date 2024-04-02 Freedonia and Ruritania sign a river patrol accord\n\n"
    "The ministers of Freedonia and Ruritania signed a joint patrol accord on the river border. "
    "The accord will start in May, said the Freedonian minister. "
    "Smugglers had moved cargo across the dark river for years, according to officials on both banks. "
    "A second meeting of the two ministers is planned for the autumn, in the capital of Ruritania.\n"
)
# Words of the withheld text that no published quote holds: found in no artefact.
SECRET = "Smugglers had moved cargo across the dark river for years"
GAMMA_SHA = hashlib.sha256(GAMMA.encode("utf-8")).hexdigest()
GAMMA_URL = "https://example.org/gamma"  # a withheld text needs one: where its words are read

EVENTS = """\
- id: patrol-accord-signed
  type: cooperation
  status: occurred
  summary: Freedonia and Ruritania agreed to patrol the river together.
  date: {earliest: null, latest: "2024-04-02", precision: open}
  participants:
    - {actor: freedonia, role: participant}
    - {actor: ruritania, role: participant}
  evidence:
    - source: gamma
      quote: signed a joint patrol accord
    - source: gamma
      quote: The ministers of Freedonia and Ruritania signed a joint patrol accord on the river border.
- id: smuggling-across-river
  type: violence
  status: ongoing
  summary: Smugglers have long moved cargo over the river.
  date: {earliest: null, latest: null, precision: open}
  participants: []
  evidence:
    - source: gamma
      quote: Smugglers had moved cargo across the dark river for years, according to officials on both banks.
"""


def _check(pkg: Path, *args: str, env: dict | None = None) -> tuple[int, dict]:
    result = invoke("check", str(pkg), "--format", "json", *args, env=env)
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout)


def _codes(report: dict) -> list[str]:
    return [p["code"] for p in report["errors"]]


@pytest.fixture(scope="module")
def rights_package(tmp_path_factory, built_base) -> dict[str, Path]:
    """The base package plus a withheld source `gamma` (text in <pkg>/texts/), added and pinned
    by the real commands, with one quote left published; built."""
    home = tmp_path_factory.mktemp("rights")
    pkg = copy_package(built_base, home / "pkg")
    document = home / "gamma.txt"
    document.write_text(GAMMA, encoding="utf-8")
    added = invoke("add-source", str(document), "--package", str(pkg), "--id", "gamma", "--url", GAMMA_URL)
    assert added.returncode == 0, added.stderr
    assert "no --text given: the text is withheld" in added.stdout
    assert (pkg / "texts" / f"{GAMMA_SHA}.txt").read_text(encoding="utf-8") == GAMMA
    assert not any(p.read_bytes() == GAMMA.encode() for p in (pkg / "seeds").iterdir())
    (pkg / "data" / "curated" / "events").mkdir(exist_ok=True)
    events = pkg / "data" / "curated" / "events" / "gamma.yaml"
    events.write_text(EVENTS, encoding="utf-8")
    code, report = _check(pkg)
    # Said once for the file, with how many more: one command pins them all.
    unpinned = [p for p in report["errors"] if p["code"] == "evidence-unpinned"]
    assert len(unpinned) == 1 and "2 more quote(s) of withheld texts in this file" in unpinned[0]["message"], report
    pinned = invoke("locate", "--pin", "--package", str(pkg))
    assert pinned.returncode == 0, pinned.stderr
    assert "pinned 3 span(s) in 1 file(s)" in pinned.stdout
    # The curator publishes only the short quote: the others keep offsets and fingerprint.
    text = events.read_text(encoding="utf-8")
    kept = [
        line
        for line in text.splitlines(keepends=True)
        if not (line.strip().startswith("quote:") and line.split(": ", 1)[1].strip() != "signed a joint patrol accord")
    ]
    events.write_text("".join(kept), encoding="utf-8")
    built = invoke("build", str(pkg))
    assert built.returncode == 0, built.stderr + built.stdout
    return {"pkg": pkg, "home": home}


@pytest.fixture
def pkg(rights_package, tmp_path) -> Path:
    return copy_package(rights_package["pkg"], tmp_path / "pkg")


def test_with_the_withheld_text_present_every_quote_is_verified(pkg):
    code, report = _check(pkg)
    assert code == 0, report
    assert report["valid"] and report["unverified"] == {}
    assert {p["code"] for p in report["errors"]} == {"event-without-participants"}  # the smugglers are unnamed


def test_the_published_tables_hold_fingerprints_and_only_published_words(pkg):
    spans = {row["id"]: row for row in _rows(pkg / "data" / "spans.csv") if row["source"] == "gamma"}
    assert len(spans) == 4  # the first line, and three quotes
    for row in spans.values():
        start, end = int(row["start"]), int(row["end"])
        assert int(row["length"]) == end - start
        assert row["sha256"] == hashlib.sha256(GAMMA[start:end].encode("utf-8")).hexdigest()
    published = sorted(row["quote"] for row in spans.values() if row["quote"])
    assert published == [
        "date 2024-04-02 Freedonia and Ruritania sign a river patrol accord",
        "signed a joint patrol accord",
    ]
    source = next(row for row in _rows(pkg / "data" / "sources.csv") if row["id"] == "gamma")
    assert (source["text"], source["licence"], source["path"]) == ("withheld", "unknown", "")
    assert int(source["length"]) == len(GAMMA) and source["sha256"] == GAMMA_SHA


def test_without_the_text_check_is_clean_and_says_what_it_could_not_verify(pkg):
    (pkg / "texts" / f"{GAMMA_SHA}.txt").unlink()
    before = snapshot(pkg)
    code, report = _check(pkg)
    assert code == 0 and report["valid"], report
    assert report["unverified"] == {"gamma": 4}
    # Spans the last release did not publish are warned of (an annotation in CI), once per
    # curated file, at the first of them, with how many more.
    assert {p["code"] for p in report["errors"]} == {"evidence-unverified", "event-without-participants"}
    unverified = [p for p in report["errors"] if p["code"] == "evidence-unverified"]
    files = {p["file"] for p in unverified}
    assert len(unverified) == len(files)
    told = sum(1 + int(m.group(1)) if (m := re.search(r"so are (\d+) more", p["message"])) else 1 for p in unverified)
    assert told == 4
    text = invoke("check", str(pkg))
    assert text.returncode == 0
    assert "4 span(s) of 1 withheld source(s) not verified: their texts are not in the texts folder" in text.stdout
    # Listed as released, they are not warned of again; the build without the text is the same bytes.
    released = pkg / "data" / "curated" / "released-spans.txt"
    released.write_text("".join(row["id"] + "\n" for row in _rows(pkg / "data" / "spans.csv")), encoding="utf-8")
    code, report = _check(pkg)
    assert code == 0 and report["counts"] == {"errors": 0, "warnings": 1}, report
    built = invoke("build", str(pkg))
    assert built.returncode == 0 and "derived files are up to date" in built.stdout, built.stdout + built.stderr
    assert {k: v for k, v in snapshot(pkg).items() if not k.endswith("released-spans.txt")} == {
        k: v for k, v in before.items() if not k.endswith("released-spans.txt")
    }


def test_require_texts_makes_a_missing_text_an_error(pkg):
    (pkg / "texts" / f"{GAMMA_SHA}.txt").unlink()
    code, report = _check(pkg, "--require-texts")
    assert code == 1
    [problem] = [p for p in report["errors"] if p["code"] == "source-text-missing"]
    assert problem["file"] == "data/curated/sources.yaml" and problem["path"] == "$[2].sha256"
    assert f"texts/{GAMMA_SHA}.txt" in problem["message"]


def test_the_texts_folder_can_be_named(pkg, tmp_path):
    elsewhere = tmp_path / "my-texts"
    (pkg / "texts").rename(elsewhere)
    assert _check(pkg)[1]["unverified"] == {"gamma": 4}
    assert _check(pkg, "--texts", str(elsewhere))[1]["unverified"] == {}
    assert _check(pkg, env={"SECCOOP_TEXTS": str(elsewhere)})[1]["unverified"] == {}


def test_a_tampered_text_names_the_file_and_the_hash_mismatch(pkg):
    path = pkg / "texts" / f"{GAMMA_SHA}.txt"
    path.write_text(GAMMA.replace("autumn", "spring"), encoding="utf-8")
    code, report = _check(pkg)
    assert code == 1
    [problem] = [p for p in report["errors"] if p["code"] == "source-checksum"]
    assert problem["file"] == "data/curated/sources.yaml"
    assert f"`texts/{GAMMA_SHA}.txt` has sha256 " in problem["message"]
    assert "not this source's text" in problem["message"]
    assert "git" not in problem["hint"]  # git never held a withheld text: it cannot give it back


def test_a_link_in_the_texts_folder_names_the_file_and_says_nothing_of_git(pkg, tmp_path):
    path = pkg / "texts" / f"{GAMMA_SHA}.txt"
    elsewhere = tmp_path / "gamma.txt"
    path.rename(elsewhere)
    path.symlink_to(elsewhere)
    for args in ((), ("--texts", str(pkg / "texts"))):  # read from the package, and as a folder of its own
        code, report = _check(pkg, *args)
        assert code == 1
        [problem] = [p for p in report["errors"] if p["code"] == "file-link"]
        assert problem["file"] == "data/curated/sources.yaml" and problem["path"] == "$[2].sha256"
        assert f"texts/{GAMMA_SHA}.txt` is a symbolic link" in problem["message"], problem
        assert "git" not in problem["hint"] and "package's own files" not in problem["message"], problem


def test_a_copy_that_differs_outside_the_quotes_verifies_by_fingerprint(pkg, tmp_path):
    copy = tmp_path / "copy.txt"
    copy.write_bytes(
        (
            "Saved from the web on 3 April\r\n"
            + GAMMA.replace("\n", "\r\n").replace("in the capital", "in  the capital")
        ).encode("utf-8")
    )
    result = invoke("verify", "gamma", str(copy), "--package", str(pkg))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 of 4 span(s) verified" in result.stdout
    copy.write_text(GAMMA.replace("joint patrol", "joint  patrol"), encoding="utf-8")
    result = invoke("verify", "gamma", str(copy), "--package", str(pkg))
    assert result.returncode == 1
    assert "2 of 4 span(s) verified" in result.stdout


def test_published_quotes_over_the_budget_fail_with_a_clear_message(pkg):
    events = pkg / "data" / "curated" / "events" / "gamma.yaml"
    text = events.read_text(encoding="utf-8")
    long_quote = "Smugglers had moved cargo across the dark river for years, according to officials on both banks."
    start = GAMMA.index(long_quote)
    text = text.replace(f"      start: {start}\n", f"      quote: {long_quote}\n      start: {start}\n")
    events.write_text(text, encoding="utf-8")
    code, report = _check(pkg)
    assert code == 1
    [problem] = [p for p in report["errors"] if p["code"] == "quote-budget"]
    assert problem["file"] == "data/curated/sources.yaml" and problem["path"] == "$[2].text"
    assert "covers 124 of its 410 code points (30%); the budget is 10% (41)" in problem["message"]
    assert "data/curated/events/gamma.yaml:" in problem["hint"]


def test_a_long_published_quote_fails_on_its_own(pkg):
    start = GAMMA.index("The ministers")
    end = GAMMA.index("both banks.") + len("both banks.")
    assert end - start > 200
    events = pkg / "data" / "curated" / "events" / "gamma.yaml"
    events.write_text(
        events.read_text(encoding="utf-8")
        + f"""\
- id: accord-and-smuggling
  type: cooperation
  status: occurred
  summary: The accord was signed where smugglers work.
  date: {{earliest: null, latest: "2024-04-02", precision: open}}
  participants: []
  evidence:
    - source: gamma
      quote: {GAMMA[start:end]}
      start: {start}
""",
        encoding="utf-8",
    )
    code, report = _check(pkg)
    assert code == 1
    problems = [p for p in report["errors"] if p["code"] == "quote-budget"]
    [long] = [p for p in problems if p["file"] == "data/curated/events/gamma.yaml"]
    assert long["path"] == "$[2].evidence[0].quote"
    assert long["message"] == (
        f"the quote is {end - start} code points long; a published quote of a withheld text is at most 200"
    )


def test_an_included_text_needs_a_known_licence(pkg):
    sources = pkg / "data" / "curated" / "sources.yaml"
    sources.write_text(
        sources.read_text(encoding="utf-8").replace("licence: CC0-1.0", "licence: unknown", 1), encoding="utf-8"
    )
    code, report = _check(pkg)
    assert code == 1 and "source-rights" in _codes(report)


def test_a_withheld_text_put_in_seeds_is_refused(pkg):
    (pkg / "seeds" / "gamma.txt").write_text(GAMMA, encoding="utf-8")
    code, report = _check(pkg)
    assert code == 1
    [problem] = [p for p in report["errors"] if p["code"] == "source-unlisted"]
    assert problem["file"] == "seeds/gamma.txt"


def test_add_source_refuses_a_copy_added_twice_and_an_included_text_without_licence(pkg, tmp_path):
    again = tmp_path / "again.txt"
    again.write_text(GAMMA.replace("\n", "\r\n") + "\n\n", encoding="utf-8")
    before = snapshot(pkg)
    result = invoke("add-source", str(again), "--package", str(pkg), "--id", "gamma-again", "--url", GAMMA_URL)
    assert result.returncode == 1
    assert "source `gamma` has the same text once whitespace is normalized; nothing was changed" in result.stderr
    other = tmp_path / "other.txt"
    other.write_text("date 2024-05-01 Another accord\n\nWords.\n", encoding="utf-8")
    result = invoke("add-source", str(other), "--package", str(pkg), "--text", "included")
    assert result.returncode == 2 and "--text included needs --licence" in result.stderr
    assert snapshot(pkg) == before


def test_no_artefact_holds_words_a_withheld_text_does_not_publish(pkg, tmp_path):
    """The review page, every export and the nested document: the unpublished words are nowhere,
    though the text is present at export time."""
    out = tmp_path / "out"
    for fmt, target in (("html", out / "review"), ("csv", out / "tables"), ("sqlite", out / "db.sqlite")):
        result = invoke("export", str(pkg), "--format", fmt, "--out", str(target))
        assert result.returncode == 0, result.stderr
    for fmt in ("json", "jsonl"):
        result = invoke("export", str(pkg), "--format", fmt)
        assert result.returncode == 0
        (out / f"all.{fmt}").write_text(result.stdout, encoding="utf-8")
    for name in ("README.md", "LICENSE", "CITATION.cff", "CHANGELOG.md"):  # a release is made from a checkout
        (pkg / name).write_bytes((ROOT / name).read_bytes())
    (pkg / "seeds" / "stray.txt").write_text(GAMMA, encoding="utf-8")  # refused by check: then removed
    assert invoke("export", str(pkg), "--format", "zip", "--out", str(out / "release.zip")).returncode == 1
    (pkg / "seeds" / "stray.txt").unlink()
    result = invoke("export", str(pkg), "--format", "zip", "--out", str(out / "release.zip"))
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(out / "release.zip") as z:
        assert not [n for n in z.namelist() if n.startswith("texts/") or n == "seeds/gamma.txt"]
        for name in z.namelist():
            assert SECRET.encode("utf-8") not in z.read(name), name
            assert hashlib.sha256(z.read(name)).hexdigest() != GAMMA_SHA, name
    flat = invoke("export", str(pkg), "--format", "csv", "--table", "events_flat")
    (out / "events_flat.csv").write_text(flat.stdout, encoding="utf-8")
    files = [p for p in out.rglob("*") if p.is_file()]
    assert len(files) > 20
    for path in files:
        assert SECRET.encode("utf-8") not in path.read_bytes(), path
    with sqlite3.connect(out / "db.sqlite") as db:
        quotes = [q for (q,) in db.execute("SELECT quote FROM spans WHERE source = 'gamma'")]
    assert sorted(q for q in quotes if q) == [
        "date 2024-04-02 Freedonia and Ruritania sign a river patrol accord",
        "signed a joint patrol accord",
    ]
    page = (out / "review" / "source-gamma.html").read_text(encoding="utf-8")
    assert "The text of this source is withheld" in page
    # Each unpublished span is listed by its place and length, with where to read its words.
    assert "words not published here (90 characters)" in page and "words not published here (96 characters)" in page
    assert f'<a href="{GAMMA_URL}" rel="noopener noreferrer">open the publisher&#39;s page</a>' in page
    for path in (pkg / "data").rglob("*"):
        if path.is_file():
            assert SECRET.encode("utf-8") not in path.read_bytes(), path


def _rows(path: Path) -> list[dict]:
    import csv

    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_pinning_says_one_thing_and_exits_by_it(pkg):
    """Where one quote pins and another cannot (its words occur three times), `locate --pin` pins
    the one, names the other, says so once, and exits 1; it never also says every quote is pinned."""
    events = pkg / "data" / "curated" / "events" / "gamma.yaml"
    events.write_text(
        events.read_text(encoding="utf-8") + "- id: accord-start-planned\n  type: cooperation\n  status: planned\n"
        "  summary: The patrol accord is to start in May.\n"
        "  date: {earliest: null, latest: null, precision: open}\n  participants:\n"
        "    - {actor: freedonia, role: participant}\n  evidence:\n"
        "    - source: gamma\n      quote: The accord will start in May\n"
        "    - source: gamma\n      quote: Ruritania\n",
        encoding="utf-8",
    )
    pinned = invoke("locate", "--pin", "--package", str(pkg))
    assert pinned.returncode == 1, pinned.stdout + pinned.stderr
    assert "pinned 1 span(s) in 1 file(s)" in pinned.stdout
    assert "every quote" not in pinned.stdout + pinned.stderr
    assert "not pinned: evidence-ambiguous" in pinned.stderr
    assert "1 span(s) could not be pinned (above)" in pinned.stderr


def test_show_prints_a_spans_words_from_the_text_at_hand(pkg):
    """A span whose words are not published (only offsets and fingerprint) is shown to the curator
    who holds the text; without it, or outside it, `show` says why and exits 1."""
    with (pkg / "data" / "spans.csv").open(encoding="utf-8", newline="") as f:
        spans = [row for row in csv.DictReader(f) if row["source"] == "gamma"]
    unpublished = next(row for row in spans if not row["quote"])
    shown = invoke("show", unpublished["id"], "--package", str(pkg))
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == GAMMA[int(unpublished["start"]) : int(unpublished["end"])] + "\n"
    outside = invoke("show", f"gamma@0-{len(GAMMA) + 1}", "--package", str(pkg))
    assert outside.returncode == 1 and "is not within the text of `gamma`" in outside.stderr
    assert invoke("show", "gamma@12", "--package", str(pkg)).returncode == 2
    shutil.rmtree(pkg / "texts")
    absent = invoke("show", unpublished["id"], "--package", str(pkg))
    assert absent.returncode == 1 and "not in the texts folder" in absent.stderr


def test_a_different_article_that_shares_a_short_span_is_a_different_document(pkg, tmp_path):
    """`verify` judges the document, not only each span: an article that holds one short span of
    common words covers a small share of the source's fingerprinted characters (docs/rights.md)."""
    title = GAMMA.split("\n", 1)[0]  # the source record's own span: a line any copy of the page repeats
    copy = tmp_path / "other.txt"
    copy.write_text(
        f"{title}\n\nA press agency reports that the ports of both countries reopened after the storm.\n",
        encoding="utf-8",
    )
    result = invoke("verify", "gamma", str(copy), "--package", str(pkg))
    assert result.returncode == 1
    found, total = (int(n) for n in re.search(r"they cover (\d+) of the (\d+) characters", result.stdout).groups())
    assert 0 < found <= total / 2, result.stdout
    assert "is a different document, not a copy of gamma" in result.stdout
    whole = tmp_path / "whole.txt"
    whole.write_text("Saved from the web\n" + GAMMA, encoding="utf-8")
    judged = invoke("verify", "gamma", str(whole), "--package", str(pkg))
    assert judged.returncode == 0 and "different document" not in judged.stdout, judged.stdout
    assert "(100%)" in judged.stdout


# -- choosing what to publish; free text; where a reader finds a source ---------------------------


def test_publish_budget_unpublishes_in_place_what_the_budget_cannot_hold(pkg):
    """Over the budget, `locate --pin --publish budget` shows what goes, then writes it: the
    quotes keep their offsets and fingerprints, and the package checks clean."""
    events = pkg / "data" / "curated" / "events" / "gamma.yaml"
    long_quote = "Smugglers had moved cargo across the dark river for years, according to officials on both banks."
    start = GAMMA.index(long_quote)
    text = events.read_text(encoding="utf-8").replace(
        f"      start: {start}\n", f"      quote: {long_quote}\n      start: {start}\n"
    )
    events.write_text(text, encoding="utf-8")
    assert "quote-budget" in _codes(_check(pkg)[1])
    before = snapshot(pkg)
    shown = invoke("locate", "--pin", "--publish", "budget", "--dry-run", "--package", str(pkg))
    assert shown.returncode == 0, shown.stderr
    assert snapshot(pkg) == before  # shown, not written
    assert "data/curated/events/gamma.yaml:" in shown.stdout and "would unpublish the quote of" in shown.stdout
    assert "gamma: publishes " in shown.stdout and "was 124), budget 41" in shown.stdout
    done = invoke("locate", "--pin", "--publish", "budget", "--package", str(pkg))
    assert done.returncode == 0, done.stderr
    assert long_quote not in events.read_text(encoding="utf-8")
    assert f"      start: {start}\n" in events.read_text(encoding="utf-8")  # still pinned, still verifiable
    assert invoke("build", str(pkg)).returncode == 0
    code, report = _check(pkg)
    assert code == 0 and "quote-budget" not in _codes(report), report


def test_publish_needs_pin():
    result = invoke("locate", "--publish", "budget")
    assert result.returncode == 2 and "give it with --pin" in result.stderr


def test_a_summary_that_copies_four_words_of_a_withheld_text_is_refused(pkg):
    events = pkg / "data" / "curated" / "events" / "gamma.yaml"
    text = events.read_text(encoding="utf-8").replace(
        "summary: Smugglers have long moved cargo over the river.",
        "summary: Smugglers had moved cargo at night.",  # four words of the text, one changed in case only
    )
    events.write_text(text, encoding="utf-8")
    code, report = _check(pkg)
    [problem] = [p for p in report["errors"] if p["code"] == "text-copied"]
    assert code == 1 and problem["file"] == "data/curated/events/gamma.yaml" and problem["path"] == "$[1].summary"
    assert "copies 4 words in a row of the withheld text of gamma (its words 1 to 4" in problem["message"]
    assert "smugglers had moved cargo" not in problem["message"].lower()  # where, never the words
    # Names the records hold may be repeated: the accord's parties are actors.
    assert "$[0].summary" not in {p["path"] for p in report["errors"]}


def test_a_source_dated_by_its_url_is_held_to_the_url(pkg):
    sources = pkg / "data" / "curated" / "sources.yaml"
    text = sources.read_text(encoding="utf-8")
    text = text.replace(f"  url: {GAMMA_URL}\n", "  url: https://example.org/2024/04/03/accord\n")
    text = text.replace("  published_from: archive\n", "  published_from: url\n")
    sources.write_text(text, encoding="utf-8")
    code, report = _check(pkg)
    problems = [p for p in report["errors"] if p["code"] == "source-date"]
    assert code == 1 and problems, report
    assert "the URL dates the document 2024-04-03, not 2024-04-02" in problems[-1]["message"]
    assert problems[-1]["hint"] == 'Write `published: "2024-04-03"`.'


def test_a_record_citing_the_archives_first_line_is_refused(pkg):
    actors = pkg / "data" / "curated" / "actors.yaml"
    actors.write_text(
        actors.read_text(encoding="utf-8")
        + "- id: accord-title\n  name: Freedonia and Ruritania sign\n  type: collective\n  evidence:\n"
        + "    - source: gamma\n      start: 16\n      end: 25\n"
        + f"      sha256: {hashlib.sha256(GAMMA[16:25].encode()).hexdigest()}\n",
        encoding="utf-8",
    )
    code, report = _check(pkg)
    [problem] = [p for p in report["errors"] if p["code"] == "evidence-archive-line"]
    assert code == 1 and "the archive added to gamma" in problem["message"], report


def test_an_included_text_ships_as_a_resource_with_its_licence_and_credit(base_package):
    """A text republished under a licence carries its terms with it: a resource of its own in
    datapackage.json, its licence named and the credit the licence asks for, checked by hash."""
    sources = base_package / "data" / "curated" / "sources.yaml"
    text = sources.read_text(encoding="utf-8")
    sources.write_text(text.replace("  licence: CC0-1.0\n", "  licence: CC-BY-SA-4.0\n", 1), encoding="utf-8")
    code, report = _check(base_package)
    [problem] = [p for p in report["errors"] if p["code"] == "source-rights"]
    assert code == 1 and "asks for attribution" in problem["message"]
    credit = "“Ruritania and Freedonia to share intelligence”, Ruritanian Times, CC BY-SA 4.0, unchanged"
    text = text.replace("  licence: CC0-1.0\n", f"  licence: CC-BY-SA-4.0\n  attribution: {credit}\n", 1)
    sources.write_text(text, encoding="utf-8")
    assert invoke("build", str(base_package)).returncode == 0
    descriptor = json.loads((base_package / "datapackage.json").read_text(encoding="utf-8"))
    resource = next(r for r in descriptor["resources"] if r["name"] == "text-alpha")
    raw = (base_package / "seeds" / "alpha.txt").read_bytes()
    assert resource["path"] == "seeds/alpha.txt" and resource["hash"] == "sha256:" + hashlib.sha256(raw).hexdigest()
    assert resource["licenses"] == [{"name": "CC-BY-SA-4.0", "path": "https://spdx.org/licenses/CC-BY-SA-4.0.html"}]
    assert resource["sources"][0]["title"] == credit and credit in resource["description"]
    assert _check(base_package)[0] == 0


@pytest.fixture
def checkout_without_texts(real_package):
    """The real package as a checkout beside which no curators' texts folder lies, with .ci/texts
    and the environment's seccoop (as .venv/bin/seccoop)."""
    (real_package / ".ci").mkdir()
    shutil.copy2(ROOT / ".ci" / "texts", real_package / ".ci" / "texts")
    (real_package / ".venv" / "bin").mkdir(parents=True)
    (real_package / ".venv" / "bin" / "seccoop").symlink_to(Path(sys.executable).parent / "seccoop")
    assert not (real_package.parent / "shared" / "texts").exists()  # ../shared/texts, as .ci/texts looks
    return real_package


def _ci_texts(checkout: Path, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("CI", "SECCOOP_NO_TEXTS", "SECCOOP_TEXTS")}
    return subprocess.run(
        ["bash", str(checkout / ".ci" / "texts")], env={**clean, **env}, capture_output=True, text=True, timeout=600
    )


def test_ci_without_the_texts_fails_unless_told_so_on_purpose(checkout_without_texts):
    failed = _ci_texts(checkout_without_texts, CI="true")
    assert failed.returncode == 1 and "the curators' texts folder ../shared/texts is missing" in failed.stderr
    assert "SECCOOP_NO_TEXTS=1" in failed.stderr
    local = _ci_texts(checkout_without_texts)  # a clone on a laptop: says what it left undone
    assert local.returncode == 0 and "left to a run that has it" in local.stdout


@pytest.mark.slow
def test_ci_told_there_are_no_texts_checks_what_it_can(checkout_without_texts):
    told = _ci_texts(checkout_without_texts, CI="true", SECCOOP_NO_TEXTS="1")
    assert told.returncode == 0, told.stdout + told.stderr
    assert "none here, on purpose" in told.stdout and "valid (0 error(s)," in told.stdout


def test_publish_refuses_curated_data_that_is_not_of_its_shape(pkg):
    sources = pkg / "data" / "curated" / "sources.yaml"
    sources.write_text(sources.read_text(encoding="utf-8").replace("  length: 410\n", '  length: "410"\n'), "utf-8")
    before = snapshot(pkg)
    result = invoke("locate", "--pin", "--publish", "budget", "--package", str(pkg))
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert "data/curated/sources.yaml: record 3 is not of the source schema's shape" in result.stderr
    assert snapshot(pkg) == before
