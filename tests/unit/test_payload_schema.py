"""Payload schemas: their sources (attrs, dataclass, TypedDict, JSON Schema), the build-time
path and literal checks, invoke-time checks with paths, export and round trip."""

from __future__ import annotations

import dataclasses
import enum
import json
import math
import pickle
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any, Literal, NotRequired, Optional, Required, TypedDict

import attrs
import jsonschema
import pytest

from automation_dsl import (
    Automation,
    CourierClient,
    FetchData,
    PayloadSchema,
    Ref,
    ValidationError,
    ValidationTypeError,
    invoke_schema,
)
from automation_dsl.conditions import data, profile


class Tier(enum.Enum):
    VIP = "vip"
    STANDARD = "standard"


@attrs.frozen
class Item:
    sku: str
    qty: int = 1


@attrs.frozen
class Order:
    id: str
    total: float
    tier: Tier
    items: list[Item]
    placed: datetime
    channel: Literal["web", "shop"] = "web"
    note: str | None = None


@dataclasses.dataclass
class Address:
    city: str
    zip: Optional[str] = None  # noqa: UP045  (the Optional spelling is a supported hint too)


@dataclasses.dataclass
class Customer:
    name: str
    addresses: Sequence[Address]
    tags: tuple[str, ...] = ()
    born: date | None = None
    extra: Mapping[str, int] = dataclasses.field(default_factory=dict)


class Reply(TypedDict):
    score: int
    label: NotRequired[str]


class Partial(TypedDict, total=False):
    a: Required[int]
    b: str


@attrs.frozen
class Tree:
    name: str
    children: list[Tree] = attrs.Factory(list)


ORDER = {
    "id": "o-1",
    "total": 12.5,
    "tier": "vip",
    "items": [{"sku": "A", "qty": 2}],
    "placed": "2024-04-08T08:00:00+00:00",
}
JSON_SCHEMA = {
    "type": "object",
    "properties": {"plan": {"enum": ["free", "pro"]}, "seats": {"type": "integer", "minimum": 1}},
    "required": ["plan"],
    "additionalProperties": False,
}


# -- sources ------------------------------------------------------------------------------


def test_an_attrs_class_becomes_its_json_schema() -> None:
    schema = PayloadSchema(Order).schema
    order = schema["$defs"]["Order"]
    assert schema["$ref"] == "#/$defs/Order"
    assert order["required"] == ["id", "total", "tier", "items", "placed"]
    assert order["additionalProperties"] is False
    assert order["properties"]["tier"] == {"enum": ["vip", "standard"]}
    assert order["properties"]["items"] == {"type": "array", "items": {"$ref": "#/$defs/Item"}}
    assert order["properties"]["placed"] == {"type": "string", "format": "date-time"}
    assert order["properties"]["channel"] == {"enum": ["web", "shop"]}
    assert order["properties"]["note"] == {"anyOf": [{"type": "string"}, {"type": "null"}]}
    jsonschema.Draft202012Validator.check_schema(schema)


def test_a_dataclass_becomes_its_json_schema() -> None:
    schema = PayloadSchema(Customer).schema
    customer = schema["$defs"]["Customer"]
    assert customer["required"] == ["name", "addresses"]
    assert customer["properties"]["tags"] == {"type": "array", "items": {"type": "string"}}
    assert customer["properties"]["extra"] == {
        "type": "object",
        "additionalProperties": {"type": "integer"},
    }
    assert customer["properties"]["born"]["anyOf"][0] == {"type": "string", "format": "date"}
    assert schema["$defs"]["Address"]["required"] == ["city"]


def test_a_typed_dict_keeps_required_and_not_required() -> None:
    assert PayloadSchema(Reply).schema["$defs"]["Reply"]["required"] == ["score"]
    assert PayloadSchema(Partial).schema["$defs"]["Partial"]["required"] == ["a"]


def test_a_recursive_class_refers_to_itself() -> None:
    schema = PayloadSchema(Tree)
    assert schema.schema["$defs"]["Tree"]["properties"]["children"]["items"] == {
        "$ref": "#/$defs/Tree"
    }
    tree = {"name": "a", "children": [{"name": "b", "children": [{"name": 3}]}]}
    assert [e.path for e in schema.errors(tree)] == ["data.children[0].children[0].name"]


def test_a_json_schema_mapping_is_copied() -> None:
    source = json.loads(json.dumps(JSON_SCHEMA))
    schema = PayloadSchema(source)
    source["properties"]["plan"] = {"type": "integer"}
    assert schema.schema == JSON_SCHEMA
    assert schema == PayloadSchema(JSON_SCHEMA)
    assert hash(schema) == hash(PayloadSchema(JSON_SCHEMA))
    assert schema != PayloadSchema(Reply)


class Bad:
    pass


@attrs.frozen
class WithSet:
    tags: set[str]


@dataclasses.dataclass
class WithTuple:
    pair: tuple[int, str]


@attrs.frozen
class WithIntKeys:
    counts: dict[int, str]


class FloatEnum(enum.Enum):
    HALF = 0.5


@attrs.frozen
class WithFloatEnum:
    value: FloatEnum


@attrs.frozen
class WithClass:
    other: Bad


@attrs.frozen
class WithUnresolvable:
    other: NoSuchName  # type: ignore[name-defined]  # noqa: F821


@pytest.mark.parametrize(
    ("source", "named"),
    [
        (WithSet, "WithSet.tags"),
        (WithTuple, "WithTuple.pair"),
        (WithIntKeys, "WithIntKeys.counts"),
        (WithFloatEnum, "WithFloatEnum.value"),
        (WithClass, "WithClass.other"),
        (WithUnresolvable, "NoSuchName"),
    ],
)
def test_an_unsupported_hint_is_an_error_naming_the_field(source: type, named: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Automation(data_schema=source)
    assert named in str(caught.value)
    assert "data_schema" in str(caught.value) or "annotations" in str(caught.value)


@pytest.mark.parametrize(
    "bad",
    [
        None.__class__,
        Bad,
        5,
        "Order",
        b"{}",
        [ORDER],
        Order("o", 1.0, Tier.VIP, [], datetime(2024, 1, 1, tzinfo=UTC)),
    ],
)
def test_a_wrong_schema_type_is_a_type_error(bad: Any) -> None:
    with pytest.raises(ValidationTypeError, match="data_schema"):
        Automation(data_schema=bad)


# -- build time -----------------------------------------------------------------------------


FLOW = Automation(data_schema=Order, profile_schema=JSON_SCHEMA)


def _error(build: Any) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        build()
    return caught.value


def test_declared_paths_build() -> None:
    flow = (
        FLOW.send("A", if_=(data.tier == "vip") & (data.total > 10) & ~data.note)
        .send("B", if_="data.items.length > 2 && data.channel === 'shop'")
        .send("C", data={"first": {"$ref": "data.items.0.sku"}}, if_=profile.plan == "pro")
        .cancel(Ref("data.id"))
        .send("D", if_=data.total == 10)  # an int literal for a number
    )
    assert len(flow) == 5


@pytest.mark.parametrize(
    ("build", "path", "hint"),
    [
        (
            lambda: FLOW.send("A", if_=data.tierr == "vip"),
            "steps[0].if",
            "did you mean 'data.tier'?",
        ),
        (lambda: FLOW.send("A", if_="data.totl > 1"), "steps[0].if", "did you mean 'data.total'?"),
        (lambda: FLOW.cancel(data.idd), "steps[0].cancelation_token", "did you mean 'data.id'?"),
        (
            lambda: FLOW.send("A", recipient=Ref("data.items.0.skus")),
            "steps[0].recipient",
            "'data.items.0.sku'",
        ),
        (
            lambda: FLOW.send("A", data={"x": [{"$ref": "data.zzz"}]}),
            "steps[0].data",
            "data declares id",
        ),
        (lambda: FLOW.send("A", if_=profile.plann == "pro"), "steps[0].if", "'profile.plan'"),
        (lambda: FLOW.send("A").send("B", if_=data.sku == "x"), "steps[1].if", None),
        (lambda: FLOW.send("A", if_=data.total.cents > 1), "steps[0].if", "data.total declares no"),
    ],
)
def test_an_undeclared_path_names_the_step_the_path_and_a_suggestion(
    build: Any, path: str, hint: str | None
) -> None:
    error = _error(build)
    assert error.path == path
    assert "expected a path the" in str(error)
    assert " #" in error.owner
    if hint:
        assert hint in str(error)


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (data.total == "10", "a number"),
        (data.total < "10", "a number"),
        (data.tier == "gold", 'one of "vip", "standard"'),
        (data.channel != "mail", 'one of "web", "shop"'),
        (data.id == 5, "a string"),
        (data.note == 5, "a string or null"),
        (data.items == True, "an array"),  # noqa: E712
        (profile.plan == "team", 'one of "free", "pro"'),
        (profile.seats == "3", "a number"),
    ],
)
def test_a_literal_of_the_wrong_type_is_an_error(condition: Any, expected: str) -> None:
    error = _error(lambda: FLOW.send("A", if_=condition))
    assert error.field == "if"
    assert error.expected.startswith(expected), error.expected


def test_a_string_condition_is_checked_when_parse_reads_it_only() -> None:
    assert _error(lambda: FLOW.send("A", if_="data.total === '10'")).field == "if"
    FLOW.send("A", if_="data.whatever == 1")  # loose ==: parse cannot read it, not checked


def test_without_a_schema_nothing_is_checked() -> None:
    flow = Automation().send("A", if_=data.tierr == 5).cancel(Ref("data.x.y"))
    assert len(flow) == 2


def test_fetch_data_returns_extends_what_later_steps_read() -> None:
    flow = FLOW.fetch_data("https://x.test/s", returns=Reply, if_=data.total > 1)
    later = flow.send("A", if_=(data.score > 3) & (data.id == "o"))
    assert isinstance(later[0], FetchData)
    assert later[0].returns == PayloadSchema(Reply)
    assert "returns" not in later.to_dict()["steps"][0]
    assert _error(lambda: flow.send("A", if_=data.score == "high")).expected.startswith("a number")
    assert "did you mean 'data.score'" in str(_error(lambda: flow.send("A", if_=data.scor > 1)))
    # the fetch step's own condition reads the data before the reply
    assert _error(lambda: FLOW.fetch_data("https://x.test", returns=Reply, if_=data.score > 1))


def test_composition_slicing_and_construction_check_every_step() -> None:
    free = Automation().send("A", if_=data.nope == 1)
    with pytest.raises(ValidationError, match=r"steps\[1\]\.if"):
        FLOW.send("X") + free
    with pytest.raises(ValidationError):
        free.with_data_schema(Order)
    with pytest.raises(ValidationError):
        Automation(steps=free.steps, data_schema=Order)
    with pytest.raises(ValidationError, match="the same data_schema on both sides"):
        FLOW + Automation(data_schema=Reply)
    fetched = FLOW.fetch_data("https://x.test", returns=Reply).send("A", if_=data.score > 1)
    with pytest.raises(ValidationError, match=r"steps\[0\]\.if"):
        fetched[1:]
    assert (FLOW + Automation().send("A")).data_schema == PayloadSchema(Order)
    assert FLOW.send("A").delay(days=1).profile_schema == PayloadSchema(JSON_SCHEMA)
    assert FLOW.with_data_schema(None).data_schema is None


def test_a_bad_returns_is_refused_naming_the_field() -> None:
    with pytest.raises(ValidationTypeError, match="'returns'"):
        Automation().fetch_data("https://x.test", returns=5)  # type: ignore[arg-type]


# -- invoke time -----------------------------------------------------------------------------


def test_to_payload_checks_data_and_profile_with_paths() -> None:
    flow = FLOW.send("A")
    assert flow.to_payload(data=ORDER, profile={"plan": "pro"})["data"] == ORDER
    bad = {**ORDER, "items": [{"sku": "A"}, {"sku": "B"}, {"qty": 1}]}
    error = _error(lambda: flow.to_payload(data=bad, profile={"plan": "pro"}))
    assert error.path == "data.items[2].sku"
    error = _error(lambda: flow.to_payload(data=ORDER, profile={"plan": "pro", "x": 1}))
    assert error.path == "profile.x"
    error = _error(lambda: flow.to_payload(data=ORDER))  # no profile: checked as {}
    assert error.path == "profile.plan"


def test_every_error_is_counted_in_the_hint() -> None:
    error = _error(lambda: Automation(data_schema=Order).to_payload(data={"id": 1}))
    assert error.path == "data.id"
    assert error.hint is not None
    assert error.hint.startswith("and 4 more: data.total")


def test_an_instance_is_serialized() -> None:
    order = Order("o-1", 12.5, Tier.VIP, [Item("A", 2)], datetime(2024, 4, 8, 8, tzinfo=UTC))
    payload = Automation(data_schema=Order).to_payload(data=order)  # type: ignore[arg-type]
    assert payload["data"] == {**ORDER, "channel": "web", "note": None}
    customer = Customer("Ann", [Address("Oslo")], ("a",), date(2000, 1, 2))
    payload = Automation(data_schema=Customer).to_payload(data=customer)  # type: ignore[arg-type]
    assert payload["data"]["born"] == "2000-01-02"
    assert payload["data"]["tags"] == ["a"]


def test_a_naive_datetime_or_another_class_is_refused() -> None:
    naive = Order("o", 1.0, Tier.VIP, [], datetime(2024, 1, 1))
    assert "timezone-aware" in str(
        _error(lambda: Automation(data_schema=Order).to_payload(data=naive))  # type: ignore[arg-type]
    )
    with pytest.raises(ValidationTypeError, match="a mapping or a Order instance"):
        Automation(data_schema=Order).to_payload(data=Item("A"))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "value",
    [
        {"plan": "pro", "seats": math.nan},
        {"plan": "pro", "seats": math.inf},
        {"plan": "pro\ud800"},
    ],
)
def test_hostile_data_is_refused(value: Any) -> None:
    with pytest.raises(ValidationError):
        Automation(data_schema=JSON_SCHEMA).to_payload(data=value)


def test_huge_and_deep_data_are_bounded() -> None:
    flow = Automation(data_schema={"type": "object", "additionalProperties": {"type": "integer"}})
    error = _error(lambda: flow.to_payload(data={f"k{i}": "x" for i in range(100_000)}))
    assert error.hint is not None
    assert "19+ more" in error.hint
    deep: Any = 1
    for _ in range(5_000):
        deep = {"a": deep}
    with pytest.raises(ValidationError):
        Automation(data_schema=Tree).to_payload(data=deep)


def test_a_ref_as_data_is_not_checked() -> None:
    flow = Automation(data_schema=Order).send("A")
    assert flow.to_payload(data={"$ref": "data.order"})["data"] == {"$ref": "data.order"}


def test_invoke_many_reports_bad_rows_per_row() -> None:
    flow = Automation(data_schema=Order).send("A")
    bad = {**ORDER, "items": [{"sku": "A"}, {"sku": "B"}, {"sku": 3}]}
    rows = [
        {"recipient": "u1", "data": ORDER},
        {"recipient": "u2", "data": bad},
        {"recipient": "u3", **ORDER, "total": "x"},
    ]
    with CourierClient(api_key="k", base_url="https://api.courier.com") as client:
        result = client.invoke_many(flow, rows, dry_run=True, progress=False)
    assert [(f.index, f.error.path) for f in result.failures] == [  # type: ignore[attr-defined]
        (1, "contexts[1].data.items[2].sku"),
        (2, "contexts[2].data.total"),
    ]
    with (
        CourierClient(api_key="k", base_url="https://api.courier.com") as client,
        pytest.raises(ValidationError, match=r"contexts\[1\]\.data\.items\[2\]\.sku"),
    ):
        client.invoke_many(flow, rows, dry_run=True, progress=False, on_invalid="raise")


def test_invoke_many_serializes_instances_in_rows() -> None:
    flow = Automation(data_schema=Item).send("A")
    with CourierClient(api_key="k", base_url="https://api.courier.com") as client:
        result = client.invoke_many(
            flow, [{"recipient": "u", "data": Item("A")}, {"data": Order}], dry_run=True
        )
    assert [f.index for f in result.failures] == [1]


# -- export and round trip -----------------------------------------------------------------


def test_invoke_schema_embeds_the_payload_schemas() -> None:
    flow = FLOW.send("A")
    schema = invoke_schema(flow)
    assert schema["required"] == ["automation", "data", "profile"]
    validator = jsonschema.Draft202012Validator(schema)
    assert validator.is_valid(flow.to_payload(data=ORDER, profile={"plan": "pro"}))
    assert not validator.is_valid(
        {"automation": {"steps": []}, "data": {**ORDER, "tier": "gold"}, "profile": {"plan": "pro"}}
    )
    optional = invoke_schema(Automation(data_schema={"type": "object"}))
    assert optional["required"] == ["automation"]
    assert invoke_schema() == invoke_schema(Automation())


def test_the_schemas_survive_to_json_and_from_json() -> None:
    flow = FLOW.fetch_data("https://x.test", returns=Reply).send("A", if_=data.score > 1)
    text = flow.to_json(data=ORDER, profile={"plan": "pro"})
    assert "x-payload-schemas" in json.loads(text)
    again = Automation.from_json(text)
    assert again == flow
    assert again.data_schema == flow.data_schema
    assert again.data_schema is not None
    assert again.data_schema.cls is None
    parsed, context = Automation.from_payload(json.loads(text))
    assert parsed == flow
    assert context.data == ORDER
    assert "x-payload-schemas" not in flow.to_payload(data=ORDER, profile={"plan": "pro"})
    assert Automation.from_dict(flow.to_dict()).data_schema is None  # the automation object


@pytest.mark.parametrize(
    ("schemas", "path"),
    [
        (5, "x-payload-schemas"),
        ({"dat": {}}, "x-payload-schemas.dat"),
        ({"returns": []}, "x-payload-schemas.returns"),
        ({"returns": {"0": {}}}, "x-payload-schemas.returns.0"),
        ({"data": {"pattern": "x"}}, "x-payload-schemas.data.pattern"),
        ({"data": {"type": "object", "properties": {}}}, "automation.steps[0].if"),
    ],
)
def test_bad_schemas_in_a_document_are_located(schemas: Any, path: str) -> None:
    body = {
        "automation": {"steps": [{"action": "send", "if": "data.a === 1"}]},
        "x-payload-schemas": schemas,
    }
    with pytest.raises(ValidationError) as caught:
        Automation.from_payload(body)
    assert caught.value.path == path


def test_a_client_never_sends_the_schemas() -> None:
    from automation_dsl._http import _invoke_body

    body = json.loads(FLOW.to_json(data=ORDER, profile={"plan": "pro"}))
    assert "x-payload-schemas" not in _invoke_body(body, {}, True)
    assert "x-payload-schemas" not in _invoke_body(body, {}, False)


def test_pickles_and_reprs_keep_the_schemas() -> None:
    flow = FLOW.fetch_data("https://x.test", returns=Reply)
    assert pickle.loads(pickle.dumps(flow)) == flow
    assert repr(flow).startswith("Automation(data_schema=PayloadSchema(Order), profile_schema=")
    assert "returns=PayloadSchema(Reply)" in repr(flow)
