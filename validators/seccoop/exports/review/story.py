"""The story the review site's index tells, gathered in the one pass over the records: the events
on a timeline by their date bounds, who committed what to whom and how strongly, the records on
which the sources disagree, and the sources by publisher and language.

The index has a fixed size, like every page of the site: each part lists at most `STORY_SIZE`
items (the earliest, or the first in the data) and says how many there are in all; every record
stays on its page of records. Memory stays flat as well: an `Earliest` keeps at most twice its
size while the records stream past.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

from seccoop.checks.accounts import MEMBERS, WORDS
from seccoop.exports.review.views import RecordView, names_with_roles
from seccoop.model.publication import published as publication_of

STORY_SIZE = 500  # items of each part of the index's story: a page a browser shows at once

Item = TypeVar("Item")
DateKey = tuple[int, str, str]  # (0 dated, 1 undated), then the bounds it is ordered by


def date_bounds(date: dict | None) -> str:
    """A record's date as its bounds, in words: `on 2024-01-12`, `between 2024-01-08 and
    2024-01-12`, `in 2024-01`, `on or before 2024-01-12`, `date not stated`."""
    if not date:
        return "date not stated"
    earliest, latest, precision = date.get("earliest"), date.get("latest"), date.get("precision")
    if precision == "month" and earliest:
        return f"in {earliest[:7]}"
    if precision == "year" and earliest:
        return f"in {earliest[:4]}"
    if earliest and latest:
        return f"on {earliest}" if earliest == latest else f"between {earliest} and {latest}"
    if earliest:
        return f"on or after {earliest}"
    return f"on or before {latest}" if latest else "date not known"


def date_key(date: dict | None) -> DateKey:
    """Where a record goes on the timeline: by its earliest day, then its latest; a record bounded
    by one day only (`on or before 2024-01-12`) at that day; a record with no bound at the end."""
    earliest, latest = (date or {}).get("earliest"), (date or {}).get("latest")
    if not earliest and not latest:
        return (1, "", "")
    return (0, earliest or latest or "", latest or earliest or "")


class Earliest(Generic[Item]):
    """The first `size` items by key of any number offered one at a time, ties in the order they
    came; memory holds at most twice `size` items."""

    def __init__(self, size: int):
        self.size, self.total = size, 0
        self._items: list[tuple[DateKey, int, Item]] = []

    def offer(self, key: DateKey, item: Item) -> None:
        self.total += 1
        self._items.append((key, self.total, item))
        if len(self._items) >= 2 * self.size:
            self._trim()

    def _trim(self) -> None:
        self._items.sort(key=lambda entry: entry[:2])
        del self._items[self.size :]

    def first(self) -> list[Item]:
        self._trim()
        return [item for _, _, item in self._items]


@dataclass(frozen=True)
class TimelineEntry:
    """An event on the index's timeline, linking to its card."""

    when: str
    type: str
    status: str
    summary: str
    place: str
    href: str
    id: str


@dataclass(frozen=True)
class CommitmentEntry:
    """Who committed what to whom, and how strongly, linking to the commitment's card."""

    when: str
    committers: str  # the committing parties, by name
    strength: str
    action: str
    others: str  # the other parties by name, with their roles (beneficiary, target, partner...)
    status: str
    href: str
    id: str


@dataclass(frozen=True)
class SourceValue:
    """One source's value of a field on which the sources disagree."""

    source: str
    title: str
    value: str


@dataclass(frozen=True)
class Difference:
    """A field on which the sources disagree: the merged value, and each source's that states it."""

    field: str
    merged: str
    values: tuple[SourceValue, ...]
    silent: int  # the record's sources that do not state it


@dataclass(frozen=True)
class Disagreement:
    """A record whose sources give different values of some field, and the value published."""

    kind: str
    id: str
    label: str
    href: str
    differences: tuple[Difference, ...]


@dataclass(frozen=True)
class SourceRow:
    """A source as the index's table of sources lists it."""

    id: str
    title: str
    publisher: str
    language: str
    published: str
    rights: str  # included, withheld
    citing: int  # records that cite it


@dataclass
class Story:
    """The index's story, filled record by record (`add`), sources last (`sources`)."""

    size: int = STORY_SIZE
    timeline: Earliest[TimelineEntry] = field(init=False)
    commitments: Earliest[CommitmentEntry] = field(init=False)
    disagreements: list[Disagreement] = field(default_factory=list)
    disagreeing: int = 0  # records on which sources disagree, listed or not
    citing: dict[str, int] = field(default_factory=dict)  # source id -> records of other kinds citing it

    def __post_init__(self) -> None:
        self.timeline, self.commitments = Earliest(self.size), Earliest(self.size)

    def add(self, view: RecordView, record: dict, names: dict[str, str]) -> None:
        """A record as the story tells it, if it does."""
        href = f"{view.page}#{view.key}"
        if view.kind != "source":
            for source in dict.fromkeys(s.source for s in view.spans):
                self.citing[source] = self.citing.get(source, 0) + 1
        if view.kind == "event":
            self.timeline.offer(date_key(record.get("date")), _timeline_entry(record, href))
        elif view.kind == "commitment":
            self.commitments.offer(date_key(record.get("date")), _commitment_entry(record, names, href))
        disagreement = _disagreement(view, href)
        if disagreement is not None:
            self.disagreeing += 1
            if len(self.disagreements) < self.size:
                self.disagreements.append(disagreement)


def _timeline_entry(record: dict, href: str) -> TimelineEntry:
    return TimelineEntry(
        date_bounds(record.get("date")),
        record["type"],
        record["status"],
        record["summary"],
        record.get("place") or "",
        href,
        record["id"],
    )


def _commitment_entry(record: dict, names: dict[str, str], href: str) -> CommitmentEntry:
    parties = record.get("parties") or []
    committers = [p for p in parties if p["role"] == "committer"]
    return CommitmentEntry(
        date_bounds(record.get("date")),
        "; ".join(str(names.get(p["actor"], p["actor"])) for p in committers) or "not stated",
        record["strength"],
        record["action"],
        names_with_roles([p for p in parties if p["role"] != "committer"], names),
        record["status"],
        href,
        record["id"],
    )


def _disagreement(view: RecordView, href: str) -> Disagreement | None:
    """What the sources of a record disagree on; None where they agree or it has one account."""
    if view.accounts is None:
        return None
    columns = view.accounts.columns
    # A set (aliases, participants, parties, quantities) is the union of what each source names, and
    # the words each source gives for a coded value (an honorific, a role, a place) are its own
    # (docs/accounts.md): neither is a disagreement; the codes and stated values are.
    agreeing = {*WORDS.get(view.kind, ()), *MEMBERS.get(view.kind, ())}
    differences = tuple(
        Difference(
            row.name,
            row.merged,
            tuple(
                SourceValue(c.source, c.title, cell)
                for c, cell in zip(columns, row.cells, strict=True)
                if cell is not None
            ),
            row.cells.count(None),
        )
        for row in view.accounts.rows
        if row.disagree and row.key not in agreeing
    )
    if not differences:
        return None
    return Disagreement(view.kind, view.id, view.label, href, differences)


def source_rows(sources: list[dict], citing: dict[str, int], size: int = STORY_SIZE) -> list[SourceRow]:
    """The sources by publisher, then language, date and title; a publisher not known last."""
    rows = [
        SourceRow(
            s["id"],
            s["title"],
            s.get("publisher") or "unknown",
            s.get("language") or "",
            str(publication_of(s)) if s.get("published") else "",
            s.get("text") or "",
            citing.get(s["id"], 0),
        )
        for s in sources
    ]
    rows.sort(key=lambda r: (r.publisher == "unknown", r.publisher.casefold(), r.language, r.published, r.title))
    return rows[:size]
