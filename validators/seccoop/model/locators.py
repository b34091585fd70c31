"""Where a span's words are, without its words: the folded fingerprint that finds them in another
copy of the text, and the W3C text fragment that opens the publisher's page at them
(docs/links.md).

- **Folded fingerprint.** A page fetched again has other bytes than the curators' copy: other
  spaces (a non-breaking space, a line break where a paragraph ended), other quote marks (straight
  for curly). `fold` makes both sides one form (NFC, every quote mark one of two, every whitespace
  run one space, the ends trimmed); a span's folded words are fingerprinted beside its exact ones,
  so that it is found in such a copy and still proved to be the same words.
- **Text fragment.** `url#:~:text=start,end` (https://wicg.github.io/scroll-to-text-fragment/):
  a browser scrolls to and highlights the first range that starts with `start` and ends with the
  first `end` after it, each matched whole words, case folded. `fragment_for` gives a span the
  fewest words at each end that select exactly it in its text (`select` is the matching rule,
  kept the stricter where the spec leaves room, so that what selects here selects in a browser);
  those words are published, so they count in the quotation budget.
"""

from __future__ import annotations

import bisect
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote, unquote

# Quote marks as a page may render them, each folded to the straight one of its kind: curly,
# low-9, prime and guillemet ("«" is a Spanish text's quote mark, where English has "“").
_FOLD_QUOTES = str.maketrans(
    {
        **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u00b4`", "'"),
        **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb", '"'),
    }
)


def fold(text: str) -> str:
    """A text as a page may give it back: NFC, quote marks folded, each whitespace run (non-breaking
    spaces and line breaks too) one space, no space at either end."""
    return " ".join(unicodedata.normalize("NFC", text).translate(_FOLD_QUOTES).split())


def folded_fingerprint(words: str) -> tuple[str, int]:
    """(sha256 of the folded words as UTF-8, their length in code points): what finds a span in a
    copy whose spacing or quote marks differ."""
    folded = fold(words)
    return hashlib.sha256(folded.encode("utf-8")).hexdigest(), len(folded)


def fold_with_map(text: str) -> tuple[str, list[int]]:
    """`fold` of an NFC text, with the offset in `text` of each folded character and, last, one
    past the text's end: a folded range [i, j) is text[map[i] : map[j - 1] + 1]."""
    out: list[str] = []
    where: list[int] = []
    pending_space = False
    for i, ch in enumerate(text):
        if ch.isspace():
            pending_space = bool(out)
            continue
        if pending_space:
            out.append(" ")
            where.append(i - 1)
            pending_space = False
        out.append(ch.translate(_FOLD_QUOTES))
        where.append(i)
    where.append(len(text))
    return "".join(out), where


_SPAN_ID = re.compile(r"(.+)@([0-9]+)-([0-9]+)")


def span_place(span_id: str) -> tuple[str, int, int] | None:
    """(source, start, end) of a span id `<source>@<start>-<end>`; None where it is no span's id."""
    found = _SPAN_ID.fullmatch(span_id)
    return (found[1], int(found[2]), int(found[3])) if found else None


# -- text fragments ---------------------------------------------------------------------------------

PREFIX = ":~:text="


@dataclass(frozen=True, slots=True)
class Fragment:
    """A text directive: `start` alone selects its own first match; with `end`, the range from the
    first match of `start` to the first match of `end` after it."""

    start: str
    end: str | None = None

    def __str__(self) -> str:
        terms = [_encode(self.start)] + ([_encode(self.end)] if self.end is not None else [])
        return PREFIX + ",".join(terms)

    def words(self) -> list[str]:
        """The text's words the fragment publishes."""
        return [self.start] + ([self.end] if self.end is not None else [])


class BadFragment(ValueError):
    """A fragment this project does not write (syntax, or a prefix or suffix term)."""


def _encode(term: str) -> str:
    # The spec reserves "-", "," and "&" inside a term; quote() leaves "-" alone, so it is done here.
    return quote(term, safe="").replace("-", "%2D")


def parse(fragment: str) -> Fragment:
    """A fragment as written (`:~:text=start[,end]`, terms percent-encoded). Prefix and suffix
    terms (`prefix-,` and `,-suffix`) are valid text directives, but this project writes none: a
    span is chosen by its own words."""
    if not fragment.startswith(PREFIX):
        raise BadFragment(f"a text fragment starts with {PREFIX!r}")
    terms = fragment[len(PREFIX) :].split(",")
    if not 1 <= len(terms) <= 2 or any(not t or t.startswith("-") or t.endswith("-") for t in terms):
        raise BadFragment("a fragment here is `:~:text=start` or `:~:text=start,end`, each term non-empty")
    if any(ch in t for t in terms for ch in "&#"):
        raise BadFragment("a term's `&` and `#` are percent-encoded")
    decoded = [unquote(t, errors="strict") for t in terms]
    if any(d != d.strip() or not d for d in decoded):
        raise BadFragment("a term starts and ends with a word, not a space")
    return Fragment(decoded[0], decoded[1] if len(decoded) == 2 else None)


_FORMS: dict[str, str] = {}  # each character's search form, worked out once


def _form(ch: str) -> str:
    form = _FORMS.get(ch)
    if form is None:
        form = _FORMS[ch] = "".join(
            c for c in unicodedata.normalize("NFKD", ch).casefold() if not unicodedata.combining(c)
        )
    return form


def _search_form(text: str) -> tuple[str, list[int]]:
    """The text as a browser compares it: case folded, accents dropped, each whitespace run one
    space; with the offset in `text` of each character it gives (and one past the end)."""
    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        if ch.isspace():
            if out and out[-1] != " ":
                out.append(" ")
                where.append(i)
            continue
        for c in _form(ch):
            out.append(c)
            where.append(i)
    where.append(len(text))
    return "".join(out), where


# Characters inside a word between two letters (MidLetter, MidNumLet, Single_Quote of Unicode's
# word-break rules, UAX #29 WB6-7) or two digits (MidNum, MidNumLet, Single_Quote: WB11-12):
# "company's", "U.S.A", "1,500" and "3.5" are one word each to a browser's word segmenter.
_MID_LETTER = set(":·\u0387\u05f4\u2027\ufe13\ufe55\uff1a.\u2018\u2019\u2024\ufe52\uff07\uff0e'")
_MID_NUM = set(
    ",;\u037e\u0589\u060c\u060d\u066c\u07f8\u2044\ufe10\ufe14\ufe50\ufe54\uff0c\uff1b.\u2018\u2019\u2024\ufe52\uff07\uff0e'"
)


def _wordlike(ch: str) -> bool:
    return ch.isalnum() or ch == "_" or unicodedata.combining(ch) > 0


def _joined(before: str, mid: str, after: str) -> bool:
    """Whether `mid` between `before` and `after` is inside one word (WB6-7, WB11-12)."""
    if before.isalpha() and after.isalpha():
        return mid in _MID_LETTER
    if before.isdigit() and after.isdigit():
        return mid in _MID_NUM
    return False


def _boundary(text: str, at: int) -> bool:
    """A word boundary as a browser's segmenter finds one (the spec asks for one at both ends of a
    match): not between two letters or digits, nor beside an apostrophe, point or comma that joins
    two letters or two digits ("company's", "U.S.A", "1,500"). Kept on the strict side: where
    this says no boundary, a browser finds none either for the languages here."""
    if at <= 0 or at >= len(text):
        return True
    before, after = text[at - 1], text[at]
    if _wordlike(before) and _wordlike(after):
        return False
    if at >= 2 and _joined(text[at - 2], before, after):
        return False
    return not (at + 1 < len(text) and _joined(before, after, text[at + 1]))


class Searcher:
    """Finds terms in one text as `select` does, with the text's search form built once."""

    def __init__(self, text: str):
        self.text = text
        self.form, self.where = _search_form(text)

    def find(self, term: str, after: int = 0) -> tuple[int, int] | None:
        """The first (start, end) in the text at or after offset `after` whose search form is the
        term's, starting and ending at word boundaries."""
        wanted = _search_form(term)[0].strip()
        if not wanted:
            return None
        at = bisect.bisect_left(self.where, min(after, len(self.text)), 0, len(self.form))  # first at or after
        while (found := self.form.find(wanted, at)) >= 0:
            start, end = self.where[found], self.where[found + len(wanted) - 1] + 1
            if start >= after and _boundary(self.text, start) and _boundary(self.text, end):
                return start, end
            at = found + 1
        return None

    def select(self, fragment: Fragment) -> tuple[int, int] | None:
        """The range of the text a browser highlights for the fragment, or None."""
        first = self.find(fragment.start)
        if first is None or fragment.end is None:
            return first
        last = self.find(fragment.end, first[1])
        return None if last is None else (first[0], last[1])


def select(text: str, fragment: Fragment) -> tuple[int, int] | None:
    """The range of `text` a browser highlights for `fragment`: the first match of its start (whole
    words, case and accents folded, spacing as one space), then the first match of its end after
    it; None where either is not found."""
    return Searcher(text).select(fragment)


_WORD = re.compile(r"\w+")
_PLAIN_SPACING = re.compile(r"[^\S ]| {2}")  # a page's block break or collapsed spacing


def fragment_for(searcher: Searcher, start: int, end: int) -> Fragment | None:
    """The fragment with the fewest words that selects exactly text[start:end], or None where none
    does (words the text says first elsewhere, a span that starts or ends inside a word). A term
    holds no line break or double space: a page renders them otherwise."""
    text = searcher.text
    span = text[start:end]
    if not span or span != span.strip() or not (_boundary(text, start) and _boundary(text, end)):
        return None
    words = [(start + m.start(), start + m.end()) for m in _WORD.finditer(span)]
    if not words:
        return None
    best: tuple[int, Fragment] | None = None
    if not _PLAIN_SPACING.search(span) and searcher.select(Fragment(span)) == (start, end):
        best = (len(words), Fragment(span))
    for k in range(1, len(words)):
        head = text[start : words[k - 1][1]]
        if best is not None and k >= best[0] or _PLAIN_SPACING.search(head):
            break
        first = searcher.find(head)
        if first is None or first != (start, words[k - 1][1]):
            continue
        for j in range(len(words) - 1, k - 1, -1):  # the end term: words[j:]
            n = k + len(words) - j
            if best is not None and n >= best[0]:
                break
            tail = text[words[j][0] : end]
            if _PLAIN_SPACING.search(tail):
                break
            if searcher.find(tail, first[1]) == (words[j][0], end):
                best = (n, Fragment(head, tail))
                break
    return best[1] if best else None


def fragment_offsets(fragment: Fragment, start: int, end: int) -> list[tuple[int, int]]:
    """The ranges of the text a fragment of the span [start, end) publishes: its terms' words."""
    if fragment.end is None:
        return [(start, start + len(fragment.start))]
    return [(start, start + len(fragment.start)), (end - len(fragment.end), end)]
