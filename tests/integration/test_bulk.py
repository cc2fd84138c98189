"""invoke_many: exactly once under faults, resumable after a kill, lazy, with a journal."""

from __future__ import annotations

import _thread
import asyncio
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from automation_dsl import (
    BulkResult,
    ConfigurationError,
    RetryPolicy,
    RunContext,
    ValidationError,
)
from automation_dsl.sandbox import Faults, Sandbox
from tests._flows import FLOW
from tests.integration.conftest import journaled

# no retry budget: these tests check exactly-once under a quarter of requests failing
RETRY = RetryPolicy(
    max_retries=12, backoff=0.002, max_backoff=0.02, max_retry_after=0.02, budget_ratio=None
)


class Spy(httpx.BaseTransport):
    """The caller's transport: records when each request it carries starts."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.started: list[float] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.started.append(time.monotonic())
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


class AsyncSpy(httpx.AsyncBaseTransport):
    """The async twin of :class:`Spy`."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.started: list[float] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.started.append(time.monotonic())
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def faulty() -> Faults:
    """About a quarter of requests meet a 503, a 429 with Retry-After, or a dropped line
    (retryable faults: a 500 is stored for its key and replayed, as Courier does)."""
    return Faults(
        error_503=0.12,
        rate_limit=0.06,
        retry_after=0.01,
        drop_before=0.02,
        drop_after=0.04,
        seed=7,
    )


def users(count: int, start: int = 0) -> Iterator[dict[str, object]]:
    return ({"recipient": f"user-{i}", "data": {"i": i}} for i in range(start, count))


def assert_exactly_once(sandbox: Sandbox, count: int) -> None:
    runs = sandbox.runs()
    recipients = [run.context["recipient"] for run in runs]
    assert len(runs) == count
    assert len(set(recipients)) == count  # none duplicated, none lost


def test_ten_thousand_items_under_faults_exactly_once_even_when_run_twice() -> None:
    with Sandbox(faults=faulty()) as sandbox:

        async def batch() -> BulkResult:
            async with sandbox.async_client(retry=RETRY) as client:
                return await client.invoke_many(FLOW, users(10_000), progress=False)

        first = asyncio.run(batch())
        outcomes = [request.outcome for request in sandbox.requests()]
        faulted = sum(o not in ("accepted", "replayed") for o in outcomes) / len(outcomes)
        assert faulted >= 0.2
        assert first.succeeded == 10_000
        assert first.failed == 0
        assert first.retried > 1000
        assert_exactly_once(sandbox, 10_000)

        second = asyncio.run(batch())  # the same batch again: the keys are the same
        assert second.run_ids == first.run_ids
        assert_exactly_once(sandbox, 10_000)


KILLED_SCRIPT = textwrap.dedent(
    """
    import sys
    from automation_dsl import Automation, CourierClient, RetryPolicy
    url, key, journal = sys.argv[1:]
    flow = Automation().send("WELCOME").delay(days=1).send("NUDGE")
    retry = RetryPolicy(max_retries=12, backoff=0.002, max_backoff=0.02, max_retry_after=0.02,
                        budget_ratio=None)
    contexts = ({"recipient": f"user-{i}", "data": {"i": i}} for i in range(10_000))
    with CourierClient(api_key=key, base_url=url, retry=retry) as client:
        client.invoke_many(flow, contexts, concurrency=16, journal=journal, progress=False)
    """
)


def test_killed_midway_then_resumed_from_the_journal(tmp_path: Path) -> None:
    journal = tmp_path / "batch.journal"
    script = tmp_path / "batch.py"
    script.write_text(KILLED_SCRIPT)
    with Sandbox(faults=faulty()) as sandbox:
        process = subprocess.Popen(
            [sys.executable, str(script), sandbox.url, sandbox.api_key, str(journal)]
        )
        deadline = time.monotonic() + 120
        while journaled(journal) < 2_000:
            assert process.poll() is None, "the batch ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        done_before = journaled(journal)
        assert 2_000 <= done_before < 10_000

        with sandbox.client(retry=RETRY) as client:
            result = client.invoke_many(
                FLOW, users(10_000), journal=journal, resume=True, concurrency=16, progress=False
            )
        assert result.resumed >= done_before - 16  # only in-flight items can be missing
        assert result.succeeded == 10_000
        assert_exactly_once(sandbox, 10_000)
        assert journaled(journal) == 10_000


def test_ctrl_c_stops_scheduling_and_keeps_the_journal_consistent(tmp_path: Path) -> None:
    journal = tmp_path / "j.db"

    def interrupted_after(count: int) -> Iterator[dict[str, object]]:
        for i, context in enumerate(users(200)):
            if i == count:
                raise KeyboardInterrupt
            yield context

    with Sandbox() as sandbox, sandbox.client() as client:
        result = client.invoke_many(
            FLOW, interrupted_after(120), journal=journal, concurrency=8, progress=False
        )
        assert result.interrupted
        assert not result.ok
        assert result.succeeded == 120 == journaled(journal)
        resumed = client.invoke_many(FLOW, users(200), journal=journal, resume=True, progress=False)
        assert (resumed.resumed, resumed.succeeded) == (120, 200)
        assert resumed.run_ids[:120] == result.run_ids[:120]
        assert_exactly_once(sandbox, 200)


def test_a_real_ctrl_c_in_the_main_thread(tmp_path: Path) -> None:
    journal = tmp_path / "j.db"
    with Sandbox() as sandbox, sandbox.client() as client:
        sandbox.faults.latency = 0.002

        def interrupt_when_underway() -> None:
            deadline = time.monotonic() + 30
            while journaled(journal) < 100 and time.monotonic() < deadline:
                time.sleep(0.01)
            _thread.interrupt_main()  # what Ctrl-C does: KeyboardInterrupt in the main thread

        threading.Thread(target=interrupt_when_underway, daemon=True).start()
        result = client.invoke_many(
            FLOW, users(5_000), journal=journal, concurrency=8, progress=False
        )
        assert result.interrupted
        assert 100 <= result.succeeded < 5_000
        assert journaled(journal) == result.succeeded
        assert_exactly_once(sandbox, result.succeeded)


def test_journal_guards_against_mixing_batches(tmp_path: Path) -> None:
    journal = tmp_path / "j.db"
    with Sandbox() as sandbox, sandbox.client() as client:
        client.invoke_many(FLOW, users(3), journal=journal, progress=False)
        with pytest.raises(ConfigurationError, match="resume=True"):
            client.invoke_many(FLOW, users(3), journal=journal, progress=False)
        with pytest.raises(ConfigurationError, match="different automation"):
            client.invoke_many(
                FLOW.send("MORE"), users(3), journal=journal, resume=True, progress=False
            )


def test_custom_keys_contexts_and_failures() -> None:
    contexts = [RunContext(recipient="a"), {"recipient": "b"}, {"recipient": "c"}]
    with Sandbox() as sandbox:
        sandbox.faults.script.extend(["ok", "ok", "500", "500"])
        with sandbox.client(max_retries=1, retry=RetryPolicy(backoff=0)) as client:
            result = client.invoke_many(
                FLOW,
                contexts,
                key=lambda ctx: f"welcome-{ctx['recipient']}",
                concurrency=1,
                progress=False,
            )
        keys = [request.idempotency_key for request in sandbox.requests()]
        assert keys[:3] == ["welcome-a", "welcome-b", "welcome-c"]
        assert result.succeeded == 2
        (failure,) = result.failures
        assert (failure.index, failure.key, failure.context) == (2, "welcome-c", {"recipient": "c"})
        assert failure.error.attempts == 2  # type: ignore[attr-defined]
        records = result.to_records()
        assert [r["status"] for r in records] == ["ok", "ok", "failed"]
        assert "ServerError" in str(result)
        assert "failed: 1" in str(result)
        assert "<table" in result._repr_html_()


def test_bad_contexts_name_their_place() -> None:
    rows = [{"recipient": "a"}, {"recipent": "typo"}, {"recipient": "c"}]
    with Sandbox() as sandbox, sandbox.client() as client:
        result = client.invoke_many(FLOW, rows, progress=False)
        (failure,) = result.failures
        assert isinstance(failure.error, ValidationError)
        assert failure.error.path == "contexts[1].recipent"
        assert (failure.index, failure.key, failure.invalid) == (1, None, True)
        assert result.succeeded == 2
        assert len(sandbox.runs()) == 2
        with pytest.raises(ValidationError) as caught:
            client.invoke_many(FLOW, rows, progress=False, on_invalid="raise")
        assert caught.value.path == "contexts[1].recipent"
        with pytest.raises(ValidationError, match="concurrency"):
            client.invoke_many(FLOW, [], concurrency=0)


def test_async_iterables_are_consumed_lazily() -> None:
    pulled: list[int] = []

    async def stream() -> AsyncIterator[dict[str, object]]:
        for i in range(300):
            pulled.append(i)
            yield {"recipient": f"user-{i}"}

    async def main(sandbox: Sandbox) -> BulkResult:
        async with sandbox.async_client() as client:
            return await client.invoke_many(FLOW, stream(), concurrency=4, progress=False)

    with Sandbox() as sandbox:
        sandbox.faults.latency = 0.001
        result = asyncio.run(main(sandbox))
    assert result.succeeded == 300
    assert pulled == list(range(300))


def test_rate_limit_spreads_starts_evenly() -> None:
    spy = Spy(httpx.HTTPTransport())
    with Sandbox() as sandbox, sandbox.client(transport=spy) as client:
        before = time.monotonic()
        result = client.invoke_many(FLOW, users(5), rate_limit=100, concurrency=5, progress=False)
        assert result.succeeded == 5
        with pytest.raises(ValidationError, match="rate_limit"):
            client.invoke_many(FLOW, users(5), rate_limit=0, progress=False)
    # five threads free at once, yet the starts are 10 ms apart, the first at once
    starts = sorted(spy.started)
    for index, start in enumerate(starts):
        assert start - before >= 0.01 * index - 0.001
    assert starts[-1] - before < 1.0


def test_progress_bar_counts(capsys: pytest.CaptureFixture[str]) -> None:
    with Sandbox() as sandbox, sandbox.client() as client:
        client.invoke_many(FLOW, list(users(20)), progress=True)
    err = capsys.readouterr().err
    assert "invoke_many" in err
    assert "20/20" in err
    assert "done=20" in err


def test_nothing_is_sent_for_an_empty_batch() -> None:
    with Sandbox() as sandbox, sandbox.client() as client:
        result = client.invoke_many(FLOW, [], progress=False)
        assert (result.run_ids, result.ok) == ([], True)
        assert sandbox.requests() == []


def test_the_httpx_path_when_the_caller_chose_the_transport() -> None:
    spy = AsyncSpy(httpx.AsyncHTTPTransport())

    async def main(sandbox: Sandbox) -> BulkResult:
        async with sandbox.async_client(transport=spy, retry=RETRY) as client:
            return await client.invoke_many(FLOW, users(60), concurrency=6, progress=False)

    with Sandbox(faults=faulty()) as sandbox:
        result = asyncio.run(main(sandbox))
        assert result.succeeded == 60
        assert_exactly_once(sandbox, 60)
        assert len(spy.started) == len(sandbox.requests()) > 60  # every attempt through it


@pytest.mark.parametrize("given", ["transport", "http_client"])
def test_the_sync_thread_pool_sends_through_the_callers_http(given: str) -> None:
    spy = Spy(httpx.HTTPTransport())
    http = httpx.Client(transport=spy)  # the caller's, closed by the caller
    options = {"transport": spy} if given == "transport" else {"http_client": http}
    with (
        http,
        Sandbox(faults=faulty()) as sandbox,
        sandbox.client(retry=RETRY, **options) as client,
    ):
        result = client.invoke_many(FLOW, users(80), concurrency=8, progress=False)
        assert (result.succeeded, result.failed) == (80, 0)
        assert_exactly_once(sandbox, 80)
        assert len(spy.started) == len(sandbox.requests()) > 80
        again = client.invoke_many(FLOW, users(80), concurrency=8, progress=False)
        assert again.run_ids == result.run_ids  # the same keys: no second run
        assert_exactly_once(sandbox, 80)


def test_the_async_client_sends_through_the_callers_http_client() -> None:
    spy = AsyncSpy(httpx.AsyncHTTPTransport())

    async def main(sandbox: Sandbox) -> BulkResult:
        async with (
            httpx.AsyncClient(transport=spy) as http,
            sandbox.async_client(http_client=http, retry=RETRY) as client,
        ):
            return await client.invoke_many(FLOW, users(60), concurrency=6, progress=False)

    with Sandbox(faults=faulty()) as sandbox:
        result = asyncio.run(main(sandbox))
        assert result.succeeded == 60
        assert_exactly_once(sandbox, 60)
        assert len(spy.started) == len(sandbox.requests()) > 60
