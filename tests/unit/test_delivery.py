"""Courier's delivery windows (the Send API's ``message.delay``): grammar, wire, DST, hostile
inputs, and the simulator delivering each recipient's message at their window's opening."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from automation_dsl import (
    Automation,
    MessageDelay,
    OpeningHours,
    SendMessage,
    ValidationError,
    ValidationTypeError,
)
from automation_dsl._delivery import (
    MONTHS,
    WEEKDAYS,
    DateRange,
    Rule,
    Span,
    profile_zone,
    recipient_zone,
    zone_named,
)

NY = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
ZONES = [NY, LONDON, LORD_HOWE, ZoneInfo("Asia/Kolkata"), ZoneInfo("America/Sao_Paulo"), UTC]

# -- the grammar -----------------------------------------------------------------------------

# Every example of Courier's delay page [DOCS-SENDDELAY], and the SDK docstring's example.
COURIER_EXAMPLES = [
    "Mo-Fr 09:00-17:00",
    "Fr-Mo 17:00-09:00",
    "Su-Sa 08:00-12:00",
    "Mo 09:00-12:00, 14:00-18:00",
    "Mo 09:00-12:00; Mo 14:00-18:00",
    "Mo 09:00-12:00; We 14:00-18:00",
    "Su-Mo 11:00-11:00",
    "Oct 31: Su-Sa 09:00-17:00",
    "Jun-Aug: 09:00-17:00",
    "Mo-Fr 08:00-16:30",
    "Mo-Fr 09:00-12:00,14:00-18:00",
]


@pytest.mark.parametrize("text", COURIER_EXAMPLES)
def test_courier_examples_parse_and_stay_as_written(text: str) -> None:
    delay = MessageDelay(until=text)
    assert delay.to_wire() == {"until": text}
    assert MessageDelay.from_wire({"until": text}) == delay
    assert delay.window is not None
    assert delay.window.text == text


def test_the_parsed_rules_of_examples() -> None:
    assert OpeningHours("Fr-Mo 17:00-09:00").rules == (
        Rule((), frozenset({4, 5, 6, 0}), (Span(17 * 60, 9 * 60),)),
    )
    assert OpeningHours("Su-Sa 08:00-12:00").rules[0].weekdays == frozenset(range(7))
    assert OpeningHours("Oct 31: Su-Sa 09:00-17:00").rules[0].dates == (DateRange(10, 31, 10, 31),)
    assert OpeningHours("Jun-Aug: 09:00-17:00").rules == (
        Rule((DateRange(6, None, 8, None),), None, (Span(540, 1020),)),
    )
    assert OpeningHours("Dec 24-Jan 02: 10:00-24:00").rules[0].dates == (DateRange(12, 24, 1, 2),)


@pytest.mark.parametrize(
    ("text", "position", "expected"),
    [
        ("Mo-Fr 9:00-17:00", 6, "an opening time HH:MM"),
        ("Mo-Fr 09:00", 11, "'-' and a closing time"),
        ("Mo-Fr 09:00-5pm", 12, "a closing time HH:MM"),
        ("Mo-Fr09:00-17:00", 5, "a space between the weekdays and the times"),
        ("Mon-Fri 09:00-17:00", 2, "a space between the weekdays and the times"),
        ("mo-fr 09:00-17:00", 0, "a weekday, a month or a time"),
        ("Mo-Xx 09:00-17:00", 3, "a weekday (Mo"),
        ("Mo-Fr 09:60-17:00", 6, "a time from 00:00 to 23:59"),
        ("Mo-Fr 24:00-17:00", 6, "24:00 only as a closing time"),
        ("Mo-Fr 09:00-24:30", 12, "a time from 00:00"),
        ("Mo-Fr 25:00-26:00", 6, "a time from 00:00"),
        ("Oct 31 Mo 09:00-17:00", 7, "':' after the dates"),
        ("Oct 31:Mo 09:00-17:00", 7, "a space after ':'"),
        ("Feb 30: 09:00-17:00", 4, "a day of Feb (1..29)"),
        ("Oct 123: 09:00-17:00", 4, "a day of Oct"),
        ("Mo-Fr 09:00-17:00;", 18, "a weekday, a month or a time"),
        ("Mo-Fr 09:00-17:00 ; ; Sa 10:00-11:00", 20, "a weekday, a month or a time"),
        ("Mo-Fr 09:00-17:00 Sa 10:00-11:00", 18, "';' between rules"),
        ("Mo-Fr 09:00-17:00, Sa 10:00-11:00", 19, "an opening time HH:MM"),
        ("24/7", 0, "a weekday, a month or a time"),
        ("Mo-Fr 09:00-17:00; PH off", 19, "a weekday, a month or a time"),
        ("Mo-Fr 09:00+", 11, "'-' and a closing time"),
        ("2026 Mo 09:00-10:00", 0, "a weekday, a month or a time"),
        (" Mo 09:00-10:00", 0, "a weekday, a month or a time"),
        ("Mo 09:00-10:00 ", 15, "';' between rules"),
    ],
)
def test_syntax_errors_name_field_expectation_value_and_position(
    text: str, position: int, expected: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        MessageDelay(until=text)
    error = caught.value
    assert error.field == "until"
    assert error.got == text
    assert expected in error.expected
    assert error.expected.endswith(f"at position {position}")
    assert "partial" in str(error) or "part of opening_hours" in str(error)


@st.composite
def rules(draw: st.DrawFn) -> Rule:
    dates: tuple[DateRange, ...] = ()
    if draw(st.booleans()):
        ranges = []
        for _ in range(draw(st.integers(1, 2))):
            first = draw(st.integers(1, 12))
            if draw(st.booleans()):
                ranges.append(DateRange(first, None, draw(st.integers(1, 12)), None))
            else:
                days = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
                last = draw(st.integers(1, 12))
                ranges.append(
                    DateRange(
                        first,
                        draw(st.integers(1, days[first - 1])),
                        last,
                        draw(st.integers(1, days[last - 1])),
                    )
                )
        dates = tuple(ranges)
    weekdays = draw(st.none() | st.frozensets(st.integers(0, 6), min_size=1))
    spans = draw(
        st.lists(
            st.builds(Span, st.integers(0, 1439), st.integers(0, 1440)), min_size=1, max_size=3
        )
    )
    return Rule(dates, weekdays, tuple(spans))


@given(st.lists(rules(), min_size=1, max_size=4))
def test_any_rules_render_and_parse_back_to_themselves(drawn: list[Rule]) -> None:
    text = "; ".join(rule.render() for rule in drawn)
    assert OpeningHours(text).rules == tuple(drawn)


delays = st.one_of(
    st.builds(
        MessageDelay,
        duration=st.integers(1, 10**10).map(lambda ms: timedelta(milliseconds=ms)),
    ),
    st.builds(
        MessageDelay,
        until=st.datetimes(
            min_value=datetime(1970, 1, 1), max_value=datetime(9000, 1, 1), timezones=st.just(UTC)
        ),
    ),
    st.builds(MessageDelay, until=st.dates()),
    st.builds(
        MessageDelay,
        until=st.lists(rules(), min_size=1, max_size=3).map(
            lambda rs: "; ".join(r.render() for r in rs)
        ),
        timezone=st.none() | st.sampled_from(["America/New_York", "UTC", "Australia/Lord_Howe"]),
    ),
)


@given(delays)
def test_to_wire_and_from_wire_round_trip(delay: MessageDelay) -> None:
    wire = delay.to_wire()
    assert MessageDelay.from_wire(wire) == delay
    assert MessageDelay.from_wire(wire).to_wire() == wire


# -- the wire -----------------------------------------------------------------------------------


def test_wire_json_is_exactly_the_send_api_shape() -> None:
    assert MessageDelay(duration=timedelta(minutes=2)).to_wire() == {"duration": 120000}
    assert MessageDelay(duration=timedelta(milliseconds=1)).to_wire() == {"duration": 1}
    moment = datetime(2024, 10, 11, 6, 37, 25, tzinfo=ZoneInfo("Asia/Bangkok"))
    assert MessageDelay(until=moment).to_wire() == {"until": "2024-10-10T23:37:25Z"}
    with_millis = datetime(2024, 10, 11, 6, 37, 25, 123999, tzinfo=UTC)
    assert MessageDelay(until=with_millis).to_wire() == {"until": "2024-10-11T06:37:25.123Z"}
    assert MessageDelay(until=date(2025, 1, 1)).to_wire() == {"until": "2025-01-01"}
    window = MessageDelay(until="Mo-Fr 09:00-17:00", timezone=ZoneInfo("America/Los_Angeles"))
    assert window.to_wire() == {"until": "Mo-Fr 09:00-17:00", "timezone": "America/Los_Angeles"}


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        ("2025-01-01", date(2025, 1, 1)),
        ("2024-10-11T06:37:25Z", datetime(2024, 10, 11, 6, 37, 25, tzinfo=UTC)),
        # Courier's own example writes a one-digit offset hour
        ("2024-10-11T06:37:25+7:00", datetime(2024, 10, 10, 23, 37, 25, tzinfo=UTC)),
        ("2024-10-11T06:37:25+07:00", datetime(2024, 10, 10, 23, 37, 25, tzinfo=UTC)),
        ("2024-10-11T06:37:25-0530", datetime(2024, 10, 11, 12, 7, 25, tzinfo=UTC)),
        ("2024-10-11T06:37Z", datetime(2024, 10, 11, 6, 37, tzinfo=UTC)),
        ("2024-10-11T06:37:25.5Z", datetime(2024, 10, 11, 6, 37, 25, 500000, tzinfo=UTC)),
    ],
)
def test_courier_iso_forms_of_until_are_read(text: str, moment: date) -> None:
    assert MessageDelay.from_wire({"until": text}).until == moment


def test_send_message_carries_the_typed_delay_and_keeps_raw_json_verbatim() -> None:
    typed = {
        "to": {"user_id": "u1"},
        "template": "T",
        "delay": MessageDelay(until="Mo 09:00-10:00"),
    }
    flow = Automation().send_message(typed)
    assert flow.to_dict()["steps"] == [
        {
            "action": "send",
            "message": {
                "to": {"user_id": "u1"},
                "template": "T",
                "delay": {"until": "Mo 09:00-10:00"},
            },
        }
    ]
    assert Automation.from_dict(flow.to_dict()) == flow
    raw = {"to": "u1", "template": "T", "delay": {"until": "2024-10-11T06:37:25+7:00"}}
    assert SendMessage(message=raw).to_wire()["message"] == raw
    referenced = {"to": "u1", "template": "T", "delay": {"until": {"$ref": "data.window"}}}
    assert SendMessage(message=referenced).to_wire()["message"] == referenced


def test_parsing_a_document_checks_the_delay_with_its_path() -> None:
    step = {"action": "send", "message": {"to": "u", "template": "T", "delay": {"until": "9-5"}}}
    with pytest.raises(ValidationError) as caught:
        Automation.from_dict({"steps": [{"action": "send", "template": "A"}, step]})
    assert caught.value.path == "steps[1].message.delay.until"


# -- hostile inputs ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field", "error"),
    [
        ({}, "until", ValidationError),
        ({"until": None, "duration": None}, "until", ValidationError),
        ({"duration": timedelta(0)}, "duration", ValidationError),
        ({"duration": timedelta(seconds=-1)}, "duration", ValidationError),
        ({"duration": timedelta(microseconds=1500)}, "duration", ValidationError),
        ({"duration": timedelta(days=10**6)}, "duration", ValidationError),
        ({"duration": 120000}, "duration", ValidationTypeError),
        ({"duration": math.nan}, "duration", ValidationTypeError),
        ({"duration": True}, "duration", ValidationTypeError),
        ({"until": 42}, "until", ValidationTypeError),
        ({"until": ""}, "until", ValidationError),
        ({"until": "Mo 09:00-10:00" * 100}, "until", ValidationError),
        ({"until": "Mo 09:00-10:00\ud800"}, "until", ValidationError),
        ({"until": "Mo\u00a009:00-10:00"}, "until", ValidationError),
        ({"until": datetime(2026, 1, 1)}, "until", ValidationError),
        ({"until": "2026-02-30T00:00:00Z"}, "until", ValidationError),
        ({"until": "2026-01-01T00:00:00"}, "until", ValidationError),
        ({"until": "2026-01-01T00:00:00+99:00"}, "until", ValidationError),
        ({"until": "2026-" + "9" * 100}, "until", ValidationError),
        ({"until": ["Mo 09:00-10:00"]}, "until", ValidationTypeError),
        ({"duration": timedelta(hours=1), "until": "Mo 09:00-10:00"}, "duration", ValidationError),
        ({"until": date(2026, 1, 1), "timezone": "UTC"}, "timezone", ValidationError),
        ({"duration": timedelta(hours=1), "timezone": "UTC"}, "timezone", ValidationError),
    ],
)
def test_bad_values_are_refused_naming_the_field(
    kwargs: dict[str, Any], field: str, error: type[Exception]
) -> None:
    with pytest.raises(error) as caught:
        MessageDelay(**kwargs)
    assert isinstance(caught.value, ValidationError)
    assert caught.value.field == field
    assert "message delay" in str(caught.value)


@pytest.mark.parametrize(
    "name",
    [
        "../../../etc/passwd",
        "/etc/localtime",
        "localtime",
        "Factory",
        "posixrules",
        "America/../UTC",
        "America/New_York/",
        "America//New_York",
        "./UTC",
        "UTC\x00",
        "UTC\n",
        "Europe/Lond\ud800",
        "America",
        "Americas/Los_Angeles",  # the spelling in Courier's docs: not an IANA zone
        "utc ",
        "",
        "A" * 10_000,
        "EST5EDT/" + "x" * 40,
    ],
)
def test_hostile_zone_names_are_refused_before_zoneinfo_opens_a_file(name: str) -> None:
    with pytest.raises(ValidationError) as caught:
        MessageDelay(until="Mo 09:00-10:00", timezone=name)
    assert caught.value.field == "timezone"
    assert "IANA" in caught.value.expected


@pytest.mark.parametrize("value", [None, 3, b"UTC", ["UTC"], {"UTC": 1}])
def test_zone_names_of_the_wrong_type(value: object) -> None:
    with pytest.raises(ValidationTypeError):
        zone_named(value)


@pytest.mark.parametrize(
    "wire",
    [
        None,
        "Mo 09:00-10:00",
        [],
        {"duration": 1.5},
        {"duration": "120000"},
        {"duration": True},
        {"duration": math.inf},
        {"duration": 10**40},
        {"until": 20260101},
        {"until": {"deep": {"deeper": {}}}},
        {"delay": 1},
        {"until": "Mo 09:00-10:00", "timezone": 7},
        {},
    ],
)
def test_hostile_wire_values_raise_validation_errors(wire: object) -> None:
    with pytest.raises(ValidationError):
        MessageDelay.from_wire(wire)


def test_profile_zones_read_as_courier_documents() -> None:
    assert recipient_zone({}) is None
    assert recipient_zone({"timezone": "Europe/London"}) == LONDON
    assert recipient_zone({"timezone": "Europe/London", "zoneinfo": "Asia/Tokyo"}) == ZoneInfo(
        "Asia/Tokyo"
    )
    assert profile_zone("UTC-5", "timezone").utcoffset(None) == timedelta(hours=-5)
    assert profile_zone("UTC+5:30", "timezone").utcoffset(None) == timedelta(hours=5, minutes=30)
    for bad in ("UTC+15", "UTC+4:99", "GMT+4", "../UTC"):
        with pytest.raises(ValidationError):
            profile_zone(bad, "timezone")


# -- next_open and DST ------------------------------------------------------------------------


def at(zone: tzinfo, year: int, month: int, day: int, *clock: int, fold: int = 0) -> datetime:
    hour, minute, second = (*clock, 0, 0, 0)[:3]
    return datetime(year, month, day, hour, minute, second, tzinfo=zone, fold=fold)


@pytest.mark.parametrize(
    ("window", "after", "zone", "opens"),
    [
        # Courier's rule: start inclusive, end exclusive
        ("Mo-Fr 08:00-12:00", at(NY, 2026, 3, 2, 8, 0), NY, at(NY, 2026, 3, 2, 8, 0)),
        ("Mo-Fr 08:00-12:00", at(NY, 2026, 3, 2, 12, 0), NY, at(NY, 2026, 3, 3, 8, 0)),
        # Friday 20:00 -> Monday 09:00
        ("Mo-Fr 09:00-17:00", at(NY, 2026, 3, 6, 20, 0), NY, at(NY, 2026, 3, 9, 9, 0)),
        # a span past midnight is open the next morning
        ("Fr-Mo 17:00-09:00", at(UTC, 2026, 3, 7, 8, 59), UTC, at(UTC, 2026, 3, 7, 8, 59)),
        ("Fr-Mo 17:00-09:00", at(UTC, 2026, 3, 7, 12, 0), UTC, at(UTC, 2026, 3, 7, 17, 0)),
        ("Fr-Mo 17:00-09:00", at(UTC, 2026, 3, 10, 8, 0), UTC, at(UTC, 2026, 3, 10, 8, 0)),
        ("Fr-Mo 17:00-09:00", at(UTC, 2026, 3, 10, 9, 0), UTC, at(UTC, 2026, 3, 13, 17, 0)),
        # a point in time ("only at 11am"), on Su and Mo (the range wraps)
        ("Su-Mo 11:00-11:00", at(UTC, 2026, 3, 3, 0, 0), UTC, at(UTC, 2026, 3, 8, 11, 0)),
        ("Su-Mo 11:00-11:00", at(UTC, 2026, 3, 8, 11, 0), UTC, at(UTC, 2026, 3, 8, 11, 0)),
        ("Su-Mo 11:00-11:00", at(UTC, 2026, 3, 8, 11, 1), UTC, at(UTC, 2026, 3, 9, 11, 0)),
        # rules add up (Courier's "same day, different entries")
        ("Mo 09:00-12:00; Mo 14:00-18:00", at(UTC, 2026, 3, 2, 12), UTC, at(UTC, 2026, 3, 2, 14)),
        # dates and months
        ("Oct 31: Su-Sa 09:00-17:00", at(UTC, 2026, 9, 1), UTC, at(UTC, 2026, 10, 31, 9)),
        ("Jun-Aug: 09:00-17:00", at(UTC, 2026, 5, 31, 18), UTC, at(UTC, 2026, 6, 1, 9)),
        ("Dec 24-Jan 02: 10:00-11:00", at(UTC, 2026, 12, 31, 12), UTC, at(UTC, 2027, 1, 1, 10)),
        # New York: spring forward 2026-03-08 02:00 -> 03:00; an opening in the gap opens at
        # the first instant after it, and a span across the gap is open from 03:00
        ("Su 02:30-05:00", at(NY, 2026, 3, 8, 0, 0), NY, at(NY, 2026, 3, 8, 3, 0)),
        ("Su 02:00-02:30", at(NY, 2026, 3, 8, 0, 0), NY, at(NY, 2026, 3, 8, 3, 0)),
        ("Su 01:00-04:00", at(NY, 2026, 3, 8, 3, 30), NY, at(NY, 2026, 3, 8, 3, 30)),
        ("Mo-Fr 09:00-17:00", at(NY, 2026, 3, 6, 18), NY, at(NY, 2026, 3, 9, 9)),
        # New York: fall back 2026-11-01 02:00 EDT -> 01:00 EST; 01:30 happens twice
        ("Su 01:30-01:45", at(NY, 2026, 11, 1, 0, 0), NY, at(NY, 2026, 11, 1, 1, 30)),
        ("Su 01:30-01:45", at(NY, 2026, 11, 1, 1, 50), NY, at(NY, 2026, 11, 1, 1, 30, fold=1)),
        # the fold sets the clock back into 00:30-01:30: open again at 01:00 EST
        ("Su 00:30-01:30", at(NY, 2026, 11, 1, 1, 45), NY, at(NY, 2026, 11, 1, 1, 0, fold=1)),
        # London: 2026-03-29 01:00 GMT -> 02:00 BST; 2026-10-25 02:00 BST -> 01:00 GMT
        ("Su 01:15-03:00", at(LONDON, 2026, 3, 29, 0, 0), LONDON, at(LONDON, 2026, 3, 29, 2, 0)),
        ("Su 09:00-17:00", at(LONDON, 2026, 3, 28, 20), LONDON, at(LONDON, 2026, 3, 29, 9)),
        ("Su 01:30-01:40", at(LONDON, 2026, 10, 25, 1, 45), LONDON,
         at(LONDON, 2026, 10, 25, 1, 30, fold=1)),
        # Lord Howe: a 30-minute shift. 2026-10-04 02:00 +10:30 -> 02:30 +11:00;
        # 2026-04-05 02:00 +11:00 -> 01:30 +10:30
        ("Su 02:10-02:20", at(LORD_HOWE, 2026, 10, 4, 0), LORD_HOWE,
         at(LORD_HOWE, 2026, 10, 4, 2, 30)),
        ("Su 02:00-06:00", at(LORD_HOWE, 2026, 10, 4, 0), LORD_HOWE,
         at(LORD_HOWE, 2026, 10, 4, 2, 30)),
        ("Su 01:40-01:50", at(LORD_HOWE, 2026, 4, 5, 1, 55), LORD_HOWE,
         at(LORD_HOWE, 2026, 4, 5, 1, 40, fold=1)),
        ("Mo-Fr 09:00-17:00", at(LORD_HOWE, 2026, 10, 2, 20), LORD_HOWE,
         at(LORD_HOWE, 2026, 10, 5, 9)),
    ],
)  # fmt: skip
def test_next_open(window: str, after: datetime, zone: tzinfo, opens: datetime) -> None:
    got = OpeningHours(window).next_open(after, zone)
    assert got == opens
    assert got.astimezone(UTC) == opens.astimezone(UTC)
    assert got.utcoffset() == opens.utcoffset()  # the same instant, also on the wall clock
    assert got.astimezone(UTC) >= after.astimezone(UTC)  # same-zone >= ignores fold


def test_the_gap_instant_is_the_transition_itself() -> None:
    opened = OpeningHours("Su 02:30-05:00").next_open(at(NY, 2026, 3, 8), NY)
    assert opened.astimezone(UTC) == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)
    before = opened.astimezone(UTC) - timedelta(seconds=1)
    assert before.astimezone(NY).hour == 1  # 01:59:59 EST, the instant before it


def test_no_window_within_90_days_is_an_error_as_at_courier() -> None:
    with pytest.raises(ValidationError) as caught:
        OpeningHours("Feb 29: 09:00-10:00").next_open(at(UTC, 2026, 3, 1), UTC)
    assert "within 90 days" in caught.value.expected
    assert OpeningHours("Feb 29: 09:00-10:00").next_open(at(UTC, 2027, 12, 15), UTC) == at(
        UTC, 2028, 2, 29, 9
    )


@pytest.mark.parametrize("after", [datetime(2026, 1, 1), "2026-01-01", None])
def test_next_open_refuses_naive_or_non_datetimes(after: Any) -> None:
    with pytest.raises(ValidationError):
        OpeningHours("Mo 09:00-10:00").next_open(after, UTC)


# The 2026 and 2027 DST transitions of New York, London and Lord Howe (Kolkata has none;
# Sao Paulo abolished DST in 2019).
TRANSITION_DAYS = [
    datetime(2026, 3, 8), datetime(2026, 11, 1), datetime(2027, 3, 14), datetime(2027, 11, 7),
    datetime(2026, 3, 29), datetime(2026, 10, 25), datetime(2027, 3, 28), datetime(2027, 10, 31),
    datetime(2026, 4, 5), datetime(2026, 10, 4), datetime(2027, 4, 4), datetime(2027, 10, 3),
]  # fmt: skip


def _brute_open(days: frozenset[int], spans: list[tuple[int, int]], wall: datetime) -> bool:
    """An independent reading of "open": the wall clock inside a span of an allowed day
    (spans with end <= start run to the next day)."""
    for back in (1, 0):
        day = (wall - timedelta(days=back)).date()
        if day.weekday() not in days:
            continue
        midnight = datetime(day.year, day.month, day.day)
        for start, end in spans:
            opens = midnight + timedelta(minutes=start)
            closes = midnight + timedelta(minutes=end + (1440 if end <= start else 0))
            if opens <= wall < closes:
                return True
    return False


@settings(max_examples=150)
@given(
    days=st.frozensets(st.integers(0, 6), min_size=1),
    spans=st.lists(
        st.tuples(st.integers(0, 95), st.integers(5, 40)).map(
            lambda p: (p[0] * 15, (p[0] * 15 + p[1] * 15) % 1440)
        ),
        min_size=1,
        max_size=2,
    ),
    zone=st.sampled_from(ZONES),
    after=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31))
    | st.builds(
        lambda day, minutes: day + timedelta(minutes=minutes),
        st.sampled_from(TRANSITION_DAYS),
        st.integers(-4 * 1440, 2 * 1440),
    ),
)
def test_next_open_matches_a_minute_by_minute_scan(
    days: frozenset[int], spans: list[tuple[int, int]], zone: tzinfo, after: datetime
) -> None:
    """Spans are at least 75 minutes long, longer than any gap, so a span never falls
    wholly in one: the first open minute of the scan is the opening."""
    after = after.replace(second=0, microsecond=0, tzinfo=UTC)
    text = (
        ",".join(WEEKDAYS[d] for d in sorted(days))
        + " "
        + ",".join(f"{s // 60:02d}:{s % 60:02d}-{e // 60:02d}:{e % 60:02d}" for s, e in spans)
    )
    got = OpeningHours(text).next_open(after, zone)
    moment = after
    while not _brute_open(days, spans, moment.astimezone(zone).replace(tzinfo=None)):
        moment += timedelta(minutes=1)
    # In UTC: PEP 495 makes a local time in a fold unequal to every instant of another zone.
    assert got.astimezone(UTC) == moment


def test_months_and_weekdays_are_named_as_osm_does() -> None:
    assert WEEKDAYS == ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
    assert MONTHS[9] == "Oct"


# -- delivery in the simulator ------------------------------------------------------------------


def delivered(flow: Automation, start: datetime, **context: Any) -> list[tuple[str, str]]:
    timeline = flow.simulate(start=start, recipient="u1", **context)
    return [
        (event.outcome, str(event.detail.get("deliver_at")))
        for event in timeline
        if event.action == "send"
    ]


def window_flow(delay: MessageDelay | dict[str, Any], **to: str) -> Automation:
    return Automation().send_message(
        {"to": {"user_id": "u1", **to}, "template": "T", "delay": delay}
    )


def test_a_send_at_20_local_is_delivered_next_business_day_at_9_local() -> None:
    flow = window_flow(MessageDelay(until="Mo-Fr 09:00-17:00"))
    friday_evening = at(NY, 2026, 3, 6, 20, 0)
    # Monday 2026-03-09 09:00 EDT (DST began on Sunday)
    assert delivered(flow, friday_evening, profile={"timezone": "America/New_York"}) == [
        ("sent", "2026-03-09T13:00:00Z")
    ]
    # in London the same instant is Saturday 01:00: Monday 09:00 GMT
    assert delivered(flow, friday_evening, profile={"timezone": "Europe/London"}) == [
        ("sent", "2026-03-09T09:00:00Z")
    ]


def test_zone_precedence_delay_then_to_then_profile_zoneinfo_then_timezone_then_utc() -> None:
    start = at(UTC, 2026, 3, 2, 20, 0)  # Monday 20:00 UTC
    plain = MessageDelay(until="Mo-Fr 09:00-17:00")
    in_tokyo = MessageDelay(until="Mo-Fr 09:00-17:00", timezone="Asia/Tokyo")
    ny = {"timezone": "America/New_York"}
    assert delivered(window_flow(plain), start) == [("sent", "2026-03-03T09:00:00Z")]
    assert delivered(window_flow(plain), start, profile=ny) == [("sent", "2026-03-02T20:00:00Z")]
    both = {"timezone": "America/New_York", "zoneinfo": "Asia/Tokyo"}
    assert delivered(window_flow(plain), start, profile=both) == [("sent", "2026-03-03T00:00:00Z")]
    assert delivered(window_flow(plain, timezone="Asia/Tokyo"), start, profile=ny) == [
        ("sent", "2026-03-03T00:00:00Z")
    ]
    assert delivered(window_flow(in_tokyo), start, profile=ny) == [("sent", "2026-03-03T00:00:00Z")]
    assert delivered(window_flow(plain), start, profile={"timezone": "UTC-5"}) == [
        ("sent", "2026-03-02T20:00:00Z")
    ]


def test_each_recipient_gets_their_own_zone_in_the_engine() -> None:
    from automation_dsl._engine import Engine
    from automation_dsl._timeline import VirtualClock

    clock = VirtualClock(at(UTC, 2026, 3, 6, 23, 0), owner="test")  # Friday 23:00 UTC
    engine = Engine(clock.now, profiles={"la": {"timezone": "America/Los_Angeles"}})
    flow = Automation().send_message(
        {"to": {"user_id": "la"}, "template": "T", "delay": {"until": "Mo-Fr 08:00-16:30"}}
    )
    engine.start(flow, {"recipient": "la"})
    engine.start(flow, {"recipient": "ny", "profile": {"timezone": "America/New_York"}})
    la, ny = engine.messages
    assert la.at == at(UTC, 2026, 3, 6, 23, 0)  # Friday 15:00 in Los Angeles: open
    assert ny.at == at(UTC, 2026, 3, 9, 12, 0)  # Friday 18:00 in New York: Monday 08:00 EDT


def test_durations_round_up_to_the_minute_and_past_instants_deliver_at_once() -> None:
    start = at(UTC, 2026, 3, 2, 12, 0, 10)
    assert delivered(window_flow({"duration": 90000}), start) == [("sent", "2026-03-02T12:02:10Z")]
    assert delivered(window_flow({"until": "2026-03-01T00:00:00Z"}), start) == [
        ("sent", "2026-03-02T12:00:10Z")
    ]
    assert delivered(window_flow({"until": "2026-03-05"}), start) == [
        ("sent", "2026-03-05T00:00:00Z")
    ]
    assert delivered(Automation().send_message({"to": "u1", "template": "T"}), start) == [
        ("sent", "None")
    ]


def test_a_delay_read_from_the_run_and_bad_zones_are_step_errors() -> None:
    flow = window_flow({"until": {"$ref": "data.window"}})
    start = at(UTC, 2026, 3, 2, 20, 0)
    assert delivered(flow, start, data={"window": "Mo-Fr 09:00-17:00"}) == [
        ("sent", "2026-03-03T09:00:00Z")
    ]
    timeline = flow.simulate(start=start, recipient="u1", data={"window": "9 to 5"})
    assert [e.outcome for e in timeline if e.action == "send"] == ["error"]
    bad_zone = window_flow({"until": "Mo 09:00-10:00"}).simulate(
        start=start, recipient="u1", profile={"timezone": "Mars/Olympus"}
    )
    errors = [e for e in bad_zone if e.outcome == "error"]
    assert len(errors) == 1
    assert "Mars/Olympus" in str(errors[0].detail)


@pytest.mark.parametrize("name", ["owner", "field"])
@pytest.mark.parametrize("value", [[], {}, set(), None, 3])
def test_opening_hours_owner_and_field_are_strings(name: str, value: object) -> None:
    with pytest.raises(ValidationTypeError, match=name):
        OpeningHours("Mo 09:00-17:00", **{name: value})  # type: ignore[arg-type]
