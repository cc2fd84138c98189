"""Type hints to JSON Schema, and instances to JSON: the typed sources of a payload schema.

``schema_of`` reads an attrs class, a dataclass or a ``TypedDict`` and writes the JSON
Schema of its JSON form: ``str``, ``int``, ``float``, ``bool``, ``None``, ``Any``,
``Literal[...]``, ``Enum`` (str or int values), ``list[X]``/``Sequence[X]``/
``tuple[X, ...]``, ``dict[str, X]``/``Mapping[str, X]``, ``X | Y``/``Optional[X]``
(``anyOf``), ``datetime``/``date`` (strings, ``format`` noted) and nested classes (in
``$defs``, recursion included). A class is an object with ``additionalProperties: false``;
a field without a default (a ``TypedDict`` key that is required) is ``required``. Any other
hint is an error naming the class and the field.

``to_json`` writes an instance of such a class as JSON, recursively (as
``attrs.asdict``/``dataclasses.asdict`` do), enums as their values and aware datetimes as
ISO 8601.

Examples:
    >>> import attrs
    >>> @attrs.define
    ... class Item:
    ...     sku: str
    ...     qty: int = 1
    >>> schema_of(Item, "Automation", "data_schema")["$defs"]["Item"]["required"]
    ['sku']
    >>> to_json(Item("A-1"), "Automation", "data")
    {'sku': 'A-1', 'qty': 1}
"""

from __future__ import annotations

import collections.abc
import dataclasses
import re
import types
import typing
from datetime import date, datetime
from enum import Enum
from typing import Any

import attrs

from ._errors import MISSING, ValidationError, ValidationTypeError
from ._jsonschema import key_path

__all__: list[str] = []  # private: see PayloadSchema

_SCALARS: dict[Any, dict[str, Any]] = {
    str: {"type": "string"},
    int: {"type": "integer"},
    float: {"type": "number"},
    bool: {"type": "boolean"},
    type(None): {"type": "null"},
    None: {"type": "null"},
    datetime: {"type": "string", "format": "date-time"},
    date: {"type": "string", "format": "date"},
    Any: {},
}
_SEQUENCES = (list, tuple, collections.abc.Sequence, collections.abc.MutableSequence)
_MAPPINGS = (dict, collections.abc.Mapping, collections.abc.MutableMapping)
_SUPPORTED = (
    "str, int, float, bool, None, Any, Literal[...], an Enum, list[X], Sequence[X], "
    "tuple[X, ...], dict[str, X], Mapping[str, X], X | Y, datetime, date, or an attrs "
    "class, dataclass or TypedDict"
)
_MAX_DEPTH = 64


def is_typed_class(value: Any) -> bool:
    """Whether ``value`` is an attrs class, a dataclass or a ``TypedDict``."""
    return isinstance(value, type) and (
        attrs.has(value) or dataclasses.is_dataclass(value) or typing.is_typeddict(value)
    )


def _fields(cls: type) -> tuple[dict[str, Any], set[str]]:
    """The resolved type hint of each field, by its JSON name, and the required ones."""
    try:
        hints = typing.get_type_hints(cls, include_extras=True)
    except Exception as error:  # a name the hints use is not importable where they are read
        raise ValidationError(
            cls.__qualname__,
            "annotations",
            "type hints that resolve (every name they use importable from the class's module)",
            error,
        ) from None
    if typing.is_typeddict(cls):
        required = set(cls.__required_keys__)  # type: ignore[attr-defined]
        for name, hint in hints.items():  # under postponed annotations 3.11 misreads these
            origin = typing.get_origin(hint)
            if origin is typing.Required:
                required.add(name)
            elif origin is typing.NotRequired:
                required.discard(name)
        return {name: hints[name] for name in hints}, required
    if attrs.has(cls):
        fields = [(a.name, a.default is attrs.NOTHING) for a in attrs.fields(cls)]
    else:
        fields = [
            (f.name, f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING)
            for f in dataclasses.fields(cls)
        ]
    return {name: hints.get(name, Any) for name, _ in fields}, {
        name for name, needed in fields if needed
    }


def _def_name(name: str) -> str:
    """``name`` as a ``$defs`` name a ``$ref`` can spell (no ``/`` or ``~``)."""
    return re.sub(r"[^A-Za-z0-9_.]", "_", name) or "_"


class _Deriver:
    """Writes the schema of one class, collecting nested classes in ``defs``."""

    def __init__(self, owner: str, field: str) -> None:
        self.owner = owner
        self.field = field
        self.defs: dict[str, Any] = {}
        self.names: dict[int, str] = {}  # by id: a class's own __eq__/__hash__ may raise

    def name_of(self, cls: type, depth: int = 0) -> str:
        name = self.names.get(id(cls))
        if name is not None:
            return name
        name = _def_name(cls.__name__)
        if name in self.defs:  # two classes of one name: the longer name tells them apart
            name = base = _def_name(f"{cls.__module__}.{cls.__qualname__}")
            count = 1
            while name in self.defs:  # made by one function twice: a number does
                count += 1
                name = f"{base}_{count}"
        self.names[id(cls)] = name
        self.defs[name] = {}  # reserved first: a recursive class refers to itself
        fields, required = _fields(cls)
        properties = {
            key: self.hint(hint, f"{cls.__qualname__}.{key}", depth + 1)
            for key, hint in fields.items()
        }
        schema: dict[str, Any] = {"title": cls.__name__, "type": "object"}
        schema["properties"] = properties
        if required:
            schema["required"] = [key for key in fields if key in required]
        schema["additionalProperties"] = False
        self.defs[name] = schema
        return name

    def unsupported(self, where: str, hint: Any, why: str = "") -> ValidationError:
        expected = f"a supported type hint ({_SUPPORTED})"
        hint_text = f"{where}: {why}" if why else f"the field {where}"
        return ValidationTypeError(self.owner, self.field, expected, hint, hint=hint_text)

    def hint(self, hint: Any, where: str, depth: int) -> Any:
        if depth > _MAX_DEPTH:
            raise self.unsupported(where, hint, f"nested more than {_MAX_DEPTH} deep")
        origin = typing.get_origin(hint)
        args = typing.get_args(hint)
        if origin is typing.Annotated or origin in (typing.Required, typing.NotRequired):
            return self.hint(args[0], where, depth + 1)
        for known, scalar in _SCALARS.items():  # by identity: a hint's __eq__ may raise
            if hint is known:
                return dict(scalar)
        if origin is typing.Literal:
            values = [v.value if isinstance(v, Enum) else v for v in args]
            if any(not (v is None or v.__class__ in (str, int, bool)) for v in values):
                raise self.unsupported(
                    where, hint, "Literal values must be str, int, bool or None (an Enum's too)"
                )
            return {"enum": values}
        if origin is typing.Union or origin is types.UnionType:
            return {"anyOf": [self.hint(arg, where, depth + 1) for arg in args]}
        if isinstance(hint, type) and issubclass(hint, Enum):
            values = [member.value for member in hint]
            if any(v.__class__ not in (str, int) for v in values):
                raise self.unsupported(where, hint, "an Enum's values must be str or int")
            return {"enum": values}
        if origin in _SEQUENCES:
            if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
                raise self.unsupported(where, hint, "a tuple must be tuple[X, ...]")
            if origin is not tuple and len(args) > 1:
                raise self.unsupported(where, hint, "a sequence must be list[X] (one argument)")
            item = args[0] if args else Any
            return {"type": "array", "items": self.hint(item, where + "[]", depth + 1)}
        if origin in _MAPPINGS:
            if len(args) not in (0, 2):
                raise self.unsupported(where, hint, "a mapping must be dict[str, X]")
            key, value = args if args else (str, Any)
            if key is not str:
                raise self.unsupported(where, hint, "a mapping's keys must be str (JSON's keys)")
            return {"type": "object", "additionalProperties": self.hint(value, where, depth + 1)}
        if any(hint is kind for kind in _SEQUENCES):
            return {"type": "array"}
        if any(hint is kind for kind in _MAPPINGS):
            return {"type": "object"}
        if is_typed_class(hint):
            return {"$ref": f"#/$defs/{self.name_of(hint, depth)}"}
        raise self.unsupported(where, hint)


def schema_of(cls: type, owner: str, field: str) -> dict[str, Any]:
    """The JSON Schema of ``cls`` (an attrs class, dataclass or ``TypedDict``): a ``$ref``
    to its entry in ``$defs``, beside every class it nests."""
    deriver = _Deriver(owner, field)
    name = deriver.name_of(cls)
    return {"$ref": f"#/$defs/{name}", "$defs": deriver.defs}


# -- instances to JSON --------------------------------------------------------------------


Where = str | tuple[Any, Any]
"""A path in ``to_json``: its root, or (parent path, key or index), written only for an error."""


def _path(where: Where) -> str:
    """``where`` written as the schema checks write paths: ``data.items[2]['plan-id']``."""
    steps: list[Any] = []
    while isinstance(where, tuple):
        where, step = where
        steps.append(step)
    for step in reversed(steps):
        if step.__class__ is int:
            where = f"{where}[{step}]"
        else:
            where = key_path(where, step) if isinstance(step, str) else f"{where}[{step!r}]"
    return where


def to_json(value: Any, owner: str, field: str, where: Where | None = None, depth: int = 0) -> Any:
    """``value`` as JSON: attrs and dataclass instances as objects (every field by name),
    enums as their values, aware datetimes and dates as ISO 8601, tuples as lists; JSON
    values as they are. An error's path starts at ``field`` (``data.items[2].placed``)."""
    where = field if where is None else where
    if depth > _MAX_DEPTH:
        raise ValidationError(
            owner, field, f"a value nested at most {_MAX_DEPTH} deep", "deeper", path=_path(where)
        )
    kind = value.__class__
    if kind in (str, int, float, bool) or value is None:
        return value
    if attrs.has(kind) or (dataclasses.is_dataclass(value) and not isinstance(value, type)):
        names = (
            [a.name for a in attrs.fields(kind)]
            if attrs.has(kind)
            else [f.name for f in dataclasses.fields(value)]
        )
        out = {}
        for name in names:
            inner = (where, name)
            try:
                item = getattr(value, name)
            except AttributeError:  # a field without a default that __init__ does not set
                raise ValidationError(
                    owner, name, "a value (the field is unset)", MISSING, path=_path(inner)
                ) from None
            out[name] = to_json(item, owner, field, inner, depth + 1)
        return out
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        if value.utcoffset() is None:
            raise ValidationError(
                owner,
                field,
                "a timezone-aware datetime (a naive one names no instant)",
                value,
                path=_path(where),
            )
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, collections.abc.Mapping):
        return {
            key: to_json(item, owner, field, (where, key), depth + 1) for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [
            to_json(item, owner, field, (where, index), depth + 1)
            for index, item in enumerate(value)
        ]
    return value  # not JSON: the run context's own check names it
