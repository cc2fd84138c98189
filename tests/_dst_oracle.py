"""A brute-force reference for ``next_local``: the contract of issue 13, applied literally.

It shares no code with the library. For each local date D (from the local date of ``after``,
skipping dates whose weekday is not allowed), it takes N = the naive wall time on D and scans
every UTC minute in a window that must contain every instant whose local reading is N (offsets
lie within -15 h .. +15 h, so N - 15 h .. N + 15 h read as UTC), converting each minute to the
zone with ``zoneinfo``:

* N is read once: that instant is D's candidate;
* N is read twice (a fold): the first instant, or the second with ``fold="later"``;
* N is never read (a gap): the minute pair the clock jumps across N between gives the offset in
  force before the transition; N read with that offset is D's candidate (``on_gap="forward"``),
  or, with ``on_gap="raise"``, an error when that date would be the answer (its moved instant
  is not earlier than ``after``; an earlier one is passed over like any past candidate).

The answer is the first candidate, in date order, not earlier than ``after``. Slow (up to about
14,400 conversions) and obviously correct is the point.

Examples:
    >>> from datetime import UTC, datetime, time
    >>> from zoneinfo import ZoneInfo
    >>> answer = oracle_next_local(
    ...     datetime(2026, 3, 7, 12, 0, tzinfo=UTC), time(2, 30), ZoneInfo("America/New_York")
    ... )
    >>> answer.utc.isoformat(), answer.gap
    ('2026-03-08T07:30:00+00:00', True)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

MINUTE = timedelta(minutes=1)
#: Wider than any UTC offset in use (-12 h .. +14 h): every reading of N lies in N -/+ this.
REACH = timedelta(hours=15)
#: Enough dates for any non-empty weekday set: today's may lie before ``after``, then 7 more.
DATES = 9


@dataclass(frozen=True)
class Expected:
    """The oracle's answer: the instant in UTC and in the zone, and the DST flags."""

    utc: datetime
    local: datetime
    zone: str
    gap: bool
    fold: bool


@dataclass(frozen=True)
class GapRaised:
    """The oracle's answer when ``on_gap="raise"`` and the answer falls on a gap date."""

    day: date
    zone: str


def _wall_of(instant: datetime, zone: ZoneInfo) -> tuple[int, ...]:
    """The local wall clock reading of a UTC instant, fold ignored, as a plain tuple."""
    local = instant.astimezone(zone)
    return (local.year, local.month, local.day, local.hour, local.minute, local.second)


@cache
def _readings(naive: datetime, zone: ZoneInfo) -> tuple[tuple[datetime, ...], datetime | None]:
    """Every UTC minute whose local reading is ``naive``, and, when there is none, the UTC
    minute just before the clock jumped over it (``None`` when it did not)."""
    target = (naive.year, naive.month, naive.day, naive.hour, naive.minute, naive.second)
    start = naive.replace(tzinfo=UTC) - REACH
    hits: list[datetime] = []
    jump: datetime | None = None
    previous = _wall_of(start, zone)
    instant = start
    while instant < naive.replace(tzinfo=UTC) + REACH:
        following = instant + MINUTE
        reading = _wall_of(following, zone)
        if reading == target:
            hits.append(following)
        elif previous < target < reading:
            jump = instant
        previous = reading
        instant = following
    return tuple(hits), jump


def oracle_next_local(
    after: datetime,
    wall: time,
    zone: ZoneInfo,
    days: frozenset[int] | None = None,
    *,
    fold: str = "earlier",
    on_gap: str = "forward",
) -> Expected | GapRaised:
    """The contract's ``next_local``, by brute force (see the module docstring).

    Examples:
        >>> from zoneinfo import ZoneInfo
        >>> fall = datetime(2026, 11, 1, 4, 0, tzinfo=UTC)
        >>> york = ZoneInfo("America/New_York")
        >>> oracle_next_local(fall, time(1, 30), york).utc.hour
        5
        >>> oracle_next_local(fall, time(1, 30), york, fold="later").utc.hour
        6
    """
    if after.tzinfo is None or after.utcoffset() is None:
        raise ValueError("the oracle takes an aware `after`")
    if wall.tzinfo is not None or wall.second or wall.microsecond:
        raise ValueError("the oracle takes a naive minute-precision wall time")
    first_date = after.astimezone(zone).date()
    for offset in range(DATES):
        day = first_date + timedelta(days=offset)
        if days is not None and day.weekday() not in days:
            continue
        naive = datetime.combine(day, wall)
        hits, jump = _readings(naive, zone)
        if len(hits) > 2:
            raise AssertionError(f"oracle: {naive} read {len(hits)} times in {zone.key}")
        if hits:
            chosen = hits[0] if fold == "earlier" or len(hits) == 1 else hits[1]
            if chosen >= after:
                local = chosen.astimezone(zone)
                return Expected(chosen, local, zone.key, gap=False, fold=len(hits) == 2)
            continue
        if jump is None:
            raise AssertionError(f"oracle: {naive} neither read nor jumped over in {zone.key}")
        offset_before = jump.astimezone(zone).utcoffset()
        assert offset_before is not None
        candidate = (naive - offset_before).replace(tzinfo=UTC)
        if candidate >= after:
            if on_gap == "raise":
                return GapRaised(day, zone.key)
            return Expected(candidate, candidate.astimezone(zone), zone.key, gap=True, fold=False)
    raise AssertionError(f"oracle: no candidate in {DATES} dates (days={days})")


@cache
def transitions(zone: ZoneInfo, year: int) -> list[tuple[datetime, timedelta, timedelta]]:
    """Every change of UTC offset in ``year``: the first UTC instant of the new offset, the
    offset before and the offset after. Scans day by day (at most one change a day), then
    bisects the day to the minute.

    Examples:
        >>> [(t.isoformat(), b, a) for t, b, a in transitions(ZoneInfo("Europe/London"), 2026)][0]
        ('2026-03-29T01:00:00+00:00', datetime.timedelta(0), datetime.timedelta(seconds=3600))
    """
    found = []
    day = timedelta(days=1)
    instant = datetime(year, 1, 1, tzinfo=UTC)
    while instant.year == year:
        before = instant.astimezone(zone).utcoffset()
        after = (instant + day).astimezone(zone).utcoffset()
        if before != after:
            low, high = 0, 1440  # the offset is `before` at minute `low`, `after` at `high`
            while high - low > 1:
                middle = (low + high) // 2
                if (instant + middle * MINUTE).astimezone(zone).utcoffset() == before:
                    low = middle
                else:
                    high = middle
            assert before is not None
            assert after is not None
            found.append((instant + high * MINUTE, before, after))
        instant += day
    return found
