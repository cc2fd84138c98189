"""``next_local`` across the 2026 and 2027 DST transitions, judged by an independent oracle.

The oracle (tests/_dst_oracle.py) applies the contract of issue 13 literally, by scanning UTC
minutes through ``zoneinfo``; it shares no code with the library. The transitions are found by
scanning offsets, not written down, so the matrix follows the tz database:

* America/New_York, Europe/London (one-hour gap and fold), Australia/Lord_Howe (30 minutes):
  every transition of 2026 and 2027; wall times before, at the start of, inside, at the end of
  and after the gap or fold; ``after`` the day before, at local midnight, around the transition,
  between the two readings of a fold, and exactly at, just before and just after the answer;
  both ``fold`` and both ``on_gap`` policies; weekday filters.
* Asia/Kolkata (no DST) and America/Sao_Paulo (DST abolished in 2019): no transition at all in
  2026-2027, and the dates where one would have been behave like any other day.
* Hypothesis: random zones, instants, wall times and weekdays; half near a transition of the
  zone, a quarter with the wall time shortly after ``after``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from automation_dsl import ValidationError
from automation_dsl._localtime import next_local
from tests._dst_oracle import Expected, GapRaised, oracle_next_local, transitions

MINUTE = timedelta(minutes=1)
MICRO = timedelta(microseconds=1)
FOLDS = ("earlier", "later")
GAPS = ("forward", "raise")
WEEKDAYS_ONLY = frozenset(range(5))
WEEKEND = frozenset({5, 6})

#: (zone, transitions a year): the zones of issue 13 and how many offset changes each has.
ZONES = {
    "America/New_York": 2,
    "Europe/London": 2,
    "Australia/Lord_Howe": 2,
    "Asia/Kolkata": 0,
    "America/Sao_Paulo": 0,
}
YEARS = (2026, 2027)


def z(text: str) -> datetime:
    """A UTC instant from ``YYYY-MM-DDTHH:MM``."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _shape(utc: datetime, local: datetime, zone: str, gap: bool, fold: bool) -> tuple[object, ...]:
    """What is compared: the instant, its local reading (wall, offset, PEP 495 fold, zone) and
    the flags. ``utc`` must be UTC, to the minute."""
    return (
        utc.isoformat(),
        utc.utcoffset(),
        local.replace(tzinfo=None).isoformat(),
        local.utcoffset(),
        local.fold,
        getattr(local.tzinfo, "key", local.tzinfo),
        local.astimezone(UTC) == utc,
        zone,
        gap,
        fold,
    )


def disagreement(
    after: datetime,
    wall: time,
    zone: ZoneInfo,
    days: frozenset[int] | None,
    fold: str,
    on_gap: str,
) -> str | None:
    """``None`` when ``next_local`` agrees with the oracle; else the case and both answers."""
    expected = oracle_next_local(after, wall, zone, days, fold=fold, on_gap=on_gap)
    shown_days = None if days is None else sorted(days)
    case = (
        f"next_local({after.isoformat()}, {wall:%H:%M}, {zone.key}, days={shown_days}, "
        f"fold={fold!r}, on_gap={on_gap!r})"
    )
    try:
        got = next_local(after, wall, zone, days, fold=fold, on_gap=on_gap)  # type: ignore[arg-type]
    except ValidationError as exc:
        if isinstance(expected, GapRaised):
            text = str(exc)
            if expected.day.isoformat() in text and expected.zone in text:
                return None
            return f"{case}: the gap error does not name {expected.day} and the zone: {text}"
        return f"{case}: raised {exc}; expected {expected}"
    if isinstance(expected, GapRaised):
        return f"{case}: returned {got}; expected an error for the gap on {expected.day}"
    observed = _shape(got.utc, got.local, got.zone, got.gap, got.fold)
    wanted = _shape(*(getattr(expected, name) for name in ("utc", "local", "zone", "gap", "fold")))
    if observed == wanted and got.utc.microsecond == 0 and got.utc.second == 0:
        return None
    return f"{case}: got {observed}; expected {wanted}"


def assert_all_agree(cases: list[tuple[datetime, time, ZoneInfo, frozenset[int] | None]]) -> int:
    """Run every case under both policies; fail listing the disagreements. Returns the count."""
    failures = [
        failure
        for after, wall, zone, days in cases
        for fold in FOLDS
        for on_gap in GAPS
        if (failure := disagreement(after, wall, zone, days, fold, on_gap)) is not None
    ]
    assert not failures, f"{len(failures)} of {4 * len(cases)} cases:\n" + "\n".join(failures[:25])
    return 4 * len(cases)


def _transition_cases(
    zone: ZoneInfo, instant: datetime, before: timedelta, after_offset: timedelta
) -> Iterator[tuple[datetime, time, ZoneInfo, frozenset[int] | None]]:
    """The matrix around one transition (see the module docstring)."""
    length = abs(after_offset - before)
    # The gap's first missing reading, or the fold's first repeated one.
    start = (instant + min(before, after_offset)).replace(tzinfo=None)
    day = start.date()
    half = timedelta(minutes=length // MINUTE // 2)
    walls = [start - MINUTE, start, start + half, start + length - MINUTE, start + length]
    afters = [
        instant - timedelta(days=1, hours=5),
        datetime.combine(day, time(0), tzinfo=zone),
        instant - length - MINUTE,
        instant - length + MINUTE,  # between the readings of an early fold wall
        instant - MINUTE,
        instant,
        instant + MINUTE,
        instant + length + MINUTE,
        instant + timedelta(hours=20),
    ]
    afters += [moment.astimezone(zone) for moment in afters]  # the same instants, zone-local
    day_sets = [
        None,
        WEEKDAYS_ONLY,
        WEEKEND,
        frozenset({day.weekday()}),
        frozenset({(day.weekday() + 1) % 7}),
    ]
    for wall_moment in walls:
        wall = wall_moment.time()
        derived = []
        for fold in FOLDS:
            answer = oracle_next_local(afters[1], wall, zone, None, fold=fold)
            assert isinstance(answer, Expected)
            derived += [answer.utc, answer.utc - MICRO, answer.utc + MICRO, answer.utc + MINUTE]
        for after in afters + derived:
            for days in day_sets:
                yield after, wall, zone, days


CHANGES = [
    (zone, *change)
    for zone in ZONES
    for year in YEARS
    for change in transitions(ZoneInfo(zone), year)
]
TRANSITIONS = [pytest.param(*change, id=f"{change[0]}-{change[1]:%Y-%m-%d}") for change in CHANGES]


@pytest.mark.parametrize(("name", "year"), [(name, year) for name in ZONES for year in YEARS])
def test_the_zones_have_the_transitions_the_matrix_expects(name: str, year: int) -> None:
    zone = ZoneInfo(name)
    assert len(transitions(zone, year)) == ZONES[name]
    # An hour-by-hour scan, independent of the day-by-day one, sees the same offsets.
    hourly = {
        (datetime(year, 1, 1, tzinfo=UTC) + timedelta(hours=h)).astimezone(zone).utcoffset()
        for h in range(366 * 24)
    }
    assert len(hourly) == (2 if ZONES[name] else 1)


def test_the_matrix_has_twelve_transitions_with_a_gap_and_a_fold_each_year() -> None:
    assert len(CHANGES) == 12
    kinds = {(zone, instant.year, after > before) for zone, instant, before, after in CHANGES}
    assert len(kinds) == 12


@pytest.mark.parametrize(("name", "instant", "before", "after_offset"), TRANSITIONS)
def test_next_local_agrees_with_the_oracle_around_each_transition(
    name: str, instant: datetime, before: timedelta, after_offset: timedelta
) -> None:
    zone = ZoneInfo(name)
    count = assert_all_agree(list(_transition_cases(zone, instant, before, after_offset)))
    assert count > 1000


#: Dates on which the zones without DST had (Sao Paulo until 2019) or whose neighbours have one.
QUIET_DATES = {
    "America/Sao_Paulo": [
        date(2026, 2, 15),
        date(2026, 11, 1),
        date(2027, 2, 21),
        date(2027, 11, 7),
    ],
    "Asia/Kolkata": [date(2026, 3, 8), date(2026, 11, 1), date(2027, 3, 14), date(2027, 11, 7)],
}


@pytest.mark.parametrize("name", sorted(QUIET_DATES))
def test_zones_without_dst_read_every_wall_time_once(name: str) -> None:
    zone = ZoneInfo(name)
    cases = []
    for day in QUIET_DATES[name]:
        for wall in (time(0, 0), time(0, 30), time(1, 30), time(2, 30), time(23, 30)):
            start = datetime.combine(day, time(0), tzinfo=zone)
            expected = oracle_next_local(start, wall, zone)
            assert isinstance(expected, Expected)
            assert (expected.gap, expected.fold, expected.local.date()) == (False, False, day)
            for after in (start, expected.utc, expected.utc + MICRO):
                for days in (None, WEEKDAYS_ONLY, frozenset({day.weekday()})):
                    cases.append((after, wall, zone, days))
    assert assert_all_agree(cases) == 4 * 5 * 3 * 3 * 4


@pytest.mark.parametrize(
    ("name", "after", "wall", "options", "utc", "gap", "fold"),
    [
        # The examples.
        ("America/New_York", "2026-03-08T05:00", "02:30", {}, "2026-03-08T07:30", True, False),
        ("Australia/Lord_Howe", "2026-10-03T13:30", "02:15", {}, "2026-10-03T15:45", True, False),
        ("America/New_York", "2026-11-01T04:00", "01:30", {}, "2026-11-01T05:30", False, True),
        (
            "America/New_York",
            "2026-11-01T04:00",
            "01:30",
            {"fold": "later"},
            "2026-11-01T06:30",
            False,
            True,
        ),
        # Between the two readings: the date is spent unless fold="later".
        ("America/New_York", "2026-11-01T05:31", "01:30", {}, "2026-11-02T06:30", False, False),
        (
            "America/New_York",
            "2026-11-01T05:31",
            "01:30",
            {"fold": "later"},
            "2026-11-01T06:30",
            False,
            True,
        ),
        # Exactly at the answer counts.
        ("America/New_York", "2026-03-08T07:30", "02:30", {}, "2026-03-08T07:30", True, False),
        # 2027 and the other zones.
        ("America/New_York", "2027-03-14T05:00", "02:00", {}, "2027-03-14T07:00", True, False),
        ("America/New_York", "2027-11-07T04:00", "01:00", {}, "2027-11-07T05:00", False, True),
        ("Europe/London", "2026-03-29T00:00", "01:30", {}, "2026-03-29T01:30", True, False),
        ("Europe/London", "2026-10-25T00:00", "01:30", {}, "2026-10-25T00:30", False, True),
        (
            "Europe/London",
            "2027-10-31T00:00",
            "01:59",
            {"fold": "later"},
            "2027-10-31T01:59",
            False,
            True,
        ),
        ("Australia/Lord_Howe", "2026-04-04T13:00", "01:45", {}, "2026-04-04T14:45", False, True),
        (
            "Australia/Lord_Howe",
            "2027-04-03T13:00",
            "01:45",
            {"fold": "later"},
            "2027-04-03T15:15",
            False,
            True,
        ),
        ("Australia/Lord_Howe", "2027-10-02T13:30", "02:29", {}, "2027-10-02T15:59", True, False),
        ("America/Sao_Paulo", "2026-10-31T12:00", "00:30", {}, "2026-11-01T03:30", False, False),
        ("Asia/Kolkata", "2026-03-08T00:00", "02:30", {}, "2026-03-08T21:00", False, False),
        # Weekdays: Saturday 2026-03-07 in New York, Monday to Friday only.
        (
            "America/New_York",
            "2026-03-07T17:00",
            "09:00",
            {"days": WEEKDAYS_ONLY},
            "2026-03-09T13:00",
            False,
            False,
        ),
    ],
)
def test_known_answers_worked_out_by_hand(
    name: str, after: str, wall: str, options: dict[str, object], utc: str, gap: bool, fold: bool
) -> None:
    zone = ZoneInfo(name)
    hours, minutes = map(int, wall.split(":"))
    options = dict(options)
    days = options.pop("days", None)
    got = next_local(z(after), time(hours, minutes), zone, days, **options)  # type: ignore[arg-type]
    assert (got.utc, got.gap, got.fold, got.zone) == (z(utc), gap, fold, name)
    assert got.local.astimezone(UTC) == got.utc
    assert got.local.tzinfo == zone
    oracle = oracle_next_local(z(after), time(hours, minutes), zone, days, **options)  # type: ignore[arg-type]
    assert isinstance(oracle, Expected)
    assert oracle.utc == z(utc)


def test_the_new_york_gap_reads_0330_edt() -> None:
    zone = ZoneInfo("America/New_York")
    got = next_local(z("2026-03-08T05:00"), time(2, 30), zone, None)
    assert (got.local.hour, got.local.minute, got.local.utcoffset()) == (3, 30, timedelta(hours=-4))
    assert got.local.tzname() == "EDT"


def test_the_second_reading_of_a_fold_carries_pep_495_fold() -> None:
    zone = ZoneInfo("America/New_York")
    first = next_local(z("2026-11-01T04:00"), time(1, 30), zone, None)
    second = next_local(z("2026-11-01T04:00"), time(1, 30), zone, None, fold="later")
    assert (first.local.fold, first.local.tzname()) == (0, "EDT")
    assert (second.local.fold, second.local.tzname()) == (1, "EST")


def test_on_gap_raise_names_the_date_and_the_zone() -> None:
    zone = ZoneInfo("Europe/London")
    with pytest.raises(ValidationError) as caught:
        next_local(z("2026-03-29T00:00"), time(1, 30), zone, None, on_gap="raise")
    assert "2026-03-29" in str(caught.value)
    assert "Europe/London" in str(caught.value)


class _NoOffset(tzinfo):
    """A tzinfo that knows no offset: a datetime with it is naive in all but name."""

    def utcoffset(self, dt: datetime | None) -> None:
        return None

    def dst(self, dt: datetime | None) -> None:
        return None

    def tzname(self, dt: datetime | None) -> None:
        return None


@pytest.mark.parametrize(
    "after", [datetime(2026, 3, 8, 1, 0), datetime(2026, 3, 8, 1, 0, tzinfo=_NoOffset())]
)
def test_a_naive_after_is_refused(after: datetime) -> None:
    with pytest.raises(ValidationError, match="after"):
        next_local(after, time(9), ZoneInfo("UTC"), None)


@pytest.mark.parametrize(
    ("after", "zone"),
    [
        (datetime(9999, 12, 31, 23, 59, tzinfo=UTC), "UTC"),
        (datetime(9999, 12, 31, 23, 59, tzinfo=UTC), "America/New_York"),
        (datetime(1, 1, 1, tzinfo=UTC), "Pacific/Kiritimati"),
        (datetime(1, 1, 1, tzinfo=UTC), "America/New_York"),
    ],
)
def test_an_after_at_the_ends_of_the_calendar_is_refused(after: datetime, zone: str) -> None:
    # No raw OverflowError from the date arithmetic: a library error naming `after`.
    with pytest.raises(ValidationError, match="after"):
        next_local(after, time(9), ZoneInfo(zone), None)


def test_no_allowed_weekday_is_refused() -> None:
    with pytest.raises(ValidationError, match="days"):
        next_local(z("2026-03-08T00:00"), time(9), ZoneInfo("UTC"), frozenset())


# Hypothesis ------------------------------------------------------------------------------

ALL_ZONES = sorted(available_timezones())


@st.composite
def local_cases(
    draw: st.DrawFn,
) -> tuple[datetime, time, ZoneInfo, frozenset[int] | None, str, str]:
    zone = ZoneInfo(draw(st.sampled_from(ALL_ZONES)))
    changes = transitions(zone, 2026) + transitions(zone, 2027)
    near_a_change = draw(st.booleans()) if changes else False
    if near_a_change:
        instant, before, _ = draw(st.sampled_from(changes))
        after = instant + timedelta(
            seconds=draw(st.integers(-2 * 86400, 2 * 86400)),
            microseconds=draw(st.integers(0, 999_999)),
        )
        near = (instant + before).replace(tzinfo=None) + timedelta(
            minutes=draw(st.integers(-120, 120))
        )
        wall = time(near.hour, near.minute)
    else:
        after = draw(
            st.datetimes(
                min_value=datetime(2026, 1, 1),
                max_value=datetime(2027, 12, 31, 23, 59),
                timezones=st.just(UTC),
            )
        )
        if draw(st.booleans()):  # a wall time shortly after `after`, local midnight included
            soon = after.astimezone(zone) + timedelta(minutes=draw(st.integers(0, 600)))
            wall = time(soon.hour, soon.minute)
        else:
            wall = time(draw(st.integers(0, 23)), draw(st.integers(0, 59)))
    if draw(st.booleans()):
        after = after.astimezone(zone)  # the same instant, given in the zone
    days = draw(st.none() | st.frozensets(st.integers(0, 6), min_size=1))
    return after, wall, zone, days, draw(st.sampled_from(FOLDS)), draw(st.sampled_from(GAPS))


@settings(max_examples=200)
@given(local_cases())
def test_next_local_agrees_with_the_oracle_in_any_zone(
    case: tuple[datetime, time, ZoneInfo, frozenset[int] | None, str, str],
) -> None:
    after, wall, zone, days, fold, on_gap = case
    assert disagreement(after, wall, zone, days, fold, on_gap) is None
    try:
        got = next_local(after, wall, zone, days, fold=fold, on_gap=on_gap)  # type: ignore[arg-type]
    except ValidationError:
        assert on_gap == "raise"
        return
    assert got.utc >= after
    assert got.utc - after < timedelta(days=8, hours=1)
    assert not (got.gap and got.fold)
    if got.gap:
        # The wall time, read with the offset in force just before the transition.
        offset = (got.utc - timedelta(hours=3)).astimezone(zone).utcoffset()
        assert offset is not None
        named = got.utc.replace(tzinfo=None) + offset
        assert got.local.replace(tzinfo=None) > named
    else:
        named = got.local.replace(tzinfo=None)
    assert named.time() == wall
    assert days is None or named.weekday() in days
