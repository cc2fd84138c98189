"""Build-and-serialize cost of a 20-step automation, and the import cost of the package.

Run: ``.venv/bin/python benchmarks/bench_build.py``. Everything is measured in this one
process (import times in fresh subprocesses), as medians of repeated runs, and reported
as ratios against a baseline measured the same way:

* building a 20-step automation with the builder and ``to_json()``, against building the
  same payload as a dict literal and ``json.dumps`` (goal: at most 3x);
* ``import automation_dsl`` against ``import httpx`` (goal: below httpx's own time, since
  building never imports httpx).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import timeit
from datetime import UTC, datetime

from automation_dsl import Automation

MOMENT = datetime(2024, 4, 8, 8, 9, 10, 123000, tzinfo=UTC)


def build_with_dsl() -> str:
    flow = Automation("onboarding-user-123")
    for i in range(4):
        flow = (
            flow.send(f"WELCOME_{i}", data={"step": i, "plan": "pro"}, ref=f"s{i}")
            .delay(duration="1 day")
            .send(f"NUDGE_{i}", if_=f"refs.s{i}.status < MessageStatus.Opened")
            .update_profile({"stage": i}, merge="soft-merge")
            .delay(until=MOMENT)
        )
    return flow.to_json(recipient="user-123", data={"name": "Jane"})


def build_literally() -> str:
    steps = []
    for i in range(4):
        steps += [
            {
                "action": "send",
                "template": f"WELCOME_{i}",
                "data": {"step": i, "plan": "pro"},
                "ref": f"s{i}",
            },
            {"action": "delay", "duration": "1 day"},
            {
                "action": "send",
                "template": f"NUDGE_{i}",
                "if": f"refs.s{i}.status < MessageStatus.Opened",
            },
            {"action": "update-profile", "profile": {"stage": i}, "merge": "soft-merge"},
            {"action": "delay", "until": "20240408T080910.123"},
        ]
    payload = {
        "automation": {"cancelation_token": "onboarding-user-123", "steps": steps},
        "data": {"name": "Jane"},
        "recipient": "user-123",
    }
    return json.dumps(payload)


def median_seconds(fn: object, number: int, repeat: int = 15) -> float:
    times = timeit.repeat(fn, number=number, repeat=repeat)  # type: ignore[arg-type]
    return statistics.median(times) / number


def import_seconds(module: str, repeat: int = 15) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    samples = [
        float(
            subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(repeat)
    ]
    return statistics.median(samples)


def main() -> None:
    assert json.loads(build_with_dsl()) == json.loads(build_literally()), "payloads differ"
    dsl = median_seconds(build_with_dsl, 2000)
    literal = median_seconds(build_literally, 2000)
    imp_dsl = import_seconds("automation_dsl")
    imp_httpx = import_seconds("httpx")
    print("build + serialize a 20-step automation (median of 15 x 2000 runs)")
    print(f"  dict literal + json.dumps : {literal * 1e6:8.1f} us")
    print(
        f"  automation_dsl builder    : {dsl * 1e6:8.1f} us   ratio {dsl / literal:.2f}x "
        "(goal <= 3x)"
    )
    print("import time (median of 15 fresh interpreters)")
    print(f"  import httpx              : {imp_httpx * 1e3:8.1f} ms")
    print(
        f"  import automation_dsl     : {imp_dsl * 1e3:8.1f} ms   ratio "
        f"{imp_dsl / imp_httpx:.2f}x (goal < 1x)"
    )


if __name__ == "__main__":
    main()
