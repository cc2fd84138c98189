"""Accepted invokes per second on the sandbox, over loopback, with durable storage.

Run: ``.venv/bin/python benchmarks/bench_sandbox.py``. A sandbox with a SQLite file (WAL)
serves ``POST /automations/invoke``; a load generator in a separate process sends
3,000 invokes of a 3-step automation over 16 kept-alive connections (16 in flight), each
with its own Idempotency-Key, and checks every answer is a 200 with a runId. Server and
load generator share the machine's 2 cores.

The load generator writes prebuilt HTTP/1.1 requests on raw asyncio streams: an httpx
client spends about 1.5 ms of CPU per request, more than the server, and would measure
itself instead.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import statistics
import tempfile
import time
from pathlib import Path

from automation_dsl import Automation
from automation_dsl.sandbox import Sandbox

TOTAL = 3000
CONCURRENCY = 16
FLOW = Automation().send("WELCOME").delay(days=1).send("NUDGE")


async def drive(url: str, api_key: str, total: int) -> float:
    host, port = url.removeprefix("http://").split(":")
    body = json.dumps(FLOW.to_payload(recipient="user-1")).encode()
    counter = iter(range(total))

    def request(i: int) -> bytes:
        head = (
            f"POST /automations/invoke HTTP/1.1\r\nHost: {host}\r\n"
            f"Authorization: Bearer {api_key}\r\nContent-Type: application/json\r\n"
            f"Idempotency-Key: bench-{i}\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        return head.encode() + body

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        for i in counter:
            writer.write(request(i))
            head = await reader.readuntil(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 200"), head
            length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
            assert b"runId" in await reader.readexactly(length)
        writer.close()
        await writer.wait_closed()

    start = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(CONCURRENCY)))
    return time.perf_counter() - start


def run_client(url: str, api_key: str, total: int) -> float:
    return asyncio.run(drive(url, api_key, total))


def main() -> None:
    rates = []
    with tempfile.TemporaryDirectory() as folder:
        for round_ in range(3):
            db = Path(folder) / f"bench-{round_}.db"
            with Sandbox(db=db) as sandbox, multiprocessing.Pool(1) as pool:
                elapsed = pool.apply(run_client, (sandbox.url, sandbox.api_key, TOTAL))
                stored = len(sandbox.runs())
            assert stored == TOTAL, f"{stored} runs stored, expected {TOTAL}"
            rates.append(TOTAL / elapsed)
            print(
                f"round {round_ + 1}: {TOTAL} invokes in {elapsed:.2f} s = "
                f"{TOTAL / elapsed:,.0f} accepted invokes/s"
            )
    print(
        f"median: {statistics.median(rates):,.0f} accepted invokes/s "
        f"(SQLite WAL file, {CONCURRENCY} in flight, loopback, load in another process)"
    )


if __name__ == "__main__":
    main()
