"""How fast can the curated YAML of a package be parsed, and by what? PyYAML's C composer (what
seccoop.model.load does) against PyYAML's C loader, rapidyaml, and json.loads of the same data.

    python benchmarks/parsers.py PACKAGE [--runs N] [--only a,b,...]

Each approach runs in a fresh process. The files are read into memory before the clock starts,
so only parsing (and building Python values) is timed; the peak RSS of that process is reported,
with the RSS it had before parsing (the interpreter, the imports and the raw bytes).

Approaches:
  pyyaml-compose     yaml.compose(text, Loader=CSafeLoader): the node tree with marks, dropped
                     after each file (as seccoop.model.load does once it has constructed the values)
  pyyaml-compose-kept  the same, every file's node tree kept (memory of holding the trees)
  seccoop-construct  compose + seccoop.model.load._construct of each record, the tree dropped per file:
                     the core of seccoop.model.load.load_file
  seccoop-load-file  seccoop.model.load.load_file (reads the file; text hygiene and value checks too)
  pyyaml-load        yaml.load(text, Loader=CSafeLoader): values, kept (the floor of run.py)
  ryml-parse         rapidyaml parse_in_arena: the C++ tree only, no Python values
  ryml-construct     rapidyaml parse + a Python walk of the tree into dicts and lists, with the
                     same strictness as seccoop (duplicate keys, quoted vs plain, YAML 1.1 words)
  json-loads         json.loads of the same records written as JSON: the fastest the same Python
                     objects can be built from text (a reference, not a YAML parser)

rapidyaml (`pip install rapidyaml`) is optional; its approaches are skipped without it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

APPROACHES = (
    "pyyaml-compose",
    "pyyaml-compose-kept",
    "seccoop-construct",
    "seccoop-load-file",
    "pyyaml-load",
    "ryml-parse",
    "ryml-construct",
    "json-loads",
)


def curated_files(pkg: Path) -> list[Path]:
    curated = pkg / "data" / "curated"
    return sorted(p for p in curated.rglob("*") if p.suffix in (".yaml", ".yml") and p.name != "package.yaml")


def rss_now_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


# -- rapidyaml into Python values, as strictly as seccoop.model.load ------------------------------

_DECIMAL_INT = re.compile(r"[-+]?(0|[1-9][0-9]*)\Z")
_PLAIN_FLOAT = re.compile(r"[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?\Z")
_NULLS = {"", "~", "null", "Null", "NULL"}
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_YAML11_WORDS = {"yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF", "y", "Y", "n", "N"}


class Refused(Exception):
    pass


def _plain(s: str):
    if s in _NULLS:
        return None
    if s in _BOOLS:
        return _BOOLS[s]
    if s in _YAML11_WORDS:
        raise Refused(f"bare {s!r} is a boolean in YAML 1.1")
    c = s[0]
    if c.isdigit() or c in "+-.":
        if _DECIMAL_INT.match(s):
            return int(s)
        if _PLAIN_FLOAT.match(s):
            return float(s)
    return s  # dates stay text, as in seccoop.model.load


def ryml_construct(tree, node, none):
    """Python values of a rapidyaml node (recursive, like seccoop.model.load._construct)."""
    if tree.is_map(node):
        out = {}
        child = tree.first_child(node)
        while child != none:
            key = bytes(tree.key(child)).decode()
            if key in out:
                raise Refused(f"duplicate key {key!r}")
            out[key] = ryml_construct(tree, child, none)
            child = tree.next_sibling(child)
        return out
    if tree.is_seq(node):
        items = []
        child = tree.first_child(node)
        while child != none:
            items.append(ryml_construct(tree, child, none))
            child = tree.next_sibling(child)
        return items
    if tree.is_val_ref(node) or tree.has_val_anchor(node) or tree.has_val_tag(node):
        raise Refused("anchors, aliases and tags are refused")
    text = bytes(tree.val(node)).decode()
    if tree.is_val_quoted(node) or tree.is_val_literal(node) or tree.is_val_folded(node):
        return text
    return _plain(text)


# -- one approach, in this process -----------------------------------------------------------


def run_one(approach: str, pkg: Path) -> dict:
    files = curated_files(pkg)
    raw = [p.read_bytes() for p in files]
    texts = [r.decode("utf-8") for r in raw]
    if approach == "json-loads":
        texts = _as_json(texts)
    parse = _parser(approach)
    before = rss_now_kib()
    start = time.perf_counter()
    kept = parse(files, raw, texts)
    elapsed = time.perf_counter() - start
    del kept  # dropped once the clock has stopped
    return {
        "approach": approach,
        "files": len(files),
        "bytes": sum(map(len, raw)),
        "seconds": elapsed,
        "rss_before_kib": before,
    }


def _as_json(texts: list[str]) -> list[str]:
    """The same records written as JSON (for json-loads; before the clock starts)."""
    import yaml

    return [json.dumps(yaml.load(t, Loader=yaml.CSafeLoader), ensure_ascii=False) for t in texts]


# What the clock times: parse the files (given as paths, bytes and texts); returns what is kept.
Parse = Callable[[list[Path], list[bytes], list[str]], list]


def _parser(approach: str) -> Parse:
    """The timed part of `approach`, its imports done (so before the clock starts)."""
    if approach.startswith("ryml"):
        parsers = _ryml_parsers()
    elif approach.startswith("pyyaml"):
        parsers = _pyyaml_parsers()
    elif approach.startswith("seccoop"):
        parsers = _seccoop_parsers()
    else:
        parsers = {"json-loads": _json_loads}
    if approach not in parsers:
        raise SystemExit(f"unknown approach {approach}")
    return parsers[approach]


def _json_loads(files: list[Path], raw: list[bytes], texts: list[str]) -> list:
    return [json.loads(t) for t in texts]


def _pyyaml_parsers() -> dict[str, Parse]:
    import yaml

    def compose(files: list[Path], raw: list[bytes], texts: list[str]) -> list:
        for t in texts:
            yaml.compose(t, Loader=yaml.CSafeLoader)
        return []

    def compose_kept(files: list[Path], raw: list[bytes], texts: list[str]) -> list:
        return [yaml.compose(t, Loader=yaml.CSafeLoader) for t in texts]

    def load(files: list[Path], raw: list[bytes], texts: list[str]) -> list:
        return [yaml.load(t, Loader=yaml.CSafeLoader) for t in texts]

    return {"pyyaml-compose": compose, "pyyaml-compose-kept": compose_kept, "pyyaml-load": load}


def _seccoop_parsers() -> dict[str, Parse]:
    import yaml

    from seccoop.model import load as seccoop_load

    def construct(files: list[Path], raw: list[bytes], texts: list[str]) -> list:
        kept = []
        for t in texts:
            root = yaml.compose(t, Loader=yaml.CSafeLoader)
            seen: set[int] = set()
            kept.append([seccoop_load._construct(item, seen) for item in root.value])
        return kept

    def load_file(files: list[Path], raw: list[bytes], texts: list[str]) -> list:
        kept = []
        for p in files:
            cf, problems = seccoop_load.load_file(p, p.name, root=p.parent)
            assert not problems, problems[:3]
            kept.append(cf)
        return kept

    return {"seccoop-construct": construct, "seccoop-load-file": load_file}


def _ryml_parsers() -> dict[str, Parse]:
    import ryml

    def parse(files: list[Path], raw: list[bytes], texts: list[str]) -> list:
        return [ryml.parse_in_arena(r) for r in raw]

    def construct(files: list[Path], raw: list[bytes], texts: list[str]) -> list:
        none = ryml.NONE
        kept = []
        for r in raw:
            tree = ryml.parse_in_arena(r)
            kept.append(ryml_construct(tree, tree.root_id(), none))
        return kept

    return {"ryml-parse": parse, "ryml-construct": construct}


def check_same_values(pkg: Path, sample: int = 200) -> None:
    """ryml-construct gives the values seccoop's loader gives (on a sample of files)."""
    import ryml
    import yaml

    from seccoop.model import load as seccoop_load

    for p in curated_files(pkg)[:sample]:
        root = yaml.compose(p.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
        ours = [seccoop_load._construct(item, set()) for item in root.value]
        tree = ryml.parse_in_arena(p.read_bytes())
        theirs = ryml_construct(tree, tree.root_id(), ryml.NONE)
        assert ours == theirs, p


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("package", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", default=None)
    parser.add_argument("--one", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.package)))
        return 0
    approaches = [a.strip() for a in args.only.split(",")] if args.only else list(APPROACHES)
    try:
        import ryml  # noqa: F401  (only whether rapidyaml is installed)

        check_same_values(args.package)
        print("ryml-construct gives the same values as seccoop's loader (sampled files)")
    except ImportError:
        approaches = [a for a in approaches if not a.startswith("ryml")]
        print("rapidyaml is not installed: its approaches are skipped")
    files = curated_files(args.package)
    size = sum(p.stat().st_size for p in files)
    print(f"{len(files)} curated files, {size / 2**20:.1f} MiB; {args.runs} runs each, interleaved")
    results: dict[str, list[dict]] = {a: [] for a in approaches}
    for _ in range(args.runs):
        for a in approaches:
            proc = subprocess.Popen([sys.executable, __file__, "--one", a, str(args.package)], stdout=subprocess.PIPE)
            out = proc.stdout.read()
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            if proc.returncode != 0:
                print(f"{a}: failed ({proc.returncode})")
                continue
            res = json.loads(out)
            res["peak_kib"] = usage.ru_maxrss
            results[a].append(res)
    base = statistics.median(r["seconds"] for r in results.get("pyyaml-compose") or [{"seconds": float("nan")}])
    print()
    print("| approach | median s | min s | vs pyyaml-compose | MiB/s | peak RSS MiB | of which before parsing |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for a, runs in results.items():
        if not runs:
            continue
        med = statistics.median(r["seconds"] for r in runs)
        print(
            f"| {a} | {med:.2f} | {min(r['seconds'] for r in runs):.2f} | {med / base:.2f}x | "
            f"{size / 2**20 / med:.1f} | {max(r['peak_kib'] for r in runs) / 1024:.0f} | "
            f"{max(r['rss_before_kib'] for r in runs) / 1024:.0f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
