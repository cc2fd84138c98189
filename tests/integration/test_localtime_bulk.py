"""Local-time flows in bulk, through the sandbox: per-recipient instants, and a resume a day
later that resends the exact bodies first sent (so Courier replays, never refuses the key)."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from automation_dsl import Automation, RetryPolicy, at
from automation_dsl.conditions import profile
from automation_dsl.sandbox import Sandbox
from tests.integration.conftest import journaled

START = datetime(2026, 3, 7, 12, tzinfo=UTC)  # Saturday, the day before New York springs forward
FLOW = (
    Automation()
    .send("HELLO")
    .delay(until=at("09:00", tz=profile.timezone, days="Mo-Fr", fallback="UTC"))
    .send("NINE")
)
ZONES = [
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "America/Sao_Paulo",
    None,  # no zone: the fallback
]
ROWS = [
    {"recipient": f"user-{i}", "profile": {"timezone": zone} if zone else {}}
    for i, zone in enumerate(ZONES)
]


def test_mixed_zones_run_at_nine_local_on_the_next_weekday() -> None:
    with Sandbox(start=START) as sandbox, sandbox.client() as client:
        result = client.invoke_many(FLOW, ROWS, now=START, progress=False)
        assert result.ok
        sandbox.advance(timedelta(days=3))
        for row, run_id in zip(ROWS, result.run_ids, strict=True):
            assert run_id is not None
            nine = [e for e in sandbox.timeline(run_id) if e.step == 2 and e.outcome == "sent"]
            assert len(nine) == 1
            zone = ZoneInfo(row["profile"].get("timezone", "UTC"))  # type: ignore[attr-defined]
            local = nine[0].at.astimezone(zone)
            assert (local.hour, local.minute, local.weekday()) == (9, 0, 0), row


def test_rows_without_a_usable_zone_fail_alone_at_their_path() -> None:
    strict = Automation().delay(until=at("09:00", tz=profile.timezone)).send("NINE")
    rows = [{"recipient": "a", "profile": {"timezone": "Europe/Paris"}}, {"recipient": "b"}]
    with Sandbox(start=START) as sandbox, sandbox.client() as client:
        result = client.invoke_many(strict, rows, now=START, progress=False)
    assert result.succeeded == 1
    (failure,) = result.failures
    assert failure.path == "contexts[1].profile.timezone"


def test_a_resume_a_day_later_resends_the_first_bodies(tmp_path: Path) -> None:
    journal = tmp_path / "batch.db"
    with Sandbox(start=START) as sandbox:
        # the run is stored, then the connection dies: the client cannot know it started
        sandbox.faults.script.extend(["ok", "drop-after", "ok", "drop-after"])
        with sandbox.client(retry=RetryPolicy(max_retries=0)) as client:
            first = client.invoke_many(
                FLOW, ROWS, journal=journal, now=START, concurrency=1, progress=False
            )
            assert (first.succeeded, first.failed) == (4, 2)
            later = client.invoke_many(
                FLOW,
                ROWS,
                journal=journal,
                resume=True,
                now=START + timedelta(days=1),
                concurrency=1,
                progress=False,
            )
        assert later.ok
        assert later.resumed == 4
        outcomes = [request.outcome for request in sandbox.requests()]
        assert outcomes.count("replayed") == 2  # the same key and body: Courier's stored run
        assert "invalid" not in outcomes
        assert len(sandbox.runs()) == len(ROWS)  # exactly once


def test_without_local_times_nothing_is_kept_and_bodies_are_shared(tmp_path: Path) -> None:
    journal = tmp_path / "plain.db"
    with Sandbox(start=START) as sandbox, sandbox.client() as client:
        client.invoke_many(Automation().send("A"), ROWS, journal=journal, progress=False)
    with sqlite3.connect(journal) as db:
        columns = {row[1] for row in db.execute("PRAGMA table_info(items)")}
        recorded = db.execute("SELECT count(*) FROM items").fetchone()[0]
    assert "body" not in columns  # nothing kept: the older layout, resumable by older releases
    assert recorded == len(ROWS)
    local = tmp_path / "local.db"
    with Sandbox(start=START) as sandbox, sandbox.client() as client:
        client.invoke_many(FLOW, ROWS, journal=local, now=START, progress=False)
    with sqlite3.connect(local) as db:
        kept = [json.loads(row[0]) for row in db.execute("SELECT body FROM items ORDER BY item")]
    assert [body["recipient"] for body in kept] == [row["recipient"] for row in ROWS]
    assert all("$local" not in json.dumps(body) for body in kept)


KILLED_SCRIPT = textwrap.dedent(
    """
    import sys
    from datetime import datetime
    from automation_dsl import Automation, CourierClient, at
    from automation_dsl.conditions import profile
    url, key, journal, now = sys.argv[1:]
    flow = Automation().send("HELLO").delay(until=at("09:00", tz=profile.timezone)).send("NINE")
    zones = ["America/New_York", "Europe/London", "Australia/Lord_Howe", "Asia/Kolkata"]
    rows = ({"recipient": f"user-{i}", "profile": {"timezone": zones[i % 4]}} for i in range(3000))
    with CourierClient(api_key=key, base_url=url) as client:
        client.invoke_many(flow, rows, concurrency=8, journal=journal, progress=False,
                           now=datetime.fromisoformat(now))
    """
)


def test_killed_then_resumed_a_day_later_sends_identical_bodies(tmp_path: Path) -> None:
    """A real SIGKILL mid-batch; the resume, a simulated day later, resends the first body of
    every row sent (or about to be) before the kill: those runs wait for the instant resolved
    on the first day; rows first sent by the resume are resolved on the day they are sent."""
    journal, script = tmp_path / "batch.db", tmp_path / "batch.py"
    script.write_text(KILLED_SCRIPT)
    zones = ["America/New_York", "Europe/London", "Australia/Lord_Howe", "Asia/Kolkata"]
    rows = [{"recipient": f"user-{i}", "profile": {"timezone": zones[i % 4]}} for i in range(3000)]
    nine = at("09:00", tz=profile.timezone)
    with Sandbox(start=START) as sandbox:
        sandbox.faults.latency = 0.002
        process = subprocess.Popen(
            [
                sys.executable,
                str(script),
                sandbox.url,
                sandbox.api_key,
                str(journal),
                START.isoformat(),
            ]
        )
        deadline = time.monotonic() + 120
        while journaled(journal) < 600:
            assert process.poll() is None, "the batch ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        assert len(sandbox.runs()) < 3000
        with sqlite3.connect(journal) as db:  # the rows sent (or about to be) before the kill
            first = {
                json.loads(body)["recipient"] for (body,) in db.execute("SELECT body FROM items")
            }
        sandbox.faults.latency = 0.0
        flow = Automation().send("HELLO").delay(until=nine).send("NINE")
        with sandbox.client() as client:
            later = client.invoke_many(
                flow,
                rows,
                journal=journal,
                resume=True,
                now=START + timedelta(days=1),
                progress=False,
            )
        assert later.ok, later.failures[:3]
        outcomes = {request.outcome for request in sandbox.requests()}
        assert outcomes <= {"accepted", "replayed"}
        runs = sandbox.runs()
        assert len(runs) == 3000  # exactly once
        for run in runs:
            context = {"profile": {"timezone": run.context["profile"]["timezone"]}}
            sent_first = run.context["recipient"] in first
            invoked = START if sent_first else START + timedelta(days=1)
            expected = nine.resolve(invoked, context).utc
            assert run.automation.steps[1].until == expected, run.context["recipient"]
        assert 600 <= len(first) < 3000


def test_sandbox_clients_resolve_on_the_sandbox_clock() -> None:
    """A demo on the virtual clock: 09:00 after the sandbox's start, not after today."""
    nine = Automation().delay(until=at("09:00", tz="Europe/London")).send("NINE")
    with Sandbox(start=START) as sandbox, sandbox.client() as client:
        run_id = client.invoke(nine)
        (bulk,) = client.invoke_many(nine, [{"recipient": "a"}], progress=False).run_ids
        for run in (run_id, bulk):
            waiting = next(e for e in sandbox.timeline(run) if e.outcome == "waiting")
            assert waiting.detail["until"] == "2026-03-08T09:00:00.000Z"
