"""What is published of a withheld text's words (docs/rights.md, "The quotation budget"): every
string that is the text's words counts, and free text the curators write copies none of it.

Counted: published quotes (each character once, however many spans share it) and the words kept
for honorifics, roles, places and quantities. The names of people, states and organizations stay
outside, in a quote too: a name is a fact, and the only way to say who acted. An unnamed
collective's name is a description, which is expression: it is held to free text's rule (no
COPIED_RUN words in a row of the text). The count needs no text, so a package checks the same
with or without its texts; `text-copied` needs the text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from seccoop.checks.records import Dataset, Record
from seccoop.checks.registers import load_register
from seccoop.model import locators, rights
from seccoop.model.memory import reading
from seccoop.model.package import KINDS
from seccoop.model.report import Problem

# The fields of an account that hold its source's words, not the curators': by kind.
WORD_FIELDS = {"actor": ("honorific",), "relation": ("role",), "event": ("place",)}
# The quantity fields that are the source's words (`unit` is the curators' where no words fit).
QUANTITY_WORDS = ("text",)
# Free text the curators write, in the dataset's own words: by kind. A quantity's unit too.
FREE_TEXT = {
    "actor": (),  # an unnamed collective's name and aliases: see _free_text
    "event": ("summary", "note"),
    "commitment": ("action", "conditions"),
}
REGISTER_TEXT = {"resolution": "reason", "possibly-same": "reason"}
REGISTERS = {"resolution": "resolutions.yaml", "possibly-same": "possibly-same.yaml"}
COPIED_RUN = 4  # words in a row of a withheld text that free text may not copy


def source_words(kind: str, data: dict) -> Iterator[tuple[str, tuple]]:
    """The strings of an account that are its source's words, each with its path in the record."""
    for name in WORD_FIELDS.get(kind, ()):
        if data.get(name):
            yield data[name], (name,)
    for i, quantity in enumerate(data.get("quantities") or ()):
        for name in QUANTITY_WORDS:
            yield quantity[name], ("quantities", i, name)


def check_budget(dataset: Dataset) -> list[Problem]:
    """The quotation budget of each withheld text: each published quote at most
    rights.MAX_QUOTE code points, and every published string that is the text's words together at
    most rights.MAX_SHARE of the text: quotes, the words kept for honorifics, roles, places and
    quantities, and the words of text fragments (docs/links.md). A source's own first line or
    title (published as metadata) does not count."""
    problems: list[Problem] = []
    for record, i, length in _long_quotes(dataset):
        problems.append(_too_long(record, i, length))
    for usage in budget_usage(dataset).values():
        if usage.covered > usage.allowed:
            problems.append(_over_budget(usage.source, usage))
    return problems


@dataclass
class Usage:
    """What is published of one withheld text's words: the characters its published quotes and
    fragments cover (less names), the other words kept, and what the budget allows."""

    source: Record
    quoted: set[int]
    fragments: set[int]
    extra: dict[str, tuple[Record, tuple]]
    allowed: int
    spans: dict[tuple[int, int], tuple[Record, int]]
    names: list[str]  # the source's names, longest first: free in a quote or fragment

    @property
    def covered(self) -> int:
        return len(self.quoted | self.fragments) + sum(len(w) for w in self.extra)


def _long_quotes(dataset: Dataset) -> Iterator[tuple[Record, int, int]]:
    for kind in KINDS[1:]:
        for record in dataset.records[kind]:
            for i, span in enumerate(record.data["evidence"]):
                published = span["quote"] is not None and dataset.rights[span["source"]] == "withheld"
                if published and span["length"] > rights.MAX_QUOTE:
                    yield record, i, span["length"]


def budget_usage(dataset: Dataset, fragments: bool = True) -> dict[str, Usage]:
    """Each withheld source's use of its budget, by source id; without `fragments`, the fragments of the
    locators register left out (what `seccoop texts link` starts from)."""
    quotes: dict[str, dict[tuple[int, int], tuple[Record, int]]] = {}
    words: dict[str, dict[str, tuple[Record, tuple]]] = {}
    for kind in KINDS[1:]:
        for record in dataset.records[kind]:
            source = record.data["evidence"][0]["source"]
            if dataset.rights.get(source) == "withheld":
                for text, path in source_words(record.kind, record.data):
                    words.setdefault(source, {}).setdefault(text, (record, path))
            for i, span in enumerate(record.data["evidence"]):
                if span["quote"] is not None and dataset.rights[span["source"]] == "withheld":
                    quotes.setdefault(span["source"], {})[(span["start"], span["end"])] = (record, i)
    names = names_by_source(
        (r.data["evidence"][0]["source"], r.data) for r in dataset.shaped.get("actor", dataset.records["actor"])
    )
    fragment_ranges = _fragment_ranges(dataset) if fragments else {}
    usage = {}
    for source in dataset.records["source"]:
        if source.data["text"] != "withheld":
            continue
        spans, kept = quotes.get(source.id, {}), words.get(source.id, {})
        quoted = {(start, end): r.data["evidence"][i]["quote"] for (start, end), (r, i) in spans.items()}
        # Words a published quote already holds are counted there.
        extra = {w: at for w, at in kept.items() if not any(w in q for q in quoted.values())}
        of_source = names.get(source.id, [])
        covered: set[int] = set()
        for (start, end), quote in quoted.items():
            covered |= quoted_chars(start, end, quote, of_source)
        by_fragments: set[int] = set()
        for start, end, term in fragment_ranges.get(source.id, ()):
            by_fragments |= quoted_chars(start, end, term, of_source)
        allowed = int(rights.MAX_SHARE * source.data["length"])
        usage[source.id] = Usage(source, covered, by_fragments, extra, allowed, spans, of_source)
    return usage


def _fragment_ranges(dataset: Dataset) -> dict[str, list[tuple[int, int, str]]]:
    """(start, end, words) of every fragment term of the locators register, by source."""
    out: dict[str, list[tuple[int, int, str]]] = {}
    for span, locator in dataset.locators.items():
        if locator.fragment is None:
            continue
        place = locators.span_place(span)
        if place is None:  # the register's check says so
            continue
        source, start, end = place
        ranges = locators.fragment_offsets(locator.fragment, start, end)
        out.setdefault(source, []).extend(
            (a, b, term) for (a, b), term in zip(ranges, locator.fragment.words(), strict=True)
        )
    return out


def names_by_source(accounts: Iterable[tuple[str, dict]]) -> dict[str, list[str]]:
    """Each source's names, from (source, actor account) pairs: every name and alias any account
    gives the actors the source has an account of, those of people, states and organizations (an
    actor any account calls a collective has a description, counted), longest first so that a
    quote's longest name is the one found. By source, so that a quote is held to few names."""
    stated: dict[str, set[str]] = {}
    names: dict[str, set[str]] = {}
    collective = set()
    for source, data in accounts:
        id_ = str(data.get("id"))
        stated.setdefault(source, set()).add(id_)
        names.setdefault(id_, set()).update(
            n for n in (data.get("name"), *(data.get("aliases") or ())) if isinstance(n, str) and n
        )
        if data.get("type") == "collective":
            collective.add(id_)
    return {
        source: sorted({n for i in ids - collective for n in names[i]}, key=lambda n: (-len(n), n))
        for source, ids in stated.items()
    }


def quoted_chars(start: int, end: int, quote: str, names: list[str]) -> set[int]:
    """The characters of a text a published quote counts: its own, less those of the names it
    holds ("General Laura Richardson" counts its honorific, not the name)."""
    chars = set(range(start, end))
    for name in names:
        if name in quote:  # cheap first: most names are not in a given quote
            for found in re.finditer(
                rf"(?<!\w){re.escape(name)}(?!\w)", quote
            ):  # whole words: "US" is no part of "USB"
                chars -= set(range(start + found.start(), start + found.end()))
    return chars


def _too_long(record: Record, i: int, length: int) -> Problem:
    return record.problem(
        "quote-budget",
        f"the quote is {length} code points long; a published quote of a withheld text is at most {rights.MAX_QUOTE}",
        "evidence",
        i,
        "quote",
        hint="Quote fewer words, or delete `quote:` once the span is pinned: its offsets and "
        "sha256 stay published and verifiable (docs/rights.md).",
    )


def _over_budget(source: Record, usage: Usage) -> Problem:
    length = source.data["length"]
    largest = sorted(
        [((end - start), r, ("evidence", i, "quote")) for (start, end), (r, i) in usage.spans.items()]
        + [(len(w), r, path) for w, (r, path) in usage.extra.items()],
        key=lambda item: (-item[0], item[1].file.display, item[1].index),
    )[:3]
    where = "; ".join(f"{r.file.display}:{r.file.locate((r.index, *path))[0]} ({n})" for n, r, path in largest)
    others = sum(len(w) for w in usage.extra)
    by_fragments = len(usage.fragments - usage.quoted)
    covered = usage.covered
    return source.problem(
        "quote-budget",
        f"what is published of this withheld text's words (quotes less names {len(usage.quoted)}, text fragments "
        f"{by_fragments}, other words {others}) covers {covered} of its {length} code points ({covered / length:.0%}); "
        f"the budget is {rights.MAX_SHARE:.0%} ({usage.allowed})",
        "text",
        hint="Choose what to publish: `seccoop locate --pin --publish POLICY` keeps what a stated priority "
        "chooses and shows it before writing; or delete `quote:` from some pinned spans; `seccoop texts link` "
        f"gives fragments only within what is left. The largest: {where}.",
    )


# -- free text that copies a withheld text ---------------------------------------------------------

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


def tokens(text: str) -> list[str]:
    """A text's words as compared for copying: NFC, case folded, curly quotes straightened, each
    run of letters and digits a word (punctuation, spacing and line breaks do not count)."""
    return re.findall(r"\w+", unicodedata.normalize("NFC", text).translate(_QUOTES).casefold())


def _runs(words: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


class _Exempt:
    """The strings a summary may repeat although a text has them: the names, aliases,
    honorifics, roles, places and quantity words the records hold (facts, published as such),
    and the published quotes. Kept by first word, so that a text is scanned once."""

    def __init__(self, phrases: Iterable[str]):
        self.by_first: dict[str, set[tuple[str, ...]]] = {}
        for phrase in phrases:
            words = tuple(tokens(phrase))
            if words:
                self.by_first.setdefault(words[0], set()).add(words)

    def covered(self, words: list[str]) -> list[bool]:
        """Which of `words` lie in one of the phrases as the text says it."""
        out = [False] * len(words)
        for i, word in enumerate(words):
            for phrase in self.by_first.get(word, ()):
                if tuple(words[i : i + len(phrase)]) == phrase:
                    out[i : i + len(phrase)] = [True] * len(phrase)
        return out


def copied_text(dataset: Dataset) -> list[Problem]:
    """Free text the curators write (summaries, actions, notes, conditions, quantity units,
    reasons) that copies COPIED_RUN words in a row of a withheld text the record cites, after
    normalizing (`tokens`); a run wholly inside a name or other words the records hold as
    facts is not copying. Only where the text is here to compare; one text at a time, so that
    memory holds the runs of one text only."""
    texts = [s for s, r in dataset.rights.items() if r == "withheld" and s in dataset.texts]
    if not texts:
        return []
    citing: dict[str, list[tuple[Record, str, tuple]]] = {}
    for kind in FREE_TEXT:
        for record in dataset.records[kind]:
            with reading(record.data):  # a record's free text is judged for that record alone
                values = list(_free_text(record))
            for source in dict.fromkeys(span["source"] for span in record.data["evidence"]):
                citing.setdefault(source, []).extend((record, value, path) for value, path in values)
    for kind, name in REGISTER_TEXT.items():
        for entry in load_register(dataset, REGISTERS[kind], kind)[0]:
            if isinstance(entry.data.get(name), str):
                cited = {seen["source"] for seen in entry.data.get("saw") or ()} or texts
                for source in cited:
                    citing.setdefault(source, []).append((entry, entry.data[name], (name,)))
    exempt = _Exempt(_facts(dataset))
    problems, said = [], set()
    for source in sorted(texts):
        runs = _runs(tokens(dataset.texts[source]), COPIED_RUN)
        for record, value, path in citing.get(source, ()):
            key = (record.file.display, record.index, path)
            if key not in said and (run := _copied(value, runs, exempt)) is not None:
                said.add(key)
                problems.append(_copied_problem(record, path, run, source))
    return problems


def _facts(dataset: Dataset) -> Iterator[str]:
    for record in dataset.records["actor"]:
        if record.data.get("type") != "collective":
            yield from (n for n in (record.data.get("name"), *(record.data.get("aliases") or ())) if n)
    for kind in KINDS[1:]:
        for record in dataset.records[kind]:
            yield from (text for text, _ in source_words(record.kind, record.data))
            yield from (span["quote"] for span in record.data["evidence"] if span["quote"])


def _free_text(record: Record) -> Iterator[tuple[str, tuple]]:
    for name in FREE_TEXT[record.kind]:
        if isinstance(record.data.get(name), str):
            yield record.data[name], (name,)
    if record.kind == "actor" and record.data.get("type") == "collective":
        if record.data.get("name"):
            yield record.data["name"], ("name",)
        for i, alias in enumerate(record.data.get("aliases") or ()):
            yield alias, ("aliases", i)
    for i, quantity in enumerate(record.data.get("quantities") or ()):
        yield quantity["unit"], ("quantities", i, "unit")


def _copied(value: str, runs: set, exempt: _Exempt) -> tuple[int, int] | None:
    """The first run of COPIED_RUN or more words of `value` that the text has, where not every
    word lies in an exempt phrase, as (first word, word after the last) counted as `tokens`
    counts them; None where there is none."""
    words = tokens(value)
    free = [not c for c in exempt.covered(words)]
    for i in range(len(words) - COPIED_RUN + 1):
        if tuple(words[i : i + COPIED_RUN]) in runs and any(free[i : i + COPIED_RUN]):
            end = i + COPIED_RUN
            while end < len(words) and tuple(words[end - COPIED_RUN + 1 : end + 1]) in runs:
                end += 1
            return i, end
    return None


def _copied_problem(record, path: tuple, run: tuple[int, int], source: str) -> Problem:
    # Where, never which words: the report reaches terminals and CI logs, and the words are the
    # text's (the curator sees them in the field).
    first, end = run
    return record.problem(
        "text-copied",
        f"`{'.'.join(map(str, path))}` copies {end - first} words in a row of the withheld text of {source} "
        f"(its words {first + 1} to {end}, counting letters and digits as words)",
        *path,
        hint="Say it in the dataset's own words: free text may repeat a name, role or place the records hold, "
        "never the source's phrasing (docs/rights.md).",
    )
