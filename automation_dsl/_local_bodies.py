"""The automation JSON of each row of a batch whose flow waits for local times.

A local-time delay ([`at`][automation_dsl.at]) resolves per recipient, so the body differs
by zone. `LocalBodies` resolves the flow once per distinct set of zones, every row as
invoked when the batch starts, and serves rows in the same zones the same bytes: a batch
of 100,000 recipients in 40 zones resolves 40 times.

Examples:
    >>> from datetime import UTC, datetime
    >>> from automation_dsl import Automation, at
    >>> from automation_dsl.conditions import profile
    >>> flow = Automation().delay(until=at("09:00", tz=profile.timezone))
    >>> bodies = LocalBodies(flow, now=datetime(2026, 7, 1, tzinfo=UTC))
    >>> bodies.body({"profile": {"timezone": "Asia/Tokyo"}})
    b'{"steps":[{"action":"delay","until":"20260701T000000.000"}]}'
    >>> len(bodies.cache)
    1
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ._localtime import LocalTime
from ._steps import Delay
from ._timing import resolve

if TYPE_CHECKING:
    from ._automation import Automation

__all__: list[str] = []


class LocalBodies:
    """Each row's automation JSON, resolved once per distinct tuple of zones."""

    def __init__(self, automation: Automation, now: datetime | None = None) -> None:
        self.automation = automation
        self.now = datetime.now(UTC) if now is None else now
        self.locals = [
            step.until
            for step in automation.steps
            if isinstance(step, Delay) and isinstance(step.until, LocalTime)
        ]
        self.cache: dict[tuple[str, ...], bytes] = {}

    def body(self, context: Mapping[str, Any]) -> bytes:
        """The automation JSON for a row with run context ``context``; a recipient without
        a usable zone (and no fallback) is a `ValidationError` at the zone's path."""
        zones = tuple(local.zone_for(context).key for local in self.locals)
        cached = self.cache.get(zones)
        if cached is None:
            steps = resolve(self.automation.steps, context, self.now)
            resolved = self.automation._with(steps).to_dict()
            cached = json.dumps(resolved, separators=(",", ":"), ensure_ascii=False).encode()
            self.cache[zones] = cached
        return cached
