"""Waiting for a run: the checked arguments and the polling schedule of ``wait_for``.

[`CourierClient.wait_for`][] and its async twin share this plan: which statuses end the
wait, the deadline, and the interval before each poll (``poll`` seconds at first, then
half as long again each time, capped at `MAX_POLL` or ``poll`` if larger, and never past
the deadline).

Examples:
    >>> plan = WaitPlan.check("1-abc", None, 60, 1.0)
    >>> plan.until[:2], [round(plan.next_interval(), 2) for _ in range(3)]
    (('PROCESSED', 'CANCELED'), [1.0, 1.5, 2.25])
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable

import attrs

from ._errors import ValidationError, ValidationTypeError, WaitTimeoutError
from ._status import RunStatus

__all__: list[str] = []  # private: the clients use it

MAX_WAIT = 30 * 24 * 3600.0
"""The longest ``timeout`` accepted, in seconds (30 days: Courier delays can be long)."""
MAX_POLL = 30.0
"""The longest interval between two polls that backoff reaches (a larger ``poll`` stays)."""
_GROWTH = 1.5
_KNOWN = {status.value: status.value for status in RunStatus}
"""Courier's own spelling of each status a caller may write otherwise (``"processed"``,
``"not_processed"``): a wait for it must match what Courier sends."""
_MAX_STATUSES = 100


def _seconds(owner: str, field: str, value: object, limit: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationTypeError(owner, field, "a number of seconds", value)
    if not (math.isfinite(value) and 0 < value <= limit):
        raise ValidationError(owner, field, f"a number of seconds > 0 and <= {limit:g}", value)
    return float(value)


def _statuses(owner: str, until: object) -> tuple[RunStatus, ...]:
    if until is None:
        return tuple(RunStatus(status) for status in RunStatus.TERMINAL)
    expected = "a run status, or a non-empty list of up to 100 of them"
    items = [until] if isinstance(until, str) else until
    if not isinstance(items, Iterable) or isinstance(items, bytes | dict):
        raise ValidationTypeError(owner, "until", expected, until)
    statuses: list[RunStatus] = []
    for item in items:
        if not isinstance(item, str):
            raise ValidationTypeError(owner, "until", expected, until)
        if not item.strip() or len(item) > 100 or not item.isprintable():
            raise ValidationError(owner, "until", "a run status name (printable text)", item)
        statuses.append(RunStatus(_KNOWN.get(item.strip().upper().replace("_", " "), item)))
        if len(statuses) > _MAX_STATUSES:
            raise ValidationError(owner, "until", expected, until)
    if not statuses:
        raise ValidationError(owner, "until", expected, until)
    return tuple(dict.fromkeys(statuses))


@attrs.define(slots=True)
class WaitPlan:
    """One wait: the run, the statuses that end it, the deadline and the next interval."""

    run_id: str
    until: tuple[RunStatus, ...]
    timeout: float
    poll: float
    started: float = attrs.field(factory=time.monotonic)
    last_status: RunStatus | None = None
    _interval: float = 0.0

    @classmethod
    def check(
        cls, run_id: str, until: object, timeout: object, poll: object, owner: str = "wait_for"
    ) -> WaitPlan:
        """The plan for these arguments, or the ``ValidationError`` naming the bad one."""
        timeout = _seconds(owner, "timeout", timeout, MAX_WAIT)
        poll = _seconds(owner, "poll", poll, MAX_WAIT)
        return cls(run_id, _statuses(owner, until), timeout, poll)

    def done(self, status: RunStatus | None) -> bool:
        """Note the status seen; whether it ends the wait."""
        if status is not None:
            self.last_status = status
        return status is not None and status in self.until

    def next_interval(self) -> float:
        """The seconds to sleep before the next poll (0 would be never: see ``expired``)."""
        self._interval = (
            self.poll
            if not self._interval
            else min(self._interval * _GROWTH, max(MAX_POLL, self.poll))
        )
        return min(self._interval, max(self.remaining(), 0.0))

    def slow_down(self) -> None:
        """Courier asked to slow down (429): double the interval (up to the cap)."""
        self._interval = min(max(self._interval, self.poll) * 2, max(MAX_POLL, self.poll))

    def remaining(self) -> float:
        return self.timeout - (time.monotonic() - self.started)

    def expired(self) -> WaitTimeoutError | None:
        """The timeout error once the deadline has passed, else ``None``."""
        if self.remaining() > 0:
            return None
        waited = time.monotonic() - self.started
        return WaitTimeoutError(self.run_id, self.last_status, waited, self.until)
