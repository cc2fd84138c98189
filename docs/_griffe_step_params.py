"""A griffe extension for the API reference: full parameter tables for steps and builder methods.

A step class documents its own fields (``Args:``); the fields every step shares (``if_``,
``ref``) are documented once, and a builder method (``Automation.send``...) says "see
``Send``" instead of repeating them. In the reference that left the tables short: a
method's parameters were only in its signature. This extension completes the parameter
table of each step class and of its builder method (the class's ``_method``): every
parameter of the signature gets a row with its type and default, described as the step
class (or, for a shared field, the first step class that documents it) describes it.
Registered in mkdocs.yml after ``_griffe_attrs.py``, whose ``__init__`` it reads.
"""

from __future__ import annotations

import ast
from typing import Any

from griffe import (
    Alias,
    Class,
    DocstringParameter,
    DocstringSectionKind,
    DocstringSectionParameters,
    Extension,
    Function,
    GriffeLoader,
    Module,
    Object,
)


def _section(obj: Object) -> DocstringSectionParameters | None:
    """The parameters section of an object's docstring, if it has one."""
    if obj.docstring is None:
        return None
    for section in obj.docstring.parsed:
        if section.kind is DocstringSectionKind.parameters:
            return section  # type: ignore[return-value]
    return None


def _descriptions(obj: Object) -> dict[str, str]:
    section = _section(obj)
    return {} if section is None else {item.name: item.description for item in section.value}


def _complete(obj: Object, function: Function, descriptions: dict[str, str]) -> None:
    """Give ``obj``'s parameter table a row for each parameter of ``function``."""
    if obj.docstring is None:
        return
    section = _section(obj)
    if section is None:
        section = DocstringSectionParameters([])
        sections = obj.docstring.parsed
        at = next(
            (i for i, s in enumerate(sections) if s.kind is not DocstringSectionKind.text),
            len(sections),
        )
        sections.insert(at, section)
    documented = {item.name for item in section.value}
    for parameter in function.parameters:
        if parameter.name in documented or parameter.name in {"self", "cls"}:
            continue
        section.value.append(
            DocstringParameter(
                parameter.name,
                description=descriptions.get(parameter.name, ""),
                annotation=parameter.annotation,
                value=parameter.default,
            )
        )


def _method_name(cls: Class) -> str | None:
    """The builder method of a step class: the string its ``_method`` class variable holds."""
    member = cls.members.get("_method")
    value: Any = getattr(member, "value", None)
    try:
        name = ast.literal_eval(str(value))
    except (ValueError, SyntaxError):
        return None
    return name if isinstance(name, str) else None


def _classes(module: Module) -> list[Class]:
    found: list[Class] = []
    for member in module.members.values():
        if isinstance(member, Alias):
            continue
        if isinstance(member, Class):
            found.append(member)
        elif isinstance(member, Module):
            found.extend(_classes(member))
    return found


class StepParameters(Extension):
    """Complete the parameter tables of step classes and of the builder methods that make them."""

    def on_package(self, *, pkg: Module, loader: GriffeLoader, **kwargs: Any) -> None:
        steps = {name: cls for cls in _classes(pkg) if (name := _method_name(cls))}
        if not steps:
            return
        shared: dict[str, str] = {}
        for cls in steps.values():
            for name, description in _descriptions(cls).items():
                shared.setdefault(name, description)
        builder = next((c for c in _classes(pkg) if c.name == "StepMethods"), None)
        for method_name, cls in steps.items():
            own = {**shared, **_descriptions(cls)}
            init = cls.members.get("__init__")
            if isinstance(init, Function):
                _complete(cls, init, own)
            method = builder.members.get(method_name) if builder is not None else None
            if isinstance(method, Function):
                _complete(method, method, own)
