"""Sentence ledgers: every sentence of a source's text, as offsets, either recorded (by which
records) or not, and why not (docs/curating.md, "The sentence ledger"). A ledger holds no
words of its text, so it is committed for withheld texts too; `tests/test_ledgers.py` checks
each covers its whole text.

A ledger lives in `data/curated/ledgers/<source-id>.yaml`, one entry per sentence, each record
named by its kind and id (the kind also keeps ids that are names, listed in a row, from reading
as a list the text gives in the same order):

    - {start: 0, end: 74, records: [event/noboa-plan-to-deport-foreign-prisoners]}
    - {start: 74, end: 301, reason: scope}

`python -m seccoop.quality ledger` (`build`, then `render`) splits the text into sentences,
fills `records` from the curated evidence (every record with a span of this source inside the
sentence) and keeps the reasons already written for a sentence of the same offsets; a sentence
no record cites and no reason explains gets `reason: TODO`, for the curator to replace.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from seccoop.model.package import KINDS, PLURAL
from seccoop.model.rights import read_withheld

LEDGERS = "data/curated/ledgers"

# Why a sentence is not recorded: the ledger's own vocabulary (docs/curating.md, "The sentence ledger").
REASONS = {
    "cut": "cut mid-sentence: the excerpt ends (or begins) inside it, so what it asserts is not whole",
    "headline": "a headline, title or section heading that asserts nothing the body does not (the body is recorded)",
    "page": "page furniture: menus, bylines, datelines, captions with no fact, links to other pages",
    "archive": "a line the archive or web store added, not the publisher's",
    "repeat": "the text repeats itself: the first statement of it is recorded",
    "scope": "outside the dataset's scope: background, comment or description that states no actor, "
    "role, event, commitment or quantity of security cooperation against organized crime",
    "vocabulary": "the vocabulary lacks a way to code what it asserts (say so in the issue tracker)",
}
TODO = "TODO"

# A sentence ends at . ! ? or … (with any closing quotes or brackets after it) followed by
# space, unless the word before the stop is an abbreviation; a line end always ends one.
_END = re.compile(r"[.!?…]+[\"'”’»)\]]*(?=\s)")
_ABBREVIATION = re.compile(
    r"(?:\b[A-Za-zÁÉÍÓÚÑáéíóúñ]|\b(?:Gen|Lt|Col|Adm|Amb|Mr|Mrs|Ms|Dr|Sr|Sra|Dra|St|Jan|Feb|Mar|Apr|Aug|Sept?"
    r"|Oct|Nov|Dec|No|Nos|Dept|Gov|Rep|Sen|Pres|Jr|Inc|Co|Corp|Ltd|etc|vs|p|pp|núm|art|EE\.UU|UU))\.\Z"
)


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int


def sentences(text: str) -> list[Sentence]:
    """Contiguous sentences covering the whole text: each holds the space after it, and a
    stretch of nothing but space joins the sentence before it (the first, the one after)."""
    cuts = {0, len(text)}
    for line in re.finditer(r"[^\n]*\n?", text):
        if line.end() > line.start():
            cuts.add(line.end())
        for stop in _END.finditer(text, line.start(), line.end()):
            before = text[max(line.start(), stop.start() - 8) : stop.start() + 1]
            if stop.group().startswith(".") and _ABBREVIATION.search(before):
                continue
            space = re.match(r"[ \t\u00a0]*", text[stop.end() : line.end()])
            cuts.add(stop.end() + (space.end() if space else 0))
    bounds = sorted(c for c in cuts if 0 <= c <= len(text))
    pieces = [Sentence(a, b) for a, b in zip(bounds, bounds[1:], strict=False) if b > a]
    merged: list[Sentence] = []
    for piece in pieces:
        blank = not text[piece.start : piece.end].strip()
        if merged and (blank or not text[merged[-1].start : merged[-1].end].strip()):
            merged[-1] = Sentence(merged[-1].start, piece.end)
        else:
            merged.append(piece)
    return merged


def spans_of(kind: str, entries: Any, source_id: str, text: str):
    """(kind/id, start, end) of every span of the source in a curated list of records of `kind`."""
    for entry in entries or []:
        if not isinstance(entry, dict):
            continue
        for span in entry.get("evidence") or []:
            if not isinstance(span, dict) or span.get("source") != source_id:
                continue
            start, end = span.get("start"), span.get("end")
            quote = span.get("quote")
            if start is None and isinstance(quote, str):
                start = text.find(quote)
            if isinstance(start, int) and start >= 0:
                if end is None and isinstance(quote, str):
                    end = start + len(quote)
                if isinstance(end, int):
                    yield f"{kind}/{entry.get('id')}", start, end


def curated_lists(root: Path) -> list[tuple[str, Any]]:
    """Every curated list with the kind of its records, as the loader reads them: each kind's
    `<kinds>.yaml`, then its folder's files in path order (sources first)."""
    curated = root / "data" / "curated"
    return [
        (kind, read_yaml(file))
        for kind in KINDS
        for file in (curated / f"{PLURAL[kind]}.yaml", *sorted((curated / PLURAL[kind]).glob("*.yaml")))
    ]


def evidence(root: Path, source_id: str, text: str, lists: list | None = None) -> list[tuple[str, int, int]]:
    """Every span of the source in the curated files (`lists`: `curated_lists`, read once by a
    caller that asks for many sources)."""
    return [span for kind, entries in lists or curated_lists(root) for span in spans_of(kind, entries, source_id, text)]


def read_yaml(path: Path) -> Any:
    if not path.is_file():
        return []
    return yaml.safe_load(path.read_text(encoding="utf-8")) or []


def source_record(root: Path, source_id: str) -> dict:
    for source in read_yaml(root / "data" / "curated" / "sources.yaml"):
        if source.get("id") == source_id:
            return source
    raise LookupError(f"no source `{source_id}` in data/curated/sources.yaml")


def source_text(package, source: dict) -> str:
    if source["text"] == "included":
        return (package.root / source["path"]).read_text(encoding="utf-8")
    return read_withheld(package, source["sha256"])[0].decode("utf-8")


def ledger_path(root: Path, source_id: str) -> Path:
    return root / LEDGERS / f"{source_id}.yaml"


def read_ledger(path: Path) -> list[dict]:
    return read_yaml(path)


def build(text: str, spans: list[tuple[str, int, int]], old: list[dict]) -> list[dict]:
    """The ledger's entries: each sentence with the records cited inside it, or its reason."""
    reasons = {(e.get("start"), e.get("end")): e.get("reason") for e in old if isinstance(e, dict)}
    entries = []
    for s in sentences(text):
        records = sorted({rid for rid, a, b in spans if a < s.end and b > s.start})
        if records:
            entries.append({"start": s.start, "end": s.end, "records": records})
        else:
            entries.append({"start": s.start, "end": s.end, "reason": reasons.get((s.start, s.end)) or TODO})
    return entries


def render(source_id: str, entries: list[dict]) -> str:
    lines = [
        f"# Sentence ledger of {source_id}: every sentence of its text by code-point offsets,",
        "# recorded (by which records) or not, and why not (docs/curating.md). No words of the text.",
    ]
    for e in entries:
        if "records" in e:
            lines.append(f"- {{start: {e['start']}, end: {e['end']}, records: [{', '.join(e['records'])}]}}")
        else:
            lines.append(f"- {{start: {e['start']}, end: {e['end']}, reason: {e['reason']}}}")
    return "\n".join(lines) + "\n"
