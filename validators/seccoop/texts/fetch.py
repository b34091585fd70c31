"""`seccoop texts fetch`: each withheld source's page fetched (its URL, else its archived copy),
its article text extracted, its spans found there, and the text kept in the texts folder beside
the curators' copy (docs/fetch.md): `<sha256>.fetched.txt` and `<sha256>.fetched.json`, the map
from each span to its place in the fetched text, which `seccoop check` verifies through.

What cannot be fetched is reported with why (the status, the error) and whether the archived
copy was tried, never left out: the package's spans still verify against any copy of the text.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from seccoop.model import rights
from seccoop.model.package import Package
from seccoop.safety import network, paths
from seccoop.safety.write import write_atomically
from seccoop.texts import extract
from seccoop.texts.align import Found, align

# Where a source's words may be read, in the order they are tried.
PLACES = (("url", "its URL"), ("archived_url", "its archived copy"))


_SHA256 = re.compile(r"[0-9a-f]{64}")


class FolderRefused(Exception):
    """The texts folder cannot take fetched texts: none named, or one inside the package (exit 2)."""


class UnknownSources(Exception):
    """SOURCE names no withheld source of the package (exit 2)."""


@dataclass(frozen=True)
class Attempt:
    """One place tried: its field (`url`, `archived_url`), its address, and why it gave no text
    (None where it did); `refused` where the network rules forbade the request."""

    place: str
    url: str
    failure: str | None = None
    refused: bool = False


@dataclass
class SourceFetch:
    """What fetching one source gave: each place tried, the page's address after redirects where
    one gave a text, and where each span was found in it."""

    source: str
    sha256: str
    attempts: list[Attempt] = field(default_factory=list)
    fetched_url: str | None = None
    found: list[Found] = field(default_factory=list)
    stored: Path | None = None

    @property
    def fetched(self) -> bool:
        return self.fetched_url is not None

    @property
    def missing(self) -> list[str]:
        """The ids of the spans the fetched text does not have."""
        return [f.span["id"] for f in self.found if f.start is None]

    def coverage(self) -> tuple[int, int]:
        """The characters of the source the verified spans cover, and those all its spans cover."""
        return rights.coverage([rights.CopyCheck(f.span, f.start) for f in self.found])


def fetch_folder(package: Package, texts: str | Path | None) -> Path:
    """The folder fetched texts go to: the one the user named, never inside the package (nor in
    its git checkout where git does not ignore it). Raises FolderRefused."""
    if not texts:
        raise FolderRefused(
            f"name the texts folder with --texts DIR or {rights.TEXTS_ENV}: fetched texts are kept there, "
            "never inside the package"
        )
    folder = Path(texts).absolute()
    root = package.root.resolve()
    if folder.resolve() == root or root in folder.resolve().parents:
        raise FolderRefused(
            f"the texts folder {folder} lies inside the package {root}: fetched texts are never written "
            "inside the package; name a folder outside it"
        )
    try:
        rights.texts_standing(Package(package.root, folder))
    except rights.TextsExposed as exc:
        raise FolderRefused(str(exc)) from None
    return folder


def withheld_sources(package: Package, wanted: list[str]) -> list[dict]:
    """The withheld sources to fetch, as data/sources.csv publishes them: those named, else every
    one with a URL or an archived copy. Raises UnknownSources for a name that is none."""
    raw = paths.read_file(package.root / "data" / "sources.csv", package.root, paths.CURATED_LIMIT)
    rows = [r for r in csv.DictReader(io.StringIO(raw.decode("utf-8"))) if r.get("text") == "withheld"]
    if any(not r.get("id") or not _SHA256.fullmatch(r.get("sha256") or "") for r in rows):
        # the sha256 names the files written in the texts folder: anything but 64 hex digits
        # (`../x`, an absolute path) could name a file elsewhere
        raise ValueError("a withheld source without its id, or whose sha256 is not 64 lowercase hex digits")
    if wanted:
        by_id = {r["id"]: r for r in rows}
        unknown = [w for w in wanted if w not in by_id]
        if unknown:
            raise UnknownSources("no withheld source of the package is called " + ", ".join(f"`{u}`" for u in unknown))
        return [by_id[w] for w in dict.fromkeys(wanted)]
    return [r for r in rows if any(_address(r, place) for place, _ in PLACES)]


def _address(row: dict, place: str) -> str | None:
    value = (row.get(place) or "").strip()
    return value if value and value != "unknown" else None


def fetch_source(package: Package, row: dict, spans: list[dict], folder: Path, policy: network.Policy) -> SourceFetch:
    """Fetch one source's page (its URL; where that gives no text, its archived copy), find its
    published `spans` in the article's text and keep both in `folder`. Raises extract.MissingExtra."""
    extractor = extract.extractor()
    result = SourceFetch(row["id"], row["sha256"])
    for place, _ in PLACES:
        url = _address(row, place)
        if url is None:
            continue
        try:
            page = network.fetch(url, policy)
            text = extract.article_text(page)
        except network.Refused as exc:
            result.attempts.append(Attempt(place, url, str(exc), refused=True))
            continue
        except (network.Failed, extract.NoArticle) as exc:
            result.attempts.append(Attempt(place, url, str(exc)))
            continue
        result.attempts.append(Attempt(place, url))
        result.fetched_url = page.url
        result.found = align(text, spans)
        result.stored = _store(folder, result, text, extractor)
        return result
    return result


def _store(folder: Path, result: SourceFetch, text: str, extractor: dict) -> Path:
    """The fetched text and its map, written together (both or neither) beside the curators' copy."""
    data = text.encode("utf-8")
    spans = {
        f.span["id"]: None if f.start is None else {"start": f.start, "end": f.end}
        for f in sorted(result.found, key=lambda f: f.span["id"])
    }
    document = {
        "source": result.source,
        "url": result.fetched_url,
        "fetched_at": datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "sha256": hashlib.sha256(data).hexdigest(),
        "extractor": extractor,
        "spans": spans,
    }
    if not _SHA256.fullmatch(result.sha256):
        raise ValueError("a source's sha256 is not 64 lowercase hex digits")
    target = folder / rights.FETCHED_TEXT.format(result.sha256)
    write_atomically(
        {
            target: data,
            folder / rights.FETCHED_MAP.format(result.sha256): (
                json.dumps(document, indent=2, ensure_ascii=False) + "\n"
            ).encode("utf-8"),
        }
    )
    return target
