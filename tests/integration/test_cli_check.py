"""``automation-dsl check``: rules proven over every path, as CI runs it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.conftest import run_cli

FLOWS = """
from automation_dsl import Automation
from automation_dsl.conditions import MessageStatus, data, refs

onboarding = (
    Automation(cancelation_token="signup")
    .send("WELCOME", ref="welcome")
    .delay(hours=14)
    .send("TIPS", if_=data.plan == "pro")
    .send("NUDGE", if_=refs.welcome.status < MessageStatus.OPENED)
)
calm = Automation(cancelation_token="t").send("WELCOME").delay(days=1).send("TIPS")
"""


@pytest.fixture
def flows(tmp_path: Path) -> str:
    path = tmp_path / "flows.py"
    path.write_text(FLOWS)
    return str(path)


def test_a_broken_rule_exits_1_with_the_counterexample(flows: str) -> None:
    done = run_cli(
        "check", f"{flows}:onboarding", "--recipient", "u1",
        "--max-sends", "2/24h", "--quiet-hours", "22:00-07:00@Europe/London",
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    out = done.stdout
    assert "max_sends(2, per=1 day) fails: 3 sends within 14 hours: steps 0, 2, 3" in out
    assert "assumptions: data.plan === 'pro' and refs.welcome.status < MessageStatus.Opened" in out
    assert "taken: 0 send, 1 delay, 2 send, 3 send" in out
    assert "2024-01-01 23:00:00Z" in out  # the timeline table
    assert "quiet_hours(22:00-07:00 in Europe/London) fails" in out
    assert out.rstrip().endswith("over 4 paths")


def test_rules_that_hold_exit_0(flows: str) -> None:
    done = run_cli(
        "check", f"{flows}:calm", "--recipient", "u1", "--max-sends", "1/24h",
        "--ends-or-cancelable", "--no-send-after-cancel", "--refs-set-before-read",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("ok: 0 violations")


def test_json_records(flows: str) -> None:
    done = run_cli(
        "check", f"{flows}:onboarding", "--recipient", "u1", "--max-sends", "2/1d", "--json"
    )
    assert done.returncode == 1
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert [record["taken"] for record in records] == [[0, 1, 2, 3]]
    assert records[0]["rule"] == "max_sends(2, per=1 day)"
    assert records[0]["timeline"][0]["outcome"] == "started"


def test_quiet_hours_in_the_profile_zone(flows: str) -> None:
    done = run_cli(
        "check", f"{flows}:calm", "--recipient", "u1", "--profile", '{"tz": "Asia/Tokyo"}',
        "--quiet-hours", "17:00-08:00@profile.tz",
    )  # fmt: skip
    assert done.returncode == 1  # 09:00 UTC is 18:00 in Tokyo
    assert "Asia/Tokyo (quiet hours)" in done.stdout


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--max-sends", "2"],
        ["--max-sends", "2/24x"],
        ["--max-sends", "-1/1h"],
        ["--max-sends", "1/0h"],
        ["--quiet-hours", "22:00-07:00"],
        ["--quiet-hours", "25:00-07:00@UTC"],
        ["--quiet-hours", "22:00-07:00@Mars/Base"],
        ["--max-sends", "1/1h", "--max-paths", "0"],
        ["--max-sends", "1/1h", "--start", "yesterday"],
        ["--max-sends", "1/1h", "--data", "[1]"],
    ],
)
def test_usage_errors_exit_2(flows: str, args: list[str]) -> None:
    done = run_cli("check", f"{flows}:calm", *args)
    assert done.returncode == 2, (args, done.stdout, done.stderr)
    assert done.stderr.startswith("automation-dsl: ") or "usage:" in done.stderr


def test_a_missing_flow_exits_1(tmp_path: Path) -> None:
    done = run_cli("check", "nosuchmodule_xyz:flow", "--max-sends", "1/1h")
    assert done.returncode == 1
    assert "cannot load" in done.stderr


def test_too_many_paths_proves_nothing(tmp_path: Path) -> None:
    path = tmp_path / "wide.py"
    path.write_text(
        "from automation_dsl import Automation\nfrom automation_dsl.conditions import data\n"
        "flow = Automation()\nfor i in range(6):\n    flow = flow.send('T', if_=data[f'x{i}'])\n"
    )
    done = run_cli(
        "check", f"{path}:flow", "--recipient", "u", "--max-sends", "9/1h", "--max-paths", "10"
    )
    assert done.returncode == 1
    assert "nothing proven" in done.stderr
