"""Curator commands: `add-source` brings a new document into the package and records it: an
included text into seeds/, a withheld one into the texts folder (docs/rights.md)."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path
from urllib.parse import urlsplit

from . import paths, rights
from .write import WriteRefused, write_atomically
from .checks import _HEADER
from .load import load_bytes, load_file
from .package import Package
from .schemas import Schemas
from .yamlwrite import append_records


class AddSourceRefused(Exception):
    """The document cannot be added as it is (exit 1)."""


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60].strip("-")


# The record's fields that come from the command line, by the option that gives them.
_OPTIONS = {"id": "--id", "language": "--language", "publisher": "--publisher", "url": "--url",
            "text": "--text", "licence": "--licence"}


def _check_options(schemas: Schemas, record: dict) -> None:
    """Each value given on the command line, checked before anything is written, naming its option."""
    pattern = schemas.resolve("source", "language")["pattern"]
    if not re.fullmatch(pattern.removeprefix("^").removesuffix("$"), record["language"]):
        raise AddSourceRefused(f"--language {record['language']!r} is not a BCP 47 language tag "
                               "(such as en, es or pt-BR)")
    url = record["url"]
    if url is not None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() or not c.isprintable() for c in url):
            raise AddSourceRefused(f"--url {url!r} is not an http:// or https:// address")
    for error in schemas.validators["source"].iter_errors(record):
        field = next((p for p in error.absolute_path if isinstance(p, str)), None)
        where = _OPTIONS.get(field, f"the document's `{field}`" if field else "the record")
        raise AddSourceRefused(f"{where}: {error.message}")


def add_source(package: Package, document: Path, source_id: str | None = None, language: str = "en",
               publisher: str | None = None, url: str | None = None, text_rights: str = "withheld",
               licence: str = "unknown") -> tuple[str, str]:
    """Copy `document` byte for byte into the package and append its source record (title and date
    from its first line, rights, sha256, length and normalized hash, and the first line as
    evidence) to data/curated/sources.yaml. An included text goes to seeds/ as
    NNN_<sha256[:16]>.txt; a withheld one to the texts folder as <sha256>.txt, and its evidence is
    pinned. Returns (source id, where the text was put)."""
    if text_rights == "included" and licence.strip().lower() == "unknown":
        raise AddSourceRefused("--text included needs --licence naming the licence that allows republishing "
                               "the text (such as CC-BY-4.0); a text whose licence is unknown is withheld")
    try:  # the user named this file: it may lie anywhere, but must be a regular file of a sane size
        raw = paths.read_file(document, None, paths.DOCUMENT_LIMIT)
    except paths.Refused as exc:
        raise AddSourceRefused(f"{document}: {exc.reason}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise AddSourceRefused(f"{document}: not UTF-8 (byte {exc.start}); convert it first") from None
    first = text.split("\n", 1)[0]
    header = _HEADER.match(first)
    if header is None:
        raise AddSourceRefused(f"{document}: the first line must read `date YYYY-MM-DD TITLE`")
    date, title = header.group(1), header.group(2).rstrip()
    digest = hashlib.sha256(raw).hexdigest()
    normalized = rights.normalized_sha256(text)
    known_sources = _recorded_sources(package)
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
            known = hashlib.sha256(paths.read_file(seed, package.root, paths.SOURCE_LIMIT)).hexdigest()
        except paths.Refused:
            continue  # not a document seccoop reads; `seccoop check` says why
        if known == digest:
            raise AddSourceRefused(f"{document}: already in the package as {package.rel(seed)}")
    source_id = source_id or f"{_slug(title)}-{date}"
    sources_file = package.curated / "sources.yaml"
    cf, problems = load_file(sources_file, package.rel(sources_file), root=package.root)
    if any(p.severity == "error" for p in problems):
        raise AddSourceRefused(f"{package.rel(sources_file)} has errors; run `seccoop check` and fix them first")
    if any(r.get("id") == source_id for _, r in cf.records):
        raise AddSourceRefused(f"a source with id `{source_id}` exists; give another with --id")
    quote = first.strip()
    if text_rights == "included":
        target = package.seeds / f"{len(seeds):03d}_{digest[:16]}.txt"
        where = {"path": f"seeds/{target.name}"}
        evidence = {"source": source_id, "quote": quote}
    else:
        folder, _ = rights.texts_folder(package)
        target = folder / f"{digest}.txt"
        where = {}
        start = text.index(quote)
        evidence = {"source": source_id, "quote": quote, "start": start, "end": start + len(quote),
                    "sha256": rights.fingerprint(quote)}
    record = {"id": source_id, "title": title, "published": date, "language": language,
              "publisher": publisher, "url": url, "text": text_rights, "licence": licence, **where,
              "sha256": digest, "length": len(text), "normalized_sha256": normalized, "evidence": [evidence]}
    _check_options(Schemas(package.schema), record)
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
    return source_id, package.rel(target)


def _recorded_sources(package: Package) -> list[dict]:
    """Every source record the curated files hold, as written (for finding a text added twice)."""
    found = []
    for file in package.curated_files("source"):
        cf, _ = load_file(file, package.rel(file), root=package.root)
        found += [r for _, r in cf.records]
    return found
