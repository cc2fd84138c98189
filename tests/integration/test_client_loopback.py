"""The client over real loopback HTTP against the sandbox server, faults included."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

import pytest

from automation_dsl import (
    AuthenticationError,
    Automation,
    BadRequestError,
    CourierClient,
    CourierConnectionError,
    NotFoundError,
    RetryPolicy,
)
from automation_dsl.sandbox import Faults, Sandbox

FAST = RetryPolicy(max_retries=5, backoff=0.001, max_backoff=0.01, max_retry_after=0.05)
FLOW = Automation().send("WELCOME").delay(duration="1 day").send("NUDGE")


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(api_key="sk_sandbox_TOPSECRET_abcdef", faults=Faults(retry_after=0.01)) as sb:
        yield sb


def test_run_id_comes_back_and_the_run_is_stored(sandbox: Sandbox) -> None:
    with sandbox.client() as client:
        run_id = client.invoke(FLOW, recipient="user-1", data={"plan": "pro"})
    (run,) = sandbox.runs()
    assert run.run_id == run_id
    assert run.automation == FLOW
    assert run.context == {"data": {"plan": "pro"}, "recipient": "user-1"}
    assert run.payload == FLOW.to_payload(recipient="user-1", data={"plan": "pro"})


@pytest.mark.parametrize(
    "script",
    [
        ["503"],
        ["503", "503"],
        ["429"],
        ["drop-before"],
        ["drop-after"],
        ["503", "429", "drop-after"],
        ["drop-after", "drop-after", "503"],
    ],
)
def test_failed_attempts_still_end_in_exactly_one_run(sandbox: Sandbox, script: list[str]) -> None:
    sandbox.faults.script.extend(script)
    with sandbox.client(retry=FAST) as client:
        run_id = client.invoke(FLOW, recipient="user-1")
    assert [run.run_id for run in sandbox.runs()] == [run_id]
    requests = sandbox.requests()
    assert len(requests) == len(script) + 1
    assert len({r.idempotency_key for r in requests}) == 1
    assert [r.outcome for r in requests[: len(script)]] == script
    final = requests[-1].outcome
    assert final == ("replayed" if "drop-after" in script else "accepted")


def test_the_same_pinned_key_twice_is_one_run(sandbox: Sandbox) -> None:
    with sandbox.client() as client:
        first = client.invoke(FLOW, idempotency_key="signup-42")
        second = client.invoke(FLOW, idempotency_key="signup-42")
        third = client.invoke(FLOW)
    assert first == second != third
    assert len(sandbox.runs()) == 2


def test_errors_are_raised_at_once_with_courier_messages(sandbox: Sandbox) -> None:
    wrong = CourierClient(api_key="wrong", base_url=sandbox.url, retry=FAST)
    with wrong as client, pytest.raises(AuthenticationError) as caught:
        client.invoke(FLOW)
    assert caught.value.type == "authentication_error"
    with sandbox.client(retry=FAST) as client:
        with pytest.raises(BadRequestError) as bad:
            client.invoke(
                {"automation": {"steps": [{"action": "dealy", "duration": "1 day"}]}},
                validate=False,
            )
        with pytest.raises(NotFoundError) as missing:
            client.invoke_template("no-such-template", recipient="u1")
    assert "steps[0].action" in bad.value.message
    assert "did you mean 'delay'" in bad.value.message
    assert bad.value.type == "invalid_request_error"
    assert "no-such-template" in missing.value.message
    outcomes = [r.outcome for r in sandbox.requests()]
    assert outcomes == ["unauthorized", "invalid", "not-found"]
    assert sandbox.runs() == []


def test_a_dead_server_is_a_connection_error() -> None:
    sandbox = Sandbox().start()
    url, key = sandbox.url, sandbox.api_key
    sandbox.stop()
    dead = CourierClient(api_key=key, base_url=url, retry=FAST)
    with dead as client, pytest.raises(CourierConnectionError) as caught:
        client.invoke(FLOW)
    assert caught.value.attempts == FAST.max_retries + 1


def test_templates_runs_and_steps_round_trip(sandbox: Sandbox) -> None:
    sandbox.register_template("onboarding", Automation().send("WELCOME", ref="w").delay(days=1))
    with sandbox.client() as client:
        run_id = client.invoke_template("onboarding", recipient="user-7", data={"a": 1})
        runs = list(client.list_runs(template_id="onboarding", page_size=1))
        steps = client.run_steps(run_id)
    assert [run.run_id for run in runs] == [run_id]
    assert runs[0].status == "WAITING"
    assert [(s.action, s.status) for s in steps] == [("send", "PROCESSED"), ("delay", "WAITING")]
    assert steps[0].message_id is not None


def test_async_client_against_the_sandbox(sandbox: Sandbox) -> None:
    sandbox.faults.script.extend(["503", "drop-after"])

    async def main() -> list[str]:
        async with sandbox.async_client(retry=FAST) as client:
            return [await client.invoke(FLOW, recipient=f"u{i}") for i in range(3)]

    run_ids = asyncio.run(main())
    assert sorted(run.run_id for run in sandbox.runs()) == sorted(run_ids)


def test_no_key_leaks_into_logs_or_errors(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sandbox.faults.script.extend(["503", "drop-before"])
    texts = [repr(sandbox.client())]
    with sandbox.client(retry=FAST) as client:
        client.invoke(FLOW)
        with pytest.raises(BadRequestError) as caught:
            client.invoke({"automation": {"steps": [{"action": "nope"}]}}, validate=False)
    texts += [str(caught.value), repr(caught.value.body), caplog.text]
    assert "attempt=3" in caplog.text
    for text in texts:
        assert "TOPSECRET" not in text


def test_trycourier_sends_our_payload_unchanged(sandbox: Sandbox) -> None:
    courier = pytest.importorskip("courier")
    payload = FLOW.to_payload(recipient="user-1", data={"plan": "pro"})
    client = courier.Courier(api_key=sandbox.api_key, base_url=sandbox.url, max_retries=0)
    response = client.automations.invoke.invoke_ad_hoc(**payload, idempotency_key="sdk-1")
    client.close()
    (run,) = sandbox.runs()
    assert response.run_id == run.run_id
    assert run.automation.to_payload(run.context) == payload
