"""A re-check after an edit, limited to what the edit can reach (docs/cache.md, "Re-checking only
what an edit can reach").

A **baseline** is a check of the whole package that found it valid and its derived files fresh:
its report, its inputs, the parse of every curated file (its store, kept under a second name)
and the index of what each file names (`seccoop.incremental.scope.Index`). After edits of a few curated
files of records, and nothing else, a check starts from the baseline:

- the edit's scope (the files and register entries it shares ids with, and so on) is checked
  alone, as it is now and as it was at the baseline;
- the problems are the baseline's outside the scope and the scope's now; the scope as it was
  must give exactly the baseline's problems inside it, or the whole package is checked;
- a derived file is stale where the scope's rows of it differ from the baseline's (the rest of
  its rows are the baseline's, which matched the files on disk).

Anything else is checked whole: a seed, schema, derived file or register edited, a file added
or removed, a scope beyond a twentieth of the files, and records added, removed or reordered in
a package that is valid after the edit (its derived files are then compared whole: rows may
move among the others').
"""

from __future__ import annotations

from pathlib import Path

from seccoop.incremental.tokens import record_tokens
from seccoop.model.package import Package, kind_of
from seccoop.model.report import Problem

BASELINE = "baseline"
_REGISTERS = ("retired-ids.yaml", "resolutions.yaml", "possibly-same.yaml")
_MAX_CHANGED = 20


def baseline_key(package: Package, texts) -> str:
    from seccoop.incremental import cache

    return cache.key(package, BASELINE, package.require_texts, texts)


def baseline_store(where: Path, package: Package, texts) -> Path:
    """The parse store of the baseline: the store of the check that was one, by a second name."""
    return where / f"{baseline_key(package, texts)}.parsed"


def save_baseline(
    package: Package, where: Path, texts, list_inputs, before, started, problems, unverified, outcome, parsed
) -> None:
    """Keep a check of the whole package as the baseline of later edits, if it found no error
    (no error: the package valid and its derived files fresh)."""
    from seccoop.incremental import cache, scope

    if outcome is None or any(p.severity == "error" for p in problems) or not parsed.tokens:
        return
    key = baseline_key(package, texts)
    store = baseline_store(where, package, texts)
    if not parsed.path.exists() or not cache.link_baseline(parsed.path, store):
        return
    rels = list(parsed.tokens)
    kinds = [kind for rel in rels if (kind := kind_of(rel)) is not None]
    if len(kinds) != len(rels):  # `parsed` loads curated files of records only: each has a kind
        return
    index = scope.Index(
        rels,
        kinds,
        [parsed.tokens[r] for r in rels],
        [parsed.ids[r] for r in rels],
        dict(outcome.dataset.successors),
    )
    digest = scope.save_index(where / f"{key}.index", index)
    if digest is None:
        return
    answer = {"problems": [p.as_dict() for p in problems], "unverified": unverified, "index": digest}
    cache.Entry(where, key).save(package, list_inputs, before, started, answer, parsed.digests)


def within_reach(package: Package, where: Path, texts, current: dict[str, tuple], parsed):
    """(problems, unverified, parse digests) of a check that starts from the baseline, or None
    where the whole package must be checked."""
    from seccoop.incremental import cache

    key = baseline_key(package, texts)
    stored = cache.Entry(where, key).read()
    if stored is None:
        return None
    files, digests, answer = stored
    changed = cache.changed_files(package, files, current)
    if changed is None or len(changed) > _MAX_CHANGED:
        return None
    if not changed:
        return [Problem(**p) for p in answer["problems"]], answer["unverified"], digests

    if not all(
        name.startswith("data/curated/") and name.endswith((".yaml", ".yml")) and kind_of(name) for name in changed
    ):
        return None  # only curated files of records: registers, seeds and the rest are read whole
    try:
        return _from_baseline(package, where, key, files, digests, answer, changed, parsed)
    except cache.NotStored:  # a file the baseline's store does not hold (it was racily clean then)
        return None


def _from_baseline(package, where, key, files, digests, answer, changed, parsed):  # noqa: C901  (replaced by the incremental rewrite, issue 28)
    from seccoop.incremental import scope
    from seccoop.incremental.published import published_problems
    from seccoop.model.load import load_file
    from seccoop.model.schemas import SchemaBroken, Schemas
    from seccoop.published.flow import run
    from seccoop.published.freshness import stale_outputs

    index = scope.load_index(where / f"{key}.index", answer.get("index") or "")
    if index is None:
        return None
    now: dict[int, set[str]] = {}  # each changed file's tokens now, by its number in the index
    moved = False
    for rel in changed:
        n = index.number(rel)
        if n is None:
            return None
        parsed.compare(package.root / rel, rel, package.root)  # parsed now, kept for the flow
        moved |= parsed.ids[rel] != index.structure(n)
        now[n] = parsed.tokens[rel]
    registers, successors, loaded = {}, {}, {}
    for name in _REGISTERS:
        path = package.curated / name
        if path.exists() or path.is_symlink():
            cf, found = loaded[name] = load_file(path, package.rel(path), root=package.root)
            registers[name] = [(i, record_tokens(data)) for i, data in cf.records]
            if name == "retired-ids.yaml":
                successors = {i: data.get("replaced_by") for i, data in cf.records if isinstance(data, dict)}
    reached = scope.reach(index, now, registers, limit=max(64, len(index.files) // 20))
    if reached is None:
        return None
    numbers, entries, tokens = reached
    for i in entries.get("retired-ids.yaml", ()):
        # a successor that is no record's id (a span, a quantity) is published by records the
        # tokens do not join: the whole package decides
        successor = successors.get(i)
        named = successor.split("@", 1)[0] if isinstance(successor, str) else None  # a record, or a span's source
        if named is not None and not index.files_with(named) and not any(named in t for t in now.values()):
            return None
    part = scope.Scope(
        {index.files[n]: n for n in numbers},
        entries,
        {t for t in tokens if t.startswith("seeds/")},
        index.outside(numbers),
        loaded,
    )
    try:
        # compiled once for both runs; the baseline, which read these same files, checked them
        schemas = Schemas(package.schema, proven=True)
        then, keep_then = _as_it_was(package, where, key, answer["index"], files, parsed.key, part, schemas)
        fresh = run(package, keep_texts=False, parsed=parsed, scope=part, schemas=schemas)
    except SchemaBroken:
        return None
    registered = {f"data/curated/{name}": name for name in registers}

    def inside(p: dict) -> bool:
        where_ = p.get("file")
        if where_ in part.files or where_ in part.seeds:
            return True
        if where_ in registered:
            i = _entry_of(p.get("path"))
            return i is None or i in entries[registered[where_]]
        return False

    before = [p for p in answer["problems"] if inside(p)]
    if then is None or _placeless(before) != _placeless(then["problems"]):
        return None  # the scope as it was is not what the baseline found in it: check it all
    keep_then()
    rest = [p for p in answer["problems"] if not inside(p)]
    dataset = fresh.dataset
    if {"relation", "event", "commitment"} & (dataset.incomplete | set(dataset.withheld.values())):
        # a whole check judges no actor unreferenced while a referring record is held back
        rest = [p for p in rest if p["code"] != "actor-unreferenced"]
    problems = [Problem(**p) for p in rest] + list(fresh.problems)
    if fresh.outputs is not None:
        if moved:  # records added, removed or reordered: their rows may move among the others'
            return None
        differ = sorted(rel for rel, out in fresh.outputs.items() if [out.size, out.sha256] != then["outputs"].get(rel))
        problems += stale_outputs(differ, [], [], [])
    # from its entry (the published files are the baseline's); where that is gone, as a check runs it
    problems += published_problems(package, where)
    from seccoop.checks.accounts import span_id

    unverified = {s: n for s, n in answer["unverified"].items() if s not in tokens}
    unverified.update({source: len({span_id(span) for span in spans}) for source, spans in dataset.unverified.items()})
    return problems, unverified, {**digests, **parsed.digests}


def _as_it_was(package, where: Path, key: str, index_digest: str, files, parsed_key: str, part, schemas):
    """The scope checked as the baseline had it: its problems and its derived files' sizes and
    sha256 (None where it rendered nothing), and a function that keeps them for the next edit of
    the same scope (a curator edits one file again and again), by the baseline's index and the
    scope's members: called once they passed the self-check."""
    import hashlib
    import json

    from seccoop.incremental import cache
    from seccoop.published.flow import run

    members = json.dumps([sorted(part.files), sorted((k, sorted(v)) for k, v in part.registers.items())])
    memo = where / f"{key}.{hashlib.sha256((index_digest + members).encode()).hexdigest()[:32]}.scope"
    stored = cache.read_blob(memo)
    if stored is not None:
        try:
            return json.loads(stored), lambda: None
        except ValueError:
            pass
    then = run(
        package,
        keep_texts=False,
        parsed=cache.BaselineParses(where / f"{key}.parsed", parsed_key, files),
        scope=part,
        schemas=schemas,
    )
    if then.outputs is None:
        return None, lambda: None
    found = {
        "problems": [p.as_dict() for p in then.problems],
        "outputs": {rel: [out.size, out.sha256] for rel, out in then.outputs.items()},
    }
    return found, lambda: cache.write_blob(memo, json.dumps(found).encode())


def _entry_of(path: str | None) -> int | None:
    """The register entry a problem's path is in (`$[3].field` is entry 3)."""
    if not path or not path.startswith("$["):
        return None
    try:
        return int(path[2 : path.index("]")])
    except ValueError:
        return None


def _placeless(problems: list[dict]) -> list:
    """Problems to compare, sorted, without line and column: a parse from the baseline's store
    finds its places in a file as it is now (its text is not stored), and which problems there
    are is what the self-check proves."""
    return sorted(sorted((k, v) for k, v in p.items() if k not in ("line", "column")) for p in problems)
