"""Hostile documents and JSON values: every bad input is a located library error.

A table over the parser (each required field of each action dropped), a matrix of
document shapes and JSON values, equality that follows the JSON, and a Hypothesis test
that mutates valid payloads.
"""

from __future__ import annotations

import copy
import json
import math
import sys
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from automation_dsl import (
    Automation,
    AutomationError,
    NotEvaluated,
    Ref,
    RunContext,
    Send,
    ValidationError,
    ValidationTypeError,
)
from automation_dsl._errors import SHOW_LIMIT, _show
from automation_dsl._json import MAX_DEPTH, FrozenDict
from automation_dsl._ref import has_surrogate
from automation_dsl._steps import STEP_CLASSES, SendMessage
from automation_dsl._validate import find_errors
from automation_dsl._values import DataSource, Retain, Webhook
from automation_dsl.conditions import parse
from tests.strategies import DEEP, automations, deep_nesting, self_containing

# -- each required field of each action, dropped ------------------------------------------

WEBHOOK = {"url": "https://x.test/h", "method": "GET"}
MINIMAL: dict[type, dict[str, Any]] = {
    STEP_CLASSES["send"]: {"action": "send"},
    SendMessage: {"action": "send", "message": {"to": {"user_id": "u"}, "template": "T"}},
    STEP_CLASSES["send-list"]: {"action": "send-list", "list": "L"},
    STEP_CLASSES["delay"]: {"action": "delay", "duration": "1 day"},
    STEP_CLASSES["cancel"]: {"action": "cancel", "cancelation_token": "t"},
    STEP_CLASSES["invoke"]: {"action": "invoke", "template": "T"},
    STEP_CLASSES["update-profile"]: {"action": "update-profile", "profile": {"a": 1}},
    STEP_CLASSES["fetch-data"]: {"action": "fetch-data", "webhook": WEBHOOK},
    STEP_CLASSES["add-to-batch"]: {
        "action": "add-to-batch",
        "wait_period": "PT5M",
        "max_wait_period": "PT1H",
        "retain": {"type": "first", "count": 1},
    },
    STEP_CLASSES["add-to-digest"]: {"action": "add-to-digest", "subscription_topic_id": "T"},
    STEP_CLASSES["throttle"]: {
        "action": "throttle",
        "max_allowed": 1,
        "period": "PT1H",
        "scope": "user",
        "on_throttle": "n",
    },
}
NESTED = {Webhook: WEBHOOK, Retain: {"type": "first", "count": 1}, DataSource: {"webhook": WEBHOOK}}


def _required(cls: type) -> list[str]:
    wire = {name: w for name, w, _ in cls._wire_fields()}  # type: ignore[attr-defined]
    return [wire[f.name] for f in attrs.fields(cls) if f.default is attrs.NOTHING]


def test_the_table_covers_every_action() -> None:
    assert {cls.action for cls in MINIMAL} == set(STEP_CLASSES)  # type: ignore[attr-defined]
    for cls, step in MINIMAL.items():
        assert set(_required(cls)) <= set(step), cls
        Automation.from_dict({"steps": [step]})  # the minimal step itself is valid


DROPS = [
    (step, field)
    for cls, step in MINIMAL.items()
    for field in _required(cls)
    if not (cls is SendMessage and field == "message")  # without it, it is a plain send
]
DROPS += [
    ({"action": "fetch-data", "webhook": {"method": "GET"}}, "webhook.url"),
    (
        {"action": "send-list", "list": "L", "data_source": {"merge_strategy": "replace"}},
        "data_source.webhook",
    ),
]
DROPS += [
    (
        {**MINIMAL[STEP_CLASSES["add-to-batch"]], "retain": without(NESTED[Retain], key)},
        f"retain.{key}",
    )
    for without in [lambda d, k: {x: v for x, v in d.items() if x != k}]
    for key in _required(Retain)
]


@pytest.mark.parametrize(("step", "field"), DROPS, ids=[f"{s['action']}-{f}" for s, f in DROPS])
def test_a_missing_required_field_is_a_located_error(step: dict[str, Any], field: str) -> None:
    if "." not in field:
        step = {key: value for key, value in step.items() if key != field}
    document = {"steps": [{"action": "delay", "duration": "1 day"}, step]}
    with pytest.raises(ValidationError) as caught:
        Automation.from_dict(document)
    error = caught.value
    assert not isinstance(error, TypeError)
    assert error.path == f"steps[1].{field}"
    assert error.field == field.rsplit(".", 1)[-1]
    assert "required" in str(error)
    assert "got nothing" in str(error)
    # the validator behind `automation-dsl validate` and the sandbox's 400 sees it too
    errors = find_errors({"automation": document, "recipient": 5}, lenient=False)
    assert [e.path for e in errors] == [f"automation.steps[1].{field}", "recipient"]


def test_find_errors_reports_every_error() -> None:
    document = {
        "automation": {
            "steps": [
                {"action": "update-profile"},
                {"action": "cancel"},
                {"action": "send", "data": {"n": math.nan}},
            ],
            "colour": "red",
        },
        "recipient": 5,
        "data": {"when": datetime(2024, 1, 1)},
    }
    paths = [error.path for error in find_errors(document, lenient=True)]
    assert paths == [
        "automation.steps[0].profile",
        "automation.steps[1].cancelation_token",
        "automation.steps[2].data.n",
        "automation.colour",
        "recipient",
        "data.when",
    ]


# -- document shapes --------------------------------------------------------------------

SHAPES: list[tuple[Any, type[ValidationError], str | None]] = [
    ([], ValidationTypeError, None),
    (None, ValidationTypeError, None),
    ("steps", ValidationTypeError, None),
    ({"steps": None}, ValidationTypeError, "steps"),
    ({"steps": "x"}, ValidationTypeError, "steps"),
    ({"steps": {"0": {}}}, ValidationTypeError, "steps"),
    ({}, ValidationTypeError, "steps"),
    ({"steps": [1]}, ValidationTypeError, "steps[0]"),
    ({"steps": [None]}, ValidationTypeError, "steps[0]"),
    ({"steps": [["action", "send"]]}, ValidationTypeError, "steps[0]"),
    ({"steps": [{"action": "send"}, {1: "send"}]}, ValidationTypeError, "steps[1]"),
    ({1: 2, "steps": []}, ValidationTypeError, None),
    ({"steps": [], "colour": "red"}, ValidationError, "colour"),
    ({"steps": [], "x" * 10_000: 1}, ValidationError, "x" * 10_000),
    ({"steps": [{"action": None}]}, ValidationError, "steps[0].action"),
    ({"steps": [{"action": DEEP}]}, ValidationError, "steps[0].action"),
    ({"steps": [{"action": "dealy"}]}, ValidationError, "steps[0].action"),
    ({"steps": [{"action": "send", "data": DEEP}]}, ValidationError, None),
    (
        {"steps": [{"action": "send", "data": self_containing()}]},
        ValidationError,
        "steps[0].data.self",
    ),
    ({"steps": [], "cancelation_token": 5}, ValidationTypeError, "cancelation_token"),
    (
        {"steps": [], "cancelation_token": DEEP},
        ValidationTypeError,
        "cancelation_token",
    ),
    ({"steps": [{"action": "send", "if": "(" * 5000 + "data.x" + ")" * 5000}]}, None, None),  # type: ignore[list-item]
]


@pytest.mark.parametrize(("document", "error", "path"), SHAPES)
def test_document_shapes(
    document: Any, error: type[ValidationError] | None, path: str | None
) -> None:
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 1000))
    if error is None:  # accepted: kept as the JavaScript string it is
        flow = Automation.from_dict(document)
        assert Automation.from_json(flow.to_json()) == flow
        return
    with pytest.raises(error) as caught:
        Automation.from_dict(document)
    if path is not None:
        assert caught.value.path == path
    elif caught.value.path is not None:
        assert caught.value.path.startswith("steps[0].data.a.a")
    assert len(str(caught.value)) < 500
    assert find_errors(document, lenient=False)


TEXTS: list[tuple[Any, type[ValidationError], str]] = [
    (123, ValidationTypeError, "str or bytes"),
    (None, ValidationTypeError, "str or bytes"),
    ({"steps": []}, ValidationTypeError, "str or bytes"),
    ("{not json", ValidationError, "valid JSON"),
    ("", ValidationError, "valid JSON"),
    (b"\xff\xfe\xfa", ValidationError, "UTF-8"),
    (b'{"steps": [{"action": "send", "template": "\xc3("}]}', ValidationError, "UTF-8"),
    ('{"steps": [{"action": "send", "data": {"n": NaN}}]}', ValidationError, "NaN"),
    ('{"steps": [{"action": "send", "data": {"n": -Infinity}}]}', ValidationError, "NaN"),
    ('{"steps": [{"action": "send", "data": {"n": 1e999}}]}', ValidationError, "number"),
    (
        '{"steps": [{"action": "send", "data": {"n": ' + "9" * 5000 + "}}]}",
        ValidationError,
        "digits",
    ),
    ('{"steps": [{"action": "send", "data": {"n": 9007199254740993}}]}', ValidationError, "2**53"),
    ("[" * 100_000 + "]" * 100_000, ValidationError, "nested"),
    (
        '{"steps": [{"action": "send", "data": {"a": ' + "[" * 500 + "]" * 500 + "}}]}",
        ValidationError,
        "64",
    ),
    ('{"steps": [{"action": "send", "data": {"k": "\\ud800"}}]}', ValidationError, "surrogate"),
    ('{"automation": {"steps": [{"action": "invoke"}]}}', ValidationError, "required"),
]


@pytest.mark.parametrize(("text", "error", "words"), TEXTS)
def test_from_json_refuses_what_courier_would_not_read(
    text: Any, error: type[ValidationError], words: str
) -> None:
    with pytest.raises(error) as caught:
        Automation.from_json(text)
    assert words in str(caught.value)
    assert len(str(caught.value)) < 500


def test_from_payload_locates_automation_and_context_errors() -> None:
    with pytest.raises(ValidationError) as caught:
        Automation.from_payload({"automation": {"steps": [{"action": "cancel"}]}})
    assert caught.value.path == "automation.steps[0].cancelation_token"
    with pytest.raises(ValidationTypeError) as caught:
        Automation.from_payload({"automation": 5})
    assert caught.value.path == "automation"
    with pytest.raises(ValidationError) as caught:
        Automation.from_payload({"automation": {"steps": []}, "data": {"a": [1, {"b": {1}}]}})
    assert caught.value.path == "data.a[1].b"
    with pytest.raises(ValidationTypeError):
        Automation.from_payload({"automation": {"steps": []}, 7: 1})


# -- JSON values --------------------------------------------------------------------------

VALUES: list[tuple[Any, type[ValidationError], str, str | None]] = [
    ({"order": {"items": [1, 2, 3, math.nan]}}, ValidationError, "data.order.items[3]", None),
    ({"x": math.inf}, ValidationError, "data.x", None),
    ({"x": -math.inf}, ValidationError, "data.x", None),
    ({"x": 2**53 + 1}, ValidationError, "data.x", "string"),
    ({"x": -(10**5000)}, ValidationError, "data.x", "string"),
    ({"when": datetime(2024, 1, 1, tzinfo=UTC)}, ValidationTypeError, "data.when", "isoformat"),
    ({"day": date(2024, 1, 1)}, ValidationTypeError, "data.day", "isoformat"),
    ({"wait": timedelta(days=1)}, ValidationTypeError, "data.wait", None),
    ({"tags": {"a"}}, ValidationTypeError, "data.tags", "list"),
    ({"price": Decimal("1.10")}, ValidationTypeError, "data.price", "str"),
    ({"raw": b"x"}, ValidationTypeError, "data.raw", "decode"),
    ({"obj": object()}, ValidationTypeError, "data.obj", None),
    ({"odd key": [{"f": len}]}, ValidationTypeError, "data['odd key'][0].f", None),
    ({1: "x"}, ValidationTypeError, "data", None),
    ({"a": {(1, 2): "x"}}, ValidationTypeError, "data.a", None),
    ({"a\ud800": 1}, ValidationError, "data", None),
    ({"s": ["ok", "a\udfff"]}, ValidationError, "data.s[1]", None),
    ({"r": {"$ref": "not a path"}}, ValidationError, "data.r", None),
    (self_containing(), ValidationError, "data.self", None),
    (
        {"l": (lambda items: (items.append(items), items)[1])([])},
        ValidationError,
        "data.l[0]",
        None,
    ),
    (deep_nesting(MAX_DEPTH + 1), ValidationError, "data" + ".a" * MAX_DEPTH, None),
    (DEEP, ValidationError, "data" + ".a" * MAX_DEPTH, None),
    (
        {"a": deep_nesting(MAX_DEPTH - 2, [[]])},
        ValidationError,
        "data.a" + ".a" * (MAX_DEPTH - 2) + "[0]",
        None,
    ),
]


@pytest.mark.parametrize(("data", "error", "path", "hint"), VALUES)
def test_json_values_are_refused_at_their_place(
    data: Any, error: type[ValidationError], path: str, hint: str | None
) -> None:
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 1000))
    for call in (
        lambda: Automation().send("A", data=data),
        lambda: Automation().update_profile(data),
        lambda: Automation().send("A").to_payload(data=data),
        lambda: Automation().send("A").to_json(data=data),
        lambda: RunContext(data=data),
    ):
        with pytest.raises(error) as caught:
            call()
        assert caught.value.path is not None
        assert caught.value.path.split(".")[0].split("[")[0] in ("data", "profile")
        assert caught.value.path.partition(".")[2] == path.partition(".")[2] or (
            caught.value.path.partition("[")[2] == path.partition("[")[2]
        )
        assert len(str(caught.value)) < 500
        if hint:
            assert hint in (caught.value.hint or "")
    with pytest.raises(error):
        Automation().to_payload({"data": data})


def test_json_values_at_the_bound_are_kept() -> None:
    flow = Automation().send("A", data=deep_nesting(MAX_DEPTH))
    assert json.loads(flow.to_json())["automation"]["steps"][0]["data"] == deep_nesting(MAX_DEPTH)
    assert Automation().send("A", data={"n": 2**53, "m": -(2**53), "s": "café ✓"})


def test_a_data_value_nested_in_itself_through_steps_is_bounded() -> None:
    data: Any = {"a": 1}
    for _ in range(MAX_DEPTH - 1):
        data = Automation().send("A", data={"inner": data}).steps[0].data  # type: ignore[attr-defined]
    with pytest.raises(ValidationError, match="levels of nesting"):
        Automation().send("A", data={"inner": data})


# -- equality follows the JSON -------------------------------------------------------------


def test_true_and_one_differ() -> None:
    flag_true = Automation().send("A", data={"flag": True})
    flag_one = Automation().send("A", data={"flag": 1})
    assert flag_true != flag_one
    assert Automation().send("A", data={"l": [True]}) != Automation().send("A", data={"l": [1]})
    assert Automation().send("A", data={"flag": 1}) == Automation().send("A", data={"flag": 1.0})
    assert hash(Automation().send("A", data={"f": 1})) == hash(
        Automation().send("A", data={"f": 1.0})
    )
    assert len({flag_true, flag_one}) == 2
    assert FrozenDict({"a": False}) != {"a": 0}


def _numbers_as_js(value: Any) -> Any:
    """JSON as JavaScript reads it: 1 and 1.0 are one number."""
    if isinstance(value, dict):
        return {key: _numbers_as_js(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_numbers_as_js(item) for item in value]
    if isinstance(value, float) and value.is_integer():
        return ("number", int(value))
    if isinstance(value, int) and not isinstance(value, bool):
        return ("number", value)
    return value


small = st.recursive(
    st.sampled_from([True, False, 0, 1, 0.0, 1.0, None, "1", 2.5]),
    lambda inner: (
        st.lists(inner, max_size=2) | st.dictionaries(st.sampled_from("ab"), inner, max_size=2)
    ),
    max_leaves=4,
)


@given(
    st.dictionaries(st.sampled_from("xy"), small, max_size=2),
    st.dictionaries(st.sampled_from("xy"), small, max_size=2),
)
def test_equal_automations_have_equal_json(left: dict[str, Any], right: dict[str, Any]) -> None:
    a, b = Automation().send("A", data=left), Automation().send("A", data=right)
    same_json = _numbers_as_js(json.loads(a.to_json())) == _numbers_as_js(json.loads(b.to_json()))
    assert (a == b) == same_json
    if a == b:
        assert hash(a) == hash(b)


# -- errors are bounded and in the tree ----------------------------------------------------


def test_show_is_bounded_and_never_fails() -> None:
    class Hostile:
        def __repr__(self) -> str:
            raise RuntimeError("no")

    class Endless:
        def __repr__(self) -> str:
            return repr(self)

    for value in [
        deep_nesting(10_000),
        self_containing(),
        "x" * 10**6,
        10**4000,
        Hostile(),
        Endless(),
        [[1] * 10**5],
    ]:
        text = _show(value)
        assert len(text) <= SHOW_LIMIT + 40, text
    assert (
        _show(FrozenDict({"a": FrozenDict({"b": (1, 2)})}))
        == "FrozenDict({'a': FrozenDict({'b': (1, 2)})}) (FrozenDict)"
    )


def test_not_evaluated_is_an_automation_error() -> None:
    assert issubclass(NotEvaluated, AutomationError)
    from automation_dsl.conditions import NotEvaluated as same
    from automation_dsl.conditions import evaluate

    assert same is NotEvaluated
    with pytest.raises(AutomationError):
        evaluate("data.x(", {})


@pytest.mark.parametrize(
    "condition",
    [
        "(" * 5000 + "data.x" + ")" * 5000,
        "!" * 10_000 + "data.x",
        "data.a" + ".b" * 10_000,
        "data.a || " * 5000 + "data.b",
        "1" * 5000 + " === 1",
        "x" * 10**6,
    ],
)
def test_hostile_conditions_are_bounded(condition: str) -> None:
    from automation_dsl.conditions import evaluate

    assert parse(condition) is None
    with pytest.raises(NotEvaluated) as caught:
        evaluate(condition, {})
    assert len(str(caught.value)) <= 200
    flow = Automation().send("A", if_=condition)
    assert flow.simulate(recipient="u")  # reported as not evaluated, never raised


# -- the builder's own arguments -----------------------------------------------------------

BUILDER: list[tuple[Any, type[ValidationError], str]] = [
    (lambda: Automation(steps=None), ValidationTypeError, "steps"),
    (lambda: Automation(steps=5), ValidationTypeError, "steps"),
    (lambda: Automation(steps="send"), ValidationTypeError, "steps"),
    (lambda: Automation(steps=[1]), ValidationTypeError, "steps[0]"),
    (lambda: Automation(steps={"a": Send()}), ValidationTypeError, "steps"),
    (lambda: Automation(cancelation_token=5), ValidationTypeError, "cancelation_token"),
    (
        lambda: Automation(cancelation_token=DEEP),
        ValidationTypeError,
        "cancelation_token",
    ),
    (lambda: Automation(until_format=DEEP), ValidationTypeError, "until_format"),
    (lambda: Automation(until_format="iso"), ValidationError, "until_format"),
    (lambda: Automation().send("A") + 5, ValidationTypeError, "other"),
    (lambda: Automation().then(None), ValidationTypeError, "other"),
    (lambda: Automation().pipe(5), ValidationTypeError, "fn"),
    (lambda: Automation().pipe(lambda flow: None), ValidationTypeError, "fn"),
    (lambda: Automation().step({"action": "send"}), ValidationTypeError, "step"),
    (lambda: Automation().raw(None), ValidationTypeError, "step"),
    (lambda: Automation().raw([("action", "x")]), ValidationTypeError, "step"),
    (lambda: Automation().raw({"action": "x", "n": math.nan}), ValidationError, "body"),
    (lambda: Automation().to_json(indent="  "), ValidationTypeError, "indent"),
    (lambda: Automation().to_payload(5), ValidationTypeError, "context"),
    (lambda: Automation().to_payload({"colour": "red"}), ValidationError, "colour"),
    (lambda: Automation().to_payload({"data": self_containing()}), ValidationError, "data"),
    (
        lambda: Automation().to_payload(recipient=DEEP),
        ValidationTypeError,
        "recipient",
    ),
    (lambda: Automation().to_payload(profile=[1]), ValidationTypeError, "profile"),
    (lambda: Automation().to_dict(until_format=5), ValidationTypeError, "until_format"),
    (lambda: Automation("a") + Automation("x" * 10**6), ValidationError, "cancelation_token"),
    (lambda: Ref(DEEP), ValidationTypeError, "path"),
    (lambda: Ref("data.a\ud800"), ValidationError, "path"),
]


@pytest.mark.parametrize(("call", "error", "field"), BUILDER)
def test_builder_arguments_are_checked(call: Any, error: type[ValidationError], field: str) -> None:
    with pytest.raises(error) as caught:
        call()
    assert caught.value.field == field
    assert len(str(caught.value)) < 500


# -- mutating valid payloads ---------------------------------------------------------------

HOSTILE = [
    None,
    0,
    -1,
    1.5,
    True,
    "",
    "   ",
    "x",
    "nope",
    [],
    {},
    [1],
    {"unknown": 1},
    math.nan,
    math.inf,
    -math.inf,
    2**64,
    -(10**30),
    "a\ud800",
    deep_nesting(100),
    {"$ref": "data.x"},
    "2024-13-45",
    "P99999Y",
    "9999 years",
]


def _locations(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _locations(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _locations(item, (*path, index))
    return found


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    document = json.loads(draw(automations).to_json())["automation"]
    places = _locations(document)[1:]  # not the document itself
    if not places:
        return document
    where = draw(st.sampled_from(places))
    parent: Any = document
    for key in where[:-1]:
        parent = parent[key]
    last = where[-1]
    how = draw(st.sampled_from(["drop", "replace", "add-key", "bad-key"]))
    if how == "drop":
        del parent[last]
    elif how == "replace":
        parent[last] = copy.deepcopy(draw(st.sampled_from(HOSTILE)))  # never share a dict
    elif how == "add-key" and isinstance(parent[last], dict):
        parent[last][draw(st.sampled_from(["unknown", "if", "ref", "action", "$ref"]))] = (
            copy.deepcopy(draw(st.sampled_from(HOSTILE)))
        )
    elif how == "bad-key" and isinstance(parent[last], dict):
        parent[last][draw(st.sampled_from([1, None, ("t",), "k\udc00"]))] = 1
    return document


@given(mutated(), st.booleans())
def test_mutated_payloads_parse_exactly_or_fail_with_a_path(
    document: dict[str, Any], lenient: bool
) -> None:
    try:
        flow = Automation.from_dict(document, lenient=lenient)
    except ValidationError as error:
        refused: ValidationError | None = error
    else:
        refused = None
    if refused is not None:
        assert refused.path, refused
        assert len(str(refused)) < 600
        errors = find_errors(document, lenient=lenient)
        assert errors
        assert all(e.path for e in errors)
        return
    text = flow.to_json()
    # JSON values refuse lone surrogates (tested above); text fields are the field
    # converters' part of issue 10: until then, such an example is not counted here.
    assume(not has_surrogate(text))
    text.encode("utf-8")  # what was accepted can be sent
    parsed = Automation.from_json(text, lenient=True)
    # until_format: the first serialization in a process may drop it (the compiled encoder's
    # part of issue 10); every step and field must be equal all the same.
    assert parsed == flow.with_until_format(parsed.until_format)
    assert find_errors(document, lenient=lenient) == []


# -- a $ref accessor in any field: refused, or written back as it came ---------------------

MINIMAL_STEPS: dict[str, dict[str, Any]] = {
    "send": {"template": "A"},
    "send-list": {"list": "L"},
    "delay": {"duration": "1 day"},
    "cancel": {"cancelation_token": "t"},
    "invoke": {"template": "T"},
    "update-profile": {"profile": {"a": 1}},
    "fetch-data": {
        "webhook": {"url": "https://x.test", "method": "GET"},
        "merge_strategy": "overwrite",
    },
    "add-to-batch": {
        "wait_period": "PT1M",
        "max_wait_period": "PT1H",
        "retain": {"type": "first", "count": 1},
    },
    "add-to-digest": {"subscription_topic_id": "t"},
    "throttle": {
        "max_allowed": 1,
        "period": "PT1H",
        "scope": "user",
        "on_throttle": {"$node_id": "n"},
    },
}
ACCESSOR = {"$ref": "data.x"}


def test_a_ref_in_any_field_is_refused_or_written_back_as_it_came() -> None:
    accepted = 0
    for action, cls in STEP_CLASSES.items():
        assert Automation.from_dict({"steps": [{"action": action, **MINIMAL_STEPS[action]}]})
        for field in attrs.fields(cls):
            name = str(field.metadata.get("wire", field.name))
            for value in (ACCESSOR, [ACCESSOR], {"k": ACCESSOR}):
                step = {"action": action, **MINIMAL_STEPS[action], name: value}
                try:
                    flow = Automation.from_dict({"steps": [step]})
                except ValidationError:
                    continue
                text = flow.to_json()  # never "Object of type Ref is not JSON serializable"
                assert Automation.from_json(text) == flow, (action, name, value)
                assert json.loads(text)["automation"]["steps"][0][name] == value
                accepted += 1
    assert accepted > 20  # many fields take an accessor: the test must not pass vacuously


@pytest.mark.parametrize("lenient", ["no", 1, None, 10**30])
def test_lenient_is_a_bool(lenient: Any) -> None:
    document = {"steps": [{"action": "get-profile"}]}
    for read in (
        lambda: Automation.from_dict(document, lenient=lenient),
        lambda: Automation.from_payload({"automation": document}, lenient=lenient),
        lambda: Automation.from_json(json.dumps(document), lenient=lenient),
    ):
        with pytest.raises(ValidationTypeError, match="'lenient'"):
            read()


@pytest.mark.parametrize("start", [0, "", False, 1, date(2024, 1, 1)])
def test_simulate_start_is_an_aware_datetime_or_none(start: Any) -> None:
    with pytest.raises(ValidationTypeError, match="simulate: 'start'"):
        Automation().send("T").simulate(start=start, recipient="u")


@pytest.mark.parametrize(
    "expiry",
    [
        10**30,
        1785312000000,  # milliseconds
        "not a date",
        "garbage\r\n",
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(2030, 1, 1),
        0,
    ],
)
def test_a_step_idempotency_expiry_is_a_moment_from_1970_to_9999(expiry: Any) -> None:
    with pytest.raises(ValidationError, match="'idempotency_expiry'"):
        Automation().send("T", idempotency_expiry=expiry)
    with pytest.raises(ValidationError, match="idempotency_expiry"):
        Automation.from_dict(
            {"steps": [{"action": "send", "template": "T", "idempotency_expiry": expiry}]}
        )


def test_a_step_idempotency_expiry_keeps_what_was_valid() -> None:
    moment = datetime(2030, 1, 1, tzinfo=UTC)
    for value, written in [
        (1785312000, 1785312000),
        ("2030-01-01T00:00:00Z", None),
        (moment, 1893456000),
    ]:
        step = Automation().send("T", idempotency_expiry=value).to_dict()["steps"][0]
        assert step["idempotency_expiry"] == (value if written is None else written)


@pytest.mark.parametrize("literal", ["a\ud800", "\udfff tail"])
def test_a_condition_literal_utf8_cannot_carry_is_refused_when_built(literal: Any) -> None:
    # (big integers stay: JavaScript reads them as numbers, and the typed-condition tests
    # pin data.n >= 10**20)
    from automation_dsl.conditions import data

    with pytest.raises(ValidationError, match="'literal'"):
        Automation().send("T", if_=data.x == literal)
