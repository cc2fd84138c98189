"""What a simulated run leaves behind: events, messages, the timeline, and the clock.

[`Event`][], [`Message`][] and [`Timeline`][] are the records the engine
(`automation_dsl._engine`) writes and the sandbox stores; `VirtualClock` is the clock that
moves only when told; `new_run_id` is the one generator of Courier-shaped ids
(runs and messages), for the engine and the sandbox alike.

Examples:
    >>> from datetime import UTC, datetime
    >>> event = Event(datetime(2024, 1, 1, tzinfo=UTC), "r", 0, "send", "sent")
    >>> Event.from_dict(event.to_dict()) == event
    True
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import attrs

from ._errors import ValidationTypeError
from ._time import to_utc

__all__ = ["Event", "Message", "Timeline"]


def new_run_id(now: datetime) -> str:
    """A run (or message) id shaped like Courier's: ``1-<8 hex seconds>-<24 hex>``.

    Examples:
        >>> new_run_id(datetime(2024, 1, 1, tzinfo=UTC)).startswith("1-65920080-")
        True
    """
    return f"1-{int(now.timestamp()):08x}-{secrets.token_hex(12)}"


class VirtualClock:
    """A clock that moves only when told: runs are simulated instantly and repeatably.

    Examples:
        >>> from datetime import timedelta
        >>> clock = VirtualClock(datetime(2024, 1, 1, tzinfo=UTC))
        >>> clock.set(clock.now() + timedelta(days=1))
        >>> clock.now().day
        2
    """

    def __init__(self, start: datetime | None = None, *, owner: str = "VirtualClock") -> None:
        if start is None:
            start = datetime.now(UTC)
        elif not isinstance(start, datetime):
            raise ValidationTypeError(owner, "start", "an aware datetime or None", start)
        self._now = to_utc(start, owner, "start")

    def now(self) -> datetime:
        """The clock's current time."""
        return self._now

    def set(self, moment: datetime) -> None:
        """Move the clock (never backwards)."""
        self._now = max(self._now, moment)


@attrs.frozen(slots=True)
class Event:
    """One thing that happened in a run.

    Attributes:
        at: when, on the simulator's clock.
        run_id: the run.
        step: the step's index, or ``None`` for the run itself.
        action: the step's action, or ``"run"``.
        outcome: ``started``, ``sent``, ``waiting``, ``resumed``, ``skipped``,
            ``not-evaluated``, ``canceled``, ``invoked``, ``profile-updated``, ``fetched``,
            ``not-simulated``, ``error`` or ``completed``.
        detail: what the outcome concerns (a message id, a reason ...).

    Examples:
        >>> Event(datetime(2024, 1, 1, tzinfo=UTC), "r", 0, "send", "sent").outcome
        'sent'
    """

    at: datetime
    run_id: str
    step: int | None
    action: str
    outcome: str
    detail: Mapping[str, Any] = attrs.field(factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The event as JSON-ready values (the time in ISO 8601)."""
        return {
            "at": self.at.isoformat().replace("+00:00", "Z"),
            "run_id": self.run_id,
            "step": self.step,
            "action": self.action,
            "outcome": self.outcome,
            "detail": dict(self.detail),
        }

    @classmethod
    def from_dict(cls, body: Mapping[str, Any]) -> Event:
        """The event `to_dict` wrote (as the sandbox stores it)."""
        return cls(
            datetime.fromisoformat(body["at"]),
            body["run_id"],
            body["step"],
            body["action"],
            body["outcome"],
            body["detail"],
        )


@attrs.frozen(slots=True)
class Message:
    """A notification the simulator would have sent.

    Examples:
        >>> message = Message("m-1", "r-1", 0, datetime(2024, 1, 1, tzinfo=UTC), "WELCOME", "u1")
        >>> message.status, Message.from_dict(message.to_dict()) == message
        ('SENT', True)
    """

    message_id: str
    run_id: str
    step: int
    at: datetime
    template: str | None
    recipient: str | None
    brand: str | None = None
    list: str | None = None
    data: Mapping[str, Any] = attrs.field(factory=dict)
    profile: Mapping[str, Any] = attrs.field(factory=dict)
    status: str = "SENT"

    def to_dict(self) -> dict[str, Any]:
        """The message as JSON-ready values (the time in ISO 8601, as the sandbox stores it)."""
        return {
            "message_id": self.message_id,
            "run_id": self.run_id,
            "step": self.step,
            "at": self.at.isoformat(),
            "template": self.template,
            "recipient": self.recipient,
            "brand": self.brand,
            "list": self.list,
            "data": dict(self.data),
            "profile": dict(self.profile),
            "status": self.status,
        }

    @classmethod
    def from_dict(cls, body: Mapping[str, Any]) -> Message:
        """The message `to_dict` wrote."""
        return cls(**{**body, "at": datetime.fromisoformat(body["at"])})


class Timeline(tuple[Event, ...]):
    """The events of a simulation, in time order; prints as a table.

    Examples:
        >>> from automation_dsl import Automation
        >>> timeline = Automation().send("A").simulate(
        ...     start=datetime(2024, 1, 1, tzinfo=UTC), recipient="u1")
        >>> print(timeline)  # doctest: +NORMALIZE_WHITESPACE
        time                  run   step  action  outcome    detail
        2024-01-01 00:00:00Z  #1    -     run     started
        2024-01-01 00:00:00Z  #1    0     send    sent       template=A recipient=u1
        2024-01-01 00:00:00Z  #1    -     run     completed
    """

    __slots__ = ()

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per event, for ``pandas.DataFrame(timeline.to_records())``."""
        return [event.to_dict() for event in self]

    def to_svg(self) -> str:
        """Draw the timeline as a self-contained SVG picture (no script, no network).

        One lane per run on a time axis that stays readable from minutes to months (see the
        [pictures guide](../pictures.md)): sends are dots labelled by template, waits are
        bars, cancellations and errors are flagged. More than 30 runs are aggregated into
        sends per template over time.

        Examples:
            >>> from automation_dsl import Automation
            >>> timeline = Automation().send("A").delay(days=3).send("B").simulate(
            ...     start=datetime(2024, 1, 1, tzinfo=UTC), recipient="u1")
            >>> svg = timeline.to_svg()
            >>> svg.startswith("<svg") and "+3 days" in svg
            True
        """
        from ._svg import timeline_svg

        return timeline_svg(self)

    def _repr_html_(self) -> str:
        from ._render import timeline_html

        return timeline_html(self)

    def __str__(self) -> str:
        from ._render import timeline_text

        return timeline_text(self)
