"""Courier's delivery windows: the Send API's ``message.delay``, typed and validated.

A v2 ``send`` step's message may carry ``delay`` (Courier's Send API): ``duration`` in
milliseconds, ``until`` as an ISO 8601 timestamp *or* an opening-hours expression such as
``Mo-Fr 09:00-12:00,14:00-18:00``, and ``timezone``, an IANA zone that takes precedence over
the recipient's profile zone. [`MessageDelay`][] holds one such value; [`OpeningHours`][]
holds a parsed opening-hours expression and answers `OpeningHours.next_open`: the first
instant, not earlier than a given one, at which the window is open.

The grammar, as this library reads Courier's partial implementation of OpenStreetMap's
``opening_hours`` (docs/local-time.md says which rules are Courier's and which are ours)::

    hours    = rule *( [" "] ";" [" "] rule )
    rule     = [ dates [" "] ":" " " ] [ weekdays " " ] spans
    dates    = date *( "," date )
    date     = MONTH [ "-" MONTH ]                    ; Jun, Jun-Aug, Nov-Feb
             | MONTH " " DAY [ "-" [ MONTH " " ] DAY ] ; Oct 31, Dec 24-26, Dec 24-Jan 02
    weekdays = weekday *( "," weekday )
    weekday  = WD [ "-" WD ]                           ; Mo, Mo-Fr, Fr-Mo (wraps), Su-Sa
    spans    = span *( "," [" "] span )
    span     = HH:MM "-" HH:MM                         ; 00:00 to 24:00; end <= start
                                                       ; runs past midnight; end = start
                                                       ; is one instant ("only at 11:00")

Examples:
    >>> from datetime import UTC, datetime
    >>> from zoneinfo import ZoneInfo
    >>> delay = MessageDelay(until="Mo-Fr 09:00-17:00", timezone="America/New_York")
    >>> delay.to_wire()
    {'until': 'Mo-Fr 09:00-17:00', 'timezone': 'America/New_York'}
    >>> friday_evening = datetime(2026, 3, 6, 20, 0, tzinfo=ZoneInfo("America/New_York"))
    >>> delay.deliver_at(friday_evening).isoformat()
    '2026-03-09T09:00:00-04:00'
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from datetime import timezone as fixed_zone
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

import attrs

from ._errors import ValidationError, ValidationTypeError
from ._ref import Ref
from ._time import MAX_DURATION, utc_offset

__all__ = ["MessageDelay", "OpeningHours"]

OWNER = "message delay"
"""The owner named by errors about a ``message.delay``."""

MAX_HOURS_LENGTH = 1000
"""The longest opening-hours expression accepted, in characters (this library's bound)."""

HORIZON = timedelta(days=90)
"""How far `OpeningHours.next_open` looks: Courier errors a message whose window does not
open within 90 days."""

WEEKDAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_DAY = 1440  # minutes

_UNSUPPORTED = (
    "Courier supports part of opening_hours: months, dates, weekdays and HH:MM-HH:MM spans "
    "(no off, PH, SH, 24/7, week, years, open ends or comments)"
)

# -- the parsed expression ------------------------------------------------------------------


@attrs.frozen(slots=True)
class Span:
    """A time span of a rule, in minutes from midnight: ``end <= start`` runs past midnight."""

    start: int
    end: int

    def render(self) -> str:
        return f"{_hhmm(self.start)}-{_hhmm(self.end)}"


@attrs.frozen(slots=True)
class DateRange:
    """Months and days a rule applies to: ``day`` ``None`` means the whole month."""

    first_month: int
    first_day: int | None
    last_month: int
    last_day: int | None

    def covers(self, day: date) -> bool:
        lo = self.first_month * 100 + (self.first_day or 1)
        hi = self.last_month * 100 + (self.last_day or 31)
        key = day.month * 100 + day.day
        return lo <= key <= hi if lo <= hi else (key >= lo or key <= hi)

    def render(self) -> str:
        first = MONTHS[self.first_month - 1]
        if self.first_day is None:
            last = MONTHS[self.last_month - 1]
            return first if self.first_month == self.last_month else f"{first}-{last}"
        text = f"{first} {self.first_day:02d}"
        if (self.last_month, self.last_day) == (self.first_month, self.first_day):
            return text
        if self.last_month == self.first_month:
            return f"{text}-{self.last_day:02d}"
        return f"{text}-{MONTHS[self.last_month - 1]} {self.last_day:02d}"


@attrs.frozen(slots=True)
class Rule:
    """One ``;``-separated rule: dates (empty: every date), weekdays (``None``: every day)
    and its spans."""

    dates: tuple[DateRange, ...]
    weekdays: frozenset[int] | None
    spans: tuple[Span, ...]

    def applies(self, day: date) -> bool:
        if self.weekdays is not None and day.weekday() not in self.weekdays:
            return False
        return not self.dates or any(d.covers(day) for d in self.dates)

    def render(self) -> str:
        parts = []
        if self.dates:
            parts.append(",".join(d.render() for d in self.dates) + ":")
        if self.weekdays is not None:
            parts.append(",".join(WEEKDAYS[d] for d in sorted(self.weekdays)))
        parts.append(",".join(s.render() for s in self.spans))
        return " ".join(parts)


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


_CLOCK = re.compile(r"([0-9]{2}):([0-9]{2})")


class _Parser:
    """A recursive-descent reader of the grammar above; errors give the position."""

    def __init__(self, text: str, owner: str, field: str) -> None:
        self.text, self.owner, self.field, self.pos = text, owner, field, 0

    def fail(self, expected: str, at: int | None = None) -> ValidationError:
        where = self.pos if at is None else at
        return ValidationError(
            self.owner,
            self.field,
            f"an opening-hours expression: {expected} at position {where}",
            self.text,
            hint=_UNSUPPORTED,
        )

    def peek(self, n: int = 1) -> str:
        return self.text[self.pos : self.pos + n]

    def spaces(self) -> int:
        start = self.pos
        while self.peek() == " ":
            self.pos += 1
        return self.pos - start

    def rules(self) -> tuple[Rule, ...]:
        rules = [self.rule()]
        while self.pos < len(self.text):
            self.spaces()
            if self.peek() != ";":
                raise self.fail("';' between rules, or ',' between spans")
            self.pos += 1
            self.spaces()
            rules.append(self.rule())
        return tuple(rules)

    def rule(self) -> Rule:
        dates: tuple[DateRange, ...] = ()
        weekdays: frozenset[int] | None = None
        if self.peek(3) in MONTHS:
            dates = self.dates()
            self.spaces()
            if self.peek() != ":":
                raise self.fail("':' after the dates")
            self.pos += 1
            if not self.spaces():
                raise self.fail("a space after ':'")
        if self.peek(2) in WEEKDAYS:
            weekdays = self.weekdays()
            if not self.spaces():
                raise self.fail("a space between the weekdays and the times")
        bare = not dates and weekdays is None
        spans = [self.span("a weekday, a month or a time HH:MM" if bare else None)]
        while self.peek() == ",":
            self.pos += 1
            self.spaces()
            spans.append(self.span())
        return Rule(dates, weekdays, tuple(spans))

    def month(self) -> int:
        name = self.peek(3)
        if name not in MONTHS:
            raise self.fail("a month (Jan..Dec)")
        self.pos += 3
        return MONTHS.index(name) + 1

    def day(self, month: int) -> int:
        start = self.pos
        while self.peek().isdigit() and self.pos - start < 2:
            self.pos += 1
        digits = self.text[start : self.pos]
        if not digits or self.peek().isdigit() or not 1 <= int(digits) <= _MONTH_DAYS[month - 1]:
            raise self.fail(f"a day of {MONTHS[month - 1]} (1..{_MONTH_DAYS[month - 1]})", start)
        return int(digits)

    def dates(self) -> tuple[DateRange, ...]:
        ranges = [self.date_range()]
        while self.peek() == ",":
            self.pos += 1
            ranges.append(self.date_range())
        return tuple(ranges)

    def date_range(self) -> DateRange:
        month = self.month()
        if self.peek() != " " or not self.text[self.pos + 1 : self.pos + 2].isdigit():
            last = month
            if self.peek() == "-":
                self.pos += 1
                last = self.month()
            return DateRange(month, None, last, None)
        self.pos += 1
        day = self.day(month)
        last_month, last_day = month, day
        if self.peek() == "-":
            self.pos += 1
            if self.peek(3) in MONTHS:
                last_month = self.month()
                if self.peek() != " ":
                    raise self.fail("a space and a day after the month")
                self.pos += 1
            last_day = self.day(last_month)
        return DateRange(month, day, last_month, last_day)

    def weekdays(self) -> frozenset[int]:
        days: set[int] = set()
        while True:
            first = self.weekday()
            last = first
            if self.peek() == "-":
                self.pos += 1
                last = self.weekday()
            days.update((first + i) % 7 for i in range((last - first) % 7 + 1))
            if self.peek() != ",":
                return frozenset(days)
            self.pos += 1

    def weekday(self) -> int:
        name = self.peek(2)
        if name not in WEEKDAYS:
            raise self.fail("a weekday (Mo, Tu, We, Th, Fr, Sa, Su)")
        self.pos += 2
        return WEEKDAYS.index(name)

    def span(self, expected: str | None = None) -> Span:
        start = self.clock(end=False, expected=expected)
        if self.peek() != "-":
            raise self.fail("'-' and a closing time HH:MM")
        self.pos += 1
        return Span(start, self.clock(end=True))

    def clock(self, *, end: bool, expected: str | None = None) -> int:
        at = self.pos
        match = _CLOCK.match(self.text, self.pos)
        if match is None:
            raise self.fail(
                expected or ("a closing time HH:MM" if end else "an opening time HH:MM")
            )
        hours, minutes = int(match[1]), int(match[2])
        if minutes > 59 or hours > 24 or (hours == 24 and (minutes or not end)):
            raise self.fail("a time from 00:00 to 23:59 (24:00 only as a closing time)", at)
        self.pos = match.end()
        return hours * 60 + minutes


@functools.lru_cache(maxsize=1024)
def _parse(text: str, owner: str, field: str) -> tuple[Rule, ...]:
    return _Parser(text, owner, field).rules()


def _hours_text(value: Any, owner: str, field: str) -> str:
    if not isinstance(value, str):
        raise ValidationTypeError(owner, field, "an opening-hours string", value)
    if not value or len(value) > MAX_HOURS_LENGTH or not value.isascii():
        raise ValidationError(
            owner,
            field,
            f"a non-empty ASCII opening-hours expression of at most {MAX_HOURS_LENGTH} characters",
            value,
        )
    return value


@attrs.frozen(slots=True, init=False, eq=False, repr=False)
class OpeningHours:
    """A parsed opening-hours expression (Courier's delivery window), kept as written.

    Rules add up: a moment is open when any rule's span holds it, start included and end
    excluded, in local wall-clock time.

    Examples:
        >>> from datetime import UTC, datetime
        >>> hours = OpeningHours("Mo-Fr 09:00-12:00,14:00-18:00")
        >>> hours.next_open(datetime(2026, 1, 2, 12, 30, tzinfo=UTC), UTC).isoformat()
        '2026-01-02T14:00:00+00:00'
        >>> try:
        ...     OpeningHours("Mo-Fr 9:00-17:00")
        ... except ValidationError as exc:
        ...     print(exc.expected)
        an opening-hours expression: an opening time HH:MM at position 6
    """

    text: str
    rules: tuple[Rule, ...] = attrs.field(init=False)

    def __init__(self, text: str, *, owner: str = OWNER, field: str = "until") -> None:
        for name, value in (("owner", owner), ("field", field)):
            if not isinstance(value, str):  # they name the field in errors, and key a cache
                raise ValidationTypeError("OpeningHours", name, "a string", value)
        text = _hours_text(text, owner, field)
        self.__attrs_init__(text)  # pyright: ignore[reportAttributeAccessIssue]
        object.__setattr__(self, "rules", _parse(text, owner, field))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, OpeningHours) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)

    def __repr__(self) -> str:
        return f"OpeningHours({self.text!r})"

    def _intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        """The wall-clock intervals the rules open on ``day`` (naive datetimes)."""
        midnight = datetime.combine(day, time())
        out = []
        for rule in self.rules:
            if rule.applies(day):
                for span in rule.spans:
                    end = span.end if span.end >= span.start else span.end + _DAY
                    out.append(
                        (
                            midnight + timedelta(minutes=span.start),
                            midnight + timedelta(minutes=end),
                        )
                    )
        return out

    def is_open_at(self, wall: datetime) -> bool:
        """Whether a local wall-clock time (naive) is inside a window."""
        for day in (wall.date() - timedelta(days=1), wall.date()):
            for start, end in self._intervals(day):
                if start <= wall < end or start == end == wall:
                    return True
        return False

    def next_open(self, after: datetime, zone: tzinfo) -> datetime:
        """The first instant not earlier than ``after`` at which a window is open in ``zone``.

        Wall-clock times are read in ``zone``: an opening time that falls in a DST gap opens
        at the first instant that exists after it (the transition); in a fold, the wall clock
        shows a span twice, and it is open both times. Returned in ``zone``.

        Raises:
            ValidationError: ``after`` is naive, or no window opens within `HORIZON` (Courier
                errors such a message).

        Examples:
            >>> from datetime import datetime
            >>> from zoneinfo import ZoneInfo
            >>> ny = ZoneInfo("America/New_York")
            >>> gap_day = datetime(2026, 3, 8, 0, 0, tzinfo=ny)  # 02:00-03:00 does not exist
            >>> OpeningHours("Su 02:30-05:00").next_open(gap_day, ny).isoformat()
            '2026-03-08T03:00:00-04:00'
        """
        if not isinstance(after, datetime) or utc_offset(after, OWNER, "after") is None:
            raise ValidationError(OWNER, "after", "a timezone-aware datetime", after)
        if not isinstance(zone, tzinfo):
            raise ValidationTypeError(OWNER, "zone", "a tzinfo (a ZoneInfo)", zone)
        try:
            return self._next_open(after.astimezone(UTC), zone)
        except OverflowError:
            raise ValidationError(
                OWNER,
                "after",
                f"a moment {HORIZON.days} days or more inside years 1 to 9999",
                after,
            ) from None

    def _next_open(self, instant: datetime, zone: tzinfo) -> datetime:
        wall = _wall(instant, zone)
        if self.is_open_at(wall):
            return instant.astimezone(zone)
        best: datetime | None = None
        first = wall.date() - timedelta(days=1)
        for offset in range(HORIZON.days + 3):
            day = first + timedelta(days=offset)
            if best is not None and day > _wall(best, zone).date() + timedelta(days=1):
                break
            for start, _end in self._intervals(day):
                for moment in _instants(start, zone):
                    if moment >= instant and (best is None or moment < best):
                        best = moment
        limit = instant + HORIZON
        best = self._fold_entry(instant, best if best is not None else limit, zone) or best
        if best is None or best > limit:
            raise ValidationError(
                OWNER,
                "until",
                f"a delivery window that opens within {HORIZON.days} days of "
                f"{instant.isoformat()} in {zone}",
                self.text,
            )
        return best.astimezone(zone)

    def _fold_entry(self, after: datetime, before: datetime, zone: tzinfo) -> datetime | None:
        """The first instant in [after, before) where a fold sets the wall clock back into
        a window, if any."""
        step = timedelta(hours=6)
        moment = after
        while moment < before:
            upto = min(moment + step, before)
            offset_then, offset_next = (
                moment.astimezone(zone).utcoffset(),
                upto.astimezone(zone).utcoffset(),
            )
            if offset_then is not None and offset_next is not None and offset_next < offset_then:
                change = _transition(moment, upto, zone)
                if change >= after and change < before and self.is_open_at(_wall(change, zone)):
                    return change
            moment = upto
        return None


def _wall(instant: datetime, zone: tzinfo) -> datetime:
    return instant.astimezone(zone).replace(tzinfo=None, fold=0)


def _instants(wall: datetime, zone: tzinfo) -> list[datetime]:
    """The instants a wall-clock time names: one, two in a fold, or (in a gap) the first
    instant that exists after it."""
    early = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    late = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    if early <= late:  # one instant, or the two of a fold
        return [early] if early == late else [early, late]
    return [_transition(late, early, zone)]  # a gap: the clock jumps over ``wall``


def _transition(low: datetime, high: datetime, zone: tzinfo) -> datetime:
    """The first instant in (low, high] whose UTC offset differs from ``low``'s (to the
    second; zone transitions fall on whole seconds)."""
    offset = low.astimezone(zone).utcoffset()
    lo, hi = low, high
    while hi - lo > timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        mid = mid.replace(microsecond=0)
        if mid <= lo:
            mid = lo + timedelta(seconds=1)
        if mid.astimezone(zone).utcoffset() == offset:
            lo = mid
        else:
            hi = mid
    return hi


# -- zones ------------------------------------------------------------------------------------

_ZONE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]{0,31}(/[A-Za-z0-9_+\-]{1,32}){0,2}")
_NOT_ZONES = frozenset({"localtime", "Factory", "posixrules"})
_UTC_OFFSET = re.compile(r"UTC([+-])([0-9]{1,2})(?::([0-9]{2}))?")


@functools.cache
def _iana_names() -> frozenset[str]:
    return frozenset(available_timezones()) - _NOT_ZONES


def zone_named(name: Any, owner: str = OWNER, field: str = "timezone") -> ZoneInfo:
    """An IANA zone by name, checked against the list of zones before any file is opened:
    a path, a dotted or non-ASCII name, or a name not in the tz database is refused.

    Examples:
        >>> zone_named("Europe/London").key
        'Europe/London'
    """
    if not isinstance(name, str):
        raise ValidationTypeError(owner, field, "an IANA time zone name", name)
    if not (len(name) <= 64 and _ZONE_NAME.fullmatch(name) and name in _iana_names()):
        raise ValidationError(
            owner,
            field,
            "an IANA time zone name such as 'America/New_York' or 'UTC'",
            name,
        )
    return ZoneInfo(name)


def profile_zone(name: Any, field: str) -> tzinfo:
    """A recipient's zone as Courier reads a profile's ``zoneinfo``/``timezone``: an IANA
    name or ``UTC+4`` / ``UTC-5`` (also ``UTC+5:30``, this library's reading).

    Examples:
        >>> profile_zone("UTC+4", "timezone")
        datetime.timezone(datetime.timedelta(seconds=14400), 'UTC+4')
    """
    if isinstance(name, str) and (match := _UTC_OFFSET.fullmatch(name)):
        hours, minutes = int(match[2]), int(match[3] or 0)
        if hours <= 14 and minutes < 60:
            sign = -1 if match[1] == "-" else 1
            return fixed_zone(sign * timedelta(hours=hours, minutes=minutes), name)
    return zone_named(name, "recipient profile", field)


# -- until timestamps ---------------------------------------------------------------------------

_ISO = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})"
    r"(?:T([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,6}))?)?"
    r"(Z|[+-][0-9]{1,2}(?::?[0-9]{2})?))?"
)


def _parse_iso(text: str, owner: str, field: str) -> datetime | date:
    match = _ISO.fullmatch(text)
    try:
        if match is None:
            raise ValueError(text)
        day = date(int(match[1]), int(match[2]), int(match[3]))
        if match[4] is None:
            return day
        fraction = int((match[7] or "0").ljust(6, "0"))
        moment = datetime.combine(
            day, time(int(match[4]), int(match[5]), int(match[6] or 0), fraction)
        )
        zone = match[8]
        if zone == "Z":
            return moment.replace(tzinfo=UTC)
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        hours, minutes = (
            (int(digits[:-2]), int(digits[-2:])) if len(digits) > 2 else (int(digits), 0)
        )
        return moment.replace(tzinfo=fixed_zone(sign * timedelta(hours=hours, minutes=minutes)))
    except ValueError:
        raise ValidationError(
            owner,
            field,
            "an ISO 8601 date (2025-01-01) or timestamp with an offset "
            "(2024-10-11T06:37:25Z, 2024-10-11T06:37:25+07:00), or an opening-hours expression",
            text,
        ) from None


def _until(value: Any, owner: str = OWNER, field: str = "until") -> datetime | date | OpeningHours:
    if isinstance(value, OpeningHours):
        return value
    if isinstance(value, datetime):
        if value.utcoffset() is None:
            raise ValidationError(
                owner, field, "a timezone-aware datetime", value, hint="attach a tzinfo"
            )
        try:
            return value.astimezone(UTC).replace(microsecond=value.microsecond // 1000 * 1000)
        except OverflowError:
            raise ValidationError(owner, field, "a datetime that exists in UTC", value) from None
    if isinstance(value, date):
        return value
    if isinstance(value, str) and re.match(r"[0-9]{4}-", value):
        if len(value) > 64:
            raise ValidationError(owner, field, "an ISO 8601 timestamp", value)
        return _until(_parse_iso(value, owner, field), owner, field)
    if isinstance(value, str):
        return OpeningHours(value, owner=owner, field=field)
    raise ValidationTypeError(
        owner, field, "an aware datetime, a date, or an opening-hours string", value
    )


def _until_field(
    value: datetime | date | OpeningHours | str | None,
) -> datetime | date | OpeningHours | None:
    return None if value is None else _until(value)


def _format_until(value: datetime | date | OpeningHours) -> str:
    if isinstance(value, OpeningHours):
        return value.text
    if isinstance(value, datetime):
        millis = value.microsecond // 1000
        text = value.replace(microsecond=0, tzinfo=None).isoformat()  # four-digit years
        return f"{text}.{millis:03d}Z" if millis else f"{text}Z"
    return value.isoformat()


# -- the delay --------------------------------------------------------------------------------


def _duration(value: timedelta | None) -> timedelta | None:
    owner = OWNER
    if value is None:
        return None
    if not isinstance(value, timedelta):
        raise ValidationTypeError(owner, "duration", "a timedelta", value)
    if value <= timedelta(0) or value > MAX_DURATION or value.microseconds % 1000:
        raise ValidationError(
            owner,
            "duration",
            f"a positive timedelta of whole milliseconds, at most {MAX_DURATION.days} days",
            value,
        )
    return value


def _timezone(value: str | ZoneInfo | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, ZoneInfo):
        value = value.key
    return zone_named(value).key


def _check(instance: MessageDelay) -> None:
    if (instance.duration is None) == (instance.until is None):
        raise ValidationError(
            OWNER,
            "duration" if instance.duration is not None else "until",
            "exactly one of duration and until (Courier delays one of three ways)",
            instance.to_wire() if instance.duration is not None else {},
        )
    if instance.timezone is not None and not isinstance(instance.until, OpeningHours):
        raise ValidationError(
            OWNER,
            "timezone",
            "no timezone unless until is an opening-hours expression (Courier resolves "
            "only opening hours in it)",
            instance.timezone,
        )


@attrs.frozen(slots=True, kw_only=True)
class MessageDelay:
    """The Send API's ``message.delay``: a duration, an instant, or a delivery window.

    * ``duration``: a ``timedelta`` of whole milliseconds, written as milliseconds (Courier
      rounds it up to the next minute).
    * ``until``: an aware ``datetime`` (written in UTC, ``2024-10-11T06:37:25Z``), a ``date``
      (``2025-01-01``), or an opening-hours expression (``Mo-Fr 09:00-17:00``), checked
      against Courier's opening-hours grammar as [`OpeningHours`][] reads it.
    * ``timezone``: an IANA zone for the opening hours; it wins over the recipient's
      profile zone.

    Examples:
        >>> from datetime import timedelta
        >>> MessageDelay(duration=timedelta(minutes=2)).to_wire()
        {'duration': 120000}
        >>> MessageDelay.from_wire({"until": "Mo 09:00-12:00, 14:00-18:00"}).until
        OpeningHours('Mo 09:00-12:00, 14:00-18:00')
    """

    duration: timedelta | None = attrs.field(default=None, converter=_duration)
    until: datetime | date | OpeningHours | None = attrs.field(default=None, converter=_until_field)
    timezone: str | None = attrs.field(default=None, converter=_timezone)

    def __attrs_post_init__(self) -> None:
        _check(self)

    @property
    def window(self) -> OpeningHours | None:
        """The opening hours, when ``until`` is a delivery window."""
        return self.until if isinstance(self.until, OpeningHours) else None

    def to_wire(self) -> dict[str, Any]:
        """The Send API JSON of this delay."""
        out: dict[str, Any] = {}
        if self.duration is not None:
            out["duration"] = self.duration // timedelta(milliseconds=1)
        if self.until is not None:
            out["until"] = _format_until(self.until)
        if self.timezone is not None:
            out["timezone"] = self.timezone
        return out

    @classmethod
    def from_wire(cls, value: Any) -> MessageDelay:
        """Read a ``message.delay`` as the Send API takes it (``null`` members are absent)."""
        if not isinstance(value, Mapping):
            raise ValidationTypeError(OWNER, "delay", "a mapping", value)
        unknown = [key for key in value if key not in ("duration", "until", "timezone")]
        if unknown:
            raise ValidationError(
                OWNER, str(unknown[0]), "one of 'duration', 'until', 'timezone'", value[unknown[0]]
            )
        millis = value.get("duration")
        if millis is not None and (type(millis) is not int or millis <= 0):
            raise ValidationError(
                OWNER, "duration", "a positive whole number of milliseconds", millis
            )
        if millis is not None and millis > MAX_DURATION // timedelta(milliseconds=1):
            raise ValidationError(
                OWNER, "duration", f"at most {MAX_DURATION.days} days in milliseconds", millis
            )
        until = value.get("until")
        if until is not None and not isinstance(until, str):
            raise ValidationTypeError(
                OWNER, "until", "an ISO 8601 string or an opening-hours string", until
            )
        return cls(
            duration=None if millis is None else timedelta(milliseconds=millis),
            until=until,
            timezone=value.get("timezone"),
        )

    def deliver_at(self, sent_at: datetime, zone: tzinfo | None = None) -> datetime:
        """When Courier delivers a message sent at ``sent_at`` with this delay.

        ``zone`` is the recipient's zone (profile ``zoneinfo``/``timezone``), read only for
        a delivery window; ``timezone`` wins over it; UTC when neither is given. A duration
        is rounded up to whole minutes, as Courier does; an ``until`` in the past delivers
        at once.

        Examples:
            >>> from datetime import UTC, datetime, timedelta
            >>> sent = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
            >>> MessageDelay(duration=timedelta(seconds=90)).deliver_at(sent).time()
            datetime.time(12, 2)
        """
        if not isinstance(sent_at, datetime) or utc_offset(sent_at, OWNER, "sent_at") is None:
            raise ValidationError(OWNER, "sent_at", "a timezone-aware datetime", sent_at)
        if self.duration is not None:
            minutes = math.ceil(self.duration / timedelta(minutes=1))
            try:
                return sent_at + timedelta(minutes=minutes)
            except OverflowError:
                raise ValidationError(
                    OWNER, "sent_at", "a moment the delay ends before year 10000", sent_at
                ) from None
        until = self.until
        if isinstance(until, OpeningHours):
            chosen = ZoneInfo(self.timezone) if self.timezone is not None else zone
            return until.next_open(sent_at, chosen or UTC)
        moment = (
            until if isinstance(until, datetime) else datetime.combine(until, time(), tzinfo=UTC)  # type: ignore[arg-type]
        )
        return max(moment, sent_at)


# -- inside a v2 send step's message ----------------------------------------------------------


def lift_delay(message: Mapping[str, Any]) -> Mapping[str, Any]:
    """A message with a [`MessageDelay`][] at ``delay`` written as its Send API JSON.

    Examples:
        >>> lift_delay({"to": "u1", "delay": MessageDelay(duration=timedelta(hours=1))})
        {'to': 'u1', 'delay': {'duration': 3600000}}
    """
    delay = message.get("delay")
    if isinstance(delay, MessageDelay):
        return {**message, "delay": delay.to_wire()}
    return message


def check_delay(delay: Any) -> None:
    """Check a message's ``delay`` JSON as the Send API reads it, located under
    ``message.delay``; a ``$ref`` (read when the run is known) is not checked.

    Examples:
        >>> check_delay({"until": "Mo-Fr 09:00-17:00"})
        >>> try:
        ...     check_delay({"until": "Mo-Fr 9-17"})
        ... except ValidationError as exc:
        ...     print(exc.path)
        message.delay.until
    """
    if delay is None or isinstance(delay, Ref):
        return
    if isinstance(delay, Mapping) and any(isinstance(v, Ref) for v in delay.values()):
        return
    try:
        MessageDelay.from_wire(delay)
    except ValidationError as error:
        raise error.at("message.delay" if error.field != "delay" else "message") from None


def recipient_zone(profile: Mapping[str, Any]) -> tzinfo | None:
    """The zone Courier reads a recipient's delivery window in, from their profile (or the
    message's ``to``): ``zoneinfo`` first, then ``timezone``; ``None`` when neither is set.

    Examples:
        >>> recipient_zone({"timezone": "Europe/Paris", "zoneinfo": "Asia/Tokyo"})
        zoneinfo.ZoneInfo(key='Asia/Tokyo')
    """
    for key in ("zoneinfo", "timezone"):
        name = profile.get(key)
        if name is not None and name != "":
            return profile_zone(name, key)
    return None
