"""How far two codings of the same sources agree, measured as content analysis measures it
(docs/quality.md):

1. Unitizing: accounts of one source and kind are matched one to one by their evidence. Two
   accounts can match where the characters their spans share are at least half of the shorter
   one's; the pairs are taken greedily, the largest share (of the longer one) first. Matched
   accounts are the records both coders found; precision, recall and F1 per kind follow, with
   the first coding (the dataset's) as the reference (F1 is the same either way round).
2. Coding: for the matched pairs, each code compared (type, status, strength, category, roles,
   date bounds) gets its observed agreement, Cohen's kappa and Krippendorff's alpha (nominal,
   two coders). A value left empty is a value of its own, "(none)": an open date bound is a
   coding decision, and two coders who both leave it open agree.

The pairs are taken greedily (largest share first), which can leave a pair unmatched that a
maximum matching would take; roles are compared as the multiset of role codes, without the
actors that hold them; dates are compared as nominal values (a day off counts as a year off).
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
                values.append((MISSING if va is None else str(va), MISSING if vb is None else str(vb)))
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
                found.append((a["kind"], code, a["unit"], b["unit"], _shown(va), _shown(vb)))
    return found


def _shown(value) -> str:
    return MISSING if value is None else str(value)


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


def settlement(first: list[dict], second: list[dict], now: list[dict]) -> str:
    """How the dataset (`now`: the package's accounts of the sample, pinned as it stands) settled
    each disagreement between the codings: for every coded disagreement of a matched pair, whether
    the dataset's value is now the second coder's, still the first coder's, or neither; for every
    account one coder has and the other not, whether the dataset holds it now."""
    pairs = match(first, second)
    to_now = {a["unit"]: n for a, n in match(first, now)}
    b_now = {b["unit"] for b, _ in match(second, now)}
    rows: dict[tuple[str, str], Counter] = {}
    for a, b in pairs:
        for code in CODES[a["kind"]]:
            va, vb = a["codes"].get(code), b["codes"].get(code)
            if va == vb:
                continue
            current = to_now.get(a["unit"])
            if current is None:
                outcome = "record merged or gone"
            else:
                vn = current["codes"].get(code)
                outcome = "as the second coder" if vn == vb else "kept as first coded" if vn == va else "coded anew"
            rows.setdefault((a["kind"], code), Counter())[outcome] += 1
    outcomes = ("as the second coder", "kept as first coded", "coded anew", "record merged or gone")
    lines = ["| kind | code | disagreements | " + " | ".join(outcomes) + " |", "| --- | --- | ---: |" + " ---: |" * 4]
    total: Counter = Counter()
    for (kind, code), counts in sorted(rows.items(), key=lambda kv: (KIND_ORDER.index(kv[0][0]), kv[0][1])):
        total.update(counts)
        lines.append(
            f"| {kind} | {code} | {sum(counts.values())} | " + " | ".join(str(counts[o]) for o in outcomes) + " |"
        )
    lines.append(f"| **all** | | {sum(total.values())} | " + " | ".join(str(total[o]) for o in outcomes) + " |")
    matched_a, matched_b = {a["unit"] for a, _ in pairs}, {b["unit"] for _, b in pairs}
    only_b = [b for b in second if b["unit"] not in matched_b]
    only_a = [a for a in first if a["unit"] not in matched_a]
    lines += [
        "",
        "| accounts only one coder has | count | in the dataset now |",
        "| --- | ---: | ---: |",
        f"| second coder only | {len(only_b)} | {sum(1 for b in only_b if b['unit'] in b_now)} |",
        f"| first coder only | {len(only_a)} | {sum(1 for a in only_a if a['unit'] in to_now)} |",
    ]
    return "\n".join(lines) + "\n"
