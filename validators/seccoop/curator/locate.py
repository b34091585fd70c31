"""`seccoop locate`: where a quote occurs in the sources, so a curator can pick its `start`; and
`seccoop locate --pin`, which writes the offsets and fingerprint of every quote of a withheld text
into the curated YAML, so that ids and tables never need the text (docs/rights.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from seccoop.checks.evidence import near_miss, occurrences, resolve
from seccoop.checks.sources import SourceUnreadable, read_source
from seccoop.curator.yamlwrite import add_keys
from seccoop.model import rights
from seccoop.model.load import load_bytes, load_file
from seccoop.model.package import KINDS, Package, find_package
from seccoop.safety import paths


@dataclass(frozen=True)
class Hit:
    source: str
    start: int
    end: int
    before: str
    after: str


def _texts(package: Package, source_id: str | None = None, absent: list | None = None):
    """(source id, text, its record) of every source whose text can be read here: an included
    text in seeds/, a withheld one in the texts folder (unreadable ones are `check`'s to report;
    withheld ones not in the texts folder are added to `absent`)."""
    for file in package.curated_files("source"):
        cf, _ = load_file(file, package.rel(file), root=package.root)
        for _, record in cf.records:
            sid = record.get("id")
            if not isinstance(sid, str) or (source_id and sid != source_id):
                continue
            try:
                if record.get("text") == "withheld" and isinstance(record.get("sha256"), str):
                    raw, _ = rights.read_withheld(package, record["sha256"])
                elif isinstance(record.get("path"), str):
                    raw = read_source(package, record["path"])
                else:
                    continue
                yield sid, raw.decode("utf-8"), record
            except rights.TextAbsent:
                if absent is not None:
                    absent.append(sid)
            except (SourceUnreadable, paths.Refused, UnicodeDecodeError):
                continue


def locate(
    quote: str,
    path: str | Path | None = None,
    source_id: str | None = None,
    width: int = 30,
    texts: str | None = None,
    absent: list | None = None,
) -> tuple[list[Hit], list[tuple[str, str]]]:
    """Every occurrence of `quote` in the package's sources, and, when there is none, the source
    text that differs from it only in quotes, dashes or spaces. Withheld sources whose text is not
    in the texts folder are not searched: their ids are added to `absent`."""
    package = _package(path, texts)
    hits, near = [], []
    for sid, text, _ in _texts(package, source_id, absent):
        for occ in occurrences(text, quote):
            before, after = occ.context(text, width)
            hits.append(Hit(sid, occ.start, occ.end, before, after))
        if not hits:
            close = near_miss(text, quote)
            if close is not None:
                near.append((sid, close))
    return hits, near


def _package(path, texts) -> Package:
    """The package, with its texts folder known to lie out of git's reach (rights.TextsExposed)."""
    package = find_package(path)
    package = Package(package.root, Path(texts) if texts else None)
    rights.texts_standing(package)
    return package


@dataclass(frozen=True)
class Pinned:
    """A span pinned (`keys` added) or left as it was (`problem` says why) at file:line."""

    file: str
    line: int | None
    keys: dict
    problem: str | None = None


def pin(path: str | Path | None = None, texts: str | None = None) -> tuple[list[Pinned], dict[Path, bytes]]:
    """For every span of a withheld text that is present and lacks any of start, end and sha256:
    the keys to add, and the new bytes of each curated file that changes (verified by reading
    them back with the strict loader). Spans whose quote does not resolve are listed with why."""
    package = _package(path, texts)
    withheld = {sid: text for sid, text, record in _texts(package) if record.get("text") == "withheld"}
    results, files = [], {}
    for kind in KINDS:
        for file in package.curated_files(kind):
            cf, problems = load_file(file, package.rel(file), root=package.root)
            additions = []
            for index, record in cf.records:
                for i, span in enumerate(record.get("evidence") or ()):
                    if (
                        not isinstance(span, dict)
                        or span.get("source") not in withheld
                        or not isinstance(span.get("quote"), str)
                        or all(k in span for k in ("start", "end", "sha256"))
                    ):
                        continue
                    where = (index, "evidence", i)
                    line = cf.locate((*where, "quote"))[0]
                    found = resolve(withheld[span["source"]], span["quote"], span.get("start"))
                    if found.code is not None:
                        results.append(
                            Pinned(
                                cf.display,
                                line,
                                {},
                                f"{found.code}: {found.message}" + (f" ({found.hint})" if found.hint else ""),
                            )
                        )
                        continue
                    keys = {
                        k: v
                        for k, v in (
                            ("start", found.start),
                            ("end", found.end),
                            ("sha256", rights.fingerprint(span["quote"])),
                        )
                        if k not in span
                    }
                    if span.get("end", found.end) != found.end:
                        results.append(
                            Pinned(
                                cf.display,
                                line,
                                {},
                                f"end {span['end']} is not where the quote ends ({found.end}): remove it and pin again",
                            )
                        )
                        continue
                    additions.append((where, keys))
                    results.append(Pinned(cf.display, line, keys))
            if additions:
                text = add_keys(cf.text, additions)
                raw = text.encode("utf-8")
                again, found_problems = load_bytes(raw, file, cf.display, root=package.root)
                if any(p.severity == "error" for p in found_problems):  # pragma: no cover - add_keys verified it
                    raise ValueError(f"{cf.display}: the pinned file would not load")
                files[file] = raw
    return results, files


class SpanUnknown(Exception):
    """`seccoop show` cannot print the span's words: the text is not here or the span is not in it."""


SPAN_ID = re.compile(r"(?P<source>[a-z0-9]+(?:-[a-z0-9]+)*)@(?P<start>[0-9]+)-(?P<end>[0-9]+)")


def show(span: str, path: str | Path | None = None, texts: str | None = None) -> str:
    """The words a span (`<source>@<start>-<end>`, as data/spans.csv publishes it) covers, from the
    source's text at hand: an included text in seeds/, a withheld one in the texts folder. For a
    curator who holds the text: once a quote is unpublished, this is how its words are seen."""
    match = SPAN_ID.fullmatch(span)
    if match is None:
        raise ValueError(f"`{span}` is not a span id (`<source>@<start>-<end>`, as in data/spans.csv)")
    source, start, end = match["source"], int(match["start"]), int(match["end"])
    package = _package(path, texts)
    absent: list = []
    found = [text for _, text, _ in _texts(package, source, absent)]
    if not found:
        where = "not in the texts folder (name it with --texts)" if absent else "not a readable source here"
        raise SpanUnknown(f"the text of `{source}` is {where}")
    text = found[0]
    if not start < end <= len(text):
        raise SpanUnknown(f"`{span}` is not within the text of `{source}` ({len(text)} characters)")
    return text[start:end]
