"""Warnings: what a careful reviewer would ask about a record that passes every rule."""

from __future__ import annotations

from seccoop.checks.records import Dataset
from seccoop.checks.references import refs
from seccoop.model.report import Problem


def questions(dataset: Dataset) -> list[Problem]:
    """What a careful reviewer would ask about, once per record (at its first account)."""
    problems = []
    referenced = set()
    for kind in ("relation", "event", "commitment"):
        for record in dataset.shaped[kind]:
            referenced.update(dataset.successor(ref) for _, ref, expected in refs(record) if expected == "actor")
    # An actor's references may sit in a record held back by an error: judge only a whole picture.
    partial = {"relation", "event", "commitment"} & (dataset.incomplete | set(dataset.withheld.values()))
    for record in [] if partial else dataset.merged.get("actor", ()):
        if record.id not in referenced:
            problems.append(
                record.accounts[0].problem(
                    "actor-unreferenced", f"no relation, event or commitment refers to actor `{record.id}`", "id"
                )
            )
    for record in dataset.merged.get("event", ()):
        if not record.data.get("participants") and not record.data.get("part_of"):
            problems.append(
                record.accounts[0].problem(
                    "event-without-participants", f"event `{record.id}` has no participants", "id"
                )
            )
    return problems
