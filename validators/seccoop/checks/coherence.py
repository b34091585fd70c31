"""Checks of what the published records say together, once their accounts are merged: an event
or an actor that is part of itself through a chain of `part_of` (an error), and one actor in two roles of one
event that exclude each other (a warning). Each problem is reported at the account that states it,
so the curator sees the line to change."""

from __future__ import annotations

from seccoop.checks.accounts import a_kind
from seccoop.model.report import Problem

# Roles no actor plays together in one event: who starts an event is not who it is directed at,
# aimed against or harms, and whom it is meant to help is not whom it is aimed against or harms.
EXCLUSIVE_ROLES = tuple(
    frozenset(pair)
    for pair in (
        ("initiator", "recipient"),
        ("initiator", "target"),
        ("initiator", "victim"),
        ("beneficiary", "target"),
        ("beneficiary", "victim"),
    )
)


def check_coherence(dataset) -> list[Problem]:
    return _part_of_cycles(dataset, "event") + _part_of_cycles(dataset, "actor") + _exclusive_roles(dataset)


def _stating(record, field: str):
    """The first account of a merged record that gives `field`, else its first account."""
    return next((a for a in record.accounts if a.data.get(field) is not None), record.accounts[0])


def _part_of_cycles(dataset, kind: str) -> list[Problem]:
    events = {r.id: r for r in dataset.merged.get(kind, ())}
    parent = {id_: r.data["part_of"] for id_, r in events.items() if r.data.get("part_of")}
    problems, reported = [], set()
    for start in sorted(parent):
        chain, at, node = [], {}, start
        while node in parent and node not in at:
            at[node] = len(chain)
            chain.append(node)
            node = parent[node]
        if node not in at:
            continue  # the chain ends in a record that is part of nothing
        cycle = chain[at[node] :]
        if frozenset(cycle) in reported:
            continue
        reported.add(frozenset(cycle))
        first = cycle.index(min(cycle))  # once per cycle, at the record whose id sorts first
        cycle = cycle[first:] + cycle[:first]
        account = _stating(events[cycle[0]], "part_of")
        shown = " → ".join(f"`{e}`" for e in (*cycle, cycle[0]))
        problems.append(
            account.problem(
                f"{kind}-part-of-cycle",
                f"the {kind} is part of itself: {shown}",
                "part_of",
                hint=f"{a_kind(kind).capitalize()} is part of a larger one, never of itself, even through others: "
                "remove or change `part_of` on one of them.",
            )
        )
    return problems


def _exclusive_roles(dataset) -> list[Problem]:
    problems = []
    for record in dataset.merged.get("event", ()):
        roles: dict[str, set[str]] = {}
        for p in record.data.get("participants") or ():
            roles.setdefault(p["actor"], set()).add(p["role"])
        for actor, held in sorted(roles.items()):
            for pair in EXCLUSIVE_ROLES:
                if not pair <= held:
                    continue
                first, second = sorted(pair)
                # at the account that gives the actor the second of the two roles
                where = next(
                    (
                        (a, i)
                        for a in record.accounts
                        for i, p in enumerate(a.data.get("participants") or ())
                        if p["actor"] == actor and p["role"] == second
                    ),
                    None,
                )
                account, index = where if where else (record.accounts[0], None)
                path = ("participants", index, "role") if index is not None else ("participants",)
                problems.append(
                    account.problem(
                        "participant-roles-exclusive",
                        f"`{actor}` is both {first} and {second} of this event",
                        *path,
                        hint=f"One actor is rarely both {first} and {second} of one event: check that the "
                        "source says so, or give the other part to another actor.",
                    )
                )
    return problems
