"""Docs and the ecosystem: generated references fresh, citation and versions consistent, the
pre-commit hook and the curator's add-source command working as documented."""

from __future__ import annotations

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
        example = re.search(r"```yaml\n(.*?)```", section, re.S).group(1)
        cf, problems = load_bytes(example.encode("utf-8"), Path("example.yaml"), "example.yaml")
        assert not problems and len(cf.records) == 1, problems
        record = cf.records[0][1]
        assert schemas.validators[name].is_valid(record), list(schemas.validators[name].iter_errors(record))
    assert "`{earliest: YYYY-MM-DD, latest: YYYY-MM-DD, precision: CODE}`" in sections["Event"]
    assert "`[{actor: ID, role: CODE}]`" in sections["Event"]


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
        "add-source", str(doc), "--package", str(base_package), "--text", "included", "--licence", "CC-BY-4.0"
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
    again = invoke("add-source", str(doc), "--package", str(base_package))
    assert again.returncode == 1
    assert "source `ruritania-police-trainers-arrive-2024-04-02` has the same bytes" in again.stderr
    assert snapshot(base_package) == before


def test_add_source_refuses_a_document_without_its_date_line(base_package, tmp_path):
    doc = tmp_path / "bad.txt"
    doc.write_text("No header here\n", encoding="utf-8")
    before = snapshot(base_package)
    result = invoke("add-source", str(doc), "--package", str(base_package))
    assert (
        result.returncode == 1
        and "has no first line `date YYYY-MM-DD TITLE`; give --title and --published" in result.stderr
    )
    assert snapshot(base_package) == before
