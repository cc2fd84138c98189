"""The status vocabularies: message statuses, run statuses and simulator event outcomes.

* [`MessageStatus`][]: Courier's message statuses as conditions read them
  (``MessageStatus.Opened``), ordered by delivery progress.
* `RunStatus`: the statuses of an automation run, as Courier names them.
* `Outcome`: what a simulator [`Event`][] records.

Run statuses are an open ``str`` enum (Courier adds values; an unknown one is kept, not
refused); outcomes are plain ``str`` constants. Both are written to JSON and shown in
reprs and tables exactly as the strings they are.

Examples:
    >>> from automation_dsl._status import MessageStatus, Outcome, RunStatus
    >>> MessageStatus.SENT < MessageStatus.OPENED, RunStatus.WAITING, Outcome.SENT
    (True, 'WAITING', 'sent')
"""

from __future__ import annotations

from enum import Enum, StrEnum, nonmember
from typing import Final

from ._errors import NotEvaluated, ValidationTypeError

__all__ = ["MessageStatus", "RunStatus"]  # Outcome is private to the package


class MessageStatus(Enum):
    """Courier's message statuses, as conditions read them (``MessageStatus.Opened``).

    Statuses compare by their progress, ``ENQUEUED < SENT < DELIVERED < OPENED <
    CLICKED``; Courier does not document the enum's order, so this is the sandbox's
    reading, and a ``<`` between a status off that line (``UNDELIVERABLE`` ...) and
    another raises [`NotEvaluated`][].

    Examples:
        >>> MessageStatus.SENT < MessageStatus.OPENED
        True
    """

    ENQUEUED = "ENQUEUED"
    SENT = "SENT"
    DELIVERED = "DELIVERED"
    OPENED = "OPENED"
    CLICKED = "CLICKED"
    FILTERED = "FILTERED"
    SIMULATED = "SIMULATED"
    UNDELIVERABLE = "UNDELIVERABLE"
    UNMAPPED = "UNMAPPED"
    UNROUTABLE = "UNROUTABLE"

    @property
    def rank(self) -> int | None:
        """Where the status stands on the delivery line, or ``None`` if it is off it."""
        return _RANKS.get(self)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, MessageStatus):
            return NotImplemented
        if self.rank is None or other.rank is None:
            raise NotEvaluated(f"{self.value} and {other.value} have no documented order")
        return self.rank < other.rank


_RANKS = {
    status: rank
    for rank, status in enumerate(
        [
            MessageStatus.ENQUEUED,
            MessageStatus.SENT,
            MessageStatus.DELIVERED,
            MessageStatus.OPENED,
            MessageStatus.CLICKED,
        ]
    )
}


class RunStatus(StrEnum):
    """The status of an automation run, as Courier names it: an open enum.

    Courier documents the statuses as "not an enum: new values have been added before",
    so a value this library does not know yet is still a ``RunStatus`` (made on the fly,
    ``RunStatus("PAUSED")``), never an error. Members are strings: they compare equal
    to, and serialize as, the text Courier sends; their repr is that text too.

    Examples:
        >>> RunStatus("WAITING") is RunStatus.WAITING, RunStatus.WAITING == "WAITING"
        (True, True)
        >>> new = RunStatus("PAUSED")  # a status Courier added later
        >>> new, new.known, new.terminal
        ('PAUSED', False, False)
        >>> RunStatus.PROCESSED.terminal, RunStatus.PROCESSING in RunStatus.ACTIVE
        (True, True)
    """

    PROCESSING = "PROCESSING"
    WAITING = "WAITING"
    PROCESSED = "PROCESSED"
    CANCELED = "CANCELED"
    ERROR = "ERROR"
    THROTTLED = "THROTTLED"
    NOT_PROCESSED = "NOT PROCESSED"

    ACTIVE = nonmember(("PROCESSING", "WAITING"))
    """The statuses of a run that has not ended."""
    TERMINAL = nonmember(("PROCESSED", "CANCELED", "ERROR", "THROTTLED", "NOT PROCESSED"))
    """The statuses of a run that has ended: what [`CourierClient.wait_for`][] waits for
    by default. A status Courier adds is in neither tuple until this library learns it."""

    @classmethod
    def _missing_(cls, value: object) -> RunStatus:
        """A status Courier added: a pseudo-member (not cached: hostile answers must not
        grow the class)."""
        if not isinstance(value, str):
            raise ValidationTypeError("RunStatus", "value", "a status name (a string)", value)
        member = str.__new__(cls, value)
        member._name_ = value
        member._value_ = value
        return member

    def __repr__(self) -> str:
        return repr(self._value_)

    @property
    def known(self) -> bool:
        """Whether the status is one this library documents (not one made on the fly)."""
        return self._value_ in type(self)._value2member_map_

    @property
    def terminal(self) -> bool:
        """Whether a run with this status has ended (``False`` for an unknown status)."""
        return self._value_ in RunStatus.TERMINAL


class Outcome:
    """What a simulator event records about a run or a step (plain strings).

    Examples:
        >>> Outcome.NOT_EVALUATED
        'not-evaluated'
    """

    STARTED: Final = "started"
    SENT: Final = "sent"
    WAITING: Final = "waiting"
    RESUMED: Final = "resumed"
    SKIPPED: Final = "skipped"
    NOT_EVALUATED: Final = "not-evaluated"
    CANCELED: Final = "canceled"
    INVOKED: Final = "invoked"
    PROFILE_UPDATED: Final = "profile-updated"
    FETCHED: Final = "fetched"
    NOT_SIMULATED: Final = "not-simulated"
    ERROR: Final = "error"
    COMPLETED: Final = "completed"
