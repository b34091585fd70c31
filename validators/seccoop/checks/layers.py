"""The checks of the flow, layer by layer: shape, identity, sources, references, evidence, time.

`load_dataset` reads and checks every curated file of a package and returns a `Dataset` (the
records that can be published, with their evidence pinned to offsets) and every problem found.
"""

from __future__ import annotations

from seccoop.checks.accounts import merge_accounts
from seccoop.checks.coherence import check_coherence
from seccoop.checks.dates import check_time
from seccoop.checks.evidence import Span
from seccoop.checks.ids import check_identity
from seccoop.checks.places import check_places
from seccoop.checks.questions import questions
from seccoop.checks.records import Dataset, Record
from seccoop.checks.references import check_references, references_of_broken
from seccoop.checks.retired import check_successors, load_retired
from seccoop.checks.shape import shape_problems
from seccoop.checks.sources import check_sources
from seccoop.checks.spans import check_evidence
from seccoop.model.load import load_file, shared_scalars
from seccoop.model.memory import compact, note_record
from seccoop.model.package import KINDS, Package, kind_of
from seccoop.model.report import Problem
from seccoop.model.schemas import Schemas


def load_dataset(
    package: Package, schemas: Schemas, keep_texts: bool = True, parsed=None, scope=None
) -> tuple[Dataset, list[Problem]]:
    """Load every curated file of a package and check it layer by layer. Records with a problem
    are held back from later layers (and their ids remembered, so that references to them are
    not reported again); what remains can be published. Without `keep_texts`, the sources'
    texts are let go once the evidence is checked (`dataset.texts` is then empty). `parsed`, a
    `cache.ParsedFiles`, gives the parse of files that did not change since an earlier check.
    With a `scope` (`seccoop.incremental.scope.Scope`), only the files and register entries in it are read:
    the part of the package an edit can reach (docs/cache.md)."""
    problems: list[Problem] = []
    records: dict[str, list[Record]] = {kind: [] for kind in KINDS}
    withheld: dict[str, str] = {}
    incomplete: set[str] = set()
    broken: list[tuple[Record, set[str | None]]] = []  # records held back by their shape, and where
    validators = schemas.validators
    for kind in KINDS:
        validator = validators[kind]
        for path in _curated_files(package, kind, scope):
            rel = package.rel(path)
            cf, found = parsed.load(path, rel, package.root) if parsed else load_file(path, rel, root=package.root)
            problems += found
            if not cf.parsed and any(p.severity == "error" for p in found):
                incomplete.add(kind)
            withheld.update((id_, kind) for id_ in cf.withheld)
            for i, data in cf.records:
                record = Record(kind, data, cf, i)
                shape = list(shape_problems(record, validator, schemas))
                problems += shape
                if not shape:
                    if kind == "source":  # a source may quote nothing of itself (no first line)
                        data.setdefault("evidence", [])
                    spans = data["evidence"]  # compact now, so the next files reuse the dicts' memory
                    spans[:] = [Span(**span) for span in spans]
                    if scope is None:  # held to the end of a whole check: in less memory
                        record.data = compact(data)
                        note_record(kind, record.data)
                    records[kind].append(record)
                else:
                    if isinstance(data.get("id"), str):
                        withheld[data["id"]] = kind
                    broken.append((record, {p.path for p in shape}))
            cf.records = []  # the Records hold them now; at 100k events the pairs weigh ~30 MB
    shared_scalars.clear()  # the records hold the shared strings themselves now
    dataset = Dataset(
        package,
        schemas,
        records,
        {},
        withheld,
        incomplete,
        {kind: list(rs) for kind, rs in records.items()},
        scope=scope,
    )
    problems += load_retired(dataset)
    by_id, found = check_identity(dataset)
    problems += found
    problems += check_sources(dataset)
    problems += check_references(dataset, by_id)
    problems += references_of_broken(dataset, by_id, broken)
    del by_id  # an entry for every account: let it go before the records are merged
    problems += check_evidence(dataset)
    if not keep_texts:  # nothing later reads them: about 110 MB at 100k events
        dataset.texts.clear()
    problems += check_time(dataset)
    problems += check_places(dataset)
    problems += merge_accounts(dataset)
    problems += check_coherence(dataset)
    if not any(p.severity == "error" for p in problems):
        # Spans and quantities are known only once every account resolved and merged.
        problems += check_successors(dataset)
    problems += questions(dataset)
    return dataset, problems


def _curated_files(package: Package, kind: str, scope) -> list:
    if scope is None:
        return package.curated_files(kind)

    return [
        package.root / rel for rel, _ in sorted(scope.files.items(), key=lambda item: item[1]) if kind_of(rel) == kind
    ]
