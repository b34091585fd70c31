"""Source rights: what of a source's text may be published, where a withheld text is found, and
how a quote stays verifiable without it (docs/rights.md).

A source's text is `included` (its licence allows republishing: kept in seeds/, shipped, shown in
full) or `withheld` (the package keeps its metadata, the sha256 and length of its text, and each
span's offsets and fingerprint; the quote itself only within the quotation budget). A withheld
text lives in the texts folder the user names, as `<sha256>.txt`, and never in git or an artefact.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from . import paths

TEXTS_ENV = "SECCOOP_TEXTS"
DEFAULT_TEXTS = "texts"  # inside the checkout, git-ignored

# The quotation budget of a withheld text (docs/rights.md says why these numbers): each published
# quote at most a sentence's length, and all of them together a small share of the text.
MAX_QUOTE = 200  # code points
MAX_SHARE = 0.10  # of the text's length in code points, counting words quoted twice once


def fingerprint(quote: str) -> str:
    """A quote's fingerprint: sha256 of its UTF-8 bytes, lowercase hex."""
    return hashlib.sha256(quote.encode("utf-8")).hexdigest()


def span_sha256(span) -> str:
    """A checked span's fingerprint: the one its curated YAML pins, else its quote's."""
    return span.get("sha256") or fingerprint(span["quote"])


def normalized_sha256(text: str) -> str:
    """sha256 of a text with every whitespace run made one space and its ends trimmed: the same
    article saved again with other line ends, spacing or a byte-order mark hashes the same."""
    return hashlib.sha256(" ".join(text.removeprefix("\ufeff").split()).encode("utf-8")).hexdigest()


def texts_folder(package) -> tuple[Path, Path]:
    """(folder, gate root) where the package's withheld texts are looked for: the folder the user
    named (`--texts`, or SECCOOP_TEXTS), read as its own root; else `texts/` inside the package,
    read from the package root so that a link committed there is refused like any other."""
    if package.texts is not None:
        folder = Path(package.texts).absolute()
        return folder, folder
    named = os.environ.get(TEXTS_ENV)
    if named:
        folder = Path(named).absolute()
        return folder, folder
    return package.root / DEFAULT_TEXTS, package.root


class TextAbsent(Exception):
    """A withheld source's text is not in the texts folder."""


def read_withheld(package, sha256: str) -> tuple[bytes, str]:
    """The bytes of a withheld text, found by its recorded sha256, and the name to report it by.
    Raises TextAbsent when there is no such file, paths.Refused when the gate refuses it."""
    folder, root = texts_folder(package)
    path = folder / f"{sha256}.txt"
    shown = package.rel(path)
    try:
        return paths.read_file(path, root, paths.SOURCE_LIMIT), shown
    except paths.Refused as exc:
        if exc.code == "file-missing":
            raise TextAbsent(shown) from None
        raise


@dataclass(frozen=True)
class CopyCheck:
    """How one span fared against a copy of its source: where its fingerprint was found, if anywhere."""

    span: dict
    found_at: int | None


def verify_copy(text: str, spans: list[dict]) -> list[CopyCheck]:
    """Find each span's fingerprint in a copy of its source whose other bytes may differ (a header
    line, other line ends): a span is verified where some window of the copy, of the span's
    length, has the span's sha256. Windows near where the span was (shifted as the spans found
    before it were) are tried first, then every window of that length."""
    results, shift = [], 0
    for span in sorted(spans, key=lambda s: s["start"]):
        length, wanted = span["end"] - span["start"], span["sha256"]
        found = None
        guess = span["start"] + shift
        if 0 <= guess and fingerprint(text[guess: guess + length]) == wanted:
            found = guess
        else:
            for at in range(0, max(0, len(text) - length) + 1):
                if fingerprint(text[at: at + length]) == wanted:
                    found = at
                    break
        if found is not None:
            shift = found - span["start"]
        results.append(CopyCheck(span, found))
    return results


def published_spans(package, source_id: str) -> list[dict]:
    """The spans of a source as the package publishes them (data/spans.csv): what a downloader
    has, with or without the curated files."""
    import csv
    import io

    raw = paths.read_file(package.root / "data" / "spans.csv", package.root, paths.CURATED_LIMIT)
    rows = csv.DictReader(io.StringIO(raw.decode("utf-8")))
    return [{"id": r["id"], "start": int(r["start"]), "end": int(r["end"]), "sha256": r["sha256"],
             "quote": r["quote"] or None} for r in rows if r["source"] == source_id]
