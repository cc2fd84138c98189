"""When each step of a flow fires for one run, as far as it can be known when the run starts.

The run starts at invoke time and walks its steps: a fixed, unconditional ``duration``
adds its length, a fixed, unconditional ``until`` waits until then (a past one waits for
nothing), and a local-time ``until`` (`at`) waits until its next instant for this run's
zone. Every other step takes no time. `plan` computes that walk for one run context;
`resolve` turns the walk's local-time delays into ordinary UTC ``until`` instants, which is
what goes on the wire; `check_timing` refuses, while the flow is built, a local-time delay
whose start cannot be known up front: one after a conditional or ``$ref`` delay, or after
``add-to-batch``, ``add-to-digest`` or ``throttle``, whose waits depend on other runs, or
after a raw step, whose wait this library does not know.

Examples:
    >>> from datetime import UTC, datetime
    >>> from automation_dsl import Automation, at
    >>> flow = Automation().delay(hours=2).delay(until=at("09:00", tz="Europe/London"))
    >>> [step.at.isoformat() for step in plan(flow.steps, {}, datetime(2026, 7, 1, 7, tzinfo=UTC))]
    ['2026-07-01T09:00:00+00:00', '2026-07-02T08:00:00+00:00']
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import attrs

from ._errors import ValidationError
from ._localtime import LocalInstant, LocalTime
from ._ref import Ref
from ._steps import AddToBatch, AddToDigest, Delay, RawStep, Step, Throttle
from ._time import duration_length

__all__: list[str] = []

_HOLDING = (AddToBatch, AddToDigest, Throttle)


@attrs.frozen(slots=True)
class StepTime:
    """One step of one run: when the run reaches it (the end of its wait, for a delay),
    and the local-time instant, for a local-time delay."""

    index: int
    step: Step
    at: datetime
    local: LocalInstant | None = None


def _unknown_wait(step: Step) -> str | None:
    """Why the time after ``step`` cannot be known when the run starts, or ``None``."""
    if isinstance(step, _HOLDING):
        return f"{step.action} holds the run for a time other runs decide"
    if isinstance(step, RawStep):
        return "it is a raw step: this library does not know how long it holds the run"
    if not isinstance(step, Delay):
        return None
    if step.if_ is not None:
        return "it is conditional (if), so the run may or may not wait"
    if isinstance(step.until, Ref) or isinstance(step.duration, Ref):
        return "its time is a $ref, read only when the run gets there"
    return None


def check_timing(steps: tuple[Step, ...], start: int = 0) -> None:
    """Refuse a local-time delay, from ``steps[start]`` on, after a wait of unknown length.

    Examples:
        >>> from automation_dsl import Automation, at
        >>> from automation_dsl.conditions import data
        >>> Automation().delay(days=1, if_=data.slow).delay(until=at("09:00", tz="UTC"))
        Traceback (most recent call last):
        ...
        automation_dsl.ValidationError: steps[1].until: delay step #1: 'until' expected a local \
time that no wait of unknown length precedes, got at('09:00', tz='UTC') (LocalTime); step #0 \
(delay) cannot be timed up front: it is conditional (if), so the run may or may not wait
    """
    blocker: tuple[int, Step, str] | None = None
    for index, step in enumerate(steps):
        if (
            blocker is not None
            and index >= start
            and isinstance(step, Delay)
            and isinstance(step.until, LocalTime)
        ):
            where, what, why = blocker
            raise ValidationError(
                f"delay step #{index}",
                "until",
                "a local time that no wait of unknown length precedes",
                step.until,
                hint=f"step #{where} ({what.action}) cannot be timed up front: {why}",
                path=f"steps[{index}].until",
            )
        if blocker is None:
            reason = _unknown_wait(step)
            if reason is not None:
                blocker = (index, step, reason)


def has_local_time(steps: tuple[Step, ...]) -> bool:
    """Whether any delay waits for a local time (so the wire body depends on the run)."""
    return any(isinstance(step, Delay) and step.until.__class__ is LocalTime for step in steps)


def plan(steps: tuple[Step, ...], context: Mapping[str, Any], now: datetime) -> list[StepTime]:
    """When each step fires for a run with ``context`` invoked at ``now``, as far as it can
    be known up front: after a wait of unknown length, times are the earliest possible."""
    if now.tzinfo is None:
        raise ValidationError("plan", "now", "an aware datetime", now)
    moment = now.astimezone(UTC)
    out: list[StepTime] = []
    for index, step in enumerate(steps):
        local: LocalInstant | None = None
        if isinstance(step, Delay) and step.if_ is None:
            until, duration = step.until, step.duration
            if isinstance(until, LocalTime):
                local = until.resolve(moment, context)
                moment = local.utc
            elif isinstance(until, datetime):
                moment = max(moment, until)
            elif isinstance(duration, str):
                try:
                    moment = moment + duration_length(duration)
                except OverflowError:
                    raise ValidationError(
                        f"delay step #{index}",
                        "duration",
                        "a wait that ends before year 10000",
                        duration,
                        hint=f"the run reaches it at {moment.isoformat()}",
                        path=f"steps[{index}].duration",
                    ) from None
        elif isinstance(step, Delay) and isinstance(step.until, LocalTime):
            local = step.until.resolve(moment, context)
        out.append(StepTime(index, step, moment, local))
    return out


def resolve(steps: tuple[Step, ...], context: Mapping[str, Any], now: datetime) -> tuple[Step, ...]:
    """``steps`` with each local-time delay replaced by its UTC instant for this run.

    A run reaching a local-time ``until`` later than planned (Courier's delays are accurate
    to minutes) still waits for that same instant.
    """
    if not has_local_time(steps):
        return steps
    resolved = list(steps)
    for timed in plan(steps, context, now):
        step = timed.step
        if timed.local is not None and isinstance(step, Delay):
            resolved[timed.index] = Delay(until=timed.local.utc, if_=step.if_, ref=step.ref)
    return tuple(resolved)
