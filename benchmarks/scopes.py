"""What field grain saves (issue 28; docs/cache.md, "Field grain"): how many files a re-check
loads for an edit of a record file, where the edit changed a field something beyond its record
reads (its readers are checked again) and where it changed only fields its record alone reads (a
quiet edit: the file and the other accounts of its ids), for random files of each kind; and which
fields of each kind the baseline's check found read beyond their record.

    python benchmarks/scopes.py PACKAGE [--files 200] [--seed 0]

The package is a built benchmark package (`benchmarks/generate.py`, then `seccoop build`). A check
with the cache on, in a folder of this run's own, leaves the baseline whose index and noted reads
are measured; no edit is made (the scopes are those `seccoop check` would load for each edit).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("package", type=Path)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    pkg = args.package.resolve()
    with tempfile.TemporaryDirectory(prefix="seccoop-scopes-") as cache:
        env = {**os.environ, "SECCOOP_CACHE_DIR": cache}
        env.pop("CI", None)
        seccoop = Path(sys.executable).with_name("seccoop")
        subprocess.run([str(seccoop), "check", str(pkg)], env=env, capture_output=True, check=False)
        os.environ["SECCOOP_CACHE_DIR"] = cache
        measure(pkg, Path(cache), args.files, random.Random(args.seed))
    return 0


def measure(pkg: Path, cache: Path, files: int, rng: random.Random) -> None:
    from seccoop.incremental import cache as caches
    from seccoop.incremental import scope
    from seccoop.model.package import KINDS, Package

    where = caches.folder(Package(pkg))
    baselines = sorted(where.glob("*.index")) if where else []
    if len(baselines) != 1:
        sys.exit(f"no baseline in {where}: is {pkg} a built, valid package?")
    key = baselines[0].stem
    stored = caches.Entry(where, key).read()
    if stored is None:
        sys.exit(f"the baseline's entry in {where} does not read")
    answer = stored[2]
    index = scope.load_index(where / f"{key}.index", answer["index"])
    if index is None:
        sys.exit("the baseline's index does not load")
    reads = answer.get("reads") or {}
    print(f"{pkg}: {len(index.files)} curated files; fields read beyond their record, by kind:")
    for kind, fields in sorted(reads.items()):
        print(f"  {kind}: {', '.join(fields)}")
    limit = max(64, len(index.files) // 20)
    print(f"\nfiles loaded for an edit of one file ({files} files drawn per kind; members + context):")
    print("| kind | n | edit read beyond: median | p90 | quiet edit: median | p90 | members: beyond / quiet (median) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for k, kind in enumerate(KINDS):
        numbers = [n for n in range(len(index.files)) if index.kinds[n] == k]
        if kind == "source" or not numbers:
            continue
        loud, quiet, loud_members, quiet_members = [], [], [], []
        for n in rng.sample(numbers, min(files, len(numbers))):
            ids = {i for i in index.structure(n) if i is not None}
            edited = {n: (ids, set(index.tokens_of(n)) - ids)}
            for out, members, grain in ((loud, loud_members, ()), (quiet, quiet_members, {n})):
                found = scope.directed_reach(index, edited, [], {}, (), limit, quiet=grain)
                out.append(len(found.members) + len(found.context) if found else float("inf"))
                members.append(len(found.members) if found else float("inf"))
        print(
            f"| {kind} | {len(loud)} | {statistics.median(loud):g} | {_p90(loud):g} | {statistics.median(quiet):g} | "
            f"{_p90(quiet):g} | {statistics.median(loud_members):g} / {statistics.median(quiet_members):g} |"
        )
    print("\n(inf: beyond a twentieth of the files, where the scope of every id joined is tried next)")


def _p90(values: list[float]) -> float:
    return sorted(values)[max(0, int(len(values) * 0.9 + 0.5) - 1)]


if __name__ == "__main__":
    sys.exit(main())
