"""The JSON Schema subset: the same verdict as the ``jsonschema`` package on random schemas of
the subset and random values, and a clear refusal of everything outside it."""

from __future__ import annotations

import math
from typing import Any

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from automation_dsl import ValidationError, ValidationTypeError
from automation_dsl._jsonschema import MAX_ERRORS, compile_schema

KEYS = ["a", "b", "c"]
TYPES = ["null", "boolean", "integer", "number", "string", "array", "object"]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-5, max_value=5),
    st.sampled_from([0.0, 1.0, -2.0, 2.5, -0.5]),
    st.sampled_from(["", "a", "ab", "abc", "é"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from([*KEYS, "d"]), inner, max_size=3),
    ),
    max_leaves=10,
)
leaves = st.one_of(
    st.booleans(),
    st.just({}),
    st.sampled_from(TYPES).map(lambda t: {"type": t}),
    st.lists(st.sampled_from(TYPES), min_size=1, max_size=3, unique=True).map(
        lambda t: {"type": t}
    ),
    st.lists(scalars, min_size=1, max_size=3).map(lambda e: {"enum": e}),
    scalars.map(lambda c: {"const": c}),
    st.tuples(st.sampled_from(["minimum", "maximum"]), st.sampled_from([0, 1, 2.5, -1])).map(
        lambda kv: {kv[0]: kv[1]}
    ),
    st.tuples(
        st.sampled_from(["minLength", "maxLength", "minItems", "maxItems"]), st.integers(0, 3)
    ).map(lambda kv: {kv[0]: kv[1]}),
)


def _composites(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    objects = st.fixed_dictionaries(
        {},
        optional={
            "type": st.just("object"),
            "properties": st.dictionaries(st.sampled_from(KEYS), inner, max_size=3),
            "required": st.lists(st.sampled_from(KEYS), max_size=3, unique=True),
            "additionalProperties": inner,
        },
    )
    arrays = st.fixed_dictionaries(
        {"items": inner}, optional={"type": st.just("array"), "minItems": st.integers(0, 2)}
    )
    any_of = st.lists(inner, min_size=1, max_size=3).map(lambda b: {"anyOf": b})
    return st.one_of(objects, arrays, any_of)


schemas = st.recursive(leaves, _composites, max_leaves=8)


@st.composite
def schemas_with_defs(draw: st.DrawFn) -> Any:
    """A root schema that may name, by ``$ref``, schemas of its ``$defs`` (some recursive
    through ``properties``/``items``)."""
    root = draw(schemas)
    if not draw(st.booleans()):
        return root
    node = {
        "type": "object",
        "properties": {"v": draw(leaves), "next": {"$ref": "#/$defs/node"}},
    }
    if isinstance(root, dict):
        return {
            **root,
            "$defs": {"node": node, "leaf": draw(schemas)},
            "anyOf": [{"$ref": "#/$defs/node"}, {"$ref": "#/$defs/leaf"}, *root.get("anyOf", [])],
        }
    return {"$defs": {"node": node}, "$ref": "#/$defs/node"}


@given(schemas_with_defs(), values)
def test_the_verdict_is_that_of_jsonschema(schema: Any, value: Any) -> None:
    jsonschema.Draft202012Validator.check_schema(schema)
    theirs = jsonschema.Draft202012Validator(schema).is_valid(value)
    compiled = compile_schema(schema, "test")
    assert compiled.valid(value) is theirs
    assert (compiled.errors(value, "data") == []) is theirs


@given(schemas, values)
def test_every_error_has_a_path_under_the_root(schema: Any, value: Any) -> None:
    for path, expected, _ in compile_schema(schema, "test").errors(value, "data"):
        assert path.startswith("data")
        assert expected


def test_paths_name_the_item_and_the_key() -> None:
    schema = {
        "type": "object",
        "properties": {
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"sku": {"type": "string"}},
                    "required": ["sku"],
                },
            },
            "plan-id": {"type": "integer"},
        },
    }
    errors = compile_schema(schema, "t").errors(
        {"items": [{"sku": "a"}, {"sku": "b"}, {"sku": 3}, {}], "plan-id": True}, "data"
    )
    assert [(p, e) for p, e, _ in errors] == [
        ("data.items[2].sku", "a string"),
        ("data.items[3].sku", "a value (a required property)"),
        ("data['plan-id']", "an integer"),
    ]


def test_errors_are_bounded() -> None:
    errors = compile_schema({"items": {"type": "string"}}, "t").errors(list(range(1000)), "data")
    assert len(errors) == MAX_ERRORS


def test_integers_and_booleans_follow_the_standard() -> None:
    check = compile_schema({"type": "integer"}, "t")
    assert check.valid(1)
    assert check.valid(1.0)
    assert check.valid(-(10**30))
    assert not check.valid(True)
    assert not check.valid(1.5)
    assert not check.valid("1")
    assert not compile_schema({"type": "number"}, "t").valid(False)
    assert not compile_schema({"enum": [1]}, "t").valid(True)
    assert compile_schema({"const": 1}, "t").valid(1.0)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_nan_and_infinity_are_never_numbers(bad: float) -> None:
    errors = compile_schema({"type": "number"}, "t").errors(bad, "data")
    assert errors
    assert "NaN" in errors[0][1]


def test_deep_values_are_bounded_by_a_recursive_schema() -> None:
    schema = {
        "$defs": {"n": {"type": "object", "properties": {"n": {"$ref": "#/$defs/n"}}}},
        "$ref": "#/$defs/n",
    }
    value: Any = {}
    for _ in range(10_000):
        value = {"n": value}
    errors = compile_schema(schema, "t").errors(value, "data")
    assert errors
    assert "nested at most" in errors[0][1]


def test_a_surrogate_in_a_value_is_just_a_string() -> None:
    assert compile_schema({"type": "string", "maxLength": 2}, "t").valid("a\ud800")


@pytest.mark.parametrize(
    ("schema", "error", "where"),
    [
        ({"type": "string", "pattern": "^a"}, ValidationError, "pattern"),
        ({"properties": {"a": {"oneOf": [{}]}}}, ValidationError, "properties.a.oneOf"),
        ({"items": [{"type": "string"}]}, ValidationError, "items"),
        ({"type": "strin"}, ValidationError, "type"),
        ({"type": []}, ValidationError, "type"),
        ({"type": ["string", "string"]}, ValidationError, "type"),
        ({"required": "a"}, ValidationError, "required"),
        ({"required": ["a", "a"]}, ValidationError, "required"),
        ({"enum": "a"}, ValidationError, "enum"),
        ({"minimum": "1"}, ValidationError, "minimum"),
        ({"minLength": -1}, ValidationError, "minLength"),
        ({"minLength": True}, ValidationError, "minLength"),
        ({"anyOf": []}, ValidationError, "anyOf"),
        ({"$ref": "http://example.com/s"}, ValidationError, "$ref"),
        ({"$ref": "#/$defs/missing"}, ValidationError, "$ref"),
        ({"properties": {"a": {"$defs": {}}}}, ValidationError, "properties.a.$defs"),
        (
            {"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"anyOf": [{"$ref": "#/$defs/a"}]}}},
            ValidationError,
            "$defs",
        ),
        ({"$defs": {"a": {"$ref": "#/$defs/a"}}}, ValidationError, "$defs"),
        ({"properties": 5}, ValidationError, "properties"),
        ({"properties": {"a": 5}}, ValidationError, "properties.a"),
        ({"enum": [math.nan]}, ValidationTypeError, None),
        ({"title": "a\ud800"}, ValidationError, None),
        ({1: {}}, ValidationTypeError, None),  # JSON would write the key 1 as "1": refused
        ([], ValidationTypeError, None),
        ("{}", ValidationTypeError, None),
        (None, ValidationTypeError, None),
    ],
)
def test_outside_the_subset_is_refused_naming_the_keyword(
    schema: Any, error: type[Exception], where: str | None
) -> None:
    with pytest.raises(error) as caught:
        compile_schema(schema, "Automation", "data_schema")
    assert type(caught.value) is error
    assert "data_schema" in str(caught.value)
    if where is not None:
        assert caught.value.path == where  # type: ignore[attr-defined]


def test_a_schema_that_contains_itself_or_nests_too_deep_is_refused() -> None:
    looping: dict[str, Any] = {"type": "object"}
    looping["properties"] = {"a": looping}
    with pytest.raises(ValidationTypeError):
        compile_schema(looping, "t")
    deep: Any = {}
    for _ in range(200):
        deep = {"items": deep}
    with pytest.raises(ValidationError, match="nested at most"):
        compile_schema(deep, "t")
    deeper: Any = {}
    for _ in range(100_000):
        deeper = {"items": deeper}
    with pytest.raises(ValidationError):
        compile_schema(deeper, "t")
