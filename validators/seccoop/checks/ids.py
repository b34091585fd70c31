"""Identity: each id names one record of one kind, and each account of a record agrees on its kind."""

from __future__ import annotations

from seccoop.checks.accounts import a_kind
from seccoop.checks.records import Dataset, Record
from seccoop.model.package import KINDS, PLURAL
from seccoop.model.report import Problem


def check_identity(dataset: Dataset) -> tuple[dict[str, Record], list[Problem]]:
    """Accounts: each cites one source, sits in its source's file (or a kind's top-level file),
    and is the only account of its record from that source; an id names records of one kind.
    An account written with a retired id is read as its successor's (same as)."""
    by_id: dict[str, Record] = {}
    given: dict[tuple[str, str], Record] = {}
    source_ids = {r.id for r in dataset.shaped["source"]}
    written_kind: dict[str, str] = {}
    for kind in KINDS:
        for record in dataset.records[kind]:
            written_kind.setdefault(record.id, kind)
    problems = []
    for kind in KINDS:
        kept = []
        folder = dataset.package.curated / PLURAL[kind]
        for record in dataset.records[kind]:
            written = record.id
            if written in dataset.withheld and dataset.withheld[written] == "retired-id":
                continue  # an id in a cycle of retired ids: reported at the register
            if written in dataset.successors:
                successor = dataset.successors[written]
                if successor is not None and written_kind.get(successor, kind) != kind:
                    problems.append(
                        record.problem(
                            "ref-wrong-kind",
                            f"`{written}` is retired as the same as `{successor}`, which is "
                            f"{a_kind(written_kind[successor])}; "
                            f"this account is of {a_kind(kind)}",
                            "id",
                            hint="Fix replaced_by in data/curated/retired-ids.yaml, or the id of this account.",
                        )
                    )
                    continue
                if successor is None or kind == "source":
                    entry = next(r for r in dataset.retired if r.id == written)
                    problems.append(
                        record.problem(
                            "id-retired",
                            f"id `{written}` was retired in {entry.data['version']} "
                            f"({entry.data['reason']}); ids are never reused",
                            "id",
                        )
                    )
                    continue
                record.data["id"] = dataset.successors[written]  # same as: the successor's account
            if kind != "source":
                sources = list(dict.fromkeys(span["source"] for span in record.data["evidence"]))
                if len(sources) > 1:
                    i = next(i for i, span in enumerate(record.data["evidence"]) if span["source"] != sources[0])
                    problems.append(
                        record.problem(
                            "account-sources",
                            f"this account of `{record.id}` cites {sources[0]} and "
                            f"{sources[1]}; an account states what one source says",
                            "evidence",
                            i,
                            "source",
                            hint=f"Move the spans of {sources[1]} into an account of `{record.id}` in "
                            f"data/curated/{PLURAL[kind]}/{sources[1]}.yaml.",
                        )
                    )
                    continue
                # A file named for a source holds that source's accounts only (other names are free).
                # (cheapest test first: almost every account is in its own source's file)
                stem = record.file.path.stem
                home = stem != sources[0] and stem in source_ids and record.file.path.is_relative_to(folder)
                if home:
                    problems.append(
                        record.problem(
                            "account-file",
                            f"an account citing {sources[0]} is in {record.file.display}, the file "
                            f"of source `{record.file.path.stem}`",
                            "evidence",
                            0,
                            "source",
                            hint=f"Move it to data/curated/{PLURAL[kind]}/{sources[0]}.yaml: each source's "
                            "accounts live in that source's own files.",
                        )
                    )
                    continue
                twice = given.get((record.id, sources[0]))
                if twice is not None:
                    line, _ = twice.file.locate((twice.index, "id"))
                    problems.append(
                        record.problem(
                            "id-duplicate",
                            f"{sources[0]} already gives an account of `{record.id}` at {twice.file.display}:{line}",
                            "id",
                            hint="One account per record and source: merge the two entries into one.",
                        )
                    )
                    continue
                given[(record.id, sources[0])] = record
            first = by_id.get(record.id)
            if first is not None and (first.kind != kind or kind == "source"):
                line, _ = first.file.locate((first.index, "id"))
                problems.append(
                    record.problem(
                        "id-duplicate",
                        f"id `{record.id}` is already used by {a_kind(first.kind)} at {first.file.display}:{line}",
                        "id",
                        hint="An id names one record of one kind; pick a new id (ids are never reused).",
                    )
                )
                continue
            by_id.setdefault(record.id, record)
            kept.append(record)
        dataset.records[kind] = kept
    return by_id, problems
