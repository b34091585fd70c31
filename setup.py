"""Bundle the published package into the wheel, so `seccoop check` and `seccoop export` work
outside a checkout. Everything else about the build is in pyproject.toml.

Source rights (docs/rights.md): only the texts of sources marked `text: included` in the
published data/sources.csv ever enter the wheel or the sdist; any other file in seeds/ is left
out, and the texts folder (texts/) never enters either."""

import csv
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

HERE = Path(__file__).resolve().parent
BUNDLED = ("datapackage.json", "data", "schema", "seeds")


def included_seeds(root: Path) -> set[str]:
    """The paths (seeds/NAME) of the texts whose licence allows shipping them."""
    table = root / "data" / "sources.csv"
    if not table.is_file():
        return set()
    with open(table, newline="", encoding="utf-8") as f:
        return {row["path"] for row in csv.DictReader(f) if row.get("text") == "included" and row.get("path")}


class BuildWithPackage(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install finds the checkout itself
        target = Path(self.build_lib) / "seccoop" / "_package"
        if target.exists():
            shutil.rmtree(target)
        shipped = included_seeds(HERE)
        for name in BUNDLED:
            src = HERE / name
            if name == "seeds":
                (target / name).mkdir(parents=True, exist_ok=True)
                for rel in sorted(shipped):
                    if (HERE / rel).is_file() and not (HERE / rel).is_symlink():
                        shutil.copy2(HERE / rel, target / rel)
            elif src.is_dir():
                shutil.copytree(src, target / name, ignore=shutil.ignore_patterns("__pycache__"))
            elif src.exists():
                target.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, target / name)


class SdistByRights(sdist):
    def make_release_tree(self, base_dir, files):
        shipped = included_seeds(HERE)
        files = [
            f
            for f in files
            if not Path(f).as_posix().startswith(("seeds/", "texts/"))
            or Path(f).as_posix() in shipped
            or Path(f).as_posix() == "seeds/README.md"
        ]
        super().make_release_tree(base_dir, files)


setup(cmdclass={"build_py": BuildWithPackage, "sdist": SdistByRights})
