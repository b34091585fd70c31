"""A curated record as the checks hold it, and the dataset of every record of a package."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from seccoop.model.load import CuratedFile
from seccoop.model.package import Package
from seccoop.model.report import Problem
from seccoop.model.schemas import Schemas


@dataclass(slots=True)
class Record:
    """A curated record and where it was written. Once its shape is checked, each span of
    `data["evidence"]` is a `Span`; once its evidence resolves, each has its `start` and `end`."""

    kind: str
    data: dict
    file: CuratedFile
    index: int

    @property
    def id(self) -> str:
        return self.data["id"]

    def problem(self, code: str, message: str, *path: Any, key: bool = False, **kw) -> Problem:
        return self.file.problem(code, message, (self.index, *path), key=key, **kw)


@dataclass
class Dataset:
    """Every record of a package by kind (in curated order), and the text of every source."""

    package: Package
    schemas: Schemas
    records: dict[str, list[Record]]
    texts: dict[str, str]
    # Ids of records held back by a shape error: references to them are not reported again.
    withheld: dict[str, str] = field(default_factory=dict)
    # Kinds with a file that could not be parsed: their ids are unknown, so are not reported.
    incomplete: set[str] = field(default_factory=set)
    # Every record of a good shape, before later checks held some back (for warnings).
    shaped: dict[str, list[Record]] = field(default_factory=dict)
    # Ids retired from use (data/curated/retired-ids.yaml), as records of kind "retired-id".
    retired: list[Record] = field(default_factory=list)
    # Retired id -> the id that replaced it (None: withdrawn), chains already followed.
    successors: dict[str, str | None] = field(default_factory=dict)
    # The published records, merged from their accounts (docs/accounts.md), by kind.
    merged: dict[str, list] = field(default_factory=dict)
    possibly_same: list[dict] = field(default_factory=list)
    # Source id -> `included` or `withheld`, for every source whose text checked out or is absent.
    rights: dict[str, str] = field(default_factory=dict)
    lengths: dict[str, int] = field(default_factory=dict)  # of each of those texts, in code points
    # Withheld sources whose text is not in the texts folder: their spans are not verified.
    absent: set[str] = field(default_factory=set)
    # Spans of absent texts, by source id: how many a check could not verify.
    unverified: dict[str, list[dict]] = field(default_factory=dict)
    # Absent texts' fetched copies (`seccoop texts fetch`), by source id: the copy, and the folded
    # fingerprint of each span the package publishes, by span id (docs/fetch.md).
    fetched: dict[str, tuple[Any, dict[str, tuple[str, int]]]] = field(default_factory=dict)
    # Each span's locator (data/curated/locators.yaml, checks/locators.py), by span id.
    locators: dict[str, Any] = field(default_factory=dict)
    # The part of the package checked (`seccoop.incremental.scope.Scope`), or None: all of it.
    scope: Any = None
    # The record whose rows a table is yielding (set by `published.tables`, read by
    # `published.render`, which notes each table's row owners: where an edit's rows go among others)
    owner: Any = None

    def successor(self, id_: str) -> str:
        """The id a record is published under: itself, or what replaced it (same as)."""
        return self.successors.get(id_) or id_
