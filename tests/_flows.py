"""Automations and run data that several test modules share.

Import from here instead of redefining them (``from tests._flows import FLOW``):

* ``FLOW``: the three-step welcome flow (send, wait a day, send) most client, bulk and sandbox
  tests invoke. ``delay(days=1)`` and ``delay(duration="1 day")`` build the same step.
* ``WELCOME``: the one-step flow for tests that only need *an* automation to send.
* ``START``: the virtual clock's start most sandbox and simulator tests use.
* ``SEED_DATA``, ``SEED_PROFILE``, ``seed_flow()``: the example of Courier's API page, whose exact
  payload is ``tests/fixtures/seed-example.json``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from automation_dsl import Automation

START = datetime(2024, 4, 8, 9, 0, tzinfo=UTC)

FLOW = Automation().send("WELCOME").delay(days=1).send("NUDGE")

WELCOME = Automation().send("WELCOME")

SEED_DATA = {"name": "Jane Doe", "age": 27}
SEED_PROFILE = {"user_id": "fubar", "email": "hello@example.com"}


def seed_flow() -> Automation:
    """Courier's seed example: send a template, then wait until a fixed instant."""
    return (
        Automation()
        .send("SAMPLE_TEMPLATE")
        .delay(until=datetime(2024, 4, 8, 8, 9, 10, 123000, tzinfo=UTC))
    )
