"""How a check holds a whole dataset in memory: its records in less of it. A check's peak is its
records (about 1 GiB at 100k events), and every export starts with a check; the review
site's export must stay under 1 GiB at that size (benchmarks/README.md)."""

from __future__ import annotations

from abc import ABCMeta
from collections.abc import ItemsView, Iterator, Mapping, ValuesView
from contextlib import contextmanager, nullcontext
from threading import Lock, get_ident
from typing import Any


class Fields(Mapping):
    """A mapping of a record, or of a value inside one (a span, a participant), held in a slotted
    object: a class per shape (the keys, in their order) whose instances keep one slot per key
    and no table of keys at all. `{actor, role}` takes 48 bytes, a plain dict 184. It reads like
    the dict it was made of (same keys, same order, `==` to it, the same `repr`), and a field's
    value can be set again; a field cannot be added or removed, as the shape is the class's.
    Plain Python: no key-sharing dicts, no allocator calls (docs/cache.md, "Compact records")."""

    __slots__ = ()
    _keys: tuple[str, ...] = ()
    _has: frozenset[str] = frozenset()
    # the fields of a record of this shape read beyond their record, while reads are noted (`Reads`)
    _beyond: set[str] | None = None

    def __getitem__(self, key: Any) -> Any:
        if key in self._has:
            return getattr(self, key)
        raise KeyError(key)

    def get(self, key: Any, default: Any = None) -> Any:
        return getattr(self, key) if key in self._has else default

    def __contains__(self, key: object) -> bool:
        return key in self._has

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __setitem__(self, key: str, value: Any) -> None:
        if key not in self._has:
            raise KeyError(f"{key!r} is not a field of this {tuple(self._keys)} mapping")
        setattr(self, key, value)

    def items(self) -> ItemsView[str, Any]:
        return _Items(self)

    def values(self) -> ValuesView[Any]:
        return _Values(self)

    def __repr__(self) -> str:
        return repr(dict(self.items()))

    def __reduce__(self):  # a class made at run time cannot be pickled by name: a dict travels
        return dict, (list(self.items()),)


class _Items(ItemsView):
    """A view of a `Fields`'s items that reads its slots (not `[key]` for each, as `Mapping` does)."""

    __slots__ = ()

    def __iter__(self):
        fields = self._mapping
        return ((key, getattr(fields, key)) for key in fields)


class _Values(ValuesView):
    __slots__ = ()

    def __iter__(self):
        fields = self._mapping
        return (getattr(fields, key) for key in fields)


MAPPINGS = (dict, Fields)  # what a record's mapping is: `isinstance(value, MAPPINGS)`
_shapes: dict[tuple, type[Fields]] = {}
_MAX_SHAPES = 4096  # the schemas' shapes are a few hundred; keys written by strangers stay dicts
_TAKEN = frozenset(dir(Fields))  # a key that would hide a method (`get`, `items`) stays in a dict


def compact(value: Any, deep: bool = True) -> Any:
    """The same value, in less memory: every mapping becomes a `Fields` of its keys, every list
    exactly as long as it is. Records are held in memory for the whole check. Without `deep`,
    only the mapping itself (its values are shared with other records)."""
    if isinstance(value, dict):
        keys = tuple(value)
        cls = _shapes.get(keys)
        if cls is None:
            # A slot must be an attribute name that is neither private (`__x` is renamed) nor
            # taken by the class (`get`, `_keys`, `__dict__`).
            if len(_shapes) >= _MAX_SHAPES or any(
                not isinstance(k, str) or not k.isidentifier() or k.startswith("_") or k in _TAKEN for k in keys
            ):
                return {k: compact(v) if deep else v for k, v in value.items()}
            cls = _shapes[keys] = ABCMeta(
                "Fields", (Fields,), {"__slots__": keys, "_keys": keys, "_has": frozenset(keys)}
            )
        holder = cls.__new__(cls)
        for k, v in value.items():
            setattr(holder, k, compact(v) if deep else v)
        return holder
    if isinstance(value, list):
        return [compact(v) for v in value][:]  # a comprehension leaves room to grow; a slice does not
    return value


def plain(value: Any) -> Any:
    """The value with every `Fields` a dict again, for readers that take only dicts and lists
    (the compiled schema validator, JSON)."""
    if isinstance(value, MAPPINGS):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


class Reads:
    """Which fields of records something beyond the record reads: noted by the reads themselves,
    while a whole check runs under `noting_reads` (docs/cache.md, "Field grain"). A read is the
    record's own only inside `reading(record)`, a query of that record (its own rules, its own
    rows); any other read of a field, including every read that fills a map serving other
    records, counts as read beyond it: more readers, never fewer."""

    def __init__(self) -> None:
        self.kinds: dict[type, set[str]] = {}  # a record's class -> the kinds of the records it holds
        self.plain: set[str] = set()  # kinds with a record not held in a `Fields`: its reads are not noted
        self.beyond: dict[type, set[str]] = {}  # a record's class -> the fields read beyond a record

    def record(self, kind: str, fields: Any) -> None:
        """Note that `fields` is a record of `kind` (an account, or a merged record)."""
        cls = type(fields)
        if cls.__base__ is Fields:
            if cls._beyond is None:  # its reads are noted from now on
                cls._beyond = self.beyond[cls] = set()
            self.kinds.setdefault(cls, set()).add(kind)
        else:
            self.plain.add(kind)

    def by_kind(self) -> dict[str, list[str]]:
        """Each kind's fields read beyond a record, for kinds whose every record was noted."""
        found: dict[str, set[str]] = {}
        for cls, kinds in self.kinds.items():
            for kind in kinds:
                found.setdefault(kind, set()).update(self.beyond[cls])
        return {kind: sorted(keys) for kind, keys in sorted(found.items()) if kind not in self.plain}


_noting: Reads | None = None
_noter: int | None = None  # the thread that notes (`threading.get_ident`): one at a time
_NOTER = Lock()  # held while noting starts or ends
_own: set[int] = set()  # inside `reading`: the ids of the objects of the record being read for


class _Own:
    """`reading(...)`'s context: the reads of these objects are theirs, until it exits."""

    __slots__ = ("objects", "before")

    def __init__(self, objects) -> None:
        self.objects = objects

    def __enter__(self) -> None:
        global _own
        self.before, _own = _own, {id(o) for o in self.objects}

    def __exit__(self, *exc) -> None:
        global _own
        _own = self.before


_NOTHING = nullcontext()  # `reading` where nothing is noted


def note_record(kind: str, fields: Any) -> None:
    """While reads are noted, note that `fields` holds a record of `kind`."""
    if _noting is not None and _noter == get_ident():
        _noting.record(kind, fields)


def reading(*objects: Any):
    """A query of one record: inside it, reads of `objects` (the record's mappings: its accounts
    and its merged record) are its own. Only code that yields that record's own problems and rows,
    and nothing another record is judged or rendered by, may run inside it."""
    return _Own(objects) if _noting is not None and _noter == get_ident() else _NOTHING


# The noting methods. A record's class holds the set of its fields read beyond a record
# (`_beyond`; None: not a record's class, or not noting): a field already in it costs one
# lookup, which keeps a noted check within a few percent of a plain one.
def _noting_getitem(self: Fields, key: Any) -> Any:
    if key in self._has:
        beyond = self._beyond
        if beyond is not None and key not in beyond and id(self) not in _own:
            beyond.add(key)
        return getattr(self, key)
    raise KeyError(key)


def _noting_get(self: Fields, key: Any, default: Any = None) -> Any:
    if key in self._has:
        beyond = self._beyond
        if beyond is not None and key not in beyond and id(self) not in _own:
            beyond.add(key)
        return getattr(self, key)
    return default


def _noting_contains(self: Fields, key: object) -> bool:
    beyond = self._beyond  # whether a field is there is read as much as its value (a key is a str)
    if beyond is not None and isinstance(key, str) and key not in beyond and id(self) not in _own:
        beyond.add(key)
    return key in self._has


def _noting_all(iterate):
    def __iter__(view):
        fields = view._mapping
        beyond = fields._beyond
        if beyond is not None and id(fields) not in _own:
            beyond.update(fields._keys)
        return iterate(view)

    return __iter__


_PLAIN = {
    (Fields, "__getitem__"): Fields.__getitem__,
    (Fields, "get"): Fields.get,
    (Fields, "__contains__"): Fields.__contains__,
    (_Items, "__iter__"): _Items.__iter__,
    (_Values, "__iter__"): _Values.__iter__,
}
_NOTING = {
    (Fields, "__getitem__"): _noting_getitem,
    (Fields, "get"): _noting_get,
    (Fields, "__contains__"): _noting_contains,
    (_Items, "__iter__"): _noting_all(_Items.__iter__),
    (_Values, "__iter__"): _noting_all(_Values.__iter__),
}


@contextmanager
def noting_reads() -> Iterator[Reads | None]:
    """Note every read of a record's field while the block runs (a whole check that may keep a
    baseline). The noting methods take the place of the plain ones only meanwhile: a check that
    keeps no baseline pays nothing for them. One thread notes at a time: a check run in another
    thread meanwhile notes nothing (None: its baseline has no field grain), and its reads of
    records count as read beyond in the noting one's (more readers, never fewer)."""
    global _noting, _noter
    reads = Reads()
    with _NOTER:
        outer, busy = _noting, _noting is not None
        if not busy:
            _noting, _noter = reads, get_ident()
            for (cls, name), method in _NOTING.items():
                setattr(cls, name, method)
    if busy:  # the outer block's reads in this thread; none in another
        yield outer if _noter == get_ident() else None
        return
    try:
        yield reads
    finally:
        with _NOTER:
            for (cls, name), method in _PLAIN.items():
                setattr(cls, name, method)
            _noting = _noter = None
            for cls in reads.kinds:  # what they read stays in `reads.beyond`; the classes stop noting
                cls._beyond = None
