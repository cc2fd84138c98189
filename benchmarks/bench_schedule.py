"""The schedule preview: 100,000 recipients across 40 zones, streamed from a generator.

Run: ``.venv/bin/python benchmarks/bench_schedule.py``. The flow waits for 09:00 on a
weekday in each recipient's zone (``profile.timezone``), sends, waits two days and sends a
reminder. One recipient in 1,000 has no zone (the fallback, UTC, applies). Two measures:

* the time to read the whole preview (``Schedule.summary``: every row scheduled and
  counted, the first 20 kept), median of 3 runs, and per recipient;
* the peak memory of one such pass, traced by ``tracemalloc``, which does not grow with the
  number of recipients (the rows are read from a generator and not kept).
"""

from __future__ import annotations

import statistics
import time
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from automation_dsl import Automation, at
from automation_dsl.conditions import profile

RECIPIENTS = 100_000
RUNS = 3
ZONES = (
    "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles",
    "America/Anchorage", "Pacific/Honolulu", "America/Sao_Paulo", "America/Mexico_City",
    "America/Toronto", "America/Bogota", "America/Santiago", "America/Halifax",
    "America/St_Johns", "Atlantic/Azores", "Europe/London", "Europe/Dublin", "Europe/Lisbon",
    "Europe/Paris", "Europe/Berlin", "Europe/Oslo", "Europe/Athens", "Europe/Istanbul",
    "Europe/Moscow", "Africa/Cairo", "Africa/Lagos", "Africa/Johannesburg", "Asia/Dubai",
    "Asia/Tehran", "Asia/Kolkata", "Asia/Kathmandu", "Asia/Dhaka", "Asia/Bangkok",
    "Asia/Shanghai", "Asia/Tokyo", "Australia/Adelaide", "Australia/Sydney",
    "Australia/Lord_Howe", "Pacific/Auckland", "Pacific/Chatham", "Pacific/Kiritimati",
)  # fmt: skip
FLOW = (
    Automation()
    .delay(until=at("09:00", tz=profile.timezone, days="Mo-Fr", fallback="UTC"))
    .send("CAMPAIGN")
    .delay(days=2)
    .send("REMINDER")
)
START = datetime(2026, 3, 27, 18, tzinfo=UTC)  # a Friday before Europe's spring forward


def contexts(count: int) -> Iterator[dict[str, Any]]:
    for number in range(count):
        zone = {} if number % 1000 == 999 else {"timezone": ZONES[number % len(ZONES)]}
        yield {"recipient": f"user-{number}", "profile": zone}


def one_pass(count: int) -> tuple[int, dict[str, int]]:
    _, total, counts = FLOW.schedule(contexts(count), start=START).summary()
    return total, counts


def main() -> None:
    assert len(ZONES) == 40
    times = []
    for _ in range(RUNS):
        began = time.perf_counter()
        total, counts = one_pass(RECIPIENTS)
        times.append(time.perf_counter() - began)
    median = statistics.median(times)
    print(f"schedule preview: {total:,} recipients, {len(ZONES)} zones, flags {counts}")
    print(
        f"  time (median of {RUNS}): {median:.2f} s, "
        f"{median / RECIPIENTS * 1e6:.1f} us per recipient"
    )
    for count in (RECIPIENTS // 10, RECIPIENTS):
        tracemalloc.start()
        one_pass(count)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"  peak memory (tracemalloc), {count:,} recipients: {peak / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
