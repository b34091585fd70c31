"""The figures of the data paper (docs/data-paper.md), read from the published tables: what
the release holds, by source and by kind of record. `python -m seccoop.quality stats` prints them;
tests/test_quality.py holds the paper's tables to its output."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import yaml

RECORDS = ("actors", "relations", "events", "commitments")


def _rows(root: Path, table: str) -> list[dict]:
    with (root / "data" / f"{table}.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _resolutions(root: Path) -> int:
    path = root / "data" / "curated" / "resolutions.yaml"
    return len(yaml.safe_load(path.read_text(encoding="utf-8")) or []) if path.is_file() else 0


def _table(title: str, counts: Counter, total: int) -> list[str]:
    lines = [f"| {title} | sources |", "| --- | ---: |"]
    lines += [f"| {value} | {n} |" for value, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    return [*lines, f"| **all** | {total} |", ""]


def tables(root: Path) -> str:
    sources = _rows(root, "sources")
    n = len(sources)
    lines = _table("language", Counter(s["language"] for s in sources), n)
    lines += _table("publisher", Counter(s["publisher"] for s in sources), n)
    lines += _table("text", Counter(s["text"] for s in sources), n)
    lines += _table("extent", Counter(s["extent"] for s in sources), n)
    lines += _table("dated by", Counter(s["published_from"] for s in sources), n)
    days = sorted(s["published"] for s in sources if s["published"])
    lines += [f"Sources dated to the day: {len(days)}, from {days[0]} to {days[-1]}.", ""] if days else []
    spans = _rows(root, "spans")
    published = sum(1 for s in spans if s["quote"])
    lines += ["| records | count | of them told by two sources or more |", "| --- | ---: | ---: |"]
    for table in RECORDS:
        rows = _rows(root, table)
        lines.append(f"| {table} | {len(rows)} | {sum(1 for r in rows if int(r['source_count']) > 1)} |")
    lines += [
        f"| evidence spans | {len(spans)} | {published} with their words published |",
        f"| quantities | {len(_rows(root, 'quantities'))} | |",
        f"| events coded `other` (no type fits; a note says what) | "
        f"{sum(1 for r in _rows(root, 'events') if r['type'] == 'other')} | |",
        f"| disagreements settled (data/curated/resolutions.yaml) | {_resolutions(root)} | |",
        f"| possibly-same links | {len(_rows(root, 'possibly_same'))} | |",
    ]
    return "\n".join(lines) + "\n"
