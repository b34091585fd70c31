"""A YAML syntax error said at its cause, as an instruction.

libyaml reports where it gave up, which is often lines after the mistake: an unclosed `[` or
quote is noticed only where the next key begins. This finds where the mistake began (the opening
bracket or quote, the line indented wrongly, the value holding ': ') and reports the problem
there, naming the place the parser gave up in the message and hint. Run only on a file that
failed to parse, so it may scan the file again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

from seccoop.model.report import Problem

try:
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader

# A line that reads as YAML structure (a key, a list item): swallowed by a quote, it shows that
# the quote was not closed where the text ended.
_STRUCTURE = re.compile(r"\s*(-\s+)*[A-Za-z_][\w.-]*:(\s|$)|\s*-\s")
# A key line: indentation (with any "- " of a list item), the key, its colon.
_FIELD = re.compile(r"(\s*(?:-\s+)?)([A-Za-z_][\w.-]*):(?:\s|$)")
_KEY = re.compile(r"(\s*(?:-\s+)*)([^\s#'\"{\[][^:#]*?):(\s|$)")
_FLOW = {"while parsing a flow sequence": ("list", "[", "]"), "while parsing a flow mapping": ("mapping", "{", "}")}


@dataclass
class _At:
    line: int  # from 1
    column: int  # from 1


def syntax_problem(text: str, exc: yaml.MarkedYAMLError, display: str) -> Problem:
    """The problem for a YAML syntax error: at its cause where one is recognised, else where the
    parser gave up, with the parser's words."""
    mark = exc.problem_mark or exc.context_mark
    said = " ".join(x for x in (exc.context, exc.problem) if x) or "invalid YAML"
    if mark is None:
        return Problem("yaml-syntax", said, file=display)
    stop = _At(mark.line + 1, mark.column + 1)
    gave_up = f"The parser gave up at line {stop.line}, column {stop.column} ({exc.problem or said})."
    found = _cause(text, exc, mark, stop)
    if found is None:
        if "\t" in text and ("\\t" in repr(exc.problem) or "tab character" in (exc.problem or "")):
            return Problem(
                "yaml-syntax",
                f"line {stop.line} is indented with a tab: indent with spaces",
                file=display,
                line=stop.line,
                column=stop.column,
                hint=f"YAML indents with spaces only. {gave_up}",
            )
        return Problem("yaml-syntax", said, file=display, line=stop.line, column=stop.column)
    at, message, hint = found
    return Problem(
        "yaml-syntax", message, file=display, line=at.line, column=at.column, hint=f"{hint} {gave_up}".strip()
    )


def _cause(text: str, exc: yaml.MarkedYAMLError, mark, stop: _At):
    """(where, message, hint) of the mistake that made the parser give up at `mark`, or None."""
    context = exc.context or ""
    if context == "while scanning a quoted scalar" and exc.context_mark is not None:
        opened = _at(exc.context_mark)
        q = text[exc.context_mark.index] if exc.context_mark.index < len(text) else '"'
        return (
            opened,
            (f"the text opened here with {q!r} is not closed: add {q!r} where the text ends"),
            f"The quote runs on to the end of the file. {_escape_hint(q)}",
        )
    quoted = _quoted_before(text, mark.index)
    for token in quoted:  # a quote that swallowed lines of YAML was not closed on its own line
        start, end = token.start_mark, token.end_mark
        inner = text[start.index : end.index].split("\n")[1:]
        if start.line != end.line and any(_STRUCTURE.match(line) for line in inner):
            q = text[start.index]
            return (
                _at(start),
                (
                    f"the text opened here with {q!r} is not closed on its line: it runs on to "
                    f"the {q!r} at line {end.line + 1}, column {end.column}; add {q!r} where the text "
                    f"ends"
                ),
                _escape_hint(q),
            )
    if quoted:
        last = quoted[-1]
        between = text[last.end_mark.index : mark.index]
        if (
            last.end_mark.line == mark.line
            and not between.strip()
            and mark.index < len(text)
            and text[mark.index] not in ",]}:#\n"
        ):
            q = text[last.start_mark.index]
            return (
                _at(last.start_mark),
                (
                    f"the text opened here with {q!r} ends at the {q!r} at line {last.end_mark.line + 1}, column "
                    f"{last.end_mark.column}, yet more follows: add {q!r} where this text should end"
                ),
                f"If that {q!r} is part of the text, {_escape_hint(q)[0].lower()}{_escape_hint(q)[1:]} "
                "Text after a closing quote belongs inside the quotes.",
            )
    if context in _FLOW and exc.context_mark is not None:
        what, opener, closer = _FLOW[context]
        lines = text.split("\n")
        last = next(
            (n for n in range(mark.line - 1, exc.context_mark.line - 1, -1) if lines[n].split("#")[0].strip()), None
        )
        where = (
            f"at the end of line {last + 1}" if last is not None else f"before line {stop.line}, column {stop.column}"
        )
        return (
            _at(exc.context_mark),
            (f"the {what} opened here with {opener!r} is not closed: add {closer!r} after its last item, {where}"),
            f"If the {what} goes on where the parser gave up, a ',' is missing there instead.",
        )
    problem = exc.problem or ""
    if problem.startswith("mapping values are not allowed") or problem in (
        "did not find expected key",
        "did not find expected '-' indicator",
    ):
        return _block_cause(text, mark, stop)
    return None


def _block_cause(text: str, mark, stop: _At):
    lines = text.split("\n")
    line = lines[mark.line] if mark.line < len(lines) else ""
    key = _KEY.match(line)
    if key and mark.column > key.end(2) and text[mark.index : mark.index + 1] == ":":
        # a second ': ' on a key's line: the value holds it, unquoted
        value_at = key.end()
        value = line[value_at:].split(" #")[0].rstrip()
        quoted = '"' + value + '"' if '"' not in value else "'" + value.replace("'", "''") + "'"
        return (
            _At(mark.line + 1, value_at + 1),
            (
                f"the value of `{key.group(2).strip()}` holds ': ', which YAML reads as a new key: put the "
                f"value in quotes, {quoted}"
            ),
            "",
        )
    this = _FIELD.match(line)
    if this is None:  # not a key line: no indentation to compare
        return None
    indent = len(this.group(1))
    above = next(
        (
            (n, lines[n])
            for n in range(mark.line - 1, -1, -1)
            if lines[n].strip() and not lines[n].lstrip().startswith("#")
        ),
        None,
    )
    if above is None:
        return None
    n, above_line = above
    prev_key = _FIELD.match(above_line)
    if prev_key is None:
        return None
    prev_indent, name = len(prev_key.group(1)), prev_key.group(2)
    deeper = indent > prev_indent
    if indent == prev_indent or (deeper and not above_line[prev_key.end() :].split("#")[0].strip()):
        return None  # deeper under a key with no value is nesting, not a mistake
    message = (
        f"`{this.group(2)}` is indented {indent} space(s), {'more' if deeper else 'less'} than `{name}` "
        f"on line {n + 1} ({prev_indent}): indent it {prev_indent} space(s) if it belongs with `{name}`"
    )
    hint = (
        "Keys of one mapping start in the same column; a line indented more than a key that already "
        "has a value reads as more of that value."
        if deeper
        else "Keys of one mapping start in the same column; a key indented between two levels belongs to neither."
    )
    return _At(mark.line + 1, indent + 1), message, hint


def _quoted_before(text: str, index: int) -> list:
    """The quoted scalars the scanner read before `index`, in order."""
    found = []
    try:
        for token in yaml.scan(text, Loader=_Loader):
            if token.start_mark.index >= index:
                break
            if isinstance(token, yaml.ScalarToken) and token.style in ('"', "'"):
                found.append(token)
    except yaml.YAMLError:
        pass
    return found


def _escape_hint(q: str) -> str:
    return (
        "A '\"' inside text in double quotes is written \\\"."
        if q == '"'
        else "A ' inside text in single quotes is written ''."
    )


def _at(mark) -> _At:
    return _At(mark.line + 1, mark.column + 1)
