"""Frictionless's answer on the published files, reused while they are unchanged (docs/cache.md)."""

from __future__ import annotations

from pathlib import Path

from seccoop.model.package import Package
from seccoop.model.report import Problem
from seccoop.published.validation import validate, worth_a_process
from seccoop.safety.background import in_background


def published_problems(package: Package, cache_folder: Path | None, listed: dict | None = None) -> list[Problem]:
    """`validate_published`, in a process of its own where the package is large enough, waited for;
    an answer kept in the cache is read here (a process only to read it cost 80 ms at 10k events).
    `listed` gives the identities of the package's files as the check found them."""
    if cache_folder is not None:
        kept = _kept(package, cache_folder, listed)
        if kept is not None:
            return kept
    return in_background(validate_published, package, cache_folder, worth_it=worth_a_process(package))()


def _kept(package: Package, cache_folder: Path, listed: dict | None) -> list[Problem] | None:
    """Frictionless's answer kept for the published files as they are, else None. The files are
    those the kept answer names, where `listed` is given: if the descriptor is the same, so are the
    files it names, and it is not read (at 100k events, 0.4 s to parse and gate its JSON)."""
    from seccoop.incremental import cache

    entry = cache.Entry(cache_folder, cache.key(package, "frictionless"))
    current = None
    if listed is not None:
        stored = entry.read()
        if stored is not None and "datapackage.json" in stored[0]:
            current = {name: listed.get(name) or cache.identity_of(package.root / name) for name in stored[0]}
    answer = entry.load(package, current if current is not None else cache.published_inputs(package))
    return None if answer is None else [Problem(**p) for p in answer]


def validate_published(package: Package, cache_folder: Path | None = None) -> list[Problem]:
    """Frictionless validation of the package as it is on disk: descriptor, types, constraints,
    primary and foreign keys, bytes and hashes. With a `cache_folder`, the answer for the same
    published files (descriptor and every file it names, unchanged) is reused (docs/cache.md)."""
    if cache_folder is None:
        return validate(package)
    from seccoop.incremental import cache

    entry = cache.Entry(cache_folder, cache.key(package, "frictionless"))
    started, before = cache.now_ns(), cache.published_inputs(package)
    answer = entry.load(package, before)
    if answer is not None:
        return [Problem(**p) for p in answer]
    problems = validate(package)
    entry.save(package, lambda: cache.published_inputs(package), before, started, [p.as_dict() for p in problems])
    return problems
