"""When to try a request again, and how long to wait first.

Retried: connection errors, timeouts, and the statuses 408, 409, 429 and 5xx. Waits
grow exponentially with full jitter (a random wait between zero and the exponential
bound, capped), and a ``Retry-After`` header (seconds or an HTTP date) is honoured up
to ``max_retry_after``. Other 4xx statuses are never retried.

Example:
    >>> policy = RetryPolicy(max_retries=3, backoff=0.5, max_backoff=8.0)
    >>> policy.should_retry_status(503), policy.should_retry_status(400)
    (True, False)
    >>> policy.delay(attempt=1, retry_after="2") == 2.0
    True
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import attrs

__all__ = ["RetryPolicy"]

RETRY_STATUSES = frozenset({408, 409, 429})


def _non_negative(_: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if value < 0:
        raise ValueError(f"RetryPolicy: {attribute.name!r} expected >= 0, got {value!r}")


@attrs.frozen(slots=True)
class RetryPolicy:
    """How a client retries a failed attempt.

    Args:
        max_retries: retries after the first attempt (so ``max_retries + 1`` attempts).
        backoff: the base wait in seconds; attempt *n* waits up to ``backoff * 2**(n-1)``.
        max_backoff: the cap on one computed wait, in seconds.
        max_retry_after: the longest ``Retry-After`` honoured, in seconds.

    Example:
        >>> from automation_dsl import CourierClient, RetryPolicy
        >>> client = CourierClient(api_key="k", retry=RetryPolicy(max_retries=5))
        >>> client.retry.max_retries
        5
    """

    max_retries: int = attrs.field(default=3, validator=_non_negative)
    backoff: float = attrs.field(default=0.5, validator=_non_negative)
    max_backoff: float = attrs.field(default=8.0, validator=_non_negative)
    max_retry_after: float = attrs.field(default=60.0, validator=_non_negative)

    def should_retry_status(self, status: int) -> bool:
        """True for 408, 409, 429 and 5xx."""
        return status in RETRY_STATUSES or status >= 500

    def delay(self, attempt: int, retry_after: str | None = None) -> float:
        """The wait before attempt ``attempt + 1``, after attempt ``attempt`` failed."""
        told = _parse_retry_after(retry_after)
        if told is not None:
            return min(told, self.max_retry_after)
        bound = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
        return random.uniform(0, bound)


def _parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value: a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        seconds = (moment - datetime.now(UTC)).total_seconds()
    return max(seconds, 0.0)
