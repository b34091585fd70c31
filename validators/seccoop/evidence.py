"""Evidence spans: the exact words of a source, found by quote and pinned by offsets.

Offsets are Unicode code points over the source's exact decoded text (Python `str` indices),
end exclusive: `text[start:end] == quote`, as in a W3C TextPositionSelector.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Characters curators commonly type in place of the ones a source has.
_LOOKALIKE = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
    "\u00a0": " ", "\u2007": " ", "\u202f": " ", "\u2009": " ", "\u200a": " ",
    "\u2026": ".",
})
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Occurrence:
    start: int
    end: int

    def context(self, text: str, width: int = 30) -> tuple[str, str]:
        before = text[max(0, self.start - width): self.start]
        after = text[self.end: self.end + width]
        return before.replace("\n", " "), after.replace("\n", " ")


def occurrences(text: str, quote: str, limit: int | None = None) -> list[Occurrence]:
    """Every place the quote occurs in the text (overlapping ones too)."""
    found, i = [], text.find(quote)
    while i != -1 and quote:
        found.append(Occurrence(i, i + len(quote)))
        if limit is not None and len(found) >= limit:
            break
        i = text.find(quote, i + 1)
    return found


def _normalized_with_map(text: str) -> tuple[str, list[int]]:
    """Text with lookalikes folded and whitespace runs collapsed, and each character's offset in `text`."""
    folded = text.translate(_LOOKALIKE)
    out, where, last_space = [], [], False
    for i, ch in enumerate(folded):
        if ch.isspace():
            if last_space:
                continue
            ch, last_space = " ", True
        else:
            last_space = False
        out.append(ch)
        where.append(i)
    return "".join(out), where


def near_miss(text: str, quote: str) -> str | None:
    """The source's own words for a quote that differs only in quotes, dashes or whitespace."""
    wanted = _SPACES.sub(" ", quote.translate(_LOOKALIKE)).strip()
    if not wanted:
        return None
    norm, where = _normalized_with_map(text)
    i = norm.find(wanted)
    if i == -1:
        i = norm.lower().find(wanted.lower())
        if i == -1:
            return None
    return text[where[i]: where[i + len(wanted) - 1] + 1]


@dataclass(frozen=True)
class SpanResult:
    """Where a quote resolves, or why it does not: `code` is None when start/end are good."""

    start: int | None
    end: int | None
    code: str | None = None
    message: str = ""
    hint: str | None = None


def resolve(text: str, quote: str, start: int | None) -> SpanResult:
    """Find a quote's offsets in a source text; `start` picks one of several occurrences."""
    if not quote:  # the schema refuses empty quotes; an API caller gets a plain answer
        return SpanResult(None, None, "evidence-not-found", "the quote is empty")
    if start is not None:
        if text[start: start + len(quote)] == quote:
            return SpanResult(start, start + len(quote))
        found = occurrences(text, quote, limit=20)
        offsets = ", ".join(str(o.start) for o in found)
        hint = (f"The quote occurs at start {offsets}." if found
                else "The quote does not occur anywhere in the source.")
        return SpanResult(None, None, "evidence-offset",
                          f"the source text at start {start} is not the quote", hint)
    found = occurrences(text, quote, limit=20)
    if len(found) == 1:
        return SpanResult(found[0].start, found[0].end)
    if found:
        offsets = ", ".join(str(o.start) for o in found)
        return SpanResult(None, None, "evidence-ambiguous",
                          f"the quote occurs {len(found)} times (start {offsets})",
                          f"Add `start:` with one of {offsets}; `seccoop locate` shows each in context.")
    close = near_miss(text, quote)
    if close is not None:
        return SpanResult(None, None, "evidence-not-found",
                          "the quote does not occur in the source exactly",
                          f"The source has: {close!r} (quotes, dashes or spaces differ). Copy it exactly.")
    return SpanResult(None, None, "evidence-not-found", "the quote does not occur in the source")
