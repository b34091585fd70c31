"""`python -m seccoop.quality COMMAND`: the scripts behind docs/quality.md."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from seccoop.quality import sample

# The seed article was curated before the sample was drawn: it is not drawn.
SEED_ARTICLE = "8f2fea7736ade8bfad2d1a081826dc129b7d0fb4c2602f284638b633e38d4f7f"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m seccoop.quality", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("sample", help="draw the sample coded twice from the curators' catalog")
    p.add_argument("catalog", type=Path, help="CATALOG.tsv of the texts folder")
    p.add_argument("--out", type=Path, default=Path("docs/quality/sample.tsv"))
    args = parser.parse_args(argv)
    if args.command == "sample":
        chosen = sample.draw(sample.read_catalog(args.catalog, exclude={SEED_ARTICLE}))
        sample.write(chosen, args.out)
        print(f"{len(chosen)} source(s) drawn with seed {sample.SEED}, written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
