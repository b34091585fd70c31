"""The reading gate and the input side of issue 11, through the real CLI: nothing outside the
package is read (each test's folder holds a decoy whose secret must appear in no output and which
must stay unchanged), no input hangs or crashes seccoop, and add-source emits its YAML."""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import pytest
from conftest import invoke, run_cli, snapshot

from seccoop.checks.evidence import near_miss
from seccoop.model.load import load_file

SECRET = "SECRET-decoy-reading-0c6f2e"


@pytest.fixture
def decoy(tmp_path) -> Path:
    path = tmp_path / "decoy.txt"
    path.write_text(f" date 2024-01-01 {SECRET}\n{SECRET} more words\n", encoding="utf-8")
    return path


def assert_untouched(decoy: Path, *results) -> None:
    for result in results:
        assert SECRET not in result.stdout + result.stderr
    assert decoy.read_text(encoding="utf-8") == f" date 2024-01-01 {SECRET}\n{SECRET} more words\n"


def _set_source_path(pkg: Path, path: str) -> None:
    sources = pkg / "data/curated/sources.yaml"
    sources.write_text(
        sources.read_text(encoding="utf-8").replace("path: seeds/alpha.txt", f"path: {path}"), encoding="utf-8"
    )


# -- locate follows check's rules ---------------------------------------------------------------


@pytest.mark.parametrize("path", ["DECOY", "/dev/zero", "seeds/../../decoy.txt"])
def test_locate_never_reads_a_source_path_outside_seeds(base_package, decoy, path):
    _set_source_path(base_package, str(decoy) if path == "DECOY" else path)
    result = invoke("locate", "more words", "--package", str(base_package))
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout == "" and result.stderr == "not found: 'more words'\n"
    assert_untouched(decoy, result)


def test_locate_never_reads_through_a_linked_seed(base_package, decoy):
    (base_package / "seeds/alpha.txt").unlink()
    os.symlink(decoy, base_package / "seeds/alpha.txt")
    result = invoke("locate", "more words", "--package", str(base_package))
    assert result.returncode == 1 and result.stderr == "not found: 'more words'\n"
    assert_untouched(decoy, result)


def test_check_names_a_source_path_outside_the_package_without_reading_it(base_package, decoy):
    _set_source_path(base_package, str(decoy))
    result = invoke("check", str(base_package), "--format", "json")
    assert result.returncode == 1
    problem, unlisted = json.loads(result.stdout)["errors"]  # seeds/alpha.txt is now no source's text
    assert (unlisted["code"], unlisted["file"]) == ("source-unlisted", "seeds/alpha.txt")
    assert (problem["code"], problem["file"], problem["line"]) == ("source-path", "data/curated/sources.yaml", 10)
    assert problem["message"] == f"`{decoy}` is not a file directly in seeds/"
    assert_untouched(decoy, result)


def test_locate_still_finds_quotes_in_regular_seeds(base_package):
    result = invoke("locate", "with Freedonia", "--package", str(base_package))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("alpha\tstart ")


# -- add-source: the document named on the command line ----------------------------------------


def _add(pkg: Path, document: Path | str, *options: str, run=invoke):
    """add-source as for a text whose licence allows republishing it (into seeds/)."""
    return run(
        "add-source", str(document), "--package", str(pkg), "--text", "included", "--licence", "CC0-1.0", *options
    )


@pytest.mark.parametrize("what", ["device", "fifo"])
def test_add_source_refuses_a_device_or_fifo_at_once(base_package, decoy, tmp_path, what):
    document = Path("/dev/zero") if what == "device" else tmp_path / "fifo"
    if what == "fifo":
        os.mkfifo(document)
    before = snapshot(base_package)
    started = time.monotonic()
    result = _add(base_package, document, run=run_cli)  # a process of its own: a hang would not hang the tests
    assert time.monotonic() - started < 30  # no hang, no MemoryError
    assert result.returncode == 1, result.stdout + result.stderr
    kind = "a device" if what == "device" else "a FIFO"
    assert result.stderr == f"seccoop: {document}: {kind}, not a regular file; nothing was changed\n"
    assert snapshot(base_package) == before
    assert_untouched(decoy, result)


def test_add_source_refuses_a_document_over_the_limit(base_package, tmp_path):
    document = tmp_path / "huge.txt"
    with document.open("wb") as f:
        f.write(b" date 2024-01-01 Huge\n")
        f.truncate(64 * 1024 * 1024 + 1)  # sparse: nothing is really written
    before = snapshot(base_package)
    result = _add(base_package, document)
    assert result.returncode == 1
    assert result.stderr == (f"seccoop: {document}: 67108865 bytes; at most 67108864 are read; nothing was changed\n")
    assert snapshot(base_package) == before


@pytest.mark.parametrize(
    "option, value, message",
    [
        (
            "--language",
            'en\n  url: "javascript:alert(1)"',
            "--language 'en\\n  url: \"javascript:alert(1)\"' is not a BCP 47 language tag (such as en, es or pt-BR)",
        ),
        ("--language", "en\n", "--language 'en\\n' is not a BCP 47 language tag (such as en, es or pt-BR)"),
        ("--url", "javascript:alert(1)", "--url 'javascript:alert(1)' is not an http:// or https:// address"),
        ("--url", "https://example.org/a b", "--url 'https://example.org/a b' is not an http:// or https:// address"),
        ("--id", "Not A Slug", "--id 'Not A Slug' is not an id"),
    ],
)
def test_add_source_refuses_an_option_that_would_change_the_yaml(base_package, tmp_path, option, value, message):
    document = tmp_path / "doc.txt"
    document.write_text(" date 2024-04-01 Gamma news\nbody\n", encoding="utf-8")
    before = snapshot(base_package)
    result = _add(base_package, document, option, value)
    assert result.returncode == 2, result.stdout + result.stderr  # a wrong command line
    assert f"\nError: {message}" in result.stderr and result.stderr.endswith("; nothing was changed\n")
    assert snapshot(base_package) == before


def test_add_source_emits_its_record_after_the_curators_text(base_package, tmp_path):
    sources = base_package / "data/curated/sources.yaml"
    original = "# curated by hand: keep this comment\n" + sources.read_text(encoding="utf-8")
    sources.write_text(original, encoding="utf-8")
    title = 'Gamma: "no" #1 — Pérez says: yes'
    document = tmp_path / "doc.txt"
    document.write_text(f" date 2024-04-01 {title}\nbody\n", encoding="utf-8")
    result = _add(
        base_package,
        document,
        "--id",
        "gamma",
        "--publisher",
        'The "Daily": no\n  url: x',
        "--url",
        "https://example.org/g?a=1&b=#x",
    )
    assert result.returncode == 0, result.stderr
    text = sources.read_text(encoding="utf-8")
    assert text.startswith(original)
    cf, problems = load_file(sources, "data/curated/sources.yaml", root=base_package)
    assert problems == []
    seed = next(p for p in (base_package / "seeds").iterdir() if p.name.startswith("002_"))
    assert [r for _, r in cf.records][-1] == {
        "id": "gamma",
        "title": title,
        "published": "2024-04-01",
        "published_from": "archive",
        "language": "en",
        "publisher": 'The "Daily": no\n  url: x',
        "url": "https://example.org/g?a=1&b=#x",
        "retrieved": "unknown",
        "extent": "unknown",
        "text": "included",
        "licence": "CC0-1.0",
        "path": f"seeds/{seed.name}",
        "sha256": hashlib.sha256(document.read_bytes()).hexdigest(),
        "length": len(document.read_text(encoding="utf-8")),
        "normalized_sha256": hashlib.sha256(
            " ".join(document.read_text(encoding="utf-8").split()).encode()
        ).hexdigest(),
        "archive_prefix": len(f" date 2024-04-01 {title}") + 1,
        "evidence": [{"source": "gamma", "quote": f"date 2024-04-01 {title}"}],
    }


def test_add_source_refuses_a_linked_seeds_folder(base_package, decoy, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (base_package / "seeds").rename(outside / "seeds")
    os.symlink(outside / "seeds", base_package / "seeds")
    document = tmp_path / "doc.txt"
    document.write_text(" date 2024-04-01 Gamma news\nbody\n", encoding="utf-8")
    before = snapshot(outside)
    result = _add(base_package, document)
    assert result.returncode == 1
    assert result.stderr == (
        "seccoop: seeds: it is a symbolic link; seccoop reads only the package's own files; nothing was changed\n"
    )
    assert snapshot(outside) == before
    assert_untouched(decoy, result)


# -- evidence: split characters, normalization, speed ------------------------------------------


def _add_seed(pkg: Path, text: str, quote: str) -> None:
    """A third source whose document is `text`, and an actor that quotes `quote` from it."""
    raw = text.encode("utf-8")
    (pkg / "seeds/gamma.txt").write_bytes(raw)
    with (pkg / "data/curated/sources.yaml").open("a", encoding="utf-8") as f:
        f.write(
            f'- id: gamma\n  title: Gamma\n  published: "2024-04-01"\n  published_from: url\n  language: es\n'
            "  publisher: unknown\n  url: https://example.org/2024/04/01/gamma\n  retrieved: unknown\n"
            "  extent: whole\n"
            f"  path: seeds/gamma.txt\n  sha256: {hashlib.sha256(raw).hexdigest()}\n"
            + (f"  archive_prefix: {len(text.split(chr(10))[0]) + 1}\n" if text.lstrip().startswith("date ") else "")
            + f"  evidence:\n    - source: gamma\n      quote: date 2024-04-01 Gamma\n"
            f"  text: included\n  licence: CC0-1.0\n  length: {len(text)}\n"
            f"  normalized_sha256: {hashlib.sha256(' '.join(text.split()).encode()).hexdigest()}\n"
        )
    with (pkg / "data/curated/actors.yaml").open("a", encoding="utf-8") as f:
        f.write(
            f"- id: perez\n  name: Pérez\n  type: person\n  evidence:\n"
            f"    - source: gamma\n      quote: {json.dumps(quote, ensure_ascii=False)}\n"
        )


def _errors(pkg: Path):
    result = invoke("check", str(pkg), "--format", "json")
    return result.returncode, [e for e in json.loads(result.stdout)["errors"] if not e["code"].startswith("package-")]


@pytest.mark.parametrize(
    "quote, side, hint",
    [
        ("The Pe", "ends", "Quote the whole character 'é': the source has 'The Pé' here; or end the quote before it."),
        (
            "\u0301rez said",
            "starts",
            "Quote the whole character 'é': the source has 'érez said' here; or start the quote after it.",
        ),
    ],
)
def test_a_quote_that_splits_a_letter_from_its_accent_is_refused(base_package, quote, side, hint):
    _add_seed(base_package, " date 2024-04-01 Gamma\nThe Pe\u0301rez said so.", quote)
    status, errors = _errors(base_package)
    assert status == 1
    [error] = errors
    assert (error["code"], error["file"], error["line"]) == ("evidence-split-character", "data/curated/actors.yaml", 32)
    assert error["message"] == f"the quote {side} inside the character 'e\u0301' (U+0065 + U+0301)"
    assert error["hint"] == hint.replace("é", "e\u0301")


def test_a_seed_in_nfd_gets_a_normalization_hint(base_package):
    _add_seed(base_package, " date 2024-04-01 Gamma\nThe Pe\u0301rez said so.", "The Pérez said")
    status, errors = _errors(base_package)
    assert status == 1
    [error] = errors
    assert (error["code"], error["file"], error["line"]) == ("evidence-not-found", "data/curated/actors.yaml", 32)
    assert "another Unicode normalization" in error["message"]
    assert error["hint"] == (
        "The source's exact words are 'The Pe\u0301rez said'; write the quote as "
        '"The Pe\\u0301rez said" (the escapes keep the curated file in NFC).'
    )


def test_near_miss_folds_a_large_text_once():
    words = [f"word{i}" for i in range(600_000)]
    text = " ".join(words)[:5_000_000] + "\n\n  Freedonia \u2019asked\u2019\n Ruritania"
    started = time.monotonic()
    for i in range(200):
        assert near_miss(text, f"word{i}  word{i + 1}") == f"word{i} word{i + 1}"
    assert near_miss(text, "Freedonia 'asked' Ruritania") == "Freedonia \u2019asked\u2019\n Ruritania"
    assert near_miss(text, "no such words") is None
    assert time.monotonic() - started < 10  # once per quote, it took ~0.9 s each


# -- the loader: positions of refused values -----------------------------------------------------


def _load(tmp_path, text: str):
    path = tmp_path / "actors.yaml"
    path.write_text(text, encoding="utf-8")
    return load_file(path, "actors.yaml", root=tmp_path)


@pytest.mark.parametrize(
    "value, message",
    [
        ("9007199254740992", "the integer 9007199254740992 is outside ±9007199254740991"),
        ("-9007199254740992", "the integer -9007199254740992 is outside ±9007199254740991"),
        ("1.0e+400", "the number 1.0e+400 is not finite"),
        ("-1.0e+15", "the number -1.0e+15 is not below 1e15"),
    ],
)
def test_numbers_out_of_range_are_refused_at_their_place(tmp_path, value, message):
    cf, problems = _load(tmp_path, f"- id: a\n  n: [1, {value}]\n")
    assert [(p.code, p.line, p.column, p.message) for p in problems] == [("yaml-number-range", 2, 10, message)]
    assert cf.withheld == ["a"] and cf.records == []


def test_numbers_in_range_are_kept(tmp_path):
    cf, problems = _load(tmp_path, "- {id: a, n: 9007199254740991, m: -9007199254740991, x: 999999999999999.9}\n")
    assert problems == [] and cf.records[0][1]["n"] == 2**53 - 1


def test_an_alias_is_reported_where_it_is_used(tmp_path):
    cf, problems = _load(tmp_path, "- id: a\n  type: &t state\n- id: b\n  note: x\n  type: *t\n")
    assert [(p.code, p.line, p.column) for p in problems] == [("yaml-alias", 5, 9)]


def test_a_mapping_file_is_not_parsed_as_records(tmp_path):
    cf, problems = _load(tmp_path, "id: a\nname: b\n")
    assert [p.code for p in problems] == ["yaml-not-records"] and not cf.parsed


def test_a_linked_curated_file_is_refused_unread(tmp_path, decoy):
    os.symlink(decoy, tmp_path / "actors.yaml")
    cf, problems = load_file(tmp_path / "actors.yaml", "actors.yaml", root=tmp_path)
    assert [(p.code, p.message) for p in problems] == [
        ("file-link", "it is a symbolic link; seccoop reads only the package's own files")
    ]
    assert cf.records == [] and SECRET not in cf.text
