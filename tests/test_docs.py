"""Docs and the ecosystem: generated references fresh, citation and versions consistent, the
pre-commit hook and the curator's add-source command working as documented."""

from __future__ import annotations

import csv
import json
import os
import re
import shlex
import subprocess
import sys

import yaml
from conftest import ROOT, invoke, snapshot

from seccoop.cli import main
from seccoop.curator.docs import stale_docs
from seccoop.model.package import Package


def test_generated_docs_are_fresh():
    stale = stale_docs(Package(ROOT), main)
    assert not stale, f"{stale} are stale: run `seccoop docs` and commit the result"


def test_data_dictionary_covers_every_field_and_code():
    text = (ROOT / "docs" / "data-dictionary.md").read_text(encoding="utf-8")
    dp = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))
    for resource in dp["resources"]:
        if resource["type"] == "table":
            assert f"### {resource['name']}" in text
            for field in resource["schema"]["fields"]:
                assert f"| `{field['name']}` |" in text
    for path in (ROOT / "schema" / "codelists").glob("*.csv"):
        if path.name != "countries.csv":
            for line in path.read_text(encoding="utf-8").splitlines()[1:]:
                assert f"| `{line.split(',')[0]}` |" in text


def test_curated_yaml_reference_documents_every_field_and_its_examples_are_valid():
    """docs/curated-yaml.md: every field of every curated file, whose it is, and an example entry
    that the loader reads and the kind's schema accepts."""
    from pathlib import Path

    from seccoop.checks.accounts import RECORD_FIELDS
    from seccoop.model.load import load_bytes
    from seccoop.model.schemas import Schemas

    text = (ROOT / "docs" / "curated-yaml.md").read_text(encoding="utf-8")
    schemas = Schemas(ROOT / "schema")
    sections = dict(re.findall(r"^## (.+?)\n(.*?)(?=^## |\Z)", text, re.M | re.S))
    for name in ("source", "actor", "relation", "event", "commitment", "resolution", "possibly-same", "retired-id"):
        doc = schemas.documents[name]
        section = sections[doc["title"]]
        for field in doc["properties"]:
            row = next(line for line in section.splitlines() if line.startswith(f"| `{field}` |"))
            if field in RECORD_FIELDS.get(name, ()):
                assert "| in one account | the record's own |" in row, row
            elif name in RECORD_FIELDS and field in doc["required"]:
                assert "| yes |" in row, row
        block = re.search(r"```yaml\n(.*?)```", section, re.S)
        if block is None:  # no entry of this kind in the package: no example (test_curated_yaml_examples_...)
            continue
        cf, problems = load_bytes(block.group(1).encode("utf-8"), Path("example.yaml"), "example.yaml")
        assert not problems and len(cf.records) == 1, problems
        record = cf.records[0][1]
        assert schemas.validators[name].is_valid(record), list(schemas.validators[name].iter_errors(record))
    assert "`{earliest: YYYY-MM-DD, latest: YYYY-MM-DD, precision: CODE}`" in sections["Event"]
    assert "`[{actor: ID, role: CODE}]`" in sections["Event"]


def _published(table: str) -> list[dict[str, str]]:
    path = ROOT / "data" / f"{table}.csv"
    return list(csv.DictReader(path.open(encoding="utf-8", newline=""))) if path.exists() else []


def test_data_dictionary_examples_are_values_the_published_tables_hold():
    """Issue 24: every example of the data dictionary is a value its column holds in the real
    package's data/<table>.csv (a link's example is an id that exists, no made-up value), and every
    column the real package fills shows one; a column it leaves empty shows none."""
    from seccoop.published.tables import TABLES

    text = (ROOT / "docs" / "data-dictionary.md").read_text(encoding="utf-8")
    shown = 0
    for table in TABLES:
        section = re.search(rf"^### {table.name}\n(.*?)(?=^##)", text, re.M | re.S).group(1)
        rows = _published(table.name)
        for col in table.columns:
            line = next(x for x in section.splitlines() if x.startswith(f"| `{col.name}` |"))
            example = re.split(r"(?<!\\)\|", line)[-2].strip()
            held = {row[col.name].replace("|", "\\|").replace("\n", " ") for row in rows if row.get(col.name)}
            if not held:
                assert example == "", f"{table.name}.{col.name}: {example} is shown, but the column is empty"
                continue
            assert example.startswith("`") and example.endswith("`"), f"{table.name}.{col.name} shows no example"
            assert example[1:-1] in held, f"{table.name}.{col.name}: {example} is no value of {table.path}"
            shown += 1
    assert shown > 100


def _curated(*names: str) -> list[dict]:
    """The entries of the real package's curated files, every scalar as its text (YAML's base
    loader, as the examples are read: dates and numbers compare as written)."""
    entries = []
    for name in names:
        path = ROOT / "data" / "curated" / name
        if path.is_file():
            entries += yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader) or []
    return entries


def test_curated_yaml_examples_are_real_entries():
    """Issue 24: every example of docs/curated-yaml.md is taken from the real package's curated
    files: an entry's fields are those of a real entry with its id, its evidence spans some of that
    entry's spans, and every quote one the package publishes (data/spans.csv); each nested example is
    a value the real entries hold. A kind with no real entry shows no example."""
    from seccoop.model.package import KINDS, PLURAL
    from seccoop.model.schemas import Schemas

    text = (ROOT / "docs" / "curated-yaml.md").read_text(encoding="utf-8")
    schemas = Schemas(ROOT / "schema")
    sections = dict(re.findall(r"^## (.+?)\n(.*?)(?=^## |\Z)", text, re.M | re.S))
    published = {(r["source"], r["quote"]) for r in _published("spans") if r["quote"]}
    files = {"resolution": "resolutions.yaml", "possibly-same": "possibly-same.yaml", "retired-id": "retired-ids.yaml"}

    def entries_of(name):
        if name not in KINDS:
            return _curated(files[name])
        curated = ROOT / "data" / "curated"
        folder = sorted(p.relative_to(curated).as_posix() for p in (curated / PLURAL[name]).rglob("*.yaml"))
        return _curated(f"{PLURAL[name]}.yaml", *folder)

    def example_of(section):
        block = re.search(r"```yaml\n(.*?)```", section, re.S)
        return None if block is None else yaml.load(block.group(1), Loader=yaml.BaseLoader)

    def assert_quotes_published(spans):
        for span in spans:
            if "quote" in span:
                assert (span["source"], span["quote"]) in published, f"{span['quote']!r} is not published"

    all_entries = [e for kind in KINDS for e in entries_of(kind)]
    for name in (*KINDS, *files):
        example, real = example_of(sections[schemas.documents[name]["title"]]), entries_of(name)
        if not real:
            assert example is None, f"{name}: an example, but the package has no entry"
            continue
        (entry,) = example
        key = "record" if name == "resolution" else "id"
        # Several sources give accounts of one id: the example is one of them, field for field.
        accounts = [e for e in real if e.get(key) == entry[key]]
        fields = {f: v for f, v in entry.items() if f != "evidence"}
        match = next((e for e in accounts if all(e.get(f) == v for f, v in fields.items())), None)
        assert match is not None, (name, entry[key], "no account of that id has these fields")
        assert_quotes_published(entry.get("evidence", ()))
        for span in entry.get("evidence", ()):
            assert any(span.items() <= real_span.items() for real_span in match["evidence"]), (name, span)
    places = {"date_bounds": "date", "participant": "participants", "party": "parties", "quantity": "quantities"}
    defs = schemas.documents["defs"]["$defs"]
    for name, node in ((n, defs[n]) for n in (*places, "evidence_span")):
        example = example_of(sections[node["title"]])
        if name == "evidence_span":
            held = [s for e in all_entries for s in e.get("evidence", ())]
            assert_quotes_published([example])
        elif name == "date_bounds":
            held = [e["date"] for e in all_entries if "date" in e]
        else:
            held = [v for e in all_entries for v in e.get(places[name], ())]
        assert example in held, (name, example)


def test_cli_reference_names_the_program_once():
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert "seccoop seccoop" not in text
    assert "Usage: seccoop check [OPTIONS] [PACKAGE]" in text


def test_error_code_reference_lists_every_code():
    from seccoop.model.report import CODES

    text = (ROOT / "docs" / "error-codes.md").read_text(encoding="utf-8")
    assert all(f"| `{code}` |" in text for code in CODES)


def test_citation_has_the_fields_cff_1_2_requires():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert cff["cff-version"] == "1.2.0"
    for key in ("message", "title", "authors"):
        assert cff[key], key
    for author in cff["authors"]:
        assert author.get("name") or author.get("family-names"), author
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(cff["date-released"]))


def test_versions_agree():
    dp = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))
    pyproject = re.search(r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(encoding="utf-8"), re.M)
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    # The top released entry: work towards the next release gathers under "## Unreleased".
    changelog = re.search(r"^## (\d\S*)", (ROOT / "CHANGELOG.md").read_text(encoding="utf-8"), re.M)
    assert re.fullmatch(r"\d+\.\d+\.\d+", dp["version"])
    assert dp["version"] == pyproject.group(1) == str(cff["version"]) == changelog.group(1)


def test_pre_commit_hook_entry_runs_as_pre_commit_would(base_package):
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    hook = next(h for h in hooks if h["id"] == "seccoop-check")
    assert hook["pass_filenames"] is False
    bindir = os.path.dirname(sys.executable)
    env = {**os.environ, "PATH": bindir + os.pathsep + os.environ["PATH"]}
    ok = subprocess.run(shlex.split(hook["entry"]), cwd=base_package, env=env, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    (base_package / "data" / "events.csv").write_text("id\n", encoding="utf-8")
    bad = subprocess.run(shlex.split(hook["entry"]), cwd=base_package, env=env, capture_output=True, text=True)
    assert bad.returncode == 1 and "package-stale" in bad.stdout


def test_action_runs_check_in_github_format():
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    script = "\n".join(step.get("run", "") for step in action["runs"]["steps"])
    assert "seccoop check" in script and "--format github" in script


def test_add_source_copies_the_document_and_records_it(base_package, tmp_path):
    doc = tmp_path / "gamma.txt"
    doc.write_bytes("date 2024-04-02 Ruritania: police “trainers” arrive\n\nThe trainers arrived.".encode())
    result = invoke(
        "add-source",
        str(doc),
        "--package",
        str(base_package),
        "--text",
        "included",
        "--licence",
        "CC-BY-4.0",
        "--attribution",
        "“Trainers arrive”, Ruritanian Wire, CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/), unchanged",
    )
    assert result.returncode == 0, result.stderr
    seed = next(p for p in (base_package / "seeds").glob("002_*.txt"))
    assert seed.read_bytes() == doc.read_bytes()
    assert invoke("build", str(base_package)).returncode == 0
    checked = invoke("check", str(base_package))
    assert checked.returncode == 0, checked.stdout
    sources = (base_package / "data" / "sources.csv").read_text(encoding="utf-8")
    assert "ruritania-police-trainers-arrive-2024-04-02" in sources
    before = snapshot(base_package)
    again = invoke("add-source", str(doc), "--package", str(base_package), "--url", "https://example.org/g")
    assert again.returncode == 1
    assert "source `ruritania-police-trainers-arrive-2024-04-02` has the same bytes" in again.stderr
    assert snapshot(base_package) == before


def test_add_source_refuses_a_document_without_its_date_line(base_package, tmp_path):
    doc = tmp_path / "bad.txt"
    doc.write_text("No header here\n", encoding="utf-8")
    before = snapshot(base_package)
    result = invoke("add-source", str(doc), "--package", str(base_package), "--url", "https://example.org/bad")
    assert (
        result.returncode == 1
        and "has no first line `date YYYY-MM-DD TITLE`; give --title and --published" in result.stderr
    )
    assert snapshot(base_package) == before
