"""`seccoop check`: the flow in memory, the committed derived files compared with a fresh build,
and Frictionless validation of the package as published."""

from __future__ import annotations

import json
from pathlib import Path

from .package import DESCRIPTOR, NoPackage, Package, find_package
from .report import Problem, Report
from .schemas import SchemaBroken


def check(path: str | Path | None = None, strict: bool = False) -> Report:
    """Check a package (a folder or its datapackage.json; default: the nearest one, else the bundled
    copy) and return a report of every problem found."""
    try:
        package = find_package(path)
    except NoPackage as exc:
        return Report(str(path or "."), [Problem("usage-no-package", str(exc))], strict)
    return Report(str(package.root if path is None else path), check_package(package), strict)


def check_package(package: Package) -> list[Problem]:
    return verify(package)[0]


def verify(package: Package):
    """Every problem of a package, and the outcome of its flow (None if seccoop's own schemas are
    broken): the flow in memory, freshness of the derived files, and Frictionless validation of
    the files on disk. The last is independent of the others, so it runs in a second process
    alongside them where the machine has a second core."""
    from .flow import run

    published = _in_background(validate_published, package, worth_it=_published_bytes(package) > 4_000_000)
    try:
        outcome = run(package)
    except SchemaBroken as exc:
        published()  # wait for it, so no process outlives the check
        return [Problem("internal-schema", str(exc))], None
    problems = list(outcome.problems)
    if outcome.outputs is not None:
        problems += stale_files(package, outcome.outputs)
    return problems + published(), outcome


def stale_files(package: Package, outputs) -> list[Problem]:
    """A problem for each derived file on disk that differs from a fresh build, and for each CSV
    in data/ that build does not write."""
    from .write import file_digest

    problems = []
    for rel, output in outputs.items():
        path = package.root / rel
        if not path.exists():
            problems.append(Problem("package-stale", "missing", file=rel))
        elif (digest := file_digest(path)) is None:
            problems.append(Problem("package-stale", "unreadable", file=rel))
        elif digest != (output.size, output.sha256):
            problems.append(Problem("package-stale", "differs from a fresh build", file=rel))
    data_dir = package.root / "data"
    for extra in sorted(data_dir.glob("*.csv")) if data_dir.is_dir() else ():
        rel = package.rel(extra)
        if rel not in outputs:
            problems.append(Problem("package-stale", "is not written by `seccoop build`", file=rel))
    return problems


def _published_bytes(package: Package) -> int:
    data = package.root / "data"
    return sum(p.stat().st_size for p in data.glob("*.csv")) if data.is_dir() else 0


def _in_background(function, *args, worth_it: bool = True):
    """Start `function(*args)` in a forked process; return a callable that waits for its result.
    Runs it in this process instead where forking is unavailable, there is one core, or the work
    is too small to pay for a second process (`worth_it`)."""
    import multiprocessing
    import os

    if not worth_it or (os.cpu_count() or 1) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        result = function(*args)
        return lambda: result
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork"))
    future = pool.submit(function, *args)

    def wait():
        try:
            return future.result()
        finally:
            pool.shutdown()

    return wait


def validate_published(package: Package) -> list[Problem]:
    """Frictionless validation of the package as it is on disk: descriptor, types, constraints,
    primary and foreign keys, bytes and hashes."""
    descriptor = package.descriptor
    try:
        doc = json.loads(descriptor.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return [Problem("package-descriptor", f"not readable as JSON: {exc}", file=DESCRIPTOR)]
    if not isinstance(doc, dict) or not isinstance(doc.get("resources"), list):
        return [Problem("package-descriptor", "has no list of resources", file=DESCRIPTOR)]
    from frictionless import Package as FrictionlessPackage
    from frictionless import system

    problems = []
    with system.use_context(trusted=False):
        try:
            fpackage = FrictionlessPackage(str(descriptor))
            result = fpackage.validate()
        except Exception as exc:  # frictionless raises its own errors for descriptors it rejects
            from frictionless import FrictionlessException
            if not isinstance(exc, FrictionlessException):
                raise
            reasons = "; ".join(r.message for r in getattr(exc, "reasons", ()) or ())
            return [Problem("package-descriptor", reasons or exc.error.message, file=DESCRIPTOR)]
    for error in result.errors:
        problems.append(Problem("package-frictionless", f"{error.type}: {error.message}", file=DESCRIPTOR))
    for task in result.tasks:
        for error in task.errors:
            row = getattr(error, "row_number", None)
            problems.append(Problem("package-frictionless", f"{error.type}: {error.message}",
                                    file=task.place if not task.place.startswith("/") else package.rel(Path(task.place)),
                                    line=row))
    return problems
