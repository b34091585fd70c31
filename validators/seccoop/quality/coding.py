"""A coding, pinned: what one coder recorded of the sample's sources, as offsets, fingerprints
and codes only (docs/quality.md). Both codings of the sample are committed in this form, so the
agreement is reproduced from the repository without any text, and no text's words are in it.

An account (what one source says of one record) is the unit: its spans of that source, and the
codes compared between coders: an actor's and a relation's type; an event's type, status, roles
and date bounds; a commitment's category, strength, status, roles and date bounds. Record ids
are replaced by opaque unit numbers (ids are the coder's words, and differ between coders).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from seccoop.model.package import KINDS
from seccoop.model.rights import fingerprint
from seccoop.quality.ledger import curated_lists

# The record's own fields (docs/accounts.md): given in one account, the record's for all.
OWN = {"actor": ("type",), "relation": ("type",), "event": ("type",), "commitment": ("category",)}


def _bounds(value: Any) -> tuple[str | None, str | None]:
    if isinstance(value, dict):
        return value.get("earliest"), value.get("latest")
    if isinstance(value, str):
        return value, value
    return None, None


def _dates(entry: dict) -> dict[str, str | None]:
    """A happening's date bounds, or a state's (start's earliest, end's latest)."""
    if "date" in entry:
        earliest, latest = _bounds(entry["date"])
    else:
        earliest, latest = _bounds(entry.get("start"))[0], _bounds(entry.get("end"))[1]
    return {"date_earliest": earliest, "date_latest": latest}


def _roles(members: Any) -> str:
    roles = sorted(str(m.get("role")) for m in members or [] if isinstance(m, dict))
    return ",".join(roles)


def _codes(kind: str, entry: dict, own: dict[str, Any]) -> dict[str, Any]:
    codes: dict[str, Any] = {field: own.get(field) for field in OWN[kind]}
    if kind == "event":
        codes |= {"status": entry.get("status"), "roles": _roles(entry.get("participants")), **_dates(entry)}
    elif kind == "commitment":
        codes |= {
            "strength": entry.get("strength"),
            "status": entry.get("status"),
            "roles": _roles(entry.get("parties")),
            **_dates(entry),
        }
    return codes


def _span(span: dict, text: str | None) -> list[Any] | None:
    start, end, quote = span.get("start"), span.get("end"), span.get("quote")
    if start is None and isinstance(quote, str) and text is not None:
        start = text.find(quote)
        start = None if start < 0 else start
    if start is None:
        return None
    if end is None and isinstance(quote, str):
        end = start + len(quote)
    digest = span.get("sha256") or (fingerprint(quote) if isinstance(quote, str) else None)
    return [start, end, digest]


def pin(root: Path, sources: list[str], texts: dict[str, str] | None = None) -> list[dict]:
    """Every account the package at `root` gives from one of `sources`, pinned. `texts` gives
    the text of a source whose quotes are not pinned (an included text)."""
    texts = texts or {}
    lists = curated_lists(root)
    accounts = []
    for kind in OWN:
        entries = [e for of, found in lists if of == kind for e in found if isinstance(e, dict)]
        own: dict[str, dict[str, Any]] = {}
        for e in entries:
            for field in OWN[kind]:
                if e.get(field) is not None:
                    own.setdefault(str(e.get("id")), {}).setdefault(field, e[field])
        for e in entries:
            spans = [s for s in e.get("evidence") or [] if isinstance(s, dict) and s.get("source") in sources]
            if not spans:
                continue
            source = spans[0]["source"]
            pinned = [p for s in spans if (p := _span(s, texts.get(source))) is not None]
            accounts.append(
                {
                    "source": source,
                    "kind": kind,
                    "record": str(e.get("id")),
                    "spans": sorted(pinned),
                    "codes": _codes(kind, e, own.get(str(e.get("id")), {})),
                }
            )
    return renumber(accounts)


def renumber(accounts: list[dict]) -> list[dict]:
    """In a stable order (source, kind, spans), numbered from 1; the coder's ids dropped."""
    accounts = sorted(accounts, key=lambda a: (a["source"], KINDS.index(a["kind"]), a["spans"], a.get("record", "")))
    for n, a in enumerate(accounts, 1):
        a["unit"] = n
        a.pop("record", None)
    return accounts


def write(accounts: list[dict], coder: str, commit: str, path: Path) -> None:
    document = {
        "coder": coder,
        "commit": commit,
        "note": "offsets (code points), fingerprints and codes only: docs/quality.md",
        "accounts": [{k: a[k] for k in ("unit", "source", "kind", "spans", "codes")} for a in accounts],
    }
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1, sort_keys=False) + "\n", encoding="utf-8")


def read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))
