"""The schemas are the product: metaschema-valid, closed, documented, and equal to their codelists."""

from __future__ import annotations

import csv
import json

import pytest
from conftest import ROOT
from jsonschema import Draft202012Validator

SCHEMAS = sorted((ROOT / "schema").glob("*.schema.json"))


@pytest.mark.parametrize("path", SCHEMAS, ids=lambda p: p.name)
def test_schema_passes_metaschema(path):
    Draft202012Validator.check_schema(json.loads(path.read_text(encoding="utf-8")))


def _walk(node, where="#"):
    """Every mapping in a schema, with its JSON pointer."""
    if isinstance(node, dict):
        yield where, node
        for key, value in node.items():
            yield from _walk(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{where}/{i}")


def _objects(doc):
    return ((w, n) for w, n in _walk(doc) if n.get("type") == "object" or "properties" in n)


def _enums(doc):
    return ((w, n) for w, n in _walk(doc) if "codelist" in n and "enum" in n)


@pytest.mark.parametrize("path", [p for p in SCHEMAS if p.name != "seccoop.schema.json"], ids=lambda p: p.name)
def test_every_property_is_documented_and_objects_are_closed(path):
    doc = json.loads(path.read_text(encoding="utf-8"))
    for where, obj in _objects(doc):
        if "properties" not in obj or where.endswith("/if"):  # a condition on a field, not an object
            continue
        if where.split("/")[-1] != "contains" and "/contains" not in where:
            assert obj.get("additionalProperties") is False, where
        for name, prop in obj["properties"].items():
            if "/contains" in where:
                continue
            assert prop.get("title") and prop.get("description"), f"{path.name} {where}/{name}"


def test_each_enum_equals_its_codelist():
    seen = set()
    for path in SCHEMAS:
        for where, prop in _enums(json.loads(path.read_text(encoding="utf-8"))):
            with (ROOT / "schema" / "codelists" / prop["codelist"]).open(encoding="utf-8", newline="") as f:
                codes = [row["code"] for row in csv.DictReader(f)]
            assert [c for c in prop["enum"] if c is not None] == codes, f"{path.name} {where}"
            seen.add(prop["codelist"])
    listed = {p.name for p in (ROOT / "schema" / "codelists").glob("*.csv")}
    assert listed == seen, f"codelists no schema uses: {listed - seen}"


@pytest.mark.parametrize("path", sorted((ROOT / "schema" / "codelists").glob("*.csv")), ids=lambda p: p.name)
def test_codelists_are_documented(path):
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows and list(rows[0])[:3] == ["code", "title", "description"]
    for row in rows:
        assert row["code"] and row["title"] and row["description"], row


def test_event_types_are_a_vocabulary_for_security_crises_mapped_to_the_anchors():
    with (ROOT / "schema" / "codelists" / "event-types.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) >= 30 and rows[-1]["code"] == "other"
    for row in rows:
        assert row["kind"] in ("happening", "state"), row
        assert row["cameo_code"] == "" or row["cameo_code"].isdigit(), row  # empty where CAMEO has none
    mapped = [r for r in rows if r["plover_type"] or r["acled_sub_event_type"] or r["cameo_code"]]
    assert len(mapped) >= 25
    # each state is a state of something that happens: what starts it is a type of its own
    assert {r["code"] for r in rows if r["kind"] == "state"} >= {"hostages-held", "curfew", "state-of-emergency"}
    with (ROOT / "schema" / "codelists" / "relation-types.csv").open(encoding="utf-8", newline="") as f:
        ties = list(csv.DictReader(f))
    assert {r["kind"] for r in ties} == {"state"} and "holds-post" in {r["code"] for r in ties}


def test_a_resolution_may_settle_every_field_the_merge_compares_and_no_other():
    from seccoop.checks.accounts import RECORD_FIELDS, STATED_VALUES, WORDS

    doc = json.loads((ROOT / "schema" / "resolution.schema.json").read_text(encoding="utf-8"))
    merged = {f for group in (RECORD_FIELDS, STATED_VALUES, WORDS) for fields in group.values() for f in fields}
    assert set(doc["properties"]["field"]["enum"]) == merged | {"status", "date", "start", "end"}
