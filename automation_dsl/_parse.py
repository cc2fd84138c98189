"""Parsing Courier's JSON back into typed steps, with errors that carry a path.

Example:
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
    library does not model, is kept untouched as a :class:`RawStep`.
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


def find_errors(document: Any, *, lenient: bool) -> list[ValidationError]:
    """Every error in an invoke body or ``automation`` object, not only the first.

    Each step is parsed on its own, so one bad step does not hide the next.
    """
    from ._automation import Automation

    if isinstance(document, Mapping) and "automation" in document:
        prefix, body = "automation.", document["automation"]
        context = {key: value for key, value in document.items() if key != "automation"}
    else:
        prefix, body, context = "", document, {}
    errors: list[ValidationError] = []
    if not isinstance(body, Mapping) or not isinstance(body.get("steps"), list | tuple):
        try:
            Automation.from_dict(body, lenient=lenient)
        except ValidationError as error:
            return [_prefixed(error, prefix)]
    for index, step in enumerate(body["steps"]):
        try:
            parse_step(step, f"steps[{index}]", lenient=lenient)
        except ValidationError as error:
            errors.append(_prefixed(error, prefix))
    try:
        Automation.from_dict({**body, "steps": []}, lenient=lenient)
    except ValidationError as error:
        errors.append(_prefixed(error, prefix))
    for key, value in context.items():  # each run-context field on its own
        try:
            Automation.from_payload({"automation": {"steps": []}, key: value})
        except ValidationError as error:
            errors.append(error)
    return errors


def _prefixed(error: ValidationError, prefix: str) -> ValidationError:
    if not prefix:
        return error
    path = prefix + error.path if error.path else prefix.rstrip(".")
    return type(error)(
        error.owner, error.field, error.expected, error.got, hint=error.hint, path=path
    )
