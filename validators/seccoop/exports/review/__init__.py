"""The review site written by `seccoop export --format html --out FOLDER` (docs/review-page.md).

A reviewer checks that every record says what its quotes say; a journalist reads what the records
tell. `index.html` tells the story (the events on a timeline, the commitments, where the sources
disagree, the sources by publisher and language) and then lists each kind's pages of records: every
record, by kind, in pages of at most PAGE_SIZE cards (`events-1.html`, ...), each page filterable by
type, each card linking to its spans in context (`source-<id>.html#span-...`). A source page shows
an included text in full with every evidence span highlighted; selecting highlighted words (click,
or Tab then Enter) lists the records they support. A withheld text's page lists its spans instead:
what each supports, its words where they are published, and a link to them on the publisher's page.
The curators' private view (`--private`) shows withheld texts in full too, and says on every page
that it is not for publication (`private`).

The site is static and self-contained: inline CSS and JS, no network at view time, no build step,
and the same package always gives the same bytes. One module per part: what a page shows of a
record (`views`), the index's story (`story`), the pages as Jinja2 templates render them
(`render`, `templates/`), writing the site with flat memory (`site`), and the private view
(`private`).
"""

from __future__ import annotations

from pathlib import Path

from seccoop.exports.published import Published
from seccoop.exports.request import Request
from seccoop.exports.review.private import PrivateTexts
from seccoop.exports.review.site import PAGE_SIZE, SourceTextStore, write_review_site

__all__ = ["PAGE_SIZE", "export_html", "write_review_site"]


def export_html(published: Published, request: Request) -> list[str]:
    """The review site of the checked package into the folder --out; with --private, the curators'
    private view (its refusals were made before the check: `private.refuse_unsafe`)."""
    out = request.needs_out("html needs --out FOLDER")
    texts: SourceTextStore = PrivateTexts(published.package, published.texts) if request.private else published.texts
    return write_review_site(published, texts, Path(out), private=request.private)
