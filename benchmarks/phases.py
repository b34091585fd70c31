"""Where `seccoop check` spends its time and memory, step by step, on one package.

    python benchmarks/phases.py PACKAGE [--gc-threshold N]

Runs the real `seccoop.check.check_package` (what `seccoop check` runs) with timers wrapped
around seccoop's own functions: loading each curated file (and inside it the text checks, the
YAML composer and the value checks; construction is the rest), JSON Schema validation, each
later check, every rendered file, the comparison with the files on disk and the Frictionless
validation. A function that calls itself is timed once, at its outermost call. It prints the
time in each, with the process's resident memory (VmRSS) and peak (VmHWM) after each step,
and the time the cyclic garbage collector ran (gc.callbacks), by generation.

--gc-threshold N sets gc.set_threshold(N, 10, 10) first: what the collector costs with a large
live heap (seccoop does not change the threshold today).
"""

from __future__ import annotations

import argparse
import gc
import importlib
import sys
import time
from collections import defaultdict
from pathlib import Path

TIME: dict[str, float] = defaultdict(float)
CALLS: dict[str, int] = defaultdict(int)
MEMORY: dict[str, tuple[int, int]] = {}
ORDER: list[str] = []


def mem() -> tuple[int, int]:
    rss = hwm = 0
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1])
        elif line.startswith("VmHWM:"):
            hwm = int(line.split()[1])
    return rss, hwm


def wrap(module, name: str, label: str, memory: bool = False, consume: bool = False) -> None:
    """Time every outermost call of module.name under `label`. `consume` turns a generator's
    result into a list inside the timer; `memory` records RSS after each call."""
    original = getattr(module, name, None)
    if original is None:
        print(f"(no {module.__name__}.{name} in this seccoop: not timed)")
        return
    depth = [0]

    def timed(*args, **kwargs):
        if depth[0]:
            return original(*args, **kwargs)
        depth[0] += 1
        start = time.perf_counter()
        try:
            result = original(*args, **kwargs)
            if consume:
                result = iter(list(result))
            return result
        finally:
            depth[0] -= 1
            TIME[label] += time.perf_counter() - start
            CALLS[label] += 1
            if label not in ORDER:
                ORDER.append(label)
            if memory:
                MEMORY[label] = mem()

    setattr(module, name, timed)


GC_TIME: dict[int, float] = defaultdict(float)
GC_COUNT: dict[int, int] = defaultdict(int)
_gc_start = [0.0]


def _gc_callback(phase, info):
    if phase == "start":
        _gc_start[0] = time.perf_counter()
    else:
        GC_TIME[info["generation"]] += time.perf_counter() - _gc_start[0]
        GC_COUNT[info["generation"]] += 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("package", type=Path)
    parser.add_argument("--gc-threshold", type=int, default=None)
    args = parser.parse_args()

    started = time.perf_counter()
    import yaml

    mod = {
        name.rpartition(".")[2]: importlib.import_module(f"seccoop.{name}")
        for name in (
            "model.load",
            "checks.layers",
            "checks.shape",
            "published.flow",
            "published.render",
            "check",
            "published.tables",
            "model.package",
            "model.schemas",
            "published.freshness",
        )
    }
    mod["validation"] = importlib.import_module("seccoop.incremental.published")
    layer_of = {
        "check_identity": "checks.ids",
        "load_retired": "checks.retired",
        "check_sources": "checks.sources",
        "check_references": "checks.references",
        "check_evidence": "checks.spans",
        "check_time": "checks.dates",
        "questions": "checks.questions",
    }
    imported = time.perf_counter() - started

    wrap(mod["flow"], "load_dataset", "load_dataset (all of the loading and checking)", memory=True)
    wrap(mod["layers"], "load_file", "  load_file: each curated file")
    wrap(mod["load"], "check_text", "    text checks (decode, hygiene, NFC)")
    wrap(yaml, "compose", "    yaml.compose (C parser + Python nodes)")
    wrap(mod["load"], "_value_problems", "    value checks (whitespace, escapes)")
    wrap(mod["layers"], "shape_problems", "  JSON Schema validation (iter_errors)", consume=True)
    for name in layer_of:  # each layer as load_dataset calls it (imported into checks.layers)
        wrap(mod["layers"], name, f"  {name}", memory=True)
    wrap(mod["flow"], "load_metadata", "package.yaml")
    wrap(mod["flow"], "table_schemas", "Table Schemas (each derived once, before rendering)")
    wrap(mod["flow"], "render", "render (every derived file, streamed and hashed)", memory=True)
    wrap(mod["render"], "write_csv", "  CSV tables (rows + csv.writer)")
    wrap(mod["render"], "write_document", "  the nested document (seccoop.json)")
    wrap(mod["render"], "dumps", "  json.dumps (datapackage.json)")
    wrap(mod["freshness"], "stale_files", "stale_files (compare with the files on disk)", memory=True)
    # Timed only where it runs in this process: small packages, or one core (else it is forked).
    wrap(mod["validation"], "validate_published", "validate_published (Frictionless)", memory=True)

    if args.gc_threshold:
        gc.set_threshold(args.gc_threshold, 10, 10)
    gc.callbacks.append(_gc_callback)
    package = mod["package"].find_package(args.package)
    start = time.perf_counter()
    problems = mod["check"].check_package(package)
    total = time.perf_counter() - start
    gc.callbacks.remove(_gc_callback)
    errors = [p for p in problems if p.severity == "error"]
    rss, hwm = mem()

    load_total = TIME.get("  load_file: each curated file", 0.0)
    parts = sum(
        TIME.get(k, 0.0)
        for k in (
            "    text checks (decode, hygiene, NFC)",
            "    yaml.compose (C parser + Python nodes)",
            "    value checks (whitespace, escapes)",
        )
    )
    print(f"package: {package.root}")
    print(
        f"imports: {imported:.2f} s;  check_package: {total:.2f} s;  problems: {len(problems)} "
        f"({len(errors)} errors);  peak RSS {hwm / 1024:.0f} MiB, RSS at the end {rss / 1024:.0f} MiB"
    )
    print()
    print("| step | calls | seconds | share of check | RSS after (MiB) | peak so far (MiB) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for label in ORDER:
        m = MEMORY.get(label)
        rss_after = f"{m[0] / 1024:.0f} | {m[1] / 1024:.0f}" if m else " | "
        print(f"| {label} | {CALLS[label]:,} | {TIME[label]:.2f} | {TIME[label] / total:.0%} | {rss_after} |")
    print(
        f"| _construct and the rest of load_file (by difference) | | {load_total - parts:.2f} | "
        f"{(load_total - parts) / total:.0%} | | |"
    )
    print()
    gc_total = sum(GC_TIME.values())
    print(
        f"cyclic GC: {gc_total:.2f} s ({gc_total / total:.0%} of check_package) in "
        + ", ".join(f"gen{g}: {GC_COUNT[g]:,} runs, {GC_TIME[g]:.2f} s" for g in sorted(GC_TIME))
        + f"; threshold {gc.get_threshold()}"
    )
    if errors:
        print("errors:", *[str(p) for p in errors[:5]], sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
