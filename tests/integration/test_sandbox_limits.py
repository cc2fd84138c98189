"""The sandbox at the transport, over real loopback sockets: slow, idle and oversized
requests, connection floods, open-file exhaustion, host and port checks.

Waits are bounded generously (several times the configured timeout) and assert that
something happened at all, never how fast: speed is measured by
``benchmarks/bench_sandbox_limits.py``.
"""

from __future__ import annotations

import json
import logging
import math
import selectors
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from automation_dsl import Automation, AutomationError, ValidationError, ValidationTypeError
from automation_dsl.sandbox import Sandbox
from automation_dsl.sandbox._protocol import QuietLogger

FLOW = Automation().send("WELCOME")
TIMEOUT = 0.5  # the request and idle timeouts the tests configure
PATIENCE = 5 * TIMEOUT + 2  # how long a test waits for a close before failing


def port_of(sandbox: Sandbox) -> int:
    return int(sandbox.url.rsplit(":", 1)[1])


def connect(sandbox_or_port: Sandbox | int) -> socket.socket:
    port = sandbox_or_port if isinstance(sandbox_or_port, int) else port_of(sandbox_or_port)
    return socket.create_connection(("127.0.0.1", port), timeout=PATIENCE)


def until_closed(sock: socket.socket, patience: float = PATIENCE) -> tuple[bytes, bool]:
    """Everything the server sends until it closes (True) or ``patience`` runs out."""
    received = b""
    deadline = time.monotonic() + patience
    while (left := deadline - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            break
        except ConnectionResetError:
            return received, True
        if not chunk:
            return received, True
        received += chunk
    return received, False


def all_closed(socks: list[socket.socket], patience: float = PATIENCE) -> dict[int, bytes]:
    """What each socket received before the server closed it, for those it closed."""
    selector = selectors.DefaultSelector()
    received = dict.fromkeys(range(len(socks)), b"")
    for index, sock in enumerate(socks):
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ, index)
    closed: dict[int, bytes] = {}
    deadline = time.monotonic() + patience
    while len(closed) < len(socks) and (left := deadline - time.monotonic()) > 0:
        for key, _ in selector.select(left):
            index = key.data
            try:
                chunk = socks[index].recv(65536)
            except ConnectionResetError:
                chunk = b""
            if chunk:
                received[index] += chunk
            else:
                closed[index] = received[index]
                selector.unregister(socks[index])
    selector.close()
    return closed


def head(api_key: str = "wrong", *, size: int = 0, extra: str = "") -> bytes:
    """A GET head, padded with a header to exactly ``size`` bytes when given."""
    text = f"GET /automations/runs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {api_key}\r\n"
    text += extra
    if size:
        padding = size - len(text) - len("X-Pad: \r\n\r\n")
        text += f"X-Pad: {'a' * padding}\r\n"
    data = (text + "\r\n").encode()
    assert not size or len(data) == size
    return data


def one_response(sock: socket.socket) -> bytes:
    """One whole response (with a Content-Length) read from a kept-alive connection."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    top, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1]) for line in top.lower().split(b"\r\n") if b"content-length" in line
    )
    while len(body) < length:
        body += sock.recv(65536)
    return data


def status(response: bytes) -> int:
    return int(response.split(b" ", 2)[1])


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(
        request_timeout=TIMEOUT, idle_timeout=TIMEOUT, max_connections=20, max_header_bytes=4096
    ) as sandbox:
        yield sandbox


# -- slow and idle connections -----------------------------------------------------------


def test_slow_header_sockets_are_closed_with_408(sandbox: Sandbox) -> None:
    with ExitStack() as stack:
        socks = [stack.enter_context(connect(sandbox)) for _ in range(15)]
        for sock in socks:
            sock.sendall(b"GET /automations/runs HTTP/1.1\r\nHost: x\r\n")  # no blank line
        closed = all_closed(socks)
    assert len(closed) == len(socks)
    assert {status(answer) for answer in closed.values()} == {408}
    assert all(b'"type": "invalid_request_error"' in answer for answer in closed.values())


def trickled_until_closed(sock: socket.socket) -> bool:
    """Send a header line every 50 ms until the server closes (True) or patience runs out."""
    deadline = time.monotonic() + PATIENCE
    sock.setblocking(False)
    while time.monotonic() < deadline:
        try:
            sock.send(b"X-A: b\r\n")
            time.sleep(0.05)
            if sock.recv(65536) == b"":
                return True
        except BlockingIOError:
            continue
        except (BrokenPipeError, ConnectionResetError):
            return True
    return False


def test_a_trickled_request_is_closed_though_bytes_keep_coming(sandbox: Sandbox) -> None:
    with connect(sandbox) as sock:
        sock.sendall(b"GET /automations/runs HTTP/1.1\r\n")
        assert trickled_until_closed(sock)


def test_a_silent_connection_is_closed_without_an_answer(sandbox: Sandbox) -> None:
    with connect(sandbox) as sock:
        assert until_closed(sock) == (b"", True)


def test_an_idle_keep_alive_connection_is_closed(sandbox: Sandbox) -> None:
    with connect(sandbox) as sock:
        sock.sendall(head(sandbox.api_key))
        answer, closed = until_closed(sock)
    assert closed
    assert status(answer) == 200
    assert b"connection: close" not in answer.lower()  # kept alive, then closed when idle


def test_a_keep_alive_connection_serves_requests_that_arrive_in_time(sandbox: Sandbox) -> None:
    with connect(sandbox) as sock:
        for _ in range(3):
            sock.sendall(head(sandbox.api_key))
            assert status(one_response(sock)) == 200


def test_a_half_sent_body_dies_and_frees_its_idempotency_key(sandbox: Sandbox) -> None:
    body = json.dumps(FLOW.to_payload(recipient="u1")).encode()
    with connect(sandbox) as sock:
        sock.sendall(
            b"POST /automations/invoke HTTP/1.1\r\nHost: x\r\n"
            + f"Authorization: Bearer {sandbox.api_key}\r\n".encode()
            + b"Content-Type: application/json\r\nIdempotency-Key: half-sent\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body[:10]
        )
        answer, closed = until_closed(sock)
    assert closed
    assert answer == b""  # the head was whole: no answer, the handler saw a disconnect
    with sandbox.client(max_retries=0) as client:
        run_id = client.invoke(FLOW, recipient="u1", idempotency_key="half-sent")
    assert [run.run_id for run in sandbox.runs()] == [run_id]


# -- request heads -------------------------------------------------------------------------


def test_a_head_of_exactly_the_limit_is_read(sandbox: Sandbox) -> None:
    with connect(sandbox) as sock:
        sock.sendall(head(size=4096))
        assert status(one_response(sock)) == 401


def test_a_head_over_the_limit_gets_431_and_is_closed(sandbox: Sandbox) -> None:
    with connect(sandbox) as sock:
        sock.sendall(head(size=4097))
        answer, closed = until_closed(sock)
    assert closed
    assert status(answer) == 431
    assert b"4096" in answer


def refused_head(port: int, data: bytes) -> int:
    """The status answered to a head sent whole (431 if the server reset mid-send)."""
    with connect(port) as sock:
        try:
            sock.sendall(data)
            answer, closed = until_closed(sock)
        except (BrokenPipeError, ConnectionResetError):
            return 431  # closed while the head was still being sent
    assert closed
    return status(answer)


BIG_HEADS = {
    "url": b"GET /automations/runs?status=" + b"a" * 1_000_000 + b" HTTP/1.1\r\n\r\n",
    "header": head(extra="X-Big: " + "a" * 1_000_000 + "\r\n"),
    "many headers": head(extra="".join(f"X-{i}: {'a' * 90}\r\n" for i in range(10_000))),
}


@pytest.mark.parametrize("where", BIG_HEADS)
def test_a_1mb_head_is_refused_and_the_server_goes_on(sandbox: Sandbox, where: str) -> None:
    assert refused_head(port_of(sandbox), BIG_HEADS[where]) == 431
    with sandbox.client(max_retries=0) as client:
        assert list(client.list_runs()) == []


# -- floods and open files -----------------------------------------------------------------


def test_connections_past_the_cap_get_503_and_the_server_answers_afterwards(
    sandbox: Sandbox,
) -> None:
    with ExitStack() as stack:
        socks = [stack.enter_context(connect(sandbox)) for _ in range(60)]
        closed = all_closed(socks, patience=TIMEOUT / 2)  # before the idle timeout
        assert len(closed) >= 40
        assert {status(answer) for answer in closed.values()} == {503}
    # the flood is over: the next request is served
    deadline = time.monotonic() + PATIENCE
    while True:
        with sandbox.client(max_retries=0) as client:
            try:
                client.invoke(FLOW, recipient="u1")
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
    assert len(sandbox.runs()) == 1


@contextmanager
def served(code: str) -> Iterator[tuple[subprocess.Popen[str], str, str]]:
    """A sandbox in its own process, made by ``code`` (which defines ``sandbox``)."""
    program = textwrap.dedent(code) + textwrap.dedent(
        """
        sandbox.serve_forever(ready=lambda: print(sandbox.url, sandbox.api_key, flush=True))
        """
    )
    process = subprocess.Popen(
        [sys.executable, "-c", program],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[2],
    )
    try:
        assert process.stdout is not None
        url, api_key = process.stdout.readline().split()
        yield process, url, api_key
    finally:
        process.terminate()
        process.communicate(timeout=10)  # and close the pipes


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")  # pragma: no cover


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
def test_300_unauthenticated_1mb_heads_do_not_grow_memory() -> None:
    with served("from automation_dsl.sandbox import Sandbox\nsandbox = Sandbox()\n") as (
        process,
        url,
        _,
    ):
        port = int(url.rsplit(":", 1)[1])

        def flood(count: int) -> set[int]:
            return {refused_head(port, BIG_HEADS["header"]) for _ in range(count)}

        assert flood(30) == {431}  # warm up
        before = rss_kib(process.pid)
        assert flood(300) == {431}
        after = rss_kib(process.pid)
    # each request held at most 16 KiB of head: nothing proportional to 300 MB remains
    assert after - before < 20 * 1024, (before, after)


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="reads /proc")
def test_running_out_of_open_files_is_logged_once_and_the_server_recovers() -> None:
    code = """
        import os, resource
        from automation_dsl.sandbox import Sandbox
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
        sandbox = Sandbox(max_connections=100, idle_timeout=60)
        spare = []
        while len(os.listdir("/proc/self/fd")) < 246:  # what the rest of a process might hold
            spare.append(open(os.devnull))
    """
    with served(code) as (process, url, api_key), ExitStack() as stack:
        port = int(url.rsplit(":", 1)[1])
        socks = [stack.enter_context(connect(port)) for _ in range(40)]
        time.sleep(1.5)  # asyncio retries accept() once a second
        stack.close()
        deadline = time.monotonic() + 10
        while True:  # the connections were closed: the server accepts again
            try:
                answer = httpx.get(
                    f"{url}/automations/runs", headers={"Authorization": f"Bearer {api_key}"}
                )
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        assert answer.status_code == 200
        process.terminate()
        _, errors = process.communicate(timeout=10)
        process.stdout = process.stderr = None  # read and closed
    assert len(socks) == 40
    assert errors.count("Too many open files") == 1, errors
    assert "Traceback" not in errors


def test_quiet_logger_passes_one_line_per_kind_then_counts_the_rest(
    caplog: pytest.LogCaptureFixture,
) -> None:
    target = logging.getLogger("automation_dsl.test_quiet")
    quiet = QuietLogger(target, every=3600)
    with caplog.at_level(logging.WARNING, logger=target.name):
        for _ in range(1000):
            quiet.warning("Refused connections past the limit of %d open", 5)
            quiet.loop_exception(None, {"message": "accept failed", "exception": OSError(24)})  # type: ignore[arg-type]
        quiet.error("another kind")
        quiet.every = 0  # the next line of a kind says how many were left out
        quiet.warning("Refused connections past the limit of %d open", 5)
    lines = [record.getMessage() for record in caplog.records]
    assert lines == [
        "Refused connections past the limit of 5 open",
        "accept failed: 24",
        "another kind",
        "Refused connections past the limit of 5 open (and 999 more like it not logged)",
    ]
    assert all(record.exc_info is None for record in caplog.records)


# -- host, port and the other arguments ------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("127.0.0.1", "http://127.0.0.1:8787"),
        ("0.0.0.0", "http://127.0.0.1:8787"),
        ("::", "http://[::1]:8787"),
        ("::1", "http://[::1]:8787"),
        ("[::1]", "http://[::1]:8787"),
        ("0:0::1", "http://[::1]:8787"),
        ("localhost", "http://localhost:8787"),
    ],
)
def test_url_reaches_the_host(host: str, url: str) -> None:
    assert Sandbox(host=host, port=8787).url == url


def test_a_sandbox_on_ipv6_loopback_serves_its_client() -> None:
    try:
        socket.create_server(("::1", 0), family=socket.AF_INET6).close()
    except OSError:
        pytest.skip("no IPv6 loopback here")
    with Sandbox(host="::1") as sandbox, sandbox.client(max_retries=0) as client:
        assert sandbox.url.startswith("http://[::1]:")
        run_id = client.invoke(FLOW, recipient="u1")
    assert sandbox.run(run_id).status


def test_localhost_binds_and_the_url_names_the_address_bound() -> None:
    with Sandbox(host="localhost") as sandbox, sandbox.client(max_retries=0) as client:
        assert sandbox.url.split("//")[1].rsplit(":", 1)[0] in ("127.0.0.1", "[::1]")
        client.invoke(FLOW, recipient="u1")


def test_listening_beyond_loopback_warns_what_is_exposed(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # tests listen on 127.0.0.1 only: pretend the address bound is not loopback
    monkeypatch.setattr("automation_dsl.sandbox._server._is_loopback", lambda address: False)
    with Sandbox(api_key="sk_secret") as sandbox, sandbox.client(max_retries=0) as client:
        client.invoke(FLOW, recipient="u1")
    warning = capsys.readouterr().err
    assert "warning" in warning
    assert "other machines can reach" in warning
    assert "prints that key" in warning
    assert "sk_secret" not in warning


def test_loopback_does_not_warn(capsys: pytest.CaptureFixture[str]) -> None:
    with Sandbox():
        pass
    assert capsys.readouterr().err == ""


def test_a_port_in_use_is_a_configuration_error_naming_it() -> None:
    from automation_dsl import ConfigurationError

    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        with pytest.raises(ConfigurationError, match=f"127.0.0.1:{port}"):
            Sandbox(port=port).start()


BAD_ARGUMENTS: list[tuple[str, Any, type[Exception]]] = [
    ("port", -5, ValidationError),
    ("port", 65536, ValidationError),
    ("port", 10**100, ValidationError),
    ("port", "8787", ValidationTypeError),
    ("port", 8787.0, ValidationTypeError),
    ("port", True, ValidationTypeError),
    ("port", None, ValidationTypeError),
    ("host", "", ValidationError),
    ("host", "   ", ValidationError),
    ("host", "127.0.0.1\r\nX: y", ValidationError),
    ("host", "a\ud800", ValidationError),
    ("host", "a" * 300, ValidationError),
    ("host", "-bad-", ValidationError),
    ("host", None, ValidationTypeError),
    ("host", 127, ValidationTypeError),
    ("host", b"127.0.0.1", ValidationTypeError),
    ("api_key", "", ValidationError),
    ("api_key", "sk_key\n", ValidationError),
    ("api_key", "sk key", ValidationError),
    ("api_key", "sk_ключ", ValidationError),
    ("api_key", b"sk_key", ValidationTypeError),
    ("api_key", 5, ValidationTypeError),
    ("clock", "fast", ValidationError),
    ("faults", {"error_500": 0.5}, ValidationTypeError),
    ("templates", [FLOW], ValidationTypeError),
    ("templates_dir", "/no/such/folder", ValidationError),
    ("request_timeout", 0, ValidationError),
    ("request_timeout", -1, ValidationError),
    ("request_timeout", math.nan, ValidationError),
    ("request_timeout", math.inf, ValidationError),
    ("request_timeout", "30", ValidationTypeError),
    ("idle_timeout", None, ValidationTypeError),
    ("idle_timeout", -0.5, ValidationError),
    ("max_connections", 0, ValidationError),
    ("max_connections", 10.5, ValidationTypeError),
    ("max_connections", True, ValidationTypeError),
    ("max_header_bytes", 100, ValidationError),
    ("max_header_bytes", "16k", ValidationTypeError),
    ("max_body_size", 0, ValidationError),
    ("max_body_size", 1.5, ValidationTypeError),
    ("max_json_depth", -1, ValidationError),
    ("max_json_depth", None, ValidationTypeError),
    ("max_steps", 0, ValidationError),
    ("max_steps", "1000", ValidationTypeError),
]


@pytest.mark.parametrize(("name", "value", "error"), BAD_ARGUMENTS)
def test_bad_arguments_are_refused_naming_the_parameter(
    name: str, value: Any, error: type[Exception]
) -> None:
    with pytest.raises(error) as raised:
        Sandbox(**{name: value})
    assert type(raised.value) is error
    assert f"'{name}'" in str(raised.value)
    if name == "api_key" and isinstance(value, str) and value:
        assert value.strip() not in str(raised.value)  # a key is never shown


def test_register_template_checks_its_arguments() -> None:
    sandbox = Sandbox()
    with pytest.raises(ValidationTypeError, match="'automation'"):
        sandbox.register_template("t", {"steps": []})  # type: ignore[arg-type]
    with pytest.raises(ValidationTypeError, match="'template_id'"):
        sandbox.register_template(5, FLOW)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="'template_id'"):
        sandbox.register_template("", FLOW)


def test_an_unreadable_template_file_names_the_file(tmp_path: Path) -> None:
    from automation_dsl import ConfigurationError

    (tmp_path / "ok.json").write_text(json.dumps(FLOW.to_dict()))
    (tmp_path / "wide.json").write_text(json.dumps(FLOW.to_dict()), encoding="utf-16")
    with pytest.raises(ConfigurationError, match=r"wide\.json"):
        Sandbox(templates_dir=tmp_path)
    (tmp_path / "wide.json").write_text('{"steps": [{"action": "dealy"}]}')
    with pytest.raises(ConfigurationError, match=r"wide\.json.*action"):
        Sandbox(templates_dir=tmp_path)


ARGUMENTS = [
    "host",
    "port",
    "api_key",
    "clock",
    "faults",
    "templates",
    "templates_dir",
    "request_timeout",
    "idle_timeout",
    "max_connections",
    "max_header_bytes",
    "max_body_size",
    "max_json_depth",
    "max_steps",
]
ANY_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(),
    st.binary(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=3),
)


@given(name=st.sampled_from(ARGUMENTS), value=ANY_VALUE)
def test_any_argument_is_taken_or_refused_with_a_library_error(name: str, value: Any) -> None:
    refused: AutomationError | None = None
    try:
        Sandbox(**{name: value}).stop()
    except AutomationError as error:
        refused = error
    assert refused is None or f"'{name}'" in str(refused) or f"{name}:" in str(refused)
