"""Bundle the published package into the wheel, so `seccoop check` and `seccoop export` work
outside a checkout. Everything else about the build is in pyproject.toml."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
BUNDLED = ("datapackage.json", "data", "schema", "seeds")


class BuildWithPackage(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install finds the checkout itself
        target = Path(self.build_lib) / "seccoop" / "_package"
        if target.exists():
            shutil.rmtree(target)
        for name in BUNDLED:
            src = HERE / name
            if src.is_dir():
                shutil.copytree(src, target / name, ignore=shutil.ignore_patterns("__pycache__"))
            elif src.exists():
                target.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, target / name)


setup(cmdclass={"build_py": BuildWithPackage})
