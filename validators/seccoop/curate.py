"""Curator commands: `add-source` brings a new document into seeds/ and records it."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path

from .write import WriteRefused, write_atomically
from .checks import _HEADER
from .load import load_file
from .package import Package


class AddSourceRefused(Exception):
    """The document cannot be added as it is (exit 1)."""


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60].strip("-")


def _yaml_text(value: str) -> str:
    """A YAML double-quoted scalar: safe for any title (colons, quotes, `no`)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def add_source(package: Package, document: Path, source_id: str | None = None, language: str = "en",
               publisher: str | None = None, url: str | None = None) -> tuple[str, str]:
    """Copy `document` byte for byte into seeds/ as NNN_<sha256[:16]>.txt and append its source
    record (title and date from its first line, sha256, and the first line as evidence) to
    data/curated/sources.yaml. Returns (source id, seed path)."""
    raw = document.read_bytes()
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
    seeds = sorted(package.seeds.glob("*")) if package.seeds.is_dir() else []
    for seed in seeds:
        if seed.is_file() and hashlib.sha256(seed.read_bytes()).hexdigest() == digest:
            raise AddSourceRefused(f"{document}: already in the package as {package.rel(seed)}")
    source_id = source_id or f"{_slug(title)}-{date}"
    sources_file = package.curated / "sources.yaml"
    cf, problems = load_file(sources_file, package.rel(sources_file))
    if any(p.severity == "error" for p in problems):
        raise AddSourceRefused(f"{package.rel(sources_file)} has errors; run `seccoop check` and fix them first")
    if any(r.get("id") == source_id for _, r in cf.records):
        raise AddSourceRefused(f"a source with id `{source_id}` exists; give another with --id")
    seed = package.seeds / f"{len(seeds):03d}_{digest[:16]}.txt"
    quote = first.strip()
    record = "\n".join([
        f"- id: {source_id}",
        f"  title: {_yaml_text(title)}",
        f'  published: "{date}"',
        f"  language: {language}",
        f"  publisher: {_yaml_text(publisher) if publisher else 'null'}",
        f"  url: {_yaml_text(url) if url else 'null'}",
        f"  path: seeds/{seed.name}",
        f"  sha256: {digest}",
        "  evidence:",
        f"    - source: {source_id}",
        f"      quote: {_yaml_text(quote)}",
    ]) + "\n"
    current = cf.text if cf.text.strip() not in ("", "[]") else ""
    if current and not current.endswith("\n"):
        current += "\n"
    updated = (current + ("\n" if current else "") + record).encode("utf-8")
    if seed.exists():
        raise WriteRefused(f"{seed}: exists")
    write_atomically({seed: raw, sources_file: updated})
    return source_id, package.rel(seed)
