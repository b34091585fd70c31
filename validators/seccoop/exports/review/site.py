"""Writing the review site: one pass over the records fills the pages of records, the spool of
cards that the source pages read back, and the index's story; then the source pages and the index.

Pages have a fixed size and are written one at a time as the records are read, so neither a page
nor the export's memory grows with the dataset (`write_review_site`).
"""

from __future__ import annotations

import marshal
import tempfile
from array import array
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Protocol

from seccoop.exports.review.render import index_page, records_page, render_card, source_page
from seccoop.exports.review.story import Story
from seccoop.exports.review.views import (
    SOURCE_FIELDS,
    CitedRecord,
    RecordsPage,
    RecordView,
    Span,
    describe,
    page_name,
)
from seccoop.model.package import KINDS, PLURAL
from seccoop.safety.write import Staging, WriteRefused

PAGE_SIZE = 500  # records on one page of a kind: few enough for a browser to show and filter at once


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
    """The texts a source page shows in full, by source id (`published.SourceTexts`, the private
    view's `private.PrivateTexts`, or a dict in memory)."""

    def get(self, source_id: str, /) -> str | None: ...


class RecordPages:
    """The pages of records as one pass over the records fills them, kind by kind: a page is
    written as soon as it is full or its kind ends, and only what the index says of it is kept."""

    def __init__(self, emit: Callable[[str, bytes], None], page_size: int, private: bool = False):
        self.emit, self.page_size, self.private = emit, page_size, private
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
        self.emit(page.name, records_page(page, self.cards, sorted(self.page_types), following, self.private))
        self.pages.append(page)
        self.cards, self.page_types, self.ids = [], set(), []


class CardSpool:
    """Each record's card and spans, spooled to a file as its page is written and read back by
    the page of each source it cites: memory keeps only where each source's citing records are."""

    def __init__(self, file: IO[bytes]):
        self.file = file
        self.citing: dict[str, tuple[array, array]] = {}  # source id -> (starts, sizes) in the spool

    def add(self, view: RecordView, card: str) -> None:
        """A record's card and spans, at the end of the spool."""
        spans = [(s.id, s.record, s.source, s.start, s.end, s.quote, s.sha256, s.link, s.fragment) for s in view.spans]
        entry = marshal.dumps((card, spans, view.kind, view.id, view.label, f"{view.page}#{view.key}"))
        where = self.file.tell()
        self.file.write(entry)
        for source_id in dict.fromkeys(s.source for s in view.spans):
            starts, sizes = self.citing.setdefault(source_id, (array("q"), array("q")))
            starts.append(where)
            sizes.append(len(entry))

    def cited(self, source_id: str) -> list[CitedRecord]:
        """The records that cite a source, in the order they were spooled."""
        cited = []
        starts, sizes = self.citing.get(source_id, (array("q"), array("q")))
        for where, size in zip(starts, sizes, strict=True):
            self.file.seek(where)
            card, spans, kind, id_, label, href = marshal.loads(self.file.read(size))
            cited.append(CitedRecord(card, tuple(Span(*span) for span in spans), kind, id_, label, href))
        return cited


def write_review_site(
    records: RecordStore | dict,
    texts: SourceTextStore,
    out: Path,
    page_size: int = PAGE_SIZE,
    private: bool = False,
) -> list[str]:
    """Write the review site into folder `out`; return the paths written (as strings).

    `records` is the published data read one record at a time (`published.Published`), or a nested
    document in memory. Memory stays flat as the data grows: one pass renders the pages of records,
    one page at a time, and spools each card with its spans to an unnamed temporary file in `out`;
    it keeps only what later pages need (actor names, the sources, the index's story, and for each
    source where the cards of the records citing it are in the spool). Each source page then reads
    back just those cards. Every page is written into its staged file as soon as it is rendered, and
    all are renamed into place together (`write.Staging`).

    `private`: the curators' private view, where `texts` also gives the withheld texts, shown in
    full; every page says it is not for publication (docs/review-page.md)."""
    if out.exists() and not out.is_dir():
        raise WriteRefused(f"{out}: is a file, not a folder")
    store = DocumentRecords(records) if isinstance(records, dict) else records
    written: list[str] = []
    with Staging() as staging:
        staging.prepare(out)

        def emit(name: str, data: bytes) -> None:
            staging.write(out / name, data)
            written.append(str(out / name))

        pages, story = RecordPages(emit, page_size, private), Story(page_size)
        # Unnamed: the system removes it when it is closed, even if this process is killed.
        with tempfile.TemporaryFile(dir=out) as file:
            spool = CardSpool(file)
            sources = _write_record_pages(store, pages, spool, story)
            for i, source in enumerate(sources):
                neighbours = (sources[i - 1] if i else None, sources[i + 1] if i + 1 < len(sources) else None)
                text = texts.get(source["id"])
                page = source_page(source, text, spool.cited(source["id"]), neighbours, private)
                emit(f"source-{source['id']}.html", page)

        index = index_page(pages.pages, pages.types, page_size, story, sources, private)
        staging.write(out / "index.html", index)
        written.insert(0, str(out / "index.html"))
        staging.commit()
    return written


def _write_record_pages(records: RecordStore, pages: RecordPages, spool: CardSpool, story: Story) -> list[dict]:
    """The one pass over the records: each record's card onto its page of records and into the
    spool, and into the story. Returns the sources, as the site shows them, in their order."""
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
        spool.add(view, card)
        story.add(view, record, names)
    pages.close()
    return sources
