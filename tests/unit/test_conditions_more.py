"""The conditions a user expects (issue 15): ``exists``/``is_missing``, ``one_of``,
``includes``, ``startswith``; ``when(condition, fragment)``; fragments reading their host's
refs."""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime
from typing import Any, TypedDict

import pytest
from hypothesis import given
from hypothesis import strategies as st

from automation_dsl import Automation, RawStep, ValidationError, ValidationTypeError, when
from automation_dsl._js import MAX_ARRAY, MAX_NESTING, parse_condition
from automation_dsl._js import evaluate as evaluate_node
from automation_dsl.conditions import (
    MAX_CHOICES,
    And,
    Condition,
    Exists,
    Includes,
    MessageStatus,
    NotEvaluated,
    OneOf,
    StartsWith,
    data,
    evaluate,
    parse,
    profile,
    refs,
)

_MISSING = object()
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
)
values = (
    st.just(_MISSING)
    | scalars
    | st.lists(scalars, max_size=4)
    | st.dictionaries(st.text(max_size=3), scalars, max_size=2)
)
literals = scalars


def _scope(value: Any) -> dict[str, Any]:
    return {"data": {} if value is _MISSING else {"x": value}}


def _strict(left: Any, right: Any) -> bool:
    """JavaScript's === on JSON-like scalars (the reference the evaluator must match)."""
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if isinstance(left, int | float) and isinstance(right, int | float):
        return left == right
    return type(left) is type(right) and left == right and not isinstance(left, list | dict)


# -- compile -----------------------------------------------------------------------------


def test_each_method_compiles_to_the_javascript_courier_reads() -> None:
    assert data.coupon.exists().to_js() == "data.coupon !== undefined"
    assert data.coupon.is_missing().to_js() == "data.coupon === undefined"
    assert data.plan.one_of(["pro", 2, 2.5, True, None]).to_js() == (
        "['pro', 2, 2.5, true, null].includes(data.plan)"
    )
    assert data.tags.includes("vip").to_js() == "data.tags.includes('vip')"
    assert data["e-mail"].startswith("it's").to_js() == "data['e-mail'].startsWith('it\\'s')"
    assert (data.plan == None).to_js() == "data.plan === null"  # noqa: E711  # not exists()


def test_they_combine_with_the_precedence_javascript_needs() -> None:
    combined = (data.a.exists() | data.b.is_missing()) & ~data.tags.includes("x")
    assert combined.to_js() == (
        "(data.a !== undefined || data.b === undefined) && !data.tags.includes('x')"
    )
    assert (~data.a.exists()).to_js() == "!(data.a !== undefined)"
    assert (~data.p.one_of(["a"])).to_js() == "!['a'].includes(data.p)"
    assert (data.vip & data.p.one_of([1])).to_js() == "data.vip && [1].includes(data.p)"
    scope = {"data": {"a": None, "tags": ["y"]}}
    assert evaluate(combined, scope) is True
    assert evaluate(combined, {"data": {"b": 1, "tags": ["x"]}}) is False


def test_refs_read_names_the_step_refs() -> None:
    assert refs.welcome.status.exists().refs_read() == {"welcome"}
    assert refs.w.tags.includes("a").refs_read() == {"w"}
    assert refs.s.email.startswith("a").refs_read() == {"s"}
    assert refs.o.plan.one_of(["a"]).refs_read() == {"o"}
    assert (refs.data.plan.is_missing() & data.x.exists()).refs_read() == set()


# -- parse back --------------------------------------------------------------------------

paths = st.lists(st.text(min_size=1, max_size=6), min_size=1, max_size=3)


@given(paths, st.lists(literals, min_size=1, max_size=5), literals, st.text(max_size=6))
def test_the_parser_reads_back_what_the_builder_writes(
    keys: list[str], choices: list[Any], item: Any, prefix: str
) -> None:
    path = profile
    for key in keys:
        path = path[key]
    built: list[Condition] = [
        path.exists(),
        path.is_missing(),
        path.one_of(choices),
        path.includes(item),
        path.startswith(prefix),
    ]
    kinds = [Exists, Exists, OneOf, Includes, StartsWith]
    for condition, kind in zip(built, kinds, strict=True):
        parsed = parse(condition.to_js())
        assert isinstance(parsed, kind), condition.to_js()
        assert parsed == condition
    combined = (built[0] | built[2]) & ~built[3] & built[4]
    assert parse(combined.to_js()) == combined


def test_hand_written_variants_outside_the_typed_forms_stay_strings() -> None:
    assert parse("data.x.includes(data.y)") is None  # a path argument: no typed form
    assert parse("[data.a].includes(data.x)") is None
    assert parse("data.x.startsWith(1)") is None
    assert parse("data.x == undefined") is None
    assert parse("[].includes(data.x)") is None


# -- evaluate ----------------------------------------------------------------------------


@given(values)
def test_exists_and_is_missing_tell_absent_from_null(value: Any) -> None:
    scope = _scope(value)
    assert evaluate(data.x.exists(), scope) is (value is not _MISSING)
    assert evaluate(data.x.is_missing(), scope) is (value is _MISSING)
    assert evaluate(data.x == None, scope) is (value is None)  # noqa: E711


@given(values, st.lists(literals, min_size=1, max_size=5))
def test_one_of_is_strict_equality_with_any_choice(value: Any, choices: list[Any]) -> None:
    expected = value is not _MISSING and any(_strict(value, c) for c in choices)
    assert evaluate(data.x.one_of(choices), _scope(value)) is expected
    assert evaluate(~data.x.one_of(choices), _scope(value)) is (not expected)


@given(values, literals)
def test_includes_answers_as_javascript_or_is_not_evaluated(value: Any, item: Any) -> None:
    condition = data.x.includes(item)
    if isinstance(value, list):
        assert evaluate(condition, _scope(value)) is any(_strict(v, item) for v in value)
    elif isinstance(value, str) and isinstance(item, str):
        assert evaluate(condition, _scope(value)) is (item in value)
    else:  # JavaScript throws (undefined, null, a number ...) or converts the item: not guessed
        with pytest.raises(NotEvaluated):
            evaluate(condition, _scope(value))


@given(values, st.text(max_size=4))
def test_startswith_answers_for_strings_only(value: Any, prefix: str) -> None:
    condition = data.x.startswith(prefix)
    if isinstance(value, str):
        assert evaluate(condition, _scope(value)) is value.startswith(prefix)
    else:
        with pytest.raises(NotEvaluated):
            evaluate(condition, _scope(value))


def test_exists_guards_a_method_call_by_short_circuit() -> None:
    guarded = data.email.exists() & data.email.startswith("admin@")
    assert evaluate(guarded, {"data": {}}) is False
    assert evaluate(guarded, {"data": {"email": "admin@x"}}) is True
    with pytest.raises(NotEvaluated, match="reading 'plan' of undefined"):
        evaluate(data.user.plan.exists(), {"data": {}})
    assert evaluate(data.user.exists() & data.user.plan.exists(), {"data": {}}) is False


def test_nan_in_data_is_found_by_includes_as_javascript_does() -> None:
    nan = float("nan")
    assert evaluate("data.x.includes(data.y)", {"data": {"x": [nan], "y": nan}}) is True
    assert evaluate("data.y === data.y", {"data": {"y": nan}}) is False


# -- hostile inputs ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given_values", "error"),
    [
        ("pro", ValidationTypeError),
        ({"pro"}, ValidationTypeError),
        (None, ValidationTypeError),
        (iter(["a"]), ValidationTypeError),
        ([], ValidationError),
        ([["nested"]], ValidationTypeError),
        ([{"a": 1}], ValidationTypeError),
        ([math.nan], ValidationError),
        ([math.inf], ValidationError),
        (["\ud800"], ValidationError),
        ([object()], ValidationTypeError),
    ],
)
def test_one_of_refuses_hostile_values_naming_the_field(given_values: Any, error: type) -> None:
    with pytest.raises(error) as caught:
        data.plan.one_of(given_values)
    assert caught.value.field.startswith("one_of")  # type: ignore[attr-defined]


def test_one_of_refuses_a_huge_list_quickly_with_a_bounded_message() -> None:
    started = time.perf_counter()
    with pytest.raises(ValidationError) as caught:
        data.plan.one_of(list(range(100_000)))
    assert time.perf_counter() - started < 1
    assert f"at most {MAX_CHOICES} values (got 100000)" in str(caught.value)
    assert len(str(caught.value)) < 400
    assert len(data.plan.one_of(list(range(MAX_CHOICES))).choices) == MAX_CHOICES


@pytest.mark.parametrize(
    "item", [[1], ("a",), {"a": 1}, math.nan, -math.inf, "\udfff", object(), b"x"]
)
def test_includes_refuses_hostile_items(item: Any) -> None:
    with pytest.raises(ValidationError):
        data.tags.includes(item)


@pytest.mark.parametrize("prefix", [1, None, True, ["a"], b"a", "\ud800x"])
def test_startswith_refuses_hostile_prefixes(prefix: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        data.email.startswith(prefix)
    assert caught.value.field == "startswith" or "surrogate" in str(caught.value)


@pytest.mark.parametrize(
    "text",
    [
        "[" + ", ".join(["1"] * (MAX_ARRAY + 1)) + "].includes(data.x)",
        "[" * (MAX_NESTING + 1) + "]" * (MAX_NESTING + 1),
        "data.x.includes(" * (MAX_NESTING + 1) + "1" + ")" * (MAX_NESTING + 1),
        "data.x.includes()",
        "data.x.includes(1, 2)",
        "data.x.indexOf(1)",
        "data.x.includes",
        "[1, 2",
        "[1,].includes(data.x)",
        "data.x.startsWith('a')('b')",
    ],
)
def test_the_parser_refuses_what_it_does_not_read(text: str) -> None:
    with pytest.raises(NotEvaluated):
        evaluate_node(parse_condition(text), {"data": {"x": [1]}})


def test_a_path_named_like_a_method_is_reached_by_item_access() -> None:
    assert data["includes"].exists().to_js() == "data.includes !== undefined"


# -- the explorer and the payload schemas ----------------------------------------------


def test_the_explorer_decides_exists_and_one_of_and_keeps_methods_opaque() -> None:
    flow = (
        Automation()
        .send("A", if_=data.coupon.exists())
        .send("B", if_=data.plan.one_of(["pro", "team"]))
        .send("C", if_=data.tags.includes("vip"))
        .send("D", if_=data.coupon.is_missing() & ~data.plan.one_of(["pro"]))
    )
    paths = list(flow.explore(recipient="u", start=datetime(2026, 1, 1, tzinfo=UTC)))
    taken = {path.taken for path in paths}
    assert all(0 not in t or 3 not in t for t in taken)  # exists and is_missing exclude
    assert any(0 in t for t in taken)
    assert any(3 in t for t in taken)
    assert all(path.opaque == ("data.tags.includes('vip')",) for path in paths)
    for path in paths:  # the decided steps simulate as explored
        assert {0, 1, 3} & set(path.taken) == {0, 1, 3} & set(path.simulated)


def test_the_payload_schema_checks_the_paths_of_the_new_conditions() -> None:
    class Order(TypedDict):
        plan: str

    ok = Automation(data_schema=Order).send("A", if_=data.plan.one_of(["a"]))
    assert len(ok) == 1
    with pytest.raises(ValidationError, match=r"did you mean 'data\.plan'"):
        Automation(data_schema=Order).send("A", if_=data.plann.exists())


# -- when(condition, fragment) ---------------------------------------------------------


def test_when_combines_with_typed_and_string_ifs() -> None:
    fragment = (
        Automation("token")
        .send("A")
        .send("B", if_=data.clicked, ref="b")
        .send("C", if_="data.a === 1")
        .send("D", if_="data.items.some(Boolean)")
        .delay(hours=1)
    )
    gated = when(data.plan == "pro", fragment)
    assert [step.to_wire().get("if") for step in gated] == [
        "data.plan === 'pro'",
        "data.plan === 'pro' && data.clicked",
        "data.plan === 'pro' && data.a === 1",
        "(data.plan === 'pro') && (data.items.some(Boolean))",
        "data.plan === 'pro'",
    ]
    assert isinstance(gated[2].if_, And)  # the parsed string combined as typed
    assert gated.cancelation_token == "token"
    assert gated[1].ref == "b"
    assert [getattr(s, "template", None) for s in gated][:4] == ["A", "B", "C", "D"]
    assert fragment[0].if_ is None  # the fragment is unchanged

    text = when("data.items.some(Boolean)", fragment)
    assert text[0].if_ == "data.items.some(Boolean)"
    assert text[1].if_ == "(data.items.some(Boolean)) && (data.clicked)"
    loose = when("data.plan == 'pro' || data.vip", Automation().send("A", if_=data.b))
    assert loose[0].if_ == "(data.plan == 'pro' || data.vip) && (data.b)"
    assert when("data.a === 1", Automation().send("A", if_=data.b))[0].if_ == (
        "data.a === 1 && data.b"
    )
    assert when(data.vip | data.staff, Automation().send("A", if_=data.b))[0].if_ == (
        "(data.vip || data.staff) && data.b"
    )
    second = gated[1].if_
    assert second is not None
    assert evaluate(second, {"data": {"plan": "pro", "clicked": True}}) is True


@pytest.mark.parametrize(
    ("condition", "fragment"),
    [
        (None, Automation()),
        (42, Automation()),
        (True, Automation()),
        ("  ", Automation()),
        (data.a == 1, None),
        (data.a == 1, [Automation()]),
        (data.a == 1, "steps"),
    ],
)
def test_when_refuses_wrong_types(condition: Any, fragment: Any) -> None:
    with pytest.raises(ValidationError):
        when(condition, fragment)


def test_when_refuses_a_raw_step_and_a_hostile_condition_string() -> None:
    raw = Automation(steps=[RawStep({"action": "future-thing"})])
    with pytest.raises(ValidationError, match="raw step"):
        when(data.a == 1, raw)
    with pytest.raises(ValidationError):
        when("data.a === '\ud800'", Automation().send("A"))


# -- fragments and refs ------------------------------------------------------------------


def _nudge() -> Automation:
    return Automation().send("NUDGE", if_=refs.welcome.status < MessageStatus.OPENED)


def test_a_fragment_reads_its_hosts_refs_and_is_checked_when_composed() -> None:
    fragment = when(data.vip, _nudge())
    assert fragment.unresolved_refs == ("welcome",)
    host = Automation().send("WELCOME", ref="welcome").delay(days=1)
    whole = host + fragment
    assert whole.unresolved_refs == ()
    assert whole.to_payload()["automation"]["steps"][2]["if"] == (
        "data.vip && refs.welcome.status < MessageStatus.Opened"
    )
    assert host.pipe(lambda flow: flow + fragment) == whole
    assert len(whole.simulate(recipient="u")) > 0


def test_a_typo_is_caught_at_compose_time_with_did_you_mean() -> None:
    host = Automation().send("WELCOME", ref="welcom")
    with pytest.raises(ValidationError) as caught:
        _ = host + _nudge()
    message = str(caught.value)
    assert message.startswith("send step #1: 'if' expected refs.welcome set by an earlier step")
    assert "did you mean refs.welcom?" in message


def test_a_ref_set_after_it_is_read_is_refused_both_ways() -> None:
    with pytest.raises(ValidationError, match="set by a later step, send step #1"):
        _ = _nudge() + Automation().send("WELCOME", ref="welcome")
    with pytest.raises(ValidationError, match="set by a later step, send step #1"):
        _nudge().send("WELCOME", ref="welcome")
    with pytest.raises(ValidationError, match="set by a later step"):
        when(refs.welcome.status.exists(), Automation().send("W", ref="welcome"))


@pytest.mark.parametrize(
    "run",
    [
        lambda flow: flow.to_payload(),
        lambda flow: flow.to_json(),
        lambda flow: flow.simulate(recipient="u"),
        lambda flow: flow.explore(recipient="u"),
    ],
)
def test_an_unresolved_ref_is_refused_when_run_as_a_whole_flow(run: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        run(Automation().send("OTHER", ref="other") + _nudge())
    message = str(caught.value)
    assert "send step #1" in message
    assert "refs.welcome" in message
    assert "no earlier step has ref='welcome' (earlier refs: 'other')" in message


def test_to_dict_of_a_fragment_still_shows_it() -> None:
    assert _nudge().to_dict()["steps"][0]["if"] == "refs.welcome.status < MessageStatus.Opened"
