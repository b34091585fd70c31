"""Dates as bounds: the precision fits the bounds, and each account lies within what its source could
know when it was published."""

from __future__ import annotations

import calendar

from seccoop.checks.records import Dataset
from seccoop.model.report import Problem


def _last_day_of_month(day: str) -> str:
    """`2024-02-01` -> `2024-02-29`: the last day of a well-formed date's month."""
    year, month = int(day[:4]), int(day[5:7])
    return f"{day[:8]}{calendar.monthrange(year, month)[1]:02d}"


def _precision_fits(date: dict) -> bool:
    earliest, latest = date.get("earliest"), date.get("latest")
    fits: dict[str | None, bool] = {
        "day": earliest is not None and earliest == latest,
        "range": earliest is not None and latest is not None,
        "month": bool(
            earliest
            and latest
            and earliest[:7] == latest[:7]
            and earliest[8:] == "01"
            and latest == _last_day_of_month(earliest)
        ),
        "year": bool(
            earliest and latest and earliest[:4] == latest[:4] and earliest[5:] == "01-01" and latest[5:] == "12-31"
        ),
        "open": earliest is None or latest is None,
    }
    return fits.get(date.get("precision"), False)  # an absent or unknown precision fits nothing


def date_problem(date: dict) -> str | None:
    """What is wrong with a date's bounds or precision (for a date a curator writes outside an
    account: a resolution's value), or None."""
    earliest, latest = date.get("earliest"), date.get("latest")
    if isinstance(earliest, str) and isinstance(latest, str) and earliest > latest:
        return f"earliest {earliest} is after latest {latest}"
    if not _precision_fits(date):
        return f"precision `{date.get('precision')}` does not fit earliest {earliest} and latest {latest}"
    return None


def check_time(dataset: Dataset) -> list[Problem]:
    """Dates as bounds, and each account within what its own source could know when it was
    published (docs/accounts.md, "Dates per source")."""
    published = {r.id: r.data["published"] for r in dataset.shaped["source"]}
    problems = []
    for kind in ("relation", "event", "commitment"):
        for record in dataset.records[kind]:
            date = record.data["date"]
            earliest, latest, precision = date.get("earliest"), date.get("latest"), date["precision"]
            if earliest and latest and earliest > latest:
                problems.append(
                    record.problem(
                        "time-bounds-order", f"earliest {earliest} is after latest {latest}", "date", "earliest"
                    )
                )
                continue
            if not _precision_fits(date):
                problems.append(
                    record.problem(
                        "time-precision",
                        f"precision `{precision}` does not fit earliest {earliest} and latest {latest}",
                        "date",
                        "precision",
                    )
                )
            source = record.data["evidence"][0]["source"]
            cited = published[source]
            status = record.data.get("status")
            what = {"commitment": "made", "relation": "stated"}.get(kind, status)
            starts_by_source = kind != "event" or status in ("occurred", "ongoing")
            if starts_by_source and earliest and earliest > cited:
                problems.append(
                    record.problem(
                        "time-after-source",
                        f"{kind} {what} is dated from {earliest}, after its source {source} was published ({cited})",
                        "date",
                        "earliest",
                    )
                )
            elif kind == "event" and status == "occurred" and latest and latest > cited:
                problems.append(
                    record.problem(
                        "time-after-source",
                        f"event occurred is dated up to {latest}, after its source {source} "
                        f"was published ({cited}): what a source reports as done ended by then",
                        "date",
                        "latest",
                        hint=f"Set latest to {cited} at most, or make the status planned or ongoing.",
                    )
                )
            if kind == "event" and status == "planned" and latest and latest < cited:
                problems.append(
                    record.problem(
                        "time-planned-in-past",
                        f"planned event ends by {latest}, before its source {source} was published ({cited})",
                        "date",
                        "latest",
                    )
                )
    return problems
