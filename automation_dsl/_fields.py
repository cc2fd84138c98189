"""Field definitions shared by the step classes: converters with clear errors.

Each factory returns an ``attrs.field`` with one converter, ``convert(value, instance,
field)``, that returns the normalized value or raises an error naming the owner
(``type(instance).OWNER``, for example ``"send step"``), the field as Courier spells it,
what was expected and what was given. Its metadata also carries:

* ``WIRE``: the JSON name, where it differs from the Python name (``if_`` is ``if``);
* ``ENCODE``: how the value is written as JSON, where it is not JSON already;
* ``LOCAL``: the field stays in Python, never written to the wire nor read from it;
* ``FAST``: a Python expression over ``{v}`` that is true only when the converter would
  return the value itself (``None`` for an optional field, a plain non-empty ASCII
  ``str`` ...), used by `automation_dsl._compile` to skip the converter call on the hot path.

Converters are total: they answer every value, ``None`` included, with the normalized
value or a library error, so attrs' own ``__init__`` is correct without the fast path
(``tests/test_compiled_equivalence.py`` checks that both agree).

Strings must be writable as UTF-8 JSON: a lone surrogate (``"a\\ud800"``) is refused
where it is given, not when the automation is sent.

Examples:
    >>> import attrs
    >>> @attrs.frozen
    ... class Thing:
    ...     OWNER = "thing"
    ...     name: str = text()
    >>> Thing("")
    Traceback (most recent call last):
    ...
    automation_dsl.ValidationError: thing: 'name' expected a non-empty string, got '' (str)
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from enum import Enum
from typing import Any, TypeVar

import attrs

from ._errors import ValidationError, ValidationTypeError
from ._json import FrozenDict, freeze, thaw
from ._payload_schema import PayloadSchema
from ._ref import Ref, as_ref
from ._time import to_utc

WIRE = "wire"
"""Metadata key: a field's JSON name where it differs from the Python name."""
ENCODE = "encode"
"""Metadata key: the function that turns a field's value into JSON."""
FAST = "fast"
"""Metadata key: ``(expression over {v}, names it uses)``, true when no conversion is needed."""
LOCAL = "local"
"""Metadata key: the field is never written to the wire nor read from it (``returns``)."""

E = TypeVar("E", bound=Enum)
Convert = Callable[[Any, Any, "attrs.Attribute[Any]"], Any]


def wire_name(field: attrs.Attribute[Any]) -> str:
    """Return the JSON name of an attrs field (``if_`` is ``if``)."""
    return str(field.metadata.get(WIRE, field.name))


def encoder(field: attrs.Attribute[Any]) -> Callable[[Any], Any] | None:
    """Return the function that writes a field's value as JSON, or ``None`` if it is JSON."""
    return field.metadata.get(ENCODE)


def encode_text(value: Any) -> Any:
    """Write a ``str | Ref`` value as JSON."""
    return value if value.__class__ is str else value.to_wire()


def _encode_enum(value: Enum) -> Any:
    return value.value


def _to_wire(value: Any) -> Any:
    return value.to_wire()


def _owner(instance: Any) -> str:
    return str(type(instance).OWNER)


def _fail(
    instance: Any,
    field: attrs.Attribute[Any],
    expected: str,
    value: Any,
    *,
    type_ok: Any = str,
    hint: str | None = None,
) -> ValidationError:
    """The error for a refused value: a TypeError too when the type itself is wrong."""
    error = ValidationError if isinstance(value, type_ok) else ValidationTypeError
    return error(_owner(instance), wire_name(field), expected, value, hint=hint)


def utf8(value: str) -> bool:
    """Tell whether a string can be written as UTF-8 (no lone surrogates).

    Examples:
        >>> utf8("café"), utf8("a\\ud800")
        (True, False)
    """
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


_UTF8_EXPECTED = "a string that can be written as UTF-8 (no lone surrogates such as '\\ud800')"


def _text_of(value: str, instance: Any, field: attrs.Attribute[Any]) -> str:
    """Return ``value`` if it can be written as UTF-8 JSON, or raise naming the field."""
    if utf8(value):
        return value
    raise _fail(instance, field, _UTF8_EXPECTED, value)


def _field(
    convert: Convert,
    *,
    required: bool,
    fast: str | None = None,
    names: Mapping[str, Any] | None = None,
    wire: str | None = None,
    encode: Callable[..., Any] | None = None,
    default: Any = None,
    local: bool = False,
) -> Any:
    metadata: dict[str, Any] = {LOCAL: True} if local else {}
    if wire:
        metadata[WIRE] = wire
    if encode:
        metadata[ENCODE] = encode
    if fast:
        metadata[FAST] = (fast, dict(names or {}))
    kwargs: dict[str, Any] = {"metadata": metadata}
    if not required or default is not None:
        kwargs["default"] = default
    return attrs.field(
        converter=attrs.Converter(convert, takes_self=True, takes_field=True), **kwargs
    )


def _optional(fast: str, required: bool) -> str:
    return fast if required else f"{{v}} is None or ({fast})"


def text(*, required: bool = True, ref: bool = False, wire: str | None = None) -> Any:
    """A non-empty string field; ``ref=True`` also accepts a [`Ref`][] (or ``{"$ref": ...}``)."""
    expected = "a non-empty string" + (" or a Ref" if ref else "")

    def convert(value: Any, instance: Any, field: attrs.Attribute[Any]) -> Any:
        kind = value.__class__
        if kind is str:
            if value:
                return _text_of(value, instance, field)
        elif value is None:
            if not required:
                return None
        elif ref and (accessor := as_ref(value)) is not None:
            return accessor
        raise _fail(instance, field, expected, value)

    return _field(
        convert,
        required=required,
        fast=_optional("{v}.__class__ is str and {v} and {v}.isascii()", required),
        wire=wire,
        encode=encode_text if ref else None,
    )


def _encode_condition(value: Any) -> str:
    return value if value.__class__ is str else str(value.to_js())


def condition() -> Any:
    """A step's ``if``: a JavaScript condition string, or a typed condition
    ([`automation_dsl.conditions`][]), kept as given and written as JavaScript."""
    expected = "a JavaScript condition string or a typed condition such as data.plan == 'pro'"

    def convert(value: Any, instance: Any, field: attrs.Attribute[Any]) -> Any:
        if value is None:
            return None
        if isinstance(value, str):
            if value.strip():  # whitespace alone is no condition
                return _text_of(str.__str__(value), instance, field)  # a plain str, kept as is
            raise _fail(instance, field, expected, value)
        from .conditions import Condition, Path  # loaded when a typed condition is used

        if isinstance(value, Condition):
            return value
        if isinstance(value, Path):
            return value._var  # a bare path: a truthiness test
        raise _fail(instance, field, expected, value)

    return _field(
        convert,
        required=False,
        fast="{v} is None or ({v}.__class__ is str and {v}.isascii() and {v}.strip())",
        wire="if",
        encode=_encode_condition,
    )


_NAME = re.compile(r"[^\s.\x00-\x1f\x7f\ud800-\udfff]+")


def name() -> Any:
    """An optional identifier (a step ``ref``): a non-empty string without spaces, dots,
    control characters or lone surrogates."""
    expected = "a name without spaces or dots, such as 'welcome'"

    def convert(value: Any, instance: Any, field: attrs.Attribute[Any]) -> Any:
        if value is None:
            return None
        if not isinstance(value, str) or not _NAME.fullmatch(value):
            raise _fail(instance, field, expected, value)
        return value

    return _field(convert, required=False, fast="{v} is None")


def json_object(
    *,
    required: bool = False,
    ref: bool = True,
    prepare: Callable[[Mapping[str, Any]], Mapping[str, Any]] | None = None,
) -> Any:
    """A free-form JSON object (``data``, ``profile`` ...), stored frozen; ``prepare``
    turns typed values a mapping may hold into JSON first."""
    expected = "a mapping" + (" or a Ref" if ref else "")

    def convert(value: Any, instance: Any, field: attrs.Attribute[Any]) -> Any:
        if value is None:
            if not required:
                return None
        elif value.__class__ is FrozenDict:
            return value
        elif isinstance(value, Mapping):
            if prepare is not None:
                value = prepare(value)
            frozen = freeze(value, _owner(instance), wire_name(field))
            if frozen.__class__ is FrozenDict or (ref and frozen.__class__ is Ref):
                return frozen
        elif ref and (accessor := as_ref(value)) is not None:
            return accessor
        raise _fail(instance, field, expected, value, type_ok=())

    return _field(
        convert,
        required=required,
        fast=_optional("{v}.__class__ is FrozenDict", required),
        names={"FrozenDict": FrozenDict},
        encode=thaw,
    )


def json_body() -> Any:
    """A webhook body: a string, or a mapping that is JSON-encoded compactly."""

    def convert(value: Any, instance: Any, field: attrs.Attribute[Any]) -> Any:
        if value is None:
            return None
        if isinstance(value, str):
            return _text_of(value, instance, field)
        if isinstance(value, Mapping):
            frozen = freeze(value, _owner(instance), wire_name(field))  # refuses non-JSON
            text = json.dumps(thaw(frozen), separators=(",", ":"), ensure_ascii=False)
            return _text_of(text, instance, field)
        raise _fail(instance, field, "a string, or a dict to JSON-encode", value, type_ok=())

    return _field(
        convert,
        required=False,
        fast="{v} is None or ({v}.__class__ is str and {v}.isascii())",
    )


def choice(enum: type[E], *, required: bool = False, default: E | None = None) -> Any:
    """A field holding one member of ``enum``; its string values are accepted too."""
    expected = "one of " + ", ".join(repr(member.value) for member in enum)
    members = {member.value: member for member in enum}

    def convert(value: Any, instance: Any, field: attrs.Attribute[Any]) -> Any:
        if value.__class__ is enum:
            return value
        if value is None and not required:
            return None
        member = members.get(value) if isinstance(value, str) else None
        if member is None:
            raise _fail(instance, field, expected, value)
        return member

    return _field(
        convert,
        required=required,
        fast=_optional("{v}.__class__ is Enum", required),
        names={"Enum": enum},
        encode=_encode_enum,
        default=default,
    )


MAX_SAFE_INTEGER = 2**53 - 1
"""The largest integer JavaScript (Courier) holds exactly: the default ``maximum``."""


def integer(*, required: bool = True, minimum: int = 1, maximum: int = MAX_SAFE_INTEGER) -> Any:
    """An integer field within ``[minimum, maximum]`` (``bool`` is refused)."""
    expected = f"an integer >= {minimum} and <= {maximum}"

    def convert(value: Any, instance: Any, field: attrs.Attribute[Any]) -> Any:
        if value is None and not required:
            return None
        if type(value) is not int:
            raise _fail(instance, field, expected, value, type_ok=())
        if not minimum <= value <= maximum:
            raise _fail(instance, field, expected, value, type_ok=int)
        return value

    return _field(convert, required=required)


def boolean() -> Any:
    """An optional ``bool`` field."""

    def convert(value: Any, instance: Any, field: attrs.Attribute[Any]) -> Any:
        if value is not None and not isinstance(value, bool):
            raise _fail(instance, field, "a bool", value, type_ok=())
        return value

    return _field(convert, required=False, fast="{v} is None")


MAX_EPOCH = 253402300799
"""The last second of the year 9999, in epoch seconds: a larger number is no expiry time."""


def epoch_or_iso() -> Any:
    """An idempotency expiry: epoch seconds (int), an ISO 8601 string, or an aware datetime,
    each a moment from 1970 to 9999 (a string is kept as written)."""
    expected = "epoch seconds (int), an ISO 8601 timestamp or an aware datetime, 1970 to 9999"

    def convert(value: Any, instance: Any, field: attrs.Attribute[Any]) -> Any:
        if value is None:
            return None
        if isinstance(value, str) and value:
            text = _text_of(value, instance, field)
            try:
                to_utc(text, "", "")
            except ValidationError:
                raise _fail(instance, field, expected, value) from None
            return text
        number = value
        if isinstance(value, datetime) and value.utcoffset() is not None:
            number = int(value.timestamp())
        if isinstance(number, int) and not isinstance(number, bool) and 0 < number <= MAX_EPOCH:
            return number
        hint = None
        if isinstance(value, datetime):
            hint = "attach a tzinfo" if value.utcoffset() is None else None
        elif isinstance(value, int) and value > MAX_EPOCH:
            hint = "epoch seconds, not milliseconds" if value < MAX_EPOCH * 1000 else None
        kinds = () if value.__class__ is bool else (datetime, int, str)  # a bool is no number
        raise _fail(instance, field, expected, value, type_ok=kinds, hint=hint)

    return _field(convert, required=False, fast="{v} is None")


def nested(kind: Any, expected: str, *, required: bool = True, ref: bool = False) -> Any:
    """A field holding a nested object (``Webhook``, ``Retain`` ...); a mapping is parsed.

    ``kind`` must have a ``from_wire(mapping)`` class method and a ``to_wire()`` method.
    """
    if ref:
        expected += " or a Ref"

    def convert(value: Any, instance: Any, field: attrs.Attribute[Any]) -> Any:
        if value is None and not required:
            return None
        if isinstance(value, kind):
            return value
        if ref and (accessor := as_ref(value)) is not None:
            return accessor
        if isinstance(value, Mapping):
            try:
                return kind.from_wire(value)
            except ValidationError as error:
                raise error.at(wire_name(field)) from None
        raise _fail(instance, field, expected, value, type_ok=())

    return _field(
        convert,
        required=required,
        fast=_optional("{v}.__class__ is Kind", required),
        names={"Kind": kind},
        encode=_to_wire,
    )


def converted(
    convert: Convert, *, required: bool = True, encode: Callable[..., Any] | None = None
) -> Any:
    """A field normalized by ``convert(value, instance, field)``, optionally encoded for JSON;
    an optional field keeps ``None`` without calling ``convert``."""
    if required:
        return _field(convert, required=True, encode=encode)

    def optional(value: Any, instance: Any, field: attrs.Attribute[Any]) -> Any:
        return None if value is None else convert(value, instance, field)

    return _field(optional, required=False, fast="{v} is None", encode=encode)


def ref_or(
    convert: Callable[[Any, str, str], Any],
) -> Callable[[Any, Any, attrs.Attribute[Any]], Any]:
    """A converter that keeps Refs and hands other values to ``convert``."""

    def wrapped(value: Any, instance: Any, field: attrs.Attribute[Any]) -> Any:
        kind = value.__class__
        if kind is str or kind is datetime or kind is timedelta:
            return convert(value, instance.OWNER, field.name)  # the common case first
        accessor = as_ref(value)
        if accessor is not None:
            return accessor
        return convert(value, instance.OWNER, field.name)

    return wrapped


def payload_schema() -> Any:
    """An optional [`PayloadSchema`][automation_dsl.PayloadSchema] (from a class or a JSON Schema)
    that stays in Python: never written to Courier's JSON (``fetch_data(returns=...)``)."""

    def convert(value: Any, instance: Any, field: attrs.Attribute[Any]) -> Any:
        return PayloadSchema.of(value, _owner(instance), field.name)

    return _field(convert, required=False, fast="{v} is None", local=True)


def node_id(value: Any, instance: Any, field: attrs.Attribute[Any]) -> str:
    """Accept a node id, or Courier's ``{"$node_id": id}`` form."""
    if isinstance(value, Mapping) and len(value) == 1 and "$node_id" in value:
        value = value["$node_id"]
    if not isinstance(value, str) or not value:
        raise ValidationTypeError(instance.OWNER, field.name, "a designer node id string", value)
    if not utf8(value):
        raise ValidationError(instance.OWNER, field.name, "a designer node id in UTF-8", value)
    return value
