"""Parsing Courier's JSON back into typed steps, with errors that carry a path.

Examples:
    >>> from automation_dsl._parse import parse_step
    >>> parse_step({"action": "delay", "duration": "1 hour"}, "steps[0]", lenient=False)
    Delay(duration='1 hour')
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from ._errors import ValidationError, ValidationTypeError
from ._json import freeze
from ._steps import STEP_CLASSES, RawStep, Send, SendMessage, Step


def parse_step(data: Any, path: str, *, lenient: bool) -> Step:
    """Parse one step's JSON object; errors are located at ``path`` (``steps[2]``).

    With ``lenient=True`` an unknown action, or a known action with fields this
    library does not model, is kept untouched as a [`RawStep`][].
    """
    if not isinstance(data, Mapping):
        raise ValidationTypeError("automation", "step", "a JSON object", data, path=path)
    for key in data:
        if key.__class__ is not str:
            raise ValidationTypeError(
                "automation", "step", "a JSON object with string keys", key, path=path
            )
    action = data.get("action")
    cls: type[Step] | None = STEP_CLASSES.get(action) if isinstance(action, str) else None
    if cls is Send and "message" in data:
        cls = SendMessage
    if cls is None:
        if lenient and isinstance(action, str) and action:
            return _raw(data, path)
        close = difflib.get_close_matches(
            action if isinstance(action, str) else "", STEP_CLASSES, n=1
        )
        hint = f"did you mean {close[0]!r}?" if close else "pass lenient=True to keep it raw"
        raise ValidationError(
            "automation",
            "action",
            "a known action (" + ", ".join(sorted(STEP_CLASSES)) + ")",
            action,
            hint=hint,
            path=f"{path}.action",
        )
    condition = data.get("if")
    if isinstance(condition, str):
        from .conditions import parse  # typed where it compiles back to the same text

        typed = parse(condition)
        if typed is not None:
            data = {**data, "if": typed}
    try:
        return cls.from_wire(data)
    except ValidationError as error:
        if lenient and error.hint == "unknown field":
            return _raw(data, path)
        raise error.at(path) from None


def _raw(data: Mapping[str, Any], path: str) -> RawStep:
    """A step kept as its JSON object; what JSON cannot hold is refused at its path."""
    try:
        return RawStep(freeze(data, "raw step", ""))
    except ValidationError as error:
        raise error.at(path) from None
