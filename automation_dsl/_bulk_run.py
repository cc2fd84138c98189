"""The bulk runners: what sends a planned batch (`BulkPlan`).

* `run_threads`: a thread pool, for [`CourierClient`][] on its
  own httpx transport;
* `run_tasks`: asyncio tasks over a `BulkSender`, for
  [`AsyncCourierClient`][];
* `run_in_thread`: the bridge that runs `run_tasks` in an event loop of its
  own thread, for the sync client on the aiohttp sender (so it also works where a loop
  already runs, as in a notebook).

A `BulkSender` sends one invoke body with its key and says what became of it.
`open_sender` is the one place that chooses it: the aiohttp sender when the
``fast`` extra is installed and the client was given no transport or http client of the
caller's, else `HttpxSender` through the client's own httpx stack.

Every runner stops scheduling on Ctrl-C (or a stop event), lets the requests in flight
finish and records them, and returns the partial result; the journal stays consistent.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterable, AsyncIterator, Callable, Coroutine, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any, Protocol

import httpx

from ._bulk import BulkItem, BulkPlan, BulkResult, RateLimiter
from ._errors import AutomationError
from ._http import _run_id
from ._retry import RetryPolicy


class BulkSender(Protocol):
    """Sends the invokes of a batch, inside the event loop that opened it."""

    async def send(self, body: bytes, key: str) -> tuple[str, int]:
        """POST one invoke body with its ``Idempotency-Key``, retrying as the client's
        policy says; the run id and the attempts it took, or raise the final error."""
        ...

    async def close(self) -> None:
        """Release what the sender opened (never the client's own connections)."""
        ...


class BulkClient(Protocol):
    """What a bulk sender needs of an [`AsyncCourierClient`][]."""

    base_url: str
    retry: RetryPolicy
    timeout: httpx.Timeout
    _default_http: bool

    def _auth(self) -> str: ...

    async def _send(self, request: httpx.Request) -> httpx.Response: ...

    def _bulk_request(
        self, body: bytes, key: str, timeout: httpx.Timeout | float | None
    ) -> httpx.Request: ...


class HttpxSender:
    """A `BulkSender` through the client's own httpx client and transport."""

    def __init__(self, client: BulkClient, timeout: httpx.Timeout | float | None) -> None:
        self.client = client
        self.timeout = timeout

    async def send(self, body: bytes, key: str) -> tuple[str, int]:
        response = await self.client._send(self.client._bulk_request(body, key, self.timeout))
        return _run_id(response), response.extensions["automation_dsl.attempts"]

    async def close(self) -> None:
        """Nothing to close: the connections are the client's."""


def uses_aiohttp(default_http: bool) -> bool:
    """The choice of bulk sender: aiohttp when the ``fast`` extra is installed and the
    caller chose no transport or http client (``default_http``); a transport or http
    client of the caller's is always used."""
    if not default_http:
        return False
    try:
        import aiohttp  # noqa: F401
    except ImportError:
        return False
    return True


def open_sender(
    client: BulkClient, concurrency: int, timeout: httpx.Timeout | float | None, dry_run: bool
) -> BulkSender:
    """The sender of one batch, opened in the running event loop (a dry run sends
    nothing, so it opens no connections of its own)."""
    if dry_run or not uses_aiohttp(client._default_http):
        return HttpxSender(client, timeout)
    from ._aiohttp import AiohttpSender

    limits = client.timeout if timeout is None else httpx.Timeout(timeout)
    return AiohttpSender(client.base_url, client._auth(), client.retry, limits, concurrency)


def batch_size(contexts: object) -> int | None:
    """How many contexts there are, when the container knows (for the progress bar)."""
    try:
        return len(contexts)  # type: ignore[arg-type]
    except TypeError:
        return None


def run_threads(
    plan: BulkPlan,
    contexts: Iterable[Any],
    concurrency: int,
    limiter: RateLimiter,
    send: Callable[[bytes, str], tuple[str, int]],
) -> BulkResult:
    """Send a planned batch from a pool of ``concurrency`` threads, each request through
    ``send(body, key) -> (run_id, attempts)``. An error of the rows (a refused row with
    ``on_invalid="raise"``, the iterator's own, the journal's) is raised once the
    requests in flight are recorded."""

    def task(item: BulkItem) -> tuple[str, int]:
        pause = limiter.reserve()
        if pause:
            time.sleep(pause)
        return send(item.body, item.key)

    pending: dict[Future[tuple[str, int]], BulkItem] = {}

    def settle(futures: Iterable[Future[tuple[str, int]]]) -> None:
        for future in futures:
            item = pending.pop(future)
            try:
                run_id, attempts = future.result()
            except AutomationError as error:
                plan.failed(item, error)
            else:
                plan.succeeded(item, run_id, attempts)

    interrupted = raised = False
    with ThreadPoolExecutor(concurrency, thread_name_prefix="invoke_many") as pool:
        try:
            for index, raw in plan.rows(contexts):
                item = plan.admit(index, raw)
                if item is None:
                    continue
                if len(pending) >= concurrency:
                    settle(wait(pending, return_when=FIRST_COMPLETED).done)
                pending[pool.submit(task, item)] = item
        except KeyboardInterrupt:
            interrupted = True
        except BaseException:
            raised = True
            raise
        finally:
            while pending:  # the requests in flight finish and are recorded
                try:
                    settle(wait(pending, return_when=FIRST_COMPLETED).done)
                except KeyboardInterrupt:
                    interrupted = True
            if raised:
                plan.finish()  # close the journal and the bar; the error goes on up
    return plan.finish(interrupted=interrupted)


async def run_tasks(
    plan: BulkPlan,
    contexts: Iterable[Any] | AsyncIterable[Any],
    concurrency: int,
    limiter: RateLimiter,
    sender: BulkSender,
    stop: threading.Event | None = None,
) -> BulkResult:
    """Send a planned batch from ``concurrency`` tasks through ``sender`` (closed at the
    end); ``stop`` (from another thread) ends the scheduling, as a KeyboardInterrupt
    raised by the contexts' iterator does. An error (a refused row with
    ``on_invalid="raise"``, the iterator's own, the journal's) stops the scheduling too,
    and is raised once the requests in flight are recorded."""
    stop = stop or threading.Event()
    source: Iterator[Any] | AsyncIterator[Any] = (
        aiter(contexts) if isinstance(contexts, AsyncIterable) else iter(contexts)
    )
    lock = asyncio.Lock()
    counter = 0
    problems: list[BaseException] = []

    async def next_item() -> BulkItem | None:
        nonlocal counter
        async with lock:
            while not stop.is_set():
                try:
                    if isinstance(source, AsyncIterator):
                        raw = await anext(source)
                    else:
                        raw = next(source)
                except (StopIteration, StopAsyncIteration):
                    return None
                except KeyboardInterrupt:
                    stop.set()
                    return None
                except Exception as error:
                    raise plan.source_failed(counter, error) from error
                counter += 1
                item = plan.admit(counter - 1, raw)
                if item is not None:
                    return item
            return None

    async def worker() -> None:
        try:
            while (item := await next_item()) is not None:
                pause = limiter.reserve()
                if pause:
                    await asyncio.sleep(pause)
                try:
                    run_id, attempts = await sender.send(item.body, item.key)
                except AutomationError as error:
                    plan.failed(item, error)
                else:
                    plan.succeeded(item, run_id, attempts)
        except Exception as error:  # the others finish what they sent, then it is raised
            problems.append(error)
            stop.set()

    try:
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    except asyncio.CancelledError:
        plan.finish(interrupted=True)
        raise
    finally:
        await sender.close()
    if problems:
        plan.finish()
        raise problems[0]
    return plan.finish(interrupted=stop.is_set())


def run_in_thread(
    batch: Callable[[threading.Event], Coroutine[Any, Any, BulkResult]],
) -> BulkResult:
    """Run ``batch(stop)`` in an event loop of its own thread. Ctrl-C sets ``stop``: the
    scheduling ends, the requests in flight finish and the partial result comes back."""
    stop = threading.Event()
    with ThreadPoolExecutor(1, thread_name_prefix="invoke_many") as pool:
        future = pool.submit(asyncio.run, batch(stop))
        while True:
            try:  # short waits: a Ctrl-C is seen at once, whatever the platform
                return future.result(timeout=0.2)
            except TimeoutError:
                continue
            except KeyboardInterrupt:
                stop.set()
