"""The `if` subset: JavaScript semantics where supported, 'not evaluated' elsewhere."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from automation_dsl import Automation, MessageStatus, NotEvaluated
from automation_dsl.conditions import evaluate

SCOPE: dict[str, Any] = {
    "data": {
        "plan": "pro",
        "n": 3,
        "s": "3",
        "flag": False,
        "empty": {},
        "zero": 0,
        "nested": {"deep": {"x": "y"}},
        "plan-id": "p1",
        "list": [1],
    },
    "profile": {"age": 20, "email": "a@x.test"},
    "refs": {
        "welcome": {"status": MessageStatus.SENT},
        "bad": {"status": MessageStatus.UNROUTABLE},
    },
    "recipient": "u1",
    "brand": None,
}


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("data.plan === 'pro'", True),
        ('data.plan === "pro"', True),
        ("data.plan !== 'pro'", False),
        ("data.n === 3", True),
        ("data.n === 3.0", True),
        ("data.s === 3", False),
        ("data.s == 3", True),
        ("data.s != 3", False),
        ("data.missing === undefined", True),
        ("data.missing == null", True),
        ("data.missing === null", False),
        ("brand === null", True),
        ("data.flag", False),
        ("!data.flag", True),
        ("!!data.empty", True),
        ("data.zero", False),
        ("data.list", True),
        ("profile.age >= 18 && profile.email", True),
        ("profile.age < 18 || data.plan === 'pro'", True),
        ("profile.age < 18 || data.plan === 'free'", False),
        ("!(profile.age < 18) && !data.flag", True),
        ("true || data.missing.deep", True),
        ("false && data.missing.deep", False),
        ("data.nested.deep.x === 'y'", True),
        ("data['plan-id'] === 'p1'", True),
        ('data["nested"]["deep"].x === \'y\'', True),
        ("refs.welcome.status < MessageStatus.Opened", True),
        ("refs.welcome.status >= MessageStatus.OPENED", False),
        ("refs.welcome.status === MessageStatus.Sent", True),
        ("refs.bad.status === MessageStatus.Unroutable", True),
        ("recipient === 'u1' && data.n > 2 && data.n <= 3", True),
        ("'a' < 'b'", True),
        ("data.plan === 'it\\'s'", False),
        ("'\\u00e9' === 'é'", True),
        ("1 < 2 === true", True),
    ],
)
def test_supported_conditions(condition: str, expected: bool) -> None:
    assert evaluate(condition, SCOPE) is expected


@pytest.mark.parametrize(
    "condition",
    [
        "data.items.length > 2",
        "data.list.length",
        "data.missing.deep === 1",
        "window.alert(1)",
        "data.plan.toUpperCase() === 'PRO'",
        "data.n + 1 === 4",
        "data.n > 'a'",
        "refs.bad.status < MessageStatus.Opened",
        "MessageStatus.Nope === 1",
        "data.flag == 0",
        "x => x",
        "",
        "(data.plan === 'pro'",
        "data.plan === ",
    ],
)
def test_outside_the_subset_is_not_evaluated(condition: str) -> None:
    with pytest.raises(NotEvaluated):
        evaluate(condition, SCOPE)


def test_simulate_reports_conditions_it_cannot_evaluate() -> None:
    flow = (
        Automation()
        .send("A", if_="data.plan === 'pro'")
        .send("B", if_="data.plan === 'free'")
        .send("C", if_="data.items.filter(Boolean).length > 0")
    )
    timeline = flow.simulate(
        start=datetime(2024, 1, 1, tzinfo=UTC), recipient="u", data={"plan": "pro"}
    )
    outcomes = [(e.step, e.outcome) for e in timeline if e.step is not None]
    assert outcomes == [(0, "sent"), (1, "skipped"), (2, "not-evaluated")]
    reason = next(e for e in timeline if e.outcome == "not-evaluated").detail["reason"]
    assert "outside the supported subset" in reason
