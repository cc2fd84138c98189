"""``when(condition, fragment)``: gate every step of a reusable fragment on one condition.

Each step's ``if`` becomes ``condition && own`` (the step's own ``if``, when it has one).
Typed conditions combine as typed ([`And`][automation_dsl.conditions.And]); a string ``if``
is read into a typed condition when [`conditions.parse`][automation_dsl.conditions.parse]
can, and otherwise both sides are joined as JavaScript text, each in parentheses:
``(data.vip) && (data.items.some(Boolean))``.

Examples:
    >>> from automation_dsl import Automation, when
    >>> from automation_dsl.conditions import data
    >>> upsell = Automation().send("UPSELL").send("FOLLOW_UP", if_=data.clicked)
    >>> [step.to_wire().get("if") for step in when(data.plan == "pro", upsell)]
    ["data.plan === 'pro'", "data.plan === 'pro' && data.clicked"]
"""

from __future__ import annotations

import re

import attrs

from ._automation import Automation, check_refs
from ._errors import ValidationError, ValidationTypeError
from ._steps import RawStep, Step
from .conditions import And, Condition, ConditionLike, Path, as_condition, parse

__all__ = ["when"]

_OWNER = "when"
_SIGNIFICANT = re.compile(r"\\.|['\"`()]|/[/*]", re.DOTALL)
_CLOSED = "a condition whose parentheses and quotes close, without comments"


def _self_contained(text: str) -> bool:
    """Whether JavaScript ``text`` stays inside the parentheses it is put in: its
    parentheses balance and its quotes close outside strings, and it has no comment
    (``data.a) || (true`` would turn ``(gate) && (own)`` into ``data.a || ...``)."""
    depth, quote = 0, ""
    for match in _SIGNIFICANT.finditer(text):
        token = match.group()
        if quote:
            quote = "" if token == quote else quote  # an escape pair never ends a string
        elif token in ("'", '"', "`"):
            quote = token
        elif token in ("(", ")"):
            depth += 1 if token == "(" else -1
            if depth < 0:
                return False
        elif token.startswith("/"):
            return False  # a comment, outside strings
    return depth == 0 and not quote


def _typed(condition: ConditionLike) -> Condition | str:
    """The condition as a typed one when it has a typed form, else its JavaScript text."""
    if isinstance(condition, Path | Condition):
        return as_condition(condition)
    typed = parse(condition)
    return condition if typed is None else typed


def _combined(gate: Condition | str, own: ConditionLike | None) -> ConditionLike:
    if own is None:
        return gate
    mine = _typed(own)
    if isinstance(gate, Condition) and isinstance(mine, Condition):
        return And(gate, mine)
    return f"({gate}) && ({mine})"


def _gated(step: Step, gate: Condition | str, index: int) -> Step:
    own = getattr(step, "if_", None)
    if isinstance(own, str) and not _self_contained(own):
        raise ValidationError(_OWNER, f"fragment[{index}].if", _CLOSED, own)
    if isinstance(step, RawStep):
        raise ValidationError(
            _OWNER,
            f"fragment[{index}]",
            "steps that take an 'if' (a raw step keeps its JSON as given)",
            step.action,
            hint="add the condition to the raw step's JSON yourself, or use a typed step",
        )
    return attrs.evolve(step, if_=_combined(gate, step.if_))  # type: ignore[misc]


def when(condition: ConditionLike, fragment: Automation) -> Automation:
    """A copy of ``fragment`` whose every step runs only when ``condition`` holds (and,
    as before, its own ``if``): each step's ``if`` becomes ``condition && own``.

    Everything else (refs, the cancelation token, the payload schemas) is kept. The
    fragment may read refs the flow it is added to sets (see
    [Fragments and refs](../conditions.md#fragments-and-refs)).

    Args:
        condition: a typed condition, a bare path (a truthiness test) or a JavaScript
            string.
        fragment: the steps to gate.

    Examples:
        >>> from automation_dsl import Automation
        >>> from automation_dsl.conditions import data
        >>> gated = when(data.vip, Automation().send("A", if_="data.items.some(Boolean)"))
        >>> gated[0].if_
        '(data.vip) && (data.items.some(Boolean))'
    """
    if not isinstance(condition, str | Path | Condition):
        raise ValidationTypeError(
            _OWNER,
            "condition",
            "a typed condition (data.plan == 'pro'), a path or a JavaScript string",
            condition,
        )
    if isinstance(condition, str) and not condition.strip():
        raise ValidationError(_OWNER, "condition", "a non-empty condition", condition)
    if isinstance(condition, str) and not _self_contained(condition):
        raise ValidationError(_OWNER, "condition", _CLOSED, condition)
    if not isinstance(fragment, Automation):
        raise ValidationTypeError(_OWNER, "fragment", "an Automation", fragment)
    gate = _typed(condition)
    steps = tuple(_gated(step, gate, index) for index, step in enumerate(fragment.steps))
    check_refs(steps)
    return attrs.evolve(fragment, steps=steps)
