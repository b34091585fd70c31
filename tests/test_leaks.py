"""The leak check (docs/rights.md, "No withheld words in anything shipped"): `seccoop check` with
the texts at hand, and `seccoop leaks` over files, folders and archives, find (a) the words of an
unpublished span of four words or more and (b) eight words in a row of any text of the texts
folder, a source or not, that no published quote holds; each by file and line, never by its words.

Every text here is made up and written by the tests into a temporary texts folder; every leak is
planted in a temporary copy (of a small package, of the checkout for the sdist, of an export),
never in a committed file."""

from __future__ import annotations

import hashlib
import html
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT, copy_package, invoke

DELTA = (
    "date 2024-05-06 Harbour lanterns return to Osterwald after nine quiet winters\n\n"
    "The lantern keepers of Osterwald lit the old harbour lamps again on Monday evening, "
    "watched by a crowd that filled the stone quay from the customs house to the chapel. "
    "We waited nine winters for this night, said the harbour master, Ilse Marrow, who keeps "
    "the keys of the lamp room in a tin box on her desk. "
    "The night ferry from Kell will call at the harbour twice a week from June, and the "
    "fish market will open on Saturdays again. "
    "Fishermen say the light makes the narrow channel safe to cross after dark, when the "
    "fog rolls in from the northern banks and hides the rocks below the lighthouse. "
    "The town council paid for new glass, new wicks and a fresh coat of paint for every post "
    "along the seawall, and the school children painted the numbers on each post by hand. "
    "A second evening of lamps is planned for the feast of the patron saint in August.\n"
)
DELTA_SHA = hashlib.sha256(DELTA.encode("utf-8")).hexdigest()
PUBLISHED = "The night ferry from Kell will call at the harbour twice a week"  # 13 words, within the budget
SHORT = "lit the old harbour lamps again"  # an unpublished span of six words
LONG = "Fishermen say the light makes the narrow channel safe to cross after dark"
TITLE = "Harbour lanterns return to Osterwald after nine quiet winters"  # published as the source's title

OTHER = (
    "date 2024-07-01 A quiet season on the salt marsh\n\n"
    "Reed cutters on the salt marsh began the season early this year because the spring tides "
    "came late and the ground stayed firm under their boots, an old cutter told visitors.\n"
)
OTHER_SHA = hashlib.sha256(OTHER.encode("utf-8")).hexdigest()
RUN = "because the spring tides came late and the ground"  # nine words of a text that is no source
SEVEN = "the spring tides came late and the"  # seven: no leak

EVENTS = f"""\
- id: harbour-lamps-lit
  type: cooperation
  status: occurred
  summary: Osterwald's harbour lamps were relit.
  date: {{earliest: null, latest: "2024-05-06", precision: open}}
  participants:
    - {{actor: freedonia, role: participant}}
  evidence:
    - source: delta
      quote: {SHORT}
    - source: delta
      quote: {PUBLISHED}
    - source: delta
      quote: {LONG}
"""


def _ok(result) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def home(tmp_path_factory, built_base) -> dict[str, Path]:
    """The base package plus a withheld source `delta` (its text in a texts folder outside the
    package), pinned by the real commands with one quote left published, and built; a second
    text in the texts folder is no source."""
    home = tmp_path_factory.mktemp("leaks")
    pkg = copy_package(built_base, home / "pkg")
    texts = home / "texts"
    texts.mkdir()
    document = home / "delta.txt"
    document.write_text(DELTA, encoding="utf-8")
    added = invoke(
        "add-source",
        str(document),
        *("--package", str(pkg), "--id", "delta", "--texts", str(texts)),
        *("--url", "https://example.org/osterwald-lamps", "--publisher", "Osterwald Gazette"),
    )
    _ok(added)
    assert (texts / f"{DELTA_SHA}.txt").read_bytes() == DELTA.encode("utf-8")
    (texts / f"{OTHER_SHA}.txt").write_text(OTHER, encoding="utf-8")
    events = pkg / "data" / "curated" / "events" / "delta.yaml"
    events.parent.mkdir(exist_ok=True)
    events.write_text(EVENTS, encoding="utf-8")
    _ok(invoke("locate", "--pin", "--package", str(pkg), "--texts", str(texts)))
    kept = [
        line
        for line in events.read_text(encoding="utf-8").splitlines(keepends=True)
        if not (line.strip().startswith("quote:") and PUBLISHED not in line)
    ]
    events.write_text("".join(kept), encoding="utf-8")
    _ok(invoke("build", str(pkg), "--texts", str(texts)))
    spans = (pkg / "data" / "spans.csv").read_text(encoding="utf-8")
    assert PUBLISHED in spans and SHORT not in spans and LONG not in spans
    return {"pkg": pkg, "texts": texts, "home": home}


@pytest.fixture
def pkg(home, tmp_path) -> Path:
    return copy_package(home["pkg"], tmp_path / "pkg")


def _check(pkg: Path, texts: Path) -> tuple[int, list[dict]]:
    result = invoke("check", str(pkg), "--texts", str(texts), "--format", "json")
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, [p for p in json.loads(result.stdout)["errors"] if p["code"] == "text-leak"]


def _leaks(*args: str, texts: Path, package: Path, cwd: Path | None = None):
    result = invoke("leaks", *args, "--package", str(package), "--texts", str(texts), "--format", "json", cwd=cwd)
    assert "Traceback" not in result.stderr, result.stderr
    for words in (SHORT, LONG, RUN, PUBLISHED):  # a leak is named, never shown
        assert words.casefold() not in (result.stdout + result.stderr).casefold()
    return result.returncode, json.loads(result.stdout)["errors"] if result.stdout else []


def _where(problems: list[dict]) -> list[tuple[str, int]]:
    return sorted((p["file"], p["line"]) for p in problems)


def test_a_clean_package_has_no_leak(home):
    code, leaks = _check(home["pkg"], home["texts"])
    assert (code, leaks) == (0, [])
    code, problems = _leaks(texts=home["texts"], package=home["pkg"])
    assert (code, problems) == (0, [])


def test_a_published_quote_its_title_and_seven_words_in_a_row_are_no_leak(pkg, home):
    (pkg / "NOTES.md").write_text(
        f"# Notes\n\n> {PUBLISHED}.\n\n{TITLE}\n\nIt said {SEVEN} of it.\n"
        f"Two words short of the span: {' '.join(SHORT.split()[:3])} and more.\n",
        encoding="utf-8",
    )
    code, leaks = _check(pkg, home["texts"])
    assert (code, leaks) == (0, [])


def _plant(path: Path, at: int, lines: list[str]) -> int:
    """Insert `lines` into the file after its line `at` (1-based; the file may not exist yet):
    returns the line number the first of them gets."""
    old = path.read_text(encoding="utf-8").splitlines(keepends=True) if path.exists() else []
    at = min(at, len(old))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(old[:at] + [line + "\n" for line in lines] + old[at:]), encoding="utf-8")
    return at + 1


def _wrapped(words: str, prefix: str, width: int = 3) -> list[str]:
    """The words re-wrapped, a few a line, each line with a prefix (a comment, a quote mark)."""
    parts = words.split()
    return [prefix + " ".join(parts[i : i + width]) for i in range(0, len(parts), width)]


# Where a leak is planted in the package's files, and how it is written there: a YAML comment,
# a Markdown quote, a list item, upper case, re-wrapped.
PLANTS = {
    "CHANGELOG.md": (ROOT / "CHANGELOG.md", 12, "- ", "> "),
    "docs/rights.md": (ROOT / "docs" / "rights.md", 40, "> ", "    "),
    "tests/fixtures/base/data/curated/sources.yaml": (
        ROOT / "tests" / "fixtures" / "base" / "data" / "curated" / "sources.yaml",
        3,
        "    # ",
        "  - ",
    ),
    "data/curated/events/delta.yaml": (None, 2, "  # ", "  # "),
}


@pytest.mark.parametrize("name", list(PLANTS))
def test_a_leak_planted_in_a_file_of_the_package_is_found_by_file_and_line(pkg, home, name):
    original, at, first, second = PLANTS[name]
    target = pkg / name
    if original is not None:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(original, target)
    code, leaks = _check(pkg, home["texts"])
    assert (code, leaks) == (0, []), "the copy is clean before the plant"
    short_at = _plant(target, at, _wrapped(SHORT.upper(), first))
    run_at = _plant(target, short_at + 4, _wrapped(f"({RUN}),", second, 4))
    code, leaks = _check(pkg, home["texts"])
    assert code == 1
    assert _where(leaks) == [(name, short_at), (name, run_at)]
    short, run = sorted(leaks, key=lambda p: p["line"])
    assert f"the 6 words of the span `delta@{DELTA.index(SHORT)}-{DELTA.index(SHORT) + len(SHORT)}`" in short["message"]
    assert run["message"].startswith(f"holds 9 words in a row of the text {OTHER_SHA[:12]}")
    assert short["column"] == len(first) + 1
    code, problems = _leaks(texts=home["texts"], package=pkg)
    assert code == 1 and _where(problems) == _where(leaks)


def test_a_long_unpublished_span_is_one_leak_named_by_its_span(pkg, home):
    line = _plant(pkg / "README.md", 0, [f"They wrote: “{LONG}.”"])
    code, leaks = _check(pkg, home["texts"])
    assert code == 1 and _where(leaks) == [("README.md", line)]
    assert "the 13 words of the span `delta@" in leaks[0]["message"]


def test_without_texts_the_check_searches_for_nothing(pkg, home, tmp_path):
    _plant(pkg / "CHANGELOG.md", 0, [SHORT, RUN])
    empty = tmp_path / "no-texts"
    empty.mkdir()
    code, leaks = _check(pkg, empty)
    assert (code, leaks) == (0, [])
    result = invoke("leaks", "--package", str(pkg), "--texts", str(empty))
    assert result.returncode == 2 and "no text in" in result.stderr and "Traceback" not in result.stderr


def test_git_decides_which_files_are_the_packages(pkg, home):
    if shutil.which("git") is None:
        pytest.skip("git is not installed here")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    subprocess.run(["git", "init", "-q", str(pkg)], check=True, env=env, capture_output=True)
    (pkg / ".gitignore").write_text("/scratch.md\n", encoding="utf-8")
    _plant(pkg / "scratch.md", 0, [SHORT])  # ignored: git would never take it up
    line = _plant(pkg / "draft.md", 0, ["a draft", RUN])  # untracked, not ignored: one `git add` away
    code, leaks = _check(pkg, home["texts"])
    assert code == 1 and _where(leaks) == [("draft.md", line + 1)]


def _export(pkg: Path, fmt: str, out: Path) -> None:
    _ok(invoke("export", str(pkg), "--format", fmt, "--out", str(out)))


def test_a_leak_planted_in_the_review_site_is_found(pkg, home, tmp_path):
    site = tmp_path / "site"
    _export(pkg, "html", site)
    code, problems = _leaks(str(site), texts=home["texts"], package=pkg)
    assert (code, problems) == (0, []), "the review site shows the published quote and title: no leak"
    page = site / "index.html"
    # As a page writes them: escaped, split by tags, across lines.
    marked = html.escape(SHORT).replace(" old ", " <em>old</em>\n ")
    line = _plant(page, 5, [f"<p>{marked}</p>", "<p>and</p>", f"<p>{html.escape(RUN)}&#x27;s</p>"])
    code, problems = _leaks(str(site), texts=home["texts"], package=pkg)
    assert code == 1
    assert _where(problems) == [(f"{site.as_posix()}/index.html", line), (f"{site.as_posix()}/index.html", line + 3)]


def _release(pkg: Path, out: Path) -> Path:
    for name in ("README.md", "LICENSE", "CITATION.cff", "CHANGELOG.md"):  # a release is made from a checkout
        if not (pkg / name).exists():
            shutil.copyfile(ROOT / name, pkg / name)
    _export(pkg, "zip", out)
    return out


def test_a_leak_planted_in_the_release_archive_is_found(pkg, home, tmp_path):
    clean = _release(pkg, tmp_path / "clean.zip")
    code, problems = _leaks(str(clean), texts=home["texts"], package=pkg)
    assert (code, problems) == (0, [])
    short_at = _plant(pkg / "CHANGELOG.md", 20, [f"- {SHORT}"])
    run_at = _plant(pkg / "CHANGELOG.md", 30, [f"- {RUN}"])
    archive = _release(pkg, tmp_path / "release.zip")
    code, problems = _leaks(str(archive), texts=home["texts"], package=pkg)
    assert code == 1
    with zipfile.ZipFile(archive) as z:
        member = next(n for n in z.namelist() if n.endswith("CHANGELOG.md"))
    assert _where(problems) == [(f"{archive}!{member}", short_at), (f"{archive}!{member}", run_at)]


def test_archives_databases_and_broken_files_are_searched_without_a_traceback(home, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("seccoop/_package/NOTES.md", f"notes\n{SHORT}\n")
    with zipfile.ZipFile(out / "seccoop-0.0.0-py3-none-any.whl", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("seccoop-0.0.0.dist-info/METADATA", f"Name: seccoop\n\n{RUN}\n")
        z.writestr("nested.zip", inner.getvalue())
    data = f"one\ntwo\n{RUN}\n".encode()
    with tarfile.open(out / "seccoop-0.0.0.tgz", "w:gz") as tar:
        info = tarfile.TarInfo("seccoop-0.0.0/README.md")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    with sqlite3.connect(out / "db.sqlite") as db:
        db.execute("CREATE TABLE events (id TEXT, summary TEXT)")
        db.execute("INSERT INTO events VALUES ('a', 'clean'), ('b', ?)", (f"It {SHORT}.",))
    db.close()
    (out / "broken.zip").write_bytes(b"PK\x03\x04 not really a zip")
    code, problems = _leaks(str(out), texts=home["texts"], package=home["pkg"])
    assert code == 1
    base = out.as_posix()
    assert [(p["file"], p["line"], p["code"]) for p in sorted(problems, key=lambda p: p["file"])] == [
        (f"{base}/broken.zip", None, "file-unreadable"),
        (f"{base}/db.sqlite!events", 3, "text-leak"),
        (f"{base}/seccoop-0.0.0-py3-none-any.whl!nested.zip!seccoop/_package/NOTES.md", 2, "text-leak"),
        (f"{base}/seccoop-0.0.0-py3-none-any.whl!seccoop-0.0.0.dist-info/METADATA", 3, "text-leak"),
        (f"{base}/seccoop-0.0.0.tgz!seccoop-0.0.0/README.md", 3, "text-leak"),
    ]


def test_a_path_that_is_not_there_is_a_usage_error(home, tmp_path):
    result = invoke("leaks", str(tmp_path / "missing"), "--package", str(home["pkg"]), "--texts", str(home["texts"]))
    assert result.returncode == 2 and "Traceback" not in result.stderr


# The sdist is built from a copy of the checkout, as tests/test_distribution.py builds it.
IGNORED = (".git", ".venv", "venv", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache", ".hypothesis")
IGNORED += ("artifacts", "out", "*.py[cod]", "texts")


@pytest.mark.slow  # builds the sdist
def test_a_leak_planted_in_the_sdist_is_found(home, tmp_path):
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*IGNORED), symlinks=True)
    short_at = _plant(source / "CHANGELOG.md", 10, [f"- {SHORT}"])
    run_at = _plant(source / "CHANGELOG.md", 20, ["  " + line for line in _wrapped(RUN, "", 5)])
    out = tmp_path / "out"
    built = subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--outdir", str(out), str(source)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    (sdist,) = out.glob("seccoop-*.tar.gz")
    code, problems = _leaks(str(sdist), texts=home["texts"], package=home["pkg"])
    assert code == 1
    with tarfile.open(sdist) as tar:
        member = next(n for n in tar.getnames() if n.endswith("/CHANGELOG.md") and n.count("/") == 1)
    # Only the planted words: the rest of the sdist holds none of the made-up texts' words.
    assert _where(problems) == [(f"{sdist}!{member}", short_at), (f"{sdist}!{member}", run_at)]


def test_published_values_side_by_side_are_no_leak_but_their_middles_are():
    """A search index lists published quotes row after row: the end of one, whole ones, the start
    of the next are published words side by side. Words that only occur somewhere inside
    published values, in another order, are not."""
    from seccoop.checks.leaks import Patterns

    found = Patterns()
    for value in (("the", "night", "ferry", "from", "kell"), ("harbour", "lanterns"), ("lit", "the", "old", "lamps")):
        found.heads.update(value[:k] for k in range(1, len(value) + 1))
        found.tails.update(value[-k:] for k in range(1, len(value) + 1))
        found.wholes.add(value)
    assert found.published_side_by_side(("ferry", "from", "kell", "harbour", "lanterns", "lit", "the", "old"))
    assert not found.published_side_by_side(("night", "ferry", "from", "harbour", "lanterns", "lit", "the", "old"))
    assert not found.published_side_by_side(("the", "old", "night", "ferry", "kell", "lit", "harbour", "lamps"))


def test_the_check_caches_each_files_search_and_gives_the_cold_answer(pkg, home, monkeypatch):
    """With the cache's memo, a re-check searches only the files whose bytes changed, and builds
    the patterns only then; a changed text (the patterns' input) forgets every file. The answer
    is always the one without the memo."""
    from seccoop.checks import leaks
    from seccoop.model.package import Package

    package = Package(pkg, home["texts"])
    memo: dict = {}
    assert leaks.check_package(package, memo) == [] == leaks.check_package(package)
    assert memo["files"] and memo["inputs"] == leaks.inputs_digest(package)
    real_load = leaks.load_patterns
    monkeypatch.setattr(leaks, "load_patterns", lambda p: pytest.fail("nothing changed: no search"))
    assert leaks.check_package(package, memo) == []
    line = _plant(pkg / "README.md", 0, [f"They wrote: “{LONG}.”"])
    loads = []
    monkeypatch.setattr(leaks, "load_patterns", lambda p: loads.append(1) or real_load(p))
    found = leaks.check_package(package, memo)
    assert len(loads) == 1 and [(p.file, p.line) for p in found] == [("README.md", line)]
    assert [p.as_dict() for p in found] == [p.as_dict() for p in leaks.check_package(package)]
    before = memo["inputs"]
    link = home["texts"] / "linked.txt"  # a text the check cannot read is said on every run
    link.symlink_to(home["texts"] / f"{OTHER_SHA}.txt")
    try:
        for _ in range(2):
            said = [p.message for p in leaks.check_package(package, memo) if p.code == "file-unreadable"]
            assert len(said) == 1 and "linked.txt" in said[0]
    finally:
        link.unlink()
    (home["texts"] / "extra.txt").write_text("An unrelated text of the curators.", encoding="utf-8")
    try:
        assert [p.as_dict() for p in leaks.check_package(package, memo)] == [p.as_dict() for p in found]
        assert memo["inputs"] != before
    finally:
        (home["texts"] / "extra.txt").unlink()


def test_a_published_value_is_no_licence_for_eight_words_of_a_text(pkg, home):
    """Only a published quote may hold eight words of a text in a row: a name, title or address
    that long is a leak, though it is a published value itself (published values side by side
    exempt a run only where it spans two or more of them)."""
    actors = pkg / "data" / "actors.csv"
    with actors.open("a", encoding="utf-8") as f:
        f.write(f"planted-collective,{RUN},collective,,,,,1,\n")
    code, leaks = _check(pkg, home["texts"])
    assert code == 1 and [p["file"] for p in leaks] == ["data/actors.csv"], leaks
    assert leaks[0]["message"].startswith(f"holds 9 words in a row of the text {OTHER_SHA[:12]}")
