"""Text from files, made safe to print (docs/safety.md, "Printing").

A terminal runs the escapes a file may hold (`ESC ] 0; ... BEL` retitles it, `ESC [ 2J` clears
it, a C1 `CSI` does the same in one character), and bidirectional or invisible characters make a
line read otherwise than it is. A source text is taken as received (it only has to decode as
UTF-8), so such characters reach seccoop's output through quotes, context and messages: every
command prints text a file gave it through `shown`.
"""

from __future__ import annotations

import unicodedata

# Controls (C0, DEL, C1), format characters (bidi overrides, zero-width ones), surrogates,
# private-use and unassigned code points, and the line and paragraph separators: none of them
# prints as itself.
UNSAFE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def shown(text: str) -> str:
    """`text` on one line, safe to print: every unsafe character (newline and tab included, so
    that a value never breaks a line or a tab-separated column) written as JSON writes it,
    `\\u001b` (a pair of escapes beyond U+FFFF); every other character as it is.

    Callers pass single values and join lines themselves. A backslash is kept as it is: the
    result is for reading; a caller that needs values told apart exactly JSON-encodes them first
    (`shown(json.dumps(value, ensure_ascii=False))` stays valid JSON of the same value)."""
    if text.isprintable():  # the common case at C speed: printable text holds no unsafe character
        return text
    return "".join(_escape(c) if unicodedata.category(c) in UNSAFE else c for c in text)


def _escape(c: str) -> str:
    code = ord(c)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000  # as UTF-16 surrogates, the only way JSON spells a character beyond U+FFFF
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
