"""Generate a synthetic but valid seccoop package of any size, for the scale benchmarks.

The package has the shape of the real data (data/curated/*.yaml) per source: about 26 actor,
8 relation, 11 event and 9 commitment accounts and 70 evidence spans, with participants, parties,
aliases, quantities, part_of, made_in and attributed_to in similar proportions. Sources come in
stories of four; about a third of the records are told by two to four sources of their story
(docs/accounts.md): each later source gives its own account under the record's id, in its own
files, citing only itself, with dates that narrow, planned events that occur, members that
differ (the union), and now and then a place, strength or country that differs, settled in
data/curated/resolutions.yaml. Each source is a small generated text document in seeds/ whose
first line is `date YYYY-MM-DD TITLE`, and every quote is taken from it (occurring exactly once,
or pinned with `start`). The curated YAML is split into one file per source, as a large dataset
would be:

    data/curated/<kinds>.yaml               []  (the top-level files must exist)
    data/curated/<kinds>/<source-id>.yaml   that source's accounts: records it states first, then
                                            records earlier sources of its story stated
    data/curated/resolutions.yaml           the curator's settlements

schema/ and data/curated/package.yaml are copied from this repository. Nothing is run: the
benchmark runner builds the derived files with `seccoop build`.

    python benchmarks/generate.py --events 1000 --seed 0 --out benchmarks/out/pkg-1k [--force]

The same --events and --seed give byte-identical files.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import random
import re
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
KINDS = ("sources", "actors", "relations", "events", "commitments")

# Per source, as counted in the real data/curated/*.yaml (one source: 26 actors, 8 relations,
# 11 events, 9 commitments; 34 + 8 + 16 + 13 + 1 = 72 evidence spans).
ACTORS_PER_SOURCE = 26
RELATIONS_PER_SOURCE = 8
EVENTS_PER_SOURCE = 11
COMMITMENTS_PER_SOURCE = 9
P_ACTOR_SECOND_SPAN = 0.12  # with the alias spans, 34 spans / 26 actors
P_RECORD_SECOND_SPAN = 0.45  # 16 / 11 events, 13 / 9 commitments
P_THIRD_SPAN = 0.05
P_ALIAS = 0.30  # 8 of 26 actors have aliases
P_HONORIFIC = 0.15
P_ACTOR_COUNTRY = 0.35
P_EVENT_PLACE = 0.45
P_PART_OF = 0.18  # 2 of 11 events
P_MADE_IN = 0.12  # 1 of 9 commitments
P_ATTRIBUTED = 0.2
P_EVENT_QUANTITY = 0.18  # 2 of 11 events
P_COMMITMENT_QUANTITY = 0.08
P_CROSS_SOURCE = 0.25  # an event also names an actor recorded from the previous source
P_RELATION_ROLE = 0.6  # 5 of 8 relations
P_DEADLINE = 0.15
P_CONDITIONS = 0.1

# Many sources (docs/accounts.md). Sources come in stories of STORY consecutive sources, each
# published 1 to 45 days after the one before. A record first stated by the source at position p
# of its story is, with probability P_MULTI (when a later source of the story exists), also told
# by 1 to 3 of the later sources (as many as there are), each in its own files under the same id:
# positions 0, 1 and 2 of 4, so about 3/4 * 4/9 = a third of all records have 2 to 4 accounts,
# and a record has 1.5 accounts on average. So that a source still gives about 26 actor, 8
# relation, 11 event and 9 commitment accounts, it states 1/1.5 as many new records.
STORY = 4
P_MULTI = 4 / 9
ACCOUNTS_PER_RECORD = 1 + (STORY - 1) / STORY * P_MULTI * 1.5  # 1.5: (2 + 1.5 + 1) / 3 later accounts
NEW_EVENTS_PER_SOURCE = EVENTS_PER_SOURCE / ACCOUNTS_PER_RECORD  # 7.33
P_REPEAT_OWN = 0.15  # a later account repeats the record's own fields (name/type, type/summary, ...)
# A few disagreements only a curator can settle, each resolved in data/curated/resolutions.yaml:
# every Nth later account that could disagree on the field does.
CONFLICT_EVERY = {"place": 20, "strength": 50, "country": 40}
FOLLOW_DESCRIPTORS = {
    "person": "quoted again this week",
    "state": "named again in this report",
    "government": "which answered questions",
    "government-body": "which confirmed the figures",
    "military": "which sent more troops",
    "legislature": "which met again",
    "political-party": "which issued a statement",
    "criminal-group": "blamed once more",
    "collective": "as officials confirmed",
    "international-organization": "which met again",
    "organization": "which published new figures",
}

SYLLABLES = (
    "ba",
    "ce",
    "da",
    "de",
    "do",
    "fa",
    "ga",
    "ha",
    "ka",
    "ki",
    "la",
    "le",
    "li",
    "lo",
    "ma",
    "me",
    "mi",
    "na",
    "ne",
    "no",
    "pa",
    "pe",
    "ra",
    "re",
    "ri",
    "ro",
    "sa",
    "se",
    "so",
    "ta",
    "te",
    "to",
    "va",
    "ve",
    "vi",
    "za",
    "zo",
    "ran",
    "tor",
    "vel",
    "mar",
    "sol",
    "ber",
    "lin",
)
ACCENTED = ("José", "Inés", "Ramón", "Léa", "Zoë", "Óscar", "Núñez", "Müller")  # NFC text, as in sources
COUNTRIES = (
    ("Ecuador", "EC"),
    ("Colombia", "CO"),
    ("Peru", "PE"),
    ("Mexico", "MX"),
    ("Brazil", "BR"),
    ("Panama", "PA"),
    ("Guatemala", "GT"),
    ("Honduras", "HN"),
    ("Chile", "CL"),
    ("Spain", "ES"),
    ("the United States", "US"),
    ("Canada", "CA"),
    ("Italy", "IT"),
    ("the Netherlands", "NL"),
    ("Costa Rica", "CR"),
    ("El Salvador", "SV"),
    ("Bolivia", "BO"),
    ("Paraguay", "PY"),
)
HONORIFICS = ("General", "Minister", "President", "Colonel", "Commissioner", "Prosecutor", "Admiral")
# Each honorific's code (schema/codelists/honorifics.csv): accounts are compared by it.
HONORIFIC_CODES = {h: h.lower() for h in HONORIFICS}
BODIES = (
    "Ministry of the Interior",
    "National Police",
    "Attorney General’s Office",
    "Customs Service",
    "Prison Service",
    "Financial Intelligence Unit",
    "Coast Guard",
    "Ministry of Defense",
    "Anti-Narcotics Directorate",
    "Border Police",
)
GROUP_NOUNS = ("gang", "cartel", "clan", "network", "brotherhood", "faction")
COLLECTIVE_NOUNS = (
    "prison guards",
    "police officers",
    "inmates",
    "advisers",
    "prosecutors",
    "soldiers",
    "customs agents",
    "judges",
    "detectives",
    "diplomats",
)
ORG_NOUNS = ("Foundation", "Observatory", "Institute", "Monitor", "Network", "Centre")
ACTOR_TYPES = (  # (type, weight), close to the real mix
    ("person", 6),
    ("state", 3),
    ("government", 2),
    ("government-body", 4),
    ("military", 2),
    ("legislature", 1),
    ("political-party", 1),
    ("criminal-group", 3),
    ("collective", 5),
    ("international-organization", 1),
    ("organization", 2),
)
EVENT_TYPES = {
    "public-statement": ("said it would act against", "speaker"),
    "request": ("asked for help from", "initiator"),
    "consultation": ("held talks with", "participant"),
    "visit": ("travelled to meet", "initiator"),
    "cooperation": ("launched a joint operation with", "participant"),
    "intelligence-sharing": ("shared intelligence with", "participant"),
    "aid": ("delivered equipment to", "initiator"),
    "emergency-declaration": ("declared a state of emergency affecting", "initiator"),
    "terrorist-designation": ("designated as terrorists the members of", "initiator"),
    "arrest": ("arrested suspects linked to", "initiator"),
    "seizure": ("took control of a prison held by", "initiator"),
    "violence": ("attacked a convoy of", "initiator"),
    "hostage-taking": ("took hostages from", "initiator"),
    # A state (its codelist kind): it holds over a period, dated by its start where stated.
}
# A state (its codelist kind): it holds over a period, dated by its start where stated. Drawn
# from the extra stream in place of an emergency declaration now and then.
STATE_TYPES = {"curfew": ("imposed a curfew on the streets of", "initiator")}
SECOND_ROLE = {
    "public-statement": "target",
    "request": "recipient",
    "consultation": "participant",
    "visit": "recipient",
    "cooperation": "participant",
    "intelligence-sharing": "participant",
    "aid": "beneficiary",
    "emergency-declaration": "target",
    "terrorist-designation": "target",
    "arrest": "target",
    "seizure": "victim",
    "violence": "victim",
    "hostage-taking": "victim",
    "curfew": "target",
}
P_CURFEW = 0.5  # of the emergency declarations
P_HOLDS_POST = 0.5  # of the official-of ties
EVENT_STATUSES = (("occurred", 60), ("ongoing", 10), ("planned", 25), ("reported", 5))
RELATION_TYPES = (
    ("head-of", "the head of"),
    ("spokesperson-of", "the spokesperson of"),
    ("member-of", "a member of"),
    ("part-of", "a unit of"),
    ("official-of", "an official of"),
)
HOLDS_POST = ("holds-post", "the president of")  # a post: the object's office of the role `president`
P_RELATION_START = 0.25  # a tie whose source says since when it holds
P_ACTOR_PART_OF = 0.5  # a government body or command that a source says belongs to a state
CATEGORIES = (
    ("strategic-cooperation", "work with"),
    ("law-enforcement-cooperation", "coordinate police work with"),
    ("personnel-deployment", "send officers to"),
    ("intelligence-sharing", "share intelligence with"),
    ("prison-reform", "help reform the prisons of"),
    ("accountability", "prosecute the leaders of"),
    ("security-assistance", "fund training for"),
    ("domestic-security", "restore order against"),
)
STRENGTHS = (
    ("aim", "aims to"),
    ("plan", "plans to"),
    ("pledge", "vowed to"),
    ("firm-commitment", "committed funds to"),
    ("agreement", "agreed to"),
)
COMMITMENT_STATUSES = (
    "announced",
    "announced",
    "announced",
    "in-progress",
    "stalled",
    "fulfilled",
    "partially-fulfilled",
    "broken",
    "withdrawn",
)
DESCRIPTORS = {
    "person": "who attended the talks",
    "state": "a country of the region",
    "government": "which hosted the talks",
    "government-body": "which leads the investigation",
    "military": "which deployed troops",
    "legislature": "which debated the new law",
    "political-party": "which is in opposition",
    "criminal-group": "a feared armed group",
    "collective": "according to officials",
    "international-organization": "a body of member states",
    "organization": "a watchdog group",
}
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


# -- YAML text -------------------------------------------------------------------------------

_RESOLVER = yaml.resolver.Resolver()
_PLAIN_START = re.compile(r"[A-Za-z0-9(’]")


def scalar(value, flow: bool = False) -> str:
    """A YAML scalar that reads back as exactly `value`: plain where that is safe, else quoted."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    s = value
    plain = (
        s
        and s == s.strip()
        and _PLAIN_START.match(s)
        and ": " not in s
        and " #" not in s
        and not s.endswith(":")
        and "\n" not in s
        and '"' not in s
        and "'" not in s[:1]
        and not (flow and any(c in s for c in ",[]{}"))
        and _RESOLVER.resolve(yaml.ScalarNode, s, (True, False)) == "tag:yaml.org,2002:str"
    )
    return s if plain else json.dumps(s, ensure_ascii=False)


def flow_map(d: dict) -> str:
    return "{" + ", ".join(f"{k}: {scalar(v, flow=True)}" for k, v in d.items()) + "}"


def record_yaml(record: dict) -> str:
    """One record as a block-style list item, in the curated files' style (flow maps for dates,
    participants, parties and quantities)."""
    lines = []
    for n, (key, value) in enumerate(record.items()):
        lead = "- " if n == 0 else "  "
        if key in ("date", "start", "end"):
            lines.append(f"{lead}{key}: {flow_map(value)}")
        elif key in ("participants", "parties", "quantities", "saw"):
            lines.append(f"{lead}{key}:")
            lines += [f"    - {flow_map(item)}" for item in value]
        elif key == "aliases":
            lines.append(f"{lead}{key}: [{', '.join(scalar(a, flow=True) for a in value)}]")
        elif key == "evidence":
            lines.append(f"{lead}{key}:")
            for span in value:
                first = True
                for k, v in span.items():
                    lines.append(f"    {'- ' if first else '  '}{k}: {scalar(v)}")
                    first = False
        else:
            lines.append(f"{lead}{key}: {scalar(value)}")
    return "\n".join(lines) + "\n"


def file_yaml(comment: str, records: list[dict]) -> str:
    return f"# {comment}\n" + "\n".join(record_yaml(r) for r in records)


# -- names and dates -------------------------------------------------------------------------


def slug(text: str) -> str:
    out = re.sub(r"[^a-z0-9]+", "-", text.lower().replace("’", "")).strip("-")
    return out or "x"


def ascii_slug(text: str) -> str:
    import unicodedata

    return slug(unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode())


def iso(d: dt.date) -> str:
    return d.isoformat()


def spoken(d: dt.date) -> str:
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


def month_end(d: dt.date) -> dt.date:
    nxt = d.replace(day=28) + dt.timedelta(days=4)
    return nxt - dt.timedelta(days=nxt.day)


@dataclass
class Actor:
    id: str
    name: str
    type: str
    mention: str  # how the text introduces it (the quote of its first evidence span)
    honorific: str | None = None
    country: str | None = None
    aliases: list[str] = field(default_factory=list)
    source: str = ""


class Namer:
    """Pseudo-words unique within one source, so names never collide or nest inside each other."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[str] = set()

    def word(self, syllables: int = 3) -> str:
        while True:
            w = "".join(self.rng.choice(SYLLABLES) for _ in range(syllables)).capitalize()
            if w not in self.used:
                self.used.add(w)
                return w


# -- one source ------------------------------------------------------------------------------


@dataclass
class SourceOut:
    id: str
    text: str
    records: dict[str, list[dict]]  # per kind: the new records' accounts, then later accounts
    actors: list[Actor]
    pinned: int  # spans that needed `start` because their quote occurs more than once
    plans: list[tuple[int, str, dict]] = field(default_factory=list)  # (later position, kind, state)
    resolutions: list[dict] = field(default_factory=list)
    accounts_per_record: dict[str, list[int]] = field(default_factory=dict)  # kind -> [accounts of each new record]


def _weighted(rng: random.Random, pairs):
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def _make_actor(rng: random.Random, namer: Namer, kind: str, sid: str, n: int) -> Actor:
    country_name, code = rng.choice(COUNTRIES)
    word = namer.word()
    honorific = None
    if kind == "person":
        first = rng.choice(ACCENTED) if rng.random() < 0.1 else namer.word(2)
        name = f"{first} {word}"
        honorific = rng.choice(HONORIFICS) if rng.random() < P_HONORIFIC * 3 else None
        mention = f"{honorific} {name}" if honorific else name
        aliases = [word] if rng.random() < P_ALIAS else []
    elif kind == "state":
        name = f"the Republic of {word}"
        mention, aliases = name, ([word] if rng.random() < P_ALIAS * 2 else [])
    elif kind == "government":
        name = f"the government of {word}"
        mention, aliases = name, ([f"{word}’s government"] if rng.random() < P_ALIAS else [])
    elif kind == "government-body":
        body = rng.choice(BODIES)
        name = f"{word} {body}"
        mention, aliases = name, ([f"the {body} of {word}"] if rng.random() < P_ALIAS else [])
    elif kind == "military":
        name = f"the {word} Joint Command"
        mention, aliases = name, ([f"the {word} Command"] if rng.random() < P_ALIAS else [])
    elif kind == "legislature":
        name = f"the {word} National Assembly"
        mention, aliases = name, []
    elif kind == "political-party":
        name = f"the {word} Movement"
        mention, aliases = name, []
    elif kind == "criminal-group":
        name = f"the {word} {rng.choice(GROUP_NOUNS)}"
        mention, aliases = name, ([f"Los {word}s"] if rng.random() < P_ALIAS * 2 else [])
    elif kind == "collective":
        count = rng.randint(3, 400)
        name = f"{count} {word} {rng.choice(COLLECTIVE_NOUNS)}"
        mention, aliases = f"over {name}", []
    elif kind == "international-organization":
        name = f"the {word} Regional Security Council"
        mention, aliases = name, []
    else:
        name = f"the {word} {rng.choice(ORG_NOUNS)}"
        mention, aliases = name, []
    mention = f"{mention}, {DESCRIPTORS[kind]}"
    country = code if rng.random() < P_ACTOR_COUNTRY else None
    aid = f"{ascii_slug(name.removeprefix('the '))}-{sid.rsplit('-', 1)[-1]}"
    return Actor(aid, name, kind, mention, honorific, country, aliases, sid)


def _event_dates(rng: random.Random, status: str, published: dt.date) -> dict:
    if status == "planned":
        if rng.random() < 0.6:
            return {"earliest": iso(published), "latest": None, "precision": "open"}
        day = published + dt.timedelta(days=rng.randint(1, 60))
        return {"earliest": iso(day), "latest": iso(day), "precision": "day"}
    r = rng.random()
    if r < 0.45:  # the real data's usual case: happened by the time of publication
        return {"earliest": None, "latest": iso(published), "precision": "open"}
    if r < 0.7:
        day = published - dt.timedelta(days=rng.randint(0, 30))
        return {"earliest": iso(day), "latest": iso(day), "precision": "day"}
    if r < 0.85:
        first = published - dt.timedelta(days=rng.randint(1, 20))
        return {"earliest": iso(first), "latest": iso(published), "precision": "range"}
    if r < 0.95:
        # a month before the publication's own (an occurred month must end by the source's date)
        start = (published - dt.timedelta(days=rng.randint(31, 90))).replace(day=1)
        return {"earliest": iso(start), "latest": iso(month_end(start)), "precision": "month"}
    year = published.year - rng.randint(1, 2)
    return {"earliest": f"{year}-01-01", "latest": f"{year}-12-31", "precision": "year"}


class _Spans:
    """Quotes and their spans in one source text; a quote that occurs more than once gets `start`."""

    def __init__(self, sid: str):
        self.sid = sid
        self.pending: list[tuple[dict, int]] = []  # (span, offset where the quote was written)

    def span(self, quote: str, offset: int) -> dict:
        s = {"source": self.sid, "quote": quote}
        self.pending.append((s, offset))
        return s

    def settle(self, text: str) -> int:
        pinned = 0
        for s, offset in self.pending:
            quote = s["quote"]
            assert text[offset : offset + len(quote)] == quote, (self.sid, quote)
            first = text.find(quote)
            if first != offset or text.find(quote, first + 1) != -1:
                s["start"] = offset
                pinned += 1
        return pinned


class _Text:
    """A growing document that remembers where each piece was written."""

    def __init__(self):
        self.parts: list[str] = []
        self.size = 0

    def add(self, piece: str) -> int:
        offset = self.size
        self.parts.append(piece)
        self.size += len(piece)
        return offset

    def quote(self, before: str, quoted: str, after: str) -> int:
        """Write before + quoted + after; the offset of `quoted`."""
        self.add(before)
        at = self.add(quoted)
        self.add(after)
        return at

    def value(self) -> str:
        return "".join(self.parts)


def _new_count(rng: random.Random, per_source: int) -> int:
    """How many new records of a kind a source states: per_source accounts, less the accounts
    it gives of records other sources stated first (on average)."""
    mean = per_source / ACCOUNTS_PER_RECORD
    return int(mean) + (rng.random() < mean - int(mean))


def _intersect(a: tuple, b: tuple) -> tuple:
    """The bounds two dates both allow (earliest, latest as ISO strings or None)."""
    early = max((x for x in (a[0], b[0]) if x), default=None)
    late = min((x for x in (a[1], b[1]) if x), default=None)
    assert not (early and late and early > late), (a, b)
    return early, late


def _once(quote: str, doc: _Text, spans: _Spans, namer: Namer) -> str:
    """`quote`, or, where it would occur twice in the document (two look-alike records: one
    committer's two pledges to one partner, one pair of actors tied twice), `quote` with a word
    put in that no other quote of the source has, so that it needs no `start`."""
    text = doc.value()
    said = [s["quote"] for s, _ in spans.pending]
    while quote in text or any(q in quote for q in said):
        head, _, tail = quote.partition(" ")
        quote = f"{head} (so {namer.word(2)} reports) {tail}"
    return quote


def _words(*texts: str) -> set[str]:
    return {w for t in texts if t for w in re.findall(r"[A-Z][a-z]+", t)}


def make_source(
    seed: int,
    index: int,
    n_events: int,
    previous: list[Actor],
    published: dt.date | None = None,
    later: int = 0,
    pending: Sequence[tuple[str, dict]] = (),
    counters: dict | None = None,
) -> SourceOut:
    """One source: its document, the records it states first, and its accounts of the records in
    `pending` (stated first by earlier sources of its story). It plans, for each new record, which
    of the `later` sources of its story will give an account of it too. Deterministic given seed,
    index and what the earlier sources planned."""
    rng = random.Random(f"seccoop-bench/{seed}/{index}")
    namer = Namer(rng)
    counters = {} if counters is None else counters
    for _kind, st in pending:  # never coin a word an earlier source of the story used
        namer.used |= st["words"]
    drawn = dt.date(2012, 1, 1) + dt.timedelta(days=rng.randint(0, 14 * 365))
    published = published or drawn
    place = namer.word()
    src = _Source(rng, namer, f"{slug(place)}-report-{published.year}-{index:06d}", published, later)
    source_record = src.source_record(place)
    actor_spans = src.introduce_actors(place)
    relations = src.relations()
    events = src.events(n_events, previous)
    commitments = src.commitments(events)
    later_accounts, resolutions = src.later_accounts(pending, counters)
    text = src.doc.value()
    pinned = src.spans.settle(text)
    _complete_source_record(source_record, text)
    actor_records = src.actor_records(actor_spans)
    records = {
        "sources": [source_record],
        "actors": actor_records + later_accounts["actors"],
        "relations": relations + later_accounts["relations"],
        "events": events + later_accounts["events"],
        "commitments": commitments + later_accounts["commitments"],
    }
    return SourceOut(src.sid, text, records, src.actors, pinned, src.plans, resolutions, src.per_record)


def _complete_source_record(source_record: dict, text: str) -> None:
    """The source record's hashes and length, now that its text is written; no empty fields."""
    raw = text.encode("utf-8")
    source_record["sha256"] = hashlib.sha256(raw).hexdigest()
    source_record["length"] = len(text)
    source_record["normalized_sha256"] = hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()
    # Where a reader finds it, said even where unknown (docs/rights.md); the first line `date ...`
    # stands for an archive's: marked as such, as the source's date comes from it.
    source_record["publisher"] = source_record["publisher"] or "unknown"
    source_record["url"] = source_record["url"] or "unknown"
    source_record["archive_prefix"] = len(text.split("\n", 1)[0]) + 1


class _Source:
    """A source being written: its random stream and words, its document and the spans quoted
    from it, its actors, and its plans for the later sources' accounts of the records it states
    first. The methods are called in the order the document is written; each draws from `rng`
    as it writes, so the same order gives the same bytes."""

    def __init__(self, rng: random.Random, namer: Namer, sid: str, published: dt.date, later: int):
        self.rng, self.namer, self.sid = rng, namer, sid
        # Draws for what 0.3.0 added (states, posts, part-of links) come from a stream of their
        # own, so that the records, texts and stories of earlier versions stay as they were.
        self.extra = random.Random(f"seccoop-bench/extra/{sid}")
        self.published, self.later = published, later
        self.spans = _Spans(sid)
        self.doc = _Text()
        self.plans: list[tuple[int, str, dict]] = []
        self.per_record: dict[str, list[int]] = {k: [] for k in KINDS[1:]}
        self.actors: list[Actor] = []
        self.persons: list[int] = []  # indexes of the actors that are persons
        self.queue: list[int] = []  # actor slots not yet taken (see introduce_actors)

    def plan(self, kind: str, state: dict) -> None:
        """Which of the later sources of the story also give an account of a new record."""
        rng, later = self.rng, self.later
        extra = 0
        if later and rng.random() < P_MULTI:
            extra = rng.randint(1, min(3, later))
            for offset in sorted(rng.sample(range(1, later + 1), extra)):
                self.plans.append((offset, kind, state))
        self.per_record[kind].append(1 + extra)
        state["by"] = {f: self.sid for f in ("place", "strength", "country") if state.get(f)}
        state["settled"] = set()

    def pick(self, exclude: set[int]) -> int:
        """An actor (its index) for a slot: the next one no slot has taken yet, else any."""
        for i, n in enumerate(self.queue):
            if n not in exclude:
                return self.queue.pop(i)
        choices = [n for n in range(len(self.actors)) if n not in exclude]
        return self.rng.choice(choices)

    def _attributed(self, p: float) -> str | None:
        """With probability `p`, the id of one of this source's persons a record is attributed to."""
        if self.persons and self.rng.random() < p:
            return self.actors[self.rng.choice(self.persons)].id
        return None

    def source_record(self, place: str) -> dict:
        """The header line (`date YYYY-MM-DD TITLE`) and the source's record, its hashes and
        length still to come (_complete_source_record)."""
        rng, namer, sid, published = self.rng, self.namer, self.sid, self.published
        topic = rng.choice(("organized crime", "drug trafficking", "prison violence", "extortion", "money laundering"))
        title = f"{place} and its partners step up the fight against {topic}"
        header = f"date {iso(published)} {title}"
        header_at = self.doc.add(header)
        self.doc.add("\n\n")
        return {
            "id": sid,
            "title": title,
            "published": iso(published),
            "published_from": "archive",
            "language": "en",
            "publisher": f"{namer.word(2)} News Agency" if rng.random() < 0.5 else None,
            "url": f"https://news.example.org/{published.year}/{sid}" if rng.random() < 0.5 else None,
            "retrieved": "unknown",
            "extent": "whole",
            # generated words, the project's own: shipped like any included text
            "text": "included",
            "licence": "CC0-1.0",
            "path": f"seeds/{sid}.txt",
            "sha256": None,
            "length": None,
            "normalized_sha256": None,
            "evidence": [self.spans.span(header, header_at)],
        }

    def introduce_actors(self, place: str) -> dict[str, list[dict]]:
        """Actors: each introduced once, in words no later sentence repeats (its first quote), some
        also by an alias or a second mention. Returns each actor's spans."""
        rng, doc, spans = self.rng, self.doc, self.spans
        # The first four kinds are ones the records below need at least one of.
        kinds = ["person", "state", "criminal-group", "government-body"]
        kinds += [_weighted(rng, ACTOR_TYPES) for _ in range(_new_count(rng, ACTORS_PER_SOURCE) - len(kinds))]
        actors = self.actors = [_make_actor(rng, self.namer, kind, self.sid, n) for n, kind in enumerate(kinds)]
        actor_spans: dict[str, list[dict]] = {}
        doc.add(f"Officials from across the region met in {place} this week.")
        for n, actor in enumerate(actors):
            at = doc.quote(" Among those named was " if n % 2 else " The report names ", actor.mention, ".")
            actor_spans[actor.id] = [spans.span(actor.mention, at)]
        doc.add("\n\n")
        for actor in actors:
            if actor.aliases:
                alias = actor.aliases[0]
                at = doc.quote(
                    f"{actor.name[0].upper()}{actor.name[1:]}, ", f"also called {alias}", ", was named in the report. "
                )
                if rng.random() < 0.9:
                    actor_spans[actor.id].append(spans.span(f"also called {alias}", at))
            elif rng.random() < P_ACTOR_SECOND_SPAN:
                quote = f"{actor.name} was also mentioned by local reporters"
                at = doc.quote("", quote, ". ")
                actor_spans[actor.id].append(spans.span(quote, at))
        doc.add("\n\n")

        # Actor slots: relations, participants and parties take every actor once before any twice,
        # so that no actor is left unreferenced (a warning).
        order = list(range(len(actors)))
        rng.shuffle(order)
        self.queue = list(order)
        self.persons = [n for n, a in enumerate(actors) if a.type == "person"]
        return actor_spans

    def relations(self) -> list[dict]:
        relations = [self._relation(r) for r in range(_new_count(self.rng, RELATIONS_PER_SOURCE))]
        self.doc.add("\n\n")
        return relations

    def _relation(self, r: int) -> dict:
        rng, doc, spans, actors, published = self.rng, self.doc, self.spans, self.actors, self.published
        subject = self.pick(set())
        obj = self.pick({subject})
        rtype, phrase = rng.choice(RELATION_TYPES)
        if rtype == "official-of" and self.extra.random() < P_HOLDS_POST:
            rtype, phrase = HOLDS_POST
        s_actor, o_actor = actors[subject], actors[obj]
        sentence = _once(
            f"{s_actor.name[0].upper()}{s_actor.name[1:]} is {phrase} {o_actor.name}", doc, spans, self.namer
        )
        # The draws that dated a tie before ties were states (here, and in each later account of
        # a tie dated to the day) are kept, so that the stream, and every record after, stays.
        dated_to_the_day = rng.random() < 0.8
        start = None
        if self.extra.random() < P_RELATION_START:  # a state: dated by its start only where stated
            day = iso(published - dt.timedelta(days=self.extra.randint(30, 900)))
            start = {"earliest": day, "latest": day, "precision": "day"}  # (the text keeps its words:
            # the benchmark's texts and offsets stay those of earlier versions)
        at = doc.quote("", sentence, ". ")
        rec = {
            "id": f"{s_actor.id}-{rtype}-{o_actor.id.rsplit('-', 1)[0]}-r{r}",
            "type": rtype,
            "subject": s_actor.id,
            "object": o_actor.id,
        }
        if rng.random() < P_RELATION_ROLE or rtype == "holds-post":  # drawn for every tie, as before
            rec["role"] = phrase.split(" ", 1)[1]
        if rtype == "holds-post":
            rec["role_code"] = "president"
        if start:
            rec["start"] = start
        rec["evidence"] = [spans.span(sentence, at)]
        self.plan(
            "relations",
            {
                "id": rec["id"],
                "own": {k: rec[k] for k in ("type", "subject", "object")},
                "role": rec.get("role"),
                "role_code": rec.get("role_code"),
                "phrase": phrase,
                "start": start,
                "dated_to_the_day": dated_to_the_day,
                "s_name": s_actor.name,
                "o_name": o_actor.name,
                "words": _words(s_actor.name, o_actor.name),
            },
        )
        return rec

    def events(self, n_events: int, previous: list[Actor]) -> list[dict]:
        events: list[dict] = []
        for e in range(n_events):
            events.append(self._event(e, events, previous))
        self.doc.add("\n\n")
        return events

    def _event(self, e: int, events: list[dict], previous: list[Actor]) -> dict:
        """Event `e`, maybe part of one of the `events` before it, maybe with an actor of the
        `previous` source among its participants."""
        rng, namer, doc = self.rng, self.namer, self.doc
        etype = rng.choice(tuple(EVENT_TYPES))
        if etype == "emergency-declaration" and self.extra.random() < P_CURFEW:
            etype = "curfew"
        verb, first_role = {**EVENT_TYPES, **STATE_TYPES}[etype]
        status = _weighted(rng, EVENT_STATUSES)
        date = _event_dates(rng, status, self.published)
        eid = f"{self.sid}-{etype}-e{e}"
        rec = {"id": eid, "type": etype, "status": status}
        part_of = events[rng.randrange(len(events))]["id"] if events and rng.random() < P_PART_OF else None
        participants, names = self._event_participants(etype, first_role, part_of, previous)
        where = namer.word()
        tense = {"planned": "will", "ongoing": "continue to", "reported": "reportedly"}.get(status, "")
        lead = " and ".join(names) or "officials"
        when = f"On {spoken(dt.date.fromisoformat(date['earliest']))}" if date["earliest"] else "Recently"
        sentence = f"{when}, {lead} {tense + ' ' if tense else ''}{verb} the authorities of {where}"
        quantities = []
        if rng.random() < P_EVENT_QUANTITY:
            clause, quantity = self._event_quantity()
            sentence += clause
            quantities.append(quantity)
        at = doc.quote("", sentence, ". ")
        summary = f"{lead[0].upper()}{lead[1:]} {verb} the authorities of {where}."
        rec["summary"] = summary
        if etype in STATE_TYPES:  # a state: its start where this source gives the day, never a `date`
            if date["earliest"] and date["earliest"] == date["latest"]:
                rec["start"] = date
        else:
            rec["date"] = date
        if rng.random() < P_EVENT_PLACE:
            _name, code = rng.choice(COUNTRIES)
            rec["place"] = where
            rec["country"] = code
        if part_of:
            rec["part_of"] = part_of
        attributed_to = self._attributed(P_ATTRIBUTED * 0.5)
        if attributed_to:
            rec["attributed_to"] = attributed_to
        if participants:
            rec["participants"] = participants
        if quantities:
            rec["quantities"] = quantities
        rec["evidence"] = self._event_evidence(sentence, at, where)
        self.plan(
            "events",
            {
                "id": eid,
                "own": {"type": etype, "summary": summary},
                "verb": verb,
                "status": status,
                "date": (date["earliest"], date["latest"]),
                "first_date": date,
                "state": etype in STATE_TYPES,
                "start": rec.get("start"),
                "where": where,
                "place": rec.get("place"),
                "country": rec.get("country"),
                "part_of": part_of,
                "attributed_to": rec.get("attributed_to"),
                "participants": [(p["actor"], p["role"], nm) for p, nm in zip(participants, names, strict=True)],
                "quantities": quantities,
                "words": _words(where, *names),
            },
        )
        return rec

    def _event_participants(
        self, etype: str, first_role: str, part_of: str | None, previous: list[Actor]
    ) -> tuple[list[dict], list[str]]:
        """An event's participants and their names: none to three of this source's actors (an
        event that is part of another often names none), now and then one of the previous
        source's too."""
        rng, actors = self.rng, self.actors
        n_part = 0 if (part_of and rng.random() < 0.3) else rng.choice((1, 2, 2, 2, 3))
        who: list[int] = []
        for _ in range(n_part):
            who.append(self.pick(set(who)))
        participants = [
            {"actor": actors[n].id, "role": first_role if i == 0 else SECOND_ROLE[etype]} for i, n in enumerate(who)
        ]
        names = [actors[n].name for n in who]
        if previous and who and rng.random() < P_CROSS_SOURCE:
            other = rng.choice(previous)
            participants.append({"actor": other.id, "role": "participant"})
            names.append(other.name)
        return participants, names

    def _event_quantity(self) -> tuple[str, dict]:
        """A quantity an event's sentence states: the words added to the sentence, and its record."""
        rng = self.rng
        n = rng.randint(2, 500)
        qtext = rng.choice((f"Over {n}", f"at least {n}", f"{n}", f"some {n}"))
        unit = rng.choice(("people detained", "officers injured", "kilograms of cocaine", "weapons seized"))
        lower = n + 1 if qtext.startswith("Over") else n
        return f", with {qtext} {unit}", {
            "text": qtext,
            "lower": lower,
            **({"best": n} if qtext == f"{n}" else {}),
            "unit": unit,
        }

    def _event_evidence(self, sentence: str, at: int, where: str) -> list[dict]:
        """An event's spans: its sentence, sometimes a witness's sentence, rarely a third."""
        rng, doc, spans = self.rng, self.doc, self.spans
        ev = [spans.span(sentence, at)]
        if rng.random() < P_RECORD_SECOND_SPAN:
            more = f"Witnesses in {where} described the scene in detail"
            ev.append(spans.span(more, doc.quote("", more, ". ")))
            if rng.random() < P_THIRD_SPAN / P_RECORD_SECOND_SPAN:
                third = f"the events in {where} were confirmed later"
                ev.append(spans.span(third, doc.quote("Officials said ", third, ". ")))
        return ev

    def commitments(self, events: list[dict]) -> list[dict]:
        commitments = [self._commitment(c, events) for c in range(_new_count(self.rng, COMMITMENTS_PER_SOURCE))]
        self.doc.add("\n")
        return commitments

    def _commitment(self, c: int, events: list[dict]) -> dict:
        """Commitment `c`, maybe made in one of this source's `events`."""
        rng, namer, doc, spans = self.rng, self.namer, self.doc, self.spans
        actors, published = self.actors, self.published
        category, action_verb = rng.choice(CATEGORIES)
        strength, strength_verb = rng.choice(STRENGTHS)
        committer = self.pick(set())
        partner = self.pick({committer}) if rng.random() < 0.8 else None
        target_name = actors[partner].name if partner is not None else f"the people of {namer.word()}"
        action = f"{action_verb} {target_name}"
        lead = actors[committer].name
        lead = lead[0].upper() + lead[1:]
        sentence = f"{lead} {strength_verb} {action}"
        quantities = []
        if rng.random() < P_COMMITMENT_QUANTITY:
            n = rng.randint(10, 900)
            sentence += f", sending {n} police officers"
            quantities.append({"text": f"{n}", "lower": n, "best": n, "upper": n, "unit": "police officers"})
        deadline = None
        if rng.random() < P_DEADLINE:
            deadline = published + dt.timedelta(days=rng.randint(30, 700))
            sentence += f" by {spoken(deadline)}"
        sentence = _once(sentence, doc, spans, namer)
        at = doc.quote("", sentence, ". ")
        parties = self._parties(category, committer, partner)
        status = rng.choice(COMMITMENT_STATUSES)
        rec = {
            "id": f"{actors[committer].id}-{category}-c{c}",
            "action": action,
            "category": category,
            "strength": strength,
            "status": status,
            "parties": parties,
        }
        if events and rng.random() < P_MADE_IN:
            rec["made_in"] = rng.choice(events)["id"]
        attributed_to = self._attributed(P_ATTRIBUTED)
        if attributed_to:
            rec["attributed_to"] = attributed_to
        rec["date"] = (
            {"earliest": None, "latest": iso(published), "precision": "open"}
            if rng.random() < 0.8
            else {"earliest": iso(published), "latest": iso(published), "precision": "day"}
        )
        if deadline:
            rec["deadline"] = iso(deadline)
        if rng.random() < P_CONDITIONS:
            rec["conditions"] = "if funding is approved"
        if quantities:
            rec["quantities"] = quantities
        ev = [spans.span(sentence, at)]
        if attributed_to:  # the pledge as the person it is attributed to states it: that span's speaker
            ev[0]["speaker"] = attributed_to
        if rng.random() < P_RECORD_SECOND_SPAN:
            more = f"the pledge by {actors[committer].name} was welcomed in {namer.word()}"
            ev.append(spans.span(more, doc.quote("Observers said ", more, ". ")))
        rec["evidence"] = ev
        self.plan(
            "commitments",
            {
                "id": rec["id"],
                "own": {"action": action, "category": category},
                "lead": lead,
                "strength": strength,
                "status": status,
                "parties": parties,
                "date": (rec["date"]["earliest"], rec["date"]["latest"]),
                "first_date": rec["date"],
                "made_in": rec.get("made_in"),
                "deadline": rec.get("deadline"),
                "conditions": rec.get("conditions"),
                "quantities": quantities,
                "words": _words(lead, action),
            },
        )
        return rec

    def _parties(self, category: str, committer: int, partner: int | None) -> list[dict]:
        """A commitment's parties: the committer, and the partner in the role its category gives."""
        parties = [{"actor": self.actors[committer].id, "role": "committer"}]
        if partner is not None:
            role = {
                "intelligence-sharing": "partner",
                "accountability": "target",
                "domestic-security": "target",
                "personnel-deployment": "beneficiary",
            }.get(category, self.rng.choice(("partner", "beneficiary")))
            parties.append({"actor": self.actors[partner].id, "role": role})
        return parties

    def later_accounts(
        self, pending: Sequence[tuple[str, dict]], counters: dict
    ) -> tuple[dict[str, list[dict]], list[dict]]:
        """Accounts of records that earlier sources of the story stated first, per kind, and the
        resolutions of the disagreements among them."""
        later_accounts: dict[str, list[dict]] = {k: [] for k in KINDS[1:]}
        resolutions: list[dict] = []
        if pending:
            self.doc.add("\nEarlier reports were confirmed this week.")
        follow = _Follow(
            self.rng,
            self.namer,
            self.doc,
            self.spans,
            self.sid,
            self.published,
            self.actors,
            self.persons,
            counters,
            resolutions,
        )
        for kind, st in pending:
            later_accounts[kind].append(getattr(follow, kind)(st))
        if pending:
            self.doc.add("\n")
        return later_accounts, resolutions

    def actor_records(self, actor_spans: dict[str, list[dict]]) -> list[dict]:
        """The actors' records (planned last: their later accounts follow the other kinds')."""
        actor_records = []
        # A government body or command may belong to a state of the same source (never a chain
        # back to itself: states belong to nothing).
        states = [a.id for a in self.actors if a.type == "state"]
        part_of = {
            a.id: self.extra.choice(states)
            for a in self.actors
            if states and a.type in ("government-body", "military") and self.extra.random() < P_ACTOR_PART_OF
        }
        for actor in self.actors:
            rec = {"id": actor.id, "name": actor.name}
            if actor.aliases:
                rec["aliases"] = actor.aliases
            rec["type"] = actor.type
            if actor.honorific:
                rec["honorific"] = actor.honorific
                rec["honorific_code"] = HONORIFIC_CODES[actor.honorific]
            if actor.country:
                rec["country"] = actor.country
            if part_of.get(actor.id):
                rec["part_of"] = part_of[actor.id]
            rec["evidence"] = actor_spans[actor.id]
            actor_records.append(rec)
            self.plan(
                "actors",
                {
                    "id": actor.id,
                    "own": {"name": actor.name, "type": actor.type},
                    "name": actor.name,
                    "aliases": list(actor.aliases),
                    "honorific": actor.honorific,
                    "country": actor.country,
                    "part_of": part_of.get(actor.id),
                    "descriptor": FOLLOW_DESCRIPTORS[actor.type],
                    "words": _words(actor.name, *actor.aliases),
                },
            )
        return actor_records


class _Follow:
    """A later source's account of a record an earlier source of its story stated first: the
    stated fields as this source tells them (agreeing, narrowing the date, adding members, moving
    a planned event on), the record's own fields only now and then, and one quote from this
    source's text. `st` is the record as merged so far, updated here."""

    def __init__(self, rng, namer, doc, spans, sid, published, actors, persons, counters, resolutions):
        self.rng, self.namer, self.doc, self.spans, self.sid = rng, namer, doc, spans, sid
        self.extra = random.Random(f"seccoop-bench/extra-later/{sid}")  # as in _Source
        self.published, self.pub = published, iso(published)
        self.own_actors, self.persons = actors, persons
        self.counters, self.resolutions = counters, resolutions

    def _say(self, quote: str) -> list[dict]:
        """One span of this source: the quote written once (two accounts of look-alike records,
        e.g. one committer's two pledges, would otherwise say the same words)."""
        quote = _once(quote, self.doc, self.spans, self.namer)
        return [self.spans.span(quote, self.doc.quote(" ", quote, "."))]

    def _own(self, st: dict, rec: dict) -> None:
        if self.rng.random() < P_REPEAT_OWN:
            rec.update(st["own"])

    def _conflict(self, st: dict, name: str) -> bool:
        """Whether this account disagrees on `name` (every Nth account that could)."""
        if not st.get(name) or name in st["settled"]:
            return False
        n = self.counters.get(name, 0)
        self.counters[name] = n + 1
        return n % CONFLICT_EVERY[name] == 0

    def _resolve(self, st: dict, name: str, value, reasons: dict) -> None:
        keep_first = self.rng.random() < 0.5
        chosen, by = (st[name], st["by"][name]) if keep_first else (value, self.sid)
        # What it saw: the first account's value and this one's (the accounts in between gave the first).
        saw = [{"source": st["by"][name], "value": st[name]}, {"source": self.sid, "value": value}]
        self.resolutions.append(
            {
                "record": st["id"],
                "field": name,
                "value": chosen,
                "reason": reasons[keep_first].format(by=by),
                "saw": saw,
            }
        )
        st["settled"].add(name)

    def actors(self, st: dict) -> dict:
        rng = self.rng
        rec = {"id": st["id"]}
        self._own(st, rec)
        quote = f"{st['name']}, {st['descriptor']}"
        aliases = []
        if st["aliases"] and rng.random() < 0.5:
            aliases.append(st["aliases"][0])
        if rng.random() < 0.35:
            aliases.append(self.namer.word())
        if aliases:
            rec["aliases"] = aliases
            quote = f"{st['name']}, also known as {' or '.join(aliases)}"
            st["aliases"] += [a for a in aliases if a not in st["aliases"]]
        if st["honorific"] and rng.random() < 0.5:
            rec["honorific"] = st["honorific"]
            rec["honorific_code"] = HONORIFIC_CODES[st["honorific"]]
        if st["part_of"] and self.extra.random() < 0.3:
            rec["part_of"] = st["part_of"]
        if self._conflict(st, "country"):
            name, code = rng.choice([c for c in COUNTRIES if c[1] != st["country"]])
            rec["country"] = code
            quote += f", based in {name}"
            self._resolve(
                st,
                "country",
                code,
                {
                    True: "{by} names the country the actor is based in; the other source names where it was seen.",
                    False: "{by} is the later report and names where the actor is now based.",
                },
            )
        elif st["country"] and rng.random() < 0.5:
            rec["country"] = st["country"]
        elif not st["country"] and rng.random() < 0.1:
            rec["country"] = st["country"] = rng.choice(COUNTRIES)[1]
            st["by"]["country"] = self.sid
        rec["evidence"] = self._say(quote)
        return rec

    def relations(self, st: dict) -> dict:
        rng = self.rng
        rec = {"id": st["id"]}
        self._own(st, rec)
        if st["role"] and rng.random() < 0.5:
            rec["role"] = st["role"]
        elif not st["role"] and rng.random() < 0.2:
            rec["role"] = st["role"] = st["phrase"].split(" ", 1)[1]
        if st["role_code"] and self.extra.random() < 0.5:
            rec["role_code"] = st["role_code"]
        if st["dated_to_the_day"]:
            rng.random()  # kept: see `_relation`
        if st["start"] and self.extra.random() < 0.5:
            rec["start"] = dict(st["start"])  # the day the first source gave; the others do not say
        name = st["s_name"][0].upper() + st["s_name"][1:]
        rec["evidence"] = self._say(f"{name} remains {st['phrase']} {st['o_name']}")
        return rec

    def events(self, st: dict) -> dict:
        rng = self.rng
        rec = {"id": st["id"]}
        self._own(st, rec)
        status, date = self._event_date(st)
        rec["status"] = st["status"] = status
        if st["state"]:  # what this source saw hold on its date; the start only as the first gave it
            if st["start"] and self.extra.random() < 0.5:
                rec["start"] = dict(st["start"])
        else:
            rec["date"] = date
        # (a state's date is not written, but narrows as a happening's would: the draws that
        # follow, and the status it moves through, stay those of earlier versions)
        st["date"] = _intersect(st["date"], (date["earliest"], date["latest"]))
        tense = {"planned": "will ", "ongoing": "continue to ", "reported": "reportedly "}.get(status, "")
        when = (
            f"On {spoken(dt.date.fromisoformat(date['earliest']))}"
            if date["earliest"]
            else "Earlier"
            if status != "planned"
            else "Soon"
        )
        names = self._event_participants(st, rec)
        quote = f"{when}, {' and '.join(names) or 'officials'} {tense}{st['verb']} the authorities of {st['where']}"
        quote = self._event_place(st, rec, quote)
        if st["part_of"] and rng.random() < 0.3:
            rec["part_of"] = st["part_of"]
        if st["attributed_to"] is None and self.persons and rng.random() < 0.1:
            rec["attributed_to"] = st["attributed_to"] = self.own_actors[rng.choice(self.persons)].id
        quote = self._event_quantities(st, rec, quote)
        rec["evidence"] = self._say(quote)
        return rec

    def _event_date(self, st: dict) -> tuple[str, dict]:
        """The event's status and date as this source tells them."""
        if st["status"] == "planned":
            return self._planned_event_date(st)
        return self._past_event_date(st)

    def _planned_event_date(self, st: dict) -> tuple[str, dict]:
        """A planned event: it has occurred by now if its day is past, else it keeps its day or is
        still planned from this source's date on."""
        rng, pub = self.rng, self.published
        status, (early, late) = st["status"], st["date"]
        if late:  # a planned day
            day = dt.date.fromisoformat(late)
            if pub >= day:
                status = "occurred"
                date = (
                    {"earliest": late, "latest": late, "precision": "day"}
                    if rng.random() < 0.6
                    else {"earliest": None, "latest": self.pub, "precision": "open"}
                )
            else:
                date = (
                    {"earliest": late, "latest": late, "precision": "day"}
                    if rng.random() < 0.5
                    else {"earliest": self.pub, "latest": None, "precision": "open"}
                )
        else:  # planned from a date on, no day yet: this source gives the day, or still waits
            start = dt.date.fromisoformat(early)
            r = rng.random()
            if r < 0.6:
                status = "occurred"
                day = iso(start + dt.timedelta(days=rng.randint(0, (pub - start).days)))
                date = {"earliest": day, "latest": day, "precision": "day"}
            elif r < 0.8:
                date = {"earliest": self.pub, "latest": None, "precision": "open"}
            else:
                day = iso(pub + dt.timedelta(days=rng.randint(1, 60)))
                date = {"earliest": day, "latest": day, "precision": "day"}
        return status, date

    def _past_event_date(self, st: dict) -> tuple[str, dict]:
        """An event that occurred, is ongoing or was reported: over by the first source's date."""
        rng = self.rng
        status, (early, late) = st["status"], st["date"]
        if status == "ongoing" and rng.random() < 0.4:
            status = "occurred"
        r = rng.random()
        if r < 0.45:
            date = {"earliest": None, "latest": self.pub, "precision": "open"}
        elif r < 0.75:  # this source gives the day
            end = dt.date.fromisoformat(late)
            first = max(
                dt.date.fromisoformat(early) if early else end - dt.timedelta(days=30), end - dt.timedelta(days=30)
            )
            day = iso(first + dt.timedelta(days=rng.randint(0, (end - first).days)))
            date = {"earliest": day, "latest": day, "precision": "day"}
        else:
            date = dict(st["first_date"])
        if status == "occurred" and not date["latest"]:  # an ongoing event over by now ended by this source
            early = date["earliest"]
            precision = "day" if early == self.pub else "range" if early else "open"
            date = {"earliest": early, "latest": self.pub, "precision": precision}
        return status, date

    def _event_participants(self, st: dict, rec: dict) -> list[str]:
        """The participants this source names (some of the known ones, maybe one of its own
        actors, who joins the record's members); their names."""
        rng = self.rng
        participants, names = [], []
        for actor, role, name in st["participants"]:
            if rng.random() < 0.7:
                participants.append({"actor": actor, "role": role})
                names.append(name)
        if self.own_actors and rng.random() < 0.3:
            new = self.own_actors[rng.randrange(len(self.own_actors))]
            participants.append({"actor": new.id, "role": "participant"})
            names.append(new.name)
            st["participants"].append((new.id, "participant", new.name))
        if participants:
            rec["participants"] = participants
        return names

    def _event_place(self, st: dict, rec: dict, quote: str) -> str:
        """The place (and country) this source gives, a place that disagrees now and then (settled
        in a resolution); the quote with it."""
        rng = self.rng
        if self._conflict(st, "place"):
            other = self.namer.word()
            rec["place"] = other
            quote += f" in {other}"
            self._resolve(
                st,
                "place",
                other,
                {
                    True: "{by} names where the event took place; the other source names where the officials sat.",
                    False: "{by} reported from the scene; the other source names the authorities' seat.",
                },
            )
        elif st["place"] and rng.random() < 0.5:
            rec["place"] = st["place"]
            if st["country"] and rng.random() < 0.7:
                rec["country"] = st["country"]
        elif not st["place"] and rng.random() < 0.1:
            rec["place"] = st["place"] = st["where"]
            st["by"]["place"] = self.sid
        return quote

    def _event_quantities(self, st: dict, rec: dict, quote: str) -> str:
        """The first source's quantity again, or another estimate of it; the quote with it."""
        rng = self.rng
        if st["quantities"]:
            first = st["quantities"][0]
            if rng.random() < 0.5:
                rec["quantities"] = [dict(first)]
                quote += f", with {first['text']} {first['unit']}"
            elif rng.random() < 0.4:
                n = (first.get("lower") or 10) + rng.randint(1, 40)
                q = {"text": f"about {n}", "lower": None, "best": n, "unit": first["unit"]}
                if all((q["text"], q["unit"]) != (x["text"], x["unit"]) for x in st["quantities"]):
                    rec["quantities"] = [q]
                    st["quantities"].append(q)
                    quote += f", with about {n} {first['unit']}"
        return quote

    def commitments(self, st: dict) -> dict:
        rng = self.rng
        rec = {"id": st["id"]}
        self._own(st, rec)
        strength = st["strength"]
        conflict = self._conflict(st, "strength")
        if conflict:
            strength = rng.choice([s for s, _ in STRENGTHS if s != st["strength"]])
        rec["strength"] = strength
        status = st["status"]
        if status == "announced" and rng.random() < 0.2:
            status = st["status"] = "in-progress"
        rec["status"] = status
        parties = [p for p in st["parties"] if p["role"] == "committer" or rng.random() < 0.6]
        if self.own_actors and rng.random() < 0.25:
            new = self.own_actors[rng.randrange(len(self.own_actors))]
            if all(p["actor"] != new.id for p in st["parties"]):
                parties.append({"actor": new.id, "role": "partner"})
                st["parties"] = st["parties"] + [parties[-1]]
        rec["parties"] = parties
        if st["made_in"] and rng.random() < 0.3:
            rec["made_in"] = st["made_in"]
        early, late = st["date"]
        if early and early == late and rng.random() < 0.5:
            rec["date"] = dict(st["first_date"])
        else:
            rec["date"] = {"earliest": None, "latest": self.pub, "precision": "open"}
        st["date"] = _intersect(st["date"], (rec["date"]["earliest"], rec["date"]["latest"]))
        quote = f"{st['lead']} {dict(STRENGTHS)[strength]} {st['own']['action']}"
        if st["quantities"] and rng.random() < 0.5:
            rec["quantities"] = [dict(st["quantities"][0])]
            quote += f", sending {st['quantities'][0]['text']} police officers"
        if st["deadline"] and rng.random() < 0.5:
            rec["deadline"] = st["deadline"]
            quote += f" by {spoken(dt.date.fromisoformat(st['deadline']))}"
        if st["conditions"] and rng.random() < 0.5:
            rec["conditions"] = st["conditions"]
        if conflict:
            self._resolve(
                st,
                "strength",
                strength,
                {
                    True: "{by} quotes the committer's own words; the other source paraphrases them.",
                    False: "{by} is the later report and quotes the signed text.",
                },
            )
        rec["evidence"] = self._say(quote)
        return rec


# -- the package -----------------------------------------------------------------------------


def events_per_source(events: int) -> list[int]:
    """How many new events each source states (the rest of its event accounts are of events an
    earlier source of its story stated first)."""
    n_sources = max(1, round(events / NEW_EVENTS_PER_SOURCE))
    return [events * (i + 1) // n_sources - events * i // n_sources for i in range(n_sources)]


def story_dates(seed: int, story: int, length: int) -> list[dt.date]:
    """Publication dates of the sources of one story: 1 to 45 days apart, all before 2026."""
    rng = random.Random(f"seccoop-bench/{seed}/story/{story}")
    day = dt.date(2012, 1, 1) + dt.timedelta(days=rng.randint(0, 14 * 365 - 3 * 45 - 30))
    dates = [day]
    for _ in range(length - 1):
        day = day + dt.timedelta(days=rng.randint(1, 45))
        dates.append(day)
    return dates


def generate(out: Path, events: int, seed: int = 0, force: bool = False) -> dict:
    """Write a package with `events` events into `out`. Returns counts of what was written."""
    if events < 1:
        raise ValueError("--events must be at least 1")
    out = Path(out)
    if out.exists():
        if not force and any(out.iterdir()):
            raise FileExistsError(f"{out} exists and is not empty (use --force to replace it)")
        shutil.rmtree(out)
    curated = out / "data" / "curated"
    for kind in KINDS:
        (curated / kind).mkdir(parents=True)
        (curated / f"{kind}.yaml").write_text("[]\n", encoding="utf-8")
    (out / "seeds").mkdir()
    shutil.copytree(REPO / "schema", out / "schema")
    shutil.copy2(REPO / "data" / "curated" / "package.yaml", curated / "package.yaml")

    counts = {kind: 0 for kind in KINDS}  # records (an id told by several sources counts once)
    counts.update({f"{kind[:-1]}_accounts": 0 for kind in KINDS[1:]})
    counts.update({f"multi_source_{kind}": 0 for kind in KINDS[1:]})
    counts.update(
        accounts_per_record={},
        resolutions=0,
        evidence_spans=0,
        pinned_spans=0,
        participants=0,
        parties=0,
        quantities=0,
        aliases=0,
        seed_bytes=0,
        curated_bytes=0,
        files=0,
    )
    histogram: dict[int, int] = {}
    per_source = events_per_source(events)
    n_sources = len(per_source)
    pending: dict[int, list[tuple[str, dict]]] = {}
    counters: dict[str, int] = {}
    resolutions: list[dict] = []
    previous: list[Actor] = []
    dates: list[dt.date] = []
    for index, n_events in enumerate(per_source):
        story, position = divmod(index, STORY)
        length = min(STORY, n_sources - story * STORY)
        if position == 0:
            dates = story_dates(seed, story, length)
        src = make_source(
            seed,
            index,
            n_events,
            previous,
            published=dates[position],
            later=length - 1 - position,
            pending=pending.pop(index, []),
            counters=counters,
        )
        for offset, kind, state in src.plans:
            pending.setdefault(index + offset, []).append((kind, state))
        for kind, numbers in src.accounts_per_record.items():
            counts[f"multi_source_{kind}"] += sum(1 for n in numbers if n > 1)
            for n in numbers:
                histogram[n] = histogram.get(n, 0) + 1
        resolutions += src.resolutions
        previous = src.actors
        raw = src.text.encode("utf-8")
        (out / "seeds" / f"{src.id}.txt").write_bytes(raw)
        counts["seed_bytes"] += len(raw)
        counts["pinned_spans"] += src.pinned
        for kind, records in src.records.items():
            data = file_yaml(f"{kind.capitalize()} as {src.id} tells them (synthetic benchmark data).", records)
            (curated / kind / f"{src.id}.yaml").write_bytes(data.encode("utf-8"))
            if kind == "sources":
                counts[kind] += len(records)
            else:
                counts[f"{kind[:-1]}_accounts"] += len(records)
                counts[kind] += len(src.accounts_per_record[kind])
            counts["curated_bytes"] += len(data.encode("utf-8"))
            counts["files"] += 1
            for r in records:
                counts["evidence_spans"] += len(r["evidence"])
                counts["participants"] += len(r.get("participants", ()))
                counts["parties"] += len(r.get("parties", ()))
                counts["quantities"] += len(r.get("quantities", ()))
                counts["aliases"] += len(r.get("aliases", ()))
    assert not pending, sorted(pending)
    data = (
        file_yaml(
            "Disagreements between sources that the merge rules cannot settle, settled by a curator "
            "(synthetic benchmark data; docs/accounts.md).",
            resolutions,
        )
        if resolutions
        else "[]\n"
    )
    (curated / "resolutions.yaml").write_bytes(data.encode("utf-8"))
    counts["resolutions"] = len(resolutions)
    counts["curated_bytes"] += len(data.encode("utf-8"))
    counts["files"] += 1
    counts["accounts_per_record"] = {str(n): histogram[n] for n in sorted(histogram)}
    return counts


def parse_size(text: str) -> int:
    m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([kKmM]?)\s*", text)
    if not m:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (say 1000, 1k, 100k or 1m)")
    return int(float(m.group(1)) * {"": 1, "k": 1000, "m": 1_000_000}[m.group(2).lower()])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=parse_size, required=True, help="number of events (1000, 10k, 100k)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--out", type=Path, required=True, help="folder to write the package into")
    parser.add_argument("--force", action="store_true", help="replace --out if it exists")
    args = parser.parse_args(argv)
    try:
        counts = generate(args.out, args.events, args.seed, args.force)
    except (FileExistsError, ValueError) as exc:
        print(f"generate: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(counts, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
