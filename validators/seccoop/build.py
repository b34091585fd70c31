"""Render the derived files (CSV tables, the nested JSON, datapackage.json) and write them atomically.

`render` is pure: the same dataset gives the same bytes (no clock, no unordered sets), so `check`
can compare what is committed with what `build` would write, byte for byte.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

from .checks import Dataset
from .load import load_file
from .package import DESCRIPTOR, DOCUMENT, Package
from .report import Problem
from .tables import TABLES, document, table_schema

PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
PACKAGE_FIELDS = ("name", "id", "title", "description", "version", "created", "homepage", "keywords",
                  "licenses", "contributors")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def render_csv(header: list[str], rows) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return buf.getvalue().encode("utf-8")


def dumps(doc: Any) -> bytes:
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def load_metadata(package: Package) -> tuple[dict, list[Problem]]:
    """The release metadata in data/curated/package.yaml (name, version, created, licences...)."""
    path = package.curated / "package.yaml"
    cf, problems = load_file(path, package.rel(path), records=False)
    if any(p.severity == "error" for p in problems):
        return {}, problems
    if not isinstance(cf.data, dict):
        return {}, problems + [Problem("yaml-not-records", "package.yaml must be a mapping of release metadata",
                                       file=cf.display, line=1, column=1)]
    missing = [k for k in ("name", "title", "version", "created", "licenses") if k not in cf.data]
    if missing:
        return {}, problems + [Problem("schema-required", f"missing field `{missing[0]}`", file=cf.display,
                                       line=1, column=1)]
    return cf.data, problems


def _resource_entry(name: str, path: str, data: bytes, **extra) -> dict:
    entry = {"name": name, "path": path}
    entry.update(extra)
    entry["bytes"] = len(data)
    entry["hash"] = "sha256:" + hashlib.sha256(data).hexdigest()
    return entry


def render(dataset: Dataset, meta: dict) -> dict[str, bytes]:
    """Every derived file of the package, by its path relative to the package root."""
    files: dict[str, bytes] = {}
    resources = []
    for table in TABLES:
        data = render_csv([c.name for c in table.columns], table.rows(dataset))
        files[table.path] = data
        resources.append(_resource_entry(
            table.name, table.path, data, type="table", title=table.title, description=table.description,
            format="csv", mediatype="text/csv", encoding="utf-8", schema=table_schema(table, dataset.schemas)))
    doc = dumps(document(dataset))
    files[DOCUMENT] = doc
    resources.append(_resource_entry(
        "seccoop", DOCUMENT, doc, type="json", title="All records, nested",
        description="Every record of the package in one JSON document, shaped as schema/seccoop.schema.json: "
                    "sources, actors, relations, events and commitments, each with its evidence spans.",
        format="json", mediatype="application/json", encoding="utf-8"))
    descriptor: dict[str, Any] = {"$schema": PROFILE}
    descriptor.update({k: meta[k] for k in PACKAGE_FIELDS if k in meta})
    descriptor["sources"] = [
        {"title": r.data["title"], "path": r.data["path"], "version": r.data["published"],
         **({"url": r.data["url"]} if r.data.get("url") else {})}
        for r in dataset.records["source"]
    ]
    descriptor["resources"] = resources
    files[DESCRIPTOR] = dumps(descriptor)
    return files


def stale_files(package: Package, files: dict[str, bytes]) -> list[tuple[str, str]]:
    """(path, why) for each derived file on disk that differs from `files`, and each extra CSV."""
    out = []
    for rel, data in files.items():
        path = package.root / rel
        try:
            current = path.read_bytes()
        except FileNotFoundError:
            out.append((rel, "missing"))
            continue
        except OSError as exc:
            out.append((rel, f"unreadable ({exc.strerror})"))
            continue
        if current != data:
            out.append((rel, "differs from a fresh build"))
    expected = {rel for rel in files if rel.endswith(".csv")}
    data_dir = package.root / "data"
    if data_dir.is_dir():
        for extra in sorted(data_dir.glob("*.csv")):
            rel = package.rel(extra)
            if rel not in expected:
                out.append((rel, "is not written by `seccoop build`"))
    return out


class WriteRefused(Exception):
    """A target path cannot be written (a folder where a file should be, read-only)."""


def write_atomically(targets: dict[Path, bytes]) -> list[Path]:
    """Write files so that each is either its old or its new self: every new file goes to a
    temporary file beside its target first, and only when all are written are they renamed into
    place. A failure before the renames leaves every old file untouched. Unchanged files are
    not rewritten. Returns the paths that changed."""
    for path in targets:
        if path.is_dir():
            raise WriteRefused(f"{path}: is a folder, not a file")
        # The mode bit, not only access(): root may write anything, but a file someone marked
        # read-only is not ours to replace.
        if path.exists() and (not os.access(path, os.W_OK) or not path.stat().st_mode & stat.S_IWUSR):
            raise WriteRefused(f"{path}: is read-only")
    changed = {p: d for p, d in targets.items() if not (p.is_file() and p.read_bytes() == d)}
    staged: list[tuple[Path, Path]] = []
    try:
        for path, data in changed.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            staged.append((Path(tmp), path))
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            if path.exists():
                os.chmod(tmp, path.stat().st_mode & 0o777)
            else:
                os.chmod(tmp, 0o644)
    except BaseException:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise
    for tmp, path in staged:
        os.replace(tmp, path)
    return sorted(changed)


class BuildFailed(Exception):
    """The curated data has errors; nothing was written. Carries the report."""

    def __init__(self, report):
        super().__init__(f"{len(report.errors)} error(s)")
        self.report = report


def build(path: str | Path | None = None) -> list[str]:
    """Check the curated data of a checkout and write its derived files. Returns the paths that
    changed. Raises BuildFailed (nothing written) when the data has errors."""
    from .flow import run
    from .package import find_package, is_installed_copy
    from .report import Report
    from .schemas import SchemaBroken

    package = find_package(path, allow_bundled=False)
    if is_installed_copy(package):
        raise WriteRefused(f"{package.root}: this is the copy installed with seccoop; build works on a checkout")
    try:
        outcome = run(package)
    except SchemaBroken as exc:
        raise BuildFailed(Report(str(package.root), [Problem("internal-schema", str(exc))])) from None
    if outcome.files is None:
        raise BuildFailed(Report(str(package.root), outcome.problems))
    changed = write_atomically({package.root / rel: data for rel, data in outcome.files.items()})
    return [package.rel(p) for p in changed]
