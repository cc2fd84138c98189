"""The sandbox honours Courier's delivery windows per recipient (``message.delay``)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from automation_dsl import Automation, MessageDelay
from automation_dsl.sandbox import Sandbox

FRIDAY_20_NEW_YORK = datetime(2026, 3, 6, 20, 0, tzinfo=ZoneInfo("America/New_York"))


def test_each_run_is_delivered_at_its_recipients_next_business_morning() -> None:
    """One flow invoked for four people: each run's profile zone places the window."""
    flow = Automation().send_message(
        {
            "to": {"user_id": "subscriber"},
            "template": "DIGEST",
            "delay": MessageDelay(until="Mo-Fr 09:00-17:00"),
        }
    )
    zones = {
        "ny": "America/New_York",  # Friday 20:00: Monday 09:00 EDT (DST began Sunday)
        "la": "America/Los_Angeles",  # Friday 17:00, the end, excluded: Monday 09:00 PDT
        "tokyo": "Asia/Tokyo",  # Saturday 10:00: Monday 09:00 JST
        "kolkata": "Asia/Kolkata",  # Saturday 06:30: Monday 09:00 IST
        "nowhere": None,  # no zone, so UTC: Saturday 01:00: Monday 09:00 UTC
    }
    with Sandbox(start=FRIDAY_20_NEW_YORK) as sandbox, sandbox.client() as client:
        for user, zone in zones.items():
            client.invoke(flow, recipient=user, profile={"timezone": zone} if zone else {})
        sandbox.advance()
        delivered = [message.at for message in sandbox.messages()]
    assert delivered == [
        datetime(2026, 3, 9, 13, 0, tzinfo=UTC),
        datetime(2026, 3, 9, 16, 0, tzinfo=UTC),
        datetime(2026, 3, 9, 0, 0, tzinfo=UTC),
        datetime(2026, 3, 9, 3, 30, tzinfo=UTC),
        datetime(2026, 3, 9, 9, 0, tzinfo=UTC),
    ]
