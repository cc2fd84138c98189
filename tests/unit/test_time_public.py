"""The public time helpers: Courier's until, duration and period strings both ways."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from automation_dsl import (
    Automation,
    ValidationError,
    ValidationTypeError,
    format_duration,
    format_period,
    format_until,
    parse_duration,
    parse_period,
    parse_until,
)

PARIS_SUMMER = timezone(timedelta(hours=2))


def test_format_until_matches_the_builder() -> None:
    moment = datetime(2024, 4, 8, 10, 9, 10, 123456, tzinfo=PARIS_SUMMER)
    flow = Automation().delay(until=moment)
    assert format_until(moment) == flow.to_dict()["steps"][0]["until"] == "20240408T080910.123"
    assert (
        format_until(moment, "extended")
        == flow.to_dict(until_format="extended")["steps"][0]["until"]
        == "2024-04-08T08:09:10.123Z"
    )
    assert format_until(date(2024, 4, 8)) == "20240408T000000.000"


def test_parse_until_reads_both_forms_and_offsets() -> None:
    expected = datetime(2024, 4, 8, 8, 9, 10, 123000, tzinfo=UTC)
    assert parse_until("20240408T080910.123") == expected
    assert parse_until("2024-04-08T08:09:10.123Z") == expected
    assert parse_until("2024-04-08T10:09:10.123456+02:00") == expected
    assert parse_until("2024-04-08T08:09:10.123").tzinfo is UTC  # no offset: UTC


@given(st.datetimes(timezones=st.just(UTC)), st.sampled_from(["basic", "extended"]))
def test_until_round_trips(moment: datetime, form: str) -> None:
    truncated = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    assert parse_until(format_until(moment, form)) == truncated


def test_format_until_refuses_naive_and_bad_formats() -> None:
    with pytest.raises(ValidationError, match="moment") as caught:
        format_until(datetime(2024, 4, 8))
    assert "tzinfo" in str(caught.value)
    with pytest.raises(ValidationError, match="until_format"):
        format_until(datetime(2024, 4, 8, tzinfo=UTC), "iso")
    with pytest.raises(ValidationTypeError, match="until_format"):
        format_until(datetime(2024, 4, 8, tzinfo=UTC), None)  # type: ignore[arg-type]
    far_east = timezone(timedelta(hours=-5))
    with pytest.raises(ValidationError, match="moment"):
        format_until(datetime(9999, 12, 31, 23, tzinfo=far_east))


@pytest.mark.parametrize(
    "value", [None, 1.5, float("nan"), "20240408T080910", b"2024", [], {"a": 1}, True]
)
def test_format_until_refuses_wrong_types(value: Any) -> None:
    with pytest.raises(ValidationTypeError, match="moment"):
        format_until(value)


@pytest.mark.parametrize(
    "text", ["", "tomorrow", "2024-13-01", "\ud800", "2024-04-08T08:09:10Z" * 10**5, "٢٠٢٤"]
)
def test_parse_until_refuses_what_is_not_a_timestamp(text: str) -> None:
    started = time.perf_counter()
    with pytest.raises(ValidationError, match="text") as caught:
        parse_until(text)
    assert time.perf_counter() - started < 0.5
    assert len(str(caught.value)) < 500


@pytest.mark.parametrize("value", [None, 20240408, datetime(2024, 4, 8, tzinfo=UTC), b"x"])
def test_parse_until_refuses_wrong_types(value: Any) -> None:
    with pytest.raises(ValidationTypeError, match="text"):
        parse_until(value)


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(minutes=1), "1 minute"),
        (timedelta(minutes=90), "90 minutes"),
        (timedelta(hours=36), "36 hours"),
        (timedelta(days=3), "3 days"),
        (timedelta(days=14), "2 weeks"),
    ],
)
def test_duration_both_ways(delta: timedelta, text: str) -> None:
    assert format_duration(delta) == text
    assert parse_duration(text) == delta
    assert Automation().delay(duration=delta).to_dict()["steps"][0]["duration"] == text


def test_parse_duration_reads_months_and_years_as_a_run_waits_them() -> None:
    assert parse_duration("1 month") == timedelta(days=30)
    assert parse_duration("2 years") == timedelta(days=730)
    assert format_duration(parse_duration("14 days")) == "2 weeks"


@given(st.integers(min_value=1, max_value=3660 * 24 * 60))
def test_duration_round_trips(minutes: int) -> None:
    delta = timedelta(minutes=minutes)
    assert parse_duration(format_duration(delta)) == delta


@pytest.mark.parametrize(
    "value",
    [timedelta(0), timedelta(minutes=-5), timedelta(seconds=30), timedelta(days=3661)],
)
def test_format_duration_refuses_bad_lengths(value: timedelta) -> None:
    with pytest.raises(ValidationError, match="duration"):
        format_duration(value)


@pytest.mark.parametrize("value", [None, 5, "5 minutes", float("inf"), True])
def test_format_duration_refuses_wrong_types(value: Any) -> None:
    with pytest.raises(ValidationTypeError, match="duration"):
        format_duration(value)


@pytest.mark.parametrize(
    "text", ["", "3", "3 fortnights", "0 days", "-1 days", "11 years", "9" * 10**6 + " days"]
)
def test_parse_duration_refuses_bad_text(text: str) -> None:
    with pytest.raises(ValidationError, match="text") as caught:
        parse_duration(text)
    assert len(str(caught.value)) < 600


def test_period_both_ways() -> None:
    assert format_period(timedelta(minutes=5)) == "PT5M"
    assert format_period(timedelta(days=1, hours=12)) == "P1DT12H"
    assert parse_period("PT5M") == timedelta(minutes=5)
    assert parse_period("P2M") == timedelta(days=61)


@given(st.integers(min_value=1, max_value=3660 * 86400))
def test_period_round_trips(seconds: int) -> None:
    delta = timedelta(seconds=seconds)
    assert parse_period(format_period(delta)) == delta


@pytest.mark.parametrize("text", ["", "P", "PT", "5M", "PT0S", "P11Y", "P" + "9" * 10**5 + "D"])
def test_parse_period_refuses_bad_text(text: str) -> None:
    with pytest.raises(ValidationError, match="text"):
        parse_period(text)


@pytest.mark.parametrize("value", [None, 300, timedelta(minutes=5)])
def test_parse_period_refuses_wrong_types(value: Any) -> None:
    with pytest.raises(ValidationTypeError, match="text"):
        parse_period(value)


@pytest.mark.parametrize("value", [None, "PT5M", 300])
def test_format_period_refuses_wrong_types(value: Any) -> None:
    with pytest.raises(ValidationTypeError, match="period"):
        format_period(value)
