"""The brute-force ``next_local`` oracle (tests/_dst_oracle.py) against answers worked out by hand.

These pin the oracle itself, so that a disagreement between it and the library can be read as a
library bug: the transitions of the five zones of issue 13 and the issue's own examples.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from tests._dst_oracle import Expected, GapRaised, oracle_next_local, transitions

YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
HOWE = ZoneInfo("Australia/Lord_Howe")
H = timedelta(hours=1)


def z(text: str) -> datetime:
    """A UTC instant from ``YYYY-MM-DDTHH:MM``."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def answer(*args: object, **kwargs: object) -> Expected:
    result = oracle_next_local(*args, **kwargs)  # type: ignore[arg-type]
    assert isinstance(result, Expected)
    return result


@pytest.mark.parametrize(
    ("zone", "year", "expected"),
    [
        (YORK, 2026, [("2026-03-08T07:00", -5, -4), ("2026-11-01T06:00", -4, -5)]),
        (YORK, 2027, [("2027-03-14T07:00", -5, -4), ("2027-11-07T06:00", -4, -5)]),
        (LONDON, 2026, [("2026-03-29T01:00", 0, 1), ("2026-10-25T01:00", 1, 0)]),
        (LONDON, 2027, [("2027-03-28T01:00", 0, 1), ("2027-10-31T01:00", 1, 0)]),
        (HOWE, 2026, [("2026-04-04T15:00", 11, 10.5), ("2026-10-03T15:30", 10.5, 11)]),
        (HOWE, 2027, [("2027-04-03T15:00", 11, 10.5), ("2027-10-02T15:30", 10.5, 11)]),
        (ZoneInfo("Asia/Kolkata"), 2026, []),
        (ZoneInfo("Asia/Kolkata"), 2027, []),
        (ZoneInfo("America/Sao_Paulo"), 2026, []),
        (ZoneInfo("America/Sao_Paulo"), 2027, []),
    ],
)
def test_transitions_are_found_to_the_minute(
    zone: ZoneInfo, year: int, expected: list[tuple[str, float, float]]
) -> None:
    found = [(at, before / H, after / H) for at, before, after in transitions(zone, year)]
    assert found == [(z(at), before, after) for at, before, after in expected]


def test_the_issue_examples() -> None:
    spring = answer(datetime(2026, 3, 8, tzinfo=YORK), time(2, 30), YORK)
    assert (spring.utc, spring.gap, spring.fold) == (z("2026-03-08T07:30"), True, False)
    assert (spring.local.hour, spring.local.minute, spring.local.utcoffset()) == (3, 30, -4 * H)
    howe = answer(datetime(2026, 10, 4, tzinfo=HOWE), time(2, 15), HOWE)
    assert (howe.local.date(), howe.local.hour, howe.local.minute) == (date(2026, 10, 4), 2, 45)
    assert (howe.utc, howe.gap) == (z("2026-10-03T15:45"), True)
    midnight = datetime(2026, 11, 1, tzinfo=YORK)
    first = answer(midnight, time(1, 30), YORK)
    second = answer(midnight, time(1, 30), YORK, fold="later")
    assert (first.utc, first.fold, first.local.fold) == (z("2026-11-01T05:30"), True, 0)
    assert (second.utc, second.fold, second.local.fold) == (z("2026-11-01T06:30"), True, 1)


def test_between_the_two_readings_of_a_fold_the_date_is_spent_unless_later() -> None:
    between = z("2026-11-01T05:31")
    assert answer(between, time(1, 30), YORK).utc == z("2026-11-02T06:30")
    assert answer(between, time(1, 30), YORK, fold="later").utc == z("2026-11-01T06:30")
    after_both = z("2026-11-01T06:31")
    assert answer(after_both, time(1, 30), YORK, fold="later").utc == z("2026-11-02T06:30")


def test_equal_counts_and_microseconds_do_not() -> None:
    exact = z("2026-10-25T00:30")
    assert answer(exact, time(1, 30), LONDON).utc == exact
    later = answer(exact + timedelta(microseconds=1), time(1, 30), LONDON)
    assert later.utc == z("2026-10-26T01:30")


def test_gap_raise_only_when_the_gap_date_would_be_the_answer() -> None:
    raised = oracle_next_local(z("2026-03-29T00:00"), time(1, 30), LONDON, on_gap="raise")
    assert raised == GapRaised(date(2026, 3, 29), "Europe/London")
    # Once the gap date's moved instant has passed, it is passed over like any past candidate.
    late = oracle_next_local(z("2026-03-29T22:00"), time(1, 30), LONDON, on_gap="raise")
    assert late.utc == z("2026-03-30T00:30")  # type: ignore[union-attr]
    forward = answer(z("2026-03-29T22:00"), time(1, 30), LONDON)
    assert forward.utc == z("2026-03-30T00:30")
    skipped = answer(z("2026-03-29T00:00"), time(1, 30), LONDON, frozenset({0}), on_gap="raise")
    assert skipped.utc == z("2026-03-30T00:30")
    next_day = answer(z("2026-03-30T00:00"), time(1, 30), LONDON, on_gap="raise")
    assert next_day.utc == z("2026-03-30T00:30")


def test_days_and_the_local_date_of_after() -> None:
    # Friday 2026-03-06 23:00 in New York is already Saturday in UTC: the local date counts.
    friday_night = datetime(2026, 3, 6, 23, 0, tzinfo=YORK)
    monday = answer(friday_night, time(9, 0), YORK, frozenset(range(5)))
    assert monday.local.replace(tzinfo=None) == datetime(2026, 3, 9, 9, 0)
    assert monday.utc == z("2026-03-09T13:00")
    sunday = answer(friday_night, time(2, 30), YORK, frozenset({6}))
    assert (sunday.utc, sunday.gap) == (z("2026-03-08T07:30"), True)
    fixed = datetime(2026, 3, 6, 23, 0, tzinfo=timezone(timedelta(hours=-5)))
    assert answer(fixed, time(9, 0), YORK, frozenset(range(5))) == monday


def test_lord_howe_fall_back_half_hour_fold() -> None:
    start = datetime(2026, 4, 5, tzinfo=HOWE)
    first = answer(start, time(1, 45), HOWE)
    second = answer(start, time(1, 45), HOWE, fold="later")
    assert (first.utc, first.local.utcoffset(), first.fold) == (z("2026-04-04T14:45"), 11 * H, True)
    assert (second.utc, second.local.utcoffset()) == (z("2026-04-04T15:15"), 10.5 * H)


def test_refuses_what_the_contract_refuses() -> None:
    with pytest.raises(ValueError, match="aware"):
        oracle_next_local(datetime(2026, 1, 1), time(9), YORK)
    with pytest.raises(ValueError, match="minute"):
        oracle_next_local(z("2026-01-01T00:00"), time(9, 0, 30), YORK)
