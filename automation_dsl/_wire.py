"""``WireObject``: the base of every object written to Courier's JSON and read back.

A subclass is a frozen, slotted attrs class whose fields come from `automation_dsl._fields`.
From those fields this base derives, once per class:

* the field table: Python name, JSON name and encoder of each field, in JSON order
  (own fields first, then ``if`` and ``ref``), and the required fields;
* ``to_wire``: the JSON object with unset fields omitted, compiled on first use
  (`automation_dsl._compile.compile_wire_items`);
* ``from_wire``: the constructor arguments of a JSON object, refusing unknown keys and
  naming missing required ones;
* pickling: a step pickles as a call of its public class with plain values;
* ``repr``: the set fields only, values shown as their builder arguments
  (`show`), which `call_repr` also uses for a step's builder call.

Examples:
    >>> from automation_dsl import Webhook
    >>> Webhook.from_wire({"url": "https://x.test", "method": "POST"})
    Webhook(url='https://x.test', method='POST')
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import StrEnum
from functools import partial
from typing import Any, ClassVar, TypeVar, cast

import attrs

from ._bounded import LIMIT, bounded_repr, cut_text
from ._compile import compile_wire_items, wire_plan
from ._errors import MISSING, ValidationError, ValidationTypeError
from ._fields import LOCAL, wire_name
from ._json import FrozenDict, thaw
from ._time import UntilFormat

__all__: list[str] = []  # private to the package: see WireObject

Plan = tuple[tuple[str, str, Callable[[Any], Any] | None], ...]
"""(Python name, JSON name, encoder) of each field, in JSON order."""

F = TypeVar("F", bound=Callable[..., Any])
_PLAIN_TO_WIRE: set[Callable[..., Any]] = set()


def plain_to_wire(method: F) -> F:
    """Mark a ``to_wire`` that only returns ``self._wire_items(...)``: a class that does
    not override it gets the compiled function as its ``to_wire`` (one call less)."""
    _PLAIN_TO_WIRE.add(method)
    return method


class WireObject:
    """Mixin: JSON serialization and parsing driven by the attrs fields of the class."""

    __slots__ = ()
    OWNER: ClassVar[str]
    """How errors name the object (``"send step"``, ``"webhook"``)."""
    _new: ClassVar[Callable[..., Any]]  # the compiled constructor (see _compile.fast_init)
    _plan: ClassVar[Plan]
    _by_wire: ClassVar[dict[str, str]]
    _required: ClassVar[tuple[tuple[str, str], ...]]  # (Python name, JSON name)
    _local: ClassVar[tuple[str, ...]]  # fields never on the wire (after the others in reprs)

    @classmethod
    def _wire_fields(cls) -> Plan:
        # Computed on first use: attrs replaces the class after its body has run.
        plan = cls.__dict__.get("_plan")
        if plan is None:
            plan = wire_plan(cls)
            cls._plan = plan
            cls._by_wire = {wire: name for name, wire, _ in plan}
            fields = attrs.fields(cast("type[attrs.AttrsInstance]", cls))
            cls._required = tuple(
                (a.name, wire_name(a)) for a in fields if a.default is attrs.NOTHING
            )
            cls._local = tuple(a.name for a in fields if a.metadata.get(LOCAL))
        return plan

    @plain_to_wire
    def to_wire(self) -> dict[str, Any]:
        """Return the JSON object Courier reads, unset fields omitted."""
        return self._wire_items()

    def _set_fields(self) -> dict[str, Any]:
        """The fields that are set, by Python name, in JSON order (then the local ones)."""
        names = [name for name, _, _ in self._wire_fields()] + list(self._local)
        return {name: getattr(self, name) for name in names if getattr(self, name) is not None}

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={show(v)}" for k, v in self._set_fields().items())
        return f"{type(self).__name__}({fields})"

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt through the public class and its converters, from plain values: the
        # pickle names ``automation_dsl.<Class>`` and no private helper or module.
        kwargs = {
            name: thaw(value) if value.__class__ in (FrozenDict, tuple) else value
            for name, value in self._set_fields().items()
        }
        return (partial(type(self), **kwargs), ())

    def _wire_items(self, until_format: UntilFormat | None = None) -> dict[str, Any]:
        """The JSON object of the set fields (and ``action`` for steps), ``until`` in
        ``until_format``.

        The first call compiles a function for the class, with one line per field, and
        installs it as the class's ``_wire_items``: serialization is a hot path. That
        call answers exactly as the compiled function does on every later call.
        """
        cls = type(self)
        compiled = compile_wire_items(cls, self._wire_fields())
        cls._wire_items = compiled  # type: ignore[method-assign]
        if cls.to_wire in _PLAIN_TO_WIRE:  # not overridden: skip a call
            cls.to_wire = compiled  # type: ignore[method-assign]
        return compiled(self, until_format)

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> Any:
        """Parse this object from its JSON form, refusing unknown keys."""
        return cls(**cls._kwargs_from_wire(data))

    @classmethod
    def _kwargs_from_wire(
        cls, data: Mapping[str, Any], skip: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        """Map JSON keys to constructor arguments, refusing keys the class does not know."""
        if not isinstance(data, Mapping):
            raise ValidationTypeError(cls.OWNER, "", "a JSON object", data)
        cls._wire_fields()
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            if key in skip:
                continue
            name = cls._by_wire.get(key)
            if name is None:
                known = ", ".join(repr(k) for k in cls._by_wire)
                raise ValidationError(
                    cls.OWNER, key, f"a known field ({known})", value, hint="unknown field"
                )
            kwargs[name] = value
        for name, wire in cls._required:
            if name not in kwargs:
                raise ValidationError(cls.OWNER, wire, "a value (required field)", MISSING)
        return kwargs


def show(value: Any) -> str:
    """A field value as a builder argument: conditions as their string, plain containers,
    bounded in size (`automation_dsl._bounded`): a large value is cut, saying how much.

    Examples:
        >>> from automation_dsl import MergeStrategy
        >>> show(MergeStrategy.REPLACE), show(FrozenDict({"a": (1,)}))
        ("'replace'", "{'a': [1]}")
    """
    if hasattr(value, "to_js"):  # a typed condition: shown as the string it equals
        return repr(value.to_js())
    if isinstance(value, StrEnum):
        return repr(value.value)
    if isinstance(value, FrozenDict | tuple | str):
        return bounded_repr(value)
    return cut_text(repr(value), LIMIT)


def call_repr(method: str, positional: tuple[str, ...], kwargs: dict[str, Any]) -> str:
    """The builder call ``.method(a, key=value)``; ``positional`` names are written first,
    bare, when set.

    Examples:
        >>> call_repr("send", ("template",), {"template": "A", "recipient": "u"})
        ".send('A', recipient='u')"
    """
    args = [show(kwargs.pop(name)) for name in positional if name in kwargs]
    args += [f"{key}={show(value)}" for key, value in kwargs.items()]
    return f".{method}({', '.join(args)})"
