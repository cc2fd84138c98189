"""Rules over every path of a flow: the checks [`Exploration.check`][] proves.

Each rule reads one [`ExploredPath`][] (its steps, its witness and its simulated timeline)
and says how the path breaks it, or nothing; `Exploration.check` turns that into
[`Violation`][] objects, the counterexamples.

* `max_sends`: at most ``n`` sends in any window of length ``per``;
* `quiet_hours`: no send whose local time is in ``[start, end)`` (wrapping past midnight);
* `ends_or_cancelable`: a path that waits can still be canceled by its token;
* `no_send_after_cancel`: no send after a cancel of the automation's own token;
* `refs_set_before_read`: every ``refs.x`` read is set by an earlier step on the path.

A send is a ``sent`` event of the timeline (send, send-list, send_message), at its
delivery time when a Send API ``delay`` defers it.

Examples:
    >>> from datetime import UTC, datetime, timedelta
    >>> from automation_dsl import Automation
    >>> from automation_dsl.conditions import data
    >>> flow = Automation().send("A").delay(hours=1).send("B", if_=data.vip)
    >>> exploration = flow.explore(recipient="u1", start=datetime(2024, 1, 1, tzinfo=UTC))
    >>> [v.path.assumptions for v in exploration.check(max_sends(1, per=timedelta(days=1)))]
    [('data.vip',)]
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import attrs

from ._errors import ValidationError, ValidationTypeError
from ._explore import ExploredPath
from ._localtime import LocalTime, at, parse_wall
from ._ref import Ref, RefLike
from ._steps import Cancel
from ._time import humanize

__all__ = [
    "ends_or_cancelable",
    "max_sends",
    "no_send_after_cancel",
    "quiet_hours",
    "refs_set_before_read",
]


def _length(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    return humanize(seconds) if seconds == span.total_seconds() else str(span)


def _sends(path: ExploredPath) -> list[tuple[datetime, int | None]]:
    """Each send of the path's timeline: when it is delivered, and its step."""
    found = []
    for event in path.timeline:
        if event.outcome == "sent":
            deliver = event.detail.get("deliver_at")
            moment = (
                datetime.fromisoformat(deliver.replace("Z", "+00:00"))
                if isinstance(deliver, str)
                else event.at
            )
            found.append((moment, event.step))
    return found


def _own_token(path: ExploredPath) -> Any:
    """The automation's cancelation token for this path's run (a ``$ref`` read from the
    witness), or ``None``."""
    token = path.flow.cancelation_token
    if isinstance(token, Ref):
        token = _resolve(token, path.witness.context())
    return None if token is None or token == "" else token


def _resolve(ref: Ref, context: Mapping[str, Any]) -> Any:
    node: Any = context
    for part in ref.path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _steps(indexes: list[int | None]) -> str:
    return ", ".join("-" if index is None else str(index) for index in indexes)


@attrs.frozen(slots=True)
class MaxSends:
    """At most ``n`` sends in any window of length ``per``; made by `max_sends`.

    Examples:
        >>> max_sends(2, per=timedelta(hours=24)).name
        'max_sends(2, per=1 day)'
    """

    n: int
    per: timedelta

    @property
    def name(self) -> str:
        return f"max_sends({self.n}, per={_length(self.per)})"

    def broken(self, path: ExploredPath) -> str | None:
        sends = sorted(_sends(path), key=lambda send: send[0])
        for first in range(len(sends) - self.n):
            last = first + self.n
            if sends[last][0] - sends[first][0] < self.per:
                span = sends[last][0] - sends[first][0]
                steps = _steps([step for _, step in sends[first : last + 1]])
                return (
                    f"{self.n + 1} sends within {_length(span) if span else '0 s'}: "
                    f"steps {steps} (more than {self.n})"
                )
        return None


def max_sends(n: int, *, per: timedelta) -> MaxSends:
    """At most ``n`` sends (send, send-list, send_message) in any window of length ``per``.

    Examples:
        >>> from datetime import UTC, datetime
        >>> from automation_dsl import Automation
        >>> flow = Automation().send("A").delay(hours=12).send("B")
        >>> exploration = flow.explore(recipient="u1", start=datetime(2024, 1, 1, tzinfo=UTC))
        >>> [v.message for v in exploration.check(max_sends(1, per=timedelta(days=1)))]
        ['2 sends within 12 hours: steps 0, 2 (more than 1)']
    """
    if isinstance(n, bool) or not isinstance(n, int):
        raise ValidationTypeError("max_sends", "n", "an int", n)
    if n < 0:
        raise ValidationError("max_sends", "n", "0 or more", n)
    if not isinstance(per, timedelta):
        raise ValidationTypeError("max_sends", "per", "a timedelta", per)
    if per <= timedelta(0):
        raise ValidationError("max_sends", "per", "a positive timedelta", per)
    return MaxSends(n, per)


@attrs.frozen(slots=True)
class QuietHours:
    """No send whose local time is in ``[start, end)``; made by `quiet_hours`.

    Examples:
        >>> quiet_hours("22:00", "07:00", tz="Europe/London").name
        'quiet_hours(22:00-07:00 in Europe/London)'
    """

    start: time
    end: time
    zone: LocalTime

    @property
    def name(self) -> str:
        where = self.zone.tz if isinstance(self.zone.tz, str) else self.zone.tz.path
        window = f"{self.start:%H:%M}-{self.end:%H:%M}"
        fallback = f", else {self.zone.fallback}" if self.zone.fallback else ""
        return f"quiet_hours({window} in {where}{fallback})"

    def _quiet(self, moment: time) -> bool:
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end

    def broken(self, path: ExploredPath) -> str | None:
        try:
            zone: ZoneInfo = self.zone.zone_for(path.witness.context())
        except ValidationError as error:
            return f"no time zone for this path: {' '.join(str(error).split())}"
        for moment, step in _sends(path):
            local = moment.astimezone(zone)
            if self._quiet(local.time().replace(tzinfo=None)):
                return f"step {step} sends at {local:%Y-%m-%d %H:%M} {zone.key} (quiet hours)"
        return None


def quiet_hours(
    start: str | time, end: str | time, *, tz: str | RefLike, fallback: str | None = None
) -> QuietHours:
    """No send whose local time falls in ``[start, end)``, which may wrap past midnight
    (``"22:00"`` to ``"07:00"``).

    Args:
        start: ``"HH:MM"`` (or a naive ``time``), when the quiet hours begin.
        end: when they end (excluded).
        tz: an IANA zone, or a path into the run context (``profile.timezone``): each
            path's witness is read there (give it with ``explore(profile=...)``).
        fallback: the zone of a path whose witness has none (else that path fails).

    Examples:
        >>> from datetime import UTC, datetime
        >>> from automation_dsl import Automation
        >>> flow = Automation().delay(hours=23).send("LATE")
        >>> exploration = flow.explore(recipient="u1", start=datetime(2024, 1, 1, tzinfo=UTC))
        >>> [v.message for v in exploration.check(quiet_hours("22:00", "07:00", tz="UTC"))]
        ['step 1 sends at 2024-01-01 23:00 UTC (quiet hours)']
    """
    begin = parse_wall(start, "quiet_hours", "start")
    finish = parse_wall(end, "quiet_hours", "end")
    if begin == finish:
        raise ValidationError("quiet_hours", "end", "a time other than start", end)
    zone = at(begin, tz=tz, fallback=fallback)
    return QuietHours(begin, finish, zone)


@attrs.frozen(slots=True)
class EndsOrCancelable:
    """A path that waits can be canceled by its token; made by `ends_or_cancelable`."""

    name = "ends_or_cancelable()"

    def broken(self, path: ExploredPath) -> str | None:
        waits = [event.step for event in path.timeline if event.outcome == "waiting"]
        if not waits or _own_token(path) is not None:
            return None
        token = path.flow.cancelation_token
        why = (
            "the automation has no cancelation_token"
            if token is None
            else f"its cancelation_token {token!r} is not set on this path"
        )
        return f"waits at step {_steps(waits[:1])} and cannot be canceled: {why}"


def ends_or_cancelable() -> EndsOrCancelable:
    """Every path either ends without waiting, or can be canceled while it waits: the
    automation has a ``cancelation_token`` (a ``$ref`` one set on the path's witness).

    Examples:
        >>> from datetime import UTC, datetime
        >>> from automation_dsl import Automation
        >>> flow = Automation().delay(days=3).send("A")
        >>> exploration = flow.explore(recipient="u1", start=datetime(2024, 1, 1, tzinfo=UTC))
        >>> [v.message for v in exploration.check(ends_or_cancelable())]
        ['waits at step 0 and cannot be canceled: the automation has no cancelation_token']
        >>> flow = Automation(cancelation_token="order-1").delay(days=3).send("A")
        >>> exploration = flow.explore(recipient="u1")
        >>> exploration.check(ends_or_cancelable())
        []
    """
    return EndsOrCancelable()


@attrs.frozen(slots=True)
class NoSendAfterCancel:
    """No send after a cancel of the automation's own token; made by `no_send_after_cancel`."""

    name = "no_send_after_cancel()"

    def broken(self, path: ExploredPath) -> str | None:
        own = _own_token(path)
        steps = path.flow.steps
        canceled: int | None = None
        for index in path.taken:
            step = steps[index]
            if isinstance(step, Cancel) and canceled is None:
                token = step.cancelation_token
                value = _resolve(token, path.witness.context()) if isinstance(token, Ref) else token
                same = value is not None and value == own
                if same or (isinstance(token, Ref) and token == path.flow.cancelation_token):
                    canceled = index
            elif canceled is not None and step.action in ("send", "send-list"):
                return f"step {index} sends after step {canceled} canceled the token {own!r}"
        return None


def no_send_after_cancel() -> NoSendAfterCancel:
    """No send step is taken after a cancel step (on the same path) whose token is the
    automation's own.

    Examples:
        >>> from automation_dsl import Automation
        >>> flow = Automation(cancelation_token="order-1").cancel("order-1").send("A")
        >>> [v.message for v in flow.explore(recipient="u1").check(no_send_after_cancel())]
        ["step 1 sends after step 0 canceled the token 'order-1'"]
    """
    return NoSendAfterCancel()


@attrs.frozen(slots=True)
class RefsSetBeforeRead:
    """Every ``refs.x`` read is set earlier on the path; made by `refs_set_before_read`."""

    name = "refs_set_before_read()"

    def broken(self, path: ExploredPath) -> str | None:
        for step, ref, was_set in path.reads:
            if not was_set:
                return f"step {step} reads refs.{ref}, which no earlier step on this path set"
        return None


def refs_set_before_read() -> RefsSetBeforeRead:
    """Every ``refs.x`` a path reads (in a condition it evaluates, or in a value of a step
    it takes) is set by an earlier step taken on that path.

    Examples:
        >>> from automation_dsl import Automation
        >>> from automation_dsl.conditions import MessageStatus, data, refs
        >>> flow = Automation().send("A", ref="a", if_=data.vip).send(
        ...     "B", if_=refs.a.status == MessageStatus.SENT)
        >>> [v.message for v in flow.explore(recipient="u1").check(refs_set_before_read())]
        ['step 1 reads refs.a, which no earlier step on this path set']
    """
    return RefsSetBeforeRead()
