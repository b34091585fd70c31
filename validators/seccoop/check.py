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
    report = Report(package.rel(package.root) if path is None else str(path), strict=strict)
    report.package = str(path) if path is not None else str(package.root)
    report.extend(check_package(package))
    return report


def check_package(package: Package) -> list[Problem]:
    from .flow import run
    from .build import stale_files

    try:
        outcome = run(package)
    except SchemaBroken as exc:
        return [Problem("internal-schema", str(exc))]
    problems = list(outcome.problems)
    if outcome.files is not None:
        for rel, why in stale_files(package, outcome.files):
            problems.append(Problem("package-stale", f"{why}", file=rel))
    problems += validate_published(package)
    return problems


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
