"""Each span found in a fetched text by its fingerprints (docs/fetch.md): its exact sha256 first,
else its folded one (NFC, quote marks and spacing folded: `seccoop.model.locators.fold`), so that
a page whose non-breaking spaces or curly quotes came out otherwise still gives the same words.

A span's words start and end at word boundaries (`evidence-word-cut` holds curators to it), so
only windows that do are fingerprinted: about a ninth of a text's positions. They are tried
nearest first from where the span should be (its offset, shifted as the spans found before it
were), so that a page that keeps the curators' order finds each span in a few windows; a span
the page does not have costs one pass over the candidates.
"""

from __future__ import annotations

import bisect
import hashlib
from dataclasses import dataclass

from seccoop.model.locators import fold_with_map

# How far from where a span should be the two fingerprints are tried before either is sought
# everywhere: a paragraph's drift (spacing folded, a line the page adds or drops).
NEAR = 500


@dataclass(frozen=True)
class Found:
    """Where a span is in the fetched text ([start, end) in its code points), and by which
    fingerprint (`exact` or `folded`); start and end are None where it is not found."""

    span: dict
    start: int | None = None
    end: int | None = None
    how: str | None = None


class _Windows:
    """A text's windows that start and end at word boundaries, searched by fingerprint."""

    def __init__(self, text: str):
        self.text = text
        n = len(text)
        self.edge = [at == 0 or at == n or not (text[at - 1].isalnum() and text[at].isalnum()) for at in range(n + 1)]
        self.starts = [at for at in range(n) if self.edge[at]]

    def find(self, sha256: str, length: int, guess: int, reach: int | None = None) -> int | None:
        """The start of a window of `length` code points with this sha256, nearest `guess` first;
        only within `reach` code points of it where one is given."""
        text, edge, starts, n = self.text, self.edge, self.starts, len(self.text)
        if length <= 0 or length > n:
            return None
        right = bisect.bisect_left(starts, guess)
        left = right - 1
        while left >= 0 or right < len(starts):
            # nearest first: the closer of the two sides' next candidates
            take_right = right < len(starts) and (left < 0 or starts[right] - guess <= guess - starts[left])
            if take_right:
                at, right = starts[right], right + 1
            else:
                at, left = starts[left], left - 1
            if reach is not None and abs(at - guess) > reach:
                return None
            end = at + length
            if end <= n and edge[end] and hashlib.sha256(text[at:end].encode("utf-8")).hexdigest() == sha256:
                return at
        return None


def align(text: str, spans: list[dict]) -> list[Found]:
    """Find each span (`{"id", "start", "end", "sha256", "folded_sha256", "folded_length"}`, the
    folded ones None where not published) in `text`, an NFC text: where some window has its exact
    sha256, else where some window of the folded text has its folded sha256, mapped back to the
    text's offsets. In the order of the spans' starts."""
    exact = _Windows(text)
    folded_text, where = fold_with_map(text)
    folded = _Windows(folded_text)
    results, shift = [], 0
    for span in sorted(spans, key=lambda s: (s["start"], s["end"])):
        guess = max(0, span["start"] + shift)
        fold_guess = bisect.bisect_left(where, guess)
        has_folded = bool(span.get("folded_sha256") and span.get("folded_length"))
        found = None
        for reach in (NEAR, None):  # near where it should be, by either fingerprint; then anywhere
            found = _exact(exact, span, guess, reach)
            if found is None and has_folded:
                found = _folded(folded, where, span, fold_guess, reach)
            if found is not None:
                break
        if found is None:
            results.append(Found(span))
            continue
        shift = found.start - span["start"] if found.start is not None else shift
        results.append(found)
    return results


def _exact(windows: _Windows, span: dict, guess: int, reach: int | None) -> Found | None:
    length = span["end"] - span["start"]
    at = windows.find(span["sha256"], length, guess, reach)
    return None if at is None else Found(span, at, at + length, "exact")


def _folded(windows: _Windows, where: list[int], span: dict, guess: int, reach: int | None) -> Found | None:
    length = int(span["folded_length"])
    at = windows.find(span["folded_sha256"], length, guess, reach)
    return None if at is None else Found(span, where[at], where[at + length - 1] + 1, "folded")
