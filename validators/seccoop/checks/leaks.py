"""The leak check (docs/rights.md, "No withheld words in anything shipped"): no file of the
package as git sees it, and no artefact made from it (wheel, sdist, release archive, an export, the
review site), holds (a) the words of an unpublished span of four words or more, or (b) a run of
eight words of any text in the texts folder, a source or not yet, that no published quote holds.

Texts and files are compared as words: NFC, case folded, split into runs of letters and digits,
so that a leak survives re-wrapping, comment and quote prefixes (`#`, `>`, `-`), punctuation and
case. A leak is named by file, line and column and by the span or text it comes from, never by its
words: the report must not become the leak.
"""

from __future__ import annotations

import bisect
import csv
import gzip
import hashlib
import html
import io
import lzma
import os
import re
import sqlite3
import stat
import subprocess
import tarfile
import unicodedata
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from seccoop.model import rights
from seccoop.model.package import Package, is_installed_copy
from seccoop.model.report import Problem
from seccoop.safety import paths

SHORTEST_SPAN = 4  # words: an unpublished span this long or longer is searched for whole
RUN = 8  # words in a row of a text that make a leak, wherever they stand
# One file, or one member of an archive, decompressed: larger is not searched and said so (a leak
# could hide in it), never read in part.
FILE_LIMIT = 256 * paths.MiB
ARCHIVE_LIMIT = 1024 * paths.MiB  # every member of one archive together, decompressed
NESTING = 3  # an archive inside an archive inside an archive, and no deeper
GIT_TIMEOUT = 60  # seconds: listing the files of a checkout

# Letters and digits: `_` splits words too, so Markdown's `_emphasis_` is the word itself.
WORD = re.compile(r"[^\W_]+")
# Letters that stand for an apostrophe (modifier letters count as letters, so they would join two
# words), and characters that print as nothing (soft hyphen, zero-width, byte-order mark). Curly
# quotes and apostrophes need no folding: like every punctuation mark, they only part words.
_FOLD = {"\u02bc": "'", "\u02bb": "'", "\u02b9": "'"}
_FOLDED = re.compile("[\u02bc\u02bb\u02b9\u00ad\u200b-\u200d\u2060\ufeff]")
# A JSON or Python escape in a file (`\u2019`, `\n`) would hide the words around it.
_ESCAPE = re.compile(r"\\(?:u([0-9a-fA-F]{4})|[nrt])")
_TAG = re.compile(r"<[^<>]*>")
MARKUP = (".html", ".htm", ".xhtml", ".xml", ".svg")
ZIPS = (".zip", ".whl")
TARS = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")
SQLITE_MAGIC = b"SQLite format 3\x00"
# Never shipped and never the package's: git's, tools' and build output (a checkout without git
# is walked without them). Build output is searched when named: `seccoop leaks dist/`.
NOT_SHIPPED = {".git", ".venv", "venv", "__pycache__", ".pytest_cache", ".hypothesis", ".ruff_cache", "node_modules"}
BUILD_OUTPUT = {"build", "dist"}
# The published columns the curators write in their own words (docs/rights.md): a withheld text's
# words there are a leak. Every other published value is the source's words kept as such (a
# quote, a name, an alias, a place, a role's or quantity's words, a title) or an identifier, and
# its words are published: they are no leak wherever they appear. A new free-text column belongs here.
FREE_TEXT = {"summary", "action", "note", "reason", "conditions", "unit", "extent_note", "attribution"}
# What an archive that cannot be read raises: its name is said, never a traceback.
_BROKEN = (
    zipfile.BadZipFile,
    tarfile.TarError,
    zlib.error,
    lzma.LZMAError,
    EOFError,
    OSError,
    RuntimeError,
    NotImplementedError,
    ValueError,
)

FIX_SPAN = (
    "Delete those words, or say it in your own words: a withheld text is cited by a span's id, offsets and "
    "fingerprint, never by its words (`seccoop show SPAN` prints them to you; docs/rights.md)."
)
FIX_RUN = (
    "Delete those words, or say it in your own words; a quote you mean to publish counts once `seccoop build` "
    "publishes it in data/spans.csv, within the quotation budget (docs/rights.md)."
)


def normal(text: str, markup: bool = False) -> str:
    """A text as the leak check compares it: escapes decoded, markup's tags and entities read as
    a browser shows them (`markup`), NFC, case folded. Lines stay where they were."""
    if markup:
        text = html.unescape(_TAG.sub(lambda m: " " + "\n" * m.group().count("\n"), text))
    if "\\" in text:
        text = _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)) if m.group(1) else " ", text)
    if not text.isascii():  # ASCII is NFC and has nothing to fold: most files, at no cost
        text = unicodedata.normalize("NFC", _FOLDED.sub(lambda m: _FOLD.get(m.group(), ""), text))
    return text.casefold()


def words(text: str) -> list[str]:
    return WORD.findall(normal(text))


@dataclass
class Patterns:
    """What is searched for. `spans`: an unpublished span's first four words -> (its words, its
    id). `runs`: eight words in a row of a text -> the text, as a message names it."""

    spans: dict[tuple[str, ...], list[tuple[tuple[str, ...], str]]] = field(default_factory=dict)
    runs: dict[tuple[str, ...], str] = field(default_factory=dict)
    texts: int = 0
    folder: Path | None = None
    skipped: list[str] = field(default_factory=list)  # texts not read, each with the reason
    # Published values of up to RUN words (whole), and the first and last words of every one:
    # a window that is the end of one value, whole values, then the start of another is
    # published values side by side (rows of a search index, cells of a table), not a leak.
    wholes: set[tuple[str, ...]] = field(default_factory=set)
    heads: set[tuple[str, ...]] = field(default_factory=set)
    tails: set[tuple[str, ...]] = field(default_factory=set)

    def published_side_by_side(self, window: tuple[str, ...]) -> bool:
        n = len(window)
        frontier = [i for i in range(1, n + 1) if window[:i] in self.tails]
        reached = set(frontier)
        while frontier:
            i = frontier.pop()
            if i == n or window[i:] in self.heads:
                return True
            for j in range(i + 1, n + 1):
                if j not in reached and window[i:j] in self.wholes:
                    reached.add(j)
                    frontier.append(j)
        return False


def _shingles(seq: list[str] | tuple[str, ...], n: int) -> Iterator[tuple[str, ...]]:
    return zip(*(seq[k:] for k in range(n)), strict=False)


def _published(package: Package) -> tuple[set[tuple[str, ...]], dict[str, list[dict]]]:
    """The words the package publishes as the source's own or as identifiers, each value's words
    apart (every cell of data/*.csv but the curators' free text), and the rows of the tables the
    patterns are made from (sources.csv, spans.csv). None where the package is not built yet:
    then no quote is exempt."""
    folder = package.root / "data"
    values: set[tuple[str, ...]] = set()
    rows: dict[str, list[dict]] = {}
    try:
        tables = sorted(p for p, link in paths.walk(folder, package.root) if p.parent == folder and p.suffix == ".csv")
    except paths.Refused:
        return values, rows
    for path in tables:
        try:
            with paths.open_text(path, package.root, paths.TABLE_LIMIT) as f:
                table = list(csv.DictReader(f))
        except (paths.Refused, UnicodeDecodeError, csv.Error):
            continue  # the check reports a published table it cannot read
        if path.name in ("sources.csv", "spans.csv"):
            rows[path.name] = table
        cells = (v for row in table for k, v in row.items() if k not in FREE_TEXT and isinstance(v, str) and v)
        # One pass of `normal` over every cell, a line each: the cells' words stay apart.
        joined = normal("\n".join(" ".join(cell.splitlines()) for cell in cells))
        values.update(tuple(WORD.findall(line)) for line in joined.split("\n"))
    return values, rows


def _span_words(text: str, start: int, end: int) -> tuple[str, ...]:
    """The words of text[start:end], less a word the span cuts at either end: a leak of the
    whole word would not hold the cut one."""
    found = WORD.findall(normal(text[start:end]))
    if found and start > 0 and WORD.fullmatch(text[start - 1 : start + 1]):
        found = found[1:]
    if found and 0 < end < len(text) and WORD.fullmatch(text[end - 1 : end + 1]):
        found = found[:-1]
    return tuple(found)


def _texts(package: Package) -> tuple[Path, list[tuple[Path, bytes]], list[str]]:
    """The texts folder, its `*.txt` files as (path, bytes), and those not read, with why."""
    folder, root = rights.texts_folder(package)
    read, skipped = [], []
    try:
        entries = sorted(p for p, _ in paths.walk(folder, root) if p.parent == folder and p.suffix == ".txt")
    except paths.Refused as exc:
        return folder, [], [f"{package.rel(folder)}: {exc.reason}"]
    except FileNotFoundError:
        return folder, [], []  # no texts folder: no text
    except OSError as exc:
        return folder, [], [f"{package.rel(folder)}: {exc.strerror or exc}"]
    for path in entries:
        try:
            read.append((path, paths.read_file(path, root, paths.SOURCE_LIMIT)))
        except paths.Refused as exc:
            skipped.append(f"{package.rel(path)}: {exc.reason}")
    return folder, read, skipped


def load_patterns(package: Package) -> Patterns:
    """The words the package's files and artefacts may not hold, from the texts folder and the
    published tables (data/sources.csv, data/spans.csv: what a downloader has)."""
    folder, texts, skipped = _texts(package)
    found = Patterns(folder=folder, skipped=skipped)
    if not texts:
        return found
    published, rows = _published(package)
    sources = {r.get("sha256"): r for r in rows.get("sources.csv", [])}
    spans = rows.get("spans.csv", [])
    # Eight words of a text in a row are published only as its quotes: a name, title or address
    # that long is a run of the text unless a published quote holds it (docs/rights.md).
    exempt = {s for row in spans if row.get("quote") for s in _shingles(words(row["quote"]), RUN)}
    for seq in published:  # at most RUN - 1 words of one value: a run side by side spans two or more
        found.heads.update(seq[:k] for k in range(1, min(len(seq), RUN)))
        found.tails.update(seq[-k:] for k in range(1, min(len(seq), RUN)))
        if len(seq) < RUN:
            found.wholes.add(seq)
    said = " " + " | ".join(" ".join(seq) for seq in published) + " "
    for path, data in texts:
        sha = hashlib.sha256(data).hexdigest()
        source = sources.get(sha) if path.stem == sha else None  # offsets hold only in the text recorded
        if source is not None and source.get("text") == "included":
            continue  # published in full from seeds/
        found.texts += 1
        text = data.decode("utf-8", "replace").removeprefix("\ufeff")
        label = f"the text {path.stem[:12]}… of the texts folder (not a source)"
        seq, covered = words(text), None
        if source is not None:
            label = f"the withheld source `{source.get('id')}` (text {sha[:12]}…)"
            own = [r for r in spans if r.get("source") == source.get("id")]
            _unpublished(found, text, own, said)
            covered = _covered(text, seq, own)
        for i, shingle in enumerate(_shingles(seq, RUN)):
            if covered is not None and all(covered[i : i + RUN]):
                exempt.add(shingle)  # published quotes side by side (a search index lists them so)
            else:
                found.runs.setdefault(shingle, label)
    for shingle in exempt.intersection(found.runs):
        del found.runs[shingle]
    return found


def _covered(text: str, seq: list[str], spans: list[dict]) -> list[bool] | None:
    """Whether each word of a withheld text lies within its published quotes: eight words in a row
    that do are published, though by two quotes. None where the words cannot be placed exactly
    (a text whose words change in normalizing); then only a quote's own words are exempt."""
    text = unicodedata.normalize("NFC", text)
    placed = [(m.start(), m.end(), w) for m in WORD.finditer(text) for w in words(m.group())]
    if [w for _, _, w in placed] != seq:
        return None
    mask = bytearray(len(text))
    for row in spans:
        if row.get("quote"):
            try:
                start, end = int(row["start"]), int(row["end"])
            except (KeyError, TypeError, ValueError):
                continue
            mask[max(start, 0) : max(end, 0)] = b"\1" * len(mask[max(start, 0) : max(end, 0)])
    return [0 not in mask[a:b] for a, b, _ in placed]


def _unpublished(found: Patterns, text: str, spans: list[dict], said: str) -> None:
    """Add the unpublished spans of four words or more of a withheld text, less those whose
    words the package publishes anyway (as a name, an alias, a place, an id; `said`)."""
    for row in spans:
        if row.get("quote"):
            continue
        try:
            seq = _span_words(text, int(row["start"]), int(row["end"]))
        except (KeyError, TypeError, ValueError):
            continue  # offsets that are no numbers: the check says so
        if len(seq) < SHORTEST_SPAN or f" {' '.join(seq)} " in said:
            continue
        found.spans.setdefault(seq[:SHORTEST_SPAN], []).append((seq, row.get("id") or "?"))


# Searching ----------------------------------------------------------------------------------


@dataclass
class Search:
    """What a search found: every problem (a leak, or a file it could not search), and how many
    files and archive members it searched."""

    problems: list[Problem] = field(default_factory=list)
    files: int = 0


def _any_hit(seq: list[str], found: Patterns) -> bool:
    """Whether a file's words hold any pattern: set lookups of every window, run in C; only a
    file that does is searched again for where."""
    if len(seq) >= SHORTEST_SPAN and not found.spans.keys().isdisjoint(_shingles(seq, SHORTEST_SPAN)):
        return True
    return len(seq) >= RUN and not found.runs.keys().isdisjoint(_shingles(seq, RUN))


def search_text(name: str, text: str, found: Patterns, markup: bool = False) -> list[Problem]:
    """The leaks in one file's text, each at the line and column of its first word."""
    folded = normal(text, markup)
    if not _any_hit(WORD.findall(folded), found):
        return []
    matches = list(WORD.finditer(folded))
    seq = [m.group() for m in matches]
    breaks = [m.start() for m in re.finditer("\n", folded)]

    def at(i: int, message: str, fix: str) -> Problem:
        offset = matches[i].start()
        line = bisect.bisect_right(breaks, offset)
        column = offset - (breaks[line - 1] + 1 if line else 0) + 1
        return Problem("text-leak", message, name, line + 1, column, hint=fix)

    problems, covered = [], []
    for i in range(len(seq)):
        for span, span_id in found.spans.get(tuple(seq[i : i + SHORTEST_SPAN]), ()):
            if tuple(seq[i : i + len(span)]) == span:
                covered.append((i, i + len(span)))
                message = f"holds the {len(span)} words of the span `{span_id}`, which are not published"
                problems.append(at(i, message, FIX_SPAN))
    for first, last, label in _runs(seq, found):
        if not any(a <= first and last <= b for a, b in covered):  # said already, by the span's id
            message = f"holds {last - first} words in a row of {label} that no published quote holds"
            problems.append(at(first, message, FIX_RUN))
    return problems


def _runs(seq: list[str], found: Patterns) -> Iterator[tuple[int, int, str]]:
    """(first word, word after the last, text) of each run of words that overlapping windows of
    eight hit: one leak however long, not one per window."""
    first = last = -1
    label = ""
    for i, shingle in enumerate(_shingles(seq, RUN)):
        hit = found.runs.get(shingle)
        if hit is None or found.published_side_by_side(shingle):
            continue
        if i == last + 1 and first >= 0:
            last = i
            continue
        if first >= 0:
            yield first, last + RUN, label
        first = last = i
        label = hit
    if first >= 0:
        yield first, last + RUN, label


class _Budget:
    """The bytes an archive may still decompress, all its members and nested archives together."""

    def __init__(self) -> None:
        self.left = ARCHIVE_LIMIT

    def take(self, size: int) -> bool:
        self.left -= size
        return self.left >= 0


def _too_large(name: str, what: str) -> Problem:
    return Problem(
        "file-too-large",
        f"not searched for withheld words: {what}",
        name,
        hint="A leak could hide in it: search it by other means, or make it smaller.",
    )


def _unreadable(name: str, what: str) -> Problem:
    return Problem(
        "file-unreadable",
        f"not searched for withheld words: {what}",
        name,
        hint="A leak could hide in it: make it a readable file, or search it by other means.",
    )


def search_blob(name: str, data: bytes, found: Patterns, search: Search, depth: int = 0, budget=None) -> None:
    """Search one file's bytes, by what it is: an archive member by member (in memory, never
    extracted), a SQLite database or Parquet file cell by cell, markup as a browser shows it,
    anything else as UTF-8 text. A binary file is decoded with errors replaced, not skipped: a
    string it holds as UTF-8 bytes is still found."""
    lower = name.lower()
    budget = budget or _Budget()
    search.files += 1
    if depth < NESTING and lower.endswith(ZIPS):
        return _search_zip(name, data, found, search, depth, budget)
    if depth < NESTING and lower.endswith(TARS):
        return _search_tar(name, data, found, search, depth, budget)
    if depth < NESTING and lower.endswith(".gz"):
        return _search_gzip(name, data, found, search, depth, budget)
    if data.startswith(SQLITE_MAGIC) and _search_sqlite(name, data, found, search):
        return None
    if lower.endswith(".parquet"):
        return _search_parquet(name, data, found, search)
    text = data.decode("utf-8", "replace")
    search.problems += search_text(name, text, found, markup=lower.endswith(MARKUP))
    return None


def _member(name: str, read, size: int, budget: _Budget, search: Search) -> bytes | None:
    """A member's bytes, read at most to the limits (a declared size may lie), else None, said."""
    if size > FILE_LIMIT or not budget.take(size):
        search.problems.append(_too_large(name, f"{size} bytes decompressed; at most {FILE_LIMIT} are searched"))
        return None
    data = read(FILE_LIMIT + 1)
    if len(data) > FILE_LIMIT or not budget.take(len(data) - size):
        search.problems.append(_too_large(name, f"more than {FILE_LIMIT} bytes decompressed"))
        return None
    return data


def _search_zip(name: str, data: bytes, found: Patterns, search: Search, depth: int, budget: _Budget) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in archive.infolist():
                if info.is_dir():
                    continue
                inner = f"{name}!{info.filename}"
                with archive.open(info) as f:
                    member = _member(inner, f.read, info.file_size, budget, search)
                if member is not None:
                    search_blob(inner, member, found, search, depth + 1, budget)
    except _BROKEN as exc:
        search.problems.append(_unreadable(name, f"not a readable zip archive ({exc})"))


def _search_tar(name: str, data: bytes, found: Patterns, search: Search, depth: int, budget: _Budget) -> None:
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as archive:
            for info in archive:
                if not info.isfile():  # folders, links, devices: no bytes of their own
                    continue
                inner = f"{name}!{info.name}"
                f = archive.extractfile(info)
                member = None if f is None else _member(inner, f.read, info.size, budget, search)
                if member is not None:
                    search_blob(inner, member, found, search, depth + 1, budget)
    except _BROKEN as exc:
        search.problems.append(_unreadable(name, f"not a readable tar archive ({exc})"))


def _search_gzip(name: str, data: bytes, found: Patterns, search: Search, depth: int, budget: _Budget) -> None:
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as f:
            member = _member(name[:-3], f.read, 0, budget, search)
    except _BROKEN as exc:
        search.problems.append(_unreadable(name, f"not readable as gzip ({exc})"))
        return
    if member is not None:
        search.files -= 1  # one file, searched as what it holds
        search_blob(name[:-3], member, found, search, depth + 1, budget)


def _lines(header: list[str], rows: Iterable[Iterable[object]]) -> str:
    """A table as text, a row a line after its header (line 1), cells parted by ` | `: a leak is
    then named as `FILE!TABLE:LINE`, like a line of a CSV file."""
    out = [" | ".join(header)]
    for row in rows:
        cells = (v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in row if v is not None)
        out.append(" | ".join(cells).replace("\n", " "))
    return "\n".join(out)


def _search_sqlite(name: str, data: bytes, found: Patterns, search: Search) -> bool:
    """Search a SQLite database table by table, read from memory; False where it cannot be read
    so (its bytes are then searched as text: SQLite keeps text as UTF-8, but a long value may
    be split across pages there)."""
    try:
        db = sqlite3.connect(":memory:")
    except sqlite3.Error:
        return False
    try:
        db.deserialize(data)
        db.execute("PRAGMA trusted_schema = OFF")  # a stranger's schema runs none of its functions
        tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        problems = []
        for table in tables:
            cursor = db.execute(f'SELECT * FROM "{table.replace(chr(34), chr(34) * 2)}"')
            header = [d[0] for d in cursor.description]
            problems += search_text(f"{name}!{table}", _lines(header, cursor), found)
    except (sqlite3.Error, OverflowError, MemoryError):
        return False  # said by none of its tables: the bytes are searched instead
    finally:
        db.close()
    search.problems += problems
    return True


def _search_parquet(name: str, data: bytes, found: Patterns, search: Search) -> None:
    """Search a Parquet file cell by cell: its pages are compressed, so its bytes say nothing.
    Through pyarrow (seccoop[parquet]); without it the file is said not searched."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        search.problems.append(_unreadable(name, "reading Parquet needs pyarrow (pip install 'seccoop[parquet]')"))
        return
    try:
        table = pq.read_table(pa.BufferReader(data))
    except (pa.ArrowException, OSError, ValueError) as exc:
        search.problems.append(_unreadable(name, f"not a readable Parquet file ({exc})"))
        return
    rows = zip(*(column.to_pylist() for column in table.columns), strict=True)
    search.problems += search_text(name, _lines(table.column_names, rows), found)


# Which files --------------------------------------------------------------------------------


def _walk(folder: Path, prune: set[str], skip: set[Path]) -> Iterator[Path]:
    """Every regular file under `folder`, in path order, entering no link and no folder named in
    `prune` or `skip`. A link is not followed: its target is searched where it lies inside, and
    outside is not seccoop's to read."""
    try:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        path = Path(entry.path)
        if entry.is_dir(follow_symlinks=False):
            if entry.name not in prune and not entry.name.endswith(".egg-info") and path.absolute() not in skip:
                yield from _walk(path, prune, skip)
        elif entry.is_file(follow_symlinks=False):
            yield path


def _git_files(root: Path) -> list[Path] | None:
    """The files of the package as git sees them (tracked, and untracked that git does not
    ignore), or None where no git checkout holds it or git cannot say."""
    if is_installed_copy(Package(root)) or rights._checkout(root.resolve()) is None:
        return None
    try:
        # Plumbing only, with no hook and no fsmonitor command of a downloaded checkout's config.
        done = subprocess.run(
            ["git", "-c", "core.fsmonitor=false", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=root,
            env=rights._git_env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=GIT_TIMEOUT,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    names = dict.fromkeys(n for n in done.stdout.decode("utf-8", "surrogateescape").split("\0") if n)
    return [root / n for n in names]


def package_files(package: Package, texts: Path | None = None) -> list[Path]:
    """The files of the package a leak check searches: as git sees them, else every file of the
    package folder less what is never shipped; never the texts folder."""
    root = package.root
    skip = {root.absolute() / rights.DEFAULT_TEXTS}
    if texts is not None:
        skip.add(texts.absolute())
    listed = _git_files(root)
    if listed is None:
        return list(_walk(root, NOT_SHIPPED | BUILD_OUTPUT, skip))
    return [p for p in listed if not any(p.absolute().is_relative_to(s) for s in skip)]


def _read(path: Path, root: Path | None, name: str, search: Search) -> bytes | None:
    try:
        return paths.read_file(path, root, FILE_LIMIT)
    except paths.Refused as exc:
        if exc.code in ("file-missing", "file-link"):
            return None  # deleted since git listed it, or a link: not a file of its own
        problem = _too_large if exc.code == "file-too-large" else _unreadable
        search.problems.append(problem(name, exc.reason))
        return None


def search_package(package: Package, found: Patterns) -> Search:
    """Search every file of the package (`package_files`), each named from the package root."""
    search = Search()
    for path in package_files(package, found.folder):
        name = path.relative_to(package.root).as_posix()
        data = _read(path, package.root, name, search)
        if data is not None:
            search_blob(name, data, found, search)
    return search


def search_paths(named: Iterable[str], found: Patterns) -> Search:
    """Search the files, folders and archives named, each as named (a folder's files under its
    name), a folder less what is never shipped and the texts folder."""
    search = Search()
    skip = {found.folder.absolute()} if found.folder is not None else set()
    for given in named:
        path = Path(given)
        try:
            folder = stat.S_ISDIR(os.stat(path).st_mode)
        except OSError as exc:
            search.problems.append(_unreadable(given, exc.strerror or str(exc)))
            continue
        if not folder:
            data = _read(path, None, given, search)
            if data is not None:
                search_blob(given, data, found, search)
            continue
        for inner in _walk(path, NOT_SHIPPED, skip):
            name = (Path(given) / inner.relative_to(path)).as_posix()
            data = _read(inner, path, name, search)
            if data is not None:
                search_blob(name, data, found, search)
    return search


def inputs_digest(package: Package) -> str:
    """What the patterns are made of, hashed: the texts folder's files (names and bytes) and the
    published tables (data/*.csv). Equal digests give equal patterns, so a file's search result
    can be kept beside its own digest (`check_package`'s memo)."""
    digest = hashlib.sha256()
    folder, root = rights.texts_folder(package)
    for base, under, suffix in ((folder, root, ".txt"), (package.root / "data", package.root, ".csv")):
        try:
            entries = sorted(p for p, link in paths.walk(base, under) if p.parent == base and p.suffix == suffix)
        except (paths.Refused, OSError):
            entries = []
        for path in entries:
            try:
                body = paths.read_file(path, under, max(paths.SOURCE_LIMIT, paths.TABLE_LIMIT))
            except paths.Refused as exc:
                body = f"refused: {exc.code}".encode()
            digest.update(f"{base.name}/{path.name}\0{len(body)}\0".encode() + body)
    return digest.hexdigest()


def _files_to_search(package: Package) -> list[Path]:
    return package_files(package, rights.texts_folder(package)[0])


def check_package(package: Package, memo: dict | None = None) -> list[Problem]:
    """`seccoop check`'s leak check: nothing where the texts folder holds no text, else every
    leak in the package's files. `memo` (the check cache's, where it is on) keeps each file's
    problems by the file's bytes and the patterns' inputs: a re-check searches again only the
    files that changed, and builds the patterns only if there is one (the curator's loop)."""
    if not os.path.lexists(rights.texts_folder(package)[0]):
        return []  # no texts folder, no text: nothing to search for (and no table to hash first)
    inputs = inputs_digest(package) if memo is not None else ""
    known: dict[str, list[dict]] = memo.get("files", {}) if memo is not None and memo.get("inputs") == inputs else {}
    found: Patterns | None = None
    problems: list[Problem] = []
    seen: dict[str, list[dict]] = {}
    for path in _files_to_search(package):
        name = path.relative_to(package.root).as_posix()
        search = Search()
        data = _read(path, package.root, name, search)
        if data is None:
            problems += search.problems
            continue
        entry = f"{name}\0{hashlib.sha256(data).hexdigest()}"
        if entry in known:
            seen[entry] = known[entry]
            problems += [Problem(**p) for p in known[entry]]
            continue
        if found is None:
            found = load_patterns(package)
            if not found.texts:
                return []
        search_blob(name, data, found, search)
        seen[entry] = [p.as_dict() for p in search.problems]
        problems += search.problems
    if found is None and not known:  # nothing was searched and nothing is known: are there texts?
        found = load_patterns(package)
        if not found.texts:
            return []
    # The texts that could not be read: found now, or (nothing searched) as the memo kept them.
    skipped = list(found.skipped) if found is not None else list(memo.get("skipped", [])) if known and memo else []
    if memo is not None:
        memo.clear()
        memo.update(inputs=inputs, files=seen, skipped=skipped)
    # A text that could not be read is not searched for: said, as `seccoop leaks` says it.
    unread = [
        Problem(
            "file-unreadable",
            f"not searched for: {said}",
            hint="A text of the texts folder that cannot be read is a leak the check cannot rule out; "
            "make it a regular UTF-8 file of a sane size, or move it out of the folder (docs/rights.md).",
        )
        for said in skipped
    ]
    return unread + problems
