"""Client-side cost of one invoke, through ``httpx.MockTransport`` (no network).

Run: ``.venv/bin/python benchmarks/bench_client.py``. For automations of 2, 20 and 200
steps it measures, in this one process, the median time per invoke of:

* automation-dsl: build the automation with the builder, serialize it, and POST it with
  ``CourierClient.invoke`` (idempotency key, retry loop and all);
* plain httpx: ``httpx.Client.post`` of the same payload, prebuilt as a dict;
* trycourier: the official SDK's ``invoke_ad_hoc`` with the same steps.

Goals: automation-dsl at most 1.3x plain httpx, and at least 10x cheaper than
trycourier at 20 steps.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import httpx

from automation_dsl import Automation, CourierClient

RUN = httpx.Response(200, json={"runId": "1-65f240a0-47a6a120c8374de9bcf9f22c"})


def answer(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=RUN.content, headers={"content-type": "application/json"})


def build(steps: int) -> Automation:
    flow = Automation("bench-token")
    for i in range(steps // 2):
        flow = flow.send(f"TEMPLATE_{i}", data={"i": i, "plan": "pro"}).delay(duration="1 hour")
    return flow


def median_per_call(fn: Callable[[], Any], calls: int, rounds: int = 9) -> float:
    fn()
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        samples.append((time.perf_counter() - start) / calls)
    return statistics.median(samples)


def main() -> None:
    import courier  # trycourier, a test-only dependency

    transport = httpx.MockTransport(answer)
    ours = CourierClient(api_key="pk_bench", transport=transport)
    plain = httpx.Client(
        transport=transport,
        base_url="https://api.courier.com",
        headers={"Authorization": "Bearer pk_bench"},
    )
    sdk = courier.Courier(
        api_key="pk_bench", http_client=httpx.Client(transport=transport), max_retries=0
    )
    context = {"recipient": "user-1", "data": {"name": "Jane"}}

    print("client-side cost per invoke through httpx.MockTransport (median of 9 rounds)")
    print(
        f"{'steps':>5} {'automation-dsl':>15} {'plain httpx':>12} {'trycourier':>11} "
        f"{'vs httpx':>9} {'trycourier/ours':>16}"
    )
    for steps in (2, 20, 200):
        payload = build(steps).to_payload(**context)
        calls = 2000 if steps < 200 else 300

        def with_dsl(steps: int = steps) -> None:
            ours.invoke(build(steps), **context)

        def with_httpx(payload: dict[str, Any] = payload) -> None:
            plain.post("/automations/invoke", json=payload).json()

        def with_sdk(payload: dict[str, Any] = payload) -> None:
            sdk.automations.invoke.invoke_ad_hoc(**payload)

        dsl = median_per_call(with_dsl, calls)
        raw = median_per_call(with_httpx, calls)
        official = median_per_call(with_sdk, max(calls // 4, 50))
        print(
            f"{steps:>5} {dsl * 1e6:>12.0f} us {raw * 1e6:>9.0f} us {official * 1e6:>8.0f} us "
            f"{dsl / raw:>8.2f}x {official / dsl:>15.1f}x"
        )
    ours.close()
    plain.close()
    sdk.close()


if __name__ == "__main__":
    main()
