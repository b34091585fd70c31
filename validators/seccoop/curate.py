"""Curator commands: `add-source` brings a new document into seeds/ and records it."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path
from urllib.parse import urlsplit

from . import paths
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
_OPTIONS = {"id": "--id", "language": "--language", "publisher": "--publisher", "url": "--url"}


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
               publisher: str | None = None, url: str | None = None) -> tuple[str, str]:
    """Copy `document` byte for byte into seeds/ as NNN_<sha256[:16]>.txt and append its source
    record (title and date from its first line, sha256, and the first line as evidence) to
    data/curated/sources.yaml. Returns (source id, seed path)."""
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
    seed = package.seeds / f"{len(seeds):03d}_{digest[:16]}.txt"
    record = {"id": source_id, "title": title, "published": date, "language": language,
              "publisher": publisher, "url": url, "path": f"seeds/{seed.name}", "sha256": digest,
              "evidence": [{"source": source_id, "quote": first.strip()}]}
    _check_options(Schemas(package.schema), record)
    updated = append_records(cf.text, [record]).encode("utf-8")
    # What will be on disk must load, strictly, as exactly the records meant.
    meant = [r for _, r in cf.records] + [record]
    again, problems = load_bytes(updated, sources_file, package.rel(sources_file))
    if problems or [r for _, r in again.records] != meant:
        found = "; ".join(f"{p.code}: {p.message}" for p in problems) or "the records differ"
        raise AddSourceRefused(f"the new record would not read back as written ({found})")
    if seed.exists() or seed.is_symlink():
        raise WriteRefused(f"{seed}: exists")
    write_atomically({seed: raw, sources_file: updated})
    return source_id, package.rel(seed)
