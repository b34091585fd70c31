"""The curator's loop at scale (issue 15): a cold `seccoop check`, a re-check with nothing changed,
and re-checks after an edit of one curated file, each the median of several runs, side by side.

    python benchmarks/recheck.py PACKAGE [--runs 5]

The package is a built benchmark package (benchmarks/run.py makes them under benchmarks/out/).
The check cache (docs/cache.md) lives in a folder of this run's own. Two edits of one curated
file (of one source's events), made anew in every round so that each run sees a changed file:

- a comment line added: the file parses to the same records, the derived files stay fresh;
- a value changed (the first summary gets a word more): the records differ; the check starts
  from the baseline (docs/cache.md, "Re-checking only what an edit can reach"), checks and
  renders only what the edited file's ids reach, and reports the derived files stale (exit 1),
  as a curator sees it before `seccoop build`;
- a code changed to one no codelist has (`type: parade`): an error, reported from the same
  scope;
- a record added (the file's first record again, under a new id): the package stays valid but
  its records moved, so its derived files are compared whole (the check reads every file's
  parse from the store and renders everything).

The file is restored at the end.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def seccoop() -> str:
    beside = Path(sys.executable).with_name("seccoop")
    return str(beside) if beside.exists() else "seccoop"


def timed(argv: list[str], env: dict) -> float:
    start = time.perf_counter()
    result = subprocess.run(argv, env=env, capture_output=True, text=True)
    took = time.perf_counter() - start
    if result.returncode not in (0, 1):
        sys.exit(f"{' '.join(argv)} failed ({result.returncode}):\n{result.stderr[-2000:]}")
    return took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("package", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    pkg = args.package.resolve()
    edited = sorted((pkg / "data" / "curated" / "events").glob("*.yaml"))[0]
    original = edited.read_bytes()
    assert b"summary: " in original, f"{edited} has no summary to edit"
    first = original.split(b"\n\n- id: ", 1)[0]  # the comment line and the first record
    added = original + b"\n" + first.split(b"\n", 1)[1].replace(b"- id: ", b"- id: added-", 1) + b"\n"
    times: dict[str, list[float]] = {"cold": [], "unchanged": [], "comment": [], "value": [], "error": [], "added": []}
    with tempfile.TemporaryDirectory(prefix="seccoop-recheck-") as cache:
        env = {**os.environ, "SECCOOP_CACHE_DIR": cache}
        env.pop("CI", None)
        check = [seccoop(), "check", str(pkg)]
        timed(check, env)  # the first cached run fills the cache
        try:
            for n in range(args.runs):
                times["cold"].append(timed([*check, "--no-cache"], env))
                timed(check, env)  # so that nothing but the edit differs from the entry
                times["unchanged"].append(timed(check, env))
                edited.write_bytes(original + f"# edit {n}\n".encode())
                times["comment"].append(timed(check, env))
                edited.write_bytes(original.replace(b"summary: ", f"summary: Edit {n}. ".encode(), 1))
                times["value"].append(timed(check, env))
                edited.write_bytes(re.sub(rb"type: [a-z-]+", b"type: parade", original, count=1))
                times["error"].append(timed(check, env))
                edited.write_bytes(added)
                times["added"].append(timed(check, env))
                edited.write_bytes(original)
        finally:
            edited.write_bytes(original)
    print(f"{pkg} ({args.runs} runs each; median, min - max, seconds)")
    print("| check | median s | range s | vs cold |")
    print("| --- | ---: | ---: | ---: |")
    cold = statistics.median(times["cold"])
    for name, label in (
        ("cold", "cold (`--no-cache`)"),
        ("unchanged", "nothing changed"),
        ("comment", "after a comment added to one curated file"),
        ("value", "after a value changed in one curated file"),
        ("error", "after a code changed to an unknown one (an error)"),
        ("added", "after a record added to one curated file"),
    ):
        values = times[name]
        med = statistics.median(values)
        print(f"| {label} | {med:.2f} | {min(values):.2f} - {max(values):.2f} | {med / cold:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
