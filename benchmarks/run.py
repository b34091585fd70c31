"""Scale benchmarks: seccoop check, build and export next to their floors, at 1k to 100k events.

For each size the runner generates a synthetic package (benchmarks/generate.py; cached under
benchmarks/out/, which git ignores), runs `seccoop build` once, then times these commands side by
side, interleaved round by round so that noise on a shared machine falls on all of them alike:

    seccoop check PKG
    seccoop build PKG                          (on the already-built package: nothing to write)
    seccoop export PKG --format csv|json|jsonl|sqlite [html]  --out ...
    frictionless validate --type package PKG/datapackage.json        (floor 1)
    python benchmarks/yaml_floor.py PKG        (floor 2: PyYAML's C loader over every curated file)

Each command runs in its own process (in a session of its own); wall time is measured around it,
and its memory is taken for the whole process tree: a thread sums the resident memory (RSS) of the
command and of every process in its session or below it (the forked Frictionless worker of
`seccoop check` included) every 50 ms, from /proc, and keeps the peak of that sum. ru_maxrss and
CPU time come from os.wait4 (CPU time of the child and its waited-for children; ru_maxrss of the
largest single process, not the sum). Results go
to benchmarks/out/results/ and, as markdown tables, into benchmarks/README.md between the
`<!-- results:start -->` and `<!-- results:end -->` markers (and to standard output).

    python benchmarks/run.py                                  # 1k, 10k, 100k; 3 runs each
    python benchmarks/run.py --sizes 1k,10k --repeats 5
    python benchmarks/run.py --sizes 100k --repeats-at 100k=1 # one run at 100k; merged with stored sizes
    python benchmarks/run.py --sizes 100k --repeats 1 --extra-runs 100k:check,frictionless,yaml=2
    python benchmarks/run.py --only check,frictionless,yaml   # a subset of commands
    python benchmarks/run.py --report-only                    # re-tabulate stored results, run nothing

Run it with the Python of the environment seccoop is installed in: `seccoop` and `frictionless`
are taken from beside that interpreter (else from PATH).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import importlib.util
import itertools
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
import generate  # noqa: E402  (benchmarks/generate.py)

START, END = "<!-- results:start -->", "<!-- results:end -->"
TARGET_EXPORT = 1.3  # issue 14: every export within 1.3x the time of a cold check
TARGET_HTML = 1024**3  # issue 14: the html export under 1 GiB (whole process tree)
GIB = 1024**3
# The targets of issue 12 (issue 6's, with memory counted for the whole process tree), at the
# largest size.
TARGET_RATIO = 1.5  # seccoop check within 1.5x the sum of the two floors
TARGET_TREE = 1.5 * GIB  # peak memory of seccoop check's whole process tree at most 1.5 GiB
TARGET_GROWTH = 12  # time(100k) / time(10k) at most 12 (10x the data)
SAMPLE_EVERY = 0.05  # seconds between two samples of the process tree's memory


def tool(name: str) -> str:
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else (shutil.which(name) or name)


@dataclass
class Command:
    key: str  # short name for --only
    label: str  # as shown in the tables
    argv: list[str]
    output: Path | None = None  # removed before each run, so every export writes afresh
    floor: bool = False
    before: list[str] | None = None  # run (untimed) before each timed run


def commands(pkg: Path, work: Path) -> list[Command]:
    seccoop = tool("seccoop")
    exp = work / "export"
    # Cold: the check cache (docs/cache.md) would answer a repeated run at once; benchmarks/recheck.py
    # measures it. Exports start with the same check, cold too, except `html-warm`: the review site
    # as a curator makes it, after a `seccoop check` (its answer then comes from the cache).
    out = [
        Command("check", "seccoop check", [seccoop, "check", str(pkg), "--no-cache"]),
        Command("build", "seccoop build (up to date)", [seccoop, "build", str(pkg)]),
    ]
    for fmt, target in (
        ("csv", "csv"),
        ("json", "seccoop.json"),
        ("jsonl", "seccoop.jsonl"),
        ("sqlite", "seccoop.sqlite"),
        ("parquet", "parquet"),
        ("zip", "seccoop.zip"),
        ("html", "html"),
    ):
        out.append(
            Command(
                fmt,
                f"seccoop export --format {fmt}",
                [seccoop, "export", str(pkg), "--format", fmt, "--out", str(exp / target), "--no-cache"],
                exp / target,
            )
        )
    out.append(
        Command(
            "html-warm",
            "seccoop export --format html, after a check (cache)",
            [seccoop, "export", str(pkg), "--format", "html", "--out", str(exp / "html-warm")],
            exp / "html-warm",
            before=[seccoop, "check", str(pkg)],
        )
    )
    out.append(
        Command(
            "frictionless",
            "frictionless validate --type package",
            [tool("frictionless"), "validate", "--type", "package", str(pkg / "datapackage.json")],
            floor=True,
        )
    )
    out.append(
        Command(
            "yaml",
            "PyYAML CSafeLoader parse (floor)",
            [sys.executable, str(HERE / "yaml_floor.py"), str(pkg)],
            floor=True,
        )
    )
    return out


# -- measuring one process tree --------------------------------------------------------------

PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _proc_stat(pid: str) -> tuple[int, int, int] | None:
    """(parent pid, session id, resident bytes) of a live process, from /proc/PID/stat."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:  # gone since the listing
        return None
    fields = data[data.rfind(b")") + 2 :].split()  # after the command name, which may hold spaces
    return int(fields[1]), int(fields[3]), int(fields[21]) * PAGE


class TreeMemory(threading.Thread):
    """Samples, every `every` seconds, the summed RSS of a process and its whole tree: every
    process of its session (it is started as a session leader, so its pid is the session id;
    that keeps a child whose parent died) and every descendant by parent pid (in case one
    started a session of its own). `peak` is the largest sum seen, in bytes. A process that
    lives less than one interval may be missed; RSS counts pages a forked child still shares
    with its parent in both, so the sum is an upper bound of what the machine holds."""

    def __init__(self, root: int, every: float = SAMPLE_EVERY):
        super().__init__(daemon=True)
        self.root, self.every = root, every
        self.done = threading.Event()
        self.peak = 0
        self.samples = 0
        self.most_processes = 0

    def sample(self) -> None:
        procs = {}
        for name in os.listdir("/proc"):
            if name.isdigit():
                st = _proc_stat(name)
                if st is not None:
                    procs[int(name)] = st
        members = {pid for pid, (_, sid, _) in procs.items() if sid == self.root}
        if self.root in procs:
            members.add(self.root)
        children: dict[int, list[int]] = {}
        for pid, (ppid, _, _) in procs.items():
            children.setdefault(ppid, []).append(pid)
        todo = list(members)
        while todo:
            for child in children.get(todo.pop(), ()):
                if child not in members:
                    members.add(child)
                    todo.append(child)
        total = sum(procs[pid][2] for pid in members)
        self.samples += 1
        self.most_processes = max(self.most_processes, len(members))
        self.peak = max(self.peak, total)

    def run(self) -> None:
        while True:
            self.sample()
            if self.done.wait(self.every):
                return


def measure(argv: list[str], log: Path, timeout: float | None) -> dict:
    """Run a command; its wall time, CPU time, peak memory (the whole tree's sampled RSS sum, and
    ru_maxrss) and exit code (-9 when it timed out)."""
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"}
    tree_ok = Path("/proc/self/stat").exists()
    with open(log, "wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=REPO, start_new_session=True)
        sampler = TreeMemory(proc.pid) if tree_ok else None
        if sampler:
            sampler.start()
        kill = lambda: os.killpg(proc.pid, signal.SIGKILL)  # noqa: E731  (the whole tree)
        timer = threading.Timer(timeout, kill) if timeout else None
        if timer:
            timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:  # Ctrl-C: the command is in a session of its own, so stop it here
            with contextlib.suppress(ProcessLookupError):
                kill()
            raise
        finally:
            if timer:
                timer.cancel()
        wall = time.perf_counter() - start
        if sampler:
            sampler.done.set()
            sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    run = {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_kib": usage.ru_maxrss, "exit": proc.returncode}
    if sampler:
        # never below the largest single process, which a sample between two peaks may miss
        run["tree_kib"] = max(sampler.peak // 1024, usage.ru_maxrss)
        run["tree_samples"] = sampler.samples
        run["tree_processes"] = sampler.most_processes
    return run


def log_tail(log: Path, lines: int = 15) -> str:
    try:
        return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# -- the package of one size -----------------------------------------------------------------


def fingerprint() -> str:
    """What a cached package depends on: the generator, the schemas and package.yaml."""
    h = hashlib.sha256()
    paths = [HERE / "generate.py", REPO / "data" / "curated" / "package.yaml", *sorted((REPO / "schema").rglob("*"))]
    for p in paths:
        if p.is_file():
            h.update(p.relative_to(REPO).as_posix().encode() + b"\0" + p.read_bytes())
    return h.hexdigest()[:16]


def prepare(events: int, seed: int, out: Path, timeout: float | None) -> tuple[Path, dict]:
    """The generated and built package of a size (generated again when the generator changed)."""
    work = out / f"events-{events}-seed-{seed}"
    pkg, meta_path = work / "pkg", work / "meta.json"
    fp = fingerprint()
    meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
    if meta.get("fingerprint") != fp or not pkg.is_dir():
        print(f"[{events}] generating {pkg} ...", flush=True)
        start = time.perf_counter()
        counts = generate.generate(pkg, events, seed, force=True)
        meta = {
            "fingerprint": fp,
            "events": events,
            "seed": seed,
            "counts": counts,
            "generate_s": round(time.perf_counter() - start, 2),
        }
        meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    else:
        print(f"[{events}] using cached {pkg}", flush=True)
    for name in ("README.md", "LICENSE", "CITATION.cff", "CHANGELOG.md"):  # a release is made from a checkout
        shutil.copyfile(REPO / name, pkg / name)
    print(f"[{events}] seccoop build (once, before timing) ...", flush=True)
    work.joinpath("logs").mkdir(exist_ok=True)
    log = work / "logs" / "initial-build.log"
    first = measure([tool("seccoop"), "build", str(pkg)], log, timeout)
    if first["exit"] != 0:
        sys.exit(f"seccoop build failed on the generated package ({log}):\n{log_tail(log)}")
    meta["initial_build"] = first
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    print(f"[{events}] built in {first['wall']:.1f} s, peak {tree_kib(first) / 1024:.0f} MiB (whole tree)", flush=True)
    return pkg, meta


def html_available() -> bool:
    try:
        return importlib.util.find_spec("seccoop.exports.review") is not None
    except ImportError:
        return False


def bench_size(
    events: int,
    seed: int,
    repeats: int,
    only: set[str] | None,
    out: Path,
    timeout: float | None,
    html_budget: float,
    html_state: dict,
    extra: tuple[set[str], int] = (set(), 0),
) -> dict:
    pkg, meta = prepare(events, seed, out, timeout)
    work = pkg.parent
    cmds = [c for c in commands(pkg, work) if only is None or c.key in only]
    results = {c.key: {"label": c.label, "floor": c.floor, "runs": [], "note": None} for c in cmds}
    stopped: set[str] = set()  # skipped, failed or too slow: not run again at this size
    if "html" in results:
        if not html_available():
            results["html"]["note"] = (
                "skipped: `seccoop export --format html` needs seccoop.exports.review, absent in this checkout"
            )
            stopped.add("html")
        elif html_state.get("too_slow"):
            results["html"]["note"] = f"skipped: {html_state['too_slow']}"
            stopped.add("html")
    extra_keys, extra_rounds = extra
    total = repeats + extra_rounds
    for round_no in range(1, total + 1):
        for c in cmds:
            res = results[c.key]
            if c.key in stopped or (round_no > repeats and c.key not in extra_keys):
                continue
            if c.output is not None:
                if c.output.is_dir():
                    shutil.rmtree(c.output)
                elif c.output.exists():
                    c.output.unlink()
            log = work / "logs" / f"{c.key}-{round_no}.log"
            if c.before is not None:
                measure(c.before, log.with_name(f"{c.key}-{round_no}-before.log"), timeout)
            run = measure(c.argv, log, timeout)
            res["runs"].append(run)
            status = "ok" if run["exit"] == 0 else f"FAILED (exit {run['exit']})"
            print(
                f"[{events}] round {round_no}/{total} {c.label:40s} {run['wall']:8.2f} s "
                f"{tree_kib(run) / 1024:7.0f} MiB tree {run['rss_kib'] / 1024:7.0f} MiB max-rss  {status}",
                flush=True,
            )
            if run["exit"] != 0:
                res["note"] = f"failed (exit {run['exit']}): {log_tail(log, 3)}"
                stopped.add(c.key)
                print(log_tail(log), flush=True)
            if c.key == "build" and run["exit"] == 0 and "up to date" not in log.read_text(errors="replace"):
                res["note"] = "wrote files: the package was not up to date"
            if c.key == "html" and run["exit"] == 0 and round_no == 1:
                check = results.get("check", {}).get("runs")
                budget = max(html_budget, 5 * check[0]["wall"]) if check else html_budget
                if run["wall"] > budget:
                    html_state["too_slow"] = (
                        f"took {run['wall']:.0f} s at {events} events "
                        f"(over the budget of {budget:.0f} s); not run at larger sizes"
                    )
                    res["note"] = html_state["too_slow"]
                    stopped.add("html")
    return {
        "events": events,
        "seed": seed,
        "date": dt.date.today().isoformat(),
        "commit": commit(),
        "repeats": repeats if not extra_rounds else f"{repeats} (+{extra_rounds} for {', '.join(sorted(extra_keys))})",
        "package": meta,
        "commands": results,
    }


# -- machine and report ----------------------------------------------------------------------


def machine() -> dict:
    info = {"cores": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}
    try:
        info["nproc"] = int(subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip())
    except (OSError, ValueError):
        info["nproc"] = os.cpu_count()
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                info["mem_gib"] = round(int(line.split()[1]) / 1024**2, 1)
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from importlib.metadata import PackageNotFoundError, version

    versions = {}
    for dist, name in (("PyYAML", "yaml"), ("jsonschema", "jsonschema"), ("frictionless", "frictionless")):
        try:
            versions[name] = version(dist)
        except PackageNotFoundError:
            versions[name] = "?"
    try:
        import yaml

        versions["libyaml"] = bool(getattr(yaml, "__with_libyaml__", False))
    except ImportError:
        pass
    info["versions"] = versions
    info["commit"] = commit()
    return info


CODE_LABEL: str | None = None  # --code-label: what seccoop code was measured, when not the checkout


def commit() -> str:
    """The checkout's commit (read-only git), marked when validators/ or schema/ have local changes."""
    if CODE_LABEL:
        return CODE_LABEL
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, timeout=30
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "validators", "schema"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=30,
        ).stdout.strip()
    except OSError:
        return "?"
    return (head or "?") + (" (with local changes)" if dirty else "")


def tree_kib(run: dict) -> int:
    """A run's whole-tree peak; results stored before it was measured have only ru_maxrss."""
    return run.get("tree_kib", run["rss_kib"])


def tree_peak(runs: list[dict]) -> int | None:
    """The largest whole-tree peak of the successful runs, None when none measured it."""
    ok = [r["tree_kib"] for r in runs if r["exit"] == 0 and "tree_kib" in r]
    return max(ok) if ok else None


def median(runs: list[dict], key: str) -> float | None:
    ok = [r[key] for r in runs if r["exit"] == 0]
    return statistics.median(ok) if ok else None


def size_label(n: int) -> str:
    return f"{n // 1000}k" if n % 1000 == 0 and n >= 1000 else str(n)


def fmt_s(x: float | None) -> str:
    if x is None:
        return "–"
    return f"{x:.2f}" if x < 10 else f"{x:.1f}" if x < 100 else f"{x:.0f}"


def fmt_mib(kib: float | None) -> str:
    return "–" if kib is None else f"{kib / 1024:.0f}"


def targets(by_size: dict[int, dict]) -> list[tuple[str, str, str]]:
    """(target, measured, verdict) at the largest size, and growth from the size 10x smaller."""
    if not by_size:
        return []
    big = max(by_size)
    res = by_size[big]["commands"]
    rows = []

    def med(size, key, what="wall"):
        c = by_size.get(size, {}).get("commands", {}).get(key)
        return median(c["runs"], what) if c else None

    check, fr, ya = med(big, "check"), med(big, "frictionless"), med(big, "yaml")
    label = size_label(big)
    if check and fr and ya:
        ratio = check / (fr + ya)
        rows.append(
            (
                f"`seccoop check` at {label} within {TARGET_RATIO}x the floors (frictionless + YAML parse)",
                f"{fmt_s(check)} s vs {fmt_s(fr)} + {fmt_s(ya)} = {fmt_s(fr + ya)} s: **{ratio:.2f}x**",
                "met" if ratio <= TARGET_RATIO else "**missed**",
            )
        )
    if "check" in res and res["check"]["runs"]:
        peak = tree_peak(res["check"]["runs"])
        one = max(r["rss_kib"] for r in res["check"]["runs"]) * 1024
        if peak is None:
            rows.append(
                (
                    f"peak memory of `seccoop check`'s whole process tree at {label} at most "
                    f"{TARGET_TREE / GIB:.1f} GiB",
                    f"not measured (these runs have only ru_maxrss: {one / GIB:.2f} GiB, the largest single process)",
                    "–",
                )
            )
        else:
            rows.append(
                (
                    f"peak memory of `seccoop check`'s whole process tree at {label} at most "
                    f"{TARGET_TREE / GIB:.1f} GiB (the Frictionless worker included)",
                    f"**{peak * 1024 / GIB:.2f} GiB** (largest single process {one / GIB:.2f} GiB)",
                    "met" if peak * 1024 <= TARGET_TREE else "**missed**",
                )
            )
        peaks = [(tree_peak(c["runs"]), c["label"]) for c in res.values() if c["runs"] and not c["floor"]]
        peaks = [(kib, name) for kib, name in peaks if kib is not None]
        if peaks:
            worst = max(peaks)
            rows.append(
                (
                    f"for information: the largest whole-tree peak of any seccoop command at {label}",
                    f"{worst[1]}, {worst[0] * 1024 / GIB:.2f} GiB",
                    "within 1.5 GiB" if worst[0] * 1024 <= TARGET_TREE else "over 1.5 GiB",
                )
            )
    # Issue 14: every export within 1.3x a cold check's time, and the html export under 1 GiB.
    for key in ("csv", "json", "jsonl", "sqlite", "parquet", "zip", "html", "html-warm"):
        c = res.get(key)
        if not c or not c["runs"] or not check:
            continue
        t, peak = median(c["runs"], "wall"), tree_peak(c["runs"])
        verdict = "met" if t <= TARGET_EXPORT * check else "**missed**"
        measured = f"{fmt_s(t)} s, **{t / check:.2f}x** the check"
        if key.startswith("html") and peak is not None:
            measured += f"; peak **{peak * 1024 / GIB:.2f} GiB**"
            verdict = "met" if verdict == "met" and peak * 1024 < TARGET_HTML else "**missed**"
        rows.append(
            (
                f"`seccoop export --format {key.split('-')[0]}`{' after a check' if key == 'html-warm' else ''} "
                f"at {label} within {TARGET_EXPORT}x a cold check"
                + (" and under 1 GiB" if key.startswith("html") else ""),
                measured,
                verdict,
            )
        )
    small = big // 10
    if small in by_size and check and med(small, "check"):
        growth = check / med(small, "check")
        rows.append(
            (
                f"growth of `seccoop check`, time({label}) / time({size_label(small)}) <= {TARGET_GROWTH}",
                f"**{growth:.1f}x**",
                "met" if growth <= TARGET_GROWTH else "**missed**",
            )
        )
    return rows


def report(by_size: dict[int, dict], info: dict) -> str:
    sizes = sorted(by_size)
    keys, labels = _commands(by_size, sizes)
    lines = _measured_on(by_size, sizes, info)
    lines += _packages_table(by_size, sizes)
    wall, notes = _wall_table(by_size, sizes, keys, labels)
    lines += wall
    lines += _memory_table(by_size, sizes, keys, labels)
    lines += _spread_table(by_size, sizes, keys, labels)
    lines += _floor_ratio_table(by_size, sizes)
    rows = targets(by_size)
    if rows:
        lines += ["", "**Targets**", "", "| target | measured | verdict |", "| --- | --- | --- |"]
        lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    if notes:
        lines += ["", "Notes:", ""] + [f"- {n}" for n in dict.fromkeys(notes)]
    return "\n".join(lines) + "\n"


def _commands(by_size: dict[int, dict], sizes: list[int]) -> tuple[list[str], dict[str, str]]:
    """The commands measured at any size, in the order they were first run, and their labels."""
    keys = list(by_size[sizes[0]]["commands"])
    for s in sizes[1:]:
        keys += [k for k in by_size[s]["commands"] if k not in keys]
    labels: dict[str, str] = {}
    for s in sizes:
        for k, c in by_size[s]["commands"].items():
            labels.setdefault(k, c["label"])
    return keys, labels


def _measured_on(by_size: dict[int, dict], sizes: list[int], info: dict) -> list[str]:
    """When, at which commit and on what machine and versions the results were measured."""
    v = info.get("versions", {})
    commits = ", ".join(sorted({by_size[s].get("commit", "?") for s in sizes}))
    return [
        f"Measured with `benchmarks/run.py` on {', '.join(sorted({by_size[s]['date'] for s in sizes}))}, "
        f"seccoop at commit {commits}. "
        f"Machine: {info.get('nproc')} cores (nproc), {info.get('mem_gib')} GiB memory (MemTotal), "
        f"{info.get('cpu', 'unknown CPU')}; shared and noisy. Python {info.get('python')}, "
        f"PyYAML {v.get('yaml')} (libyaml: {v.get('libyaml')}), jsonschema {v.get('jsonschema')}, "
        f"frictionless {v.get('frictionless')}.",
        "",
    ]


def _packages_table(by_size: dict[int, dict], sizes: list[int]) -> list[str]:
    """The generated packages: their records, accounts, sizes, and the time to generate and build them."""
    lines = [
        "**Packages** (synthetic, `benchmarks/generate.py`, seed "
        f"{by_size[sizes[0]]['seed']}; one curated file per source and kind)",
        "",
        "| events | sources | actors | relations | commitments | accounts | records with 2-4 accounts | resolutions "
        "| evidence spans | curated YAML | curated files | seeds | generate | first `seccoop build` |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for s in sizes:
        m = by_size[s]["package"]
        c = m["counts"]
        ib = m.get("initial_build", {})
        kinds = ("actors", "relations", "events", "commitments")
        if "event_accounts" in c:  # generated with accounts (docs/accounts.md)
            accounts = f"{sum(c[f'{k[:-1]}_accounts'] for k in kinds):,}"
            multi = sum(c[f"multi_source_{k}"] for k in kinds)
            multi = f"{multi:,} ({multi / sum(c[k] for k in kinds):.0%})"
            resolutions = f"{c['resolutions']:,}"
        else:
            accounts, multi, resolutions = "–", "–", "–"
        lines.append(
            f"| {s:,} | {c['sources']:,} | {c['actors']:,} | {c['relations']:,} | {c['commitments']:,} | "
            f"{accounts} | {multi} | {resolutions} | "
            f"{c['evidence_spans']:,} | {c['curated_bytes'] / 2**20:.1f} MiB | {c['files'] + 6:,} | "
            f"{c['seed_bytes'] / 2**20:.1f} MiB | {m.get('generate_s', 0):.1f} s | "
            f"{fmt_s(ib.get('wall'))} s, {fmt_mib(tree_kib(ib) if ib else None)} MiB |"
        )
    return lines


def _wall_table(
    by_size: dict[int, dict], sizes: list[int], keys: list[str], labels: dict[str, str]
) -> tuple[list[str], list[str]]:
    """Median wall time per command and size, and its growth from one size to the next; the notes
    of the commands that were skipped."""
    runs = ", ".join(f"{size_label(s)}: {by_size[s]['repeats']}" for s in sizes)
    lines = [
        "",
        f"**Wall time**, median of the runs (runs per size: {runs}), seconds",
        "",
        "| "
        + " | ".join(
            [
                "command",
                *(size_label(s) for s in sizes),
                *(f"{size_label(b)}/{size_label(a)}" for a, b in itertools.pairwise(sizes)),
            ]
        )
        + " |",
        "| --- | " + " | ".join("---:" for _ in range(2 * len(sizes) - 1)) + " |",
    ]
    notes = []
    for k in keys:
        row, meds = [], []
        for s in sizes:
            c = by_size[s]["commands"].get(k)
            m = median(c["runs"], "wall") if c else None
            meds.append(m)
            row.append(fmt_s(m) if m is not None else ("skipped" if c and c["note"] else "–"))
            if c and c["note"]:
                notes.append(f"{labels[k]} at {size_label(s)}: {c['note']}")
        growth = [f"{b / a:.1f}x" if a and b else "–" for a, b in itertools.pairwise(meds)]
        lines.append("| " + " | ".join([labels[k], *row, *growth]) + " |")
    return lines, notes


def _memory_table(by_size: dict[int, dict], sizes: list[int], keys: list[str], labels: dict[str, str]) -> list[str]:
    """Peak memory (whole tree and single process) and CPU time per command and size."""
    lines = [
        "",
        "**Peak memory**, largest of the runs, MiB: the **whole process tree** (the summed RSS of the "
        f"command and every process it starts, sampled every {SAMPLE_EVERY * 1000:.0f} ms) and, after it, "
        "the largest single process (ru_maxrss); and **CPU time** (user + system of the command and its "
        "children, median, s)",
        "",
        "| command | "
        + " | ".join(f"{size_label(s)} tree" for s in sizes)
        + " | "
        + " | ".join(f"{size_label(s)} one" for s in sizes)
        + " | "
        + " | ".join(f"{size_label(s)} CPU" for s in sizes)
        + " |",
        "| --- | " + " | ".join("---:" for _ in sizes * 3) + " |",
    ]
    for k in keys:
        tree, mem, cpu = [], [], []
        for s in sizes:
            c = by_size[s]["commands"].get(k)
            ok = [r for r in (c["runs"] if c else []) if r["exit"] == 0]
            tree.append(fmt_mib(tree_peak(ok)))
            mem.append(fmt_mib(max(r["rss_kib"] for r in ok)) if ok else "–")
            cpu.append(fmt_s(median(ok, "cpu")) if ok else "–")
        lines.append(f"| {labels[k]} | " + " | ".join(tree) + " | " + " | ".join(mem) + " | " + " | ".join(cpu) + " |")
    return lines


def _spread_table(by_size: dict[int, dict], sizes: list[int], keys: list[str], labels: dict[str, str]) -> list[str]:
    """The fastest and slowest successful run per command and size."""
    lines = [
        "",
        "**Spread** (min – max wall time of the runs, s)",
        "",
        "| command | " + " | ".join(size_label(s) for s in sizes) + " |",
        "| --- | " + " | ".join("---:" for _ in sizes) + " |",
    ]
    for k in keys:
        cells = []
        for s in sizes:
            c = by_size[s]["commands"].get(k)
            ok = [r["wall"] for r in (c["runs"] if c else []) if r["exit"] == 0]
            cells.append(f"{fmt_s(min(ok))} – {fmt_s(max(ok))}" if ok else "–")
        lines.append(f"| {labels[k]} | " + " | ".join(cells) + " |")
    return lines


def _floor_ratio_table(by_size: dict[int, dict], sizes: list[int]) -> list[str]:
    """`seccoop check` against the floors (frictionless validate + YAML parse) per size."""
    lines = [
        "",
        "**Ratio of `seccoop check` to the sum of the floors** (frictionless validate + YAML parse)",
        "",
        "| " + " | ".join(size_label(s) for s in sizes) + " |",
        "| " + " | ".join("---:" for _ in sizes) + " |",
    ]
    cells = []
    for s in sizes:
        c = by_size[s]["commands"]
        parts = [median(c[k]["runs"], "wall") if k in c else None for k in ("check", "frictionless", "yaml")]
        cells.append(f"{parts[0] / (parts[1] + parts[2]):.2f}x" if all(parts) else "–")
    lines.append("| " + " | ".join(cells) + " |")
    return lines


def write_readme(table: str, readme: Path) -> None:
    text = readme.read_text(encoding="utf-8") if readme.exists() else "# Scale benchmarks\n"
    block = f"{START}\n{table}{END}"
    if START in text and END in text:
        before, rest = text.split(START, 1)
        after = rest.split(END, 1)[1]
        text = before + block + after
    else:
        text = text.rstrip("\n") + "\n\n## Results\n\n" + block + "\n"
    readme.write_text(text, encoding="utf-8")


def parse_repeats_at(items: list[str]) -> dict[int, int]:
    out = {}
    for item in items:
        size, _, n = item.partition("=")
        out[generate.parse_size(size)] = int(n)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1k,10k,100k", help="event counts, comma-separated (default 1k,10k,100k)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each command per size (default 3)")
    parser.add_argument(
        "--repeats-at", action="append", default=[], metavar="SIZE=N", help="runs at one size, e.g. 100k=1 (repeatable)"
    )
    parser.add_argument(
        "--extra-runs",
        action="append",
        default=[],
        metavar="SIZE:KEYS=N",
        help="after the rounds, N more rounds of some commands only, e.g. 100k:check,frictionless,yaml=2 (repeatable)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--code-label",
        default=None,
        help="say which seccoop code was measured (e.g. when PYTHONPATH points at a snapshot)",
    )
    parser.add_argument(
        "--only",
        default=None,
        help="commands to time, comma-separated: check,build,csv,json,jsonl,sqlite,parquet,zip,html,html-warm,"
        "frictionless,yaml",
    )
    parser.add_argument(
        "--out", type=Path, default=HERE / "out", help="cache and results folder (default benchmarks/out)"
    )
    parser.add_argument("--timeout", type=float, default=3600, help="seconds one command may take (default 3600)")
    parser.add_argument(
        "--html-budget",
        type=float,
        default=600,
        help="html export slower than this (or 5x check) at a size is not run at larger sizes",
    )
    parser.add_argument(
        "--no-merge",
        action="store_true",
        help="tabulate only this run's sizes (default: also stored results of other sizes)",
    )
    parser.add_argument("--no-readme", action="store_true", help="print the tables; leave README.md alone")
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="run nothing: tabulate the stored results of --sizes (and write README.md)",
    )
    args = parser.parse_args(argv)
    global CODE_LABEL
    CODE_LABEL = args.code_label
    sizes = sorted({generate.parse_size(s) for s in args.sizes.split(",") if s.strip()})
    repeats_at = parse_repeats_at(args.repeats_at)
    extra_runs = {}
    for item in args.extra_runs:
        size, _, rest = item.partition(":")
        keys, _, n = rest.partition("=")
        extra_runs[generate.parse_size(size)] = ({k.strip() for k in keys.split(",")}, int(n))
    only = {s.strip() for s in args.only.split(",")} if args.only else None
    args.out.mkdir(parents=True, exist_ok=True)
    # The check cache of the runs (html-warm) in a folder of the runner's, not the user's.
    os.environ["SECCOOP_CACHE_DIR"] = str((args.out / "cache").absolute())
    results_dir = args.out / "results"
    results_dir.mkdir(exist_ok=True)
    info = machine()
    print(f"machine: {info.get('nproc')} cores, {info.get('mem_gib')} GiB, {info.get('cpu', '?')}", flush=True)
    html_state: dict = {}
    by_size: dict[int, dict] = {}
    for events in [] if args.report_only else sizes:
        result = bench_size(
            events,
            args.seed,
            repeats_at.get(events, args.repeats),
            only,
            args.out,
            args.timeout,
            args.html_budget,
            html_state,
            extra_runs.get(events, (set(), 0)),
        )
        result["machine"] = info
        (results_dir / f"events-{events}-seed-{args.seed}.json").write_text(json.dumps(result, indent=2) + "\n")
        by_size[events] = result
    for path in results_dir.glob(f"events-*-seed-{args.seed}.json"):
        stored = json.loads(path.read_text())
        if not args.no_merge or (args.report_only and stored["events"] in sizes):
            by_size.setdefault(stored["events"], stored)
    if not by_size:
        sys.exit(f"no results stored in {results_dir}")
    table = report(by_size, next(iter(by_size.values())).get("machine", info) if args.report_only else info)
    print()
    print(table)
    if not args.no_readme:
        write_readme(table, HERE / "README.md")
        print(f"results written to {HERE / 'README.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
