"""Sources: each source's rights and text, read through the gate and checked against its fingerprints."""

from __future__ import annotations

import hashlib
import os

from seccoop.checks.dates import date_problem
from seccoop.checks.header import read_header
from seccoop.checks.records import Dataset, Record
from seccoop.model import rights
from seccoop.model.memory import MAPPINGS
from seccoop.model.package import Package
from seccoop.model.publication import published, url_dates
from seccoop.model.report import Problem
from seccoop.safety import paths


class SourceUnreadable(Exception):
    """A source's document that the gate does not read: `code` and `message` say why."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def read_source(package: Package, rel: str) -> bytes:
    """The bytes of a source's document: a regular file directly in seeds/, with no link on the
    way, read through the gate. Raises SourceUnreadable."""
    parts = rel.split("/")
    if len(parts) != 2 or parts[0] != "seeds" or parts[1] in ("", ".", "..") or "\\" in rel:
        raise SourceUnreadable("source-path", f"`{rel}` is not a file directly in seeds/")
    try:
        return paths.read_file(package.root / rel, package.root, paths.SOURCE_LIMIT)
    except paths.Refused as exc:
        if exc.code == "file-link":
            raise SourceUnreadable("source-path", f"`{rel}` is not a file directly in seeds/: {exc.reason}") from None
        if exc.code == "file-missing":
            raise SourceUnreadable("source-missing", f"`{rel}` does not exist") from None
        raise SourceUnreadable(exc.code, f"`{rel}` cannot be read: {exc.reason}") from None


def check_sources(dataset: Dataset) -> list[Problem]:
    """Each source's rights and text: an included text read from seeds/, a withheld one from the
    texts folder by its sha256 (docs/rights.md); either checked against its recorded sha256,
    length and normalized hash. A withheld text that is absent leaves its spans unverified."""
    problems = []
    kept = []
    package = dataset.package
    for record in dataset.records["source"]:
        problems += provenance_problems(record)
        problem = _rights_problem(record)
        if problem is not None:
            problems.append(problem)
            continue
        try:
            raw, shown = _read_text(package, record.data)
        except rights.TextAbsent as exc:
            dataset.absent.add(record.id)
            kept.append(record)
            problems += fetched_copy(dataset, record)
            if package.require_texts:
                problems.append(_absent(record, exc))
            continue
        except SourceUnreadable as exc:
            problems.append(record.problem(exc.code, exc.message, "path"))
            continue
        except paths.Refused as exc:
            problems.append(record.problem(exc.code, f"the withheld text cannot be read: {exc.reason}", "sha256"))
            continue
        text = _recorded_text(record, raw, shown)
        if isinstance(text, Problem):
            problems.append(text)
            continue
        problems += _header_problems(record, text)
        dataset.texts[record.id] = text
        kept.append(record)
    dataset.records["source"] = kept
    _published_folds(dataset)
    problems += unlisted_seeds(dataset)
    dataset.rights = {r.id: r.data["text"] for r in kept}
    dataset.lengths = {r.id: r.data["length"] for r in kept}
    return problems


# Licences that ask whoever republishes the text to credit it (CC BY and its variants).
_ATTRIBUTION = ("cc-by", "cc by")


def provenance_problems(record: Record) -> list[Problem]:
    """Where a reader finds the source and what dates it (docs/rights.md, "Sources a reader can
    find"): the publication date as its evidence gives it, and the credit an included text's
    licence asks for."""
    data, problems = record.data, []
    when, given = published(data), data["published"]
    if isinstance(given, MAPPINGS) and (fault := date_problem(given)):
        problems.append(record.problem("source-date", fault, "published"))
    came = data["published_from"]
    if came == "url":
        problems += _url_date(record, when)
    elif came == "none" and (when.earliest or when.latest):
        problems.append(
            record.problem(
                "source-date",
                f"nothing dates the document (`published_from: none`), yet it is dated {when}",
                "published",
                hint="Give what dates it in `published_from` (text, archive or url), or leave both bounds open: "
                "`published: {earliest: null, latest: null, precision: open}`.",
            )
        )
    elif came in ("text", "archive") and not data.get("evidence"):
        problems.append(
            record.problem(
                "source-date",
                f"the date is said to come from the {'text' if came == 'text' else 'archive’s line'}, "
                "but the source cites no evidence for it",
                "published_from",
                hint="Quote the words that date it in the source's `evidence`.",
            )
        )
    if came == "archive" and not data.get("archive_prefix"):
        problems.append(
            record.problem(
                "source-date",
                "the date is said to come from a line the archive added, but `archive_prefix` marks none",
                "published_from",
                hint="Write `archive_prefix:` (the code points the archive added at the start of the text).",
            )
        )
    licence = data["licence"].strip().lower()
    if data["text"] == "included" and licence.startswith(_ATTRIBUTION) and not data.get("attribution"):
        problems.append(
            record.problem(
                "source-rights",
                f"the licence {data['licence']} asks for attribution, and the source gives none",
                "licence",
                hint="Write `attribution:` (authors or publisher, title, the licence and its link, and whether the "
                "text was changed), as the licence asks; it ships with the text (docs/rights.md).",
            )
        )
    return problems


def _url_date(record: Record, when) -> list[Problem]:
    """A date said to come from the URL is the URL's."""
    data = record.data
    found = url_dates(data["url"]) if data["url"] != "unknown" else []
    if (when.earliest, when.latest) in found:
        return []
    if not found:
        said = "the URL is unknown" if data["url"] == "unknown" else "the URL holds no date"
        return [record.problem("source-date", f"the date is said to come from the URL, but {said}", "published_from")]
    first = found[0]
    value = (
        f'"{first[0]}"'
        if first[0] == first[1]
        else f'{{earliest: "{first[0]}", latest: "{first[1]}", precision: month}}'
    )
    return [
        record.problem(
            "source-date",
            f"the URL dates the document {first[0] if first[0] == first[1] else f'{first[0]} to {first[1]}'}, "
            f"not {when}",
            "published",
            hint=f"Write `published: {value}`.",
        )
    ]


def _rights_problem(record: Record) -> Problem | None:
    """What keeps a source's text from being read as its rights say: an included text under an
    unknown licence or without its path in seeds/, a withheld one with a path."""
    data = record.data
    if data["text"] == "included" and data["licence"].strip().lower() == "unknown":
        return record.problem(
            "source-rights",
            "the text is included, but its licence is unknown",
            "licence",
            hint="Name the licence that allows republishing the text, or set `text: withheld` (docs/rights.md).",
        )
    if data["text"] == "included" and data.get("path") is None:
        return record.problem(
            "source-path",
            "an included text needs its path in seeds/",
            "text",
            hint="Add `path: seeds/NAME` (the file the text is kept in), or set `text: withheld` (docs/rights.md).",
        )
    if data["text"] == "withheld" and data.get("path") is not None:
        return record.problem(
            "source-path",
            "a withheld text has no path: it is found in the texts folder by its sha256",
            "path",
            hint="Delete `path:` and move the text out of seeds/ into the texts folder as `<sha256>.txt` "
            "(docs/rights.md).",
        )
    return None


def _read_text(package: Package, data: dict) -> tuple[bytes, str]:
    """The bytes of a source's text and the name it is shown by: an included one from seeds/, a
    withheld one from the texts folder. Raises SourceUnreadable, rights.TextAbsent, paths.Refused."""
    if data["text"] == "included":
        return read_source(package, data["path"]), data["path"]
    return rights.read_withheld(package, data["sha256"])


def fetched_copy(dataset: Dataset, record: Record) -> list[Problem]:
    """Where a withheld text is absent, the page fetched for it (`seccoop texts fetch`), if any:
    kept with the folded fingerprints the package publishes, so that its spans are verified through
    its map (checks.spans). A copy the gate refuses or whose map is of another shape is reported."""
    try:
        copy = rights.read_fetched(dataset.package, record.data["sha256"])
    except paths.Refused as exc:
        return [record.problem(exc.code, f"the fetched copy of the text cannot be read: {exc.reason}", "sha256")]
    except rights.FetchedUnreadable as exc:
        return [
            record.problem(
                "evidence-fetched-mismatch",
                f"the fetched copy of the text cannot be used: {exc}",
                "sha256",
                hint="Fetch it again with `seccoop texts fetch` (docs/fetch.md).",
            )
        ]
    if copy is not None:
        dataset.fetched[record.id] = (copy, {})  # the folded fingerprints: `_published_folds`
    return []


def _published_folds(dataset: Dataset) -> None:
    """The folded fingerprints data/spans.csv publishes for the spans of the fetched copies' sources,
    read in one pass (none where the table has no such columns, or cannot be read: the package's
    own checks report that)."""
    if not dataset.fetched:
        return
    try:
        published = rights.published_spans_of(dataset.package, set(dataset.fetched))
    except (paths.Refused, KeyError, ValueError):  # UnicodeDecodeError too
        return
    for source, spans in published.items():
        dataset.fetched[source][1].update(
            (s["id"], (s["folded_sha256"], s["folded_length"]))
            for s in spans
            if s["folded_sha256"] and s["folded_length"] is not None
        )


def _absent(record: Record, exc: rights.TextAbsent) -> Problem:
    return record.problem(
        "source-text-missing",
        f"the withheld text is not in the texts folder (`{exc}`)",
        "sha256",
        hint=f"Put the text there as `{record.data['sha256']}.txt` (or name the folder with --texts or "
        f"{rights.TEXTS_ENV}); without --require-texts its spans are left unverified.",
    )


def _recorded_text(record: Record, raw: bytes, shown: str) -> str | Problem:
    """The text of a source, or the first way it is not the one recorded: its sha256, its
    encoding (UTF-8), its length in code points, its normalized hash."""
    data = record.data
    digest = hashlib.sha256(raw).hexdigest()
    if digest != data["sha256"]:
        message = (
            f"`{shown}` has sha256 {digest}, not the recorded one"
            if data["text"] == "included"
            else f"`{shown}` has sha256 {digest}: the file is not this source's text (changed or replaced)"
        )
        return record.problem("source-checksum", message, "sha256")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return record.problem(
            "source-encoding",
            f"`{shown}` is not UTF-8 (byte {exc.start})",
            "path" if data["text"] == "included" else "sha256",
        )
    if len(text) != data["length"]:
        return record.problem(
            "source-length",
            f"the text is {len(text)} code points long, not {data['length']}",
            "length",
            hint=f"Write `length: {len(text)}`.",
        )
    if (normalized := rights.normalized_sha256(text)) != data["normalized_sha256"]:
        return record.problem(
            "source-checksum",
            "normalized_sha256 is not the text's",
            "normalized_sha256",
            hint=f"Write `normalized_sha256: {normalized}`.",
        )
    return text


def _header_problems(record: Record, text: str) -> list[Problem]:
    """The first line `date YYYY-MM-DD TITLE` is optional; where it is there, it is the archive's
    (the page does not print it): `archive_prefix` marks it, the title agrees with it, and so does
    the date where the date is taken from it (docs/curating.md, section 1)."""
    header = read_header(text)
    if header is None:
        return []
    problems = []
    prefix = text.find("\n") + 1 or len(text)  # the line with its line end (\r\n too)
    if record.data.get("archive_prefix", 0) != prefix:
        problems.append(
            record.problem(
                "source-header",
                f"the first line `date {header.date} ...` is the archive's, not the publisher's, and "
                f"`archive_prefix` does not mark it ({record.data.get('archive_prefix', 0)}, not {prefix})",
                "archive_prefix" if "archive_prefix" in record.data else "id",
                key="archive_prefix" in record.data,
                hint=f"Write `archive_prefix: {prefix}`.",
            )
        )
    day = published(record.data).day
    if record.data["published_from"] == "archive" and header.date != day:
        problems.append(
            record.problem(
                "source-header",
                f"published `{day or published(record.data)}` but the archive's first line says `{header.date}`",
                "published",
            )
        )
    if header.title != record.data["title"]:
        problems.append(
            record.problem(
                "source-header",
                "title differs from the document's first line",
                "title",
                hint=f"The document's title is: {header.title!r}",
            )
        )
    return problems


def unlisted_seeds(dataset: Dataset) -> list[Problem]:
    """A file in seeds/ that no included source names: a withheld text put there by mistake would
    enter git and every artefact (docs/rights.md). Only seeds/README.md may sit beside the texts."""
    if "source" in dataset.incomplete or "source" in dataset.withheld.values():
        return []  # a source record held back by its own error may name the file: not judged
    named = {r.data.get("path") for r in dataset.shaped.get("source", ()) if r.data.get("text") == "included"}
    try:
        entries = sorted(os.scandir(dataset.package.seeds), key=lambda e: e.name)
    except OSError:
        return []  # no seeds/ (or it is not a folder): a source naming a path there is reported
    if dataset.scope is not None:  # only the seeds named in the part checked can have lost their source
        entries = [e for e in entries if f"seeds/{e.name}" in dataset.scope.seeds]
    return [
        Problem("source-unlisted", "is not the text of an included source", file=f"seeds/{e.name}")
        for e in entries
        if f"seeds/{e.name}" not in named and e.name != "README.md"
    ]
