"""Codelists are tables of the package (issue 14): read in place from schema/codelists/, declared
in datapackage.json with their Table Schemas, every coded column a foreign key to one, and the
event type's CAMEO and PLOVER mappings on every event."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

from conftest import ROOT, invoke


def _descriptor() -> dict:
    return json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))


def test_every_codelist_is_a_resource_read_in_place():
    resources = {r["name"]: r for r in _descriptor()["resources"]}
    files = sorted(p.name for p in (ROOT / "schema" / "codelists").glob("*.csv"))
    assert len(files) >= 12
    for name in files:
        resource = resources[name.removesuffix(".csv").replace("-", "_")]
        assert resource["path"] == f"schema/codelists/{name}"
        assert resource["schema"]["primaryKey"] == ["code"]
        with open(ROOT / resource["path"], newline="", encoding="utf-8") as f:
            assert [field["name"] for field in resource["schema"]["fields"]] == next(csv.reader(f))
        assert all(field["description"] for field in resource["schema"]["fields"])


def test_every_coded_column_is_a_foreign_key_to_its_codelist():
    resources = {r["name"]: r for r in _descriptor()["resources"]}
    pointing = {
        (r["name"], fk["fields"][0]): fk["reference"]["resource"]
        for r in resources.values()
        if "schema" in r
        for fk in r["schema"].get("foreignKeys", ())
    }
    for table, column, codelist in (
        ("events", "type", "event_types"),
        ("events", "status", "event_statuses"),
        ("event_participants", "role", "participant_roles"),
        ("commitments", "strength", "commitment_strengths"),
        ("actors", "type", "actor_types"),
        ("relations", "type", "relation_types"),
        ("sources", "text", "text_rights"),
        ("account_events", "type", "event_types"),
    ):
        assert pointing[(table, column)] == codelist, (table, column)


def test_events_and_events_flat_carry_the_cameo_and_plover_mappings():
    with open(ROOT / "schema" / "codelists" / "event-types.csv", newline="", encoding="utf-8") as f:
        mapping = {r["code"]: (r["cameo_code"], r["plover_type"], r["plover_mode"]) for r in csv.DictReader(f)}
    with open(ROOT / "data" / "events.csv", newline="", encoding="utf-8") as f:
        events = list(csv.DictReader(f))
    assert events
    for e in events:
        assert (e["cameo_code"], e["plover_type"], e["plover_mode"]) == mapping[e["type"]]
    flat = invoke("export", "--format", "csv", "--table", "events_flat")
    rows = list(csv.DictReader(flat.stdout.splitlines()))
    assert [(r["id"], r["cameo_code"], r["plover_type"]) for r in rows] == [
        (e["id"], e["cameo_code"], e["plover_type"]) for e in events
    ]
    with open(ROOT / "data" / "account_events.csv", newline="", encoding="utf-8") as f:
        assert "cameo_code" not in next(csv.reader(f))  # an account's type is the record's


def test_frictionless_rejects_an_event_type_missing_from_the_codelist(real_package):
    events = real_package / "data" / "events.csv"
    events.write_text(events.read_text(encoding="utf-8").replace(",visit,", ",parade,", 1), encoding="utf-8")
    descriptor = json.loads((real_package / "datapackage.json").read_text(encoding="utf-8"))
    for resource in descriptor["resources"]:  # only the value is wrong, not the file's recorded size and hash
        if resource["name"] == "events":
            del resource["bytes"], resource["hash"]
    (real_package / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "frictionless", "validate", "--type", "package", "--json", "datapackage.json"],
        cwd=real_package,
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads(result.stdout)
    assert report["valid"] is False
    errors = [e for task in report["tasks"] for e in task["errors"] if task["name"] == "events"]
    assert {e["type"] for e in errors} == {"constraint-error", "foreign-key"}
    assert all(e["cells"][1] == "parade" for e in errors if e["type"] == "foreign-key")


def test_the_sqlite_export_has_every_codelist_with_its_keys(tmp_path):
    import sqlite3

    out = tmp_path / "db.sqlite"
    assert invoke("export", "--format", "sqlite", "--out", str(out)).returncode == 0
    with sqlite3.connect(out) as db:
        assert db.execute("SELECT cameo_code FROM event_types WHERE code = 'visit'").fetchone() == ("042",)
        keys = {(row[3], row[2]) for row in db.execute("PRAGMA foreign_key_list(events)")}
        assert ("type", "event_types") in keys
        assert (
            db.execute("SELECT count(*) FROM events JOIN event_types ON events.type = event_types.code").fetchone()[0]
            == db.execute("SELECT count(*) FROM events").fetchone()[0]
        )


def test_seccoop_reports_it_the_same_whether_frictionless_runs_in_workers_or_not(real_package, monkeypatch):
    """A large package is validated one resource at a time, each in a forked worker (their
    foreign-key lookups never add up); a small one in this process. Both say the same."""
    import importlib

    from seccoop.model.package import Package

    published = importlib.import_module("seccoop.incremental.published")
    validation = importlib.import_module("seccoop.published.validation")

    events = real_package / "data" / "events.csv"
    events.write_text(events.read_text(encoding="utf-8").replace(",visit,", ",parade,", 1), encoding="utf-8")
    package = Package(real_package)
    in_process = published.validate_published(package)
    forked = []
    real_fork = validation.in_background
    monkeypatch.setattr(validation, "worth_a_process", lambda package: True)
    monkeypatch.setattr(validation, "in_background", lambda *a, **kw: forked.append(a[0]) or real_fork(*a, **kw))
    in_workers = published.validate_published(package)
    resources = json.loads((real_package / "datapackage.json").read_text(encoding="utf-8"))["resources"]
    assert len(forked) == len([r for r in resources if r["type"] != "text"])  # texts: seccoop checks them
    assert [p.as_dict() for p in in_workers] == [p.as_dict() for p in in_process]
    messages = [p.message for p in in_workers if p.file == "data/events.csv"]
    assert any(m.startswith("foreign-key:") and "parade" in m for m in messages)
    assert any(p.file == "data/events.csv" and "hash" in p.message for p in in_workers)  # its bytes changed too
