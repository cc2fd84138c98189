"""The status vocabularies: message statuses, run statuses and simulator event outcomes.

* [`MessageStatus`][]: Courier's message statuses as conditions read them
  (``MessageStatus.Opened``), ordered by delivery progress.
* `RunStatus`: the statuses of an automation run, as Courier names them.
* `Outcome`: what a simulator [`Event`][] records.

Run statuses and outcomes are plain ``str`` constants, not enum members: they are
written to JSON and shown in reprs and tables exactly as the strings they are.

Examples:
    >>> from automation_dsl._status import MessageStatus, Outcome, RunStatus
    >>> MessageStatus.SENT < MessageStatus.OPENED, RunStatus.WAITING, Outcome.SENT
    (True, 'WAITING', 'sent')
"""

from __future__ import annotations

from enum import Enum
from typing import Final

from ._errors import NotEvaluated

__all__ = ["MessageStatus"]  # RunStatus and Outcome are private to the package


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


class RunStatus:
    """The status of an automation run, as Courier names it (plain strings).

    Examples:
        >>> RunStatus.PROCESSING in RunStatus.ACTIVE
        True
    """

    PROCESSING: Final = "PROCESSING"
    WAITING: Final = "WAITING"
    PROCESSED: Final = "PROCESSED"
    CANCELED: Final = "CANCELED"
    ERROR: Final = "ERROR"
    ACTIVE: Final = (PROCESSING, WAITING)
    """The statuses of a run that has not ended."""


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
