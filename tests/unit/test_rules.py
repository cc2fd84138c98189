"""The rules over paths, each on a flow built to break it and one that keeps it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from automation_dsl import (
    Automation,
    Exploration,
    Ref,
    Rule,
    ValidationError,
    ValidationTypeError,
    ends_or_cancelable,
    max_sends,
    no_send_after_cancel,
    quiet_hours,
    refs_set_before_read,
)
from automation_dsl.conditions import MessageStatus, data, refs

START = datetime(2024, 1, 1, 9, tzinfo=UTC)  # a Monday, 09:00 UTC


def explore(flow: Automation, **options: Any) -> Exploration:
    return flow.explore(start=START, recipient="u1", **options)


def test_max_sends_finds_the_path_with_too_many_sends() -> None:
    flow = Automation().send("A").delay(hours=20).send("B", if_=data.vip).send("C", if_=data.pro)
    (violation,) = explore(flow).check(max_sends(2, per=timedelta(hours=24)))
    assert violation.path.assumptions == ("data.vip", "data.pro")
    assert violation.message == "3 sends within 20 hours: steps 0, 2, 3 (more than 2)"
    assert violation.timeline is violation.path.timeline
    assert "max_sends(2, per=1 day) fails" in str(violation)
    assert "template=C" in str(violation)


def test_max_sends_holds_when_sends_are_spread() -> None:
    flow = Automation().send("A").delay(hours=24).send("B").delay(days=1).send("C")
    assert explore(flow).check(max_sends(1, per=timedelta(hours=24))) == []
    assert explore(flow).check(max_sends(1, per=timedelta(hours=25)))  # 24 h apart: inside


def test_max_sends_counts_send_list_and_send_message() -> None:
    flow = (
        Automation()
        .send_list("list-1", template="A")
        .send_message({"to": {"user_id": "u"}, "template": "B"})
    )
    assert explore(flow).check(max_sends(1, per=timedelta(minutes=1)))


def test_quiet_hours_wrap_past_midnight_in_a_fixed_zone() -> None:
    # 09:00 UTC + 13 h = 22:00 UTC = 22:00 London (winter): quiet
    flow = Automation().delay(hours=13).send("LATE", if_=data.late).send("EARLY")
    violations = explore(flow).check(quiet_hours("22:00", "07:00", tz="Europe/London"))
    assert [v.message for v in violations] == [
        "step 1 sends at 2024-01-01 22:00 Europe/London (quiet hours)",
        "step 2 sends at 2024-01-01 22:00 Europe/London (quiet hours)",
    ]
    assert explore(flow).check(quiet_hours("23:00", "07:00", tz="Europe/London")) == []
    assert explore(flow).check(quiet_hours("08:00", "22:00", tz="Europe/London")) == []


def test_quiet_hours_in_the_witness_zone() -> None:
    flow = Automation().send("NOW")  # 09:00 UTC is 18:00 in Tokyo
    rule = quiet_hours("17:00", "08:00", tz=Ref("profile.timezone"))
    tokyo = explore(flow, profile={"timezone": "Asia/Tokyo"}).check(rule)
    assert [v.message for v in tokyo] == [
        "step 0 sends at 2024-01-01 18:00 Asia/Tokyo (quiet hours)"
    ]
    assert explore(flow, profile={"timezone": "Europe/Paris"}).check(rule) == []
    (missing,) = explore(flow).check(rule)
    assert missing.message.startswith("no time zone for this path")
    fallback = quiet_hours("17:00", "08:00", tz=Ref("profile.timezone"), fallback="UTC")
    assert explore(flow).check(fallback) == []


def test_ends_or_cancelable() -> None:
    waits = Automation().send("A").delay(days=3, if_=data.trial).send("B")
    (violation,) = explore(waits).check(ends_or_cancelable())
    assert violation.path.assumptions == ("data.trial",)
    assert "no cancelation_token" in violation.message
    token = Automation(cancelation_token=Ref("data.order_id")).delay(days=3).send("B")
    (unset,) = explore(token, data={"order_id": ""}).check(ends_or_cancelable())
    assert "not set on this path" in unset.message
    assert explore(token, data={"order_id": "o-1"}).check(ends_or_cancelable()) == []
    assert explore(Automation().send("A")).check(ends_or_cancelable()) == []


def test_no_send_after_cancel() -> None:
    flow = Automation(cancelation_token="t").send("A").cancel("t", if_=data.done).send("B")
    (violation,) = explore(flow).check(no_send_after_cancel())
    assert violation.path.assumptions == ("data.done",)
    assert violation.message == "step 2 sends after step 1 canceled the token 't'"
    other = Automation(cancelation_token="t").cancel("other").send("B")
    assert explore(other).check(no_send_after_cancel()) == []
    by_ref = Automation(cancelation_token=Ref("data.id")).cancel(Ref("data.id")).send("B")
    assert explore(by_ref, data={"id": "x"}).check(no_send_after_cancel())


def test_refs_set_before_read() -> None:
    flow = (
        Automation()
        .send("A", ref="a", if_=data.vip)
        .send("B", if_=refs.a.status < MessageStatus.OPENED)
        .send("C", data={"id": Ref("refs.b.message_id")})
    )
    messages = [v.message for v in explore(flow).check(refs_set_before_read())]
    assert "step 1 reads refs.a, which no earlier step on this path set" in messages
    assert "step 2 reads refs.b, which no earlier step on this path set" in messages
    good = Automation().send("A", ref="a").send("B", if_=refs.a.status < MessageStatus.OPENED)
    assert explore(good).check(refs_set_before_read()) == []


def test_rules_are_rules_and_several_are_checked_together() -> None:
    rules = [
        max_sends(1, per=timedelta(hours=1)),
        quiet_hours("22:00", "07:00", tz="UTC"),
        ends_or_cancelable(),
        no_send_after_cancel(),
        refs_set_before_read(),
    ]
    assert all(isinstance(rule, Rule) for rule in rules)
    flow = Automation().send("A").send("B")
    assert [v.rule for v in explore(flow).check(*rules)] == ["max_sends(1, per=1 hour)"]


@pytest.mark.parametrize(
    ("make", "error"),
    [
        (lambda: max_sends(-1, per=timedelta(hours=1)), ValidationError),
        (lambda: max_sends(True, per=timedelta(hours=1)), ValidationTypeError),
        (lambda: max_sends(1.5, per=timedelta(hours=1)), ValidationTypeError),
        (lambda: max_sends(1, per=3600), ValidationTypeError),
        (lambda: max_sends(1, per=timedelta(0)), ValidationError),
        (lambda: quiet_hours("25:00", "07:00", tz="UTC"), ValidationError),
        (lambda: quiet_hours("22:00", "22:00", tz="UTC"), ValidationError),
        (lambda: quiet_hours(None, "07:00", tz="UTC"), ValidationTypeError),
        (lambda: quiet_hours("22:00", "07:00", tz="Mars/Base"), ValidationError),
        (lambda: quiet_hours("22:00", "07:00", tz=Ref("recipient.tz")), ValidationError),
        (lambda: quiet_hours("22:00", "07:00", tz="UTC", fallback="\ud800"), ValidationError),
    ],
)
def test_rule_arguments_are_checked(make: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        make()
