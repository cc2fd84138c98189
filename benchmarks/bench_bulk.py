"""Bulk invocation: client CPU per invoke, invokes per second, and memory for 100,000 items.

Run: ``.venv/bin/python benchmarks/bench_bulk.py``. One run, one trivial loopback server
(in its own process, answering a fixed runId), the same 3-step automation and the same
concurrency (32 in flight) for every contender:

* ``AsyncCourierClient.invoke_many`` (this library: straight through aiohttp with the
  ``fast`` extra; deterministic keys, retries armed, no journal, no progress bar);
* the same with httpx's own async transport (the path without the extra);
* ``CourierClient.invoke_many`` (the sync client: the same fast path in a thread);
* a plain ``aiohttp.ClientSession`` loop (the floor);
* a plain ``httpx.AsyncClient`` loop;
* trycourier's ``AsyncCourier.automations.invoke.invoke_ad_hoc``, with its default
  httpx client and with its ``DefaultAioHttpClient``.

Client CPU is this process's CPU time divided by the invokes. Goals: invoke_many within
3x of plain aiohttp, and at least 2x cheaper than trycourier's best configuration. Then
100,000 lazily generated items go through invoke_many, and the peak of Python memory
allocated during the batch (tracemalloc) is reported (goal: under 50 MB).

A local-time delay (``at("09:00", tz=profile.timezone)``, rows in 40 zones) is measured
against the same rows and the plain flow, median of 3 (goal: at most 1.5x the CPU).
"""

from __future__ import annotations

import asyncio
import json
import time
import tracemalloc
import zoneinfo
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import httpx
from _trivial_server import start

from automation_dsl import AsyncCourierClient, Automation, CourierClient, at
from automation_dsl.conditions import profile

COUNT = 4000
CONCURRENCY = 32
KEY = "pk_bench"
FLOW = Automation().send("WELCOME").delay(days=1).send("NUDGE")
LOCAL_FLOW = (
    Automation()
    .send("WELCOME")
    .delay(until=at("09:00", tz=profile.timezone, days="Mo-Fr"))
    .send("NUDGE")
)
ZONES = sorted(zoneinfo.available_timezones() - {"Factory", "localtime"})[::12][:40]


def contexts(count: int) -> Any:
    return ({"recipient": f"user-{i}", "data": {"i": i}} for i in range(count))


def local_contexts(count: int) -> Any:
    """The same rows, each with a profile zone, 40 zones in turn."""
    return (
        {"recipient": f"user-{i}", "data": {"i": i}, "profile": {"timezone": ZONES[i % 40]}}
        for i in range(count)
    )


async def pool(count: int, send: Callable[[int], Awaitable[None]]) -> None:
    items = iter(range(count))

    async def worker() -> None:
        for i in items:
            await send(i)

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))


def measure(name: str, run: Callable[[], Awaitable[None]], count: int) -> tuple[str, float, float]:
    asyncio.run(run())  # warm up: connections, imports, caches
    cpu, wall = time.process_time(), time.perf_counter()
    asyncio.run(run())
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return name, cpu / count, count / wall


def main() -> None:
    import courier

    url, server = start()
    time.sleep(0.3)
    body = FLOW.to_payload(recipient="user-1", data={"i": 1})
    headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}

    async def ours(transport: httpx.AsyncBaseTransport | None = None) -> None:
        async with AsyncCourierClient(api_key=KEY, base_url=url, transport=transport) as client:
            result = await client.invoke_many(
                FLOW, contexts(COUNT), concurrency=CONCURRENCY, progress=False
            )
            assert result.succeeded == COUNT

    async def plain_aiohttp() -> None:
        connector = aiohttp.TCPConnector(limit=CONCURRENCY)
        async with aiohttp.ClientSession(connector=connector) as session:

            async def send(i: int) -> None:
                data = json.dumps({**body, "data": {"i": i}}).encode()
                async with session.post(
                    f"{url}/automations/invoke",
                    data=data,
                    headers={**headers, "Idempotency-Key": f"k{i}"},
                ) as r:
                    assert "runId" in await r.json()

            await pool(COUNT, send)

    async def plain_httpx() -> None:
        async with httpx.AsyncClient(base_url=url) as client:

            async def send(i: int) -> None:
                r = await client.post(
                    "/automations/invoke",
                    json={**body, "data": {"i": i}},
                    headers={**headers, "Idempotency-Key": f"k{i}"},
                )
                assert "runId" in r.json()

            await pool(COUNT, send)

    def sdk(http_client: Callable[[], Any] | None) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            options = {"http_client": http_client()} if http_client else {}
            async with courier.AsyncCourier(
                api_key=KEY, base_url=url, max_retries=0, **options
            ) as client:

                async def send(i: int) -> None:
                    await client.automations.invoke.invoke_ad_hoc(
                        **{**body, "data": {"i": i}}, idempotency_key=f"k{i}"
                    )

                await pool(COUNT, send)

        return run

    async def sync_client() -> None:
        with CourierClient(api_key=KEY, base_url=url) as client:
            result = client.invoke_many(
                FLOW, contexts(COUNT), concurrency=CONCURRENCY, progress=False
            )
            assert result.succeeded == COUNT

    rows = [
        measure("async invoke_many (fast extra)", ours, COUNT),
        measure("async invoke_many (httpx)", lambda: ours(httpx.AsyncHTTPTransport()), COUNT),
        measure("plain aiohttp.ClientSession", plain_aiohttp, COUNT),
        measure("plain httpx.AsyncClient", plain_httpx, COUNT),
        measure("trycourier AsyncCourier", sdk(None), COUNT),
        measure("trycourier + DefaultAioHttpClient", sdk(courier.DefaultAioHttpClient), COUNT),
    ]
    rows.append(measure("sync invoke_many (fast extra)", sync_client, COUNT))

    async def local_time() -> None:
        async with AsyncCourierClient(api_key=KEY, base_url=url) as client:
            result = await client.invoke_many(
                LOCAL_FLOW, local_contexts(COUNT), concurrency=CONCURRENCY, progress=False
            )
            assert result.succeeded == COUNT

    async def zoned_rows() -> None:  # the same rows (with a profile) and the plain flow
        async with AsyncCourierClient(api_key=KEY, base_url=url) as client:
            result = await client.invoke_many(
                FLOW, local_contexts(COUNT), concurrency=CONCURRENCY, progress=False
            )
            assert result.succeeded == COUNT

    plain_cpu = [measure("", zoned_rows, COUNT)[1] for _ in range(3)]
    local_cpu = [measure("", local_time, COUNT)[1] for _ in range(3)]
    plain_median, local_median = sorted(plain_cpu)[1], sorted(local_cpu)[1]
    floor = rows[2][1]
    ours_cpu = rows[0][1]
    best_sdk = min(rows[4][1], rows[5][1])
    print(
        f"{COUNT} invokes of a 3-step automation, {CONCURRENCY} in flight, trivial loopback "
        "server in another process"
    )
    print(f"{'client':<36} {'CPU/invoke':>11} {'invokes/s':>10} {'vs aiohttp':>11}")
    for name, cpu, rate in rows:
        print(f"{name:<36} {cpu * 1e3:>8.3f} ms {rate:>10,.0f} {cpu / floor:>10.2f}x")
    print(f"invoke_many vs plain aiohttp: {ours_cpu / floor:.2f}x CPU (goal <= 3x)")
    print(f"trycourier's best vs invoke_many: {best_sdk / ours_cpu:.2f}x CPU (goal >= 2x)")
    print(
        f"local-time delay, {len(ZONES)} zones: {local_median * 1e3:.3f} ms CPU/invoke vs "
        f"{plain_median * 1e3:.3f} ms for the same rows without it (median of 3): "
        f"{local_median / plain_median:.2f}x (goal <= 1.5x)"
    )

    async def hundred_thousand() -> None:
        async with AsyncCourierClient(api_key=KEY, base_url=url) as client:
            result = await client.invoke_many(
                FLOW, contexts(100_000), concurrency=CONCURRENCY, progress=False
            )
            assert result.succeeded == 100_000

    tracemalloc.start()
    baseline = tracemalloc.get_traced_memory()[0]
    started = time.perf_counter()
    asyncio.run(hundred_thousand())
    peak = tracemalloc.get_traced_memory()[1] - baseline
    tracemalloc.stop()
    print(
        f"100,000 lazily generated items: peak Python memory growth {peak / 2**20:.1f} MB "
        f"(goal < 50 MB), {time.perf_counter() - started:.1f} s under tracemalloc"
    )
    server.terminate()


if __name__ == "__main__":
    main()
