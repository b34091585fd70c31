"""When a source was published: a day, or honest bounds (docs/accounts.md, "Dates per source").

A source's `published` is a date where its evidence gives the day, else date bounds (earliest,
latest, precision), open where nothing bounds it. Every rule that reads a source's date reads it
here, as bounds: what a source could know (checks/dates.py), the order of sources and which are
simultaneous in a merge (checks/accounts.py), when sources saw a state hold (published/tables.py).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from seccoop.model.memory import MAPPINGS


@dataclass(frozen=True, slots=True)
class Published:
    """A source's publication as bounds; None where a bound is open."""

    earliest: str | None
    latest: str | None
    stated: str | None = None  # the precision the source record gives (`month`), if any

    @property
    def day(self) -> str | None:
        """The day, where the bounds give one."""
        return self.earliest if self.earliest is not None and self.earliest == self.latest else None

    @property
    def precision(self) -> str:
        if self.stated:
            return self.stated
        if self.day:
            return "day"
        return "range" if self.earliest and self.latest else "open"

    def before(self, other: Published) -> bool:
        """Whether this source was certainly published before `other`: its latest day is before
        the other's earliest. Sources whose bounds overlap are simultaneous."""
        return self.latest is not None and other.earliest is not None and self.latest < other.earliest

    def order(self) -> tuple[str, str]:
        """A sort key: by earliest day, then latest (an open bound sorts as far as it reaches)."""
        return (self.earliest or "", self.latest or "9999-99-99")

    def __str__(self) -> str:
        if self.day:
            return self.day
        if self.earliest and self.latest:
            return f"between {self.earliest} and {self.latest}"
        if self.earliest:
            return f"on or after {self.earliest}"
        if self.latest:
            return f"by {self.latest}"
        return "on an unknown date"


def published(data: dict) -> Published:
    """A source record's publication bounds (its `published` field, a date or bounds)."""
    value = data["published"]
    if isinstance(value, MAPPINGS):
        return Published(value.get("earliest"), value.get("latest"), value.get("precision"))
    return Published(value, value)


def by_source(records) -> dict[str, Published]:
    """Every source record's publication bounds, by source id."""
    return {r.id: published(r.data) for r in records}


# Where a page's address holds its date: /2024/01/08/ (or /2024/01/ for the month), 2024-01-08,
# 20240108, and a day-month-year run of eight digits after a letter (`nid14012024`).
_YMD = re.compile(r"(?<![0-9])(20[0-9]{2})[/-]([01][0-9])[/-]([0-3][0-9])(?![0-9])")
_YM = re.compile(r"/(20[0-9]{2})/([01][0-9])/(?![0-9])")
_COMPACT = re.compile(r"(?<![0-9])(20[0-9]{2})([01][0-9])([0-3][0-9])(?![0-9])")
_DMY = re.compile(r"(?<=[a-z])([0-3][0-9])([01][0-9])(20[0-9]{2})(?![0-9])")


def calendar_date(value: str) -> bool:
    """Whether `value` is a day YYYY-MM-DD that the calendar has (2024-02-30 is not)."""
    try:
        return len(value) == 10 and bool(datetime.date.fromisoformat(value))
    except ValueError:
        return False


def url_dates(url: str) -> list[tuple[str, str]]:
    """The dates a page's address gives, each as (earliest, latest) days: one day for a full
    date, the month's first and last day for a year and month alone. Archive addresses (a web
    archive's timestamp) are the archive's, not the page's: only the path after the host is read,
    and of an archived address only the page's own."""
    path = url.split("://", 1)[-1]
    if "/http" in path:  # a web archive: https://archive/web/20240305041054/https://page/...
        path = path.split("/http", 1)[1].split("://", 1)[-1]
    path = "/" + path.split("/", 1)[1] if "/" in path else ""
    found = []
    for pattern, order in ((_YMD, (0, 1, 2)), (_COMPACT, (0, 1, 2)), (_DMY, (2, 1, 0))):
        for m in pattern.finditer(path):
            day = "-".join(m.group(i + 1) for i in order)
            if calendar_date(day):
                found.append((day, day))
    for m in _YM.finditer(path):
        year, month = int(m[1]), int(m[2])
        if 1 <= month <= 12:
            last = 31
            while not calendar_date(f"{year:04d}-{month:02d}-{last:02d}"):
                last -= 1
            found.append((f"{year:04d}-{month:02d}-01", f"{year:04d}-{month:02d}-{last:02d}"))
    return found
