"""The review site written by `seccoop export --format html --out FOLDER`.

A reviewer checks that every record says what its quotes say. The site shows each source's full
text with every evidence span highlighted; selecting highlighted words (click, or Tab then Enter)
lists the records they support. `index.html` lists each kind's pages of records: every record, by
kind, in pages of at most PAGE_SIZE cards (`events-1.html`, ...), each page filterable by type, each
card linking to its spans in context (`source-<id>.html#span-...`). Pages have a fixed size and are
written one at a time as the records are read, so neither a page nor the export's memory grows with
the dataset (`write_review_site`). The site is static and self-contained:
inline CSS and JS, no network at view time (a Content-Security-Policy forbids any load and runs
only the page's own script and style, named by their sha256: no injected markup can run), no build
step, and the same package always gives the same bytes.

Offsets are Unicode code points (Python str indices), but JavaScript strings count UTF-16 units, so
an emoji before a span would shift it by one in the browser. The text is therefore cut into
highlighted segments here, in Python, by code point; the browser never computes an offset, its
script only marks which of the pre-cut segments are selected. Spans that overlap or nest are cut at
every span boundary: each segment lists all the spans covering it (`data-spans`) and is shaded by
how many there are (`data-depth`).

A record may be stated by several sources (docs/accounts.md). Its card says how many
(`source_count`), links each quote to its own source's page, and, when more than one source gives
an account, shows the accounts side by side: one column per source, one row per field on which an
account differs from the merged record or from another account, with the merged value and every
value that is not it marked. An account that leaves out one of the record's own fields (a second
source need not repeat the summary) does not differ on it.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import marshal
import re
import tempfile
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import IO, Protocol

from seccoop.exports.published import Published
from seccoop.exports.request import Request
from seccoop.model.package import KINDS, PLURAL
from seccoop.model.publication import published as publication_of
from seccoop.safety.write import Staging, WriteRefused

MAX_DEPTH = 3  # segments covered by this many spans or more share the darkest shade
PAGE_SIZE = 500  # records on one page of a kind: few enough for a browser to show and filter at once


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


def _roles(people: list[dict] | None, names: dict[str, str]) -> str:
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
            ("participants", _roles(r.get("participants"), names)),
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
            ("parties", _roles(r.get("parties"), names)),
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
        return _roles(value, names)
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
            )
        )
    return AccountsView(tuple(columns), tuple(rows))


def describe(kind: str, record: dict, names: dict[str, str], sources: dict[str, dict] | None, page: str) -> RecordView:
    """A record as the site shows it; `page` is the page of records that lists it."""
    label, type_, facts = DESCRIBE[kind](record, names)
    key = record_key(kind, record["id"])
    spans = [
        Span(f"span-{kind}-{record['id']}-{n}", key, e["source"], e["start"], e["end"], e["quote"], e.get("sha256", ""))
        for n, e in enumerate(record["evidence"], start=1)
    ]
    if kind == "source":
        return RecordView(kind, record["id"], type_, label, facts, spans, page=page)
    accounts = describe_accounts(kind, record, spans, names, sources or {})
    return RecordView(kind, record["id"], type_, label, facts, spans, record.get("source_count"), accounts, page)


# -- rendering ---------------------------------------------------------------------------------

_NEEDS_ESCAPE = re.compile(r"[&<>\"'\r]")


def esc(value: object) -> str:
    """Text or attribute value, escaped. A carriage return becomes a character reference: the HTML
    parser turns a raw one into a line feed, which would make the shown text differ from the source."""
    text = str(value)
    if _NEEDS_ESCAPE.search(text) is None:  # most values (ids, codes, dates): a search, not six replaces
        return text
    return html.escape(text, quote=True).replace("\r", "&#13;")


def counted(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def span_href(span: Span) -> str:
    return f"source-{esc(span.source)}.html#{esc(span.id)}"


def render_accounts(accounts: AccountsView) -> str:
    """Each source's account side by side: one column per source (linked to its spans in that source's
    page), one row per field on which they differ; a value that is not the merged record's is marked ≠."""
    heads = []
    for column in accounts.columns:
        title = esc(column.title)
        first = f'<a href="{span_href(column.spans[0][1])}">{title}</a>' if column.spans else title
        quotes = ", ".join(f'<a href="{span_href(span)}">{n}</a>' for n, span in column.spans)
        noun = "quotes" if len(column.spans) > 1 else "quote"
        where = " · ".join(
            part for part in (esc(column.source), esc(column.published), f"{noun} {quotes}" if quotes else "") if part
        )
        heads.append(
            f'<th scope="col" data-source="{esc(column.source)}">{first} <span class="where">{where}</span></th>'
        )
    rows = []
    for row in accounts.rows:
        cells = "".join(
            '<td class="unstated">not stated</td>'
            if text is None
            else (
                f'<td class="differs"><span class="flag" title="not the merged value">≠</span> {esc(text)}</td>'
                if differs
                else f"<td>{esc(text)}</td>"
            )
            for text, differs in zip(row.cells, row.differs, strict=True)
        )
        flag = ' <span class="flag">sources differ</span>' if row.disagree else ""
        marked = ' class="disagree"' if row.disagree else ""
        rows.append(
            f'<tr{marked}><th scope="row">{esc(row.name)}{flag}</th>'
            f'<td class="merged">{esc(row.merged) if row.merged else "—"}</td>{cells}</tr>'
        )
    if not rows:
        rows.append(
            f'<tr><td colspan="{len(accounts.columns) + 2}">The sources agree on every field they state.</td></tr>'
        )
    return (
        f'<div class="accounts"><table>\n<caption>{counted(len(accounts.columns), "account")} side by side: '
        f"the fields where they differ (≠ not the merged value)</caption>\n"
        f'<thead><tr><th scope="col">field</th><th scope="col" class="merged">merged record</th>'
        f"{''.join(heads)}</tr></thead>\n"
        f"<tbody>{''.join(rows)}</tbody>\n</table></div>\n"
    )


def render_card(record: RecordView) -> str:
    """One record: kind, id (linking to the index), how many sources give an account of it, label, facts,
    each source's account side by side (when there are several), and its quotes linking into their sources."""
    facts = "".join(f"<dt>{esc(name)}</dt><dd>{esc(text)}</dd>" for name, text in record.facts if text)
    quotes = "".join(
        f'<li data-span="{esc(s.id)}"><a href="{span_href(s)}">{render_quote(s)}</a> '
        f'<span class="where">{esc(s.source)} {s.start}–{s.end}</span></li>'
        for s in record.spans
    )
    count = (
        f' <span class="count">{counted(record.source_count, "source")}</span>'
        if record.source_count is not None
        else ""
    )
    accounts = render_accounts(record.accounts) if record.accounts else ""
    # A source's card is where the index's pages reach its full text.
    label = (
        f'<a href="source-{esc(record.id)}.html">{esc(record.label)}</a>'
        if record.kind == "source"
        else esc(record.label)
    )
    return (
        f'<article class="card" id="{esc(record.key)}" data-kind="{esc(record.kind)}" '
        f'data-type="{esc(record.type)}">\n'
        f'<h3><span class="kind">{esc(record.kind)}</span> <a href="{esc(record.page)}#{esc(record.key)}">'
        f'{esc(record.id)}</a>{count}</h3>\n<p class="label">{label}</p>\n'
        f'<dl>{facts}</dl>\n{accounts}<ol class="evidence">{quotes}</ol>\n</article>\n'
    )


def render_quote(span: Span) -> str:
    """A quote as published: its words, or, for a withheld text's quote that is not published, its
    length and fingerprint (verifiable against a copy of the source: docs/rights.md)."""
    if span.quote is not None:
        return f"<q>{esc(span.quote)}</q>"
    return (
        f'<span class="withheld">[words withheld: {counted(span.end - span.start, "character")}, '
        f"sha256 {esc(span.sha256[:12])}…]</span>"
    )


def render_withheld(spans: list[Span]) -> str:
    """A withheld text, shown through its published quotes only: each span in the order of the text,
    its words where published, else its place, length and fingerprint; never the text around it."""
    by_place: dict[tuple[int, int], list[Span]] = {}
    for s in spans:
        by_place.setdefault((s.start, s.end), []).append(s)
    items = []
    for (start, end), same in sorted(by_place.items()):
        anchors = "".join(f'<span class="anchor" id="{esc(s.id)}"></span>' for s in same)
        ids = esc(" ".join(s.id for s in same))
        items.append(
            f'<li>{anchors}<mark class="seg" tabindex="0" role="button" data-depth="1" data-spans="{ids}">'
            f'{render_quote(same[0])}</mark> <span class="where">{start}–{end}</span></li>'
        )
    return f'<ol class="withheld-spans">{"".join(items)}</ol>'


def render_text(text: str, spans: list[Span]) -> str:
    """The source text cut at every span boundary. Each covered segment is a focusable <mark> listing
    the spans covering it; an empty anchor marks where each span starts, for links from the index."""
    cuts = sorted({0, len(text), *(s.start for s in spans), *(s.end for s in spans)})
    starting: dict[int, list[Span]] = {}
    for s in spans:
        starting.setdefault(s.start, []).append(s)
    order = {s: i for i, s in enumerate(spans)}
    active: list[Span] = []  # the spans covering the current segment
    parts = []
    for start, end in pairwise(cuts):
        parts += [f'<span class="anchor" id="{esc(s.id)}"></span>' for s in starting.get(start, ())]
        active = [s for s in active if s.end > start] + starting.get(start, [])
        covering = [s.id for s in sorted(active, key=order.__getitem__)]
        words = esc(text[start:end])
        if covering:
            parts.append(
                f'<mark class="seg" tabindex="0" role="button" data-depth="{min(len(covering), MAX_DEPTH)}"'
                f' data-spans="{esc(" ".join(covering))}">{words}</mark>'
            )
        else:
            parts.append(words)
    return "".join(parts)


def script_data(data: dict) -> str:
    """JSON for a <script type="application/json"> block; every `<` escaped, so no `</script>` or
    `<!--` in the data can end or alter the block."""
    return json.dumps(data, sort_keys=True).replace("<", "\\u003c")


def csp_hash(source: str) -> str:
    """A CSP hash source: the browser runs an inline script (or applies a style) only if its exact
    text has this sha256."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode("ascii") + "'"


def content_security_policy(script: str) -> str:
    # The JSON data block is never run (type="application/json"), so it needs no source.
    scripts = csp_hash(script) if script else "'none'"
    return f"default-src 'none'; style-src {csp_hash(CSS)}; script-src {scripts}"


def render_page(title: str, body: str, script: str, data: dict | None = None) -> bytes:
    """A whole page; `script` empty: a page that runs none."""
    data_block = f'<script type="application/json" id="review-data">{script_data(data)}</script>\n' if data else ""
    script_block = f"<script>{script}</script>\n" if script else ""
    return (
        f'<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{content_security_policy(script)}">\n'
        f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{body}"
        f"{data_block}{script_block}</body>\n</html>\n"
    ).encode()


def render_source_nav(previous: dict | None, following: dict | None) -> str:
    """Links to the index and to the neighbouring sources: a page's size must not grow with the
    number of sources (thousands of them)."""
    links = ['<a href="index.html">All records and sources</a>']
    if previous:
        links.append(f'<a href="source-{esc(previous["id"])}.html" rel="prev">← {esc(previous["id"])}</a>')
    if following:
        links.append(f'<a href="source-{esc(following["id"])}.html" rel="next">{esc(following["id"])} →</a>')
    return f"<nav>{' · '.join(links)}</nav>\n"


@dataclass(frozen=True)
class CitedRecord:
    """A record as a source page needs it: its card (as rendered for its page of records) and its spans."""

    card: str
    spans: tuple[Span, ...]


def hidden(card: str) -> str:
    """A card (from `render_card`, which it starts) hidden until its words are selected."""
    return card.replace("<article ", "<article hidden ", 1)


def source_page(
    source: dict, text: str | None, cited: list[CitedRecord], previous: dict | None, following: dict | None
) -> bytes:
    """A source's full text with its spans highlighted, beside a panel of the records they support."""
    spans = [s for r in cited for s in r.spans if s.source == source["id"]]
    if source.get("text") == "withheld":
        shown = (
            f'<p class="legend">The text of this source is withheld: its licence does not allow '
            f"republishing it (licence: {esc(source.get('licence', 'unknown'))}). Its spans are listed in the "
            f"order of the text, each with its published words or its length and fingerprint, which a copy "
            f"of the article verifies (`seccoop verify`).</p>\n{render_withheld(spans)}"
        )
    elif text is None:  # an included text not given: a caller's mistake, never a checked package's
        raise ValueError(f"source {source['id']}: its text is included but was not given")
    else:
        shown = render_text(text, spans)
    body = (
        f"<header>\n{render_source_nav(previous, following)}<h1>{esc(source['title'])}</h1>\n"
        f'<p class="meta">{esc(source["id"])} · published {esc(str(publication_of(source)))} · '
        f"{counted(len(spans), 'evidence span')} of {counted(len(cited), 'record')}</p>\n"
        f'<p class="legend">Highlighted words are evidence; the darker, the more spans overlap there. '
        f"Select them (click, or Tab then Enter) to see the records they support.</p>\n</header>\n"
        f'<main class="review">\n<section class="source" aria-label="Source text">'
        f'<div class="source-text" lang="{esc(source["language"])}">{shown}</div></section>\n'
        f'<aside id="panel" aria-live="polite" aria-label="Records for the selected words">\n'
        f'<h2>Selected evidence</h2>\n<p id="panel-hint">Nothing selected yet: select highlighted words.</p>\n'
        + "".join(hidden(r.card) for r in cited)
        + "</aside>\n</main>\n"
    )
    return render_page(source["title"], body, SOURCE_SCRIPT, {"spans": {s.id: s.record for s in spans}})


def render_filters(types: list[str], count: int) -> str:
    """The type filter of one page of records (a page holds one kind)."""
    options = "".join(f'<option value="{esc(t)}">{esc(t)}</option>' for t in types)
    return (
        f'<form class="filters" role="search">\n'
        f'<label>Type <select id="filter-type"><option value="">all types</option>{options}</select></label>\n'
        f'<output id="shown" aria-live="polite">{counted(count, "record")}</output>\n</form>\n'
    )


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


def records_page(page: RecordsPage, cards: list[str], types: list[str], following: bool) -> bytes:
    """One page of a kind's records, with a filter by type, and links to the index and the pages beside it."""
    links = ['<a href="index.html">All records and sources</a>']
    if page.number > 1:
        links.append(
            f'<a href="{page_name(page.kind, page.number - 1)}" rel="prev">← {esc(PLURAL[page.kind])} '
            f"page {page.number - 1}</a>"
        )
    if following:
        links.append(
            f'<a href="{page_name(page.kind, page.number + 1)}" rel="next">{esc(PLURAL[page.kind])} '
            f"page {page.number + 1} →</a>"
        )
    title = f"{PLURAL[page.kind].capitalize()} {page.first}–{page.last}"
    filters = render_filters(types, len(cards)) if types else ""
    body = (
        f"<header>\n<nav>{' · '.join(links)}</nav>\n<h1>{esc(title)}</h1>\n"
        f'<p class="meta">Page {page.number} of the {esc(PLURAL[page.kind])}: '
        f"{counted(len(cards), 'record')}. Each quote links to its words in the source.</p>\n</header>\n"
        f'<main>\n{filters}<div class="cards">\n' + "".join(cards) + "</div>\n</main>\n"
    )
    return render_page(f"{title} · seccoop review", body, PAGE_SCRIPT if types else "")


def index_page(pages: list[RecordsPage], types: dict[str, dict[str, int]], page_size: int) -> bytes:
    """The site's front page: how many records of each kind and type, and the pages that list them."""
    counts = {kind: 0 for kind in KINDS}
    for page in pages:
        counts[page.kind] = max(counts[page.kind], page.last)
    sections = []
    for kind in KINDS:
        if not counts[kind]:
            continue
        by_type = ", ".join(f"{esc(t)} {n}" for t, n in sorted(types.get(kind, {}).items()))
        items = "".join(
            f'<li><a href="{p.name}">{p.first}–{p.last}</a> '
            f'<span class="where">{esc(p.first_id)} … {esc(p.last_id)}</span></li>\n'
            for p in pages
            if p.kind == kind
        )
        sections.append(
            f'<section>\n<h2 id="{esc(PLURAL[kind])}">{esc(PLURAL[kind].capitalize())} '
            f'<span class="count">{counted(counts[kind], "record")}</span></h2>\n'
            + (f'<p class="where">By type: {by_type}</p>\n' if by_type else "")
            + f'<ol class="pages">\n{items}</ol>\n</section>\n'
        )
    total = sum(counts.values())
    body = (
        f'<header>\n<h1>seccoop review</h1>\n<p class="meta">{counted(total, "record")} from '
        f"{counted(counts['source'], 'source')}, listed by kind in pages of up to {page_size}; each page "
        f"filters its records by type. A source's card links to its full text; each quote links to its "
        f"words in the source.</p>\n</header>\n<main>\n" + "".join(sections) + "</main>\n"
    )
    return render_page("seccoop review", body, "")


class DocumentRecords:
    """A nested document already in memory, read the way the site reads data/seccoop.json
    (`published.Published.scan`): every record, kind by kind."""

    def __init__(self, document: dict):
        self.document = document

    def scan(self) -> Iterator[tuple[str, dict]]:
        for kind in KINDS:
            for record in self.document.get(PLURAL[kind], []):
                yield kind, record


class RecordStore(Protocol):
    def scan(self) -> Iterable[tuple[str, dict]]: ...  # (kind, record), kind by kind as KINDS lists them


class SourceTextStore(Protocol):
    """The texts of included sources by source id (`published.SourceTexts`, or a dict in memory)."""

    def get(self, source_id: str, /) -> str | None: ...


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


class RecordPages:
    """The pages of records as one pass over the records fills them, kind by kind: a page is
    written as soon as it is full or its kind ends, and only what the index says of it is kept."""

    def __init__(self, emit: Callable[[str, bytes], None], page_size: int):
        self.emit, self.page_size = emit, page_size
        self.pages: list[RecordsPage] = []
        self.types: dict[str, dict[str, int]] = {}  # kind -> type -> records
        self.kind, self.number, self.position = "", 0, 0  # position: of the last record within its kind
        self.cards: list[str] = []  # the cards of the page being filled, and their records' ids
        self.ids: list[str] = []
        self.page_types: set[str] = set()

    def page_for(self, kind: str) -> str:
        """The page the next record, of `kind`, goes on; the page being filled is written first
        if it is full or holds another kind."""
        if self.cards and (kind != self.kind or len(self.cards) == self.page_size):
            self._write_page(following=kind == self.kind)
        if kind != self.kind:
            self.kind, self.number, self.position = kind, 0, 0
        if not self.cards:
            self.number += 1
        self.position += 1
        return page_name(kind, self.number)

    def add(self, view: RecordView, card: str) -> None:
        """A record's card, on the page `page_for` gave it."""
        self.cards.append(card)
        self.ids.append(view.id)
        if view.type:
            self.page_types.add(view.type)
            counts = self.types.setdefault(self.kind, {})
            counts[view.type] = counts.get(view.type, 0) + 1

    def close(self) -> None:
        """Write the last page."""
        if self.cards:
            self._write_page(following=False)

    def _write_page(self, following: bool) -> None:
        first = self.position - len(self.cards) + 1
        page = RecordsPage(self.kind, self.number, first, self.position, self.ids[0], self.ids[-1])
        self.emit(page.name, records_page(page, self.cards, sorted(self.page_types), following))
        self.pages.append(page)
        self.cards, self.page_types, self.ids = [], set(), []


class CardSpool:
    """Each record's card and spans, spooled to a file as its page is written and read back by
    the page of each source it cites: memory keeps only where each source's citing records are."""

    def __init__(self, file: IO[bytes]):
        self.file = file
        self.citing: dict[str, tuple[array, array]] = {}  # source id -> (starts, sizes) in the spool

    def add(self, card: str, spans: list[Span]) -> None:
        """A record's card and spans, at the end of the spool."""
        entry = marshal.dumps((card, [(s.id, s.record, s.source, s.start, s.end, s.quote, s.sha256) for s in spans]))
        where = self.file.tell()
        self.file.write(entry)
        for source_id in dict.fromkeys(s.source for s in spans):
            starts, sizes = self.citing.setdefault(source_id, (array("q"), array("q")))
            starts.append(where)
            sizes.append(len(entry))

    def cited(self, source_id: str) -> list[CitedRecord]:
        """The records that cite a source, in the order they were spooled."""
        cited = []
        starts, sizes = self.citing.get(source_id, (array("q"), array("q")))
        for where, size in zip(starts, sizes, strict=True):
            self.file.seek(where)
            card, spans = marshal.loads(self.file.read(size))
            cited.append(CitedRecord(card, tuple(Span(*span) for span in spans)))
        return cited


def export_html(published: Published, request: Request) -> list[str]:
    """The review site of the checked package into the folder --out."""
    out = request.needs_out("html needs --out FOLDER")
    return write_review_site(published, published.texts, Path(out))


def write_review_site(
    records: RecordStore | dict, texts: SourceTextStore, out: Path, page_size: int = PAGE_SIZE
) -> list[str]:
    """Write the review site into folder `out`; return the paths written (as strings).

    `records` is the published data read one record at a time (`published.Published`), or a nested
    document in memory. Memory stays flat as the data grows: one pass renders the pages of records,
    one page at a time, and spools each card with its spans to an unnamed temporary file in `out`;
    it keeps only what later pages need (actor names, the sources, and for each source where the
    cards of the records citing it are in the spool). Each source page then reads back just those
    cards. Every page is written into its staged file as soon as it is rendered, and all are renamed
    into place together (`write.Staging`)."""
    if out.exists() and not out.is_dir():
        raise WriteRefused(f"{out}: is a file, not a folder")
    store = DocumentRecords(records) if isinstance(records, dict) else records
    written: list[str] = []
    with Staging() as staging:
        staging.prepare(out)

        def emit(name: str, data: bytes) -> None:
            staging.write(out / name, data)
            written.append(str(out / name))

        pages = RecordPages(emit, page_size)
        # Unnamed: the system removes it when it is closed, even if this process is killed.
        with tempfile.TemporaryFile(dir=out) as file:
            spool = CardSpool(file)
            sources = _write_record_pages(store, pages, spool)
            for i, source in enumerate(sources):
                previous = sources[i - 1] if i else None
                following = sources[i + 1] if i + 1 < len(sources) else None
                page = source_page(source, texts.get(source["id"]), spool.cited(source["id"]), previous, following)
                emit(f"source-{source['id']}.html", page)

        staging.write(out / "index.html", index_page(pages.pages, pages.types, page_size))
        written.insert(0, str(out / "index.html"))
        staging.commit()
    return written


def _write_record_pages(records: RecordStore, pages: RecordPages, spool: CardSpool) -> list[dict]:
    """The one pass over the records: each record's card onto its page of records and into the
    spool. Returns the sources, as the site shows them, in their order."""
    names: dict[str, str] = {}  # actor id -> name
    sources: list[dict] = []
    by_id: dict[str, dict] = {}
    for kind, record in records.scan():
        page = pages.page_for(kind)
        if kind == "source":
            source = {field: record.get(field) for field in SOURCE_FIELDS}
            sources.append(source)
            by_id[record["id"]] = source
        elif kind == "actor":
            names[record["id"]] = record["name"]
        view = describe(kind, record, names, by_id, page)
        card = render_card(view)
        pages.add(view, card)
        spool.add(card, view.spans)
    pages.close()
    return sources


# -- the inline style and scripts --------------------------------------------------------------

CSS = """
:root { font: 16px/1.5 system-ui, sans-serif; color: #1d1d22; background: #fff; }
body { max-width: 76rem; margin: 0 auto; padding: 0 1rem; }
h1 { font-size: 1.5rem; line-height: 1.25; margin: .5rem 0; }
h2 { font-size: 1.15rem; }
nav, .meta, .legend, .where { color: #55556a; font-size: .9rem; }
a { color: #1a4fa0; }
.withheld { color: #55556a; font-style: italic; }
.withheld-spans li { margin: .25rem 0; }
.review { display: grid; gap: 1.5rem; }
.source-text { white-space: pre-wrap; overflow-wrap: anywhere; font-size: 1.05rem; line-height: 1.8; }
.seg { color: inherit; background: rgb(255 214 0 / .35); border-radius: 2px; cursor: pointer;
       box-decoration-break: clone; -webkit-box-decoration-break: clone; }
.seg[data-depth="2"] { background: rgb(255 170 0 / .55); }
.seg[data-depth="3"] { background: rgb(255 120 0 / .6); }
.seg[aria-pressed="true"] { background: rgb(120 170 255 / .6); text-decoration: underline 2px #1a4fa0; }
.seg:focus-visible { outline: 3px solid #1a4fa0; outline-offset: 1px; }
#panel { background: #fff; }
#panel h2 { margin-top: 0; }
.card { border: 1px solid #d4d4de; border-radius: 6px; padding: .6rem .9rem; margin: 0 0 .75rem; }
.card h3 { font-size: 1rem; margin: 0; overflow-wrap: anywhere; }
.card .label { margin: .3rem 0; }
.kind { font-size: .72rem; text-transform: uppercase; letter-spacing: .05em; background: #e8ecf8;
        border-radius: 3px; padding: .1rem .35rem; }
dl { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: .1rem .8rem; margin: .4rem 0; }
dt { color: #55556a; }
dd { margin: 0; overflow-wrap: anywhere; }
.evidence { margin: .3rem 0; padding-left: 1.4rem; overflow-wrap: anywhere; }
.count { color: #55556a; font-size: .85rem; font-weight: normal; white-space: nowrap; }
.accounts { overflow-x: auto; margin: .4rem 0; }
.accounts table { border-collapse: collapse; font-size: .9rem; }
.accounts caption { text-align: left; color: #55556a; font-size: .85rem; }
.accounts th, .accounts td { border: 1px solid #d4d4de; padding: .15rem .4rem; text-align: left;
                             vertical-align: top; overflow-wrap: break-word; min-width: 5rem; }
.accounts th .where { display: block; font-weight: normal; }
.accounts .merged { background: #eef5e9; }
.accounts td.differs { background: #fde7e2; }
.accounts .flag { color: #a3271a; font-weight: 700; }
.accounts tr.disagree th .flag { display: block; font-size: .8rem; }
.accounts .unstated { color: #6b6b7e; font-style: italic; }
.evidence li.current { font-weight: 600; }
.filters { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; margin-bottom: 1rem; }
select { font: inherit; max-width: 100%; }
[hidden] { display: none !important; }
@media (min-width: 60rem) {
  .review { grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); align-items: start; }
  #panel { position: sticky; top: 1rem; max-height: calc(100vh - 2rem); overflow: auto; }
}
@media (max-width: 59.99rem) {
  #panel { position: sticky; bottom: 0; max-height: 45vh; overflow: auto; border-top: 2px solid #d4d4de;
           padding-top: .5rem; }
}
"""

SOURCE_SCRIPT = """
"use strict";
const spanRecord = JSON.parse(document.getElementById("review-data").textContent).spans;
const segments = Array.from(document.querySelectorAll(".seg"));
const cards = Array.from(document.querySelectorAll("#panel .card"));
const quotes = Array.from(document.querySelectorAll("#panel [data-span]"));
const hint = document.getElementById("panel-hint");

function spansOf(segment) { return segment.dataset.spans.split(" "); }

// Mark every segment of the chosen spans and show the records they support.
function select(spanIds) {
  const chosen = new Set(spanIds);
  const records = new Set(spanIds.map((id) => spanRecord[id]));
  for (const segment of segments) {
    segment.setAttribute("aria-pressed", String(spansOf(segment).some((id) => chosen.has(id))));
  }
  for (const card of cards) card.hidden = !records.has(card.id);
  for (const quote of quotes) quote.classList.toggle("current", chosen.has(quote.dataset.span));
  hint.hidden = records.size > 0;
}

for (const segment of segments) {
  segment.addEventListener("click", () => select(spansOf(segment)));
  segment.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      select(spansOf(segment));
    }
  });
}

// A link such as source-x.html#span-event-y-1 selects that span.
function selectFromHash() {
  const id = decodeURIComponent(location.hash.slice(1));
  if (Object.hasOwn(spanRecord, id)) select([id]);
}
window.addEventListener("hashchange", selectFromHash);
selectFromHash();
"""

PAGE_SCRIPT = """
"use strict";
const type = document.getElementById("filter-type");
const shown = document.getElementById("shown");
const cards = Array.from(document.querySelectorAll(".card"));

function applyFilter() {
  let count = 0;
  for (const card of cards) {
    const match = !type.value || card.dataset.type === type.value;
    card.hidden = !match;
    count += match;
  }
  shown.textContent = `${count} of ${cards.length} records`;
}

type.addEventListener("change", applyFilter);
applyFilter();
"""
