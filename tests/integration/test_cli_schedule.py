"""``automation-dsl schedule``: the preview on the command line, through the entry point."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.integration.conftest import COMMAND, run_cli

FLOW_PY = """\
from automation_dsl import Automation, at
from automation_dsl.conditions import profile

campaign = (
    Automation()
    .delay(until=at("09:00", tz=profile.timezone, days="Mo-Fr"))
    .send("CAMPAIGN")
)
"""
ROWS = [
    {"recipient": "ny", "profile": {"timezone": "America/New_York"}},
    {"recipient": "ldn", "profile": {"timezone": "Europe/London"}},
    {"recipient": "nozone"},
]
START = "2026-03-06T18:00Z"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "flow.py").write_text(FLOW_PY)
    (tmp_path / "rows.jsonl").write_text("".join(json.dumps(row) + "\n" for row in ROWS))
    return tmp_path


def test_text_table_with_counts_and_exit_1_for_a_recipient_without_a_zone(folder: Path) -> None:
    result = run_cli("schedule", "flow.py:campaign", "--contexts", "rows.jsonl", "--start", START,
                 cwd=folder)  # fmt: skip
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["row", "recipient", "zone", "step", "utc", "local", "flags"]
    assert "2026-03-09 13:00Z" in lines[1]
    assert "Mo 2026-03-09 09:00 EDT" in lines[1]
    assert "Mo 2026-03-09 09:00 GMT" in lines[3]
    assert "no zone (contexts[2].profile.timezone)" in lines[5]
    assert lines[-1] == "3 recipients: 2 scheduled, 1 without a zone"
    assert result.stderr.strip() == (
        "automation-dsl: 1 of 3 recipients have no schedule "
        "(no zone, an invalid row or an error: see the flags)"
    )


def test_json_lines_and_limit(folder: Path) -> None:
    result = run_cli("schedule", "flow.py:campaign", "--contexts", "rows.jsonl", "--start", START,
                 "--json", "--limit", "2", cwd=folder)  # fmt: skip
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [record["recipient"] for record in records] == ["ny", "ldn"]
    assert records[0]["step0_utc"] == "2026-03-09T13:00:00+00:00"
    assert records[0]["step0_local"] == "2026-03-09T09:00:00-04:00"
    everything = run_cli("schedule", "flow.py:campaign", "--contexts", "rows.jsonl", "--json",
                     cwd=folder)  # fmt: skip
    assert everything.returncode == 1
    assert len(everything.stdout.splitlines()) == 3
    assert json.loads(everything.stdout.splitlines()[2])["flags"] == "no zone"


def test_text_limit_shows_the_first_rows_and_counts_all(folder: Path) -> None:
    result = run_cli("schedule", "flow.py:campaign", "--contexts", "rows.jsonl", "--start", START,
                 "--limit", "1", cwd=folder)  # fmt: skip
    assert len(result.stdout.splitlines()) == 1 + 2 + 1
    assert result.stdout.splitlines()[-1].endswith("; the first 1 shown")


def test_standard_input_and_a_module_source(folder: Path) -> None:
    rows = json.dumps(ROWS[0]) + "\n"
    result = subprocess.run(
        [COMMAND, "schedule", "flow:campaign", "--contexts", "-", "--start", START],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=folder,
        input=rows,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(folder), os.environ.get(
            "PYTHONPATH", "")])},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "1 recipient: 1 scheduled" in result.stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"recipient": "a"}\n{oops\n', "rows.jsonl: line 2: not JSON"),
        ('{"recipient": "a"}\n\n{"recipient": "b"}\n', "rows.jsonl: line 2: empty"),
        ('{"recipient": "a"}\n[1, 2]\n', "rows.jsonl: line 2: expected a JSON object"),
        ('{"a": NaN}\n', "rows.jsonl: line 1: not JSON"),
        ("\xff\n", "rows.jsonl: line 1: not JSON"),
        ('{"a": "' + "x" * (1 << 20) + '"}\n', "rows.jsonl: line 1: longer than 1 MiB"),
    ],
    ids=["not-json", "blank", "array", "nan", "latin1", "huge"],
)
def test_a_bad_line_is_reported_with_its_number(folder: Path, content: str, message: str) -> None:
    (folder / "rows.jsonl").write_bytes(content.encode("utf-8", "surrogateescape").replace(
        b"\xc3\xbf", b"\xff"))  # fmt: skip
    result = run_cli("schedule", "flow.py:campaign", "--contexts", "rows.jsonl", cwd=folder)
    assert result.returncode == 1
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"automation-dsl: {message}"), line


def test_a_utf8_byte_order_mark_is_accepted(folder: Path) -> None:
    (folder / "rows.jsonl").write_bytes(b"\xef\xbb\xbf" + json.dumps(ROWS[0]).encode() + b"\n")
    result = run_cli("schedule", "flow.py:campaign", "--contexts", "rows.jsonl", cwd=folder)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--contexts", "missing.jsonl"], 1, "cannot read --contexts missing.jsonl"),
        (["--contexts", "."], 1, "not a regular file"),
        (["--contexts", "rows.jsonl", "--start", "2026-03-06T18:00"], 2, "--start"),
        (["--contexts", "rows.jsonl", "--start", "nan"], 2, "--start"),
        (["--contexts", "rows.jsonl", "--start", "99999-01-01T00:00Z"], 2, "--start"),
        (["--contexts", "rows.jsonl", "--limit", "-1"], 2, "--limit"),
        (["--contexts", "rows.jsonl", "--limit", "x"], 2, "--limit"),
        ([], 2, "--contexts"),
    ],
)
def test_bad_arguments(folder: Path, args: list[str], code: int, message: str) -> None:
    result = run_cli("schedule", "flow.py:campaign", *args, cwd=folder)
    assert result.returncode == code
    assert message in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("nowhere.py:campaign", "cannot load nowhere.py:campaign"),
        ("flow.py:missing", "cannot load flow.py:missing"),
        ("flow.py:at", "flow.py:at() raised"),
    ],
)
def test_bad_sources(folder: Path, source: str, message: str) -> None:
    result = run_cli("schedule", source, "--contexts", "rows.jsonl", cwd=folder)
    assert result.returncode == 1
    assert message in result.stderr, result.stderr


def test_a_flow_json_source_and_a_late_start(folder: Path) -> None:
    from automation_dsl import Automation

    (folder / "flow.json").write_text(Automation().send("A").delay(days=3).to_json())
    result = run_cli("schedule", "flow.json", "--contexts", "rows.jsonl", "--start",
                 "9999-12-30T00:00Z", cwd=folder)  # fmt: skip
    assert result.returncode == 1
    assert "3 in error" in result.stdout
