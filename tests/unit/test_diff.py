"""``Automation.diff``: added, removed and changed steps, for reviews and tests."""

from __future__ import annotations

import random
import time
from typing import Any

import pytest
from hypothesis import given, settings

from automation_dsl import (
    Automation,
    AutomationDiff,
    FieldChange,
    RawStep,
    Send,
    StepChange,
    ValidationTypeError,
)
from tests.strategies import automations

OLD = Automation("order").send("WELCOME", ref="welcome").delay(days=1).send("NUDGE")


def test_equal_automations_have_no_difference() -> None:
    same = Automation("order").send("WELCOME", ref="welcome").delay(days=1).send("NUDGE")
    result = OLD.diff(same)
    assert not result
    assert len(result) == 0
    assert str(result) == "no differences"
    assert result.to_records() == []
    assert repr(result) == "<AutomationDiff: no differences>"


def test_an_inserted_step_is_one_addition() -> None:
    new = Automation("order").send("WELCOME", ref="welcome").send("TIP").delay(days=1)
    new = new.send("NUDGE")
    result = OLD.diff(new)
    assert result.steps == (StepChange("added", None, 1, "send", ".send('TIP')"),)
    assert str(result) == "--- old\n+++ new\n+ [1] .send('TIP')"


def test_a_removed_step_is_one_removal() -> None:
    result = OLD.diff(OLD[:1] + OLD[2:])
    assert [(r["change"], r["old_index"], r["action"]) for r in result.to_records()] == [
        ("removed", 1, "delay")
    ]
    assert "- [1] .delay(duration='1 day')" in str(result)


def test_a_changed_step_lists_its_changed_fields() -> None:
    old = Automation().send("A", data={"user": {"name": "Ann", "plan": "free"}})
    new = Automation().send("A", data={"user": {"name": "Anne"}, "new": [1]}, if_="data.ok")
    records = old.diff(new).to_records()
    assert [(r["field"], r["old"], r["new"]) for r in records] == [
        ("data.user.name", "'Ann'", "'Anne'"),
        ("data.user.plan", "'free'", None),
        ("data.new", None, "[1]"),
        ("if", None, "'data.ok'"),
    ]
    assert "    data.user.plan: 'free' -> (absent)" in str(old.diff(new))


def test_automation_settings_are_compared() -> None:
    new = Automation("other", until_format="extended", data_schema={"type": "object"})
    new = new.send("WELCOME", ref="welcome").delay(days=1).send("NUDGE")
    paths = [change.path for change in OLD.diff(new).settings]
    assert paths == ["cancelation_token", "until_format", "data_schema"]
    assert FieldChange("until_format", "'basic'", "'extended'") in OLD.diff(new).settings


def test_a_raw_step_of_a_known_action_differs_by_its_class() -> None:
    send = Send(template="A")
    raw = RawStep(send.to_wire())
    result = Automation(steps=[send]).diff(Automation(steps=[raw]))
    assert result
    assert result.steps[0].fields == (FieldChange("(step class)", "Send", "RawStep"),)


def test_the_diff_is_usable_as_an_assertion_message() -> None:
    new = OLD.send("LAST")
    with pytest.raises(AssertionError, match=r"\+ \[3\] \.send\('LAST'\)"):
        assert not OLD.diff(new), OLD.diff(new)


def test_the_notebook_view_is_an_escaped_table() -> None:
    html = Automation().send("<b>").diff(Automation().send("<i>"))._repr_html_()
    assert html.startswith("<table")
    assert "&lt;i&gt;" in html
    assert "<i>" not in html
    assert "1 changed" in html


@settings(max_examples=50)
@given(automations, automations)
def test_the_diff_is_empty_exactly_when_the_automations_are_equal(
    a: Automation, b: Automation
) -> None:
    assert not a.diff(a)
    assert bool(a.diff(b)) == (a != b)
    str(a.diff(b))
    a.diff(b)._repr_html_()


@pytest.mark.parametrize(
    "other",
    [None, "Automation()", {"steps": []}, [Send(template="A")], Send(template="A"), Automation, 1],
    ids=["None", "str", "dict", "list", "step", "class", "int"],
)
def test_other_must_be_an_automation(other: Any) -> None:
    with pytest.raises(ValidationTypeError, match="'other' expected an Automation"):
        OLD.diff(other)


def test_two_thousand_steps_in_bounded_time_and_text() -> None:
    rng = random.Random(15)
    templates = [f"T{i}" for i in range(2_000)]
    shuffled = templates[:]
    rng.shuffle(shuffled)
    old = Automation(steps=[Send(template=t, data={"i": 1}) for t in templates])
    new = Automation(steps=[Send(template=t, data={"i": 2}) for t in shuffled])
    started = time.perf_counter()
    result = old.diff(new)
    text = str(result)
    html = result._repr_html_()
    assert time.perf_counter() - started < 5.0
    assert len(result) >= 2_000
    assert len(text.splitlines()) <= 403
    assert text.endswith("more lines")
    assert html.count("<tr>") <= 401


def test_huge_data_values_are_bounded() -> None:
    old = Automation().send("T", data={f"k{i}": i for i in range(100_000)})
    new = Automation().send("T", data={f"k{i}": -i - 1 for i in range(100_000)})
    blob = Automation().send("T", data={"blob": "x" * 10_000_000})
    started = time.perf_counter()
    result = old.diff(new)
    assert time.perf_counter() - started < 2.0
    step = result.steps[0]
    assert len(step.fields) == 20
    assert step.more == 99_980
    assert str(result).endswith("... 99,980 more changed fields")
    text = str(Automation().send("T", data={"blob": "y"}).diff(blob))
    assert len(text) < 2_000
    assert "more characters" in text


def test_public_types() -> None:
    assert isinstance(OLD.diff(OLD), AutomationDiff)
