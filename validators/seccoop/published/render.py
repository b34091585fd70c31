"""Render the derived files (CSV tables, the nested JSON, datapackage.json) from checked records.

Pure and streaming: the same dataset writes the same bytes (no clock, no unordered sets), one
row or record at a time, into `Output`s that count and hash them, so `check` compares a fresh
build with the committed files without holding either in memory.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from array import array
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from seccoop.checks.records import Dataset
from seccoop.model.load import load_file
from seccoop.model.package import DESCRIPTOR, DOCUMENT, PLURAL, Package
from seccoop.model.publication import published
from seccoop.model.report import Problem
from seccoop.published.tables import TABLES, codelist_resources, document_records
from seccoop.safety import paths
from seccoop.safety.write import Output

PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
PACKAGE_FIELDS = (
    "name",
    "id",
    "title",
    "description",
    "version",
    "created",
    "homepage",
    "keywords",
    "licenses",
    "contributors",
)
_FLUSH_ROWS = 2000


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def write_csv(output: Output, header: list[str], rows: Iterable) -> None:
    """A CSV table: UTF-8, a header, LF line ends, empty cells for missing values."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for n, row in enumerate(rows, 1):
        writer.writerow([_cell(v) for v in row])
        if n % _FLUSH_ROWS == 0:
            output.write(buffer.getvalue().encode("utf-8"))
            buffer.seek(0)
            buffer.truncate()
    output.write(buffer.getvalue().encode("utf-8"))


def dumps(doc: Any) -> bytes:
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def write_document(output: Output, dataset: Dataset, owners: RowOwners | None = None) -> None:
    """data/seccoop.json: one record a line (compact, diff-friendly, and encoded by json's C
    encoder one record at a time); `owners` gets who yields them (`_owned`)."""
    records = document_records(dataset)
    if owners is not None:
        records = _owned(records, dataset, owners)
    pending = next(records, None)
    output.write(b"{")
    for i, plural in enumerate(PLURAL.values()):
        output.write(f'\n  "{plural}": ['.encode())
        first = True
        while pending is not None and pending[0] == plural:
            line = ("\n    " if first else ",\n    ") + json.dumps(pending[1], ensure_ascii=False)
            output.write(line.encode("utf-8"))
            first = False
            pending = next(records, None)
        output.write(b"]" if first else b"\n  ]")
        output.write(b"," if i < len(PLURAL) - 1 else b"\n}\n")


def load_metadata(package: Package) -> tuple[dict, list[Problem]]:
    """The release metadata in data/curated/package.yaml (name, version, created, licences...)."""
    path = package.curated / "package.yaml"
    cf, problems = load_file(path, package.rel(path), records=False, root=package.root)
    if any(p.severity == "error" for p in problems):
        return {}, problems
    if not isinstance(cf.data, dict):
        return {}, problems + [
            Problem(
                "yaml-not-records",
                "package.yaml must be a mapping of release metadata",
                file=cf.display,
                line=1,
                column=1,
            )
        ]
    missing = [k for k in ("name", "title", "version", "created", "licenses") if k not in cf.data]
    if missing:
        return {}, problems + [
            Problem("schema-required", f"missing field `{missing[0]}`", file=cf.display, line=1, column=1)
        ]
    return cf.data, problems


def _included_texts(dataset: Dataset) -> list[dict]:
    """A resource for each included text, shipped with the package (docs/rights.md): its licence
    named on it, and the credit the licence asks for, so that whoever takes the text from the
    package or the release archive takes its terms with it. A withheld text is no resource."""
    out = []
    for r in dataset.records["source"]:
        data = r.data
        if data["text"] != "included":
            continue
        raw = paths.read_file(dataset.package.root / data["path"], dataset.package.root, paths.SOURCE_LIMIT)
        licence = data["licence"]
        spdx = re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9.+-]*", licence) is not None and "-" in licence
        out.append(
            {
                "name": f"text-{data['id']}",
                "path": data["path"],
                "type": "text",
                "title": data["title"],
                "description": f"The text of source `{data['id']}`, byte for byte as received"
                + (f". {data['attribution']}" if data.get("attribution") else "."),
                "format": "txt",
                "mediatype": "text/plain",
                "encoding": "utf-8",
                "bytes": len(raw),
                "hash": "sha256:" + hashlib.sha256(raw).hexdigest(),
                "licenses": [
                    {"name": licence, **({"path": f"https://spdx.org/licenses/{licence}.html"} if spdx else {})}
                ],
                "sources": [
                    {
                        "title": data.get("attribution") or data["title"],
                        **({"path": data["url"]} if data["url"] != "unknown" else {}),
                    }
                ],
            }
        )
    return out


def _resource(name: str, path: str, output: Output, **extra) -> dict:
    return {"name": name, "path": path, **extra, "bytes": output.size, "hash": "sha256:" + output.sha256}


class RowOwners:
    """Who yields the rows of a derived file, run by run: `ids[k]` (None: no record) yields the
    next `counts[k]` rows. Two flat sequences, not a list per run: at 100k events a check notes
    some 2 million runs."""

    __slots__ = ("ids", "counts")

    def __init__(self, ids: list | None = None, counts: Iterable[int] = ()):
        self.ids: list[str | None] = ids if ids is not None else []
        self.counts = array("I", counts)


def _owned(rows: Iterable, dataset: Dataset, owners: RowOwners) -> Iterator:
    """The rows, noting in `owners` who yields them, as `Dataset.owner` tells (set by the tables
    as they go from record to record)."""
    ids, counts = owners.ids, owners.counts
    dataset.owner = None
    last: Any = owners  # no row yet: nothing is the owner of none
    for row in rows:
        owner = dataset.owner
        if owner is last:
            counts[-1] += 1
        else:
            last = owner
            ids.append(None if owner is None else owner.id)
            counts.append(1)
        yield row


def render(
    dataset: Dataset,
    meta: dict,
    open_output: Callable[[str], Output],
    table_schemas: dict[str, dict],
    owners: dict[str, RowOwners] | None = None,
) -> dict[str, Output]:
    """Write every derived file of the package into `open_output(path)` (paths relative to the
    package root); return the outputs by path. `table_schemas` is each table's Table Schema by
    name (`tables.table_schemas`), derived before rendering: it is only read here. `owners` gets,
    by path, who yields the rows of each table and of the nested document (`_owned`): where a
    record's rows lie among the others' (`seccoop.incremental.recheck`)."""
    outputs: dict[str, Output] = {}
    resources = []
    for table in TABLES:
        output = outputs[table.path] = open_output(table.path)
        rows = table.rows(dataset)
        if owners is not None:
            rows = _owned(rows, dataset, owners.setdefault(table.path, RowOwners()))
        write_csv(output, [c.name for c in table.columns], rows)
        resources.append(
            _resource(
                table.name,
                table.path,
                output,
                type="table",
                title=table.title,
                description=table.description,
                format="csv",
                mediatype="text/csv",
                encoding="utf-8",
                schema=table_schemas[table.name],
            )
        )
    for name, path, title, description, schema in codelist_resources(dataset.schemas):
        raw = dataset.schemas.codelist_bytes[path.rsplit("/", 1)[1]]
        resources.append(
            {
                "name": name,
                "path": path,
                "type": "table",
                "title": title,
                "description": description,
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": schema,
                "bytes": len(raw),
                "hash": "sha256:" + hashlib.sha256(raw).hexdigest(),
            }
        )
    output = outputs[DOCUMENT] = open_output(DOCUMENT)
    write_document(output, dataset, None if owners is None else owners.setdefault(DOCUMENT, RowOwners()))
    resources.append(
        _resource(
            "seccoop",
            DOCUMENT,
            output,
            type="json",
            title="All records, nested",
            description="Every record of the package in one JSON document, shaped as schema/seccoop.schema.json: "
            "sources, actors, relations, events and commitments, each with its evidence spans, and "
            "each record with its sources and every source's account of it (docs/accounts.md).",
            format="json",
            mediatype="application/json",
            encoding="utf-8",
        )
    )
    resources += _included_texts(dataset)
    descriptor: dict[str, Any] = {"$schema": PROFILE}
    descriptor.update({k: meta[k] for k in PACKAGE_FIELDS if k in meta})
    descriptor["sources"] = [
        {
            "title": r.data["title"],
            **({"path": r.data["path"]} if r.data.get("path") else {}),
            **({"version": day} if (day := published(r.data).day) else {}),
            **({"url": r.data["url"]} if r.data.get("url") not in (None, "unknown") else {}),
        }
        for r in dataset.records["source"]
    ]
    descriptor["resources"] = resources
    outputs[DESCRIPTOR] = open_output(DESCRIPTOR)
    outputs[DESCRIPTOR].write(dumps(descriptor))
    return outputs
