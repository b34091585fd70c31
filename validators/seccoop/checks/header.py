"""A source document's optional first line, `date YYYY-MM-DD TITLE` (docs/curating.md, section 1):
where it is present the source record must agree with it; where it is absent the record's title
and date are the curator's, given to `seccoop add-source` as --title and --published."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

_HEADER = re.compile(r" *date ([0-9]{4}-[0-9]{2}-[0-9]{2}) (.*)")
# A first line that starts like the header (`Date: 2024-01-12`, `date 2024-1-12 ...`) but may not
# be one: add-source shows it rather than taking the document as having no header.
_ATTEMPT = re.compile(r"\s*date\s*[:=]?\s*[0-9]", re.IGNORECASE)
BOM = b"\xef\xbb\xbf"


def calendar_date(value: str) -> bool:
    """Whether `value` is a date YYYY-MM-DD that the calendar has (2024-02-30 is not)."""
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        return False
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Header:
    date: str
    title: str
    line: str  # the first line as written, without its line end


def first_line(text: str) -> str:
    return text.split("\n", 1)[0].removesuffix("\r")


def read_header(text: str) -> Header | None:
    """The document's first line as a header: `date`, a calendar date, one space and a title
    (spaces before `date` allowed, spaces after the title ignored); None where it is not one."""
    line = first_line(text)
    match = _HEADER.fullmatch(line)
    if match is None or not calendar_date(match[1]) or not match[2].strip():
        return None
    return Header(match[1], match[2].rstrip(), line)


def header_fault(line: str) -> str | None:
    """Why a first line that starts like a header is not one (None where it does not start like
    one, or is one)."""
    if _ATTEMPT.match(line) is None or read_header(line) is not None:
        return None
    match = _HEADER.fullmatch(line)
    if match is None:
        return "it is not `date YYYY-MM-DD TITLE` (lowercase `date`, one space, the date, one space, the title)"
    if not calendar_date(match[1]):
        return f"{match[1]} is not a date on the calendar"
    return "no title follows the date"
