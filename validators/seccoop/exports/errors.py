"""Why an export stops before it writes anything: a request that cannot be met as asked
(`ExportRefused`, a usage problem), or a package that does not pass its check (`ExportInvalid`)."""

from __future__ import annotations

from seccoop.model.report import Report


class ExportRefused(Exception):
    """The request cannot be met as asked (a usage problem: exit 2)."""


class ExportInvalid(Exception):
    """The package does not pass its check; nothing was exported (exit 1 or 3)."""

    def __init__(self, report: Report):
        super().__init__(f"{len(report.errors)} error(s)")
        self.report = report
