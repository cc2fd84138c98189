"""Courier's time strings both ways, for people who build JSON by other means.

The same conversions the builder applies, as public functions: ``until`` timestamps
(`format_until`, `parse_until`), delay durations in Courier's human form
(`format_duration`, `parse_duration`) and the ISO 8601 periods of batch and throttle
steps (`format_period`, `parse_period`). Every bad argument is a
[`ValidationError`][automation_dsl.ValidationError] (or
[`ValidationTypeError`][automation_dsl.ValidationTypeError]) naming it.

Examples:
    >>> from datetime import datetime, timedelta, timezone
    >>> format_until(datetime(2024, 4, 8, 8, 9, 10, 123000, tzinfo=timezone.utc))
    '20240408T080910.123'
    >>> format_duration(timedelta(hours=36)), format_period(timedelta(minutes=5))
    ('36 hours', 'PT5M')
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from ._errors import ValidationError, ValidationTypeError
from ._time import (
    MAX_DURATION,
    NAIVE_HINT,
    UntilFormat,
    courier_duration,
    duration_length,
    iso_duration,
    iso_length,
    to_utc,
)
from ._time import format_until as _write_until

__all__ = [
    "format_duration",
    "format_period",
    "format_until",
    "parse_duration",
    "parse_period",
    "parse_until",
]

_LONGEST_TEXT = 64  # no timestamp or duration Courier reads is longer
_UNTIL_FORMATS = "'basic' or 'extended'"


def format_until(moment: datetime | date, until_format: UntilFormat | str = "basic") -> str:
    """Write a moment as a delay's ``until``, in UTC to the millisecond.

    Args:
        moment: an aware ``datetime`` (a naive one is refused: attach a tzinfo), or a
            ``date``, meaning midnight UTC of that day.
        until_format: ``"basic"`` (``20240408T080910.123``, the default, the form of
            Courier's API example) or ``"extended"`` (``2024-04-08T08:09:10.123Z``).

    Raises:
        ValidationError: a naive datetime, a moment outside UTC's years 1 to 9999, or an
            unknown ``until_format``.
        ValidationTypeError: ``moment`` is not a datetime or a date.

    Examples:
        >>> from datetime import datetime, timedelta, timezone
        >>> paris = timezone(timedelta(hours=2))
        >>> format_until(datetime(2024, 4, 8, 10, 9, 10, 123456, tzinfo=paris))
        '20240408T080910.123'
        >>> format_until(datetime(2024, 4, 8, 8, 9, 10, tzinfo=timezone.utc), "extended")
        '2024-04-08T08:09:10.000Z'
    """
    owner = "format_until"
    if not isinstance(until_format, str) or until_format not in ("basic", "extended"):
        cls = ValidationError if isinstance(until_format, str) else ValidationTypeError
        raise cls(owner, "until_format", _UNTIL_FORMATS, until_format)
    if not isinstance(moment, date):
        raise ValidationTypeError(owner, "moment", "an aware datetime or a date", moment)
    if isinstance(moment, datetime) and moment.tzinfo is None:
        raise ValidationError(owner, "moment", "a timezone-aware datetime", moment, hint=NAIVE_HINT)
    return _write_until(to_utc(moment, owner, "moment"), UntilFormat(until_format))


def parse_until(text: str) -> datetime:
    """Read a delay's ``until``: an aware UTC ``datetime``, truncated to milliseconds.

    Both of Courier's forms are read, and any ISO 8601 timestamp; a string without an
    offset is read as UTC, Courier's wire convention.

    Args:
        text: ``"20240408T080910.123"``, ``"2024-04-08T08:09:10.123Z"``,
            ``"2024-04-08T10:09:10+02:00"`` ...

    Raises:
        ValidationError: not an ISO 8601 timestamp (or longer than 64 characters).
        ValidationTypeError: ``text`` is not a string.

    Examples:
        >>> parse_until("20240408T080910.123")
        datetime.datetime(2024, 4, 8, 8, 9, 10, 123000, tzinfo=datetime.timezone.utc)
        >>> parse_until("2024-04-08T10:09:10+02:00") == parse_until("20240408T080910")
        True
    """
    owner, expected = "parse_until", "an ISO 8601 timestamp such as '20240408T080910.123'"
    if not isinstance(text, str):
        raise ValidationTypeError(owner, "text", expected, text)
    if len(text) > _LONGEST_TEXT or not text.isascii():
        raise ValidationError(owner, "text", expected, text)
    return to_utc(text, owner, "text")


def format_duration(duration: timedelta) -> str:
    """Write a delay's ``duration`` in Courier's human form, in the largest exact unit.

    Args:
        duration: a positive ``timedelta`` of whole minutes, at most 10 years (3660 days).

    Raises:
        ValidationError: not positive, not whole minutes, or too long.
        ValidationTypeError: ``duration`` is not a ``timedelta``.

    Examples:
        >>> from datetime import timedelta
        >>> format_duration(timedelta(hours=36)), format_duration(timedelta(days=14))
        ('36 hours', '2 weeks')
    """
    if not isinstance(duration, timedelta):
        raise ValidationTypeError(
            "format_duration", "duration", "a positive timedelta of whole minutes", duration
        )
    return courier_duration(duration, "format_duration", "duration")


def parse_duration(text: str) -> timedelta:
    """Read a delay's ``duration`` (``"3 days"``) as the ``timedelta`` a run waits.

    Units are minute, hour, day, week, month and year, singular or plural. A month is
    read as 30 days and a year as 365, as the simulator waits them; so
    ``format_duration(parse_duration(text))`` gives back ``text`` for minutes to weeks
    written in their largest unit, and the same length otherwise (``"14 days"`` comes
    back as ``"2 weeks"``).

    Args:
        text: ``"<n> <unit>"`` with a positive whole ``n``, at most 10 years.

    Raises:
        ValidationError: not a Courier duration, or too long.
        ValidationTypeError: ``text`` is not a string.

    Examples:
        >>> parse_duration("3 days")
        datetime.timedelta(days=3)
        >>> parse_duration("1 month")
        datetime.timedelta(days=30)
    """
    owner = "parse_duration"
    if not isinstance(text, str):
        raise ValidationTypeError(owner, "text", "a string such as '3 days'", text)
    return duration_length(courier_duration(text, owner, "text"))


def format_period(period: timedelta) -> str:
    """Write a batch or throttle period as an ISO 8601 duration (``PT5M``, ``P1DT12H``).

    Args:
        period: a positive ``timedelta``, at most 10 years (3660 days).

    Raises:
        ValidationError: not positive, or too long.
        ValidationTypeError: ``period`` is not a ``timedelta``.

    Examples:
        >>> from datetime import timedelta
        >>> format_period(timedelta(minutes=5)), format_period(timedelta(days=1, hours=12))
        ('PT5M', 'P1DT12H')
    """
    if not isinstance(period, timedelta):
        raise ValidationTypeError("format_period", "period", "a positive timedelta", period)
    return iso_duration(period, "format_period", "period")


def parse_period(text: str) -> timedelta:
    """Read an ISO 8601 period (``PT5M``) as a ``timedelta``.

    Months count as 30.5 days and years as 366 days, as the builder measures a period
    against its bounds.

    Args:
        text: ``P[nY][nM][nW][nD][T[nH][nM][nS]]``, positive, at most 10 years.

    Raises:
        ValidationError: not an ISO 8601 duration, not positive, or too long.
        ValidationTypeError: ``text`` is not a string.

    Examples:
        >>> parse_period("PT5M")
        datetime.timedelta(seconds=300)
        >>> parse_period("P1W")
        datetime.timedelta(days=7)
    """
    owner = "parse_period"
    if not isinstance(text, str):
        raise ValidationTypeError(owner, "text", "an ISO 8601 duration such as 'PT5M'", text)
    return iso_length(iso_duration(text, owner, "text", MAX_DURATION))
