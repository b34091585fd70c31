"""How far two codings of the same sources agree, measured as content analysis measures it
(docs/quality.md):

1. Unitizing: accounts of one source and kind are matched one to one by their evidence. Two
   accounts can match where the characters their spans share are at least half of the shorter
   one's; the pairs are taken greedily, the largest share (of the longer one) first. Matched
   accounts are the records both coders found; precision, recall and F1 per kind follow, with
   the first coding (the dataset's) as the reference (F1 is the same either way round).
2. Coding: for the matched pairs, each code compared (type, status, strength, category, roles,
   date bounds) gets its observed agreement, Cohen's kappa and Krippendorff's alpha (nominal,
   two coders; a code neither coder gives is left out of that code's pairs).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

KIND_ORDER = ("actor", "relation", "event", "commitment")
CODES = {
    "actor": ("type",),
    "relation": ("type",),
    "event": ("type", "status", "roles", "date_earliest", "date_latest"),
    "commitment": ("category", "strength", "status", "roles", "date_earliest", "date_latest"),
}
MISSING = "(none)"


def _chars(account: dict) -> set[int]:
    return {i for start, end, _ in account["spans"] for i in range(start, end)}


def match(first: list[dict], second: list[dict]) -> list[tuple[dict, dict]]:
    """One-to-one pairs of accounts of the same source and kind whose evidence overlaps by at
    least half the characters of the shorter."""
    candidates = []
    for a in first:
        ca = _chars(a)
        for b in second:
            if (a["source"], a["kind"]) != (b["source"], b["kind"]):
                continue
            cb = _chars(b)
            shared = len(ca & cb)
            if ca and cb and shared * 2 >= min(len(ca), len(cb)):
                candidates.append((shared / max(len(ca), len(cb)), shared, a["unit"], b["unit"], a, b))
    candidates.sort(key=lambda c: (-c[0], -c[1], c[2], c[3]))
    used_a: set[int] = set()
    used_b: set[int] = set()
    pairs = []
    for _, _, ua, ub, a, b in candidates:
        if ua in used_a or ub in used_b:
            continue
        used_a.add(ua)
        used_b.add(ub)
        pairs.append((a, b))
    return pairs


@dataclass
class Unitizing:
    kind: str
    first: int
    second: int
    matched: int

    @property
    def precision(self) -> float | None:
        return self.matched / self.second if self.second else None

    @property
    def recall(self) -> float | None:
        return self.matched / self.first if self.first else None

    @property
    def f1(self) -> float | None:
        total = self.first + self.second
        return 2 * self.matched / total if total else None


@dataclass
class CodeAgreement:
    kind: str
    code: str
    pairs: int
    agreed: int
    kappa: float | None
    alpha: float | None


def cohen_kappa(values: list[tuple[str, str]]) -> float | None:
    n = len(values)
    if not n:
        return None
    observed = sum(a == b for a, b in values) / n
    left, right = Counter(a for a, _ in values), Counter(b for _, b in values)
    expected = sum(left[c] * right[c] for c in left) / (n * n)
    if expected == 1:
        return None  # one category only: kappa is undefined
    return (observed - expected) / (1 - expected)


def krippendorff_alpha(values: list[tuple[str, str]]) -> float | None:
    """Nominal alpha for two coders and no missing values: 1 - D_o / D_e over the pairable
    values (each unit gives two)."""
    n = 2 * len(values)
    if n < 2:
        return None
    counts = Counter(v for pair in values for v in pair)
    disagreements = sum(2 for a, b in values if a != b)  # o_ck + o_kc for c != k
    expected = n * n - sum(c * c for c in counts.values())
    if expected == 0:
        return None  # one category only: alpha is undefined
    return 1 - (n - 1) * disagreements / expected


def unitizing(first: list[dict], second: list[dict], pairs: list[tuple[dict, dict]]) -> list[Unitizing]:
    return [
        Unitizing(
            kind,
            sum(a["kind"] == kind for a in first),
            sum(b["kind"] == kind for b in second),
            sum(a["kind"] == kind for a, _ in pairs),
        )
        for kind in KIND_ORDER
    ]


def coding(pairs: list[tuple[dict, dict]]) -> list[CodeAgreement]:
    rows = []
    for kind in KIND_ORDER:
        for code in CODES[kind]:
            values = []
            for a, b in pairs:
                if a["kind"] != kind:
                    continue
                va, vb = a["codes"].get(code), b["codes"].get(code)
                if va is None and vb is None:
                    continue
                values.append((str(va) if va is not None else MISSING, str(vb) if vb is not None else MISSING))
            agreed = sum(x == y for x, y in values)
            rows.append(CodeAgreement(kind, code, len(values), agreed, cohen_kappa(values), krippendorff_alpha(values)))
    return rows


def disagreements(pairs: list[tuple[dict, dict]]) -> list[tuple[str, str, int, int, str, str]]:
    """Each coded disagreement: (kind, code, first unit, second unit, first value, second value)."""
    found = []
    for a, b in pairs:
        for code in CODES[a["kind"]]:
            va, vb = a["codes"].get(code), b["codes"].get(code)
            if va != vb:
                found.append((a["kind"], code, a["unit"], b["unit"], str(va), str(vb)))
    return found


def _figure(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.2f}"


def table(first: list[dict], second: list[dict]) -> str:
    """The agreement tables of docs/quality.md, as Markdown."""
    pairs = match(first, second)
    lines = [
        "| kind | first coding | second coding | matched | precision | recall | F1 |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    units = unitizing(first, second, pairs)
    for u in units:
        lines.append(
            f"| {u.kind} | {u.first} | {u.second} | {u.matched} | {_figure(u.precision)} | "
            f"{_figure(u.recall)} | {_figure(u.f1)} |"
        )
    total = Unitizing("all", sum(u.first for u in units), sum(u.second for u in units), len(pairs))
    lines.append(
        f"| **all** | {total.first} | {total.second} | {total.matched} | {_figure(total.precision)} | "
        f"{_figure(total.recall)} | {_figure(total.f1)} |"
    )
    lines += [
        "",
        "| kind | code | matched pairs | agreed | Cohen's kappa | Krippendorff's alpha |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for row in coding(pairs):
        lines.append(
            f"| {row.kind} | {row.code} | {row.pairs} | {row.agreed} | {_figure(row.kappa)} | {_figure(row.alpha)} |"
        )
    return "\n".join(lines) + "\n"
