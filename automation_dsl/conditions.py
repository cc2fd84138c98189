"""Typed conditions and references: Python expressions that compile to Courier's ``if``
strings and ``$ref`` accessors.

Courier's ``if`` is a JavaScript expression in a string, and a ``$ref`` is a dotted path in
a string: a typo in either shows up only when a run misbehaves. Here they are Python
expressions, checked while they are built:

* roots: ``data``, ``profile``, ``refs``, ``brand``, ``template``, ``recipient``, with
  attribute and item access (``data.user.plan``, ``data["plan-id"]``);
* comparisons: ``==`` compiles to ``===``, ``!=`` to ``!==``, and ``<``, ``<=``, ``>``,
  ``>=``; literals (str, int, float, bool, ``None`` as ``null``) are quoted and escaped for
  JavaScript; ``MessageStatus.OPENED`` compiles to ``MessageStatus.Opened``;
* combinators: ``&`` (and), ``|`` (or), ``~`` (not). Python's ``and``/``or``/``not`` and
  unparenthesized ``a == 1 & b == 2`` raise a ``TypeError`` that says how to write it.

A path used as a value is a ``$ref``: ``.cancel(data.order.token)``.

Examples:
    >>> from automation_dsl import Automation
    >>> from automation_dsl.conditions import MessageStatus, data, refs
    >>> flow = (Automation().send("WELCOME", ref="welcome")
    ...         .send("NUDGE", if_=(refs.welcome.status < MessageStatus.OPENED)
    ...                            & (data.plan == "pro")))
    >>> flow.to_dict()["steps"][1]["if"]
    "refs.welcome.status < MessageStatus.Opened && data.plan === 'pro'"
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, TypeAlias

import attrs

from . import _js
from ._errors import ValidationError, ValidationTypeError
from ._js import ROOTS, MessageStatus, Node, NotEvaluated, parse_condition
from ._ref import Ref, has_surrogate

__all__ = [
    "MAX_CHOICES",
    "And",
    "Compare",
    "Condition",
    "ConditionLike",
    "Exists",
    "Includes",
    "Literal",
    "MessageStatus",
    "Not",
    "NotEvaluated",
    "OneOf",
    "Or",
    "Path",
    "StartsWith",
    "Status",
    "Var",
    "brand",
    "data",
    "evaluate",
    "parse",
    "profile",
    "recipient",
    "refs",
    "template",
]

_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
_PYTHON_OPERATORS = {"==": "===", "!=": "!==", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_MIRRORED = {"===": "===", "!==": "!==", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
# JavaScript precedence, loosest first: what needs parentheses where.
_OR, _AND, _EQUALITY, _RELATIONAL, _NOT, _ATOM = range(6)
_BOOL_HINT = (
    "conditions combine with & (and), | (or) and ~ (not), each comparison in parentheses: "
    "(data.plan == 'pro') & ~data.muted"
)


def _js_string(text: str) -> str:
    """A JavaScript string literal, single-quoted, as Courier's guides write them."""
    out = []
    for char in text:
        if char in "\\'":
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\r":
            out.append("\\r")
        elif char == "\t":
            out.append("\\t")
        elif ord(char) < 0x20 or char in "\u2028\u2029\x7f":
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return "'" + "".join(out) + "'"


def _as_condition(value: _Combinable) -> Condition:
    # a module function, not a method: a path's attributes are its keys (data.anything)
    return value._var if isinstance(value, Path) else value  # type: ignore[return-value]


class _Combinable:
    """The combinators shared by conditions and paths: ``&`` (and), ``|`` (or), ``~`` (not).

    A path combines as its truthiness test (``data.vip``).
    """

    __slots__ = ()

    def __and__(self, other: object) -> And:
        return And(_as_condition(self), _condition(other, "&"))

    def __rand__(self, other: object) -> And:
        return And(_condition(other, "&"), _as_condition(self))

    def __or__(self, other: object) -> Or:
        return Or(_as_condition(self), _condition(other, "|"))

    def __ror__(self, other: object) -> Or:
        return Or(_condition(other, "|"), _as_condition(self))

    def __invert__(self) -> Not:
        return Not(_as_condition(self))


class Condition(_Combinable):
    """A typed condition: it compiles to JavaScript with `to_js` (or ``str()``).

    Combine conditions with ``&``, ``|`` and ``~``.

    Examples:
        >>> from automation_dsl.conditions import data
        >>> str(~(data.plan == "free") | data.vip)
        "!(data.plan === 'free') || data.vip"
    """

    __slots__ = ()
    precedence: ClassVar[int] = _ATOM

    def to_js(self) -> str:
        """The JavaScript expression Courier evaluates."""
        raise NotImplementedError

    def __str__(self) -> str:
        return self.to_js()

    def __bool__(self) -> bool:
        raise TypeError(f"a condition has no truth value in Python; {_BOOL_HINT}")

    def _wrapped(self, level: int) -> str:
        text = self.to_js()
        return f"({text})" if self.precedence < level else text

    def refs_read(self) -> set[str]:
        """The step ``ref`` names this condition reads (``refs.<name>``)."""
        return set()

    def __eq__(self, other: object) -> bool:
        """Conditions are equal when they compile to the same JavaScript, and a condition
        equals that JavaScript string: ``Send(if_="data.a === 1")`` and
        ``Send(if_=data.a == 1)`` are the same step."""
        if isinstance(other, Condition):
            return self.to_js() == other.to_js()
        if isinstance(other, str):
            return self.to_js() == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.to_js())


def _condition(value: object, operator: str) -> Condition:
    if isinstance(value, Path):
        return value._var
    if isinstance(value, Condition):
        return value
    raise TypeError(
        f"{operator} combines conditions, got {value!r} ({type(value).__name__}); {_BOOL_HINT}"
    )


@attrs.frozen(slots=True, eq=False)
class Var(Condition):
    """A path into the run context, as a condition operand (``data.user.plan``).

    Examples:
        >>> print(Var(("data", "plan-id")).to_js())
        data['plan-id']
    """

    parts: tuple[str, ...]

    def __attrs_post_init__(self) -> None:
        if not self.parts or self.parts[0] not in ROOTS:
            raise ValidationError(
                "condition", "root", "one of " + ", ".join(sorted(ROOTS)), self.parts[:1]
            )

    def to_js(self) -> str:
        text = self.parts[0]
        for part in self.parts[1:]:
            text += f".{part}" if _IDENTIFIER.fullmatch(part) else f"[{_js_string(part)}]"
        return text

    def refs_read(self) -> set[str]:
        if (
            self.parts[0] == "refs"
            and len(self.parts) > 1
            and self.parts[1]
            not in (
                "data",
                "profile",
            )
        ):
            return {self.parts[1]}
        return set()


@attrs.frozen(slots=True)
class Literal:
    """A literal operand: str, int, float, bool or ``None`` (JavaScript's ``null``).

    Examples:
        >>> Literal("it's").to_js()
        "'it\\\\'s'"
    """

    value: str | int | float | bool | None

    def __attrs_post_init__(self) -> None:
        value = self.value
        if value is not None and not isinstance(value, str | int | float):
            raise ValidationTypeError(
                "condition", "literal", "a str, int, float, bool or None", value
            )
        if isinstance(value, float) and not math.isfinite(value):
            raise ValidationError("condition", "literal", "a finite number", value)
        if isinstance(value, str) and has_surrogate(value):
            expected = "text without lone surrogates (UTF-8 cannot encode them)"
            raise ValidationError("condition", "literal", expected, value)

    def to_js(self) -> str:
        value = self.value
        if value is None:
            return "null"
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str):
            return _js_string(value)
        # the base class's repr: a subclass's own __repr__ must not write JavaScript
        return int.__repr__(value) if isinstance(value, int) else float.__repr__(value)


@attrs.frozen(slots=True)
class Status:
    """A ``MessageStatus`` operand.

    Examples:
        >>> Status(MessageStatus.OPENED).to_js()
        'MessageStatus.Opened'
    """

    status: MessageStatus

    def to_js(self) -> str:
        return f"MessageStatus.{self.status.name.capitalize()}"


Operand = Var | Literal | Status


def _operand(value: object) -> Operand:
    if isinstance(value, Path):
        return value._var
    if isinstance(value, Var | Literal | Status):
        return value
    if isinstance(value, MessageStatus):
        return Status(value)
    if isinstance(value, Condition):
        raise TypeError(f"a comparison cannot take a condition as an operand; {_BOOL_HINT}")
    return Literal(value)  # type: ignore[arg-type]


@attrs.frozen(slots=True, eq=False)
class Compare(Condition):
    """``left op right`` with ``op`` one of ``===``, ``!==``, ``<``, ``<=``, ``>``, ``>=``.

    Examples:
        >>> Compare("===", Var(("data", "plan")), Literal("pro")).to_js()
        "data.plan === 'pro'"
    """

    op: str
    left: Operand
    right: Operand

    @property
    def precedence(self) -> int:  # type: ignore[override]
        return _EQUALITY if self.op in ("===", "!==") else _RELATIONAL

    def to_js(self) -> str:
        return f"{self.left.to_js()} {self.op} {self.right.to_js()}"

    def refs_read(self) -> set[str]:
        found: set[str] = set()
        for side in (self.left, self.right):
            if isinstance(side, Var):
                found |= side.refs_read()
        return found


@attrs.frozen(slots=True, eq=False)
class And(Condition):
    """``left && right``.

    Examples:
        >>> from automation_dsl.conditions import data
        >>> ((data.a == 1) & (data.b == 2)).to_js()
        'data.a === 1 && data.b === 2'
    """

    precedence: ClassVar[int] = _AND
    left: Condition
    right: Condition

    def to_js(self) -> str:
        return f"{self.left._wrapped(_AND)} && {self.right._wrapped(_AND + 1)}"

    def refs_read(self) -> set[str]:
        return self.left.refs_read() | self.right.refs_read()


@attrs.frozen(slots=True, eq=False)
class Or(Condition):
    """``left || right``.

    Examples:
        >>> from automation_dsl.conditions import data
        >>> (((data.a == 1) | (data.b == 2)) & data.c).to_js()
        '(data.a === 1 || data.b === 2) && data.c'
    """

    precedence: ClassVar[int] = _OR
    left: Condition
    right: Condition

    def to_js(self) -> str:
        return f"{self.left._wrapped(_OR)} || {self.right._wrapped(_OR + 1)}"

    def refs_read(self) -> set[str]:
        return self.left.refs_read() | self.right.refs_read()


@attrs.frozen(slots=True, eq=False)
class Not(Condition):
    """``!operand``.

    Examples:
        >>> from automation_dsl.conditions import data
        >>> (~data.muted).to_js()
        '!data.muted'
    """

    precedence: ClassVar[int] = _NOT
    operand: Condition

    def to_js(self) -> str:
        return f"!{self.operand._wrapped(_NOT)}"

    def refs_read(self) -> set[str]:
        return self.operand.refs_read()


MAX_CHOICES = _js.MAX_ARRAY
"""The most values `Path.one_of` takes (Courier evaluates the condition on every run)."""


@attrs.frozen(slots=True, eq=False)
class Exists(Condition):
    """``var !== undefined`` (``present``) or ``var === undefined``: whether a key is there
    at all; ``null`` is there. See `Path.exists`.

    Examples:
        >>> Exists(Var(("data", "coupon"))).to_js()
        'data.coupon !== undefined'
    """

    precedence: ClassVar[int] = _EQUALITY
    var: Var
    present: bool = True

    def to_js(self) -> str:
        return f"{self.var.to_js()} {'!==' if self.present else '==='} undefined"

    def refs_read(self) -> set[str]:
        return self.var.refs_read()


def _choice(value: object, index: int) -> Literal:
    if isinstance(value, list | tuple | dict | set | frozenset):
        raise ValidationTypeError(
            "condition", f"one_of[{index}]", "a str, int, float, bool or None", value
        )
    if isinstance(value, Literal):
        return value
    try:
        return Literal(value)  # type: ignore[arg-type]
    except ValidationError as error:
        raise type(error)("condition", f"one_of[{index}]", error.expected, value) from None


@attrs.frozen(slots=True, eq=False)
class OneOf(Condition):
    """``[a, b].includes(var)``: the value is one of the literals (strict equality, as
    ``===``). See `Path.one_of`.

    Examples:
        >>> OneOf(Var(("data", "plan")), (Literal("pro"), Literal("team"))).to_js()
        "['pro', 'team'].includes(data.plan)"
    """

    var: Var
    choices: tuple[Literal, ...]

    def to_js(self) -> str:
        items = ", ".join(choice.to_js() for choice in self.choices)
        return f"[{items}].includes({self.var.to_js()})"

    def refs_read(self) -> set[str]:
        return self.var.refs_read()


@attrs.frozen(slots=True, eq=False)
class Includes(Condition):
    """``var.includes(item)``: a substring of a string, or an item of an array. See
    `Path.includes`.

    Examples:
        >>> Includes(Var(("data", "tags")), Literal("vip")).to_js()
        "data.tags.includes('vip')"
    """

    var: Var
    item: Literal

    def to_js(self) -> str:
        return f"{self.var.to_js()}.includes({self.item.to_js()})"

    def refs_read(self) -> set[str]:
        return self.var.refs_read()


@attrs.frozen(slots=True, eq=False)
class StartsWith(Condition):
    """``var.startsWith(prefix)``. See `Path.startswith`.

    Examples:
        >>> StartsWith(Var(("data", "email")), Literal("admin@")).to_js()
        "data.email.startsWith('admin@')"
    """

    var: Var
    prefix: Literal

    def to_js(self) -> str:
        return f"{self.var.to_js()}.startsWith({self.prefix.to_js()})"

    def refs_read(self) -> set[str]:
        return self.var.refs_read()


class Path(_Combinable):
    """A path being written (``data.user.plan``): attribute and item access extend it,
    comparisons make conditions, and used as a step value it is a ``$ref``.

    Examples:
        >>> from automation_dsl.conditions import data
        >>> data.order["id"]
        data.order.id
        >>> (data.order.total >= 100).to_js()
        'data.order.total >= 100'
    """

    __slots__ = ("_var",)
    _var: Var

    def __init__(self, *parts: str) -> None:
        for part in parts:
            if not isinstance(part, str) or not part:
                raise ValidationTypeError("condition", "path", "non-empty string keys", part)
        object.__setattr__(self, "_var", Var(parts))

    def __getattr__(self, name: str) -> Path:
        if name.startswith("__"):
            raise AttributeError(name)
        return Path(*self._var.parts, name)

    def __getitem__(self, key: str) -> Path:
        if not isinstance(key, str):
            raise ValidationTypeError("condition", "path", "a string key", key)
        return Path(*self._var.parts, key)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("paths are immutable")

    def __repr__(self) -> str:
        return self._var.to_js()

    def __automation_ref__(self) -> Ref:
        """The ``$ref`` accessor this path stands for, when used as a step value."""
        return Ref(".".join(self._var.parts))

    def _compare(self, op: str, other: object) -> Compare:
        return Compare(_PYTHON_OPERATORS[op], self._var, _operand(other))

    def __eq__(self, other: object) -> Compare:  # type: ignore[override]
        return self._compare("==", other)

    def __ne__(self, other: object) -> Compare:  # type: ignore[override]
        return self._compare("!=", other)

    def __lt__(self, other: object) -> Compare:
        return self._compare("<", other)

    def __le__(self, other: object) -> Compare:
        return self._compare("<=", other)

    def __gt__(self, other: object) -> Compare:
        return self._compare(">", other)

    def __ge__(self, other: object) -> Compare:
        return self._compare(">=", other)

    __hash__ = object.__hash__

    def __bool__(self) -> bool:
        raise TypeError(f"a path has no truth value in Python; {_BOOL_HINT}")

    def exists(self) -> Exists:
        """True when the key is there, whatever its value (``null``, ``0`` and ``''``
        included): ``data.coupon !== undefined``.

        Unlike ``data.coupon != None`` (``!== null``, true when the key is absent), and
        unlike the bare path (a truthiness test, false for ``0`` and ``''``). A missing
        parent is an error in JavaScript (``data.user.plan`` when ``data.user`` is
        absent): test it first, ``data.user.exists() & data.user.plan.exists()``.

        Examples:
            >>> from automation_dsl.conditions import data, evaluate
            >>> data.coupon.exists().to_js()
            'data.coupon !== undefined'
            >>> evaluate(data.coupon.exists(), {"data": {"coupon": None}})
            True
        """
        return Exists(self._var)

    def is_missing(self) -> Exists:
        """True when the key is absent: ``data.coupon === undefined`` (the negation of
        `exists`). ``data.coupon == None`` (``=== null``) is false for an absent key.

        Examples:
            >>> from automation_dsl.conditions import data, evaluate
            >>> data.coupon.is_missing().to_js()
            'data.coupon === undefined'
            >>> evaluate(data.coupon.is_missing(), {"data": {}})
            True
        """
        return Exists(self._var, present=False)

    def one_of(self, values: Iterable[str | int | float | bool | None]) -> OneOf:
        """True when the value is one of ``values`` (compared as ``===``):
        ``['pro', 'team'].includes(data.plan)``. A missing value is in none.

        ``values`` is a non-empty list (or tuple) of literals, at most `MAX_CHOICES`.

        Examples:
            >>> from automation_dsl.conditions import data
            >>> data.plan.one_of(["pro", "team"]).to_js()
            "['pro', 'team'].includes(data.plan)"
        """
        if not isinstance(values, list | tuple):
            raise ValidationTypeError(
                "condition", "one_of", "a list or tuple of str, int, float, bool or None", values
            )
        if not values:
            raise ValidationError("condition", "one_of", "at least one value", values)
        if len(values) > MAX_CHOICES:
            raise ValidationError(
                "condition",
                "one_of",
                f"at most {MAX_CHOICES} values (got {len(values)}); for more, keep the "
                "list in the run's data and test data.<list>.includes(...) in your code",
                f"<{len(values)} values>",
            )
        return OneOf(self._var, tuple(_choice(value, i) for i, value in enumerate(values)))

    def includes(self, item: str | int | float | bool | None) -> Includes:
        """True when the value (a string or an array) includes ``item``:
        ``data.tags.includes('vip')``. Of a string, ``item`` must be a string (a substring).

        A missing value, ``null``, or one of another type makes JavaScript throw: the
        simulator answers `NotEvaluated`; guard with `exists` (``&`` short-circuits).

        Examples:
            >>> from automation_dsl.conditions import data, evaluate
            >>> data.tags.includes("vip").to_js()
            "data.tags.includes('vip')"
            >>> evaluate(data.tags.includes("vip"), {"data": {"tags": ["new", "vip"]}})
            True
        """
        if isinstance(item, list | tuple | dict | set | frozenset):
            raise ValidationTypeError(
                "condition", "includes", "a str, int, float, bool or None", item
            )
        return Includes(self._var, Literal(item))

    def startswith(self, prefix: str) -> StartsWith:
        """True when the value is a string that starts with ``prefix``:
        ``data.email.startsWith('admin@')``.

        A missing value, ``null`` or a non-string makes JavaScript throw: the simulator
        answers `NotEvaluated`; guard with `exists` (``&`` short-circuits).

        Examples:
            >>> from automation_dsl.conditions import data
            >>> data.email.startswith("admin@").to_js()
            "data.email.startsWith('admin@')"
        """
        if not isinstance(prefix, str):
            raise ValidationTypeError("condition", "startswith", "a string prefix", prefix)
        return StartsWith(self._var, Literal(prefix))

    def to_js(self) -> str:
        """The path as JavaScript (a truthiness test when used as a condition)."""
        return self._var.to_js()


data = Path("data")
"""The run's ``data``."""
profile = Path("profile")
"""The run's ``profile``."""
refs = Path("refs")
"""Earlier steps' results by their ``ref`` name (``refs.welcome.status``)."""
brand = Path("brand")
"""The run's brand id."""
template = Path("template")
"""The run's notification template."""
recipient = Path("recipient")
"""The run's recipient."""

ConditionLike: TypeAlias = str | Condition | Path
"""What a step's ``if_`` accepts: a JavaScript condition string, a typed condition
(``data.plan == "pro"``), or a bare path, which tests the value's truthiness."""


def as_condition(value: Condition | Path) -> Condition:
    """A condition from a condition or a bare path (a truthiness test)."""
    return value._var if isinstance(value, Path) else value


def _from_node(node: Node) -> Condition | Operand | None:
    kind = node.kind
    if kind == "literal":
        value = node.value
        if value is not None and not isinstance(value, str | int | float):
            return None  # undefined has no Python spelling
        return Literal(value)
    if kind == "status":
        return Status(node.value)
    if kind == "name":
        return Var((node.value,))
    if kind == "member":
        inner = _from_node(node.children[0])
        return Var((*inner.parts, node.value)) if isinstance(inner, Var) else None
    if kind == "array":
        return None  # an array is no operand; OneOf reads its items below
    if kind == "call":
        return _call_from_node(node)
    if kind == "binary" and node.value in ("===", "!==") and _is_undefined(node.children[1]):
        var = _from_node(node.children[0])
        return Exists(var, present=node.value == "!==") if isinstance(var, Var) else None
    children = [_from_node(child) for child in node.children]
    if any(child is None for child in children):
        return None
    if kind == "not":
        operand = children[0]
        return Not(operand) if isinstance(operand, Condition) else None
    op = node.value
    left, right = children
    if op in ("&&", "||"):
        if not (isinstance(left, Condition) and isinstance(right, Condition)):
            return None
        return And(left, right) if op == "&&" else Or(left, right)
    if (
        op in _MIRRORED
        and isinstance(left, Var | Literal | Status)
        and isinstance(right, Var | Literal | Status)
    ):
        return Compare(op, left, right)
    return None  # loose == and != have no Python spelling here


def _is_undefined(node: Node) -> bool:
    return node.kind == "literal" and node.value is _js.UNDEFINED


def _call_from_node(node: Node) -> Condition | None:
    """``[...].includes(var)``, ``var.includes(literal)``, ``var.startsWith('text')``."""
    target, argument = node.children
    if node.value == "includes" and target.kind == "array":
        var = _from_node(argument)
        choices = [_from_node(item) for item in target.children]
        if not isinstance(var, Var) or not all(isinstance(c, Literal) for c in choices):
            return None
        return OneOf(var, tuple(choices)) if choices else None  # type: ignore[arg-type]
    var, value = _from_node(target), _from_node(argument)
    if not isinstance(var, Var) or not isinstance(value, Literal):
        return None
    if node.value == "includes":
        return Includes(var, value)
    return StartsWith(var, value) if isinstance(value.value, str) else None


def parse(text: str) -> Condition | None:
    """The typed form of a condition string, or ``None`` when it has none that compiles
    back to exactly the same text (loose ``==``, ``undefined``, other spacing ...).

    Examples:
        >>> parse("data.plan === 'pro' && !data.muted")
        And(left=Compare(op='===', left=Var(parts=('data', 'plan')), \
right=Literal(value='pro')), right=Not(operand=Var(parts=('data', 'muted'))))
        >>> parse("data.plan == 'pro'") is None
        True
    """
    try:
        node = parse_condition(text)
    except NotEvaluated:
        return None
    typed = _from_node(node)
    if not isinstance(typed, Condition) or typed.to_js() != text:
        return None
    return typed


def evaluate(condition: ConditionLike, scope: Mapping[str, Any]) -> bool:
    """Evaluate a condition against a run's scope, as the simulator and the sandbox do.

    ``condition`` is an ``if`` string or a typed condition (it is evaluated as its
    JavaScript). ``scope`` maps the roots (``data``, ``profile``, ``refs``, ``brand``,
    ``template``, ``recipient``) to their values; JavaScript's truthiness decides.
    Raises [`NotEvaluated`][] for anything outside the supported subset.

    Examples:
        >>> evaluate("data.plan === 'pro' && !data.muted", {"data": {"plan": "pro"}})
        True
        >>> evaluate(refs.welcome.status < MessageStatus.OPENED,
        ...          {"refs": {"welcome": {"status": MessageStatus.SENT}}})
        True
        >>> try:
        ...     evaluate("data.items.length > 2", {"data": {"items": []}})
        ... except NotEvaluated as reason:
        ...     print("length" in str(reason))
        True
    """
    if isinstance(condition, Path | Condition):
        condition = condition.to_js()
    return _js.evaluate(condition, scope)
