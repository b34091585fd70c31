"""What noting the reads costs (issue 28; docs/cache.md, "Field grain"): a whole check that may
keep a baseline notes which fields are read beyond their record. This runs the check's flow
(`published.flow.run`, every curated file loaded, checked and rendered, nothing written) with the
reads noted and without, in one process, the order alternating, and prints the median of each.

    python benchmarks/noting.py PACKAGE [--rounds 3]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from contextlib import nullcontext
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("package", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    from seccoop.model.package import Package
    from seccoop.published import flow

    package = Package(args.package.resolve())
    noting = flow.noting_reads
    sides = {"noted": noting, "not noted": lambda: nullcontext(None)}
    took: dict[str, list[float]] = {name: [] for name in sides}
    for r in range(args.rounds):
        for name in list(sides) if r % 2 == 0 else list(sides)[::-1]:
            flow.noting_reads = sides[name]
            start = time.perf_counter()
            outcome = flow.run(package, keep_texts=False, note_owners=True)
            took[name].append(time.perf_counter() - start)
            print(f"round {r + 1}, {name}: {took[name][-1]:.2f} s", flush=True)
            del outcome
            gc.collect()
    flow.noting_reads = noting
    base = statistics.median(took["not noted"])
    for name, values in took.items():
        median = statistics.median(values)
        print(f"{name}: median {median:.2f} s ({median / base:.3f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
