"""Two versions of seccoop's code side by side on one package: a cold `seccoop check` (wall time
and the whole process tree's peak memory) and `frictionless validate` (the floor), interleaved
round by round (each side first in turn) so that noise on a shared machine falls on every side alike.

    python benchmarks/versus.py PACKAGE --old /path/to/old/validators [--new validators] [--rounds 3]
        [--old-package OLD_PACKAGE] [--also NAME=/path/to/another/validators ...]

Each side runs this environment's Python with PYTHONPATH set to its source root, so the same
dependencies check the same files with different code (or, with --old-package, where the
published shape changed between the versions, each side its own version's package: generate it
with that version's benchmarks/generate.py, which draws the same records). The package is a built benchmark
package (benchmarks/run.py or benchmarks/generate.py + `seccoop build`). For the re-check after an
edit, run benchmarks/recheck.py the same way: `PYTHONPATH=OLD python benchmarks/recheck.py PACKAGE`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import fmt_mib, measure, tool, tree_kib  # noqa: E402  (beside this script)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("package", type=Path)
    parser.add_argument("--old", type=Path, required=True, help="source root of the old code (its validators/)")
    parser.add_argument("--new", type=Path, default=HERE.parent / "validators", help="source root of the new code")
    parser.add_argument("--old-package", type=Path, help="the package the old code checks (default: PACKAGE)")
    parser.add_argument(
        "--also",
        action="append",
        default=[],
        metavar="NAME=PATH",
        help="another side: a name and its source root, checking PACKAGE (repeatable)",
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=3600)
    args = parser.parse_args(argv)
    sides = {"old": args.old.resolve(), "new": args.new.resolve()}
    for also in args.also:
        name, _, root = also.partition("=")
        if not name or not root or name in (*sides, "frictionless"):
            parser.error(f"--also {also!r}: give NAME=PATH, a name of its own")
        sides[name] = Path(root).resolve()
    packages = {side: args.package for side in sides} | {"old": args.old_package or args.package}
    runs: dict[str, list[dict]] = {side: [] for side in (*sides, "frictionless")}
    with tempfile.TemporaryDirectory() as work:
        log = Path(work) / "log"
        for n in range(args.rounds):
            order = list(sides)[n % len(sides) :] + list(sides)[: n % len(sides)]  # each side first in turn
            for side in order:
                os.environ["PYTHONPATH"] = str(sides[side])
                run = measure(
                    [sys.executable, "-m", "seccoop", "check", "--no-cache", str(packages[side])], log, args.timeout
                )
                if run["exit"] != 0:
                    sys.exit(f"{side}: check exited {run['exit']}:\n{log.read_text()[-2000:]}")
                runs[side].append(run)
                print(
                    f"round {n + 1} {side}: {run['wall']:.2f} s, {fmt_mib(tree_kib(run))} MiB"
                    f" (largest process {fmt_mib(run['rss_kib'])} MiB)",
                    flush=True,
                )
            os.environ.pop("PYTHONPATH", None)
            runs["frictionless"].append(
                measure(
                    [tool("frictionless"), "validate", "--type", "package", str(args.package / "datapackage.json")],
                    log,
                    args.timeout,
                )
            )
    print("\n| check (cold) | median wall | median whole-tree peak | median largest process | rounds |")
    print("| --- | ---: | ---: | ---: | ---: |")
    labels = {side: f"{side} ({root})" for side, root in sides.items()} | {
        "frictionless": "frictionless validate (floor)"
    }
    for side, label in labels.items():
        walls = [r["wall"] for r in runs[side]]
        peaks = [tree_kib(r) for r in runs[side]]
        largest = [r["rss_kib"] for r in runs[side]]
        print(
            f"| {label} | {statistics.median(walls):.2f} s | {fmt_mib(statistics.median(peaks))} MiB"
            f" | {fmt_mib(statistics.median(largest))} MiB | {len(walls)} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
