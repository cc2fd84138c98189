"""Hostile inputs to payload schemas: each test is a bug once found (a raw exception, a
hang, a silent acceptance), kept so that it stays fixed."""

from __future__ import annotations

import dataclasses
import enum
import json
import math
import re
import time
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, Literal, NotRequired, TypedDict

import attrs
import pytest

from automation_dsl import (
    Automation,
    PayloadSchema,
    ValidationError,
    ValidationTypeError,
    invoke_schema,
)
from automation_dsl.conditions import data


def test_a_non_string_key_is_named_not_a_type_error() -> None:
    closed = PayloadSchema({"type": "object", "additionalProperties": False})
    for value in ({1: 2}, {None: 2}, {("a",): 2}):
        [error] = closed.errors(value)
        assert error.path == "data"
        assert "string keys" in error.expected
    with pytest.raises(ValidationError, match="string keys"):
        closed.check({1: 2})


def _chain(length: int) -> dict[str, Any]:
    defs: dict[str, Any] = {f"d{i}": {"$ref": f"#/$defs/d{i + 1}"} for i in range(length)}
    defs[f"d{length}"] = {"anyOf": [{"type": "string"}, {"type": "null"}]}
    return {"$ref": "#/$defs/d0", "$defs": defs}


def test_a_long_chain_of_refs_is_refused_when_made_not_a_recursion_error() -> None:
    with pytest.raises(ValidationError, match="before they read into the value") as caught:
        PayloadSchema(_chain(5000))
    assert caught.value.path == "$defs"
    [error] = PayloadSchema(_chain(40)).errors(5)  # a short chain still works
    assert error.path == "data"


def test_nested_any_of_is_checked_in_linear_time() -> None:
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(60):  # each level used to re-run its branches: 2**60 checks
        schema = {"anyOf": [schema, {"type": "null"}]}
    started = time.perf_counter()
    [error] = PayloadSchema(schema).errors(5)
    assert time.perf_counter() - started < 1
    assert (error.path, error.expected) == ("data", "a string or null")


@pytest.mark.parametrize(
    ("hint", "why"),
    [
        (dict[str], "dict[str, X]"),
        (list[int, str], "list[X]"),
        (dict[str, int, str], "dict[str, X]"),
    ],  # type: ignore[misc]
)
def test_a_generic_with_the_wrong_number_of_arguments_is_named(hint: Any, why: str) -> None:
    cls = dataclasses.make_dataclass("Odd", [("x", hint)])
    with pytest.raises(ValidationError, match=re.escape(why)) as caught:
        PayloadSchema(cls)
    assert "Odd.x" in str(caught.value)


def test_classes_of_one_qualified_name_keep_their_own_schemas() -> None:
    def make(hint: Any) -> Any:
        @dataclasses.dataclass
        class Item:
            x: Any

        Item.__annotations__["x"] = hint
        return Item

    weird = dataclasses.make_dataclass("a/b~c", [("x", bool)])
    nameless = dataclasses.make_dataclass("", [("x", int)])
    assert PayloadSchema(nameless).errors({"x": "1"})[0].path == "data.x"
    outer = dataclasses.make_dataclass(
        "Outer", [("a", make(int)), ("b", make(str)), ("c", make(float)), ("d", weird)]
    )
    schema = PayloadSchema(outer)
    good = {"a": {"x": 1}, "b": {"x": "s"}, "c": {"x": 1.5}, "d": {"x": True}}
    assert schema.errors(good) == []
    bad = {"a": {"x": "s"}, "b": {"x": 1}, "c": {"x": "s"}, "d": {"x": 1}}
    assert [error.path for error in schema.errors(bad)] == [
        "data.a.x",
        "data.b.x",
        "data.c.x",
        "data.d.x",
    ]


def test_a_deep_chain_of_classes_is_named_not_a_recursion_error() -> None:
    cls: Any = dataclasses.make_dataclass("K1000", [("v", int)])
    for level in range(999, -1, -1):
        cls = dataclasses.make_dataclass(f"K{level}", [("n", cls)])
    with pytest.raises(ValidationError, match="nested more than 64 deep"):
        PayloadSchema(cls)


@pytest.mark.parametrize("index", ["\u00b2", "\u0663", "9" * 5000, "1e3", "", "00", "-0"])
def test_a_returns_index_that_is_not_a_step_number_is_named(index: str) -> None:
    document = json.loads(Automation().fetch_data("https://x.example.com/a").to_json())
    document["x-payload-schemas"] = {"returns": {index: {"type": "object"}}}
    with pytest.raises(ValidationError, match="the index of a fetch-data step") as caught:
        Automation.from_json(json.dumps(document))
    assert str(caught.value.path).startswith("x-payload-schemas.returns")


@pytest.mark.parametrize("key", [1, True, None, 1.5])
def test_a_schema_key_that_is_not_a_string_is_named_not_stringified(key: Any) -> None:
    source = {"type": "object", "properties": {"n": {"type": "object", "properties": {key: {}}}}}
    with pytest.raises(ValidationError, match="string keys") as caught:
        PayloadSchema(source)
    assert caught.value.path == "properties.n.properties"
    assert caught.value.got == key


class Basket(TypedDict):
    total: NotRequired[float]


def test_a_typed_dict_schema_takes_no_data_or_a_non_mapping_without_a_type_error() -> None:
    flow = Automation(data_schema=Basket).send("A")
    assert flow.to_payload(recipient="u")["recipient"] == "u"
    for value in ([1], "x", 1, Basket):
        with pytest.raises(ValidationError, match="a mapping") as caught:
            flow.to_payload(recipient="u", data=value)  # type: ignore[arg-type]
        assert caught.value.path == "data"
    assert PayloadSchema(Basket).to_json(None) is None


@pytest.mark.parametrize(
    ("schemas", "path"),
    [
        ({"data": 1}, "x-payload-schemas.data"),
        ({"data": {"type": "nope"}}, "x-payload-schemas.data.type"),
        (
            {"profile": {"properties": {"a": {"pattern": "x"}}}},
            "x-payload-schemas.profile.properties.a.pattern",
        ),
        ({"returns": {"0": {"type": "nope"}}}, "x-payload-schemas.returns.0.type"),
        ({"returns": {"0": 1}}, "x-payload-schemas.returns.0"),
    ],
)
def test_a_tampered_schema_is_located_in_the_document(schemas: Any, path: str) -> None:
    document = json.loads(Automation().fetch_data("https://x.example.com/a").to_json())
    document["x-payload-schemas"] = schemas
    with pytest.raises(ValidationError) as caught:
        Automation.from_json(json.dumps(document))
    assert caught.value.path == path


def test_invoke_schema_rewrites_refs_only_where_schemas_are() -> None:
    value = {"$ref": "#/$defs/X"}  # a value that looks like a reference
    source = {
        "type": "object",
        "properties": {
            "a": {"const": value, "default": value, "enum": [value]},
            "const": {"$ref": "#/$defs/X"},
        },
        "$defs": {"X": {"type": "object", "properties": {"y": {"examples": [value]}}}},
    }
    schema = invoke_schema(Automation(data_schema=source))
    body = schema["properties"]["data"]["properties"]
    assert body["a"] == {"const": value, "default": value, "enum": [value]}
    assert body["const"] == {"$ref": "#/$defs/data.X"}
    assert schema["$defs"]["data.X"]["properties"]["y"] == {"examples": [value]}
    body["a"]["const"]["$ref"] = "changed"  # a fresh copy
    assert invoke_schema(Automation(data_schema=source)) != schema


class _Hostile:
    def __eq__(self, other: object) -> bool:
        raise RuntimeError("eq")

    def __hash__(self) -> int:
        raise RuntimeError("hash")

    def __repr__(self) -> str:
        raise RuntimeError("repr")


class _HostileMeta(type):
    def __hash__(cls) -> int:
        raise RuntimeError("hash")


def test_a_hint_whose_eq_hash_or_repr_raise_is_named_not_raised() -> None:
    odd = dataclasses.make_dataclass("Odd", [("x", int)])
    odd.__annotations__["x"] = _Hostile()
    with pytest.raises(ValidationError, match="supported type hint") as caught:
        PayloadSchema(odd)
    assert "Odd.x" in str(caught.value)

    @dataclasses.dataclass
    class Inner(metaclass=_HostileMeta):
        y: int

    outer = dataclasses.make_dataclass("Outer", [("a", Inner), ("b", Inner)])
    assert [e.path for e in PayloadSchema(outer).errors({"a": {"y": 1}, "b": {"y": "2"}})] == [
        "data.b.y"
    ]


class _Odd(enum.Enum):
    PAIR = (1, 2)
    THING = 1.5


@pytest.mark.parametrize("member", [_Odd.PAIR, _Odd.THING])
def test_a_literal_of_an_enum_member_with_a_non_json_value_is_named(member: _Odd) -> None:
    cls = dataclasses.make_dataclass("Lit", [("x", Literal[member])])
    with pytest.raises(ValidationError, match="Literal values must be") as caught:
        PayloadSchema(cls)
    assert "Lit.x" in str(caught.value)


def test_an_empty_enum_says_it_allows_nothing() -> None:
    schema = {"type": "object", "properties": {"e": {"enum": []}}}
    [error] = PayloadSchema(schema).errors({"e": 1})
    assert error.expected == "nothing (the enum is empty)"
    with pytest.raises(ValidationError, match="nothing") as caught:
        Automation(data_schema=schema).send("A", if_="data.e === 1")
    assert "one of ," not in str(caught.value)


@attrs.define
class _Unset:
    x: int = attrs.field(init=False)


@dataclasses.dataclass
class _UnsetDC:
    x: int = dataclasses.field(init=False)


@dataclasses.dataclass
class _When:
    at: datetime


@dataclasses.dataclass
class _Log:
    whens: list[_When]


def test_an_instance_that_cannot_be_written_names_the_field_and_its_path() -> None:
    for cls in (_Unset, _UnsetDC):
        with pytest.raises(ValidationError, match="unset") as caught:
            Automation(data_schema=cls).send("A").to_payload(recipient="u", data=cls())
        assert caught.value.path == "data.x"
    log = _Log([_When(datetime(2024, 1, 1, tzinfo=UTC)), _When(datetime(2024, 1, 1))])
    with pytest.raises(ValidationError, match="timezone-aware") as caught:
        Automation(data_schema=_Log).send("A").to_payload(recipient="u", data=log)
    assert caught.value.path == "data.whens[1].at"


@attrs.frozen
class _Total:
    total: float


def test_composing_equal_schemas_keeps_the_class_so_instances_stay_accepted() -> None:
    typed = Automation(data_schema=_Total).send("A")
    plain = Automation(data_schema=PayloadSchema(_Total).schema).send("B")
    for flow in (typed + plain, plain + typed, typed.then(plain)):
        assert flow.data_schema is not None
        assert flow.data_schema.cls is _Total
        assert flow.to_payload(recipient="u", data=_Total(1.0))["data"] == {"total": 1.0}


def test_a_huge_enum_of_numbers_is_a_set_lookup() -> None:
    schema = PayloadSchema({"enum": [*range(100_000), 0.5, True, None, "x", [1]]})
    started = time.perf_counter()
    for _ in range(100):
        assert schema.errors(99_999) == []
        assert schema.errors(99_999.0) == []
        assert len(schema.errors(-1)) == 1
    assert time.perf_counter() - started < 1
    assert [
        v for v in (0.5, True, None, "x", [1], [1.0], 1.0, False, 2.5, "y") if schema.errors(v)
    ] == [
        False,
        2.5,
        "y",
    ]


def test_a_path_into_two_huge_objects_is_checked_in_linear_time() -> None:
    first = {"type": "object", "properties": {f"p{i}": {"type": "integer"} for i in range(20_000)}}
    second = {"type": "object", "properties": {f"q{i}": {"type": "integer"} for i in range(20_000)}}
    flow = Automation(data_schema={"anyOf": [first, second]})
    started = time.perf_counter()
    flow.send("A", if_=data.q5 > 1)
    assert time.perf_counter() - started < 0.5
    with pytest.raises(ValidationError, match=re.escape("did you mean 'data.q5'")):
        flow.send("A", if_=data.q5x > 1)


def test_a_schema_given_as_any_mapping_is_read_and_its_flaws_are_located() -> None:
    inner = MappingProxyType({"a": {"type": "string"}})
    frozen = PayloadSchema(MappingProxyType({"type": "object", "properties": inner}))
    assert frozen == PayloadSchema({"type": "object", "properties": {"a": {"type": "string"}}})
    looping: dict[str, Any] = {"type": "object"}
    looping["properties"] = {"a": {"anyOf": [looping]}}
    cases: list[tuple[Any, str, str]] = [
        ({"properties": {"a": {"maximum": math.nan}}}, "properties.a.maximum", "finite"),
        ({"properties": {"a": {"enum": [1, {2}]}}}, "properties.a.enum[1]", "JSON values"),
        ({"properties": {"a": {"title": "x\ud800"}}}, "properties.a.title", "surrogates"),
        (looping, "properties.a.anyOf[0]", "cycles"),
    ]
    for schema, path, expected in cases:
        with pytest.raises(ValidationError, match=expected) as caught:
            PayloadSchema(schema)
        assert caught.value.path == path


@pytest.mark.parametrize("given", [5, "x", {}, Automation, PayloadSchema({})])
def test_invoke_schema_of_something_else_is_named(given: Any) -> None:
    with pytest.raises(ValidationTypeError, match="an Automation or None"):
        invoke_schema(given)


@pytest.mark.parametrize(
    ("automation", "path"),
    [
        (
            {"steps": [{"action": "send", "template": "A", "if": "data.zz > 1"}]},
            "automation.steps[0].if",
        ),
        (
            {"cancelation_token": {"$ref": "data.zz"}, "steps": [{"action": "send"}]},
            "automation.cancelation_token",
        ),
    ],
)
def test_a_document_whose_steps_break_its_schemas_locates_the_step(
    automation: Any, path: str
) -> None:
    schemas = {"data": {"type": "object", "properties": {"a": {}}}}
    document = {"automation": automation, "x-payload-schemas": schemas}
    with pytest.raises(ValidationError, match="a path the data schema declares") as caught:
        Automation.from_json(json.dumps(document))
    assert caught.value.path == path


def test_a_ref_that_a_standard_validator_would_percent_decode_is_refused() -> None:
    schema = {"$ref": "#/$defs/%25", "$defs": {"%25": {"type": "string"}}}
    with pytest.raises(ValidationError, match="a local reference") as caught:
        PayloadSchema(schema)  # jsonschema reads it as the def named "%"
    assert caught.value.path == "$ref"
