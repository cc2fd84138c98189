"""Payload schemas: the cost of checking bulk rows against a 10-field schema.

Run: ``.venv/bin/python benchmarks/bench_schema.py``. Two measures, medians of 5 runs:

* checking 100,000 rows' ``data`` against a 10-field ``TypedDict`` schema
  (``PayloadSchema.check``, what ``invoke_many`` does per row), in microseconds per row;
* the client CPU per invoke of ``AsyncCourierClient.invoke_many`` against a trivial loopback
  server (in its own process), without a schema and with it, 20,000 rows each.

The ratio is the check's cost per row over the bulk send's CPU per invoke without a schema
(goal: at most 20%); the end-to-end line says what the schema adds to invoke_many itself.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any, Literal, NotRequired, TypedDict

from _trivial_server import start

from automation_dsl import AsyncCourierClient, Automation, PayloadSchema

ROWS = 100_000
SENDS = 20_000
RUNS = 5
CONCURRENCY = 32
KEY = "pk_bench"


class Line(TypedDict):
    sku: str
    qty: int


class Order(TypedDict):
    id: str
    total: float
    currency: Literal["EUR", "USD", "GBP"]
    paid: bool
    items: list[Line]
    email: str
    country: str
    coupon: str | None
    points: int
    note: NotRequired[str]


def row(i: int) -> dict[str, Any]:
    return {
        "id": f"o-{i}",
        "total": 10.5 + i,
        "currency": "EUR",
        "paid": True,
        "items": [{"sku": "A-1", "qty": 2}],
        "email": f"user{i}@example.com",
        "country": "NO",
        "coupon": None,
        "points": i,
        "note": "gift",
    }


def check_cost() -> float:
    """Microseconds per row of checking ``data`` against the schema (median of RUNS)."""
    schema = PayloadSchema(Order)
    rows = [row(i) for i in range(ROWS)]
    times = []
    for _ in range(RUNS):
        started = time.process_time()
        for data in rows:
            schema.check(data, owner="invoke_many")
        times.append((time.process_time() - started) / ROWS * 1e6)
    return statistics.median(times)


def send_cost(url: str, flow: Automation) -> float:
    """Client CPU microseconds per invoke of invoke_many (median of RUNS)."""

    async def send() -> None:
        async with AsyncCourierClient(api_key=KEY, base_url=url) as client:
            contexts = ({"recipient": f"user-{i}", "data": row(i)} for i in range(SENDS))
            result = await client.invoke_many(
                flow, contexts, concurrency=CONCURRENCY, progress=False
            )
            assert result.succeeded == SENDS, result

    asyncio.run(send())  # warm up
    times = []
    for _ in range(RUNS):
        started = time.process_time()
        asyncio.run(send())
        times.append((time.process_time() - started) / SENDS * 1e6)
    return statistics.median(times)


def main() -> None:
    url, server = start()
    time.sleep(0.3)
    try:
        plain = Automation().send("RECEIPT").delay(days=1).send("NUDGE")
        typed = Automation(data_schema=Order).send("RECEIPT").delay(days=1).send("NUDGE")
        checked = check_cost()
        without = send_cost(url, plain)
        with_schema = send_cost(url, typed)
    finally:
        server.terminate()
    print(f"check 100,000 rows, 10-field schema: {checked:.2f} us per row (median of {RUNS})")
    print(f"invoke_many without a schema: {without:.1f} us CPU per invoke")
    print(f"invoke_many with the schema:  {with_schema:.1f} us CPU per invoke")
    print(f"check / send: {checked / without:.1%} (goal <= 20%)")
    print(f"end to end, invoke_many with / without: {with_schema / without - 1:+.1%}")


if __name__ == "__main__":
    main()
