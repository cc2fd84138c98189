"""Local-time delays in flows: building, the document form, resolution per run, simulation.

The DST arithmetic itself (`next_local`) is checked against a brute-force oracle in
``test_localtime_dst.py``; here, what a flow does with it.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from automation_dsl import (
    Automation,
    CourierClient,
    Delay,
    LocalTime,
    Ref,
    ValidationError,
    ValidationTypeError,
    at,
)
from automation_dsl.conditions import data, profile

START = datetime(2026, 3, 7, 12, tzinfo=UTC)  # a Saturday; New York springs forward on the 8th
NINE = at("09:00", tz=profile.timezone, days="Mo-Fr")
FLOW = Automation().send("HELLO").delay(until=NINE).send("NINE")


def until_of(body: dict[str, Any], index: int = 1) -> str:
    return str(body["automation"]["steps"][index]["until"])


def test_the_document_form_round_trips_and_the_repr_is_the_call() -> None:
    document = FLOW.to_dict()
    assert document["steps"][1] == {
        "action": "delay",
        "until": {"$local": {"at": "09:00", "tz": {"$ref": "profile.timezone"}, "days": "Mo-Fr"}},
    }
    assert Automation.from_dict(document) == FLOW
    assert repr(FLOW) == (
        "Automation().send('HELLO').delay(until=at('09:00', tz=profile.timezone, "
        "days='Mo-Fr')).send('NINE')"
    )
    options = at("07:15", tz="Europe/London", fallback="UTC", fold="later", on_gap="raise")
    flow = Automation().delay(until=options)
    assert Automation.from_dict(flow.to_dict()) == flow


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("America/New_York", "20260309T130000.000"),  # Monday 09:00 EDT (the day after DST)
        ("Europe/London", "20260309T090000.000"),  # Monday 09:00 GMT
        ("Asia/Kolkata", "20260309T033000.000"),  # Monday 09:00 IST
        ("Australia/Lord_Howe", "20260308T220000.000"),  # Monday 09:00 +11 (DST until April)
    ],
)
def test_to_payload_resolves_per_recipient_zone(zone: str, expected: str) -> None:
    body = FLOW.to_payload(recipient="u", profile={"timezone": zone}, now=START)
    assert until_of(body) == expected
    assert "$local" not in json.dumps(body)  # Courier never sees the document form


def test_fixed_delays_before_a_local_time_move_its_start() -> None:
    flow = Automation().delay(days=2).delay(until=at("09:00", tz="UTC"))
    body = flow.to_payload(now=datetime(2026, 1, 1, 10, tzinfo=UTC))
    assert until_of(body) == "20260104T090000.000"  # 2 days later is the 3rd, 10:00: next 09:00
    past = (
        Automation()
        .delay(until=datetime(2020, 1, 1, tzinfo=UTC))
        .delay(until=at("09:00", tz="UTC"))
    )
    assert until_of(past.to_payload(now=datetime(2026, 1, 1, 8, tzinfo=UTC))) == (
        "20260101T090000.000"  # a past until waits for nothing
    )
    two = Automation().delay(until=at("09:00", tz="UTC")).delay(until=at("09:00", tz="UTC"))
    payload = two.to_payload(now=datetime(2026, 1, 1, 8, tzinfo=UTC))
    assert [until_of(payload, i) for i in (0, 1)] == ["20260101T090000.000"] * 2  # equal: now


def test_the_default_invoke_time_is_now() -> None:
    body = Automation().delay(until=at("09:00", tz="UTC")).to_payload()
    instant = datetime.strptime(until_of(body, 0), "%Y%m%dT%H%M%S.%f").replace(tzinfo=UTC)
    assert timedelta(0) <= instant - datetime.now(UTC) <= timedelta(days=1)


def test_a_recipient_without_a_zone_is_an_error_at_the_path_unless_a_fallback() -> None:
    with pytest.raises(ValidationError) as caught:
        FLOW.to_payload(recipient="u", now=START)
    assert caught.value.path == "profile.timezone"
    assert "fallback" in (caught.value.hint or "")
    for bad in ("Mars/Olympus", "../../etc/passwd", 42, "", "\ud800"):
        with pytest.raises(ValidationError) as caught:
            FLOW.to_payload(profile={"timezone": bad}, now=START)
        assert caught.value.path is not None
        assert caught.value.path.startswith("profile.timezone")
    kind = at("09:00", tz=data.tz, fallback="Asia/Tokyo")
    body = Automation().delay(until=kind).to_payload(data={"tz": "Nope/Nope"}, now=START)
    assert until_of(body, 0) == "20260308T000000.000"  # Tokyo 09:00 on the 8th


def test_a_local_time_after_a_wait_of_unknown_length_is_refused_while_building() -> None:
    local = at("09:00", tz="UTC")
    blockers = [
        Automation().delay(days=1, if_=data.slow),
        Automation().delay(until=Ref("data.when")),
        Automation().delay(duration=data.wait),
        Automation().add_to_batch(
            wait_period="PT5M", max_wait_period="PT1H", retain={"type": "first", "count": 1}
        ),
        Automation().add_to_digest("topic"),
        Automation().throttle(max_allowed=1, period="PT1H", scope="user", on_throttle="$n"),
    ]
    for blocker in blockers:
        with pytest.raises(ValidationError) as caught:
            blocker.delay(until=local)
        assert caught.value.field == "until"
        assert "step #0" in (caught.value.hint or "")
        with pytest.raises(ValidationError):  # composing finds it too
            blocker + Automation().delay(until=local)
        with pytest.raises(ValidationError):
            Automation(steps=[*blocker.steps, Delay(until=local)])
    # a conditional local time itself is fine; a later one is not
    conditional = Automation().delay(until=local, if_=data.vip)
    assert conditional.to_payload(now=START)["automation"]["steps"][0]["if"] == "data.vip"
    with pytest.raises(ValidationError):
        conditional.delay(until=local)


@pytest.mark.parametrize(
    "bad", [datetime(2026, 1, 1), math.nan, "2026-01-01", 0, datetime.max.replace(tzinfo=None)]
)
def test_now_is_an_aware_datetime(bad: Any) -> None:
    with pytest.raises((ValidationError, ValidationTypeError)) as caught:
        FLOW.to_payload(profile={"timezone": "UTC"}, now=bad)
    assert caught.value.field == "now"


def test_to_json_resolves_too_and_the_client_sends_the_resolved_body() -> None:
    text = FLOW.to_json(profile={"timezone": "Europe/London"}, now=START)
    assert json.loads(text)["automation"]["steps"][1]["until"] == "20260309T090000.000"
    sent: list[dict[str, Any]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        return httpx.Response(200, json={"runId": "r-1"})

    client = CourierClient(api_key="k", transport=httpx.MockTransport(answer))
    client.invoke(FLOW, profile={"timezone": "Asia/Kolkata"})
    until = datetime.strptime(until_of(sent[0]), "%Y%m%dT%H%M%S.%f").replace(tzinfo=UTC)
    assert until.astimezone(NINE.zone_for({"profile": {"timezone": "Asia/Kolkata"}})).hour == 9
    assert until.weekday() < 5 or until.astimezone(UTC).weekday() < 6


def test_simulate_resolves_when_the_run_reaches_the_delay_and_flags_the_gap() -> None:
    flow = Automation().delay(until=at("02:30", tz=profile.timezone)).send("NIGHT")
    timeline = flow.simulate(start=START, recipient="u", profile={"timezone": "America/New_York"})
    waiting = next(event for event in timeline if event.outcome == "waiting")
    assert waiting.detail["until"] == "2026-03-08T07:30:00.000Z"  # 02:30 EST = 03:30 EDT
    assert waiting.detail["local"] == "2026-03-08T03:30:00-04:00"
    assert waiting.detail["gap"] is True
    failed = flow.simulate(start=START, recipient="u")
    assert any(e.outcome == "error" and "profile.timezone" in str(e.detail) for e in failed)


def test_at_refuses_what_it_cannot_read() -> None:
    cases: list[tuple[Any, dict[str, Any]]] = [
        ("9:00", {"tz": "UTC"}),
        ("24:00", {"tz": "UTC"}),
        ("09:00:30", {"tz": "UTC"}),
        (900, {"tz": "UTC"}),
        ("09:00", {"tz": "Not/AZone"}),
        ("09:00", {"tz": Ref("refs.welcome.zone")}),
        ("09:00", {"tz": data}),
        ("09:00", {"tz": None}),
        ("09:00", {"tz": "UTC", "days": "Mo--Fr"}),
        ("09:00", {"tz": "UTC", "days": ""}),
        ("09:00", {"tz": "UTC", "days": 5}),
        ("09:00", {"tz": "UTC", "fold": "middle"}),
        ("09:00", {"tz": "UTC", "on_gap": "skip"}),
        ("09:00", {"tz": "UTC", "fallback": "x" * 10_000}),
    ]
    for time_value, options in cases:
        with pytest.raises((ValidationError, ValidationTypeError)) as caught:
            at(time_value, **options)
        assert caught.value.owner == "at", (time_value, options)
    with pytest.raises(ValidationError):
        Automation.from_dict({"steps": [{"action": "delay", "until": {"$local": {"at": "09:00"}}}]})
    with pytest.raises(ValidationError):
        Automation.from_dict(
            {
                "steps": [
                    {"action": "delay", "until": {"$local": {"at": "09:00", "tz": "UTC", "x": 1}}}
                ]
            }
        )


def test_local_time_is_a_value() -> None:
    assert at("09:00", tz="UTC", days="Fr-Mo") == at(
        "09:00", tz="UTC", days=["Sa", "Su", "Mo", "Fr"]
    )
    assert isinstance(NINE, LocalTime)
    assert hash(NINE) == hash(at("09:00", tz=profile.timezone, days="Mo-Fr"))
    assert NINE.describe() == "09:00 Mo-Fr in profile.timezone"


def test_courier_profile_offsets_and_the_clients_now() -> None:
    body = FLOW.to_payload(profile={"timezone": "UTC+4"}, now=START)
    assert until_of(body) == "20260309T050000.000"  # Monday 09:00 at UTC+4
    with pytest.raises(ValidationError):
        FLOW.to_payload(profile={"timezone": "UTC+5:30"}, now=START)  # no Etc zone for it
    sent: list[dict[str, Any]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        return httpx.Response(200, json={"runId": "r-1"})

    client = CourierClient(api_key="k", transport=httpx.MockTransport(answer))
    client.invoke(FLOW, profile={"timezone": "Europe/London"}, now=START)
    client.invoke(FLOW.to_payload(profile={"timezone": "Europe/London"}, now=START))
    assert until_of(sent[0]) == until_of(sent[1]) == "20260309T090000.000"
    with pytest.raises(ValidationError):
        client.invoke(FLOW, profile={"timezone": "Europe/London"}, now=datetime(2026, 1, 1))
