"""`seccoop locate`: where a quote occurs in the sources, so a curator can pick its `start`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .checks import SourceUnreadable, read_source
from .evidence import near_miss, occurrences
from .load import load_file
from .package import find_package


@dataclass(frozen=True)
class Hit:
    source: str
    start: int
    end: int
    before: str
    after: str


def locate(quote: str, path: str | Path | None = None, source_id: str | None = None,
           width: int = 30) -> tuple[list[Hit], list[tuple[str, str]]]:
    """Every occurrence of `quote` in the package's sources, and, when there is none, the source
    text that differs from it only in quotes, dashes or spaces."""
    package = find_package(path)
    hits, near = [], []
    for file in package.curated_files("source"):
        cf, _ = load_file(file, package.rel(file), root=package.root)
        for _, record in cf.records:
            sid, rel = record.get("id"), record.get("path")
            if not isinstance(sid, str) or not isinstance(rel, str) or (source_id and sid != source_id):
                continue
            try:  # the rules of `check`: only a regular file directly in seeds/, no link on the way
                text = read_source(package, rel).decode("utf-8")
            except (SourceUnreadable, UnicodeDecodeError):
                continue  # `seccoop check` reports why
            for occ in occurrences(text, quote):
                before, after = occ.context(text, width)
                hits.append(Hit(sid, occ.start, occ.end, before, after))
            if not hits:
                close = near_miss(text, quote)
                if close is not None:
                    near.append((sid, close))
    return hits, near
