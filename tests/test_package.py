"""The shipped package: valid, fresh, every link declared, every quote exactly its source's words."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil

import pytest
from conftest import ROOT, invoke, run_cli, snapshot

TEXTS = ROOT.parent / "shared" / "texts"


def test_shipped_package_checks_clean():
    """Clean with every text, where the curators' texts folder is beside the checkout (CI); without
    the texts, the only warnings are of spans the last release did not publish (docs/curating.md,
    "Checking without the texts"): they stay unverified until a curator with the texts checks."""
    if TEXTS.is_dir():
        expected = ("--allow", "type-other", "--allow", "event-without-participants")  # .ci/texts
        result = invoke("check", str(ROOT), "--texts", str(TEXTS), "--require-texts", "--strict", *expected)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "valid (0 error(s)," in result.stdout
    result = invoke("check", str(ROOT))
    assert result.returncode == 0, result.stdout + result.stderr
    warned = {line.split()[2] for line in result.stdout.splitlines() if " warning " in line}
    assert warned <= {"evidence-unverified", "type-other", "event-without-participants"}, result.stdout


def test_frictionless_validates_the_package():
    from frictionless import Package

    report = Package(str(ROOT / "datapackage.json")).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


def test_derived_files_are_fresh(real_package):
    """The committed derived files are exactly what `seccoop build` writes."""
    before = snapshot(real_package)
    result = invoke("build", str(real_package))
    assert result.returncode == 0, result.stderr
    stale = sorted(k for k, v in snapshot(real_package).items() if before.get(k) != v)
    assert not stale, f"derived files are stale: {stale}; run `seccoop build` and commit the result"


def test_build_is_deterministic(real_package, tmp_path):
    """Two builds from scratch give the same bytes: one in this process, one in a process of its
    own (another hash seed)."""
    copies = []
    for name, run in (("one", invoke), ("two", run_cli)):
        dest = tmp_path / name
        shutil.copytree(real_package, dest)
        for derived in [*dest.glob("data/*.csv"), dest / "data" / "seccoop.json", dest / "datapackage.json"]:
            derived.unlink()
        assert run("build", str(dest)).returncode == 0
        copies.append(snapshot(dest))
    assert copies[0] == copies[1]


def _rows(name):
    with (ROOT / "data" / f"{name}.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _text_of(source: dict) -> str | None:
    """A source's text where this machine has it: an included one in seeds/; a withheld one in the
    checkout's texts/ folder or the shared seeds (not in CI: then only what needs no text is checked)."""
    if source["text"] == "included":
        raw = (ROOT / source["path"]).read_bytes()
    else:
        candidates = [ROOT / "texts" / f"{source['sha256']}.txt", *(ROOT.parent / "shared" / "seeds").glob("*.txt")]
        raw = next(
            (
                p.read_bytes()
                for p in candidates
                if p.is_file() and hashlib.sha256(p.read_bytes()).hexdigest() == source["sha256"]
            ),
            None,
        )
        if raw is None:
            return None
    assert hashlib.sha256(raw).hexdigest() == source["sha256"]
    return raw.decode("utf-8")


def test_every_evidence_span_is_its_source_text():
    """Every span's length and fingerprint agree with its offsets and published words; where the
    source's text is at hand, its words at the offsets have the fingerprint (docs/rights.md)."""
    sources = {r["id"]: r for r in _rows("sources")}
    texts = {sid: _text_of(source) for sid, source in sources.items()}
    spans = _rows("spans")
    assert spans
    for span in spans:
        start, end = int(span["start"]), int(span["end"])
        assert int(span["length"]) == end - start and end <= int(sources[span["source"]]["length"])
        if span["quote"]:
            assert hashlib.sha256(span["quote"].encode()).hexdigest() == span["sha256"], span["id"]
        else:
            assert sources[span["source"]]["text"] == "withheld", span["id"]  # only a withheld text's words
        text = texts[span["source"]]
        if text is not None:
            assert hashlib.sha256(text[start:end].encode()).hexdigest() == span["sha256"], span["id"]
            assert not span["quote"] or text[start:end] == span["quote"], span["id"]
        assert span["id"] == f"{span['source']}@{span['start']}-{span['end']}"  # what it is
    assert {link["span"] for link in _rows("evidence")} == {span["id"] for span in spans}
    published = {span["id"]: span for span in spans}
    doc = json.loads((ROOT / "data" / "seccoop.json").read_text(encoding="utf-8"))
    for kind, records in doc.items():
        for record in records:
            # A source whose text never states its title quotes nothing of itself (docs/curating.md).
            assert record["id"] and (record["evidence"] or kind == "sources"), (kind, record)
            for span in record["evidence"]:
                row = published[span["id"]]
                assert (span["quote"] or "", span["sha256"], span["length"]) == (
                    row["quote"],
                    row["sha256"],
                    int(row["length"]),
                )


def test_the_seed_article_is_withheld_and_recorded_by_its_fingerprint():
    """It states no licence (README, docs/rights.md): its text is in no tracked file, and the
    package records the received document's exact sha256 and length."""
    [seed] = [s for s in _rows("sources") if s["id"] == "southcom-ecuador-2024-01-12"]
    assert (seed["text"], seed["licence"], seed["path"]) == ("withheld", "unknown", "")
    included = sorted(s["path"] for s in _rows("sources") if s["text"] == "included")
    assert sorted(f"seeds/{p.name}" for p in (ROOT / "seeds").iterdir()) == sorted(["seeds/README.md", *included])
    shared = ROOT.parent / "shared" / "seeds" / "000_8b4bd0562fd5204f.txt"
    if shared.exists():
        raw = shared.read_bytes()
        assert hashlib.sha256(raw).hexdigest() == seed["sha256"]
        assert len(raw.decode("utf-8")) == int(seed["length"])


def test_nested_json_validates_against_the_schemas():
    from seccoop.model.schemas import Schemas

    schemas = Schemas(ROOT / "schema")
    doc = json.loads((ROOT / "data" / "seccoop.json").read_text(encoding="utf-8"))
    errors = list(schemas.validators["seccoop"].iter_errors(doc))
    assert not errors, [e.message for e in errors[:5]]


def test_descriptor_has_what_users_need():
    dp = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))
    for key in (
        "$schema",
        "name",
        "id",
        "version",
        "title",
        "description",
        "created",
        "licenses",
        "sources",
        "contributors",
    ):
        assert dp.get(key), key
    names = {r["name"] for r in dp["resources"]}
    for resource in dp["resources"]:
        path = ROOT / resource["path"]
        data = path.read_bytes()
        assert resource["bytes"] == len(data)
        assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
        if resource["type"] == "table":
            schema = resource["schema"]
            if resource["name"] == "attributions":  # its speaker is empty for a source's own voice: no key
                rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
                keys = [(r["record"], r["source"], r["speaker"]) for r in rows]
                assert "primaryKey" not in schema and len(set(keys)) == len(keys)
            else:
                assert schema["primaryKey"]
            for field in schema["fields"]:
                assert field["title"] and field["description"] and field["type"], field
            for fk in schema.get("foreignKeys", ()):
                assert fk["reference"]["resource"] in names
    assert {"type": "json", "path": "data/seccoop.json"}.items() <= next(
        r for r in dp["resources"] if r["name"] == "seccoop"
    ).items()


# Every link column of every table is a declared foreign key: changing any one value to an id that
# does not exist makes frictionless (alone) report a foreign-key error. Frictionless validates the
# changed table only, as a resource of its package (the tables it references are read for the
# keys): the other tables are unchanged, and validating them too made each case eight times slower.
def _link_columns():
    dp = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))
    for resource in dp["resources"]:
        for fk in resource.get("schema", {}).get("foreignKeys", ()):
            yield resource["name"], fk["fields"][0]


@pytest.mark.parametrize("table,column", sorted(set(_link_columns())))
def test_every_link_is_a_checked_foreign_key(table, column, real_package):
    from frictionless import Package

    path = real_package / "data" / f"{table}.csv"
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    col = rows[0].index(column)
    if len(rows) == 1:  # a table with no rows yet (possibly_same): give it one, valid but for the link
        rows.append(
            [dict(id="laura-richardson", other="laura-richardson", reason="a test").get(h, "") for h in rows[0]]
        )
    rows[1][col] = "no-such-record"  # an empty (nullable) link is checked as soon as it is filled
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    dp_path = real_package / "datapackage.json"
    dp = json.loads(dp_path.read_text(encoding="utf-8"))
    for resource in dp["resources"]:  # let the hash pass so that only the link is wrong
        resource.pop("hash", None)
        resource.pop("bytes", None)
    dp_path.write_text(json.dumps(dp), encoding="utf-8")
    report = Package(str(dp_path)).get_resource(table).validate()
    assert "foreign-key" in {e.type for task in report.tasks for e in task.errors}


@pytest.mark.parametrize("version", ["0.1.0", "0.2.0"])
def test_every_id_published_by_an_earlier_release_is_present_or_retired(version):
    """Migrations keep faith with users: each id of a release (listed once, from its published
    tables: for 0.2.0, `git show 5b01a81:data/<table>.csv`) still names what it named, or is
    retired with what replaced it."""
    retired = {(r["id"], r["table"]): r["replaced_by"] for r in _rows("retired_ids")}
    present = {
        "sources": {r["id"] for r in _rows("sources")},
        "actors": {r["id"] for r in _rows("actors")},
        "relations": {r["id"] for r in _rows("relations")},
        "events": {r["id"] for r in _rows("events")},
        "commitments": {r["id"] for r in _rows("commitments")},
        "evidence": set(),
        "quantities": {r["id"] for r in _rows("quantities")},
        "spans": {r["id"] for r in _rows("spans")},
    }
    spans = present["spans"]
    listed = (ROOT / "tests" / "fixtures" / f"published-ids-{version}.txt").read_text(encoding="utf-8").split("\n")
    for line in filter(None, listed):
        table, id_ = line.split(" ")
        if id_ in present[table]:
            continue
        successor = retired.get((id_, table))
        while successor not in present[table] | spans and (successor, "spans") in retired:
            successor = retired[(successor, "spans")]  # a span retired since: its own successor
        assert successor in present[table] | spans, f"{table} id {id_} of {version} is neither present nor retired"
