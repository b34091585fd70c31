"""The published distribution works on its own: the sdist and the wheel are built from a copy of
the checkout, each is installed into a fresh virtual environment outside the checkout, and the
installed `seccoop` checks its bundled package and exports it there.

The sdist ships no tests (MANIFEST.in prunes tests/): they exercise the whole checkout (docs,
README, the action and workflows, benchmarks, the curator's commands), which git ships, not the
sdist. So the test also asserts that no test file, conftest or fixture leaks into it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT, withheld_spans

# Never copied into the build folder: git's and the tools' own, and what earlier builds left.
IGNORED = (
    ".git",
    ".venv",
    "venv",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".pytest_cache",
    ".hypothesis",
    "artifacts",
    "out",
    "*.py[cod]",
)

# A withheld text the tests own, put where a curator's checkout holds withheld texts (texts/, as
# the seed article's sha256 names it) and, by mistake, into seeds/: neither copy may ship.
WITHHELD = (
    "date 2024-01-12 A text the tests own\n\n"
    "This sentence of a withheld text is never published by any artefact of seccoop.\n"
)
SENTENCE = "This sentence of a withheld text is never published by any artefact of seccoop."


def _run(args, cwd: Path, timeout: int = 600, env: dict | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)
    assert result.returncode == 0, f"{args}: exit {result.returncode}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def _clean_env() -> dict:
    """The environment of a user outside any checkout: no venv, no GitHub Actions, no PYTHONPATH."""
    drop = {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "GITHUB_ACTIONS", "PYTHONSAFEPATH"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if not p.startswith(str(ROOT)))
    return env


def _ignored(folder: str, names: list[str]) -> set[str]:
    """What a copy of the checkout leaves out: build output anywhere, and the curators' texts
    folder at its root (`validators/seccoop/texts/`, the code that fetches texts, is kept)."""
    ignored = set(shutil.ignore_patterns(*IGNORED)(folder, names))
    if Path(folder) == ROOT and "texts" in names:
        ignored.add("texts")
    return ignored


@pytest.fixture(scope="module")
def dists(tmp_path_factory) -> dict[str, Path]:
    """The sdist and the wheel, built with `python -m build` (the wheel from the sdist, so the
    sdist is proven complete) in a copy of the checkout, never writing into the checkout."""
    work = tmp_path_factory.mktemp("dist")
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=_ignored, symlinks=True)
    seed_sha = next(
        line.split(": ")[1]
        for line in (ROOT / "data/curated/sources.yaml").read_text().splitlines()
        if line.strip().startswith("sha256: ")
    )
    (source / "texts").mkdir()
    (source / "texts" / f"{seed_sha}.txt").write_text(WITHHELD, encoding="utf-8")
    (source / "seeds" / "stray.txt").write_text(WITHHELD, encoding="utf-8")
    out = work / "out"
    _run([sys.executable, "-m", "build", "--outdir", out, source], cwd=work)
    sdists, wheels = sorted(out.glob("seccoop-*.tar.gz")), sorted(out.glob("seccoop-*.whl"))
    assert len(sdists) == 1 and len(wheels) == 1, sorted(p.name for p in out.iterdir())
    return {"sdist": sdists[0], "wheel": wheels[0]}


@pytest.mark.slow  # builds the sdist and the wheel
def test_the_sdist_ships_no_tests_and_everything_the_wheel_needs(dists):
    with tarfile.open(dists["sdist"]) as tar:
        names = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
    assert not [n for n in names if n.startswith("tests/") or n.split("/")[-1] == "conftest.py"]
    for needed in (
        "pyproject.toml",
        "setup.py",
        "README.md",
        "LICENSE",
        "datapackage.json",
        "data/seccoop.json",
        "schema/seccoop.schema.json",
        "schema/codelists/event-types.csv",
        "validators/seccoop/cli.py",
        "validators/seccoop/py.typed",
        "validators/seccoop/checks/layers.py",
        "validators/seccoop/exports/review/templates/page.html",
        "validators/seccoop/exports/review/templates/review.css",
        "validators/seccoop/exports/review/templates/source.js",
    ):
        assert needed in names, needed
    assert not [n for n in names if n.startswith("validators/") and n.endswith("__init__.py") and n.count("/") == 1], (
        "validators/ must never be a package"
    )


@pytest.mark.slow  # builds the sdist and the wheel
def test_the_wheel_ships_every_subpackage_and_py_typed(dists):
    """Type checkers read seccoop's annotations (PEP 561), and each subpackage is installed."""
    names = set(_members(dists["wheel"]))
    subpackages = sorted(
        p.parent.name for p in (Path(__file__).parents[1] / "validators/seccoop").glob("*/__init__.py")
    )
    assert "seccoop/py.typed" in names
    templates = Path(__file__).parents[1] / "validators/seccoop/exports/review/templates"
    shipped = {f"seccoop/exports/review/templates/{p.name}" for p in templates.iterdir()}
    assert shipped and shipped <= names, sorted(shipped - names)  # the review site's pages, style and scripts
    assert subpackages and all(f"seccoop/{sub}/__init__.py" in names for sub in subpackages), subpackages


def _members(dist: Path) -> dict[str, bytes]:
    if dist.suffix == ".whl":
        with zipfile.ZipFile(dist) as whl:
            return {name: whl.read(name) for name in whl.namelist()}
    with tarfile.open(dist) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}


@pytest.mark.slow  # builds the sdist and the wheel
@pytest.mark.parametrize("kind", ["wheel", "sdist"])
def test_no_withheld_text_enters_the_wheel_or_the_sdist(dists, kind):
    """docs/rights.md: only included texts ship. No member has a withheld text's sha256 or its
    normalized hash (the seed article's among them); seeds/ holds the included texts only; the
    tests' own withheld text, planted in texts/ and seeds/, is in no member."""
    import csv
    import hashlib

    with (ROOT / "data" / "sources.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    withheld = {r[k] for r in rows if r["text"] == "withheld" for k in ("sha256", "normalized_sha256")}
    included = sorted(r["path"].rsplit("/", 1)[1] for r in rows if r["text"] == "included")
    members = _members(dists[kind])
    assert len(members) > 50
    seeds = [name for name in members if "/seeds/" in name or name.startswith("seeds/")]
    assert sorted(name.rsplit("/", 1)[1] for name in seeds) in (included, sorted(["README.md", *included])), seeds
    for name, data in members.items():
        assert SENTENCE.encode("utf-8") not in data, name
        assert hashlib.sha256(data).hexdigest() not in withheld, name
        if name.endswith(".txt"):
            normalized = hashlib.sha256(" ".join(data.decode("utf-8", "replace").split()).encode()).hexdigest()
            assert normalized not in withheld, name
        # no texts folder: at the sdist's root, or any folder of that name holding more than code
        # (`seccoop/texts/` is the package that fetches texts)
        rel = name.split("/", 1)[-1] if name.startswith("seccoop-") else name
        assert not rel.startswith("texts/"), name
        assert "/texts/" not in name or name.endswith(".py"), name


@pytest.mark.slow  # builds the sdist and the wheel
def test_the_metadata_has_an_spdx_licence_and_the_project_urls(dists):
    with zipfile.ZipFile(dists["wheel"]) as whl:
        meta_name = next(n for n in whl.namelist() if n.endswith(".dist-info/METADATA"))
        meta = whl.read(meta_name).decode("utf-8")
        names = whl.namelist()
    assert "License-Expression: MIT" in meta
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    for label in ("Homepage", "Source", "Issues", "Changelog"):
        assert f"Project-URL: {label}, https://github.com/seccoop/seccoop" in meta
    assert "seccoop/_package/datapackage.json" in names
    assert not [n for n in names if n.startswith(("validators/", "tests/"))]
    # PyPI renders the README without the repository: no relative link may remain in it.
    description = meta.split("\n\n", 1)[1]
    assert "](docs/" not in description and "](CHANGELOG.md)" not in description


def test_what_the_build_reads_declares_the_licence_the_urls_and_a_readme_pypi_can_show():
    """Before any build (the tests above build, and take minutes): pyproject.toml gives the SPDX
    licence with its file and the project URLs the metadata carries; the README, which is the
    description PyPI shows without the repository, links nothing relative to the repository; the
    sdist's manifest prunes the tests and the texts folder."""
    import re
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]
    assert (ROOT / "LICENSE").is_file() and project["readme"] == "README.md"
    assert sorted(project["urls"]) == ["Changelog", "Homepage", "Issues", "Source"]
    assert all(url.startswith("https://github.com/seccoop/seccoop") for url in project["urls"].values())
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert re.findall(r"\]\((?!https?://|#)[^)]*\)", readme) == []  # absolute, or an anchor in the page
    manifest = (ROOT / "MANIFEST.in").read_text(encoding="utf-8").splitlines()
    assert "prune tests" in manifest and "prune texts" in manifest


@pytest.mark.slow  # builds the sdist and the wheel
@pytest.mark.parametrize("kind", ["wheel", "sdist"])
def test_the_installed_distribution_checks_and_exports_outside_the_checkout(dists, kind, tmp_path_factory):
    home = tmp_path_factory.mktemp(f"installed-{kind}")
    assert ROOT not in home.parents and home != ROOT
    venv = home / "venv"
    env = _clean_env()
    _run([sys.executable, "-m", "venv", venv], cwd=home, env=env)
    python, seccoop = venv / "bin" / "python", venv / "bin" / "seccoop"
    _run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", dists[kind]], cwd=home, env=env)
    # The installed copy is the one that runs, not the checkout.
    where = _run([python, "-c", "import seccoop; print(seccoop.__file__)"], cwd=home, env=env).stdout.strip()
    assert Path(where).is_relative_to(venv), where
    work = home / "work"  # a folder with no datapackage.json at or above it: the bundled package is used
    work.mkdir()
    checked = _run([seccoop, "check", "--format", "json"], cwd=work, env=env)
    report = json.loads(checked.stdout)
    assert report["valid"] is True and report["counts"]["errors"] == 0, report
    # Warnings only of spans new since the release (their texts are not here) and of what the
    # curation rules expect (facts coded `other`, events whose source names no participant).
    expected = {"evidence-unverified", "type-other", "event-without-participants"}
    assert {p["code"] for p in report["errors"]} <= expected, report["errors"][:3]
    assert Path(report["package"]).is_relative_to(venv), report["package"]
    # The seed article is withheld: outside a checkout its text is nowhere, and check says so.
    spans = withheld_spans()
    assert report["unverified"] == spans, report["unverified"]
    text = _run([seccoop, "check"], cwd=work, env=env).stdout
    said = f"{sum(spans.values())} span(s) of {len(spans)} withheld source(s) not verified"
    assert said in text and "valid (0 error(s)," in text
    exported = _run([seccoop, "export", "--format", "json"], cwd=work, env=env)
    assert json.loads(exported.stdout) == json.loads((ROOT / "data" / "seccoop.json").read_text(encoding="utf-8"))
    _run([seccoop, "export", "--format", "csv", "--out", work / "tables"], cwd=work, env=env)
    assert (work / "tables" / "events.csv").read_bytes() == (ROOT / "data" / "events.csv").read_bytes()
    # The review site's templates come with the installed copy.
    _run([seccoop, "export", "--format", "html", "--out", work / "review"], cwd=work, env=env)
    assert 'id="story-timeline"' in (work / "review" / "index.html").read_text(encoding="utf-8")
