"""Bounded text for values shown to people: reprs, ``explain`` and the notebook tables.

A step's ``data`` may hold megabytes; what a repr or a table shows of it is bounded. A value
within the bounds is written exactly as ``repr`` writes its plain JSON form; a larger one is
cut, each cut saying what it left out (``... 99,990 more items``). The full value stays one
call away: ``Automation.to_dict()`` or the step's field.

Bounds, for a ``limit`` of characters in all (about): ``limit // 4`` items per container,
``limit // 2`` characters per string, and `MAX_DEPTH` levels of nesting. So a value whose
repr is at most ``limit // 2`` characters is shown exactly.

Examples:
    >>> bounded_repr({"ids": list(range(100_000))}, limit=40)
    "{'ids': [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, ... 99,990 more items]}"
    >>> bounded_repr({"a": [1, "two"]})
    "{'a': [1, 'two']}"
"""

from __future__ import annotations

from typing import Any

from ._json import FrozenDict
from ._ref import Ref

__all__: list[str] = []  # private to the package

MAX_DEPTH = 64
"""The most levels of nesting shown (as many as ``data`` may hold); deeper containers show
as ``{... 3 items}``."""
LIMIT = 2_000
"""About the most characters one value is shown in, by default."""


def _count(count: int, noun: str) -> str:
    return f"{count:,} {noun}" + ("s" if count != 1 else "")


def cut_text(text: str, limit: int) -> str:
    """``text`` itself, or its first ``limit`` characters and how many more there are.

    Examples:
        >>> cut_text("x" * 1000, 5)
        'xxxxx ... 995 more characters'
    """
    if len(text) <= limit:
        return text
    return f"{text[:limit]} ... {_count(len(text) - limit, 'more character')}"


class _Writer:
    """Writes one value, spending a budget of characters."""

    __slots__ = ("items", "left", "text")

    def __init__(self, limit: int) -> None:
        self.left = limit
        self.items = max(1, limit // 4)
        self.text = max(8, limit // 2)

    def write(self, value: Any, depth: int) -> str:
        kind = value.__class__
        if kind is Ref:
            value = value.to_wire()
        if isinstance(value, FrozenDict | dict):
            return self._container(value, depth, "{", "}", True)
        if isinstance(value, tuple | list):
            return self._container(value, depth, "[", "]", False)
        if isinstance(value, str):
            shown = self.text
            text = repr(value[:shown])
            while len(text) > self.text + 2 and shown > 1:  # escapes: '\ud800' is 6 characters
                shown //= 2
                text = repr(value[:shown])
            if len(value) > shown:
                text += f" ... {_count(len(value) - shown, 'more character')}"
        else:
            try:
                text = repr(value)
            except Exception:  # a huge int (past str's digit limit), a failing repr
                text = f"<{type(value).__name__}>"
            text = cut_text(text, self.text)
        self.left -= len(text)
        return text

    def _container(self, value: Any, depth: int, open_: str, close: str, pairs: bool) -> str:
        if not value:
            return open_ + close
        if depth >= MAX_DEPTH:
            return f"{open_}... {_count(len(value), 'item')}{close}"
        parts = []
        items = value.items() if pairs else value
        for index, item in enumerate(items):
            if index >= self.items or self.left <= 0:
                parts.append(f"... {_count(len(value) - index, 'more item')}")
                break
            if pairs:
                key, child = item
                part = f"{self.write(key, depth + 1)}: {self.write(child, depth + 1)}"
            else:
                part = self.write(item, depth + 1)
            self.left -= 2
            parts.append(part)
        return open_ + ", ".join(parts) + close


def bounded_repr(value: Any, limit: int = LIMIT) -> str:
    """``repr`` of a value's plain JSON form, cut to about ``limit`` characters.

    Frozen objects show as dicts, tuples as lists and refs as ``{'$ref': ...}``, as
    ``repr(thaw(value))`` does; each cut says how much it left out.

    Examples:
        >>> bounded_repr("x" * 1000, limit=40)
        "'xxxxxxxxxxxxxxxxxxxx' ... 980 more characters"
    """
    return _Writer(limit).write(value, 0)
