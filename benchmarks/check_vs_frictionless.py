"""How long `seccoop check` takes next to `frictionless validate --type package` on the same package.

The two commands run alternately, N times each, in one session, so that noise from a shared
machine falls on both alike; medians are compared. `seccoop check` does strictly more (it also
loads and checks the curated YAML, the seeds and the evidence, and rebuilds the derived files in
memory), so the target is a ratio of at most 1.25.

    python benchmarks/check_vs_frictionless.py [PACKAGE] [--runs N]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def timed(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    result = subprocess.run(cmd, cwd=cwd, capture_output=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stdout.decode()}{result.stderr.decode()}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("package", nargs="?", default=str(Path(__file__).resolve().parent.parent))
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    package = Path(args.package).resolve()
    bindir = Path(sys.executable).parent
    seccoop = [str(bindir / "seccoop"), "check", str(package)]
    frictionless = [
        shutil.which("frictionless", path=str(bindir)) or "frictionless",
        "validate",
        "--type",
        "package",
        str(package / "datapackage.json"),
    ]
    timed(seccoop, package), timed(frictionless, package)  # warm the file cache and bytecode
    ours, theirs = [], []
    for _ in range(args.runs):
        ours.append(timed(seccoop, package))
        theirs.append(timed(frictionless, package))
    m_ours, m_theirs = statistics.median(ours), statistics.median(theirs)
    print(f"package: {package}  runs: {args.runs} each, alternating")
    print(f"seccoop check                          median {m_ours:.3f} s  (min {min(ours):.3f})")
    print(f"frictionless validate --type package   median {m_theirs:.3f} s  (min {min(theirs):.3f})")
    print(f"ratio (target <= 1.25): {m_ours / m_theirs:.2f}")


if __name__ == "__main__":
    main()
