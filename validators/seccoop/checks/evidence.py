"""Evidence spans: the exact words of a source, found by quote and pinned by offsets.

Offsets are Unicode code points over the source's exact decoded text (Python `str` indices),
end exclusive: `text[start:end] == quote`, as in a W3C TextPositionSelector.
"""

from __future__ import annotations

import bisect
import functools
import re
import unicodedata
from dataclasses import dataclass

# Characters curators commonly type in place of the ones a source has.
_LOOKALIKE = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\u00a0": " ",
        "\u2007": " ",
        "\u202f": " ",
        "\u2009": " ",
        "\u200a": " ",
        "\u2026": ".",
    }
)
# Every kind of whitespace folds to a plain space, one character for one, so offsets still match.
_FOLD = {
    **_LOOKALIKE,
    **str.maketrans(
        dict.fromkeys(
            "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f\x85\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
            "\u2008\u2028\u2029\u205f\u3000",
            " ",
        )
    ),
}
_SPACE_RUN = re.compile(" {2,}")


class Span:
    """An evidence span of a record whose shape is checked, read and written as the dict it was
    (`span["quote"]`, `span.get("start")`, `span["end"] = ...`; a field not written is absent):
    a third of a dict's memory, and there are 921k spans at 100k events."""

    __slots__ = ("source", "quote", "start", "end", "sha256", "speaker", "length")

    def __init__(self, **fields):
        for name, value in fields.items():
            setattr(self, name, value)

    def __getitem__(self, name: str):
        try:
            return getattr(self, name)
        except AttributeError:
            raise KeyError(name) from None

    def __setitem__(self, name: str, value) -> None:
        setattr(self, name, value)

    def get(self, name: str, default=None):
        return getattr(self, name, default)

    def __contains__(self, name: str) -> bool:
        return hasattr(self, name)

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name in self.__slots__ if hasattr(self, name)}

    def __repr__(self) -> str:
        return f"Span({self.as_dict()})"


@dataclass(frozen=True)
class Occurrence:
    start: int
    end: int

    def context(self, text: str, width: int = 30) -> tuple[str, str]:
        before = text[max(0, self.start - width) : self.start]
        after = text[self.end : self.end + width]
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


class _Folded:
    """A source text with lookalikes folded and whitespace runs collapsed, and the way back to the
    text's own offsets: built once per text (a 5 MB seed takes a fraction of a second), then
    searched for every quote that does not occur exactly."""

    def __init__(self, text: str):
        folded = text.translate(_FOLD)
        pieces, self._at, self._shift, last, shift = [], [0], [0], 0, 0
        for m in _SPACE_RUN.finditer(folded):
            pieces.append(folded[last : m.start() + 1])
            last = m.end()
            shift += m.end() - m.start() - 1
            self._at.append(m.end() - shift)  # from here on, text offset = folded offset + shift
            self._shift.append(shift)
        pieces.append(folded[last:])
        self.text = "".join(pieces)
        self._lower = None

    def _original(self, i: int) -> int:
        return i + self._shift[bisect.bisect_right(self._at, i) - 1]

    def find(self, wanted: str) -> tuple[int, int] | None:
        """Offsets in the original text of the folded `wanted`, matched exactly, else ignoring case."""
        i = self.text.find(wanted)
        if i == -1:
            if self._lower is None:  # lower() may change a text's length; then offsets would not match
                lower = self.text.lower()
                self._lower = lower if len(lower) == len(self.text) else ""
            i = self._lower.find(wanted.lower()) if len(wanted.lower()) == len(wanted) else -1
            if i == -1:
                return None
        return self._original(i), self._original(i + len(wanted) - 1) + 1


@functools.lru_cache(maxsize=32)
def _folded(text: str) -> _Folded:
    return _Folded(text)


def _fold(quote: str) -> str:
    return _SPACE_RUN.sub(" ", quote.translate(_FOLD)).strip()


def near_miss(text: str, quote: str) -> str | None:
    """The source's own words for a quote that differs only in quotes, dashes or whitespace, or in
    its Unicode normalization (a source with decomposed accents, a quote in NFC)."""
    folded = _folded(text)
    for variant in dict.fromkeys((quote, unicodedata.normalize("NFD", quote), unicodedata.normalize("NFC", quote))):
        wanted = _fold(variant)
        found = folded.find(wanted) if wanted else None
        if found is not None:
            return text[found[0] : found[1]]
    return None


def _spelled(text: str) -> str:
    """Text as a YAML double-quoted string that spells every combining mark as an escape."""
    return (
        '"'
        + "".join(
            f"\\u{ord(c):04x}" if unicodedata.combining(c) else '\\"' if c == '"' else "\\\\" if c == "\\" else c
            for c in text
        )
        + '"'
    )


def _is_mark(ch: str) -> bool:
    return unicodedata.category(ch)[0] == "M"


def _split_character(text: str, start: int, end: int) -> SpanResult | None:
    """A span that begins on a combining mark, or ends just before one, cuts a character in two."""
    if start < len(text) and _is_mark(text[start]):
        side, at = "starts", start
    elif end < len(text) and end > start and _is_mark(text[end]):
        side, at = "ends", end
    else:
        return None
    first = at - 1
    while first > 0 and _is_mark(text[first]):
        first -= 1
    last = at
    while last < len(text) and _is_mark(text[last]):
        last += 1
    whole = text[first:last]
    parts = " + ".join(f"U+{ord(c):04X}" for c in whole)
    return SpanResult(
        None,
        None,
        "evidence-split-character",
        f"the quote {side} inside the character {whole!r} ({parts})",
        f"Quote the whole character {whole!r}: the source has {text[min(first, start) : max(last, end)]!r} "
        f"here; or {'start the quote after' if side == 'starts' else 'end the quote before'} it.",
    )


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
        if text[start : start + len(quote)] == quote:
            return _split_character(text, start, start + len(quote)) or SpanResult(start, start + len(quote))
        found = occurrences(text, quote, limit=20)
        offsets = ", ".join(str(o.start) for o in found)
        hint = f"The quote occurs at start {offsets}." if found else "The quote does not occur anywhere in the source."
        return SpanResult(None, None, "evidence-offset", f"the source text at start {start} is not the quote", hint)
    found = occurrences(text, quote, limit=20)
    if len(found) == 1:
        return _split_character(text, found[0].start, found[0].end) or SpanResult(found[0].start, found[0].end)
    if found:
        offsets = ", ".join(str(o.start) for o in found)
        return SpanResult(
            None,
            None,
            "evidence-ambiguous",
            f"the quote occurs {len(found)} times (start {offsets})",
            f"Add `start:` with one of {offsets}; `seccoop locate` shows each in context.",
        )
    close = near_miss(text, quote)
    if close is not None and unicodedata.normalize("NFC", close) == unicodedata.normalize("NFC", quote):
        return SpanResult(
            None,
            None,
            "evidence-not-found",
            "the quote does not occur in the source exactly: the source writes it in "
            "another Unicode normalization (accents as separate combining marks)",
            f"The source's exact words are {close!r}; write the quote as {_spelled(close)} "
            "(the escapes keep the curated file in NFC).",
        )
    if close is not None:
        return SpanResult(
            None,
            None,
            "evidence-not-found",
            "the quote does not occur in the source exactly",
            f"The source has: {close!r} (quotes, dashes or spaces differ). Copy it exactly.",
        )
    return SpanResult(None, None, "evidence-not-found", "the quote does not occur in the source")


def word_cut(text: str, start: int, end: int) -> tuple[int, int] | None:
    """Where a span that starts or ends inside a word would begin and end if it took the whole
    words (`ther members of the gov` -> `other members of the government`); None when it does not
    cut a word."""
    inside_start = 0 < start < len(text) and text[start - 1].isalnum() and text[start].isalnum()
    inside_end = 0 < end < len(text) and text[end - 1].isalnum() and text[end].isalnum()
    if not (inside_start or inside_end):
        return None
    while inside_start and start > 0 and text[start - 1].isalnum():
        start -= 1
    while inside_end and end < len(text) and text[end].isalnum():
        end += 1
    return start, end
