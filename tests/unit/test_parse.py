"""Parsing Courier JSON back into typed steps: paths in errors, lenient mode, formats."""

from __future__ import annotations

import json

import pytest

from automation_dsl import (
    Automation,
    RawStep,
    Ref,
    RunContext,
    Send,
    SendMessage,
    UntilFormat,
    ValidationError,
)


def test_typo_in_action_is_caught_with_a_suggestion() -> None:
    with pytest.raises(ValidationError) as caught:
        Automation.from_dict(
            {"steps": [{"action": "send"}, {"action": "dealy", "duration": "1 day"}]}
        )
    error = caught.value
    assert error.path == "steps[1].action"
    assert "did you mean 'delay'?" in str(error)
    assert str(error).startswith("steps[1].action: automation: 'action' expected a known action")


def test_errors_carry_the_path_of_the_field() -> None:
    doc = {
        "steps": [
            {"action": "send", "template": "A"},
            {"action": "send", "template": "B"},
            {"action": "delay", "until": "not a time"},
        ]
    }
    with pytest.raises(ValidationError) as caught:
        Automation.from_dict(doc)
    assert caught.value.path == "steps[2].until"
    assert str(caught.value).startswith("steps[2].until: delay step: 'until' expected")


def test_nested_errors_carry_the_nested_path() -> None:
    doc = {"steps": [{"action": "fetch-data", "webhook": {"url": "u", "method": "FETCH"}}]}
    with pytest.raises(ValidationError) as caught:
        Automation.from_dict(doc)
    assert caught.value.path == "steps[0].webhook.method"


def test_unknown_fields_are_errors() -> None:
    with pytest.raises(ValidationError) as caught:
        Automation.from_dict({"steps": [{"action": "send", "tempalte": "A"}]})
    assert caught.value.path == "steps[0].tempalte"
    assert "unknown field" in str(caught.value)
    with pytest.raises(ValidationError, match="only 'steps' and 'cancelation_token'"):
        Automation.from_dict({"steps": [], "cancelationToken": "t"})


def test_lenient_keeps_unknown_actions_and_fields_raw() -> None:
    doc = {
        "steps": [
            {"action": "get-profile", "user_id": "u1"},
            {"action": "send", "template": "A", "future_field": 1},
            {"action": "send", "template": "B"},
        ]
    }
    flow = Automation.from_dict(doc, lenient=True)
    assert isinstance(flow[0], RawStep)
    assert isinstance(flow[1], RawStep)
    assert flow[2] == Send(template="B")
    assert flow.to_dict() == doc
    with pytest.raises(ValidationError, match="lenient=True"):
        Automation.from_dict({"steps": [{"action": "zzzzzz"}]})


def test_lenient_does_not_hide_bad_values() -> None:
    with pytest.raises(ValidationError, match="'duration'"):
        Automation.from_dict({"steps": [{"action": "delay", "duration": "soon"}]}, lenient=True)


def test_refs_and_v2_send_are_recognized() -> None:
    flow = Automation.from_dict(
        {
            "cancelation_token": {"$ref": "data.token"},
            "steps": [
                {"action": "send", "template": {"$ref": "data.tpl"}},
                {"action": "send", "message": {"to": {"user_id": "u"}, "content": {"body": "x"}}},
            ],
        }
    )
    assert flow.cancelation_token == Ref("data.token")
    assert flow[0] == Send(template=Ref("data.tpl"))
    assert isinstance(flow[1], SendMessage)


def test_until_format_of_the_input_is_kept() -> None:
    doc = {"steps": [{"action": "delay", "until": "2021-02-18T18:40:05.960Z"}]}
    flow = Automation.from_dict(doc)
    assert flow.until_format is UntilFormat.EXTENDED
    assert flow.to_dict() == doc
    assert (
        Automation.from_dict(
            {"steps": [{"action": "delay", "until": "20240408T080910.123"}]}
        ).until_format
        is UntilFormat.BASIC
    )


def test_from_payload_returns_the_run_context() -> None:
    payload = {
        "automation": {"steps": [{"action": "send"}]},
        "recipient": "u1",
        "brand": "B",
        "template": "T",
        "data": {"a": 1},
        "profile": {"email": "e@x.test"},
    }
    flow, context = Automation.from_payload(payload)
    assert context == RunContext(
        recipient="u1", brand="B", template="T", data={"a": 1}, profile={"email": "e@x.test"}
    )
    assert flow.to_payload(context) == payload
    assert flow.to_payload(context, recipient="u2")["recipient"] == "u2"
    with pytest.raises(ValidationError, match=r"run context: 'colour'"):
        Automation.from_payload({"automation": {"steps": []}, "colour": "red"})
    with pytest.raises(ValidationError, match="not an invoke body"):
        Automation.from_payload({"steps": []})


def test_from_json_accepts_a_body_or_an_automation() -> None:
    flow = Automation().send("A").delay(duration="1 day")
    assert Automation.from_json(flow.to_json(recipient="u")) == flow
    assert Automation.from_json(json.dumps(flow.to_dict())) == flow
    with pytest.raises(ValidationError, match="valid JSON"):
        Automation.from_json("{not json")


def test_steps_must_be_a_list() -> None:
    with pytest.raises(ValidationError) as caught:
        Automation.from_dict({"steps": {"action": "send"}})
    assert caught.value.path == "steps"
    with pytest.raises(ValidationError) as caught:
        Automation.from_dict({"steps": ["send"]})
    assert caught.value.path == "steps[0]"
