"""Guardrails for restructuring: the public surface, builder/step parity, docs tables, lazy edges.

* The **public-API snapshot** compares ``__all__`` of ``automation_dsl``,
  ``automation_dsl.conditions`` and ``automation_dsl.sandbox``, and the ``inspect.signature`` text
  of every public callable (with the public methods of public classes), against
  ``tests/fixtures/public_api.json``. After a
  deliberate change of the public surface, regenerate the file and review its diff::

      PYTHONPATH=. python -m tests.unit.test_architecture

* Each builder method of ``Automation`` takes exactly its step class's fields.
* Each ``docs/steps/*.md`` field table names exactly its step class's fields.
* Each import that the import-linter contract (``[tool.importlinter]`` in ``pyproject.toml``) is
  told to ignore is lazy: it sits inside a function (or under ``TYPE_CHECKING``), never at the top
  of a module.
"""

from __future__ import annotations

import ast
import enum
import importlib
import inspect
import json
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

import automation_dsl
from automation_dsl import Automation, Step

ROOT = next(p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").exists())
PACKAGE = ROOT / "automation_dsl"
SNAPSHOT = ROOT / "tests" / "fixtures" / "public_api.json"
PUBLIC_MODULES = ("automation_dsl", "automation_dsl.conditions", "automation_dsl.sandbox")


# -- the public-API snapshot ------------------------------------------------------------------


def _signature(obj: Any) -> str | None:
    try:
        return str(inspect.signature(obj))
    except (TypeError, ValueError):  # some builtins and C types have none
        return None


def _generated(member: Any) -> bool:
    """Code _compile writes and installs on first use (``to_wire``): it shadows the method it
    speeds up with another signature text, so the snapshot reads the method it replaced."""
    code = getattr(member, "__code__", None)
    return code is not None and code.co_filename.startswith("<automation_dsl generated")


def _members(cls: type) -> dict[str, Any]:
    """Public methods and properties a class defines or inherits from within the package."""
    members: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        if not klass.__module__.startswith("automation_dsl"):
            continue
        for name, raw in vars(klass).items():
            if name.startswith("_") or _generated(raw):
                continue
            if isinstance(raw, property):
                members[name] = "property"
            elif isinstance(raw, staticmethod | classmethod) or inspect.isfunction(raw):
                members[name] = _signature(raw.__get__(None, cls))
    return dict(sorted(members.items()))


def _describe(obj: Any) -> dict[str, Any]:
    if isinstance(obj, type) and issubclass(obj, enum.Enum):
        return {"kind": "enum", "members": {m.name: m.value for m in obj}}
    if isinstance(obj, type):
        # A step's generated __init__ (_compile.fast_init), installed on first use, reports
        # another signature text (no annotations): attrs' own is the stable one.
        init = vars(obj).get("_attrs_init")
        signature = _signature(obj) if init is None else _signature(init).replace("(self, ", "(")
        return {"kind": "class", "signature": signature, "members": _members(obj)}
    if inspect.isfunction(obj) or inspect.isbuiltin(obj):
        return {"kind": "function", "signature": _signature(obj)}
    return {"kind": "value", "type": type(obj).__name__}


def public_api() -> dict[str, Any]:
    """The public surface as JSON-ready data: per module, ``__all__`` and what each name is."""
    surface: dict[str, Any] = {}
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        names = list(module.__all__)
        surface[module_name] = {
            "__all__": names,
            "names": {name: _describe(getattr(module, name)) for name in sorted(names)},
        }
    return surface


def test_public_api_matches_the_snapshot() -> None:
    """Names and signatures of the public surface are those of the snapshot.

    ``__all__`` must be equal; a class may gain a public method (an addition breaks no caller)
    but may not lose or change one. Regenerate after a deliberate change:
    ``PYTHONPATH=. python -m tests.test_architecture``.
    """
    expected = json.loads(SNAPSHOT.read_text())
    actual = json.loads(json.dumps(public_api()))
    for module_name in PUBLIC_MODULES:
        assert actual[module_name]["__all__"] == expected[module_name]["__all__"], module_name
        for name, described in expected[module_name]["names"].items():
            where = f"{module_name}.{name}"
            now = dict(actual[module_name]["names"][name])
            if "members" in described:
                members = now.pop("members")
                for member, signature in described["members"].items():
                    assert members.get(member) == signature, f"{where}.{member}"
                described = {k: v for k, v in described.items() if k != "members"}
            assert now == described, where


def test_the_snapshot_holds_no_memory_addresses() -> None:
    assert " at 0x" not in SNAPSHOT.read_text()


# -- builder methods and step classes ---------------------------------------------------------

STEP_CLASSES = sorted(
    (
        obj
        for name in automation_dsl.__all__
        if isinstance(obj := getattr(automation_dsl, name), type)
        and issubclass(obj, Step)
        and attrs.has(obj)
        and obj.__name__ != "RawStep"  # a raw body, built by Automation.raw(body)
    ),
    key=lambda cls: cls.__name__,
)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


#: Builder parameters that are not fields of the step: delay's unit keywords add up to
#: ``duration``; fetch_data takes the webhook's fields flat instead of one ``webhook``.
EXTRA_PARAMETERS = {
    "delay": ({"weeks", "days", "hours", "minutes"}, set()),
    "fetch_data": (
        {f.name for f in attrs.fields(automation_dsl.Webhook)},
        {"webhook"},
    ),
}


def test_every_step_class_has_a_builder_method() -> None:
    assert len(STEP_CLASSES) == 11
    for cls in STEP_CLASSES:
        assert callable(getattr(Automation, _snake(cls.__name__), None)), cls.__name__


@pytest.mark.parametrize("cls", STEP_CLASSES, ids=lambda cls: cls.__name__)
def test_builder_method_parameters_are_the_step_fields(cls: type) -> None:
    method_name = _snake(cls.__name__)
    parameters = inspect.signature(getattr(Automation, method_name)).parameters
    names = set(parameters) - {"self"}
    extra, replaced = EXTRA_PARAMETERS.get(method_name, (set(), set()))
    fields = {f.name for f in attrs.fields(cls)}
    assert names - extra == fields - replaced


@pytest.mark.parametrize("cls", STEP_CLASSES, ids=lambda cls: cls.__name__)
def test_a_field_the_step_requires_the_builder_requires(cls: type) -> None:
    parameters = inspect.signature(getattr(Automation, _snake(cls.__name__))).parameters
    for field in attrs.fields(cls):
        if field.name in parameters:
            field_required = field.default is attrs.NOTHING
            parameter_required = parameters[field.name].default is inspect.Parameter.empty
            assert field_required == parameter_required, field.name


# -- the docs tables of the steps -------------------------------------------------------------

DOCS_STEPS = ROOT / "docs" / "steps"


def _table_parameters(page: Path) -> list[str]:
    """The 'Python parameter' column of the page's field table."""
    rows = [line for line in page.read_text().splitlines() if line.startswith("| `")]
    return [row.split("|")[2].strip().strip("`") for row in rows]


def test_every_step_has_a_docs_page_and_every_page_a_step() -> None:
    pages = {page.stem for page in DOCS_STEPS.glob("*.md")}
    assert pages == {_snake(cls.__name__).replace("_", "-") for cls in STEP_CLASSES}


@pytest.mark.parametrize("cls", STEP_CLASSES, ids=lambda cls: cls.__name__)
def test_docs_field_table_names_exactly_the_step_fields(cls: type) -> None:
    page = DOCS_STEPS / f"{_snake(cls.__name__).replace('_', '-')}.md"
    documented = _table_parameters(page)
    assert len(documented) == len(set(documented)), documented
    assert set(documented) == {f.name for f in attrs.fields(cls)}


# -- the lazy exceptions of the import contract -----------------------------------------------


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def module_imports(path: Path) -> Iterator[tuple[str, int, str]]:
    """Each import of a package module as ``(imported module, line, where)``.

    ``where`` is ``"top"``, ``"function"`` (inside a function body, counted by the contract) or
    ``"type-checking"`` (under ``if TYPE_CHECKING:``, which never runs).
    """
    importer = _module_name(path)
    package = importer if path.name == "__init__.py" else importer.rpartition(".")[0]

    def visit(node: ast.AST, where: str) -> Iterator[tuple[str, int, str]]:
        for child in ast.iter_child_nodes(node):
            inner = where
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                inner = "function" if where == "top" else where
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                for stmt in child.body:
                    yield from visit_statement(stmt, "type-checking")
                for stmt in child.orelse:
                    yield from visit_statement(stmt, where)
                continue
            yield from visit_statement(child, inner)

    def visit_statement(node: ast.AST, where: str) -> Iterator[tuple[str, int, str]]:
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno, where
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            if node.module:
                yield base, node.lineno, where
            else:  # from . import x: x is a module
                for alias in node.names:
                    yield f"{base}.{alias.name}", node.lineno, where
        yield from visit(node, where)

    yield from visit(ast.parse(path.read_text(), str(path)), "top")


def _ignored_edges() -> set[tuple[str, str]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    edges = set()
    for contract in config["contracts"]:
        for expression in contract.get("ignore_imports", []):
            importer, _, imported = (part.strip() for part in expression.partition("->"))
            edges.add((importer, imported))
    return edges


def _matches(module: str, expression: str) -> bool:
    """import-linter's wildcards: ``*`` is one module name, ``**`` any number of them."""
    pattern = re.escape(expression).replace(r"\*\*", r"[\w.]+").replace(r"\*", r"\w+")
    return re.fullmatch(pattern, module) is not None


def test_the_contract_ignores_only_lazy_imports() -> None:
    edges = _ignored_edges()
    assert edges, "pyproject.toml lists the documented lazy exceptions"
    eager = []
    for path in sorted(PACKAGE.rglob("*.py")):
        importer = _module_name(path)
        for imported, line, where in module_imports(path):
            for importer_expression, imported_expression in edges:
                if (
                    _matches(importer, importer_expression)
                    and _matches(imported, imported_expression)
                    and where == "top"
                ):
                    eager.append(f"{importer} -> {imported} (line {line})")
    assert eager == []


def test_the_import_reader_sees_function_local_and_type_checking_imports() -> None:
    found = {(imported, where) for imported, _, where in module_imports(PACKAGE / "_automation.py")}
    assert ("automation_dsl._fields", "top") in found
    assert any(where == "function" for _, where in found)
    assert any(where == "type-checking" for _, where in found)


if __name__ == "__main__":
    SNAPSHOT.write_text(json.dumps(public_api(), indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {SNAPSHOT.relative_to(ROOT)}")


def test_the_architecture_page_places_every_module() -> None:
    """docs/architecture.md names every private module in its concept table, and in the
    layer diagram, so the map stays true as modules are added."""
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    diagram = page[page.index("```text") : page.index("```", page.index("```text") + 7)]
    table = page[page.index("## Where each concept lives") :]
    modules = sorted(path.stem for path in PACKAGE.glob("_*.py") if path.stem != "__init__")
    assert len(modules) > 40
    for name in modules:
        assert f"`{name}`" in table, f"{name} is not in the concept table"
        assert name in diagram, f"{name} is not in the layer diagram"
