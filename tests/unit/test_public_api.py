"""The public surface: a sorted, complete ``__all__``, documented with examples."""

from __future__ import annotations

import ast
import importlib
import inspect
import itertools
import json
import pickle
import pickletools
import pkgutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FunctionType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import automation_dsl
from automation_dsl import Step
from tests.strategies import any_steps, raw_steps

FIXTURES = Path(__file__).parents[1] / "fixtures"


def test_all_is_sorted_and_unique() -> None:
    assert list(automation_dsl.__all__) == sorted(set(automation_dsl.__all__))


def test_all_is_complete() -> None:
    """Every public name defined in a private module and exported by it is in ``__all__``."""
    exported = set(automation_dsl.__all__)
    for info in pkgutil.iter_modules(automation_dsl.__path__):
        if not info.name.startswith("_"):
            continue
        module = importlib.import_module(f"automation_dsl.{info.name}")
        missing = set(getattr(module, "__all__", ())) - exported
        assert not missing, f"{info.name} exports {missing} not in automation_dsl.__all__"
    for name in exported:
        assert hasattr(automation_dsl, name), name


def _is_alias(obj: object) -> bool:
    """A type alias (``RefLike``): a union, documented by the string after it."""
    return not isinstance(obj, type | FunctionType)


def _alias_docstring(name: str) -> str:
    """The string literal that follows ``name: TypeAlias = ...`` in its defining module."""
    module = importlib.import_module("automation_dsl" + automation_dsl._EXPORTS[name])
    body = ast.parse(inspect.getsource(module)).body
    for node, after in itertools.pairwise(body):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and node.target.id == name
            and isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
        ):
            return str(after.value.value)
    return ""


def test_every_public_name_has_a_docstring_with_an_example() -> None:
    for name in automation_dsl.__all__:
        obj = getattr(automation_dsl, name)
        if _is_alias(obj):
            assert _alias_docstring(name), f"the alias {name} has no docstring"
            continue
        doc = inspect.getdoc(obj) or ""
        assert "Example" in doc or ">>>" in doc, f"{name} has no usage example"


def test_public_methods_are_documented() -> None:
    from automation_dsl import Automation

    for name, member in inspect.getmembers(Automation, inspect.isfunction):
        if not name.startswith("_"):
            assert inspect.getdoc(member), f"Automation.{name} has no docstring"


def test_building_does_not_import_httpx() -> None:
    code = "import sys, automation_dsl; print('httpx' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_version_is_exposed() -> None:
    assert automation_dsl.__version__.count(".") == 2


def test_public_names_report_the_package_as_their_module() -> None:
    """Reprs, tracebacks, docs and pickles name ``automation_dsl.X``, not a private home."""
    for name in automation_dsl.__all__:
        obj = getattr(automation_dsl, name)
        if not _is_alias(obj):  # a union has no module of its own
            assert obj.__module__ == "automation_dsl", name
    assert str(automation_dsl.Send) == "<class 'automation_dsl.Send'>"


def test_type_checkers_read_the_export_table() -> None:
    """The ``if TYPE_CHECKING`` imports of ``__init__`` are exactly ``_EXPORTS``."""
    tree = ast.parse(inspect.getsource(automation_dsl))
    static = {
        alias.name: "." + node.module
        for block in tree.body
        if isinstance(block, ast.If) and ast.unparse(block.test) == "TYPE_CHECKING"
        for node in block.body
        if isinstance(node, ast.ImportFrom) and node.module
        for alias in node.names
        if alias.asname == alias.name
    }
    assert static == automation_dsl._EXPORTS
    assert automation_dsl.__all__ == sorted(automation_dsl._EXPORTS)


def _flow() -> automation_dsl.Automation:
    from automation_dsl import Automation, DataSource, MessageStatus, Ref, Retain, Webhook
    from automation_dsl.conditions import data, refs

    return (
        Automation("order-1")
        .send("WELCOME", recipient="u1", data={"a": [1, {"b": Ref("data.x")}]}, ref="welcome")
        .delay(until=datetime(2024, 4, 8, 8, 9, 10, 123000, tzinfo=UTC))
        .delay(duration="1 hour")
        .send("NUDGE", if_=(data.plan == "pro") & (refs.welcome.status < MessageStatus.OPENED))
        .send_list("team", data_source=DataSource(webhook=Webhook(url="https://x.test/d")))
        .fetch_data("https://x.test/u", method="POST", headers={"h": "v"}, body={"q": 1})
        .invoke("child", context={"recipient": "u2", "data": {"k": 1}})
        .update_profile({"plan": "pro"}, merge="soft-merge")
        .add_to_batch(
            wait_period=timedelta(minutes=5),
            max_wait_period="PT1H",
            retain=Retain(type="highest", count=5, sort_key="refs.data.score"),
        )
        .throttle(max_allowed=1, period="PT1H", scope="user", on_throttle="n1")
        .cancel("order-1")
        .raw({"action": "get-profile", "user_id": "u1"})
    )


def _globals(blob: bytes) -> set[str]:
    """The modules a pickle imports."""
    modules = set()
    strings: list[str] = []
    for opcode, arg, _ in pickletools.genops(blob):
        if isinstance(arg, str):
            strings.append(arg)
        if opcode.name == "STACK_GLOBAL":
            modules.add(strings[-2])
        elif opcode.name == "GLOBAL":
            modules.add(str(arg).split(" ")[0])
    return modules


@pytest.mark.parametrize("protocol", [2, pickle.DEFAULT_PROTOCOL, pickle.HIGHEST_PROTOCOL])
def test_pickles_round_trip_and_name_only_public_homes(protocol: int) -> None:
    from automation_dsl import ValidationError

    flow = _flow()
    error = ValidationError("send step", "template", "a string", 3, path="steps[0]")
    blob = pickle.dumps((flow, error, automation_dsl.MessageStatus.SENT), protocol=protocol)
    again, same_error, status = pickle.loads(blob)
    assert again == flow
    assert again.to_json() == flow.to_json()
    assert repr(again) == repr(flow)
    assert (type(same_error), str(same_error), same_error.path) == (
        ValidationError,
        str(error),
        "steps[0]",
    )
    assert status is automation_dsl.MessageStatus.SENT
    private = {m for m in _globals(blob) if m.startswith("automation_dsl._")}
    assert not private, private
    assert "automation_dsl" in _globals(blob)


def test_pickles_made_by_0_1_0_still_load() -> None:
    """They name the old private homes (``automation_dsl._steps.Webhook`` ...)."""
    blob = (FIXTURES / "automation-v0.1.0.pickle").read_bytes()
    assert "automation_dsl._steps" in _globals(blob)
    flow, error, status = pickle.loads(blob)
    assert json.loads(flow.to_json()) == {
        "automation": {
            "cancelation_token": "order-1",
            "steps": [
                {
                    "action": "send",
                    "template": "WELCOME",
                    "recipient": "u1",
                    "data": {"a": [1, {"b": {"$ref": "data.x"}}]},
                    "ref": "welcome",
                },
                {"action": "delay", "until": "20240408T080910.123"},
                {"action": "delay", "duration": "1 hour"},
                {
                    "action": "send",
                    "template": "NUDGE",
                    "if": "data.plan === 'pro' && refs.welcome.status < MessageStatus.Opened",
                },
                {
                    "action": "send-list",
                    "list": "team",
                    "data_source": {
                        "webhook": {"url": "https://x.test/d", "method": "GET"},
                        "merge_strategy": "replace",
                    },
                },
                {
                    "action": "fetch-data",
                    "webhook": {"url": "https://x.test/u", "method": "POST", "headers": {"h": "v"}},
                    "merge_strategy": "overwrite",
                },
                {
                    "action": "invoke",
                    "template": "child",
                    "context": {"data": {"k": 1}, "recipient": "u2"},
                },
                {"action": "update-profile", "profile": {"plan": "pro"}, "merge": "soft-merge"},
                {
                    "action": "add-to-batch",
                    "wait_period": "PT5M",
                    "max_wait_period": "PT1H",
                    "retain": {"type": "highest", "count": 5, "sort_key": "refs.data.score"},
                    "scope": "user",
                },
                {
                    "action": "throttle",
                    "max_allowed": 1,
                    "period": "PT1H",
                    "scope": "user",
                    "on_throttle": {"$node_id": "n1"},
                },
                {"action": "cancel", "cancelation_token": "order-1"},
                {"action": "get-profile", "user_id": "u1"},
            ],
        }
    }
    assert isinstance(error, automation_dsl.ValidationError)
    assert str(error) == "steps[0]: send step: 'template' expected a string, got 3 (int)"
    assert status is automation_dsl.MessageStatus.SENT
    assert pickle.loads(pickle.dumps(flow)) == flow


@given(st.one_of(any_steps, raw_steps))
@settings(max_examples=150)
def test_every_step_pickles_to_an_equal_step(step: Step) -> None:
    blob = pickle.dumps(step)
    again = pickle.loads(blob)
    assert again == step
    assert again.to_wire() == step.to_wire()
    assert not {m for m in _globals(blob) if m.startswith("automation_dsl._")}
