"""How a check holds a whole dataset in memory: its records in less of it. A check's peak is its
records (about 1 GiB at 100k events), and every export starts with a check; the review
site's export must stay under 1 GiB at that size (benchmarks/README.md)."""

from __future__ import annotations

from abc import ABCMeta
from collections.abc import ItemsView, Iterator, Mapping, ValuesView
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
