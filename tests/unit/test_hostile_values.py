"""Every step field answers a bad value with a library error that names the field.

The table lists each field that takes a value, by kind, and each kind's bad values with
the error class they must raise (``ValidationTypeError`` for a wrong type,
``ValidationError`` for a wrong value). A completeness test makes a new field without rows
fail. The builder methods are checked with the same rows.
"""

from __future__ import annotations

import math
import reprlib
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import attrs
import pytest

from automation_dsl import (
    AddToBatch,
    AddToDigest,
    Automation,
    AutomationError,
    Cancel,
    DataSource,
    Delay,
    FetchData,
    Invoke,
    Retain,
    RunContext,
    Send,
    SendList,
    SendMessage,
    Throttle,
    UpdateProfile,
    ValidationError,
    ValidationTypeError,
    Webhook,
)
from automation_dsl._fields import wire_name
from tests.strategies import DEEP, self_containing

VE, TE = ValidationError, ValidationTypeError
SURROGATE = "a\ud800"

BASE: dict[type, dict[str, Any]] = {  # a valid call of each class
    Webhook: {"url": "https://x.test/u"},
    DataSource: {"webhook": {"url": "https://x.test/u"}},
    Retain: {"type": "last", "count": 10},
    RunContext: {},
    Send: {},
    SendMessage: {"message": {"to": {"user_id": "u"}, "template": "T"}},
    SendList: {"list": "L"},
    Delay: {"duration": "5 minutes"},
    Cancel: {"cancelation_token": "t"},
    Invoke: {"template": "T"},
    UpdateProfile: {"profile": {"a": 1}},
    FetchData: {"webhook": {"url": "https://x.test/u"}},
    AddToBatch: {
        "wait_period": "PT5M",
        "max_wait_period": "PT1H",
        "retain": Retain(type="last", count=1),
    },  # type: ignore[arg-type]
    AddToDigest: {"subscription_topic_id": "TOPIC"},
    Throttle: {"max_allowed": 1, "period": "PT1H", "scope": "user", "on_throttle": "n1"},
}
TYPED = [Send, SendMessage, SendList, Delay, Cancel, Invoke, UpdateProfile, FetchData]
TYPED += [AddToBatch, AddToDigest, Throttle]

WRONG_TYPES = [(5, TE), (True, TE), (b"x", TE), (object(), TE), (math.nan, TE), (["x"], TE)]
BAD: dict[str, list[tuple[Any, type[Exception]]]] = {
    "text": [("", VE), (SURROGATE, VE), *WRONG_TYPES],
    "text_required": [(None, TE), ("", VE), (SURROGATE, VE), *WRONG_TYPES],
    "condition": [("", VE), ("   ", VE), ("\t\n", VE), (SURROGATE, VE), *WRONG_TYPES],
    "name": [("", VE), ("a b", VE), ("a.b", VE), ("a\x00b", VE), (SURROGATE, VE), (5, TE)],
    "json_object": [(5, TE), ("x", TE), (True, TE), ({1: 2}, TE), ({"a": math.nan}, VE)],
    "json_required": [(None, TE), (5, TE), ("x", TE), ({"a": object()}, TE)],
    "choice": [("nope", VE), (SURROGATE, VE), (5, TE), (True, TE), (object(), TE)],
    "choice_required": [(None, TE), ("nope", VE), (5, TE), (b"x", TE)],
    "integer": [(0, VE), (-1, VE), (2**53, VE), (10**30, VE), (True, TE), (1.0, TE), ("1", TE)],
    "boolean": [(1, TE), ("true", TE), (math.nan, TE)],
    "expiry": [(0, VE), (-1, VE), (True, TE), ("", VE), (SURROGATE, VE), (1.5, TE)],
    "nested": [(5, TE), ("x", TE), (b"x", TE), ({"nope": 1}, VE)],  # {} is a valid RunContext
    "until": [
        (datetime(2024, 1, 1), VE),
        (datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5))), VE),
        (datetime(1, 1, 1, 1, tzinfo=timezone(timedelta(hours=5))), VE),
        ("not a date", VE),
        (SURROGATE, VE),
        ("x" * 200_000, VE),
        (5, TE),
        (math.inf, TE),
    ],
    "duration": [
        ("5 fortnights", VE),
        ("9999 years", VE),
        ("1000000 years", VE),
        ("1" + "0" * 5000 + " years", VE),
        ("121 months", VE),
        (timedelta(days=3661), VE),
        (timedelta(days=999_999_999), VE),
        (timedelta(0), VE),
        (timedelta(seconds=30), VE),
        (SURROGATE, VE),
        (5, TE),
        (math.nan, TE),
    ],
    "period": [
        ("P11Y", VE),
        ("P" + "9" * 5000 + "D", VE),
        ("PT0S", VE),
        ("P", VE),
        ("5 minutes", VE),
        (timedelta(days=-1), VE),
        (SURROGATE, VE),
        (5, TE),
        (math.nan, TE),
    ],
    "batch_period": [
        ("P61D", VE),
        ("P60DT23H", VE),
        ("P2M", VE),
        ("P3M", VE),
        ("P1Y", VE),
        (timedelta(days=60, hours=12), VE),
        ("PT0S", VE),
        (5, TE),
    ],
    "payload_schema": [
        (5, TE),
        ("x", TE),
        (set, TE),
        ({"type": "objekt"}, VE),
        ({"pattern": "^a"}, VE),
        ({"$ref": "#/$defs/nope"}, VE),
        ({"enum": [math.nan]}, TE),
        ({"title": SURROGATE}, VE),
    ],
    "node": [("", TE), (5, TE), ({"$node_id": 5}, TE), ({"other": "n"}, TE), (SURROGATE, VE)],
    "body": [(5, TE), (b"x", TE), (SURROGATE, VE), ({"a": SURROGATE}, VE), ({"a": math.inf}, VE)],
    "headers": [
        ({"X-A": "a\r\nb"}, VE),
        ({"X-A": "a\x00"}, VE),
        ({"X-A": SURROGATE}, VE),
        ({"bad name": "v"}, VE),
        ({"X\r\nA": "v"}, VE),
        ({"X-A": 5}, TE),
        (5, TE),
    ],
}
KINDS: dict[tuple[type, str], str] = {
    **{(cls, "if_"): "condition" for cls in TYPED},
    **{(cls, "ref"): "name" for cls in TYPED},
    **{(Send, name): "text" for name in ("template", "recipient", "brand", "idempotency_key")},
    **{(SendList, name): "text" for name in ("template", "brand", "idempotency_key")},
    **{(RunContext, name): "text" for name in ("recipient", "brand", "template")},
    **{(AddToBatch, name): "text" for name in ("batch_key", "batch_id", "category_key")},
    (UpdateProfile, "recipient_id"): "text",
    (FetchData, "idempotency_key"): "text",
    (Throttle, "throttle_key"): "text",
    (Retain, "sort_key"): "text",
    (SendList, "list"): "text_required",
    (Cancel, "cancelation_token"): "text_required",
    (Invoke, "template"): "text_required",
    (AddToDigest, "subscription_topic_id"): "text_required",
    (Webhook, "url"): "text_required",
    **{(Send, name): "json_object" for name in ("data", "profile", "override")},
    **{(SendList, name): "json_object" for name in ("data", "override")},
    **{(RunContext, name): "json_object" for name in ("data", "profile")},
    (Webhook, "params"): "json_object",
    (UpdateProfile, "profile"): "json_required",
    (SendMessage, "message"): "json_required",
    (Webhook, "headers"): "headers",
    (Webhook, "body"): "body",
    (Webhook, "method"): "choice_required",
    (Retain, "type"): "choice_required",
    (Throttle, "scope"): "choice_required",
    (DataSource, "merge_strategy"): "choice",
    (UpdateProfile, "merge"): "choice",
    (FetchData, "merge_strategy"): "choice",
    (AddToBatch, "scope"): "choice",
    (Retain, "count"): "integer",
    (AddToBatch, "max_items"): "integer",
    (Throttle, "max_allowed"): "integer",
    (Throttle, "should_alert"): "boolean",
    **{(cls, "idempotency_expiry"): "expiry" for cls in (Send, SendList, FetchData)},
    (SendList, "data_source"): "nested",
    (Invoke, "context"): "nested",
    (FetchData, "webhook"): "nested",
    (AddToBatch, "retain"): "nested",
    (DataSource, "webhook"): "nested",
    (Delay, "until"): "until",
    (Delay, "duration"): "duration",
    (Throttle, "period"): "period",
    (AddToBatch, "wait_period"): "batch_period",
    (AddToBatch, "max_wait_period"): "batch_period",
    (Throttle, "on_throttle"): "node",
    (FetchData, "returns"): "payload_schema",
}
ROWS = [
    pytest.param(cls, name, value, error, id=f"{cls.__name__}.{name}={reprlib.repr(value)}")
    for (cls, name), kind in KINDS.items()
    for value, error in BAD[kind]
]


def test_the_table_covers_every_field_of_every_step_class() -> None:
    fields = {(cls, field.name) for cls in BASE for field in attrs.fields(cls)}
    assert fields == set(KINDS)


def _kwargs(cls: type, name: str, value: Any) -> dict[str, Any]:
    kwargs = {**BASE[cls], name: value}
    if cls is Delay and name == "until":
        del kwargs["duration"]
    return kwargs


@pytest.mark.parametrize(("cls", "name", "value", "error"), ROWS)
def test_a_bad_value_is_refused_naming_the_field(
    cls: type, name: str, value: Any, error: type[Exception]
) -> None:
    field = attrs.fields_dict(cls)[name]
    with pytest.raises(AutomationError) as caught:
        cls(**_kwargs(cls, name, value))
    assert type(caught.value) is error, caught.value
    assert wire_name(field) in str(caught.value)


BUILDER = {cls: getattr(cls, "_method", None) for cls in TYPED}


@pytest.mark.parametrize(
    ("cls", "name", "value", "error"),
    [row for row in ROWS if row.values[0] in TYPED and row.values[0] is not FetchData],
)
def test_the_builder_refuses_the_same_values(
    cls: type, name: str, value: Any, error: type[Exception]
) -> None:
    kwargs = _kwargs(cls, name, value)
    args = [kwargs.pop(key) for key in cls._positional if key in kwargs]  # type: ignore[attr-defined]
    method = getattr(Automation(), str(BUILDER[cls]))
    with pytest.raises(AutomationError) as caught:
        method(*args, **kwargs)
    assert type(caught.value) is error, caught.value
    assert wire_name(attrs.fields_dict(cls)[name]) in str(caught.value)


@pytest.mark.parametrize(
    ("name", "value", "error"),
    [
        (row.values[1], row.values[2], row.values[3])
        for row in ROWS
        if row.values[0] is Webhook or (row.values[0] is FetchData and row.values[1] != "webhook")
    ],
)
def test_fetch_data_refuses_bad_webhook_and_step_values(
    name: str, value: Any, error: type[Exception]
) -> None:
    kwargs = {name: value}
    url = kwargs.pop("url", "https://x.test/u")
    with pytest.raises(error) as caught:
        Automation().fetch_data(url, **kwargs)
    assert type(caught.value) is error
    assert name.rstrip("_") in str(caught.value)


def test_fetch_data_method_none_is_refused_not_dropped() -> None:
    with pytest.raises(ValidationTypeError, match="'method'"):
        Automation().fetch_data("https://x.test/u", method=None)  # type: ignore[arg-type]
    with pytest.raises(ValidationTypeError, match="'method'"):
        Webhook(url="https://x.test/u", method=None)  # type: ignore[arg-type]


# -- keyword units of delay() --------------------------------------------------------------


@pytest.mark.parametrize("unit", ["weeks", "days", "hours", "minutes"])
@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("2", TE),
        (True, TE),
        (b"x", TE),
        (object(), TE),
        ({"a": 1}, TE),
        (datetime(2024, 1, 1, tzinfo=UTC), TE),
        (math.nan, VE),
        (math.inf, VE),
        (-1, VE),
        (10**10, VE),
        (10**400, VE),
        (1e300, VE),
    ],
)
def test_delay_keyword_units_are_checked(unit: str, value: Any, error: type[Exception]) -> None:
    with pytest.raises(error) as caught:
        Automation().delay(**{unit: value})
    assert type(caught.value) is error
    assert f"'{unit}'" in str(caught.value)


def test_delay_keyword_units_keep_working() -> None:
    def duration(**units: Any) -> str:
        return str(Automation().delay(**units).to_dict()["steps"][0]["duration"])

    assert duration(days=2) == "2 days"
    assert duration(hours=1.5) == "90 minutes"
    assert duration(weeks=1, days=1) == "8 days"
    assert duration(days=3660) == "3660 days"


# -- bounds of durations and periods ------------------------------------------------------


@pytest.mark.parametrize(
    "duration",
    ["10 years", "120 months", "522 weeks", "3660 days", "87840 hours", "5270400 minutes"],
)
def test_the_longest_delay_is_ten_years_in_any_unit(duration: str) -> None:
    assert Delay(duration=duration).to_wire()["duration"] == duration


@pytest.mark.parametrize("duration", ["11 years", "121 months", "523 weeks", "3661 days"])
def test_a_delay_past_ten_years_is_refused(duration: str) -> None:
    with pytest.raises(ValidationError, match=r"'duration' expected at most 10 years"):
        Delay(duration=duration)


@pytest.mark.parametrize("period", ["P60D", "PT1440H", "P1M", "P8W"])
def test_a_batch_may_wait_up_to_sixty_days(period: str) -> None:
    step = AddToBatch(
        wait_period="PT5M", max_wait_period=period, retain=Retain(type="last", count=1)
    )  # type: ignore[arg-type]
    assert step.to_wire()["max_wait_period"] == period


def test_months_are_named_in_the_error() -> None:
    with pytest.raises(ValidationError, match=r"a month counts as 30\.5 days"):
        AddToBatch(wait_period="PT5M", max_wait_period="P2M", retain={"type": "last", "count": 1})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("wait", "longest"),
    [("P2D", "P1D"), ("PT61M", "PT1H"), (timedelta(hours=2), "PT1H"), ("P1M", "P30D")],
)
def test_wait_period_may_not_exceed_max_wait_period(wait: Any, longest: Any) -> None:
    with pytest.raises(ValidationError, match=r"'wait_period' expected at most max_wait_period"):
        Automation().add_to_batch(
            wait_period=wait, max_wait_period=longest, retain={"type": "last", "count": 1}
        )


def test_a_throttle_period_may_count_months() -> None:
    flow = Automation().throttle(max_allowed=1, period="P1M", scope="user", on_throttle="n")
    assert flow.to_dict()["steps"][0]["period"] == "P1M"


# -- strings that cannot be sent ----------------------------------------------------------


@pytest.mark.parametrize("text", ["a\ud800", "\udfff", "ok\udc80ok"])
def test_lone_surrogates_are_refused_where_given(text: str) -> None:
    for build in (
        lambda: Automation().send(text),
        lambda: Automation().send("A", recipient=text),
        lambda: Automation().send("A", if_=text),
        lambda: Automation().send("A", ref=text),
        lambda: Automation().cancel(text),
        lambda: Automation().fetch_data("https://x.test/u", body=text),
        lambda: Automation().send("A", idempotency_expiry=text),
    ):
        with pytest.raises(ValidationError):
            build()


def test_non_ascii_text_is_kept() -> None:
    step = Send(template="Café ☕", recipient="用户", if_="data.name === 'Zoë'")
    assert step.to_wire() == {
        "action": "send",
        "template": "Café ☕",
        "recipient": "用户",
        "if": "data.name === 'Zoë'",
    }


# -- deep and recursive values: refused without recursing --------------------------------


SCALAR_FIELDS = [
    (cls, name)
    for (cls, name), kind in KINDS.items()
    if kind not in ("json_object", "json_required", "body", "headers", "nested")
]


@pytest.mark.parametrize(
    ("cls", "name"), SCALAR_FIELDS, ids=[f"{c.__name__}.{n}" for c, n in SCALAR_FIELDS]
)
@pytest.mark.parametrize("make", [lambda: DEEP, self_containing], ids=["deep", "recursive"])
def test_scalar_fields_refuse_deep_and_recursive_values_without_recursing(
    cls: type, name: str, make: Any
) -> None:
    with pytest.raises(ValidationError) as caught:
        cls(**_kwargs(cls, name, make()))
    assert wire_name(attrs.fields_dict(cls)[name]) in str(caught.value)


def test_missing_fields_of_a_nested_object_are_named() -> None:
    with pytest.raises(ValidationError, match=r"retain: 'count' expected a value"):
        AddToBatch(wait_period="PT5M", max_wait_period="PT1H", retain={"type": "last"})  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"data_source: 'webhook' expected a value"):
        SendList(list="L", data_source={})  # type: ignore[arg-type]
