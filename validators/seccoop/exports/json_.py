"""`seccoop export --format json|jsonl`: the records, nested as data/seccoop.json holds them
(json), or one record a line with its kind (jsonl); all kinds, or the kinds chosen."""

from __future__ import annotations

import json

from seccoop.exports.errors import ExportRefused
from seccoop.exports.published import Published
from seccoop.exports.request import Request, emit
from seccoop.model.package import DOCUMENT, PLURAL
from seccoop.safety.write import Output


def _kinds(fmt: str, chosen: list[str]) -> list[str]:
    """The record kinds (plural) to export: those chosen, else all; a chosen name that is no
    kind is refused."""
    kinds = list(PLURAL.values())
    unknown = [t for t in chosen if t not in kinds]
    if unknown:
        raise ExportRefused(f"{fmt} exports record kinds; no kind {unknown[0]!r} (kinds: {', '.join(kinds)})")
    return chosen or kinds


def export_json(published: Published, request: Request) -> list[str]:
    """The nested document into --out or standard output."""
    _kinds("json", request.chosen)  # with no kind chosen, the published file as it is

    def write(output: Output) -> None:
        write_json(published, request.chosen, output)

    return emit({request.destination: write}, request.stdout)


def export_jsonl(published: Published, request: Request) -> list[str]:
    """One record a line, kind by kind in the order chosen, into --out or standard output."""
    kinds = _kinds("jsonl", request.chosen)

    def write(output: Output) -> None:
        write_jsonl(published, kinds, output)

    return emit({request.destination: write}, request.stdout)


def write_json(published: Published, chosen: list[str], output: Output) -> None:
    """The nested document: the published file itself, or only the chosen kinds in its layout."""
    if not chosen:
        with published.open_binary(published.package.root / DOCUMENT) as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                output.write(chunk)
        return
    by_kind: dict[str, list[dict]] = {k: [] for k in chosen}
    for plural, record in published.records(chosen):
        by_kind[plural].append(record)
    output.write((json.dumps(by_kind, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))


def write_jsonl(published: Published, kinds: list[str], output: Output) -> None:
    """Each record of the kinds given as one JSON line, its kind (singular) first."""
    kind_of = {plural: kind for kind, plural in PLURAL.items()}
    for plural in kinds:  # in the order asked for
        for _, record in published.records([plural]):
            line = json.dumps({"kind": kind_of[plural], **record}, ensure_ascii=False, separators=(",", ":"))
            output.write((line + "\n").encode("utf-8"))
