"""Fault injection: what the sandbox does wrong on purpose, to test retry logic.

Faults apply to the two invoke endpoints. The 503 and 429 answers and the connections
dropped *before* the run is stored happen in front of the automation service, as at a
gateway: they leave nothing behind, and a retry with the same ``Idempotency-Key`` goes
through. A 500 comes from the service itself, and Courier keeps the first answer for a
key, 5xx included: an injected 500 (before the run is stored: no run) or 500-after
(after: the run exists) is replayed for every retry with that key until it expires. A
connection dropped *after* the run is stored leaves the run, and its answer, stored for
the key.

Examples:
    >>> faults = Faults(error_500=0.1, rate_limit=0.1, retry_after=2, seed=7)
    >>> faults.script.extend(["503", "drop-after"])
    >>> faults.draw(), faults.draw()
    ('503', 'drop-after')
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Iterable
from typing import Any

import attrs

from .._errors import ValidationError, ValidationTypeError

__all__ = ["FAULT_KINDS", "FaultScript", "Faults"]

FAULT_KINDS = ("500", "500-after", "503", "429", "drop-before", "drop-after", "ok")
"""The names a fault script may hold; ``ok`` means no fault for that request."""

_RATES = ("error_500", "error_500_after", "error_503", "rate_limit", "drop_before", "drop_after")


def _number(name: str, value: Any, expected: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationTypeError("Faults", name, expected, value)
    if not math.isfinite(value):
        raise ValidationError("Faults", name, expected, value)
    return float(value)


def _probability(instance: Any, attribute: attrs.Attribute[float], value: float) -> None:
    expected = "a probability from 0 to 1"
    if not 0 <= _number(attribute.name, value, expected) <= 1:
        raise ValidationError("Faults", attribute.name, expected, value)
    rates = {name: getattr(instance, name, 0.0) for name in _RATES} | {attribute.name: value}
    valid = {k: v for k, v in rates.items() if isinstance(v, int | float) and 0 < v <= 1}
    if sum(valid.values()) > 1:  # (the others are refused by their own validator)
        together = ", ".join(f"{k}={v:g}" for k, v in valid.items())
        raise ValidationError(
            "Faults",
            attribute.name,
            "probabilities that add up to at most 1",
            value,
            hint=f"together with {together}",
        )


def _seconds(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    expected = "a number of seconds from 0 to 3600"
    if not 0 <= _number(attribute.name, value, expected) <= 3600:
        raise ValidationError("Faults", attribute.name, expected, value)


def _seed(_: object, __: object, value: Any) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise ValidationTypeError("Faults", "seed", "an integer or None", value)


_SCRIPT_EXPECTED = f"names from {FAULT_KINDS}"


def _fault_name(kind: Any) -> str:
    if kind not in FAULT_KINDS:
        raise ValidationError("Faults", "script", _SCRIPT_EXPECTED, kind)
    return str(kind)


class FaultScript(deque[str]):
    """The faults to inject first, in order: a deque that refuses an unknown name when it
    is added (``append``, ``extend``, ``insert``, ``[i] = ...``), not when it is drawn.

    Examples:
        >>> script = FaultScript(["503"])
        >>> script.append("bogus")
        Traceback (most recent call last):
        ...
        automation_dsl.ValidationError: Faults: 'script' expected names from \
('500', '500-after', '503', '429', 'drop-before', 'drop-after', 'ok'), got 'bogus' (str)
    """

    def __init__(self, kinds: Iterable[str] = ()) -> None:
        super().__init__(_fault_name(kind) for kind in kinds)

    def append(self, kind: str) -> None:
        super().append(_fault_name(kind))

    def appendleft(self, kind: str) -> None:
        super().appendleft(_fault_name(kind))

    def extend(self, kinds: Iterable[str]) -> None:
        super().extend([_fault_name(kind) for kind in _names(kinds)])

    def extendleft(self, kinds: Iterable[str]) -> None:
        super().extendleft([_fault_name(kind) for kind in _names(kinds)])

    def insert(self, index: int, kind: str) -> None:
        super().insert(index, _fault_name(kind))

    def __setitem__(self, index: Any, kind: Any) -> None:
        super().__setitem__(index, _fault_name(kind))

    def __iadd__(self, kinds: Iterable[str]) -> FaultScript:
        self.extend(kinds)
        return self


def _names(value: Any) -> Iterable[str]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ValidationTypeError("Faults", "script", f"a list of {_SCRIPT_EXPECTED}", value)
    return list(value)


def _script(value: Any) -> FaultScript:
    return FaultScript(_names(value))


@attrs.define
class Faults:
    """Per-sandbox fault settings; change them at any time (``sandbox.faults.latency = 0.2``).

    Args:
        error_500: probability of an injected ``500 api_error`` before the run is stored.
        error_500_after: probability of storing the run, then answering ``500 api_error``.
        error_503: probability of an injected ``503 api_error``.
        rate_limit: probability of an injected ``429 rate_limit_error`` with ``Retry-After``.
        retry_after: the ``Retry-After`` seconds sent with injected 429s (0 to 3600).
        drop_before: probability of dropping the connection before the run is stored.
        drop_after: probability of storing the run, then dropping the connection.
        latency: seconds added to each invoke while it is being processed (0 to 3600).
        seed: seeds the random draws, so a fault pattern can be replayed.
        script: faults to inject first, one per request, in order (see ``FAULT_KINDS``).

    Raises:
        ValidationError: a value out of range (a probability outside [0, 1], NaN, a
            negative latency, probabilities adding up to more than 1, an unknown fault).

    Examples:
        >>> try:
        ...     Faults(latency=-1)
        ... except ValueError as exc:
        ...     print(exc)
        Faults: 'latency' expected a number of seconds from 0 to 3600, got -1 (int)
    """

    error_500: float = attrs.field(default=0.0, validator=_probability)
    error_503: float = attrs.field(default=0.0, validator=_probability)
    rate_limit: float = attrs.field(default=0.0, validator=_probability)
    retry_after: float = attrs.field(default=1.0, validator=_seconds)
    drop_before: float = attrs.field(default=0.0, validator=_probability)
    drop_after: float = attrs.field(default=0.0, validator=_probability)
    latency: float = attrs.field(default=0.0, validator=_seconds)
    seed: int | None = attrs.field(default=None, validator=_seed)
    script: FaultScript = attrs.field(factory=FaultScript, converter=_script)
    error_500_after: float = attrs.field(default=0.0, validator=_probability, kw_only=True)
    _random: random.Random = attrs.field(init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def draw(self) -> str:
        """The fault for the next request: the script's next entry, else a random draw."""
        if self.script:
            return self.script.popleft()
        roll = self._random.random()
        for kind, chance in (
            ("500", self.error_500),
            ("500-after", self.error_500_after),
            ("503", self.error_503),
            ("429", self.rate_limit),
            ("drop-before", self.drop_before),
            ("drop-after", self.drop_after),
        ):
            if roll < chance:
                return kind
            roll -= chance
        return "ok"
