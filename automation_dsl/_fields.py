"""Field definitions shared by the step classes: validators and converters with clear errors.

Each factory returns an ``attrs.field`` whose errors name the owner (``type(instance).OWNER``,
for example ``"send step"``), the field as Courier spells it, what was expected and what
was given.

Example:
    >>> import attrs
    >>> @attrs.frozen
    ... class Thing:
    ...     OWNER = "thing"
    ...     name: str = text()
    >>> Thing("")
    Traceback (most recent call last):
    ...
    automation_dsl._errors.ValidationError: thing: 'name' expected a non-empty string, got '' (str)
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from enum import Enum
from typing import Any, TypeVar

import attrs

from ._errors import ValidationError, ValidationTypeError
from ._json import FrozenDict, freeze, thaw
from ._ref import Ref

WIRE = "wire"
"""Metadata key holding a field's JSON name where it differs from the Python name."""
ENCODE = "encode"
"""Metadata key holding the function that turns a field's value into JSON."""

E = TypeVar("E", bound=Enum)


def wire_name(field: attrs.Attribute[Any]) -> str:
    """Return the JSON name of an attrs field (``if_`` is ``if``)."""
    return str(field.metadata.get(WIRE, field.name))


def _owner(instance: Any) -> str:
    return str(type(instance).OWNER)


def _field_kwargs(
    required: bool, wire: str | None = None, encode: Callable[[Any], Any] | None = None
) -> dict[str, Any]:
    metadata: dict[str, Any] = {}
    if wire:
        metadata[WIRE] = wire
    if encode:
        metadata[ENCODE] = encode
    kwargs: dict[str, Any] = {"metadata": metadata}
    if not required:
        kwargs["default"] = None
    return kwargs


def encode_text(value: Any) -> Any:
    return value if value.__class__ is str else value.to_wire()


def _encode_enum(value: Enum) -> Any:
    return value.value


def _to_wire(value: Any) -> Any:
    return value.to_wire()


def _ref_mapping(value: Any) -> bool:
    return isinstance(value, Mapping) and len(value) == 1 and isinstance(value.get("$ref"), str)


def text(*, required: bool = True, ref: bool = False, wire: str | None = None) -> Any:
    """A non-empty string field; ``ref=True`` also accepts a :class:`Ref` (or ``{"$ref": ...}``)."""
    expected = "a non-empty string" + (" or a Ref" if ref else "")

    def convert(value: Any) -> Any:
        return Ref(value["$ref"]) if _ref_mapping(value) else value

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value.__class__ is str and value:
            return
        if value is None and not required:
            return
        if ref and isinstance(value, Ref):
            return
        error = ValidationError if isinstance(value, str) else ValidationTypeError
        raise error(_owner(instance), wire_name(attribute), expected, value)

    return attrs.field(
        validator=check,
        converter=convert if ref else None,
        **_field_kwargs(required, wire, encode_text if ref else None),
    )


def name(*, wire: str | None = None) -> Any:
    """An optional identifier (a step ``ref``): a non-empty string without spaces or dots."""

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None:
            return
        if not isinstance(value, str):
            raise ValidationTypeError(_owner(instance), wire_name(attribute), "a string", value)
        if not value or "." in value or any(ch.isspace() for ch in value):
            raise ValidationError(
                _owner(instance),
                wire_name(attribute),
                "a name without spaces or dots, such as 'welcome'",
                value,
            )

    return attrs.field(default=None, validator=check, **_field_kwargs(True, wire))


def json_object(*, required: bool = False, ref: bool = True) -> Any:
    """A free-form JSON object (``data``, ``profile`` ...), stored frozen."""
    expected = "a mapping" + (" or a Ref" if ref else "")

    def convert(value: Any, instance: Any, field: attrs.Attribute[Any]) -> Any:
        if value is None:
            return None
        if isinstance(value, Mapping):
            frozen = freeze(value, _owner(instance), wire_name(field))
            if isinstance(frozen, FrozenDict) or (ref and isinstance(frozen, Ref)):
                return frozen
        elif ref and isinstance(value, Ref):
            return value
        raise ValidationTypeError(_owner(instance), wire_name(field), expected, value)

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None and required:
            raise ValidationTypeError(_owner(instance), wire_name(attribute), expected, value)

    converter = takes_self(convert)
    return attrs.field(converter=converter, validator=check, **_field_kwargs(required, None, thaw))


def json_body() -> Any:
    """A webhook body: a string, or a mapping that is JSON-encoded compactly."""

    def convert(value: Any, instance: Any, field: attrs.Attribute[Any]) -> Any:
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, Mapping):
            freeze(value, _owner(instance), wire_name(field))  # refuses what JSON cannot hold
            return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        raise ValidationTypeError(
            _owner(instance), wire_name(field), "a string, or a dict to JSON-encode", value
        )

    converter = takes_self(convert)
    return attrs.field(default=None, converter=converter)


def choice(enum: type[E], *, required: bool = False, default: E | None = None) -> Any:
    """A field holding one member of ``enum``; its string values are accepted too."""
    expected = "one of " + ", ".join(repr(member.value) for member in enum)

    def convert(value: Any, instance: Any, field: attrs.Attribute[Any]) -> Any:
        if value is None and not required:
            return None
        try:
            return enum(value)
        except ValueError:
            error = ValidationError if isinstance(value, str) else ValidationTypeError
            raise error(_owner(instance), wire_name(field), expected, value) from None

    kwargs = _field_kwargs(True, None, _encode_enum)
    if default is not None or not required:
        kwargs["default"] = default
    return attrs.field(converter=takes_self(convert), **kwargs)


def integer(*, required: bool = True, minimum: int = 1, maximum: int | None = None) -> Any:
    """An integer field within ``[minimum, maximum]`` (``bool`` is refused)."""
    expected = f"an integer >= {minimum}" + (f" and <= {maximum}" if maximum is not None else "")

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None and not required:
            return
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValidationTypeError(_owner(instance), wire_name(attribute), expected, value)
        if value < minimum or (maximum is not None and value > maximum):
            raise ValidationError(_owner(instance), wire_name(attribute), expected, value)

    return attrs.field(validator=check, **_field_kwargs(required))


def boolean() -> Any:
    """An optional ``bool`` field."""

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is not None and not isinstance(value, bool):
            raise ValidationTypeError(_owner(instance), wire_name(attribute), "a bool", value)

    return attrs.field(default=None, validator=check)


def epoch_or_iso() -> Any:
    """An idempotency expiry: epoch seconds (int), an ISO 8601 string, or an aware datetime."""
    expected = "epoch seconds (int), an ISO 8601 string or an aware datetime"

    def convert(value: Any, instance: Any, field: attrs.Attribute[Any]) -> Any:
        if value is None or (isinstance(value, str) and value):
            return value
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
        if isinstance(value, datetime) and value.utcoffset() is not None:
            return int(value.timestamp())
        error = ValidationError if isinstance(value, datetime | int | str) else ValidationTypeError
        hint = "attach a tzinfo" if isinstance(value, datetime) else None
        raise error(_owner(instance), wire_name(field), expected, value, hint=hint)

    converter = takes_self(convert)
    return attrs.field(default=None, converter=converter)


def takes_self(convert: Callable[[Any, Any, attrs.Attribute[Any]], Any]) -> Any:
    """Wrap ``convert(value, instance, field)`` as an attrs converter."""
    return attrs.Converter(convert, takes_self=True, takes_field=True)


def nested(kind: Any, expected: str, *, required: bool = True, ref: bool = False) -> Any:
    """A field holding a nested object (``Webhook``, ``Retain`` ...); a mapping is parsed.

    ``kind`` must have a ``from_wire(mapping)`` class method and a ``to_wire()`` method.
    """
    if ref:
        expected += " or a Ref"

    def convert(value: Any, instance: Any, field: attrs.Attribute[Any]) -> Any:
        if value is None and not required:
            return None
        if isinstance(value, kind) or (ref and isinstance(value, Ref)):
            return value
        if ref and _ref_mapping(value):
            return Ref(value["$ref"])
        if isinstance(value, Mapping):
            try:
                return kind.from_wire(value)
            except ValidationError as error:
                raise error.at(wire_name(field)) from None
        raise ValidationTypeError(_owner(instance), wire_name(field), expected, value)

    return attrs.field(converter=takes_self(convert), **_field_kwargs(required, None, _to_wire))


def converted(
    convert: Callable[[Any, Any, attrs.Attribute[Any]], Any],
    *,
    required: bool = True,
    encode: Callable[[Any], Any] | None = None,
) -> Any:
    """A field normalized by ``convert(value, instance, field)``, optionally encoded for JSON."""
    return attrs.field(converter=takes_self(convert), **_field_kwargs(required, None, encode))


def encoder(field: attrs.Attribute[Any]) -> Callable[[Any], Any] | None:
    """Return the function that writes a field's value as JSON, or ``None`` if it is JSON."""
    return field.metadata.get(ENCODE)
