"""The runs commands of automation-dsl against a server that answers with hostile text."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from automation_dsl._cli import main

pytestmark = pytest.mark.integration

# a lone surrogate, as JSON may carry it (``\ud800``): valid JSON, not encodable as UTF-8
_RUN = b'{"run_id": "r1", "status": "\\ud800", "created_at": "\\udfff"}'
_RUNS = b'{"runs": [{"run_id": "r1", "status": "PROCESSED", "created_at": "\\ud800"}]}'


class _Answers(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        body = _RUN if self.path.startswith("/automations/runs/") else _RUNS
        bad = self.path == "/automations/runs/bad"
        body = b'{"message": "no \\ud800 run"}' if bad else body
        self.send_response(404 if bad else 200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def hostile(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    server = HTTPServer(("127.0.0.1", 0), _Answers)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("COURIER_API_KEY", "k")
    monkeypatch.setenv("COURIER_BASE_URL", f"http://127.0.0.1:{server.server_address[1]}")
    yield
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("argv", [["runs", "get", "r1"], ["runs", "list"]])
def test_json_output_of_a_lone_surrogate_is_escaped_not_an_internal_error(
    hostile: None, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*argv, "--json"]) == 0
    line = capsys.readouterr().out
    line.encode("utf-8")  # printable as it is
    assert json.loads(line)["run_id"] == "r1"
    assert "\\ud800" in line


def test_a_limit_past_the_largest_index_is_a_usage_error(
    hostile: None, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["runs", "list", "--limit", "9" * 30])
    assert stop.value.code == 2
    assert "--limit" in capsys.readouterr().err


def test_a_json_error_with_a_lone_surrogate_is_escaped(
    hostile: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["runs", "get", "bad", "--json"]) == 1
    err = capsys.readouterr().err
    err.encode("utf-8")
    assert json.loads(err)["error"]["type"] == "NotFoundError"


def test_a_text_error_with_a_lone_surrogate_is_printable(
    hostile: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["runs", "get", "bad"]) == 1
    err = capsys.readouterr().err
    err.encode("utf-8")
    assert err.startswith("automation-dsl: 404: no ")
