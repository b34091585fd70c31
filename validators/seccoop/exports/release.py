"""`seccoop export --format zip`: the release archive, one file to download and cite.

It holds the Data Package as published (the descriptor, every data file it names, the codelists it
reads in place), the JSON Schemas, the texts of included sources, and the files a user reads first
(README, licence, citation, changelog). No curated YAML and no withheld text (docs/rights.md):
a withheld text is not in the package folder at all, and seeds/ enters only with the files that
data/sources.csv marks included. The same package gives the same bytes: members in path order,
each dated with the release date (`created`), mode 0644, compressed alike. `frictionless validate`
reads it as it is: the descriptor lies at the archive's root.
"""

from __future__ import annotations

import csv
import io
import json
import os
import zipfile
from pathlib import Path

from seccoop.exports.errors import ExportRefused
from seccoop.exports.published import Published
from seccoop.exports.request import Request, emit
from seccoop.safety import paths
from seccoop.safety.write import Output

# What a reader opens first; a release is made from a checkout, which has them all.
READER_FILES = ("README.md", "LICENSE", "CITATION.cff", "CHANGELOG.md")
RELEASE_LIMIT = 1024 * paths.MiB


class NotACheckout(Exception):
    """The package has no README, licence, citation or changelog: not a checkout (exit 2)."""


def members(root: Path) -> list[str]:
    """The archive's members, as paths from the package root, in the order they are written."""
    descriptor = json.loads(paths.read_file(root / "datapackage.json", root, paths.DOCUMENT_LIMIT))
    found = {"datapackage.json"} | {r["path"] for r in descriptor["resources"]}
    missing = [name for name in READER_FILES if not (root / name).is_file()]
    if missing:
        raise NotACheckout(f"{root}: no {', '.join(missing)}; a release archive is made from a checkout")
    found |= set(READER_FILES)
    schema = root / "schema"
    found |= {
        p.relative_to(root).as_posix()
        for p, is_link in paths.walk(schema, root)
        if not is_link and p.suffix in (".json", ".csv")
    }
    with io.StringIO(
        paths.read_file(root / "data" / "sources.csv", root, paths.DOCUMENT_LIMIT).decode("utf-8"), newline=""
    ) as f:
        found |= {row["path"] for row in csv.DictReader(f) if row["text"] == "included" and row["path"]}
    return sorted(found)


class _Stream:
    """The archive's sink as zipfile sees it: written in order, never sought back into, so the
    archive streams through `output` (members carry their sizes after their data) and memory
    stays flat however large the package (a 700 MB seccoop.json at 100k events)."""

    def __init__(self, output: Output):
        self.output = output

    def write(self, data: bytes) -> int:
        self.output.write(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass  # the stream is the caller's; zipfile closes only a file it opened itself


def export_release(published: Published, request: Request) -> list[str]:
    """The release archive into --out, from a checkout whose reader files are all there."""
    out = request.needs_out("zip needs --out FILE (the release archive)")
    root = published.package.root
    try:
        members(root)  # a checkout's files are all there, before anything is written
    except NotACheckout as exc:
        raise ExportRefused(str(exc)) from None

    def write(output: Output) -> None:
        write_release(root, output)

    return emit({out: write}, request.stdout)


def write_release(root: Path, output: Output) -> str:
    """Write the archive of the package at `root` into `output` (which counts and hashes it);
    return its sha256. The same package gives the same bytes."""
    descriptor = json.loads(paths.read_file(root / "datapackage.json", root, paths.DOCUMENT_LIMIT))
    created = descriptor.get("created", "1980-01-01")[:10]
    year, month, day = (int(x) for x in created.split("-"))
    stamp = (max(year, 1980), month, day, 0, 0, 0)
    with zipfile.ZipFile(_Stream(output), "w") as archive:
        for name in members(root):
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so that the mode below is read as such
            info.external_attr = 0o100644 << 16
            with paths.open_file(root / name, root, RELEASE_LIMIT) as src:
                info.file_size = os.fstat(src.fileno()).st_size  # zipfile decides on ZIP64 from it
                with archive.open(info, "w") as member:
                    for chunk in iter(lambda: src.read(1 << 20), b""):
                        member.write(chunk)
    return output.sha256
