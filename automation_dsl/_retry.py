"""When to try a request again, how long to wait first, and how many retries a client may spend.

Retried: connection errors, timeouts, and the statuses 408, 409, 429 and 5xx. Waits
grow exponentially with full jitter (a random wait between zero and the exponential
bound, capped), and a ``Retry-After`` header (seconds or an HTTP date) is honoured up
to ``max_retry_after``; an unusable one (``nan``, negative, garbage) is ignored. Other
4xx statuses are never retried.

A retry budget (the Google SRE rule) bounds the retries of a whole client: each request
adds ``budget_ratio`` of a token, each retry costs one, and the balance starts at (and
never exceeds) ``budget_floor``. Over any stretch of time a client therefore retries at
most ``budget_floor + budget_ratio * requests`` times, so a failing server makes a bulk
batch fail fast instead of tripling the load on it.

`RetryState` is the sans-IO half of every retry loop (the two clients' and the
bulk senders'): each attempt's outcome goes in, the wait (or the final error) comes out;
the loops only send and sleep. Every wait comes from [`RetryPolicy.delay`][].

Examples:
    >>> policy = RetryPolicy(max_retries=3, backoff=0.5, max_backoff=8.0)
    >>> policy.should_retry_status(503), policy.should_retry_status(400)
    (True, False)
    >>> policy.delay(attempt=1, retry_after="2") == 2.0
    True
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import attrs

from ._errors import (
    ConfigurationError,
    CourierConnectionError,
    CourierTimeoutError,
    ValidationError,
    ValidationTypeError,
)

__all__ = ["RetryPolicy"]

logger = logging.getLogger("automation_dsl")

RETRY_STATUSES = frozenset({408, 409, 429})
MAX_RETRIES = 100


def _seconds(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A finite number of seconds >= 0."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationTypeError("RetryPolicy", attribute.name, "a number of seconds", value)
    if not math.isfinite(value) or value < 0:
        raise ValidationError("RetryPolicy", attribute.name, "a finite number >= 0", value)


def _count(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """An integer from 0 to MAX_RETRIES."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationTypeError("RetryPolicy", attribute.name, "an integer", value)
    if not 0 <= value <= MAX_RETRIES:
        raise ValidationError(
            "RetryPolicy", attribute.name, f"an integer from 0 to {MAX_RETRIES}", value
        )


def _ratio(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """None (no budget) or a finite number from 0 to 1."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationTypeError("RetryPolicy", attribute.name, "a number or None", value)
    if not 0 <= value <= 1:  # NaN fails both comparisons
        raise ValidationError(
            "RetryPolicy", attribute.name, "a number from 0 to 1, or None for no budget", value
        )


def _flag(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """True or False."""
    if value.__class__ is not bool:
        raise ValidationTypeError("RetryPolicy", attribute.name, "True or False", value)


class _Budget:
    """The token bucket of one client's retry budget (thread-safe)."""

    __slots__ = ("cap", "lock", "ratio", "tokens")

    def __init__(self, ratio: float, floor: int) -> None:
        self.ratio = ratio
        self.cap = self.tokens = float(floor)
        self.lock = threading.Lock()

    def deposit(self) -> None:
        """A request was made: add ``ratio`` of a token, up to the cap."""
        if self.tokens < self.cap:  # a stale read only delays a deposit to the next request
            with self.lock:
                self.tokens = min(self.cap, self.tokens + self.ratio)

    def withdraw(self) -> bool:
        """Spend one token for a retry; False when the budget is spent."""
        with self.lock:
            if self.tokens < 1:
                return False
            self.tokens -= 1
            return True


@attrs.frozen(slots=True)
class RetryPolicy:
    """How a client retries a failed attempt.

    Args:
        max_retries: retries after the first attempt (so ``max_retries + 1`` attempts),
            0 to 100.
        backoff: the base wait in seconds; attempt *n* waits up to ``backoff * 2**(n-1)``.
        max_backoff: the cap on one computed wait, in seconds.
        max_retry_after: the longest ``Retry-After`` honoured, in seconds.
        budget_ratio: the client-wide retry budget: each request earns this fraction of
            a retry (default 0.1, one retry per ten requests); ``None`` turns the budget off.
        budget_floor: the retries a client may spend before it has earned any, and the
            most it can save up (default 10).
        jitter: wait a random time up to each exponential bound (default); ``False``
            waits the bound itself, so the waits are the same on every run.

    Each client gets a budget of its own from its policy. A client given another
    client's ``retry`` (as the thread that runs ``invoke_many`` is) shares its budget.

    Examples:
        >>> from automation_dsl import CourierClient, RetryPolicy
        >>> client = CourierClient(api_key="k", retry=RetryPolicy(max_retries=5))
        >>> client.retry.max_retries, client.retry.budget_ratio
        (5, 0.1)
    """

    max_retries: int = attrs.field(default=3, validator=_count)
    backoff: float = attrs.field(default=0.5, validator=_seconds)
    max_backoff: float = attrs.field(default=8.0, validator=_seconds)
    max_retry_after: float = attrs.field(default=60.0, validator=_seconds)
    budget_ratio: float | None = attrs.field(default=0.1, validator=_ratio)
    budget_floor: int = attrs.field(default=10, validator=_count)
    jitter: bool = attrs.field(default=True, validator=_flag)
    _budget: _Budget | None = attrs.field(default=None, init=False, eq=False, repr=False)

    def should_retry_status(self, status: int) -> bool:
        """True for 408, 409, 429 and 5xx."""
        return status in RETRY_STATUSES or status >= 500

    def delay(self, attempt: int, retry_after: str | None = None) -> float:
        """The wait before attempt ``attempt + 1``, after attempt ``attempt`` failed.

        Every retry loop of the library sleeps exactly this long.
        """
        told = _parse_retry_after(retry_after)
        if told is not None:
            return min(told, self.max_retry_after)
        bound = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
        return random.uniform(0, bound) if self.jitter else bound

    def _for_client(self) -> RetryPolicy:
        """This policy with a budget of its own, unless it already holds one (a client's)."""
        if self._budget is not None or self.budget_ratio is None:
            return self
        bound = attrs.evolve(self)
        object.__setattr__(bound, "_budget", _Budget(self.budget_ratio, self.budget_floor))
        return bound


class RetryState:
    """The sans-IO half of one logical request's retry loop.

    Each attempt's outcome goes in; out comes the seconds to wait before trying again,
    ``None`` when the answer is final, or the exception to raise when retrying is over.
    Every logical request pays into the policy's retry budget, and every retry draws on it.
    """

    __slots__ = ("budget", "count", "method", "path", "retry", "started")

    def __init__(self, retry: RetryPolicy, method: str, path: str) -> None:
        self.retry = retry
        self.method = method
        self.path = path
        self.count = 0
        self.started = 0.0
        self.budget = retry._budget
        if self.budget is not None:
            self.budget.deposit()

    def start(self) -> None:
        """An attempt begins."""
        self.count += 1
        self.started = time.perf_counter()

    def _log(self, outcome: object) -> None:
        logger.debug(
            "%s %s -> %s attempt=%d elapsed=%.3fs",
            self.method,
            self.path,
            outcome,
            self.count,
            time.perf_counter() - self.started,
        )

    def _may_retry(self) -> bool:
        if self.count > self.retry.max_retries:
            return False
        if self.budget is not None and not self.budget.withdraw():
            logger.debug("%s %s -> not retried: retry budget spent", self.method, self.path)
            return False
        return True

    def answered(self, status: int, retry_after: str | None) -> float | None:
        """The wait before the next attempt, or ``None`` when this answer is final
        (a success, or an error to raise)."""
        self._log(status)
        if status < 400 or not self.retry.should_retry_status(status):
            return None
        if not self._may_retry():
            return None
        return self.retry.delay(self.count, retry_after)

    def failed(self, error: str, *, timed_out: bool) -> float:
        """The wait before the next attempt after no answer (named ``error``), or raise."""
        self._log(error)
        if not self._may_retry():
            if timed_out:
                raise CourierTimeoutError(
                    f"{self.method} {self.path} timed out", attempts=self.count
                ) from None
            raise CourierConnectionError(
                f"{self.method} {self.path} failed: {error}", attempts=self.count
            ) from None
        return self.retry.delay(self.count)

    def refused(self, error: str) -> ConfigurationError:
        """The error for a request httpx refused to send: never retried."""
        self._log(error)
        return ConfigurationError(
            f"{self.method} {self.path} was refused by httpx before sending ({error}): a "
            "header or URL it cannot write, so not a network failure and not retried; "
            "check the headers and transport of the http_client you passed"
        )


def _parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (seconds or an HTTP date), or ``None``
    when it is missing or unusable (garbage, ``nan``, negative seconds). The caller caps it."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        seconds = max((moment - datetime.now(UTC)).total_seconds(), 0.0)
    if math.isnan(seconds) or seconds < 0:
        return None
    return seconds
