"""The automation-dsl command, through its installed entry point."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from automation_dsl import Automation

COMMAND = str(Path(sys.executable).parent / "automation-dsl")
FLOW = Automation().send("WELCOME", ref="welcome").delay(days=1).send("NUDGE")


def run(*args: str, cwd: Path | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [COMMAND, *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        env={**os.environ, **env},
    )


@pytest.fixture
def flow_file(tmp_path: Path) -> Path:
    path = tmp_path / "flow.json"
    path.write_text(FLOW.to_json(recipient="user-1", data={"plan": "pro"}))
    return path


def test_help_shows_examples_and_exit_codes() -> None:
    result = run("--help")
    assert result.returncode == 0
    assert "examples:" in result.stdout
    assert "exit codes: 0 done, 1 invalid automation or failed call, 2 bad usage" in result.stdout
    for command in ("validate", "render", "simulate", "invoke", "sandbox"):
        assert command in result.stdout


def test_bad_usage_exits_2() -> None:
    assert run().returncode == 2
    assert run("render", "x.json", "--format", "pdf").returncode == 2


def test_validate_ok_and_every_error_with_its_path(flow_file: Path, tmp_path: Path) -> None:
    ok = run("validate", str(flow_file))
    assert (ok.returncode, ok.stdout.strip()) == (0, "ok: 3 steps")
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            {
                "automation": {
                    "steps": [
                        {"action": "send", "template": "A"},
                        {"action": "dealy", "duration": "1 day"},
                        {"action": "delay", "until": "2024-04-08T09:00:00"},
                        {"action": "delay"},
                    ]
                },
                "recipent": "typo",
            }
        )
    )
    result = run("validate", str(bad))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 3
    assert "automation.steps[1].action" in lines[0]
    assert "did you mean 'delay'" in lines[0]
    assert "automation.steps[3]" in lines[1]
    assert "recipent" in lines[2]
    assert "Traceback" not in result.stderr


def test_missing_file_and_bad_module_are_one_line_errors(tmp_path: Path) -> None:
    result = run("validate", str(tmp_path / "nope.json"))
    assert result.returncode == 1
    assert result.stderr.startswith("automation-dsl: cannot read")
    assert len(result.stderr.strip().splitlines()) == 1
    result = run("render", "no_such_module:flow")
    assert result.returncode == 1
    assert "cannot load no_such_module:flow" in result.stderr
    debug = run("--debug", "render", "no_such_module:flow")
    assert "Traceback" in debug.stderr


def test_render_formats_from_a_module(tmp_path: Path) -> None:
    (tmp_path / "my_flows.py").write_text(
        "from automation_dsl import Automation\n"
        "onboarding = Automation().send('<WELCOME>').delay(days=1)\n"
        "def build():\n    return onboarding.send('NUDGE')\n"
        "VALUE = 42\n"
    )
    env = {"PYTHONPATH": str(tmp_path)}
    text = run("render", "my_flows:onboarding", **env)
    assert text.returncode == 0
    assert "template=<WELCOME>" in text.stdout
    as_json = run("render", "my_flows:build", "--format", "json", **env)
    assert json.loads(as_json.stdout)["automation"]["steps"][2]["template"] == "NUDGE"
    html = run("render", "my_flows:onboarding", "--format", "html", **env)
    assert "&lt;WELCOME&gt;" in html.stdout
    not_a_flow = run("render", "my_flows:VALUE", **env)
    assert not_a_flow.returncode == 1
    assert "my_flows:VALUE is a int, not an Automation" in not_a_flow.stderr


def test_simulate(flow_file: Path) -> None:
    result = run("simulate", str(flow_file), "--start", "2024-04-08T09:00Z")
    assert result.returncode == 0, result.stderr
    assert "2024-04-09 09:00:00Z" in result.stdout
    assert "template=NUDGE recipient=user-1" in result.stdout
    other = run("simulate", str(flow_file), "--recipient", "user-2", "--data", '{"x": 1}')
    assert "recipient=user-2" in other.stdout
    bad = run("simulate", str(flow_file), "--data", "[1]")
    assert bad.returncode == 1
    assert "--data: expected a JSON object" in bad.stderr


def test_invoke_on_a_sandbox(flow_file: Path) -> None:
    result = run("invoke", str(flow_file), "--sandbox")
    assert result.returncode == 0, result.stderr
    run_id, *timeline = result.stdout.splitlines()
    assert run_id.startswith("1-")
    assert any("NUDGE" in line for line in timeline)


def test_invoke_without_a_key_says_how_to_set_one(flow_file: Path) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("COURIER_API_KEY", "COURIER_AUTH_TOKEN")
    }
    result = subprocess.run(
        [COMMAND, "invoke", str(flow_file)], capture_output=True, text=True, timeout=60, env=env
    )
    assert result.returncode == 1
    assert "COURIER_API_KEY" in result.stderr
    assert "Traceback" not in result.stderr
