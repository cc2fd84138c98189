"""What Courier says about runs: ``GET /automations/runs`` and ``GET /automations/runs/{id}/steps``.

Examples:
    >>> run = AutomationRun.from_wire({"run_id": "1-abc", "status": "PROCESSED", "source": []})
    >>> run.run_id, run.status
    ('1-abc', 'PROCESSED')
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

__all__ = ["AutomationRun", "RunStep"]


def _text(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) else None


@attrs.frozen(slots=True)
class AutomationRun:
    """One automation run as Courier lists it.

    Attributes:
        run_id: the run's id, as ``invoke`` returned it.
        status: ``PROCESSING``, ``PROCESSED``, ``WAITING``, ``CANCELED``, ``ERROR``,
            ``THROTTLED`` or ``NOT PROCESSED`` (Courier adds values at times; kept as text).
        created_at: when the run started (ISO 8601), if given.
        template_id: the automation template of the run, if any.
        source: Courier's diagnostic provenance strings.

    Examples:
        >>> AutomationRun(run_id="1-abc", status="WAITING").status
        'WAITING'
    """

    run_id: str
    status: str | None = None
    created_at: str | None = None
    template_id: str | None = None
    source: tuple[str, ...] = ()

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> AutomationRun:
        """Read one item of a runs list; unknown keys are ignored."""
        source = data.get("source")
        return cls(
            run_id=str(data["run_id"]),
            status=_text(data, "status"),
            created_at=_text(data, "created_at"),
            template_id=_text(data, "template_id"),
            source=tuple(str(s) for s in source) if isinstance(source, list) else (),
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
        """Read one item of a run's steps; unknown keys are ignored."""
        return cls(
            action=str(data["action"]),
            status=str(data["status"]),
            step_id=_text(data, "step_id"),
            message_id=_text(data, "message_id"),
            created_at=_text(data, "created_at"),
            updated_at=_text(data, "updated_at"),
        )
