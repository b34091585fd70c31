"""The YAML floor: a bare parse of every curated file of a package with PyYAML's C loader.

    python benchmarks/yaml_floor.py PACKAGE

This is the least any YAML-based check must do: read and parse the same files into Python
values (kept, as a checker keeps its records), with no checks at all. The runner times it as a
subprocess, like the seccoop commands, so interpreter start-up is counted alike.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml


def main() -> int:
    curated = Path(sys.argv[1]) / "data" / "curated"
    files = sorted(p for p in curated.rglob("*") if p.suffix in (".yaml", ".yml"))
    values = []
    for path in files:
        with open(path, "rb") as f:
            values.append(yaml.load(f, Loader=yaml.CSafeLoader))
    records = sum(len(v) for v in values if isinstance(v, list))
    print(f"{len(files)} files, {records} records")
    return 0


if __name__ == "__main__":
    sys.exit(main())
