"""Every `seccoop ...` line of the ```sh blocks in README.md and docs/cli.md runs as documented:
each one a test can run, in a fresh copy of the package (never the checkout), exits with the
status its docs give; each one it cannot run is listed below with the reason. A command that is
in neither list fails the test, so a new example is run or says why not (issue 25)."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import ROOT, invoke

DOCS = ("README.md", "docs/cli.md")
# What a copy of the package needs: the published package, and what `export --format zip` and
# `seccoop docs` read from a checkout.
PACKAGE_FILES = (
    *("datapackage.json", "seeds", "schema", "data", "docs", ".gitignore"),
    *("README.md", "LICENSE", "CITATION.cff", "CHANGELOG.md"),
)

# Each command a test runs, with its documented exit status (README, "exit codes"): 0 valid or
# done; diff 0 no change, 1 changes found.
# The release archive as README names it: of the version released (datapackage.json's)
RELEASE_ZIP = f"seccoop-{json.loads((ROOT / 'datapackage.json').read_text(encoding='utf-8'))['version']}.zip"
RUN = {
    "seccoop check": 0,
    "seccoop check --format json": 0,
    "seccoop build": 0,
    "seccoop export --format csv --table events_flat": 0,
    "seccoop export --format csv --out tables/": 0,
    "seccoop export --format json > seccoop.json": 0,
    "seccoop export --format jsonl": 0,
    "seccoop export --format sqlite --out seccoop.db": 0,
    "seccoop export --format parquet --out parquet/": 0,
    "seccoop export --format html --out review/": 0,
    "seccoop export --format annotations --out spans.jsonld": 0,
    f"seccoop export --format zip --out {RELEASE_ZIP}": 0,
    'seccoop add-source article.txt --url https://example.org/article --licence "all rights reserved"': 0,
    "seccoop rename OLD NEW": 0,
    "seccoop docs": 0,
    "seccoop diff git:HEAD~1 git:HEAD": 1,  # the copy's last commit renamed a record
    f"seccoop diff old/ {RELEASE_ZIP} --format markdown": 1,  # old/: the package before that commit
}

# Commands a test cannot run, and why.
NOT_RUN = {
    'seccoop locate "General Laura Richardson"': "searches the seed's text, which is withheld: only the "
    "curators' texts folder holds it (tests/test_rights.py runs locate on a text the tests own)",
    "seccoop locate --pin": "pins quotes of withheld texts: needs the curators' texts folder "
    "(tests/test_rights.py pins a text the tests own)",
    "seccoop verify SOURCE copy.txt": "needs a copy of a withheld text, which only the curators hold "
    "(tests/test_rights.py verifies a text the tests own)",
    "seccoop texts link --texts DIR": "writes each span's locator from the texts: needs the curators' texts "
    "folder (tests/test_links.py runs it with them and gets the committed register byte for byte)",
    "seccoop texts fetch --texts DIR": "fetches the real sources' pages from the web, which no test may reach; "
    "tests/test_fetch.py fetches a text the tests own from a server on 127.0.0.1",
    "seccoop merge KEEP OTHER --dry-run": "no two records of the real package can be merged (all come from one "
    "source, which would give two accounts of KEEP); tests/test_identity.py runs merge",
}

# A placeholder of a synopsis, and what the test puts in its place.
PLACEHOLDERS = {"seccoop rename OLD NEW": ["rename", "laura-richardson", "laura-richardson-general"]}
ARTICLE = "date 2024-05-01 A made-up article for the docs test\n\nWords the tests own, and nobody else's.\n"


def documented_commands() -> list[tuple[str, str]]:
    """(file, command) of every line that starts with `seccoop` in a ```sh block, its comment
    dropped, in the order of the docs."""
    found = []
    for name in DOCS:
        text = (ROOT / name).read_text(encoding="utf-8")
        for block in re.findall(r"^```sh\n(.*?)^```", text, re.M | re.S):
            for line in block.splitlines():
                words = shlex.split(line, comments=True)
                if words and words[0] == "seccoop":
                    found.append((name, _command(line)))
    return found


def _command(line: str) -> str:
    """The line as a command, without its comment or the spaces that align it."""
    return " ".join(re.sub(r"\s#.*$", "", line).split())


def _git(repo: Path, *args: str) -> None:
    config = ["-c", "user.name=seccoop tests", "-c", "user.email=tests@example.org", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", *config, *args], cwd=repo, capture_output=True, text=True, check=True)


@pytest.fixture(scope="module")
def prepared(tmp_path_factory) -> Path:
    """A copy of the package in a git repository of two commits (the package; then a record
    renamed and rebuilt, by the real commands), with `old/` beside it: the published files of the
    first commit."""
    top = tmp_path_factory.mktemp("docs-commands")
    pkg = top / "pkg"
    pkg.mkdir()
    for name in PACKAGE_FILES:
        (shutil.copytree if (ROOT / name).is_dir() else shutil.copy2)(ROOT / name, pkg / name)
    shutil.copytree(pkg, top / "old", ignore=shutil.ignore_patterns("docs", "*.md", "LICENSE", "*.cff"))
    _git(pkg, "init", "-q")
    _git(pkg, "add", "-A")
    _git(pkg, "commit", "-q", "-m", "the package")
    for args in (("rename", "matthew-miller", "matthew-miller-spokesperson"), ("build",)):
        result = invoke(*args, cwd=pkg)
        assert result.returncode == 0, result.stdout + result.stderr
    _git(pkg, "add", "-A")
    _git(pkg, "commit", "-q", "-m", "a record renamed")
    return top


def test_every_command_is_run_or_listed_with_its_reason():
    commands = {command for _, command in documented_commands()}
    assert commands, "no `seccoop` line found in a ```sh block"
    unknown = sorted(commands - RUN.keys() - NOT_RUN.keys())
    assert not unknown, f"documented commands neither run nor listed in NOT_RUN: {unknown}"
    assert not RUN.keys() & NOT_RUN.keys()
    assert not (RUN.keys() | NOT_RUN.keys()) - commands, "a listed command no document gives any more"


@pytest.mark.slow
@pytest.mark.parametrize("command", sorted({c for _, c in documented_commands() if c in RUN}))
def test_each_documented_command_exits_as_documented(prepared, tmp_path, command):
    work = tmp_path / "work"
    shutil.copytree(prepared, work, symlinks=True)
    pkg = work / "pkg"
    shutil.move(work / "old", pkg / "old")  # `old/` as the example names it, from the package folder
    if RELEASE_ZIP in command and "--out" not in command:
        made = invoke("export", "--format", "zip", "--out", RELEASE_ZIP, cwd=pkg)
        assert made.returncode == 0, made.stderr
    (pkg / "article.txt").write_text(ARTICLE, encoding="utf-8")
    args = PLACEHOLDERS.get(command) or shlex.split(command)[1:]
    target = None
    if ">" in args:
        args, target = args[: args.index(">")], args[args.index(">") + 1]
    result = invoke(*args, cwd=pkg)
    assert result.returncode == RUN[command], f"{command}: {result.stdout[-2000:]}{result.stderr[-2000:]}"
    assert "Traceback" not in result.stderr
    if target is not None:
        (pkg / target).write_text(result.stdout, encoding="utf-8")
        assert (pkg / target).stat().st_size > 0
