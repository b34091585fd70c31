"""`seccoop resolve`: settle one field of a record in data/curated/resolutions.yaml, with what the
resolution saw (docs/accounts.md, "Resolutions"). The `saw` list holds each account that gives
the field, by source and value, as the curated files hold them now: an account the resolution did
not see that disagrees with it later is reported (`resolution-stale`), never hidden.

An earlier resolution of the same field is replaced (its lines give way to the new entry; every
other line of the file is kept); otherwise the entry is appended. The new file is read back with
the strict loader and the entry checked against its schema before anything is written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from seccoop.curator.identity import (
    RECORD_KINDS,
    RESOLUTIONS,
    BadArguments,
    CuratedFiles,
    IdentityRefused,
    verified_bytes,
)
from seccoop.curator.yamlwrite import append_records, emit_records
from seccoop.model import publication
from seccoop.model.package import Package
from seccoop.model.schemas import Schemas


@dataclass
class Settlement:
    """What `resolve` writes: the entry, the file and its new bytes, and where an earlier
    resolution of the field stood (None: appended)."""

    entry: dict
    path: Path
    data: bytes
    replaced: int | None  # the line (from 1) of the earlier resolution it replaces


def parse_value(text: str) -> Any:
    """A `--value` as YAML (a word, a number, `{earliest: 2024-01-15, ...}`), dates as their ISO
    text as the curated files write them."""
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise BadArguments(f"--value is not YAML: {exc}") from None
    return _plain(value)


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def resolve(package: Package, record: str, field: str, value: Any, reason: str) -> Settlement:
    """The resolution of `field` of `record` as `value`, with every account's value of it as seen
    now. Raises BadArguments (exit 2) or IdentityRefused (exit 1); writes nothing."""
    if not reason or not reason.strip():
        raise BadArguments("--reason is required: say which source is followed, and why")
    curated = CuratedFiles.read(package)
    accounts = [(f, i) for f, i in curated.accounts_of(record) if f.kind in RECORD_KINDS]
    if not accounts:
        raise IdentityRefused(f"no account of an actor, relation, event or commitment has id `{record}`")
    saw = []
    for f, i in accounts:
        data = f.data[i]
        if data.get(field) is not None:
            spans = data.get("evidence") or [{}]
            saw.append({"source": spans[0].get("source"), "value": data[field]})
    dated = {
        data.get("id"): publication.published(data).order()
        for f in curated.files
        if f.kind == "source"
        for data in f.data
        if isinstance(data, dict) and data.get("published")
    }
    saw.sort(key=lambda seen: (dated.get(seen["source"], ("", "")), str(seen["source"])))  # as the merge orders them
    entry = {"record": record, "field": field, "value": value, "reason": reason.strip(), "saw": saw}
    validator = Schemas(package.schema).validators["resolution"]
    errors = list(validator.detailed.iter_errors(entry))
    if errors:
        where = "/".join(str(p) for p in errors[0].absolute_path) or "the resolution"
        raise IdentityRefused(f"not a resolution: {where}: {errors[0].message}")
    path = package.curated / RESOLUTIONS
    register = next((f for f in curated.files if f.kind == "resolutions"), None)
    text = register.cf.text if register is not None else ""
    earlier = [
        n
        for n, data in enumerate(register.data if register is not None else [])
        if data.get("record") == record and data.get("field") == field
    ]
    if earlier and register is not None:
        text, line = _replace_entry(text, earlier[0], entry)
        expected = [entry if n == earlier[0] else data for n, data in enumerate(register.data)]
    else:
        text, line = append_records(text, [entry]), None
        expected = [*(register.data if register is not None else []), entry]
    return Settlement(entry, path, verified_bytes(package, path, text, expected), line)


def _replace_entry(text: str, index: int, entry: dict) -> tuple[str, int]:
    """`text` with the `index`-th entry of its top-level list replaced by `entry`, and the line
    (from 1) where it stood. The lines from the entry's dash to the next entry (or the end) give
    way; every other line is kept."""
    root = yaml.compose(text)
    assert isinstance(root, yaml.SequenceNode)
    node = root.value[index]
    lines = text.splitlines(keepends=True)
    start = node.start_mark.line
    nxt = root.value[index + 1].start_mark.line if index + 1 < len(root.value) else len(lines)
    end = nxt
    while end > start + 1 and (lines[end - 1].lstrip().startswith("#") or not lines[end - 1].strip()):
        end -= 1  # blank lines and a comment just above the next entry stay with it
    return "".join(lines[:start]) + emit_records([entry]) + "".join(lines[end:]), start + 1
