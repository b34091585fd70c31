"""The curators' private view of the review site (`seccoop export --format html --private`): every
withheld text shown in full from the texts folder, with every span highlighted, each page marked
not for publication.

It is made only where it cannot be shipped by mistake (docs/review-page.md): with every withheld
text at hand, never into the package's folder or the git checkout that holds it, and never as a
release archive or any other export. The texts are read when the pages are written and never kept.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

from seccoop.exports.errors import ExportRefused
from seccoop.exports.published import SourceTexts, open_published_text
from seccoop.model import rights
from seccoop.model.package import Package


def withheld_texts(package: Package) -> dict[str, str]:
    """The withheld sources of the package, as source id -> the sha256 their text is found by."""
    with open_published_text(package, package.root / "data" / "sources.csv") as f:
        return {row["id"]: row["sha256"] for row in csv.DictReader(f) if row["text"] == "withheld"}


def _checkout(root: Path) -> Path:
    """The top of the git work tree holding the package, or the package folder where none does."""
    for folder in (root, *root.parents):
        if os.path.lexists(folder / ".git"):
            return folder
    return root


def refuse_unsafe(package: Package, out: Path) -> None:
    """Refuse (ExportRefused, exit 2), before any work, a private view that could be shipped: one
    written inside the package or its git checkout, or one without every withheld text at hand."""
    root = package.root.resolve()
    where = Path(os.path.abspath(out)).resolve()
    for inside in dict.fromkeys((root, _checkout(root))):
        if where == inside or where.is_relative_to(inside):
            raise ExportRefused(
                f"--private writes withheld texts: {out} lies inside {inside}, which holds the package; "
                "write the private view outside it (it must never be committed, built or released)"
            )
    folder = rights.texts_folder(package)[0]
    missing = [sid for sid, sha in withheld_texts(package).items() if not (folder / f"{sha}.txt").is_file()]
    if missing:
        shown = ", ".join(missing[:3]) + (", ..." if len(missing) > 3 else "")
        raise ExportRefused(
            f"--private shows every withheld text in full, but {len(missing)} of them are not in the texts "
            f"folder {folder} ({shown}); name the folder that holds them with --texts or SECCOOP_TEXTS "
            "(docs/rights.md)"
        )


class PrivateTexts:
    """Every source's text by source id: an included one from seeds/, a withheld one from the texts
    folder, found by its sha256 (the check has just verified every span against it)."""

    def __init__(self, package: Package, included: SourceTexts):
        self.package, self.included = package, included
        self._withheld: dict[str, str] | None = None

    def get(self, source_id: str, /) -> str | None:
        if self._withheld is None:
            self._withheld = withheld_texts(self.package)
        sha256 = self._withheld.get(source_id)
        if sha256 is None:
            return self.included.get(source_id)
        data, _ = rights.read_withheld(self.package, sha256)
        return data.decode("utf-8")
