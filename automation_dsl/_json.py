"""Immutable JSON values, so that steps holding ``data`` or ``profile`` stay frozen.

Step fields that hold free-form JSON (``data``, ``profile``, ``override`` ...)
are stored frozen: mappings become `FrozenDict`, lists become tuples, and
``{"$ref": ...}`` objects become [`Ref`][]. Serialization
thaws them back into plain, mutable ``dict`` and ``list`` values.

What JSON (and Courier's JavaScript) cannot carry is refused when the value is
frozen, with the path inside the value: NaN and infinity, integers beyond
what JavaScript holds exactly (``2**53``), lone surrogates, keys that are not
strings, values that contain themselves, nesting deeper than `MAX_DEPTH`,
and other Python types (``datetime``, ``set``, ``Decimal``, ``bytes`` ...).

Equality and hashing follow the JSON: ``true`` and ``1`` differ (``1`` and
``1.0`` are the same JavaScript number).

Examples:
    >>> from automation_dsl._json import freeze, thaw
    >>> frozen = freeze({"tags": ["a", "b"]}, "send step", "data")
    >>> frozen
    FrozenDict({'tags': ('a', 'b')})
    >>> thaw(frozen)
    {'tags': ['a', 'b']}
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping
from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any

from ._errors import ValidationError, ValidationTypeError
from ._ref import Ref, as_ref, has_surrogate, mapping_ref
from ._types import JSONValue

MAX_DEPTH = 64
"""The deepest a JSON value may nest (objects and arrays), far below Python's recursion limit."""

MAX_EXACT_INTEGER = 2**53
"""Every integer up to this size is exact in JavaScript: Courier would round a larger one."""

_KEY = re.compile(r"[A-Za-z_$][A-Za-z0-9_$-]*")


def _json_equal(left: Any, right: Any) -> bool:
    """Equality of two JSON values as JSON sees it: ``True`` is not ``1``; ``1`` is ``1.0``."""
    pending = [(left, right)]
    while pending:
        a, b = pending.pop()
        if isinstance(a, Mapping):
            if not isinstance(b, Mapping) or len(a) != len(b):
                return False
            for key, item in a.items():
                if key not in b:
                    return False
                pending.append((item, b[key]))
        elif isinstance(a, list | tuple):
            if not isinstance(b, list | tuple) or len(a) != len(b):
                return False
            pending.extend(zip(a, b, strict=True))
        elif isinstance(a, bool) or isinstance(b, bool):
            if a is not b:
                return False
        elif a != b or isinstance(b, Mapping | list | tuple):
            return False
    return True


def _hash_key(value: Any) -> Any:
    """What a frozen value hashes as: booleans tagged apart from the numbers they equal."""
    kind = value.__class__
    if kind is bool:
        return (bool, value)
    if kind is tuple:
        return tuple(_hash_key(item) for item in value)  # depth bounded by MAX_DEPTH
    return value


class FrozenDict(Mapping[str, Any]):
    """A read-only, hashable mapping with string keys; equal when the JSON is equal.

    Examples:
        >>> d = FrozenDict({"a": 1})
        >>> d["a"], hash(d) == hash(FrozenDict({"a": 1}))
        (1, True)
        >>> FrozenDict({"flag": True}) == FrozenDict({"flag": 1})
        False
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
            self._hash = hash(frozenset((k, _hash_key(v)) for k, v in self._items.items()))
        return self._hash

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return _json_equal(self._items, other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"FrozenDict({self._items!r})"


_PLAIN = frozenset({bool, type(None), Ref})  # a FrozenDict inside is walked: depth adds up
_FLAT = frozenset({str, int, bool, type(None)})
_HINTS: tuple[tuple[type | tuple[type, ...], str], ...] = (
    ((date, time), "format it as text first, for example value.isoformat()"),
    (timedelta, "write it as a number of seconds or a duration string"),
    ((set, frozenset), "use a list"),
    (Decimal, "convert it to float, or to str to keep every digit"),
    ((bytes, bytearray), "decode it to str"),
)


def _segment(key: Any) -> str:
    """One step of a path inside a value: ``.key``, ``['odd key']`` or ``[3]``."""
    if isinstance(key, int):
        return f"[{key}]"
    if _KEY.fullmatch(key):
        return f".{key}"
    text = repr(key)
    return f"[{text[:40]}...]" if len(text) > 40 else f"[{text}]"


def _is_container(value: Any) -> bool:
    kind = value.__class__
    return kind is dict or kind is list or kind is tuple or isinstance(value, Mapping)


class _Freezer:
    """One freezing walk: iterative, so nesting costs no Python recursion."""

    __slots__ = ("field", "keys", "open_ids", "owner")

    def __init__(self, owner: str, field: str) -> None:
        self.owner = owner
        self.field = field
        self.keys: list[Any] = []  # the current key in each open container
        self.open_ids: set[int] = set()  # the containers being walked: a value inside itself

    def fail(
        self, expected: str, got: Any, *, wrong_type: bool = False, hint: str | None = None
    ) -> ValidationError:
        path = (self.field + "".join(_segment(key) for key in self.keys)).lstrip(".")
        error = ValidationTypeError if wrong_type else ValidationError
        return error(self.owner, self.field, expected, got, hint=hint, path=path)

    def leaf(self, value: Any) -> Any:
        """The frozen form of a value that is not a container, or raise."""
        if isinstance(value, str):
            if has_surrogate(value):
                raise self.fail("text without lone surrogates (UTF-8 cannot carry them)", value)
            return value
        if isinstance(value, float):
            if not math.isfinite(value):
                raise self.fail("a finite number (JSON has no NaN or infinity)", value)
            return value
        if isinstance(value, int) and value.__class__ is not bool:
            if not -MAX_EXACT_INTEGER <= value <= MAX_EXACT_INTEGER:
                raise self.fail(
                    "an integer within +/-2**53",
                    value,
                    hint="JavaScript rounds larger ones: send it as a string",
                )
            return value
        if value.__class__ in _PLAIN:
            return value
        accessor = as_ref(value)  # a typed path (data.order.id) inside a value is a $ref
        if accessor is not None:
            return accessor
        hint = next((text for kinds, text in _HINTS if isinstance(value, kinds)), None)
        raise self.fail(
            "a JSON value (str, int, float, bool, None, list or dict)",
            value,
            wrong_type=True,
            hint=hint,
        )

    def open(self, value: Any, depth: int) -> Any:
        """A ``Ref`` for ``{"$ref": path}``, else a new frame: (items, output, id)."""
        if isinstance(value, Mapping):
            try:
                accessor = mapping_ref(value)
            except ValidationError as error:
                raise self.fail(error.expected, error.got) from None
            if accessor is not None:
                return accessor
        if depth >= MAX_DEPTH:
            raise self.fail(f"at most {MAX_DEPTH} levels of nesting", value)
        if id(value) in self.open_ids:
            raise self.fail("a value that does not contain itself", value)
        self.open_ids.add(id(value))
        if isinstance(value, Mapping):
            return (iter(value.items()), {}, id(value))
        return (enumerate(value), [], id(value))

    def run(self, value: Any) -> JSONValue:
        """Freeze ``value``, walking containers with an explicit stack."""
        if not _is_container(value):
            return self.leaf(value)
        root = self.open(value, 0)
        if root.__class__ is Ref:
            return root
        keys = self.keys
        stack = [root]
        keys.append(None)
        while True:
            source, out, ident = stack[-1]
            is_map = out.__class__ is dict
            for key, child in source:
                keys[-1] = key
                if is_map and (key.__class__ is not str or has_surrogate(key)):
                    keys.pop()  # the error is at the mapping that holds the key
                    raise self.fail(
                        "a mapping with string keys (valid Unicode)",
                        key,
                        wrong_type=key.__class__ is not str,
                    )
                kind = child.__class__
                if kind in _PLAIN or (kind is str and child.isascii()):
                    frozen = child
                elif _is_container(child):
                    frame = self.open(child, len(stack))
                    if frame.__class__ is not tuple:
                        frozen = frame  # a Ref
                    else:
                        stack.append(frame)
                        keys.append(None)
                        break
                else:
                    frozen = self.leaf(child)
                if is_map:
                    out[key] = frozen
                else:
                    out.append(frozen)
            else:  # this container is done: hand it to its parent
                stack.pop()
                keys.pop()
                self.open_ids.discard(ident)
                done = FrozenDict._adopt(out) if is_map else tuple(out)
                if not stack:
                    return done
                parent = stack[-1][1]
                if parent.__class__ is dict:
                    parent[keys[-1]] = done
                else:
                    parent.append(done)


def freeze(value: Any, owner: str, field: str) -> JSONValue:
    """Return an immutable copy of a JSON value, or raise naming ``owner``, ``field`` and the path.

    Mappings must have string keys; numbers must be finite and integers exact in
    JavaScript; text must be valid Unicode; nesting stops at `MAX_DEPTH`;
    ``{"$ref": "path"}`` becomes a [`Ref`][].

    Examples:
        >>> freeze({"order": {"items": [1, float("nan")]}}, "send step", "data")
        Traceback (most recent call last):
        ...
        automation_dsl.ValidationError: data.order.items[1]: send step: 'data' \
expected a finite number (JSON has no NaN or infinity), got nan (float)
    """
    kind = value.__class__
    if kind in _PLAIN or kind is FrozenDict:
        return value
    if kind is dict and "$ref" not in value:  # the common case: a flat dict of short text
        flat: dict[str, Any] = {}
        for key, item in value.items():
            if key.__class__ is str and key.isascii() and item.__class__ in _FLAT:
                if item.__class__ is int and not -MAX_EXACT_INTEGER <= item <= MAX_EXACT_INTEGER:
                    break
                if item.__class__ is str and not item.isascii():
                    break
                flat[key] = item
            else:
                break
        else:
            return FrozenDict._adopt(flat)
    return _Freezer(owner, field).run(value)


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


# -- reading JSON text ----------------------------------------------------------------------


class _NotStrict(ValueError):
    """A number or constant strict JSON cannot hold (raised from json's parse hooks)."""

    def __init__(self, problem: str, text: str) -> None:
        super().__init__(problem)
        self.text = text


def _no_constant(name: str) -> Any:
    raise _NotStrict("it has no NaN or Infinity", name)


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise _NotStrict("a number out of range", text[:40])
    return number


_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


def _may_hold_surrogates(text: str) -> bool:
    """Whether decoding ``text`` can yield a lone surrogate (escaped, or there already)."""
    return _ESCAPED_SURROGATE.search(text) is not None or has_surrogate(text)


def loads(
    text: str | bytes | bytearray, *, owner: str, field: str, max_depth: int = MAX_DEPTH
) -> Any:
    """Parse strict JSON text, as Courier reads it, or raise a [`ValidationError`][]
    that names ``owner`` and ``field``, says what is wrong and where (line and column,
    or byte offset).

    Strict: no ``NaN``/``Infinity``, numbers a double can hold, integers of at most
    4300 digits, nesting at most ``max_depth`` levels, no lone surrogates. Bytes must be
    UTF-8 (a byte order mark is tolerated), as JSON exchanged between systems is.

    Examples:
        >>> loads('{"steps": []}', owner="automation", field="text")
        {'steps': []}
        >>> loads('{"x": NaN}', owner="automation", field="text")
        Traceback (most recent call last):
        ...
        automation_dsl.ValidationError: automation: 'text' expected strict JSON \
(it has no NaN or Infinity), got 'NaN' (str)
    """
    try:
        if not isinstance(text, str):  # UTF-8 only (RFC 8259), a byte order mark tolerated
            text = bytes(text).decode("utf-8-sig")
        value = json.loads(text, parse_constant=_no_constant, parse_float=_finite_float)
    except _NotStrict as error:
        raise ValidationError(owner, field, f"strict JSON ({error})", error.text) from None
    except json.JSONDecodeError as error:
        start = max(error.pos - 20, 0)
        raise ValidationError(
            owner,
            field,
            f"valid JSON ({error.msg})",
            error.doc[start : error.pos + 20],
            hint=f"at line {error.lineno}, column {error.colno}",
        ) from None
    except UnicodeDecodeError as error:
        raise ValidationError(
            owner,
            field,
            "UTF-8 text",
            bytes(error.object[error.start : error.start + 8]),
            hint=f"byte {error.object[error.start]:#04x} at offset {error.start}; save it as UTF-8",
        ) from None
    except RecursionError:
        raise _too_deep(owner, field, max_depth) from None
    except ValueError as error:  # an integer of more digits than Python converts
        raise ValidationError(
            owner, field, "numbers of at most 4300 digits", str(error)[:60]
        ) from None
    _check_depth_and_text(value, owner, field, max_depth, _may_hold_surrogates(text))
    return value


def _check_depth_and_text(
    value: Any, owner: str, field: str, max_depth: int, check_strings: bool
) -> None:
    """Walk a parsed value without recursion: nesting and, if asked, lone surrogates."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        kind = node.__class__
        if kind is dict:
            children: Any = (*node, *node.values()) if check_strings else node.values()
        elif kind is list:
            children = node
        else:
            if check_strings and kind is str and has_surrogate(node):
                expected = "text without lone surrogates (UTF-8 cannot encode them)"
                raise ValidationError(owner, field, expected, node)
            continue
        if depth > max_depth:
            raise _too_deep(owner, field, max_depth)
        stack.extend((child, depth + 1) for child in children)


def _too_deep(owner: str, field: str, max_depth: int) -> ValidationError:
    expected = f"JSON nested at most {max_depth} levels deep"
    return ValidationError(owner, field, expected, f"more than {max_depth} levels")
