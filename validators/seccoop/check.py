"""`seccoop check`: the flow in memory, the committed derived files compared with a fresh build,
and Frictionless validation of the package as published."""

from __future__ import annotations

from pathlib import Path

from seccoop.model.package import NoPackage, Package, find_package
from seccoop.model.report import Problem, Report
from seccoop.model.schemas import SchemaBroken


def check(
    path: str | Path | None = None,
    strict: bool = False,
    texts: str | Path | None = None,
    require_texts: bool = False,
    cache: bool = False,
    allowed: frozenset[str] = frozenset(),
    baseline: str | Path | None = None,
    save_baseline: str | Path | None = None,
) -> Report:
    """Check a package (a folder or its datapackage.json; default: the nearest one, else the bundled
    copy) and return a report of every problem found. `texts` names the folder of withheld texts
    (docs/rights.md); with `require_texts`, a withheld text missing there is an error. With
    `cache` (the command's default), what an earlier check proved about unchanged files is reused
    (docs/cache.md): the answer is the same. With `strict`, warnings fail too, but for the codes in
    `allowed`. `baseline` names a folder holding a portable baseline to start from, and
    `save_baseline` one to keep the baseline of this check in, made by a check of the whole
    package that reads nothing before (docs/cache.md, "A portable baseline"): the cache is then
    that folder, also under CI=true, and files are compared by their content."""
    try:
        package = find_package(path)
    except NoPackage as exc:
        return Report(str(path or "."), [Problem("usage-no-package", str(exc))], strict)
    if baseline is not None and save_baseline is not None:
        raise ValueError("a check starts from a baseline or saves one, not both")
    folder = save_baseline if save_baseline is not None else baseline
    package = Package(
        package.root,
        Path(texts) if texts else None,
        require_texts,
        Path(folder) if folder is not None else None,
        save_baseline is not None,
    )
    shown = str(package.root if path is None else path)
    problems, unverified = answer(package, cache or folder is not None)
    return Report(shown, problems + leaks(package, cache), strict, unverified, allowed)


def leaks(package: Package, use_cache: bool = False) -> list[Problem]:
    """With texts in the texts folder, every withheld word in the package's files (docs/rights.md,
    "No withheld words in anything shipped"). It reads files the check's cache does not follow
    (README, docs, tests), so every file is read each time; with the cache on, a file whose bytes
    and the patterns' inputs (the texts, the published tables) are those of the last check is not
    searched again (docs/cache.md): on this repository, a second of searching becomes a tenth."""
    import json

    from seccoop.checks.leaks import check_package
    from seccoop.incremental import cache

    # The report's lookup already asked for the folder and, where refused, said why: once.
    where = cache.folder(package) if use_cache and cache.refused is None else None
    if where is None:
        return check_package(package)
    path = where / f"leaks-{cache.key(package, 'leaks')}.json"
    raw = cache.read_blob(path)
    try:
        memo = json.loads(raw) if raw is not None else {}
    except ValueError:
        memo = {}
    before = json.dumps(memo, sort_keys=True)
    problems = check_package(package, memo if isinstance(memo, dict) else {})
    after = json.dumps(memo, sort_keys=True)
    if after != before:
        cache.write_blob(path, after.encode("utf-8"))
    return problems


def answer(package: Package, use_cache: bool) -> tuple[list[Problem], dict[str, int]]:
    """Every problem and the unverified spans by source: from the cache where no input changed
    since the check that stored them (or only curated files whose parse is the same, where no
    problem lies), else from the baseline where only curated records changed (what the edit can
    reach is checked: seccoop.incremental.recheck), else from a check of the whole package that parses again
    only the curated files that changed (then stored; a baseline where it finds no error)."""
    from seccoop.incremental import cache, recheck
    from seccoop.model import rights

    where = cache.folder(package) if use_cache else None
    if where is None:
        return _cold(package, None)[:2]
    if package.save_baseline:
        cache.clear(where)  # the baseline kept comes from a check that read nothing before it
    texts = rights.texts_folder(package)[0]
    entry = cache.Entry(where, cache.key(package, "report", package.require_texts, texts))

    def list_inputs():
        return cache.inputs(package, texts)

    started, before = cache.now_ns(), list_inputs()
    parsed = cache.ParsedFiles(where, cache.key(package, "parsed"), before, started, package.baseline is not None)
    try:
        answer = entry.load(package, before, parsed)
        if answer is not None:
            if entry.reparsed:  # the same answer for these files as they are now: stored as such
                entry.save(package, list_inputs, before, started, answer, {**entry.digests, **parsed.digests})
            return [Problem(**p) for p in answer["problems"]], answer["unverified"]
        reached = recheck.within_reach(package, where, texts, before, parsed)
        if reached is not None:  # from the baseline: only what the edit can reach was checked
            answer = {"problems": [p.as_dict() for p in reached.problems], "unverified": reached.unverified}
            unread = recheck.unread_records(before, reached.read)
            entry.save(
                package,
                lambda: cache.inputs(package, texts, unread),
                before,
                started,
                answer,
                reached.digests,
                over=reached.baseline,  # only the files that differ from the baseline's are written
            )
            return reached.problems, reached.unverified  # the parse store stays the baseline's: it holds every file
        if package.baseline is not None and not package.save_baseline:
            _say(f"the baseline in {package.baseline} is not used: {_why_not_from(package, where, texts)}")
        problems, unverified, outcome = _cold(package, where, parsed)
        answer = {"problems": [p.as_dict() for p in problems], "unverified": unverified}
        after = list_inputs()  # once for every entry: at 100k events, 82k files to stat
        entry.save(package, lambda: after, before, started, answer, parsed.digests)
        parsed.save(lambda: after, before, keep=(recheck.baseline_store(where, package, texts),))
        recheck.save_baseline(
            package, where, texts, lambda: after, before, started, problems, unverified, outcome, parsed
        )
        if package.save_baseline and not cache.Entry(where, recheck.baseline_key(package, texts)).path.exists():
            errors = any(p.severity == "error" for p in problems)
            _say(
                f"no baseline was saved in {package.baseline}: "
                + ("the check found errors" if errors else "not written")
            )
    finally:
        parsed.discard()
    return problems, unverified


def _say(line: str) -> None:
    """One line on stderr about the portable baseline (paths may hold anything: shown safely)."""
    import sys

    from seccoop.safety.terminal import shown

    print(f"seccoop: {shown(line)}", file=sys.stderr, flush=True)


def _why_not_from(package: Package, where: Path, texts) -> str:
    """Why a portable baseline was not started from, the whole package then checked."""
    from seccoop.incremental import cache, recheck

    entry = cache.Entry(where, recheck.baseline_key(package, texts))
    if not entry.path.exists():
        if any(where.glob("*.index")):
            return "it holds none for this seccoop, these libraries and these options; checking the whole package"
        return "it holds none; checking the whole package"
    stored = entry.read()
    if stored is None:
        return "its entry is damaged or of another format; checking the whole package"
    return (
        "what changed since it is more than it re-checks (files beyond curated records, files added or "
        "removed, more than 20 changed, a wide reach) or a file of it is damaged; checking the whole package"
    )


def _cold(package: Package, cache_folder: Path | None, parsed=None):
    """The problems, unverified spans by source and outcome of a check of the whole package."""
    from seccoop.checks.accounts import span_id

    problems, outcome = verify(package, cache_folder=cache_folder, parsed=parsed)
    unverified = (
        {source: len({span_id(span) for span in spans}) for source, spans in outcome.dataset.unverified.items()}
        if outcome
        else {}
    )
    return problems, unverified, outcome


def check_package(package: Package) -> list[Problem]:
    return verify(package)[0]


def verify(package: Package, keep_texts: bool = False, cache_folder: Path | None = None, parsed=None):
    """Every problem of a package, and the outcome of its flow (None if seccoop's own schemas are
    broken): an interrupted build, the flow in memory, freshness of the derived files, and
    Frictionless validation of the files on disk. The last is independent of the others. It runs
    first, in a process of its own that has exited before the flow starts: each holds the whole
    package in memory, so side by side their peaks would add up (3 GiB at 100k events), and a
    process that ends gives all of its memory back. `keep_texts`: keep the sources' texts in
    the outcome's dataset (the review site shows them). With a `cache_folder`, Frictionless's
    answer for unchanged published files is reused (docs/cache.md); with `parsed` (a
    `cache.ParsedFiles`), the parse of unchanged curated files."""
    from seccoop.incremental.published import published_problems
    from seccoop.published.flow import run
    from seccoop.published.freshness import interrupted_builds, stale_files

    published = published_problems(package, cache_folder)  # its worker has exited before the flow starts
    try:
        # who yields each table's rows: kept with a baseline (only a check with the cache saves one)
        outcome = run(package, keep_texts=keep_texts, parsed=parsed, note_owners=parsed is not None)
    except SchemaBroken as exc:
        return [Problem("internal-schema", str(exc))], None
    problems = interrupted_builds(package) + list(outcome.problems)
    if outcome.outputs is not None:
        problems += stale_files(package, outcome.outputs)
    return problems + published, outcome
