"""The flow shared by `check`, `build` and `export`: curated YAML to checked records to derived files."""

from __future__ import annotations

from dataclasses import dataclass

from .build import load_metadata, render
from .checks import Dataset, load_dataset
from .package import Package
from .report import Problem
from .schemas import Schemas


@dataclass
class Outcome:
    package: Package
    dataset: Dataset
    problems: list[Problem]
    files: dict[str, bytes] | None  # the derived files, when the curated data has no errors

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


def run(package: Package) -> Outcome:
    """Load and check everything curated, and render the derived files if nothing is wrong.
    Raises SchemaBroken when seccoop's own schemas are unusable."""
    schemas = Schemas(package.schema)
    dataset, problems = load_dataset(package, schemas)
    meta, meta_problems = load_metadata(package)
    problems += meta_problems
    files = None
    if not any(p.severity == "error" for p in problems):
        files = render(dataset, meta)
    return Outcome(package, dataset, problems, files)
