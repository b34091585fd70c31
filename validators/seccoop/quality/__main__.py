"""`python -m seccoop.quality COMMAND`: the scripts behind docs/quality.md."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from seccoop.model.package import NoPackage, find_package
from seccoop.model.rights import TextAbsent
from seccoop.quality import agreement, coding, ledger, sample, stats
from seccoop.safety.write import write_atomically

QUALITY = Path("docs/quality")
SAMPLE = QUALITY / "sample.tsv"
# The seed article was curated before the sample was drawn: it is not drawn.
SEED_ARTICLE = "8f2fea7736ade8bfad2d1a081826dc129b7d0fb4c2602f284638b633e38d4f7f"


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except TextAbsent as exc:
        print(
            f"python -m seccoop.quality: the withheld text is not in the texts folder: {exc} (give --texts)",
            file=sys.stderr,
        )
        return 1
    except (LookupError, OSError, ValueError, NoPackage) as exc:  # bad input: said, no traceback
        print(f"python -m seccoop.quality: {exc}", file=sys.stderr)
        return 1


def _main(argv: list[str] | None) -> int:
    parser = argparse.ArgumentParser(prog="python -m seccoop.quality", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("sample", help="draw the sample coded twice from the curators' catalog")
    p.add_argument("catalog", type=Path, help="CATALOG.tsv of the texts folder")
    p.add_argument("--out", type=Path, default=Path("docs/quality/sample.tsv"))
    p = commands.add_parser("ledger", help="write or refresh a source's sentence ledger")
    p.add_argument("source", help="the source id")
    p.add_argument("--package", type=Path, default=None, help="the package (default: nearest)")
    p.add_argument("--texts", type=Path, default=None, help="the folder of withheld texts (<sha256>.txt)")
    p = commands.add_parser("pin", help="pin a coding of the sample's sources (offsets, fingerprints, codes)")
    p.add_argument("packages", type=Path, nargs="+", help="the package(s) (checkouts) holding the coding")
    p.add_argument("--coder", required=True, help="who coded it, as docs/quality.md names them")
    p.add_argument("--commit", required=True, help="the commit the coding was made from")
    p.add_argument("--sample", type=Path, default=SAMPLE)
    p.add_argument("--out", type=Path, required=True)
    p = commands.add_parser("agreement", help="the agreement tables of the two committed codings")
    p.add_argument("--first", type=Path, default=QUALITY / "coding-first.json")
    p.add_argument("--second", type=Path, default=QUALITY / "coding-second.json")
    p.add_argument("--disagreements", action="store_true", help="list each coded disagreement of matched pairs")
    p = commands.add_parser("settlement", help="how the dataset settled each disagreement of the two codings")
    p.add_argument("--first", type=Path, default=QUALITY / "coding-first.json")
    p.add_argument("--second", type=Path, default=QUALITY / "coding-second.json")
    p = commands.add_parser("stats", help="the data paper's figures, from the published tables")
    p.add_argument("--package", type=Path, default=Path("."))
    args = parser.parse_args(argv)
    if args.command == "stats":
        print(stats.tables(args.package), end="")
        return 0
    if args.command == "pin":
        return _pin(args)
    if args.command == "settlement":
        first, second = coding.read(args.first)["accounts"], coding.read(args.second)["accounts"]
        print(agreement.settlement(first, second, current(Path("."))), end="")
        return 0
    if args.command == "agreement":
        first, second = coding.read(args.first)["accounts"], coding.read(args.second)["accounts"]
        print(agreement.table(first, second), end="")
        if args.disagreements:
            for row in agreement.disagreements(agreement.match(first, second)):
                print("\t".join(map(str, row)))
        return 0
    if args.command == "ledger":
        return _ledger(args)
    if args.command == "sample":
        chosen = sample.draw(sample.read_catalog(args.catalog, exclude={SEED_ARTICLE}))
        sample.write(chosen, args.out)
        print(f"{len(chosen)} source(s) drawn with seed {sample.SEED}, written to {args.out}")
    return 0


def current(root: Path) -> list[dict]:
    """The package's own accounts of the sample's sources, pinned as they stand."""
    shas = {e.sha256 for e in sample.read(root / SAMPLE)}
    sources = [s for s in ledger.read_yaml(root / "data" / "curated" / "sources.yaml") if s.get("sha256") in shas]
    texts = {s["id"]: (root / s["path"]).read_text(encoding="utf-8") for s in sources if s["text"] == "included"}
    return coding.pin(root, [s["id"] for s in sources], texts)


def _pin(args) -> int:
    shas = {e.sha256 for e in sample.read(args.sample)}
    accounts = []
    for package in args.packages:  # a coding split among working trees is their union
        sources = ledger.read_yaml(package / "data" / "curated" / "sources.yaml")
        chosen = [s for s in sources if s.get("sha256") in shas]
        texts = {s["id"]: (package / s["path"]).read_text(encoding="utf-8") for s in chosen if s["text"] == "included"}
        accounts += coding.pin(package, [s["id"] for s in chosen], texts)
    accounts = coding.renumber(accounts)
    coding.write(accounts, args.coder, args.commit, args.out)
    print(f"{len(accounts)} account(s) of {len({a['source'] for a in accounts})} source(s) pinned to {args.out}")
    return 0


def _ledger(args) -> int:
    package = dataclasses.replace(find_package(args.package), texts=args.texts)
    source = ledger.source_record(package.root, args.source)
    text = ledger.source_text(package, source)
    path = ledger.ledger_path(package.root, args.source)
    entries = ledger.build(text, ledger.evidence(package.root, args.source, text), ledger.read_ledger(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically({path: ledger.render(args.source, entries).encode("utf-8")})
    todo = sum(1 for e in entries if e.get("reason") == ledger.TODO)
    recorded = sum(1 for e in entries if "records" in e)
    print(f"{path}: {len(entries)} sentence(s), {recorded} recorded, {todo} with reason TODO")
    if todo:
        print("replace each TODO with one of these reasons (or record the sentence and run this again):")
        for code, meaning in ledger.REASONS.items():
            print(f"  {code}: {meaning}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
