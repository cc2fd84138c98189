"""The public surface: a sorted, complete ``__all__``, documented with examples."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import subprocess
import sys

import automation_dsl


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


def test_every_public_name_has_a_docstring_with_an_example() -> None:
    for name in automation_dsl.__all__:
        obj = getattr(automation_dsl, name)
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
