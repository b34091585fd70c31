"""Frictionless validation of the package as published, through the reading gate
(seccoop.published.gated_package; docs/safety.md)."""

from __future__ import annotations

import os
from pathlib import Path

from seccoop.model.package import DESCRIPTOR, Package
from seccoop.model.report import Problem
from seccoop.safety.background import in_background


def validate(package: Package) -> list[Problem]:
    """Frictionless's report on the package, given only what the reading gate admits: the
    descriptor as a value seccoop read and checked, and a loader that opens every file through
    the gate (seccoop.published.gated_package; docs/safety.md)."""
    from frictionless import FrictionlessException, system
    from frictionless import Package as FrictionlessPackage

    from seccoop.published.gated_package import gate_package, gated_loader_plugin

    gated = gate_package(package.root)
    if gated.descriptor is None:
        return gated.problems
    system.register("seccoop_gate", gated_loader_plugin(package.root))
    try:
        with system.use_context(trusted=False):
            try:
                fpackage = FrictionlessPackage(gated.descriptor, basepath=str(package.root))
            except Exception as exc:
                return gated.problems + _refused(exc)
            try:  # as `validate` checks it, once for all resources
                fpackage.to_descriptor(validate=True)
            except FrictionlessException as exc:
                return gated.problems + [
                    Problem("package-frictionless", f"{error.type}: {error.message}", file=DESCRIPTOR)
                    for error in exc.to_errors()
                ]
        names = [resource.name for resource in fpackage.resources]
        if len(set(names)) != len(names) or not all(names):
            return gated.problems + _validate_resource(package, fpackage, None)  # Frictionless reports the names
        # One resource at a time, each in a process of its own: Frictionless keeps what it learnt of
        # every resource (its foreign-key lookups) until the package is done, so in one process the
        # peak is the sum of them (1.3 GiB at 100k events), and in one each, the largest (0.7 GiB).
        big = worth_a_process(package)
        problems: list[Problem] = list(gated.problems)
        for name in names:
            problems += in_background(_validate_resource, package, fpackage, name, worth_it=big)()
        return problems
    finally:
        system.deregister("seccoop_gate")


def _refused(exc: Exception) -> list[Problem]:
    """Frictionless raises its own errors for descriptors it rejects: said as the descriptor's."""
    from frictionless import FrictionlessException

    if not isinstance(exc, FrictionlessException):
        raise exc
    reasons = "; ".join(r.message for r in getattr(exc, "reasons", ()) or ())
    return [Problem("package-descriptor", reasons or exc.error.message, file=DESCRIPTOR)]


def _validate_resource(package: Package, fpackage, name: str | None) -> list[Problem]:
    """Frictionless's report on one resource of the package (`name`), or on all of them (None)."""
    from frictionless import system

    with system.use_context(trusted=False):
        try:
            # the package's own descriptor was validated once, before the first resource
            result = fpackage.validate() if name is None else fpackage.get_resource(name).validate()
        except Exception as exc:
            return _refused(exc)
    problems = [
        Problem("package-frictionless", f"{error.type}: {error.message}", file=DESCRIPTOR) for error in result.errors
    ]
    for task in result.tasks:
        for error in task.errors:
            row = getattr(error, "row_number", None)
            problems.append(
                Problem(
                    "package-frictionless",
                    f"{error.type}: {error.message}",
                    file=task.place if not task.place.startswith("/") else package.rel(Path(task.place)),
                    line=row,
                )
            )
    return problems


def worth_a_process(package: Package) -> bool:
    """Whether the published files are large enough for Frictionless to pay for a process of its
    own (a small package is validated faster in this one)."""
    total = 0
    try:
        with os.scandir(package.root / "data") as entries:
            for entry in entries:  # sizes of the files themselves: a link is never followed
                if entry.name.endswith(".csv") and entry.is_file(follow_symlinks=False):
                    total += entry.stat(follow_symlinks=False).st_size
    except OSError:
        return False
    return total > 4_000_000
