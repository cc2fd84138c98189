"""What a sandbox request carries, read and checked before the service sees it.

* `RequestLimits`: what one request may ask (body size, JSON depth, steps);
* invoke bodies: read incrementally up to the size limit (`read_body`), parsed as
  strict JSON (`load_json`), then judged by the library's own parser
  (`parse_invoke`); a refusal is a `Refused` the app answers;
* ``GET /automations/runs`` query parameters: cursors, page sizes, date bounds
  (a bad one raises Starlette's ``HTTPException(400)``).
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import attrs
from starlette.exceptions import HTTPException
from starlette.requests import Request

from .._automation import Automation
from .._errors import AutomationError, ValidationError, ValidationTypeError
from .._json import loads
from .._localtime import LocalTime
from .._steps import Delay
from .._values import RunContext
from ._service import Service

__all__ = [
    "INVALID",
    "MAX_PAGE",
    "Refused",
    "RequestLimits",
    "cursor",
    "date_bound",
    "load_json",
    "offset",
    "page_size",
    "parse_invoke",
    "read_body",
]

INVALID = "invalid_request_error"
"""Courier's error ``type`` for a request it refuses."""
MAX_PAGE = 50
"""The largest page of runs."""


def _positive(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        kind = ValidationError if isinstance(value, int) else ValidationTypeError
        raise kind("RequestLimits", attribute.name, "a positive integer", value)


@attrs.frozen
class RequestLimits:
    """What one request may ask of the sandbox.

    Args:
        max_body_size: bytes of request body (413 ``invalid_request_error`` past it).
        max_depth: nesting levels of the JSON body (400 past it).
        max_steps: steps in one ad hoc automation (400 past it). The simulator also stops
            an invoke tree after ``Engine.max_steps`` executed steps.

    Examples:
        >>> RequestLimits(max_body_size=64 * 1024).max_body_size
        65536
    """

    max_body_size: int = attrs.field(default=1024 * 1024, validator=_positive)
    max_depth: int = attrs.field(default=64, validator=_positive)
    max_steps: int = attrs.field(default=1000, validator=_positive)


class Refused(Exception):
    """A request answered with a Courier error: ``outcome`` is what the request log says."""

    def __init__(self, status: int, message: str, outcome: str, kind: str = INVALID) -> None:
        super().__init__(message)
        self.status, self.message, self.outcome, self.kind = status, message, outcome, kind


# -- invoke bodies ----------------------------------------------------------------------


async def read_body(request: Request, limit: int) -> bytes:
    """The body, read chunk by chunk and abandoned as soon as it passes ``limit`` bytes."""
    too_large = Refused(413, f"Request body too large: the limit is {limit} bytes", "too-large")
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise Refused(400, f"Invalid Content-Length {declared[:40]!r}", "invalid")
        if int(declared) > limit:
            raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise too_large
    return bytes(body)


def load_json(raw: bytes, max_depth: int) -> Any:
    """The parsed body: strict JSON, nested at most ``max_depth`` deep, no lone surrogates."""
    try:
        return loads(raw, owner="invoke body", field="body", max_depth=max_depth)
    except ValidationError as error:
        where = f" ({error.hint})" if error.hint else ""
        raise Refused(
            400, f"Invalid JSON body: expected {error.expected}{where}", "invalid"
        ) from None


def _refuse_local_times(automation: Automation) -> None:
    """Refuse a ``{"$local": ...}`` until, as Courier would: it is this library's document
    form, resolved to an instant before anything is sent."""
    for index, step in enumerate(automation.steps):
        if isinstance(step, Delay) and isinstance(step.until, LocalTime):
            raise Refused(
                400,
                f"Invalid Steps Definition: automation.steps[{index}].until: expected an "
                'ISO 8601 timestamp, got {"$local": ...} (resolve local times before sending: '
                "to_payload(..., now=...))",
                "invalid",
            )


def parse_invoke(
    payload: Any, template_id: str | None, service: Service, limits: RequestLimits
) -> tuple[Automation, dict[str, Any]]:
    """Validate an invoke body with the library's own parser; 400 names the step and field."""
    if not isinstance(payload, dict):
        raise Refused(
            400,
            f"Invalid request body: expected a JSON object, got {type(payload).__name__}",
            "invalid",
        )
    try:
        if template_id is None:
            automation = payload.get("automation")
            steps = automation.get("steps") if isinstance(automation, dict) else None
            if isinstance(steps, list) and len(steps) > limits.max_steps:
                raise Refused(
                    400,
                    f"Invalid Steps Definition: automation.steps: at most {limits.max_steps} "
                    f"steps, got {len(steps)}",
                    "invalid",
                )
            parsed, context = Automation.from_payload(payload)
            _refuse_local_times(parsed)
            return parsed, context.to_wire()
        if "recipient" not in payload:
            raise Refused(400, "recipient: required (it may be null)", "invalid")
        fields = {key: value for key, value in payload.items() if value is not None}
        template_context = RunContext.from_wire(fields).to_wire()
    # the parser is the judge of a body: whatever it refuses is the body's fault (a 400),
    # including the raw TypeError/ValueError a parser bug may still let through
    except (AutomationError, TypeError, ValueError, RecursionError) as exc:
        raise Refused(400, f"Invalid Steps Definition: {exc}", "invalid") from None
    template = service.template(template_id)
    if template is None:
        raise Refused(404, f"Automation template {template_id} not found", "not-found")
    return template, template_context


# -- query parameters -------------------------------------------------------------------


def cursor(position: int) -> str:
    """The ``next_cursor`` of a page that ends before ``position``."""
    return base64.urlsafe_b64encode(f"offset:{position}".encode()).decode()


def offset(value: str | None) -> int:
    """Where a page starts, from its ``cursor`` (the start for none)."""
    if not value:
        return 0
    try:
        kind, _, number = base64.urlsafe_b64decode(value.encode()).decode().partition(":")
        if kind == "offset" and int(number) >= 0:
            return int(number)
    except ValueError:
        pass
    raise HTTPException(400, "cursor: expected a next_cursor from an earlier page")


def page_size(value: str | None) -> int:
    """The page size: 20 by default, at most 50 (larger asks get 50)."""
    if value is None:
        return 20
    digits = value.isascii() and value.isdigit()  # no "1_0", " 1 ", "+5" or other scripts
    number = (MAX_PAGE if len(value) > 9 else int(value)) if digits else 0
    if number < 1:
        raise HTTPException(400, f"limit: expected an integer from 1 to {MAX_PAGE}, got {value!r}")
    return min(number, MAX_PAGE)


def date_bound(name: str, value: str | None, end: bool) -> datetime | None:
    """A ``start_date``/``end_date`` bound; a bare date as an end includes that whole day."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise HTTPException(400, f"{name}: expected an ISO 8601 date or timestamp") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if end and len(value) == 10:  # a bare date includes that whole day
        moment = moment.replace(hour=23, minute=59, second=59, microsecond=999999)
    return moment
