"""Checking a whole document: every error in an invoke body, not only the first.

`find_errors` parses each step on its own, then the rest of the automation, then
each run-context field, and collects what each refuses (the CLI's ``validate`` reports
them all).

Examples:
    >>> [error.path for error in find_errors(
    ...     {"steps": [{"action": "delay"}, {"action": "sned"}]}, lenient=False)]
    ['steps[0].until/duration', 'steps[1].action']
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._automation import Automation
from ._document import SCHEMAS_KEY
from ._errors import ValidationError
from ._parse import parse_step


def find_errors(document: Any, *, lenient: bool) -> list[ValidationError]:
    """Every error in an invoke body or ``automation`` object, not only the first.

    Each step is parsed on its own, so one bad step does not hide the next.
    """
    schemas = None
    if isinstance(document, Mapping) and "automation" in document:
        prefix, body = "automation.", document["automation"]
        context = {key: value for key, value in document.items() if key != "automation"}
        schemas = context.pop(SCHEMAS_KEY, None)
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
    if schemas is not None and not errors:  # they are checked against the steps
        try:
            Automation.from_payload({"automation": body, SCHEMAS_KEY: schemas}, lenient=lenient)
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
