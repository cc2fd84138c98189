"""The JavaScript subset of Courier's ``if`` conditions: tokenizer, parser and evaluator.

A step's ``if`` is a JavaScript boolean expression over the run context. This module
reads the subset Courier's guides use, and evaluates it the way JavaScript would:

* literals: strings (``'pro'``, ``"pro"``), numbers, ``true``, ``false``, ``null``,
  ``undefined``;
* names rooted at ``data``, ``profile``, ``refs``, ``brand``, ``template``,
  ``recipient``, with member access (``data.user.plan``, ``data["plan-id"]``);
* ``MessageStatus.X`` (``Opened`` or ``OPENED``);
* ``===``, ``!==``, ``==``, ``!=``, ``<``, ``<=``, ``>``, ``>=``, ``&&``, ``||``, ``!``
  and parentheses, with JavaScript's precedence and short-circuiting;
* array literals (``['a', 'b']``, at most `MAX_ARRAY` items) and two methods:
  ``includes`` of a string (a substring) or an array (``Array.prototype.includes``:
  strict equality, NaN equal to NaN), and ``startsWith`` of a string. Where JavaScript
  throws (``undefined.includes(...)``, a number's ``startsWith``) or converts the argument
  to a string (``'a1'.includes(1)``), the answer is [`NotEvaluated`][].

Anything else raises [`NotEvaluated`][]: a condition outside the subset is
reported, never guessed.

Message statuses compare by their progress, ``ENQUEUED < SENT < DELIVERED < OPENED <
CLICKED``; Courier does not document the enum's order, so this is the sandbox's
reading, and a ``<`` between a status off that line (``UNDELIVERABLE`` ...) and another
is not evaluated.

The public face is [`automation_dsl.conditions`][] (typed conditions and
[`evaluate`][]); this module is private.

Examples:
    >>> evaluate("data.plan === 'pro' && !data.muted", {"data": {"plan": "pro"}})
    True
    >>> evaluate("refs.welcome.status < MessageStatus.Opened",
    ...          {"refs": {"welcome": {"status": MessageStatus.SENT}}})
    True
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from operator import lt
from typing import Any

import attrs

from ._errors import NotEvaluated
from ._status import MessageStatus

__all__ = ["MessageStatus", "NotEvaluated"]

ROOTS = frozenset({"data", "profile", "refs", "brand", "template", "recipient"})


class _Undefined:
    """JavaScript's ``undefined``."""

    def __repr__(self) -> str:
        return "undefined"


UNDEFINED = _Undefined()

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
      | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
      | (?P<op>===|!==|==|!=|<=|>=|&&|\|\||[<>!()\[\].,])
      | (?P<name>[A-Za-z_$][A-Za-z0-9_$]*)
    )""",
    re.VERBOSE,
)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}


def _unescape(body: str) -> str:
    def replace(match: re.Match[str]) -> str:
        text = match.group(1)
        if text.startswith("u"):
            return chr(int(text[1:], 16))
        return _ESCAPES.get(text, text)

    return re.sub(r"\\(u[0-9a-fA-F]{4}|.)", replace, body)


@attrs.frozen(slots=True)
class Node:
    """A parsed condition: ``kind`` is literal, name, member, status, not, binary, array
    (``children`` its items) or call (``value`` the method, ``children`` the target and the
    argument).

    Examples:
        >>> parse_condition("!data.ok").kind
        'not'
    """

    kind: str
    value: Any = None
    children: tuple[Node, ...] = ()


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise NotEvaluated(f"unsupported syntax at {text[position : position + 12]!r}")
        kind = match.lastgroup
        assert kind is not None
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


# JavaScript's precedence, loosest first.
_BINARY = [("||",), ("&&",), ("===", "!==", "==", "!="), ("<", "<=", ">", ">=")]

MAX_NESTING = 32
"""The deepest a condition may nest (parentheses, ``!``, operators, member access)."""

MAX_ARRAY = 1000
"""The most items an array literal may hold (``[...].includes(data.x)``)."""

METHODS = frozenset({"includes", "startsWith"})
"""The methods a condition may call: ``includes`` (of a string or an array) and
``startsWith`` (of a string)."""


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.index = 0
        self.open = 0  # parentheses and ``!`` being parsed: bounds the parser's recursion
        self.depth: dict[int, int] = {}  # id(node) -> depth: bounds every later walk

    def enter(self) -> None:
        self.open += 1
        if self.open > MAX_NESTING:
            raise NotEvaluated(f"a condition nested deeper than {MAX_NESTING} levels")

    def node(self, kind: str, value: Any = None, children: tuple[Node, ...] = ()) -> Node:
        depth = 1 + max((self.depth[id(child)] for child in children), default=0)
        if depth > MAX_NESTING:
            raise NotEvaluated(f"a condition nested deeper than {MAX_NESTING} levels")
        made = Node(kind, value, children)
        self.depth[id(made)] = depth
        return made

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (value is not None and token[1] != value):
            raise NotEvaluated(f"expected {value or 'more'} at the end of the condition")
        self.index += 1
        return token

    def parse(self) -> Node:
        node = self.binary(0)
        if self.peek() is not None:
            raise NotEvaluated(f"unsupported syntax at {self.peek()[1]!r}")  # type: ignore[index]
        return node

    def binary(self, level: int) -> Node:
        if level == len(_BINARY):
            return self.unary()
        node = self.binary(level + 1)
        while (
            (token := self.peek()) is not None and token[0] == "op" and token[1] in _BINARY[level]
        ):
            self.take()
            right = self.binary(level + 1)
            node = self.node("binary", token[1], (node, right))
        return node

    def unary(self) -> Node:
        token = self.peek()
        if token == ("op", "!"):
            self.take()
            self.enter()
            operand = self.unary()
            self.open -= 1
            return self.node("not", None, (operand,))
        return self.primary()

    def primary(self) -> Node:
        kind, value = self.take()
        if kind == "number":
            integer = "." not in value and "e" not in value.lower()
            try:
                return self.node("literal", int(value) if integer else float(value))
            except ValueError:  # more digits than Python converts
                raise NotEvaluated(f"a number of {len(value)} digits") from None
        if kind == "string":
            return self.node("literal", _unescape(value[1:-1]))
        if (kind, value) == ("op", "("):
            self.enter()
            node = self.binary(0)
            self.open -= 1
            self.take(")")
            return node
        if (kind, value) == ("op", "["):
            return self.array()
        if kind != "name":
            raise NotEvaluated(f"unsupported syntax at {value!r}")
        constants = {"true": True, "false": False, "null": None, "undefined": UNDEFINED}
        if value in constants:
            return self.node("literal", constants[value])
        if value == "MessageStatus":
            self.take(".")
            member = self.take()[1]
            try:
                return self.node("status", MessageStatus[member.upper()])
            except KeyError:
                raise NotEvaluated(f"unknown MessageStatus.{member}") from None
        if value not in ROOTS:
            raise NotEvaluated(f"unknown name {value!r} (known: {', '.join(sorted(ROOTS))})")
        return self.postfix(self.node("name", value))

    def array(self) -> Node:
        """An array literal, after its ``[``: ``['a', 'b']``."""
        self.enter()
        items: list[Node] = []
        while self.peek() != ("op", "]"):
            if items:
                self.take(",")
            items.append(self.binary(0))
            if len(items) > MAX_ARRAY:
                raise NotEvaluated(f"an array of more than {MAX_ARRAY} items")
        self.take("]")
        self.open -= 1
        return self.postfix(self.node("array", None, tuple(items)))

    def postfix(self, node: Node) -> Node:
        """Member access (``.plan``, ``['plan-id']``) and the calls of `METHODS`."""
        while (token := self.peek()) is not None and token[1] in (".", "["):
            self.take()
            if token[1] == ".":
                key_kind, key = self.take()
                if key_kind != "name":
                    raise NotEvaluated(f"unsupported member {key!r}")
                if self.peek() == ("op", "("):
                    if key not in METHODS:
                        raise NotEvaluated(
                            f"the method {key!r} is outside the supported subset "
                            f"(supported: {', '.join(sorted(METHODS))})"
                        )
                    self.take("(")
                    self.enter()
                    argument = self.binary(0)
                    self.open -= 1
                    self.take(")")
                    node = self.node("call", key, (node, argument))
                    continue
            else:
                key_kind, raw = self.take()
                if key_kind == "string":
                    key = _unescape(raw[1:-1])
                elif key_kind == "number" and raw.isdigit():
                    key = raw
                else:
                    raise NotEvaluated(f"unsupported index {raw!r}")
                self.take("]")
            node = self.node("member", key, (node,))
        if (token := self.peek()) is not None and token[1] == "(":
            raise NotEvaluated("function calls are outside the supported subset")
        return node


def parse_condition(text: str) -> Node:
    """Parse a condition into a `Node` tree, or raise [`NotEvaluated`][].

    Examples:
        >>> parse_condition("data.a === 1").value
        '==='
    """
    if not isinstance(text, str) or not text.strip():
        raise NotEvaluated("an empty condition")
    return _Parser(text).parse()


def _truthy(value: Any) -> bool:
    if value is UNDEFINED or value is None:
        return False
    if isinstance(value, MessageStatus):
        return True
    if isinstance(value, Mapping | list):
        return True  # objects and arrays are truthy in JavaScript, even empty ones
    return bool(value)


def _strict_equal(left: Any, right: Any) -> bool:
    if isinstance(left, bool) != isinstance(right, bool):
        return False
    if isinstance(left, int | float) and isinstance(right, int | float):
        return left == right
    if type(left) is not type(right):
        return False
    if isinstance(left, Mapping | list):
        return left is right  # objects compare by identity in JavaScript
    return bool(left == right)


def _loose_equal(left: Any, right: Any) -> bool:
    nullish = (None, UNDEFINED)
    if left in nullish or right in nullish:
        return left in nullish and right in nullish
    if isinstance(left, str) and isinstance(right, int | float) and not isinstance(right, bool):
        try:
            return float(left) == right
        except ValueError:
            return False
    if isinstance(right, str) and isinstance(left, int | float) and not isinstance(left, bool):
        return _loose_equal(right, left)
    if isinstance(left, bool) or isinstance(right, bool):
        if isinstance(left, bool) and isinstance(right, bool):
            return left == right
        raise NotEvaluated("== between a boolean and another type")
    return _strict_equal(left, right)


def _compare(op: str, left: Any, right: Any) -> bool:
    comparable = (
        (isinstance(left, MessageStatus) and isinstance(right, MessageStatus))
        or (isinstance(left, str) and isinstance(right, str))
        or (
            isinstance(left, int | float)
            and isinstance(right, int | float)
            and not isinstance(left, bool)
            and not isinstance(right, bool)
        )
    )
    if not comparable:
        raise NotEvaluated(f"{op} between {_js_type(left)} and {_js_type(right)}")
    if op == "<":
        return bool(lt(left, right))
    if op == ">":
        return bool(lt(right, left))
    if op == "<=":
        return not lt(right, left)
    return not lt(left, right)


def _js_type(value: Any) -> str:
    if value is UNDEFINED:
        return "undefined"
    if value is None:
        return "null"
    if isinstance(value, MessageStatus):
        return "a MessageStatus"
    return type(value).__name__


_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "===": _strict_equal,
    "!==": lambda a, b: not _strict_equal(a, b),
    "==": _loose_equal,
    "!=": lambda a, b: not _loose_equal(a, b),
}


def _same_value_zero(left: Any, right: Any) -> bool:
    """``Array.prototype.includes``' equality: strict, except that NaN equals NaN."""
    if isinstance(left, float) and isinstance(right, float) and left != left and right != right:
        return True
    return _strict_equal(left, right)


def _call(method: str, target: Any, argument: Any) -> bool:
    """``target.includes(argument)`` or ``target.startsWith(argument)``, as JavaScript
    answers; where JavaScript throws (a missing or null target, a target without the
    method) or converts the argument to a string, [`NotEvaluated`][]."""
    if isinstance(target, list) and method == "includes":
        return any(_same_value_zero(item, argument) for item in target)
    if isinstance(target, str):
        if not isinstance(argument, str):
            raise NotEvaluated(f"{method} of a string with {_js_type(argument)} (not a string)")
        return argument in target if method == "includes" else target.startswith(argument)
    raise NotEvaluated(f"calling {method} of {_js_type(target)}")


def _evaluate(node: Node, scope: Mapping[str, Any]) -> Any:
    kind = node.kind
    if kind in ("literal", "status"):
        return node.value
    if kind == "array":
        return [_evaluate(child, scope) for child in node.children]
    if kind == "call":
        target, argument = (_evaluate(child, scope) for child in node.children)
        return _call(node.value, target, argument)
    if kind == "name":
        return scope.get(node.value, UNDEFINED)
    if kind == "member":
        target = _evaluate(node.children[0], scope)
        if target is UNDEFINED or target is None:
            raise NotEvaluated(f"reading {node.value!r} of {_js_type(target)}")
        if isinstance(target, Mapping):
            return target.get(node.value, UNDEFINED)
        raise NotEvaluated(f"reading {node.value!r} of a {_js_type(target)}")
    if kind == "not":
        return not _truthy(_evaluate(node.children[0], scope))
    op = node.value
    left = _evaluate(node.children[0], scope)
    if op == "&&":
        return _evaluate(node.children[1], scope) if _truthy(left) else left
    if op == "||":
        return left if _truthy(left) else _evaluate(node.children[1], scope)
    right = _evaluate(node.children[1], scope)
    if op in _OPERATORS:
        return _OPERATORS[op](left, right)
    return _compare(op, left, right)


def evaluate(condition: str | Node, scope: Mapping[str, Any]) -> bool:
    """Evaluate a condition against a run's scope; JavaScript truthiness decides.

    ``scope`` maps the roots (``data``, ``profile``, ``refs`` ...) to their values.
    Raises [`NotEvaluated`][] for anything outside the supported subset.

    Examples:
        >>> evaluate("profile.age >= 18 || data.override", {"profile": {"age": 20}})
        True
    """
    node = parse_condition(condition) if isinstance(condition, str) else condition
    return _truthy(_evaluate(node, scope))
