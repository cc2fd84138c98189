"""Recipient-local time: "09:00 in each recipient's zone, on a weekday", correct across DST.

`at` makes a `LocalTime`: a wall-clock time, a zone (a fixed IANA name, or a path into the
run context such as ``profile.timezone``), optional weekdays and a fallback zone. It stands
in a delay's ``until`` and is resolved per recipient, where the run context is known
(`LocalTime.resolve`): the first instant at that wall time, on an allowed day, not earlier
than the moment the run reaches the delay.

The DST policy is explicit (`next_local`):

* a wall time that does not exist that day (the spring-forward gap) moves forward by the
  gap: 02:30 on 2026-03-08 in New York is 03:30 EDT; ``on_gap="raise"`` makes it an error;
* a wall time that happens twice (the fall-back fold) is its first occurrence, or its second
  with ``fold="later"`` (PEP 495's ``fold``); only the chosen one counts for that date, so a
  daily local time fires at most once per local date.

Examples:
    >>> from datetime import UTC, datetime
    >>> nine = at("09:00", tz="America/New_York", days="Mo-Fr")
    >>> moment = nine.resolve(datetime(2026, 3, 7, 12, tzinfo=UTC))  # a Saturday
    >>> moment.local.isoformat(), moment.utc.isoformat()
    ('2026-03-09T09:00:00-04:00', '2026-03-09T13:00:00+00:00')
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, ClassVar, Literal, TypeAlias
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from ._errors import ValidationError, ValidationTypeError
from ._ref import Ref, RefLike, as_ref, has_surrogate

__all__ = ["LocalInstant", "LocalTime", "at"]

WEEKDAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
"""Courier's two-letter weekday names (its opening-hours strings), Monday first, as
``date.weekday()`` counts."""

Fold: TypeAlias = Literal["earlier", "later"]
OnGap: TypeAlias = Literal["forward", "raise"]

_DAY = re.compile(r"(Mo|Tu|We|Th|Fr|Sa|Su)(?:-(Mo|Tu|We|Th|Fr|Sa|Su))?")
_DAYS_EXPECTED = "weekdays such as 'Mo-Fr', 'Sa,Su' or 'Mo-We,Fr' (Mo Tu We Th Fr Sa Su)"
_WALL = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")
_WALL_EXPECTED = "a wall-clock time 'HH:MM' (00:00 to 23:59) or a naive datetime.time"
_ZONE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+)*")
_ZONE_EXPECTED = "an IANA time zone name such as 'Europe/Paris'"
_TZ_EXPECTED = "an IANA time zone name, or a path into the run context such as profile.timezone"
_ROOTS = ("profile", "data")
_DOCUMENT_KEYS = {"time": "at", "path": "tz.$ref"}
"""The keys of the ``{"$local": ...}`` document form whose `at` parameters (or `Ref`'s
``path``) are named otherwise."""
_UTC_OFFSET = re.compile(r"UTC([+-])([0-9]{1,2})(?::00)?")
_NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})
"""Names a system's zone database may hold that name no place: the machine's own zone, a
rules template, a placeholder; ``posix/`` and ``right/`` copies are refused too."""


def parse_days(value: str | Iterable[str] | None, owner: str, field: str) -> frozenset[int] | None:
    """The weekdays ``value`` names (Monday is 0); ``None`` means every day.

    Examples:
        >>> sorted(parse_days("Mo-We,Fr", "at", "days"))
        [0, 1, 2, 4]
        >>> sorted(parse_days("Fr-Mo", "at", "days"))  # a range may wrap past Sunday
        [0, 4, 5, 6]
    """
    if value is None:
        return None
    if isinstance(value, str):
        parts = value.split(",")
    elif isinstance(value, Iterable) and not isinstance(value, bytes | Mapping):
        parts = list(value)
    else:
        raise ValidationTypeError(owner, field, _DAYS_EXPECTED, value)
    days: set[int] = set()
    for part in parts:
        match = _DAY.fullmatch(part.strip()) if isinstance(part, str) else None
        if match is None:
            raise ValidationError(owner, field, _DAYS_EXPECTED, value)
        first = WEEKDAYS.index(match[1])
        last = WEEKDAYS.index(match[2]) if match[2] else first
        days.update((first + step) % 7 for step in range((last - first) % 7 + 1))
    if not days:
        raise ValidationError(owner, field, _DAYS_EXPECTED, value)
    return frozenset(days)


def format_days(days: frozenset[int]) -> str:
    """``days`` as Courier writes them, runs of three or more as a range.

    Examples:
        >>> format_days(frozenset({0, 1, 2, 3, 4})), format_days(frozenset({5, 6}))
        ('Mo-Fr', 'Sa,Su')
    """
    ordered = sorted(days)
    runs: list[list[int]] = []
    for day in ordered:
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    words = []
    for run in runs:
        if len(run) >= 3:
            words.append(f"{WEEKDAYS[run[0]]}-{WEEKDAYS[run[-1]]}")
        else:
            words.extend(WEEKDAYS[day] for day in run)
    return ",".join(words)


def parse_wall(value: str | time, owner: str, field: str) -> time:
    """A wall-clock time to the minute, from ``"HH:MM"`` or a naive ``time``.

    Examples:
        >>> parse_wall("09:30", "at", "time")
        datetime.time(9, 30)
    """
    if isinstance(value, time):
        if value.tzinfo is not None or value.second or value.microsecond or value.fold:
            raise ValidationError(owner, field, _WALL_EXPECTED + " to the minute", value)
        return value
    if not isinstance(value, str):
        raise ValidationTypeError(owner, field, _WALL_EXPECTED, value)
    match = _WALL.fullmatch(value)
    if match is None:
        raise ValidationError(owner, field, _WALL_EXPECTED, value)
    return time(int(match[1]), int(match[2]))


def zone_named(name: object, owner: str, field: str) -> ZoneInfo:
    """The IANA zone ``name``, checked before the file system is asked. Courier's profile
    form ``UTC+4`` (whole hours, -12 to +14) is read as the fixed zone ``Etc/GMT-4``.

    Examples:
        >>> zone_named("Europe/London", "at", "tz").key
        'Europe/London'
        >>> zone_named("UTC+4", "at", "tz").key  # POSIX signs: Etc/GMT-4 is four hours ahead
        'Etc/GMT-4'
    """
    if not isinstance(name, str):
        raise ValidationTypeError(owner, field, _ZONE_EXPECTED, name)
    offset = _UTC_OFFSET.fullmatch(name)
    if offset is not None:
        hours = int(offset[2]) * (1 if offset[1] == "+" else -1)
        if not -12 <= hours <= 14:
            raise ValidationError(owner, field, _ZONE_EXPECTED + " (or UTC-12 to UTC+14)", name)
        name = f"Etc/GMT{-hours:+d}" if hours else "Etc/GMT"
    if (
        len(name) > 64
        or has_surrogate(name)
        or not _ZONE_NAME.fullmatch(name)
        or name in _NOT_ZONES
        or name.startswith(("posix/", "right/"))
    ):
        raise ValidationError(owner, field, _ZONE_EXPECTED, name)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValidationError(owner, field, _ZONE_EXPECTED, name) from None


@functools.lru_cache(maxsize=1024)
def _known_zone(name: str) -> ZoneInfo | None:
    """The zone a recipient's profile names, or ``None``: remembered, since a batch of
    100,000 recipients names a few dozen zones."""
    try:
        return zone_named(name, "run context", "timezone")
    except ValidationError:
        return None


@attrs.frozen(slots=True)
class LocalInstant:
    """Where a local time lands for one recipient: the instant in UTC and in the zone,
    and whether the wall time fell in a DST gap (moved forward) or fold (happened twice).

    Examples:
        >>> from datetime import UTC, datetime
        >>> from zoneinfo import ZoneInfo
        >>> when = next_local(datetime(2026, 3, 8, tzinfo=UTC), time(2, 30),
        ...                   ZoneInfo("America/New_York"), None)
        >>> when.local.strftime("%H:%M %Z"), when.gap
        ('03:30 EDT', True)
    """

    utc: datetime
    local: datetime
    zone: str
    gap: bool = False
    fold: bool = False


def _candidate(day: date, wall: time, zone: ZoneInfo, fold: Fold) -> tuple[datetime, bool, bool]:
    """The instant of ``wall`` on local date ``day``: (utc, in a gap, in a fold)."""
    naive = datetime.combine(day, wall)
    first = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    second = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    if first == second:
        return first, False, False
    exists = first.astimezone(zone).replace(tzinfo=None) == naive
    if exists:  # a fold: both occurrences are this wall time
        return (max(first, second) if fold == "later" else min(first, second)), False, True
    # PEP 495: fold=0 reads a missing time with the offset before the transition, which
    # moves it forward by the gap; the later of the two readings, whatever the zone's rule.
    return max(first, second), True, False


def next_local(
    after: datetime,
    wall: time,
    zone: ZoneInfo,
    days: frozenset[int] | None,
    *,
    fold: Fold = "earlier",
    on_gap: OnGap = "forward",
) -> LocalInstant:
    """The first instant at ``wall`` in ``zone``, on an allowed day, not before ``after``.

    Examples:
        >>> from datetime import UTC, datetime
        >>> from zoneinfo import ZoneInfo
        >>> new_york = ZoneInfo("America/New_York")
        >>> early = next_local(datetime(2026, 11, 1, tzinfo=UTC), time(1, 30), new_york, None)
        >>> late = next_local(datetime(2026, 11, 1, tzinfo=UTC), time(1, 30), new_york, None,
        ...                   fold="later")
        >>> early.utc.strftime("%H:%M"), late.utc.strftime("%H:%M"), early.fold
        ('05:30', '06:30', True)
    """
    if after.tzinfo is None or after.utcoffset() is None:
        raise ValidationError("next_local", "after", "an aware datetime", after)
    try:
        day = after.astimezone(zone).date()
        for _ in range(9):  # a week of allowed days, and a day either side for the offsets
            if days is None or day.weekday() in days:
                utc, gap, folded = _candidate(day, wall, zone, fold)
                if utc >= after:
                    if gap and on_gap == "raise":
                        raise ValidationError(
                            "at",
                            "on_gap",
                            f"a wall time that exists on {day.isoformat()} in {zone.key}",
                            wall.strftime("%H:%M"),
                            hint="the clocks skip it (spring forward): on_gap='forward' moves "
                            "it forward by the gap",
                        )
                    return LocalInstant(utc, utc.astimezone(zone), zone.key, gap, folded)
            day += timedelta(days=1)
    except OverflowError:
        raise ValidationError(
            "next_local", "after", "a moment a week or more inside years 1 to 9999", after
        ) from None
    raise ValidationError("next_local", "days", "at least one allowed weekday", days)


def _zone_path(value: object) -> Ref | None:
    """The ``Ref`` of a zone given as a path (``profile.timezone``), or ``None``."""
    if isinstance(value, str):
        return None
    ref = as_ref(value)
    if ref is None:
        raise ValidationTypeError("at", "tz", _TZ_EXPECTED, value)
    if ref.path.partition(".")[0] not in _ROOTS or "." not in ref.path:
        raise ValidationError(
            "at", "tz", "a path under profile. or data. (read per recipient)", ref.path
        )
    return ref


def _read(context: Mapping[str, Any], path: str) -> object:
    node: object = context
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


@attrs.frozen(slots=True, repr=False)
class LocalTime:
    """A wall-clock time in each recipient's zone; made by `at`, resolved per recipient.

    Examples:
        >>> from datetime import UTC, datetime
        >>> from automation_dsl.conditions import profile
        >>> nine = at("09:00", tz=profile.timezone, fallback="UTC")
        >>> start = datetime(2026, 6, 1, 12, tzinfo=UTC)
        >>> nine.resolve(start, {"profile": {"timezone": "Asia/Kolkata"}}).utc.isoformat()
        '2026-06-02T03:30:00+00:00'
        >>> nine.resolve(start, {}).zone  # no zone in the profile: the fallback
        'UTC'
    """

    OWNER: ClassVar[str] = "at"

    time: time
    tz: str | Ref
    days: frozenset[int] | None = None
    fallback: str | None = None
    fold: Fold = "earlier"
    on_gap: OnGap = "forward"

    def __attrs_post_init__(self) -> None:
        """Check the fields as `at` leaves them, so a `LocalTime` made directly (or by
        ``attrs.evolve``) is refused here, not when a recipient's run resolves it."""
        if not isinstance(self.time, time):
            raise ValidationTypeError(self.OWNER, "time", "a naive datetime.time", self.time)
        parse_wall(self.time, self.OWNER, "time")
        if isinstance(self.tz, str):
            zone_named(self.tz, self.OWNER, "tz")
        elif not isinstance(self.tz, Ref):
            raise ValidationTypeError(self.OWNER, "tz", _TZ_EXPECTED, self.tz)
        else:
            _zone_path(self.tz)
        days = self.days
        if days is not None and (
            not isinstance(days, frozenset) or not days or not days <= frozenset(range(7))
        ):
            raise ValidationError(
                self.OWNER, "days", "a non-empty frozenset of weekdays, 0 (Mo) to 6 (Su)", days
            )
        if self.fallback is not None:
            zone_named(self.fallback, self.OWNER, "fallback")
        if self.fold not in ("earlier", "later"):
            raise ValidationError(self.OWNER, "fold", "'earlier' or 'later'", self.fold)
        if self.on_gap not in ("forward", "raise"):
            raise ValidationError(self.OWNER, "on_gap", "'forward' or 'raise'", self.on_gap)

    def zone_for(self, context: Mapping[str, Any] | None = None) -> ZoneInfo:
        """The zone for one run: the fixed zone, or the one its context names (else the
        fallback; else a `ValidationError` at the path)."""
        if isinstance(self.tz, str):
            return ZoneInfo(self.tz)
        value = _read(context or {}, self.tz.path)
        if value is None or value == "":
            if self.fallback is not None:
                return ZoneInfo(self.fallback)
            raise ValidationError(
                "run context",
                self.tz.path.rpartition(".")[2],
                _ZONE_EXPECTED + f" (the local time {self.describe()} reads it)",
                value,
                path=self.tz.path,
                hint="give this recipient a zone, or at(..., fallback='UTC')",
            )
        known = _known_zone(value) if isinstance(value, str) and len(value) <= 64 else None
        if known is not None:
            return known
        if self.fallback is not None:
            return ZoneInfo(self.fallback)
        try:  # not a usable zone: zone_named says why
            return zone_named(value, "run context", self.tz.path.rpartition(".")[2])
        except ValidationError as error:
            raise error.at(self.tz.path.rpartition(".")[0]) from None

    def resolve(self, after: datetime, context: Mapping[str, Any] | None = None) -> LocalInstant:
        """Where this local time lands for a run whose context is ``context``, reached at
        ``after``."""
        zone = self.zone_for(context)
        return next_local(after, self.time, zone, self.days, fold=self.fold, on_gap=self.on_gap)

    def describe(self) -> str:
        """One line: ``09:00 Mo-Fr in profile.timezone (else UTC)``."""
        zone = self.tz if isinstance(self.tz, str) else self.tz.path
        text = self.time.strftime("%H:%M")
        if self.days is not None and len(self.days) < 7:
            text += " " + format_days(self.days)
        text += f" in {zone}"
        if self.fallback is not None:
            text += f" (else {self.fallback})"
        return text

    def to_wire(self) -> dict[str, Any]:
        """The document form: ``{"$local": {...}}``; never sent to Courier (resolved first)."""
        body: dict[str, Any] = {"at": self.time.strftime("%H:%M")}
        body["tz"] = self.tz if isinstance(self.tz, str) else self.tz.to_wire()
        if self.days is not None:
            body["days"] = format_days(self.days)
        if self.fallback is not None:
            body["fallback"] = self.fallback
        if self.fold != "earlier":
            body["fold"] = self.fold
        if self.on_gap != "forward":
            body["on_gap"] = self.on_gap
        return {"$local": body}

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> LocalTime:
        """Read the document form back."""
        body = data.get("$local")
        if not isinstance(body, Mapping) or len(data) != 1:
            raise ValidationTypeError("delay step", "until", '{"$local": {...}}', data)
        unknown = set(body) - {"at", "tz", "days", "fallback", "fold", "on_gap"}
        if unknown:
            raise ValidationError(
                "delay step",
                "until",
                "the keys at, tz, days, fallback, fold, on_gap",
                sorted(unknown)[0],
            )
        if "at" not in body or "tz" not in body:
            raise ValidationError("delay step", "until", '"$local" with "at" and "tz"', data)
        options = {key: body[key] for key in ("days", "fallback", "fold", "on_gap") if key in body}
        try:
            return at(body["at"], tz=body["tz"], **options)
        except ValidationError as error:  # named by the document's keys, where they are
            key = _DOCUMENT_KEYS.get(error.field, error.field)
            raise type(error)(
                "delay step",
                key.rpartition(".")[2],
                error.expected,
                error.got,
                hint=error.hint,
                path=f"until.$local.{key}",
            ) from None

    def __repr__(self) -> str:
        args = [repr(self.time.strftime("%H:%M"))]
        args.append(f"tz={self.tz!r}" if isinstance(self.tz, str) else f"tz={self.tz.path}")
        if self.days is not None:
            args.append(f"days={format_days(self.days)!r}")
        if self.fallback is not None:
            args.append(f"fallback={self.fallback!r}")
        if self.fold != "earlier":
            args.append(f"fold={self.fold!r}")
        if self.on_gap != "forward":
            args.append(f"on_gap={self.on_gap!r}")
        return f"at({', '.join(args)})"


def at(
    time: str | time,
    *,
    tz: str | RefLike,
    days: str | Iterable[str] | None = None,
    fallback: str | None = None,
    fold: Fold = "earlier",
    on_gap: OnGap = "forward",
) -> LocalTime:
    """A wall-clock time in each recipient's zone, for ``delay(until=...)``.

    Args:
        time: ``"HH:MM"`` or a naive ``datetime.time`` (to the minute).
        tz: a fixed IANA zone (``"Europe/London"``), or where each run's zone is: a path
            under ``profile.`` or ``data.`` (``profile.timezone``, ``Ref("data.tz")``).
        days: the weekdays allowed (``"Mo-Fr"``, ``"Sa,Su"``); every day by default.
        fallback: the IANA zone of recipients without a usable one; without it, such a
            recipient is a `ValidationError` naming the path.
        fold: which occurrence of a wall time that happens twice (fall back) counts:
            ``"earlier"`` (the default) or ``"later"``.
        on_gap: a wall time the clocks skip (spring forward) moves ``"forward"`` by the gap
            (the default), or is an error with ``"raise"``.

    Examples:
        >>> from automation_dsl import Automation
        >>> from automation_dsl.conditions import profile
        >>> flow = Automation().delay(until=at("09:00", tz=profile.timezone, days="Mo-Fr"))
        >>> flow.to_dict()["steps"][0]["until"]
        {'$local': {'at': '09:00', 'tz': {'$ref': 'profile.timezone'}, 'days': 'Mo-Fr'}}
    """
    wall = parse_wall(time, "at", "time")
    path = _zone_path(tz)
    zone: str | Ref = zone_named(tz, "at", "tz").key if path is None else path
    if fallback is not None:
        fallback = zone_named(fallback, "at", "fallback").key
    return LocalTime(wall, zone, parse_days(days, "at", "days"), fallback, fold, on_gap)
