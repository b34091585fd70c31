"""What changed between two published versions of a package (`seccoop diff OLD NEW`).

Records, not rows: both versions' nested documents (data/seccoop.json) are compared record by
record, keyed by id. A record is added, removed, retired (an id in NEW's retired ids: merged into
a record OLD had, renamed to one it did not, or withdrawn; chains followed to the record that
stands now) or changed, and a change lists, once each, the record's fields (old and new value;
set-valued fields by the members added and removed; dates field by field), each source's account
that came, went or says something else, and its evidence: a span that kept its words but not its
offsets has moved, one whose words changed in place is requoted, one whose words are no longer
published is withheld. Spans are compared by what they are (source, offsets, words), so an evidence
id renamed by a release is not a change of the record. Everything is sorted: the same two versions
give the same bytes.

A diff never holds words that NEW does not publish (docs/rights.md): its output goes into NEW's
changelog, which ships with NEW. A quote OLD published is kept only where NEW publishes the same
words or the whole text of its source; elsewhere it is null, and the span is shown by its offsets,
length and fingerprint, as NEW shows a quote it withholds.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import io
import json
import re
from collections.abc import Container, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from seccoop.model.package import DESCRIPTOR, DOCUMENT, KINDS, PLURAL
from seccoop.safety.terminal import shown
from seccoop.safety.untrusted import MAX_DEPTH, BadJSON, load_json
from seccoop.versions.revisions import Unreadable, Version, open_version

# A record's keys that are not its fields: evidence is compared span by span, and sources and
# source_count follow from the accounts, which are compared source by source.
NOT_FIELDS = {"id", "evidence", "accounts", "sources", "source_count"}
NOT_ACCOUNT_FIELDS = {"source", "evidence"}
CHANGES = ("added", "removed", "retired", "changed")


@dataclass(frozen=True)
class Published:
    """What one version publishes: its records by id (with their kind), its retired ids, and its
    possibly-same links (a pair in either order, with its reason)."""

    label: str
    version: str | None
    records: dict[str, tuple[str, dict]]
    retired: dict[str, dict]
    possibly_same: dict[tuple[str, str], str]
    with_accounts: bool  # documents before accounts (0.1.0) had none: nothing to compare there
    quotes: frozenset[str] = frozenset()  # every quote it publishes
    included: frozenset[str] = frozenset()  # the sources whose whole text it publishes
    strings: frozenset[str] = frozenset()  # every string value of its records, words or not


@dataclass(frozen=True)
class FieldChange:
    """One field of a record or account: a value replaced (old, new), or the members a set-valued
    field gained and lost."""

    field: str
    old: Any = None
    new: Any = None
    added: tuple = ()
    removed: tuple = ()

    @property
    def is_set(self) -> bool:
        return bool(self.added or self.removed)

    def as_json(self) -> dict:
        if self.is_set:
            return {"field": self.field, "added": list(self.added), "removed": list(self.removed)}
        return {"field": self.field, "old": self.old, "new": self.new}


@dataclass(frozen=True)
class SpanChange:
    """A span of a record's evidence: added, removed, moved (same words, new offsets), requoted
    (new words over overlapping offsets), withheld (the same offsets, its words no longer
    published) or published (the same offsets, its words published now)."""

    change: str
    old: dict | None
    new: dict | None

    @property
    def span(self) -> dict:
        """The span as NEW has it, or as OLD had it where it was removed."""
        span = self.new or self.old
        if span is None:
            raise ValueError("a span change has an old span, a new one or both")
        return span

    @property
    def pair(self) -> tuple[dict, dict]:
        """(old, new) of a span that moved, was requoted, withheld or published."""
        if self.old is None or self.new is None:
            raise ValueError(f"a span {self.change} has an old span and a new one")
        return self.old, self.new

    @property
    def source(self) -> str:
        return self.span["source"]

    def as_json(self) -> dict:
        return {"change": self.change, "source": self.source, "old": self.old, "new": self.new}


@dataclass(frozen=True)
class AccountChange:
    """One source's account of a record: added, removed, or changed field by field (a change the
    record itself shows is said once, at the record)."""

    source: str
    change: str
    fields: tuple[FieldChange, ...] = ()

    def as_json(self) -> dict:
        return {"source": self.source, "change": self.change, "fields": [f.as_json() for f in self.fields]}


@dataclass(frozen=True)
class RecordChange:
    kind: str
    id: str
    change: str  # one of CHANGES
    fields: tuple[FieldChange, ...] = ()
    evidence: tuple[SpanChange, ...] = ()
    accounts: tuple[AccountChange, ...] = ()
    record: dict | None = None  # the whole record, added or removed
    retirement: dict | None = None  # how: merged, renamed or withdrawn; replaced_by; successor ...

    @property
    def details(self) -> bool:
        return bool(self.fields or self.evidence or self.accounts)

    def as_json(self) -> dict:
        out: dict[str, Any] = {"kind": self.kind, "id": self.id, "change": self.change}
        if self.retirement is not None:
            out.update(self.retirement)
        if self.record is not None:
            out["record"] = self.record
        if self.change in ("changed", "retired"):
            out["fields"] = [f.as_json() for f in self.fields]
            out["evidence"] = [s.as_json() for s in self.evidence]
            out["accounts"] = [a.as_json() for a in self.accounts]
        return out


@dataclass
class Diff:
    """Every difference between OLD and NEW, sorted."""

    old: Published
    new: Published
    records: list[RecordChange] = field(default_factory=list)
    retired_ids: list[dict] = field(default_factory=list)  # newly retired ids that named no OLD record
    links_added: list[dict] = field(default_factory=list)
    links_removed: list[dict] = field(default_factory=list)

    def of(self, change: str) -> list[RecordChange]:
        return [r for r in self.records if r.change == change]

    @property
    def version_changed(self) -> bool:
        return self.old.version != self.new.version

    @property
    def has_changes(self) -> bool:
        return bool(self.records or self.retired_ids or self.links_added or self.links_removed or self.version_changed)

    def summary(self) -> dict[str, int]:
        out = {change: len(self.of(change)) for change in CHANGES}
        out.update(
            retired_ids=len(self.retired_ids), links_added=len(self.links_added), links_removed=len(self.links_removed)
        )
        return out


# -- reading ----------------------------------------------------------------------------------
#
# Both versions may come from anyone (a release asset, a pull request's revision): every value is
# checked for the shape comparing and rendering use before either runs, so a crafted document is
# refused as unreadable (exit 2), naming the version, the file and what is wrong, never a crash.


def read_published(version: Version) -> Published:
    """The records, retired ids and links `version` publishes (Unreadable when it holds none, or
    documents of another shape than seccoop publishes)."""
    descriptor = _json(version, DESCRIPTOR, MAX_DEPTH)
    if not isinstance(descriptor, dict):
        raise Unreadable(f"{version.label}: not a seccoop package (its {DESCRIPTOR} is not a JSON object)")
    found = descriptor.get("version")  # all a comparison reads of it: anything but a string is none
    found = found if isinstance(found, str) else None
    problem = _unfit(found, 0)
    if problem is not None:
        raise Unreadable(f"{version.label}: {DESCRIPTOR}: `version`: {problem}")
    # The nested document can be hundreds of MB: its depth is bounded while its records' shapes are
    # checked, in one walk, rather than by a walk of its own first.
    document = _json(version, DOCUMENT, None)
    if not isinstance(document, dict):
        raise Unreadable(f"{version.label}: not a seccoop package (its {DOCUMENT} is not a JSON object)")
    records: dict[str, tuple[str, dict]] = {}
    with_accounts = False
    for kind in KINDS:
        items = document.get(PLURAL[kind], [])
        if not isinstance(items, list):
            raise Unreadable(f"{version.label}: {DOCUMENT}: `{PLURAL[kind]}` is not a list")
        for n, record in enumerate(items):
            problem = _record_problem(record)
            if problem is not None:
                raise Unreadable(f"{version.label}: {DOCUMENT}: {_where(kind, n, record)}: {problem}")
            if record["id"] in records:
                raise Unreadable(f"{version.label}: {DOCUMENT}: {_where(kind, n, record)}: its id names two records")
            records[record["id"]] = (kind, record)
            with_accounts = with_accounts or "accounts" in record
    retired = {row["id"]: row for row in _rows(version, "data/retired_ids.csv") if row.get("id")}
    links = {
        _pair(row["id"], row["other"]): row.get("reason") or ""
        for row in _rows(version, "data/possibly_same.csv")
        if row.get("id") and row.get("other")
    }
    quotes, included = _words_published(records)
    strings = frozenset(_strings(records.values()))
    return Published(version.label, found, records, retired, links, with_accounts, quotes, included, strings)


def _strings(value: Any) -> Iterator[str]:
    """Every string in a value, however deep (a record's depth is bounded: `_unfit`)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _strings(v)


def _words_published(records: dict[str, tuple[str, dict]]) -> tuple[frozenset[str], frozenset[str]]:
    """Every quote the records' evidence and accounts publish, and the sources whose text is
    included (published whole, in seeds/)."""
    quotes, included = set(), set()
    for kind, record in records.values():
        if kind == "source" and record.get("text") == "included":
            included.add(record["id"])
        accounts = record.get("accounts")
        for holder in [record, *(accounts if isinstance(accounts, list) else [])]:
            spans = holder.get("evidence")
            for span in spans if isinstance(spans, list) else []:
                if isinstance(span, dict) and isinstance(span.get("quote"), str):
                    quotes.add(span["quote"])
    return frozenset(quotes), frozenset(included)


def _json(version: Version, rel: str, max_depth: int | None) -> Any:
    raw = version.read(rel)
    try:
        return load_json(raw, max_depth)
    except BadJSON as exc:
        raise Unreadable(f"{version.label}: {rel} is not JSON seccoop reads: {exc.reason}") from None
    except ValueError:  # an integer of more digits than Python converts (sys.get_int_max_str_digits)
        raise Unreadable(f"{version.label}: {rel} is not JSON seccoop reads: a number too long to read") from None


def _where(kind: str, n: int, record: Any) -> str:
    """A record's place in the document, and its id where it is one (no other content is shown)."""
    id_ = record.get("id") if isinstance(record, dict) else None
    shown = f" (id {id_})" if isinstance(id_, str) and len(id_) <= 200 and _SLUG.fullmatch(id_) else ""
    return f"`{PLURAL[kind]}[{n}]`{shown}"


def _record_problem(record: Any) -> str | None:
    """What keeps `record` from being compared, or None: the keys `compare` reads must have the
    shapes it reads them as, and no value may nest too deeply or hold what no JSON text can."""
    if not isinstance(record, dict):
        return "not a JSON object"
    if not isinstance(record.get("id"), str):
        return "has no id (a string)"
    evidence = record.get("evidence")
    if evidence is not None:
        if not isinstance(evidence, list):
            return "`evidence` is not a list"
        for i, span in enumerate(evidence):
            problem = _span_problem(span)
            if problem is not None:
                return f"`evidence[{i}]` {problem}"
    if "accounts" in record:
        accounts = record["accounts"]
        if not isinstance(accounts, list):
            return "`accounts` is not a list"
        sources = set()
        for i, account in enumerate(accounts):
            if not isinstance(account, dict):
                return f"`accounts[{i}]` is not a JSON object"
            if not isinstance(account.get("source"), str):
                return f"`accounts[{i}]` has no `source` (a string)"
            if account["source"] in sources:
                return f"`accounts[{i}]` is a second account of its source"
            sources.add(account["source"])
    return _unfit(record, MAX_DEPTH - 2)  # the document and its list of records are two levels


def _span_problem(span: Any) -> str | None:
    if not isinstance(span, dict):
        return "is not a JSON object"
    if not isinstance(span.get("source"), str):
        return "has no `source` (a string)"
    for key in ("start", "end"):
        if not _is_int(span.get(key)):
            return f"has no `{key}` (an integer)"
    if span.get("quote") is not None and not isinstance(span["quote"], str):
        return "has a `quote` that is neither a string nor null"
    if span.get("id") is not None and not isinstance(span["id"], str):
        return "has an `id` that is not a string"
    return None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _unfit(value: Any, limit: int) -> str | None:
    """Why `value` cannot be compared and rendered, or None: nested more than `limit` arrays and
    objects deep (comparing recurses into them), or a string or key holding half of a surrogate
    pair (no UTF-8 text holds one; printing it would fail midway). A number that is not finite
    never gets here: `untrusted.load_json` refuses it. Walked once, without recursion; `type() is`
    as json.loads makes exact types, and every value of a large document passes here."""
    stack: list[tuple[Any, int]] = [((value,), 0)]
    while stack:
        item, level = stack.pop()
        if level > limit:
            return f"nested more than {limit} levels deep"
        if type(item) is dict:
            if not all(map(str.isascii, item)) and any(map(_SURROGATE.search, item)):
                return "a key holds half of a surrogate pair (\\ud800-\\udfff), which is no text"
            item = item.values()
        for child in item:
            kind = type(child)
            if kind is dict or kind is list:
                stack.append((child, level + 1))
            elif kind is str and not child.isascii() and _SURROGATE.search(child):
                return "a string holds half of a surrogate pair (\\ud800-\\udfff), which is no text"
    return None


def _rows(version: Version, rel: str) -> list[dict]:
    raw = version.read_optional(rel)
    if raw is None:
        return []
    try:
        return list(csv.DictReader(io.StringIO(raw.decode("utf-8"), newline="")))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise Unreadable(f"{version.label}: {rel} is not CSV ({exc})") from None


def _pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)  # a possibly-same link is a pair in either order


# -- comparing --------------------------------------------------------------------------------


def compare(old: Published, new: Published) -> Diff:
    """Every difference between two published versions, in a deterministic order."""
    diff = Diff(old, new)
    compare_accounts = old.with_accounts and new.with_accounts
    gone, renamed_to = _gone_records(old, new, compare_accounts)
    diff.records = gone + _kept_and_added_records(old, new, compare_accounts, renamed_to)
    diff.records.sort(key=lambda r: (CHANGES.index(r.change), _kind_order(r.kind), r.id))
    diff.retired_ids = sorted(
        (
            {"id": id_, **{k: v or None for k, v in row.items() if k != "id"}}
            for id_, row in new.retired.items()
            if id_ not in old.retired and id_ not in old.records
        ),
        key=lambda row: (row.get("table") or "", row["id"]),
    )
    diff.links_added = _links_only_in(new, old)
    diff.links_removed = _links_only_in(old, new)
    diff.records = [_without_unpublished_words(change, old, new) for change in diff.records]
    return diff


def _cites_withheld(change: RecordChange, old: Published, new: Published) -> bool:
    """Whether the record cites a source whose text either version withholds: only then can an
    old value of its hold words the newer version does not publish."""
    cited = set()
    for version in (old, new):
        record = version.records.get(change.id, (None, {}))[1]
        cited |= {s for s in record.get("sources") or () if isinstance(s, str)}
        if change.kind == "source":
            cited.add(change.id)
    return any(s not in old.included or s not in new.included for s in cited)


def _without_unpublished_words(change: RecordChange, old: Published, new: Published) -> RecordChange:
    """`change` with every quote of OLD's that NEW does not publish made null: in the removed
    record, the old values of its fields and accounts, and the old side of its spans; and, for a
    record that cites a withheld text, every other old string of words NEW does not publish."""
    strings = new.strings if _cites_withheld(change, old, new) else None

    def fields(changes: tuple[FieldChange, ...]) -> tuple[FieldChange, ...]:
        return tuple(
            dataclasses.replace(c, old=_withhold(c.old, new, strings), removed=_withhold(c.removed, new, strings))
            for c in changes
        )

    return dataclasses.replace(
        change,
        record=_withhold(change.record, new, strings) if change.change == "removed" else change.record,
        fields=fields(change.fields),
        accounts=tuple(dataclasses.replace(a, fields=fields(a.fields)) for a in change.accounts),
        evidence=tuple(dataclasses.replace(s, old=_withhold(s.old, new, None)) for s in change.evidence),
    )


def _withhold(value: Any, new: Published, strings: frozenset[str] | None) -> Any:
    """`value` (of OLD) with the quote of every span in it made null where NEW publishes neither
    those words nor its source's whole text, and every other string of words NEW does not
    publish (a summary reworded because it copied a source, a collective's old name, words a
    curator unpublished) said by its length only, where `strings` (NEW's) is given. A value's
    depth is bounded (`_unfit`)."""
    if isinstance(value, str):
        if strings is not None and " " in value.strip() and value not in strings:
            return f"[{len(value)} characters the newer version does not publish]"
        return value
    if isinstance(value, list | tuple):
        return type(value)(_withhold(v, new, strings) for v in value)
    if not isinstance(value, dict):
        return value
    quote = value.get("quote")
    if isinstance(quote, str) and quote not in new.quotes and value.get("source") not in new.included:
        value = {**value, "quote": None}
    return {k: v if k == "quote" else _withhold(v, new, strings) for k, v in value.items()}


def _gone_records(old: Published, new: Published, compare_accounts: bool) -> tuple[list[RecordChange], set[str]]:
    """OLD's records that NEW does not have: removed, or retired (with how; a renamed record with
    its changes under its new id). Also the new ids that renamed records live on under."""
    changes = []
    renamed_to = set()
    for id_, (kind, record) in old.records.items():
        if id_ in new.records:
            continue
        entry = new.retired.get(id_)
        if entry is None:
            changes.append(RecordChange(kind, id_, "removed", record=record))
            continue
        successor = _successor(id_, new.retired)
        retirement = {
            "how": _how_retired(entry, successor, old),
            "replaced_by": entry.get("replaced_by") or None,
            "successor": successor,
            "version": entry.get("version") or None,
            "reason": entry.get("reason") or None,
        }
        details: dict = {}
        if retirement["how"] == "renamed" and successor in new.records:
            # the record lives on under its new id: its changes are listed here, not as an addition
            renamed_to.add(successor)
            details = _record_details(record, new.records[successor][1], compare_accounts)
        changes.append(RecordChange(kind, id_, "retired", retirement=retirement, **details))
    return changes, renamed_to


def _how_retired(entry: dict, successor: str | None, old: Published) -> str:
    """Withdrawn (no replaced_by), replaced (a chain of successors that never ends: `seccoop check`
    reports it), merged (into a record OLD had) or renamed (to an id OLD did not have)."""
    if not entry.get("replaced_by"):
        return "withdrawn"
    if successor is None:
        return "replaced"
    if successor in old.records:
        return "merged"
    return "renamed"


def _kept_and_added_records(
    old: Published, new: Published, compare_accounts: bool, renamed_to: set[str]
) -> list[RecordChange]:
    """NEW's records: changed where OLD had them too and they differ; added where OLD did not, unless
    a renamed record lives on under the id."""
    changes = []
    for id_, (kind, record) in new.records.items():
        if id_ in old.records:
            old_kind, old_record = old.records[id_]
            details = _record_details(old_record, record, compare_accounts)
            if old_kind != kind:
                details["fields"] = (FieldChange("kind", old_kind, kind), *details.get("fields", ()))
            if any(details.values()):
                changes.append(RecordChange(kind, id_, "changed", **details))
        elif id_ not in renamed_to:
            changes.append(RecordChange(kind, id_, "added", record=record))
    return changes


def _links_only_in(having: Published, lacking: Published) -> list[dict]:
    """The possibly-same links `having` publishes and `lacking` does not, with `having`'s reasons."""
    return [
        {"id": a, "other": b, "reason": having.possibly_same[(a, b)]}
        for a, b in sorted(having.possibly_same.keys() - lacking.possibly_same.keys())
    ]


def _kind_order(kind: str) -> int:
    return KINDS.index(kind) if kind in KINDS else len(KINDS)


def _successor(id_: str, retired: dict[str, dict]) -> str | None:
    """The id that stands for a retired one now: its replaced_by, followed through every id that
    was retired in turn (None for a withdrawn id or a cycle, which `check` reports)."""
    seen = {id_}
    current = id_
    while current in retired:
        nxt = retired[current].get("replaced_by") or None
        if nxt is None or nxt in seen:
            return None
        seen.add(nxt)
        current = nxt
    return current


def _record_details(old: dict, new: dict, compare_accounts: bool) -> dict:
    fields = field_changes(old, new, NOT_FIELDS)
    details = {"fields": fields, "evidence": evidence_changes(old.get("evidence"), new.get("evidence")), "accounts": ()}
    if compare_accounts:
        details["accounts"] = account_changes(old.get("accounts"), new.get("accounts"), fields)
    return details


def field_changes(old: dict, new: dict, skip: Container[str] = frozenset()) -> tuple[FieldChange, ...]:
    """Field by field, in the order NEW gives them (then fields only OLD has): a missing field is
    null, a date or other object is compared key by key (`date.latest`), a list as a set."""
    out = []
    for name in _keys(old, new):
        if name in skip:
            continue
        out.extend(_value_changes(name, old.get(name), new.get(name)))
    return tuple(out)


def _keys(old: dict, new: dict) -> list[str]:
    return list(new) + [k for k in old if k not in new]


def _value_changes(name: str, old: Any, new: Any) -> list[FieldChange]:
    if isinstance(old, dict) and isinstance(new, dict):
        return [c for key in _keys(old, new) for c in _value_changes(f"{name}.{key}", old.get(key), new.get(key))]
    if isinstance(old, list) or isinstance(new, list):
        olds = _members(old if isinstance(old, list) else [])
        news = _members(new if isinstance(new, list) else [])
        if olds.keys() == news.keys():
            return []
        return [
            FieldChange(
                name,
                added=tuple(news[k] for k in sorted(news.keys() - olds.keys())),
                removed=tuple(olds[k] for k in sorted(olds.keys() - news.keys())),
            )
        ]
    if old == new and type(old) is type(new):
        return []
    return [FieldChange(name, old, new)]


def _members(items: list) -> dict[str, Any]:
    # sets of members (participants, parties, aliases, quantities): order is not a change
    return {json.dumps(item, sort_keys=True, ensure_ascii=False): item for item in items}


SPAN_KEYS = ("id", "source", "start", "end", "quote", "length", "sha256")


def _span(span: Any) -> dict:
    if not isinstance(span, dict):
        return {**dict.fromkeys(SPAN_KEYS), "quote": span}
    return {k: span.get(k) for k in SPAN_KEYS}


def _span_key(span: dict) -> tuple:
    return (str(span["source"]), _num(span["start"]), _num(span["end"]), str(span["quote"]))


def _num(value: Any) -> float:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else -1


def _words(span: dict) -> tuple:
    """What a span says: its words where published, else their fingerprint."""
    return ("quote", span["quote"]) if isinstance(span["quote"], str) else ("sha256", span["sha256"])


def _same_place(a: dict, b: dict) -> bool:
    return (a["source"], a["start"], a["end"]) == (b["source"], b["start"], b["end"])


def evidence_changes(old: Any, new: Any) -> tuple[SpanChange, ...]:
    """A record's spans, compared by source, offsets and words (not by id): the same words at new
    offsets have moved; words no longer (or now) published at the same offsets are withheld (or
    published); new words over overlapping offsets of the same source are requoted."""
    olds = sorted({_span_key(s): s for s in map(_span, old or [])}.items())
    news = sorted({_span_key(s): s for s in map(_span, new or [])}.items())
    same = {k for k, _ in olds} & {k for k, _ in news}
    gone = [s for k, s in olds if k not in same]
    came = [s for k, s in news if k not in same]
    out = []
    for change, pairs in (
        ("moved", lambda a, b: a["source"] == b["source"] and _words(a) == _words(b)),
        ("withheld", lambda a, b: _same_place(a, b) and isinstance(a["quote"], str) and b["quote"] is None),
        ("published", lambda a, b: _same_place(a, b) and a["quote"] is None and isinstance(b["quote"], str)),
        ("requoted", _overlap),
    ):
        for a in list(gone):
            b = next((b for b in came if pairs(a, b)), None)
            if b is not None:
                gone.remove(a)
                came.remove(b)
                out.append(SpanChange(change, a, b))
    out += [SpanChange("removed", s, None) for s in gone] + [SpanChange("added", None, s) for s in came]
    order = {"removed": 0, "moved": 1, "withheld": 2, "published": 3, "requoted": 4, "added": 5}
    return tuple(sorted(out, key=lambda c: (_span_key(c.old or c.span), order[c.change])))


def _overlap(a: dict, b: dict) -> bool:
    return (
        a["source"] == b["source"]
        and _num(a["start"]) >= 0
        and _num(b["start"]) >= 0
        and _num(a["start"]) < _num(b["end"])
        and _num(b["start"]) < _num(a["end"])
    )


def account_changes(old: Any, new: Any, record_fields: tuple[FieldChange, ...]) -> tuple[AccountChange, ...]:
    """Each source's account: added, removed, or changed in a way the record's own fields do not
    already show (for a record of one source, its account is the record: said once)."""
    olds = {a.get("source"): a for a in old or [] if isinstance(a, dict)}
    news = {a.get("source"): a for a in new or [] if isinstance(a, dict)}
    out = []
    for source in sorted(olds.keys() | news.keys(), key=str):
        if source not in news:
            out.append(AccountChange(str(source), "removed"))
        elif source not in olds:
            out.append(AccountChange(str(source), "added"))
        else:
            fields = tuple(
                c for c in field_changes(olds[source], news[source], NOT_ACCOUNT_FIELDS) if c not in record_fields
            )
            if fields:
                out.append(AccountChange(str(source), "changed", fields))
    return tuple(out)


def diff(old: str, new: str | None = None) -> Diff:
    """What changed from version `old` to version `new` (each a package folder, a release zip, or
    `git:REV[:FOLDER]`; `new` by default the package at or above the current folder). Raises
    Unreadable when either holds no readable package. Any temporary folder is removed."""
    with contextlib.ExitStack() as stack:
        versions = [stack.enter_context(open_version(str(spec) if spec is not None else None)) for spec in (old, new)]
        return compare(*(read_published(v) for v in versions))


# -- rendering --------------------------------------------------------------------------------

_SLUG = re.compile(r"[a-z0-9][a-z0-9._@#-]*")


def _value(value: Any) -> str:
    """A value as JSON on one line, every character that does not print as itself escaped
    (seccoop.safety.terminal): published data never steers a terminal or hides text."""
    return shown(json.dumps(value, ensure_ascii=False, sort_keys=True))


def _id(id_: Any) -> str:
    return id_ if isinstance(id_, str) and _SLUG.fullmatch(id_) else _value(id_)


def _caption(kind: str, record: dict | None) -> str:
    if not record:
        return ""
    if kind == "relation":
        parts = [record.get("subject"), record.get("type"), record.get("object")]
        return " ".join(_id(p) for p in parts if p)
    for key in ("name", "title", "summary", "action"):
        if isinstance(record.get(key), str):
            return _value(record[key])
    return ""


def _span_text(span: dict) -> str:
    return f"{_id(span['source'])}@{_value(span['start'])}-{_value(span['end'])}"


# A detail line is a list of segments, (text, from the data): text output joins them; Markdown
# puts each segment from the data in a code span, so no value is read as Markdown or HTML.
Line = list[tuple[str, bool]]


def _name(name: str) -> str:
    return name if re.fullmatch(r"[a-z0-9_.]+", name) else _value(name)


def _field_lines(change: FieldChange, prefix: Sequence[tuple[str, bool]] = ()) -> list[Line]:
    name = [*prefix, (_name(change.field), True), (": ", False)]
    if change.is_set:
        return [[*name, ("+ ", False), (_value(m), True)] for m in change.added] + [
            [*name, ("- ", False), (_value(m), True)] for m in change.removed
        ]
    return [[*name, (_value(change.old), True), (" → ", False), (_value(change.new), True)]]


def _span_words(span: dict) -> str:
    """A span's quote, or, where its words are not published (by NEW: see `_withhold`), its length
    and fingerprint, as the review site shows them."""
    if isinstance(span["quote"], str):
        return _value(span["quote"])
    length = span["length"] if _is_int(span["length"]) else _num(span["end"]) - _num(span["start"])
    said = f"[words withheld: {_value(length)} characters"
    if isinstance(span["sha256"], str):
        said += f", sha256 {_value(span['sha256'][:12])[1:-1]}…"
    return said + "]"


def _span_line(change: SpanChange) -> Line:
    if change.change in ("added", "removed", "withheld", "published"):  # one place: said once, as NEW has it
        span = change.span
        return [
            (f"evidence {change.change}: ", False),
            (_span_text(span), True),
            (" ", False),
            (_span_words(span), True),
        ]
    old, new = change.pair
    line: Line = [(f"evidence {change.change}: ", False), (_span_text(old), True)]
    if change.change != "moved":  # a moved span's words are the same on both sides: said once
        line += [(" ", False), (_span_words(old), True)]
    return [*line, (" → ", False), (_span_text(new), True), (" ", False), (_span_words(new), True)]


def _detail_lines(change: RecordChange) -> list[Line]:
    lines = [line for f in change.fields for line in _field_lines(f)]
    lines += [
        [(f"account {a.change}: ", False), (_id(a.source), True)] for a in change.accounts if a.change != "changed"
    ]
    for account in change.accounts:
        if account.change == "changed":
            prefix = [("account ", False), (_id(account.source), True), (" ", False)]
            lines += [line for f in account.fields for line in _field_lines(f, prefix)]
    lines += [_span_line(s) for s in change.evidence]
    return lines


def _plain(line: Line) -> str:
    return "".join(text for text, _ in line)


def _marked(line: Line) -> str:
    return "".join(_code(text) if data else text for text, data in line)


_HOW = {"merged": "merged into", "renamed": "renamed to", "replaced": "replaced by"}


def _retirement(r: dict, code=lambda text: text) -> str:
    """How a retired id went, as `RecordChange.retirement` says."""
    if r["how"] == "withdrawn":
        return "withdrawn (no successor)"
    said = f"{_HOW[r['how']]} {code(_id(r['successor'] or r['replaced_by']))}"
    if r["successor"] and r["successor"] != r["replaced_by"]:
        said += f" (by way of {code(_id(r['replaced_by']))})"
    return said


def _table(row: dict, code=lambda text: text) -> str:
    # the table a retired id was published in, as data/retired_ids.csv names it: a stranger's text
    table = row.get("table") or "id"
    return table if _SLUG.fullmatch(table) else code(_value(table))


def _version_label(p: Published) -> str:
    return f"{p.label} (version {p.version})" if p.version else p.label


def render_text(diff: Diff) -> str:
    """Like diff -u for records: `+` added, `-` removed, `>` retired, `~` changed, each record's
    changes indented under it; a last line counts them."""
    out = [f"--- {_version_label(diff.old)}", f"+++ {_version_label(diff.new)}"]
    if diff.version_changed:
        out.append(f"version: {_value(diff.old.version)} → {_value(diff.new.version)}")
    marks = {"added": "+", "removed": "-", "retired": ">", "changed": "~"}
    for change in diff.records:
        head = f"{marks[change.change]} {change.kind} {_id(change.id)}"
        if change.retirement is not None:  # a retired id's change
            head += f": {_retirement(change.retirement)}"
        elif change.record is not None and _caption(change.kind, change.record):
            head += f": {_caption(change.kind, change.record)}"
        out.append(head)
        out += [f"    {_plain(line)}" for line in _detail_lines(change)]
    for row in diff.retired_ids:
        successor = f" → {_id(row['replaced_by'])}" if row.get("replaced_by") else " (withdrawn)"
        out.append(f"> {_table(row)} {_id(row['id'])}{successor}")
    out += [f"+ possibly same: {_id(link['id'])} ~ {_id(link['other'])}" for link in diff.links_added]
    out += [f"- possibly same: {_id(link['id'])} ~ {_id(link['other'])}" for link in diff.links_removed]
    out.append(_summary_line(diff))
    return "\n".join(out) + "\n"


def _summary_line(diff: Diff) -> str:
    if not diff.has_changes:
        return "no changes"
    s = diff.summary()
    parts = [f"{s[c]} {c}" for c in CHANGES]
    if s["retired_ids"]:
        parts.append(f"{s['retired_ids']} other ids retired")
    if s["links_added"] or s["links_removed"]:
        parts.append(f"{s['links_added']} possibly-same links added, {s['links_removed']} removed")
    return ", ".join(parts)


def render_json(diff: Diff) -> str:
    """The whole difference as data: both versions, counts, and every change."""

    def side(p: Published) -> dict:
        return {"label": p.label, "version": p.version}

    doc = {
        "old": side(diff.old),
        "new": side(diff.new),
        "changes": diff.has_changes,
        "summary": diff.summary(),
        **{change: [r.as_json() for r in diff.of(change)] for change in CHANGES},
        "retired_ids": diff.retired_ids,
        "possibly_same": {"added": diff.links_added, "removed": diff.links_removed},
    }
    # Escaped line by line (seccoop.safety.terminal): still the same JSON, never a raw control character.
    return "".join(shown(line) + "\n" for line in json.dumps(doc, ensure_ascii=False, indent=2).split("\n"))


def _code(text: str) -> str:
    """A Markdown code span that holds `text` whatever backticks it has."""
    fence = "`" * (max((len(m) for m in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def render_markdown(diff: Diff) -> str:
    """Sections ready to paste under a release in CHANGELOG.md; every value from the data is in a
    code span, so nothing in it is read as Markdown or HTML."""
    out = [
        "### Data changes",
        "",
        f"From {_code(_version_label(diff.old))} to {_code(_version_label(diff.new))}: {_summary_line(diff)}.",
    ]
    if diff.version_changed:
        out += ["", f"Version {_code(_value(diff.old.version))} → {_code(_value(diff.new.version))}."]

    def section(title: str, lines: list[str]) -> None:
        if lines:
            out.extend(["", f"#### {title}", "", *lines])

    def item(change: RecordChange, said: str = "") -> list[str]:
        caption = _caption(change.kind, change.record)
        head = f"- {change.kind} {_code(_id(change.id))}"
        if said:
            head += f" {said}"
        elif caption:
            head += f": {_code(caption)}"
        return [head] + [f"  - {_marked(line)}" for line in _detail_lines(change)]

    section("Added records", [line for c in diff.of("added") for line in item(c)])
    section("Removed records", [line for c in diff.of("removed") for line in item(c)])
    id_changes = [
        line
        for c in diff.of("retired")
        if c.retirement is not None
        for line in item(c, _retirement(c.retirement, _code))
    ]
    id_changes += [
        f"- {_table(row, _code)} {_code(_id(row['id']))} "
        + (f"replaced by {_code(_id(row['replaced_by']))}" if row.get("replaced_by") else "withdrawn")
        for row in diff.retired_ids
    ]
    section("Id changes", id_changes)
    section("Changed records", [line for c in diff.of("changed") for line in item(c)])
    section(
        "Possibly the same",
        [f"- added: {_code(_id(link['id']))} and {_code(_id(link['other']))}" for link in diff.links_added]
        + [f"- removed: {_code(_id(link['id']))} and {_code(_id(link['other']))}" for link in diff.links_removed],
    )
    return "\n".join(out) + "\n"


RENDERERS = {"text": render_text, "json": render_json, "markdown": render_markdown}
