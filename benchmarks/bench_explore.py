"""The path explorer: a 20-step flow with 6 independent data conditions and 3 ref-status
reads (before pruning, 64 x 5^3 combinations of outcomes and status values).

Run: ``.venv/bin/python benchmarks/bench_explore.py``. The flow sends three messages with
refs, six messages gated by independent ``data`` conditions, waits, and sends three
reminders gated by ``refs.x.status < MessageStatus.OPENED``. The explorer branches only on
the atoms each step reads (64 x 2^3 = 512 paths), and simulates every path with its
witness. Two measures: the time of ``flow.explore`` plus ``check`` of two rules (median of
3 runs; the budget is 1 s) and the peak memory of one pass (``tracemalloc``).
"""

from __future__ import annotations

import statistics
import time
import tracemalloc
from datetime import UTC, datetime, timedelta

from automation_dsl import Automation, max_sends, quiet_hours
from automation_dsl.conditions import MessageStatus, data, refs

RUNS = 3
BUDGET = 1.0
START = datetime(2024, 1, 1, 9, tzinfo=UTC)


def build() -> Automation:
    """The 20-step flow."""
    flow = Automation(cancelation_token="bench")
    for name in ("a", "b", "c"):
        flow = flow.send(f"INTRO_{name.upper()}", ref=name)
    flow = flow.send("PRO", if_=data.plan == "pro").send("VIP", if_=data.vip)
    flow = flow.send("ADULT", if_=data.age >= 18).send("BIG", if_=data.total > 100)
    flow = flow.send("FR", if_=data.country == "FR").send("BETA", if_=~data.beta)
    flow = flow.delay(days=1).delay(hours=2)
    for name in ("a", "b", "c"):
        flow = flow.send(f"REMIND_{name.upper()}", if_=refs[name].status < MessageStatus.OPENED)
    flow = flow.delay(days=2).send("DIGEST").delay(hours=1).send("BYE")
    flow = flow.delay(days=7).send("FOLLOW_UP")
    assert len(flow) == 20, len(flow)
    return flow


def once(flow: Automation) -> tuple[int, int]:
    exploration = flow.explore(start=START, recipient="user-1")
    violations = exploration.check(
        max_sends(8, per=timedelta(hours=24)), quiet_hours("22:00", "07:00", tz="UTC")
    )
    return len(exploration), len(violations)


def main() -> None:
    flow = build()
    times = []
    for _ in range(RUNS):
        began = time.perf_counter()
        paths, violations = once(flow)
        times.append(time.perf_counter() - began)
    tracemalloc.start()
    once(flow)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    median = statistics.median(times)
    print(f"steps: {len(flow)}; paths found: {paths}; violations: {violations}")
    print(f"explore + check, median of {RUNS}: {median * 1000:.0f} ms (budget {BUDGET:.0f} s)")
    print(f"peak memory (tracemalloc): {peak / 1e6:.1f} MB")
    if median > BUDGET:
        raise SystemExit(f"over budget: {median:.2f} s")


if __name__ == "__main__":
    main()
