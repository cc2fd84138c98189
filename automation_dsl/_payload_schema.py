"""``PayloadSchema``: the declared shape of a run's ``data`` (or ``profile``).

Made from an attrs class, a dataclass, a ``TypedDict`` (see ``_hints``) or a JSON
Schema mapping in the supported subset (see ``_jsonschema``), it checks values with
paths (``data.items[2].sku``), writes instances of its class as JSON, and answers what a
path reaches (the build-time checks of ``_schema_check``).

Examples:
    >>> from typing import TypedDict
    >>> class Order(TypedDict):
    ...     total: float
    >>> schema = PayloadSchema(Order)
    >>> [error.path for error in schema.errors({"total": "10"})]
    ['data.total']
"""

from __future__ import annotations

import copy
import json
import typing
from collections.abc import Mapping
from typing import Any, TypeAlias

import attrs

from ._errors import ValidationError, ValidationTypeError, _short
from ._hints import is_typed_class, schema_of, to_json
from ._jsonschema import MAX_ERRORS, CompiledSchema, compile_schema

__all__ = ["PayloadSchema"]

SchemaSource: TypeAlias = type | Mapping[str, Any]
"""What a payload schema is made from: an attrs class, a dataclass, a ``TypedDict`` or a
JSON Schema mapping."""

_EXPECTED = "an attrs class, a dataclass, a TypedDict, a JSON Schema mapping or a PayloadSchema"


def _compiled(source: Any, owner: str, field: str) -> CompiledSchema:
    if is_typed_class(source):
        return compile_schema(schema_of(source, owner, field), owner, field)
    if isinstance(source, Mapping):
        return compile_schema(source, owner, field)
    raise ValidationTypeError(owner, field, _EXPECTED, source)


def _field_of(path: str, root: str) -> str:
    """The last name of a path (``sku`` of ``data.items[2].sku``), for an error's field."""
    last = path.rpartition(".")[2].partition("[")[0]
    return last or root


@attrs.frozen(slots=True, eq=False, repr=False, init=False)
class PayloadSchema:
    """The JSON Schema a run's ``data`` (or ``profile``) must satisfy.

    Args:
        source: an attrs class, a dataclass, a ``TypedDict``, or a JSON Schema (draft
            2020-12) mapping in the subset of docs/payload-schemas.md. A keyword outside
            the subset, or a type hint with no JSON form, is a
            [`ValidationError`][automation_dsl.ValidationError] that names it.

    Two schemas are equal when their JSON Schemas are. ``Automation(data_schema=...)``
    takes the same sources and makes this for you.

    Examples:
        >>> schema = PayloadSchema({"type": "object", "properties": {"sku": {"type": "string"}},
        ...                         "required": ["sku"]})
        >>> schema.check({"sku": 42}, owner="to_payload")
        Traceback (most recent call last):
        ...
        automation_dsl.ValidationError: data.sku: to_payload: 'sku' expected a string, got 42 (int)
    """

    source: Any
    _compiled: CompiledSchema
    _key: str

    def __init__(self, source: Any, *, owner: str = "PayloadSchema", field: str = "source") -> None:
        if isinstance(source, PayloadSchema):
            source = source.source
        compiled = _compiled(source, owner, field)
        if not is_typed_class(source):
            source = compiled.schema  # a plain copy: the caller's mapping may change
        self.__attrs_init__(  # pyright: ignore[reportAttributeAccessIssue]
            source, compiled, json.dumps(compiled.schema, sort_keys=True, ensure_ascii=False)
        )

    @classmethod
    def of(cls, value: Any, owner: str, field: str) -> PayloadSchema | None:
        """``value`` as a schema (``None`` stays), errors naming ``owner`` and ``field``."""
        if value is None or isinstance(value, PayloadSchema):
            return value
        return cls(value, owner=owner, field=field)

    @property
    def schema(self) -> dict[str, Any]:
        """The JSON Schema (draft 2020-12), a fresh copy."""
        return copy.deepcopy(self._compiled.schema)

    @property
    def compiled(self) -> CompiledSchema:
        """The checked, compiled schema."""
        return self._compiled

    @property
    def cls(self) -> type | None:
        """The class it was made from, if any."""
        return self.source if isinstance(self.source, type) else None

    def to_json(self, value: Any, owner: str = "PayloadSchema", field: str = "data") -> Any:
        """``value`` as JSON: an instance of ``cls`` is written field by field (as
        ``attrs.asdict`` does, enums as values, aware datetimes as ISO 8601); a mapping
        is kept as it is.

        Examples:
            >>> import dataclasses
            >>> @dataclasses.dataclass
            ... class Order:
            ...     id: str
            >>> PayloadSchema(Order).to_json(Order("o-1"))
            {'id': 'o-1'}
        """
        cls = self.cls
        if cls is not None and typing.is_typeddict(cls):
            cls = None  # its instances are plain mappings (and isinstance refuses it)
        if cls is not None and not isinstance(value, Mapping) and isinstance(value, cls):
            return to_json(value, owner, field)
        if value is not None and not isinstance(value, Mapping):
            named = f"a mapping or a {cls.__qualname__} instance" if cls else "a mapping"
            raise ValidationTypeError(owner, field, named, value, path=field)
        return value

    def errors(
        self, value: Any, *, root: str = "data", owner: str = "PayloadSchema"
    ) -> list[ValidationError]:
        """Every problem of ``value`` (at most 20), each a
        [`ValidationError`][automation_dsl.ValidationError] whose ``path`` starts at ``root``."""
        return [
            ValidationError(owner, _field_of(path, root), expected, got, path=path)
            for path, expected, got in self._compiled.errors(value, root)
        ]

    def check(self, value: Any, *, root: str = "data", owner: str = "PayloadSchema") -> Any:
        """Return ``value`` as JSON (see ``to_json``) if it satisfies the schema, else
        raise the first problem; its hint counts and names the others."""
        value = self.to_json(value, owner, root)
        problems = self.errors({} if value is None else value, root=root, owner=owner)
        if problems:
            first = problems[0]
            if len(problems) > 1:
                more = f"{len(problems) - 1}{'+' if len(problems) >= MAX_ERRORS else ''}"
                shown = ", ".join(str(p.path) for p in problems[1:4])
                hint = f"and {more} more: {shown}" + (" ..." if len(problems) > 4 else "")
                first = ValidationError(
                    owner, first.field, first.expected, first.got, hint=hint, path=first.path
                )
            raise first
        return value

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PayloadSchema):
            return NotImplemented
        return self._key == other._key

    def __hash__(self) -> int:
        return hash(self._key)

    def __repr__(self) -> str:
        cls = self.cls
        return f"PayloadSchema({cls.__qualname__ if cls else _short.repr(self.source)})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (PayloadSchema, (self.source,))
