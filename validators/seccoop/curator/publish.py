"""`seccoop locate --pin --publish POLICY`: unpublish in place what a withheld text's quotation
budget cannot hold (docs/rights.md, "Choosing what to publish").

What counts is what `check` counts (seccoop.checks.budget): published quotes less the names they
hold, and the words kept for honorifics, roles, places and quantities. A policy says what stays:

- `names`: only what costs nothing (quotes that are names); every other quote and every word
  that can go (an honorific, role or place whose code stays) is unpublished.
- `budget`: names first; then, fact by fact in the order commitments, events, relations, actors
  (what a reader most wants to check first), each record's shortest published words, then its
  next shortest, and so on, while the text's budget holds; the rest is unpublished.

Unpublishing keeps the fact verifiable: a quote keeps its offsets and fingerprint, an honorific,
role or place its code. A quantity's words are required, so they stay and count.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from seccoop.checks.budget import names_by_source, quoted_chars, source_words
from seccoop.curator.yamlwrite import remove_keys
from seccoop.model import rights
from seccoop.model.load import load_bytes, load_file
from seccoop.model.package import KINDS, Package
from seccoop.model.schemas import Schemas

# Which facts keep their words first: what a reader most wants to check.
PRIORITY = {"commitment": 0, "event": 1, "relation": 2, "actor": 3}
# A word field can go where a code says the same: the field, and the codes that stand for it.
CODED = {"honorific": ("honorific_code",), "role": ("role_code",), "place": ("country", "subdivision", "city")}


@dataclass
class Item:
    """One published string of a withheld text: a quote, or words kept for a field."""

    source: str
    kind: str
    record: str
    file: Path
    display: str
    line: int
    path: tuple  # the mapping that holds `key`, from the file's root
    key: str
    text: str
    chars: frozenset[int] | None  # a quote's counted characters; None for words
    removable: bool
    keep: bool = True

    @property
    def cost(self) -> int:
        return len(self.chars) if self.chars is not None else len(self.text)


@dataclass
class Share:
    source: str
    before: int
    after: int
    allowed: int
    length: int


def _counted(items: list[Item]) -> int:
    """What a text's kept items count: quote characters once each, words once each unless a kept
    quote holds them (as check counts them)."""
    chars: set[int] = set()
    quotes = [i.text for i in items if i.keep and i.chars is not None]
    for item in items:
        if item.keep and item.chars is not None:
            chars |= item.chars
    words = {i.text for i in items if i.keep and i.chars is None and not any(i.text in q for q in quotes)}
    return len(chars) + sum(len(w) for w in words)


class PublishRefused(Exception):
    """The curated files are not in a shape to choose from: `seccoop check` says what to fix (exit 1)."""


def plan(package: Package, policy: str, pinned: dict[Path, bytes]) -> tuple[list[Item], list[Share], dict]:
    """What each withheld text keeps and loses under `policy`, the shares before and after, and
    the new bytes of each curated file that changes. `pinned`: files as `--pin` would write them.
    Raises PublishRefused where a file does not parse or a record is not of its schema's shape."""
    validators = Schemas(package.schema).validators
    files = {}
    for kind in KINDS:
        for file in package.curated_files(kind):
            raw = pinned.get(file)
            cf, problems = (
                load_bytes(raw, file, package.rel(file), root=package.root)
                if raw is not None
                else load_file(file, package.rel(file), root=package.root)
            )
            if any(p.severity == "error" for p in problems):
                raise PublishRefused(f"{cf.display} does not read as curated YAML; run `seccoop check`, fix it first")
            for index, data in cf.records:
                if not validators[kind].is_valid(data):
                    raise PublishRefused(
                        f"{cf.display}: record {index + 1} is not of the {kind} schema's shape; run `seccoop check` "
                        "and fix it first"
                    )
            files[file] = (kind, cf)
    sources = {d["id"]: d for kind, cf in files.values() if kind == "source" for _, d in cf.records}
    withheld = {sid for sid, d in sources.items() if d.get("text") == "withheld"}
    names = names_by_source(
        (d["evidence"][0]["source"], d)
        for kind, cf in files.values()
        if kind == "actor"
        for _, d in cf.records
        if isinstance(d, dict) and d.get("evidence") and isinstance(d["evidence"][0], dict)
    )
    items = [
        item
        for file, (kind, cf) in files.items()
        if kind != "source"
        for item in _items(file, kind, cf, withheld, names)
    ]
    shares = []
    for source in sorted(withheld):
        own = [i for i in items if i.source == source]
        if not own:
            continue
        allowed = int(rights.MAX_SHARE * sources[source]["length"])
        before = _counted(own)
        _choose(own, policy, allowed)
        shares.append(Share(source, before, _counted(own), allowed, sources[source]["length"]))
    return items, shares, _rewrite(files, items, pinned)


def _items(file: Path, kind: str, cf, withheld: set[str], names: dict[str, list[str]]) -> list[Item]:
    out = []
    for index, data in cf.records:
        spans = data.get("evidence") if isinstance(data, dict) else None
        if not spans or not isinstance(spans[0], dict) or spans[0].get("source") not in withheld:
            continue
        source = spans[0]["source"]
        for i, span in enumerate(spans):
            if isinstance(span.get("quote"), str) and span.get("source") in withheld and "start" in span:
                start, end = span["start"], span.get("end", span["start"] + len(span["quote"]))
                chars = frozenset(quoted_chars(start, end, span["quote"], names.get(span["source"], [])))
                where = (index, "evidence", i)
                out.append(_item(span["source"], kind, data, file, cf, where, "quote", span["quote"], chars, True))
        for text, path in source_words(kind, data):
            holder, key = (index, *path[:-1]), path[-1]
            removable = any(data.get(code) for code in CODED.get(key, ()))
            out.append(_item(source, kind, data, file, cf, holder, key, text, None, removable))
    return out


def _item(source, kind, data, file, cf, holder, key, text, chars, removable) -> Item:
    line = cf.locate((*holder, key))[0] or 0
    return Item(source, kind, data["id"], file, cf.display, line, holder, key, text, chars, removable)


def _choose(items: list[Item], policy: str, allowed: int) -> None:
    """Mark what a text keeps: what costs nothing, then (policy `budget`) each record's words by
    the priority while they fit."""
    for item in items:
        item.keep = not item.removable or item.cost == 0
    if policy == "names":
        return
    by_record: dict[tuple, list[Item]] = {}
    for item in items:
        if item.removable and item.cost > 0:
            by_record.setdefault((PRIORITY[item.kind], item.display, item.record), []).append(item)
    queues = [sorted(group, key=lambda i: (i.cost, i.line)) for _, group in sorted(by_record.items())]
    for round_ in range(max((len(q) for q in queues), default=0)):
        for queue in queues:
            if round_ < len(queue):
                item = queue[round_]
                item.keep = True
                if _counted(items) > allowed:
                    item.keep = False


def _rewrite(files: dict, items: list[Item], pinned: dict[Path, bytes]) -> dict[Path, bytes]:
    """The new bytes of each file with something unpublished: pinned first where --pin pinned."""
    out = dict(pinned)
    for file, (_, cf) in files.items():
        gone = [(i.path, i.key) for i in items if i.file == file and not i.keep]
        if gone:
            text = remove_keys(cf.text, gone)
            again, problems = load_bytes(text.encode("utf-8"), file, cf.display, root=None)
            if any(p.severity == "error" for p in problems):  # pragma: no cover - remove_keys verified it
                raise ValueError(f"{cf.display}: the file would not load")
            out[file] = text.encode("utf-8")
    return out
