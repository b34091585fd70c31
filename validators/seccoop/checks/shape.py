"""The first layer: each record's shape against its JSON Schema, said in the curator's terms."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import Any

from seccoop.checks.records import Record
from seccoop.model.load import json_path
from seccoop.model.report import Problem
from seccoop.model.schemas import Schemas


def shape_problems(record: Record, validator, schemas: Schemas) -> Iterator[Problem]:
    yield from _offset_types(record)
    if validator.is_valid(record.data):
        return
    errors = list(validator.detailed.iter_errors(record.data))
    required: set[tuple] = set()
    for error in errors:
        error = _best(error)
        if error.validator == "required":  # one error per missing field, each naming the same list
            where = tuple(error.absolute_path)
            if (where, *error.validator_value) not in required:  # the schema's list, or a rule's (`if` ... `then`)
                required.add((where, *error.validator_value))
                missing = [name for name in error.validator_value if name not in (error.instance or {})]
                for name in missing:
                    yield record.problem("schema-required", f"missing field `{name}`", *where)
            continue
        if error.validator == "dependentRequired":  # words given, their code not: `honorific`
            for name, needs in error.validator_value.items():
                for need in needs:
                    if name in (error.instance or {}) and need not in error.instance:
                        yield record.problem(
                            "schema-required",
                            f"missing field `{need}`: `{name}` is coded",
                            *error.absolute_path,
                            name,
                            hint=f"Give `{need}`, the code of these words (schema/codelists/); the words stay as "
                            "the source gives them, and accounts are compared by the code (docs/accounts.md).",
                        )
            continue
        yield _schema_problem(record, error, schemas)
    if not errors:  # the two validators disagree: never pass a record the fast one refused
        yield record.problem("schema-invalid", validator.fast_message(record.data))


def _offset_types(record: Record) -> Iterator[Problem]:
    """Offsets are whole numbers: JSON Schema counts 1.0 as an integer, but text is not indexed by it."""
    evidence = record.data.get("evidence")
    for i, span in enumerate(evidence if isinstance(evidence, list) else ()):
        for name in ("start", "end"):
            value = span.get(name) if isinstance(span, dict) else None
            if isinstance(value, float):
                yield record.problem(
                    "schema-type",
                    f"{_describe(value)} where integer is expected",
                    "evidence",
                    i,
                    name,
                    hint="Write an offset as a whole number, without a decimal point (`seccoop locate` lists them).",
                )


def _best(error):
    """For anyOf (a nullable field), the error of the branch that is not `null`."""
    while error.validator == "anyOf" and error.context:
        branches = [e for e in error.context if e.schema.get("type") != "null"]
        error = min(branches or error.context, key=lambda e: len(e.schema_path))
    return error


def _schema_problem(record: Record, error, schemas: Schemas) -> Problem:
    error = _best(error)
    path = tuple(error.absolute_path)
    where = json_path(path)
    value, kind = error.instance, error.validator
    field_name = path[-1] if path and isinstance(path[-1], str) else None
    if kind == "additionalProperties":
        allowed = list(error.schema.get("properties", {}))
        extra = sorted(set(value) - set(allowed))[0]
        close = difflib.get_close_matches(extra, allowed, n=1)
        hint = (
            f"Did you mean `{close[0]}`? Allowed fields: {', '.join(allowed)}."
            if close
            else f"Allowed fields: {', '.join(allowed)}."
        )
        if extra == "date" and "start" in allowed:  # a tie dated as in 0.2.0
            hint = (
                "A tie is a state: it holds on its source's date. Remove `date`; write `start` or `end` only where "
                "the source states when it began or ended (docs/accounts.md, States and happenings)."
            )
        return record.problem(
            "schema-additional-property", f"unknown field `{extra}`", *path, extra, key=True, hint=hint
        )
    if kind == "enum" and "codelist" in error.schema:
        codes = [c for c in error.validator_value if c is not None]
        close = difflib.get_close_matches(str(value), codes, n=3, cutoff=0.5)
        hint = (
            f"Did you mean {', '.join(f'`{c}`' for c in close)}? " if close else ""
        ) + f"Codes are listed in schema/codelists/{error.schema['codelist']}."
        return record.problem(
            "codelist-unknown",
            f"`{value}` is not a code of {error.schema['codelist']}{f' (field {field_name})' if field_name else ''}",
            *path,
            hint=hint,
        )
    if kind == "pattern" and path == ("id",):
        return record.problem("id-pattern", f"id `{value}` is not a lowercase slug", *path)
    if kind == "pattern":
        return record.problem("schema-pattern", f"`{value}` does not match {error.validator_value}", *path)
    if kind == "format":
        return record.problem("schema-format", f"`{value}` is not a valid {error.validator_value}", *path)
    if kind == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        hint = None
        if isinstance(value, (bool, int, float)) and "string" in expected:
            hint = "The value was read as a number or boolean; put it in quotes to keep it as text."
        return record.problem("schema-type", f"{_describe(value)} where {expected} is expected", *path, hint=hint)
    if kind == "contains":
        return record.problem("schema-committer", "no party has role `committer`", *path)
    return record.problem("schema-invalid", f"{error.message} (at {where})", *path)


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"boolean `{str(value).lower()}`"
    if isinstance(value, (int, float)):
        return f"number `{value}`"
    if value is None:
        return "empty value"
    if isinstance(value, str):
        return f"text `{value}`"
    return "a list" if isinstance(value, list) else "a mapping"
