"""A griffe extension for the API reference: the ``__init__`` that attrs generates.

The library's attrs classes (the steps, ``Automation``, ``RetryPolicy``...) have no
``__init__`` in their source: attrs writes it at import time, and most defaults come
from field helpers (``f.text(required=False)``), so griffe's static reading sees no
parameters. Without them the reference listed every documented argument as
"required", with no type.

This extension gives each attrs class the ``__init__`` attrs makes, from the runtime
fields (order, keyword-only, default) and the static annotations of the source (so
types render as written, with cross references). It imports the package, which the
doctests and the docs build do anyway. Registered in mkdocs.yml.
"""

from __future__ import annotations

import importlib
from enum import Enum
from typing import Any

import attrs
from griffe import (
    Class,
    Extension,
    Function,
    GriffeLoader,
    Module,
    Parameter,
    ParameterKind,
    Parameters,
)


def _runtime(cls: Class) -> Any:
    """The runtime object at a griffe class's path (None if a name on the way is missing)."""
    module = importlib.import_module(cls.module.path)
    value: Any = module
    for name in cls.path[len(cls.module.path) + 1 :].split("."):
        value = getattr(value, name, None)
    return value


def _default(field: attrs.Attribute[Any]) -> str | None:
    """A field's default as the reference shows it (None if the argument is required)."""
    default = field.default
    if default is attrs.NOTHING:
        return None
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]  # a class at runtime
        factory: Any = getattr(default, "factory", None)
        return f"{getattr(factory, '__name__', repr(factory))}()"
    if isinstance(default, Enum):
        return f"{type(default).__name__}.{default.name}"
    return repr(default)


def _annotation(cls: Class, name: str) -> Any:
    """The source annotation of field ``name``, from the first class of the MRO that has one."""
    for klass in [cls, *cls.mro()]:
        member = klass.members.get(name)
        if member is None or member.is_alias:
            continue
        annotation = getattr(member, "annotation", None)
        if annotation is not None:
            return annotation
    return None


def _init(cls: Class, runtime: type) -> Function:
    """The ``__init__`` attrs generated for ``runtime``, as a griffe function."""
    parameters = [Parameter("self", kind=ParameterKind.positional_or_keyword)]
    for field in attrs.fields(runtime):
        if not field.init:
            continue
        kind = ParameterKind.keyword_only if field.kw_only else ParameterKind.positional_or_keyword
        parameters.append(
            Parameter(
                field.alias or field.name,
                annotation=_annotation(cls, field.name),
                kind=kind,
                default=_default(field),
            )
        )
    return Function(
        "__init__",
        lineno=cls.lineno,
        endlineno=cls.lineno,
        parent=cls,
        parameters=Parameters(*parameters),
    )


def _classes(module: Module | Class) -> list[Class]:
    """Every class defined in ``module`` and its submodules (not the imported ones)."""
    found: list[Class] = []
    for member in module.members.values():
        if member.is_alias:
            continue
        if isinstance(member, Class):
            found.append(member)
            found.extend(_classes(member))
        elif isinstance(member, Module):
            found.extend(_classes(member))
    return found


class AttrsInit(Extension):
    """Add the attrs-generated ``__init__`` to every attrs class of a loaded package."""

    def on_package(self, *, pkg: Module, loader: GriffeLoader, **kwargs: Any) -> None:
        for cls in _classes(pkg):
            if "__init__" in cls.members:
                continue  # written by hand: griffe reads it
            try:
                runtime = _runtime(cls)
            except ImportError:
                continue
            if isinstance(runtime, type) and attrs.has(runtime):
                cls.set_member("__init__", _init(cls, runtime))
