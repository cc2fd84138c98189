"""Build-time checks of an automation against its payload schemas.

With ``Automation(data_schema=...)`` (or ``profile_schema=``), every path a step reads
from ``data.`` (or ``profile.``) must be one the schema declares: the paths of typed
conditions, of ``if`` strings that [`conditions.parse`][automation_dsl.conditions.parse] reads, of
``Ref`` values and ``{"$ref": ...}`` accessors anywhere in the step, and of the
automation's cancelation token. A comparison of such a path with a literal of another
type (``data.total == "10"`` where ``total`` is a number), or with a value its ``enum``
or ``Literal[...]`` does not list, is an error too. After a ``fetch_data(...,
returns=Reply)`` step, later steps may also read what ``Reply`` declares (Courier merges
the reply into ``data``; which keys survive depends on the merge strategy, so a path is
accepted when either shape declares it).

Examples:
    >>> from typing import TypedDict
    >>> from automation_dsl import Automation
    >>> from automation_dsl.conditions import data
    >>> class Order(TypedDict):
    ...     tier: str
    >>> Automation(data_schema=Order).send("VIP", if_=data.tierr == "vip")
    Traceback (most recent call last):
    ...
    automation_dsl.ValidationError: steps[0].if: send step #0: 'if' expected a path the data \
schema declares, got 'data.tierr' (str); did you mean 'data.tier'?
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator, Mapping
from typing import Any

from ._errors import ValidationError, _cut
from ._json import _json_equal
from ._jsonschema import Node, constants_at, step_into, type_of, types_at
from ._payload_schema import PayloadSchema
from ._ref import as_ref
from ._steps import FetchData, Step
from .conditions import (
    And,
    Compare,
    Condition,
    Exists,
    Includes,
    Literal,
    Not,
    OneOf,
    Or,
    StartsWith,
    Var,
    as_condition,
    parse,
)

__all__: list[str] = []

_NAMES = {
    "null": "null",
    "boolean": "a boolean",
    "integer": "a number",
    "number": "a number",
    "string": "a string",
    "array": "an array",
    "object": "an object",
}


def _roots(schema: PayloadSchema) -> list[Node]:
    compiled = schema.compiled.schema
    defs = compiled.get("$defs", {}) if isinstance(compiled, Mapping) else {}
    return [(compiled, defs)]


class _Scope:
    """What a step may read: the data nodes (grown by ``fetch_data(returns=...)``) and the
    profile nodes."""

    def __init__(self, data: PayloadSchema | None, profile: PayloadSchema | None) -> None:
        self.data = _roots(data) if data is not None else None
        self.profile = _roots(profile) if profile is not None else None

    def after(self, step: Step) -> None:
        returns = getattr(step, "returns", None)
        if isinstance(step, FetchData) and returns is not None and self.data is not None:
            self.data = [*self.data, *_roots(returns)]

    def nodes(self, root: str) -> list[Node] | None:
        return self.data if root == "data" else self.profile if root == "profile" else None


def _resolve(
    scope: _Scope, parts: tuple[str, ...], owner: str, field: str, where: str
) -> list[Node] | None:
    """The schema nodes a path reaches, ``None`` when no schema governs it (or it opens
    onto a free-form value); raises when the schema does not declare it."""
    nodes = scope.nodes(parts[0]) if parts else None
    if nodes is None:
        return None
    for index, part in enumerate(parts[1:], start=1):
        reached, opened, known = step_into(nodes, part)
        if opened:
            return None
        if not reached:
            prefix = ".".join(parts[:index])
            close = difflib.get_close_matches(part, known, n=1, cutoff=0.6)
            if close:
                hint = f"did you mean {prefix + '.' + close[0]!r}?"
            elif known:
                hint = f"{prefix} declares {_cut(', '.join(known))}"
            else:
                hint = f"{prefix} declares no properties"
            raise ValidationError(
                owner,
                field,
                f"a path the {parts[0]} schema declares",
                ".".join(parts),
                hint=hint,
                path=where,
            )
        nodes = reached
    return nodes


def _literal_fits(nodes: list[Node], value: Any, op: str) -> str | None:
    """What a literal compared with a value at ``nodes`` should be, or ``None`` if it fits."""
    kind = type_of(value)
    types = types_at(nodes)
    if types is not None:
        numbers = {"integer", "number"}
        fits = kind in types or (kind in numbers and bool(types & numbers))
        if not fits:
            names = sorted({_NAMES[t] for t in types if t in _NAMES})
            return " or ".join(names) or "nothing (the schema allows no value)"
    if op in ("===", "!=="):
        allowed = constants_at(nodes)
        if allowed is not None and not any(_json_equal(value, item) for item in allowed):
            shown = ", ".join(json.dumps(item, ensure_ascii=False) for item in allowed[:10])
            return f"one of {_cut(shown)}"
    return None


def _check_condition(scope: _Scope, condition: Condition, owner: str, where: str) -> None:
    pending: list[Any] = [condition]
    while pending:
        node = pending.pop()
        if isinstance(node, And | Or):
            pending += [node.left, node.right]
        elif isinstance(node, Not):
            pending.append(node.operand)
        elif isinstance(node, Var):
            _resolve(scope, node.parts, owner, "if", where)
        elif isinstance(node, Exists | OneOf | Includes | StartsWith):
            _resolve(scope, node.var.parts, owner, "if", where)
        elif isinstance(node, Compare):
            for side, other in ((node.left, node.right), (node.right, node.left)):
                if not isinstance(side, Var):
                    continue
                nodes = _resolve(scope, side.parts, owner, "if", where)
                if nodes is not None and isinstance(other, Literal):
                    expected = _literal_fits(nodes, other.value, node.op)
                    if expected is not None:
                        raise ValidationError(
                            owner,
                            "if",
                            f"{expected} to compare with {'.'.join(side.parts)} "
                            f"(as the {side.parts[0]} schema types it)",
                            other.value,
                            hint=f"in {_cut(condition.to_js())}",
                            path=where,
                        )


def _accessors(value: Any, field: str) -> Iterator[tuple[str, str]]:
    """Each ``{"$ref": path}`` in a step's JSON, with the top-level field it is under."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, Mapping):
            ref = item.get("$ref")
            if len(item) == 1 and isinstance(ref, str):
                yield field, ref
            else:
                pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)


def _ref_parts(path: str) -> tuple[str, ...]:
    return tuple(path.split("."))


def check_step(scope: _Scope, step: Step, index: int) -> None:
    """Check every path ``step`` (at ``index``) reads against ``scope``."""
    owner = f"{getattr(step, 'OWNER', step.action + ' step')} #{index}"
    given = step.if_
    condition = parse(given) if isinstance(given, str) else given
    if condition is not None:
        _check_condition(scope, as_condition(condition), owner, f"steps[{index}].if")
    for key, value in step.to_wire().items():
        if key in ("if", "action"):
            continue
        for field, path in _accessors(value, key):
            _resolve(scope, _ref_parts(path), owner, field, f"steps[{index}].{field}")


def check_automation(
    steps: tuple[Step, ...],
    token: object,
    data: PayloadSchema | None,
    profile: PayloadSchema | None,
    start: int = 0,
) -> None:
    """Check the steps from ``start`` on (and the token) against the payload schemas."""
    if data is None and profile is None:
        return
    scope = _Scope(data, profile)
    token = as_ref(token) if token is not None and not isinstance(token, str) else None
    if token is not None and start == 0:
        _resolve(
            scope, _ref_parts(token.path), "Automation", "cancelation_token", "cancelation_token"
        )
    for index, step in enumerate(steps):
        if index >= start:
            check_step(scope, step, index)
        scope.after(step)
