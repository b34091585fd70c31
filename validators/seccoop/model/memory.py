"""How a check holds a whole dataset in memory: its records in less of it, and what it frees
given back to the system. A check's peak is its records (just under 1 GiB at 100k events), and
every export starts with a check; the review site's export must stay under 1 GiB at that size
(benchmarks/README.md)."""

from __future__ import annotations

import functools
import sys
from typing import Any


class _Fields:
    """Instances are never used: their attribute dicts are (see `compact`)."""


_shapes: dict[tuple, type] = {}  # a class per key order, whose instances share one table of keys
_MAX_SHAPES = 1024  # a kind's first few dozen dicts are larger, until CPython learns its size


def compact(value: Any, deep: bool = True) -> Any:
    """The same value, in less memory: every mapping becomes a dict that shares its table of keys
    with every other of the same keys in the same order (CPython's key-sharing dicts of instance
    attributes: 88 bytes for `{actor, role}` instead of 184), every list exactly as long as it
    is. A plain `dict` and `list` still, equal to the value, in the same order. Records are
    held in memory for the whole check: at 10k events, the check's footprint once they are
    loaded went from 161 MiB to 143 MiB. Without `deep`, only the mapping itself (its values are
    shared with other records)."""
    if isinstance(value, dict):
        keys = tuple(value)
        cls = _shapes.get(keys)
        if cls is None:
            # Keys that could be attributes of the class itself stay in a plain dict.
            if len(_shapes) >= _MAX_SHAPES or any(not isinstance(k, str) or k.startswith("__") for k in keys):
                return {k: compact(v) if deep else v for k, v in value.items()}
            cls = _shapes[keys] = type("Fields", (_Fields,), {})
        holder = cls()
        for k, v in value.items():
            setattr(holder, k, compact(v) if deep else v)
        return holder.__dict__
    if isinstance(value, list):
        return [compact(v) for v in value][:]  # a comprehension leaves room to grow; a slice does not
    return value


def give_back() -> None:
    """Return the freed memory in the middle of the C heap to the system (glibc's malloc_trim).
    Source texts of a few kilobytes each come from that heap; once they are dropped, the holes
    they leave are seldom reused by the records' small objects (Python keeps those apart), so
    they would stay in the process's footprint until it exits (14 MiB of it at 10k events).
    Where there is no malloc_trim (macOS, Windows, musl), nothing is given back: the memory is
    still freed for this process to reuse (docs/safety.md, "Every platform")."""
    trim = malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def malloc_trim():
    """glibc's malloc_trim, or None where the C library has none (not Linux; musl; no ctypes)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        return ctypes.CDLL(None).malloc_trim
    except (ImportError, OSError, AttributeError):  # not glibc (musl has no malloc_trim)
        return None
