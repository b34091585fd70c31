"""A fetched page's article text: trafilatura (a maintained extraction library, the extra
`seccoop[fetch]`) takes the article out of its navigation, ads, scripts and footer; a plain-text
page is its own text. Either is normalized to NFC, the form the folded fingerprint is taken of."""

from __future__ import annotations

import importlib
import logging
import unicodedata
from importlib.metadata import PackageNotFoundError, version

from seccoop.safety.network import Page

EXTRA = "seccoop[fetch]"


class MissingExtra(Exception):
    """The extraction library is not installed: `pip install 'seccoop[fetch]'`."""


class NoArticle(Exception):
    """The page gave no text an article could be taken from."""


def extractor() -> dict[str, str]:
    """The extraction library's name and version (recorded with each fetched text), or MissingExtra."""
    try:
        importlib.import_module("trafilatura")  # it and its dependencies import
    except ImportError as exc:
        raise MissingExtra(
            f"fetching texts needs the extra {EXTRA} (trafilatura: {exc}); install it with `pip install '{EXTRA}'`"
        ) from None
    try:
        return {"name": "trafilatura", "version": version("trafilatura")}
    except PackageNotFoundError:
        return {"name": "trafilatura", "version": "unknown"}


def article_text(page: Page) -> str:
    """The text of the article the page holds, in NFC; NoArticle where it holds none."""
    if page.media_type == "text/plain":
        text = page.body.decode(_codec(page.charset) or "utf-8", "replace")
    else:
        import trafilatura

        # trafilatura warns through logging; seccoop says what matters itself.
        logging.getLogger("trafilatura").addHandler(logging.NullHandler())
        logging.getLogger("trafilatura").propagate = False
        codec = _codec(page.charset)
        html = page.body.decode(codec, "replace") if codec else page.body  # bytes: its own detection
        text = trafilatura.extract(
            html,
            output_format="txt",
            include_comments=False,
            favor_recall=True,  # a span left out costs more than a stray line of boilerplate
            deduplicate=False,
        )
    if not text or not text.strip():
        raise NoArticle("no article text could be extracted from the page")
    return unicodedata.normalize("NFC", text)


def _codec(charset: str | None) -> str | None:
    import codecs

    if not charset:
        return None
    try:
        info = codecs.lookup(charset)
    except LookupError:
        return None
    # `base64`, `rot13`, `zlib`: codecs, but no text encodings (decoding bytes with them raises)
    return info.name if getattr(info, "_is_text_encoding", True) else None
