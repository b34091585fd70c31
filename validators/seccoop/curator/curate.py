"""Curator commands: `add-source` brings a new document into the package and records it: an
included text into seeds/, a withheld one into the texts folder (docs/rights.md); `remove-source`
takes out a source nothing cites, retiring the ids it published (docs/curating.md, section 1)."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from seccoop.checks.header import (
    BOM,
    Header,
    calendar_date,
    first_line,
    header_fault,
    read_header,
)
from seccoop.curator import identity
from seccoop.curator.identity import (
    RECORD_KINDS,
    BadArguments,
    CuratedFiles,
    IdentityRefused,
    _retired_entry,
    verified_bytes,
)
from seccoop.curator.yamlwrite import PatchRefused, append_records
from seccoop.model import rights
from seccoop.model.load import (
    _CONTROL,
    _INVISIBLE,
    _NONCHARACTER,
    load_bytes,
    load_file,
)
from seccoop.model.package import Package
from seccoop.model.publication import url_dates
from seccoop.model.schemas import Schemas
from seccoop.safety import paths
from seccoop.safety.write import WriteRefused, write_atomically


class AddSourceRefused(Exception):
    """The document cannot be added as it is (exit 1)."""


class BadOption(AddSourceRefused):
    """A value given on the command line is wrong, whatever the document and package hold (exit 2)."""


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60].strip("-")


# The record's fields that come from the command line, by the option that gives them.
_OPTIONS = {
    "id": "--id",
    "title": "--title",
    "published": "--published",
    "language": "--language",
    "publisher": "--publisher",
    "url": "--url",
    "archived_url": "--archived-url",
    "retrieved": "--retrieved",
    "extent": "--extent",
    "extent_note": "--extent-note",
    "published_from": "--published-from",
    "text": "--text",
    "licence": "--licence",
}
# Language names curators type for a tag, and the tag meant.
_LANGUAGE_NAMES = {
    "english": "en",
    "spanish": "es",
    "espanol": "es",
    "español": "es",
    "portuguese": "pt",
    "português": "pt",
    "french": "fr",
    "français": "fr",
    "german": "de",
    "italian": "it",
    "arabic": "ar",
    "russian": "ru",
    "chinese": "zh",
}


def _text_fault(value: str, one_line: bool) -> str | None:
    """Why a text given on the command line cannot be a curated value (docs/curating.md, text
    hygiene), or None."""
    if not value.strip():
        return "is empty"
    if one_line and ("\n" in value or "\r" in value):
        return "is not one line"
    for pattern, what in (
        (_CONTROL, "control character"),
        (_INVISIBLE, "invisible character"),
        (_NONCHARACTER, "character"),
    ):
        found = pattern.search(value.replace("\n", ""))
        if found:
            return f"holds {what} U+{ord(found.group()):04X}, which no curated text may"
    if not unicodedata.is_normalized("NFC", value):
        return "is not in Unicode NFC (save it composed)"
    return None


def check_options(
    schemas: Schemas,
    source_id: str | None,
    title: str | None,
    published: str | None,
    language: str,
    publisher: str | None,
    url: str | None,
    text_rights: str,
    licence: str,
) -> None:
    """Each value given on the command line, checked before the document is read and anything is
    written; BadOption names the option and shows the value given."""
    id_pattern = schemas.resolve("source", "id")["pattern"]
    if source_id is not None and not re.fullmatch(id_pattern.removeprefix("^").removesuffix("$"), source_id):
        raise BadOption(
            f"--id {source_id!r} is not an id: lowercase letters and digits in words joined by "
            "single hyphens (such as gamma-news-2024-04-01)"
        )
    if title is not None and (fault := _text_fault(title, one_line=True)):
        raise BadOption(f"--title {title!r} {fault}")
    if published is not None and not calendar_date(published):
        raise BadOption(f"--published {published!r} is not a date YYYY-MM-DD on the calendar (such as 2024-01-12)")
    pattern = schemas.resolve("source", "language")["pattern"]
    if not re.fullmatch(pattern.removeprefix("^").removesuffix("$"), language):
        meant = _LANGUAGE_NAMES.get(language.strip().lower())
        hint = (
            f"; for {language.strip()} write --language {meant}"
            if meant
            else "; give the language's code, not its name"
            if language.strip().isalpha() and len(language.strip()) > 3
            else ""
        )
        raise BadOption(f"--language {language!r} is not a BCP 47 language tag (such as en, es or pt-BR){hint}")
    if publisher is not None and (fault := _text_fault(publisher, one_line=False)):
        raise BadOption(f"--publisher {publisher!r} {fault}")
    if url is not None and url != "unknown":
        _check_url(schemas, "--url", url)
    if fault := _text_fault(licence, one_line=True):
        raise BadOption(f"--licence {licence!r} {fault}")
    if text_rights == "included" and licence.strip().lower() == "unknown":
        raise BadOption(
            "--text included needs --licence naming the licence that allows republishing "
            "the text (such as CC-BY-4.0); a text whose licence is unknown is withheld"
        )


def _check_record(schemas: Schemas, record: dict) -> None:
    """The whole record by the package's schema: a last net under `check_options`."""
    for error in schemas.validators["source"].iter_errors(record):
        name = next((p for p in error.absolute_path if isinstance(p, str)), None)
        where = _OPTIONS.get(name, f"the document's `{name}`") if name else "the record"
        raise AddSourceRefused(f"{where}: {error.message}")


def _check_url(schemas: Schemas, option: str, url: str) -> None:
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # an unclosed [IPv6] bracket
        parts, host = None, None
    # The schema's pattern says which characters a URL holds (no quote, angle bracket,
    # backslash or space: a value that could leave an HTML attribute or a Markdown link).
    pattern = schemas.resolve("source", "archived_url")["pattern"]
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not host
        or not url.isprintable()
        or not re.fullmatch(pattern.removeprefix("^").removesuffix("$"), url)
    ):
        raise BadOption(
            f"{option} {url!r} is not an http:// or https:// address with a host, or holds "
            "characters a URL may not (spaces, quotes, angle brackets, backslashes: "
            "percent-encode them)"
        )


def _metadata(
    document: Path, text: str, title: str | None, published: str | None, undated: bool = False
) -> tuple[str, str, Header | None]:
    """(title, published, header) from the document's first line and the options: the first line
    gives them where it is a header; options that disagree with it are refused; without one, the
    options give them."""
    header = read_header(text)
    if header is None:
        line = first_line(text)
        fault = header_fault(line)
        if fault is not None and (title is None or (published is None and not undated)):
            raise AddSourceRefused(
                f"{document}: the first line reads {line!r}, which looks like the line `date YYYY-MM-DD TITLE` "
                f"but is not one: {fault}. The document is kept byte for byte, so either add a copy whose first "
                "line is right, or give --title and --published (the line is then the document's own text)"
            )
        if title is None or (published is None and not undated):
            wanted = (("--title", title), ("--published", "undated" if undated else published))
            missing = [option for option, value in wanted if value is None]
            raise AddSourceRefused(
                f"{document}: has no first line `date YYYY-MM-DD TITLE`; give {' and '.join(missing)} "
                "as the page states them"
            )
        return title, published or "", None
    if published is not None and published != header.date:
        raise AddSourceRefused(
            f"--published {published} disagrees with the document's first line, which gives "
            f"{header.date}; leave --published out, or add a copy whose first line is right"
        )
    if title is not None and title != header.title:
        raise AddSourceRefused(
            f"--title {title!r} disagrees with the document's first line, which gives "
            f"{header.title!r}; leave --title out, or add a copy whose first line is right"
        )
    return header.title, header.date, header


def _evidence(source_id: str, text: str, header: Header | None, title: str, withheld: bool) -> list[dict]:
    """What the source quotes of itself: its first line where it has one; else its title where the
    text holds it (the first time it does); else nothing. A withheld text's span is pinned; an
    included one's is pinned by `start` only where the words occur more than once."""
    quote = header.line.strip() if header is not None else title
    start = text.find(quote)
    if start < 0:
        return []
    span: dict[str, str | int] = {"source": source_id, "quote": quote}
    if withheld:
        span.update(start=start, end=start + len(quote), sha256=rights.fingerprint(quote))
    elif text.count(quote) > 1:
        span["start"] = start
    return [span]


@dataclass(frozen=True)
class Findable:
    """Where a reader finds a source and what dates it, as the command line gives them
    (docs/rights.md, "Sources a reader can find")."""

    retrieved: str = "unknown"
    extent: str = "unknown"
    extent_note: str | None = None
    archived_url: str | None = None
    published_from: str | None = None  # None: the first line's, or the URL's, else refused
    attribution: str | None = None  # the credit an included text's licence asks for

    def check(self, schemas: Schemas, url: str | None, text_rights: str) -> None:
        if text_rights == "withheld" and url is None:
            raise BadOption(
                "a withheld source needs --url: the page where a reader finds the words its spans fingerprint "
                "(write --url unknown only where it is not known)"
            )
        if self.retrieved != "unknown" and not calendar_date(self.retrieved):
            raise BadOption(f"--retrieved {self.retrieved!r} is not a date YYYY-MM-DD on the calendar, nor `unknown`")
        if self.extent == "excerpt" and not self.extent_note:
            raise BadOption("--extent excerpt needs --extent-note: which part of the document the text is")
        if self.extent_note is not None and (fault := _text_fault(self.extent_note, one_line=True)):
            raise BadOption(f"--extent-note {self.extent_note!r} {fault}")
        if self.archived_url is not None:
            _check_url(schemas, "--archived-url", self.archived_url)
        if self.attribution is not None and (fault := _text_fault(self.attribution, one_line=True)):
            raise BadOption(f"--attribution {self.attribution!r} {fault}")

    def date_from(self, document: Path, header: Header | None, url: str | None, published: str) -> str:
        """What gives the publication date: as the option says; else the first line where there
        is one, the URL where it holds that date; else the curator must say."""
        if self.published_from == "archive" and header is None:
            raise AddSourceRefused(
                f"{document}: --published-from archive, but the text has no first line `date YYYY-MM-DD TITLE` "
                "that an archive added"
            )
        if self.published_from == "url" and (url is None or (published, published) not in url_dates(url)):
            raise AddSourceRefused(f"--published-from url, but the URL does not hold the date {published}")
        if self.published_from == "none" and published:
            raise AddSourceRefused("--published-from none says nothing dates the document: leave --published out")
        if self.published_from is not None:
            return self.published_from
        if header is not None:
            return "archive"
        if url and (published, published) in url_dates(url):
            return "url"
        raise AddSourceRefused(
            f"{document}: say what gives its publication date: --published-from text (its words, quoted as its "
            "evidence), url (its address holds it) or none (nothing does)"
        )

    def fields(self) -> dict:
        """The fields after `url`, in the schema's order (`attribution` goes after the licence)."""
        return {
            **({"archived_url": self.archived_url} if self.archived_url else {}),
            "retrieved": self.retrieved,
            "extent": self.extent,
            **({"extent_note": self.extent_note} if self.extent_note else {}),
        }


def add_source(
    package: Package,
    document: Path,
    source_id: str | None = None,
    language: str = "en",
    publisher: str | None = None,
    url: str | None = None,
    text_rights: str = "withheld",
    licence: str = "unknown",
    title: str | None = None,
    published: str | None = None,
    where: Findable | None = None,
) -> tuple[str, str, bool, str | None]:
    """Copy `document` byte for byte into the package and append its source record to
    data/curated/sources.yaml: title and date from its first line `date YYYY-MM-DD TITLE` or from
    `title` and `published` (docs/curating.md, section 1), rights, sha256, length and normalized
    hash, and what it quotes of itself as evidence. An included text goes to seeds/ as
    NNN_<sha256[:16]>.txt; a withheld one to the texts folder as <sha256>.txt, and its evidence is
    pinned: only where git cannot take it up (rights.TextsExposed otherwise). Returns (source id,
    where the text was put, whether it has evidence, and for a withheld text where its folder
    stands towards git). `where` says where a reader finds it (docs/rights.md); a withheld
    text needs its URL, or `unknown` said so."""
    schemas = Schemas(package.schema)
    where = where or Findable()
    check_options(schemas, source_id, title, published, language, publisher, url, text_rights, licence)
    where.check(schemas, url, text_rights)
    raw, text = _read_document(document)
    undated = where.published_from == "none"
    title, published, header = _metadata(document, text, title and title.strip(), published, undated)
    came = where.date_from(document, header, url, published)
    digest = hashlib.sha256(raw).hexdigest()
    normalized = rights.normalized_sha256(text)
    known_sources = _recorded_sources(package)
    seeds = _refuse_known_text(package, document, digest, normalized, known_sources)
    source_id = source_id or f"{_slug(title)}-{published}"
    sources_file = package.curated / "sources.yaml"
    cf, problems = load_file(sources_file, package.rel(sources_file), root=package.root)
    if any(p.severity == "error" for p in problems):
        raise AddSourceRefused(f"{package.rel(sources_file)} has errors; run `seccoop check` and fix them first")
    _refuse_taken_id(package, source_id, known_sources)
    if text_rights == "included":
        target = package.seeds / f"{len(seeds):03d}_{digest[:16]}.txt"
        kept = {"path": f"seeds/{target.name}"}
        standing = None
    else:
        folder, _ = rights.texts_folder(package)
        target = folder / f"{digest}.txt"
        kept = {}
        standing = rights.texts_standing(package, target.name)  # before anything is written
    evidence = _evidence(source_id, text, header, title, withheld=text_rights == "withheld")
    record = {
        "id": source_id,
        "title": title,
        "published": {"earliest": None, "latest": None, "precision": "open"} if undated else published,
        "published_from": came,
        "language": language,
        "publisher": publisher or "unknown",
        "url": url or "unknown",
        **where.fields(),
        "text": text_rights,
        "licence": licence,
        **({"attribution": where.attribution} if where.attribution else {}),
        **kept,
        "sha256": digest,
        "length": len(text),
        "normalized_sha256": normalized,
        **({"archive_prefix": text.find("\n") + 1 or len(text)} if header else {}),  # the line and its end
        **({"evidence": evidence} if evidence else {}),
    }
    _check_record(schemas, record)
    updated = append_records(cf.text, [record]).encode("utf-8")
    # What will be on disk must load, strictly, as exactly the records meant.
    meant = [r for _, r in cf.records] + [record]
    again, problems = load_bytes(updated, sources_file, package.rel(sources_file))
    if problems or [r for _, r in again.records] != meant:
        found = "; ".join(f"{p.code}: {p.message}" for p in problems) or "the records differ"
        raise AddSourceRefused(f"the new record would not read back as written ({found})")
    if target.exists() or target.is_symlink():
        raise WriteRefused(f"{target}: exists")
    target.parent.mkdir(parents=True, exist_ok=True)  # the texts folder, on first use
    write_atomically({target: raw, sources_file: updated})
    return source_id, package.rel(target), bool(evidence), standing


def _read_document(document: Path) -> tuple[bytes, str]:
    """The document's bytes and its text: a regular file of a sane size, UTF-8 without a BOM."""
    try:  # the user named this file: it may lie anywhere, but must be a regular file of a sane size
        raw = paths.read_file(document, None, paths.DOCUMENT_LIMIT)
    except paths.Refused as exc:
        raise AddSourceRefused(f"{document}: {exc.reason}") from None
    if raw.startswith(BOM):
        # Offsets count code points of the exact text: a reader that drops the BOM (most do)
        # would see every offset one too far. The curator saves a copy without it instead.
        raise AddSourceRefused(
            f"{document}: starts with a byte-order mark (BOM, bytes EF BB BF); readers that "
            "drop it and readers that keep it would count every offset differently. Save the "
            "document as UTF-8 without BOM and add that copy"
        )
    try:
        return raw, raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise AddSourceRefused(f"{document}: not UTF-8 (byte {exc.start}); convert it first") from None


def _refuse_known_text(
    package: Package, document: Path, digest: str, normalized: str, known_sources: list[dict]
) -> list[Path]:
    """Refuse a text the package has already: a source recorded with the same bytes or the same
    normalized text, or a file in seeds/ with the same bytes. Returns the files in seeds/."""
    for known in known_sources:
        if known.get("sha256") == digest or known.get("normalized_sha256") == normalized:
            same = "the same bytes" if known.get("sha256") == digest else "the same text once whitespace is normalized"
            raise AddSourceRefused(f"{document}: source `{known.get('id')}` has {same}")
    try:
        seeds = [p for p, _ in paths.walk(package.seeds, package.root) if p.parent == package.seeds]
    except paths.Refused as exc:
        raise AddSourceRefused(f"{package.rel(package.seeds)}: {exc.reason}") from None
    for seed in seeds:
        try:
            seed_digest = hashlib.sha256(paths.read_file(seed, package.root, paths.SOURCE_LIMIT)).hexdigest()
        except paths.Refused:
            continue  # not a document seccoop reads; `seccoop check` says why
        if seed_digest == digest:
            raise AddSourceRefused(f"{document}: already in the package as {package.rel(seed)}")
    return seeds


def _refuse_taken_id(package: Package, source_id: str, known_sources: list[dict]) -> None:
    """Refuse an id a source has, or one that was retired: ids are never reused."""
    if any(r.get("id") == source_id for r in known_sources):
        raise AddSourceRefused(f"a source with id `{source_id}` exists; give another with --id")
    retired = _retired(package).get(source_id)
    if retired is not None:
        raise AddSourceRefused(
            f"the id `{source_id}` was retired in {retired.get('version')} ({retired.get('reason')}); "
            "ids are never reused: give another with --id"
        )


def _recorded_sources(package: Package) -> list[dict]:
    """Every source record the curated files hold, as written (for finding a text added twice)."""
    found = []
    for file in package.curated_files("source"):
        cf, _ = load_file(file, package.rel(file), root=package.root)
        found += [r for _, r in cf.records]
    return found


def _retired(package: Package) -> dict[str, dict]:
    """The entries of data/curated/retired-ids.yaml by id (none where it cannot be read: check says why)."""
    path = package.curated / "retired-ids.yaml"
    if not path.exists():
        return {}
    cf, _ = load_file(path, package.rel(path), root=package.root)
    return {r["id"]: r for _, r in cf.records if isinstance(r.get("id"), str)}


# -- remove-source ---------------------------------------------------------------------------------


class RemoveRefused(Exception):
    """The source cannot be removed as things are (exit 1); nothing was written. `details` lists
    what stands in the way, one place a line."""

    def __init__(self, message: str, details: list[str] | None = None):
        super().__init__(message)
        self.details = details or []


class UnknownSource(RemoveRefused):
    """The id given names no source (exit 2: the command line is wrong)."""


@dataclass
class Removal:
    """What removing a source does: the lines of its entry, the text deleted from seeds/ (an
    included text) or left in the texts folder (a withheld one), the ids retired, and the new bytes
    of every curated file that changes (each already re-loaded and compared with what was meant)."""

    source_id: str
    entry_file: str
    first_line: int
    last_line: int
    delete: Path | None = None  # an included text, deleted once the curated files are written
    left: str | None = None  # a withheld text, left in the texts folder
    retired: list[dict] = field(default_factory=list)
    retired_file: str = ""
    files: dict[Path, bytes] = field(default_factory=dict)
    shown_delete: str = ""

    def lines(self, dry_run: bool = False) -> list[str]:
        would = "would " if dry_run else ""
        out = [
            f"{'would remove' if dry_run else 'removed'} source `{self.source_id}`: {self.entry_file} "
            f"lines {self.first_line}-{self.last_line}"
        ]
        if self.delete is not None:
            out.append(f"{would}delete {self.shown_delete}" if dry_run else f"deleted {self.shown_delete}")
        if self.left is not None:
            out.append(
                f"{'would leave' if dry_run else 'left'} {self.left} in the texts folder: it is yours, and "
                "seccoop never deletes it; delete it yourself if no copy is needed"
            )
        for entry in self.retired:
            out.append(
                f"{'would retire' if dry_run else 'retired'} {entry['id']} ({entry['table']}, withdrawn) "
                f"in {self.retired_file}"
            )
        if not self.retired:
            out.append("no id to retire: data/sources.csv does not publish this source")
        return out


def remove_source(
    package: Package, source_id: str, *, reason: str | None = None, version: str | None = None
) -> Removal:
    """Plan the removal of a source that no account cites (RemoveRefused otherwise, listing each
    citing span by file and line): its entry's lines leave its curated file, every other line
    kept; its ids (the source, and each span data/spans.csv publishes of it) are retired as
    withdrawn where data/sources.csv publishes it; an included text is deleted from seeds/, a
    withheld one is left in the texts folder. `apply_removal` writes it."""
    try:
        identity._check_reason(reason)
        curated = CuratedFiles.read(package)
        entries = [(f, i) for f, i in curated.accounts.get(source_id, []) if f.kind == "source"]
        if not entries:
            _unknown(curated, source_id)
        if len(entries) > 1:
            raise RemoveRefused(
                f"source `{source_id}` is written {len(entries)} times "
                f"({', '.join(f.where((i, 'id')) for f, i in entries)}); fix the curated files first"
            )
        f, index = entries[0]
        record = f.data[index]
        citers = _citers(curated, source_id)
        if citers:
            raise RemoveRefused(
                f"source `{source_id}` is cited ({len(citers)} place(s) below), so it cannot be "
                "removed; remove those spans (or their records) first",
                citers,
            )
        version = identity._version(package, version)
        try:
            new_text, first, last = remove_entry(f.cf.text, index)
        except PatchRefused as exc:
            raise RemoveRefused(f"{f.display}: the entry cannot be removed in place: {exc}") from None
        removal = Removal(source_id, f.display, first, last, retired_file=package.rel(curated.retired_path))
        removal.files[f.cf.path] = verified_bytes(package, f.cf.path, new_text, f.data[:index] + f.data[index + 1 :])
        _retire_published_ids(package, curated, removal, reason, version)
        _drop_locators(package, removal)
    except BadArguments as exc:
        raise UnknownSource(str(exc)) from None
    except IdentityRefused as exc:
        raise RemoveRefused(str(exc)) from None
    _dispose_of_text(package, record, removal)
    return removal


def _retire_published_ids(
    package: Package, curated: CuratedFiles, removal: Removal, reason: str | None, version: str
) -> None:
    """Where data/sources.csv publishes the source: retire it and each span data/spans.csv
    publishes of it as withdrawn (those not retired already), appended to the retired-ids file."""
    source_id = removal.source_id
    published_spans = _published(package, "spans.csv", lambda row: row.get("source") == source_id)
    if not _published(package, "sources.csv", lambda row: row.get("id") == source_id):
        return
    why = reason or "withdrawn: the source was removed"
    wanted = [(source_id, "sources", why)] + [
        (span, "spans", reason or f"withdrawn: its source `{source_id}` was removed") for span in published_spans
    ]
    taken = {(e.get("id"), e.get("table", "records")) for e in curated.retired.values()}
    retired_file = next((g for g in curated.files if g.kind == "retired"), None)
    for id_, table, why in wanted:
        if (id_, table) not in taken:
            removal.retired.append(
                _retired_entry(package, {"id": id_, "table": table, "version": version, "reason": why})
            )
    if removal.retired:
        old = retired_file.cf.text if retired_file is not None else ""
        data = list(retired_file.data) if retired_file is not None else []
        removal.files[curated.retired_path] = verified_bytes(
            package, curated.retired_path, append_records(old, removal.retired), data + removal.retired
        )


def _drop_locators(package: Package, removal: Removal) -> None:
    """The source's spans leave the locators register (docs/links.md) with it: an entry of a span
    no record cites is stale."""
    from seccoop.curator.links import LOCATORS, render

    path = package.curated / LOCATORS
    if not path.is_file():
        return
    cf, problems = load_file(path, package.rel(path), root=package.root)
    if problems:
        raise RemoveRefused(f"{package.rel(path)} cannot be read; run `seccoop check` and fix it first")
    entries = [data for _, data in cf.records]
    kept = [e for e in entries if not str(e.get("span", "")).startswith(f"{removal.source_id}@")]
    if len(kept) != len(entries):
        removal.files[path] = render(kept)


def _dispose_of_text(package: Package, record: dict, removal: Removal) -> None:
    """An included text is deleted from seeds/ (a regular file there, not a link); a withheld one,
    found in the texts folder, is left there."""
    if record.get("text") == "included" and isinstance(record.get("path"), str):
        seed = package.root / record["path"]
        if seed.parent == package.seeds and seed.is_file() and not seed.is_symlink():
            removal.delete, removal.shown_delete = seed, package.rel(seed)
    elif isinstance(record.get("sha256"), str):
        folder, _ = rights.texts_folder(package)
        text = folder / f"{record['sha256']}.txt"
        if text.exists():
            removal.left = package.rel(text)


def apply_removal(removal: Removal) -> None:
    """Write every changed curated file as one atomic set; then delete the included text, so that a
    failure leaves at worst a text no source names (`source-unlisted`), never a source without its
    text. An OSError from the deletion is raised after the curated files are written."""
    write_atomically(removal.files)
    if removal.delete is not None:
        removal.delete.unlink()


def _unknown(curated: CuratedFiles, source_id: str) -> None:
    entry = curated.retired.get(source_id)
    if entry is not None:
        raise UnknownSource(
            f"`{source_id}` was retired in {entry.get('version')} ({entry.get('reason')}); it names no source"
        )
    kinds = sorted(curated.kinds(source_id))
    if kinds:
        raise UnknownSource(f"`{source_id}` is {'an' if kinds[0][0] in 'aeiou' else 'a'} {kinds[0]}, not a source")
    raise UnknownSource(f"no source has id `{source_id}`")


def _citers(curated: CuratedFiles, source_id: str) -> list[str]:
    """Where anything but the source itself names it or one of its spans: each account's span
    (file:line, and the record), each retired id replaced by it or by one of its spans."""
    found = []
    for f in curated.files:
        for i, record in enumerate(f.data):
            if f.kind in RECORD_KINDS:
                evidence = record.get("evidence")
                for j, span in enumerate(evidence if isinstance(evidence, list) else []):
                    if isinstance(span, dict) and span.get("source") == source_id:
                        found.append(f"{f.where((i, 'evidence', j, 'source'))} ({f.kind} `{record.get('id')}`)")
            elif f.kind == "retired":
                successor = record.get("replaced_by")
                if isinstance(successor, str) and (successor == source_id or successor.startswith(f"{source_id}@")):
                    found.append(
                        f"{f.where((i, 'replaced_by'))} (retired id `{record.get('id')}` is replaced by `{successor}`)"
                    )
    return found


def _published(package: Package, table: str, keep: Callable[[dict[str, str]], bool]) -> list[str | None]:
    """The ids of the rows of data/<table> that `keep` accepts: what the committed tables publish."""
    path = package.root / "data" / table
    if not path.exists():
        return []
    try:
        raw = paths.read_file(path, package.root, paths.TABLE_LIMIT)
    except paths.Refused as exc:
        raise RemoveRefused(f"{package.rel(path)}: {exc.reason}") from None
    try:
        rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8"), newline="")))
    except (UnicodeDecodeError, csv.Error):
        raise RemoveRefused(f"{package.rel(path)} cannot be read as a table; run `seccoop build` first") from None
    return [row.get("id") for row in rows if keep(row)]


def remove_entry(text: str, index: int) -> tuple[str, int, int]:
    """`text` (a block list of records) without the lines of its entry at `index`: from its dash to
    its last line, comments indented within it included; comments and blank lines at the list's
    own indent before the next entry (or the end) stay, as do every other entry's lines. A list
    left empty reads `[]`. Returns the text and the first and last line removed (from 1)."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if not isinstance(root, yaml.SequenceNode) or root.flow_style:
        raise PatchRefused("it is not a block list (`- id: ...` entries)")
    if not 0 <= index < len(root.value):
        raise PatchRefused(f"no entry {index}")
    lines = text.splitlines(keepends=True)

    def dash_line(node) -> int:
        line = node.start_mark.line
        while line >= 0 and not lines[line].lstrip().startswith("-"):
            line -= 1
        return line

    first = dash_line(root.value[index])
    indent = len(lines[first]) - len(lines[first].lstrip())
    end = dash_line(root.value[index + 1]) if index + 1 < len(root.value) else len(lines)
    while end > first + 1:
        previous = lines[end - 1]
        if previous.strip() and not (
            previous.lstrip().startswith("#") and len(previous) - len(previous.lstrip()) <= indent
        ):
            break
        end -= 1  # a blank line or a comment at the list's indent: it belongs to what follows
    entry = (first + 1, end)  # its own lines, from 1
    if first > 0 and not lines[first - 1].strip() and (end == len(lines) or not lines[end].strip()):
        first -= 1  # one blank line of the two around the entry goes with it
    out = "".join(lines[:first] + lines[end:])
    if yaml.safe_load(out) is None:
        out += ("" if out.endswith("\n") or not out else "\n") + "[]\n"
    return out, *entry
