"""Every file a command reads passes the reading gate (docs/safety.md, "Reading: one gate"):
a link committed in a pull request (to a secret file, to /proc/self/environ, to /dev/zero), a
FIFO or an oversized file, at any file of the package, is refused unread. The secret appears in
no output of check, build, any export or diff; nothing hangs; memory stays bounded.

Each command runs as a real process (a hang or an unbounded read would otherwise take the test
run with it), several at a time, each with a timeout and its peak memory measured by wait4."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import copy_package

SECRET = "SECCOOP_GATE_SECRET=s3cr3t-7f2a9c"
TIMEOUT = 90  # seconds; a healthy run of the tiny package takes one or two
MEMORY_KIB = 600 * 1024  # a check of the tiny package peaks near 100 MiB; /dev/zero grows without end

# One file of each kind the package holds (the fixture package: tables, the document, the
# descriptor, schemas, codelists, curated records and registers, seeds).
KINDS = {
    "descriptor": "datapackage.json",
    "document": "data/seccoop.json",
    "table": "data/actor_aliases.csv",
    "retired-ids table": "data/retired_ids.csv",
    "schema": "schema/defs.schema.json",
    "codelist": "schema/codelists/countries.csv",
    "curated records": "data/curated/actors.yaml",
    "curated folder file": "data/curated/actors/beta.yaml",
    "release metadata": "data/curated/package.yaml",
    "register": "data/curated/retired-ids.yaml",
    "released spans": "data/curated/released-spans.txt",
    "seed": "seeds/alpha.txt",
}
PLANTS = ("secret-link", "environ-link", "zero-link", "fifo", "oversized")


@pytest.fixture(scope="module")
def secret_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("outside") / "secret.env"
    path.write_text(f"{SECRET}\n{SECRET},{SECRET}\n")
    return path


def plant(package: Path, rel: str, how: str, secret_file: Path) -> None:
    """Put a link, FIFO or oversized file where the package's file `rel` is."""
    path = package / rel
    if path.exists() or path.is_symlink():
        path.unlink()
    path.parent.mkdir(parents=True, exist_ok=True)
    if how == "secret-link":
        path.symlink_to(secret_file)
    elif how == "environ-link":
        path.symlink_to("/proc/self/environ")
    elif how == "zero-link":
        path.symlink_to("/dev/zero")
    elif how == "fifo":
        os.mkfifo(path)
    else:  # sparse: larger than any limit of the gate, costing no disk
        with open(path, "wb") as f:
            f.truncate((1 << 30) + (1 << 20))


def run_all(commands: list[tuple[list[str], Path]]) -> list[tuple[int, str, int]]:
    """Run `seccoop` commands side by side, two at a time (the machine's cores); return each
    one's (exit status, stdout + stderr, peak memory in KiB). A command still running after
    TIMEOUT is killed and fails the test."""
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"}
    env.update({"CI": "true", "SECCOOP_GATE_SECRET": SECRET.split("=", 1)[1]})
    results: list = [None] * len(commands)
    pending = list(enumerate(commands))
    running: dict[int, tuple] = {}
    while pending or running:
        while pending and len(running) < 2:
            n, (args, cwd) = pending.pop(0)
            out = cwd.parent / f".out-{n}-{time.monotonic_ns()}"
            with open(out, "wb") as sink:
                proc = subprocess.Popen(
                    [sys.executable, "-m", "seccoop", *args],
                    cwd=cwd,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=sink,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            running[proc.pid] = (n, proc, out, time.monotonic(), args)
        time.sleep(0.05)
        for pid, (n, proc, out, started, args) in list(running.items()):
            waited, status, usage = os.wait4(pid, os.WNOHANG)
            if waited == 0:
                if time.monotonic() - started > TIMEOUT:
                    for other in running:  # none outlives the test, the hung one included
                        os.killpg(other, signal.SIGKILL)
                        os.wait4(other, 0)
                    pytest.fail(f"`seccoop {' '.join(args)}` still ran after {TIMEOUT} s")
                continue
            proc.returncode = os.waitstatus_to_exitcode(status)
            results[n] = (proc.returncode, out.read_text(errors="replace"), usage.ru_maxrss)
            out.unlink()
            del running[pid]
    return results


def assert_safe(result: tuple[int, str, int], what: str) -> None:
    status, output, peak = result
    assert "s3cr3t" not in output, f"{what}: the secret reached the output:\n{output}"
    assert peak < MEMORY_KIB, f"{what}: peaked at {peak // 1024} MiB"
    assert "Traceback" not in output, f"{what}:\n{output}"


@pytest.mark.slow  # commands by the dozen, each a process of its own
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_check_refuses_what_is_planted_at_each_file_kind(kind, built_base, tmp_path, secret_file):
    """`check --format github` with each plant at one file of this kind: refused by name, nothing
    of it read, exit 1 (3 where seccoop's own schemas are the file: they cannot be used)."""
    rel = KINDS[kind]
    commands = []
    for how in PLANTS:
        package = copy_package(built_base, tmp_path / how / "pkg")
        plant(package, rel, how, secret_file)
        commands.append((["check", "--format", "github", "--no-cache", "."], package))
    for how, result in zip(PLANTS, run_all(commands), strict=True):
        assert_safe(result, f"{how} at {rel}")
        status, output, _ = result
        expected = 3 if rel.startswith("schema/") else 1
        assert status == expected, f"{how} at {rel}: exit {status}\n{output}"
        assert rel in output, f"{how} at {rel}: the file is not named\n{output}"


def _plant_everywhere(package: Path, how: str, secret_file: Path, but: tuple[str, ...] = ()) -> None:
    for rel in KINDS.values():
        if rel not in but:
            plant(package, rel, how, secret_file)


@pytest.mark.slow  # commands by the dozen, each a process of its own
@pytest.mark.parametrize("how", PLANTS)
def test_every_command_refuses_plants_at_every_file_kind(how, built_base, tmp_path, secret_file):
    """build, every export and diff, with the plant at every file kind at once: none of them
    prints the secret, hangs, grows without bound or crashes; each refuses (exit 1, or 2 where a
    version given to diff is unreadable, or 3 where the schemas cannot be used)."""
    package = copy_package(built_base, tmp_path / "pkg")
    old = copy_package(built_base, tmp_path / "old")
    _plant_everywhere(package, how, secret_file)
    out = tmp_path / "out"
    out.mkdir()
    commands = [
        (["check", "--format", "github", "--no-cache", "."], package),
        (["build", "."], package),
        *[
            (["export", ".", "--no-cache", "--format", fmt, *target], package)
            for fmt, target in (
                ("csv", ["--out", str(out / "csv")]),
                ("json", []),
                ("jsonl", []),
                ("sqlite", ["--out", str(out / "x.db")]),
                ("parquet", ["--out", str(out / "parquet")]),
                ("html", ["--out", str(out / "site")]),
                ("zip", ["--out", str(out / "x.zip")]),
            )
        ],
        (["diff", str(old), "."], package),
        (["diff", ".", str(old)], package),
    ]
    for (args, _), result in zip(commands, run_all(commands), strict=True):
        assert_safe(result, f"{how}: seccoop {' '.join(args)}")
        status, output, _ = result
        assert status in (1, 2, 3), f"{how}: seccoop {' '.join(args)}: exit {status}\n{output}"
    assert not any(out.iterdir()), "an export of a refused package wrote something"


@pytest.mark.slow  # commands by the dozen, each a process of its own
@pytest.mark.parametrize("how", PLANTS)
def test_exports_and_diff_refuse_a_published_file_planted_after_the_check(how, built_base, tmp_path, secret_file):
    """The published files are read through the gate by the export and by diff too, not only by
    the check: a package whose check passed (cached), then a table, the document and the
    descriptor replaced, is refused by name."""
    package = copy_package(built_base, tmp_path / "pkg")
    old = copy_package(built_base, tmp_path / "old")
    for rel in ("data/actor_aliases.csv", "data/seccoop.json", "data/retired_ids.csv"):
        plant(package, rel, how, secret_file)
    commands = [(["diff", str(old), "."], package), (["diff", ".", str(old), "--format", "json"], package)]
    for (args, _), result in zip(commands, run_all(commands), strict=True):
        assert_safe(result, f"{how}: seccoop {' '.join(args)}")
        assert result[0] == 2, f"{how}: seccoop {' '.join(args)}: exit {result[0]}\n{result[1]}"


def test_the_export_reads_published_files_through_the_gate(built_base, tmp_path, secret_file):
    """An export opens every published file through the gate, whatever the check said before:
    replaced by a link after a check, a table is refused by name (exit 1), not copied out."""
    from seccoop.exports.errors import ExportInvalid
    from seccoop.exports.published import Published, SourceTexts
    from seccoop.model.package import Package

    package = copy_package(built_base, tmp_path / "pkg")
    published = Published(Package(package), SourceTexts(Package(package)))
    plant(package, "data/actor_aliases.csv", "secret-link", secret_file)
    with pytest.raises(ExportInvalid) as raised:
        header, rows = published.rows("actor_aliases")
        list(rows)
    (problem,) = raised.value.report.problems
    assert (problem.code, problem.file) == ("file-link", "data/actor_aliases.csv")


def test_frictionless_reads_only_through_the_gate(built_base, tmp_path, secret_file):
    """Frictionless is handed the descriptor as a value and a loader rooted at the package:
    a descriptor naming a file outside the package, a URL, a compressed file or a schema in
    another file is refused before Frictionless sees it, and a refused table is reported once
    (the foreign keys that point at it are not reported again)."""
    import json

    from seccoop.incremental.published import validate_published
    from seccoop.model.package import Package

    package = copy_package(built_base, tmp_path / "pkg")
    descriptor = json.loads((package / "datapackage.json").read_text())
    by_name = {r["name"]: r for r in descriptor["resources"]}
    by_name["actors"]["path"] = str(secret_file)
    by_name["events"]["path"] = "http://169.254.169.254/latest/meta-data"
    by_name["evidence"]["compression"] = "zip"
    by_name["spans"]["schema"] = "schema/spans.json"
    (package / "datapackage.json").write_text(json.dumps(descriptor))
    problems = validate_published(Package(package))
    said = {(p.code, p.message.split(":")[0]) for p in problems}
    for name in ("actors", "events", "evidence", "spans"):
        assert ("package-descriptor", f"resource {name}") in said, problems
    assert not any("s3cr3t" in p.message for p in problems)

    package = copy_package(built_base, tmp_path / "pkg2")
    plant(package, "data/actors.csv", "secret-link", secret_file)
    problems = validate_published(Package(package))
    assert [(p.code, p.file) for p in problems] == [("file-link", "data/actors.csv")]


def test_a_deep_descriptor_is_refused_not_a_crash(built_base, tmp_path):
    """A 100,000-deep descriptor is a package problem (exit 1), never a RecursionError (exit 3)."""
    from conftest import run_cli

    package = copy_package(built_base, tmp_path / "pkg")
    (package / "datapackage.json").write_text("[" * 100_000 + "]" * 100_000)
    result = run_cli("check", "--no-cache", str(package))
    assert result.returncode == 1, result.stderr
    assert "datapackage.json" in result.stdout and "nested too deeply" in result.stdout


def test_a_texts_folder_link_is_refused(tmp_path, real_package, secret_file):
    """A withheld text in the texts folder that is a link is refused unread."""
    from conftest import run_cli

    texts = tmp_path / "texts"
    texts.mkdir()
    sources = (real_package / "data" / "sources.csv").read_text().splitlines()
    sha = next(line for line in sources if ",withheld," in line).split(",")
    sha256 = next(cell for cell in sha if len(cell) == 64)
    (texts / f"{sha256}.txt").symlink_to(secret_file)
    result = run_cli(
        "check", "--no-cache", "--format", "github", "--texts", str(texts), str(real_package), env={"CI": "true"}
    )
    assert "s3cr3t" not in result.stdout + result.stderr
    assert result.returncode == 1, result.stdout + result.stderr
    assert "symbolic link" in result.stdout
