"""`seccoop texts link`: write `data/curated/locators.yaml` from the texts (docs/links.md).

Every span of a text at hand gets its folded fingerprint, and the text fragment with the fewest
words that selects exactly it. A fragment publishes its words, so a withheld text's fragments are
given within what its quotation budget leaves once its published quotes and words are counted
(seccoop.checks.budget): span by span in a stated priority, the facts a reader most wants to check
first (commitments, events, relations, actors, then a source's own title). A span whose words are
published costs nothing; the others cost the characters of their terms that nothing else
published covers. Spans of a withheld text that is not at hand keep the entry they had.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from seccoop.checks.budget import Usage, budget_usage, quoted_chars
from seccoop.checks.records import Dataset
from seccoop.curator.publish import PRIORITY
from seccoop.model import locators
from seccoop.model.package import KINDS, Package

# Which spans get a fragment first: the kinds of record they support (a source's own title last).
ORDER = {**PRIORITY, "source": len(PRIORITY)}
LOCATORS = "locators.yaml"
# The codes a register being written again may clear: the check runs before the new one is written.
CLEARED = frozenset({"locator-stale", "locator-missing", "locator-mismatch", "fragment-syntax", "fragment-mismatch"})
HEADER = (
    "# Where each span's words are, without its words (docs/links.md): the fingerprint of its folded\n"
    "# words and, where the quotation budget gives one, the text fragment that opens the publisher's page\n"
    "# at them. Written by `seccoop texts link --texts DIR` from the texts: do not edit by hand.\n"
)


@dataclass
class SourceLinks:
    """What one source's spans got: how many, how many with a fragment, and its budget after."""

    source: str
    spans: int = 0
    fragments: int = 0
    kept: int = 0  # entries kept as they were: the text is not at hand
    budget: tuple[int, int, int] | None = None  # (published, allowed, length) of a withheld text
    entries: list[dict] = field(default_factory=list)


class LinkRefused(Exception):
    """The package has errors other than its register's: `seccoop check` says what to fix (exit 1)."""


def link(package: Package) -> tuple[list[SourceLinks], bytes]:
    """Each source's links, and the register's new bytes."""
    from seccoop.published.flow import run

    outcome = run(package, keep_texts=True)
    errors = [p for p in outcome.problems if p.severity == "error" and p.code not in CLEARED]
    if errors and not all(p.code == "quote-budget" for p in errors):
        raise LinkRefused(f"the package has {len(errors)} error(s): run `seccoop check` and fix them first")
    dataset = outcome.dataset
    usage = budget_usage(dataset, fragments=False)
    spans = _spans_by_priority(dataset)
    results = []
    for source in dataset.records["source"]:
        results.append(_link_source(dataset, source.id, spans.get(source.id, []), usage.get(source.id)))
    return results, render(r for result in results for r in result.entries)


def _spans_by_priority(dataset: Dataset) -> dict[str, list[tuple[int, int, int]]]:
    """(priority, start, end) of every span, by source: each at the priority of the first kind of
    record citing it."""
    best: dict[tuple[str, int, int], int] = {}
    for kind in KINDS:
        for record in dataset.records[kind]:
            for span in record.data["evidence"]:
                key = (span["source"], span["start"], span["end"])
                best[key] = min(best.get(key, ORDER[kind]), ORDER[kind])
    out: dict[str, list[tuple[int, int, int]]] = {}
    for (source, start, end), priority in best.items():
        out.setdefault(source, []).append((priority, start, end))
    return {source: sorted(spans) for source, spans in out.items()}


def _link_source(dataset: Dataset, source: str, spans, usage: Usage | None) -> SourceLinks:
    result = SourceLinks(source, spans=len(spans))
    text = dataset.texts.get(source)
    if text is None:  # a withheld text not at hand: its entries stay as they were
        for _, start, end in spans:
            id_ = f"{source}@{start}-{end}"
            if (kept := dataset.locators.get(id_)) is not None:
                result.kept += 1
                result.fragments += kept.fragment is not None
                result.entries.append(_entry(id_, kept.folded_sha256, kept.folded_length, kept.fragment))
        return result
    searcher = locators.Searcher(text)
    spent: set[int] = set()
    for _, start, end in spans:
        digest, length = locators.folded_fingerprint(text[start:end])
        fragment = locators.fragment_for(searcher, start, end)
        if fragment is not None and usage is not None:
            cost = set()
            for (a, b), term in zip(locators.fragment_offsets(fragment, start, end), fragment.words(), strict=True):
                cost |= quoted_chars(a, b, term, usage.names)
            after = len(usage.quoted | spent | cost) + sum(len(w) for w in usage.extra)
            if after > usage.allowed:
                fragment = None
            else:
                spent |= cost
        result.fragments += fragment is not None
        result.entries.append(_entry(f"{source}@{start}-{end}", digest, length, fragment))
    if usage is not None:
        published = len(usage.quoted | spent) + sum(len(w) for w in usage.extra)
        result.budget = (published, usage.allowed, len(text))
    return result


def _entry(id_: str, digest: str, length: int, fragment: locators.Fragment | None) -> dict:
    entry: dict = {"span": id_, "folded_sha256": digest, "folded_length": length}
    if fragment is not None:
        entry["fragment"] = str(fragment)
    return entry


def render(entries) -> bytes:
    """The register: one flow mapping a line, by source and offsets (the same entries, the same
    bytes). A fragment is percent-encoded, so it is plain ASCII and needs no quoting but YAML's."""
    lines = [HEADER]
    for entry in sorted(entries, key=_order):
        fields = [f"span: {entry['span']}", f"folded_sha256: {entry['folded_sha256']}"]
        fields.append(f"folded_length: {entry['folded_length']}")
        if "fragment" in entry:
            fields.append(f"fragment: '{entry['fragment']}'")
        lines.append("- {" + ", ".join(fields) + "}\n")
    return "".join(lines).encode("utf-8")


def _order(entry: dict) -> tuple[str, int, int]:
    return locators.span_place(entry["span"]) or (entry["span"], 0, 0)
