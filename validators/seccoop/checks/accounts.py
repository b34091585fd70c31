"""Many sources, one dataset: the accounts of each record merged by the rules of docs/accounts.md.

An account is one source's entry for a record (checked, with its evidence pinned); the merged
record takes, field by field, what the accounts agree on, the bounds they all allow, the union of
their sets, or a curator's resolution. A disagreement the rules cannot settle is reported at every
account that takes part in it, until `data/curated/resolutions.yaml` settles it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from seccoop.checks.dates import DATE_FIELDS, date_problem, kind_problems
from seccoop.checks.references import REFERENCES
from seccoop.checks.registers import load_register
from seccoop.model.memory import MAPPINGS, compact, note_record, plain, reading
from seccoop.model.publication import by_source
from seccoop.model.report import Problem

# The record's own fields (the curator's coding): accounts that give one agree.
RECORD_FIELDS = {
    "actor": ("name", "type"),
    "relation": ("type", "subject", "object"),
    "event": ("type", "summary"),
    "commitment": ("action", "category"),
}
# Single values each source states: accounts that give one agree. Honorifics, roles and places
# are compared by their codes; the words each source gives for them are WORDS.
STATED_VALUES = {
    "actor": ("country", "honorific_code", "part_of"),
    "relation": ("role_code",),
    "event": ("country", "subdivision", "city", "part_of", "attributed_to"),
    "commitment": ("strength", "made_in", "attributed_to", "deadline", "conditions"),
}
# Words each source gives in its own way, never in conflict: kept per account, the merged record
# shows the earliest source's (docs/accounts.md, "Coded values decide; words are kept").
WORDS = {"actor": ("honorific",), "relation": ("role",), "event": ("place", "note")}
# Sets each source states, merged as their union; a member is known by its key.
MEMBERS = {"actor": ("aliases",), "event": ("participants", "quantities"), "commitment": ("parties", "quantities")}
ACCOUNT_KINDS = tuple(RECORD_FIELDS)
# Events move forward in time: planned, then ongoing, then occurred.
_EVENT_ORDER = {"planned": 0, "ongoing": 1, "occurred": 2}
RESOLUTIONS = "resolutions.yaml"
POSSIBLY_SAME = "possibly-same.yaml"


def account_source(account) -> str:
    """The source an account cites (identity checks made sure it cites one)."""
    return account.data["evidence"][0]["source"]


# Articles that may lead an alias without making it another name (en, es, pt, fr).
_LEADING_ARTICLE = re.compile(r"(?:(?:the|an?|el|la|los|las|os?|as?|les?)\s+|l['\u2019]\s*)", re.IGNORECASE)


def alias_key(alias: str) -> str:
    """What an alias is, whatever its case or leading article: "The U.S." and "the U.S." are one
    alias with two forms (docs/accounts.md)."""
    words = " ".join(alias.split())
    return _LEADING_ARTICLE.sub("", words, count=1).casefold() if _LEADING_ARTICLE.match(words) else words.casefold()


def member_key(name: str, member: Any) -> tuple:
    if name == "aliases":
        return (alias_key(member),)
    if name == "quantities":  # as its id says it: words and unit, as a slug
        return (slug(member["text"] + " " + member["unit"]) or "quantity",)
    return (member["actor"], member["role"])


def slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def quantity_id(record_id: str, quantity: dict) -> str:
    """What the quantity is: its record, its words and its unit (docs/accounts.md)."""
    return f"{record_id}@{member_key('quantities', quantity)[0]}"


def span_id(span: dict) -> str:
    """What the span is: its source and offsets (docs/accounts.md)."""
    return f"{span['source']}@{span['start']}-{span['end']}"


@dataclass(slots=True)
class Merged:
    """A published record: the merged fields (shaped as the kind's schema), its accounts ordered
    by their sources' publication dates, and how many sources state each member of its sets."""

    kind: str
    data: dict
    accounts: tuple  # not the list they were gathered in: a tuple is smaller, and there is one a record
    # Members stated by more than one source (None: none is; most records have one account).
    counts: dict[tuple, int] | None = None
    # A quantity an account words otherwise, with the same bounds and unit: its key -> the one
    # published (None: there is none).
    same: dict[tuple, tuple] | None = None

    def count(self, member: tuple) -> int:
        return self.counts.get(member, 1) if self.counts else 1

    @property
    def id(self) -> str:
        return self.data["id"]

    @property
    def sources(self) -> list[str]:
        return [account_source(a) for a in self.accounts]

    def reading(self):
        """A query of this record (`memory.reading`): its own reads are of it and its accounts."""
        return reading(self.data, *(a.data for a in self.accounts))


def merge_accounts(dataset) -> list[Problem]:
    """Merge the checked accounts of every record into `dataset.merged`; apply and check the
    curator's resolutions and possibly-same links. Returns the problems found."""
    published = by_source(dataset.shaped["source"])
    resolutions, problems = _load_resolutions(dataset)
    groups: dict[str, dict[str, list]] = {kind: {} for kind in ACCOUNT_KINDS}
    for kind in ACCOUNT_KINDS:
        for account in dataset.records[kind]:
            groups[kind].setdefault(account.id, []).append(account)
    known = {id_: kind for kind, group in groups.items() for id_ in group}
    for kind in ACCOUNT_KINDS:
        # A record with an account held back by an earlier error is not merged: what it lacks
        # would only be that error again.
        written: dict[str, int] = {}
        for account in dataset.shaped[kind]:
            written[account.id] = written.get(account.id, 0) + 1
        merged = []
        for id_, accounts in groups[kind].items():
            if written.get(id_, 0) != len(accounts) or id_ in dataset.withheld:
                continue
            accounts.sort(key=lambda a: (published[account_source(a)].order(), account_source(a)))
            settled = {res.data["field"]: res for res in resolutions.get(id_, ())}
            with reading(*(a.data for a in accounts)):  # the merge is a query of the record: its accounts
                record, found = _merge(
                    kind, id_, accounts, settled, published, dataset.schemas, known, dataset.successor
                )
            problems += found
            if record is not None:
                note_record(kind, record.data)
                merged.append(record)
        dataset.merged[kind] = merged
    for id_, entries in resolutions.items():
        if id_ not in known and id_ not in dataset.withheld and not dataset.incomplete:
            problems += [
                res.problem("ref-unknown", f"no actor, relation, event or commitment has id `{id_}`", "record")
                for res in entries
            ]
    problems += _load_possibly_same(dataset, known)
    return problems


def _where(account, *path) -> str:
    line, _ = account.file.locate((account.index, *path))
    return f"{account.file.display}:{line}" if line else account.file.display


def _show(value: Any) -> str:
    if isinstance(value, MAPPINGS):
        return ", ".join(f"{k} {v}" for k, v in value.items() if v is not None) or "empty"
    return f"`{value}`"


def _conflict(field_name: str, claims: list[tuple[Any, Any]], rule: str, at=None) -> list[Problem]:
    """One problem for one disagreement of a record's field: at `at`, or else at the first account
    (in the order of its sources' dates) whose value differs from the earliest source's, naming
    every value with the sources and places that give it. An account that agrees with another is
    never its place."""
    first = claims[0][1]
    account = at if at is not None else next(a for a, v in claims if v != first)
    values: list[tuple[Any, list]] = []
    for a, v in claims:
        group = next((g for w, g in values if w == v), None)
        if group is None:
            values.append((v, [a]))
        else:
            group.append(a)
    said = "; ".join(
        f"{_show(v)} in " + ", ".join(f"{account_source(a)} ({_where(a, field_name)})" for a in group)
        for v, group in values
    )
    return [
        account.problem(
            "merge-conflict",
            f"`{field_name}` of `{account.id}` is not one value: {said}: {rule}",
            field_name,
            hint=f"Settle it in data/curated/resolutions.yaml: `seccoop resolve {account.id} {field_name} "
            "--value ... --reason ...` writes the resolution and what it saw; or correct the account that is wrong.",
        )
    ]


def _agreed(field_name: str, accounts: list) -> tuple[Any, list[tuple[Any, Any]]]:
    """The value the accounts that give one agree on, and the claims when they do not."""
    claims = [(a, a.data[field_name]) for a in accounts if a.data.get(field_name) is not None]
    values = []
    for _, v in claims:
        if v not in values:
            values.append(v)
    return (values[0] if len(values) == 1 else None), (claims if len(values) > 1 else [])


# Single fields whose value names another record (a resolution's value follows retired ids too).
SINGLE_REFERENCES = {
    kind: {name: target for name, target in specs if "[]" not in name} for kind, specs in REFERENCES.items()
}


def _members(kind: str, accounts: list, problems: list[Problem]) -> tuple[dict, dict]:
    """The union of each set the accounts state, and how many sources state each member; a
    member listed twice in one account is reported there (it would repeat a table's key)."""
    union: dict[str, dict[tuple, Any]] = {}
    claims_of: dict[tuple, list] = {}
    for name in MEMBERS.get(kind, ()):
        members = union[name] = {}
        for account in accounts:
            own = set()
            for i, member in enumerate(account.data.get(name) or ()):
                key = (name, *member_key(name, member))
                if key in own:
                    problems.append(
                        account.problem(
                            "id-duplicate",
                            f"this account lists the same member of `{name}` twice",
                            name,
                            i,
                            hint="Keep one of the two entries.",
                        )
                    )
                    continue
                own.add(key)
                members.setdefault(key, member)
                claims_of.setdefault(key, []).append((account, member))
    return union, claims_of


def _merge(
    kind: str, id_: str, accounts: list, settled: dict, published: dict, schemas, known: dict, successor
) -> tuple[Merged | None, list[Problem]]:
    """The record the accounts of `id_` state, field by field (docs/accounts.md), or None when they
    cannot be merged; and the problems found. `settled` holds the curator's resolutions by field."""
    if len(accounts) == 1 and not settled:
        return _as_written(kind, id_, accounts[0], schemas)
    problems: list[Problem] = []
    data: dict[str, Any] = {"id": id_}
    applied: dict[str, Any] = {}
    data.update(_stated(kind, id_, accounts, settled, applied, problems))
    data.update(_words(kind, accounts, settled, applied))
    problems += _post_missing(kind, data, accounts[0])
    if misdated := kind_problems(schemas, kind, data.get("type"), accounts):
        return None, problems + misdated  # dated as the other kind: the dates merge by neither rule
    data.update(_ruled(kind, accounts, published, schemas, settled, applied, problems, data.get("type")))
    counts, same = _union_of_members(kind, accounts, data, problems)
    data["evidence"] = _evidence_union(accounts)
    for name, res in settled.items():  # a resolution of a field the merge does not compare
        problems.append(res.problem("schema-invalid", f"`{name}` is not a field of {a_kind(kind)}", "field"))
    problems += _check_resolved(kind, data, applied, schemas, known, successor)
    if any(p.severity == "error" for p in problems):
        return None, problems
    return Merged(kind, compact(data, deep=False), tuple(accounts), counts or None, same or None), problems


def _post_missing(kind: str, data: dict, account) -> list[Problem]:
    """A held post is the object's office of a role: some account of a `holds-post` tie codes it."""
    if kind != "relation" or data.get("type") != "holds-post" or data.get("role_code") is not None:
        return []
    return [
        account.problem(
            "merge-missing",
            f"no account of `{data['id']}` gives `role_code`, which names the post a `holds-post` tie holds",
            "id",
            hint="Give `role_code` (schema/codelists/roles.csv) in one account: the post is the object's office of "
            "that role.",
        )
    ]


def _as_written(kind: str, id_: str, account, schemas) -> tuple[Merged | None, list[Problem]]:
    """A record with one account and no resolution (most records have one source): the record is
    its account as written (no copies), which keeps memory flat at 100k events."""
    problems = [
        account.problem(
            "merge-missing",
            f"no account of `{id_}` gives `{name}`",
            "id",
            hint=f"Give `{name}` in the account (the record's own fields may be left out only where "
            "another account gives them).",
        )
        for name in RECORD_FIELDS[kind]
        if account.data.get(name) is None
    ]
    problems += _post_missing(kind, account.data, account)
    _members(kind, [account], problems)
    if account.data.get("type") is not None:
        problems += kind_problems(schemas, kind, account.data["type"], [account])
    return (None if problems else Merged(kind, account.data, (account,))), problems


def _stated(kind: str, id_: str, accounts: list, settled: dict, applied: dict, problems: list[Problem]) -> dict:
    """The record's own fields and the single values its sources state: what the accounts that
    give one agree on, or the curator's resolution (moved from `settled` to `applied`)."""
    data = {}
    for name in (*RECORD_FIELDS[kind], *STATED_VALUES[kind]):
        value, claims = _agreed(name, accounts)
        if name in settled:
            # The record's own fields are the curator's words: a resolution may set them anew
            # (a summary the later sources outdated) without any disagreement to settle.
            applied[name] = settled.pop(name)
            value = _settle(applied[name], bool(claims) or name in RECORD_FIELDS[kind], problems)
            problems += _unseen(applied[name], name, accounts)
        elif claims:
            problems += _conflict(name, claims, "sources disagree")
        elif value is None and name in RECORD_FIELDS[kind]:
            problems.append(
                accounts[0].problem(
                    "merge-missing",
                    f"no account of `{id_}` gives `{name}`",
                    "id",
                    hint=f"Give `{name}` in one account of the record (the record's own fields may be left out "
                    "of the others).",
                )
            )
        data[name] = value
    return data


def _words(kind: str, accounts: list, settled: dict, applied: dict) -> dict:
    """Each field of words as the earliest source that gives one words it (the others stay in
    their accounts): words differ where facts agree, so they never conflict. A resolution may
    choose other words (moved from `settled` to `applied`)."""
    data = {}
    for name in WORDS.get(kind, ()):
        if name in settled:
            applied[name] = settled.pop(name)
            data[name] = applied[name].data["value"]
        else:
            data[name] = next((a.data[name] for a in accounts if a.data.get(name) is not None), None)
    return data


def _ruled(
    kind: str,
    accounts: list,
    published: dict,
    schemas,
    settled: dict,
    applied: dict,
    problems: list[Problem],
    type_: str | None = None,
) -> dict:
    """The status and the dates (where the kind has them: a happening's `date`, a state's `start`
    and `end`), by their rules over the accounts, or the curator's resolution (moved from `settled`
    to `applied`)."""
    doc = schemas.documents[kind]["properties"]
    dates = ("start", "end") if schemas.is_state(kind, type_) else ("date",)
    data = {}
    for name in ("status", *dates):
        if name not in doc:
            continue
        value, claims = _status(kind, accounts, published) if name == "status" else _bounds(name, accounts)
        if name in settled:
            applied[name] = settled.pop(name)
            value = _settle(applied[name], bool(claims), problems)
            problems += _unseen(applied[name], name, accounts)
        elif claims:
            problems += _conflict(
                name,
                claims,
                "the status as of the latest source is not one value, or the event goes back in time"
                if name == "status"
                else f"no {name} is allowed by every account",
                None if name == "status" else _emptied_by(claims),
            )
        data[name] = value
    return data


def _union_of_members(
    kind: str, accounts: list, data: dict, problems: list[Problem]
) -> tuple[dict[tuple, int], dict[tuple, tuple]]:
    """Each set of the record as the union of its accounts' (into `data`), a quantity's bounds
    the same in every account that states it; returns how many sources state each member stated
    by more than one, and the quantities worded otherwise that are one fact (`Merged.same`)."""
    union, claims_of = _members(kind, accounts, problems)
    same = _same_quantities(union.get("quantities", {}), claims_of, problems)
    counts: dict[tuple, int] = {}
    for name, members in union.items():
        for key in members:
            claims = claims_of[key]
            if len(claims) > 1:  # most members have one source: `count` says 1 for those
                counts[key] = len(claims)
            if (
                name == "quantities"
                and len({tuple(m.get(b) for b in ("lower", "best", "upper")) for _, m in claims}) > 1
            ):
                problems += _conflict(name, claims, f"the quantity `{claims[0][1]['text']}` has different bounds")
        data[name] = list(members.values())
    return counts, same


def _same_quantities(members: dict[tuple, Any], claims_of: dict[tuple, list], problems: list[Problem]) -> dict:
    """One row per fact: quantities of one record with the same bounds and unit (the counted
    thing) are one quantity, published under the earliest source's words; the others' claims join
    it and their keys leave `members` (docs/accounts.md). Two of them in one account are one
    quantity listed twice. Returns each joined key's published key."""
    first_of: dict[tuple, tuple] = {}
    same: dict[tuple, tuple] = {}
    for key in list(members):
        claims = claims_of[key]
        bounds = {tuple(m.get(b) for b in ("lower", "best", "upper")) for _, m in claims}
        if len(bounds) > 1:
            continue  # the same words with other bounds: a conflict, reported by the caller
        fact = (members[key]["unit"], *bounds.pop())
        kept = first_of.setdefault(fact, key)
        if kept == key:
            continue
        given = {id(a) for a, _ in claims_of[kept]}
        for account, member in claims:
            if id(account) in given:
                problems.append(
                    account.problem(
                        "id-duplicate",
                        f"this account lists one quantity twice: `{member['text']}` has the bounds and unit of "
                        "another of its quantities",
                        "quantities",
                        hint="Keep one of the two entries.",
                    )
                )
        claims_of[kept] = claims_of[kept] + [c for c in claims if id(c[0]) not in given]
        del members[key]
        same[key] = kept
    return same


def _evidence_union(accounts: list) -> list:
    """Every span of the accounts, once (a span is its source and offsets)."""
    spans: dict[tuple, Any] = {}
    for account in accounts:
        for span in account.data["evidence"]:
            spans.setdefault((span["source"], span["start"], span["end"]), span)
    return list(spans.values())


def a_kind(kind: str) -> str:
    """`an actor`, `a relation`: a kind with its article, for messages."""
    return ("an " if kind[0] in "aeiou" else "a ") + kind


def _check_resolved(kind: str, data: dict, applied: dict, schemas, known: dict, successor) -> list[Problem]:
    """A resolution's value is held to what its field requires, as an account's would be: the
    field's schema, a date's bounds and precision, a reference to a record of the right kind."""

    problems = []
    for name, res in applied.items():
        value = res.data["value"]
        target = SINGLE_REFERENCES.get(kind, {}).get(name)
        if target and isinstance(value, str):
            value = data[name] = successor(value)
            if known.get(value) != target:
                problems.append(
                    res.problem(
                        "ref-unknown" if value not in known else "ref-wrong-kind",
                        f"`{value}` is not {a_kind(target)}, but `{name}` names one",
                        "value",
                    )
                )
        if value is None and name in RECORD_FIELDS[kind]:
            problems.append(
                res.problem("schema-type", f"a resolution cannot empty `{name}`, the record's own field", "value")
            )
        elif name in DATE_FIELDS and isinstance(value, MAPPINGS) and (why := date_problem(value)):
            problems.append(res.problem("schema-invalid", why, "value"))
    if problems or not applied:  # a record no resolution touched holds its accounts' checked values
        return problems
    validator = schemas.validators[kind]
    # The schema validators read plain values: dicts and lists, not `Fields`; resolved spans
    # (`Span`) as the dicts they were written as (`length` is computed by the evidence check).
    data = {
        **plain(data),
        "evidence": [{k: v for k, v in span.as_dict().items() if k != "length"} for span in data["evidence"]],
    }
    if validator.is_valid(data):
        return problems
    for error in validator.detailed.iter_errors(data):
        field_name = error.absolute_path[0] if error.absolute_path else None
        if field_name in applied:
            problems.append(
                applied[field_name].problem(
                    "schema-invalid",
                    f"not a value `{field_name}` can take: {error.message}",
                    "value",
                    hint="Write the value as the field is written in an account (docs/data-dictionary.md).",
                )
            )
    return problems


def _settle(resolution, needed: bool, problems: list[Problem]) -> Any:
    if not needed:
        problems.append(
            resolution.problem(
                "resolution-unneeded",
                f"the accounts of `{resolution.data['record']}` do not disagree on "
                f"`{resolution.data['field']}`; this resolution settles nothing",
                "field",
            )
        )
    return resolution.data["value"]


def _unseen(resolution, name: str, accounts: list) -> list[Problem]:
    """`resolution-stale` at each account whose value the resolution did not see and that
    disagrees with it: a value neither resolved nor seen (a date: whose bounds do not allow the
    resolved date), from a source not in `saw` or one whose account changed since. A resolution
    never hides a later disagreement."""
    saw = resolution.data.get("saw") or []
    seen_values = [entry["value"] for entry in saw]
    resolved = resolution.data["value"]
    problems = []
    for account in accounts:
        value = account.data.get(name)
        if value is None or value == resolved or value in seen_values:
            continue
        if name in DATE_FIELDS and isinstance(resolved, MAPPINGS) and _allows(value, resolved):
            continue
        source = account_source(account)
        seen = "; ".join(f"{_show(entry['value'])} in {entry['source']}" for entry in saw) or "no account"
        problems.append(
            account.problem(
                "resolution-stale",
                f"`{name}` of `{account.id}` is {_show(value)} in {source}, which the resolution at "
                f"{_where(resolution, 'field')} did not see: it settled {_show(resolved)} having seen {seen}",
                name,
                hint=f"Re-settle it: if {_show(resolved)} still stands, add `{{source: {source}, value: ...}}` to the "
                "resolution's `saw`; else change its value and reason (`seccoop resolve` writes both).",
            )
        )
    return problems


def _allows(date: Mapping, resolved: Mapping) -> bool:
    """Whether an account's date bounds allow the resolved date (contain its bounds)."""
    earliest, latest = date.get("earliest"), date.get("latest")
    after = earliest is None or (resolved.get("earliest") is not None and earliest <= resolved["earliest"])
    before = latest is None or (resolved.get("latest") is not None and resolved["latest"] <= latest)
    return after and before


def _status(kind: str, accounts: list, published: dict):
    """The status as of the latest sources: those no other source was certainly published after
    (sources whose publication bounds overlap are simultaneous). For an event, one that never goes
    back in time: no source published after another gives an earlier stage than it."""
    last = [
        (a, a.data["status"])
        for a in accounts
        if not any(published[account_source(a)].before(published[account_source(b)]) for b in accounts)
    ]
    if len({v for _, v in last}) > 1:
        return None, last
    if kind == "event" and (back := _back_in_time(accounts, published)):
        return None, back
    return last[0][1], []


def _back_in_time(accounts: list, published: dict) -> list[tuple[Any, str]]:
    """Where an event goes back in time: of the accounts published before the first one that
    gives an earlier stage than one of them, the first at the furthest stage, and that one; []
    where it never does."""
    staged = [a for a in accounts if a.data["status"] in _EVENT_ORDER]
    for later in staged:
        when = published[account_source(later)]
        furthest = None
        for a in staged:
            if published[account_source(a)].before(when) and (
                furthest is None or _EVENT_ORDER[a.data["status"]] > _EVENT_ORDER[furthest.data["status"]]
            ):
                furthest = a
        if furthest is not None and _EVENT_ORDER[later.data["status"]] < _EVENT_ORDER[furthest.data["status"]]:
            return [(furthest, furthest.data["status"]), (later, later.data["status"])]
    return []


def _bounds(name: str, accounts: list):
    """The bounds every account that gives `name` (a date field) allows (docs/accounts.md);
    claims when none is; None where no account gives one (a state's unstated start or end)."""
    dates = [a.data[name] for a in accounts if a.data.get(name) is not None]
    if not dates:
        return None, []
    if all(d == dates[0] for d in dates):
        return dict(dates[0]), []
    earliest = max((d["earliest"] for d in dates if d.get("earliest")), default=None)
    latest = min((d["latest"] for d in dates if d.get("latest")), default=None)
    if earliest and latest and earliest > latest:
        return None, [(a, a.data[name]) for a in accounts if a.data.get(name) is not None]
    precision = "day" if earliest and earliest == latest else "range" if earliest and latest else "open"
    return {"earliest": earliest, "latest": latest, "precision": precision}, []


def _emptied_by(claims: list[tuple[Any, Any]]):
    """The first account (in its sources' order) whose date no day allowed by the ones before it
    satisfies: where dates that overlap end and the disagreement begins."""
    earliest = latest = None
    for account, date in claims:
        earliest = max(filter(None, (earliest, date.get("earliest"))), default=None)
        latest = min(filter(None, (latest, date.get("latest"))), default=None)
        if earliest and latest and earliest > latest:
            return account
    return None


def _load_resolutions(dataset) -> tuple[dict[str, list], list[Problem]]:
    """data/curated/resolutions.yaml, by the id of the record each settles (a retired id followed
    to its successor), one resolution per field."""

    entries, problems = load_register(dataset, RESOLUTIONS, "resolution")
    out: dict[str, list] = {}
    seen = set()
    for entry in entries:
        record = dataset.successor(entry.data["record"])
        key = (record, entry.data["field"])
        if key in seen:
            problems.append(
                entry.problem(
                    "id-duplicate",
                    f"`{key[1]}` of `{record}` is resolved twice",
                    "field",
                    hint="Keep one resolution of a field, in one place.",
                )
            )
            continue
        seen.add(key)
        out.setdefault(record, []).append(entry)
    return out, problems


def _load_possibly_same(dataset, known: dict[str, str]) -> list[Problem]:

    entries, problems = load_register(dataset, POSSIBLY_SAME, "possibly-same")
    linked: set[frozenset] = set()
    for entry in entries:
        data = entry.data
        ids = [dataset.successor(data["id"]), dataset.successor(data["other"])]
        missing = [(name, v) for name, v in zip(("id", "other"), ids, strict=True) if v not in known]
        for name, value in missing:
            problems.append(
                entry.problem("ref-unknown", f"no actor, relation, event or commitment has id `{value}`", name)
            )
        if missing:
            continue
        if ids[0] == ids[1]:
            problems.append(entry.problem("schema-invalid", f"`{ids[0]}` is linked to itself", "other"))
        elif known[ids[0]] != known[ids[1]]:
            problems.append(
                entry.problem(
                    "ref-wrong-kind",
                    f"`{ids[0]}` is a {known[ids[0]]} but `{ids[1]}` "
                    f"is a {known[ids[1]]}; only records of one kind may be the same",
                    "other",
                )
            )
        elif frozenset(ids) in linked:  # a link is a pair, in either order
            problems.append(
                entry.problem(
                    "id-duplicate",
                    f"`{ids[0]}` and `{ids[1]}` are linked already",
                    "other",
                    hint="Keep one of the two links.",
                )
            )
        else:
            linked.add(frozenset(ids))
            dataset.possibly_same.append({"id": ids[0], "other": ids[1], "reason": data["reason"]})
    return problems


def quantities_of(record: Merged | Any) -> Iterable[tuple[str, dict]]:
    for quantity in record.data.get("quantities") or ():
        yield quantity_id(record.data["id"], quantity), quantity
