"""Typed conditions: Python expressions compile to the exact JavaScript, and parse back."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from automation_dsl import Automation, Ref, Send, ValidationError
from automation_dsl.conditions import (
    Compare,
    Condition,
    MessageStatus,
    Var,
    brand,
    data,
    evaluate,
    parse,
    profile,
    recipient,
    refs,
    template,
)
from automation_dsl.sandbox import Sandbox
from tests.strategies import typed_conditions

TABLE: list[tuple[Any, str]] = [
    (data.plan == "pro", "data.plan === 'pro'"),
    (data.plan != "pro", "data.plan !== 'pro'"),
    (data.n < 3, "data.n < 3"),
    (data.n <= 3.5, "data.n <= 3.5"),
    (data.n > -1, "data.n > -1"),
    (data.n >= 10**20, "data.n >= 100000000000000000000"),
    (data.flag == True, "data.flag === true"),  # noqa: E712 - the point is the operator
    (data.flag == False, "data.flag === false"),  # noqa: E712
    (data.gone == None, "data.gone === null"),  # noqa: E711
    (data.gone != None, "data.gone !== null"),  # noqa: E711
    (data["plan-id"] == "p1", "data['plan-id'] === 'p1'"),
    (data.user["first name"] == "Zoë", "data.user['first name'] === 'Zoë'"),
    (data.quote == "it's", "data.quote === 'it\\'s'"),
    (data.path == "C:\\temp", "data.path === 'C:\\\\temp'"),
    (data.text == "line\nnext\ttab", "data.text === 'line\\nnext\\ttab'"),
    (data.odd == "\u2028\x00", "data.odd === '\\u2028\\u0000'"),
    (data.emoji == "🎉 ünïcode", "data.emoji === '🎉 ünïcode'"),
    (refs.welcome.status < MessageStatus.OPENED, "refs.welcome.status < MessageStatus.Opened"),
    (refs.w.status == MessageStatus.UNDELIVERABLE, "refs.w.status === MessageStatus.Undeliverable"),
    (profile.age >= 18, "profile.age >= 18"),
    (brand == "B1", "brand === 'B1'"),
    (template != "T", "template !== 'T'"),
    (recipient == data.owner, "recipient === data.owner"),
    ((data.a == 1) & (data.b == 2), "data.a === 1 && data.b === 2"),
    ((data.a == 1) | (data.b == 2), "data.a === 1 || data.b === 2"),
    (
        ((data.a == 1) | (data.b == 2)) & (data.c == 3),
        "(data.a === 1 || data.b === 2) && data.c === 3",
    ),
    (
        (data.a == 1) | ((data.b == 2) & (data.c == 3)),
        "data.a === 1 || data.b === 2 && data.c === 3",
    ),
    (
        (data.a == 1) & ((data.b == 2) | (data.c == 3)),
        "data.a === 1 && (data.b === 2 || data.c === 3)",
    ),
    (
        (data.a == 1) | ((data.b == 2) | (data.c == 3)),
        "data.a === 1 || (data.b === 2 || data.c === 3)",
    ),
    (~(data.a == 1), "!(data.a === 1)"),
    (~data.muted, "!data.muted"),
    (~~data.muted, "!!data.muted"),
    (~((data.a == 1) & data.b), "!(data.a === 1 && data.b)"),
    (data.vip | (profile.age > 60), "data.vip || profile.age > 60"),
]


@pytest.mark.parametrize(("expression", "js"), TABLE, ids=[js for _, js in TABLE])
def test_expressions_compile_to_exact_javascript(expression: Condition, js: str) -> None:
    assert expression.to_js() == js
    assert str(expression) == js
    assert parse(js) == expression  # parsing back gives the same typed condition
    assert Send(template="A", if_=expression).to_wire()["if"] == js


@pytest.mark.parametrize(
    "mistake",
    [
        lambda: bool(data.plan == "pro"),
        lambda: (data.a == 1) and (data.b == 2),
        lambda: not data.muted,
        lambda: data.a == 1 & data.b == 2,  # Python reads 1 & data.b first
        lambda: 1 < data.n < 5,  # a chained comparison
        lambda: (data.a == 1) & True,
        lambda: data.a == (data.b == 1),
    ],
)
def test_precedence_pitfalls_are_errors_that_say_how(mistake: Any) -> None:
    with pytest.raises(TypeError, match=r"& \(and\), \| \(or\) and ~ \(not\)"):
        mistake()


def test_bad_roots_and_literals() -> None:
    with pytest.raises(ValidationError, match="one of brand, data"):
        Var(("window", "x"))
    with pytest.raises(ValidationError, match="finite"):
        data.n == float("nan")  # noqa: B015
    with pytest.raises(TypeError, match="literal"):
        data.when == datetime(2024, 1, 1, tzinfo=UTC)  # noqa: B015


def test_paths_are_refs_as_values() -> None:
    flow = (
        Automation(cancelation_token=data.order.token)
        .cancel(data.order.token)
        .send(data.template, recipient=profile.user_id, data=data.payload)
        .delay(until=data.send_at)
    )
    assert flow.to_dict() == {
        "cancelation_token": {"$ref": "data.order.token"},
        "steps": [
            {"action": "cancel", "cancelation_token": {"$ref": "data.order.token"}},
            {
                "action": "send",
                "template": {"$ref": "data.template"},
                "recipient": {"$ref": "profile.user_id"},
                "data": {"$ref": "data.payload"},
            },
            {"action": "delay", "until": {"$ref": "data.send_at"}},
        ],
    }
    assert flow.cancelation_token == Ref("data.order.token")
    assert repr(data.order.token) == "data.order.token"


def test_ref_typos_and_order_are_refused_at_build_time_naming_both_steps() -> None:
    with pytest.raises(ValidationError) as caught:
        Automation().send("A", ref="welcome").send(
            "B", if_=refs.welcom.status < MessageStatus.OPENED
        )
    message = str(caught.value)
    assert message.startswith("send step #1: 'if' expected refs.welcom set by an earlier step")
    assert "did you mean refs.welcome? (earlier refs: 'welcome')" in message

    # a fragment may read its host's refs: refused only when run as a whole flow
    fragment = Automation().send("NUDGE", if_=refs.welcome.status < MessageStatus.OPENED)
    assert fragment.unresolved_refs == ("welcome",)
    with pytest.raises(ValidationError, match="earlier refs: none"):
        fragment.to_payload()
    nudge = Automation(
        steps=[Send(template="NUDGE", if_=refs.welcome.status < MessageStatus.OPENED)]
    )
    welcome = Automation().send("WELCOME", ref="welcome")
    with pytest.raises(ValidationError) as caught:
        nudge + welcome
    assert "send step #0" in str(caught.value)
    assert "set by a later step, send step #1" in str(caught.value)
    ok = welcome.delay(days=1).send(
        "NUDGE", if_=(refs.welcome.status < MessageStatus.OPENED) & (refs.data.plan == "pro")
    )
    assert len(ok) == 3  # refs.data reads the run's data, not a step


def test_strings_keep_working_and_equal_their_typed_twins() -> None:
    text = "refs.welcome.status < MessageStatus.Opened"
    typed = refs.welcome.status < MessageStatus.OPENED
    assert Send(template="A", if_=text) == Send(template="A", if_=typed)
    assert hash(Send(template="A", if_=text)) == hash(Send(template="A", if_=typed))
    assert Automation().send("A", if_="refs.nope.x === 1").to_dict()["steps"][0]["if"] == (
        "refs.nope.x === 1"
    )  # plain strings are not checked: they keep working unchanged


def test_from_dict_parses_supported_conditions_and_keeps_the_rest() -> None:
    doc = {
        "steps": [
            {"action": "send", "template": "A", "ref": "w"},
            {"action": "send", "template": "B", "if": "refs.w.status < MessageStatus.Opened"},
            {"action": "send", "template": "C", "if": "data.plan == 'pro'"},
            {"action": "send", "template": "D", "if": "data.items.some(Boolean)"},
            {"action": "send", "template": "E", "if": "data.a===1"},
        ]
    }
    flow = Automation.from_dict(doc)
    assert isinstance(flow[1].if_, Compare)  # type: ignore[attr-defined]
    assert [type(step.if_).__name__ for step in flow[2:]] == ["str", "str", "str"]  # type: ignore[attr-defined]
    assert flow.to_dict() == doc  # the round trip stays exact


def test_the_sandbox_evaluates_typed_and_hand_written_conditions_alike() -> None:
    cases = [
        ((data.plan == "pro") & ~data.muted, {"plan": "pro"}),
        ((data.n > 2) | (data.s == "x"), {"n": 1, "s": "x"}),
        (~((data.a == 1) & (data.b == 2)), {"a": 1, "b": 2}),
        (data["odd key"] == "it's", {"odd key": "it's"}),
    ]
    for condition, run_data in cases:
        typed = Automation().send("T", if_=condition)
        written = Automation().send("T", if_=condition.to_js())
        start = datetime(2024, 1, 1, tzinfo=UTC)
        with Sandbox(start=start) as sandbox, sandbox.client() as client:
            a = client.invoke(typed, recipient="u", data=run_data)
            b = client.invoke(written, recipient="u", data=run_data)
            outcomes = [
                [e.outcome for e in sandbox.run(run).events if e.step == 0] for run in (a, b)
            ]
        assert outcomes[0] == outcomes[1]
        simulated = [
            [
                e.outcome
                for e in flow.simulate(start=start, recipient="u", data=run_data)
                if e.step == 0
            ]
            for flow in (typed, written)
        ]
        assert simulated[0] == simulated[1] == outcomes[0]


# -- properties ---------------------------------------------------------------------------


@settings(max_examples=400)
@given(typed_conditions)
def test_compile_parse_compile_is_stable(condition: Condition) -> None:
    js = condition.to_js()
    again = parse(js)
    assert again is not None, js
    assert again.to_js() == js
    assert again == condition


@given(typed_conditions, st.dictionaries(st.text(max_size=6), st.integers(), max_size=4))
def test_typed_and_string_forms_evaluate_alike(
    condition: Condition, run_data: dict[str, int]
) -> None:
    scope = {"data": run_data, "profile": {}, "refs": {}}
    results = []
    for form in (condition.to_js(), parse(condition.to_js())):
        try:
            results.append(evaluate(form if isinstance(form, str) else form.to_js(), scope))
        except Exception as error:
            results.append(type(error).__name__)
    assert results[0] == results[1]
