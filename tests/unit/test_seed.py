"""The seed payload from Courier's API page is reproduced exactly."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from automation_dsl import Automation
from tests.conftest import FIXTURES, load_fixture

pytestmark = pytest.mark.usefixtures("schema_checked")

SEED_DATA = {"name": "Jane Doe", "age": 27}
SEED_PROFILE = {"user_id": "fubar", "email": "hello@example.com"}


def seed_flow() -> Automation:
    return (
        Automation()
        .send("SAMPLE_TEMPLATE")
        .delay(until=datetime(2024, 4, 8, 8, 9, 10, 123000, tzinfo=UTC))
    )


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
