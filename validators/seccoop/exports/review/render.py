"""The review site's pages as bytes, from the Jinja2 templates in `templates/`.

The templates are autoescaped: every value is text unless this module marks it as markup (a card
already rendered, the page's own style and script, the JSON data block with every `<` escaped).
A carriage return in a value becomes a character reference, since the HTML parser would turn a raw
one into a line feed and the shown text would differ from the source (`_as_text`). Undefined
names fail (StrictUndefined): a template never renders a silent blank.

Offsets are Unicode code points (Python str indices), but JavaScript strings count UTF-16 units, so
an emoji before a span would shift it by one in the browser. The text is therefore cut into
highlighted segments here, in Python, by code point (`text_parts`); the browser never computes an
offset, its script only marks which of the pre-cut segments are selected. Spans that overlap or
nest are cut at every span boundary: each segment lists all the spans covering it (`data-spans`)
and is shaded by how many there are (`data-depth`).

Every page names its own style and script by their sha256 in a Content-Security-Policy that
forbids any load: no injected markup can run, and the page makes no network request. A link to a
publisher's page is navigation, which the policy does not govern, and carries
`rel="noopener noreferrer"`.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from itertools import pairwise

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

from seccoop.exports.review.story import Story, source_rows
from seccoop.exports.review.views import CitedRecord, RecordsPage, RecordView, Span
from seccoop.model.package import KINDS, PLURAL
from seccoop.model.publication import published as publication_of

MAX_DEPTH = 3  # segments covered by this many spans or more share the darkest shade


def _as_text(value: object) -> Markup:
    """Every `{{ value }}` of a template: markup as it is, anything else escaped as text, a carriage
    return as a character reference."""
    if isinstance(value, Markup):
        return value
    return Markup(str(escape(value)).replace("\r", "&#13;"))


ENVIRONMENT = Environment(
    loader=PackageLoader("seccoop.exports.review", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    finalize=_as_text,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    auto_reload=False,
)
ENVIRONMENT.globals["zip"] = zip


def _static(name: str) -> str:
    """A file of templates/ as it is: the pages' style and scripts, inlined and named by their hash."""
    loader = ENVIRONMENT.loader
    assert loader is not None  # set just above
    return loader.get_source(ENVIRONMENT, name)[0]


CSS = _static("review.css")
SOURCE_SCRIPT = _static("source.js")
RECORDS_SCRIPT = _static("records.js")
CARD = ENVIRONMENT.get_template("card.html")


def counted(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


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


def render_page(
    template: str, title: str, private: bool, script: str = "", data: dict | None = None, **context
) -> bytes:
    """A whole page from `template` (which extends page.html); `script` empty: a page that runs none.
    `private`: the curators' private view, marked on every page as not for publication."""
    return (
        ENVIRONMENT.get_template(template)
        .render(
            title=title,
            private=private,
            csp=Markup(content_security_policy(script)),  # hashes and keywords: no `"`, `&` or `<`
            css=Markup(CSS),
            script=Markup(script),
            data=Markup(script_data(data)) if data else "",
            **context,
        )
        .encode()
    )


def render_card(record: RecordView) -> str:
    """One record: kind, id (linking to its page of records), how many sources give an account of it,
    label, facts, each source's account side by side (when there are several), and its quotes linking
    into their sources."""
    return CARD.render(record=record)


def hidden(card: str) -> str:
    """A card (from `render_card`, which it starts) hidden until its words are selected."""
    return card.replace("<article ", "<article hidden ", 1)


# -- a source page ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    """A piece of a source's text as its page shows it: an anchor where spans start, words covered by
    spans (`spans`: their ids; `depth`: the shade), or words no span covers. A covered piece that is
    only white space is shaded but is no button: a control must have a name to say, and its spans
    are selected through the words beside it."""

    words: str = ""
    anchor: str = ""
    spans: str = ""
    depth: int = 0


def text_parts(text: str, spans: list[Span]) -> list[Part]:
    """The source text cut at every span boundary. Each covered segment lists the spans covering it;
    an empty anchor marks where each span starts, for links from the cards."""
    cuts = sorted({0, len(text), *(s.start for s in spans), *(s.end for s in spans)})
    starting: dict[int, list[Span]] = {}
    for s in spans:
        starting.setdefault(s.start, []).append(s)
    order = {s: i for i, s in enumerate(spans)}
    active: list[Span] = []  # the spans covering the current segment
    parts = []
    for start, end in pairwise(cuts):
        parts += [Part(anchor=s.id) for s in starting.get(start, ())]
        active = [s for s in active if s.end > start] + starting.get(start, [])
        covering = [s.id for s in sorted(active, key=order.__getitem__)]
        if covering:
            parts.append(Part(text[start:end], spans=" ".join(covering), depth=min(len(covering), MAX_DEPTH)))
        else:
            parts.append(Part(text[start:end]))
    return parts


@dataclass(frozen=True)
class Place:
    """Where a withheld text's spans lie: the spans at the same offsets, the records they support,
    and where a reader opens their words."""

    start: int
    end: int
    ids: tuple[str, ...]
    span: Span  # the first: its quote stands for all (the same offsets, the same words)
    link: str | None
    link_label: str
    records: tuple[CitedRecord, ...]


def _web(url: str | None) -> str | None:
    """A link a page may carry: a web address, never `unknown` or a `javascript:` one."""
    return url if url and url.startswith(("https://", "http://")) else None


def _open_at(span: Span, source: dict) -> tuple[str | None, str]:
    """Where a span's words are opened, and what the link says: the span's own link (the source's
    url with a text fragment) where the published document gives one, else the source's url."""
    link = _web(span.link) or _web(source.get("url"))
    if link is not None and span.fragment and _web(span.link):
        return link, "open at its words on the publisher's page"
    return link, "open the publisher's page"


def withheld_places(spans: list[Span], cited: list[CitedRecord], source: dict) -> list[Place]:
    """A withheld text's spans in the order of the text, one place for spans at the same offsets:
    what each supports and where to read it; never the text around them."""
    by_key = {r.spans[0].record: r for r in cited if r.spans}
    by_place: dict[tuple[int, int], list[Span]] = {}
    for s in spans:
        by_place.setdefault((s.start, s.end), []).append(s)
    places = []
    for (start, end), same in sorted(by_place.items()):
        link, label = _open_at(next((s for s in same if s.fragment), same[0]), source)
        records = tuple(by_key[key] for key in dict.fromkeys(s.record for s in same) if key in by_key)
        places.append(Place(start, end, tuple(s.id for s in same), same[0], link, label, records))
    return places


def source_page(
    source: dict,
    text: str | None,
    cited: list[CitedRecord],
    neighbours: tuple[dict | None, dict | None],
    private: bool = False,
) -> bytes:
    """A source's full text with its spans highlighted, beside a panel of the records they support; a
    withheld text's spans listed with what they support, unless this is the private view."""
    spans = [s for r in cited for s in r.spans if s.source == source["id"]]
    withheld = source.get("text") == "withheld"
    parts, places = None, []
    if withheld and not private:
        places = withheld_places(spans, cited, source)
    elif text is None:  # a caller's mistake, never a checked package's
        raise ValueError(f"source {source['id']}: its text was not given")
    else:
        parts = text_parts(text, spans)
    previous, following = neighbours
    return render_page(
        "source.html",
        source["title"],
        private,
        SOURCE_SCRIPT,
        {"spans": {s.id: s.record for s in spans}},
        source=source,
        published=str(publication_of(source)),
        page_link=_web(source.get("url")),
        spans=spans,
        cited=[Markup(hidden(r.card)) for r in cited],
        withheld=withheld,
        parts=parts,
        places=places,
        previous=previous,
        following=following,
    )


# -- the pages of records and the index ------------------------------------------------------------


def records_page(page: RecordsPage, cards: list[str], types: list[str], following: bool, private: bool) -> bytes:
    """One page of a kind's records, with a filter by type, and links to the index and the pages beside it."""
    plural = PLURAL[page.kind]
    title = f"{plural.capitalize()} {page.first}–{page.last}"
    return render_page(
        "records.html",
        f"{title} · seccoop review",
        private,
        RECORDS_SCRIPT if types else "",
        page=page,
        plural=plural,
        heading=title,
        previous=f"{plural}-{page.number - 1}.html" if page.number > 1 else "",
        following=f"{plural}-{page.number + 1}.html" if following else "",
        cards=[Markup(card) for card in cards],
        types=types,
    )


@dataclass(frozen=True)
class KindSection:
    """A kind of record as the index lists it: how many, by type, and its pages."""

    plural: str
    count: int
    by_type: list[tuple[str, int]]
    pages: list[RecordsPage]


def index_page(
    pages: list[RecordsPage],
    types: dict[str, dict[str, int]],
    page_size: int,
    story: Story,
    sources: list[dict],
    private: bool = False,
) -> bytes:
    """The site's front page: the story (timeline, commitments, disagreements, sources), then how many
    records of each kind and type, and the pages that list them."""
    counts = {kind: 0 for kind in KINDS}
    for page in pages:
        counts[page.kind] = max(counts[page.kind], page.last)
    sections = [
        KindSection(
            PLURAL[kind], counts[kind], sorted(types.get(kind, {}).items()), [p for p in pages if p.kind == kind]
        )
        for kind in KINDS
        if counts[kind]
    ]
    languages = Counter(s.get("language") or "unknown" for s in sources)
    return render_page(
        "index.html",
        "seccoop review",
        private,
        story=story,
        timeline=story.timeline.first(),
        commitments=story.commitments.first(),
        sources=source_rows(sources, story.citing, story.size),
        publishers=len({s.get("publisher") or "unknown" for s in sources}),
        languages=sorted(languages.items(), key=lambda item: (-item[1], item[0])),
        counts=counts,
        total=sum(counts.values()),
        page_size=page_size,
        sections=sections,
    )
