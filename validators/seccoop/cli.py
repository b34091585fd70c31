"""The `seccoop` command: a thin skin over the library (check, build, locate, export).

Exit codes (docs/safety.md): 0 valid; 1 something in the package's files is wrong; 2 the command
line is wrong or the path holds no package; 3 seccoop's own schemas are broken or seccoop failed;
4 the environment failed (no space, read-only, permission); 130 interrupted; 141 closed pipe;
143 terminated (SIGTERM).
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import signal
import sys
import threading
import traceback
from pathlib import Path
from typing import NoReturn

import click

from seccoop.model.report import (
    EXIT_ENVIRONMENT,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_INVALID,
    EXIT_PIPE,
    EXIT_TERMINATED,
    EXIT_USAGE,
)
from seccoop.safety import write
from seccoop.safety.streams import buffer_standard_output
from seccoop.safety.terminal import shown

# errno values that mean the machine, not the data or seccoop, failed (docs/safety.md).
_ENVIRONMENT = {
    errno.ENOSPC: "no space left on device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "read-only file system",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
}


def _exit_statuses(command):
    """The one place that turns what went wrong into the exit statuses of docs/safety.md: a closed
    pipe exits 141 without a word, Ctrl-C 130, a failing environment 4, anything unexpected 3
    (seccoop's bug, never 1, which means the data is wrong), all without a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        commits = dict(write.COMMITS)
        try:
            try:
                with _terminated_as_interrupted():
                    return command(*args, **kwargs)
            finally:
                # Flushed here, not at exit: a reader that closed the pipe is said as a closed pipe
                # (141), also where the command exits with a status of its own.
                sys.stdout.flush()
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt as stop:
            how = "terminated" if isinstance(stop, Terminated) else "interrupted"
            _say(f"seccoop: {how}; {_what_changed(commits)}")
            sys.exit(EXIT_TERMINATED if isinstance(stop, Terminated) else EXIT_INTERRUPTED)
        except BrokenPipeError:
            _quiet_stdout()
            sys.exit(EXIT_PIPE)
        except OSError as exc:
            if exc.errno == errno.EPIPE:
                _quiet_stdout()
                sys.exit(EXIT_PIPE)
            if exc.errno is None or exc.errno not in _ENVIRONMENT:
                _internal(exc)
            where = f"{shown(str(exc.filename))}: " if exc.filename else ""
            _say(f"seccoop: the environment failed: {where}{_ENVIRONMENT[exc.errno]}; nothing was changed")
            _say(
                "hint: free space, or make the folder writable, and run the command again; "
                "this is not a problem in your data or in seccoop."
            )
            _debug()
            sys.exit(EXIT_ENVIRONMENT)
        except Exception as exc:  # the one place that turns bugs into exit 3
            _internal(exc)

    return wrapper


class Terminated(KeyboardInterrupt):
    """SIGTERM (`kill`, `timeout`, a cancelled CI job), raised where Ctrl-C raises, so that a
    command stops as it does on Ctrl-C: its staged files and locks removed, a set of files being
    renamed into place left to its journal. Python's default would end the process at once and
    leave every `.seccoop-*` file behind (docs/safety.md, "Exit statuses")."""


@contextlib.contextmanager
def _terminated_as_interrupted():
    """SIGTERM raises `Terminated` while a command runs, where SIGTERM is at its default: one
    ignored or handled by whoever started seccoop stays so, and a command run in a thread (or in
    a test's process) changes nothing of its caller's once it returns."""
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGTERM) != signal.SIG_DFL:
        yield
        return

    def raise_terminated(_signum, _frame):
        raise Terminated

    previous = signal.signal(signal.SIGTERM, raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _what_changed(before: dict) -> str:
    """What a stopped command leaves: nothing, files written whole, or files being replaced,
    which the next run that writes there completes from the journal (docs/safety.md)."""
    journaled, done = (write.COMMITS[k] - before[k] for k in ("journaled", "done"))
    if journaled > done:
        return "it stopped while replacing files; the next seccoop run that writes there completes them"
    if done:
        return "the files it wrote are complete"
    return "nothing was changed"


def _say(message: str) -> None:
    """A line to stderr (anything a file gave the message has passed `shown` first)."""
    with contextlib.suppress(OSError):  # stderr is gone too: the exit status still says what happened
        click.echo(message, err=True)


def _quiet_stdout() -> None:
    """After a closed pipe, point stdout at /dev/null so Python's final flush cannot complain."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _debug() -> None:
    if os.environ.get("SECCOOP_DEBUG"):
        traceback.print_exc()


def _internal(exc: BaseException) -> NoReturn:
    where = ""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is not None:
        where = f" at {os.path.basename(tb.tb_frame.f_code.co_filename)}:{tb.tb_lineno}"
    _say(f"seccoop: internal error: {type(exc).__name__}: {shown(str(exc))}{where}")
    _say(
        "hint: this is a bug in seccoop, not in your data; please report it with "
        "the command you ran (set SECCOOP_DEBUG=1 for the traceback)."
    )
    _debug()  # the traceback only adds to the message: the status stays 3
    sys.exit(EXIT_INTERNAL)


def _texts_option(command):
    """--texts DIR (or SECCOOP_TEXTS): where withheld texts are found, as <sha256>.txt (docs/rights.md)."""
    return click.option(
        "--texts",
        "texts",
        default=None,
        envvar="SECCOOP_TEXTS",
        show_envvar=True,
        type=click.Path(file_okay=False),
        help="The folder of withheld texts, each as <sha256>.txt. Default: texts/ in the package "
        "(git-ignored). A folder inside the package's git checkout that git does not ignore "
        "is refused.",
    )(command)


def _refused(exc: BaseException) -> click.UsageError:
    """A usage error (exit 2) saying what was refused, safe to print: messages may quote a file."""
    return click.UsageError(shown(str(exc)))


def _texts_checked(path, texts, allow_bundled: bool = True) -> None:
    """A usage error where the texts folder of the package at `path` lies where git could take up
    a text put there (docs/rights.md); nothing where no package is found: the command says so."""
    from seccoop.model.package import NoPackage, Package, find_package
    from seccoop.model.rights import TextsExposed, texts_standing

    try:
        found = find_package(path, allow_bundled=allow_bundled)
    except NoPackage:
        return
    try:
        texts_standing(Package(found.root, Path(texts) if texts else None))
    except TextsExposed as exc:
        raise _refused(exc) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="seccoop")
def main():
    """seccoop: check, build and export the evidence-linked dataset of security cooperation
    against organized crime.

    PACKAGE is a package folder or its datapackage.json; by default the nearest one at or above
    the current folder (check, locate and export fall back to the copy installed with seccoop).
    """
    buffer_standard_output()  # every byte written or a closed pipe said (docs/safety.md)


@main.command()
@click.argument("package", required=False, type=click.Path(dir_okay=True, file_okay=True))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github"]),
    default=None,
    help="Report format. Default: github when GITHUB_ACTIONS=true, else text.",
)
@click.option("--strict", is_flag=True, help="Fail (exit 1) on warnings too.")
@click.option(
    "--allow",
    "allowed",
    multiple=True,
    metavar="CODE",
    help="With --strict: warnings of CODE do not fail (repeatable): outcomes the curation rules expect, "
    "such as type-other (a fact no code fits, coded `other` with its note).",
)
@click.option(
    "--max-errors",
    type=click.IntRange(min=1),
    default=None,
    help="Show at most N problems; the report says how many more there are.",
)
@_texts_option
@click.option(
    "--require-texts",
    is_flag=True,
    help="A withheld text missing from the texts folder is an error (exit 1), not a span left unverified.",
)
@click.option(
    "--no-cache",
    is_flag=True,
    help="Check everything cold: reuse nothing an earlier check proved (the cache is off anyway under "
    "CI=true and for the copy installed with seccoop; docs/cache.md).",
)
@click.option(
    "--baseline",
    type=click.Path(file_okay=False),
    default=None,
    metavar="DIR",
    help="Start from the baseline a `--save-baseline DIR` check kept there, comparing files by their content (a "
    "fresh checkout of a pull request's base commit): only what the changes reach is checked. The only cache on "
    "under CI=true; DIR must be the user's own, outside the package; a cold check, said on stderr, where its "
    "baseline cannot be used (docs/cache.md).",
)
@click.option(
    "--save-baseline",
    type=click.Path(file_okay=False),
    default=None,
    metavar="DIR",
    help="Check the whole package, reading no earlier entry, and where it finds no error keep the baseline in DIR "
    "(emptied of earlier entries first) for `--baseline DIR` checks of later changes (docs/cache.md).",
)
@_exit_statuses
def check(package, fmt, strict, allowed, max_errors, texts, require_texts, no_cache, baseline, save_baseline):
    """Check a package: curated YAML, seeds, derived files and Frictionless validity.

    Exit 0 when valid, 1 when something in the package is wrong, 2 for a wrong command line or a
    path with no package, 3 when seccoop's own schemas are broken or seccoop failed.
    """
    from seccoop.check import check as run_check
    from seccoop.model.report import render_report

    if fmt is None:
        fmt = "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"
    _texts_checked(package, texts)
    from seccoop.model.report import CODES

    for code in allowed:
        if code not in CODES or CODES[code].severity != "warning":
            raise click.BadParameter(f"{code!r} is not a warning's code (docs/error-codes.md)", param_hint="--allow")
    if baseline is not None and save_baseline is not None:
        raise click.UsageError("--baseline and --save-baseline do not go together: a check uses one or saves one")
    if no_cache and (baseline is not None or save_baseline is not None):
        raise click.UsageError("--no-cache reads and writes no baseline: leave out --baseline and --save-baseline")
    report = run_check(
        package,
        strict=strict,
        texts=texts,
        require_texts=require_texts,
        cache=not no_cache,
        allowed=frozenset(allowed),
        baseline=baseline,
        save_baseline=save_baseline,
    )
    out = render_report(report, fmt, max_errors)
    if report.exit_code == EXIT_USAGE:
        click.echo(out, nl=False, err=True)
    else:
        click.echo(out, nl=False)
    sys.exit(report.exit_code)


@main.command()
@click.argument("package", required=False, type=click.Path(dir_okay=True, file_okay=True))
@_texts_option
@_exit_statuses
def build(package, texts):
    """Rebuild the derived files (data/*.csv, data/seccoop.json, datapackage.json) from the
    curated YAML. Writes nothing unless every check passes; each file is replaced atomically.
    Works only on a checkout, never on the copy installed with seccoop."""
    from seccoop.model.package import NoPackage
    from seccoop.model.report import render_report
    from seccoop.published.build import BuildFailed
    from seccoop.published.build import build as run_build
    from seccoop.safety.write import WriteRefused

    _texts_checked(package, texts, allow_bundled=False)
    try:
        changed = run_build(package, texts=texts)
    except NoPackage as exc:
        raise click.UsageError(f"{shown(str(exc))}; run inside a seccoop checkout or pass its folder") from None
    except BuildFailed as exc:
        click.echo(render_report(exc.report, "text"), nl=False, err=True)
        click.echo("build stopped: nothing was written", err=True)
        sys.exit(exc.report.exit_code or EXIT_INVALID)
    except WriteRefused as exc:
        click.echo(f"seccoop: cannot write {shown(str(exc))}; nothing was changed", err=True)
        sys.exit(EXIT_INVALID)
    if changed:
        for path in changed:
            click.echo(f"wrote {path}")
    else:
        click.echo("derived files are up to date")
    _leave_baseline(package, texts)


def _leave_baseline(path, texts) -> None:
    """Check the package as the build left it, with the check cache on (docs/cache.md): the check
    that follows a build (the pre-commit hook's) then answers from the cache, and the next edit
    starts from this baseline. Where the cache is off (CI, a folder refused), nothing is done."""
    from seccoop.check import answer
    from seccoop.incremental import cache
    from seccoop.model.package import Package, find_package

    package = find_package(path, allow_bundled=False)
    package = Package(package.root, Path(texts) if texts else None)
    if cache.folder(package) is not None:
        answer(package, use_cache=True)


@main.command()
@click.argument("quote", required=False)
@click.option("--source", "source_id", default=None, help="Only this source id.")
@click.option("--package", "package", default=None, type=click.Path(), help="The package (default: nearest).")
@click.option("--context", "width", default=30, show_default=True, help="Characters of context each side.")
@click.option(
    "--pin",
    is_flag=True,
    help="Instead of searching QUOTE: write start, end and sha256 into the curated "
    "YAML for every quote of a withheld text that lacks them (the text must be in the texts folder).",
)
@click.option(
    "--publish",
    "policy",
    type=click.Choice(["budget", "names"]),
    default=None,
    help="With --pin: unpublish in place what each withheld text's quotation budget cannot hold. budget: "
    "names, then each fact's shortest words (commitments, events, relations, actors) while the budget "
    "holds; names: only what costs nothing. Shows what stays and goes first (docs/rights.md).",
)
@click.option("--dry-run", is_flag=True, help="With --pin: print what would be written, write nothing.")
@_texts_option
@_exit_statuses
def locate(quote, source_id, package, width, pin, policy, dry_run, texts):
    """List every occurrence of QUOTE in the sources, with its start offset and context.

    Use the start offset as `start:` in the curated YAML where a quote occurs more than once.
    Exits 1 when the quote occurs nowhere. With --pin, pin every quote of a withheld text
    (docs/rights.md); exits 1 when a quote could not be pinned.
    """
    from seccoop.curator.locate import locate as run_locate
    from seccoop.model.package import NoPackage
    from seccoop.model.rights import TextsExposed

    if policy is not None and not pin:
        raise click.UsageError("--publish chooses what to publish of pinned quotes: give it with --pin")
    if pin:
        if quote is not None:
            raise click.UsageError("--pin pins every quote of the withheld texts; give no QUOTE")
        return _pin(package, texts, dry_run, policy)
    if quote is None:
        raise click.UsageError("give a QUOTE to look for, or --pin")
    try:
        absent: list[str] = []
        hits, near = run_locate(quote, package, source_id, width, texts, absent)
    except (NoPackage, TextsExposed) as exc:
        raise _refused(exc) from None
    # A source text is taken as received: its words and their context may hold anything.
    for hit in hits:
        click.echo(
            f"{shown(hit.source)}\tstart {hit.start}\tend {hit.end}\t"
            f"…{shown(hit.before)}[{shown(quote)}]{shown(hit.after)}…"
        )
    if not hits:
        click.echo(f"not found: {quote!r}", err=True)
        for source, text in near:
            # repr escapes every character that does not print as itself, as `shown` does
            click.echo(f"{shown(source)} has: {text!r} (quotes, dashes or spaces differ)", err=True)
        if absent:
            click.echo(
                f"not searched: {len(absent)} withheld text(s) not in the texts folder "
                f"({shown(', '.join(absent[:3]))}{', ...' if len(absent) > 3 else ''}); name it with --texts "
                "(docs/rights.md)",
                err=True,
            )
        sys.exit(EXIT_INVALID)


@main.command()
@click.argument("span")
@click.option("--package", "package", default=None, type=click.Path(), help="The package (default: nearest).")
@_texts_option
@_exit_statuses
def show(span, package, texts):
    """Print the words the span SPAN (`<source>@<start>-<end>`, as data/spans.csv publishes it)
    covers, from its source's text at hand: an included text in seeds/, a withheld one in the texts
    folder. Once a withheld quote's words are unpublished, this shows them to a curator who holds
    the text. Exit 1 where the text is not here or the span is not within it."""
    from seccoop.curator.locate import SpanUnknown
    from seccoop.curator.locate import show as words_of
    from seccoop.model.package import NoPackage
    from seccoop.model.rights import TextsExposed

    try:
        words = words_of(span, package, texts)
    except (NoPackage, TextsExposed, ValueError) as exc:
        raise _refused(exc) from None
    except SpanUnknown as exc:
        click.echo(f"seccoop: {shown(str(exc))}", err=True)
        sys.exit(EXIT_INVALID)
    click.echo(shown(words))


def _pin(package, texts, dry_run, policy=None) -> None:
    from seccoop.curator.locate import pin
    from seccoop.model.package import NoPackage, find_package, is_installed_copy
    from seccoop.model.rights import TextsExposed
    from seccoop.safety.write import WriteRefused, write_atomically

    try:
        if is_installed_copy(find_package(package)):
            raise click.UsageError("the copy installed with seccoop is never written to; pin in a checkout")
        results, files = pin(package, texts)
    except (NoPackage, TextsExposed) as exc:
        raise _refused(exc) from None
    for r in results:
        if r.problem:
            click.echo(f"{shown(r.file)}:{r.line}: not pinned: {shown(r.problem)}", err=True)
        else:
            keys = ", ".join(f"{k} {v}" for k, v in r.keys.items())
            click.echo(f"{shown(r.file)}:{r.line}: {'would pin' if dry_run else 'pinned'} {keys}")
    failed = sum(1 for r in results if r.problem)
    pinned_files = len(files)
    if policy is not None and failed:
        click.echo("seccoop: --publish chooses among pinned quotes: nothing was unpublished", err=True)
    elif policy is not None:
        files = _publish(package, texts, policy, files, dry_run)
    if not dry_run and files:
        try:
            write_atomically(files)
        except WriteRefused as exc:
            click.echo(f"seccoop: cannot write {shown(str(exc))}; nothing was changed", err=True)
            sys.exit(EXIT_INVALID)
    pinned = sum(1 for r in results if not r.problem)
    if pinned:
        click.echo(f"{'would pin' if dry_run else 'pinned'} {pinned} span(s) in {pinned_files} file(s)")
    if failed:  # one voice: never "every quote is pinned" beside quotes that are not
        click.echo(
            f"seccoop: {failed} span(s) could not be pinned (above): correct their quotes, then run again", err=True
        )
        sys.exit(EXIT_INVALID)
    if not pinned:
        click.echo("every quote of the withheld texts here is pinned")


def _publish(package, texts, policy: str, pinned: dict, dry_run: bool) -> dict:
    """Unpublish what each withheld text's budget cannot hold (curator/publish.py), saying what
    goes and what each text then publishes before anything is written. The files to write."""
    from seccoop.curator.publish import PublishRefused, plan
    from seccoop.curator.yamlwrite import PatchRefused
    from seccoop.model.package import Package, find_package

    found = find_package(package)
    try:
        items, shares, files = plan(Package(found.root, Path(texts) if texts else None), policy, pinned)
    except (PatchRefused, PublishRefused) as exc:
        click.echo(f"seccoop: cannot unpublish in place: {shown(str(exc))}; nothing was changed", err=True)
        sys.exit(EXIT_INVALID)
    verb = "would unpublish" if dry_run else "unpublished"
    for item in items:
        if not item.keep:
            what = "quote" if item.key == "quote" else f"`{item.key}` words (its code stays)"
            click.echo(f"{shown(item.display)}:{item.line}: {verb} the {what} of {shown(item.record)} ({item.cost})")
    for share in shares:
        over = (
            ""
            if share.after <= share.allowed
            else "; still over: a quantity's words, and an honorific, role or place without its code, cannot go"
        )
        click.echo(
            f"{shown(share.source)}: publishes {share.after} of {share.length} code points "
            f"({share.after / share.length:.1%}; was {share.before}), budget {share.allowed}{over}"
        )
    return files


@main.command()
@click.argument("package", required=False, type=click.Path(dir_okay=True, file_okay=True))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "json", "jsonl", "sqlite", "parquet", "html", "annotations", "zip"]),
    required=True,
    help="csv: tables; json: the nested document; jsonl: one record a line; sqlite: one database "
    "(X.db, and X.metadata.json for `datasette X.db -m X.metadata.json`); parquet: a folder "
    "of typed tables (needs seccoop[parquet]); html: a review site; annotations: every span as a W3C Web "
    "Annotation (JSON-LD) on its source's page; zip: the release archive (from a checkout; its sha256 is "
    "printed).",
)
@click.option(
    "--table",
    "tables",
    multiple=True,
    metavar="NAME",
    help="A table (csv, sqlite, parquet) or record kind (json, jsonl) to export; repeat for several. "
    "Default: all. `events_flat` is one row per event with participants and quotes. "
    "sqlite adds the tables a chosen table references, so every foreign key holds.",
)
@click.option(
    "--out",
    default=None,
    metavar="PATH",
    help="File, or folder for several CSV tables, parquet and html. Default or `-`: standard output.",
)
@click.option(
    "--excel-safe/--raw",
    default=False,
    show_default=True,
    help="csv: prefix text cells that start with = + - @ tab or CR with ' so spreadsheets "
    "do not run them as formulas. Off by default: the raw data is never altered unless asked.",
)
@click.option(
    "--no-cache", is_flag=True, help="Run the check cold, as `seccoop check --no-cache` does (docs/cache.md)."
)
@click.option(
    "--private",
    is_flag=True,
    help="html only: the curators' private view, every withheld text shown in full with its spans "
    "highlighted and every page marked not for publication. Needs every withheld text in the texts "
    "folder; refused with --out inside the package or its git checkout, and for any other format.",
)
@click.option(
    "--texts",
    "texts",
    default=None,
    type=click.Path(file_okay=False),
    help="With --private: the folder of withheld texts, each as <sha256>.txt. Default: SECCOOP_TEXTS, "
    "else texts/ in the package.",
)
@_exit_statuses
def export(package, fmt, tables, out, excel_safe, no_cache, private, texts):
    """Export the checked package as CSV, JSON, JSON Lines, SQLite, Parquet, an HTML review site, Web
    Annotations or the release archive (zip).

    Runs the same check as `seccoop check` first: invalid data exits 1 and writes nothing.
    Outside a checkout, exports the package installed with seccoop. Writes are atomic.
    """
    from seccoop.exports.errors import ExportInvalid, ExportRefused
    from seccoop.exports.export import export as run_export
    from seccoop.model.package import NoPackage
    from seccoop.model.report import render_report
    from seccoop.safety.write import WriteRefused

    if private:
        _texts_checked(package, texts)
    try:
        written = run_export(package, fmt, tables, out, excel_safe, cache=not no_cache, private=private, texts=texts)
    except (NoPackage, ExportRefused) as exc:
        raise _refused(exc) from None
    except ExportInvalid as exc:
        click.echo(render_report(exc.report, "text"), nl=False, err=True)
        click.echo("export stopped: the package does not pass `seccoop check`; nothing was written", err=True)
        sys.exit(exc.report.exit_code)
    except WriteRefused as exc:  # the --out given cannot be written as asked, whatever the format
        raise click.UsageError(f"cannot write {shown(str(exc))}; nothing was changed") from None
    if written != ["-"]:
        for path in written:
            click.echo(f"wrote {shown(str(path))}", err=True)
    if fmt == "zip":  # as sha256sum prints it, so `sha256sum -c` checks the download
        import hashlib

        with open(written[0], "rb") as archive:
            digest = hashlib.file_digest(archive, "sha256").hexdigest()
        click.echo(f"{digest}  {Path(written[0]).name}")


@main.command()
@click.argument("source_id", metavar="SOURCE")
@click.argument("copy", type=click.Path(exists=True, dir_okay=False))
@click.option("--package", "package", default=None, type=click.Path(), help="The package (default: nearest).")
@_exit_statuses
def verify(source_id, copy, package):
    """Verify every published span of SOURCE against COPY, a copy of its text obtained elsewhere.

    A span is verified where some run of the copy's characters, of the span's length, has the span's
    sha256: the copy's other bytes may differ (a header line, other line ends). Prints where each
    span was found, and judges the document: COPY is SOURCE's where the spans found cover more than
    half of the characters its spans fingerprint, else "a different document". Exits 0 when every
    span is verified, 1 otherwise (docs/rights.md).
    """
    from seccoop.model import rights
    from seccoop.model.package import NoPackage, find_package
    from seccoop.safety import paths

    try:
        pkg = find_package(package)
        spans = rights.published_spans(pkg, source_id)
    except NoPackage as exc:
        raise _refused(exc) from None
    except paths.Refused as exc:
        raise click.UsageError(f"data/spans.csv: {shown(exc.reason)}") from None
    if not spans:
        raise click.UsageError(f"the package publishes no span of a source `{shown(source_id)}`")
    try:
        text = paths.read_file(Path(copy), None, paths.DOCUMENT_LIMIT).decode("utf-8")
    except paths.Refused as exc:
        raise click.UsageError(f"{shown(copy)}: {shown(exc.reason)}") from None
    except UnicodeDecodeError as exc:
        raise click.UsageError(f"{shown(copy)}: not UTF-8 (byte {exc.start})") from None
    missing = 0
    results = rights.verify_copy(text, spans)
    for result in results:
        span = result.span  # its id is read from data/spans.csv: shown safely
        if result.found_at is None:
            missing += 1
            click.echo(f"{shown(span['id'])}\tnot found in the copy")
        else:
            click.echo(f"{shown(span['id'])}\tverified at {result.found_at}")
    covered, fingerprinted = rights.coverage(results)
    share = covered / fingerprinted if fingerprinted else 0.0
    figures = f"they cover {covered} of the {fingerprinted} characters its spans fingerprint ({share:.0%})"
    click.echo(f"{len(spans) - missing} of {len(spans)} span(s) verified against {shown(copy)}: {figures}")
    if share <= rights.SAME_DOCUMENT:
        click.echo(
            f"{shown(copy)} is a different document, not a copy of {shown(source_id)}: a copy covers more than "
            "half (docs/rights.md)"
        )
    sys.exit(EXIT_INVALID if missing else 0)


@main.command()
@click.argument("paths", nargs=-1, metavar="[PATH]...", type=click.Path(exists=True, dir_okay=True, file_okay=True))
@click.option(
    "--package",
    "package",
    default=None,
    type=click.Path(),
    help="The package whose published tables say which words are published (default: nearest).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github"]),
    default=None,
    help="Report format. Default: github when GITHUB_ACTIONS=true, else text.",
)
@_texts_option
@_exit_statuses
def leaks(paths, package, fmt, texts):
    """Search files, folders and archives for withheld words (docs/rights.md): the words of an
    unpublished span of four words or more, or eight words in a row of any text in the texts
    folder that no published quote holds, compared as words (case, punctuation, line breaks and
    comment marks aside). Each PATH is a file, a folder (every file under it) or an archive
    (.zip, .whl, .tar.gz, .tgz: read in memory, a member named as ARCHIVE!MEMBER); SQLite and
    Parquet files are read cell by cell. Default: the package's files as git sees them (tracked,
    and untracked that git does not ignore), never the texts folder.

    A leak is named by file, line and column and by its span or text, never by its words. Exit 0
    when none is found, 1 for a leak or a file that could not be searched, 2 for a wrong command
    line or a texts folder with no text (nothing to search for).
    """
    from seccoop.checks.leaks import load_patterns, search_package, search_paths
    from seccoop.model.package import NoPackage, Package, find_package
    from seccoop.model.report import Report, render_report

    if fmt is None:
        fmt = "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"
    _texts_checked(package, texts)
    try:
        found = find_package(package)
    except NoPackage as exc:
        raise _refused(exc) from None
    pkg = Package(found.root, Path(texts) if texts else None)
    patterns = load_patterns(pkg)
    for said in patterns.skipped:
        click.echo(f"seccoop: not searched for: {shown(said)}", err=True)
    if not patterns.texts:
        folder = pkg.rel(patterns.folder) if patterns.folder else "the texts folder"
        raise click.UsageError(
            f"no text in {shown(folder)}: there is nothing to search for; name the folder of texts with --texts "
            "or SECCOOP_TEXTS (docs/rights.md)"
        )
    search = search_paths(paths, patterns) if paths else search_package(pkg, patterns)
    # Files are named as given (from the current folder), or from the package root.
    report = Report("." if paths else str(pkg.root), search.problems)
    out = render_report(report, fmt)
    if fmt != "json":  # the check's last line says `valid`; this one says what was searched for what
        leaked = {p.file for p in report.errors}
        spans = sum(len(v) for v in patterns.spans.values())
        what = (
            f"{search.files} file(s) searched for the words of {patterns.texts} text(s) and {spans} unpublished span(s)"
        )
        said = (
            f"{len(report.errors)} problem(s) in {len(leaked)} of {what}"
            if report.errors
            else f"no withheld words in {what}"
        )
        out = out[: out.rstrip("\n").rfind("\n") + 1] + said + "\n"
    click.echo(out, nl=False)
    sys.exit(report.exit_code)


@main.command("add-source")
@click.argument("document", type=click.Path(exists=True, dir_okay=False))
@click.option("--package", "package", default=None, type=click.Path(), help="The package (default: nearest).")
@click.option("--id", "source_id", default=None, help="Source id (default: a slug of the title and date).")
@click.option(
    "--title",
    default=None,
    help="The title as the page gives it; needed where the document has no first line "
    "`date YYYY-MM-DD TITLE` (where it has one, it must agree).",
)
@click.option(
    "--published",
    default=None,
    metavar="YYYY-MM-DD",
    help="The publication date as the page gives it; needed where the document has no first line "
    "`date YYYY-MM-DD TITLE` (where it has one, it must agree).",
)
@click.option("--language", default="en", show_default=True, help="BCP 47 language tag of the text (en, es, pt-BR).")
@click.option(
    "--published-from",
    type=click.Choice(["text", "archive", "url", "none"]),
    default=None,
    help="What gives the publication date: text (its words, quoted as its evidence), archive (the first line "
    "an archive added), url (its address holds it) or none (nothing does: the date is left open). Default: "
    "archive where the document has the first line, url where the URL holds --published; else required.",
)
@click.option("--publisher", default=None, help="Who published it, as its page names it (default: unknown).")
@click.option(
    "--url",
    default=None,
    help="The page where a reader finds it (http:// or https://), or `unknown` where it is not known; "
    "required for a withheld text, whose words only that page shows.",
)
@click.option("--archived-url", default=None, help="An archived copy of the page (a web archive's address), if any.")
@click.option(
    "--retrieved", default="unknown", show_default=True, help="The date the text was taken (YYYY-MM-DD), or unknown."
)
@click.option(
    "--extent",
    type=click.Choice(["whole", "excerpt", "unknown"]),
    default="unknown",
    show_default=True,
    help="Whether the text is the whole document or an excerpt of it.",
)
@click.option("--extent-note", default=None, help="Which part an excerpt is (the first 2,000 bytes of the page).")
@click.option(
    "--text",
    "text_rights",
    type=click.Choice(["included", "withheld"]),
    default=None,
    help="What may be shipped of the text: included (its licence allows republishing; kept in seeds/) or "
    "withheld (kept in the texts folder only). Not given: withheld, and the command says so.",
)
@click.option(
    "--licence",
    default="unknown",
    show_default=True,
    help="The rights statement as known: an SPDX id (CC-BY-4.0), a licence's name or URL, "
    "`all rights reserved`, or unknown. --text included needs a known licence.",
)
@click.option(
    "--attribution",
    default=None,
    help="The credit the licence asks for (CC BY: authors, title, licence and its link, changes), shipped with "
    "an included text.",
)
@_texts_option
@_exit_statuses
def add_source(
    document,
    package,
    source_id,
    title,
    published,
    language,
    published_from,
    publisher,
    url,
    archived_url,
    retrieved,
    extent,
    extent_note,
    text_rights,
    licence,
    attribution,
    texts,
):
    """Add a source DOCUMENT: copy it byte for byte into the package and record it in
    data/curated/sources.yaml (title and date from its first line `date YYYY-MM-DD TITLE`, or from
    --title and --published where it has none; rights, sha256, length, and what it quotes of itself
    as evidence). An included text goes to seeds/, a withheld one to the texts folder
    (docs/rights.md). Then add its facts and run `seccoop build`.

    Every option is checked before anything is written: a wrong value exits 2; a document that
    cannot be added as it is (a byte-order mark, no title and date, a copy of a source already
    there) exits 1. Nothing is written unless all is well.
    """
    from seccoop.curator.curate import AddSourceRefused, BadOption, Findable
    from seccoop.curator.curate import add_source as run_add
    from seccoop.model.package import NoPackage, Package, find_package
    from seccoop.model.rights import TextsExposed
    from seccoop.safety.write import WriteRefused

    try:
        pkg = find_package(package, allow_bundled=False)
        pkg = Package(pkg.root, Path(texts) if texts else None)
        sid, seed, quoted, standing = run_add(
            pkg,
            Path(document),
            source_id,
            language,
            publisher,
            url,
            text_rights or "withheld",
            licence,
            title,
            published,
            Findable(retrieved, extent, extent_note, archived_url, published_from, attribution),
        )
    except NoPackage as exc:
        raise _refused(exc) from None
    except (BadOption, TextsExposed) as exc:
        raise click.UsageError(f"{shown(str(exc))}; nothing was changed") from None
    except (AddSourceRefused, WriteRefused) as exc:
        click.echo(f"seccoop: {shown(str(exc))}; nothing was changed", err=True)
        sys.exit(EXIT_INVALID)
    seed = shown(seed)  # in a texts folder the user named, whose name may hold anything
    if text_rights is None:
        click.echo(
            f"no --text given: the text is withheld (licence {shown(licence)}); it stays in {seed} "
            f"({standing}; docs/rights.md)"
        )
    if not quoted:
        click.echo(
            "the text holds neither a first line `date YYYY-MM-DD TITLE` nor the title: the source quotes "
            "nothing of itself, and its title and date are as you gave them"
        )
    told = f" ({standing})" if text_rights == "withheld" else ""  # said above where no --text was given
    click.echo(
        f"added source `{sid}` as {seed}{told}; now record its facts in data/curated/ and run `seccoop build`"
        + ("; pin each quote with `seccoop locate --pin`" if (text_rights or "withheld") == "withheld" else "")
    )


@main.command()
@click.argument("package", required=False, type=click.Path(dir_okay=True, file_okay=True))
@_exit_statuses
def docs(package):
    """Write the generated reference docs: docs/data-dictionary.md (from the schemas and
    codelists), docs/curated-yaml.md (the curated files, field by field, from the schemas),
    docs/cli.md (from --help) and docs/error-codes.md (from the error codes)."""
    from seccoop.curator.docs import write_docs
    from seccoop.model.package import NoPackage, find_package

    try:
        changed = write_docs(find_package(package, allow_bundled=False), main)
    except NoPackage as exc:
        raise _refused(exc) from None
    for path in changed:
        click.echo(f"wrote {path}")
    if not changed:
        click.echo("docs are up to date")


@main.command()
@click.argument("old")
@click.argument("new", required=False)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
    help="text: one line a change; json: the changes as data; markdown: sections to paste into CHANGELOG.md.",
)
@_exit_statuses
def diff(old, new, fmt):
    """Show what changed between two published versions of a package: records added, removed,
    retired (merged or renamed, chains followed) and changed, field by field, with each source's
    account and the evidence spans that came, went or moved.

    OLD and NEW are each a package folder (or its datapackage.json), a release zip archive, or
    git:REV[:FOLDER], a revision of the git checkout around the current folder (FOLDER: the
    package's folder from the repository's top; default: the package here). NEW defaults to the
    nearest package at or above the current folder. Exit 0 when there is no change, 1 when there
    are changes, 2 for a wrong command line or a version that holds no readable package.
    """
    from seccoop.versions.diff import RENDERERS
    from seccoop.versions.diff import diff as run_diff
    from seccoop.versions.revisions import Unreadable

    try:
        found = run_diff(old, new)
    except Unreadable as exc:  # may name a member of an archive a stranger made
        raise _refused(exc) from None
    click.echo(RENDERERS[fmt](found), nl=False)
    sys.exit(EXIT_INVALID if found.has_changes else 0)


def _identity_options(command):
    """The options `merge` and `rename` share."""
    for option in reversed(
        (
            click.option(
                "--package", "package", default=None, type=click.Path(), help="The package (default: nearest)."
            ),
            click.option("--dry-run", is_flag=True, help="Print what would change; write nothing."),
            click.option(
                "--reason",
                default=None,
                help="Why, for retired-ids.yaml (default: `merged into KEEP` / `renamed to NEW`).",
            ),
            click.option(
                "--version",
                "version",
                default=None,
                metavar="X.Y.Z",
                help="The release that retires the id (default: the package's version with "
                "the minor number bumped, 0.1.0 -> 0.2.0).",
            ),
        )
    ):
        command = option(command)
    return command


def _run_identity(operation, package, first, second, dry_run, reason, version):
    from seccoop.curator.identity import BadArguments, IdentityRefused, apply, problems_after
    from seccoop.model.package import NoPackage, find_package
    from seccoop.safety.write import WriteRefused

    try:
        found = find_package(package, allow_bundled=False)
        plan = operation(found, first, second, reason=reason, version=version)
        # the merge rules on the result, before a byte is written (docs/accounts.md, Identity)
        after = problems_after(found, plan)
    except (NoPackage, BadArguments) as exc:
        raise _refused(exc) from None
    except IdentityRefused as exc:
        click.echo(f"seccoop: {shown(str(exc))}; nothing was changed", err=True)
        sys.exit(EXIT_INVALID)
    for line in plan.lines(dry_run):  # each names curated files and ids as written there
        click.echo(shown(line))
    for p in after:  # disagreements the merge brings together: the curator settles them next
        click.echo(shown(f"then: {p.file}:{p.line or 0}: {p.severity} {p.code} {p.message}"), err=True)
    if after:
        click.echo(
            f"{len(after)} problem(s) to settle after it (`seccoop resolve`; `seccoop check` lists them)", err=True
        )
    if dry_run:
        click.echo("nothing was written (--dry-run)", err=True)
        return
    try:
        apply(plan)
    except WriteRefused as exc:
        click.echo(f"seccoop: cannot write {shown(str(exc))}; nothing was changed", err=True)
        sys.exit(EXIT_INVALID)
    click.echo("now run `seccoop build` to rebuild the derived files", err=True)


@main.command()
@click.argument("keep")
@click.argument("other")
@_identity_options
@_exit_statuses
def merge(keep, other, package, dry_run, reason, version):
    """Make OTHER the same record as KEEP: retire OTHER in data/curated/retired-ids.yaml (replaced
    by KEEP) and update every reference to it in the curated files, in place, keeping comments and
    layout. Refused (exit 1) where ids are unknown, retired or of different kinds, or where a
    source would then give two accounts of KEEP (merge those two entries by hand first)."""
    from seccoop.curator.identity import merge as run_merge

    _run_identity(run_merge, package, keep, other, dry_run, reason, version)


@main.command()
@click.argument("old")
@click.argument("new")
@_identity_options
@_exit_statuses
def rename(old, new, package, dry_run, reason, version):
    """Give the record OLD the new id NEW: retire OLD in data/curated/retired-ids.yaml (replaced by
    NEW) and update every reference to it in the curated files, in place, keeping comments and
    layout. NEW must be a well-formed id that names nothing and was never retired."""
    from seccoop.curator.identity import rename as run_rename

    _run_identity(run_rename, package, old, new, dry_run, reason, version)


@main.command()
@click.argument("record")
@click.argument("field_name", metavar="FIELD")
@click.option(
    "--value",
    "value",
    required=True,
    help="The value, as YAML: `police chief`, `{earliest: 2024-01-15, latest: 2024-01-15, precision: day}`.",
)
@click.option("--reason", default=None, help="Which source is followed, and why (required).")
@click.option("--package", "package", default=None, type=click.Path(), help="The package (default: nearest).")
@click.option("--dry-run", is_flag=True, help="Print the resolution; write nothing.")
@_exit_statuses
def resolve(record, field_name, value, reason, package, dry_run):
    """Settle FIELD of RECORD in data/curated/resolutions.yaml as --value, with what it saw: each
    account's source and value of FIELD as the curated files hold them now. A later account it did
    not see that disagrees is then reported (`resolution-stale`). An earlier resolution of the same
    field is replaced; every other line of the file is kept."""
    from seccoop.curator.identity import BadArguments, IdentityRefused
    from seccoop.curator.resolve import parse_value
    from seccoop.curator.resolve import resolve as settle
    from seccoop.curator.yamlwrite import emit_records
    from seccoop.model.package import NoPackage, find_package
    from seccoop.safety.write import WriteRefused, write_atomically

    try:
        pkg = find_package(package, allow_bundled=False)
        settlement = settle(pkg, record, field_name, parse_value(value), reason or "")
    except (NoPackage, BadArguments) as exc:
        raise _refused(exc) from None
    except IdentityRefused as exc:
        click.echo(f"seccoop: {shown(str(exc))}; nothing was changed", err=True)
        sys.exit(EXIT_INVALID)
    where = pkg.rel(settlement.path)
    for line in emit_records([settlement.entry]).splitlines():  # values from curated files: shown safe
        click.echo(shown(line))
    if dry_run:
        click.echo("nothing was written (--dry-run)", err=True)
        return
    try:
        write_atomically({settlement.path: settlement.data})
    except WriteRefused as exc:
        click.echo(f"seccoop: cannot write {shown(str(exc))}; nothing was changed", err=True)
        sys.exit(EXIT_INVALID)
    done = (
        f"replaced the resolution at {where}:{settlement.replaced}" if settlement.replaced else f"appended to {where}"
    )
    click.echo(f"{done}; now run `seccoop build`", err=True)


@main.command("remove-source")
@click.argument("source_id", metavar="SOURCE")
@click.option("--package", "package", default=None, type=click.Path(), help="The package (default: nearest).")
@click.option("--dry-run", is_flag=True, help="Print what would change; write and delete nothing.")
@click.option(
    "--reason", default=None, help="Why, for retired-ids.yaml (default: `withdrawn: the source was removed`)."
)
@click.option(
    "--version",
    "version",
    default=None,
    metavar="X.Y.Z",
    help="The release that retires the ids (default: the package's version with the minor number "
    "bumped, 0.1.0 -> 0.2.0).",
)
@_texts_option
@_exit_statuses
def remove_source(source_id, package, dry_run, reason, version, texts):
    """Remove the source SOURCE, which no account may cite: delete its entry's lines from its curated
    file (every other line kept), delete its text from seeds/ (an included text; a withheld text is
    left in the texts folder, which is yours), and, where data/sources.csv publishes it, retire its
    id and the ids of the spans data/spans.csv publishes of it in data/curated/retired-ids.yaml
    (withdrawn), all in one atomic write. Refused (exit 1) while anything cites it, listing each
    citing span by file and line; an id that names no source exits 2."""
    from seccoop.curator.curate import RemoveRefused, UnknownSource, apply_removal
    from seccoop.curator.curate import remove_source as run_remove
    from seccoop.model.package import NoPackage, Package, find_package
    from seccoop.safety.write import WriteRefused

    _texts_checked(package, texts, allow_bundled=False)
    try:
        pkg = find_package(package, allow_bundled=False)
        removal = run_remove(
            Package(pkg.root, Path(texts) if texts else None), source_id, reason=reason, version=version
        )
    except (NoPackage, UnknownSource) as exc:
        raise _refused(exc) from None
    except RemoveRefused as exc:
        click.echo(f"seccoop: {shown(str(exc))}; nothing was changed", err=True)
        for place in exc.details:
            click.echo(f"  {shown(place)}", err=True)
        sys.exit(EXIT_INVALID)
    if dry_run:
        for line in removal.lines(dry_run=True):
            click.echo(shown(line))
        click.echo("nothing was written (--dry-run)", err=True)
        return
    try:
        apply_removal(removal)
    except WriteRefused as exc:
        click.echo(f"seccoop: cannot write {shown(str(exc))}; nothing was changed", err=True)
        sys.exit(EXIT_INVALID)
    except OSError as exc:
        if removal.delete is None or exc.filename != str(removal.delete):
            raise
        click.echo(
            f"seccoop: the source's record was removed, but {shown(removal.shown_delete)} could not be "
            f"deleted ({exc.strerror}); delete it by hand (`seccoop check` reports it as source-unlisted "
            "until then)",
            err=True,
        )
        sys.exit(EXIT_ENVIRONMENT)
    for line in removal.lines():
        click.echo(shown(line))
    click.echo("now run `seccoop build` to rebuild the derived files", err=True)


@main.group()
def texts():
    """What needs the sources' texts: links to each span's words (`link`), and the withheld texts
    fetched on demand to verify their spans (`fetch`, docs/fetch.md)."""


@texts.command("link")
@click.option("--package", "package", default=None, type=click.Path(), help="The package (default: nearest).")
@click.option("--dry-run", is_flag=True, help="Print what each source would get; write nothing.")
@_texts_option
@_exit_statuses
def texts_link(package, dry_run, texts):
    """Write data/curated/locators.yaml from the texts: each span's folded fingerprint, and the text
    fragment with the fewest words that opens the publisher's page at exactly its words, where the
    quotation budget gives one (commitments first, then events, relations, actors, a source's own
    title). Prints per source the share of spans with a fragment, and a withheld text's budget
    after. Spans of a withheld text not in the texts folder keep their entries (docs/links.md).
    Then run `seccoop build`."""
    from seccoop.curator.links import LOCATORS, LinkRefused, link
    from seccoop.model.package import NoPackage, Package, find_package, is_installed_copy
    from seccoop.safety.write import WriteRefused, write_atomically

    _texts_checked(package, texts, allow_bundled=False)
    try:
        found = find_package(package, allow_bundled=False)
        if is_installed_copy(found):
            raise click.UsageError("the copy installed with seccoop is never written to; link in a checkout")
        pkg = Package(found.root, Path(texts) if texts else None)
        results, register = link(pkg)
    except NoPackage as exc:
        raise _refused(exc) from None
    except LinkRefused as exc:
        click.echo(f"seccoop: {shown(str(exc))}; nothing was written", err=True)
        sys.exit(EXIT_INVALID)
    for r in results:
        share = f"{r.fragments}/{r.spans} span(s) with a fragment" + (
            f" ({r.fragments / r.spans:.0%})" if r.spans else ""
        )
        budget = ""
        if r.budget is not None:
            published, allowed, length = r.budget
            budget = f"; published {published} of {length} code points ({published / length:.1%}, budget {allowed})"
        kept = f"; {r.kept} kept (text not here)" if r.kept else ""
        click.echo(f"{shown(r.source)}: {share}{budget}{kept}")
    if dry_run:
        click.echo("nothing was written (--dry-run)", err=True)
        return
    try:
        changed = write_atomically({pkg.curated / LOCATORS: register})
    except WriteRefused as exc:
        click.echo(f"seccoop: cannot write {shown(str(exc))}; nothing was changed", err=True)
        sys.exit(EXIT_INVALID)
    click.echo(f"{'wrote' if changed else 'unchanged:'} data/curated/{LOCATORS}; now run `seccoop build`", err=True)


@texts.command("fetch")
@click.argument("sources", nargs=-1, metavar="[SOURCE]...")
@click.option("--package", "package", default=None, type=click.Path(), help="The package (default: nearest).")
@click.option(
    "--texts",
    "texts_dir",
    default=None,
    envvar="SECCOOP_TEXTS",
    show_envvar=True,
    type=click.Path(file_okay=False),
    help="The texts folder the fetched texts are kept in, beside the curators' <sha256>.txt: required, and "
    "never inside the package.",
)
@click.option(
    "--timeout",
    default=30.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Seconds one page may take, its redirects included.",
)
@click.option(
    "--max-bytes",
    default=8 * 1024 * 1024,
    show_default=True,
    type=click.IntRange(min=1),
    help="The largest page read, in bytes.",
)
@_exit_statuses
def texts_fetch(sources, package, texts_dir, timeout, max_bytes):
    """Fetch each withheld SOURCE's page (every withheld source with a URL where none is named):
    its URL, else its archived copy; extract the article's text (trafilatura, the extra
    seccoop[fetch]) and find each published span in it by its fingerprint, exact or folded
    (spacing and quote marks). The text is kept in the texts folder as <sha256>.fetched.txt, with
    <sha256>.fetched.json mapping each span to its place there, which `seccoop check` verifies
    through where the curators' copy is absent.

    Reports per source how many spans and characters verified and which spans were not found, or
    why the page could not be fetched. Only http and https, only public addresses, redirects
    re-checked, size and time bounded (docs/safety.md). Exits 0 when every span of every source
    verified, 1 when a span was not found or a page could not be fetched, 2 on a wrong command line
    (no texts folder, one inside the package, the extra not installed).
    """
    import dataclasses

    from seccoop.model import rights
    from seccoop.model.package import NoPackage, Package, find_package
    from seccoop.safety import network, paths
    from seccoop.texts import extract
    from seccoop.texts.fetch import FolderRefused, UnknownSources, fetch_folder, fetch_source, withheld_sources

    try:
        extract.extractor()
        pkg = find_package(package, allow_bundled=False)
        folder = fetch_folder(pkg, texts_dir)
        rows = withheld_sources(pkg, list(sources))
        spans = rights.published_spans_of(pkg, {row["id"] for row in rows})
    except (NoPackage, FolderRefused, UnknownSources, extract.MissingExtra) as exc:
        raise _refused(exc) from None
    except paths.Refused as exc:
        raise click.UsageError(shown(exc.reason)) from None
    except (KeyError, ValueError) as exc:  # UnicodeDecodeError too
        raise click.UsageError(
            f"data/sources.csv or data/spans.csv is not as seccoop publishes it ({shown(str(exc))})"
        ) from None
    if not rows:
        click.echo("no withheld source names a URL or an archived copy: nothing to fetch")
        return
    pkg = Package(pkg.root, folder)
    policy = dataclasses.replace(network.DEFAULT, timeout=timeout, max_bytes=max_bytes)
    failed = 0
    for row in rows:
        result = fetch_source(pkg, row, spans.get(row["id"], []), folder, policy)
        failed += _fetch_report(result, pkg)
    verdict = "every span verified" if not failed else f"{failed} of {len(rows)} source(s) not wholly verified"
    click.echo(f"{len(rows)} source(s) fetched into {shown(str(folder))}: {verdict}")
    sys.exit(EXIT_INVALID if failed else 0)


def _fetch_report(result, pkg) -> int:
    """Print what fetching one source gave; 1 where it is not wholly verified, else 0."""
    from seccoop.model import rights

    name = shown(result.source)
    for attempt in result.attempts:
        where = f"{attempt.place} {shown(attempt.url)}"
        if attempt.failure is None:
            moved = f" (redirected to {shown(result.fetched_url)})" if result.fetched_url != attempt.url else ""
            click.echo(f"{name}: fetched {where}{moved}")
        else:
            verb = "refused" if attempt.refused else "failed"
            click.echo(f"{name}: {verb} {where}: {shown(attempt.failure)}")
    if not result.fetched:
        tried = [a.place for a in result.attempts]
        archive = "its archived copy failed too" if "archived_url" in tried else "no archived copy is known to try"
        told = "no URL or archived copy is known" if not tried else f"the page could not be fetched and {archive}"
        click.echo(f"{name}: not verified: {told}; its spans still verify against any copy (seccoop verify)")
        return 1
    total, missing = len(result.found), result.missing
    covered, fingerprinted = result.coverage()
    share = covered / fingerprinted if fingerprinted else 1.0
    click.echo(
        f"{name}: {total - len(missing)} of {total} span(s) verified, {covered} of {fingerprinted} characters "
        f"({share:.0%}); kept as {shown(pkg.rel(result.stored))}"
    )
    if missing:
        click.echo(f"{name}: not found in the fetched text: {', '.join(shown(m) for m in missing)}")
    if total and share <= rights.SAME_DOCUMENT:
        click.echo(
            f"{name}: the fetched page is a different document, not a copy of {name}: a copy covers more than half "
            "(the page changed, or the URL now serves another article; docs/fetch.md)"
        )
    return 1 if missing else 0
