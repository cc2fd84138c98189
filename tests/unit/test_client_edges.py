"""The client at its edges: what a careless or hostile caller sends, and what a failing
server answers. Header and socket behaviour is tested over real loopback HTTP."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from automation_dsl import (
    AsyncCourierClient,
    Automation,
    AutomationError,
    ConfigurationError,
    CourierClient,
    CourierConnectionError,
    CourierTimeoutError,
    IdempotencyKeyReusedError,
    RetryPolicy,
    ServerError,
    UnprocessableEntityError,
    ValidationError,
    ValidationTypeError,
)
from automation_dsl._http import _encode
from automation_dsl._retry import _parse_retry_after

KEY = "pk_test_SECRET_never_shown_0123456789"
NO_WAIT = RetryPolicy(max_retries=3, backoff=0, max_backoff=0, max_retry_after=0)
FLOW = Automation().send("WELCOME")


class Server:
    """A loopback HTTP server answering every request with one status, recording each."""

    def __init__(self, status: int = 200, body: bytes = b'{"runId": "r-1"}') -> None:
        self.seen: list[dict[str, str]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self.answer()

            def do_GET(self) -> None:
                self.answer()

            def answer(self) -> None:
                outer.seen.append(dict(self.headers))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[Server]:
    running = Server()
    yield running
    running.close()


@pytest.fixture
def failing() -> Iterator[Server]:
    running = Server(500, b'{"message": "boom", "type": "api_error"}')
    yield running
    running.close()


def closed_port_url() -> str:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}"


def mock(handler: Any, **options: Any) -> CourierClient:
    options.setdefault("retry", NO_WAIT)
    return CourierClient(api_key=KEY, transport=httpx.MockTransport(handler), **options)


def never(request: httpx.Request) -> httpx.Response:
    raise AssertionError("nothing should be sent")


# --- 1. ready bodies are parsed; the encoding is strict ---------------------------------


def test_a_ready_body_with_a_typo_is_refused_before_sending() -> None:
    with pytest.raises(ValidationError) as caught:
        mock(never).invoke({"automation": {"steps": [{"action": "dealy", "duration": "1 day"}]}})
    assert caught.value.path == "automation.steps[0].action"
    assert "did you mean 'delay'" in str(caught.value)


def test_validate_false_sends_an_unknown_action_as_given() -> None:
    bodies: list[Any] = []

    def record(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        return httpx.Response(200, json={"runId": "r"})

    body = {"automation": {"steps": [{"action": "future-step", "x": 1}]}, "extra": True}
    mock(record).invoke(body, recipient="u1", validate=False)
    assert bodies == [{**body, "recipient": "u1"}]


BAD_VALUES = [
    float("nan"),
    float("inf"),
    -float("inf"),
    datetime(2030, 1, 1, tzinfo=UTC),
    {1, 2},
    Decimal("1.5"),
    b"bytes",
    "lone \ud800 surrogate",
    object(),
    10**5000,
]


@pytest.mark.parametrize("validate", [True, False])
@pytest.mark.parametrize("bad", BAD_VALUES, ids=lambda v: type(v).__name__)
def test_unencodable_values_in_a_ready_body_are_validation_errors(
    bad: object, validate: bool
) -> None:
    body = {"automation": {"steps": [{"action": "send", "template": "A"}]}, "data": {"x": [bad]}}
    with pytest.raises(ValidationError) as caught:
        mock(never).invoke(body, validate=validate)
    if not validate:  # the parser's path differs from the encoder's
        assert caught.value.path == "data.x[0]"
    assert "data" in str(caught.value)


@pytest.mark.parametrize("bad", [float("nan"), {1, 2}, b"x", "a\ud800"])
def test_the_encoder_refuses_what_json_cannot_hold_in_invoke_and_templates(bad: object) -> None:
    client = mock(never)
    with pytest.raises(ValidationError, match="data"):
        client.invoke(FLOW, data={"k": bad})
    with pytest.raises(ValidationError, match="data"):
        client.invoke_template("onboarding", recipient="u1", data={"k": bad})


def test_recursive_and_deeply_nested_bodies_are_validation_errors() -> None:
    loop: dict[str, Any] = {"automation": {"steps": []}}
    loop["data"] = {"self": loop}
    deep: Any = "leaf"
    for _ in range(5000):
        deep = {"d": deep}
    # with validate=True the parser refuses them first (its own tests, tests/test_parse.py)
    for body in (loop, {"automation": {"steps": []}, "data": deep}):
        with pytest.raises(ValidationError):
            mock(never).invoke(body, validate=False)
    with pytest.raises(ValidationError, match="cycles") as caught:
        _encode(loop, "invoke")
    assert caught.value.path == "data.self"
    with pytest.raises(ValidationError, match="nested"):
        _encode({"data": deep}, "invoke")


def test_a_non_mapping_automation_is_a_type_error() -> None:
    for bad in (None, "text", 5, ["steps"]):
        with pytest.raises(ValidationTypeError, match="automation"):
            mock(never).invoke(bad)  # type: ignore[arg-type]


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=12,
)


@settings(max_examples=150)
@given(JSON)
def test_the_encoder_writes_valid_json_or_names_the_bad_value(value: Any) -> None:
    try:
        encoded = _encode({"data": value}, "invoke")
    except ValidationError as error:
        path = error.path
    else:
        path = None
        json.loads(encoded, parse_constant=lambda name: pytest.fail(f"{name} was written"))
    assert path is None or path.startswith("data")


# --- 2. header safety, on a real socket --------------------------------------------------


@pytest.mark.parametrize(
    "key", [KEY + "\n", KEY + "\r\n", " " + KEY, KEY[:8] + "é" + KEY[8:], KEY[:5] + "\x00"]
)
def test_an_api_key_no_header_can_hold_is_refused_without_showing_it(
    key: str, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        CourierClient(api_key=key, base_url=server.url)
    assert "api_key" in str(caught.value)
    errors = [caught.value]
    if "\x00" not in key:  # the environment cannot hold a NUL
        monkeypatch.setenv("COURIER_API_KEY", key)
        with pytest.raises(ConfigurationError) as from_env:
            CourierClient(base_url=server.url)
        assert "COURIER_API_KEY" in str(from_env.value)
        errors.append(from_env.value)
    for error in errors:
        for text in (str(error), repr(error), repr(error.__context__), repr(error.__cause__)):
            assert KEY[:12] not in text
    assert server.seen == []


def test_a_non_string_api_key_is_refused_without_showing_it() -> None:
    with pytest.raises(ConfigurationError, match="api_key") as caught:
        CourierClient(api_key=KEY.encode())  # type: ignore[arg-type]
    assert KEY[:12] not in str(caught.value)


@pytest.mark.parametrize(
    "bad", ["", "key\n", "a\r\nX-Injected: 1", "clé", "tab\there", " padded", "x" * 256, 42, b"k"]
)
def test_a_bad_idempotency_key_is_refused_before_sending(bad: object, server: Server) -> None:
    with CourierClient(api_key=KEY, base_url=server.url, retry=NO_WAIT) as client:
        with pytest.raises(ValidationError) as caught:
            client.invoke(FLOW, idempotency_key=bad)  # type: ignore[arg-type]
        with pytest.raises(ValidationError):
            client.invoke_template("t", recipient=None, idempotency_key=bad)  # type: ignore[arg-type]
    assert caught.value.field == "idempotency_key"
    assert "idempotency_key" in str(caught.value)
    assert server.seen == []


def test_a_local_protocol_error_is_never_retried(server: Server) -> None:
    """A header httpx cannot write (here from the caller's own http_client) is a bug, not
    a network failure: one attempt, a library error, nothing reaches the server."""
    http = httpx.Client(headers={"X-Custom": "bad\r\nvalue"})
    client = CourierClient(api_key=KEY, base_url=server.url, retry=NO_WAIT, http_client=http)
    with pytest.raises(ConfigurationError, match="not retried") as caught:
        client.invoke(FLOW)
    assert KEY[:12] not in str(caught.value)
    assert server.seen == []
    http.close()


def test_valid_keys_reach_a_real_server_unchanged(server: Server) -> None:
    with CourierClient(api_key=KEY, base_url=server.url) as client:
        client.invoke(FLOW, idempotency_key="order 42/ä".replace("ä", "a"))
    assert server.seen[0]["Idempotency-Key"] == "order 42/a"
    assert server.seen[0]["Authorization"] == f"Bearer {KEY}"


# --- 3. arguments checked up front --------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("max_retries", -1),
        ("max_retries", "3"),
        ("max_retries", None),
        ("max_retries", True),
        ("max_retries", 1.5),
        ("max_retries", 10**9),
        ("backoff", float("nan")),
        ("backoff", float("inf")),
        ("backoff", -0.5),
        ("backoff", "1"),
        ("max_backoff", None),
        ("max_retry_after", float("inf")),
        ("budget_ratio", 2),
        ("budget_ratio", float("nan")),
        ("budget_floor", -1),
    ],
)
def test_retry_policy_refuses_bad_values_naming_the_field(field: str, bad: object) -> None:
    with pytest.raises(ValidationError) as caught:
        RetryPolicy(**{field: bad})
    assert caught.value.field == field
    assert field in str(caught.value)


@pytest.mark.parametrize("bad", [-1, 0, float("nan"), float("inf"), "5", True])
def test_bad_timeouts_are_refused_for_the_client_and_per_call(bad: object) -> None:
    with pytest.raises(ValidationError, match="timeout"):
        CourierClient(api_key=KEY, timeout=bad)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="timeout"):
        AsyncCourierClient(api_key=KEY, timeout=bad)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="timeout"):
        mock(never).invoke(FLOW, timeout=bad)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="timeout"):
        mock(never).invoke_template("t", recipient=None, timeout=bad)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="timeout"):
        CourierClient(api_key=KEY, timeout=httpx.Timeout(5.0, connect=bad))  # type: ignore[arg-type]


def test_client_options_of_the_wrong_type_are_refused() -> None:
    with pytest.raises(ValidationTypeError, match="retry"):
        CourierClient(api_key=KEY, retry=3)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="max_retries"):
        CourierClient(api_key=KEY, max_retries=-1)
    with pytest.raises(ValidationTypeError, match="base_url"):
        CourierClient(api_key=KEY, base_url=5)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="base_url"):
        CourierClient(api_key=KEY, base_url="http://[::1")


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda c: c.invoke_template("t", recipient=5), "recipient"),
        (lambda c: c.invoke_template("t", recipient=""), "recipient"),
        (lambda c: c.invoke_template("", recipient=None), "template_id"),
        (lambda c: c.invoke_template("   ", recipient=None), "template_id"),
        (lambda c: c.invoke_template(None, recipient=None), "template_id"),
        (lambda c: c.invoke_template("a\ud800", recipient=None), "template_id"),
        (lambda c: c.run_steps(None), "run_id"),
        (lambda c: c.run_steps(""), "run_id"),
        (lambda c: c.run_steps(7), "run_id"),
        (lambda c: c.list_runs(page_size=0), "page_size"),
        (lambda c: c.list_runs(page_size=51), "page_size"),
        (lambda c: c.list_runs(page_size=-1), "page_size"),
        (lambda c: c.list_runs(page_size="5"), "page_size"),
        (lambda c: c.list_runs(page_size=True), "page_size"),
        (lambda c: c.list_runs(status=5), "status"),
        (lambda c: c.list_runs(template_id=""), "template_id"),
    ],
)
def test_bad_call_arguments_are_library_errors_at_the_call(call: Any, field: str) -> None:
    """list_runs is checked when called, not when first iterated."""
    with pytest.raises(ValidationError) as caught:
        call(mock(never))
    assert caught.value.field == field
    assert field in str(caught.value)
    client = AsyncCourierClient(api_key=KEY, transport=httpx.MockTransport(never))

    async def main() -> None:
        result = call(client)
        if asyncio.iscoroutine(result):
            await result

    with pytest.raises(ValidationError):
        asyncio.run(main())


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("nan", None),
        ("NaN", None),
        ("-5", None),
        ("-inf", None),
        ("garbage", None),
        ("", None),
        ("Mon, 99 Foo 2020 99:99:99 GMT", None),
        ("2", 2.0),
        ("inf", float("inf")),
        ("1e400", float("inf")),
    ],
)
def test_retry_after_is_parsed_defensively(header: str, expected: float | None) -> None:
    assert _parse_retry_after(header) == expected


@pytest.mark.parametrize(
    "header",
    [
        "nan",
        "inf",
        "-1",
        "99999999999999999999",
        "garbage",
        format_datetime(datetime(9999, 1, 1, tzinfo=UTC), usegmt=True),
        format_datetime(datetime(2000, 1, 1, tzinfo=UTC), usegmt=True),
    ],
)
def test_any_retry_after_gives_a_finite_capped_wait(header: str) -> None:
    policy = RetryPolicy(max_retry_after=3.0, max_backoff=1.0)
    wait = policy.delay(1, header)
    assert 0 <= wait <= 3.0


def test_a_retry_after_nan_answer_is_retried_normally() -> None:
    answers = [httpx.Response(503, headers={"Retry-After": "nan"}), httpx.Response(200, json={})]
    answers[1] = httpx.Response(200, json={"runId": "r-2"})
    assert mock(lambda r: answers.pop(0)).invoke(FLOW) == "r-2"


# --- 4. the same failure is the same error, sync and async ------------------------------


def test_a_closed_port_is_a_connection_error_from_both_clients() -> None:
    url = closed_port_url()
    with (
        CourierClient(api_key=KEY, base_url=url, retry=NO_WAIT) as client,
        pytest.raises(CourierConnectionError) as sync_error,
    ):
        client.invoke(FLOW)

    async def main() -> None:
        async with AsyncCourierClient(api_key=KEY, base_url=url, retry=NO_WAIT) as client:
            await client.invoke(FLOW)

    with pytest.raises(CourierConnectionError) as async_error:
        asyncio.run(main())
    for error in (sync_error.value, async_error.value):
        assert not isinstance(error, CourierTimeoutError)
        assert error.attempts == NO_WAIT.max_retries + 1
    assert type(sync_error.value) is type(async_error.value)


def test_a_silent_server_is_a_timeout_from_both_clients() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    once = RetryPolicy(max_retries=0)
    try:
        with (
            CourierClient(api_key=KEY, base_url=url, retry=once, timeout=0.2) as client,
            pytest.raises(CourierTimeoutError),
        ):
            client.invoke(FLOW)

        async def main() -> None:
            async with AsyncCourierClient(
                api_key=KEY, base_url=url, retry=once, timeout=0.2
            ) as client:
                await client.invoke(FLOW)

        with pytest.raises(CourierTimeoutError):
            asyncio.run(main())
    finally:
        listener.close()


# --- 5. idempotency expiration within Courier's limits -------------------------------------


def _in(days: float) -> datetime:
    return datetime.now(UTC) + timedelta(days=days)


@pytest.mark.parametrize(
    "bad",
    [
        86400,
        0,
        -1,
        int(_in(-1).timestamp()),
        int(_in(30).timestamp() * 1000),
        int(_in(400).timestamp()),
        10**30,
        _in(-1),
        _in(0.5),
        _in(400),
        datetime(2020, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5))),
        _in(30).replace(tzinfo=None),
        timedelta(hours=1),
        timedelta(hours=23, minutes=59),
        timedelta(days=400),
        timedelta(days=-2),
        True,
        float("nan"),
        "2030-01-01",
        30.0,
    ],
    ids=repr,
)
def test_an_expiration_out_of_courier_range_is_refused_at_the_call(bad: object) -> None:
    with pytest.raises(ValidationError) as caught:
        mock(never).invoke(FLOW, idempotency_key="k", idempotency_expiration=bad)  # type: ignore[arg-type]
    assert caught.value.field == "idempotency_expiration"


def test_expirations_in_range_are_sent_as_epoch_seconds() -> None:
    sent: list[str] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(request.headers["x-idempotency-expiration"])
        return httpx.Response(200, json={"runId": "r"})

    client = mock(record)
    for value in (timedelta(hours=24), timedelta(days=365), _in(2), int(_in(300).timestamp())):
        client.invoke(FLOW, idempotency_key="k", idempotency_expiration=value)
    assert all(int(value) > datetime.now(UTC).timestamp() + 86000 for value in sent)
    with pytest.raises(ValidationError, match=r"timedelta\(seconds=86400\)"):
        client.invoke(FLOW, idempotency_expiration=86400)


# --- 6. the retry budget ------------------------------------------------------------------


def test_the_retry_budget_bounds_attempts_against_an_always_failing_server(
    failing: Server,
) -> None:
    requests = 100
    policy = RetryPolicy(max_retries=3, backoff=0, max_backoff=0)
    with CourierClient(api_key=KEY, base_url=failing.url, retry=policy) as client:
        for _ in range(requests):
            with pytest.raises(ServerError):
                client.invoke(FLOW)
    bound = requests + policy.budget_floor + policy.budget_ratio * requests  # type: ignore[operator]
    assert len(failing.seen) <= bound
    assert len(failing.seen) < requests * (policy.max_retries + 1) / 2
    assert len(failing.seen) >= requests + policy.budget_floor  # the floor was spent


def test_without_a_budget_every_request_retries_fully(failing: Server) -> None:
    policy = RetryPolicy(max_retries=2, backoff=0, max_backoff=0, budget_ratio=None)
    with CourierClient(api_key=KEY, base_url=failing.url, retry=policy) as client:
        for _ in range(20):
            with pytest.raises(ServerError):
                client.invoke(FLOW)
    assert len(failing.seen) == 20 * 3


def test_the_budget_is_per_client_and_shared_with_a_twin(failing: Server) -> None:
    """Clients made from one RetryPolicy get budgets of their own; a client given another
    client's ``retry`` (as the bulk loop's async twin is) shares its budget."""
    policy = RetryPolicy(max_retries=1, backoff=0, max_backoff=0, budget_floor=2, budget_ratio=0)
    first = CourierClient(api_key=KEY, base_url=failing.url, retry=policy)
    second = CourierClient(api_key=KEY, base_url=failing.url, retry=policy)
    twin = AsyncCourierClient(api_key=KEY, base_url=failing.url, retry=first.retry)
    assert first.retry == policy
    assert first.retry is not second.retry

    def attempts(call: Any) -> int:
        with pytest.raises(ServerError) as caught:
            call()
        return caught.value.attempts

    assert [attempts(lambda: first.invoke(FLOW)) for _ in range(2)] == [2, 2]

    async def on_twin() -> str:
        async with twin:
            return await twin.invoke(FLOW)

    assert attempts(lambda: asyncio.run(on_twin())) == 1  # shared: spent
    assert attempts(lambda: second.invoke(FLOW)) == 2  # its own
    first.close()
    second.close()


def test_the_budget_also_holds_for_connection_failures() -> None:
    policy = RetryPolicy(max_retries=5, backoff=0, max_backoff=0, budget_floor=3, budget_ratio=0)
    client = CourierClient(api_key=KEY, base_url=closed_port_url(), retry=policy)
    counts = []
    for _ in range(3):
        with pytest.raises(CourierConnectionError) as caught:
            client.invoke(FLOW)
        counts.append(caught.value.attempts)
    assert counts == [4, 1, 1]


# --- 7. idempotency as Courier documents it -----------------------------------------------


def test_a_server_error_names_the_key_whose_answer_may_be_stored() -> None:
    boom = httpx.Response(500, json={"message": "boom", "type": "api_error"})
    with pytest.raises(ServerError) as caught:
        mock(lambda r: boom).invoke(FLOW, idempotency_key="signup-42")
    error = caught.value
    assert error.idempotency_key == "signup-42"
    assert "may have stored this answer" in str(error)
    assert "'signup-42'" in str(error)
    assert KEY not in str(error)
    assert error.attempts == NO_WAIT.max_retries + 1
    import pickle

    assert pickle.loads(pickle.dumps(error)).idempotency_key == "signup-42"


def test_a_reused_key_with_another_body_is_its_own_error() -> None:
    reused = httpx.Response(
        422, json={"message": "key used with another body", "type": "idempotency_error"}
    )
    with pytest.raises(IdempotencyKeyReusedError) as caught:
        mock(lambda r: reused).invoke(FLOW, idempotency_key="signup-42")
    assert isinstance(caught.value, UnprocessableEntityError)
    assert caught.value.idempotency_key == "signup-42"
    assert caught.value.attempts == 1
    other = httpx.Response(422, json={"message": "no", "type": "invalid_request_error"})
    with pytest.raises(UnprocessableEntityError) as plain:
        mock(lambda r: other).invoke(FLOW)
    assert type(plain.value) is UnprocessableEntityError


# --- 8. secrets ----------------------------------------------------------------------------


def test_no_error_path_shows_the_key(failing: Server) -> None:
    errors: list[BaseException] = []
    for call in (
        lambda: CourierClient(api_key=KEY + "\n"),
        lambda: CourierClient(api_key=KEY, base_url=failing.url, retry=NO_WAIT).invoke(FLOW),
        lambda: CourierClient(api_key=KEY, base_url=closed_port_url(), retry=NO_WAIT).invoke(FLOW),
        lambda: mock(never).invoke(FLOW, idempotency_key="a\nb"),
    ):
        with pytest.raises(AutomationError) as caught:
            call()
        errors.append(caught.value)
    for error in errors:
        chain: BaseException | None = error
        while chain is not None:
            for text in (str(chain), repr(chain), repr(getattr(chain, "body", None))):
                assert KEY[:12] not in text
            chain = chain.__cause__ or chain.__context__


# --- found by a hostile new user: bounds the socket layer and URLs need ---------------------


@pytest.mark.parametrize("timeout", [1e308, 10**30, 2**63, 86400.5])
def test_a_timeout_past_a_day_is_refused_before_the_socket_overflows(timeout: Any) -> None:
    with pytest.raises(ValidationError, match="'timeout'"):
        CourierClient(api_key=KEY, timeout=timeout)
    with pytest.raises(ValidationError, match="'timeout'"):
        mock(never).invoke(FLOW, recipient="u", timeout=timeout)
    with pytest.raises(ValidationError, match="'timeout'"):
        mock(never).invoke(FLOW, recipient="u", timeout=httpx.Timeout(timeout))


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000\n",
        "http://127.0.0.1:8/\r\nX-Injected: 1",
        "http://127.0.0.1:8\x00",
        "https://api.courier.com/ path",
        "http://127.0.0.1:99999",
    ],
)
def test_a_malformed_base_url_is_refused_when_the_client_is_made(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ConfigurationError, match="base_url"):
        CourierClient(api_key=KEY, base_url=url)
    if "\x00" not in url:  # an environment cannot hold a NUL
        monkeypatch.setenv("COURIER_BASE_URL", url)  # a file's trailing newline, in env
        with pytest.raises(ConfigurationError, match="COURIER_BASE_URL"):
            CourierClient(api_key=KEY)


@pytest.mark.parametrize("dots", [".", ".."])
def test_dot_segment_ids_never_reach_another_endpoint(dots: str) -> None:
    client = mock(never)
    with pytest.raises(ValidationError, match="'run_id'"):
        client.run_steps(dots)
    with pytest.raises(ValidationError, match="'template_id'"):
        client.invoke_template(dots, recipient="u")


@pytest.mark.parametrize("field", ["transport", "http_client"])
@pytest.mark.parametrize("value", [5, "httpx", object()])
def test_the_http_seams_are_typed(field: str, value: Any) -> None:
    for cls in (CourierClient, AsyncCourierClient):
        with pytest.raises(ValidationTypeError, match=f"'{field}'"):
            cls(api_key=KEY, **{field: value})


def test_a_sync_http_client_is_not_taken_by_the_async_client() -> None:
    with httpx.Client() as sync, pytest.raises(ValidationTypeError, match="AsyncClient"):
        AsyncCourierClient(api_key=KEY, http_client=sync)  # type: ignore[arg-type]
