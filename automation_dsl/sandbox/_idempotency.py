"""``Idempotency-Key`` as Courier documents it: claim, replay, remember and expiry.

Courier stores the first answer for a key on a path (its status and body, 5xx included)
and replays it until the key expires: 25 hours by default, or at
``x-idempotency-expiration`` (Unix epoch seconds or milliseconds, or ISO 8601; at most
one year ahead). Nothing is stored for a request that failed validation or conflicted
with a concurrent one with the same key (409). A key reused with a different body is
refused with 422 ``idempotency_error``, as the IETF Idempotency-Key draft says.

Examples:
    >>> from automation_dsl.sandbox._store import Store
    >>> keys = Idempotency(Store(":memory:"), now=lambda: 1_700_000_000.0)
    >>> use = KeyUse("/automations/invoke", "k-1", fingerprint({"a": 1}), keys.expiry(None))
    >>> keys.claim(use)
    True
    >>> keys.remember(use, 200, '{"runId": "r"}')
    >>> keys.replay(use).body
    '{"runId": "r"}'
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import attrs

from .._errors import ValidationError
from .._http import _check_idempotency_key
from .._time import to_utc
from ._store import Store

__all__ = ["TTL", "Answer", "Idempotency", "KeyReused", "KeyUse", "check_key", "fingerprint"]

TTL = timedelta(hours=25)
"""How long an answer is kept when the request does not say (Courier's spec: 25 hours)."""
MAX_EXPIRATION = timedelta(days=366)
"""How far ahead ``x-idempotency-expiration`` may be: one year (a leap year's worth)."""

_OWNER = "invoke request"
_HEADER = "x-idempotency-expiration"
_EXPECTED = (
    "a time in the future and at most 1 year ahead, as Unix epoch seconds, "
    "epoch milliseconds or an ISO 8601 date"
)


@attrs.frozen(slots=True)
class Answer:
    """A stored answer: replayed as it was for every repeat of the key."""

    status: int
    body: str
    fingerprint: str | None


@attrs.frozen(slots=True)
class KeyUse:
    """One request's use of a key: where, which, for what body, until when."""

    path: str
    key: str
    fingerprint: str
    expires_at: float


class KeyReused(Exception):
    """The key was first used with a different request body (answered with 422)."""


def fingerprint(payload: Any) -> str:
    """A digest of a request body, independent of key order and whitespace.

    Examples:
        >>> fingerprint({"a": 1, "b": 2}) == fingerprint({"b": 2, "a": 1})
        True
    """
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()


def check_key(key: str) -> None:
    """Refuse an ``Idempotency-Key`` the client itself would not send: blank, not visible
    ASCII, or over 255 characters (the client's one rule, ``_http._check_idempotency_key``)."""
    _check_idempotency_key(key, _OWNER, "Idempotency-Key")


class Idempotency:
    """The keys of one sandbox: those in flight (in memory) and the answers (in the store).

    ``remember`` writes inside the caller's store transaction, so an answer is stored
    with the run it reports, or not at all.
    """

    def __init__(
        self,
        store: Store,
        *,
        lock: threading.RLock | None = None,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.now = now
        self._lock = lock or threading.RLock()  # the store's: a read never sees a write half done
        self._in_flight: set[tuple[str, str]] = set()

    def expiry(self, header: str | None) -> float:
        """When an answer expires, from the ``x-idempotency-expiration`` header (or 25 h).

        Raises:
            ValidationError: the value is unparseable, in the past or over a year ahead.

        Examples:
            >>> keys = Idempotency(Store(":memory:"), now=lambda: 1_700_000_000.0)
            >>> keys.expiry("1700086400")
            1700086400.0
            >>> keys.expiry("0")
            Traceback (most recent call last):
            ...
            automation_dsl.ValidationError: invoke request: 'x-idempotency-expiration' ...
        """
        now = self.now()
        if header is None:
            return now + TTL.total_seconds()
        text = header.strip()
        try:
            number = float(text)
        except ValueError:
            try:
                moment = to_utc(text, _OWNER, _HEADER).timestamp()
            except (ValidationError, OverflowError):
                raise ValidationError(
                    _OWNER, _HEADER, _EXPECTED, header, hint="it is not a number or a date"
                ) from None
        else:
            if not math.isfinite(number):
                raise ValidationError(_OWNER, _HEADER, _EXPECTED, header)
            moment = number / 1000 if abs(number) > 1e11 else number  # milliseconds
        if moment <= now:
            raise ValidationError(_OWNER, _HEADER, _EXPECTED, header, hint="it is in the past")
        if moment > now + MAX_EXPIRATION.total_seconds():
            raise ValidationError(
                _OWNER, _HEADER, _EXPECTED, header, hint="it is more than 1 year ahead"
            )
        return moment

    def use(self, path: str, key: str, expiration: str | None, payload: Any) -> KeyUse:
        """A request's use of ``key`` on ``path`` for ``payload``, until ``expiration``
        (the ``x-idempotency-expiration`` header, if any).

        Raises:
            ValidationError: the key or the expiration is refused (a 400).
        """
        check_key(key)
        expires = self.expiry(expiration)
        return KeyUse(path, key, fingerprint(payload), expires)

    def replay(self, use: KeyUse) -> Answer | None:
        """The stored answer for ``key`` on ``path``, if any and not expired.

        Raises:
            KeyReused: the answer is for a request with a different body.
        """
        with self._lock:
            row = self.store.remembered(use.path, use.key, self.now())
        if row is None:
            return None
        answer = Answer(*row)
        if answer.fingerprint is not None and answer.fingerprint != use.fingerprint:
            raise KeyReused(use.key)
        return answer

    def claim(self, use: KeyUse) -> bool:
        """Mark a key in flight; False when a request with it is being processed."""
        with self._lock:
            if (use.path, use.key) in self._in_flight:
                return False
            self._in_flight.add((use.path, use.key))
            return True

    def release(self, use: KeyUse) -> None:
        """The request holding a key is done (answered, refused or dead)."""
        with self._lock:
            self._in_flight.discard((use.path, use.key))

    def remember(self, use: KeyUse, status: int, body: str) -> None:
        """Store the first answer for a key (in the caller's store transaction)."""
        self.store.remember(use.path, use.key, status, body, use.fingerprint, use.expires_at)
