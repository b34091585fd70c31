"""Load curated YAML safely: text hygiene, strict YAML, and records that remember where they came from.

PyYAML alone keeps the last of two duplicate keys, expands aliases without bound and turns `no`
into False. Here the C parser builds the node tree, and `_construct` turns nodes into plain
values itself, refusing what would silently change or multiply data. Line and column of any
JSON path are found on demand (`CuratedFile.locate`), so valid files pay nothing for them.
"""

from __future__ import annotations

import math
import re
import unicodedata
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from sys import intern
from typing import Any

import yaml

from seccoop.model.report import Problem
from seccoop.safety import paths

try:  # libyaml's C parser; the pure-Python one gives the same nodes, slower
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader

MAX_FILE_BYTES = paths.CURATED_LIMIT
_INTERN_MAX = 64
# Ids, codes and dates repeat across records: one shared string each saves much memory. A table
# of our own rather than sys.intern's, so that it can be emptied once the records are loaded
# (its slots alone are about 70 MB at 100k events; the strings stay shared).
shared_scalars: dict[str, str] = {}
MAX_DEPTH = 32

_T = "tag:yaml.org,2002:"
_BOOL_WORDS = {"true", "True", "TRUE", "false", "False", "FALSE"}
_DECIMAL_INT = re.compile(r"[-+]?(0|[1-9][0-9]*)\Z")
_PLAIN_FLOAT = re.compile(r"[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?\Z")
# Numbers every published format holds exactly (docs/safety.md): JSON readers, JavaScript and
# SQLite REAL lose integers beyond 2^53 - 1, and a float must print the same everywhere.
MAX_INT = 2**53 - 1
MAX_FLOAT = 1e15

# Characters no curated text needs: C0/C1 controls except tab and newline, and invisible or
# bidirectional formatting characters that make text read differently from what it holds.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f"
    "\u202a-\u202e\u2060-\u2064\u2066-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0]"
)
# Unicode noncharacters (U+FDD0..U+FDEF and the last two code points of every plane) are not
# text; the line and paragraph separators break lines in JavaScript and some editors only.
_NONCHARACTER = re.compile(
    "[\u2028\u2029\ufdd0-\ufdef"
    + "".join(f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(17))
    + "]"
)


@dataclass
class CuratedFile:
    """One curated YAML file: its text, its records, and a lazy index from paths to positions."""

    path: Path
    display: str
    _text: str | None = ""  # None once loaded: read again from disk when an error needs it
    records: list[tuple[int, dict]] = field(default_factory=list)  # (position in file, record)
    # Ids of records refused by the loader (they are reported, and references to them are not)
    withheld: list[str] = field(default_factory=list)
    parsed: bool = False  # False when the file could not be read or parsed at all
    data: Any = None  # the whole file's value, for files that are not lists of records
    _root: Any = None
    folder: Path | None = None  # the root the file was read from (the package), for the gate

    @property
    def text(self) -> str:
        if self._text is None:
            try:
                raw = paths.read_file(self.path, self.folder, MAX_FILE_BYTES)
            except paths.Refused:
                raw = b""  # gone or replaced since it was loaded: positions are then unknown
            self._text = raw.decode("utf-8", "replace").removeprefix("\ufeff")
        return self._text

    def release(self) -> None:
        """Drop the text and node tree: a large dataset holds thousands of files, and positions
        are only needed for the few that have problems."""
        self._text, self._root = None, None

    def locate(self, path: tuple, key: bool = False) -> tuple[int | None, int | None]:
        """Line and column (from 1) of the node at `path`; with `key`, of the key of its last step.
        Falls back to the nearest existing ancestor."""
        if self._root is None:
            try:
                self._root = yaml.compose(self.text, Loader=_Loader)
            except yaml.YAMLError:
                return None, None
        node, mark = self._root, self._root.start_mark if self._root is not None else None
        for step in path:
            if isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
                node = node.value[step]
                mark = node.start_mark
            elif isinstance(node, yaml.MappingNode):
                for k, v in node.value:
                    if k.value == step:
                        node, mark = v, (k.start_mark if key and step == path[-1] else v.start_mark)
                        break
                else:
                    break
            else:
                break
        if mark is None:
            return None, None
        return mark.line + 1, mark.column + 1

    def problem(self, code: str, message: str, path: tuple = (), key: bool = False, **kw) -> Problem:
        line, column = self.locate(path, key=key)
        return Problem(
            code, message, file=self.display, line=line, column=column, path=json_path(path) if path else None, **kw
        )


def json_path(path: tuple) -> str:
    out = "$"
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else f".{step}"
    return out


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def check_text(raw: bytes, display: str) -> tuple[str | None, list[Problem]]:
    """Decode a curated file and check its text hygiene. Returns the text (None if undecodable)."""
    problems: list[Problem] = []

    def at(code: str, offset: int, message: str) -> None:
        line, col = _position(text, offset)
        problems.append(Problem(code, message, file=display, line=line, column=col))

    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        good = raw[: exc.start].decode("utf-8")
        line = good.count("\n") + 1
        col = len(good) - (good.rfind("\n") + 1) + 1
        return None, [
            Problem("text-encoding", f"invalid UTF-8 byte 0x{raw[exc.start]:02x}", file=display, line=line, column=col)
        ]
    if text.startswith("\ufeff"):
        problems.append(
            Problem("text-bom", "the file starts with a byte-order mark (U+FEFF)", file=display, line=1, column=1)
        )
        text = text[1:]
    if "\r" in text:
        at("text-crlf", text.index("\r"), "carriage return (CR) in line end; use LF only")
    for m in _CONTROL.finditer(text):
        at("text-control", m.start(), f"control character U+{ord(m.group()):04X}")
        break
    for m in _INVISIBLE.finditer(text):
        ch = m.group()
        at("text-invisible", m.start(), f"invisible character U+{ord(ch):04X} ({unicodedata.name(ch, 'unnamed')})")
    for m in _NONCHARACTER.finditer(text):
        ch = m.group()
        at(
            "text-noncharacter",
            m.start(),
            f"character U+{ord(ch):04X} ({unicodedata.name(ch, 'a noncharacter')}) is not text",
        )
    if not text.isascii() and not unicodedata.is_normalized("NFC", text):
        offset = next(i for i, line in _lines_with_offsets(text) if not unicodedata.is_normalized("NFC", line))
        at("text-not-nfc", offset, "text is not in Unicode NFC")
    return text, problems


def _lines_with_offsets(text: str):
    offset = 0
    for line in text.split("\n"):
        yield offset, line
        offset += len(line) + 1


class _Refused(Exception):
    def __init__(self, code: str, message: str, node: Any, hint: str | None = None):
        super().__init__(message)
        self.code, self.message, self.node, self.hint = code, message, node, hint


def _scalar(node: yaml.ScalarNode) -> Any:
    tag, value = node.tag, node.value
    if node.style or tag == _T + "str":  # quoted or block text (plain style is '' in C, None in Python)
        if tag != _T + "str":
            raise _Refused("yaml-tag", f"tag {tag} is not accepted on text", node)
        return shared_scalars.setdefault(value, value) if len(value) <= _INTERN_MAX else value
    if tag == _T + "null":
        return None
    if tag == _T + "bool":
        if value in _BOOL_WORDS:
            return value.lower() == "true"
        raise _Refused(
            "yaml-implicit-type",
            f"bare `{value}` is a boolean in YAML 1.1",
            node,
            f'Write "{value}" in quotes if it is text, or true/false.',
        )
    if tag == _T + "int":
        if _DECIMAL_INT.match(value):
            # Length first: int() of a few thousand digits is refused by Python, and slow before
            if len(value.lstrip("+-")) > 16 or abs(number := int(value)) > MAX_INT:
                raise _Refused(
                    "yaml-number-range", f"the integer {_abridged(value)} is outside ±{MAX_INT}", node, _NUMBER_HINT
                )
            return number
        raise _Refused(
            "yaml-implicit-type",
            f"bare `{value}` is read as a number in YAML 1.1 (octal, hexadecimal, sexagesimal or with underscores)",
            node,
            f'Write "{value}" in quotes if it is text, or a plain decimal number.',
        )
    if tag == _T + "float":
        if _PLAIN_FLOAT.match(value):
            number = float(value)
            if not math.isfinite(number) or abs(number) >= MAX_FLOAT:
                raise _Refused(
                    "yaml-number-range",
                    f"the number {_abridged(value)} is "
                    f"{'not finite' if not math.isfinite(number) else 'not below 1e15'}",
                    node,
                    _NUMBER_HINT,
                )
            # Published as the float's shortest form, the number must still be the one written:
            # `1.50` and `.5` are, `240.0000000000000001` (published as 240.0) and `1e-400` are not.
            # Decimal values are compared, not texts, so that notation alone never counts.
            if not _survives(value, number):
                raise _Refused(
                    "yaml-number-range",
                    f"the number {_abridged(value)} cannot be published as written: as a float it is {number!r}",
                    node,
                    f"Write {number!r} if that is the value meant; else write the number as text, in quotes.",
                )
            return number
        raise _Refused(
            "yaml-implicit-type",
            f"bare `{value}` is a special float in YAML 1.1",
            node,
            f'Write "{value}" in quotes if it is text.',
        )
    if tag == _T + "timestamp":
        # dates stay the text written: the schema checks them as dates
        return shared_scalars.setdefault(value, value)
    raise _Refused("yaml-tag", f"tag {tag} is not accepted", node)


def _survives(value: str, number: float) -> bool:
    """Whether the float's shortest form denotes the decimal value written."""
    try:
        return Decimal(value) == Decimal(repr(number))
    except InvalidOperation:  # an exponent beyond even Decimal's range: nothing a float keeps
        return False


_NUMBER_HINT = (
    f"Keep integers within ±{MAX_INT} and other numbers finite and below 1e15; "
    "write a value beyond that as text, in quotes."
)


def _abridged(value: str) -> str:
    return value if len(value) <= 24 else f"{value[:10]}…{value[-4:]} ({len(value)} characters)"


def _construct(node: Any, seen: set[int], depth: int = 0) -> Any:
    if depth > MAX_DEPTH:
        raise _Refused("yaml-too-deep", f"nesting deeper than {MAX_DEPTH} levels", node)
    if id(node) in seen:  # the composer hands back the anchored node itself for an alias
        raise _Refused("yaml-alias", "an alias (*name) repeats an anchored node", node)
    seen.add(id(node))
    if isinstance(node, yaml.ScalarNode):
        if node.tag == _T + "merge":
            raise _Refused("yaml-merge-key", "merge key (<<) is not accepted", node)
        return _scalar(node)
    if isinstance(node, yaml.SequenceNode):
        if node.tag != _T + "seq":
            raise _Refused("yaml-tag", f"tag {node.tag} is not accepted", node)
        return [_construct(item, seen, depth + 1) for item in node.value]
    if node.tag != _T + "map":
        raise _Refused("yaml-tag", f"tag {node.tag} is not accepted", node)
    out: dict[str, Any] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            raise _Refused("yaml-key-type", "a mapping key must be a plain string, not a list or mapping", key_node)
        if key_node.tag == _T + "merge":
            raise _Refused("yaml-merge-key", "merge key (<<) is not accepted", key_node)
        if key_node.tag != _T + "str":
            raise _Refused(
                "yaml-key-type",
                f"key `{key_node.value}` is not a string",
                key_node,
                f'Quote the key ("{key_node.value}":) or spell the field name.',
            )
        key = intern(key_node.value)
        if key in out:
            raise _Refused(
                "yaml-duplicate-key",
                f"duplicate key `{key}`",
                key_node,
                "Delete or rename one of the two keys; YAML tools keep only the last.",
            )
        out[key] = _construct(value_node, seen, depth + 1)
    return out


def _value_problems(cf: CuratedFile, value: Any, path: tuple) -> list[Problem]:
    """Text values, once YAML escapes are decoded: no leading or trailing whitespace (ids, codes
    and quotes alike), and no control or invisible characters written as escapes ("\\0")."""
    found = []
    if isinstance(value, str):
        if value != value.strip():
            found.append(cf.problem("text-whitespace", f"`{value}` has leading or trailing whitespace", path))
        bad = _CONTROL.search(value) or _INVISIBLE.search(value) or _NONCHARACTER.search(value)
        if bad and bad.group() not in cf.text:  # written as an escape; a literal one was reported
            code = (
                "text-control"
                if _CONTROL.match(bad.group())
                else "text-invisible"
                if _INVISIBLE.match(bad.group())
                else "text-noncharacter"
            )
            found.append(cf.problem(code, f"the value holds character U+{ord(bad.group()):04X}", path))
    elif isinstance(value, dict):
        for k, v in value.items():
            found += _value_problems(cf, v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found += _value_problems(cf, v, (*path, i))
    return found


# Curated files as a command is about to write them, by path: `seccoop merge` and `rename` check
# the package as they would leave it (the merge rules included) before writing a byte.
PENDING: ContextVar[dict[Path, bytes] | None] = ContextVar("pending_writes", default=None)


def load_file(path: Path, display: str, records: bool = True, *, root: Path) -> tuple[CuratedFile, list[Problem]]:
    """Read one curated file into records (or, with `records=False`, into one value of any shape),
    or problems saying why it cannot be read. The file is read through the gate (`seccoop.safety.paths`)
    from `root`, the package root, or as it is about to be written (PENDING)."""
    pending = (PENDING.get() or {}).get(path)
    if pending is not None:
        return load_bytes(pending, path, display, records, root)
    try:
        raw = paths.read_file(path, root, MAX_FILE_BYTES)
    except paths.Refused as exc:  # the reason only: a refused file's content is never shown
        cf = CuratedFile(path, display, folder=root)
        return cf, [Problem(exc.code, exc.reason, file=display)]
    return load_bytes(raw, path, display, records, root)


def load_bytes(
    raw: bytes, path: Path, display: str, records: bool = True, root: Path | None = None
) -> tuple[CuratedFile, list[Problem]]:
    """`load_file` on bytes already read: also how seccoop verifies YAML it is about to write."""
    cf = CuratedFile(path, display, folder=root)
    text, problems = check_text(raw, display)
    if text is None:
        return cf, problems
    cf._text = text
    if any(p.code in ("text-control", "text-bom", "text-noncharacter") for p in problems):
        return cf, problems  # the parser would fail confusingly on these; fix them first
    try:
        root_node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:  # said where the mistake began, not only where libyaml stopped
        from seccoop.model.yamlsyntax import syntax_problem

        return cf, problems + [syntax_problem(text, exc, display)]
    except yaml.YAMLError as exc:
        return cf, problems + [Problem("yaml-syntax", str(exc), file=display)]
    except RecursionError:
        return cf, problems + [Problem("yaml-too-deep", "nesting too deep to parse", file=display)]
    if root_node is None:
        return cf, problems + [Problem("yaml-empty", "the file holds no records", file=display)]
    cf._root = root_node
    aliases = _Aliases(text)
    if not records or not isinstance(root_node, yaml.SequenceNode):
        try:
            data = _construct(root_node, set())
        except _Refused as exc:
            return cf, problems + [_refusal(exc, display, aliases, root_node)]
        if not records:
            cf.parsed = True
            cf.data = data
            cf._root = None
            return cf, problems + _value_problems(cf, data, ())
        # Not parsed as records: the ids it may hold are unknown, so references are not judged.
        return cf, problems + [
            Problem(
                "yaml-not-records",
                f"the file holds a {_yaml_kind(data)}, not a list of records",
                file=display,
                line=1,
                column=1,
            )
        ]
    cf.parsed = True
    # Each record on its own, so that one bad record does not hide the others.
    seen: set[int] = set()
    for i, item in enumerate(root_node.value):
        try:
            record = _construct(item, seen)
        except _Refused as exc:
            problems.append(_refusal(exc, display, aliases, item))
            cf.withheld += _node_id(item)
            continue
        if not isinstance(record, dict):
            problems.append(
                Problem(
                    "yaml-not-records",
                    f"item {i + 1} is a {_yaml_kind(record)}, not a record (mapping)",
                    file=display,
                    line=item.start_mark.line + 1,
                    column=item.start_mark.column + 1,
                    path=json_path((i,)),
                )
            )
            continue
        value_problems = _value_problems(cf, record, (i,))
        problems += value_problems
        if value_problems:
            # held back with its id as written and as meant, so references to it are not reported
            cf.withheld += [record["id"], record["id"].strip()] if isinstance(record.get("id"), str) else []
        else:
            cf.records.append((i, record))
    cf.release()  # positions are found again on demand, from the file
    return cf, problems


class _Aliases:
    """Where the aliases (*name) of a file are. The composer hands back the anchored node itself
    for an alias, so its own position is found again from the parser's events, on demand."""

    def __init__(self, text: str):
        self.text, self._marks = text, None

    def first_within(self, node: Any) -> Any:
        if self._marks is None:
            self._marks = [
                e.start_mark for e in yaml.parse(self.text, Loader=_Loader) if isinstance(e, yaml.AliasEvent)
            ]
        start, end = node.start_mark.index, node.end_mark.index
        return next((m for m in self._marks if start <= m.index < end), None)


def _refusal(exc: _Refused, display: str, aliases: _Aliases, item: Any) -> Problem:
    mark = exc.node.start_mark
    if exc.code == "yaml-alias":  # point at the alias, where the fix is, not at its anchor
        mark = aliases.first_within(item) or mark
    return Problem(exc.code, exc.message, file=display, line=mark.line + 1, column=mark.column + 1, hint=exc.hint)


def _node_id(node: Any) -> list[str]:
    """The id a refused record node declares, so references to it are not reported as unknown."""
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if getattr(k, "value", None) == "id" and isinstance(v, yaml.ScalarNode):
                return [v.value]
    return []


def _yaml_kind(value: Any) -> str:
    return {
        dict: "mapping",
        list: "list",
        str: "string",
        type(None): "null",
        bool: "boolean",
        int: "number",
        float: "number",
    }.get(type(value), type(value).__name__)
