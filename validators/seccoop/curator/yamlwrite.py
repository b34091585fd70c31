"""YAML written by seccoop (docs/safety.md): records are emitted by a YAML emitter, never pasted
into YAML text, and appended to a curated file after its own text, comments and all; a value of
an existing file is changed by patching only its scalar, in place (`patch_scalars`)."""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.emitter import Emitter
from yaml.resolver import Resolver

try:  # libyaml's C parser, as the loader uses; marks count code points either way
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader

_STR = "tag:yaml.org,2002:str"
# Each escape of a double-quoted scalar, in order, so that `\\U...` (an escaped backslash) is
# never read as the start of another escape.
_ESCAPE = re.compile(r"\\(?:U([0-9A-F]{8})|.)")


class _CuratorDumper(yaml.SafeDumper):
    """The curators' layout: lists indented under their key (`evidence:` then `  - source:`)."""

    def increase_indent(self, flow: bool = False, indentless: bool = False):
        return super().increase_indent(flow, False)


def emit_records(records: list[dict]) -> str:
    """Records as a YAML list, one key a line in the order given, text never folded across lines."""
    return yaml.dump(
        records, Dumper=_CuratorDumper, sort_keys=False, allow_unicode=True, default_flow_style=False, width=1 << 30
    )


def append_records(text: str, records: list[dict]) -> str:
    """A curated file's text with `records` appended after a blank line; an empty file (or `[]`)
    becomes the records alone, and a commented `[]` keeps its comments around the records."""
    if text.strip() in ("", "[]"):
        return emit_records(records)
    root = yaml.compose(text, Loader=_Loader)
    if isinstance(root, yaml.SequenceNode) and root.flow_style and not root.value:
        # `[]` cannot be followed by block items: the records take its place, comments stay
        start, end = root.start_mark.index, root.end_mark.index
        lead = "" if root.start_mark.column == 0 else "\n"
        return text[:start] + lead + emit_records(records) + text[end:].removeprefix("\n")
    return text + ("" if text.endswith("\n") else "\n") + "\n" + emit_records(records)


# -- patching scalars in place ------------------------------------------------------------------


class PatchRefused(ValueError):
    """A change that cannot be made by replacing one scalar's text, or a patch that would not
    read back as exactly the values meant."""


@dataclass(frozen=True)
class Scalar:
    """Where a scalar is written: code point offsets of its own text (without tag or anchor),
    line and column from 1, its style (None plain, `'`, `"`, `|`, `>`), and whether it stands in a
    flow collection (`{actor: x, role: y}`), where fewer characters may go unquoted."""

    path: tuple
    start: int
    end: int
    line: int
    column: int
    style: str | None
    flow: bool
    value: str


def _where(path: tuple) -> str:
    return "$" + "".join(f"[{s}]" if isinstance(s, int) else f".{s}" for s in path)


def _node_at(root: Any, path: tuple) -> tuple[Any, bool]:
    node, flow = root, False
    for step in path:
        flow = flow or bool(getattr(node, "flow_style", False))
        if isinstance(node, yaml.SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
            node = node.value[step]
        elif isinstance(node, yaml.MappingNode) and isinstance(step, str):
            node = next((v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == step), None)
            if node is None:
                raise PatchRefused(f"{_where(path)}: no such value")
        else:
            raise PatchRefused(f"{_where(path)}: no such value")
    if not isinstance(node, yaml.ScalarNode):
        raise PatchRefused(f"{_where(path)}: not a scalar")
    return node, flow


def find_scalars(text: str, paths: list[tuple]) -> list[Scalar]:
    """Where each scalar at a path (keys and list positions from the document's root) is written."""
    root = yaml.compose(text, Loader=_Loader)
    tokens = None
    found = []
    for path in paths:
        node, flow = _node_at(root, path)
        start, end = node.start_mark.index, node.end_mark.index
        if text[start : start + 1] in ("&", "!"):
            # A tag or anchor is part of the node: the scalar's own text is its token's.
            if tokens is None:
                tokens = [t for t in yaml.scan(text, Loader=_Loader) if isinstance(t, yaml.ScalarToken)]
            token = next(t for t in tokens if start <= t.start_mark.index and t.end_mark.index == end)
            mark = token.start_mark
            start = mark.index
        else:
            mark = node.start_mark
        found.append(Scalar(path, start, end, mark.line + 1, mark.column + 1, node.style or None, flow, node.value))
    return found


def _emitter() -> Emitter:
    emitter = Emitter(io.StringIO())  # only analyses scalars: nothing is written to it
    emitter.allow_unicode = True  # a name in any script stays readable, unescaped
    return emitter


def emit_scalar(value: Any, style: str | None = None, flow: bool = False) -> str:
    """`value` as one line of YAML that reads back as exactly it, in `flow` context or block:
    plain where a plain scalar of it reads back as the same text, else in the `style` it had
    (`'` or `"`) where that can hold it, else double-quoted by yaml's emitter."""
    if isinstance(value, str):
        analysis = _emitter().analyze_scalar(value)
        plain_ok = analysis.allow_flow_plain if flow else analysis.allow_block_plain
        if (
            style is None
            and plain_ok
            and not analysis.multiline
            and Resolver().resolve(yaml.ScalarNode, value, (True, False)) == _STR
        ):
            return value
        if style == "'" and analysis.allow_single_quoted and not analysis.multiline:
            return "'" + value.replace("'", "''") + "'"
        out = yaml.dump(value, Dumper=yaml.SafeDumper, default_style='"', allow_unicode=True, width=1 << 30)
    elif value is None or isinstance(value, (bool, int)) or (isinstance(value, float) and math.isfinite(value)):
        out = yaml.safe_dump(value, width=1 << 30)
    else:
        raise PatchRefused(f"{value!r} is not a scalar seccoop writes")
    out = out.removesuffix("\n...\n").removesuffix("\n")
    if style != "'" and out.startswith('"'):
        # PyYAML escapes every character beyond U+FFFF, printable or not: an emoji stays one
        out = _ESCAPE.sub(lambda m: chr(int(m[1], 16)) if m[1] and chr(int(m[1], 16)).isprintable() else m[0], out)
    if "\n" in out:  # pragma: no cover - the emitter folds nothing at this width
        raise PatchRefused(f"{value!r} does not fit on one line")
    return out


def _shape(node: Any, stack: tuple = ()) -> Any:
    """What a node reads as, independent of how it is written: tags and values, keys in order."""
    if id(node) in stack:
        raise PatchRefused("a recursive alias")
    stack = (*stack, id(node))
    if isinstance(node, yaml.ScalarNode):
        return ("scalar", node.tag, node.value)
    if isinstance(node, yaml.SequenceNode):
        return ("seq", node.tag, [_shape(n, stack) for n in node.value])
    if node is None:
        return None
    return ("map", node.tag, [(_shape(k, stack), _shape(v, stack)) for k, v in node.value])


def _replace_shape(shape: Any, path: tuple, new: Any, root: Any) -> Any:
    """`shape` with the value at `path` (found in the node tree `root`) replaced by `new`."""
    if not path:
        return new
    kind, tag, items = shape
    step, rest = path[0], path[1:]
    if kind == "seq":
        items = list(items)
        items[step] = _replace_shape(items[step], rest, new, root.value[step])
        return (kind, tag, items)
    out = []
    for (k, v), (knode, vnode) in zip(items, root.value, strict=True):
        if isinstance(knode, yaml.ScalarNode) and knode.value == step:
            v = _replace_shape(v, rest, new, vnode)
        out.append((k, v))
    return (kind, tag, out)


def patch_scalars(text: str, changes: list[tuple[tuple, Any]]) -> str:
    """`text` with the scalar at each path (keys and list positions from the root) replaced by
    the new value, emitted by `emit_scalar` in the scalar's own place: every other character
    (comments, quoting, flow or block layout, blank lines) stays as it was. The result is
    composed again and must read as the old document with exactly those values changed
    (PatchRefused otherwise, and for block scalars, which one line cannot replace)."""
    paths = [path for path, _ in changes]
    if len(set(paths)) != len(paths):
        raise PatchRefused("a value is changed twice")
    spots = find_scalars(text, paths)
    root = yaml.compose(text, Loader=_Loader)
    expected = _shape(root)
    edits = []
    for spot, (path, value) in zip(spots, changes, strict=True):
        if spot.style in ("|", ">"):
            raise PatchRefused(
                f"line {spot.line}, column {spot.column}: a block scalar ({spot.style}); change it by hand"
            )
        written = emit_scalar(value, spot.style, spot.flow)
        alone = yaml.compose(written, Loader=_Loader)
        if yaml.load(written, Loader=_Loader) != value or type(yaml.load(written, Loader=_Loader)) is not type(value):
            raise PatchRefused(f"{value!r} would not read back as itself")  # pragma: no cover
        expected = _replace_shape(expected, path, _shape(alone), root)
        edits.append((spot.start, spot.end, written))
    out = text
    for start, end, written in sorted(edits, reverse=True):
        out = out[:start] + written + out[end:]
    try:
        again = yaml.compose(out, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise PatchRefused(f"the patched text is not YAML: {exc}") from None
    if _shape(again) != expected:
        raise PatchRefused("the patched text does not read as exactly the values meant")
    return out


def _composed_at(root: Any, path: tuple) -> Any:
    """The composed node at a path of keys and list positions from the document's root."""
    node = root
    for step in path:
        node = (
            node.value[step]
            if isinstance(node, yaml.SequenceNode)
            else next(v for k, v in node.value if k.value == step)
        )
    return node


def _read_back(out: str, expected: Any) -> str:
    """`out`, once it reads as exactly `expected` (PatchRefused otherwise)."""
    try:
        again = yaml.load(out, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise PatchRefused(f"the patched text is not YAML: {exc}") from None
    if again != expected:
        raise PatchRefused("the patched text does not read as exactly the values meant")
    return out


def add_keys(text: str, additions: list[tuple[tuple, dict]]) -> str:
    """`text` with keys added to the mapping at each path (`start`, `end` and `sha256` of a span
    that `seccoop locate --pin` pins): after the mapping's last key in its own layout (one key a
    line, at the first key's indent, in a block mapping; before the `}` in a flow one). Every
    other character stays; the result must read as the old document with exactly those keys
    added (PatchRefused otherwise)."""
    root = yaml.compose(text, Loader=_Loader)
    expected = yaml.load(text, Loader=_Loader)
    edits = []
    for path, keys in additions:
        node = _composed_at(root, path)
        if not isinstance(node, yaml.MappingNode) or not node.value:
            raise PatchRefused(f"{_where(path)}: not a mapping")
        if any(k.value in keys for k, _ in node.value):
            raise PatchRefused(f"{_where(path)}: a key to add is there already")
        last = node.value[-1][1]
        if isinstance(last, yaml.ScalarNode) and last.style in ("|", ">"):
            raise PatchRefused(f"{_where(path)}: ends in a block scalar; add the keys by hand")
        if node.flow_style:
            close = node.end_mark.index - 1  # the `}`
            written = "".join(f", {k}: {emit_scalar(v, flow=True)}" for k, v in keys.items())
            at = text.rindex("}", 0, close + 1)
        else:
            indent = " " * node.value[0][0].start_mark.column
            at = last.end_mark.index
            line_end = text.find("\n", at)
            if re.fullmatch(r"[ \t]*(#.*)?", text[at : len(text) if line_end == -1 else line_end]):
                at = len(text) if line_end == -1 else line_end  # after a comment on the same line
            written = "".join(f"\n{indent}{k}: {emit_scalar(v)}" for k, v in keys.items())
        edits.append((at, written))
        target = expected
        for step in path:
            target = target[step]
        target.update(keys)
    out = text
    for at, written in sorted(edits, reverse=True):
        out = out[:at] + written + out[at:]
    return _read_back(out, expected)


def remove_keys(text: str, removals: list[tuple[tuple, str]]) -> str:
    """`text` without the key at each (mapping path, key): its lines, from the key to the end of
    its value, where the mapping is a block one that holds other keys and the key starts its line
    (a quote `seccoop locate --publish` unpublishes). Every other character stays; the result
    must read as the old document without exactly those keys (PatchRefused otherwise)."""
    root = yaml.compose(text, Loader=_Loader)
    expected = yaml.load(text, Loader=_Loader)
    cuts = []
    for path, key in removals:
        node = _composed_at(root, path)
        if not isinstance(node, yaml.MappingNode) or node.flow_style or len(node.value) < 2:
            raise PatchRefused(f"{_where(path)}: not a block mapping with other keys; remove `{key}` by hand")
        pair = next(((k, v) for k, v in node.value if k.value == key), None)
        if pair is None:
            raise PatchRefused(f"{_where((*path, key))}: no such key")
        start = text.rfind("\n", 0, pair[0].start_mark.index) + 1
        if text[start : pair[0].start_mark.index].strip(" "):  # after another key, or `- ` opening an item
            raise PatchRefused(f"{_where((*path, key))}: does not start its own line; remove it by hand")
        line_end = text.find("\n", pair[1].end_mark.index - 1 if pair[1].end_mark.index else 0)
        end = len(text) if line_end == -1 else line_end + 1
        cuts.append((start, end))
        target = expected
        for step in path:
            target = target[step]
        del target[key]
    out = text
    for start, end in sorted(cuts, reverse=True):
        out = out[:start] + out[end:]
    return _read_back(out, expected)
