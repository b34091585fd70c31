"""The curator's loop at scale (issue 28): a re-check after each kind of edit a curator makes,
drawn at random, with the median and the 90th percentile of each, then the worst case, the
first check after a build, a pull request's check from a baseline, and one cold check compared
with the incremental answer.

    python benchmarks/recheck.py PACKAGE [--files 50] [--records 20] [--seed 0]

The package is a built benchmark package (`benchmarks/generate.py`, then `seccoop build`). The
check cache (docs/cache.md) lives in a folder of this run's own. Every edited file is given back
its bytes after its check, so each edit is measured from the same baseline:

- **a random field** of a random record in each of `--files` random curated files: a summary
  reworded, a reference pointed at another actor the file names, a code changed to another of
  the same field, a date moved a day, a quote cut by a word (an error: the words no longer end
  where the source's do), each saved three ways: written in place; saved as editors save (a new
  file renamed over the old); written in place with an editor's swap file made and removed
  beside it;
- `--records` records added (a random record again under a new id), removed, and resolutions
  edited (a resolution's reason reworded);
- the worst case: the country of the actor most records name changed;
- the first check after `seccoop build` (which leaves the baseline);
- a pull request's check: `seccoop check --save-baseline DIR` on the package, then a fresh copy
  of it (new inodes and times, as a CI checkout) with one file edited, checked with `CI=true
  seccoop check --baseline DIR`;
- one cold check (`--no-cache`) of an edited package, compared with the incremental answer.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

KINDS = ("actors", "relations", "events", "commitments")


def seccoop() -> str:
    beside = Path(sys.executable).with_name("seccoop")
    return str(beside) if beside.exists() else "seccoop"


def run(argv: list[str], env: dict) -> tuple[float, str]:
    """Seconds a command took, and what it printed (stdout)."""
    start = time.perf_counter()
    result = subprocess.run(argv, env=env, capture_output=True, text=True)
    took = time.perf_counter() - start
    if result.returncode not in (0, 1):
        sys.exit(f"{' '.join(argv)} failed ({result.returncode}):\n{result.stderr[-2000:]}")
    return took, result.stdout


def records_of(text: str) -> list[tuple[int, int]]:
    """(start, end) of each record of a curated file's text."""
    starts = [m.start() for m in re.finditer(r"^- id: ", text, re.M)]
    return list(zip(starts, starts[1:] + [len(text)], strict=True))


def field_edits(text: str, rng: random.Random) -> list[tuple[str, str]]:
    """(kind of edit, edited text) for each kind the file's random record allows."""
    spans = records_of(text)
    if not spans:
        return []
    start, end = rng.choice(spans)
    record = text[start:end]
    edits = []

    def edited(kind: str, pattern: str, replace) -> None:
        found = list(re.finditer(pattern, record, re.M))
        if found:
            m = rng.choice(found)
            edits.append((kind, text[:start] + record[: m.start()] + replace(m) + record[m.end() :] + text[end:]))

    edited("summary", r"^  summary: ", lambda m: "  summary: As reported, ")
    actors = sorted(set(re.findall(r"actor: ([a-z0-9-]+)", text)))
    if len(actors) > 1:
        edited("reference", r"(?<=actor: )[a-z0-9-]+", lambda m: rng.choice([a for a in actors if a != m.group(0)]))
    codes = {"type": sorted(set(re.findall(r"^  type: ([a-z-]+)$", text, re.M)))}
    if len(codes["type"]) > 1:
        edited(
            "code",
            r"^  type: ([a-z-]+)$",
            lambda m: "  type: " + rng.choice([c for c in codes["type"] if c != m.group(1)]),
        )
    edited("date", r"(\d{4}-\d{2}-)(\d{2})", lambda m: m.group(1) + f"{max(1, int(m.group(2)) - 1):02d}")
    edited("quote", r"(quote: )(.*) (\S+)$", lambda m: m.group(1) + m.group(2))
    return edits


def save(path: Path, text: str, way: str) -> None:
    """Write `text` the way an editor saves it."""
    if way == "in place":
        path.write_text(text, encoding="utf-8")
    elif way == "by rename":
        fresh = path.with_name(f".{path.name}.tmp")
        fresh.write_text(text, encoding="utf-8")
        os.replace(fresh, path)
    else:  # in place, with a swap file beside it made and removed
        swap = path.with_name(f".{path.name}.swp")
        swap.write_bytes(b"swap")
        path.write_text(text, encoding="utf-8")
        swap.unlink()


def report(name: str, values: list[float]) -> None:
    if not values:
        print(f"| {name} | 0 | - | - | - |")
        return
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]
    print(f"| {name} | {len(values)} | {statistics.median(values):.2f} | {p90:.2f} | {ordered[-1]:.2f} |")


def most_cited_actor(pkg: Path) -> tuple[Path, str] | None:
    """The file and id of the actor most records name, where its first account gives a country."""
    named: Counter = Counter()
    for kind in ("relations", "events", "commitments"):
        for path in (pkg / "data" / "curated" / kind).glob("*.yaml"):
            named.update(re.findall(r"(?:actor|subject|object|committer): ([a-z0-9-]+)", path.read_text("utf-8")))
    for actor, _ in named.most_common(20):
        for path in sorted((pkg / "data" / "curated" / "actors").glob("*.yaml")):
            text = path.read_text("utf-8")
            m = re.search(rf"^- id: {re.escape(actor)}\n(  .*\n)*?  country: [A-Z]{{2}}", text, re.M)
            if m:
                return path, actor
    return None


def pull_request(pkg: Path, files: list[Path], rng: random.Random, env: dict, tmp: Path) -> None:
    """A pull request's check, from the baseline of its base commit, in a fresh copy."""
    check = [seccoop(), "check", str(pkg)]
    baseline = tmp / "baseline"
    saved, _ = run([*check, "--save-baseline", str(baseline)], env)
    fresh = tmp / "checkout"
    shutil.copytree(pkg, fresh, ignore=shutil.ignore_patterns(".venv", ".git"))
    path = fresh / rng.choice(files).relative_to(pkg)
    edits = field_edits(path.read_text("utf-8"), rng)
    if edits:
        save(path, edits[0][1], "in place")
    pr, _ = run([seccoop(), "check", str(fresh), "--baseline", str(baseline)], {**env, "CI": "true"})
    print(f"\npull request from the base commit's baseline (one file edited): {pr:.2f} s")
    print(f"(`--save-baseline` on the base commit, cold: {saved:.2f} s)")


def cold_compared(pkg: Path, files: list[Path], rng: random.Random, env: dict) -> bool:
    """One edit checked incrementally and cold: whether the two reports are the same."""
    check = [seccoop(), "check", str(pkg)]
    path = rng.choice(files)
    edits = field_edits(path.read_text("utf-8"), rng)
    original = path.read_bytes()
    try:
        save(path, edits[0][1], "in place")
        incremental, answer = run(check, env)
        cold, cold_answer = run([*check, "--no-cache"], env)
    finally:
        path.write_bytes(original)
    same = "the same report" if answer == cold_answer else "A DIFFERENT REPORT"
    print(f"\none edit ({edits[0][0]}): incremental {incremental:.2f} s, cold {cold:.2f} s: {same}")
    return answer == cold_answer


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("package", type=Path)
    parser.add_argument("--files", type=int, default=50, help="random curated files edited (each three ways)")
    parser.add_argument("--records", type=int, default=20, help="records added, removed, resolutions edited")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-cold", action="store_true", help="leave out the cold check at the end")
    args = parser.parse_args()
    pkg = args.package.resolve()
    rng = random.Random(args.seed)
    curated = pkg / "data" / "curated"
    files = sorted(p for kind in KINDS for p in (curated / kind).glob("*.yaml"))
    times: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="seccoop-recheck-") as tmp:
        env = {**os.environ, "SECCOOP_CACHE_DIR": str(Path(tmp) / "cache")}
        env.pop("CI", None)
        check = [seccoop(), "check", str(pkg)]

        def measure(name: str, path: Path, text: str, way: str = "in place") -> str:
            original = path.read_bytes()
            try:
                save(path, text, way)
                took, out = run(check, env)
            finally:
                path.write_bytes(original)
            run(check, env)  # the report kept is the original's again: the next edit is measured alone
            times.setdefault(name, []).append(took)
            return out

        build, _ = run([seccoop(), "build", str(pkg)], env)
        after_build, _ = run(check, env)
        print(f"{pkg}: {len(files)} curated files of records; build {build:.1f} s (leaving the baseline)")
        for path in rng.sample(files, min(args.files, len(files))):
            text = path.read_text("utf-8")
            edits = field_edits(text, rng)
            if not edits:
                continue
            kind, edited = rng.choice(edits)
            for way in ("in place", "by rename", "swap file"):
                measure(f"{kind}, {way}", path, edited, way)
                times.setdefault(f"any field, {way}", []).append(times[f"{kind}, {way}"][-1])
        for path in rng.sample(files, min(args.records, len(files))):
            text = path.read_text("utf-8")
            spans = records_of(text)
            start, end = rng.choice(spans)
            again = re.sub(r"^- id: (\S+)", r"- id: \1-again", text[start:end].rstrip("\n") + "\n", count=1)
            measure("record added", path, text.rstrip("\n") + "\n\n" + again)
        for path in rng.sample(files, min(args.records, len(files))):
            text = path.read_text("utf-8")
            spans = records_of(text)
            if len(spans) > 1:
                start, end = rng.choice(spans)
                measure("record removed", path, text[:start] + text[end:])
        resolutions = curated / "resolutions.yaml"
        if resolutions.exists():
            text = resolutions.read_text("utf-8")
            reasons = list(re.finditer(r"^  reason: ", text, re.M))
            for m in rng.sample(reasons, min(args.records, len(reasons))):
                measure("resolution edited", resolutions, text[: m.end()] + "On a second reading, " + text[m.end() :])
        worst = most_cited_actor(pkg)
        if worst is not None:
            path, actor = worst
            text = path.read_text("utf-8")
            m = re.search(rf"^- id: {re.escape(actor)}\n(  .*\n)*?  country: ([A-Z]{{2}})", text, re.M)
            other = "PE" if m.group(2) != "PE" else "EC"
            edited = text[: m.start(2)] + other + text[m.end(2) :]
            for _ in range(3):
                measure("worst case: the most-cited actor's country", path, edited)

        print(f"\n{len(times.get('any field, in place', []))} random files, seed {args.seed}; seconds")
        print("| edit | n | median | p90 | max |")
        print("| --- | ---: | ---: | ---: | ---: |")
        print(f"| first check after `seccoop build` | 1 | {after_build:.2f} | - | - |")
        for name in sorted(times):
            report(name, times[name])

        pull_request(pkg, files, rng, env, Path(tmp))
        if not args.no_cold and not cold_compared(pkg, files, rng, env):
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
