"""The runs commands of automation-dsl (invoke-template, runs list/get/steps/wait,
templates) against a real sandbox, --json on every command, exit codes, hostile input."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from automation_dsl import Automation
from automation_dsl._cli import main
from automation_dsl.sandbox import Sandbox
from tests.integration.conftest import run_cli

pytestmark = pytest.mark.integration

SLOW = Automation().send("WELCOME").delay(days=1).send("NUDGE")


@pytest.fixture
def served() -> Iterator[tuple[Sandbox, dict[str, str]]]:
    """A sandbox with two templates, and the environment that points the CLI at it."""
    with Sandbox() as sandbox:
        sandbox.register_template("onboarding", Automation().send("WELCOME"))
        sandbox.register_template("slow", SLOW)
        env = {"COURIER_API_KEY": sandbox.api_key, "COURIER_BASE_URL": sandbox.url}
        yield sandbox, env


def json_error(result: subprocess.CompletedProcess[str]) -> dict[str, object]:
    error = json.loads(result.stderr)["error"]
    assert isinstance(error, dict)
    assert error["exit_code"] == result.returncode
    return error


def test_invoke_template_then_runs_get_steps_list_wait(
    served: tuple[Sandbox, dict[str, str]],
) -> None:
    sandbox, env = served
    made = run_cli(
        "invoke-template",
        "slow",
        "--recipient",
        "u1",
        "--data",
        '{"plan": "pro"}',
        "--json",
        **env,
    )
    assert made.returncode == 0, made.stderr
    run_id = json.loads(made.stdout)["run_id"]
    assert sandbox.run(run_id).template_id == "slow"

    got = json.loads(run_cli("runs", "get", run_id, "--json", **env).stdout)
    assert set(got) == {"run_id", "status", "created_at", "template_id"}
    assert (got["run_id"], got["status"], got["template_id"]) == (run_id, "WAITING", "slow")
    assert got["created_at"].startswith("20")
    text = run_cli("runs", "get", run_id, **env)
    assert text.stdout.split()[:2] == [run_id, "WAITING"]

    steps = run_cli("runs", "steps", run_id, "--json", **env)
    records = [json.loads(line) for line in steps.stdout.splitlines()]
    assert [(r["action"], r["status"]) for r in records] == [
        ("send", "PROCESSED"),
        ("delay", "WAITING"),
        ("send", "NOT PROCESSED"),
    ]
    assert run_cli("runs", "steps", run_id, **env).stdout.splitlines()[1].split() == [
        "delay",
        "WAITING",
        "-",
    ]

    listed = run_cli("runs", "list", "--template", "slow", "--status", "WAITING", "--json", **env)
    assert [json.loads(line)["run_id"] for line in listed.stdout.splitlines()] == [run_id]
    none = run_cli("runs", "list", "--status", "PROCESSED", "--json", **env)
    assert (none.returncode, none.stdout) == (0, "")

    timed_out = run_cli("runs", "wait", run_id, "--timeout", "0.3", "--poll", "0.05", **env)
    assert timed_out.returncode == 1
    assert run_id in timed_out.stderr
    assert "WAITING" in timed_out.stderr
    assert (
        json_error(
            run_cli("runs", "wait", run_id, "--timeout", "0.2", "--poll", "0.05", "--json", **env)
        )["type"]
        == "WaitTimeoutError"
    )
    until = run_cli("runs", "wait", run_id, "--until", "WAITING", "--json", **env)
    assert json.loads(until.stdout)["status"] == "WAITING"

    sandbox.advance(timedelta(days=2))
    waited = run_cli("runs", "wait", run_id, "--timeout", "10", "--poll", "0.05", "--json", **env)
    assert (waited.returncode, json.loads(waited.stdout)["status"]) == (0, "PROCESSED")


def test_runs_list_limit_and_templates(served: tuple[Sandbox, dict[str, str]]) -> None:
    sandbox, env = served
    with sandbox.client() as client:
        for index in range(30):
            client.invoke(Automation().send("HI"), recipient=f"u{index}")
    assert len(run_cli("runs", "list", "--json", **env).stdout.splitlines()) == 20
    assert len(run_cli("runs", "list", "--limit", "0", **env).stdout.splitlines()) == 30
    assert len(run_cli("runs", "list", "--limit", "3", **env).stdout.splitlines()) == 3
    templates = run_cli("templates", "--json", **env)
    assert [json.loads(line)["id"] for line in templates.stdout.splitlines()] == [
        "onboarding",
        "slow",
    ]
    drafts = run_cli("templates", "--version", "draft", **env)
    assert drafts.stdout.splitlines()[0].split() == ["onboarding", "onboarding", "draft"]


def test_api_key_from_file_and_missing_key(
    served: tuple[Sandbox, dict[str, str]], tmp_path: Path
) -> None:
    sandbox, env = served
    key_file = tmp_path / "key"
    key_file.write_text(sandbox.api_key + "\n")
    base = {"COURIER_BASE_URL": sandbox.url, "COURIER_API_KEY": "", "COURIER_AUTH_TOKEN": ""}
    for args in (
        ("templates",),
        ("runs", "list"),
        ("invoke-template", "onboarding", "--recipient", "u1"),
    ):
        ok = run_cli(*args, "--api-key-file", str(key_file), **base)
        assert ok.returncode == 0, ok.stderr
        missing = run_cli(*args, "--json", **base)
        assert missing.returncode == 1
        assert "no Courier API key" in str(json_error(missing)["message"])
    wrong = run_cli("runs", "list", "--json", **{**env, "COURIER_API_KEY": "sk_wrong"})
    assert json_error(wrong)["type"] == "AuthenticationError"
    assert sandbox.api_key not in wrong.stderr


def test_error_exit_codes(served: tuple[Sandbox, dict[str, str]]) -> None:
    _, env = served
    unknown = run_cli("invoke-template", "nope", "--recipient", "u1", "--json", **env)
    assert unknown.returncode == 1
    assert json_error(unknown)["type"] == "NotFoundError"
    gone = run_cli("runs", "get", "1-nope", "--json", **env)
    assert gone.returncode == 1
    assert json_error(gone)["type"] == "NotFoundError"
    assert run_cli("runs", "steps", "1-nope", **env).returncode == 1
    bad_data = run_cli("invoke-template", "onboarding", "--data", "[1]", "--json", **env)
    assert bad_data.returncode == 2
    assert json_error(bad_data)["type"] == "CommandError"
    assert run_cli("runs", **env).returncode == 2
    assert run_cli("templates", "--version", "old", **env).returncode == 2
    down = run_cli("runs", "list", **{**env, "COURIER_BASE_URL": "http://127.0.0.1:9"})
    assert down.returncode == 1
    assert "automation-dsl:" in down.stderr


@pytest.mark.parametrize("run_id", ["..", ".", "", " ", "x" * 10_000])
@pytest.mark.parametrize("command", ["get", "steps", "wait"])
def test_hostile_run_ids_are_usage_errors(
    served: tuple[Sandbox, dict[str, str]], command: str, run_id: str
) -> None:
    _, env = served
    result = run_cli("runs", command, run_id, **env)
    assert result.returncode == 2
    assert "expected a run id" in result.stderr
    assert len(result.stderr) < 1000


def test_run_ids_with_slash_and_nul(
    served: tuple[Sandbox, dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    _sandbox, env = served
    slashed = run_cli("runs", "get", "a/../b", "--json", **env)
    assert slashed.returncode == 1
    assert json_error(slashed)["type"] == "NotFoundError"
    with pytest.MonkeyPatch.context() as patch:  # argv cannot carry NUL: call main itself
        for name, value in env.items():
            patch.setenv(name, value)
        assert main(["runs", "get", "a\x00b", "--json"]) == 1
    assert "NotFoundError" in capsys.readouterr().err


@pytest.mark.parametrize(
    "value", ["0", "-1", "nan", "NaN", "inf", "-inf", "1e300", "2592001", "abc", ""]
)
@pytest.mark.parametrize("option", ["--timeout", "--poll"])
def test_hostile_seconds_are_usage_errors(
    served: tuple[Sandbox, dict[str, str]], option: str, value: str
) -> None:
    _, env = served
    result = run_cli("runs", "wait", "r-1", f"{option}={value}", **env)
    assert result.returncode == 2
    assert "expected seconds" in result.stderr


def test_json_on_every_command(tmp_path: Path) -> None:
    from automation_dsl._cli import _parser

    parser = _parser()
    commands = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    runs = commands["runs"]._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    every = {**{n: c for n, c in commands.items() if n != "runs"}, **runs}
    missing = [name for name, c in every.items() if "--json" not in c._option_string_actions]
    assert missing == []

    flow = tmp_path / "flow.json"
    flow.write_text(SLOW.to_json(recipient="u1"))
    rows = tmp_path / "rows.jsonl"
    rows.write_text('{"recipient": "u1", "profile": {"timezone": "UTC"}}\n')
    for args in (
        ("validate", str(flow)),
        ("schema",),
        ("render", str(flow)),
        ("simulate", str(flow), "--start", "2024-04-08T09:00Z"),
        ("invoke", str(flow), "--sandbox"),
        ("schedule", str(flow), "--contexts", str(rows), "--start", "2024-04-08T09:00Z"),
        ("check", str(flow), "--ends-or-cancelable"),
    ):
        result = run_cli(*args, "--json")
        lines = result.stdout.splitlines()
        assert lines, (args, result.stderr)
        assert all(isinstance(json.loads(line), dict) for line in lines), args
    failed = run_cli("validate", str(tmp_path / "missing.json"), "--json")
    assert failed.returncode == 1
    assert json_error(failed)["type"] == "CommandError"
    bad = tmp_path / "bad.json"
    bad.write_text('{"automation": {"steps": [{"action": "dealy"}]}}')
    invalid = run_cli("validate", str(bad), "--json")
    error = json_error(invalid)
    assert error["type"] == "ValidationError"
    assert "dealy" in json.dumps(error["errors"])


def test_help_documents_the_commands_and_exit_codes() -> None:
    top = run_cli("--help").stdout
    for text in ("invoke-template", "runs list", "runs wait", "templates", "--json", "130"):
        assert text in top
    wait = run_cli("runs", "wait", "--help").stdout
    assert "--timeout" in wait
    assert "--until" in wait
    assert "--json" in wait
