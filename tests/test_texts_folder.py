"""The texts folder stays out of git's reach (docs/rights.md, "Where texts live"): inside the git
checkout that holds the package, a folder git does not ignore is refused by every command that
takes --texts or SECCOOP_TEXTS, before anything is written; elsewhere, and in a package that no
git checkout holds, any folder is fine, and add-source says which of these is the case."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest
from conftest import invoke, snapshot

WIRE = "date 2024-04-03 Border post opens\n\nChief Inspector Lena Holm opened the post.\n"
SHA = hashlib.sha256(WIRE.encode("utf-8")).hexdigest()


def _git(repo: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    done = subprocess.run(
        ["git", "-c", "init.defaultBranch=main", *args], cwd=repo, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


@pytest.fixture
def checkout(base_package) -> Path:
    """The fixture package as a git checkout whose .gitignore leaves out texts/, as the project's does."""
    _git(base_package, "init", "-q")
    (base_package / ".gitignore").write_text("/texts/\n", encoding="utf-8")
    return base_package


@pytest.fixture
def document(tmp_path) -> Path:
    path = tmp_path / "wire.txt"
    path.write_text(WIRE, encoding="utf-8")
    return path


URL = ("--url", "https://example.org/2024/04/03/border-post")  # a withheld text needs one


def _untracked(repo: Path) -> list[str]:
    return _git(repo, "status", "--porcelain", "--untracked-files=all").splitlines()


def test_add_source_refuses_a_texts_folder_git_would_take_up(checkout, document):
    """0.2.0 wrote the text into data/curated/ and said it stayed "outside git"."""
    before = snapshot(checkout)
    for args, env in ((("--texts", "data/curated"), None), ((), {"SECCOOP_TEXTS": "data/curated"})):
        result = invoke("add-source", str(document), "--package", str(checkout), *URL, *args, env=env, cwd=checkout)
        assert result.returncode == 2, result.stdout + result.stderr
        assert (
            "Error: the texts folder data/curated lies inside the git checkout "
            f"{checkout.resolve()}, and git does not ignore it: a withheld text there would be one `git add` "
            "from being committed"
        ) in result.stderr
        assert snapshot(checkout) == before
    assert not any(SHA in line for line in _untracked(checkout))


def test_add_source_into_the_ignored_default_says_git_ignores_it(checkout, document):
    result = invoke("add-source", str(document), "--package", str(checkout), *URL)
    assert result.returncode == 0, result.stderr
    assert f"it stays in texts/{SHA}.txt (git ignores it; docs/rights.md)" in result.stdout
    assert (checkout / "texts" / f"{SHA}.txt").read_text(encoding="utf-8") == WIRE
    assert not any(SHA in line for line in _untracked(checkout))


def test_a_folder_outside_the_checkout_is_fine_and_said_to_be(checkout, document, tmp_path):
    elsewhere = tmp_path / "my-texts"
    result = invoke(
        "add-source", str(document), "--package", str(checkout), *URL, "--texts", str(elsewhere), "--text", "withheld"
    )
    assert result.returncode == 0, result.stderr
    assert (
        f"added source `border-post-opens-2024-04-03` as {elsewhere}/{SHA}.txt (outside the package's git "
        "checkout); " in result.stdout
    )
    assert (elsewhere / f"{SHA}.txt").is_file()


def test_a_package_no_git_checkout_holds_takes_a_folder_inside_it(base_package, document):
    """A downloaded release folder: there is no git to leak into."""
    result = invoke(
        "add-source", str(document), "--package", str(base_package), *URL, "--texts", str(base_package / "my-texts")
    )
    assert result.returncode == 0, result.stderr
    assert "(no git checkout holds the package; docs/rights.md)" in result.stdout
    assert (base_package / "my-texts" / f"{SHA}.txt").is_file()


@pytest.mark.parametrize(
    "command",
    [
        ("check",),
        ("build",),
        ("locate", "Lena Holm", "--package"),
        ("locate", "--pin", "--package"),
        ("remove-source", "alpha", "--package"),
    ],
)
def test_every_command_taking_texts_refuses_a_folder_git_would_take_up(checkout, command):
    before = snapshot(checkout)
    result = invoke(*command, str(checkout), "--texts", str(checkout / "seeds"))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Error: the texts folder seeds lies inside the git checkout" in result.stderr
    assert "git does not ignore it" in result.stderr and "Traceback" not in result.stderr
    assert snapshot(checkout) == before


def test_a_default_folder_git_does_not_ignore_is_refused_with_the_line_to_add(checkout):
    (checkout / ".gitignore").write_text("", encoding="utf-8")
    result = invoke("check", str(checkout))
    assert result.returncode == 2
    assert "add `/texts/` to the package's .gitignore" in result.stderr
    (checkout / ".gitignore").write_text("/texts/\n", encoding="utf-8")
    assert invoke("check", str(checkout)).returncode == 0


def test_git_is_asked_about_the_checkout_itself_whatever_the_caller_exported(checkout, tmp_path):
    """A hook exports GIT_DIR and GIT_WORK_TREE; another repository that ignores everything must
    not answer for the package's checkout."""
    other = tmp_path / "other"
    other.mkdir()
    _git(other, "init", "-q")
    (other / ".git" / "info" / "exclude").write_text("*\n", encoding="utf-8")
    env = {"GIT_DIR": str(other / ".git"), "GIT_WORK_TREE": str(checkout)}
    result = invoke("check", str(checkout), "--texts", str(checkout / "data"), env=env)
    assert result.returncode == 2 and "git does not ignore it" in result.stderr, result.stdout + result.stderr
