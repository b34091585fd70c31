"""The merge rules hold for the third source (docs/accounts.md): three sources of one visit, a
resolution settled for two and a third that disagrees, ties and a hostage-taking stated by sources
of different days, wordings that agree, one account in two voices; and what must still conflict
does. The texts are made up for the test (CC0); the place codes are real ones."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, included_source, invoke

TEXTS = {
    "alpha": (
        " date 2024-03-01 General Brandt to visit Ecuador\n\n"
        "General Oskar Brandt, the commander of the Ruritanian army, will visit Ecuador next week. "
        "Gangs hold prison guards hostage at multiple locations. "
        "Interior ministry spokesman Ivo Lenz said the gangs hold more than 40 guards. "
        "Ruritania will send 20 advisers to Ecuador."
    ),
    "beta": (
        " date 2024-03-06 Brandt in Quito\n\n"
        "Gen. Oskar Brandt, commander of the Ruritanian army, arrived in Quito on 5 March. "
        "Guards are still held hostage at multiple locations in the country. "
        "Ruritania plans to send 20 advisers."
    ),
    "gamma": (
        " date 2024-03-08 Brandt leaves Ecuador\n\n"
        "Gen. Brandt, who visited Quito on 5 March, left Ecuador. "
        "Gangs still hold guards hostage. "
        "Ruritania aims to send 20 advisers."
    ),
}

SOURCES = [included_source(name, text) for name, text in TEXTS.items()]

QUITO = {"place": "Quito", "country": "EC", "city": "3652462"}  # no province named: no subdivision
GUAYAQUIL = {"place": "Guayaquil", "country": "EC", "city": "3657509"}
VISITED = {"earliest": "2024-03-05", "latest": "2024-03-05", "precision": "day"}


def _span(source: str, quote: str, **more) -> dict:
    return {"source": source, "quote": quote, **more}


ACCOUNTS = {
    "actors/alpha.yaml": [
        {
            "id": "oskar-brandt",
            "name": "Oskar Brandt",
            "type": "person",
            "honorific": "General",
            "honorific_code": "general",
            "evidence": [_span("alpha", "General Oskar Brandt")],
        },
        {
            "id": "ruritanian-army",
            "name": "Ruritanian army",
            "type": "military",
            "part_of": "ruritania",
            "evidence": [_span("alpha", "the Ruritanian army")],
        },
        {"id": "ruritania", "name": "Ruritania", "type": "state", "evidence": [_span("alpha", "Ruritania will")]},
        {
            "id": "ecuador",
            "name": "Ecuador",
            "type": "state",
            "country": "EC",
            "evidence": [_span("alpha", "Ecuador next week")],
        },
        {"id": "gangs", "name": "Gangs", "type": "criminal-group", "evidence": [_span("alpha", "Gangs hold")]},
        {
            "id": "prison-guards",
            "name": "prison guards",
            "type": "collective",
            "evidence": [_span("alpha", "prison guards")],
        },
        {
            "id": "ivo-lenz",
            "name": "Ivo Lenz",
            "type": "person",
            "honorific": "spokesman",
            "honorific_code": "spokesperson",
            "evidence": [_span("alpha", "spokesman Ivo Lenz")],
        },
    ],
    "actors/beta.yaml": [
        {
            "id": "oskar-brandt",
            "honorific": "Gen.",  # the same code in other words: no conflict
            "honorific_code": "general",
            "evidence": [_span("beta", "Gen. Oskar Brandt")],
        },
    ],
    "actors/gamma.yaml": [
        {
            "id": "oskar-brandt",
            "honorific": "Gen.",
            "honorific_code": "general",
            "evidence": [_span("gamma", "Gen. Brandt")],
        },
    ],
    "relations/alpha.yaml": [
        {
            "id": "brandt-heads-ruritanian-army",
            "type": "head-of",
            "subject": "oskar-brandt",
            "object": "ruritanian-army",
            "role": "the commander",
            "role_code": "commander",
            "evidence": [_span("alpha", "Oskar Brandt, the commander of the Ruritanian army")],
        },
    ],
    "relations/beta.yaml": [
        {
            "id": "brandt-heads-ruritanian-army",  # a tie seen five days later: a state, no date to conflict
            "role": "commander",
            "role_code": "commander",
            "evidence": [_span("beta", "Oskar Brandt, commander of the Ruritanian army")],
        },
    ],
    "events/alpha.yaml": [
        {
            "id": "brandt-visit-ecuador",
            "type": "visit",
            "summary": "Oskar Brandt visits Ecuador.",
            "status": "planned",
            "date": {"earliest": "2024-03-04", "latest": "2024-03-10", "precision": "range"},
            "place": "Ecuador",
            "country": "EC",
            "participants": [
                {"actor": "oskar-brandt", "role": "initiator"},
                {"actor": "ecuador", "role": "recipient"},
            ],
            "evidence": [_span("alpha", "will visit Ecuador next week")],
        },
        {
            "id": "guards-held-hostage",
            "type": "hostages-held",
            "summary": "Gangs hold prison guards hostage at several sites.",
            "status": "ongoing",
            "place": "multiple locations",
            "country": "EC",
            "participants": [{"actor": "gangs", "role": "initiator"}, {"actor": "prison-guards", "role": "victim"}],
            "evidence": [  # the paper's own voice, and the spokesman's
                _span("alpha", "Gangs hold prison guards hostage at multiple locations"),
                _span("alpha", "the gangs hold more than 40 guards", speaker="ivo-lenz"),
            ],
        },
    ],
    "events/beta.yaml": [
        {
            "id": "brandt-visit-ecuador",
            "status": "occurred",
            "date": VISITED,
            **QUITO,
            "evidence": [_span("beta", "arrived in Quito on 5 March")],
        },
        {
            "id": "guards-held-hostage",
            "status": "ongoing",
            "place": "multiple locations in the country",  # other words for the same coded place
            "country": "EC",
            "evidence": [_span("beta", "Guards are still held hostage at multiple locations in the country")],
        },
    ],
    "events/gamma.yaml": [
        {
            "id": "brandt-visit-ecuador",
            "status": "occurred",
            "date": VISITED,
            **QUITO,
            "evidence": [_span("gamma", "visited Quito on 5 March")],
        },
        {
            "id": "guards-held-hostage",
            "status": "ongoing",
            "evidence": [_span("gamma", "Gangs still hold guards hostage")],
        },
    ],
    "commitments/alpha.yaml": [
        {
            "id": "ruritania-sends-advisers",
            "action": "send 20 advisers to Ecuador",
            "category": "personnel-deployment",
            "strength": "pledge",
            "status": "announced",
            "parties": [{"actor": "ruritania", "role": "committer"}, {"actor": "ecuador", "role": "beneficiary"}],
            "date": {"earliest": None, "latest": "2024-03-01", "precision": "open"},
            "evidence": [_span("alpha", "Ruritania will send 20 advisers to Ecuador")],
        },
    ],
    "commitments/beta.yaml": [
        {
            "id": "ruritania-sends-advisers",
            "strength": "plan",
            "status": "announced",
            "parties": [{"actor": "ruritania", "role": "committer"}],
            "date": {"earliest": None, "latest": "2024-03-06", "precision": "open"},
            "evidence": [_span("beta", "Ruritania plans to send 20 advisers")],
        },
    ],
    "commitments/gamma.yaml": [
        {
            "id": "ruritania-sends-advisers",
            "strength": "aim",  # a third strength: the resolution written for two never saw it
            "status": "announced",
            "parties": [{"actor": "ruritania", "role": "committer"}],
            "date": {"earliest": None, "latest": "2024-03-08", "precision": "open"},
            "evidence": [_span("gamma", "Ruritania aims to send 20 advisers")],
        },
    ],
}


def _dump(path: Path, value) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(value, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _package(root: Path, sources=("alpha", "beta", "gamma")) -> Path:
    pkg = root / "visit"
    shutil.copytree(ROOT / "schema", pkg / "schema")
    (pkg / "seeds").mkdir(parents=True)
    for name in sources:
        (pkg / "seeds" / f"{name}.txt").write_bytes(TEXTS[name].encode("utf-8"))
    curated = pkg / "data" / "curated"
    _dump(curated / "sources.yaml", [s for s in SOURCES if s["id"] in sources])
    for kind in ("actors", "relations", "events", "commitments"):
        _dump(curated / f"{kind}.yaml", [])
    for rel, accounts in ACCOUNTS.items():
        if Path(rel).stem in sources:
            _dump(curated / rel, accounts)
    _dump(curated / "retired-ids.yaml", [])
    shutil.copy(ROOT / "tests" / "fixtures" / "base" / "data" / "curated" / "package.yaml", curated / "package.yaml")
    return pkg


def _problems(pkg: Path) -> list[dict]:
    result = invoke("check", str(pkg), "--format", "json", "--no-cache")
    assert "Traceback" not in result.stderr, result.stderr
    report = json.loads(result.stdout)
    return report["errors"]  # every problem, warnings too, each with its severity


def _rows(pkg: Path, table: str) -> list[dict]:
    with (pkg / "data" / f"{table}.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture
def visit(tmp_path) -> Path:
    """The package as a curator leaves it after two sources, the strength settled for those two
    with `seccoop resolve`; then the third source added."""
    pkg = _package(tmp_path, ("alpha", "beta"))
    conflicts = [p for p in _problems(pkg) if p["code"] == "merge-conflict"]
    assert [(p["file"], p["path"]) for p in conflicts] == [("data/curated/commitments/beta.yaml", "$[0].strength")]
    settled = invoke(
        "resolve",
        "ruritania-sends-advisers",
        "strength",
        "--value",
        "plan",
        "--reason",
        "beta is later and says the plan in so many words",
        "--package",
        str(pkg),
    )
    assert settled.returncode == 0, settled.stderr
    assert invoke("build", str(pkg)).returncode == 0
    gamma = _package(tmp_path / "third", ("alpha", "beta", "gamma"))
    shutil.copy(gamma / "seeds" / "gamma.txt", pkg / "seeds" / "gamma.txt")
    _dump(pkg / "data" / "curated" / "sources.yaml", SOURCES)
    for kind in ("actors", "events", "commitments"):
        shutil.copy(gamma / "data" / "curated" / kind / "gamma.yaml", pkg / "data" / "curated" / kind / "gamma.yaml")
    return pkg


def test_the_third_source_gives_one_stale_resolution_and_nothing_else(visit):
    problems = _problems(visit)
    assert [(p["code"], p["file"], p["path"]) for p in problems] == [
        ("resolution-stale", "data/curated/commitments/gamma.yaml", "$[0].strength")
    ], problems
    message = problems[0]["message"]
    assert "`aim` in gamma" in message and "data/curated/resolutions.yaml:" in message
    assert "`pledge` in alpha; `plan` in beta" in message  # what the resolution saw


def test_states_wordings_and_voices_merge_without_conflict_once_resettled(visit):
    again = invoke(
        "resolve",
        "ruritania-sends-advisers",
        "strength",
        "--value",
        "plan",
        "--reason",
        "the later sources say a plan or an aim; a plan is what is said in so many words",
        "--package",
        str(visit),
    )
    assert again.returncode == 0, again.stderr
    built = invoke("build", str(visit))
    assert built.returncode == 0, built.stdout + built.stderr
    assert _problems(visit) == []
    # States: seen holding by sources of three days, published as observed, no start or end stated.
    tie = next(r for r in _rows(visit, "relations") if r["id"] == "brandt-heads-ruritanian-army")
    assert (tie["observed_from"], tie["observed_until"], tie["start_earliest"], tie["role_code"]) == (
        "2024-03-01",
        "2024-03-06",
        "",
        "commander",
    )
    held = next(r for r in _rows(visit, "events") if r["id"] == "guards-held-hostage")
    assert (held["observed_from"], held["observed_until"], held["date_earliest"], held["date_latest"]) == (
        "2024-03-01",
        "2024-03-08",
        "",
        "",
    )
    assert held["place"] == "multiple locations" and held["source_count"] == "3"
    # The happening: the day two sources give, in the city both code.
    visited = next(r for r in _rows(visit, "events") if r["id"] == "brandt-visit-ecuador")
    assert (visited["date_earliest"], visited["city"], visited["city_name"], visited["subdivision"]) == (
        "2024-03-05",
        "3652462",
        "Quito",
        "",
    )
    # Wordings: one code, each source's words kept.
    brandt = next(r for r in _rows(visit, "actors") if r["id"] == "oskar-brandt")
    assert (brandt["honorific_code"], brandt["honorific"]) == ("general", "General")
    said = {r["source"]: r["honorific"] for r in _rows(visit, "account_actors") if r["actor"] == "oskar-brandt"}
    assert said == {"alpha": "General", "beta": "Gen.", "gamma": "Gen."}
    # Voices: the source's own and the spokesman's, both published.
    voices = {(r["source"], r["speaker"]) for r in _rows(visit, "attributions") if r["record"] == "guards-held-hostage"}
    assert voices == {("alpha", ""), ("alpha", "ivo-lenz"), ("beta", ""), ("gamma", "")}
    army = next(r for r in _rows(visit, "actors") if r["id"] == "ruritanian-army")
    assert (army["country"], army["part_of"], army["country_derived"]) == ("", "ruritania", "")  # no country stated


def _edit(pkg: Path, rel: str, index: int, **fields) -> None:
    path = pkg / "data" / "curated" / rel
    accounts = yaml.safe_load(path.read_text(encoding="utf-8"))
    accounts[index].update(fields)
    _dump(path, accounts)


@pytest.mark.parametrize(
    "rel, index, fields, field_name",
    [
        # two accounts of one happening whose dates no day satisfies
        (
            "events/gamma.yaml",
            0,
            {"date": {"earliest": "2024-03-07", "latest": "2024-03-07", "precision": "day"}},
            "date",
        ),
        ("actors/gamma.yaml", 0, {"honorific": "Col.", "honorific_code": "colonel"}, "honorific_code"),
        ("events/gamma.yaml", 0, GUAYAQUIL, "city"),
    ],
    ids=["disjoint-dates", "general-colonel", "quito-guayaquil"],
)
def test_what_differs_still_conflicts_once_at_the_account_that_differs(visit, rel, index, fields, field_name):
    invoke(
        "resolve",
        "ruritania-sends-advisers",
        "strength",
        "--value",
        "plan",
        "--reason",
        "settled for the three",
        "--package",
        str(visit),
    )
    _edit(visit, rel, index, **fields)
    conflicts = [p for p in _problems(visit) if p["code"] == "merge-conflict"]
    at = {(p["file"], p["path"].rsplit(".", 1)[1]) for p in conflicts}
    assert (f"data/curated/{rel}", field_name) in at, conflicts
    assert all(p["file"] == f"data/curated/{rel}" for p in conflicts)  # never at the accounts that agree
    assert len([p for p in conflicts if p["path"].endswith(field_name)]) == 1


def test_a_happening_dated_as_a_state_and_a_state_dated_as_a_happening_are_named(visit):
    _edit(visit, "events/beta.yaml", 1, date=VISITED)
    _edit(visit, "events/gamma.yaml", 0, start=VISITED)
    found = {(p["code"], p["file"], p["path"]) for p in _problems(visit)}
    assert ("time-kind", "data/curated/events/beta.yaml", "$[1].date") in found
    assert ("time-kind", "data/curated/events/gamma.yaml", "$[0].start") in found


def test_an_account_changed_since_its_resolution_is_a_disagreement_it_did_not_see(visit):
    invoke(
        "resolve", "ruritania-sends-advisers", "strength", "--value", "plan", "--reason", "r", "--package", str(visit)
    )
    _edit(visit, "commitments/beta.yaml", 0, strength="firm-commitment")  # beta's account, seen as `plan`
    stale = [(p["code"], p["file"]) for p in _problems(visit) if p["severity"] == "error"]
    assert ("resolution-stale", "data/curated/commitments/beta.yaml") in stale
