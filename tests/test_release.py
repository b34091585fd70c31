"""The release archive (`seccoop export --format zip`): deterministic to the byte, valid for
Frictionless straight from the zip, holding what a downloader needs and nothing else."""

from __future__ import annotations

import hashlib
import json
import zipfile

from conftest import ROOT, invoke, run_cli


def _release(tmp_path, name: str, *args: str, run=invoke):
    out = tmp_path / name
    result = run("export", *args, "--format", "zip", "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out, result


def test_two_builds_are_byte_identical_and_the_sha256_is_printed(tmp_path):
    one, result = _release(tmp_path, "one.zip")
    two, _ = _release(tmp_path, "two.zip", run=run_cli)  # a process of its own: another hash seed
    assert one.read_bytes() == two.read_bytes()
    assert result.stdout == f"{hashlib.sha256(one.read_bytes()).hexdigest()}  one.zip\n"


def test_frictionless_validates_the_package_from_the_zip(tmp_path):
    from frictionless import Package, system

    archive, _ = _release(tmp_path, "seccoop.zip")
    with system.use_context(trusted=False):
        report = Package(str(archive)).validate()
    assert report.valid, report.flatten(["type", "message"])[:5]
    assert {task.name for task in report.tasks} >= {"events", "spans", "event_types", "seccoop"}


def test_the_archive_holds_what_a_downloader_needs_and_nothing_else(tmp_path):
    archive, _ = _release(tmp_path, "seccoop.zip")
    with zipfile.ZipFile(archive) as z:
        infos = z.infolist()
        names = [i.filename for i in infos]
    assert names == sorted(names) and len(names) == len(set(names))
    for needed in (
        "datapackage.json",
        "data/events.csv",
        "data/spans.csv",
        "data/seccoop.json",
        "schema/event.schema.json",
        "schema/codelists/event-types.csv",
        "README.md",
        "LICENSE",
        "CITATION.cff",
        "CHANGELOG.md",
    ):
        assert needed in names, needed
    # No curated YAML, no texts folder, no build output; of seeds/, the included texts only (the
    # seed article and every other withheld text are not there).
    assert not [n for n in names if n.startswith(("data/curated/", "texts/", "tests/", "validators/"))]
    resources = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))["resources"]
    included = {r["path"] for r in resources if r["type"] == "text"}
    assert included and {n for n in names if n.startswith("seeds/")} == included
    # every member dated the release's date (`created`), never the clock: the same bytes each time
    created = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))["created"]
    released = tuple(int(part) for part in created[:10].split("-")) + (0, 0, 0)
    assert all(i.date_time == released and (i.external_attr >> 16) == 0o100644 for i in infos)


def test_a_release_needs_a_checkout_and_a_file(tmp_path, built_base):
    result = invoke("export", str(built_base), "--format", "zip", "--out", str(tmp_path / "x.zip"))
    assert result.returncode == 2 and "a release archive is made from a checkout" in result.stderr
    result = invoke("export", "--format", "zip")
    assert result.returncode == 2 and "zip needs --out FILE" in result.stderr
    result = invoke("export", "--format", "zip", "--table", "events", "--out", str(tmp_path / "x.zip"))
    assert result.returncode == 2 and "--table does not apply" in result.stderr
    assert not (tmp_path / "x.zip").exists()
