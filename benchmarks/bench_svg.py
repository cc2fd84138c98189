"""Drawing a timeline: about 1,000 events as SVG, and 10,000 aggregated.

Run: ``.venv/bin/python benchmarks/bench_svg.py``. Two timelines, simulated on the virtual
clock (a welcome, a tip ten minutes later, a nudge a day later, a last call after two
weeks: minutes to weeks on one axis):

* 25 runs of 42 events each (1,050 events, one lane per run, drawn mark by mark);
* 250 runs (10,500 events: more than 30 runs, so aggregated into sends per template).

For each: the median time of 5 renders of ``Timeline.to_svg()`` and the SVG's size in bytes.
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime, timedelta

from automation_dsl import Automation, Timeline

START = datetime(2024, 4, 8, 9, 0, tzinfo=UTC)
FLOW = Automation().send("WELCOME").delay(minutes=10).send("TIPS").delay(days=1)
for week in range(11):
    FLOW = FLOW.send(f"NUDGE_{week % 4}").delay(days=7)
FLOW = FLOW.send("LAST_CALL")


def timeline(runs: int) -> Timeline:
    events = []
    for run in range(runs):
        events += FLOW.simulate(start=START + timedelta(minutes=3 * run), recipient=f"u{run}")
    return Timeline(sorted(events, key=lambda event: event.at))


def measure(events: Timeline) -> tuple[float, int]:
    times = []
    for _ in range(5):
        started = time.perf_counter()
        svg = events.to_svg()
        times.append(time.perf_counter() - started)
    return statistics.median(times), len(svg.encode("utf-8"))


def main() -> None:
    for runs in (25, 250):
        events = timeline(runs)
        median, size = measure(events)
        print(
            f"timeline of {len(events):,} events in {runs} runs: median of 5 renders "
            f"{median * 1000:.1f} ms, SVG {size:,} bytes"
        )


if __name__ == "__main__":
    main()
