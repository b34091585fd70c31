"""The curator's registers (retired ids, resolutions, possibly-same links): loaded and shape-checked."""

from __future__ import annotations

import copy

from seccoop.checks.records import Dataset, Record
from seccoop.checks.shape import shape_problems
from seccoop.model.load import load_file
from seccoop.model.report import Problem


def load_register(dataset: Dataset, name: str, kind: str) -> tuple[list[Record], list[Problem]]:
    """The entries of a curated register of the curator's (retired ids, resolutions, possibly-same
    links) whose shape is right, and the problems of the others. A package that has never needed
    the register need not have its file."""
    path = dataset.package.curated / name
    if not path.exists() and not path.is_symlink():
        return [], []
    scope = dataset.scope
    if scope is not None and name in scope.loaded:  # read once for the runs of a scope
        cf, problems = copy.copy(scope.loaded[name][0]), list(scope.loaded[name][1])
        wanted = scope.registers.get(name, ())  # each run gets its own copy: checks fill in defaults
        cf.records = copy.deepcopy([(i, data) for i, data in cf.records if i in wanted])
    else:
        cf, problems = load_file(path, dataset.package.rel(path), root=dataset.package.root)
    validator = dataset.schemas.validators[kind]
    entries = []
    if scope is not None:  # only the entries an edit can reach (their problems too)
        cf.records = [(i, data) for i, data in cf.records if i in scope.registers.get(name, ())]
    for i, data in cf.records:
        entry = Record(kind, data, cf, i)
        shape = list(shape_problems(entry, validator, dataset.schemas))
        problems += shape
        if not shape:
            entries.append(entry)
    return entries, problems
