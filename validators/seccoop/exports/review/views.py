"""What each page of the review site shows of a record: its label, the facts a reviewer checks,
its spans, and, where several sources give an account of it, the accounts side by side.

A record may be stated by several sources (docs/accounts.md). Its card says how many
(`source_count`), links each quote to its own source's page, and, when more than one source gives
an account, shows the accounts side by side: one column per source, one row per field on which an
account differs from the merged record or from another account, with the merged value and every
value that is not it marked. An account that leaves out one of the record's own fields (a second
source need not repeat the summary) does not differ on it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from seccoop.model.package import PLURAL
from seccoop.model.publication import published as publication_of


@dataclass(frozen=True)
class Span:
    """One evidence span of one record: the words of `source` from `start` to `end` (code points)."""

    id: str  # the anchor in its source page, and a token of data-spans
    record: str  # the key of the record it supports
    source: str
    start: int
    end: int
    quote: str | None  # None: a withheld text's quote that is not published (docs/rights.md)
    sha256: str = ""
    # Where a reader opens its words: the source's url with a W3C text fragment (`#:~:text=...`)
    # where the published document gives one, else the source's url; None where neither is known.
    link: str | None = None
    fragment: str | None = None


@dataclass(frozen=True)
class AccountColumn:
    """One source's account of a record: which source, and its spans (quote number on the card, span)."""

    source: str
    title: str  # the source's title, or its id when the document has no such source
    published: str
    spans: tuple[tuple[int, Span], ...]


@dataclass(frozen=True)
class AccountRow:
    """One field on which the accounts differ (from the merged record or from one another)."""

    name: str
    merged: str
    cells: tuple[str | None, ...]  # one per account, in column order; None where that source does not state it
    differs: tuple[bool, ...]  # per cell: it states a value that is not the merged record's
    disagree: bool  # two accounts state different values
    key: str = ""  # the field's key in the record (`honorific_code`)


@dataclass(frozen=True)
class AccountsView:
    columns: tuple[AccountColumn, ...]
    rows: tuple[AccountRow, ...]


# The facts of a record a reviewer checks, as (name, text); an empty or missing text is not shown.
Facts = list[tuple[str, str | None]]


@dataclass
class RecordView:
    """A record as the site shows it: what it is, the facts a reviewer checks, and its spans."""

    kind: str
    id: str
    type: str  # the value the type filter uses (a commitment's category; empty for a source)
    label: str  # its name, summary, action or title
    facts: Facts
    spans: list[Span]
    source_count: int | None = None  # how many sources give an account of it (None for a source)
    accounts: AccountsView | None = None  # only when more than one source gives an account
    page: str = ""  # the page of records that lists it (its card's id links there)

    @property
    def key(self) -> str:
        return record_key(self.kind, self.id)


def record_key(kind: str, id_: str) -> str:
    """The id of a record's card, in the index and in the panel of each source page."""
    return f"record-{kind}-{id_}"


# -- describing records ------------------------------------------------------------------------


def when(date: dict | None) -> str:
    """Date bounds in words: a day, a month, a year, a range, or one open bound."""
    if not date:
        return ""
    # An open bound is null; the check has made sure each precision has the bounds it needs.
    earliest, latest, precision = date.get("earliest") or "", date.get("latest") or "", date.get("precision")
    if precision == "day":
        return earliest
    if precision == "month":
        return earliest[:7]
    if precision == "year":
        return earliest[:4]
    if earliest and latest:
        return f"{earliest} to {latest}"
    if earliest:
        return f"on or after {earliest}"
    return f"on or before {latest}" if latest else "unknown"


def names_with_roles(people: list[dict] | None, names: dict[str, str]) -> str:
    """Actors by name, each with its role: `Ana Vela (speaker); Ruritania (initiator)`."""
    return "; ".join(f"{names.get(p['actor'], p['actor'])} ({p['role']})" for p in people or [])


def _quantities(quantities: list[dict] | None) -> str:
    return "; ".join(f"{q['text']} ({q['unit']})" for q in quantities or [])


def _actor_name(actor: str | None, names: dict[str, str]) -> str | None:
    """An actor's name, or its id where the document names no such actor; None for no actor."""
    return None if actor is None else names.get(actor, actor)


def _source(r: dict, names: dict[str, str]) -> tuple[str, str, Facts]:
    return (
        r["title"],
        "",
        [
            ("published", str(publication_of(r))),
            ("language", r["language"]),
            ("publisher", r.get("publisher")),
            ("url", r.get("url")),
            ("archived copy", r.get("archived_url")),
            ("retrieved", r.get("retrieved")),
            ("extent", " — ".join(v for v in (r.get("extent"), r.get("extent_note")) if v) or None),
        ],
    )


def _actor(r: dict, names: dict[str, str]) -> tuple[str, str, Facts]:
    return (
        r["name"],
        r["type"],
        [
            ("type", r["type"]),
            ("honorific", r.get("honorific")),
            ("honorific code", r.get("honorific_code")),
            ("aliases", "; ".join(r.get("aliases") or [])),
            ("country", r.get("country")),
            ("part of", _actor_name(r.get("part_of"), names)),
            ("country derived", r.get("country_derived")),
        ],
    )


def _relation(r: dict, names: dict[str, str]) -> tuple[str, str, Facts]:
    subject, obj = names.get(r["subject"], r["subject"]), names.get(r["object"], r["object"])
    return (
        f"{subject} {r['type']} {obj}",
        r["type"],
        [
            ("type", r["type"]),
            ("subject", subject),
            ("object", obj),
            ("role", r.get("role")),
            ("role code", r.get("role_code")),
            ("post", r.get("post")),
            *_state_dates(r),
        ],
    )


def _event(r: dict, names: dict[str, str]) -> tuple[str, str, Facts]:
    return (
        r["summary"],
        r["type"],
        [
            ("type", r["type"]),
            ("status", r["status"]),
            ("note", r.get("note")),
            ("date", when(r.get("date"))),
            *_state_dates(r),
            ("participants", names_with_roles(r.get("participants"), names)),
            ("place", r.get("place")),
            ("country", r.get("country")),
            ("subdivision", r.get("subdivision")),
            ("city", r.get("city")),
            ("part of", r.get("part_of")),
            ("attributed to", _actor_name(r.get("attributed_to"), names)),
            ("quantities", _quantities(r.get("quantities"))),
        ],
    )


def _state_dates(r: dict) -> Facts:
    """A state's dates: when sources saw it hold, and its start and end where stated."""
    if not r.get("observed_from"):
        return []
    seen = r["observed_from"] + ("" if r["observed_until"] == r["observed_from"] else f" to {r['observed_until']}")
    return [("seen holding", seen), ("start", when(r.get("start"))), ("end", when(r.get("end")))]


def _commitment(r: dict, names: dict[str, str]) -> tuple[str, str, Facts]:
    return (
        r["action"],
        r["category"],
        [
            ("category", r["category"]),
            ("strength", r["strength"]),
            ("status", r["status"]),
            ("date", when(r.get("date"))),
            ("deadline", r.get("deadline")),
            ("parties", names_with_roles(r.get("parties"), names)),
            ("made in", r.get("made_in")),
            ("attributed to", _actor_name(r.get("attributed_to"), names)),
            ("conditions", r.get("conditions")),
            ("quantities", _quantities(r.get("quantities"))),
        ],
    )


DESCRIBE = {"source": _source, "actor": _actor, "relation": _relation, "event": _event, "commitment": _commitment}


def _quantities_in_full(quantities: list[dict] | None) -> str:
    """Quantities with their bounds: two accounts may give the same words with different numbers."""
    out = []
    for q in quantities or []:
        bounds = [
            f"{word} {q[key]}"
            for key, word in (("lower", "at least"), ("best", "best"), ("upper", "at most"))
            if q.get(key) is not None
        ]
        out.append(f"{q['text']} ({q['unit']}{': ' + ', '.join(bounds) if bounds else ''})")
    return "; ".join(out)


# The fields each kind's accounts give, in card order: (shown name, key, the record's own field?).
# A record's own fields may be left out of every account but one (docs/accounts.md): an account that
# leaves one out says nothing about it. The stated fields are what each source says.
ACCOUNT_FIELDS = {
    "actor": [
        ("name", "name", True),
        ("type", "type", True),
        ("aliases", "aliases", False),
        ("country", "country", False),
        ("honorific", "honorific", False),
        ("honorific code", "honorific_code", False),
        ("part of", "part_of", False),
    ],
    "relation": [
        ("type", "type", True),
        ("subject", "subject", True),
        ("object", "object", True),
        ("role", "role", False),
        ("role code", "role_code", False),
        ("start", "start", False),
        ("end", "end", False),
    ],
    "event": [
        ("type", "type", True),
        ("summary", "summary", True),
        ("status", "status", False),
        ("note", "note", False),
        ("date", "date", False),
        ("start", "start", False),
        ("end", "end", False),
        ("participants", "participants", False),
        ("place", "place", False),
        ("country", "country", False),
        ("subdivision", "subdivision", False),
        ("city", "city", False),
        ("part of", "part_of", False),
        ("attributed to", "attributed_to", False),
        ("quantities", "quantities", False),
    ],
    "commitment": [
        ("action", "action", True),
        ("category", "category", True),
        ("strength", "strength", False),
        ("status", "status", False),
        ("date", "date", False),
        ("deadline", "deadline", False),
        ("parties", "parties", False),
        ("made in", "made_in", False),
        ("attributed to", "attributed_to", False),
        ("conditions", "conditions", False),
        ("quantities", "quantities", False),
    ],
}
SETS = {"aliases", "participants", "parties", "quantities"}  # merged as a union: order does not matter


def _comparable(key: str, stating: dict) -> str | None:
    """Field `key` of a record or account as compared between accounts; None where it states nothing."""
    value = stating.get(key)
    if value is None or value == [] or value == "":
        return None
    if key in SETS:
        return json.dumps(sorted(json.dumps(v, sort_keys=True) for v in value))
    return json.dumps(value, sort_keys=True)


def _shown(key: str, stating: dict, names: dict[str, str]) -> str:
    """Field `key` of a record or account as its cell shows it."""
    value = stating.get(key)
    if value is None or value == []:
        return ""
    if key in ("date", "start", "end"):
        return when(value)
    if key in ("participants", "parties"):
        return names_with_roles(value, names)
    if key == "quantities":
        return _quantities_in_full(value)
    if key == "aliases":
        return "; ".join(value)
    if key in ("subject", "object", "attributed_to", "part_of") and isinstance(value, str):
        actor: str = value  # an actor's id
        return names.get(actor, actor)
    return str(value)


def describe_accounts(
    kind: str, record: dict, spans: list[Span], names: dict[str, str], sources: dict[str, dict]
) -> AccountsView | None:
    """Each source's account side by side, with the fields on which they differ; None for one account."""
    accounts = record.get("accounts") or []
    if len(accounts) < 2:
        return None
    # The spans were made from the record's evidence, one each (`describe`).
    numbered = enumerate(zip(record["evidence"], spans, strict=True), start=1)
    by_span_id = {e.get("id"): (n, span) for n, (e, span) in numbered}
    columns = []
    for account in accounts:
        source = sources.get(account["source"], {})
        columns.append(
            AccountColumn(
                account["source"],
                source.get("title") or account["source"],
                str(publication_of(source)) if source.get("published") else "",
                tuple(by_span_id[i] for i in account.get("evidence") or [] if i in by_span_id),
            )
        )
    rows = []
    for name, key, own in ACCOUNT_FIELDS[kind]:
        merged = _comparable(key, record)
        given = [_comparable(key, account) for account in accounts]
        stated = [g for g in given if g is not None]
        if own and len(set(stated)) <= 1 and (not stated or stated[0] == merged):
            continue  # an account that leaves out the record's own field does not disagree
        if not own and len(set(given)) <= 1 and given[0] == merged:
            continue
        rows.append(
            AccountRow(
                name,
                _shown(key, record, names),
                tuple(None if g is None else _shown(key, a, names) for g, a in zip(given, accounts, strict=True)),
                tuple(g is not None and g != merged for g in given),
                len(set(stated)) > 1,
                key,
            )
        )
    return AccountsView(tuple(columns), tuple(rows))


def describe(kind: str, record: dict, names: dict[str, str], sources: dict[str, dict] | None, page: str) -> RecordView:
    """A record as the site shows it; `page` is the page of records that lists it."""
    label, type_, facts = DESCRIBE[kind](record, names)
    key = record_key(kind, record["id"])
    spans = [
        Span(
            f"span-{kind}-{record['id']}-{n}",
            key,
            e["source"],
            e["start"],
            e["end"],
            e["quote"],
            e.get("sha256", ""),
            e.get("link"),
            e.get("fragment"),
        )
        for n, e in enumerate(record["evidence"], start=1)
    ]
    if kind == "source":
        return RecordView(kind, record["id"], type_, label, facts, spans, page=page)
    accounts = describe_accounts(kind, record, spans, names, sources or {})
    return RecordView(kind, record["id"], type_, label, facts, spans, record.get("source_count"), accounts, page)


SOURCE_FIELDS = (
    "id",
    "title",
    "published",
    "language",
    "publisher",
    "url",
    "archived_url",
    "retrieved",
    "extent",
    "extent_note",
    "text",
    "licence",
    "attribution",
)  # what the site shows of a source


@dataclass(frozen=True)
class RecordsPage:
    """One page of the records of a kind, as the index lists it (its cards are not kept)."""

    kind: str
    number: int  # from 1, within its kind
    first: int  # the position of its first and last records within their kind, from 1
    last: int
    first_id: str
    last_id: str

    @property
    def name(self) -> str:
        return page_name(self.kind, self.number)


def page_name(kind: str, number: int) -> str:
    """The file of the nth page of a kind's records: `events-1.html` (a source page is `source-<id>.html`)."""
    return f"{PLURAL[kind]}-{number}.html"


@dataclass(frozen=True)
class CitedRecord:
    """A record as a source page needs it: its card (as rendered for its page of records), its
    spans, and what a withheld source's list of spans says of it."""

    card: str
    spans: tuple[Span, ...]
    kind: str
    id: str
    label: str
    href: str  # its card in its page of records
