"""Fault injection: what the sandbox does wrong on purpose, to test retry logic.

Faults apply to the two invoke endpoints. They happen in front of the automation
service, as at a gateway, so the injected 500, 503 and 429 answers and the connections
dropped *before* the run is stored leave nothing behind; a connection dropped *after*
the run is stored leaves the run, and its answer, stored for the ``Idempotency-Key``.

Example:
    >>> faults = Faults(error_500=0.1, rate_limit=0.1, retry_after=2, seed=7)
    >>> faults.script.extend(["503", "drop-after"])
    >>> faults.draw(), faults.draw()
    ('503', 'drop-after')
"""

from __future__ import annotations

import random
from collections import deque

import attrs

__all__ = ["FAULT_KINDS", "Faults"]

FAULT_KINDS = ("500", "503", "429", "drop-before", "drop-after", "ok")
"""The names a fault script may hold; ``ok`` means no fault for that request."""


def _probability(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not 0 <= value <= 1:
        raise ValueError(
            f"Faults: {attribute.name!r} expected a probability in [0, 1], got {value!r}"
        )


def _kinds(_: object, __: object, value: deque[str]) -> None:
    unknown = [kind for kind in value if kind not in FAULT_KINDS]
    if unknown:
        raise ValueError(f"Faults: 'script' expected names from {FAULT_KINDS}, got {unknown!r}")


@attrs.define
class Faults:
    """Per-sandbox fault settings; change them at any time (``sandbox.faults.latency = 0.2``).

    Args:
        error_500: probability of an injected ``500 api_error``.
        error_503: probability of an injected ``503 api_error``.
        rate_limit: probability of an injected ``429 rate_limit_error`` with ``Retry-After``.
        retry_after: the ``Retry-After`` seconds sent with injected 429s.
        drop_before: probability of dropping the connection before the run is stored.
        drop_after: probability of storing the run, then dropping the connection.
        latency: seconds added to each invoke while it is being processed.
        seed: seeds the random draws, so a fault pattern can be replayed.
        script: faults to inject first, one per request, in order (see ``FAULT_KINDS``).
    """

    error_500: float = attrs.field(default=0.0, validator=_probability)
    error_503: float = attrs.field(default=0.0, validator=_probability)
    rate_limit: float = attrs.field(default=0.0, validator=_probability)
    retry_after: float = 1.0
    drop_before: float = attrs.field(default=0.0, validator=_probability)
    drop_after: float = attrs.field(default=0.0, validator=_probability)
    latency: float = 0.0
    seed: int | None = None
    script: deque[str] = attrs.field(factory=deque, converter=deque, validator=_kinds)
    _random: random.Random = attrs.field(init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def draw(self) -> str:
        """The fault for the next request: the script's next entry, else a random draw."""
        if self.script:
            kind = self.script.popleft()
            if kind not in FAULT_KINDS:
                raise ValueError(f"Faults: unknown fault {kind!r} in script")
            return kind
        roll = self._random.random()
        for kind, chance in (
            ("500", self.error_500),
            ("503", self.error_503),
            ("429", self.rate_limit),
            ("drop-before", self.drop_before),
            ("drop-after", self.drop_after),
        ):
            if roll < chance:
                return kind
            roll -= chance
        return "ok"
