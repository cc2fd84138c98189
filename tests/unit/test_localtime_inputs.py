"""``at(...)``, ``parse_days`` and ``parse_wall`` refuse hostile input with errors naming the
field, and a recipient's zone is resolved per recipient (a fallback, or an error at the path).

Weekdays are the two-letter forms of Courier's opening-hours strings, capitalized as there
(``Mo-Fr``); other spellings (``mo-fr``, ``Mon``) are refused rather than guessed at.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from automation_dsl import Automation, Ref, ValidationError, at
from automation_dsl._localtime import LocalTime, parse_days, parse_wall
from automation_dsl.conditions import data, profile

LONDON = "Europe/London"
START = datetime(2026, 6, 1, 12, tzinfo=UTC)  # a Monday
HUGE = "x" * 10_000


def refused(call: Callable[[], object], field: str, *, wrong_type: bool = False) -> str:
    """Assert ``call`` raises a library error naming ``field``, bounded in length; its text."""
    with pytest.raises(ValidationError) as caught:
        call()
    error = caught.value
    text = str(error)
    assert error.field == field or field in str(error.path), text
    assert f"'{field}'" in text or field in str(error.path), text
    assert len(text) < 1_000, text[:200]
    if wrong_type:
        assert isinstance(error, TypeError), text
    return text


# Weekdays ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "days"),
    [
        ("Mo-Fr", {0, 1, 2, 3, 4}),
        ("Sa,Su", {5, 6}),
        ("Mo-We,Fr", {0, 1, 2, 4}),
        ("Fr-Mo", {4, 5, 6, 0}),
        ("Su", {6}),
        (["Mo", "Tu"], {0, 1}),
        (("Sa", "Su"), {5, 6}),
        (None, None),
    ],
)
def test_parse_days_reads_courier_weekdays(given: Any, days: set[int] | None) -> None:
    assert parse_days(given, "at", "days") == (None if days is None else frozenset(days))


BAD_DAYS = [
    "",
    "Mo-",
    "-Fr",
    "Xx",
    "Mo--Fr",
    "mo-fr",
    "MO-FR",
    "Mon",
    "Monday",
    "MoFr",
    "Mo Fr",
    "Mo,",
    ",Mo",
    "Mo,,Tu",
    "Mo\x00",
    "Mo\ud800",
    "\ud800",
    "Mo," * 5_000,
    HUGE,
    [],
    ["Xx"],
    ["Mo-"],
    [""],
    ["Mo", "\ud800"],
    ["Mo", 1],
    [None],
    [["Mo"]],
]
BAD_DAY_TYPES = [0, 1.5, float("nan"), b"Mo", True, object()]


@pytest.mark.parametrize("bad", BAD_DAYS, ids=repr)
def test_parse_days_refuses_bad_weekdays(bad: Any) -> None:
    refused(lambda: parse_days(bad, "at", "days"), "days")
    refused(lambda: at("09:00", tz=LONDON, days=bad), "days")


@pytest.mark.parametrize("bad", BAD_DAY_TYPES, ids=repr)
def test_parse_days_refuses_wrong_types(bad: Any) -> None:
    refused(lambda: parse_days(bad, "at", "days"), "days", wrong_type=True)
    refused(lambda: at("09:00", tz=LONDON, days=bad), "days", wrong_type=True)


# Wall times ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "wall"),
    [("00:00", time(0)), ("09:05", time(9, 5)), ("23:59", time(23, 59)), (time(9), time(9))],
)
def test_parse_wall_reads_hh_mm_and_naive_times(given: Any, wall: time) -> None:
    assert parse_wall(given, "at", "time") == wall


BAD_WALLS = [
    "",
    "24:00",
    "23:60",
    "9:5",
    "9:00",
    "09:5",
    "09:00:30",
    "09:00:00",
    "0900",
    "09-00",
    " 09:00",
    "09:00 ",
    "09:00\n",
    "09:00\x00",
    "-1:00",
    "+9:00",
    "0\u0669:00",  # ARABIC-INDIC DIGIT NINE: a Unicode digit, not an ASCII one
    "\uff10\uff19:\uff10\uff10",  # fullwidth 09:00
    "09:00Z",
    "09:00+01:00",
    "\ud800",
    "09:00\ud800",
    HUGE,
    "09:00" * 2_000,
    time(9, 0, 30),
    time(9, 0, 0, 1),
    time(9, tzinfo=UTC),
    time(9, tzinfo=ZoneInfo(LONDON)),
]
BAD_WALL_TYPES = [None, 9, 9.0, float("nan"), float("inf"), b"09:00", ["09:00"], True]


@pytest.mark.parametrize("bad", BAD_WALLS, ids=repr)
def test_parse_wall_refuses_bad_times(bad: Any) -> None:
    refused(lambda: parse_wall(bad, "at", "time"), "time")
    refused(lambda: at(bad, tz=LONDON), "time")


@pytest.mark.parametrize("bad", [*BAD_WALL_TYPES, datetime(2026, 1, 1, 9, tzinfo=UTC)], ids=repr)
def test_parse_wall_refuses_wrong_types(bad: Any) -> None:
    refused(lambda: parse_wall(bad, "at", "time"), "time", wrong_type=True)
    refused(lambda: at(bad, tz=LONDON), "time", wrong_type=True)


# Zones ---------------------------------------------------------------------------------------

BAD_ZONES = [
    "",
    " ",
    "..",
    "../etc/passwd",
    "/etc/passwd",
    "Europe/../Asia/Tokyo",
    "Europe/London/",
    "/Europe/London",
    "Europe//London",
    "Europe\\London",
    "Europe/London\x00",
    "\x00",
    "Europe/London\ud800",
    "\ud800",
    HUGE,
    "A/" * 5_000,
    "Mars/Olympus_Mons",
    "Eastern Standard Time",
    "UTC+2:30",  # Courier's UTC+2 is read (as Etc/GMT-2); half hours have no IANA zone
    "+05:00",
    "Europe/London ",
    "zoneinfo/Europe/London",
    "__init__",
    "__pycache__",
    # Files and folders of the tz database that ZoneInfo opens, or fails on with raw errors.
    "Europe",
    "Etc",
    "US",
    "leapseconds",
    "tzdata.zi",
    "zone1970.tab",
    "__init__.py",
    "Europe/__init__.py",
    # System-path artifacts, not IANA names ("localtime" is this machine's zone).
    "localtime",
    "posixrules",
    "right/UTC",
    "posix/UTC",
]
BAD_ZONE_TYPES = [None, 0, 1.5, b"Europe/London", ["Europe/London"], {"$ref": 1}, True]


@pytest.mark.parametrize("bad", BAD_ZONES, ids=repr)
def test_at_refuses_bad_zone_names(bad: str) -> None:
    refused(lambda: at("09:00", tz=bad), "tz")
    refused(lambda: at("09:00", tz=profile.timezone, fallback=bad), "fallback")


@pytest.mark.parametrize("bad", BAD_ZONE_TYPES, ids=repr)
def test_at_refuses_zones_of_the_wrong_type(bad: Any) -> None:
    refused(lambda: at("09:00", tz=bad), "tz", wrong_type=True)


@pytest.mark.parametrize("bad", [b"UTC", 0, ["UTC"], True], ids=repr)
def test_at_refuses_fallbacks_of_the_wrong_type(bad: Any) -> None:
    refused(lambda: at("09:00", tz=profile.timezone, fallback=bad), "fallback", wrong_type=True)


@pytest.mark.parametrize(
    "path",
    [Ref("refs.welcome.tz"), Ref("brand.timezone"), Ref("recipient"), Ref("profile"), Ref("data")],
    ids=repr,
)
def test_a_zone_path_must_be_rooted_at_profile_or_data(path: Ref) -> None:
    refused(lambda: at("09:00", tz=path), "tz")


@pytest.mark.parametrize(
    ("name", "bad"),
    [
        ("fold", "Earlier"),
        ("fold", "first"),
        ("fold", ""),
        ("fold", None),
        ("fold", 1),
        ("on_gap", "Forward"),
        ("on_gap", "error"),
        ("on_gap", None),
        ("on_gap", True),
    ],
)
def test_at_refuses_unknown_policies(name: str, bad: Any) -> None:
    refused(lambda: at("09:00", tz=LONDON, **{name: bad}), name)


def test_good_arguments_make_a_local_time() -> None:
    made = at("09:00", tz=profile.timezone, days="Mo-Fr", fallback="UTC", fold="later")
    assert isinstance(made, LocalTime)
    assert made == at(
        time(9),
        tz=Ref("profile.timezone"),
        days=["Mo", "Tu", "We", "Th", "Fr"],
        fallback="UTC",
        fold="later",
    )
    assert at("09:00", tz=data.tz).resolve(START, {"data": {"tz": LONDON}}).zone == LONDON


# Per-recipient zones -------------------------------------------------------------------------

NO_ZONE: list[Any] = [
    {},
    {"profile": {}},
    {"profile": None},
    {"profile": "Europe/London"},
    {"profile": []},
    {"profile": {"timezone": None}},
    {"profile": {"timezone": 5}},
    {"profile": {"timezone": True}},
    {"profile": {"timezone": ["Europe/London"]}},
    {"profile": {"timezone": {"name": "Europe/London"}}},
    {"profile": {"timezone": ""}},
    {"profile": {"timezone": "Mars/Olympus_Mons"}},
    {"profile": {"timezone": "../etc/passwd"}},
    {"profile": {"timezone": "Europe/London\x00"}},
    {"profile": {"timezone": "\ud800"}},
    {"profile": {"timezone": HUGE}},
]


@pytest.mark.parametrize("context", NO_ZONE, ids=repr)
def test_a_recipient_without_a_usable_zone_is_an_error_at_the_path(context: Any) -> None:
    nine = at("09:00", tz=profile.timezone)
    for call in (lambda: nine.resolve(START, context), lambda: nine.zone_for(context)):
        with pytest.raises(ValidationError) as caught:
            call()
        text = str(caught.value)
        assert "profile.timezone" in text, text
        assert len(text) < 1_000


@pytest.mark.parametrize("context", NO_ZONE, ids=repr)
def test_a_recipient_without_a_usable_zone_gets_the_fallback(context: Any) -> None:
    nine = at("09:00", tz=profile.timezone, fallback="Asia/Kolkata")
    assert nine.zone_for(context) == ZoneInfo("Asia/Kolkata")
    resolved = nine.resolve(START, context)
    assert resolved.zone == "Asia/Kolkata"
    assert resolved.utc == datetime(2026, 6, 2, 3, 30, tzinfo=UTC)


def test_each_recipient_gets_their_own_zone() -> None:
    nine = at("09:00", tz=profile.timezone, fallback="UTC")
    utc_of = {
        name: nine.resolve(START, {"profile": {"timezone": name}}).utc.isoformat()
        for name in ("Europe/London", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe")
    }
    assert utc_of == {
        "Europe/London": "2026-06-02T08:00:00+00:00",
        "America/New_York": "2026-06-01T13:00:00+00:00",
        "Asia/Kolkata": "2026-06-02T03:30:00+00:00",
        "Australia/Lord_Howe": "2026-06-01T22:30:00+00:00",
    }


def test_a_data_path_reports_its_own_path() -> None:
    with pytest.raises(ValidationError, match=r"data\.recipient_tz"):
        at("09:00", tz=data.recipient_tz).resolve(START, {"data": {}})


def test_to_payload_resolves_each_recipient_and_refuses_one_without_a_zone() -> None:
    flow = Automation().delay(until=at("09:00", tz=profile.timezone, days="Mo-Fr"))
    saturday = datetime(2026, 3, 7, 12, tzinfo=UTC)  # Monday 09:00 EDT, after spring forward

    def until(context: Any) -> object:
        return flow.to_payload(context, now=saturday)["automation"]["steps"][0]["until"]

    assert until({"profile": {"timezone": "America/New_York"}}) == "20260309T130000.000"
    assert until({"profile": {"timezone": "Asia/Kolkata"}}) == "20260309T033000.000"
    unusable: list[Any] = [
        {"profile": {}},
        {"profile": {"timezone": 5}},
        {"profile": {"timezone": "X"}},
    ]
    for context in unusable:
        with pytest.raises(ValidationError, match=r"profile\.timezone"):
            until(context)
    fallback = Automation().delay(until=at("09:00", tz=profile.timezone, fallback="Asia/Kolkata"))
    payload = fallback.to_payload({"profile": {"timezone": "X"}}, now=saturday)
    assert payload["automation"]["steps"][0]["until"] == "20260308T033000.000"  # 09:00 IST


def test_to_payload_with_now_at_the_end_of_the_calendar_is_a_library_error() -> None:
    flow = Automation().delay(until=at("09:00", tz="UTC"))
    with pytest.raises(ValidationError):
        flow.to_payload({}, now=datetime(9999, 12, 31, 23, tzinfo=UTC))
