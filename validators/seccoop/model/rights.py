"""Source rights: what of a source's text may be published, where a withheld text is found, and
how a quote stays verifiable without it (docs/rights.md).

A source's text is `included` (its licence allows republishing: kept in seeds/, shipped, shown in
full) or `withheld` (the package keeps its metadata, the sha256 and length of its text, and each
span's offsets and fingerprint; the quote itself only within the quotation budget). A withheld
text lives in the texts folder the user names, as `<sha256>.txt`, and never in git or an artefact.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from seccoop.model.locators import folded_fingerprint
from seccoop.safety import paths
from seccoop.safety.git import git_env

TEXTS_ENV = "SECCOOP_TEXTS"
DEFAULT_TEXTS = "texts"  # inside the checkout, git-ignored
# A name of the kind every text of the texts folder has (`<sha256>.txt`): what git is asked about
# when no one text is meant, so that a rule such as `texts/*.txt` counts as it would for a text.
SOME_TEXT = "0" * 64 + ".txt"
GIT_TIMEOUT = 60  # seconds: the question is one lookup in the ignore rules

# The quotation budget of a withheld text (docs/rights.md says why these numbers): each published
# quote at most a sentence's length, and all of them together a small share of the text.
MAX_QUOTE = 200  # code points
MAX_SHARE = 0.10  # of the text's length in code points, counting words quoted twice once


def fingerprint(quote: str) -> str:
    """A quote's fingerprint: sha256 of its UTF-8 bytes, lowercase hex."""
    return hashlib.sha256(quote.encode("utf-8")).hexdigest()


def span_sha256(span) -> str:
    """A checked span's fingerprint: the one its curated YAML pins, else its quote's."""
    return span.get("sha256") or fingerprint(span["quote"])


def normalized_sha256(text: str) -> str:
    """sha256 of a text with every whitespace run made one space and its ends trimmed: the same
    article saved again with other line ends, spacing or a byte-order mark hashes the same."""
    return hashlib.sha256(" ".join(text.removeprefix("\ufeff").split()).encode("utf-8")).hexdigest()


def texts_folder(package) -> tuple[Path, Path]:
    """(folder, gate root) where the package's withheld texts are looked for: the folder the user
    named (`--texts`, or SECCOOP_TEXTS), read as its own root; else `texts/` inside the package,
    read from the package root so that a link committed there is refused like any other."""
    if package.texts is not None:
        folder = Path(package.texts).absolute()
        return folder, folder
    named = os.environ.get(TEXTS_ENV)
    if named:
        folder = Path(named).absolute()
        return folder, folder
    return package.root / DEFAULT_TEXTS, package.root


class TextsExposed(Exception):
    """The texts folder lies in the git checkout that holds the package, and git does not ignore
    it: a text there would be one `git add` from being committed (exit 2; docs/rights.md)."""


def texts_standing(package, name: str = SOME_TEXT) -> str:
    """Why a text `name` put in the texts folder stays out of git, as a command says it (`git
    ignores it`, `outside the package's git checkout`, ...). Raises TextsExposed where it would
    not: a folder inside the git checkout that holds the package which git does not ignore, or
    of which git cannot say.

    A package that no git checkout holds (a downloaded release folder, the copy installed with
    seccoop) has no git to leak into: any folder is fine there."""
    from seccoop.model.package import is_installed_copy

    top = None if is_installed_copy(package) else _checkout(package.root.resolve())
    if top is None:
        return "no git checkout holds the package"
    folder = texts_folder(package)[0].resolve()
    try:
        probe = (folder / name).relative_to(top).as_posix()
    except ValueError:
        return "outside the package's git checkout"
    default = package.texts is None and not os.environ.get(TEXTS_ENV)

    def exposed(why: str) -> TextsExposed:
        fix = (
            f"add `/{DEFAULT_TEXTS}/` to the package's .gitignore, or name a folder outside the checkout with "
            f"--texts or {TEXTS_ENV}"
            if default
            else f"name a folder outside the checkout (or one git ignores) with --texts or {TEXTS_ENV}"
        )
        return TextsExposed(
            f"the texts folder {package.rel(folder)} lies inside the git checkout {top}, and git "
            f"{why}: a withheld text there would be one `git add` from being committed; {fix} "
            "(docs/rights.md)"
        )

    try:
        # Plumbing only, in the checkout itself: never a hook, a pager or a prompt; --no-index asks
        # the ignore rules alone, as `git add` would apply them to a new file.
        done = subprocess.run(
            ["git", "check-ignore", "-q", "--no-index", "--", probe],
            cwd=top,
            env=_git_env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=GIT_TIMEOUT,
        )
    except FileNotFoundError:  # no git here to leak into, and none to ask
        return "git is not installed here"
    except subprocess.TimeoutExpired:
        raise exposed(f"did not say within {GIT_TIMEOUT} s whether it ignores it") from None
    if done.returncode == 0:
        return "git ignores it"
    if done.returncode == 1:
        raise exposed("does not ignore it")
    said = done.stderr.decode("utf-8", "replace").strip().splitlines()
    raise exposed(f"cannot say whether it ignores it ({said[-1] if said else done.returncode})")


def _checkout(root: Path) -> Path | None:
    """The top of the git work tree holding `root`: the nearest folder at or above it with a
    `.git` (a folder; a file in a linked worktree or a submodule). A look at the file system
    only, so that a package outside git costs no process."""
    for folder in (root, *root.parents):
        if os.path.lexists(folder / ".git"):
            return folder
    return None


def _git_env() -> dict[str, str]:
    """seccoop's environment for git (seccoop.safety.git.git_env: no prompt, no pager), without any GIT_*
    variable of the caller's that points git at another repository, work tree, index or
    configuration (a hook running seccoop sets some): git finds the checkout from the folder it
    runs in."""
    # check-ignore takes paths, not pathspecs, and refuses GIT_LITERAL_PATHSPECS outright.
    own = {"GIT_TERMINAL_PROMPT", "GIT_PAGER"}
    return {k: v for k, v in git_env().items() if not k.startswith("GIT_") or k in own}


class TextAbsent(Exception):
    """A withheld source's text is not in the texts folder."""


def read_withheld(package, sha256: str) -> tuple[bytes, str]:
    """The bytes of a withheld text, found by its recorded sha256, and the name to report it by.
    Raises TextAbsent when there is no such file, paths.Refused when the gate refuses it."""
    folder, root = texts_folder(package)
    path = folder / f"{sha256}.txt"
    shown = package.rel(path)
    try:
        return paths.read_file(path, root, paths.SOURCE_LIMIT), shown
    except paths.Refused as exc:
        if exc.code == "file-missing":
            raise TextAbsent(shown) from None
        # The gate speaks of the package's own files; a text is named, and told of as one.
        if exc.code == "file-link" and exc.link is not None and exc.link != path:
            reason = (
                f"`{shown}` lies behind the symbolic link `{package.rel(exc.link)}`; a text is read "
                "only from the texts folder itself, never through a link"
            )
        elif exc.code == "file-link":
            reason = f"`{shown}` is a symbolic link; a text is read only as a regular file, never through a link"
        else:
            reason = f"`{shown}`: {exc.reason}"
        raise paths.Refused(exc.code, reason, exc.link) from None


@dataclass(frozen=True)
class CopyCheck:
    """How one span fared against a copy of its source: where its fingerprint was found, if anywhere."""

    span: dict
    found_at: int | None


def verify_copy(text: str, spans: list[dict]) -> list[CopyCheck]:
    """Find each span's fingerprint in a copy of its source whose other bytes may differ (a header
    line, other line ends): a span is verified where some window of the copy, of the span's
    length, has the span's sha256. Windows near where the span was (shifted as the spans found
    before it were) are tried first, then every window of that length."""
    results, shift = [], 0
    for span in sorted(spans, key=lambda s: s["start"]):
        length, wanted = span["end"] - span["start"], span["sha256"]
        found = None
        guess = span["start"] + shift
        if guess >= 0 and fingerprint(text[guess : guess + length]) == wanted:
            found = guess
        else:
            for at in range(0, max(0, len(text) - length) + 1):
                if fingerprint(text[at : at + length]) == wanted:
                    found = at
                    break
        if found is not None:
            shift = found - span["start"]
        results.append(CopyCheck(span, found))
    return results


# A copy is judged the source's document when the spans found in it cover more than half of the
# characters its spans fingerprint. Another article shares a few short spans of common words: of
# the curators' 39 other texts, none covered more than 5% of the seed's 2,288 fingerprinted
# characters (most 0%), while its own copy covers 100%, and one whose header, line ends or spacing
# differ keeps nearly all. Half lies far from both. At or below it, the copy is "a different
# document", however many short spans it matched.
SAME_DOCUMENT = 0.5


def coverage(results: list[CopyCheck]) -> tuple[int, int]:
    """The characters of the source that the spans found in a copy cover, and those all its spans
    cover: each character counted once, however many spans share it."""

    def union(spans) -> int:
        total, reach = 0, -1
        for start, end in sorted(spans):
            if end > reach:
                total += end - max(start, reach)
                reach = end
        return total

    every = [(r.span["start"], r.span["end"]) for r in results]
    found = [(r.span["start"], r.span["end"]) for r in results if r.found_at is not None]
    return union(found), union(every)


def published_spans(package, source_id: str) -> list[dict]:
    """The spans of a source as the package publishes them (data/spans.csv): what a downloader
    has, with or without the curated files."""
    return published_spans_of(package, {source_id}).get(source_id, [])


def published_spans_of(package, source_ids: set[str]) -> dict[str, list[dict]]:
    """The published spans of each of these sources, by source id, read in one pass; each with
    its folded fingerprint (`seccoop.model.locators.folded_fingerprint`) where published, else
    None. Raises paths.Refused; KeyError or ValueError for a table not of the published shape."""
    import csv
    import io

    raw = paths.read_file(package.root / "data" / "spans.csv", package.root, paths.CURATED_LIMIT)
    found: dict[str, list[dict]] = {}
    for r in csv.DictReader(io.StringIO(raw.decode("utf-8"))):
        if r["source"] not in source_ids:
            continue
        found.setdefault(r["source"], []).append(
            {
                "id": r["id"],
                "start": int(r["start"]),
                "end": int(r["end"]),
                "sha256": r["sha256"],
                "quote": r["quote"] or None,
                "folded_sha256": r.get("folded_sha256") or None,
                "folded_length": int(r["folded_length"]) if (r.get("folded_length") or "").isdigit() else None,
            }
        )
    return found


# -- a fetched copy (`seccoop texts fetch`, docs/fetch.md) -------------------------------------------

FETCHED_TEXT = "{}.fetched.txt"
FETCHED_MAP = "{}.fetched.json"
FETCHED_LIMIT = 64 * paths.MiB  # the text; its map holds two numbers a span
FETCHED_MAP_LIMIT = 64 * paths.MiB


class FetchedUnreadable(Exception):
    """A fetched copy whose map is not what `seccoop texts fetch` writes (named, with why)."""


@dataclass(frozen=True)
class FetchedCopy:
    """A page fetched for a withheld source: its text (NFC), where each span was found in it (None
    where it was not), and the name to report it by."""

    text: str
    spans: dict[str, tuple[int, int] | None]
    shown: str


def read_fetched(package, sha256: str) -> FetchedCopy | None:
    """The fetched copy of a withheld text (`<sha256>.fetched.txt` and `.fetched.json` in the
    texts folder), None where either is absent. Both pass the reading gate (paths.Refused); a map
    of the wrong shape is FetchedUnreadable."""
    from seccoop.safety.untrusted import BadJSON, load_json

    folder, root = texts_folder(package)
    text_path, map_path = folder / FETCHED_TEXT.format(sha256), folder / FETCHED_MAP.format(sha256)
    try:
        raw_text = paths.read_file(text_path, root, FETCHED_LIMIT)
        raw_map = paths.read_file(map_path, root, FETCHED_MAP_LIMIT)
    except paths.Refused as exc:
        if exc.code == "file-missing":
            return None
        raise
    shown = package.rel(text_path)
    try:
        text = raw_text.decode("utf-8")
        document = load_json(raw_map)
    except UnicodeDecodeError:
        raise FetchedUnreadable(f"`{shown}` is not UTF-8") from None
    except BadJSON as exc:
        raise FetchedUnreadable(f"`{package.rel(map_path)}` is not JSON: {exc}") from None
    where = document.get("spans") if isinstance(document, dict) else None
    if not isinstance(where, dict):
        raise FetchedUnreadable(f"`{package.rel(map_path)}` has no `spans` object")
    spans: dict[str, tuple[int, int] | None] = {}
    for span_id, place in where.items():
        if place is None:
            spans[span_id] = None
        elif (
            isinstance(place, dict)
            and all(type(place.get(k)) is int for k in ("start", "end"))
            and 0 <= place["start"] <= place["end"] <= len(text)
        ):
            spans[span_id] = (place["start"], place["end"])
        else:
            raise FetchedUnreadable(
                f"`{package.rel(map_path)}`: span `{span_id}` is not null or a start and end within the text"
            )
    return FetchedCopy(text, spans, shown)


def verified_in_fetched(copy: FetchedCopy, span_id: str, sha256: str, folded: tuple[str, int] | None) -> bool | None:
    """Whether the fetched copy has a span's words where its map says: their exact sha256, or
    failing that their folded sha256 and length. None where the map does not know the span (one
    added since the page was fetched): it is left unverified, as without a copy."""
    if span_id not in copy.spans:
        return None
    place = copy.spans[span_id]
    if place is None:
        return False
    words = copy.text[place[0] : place[1]]
    if fingerprint(words) == sha256:
        return True
    return folded is not None and folded_fingerprint(words) == folded
