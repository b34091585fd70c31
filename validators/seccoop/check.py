"""`seccoop check`: the flow in memory, the committed derived files compared with a fresh build,
and Frictionless validation of the package as published."""

from __future__ import annotations

import os
import pickle
import signal
import sys
import threading
import time
from pathlib import Path

from .package import DESCRIPTOR, NoPackage, Package, find_package
from .report import Problem, Report
from .schemas import SchemaBroken


def check(path: str | Path | None = None, strict: bool = False, texts: str | Path | None = None,
          require_texts: bool = False, cache: bool = False) -> Report:
    """Check a package (a folder or its datapackage.json; default: the nearest one, else the bundled
    copy) and return a report of every problem found. `texts` names the folder of withheld texts
    (docs/rights.md); with `require_texts`, a withheld text missing there is an error. With
    `cache` (the command's default), what an earlier check proved about unchanged files is reused
    (docs/cache.md): the answer is the same."""
    try:
        package = find_package(path)
    except NoPackage as exc:
        return Report(str(path or "."), [Problem("usage-no-package", str(exc))], strict)
    package = Package(package.root, Path(texts) if texts else None, require_texts)
    shown = str(package.root if path is None else path)
    problems, unverified = answer(package, cache)
    return Report(shown, problems, strict, unverified)


def answer(package: Package, use_cache: bool) -> tuple[list[Problem], dict[str, int]]:
    """Every problem and the unverified spans by source: from the cache where no input changed
    since the check that stored them (or only curated files whose parse is the same, where no
    problem lies), else from the baseline where only curated records changed (what the edit can
    reach is checked: seccoop.recheck), else from a check of the whole package that parses again
    only the curated files that changed (then stored; a baseline where it finds no error)."""
    from . import cache, recheck, rights

    where = cache.folder(package) if use_cache else None
    if where is None:
        return _cold(package, None)[:2]
    texts = rights.texts_folder(package)[0]
    entry = cache.Entry(where, cache.key(package, "report", package.require_texts, texts))

    def list_inputs():
        return cache.inputs(package, texts)

    started, before = cache.now_ns(), list_inputs()
    parsed = cache.ParsedFiles(where, cache.key(package, "parsed"), before, started)
    try:
        answer = entry.load(package, before, parsed)
        if answer is not None:
            if entry.reparsed:  # the same answer for these files as they are now: stored as such
                entry.save(package, list_inputs, before, started, answer, {**entry.digests, **parsed.digests})
            return [Problem(**p) for p in answer["problems"]], answer["unverified"]
        reached = recheck.within_reach(package, where, texts, before, parsed)
        if reached is not None:  # from the baseline: only what the edit can reach was checked
            problems, unverified, digests = reached
            answer = {"problems": [p.as_dict() for p in problems], "unverified": unverified}
            entry.save(package, list_inputs, before, started, answer, digests)
            return problems, unverified  # the parse store stays the baseline's: it holds every file
        problems, unverified, outcome = _cold(package, where, parsed)
        answer = {"problems": [p.as_dict() for p in problems], "unverified": unverified}
        after = list_inputs()  # once for every entry: at 100k events, 82k files to stat
        entry.save(package, lambda: after, before, started, answer, parsed.digests)
        parsed.save(lambda: after, before, keep=(recheck.baseline_store(where, package, texts),))
        recheck.save_baseline(package, where, texts, lambda: after, before, started, problems, unverified,
                              outcome, parsed)
    finally:
        parsed.discard()
    return problems, unverified


def _cold(package: Package, cache_folder: Path | None, parsed=None):
    """The problems, unverified spans by source and outcome of a check of the whole package."""
    from .accounts import span_id

    problems, outcome = verify(package, cache_folder=cache_folder, parsed=parsed)
    unverified = {source: len({span_id(span) for span in spans})
                  for source, spans in outcome.dataset.unverified.items()} if outcome else {}
    return problems, unverified, outcome


def check_package(package: Package) -> list[Problem]:
    return verify(package)[0]


def verify(package: Package, keep_texts: bool = False, cache_folder: Path | None = None, parsed=None):
    """Every problem of a package, and the outcome of its flow (None if seccoop's own schemas are
    broken): an interrupted build, the flow in memory, freshness of the derived files, and
    Frictionless validation of the files on disk. The last is independent of the others. It runs
    first, in a process of its own that has exited before the flow starts: each holds the whole
    package in memory, so side by side their peaks would add up (3 GiB at 100k events), and a
    process that ends gives all of its memory back. `keep_texts`: keep the sources' texts in
    the outcome's dataset (the review site shows them). With a `cache_folder`, Frictionless's
    answer for unchanged published files is reused (docs/cache.md); with `parsed` (a
    `cache.ParsedFiles`), the parse of unchanged curated files."""
    from .flow import run

    published = published_problems(package, cache_folder)  # its worker has exited before the flow starts
    try:
        outcome = run(package, keep_texts=keep_texts, parsed=parsed)
    except SchemaBroken as exc:
        return [Problem("internal-schema", str(exc))], None
    problems = interrupted_builds(package) + list(outcome.problems)
    if outcome.outputs is not None:
        problems += stale_files(package, outcome.outputs)
    return problems + published, outcome


def published_problems(package: Package, cache_folder: Path | None) -> list[Problem]:
    """`validate_published`, in a process of its own where the package is large enough, waited for."""
    return _in_background(validate_published, package, cache_folder, worth_it=_worth_a_process(package))()


def interrupted_builds(package: Package) -> list[Problem]:
    """A problem for each journal of an unfinished commit where `build` writes. Only reported:
    `build` finishes or discards it (check never writes)."""
    from .write import unfinished_journals

    return [Problem("package-interrupted", "a build was interrupted while renaming its files "
                    "(or this journal was not written by seccoop on this machine)", file=package.rel(journal))
            for folder in (package.root, package.root / "data") for journal in unfinished_journals(folder)]


def stale_files(package: Package, outputs) -> list[Problem]:
    """At most one problem: the derived files on disk that differ from a fresh build (missing,
    unreadable or other bytes), and the CSVs in data/ that build does not write. Said once, with
    the command that fixes it, since one edit of curated data stales many files at once."""
    from . import paths

    behind: dict[str, list[str]] = {"differ": [], "missing": [], "unreadable": []}
    for rel, output in outputs.items():
        try:  # through the gate: a link, FIFO or device in a derived file's place is never read
            digest = paths.digest(package.root / rel, package.root, max(paths.TABLE_LIMIT, output.size))
        except paths.Refused as exc:
            behind["missing" if exc.code == "file-missing" else "unreadable"].append(rel)
            continue
        if digest != (output.size, output.sha256):
            behind["differ"].append(rel)
    data_dir = package.root / "data"
    extra = [package.rel(p) for p in sorted(data_dir.glob("*.csv")) if package.rel(p) not in outputs] \
        if data_dir.is_dir() else []
    return stale_outputs(behind["differ"], behind["missing"], behind["unreadable"], extra)


def stale_outputs(differ: list[str], missing: list[str], unreadable: list[str], extra: list[str]) -> list[Problem]:
    """The one `package-stale` problem for derived files that differ from a fresh build, are
    missing or unreadable, and CSVs in data/ that build does not write (none: no problem)."""
    behind = {"differ": differ, "missing": missing, "unreadable": unreadable}
    rebuilt = sorted([*behind["differ"], *(f"{rel} (missing)" for rel in behind["missing"]),
                      *(f"{rel} (unreadable)" for rel in behind["unreadable"])])
    if not rebuilt and not extra:
        return []
    delete = f"delete {', '.join(extra)}, which `seccoop build` does not write" if extra else ""
    if rebuilt:
        message = (f"the derived files differ from a fresh build of the curated data: run `seccoop build` "
                   f"(it rewrites {', '.join(rebuilt)})" + (f"; {delete}" if extra else ""))
    else:
        message = f"data/ holds a CSV that is not derived: {delete}"
    hint = ("Run `seccoop build`, then commit what it writes together with the curated files: derived files "
            "are never edited by hand, and only `seccoop build` writes data/*.csv.")
    files = sorted([*behind["differ"], *behind["missing"], *behind["unreadable"]]) + extra
    # One file is the problem's place (an editor or GitHub annotation opens it); several are listed.
    return [Problem("package-stale", message, file=files[0] if len(files) == 1 else None, hint=hint)]


def _worth_a_process(package: Package) -> bool:
    """Whether the published files are large enough for Frictionless to pay for a process of its
    own (a small package is validated faster in this one)."""
    total = 0
    try:
        with os.scandir(package.root / "data") as entries:
            for entry in entries:  # sizes of the files themselves: a link is never followed
                if entry.name.endswith(".csv") and entry.is_file(follow_symlinks=False):
                    total += entry.stat(follow_symlinks=False).st_size
    except OSError:
        return False
    return total > 4_000_000


class _Background:
    """The result of a function run in a forked worker process, waited for on demand."""

    _waited = None  # (pid, status) once reaped

    def __init__(self, function, args):
        self._read, write = os.pipe()
        parent = os.getpid()
        self.pid = os.fork()
        if self.pid == 0:  # the worker: never returns
            os.close(self._read)
            _worker(parent, write, function, args)
        os.close(write)

    def __call__(self):
        try:
            with os.fdopen(self._read, "rb") as pipe:
                self._read = None
                data = pipe.read()
            self._waited = os.waitpid(self.pid, 0)
        finally:
            self.cancel()
        _, status = self._waited
        if not data:
            raise RuntimeError(f"the Frictionless worker process died ({_status_text(status)})")
        ok, value = pickle.loads(data)
        if not ok:
            raise value
        return value

    def cancel(self) -> None:
        """Stop the worker if it still runs and reap it: no process outlives its caller."""
        if self._read is not None:
            os.close(self._read)
            self._read = None
        if self._waited is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self._waited = os.waitpid(self.pid, 0)


def _status_text(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"killed by {signal.Signals(os.WTERMSIG(status)).name}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"


def parent_death_signal():
    """A function asking the kernel to SIGKILL this process when its parent dies (Linux's
    `prctl(PR_SET_PDEATHSIG)`), or None where the system has no such call (macOS and the BSDs,
    a C library without prctl, no ctypes): the worker's watchdog thread alone then ends it
    (docs/safety.md, "Processes")."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (ImportError, OSError, AttributeError):
        return None
    PR_SET_PDEATHSIG = 1
    return lambda: prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _worker(parent: int, write: int, function, args) -> None:
    """Run in the forked child: die with the parent, send (ok, value) pickled down the pipe, exit
    without running anything of the parent's (no atexit, no buffered output flushed twice)."""
    status = 1
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C reaches the whole group: just stop
        die_with_parent = parent_death_signal()
        if die_with_parent is not None:
            die_with_parent()
        if os.getppid() != parent:  # the parent died before the kernel was asked to tell us
            os._exit(1)

        def watchdog():  # everywhere, and on Linux as a second line
            while os.getppid() == parent:
                time.sleep(0.2)
            os._exit(1)

        threading.Thread(target=watchdog, daemon=True).start()
        try:
            message = (True, function(*args))
        except Exception as exc:  # returned to the parent, which raises it as its own
            message = (False, exc)
        try:
            data = pickle.dumps(message)
        except Exception as exc:  # an unpicklable value or error
            data = pickle.dumps((False, RuntimeError(f"the Frictionless worker failed: {exc!r}")))
        with os.fdopen(write, "wb") as pipe:
            pipe.write(data)
        status = 0
    finally:
        os._exit(status)


def _in_background(function, *args, worth_it: bool = True):
    """Start `function(*args)` in a forked process; return a callable that waits for its result
    (and has `cancel()`). A process of its own keeps the memory the function used from staying
    with this one (a freed heap is seldom given back). Runs it in this process instead where
    forking is unavailable or the work is too small to pay for a second process (`worth_it`).
    The worker dies with this process, whatever kills it (docs/safety.md, "Processes")."""
    if not worth_it or not hasattr(os, "fork"):
        return _Done(function(*args))
    return _Background(function, args)


class _Done:
    """A result already at hand, with the interface of `_Background`."""

    def __init__(self, value):
        self.value = value

    def __call__(self):
        return self.value

    def cancel(self) -> None:
        pass


def validate_published(package: Package, cache_folder: Path | None = None) -> list[Problem]:
    """Frictionless validation of the package as it is on disk: descriptor, types, constraints,
    primary and foreign keys, bytes and hashes. With a `cache_folder`, the answer for the same
    published files (descriptor and every file it names, unchanged) is reused (docs/cache.md)."""
    if cache_folder is None:
        return _frictionless(package)
    from . import cache

    entry = cache.Entry(cache_folder, cache.key(package, "frictionless"))
    started, before = cache.now_ns(), cache.published_inputs(package)
    answer = entry.load(package, before)
    if answer is not None:
        return [Problem(**p) for p in answer]
    problems = _frictionless(package)
    entry.save(package, lambda: cache.published_inputs(package), before, started, [p.as_dict() for p in problems])
    return problems


def _frictionless(package: Package) -> list[Problem]:
    """Frictionless's report on the package, given only what the reading gate admits: the
    descriptor as a value seccoop read and checked, and a loader that opens every file through
    the gate (seccoop.gated_package; docs/safety.md)."""
    from frictionless import FrictionlessException
    from frictionless import Package as FrictionlessPackage
    from frictionless import system

    from .gated_package import gate_package, gated_loader_plugin

    gated = gate_package(package.root)
    if gated.descriptor is None:
        return gated.problems
    system.register("seccoop_gate", gated_loader_plugin(package.root))
    try:
        with system.use_context(trusted=False):
            try:
                fpackage = FrictionlessPackage(gated.descriptor, basepath=str(package.root))
            except Exception as exc:
                return gated.problems + _refused(exc)
            try:  # as `validate` checks it, once for all resources
                fpackage.to_descriptor(validate=True)
            except FrictionlessException as exc:
                return gated.problems + [Problem("package-frictionless", f"{error.type}: {error.message}",
                                                 file=DESCRIPTOR) for error in exc.to_errors()]
        names = [resource.name for resource in fpackage.resources]
        if len(set(names)) != len(names) or not all(names):
            return gated.problems + _validate_resource(package, fpackage, None)  # Frictionless reports the names
        # One resource at a time, each in a process of its own: Frictionless keeps what it learnt of
        # every resource (its foreign-key lookups) until the package is done, so in one process the
        # peak is the sum of them (1.3 GiB at 100k events), and in one each, the largest (0.7 GiB).
        big = _worth_a_process(package)
        problems: list[Problem] = list(gated.problems)
        for name in names:
            problems += _in_background(_validate_resource, package, fpackage, name, worth_it=big)()
        return problems
    finally:
        system.deregister("seccoop_gate")


def _refused(exc: Exception) -> list[Problem]:
    """Frictionless raises its own errors for descriptors it rejects: said as the descriptor's."""
    from frictionless import FrictionlessException

    if not isinstance(exc, FrictionlessException):
        raise exc
    reasons = "; ".join(r.message for r in getattr(exc, "reasons", ()) or ())
    return [Problem("package-descriptor", reasons or exc.error.message, file=DESCRIPTOR)]


def _validate_resource(package: Package, fpackage, name: str | None) -> list[Problem]:
    """Frictionless's report on one resource of the package (`name`), or on all of them (None)."""
    from frictionless import system

    with system.use_context(trusted=False):
        try:
            # the package's own descriptor was validated once, before the first resource
            result = fpackage.validate() if name is None else fpackage.get_resource(name).validate()
        except Exception as exc:
            return _refused(exc)
    problems = [Problem("package-frictionless", f"{error.type}: {error.message}", file=DESCRIPTOR)
                for error in result.errors]
    for task in result.tasks:
        for error in task.errors:
            row = getattr(error, "row_number", None)
            problems.append(Problem("package-frictionless", f"{error.type}: {error.message}",
                                    file=task.place if not task.place.startswith("/") else package.rel(Path(task.place)),
                                    line=row))
    return problems
