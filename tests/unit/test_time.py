"""``until`` timestamps and durations: normalized to the forms Courier reads."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from automation_dsl import Automation, Delay, Ref, ValidationError, ValidationTypeError


def until_of(flow: Automation, **kwargs: str) -> str:
    return str(flow.to_dict(**kwargs)["steps"][-1]["until"])


@pytest.mark.parametrize(
    ("given", "wire"),
    [
        (datetime(2024, 4, 8, 8, 9, 10, 123000, tzinfo=UTC), "20240408T080910.123"),
        # other zones are converted to UTC
        (
            datetime(2024, 4, 8, 10, 9, 10, tzinfo=timezone(timedelta(hours=2))),
            "20240408T080910.000",
        ),
        (datetime(2024, 7, 1, 9, 0, tzinfo=ZoneInfo("America/New_York")), "20240701T130000.000"),
        # microseconds are truncated, as isoformat(timespec="milliseconds") does
        (datetime(2024, 1, 1, 0, 0, 0, 999999, tzinfo=UTC), "20240101T000000.999"),
        # a date is midnight UTC
        (date(2024, 4, 8), "20240408T000000.000"),
        # strings: basic or extended, with or without an offset (offset-less is UTC)
        ("20240408T080910.123", "20240408T080910.123"),
        ("2024-04-08T08:09:10.123Z", "20240408T080910.123"),
        ("2024-04-08T08:09:10", "20240408T080910.000"),
        ("2024-04-08T10:09:10+02:00", "20240408T080910.000"),
        ("20240408T100910+0200", "20240408T080910.000"),
        ("2024-04-08", "20240408T000000.000"),
    ],
)
def test_until_is_normalized_to_utc_basic_form(given: object, wire: str) -> None:
    assert until_of(Automation().delay(until=given)) == wire  # type: ignore[arg-type]


def test_extended_form_per_automation_and_per_call() -> None:
    moment = datetime(2024, 4, 8, 8, 9, 10, 123000, tzinfo=UTC)
    flow = Automation().delay(until=moment)
    assert until_of(flow, until_format="extended") == "2024-04-08T08:09:10.123Z"
    extended = Automation(until_format="extended").delay(until=moment)
    assert until_of(extended) == "2024-04-08T08:09:10.123Z"
    assert until_of(extended, until_format="basic") == "20240408T080910.123"
    assert until_of(flow.with_until_format("extended")) == "2024-04-08T08:09:10.123Z"


def test_naive_datetime_is_refused_with_a_fix() -> None:
    with pytest.raises(ValidationError) as caught:
        Automation().delay(until=datetime(2024, 4, 8, 8, 9, 10))
    message = str(caught.value)
    assert "delay step" in message
    assert "'until'" in message
    assert "timezone-aware" in message
    assert "timezone.utc" in message
    assert "ZoneInfo" in message
    assert caught.value.field == "until"


@pytest.mark.parametrize("bad", ["tomorrow", "2024-13-01", "", "20240408T25"])
def test_unparseable_until_string_names_the_field(bad: str) -> None:
    with pytest.raises(ValidationError, match=r"delay step: 'until' expected an ISO 8601"):
        Automation().delay(until=bad)


def test_until_of_wrong_type_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="until"):
        Automation().delay(until=1712563750)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("delta", "wire"),
    [
        (timedelta(minutes=5), "5 minutes"),
        (timedelta(minutes=1), "1 minute"),
        (timedelta(hours=1), "1 hour"),
        (timedelta(hours=36), "36 hours"),
        (timedelta(days=1), "1 day"),
        (timedelta(days=3), "3 days"),
        (timedelta(days=7), "1 week"),
        (timedelta(days=14), "2 weeks"),
        (timedelta(days=10), "10 days"),
        (timedelta(hours=1, minutes=30), "90 minutes"),
    ],
)
def test_timedelta_becomes_the_largest_exact_unit(delta: timedelta, wire: str) -> None:
    assert Automation().delay(duration=delta).to_dict()["steps"][0]["duration"] == wire


def test_keyword_units() -> None:
    assert Automation().delay(days=1).to_dict()["steps"][0]["duration"] == "1 day"
    assert Automation().delay(hours=36).to_dict()["steps"][0]["duration"] == "36 hours"
    assert Automation().delay(weeks=1, days=1).to_dict()["steps"][0]["duration"] == "8 days"


@pytest.mark.parametrize("text", ["5 minutes", "1 hour", "3 days", "2 weeks", "1 month", "1 year"])
def test_courier_duration_strings_are_kept(text: str) -> None:
    assert Delay(duration=text).to_wire()["duration"] == text


@pytest.mark.parametrize(
    "bad", ["5 fortnights", "5minutes", "PT5M", "0 minutes", "-1 hour", "1.5 hours", ""]
)
def test_bad_duration_strings_are_refused(bad: str) -> None:
    with pytest.raises(ValidationError, match=r"delay step: 'duration' expected"):
        Delay(duration=bad)


@pytest.mark.parametrize("bad", [timedelta(0), timedelta(minutes=-5), timedelta(seconds=90)])
def test_bad_timedeltas_are_refused(bad: timedelta) -> None:
    with pytest.raises(ValidationError, match="duration"):
        Automation().delay(duration=bad)


def test_exactly_one_of_until_or_duration() -> None:
    with pytest.raises(ValidationError, match="one of until=, duration= or units"):
        Automation().delay()
    with pytest.raises(ValidationError, match="exactly one of until= or duration="):
        Automation().delay(until="2024-04-08", duration="1 day")
    with pytest.raises(ValidationError, match="either duration= or keyword units"):
        Automation().delay(duration="1 day", hours=2)


def test_refs_are_allowed_for_until_and_duration() -> None:
    flow = Automation().delay(until=Ref("data.send_at")).delay(duration=Ref("data.wait"))
    assert flow.to_dict()["steps"] == [
        {"action": "delay", "until": {"$ref": "data.send_at"}},
        {"action": "delay", "duration": {"$ref": "data.wait"}},
    ]


@pytest.mark.parametrize(
    ("delta", "wire"),
    [
        (timedelta(minutes=5), "PT5M"),
        (timedelta(hours=1), "PT1H"),
        (timedelta(days=1), "P1D"),
        (timedelta(days=1, hours=2, minutes=3, seconds=4), "P1DT2H3M4S"),
        (timedelta(seconds=1.5), "PT1.5S"),
    ],
)
def test_batch_periods_are_iso_8601(delta: timedelta, wire: str) -> None:
    flow = Automation().add_to_batch(
        wait_period=delta, max_wait_period=delta, retain={"type": "last", "count": 10}
    )
    assert flow.to_dict()["steps"][0]["wait_period"] == wire


@pytest.mark.parametrize("bad", ["5 minutes", "P", "PT", "1H", "P1H"])
def test_bad_iso_periods_are_refused(bad: str) -> None:
    with pytest.raises(ValidationError, match="'period' expected"):
        Automation().throttle(max_allowed=1, period=bad, scope="user", on_throttle="n")


def test_iso_period_of_wrong_type() -> None:
    with pytest.raises(ValidationTypeError, match="wait_period"):
        Automation().add_to_batch(
            wait_period=5,  # type: ignore[arg-type]
            max_wait_period="PT1H",
            retain={"type": "last", "count": 1},
        )


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1 minute", 60),
        ("90 minutes", 5400),
        ("36 hours", 129600),
        ("2 days", 172800),
        ("1 week", 604800),
        ("1 month", 30 * 86400),
        ("2 years", 730 * 86400),
    ],
)
def test_a_run_reads_a_duration_with_months_of_30_days(text: str, seconds: int) -> None:
    from automation_dsl._time import duration_length, duration_seconds

    assert duration_seconds(text) == seconds
    assert duration_length(text) == timedelta(seconds=seconds)


def test_duration_length_refuses_what_is_not_a_duration() -> None:
    from automation_dsl._time import duration_seconds

    with pytest.raises(ValueError, match="not a Courier duration"):
        duration_seconds("5 fortnights")
    with pytest.raises(OverflowError, match="out of range"):
        duration_seconds("1234567890 minutes")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (60, "1 minute"),
        (5400, "90 minutes"),
        (7200, "2 hours"),
        (86400, "1 day"),
        (1209600, "2 weeks"),
        (90000, "25 hours"),
    ],
)
def test_humanize_writes_the_largest_exact_unit(seconds: int, text: str) -> None:
    from automation_dsl._time import duration_seconds, humanize

    assert humanize(seconds) == text
    assert duration_seconds(text) == seconds
