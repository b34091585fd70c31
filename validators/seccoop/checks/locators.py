"""The locators register (`data/curated/locators.yaml`, docs/links.md): each span's folded
fingerprint and text fragment, written by `seccoop texts link` from the texts and checked here.

Without the texts, an entry is checked for its shape, for naming a span some record cites, and
for a fragment whose terms fit the span; its words count in the quotation budget (checks/budget.py).
With a span's text at hand, its folded fingerprint is recomputed and its fragment applied to the
text by the Text Fragments matching rules: it must select exactly the span.
"""

from __future__ import annotations

from dataclasses import dataclass

from seccoop.checks.accounts import span_id
from seccoop.checks.records import Dataset, Record
from seccoop.checks.shape import shape_problems
from seccoop.model import locators, rights
from seccoop.model.load import load_file
from seccoop.model.package import KINDS
from seccoop.model.report import Problem

LOCATORS = "locators.yaml"
_RUN = "`seccoop texts link --texts DIR` writes the register again from the texts (docs/links.md)."


@dataclass(frozen=True, slots=True)
class Locator:
    folded_sha256: str
    folded_length: int
    fragment: locators.Fragment | None


def check_locators(dataset: Dataset) -> list[Problem]:
    """Load the register into `dataset.locators` (by span id) and check every entry. A re-check of
    an edit's scope reads the whole register (it is one small file) but reports only on the spans
    the scope cites: the register's own problems are the baseline's."""
    entries, problems = _load(dataset)
    spans = _cited_spans(dataset)
    whole = dataset.scope is None
    seen: set[str] = set()
    searchers: dict[str, locators.Searcher] = {}  # one per text: building it reads the whole text
    for entry in entries:
        id_ = entry.data["span"]
        span = spans.get(id_)
        if span is None:
            if whole:
                problems.append(entry.problem("locator-stale", f"no record cites the span {id_}", "span", hint=_RUN))
            elif (kept := _as_checked(entry)) is not None:  # outside the scope: the baseline checked it
                dataset.locators[id_] = kept
            continue
        if id_ in seen:
            problems.append(entry.problem("locator-stale", f"the span {id_} has a locator already", "span", hint=_RUN))
            continue
        seen.add(id_)
        locator, found = _entry(entry, span, _searcher(dataset, searchers, span["source"]))
        problems += found
        if locator is not None:
            dataset.locators[id_] = locator
    missing = sorted(id_ for id_ in spans if id_ not in seen)
    if missing and entries:  # a package without the register has no links: nothing is missing
        problems.append(_missing(dataset, missing))
    return problems


def _searcher(dataset: Dataset, searchers: dict, source: str) -> locators.Searcher | None:
    text = dataset.texts.get(source)
    if text is None:
        return None
    if source not in searchers:
        searchers[source] = locators.Searcher(text)
    return searchers[source]


def _load(dataset: Dataset) -> tuple[list[Record], list[Problem]]:
    path = dataset.package.curated / LOCATORS
    if not path.exists() and not path.is_symlink():
        return [], []
    cf, problems = load_file(path, dataset.package.rel(path), root=dataset.package.root)
    validator = dataset.schemas.validators["locator"]
    entries = []
    for i, data in cf.records:
        entry = Record("locator", data, cf, i)
        shape = list(shape_problems(entry, validator, dataset.schemas))
        if dataset.scope is None:
            problems += shape
        if not shape:
            entries.append(entry)
    return entries, problems if dataset.scope is None else []


def _as_checked(entry: Record) -> Locator | None:
    if locators.span_place(entry.data["span"]) is None:  # not a span's id: the whole check says so
        return None
    try:
        fragment = locators.parse(entry.data["fragment"]) if "fragment" in entry.data else None
    except (locators.BadFragment, UnicodeDecodeError):
        return None
    return Locator(entry.data["folded_sha256"], entry.data["folded_length"], fragment)


def _cited_spans(dataset: Dataset) -> dict[str, dict]:
    spans: dict[str, dict] = {}
    for kind in KINDS:
        for record in dataset.records[kind]:
            for span in record.data["evidence"]:
                spans.setdefault(span_id(span), span)
    return spans


def _entry(entry: Record, span, searcher: locators.Searcher | None) -> tuple[Locator | None, list[Problem]]:
    data = entry.data
    fragment = None
    if "fragment" in data:
        try:
            fragment = locators.parse(data["fragment"])
        except (locators.BadFragment, UnicodeDecodeError) as exc:
            return None, [entry.problem("fragment-syntax", str(exc), "fragment", hint=_RUN)]
        if not _fits(fragment, span["length"]):
            why = "the fragment's words do not fit the span: its first words and its last, or all of it"
            return None, [entry.problem("fragment-mismatch", why, "fragment", hint=_RUN)]
    locator = Locator(data["folded_sha256"], data["folded_length"], fragment)
    if searcher is None:
        if fragment is not None and not _own_words(fragment, span):
            why = "the fragment's words are not the span's: its words whole, or its first words and its last"
            return None, [entry.problem("fragment-mismatch", why, "fragment", hint=_RUN)]
        return locator, []
    text = searcher.text
    words = text[span["start"] : span["end"]]
    problems = []
    if locators.folded_fingerprint(words) != (locator.folded_sha256, locator.folded_length):
        why = "folded_sha256 and folded_length are not those of the span's words"
        problems.append(entry.problem("locator-mismatch", why, "folded_sha256", hint=_RUN))
    if fragment is not None and not _selects(searcher, fragment, span["start"], span["end"]):
        problems.append(
            entry.problem(
                "fragment-mismatch",
                f"applied to its text, the fragment does not select exactly {data['span']}",
                "fragment",
                hint=_RUN,
            )
        )
    return (None if problems else locator), problems


def _fits(fragment: locators.Fragment, length: int) -> bool:
    """A fragment of a span is its words whole, or its first words and its last: what it publishes
    of the text is then known without the text (checks/budget.py counts it)."""
    if fragment.end is None:
        return len(fragment.start) == length
    return len(fragment.start) + len(fragment.end) <= length


def _own_words(fragment: locators.Fragment, span) -> bool:
    """Without the text, what can still be known: a fragment of the whole span has the span's
    fingerprint, and one of a span whose words are published starts and ends with them. (The
    terms of an unpublished span are verified where its text is: the curators' CI holds them.)"""
    if fragment.end is None:
        return rights.fingerprint(fragment.start) == rights.span_sha256(span)
    quote = span["quote"]
    return quote is None or (quote.startswith(fragment.start) and quote.endswith(fragment.end))


def _selects(searcher: locators.Searcher, fragment: locators.Fragment, start: int, end: int) -> bool:
    """Whether the fragment's terms are the span's own first and last words and, applied to the
    text, it selects exactly the span."""
    text = searcher.text
    for (a, b), words in zip(locators.fragment_offsets(fragment, start, end), fragment.words(), strict=True):
        if text[a:b] != words:
            return False
    return searcher.select(fragment) == (start, end)


def _missing(dataset: Dataset, missing: list[str]) -> Problem:
    first = missing[0]
    said = f"spans {first} and {len(missing) - 1} more have" if len(missing) > 1 else f"span {first} has"
    return Problem(
        "locator-missing",
        f"{said} no locator: no link to their words, no folded fingerprint",
        file=dataset.package.rel(dataset.package.curated / LOCATORS),
        hint=_RUN,
    )
