"""``Automation.diff``: what changed between two automations, step by step.

Steps are aligned by their action, template and ref (`difflib.SequenceMatcher`), so an
inserted step shows as one addition rather than as every later step changed. Two aligned
steps that differ show their changed fields (``data.user.name``: old -> new), each value
bounded (`automation_dsl._bounded`). The cancelation token, the ``until`` format and the
payload schemas are compared too.

Examples:
    >>> from automation_dsl import Automation
    >>> old = Automation().send("WELCOME").delay(days=1).send("NUDGE")
    >>> new = Automation().send("WELCOME").delay(days=2).send("NUDGE").send("LAST")
    >>> print(old.diff(new))
    --- old
    +++ new
    ~ [1] delay
        duration: '1 day' -> '2 days'
    + [3] .send('LAST')
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from difflib import SequenceMatcher
from typing import Any

import attrs

from ._bounded import bounded_repr, cut_text
from ._steps import AutomationLike, Step
from ._wire import show

__all__ = ["AutomationDiff", "FieldChange", "StepChange"]

MAX_FIELD_CHANGES = 20
"""The most field changes shown for one pair of steps; the rest are counted."""
MAX_LINES = 400
"""The most lines ``str(diff)`` shows; the rest are counted."""
_VALUE_LIMIT = 200  # characters of one old or new value
_MAX_DEPTH = 8  # levels of nesting a field change names before it shows the whole value
_MISSING = object()


@attrs.frozen(slots=True)
class FieldChange:
    """One field of an automation or a step that differs: its path, old and new value.

    ``old`` and ``new`` are bounded reprs (a missing value is ``None``).

    Examples:
        >>> FieldChange("data.name", "'Ann'", "'Anne'")
        FieldChange(path='data.name', old="'Ann'", new="'Anne'")
    """

    path: str
    old: str | None
    new: str | None

    def __str__(self) -> str:
        old = "(absent)" if self.old is None else self.old
        new = "(absent)" if self.new is None else self.new
        return f"{self.path}: {old} -> {new}"


@attrs.frozen(slots=True)
class StepChange:
    """A step added, removed or changed, with its index in the old and the new automation.

    Examples:
        >>> StepChange("added", None, 3, "send", ".send('LAST')")
        StepChange(kind='added', old_index=None, new_index=3, action='send', summary=".send('LAST')", fields=(), more=0)
    """  # noqa: E501 - a doctest output line

    kind: str
    """``"added"``, ``"removed"`` or ``"changed"``."""
    old_index: int | None
    new_index: int | None
    action: str
    summary: str
    """The step as its builder call, cut to 120 characters."""
    fields: tuple[FieldChange, ...] = ()
    more: int = 0
    """How many more fields changed than ``fields`` lists."""


@attrs.frozen(slots=True)
class AutomationDiff:
    """The difference between two automations: false when they are equal.

    ``str(diff)`` reads like a unified diff (``-`` removed, ``+`` added, ``~`` changed,
    indexes in brackets); a notebook shows a table. Use it in tests as
    ``assert not a.diff(b), a.diff(b)``: the failure message is the difference.

    Examples:
        >>> from automation_dsl import Automation
        >>> a = Automation().send("A")
        >>> bool(a.diff(a)), bool(a.diff(a.send("B")))
        (False, True)
        >>> a.diff(Automation("token").send("A")).to_records()
        [{'change': 'changed', 'old_index': None, 'new_index': None, 'action': None, 'field': 'cancelation_token', 'old': None, 'new': "'token'"}]
    """  # noqa: E501 - a doctest output line

    settings: tuple[FieldChange, ...] = ()
    """Changes of the automation itself: token, ``until_format``, schemas."""
    steps: tuple[StepChange, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.settings or self.steps)

    def __len__(self) -> int:
        return len(self.settings) + len(self.steps)

    def _lines(self) -> Iterator[str]:
        for change in self.settings:
            yield f"~ {change}"
        for step in self.steps:
            if step.kind == "added":
                yield f"+ [{step.new_index}] {step.summary}"
            elif step.kind == "removed":
                yield f"- [{step.old_index}] {step.summary}"
            else:
                moved = "" if step.old_index == step.new_index else f" -> [{step.new_index}]"
                yield f"~ [{step.old_index}]{moved} {step.action}"
                for field in step.fields:
                    yield f"    {field}"
                if step.more:
                    yield f"    ... {step.more:,} more changed fields"

    def __str__(self) -> str:
        if not self:
            return "no differences"
        lines = ["--- old", "+++ new"]
        for count, line in enumerate(self._lines()):
            if count == MAX_LINES:
                lines.append(f"... {sum(1 for _ in self._lines()) - count:,} more lines")
                break
            lines.append(line)
        return "\n".join(lines)

    def __repr__(self) -> str:
        counts = {kind: sum(s.kind == kind for s in self.steps) for kind in _KINDS}
        parts = [f"{n} {kind}" for kind, n in counts.items() if n]
        if self.settings:
            parts.append(f"{len(self.settings)} settings changed")
        head = f"<AutomationDiff: {', '.join(parts) or 'no differences'}>"
        return f"{head}\n{self}" if self else head  # pytest shows an assertion message's repr

    def to_records(self) -> list[dict[str, Any]]:
        """One plain dict per change (a changed step gives one per field), for tests and
        dataframes: ``change``, ``old_index``, ``new_index``, ``action``, ``field``,
        ``old``, ``new`` (values as bounded reprs, ``None`` when absent).

        Examples:
            >>> from automation_dsl import Automation
            >>> records = Automation().send("A").diff(Automation().send("B")).to_records()
            >>> [(r["change"], r["new_index"], r["field"], r["old"], r["new"]) for r in records]
            [('changed', 0, 'template', "'A'", "'B'")]
        """
        records = [
            _record("changed", None, None, None, f.path, f.old, f.new) for f in self.settings
        ]
        for step in self.steps:
            where = (step.old_index, step.new_index, step.action)
            if step.kind == "removed":
                records.append(_record("removed", *where, None, step.summary, None))
            elif step.kind == "added":
                records.append(_record("added", *where, None, None, step.summary))
            else:
                records += [_record("changed", *where, f.path, f.old, f.new) for f in step.fields]
        return records

    def _repr_html_(self) -> str:
        from html import escape

        from ._render import html_table  # documented upward edge: showing renders there

        rows = [
            [escape("" if value is None else str(value)) for value in record.values()]
            for record in self.to_records()[:MAX_LINES]
        ]
        caption = "Automation diff: " + repr(self).partition("\n")[0][17:-1]
        return html_table(
            caption, ["change", "old #", "new #", "action", "field", "old", "new"], rows
        )


_KINDS = ("added", "removed", "changed")


def _record(
    change: str,
    old_index: int | None,
    new_index: int | None,
    action: str | None,
    field: str | None,
    old: str | None,
    new: str | None,
) -> dict[str, Any]:
    return {
        "change": change,
        "old_index": old_index,
        "new_index": new_index,
        "action": action,
        "field": field,
        "old": old,
        "new": new,
    }


def _show(value: Any) -> str | None:
    return None if value is _MISSING else bounded_repr(value, _VALUE_LIMIT)


def _step_fields(step: Step) -> dict[str, Any]:
    """What a step holds: its JSON object, and its fields that stay in Python."""
    fields = step.to_wire()
    for name in getattr(type(step), "_local", ()):
        value = getattr(step, name, None)
        if value is not None:
            fields[name] = value
    return fields


def _key(step: Step) -> tuple[str, str, str]:
    """What aligns steps: action, template and ref."""
    template = getattr(step, "template", None)
    return (step.action, "" if template is None else bounded_repr(template, 80), step.ref or "")


def _same(old: Any, new: Any) -> bool:
    """``old == new`` as JSON sees it: ``True`` is not ``1`` (Python says it is)."""
    if isinstance(old, bool) or isinstance(new, bool):
        return type(old) is type(new) and old == new
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        return old.keys() == new.keys() and all(_same(old[key], new[key]) for key in old)
    if isinstance(old, list | tuple) and isinstance(new, list | tuple):
        return len(old) == len(new) and all(map(_same, old, new))
    return bool(old == new)


def _field_changes(old: Any, new: Any, path: str, out: list[FieldChange], depth: int) -> int:
    """Append the changes between two values to ``out`` (at most `MAX_FIELD_CHANGES`);
    return how many changes were left out."""
    if _same(old, new):
        return 0
    if isinstance(old, Mapping) and isinstance(new, Mapping) and depth < _MAX_DEPTH:
        left_out = 0
        for key in list(old) + [key for key in new if key not in old]:
            child = f"{path}.{key}" if path else str(key)
            before, after = old.get(key, _MISSING), new.get(key, _MISSING)
            if len(out) >= MAX_FIELD_CHANGES:
                left_out += not _same(before, after)
            else:
                left_out += _field_changes(before, after, cut_text(child, 200), out, depth + 1)
        return left_out
    if len(out) >= MAX_FIELD_CHANGES:
        return 1
    out.append(FieldChange(path or "(value)", _show(old), _show(new)))
    return 0


def _changed(old: Step, new: Step, old_index: int, new_index: int) -> StepChange | None:
    if old == new:
        return None
    fields: list[FieldChange] = []
    more = _field_changes(_step_fields(old), _step_fields(new), "", fields, 0)
    if not fields and not more:  # equal JSON, different classes (a RawStep of a known action)
        fields.append(FieldChange("(step class)", type(old).__name__, type(new).__name__))
    return StepChange(
        "changed", old_index, new_index, new.action, _summary(new), tuple(fields), more
    )


def _summary(step: Step) -> str:
    return cut_text(step.chain(), 120)


def _step_changes(old: Sequence[Step], new: Sequence[Step]) -> Iterator[StepChange]:
    matcher = SequenceMatcher(None, [_key(s) for s in old], [_key(s) for s in new], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        pairs: list[tuple[int, int]] = []
        if tag in ("equal", "replace"):
            pairs = [
                (i, j)
                for i, j in zip(range(i1, i2), range(j1, j2), strict=False)
                if old[i].action == new[j].action
            ]
        paired_old = {i for i, _ in pairs}
        paired_new = {j for _, j in pairs}
        for i in range(i1, i2):
            if i not in paired_old:
                yield StepChange("removed", i, None, old[i].action, _summary(old[i]))
        for i, j in pairs:
            change = _changed(old[i], new[j], i, j)
            if change is not None:
                yield change
        for j in range(j1, j2):
            if j not in paired_new:
                yield StepChange("added", None, j, new[j].action, _summary(new[j]))


def _setting_changes(old: AutomationLike, new: AutomationLike) -> Iterator[FieldChange]:
    for name in ("cancelation_token", "until_format", "data_schema", "profile_schema"):
        before, after = getattr(old, name, None), getattr(new, name, None)
        if before != after:
            yield FieldChange(
                name,
                None if before is None else cut_text(show(before), _VALUE_LIMIT),
                None if after is None else cut_text(show(after), _VALUE_LIMIT),
            )


def diff(old: AutomationLike, new: AutomationLike) -> AutomationDiff:
    """The difference from ``old`` to ``new`` (see `AutomationDiff`)."""
    return AutomationDiff(
        tuple(_setting_changes(old, new)), tuple(_step_changes(old.steps, new.steps))
    )
