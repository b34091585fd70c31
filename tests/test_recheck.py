"""A re-check after an edit checks only what the edit can reach (docs/cache.md, "Re-checking only
what an edit can reach"), and its answer is the answer of a cold check: on a generated package of
many sources in stories (each source's accounts in files of its own, records told by several
sources, resolutions), random sequences of edits across files, valid and invalid, some joining
stories or breaking other files' references, each followed by a cached and a cold check."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
from pathlib import Path

import pytest
from conftest import copy_package, first_fast
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_benchmark_generator import generate
from test_cache import _age, _answer, _damage_cache

from seccoop import check


@pytest.fixture(scope="module")
def stories(tmp_path_factory) -> Path:
    """A generated package of 200 events (28 sources in stories, some joined by shared actors),
    built once."""
    from seccoop.curator.resolve import resolve
    from seccoop.model.package import Package
    from seccoop.published.build import build

    pkg = tmp_path_factory.mktemp("stories") / "pkg"
    generate.generate(pkg, events=200, seed=5)
    curated = pkg / "data" / "curated"
    # What joins records through ids that are not ids of records: retired ids replaced by a span
    # and by a quantity (their source and record), a resolution whose value names an actor of
    # another story, an event without participants (a record of its id refused elsewhere hides it)
    (curated / "retired-ids.yaml").write_text(
        f"- id: {FIRST}@1982-2100\n  table: spans\n  replaced_by: {FIRST}@1982-2166\n"
        "  version: 0.2.0\n  reason: quote extended\n\n"
        f"- id: {FIRST}-intelligence-sharing-e0@over-374-people\n  table: quantities\n"
        f"  replaced_by: {FIRST}-intelligence-sharing-e0@over-374-people-detained\n  version: 0.2.0\n"
        "  reason: unit named\n",
        encoding="utf-8",
    )
    settled = resolve(
        Package(pkg),
        "mama-doliran-000000-part-of-lane-kitara-r0",
        "subject",
        "nasol-vedelin-000025",
        "the curator's reading",
    )
    settled.path.write_bytes(settled.data)  # with what it saw, as `seccoop resolve` writes it
    _sub(curated / "events" / "vidado-report-2022-000011.yaml", r"  participants:\n(    - .*\n)+?(?=  evidence:)", "")
    build(pkg, notify=lambda message: None)
    return pkg


FIRST = "riceda-report-2020-000000"  # the first source of the generated package (seed 5)


@pytest.fixture
def own_cache(monkeypatch, tmp_path) -> Path:
    monkeypatch.setenv("SECCOOP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("CI", raising=False)
    return tmp_path / "cache"


class _Files(list):
    """A kind's per-source files, any number picking one (modulo their count)."""

    def __getitem__(self, n):
        return super().__getitem__(n % len(self)) if isinstance(n, int) else super().__getitem__(n)


def _files(pkg: Path, plural: str) -> list[Path]:
    return _Files(sorted((pkg / "data" / "curated" / plural).glob("*.yaml")))


def _sub(path: Path, pattern: str, replace) -> None:
    """Replace the first match of `pattern` in a file (nothing where there is none)."""
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(pattern, replace, text, count=1, flags=re.M), encoding="utf-8")


def _first_id(path: Path) -> str:
    return re.search(r"^- id: (\S+)", path.read_text(encoding="utf-8"), re.M).group(1)


def _drop_first_record(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    starts = [m.start() for m in re.finditer(r"^- id: ", text, re.M)]
    if len(starts) > 1:
        path.write_text(text[: starts[0]] + text[starts[1] :], encoding="utf-8")


def _drop_first_entry(path: Path) -> None:
    """A register's first entry removed (the others move up one place)."""
    text = path.read_text(encoding="utf-8")
    starts = [m.start() for m in re.finditer(r"^- ", text, re.M)]
    if len(starts) > 1:
        path.write_text(text[: starts[0]] + text[starts[1] :], encoding="utf-8")


def _add_record(path: Path) -> None:
    """The file's first record again under a new id: a record added (its rows are new rows)."""
    text = path.read_text(encoding="utf-8")
    starts = [m.start() for m in re.finditer(r"^- id: ", text, re.M)] + [len(text)]
    first = text[starts[0] : starts[1]].rstrip("\n") + "\n"
    added = re.sub(r"^- id: (\S+)", r"- id: \1-again", first, count=1, flags=re.M)
    path.write_text(text.rstrip("\n") + "\n\n" + added, encoding="utf-8")


def _reorder(path: Path) -> None:
    """The file's first record moved to its end."""
    text = path.read_text(encoding="utf-8")
    starts = [m.start() for m in re.finditer(r"^- id: ", text, re.M)]
    if len(starts) > 1:
        first = text[starts[0] : starts[1]].rstrip("\n") + "\n"
        path.write_text(text[: starts[0]] + text[starts[1] :].rstrip("\n") + "\n\n" + first, encoding="utf-8")


def _saved_by_rename(path: Path, pattern: str = "", replace: str = "") -> None:
    """Saved as editors save: a new file beside it, renamed over it (the same bytes, or edited)."""
    text = path.read_text(encoding="utf-8")
    fresh = path.with_name(f".{path.name}.new")
    fresh.write_text(re.sub(pattern, replace, text, count=1, flags=re.M) if pattern else text, encoding="utf-8")
    os.replace(fresh, path)


def _temporary_file(path: Path) -> None:
    """An editor's swap file beside it, created and removed: nothing changed."""
    swap = path.with_name(f".{path.name}.swp")
    swap.write_bytes(b"swap")
    swap.unlink()


def _kept_dates(path: Path, pattern: str, replace: str) -> None:
    """The first match of `pattern` replaced by as many bytes, in place; the file's access and
    modification times then set back: only its change time tells the edit."""
    before = path.stat()
    raw = path.read_bytes()
    edited = re.sub(pattern.encode(), replace.encode(), raw, count=1, flags=re.M)
    assert len(edited) == len(raw)
    path.write_bytes(edited)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


def _build(pkg: Path) -> None:
    from seccoop.published.build import BuildFailed, build

    with contextlib.suppress(BuildFailed):  # a broken edit builds nothing; the check says why
        build(pkg, notify=lambda message: None)


def _restore(pkg: Path, base: Path) -> None:
    shutil.rmtree(pkg / "data" / "curated")
    shutil.copytree(base / "data" / "curated", pkg / "data" / "curated")


# Each edit takes the package, the built original and a number that picks the files it edits.
EDITS = {
    "summary": lambda pkg, base, n: _sub(_files(pkg, "events")[n], r"summary: ", "summary: Edit. "),
    "quote-not-in-source": lambda pkg, base, n: _sub(_files(pkg, "events")[n], r"quote: ", "quote: Not said "),
    "bad-code": lambda pkg, base, n: _sub(_files(pkg, "events")[n], r"type: [a-z-]+", "type: parade"),
    "requote": lambda pkg, base, n: _sub(_files(pkg, "events")[n], r"type: ([a-z-]+)", r"type: '\1'"),
    "place": lambda pkg, base, n: _sub(_files(pkg, "events")[n], r"place: \w+", "place: Elsewhere"),
    "type-changed": lambda pkg, base, n: _sub(_files(pkg, "events")[n], r"^  type: [a-z-]+", "  type: other"),
    "status-changed": lambda pkg, base, n: _sub(_files(pkg, "events")[n], r"status: occurred", "status: ongoing"),
    "strength": lambda pkg, base, n: _sub(_files(pkg, "commitments")[n], r"strength: \w+", "strength: vow"),
    "comment": lambda pkg, base, n: _files(pkg, "actors")[n].open("a", encoding="utf-8").write("# seen\n"),
    # another story's actor, event or id: stories joined, accounts of one record from two stories
    "foreign-participant": lambda pkg, base, n: _sub(
        _files(pkg, "events")[n], r"\{actor: [a-z0-9-]+,", f"{{actor: {_first_id(_files(pkg, 'actors')[n + 14])},"
    ),
    "foreign-id": lambda pkg, base, n: _sub(
        _files(pkg, "events")[n], r"^- id: \S+", f"- id: {_first_id(_files(pkg, 'events')[n + 14])}"
    ),
    "foreign-part-of": lambda pkg, base, n: _sub(
        _files(pkg, "events")[n], r"^  type: ", f"  part_of: {_first_id(_files(pkg, 'events')[n + 1])}\n  type: "
    ),
    # states, posts and part-of links (issue 24): a tie said to start after its source, a held
    # post without its role, an actor made part of another story's, a country a chain derives from
    "start-after-source": lambda pkg, base, n: _sub(
        _files(pkg, "relations")[n], r'start: \{earliest: "\d{4}', 'start: {earliest: "2031'
    ),
    "post-role-dropped": lambda pkg, base, n: _sub(_files(pkg, "relations")[n], r"^  role_code: \w+\n", ""),
    "foreign-actor-part-of": lambda pkg, base, n: _sub(
        _files(pkg, "actors")[n], r"^  type: ", f"  part_of: {_first_id(_files(pkg, 'actors')[n + 14])}\n  type: "
    ),
    "country-changed": lambda pkg, base, n: _sub(_files(pkg, "actors")[n], r"country: [A-Z]{2}", "country: PE"),
    # references elsewhere break: an actor renamed, a record dropped
    "actor-renamed": lambda pkg, base, n: _sub(_files(pkg, "actors")[n], r"^- id: (\S+)", r"- id: \1-gone"),
    "record-dropped": lambda pkg, base, n: _drop_first_record(_files(pkg, "events")[n]),
    # issue 28: records added and reordered, saves by rename, temporary files, files added and removed
    "record-added": lambda pkg, base, n: _add_record(_files(pkg, "events")[n]),
    "record-reordered": lambda pkg, base, n: _reorder(_files(pkg, "events")[n]),
    "record-moved-on": lambda pkg, base, n: _moved_one_file_on(pkg, n),
    "post-taken-over": lambda pkg, base, n: _taken_over(pkg, "relations", n, "  type: holds-post\n"),
    "post-shared": lambda pkg, base, n: _post_shared(pkg, n),
    "spans-taken-over": lambda pkg, base, n: _taken_over(pkg, "events", n, ""),
    "saved-by-rename": lambda pkg, base, n: _saved_by_rename(_files(pkg, "actors")[n]),
    "edited-by-rename": lambda pkg, base, n: _saved_by_rename(
        _files(pkg, "events")[n], r"summary: ", "summary: Renamed. "
    ),
    "temporary-file": lambda pkg, base, n: _temporary_file(_files(pkg, "commitments")[n]),
    "file-added": lambda pkg, base, n: shutil.copy(
        _files(pkg, "actors")[n], _files(pkg, "actors")[n].with_name("zz-added.yaml")
    ),
    "file-removed": lambda pkg, base, n: _files(pkg, "commitments")[n].unlink(),
    "yaml-broken": lambda pkg, base, n: _sub(_files(pkg, "events")[n], r"participants:", "participants: ["),
    # what the package's registers and warnings hang on, changed from a file they do not name
    "span-successor-cut": lambda pkg, base, n: _sub(
        pkg / "data" / "curated" / "events" / f"{FIRST}.yaml", r", with Over 374 people detained$", ""
    ),
    "quantity-successor-renamed": lambda pkg, base, n: _sub(
        pkg / "data" / "curated" / "events" / f"{FIRST}.yaml", r"unit: people detained\}", "unit: people held}"
    ),
    "resolved-subject-broken": lambda pkg, base, n: [
        _sub(
            pkg / "data" / "curated" / "actors" / f"{name}.yaml",
            r"(- id: nasol-vedelin-000025\n(  .*\n)*?  type: )person",
            r"\1persn",
        )
        for name in ("mivito-report-2013-000025", "sosoga-report-2013-000026")
    ],
    "refused-record": lambda pkg, base, n: (
        _files(pkg, "events")[n]
        .open("a", encoding="utf-8")
        .write("\n- id: vidado-report-2022-000011-terrorist-designation-e0\n  summary: a\n  summary: b\n")
    ),
    "resolution": lambda pkg, base, n: _sub(pkg / "data" / "curated" / "resolutions.yaml", r"value: ", "value: X"),
    "resolution-reason": lambda pkg, base, n: _sub(
        pkg / "data" / "curated" / "resolutions.yaml", r"^  reason: ", "  reason: On a second reading, "
    ),
    "resolution-dropped": lambda pkg, base, n: _drop_first_entry(pkg / "data" / "curated" / "resolutions.yaml"),
    "seed": lambda pkg, base, n: _sub(sorted((pkg / "seeds").glob("*.txt"))[n], r"the", "teh"),
    # the same size and modification time: a value edited, a code no codelist has
    "kept-dates-summary": lambda pkg, base, n: _kept_dates(_files(pkg, "events")[n], r"(?<=summary: )\w", "Q"),
    "kept-dates-code": lambda pkg, base, n: _kept_dates(_files(pkg, "events")[n], r"(?<=^  type: )[a-z]", "q"),
    # the baseline's entry, store, index and kept scopes damaged: never trusted
    "cache-corrupt": lambda pkg, base, n: _damage_cache(
        lambda raw: raw[: len(raw) // 2] + bytes([raw[len(raw) // 2] ^ 1]) + raw[len(raw) // 2 + 1 :]
    ),
    "cache-truncated": lambda pkg, base, n: _damage_cache(lambda raw: raw[: len(raw) // 2]),
    "build": lambda pkg, base, n: _build(pkg),
    "revert": lambda pkg, base, n: _restore(pkg, base),
}


PROPERTY = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
EDIT_SEQUENCES = st.lists(st.tuples(st.sampled_from(sorted(EDITS)), st.integers(0, 27)), min_size=1, max_size=5)


@pytest.mark.slow  # the property at CI size
@settings(max_examples=int(os.environ.get("SECCOOP_CACHE_EXAMPLES", "6")), **PROPERTY)
@given(EDIT_SEQUENCES)
def test_a_recheck_within_reach_is_the_cold_answer(stories, tmp_path_factory, own_cache, edits):
    recheck_is_cold(stories, tmp_path_factory, own_cache, edits)


@settings(max_examples=1, **PROPERTY)
@given(EDIT_SEQUENCES)
def test_a_recheck_after_one_random_sequence_of_edits_is_the_cold_answer(stories, tmp_path_factory, own_cache, edits):
    """The same property on one example, for the developer's loop (`pytest -m "not slow"`)."""
    recheck_is_cold(stories, tmp_path_factory, own_cache, edits)


def test_a_recheck_of_states_posts_and_part_of_links_is_the_cold_answer(stories, tmp_path_factory, own_cache):
    """The property on edits of what issue 24 added: a tie's start, a held post's role, an actor
    made part of another story's actor, and then that actor's country (its country_derived)."""
    recheck_is_cold(
        stories,
        tmp_path_factory,
        own_cache,
        [("start-after-source", 0), ("post-role-dropped", 1), ("foreign-actor-part-of", 2), ("country-changed", 16)],
    )


def recheck_is_cold(stories, tmp_path_factory, own_cache, edits):
    pkg = copy_package(stories, tmp_path_factory.mktemp("recheck") / "pkg")
    _age(pkg)  # as a curator's files are: the baseline's store holds them
    assert check(pkg, cache=True).valid
    for name, n in edits:
        EDITS[name](pkg, stories, n)
        _age(pkg)
        cached, cold = check(pkg, cache=True), check(pkg, cache=False)
        assert _answer(cached) == _answer(cold), (edits, name)


def test_a_problem_of_a_register_entry_that_moved_stays_in_the_answer(stories, tmp_path_factory, own_cache):
    """Found by the property above: an actor held back by an error makes a resolution settling a
    reference to it an error, and the register's first entry removed moves that entry up one
    place. The scope's problems are placed by where the entries are now (they were judged by
    where the baseline had them, and this one was dropped from the answer)."""
    edits = [
        ("record-moved-on", 15),
        ("record-moved-on", 15),
        ("post-role-dropped", 11),
        ("resolved-subject-broken", 27),
        ("resolution-dropped", 0),
    ]
    recheck_is_cold(stories, tmp_path_factory, own_cache, edits)


def _scopes(monkeypatch) -> list:
    from seccoop.published import flow

    seen, real = [], flow.run

    def run(*args, scope=None, **kw):
        seen.append(scope)
        return real(*args, scope=scope, **kw)

    monkeypatch.setattr(flow, "run", run)
    return seen


def _checked_after(stories: Path, tmp_path: Path, monkeypatch, edit) -> tuple[Path, list, object]:
    """A copy of the package checked (the baseline), `edit(pkg)` made, and checked again: the
    package, the scopes the second check ran (`_scopes`) and its report."""
    pkg = copy_package(stories, tmp_path / "pkg")
    _age(pkg)
    check(pkg, cache=True)
    scopes = _scopes(monkeypatch)
    edit(pkg)
    _age(pkg)
    return pkg, scopes, check(pkg, cache=True)


def test_a_value_edit_checks_its_story_only(stories, tmp_path, own_cache, monkeypatch):
    pkg = copy_package(stories, tmp_path / "pkg")
    _age(pkg)
    check(pkg, cache=True)
    scopes = _scopes(monkeypatch)
    edited = _files(pkg, "events")[0]
    EDITS["summary"](pkg, stories, 0)
    _age(pkg)
    cached = check(pkg, cache=True)
    # the stories the edited file's ids reach, as they were and as they are: not the others
    assert len(scopes) == 2 and all(s is not None for s in scopes)
    files = set(scopes[0].files)
    everything = {
        package_rel(p)
        for plural in ("sources", "actors", "relations", "events", "commitments")
        for p in _files(pkg, plural)
    }
    assert package_rel(edited) in files and files < everything
    [stale] = [p for p in cached.problems if p.code == "package-stale"]
    assert "data/events.csv" in stale.message
    assert sorted(p.code for p in cached.problems) == ["event-without-participants", "package-stale"]
    assert _answer(cached) == _answer(check(pkg, cache=False))


def test_a_summary_edit_is_checked_with_its_readers_not_everything_its_ids_join(
    stories, tmp_path, own_cache, monkeypatch
):
    """The directed scope (docs/cache.md, "Readers and context"): an events file edited is checked
    with the files that read it and what they read, fewer than every file its ids join."""
    from seccoop.incremental import scope

    pkg = copy_package(stories, tmp_path / "pkg")
    _age(pkg)
    check(pkg, cache=True)
    [path] = own_cache.glob("seccoop/*.index")
    index = scope.Index.loads(path.read_bytes())
    edited = package_rel(_files(pkg, "events")[3])
    n = index.number(edited)
    joined, _, _ = scope.reach(index, {n: set(index.tokens_of(n))}, {}, limit=10**6)
    scopes = _scopes(monkeypatch)
    EDITS["summary"](pkg, stories, 3)
    _age(pkg)
    cached = check(pkg, cache=True)
    assert len(scopes) == 2 and all(s is not None for s in scopes)
    assert edited in scopes[1].files and len(scopes[1].files) < len(joined)
    assert _answer(cached) == _answer(check(pkg, cache=False))


def _read_file(index, roles, pkg: Path, plural: str, pattern: str) -> Path:
    """The first file of a kind that has `pattern` and that other files read (name its ids);
    no record names a tie, so for relations only the pattern decides."""
    for path in _files(pkg, plural):
        n = index.number(package_rel(path))
        text = path.read_text(encoding="utf-8")
        if re.search(pattern, text, re.M) and (plural == "relations" or _readers_of(roles, n) - _accounts_of(roles, n)):
            return path
    raise AssertionError(f"no {plural} file is read by another")


def _accounts_of(roles, n: int) -> set[int]:
    return {m for t in roles.defines(n) for m in roles.definers(t)}


def _readers_of(roles, n: int) -> set[int]:
    return {m for t in roles.defines(n) for m in roles.namers(t)}


@pytest.mark.parametrize(
    ("plural", "pattern", "replace", "quiet"),
    [
        ("events", r"summary: ", "summary: Edit. ", True),  # read by its record's own rules and rows alone
        ("events", r"status: occurred", "status: ongoing", True),
        # a tie's start, in a file holding a post (the index names the post: `post:` tokens)
        ("relations", r'(?s)(holds-post.*?start: \{earliest: ")\d{4}', r"\g<1>2001", True),
        ("events", r"^  type: [a-z-]+", "  type: other", True),
        ("actors", r"country: [A-Z]{2}", "country: PE", False),  # a country derives down `part_of` chains
        ("events", r"quote: ", "quote: Not said ", False),  # a source's budget counts every quote of it
        ("sources", r"^  length: (\d+)", r"  length: \1.0", False),  # equal in Python, not the same value
        # an error: its record may be held back from every reader, which no read of a field tells
        ("events", r"^  type: [a-z-]+", "  type: parade", None),
    ],
)
def test_an_edit_rechecks_the_readers_of_the_fields_it_changed(
    stories, tmp_path, own_cache, monkeypatch, plural, pattern, replace, quiet
):
    """Field grain (docs/cache.md): a field that the baseline's check read only for its own record
    (a summary, an event's type or status) re-runs that record's rules and rows: the members are
    the edited file and the other accounts of its ids, not the files that read them. A field
    read beyond its record (an actor's country, a quote) re-runs its readers too, and so does a
    quiet edit that leaves an error (its record may be held back). Each answer is the cold one."""
    from seccoop.incremental import scope

    pkg = copy_package(stories, tmp_path / "pkg")
    _age(pkg)
    check(pkg, cache=True)
    [path] = own_cache.glob("seccoop/*.index")
    index = scope.Index.loads(path.read_bytes())
    roles = scope._Roles(index)
    edited = _read_file(index, roles, pkg, plural, pattern)
    n = index.number(package_rel(edited))
    reached = []
    real = scope.directed_reach
    monkeypatch.setattr(scope, "directed_reach", lambda *a, **k: reached.append(real(*a, **k)) or reached[-1])
    _sub(edited, pattern, replace)
    _age(pkg)
    cached = check(pkg, cache=True)
    assert reached and reached[0] is not None
    members = reached[0].members
    if quiet is False:
        assert members >= _accounts_of(roles, n) | _readers_of(roles, n)
    else:
        assert members == _accounts_of(roles, n)
    if quiet is None:  # quiet, and then checked with its readers
        assert len(reached) == 2 and reached[1].members >= _accounts_of(roles, n) | _readers_of(roles, n)
    assert _answer(cached) == _answer(check(pkg, cache=False))


def package_rel(path: Path) -> str:
    return "data/curated/" + path.parent.name + "/" + path.name


def test_an_edit_beyond_curated_records_and_registers_checks_everything(stories, tmp_path, own_cache, monkeypatch):
    pkg = copy_package(stories, tmp_path / "pkg")
    _age(pkg)
    check(pkg, cache=True)
    scopes = _scopes(monkeypatch)
    EDITS["seed"](pkg, stories, 0)
    _age(pkg)
    cached = check(pkg, cache=True)
    assert scopes == [None]
    assert _answer(cached) == _answer(check(pkg, cache=False))


@pytest.mark.parametrize(
    "name",
    first_fast(
        [
            "record-added",
            "record-dropped",
            "record-reordered",
            "file-added",
            "file-removed",
            "resolution-reason",
            "resolution-dropped",
            "edited-by-rename",
        ]
    ),
)
def test_records_and_files_added_or_removed_and_registers_edited_are_checked_within_reach(
    stories, tmp_path, own_cache, monkeypatch, name
):
    """Issue 28: these re-check what they reach (a scope as it was and as it is), not the whole
    package, and answer as a cold check does."""
    pkg, scopes, cached = _checked_after(stories, tmp_path, monkeypatch, lambda pkg: EDITS[name](pkg, stories, 3))
    assert scopes and None not in scopes, name
    assert _answer(cached) == _answer(check(pkg, cache=False))


def _moved_one_file_on(pkg: Path, n: int = 0) -> None:
    """The last record of an events file moved, word for word, into a new file that a check
    loads right after the next events file: its record's rows are the same, now after that file's
    (beyond the scope: another story's)."""
    files = _files(pkg, "events")
    texts = [f.read_text(encoding="utf-8") for f in files]
    ids = [re.findall(r"^- id: (\S+)", text, re.M) for text in texts]
    # a file whose last record is its record's first account, the next file holding none of it
    k = next(
        (
            k
            for k in range(n % len(files), len(files) - 1)
            if len(ids[k]) > 1 and not any(ids[k][-1] in ids[m] for m in (*range(k), k + 1))
        ),
        None,
    )
    if k is None:
        return
    last = [m.start() for m in re.finditer(r"^- id: ", texts[k], re.M)][-1]
    files[k].write_text(texts[k][:last], encoding="utf-8")
    moved = files[k + 1].with_name(f"{files[k + 1].stem}_moved.yaml")  # after `<stem>.yaml` ("_" > ".")
    moved.write_text(texts[k][last:], encoding="utf-8")


def _taken_over(pkg: Path, plural: str, n: int, holding: str) -> None:
    """A record of a kind's per-source file (the first holding `holding`) copied under a new id
    into `<kinds>.yaml`, which a check loads first: the spans it cites, or the post it holds,
    are published by the copy now, at another place than before."""
    for path in _files(pkg, plural)[n:] + _files(pkg, plural)[:n]:
        text = path.read_text(encoding="utf-8")
        starts = [m.start() for m in re.finditer(r"^- id: ", text, re.M)] + [len(text)]
        records = [text[a:b] for a, b in zip(starts, starts[1:], strict=False)]
        found = [r for r in records if holding in r]
        if found:
            copy = re.sub(r"^- id: (\S+)", r"- id: \1-again", found[0].rstrip("\n") + "\n", count=1, flags=re.M)
            (pkg / "data" / "curated" / f"{plural}.yaml").write_text(copy, encoding="utf-8")
            return


def _post_shared(pkg: Path, n: int) -> None:
    """A holds-post relation of one source copied under a new id into `relations.yaml` (loaded
    first), holding the post of a relation of another source: its row is the copy's now, and the
    relation that held it is in no file the copy names or cites."""
    held = []
    for path in _files(pkg, "relations")[n:] + _files(pkg, "relations")[:n]:
        text = path.read_text(encoding="utf-8")
        for m in re.finditer(r"^- id: \S+\n  type: holds-post\n(  .*\n|    .*\n)*", text, re.M):
            held.append(m.group(0))
            break
        if len(held) == 2:
            break
    obj = re.search(r"^  object: (\S+)", held[1], re.M) if len(held) == 2 else None
    code = re.search(r"^  role_code: (\S+)", held[1], re.M) if len(held) == 2 else None
    if obj is None or code is None:
        return
    copy = re.sub(r"^- id: (\S+)", r"- id: \1-again", held[0], count=1, flags=re.M)
    copy = re.sub(r"^  object: \S+", f"  object: {obj.group(1)}", copy, count=1, flags=re.M)
    copy = re.sub(r"^  role_code: \S+", f"  role_code: {code.group(1)}", copy, count=1, flags=re.M)
    (pkg / "data" / "curated" / "relations.yaml").write_text(copy, encoding="utf-8")


@pytest.mark.parametrize("name", ["post-taken-over", "post-shared", "spans-taken-over"])
def test_rows_that_another_record_publishes_now_are_placed_as_a_cold_check_places_them(
    stories, tmp_path, own_cache, monkeypatch, name
):
    """A span is published by the first record citing it, a post by the first relation holding
    it: a record loaded first that cites or holds them moves their rows. Within reach where the
    scope holds every record that could (the post's other holders, found by the index), and the
    answer is the cold one."""
    pkg, scopes, cached = _checked_after(stories, tmp_path, monkeypatch, lambda pkg: EDITS[name](pkg, stories, 3))
    assert scopes and (scopes[-1] is not None or name == "post-shared"), name  # (its source's citers: whole)
    assert _answer(cached) == _answer(check(pkg, cache=False))


def test_a_record_moved_past_rows_beyond_the_scope_stales_its_tables(stories, tmp_path, own_cache, monkeypatch):
    """A record's first account moved to a file loaded later: its rows are the same, now after the
    rows of records first in the file between, beyond the scope. The baseline's row places
    tell which derived files that makes stale, without a check of the whole package."""
    pkg, scopes, cached = _checked_after(stories, tmp_path, monkeypatch, _moved_one_file_on)
    assert scopes and None not in scopes
    assert _answer(cached) == _answer(check(pkg, cache=False))
    [stale] = [p for p in cached.problems if p.code == "package-stale"]
    assert "data/events.csv" in stale.message and "datapackage.json" in stale.message


def test_the_scope_as_it_was_is_checked_in_a_process_beside_it(stories, tmp_path, own_cache, monkeypatch):
    """In a package large enough, the scope as the baseline had it is checked in a forked process
    while this one checks the scope as it is: the same answer, kept by this process."""
    from seccoop.incremental import recheck

    monkeypatch.setattr(recheck, "_two_cores", lambda worth_it: True)
    pkg, scopes, cached = _checked_after(stories, tmp_path, monkeypatch, lambda pkg: EDITS["summary"](pkg, stories, 2))
    assert len(scopes) == 1 and scopes[0] is not None  # the scope as it was: in the other process
    assert _answer(cached) == _answer(check(pkg, cache=False))
    assert list(own_cache.glob("seccoop/*.scope"))


def test_a_worker_that_dies_sends_the_check_whole(stories, tmp_path, own_cache, monkeypatch):
    """The process checking the scope as it was killed (out of memory, say): the whole package is
    checked, and the answer is the cold one."""
    from seccoop.incremental import recheck

    monkeypatch.setattr(recheck, "_two_cores", lambda worth_it: True)
    monkeypatch.setattr(recheck, "_then_found", lambda *args: os.kill(os.getpid(), signal.SIGKILL))
    pkg, scopes, cached = _checked_after(stories, tmp_path, monkeypatch, lambda pkg: EDITS["summary"](pkg, stories, 2))
    assert scopes[-1] is None
    assert _answer(cached) == _answer(check(pkg, cache=False))


def test_a_report_kept_over_the_baseline_lists_only_the_files_that_differ(stories, tmp_path, own_cache, monkeypatch):
    """After a check from the baseline, the report's entry lists only the files that differ from the
    baseline's (and the baseline's checksum): the next check answers from both; with the baseline's
    entry replaced, the report kept over it is not trusted."""
    import json

    from seccoop.incremental import cache

    pkg = copy_package(stories, tmp_path / "pkg")
    _age(pkg)
    check(pkg, cache=True)
    EDITS["summary"](pkg, stories, 1)
    _age(pkg)
    cached = check(pkg, cache=True)
    bodies = {path: json.loads(cache.read_blob(path)) for path in own_cache.glob("seccoop/*.json")}
    [(path, report)] = [(path, body) for path, body in bodies.items() if "over" in body]
    key, _, gone = report["over"]
    assert len(report["files"]) == 1 and gone == []  # the edited file alone
    scopes = _scopes(monkeypatch)
    assert _answer(check(pkg, cache=True)) == _answer(cached) and scopes == []  # from the entry
    baseline = own_cache / "seccoop" / f"{key}.json"
    cache.write_blob(baseline, json.dumps(bodies[baseline], indent=1).encode())  # another one, as saved again
    assert cache.Entry(path.parent, path.stem).read() is None  # the report's is not over this one
    assert _answer(check(pkg, cache=True)) == _answer(check(pkg, cache=False))


def test_a_baseline_with_a_corrupt_index_is_not_trusted(stories, tmp_path, own_cache, monkeypatch):
    pkg = copy_package(stories, tmp_path / "pkg")
    _age(pkg)
    check(pkg, cache=True)
    [index] = own_cache.glob("seccoop/*.index")
    raw = bytearray(index.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    index.write_bytes(bytes(raw))
    scopes = _scopes(monkeypatch)
    EDITS["summary"](pkg, stories, 1)
    _age(pkg)
    cached = check(pkg, cache=True)
    assert scopes == [None]  # its sha256 differs from the baseline's record of it: checked whole
    assert _answer(cached) == _answer(check(pkg, cache=False))


@pytest.mark.parametrize(
    "name",
    first_fast(
        [
            "span-successor-cut",
            "quantity-successor-renamed",
            "resolved-subject-broken",
            "refused-record",
            "actor-renamed",
            "foreign-id",
        ]
    ),
)
def test_what_joins_records_beyond_their_ids_is_in_the_scope(stories, tmp_path, own_cache, name):
    """Each edit once, from a baseline: the retired span and quantity whose successor the edit
    stops publishing, the resolution naming a broken actor, the refused record hiding an event's
    warning elsewhere, an actor renamed under references, an id taken from another story."""
    pkg = copy_package(stories, tmp_path / "pkg")
    _age(pkg)
    check(pkg, cache=True)
    EDITS[name](pkg, stories, 3)
    _age(pkg)
    assert _answer(check(pkg, cache=True)) == _answer(check(pkg, cache=False))
