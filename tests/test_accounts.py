"""Many sources (docs/accounts.md), through the real command on a package of three documents the
tests own: two report one visit with different dates and participants, a third names its visitor
differently. Every account is kept, the merged record follows the rules, a disagreement the rules
cannot settle is reported at both places until resolved, and span ids depend on nothing but what
the spans are."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, included_source, invoke, run_cli, snapshot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

TEXTS = {
    "gamma": (
        " date 2024-04-01 Ruritanian police chief to visit Freedonia\n\n"
        "Ruritania's police chief Oskar Brandt will visit Freedonia next week, the interior ministry said. "
        "Brandt will meet border officials."
    ),
    "delta": (
        " date 2024-04-10 Brandt arrives in Freedonia\n\n"
        "Police chief O. Brandt arrived in Freedonia on Tuesday with two deputies. "
        "He met Freedonia's interior minister."
    ),
    "epsilon": (
        " date 2024-04-12 Freedonia hosts Ruritanian police\n\n"
        "Commissioner Brandt held talks in Freedonia on 9 April, officials said."
    ),
}

SOURCES = [included_source(name, text) for name, text in TEXTS.items()]

ACCOUNTS = {
    "actors/gamma.yaml": [
        {
            "id": "oskar-brandt",
            "name": "Oskar Brandt",
            "type": "person",
            "honorific": "police chief",
            "honorific_code": "chief",
            "aliases": ["Oskar Brandt"],
            "evidence": [{"source": "gamma", "quote": "police chief Oskar Brandt"}],
        },
        {
            "id": "freedonia",
            "name": "Freedonia",
            "type": "state",
            "evidence": [{"source": "gamma", "quote": "Freedonia next week"}],
        },
    ],
    "actors/delta.yaml": [
        {
            "id": "oskar-brandt",
            "aliases": ["O. Brandt"],
            "honorific": "police chief",
            "honorific_code": "chief",
            "evidence": [{"source": "delta", "quote": "Police chief O. Brandt"}],
        },
        {
            "id": "brandt-deputies",
            "name": "two deputies",
            "type": "collective",
            "evidence": [{"source": "delta", "quote": "two deputies"}],
        },
        {"id": "freedonia", "evidence": [{"source": "delta", "quote": "arrived in Freedonia"}]},
    ],
    "actors/epsilon.yaml": [
        {
            "id": "brandt",
            "name": "Commissioner Brandt",
            "type": "person",
            "honorific": "Commissioner",
            "honorific_code": "commissioner",
            "evidence": [{"source": "epsilon", "quote": "Commissioner Brandt"}],
        },
        {"id": "freedonia", "evidence": [{"source": "epsilon", "quote": "talks in Freedonia"}]},
    ],
    "events/gamma.yaml": [
        {
            "id": "brandt-visit-freedonia",
            "type": "visit",
            "summary": "Oskar Brandt visits Freedonia.",
            "status": "planned",
            "date": {"earliest": "2024-04-08", "latest": "2024-04-14", "precision": "range"},
            "participants": [
                {"actor": "oskar-brandt", "role": "initiator"},
                {"actor": "freedonia", "role": "recipient"},
            ],
            "evidence": [{"source": "gamma", "quote": "will visit Freedonia next week"}],
        },
    ],
    "events/delta.yaml": [
        {
            "id": "brandt-visit-freedonia",
            "status": "occurred",
            "date": {"earliest": "2024-04-09", "latest": "2024-04-09", "precision": "day"},
            "participants": [
                {"actor": "oskar-brandt", "role": "initiator"},
                {"actor": "brandt-deputies", "role": "initiator"},
            ],
            "evidence": [{"source": "delta", "quote": "arrived in Freedonia on Tuesday with two deputies"}],
        },
    ],
    "events/epsilon.yaml": [
        {
            "id": "brandt-talks-freedonia",
            "type": "consultation",
            "summary": "Brandt held talks in Freedonia.",
            "status": "occurred",
            "date": {"earliest": "2024-04-09", "latest": "2024-04-09", "precision": "day"},
            "participants": [{"actor": "brandt", "role": "initiator"}, {"actor": "freedonia", "role": "recipient"}],
            "evidence": [{"source": "epsilon", "quote": "held talks in Freedonia on 9 April"}],
        },
    ],
}


def _dump(path: Path, value) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(value, allow_unicode=True, sort_keys=False), encoding="utf-8")


@pytest.fixture
def three(tmp_path) -> Path:
    """The three-document package, built."""
    pkg = tmp_path / "three"
    shutil.copytree(ROOT / "schema", pkg / "schema")
    (pkg / "seeds").mkdir(parents=True)
    for name, text in TEXTS.items():
        (pkg / "seeds" / f"{name}.txt").write_bytes(text.encode("utf-8"))
    curated = pkg / "data" / "curated"
    _dump(curated / "sources.yaml", SOURCES)
    for kind in ("actors", "relations", "events", "commitments"):
        _dump(curated / f"{kind}.yaml", [])
    for rel, accounts in ACCOUNTS.items():
        _dump(curated / rel, accounts)
    _dump(curated / "retired-ids.yaml", [])
    shutil.copy(ROOT / "tests" / "fixtures" / "base" / "data" / "curated" / "package.yaml", curated / "package.yaml")
    built = invoke("build", str(pkg))
    assert built.returncode == 0, built.stderr
    return pkg


def _rows(pkg: Path, table: str) -> list[dict]:
    with (pkg / "data" / f"{table}.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_every_account_is_kept_and_the_record_follows_the_rules(three):
    checked = invoke("check", str(three))
    assert checked.returncode == 0, checked.stdout
    # The merged visit: the day both accounts allow, the status as of the later source, the union
    # of participants with the number of sources stating each.
    visit = next(r for r in _rows(three, "events") if r["id"] == "brandt-visit-freedonia")
    assert (
        visit["status"],
        visit["date_earliest"],
        visit["date_latest"],
        visit["date_precision"],
        visit["source_count"],
    ) == ("occurred", "2024-04-09", "2024-04-09", "day", "2")
    members = {
        (r["actor"], r["role"]): r["source_count"]
        for r in _rows(three, "event_participants")
        if r["event"] == "brandt-visit-freedonia"
    }
    assert members == {
        ("oskar-brandt", "initiator"): "2",
        ("freedonia", "recipient"): "1",
        ("brandt-deputies", "initiator"): "1",
    }
    # Each source's account as that source gave it.
    accounts = {r["source"]: r for r in _rows(three, "account_events") if r["event"] == "brandt-visit-freedonia"}
    assert (accounts["gamma"]["status"], accounts["gamma"]["date_earliest"], accounts["gamma"]["date_latest"]) == (
        "planned",
        "2024-04-08",
        "2024-04-14",
    )
    assert (accounts["delta"]["status"], accounts["delta"]["summary"]) == ("occurred", "")
    said = {(r["source"], r["actor"]) for r in _rows(three, "account_event_participants")}
    assert ("delta", "brandt-deputies") in said and ("gamma", "freedonia") in said
    # The differently named actor: aliases as each source writes them, both kept.
    aliases = {(r["actor"], r["source"], r["alias"]) for r in _rows(three, "account_actor_aliases")}
    assert {("oskar-brandt", "gamma", "Oskar Brandt"), ("oskar-brandt", "delta", "O. Brandt")} <= aliases
    document = json.loads((three / "data" / "seccoop.json").read_text(encoding="utf-8"))
    event = next(e for e in document["events"] if e["id"] == "brandt-visit-freedonia")
    assert event["sources"] == ["gamma", "delta"] and [a["status"] for a in event["accounts"]] == [
        "planned",
        "occurred",
    ]
    assert all("@" in span["id"] for span in event["evidence"])


def test_a_disagreement_the_rules_cannot_settle_is_reported_once_until_resolved(three):
    path = three / "data" / "curated" / "actors" / "delta.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "honorific: police chief\n  honorific_code: chief",
            "honorific: Chief inspector\n  honorific_code: inspector",
        ),
        encoding="utf-8",
    )
    report = json.loads(invoke("check", str(three), "--format", "json").stdout)
    # One disagreement, one problem: at the account that differs from the earliest source's,
    # naming every value and where each is written.
    conflicts = [p for p in report["errors"] if p["code"] == "merge-conflict"]
    assert [(p["file"], p["line"]) for p in conflicts] == [("data/curated/actors/delta.yaml", 5)], report["errors"]
    message = conflicts[0]["message"]
    assert "`chief` in gamma (data/curated/actors/gamma.yaml:5)" in message
    assert "`inspector` in delta (data/curated/actors/delta.yaml:5)" in message
    assert "seccoop resolve oskar-brandt honorific_code" in conflicts[0]["hint"]
    assert {p["code"] for p in report["errors"]} == {"merge-conflict"}
    resolved = invoke(
        "resolve",
        "oskar-brandt",
        "honorific_code",
        "--value",
        "chief",
        "--reason",
        "gamma and delta both call him police chief; Chief inspector is delta's later wording.",
        "--package",
        str(three),
    )
    assert resolved.returncode == 0, resolved.stderr
    written = yaml.safe_load((three / "data" / "curated" / "resolutions.yaml").read_text(encoding="utf-8"))
    assert written[0]["saw"] == [
        {"source": "gamma", "value": "chief"},
        {"source": "delta", "value": "inspector"},
    ]
    assert invoke("build", str(three)).returncode == 0
    actor = next(r for r in _rows(three, "actors") if r["id"] == "oskar-brandt")
    assert (actor["honorific_code"], actor["honorific"]) == ("chief", "police chief")  # gamma's words
    said = {r["source"]: r["honorific"] for r in _rows(three, "account_actors") if r["actor"] == "oskar-brandt"}
    assert said == {"gamma": "police chief", "delta": "Chief inspector"}


def _settled_for_two(three) -> None:
    """gamma and delta disagree on the visit's date and on Brandt's honorific; both settled, having
    seen those two accounts."""
    delta = three / "data" / "curated" / "actors" / "delta.yaml"
    delta.write_text(
        delta.read_text(encoding="utf-8").replace(
            "honorific: police chief\n  honorific_code: chief",
            "honorific: Chief inspector\n  honorific_code: inspector",
        ),
        encoding="utf-8",
    )
    gamma = three / "data" / "curated" / "events" / "gamma.yaml"
    gamma.write_text(
        gamma.read_text(encoding="utf-8").replace("latest: '2024-04-14'", "latest: '2024-04-08'"),
        encoding="utf-8",
    )
    for field, value in (
        ("honorific_code", "chief"),
        ("date", "{earliest: 2024-04-09, latest: 2024-04-09, precision: day}"),
    ):
        done = invoke(
            "resolve",
            "brandt-visit-freedonia" if field == "date" else "oskar-brandt",
            field,
            "--value",
            value,
            "--reason",
            "the later source is on the spot",
            "--package",
            str(three),
        )
        assert done.returncode == 0, done.stderr
    checked = invoke("check", str(three))
    assert "resolution-stale" not in checked.stdout, checked.stdout


def _third_account(three, honorific: str, date: dict) -> None:
    actors = three / "data" / "curated" / "actors" / "epsilon.yaml"
    accounts = yaml.safe_load(actors.read_text(encoding="utf-8"))
    accounts.append(
        {
            "id": "oskar-brandt",
            "honorific": {"commissioner": "Commissioner", "inspector": "Chief inspector"}[honorific],
            "honorific_code": honorific,
            "evidence": [{"source": "epsilon", "quote": "Commissioner Brandt"}],
        }
    )
    _dump(actors, accounts)
    events = three / "data" / "curated" / "events" / "epsilon.yaml"
    accounts = yaml.safe_load(events.read_text(encoding="utf-8"))
    accounts.append(
        {
            "id": "brandt-visit-freedonia",
            "status": "occurred",
            "date": date,
            "evidence": [{"source": "epsilon", "quote": "held talks in Freedonia on 9 April"}],
        }
    )
    _dump(events, accounts)


def test_a_resolution_never_hides_a_disagreement_it_did_not_see(three):
    _settled_for_two(three)
    # A third source gives yet another honorific, and a day the resolved date is not within.
    _third_account(three, "commissioner", {"earliest": "2024-04-10", "latest": "2024-04-10", "precision": "day"})
    report = json.loads(invoke("check", str(three), "--format", "json", "--no-cache").stdout)
    stale = sorted((p["file"], p["path"], p["message"]) for p in report["errors"] if p["code"] == "resolution-stale")
    assert [(f, path) for f, path, _ in stale] == [
        ("data/curated/actors/epsilon.yaml", "$[2].honorific_code"),
        ("data/curated/events/epsilon.yaml", "$[1].date"),
    ], report["errors"]
    honorific = stale[0][2]
    assert "`commissioner` in epsilon" in honorific and "data/curated/resolutions.yaml:" in honorific
    assert "`chief` in gamma; `inspector` in delta" in honorific
    assert invoke("build", str(three)).returncode == 1  # nothing is published over an unseen disagreement


def test_a_third_account_that_agrees_with_what_was_seen_needs_nothing(three):
    _settled_for_two(three)
    # A wording the resolution saw, and a date that allows the resolved day.
    _third_account(three, "inspector", {"earliest": "2024-04-08", "latest": "2024-04-12", "precision": "range"})
    built = invoke("build", str(three))
    assert built.returncode == 0, built.stdout + built.stderr


def test_resolve_replaces_an_earlier_resolution_of_the_field_and_keeps_every_other_line(three):
    _settled_for_two(three)
    path = three / "data" / "curated" / "resolutions.yaml"
    path.write_text("# settled by the curators\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    _third_account(three, "commissioner", {"earliest": "2024-04-09", "latest": "2024-04-09", "precision": "day"})
    again = invoke(
        "resolve",
        "oskar-brandt",
        "honorific_code",
        "--value",
        "chief",
        "--reason",
        "two sources of three",
        "--package",
        str(three),
    )
    assert again.returncode == 0, again.stderr
    assert "replaced the resolution at data/curated/resolutions.yaml:2" in again.stderr
    written = path.read_text(encoding="utf-8")
    assert written.startswith("# settled by the curators\n")
    entries = yaml.safe_load(written)
    assert [(e["record"], e["field"]) for e in entries] == [
        ("oskar-brandt", "honorific_code"),
        ("brandt-visit-freedonia", "date"),
    ]
    assert [s["source"] for s in entries[0]["saw"]] == ["gamma", "delta", "epsilon"]  # by publication date
    assert invoke("build", str(three)).returncode == 0
    refused = invoke(
        "resolve", "no-such-record", "honorific_code", "--value", "x", "--reason", "y", "--package", str(three)
    )
    assert refused.returncode == 1 and "no account" in refused.stderr and path.read_text(encoding="utf-8") == written


def test_merging_two_ids_of_one_actor_checks_clean_with_the_retired_id_recorded(three):
    merged = invoke(
        "merge",
        "oskar-brandt",
        "brandt",
        "--package",
        str(three),
        "--reason",
        "epsilon's Commissioner Brandt is the police chief of gamma and delta",
    )
    assert merged.returncode == 0, merged.stderr
    # The merge rules ran on the result before it was written: the disagreement it brings is named.
    assert "then: data/curated/actors/epsilon.yaml:" in merged.stderr and "merge-conflict" in merged.stderr
    # A merge makes epsilon's honorific disagree with the others': settled once, in one place.
    for field, value, reason in (
        ("name", "Oskar Brandt", "the full name gamma gives"),
        ("honorific_code", "chief", "two sources of three"),
    ):
        done = invoke("resolve", "oskar-brandt", field, "--value", value, "--reason", reason, "--package", str(three))
        assert done.returncode == 0, done.stderr
    built = invoke("build", str(three))
    assert built.returncode == 0, built.stderr
    assert invoke("check", str(three)).returncode == 0
    retired = {r["id"]: r["replaced_by"] for r in _rows(three, "retired_ids")}
    assert retired == {"brandt": "oskar-brandt"}
    assert "brandt" not in {r["id"] for r in _rows(three, "actors")}
    assert {r["source"] for r in _rows(three, "account_actors") if r["actor"] == "oskar-brandt"} == {
        "gamma",
        "delta",
        "epsilon",
    }


def test_an_account_written_with_a_retired_id_follows_its_successor(three):
    _dump(
        three / "data" / "curated" / "retired-ids.yaml",
        [{"id": "brandt", "replaced_by": "oskar-brandt", "version": "0.0.2", "reason": "same person"}],
    )
    # Written by hand, with what each resolution saw.
    _dump(
        three / "data" / "curated" / "resolutions.yaml",
        [
            {
                "record": "oskar-brandt",
                "field": "name",
                "value": "Oskar Brandt",
                "reason": "the full name gamma gives",
                "saw": [
                    {"source": "gamma", "value": "Oskar Brandt"},
                    {"source": "epsilon", "value": "Commissioner Brandt"},
                ],
            },
            {
                "record": "oskar-brandt",
                "field": "honorific_code",
                "value": "chief",
                "reason": "two sources of three",
                "saw": [{"source": "epsilon", "value": "commissioner"}],
            },
        ],
    )
    before = snapshot(three / "data" / "curated")
    assert invoke("build", str(three)).returncode == 0
    assert snapshot(three / "data" / "curated") == before  # no other source's file had to change
    talks = [r for r in _rows(three, "event_participants") if r["event"] == "brandt-talks-freedonia"]
    assert {r["actor"] for r in talks} == {"oskar-brandt", "freedonia"}


@pytest.mark.parametrize(
    "rel, old, new, code, field",
    [
        # A source of 2024-04-10 cannot report as done what it dates after its publication.
        (
            "events/delta.yaml",
            "earliest: '2024-04-09'\n    latest: '2024-04-09'",
            "earliest: '2024-04-11'\n    latest: '2024-04-11'",
            "time-after-source",
            "earliest",
        ),
        # An occurred event cannot end after its source was published.
        (
            "events/epsilon.yaml",
            "latest: '2024-04-09'\n    precision: day",
            "latest: '2030-06-30'\n    precision: range",
            "time-after-source",
            "latest",
        ),
    ],
)
def test_dates_are_bounded_by_each_accounts_own_source(three, rel, old, new, code, field):
    path = three / "data" / "curated" / rel
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    report = json.loads(invoke("check", str(three), "--format", "json").stdout)
    found = [(p["code"], p["file"], p["path"]) for p in report["errors"] if p["code"] == code]
    assert found == [(code, f"data/curated/{rel}", f"$[0].date.{field}")], report["errors"]


def test_a_tie_said_to_begin_after_its_source_is_refused(three):
    _dump(
        three / "data" / "curated" / "relations" / "gamma.yaml",
        [
            {
                "id": "brandt-heads-police",
                "type": "head-of",
                "subject": "oskar-brandt",
                "object": "freedonia",
                "start": {"earliest": "2024-05-01", "latest": None, "precision": "open"},
                "evidence": [{"source": "gamma", "quote": "police chief Oskar Brandt"}],
            }
        ],
    )
    report = json.loads(invoke("check", str(three), "--format", "json").stdout)
    # a tie holds on its source's date: it cannot begin after it
    assert [(p["code"], p["path"]) for p in report["errors"]] == [("time-after-source", "$[0].start.earliest")]
    assert "gamma" in report["errors"][0]["message"]


def test_an_account_citing_two_sources_or_in_another_sources_file_is_refused(three):
    accounts = yaml.safe_load((three / "data" / "curated" / "events" / "delta.yaml").read_text(encoding="utf-8"))
    accounts[0]["evidence"].append({"source": "epsilon", "quote": "held talks in Freedonia"})
    _dump(three / "data" / "curated" / "events" / "delta.yaml", accounts)
    _dump(
        three / "data" / "curated" / "events" / "gamma.yaml",
        ACCOUNTS["events/gamma.yaml"]
        + [
            {
                "id": "brandt-talks-freedonia",
                "status": "occurred",
                "date": {"earliest": "2024-04-09", "latest": "2024-04-09", "precision": "day"},
                "evidence": [{"source": "epsilon", "quote": "officials said"}],
            }
        ],
    )
    report = json.loads(invoke("check", str(three), "--format", "json").stdout)
    got = sorted((p["code"], p["file"]) for p in report["errors"])
    assert got == [
        ("account-file", "data/curated/events/gamma.yaml"),
        ("account-sources", "data/curated/events/delta.yaml"),
    ], report["errors"]


# -- span ids are what the spans are ------------------------------------------------------------

QUOTES = [
    "police chief Oskar Brandt",
    "will visit Freedonia next week",
    "the interior ministry said",
    "Brandt will meet border officials",
    "next week",
    "Ruritania's police chief",
]


@pytest.mark.slow  # the property at CI size
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.permutations(QUOTES), st.integers(min_value=1, max_value=len(QUOTES)))
def test_inserting_removing_or_reordering_spans_changes_no_other_spans_id(tmp_path_factory, order, keep):
    """In process, through the same flow as `build`: the id of each span is the same whatever
    other spans stand beside it, in whatever order."""
    spans_keep_their_ids(tmp_path_factory, order, keep)


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.permutations(QUOTES), st.integers(min_value=1, max_value=len(QUOTES)))
def test_a_few_orders_of_spans_change_no_other_spans_id(tmp_path_factory, order, keep):
    """The same property on a few examples, for the developer's loop (`pytest -m "not slow"`)."""
    spans_keep_their_ids(tmp_path_factory, order, keep)


def spans_keep_their_ids(tmp_path_factory, order, keep):
    from seccoop.checks.accounts import span_id
    from seccoop.checks.layers import load_dataset
    from seccoop.model.package import Package
    from seccoop.model.schemas import Schemas

    pkg = tmp_path_factory.mktemp("spans")
    shutil.copytree(ROOT / "schema", pkg / "schema")
    (pkg / "seeds").mkdir()
    (pkg / "seeds" / "gamma.txt").write_bytes(TEXTS["gamma"].encode("utf-8"))
    curated = pkg / "data" / "curated"
    _dump(curated / "sources.yaml", [s for s in SOURCES if s["id"] == "gamma"])
    for kind in ("actors", "relations", "events", "commitments"):
        _dump(curated / f"{kind}.yaml", [])
    _dump(
        curated / "actors" / "gamma.yaml",
        [
            {
                "id": "oskar-brandt",
                "name": "Oskar Brandt",
                "type": "person",
                "evidence": [{"source": "gamma", "quote": q} for q in list(order)[:keep]],
            }
        ],
    )
    dataset, problems = load_dataset(Package(pkg), Schemas(pkg / "schema"))
    assert [p for p in problems if p.severity == "error"] == []
    ids = {span["quote"]: span_id(span) for span in dataset.merged["actor"][0].data["evidence"]}
    for quote, sid in ids.items():
        start = TEXTS["gamma"].index(quote)
        assert sid == f"gamma@{start}-{start + len(quote)}"


# -- what a careful reviewer tried ---------------------------------------------------------------


def _errors(pkg: Path) -> list[tuple[str, str, str]]:
    result = invoke("check", str(pkg), "--format", "json")
    assert "Traceback" not in result.stderr and result.returncode in (0, 1), result.stderr
    return sorted(
        (p["code"], p["file"], p["path"]) for p in json.loads(result.stdout)["errors"] if p["severity"] == "error"
    )


@pytest.mark.parametrize(
    "field, value, code",
    [
        ("date", "2024-04-09", "schema-invalid"),  # not a date's shape
        ("date", {"earliest": "2024-04-20", "latest": "2024-04-01", "precision": "range"}, "schema-invalid"),
        ("date", {"earliest": "2024-04-09", "latest": "2024-04-10", "precision": "day"}, "schema-invalid"),
        ("summary", None, "schema-type"),  # the record's own field
        ("status", "occurred-ish", "schema-invalid"),  # not a code
        ("attributed_to", "no-such-actor", "ref-unknown"),
        ("attributed_to", "brandt-talks-freedonia", "ref-wrong-kind"),
    ],
)
def test_a_resolution_is_held_to_what_its_field_requires(three, field, value, code):
    _dump(
        three / "data" / "curated" / "resolutions.yaml",
        [{"record": "brandt-visit-freedonia", "field": field, "value": value, "reason": "a test"}],
    )
    before = snapshot(three / "data")
    assert (code, "data/curated/resolutions.yaml", "$[0].value") in _errors(three)
    assert invoke("build", str(three)).returncode == 1
    assert snapshot(three / "data") == before  # nothing built from a bad resolution


def test_quantities_are_one_member_by_their_id_and_a_member_twice_in_one_account_is_reported(three):
    for rel, text in (("events/gamma.yaml", "next week"), ("events/delta.yaml", "Next week")):
        accounts = yaml.safe_load((three / "data" / "curated" / rel).read_text(encoding="utf-8"))
        accounts[0]["quantities"] = [{"text": text, "lower": 1, "best": None, "upper": 7, "unit": "days"}]
        _dump(three / "data" / "curated" / rel, accounts)
    assert invoke("build", str(three)).returncode == 0
    rows = [r for r in _rows(three, "quantities") if r["event"] == "brandt-visit-freedonia"]
    assert [(r["id"], r["source_count"]) for r in rows] == [("brandt-visit-freedonia@next-week-days", "2")]
    accounts = yaml.safe_load((three / "data" / "curated" / "events/gamma.yaml").read_text(encoding="utf-8"))
    accounts[0]["participants"].append(dict(accounts[0]["participants"][0]))
    _dump(three / "data" / "curated" / "events/gamma.yaml", accounts)
    assert _errors(three) == [("id-duplicate", "data/curated/events/gamma.yaml", "$[0].participants[2]")]


def test_a_possibly_same_link_is_a_pair_in_either_order(three):
    _dump(
        three / "data" / "curated" / "possibly-same.yaml",
        [
            {"id": "brandt", "other": "oskar-brandt", "reason": "same surname, same visit"},
            {"id": "oskar-brandt", "other": "brandt", "reason": "the other way round"},
        ],
    )
    assert _errors(three) == [("id-duplicate", "data/curated/possibly-same.yaml", "$[1].other")]


def test_a_cycle_of_retired_ids_is_reported_once_in_a_stable_order(three):
    _dump(
        three / "data" / "curated" / "retired-ids.yaml",
        [
            {"id": "old-a", "replaced_by": "old-b", "version": "0.0.2", "reason": "a test"},
            {"id": "old-b", "replaced_by": "old-c", "version": "0.0.2", "reason": "a test"},
            {"id": "old-c", "replaced_by": "old-a", "version": "0.0.2", "reason": "a test"},
        ],
    )
    messages = set()
    for seed in ("1", "3"):
        # a process each: the hash seed is read at start-up
        result = run_cli("check", str(three), "--format", "json", env={"PYTHONHASHSEED": seed})
        errors = json.loads(result.stdout)["errors"]
        assert [(e["code"], e["path"]) for e in errors] == [("id-retired", "$[0].replaced_by")]
        messages.add(errors[0]["message"])
    assert messages == {"retired ids replace each other in a cycle (old-a -> old-b -> old-c -> old-a)"}


def test_a_conflict_names_only_the_accounts_that_differ(three):
    path = three / "data" / "curated" / "actors" / "epsilon.yaml"
    accounts = yaml.safe_load(path.read_text(encoding="utf-8"))
    accounts[0]["id"] = "oskar-brandt"  # epsilon's Commissioner, the same man
    del accounts[0]["name"], accounts[0]["type"]
    _dump(path, accounts)
    report = json.loads(invoke("check", str(three), "--format", "json").stdout)
    # One problem, at the account that differs (epsilon), never at gamma or delta, which agree.
    conflicts = [p for p in report["errors"] if p["code"] == "merge-conflict"]
    assert [p["file"] for p in conflicts] == ["data/curated/actors/epsilon.yaml"], report["errors"]
    assert (
        "`chief` in gamma (data/curated/actors/gamma.yaml:5), delta (data/curated/actors/delta.yaml:5)"
        in (conflicts[0]["message"])
    )
    assert "`commissioner` in epsilon" in conflicts[0]["message"]


def test_a_file_named_for_a_source_holds_its_accounts_only_in_subfolders_too(three):
    curated = three / "data" / "curated" / "events"
    (curated / "2024").mkdir()
    (curated / "delta.yaml").rename(curated / "2024" / "gamma.yaml")
    assert _errors(three) == [("account-file", "data/curated/events/2024/gamma.yaml", "$[0].evidence[0].source")]


def test_merge_sees_accounts_written_with_a_retired_id_of_the_record(three):
    """delta's account of `brandt-old` is an account of `brandt`: merging `brandt` into
    `oskar-brandt` would give delta two accounts of one record, so the merge is refused."""
    _dump(
        three / "data" / "curated" / "retired-ids.yaml",
        [{"id": "brandt-old", "replaced_by": "brandt", "version": "0.0.2", "reason": "a test"}],
    )
    path = three / "data" / "curated" / "actors" / "delta.yaml"
    accounts = yaml.safe_load(path.read_text(encoding="utf-8"))
    accounts.append({"id": "brandt-old", "evidence": [{"source": "delta", "quote": "He met"}]})
    _dump(path, accounts)
    before = snapshot(three)
    merged = invoke("merge", "oskar-brandt", "brandt", "--package", str(three))
    assert merged.returncode == 1 and "two accounts of `oskar-brandt`" in merged.stderr, merged.stderr
    assert snapshot(three) == before


def test_aliases_that_differ_in_case_or_a_leading_article_are_one_alias_with_its_forms(three):
    forms = {
        "gamma": "The Republic of Freedonia",
        "delta": "the Republic of Freedonia",
        "epsilon": "Republic of Freedonia",
    }
    for source, form in forms.items():
        path = three / "data" / "curated" / "actors" / f"{source}.yaml"
        accounts = yaml.safe_load(path.read_text(encoding="utf-8"))
        freedonia = next(a for a in accounts if a["id"] == "freedonia")
        freedonia["aliases"] = [form]
        _dump(path, accounts)
    built = invoke("build", str(three))
    assert built.returncode == 0, built.stdout + built.stderr
    rows = [(r["alias"], r["source_count"]) for r in _rows(three, "actor_aliases") if r["actor"] == "freedonia"]
    assert rows == [("The Republic of Freedonia", "3")]  # one row: the earliest source's form
    said = {(r["source"], r["alias"]) for r in _rows(three, "account_actor_aliases") if r["actor"] == "freedonia"}
    assert said == set(forms.items())  # each source's own form, kept
    # Within one account, two forms of one alias are one alias listed twice.
    path = three / "data" / "curated" / "actors" / "gamma.yaml"
    accounts = yaml.safe_load(path.read_text(encoding="utf-8"))
    next(a for a in accounts if a["id"] == "freedonia")["aliases"] = [
        "The Republic of Freedonia",
        "republic of freedonia",
    ]
    _dump(path, accounts)
    assert ("id-duplicate", "data/curated/actors/gamma.yaml", "$[1].aliases[1]") in _errors(three)


def test_each_span_can_name_its_speaker_and_both_voices_are_published(three):
    """gamma states the visit in its own voice and reports the interior ministry's statement of it:
    both voices are the record's attribution, beside delta's own voice."""
    actors = three / "data" / "curated" / "actors" / "gamma.yaml"
    accounts = yaml.safe_load(actors.read_text(encoding="utf-8"))
    accounts.append(
        {
            "id": "ruritanian-interior-ministry",
            "name": "the interior ministry",
            "type": "government-body",
            "evidence": [{"source": "gamma", "quote": "the interior ministry"}],
        }
    )
    _dump(actors, accounts)
    events = three / "data" / "curated" / "events" / "gamma.yaml"
    accounts = yaml.safe_load(events.read_text(encoding="utf-8"))
    accounts[0]["evidence"] = [
        {"source": "gamma", "quote": "will visit Freedonia next week", "speaker": "ruritanian-interior-ministry"},
        {"source": "gamma", "quote": "Brandt will meet border officials"},
    ]
    _dump(events, accounts)
    built = invoke("build", str(three))
    assert built.returncode == 0, built.stdout + built.stderr
    voices = {
        (r["source"], r["speaker"], r["span_count"])
        for r in _rows(three, "attributions")
        if r["record"] == "brandt-visit-freedonia"
    }
    assert voices == {("gamma", "ruritanian-interior-ministry", "1"), ("gamma", "", "1"), ("delta", "", "1")}
    assert invoke("check", str(three)).returncode == 0
    # A speaker is an actor: an unknown id or a record of another kind is refused where it is written.
    accounts[0]["evidence"][0]["speaker"] = "brandt-talks-freedonia"
    _dump(events, accounts)
    assert ("ref-wrong-kind", "data/curated/events/gamma.yaml", "$[0].evidence[0].speaker") in _errors(three)


def test_quantities_with_the_same_bounds_and_unit_are_one_fact_with_each_sources_words(three):
    """ "Over 100" and "More than 100", both from 101 with no upper bound, of one counted thing: one
    row of quantities (the earliest source's words, two sources); each account row keeps its own
    words and points at that one quantity."""
    for rel, words in (("events/gamma.yaml", "Over 100"), ("events/delta.yaml", "More than 100")):
        accounts = yaml.safe_load((three / "data" / "curated" / rel).read_text(encoding="utf-8"))
        accounts[0]["quantities"] = [{"text": words, "lower": 101, "best": None, "upper": None, "unit": "officers"}]
        _dump(three / "data" / "curated" / rel, accounts)
    built = invoke("build", str(three))
    assert built.returncode == 0, built.stdout + built.stderr
    rows = [r for r in _rows(three, "quantities") if r["event"] == "brandt-visit-freedonia"]
    assert [(r["id"], r["text"], r["source_count"]) for r in rows] == [
        ("brandt-visit-freedonia@over-100-officers", "Over 100", "2")
    ]
    said = {(r["quantity"], r["source"], r["text"]) for r in _rows(three, "account_quantities")}
    assert said == {
        ("brandt-visit-freedonia@over-100-officers", "gamma", "Over 100"),
        ("brandt-visit-freedonia@over-100-officers", "delta", "More than 100"),
    }
    assert invoke("check", str(three)).returncode == 0
    # Two wordings of one fact in one account: one quantity listed twice.
    accounts = yaml.safe_load((three / "data" / "curated" / "events/gamma.yaml").read_text(encoding="utf-8"))
    accounts[0]["quantities"].append(
        {"text": "Above 100", "lower": 101, "best": None, "upper": None, "unit": "officers"}
    )
    _dump(three / "data" / "curated" / "events/gamma.yaml", accounts)
    assert ("id-duplicate", "data/curated/events/gamma.yaml", "$[0].quantities") in _errors(three)


def test_a_merge_whose_result_breaks_a_rule_no_resolution_settles_writes_nothing(three):
    events = three / "data" / "curated" / "events" / "epsilon.yaml"
    accounts = yaml.safe_load(events.read_text(encoding="utf-8"))
    accounts[0]["part_of"] = "brandt-visit-freedonia"  # the talks were part of the visit
    # (its own type and summary stay: the merge also brings them into conflict with the visit's,
    # which must not hide the cycle)
    _dump(events, accounts)
    assert invoke("build", str(three)).returncode == 0
    before = snapshot(three / "data" / "curated")
    merged = invoke("merge", "brandt-visit-freedonia", "brandt-talks-freedonia", "--package", str(three))
    # merged, the visit would be part of itself
    assert merged.returncode == 1 and "event-part-of-cycle" in merged.stderr, merged.stderr
    assert "nothing was changed" in merged.stderr and snapshot(three / "data" / "curated") == before


def test_sources_whose_publication_bounds_overlap_are_simultaneous(three):
    """delta is dated by its URL only (April 2024): it may have been published on gamma's day,
    so neither is the later, and planned beside occurred is a disagreement, not time passing."""
    sources = three / "data" / "curated" / "sources.yaml"
    data = yaml.safe_load(sources.read_text(encoding="utf-8"))
    delta = next(s for s in data if s["id"] == "delta")
    delta.update(
        published={"earliest": "2024-04-01", "latest": "2024-04-30", "precision": "range"},
        published_from="url",
        url="https://example.org/2024/04/brandt-arrives",
    )
    _dump(sources, data)
    report = json.loads(invoke("check", str(three), "--format", "json").stdout)
    conflicts = [p for p in report["errors"] if p["code"] == "merge-conflict"]
    assert len(conflicts) == 1 and "status" in conflicts[0]["message"], report["errors"]
    # A day in April the URL does not give is refused, with the URL's bounds as the fix.
    delta["published"] = "2024-04-10"
    _dump(sources, data)
    report = json.loads(invoke("check", str(three), "--format", "json").stdout)
    [problem] = [p for p in report["errors"] if p["code"] == "source-date"]
    assert "the URL dates the document 2024-04-01 to 2024-04-30, not 2024-04-10" in problem["message"]


def test_an_unknown_reference_cited_twice_is_searched_once_and_its_hint_names_each_id_once(three, monkeypatch):
    """`freedonia` is told by three accounts: the hint names it once, not once per account; and
    the nearest ids of a mistyped reference are searched once however many records cite it."""
    import difflib

    from seccoop.checks import references

    searched, search = [], difflib.get_close_matches

    def counted(ref, ids, *args, **kwargs):
        searched.append(ref)
        return search(ref, ids, *args, **kwargs)

    monkeypatch.setattr(references.difflib, "get_close_matches", counted)
    for rel in ("events/gamma.yaml", "events/epsilon.yaml"):
        path = three / "data" / "curated" / rel
        path.write_text(
            path.read_text(encoding="utf-8").replace("actor: freedonia", "actor: freedonnia"), encoding="utf-8"
        )
    result = invoke("check", str(three), "--format", "json")
    assert result.returncode == 1, result.stderr
    unknown = [p for p in json.loads(result.stdout)["errors"] if p["code"] == "ref-unknown"]
    assert sorted(p["file"] for p in unknown) == ["data/curated/events/epsilon.yaml", "data/curated/events/gamma.yaml"]
    assert {p["hint"] for p in unknown} == {"Did you mean `freedonia`?"}
    assert searched == ["freedonnia"]
