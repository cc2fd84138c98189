"""The compiled hot paths answer exactly as attrs and the converters do.

* ``_compile.fast_init`` gives each step class a generated ``__init__`` (and ``_new``)
  that skips a converter when the field's ``FAST`` expression says the value needs no
  conversion. It must be equivalent to attrs' own ``__init__`` (kept as ``_attrs_init``):
  the same object for a valid value, the same error class and message for an invalid one.
* ``_compile.compile_wire_items`` writes the serializer on the first call of ``to_wire``;
  that first call must answer as every later call does (``until_format`` included), which
  only a fresh process can show.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import automation_dsl
from automation_dsl import (
    AddToBatch,
    AddToDigest,
    BatchScope,
    Cancel,
    DataSource,
    Delay,
    FetchData,
    HttpMethod,
    Invoke,
    MergeStrategy,
    Ref,
    Retain,
    RetainType,
    RunContext,
    Send,
    SendList,
    SendMessage,
    Throttle,
    UpdateProfile,
    Webhook,
    conditions,
)
from automation_dsl._fields import FAST

CLASSES = [
    Webhook,
    DataSource,
    Retain,
    RunContext,
    Send,
    SendMessage,
    SendList,
    Delay,
    Cancel,
    Invoke,
    UpdateProfile,
    FetchData,
    AddToBatch,
    AddToDigest,
    Throttle,
]

MOMENT = datetime(2024, 4, 8, 8, 9, 10, 123000, tzinfo=UTC)
WEBHOOK = Webhook(url="https://x.test/u")
RETAIN = Retain(type=RetainType.LAST, count=10)

# Values some field accepts: each is valid somewhere and invalid elsewhere.
ACCEPTED: list[Any] = [
    "WELCOME",
    "café",
    " padded ",
    "data.plan === 'pro'",
    "welcome",
    Ref("data.x"),
    {"$ref": "data.x"},
    {"plan": "pro"},
    {},
    {"to": {"user_id": "u"}, "template": "T"},
    {"url": "https://x.test/u"},
    {"type": "last", "count": 3},
    {"$node_id": "n1"},
    {"X-Trace": "1"},
    WEBHOOK,
    RETAIN,
    RunContext(recipient="u"),
    DataSource(webhook=WEBHOOK),
    HttpMethod.POST,
    "POST",
    MergeStrategy.SOFT_MERGE,
    "soft-merge",
    RetainType.HIGHEST,
    "highest",
    BatchScope.USER,
    "dynamic",
    1,
    100,
    2**53 - 1,
    1_893_456_000,
    True,
    False,
    MOMENT,
    datetime(2024, 1, 1, tzinfo=timezone(timedelta(hours=2))),
    date(2024, 4, 8),
    "2024-04-08T10:09:10+02:00",
    "20240408T080910.123",
    timedelta(minutes=5),
    timedelta(days=2),
    "5 minutes",
    "3 months",
    "PT5M",
    "P1D",
    "P1M",
    conditions.data.plan == "pro",
    conditions.data.flag,
]
# Values no field, or only some, accept: the hostile end.
REFUSED: list[Any] = [
    "",
    "   ",
    "\t\n",
    "a\ud800",
    "\udcff",
    "a b",
    "a.b",
    "a\x00b",
    "a\r\nb",
    "nope",
    "get",
    "9999 years",
    "P61D",
    "P60DT23H",
    "P3M",
    "P1Y",
    "PT0S",
    "P" + "9" * 30 + "D",
    0,
    -1,
    2**53,
    10**30,
    1.5,
    math.nan,
    math.inf,
    b"x",
    bytearray(b"x"),
    object(),
    [],
    ["x"],
    (),
    {1},
    {1: 2},
    {"a": math.nan},
    {"a": object()},
    {"a": "\ud800"},
    {"X-A": "a\r\nb"},
    {"$ref": ""},
    {"$node_id": 5},
    {"type": "last"},
    {},
    datetime(2024, 1, 1),
    datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5))),
    timedelta(0),
    timedelta(days=-1),
    timedelta(seconds=30),
    timedelta(days=61),
    timedelta(days=999_999_999),
    MergeStrategy.NONE,
    RetainType.FIRST,
]

surrogate_text = st.builds(
    lambda head, tail: head + "\ud800" + tail, st.text(max_size=3), st.text(max_size=3)
)
values = st.one_of(
    st.sampled_from(ACCEPTED),
    st.sampled_from(REFUSED),
    st.text(max_size=6),
    surrogate_text,
    st.integers(min_value=-(2**60), max_value=2**60),
    st.floats(),
)


for _cls in CLASSES:  # the generated __init__ is compiled on first use
    with contextlib.suppress(Exception):  # missing required fields: compiled all the same
        _cls()


def _outcome(make: Any) -> tuple[Any, ...]:
    """What a constructor call answered: the error class and message, or the fields."""
    try:
        obj = make()
    except Exception as error:
        return ("error", type(error), str(error))
    fields = tuple((type(value), value) for value in attrs.astuple(obj, recurse=False))
    return ("ok", type(obj), fields, obj.to_wire())


def _by_attrs(cls: type, kwargs: dict[str, Any]) -> Any:
    def make() -> Any:
        obj = object.__new__(cls)
        cls._attrs_init(obj, **kwargs)  # type: ignore[attr-defined]
        return obj

    return make


@st.composite
def kwargs_for(draw: st.DrawFn, cls: type) -> dict[str, Any]:
    """Keyword arguments for ``cls``: every required field, some optional ones."""
    kwargs: dict[str, Any] = {}
    for field in attrs.fields(cls):
        if field.default is attrs.NOTHING or draw(st.booleans()):
            kwargs[field.name] = draw(values)
    return kwargs


def test_every_step_class_has_a_generated_init_and_the_attrs_one() -> None:
    for cls in CLASSES:
        assert cls.__init__.__code__.co_filename.startswith("<automation_dsl generated")
        assert cls._attrs_init.__code__.co_filename.startswith("<attrs generated")  # type: ignore[attr-defined]


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
@settings(max_examples=150)
@given(data=st.data())
def test_compiled_constructors_answer_as_attrs_init(cls: type, data: st.DataObject) -> None:
    kwargs = data.draw(kwargs_for(cls))
    expected = _outcome(_by_attrs(cls, kwargs))
    assert _outcome(lambda: cls(**kwargs)) == expected
    assert _outcome(lambda: cls._new(**kwargs)) == expected  # type: ignore[attr-defined]


FAST_FIELDS = [
    (cls, field) for cls in CLASSES for field in attrs.fields(cls) if FAST in field.metadata
]


@pytest.mark.parametrize(
    ("cls", "field"), FAST_FIELDS, ids=[f"{c.__name__}.{f.name}" for c, f in FAST_FIELDS]
)
@settings(max_examples=200)
@given(value=values)
def test_a_fast_path_is_taken_only_for_values_the_converter_keeps(
    cls: type, field: attrs.Attribute[Any], value: Any
) -> None:
    """The invariant behind the generated ``__init__``: FAST(v) implies convert(v) is v."""
    expression, names = field.metadata[FAST]
    fast = eval(f"lambda v: {expression.format(v='v')}", dict(names))
    if fast(value):
        owner = object.__new__(cls)
        assert field.converter.converter(value, owner, field) is value  # type: ignore[union-attr]


# -- the serializer, compiled on its first call --------------------------------------------

_SCENARIO = """
import json, sys
from datetime import UTC, datetime
from automation_dsl import Automation, Delay, UntilFormat

moment = datetime(2024, 4, 8, 8, 9, 10, 123000, tzinfo=UTC)
scenario = sys.argv[1]
untils = []
if scenario == "automation-extended":
    flow = Automation(until_format="extended").delay(until=moment)
    untils = [flow.to_dict()["steps"][0]["until"] for _ in range(3)]
    untils.append(json.loads(flow.to_json())["automation"]["steps"][0]["until"])
elif scenario == "call-extended":
    flow = Automation().delay(until=moment)
    untils = [flow.to_dict(until_format="extended")["steps"][0]["until"] for _ in range(3)]
    untils.append(flow.to_dict()["steps"][0]["until"])
elif scenario == "payload-extended":
    flow = Automation(until_format="extended").delay(until=moment).send("A")
    untils = [flow.to_payload(recipient="u")["automation"]["steps"][0]["until"] for _ in range(3)]
elif scenario == "step-extended":
    step = Delay(until=moment)
    untils = [step.to_wire(UntilFormat.EXTENDED)["until"] for _ in range(3)]
    untils.append(step.to_wire()["until"])
elif scenario == "basic-first":
    flow = Automation().delay(until=moment)
    untils = [flow.to_dict()["steps"][0]["until"]]
    untils += [flow.to_dict(until_format="extended")["steps"][0]["until"] for _ in range(2)]
print(json.dumps(untils))
"""
BASIC, EXTENDED = "20240408T080910.123", "2024-04-08T08:09:10.123Z"


@pytest.mark.parametrize(
    ("scenario", "expected"),
    [
        ("automation-extended", [EXTENDED] * 4),
        ("call-extended", [EXTENDED] * 3 + [BASIC]),
        ("payload-extended", [EXTENDED] * 3),
        ("step-extended", [EXTENDED] * 3 + [BASIC]),
        ("basic-first", [BASIC, EXTENDED, EXTENDED]),
    ],
)
def test_until_format_holds_from_the_first_call_in_a_fresh_process(
    scenario: str, expected: list[str]
) -> None:
    root = str(Path(automation_dsl.__file__).resolve().parents[1])
    path = os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])
    result = subprocess.run(
        [sys.executable, "-c", _SCENARIO, scenario],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": path},
    )
    assert json.loads(result.stdout) == expected
