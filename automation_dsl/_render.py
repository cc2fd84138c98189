"""Showing automations and timelines to people: plain text and self-contained HTML.

One text-table writer (`text_table`) and one HTML-table writer (`html_table`)
draw every table the package shows: automations (``explain``, ``_repr_html_``), timelines
(``str``, ``_repr_html_``), sandbox runs and bulk results. What each step class shows is
one entry of ``_DETAILS``.

Each HTML view shows its picture (`automation_dsl._svg`) above the table. The HTML is a
table styled inline: no JavaScript, no stylesheet or font from a network,
colours that follow the notebook's theme (``currentColor`` and translucent fills read in
light and dark themes alike), and every value escaped.

Examples:
    >>> from automation_dsl import Automation
    >>> print(Automation().send("WELCOME").delay(days=2).send("NUDGE").explain())
    #  action  details           when
    0  send    template=WELCOME  start
    1  delay   duration=2 days   start
    2  send    template=NUDGE    start + 2 days
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from html import escape
from typing import TYPE_CHECKING, Any

from ._bounded import bounded_repr, cut_text
from ._json import FrozenDict
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
from ._time import UntilFormat, duration_seconds, format_until, humanize

if TYPE_CHECKING:
    from ._automation import Automation
    from ._timeline import Event


VALUE_LIMIT = 300
"""About the most characters a table shows of one value (`automation_dsl._bounded`)."""
TABLE_LIMIT = 100_000
"""About the most characters of values one table shows before it shows each in `SHORT_LIMIT`."""
SHORT_LIMIT = 40


def _value(value: Any, limit: int = VALUE_LIMIT) -> str:
    """A value as a table shows it: strings bare, containers as their plain repr, all cut
    to about ``limit`` characters (the full value is in ``to_dict()``)."""
    if isinstance(value, Ref):
        return cut_text(f"$ref:{value.path}", limit)
    if isinstance(value, datetime):
        return format_until(value, UntilFormat.EXTENDED)
    if isinstance(value, str):
        return cut_text(value, limit)
    if isinstance(value, FrozenDict | tuple):
        return bounded_repr(value, limit)
    return cut_text(str(value), limit)


def _webhook(step: FetchData) -> str:
    webhook = step.webhook
    return f"{webhook.method} {_value(webhook.url)}"  # type: ignore[union-attr]


_DETAILS: dict[type[Step], Callable[[Any], list[tuple[str, Any]]]] = {
    Send: lambda s: [("template", s.template), ("recipient", s.recipient), ("data", s.data)],
    SendMessage: lambda s: [("message", s.message)],
    SendList: lambda s: [("list", s.list), ("template", s.template)],
    Delay: lambda s: [("until", s.until), ("duration", s.duration)],
    Cancel: lambda s: [("token", s.cancelation_token)],
    Invoke: lambda s: [("template", s.template)],
    UpdateProfile: lambda s: [
        ("recipient_id", s.recipient_id),
        ("merge", s.merge),
        ("profile", s.profile),
    ],
    FetchData: lambda s: [("webhook", _webhook(s)), ("merge", s.merge_strategy)],
    AddToBatch: lambda s: [("wait", s.wait_period), ("max_wait", s.max_wait_period)],
    AddToDigest: lambda s: [("topic", s.subscription_topic_id)],
    Throttle: lambda s: [("max", s.max_allowed), ("per", s.period), ("scope", s.scope)],
    RawStep: lambda s: [(key, value) for key, value in s.body.items() if key != "action"],
}
"""The few fields that say what each step class does."""


def details(step: Step, limit: int = VALUE_LIMIT) -> list[tuple[str, str]]:
    """The few fields that say what a step does, as (name, text) pairs, each value cut to
    about ``limit`` characters."""
    for cls in type(step).__mro__:  # a subclass shows as the step it extends
        fields = _DETAILS.get(cls)
        if fields is not None:
            pairs = fields(step)
            return [(name, _value(value, limit)) for name, value in pairs if value is not None]
    return []  # pragma: no cover - every step class is listed above


def _duration_seconds(text: str) -> int | None:
    """A Courier duration's length (``_time``), or ``None`` for one a run cannot wait."""
    try:
        return duration_seconds(text)
    except (ValueError, OverflowError):
        return None


def schedule(steps: Sequence[Step]) -> list[str]:
    """When each step runs, relative to the start or to the last absolute ``until``."""
    anchor, offset, unknown = "start", 0, False
    out = []
    for step in steps:
        when = anchor if not offset else f"{anchor} + {humanize(offset)}"
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
    shown = 0  # characters of values so far: past TABLE_LIMIT, each is cut shorter
    for index, (step, when) in enumerate(
        zip(automation.steps, schedule(automation.steps), strict=True)
    ):
        badges = []
        if step.if_ is not None:
            badges.append(f"if {cut_text(str(step.if_), VALUE_LIMIT)}")
        if step.ref:
            badges.append(f"ref {step.ref}")
        pairs = details(step, VALUE_LIMIT if shown < TABLE_LIMIT else SHORT_LIMIT)
        shown += sum(len(text) for _, text in pairs)
        rows.append((str(index), step.action, pairs, when, "  ".join(badges)))
    return rows


def text_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A plain-text table: columns padded to their widest cell, two spaces apart, no
    trailing spaces."""
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
    return title + text_table(["#", "action", "details", "when"], rows)


def _run_numbers(events: Iterable[Event]) -> list[str]:
    """``#1``, ``#2`` ...: each run numbered in the order it first appears."""
    numbers: dict[str, int] = {}
    return [f"#{numbers.setdefault(event.run_id, len(numbers) + 1)}" for event in events]


def timeline_text(events: Sequence[Event]) -> str:
    """A plain-text table of simulated events (``str(timeline)``)."""
    rows = []
    for event, number in zip(events, _run_numbers(events), strict=True):
        detail = " ".join(
            f"{key}={value}"
            for key, value in event.detail.items()
            if value is not None and key != "message_id"
        )
        rows.append(
            (
                event.at.strftime("%Y-%m-%d %H:%M:%SZ"),
                number,
                "-" if event.step is None else str(event.step),
                event.action,
                event.outcome,
                detail,
            )
        )
    return text_table(("time", "run", "step", "action", "outcome", "detail"), rows)


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


def html_table(caption: str, header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A self-contained, inline-styled HTML table; ``rows`` hold HTML already escaped."""
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
            condition = cut_text(str(step.if_), VALUE_LIMIT)
            badges.append(f'<span style="{_STYLE_BADGE}">if {escape(condition)}</span>')
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
    from ._svg import flow_svg  # the picture; it reads this module's step details

    return _picture(flow_svg(automation)) + html_table(
        caption, ["#", "action", "details", "if / ref", "when"], rows
    )


def _picture(svg: str) -> str:
    """An SVG picture above a table; its height is bounded, taller ones scroll."""
    return f'<div style="max-height:640px;overflow:auto;margin-bottom:8px">{svg}</div>'


def timeline_html(events: Sequence[Event], caption: str = "Timeline") -> str:
    """A self-contained HTML table of simulated events."""
    rows = []
    for event, number in zip(events, _run_numbers(events), strict=True):
        pairs = [(key, _value(value)) for key, value in event.detail.items() if value is not None]
        rows.append(
            [
                escape(event.at.strftime("%Y-%m-%d %H:%M:%SZ")),
                escape(number),
                "-" if event.step is None else escape(str(event.step)),
                f'<span style="{_STYLE_ACTION}">{escape(event.action)}</span>',
                escape(event.outcome),
                _pairs_html(pairs),
            ]
        )
    from ._svg import timeline_svg  # the picture; it reads this module's step details

    return _picture(timeline_svg(events)) + html_table(
        f"{caption}: {len(events)} events",
        ["time", "run", "step", "action", "outcome", "detail"],
        rows,
    )
