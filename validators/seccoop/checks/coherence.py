"""Checks of what the published records say together, once their accounts are merged: an event
or an actor that is part of itself through a chain of `part_of` (an error), and one actor in two roles of one
event that exclude each other (a warning). Each problem is reported at the account that states it,
so the curator sees the line to change."""

from __future__ import annotations

from seccoop.checks.accounts import a_kind
from seccoop.checks.records import Record
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


def _part_of_cycles(dataset, kind: str) -> list[Problem]:
    """A record part of itself through a chain of `part_of`, as any account states it: the links
    of every account count, merged or not, so that a record held back by another error (a merge
    that brought two names together) cannot hide a cycle it closes."""
    stating: dict[str, dict[str, Record]] = {}  # record -> what it is part of -> the first account saying so
    for account in dataset.records.get(kind, ()):
        parent = account.data.get("part_of")
        if parent is not None:
            stating.setdefault(account.id, {}).setdefault(parent, account)
    problems, reported = [], set()
    for cycle in _cycles({id_: list(parents) for id_, parents in stating.items()}):
        if frozenset(cycle) in reported:
            continue
        reported.add(frozenset(cycle))
        first = cycle.index(min(cycle))  # once per cycle, at the record whose id sorts first
        cycle = cycle[first:] + cycle[:first]
        account = stating[cycle[0]][cycle[1 % len(cycle)]]
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


def _cycles(parents: dict[str, list[str]]) -> list[list[str]]:
    """The cycles of a graph (each found once, as the path that closes it), by a depth-first walk
    in sorted order, so that the same graph gives the same cycles."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    found = []
    for start in sorted(parents):
        if start in state:
            continue
        path, stack = [], [(start, iter(sorted(parents.get(start, ()))))]
        state[start] = 1
        path.append(start)
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                path.pop()
                state[node] = 2
            elif state.get(child) == 1:
                found.append(path[path.index(child) :])
            elif child not in state:
                state[child] = 1
                path.append(child)
                stack.append((child, iter(sorted(parents.get(child, ())))))
    return found


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
