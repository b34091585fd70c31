"""Choose the sample of sources coded twice, before any of them is coded (docs/quality.md).

The draw is stratified by language and kind and seeded, so that it is reproduced from the
curators' catalog alone: the same catalog and seed give the same sample. What it writes holds no
words of any text: each source's sha256, language, kind and stratum.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from pathlib import Path

SEED = 26  # the issue that asked for the sample; changing it is choosing another sample

# The kinds of the catalog, grouped: a stratum per language and group. Government statements are
# their own group (their wording of commitments differs from news); interviews, opinion,
# analysis and encyclopedias are few, and share one.
KIND_GROUPS = {
    "news": "news",
    "wire": "wire",
    "government": "government",
    "interview": "other",
    "opinion": "other",
    "analysis": "other",
    "encyclopedia": "other",
}

# How many sources each stratum gives: at least 8 in all, every language and every group of
# kinds drawn, and at least 5 withheld news or wire texts (the texts the budget hides, where a
# reader must trust the offsets most).
ALLOCATION = {
    ("es", "news"): 3,
    ("es", "wire"): 2,
    ("pt", "news"): 1,
    ("en", "government"): 1,
    ("en", "other"): 1,
}


@dataclass(frozen=True)
class Entry:
    sha256: str
    language: str
    kind: str

    @property
    def stratum(self) -> tuple[str, str]:
        return (self.language, KIND_GROUPS.get(self.kind, "other"))


def read_catalog(path: Path, exclude: set[str]) -> list[Entry]:
    """The catalog's entries, less those already curated (the seed article), in sha256 order
    (so that the draw does not depend on the catalog's row order)."""
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    entries = [Entry(r["sha256"], r["language"], r["kind"]) for r in rows if r["sha256"] not in exclude]
    return sorted(entries, key=lambda e: e.sha256)


def draw(entries: list[Entry], seed: int = SEED) -> list[Entry]:
    """The sample: from each stratum of ALLOCATION, its number of entries drawn without
    replacement by one seeded generator, strata taken in sorted order."""
    rng = random.Random(seed)
    chosen: list[Entry] = []
    for stratum in sorted(ALLOCATION):
        members = [e for e in entries if e.stratum == stratum]
        if len(members) < ALLOCATION[stratum]:
            raise ValueError(f"stratum {stratum} has {len(members)} source(s), fewer than {ALLOCATION[stratum]}")
        chosen.extend(rng.sample(members, ALLOCATION[stratum]))
    return chosen


def write(chosen: list[Entry], path: Path) -> None:
    lines = ["sha256\tlanguage\tkind\tstratum"]
    lines += [f"{e.sha256}\t{e.language}\t{e.kind}\t{'/'.join(e.stratum)}" for e in chosen]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def read(path: Path) -> list[Entry]:
    with path.open(encoding="utf-8", newline="") as f:
        return [Entry(r["sha256"], r["language"], r["kind"]) for r in csv.DictReader(f, delimiter="\t")]
