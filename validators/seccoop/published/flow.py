"""The flow shared by `check`, `build` and `export`: curated YAML to checked records to derived files."""

from __future__ import annotations

import gc
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass

from seccoop.checks.layers import load_dataset
from seccoop.checks.records import Dataset
from seccoop.model.memory import noting_reads
from seccoop.model.package import Package
from seccoop.model.report import Problem
from seccoop.model.schemas import Schemas
from seccoop.published.render import RowOwners, load_metadata, render
from seccoop.published.tables import table_schemas
from seccoop.safety.write import Output


@dataclass
class Outcome:
    package: Package
    dataset: Dataset
    problems: list[Problem]
    outputs: dict[str, Output] | None  # the derived files, when the curated data has no errors
    # by derived file, who yields its rows (`render.RowOwners`), where the run was asked to note it
    owners: dict[str, RowOwners] | None = None
    # each kind's fields that something beyond a record reads (`memory.Reads.by_kind`), where noted
    reads: dict[str, list[str]] | None = None


def run(
    package: Package,
    open_output: Callable[[str], Output] = lambda rel: Output(),
    keep_texts: bool = True,
    parsed=None,
    scope=None,
    schemas: Schemas | None = None,
    note_owners: bool = False,
) -> Outcome:
    """Load and check everything curated and, if nothing is wrong, render the derived files into
    `open_output(path)` (by default only counted and hashed). Raises SchemaBroken when seccoop's
    own schemas are unusable. Without `keep_texts`, `dataset.texts` is empty at the end. `parsed`
    (a `cache.ParsedFiles`) gives the parse of unchanged curated files; a `scope`
    (`seccoop.incremental.scope.Scope`) limits the flow to the part of the package an edit can reach, and the
    derived files rendered to its rows. With `note_owners`, the outcome says who yields each
    derived file's rows (`render.RowOwners`: a baseline's row places, a scope's rows)."""
    schemas = schemas or Schemas(package.schema)
    # Records are trees without cycles: the cyclic collector would only walk millions of objects
    # again and again while they load (about a tenth of the time at scale).
    collecting = gc.isenabled()
    gc.disable()
    # A whole check that may keep a baseline notes which fields are read beyond their record
    noting = noting_reads() if note_owners and scope is None else nullcontext(None)
    try:
        with noting as reads:
            dataset, problems = load_dataset(package, schemas, keep_texts, parsed, scope)
            meta, meta_problems = load_metadata(package)
            problems += meta_problems
            outputs, owners = None, None
            if not any(p.severity == "error" for p in problems):
                # Each table's Table Schema is derived once, from the JSON Schemas, before any row
                # is rendered; rendering only reads them (docs/architecture.md).
                owners = {} if note_owners else None
                outputs = render(dataset, meta, open_output, table_schemas(schemas), owners)
    finally:
        if collecting:
            gc.enable()
    return Outcome(package, dataset, problems, outputs, owners, reads.by_kind() if reads is not None else None)
