"""The flat view of events (`events_flat`), the analyst's first look: one row per event with its
dates, type, participants, sources and quotes, joined from the published tables. It is exported as
a table like the published ones (csv, sqlite, parquet), with a Table Schema of its own."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

FLAT_EVENTS = "events_flat"
JOIN = " | "
FLAT_HEADER = [
    "id",
    "type",
    "cameo_code",
    "plover_type",
    "plover_mode",
    "status",
    "date_earliest",
    "date_latest",
    "date_precision",
    "observed_from",
    "observed_until",
    "place",
    "country",
    "summary",
    "participants",
    "attributed_to",
    "source_count",
    "sources",
    "quotes",
]
FLAT_TITLE = "Events, flat"
FLAT_DESCRIPTION = (
    "One row per event with its dates, type, participants, sources and quotes: a first look. "
    "Several values in one cell are joined by ' | ' in table order."
)
# The flat view's own columns; the others are the events table's, described there.
FLAT_FIELDS = {
    "participants": "Each participant's name and role, as 'name (role)', joined by ' | '.",
    "attributed_to": "Name of the actor the source attributes the claim to (actors.name); empty where none.",
    "sources": "Ids of the sources whose spans state the event (sources.id), joined by ' | '.",
    "quotes": "The quotes that state the event (spans.quote), joined by ' | '.",
}


class Tables(Protocol):
    """The published tables, read a row at a time (`published.Published`)."""

    def rows(self, name: str) -> tuple[list[str], Iterator[list[str]]]: ...


def flat_schema(events: dict) -> dict:
    """The Table Schema of the flat view: the events table's fields where it shows them, text
    for the columns it joins from other tables."""
    fields = {f["name"]: f for f in events["fields"]}
    return {
        "fields": [
            {"name": n, "type": "string", "description": FLAT_FIELDS[n]} if n in FLAT_FIELDS else fields[n]
            for n in FLAT_HEADER
        ]
    }


def flat_events(published: Tables) -> Iterator[list[str]]:
    """The analyst's first view: one row per event with its dates, type, participants and quotes.
    Several participants, sources or quotes share one cell, joined by " | " in table order."""

    def table(name: str) -> Iterator[dict[str, str]]:
        header, rows = published.rows(name)
        return (dict(zip(header, row, strict=False)) for row in rows)

    names = {a["id"]: a["name"] for a in table("actors")}
    participants: dict[str, list[str]] = {}
    for p in table("event_participants"):
        participants.setdefault(p["event"], []).append(f"{names[p['actor']]} ({p['role']})")
    of_event: dict[str, list[str]] = {}
    for link in table("evidence"):
        if link["event"]:
            of_event.setdefault(link["span"], []).append(link["event"])
    quotes: dict[str, list[tuple[str, str]]] = {}
    for span in table("spans"):
        for event in of_event.get(span["id"], ()):
            quotes.setdefault(event, []).append((span["source"], span["quote"]))
    for e in table("events"):
        spans = quotes.get(e["id"], [])
        yield [
            e["id"],
            e["type"],
            e["cameo_code"],
            e["plover_type"],
            e["plover_mode"],
            e["status"],
            e["date_earliest"],
            e["date_latest"],
            e["date_precision"],
            e["observed_from"],  # a state's dates: when its sources saw it hold
            e["observed_until"],
            e["place"],
            e["country"],
            e["summary"],
            JOIN.join(participants.get(e["id"], [])),
            names.get(e["attributed_to"], ""),
            e["source_count"],
            JOIN.join(dict.fromkeys(s for s, _ in spans)),
            JOIN.join(q for _, q in spans if q),
        ]  # a withheld text's unpublished words are not shown
