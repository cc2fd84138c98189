"""Immutable JSON values, so that steps holding ``data`` or ``profile`` stay frozen.

Step fields that hold free-form JSON (``data``, ``profile``, ``override`` ...)
are stored frozen: mappings become :class:`FrozenDict`, lists become tuples, and
``{"$ref": ...}`` objects become :class:`~automation_dsl.Ref`. Serialization
thaws them back into plain, mutable ``dict`` and ``list`` values.

Example:
    >>> from automation_dsl._json import freeze, thaw
    >>> frozen = freeze({"tags": ["a", "b"]}, "send step", "data")
    >>> frozen
    FrozenDict({'tags': ('a', 'b')})
    >>> thaw(frozen)
    {'tags': ['a', 'b']}
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any, TypeAlias

from ._errors import ValidationError, ValidationTypeError
from ._ref import Ref, mapping_ref

JSONValue: TypeAlias = Any
"""A value that serializes to JSON: str, int, float, bool, None, a mapping or a sequence."""

_SCALARS = (str, int, bool, type(None))


class FrozenDict(Mapping[str, Any]):
    """A read-only, hashable mapping with string keys.

    Example:
        >>> d = FrozenDict({"a": 1})
        >>> d["a"], hash(d) == hash(FrozenDict({"a": 1}))
        (1, True)
    """

    __slots__ = ("_hash", "_items")

    _items: dict[str, Any]
    _hash: int | None

    def __init__(self, items: Mapping[str, Any] = ()) -> None:  # type: ignore[assignment]
        self._items = dict(items)
        self._hash = None

    @classmethod
    def _adopt(cls, items: dict[str, Any]) -> FrozenDict:
        """Wrap a dict nobody else holds, without copying it."""
        new = object.__new__(cls)
        new._items = items
        new._hash = None
        return new

    def __getitem__(self, key: str) -> Any:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self._items.items()))
        return self._hash

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FrozenDict):
            return self._items == other._items
        if isinstance(other, Mapping):
            return self._items == dict(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"FrozenDict({self._items!r})"


_IMMUTABLE = frozenset({str, int, bool, type(None), Ref, FrozenDict})


def freeze(value: Any, owner: str, field: str) -> JSONValue:
    """Return an immutable copy of a JSON value, or raise naming ``owner`` and ``field``.

    Mappings must have string keys; floats must be finite; ``{"$ref": "path"}``
    becomes a :class:`~automation_dsl.Ref`.
    """
    kind = value.__class__
    if kind in _IMMUTABLE:
        return value
    if kind is float:
        if not math.isfinite(value):
            raise ValidationError(
                owner, field, "a finite number (JSON has no NaN or infinity)", value
            )
        return value
    if kind is dict or isinstance(value, Mapping):
        accessor = mapping_ref(value)
        if accessor is not None:
            return accessor
        frozen: dict[str, Any] = {}
        for key, item in value.items():
            if key.__class__ is not str:
                raise ValidationTypeError(owner, field, "a mapping with string keys", key)
            # scalars inline: the common case needs no call and no label
            frozen[key] = (
                item if item.__class__ in _IMMUTABLE else freeze(item, owner, f"{field}[{key!r}]")
            )
        return FrozenDict._adopt(frozen)
    if kind is list or kind is tuple:
        return tuple(
            item if item.__class__ in _IMMUTABLE else freeze(item, owner, f"{field}[{i}]")
            for i, item in enumerate(value)
        )
    if isinstance(value, _SCALARS):  # subclasses: str and int enums, for example
        return value
    raise ValidationTypeError(
        owner, field, "a JSON value (str, int, float, bool, None, list or dict)", value
    )


def thaw(value: JSONValue) -> Any:
    """Return the plain JSON form of a frozen value: dicts, lists and ``$ref`` objects."""
    kind = value.__class__
    if kind is FrozenDict:
        return {key: thaw(item) for key, item in value._items.items()}
    if kind is tuple:
        return [thaw(item) for item in value]
    if kind is Ref:
        return value.to_wire()
    return value
