"""Shared test setup: the Hypothesis profile, the test markers, and the schema-checking fixture.

* **Hypothesis.** One profile, ``automation-dsl``, registered and loaded here: no deadline (the
  machine is shared), the ``too_slow`` health check off, and 300 examples per property unless a
  test asks for another count. Select another profile with ``--hypothesis-profile=NAME``.
* **Markers.** ``integration`` (starts a server, a subprocess or the CLI, or executes the docs and
  notebooks) and ``slow`` (tens of seconds) are set here by file and test name, so a test module
  never has to remember them. ``make test-fast`` runs ``-m "not slow and not integration"``.
* **Schema check.** The ``schema_checked`` fixture wraps ``Automation.to_payload`` so every
  payload a test builds is validated against the exported invoke schema. Serialization modules
  ask for it with ``pytestmark = pytest.mark.usefixtures("schema_checked")``.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, settings

from automation_dsl import Automation, RawStep, invoke_schema

FIXTURES = Path(__file__).parent / "fixtures"

settings.register_profile(
    "automation-dsl",
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("automation-dsl")

#: Integration tests live in ``tests/integration/`` (servers, subprocesses, the CLI, docs);
#: notebooks run on a real kernel and count as integration too.
INTEGRATION_DIRECTORY = "integration"

#: Fixtures that start a real server (a sandbox, or a loopback HTTP server): a test that asks for
#: one is an integration test wherever it lives.
INTEGRATION_FIXTURES = frozenset({"sandbox", "server", "failing"})

#: Single tests that start a sandbox server from a module that is otherwise unit tests.
INTEGRATION_TESTS = frozenset(
    {
        "test_typed_conditions.py::test_the_sandbox_evaluates_typed_and_hand_written_conditions_alike",
        "test_render.py::test_timelines_and_sandbox_runs_render_the_same_way",
    }
)

#: Tests that take tens of seconds each (20,000 invokes; a subprocess killed and resumed).
SLOW_TESTS = frozenset(
    {
        "test_bulk.py::test_ten_thousand_items_under_faults_exactly_once_even_when_run_twice",
        "test_bulk.py::test_killed_midway_then_resumed_from_the_journal",
        "test_localtime_bulk.py::test_killed_then_resumed_a_day_later_sends_identical_bodies",
        "test_schedule.py::test_100000_rows_stream_in_bounded_memory",
    }
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each collected test ``integration`` (by its directory, or a server fixture) and/or
    ``slow`` from the tables above."""
    for item in items:
        file_name = item.path.name
        key = f"{file_name}::{getattr(item, 'originalname', item.name)}"
        fixtures = getattr(item, "fixturenames", ())
        if (
            key in INTEGRATION_TESTS
            or not INTEGRATION_FIXTURES.isdisjoint(fixtures)
            or INTEGRATION_DIRECTORY in item.path.parts
            or item.path.suffix == ".ipynb"
        ):
            item.add_marker(pytest.mark.integration)
        if key in SLOW_TESTS:
            item.add_marker(pytest.mark.slow)


_VALIDATOR = jsonschema.Draft202012Validator(invoke_schema())


def assert_valid_payload(payload: dict[str, Any]) -> None:
    """Fail unless ``payload`` validates against the library's exported invoke schema."""
    errors = sorted(_VALIDATOR.iter_errors(payload), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]


@pytest.fixture
def schema_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Wrap ``Automation.to_payload`` so each payload the test builds is schema-checked.

    Payloads that contain a ``RawStep`` are left alone: a raw step is outside the schema by design.
    """
    original = Automation.to_payload

    @functools.wraps(original)
    def checked(self: Automation, *args: Any, **kwargs: Any) -> dict[str, Any]:
        payload = original(self, *args, **kwargs)
        if not any(isinstance(step, RawStep) for step in self.steps):
            assert_valid_payload(payload)
        return payload

    monkeypatch.setattr(Automation, "to_payload", checked)


def load_fixture(name: str) -> Any:
    """The parsed JSON of ``tests/fixtures/<name>``."""
    return json.loads((FIXTURES / name).read_text())
