"""The check cache (docs/cache.md) gives exactly the answer of a cold check: random sequences of
edits, valid and invalid, across files (some change other files' validity, some keep a file's size
and modification time, some damage the cache's own files), each followed by a cached and a cold
check in this process, compared problem for problem. Also: where the cache is off, and that a
corrupt entry is never trusted (more in tests/test_cache_trust.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import copy_package, first_fast, invoke
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seccoop import check


@pytest.fixture
def own_cache(monkeypatch, tmp_path) -> Path:
    """A cache folder of this test's alone, and the cache on even where CI=true turns it off."""
    monkeypatch.setenv("SECCOOP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("CI", raising=False)
    return tmp_path / "cache"


def _answer(report):
    # each problem as canonical JSON: dict views compare as sets, so they do not sort into one order
    return sorted(json.dumps(p.as_dict(), sort_keys=True) for p in report.problems), report.unverified


def _edit(pkg: Path, old: str, new: str, file: str) -> None:
    path = pkg / file
    text = path.read_text(encoding="utf-8")
    if old in text:
        path.write_text(text.replace(old, new, 1), encoding="utf-8")


# Each edit is a change a curator (or a stranger's pull request) could make.
EDITS = {
    "quote-not-in-source": lambda pkg: _edit(
        pkg,
        "quote: Interior Minister Ana Vela said on Monday",
        "quote: Interior Minister Ana Vela said on Sunday",
        "data/curated/events.yaml",
    ),
    "remove-referenced-actor": lambda pkg: _edit(
        pkg, "- id: ana-vela", "- id: ana-vela-gone", "data/curated/actors.yaml"
    ),
    "duplicate-id": lambda pkg: _edit(
        pkg, "- id: freedonia-request", "- id: vela-statement", "data/curated/events.yaml"
    ),
    "bad-code": lambda pkg: _edit(pkg, "type: request", "type: parade", "data/curated/events.yaml"),
    "valid-summary": lambda pkg: _edit(
        pkg,
        "Freedonia asked Ruritania for police trainers.",
        "Freedonia asked Ruritania to send police trainers.",
        "data/curated/events.yaml",
    ),
    "derived-file": lambda pkg: (pkg / "data" / "records.csv").write_text(
        (pkg / "data" / "records.csv").read_text(encoding="utf-8") + "extra,actor,1\n", encoding="utf-8"
    ),
    "seed-changed": lambda pkg: _edit(pkg, "on Monday", "on Tuesday", "seeds/alpha.txt"),
    "yaml-broken": lambda pkg: _edit(pkg, "participants:", "participants: [", "data/curated/events.yaml"),
    "same-size-rewrite": lambda pkg: _edit(pkg, "police trainers", "police trainerz", "data/curated/events.yaml"),
    "build": lambda pkg: invoke("build", str(pkg)),
    "touch": lambda pkg: os.utime(pkg / "data" / "curated" / "actors.yaml"),
    # The same records in another text: the parse is the same, the lines below may move.
    "comment-at-end": lambda pkg: _append(pkg / "data" / "curated" / "events.yaml", "# checked again\n"),
    "comment-on-top": lambda pkg: _prepend(pkg / "data" / "curated" / "actors.yaml", "# who is who\n"),
    "requote": lambda pkg: _edit(pkg, "type: request", "type: 'request'", "data/curated/events.yaml"),
    # The same size and, given back, the same modification time (as `touch -r`, an archive or an
    # editor keeping dates would leave them): only the change time tells the new bytes apart.
    "kept-dates-code": lambda pkg: _same_size(pkg, "type: request", "type: reqzest", "data/curated/events.yaml"),
    "kept-dates-id": lambda pkg: _same_size(pkg, "- id: ana-vela", "- id: ana-velx", "data/curated/actors.yaml"),
    "kept-dates-seed": lambda pkg: _same_size(pkg, "on Monday", "on Mondax", "seeds/alpha.txt"),
    "kept-dates-derived": lambda pkg: _same_size(pkg, "alpha,source", "alphx,source", "data/records.csv"),
    "kept-dates-codelist": lambda pkg: _same_size(
        pkg, "request,Appeal", "reqxest,Appeal", "schema/codelists/event-types.csv"
    ),
    # The cache's own files damaged (a full disk, a killed write, a bad sector): never trusted.
    "cache-corrupt": lambda pkg: _damage_cache(
        lambda raw: raw[: len(raw) // 2] + bytes([raw[len(raw) // 2] ^ 1]) + raw[len(raw) // 2 + 1 :]
    ),
    "cache-truncated": lambda pkg: _damage_cache(lambda raw: raw[: len(raw) // 2]),
}


def _same_size(pkg: Path, old: str, new: str, file: str) -> None:
    """`old` replaced by `new`, as long, in place; the file's access and modification times then
    set back to what they were."""
    assert len(old.encode()) == len(new.encode())
    path = pkg / file
    before = path.stat()
    raw = path.read_bytes()
    if old.encode() in raw:
        path.write_bytes(raw.replace(old.encode(), new.encode(), 1))
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


def _damage_cache(damage) -> None:
    """Every file of the check cache (SECCOOP_CACHE_DIR) damaged once (a store and its baseline's
    name are one file)."""
    seen = set()
    for path in sorted((Path(os.environ["SECCOOP_CACHE_DIR"]) / "seccoop").glob("[!.]*")):
        if path.stat().st_ino not in seen and path.stat().st_size:
            seen.add(path.stat().st_ino)
            path.write_bytes(damage(path.read_bytes()))


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def _prepend(path: Path, text: str) -> None:
    path.write_text(text + path.read_text(encoding="utf-8"), encoding="utf-8")


_CLOCK = [0]


def _age(pkg: Path) -> None:
    """Date every file modified in the last minute an hour back, each at a time of its own: files
    the check cache may then take by their identity, not only by their bytes (a file modified
    within two seconds of a check is racily clean, and compared by its bytes)."""
    import time

    now = time.time()
    for path in sorted(pkg.rglob("*")):
        if path.is_file() and path.stat().st_mtime > now - 60:
            _CLOCK[0] += 1
            then = now - 3600 + _CLOCK[0] / 1000
            os.utime(path, (then, then))


PROPERTY = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
EDIT_SEQUENCES = (st.lists(st.sampled_from(sorted(EDITS)), min_size=1, max_size=5), st.booleans())


# SECCOOP_CACHE_EXAMPLES: how many edit sequences (a few hundred by hand: docs/cache.md).
@pytest.mark.slow  # the property at CI size
@settings(max_examples=int(os.environ.get("SECCOOP_CACHE_EXAMPLES", "10")), **PROPERTY)
@given(*EDIT_SEQUENCES)
def test_the_cached_answer_is_the_cold_answer(built_base, tmp_path_factory, own_cache, edits, aged):
    cached_is_cold(built_base, tmp_path_factory, own_cache, edits, aged)


@settings(max_examples=1, **PROPERTY)
@given(*EDIT_SEQUENCES)
def test_one_cached_answer_is_the_cold_answer(built_base, tmp_path_factory, own_cache, edits, aged):
    """The same property on one example, for the developer's loop (`pytest -m "not slow"`)."""
    cached_is_cold(built_base, tmp_path_factory, own_cache, edits, aged)


def cached_is_cold(built_base, tmp_path_factory, own_cache, edits, aged):
    pkg = copy_package(built_base, tmp_path_factory.mktemp("cache") / "pkg")
    if aged:  # so that the stored parse of unchanged files is used
        _age(pkg)
    assert _answer(check(pkg, cache=True)) == _answer(check(pkg, cache=False))
    assert list(own_cache.glob("seccoop/*.json"))  # the cache is in use: the comparison is not cold to cold
    for name in edits:
        EDITS[name](pkg)
        if aged:
            _age(pkg)
        cached, cold = check(pkg, cache=True), check(pkg, cache=False)
        assert _answer(cached) == _answer(cold), (edits, name)
        assert _answer(check(pkg, cache=True)) == _answer(cold), (edits, name)  # now from the entry
    if aged:
        assert list(own_cache.glob("seccoop/*.parsed"))


@pytest.mark.parametrize("name", first_fast(sorted(name for name in EDITS if name.startswith("kept-dates-"))))
def test_an_edit_keeping_size_and_modification_time_is_seen(built_base, tmp_path, own_cache, name):
    """0.2.0 took a file by its size, modification time and inode: such an edit was not seen."""
    pkg = copy_package(built_base, tmp_path / "pkg")
    _age(pkg)
    assert check(pkg, cache=True).valid
    EDITS[name](pkg)
    cached, cold = check(pkg, cache=True), check(pkg, cache=False)
    assert not cold.valid and _answer(cached) == _answer(cold)


def _counting_loads(monkeypatch) -> list[str]:
    from seccoop.model import load

    parsed: list[str] = []
    real = load.load_file

    def counting(path, display, *args, **kw):
        parsed.append(display)
        return real(path, display, *args, **kw)

    monkeypatch.setattr(load, "load_file", counting)
    return parsed


def test_an_edit_parses_again_only_the_file_it_changed(built_base, tmp_path, own_cache, monkeypatch):
    pkg = copy_package(built_base, tmp_path / "pkg")
    _age(pkg)
    check(pkg, cache=True)
    parsed = _counting_loads(monkeypatch)
    EDITS["valid-summary"](pkg)
    _age(pkg)
    cached = check(pkg, cache=True)
    assert [
        p
        for p in parsed
        if "/curated/" in p
        and p.count("/") == 2
        and not p.endswith(("package.yaml", "retired-ids.yaml", "resolutions.yaml"))
    ] == ["data/curated/events.yaml"]
    assert [p.code for p in cached.problems] == ["package-stale"]
    assert _answer(cached) == _answer(check(pkg, cache=False))


def test_a_comment_answers_from_the_entry_where_no_problem_lies(built_base, tmp_path, own_cache, monkeypatch):
    pkg = copy_package(built_base, tmp_path / "pkg")
    check(pkg, cache=True)
    parsed = _counting_loads(monkeypatch)
    EDITS["comment-on-top"](pkg)
    again = check(pkg, cache=True)
    assert parsed == ["data/curated/actors.yaml"]  # parsed to compare, nothing else loaded
    assert again.valid and _answer(again) == _answer(check(pkg, cache=False))
    # Where a problem lies in the file, its line may move: the answer is worked out again.
    EDITS["bad-code"](pkg)
    [before] = [p for p in check(pkg, cache=True).problems if p.file == "data/curated/events.yaml"]
    _prepend(pkg / "data" / "curated" / "events.yaml", "# a note\n")
    cached = check(pkg, cache=True)
    [after] = [p for p in cached.problems if p.file == "data/curated/events.yaml"]
    assert (after.code, after.line) == (before.code, before.line + 1)
    assert _answer(cached) == _answer(check(pkg, cache=False))


def test_a_corrupt_parse_store_is_not_trusted(built_base, tmp_path, own_cache):
    pkg = copy_package(built_base, tmp_path / "pkg")
    _age(pkg)
    check(pkg, cache=True)
    stores = sorted(own_cache.glob("seccoop/*.parsed"))
    assert len({s.stat().st_ino for s in stores}) == 1  # one store, also by the baseline's name
    store = stores[0]
    raw = bytearray(store.read_bytes())
    raw[len(raw) // 3] ^= 0xFF  # inside a stored parse, whose sha256 then fails
    store.write_bytes(bytes(raw))
    EDITS["bad-code"](pkg)
    _age(pkg)
    assert _answer(check(pkg, cache=True)) == _answer(check(pkg, cache=False))
    store.write_bytes(b"not a store")
    EDITS["valid-summary"](pkg)
    _age(pkg)
    assert _answer(check(pkg, cache=True)) == _answer(check(pkg, cache=False))


def test_an_unchanged_package_answers_from_the_cache(base_package, own_cache):
    first = check(base_package, cache=True)
    entries = sorted(own_cache.glob("seccoop/*.json"))
    assert entries
    # A forged answer in an entry whose checksum no longer matches is ignored, never trusted.
    for entry in entries:
        checksum, _, raw = entry.read_bytes().partition(b"\n")
        body = json.loads(raw)
        if isinstance(body["answer"], dict):
            body["answer"]["problems"] = []
            entry.write_bytes(checksum + b"\n" + json.dumps(body).encode())
    (base_package / "data" / "curated" / "events.yaml").write_text("[", encoding="utf-8")
    broken = check(base_package, cache=True)
    assert broken.errors and _answer(broken) == _answer(check(base_package, cache=False))
    assert first.valid


def test_a_truncated_entry_is_rebuilt(base_package, own_cache):
    check(base_package, cache=True)
    for entry in own_cache.glob("seccoop/*.json"):
        entry.write_bytes(entry.read_bytes()[:40])
    again = check(base_package, cache=True)
    assert _answer(again) == _answer(check(base_package, cache=False))
    assert all("answer" in json.loads(e.read_bytes().partition(b"\n")[2]) for e in own_cache.glob("seccoop/*.json"))


@pytest.mark.parametrize("env", [{"CI": "true"}, {"XDG_CACHE_HOME": "INSIDE"}])
def test_the_cache_is_off_in_ci_and_never_inside_the_checkout(base_package, monkeypatch, tmp_path, env):
    from seccoop.incremental import cache
    from seccoop.model.package import Package

    monkeypatch.delenv("SECCOOP_CACHE_DIR", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, str(base_package / ".cache") if value == "INSIDE" else value)
    assert cache.folder(Package(base_package)) is None


def test_no_cache_on_the_command_line(base_package, own_cache):
    env = {"SECCOOP_CACHE_DIR": str(own_cache), "CI": "false"}
    result = invoke("check", str(base_package), "--no-cache", env=env)
    assert result.returncode == 0
    assert not own_cache.exists()
    result = invoke("check", str(base_package), env=env)
    # the report, Frictionless's answer, and the baseline of later edits (the package is valid)
    assert result.returncode == 0 and len(list(own_cache.glob("seccoop/*.json"))) == 3


def test_an_export_after_a_check_takes_its_answer_from_the_cache(built_base, tmp_path, own_cache, monkeypatch):
    from seccoop.exports.errors import ExportInvalid
    from seccoop.exports.export import export
    from seccoop.published import flow

    pkg = copy_package(built_base, tmp_path / "pkg")
    assert check(pkg, cache=True).valid

    def no_second_check(*args, **kw):
        raise AssertionError("the export checked the package again")

    with monkeypatch.context() as m:
        m.setattr(flow, "load_dataset", no_second_check)
        written = export(pkg, "html", out=str(tmp_path / "site"), cache=True)
    assert str(tmp_path / "site" / "index.html") in written
    # An included source's page shows its whole text, read from seeds/ as the page is written.
    pages = [page.read_text(encoding="utf-8") for page in (tmp_path / "site").glob("source-*.html")]
    assert any("Police arrested 12 suspects in the capital." in page for page in pages)  # no quote: the text
    EDITS["bad-code"](pkg)
    with pytest.raises(ExportInvalid):
        export(pkg, "json", out=str(tmp_path / "out.json"), cache=True)
    assert not (tmp_path / "out.json").exists()


def test_old_parse_stores_are_pruned(built_base, tmp_path, own_cache):
    import time

    from seccoop.incremental import cache

    pkg = copy_package(built_base, tmp_path / "pkg")
    _age(pkg)
    folder = own_cache / "seccoop"
    folder.mkdir(parents=True)
    old = []
    for n in range(6):  # stores of other code versions or packages, oldest first
        path = folder / f"{n:064x}.parsed"
        path.write_bytes(b"x")
        os.utime(path, (time.time() - 100 + n, time.time() - 100 + n))
        old.append(path)
    left = folder / ".parsed-killed.tmp"
    left.write_bytes(b"x")
    os.utime(left, (time.time() - 2 * 86_400, time.time() - 2 * 86_400))
    check(pkg, cache=True)
    stores = sorted(p.name for p in folder.glob("*.parsed"))
    assert len(stores) == cache._STORES_KEPT + 1  # the check's store has a second name: its baseline's
    assert old[-1].name in stores and old[-3].name in stores and old[-4].name not in stores
    assert not left.exists()


def test_the_code_identity_covers_every_module_of_every_subpackage():
    """An answer is reused only by the same code: every module of seccoop is hashed, wherever it
    sits in the layout (docs/architecture.md), not only those beside the cache."""
    from seccoop.incremental import cache

    folder = Path(__file__).resolve().parents[1] / "validators" / "seccoop"
    hashed = {path.resolve() for path in cache.code_files()}
    assert hashed == {path.resolve() for path in folder.rglob("*.py")}
    assert {"cli.py", "checks/layers.py", "model/package.py", "incremental/cache.py"} <= {
        path.relative_to(folder.resolve()).as_posix() for path in hashed
    }


def test_a_save_by_rename_and_a_temporary_file_change_nothing(built_base, tmp_path, own_cache, monkeypatch):
    """Inputs are files, not folders (issue 28): a folder's listing is an input, its times are
    not. Saved the way editors save (a new file renamed over the old, same bytes) or with a
    temporary file that came and went, the answer comes from the entry, nothing checked again."""
    pkg = copy_package(built_base, tmp_path / "pkg")
    check(pkg, cache=True)
    parsed = _counting_loads(monkeypatch)
    from seccoop.published import flow

    runs, real = [], flow.run
    monkeypatch.setattr(flow, "run", lambda *a, **kw: runs.append(1) or real(*a, **kw))
    curated = pkg / "data" / "curated"
    temporary = curated / ".actors.yaml.swp"
    temporary.write_bytes(b"an editor's swap file\n")
    temporary.unlink()
    assert check(pkg, cache=True).valid
    assert parsed == [] and runs == []  # nothing parsed, nothing checked
    fresh = curated / ".actors.yaml.new"
    fresh.write_bytes((curated / "actors.yaml").read_bytes())
    os.replace(fresh, curated / "actors.yaml")  # vim's, an IDE's safe write, `sed -i`
    again = check(pkg, cache=True)
    assert parsed == ["data/curated/actors.yaml"] and runs == []  # parsed to compare, nothing checked
    assert again.valid and _answer(again) == _answer(check(pkg, cache=False))
    # a file that stays is an input like any other: the answer is worked out again
    (curated / "notes.txt").write_text("kept\n", encoding="utf-8")
    parsed.clear()
    assert _answer(check(pkg, cache=True)) == _answer(check(pkg, cache=False))


def test_build_leaves_the_baseline(built_base, tmp_path, own_cache, monkeypatch):
    """Issue 28, part 4: the check after `seccoop build` (the pre-commit hook's) answers from the
    cache the build left: no flow run, no Frictionless validation again, the cold answer."""
    pkg = copy_package(built_base, tmp_path / "pkg")
    EDITS["valid-summary"](pkg)
    result = invoke("build", str(pkg))
    assert result.returncode == 0, result.stderr
    from seccoop.incremental import published
    from seccoop.published import flow

    runs, real_run = [], flow.run
    validated, real_validate = [], published.published_problems
    monkeypatch.setattr(flow, "run", lambda *a, **kw: runs.append(1) or real_run(*a, **kw))
    monkeypatch.setattr(
        published, "published_problems", lambda *a, **kw: validated.append(1) or real_validate(*a, **kw)
    )
    after = check(pkg, cache=True)
    assert runs == [] and validated == []
    assert after.valid and _answer(after) == _answer(check(pkg, cache=False))
