"""Dates as bounds: the precision fits the bounds, and each account lies within what its source could
know when it was published."""

from __future__ import annotations

import calendar
from collections.abc import Mapping

from seccoop.checks.records import Dataset
from seccoop.model.memory import reading
from seccoop.model.publication import Published, by_source
from seccoop.model.report import Problem


def _last_day_of_month(day: str) -> str:
    """`2024-02-01` -> `2024-02-29`: the last day of a well-formed date's month."""
    year, month = int(day[:4]), int(day[5:7])
    return f"{day[:8]}{calendar.monthrange(year, month)[1]:02d}"


def _precision_fits(date: Mapping) -> bool:
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


def date_problem(date: Mapping) -> str | None:
    """What is wrong with a date's bounds or precision (for a date a curator writes outside an
    account: a resolution's value), or None."""
    earliest, latest = date.get("earliest"), date.get("latest")
    if isinstance(earliest, str) and isinstance(latest, str) and earliest > latest:
        return f"earliest {earliest} is after latest {latest}"
    if not _precision_fits(date):
        return f"precision `{date.get('precision')}` does not fit earliest {earliest} and latest {latest}"
    return None


# The date fields of an account: a happening's `date`, a commitment's `date` (made), a state's
# `start` and `end` (docs/accounts.md, "States and happenings").
DATE_FIELDS = ("date", "start", "end")


def _bounds_problems(record, name: str, date: dict) -> list[Problem]:
    earliest, latest, precision = date.get("earliest"), date.get("latest"), date["precision"]
    if earliest and latest and earliest > latest:
        return [record.problem("time-bounds-order", f"earliest {earliest} is after latest {latest}", name, "earliest")]
    if not _precision_fits(date):
        return [
            record.problem(
                "time-precision",
                f"precision `{precision}` does not fit earliest {earliest} and latest {latest}",
                name,
                "precision",
            )
        ]
    return []


def check_time(dataset: Dataset) -> list[Problem]:
    """Dates as bounds, and each account within what its own source could know when it was
    published (docs/accounts.md, "Dates per source")."""
    published = by_source(dataset.shaped["source"])
    problems = []
    for kind in ("relation", "event", "commitment"):
        for record in dataset.records[kind]:
            with reading(record.data):  # its own dates, against its source's (read beyond it)
                source = record.data["evidence"][0]["source"]
                when = published[source]
                for name in DATE_FIELDS:
                    date = record.data.get(name)
                    if date is None:
                        continue
                    found = _bounds_problems(record, name, date)
                    problems += found
                    if not found:
                        problems += _after_source(record, kind, name, date, source, when)
                start, end = record.data.get("start"), record.data.get("end")
                if start and end and start.get("earliest") and end.get("latest") and start["earliest"] > end["latest"]:
                    problems.append(
                        record.problem(
                            "time-bounds-order",
                            f"it ends by {end['latest']}, before it starts ({start['earliest']} at the earliest)",
                            "end",
                            "latest",
                        )
                    )
    return problems


def _after_source(record, kind: str, name: str, date: dict, source: str, when: Published) -> list[Problem]:
    """What a source could not know when it was published: something done after it, a state that
    began after it (it holds on the source's date), a plan already past. A source dated by bounds
    is held to what it certainly could not know: nothing after its latest day, no plan past
    before its earliest."""
    earliest, latest = date.get("earliest"), date.get("latest")
    cited, by = when.latest, str(when)
    status = record.data.get("status")
    if name == "end":
        return []  # a state may be set to end after its source (a curfew until a day to come)
    if name == "start":
        if cited and earliest and earliest > cited and status != "planned":  # a planned curfew may start later
            return [
                record.problem(
                    "time-after-source",
                    f"{kind} is said to begin from {earliest}, after its source {source} was published ({by}): "
                    "a source sees a state holding on its own date",
                    "start",
                    "earliest",
                )
            ]
        return []
    what = "made" if kind == "commitment" else status
    starts_by_source = kind != "event" or status in ("occurred", "ongoing")
    if starts_by_source and cited and earliest and earliest > cited:
        return [
            record.problem(
                "time-after-source",
                f"{kind} {what} is dated from {earliest}, after its source {source} was published ({by})",
                "date",
                "earliest",
            )
        ]
    if kind == "event" and status == "occurred" and cited and latest and latest > cited:
        return [
            record.problem(
                "time-after-source",
                f"event occurred is dated up to {latest}, after its source {source} "
                f"was published ({by}): what a source reports as done ended by then",
                "date",
                "latest",
                hint=f"Set latest to {cited} at most, or make the status planned or ongoing.",
            )
        ]
    if kind == "event" and status == "planned" and when.earliest and latest and latest < when.earliest:
        return [
            record.problem(
                "time-planned-in-past",
                f"planned event ends by {latest}, before its source {source} was published ({by})",
                "date",
                "latest",
            )
        ]
    return []


def kind_problems(schemas, kind: str, type_: str | None, accounts) -> list[Problem]:
    """A happening is dated by `date`, a state by what its sources saw and `start`/`end`: the
    event's type decides (its codelist's `kind` column), so each account is held to it. (A tie is
    always a state, and its schema has no `date`.)"""
    if kind != "event" or type_ is None:
        return []
    state = schemas.is_state(kind, type_)
    problems = []
    for account in accounts:
        if state and account.data.get("date") is not None:
            problems.append(
                account.problem(
                    "time-kind",
                    f"`{type_}` is a state: it holds on its source's date and has no `date`",
                    "date",
                    key=True,
                    hint="Remove `date`; write `start` or `end` only where the source states when it began or "
                    "ended (docs/accounts.md, States and happenings).",
                )
            )
        elif not state:
            for name in ("start", "end"):
                if account.data.get(name) is not None:
                    problems.append(
                        account.problem(
                            "time-kind",
                            f"`{type_}` is a happening: it is dated by `date`, not `{name}`",
                            name,
                            key=True,
                            hint="Give when it happened as `date` (its bounds); `start` and `end` are a state's.",
                        )
                    )
            if account.data.get("date") is None:
                problems.append(
                    account.problem(
                        "time-kind",
                        f"`{type_}` is a happening, and this account gives no `date`",
                        "id",
                        hint="Give `date`: when it happened, as honest bounds relative to the source's "
                        "publication (`open` where one bound is unknown).",
                    )
                )
    return problems
