"""The scale benchmarks' package generator (benchmarks/generate.py), at a small size: what it
writes builds and checks clean through the real CLI, and the same seed gives the same bytes.
No timings are asserted here; benchmarks/run.py measures them."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys

import pytest
import yaml

from conftest import ROOT, run_cli, snapshot

KINDS = ("sources", "actors", "relations", "events", "commitments")


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
    result = run_cli("build", str(pkg))
    assert result.returncode == 0, result.stdout + result.stderr
    return pkg, counts


def test_generated_package_builds_and_checks_clean(small):
    pkg, _ = small
    result = run_cli("check", "--strict", str(pkg))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith("valid (0 error(s), 0 warning(s))")
    report = json.loads(run_cli("check", str(pkg), "--format", "json").stdout)
    assert report["valid"] and report["counts"] == {"errors": 0, "warnings": 0}


def test_generated_package_exports(small, tmp_path):
    pkg, _ = small
    out = tmp_path / "db.sqlite"
    result = run_cli("export", str(pkg), "--format", "sqlite", "--out", str(out))
    assert result.returncode == 0, result.stderr
    import sqlite3
    con = sqlite3.connect(out)
    assert con.execute("SELECT count(*) FROM events").fetchone()[0] == 20
    assert con.execute("PRAGMA foreign_key_check").fetchall() == []


def test_counts_and_proportions_follow_the_real_data(small):
    pkg, counts = small
    assert counts["events"] == 20
    sources = counts["sources"]
    assert sources == 2
    assert counts["actors"] == 26 * sources and counts["relations"] == 8 * sources
    assert counts["commitments"] == 9 * sources
    assert 55 * sources <= counts["evidence_spans"] <= 90 * sources
    tables = {name: (pkg / "data" / f"{name}.csv").read_text(encoding="utf-8").count("\n") - 1
              for name in ("events", "actors", "evidence", "event_participants", "commitment_parties")}
    assert tables["events"] == 20 and tables["actors"] == counts["actors"]
    assert tables["evidence"] == counts["evidence_spans"]
    assert tables["event_participants"] == counts["participants"]


def test_curated_yaml_is_split_one_file_per_source(small):
    pkg, _ = small
    curated = pkg / "data" / "curated"
    source_ids = sorted(r["id"] for p in (curated / "sources").glob("*.yaml")
                        for r in yaml.safe_load(p.read_text(encoding="utf-8")))
    assert len(source_ids) == 2
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
                        assert text[span["start"]:].startswith(span["quote"])
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
    first = subprocess.run([sys.executable, script, "--events", "12", "--seed", "1", "--out", str(out)],
                           capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["events"] == 12
    again = subprocess.run([sys.executable, script, "--events", "12", "--out", str(out)],
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 2 and "--force" in again.stderr
    forced = subprocess.run([sys.executable, script, "--events", "1k", "--out", str(out), "--force"],
                            capture_output=True, text=True, timeout=120)
    assert forced.returncode == 0 and json.loads(forced.stdout)["events"] == 1000


def test_events_are_spread_evenly_over_sources():
    assert generate.events_per_source(20) == [10, 10]
    assert sum(generate.events_per_source(100_000)) == 100_000
    assert set(generate.events_per_source(100_000)) <= {10, 11, 12}
    assert generate.events_per_source(1) == [1]
