"""Frictionless's answer on the published files, reused while they are unchanged (docs/cache.md)."""

from __future__ import annotations

from pathlib import Path

from seccoop.model.package import Package
from seccoop.model.report import Problem
from seccoop.published.validation import validate, worth_a_process
from seccoop.safety.background import in_background


def published_problems(package: Package, cache_folder: Path | None) -> list[Problem]:
    """`validate_published`, in a process of its own where the package is large enough, waited for;
    an answer kept in the cache is read here (a process only to read it cost 80 ms at 10k events)."""
    if cache_folder is not None:
        kept = _kept(package, cache_folder)
        if kept is not None:
            return kept
    return in_background(validate_published, package, cache_folder, worth_it=worth_a_process(package))()


def _kept(package: Package, cache_folder: Path) -> list[Problem] | None:
    """Frictionless's answer kept for the published files as they are, else None."""
    from seccoop.incremental import cache

    entry = cache.Entry(cache_folder, cache.key(package, "frictionless"))
    answer = entry.load(package, cache.published_inputs(package))
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
