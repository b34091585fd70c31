"""`seccoop diff OLD NEW`: two versions of the fixture package, built and changed by the real
CLI (build, merge, rename), compared as folders, zip archives and git revisions, in every format;
and the versions that are refused (exit 2) without anything read outside a temporary folder."""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
import zipfile
from pathlib import Path

import pytest
from conftest import BASE, ROOT, invoke

import seccoop
from seccoop.versions.revisions import Unreadable

# Between OLD and NEW: `police` added; the relation removed (not retired); `ruritania-beta`
# retired and merged into `ruritania` (by `seccoop merge`), which gains beta's account and span;
# one field changed (a summary); one span moved (the same words at their other occurrence).
EXPECTED_TEXT = """\
--- old (version 0.0.1)
+++ new (version 0.0.1)
+ actor police: "Police"
- relation vela-official-of-ruritania: ana-vela official-of ruritania
> actor ruritania-beta: merged into ruritania
~ actor ruritania
    account added: beta
    evidence added: beta@61-90 "Ruritania for police trainers"
~ event freedonia-request
    summary: "Freedonia asked Ruritania for police trainers." → "Freedonia asked Ruritania to send police trainers."
~ commitment ruritania-share-intelligence
    evidence moved: alpha@64-97 → alpha@250-283 "Ruritania will share intelligence"
1 added, 1 removed, 1 retired, 3 changed
"""

EXPECTED_MARKDOWN = """\
### Data changes

From `old (version 0.0.1)` to `new (version 0.0.1)`: 1 added, 1 removed, 1 retired, 3 changed.

#### Added records

- actor `police`: `"Police"`

#### Removed records

- relation `vela-official-of-ruritania`: `ana-vela official-of ruritania`

#### Id changes

- actor `ruritania-beta` merged into `ruritania`

#### Changed records

- actor `ruritania`
  - account added: `beta`
  - evidence added: `beta@61-90` `"Ruritania for police trainers"`
- event `freedonia-request`
  - `summary`: `"Freedonia asked Ruritania for police trainers."` → \
`"Freedonia asked Ruritania to send police trainers."`
- commitment `ruritania-share-intelligence`
  - evidence moved: `alpha@64-97` → `alpha@250-283` `"Ruritania will share intelligence"`
"""

RURITANIA_BETA = """\
- id: ruritania-beta
  name: Ruritania
  type: state
  evidence:
    - source: beta
      quote: Ruritania for police trainers
"""

POLICE = """\
- id: police
  name: Police
  type: organization
  evidence:
    - source: alpha
      quote: Police arrested 12 suspects
"""


def _cli_ok(*args: str, cwd: Path | None = None) -> None:
    result = invoke(*args, cwd=cwd)
    assert result.returncode == 0, result.stdout + result.stderr


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture(scope="session")
def versions(tmp_path_factory) -> Path:
    """A folder holding `old` and `new`, two built versions of the fixture package."""
    top = tmp_path_factory.mktemp("versions")
    old, new = top / "old", top / "new"
    shutil.copytree(BASE, old)
    shutil.copytree(ROOT / "schema", old / "schema")
    with (old / "data" / "curated" / "actors" / "beta.yaml").open("a", encoding="utf-8") as f:
        f.write(RURITANIA_BETA)
    _cli_ok("build", str(old))
    shutil.copytree(old, new)
    curated = new / "data" / "curated"
    with (curated / "actors.yaml").open("a", encoding="utf-8") as f:
        f.write(POLICE)
    (curated / "relations.yaml").write_text("[]\n", encoding="utf-8")
    _replace(
        curated / "events.yaml",
        "summary: Freedonia asked Ruritania for police trainers.",
        "summary: Freedonia asked Ruritania to send police trainers.",
    )
    _replace(curated / "commitments.yaml", "      start: 64\n", "      start: 250\n")  # its other occurrence
    _cli_ok("merge", "ruritania", "ruritania-beta", "--package", str(new))
    _cli_ok("build", str(new))
    return top


def _diff(top: Path, *args: str, env: dict | None = None):
    return invoke("diff", *args, cwd=top, env=env)


def test_text_reports_exactly_the_changes(versions):
    result = _diff(versions, "old", "new")
    assert result.returncode == 1, result.stderr
    assert result.stdout == EXPECTED_TEXT
    assert result.stderr == ""


def test_markdown_is_ready_for_the_changelog(versions):
    result = _diff(versions, "old", "new", "--format", "markdown")
    assert result.returncode == 1, result.stderr
    assert result.stdout == EXPECTED_MARKDOWN


def _essence(doc: dict) -> dict:
    """The changes of a JSON diff, without the labels the user typed."""
    return {k: v for k, v in doc.items() if k not in ("old", "new")}


def test_json_lists_each_change_field_by_field(versions):
    result = _diff(versions, "old", "new", "--format", "json")
    assert result.returncode == 1, result.stderr
    doc = json.loads(result.stdout)
    assert doc["changes"] is True
    assert doc["summary"] == {
        "added": 1,
        "removed": 1,
        "retired": 1,
        "changed": 3,
        "retired_ids": 0,
        "links_added": 0,
        "links_removed": 0,
    }
    assert [(r["kind"], r["id"]) for r in doc["added"]] == [("actor", "police")]
    assert doc["added"][0]["record"]["evidence"][0]["quote"] == "Police arrested 12 suspects"
    assert [(r["kind"], r["id"]) for r in doc["removed"]] == [("relation", "vela-official-of-ruritania")]
    [retired] = doc["retired"]
    assert (retired["id"], retired["how"], retired["replaced_by"], retired["successor"]) == (
        "ruritania-beta",
        "merged",
        "ruritania",
        "ruritania",
    )
    changed = {r["id"]: r for r in doc["changed"]}
    assert list(changed) == ["ruritania", "freedonia-request", "ruritania-share-intelligence"]
    assert changed["ruritania"]["fields"] == []
    assert changed["ruritania"]["accounts"] == [{"source": "beta", "change": "added", "fields": []}]
    assert [(e["change"], e["new"]["id"]) for e in changed["ruritania"]["evidence"]] == [("added", "beta@61-90")]
    assert changed["freedonia-request"]["fields"] == [
        {
            "field": "summary",
            "old": "Freedonia asked Ruritania for police trainers.",
            "new": "Freedonia asked Ruritania to send police trainers.",
        }
    ]
    assert changed["freedonia-request"]["evidence"] == [] == changed["freedonia-request"]["accounts"]
    [moved] = changed["ruritania-share-intelligence"]["evidence"]
    assert moved["change"] == "moved" and moved["source"] == "alpha"
    assert (moved["old"]["start"], moved["old"]["end"], moved["new"]["start"], moved["new"]["end"]) == (
        64,
        97,
        250,
        283,
    )
    assert moved["old"]["quote"] == moved["new"]["quote"] == "Ruritania will share intelligence"
    assert changed["ruritania-share-intelligence"]["fields"] == []
    assert doc["retired_ids"] == [] and doc["possibly_same"] == {"added": [], "removed": []}


def test_the_python_api_gives_what_the_command_prints(versions):
    from seccoop.versions.diff import render_json

    found = seccoop.diff(versions / "old", versions / "new")
    assert found.has_changes
    assert (
        json.loads(render_json(found))["summary"]
        == json.loads(_diff(versions, "old", "new", "--format", "json").stdout)["summary"]
    )


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
def test_a_package_and_itself_differ_in_nothing(versions, fmt):
    result = _diff(versions, "new", "new/datapackage.json", "--format", fmt)
    assert result.returncode == 0, result.stdout + result.stderr
    if fmt == "json":
        doc = json.loads(result.stdout)
        assert doc["changes"] is False and not any(doc[c] for c in ("added", "removed", "retired", "changed"))
    else:
        assert "no changes" in result.stdout


def test_new_defaults_to_the_package_here(versions):
    result = invoke("diff", "../old", cwd=versions / "new")
    assert result.returncode == 1
    assert result.stdout.splitlines()[2:] == EXPECTED_TEXT.splitlines()[2:]


def test_a_renamed_record_is_retired_with_its_changes_not_added(versions, tmp_path):
    renamed = shutil.copytree(versions / "old", tmp_path / "renamed")
    _cli_ok("rename", "ana-vela", "ana-vela-minister", "--package", str(renamed))
    _cli_ok("build", str(renamed))
    doc = json.loads(invoke("diff", str(versions / "old"), str(renamed), "--format", "json").stdout)
    assert doc["added"] == [] and doc["removed"] == []
    [retired] = doc["retired"]
    assert (retired["id"], retired["how"], retired["successor"]) == ("ana-vela", "renamed", "ana-vela-minister")
    # the records that named it now name its successor: each is a change, field by field
    changes = {(r["id"], f["field"], f.get("old"), f.get("new")) for r in doc["changed"] for f in r["fields"]}
    assert ("vela-official-of-ruritania", "subject", "ana-vela", "ana-vela-minister") in changes


# -- zip archives ---------------------------------------------------------------------------


def _zip(folder: Path, target: Path, top: str = "") -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, top + path.relative_to(folder).as_posix())
    return target


def test_release_zips_give_the_same_changes_as_folders(versions, tmp_path):
    folders = json.loads(_diff(versions, "old", "new", "--format", "json").stdout)
    old_zip = _zip(versions / "old", tmp_path / "old.zip")  # datapackage.json at the root
    new_zip = _zip(versions / "new", tmp_path / "new.zip", top="seccoop-0.0.1/")  # in one top folder
    result = invoke("diff", str(old_zip), str(new_zip), "--format", "json", env={"TMPDIR": str(tmp_path)})
    assert result.returncode == 1, result.stderr
    assert _essence(json.loads(result.stdout)) == _essence(folders)
    assert not list(tmp_path.glob("seccoop-diff-*")), "the temporary folders are removed"
    same = invoke("diff", str(new_zip), str(versions / "new"))
    assert same.returncode == 0, same.stdout + same.stderr


def _evil_zip(versions: Path, tmp_path: Path, add) -> Path:
    target = _zip(versions / "new", tmp_path / "evil.zip")
    with zipfile.ZipFile(target, "a", zipfile.ZIP_DEFLATED) as archive:
        add(archive)
    return target


def _link_member(archive: zipfile.ZipFile) -> None:
    info = zipfile.ZipInfo("data/link")
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    archive.writestr(info, "/etc/passwd")


@pytest.mark.parametrize(
    "add, words",
    [
        (lambda a: a.writestr("../evil", "x"), "a path with `..`"),
        (lambda a: a.writestr("data/../../evil", "x"), "a path with `..`"),
        (lambda a: a.writestr("/tmp/evil", "x"), "an absolute path"),
        (_link_member, "a link"),
        (lambda a: a.writestr("data/bomb.bin", bytes(20 * 1024 * 1024)), "a zip bomb"),
    ],
)
def test_an_unsafe_archive_is_refused_whole_and_nothing_lands_outside(versions, tmp_path, add, words):
    archive = _evil_zip(versions, tmp_path, add)
    work = tmp_path / "work"
    work.mkdir()
    result = invoke("diff", str(archive), str(versions / "new"), cwd=work, env={"TMPDIR": str(work)})
    assert result.returncode == 2, result.stdout + result.stderr
    assert words in result.stderr
    assert result.stdout == ""
    assert list(work.iterdir()) == [], "nothing extracted, the temporary folder removed"
    assert not (tmp_path / "evil").exists()


def _corrupt_zip(versions: Path, target: Path, method: int, where: str) -> Path:
    """NEW as a zip, its data/seccoop.json member's compressed bytes garbled (`data`), or its
    central directory asking for a zip version no reader knows (`version`)."""
    with zipfile.ZipFile(target, "w", method) as archive:
        for rel in ("datapackage.json", "data/seccoop.json"):
            archive.write(versions / "new" / rel, rel)
    raw = bytearray(target.read_bytes())
    with zipfile.ZipFile(target) as archive:
        info = archive.getinfo("data/seccoop.json")
    if where == "data":
        start = info.header_offset + 30 + len(info.filename) + len(info.extra) + 20
        raw[start : start + 40] = bytes(b ^ 0x5A for b in raw[start : start + 40])
    else:
        central = raw.rindex(b"PK\x01\x02")  # the last member's entry: data/seccoop.json
        raw[central + 6] = 99  # version needed to extract: 9.9
    target.write_bytes(raw)
    return target


@pytest.mark.parametrize(
    "method, where, words",
    [
        (zipfile.ZIP_DEFLATED, "data", "while decompressing data"),  # zlib.error
        (zipfile.ZIP_BZIP2, "data", "Invalid data stream"),  # a bare OSError
        (zipfile.ZIP_LZMA, "data", "Corrupt input data"),  # lzma.LZMAError
        (zipfile.ZIP_DEFLATED, "version", "zip file version 9.9"),  # NotImplementedError
    ],
)
def test_a_corrupt_archive_is_unreadable_not_a_crash(versions, tmp_path, method, where, words):
    archive = _corrupt_zip(versions, tmp_path / "corrupt.zip", method, where)
    work = tmp_path / "work"
    work.mkdir()
    result = invoke("diff", str(archive), str(versions / "new"), env={"TMPDIR": str(work)})
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"{archive}: " in result.stderr and words in result.stderr
    assert list(work.iterdir()) == [], "the temporary folder is removed"


def test_a_file_that_is_no_archive_and_a_zip_without_a_package_are_refused(versions, tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello\n", encoding="utf-8")
    empty = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty, "w") as archive:
        archive.writestr("a/readme.txt", "no package here")
        archive.writestr("b/datapackage.json", "{}")
    for given, words in ((text, "neither a package folder nor a zip archive"), (empty, "no datapackage.json")):
        result = invoke("diff", str(given), str(versions / "new"))
        assert result.returncode == 2 and words in result.stderr, result.stderr


# -- git revisions --------------------------------------------------------------------------


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        [
            "git",
            "-c",
            "user.name=seccoop tests",
            "-c",
            "user.email=tests@example.org",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
            *args,
        ],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def _commit_version(repo: Path, folder: Path, message: str) -> None:
    target = repo / "pkg"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(folder, target)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", message)


@pytest.fixture(scope="session")
def repository(versions, tmp_path_factory) -> Path:
    """A git repository whose folder `pkg` holds OLD (tagged v1), then NEW."""
    repo = tmp_path_factory.mktemp("repo")
    _git(repo, "init", "-q")
    (repo / "README").write_text("a repository with a package in pkg/\n", encoding="utf-8")
    _commit_version(repo, versions / "old", "old")
    _git(repo, "tag", "v1")
    _commit_version(repo, versions / "new", "new")
    return repo


def test_git_revisions_give_the_same_changes_as_folders(versions, repository, tmp_path):
    folders = _essence(json.loads(_diff(versions, "old", "new", "--format", "json").stdout))
    env = {"TMPDIR": str(tmp_path)}
    for cwd, args in (
        (repository / "pkg", ("git:v1", "git:HEAD")),  # the package here
        (repository, ("git:v1:pkg", "git:HEAD:pkg")),  # FOLDER from the top
        (repository / "pkg" / "data", ("git:HEAD~1", "..")),
    ):  # a revision and a folder
        result = invoke("diff", *args, "--format", "json", cwd=cwd, env=env)
        assert result.returncode == 1, (args, result.stderr)
        assert _essence(json.loads(result.stdout)) == folders, args
    assert not list(tmp_path.glob("seccoop-diff-*"))
    text = invoke("diff", "git:v1", "git:HEAD", cwd=repository / "pkg")
    assert text.stdout.splitlines()[0] == "--- git:v1 (version 0.0.1)"
    assert text.stdout.splitlines()[2:] == EXPECTED_TEXT.splitlines()[2:]
    same = invoke("diff", "git:HEAD", cwd=repository / "pkg")  # the committed package and the work tree
    assert same.returncode == 0, same.stdout + same.stderr


@pytest.mark.parametrize(
    "spec, words",
    [
        ("git:no-such-revision", "unknown git revision"),
        ("git:--output=/tmp/x", "not a git revision"),
        ("git:", "not a git revision"),
        ("git:v1:nowhere", "no datapackage.json"),
        ("git:v1:../pkg", "inside the repository"),
    ],
)
def test_a_bad_git_revision_is_a_usage_error(repository, spec, words):
    result = invoke("diff", spec, "git:HEAD", cwd=repository / "pkg")
    assert result.returncode == 2, result.stdout + result.stderr
    assert words in result.stderr


def test_a_revision_outside_any_checkout_is_a_usage_error(versions, tmp_path):
    result = invoke(
        "diff", "git:HEAD", str(versions / "new"), cwd=tmp_path, env={"GIT_CEILING_DIRECTORIES": str(tmp_path.parent)}
    )
    assert result.returncode == 2 and "not inside a git checkout" in result.stderr, result.stderr


# -- what is no package ---------------------------------------------------------------------


def test_a_missing_path_or_a_folder_without_a_package_is_a_usage_error(versions, tmp_path):
    for args in (("missing", "new"), ("old", str(tmp_path)), ("old", "new", "--format", "yaml")):
        result = _diff(versions, *args)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert result.stdout == ""


def test_an_unbuilt_package_is_refused_with_the_command_to_run(versions, tmp_path):
    unbuilt = tmp_path / "unbuilt"
    shutil.copytree(BASE, unbuilt)
    shutil.copytree(ROOT / "schema", unbuilt / "schema")
    result = _diff(versions, "old", str(unbuilt))
    assert result.returncode == 2
    assert "datapackage.json: file not found; run `seccoop build` there first" in result.stderr


def test_published_text_cannot_steer_the_terminal(versions, tmp_path):
    changed = shutil.copytree(versions / "new", tmp_path / "changed")
    document = changed / "data" / "seccoop.json"
    doc = json.loads(document.read_text(encoding="utf-8"))
    doc["events"][0]["summary"] = "\x1b[2J\u202eevil"
    document.write_text(json.dumps(doc), encoding="utf-8")
    result = _diff(versions, "new", str(changed))
    assert result.returncode == 1
    assert "\x1b" not in result.stdout and "\u202e" not in result.stdout
    assert "\\u001b[2J\\u202eevil" in result.stdout


def test_unreadable_is_what_the_api_raises(tmp_path):
    with pytest.raises(Unreadable, match="no datapackage.json"):
        seccoop.diff(tmp_path / "missing", tmp_path)


# -- crafted documents (docs/safety.md, "Reading untrusted JSON") -----------------------------


def _nested(levels: int) -> dict:
    value: dict = {}
    for _ in range(levels):
        value = {"a": value}
    return value


def _set(path: tuple, value):
    def edit(doc: dict) -> None:
        *where, last = path
        for key in where:
            doc = doc[key]
        doc[last] = value

    return edit


def _crafted(versions: Path, tmp_path: Path, edit, name: str = "crafted") -> Path:
    """A copy of NEW whose data/seccoop.json is NEW's, edited, as a stranger could publish it."""
    crafted = shutil.copytree(versions / "new", tmp_path / name)
    document = crafted / "data" / "seccoop.json"
    doc = json.loads(document.read_text(encoding="utf-8"))
    edit(doc)
    document.write_text(json.dumps(doc), encoding="utf-8")  # NaN as NaN, a half pair as \ud800
    return crafted


# Each crashed 0.2.0 (exit 3, or output no JSON reader takes): now a usage error naming the
# version, the file and the record, and what is wrong with it.
@pytest.mark.parametrize(
    "edit, both, words",
    [
        (_set(("events", 0, "evidence"), 5), False, "`evidence` is not a list"),
        (_set(("events", 0, "accounts"), 7), False, "`accounts` is not a list"),
        (_set(("events", 0, "accounts", 0, "source"), ["alpha"]), False, "`accounts[0]` has no `source` (a string)"),
        (_set(("events", 0, "evidence", 0, "start"), "114"), False, "`evidence[0]` has no `start` (an integer)"),
        # deep on both sides: comparing recursed into both until Python's stack ran out
        (_set(("events", 0, "date"), _nested(600)), True, "nested more than 62 levels deep"),
        # a half surrogate pair cannot be written as UTF-8: the JSON output stopped midway
        (_set(("events", 0, "summary"), "\ud800"), False, "half of a surrogate pair"),
    ],
)
def test_a_crafted_document_is_unreadable_not_a_crash(versions, tmp_path, edit, both, words):
    crafted = _crafted(versions, tmp_path, edit)
    for fmt in ("text", "json"):
        result = _diff(versions, str(crafted) if both else "new", str(crafted), "--format", fmt)
        assert result.returncode == 2, result.stdout + result.stderr
        assert f"{crafted}: data/seccoop.json: `events[0]` (id vela-statement): " in result.stderr
        assert words in result.stderr and "Traceback" not in result.stderr and result.stdout == ""


@pytest.mark.parametrize(
    "text, words",
    [
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ("[]", "its data/seccoop.json is not a JSON object"),
        ('{"events": [' + "1" * 5000 + "]}", "a number too long to read"),
        ('{"events": [{"id": "x", "a": 1e999}]}', "a number too large for a float"),
        # NaN differs from itself (a version differed from itself) and `--format json` printed NaN
        ('{"events": [{"id": "x", "a": NaN}]}', "holds NaN, which is not a JSON number"),
    ],
)
def test_a_document_that_is_no_object_or_no_json_is_unreadable(versions, tmp_path, text, words):
    crafted = shutil.copytree(versions / "new", tmp_path / "crafted")
    (crafted / "data" / "seccoop.json").write_text(text, encoding="utf-8")
    result = _diff(versions, "new", str(crafted))
    assert result.returncode == 2 and words in result.stderr, result.stderr
    assert str(crafted) in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "descriptor, words",
    [
        (json.dumps(_nested(100)), "nested more than 64 levels deep"),
        ('{"version": "\\ud800"}', "`version`: a string holds half of a surrogate pair"),
        ("[1]", "its datapackage.json is not a JSON object"),
    ],
)
def test_a_crafted_descriptor_is_unreadable(versions, tmp_path, descriptor, words):
    crafted = shutil.copytree(versions / "new", tmp_path / "crafted")
    (crafted / "datapackage.json").write_text(descriptor, encoding="utf-8")
    result = _diff(versions, "new", str(crafted), "--format", "json")
    assert result.returncode == 2 and words in result.stderr, result.stderr
    assert f"{crafted}: " in result.stderr


def test_a_deep_record_within_the_bound_is_compared(versions, tmp_path):
    """The bound is the whole document's 64 levels: a record's value may nest to the 62nd."""
    within = _crafted(versions, tmp_path, _set(("events", 0, "date"), _nested(60)), "within")
    result = _diff(versions, "new", str(within), "--format", "json")
    assert result.returncode == 1, result.stderr
    assert json.loads(result.stdout)["summary"]["changed"] == 1


def test_retired_ids_from_a_stranger_cannot_steer_the_terminal(versions, tmp_path):
    changed = shutil.copytree(versions / "new", tmp_path / "changed")
    with (changed / "data" / "retired_ids.csv").open("a", encoding="utf-8", newline="") as f:
        f.write('gone,"\x1b[2Jevil",,0.0.2,withdrawn\n')
    header = (changed / "data" / "retired_ids.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.split(",")[:2] == ["id", "table"], header
    for fmt in ("text", "markdown"):
        result = _diff(versions, "new", str(changed), "--format", fmt)
        assert result.returncode == 1, result.stderr
        assert "\x1b" not in result.stdout and "\\u001b[2Jevil" in result.stdout


# -- words NEW does not publish (issue 25) --------------------------------------------------------

# A made-up text (the tests own it), withheld: OLD publishes two of its quotes; NEW withholds the
# first (its span keeps offsets and fingerprint) and no longer has the record citing the second.
LAKE = (
    "date 2024-05-06 Freedonia lends Ruritania patrol boats\n\n"
    "Freedonia will lend Ruritania four patrol boats on the lake, the ministers said on Monday. "
    "The loan runs from the first of June until the end of the year. Crews of both navies will "
    "train together in the northern harbour before the boats sail. Officials said the loan answers "
    "a rise in smuggling across the lake border this spring, and that a second loan may follow "
    "if the first one works as planned by the two governments.\n"
)
WITHHELD_NOW, REMOVED_WITH_RECORD = "four patrol boats", "the first of June"
LAKE_EVENTS = {
    "lake-boats.yaml": f"""\
- id: lake-boats-lent
  type: cooperation
  status: planned
  summary: Freedonia is to lend vessels to Ruritania.
  date: {{earliest: null, latest: "2024-05-06", precision: open}}
  participants:
    - {{actor: freedonia, role: participant}}
    - {{actor: ruritania, role: participant}}
  evidence:
    - source: lake
      quote: {WITHHELD_NOW}
""",
    "lake-loan.yaml": f"""\
- id: lake-loan-starts
  type: cooperation
  status: planned
  summary: The loan is to start in early summer.
  date: {{earliest: null, latest: "2024-05-06", precision: open}}
  participants:
    - {{actor: freedonia, role: participant}}
  evidence:
    - source: lake
      quote: {REMOVED_WITH_RECORD}
""",
}


@pytest.fixture(scope="module")
def withheld(tmp_path_factory, built_base) -> Path:
    """`old` and `new` of a package with the withheld source `lake`, made by the real commands."""
    top = tmp_path_factory.mktemp("withheld")
    old = shutil.copytree(built_base, top / "old")
    document = top / "lake.txt"
    document.write_text(LAKE, encoding="utf-8")
    url = ("--url", "https://example.org/lake")  # a withheld text's page: where a reader finds its words
    added = invoke("add-source", str(document), "--package", str(old), "--id", "lake", *url)
    assert added.returncode == 0, added.stdout + added.stderr
    events = old / "data" / "curated" / "events"
    events.mkdir(exist_ok=True)
    for name, text in LAKE_EVENTS.items():
        (events / name).write_text(text, encoding="utf-8")
    _cli_ok("locate", "--pin", "--package", str(old))
    _cli_ok("build", str(old))
    new = shutil.copytree(old, top / "new")
    _replace(new / "data" / "curated" / "events" / "lake-boats.yaml", f"      quote: {WITHHELD_NOW}\n", "")
    (new / "data" / "curated" / "events" / "lake-loan.yaml").unlink()
    _cli_ok("build", str(new))
    spans = (new / "data" / "spans.csv").read_text(encoding="utf-8")
    assert WITHHELD_NOW not in spans and REMOVED_WITH_RECORD not in spans, "NEW publishes neither"
    return top


@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_diff_prints_no_words_that_new_does_not_publish(withheld, fmt):
    result = invoke("diff", "old", "new", "--format", fmt, cwd=withheld)
    assert result.returncode == 1, result.stdout + result.stderr
    for words in (WITHHELD_NOW, REMOVED_WITH_RECORD):
        assert words not in result.stdout, (words, result.stdout)
    start = LAKE.index(WITHHELD_NOW)
    place = f"lake@{start}-{start + len(WITHHELD_NOW)}"
    if fmt == "json":
        doc = json.loads(result.stdout)
        [removed] = doc["removed"]
        assert removed["id"] == "lake-loan-starts" and removed["record"]["evidence"][0]["quote"] is None
        [change] = doc["changed"][0]["evidence"]
        assert (change["change"], change["old"]["quote"], change["new"]["quote"]) == ("withheld", None, None)
        assert change["old"]["sha256"] == change["new"]["sha256"] and change["old"]["length"] == len(WITHHELD_NOW)
    else:
        assert f"evidence withheld: {place}" in result.stdout.replace("`", "")
        assert f"[words withheld: {len(WITHHELD_NOW)} characters, sha256 " in result.stdout


def test_words_new_publishes_again_are_shown(withheld):
    """Swapped, NEW is the version that publishes the quote: the diff shows it as published."""
    result = invoke("diff", "new", "old", cwd=withheld)
    assert result.returncode == 1, result.stderr
    start = LAKE.index(WITHHELD_NOW)
    assert f'evidence published: lake@{start}-{start + len(WITHHELD_NOW)} "{WITHHELD_NOW}"' in result.stdout
    assert '+ event lake-loan-starts: "The loan is to start in early summer."' in result.stdout


def test_a_release_archive_is_read_as_old_and_as_new(withheld, tmp_path):
    """The archive `seccoop export --format zip` writes, from a checkout's files, on either side."""
    checkout = shutil.copytree(withheld / "new", tmp_path / "checkout")
    for name in ("README.md", "LICENSE", "CITATION.cff", "CHANGELOG.md"):
        (checkout / name).write_text(f"{name} of a test package\n", encoding="utf-8")
    release = tmp_path / "seccoop-0.0.1.zip"
    _cli_ok("export", str(checkout), "--format", "zip", "--out", str(release))
    folders = _essence(json.loads(invoke("diff", "old", "new", "--format", "json", cwd=withheld).stdout))
    as_new = invoke("diff", str(withheld / "old"), str(release), "--format", "json", env={"TMPDIR": str(tmp_path)})
    assert as_new.returncode == 1, as_new.stderr
    assert _essence(json.loads(as_new.stdout)) == folders
    as_old = invoke("diff", str(release), str(withheld / "new"))
    assert as_old.returncode == 0 and as_old.stdout.endswith("no changes\n"), as_old.stdout + as_old.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkout", "seccoop-0.0.1.zip"], "nothing extracted"


def test_an_old_value_the_newer_version_does_not_publish_is_said_by_its_length(real_package, tmp_path):
    """A summary reworded because it copied its source: diff shows that it changed and the new
    words, never the old ones, which the newer version no longer publishes."""
    old = tmp_path / "old"
    shutil.copytree(real_package, old)
    events = real_package / "data" / "curated" / "events" / "southcom-ecuador-2024-01-12.yaml"
    text = events.read_text(encoding="utf-8")
    before = next(line for line in text.splitlines() if line.startswith("  summary: General Laura Richardson"))
    was = before.removeprefix("  summary: ")
    now = "A U.S. delegation led by General Laura Richardson is to visit Ecuador."
    events.write_text(text.replace(before, f"  summary: {now}"), encoding="utf-8")
    assert invoke("build", str(real_package)).returncode == 0
    for fmt in ("text", "markdown", "json"):
        result = invoke("diff", str(old), str(real_package), "--format", fmt)
        assert result.returncode == 1, result.stderr
        assert was not in result.stdout and now in result.stdout
        assert f"[{len(was)} characters the newer version does not publish]" in result.stdout
