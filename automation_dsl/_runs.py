"""What Courier says about runs and templates: ``GET /automations/runs``,
``GET /automations/runs/{id}``, ``GET /automations/runs/{id}/steps`` and ``GET /automations``.

An answer is read defensively: a body that is not JSON, a page that is not an object, an
item without its id are a [`CourierAPIError`][] naming the endpoint and what came; a
field of the wrong type is dropped (read as absent); an unknown status is kept
([`RunStatus`][] is open).

Examples:
    >>> run = AutomationRun.from_wire({"run_id": "1-abc", "status": "PROCESSED", "source": []})
    >>> run.run_id, run.status
    ('1-abc', 'PROCESSED')
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import attrs

from ._errors import CourierAPIError
from ._status import RunStatus

__all__ = ["AutomationRun", "AutomationTemplate", "RunStep"]


def _text(data: Mapping[str, Any], *keys: str) -> str | None:
    """The first of ``keys`` that holds a string (a value of another type reads as absent)."""
    for key in keys:
        value = data.get(key)
        if isinstance(value, str):
            return value
    return None


def _status(data: Mapping[str, Any]) -> RunStatus | None:
    value = _text(data, "status")
    return None if value is None else RunStatus(value)


def _bad_answer(endpoint: str, status: int, what: str, got: object) -> CourierAPIError:
    shown = repr(got)
    shown = shown if len(shown) <= 200 else shown[:197] + "..."
    return CourierAPIError(status, f"{endpoint}: expected {what}, got {shown}", body=None)


def _json_object(content: bytes, status: int, endpoint: str) -> dict[str, Any]:
    """An answer's JSON object, or a [`CourierAPIError`][] saying what came instead."""
    try:
        body = json.loads(content)
    except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested past the stack
        raise _bad_answer(endpoint, status, "a JSON object", content[:200]) from None
    if not isinstance(body, dict):
        raise _bad_answer(endpoint, status, "a JSON object", body)
    return body


def _page(
    content: bytes, status: int, endpoint: str, key: str, cursor_key: str
) -> tuple[list[dict[str, Any]], str | None]:
    """The items and the next cursor of one page (``None``: the last page)."""
    body = _json_object(content, status, endpoint)
    items = body.get(key)
    if items is None:
        items = []
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise _bad_answer(endpoint, status, f"{key!r}: a list of objects", items)
    cursor = body.get(cursor_key)
    return items, cursor if isinstance(cursor, str) and cursor else None


def _item_id(data: Mapping[str, Any], key: str, endpoint: str, status: int) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise _bad_answer(endpoint, status, f"an item with a string {key!r}", data)
    return value


@attrs.frozen(slots=True)
class AutomationRun:
    """One automation run as Courier lists it.

    Attributes:
        run_id: the run's id, as ``invoke`` returned it.
        status: a [`RunStatus`][]: ``PROCESSING``, ``PROCESSED``, ``WAITING``,
            ``CANCELED``, ``ERROR``, ``THROTTLED`` or ``NOT PROCESSED``, or one Courier
            added since (kept, not refused); ``None`` if Courier gave none.
        created_at: when the run started (ISO 8601), if given.
        template_id: the automation template of the run, if any.
        source: Courier's diagnostic provenance strings.

    Examples:
        >>> AutomationRun(run_id="1-abc", status=RunStatus.WAITING).status
        'WAITING'
        >>> AutomationRun.from_wire({"run_id": "1-abc", "status": "PAUSED"}).status.known
        False
    """

    run_id: str
    status: RunStatus | None = None
    created_at: str | None = None
    template_id: str | None = None
    source: tuple[str, ...] = ()

    @classmethod
    def from_wire(
        cls, data: Mapping[str, Any], *, endpoint: str = "GET /automations/runs", code: int = 200
    ) -> AutomationRun:
        """Read one item of a runs list (or one run); unknown keys are ignored.

        Raises:
            CourierAPIError: the item has no string ``run_id``.
        """
        source = data.get("source")
        return cls(
            run_id=_item_id(data, "run_id", endpoint, code),
            status=_status(data),
            created_at=_text(data, "created_at"),
            template_id=_text(data, "template_id"),
            source=tuple(s for s in source if isinstance(s, str))
            if isinstance(source, list)
            else (),
        )


@attrs.frozen(slots=True)
class RunStep:
    """One executed step of a run.

    Attributes:
        action: the step's action (``send``, ``delay`` ...).
        status: the run statuses plus ``SKIPPED`` and ``COMPUTING``.
        step_id: the step's id, if given.
        message_id: the message a send step produced, if any.
        created_at: when the step started (ISO 8601).
        updated_at: when it last changed state (ISO 8601).

    Examples:
        >>> RunStep.from_wire({"action": "send", "status": "PROCESSED"}).action
        'send'
    """

    action: str
    status: str
    step_id: str | None = None
    message_id: str | None = None
    created_at: str | None = None
    updated_at: str | None = None

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> RunStep:
        """Read one item of a run's steps; unknown keys are ignored (a missing action or
        status reads as ``""``)."""
        return cls(
            action=_text(data, "action") or "",
            status=_text(data, "status") or "",
            step_id=_text(data, "step_id"),
            message_id=_text(data, "message_id"),
            created_at=_text(data, "created_at"),
            updated_at=_text(data, "updated_at"),
        )


@attrs.frozen(slots=True)
class AutomationTemplate:
    """One saved automation template, as ``GET /automations`` lists it.

    Attributes:
        id: the template's id (what [`CourierClient.invoke_template`][] takes).
        name: its name in Courier's designer.
        version: ``published`` or ``draft`` (kept as given).
        created_at: when it was created (ISO 8601), if given.
        updated_at: when it was last changed (ISO 8601), if given.

    Examples:
        >>> t = AutomationTemplate.from_wire({"id": "onboarding", "name": "Onboarding",
        ...                                   "version": "published"})
        >>> t.id, t.version
        ('onboarding', 'published')
    """

    id: str
    name: str = ""
    version: str | None = None
    created_at: str | None = None
    updated_at: str | None = None

    @classmethod
    def from_wire(
        cls, data: Mapping[str, Any], *, endpoint: str = "GET /automations", code: int = 200
    ) -> AutomationTemplate:
        """Read one item of a templates list; unknown keys are ignored.

        Raises:
            CourierAPIError: the item has no string ``id``.
        """
        return cls(
            id=_item_id(data, "id", endpoint, code),
            name=_text(data, "name") or "",
            version=_text(data, "version"),
            created_at=_text(data, "createdAt", "created_at"),
            updated_at=_text(data, "updatedAt", "updated_at"),
        )
