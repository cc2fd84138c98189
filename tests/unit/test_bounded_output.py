"""repr, explain and the notebook table stay readable, and small, for huge ``data``."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given

import automation_dsl
from automation_dsl import Automation, RawStep, Send
from automation_dsl._bounded import bounded_repr, cut_text
from automation_dsl._json import freeze, thaw
from tests.strategies import json_values

NAMESPACE = {name: getattr(automation_dsl, name) for name in automation_dsl.__all__}


def _nested(levels: int) -> Any:
    value: Any = "leaf"
    for _ in range(levels):
        value = {"a": value}
    return value


HUGE = {
    "10 MB dict": {f"key{i}": "x" * 100 for i in range(100_000)},
    "100,000-item list": {"items": list(range(100_000))},
    "10 MB string": {"text": "y" * 10_000_000},
    "60 levels": _nested(60),
    "wide and deep": {f"k{i}": _nested(30) for i in range(2_000)},
}
VIEWS: dict[str, Callable[[Automation], str]] = {
    "repr": repr,
    "explain": Automation.explain,
    "html": Automation._repr_html_,
    "step repr": lambda flow: repr(flow[0]),
}


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("name", HUGE)
def test_huge_data_is_shown_bounded_and_fast(name: str, view: str) -> None:
    flow = Automation().send("T", data=HUGE[name])
    started = time.perf_counter()
    text = VIEWS[view](flow)
    assert time.perf_counter() - started < 1.0
    assert len(text) < 12_000, len(text)
    assert flow.to_dict()["steps"][0]["data"] == HUGE[name]  # the full value, one call away


def test_a_cut_says_how_much_it_left_out() -> None:
    flow = Automation().send("T", data={"items": list(range(100_000))})
    assert "more items]" in repr(flow)
    assert bounded_repr({"ids": list(range(100_000))}, limit=40) == (
        "{'ids': [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, ... 99,990 more items]}"
    )
    assert "... 9,999,000 more characters" in repr(
        Automation().send("T", data=HUGE["10 MB string"])
    )
    assert bounded_repr(_nested(70)).endswith("{'a': {... 1 item}}" + "}" * 63)
    assert cut_text("abc", 2) == "ab ... 1 more character"


def test_a_raw_step_is_bounded_too() -> None:
    step = RawStep({"action": "future", "blob": ["z" * 1000] * 1000})
    assert len(repr(step)) < 3_000
    assert len(step.chain()) < 3_000
    assert len(Automation(steps=[step]).explain()) < 1_000


def test_a_long_flow_of_huge_values_keeps_its_table_bounded() -> None:
    flow = Automation(steps=[Send(template="T", data={"n": "x" * 10_000})] * 2_000)
    started = time.perf_counter()
    table = flow.explain()
    assert time.perf_counter() - started < 2.0
    assert len(table.splitlines()) == 2_001  # every step keeps its row
    assert max(map(len, table.splitlines())) < 400  # each row, padded to the widest
    html = flow._repr_html_()
    assert html.count("<tr>") == 2_001


def test_small_values_are_shown_exactly_as_before() -> None:
    flow = Automation("tok").send("T", data={"a": [1, 2.5, None, True], "b": {"c": "d"}})
    assert repr(flow) == (
        "Automation('tok').send('T', data={'a': [1, 2.5, None, True], 'b': {'c': 'd'}})"
    )
    assert "data={'a': [1, 2.5, None, True], 'b': {'c': 'd'}}" in flow.explain()
    fifty = Automation().send("T", data={f"key{i}": f"value{i}" for i in range(50)})
    assert eval(repr(fifty), NAMESPACE) == fifty
    long_text = (
        Automation().send("T", data={"note": "n" * 900}).raw({"action": "x", "y": "z" * 900})
    )
    assert eval(repr(long_text), NAMESPACE) == long_text


@given(json_values)
def test_small_json_reprs_exactly(value: Any) -> None:
    frozen = freeze(value, "test", "value")
    expected = repr(thaw(frozen))
    if len(expected) <= 1_000:
        assert bounded_repr(frozen) == expected


@pytest.mark.parametrize(
    "value",
    [10**5000, float("nan"), "\ud800" * 3000, b"x" * 10_000, object(), [None] * 500],
    ids=["huge int", "nan", "lone surrogates", "bytes", "object", "500 nones and itself"],
)
def test_odd_values_never_fail(value: Any) -> None:
    if isinstance(value, list):
        value.append(value)  # and it contains itself
    text = bounded_repr(value)
    assert text
    assert len(text) < 3_000
