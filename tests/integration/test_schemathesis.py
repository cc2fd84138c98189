"""Schemathesis against the running sandbox, with Courier's own OpenAPI slice as the spec.

Cases are generated from ``tests/fixtures/courier-automations-schemas.json`` (both invoke
operations), valid and invalid (schemathesis' positive and negative modes), and sent over
loopback; every answer must be no 5xx and, where the spec documents it, match its schema.
Offline and bounded: a fixed number of examples per operation.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Iterator

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import response_schema_conformance  # noqa: E402

from automation_dsl import Automation  # noqa: E402
from automation_dsl.sandbox import Sandbox  # noqa: E402
from tests.conftest import load_fixture  # noqa: E402


def courier_spec() -> dict[str, object]:
    """Courier's slice as published, with the one thing a local run needs: no server URL
    (the sandbox's is given per call). Its security (Bearer) is kept."""
    spec = copy.deepcopy(load_fixture("courier-automations-schemas.json"))
    spec.pop("_provenance")
    spec["servers"] = [{"url": "/"}]
    return spec


schema = schemathesis.openapi.from_dict(courier_spec())
SEEN: Counter[tuple[str, int]] = Counter()


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    # a template for some templated invokes to succeed; the rest are 404s
    with Sandbox(templates={"welcome": Automation().send("WELCOME")}) as sb:
        yield sb
    print(f"\nschemathesis: {sum(SEEN.values())} cases, by (operation, status): {dict(SEEN)}")


@schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_courier_spec_against_the_sandbox(case: schemathesis.Case, sandbox: Sandbox) -> None:
    response = case.call_and_validate(
        base_url=sandbox.url,
        headers={"Authorization": f"Bearer {sandbox.api_key}"},
        checks=[not_a_server_error, response_schema_conformance],
        timeout=30,
    )
    SEEN[(case.operation.label, response.status_code)] += 1
