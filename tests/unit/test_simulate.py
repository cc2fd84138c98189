"""Automation.simulate(): the offline simulator and its timeline."""

from __future__ import annotations

from datetime import timedelta

from automation_dsl import Automation, Ref, Timeline
from tests._flows import START


def sent(timeline: Timeline) -> list[tuple[str, str]]:
    return [
        (e.at.strftime("%m-%d %H:%M"), e.detail["template"])
        for e in timeline
        if e.outcome == "sent"
    ]


def test_delays_move_the_virtual_clock() -> None:
    flow = (
        Automation()
        .send("A")
        .delay(hours=36)
        .send("B")
        .delay(until=START + timedelta(days=5))
        .send("C")
        .delay(duration="1 month")
        .send("D")
    )
    timeline = flow.simulate(start=START, recipient="u1")
    assert sent(timeline) == [
        ("04-08 09:00", "A"),
        ("04-09 21:00", "B"),
        ("04-13 09:00", "C"),
        ("05-13 09:00", "D"),
    ]
    assert timeline[-1].outcome == "completed"


def test_until_in_the_past_does_not_wait() -> None:
    timeline = Automation().delay(until="2020-01-01").send("A").simulate(start=START, recipient="u")
    assert sent(timeline) == [("04-08 09:00", "A")]


def test_invoke_starts_templates_and_errors_are_recorded() -> None:
    child = Automation().send("CHILD")
    flow = Automation().invoke("child").invoke("missing").send("NEVER")
    timeline = flow.simulate(start=START, recipient="u", templates={"child": child})
    # the invoked run starts once the invoking run waits or ends, as a separate run
    assert [e.outcome for e in timeline if e.action in ("invoke", "send")] == [
        "invoked",
        "error",
        "sent",
    ]
    assert "missing" in next(e for e in timeline if e.outcome == "error").detail["reason"]
    assert len({e.run_id for e in timeline}) == 2


def test_self_invoking_template_is_stopped() -> None:
    loop = Automation().invoke("loop")
    timeline = loop.simulate(start=START, templates={"loop": loop})
    assert any(e.outcome == "error" and "more than 32 deep" in e.detail["reason"] for e in timeline)
    assert len({e.run_id for e in timeline}) == 33


def test_refs_and_missing_values() -> None:
    flow = Automation().send(Ref("data.template")).send(Ref("data.nope"))
    timeline = flow.simulate(start=START, recipient="u", data={"template": "FROM_DATA"})
    assert sent(timeline) == [("04-08 09:00", "FROM_DATA")]
    assert "data.nope" in next(e for e in timeline if e.outcome == "error").detail["reason"]


def test_send_without_template_is_an_error_and_run_template_is_the_fallback() -> None:
    assert sent(Automation().send().simulate(start=START, template="RUN_T", recipient="u")) == [
        ("04-08 09:00", "RUN_T")
    ]
    timeline = Automation().send().simulate(start=START)
    assert timeline[-1].outcome == "error"


def test_unsimulated_steps_are_recorded_not_dropped() -> None:
    flow = Automation().add_to_digest("TOPIC").raw({"action": "future"}).send("A")
    timeline = flow.simulate(start=START, recipient="u")
    assert [e.outcome for e in timeline if e.step is not None] == [
        "not-simulated",
        "not-simulated",
        "sent",
    ]


def test_timeline_records_and_text() -> None:
    timeline = Automation().send("A").delay(days=1).simulate(start=START, recipient="u1")
    records = timeline.to_records()
    assert records[1]["at"] == "2024-04-08T09:00:00Z"
    assert records[1]["detail"]["template"] == "A"
    text = str(timeline)
    assert "waiting" in text
    assert "until=2024-04-09T09:00:00.000Z" in text
