"""Payloads validate against the library's schema, and the current-spec subset against Courier's."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from automation_dsl import Automation, invoke_schema
from tests._flows import SEED_DATA, SEED_PROFILE, seed_flow
from tests.conftest import assert_valid_payload, load_fixture
from tests.strategies import any_steps, spec_steps

pytestmark = pytest.mark.usefixtures("schema_checked")


def _openapi_to_json_schema(node: Any) -> Any:
    """Turn OpenAPI 3.0 ``nullable: true`` into JSON Schema's ``type: [..., "null"]``."""
    if isinstance(node, dict):
        out = {key: _openapi_to_json_schema(value) for key, value in node.items()}
        if out.pop("nullable", False):
            if "type" in out:
                out["type"] = [out["type"], "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        return out
    if isinstance(node, list):
        return [_openapi_to_json_schema(item) for item in node]
    return node


_COURIER = _openapi_to_json_schema(load_fixture("courier-automations-schemas.json"))
COURIER_VALIDATOR = jsonschema.Draft202012Validator(
    {**_COURIER, "$ref": "#/components/schemas/AutomationAdHocInvokeParams"}
)

# Fields of Courier's current spec, per action: what this library may emit for it.
_CURRENT_FIELDS = {
    name.removeprefix("Automation").removesuffix("Step"): set(schema["properties"])
    for name, schema in _COURIER["components"]["schemas"].items()
    if name.endswith("Step") and name != "AutomationStep"
}


def courier_errors(payload: dict[str, Any]) -> list[str]:
    return [f"{list(e.path)}: {e.message}" for e in COURIER_VALIDATOR.iter_errors(payload)]


def in_current_spec(step_wire: dict[str, Any]) -> bool:
    """True when a step uses only what Courier's current spec has (no if/ref/$ref, no extras)."""
    allowed = {
        "send": {"action", "template", "brand", "data", "profile", "recipient"},
        "send-list": {"action", "list", "data", "brand"},
        "delay": {"action", "duration", "until"},
        "cancel": {"action", "cancelation_token"},
        "invoke": {"action", "template"},
        "update-profile": {"action", "recipient_id", "merge", "profile"},
        "fetch-data": {"action", "webhook", "merge_strategy"},
    }.get(step_wire["action"])
    if allowed is None or not set(step_wire) <= allowed:
        return False
    if step_wire.get("merge_strategy") == "none" or "params" in step_wire.get("webhook", {}):
        return False
    return not _has_accessor(step_wire)


def _has_accessor(value: Any) -> bool:
    if isinstance(value, dict):
        if set(value) == {"$ref"}:
            return True
        return any(_has_accessor(item) for item in value.values())
    if isinstance(value, list):
        return any(_has_accessor(item) for item in value)
    return False


def test_the_current_field_table_matches_courier_slice() -> None:
    assert _CURRENT_FIELDS["Send"] == {
        "action",
        "template",
        "brand",
        "data",
        "profile",
        "recipient",
    }
    assert _CURRENT_FIELDS["FetchData"] == {"action", "webhook", "merge_strategy"}


def test_seed_validates_against_both_schemas() -> None:
    payload = seed_flow().to_payload(data=SEED_DATA, profile=SEED_PROFILE)
    assert_valid_payload(payload)
    assert courier_errors(payload) == []


def test_courier_spec_example_validates_and_parses() -> None:
    body = _COURIER["paths"]["/automations/invoke"]["post"]["requestBody"]["content"][
        "application/json"
    ]["examples"]["Example1"]["value"]
    flow, context = Automation.from_payload(body)
    assert flow.to_payload(context) == body
    assert courier_errors(body) == []


def test_reference_examples_validate() -> None:
    flow = (
        Automation("signup-reminder-user-123")
        .delay(duration="1 hour")
        .send("WELCOME_REMINDER")
        .send_list("team-weekly", data={"week": 14})
        .update_profile({"plan": "pro"}, recipient_id="user-123", merge="soft-merge")
        .fetch_data(
            "https://api.example.com/digest?u=123",
            headers={"Authorization": "Bearer x"},
            merge_strategy="soft-merge",
        )
        .invoke("onboarding-v2")
        .cancel("signup-reminder-user-123")
    )
    payload = flow.to_payload(recipient="user-123", data={"name": "Jane"})
    assert courier_errors(payload) == []


def test_schema_refuses_what_the_library_refuses() -> None:
    validator = jsonschema.Draft202012Validator(invoke_schema())
    bad = [
        {"automation": {"steps": [{"action": "dealy", "duration": "1 day"}]}},
        {"automation": {"steps": [{"action": "delay"}]}},
        {"automation": {"steps": [{"action": "delay", "until": "x", "duration": "1 day"}]}},
        {"automation": {"steps": [{"action": "send", "template": None}]}},
        {"automation": {"steps": [{"action": "cancel"}]}},
        {"automation": {"steps": []}, "recipent": "typo"},
    ]
    for payload in bad:
        assert list(validator.iter_errors(payload)), payload


@settings(max_examples=200)
@given(any_steps)
def test_every_typed_step_validates_against_the_exported_schema(step: Any) -> None:
    assert_valid_payload(Automation(steps=[step]).to_payload())


@given(st.lists(spec_steps, min_size=1, max_size=5))
def test_current_spec_steps_validate_against_courier_slice(steps: list[Any]) -> None:
    assert all(in_current_spec(step.to_wire()) for step in steps)
    payload = Automation(steps=steps).to_payload()
    assert courier_errors(payload) == []


@pytest.mark.parametrize("fmt", ["basic", "extended"])
def test_both_until_formats_validate(fmt: str) -> None:
    payload = seed_flow().to_payload(until_format=fmt)
    assert_valid_payload(payload)
    assert courier_errors(payload) == []


def test_the_schema_covers_every_registered_step_action() -> None:
    """The schema is written by hand (it is the tests' oracle); it names each action the
    step registry parses, and no other."""
    from automation_dsl._steps import STEP_CLASSES

    steps = invoke_schema()["properties"]["automation"]["properties"]["steps"]["items"]["anyOf"]
    actions = {step["properties"]["action"]["const"] for step in steps}
    assert actions == set(STEP_CLASSES)


def test_the_schema_patterns_read_durations_as_time_does() -> None:
    import re

    from automation_dsl import _schema, _time

    courier = re.compile(_schema._COURIER_DURATION["pattern"])
    iso = re.compile(_schema._ISO_DURATION["pattern"])
    for text in ["1 minute", "5 minutes", "2 weeks", "0 minutes", "1 fortnight", "01 day", "PT5M"]:
        assert bool(courier.search(text)) == bool(_time._COURIER_DURATION.fullmatch(text)), text
    for text in ["PT5M", "P1DT2H", "P", "PT", "P1Y2M3W4DT5H6M7.5S", "5M", "P1.5D"]:
        assert bool(iso.search(text)) == bool(_time._ISO_DURATION.fullmatch(text)), text
