"""Property tests: serialization and parsing are exact inverses for every step and field."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from automation_dsl import Automation, RunContext, Step
from tests.strategies import any_steps, automations, contexts, raw_steps

pytestmark = pytest.mark.usefixtures("schema_checked")


@given(automations)
def test_object_to_dict_to_object_is_exact(flow: Automation) -> None:
    wire = flow.to_dict()
    parsed = Automation.from_dict(wire, lenient=True)
    assert parsed.steps == flow.steps
    assert parsed.cancelation_token == flow.cancelation_token
    assert parsed.to_dict() == wire


@given(automations, contexts)
def test_payload_json_round_trip_is_exact(flow: Automation, context: RunContext) -> None:
    text = flow.to_json(context)
    parsed, parsed_context = Automation.from_payload(json.loads(text), lenient=True)
    assert parsed.steps == flow.steps
    assert parsed_context == context
    assert parsed.to_json(parsed_context) == text


@given(st.one_of(any_steps, raw_steps))
def test_each_step_round_trips_alone(step: Step) -> None:
    flow = Automation(steps=[step])
    assert Automation.from_dict(flow.to_dict(), lenient=True)[0] == step


@given(automations)
def test_repr_evaluates_back_to_an_equal_automation(flow: Automation) -> None:
    import automation_dsl

    namespace = {name: getattr(automation_dsl, name) for name in automation_dsl.__all__}
    assert eval(repr(flow), namespace) == flow
