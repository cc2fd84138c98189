"""The seed payload from Courier's API page is reproduced exactly."""

from __future__ import annotations

import pytest

from automation_dsl import Automation
from tests._flows import SEED_DATA, SEED_PROFILE, seed_flow
from tests.conftest import FIXTURES, load_fixture

pytestmark = pytest.mark.usefixtures("schema_checked")


def test_seed_payload_equals_courier_example() -> None:
    payload = seed_flow().to_payload(data=SEED_DATA, profile=SEED_PROFILE)
    assert payload == load_fixture("seed-example.json")


def test_seed_json_text_is_byte_identical() -> None:
    text = seed_flow().to_json(data=SEED_DATA, profile=SEED_PROFILE, indent=2)
    assert text == (FIXTURES / "seed-example.json").read_text()


def test_seed_parses_back_to_the_same_automation() -> None:
    flow, context = Automation.from_payload(load_fixture("seed-example.json"))
    assert flow == seed_flow()
    assert context.data == SEED_DATA
    assert context.profile == SEED_PROFILE
    assert flow.to_payload(context) == load_fixture("seed-example.json")
