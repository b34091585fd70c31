"""Evidence: each span resolves to its words in its source, and the published words stay within the
quotation budget (docs/rights.md)."""

from __future__ import annotations

import dataclasses

from seccoop.checks.accounts import span_id
from seccoop.checks.budget import check_budget, copied_text
from seccoop.checks.evidence import resolve, word_cut
from seccoop.checks.locators import check_locators
from seccoop.checks.records import Dataset
from seccoop.model import rights
from seccoop.model.package import KINDS, Package
from seccoop.model.report import Problem
from seccoop.safety import paths


def check_evidence(dataset: Dataset) -> list[Problem]:
    """Pin every span to offsets in its source's text and verify it there; a span of a withheld
    text that is absent is checked for everything but its words (docs/rights.md)."""
    lengths = dataset.lengths
    # Read whether or not a text is absent: a file the gate refuses is reported either way.
    released, problems = released_spans(dataset.package)
    # An offset is one of a few thousand numbers: one int object for each, not two per span
    # (about 50 MB at 100k events).
    offsets: dict[int, int] = {}
    unpinned: dict[str, tuple[Problem, int]] = {}  # by file: the first unpinned span's problem, and how many
    unverified: dict[str, tuple[Problem, int]] = {}  # by file: the first new span not verified, and how many
    for kind in KINDS:
        kept = []
        for record in dataset.records[kind]:
            resolved = True
            for i, span in enumerate(record.data["evidence"]):
                problem = _pin_span(dataset, span, lengths[span["source"]], offsets)
                if problem is not None:
                    code, message, where, hint = problem
                    found = record.problem(code, message, "evidence", i, *where, hint=hint)
                    if code == "evidence-unpinned":  # said once per file, with the command that pins them all
                        first, count = unpinned.get(found.file or "", (found, 0))
                        unpinned[found.file or ""] = (first, count + 1)
                    else:
                        problems.append(found)
                    resolved = False
                elif span["source"] in dataset.fetched and (verdict := fetched_verdict(dataset, span)) is not None:
                    if not verdict:
                        problems.append(_fetched_mismatch(dataset, record, span, i))
                elif span["source"] in dataset.absent and span_id(span) not in released:
                    # said once per file, at its first such span, with how many more: a source
                    # added since the release is hundreds of spans, not hundreds of warnings (per
                    # file, as pins are: a re-check's scope holds whole files)
                    first, count = unverified.get(record.file.display, (None, 0))
                    if first is None:
                        first = record.problem(
                            "evidence-unverified",
                            f"span {span_id(span)} is new since the last release and its text is not here to verify it",
                            "evidence",
                            i,
                            "start",
                        )
                    unverified[record.file.display] = (first, count + 1)
                elif (cut := _word_cut(dataset, span)) is not None:
                    problems.append(
                        record.problem(
                            "evidence-word-cut",
                            cut[0],
                            "evidence",
                            i,
                            "quote" if span["quote"] is not None else "start",
                            hint=cut[1],
                        )
                    )
            if resolved:
                kept.append(record)
        dataset.records[kind] = kept
    for first, count in unpinned.values():
        more = f"; {count - 1} more quote(s) of withheld texts in this file need theirs" if count > 1 else ""
        problems.append(dataclasses.replace(first, message=first.message + more))
    for first, count in unverified.values():
        more = f"; so are {count - 1} more new span(s) in this file" if count > 1 else ""
        problems.append(dataclasses.replace(first, message=first.message + more))
    problems += archive_lines(dataset) + check_locators(dataset)  # before the budget: it counts the fragments
    return problems + check_budget(dataset) + copied_text(dataset)


def archive_lines(dataset: Dataset) -> list[Problem]:
    """Words an archive added to a text (`archive_prefix`: its first line `date ...`) are never
    cited as the publisher's: no record's span reaches into them. A source may cite them for its
    own date, as the archive's (`published_from: archive`); one dated from its text cites words
    beyond them."""
    prefix = {r.id: r.data.get("archive_prefix") or 0 for r in dataset.records["source"]}
    problems = []
    for kind in KINDS:
        for record in dataset.records[kind]:
            own = kind == "source"
            if own and record.data["published_from"] != "text":
                continue
            for i, span in enumerate(record.data["evidence"]):
                if span["start"] < prefix.get(span["source"], 0):
                    problems.append(
                        record.problem(
                            "evidence-archive-line",
                            f"the span starts at {span['start']}, within the {prefix[span['source']]} code points the "
                            f"archive added to {span['source']}: they are the archive's words, not the publisher's",
                            "evidence",
                            i,
                            "start",
                            hint="Cite the publisher's own words, after the archive's line"
                            + (", or date the source from the archive (`published_from: archive`)." if own else "."),
                        )
                    )
    return problems


RELEASED_SPANS = "data/curated/released-spans.txt"


def released_spans(package: Package) -> tuple[set[str], list[Problem]]:
    """The span ids the last release published (verified then by curators holding the texts):
    one a line in data/curated/released-spans.txt, written at each release (docs/versioning.md).
    A file the gate refuses (a link, a FIFO, too large) is reported, and counts as no list."""
    try:
        raw = paths.read_file(package.root / RELEASED_SPANS, package.root, paths.CURATED_LIMIT)
    except paths.Refused as exc:
        if exc.code == "file-missing":
            return set(), []
        return set(), [Problem(exc.code, exc.reason, file=RELEASED_SPANS)]
    return {
        line.strip()
        for line in raw.decode("utf-8", "replace").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    }, []


def _pin_span(dataset: Dataset, span, length: int, offsets: dict[int, int]) -> tuple | None:
    """Fill a span's start, end, length, sha256 and published quote (None where a withheld text's
    quote is not published), or say why it cannot be: (code, message, path in the span, hint)."""
    source, quote = span["source"], span.get("quote")
    withheld = dataset.rights[source] == "withheld"
    if withheld and "start" not in span:
        return (
            "evidence-unpinned",
            "a quote of a withheld text needs its `start`",
            ("quote",),
            "Run `seccoop locate --pin` (with `--texts FOLDER` where the texts folder is elsewhere): it writes "
            "start, end and sha256 of every quote of the file, so ids and tables never need the text (docs/rights.md).",
        )
    text = dataset.texts.get(source)
    if quote is not None and text is not None:
        result = resolve(text, quote, span.get("start"))
        if result.code is not None:
            return result.code, result.message, ("start" if result.code == "evidence-offset" else "quote",), result.hint
        start, end = result.start, result.end
        assert start is not None and end is not None  # a quote that resolves has both (SpanResult)
    elif quote is not None:  # a withheld text that is absent: the quote itself gives the end
        start, end = span["start"], span["start"] + len(quote)
    else:
        start, end = span["start"], span["end"]
        if end <= start:
            return "evidence-offset", f"end {end} is not after start {start}", ("end",), None
    if span.get("end", end) != end:
        return (
            "evidence-offset",
            f"end {span['end']} is not where the quote ends ({end})",
            ("end",),
            "Remove `end:`; build computes it.",
        )
    if end > length:
        return (
            "evidence-offset",
            f"end {end} lies past the end of the text ({length} code points)",
            ("end",),
            "Pin the span again with `seccoop locate --pin`.",
        )
    if quote is None and text is not None:
        quote_at = text[start:end]
        if rights.fingerprint(quote_at) != span["sha256"]:
            found = rights.verify_copy(text, [{"start": start, "end": end, "sha256": span["sha256"]}])[0].found_at
            return (
                "evidence-fingerprint",
                f"the text from {start} to {end} does not have this sha256",
                ("sha256",),
                f"Its words are at start {found}: write `start: {found}` and `end: {found + end - start}`."
                if found is not None
                else "No words of this length in the text have it: pin the quote again.",
            )
    if quote is not None and "sha256" in span and (digest := rights.fingerprint(quote)) != span["sha256"]:
        return (
            "evidence-fingerprint",
            "sha256 is not the quote's fingerprint",
            ("sha256",),
            f"The quote's sha256 is {digest}; remove `sha256:` or pin it again.",
        )
    start, end = offsets.setdefault(start, start), offsets.setdefault(end, end)
    span["start"], span["end"], span["length"] = start, end, end - start
    # The fingerprint of a published quote is computed again where it is published
    # (rights.span_sha256): a 64-character string on each of 921k spans at 100k events is 100 MB.
    span["quote"] = quote
    if text is None and fetched_verdict(dataset, span) is not True:
        dataset.unverified.setdefault(source, []).append(span)
    return None


def fetched_verdict(dataset: Dataset, span) -> bool | None:
    """Whether the page fetched for an absent text (`seccoop texts fetch`) has the span's words
    where its map says, by their exact or folded fingerprint; None where there is no such page, or
    its map does not know the span (docs/fetch.md)."""
    fetched = dataset.fetched.get(span["source"])
    if fetched is None:
        return None
    copy, folded = fetched
    sid = span_id(span)
    return rights.verified_in_fetched(copy, sid, rights.span_sha256(span), _folded_of(span) or folded.get(sid))


def _folded_of(span) -> tuple[str, int] | None:
    """A span's folded fingerprint where its curated YAML pins it."""
    if span.get("folded_sha256") and isinstance(span.get("folded_length"), int):
        return span["folded_sha256"], span["folded_length"]
    return None


def _fetched_mismatch(dataset: Dataset, record, span, i: int) -> Problem:
    copy = dataset.fetched[span["source"]][0]
    place = copy.spans.get(span_id(span))
    where = (
        f"at {place[0]} to {place[1]} as its map says"
        if place is not None
        else "anywhere (it was not found when fetched)"
    )
    return record.problem(
        "evidence-fetched-mismatch",
        f"span {span_id(span)}: the page fetched for {span['source']} (`{copy.shown}`) no longer has those words "
        f"{where}",
        "evidence",
        i,
        "start",
        hint="The page changed since the curators' copy, or the fetched copy was edited: verify against "
        "another copy (`seccoop verify`, an archived page) or fetch it again (docs/fetch.md).",
    )


def _word_cut(dataset: Dataset, span) -> tuple[str, str] | None:
    """(message, hint) for a span that starts or ends inside a word of its text. The hint gives
    the whole words, or for a withheld text only their offsets (a report may be public)."""
    text = dataset.texts.get(span["source"])
    if text is None or (found := word_cut(text, span["start"], span["end"])) is None:
        return None
    start, end = found
    sides = " and ".join(
        side for side, cut in (("starts", start != span["start"]), ("ends", end != span["end"])) if cut
    )
    if dataset.rights[span["source"]] == "included":
        return f"the quote {sides} inside a word", f"Quote the whole words: {text[start:end]!r}."
    return (
        f"the quote {sides} inside a word",
        f"The whole words run from {start} to {end}: pin the quote again over them.",
    )
