"""The automation-dsl command, through its installed entry point."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from automation_dsl import Automation
from tests.integration.conftest import COMMAND, run_cli, with_path

FLOW = Automation().send("WELCOME", ref="welcome").delay(days=1).send("NUDGE")


@pytest.fixture
def flow_file(tmp_path: Path) -> Path:
    path = tmp_path / "flow.json"
    path.write_text(FLOW.to_json(recipient="user-1", data={"plan": "pro"}))
    return path


def test_help_shows_examples_and_exit_codes() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    assert "examples:" in result.stdout
    assert (
        "exit codes: 0 done, 1 invalid automation or failed call, 2 bad usage, 3 internal error"
        in result.stdout
    )
    for command in ("validate", "render", "simulate", "invoke", "sandbox"):
        assert command in result.stdout


def test_bad_usage_exits_2() -> None:
    assert run_cli().returncode == 2
    assert run_cli("render", "x.json", "--format", "pdf").returncode == 2


def test_validate_ok_and_every_error_with_its_path(flow_file: Path, tmp_path: Path) -> None:
    ok = run_cli("validate", str(flow_file))
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
    result = run_cli("validate", str(bad))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 3
    assert "automation.steps[1].action" in lines[0]
    assert "did you mean 'delay'" in lines[0]
    assert "automation.steps[3]" in lines[1]
    assert "recipent" in lines[2]
    assert "Traceback" not in result.stderr


def test_missing_file_and_bad_module_are_one_line_errors(tmp_path: Path) -> None:
    result = run_cli("validate", str(tmp_path / "nope.json"))
    assert result.returncode == 1
    assert result.stderr.startswith("automation-dsl: cannot read")
    assert len(result.stderr.strip().splitlines()) == 1
    result = run_cli("render", "no_such_module:flow")
    assert result.returncode == 1
    assert "cannot load no_such_module:flow" in result.stderr
    debug = run_cli("--debug", "render", "no_such_module:flow")
    assert "Traceback" in debug.stderr


def test_render_formats_from_a_module(tmp_path: Path) -> None:
    (tmp_path / "my_flows.py").write_text(
        "from automation_dsl import Automation\n"
        "onboarding = Automation().send('<WELCOME>').delay(days=1)\n"
        "def build():\n    return onboarding.send('NUDGE')\n"
        "VALUE = 42\n"
    )
    env = with_path(tmp_path)
    text = run_cli("render", "my_flows:onboarding", **env)
    assert text.returncode == 0
    assert "template=<WELCOME>" in text.stdout
    as_json = run_cli("render", "my_flows:build", "--format", "json", **env)
    assert json.loads(as_json.stdout)["automation"]["steps"][2]["template"] == "NUDGE"
    html = run_cli("render", "my_flows:onboarding", "--format", "html", **env)
    assert "&lt;WELCOME&gt;" in html.stdout
    not_a_flow = run_cli("render", "my_flows:VALUE", **env)
    assert not_a_flow.returncode == 1
    assert "my_flows:VALUE is int, not an Automation" in not_a_flow.stderr


def test_simulate(flow_file: Path) -> None:
    result = run_cli("simulate", str(flow_file), "--start", "2024-04-08T09:00Z")
    assert result.returncode == 0, result.stderr
    assert "2024-04-09 09:00:00Z" in result.stdout
    assert "template=NUDGE recipient=user-1" in result.stdout
    other = run_cli("simulate", str(flow_file), "--recipient", "user-2", "--data", '{"x": 1}')
    assert "recipient=user-2" in other.stdout
    bad = run_cli("simulate", str(flow_file), "--data", "[1]")
    assert bad.returncode == 2
    assert "--data: expected a JSON object" in bad.stderr


def test_invoke_on_a_sandbox(flow_file: Path) -> None:
    result = run_cli("invoke", str(flow_file), "--sandbox")
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
    assert "--api-key-file" in result.stderr  # the CLI's own ways, not the library's api_key=
    assert "Traceback" not in result.stderr


# -- hostile input: one line on stderr, a documented exit code, never a traceback -----------


def one_line_failure(result: subprocess.CompletedProcess[str], code: int = 1) -> str:
    assert result.returncode == code, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("automation-dsl: ")
    return lines[0]


STEPS = '{"steps": [{"action": "send", "template": "A"}]}'


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("utf-8.json", STEPS.encode()),
        ("utf-8-bom.json", b"\xef\xbb\xbf" + STEPS.encode()),
        ("utf-16.json", STEPS.encode("utf-16")),
        ("utf-32.json", STEPS.encode("utf-32")),
    ],
)
def test_utf8_with_or_without_bom_and_utf16_32_with_a_bom_are_read(
    tmp_path: Path, name: str, content: bytes
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    result = run_cli("validate", str(path))
    assert (result.returncode, result.stdout, result.stderr) == (0, "ok: 1 step\n", "")


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"\x80\x81garbage\xe1\x80", "save it as UTF-8"),
        (STEPS.encode("latin-1").replace(b"A", b"\xe9"), "save it as UTF-8"),
        (b"", "not JSON"),
        (b"   \n", "not JSON"),
        (b'{"steps": [}', "not JSON"),
        (b'{"steps": [{"action": "send", "template": NaN}]}', "no NaN or Infinity), got 'NaN'"),
        (b'{"steps": [], "x": -Infinity}', "got '-Infinity'"),
        (b'{"steps": [], "x": 1e999}', "out of range"),
        (b'{"steps": [], "x": 1' + b"0" * 5000 + b"}", "not JSON"),
        (b"[" * 100_000, "nested at most"),
        (b"\x00\xff\xfe{}", "save it as UTF-8"),  # no BOM: not guessed as UTF-16
    ],
    ids=[
        "binary",
        "latin-1",
        "empty",
        "blank",
        "invalid",
        "nan",
        "infinity",
        "1e999",
        "5000-digits",
        "deep-100000",
        "nul-then-utf-16-like",
    ],
)
def test_unreadable_json_is_one_line(tmp_path: Path, content: bytes, says: str) -> None:
    path = tmp_path / "flow.json"
    path.write_bytes(content)
    for command in ("validate", "render", "simulate"):
        line = one_line_failure(run_cli(command, str(path)))
        assert str(path) in line
        assert says in line


def test_a_directory_a_fifo_and_a_device_are_refused_not_waited_on(tmp_path: Path) -> None:
    folder = tmp_path / "dir.json"
    folder.mkdir()
    assert "Is a directory" in one_line_failure(run_cli("validate", str(folder)))
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    assert "not a regular file" in one_line_failure(run_cli("validate", str(fifo)))
    assert "not a regular file" in one_line_failure(run_cli("validate", "/dev/null"))
    missing = one_line_failure(run_cli("validate", str(tmp_path / "missing.json")))
    assert "No such file or directory" in missing
    assert "no such file" in one_line_failure(run_cli("validate", "not-a-file-nor-module"))
    assert "not module:attribute" in one_line_failure(run_cli("validate", ":attribute"))


def test_standard_input() -> None:
    result = subprocess.run(
        [COMMAND, "validate", "-"], input=STEPS, capture_output=True, text=True, timeout=60
    )
    assert (result.returncode, result.stdout) == (0, "ok: 1 step\n")


FACTORIES = """\
from automation_dsl import Automation

def raises():
    raise RuntimeError("the database is down")

def needs_an_argument(name):
    return Automation().send(name)

def returns_a_dict():
    return {"steps": []}

class Broken(Automation):
    __slots__ = ()

    def explain(self):
        raise ZeroDivisionError("a bug")

broken = Broken()
"""


@pytest.fixture
def factories(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "factories.py").write_text(FACTORIES)
    (tmp_path / "fails_on_import.py").write_text("raise ValueError('bad settings')\n")
    (tmp_path / "bad_syntax.py").write_text("def (:\n")
    return with_path(tmp_path)


@pytest.mark.parametrize(
    ("source", "says"),
    [
        ("factories:raises", "factories:raises() raised RuntimeError: the database is down"),
        ("factories:needs_an_argument", "raised TypeError"),
        ("factories:returns_a_dict", "factories:returns_a_dict is dict, not an Automation"),
        ("factories:missing", "cannot load factories:missing: AttributeError"),
        ("fails_on_import:flow", "cannot load fails_on_import:flow: ValueError: bad settings"),
        ("bad_syntax:flow", "cannot load bad_syntax:flow: SyntaxError"),
        (".relative:flow", "cannot load .relative:flow"),
    ],
)
def test_a_factory_that_fails_is_one_line(
    factories: dict[str, str], source: str, says: str
) -> None:
    assert says in one_line_failure(run_cli("render", source, **factories))
    debug = run_cli("--debug", "render", source, **factories)
    assert debug.returncode == 1
    assert "Traceback" in debug.stderr
    assert debug.stderr.strip().splitlines()[-1].startswith("automation-dsl: ")


def test_an_internal_error_is_one_line_exit_3_and_the_traceback_only_with_debug(
    factories: dict[str, str],
) -> None:
    line = one_line_failure(run_cli("render", "factories:broken", **factories), code=3)
    assert line == (
        "automation-dsl: internal error (ZeroDivisionError: a bug); "
        "rerun with --debug for the traceback"
    )
    debug = run_cli("--debug", "render", "factories:broken", **factories)
    assert debug.returncode == 3
    assert "Traceback" in debug.stderr
    assert "ZeroDivisionError: a bug" in debug.stderr


def test_simulating_a_very_long_delay_is_no_traceback(tmp_path: Path) -> None:
    path = tmp_path / "long.json"
    path.write_text('{"steps": [{"action": "delay", "duration": "9999 years"}]}')
    result = run_cli("simulate", str(path), "--start", "2024-04-08T09:00Z")
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "internal error" not in result.stderr
    assert "duration" in result.stderr


@pytest.mark.parametrize("port", ["-5", "65536", "10**30", "eighty", ""])
def test_a_port_out_of_range_is_bad_usage(port: str) -> None:
    result = run_cli("sandbox", "--port", port)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "--port: expected a port from 0 to 65535" in result.stderr


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--data", "{"), "--data: not JSON"),
        (
            ("--data", '{"x": NaN}'),
            "--data: not JSON: expected strict JSON (it has no NaN or Infinity), got 'NaN'",
        ),
        (("--profile", '"text"'), "--profile: expected a JSON object"),
        (("--start", "2024-04-08T09:00"), "--start: expected an ISO 8601 time with a zone"),
        (("--start", "tomorrow"), "--start: expected an ISO 8601 time"),
    ],
)
def test_bad_option_values_are_bad_usage(flow_file: Path, args: tuple[str, str], says: str) -> None:
    assert says in one_line_failure(run_cli("simulate", str(flow_file), *args), code=2)


def test_templates_must_be_a_folder_of_readable_automations(tmp_path: Path) -> None:
    assert "not a folder" in one_line_failure(
        run_cli("sandbox", "--port", "0", "--templates", str(tmp_path / "none")), code=2
    )
    (tmp_path / "broken.json").write_bytes(b"\xff\xfe\x00\xd8")
    line = one_line_failure(run_cli("sandbox", "--port", "0", "--templates", str(tmp_path)))
    assert "broken.json" in line


# -- the API key: argv, a file or the environment; never printed ------------------------------

SECRET = "sk_test_0123456789abcdef"


def serve(*args: str, **env: str) -> tuple[subprocess.Popen[str], str, str]:
    """A sandbox command on a free port; returns the process, its URL and its first line."""
    process = subprocess.Popen(
        [COMMAND, "sandbox", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    url = line.split(" on ", 1)[1].split(" ", 1)[0] if " on " in line else ""
    return process, url, line


def stop(process: subprocess.Popen[str]) -> str:
    process.terminate()
    _, err = process.communicate(timeout=30)
    return err


@pytest.mark.parametrize("how", ["file", "file-crlf", "file-bom", "environment", "argv"])
def test_the_key_from_a_file_the_environment_or_argv_is_used_and_never_printed(
    flow_file: Path, tmp_path: Path, how: str
) -> None:
    key_file = tmp_path / "key"
    bom = "\ufeff" if how == "file-bom" else ""  # as some Windows editors save it
    key_file.write_text(bom + SECRET + ("\r\n" if how == "file-crlf" else "\n"), newline="")
    given: tuple[str, ...] = {
        "file": ("--api-key-file", str(key_file)),
        "file-crlf": ("--api-key-file", str(key_file)),
        "file-bom": ("--api-key-file", str(key_file)),
        "environment": (),
        "argv": ("--api-key", SECRET),
    }[how]
    process, url, announced = serve(*given, COURIER_SANDBOX_API_KEY=SECRET)
    try:
        assert announced.strip().endswith("(API key as given)"), announced
        env = {"COURIER_API_KEY": SECRET if how == "environment" else "wrong"}
        result = run_cli("invoke", str(flow_file), "--base-url", url, *given, **env)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("1-")
        denied = run_cli("invoke", str(flow_file), "--base-url", url, COURIER_API_KEY="sk_wrong")
        assert "401" in one_line_failure(denied)
    finally:
        errors = stop(process)
    for text in (announced, result.stdout, result.stderr, denied.stderr, errors):
        assert SECRET not in text


def test_a_random_sandbox_key_is_printed_and_the_real_key_is_not_read() -> None:
    env = {k: v for k, v in os.environ.items() if k != "COURIER_SANDBOX_API_KEY"}
    process = subprocess.Popen(
        [COMMAND, "sandbox", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**env, "COURIER_API_KEY": SECRET},
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    stop(process)
    assert "(API key sk_sandbox_" in line
    assert SECRET not in line


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"", "the file holds no key (it is empty)"),
        (b"\n", "the file holds no key (it is empty)"),
        (SECRET.encode() + b"\n\n", "must hold the key alone, on one line"),
        (SECRET.encode() + b"\nsecond line\n", "must hold the key alone, on one line"),
        (b"  " + SECRET.encode() + b"\n", "must hold the key alone, on one line"),
        (SECRET.encode() + b"\x00", "must hold the key alone, on one line"),
        (SECRET.encode() + b"\xff", "the key is not UTF-8 text"),
    ],
    ids=["empty", "newline", "two-newlines", "two-lines", "leading-spaces", "nul", "latin-1"],
)
def test_a_bad_key_file_is_refused_without_showing_the_key(
    flow_file: Path, tmp_path: Path, content: bytes, says: str
) -> None:
    key_file = tmp_path / "key"
    key_file.write_bytes(content)
    for command in (
        ("invoke", str(flow_file), "--api-key-file", str(key_file)),
        ("sandbox", "--port", "0", "--api-key-file", str(key_file)),
    ):
        result = run_cli(*command)
        line = one_line_failure(result)
        assert f"--api-key-file {key_file}: " in line
        assert says in line
        assert SECRET not in result.stdout + result.stderr


def test_an_unreadable_key_file_is_refused(flow_file: Path, tmp_path: Path) -> None:
    line = one_line_failure(run_cli("invoke", str(flow_file), "--api-key-file", str(tmp_path)))
    assert "cannot read --api-key-file" in line
    missing = one_line_failure(
        run_cli("invoke", str(flow_file), "--api-key-file", str(tmp_path / "nope"))
    )
    assert "No such file or directory" in missing
    both = run_cli("invoke", str(flow_file), "--api-key", "k", "--api-key-file", str(tmp_path))
    assert both.returncode == 2
    assert "not allowed with argument" in both.stderr
