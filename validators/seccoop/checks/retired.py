"""Retired ids: each retired once, successor chains followed, and what replaced an id published."""

from __future__ import annotations

from seccoop.checks.accounts import quantities_of, span_id
from seccoop.checks.records import Dataset
from seccoop.checks.registers import load_register
from seccoop.model.report import Problem

RETIRED = "retired-ids.yaml"


_RECORD_TABLES = ("records", "sources", "actors", "relations", "events", "commitments")


def load_retired(dataset: Dataset) -> list[Problem]:
    """The register of retired ids: each retired once, and each successor chain followed to the
    id in use (a cycle is an error)."""
    entries, problems = load_register(dataset, RETIRED, "retired-id")
    replaced: dict[str, str | None] = {}
    seen: set[tuple[str, str]] = set()
    for entry in entries:
        data = entry.data
        table = data.setdefault("table", "records")
        if (entry.id, table) in seen:
            problems.append(entry.problem("id-duplicate", f"id `{entry.id}` of {table} is retired twice", "id"))
            continue
        seen.add((entry.id, table))
        if table in _RECORD_TABLES:  # only a record id is followed: same as
            replaced[entry.id] = data.get("replaced_by")
        dataset.retired.append(entry)
    in_cycle: set[str] = set()
    for entry in dataset.retired:
        if entry.id not in replaced:
            continue
        path, here = [entry.id], replaced[entry.id]
        while here in replaced:
            if here in path:
                cycle = path[path.index(here) :]
                if not in_cycle & set(cycle):  # one report for one cycle
                    problems.append(
                        entry.problem(
                            "id-retired",
                            f"retired ids replace each other in a cycle ({' -> '.join([*cycle, here])})",
                            "replaced_by",
                            hint="Point replaced_by at an id in use.",
                        )
                    )
                in_cycle.update(cycle)
                here = None
                break
            path.append(here)
            here = replaced[here]
        dataset.successors[entry.id] = here
    # Accounts and references written with an id of the cycle were reported with the cycle.
    dataset.withheld.update((id_, "retired-id") for id_ in in_cycle)
    return problems


def check_successors(dataset: Dataset) -> list[Problem]:
    """What replaced a retired id is published: a record, a span or a quantity."""
    wanted = {entry.data.get("replaced_by") for entry in dataset.retired} - {None}
    if dataset.incomplete or not wanted:
        return []
    published = set()  # the wanted ids that are published (a set of every span id is 100 MB at 100k events)

    def publish(ids):
        published.update(id_ for id_ in ids if id_ in wanted)

    publish(r.id for r in dataset.records["source"])
    publish(dataset.withheld)
    for records in dataset.merged.values():
        for record in records:
            publish((record.id,))
            publish(span_id(s) for s in record.data["evidence"])
            publish(q for q, _ in quantities_of(record))
    publish(span_id(s) for r in dataset.records["source"] for s in r.data["evidence"])
    # A successor held back by its own error was reported there.
    publish(r.id for records in dataset.shaped.values() for r in records)
    # A successor retired since (a span of 0.2.0 that replaced a positional id of 0.1.0) was
    # published once, and its own entry says what replaced it: a chain a reader follows.
    publish(entry.id for entry in dataset.retired)
    problems = []
    for entry in dataset.retired:
        replaced_by = entry.data.get("replaced_by")
        if replaced_by is not None and replaced_by not in published:
            problems.append(entry.problem("ref-unknown", f"nothing published has id `{replaced_by}`", "replaced_by"))
    return problems
