"""Text from files printed safely (seccoop.safety.terminal): a source text is taken as received, so its
words may hold terminal escapes and bidi controls; no command prints them raw."""

from __future__ import annotations

import json
import unicodedata

import pytest
from conftest import invoke

from seccoop.model.report import Problem, Report, render_report
from seccoop.safety.terminal import UNSAFE, shown

# Retitles an xterm-like terminal (OSC 0 ... BEL), then clears it (CSI 2J as one C1 character).
ESCAPES = "\x1b]0;owned\x07\x9b2J"
RAW = ("\x1b", "\x07", "\x9b", "\u202e")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("plain words, «quoted», 🚨 and a\u00a0no-break space", "plain words, «quoted», 🚨 and a\u00a0no-break space"),
        (ESCAPES, "\\u001b]0;owned\\u0007\\u009b2J"),
        ("two\nlines\tand a tab\r", "two\\u000alines\\u0009and a tab\\u000d"),
        ("abc\u202edcba\u200b\u2066", "abc\\u202edcba\\u200b\\u2066"),  # bidi override, zero width, isolate
        ("a\u2028b\u2029c", "a\\u2028b\\u2029c"),
        ("private \ue000 and unassigned \u0378", "private \\ue000 and unassigned \\u0378"),
        ("beyond the plane: \U000f0000", "beyond the plane: \\udb80\\udc00"),
        ("a lone surrogate \ud800", "a lone surrogate \\ud800"),
        ("a backslash \\ stays", "a backslash \\ stays"),
    ],
)
def test_shown_escapes_what_does_not_print_as_itself(text, expected):
    assert shown(text) == expected
    assert not [c for c in shown(text) if unicodedata.category(c) in UNSAFE]


@pytest.mark.parametrize("value", [ESCAPES, "x\u202ey\U000f0000\n", {"k\x1b": ["\u2028", 1.5]}])
def test_shown_json_is_still_the_same_json(value):
    assert json.loads(shown(json.dumps(value, ensure_ascii=False))) == value


def test_the_report_escapes_messages_and_file_names_in_every_format():
    problem = Problem(
        "evidence-not-found",
        f"the quote {ESCAPES} does not occur",
        file=f"data/curated/{ESCAPES}.yaml",
        line=3,
        column=5,
        path="$[0].evidence[0].quote",
        hint=f"The source has: \u202e{ESCAPES}",
    )
    report = Report(f"pkg{ESCAPES}", [problem])
    for fmt in ("text", "github", "json"):
        out = render_report(report, fmt)
        assert not any(c in out for c in RAW), (fmt, out)
        assert "\\u001b]0;owned\\u0007" in out, (fmt, out)
    parsed = json.loads(render_report(report, "json"))  # the same data, escaped only for the terminal
    assert parsed["errors"][0]["message"] == problem.message and parsed["package"] == report.package


@pytest.fixture
def escaping_source(base_package, tmp_path):
    """An included source whose text holds a terminal escape, added as a curator would."""
    document = tmp_path / "page.txt"
    document.write_text(
        f"date 2024-04-01 Ruritania opens a post\n\nThe post {ESCAPES} opened at dawn.\n", encoding="utf-8"
    )
    added = invoke(
        "add-source",
        str(document),
        "--package",
        str(base_package),
        "--text",
        "included",
        "--licence",
        "CC0-1.0",
        "--id",
        "escaping",
    )
    assert added.returncode == 0, added.stderr
    return base_package


def test_a_source_holding_escapes_is_accepted_as_received(escaping_source):
    assert invoke("build", str(escaping_source)).returncode == 0
    checked = invoke("check", str(escaping_source))
    assert checked.returncode == 0, checked.stdout


def test_locate_prints_the_context_of_a_quote_without_its_escapes(escaping_source):
    """0.2.0 printed the context raw: the terminal took a new title."""
    result = invoke("locate", "opened at dawn", "--package", str(escaping_source))
    assert result.returncode == 0, result.stderr
    [line] = [line for line in result.stdout.splitlines() if line.startswith("escaping\t")]
    assert not any(c in result.stdout for c in RAW), result.stdout
    assert line.endswith("The post \\u001b]0;owned\\u0007\\u009b2J [opened at dawn]. …"), line
    quoted = invoke("locate", f"post {ESCAPES}", "--package", str(escaping_source))
    assert quoted.returncode == 0 and not any(c in quoted.stdout for c in RAW), quoted.stdout


def test_check_names_a_curated_file_with_escapes_in_its_name_safely(base_package):
    (base_package / "data" / "curated" / "events").mkdir(exist_ok=True)
    (base_package / "data" / "curated" / "events" / f"{ESCAPES}.yaml").write_text("- [unclosed\n", encoding="utf-8")
    for fmt in ("text", "github", "json"):
        result = invoke("check", str(base_package), "--format", fmt)
        assert result.returncode == 1, result.stdout + result.stderr
        assert "owned" in result.stdout and not any(c in result.stdout for c in RAW), (fmt, result.stdout)


def test_verify_prints_span_ids_from_the_published_table_safely(base_package, tmp_path):
    spans = base_package / "data" / "spans.csv"
    text = spans.read_text(encoding="utf-8")
    first_id = text.splitlines()[1].split(",")[0]
    spans.write_text(text.replace(first_id, first_id + ESCAPES, 1), encoding="utf-8")
    copy = tmp_path / "copy.txt"
    copy.write_bytes((base_package / "seeds" / "alpha.txt").read_bytes())
    result = invoke("verify", "alpha", str(copy), "--package", str(base_package))
    assert first_id + "\\u001b]0;owned" in result.stdout and not any(c in result.stdout for c in RAW), result.stdout
