"""Hostile inputs against issue 15's surface: conditions, time text, runs and templates."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable

import httpx
import pytest

from automation_dsl import AsyncCourierClient, CourierAPIError, CourierClient


def _cycling(key: str, items: str, id_key: str) -> Callable[[httpx.Request], httpx.Response]:
    """Pages whose cursors go A, B, A, B ...: a loop longer than one page."""
    count = itertools.count()

    def answer(request: httpx.Request) -> httpx.Response:
        n = next(count)
        return httpx.Response(200, json={items: [{id_key: f"x{n}"}], key: "AB"[n % 2]})

    return answer


@pytest.mark.parametrize(
    ("call", "answer"),
    [
        (lambda c: c.list_templates(), _cycling("cursor", "templates", "id")),
        (lambda c: c.list_runs(), _cycling("next_cursor", "runs", "run_id")),
    ],
)
def test_a_cursor_loop_of_two_pages_is_an_error_not_endless(call, answer) -> None:  # type: ignore[no-untyped-def]
    client = CourierClient(api_key="k", transport=httpx.MockTransport(answer))
    with pytest.raises(CourierAPIError, match="repeats an earlier one"):
        list(itertools.islice(call(client), 100))


def test_a_cursor_loop_is_an_error_for_the_async_client_too() -> None:
    answer = _cycling("cursor", "templates", "id")

    async def main() -> int:
        transport = httpx.MockTransport(answer)
        async with AsyncCourierClient(api_key="k", transport=transport) as client:
            seen = 0
            async for _ in client.list_templates():
                seen += 1
                if seen > 100:
                    break
            return seen

    with pytest.raises(CourierAPIError, match="repeats an earlier one"):
        asyncio.run(main())


class _LyingInt(int):
    def __repr__(self) -> str:
        return "1) || (true"

    __str__ = __repr__


class _LyingFloat(float):
    def __repr__(self) -> str:
        return "nan"

    __str__ = __repr__


def test_a_number_subclass_cannot_write_its_own_javascript() -> None:
    from automation_dsl.conditions import data

    assert data.x.one_of([_LyingInt(3)]).to_js() == "[3].includes(data.x)"
    assert data.x.includes(_LyingFloat(2.5)).to_js() == "data.x.includes(2.5)"
    assert (data.x == _LyingInt(3)).to_js() == "data.x === 3"


@pytest.mark.parametrize("text", ["PT\uff15M", "P\uff11D", "1\u0663 days"])
def test_time_text_takes_ascii_digits_only(text: str) -> None:
    from automation_dsl import ValidationError, parse_duration, parse_period

    parse = parse_duration if text.endswith("days") else parse_period
    with pytest.raises(ValidationError, match="'text' expected"):
        parse(text)


def test_a_delay_in_non_ascii_digits_is_refused() -> None:
    from automation_dsl import Automation, ValidationError

    with pytest.raises(ValidationError):
        Automation().delay(duration="1\u0663 minutes")


@pytest.mark.parametrize(
    "gate", ["data.a) || (true", "data.a //", "data.a /* x", "data.a === 'x", "(data.a"]
)
def test_when_refuses_a_text_gate_that_would_not_stay_inside_its_parentheses(gate: str) -> None:
    from automation_dsl import Automation, ValidationError, when
    from automation_dsl.conditions import data

    with pytest.raises(ValidationError, match="when: 'condition' expected"):
        when(gate, Automation().send("A", if_=data.b))


def test_when_refuses_a_text_if_that_would_escape_its_parentheses() -> None:
    from automation_dsl import Automation, ValidationError, when
    from automation_dsl.conditions import data

    with pytest.raises(ValidationError, match=r"'fragment\[0\]\.if' expected"):
        when(data.a, Automation().send("A", if_="data.b) || (true"))


def test_when_keeps_balanced_text_with_parentheses_in_strings() -> None:
    from automation_dsl import Automation, when
    from automation_dsl.conditions import data

    gate = "data.a === ')//\\'' || data.b.some(Boolean)"
    gated = when(gate, Automation().send("A", if_=data.c))
    assert gated[0].if_ == f"({gate}) && (data.c)"


@pytest.mark.parametrize(
    ("old", "new", "shown"),
    [
        (True, 1, "data.x: True -> 1"),
        ([1, False], [1, 0], "data.x: [1, False] -> [1, 0]"),
        ({"y": 1}, {"y": True}, "data.x.y: 1 -> True"),
    ],
)
def test_diff_names_a_bool_that_became_a_number(old: object, new: object, shown: str) -> None:
    from automation_dsl import Automation

    change = Automation().send("A", data={"x": old}).diff(Automation().send("A", data={"x": new}))
    assert shown in str(change), str(change)
    assert "(step class)" not in str(change)


@pytest.mark.parametrize("value", [3, None, b"WAITING", 1.5])
def test_run_status_of_a_non_string_names_the_expectation(value: object) -> None:
    from automation_dsl import RunStatus, ValidationTypeError

    with pytest.raises(ValidationTypeError, match="RunStatus: 'value' expected a status name"):
        RunStatus(value)


def test_explore_a_one_of_with_the_most_choices_allowed() -> None:
    from automation_dsl import Automation
    from automation_dsl.conditions import MAX_CHOICES, data

    many = list(range(MAX_CHOICES))
    flow = Automation().send("A", if_=data.x.one_of(many)).send("B", if_=data.y.one_of(many))
    started = time.monotonic()
    paths = flow.explore(recipient="u1").paths
    assert time.monotonic() - started < 5  # was a RecursionError, then minutes
    assert {path.taken for path in paths} == {(0, 1), (0,), (1,), ()}
