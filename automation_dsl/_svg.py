"""Pictures: an automation and a timeline drawn as self-contained SVG.

[`Automation.to_svg`][automation_dsl.Automation.to_svg] draws the steps top to bottom:
conditions as guards on the steps they gate, delays as gaps labelled with their time, refs
as arrows from the step that sets them to the steps that read them, the cancelation token
and the cancel steps marked. [`Timeline.to_svg`][automation_dsl.Timeline.to_svg] draws one
lane per run on a time axis that stays readable from minutes to months (`TimeScale`), and
aggregates many runs into sends per template over time.

The SVG is text only: no script, no link, no font or image from anywhere; text and lines
are ``currentColor`` (the page's text colour), fills are mid-tone and translucent, with a
``prefers-color-scheme: dark`` rule, so a picture reads in light and dark themes alike.
Every text is escaped (lone surrogates and control characters replaced) and truncated;
the number of steps, lanes and marks drawn is capped, and the picture says what it left out.

Examples:
    >>> from automation_dsl import Automation
    >>> svg = flow_svg(Automation().send("WELCOME").delay(days=2).send("NUDGE"))
    >>> svg.startswith("<svg") and "wait 2 days" in svg
    True
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape as _xml_escape

from ._errors import ValidationError, ValidationTypeError
from ._localtime import LocalTime
from ._ref import Ref
from ._steps import Cancel, Delay, Step
from ._time import UntilFormat, format_until
from .conditions import Condition, Path, as_condition, parse

if TYPE_CHECKING:
    from ._steps import AutomationLike
    from ._timeline import Event


MAX_STEPS = 200
"""Steps drawn by `flow_svg`; the rest are counted in a last line."""
MAX_LANES = 30
"""Runs drawn as lanes by `timeline_svg`; more runs are aggregated."""
MAX_MARKS = 1500
"""Events drawn as marks by `timeline_svg`; the rest are counted in a last line."""
MAX_NOTES = 12
"""Note lines printed above a flow."""
MAX_TEXT = 60
"""Characters of a label before it is truncated with an ellipsis."""

_CONTROL = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]"
)
"""Control characters, bidi overrides (they would reorder the text after them), lone
surrogates and non-characters: replaced in every label."""
_ATTR = {'"': "&quot;", "'": "&#x27;"}


def clean(text: object, limit: int = MAX_TEXT) -> str:
    """``text`` as one printable line: control characters, bidi overrides and lone surrogates
    replaced by
    U+FFFD, whitespace runs as one space, cut to ``limit`` characters with an ellipsis.

    Examples:
        >>> clean("a\\nb\\x00c" + "x" * 80, 10)
        'a b\\ufffdcxxxx…'
    """
    line = " ".join(_CONTROL.sub("\ufffd", str(text)).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def esc(text: object, limit: int = MAX_TEXT) -> str:
    """`clean` text escaped for XML text and attribute values alike.

    Examples:
        >>> esc('<script>"&"</script>')
        '&lt;script&gt;&quot;&amp;&quot;&lt;/script&gt;'
    """
    return _xml_escape(clean(text, limit), _ATTR)


# -- the frame: style, title, size ------------------------------------------------------------

_PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#59a14f",
    "#b07aa1",
    "#76b7b2",
    "#edc948",
    "#e15759",
    "#9c755f",
)
"""Mid-tone colours, readable on white and on a dark background (templates, ref arrows)."""

_STYLE = """<style>
.adsl-pic{font:12px ui-sans-serif,system-ui,sans-serif;color:inherit}
.adsl-pic text{fill:currentColor}
.adsl-pic .mono{font-family:ui-monospace,SFMono-Regular,Menlo,monospace}
.adsl-pic .muted{fill-opacity:.7}
.adsl-pic .box{fill:rgba(78,121,167,.16);stroke:currentColor;stroke-opacity:.55}
.adsl-pic .guard{fill:rgba(237,201,72,.28);stroke:#b8860b}
.adsl-pic .cancel{fill:rgba(225,87,89,.18);stroke:#e15759;stroke-width:2}
.adsl-pic .token{fill:rgba(225,87,89,.12);stroke:#e15759}
.adsl-pic .wait{fill:rgba(127,127,127,.28);stroke:currentColor;stroke-opacity:.4}
.adsl-pic .line{stroke:currentColor;stroke-opacity:.45;fill:none}
.adsl-pic .gap{stroke:currentColor;stroke-opacity:.5;stroke-dasharray:4 4;fill:none}
.adsl-pic .hot{stroke-width:3;stroke-opacity:1}
.adsl-pic .dim{opacity:.35}
.adsl-pic .bad{fill:#e15759;stroke:#e15759}
.adsl-pic .lane{fill:rgba(127,127,127,.07)}
@media (prefers-color-scheme:dark){
.adsl-pic .box{fill:rgba(120,160,210,.22)}
.adsl-pic .guard{fill:rgba(237,201,72,.2);stroke:#edc948}
.adsl-pic .wait{fill:rgba(200,200,200,.25)}
.adsl-pic .bad{fill:#ff7b7d;stroke:#ff7b7d}
.adsl-pic .cancel{stroke:#ff7b7d}
}
</style>"""


def _frame(width: float, height: float, title: str, body: Sequence[str]) -> str:
    """The whole picture: an ``<svg>`` with a role, a title, the style and ``body``."""
    width, height = math.ceil(width), math.ceil(height)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="adsl-pic" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'style="max-width:100%;height:auto">'
        f"<title>{esc(title, 200)}</title>{_STYLE}{''.join(body)}</svg>"
    )


def _text(
    x: float, y: float, text: object, *, cls: str = "", limit: int = MAX_TEXT, **attrs: Any
) -> str:
    extra = "".join(f' {name.replace("_", "-")}="{value}"' for name, value in attrs.items())
    klass = f' class="{cls}"' if cls else ""
    return f'<text x="{x:.1f}" y="{y:.1f}"{klass}{extra}>{esc(text, limit)}</text>'


# -- the automation ---------------------------------------------------------------------------


def condition_text(step: Step) -> str | None:
    condition = step.if_
    if condition is None:
        return None
    return condition if isinstance(condition, str) else condition.to_js()


def refs_read(step: Step) -> set[str]:
    """The refs a step reads: in its condition (typed, or a string the condition grammar
    reads; see `automation_dsl.conditions.parse`) and in its ``$ref`` values rooted at ``refs``.

    Examples:
        >>> from automation_dsl import Ref, Send
        >>> sorted(refs_read(Send(template=Ref("refs.user.tpl"),
        ...                       if_="refs.welcome.status === 'SENT'")))
        ['user', 'welcome']
    """
    names: set[str] = set()
    condition = step.if_
    if isinstance(condition, str):
        condition = parse(condition)
    if isinstance(condition, Condition | Path):
        names |= as_condition(condition).refs_read()
    _wire_refs(step.to_wire(), names)
    return names


def _wire_refs(value: Any, names: set[str]) -> None:
    if isinstance(value, Mapping):
        path = value.get("$ref") if len(value) == 1 else None
        if isinstance(path, str) and path.startswith("refs."):
            names.add(path.split(".")[1])
            return
        for item in value.values():
            _wire_refs(item, names)
    elif isinstance(value, list):
        for item in value:
            _wire_refs(item, names)


def delay_text(step: Delay) -> str:
    """A delay's label: ``wait 2 days``, ``until 2024-04-08T08:00:00.000Z``,
    ``until 09:00 in profile.timezone (else UTC)``, ``wait $ref data.wait``."""
    if isinstance(step.until, LocalTime):
        return f"until {step.until.describe()}"
    if isinstance(step.until, datetime):
        return f"until {format_until(step.until, UntilFormat.EXTENDED)}"
    if isinstance(step.until, Ref):
        return f"until $ref {step.until.path}"
    if isinstance(step.duration, Ref):
        return f"wait $ref {step.duration.path}"
    return f"wait {step.duration}"


def step_text(step: Step) -> str:
    """A step's key fields as one line (the tables' ``details``).

    Examples:
        >>> from automation_dsl import Send
        >>> step_text(Send(template="A", recipient="u1"))
        'template=A recipient=u1'
    """
    from ._render import details  # lazy: _render draws its tables' pictures through here

    pairs = [f"{name}={value}" for name, value in details(step)]
    return " ".join(pairs) or step.action


def _check_highlight(highlight: Iterable[int], count: int) -> frozenset[int]:
    owner = "Automation.to_svg"
    if isinstance(highlight, str | bytes) or not isinstance(highlight, Iterable):
        raise ValidationTypeError(owner, "highlight", "an iterable of step indexes", highlight)
    chosen = []
    for index in highlight:
        if not isinstance(index, int) or isinstance(index, bool):
            raise ValidationTypeError(owner, "highlight", "step indexes (int)", index)
        if not 0 <= index < count:
            raise ValidationError(owner, "highlight", f"step indexes from 0 to {count - 1}", index)
        chosen.append(index)
    return frozenset(chosen)


def _check_notes(notes: Sequence[str], title: str | None) -> None:
    owner = "Automation.to_svg"
    if isinstance(notes, str | bytes) or not isinstance(notes, Sequence):
        raise ValidationTypeError(owner, "notes", "a sequence of strings", notes)
    for note in notes:
        if not isinstance(note, str):
            raise ValidationTypeError(owner, "notes", "strings", note)
    if title is not None and not isinstance(title, str):
        raise ValidationTypeError(owner, "title", "a string or None", title)


_WIDTH = 760
_BOX_X, _BOX_W, _BOX_H = 44, 560, 30
_GUARD_H, _GAP_H, _STEP_GAP = 20, 38, 14


def flow_svg(
    automation: AutomationLike,
    *,
    highlight: Iterable[int] = (),
    notes: Sequence[str] = (),
    title: str | None = None,
) -> str:
    """An automation as SVG (what [`Automation.to_svg`][] returns).

    Examples:
        >>> from automation_dsl import Automation
        >>> flow = Automation().send("A", ref="a").send("B", if_="refs.a.status === 'SENT'")
        >>> svg = flow_svg(flow, highlight=[0], notes=["data.x is set"])
        >>> "refs.a" in svg and "data.x is set" in svg and 'class="dim"' in svg
        True
    """
    steps = automation.steps
    hot = _check_highlight(highlight, len(steps))
    _check_notes(notes, title)
    shown = steps[:MAX_STEPS]
    body: list[str] = []
    y = 10.0
    for note in notes[:MAX_NOTES]:
        body.append(_text(8, y + 12, note, cls="mono", limit=100))
        y += 17
    if len(notes) > MAX_NOTES:
        body.append(_text(8, y + 12, f"… {len(notes) - MAX_NOTES} more notes", cls="muted"))
        y += 17
    if notes:
        y += 6
    token = automation.cancelation_token
    if token is not None:
        shown_token = f"$ref {token.path}" if isinstance(token, Ref) else str(token)
        body.append(
            f'<rect class="token" x="{_BOX_X}" y="{y:.1f}" width="{_BOX_W}" height="24" rx="12"/>'
        )
        body.append(_text(_BOX_X + 12, y + 16, f"⊘ cancelation token: {shown_token}"))
        y += 36
    tops: dict[int, float] = {}
    previous_bottom: float | None = None
    for index, step in enumerate(shown):
        dim = bool(hot) and index not in hot
        group = '<g class="dim">' if dim else "<g>"
        parts = [group]
        condition = condition_text(step)
        if previous_bottom is not None and y > previous_bottom:
            mid = _BOX_X + _BOX_W / 2
            parts.append(f'<path class="line" d="M{mid} {previous_bottom:.1f}V{y:.1f}"/>')
        if isinstance(step, Delay):
            top = y
            if condition is not None:
                parts.append(_guard(top, condition))
                top += _GUARD_H + 4
            mid = _BOX_X + _BOX_W / 2
            cls = "gap hot" if index in hot else "gap"
            parts.append(f'<path class="{cls}" d="M{mid} {top:.1f}V{top + _GAP_H:.1f}"/>')
            parts.append(_text(mid + 12, top + _GAP_H / 2 + 4, delay_text(step)))
            parts.append(_text(8, top + _GAP_H / 2 + 4, index, cls="muted"))
            tops[index] = top + _GAP_H / 2
            y = previous_bottom = top + _GAP_H
        else:
            top = y
            if condition is not None:
                parts.append(_guard(top, condition))
                top += _GUARD_H
            cls = "cancel" if isinstance(step, Cancel) else "box"
            if index in hot:
                cls += " hot"
            parts.append(
                f'<rect class="{cls}" x="{_BOX_X}" y="{top:.1f}" width="{_BOX_W}" '
                f'height="{_BOX_H}" rx="5"><title>{esc(step_text(step), 500)}</title></rect>'
            )
            mark = "⊘ " if isinstance(step, Cancel) else ""
            parts.append(_text(8, top + 20, index, cls="muted"))
            room = 58 if not step.ref else 58 - min(len(step.ref), 16) - 5
            parts.append(
                f'<text x="{_BOX_X + 10}" y="{top + 20:.1f}"><tspan font-weight="600">'
                f"{esc(mark + step.action, 20)}</tspan> "
                f'<tspan class="mono">{esc(step_text(step), room)}</tspan></text>'
            )
            if step.ref:
                parts.append(
                    _text(
                        _BOX_X + _BOX_W - 8,
                        top + 20,
                        f"ref={step.ref}",
                        cls="mono",
                        limit=20,
                        text_anchor="end",
                        font_weight="600",
                    )
                )
            tops[index] = top + _BOX_H / 2
            y = top + _BOX_H
            previous_bottom = y
            y += _STEP_GAP
        parts.append("</g>")
        body.extend(parts)
    arrows, lanes = _ref_arrows(shown, tops)
    body.extend(arrows)
    if len(steps) > MAX_STEPS:
        body.append(
            _text(
                8,
                y + 16,
                f"… {len(steps) - MAX_STEPS} more steps not drawn ({len(steps)} in all)",
                cls="muted",
            )
        )
        y += 24
    width = max(_WIDTH, _BOX_X + _BOX_W + 40 + 18 * lanes)
    # a title with nothing printable (blank, or only control characters) names nothing
    name = title if title and clean(title, 200).strip() else f"Automation: {len(steps)} steps"
    return _frame(width, y + 12, name, body)


def _guard(top: float, condition: str) -> str:
    """A step's condition as a tab on top of the step it gates."""
    return (
        f'<path class="guard" d="M{_BOX_X + 6} {top + _GUARD_H:.1f}L{_BOX_X + 14} {top:.1f}'
        f'H{_BOX_X + _BOX_W - 14}L{_BOX_X + _BOX_W - 6} {top + _GUARD_H:.1f}z">'
        f"<title>if {esc(condition, 1000)}</title></path>"
        + _text(_BOX_X + 20, top + 14, f"if {condition}", cls="mono", limit=62)
    )


def _ref_arrows(steps: Sequence[Step], tops: Mapping[int, float]) -> tuple[list[str], int]:
    """Arrows on the right, from each step that sets a ref to the later steps reading it."""
    setters: dict[str, int] = {}
    out: list[str] = []
    edges: list[tuple[int, int, str]] = []
    for index, step in enumerate(steps):
        for name in sorted(refs_read(step)):
            if name in setters:
                edges.append((setters[name], index, name))
        if step.ref:
            setters[step.ref] = index
    by_name: dict[str, int] = {}
    labelled: set[str] = set()
    for source, target, name in edges:
        if name not in by_name:
            by_name[name] = len(by_name)
        lane = by_name[name]
        colour = _PALETTE[lane % len(_PALETTE)]
        x0 = _BOX_X + _BOX_W
        x = x0 + 24 + 18 * lane
        y0, y1 = tops[source], tops[target]
        out.append(
            f'<path d="M{x0} {y0:.1f}H{x}V{y1:.1f}H{x0 + 2}" fill="none" stroke="{colour}" '
            f'stroke-width="1.6"><title>refs.{esc(name)}: step {source} → step {target}'
            f"</title></path>"
            f'<path d="M{x0 + 2} {y1:.1f}l8 -4v8z" fill="{colour}"/>'
        )
        if name not in labelled:
            labelled.add(name)
            mid = (y0 + y1) / 2
            out.append(
                _text(
                    x - 4,
                    mid,
                    f"refs.{name}",
                    cls="mono",
                    limit=24,
                    font_size="10",
                    text_anchor="middle",
                    transform=f"rotate(-90 {x - 4} {mid:.1f})",
                )
            )
    return out, len(by_name)


# -- the timeline -----------------------------------------------------------------------------

_MINUTE = 60.0
_BREAK = 3600.0
"""Stretches of at least an hour are drawn with a break mark labelled with their length."""


def span_text(seconds: float) -> str:
    """A stretch of time, short: ``45 s``, ``20 min``, ``2 h 30 min``, ``3 days``, ``≈4 months``.

    Examples:
        >>> span_text(90), span_text(9000), span_text(3 * 86400), span_text(120 * 86400)
        ('1 min', '2 h 30 min', '3 days', '≈4 months')
    """
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h" + (f" {rest} min" if rest else "")
    days = hours // 24
    if days < 60:
        return f"{days} days" if not hours % 24 else f"{days} days {hours % 24} h"
    return f"≈{round(days / 30)} months" if days < 730 else f"≈{days / 365:.1f} years"


class TimeScale:
    """Where an instant goes on the time axis: readable when spans range from minutes to months.

    The axis is piecewise linear between the moments something happens. Each stretch
    between two consecutive moments is ``log2(1 + minutes)`` units wide (plus a hair, so
    that seconds apart stay apart): a minute is 1 unit, an hour 5.9, a day 10.5, a month
    15.4. So a two-minute burst and a two-week wait share one picture, and order and
    rough length stay visible. `breaks` are the stretches of an hour or more, drawn as a
    break in the axis labelled with their length.

    Examples:
        >>> from datetime import UTC, datetime, timedelta
        >>> start = datetime(2024, 1, 1, tzinfo=UTC)
        >>> scale = TimeScale([start, start + timedelta(minutes=1), start + timedelta(days=30)],
        ...                   left=0, width=100)
        >>> [round(scale.x(start + timedelta(minutes=m))) for m in (0, 1, 30 * 1440)]
        [0, 6, 100]
        >>> [span_text(seconds) for _, _, seconds in scale.breaks]
        ['29 days 23 h']
    """

    __slots__ = ("_after_breaks", "_cum", "_times", "breaks", "left", "width")

    def __init__(self, moments: Iterable[datetime], *, left: float, width: float) -> None:
        self._times = sorted({moment.timestamp() for moment in moments})
        self.left, self.width = left, width
        cum = [0.0]
        for before, after in zip(self._times, self._times[1:], strict=False):
            cum.append(cum[-1] + 0.02 + math.log2(1 + (after - before) / _MINUTE))
        total = cum[-1] or 1.0
        self._cum = [left + width * value / total for value in cum]
        self._after_breaks = [
            i + 1
            for i, (before, after) in enumerate(zip(self._times, self._times[1:], strict=False))
            if after - before >= _BREAK
        ]
        self.breaks: list[tuple[float, float, float]] = [
            (self._cum[i - 1], self._cum[i], self._times[i] - self._times[i - 1])
            for i in self._after_breaks
        ]
        """Each stretch of an hour or more: its left and right x and its length in seconds."""

    def x(self, moment: datetime) -> float:
        """The x of ``moment`` (clamped to the axis)."""
        times = self._times
        if len(times) < 2:
            return self.left
        t = moment.timestamp()
        i = min(max(bisect_left(times, t) - 1, 0), len(times) - 2)
        if t <= times[0]:
            return self._cum[0]
        if t >= times[-1]:
            return self._cum[-1]
        if times[i + 1] <= t:
            i += 1
        share = (t - times[i]) / (times[i + 1] - times[i])
        return self._cum[i] + share * (self._cum[i + 1] - self._cum[i])

    def labels(self) -> list[tuple[float, datetime]]:
        """The moments to print under the axis: the first, each one after a break, the last;
        none closer than 90 px to the one before."""
        if not self._times:
            return []

        chosen = [0, *self._after_breaks, len(self._times) - 1]
        out: list[tuple[float, datetime]] = []
        for index in sorted(set(chosen)):
            x = self._cum[index]
            if out and x - out[-1][0] < 90:
                continue
            out.append((x, datetime.fromtimestamp(self._times[index], UTC)))
        return out


_LEFT, _AXIS_W, _LANE_H = 130, 800, 40
_TL_WIDTH = _LEFT + _AXIS_W + 40


def _until(event: Event) -> datetime | None:
    text = event.detail.get("until")
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _runs(events: Sequence[Event]) -> dict[str, list[Event]]:
    runs: dict[str, list[Event]] = {}
    for event in events:
        runs.setdefault(event.run_id, []).append(event)
    return runs


def _template_colours(events: Iterable[Event]) -> dict[str, str]:
    counts = Counter(str(e.detail.get("template")) for e in events if e.outcome == "sent")
    return {name: _PALETTE[i % len(_PALETTE)] for i, (name, _) in enumerate(counts.most_common())}


def timeline_svg(events: Sequence[Event]) -> str:
    """A timeline as SVG (what [`Timeline.to_svg`][automation_dsl.Timeline.to_svg] returns).

    Examples:
        >>> from datetime import UTC, datetime
        >>> from automation_dsl import Automation
        >>> timeline = Automation().send("A").delay(days=3).send("B").simulate(
        ...     start=datetime(2024, 1, 1, tzinfo=UTC), recipient="u1")
        >>> svg = timeline_svg(timeline)
        >>> ">A<" in svg and ">B<" in svg and "3 days" in svg
        True
    """
    runs = _runs(events)
    moments = [e.at for e in events]
    moments += [until for e in events if e.outcome == "waiting" and (until := _until(e))]
    scale = TimeScale(moments, left=_LEFT, width=_AXIS_W)
    if not events:
        return _frame(_TL_WIDTH, 40, "Timeline: no events", [_text(8, 24, "no events")])
    if len(runs) > MAX_LANES:
        body, height = _histogram(events, runs, scale)
        title = f"Timeline: {len(events)} events in {len(runs)} runs, aggregated"
    else:
        body, height = _lanes(events, runs, scale)
        title = f"Timeline: {len(events)} events in {len(runs)} run" + "s" * (len(runs) != 1)
    axis, height = _axis(scale, height)
    return _frame(_TL_WIDTH, height, title, body + axis)


def _axis(scale: TimeScale, top: float) -> tuple[list[str], float]:
    y = top + 6
    out = [f'<path class="line" d="M{scale.left} {y}H{scale.left + scale.width}"/>']
    for left, right, seconds in scale.breaks:
        mid = (left + right) / 2
        out.append(f'<path class="line" d="M{mid - 5} {y + 6}l4 -12M{mid + 1} {y + 6}l4 -12"/>')
        if right - left > 36:
            out.append(
                _text(
                    mid,
                    y - 4,
                    f"+{span_text(seconds)}",
                    cls="muted",
                    text_anchor="middle",
                    font_size="10",
                )
            )
    labels = scale.labels()
    same_day = len({moment.date() for _, moment in labels}) == 1
    for number, (x, moment) in enumerate(labels):
        fmt = "%H:%M" if same_day and number else "%Y-%m-%d %H:%M" if not number else "%m-%d %H:%M"
        out.append(f'<path class="line" d="M{x:.1f} {y}v5"/>')
        anchor = (
            "start" if number == 0 else "end" if x > scale.left + scale.width - 40 else "middle"
        )
        out.append(_text(x, y + 17, moment.strftime(fmt), text_anchor=anchor, font_size="10"))
    out.append(_text(8, y + 17, "time (UTC)", cls="muted", font_size="10"))
    return out, y + 28


def _lanes(
    events: Sequence[Event], runs: Mapping[str, list[Event]], scale: TimeScale
) -> tuple[list[str], float]:
    colours = _template_colours(events)
    out: list[str] = []
    drawn = 0
    y = 8.0
    for number, (run_id, run_events) in enumerate(runs.items(), 1):
        mid = y + _LANE_H / 2 + 6
        out.append(f'<rect class="lane" x="0" y="{y:.1f}" width="{_TL_WIDTH}" height="{_LANE_H}"/>')
        first = next((e for e in run_events if e.outcome == "started"), None)
        name = first.detail.get("template_id") if first is not None else None
        out.append(
            f'<text x="8" y="{mid + 4:.1f}"><title>{esc(run_id, 200)}</title>'
            f'#{number} <tspan class="mono muted">{esc(name or run_id, 14)}</tspan></text>'
        )
        x0, x1 = scale.x(run_events[0].at), scale.x(run_events[-1].at)
        out.append(f'<path class="line" d="M{x0:.1f} {mid:.1f}H{x1:.1f}"/>')
        marks, drawn = _marks(run_events, scale, mid, colours, drawn)
        out.extend(marks)
        y += _LANE_H + 4
    if drawn >= MAX_MARKS:
        left = len(events) - drawn
        out.append(
            _text(8, y + 14, f"… {left} more events not drawn ({len(events)} in all)", cls="muted")
        )
        y += 20
    return out, y


def _marks(
    run: Sequence[Event], scale: TimeScale, mid: float, colours: Mapping[str, str], drawn: int
) -> tuple[list[str], int]:
    """One run's events: waits as bars, sends as dots labelled by template, flags."""
    out: list[str] = []
    end = next((e.at for e in run if e.outcome in ("canceled", "error") and e.step is None), None)
    last_label = -1e9
    for event in run:
        if drawn >= MAX_MARKS:
            break
        drawn += 1
        x = scale.x(event.at)
        tip = f"{event.at:%Y-%m-%d %H:%M:%S}Z step {event.step} {event.action} {event.outcome}"
        if event.outcome == "waiting":
            resumed = next(
                (
                    e.at
                    for e in run
                    if e.outcome == "resumed" and e.step == event.step and e.at >= event.at
                ),
                None,
            )
            until = resumed or end or _until(event) or event.at
            right = scale.x(until)
            out.append(
                f'<rect class="wait" x="{x:.1f}" y="{mid - 5:.1f}" width="{max(right - x, 2):.1f}" '
                f'height="10" rx="3"><title>{esc(tip, 200)} until {esc(event.detail.get("until"))}'
                f"</title></rect>"
            )
        elif event.outcome == "sent":
            template = str(event.detail.get("template"))
            out.append(
                f'<circle cx="{x:.1f}" cy="{mid:.1f}" r="5" fill="{colours.get(template, "#888")}" '
                f'stroke="currentColor" stroke-width=".8"><title>{esc(tip, 200)} '
                f"{esc(template, 200)}</title></circle>"
            )
            if x - last_label > 50:
                out.append(
                    _text(
                        x,
                        mid - 9,
                        template,
                        limit=14,
                        text_anchor="middle",
                        font_size="10",
                        cls="mono",
                    )
                )
                last_label = x
        elif event.outcome in ("canceled", "error"):
            sign = "✕ canceled" if event.outcome == "canceled" else "! error"
            if event.step is not None and event.outcome == "canceled":
                sign = "⊘ cancel"
            reason = event.detail.get("reason", "")
            out.append(
                f'<path class="bad" d="M{x - 5:.1f} {mid + 5:.1f}l5 -10l5 10z">'
                f"<title>{esc(tip, 200)} {esc(reason, 300)}</title></path>"
            )
            out.append(_text(x + 2, mid + 17, sign, font_size="10", font_weight="600"))
        elif event.outcome in ("skipped", "not-evaluated"):
            out.append(
                f'<circle cx="{x:.1f}" cy="{mid:.1f}" r="3" fill="none" stroke="currentColor" '
                f'stroke-opacity=".6"><title>{esc(tip, 200)} '
                f"{esc(event.detail.get('condition', ''), 300)}</title></circle>"
            )
        elif event.outcome == "completed":
            out.append(
                f'<path class="line" d="M{x:.1f} {mid - 7:.1f}v14"><title>'
                f"{esc(tip, 200)}</title></path>"
            )
    return out, drawn


def _histogram(
    events: Sequence[Event], runs: Mapping[str, list[Event]], scale: TimeScale
) -> tuple[list[str], float]:
    """Many runs: sends per template over time, stacked in bins of equal width."""
    bins, height, top = 60, 140.0, 48.0
    colours = _template_colours(events)
    shown = list(colours)[: len(_PALETTE) - 1]
    counts: list[Counter[str]] = [Counter() for _ in range(bins)]
    flags: Counter[str] = Counter()
    for event in events:
        if event.outcome == "sent":
            slot = min(int((scale.x(event.at) - scale.left) / scale.width * bins), bins - 1)
            template = str(event.detail.get("template"))
            counts[slot][template if template in shown else "other"] += 1
        elif event.outcome in ("canceled", "error") and event.step is None:
            flags[event.outcome] += 1
    sends = sum(sum(c.values()) for c in counts)
    peak = max((sum(c.values()) for c in counts), default=0) or 1
    out = [
        _text(
            8,
            18,
            f"{len(runs)} runs, {sends} sends, {flags['canceled']} canceled, "
            f"{flags['error']} errors (more than {MAX_LANES} runs: sends per template over time)",
            limit=120,
        ),
        _text(_LEFT - 8, top + 10, peak, text_anchor="end", font_size="10", cls="muted"),
        _text(_LEFT - 8, top + height, 0, text_anchor="end", font_size="10", cls="muted"),
        f'<path class="line" d="M{_LEFT - 4} {top}H{_LEFT}V{top + height}"/>',
    ]
    x = float(_LEFT)
    for template in [*shown, "other"] if len(colours) > len(shown) else shown:
        out.append(
            f'<rect x="{x:.1f}" y="27" width="10" height="10" '
            f'fill="{colours.get(template, "#888")}"/>'
        )
        out.append(_text(x + 14, 36, template, limit=16, cls="mono", font_size="11"))
        x += 125
    width = scale.width / bins
    for slot, counter in enumerate(counts):
        base = top + height
        for template in [*shown, "other"]:
            count = counter.get(template, 0)
            if not count:
                continue
            h = height * count / peak
            base -= h
            out.append(
                f'<rect x="{scale.left + slot * width:.1f}" y="{base:.1f}" '
                f'width="{max(width - 1, 1):.1f}" height="{h:.1f}" '
                f'fill="{colours.get(template, "#888")}"><title>{esc(template)}: {count}'
                f"</title></rect>"
            )
    return out, top + height
