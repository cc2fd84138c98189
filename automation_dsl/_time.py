"""Time done right: ``until`` timestamps and durations in the forms Courier reads.

* ``until`` values are normalized to an aware UTC ``datetime`` truncated to
  milliseconds, and written as the seed's basic form ``YYYYMMDDTHHMMSS.fff``
  (default) or the extended form ``YYYY-MM-DDTHH:MM:SS.fffZ``. Naive datetimes are
  refused; strings without an offset are read as UTC, Courier's wire convention.
* Delay ``duration`` values use Courier's human form ``"<n> <unit>"``; a
  ``timedelta`` becomes the largest unit that divides it exactly.
* Batch and throttle periods use ISO 8601 durations (``PT5M``).
* A run reads a duration's length with months as 30 days and years as 365
  (`duration_seconds`, `duration_length`); `humanize` writes a
  length back in the largest exact unit.
* Nothing a step holds is longer than `MAX_DURATION` (10 years), so every length
  fits a ``datetime`` from now; months count as 30.5 days and years as 366 days when a
  length is measured against a bound.

Examples:
    >>> from datetime import timedelta
    >>> from automation_dsl._time import courier_duration, iso_duration
    >>> courier_duration(timedelta(hours=36), "delay step", "duration")
    '36 hours'
    >>> iso_duration(timedelta(minutes=5), "add-to-batch step", "wait_period")
    'PT5M'
"""

from __future__ import annotations

import math
import numbers
import re
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

from ._errors import ValidationError, ValidationTypeError

__all__ = ["UntilFormat"]  # the rest is private to the package


class UntilFormat(StrEnum):
    """How ``delay`` ``until`` timestamps are written on the wire.

    Examples:
        >>> UntilFormat("extended") is UntilFormat.EXTENDED
        True
    """

    BASIC = "basic"
    """``20240408T080910.123``: ISO 8601 basic format, UTC, milliseconds (the default)."""
    EXTENDED = "extended"
    """``2024-04-08T08:09:10.123Z``: ISO 8601 extended format with ``Z``."""


NAIVE_HINT = (
    "attach a tzinfo, for example dt.replace(tzinfo=timezone.utc) or "
    "dt.replace(tzinfo=ZoneInfo('Europe/Paris'))"
)
_UNTIL_EXPECTED = "an aware datetime, a date, or an ISO 8601 timestamp string"


def utc_offset(value: datetime, owner: str, field: str) -> timedelta | None:
    """``value.utcoffset()``; a tzinfo that cannot give one (it raises, or answers what is
    not an offset within a day) is a `ValidationError` naming ``field``.

    Examples:
        >>> utc_offset(datetime(2026, 1, 1, tzinfo=UTC), "plan", "now")
        datetime.timedelta(0)
    """
    try:
        return value.utcoffset()
    except Exception as error:  # a user's tzinfo: anything it raises is its fault
        raise ValidationError(
            owner,
            field,
            "a datetime whose tzinfo gives a UTC offset (a timedelta within a day)",
            value,
            hint=f"its utcoffset() raised {type(error).__name__}",
        ) from error


def to_utc(value: object, owner: str, field: str) -> datetime:
    """Return ``value`` as an aware UTC datetime truncated to milliseconds.

    A ``date`` means midnight UTC of that day; a string is parsed as ISO 8601 in
    basic or extended form, and read as UTC when it has no offset.
    """
    if type(value) is datetime and value.tzinfo is UTC and not value.microsecond % 1000:
        return value  # already normalized: the common case, kept cheap
    if isinstance(value, datetime):
        if value.tzinfo is None or utc_offset(value, owner, field) is None:
            raise ValidationError(owner, field, "a timezone-aware datetime", value, hint=NAIVE_HINT)
        moment = _in_utc(value, owner, field)
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day, tzinfo=UTC)
    elif isinstance(value, str):
        from dateutil.parser import isoparse  # on first use: it is slow to import

        try:
            moment = isoparse(value)
        except (ValueError, OverflowError):
            raise ValidationError(
                owner,
                field,
                "an ISO 8601 timestamp such as '20240408T080910.123' or '2024-04-08T08:09:10Z'",
                value,
            ) from None
        moment = (
            moment.replace(tzinfo=UTC) if moment.tzinfo is None else _in_utc(moment, owner, field)
        )
    else:
        raise ValidationTypeError(owner, field, _UNTIL_EXPECTED, value)
    return moment.replace(microsecond=moment.microsecond - moment.microsecond % 1000)


def _in_utc(moment: datetime, owner: str, field: str) -> datetime:
    """``moment.astimezone(UTC)``, refusing a moment outside UTC's years 1 to 9999."""
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValidationError(
            owner, field, "a moment between years 1 and 9999 in UTC", moment
        ) from None


def format_until(moment: datetime, fmt: UntilFormat | str) -> str:
    """Write a UTC datetime (from `to_utc`) in the chosen wire format."""
    if fmt is not UntilFormat.BASIC and fmt is not UntilFormat.EXTENDED:
        if fmt not in ("basic", "extended"):
            raise ValidationError("to_wire", "until_format", "'basic' or 'extended'", fmt)
        fmt = UntilFormat(fmt)
    m = moment
    millis = m.microsecond // 1000
    if fmt is UntilFormat.BASIC:
        return (
            f"{m.year:04d}{m.month:02d}{m.day:02d}T{m.hour:02d}{m.minute:02d}{m.second:02d}"
            f".{millis:03d}"
        )
    return (
        f"{m.year:04d}-{m.month:02d}-{m.day:02d}T{m.hour:02d}:{m.minute:02d}:{m.second:02d}"
        f".{millis:03d}Z"
    )


_EXTENDED_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def until_format_of(text: str) -> UntilFormat:
    """Tell which wire format a parsed ``until`` string was written in.

    Examples:
        >>> until_format_of("2021-02-18T18:40:05.960Z")
        <UntilFormat.EXTENDED: 'extended'>
    """
    return UntilFormat.EXTENDED if _EXTENDED_SHAPE.match(text) else UntilFormat.BASIC


MAX_DURATION = timedelta(days=3660)
"""The longest duration or period a step holds: 10 years, a year counted as 366 days."""
_MAX_SECONDS = MAX_DURATION.total_seconds()
_MAX_MINUTES = _MAX_SECONDS / 60

# Seconds per unit, measured against bounds: a month is a twelfth of a 366-day year.
_UNIT_SECONDS = {
    "year": 366 * 86400,
    "month": 61 * 43200,
    "week": 7 * 86400,
    "day": 86400,
    "hour": 3600,
    "minute": 60,
}
_LONGEST_DIGITS = 12  # more digits than this is beyond any bound, and beyond int() limits


def calendar_hint(*values: Any) -> str | None:
    """How months and years were measured, if one of the duration strings counts them.

    Examples:
        >>> calendar_hint("PT5M", "P2M")
        'a month counts as 30.5 days and a year as 366 days'
    """
    for value in values:
        if isinstance(value, str):
            date_part = value.partition("T")[0]
            if "Y" in date_part or "M" in date_part or "month" in value or "year" in value:
                return "a month counts as 30.5 days and a year as 366 days"
    return None


def _too_long(owner: str, field: str, value: Any, limit: timedelta) -> ValidationError:
    """The error for a length beyond ``limit`` (a whole number of days)."""
    longest = "10 years (120 months, 3660 days)" if limit == MAX_DURATION else f"{limit.days} days"
    return ValidationError(owner, field, f"at most {longest}", value, hint=calendar_hint(value))


# Courier's delay units, largest first, with their length where it is exact.
_EXACT_UNITS = (
    ("week", timedelta(weeks=1)),
    ("day", timedelta(days=1)),
    ("hour", timedelta(hours=1)),
    ("minute", timedelta(minutes=1)),
)
_SEEN_DURATIONS: set[str] = set()  # strings already validated: flows repeat a few durations
_COURIER_DURATION = re.compile(r"([1-9]\d*) (minute|hour|day|week|month|year)s?", re.ASCII)
_COURIER_EXPECTED = (
    "a positive timedelta of whole minutes, or a string '<n> <unit>' with unit "
    "minute(s), hour(s), day(s), week(s), month(s) or year(s), such as '5 minutes'"
)


def courier_duration(value: timedelta | str, owner: str, field: str) -> str:
    """Return a Courier delay duration, ``"<n> <unit>"``, at most `MAX_DURATION`.

    A ``timedelta`` is written in the largest unit that divides it exactly
    (``timedelta(days=14)`` is ``"2 weeks"``, ``timedelta(hours=36)`` is
    ``"36 hours"``); a string is validated and kept as written.
    """
    if isinstance(value, str):
        if value not in _SEEN_DURATIONS:
            match = _COURIER_DURATION.fullmatch(value)
            if match is None:
                raise ValidationError(owner, field, _COURIER_EXPECTED, value)
            count, unit = match.groups()
            if len(count) > _LONGEST_DIGITS or int(count) * _UNIT_SECONDS[unit] > _MAX_SECONDS:
                raise _too_long(owner, field, value, MAX_DURATION)
            if len(_SEEN_DURATIONS) < 4096:
                _SEEN_DURATIONS.add(value)
        return value
    if not isinstance(value, timedelta):
        raise ValidationTypeError(owner, field, _COURIER_EXPECTED, value)
    if value <= timedelta(0) or value % timedelta(minutes=1):
        raise ValidationError(owner, field, _COURIER_EXPECTED, value)
    if value > MAX_DURATION:
        raise _too_long(owner, field, value, MAX_DURATION)
    for unit, length in _EXACT_UNITS:
        if not value % length:
            count = value // length
            return f"{count} {unit}" + ("s" if count != 1 else "")
    raise AssertionError("unreachable: every whole-minute duration has a unit")  # pragma: no cover


_UNIT_MINUTES = {"weeks": 7 * 24 * 60, "days": 24 * 60, "hours": 60, "minutes": 1}


def duration_from_units(owner: str, **units: Any) -> timedelta:
    """Return the ``timedelta`` of keyword units (``weeks=``, ``days=``, ``hours=``, ``minutes=``).

    Each unit must be a finite number >= 0 (``bool`` is refused), and the total at most
    `MAX_DURATION`; errors name the unit.

    Examples:
        >>> duration_from_units("delay step", days=1, hours=12)
        datetime.timedelta(days=1, seconds=43200)
    """
    expected = "a number >= 0"
    total: float = 0
    for unit, count in units.items():
        if count.__class__ is bool or not isinstance(count, numbers.Real):
            raise ValidationTypeError(owner, unit, expected, count)
        number = int(count) if isinstance(count, numbers.Integral) else float(count)
        if not 0 <= number < math.inf:  # NaN fails both comparisons
            raise ValidationError(owner, unit, expected, count)
        minutes = number * _UNIT_MINUTES[unit]
        if minutes > _MAX_MINUTES - total:  # int and float compare exactly, never overflow
            raise _too_long(owner, unit, count, MAX_DURATION)
        total += minutes
    return timedelta(minutes=total)


_ISO_DURATION = re.compile(
    r"P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?"
    r"(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?",
    re.ASCII,  # \d would take any script's digits, which Courier does not read
)
_ISO_EXPECTED = "a positive timedelta or an ISO 8601 duration such as 'PT5M' or 'P1D'"
_ISO_UNITS = ("year", "month", "week", "day", "hour", "minute")


def _iso_seconds(text: str) -> float | None:
    """The length of an ISO 8601 duration in seconds (months 30.5 days, years 366),
    ``math.inf`` when a number has too many digits to matter, ``None`` if malformed."""
    match = _ISO_DURATION.fullmatch(text)
    if match is None:
        return None
    *counts, seconds = match.groups()
    total = 0.0
    for count, unit in zip(counts, _ISO_UNITS, strict=True):
        if count:
            if len(count) > _LONGEST_DIGITS:
                return math.inf
            total += int(count) * _UNIT_SECONDS[unit]
    if seconds:
        if len(seconds.partition(".")[0]) > _LONGEST_DIGITS:
            return math.inf
        total += float(seconds)
    return total


def iso_duration(
    value: timedelta | str, owner: str, field: str, longest: timedelta = MAX_DURATION
) -> str:
    """Return an ISO 8601 duration (``PT5M``, ``P1DT12H``) for batch and throttle periods.

    It must be positive and at most ``longest`` (months counted as 30.5 days, years as
    366 days).
    """
    if isinstance(value, str):
        seconds = _iso_seconds(value)
        if seconds is None:
            raise ValidationError(owner, field, _ISO_EXPECTED, value)
    elif isinstance(value, timedelta):
        seconds = value.total_seconds()
    else:
        raise ValidationTypeError(owner, field, _ISO_EXPECTED, value)
    if seconds <= 0:
        raise ValidationError(owner, field, _ISO_EXPECTED, value)
    if seconds > longest.total_seconds():
        raise _too_long(owner, field, value, longest)
    return value if isinstance(value, str) else _iso_format(value)


def _iso_format(value: timedelta) -> str:
    days, rest = value.days, value.seconds
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    text = f"P{days}D" if days else "P"
    clock = ""
    if hours:
        clock += f"{hours}H"
    if minutes:
        clock += f"{minutes}M"
    if seconds or value.microseconds:
        fraction = f"{value.microseconds / 1_000_000:.6f}".rstrip("0").rstrip(".")[1:]
        clock += f"{seconds}{fraction}S"
    return text + (f"T{clock}" if clock else "")


def iso_length(text: str) -> timedelta:
    """Return the length of an ISO 8601 duration that `iso_duration` accepted,
    a month counted as 30.5 days and a year as 366 days.

    Examples:
        >>> iso_length("P1DT2H")
        datetime.timedelta(days=1, seconds=7200)
        >>> iso_length("P2M")
        datetime.timedelta(days=61)
    """
    seconds = _iso_seconds(text)
    if seconds is None or seconds > _MAX_SECONDS:
        raise ValueError(f"not a bounded ISO 8601 duration: {text!r}")
    return timedelta(seconds=seconds)


# Seconds per unit as a run reads a duration: a month is 30 days and a year 365.
_RUN_SECONDS = {
    "minute": 60,
    "hour": 3600,
    "day": 86400,
    "week": 604800,
    "month": 30 * 86400,
    "year": 365 * 86400,
}
_RUN_DURATION = re.compile(r"(\d+) (minute|hour|day|week|month|year)s?", re.ASCII)
_RUN_DIGITS = 9  # more than this is past what a timedelta holds


def duration_seconds(text: str) -> int:
    """The length in seconds of a Courier duration (``"3 days"``), as a run waits it:
    a month is 30 days and a year 365.

    Raises ``ValueError`` for text that is not a duration, ``OverflowError`` for a count
    of more than 9 digits.

    Examples:
        >>> duration_seconds("2 hours"), duration_seconds("1 month")
        (7200, 2592000)
    """
    match = _RUN_DURATION.fullmatch(text)
    if match is None:
        raise ValueError(f"not a Courier duration: {text[:40]!r}")
    if len(match.group(1)) > _RUN_DIGITS:
        raise OverflowError(f"duration {text[:40]!r} is out of range")
    return int(match.group(1)) * _RUN_SECONDS[match.group(2)]


def duration_length(text: str) -> timedelta:
    """The length of a Courier duration as a ``timedelta``; see `duration_seconds`.

    Examples:
        >>> duration_length("36 hours")
        datetime.timedelta(days=1, seconds=43200)
    """
    return timedelta(seconds=duration_seconds(text))


def humanize(seconds: int) -> str:
    """Write a length in the largest of week, day, hour and minute that divides it.

    Examples:
        >>> humanize(1209600), humanize(5400), humanize(60)
        ('2 weeks', '90 minutes', '1 minute')
    """
    for unit in ("week", "day", "hour", "minute"):
        size = _RUN_SECONDS[unit]
        if seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}" + ("s" if count != 1 else "")
    return f"{seconds} s"
