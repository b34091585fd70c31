"""References: every id a record names is a record of the kind the field expects."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import Any

from seccoop.checks.records import Dataset, Record
from seccoop.model.load import json_path
from seccoop.model.memory import MAPPINGS
from seccoop.model.package import KINDS, PLURAL
from seccoop.model.report import Problem

# Which fields of an account point at which kind of record (docs/accounts.md): the one list the
# checks, the merge and the curator's identity tools follow.
REFERENCES = {
    "actor": (("part_of", "actor"),),
    "relation": (("subject", "actor"), ("object", "actor")),
    "event": (("part_of", "event"), ("attributed_to", "actor"), ("participants[].actor", "actor")),
    "commitment": (("made_in", "event"), ("attributed_to", "actor"), ("parties[].actor", "actor")),
}


def refs(record: Record) -> Iterator[tuple[tuple, str, str]]:
    """(path, id, expected kind) of every reference a record makes, evidence sources included."""
    data = record.data
    for spec, expected in REFERENCES.get(record.kind, ()):
        if spec.endswith("[].actor"):
            list_name = spec.split("[")[0]
            for i, item in enumerate(data.get(list_name) or ()):
                yield (list_name, i, "actor"), item["actor"], expected
        elif data.get(spec) is not None:
            yield (spec,), data[spec], expected
    for i, span in enumerate(data["evidence"]):
        yield ("evidence", i, "source"), span["source"], "source"
        if span.get("speaker") is not None:  # whose statement the span reports (docs/accounts.md)
            yield ("evidence", i, "speaker"), span["speaker"], "actor"


def _set(data: dict, path: tuple, value: Any) -> None:
    for step in path[:-1]:
        data = data[step]
    data[path[-1]] = value


def check_references(dataset: Dataset, by_id: dict[str, Record]) -> list[Problem]:
    problems = []
    hints = _Hints(dataset)
    for kind in KINDS:
        kept = []
        for record in dataset.records[kind]:
            ok = True
            for path, ref, expected in refs(record):
                if (successor := dataset.successors.get(ref)) is not None:
                    ref = successor  # same as: a reference follows the successor
                    _set(record.data, path, ref)
                target = by_id.get(ref)
                if target is None and (ref in dataset.withheld or expected in dataset.incomplete):
                    ok = False  # the record's own error, or its file's, was reported
                elif target is None:
                    problems.append(_ref_unknown(hints, record, path, ref, expected))
                    ok = False
                elif target.kind != expected or (expected == "source" and ref not in dataset.rights):
                    if target.kind != expected:
                        problems.append(
                            record.problem(
                                "ref-wrong-kind",
                                f"`{ref}` is a {target.kind}, but this field needs a {expected}",
                                *path,
                            )
                        )
                    ok = False  # a source whose document failed its checks was reported already
            if kind == "source" and any(s["source"] != record.id for s in record.data["evidence"]):
                i = next(i for i, s in enumerate(record.data["evidence"]) if s["source"] != record.id)
                problems.append(
                    record.problem(
                        "evidence-source-self",
                        f"source `{record.id}` cites `{record.data['evidence'][i]['source']}`",
                        "evidence",
                        i,
                        "source",
                    )
                )
                ok = False
            if ok:
                kept.append(record)
        dataset.records[kind] = kept
    return problems


class _Hints:
    """The nearest ids of a kind to an unknown reference, found once per distinct reference: a
    renamed or mistyped id is often cited by many records, and each search runs difflib over
    every id of the kind (0.7 s at 60k ids)."""

    def __init__(self, dataset: Dataset):
        self.dataset = dataset
        self.ids: dict[str, list[str]] = {}
        self.found: dict[tuple[str, str], list[str]] = {}

    def nearest(self, ref: str, expected: str) -> list[str]:
        found = self.found.get((expected, ref))
        if found is None:
            found = self.found[(expected, ref)] = difflib.get_close_matches(ref, self._ids(expected), n=3, cutoff=0.6)
        return found

    def _ids(self, kind: str) -> list[str]:
        ids = self.ids.get(kind)
        if ids is None:  # with a scope, the ids beyond it count too, as a whole check lists them
            scope = self.dataset.scope
            ids = [r.id for r in self.dataset.records[kind]] + (scope.outside_ids(kind) if scope is not None else [])
            ids = self.ids[kind] = list(dict.fromkeys(ids))  # a record told by several accounts once
        return ids


def _ref_unknown(hints: _Hints, record: Record, path: tuple, ref: str, expected: str) -> Problem:
    """`ref-unknown`, with the nearest ids of the kind expected as a hint."""
    close = hints.nearest(ref, expected)
    hint = (
        f"Did you mean {', '.join(f'`{c}`' for c in close)}?"
        if close
        else f"No {expected} has this id; add it to data/curated/{PLURAL[expected]}.yaml."
    )
    return record.problem("ref-unknown", f"no {expected} has id `{ref}`", *path, hint=hint)


def references_of_broken(
    dataset: Dataset, by_id: dict[str, Record], broken: list[tuple[Record, set[str | None]]]
) -> list[Problem]:
    """The references of a record held back by its shape that lie outside what is wrong with it:
    a bad code and a dangling reference on one record are independent, so both are reported in
    one run. A reference inside a part the schema refused is that part's problem, not reported."""
    problems: list[Problem] = []
    hints = _Hints(dataset)
    for record, wrong in broken:
        root = json_path((record.index,))
        covered = {p for p in wrong if p and p != root}  # a missing or extra field is the record's own
        for path, ref, expected in loose_refs(record):
            if _inside(covered, record, path) or ref in dataset.withheld or expected in dataset.incomplete:
                continue
            ref = dataset.successor(ref)
            target = by_id.get(ref)
            if target is None and ref not in dataset.withheld:
                problems.append(_ref_unknown(hints, record, path, ref, expected))
            elif target is not None and target.kind != expected:
                problems.append(
                    record.problem(
                        "ref-wrong-kind", f"`{ref}` is a {target.kind}, but this field needs a {expected}", *path
                    )
                )
    return problems


def _inside(covered: set[str], record: Record, path: tuple) -> bool:
    """Whether a place in a record lies in one of the parts (`covered`, JSON paths) the schema refused."""
    where = json_path((record.index, *path))
    return any(where == p or where.startswith(p + ".") or where.startswith(p + "[") for p in covered)


def loose_refs(record: Record) -> Iterator[tuple[tuple, str, str]]:
    """`refs` of a record whose shape may be wrong: only the references written as text where
    the schema puts them."""
    data = record.data
    for spec, expected in REFERENCES.get(record.kind, ()):
        if spec.endswith("[].actor"):
            list_name = spec.split("[")[0]
            items = data.get(list_name)
            for i, item in enumerate(items if isinstance(items, list) else ()):
                if isinstance(item, MAPPINGS) and isinstance(item.get("actor"), str):
                    yield (list_name, i, "actor"), item["actor"], expected
        elif isinstance(data.get(spec), str):
            yield (spec,), data[spec], expected
    spans = data.get("evidence")
    for i, span in enumerate(spans if isinstance(spans, list) else ()):
        if isinstance(span, MAPPINGS) and isinstance(span.get("source"), str):
            yield ("evidence", i, "source"), span["source"], "source"
