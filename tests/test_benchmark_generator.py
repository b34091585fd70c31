"""The scale benchmarks' package generator (benchmarks/generate.py), at a small size: what it
writes builds and checks clean through the real CLI, and the same seed gives the same bytes; a
third or so of its records are told by two to four sources, each in its own files, and a few
disagreements are settled in data/curated/resolutions.yaml (docs/accounts.md).
No timings are asserted here; benchmarks/run.py measures them."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys

import pytest
import yaml
from conftest import ROOT, invoke, snapshot

KINDS = ("sources", "actors", "relations", "events", "commitments")
ACCOUNT_KINDS = KINDS[1:]
# The record's own fields (docs/accounts.md): any account may give them, one at least does.
OWN = {
    "actors": ("name", "type"),
    "relations": ("type", "subject", "object"),
    "events": ("type", "summary"),
    "commitments": ("action", "category"),
}


def _load_generator():
    spec = importlib.util.spec_from_file_location("bench_generate", ROOT / "benchmarks" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


generate = _load_generator()


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """A generated 20-event package, built once by the real CLI."""
    pkg = tmp_path_factory.mktemp("bench") / "pkg"
    counts = generate.generate(pkg, events=20, seed=7)
    result = invoke("build", str(pkg))
    assert result.returncode == 0, result.stdout + result.stderr
    return pkg, counts


def test_generated_package_builds_and_checks_clean(small):
    pkg, _ = small
    result = invoke("check", "--strict", str(pkg))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith("valid (0 error(s), 0 warning(s))")
    report = json.loads(invoke("check", str(pkg), "--format", "json").stdout)
    assert report["valid"] and report["counts"] == {"errors": 0, "warnings": 0}


def test_generated_package_exports(small, tmp_path):
    pkg, _ = small
    out = tmp_path / "db.sqlite"
    result = invoke("export", str(pkg), "--format", "sqlite", "--out", str(out))
    assert result.returncode == 0, result.stderr
    import sqlite3

    con = sqlite3.connect(out)
    assert con.execute("SELECT count(*) FROM events").fetchone()[0] == 20
    assert con.execute("PRAGMA foreign_key_check").fetchall() == []


def accounts_by_id(pkg):
    """kind -> id -> [(source of the file, account)], read from every source's own files."""
    curated = pkg / "data" / "curated"
    out = {kind: {} for kind in ACCOUNT_KINDS}
    for kind in ACCOUNT_KINDS:
        for path in sorted((curated / kind).glob("*.yaml")):
            for account in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
                out[kind].setdefault(account["id"], []).append((path.stem, account))
    return out


def published_dates(pkg):
    curated = pkg / "data" / "curated"
    return {
        r["id"]: r["published"]
        for p in (curated / "sources").glob("*.yaml")
        for r in yaml.safe_load(p.read_text(encoding="utf-8"))
    }


def test_counts_and_proportions_follow_the_real_data(small):
    pkg, counts = small
    assert counts["events"] == 20
    sources = counts["sources"]
    assert sources == 3 == len(generate.events_per_source(20))
    # per source, as many accounts as the real source states records (26, 8, 11, 9), give or take
    assert 20 * sources <= counts["actor_accounts"] <= 32 * sources
    assert 5 * sources <= counts["relation_accounts"] <= 11 * sources
    assert 7 * sources <= counts["event_accounts"] <= 15 * sources
    assert 6 * sources <= counts["commitment_accounts"] <= 12 * sources
    assert 55 * sources <= counts["evidence_spans"] <= 90 * sources
    tables = {
        name: (pkg / "data" / f"{name}.csv").read_text(encoding="utf-8").count("\n") - 1
        for name in ("events", "actors", "relations", "commitments", "account_events", "spans")
    }
    assert tables["events"] == 20 and tables["actors"] == counts["actors"]
    assert tables["relations"] == counts["relations"] and tables["commitments"] == counts["commitments"]
    assert tables["account_events"] == counts["event_accounts"]
    assert tables["spans"] == counts["evidence_spans"]  # no two accounts quote the same words


def test_a_third_of_the_records_have_two_to_four_accounts(small):
    pkg, counts = small
    found = accounts_by_id(pkg)
    per_record = [len(accounts) for kind in ACCOUNT_KINDS for accounts in found[kind].values()]
    assert {str(n): per_record.count(n) for n in sorted(set(per_record))} == counts["accounts_per_record"]
    assert set(per_record) <= {1, 2, 3, 4} and 2 in per_record
    for kind in ACCOUNT_KINDS:
        assert len(found[kind]) == counts[kind]
        assert sum(len(a) for a in found[kind].values()) == counts[f"{kind[:-1]}_accounts"]
        multi = sum(1 for a in found[kind].values() if len(a) > 1)
        assert multi == counts[f"multi_source_{kind}"] > 0, kind
    assert 0.2 <= sum(n > 1 for n in per_record) / len(per_record) <= 0.45
    # at 1k events (no build), the share is near a third and some records have four accounts
    big = generate.generate(pkg.parent / "g1k", events=1000, seed=0)
    records = sum(big[k] for k in ACCOUNT_KINDS)
    assert 0.28 <= sum(big[f"multi_source_{k}"] for k in ACCOUNT_KINDS) / records <= 0.4
    assert big["accounts_per_record"]["4"] > 0 and big["resolutions"] > 0 and big["pinned_spans"] == 0


def test_each_account_cites_its_own_source_in_its_own_file(small):
    pkg, _ = small
    published = published_dates(pkg)
    for kind in ACCOUNT_KINDS:
        for id_, accounts in accounts_by_id(pkg)[kind].items():
            files = [source for source, _ in accounts]
            assert len(set(files)) == len(files), (kind, id_)  # one account of a record per source
            for source, account in accounts:
                assert {span["source"] for span in account["evidence"]} == {source}, (kind, id_)
            first = min(accounts, key=lambda a: published[a[0]])[1]
            assert all(first.get(f) is not None for f in OWN[kind]), (kind, id_)  # the first gives its own fields
            for _, account in accounts:
                for f in OWN[kind]:
                    assert account.get(f) in (None, first[f]), (kind, id_, f)


def test_later_accounts_narrow_dates_and_move_planned_events_on(small):
    """The dates of a record's accounts always intersect (no curator needed), each within its own
    source's date; some planned event occurs in a later source; some later account gives the day."""
    pkg, _ = small
    published = published_dates(pkg)
    moved = narrowed = states = started = 0
    for kind in ACCOUNT_KINDS:
        for id_, accounts in accounts_by_id(pkg)[kind].items():
            if kind == "actors":
                continue
            accounts = sorted(accounts, key=lambda a: published[a[0]])
            if kind == "relations" or "date" not in accounts[0][1] and "type" in accounts[0][1]:
                # a state (a tie, a curfew): no `date`; a start, where given, is one day in every account
                states += 1
                starts = {json.dumps(a["start"]) for _, a in accounts if a.get("start")}
                assert len(starts) <= 1 and all("date" not in a for _, a in accounts), (kind, id_)
                started += bool(starts)
                continue
            for source, account in accounts:
                date, status = account["date"], account.get("status")
                if kind == "events" and status != "planned":
                    assert (date["earliest"] or "") <= published[source]
                    if status == "occurred":
                        assert date["latest"] and date["latest"] <= published[source], (id_, source)
                if kind in ("relations", "commitments"):
                    assert (date["earliest"] or "") <= published[source]
            early = max((a["date"]["earliest"] for _, a in accounts if a["date"]["earliest"]), default=None)
            late = min((a["date"]["latest"] for _, a in accounts if a["date"]["latest"]), default=None)
            assert not (early and late and early > late), (kind, id_)
            if len(accounts) > 1:
                days = [a["date"]["precision"] == "day" for _, a in accounts]
                narrowed += days[-1] and not days[0]
                statuses = [a.get("status") for _, a in accounts]
                moved += statuses[0] == "planned" and statuses[-1] == "occurred"
    assert moved > 0 and narrowed > 0 and states > started > 0


def test_disagreements_that_need_a_curator_are_resolved(small):
    pkg, counts = small
    curated = pkg / "data" / "curated"
    resolutions = yaml.safe_load((curated / "resolutions.yaml").read_text(encoding="utf-8"))
    assert len(resolutions) == counts["resolutions"] >= 1
    found = accounts_by_id(pkg)
    kind_of = {id_: kind for kind in ACCOUNT_KINDS for id_ in found[kind]}
    for res in resolutions:
        assert set(res) == {"record", "field", "value", "reason", "saw"} and res["reason"]
        accounts = found[kind_of[res["record"]]][res["record"]]
        given = {json.dumps(a[res["field"]]) for _, a in accounts if a.get(res["field"]) is not None}
        assert len(given) >= 2, res  # the accounts do disagree: the resolution is needed
        assert json.dumps(res["value"]) in given
        # It saw every value the accounts give (docs/accounts.md): none is a disagreement unseen.
        assert given <= {json.dumps(seen["value"]) for seen in res["saw"]}, res


def test_curated_yaml_is_split_one_file_per_source(small):
    pkg, _ = small
    curated = pkg / "data" / "curated"
    source_ids = sorted(
        r["id"] for p in (curated / "sources").glob("*.yaml") for r in yaml.safe_load(p.read_text(encoding="utf-8"))
    )
    assert len(source_ids) == 3
    for kind in KINDS:
        assert yaml.safe_load((curated / f"{kind}.yaml").read_text(encoding="utf-8")) == []
        assert sorted(p.stem for p in (curated / kind).glob("*.yaml")) == source_ids
    assert (curated / "package.yaml").read_bytes() == (ROOT / "data" / "curated" / "package.yaml").read_bytes()
    assert snapshot(pkg / "schema") == snapshot(ROOT / "schema")


def test_sources_match_their_documents_and_quotes_occur_once(small):
    pkg, _ = small
    import hashlib

    curated = pkg / "data" / "curated"
    texts = {}
    for path in (curated / "sources").glob("*.yaml"):
        for record in yaml.safe_load(path.read_text(encoding="utf-8")):
            raw = (pkg / record["path"]).read_bytes()
            assert hashlib.sha256(raw).hexdigest() == record["sha256"]
            text = raw.decode("utf-8")
            first = text.split("\n", 1)[0]
            assert re.fullmatch(r"date [0-9]{4}-[0-9]{2}-[0-9]{2} .+", first)
            assert first == f"date {record['published']} {record['title']}"
            texts[record["id"]] = text
    for kind in KINDS:
        for path in (curated / kind).glob("*.yaml"):
            for record in yaml.safe_load(path.read_text(encoding="utf-8")):
                for span in record["evidence"]:
                    text = texts[span["source"]]
                    if "start" in span:
                        assert text[span["start"] :].startswith(span["quote"])
                    else:
                        assert text.count(span["quote"]) == 1, span["quote"]


def test_same_seed_gives_identical_files_and_another_seed_differs(tmp_path):
    a = tmp_path / "a"
    b = tmp_path / "b"
    c = tmp_path / "c"
    generate.generate(a, events=20, seed=3)
    generate.generate(b, events=20, seed=3)
    generate.generate(c, events=20, seed=4)
    assert snapshot(a) == snapshot(b)
    assert snapshot(a) != snapshot(c)


def test_command_line_refuses_to_overwrite_without_force(tmp_path):
    out = tmp_path / "pkg"
    script = str(ROOT / "benchmarks" / "generate.py")
    first = subprocess.run(
        [sys.executable, script, "--events", "12", "--seed", "1", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["events"] == 12
    again = subprocess.run(
        [sys.executable, script, "--events", "12", "--out", str(out)], capture_output=True, text=True, timeout=120
    )
    assert again.returncode == 2 and "--force" in again.stderr
    forced = subprocess.run(
        [sys.executable, script, "--events", "1k", "--out", str(out), "--force"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert forced.returncode == 0 and json.loads(forced.stdout)["events"] == 1000


def test_events_are_spread_evenly_over_sources():
    # new events per source: 11 event accounts, less those of events an earlier source stated first
    assert generate.events_per_source(20) == [6, 7, 7]
    assert sum(generate.events_per_source(100_000)) == 100_000
    assert set(generate.events_per_source(100_000)) <= {7, 8}
    assert generate.events_per_source(1) == [1]


def test_a_one_source_package_has_no_later_accounts(tmp_path):
    counts = generate.generate(tmp_path / "one", events=1, seed=0)
    assert counts["sources"] == 1 and counts["accounts_per_record"].keys() == {"1"}
    assert counts["resolutions"] == 0
    assert yaml.safe_load((tmp_path / "one" / "data" / "curated" / "resolutions.yaml").read_text()) == []
