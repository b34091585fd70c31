"""`seccoop build`: check the curated data of a checkout and write its derived files atomically."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from seccoop.model.report import Problem, Report
from seccoop.safety.write import Staging, WriteRefused


class BuildFailed(Exception):
    """The curated data has errors; nothing was written. Carries the report."""

    def __init__(self, report: Report):
        super().__init__(f"{len(report.errors)} error(s)")
        self.report = report


def build(
    path: str | Path | None = None, notify: Callable[[str], None] | None = None, texts: str | Path | None = None
) -> list[str]:
    """Check the curated data of a checkout and write its derived files (data/*.csv,
    data/seccoop.json, datapackage.json). Returns the paths that changed. Raises BuildFailed
    when the data has errors, and WriteRefused when a target cannot be written; either way
    nothing is written.

    An earlier build that was killed while renaming its files is finished first, where its
    journal verifies; a journal that does not (one committed to the repository) is removed and
    renames nothing. `notify` (default: standard error) is told of either."""
    from seccoop.model.package import Package, find_package, is_installed_copy
    from seccoop.model.schemas import SchemaBroken
    from seccoop.published.flow import run

    notify = notify or (lambda message: print(message, file=sys.stderr))
    package = find_package(path, allow_bundled=False)
    package = Package(package.root, Path(texts) if texts else None)  # withheld texts: docs/rights.md
    if is_installed_copy(package):
        raise WriteRefused(f"{package.root}: this is the copy installed with seccoop; build works on a checkout")
    with Staging() as staging:
        # The root first: its journal lists temporary files in data/, which clearing data/ would remove.
        staging.prepare(package.root)
        staging.prepare(package.root / "data")
        for target in staging.recovered:
            notify(f"finished an interrupted build: {package.rel(target)}")
        for journal in staging.stale:
            notify(
                f"removed {package.rel(journal)}: a journal that matches no interrupted build here "
                f"(it renamed nothing); rebuilding"
            )
        try:
            outcome = run(package, lambda rel: staging.open(package.root / rel), keep_texts=False)
        except SchemaBroken as exc:
            raise BuildFailed(Report(str(package.root), [Problem("internal-schema", str(exc))])) from None
        if outcome.outputs is None:
            raise BuildFailed(Report(str(package.root), outcome.problems))
        changed = staging.commit()
    return [package.rel(p) for p in changed]
