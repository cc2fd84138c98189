"""Showing automations and timelines to people: plain text and self-contained HTML.

The HTML is a table styled inline: no JavaScript, no stylesheet or font from a network,
colours that follow the notebook's theme (``currentColor`` and translucent fills read in
light and dark themes alike), and every value escaped.

Example:
    >>> from automation_dsl import Automation
    >>> print(Automation().send("WELCOME").delay(days=2).send("NUDGE").explain())
    #  action  details           when
    0  send    template=WELCOME  start
    1  delay   duration=2 days   start
    2  send    template=NUDGE    start + 2 days
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from html import escape
from typing import TYPE_CHECKING, Any

from ._json import thaw
from ._ref import Ref
from ._steps import (
    AddToBatch,
    AddToDigest,
    Cancel,
    Delay,
    FetchData,
    Invoke,
    RawStep,
    Send,
    SendList,
    SendMessage,
    Step,
    Throttle,
    UpdateProfile,
)
from ._time import UntilFormat, format_until

if TYPE_CHECKING:
    from ._automation import Automation
    from ._simulate import Event

_UNITS = {
    "minute": 60,
    "hour": 3600,
    "day": 86400,
    "week": 604800,
    "month": 2592000,
    "year": 31536000,
}


def _value(value: Any) -> str:
    if isinstance(value, Ref):
        return f"$ref:{value.path}"
    if isinstance(value, datetime):
        return format_until(value, UntilFormat.EXTENDED)
    return str(thaw(value)) if not isinstance(value, str) else value


def details(step: Step) -> list[tuple[str, str]]:
    """The few fields that say what a step does, as (name, text) pairs."""
    pairs: list[tuple[str, Any]]
    if isinstance(step, Send):
        pairs = [("template", step.template), ("recipient", step.recipient), ("data", step.data)]
    elif isinstance(step, SendMessage):
        pairs = [("message", step.message)]
    elif isinstance(step, SendList):
        pairs = [("list", step.list), ("template", step.template)]
    elif isinstance(step, Delay):
        pairs = [("until", step.until), ("duration", step.duration)]
    elif isinstance(step, Cancel):
        pairs = [("token", step.cancelation_token)]
    elif isinstance(step, Invoke):
        pairs = [("template", step.template)]
    elif isinstance(step, UpdateProfile):
        pairs = [
            ("recipient_id", step.recipient_id),
            ("merge", step.merge),
            ("profile", step.profile),
        ]
    elif isinstance(step, FetchData):
        webhook = step.webhook
        pairs = [
            ("webhook", f"{webhook.method} {_value(webhook.url)}"),  # type: ignore[union-attr]
            ("merge", step.merge_strategy),
        ]
    elif isinstance(step, AddToBatch):
        pairs = [("wait", step.wait_period), ("max_wait", step.max_wait_period)]
    elif isinstance(step, AddToDigest):
        pairs = [("topic", step.subscription_topic_id)]
    elif isinstance(step, Throttle):
        pairs = [("max", step.max_allowed), ("per", step.period), ("scope", step.scope)]
    elif isinstance(step, RawStep):
        pairs = [(key, value) for key, value in step.body.items() if key != "action"]
    else:  # pragma: no cover - every step class is listed above
        pairs = []
    return [(name, _value(value)) for name, value in pairs if value is not None]


def _duration_seconds(text: str) -> int | None:
    count, _, unit = text.partition(" ")
    seconds = _UNITS.get(unit.rstrip("s"))
    return None if seconds is None or not count.isdigit() else int(count) * seconds


def _span(seconds: int) -> str:
    for unit in ("week", "day", "hour", "minute"):
        size = _UNITS[unit]
        if seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}" + ("s" if count != 1 else "")
    return f"{seconds} s"  # pragma: no cover - durations are whole minutes


def schedule(steps: Sequence[Step]) -> list[str]:
    """When each step runs, relative to the start or to the last absolute ``until``."""
    anchor, offset, unknown = "start", 0, False
    out = []
    for step in steps:
        when = anchor if not offset else f"{anchor} + {_span(offset)}"
        out.append(f"{when} + ?" if unknown else when)
        if isinstance(step, Delay):
            if isinstance(step.until, datetime):
                anchor, offset, unknown = format_until(step.until, UntilFormat.EXTENDED), 0, False
            elif (
                isinstance(step.duration, str)
                and (seconds := _duration_seconds(step.duration)) is not None
            ):
                offset += seconds
            else:
                unknown = True  # a $ref: known only when the run executes
    return out


def _rows(automation: Automation) -> list[tuple[str, str, list[tuple[str, str]], str, str]]:
    rows = []
    for index, (step, when) in enumerate(
        zip(automation.steps, schedule(automation.steps), strict=True)
    ):
        badges = []
        if step.if_ is not None:
            badges.append(f"if {step.if_}")
        if step.ref:
            badges.append(f"ref {step.ref}")
        rows.append((str(index), step.action, details(step), when, "  ".join(badges)))
    return rows


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    rows = [list(header), *[list(row) for row in rows]]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def explain(automation: Automation) -> str:
    """A plain-text table of an automation's steps, for terminals and logs."""
    rows = []
    for index, action, pairs, when, badges in _rows(automation):
        text = " ".join(f"{name}={value}" for name, value in pairs)
        rows.append([index, action, f"{text}  [{badges}]" if badges else text, when])
    title = ""
    if automation.cancelation_token is not None:
        title = f"cancelation_token={_value(automation.cancelation_token)}\n"
    return title + _table(["#", "action", "details", "when"], rows)


# -- HTML -----------------------------------------------------------------------------------

_STYLE_TABLE = "border-collapse:collapse;font-family:inherit;font-size:13px;color:inherit"
_STYLE_HEAD = (
    "text-align:left;padding:4px 10px;border-bottom:2px solid currentColor;font-weight:600"
)
_STYLE_CELL = (
    "text-align:left;vertical-align:top;padding:4px 10px;"
    "border-bottom:1px solid rgba(127,127,127,0.35)"
)
_STYLE_ACTION = (
    "display:inline-block;padding:1px 7px;border-radius:9px;"
    "background:rgba(66,133,244,0.18);font-family:monospace"
)
_STYLE_BADGE = (
    "display:inline-block;margin:1px 4px 1px 0;padding:0 6px;border-radius:8px;"
    "border:1px solid rgba(127,127,127,0.6);font-family:monospace;font-size:12px"
)
_STYLE_CAPTION = "caption-side:top;text-align:left;padding:4px 0;font-weight:600"


def _html_table(caption: str, header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    head = "".join(f'<th style="{_STYLE_HEAD}">{escape(cell)}</th>' for cell in header)
    body = "".join(
        "<tr>" + "".join(f'<td style="{_STYLE_CELL}">{cell}</td>' for cell in row) + "</tr>"
        for row in rows
    )
    return (
        f'<table style="{_STYLE_TABLE}"><caption style="{_STYLE_CAPTION}">{escape(caption)}'
        f"</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def _pairs_html(pairs: Sequence[tuple[str, str]]) -> str:
    return "<br>".join(
        f"<code>{escape(name)}</code>=<code>{escape(value)}</code>" for name, value in pairs
    )


def automation_html(automation: Automation) -> str:
    """A self-contained HTML table of an automation (for Jupyter's ``_repr_html_``)."""
    rows = []
    for index, action, pairs, when, _ in _rows(automation):
        step = automation.steps[int(index)]
        badges = []
        if step.if_ is not None:
            badges.append(f'<span style="{_STYLE_BADGE}">if {escape(str(step.if_))}</span>')
        if step.ref:
            badges.append(f'<span style="{_STYLE_BADGE}">ref {escape(step.ref)}</span>')
        rows.append(
            [
                escape(index),
                f'<span style="{_STYLE_ACTION}">{escape(action)}</span>',
                _pairs_html(pairs),
                "".join(badges),
                escape(when),
            ]
        )
    caption = f"Automation: {len(automation)} step" + ("s" if len(automation) != 1 else "")
    if automation.cancelation_token is not None:
        caption += f", cancelation token {_value(automation.cancelation_token)}"
    return _html_table(caption, ["#", "action", "details", "if / ref", "when"], rows)


def timeline_html(events: Sequence[Event], caption: str = "Timeline") -> str:
    """A self-contained HTML table of simulated events."""
    numbers: dict[str, int] = {}
    rows = []
    for event in events:
        number = numbers.setdefault(event.run_id, len(numbers) + 1)
        pairs = [(key, _value(value)) for key, value in event.detail.items() if value is not None]
        rows.append(
            [
                escape(event.at.strftime("%Y-%m-%d %H:%M:%SZ")),
                escape(f"#{number}"),
                "-" if event.step is None else escape(str(event.step)),
                f'<span style="{_STYLE_ACTION}">{escape(event.action)}</span>',
                escape(event.outcome),
                _pairs_html(pairs),
            ]
        )
    return _html_table(
        f"{caption}: {len(events)} events",
        ["time", "run", "step", "action", "outcome", "detail"],
        rows,
    )
