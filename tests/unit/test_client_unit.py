"""Client unit tests through httpx.MockTransport: requests, retries, errors, configuration."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from automation_dsl import (
    AsyncCourierClient,
    AuthenticationError,
    Automation,
    BadRequestError,
    ConfigurationError,
    ConflictError,
    CourierAPIError,
    CourierClient,
    CourierConnectionError,
    CourierTimeoutError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RetryPolicy,
    ServerError,
    UnprocessableEntityError,
    ValidationError,
)

KEY = "pk_test_SECRET_never_shown_0123456789"
NO_WAIT = RetryPolicy(max_retries=3, backoff=0, max_backoff=0, max_retry_after=0)
FLOW = Automation().send("WELCOME").delay(duration="1 day").send("NUDGE")


class Recorder:
    """A MockTransport handler answering from a script and recording every request."""

    def __init__(self, *answers: httpx.Response | type[Exception]) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if self.answers else httpx.Response(200, json={"runId": "r"})
        if isinstance(answer, type):
            raise answer("injected", request=request)
        return answer

    def client(self, **options: Any) -> CourierClient:
        options.setdefault("retry", NO_WAIT)
        return CourierClient(api_key=KEY, transport=httpx.MockTransport(self), **options)

    @property
    def keys(self) -> list[str]:
        return [r.headers["Idempotency-Key"] for r in self.requests]


def ok(run_id: str = "1-abc") -> httpx.Response:
    return httpx.Response(200, json={"runId": run_id})


def test_invoke_sends_the_payload_and_returns_the_run_id() -> None:
    recorder = Recorder(ok("1-65f240a0-47a6a120c8374de9bcf9f22c"))
    with recorder.client() as client:
        run_id = client.invoke(FLOW, recipient="user-1", data={"a": 1})
    assert run_id == "1-65f240a0-47a6a120c8374de9bcf9f22c"
    (request,) = recorder.requests
    assert request.method == "POST"
    assert str(request.url) == "https://api.courier.com/automations/invoke"
    assert request.headers["Authorization"] == f"Bearer {KEY}"
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.content) == FLOW.to_payload(recipient="user-1", data={"a": 1})
    assert request.headers["Idempotency-Key"].startswith("automation-dsl-")


def test_a_ready_payload_is_sent_unchanged_with_context_merged() -> None:
    recorder = Recorder()
    payload = {"automation": {"steps": [{"action": "send", "template": "A"}]}, "data": {"x": 1}}
    with recorder.client() as client:
        client.invoke(payload, recipient="u1")
    assert json.loads(recorder.requests[0].content) == {**payload, "recipient": "u1"}
    with pytest.raises(ValidationError, match="not an invoke body"), recorder.client() as client:
        client.invoke({"steps": []})


def test_one_key_per_logical_call_and_the_same_key_on_every_retry() -> None:
    recorder = Recorder(
        httpx.Response(500, json={"message": "boom", "type": "api_error"}),
        httpx.ConnectError,
        httpx.ReadTimeout,
        ok(),
        ok(),
    )
    with recorder.client() as client:
        assert client.invoke(FLOW) == "1-abc"
        client.invoke(FLOW)
    first_call, second_call = recorder.keys[:4], recorder.keys[4:]
    assert len(set(first_call)) == 1
    assert len(recorder.keys) == 5
    assert second_call[0] != first_call[0]


def test_caller_key_and_expiration_are_sent() -> None:
    recorder = Recorder()
    moment = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)
    epoch = int(moment.timestamp()) + 3600
    with recorder.client() as client:
        client.invoke(FLOW, idempotency_key="order-1", idempotency_expiration=moment)
        client.invoke(FLOW, idempotency_key="order-2", idempotency_expiration=epoch)
        client.invoke(FLOW, idempotency_key="order-3", idempotency_expiration=timedelta(days=2))
    headers = [r.headers for r in recorder.requests]
    assert [h["Idempotency-Key"] for h in headers] == ["order-1", "order-2", "order-3"]
    assert headers[0]["x-idempotency-expiration"] == str(int(moment.timestamp()))
    assert headers[1]["x-idempotency-expiration"] == str(epoch)
    two_days = datetime.now(UTC) + timedelta(days=2)
    assert abs(int(headers[2]["x-idempotency-expiration"]) - two_days.timestamp()) < 5
    with pytest.raises(ValidationError, match="attach a tzinfo"), recorder.client() as client:
        client.invoke(FLOW, idempotency_expiration=datetime(2030, 1, 1))


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (422, UnprocessableEntityError),
        (418, CourierAPIError),
    ],
)
def test_client_errors_raise_at_once_with_courier_message(
    status: int, error: type[CourierAPIError]
) -> None:
    body = {
        "message": "Invalid Steps Definition: one or more steps",
        "type": "invalid_request_error",
    }
    recorder = Recorder(httpx.Response(status, json=body, headers={"x-request-id": "req-9"}))
    with pytest.raises(error) as caught, recorder.client() as client:
        client.invoke(FLOW)
    assert type(caught.value) is error
    assert len(recorder.requests) == 1
    assert caught.value.status_code == status
    assert caught.value.message == body["message"]
    assert caught.value.type == "invalid_request_error"
    assert caught.value.request_id == "req-9"
    assert caught.value.attempts == 1


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (408, CourierAPIError),
        (409, ConflictError),
        (429, RateLimitError),
        (500, ServerError),
        (502, ServerError),
        (503, ServerError),
    ],
)
def test_retryable_statuses_are_retried_then_raised_with_attempts(
    status: int, error: type[CourierAPIError]
) -> None:
    recorder = Recorder(*[httpx.Response(status, text="nope")] * 4)
    with pytest.raises(error) as caught, recorder.client() as client:
        client.invoke(FLOW)
    assert caught.value.attempts == 4
    assert len(recorder.requests) == 4
    assert "after 4 attempts" in str(caught.value)
    assert len(set(recorder.keys)) == 1


def test_connection_errors_and_timeouts_end_in_their_errors() -> None:
    recorder = Recorder(*[httpx.ConnectError] * 4)
    with pytest.raises(CourierConnectionError) as caught, recorder.client() as client:
        client.invoke(FLOW)
    assert caught.value.attempts == 4
    assert not isinstance(caught.value, CourierTimeoutError)
    recorder = Recorder(*[httpx.ReadTimeout] * 2)
    with pytest.raises(CourierTimeoutError), recorder.client(max_retries=1) as client:
        client.invoke(FLOW)
    assert len(recorder.requests) == 2


def recording(waits: list[float], **options: Any) -> RetryPolicy:
    """A policy that notes each wait it gives and lets the client wait none: a client
    sleeps exactly what :meth:`RetryPolicy.delay` returns."""

    class Recording(RetryPolicy):
        def delay(self, attempt: int, retry_after: str | None = None) -> float:
            waits.append(super().delay(attempt, retry_after))
            return 0.0

    return Recording(**options)


def test_retry_after_is_honoured_up_to_the_cap() -> None:
    waits: list[float] = []
    recorder = Recorder(
        httpx.Response(429, headers={"Retry-After": "2"}),
        httpx.Response(429, headers={"Retry-After": "600"}),
        httpx.Response(503, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}),
        ok(),
    )
    policy = recording(waits, max_retries=3, backoff=0.5, max_backoff=8, max_retry_after=30)
    with recorder.client(retry=policy) as client:
        client.invoke(FLOW)
    assert waits == [2.0, 30.0, 0.0]


def test_backoff_is_exponential_with_full_jitter_and_capped() -> None:
    waits: list[float] = []
    recorder = Recorder(*[httpx.Response(500)] * 6)
    policy = recording(waits, max_retries=5, backoff=0.5, max_backoff=3, jitter=False)
    with pytest.raises(ServerError), recorder.client(retry=policy) as client:
        client.invoke(FLOW)
    assert waits == [0.5, 1.0, 2.0, 3.0, 3.0]  # the bounds: without jitter, the wait itself
    jittered: list[float] = []
    recorder = Recorder(*[httpx.Response(500)] * 6)
    policy = recording(jittered, max_retries=5, backoff=0.5, max_backoff=3)
    with pytest.raises(ServerError), recorder.client(retry=policy) as client:
        client.invoke(FLOW)
    assert all(0 <= wait <= bound for wait, bound in zip(jittered, waits, strict=True))


def test_invoke_template_always_sends_recipient() -> None:
    recorder = Recorder()
    with recorder.client() as client:
        client.invoke_template("onboarding v2/x", recipient=None, data={"plan": "pro"})
    request = recorder.requests[0]
    assert request.url.raw_path == b"/automations/onboarding%20v2%2Fx/invoke"
    assert json.loads(request.content) == {"recipient": None, "data": {"plan": "pro"}}
    assert "Idempotency-Key" in request.headers


def test_list_runs_follows_cursors_and_run_steps() -> None:
    pages = [
        httpx.Response(200, json={"runs": [{"run_id": "r1", "source": []}], "next_cursor": "c2"}),
        httpx.Response(200, json={"runs": [{"run_id": "r2", "status": "WAITING", "source": []}]}),
        httpx.Response(
            200, json={"steps": [{"action": "send", "status": "PROCESSED", "message_id": "m1"}]}
        ),
    ]
    recorder = Recorder(*pages)
    with recorder.client() as client:
        runs = list(client.list_runs(status="WAITING,PROCESSED", page_size=1))
        steps = client.run_steps("r2")
    assert [run.run_id for run in runs] == ["r1", "r2"]
    assert runs[1].status == "WAITING"
    assert dict(recorder.requests[0].url.params) == {"status": "WAITING,PROCESSED", "limit": "1"}
    assert recorder.requests[1].url.params["cursor"] == "c2"
    assert steps[0].message_id == "m1"


def test_api_key_from_environment_and_error_when_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COURIER_API_KEY", raising=False)
    monkeypatch.delenv("COURIER_AUTH_TOKEN", raising=False)
    client = CourierClient(transport=httpx.MockTransport(Recorder()))
    with pytest.raises(ConfigurationError, match="COURIER_API_KEY"):
        client.invoke(FLOW)
    monkeypatch.setenv("COURIER_AUTH_TOKEN", "legacy-token")
    recorder = Recorder()
    CourierClient(transport=httpx.MockTransport(recorder)).invoke(FLOW)
    assert recorder.requests[0].headers["Authorization"] == "Bearer legacy-token"
    monkeypatch.setenv("COURIER_API_KEY", "new-key")
    CourierClient(transport=httpx.MockTransport(recorder)).invoke(FLOW)
    assert recorder.requests[1].headers["Authorization"] == "Bearer new-key"


def test_base_url_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COURIER_BASE_URL", "https://eu.example.test/")
    assert CourierClient(api_key=KEY).base_url == "https://eu.example.test"
    for url in ("http://127.0.0.1:8787", "http://localhost:1", "http://[::1]:9"):
        assert CourierClient(api_key=KEY, base_url=url).base_url == url
    for url in ("http://api.courier.com", "http://10.0.0.1", "ftp://x", "not a url"):
        with pytest.raises(ConfigurationError):
            CourierClient(api_key=KEY, base_url=url)


def test_timeouts_default_and_per_call() -> None:
    recorder = Recorder()
    with recorder.client() as client:
        client.invoke(FLOW)
        client.invoke(FLOW, timeout=1.5)
    assert recorder.requests[0].extensions["timeout"] == {
        "connect": 5.0,
        "read": 30.0,
        "write": 30.0,
        "pool": 30.0,
    }
    assert recorder.requests[1].extensions["timeout"]["read"] == 1.5
    assert CourierClient(api_key=KEY, timeout=3).timeout == httpx.Timeout(3)


def test_http_client_injection_is_not_closed() -> None:
    http = httpx.Client(transport=httpx.MockTransport(Recorder()))
    with CourierClient(api_key=KEY, http_client=http) as client:
        client.invoke(FLOW)
    assert not http.is_closed
    http.close()


def test_the_key_never_leaks(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="automation_dsl")
    recorder = Recorder(
        httpx.Response(500),
        httpx.ConnectError,
        httpx.Response(401, json={"message": "Unauthorized", "type": "authentication_error"}),
    )
    client = recorder.client()
    texts = [repr(client), str(client), repr(vars(client))]
    with pytest.raises(AuthenticationError) as caught:
        client.invoke(FLOW)
    texts += [str(caught.value), repr(caught.value), repr(caught.value.body)]
    texts += [record.getMessage() for record in caplog.records]
    assert len(caplog.records) == 3
    assert "POST /automations/invoke -> 500 attempt=1" in caplog.records[0].getMessage()
    for text in texts:
        assert KEY not in text
        assert "SECRET" not in text


def test_async_client_matches_the_sync_one() -> None:
    recorder = Recorder(httpx.Response(503), ok("1-async"))

    async def main() -> tuple[str, list[str]]:
        transport = httpx.MockTransport(recorder)
        async with AsyncCourierClient(api_key=KEY, transport=transport, retry=NO_WAIT) as client:
            run_id = await client.invoke(FLOW, recipient="u1")
            ids = [run.run_id async for run in client.list_runs()]
        return run_id, ids

    recorder.answers.append(httpx.Response(200, json={"runs": [{"run_id": "x", "source": []}]}))
    run_id, ids = asyncio.run(main())
    assert run_id == "1-async"
    assert ids == ["x"]
    first, retry = (r.headers["Idempotency-Key"] for r in recorder.requests[:2])
    assert first == retry
    assert "Idempotency-Key" not in recorder.requests[2].headers


def test_missing_run_id_is_an_error() -> None:
    recorder = Recorder(httpx.Response(200, json={"id": "x"}))
    with pytest.raises(CourierAPIError, match="runId"), recorder.client() as client:
        client.invoke(FLOW)


def test_run_shortcut_uses_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from automation_dsl._api import run

    recorder = Recorder(ok("1-env"))
    monkeypatch.setenv("COURIER_API_KEY", "env-key")
    transport = httpx.MockTransport(recorder)
    assert run(FLOW, recipient="u1", idempotency_key="cell-1", transport=transport) == "1-env"
    assert recorder.requests[0].headers["Idempotency-Key"] == "cell-1"
    assert recorder.requests[0].headers["Authorization"] == "Bearer env-key"
