"""Time done right: ``until`` timestamps and durations in the forms Courier reads.

* ``until`` values are normalized to an aware UTC ``datetime`` truncated to
  milliseconds, and written as the seed's basic form ``YYYYMMDDTHHMMSS.fff``
  (default) or the extended form ``YYYY-MM-DDTHH:MM:SS.fffZ``. Naive datetimes are
  refused; strings without an offset are read as UTC, Courier's wire convention.
* Delay ``duration`` values use Courier's human form ``"<n> <unit>"``; a
  ``timedelta`` becomes the largest unit that divides it exactly.
* Batch and throttle periods use ISO 8601 durations (``PT5M``).

Example:
    >>> from datetime import timedelta
    >>> from automation_dsl._time import courier_duration, iso_duration
    >>> courier_duration(timedelta(hours=36), "delay step", "duration")
    '36 hours'
    >>> iso_duration(timedelta(minutes=5), "add-to-batch step", "wait_period")
    'PT5M'
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from ._errors import ValidationError, ValidationTypeError

__all__ = ["UntilFormat"]


class UntilFormat(StrEnum):
    """How ``delay`` ``until`` timestamps are written on the wire.

    Example:
        >>> UntilFormat("extended") is UntilFormat.EXTENDED
        True
    """

    BASIC = "basic"
    """``20240408T080910.123``: ISO 8601 basic format, UTC, milliseconds (the default)."""
    EXTENDED = "extended"
    """``2024-04-08T08:09:10.123Z``: ISO 8601 extended format with ``Z``."""


_NAIVE_HINT = (
    "attach a tzinfo, for example dt.replace(tzinfo=timezone.utc) or "
    "dt.replace(tzinfo=ZoneInfo('Europe/Paris'))"
)
_UNTIL_EXPECTED = "an aware datetime, a date, or an ISO 8601 timestamp string"


def to_utc(value: datetime | date | str, owner: str, field: str) -> datetime:
    """Return ``value`` as an aware UTC datetime truncated to milliseconds.

    A ``date`` means midnight UTC of that day; a string is parsed as ISO 8601 in
    basic or extended form, and read as UTC when it has no offset.
    """
    if value.__class__ is datetime and value.tzinfo is UTC and not value.microsecond % 1000:
        return value  # already normalized: the common case, kept cheap
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValidationError(
                owner, field, "a timezone-aware datetime", value, hint=_NAIVE_HINT
            )
        moment = value.astimezone(UTC)
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
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    else:
        raise ValidationTypeError(owner, field, _UNTIL_EXPECTED, value)
    return moment.replace(microsecond=moment.microsecond - moment.microsecond % 1000)


def format_until(moment: datetime, fmt: UntilFormat) -> str:
    """Write a UTC datetime (from :func:`to_utc`) in the chosen wire format."""
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


_EXTENDED_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}")


def until_format_of(text: str) -> UntilFormat:
    """Tell which wire format a parsed ``until`` string was written in.

    Example:
        >>> until_format_of("2021-02-18T18:40:05.960Z")
        <UntilFormat.EXTENDED: 'extended'>
    """
    return UntilFormat.EXTENDED if _EXTENDED_SHAPE.match(text) else UntilFormat.BASIC


# Courier's delay units, largest first, with their length where it is exact.
_EXACT_UNITS = (
    ("week", timedelta(weeks=1)),
    ("day", timedelta(days=1)),
    ("hour", timedelta(hours=1)),
    ("minute", timedelta(minutes=1)),
)
_SEEN_DURATIONS: set[str] = set()  # strings already validated: flows repeat a few durations
_COURIER_DURATION = re.compile(r"([1-9]\d*) (minute|hour|day|week|month|year)s?")
_COURIER_EXPECTED = (
    "a positive timedelta of whole minutes, or a string '<n> <unit>' with unit "
    "minute(s), hour(s), day(s), week(s), month(s) or year(s), such as '5 minutes'"
)


def courier_duration(value: timedelta | str, owner: str, field: str) -> str:
    """Return a Courier delay duration, ``"<n> <unit>"``.

    A ``timedelta`` is written in the largest unit that divides it exactly
    (``timedelta(days=14)`` is ``"2 weeks"``, ``timedelta(hours=36)`` is
    ``"36 hours"``); a string is validated and kept as written.
    """
    if isinstance(value, str):
        if value not in _SEEN_DURATIONS:
            if not _COURIER_DURATION.fullmatch(value):
                raise ValidationError(owner, field, _COURIER_EXPECTED, value)
            if len(_SEEN_DURATIONS) < 4096:
                _SEEN_DURATIONS.add(value)
        return value
    if not isinstance(value, timedelta):
        raise ValidationTypeError(owner, field, _COURIER_EXPECTED, value)
    if value <= timedelta(0) or value % timedelta(minutes=1):
        raise ValidationError(owner, field, _COURIER_EXPECTED, value)
    for unit, length in _EXACT_UNITS:
        if not value % length:
            count = value // length
            return f"{count} {unit}" + ("s" if count != 1 else "")
    raise AssertionError("unreachable: every whole-minute duration has a unit")  # pragma: no cover


_ISO_DURATION = re.compile(
    r"P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?"
    r"(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?"
)
_ISO_EXPECTED = "a positive timedelta or an ISO 8601 duration such as 'PT5M' or 'P1D'"


def iso_duration(value: timedelta | str, owner: str, field: str) -> str:
    """Return an ISO 8601 duration (``PT5M``, ``P1DT12H``) for batch and throttle periods."""
    if isinstance(value, str):
        if not _ISO_DURATION.fullmatch(value):
            raise ValidationError(owner, field, _ISO_EXPECTED, value)
        return value
    if not isinstance(value, timedelta):
        raise ValidationTypeError(owner, field, _ISO_EXPECTED, value)
    if value <= timedelta(0):
        raise ValidationError(owner, field, _ISO_EXPECTED, value)
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


def iso_duration_to_timedelta(text: str) -> timedelta | None:
    """Return the exact length of an ISO 8601 duration, or ``None`` if it counts months or years.

    Example:
        >>> iso_duration_to_timedelta("P1DT2H")
        datetime.timedelta(days=1, seconds=7200)
    """
    match = _ISO_DURATION.fullmatch(text)
    if match is None:
        return None
    years, months, weeks, days, hours, minutes, seconds = match.groups()
    if years or months:
        return None
    return timedelta(
        weeks=int(weeks or 0),
        days=int(days or 0),
        hours=int(hours or 0),
        minutes=int(minutes or 0),
        seconds=float(seconds or 0),
    )
