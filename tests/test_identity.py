"""Identity: `seccoop merge` and `seccoop rename` (docs/accounts.md, "Identity"), and the in-place
scalar patching they write with (`yamlwrite.patch_scalars`)."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import BASE, ROOT, invoke, snapshot

from seccoop.curator.identity import BadArguments, IdentityRefused, merge, rename
from seccoop.curator.yamlwrite import PatchRefused, append_records, find_scalars, patch_scalars
from seccoop.model.package import Package

# A small package laid out as docs/accounts.md says: one file per source and kind. Freedonia has
# two ids, one per source (`freedonia`, `freedonia-state`): the case `merge` is for. Between them
# the files use every kind of reference, in block and flow layout, with comments.
CURATED = {
    "actors.yaml": "[]\n",
    "relations.yaml": "[]\n",
    "events.yaml": "[]\n",
    "commitments.yaml": "[]\n",
    "actors/alpha.yaml": """\
# Actors as alpha names them.
- id: ruritania  # the state
  name: Ruritania
  type: state
  evidence:
    - source: alpha
      quote: Ruritania will share intelligence with Freedonia
- id: freedonia
  name: Freedonia
  type: state
  evidence:
    - source: alpha
      quote: with Freedonia
- id: ana-vela
  name: Ana Vela
  honorific: Interior Minister
  honorific_code: minister
  type: person
  evidence:
    - source: alpha
      quote: Interior Minister Ana Vela
""",
    "actors/beta.yaml": """\
- id: freedonia-state
  name: Freedonia
  type: state
  evidence: [{source: beta, quote: Freedonia asked Ruritania}]
- id: riot-officers
  name: officers
  aliases: [Over 30 officers]
  type: collective
  evidence:
    - source: beta
      quote: Over 30 officers
""",
    "relations/alpha.yaml": """\
- id: vela-official-of-ruritania
  type: official-of
  subject: "ana-vela"
  object: 'ruritania'
  role: Interior Minister
  evidence:
    - source: alpha
      quote: Interior Minister Ana Vela
""",
    "events/alpha.yaml": """\
- id: vela-statement
  type: public-statement
  status: occurred
  summary: Ana Vela said Ruritania will share intelligence with Freedonia.
  date: {earliest: "2024-01-26", latest: "2024-02-01", precision: range}
  participants:
    - {actor: ana-vela, role: speaker}
    - {actor: ruritania, role: initiator}
  evidence:
    - source: alpha
      quote: Interior Minister Ana Vela said on Monday
- id: vela-quote
  type: public-statement
  status: occurred
  summary: Vela said Ruritania will share everything.
  date: {earliest: "2024-01-26", latest: "2024-02-01", precision: range}
  part_of: vela-statement
  attributed_to: ana-vela
  participants:
    - actor: ana-vela
      role: speaker
  evidence:
    - source: alpha
      quote: “We will share everything,”
""",
    "events/beta.yaml": """\
- id: freedonia-request
  type: request
  status: occurred
  summary: Freedonia asked Ruritania for police trainers.
  date: {earliest: "2024-03-04", latest: "2024-03-04", precision: day}
  participants:
    - {actor: freedonia-state, role: initiator}
    - {actor: ruritania, role: recipient}
  evidence:
    - source: beta
      quote: Freedonia asked Ruritania for police trainers on 4 March
""",
    "commitments/alpha.yaml": """\
- id: ruritania-share-intelligence
  action: share intelligence with Freedonia
  category: intelligence-sharing
  strength: pledge
  status: announced
  parties:
    - {actor: ruritania, role: committer}
    - {actor: freedonia, role: partner}
  made_in: vela-statement
  attributed_to: ana-vela
  date: {earliest: "2024-01-26", latest: "2024-02-01", precision: range}
  evidence:
    - source: alpha
      quote: Ruritania will share intelligence
      start: 64
""",
    "retired-ids.yaml": """\
# Ids never used again.
- id: ruritania-state
  table: actors
  replaced_by: ruritania  # renamed
  version: 0.0.1
  reason: renamed to the name the sources use
""",
}

# Curated files the core reads as well; added only where a test is about them.
LINKS = {
    "possibly-same.yaml": """\
- {id: ana-vela, other: riot-officers, reason: a test link}
""",
    "resolutions.yaml": """\
- record: vela-official-of-ruritania
  field: subject
  value: ana-vela
  reason: a test resolution
- record: ana-vela
  field: honorific
  value: Minister of the Interior
  reason: a test resolution
""",
}


def make_package(folder: Path, files: dict[str, str]) -> Path:
    """A package before its first build: the fixture's seeds, sources and metadata, the real
    schemas, and the curated files given."""
    shutil.copytree(BASE / "seeds", folder / "seeds")
    shutil.copytree(ROOT / "schema", folder / "schema")
    curated = folder / "data" / "curated"
    curated.mkdir(parents=True)
    for name in ("sources.yaml", "package.yaml"):
        shutil.copy(BASE / "data" / "curated" / name, curated / name)
    for name, text in files.items():
        (curated / name).parent.mkdir(parents=True, exist_ok=True)
        (curated / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def package(tmp_path) -> Path:
    return make_package(tmp_path / "pkg", CURATED)


@pytest.fixture
def linked_package(tmp_path) -> Path:
    return make_package(tmp_path / "pkg", {**CURATED, **LINKS})


def curated(pkg: Path, name: str) -> str:
    return (pkg / "data" / "curated" / name).read_text(encoding="utf-8")


def assert_only_scalars_changed(before: str, after: str, old: str, new: str, places: list[tuple[int, int]]):
    """`after` is `before` byte for byte, but for `old` written as `new` at each (line, column)."""
    lines_before, lines_after = before.split("\n"), after.split("\n")
    assert len(lines_before) == len(lines_after)
    for n, (b, a) in enumerate(zip(lines_before, lines_after, strict=True), start=1):
        at = [c for line, c in places if line == n]
        expected = b
        for c in sorted(at, reverse=True):
            quote = b[c - 1] if b[c - 1] in "'\"" else ""
            assert b[c - 1 :].startswith(quote + old + quote), (n, c, b)
            expected = expected[: c - 1] + quote + new + quote + expected[c - 1 + len(old) + 2 * len(quote) :]
        assert a == expected, (n, b, a)


def build_and_check(pkg: Path):
    built = invoke("build", str(pkg))
    checked = invoke("check", str(pkg))
    return built, checked


# -- patch_scalars -------------------------------------------------------------------------------

TEXT = """\
# Events, with comments that must survive.
- id: vela-statement   # keep me
  participants:
    - {actor: ana-vela, role: speaker}     # flow mapping
    - actor: 'ruritania'
      role: initiator
  attributed_to: "ana-vela"
  aliases: [Ana Vela, 'A. Vela']

  summary: |
    Ana Vela
    said so.
"""


def test_patch_scalars_changes_only_the_scalars():
    changes = [
        ((0, "participants", 0, "actor"), "vela"),
        ((0, "participants", 1, "actor"), "ruritania-kingdom"),
        ((0, "attributed_to"), "vela"),
        ((0, "aliases", 1), "A. Vela, minister"),
    ]
    out = patch_scalars(TEXT, changes)
    assert out == TEXT.replace("{actor: ana-vela,", "{actor: vela,").replace(
        "'ruritania'", "'ruritania-kingdom'"
    ).replace('"ana-vela"', '"vela"').replace("'A. Vela'", "'A. Vela, minister'")
    data = yaml.safe_load(out)
    assert data[0]["aliases"] == ["Ana Vela", "A. Vela, minister"]


def test_patch_scalars_quotes_what_plain_would_misread():
    text = "- {actor: a, role: b}\n- id: c  # note\n"
    out = patch_scalars(text, [((0, "actor"), "x, y"), ((0, "role"), "true"), ((1, "id"), "2024-01-12")])
    assert out == '- {actor: "x, y", role: "true"}\n- id: "2024-01-12"  # note\n'
    assert yaml.safe_load(out) == [{"actor": "x, y", "role": "true"}, {"id": "2024-01-12"}]


def test_patch_scalars_keeps_unicode_and_tags():
    text = "- quote: “We will share” 🚨\n  id: !!str &a old  # x\n  n: 3\n"
    out = patch_scalars(text, [((0, "id"), "new-id"), ((0, "n"), 4), ((0, "quote"), "🚨 it’s: here")])
    assert out == '- quote: "🚨 it’s: here"\n  id: !!str &a new-id  # x\n  n: 4\n'


def test_patch_scalars_finds_lines_and_columns():
    spots = find_scalars(TEXT, [(0, "participants", 0, "actor"), (0, "attributed_to")])
    assert [(s.line, s.column, s.flow, s.style) for s in spots] == [(4, 15, True, None), (7, 18, False, '"')]


def test_patch_scalars_refuses_what_it_cannot_patch_in_place():
    with pytest.raises(PatchRefused, match="block scalar"):
        patch_scalars(TEXT, [((0, "summary"), "x")])
    with pytest.raises(PatchRefused, match="no such value"):
        patch_scalars(TEXT, [((0, "nothing"), "x")])
    with pytest.raises(PatchRefused, match="not a scalar"):
        patch_scalars(TEXT, [((0, "participants"), "x")])
    # An anchored scalar that an alias repeats would change in two places: refused
    with pytest.raises(PatchRefused, match="exactly"):
        patch_scalars("- a: &x old\n  b: *x\n", [((0, "a"), "new")])


def test_append_records_after_a_commented_empty_list():
    text = "# Ids never used again.\n[]  # none yet\n"
    out = append_records(text, [{"id": "a", "replaced_by": "b"}])
    assert out.startswith("# Ids never used again.\n- id: a\n  replaced_by: b\n")
    assert yaml.safe_load(out) == [{"id": "a", "replaced_by": "b"}]


# -- rename ----------------------------------------------------------------------------------------


def test_rename_updates_every_reference_kind(linked_package):
    pkg = linked_package
    before = {name: curated(pkg, name) for name in {**CURATED, **LINKS}}
    result = invoke("rename", "ana-vela", "vela", "--package", str(pkg))
    assert result.returncode == 0, result.stderr
    printed = result.stdout.splitlines()
    assert printed[-1] == "retired ana-vela (replaced by vela) in data/curated/retired-ids.yaml"
    places: dict[str, list[tuple[int, int]]] = {}
    for line in printed[:-1]:
        where, change = line.rsplit(": ", 1)
        assert change == "ana-vela -> vela"
        name, n, c = where.rsplit(":", 2)
        places.setdefault(name.removeprefix("data/curated/"), []).append((int(n), int(c)))
    # an actor's id, a relation's subject, an event's participants (flow and block) and
    # attributed_to, a commitment's attributed_to, a possibly-same link, a resolution's record and value
    assert places == {
        "actors/alpha.yaml": [(14, 7)],
        "relations/alpha.yaml": [(3, 12)],
        "events/alpha.yaml": [(7, 15), (18, 18), (20, 14)],
        "commitments/alpha.yaml": [(10, 18)],
        "possibly-same.yaml": [(1, 8)],
        "resolutions.yaml": [(3, 10), (5, 11)],
    }
    for name, text in before.items():
        if name in places:
            assert_only_scalars_changed(text, curated(pkg, name), "ana-vela", "vela", places[name])
        elif name != "retired-ids.yaml":
            assert curated(pkg, name) == text, name
    assert curated(pkg, "retired-ids.yaml") == before["retired-ids.yaml"] + (
        "\n- id: ana-vela\n  table: actors\n  replaced_by: vela\n  version: 0.1.0\n  reason: renamed to vela\n"
    )


def test_rename_updates_older_successors_and_ids_of_events(package):
    result = invoke(
        "rename",
        "ruritania",
        "ruritania-kingdom",
        "--package",
        str(package),
        "--reason",
        "the sources' own name",
        "--version",
        "0.3.0",
    )
    assert result.returncode == 0, result.stderr
    assert "data/curated/retired-ids.yaml:4:16: ruritania -> ruritania-kingdom" in result.stdout
    retired = yaml.safe_load(curated(package, "retired-ids.yaml"))
    assert retired == [
        {
            "id": "ruritania-state",
            "table": "actors",
            "replaced_by": "ruritania-kingdom",
            "version": "0.0.1",
            "reason": "renamed to the name the sources use",
        },
        {
            "id": "ruritania",
            "table": "actors",
            "replaced_by": "ruritania-kingdom",
            "version": "0.3.0",
            "reason": "the sources' own name",
        },
    ]
    assert "  replaced_by: ruritania-kingdom  # renamed\n" in curated(package, "retired-ids.yaml")
    assert "object: 'ruritania-kingdom'\n" in curated(package, "relations/alpha.yaml")
    # an event's id, and the references to it (part_of, made_in)
    result = invoke("rename", "vela-statement", "vela-remarks", "--package", str(package))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[:3] == [
        "data/curated/events/alpha.yaml:1:7: vela-statement -> vela-remarks",
        "data/curated/events/alpha.yaml:17:12: vela-statement -> vela-remarks",
        "data/curated/commitments/alpha.yaml:9:12: vela-statement -> vela-remarks",
    ]


def test_rename_dry_run_writes_nothing(package):
    before = snapshot(package)
    result = invoke("rename", "ana-vela", "vela", "--package", str(package), "--dry-run")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "would change data/curated/actors/alpha.yaml:14:7: ana-vela -> vela"
    assert lines[-1] == "would retire ana-vela (replaced by vela) in data/curated/retired-ids.yaml"
    assert "nothing was written" in result.stderr
    assert snapshot(package) == before


def test_rename_library_returns_the_plan(package):
    plan = rename(Package(package), "riot-officers", "officers")
    assert [str(c) for c in plan.changes] == ["data/curated/actors/beta.yaml:5:7: riot-officers -> officers"]
    assert plan.retired == {
        "id": "riot-officers",
        "table": "actors",
        "replaced_by": "officers",
        "version": "0.1.0",
        "reason": "renamed to officers",
    }
    assert sorted(p.name for p in plan.files) == ["beta.yaml", "retired-ids.yaml"]


def test_rename_then_check_is_clean(package):
    built, _ = build_and_check(package)
    assert built.returncode == 0, built.stderr
    assert invoke("rename", "ana-vela", "vela", "--package", str(package)).returncode == 0
    built, checked = build_and_check(package)
    assert built.returncode == 0, built.stderr
    assert checked.returncode == 0, checked.stdout


def test_first_retired_id_creates_the_register(tmp_path):
    files = {k: v for k, v in CURATED.items() if k != "retired-ids.yaml"}
    files["retired-ids.yaml"] = "# Ids never used again.\n[]\n"
    pkg = make_package(tmp_path / "pkg", files)
    assert invoke("rename", "riot-officers", "officers", "--package", str(pkg)).returncode == 0
    assert curated(pkg, "retired-ids.yaml") == (
        "# Ids never used again.\n- id: riot-officers\n  table: actors\n  replaced_by: officers\n"
        "  version: 0.1.0\n  reason: renamed to officers\n"
    )
    (pkg / "data" / "curated" / "retired-ids.yaml").unlink()
    assert invoke("rename", "officers", "riot-victims", "--package", str(pkg)).returncode == 0
    assert yaml.safe_load(curated(pkg, "retired-ids.yaml"))[0]["id"] == "officers"


# -- refusals ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, status, message",
    [
        (["rename", "nobody", "somebody"], 1, "OLD `nobody`: no actor, relation, event or commitment has this id"),
        (
            ["rename", "ana-vela", "ruritania"],
            1,
            "NEW `ruritania` already names an actor; to make them one record, run `seccoop merge ruritania ana-vela`",
        ),
        (["rename", "ana-vela", "alpha"], 1, "NEW `alpha` already names a source"),
        (["rename", "ana-vela", "vela-statement"], 1, "NEW `vela-statement` already names an event"),
        (["rename", "ana-vela", "Ana_Vela"], 2, "NEW `Ana_Vela` is not an id"),
        (["rename", "ana-vela", "ana-vela"], 2, "OLD and NEW are the same id"),
        (["rename", "ruritania-state", "ruritania-realm"], 1, "OLD `ruritania-state` is already retired"),
        (["rename", "ana-vela", "ruritania-state"], 1, "NEW `ruritania-state` was retired in 0.0.1"),
        (["rename", "alpha", "alpha-source"], 1, "OLD `alpha` is a source"),
        (["rename", "ana-vela", "vela", "--version", "2"], 2, "--version '2' is not a version X.Y.Z"),
        (["rename", "ana-vela", "vela", "--reason", " "], 2, "--reason is empty"),
        (["merge", "ruritania", "nobody"], 1, "OTHER `nobody`: no actor, relation, event or commitment has this id"),
        (["merge", "nobody", "ruritania"], 1, "KEEP `nobody`: no actor"),
        (["merge", "ruritania", "ruritania"], 2, "KEEP and OTHER are the same id"),
        (
            ["merge", "ruritania", "vela-statement"],
            1,
            "KEEP `ruritania` is an actor and OTHER `vela-statement` "
            "is an event: only records of one kind can be the same",
        ),
        (
            ["merge", "ruritania-state", "freedonia"],
            1,
            "KEEP `ruritania-state` is already retired (in 0.0.1, replaced by `ruritania`); name `ruritania` instead",
        ),
        (
            ["merge", "freedonia", "ana-vela"],
            1,
            "after the merge, source `alpha` would give two accounts of "
            "`freedonia`: data/curated/actors/alpha.yaml:8:7 (`freedonia`) and "
            "data/curated/actors/alpha.yaml:14:7 (`ana-vela`); merge those two "
            "entries into one under `freedonia` by hand first",
        ),
    ],
)
def test_refusals_write_nothing(package, args, status, message):
    before = snapshot(package)
    result = invoke(*args, "--package", str(package))
    assert result.returncode == status, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(package) == before


def test_merge_refuses_links_it_would_make_meaningless(linked_package):
    before = snapshot(linked_package)
    result = invoke("merge", "riot-officers", "ana-vela", "--package", str(linked_package))
    assert result.returncode == 1
    assert (
        "data/curated/possibly-same.yaml:1:8: links `riot-officers` and `ana-vela` as possibly the same"
        in result.stderr
    )
    assert snapshot(linked_package) == before


def test_refusals_as_library_errors(package):
    with pytest.raises(BadArguments):
        rename(Package(package), "ana-vela", "Vela")
    with pytest.raises(IdentityRefused):
        merge(Package(package), "ruritania", "nobody")


def test_broken_curated_file_is_refused(package):
    (package / "data" / "curated" / "events" / "beta.yaml").write_text("- id: x\n  id: y\n", encoding="utf-8")
    before = snapshot(package)
    result = invoke("rename", "ana-vela", "vela", "--package", str(package))
    assert result.returncode == 1
    assert "data/curated/events/beta.yaml:2:3: yaml-duplicate-key" in result.stderr
    assert snapshot(package) == before


# -- merge -----------------------------------------------------------------------------------------


def test_merge_updates_references_and_retires_other(package):
    result = invoke("merge", "freedonia", "freedonia-state", "--package", str(package))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "data/curated/actors/beta.yaml:1:7: freedonia-state -> freedonia",
        "data/curated/events/beta.yaml:7:15: freedonia-state -> freedonia",
        "retired freedonia-state (replaced by freedonia) in data/curated/retired-ids.yaml",
    ]
    assert curated(package, "actors/beta.yaml") == CURATED["actors/beta.yaml"].replace(
        "- id: freedonia-state\n", "- id: freedonia\n"
    )
    assert yaml.safe_load(curated(package, "retired-ids.yaml"))[-1] == {
        "id": "freedonia-state",
        "table": "actors",
        "replaced_by": "freedonia",
        "version": "0.1.0",
        "reason": "merged into freedonia",
    }


def test_merge_after_a_hand_merge_retires_the_id_left_in_references(package):
    # The curator merged freedonia-state's account into freedonia's by hand; references remain
    beta = package / "data" / "curated" / "actors" / "beta.yaml"
    beta.write_text(
        CURATED["actors/beta.yaml"].split("- id: riot-officers")[0].replace("freedonia-state", "freedonia"),
        encoding="utf-8",
    )
    result = invoke("merge", "freedonia", "freedonia-state", "--package", str(package))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "data/curated/events/beta.yaml:7:15: freedonia-state -> freedonia"


def test_merge_gives_a_package_that_checks_clean(package):
    built, checked = build_and_check(package)
    assert built.returncode == 0, built.stderr  # two records, before the merge
    result = invoke("merge", "freedonia", "freedonia-state", "--package", str(package))
    assert result.returncode == 0, result.stderr
    built, checked = build_and_check(package)
    assert built.returncode == 0, built.stderr
    assert checked.returncode == 0, checked.stdout
    # one record with an account from each source, and the retired id published
    actors = {row["id"]: row for row in csv.DictReader((package / "data" / "actors.csv").open(encoding="utf-8"))}
    assert actors["freedonia"]["source_count"] == "2" and "freedonia-state" not in actors
    accounts = csv.DictReader((package / "data" / "account_actors.csv").open(encoding="utf-8"))
    assert sorted(row["source"] for row in accounts if row["actor"] == "freedonia") == ["alpha", "beta"]
    assert "freedonia-state,actors,freedonia,0.1.0,merged into freedonia" in (
        package / "data" / "retired_ids.csv"
    ).read_text(encoding="utf-8")


def test_no_package_is_a_usage_error(tmp_path):
    result = invoke("merge", "a", "b", "--package", str(tmp_path))
    assert result.returncode == 2
    assert "no datapackage.json" in result.stderr
