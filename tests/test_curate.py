"""The curator's commands for real pages (issue 15): `add-source` with its metadata from options
where the document has no first line `date YYYY-MM-DD TITLE`, every option checked before anything
is written; `remove-source` of a source nothing cites, its ids retired. Through the real CLI, with
the exact messages, and with proof that a refusal changes nothing."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pytest
from conftest import invoke, snapshot

from seccoop.curator.curate import remove_entry
from seccoop.model.load import load_file

PAGE = "Ruritania opens a border post\n\nRuritania opened a border post, Ruritania opens a border post said.\n"
TITLE = "Ruritania opens a border post"


PAGE_URL = "https://example.org/page"


def _add(pkg: Path, document: Path, *options: str):
    """add-source as a curator runs it: with the page's URL (a withheld text needs one), and for a
    page without the first line `date ...` that its text states the date, unless the test says."""
    extra = [] if "--url" in options else ["--url", PAGE_URL]
    if "--published" in options and "--published-from" not in options:
        extra += ["--published-from", "text"]
    return invoke("add-source", str(document), "--package", str(pkg), *options, *extra)


def _included(pkg: Path, document: Path, *options: str):
    return _add(pkg, document, "--text", "included", "--licence", "CC0-1.0", *options)


def _sources(pkg: Path) -> list[dict]:
    cf, problems = load_file(pkg / "data/curated/sources.yaml", "data/curated/sources.yaml", root=pkg)
    assert problems == []
    return [r for _, r in cf.records]


def _write(path: Path, text: str) -> Path:
    path.write_bytes(text.encode("utf-8"))
    return path


def _clean(pkg: Path) -> None:
    built = invoke("build", str(pkg))
    assert built.returncode == 0, built.stdout + built.stderr
    checked = invoke("check", str(pkg))
    assert checked.returncode == 0 and checked.stdout.endswith("valid (0 error(s), 0 warning(s))\n"), checked.stdout


# -- add-source: options ------------------------------------------------------------------------

_NO_URL = (
    "is not an http:// or https:// address with a host, or holds characters a URL may not (spaces, quotes, "
    "angle brackets, backslashes: percent-encode them)"
)


@pytest.mark.parametrize(
    "option, value, message",
    [
        (
            "--published",
            "2024-02-30",
            "--published '2024-02-30' is not a date YYYY-MM-DD on the calendar (such as 2024-01-12)",
        ),
        (
            "--published",
            "12/01/2024",
            "--published '12/01/2024' is not a date YYYY-MM-DD on the calendar (such as 2024-01-12)",
        ),
        (
            "--language",
            "english",
            "--language 'english' is not a BCP 47 language tag (such as en, es or pt-BR); "
            "for english write --language en",
        ),
        (
            "--language",
            "klingonese",
            "--language 'klingonese' is not a BCP 47 language tag (such as en, es or pt-BR); "
            "give the language's code, not its name",
        ),
        ("--url", "notaurl", f"--url 'notaurl' {_NO_URL}"),
        ("--url", "https://", f"--url 'https://' {_NO_URL}"),
        # a value that would leave an HTML attribute (the review page) or a Markdown link
        (
            "--url",
            'https://x.org/a"><script>alert(1)</script>',
            f"--url 'https://x.org/a\"><script>alert(1)</script>' {_NO_URL}",
        ),
        ("--url", "https://x.org/a<b", f"--url 'https://x.org/a<b' {_NO_URL}"),
        ("--url", "https://x.org/a\\b", f"--url 'https://x.org/a\\\\b' {_NO_URL}"),
        ("--url", "https://x.org/a b", f"--url 'https://x.org/a b' {_NO_URL}"),
        ("--title", "  ", "--title '  ' is empty"),
        ("--title", "Two\nlines", "--title 'Two\\nlines' is not one line"),
        (
            "--publisher",
            "The\u200bDaily",
            "--publisher 'The\\u200bDaily' holds invisible character U+200B, which no curated text may",
        ),
        ("--licence", "", "--licence '' is empty"),
        (
            "--id",
            "Not A Slug",
            "--id 'Not A Slug' is not an id: lowercase letters and digits in words joined by single "
            "hyphens (such as gamma-news-2024-04-01)",
        ),
    ],
)
def test_add_source_refuses_a_wrong_option_before_reading_or_writing(base_package, tmp_path, option, value, message):
    document = _write(tmp_path / "page.txt", PAGE)
    before = snapshot(base_package)
    result = _included(base_package, document, "--title", TITLE, "--published", "2024-04-01", option, value)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.endswith(f"\nError: {message}; nothing was changed\n"), result.stderr
    assert snapshot(base_package) == before


@pytest.mark.parametrize(
    "url",
    [
        'https://x.org/a"><script>alert(1)</script>',
        "https://x.org/a b",
        "https://x.org/a\\b",
        "https://x.org/<b>",
        "https://user@x.org/",
    ],
)
def test_a_curated_url_is_held_to_the_same_rule_as_the_option(base_package, url):
    """The schema says which characters a URL holds, for --url and the curated YAML alike."""
    path = base_package / "data" / "curated" / "sources.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("url: https://example.org/beta", f"url: '{url}'"), encoding="utf-8"
    )
    result = invoke("check", str(base_package), "--format", "json")
    assert result.returncode == 1, result.stdout
    found = [(p["code"], p["path"]) for p in json.loads(result.stdout)["errors"]]
    assert ("schema-pattern", "$[1].url") in found and {path for _, path in found} == {"$[1].url"}, found


def test_add_source_refuses_an_included_text_without_licence_as_a_wrong_command_line(base_package, tmp_path):
    document = _write(tmp_path / "page.txt", PAGE)
    before = snapshot(base_package)
    result = _add(base_package, document, "--text", "included", "--title", TITLE, "--published", "2024-04-01")
    assert result.returncode == 2
    assert result.stderr.endswith(
        "\nError: --text included needs --licence naming the licence that allows "
        "republishing the text (such as CC-BY-4.0); a text whose licence is unknown is "
        "withheld; nothing was changed\n"
    )
    assert snapshot(base_package) == before


# -- add-source: the document -----------------------------------------------------------------


@pytest.mark.parametrize(
    "first, options, message",
    [
        (None, (), "has no first line `date YYYY-MM-DD TITLE`; give --title and --published as the page states them"),
        (
            None,
            ("--title", TITLE),
            "has no first line `date YYYY-MM-DD TITLE`; give --published as the page states them",
        ),
        (
            " date 2024-02-30 Gamma news",
            (),
            "the first line reads ' date 2024-02-30 Gamma news', which looks like the line "
            "`date YYYY-MM-DD TITLE` but is not one: 2024-02-30 is not a date on the calendar. "
            "The document is kept byte for byte, so either add a copy whose first line is right, "
            "or give --title and --published (the line is then the document's own text)",
        ),
        (
            "Date: 2024-04-01 Gamma news",
            ("--title", "Gamma news"),
            "the first line reads 'Date: 2024-04-01 Gamma news', "
            "which looks like the line `date YYYY-MM-DD TITLE` but is not one: "
            "it is not `date YYYY-MM-DD TITLE` (lowercase `date`, one space, the date, one space, the title). "
            "The document is kept byte for byte, so either add a copy whose first line is right, "
            "or give --title and --published (the line is then the document's own text)",
        ),
        (
            "date 2024-04-01 ",
            (),
            "the first line reads 'date 2024-04-01 ', which looks like the line `date YYYY-MM-DD "
            "TITLE` but is not one: no title follows the date. "
            "The document is kept byte for byte, so either add a copy whose first line is right, "
            "or give --title and --published (the line is then the document's own text)",
        ),
    ],
)
def test_add_source_says_what_the_document_lacks(base_package, tmp_path, first, options, message):
    document = _write(tmp_path / "page.txt", (f"{first}\n" if first else "") + PAGE)
    before = snapshot(base_package)
    result = _included(base_package, document, *options)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr == f"seccoop: {document}: {message}; nothing was changed\n"
    assert snapshot(base_package) == before


def test_add_source_refuses_options_that_disagree_with_the_first_line(base_package, tmp_path):
    document = _write(tmp_path / "page.txt", f" date 2024-04-01 {TITLE}\n{PAGE}")
    before = snapshot(base_package)
    result = _included(base_package, document, "--published", "2024-04-02")
    assert result.returncode == 1
    assert result.stderr == (
        "seccoop: --published 2024-04-02 disagrees with the document's first line, which gives "
        "2024-04-01; leave --published out, or add a copy whose first line is right; "
        "nothing was changed\n"
    )
    result = _included(base_package, document, "--title", "Ruritania shuts a border post")
    assert result.returncode == 1
    assert result.stderr == (
        "seccoop: --title 'Ruritania shuts a border post' disagrees with the document's first "
        f"line, which gives {TITLE!r}; leave --title out, or add a copy whose first line is right; "
        "nothing was changed\n"
    )
    assert snapshot(base_package) == before
    agreeing = _included(base_package, document, "--title", TITLE, "--published", "2024-04-01")
    assert agreeing.returncode == 0, agreeing.stderr
    assert _sources(base_package)[-1]["evidence"] == [
        {"source": "ruritania-opens-a-border-post-2024-04-01", "quote": f"date 2024-04-01 {TITLE}"}
    ]


def test_add_source_names_a_byte_order_mark(base_package, tmp_path):
    document = tmp_path / "page.txt"
    document.write_bytes(b"\xef\xbb\xbf" + f"date 2024-04-01 {TITLE}\n{PAGE}".encode())
    before = snapshot(base_package)
    result = _included(base_package, document)
    assert result.returncode == 1
    assert result.stderr == (
        f"seccoop: {document}: starts with a byte-order mark (BOM, bytes EF BB BF); readers that "
        "drop it and readers that keep it would count every offset differently. Save the "
        "document as UTF-8 without BOM and add that copy; nothing was changed\n"
    )
    assert snapshot(base_package) == before


@pytest.mark.parametrize("change", ["trailing newline", "CRLF"])
def test_add_source_refuses_a_text_already_there_once_whitespace_is_normalized(base_package, tmp_path, change):
    alpha = (base_package / "seeds/alpha.txt").read_bytes()
    copy = alpha + b"\n" if change == "trailing newline" else alpha.replace(b"\n", b"\r\n")
    document = tmp_path / "alpha-again.txt"
    document.write_bytes(copy)
    before = snapshot(base_package)
    result = _included(base_package, document, "--id", "alpha-again")
    assert result.returncode == 1
    assert result.stderr == (
        f"seccoop: {document}: source `alpha` has the same text once whitespace is normalized; nothing was changed\n"
    )
    assert snapshot(base_package) == before


def test_add_source_takes_title_and_date_from_the_options_for_a_page_without_first_line(base_package, tmp_path):
    document = _write(tmp_path / "page.txt", PAGE)
    result = _included(
        base_package,
        document,
        "--title",
        TITLE,
        "--published",
        "2024-04-01",
        "--publisher",
        "Ruritanian Wire",
        "--url",
        "https://example.org/post",
        "--language",
        "en",
    )
    assert result.returncode == 0, result.stderr
    seed = next(p for p in (base_package / "seeds").iterdir() if p.name.startswith("002_"))
    assert seed.read_bytes() == document.read_bytes()  # byte for byte
    assert result.stdout == (
        f"added source `ruritania-opens-a-border-post-2024-04-01` as seeds/{seed.name}; now "
        "record its facts in data/curated/ and run `seccoop build`\n"
    )
    assert _sources(base_package)[-1] == {
        "id": "ruritania-opens-a-border-post-2024-04-01",
        "title": TITLE,
        "published": "2024-04-01",
        "published_from": "text",
        "language": "en",
        "publisher": "Ruritanian Wire",
        "url": "https://example.org/post",
        "retrieved": "unknown",
        "extent": "unknown",
        "text": "included",
        "licence": "CC0-1.0",
        "path": f"seeds/{seed.name}",
        "sha256": hashlib.sha256(PAGE.encode()).hexdigest(),
        "length": len(PAGE),
        "normalized_sha256": hashlib.sha256(" ".join(PAGE.split()).encode()).hexdigest(),
        # the title, where the text first states it: it occurs twice, so `start` says which
        "evidence": [{"source": "ruritania-opens-a-border-post-2024-04-01", "quote": TITLE, "start": 0}],
    }
    _clean(base_package)


def test_a_withheld_page_that_never_states_its_title_quotes_nothing(base_package, tmp_path):
    page = "Date: 2024-04-01\n\nThe post opened at dawn.\n"  # starts like a first line; the options say it is not
    document = _write(tmp_path / "page.txt", page)
    result = _add(
        base_package,
        document,
        *("--id", "dawn-post", "--title", "A post at dawn", "--published", "2024-04-01"),
        *("--url", "https://example.org/2024/04/01/dawn-post", "--published-from", "url"),
    )
    assert result.returncode == 0, result.stderr
    sha = hashlib.sha256(page.encode()).hexdigest()
    assert result.stdout == (
        # the truth about where the text went: no git is there to take it up
        f"no --text given: the text is withheld (licence unknown); it stays in texts/{sha}.txt (no git checkout "
        "holds the package; docs/rights.md)\n"
        "the text holds neither a first line `date YYYY-MM-DD TITLE` nor the title: the source quotes nothing of "
        "itself, and its title and date are as you gave them\n"
        "added source `dawn-post` as texts/{sha}.txt; now record its facts in data/curated/ and run `seccoop build`; "
        "pin each quote with `seccoop locate --pin`\n".replace("{sha}", sha)
    )
    record = _sources(base_package)[-1]
    assert "evidence" not in record and record["title"] == "A post at dawn"
    _clean(base_package)
    rows = list(csv.DictReader((base_package / "data/sources.csv").open(encoding="utf-8")))
    assert [r["id"] for r in rows][-1] == "dawn-post"


# -- remove-source ------------------------------------------------------------------------------


def test_remove_source_of_an_uncited_source_retires_what_it_published(base_package, tmp_path):
    sources = base_package / "data/curated/sources.yaml"
    original = sources.read_text(encoding="utf-8")
    document = _write(tmp_path / "page.txt", PAGE)
    assert (
        _included(
            base_package, document, "--title", TITLE, "--published", "2024-04-01", "--id", "border-post"
        ).returncode
        == 0
    )
    seed = next(p for p in (base_package / "seeds").iterdir() if p.name.startswith("002_"))
    _clean(base_package)  # published: data/sources.csv and data/spans.csv hold it
    before = snapshot(base_package)
    dry = invoke("remove-source", "border-post", "--package", str(base_package), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout == (
        "would remove source `border-post`: data/curated/sources.yaml lines 40-58\n"
        f"would delete seeds/{seed.name}\n"
        "would retire border-post (sources, withdrawn) in data/curated/retired-ids.yaml\n"
        "would retire border-post@0-29 (spans, withdrawn) in data/curated/retired-ids.yaml\n"
    )
    assert dry.stderr == "nothing was written (--dry-run)\n"
    assert snapshot(base_package) == before
    result = invoke("remove-source", "border-post", "--package", str(base_package), "--version", "0.0.2")
    assert result.returncode == 0, result.stderr
    assert result.stdout == dry.stdout.replace("would remove", "removed").replace("would delete", "deleted").replace(
        "would retire", "retired"
    )
    assert sources.read_text(encoding="utf-8") == original  # only the entry's lines went
    assert not seed.exists()
    cf, problems = load_file(base_package / "data/curated/retired-ids.yaml", "retired-ids.yaml", root=base_package)
    assert problems == []
    assert [r for _, r in cf.records][-2:] == [
        {"id": "border-post", "table": "sources", "version": "0.0.2", "reason": "withdrawn: the source was removed"},
        {
            "id": "border-post@0-29",
            "table": "spans",
            "version": "0.0.2",
            "reason": "withdrawn: its source `border-post` was removed",
        },
    ]
    _clean(base_package)
    retired = (base_package / "data/retired_ids.csv").read_text(encoding="utf-8")
    assert "border-post,sources,,0.0.2," in retired and "border-post@0-29,spans,,0.0.2," in retired
    again = _included(base_package, document, "--title", TITLE, "--published", "2024-04-01", "--id", "border-post")
    assert again.returncode == 1
    assert again.stderr == (
        "seccoop: the id `border-post` was retired in 0.0.2 (withdrawn: the source was removed); "
        "ids are never reused: give another with --id; nothing was changed\n"
    )


def test_remove_source_keeps_every_other_line_and_leaves_a_withheld_text(base_package, tmp_path):
    sources = base_package / "data/curated/sources.yaml"
    first = _write(tmp_path / "first.txt", PAGE)
    second = _write(tmp_path / "second.txt", "Another page.\n")
    for document, id_ in ((first, "first-page"), (second, "second-page")):
        added = _add(base_package, document, "--id", id_, "--title", id_.title(), "--published", "2024-04-01")
        assert added.returncode == 0, added.stderr
    text = sources.read_text(encoding="utf-8")
    text = "# sources, by hand\n" + text.replace(
        "- id: second-page\n", "# the second page: keep me\n- id: second-page\n"
    )
    sources.write_text(text, encoding="utf-8")
    old = _sources(base_package)
    result = invoke("remove-source", "first-page", "--package", str(base_package))  # never built: nothing published
    assert result.returncode == 0, result.stderr
    sha = hashlib.sha256(PAGE.encode()).hexdigest()
    assert result.stdout.splitlines()[1:] == [
        f"left texts/{sha}.txt in the texts folder: it is yours, and seccoop never deletes it; delete it yourself "
        "if no copy is needed",
        "no id to retire: data/sources.csv does not publish this source",
    ]
    assert _sources(base_package) == [r for r in old if r["id"] != "first-page"]
    after = sources.read_text(encoding="utf-8")
    assert after.startswith("# sources, by hand\n") and "# the second page: keep me\n- id: second-page\n" in after
    assert (base_package / "texts" / f"{sha}.txt").read_text(encoding="utf-8") == PAGE
    assert "retired-ids" not in result.stdout


def test_remove_source_refuses_a_cited_source_and_lists_its_citers(base_package):
    before = snapshot(base_package)
    result = invoke("remove-source", "beta", "--package", str(base_package))
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[0] == (
        f"seccoop: source `beta` is cited ({len(lines) - 1} place(s) below), so it cannot be removed; remove those "
        "spans (or their records) first; nothing was changed"
    )
    assert len(lines) > 1 and all(line.startswith("  data/curated/") for line in lines[1:])
    assert "  data/curated/actors/beta.yaml:" in result.stderr
    assert snapshot(base_package) == before


@pytest.mark.parametrize(
    "id_, message",
    [
        ("nope", "no source has id `nope`"),
        ("ana-vela", "`ana-vela` is an actor, not a source"),
    ],
)
def test_remove_source_of_an_unknown_id_is_a_wrong_command_line(base_package, id_, message):
    before = snapshot(base_package)
    result = invoke("remove-source", id_, "--package", str(base_package))
    assert result.returncode == 2
    assert result.stderr.endswith(f"\nError: {message}\n")
    assert snapshot(base_package) == before


def test_remove_entry_takes_only_the_entrys_lines():
    text = "# head\n- id: a\n  x: 1\n\n- id: b\n  # inside b\n  x: 2\n# about c\n- id: c\n  x: 3\n# trailer\n"
    assert remove_entry(text, 1) == ("# head\n- id: a\n  x: 1\n\n# about c\n- id: c\n  x: 3\n# trailer\n", 5, 7)
    assert remove_entry(text, 2) == (
        "# head\n- id: a\n  x: 1\n\n- id: b\n  # inside b\n  x: 2\n# about c\n# trailer\n",
        9,
        10,
    )
    assert remove_entry("# only one\n- id: a\n  x: 1\n", 0) == ("# only one\n[]\n", 2, 3)


# -- the loop of docs/curating.md, as a new curator follows it ----------------------------------

WIRE = (
    "Border post opens\n\nRuritanian police opened a joint border post with Freedonia on Tuesday, "
    "Chief Inspector Lena Holm said. The post will share intelligence with Freedonia. Officers from both "
    "sides will patrol the river crossing in turns, and a liaison desk will answer calls from the villages "
    "on either bank. The two governments first discussed the idea two years ago, after a series of thefts "
    "along the road that runs beside the river, and agreed on it last month. Traders who cross every week "
    "said they hoped the post would shorten the queues at the bridge, which can last a whole morning in "
    "the harvest season.\n"
)


def _green(pkg: Path, step: str, env: dict | None = None) -> None:
    """`seccoop build`, then `seccoop check` as the pre-commit hook runs it: both green."""
    built = invoke("build", str(pkg), env=env)
    assert built.returncode == 0, (step, built.stdout + built.stderr)
    checked = invoke("check", str(pkg), env=env)
    assert checked.returncode == 0, (step, checked.stdout + checked.stderr)
    assert checked.stdout.endswith("valid (0 error(s), 0 warning(s))\n"), (step, checked.stdout)


@pytest.mark.parametrize("cache", ["off", "on"])
def test_a_new_curator_adds_a_source_and_its_records_and_every_valid_step_is_green(base_package, tmp_path, cache):
    env = {"CI": "true"} if cache == "off" else {"CI": "false", "SECCOOP_CACHE_DIR": str(tmp_path / "cache")}
    pkg = base_package
    _green(pkg, "a fresh clone", env)
    # 1. record the source: a page without a first line, its text withheld (the default)
    document = _write(tmp_path / "wire.txt", WIRE)
    added = invoke(
        "add-source",
        str(document),
        "--package",
        str(pkg),
        "--id",
        "holm-wire",
        "--title",
        "Border post opens",
        "--published",
        "2024-04-03",
        "--language",
        "en",
        *("--url", "https://example.org/2024/04/03/border-post-opens"),
        env=env,
    )
    assert added.returncode == 0, added.stderr
    assert (pkg / "texts" / f"{hashlib.sha256(WIRE.encode()).hexdigest()}.txt").read_bytes() == WIRE.encode()
    stale = invoke("check", str(pkg), env=env)  # before `seccoop build`: one problem, naming the command
    assert stale.returncode == 1 and [
        line.split()[2] for line in stale.stdout.splitlines() if line.startswith("seccoop: error")
    ] == ["package-stale"], stale.stdout
    _green(pkg, "the source added", env)
    # 2. find the quotes
    found = invoke("locate", "Chief Inspector Lena Holm", "--package", str(pkg), env=env)
    assert found.returncode == 0 and "holm-wire" in found.stdout, found.stdout + found.stderr
    # 3. write the source's accounts, in its own files
    (pkg / "data/curated/actors/holm-wire.yaml").write_text(
        "- id: lena-holm\n  name: Lena Holm\n  honorific: Chief Inspector\n  honorific_code: inspector\n"
        "  type: person\n  evidence:\n"
        "    - source: holm-wire\n      quote: Chief Inspector Lena Holm\n",
        encoding="utf-8",
    )
    (pkg / "data/curated/events").mkdir(exist_ok=True)
    (pkg / "data/curated/events/holm-wire.yaml").write_text(
        "- id: border-post-opened\n  type: cooperation\n  status: occurred\n"
        "  summary: Ruritania and Freedonia now run a border post together.\n"
        '  date: {earliest: "2024-04-02", latest: "2024-04-02", precision: day}\n  participants:\n'
        "    - {actor: ruritania, role: initiator}\n    - {actor: freedonia, role: participant}\n"
        "    - {actor: lena-holm, role: speaker}\n  evidence:\n    - source: holm-wire\n"
        "      quote: Ruritanian police opened a joint border post with Freedonia on Tuesday\n",
        encoding="utf-8",
    )
    unpinned = invoke("build", str(pkg), env=env)  # not a step of its own: a withheld text's quotes are pinned first
    assert unpinned.returncode == 1 and "evidence-unpinned" in unpinned.stderr, unpinned.stderr
    # 4. pin the withheld text's quotes (then 5. build: green), then drop the words not to be published
    pinned = invoke("locate", "--pin", "--package", str(pkg), env=env)
    assert pinned.returncode == 0, pinned.stdout + pinned.stderr
    events = pkg / "data/curated/events/holm-wire.yaml"
    text = events.read_text(encoding="utf-8")
    assert "start:" in text and "sha256:" in text
    over = invoke("build", str(pkg), env=env)  # every quote published: more than the budget allows
    assert over.returncode == 1 and "quote-budget" in over.stderr, over.stderr
    events.write_text(
        text.replace("      quote: Ruritanian police opened a joint border post with Freedonia on Tuesday\n", ""),
        encoding="utf-8",
    )
    _green(pkg, "the accounts written, pinned, the event's words left unpublished", env)
    # what the package now publishes of the new source: its record, its facts, no unpublished words
    records = (pkg / "data" / "records.csv").read_text(encoding="utf-8")
    assert "border-post-opened" in records and "lena-holm" in records
    published = "".join(p.read_text(encoding="utf-8") for p in (pkg / "data").glob("*.csv"))
    assert "Ruritanian police opened" not in published and "Chief Inspector Lena Holm" in published
    # and without the text (a fresh clone has no texts/): still green, its spans left unverified
    (pkg / "texts" / f"{hashlib.sha256(WIRE.encode()).hexdigest()}.txt").unlink()
    checked = invoke("check", str(pkg), env=env)
    assert checked.returncode == 0 and "not verified" in checked.stdout + checked.stderr, checked.stdout
