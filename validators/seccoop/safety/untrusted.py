"""Parsing bytes a stranger may have written (a descriptor, a published document given to `diff`)
into values whose depth is bounded, so no later walk over them can exhaust the stack
(docs/safety.md, "Reading untrusted JSON")."""

from __future__ import annotations

import json
import math
from typing import Any

# seccoop's own documents nest at most about ten levels (a descriptor's foreign key: resources,
# schema, foreignKeys, reference, fields); anything far deeper is not one of them.
MAX_DEPTH = 64


class BadJSON(ValueError):
    """Bytes that are not a JSON document seccoop reads: `reason` says why, without the content."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def load_json(raw: bytes, max_depth: int | None = MAX_DEPTH) -> Any:
    """The JSON value of `raw` (UTF-8), nested at most `max_depth` arrays and objects deep
    (None: any depth the parser itself survives, for documents too large to walk twice).
    Raises BadJSON for bytes that are not UTF-8 JSON or nest deeper."""
    try:
        value = json.loads(raw.decode("utf-8"), parse_constant=_no_constant, parse_float=_finite)
    except UnicodeDecodeError as exc:
        raise BadJSON(f"not UTF-8 (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise BadJSON(f"not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    except RecursionError:  # the C parser guards its own recursion and raises this cleanly
        raise BadJSON("nested too deeply to be read") from None
    except BadJSON:
        raise
    except ValueError:  # an integer of more digits than Python converts (4300)
        raise BadJSON("holds a number too long to read") from None
    if max_depth is not None and depth(value, max_depth) > max_depth:
        raise BadJSON(f"nested more than {max_depth} levels deep")
    return value


def _no_constant(name: str):
    # NaN and Infinity are not JSON; a NaN would make a document differ from itself.
    raise BadJSON(f"holds {name}, which is not a JSON number")


def _finite(text: str) -> float:
    number = float(text)
    if math.isinf(number):
        raise BadJSON("holds a number too large for a float")
    return number


def depth(value: Any, stop: int) -> int:
    """How deeply `value` nests arrays and objects, counted without recursion; stops counting
    once `stop` is passed (the answer is then stop + 1)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if level > deepest:
            deepest = level
            if deepest > stop:
                return deepest
        stack.extend((child, level + 1) for child in children)
    return deepest
