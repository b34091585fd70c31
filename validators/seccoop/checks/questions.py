"""Warnings: what a careful reviewer would ask about a record that passes every rule."""

from __future__ import annotations

from seccoop.checks.records import Dataset
from seccoop.checks.references import refs
from seccoop.model.report import Problem


def questions(dataset: Dataset) -> list[Problem]:
    """What a careful reviewer would ask about, once per record (at its first account)."""
    problems = []
    referenced = set()
    for kind in ("actor", "relation", "event", "commitment"):  # an actor another is part of is referenced
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
        with record.reading():  # its own rules: only its problems
            if record.data.get("type") == "other":  # a gap in the vocabulary, listed so that it shows
                account = next((a for a in record.accounts if a.data.get("note")), record.accounts[0])
                problems.append(
                    account.problem(
                        "type-other",
                        f"event `{record.id}` is coded `other`: {record.data.get('note') or 'no note'}",
                        "type" if "type" in account.data else "id",
                    )
                )
            if not record.data.get("participants") and not record.data.get("part_of"):
                problems.append(
                    record.accounts[0].problem(
                        "event-without-participants", f"event `{record.id}` has no participants", "id"
                    )
                )
    return problems
