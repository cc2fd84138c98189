"""Every path through an automation: the explorer behind [`Automation.explore`][].

A flow with conditions is several flows. The explorer walks the steps in order and, at
each step's ``if``, branches on the outcomes of the condition's *atoms* (a comparison of
a ``data``/``profile`` path with a literal, a truthiness test, a ``refs.x.status``
comparison with a ``MessageStatus``), evaluating ``&&``, ``||`` and ``!`` as JavaScript
does (short-circuits included), and keeps only the outcomes that can hold together.

The satisfiability model, per variable (a path such as ``data.tier``):

* the constraints are the atoms decided on the path with their outcomes; a set is
  satisfiable when a *witness value* satisfies every one of them, evaluated by the
  simulator's own JavaScript semantics (``===`` strict, ``<`` only between numbers,
  between strings or between statuses on the delivery line);
* the candidate values are complete for comparisons with literals: every literal, one
  value inside each open interval between consecutive literals (numbers and strings), one
  beyond the ends, ``0`` and ``""``, ``true``, ``false``, ``null``, absent, and for
  ``refs.x.status`` every `MessageStatus`; so ``x > 5`` with ``x < 3`` and
  ``tier === 'vip'`` with ``tier === 'free'`` are pruned, and whatever survives comes
  with its witness;
* a path that is read deeper (``data.user.plan``) makes its prefix (``data.user``) an
  object;
* an atom neither of whose outcomes can hold (``data.age < 18`` once ``data.age`` is
  absent) takes the simulator's outcome: not evaluated, the step is skipped.

A ``refs.x`` whose step did not run on the path is undefined: ``refs.x.status`` cannot be
read, and the simulator reports the step ``not-evaluated`` (it does not run); the
explorer does the same and records the read, for `refs_set_before_read`. A ref to a send
step has one status for the whole path (the witness sets it with the engine's
``statuses``); a ref to another step reads ``PROCESSED``.

Atoms the model does not read (two paths compared, loose ``==``, ``refs.x.message_id``)
and conditions outside the grammar are *opaque*: both outcomes are explored and reported
in `ExploredPath.opaque`, never guessed; the simulated timeline then shows what the
simulator does with them.

Examples:
    >>> from datetime import UTC, datetime
    >>> from automation_dsl import Automation
    >>> from automation_dsl.conditions import data
    >>> flow = Automation().send("A", if_=data.tier == "vip").send("B", if_=data.tier == "free")
    >>> exploration = explore(flow, recipient="u1", start=datetime(2024, 1, 1, tzinfo=UTC))
    >>> [path.taken for path in exploration]
    [(0,), (1,), ()]
"""

from __future__ import annotations

import copy
import functools
import html
import itertools
import math
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any, Protocol, TypeAlias, runtime_checkable

import attrs

from ._engine import check_templates, simulate
from ._errors import NotEvaluated, ValidationError, ValidationTypeError
from ._js import UNDEFINED, MessageStatus, Node, evaluate, parse_condition
from ._ref import Ref, has_surrogate
from ._steps import AutomationLike, Send, SendList, SendMessage, Step
from ._timeline import Timeline, VirtualClock
from ._values import RunContext, given_context
from .conditions import Literal

__all__ = ["Exploration", "ExploredPath", "Rule", "Violation", "Witness"]

SEND_STEPS = (Send, SendList, SendMessage)
"""The step classes that send (and whose ``ref`` reads a message status)."""
MAX_PATHS = 10_000
"""The default bound on the paths an exploration enumerates."""

_OWNER = "explore"
_SCALAR_ROOTS = ("brand", "template", "recipient")


class _NotEvaluated:
    """The third outcome of an evaluation: the simulator's ``not-evaluated``."""

    def __repr__(self) -> str:
        return "not-evaluated"


_ERROR = _NotEvaluated()
_Truth: TypeAlias = bool | _NotEvaluated
_Var: TypeAlias = tuple[str, ...]


class _Object(dict[str, Any]):
    """The witness value of a path read deeper (``data.user`` for ``data.user.plan``)."""

    __slots__ = ()


# -- the condition, as the explorer reads it ------------------------------------------------


@attrs.frozen(slots=True)
class _Atom:
    """A comparison ``var op literal`` (op ``===``, ``<``, ``<=``), a truthiness test (op
    ``truthy``) or an opaque piece (op ``opaque``, ``text`` its JavaScript)."""

    var: _Var
    op: str
    literal: Any
    text: str

    def holds_text(self, outcome: _Truth) -> str:
        if self.op == "opaque":
            return f"{self.text} (opaque, assumed {'true' if outcome is True else 'false'})"
        if outcome is True:
            return self.text
        if self.op == "truthy":
            return f"not {self.text}"
        if self.op == "<":
            return self.text.replace(" < ", " >= ", 1)
        if self.op == "<=":
            return self.text.replace(" <= ", " > ", 1)
        return f"not ({self.text})"


@attrs.frozen(slots=True)
class _Op:
    """A node of the explorer's condition: ``not``, ``and``, ``or``, ``atom``, ``const``."""

    kind: str
    children: tuple[_Op, ...] = ()
    atom: _Atom | None = None
    value: _Truth = True


_FLIPPED = {"!==": "===", ">": "<=", ">=": "<"}
_MIRRORED = {"===": "===", "!==": "!==", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


def _text(node: Node) -> str:
    """The JavaScript of a parsed node (operands only)."""
    if node.kind == "status":
        return f"MessageStatus.{node.value.name.capitalize()}"
    if node.kind == "literal":
        value = node.value
        if value is UNDEFINED:
            return "undefined"
        if value is None:
            return "null"
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str):
            return Literal(value).to_js() if value.isprintable() else repr(value)
        return repr(value)
    if node.kind == "name":
        return str(node.value)
    if node.kind == "member":
        inner = _text(node.children[0])
        key = str(node.value)
        return f"{inner}.{key}" if key.isidentifier() else f"{inner}[{key!r}]"
    if node.kind == "array":
        return "[" + ", ".join(_text(child) for child in node.children) + "]"
    if node.kind == "call":
        target, argument = (_text(child) for child in node.children)
        return f"{target}.{node.value}({argument})"
    left, right = (_text(child) for child in node.children)
    if node.kind == "not":
        return f"!({left})"
    return f"{left} {node.value} {right}"


def _var(node: Node) -> _Var | None:
    """The path a name or member chain reads, ``refs.data.x`` read as ``data.x``."""
    parts: list[str] = []
    while node.kind == "member":
        parts.append(str(node.value))
        node = node.children[0]
    if node.kind != "name":
        return None
    parts.append(str(node.value))
    parts.reverse()
    if parts[0] == "refs" and len(parts) > 1 and parts[1] in ("data", "profile"):
        parts = parts[1:]
    return tuple(parts)


_EXPANDED_CHOICES = 16
"""The most items of a ``one_of`` read as ``x === a || x === b ...``; a longer one is an
opaque atom (assumed true, then false): witnesses over more cost a walk cubic in them."""


def _read(node: Node) -> _Op:
    """The explorer's form of a parsed condition."""
    kind = node.kind
    if kind in ("literal", "status"):
        return _Op("const", value=evaluate(node, {}))
    if kind in ("name", "member"):
        var = _var(node)
        assert var is not None
        return _Op("atom", atom=_Atom(var, "truthy", None, _text(node)))
    if kind == "not":
        return _Op("not", (_read(node.children[0]),))
    if kind == "call" and node.value == "includes" and node.children[0].kind == "array":
        # [a, b].includes(x), from one_of: x === a || x === b (no item is NaN: literals)
        items, argument = node.children[0].children, node.children[1]
        if 0 < len(items) <= _EXPANDED_CHOICES and all(
            item.kind in ("literal", "status") for item in items
        ):
            tests = [_read(Node("binary", "===", (argument, item))) for item in items]
            return functools.reduce(lambda left, right: _Op("or", (left, right)), tests)
    if kind in ("array", "call"):
        return _opaque(_text(node))  # a method's outcome on a witness is not modelled
    op = node.value
    if op in ("&&", "||"):
        return _Op("and" if op == "&&" else "or", tuple(_read(child) for child in node.children))
    left, right = node.children
    if left.kind in ("literal", "status") and right.kind in ("literal", "status"):
        try:
            return _Op("const", value=evaluate(node, {}))
        except NotEvaluated:
            return _Op("const", value=_ERROR)
    if op in _MIRRORED and left.kind in ("literal", "status"):
        left, right, op = right, left, _MIRRORED[op]
    var = _var(left)
    if op not in _MIRRORED or var is None or right.kind not in ("literal", "status"):
        return _opaque(_text(node))
    literal = right.value
    if isinstance(literal, float) and not math.isfinite(literal):
        return _opaque(_text(node))
    canonical = _FLIPPED.get(op, op)
    text = f"{_text(left)} {canonical} {_text(right)}"
    atom = _Op("atom", atom=_Atom(var, canonical, literal, text))
    if canonical != op:
        return _Op("not", (atom,))
    return atom


def _opaque(text: str) -> _Op:
    return _Op("atom", atom=_Atom(("?", text), "opaque", None, text))


def read_condition(condition: object) -> _Op | None:
    """The explorer's form of a step's ``if`` (``None`` when the step has none)."""
    if condition is None:
        return None
    text = condition if isinstance(condition, str) else str(condition)
    try:
        return _read(parse_condition(text))
    except NotEvaluated:
        return _opaque(text)


# -- the satisfiability model --------------------------------------------------------------


def _holds(atom: _Atom, value: Any) -> _Truth:
    """``atom`` evaluated on a concrete value, as the simulator does."""
    operand = Node("literal", {} if isinstance(value, _Object) else value)
    try:
        if atom.op == "truthy":
            return evaluate(operand, {})
        return evaluate(Node("binary", atom.op, (operand, Node("literal", atom.literal))), {})
    except NotEvaluated:
        return _ERROR


_LINE = (
    MessageStatus.SENT,
    MessageStatus.ENQUEUED,
    MessageStatus.DELIVERED,
    MessageStatus.OPENED,
    MessageStatus.CLICKED,
)
_STATUSES = (*_LINE, *(status for status in MessageStatus if status not in _LINE))


def _between(low: float, high: float) -> float:
    whole = math.floor(low) + 1
    return whole if whole < high else (low + high) / 2


def _candidates(var: _Var, atoms: Iterable[_Atom]) -> Iterator[Any]:
    """Values for ``var``: one in each region the atoms' literals cut (see the module)."""
    literals = [atom.literal for atom in atoms if atom.op != "truthy"]
    if len(var) == 3 and var[0] == "refs":
        yield from _STATUSES
        return
    yield from literals
    yield from (UNDEFINED, None, True, False)
    numbers = sorted(
        {
            0.0,
            *(float(x) for x in literals if isinstance(x, int | float) and not isinstance(x, bool)),
        }
    )
    yield from (int(x) if x.is_integer() else x for x in numbers)
    yield numbers[0] - 1
    yield math.floor(numbers[-1]) + 1
    for low, high in itertools.pairwise(numbers):
        yield _between(low, high)
    texts = sorted({"", *(x for x in literals if isinstance(x, str))})
    yield from texts
    bounds: list[str | None] = [*texts[1:], None]
    for text, bound in zip(texts, bounds, strict=True):
        for after in (text + "a", text + "\x00"):
            if bound is None or after < bound:
                yield after


def _witness(var: _Var, atoms: list[tuple[_Atom, _Truth]], object_: bool) -> Any:
    """A value of ``var`` on which every atom has its outcome, or ``_ERROR`` if none."""
    if object_:
        candidates: Iterable[Any] = (_Object(),)
    else:
        candidates = _candidates(var, (atom for atom, _ in atoms))
    for value in candidates:
        if (isinstance(value, float) and not math.isfinite(value)) or (
            isinstance(value, str) and has_surrogate(value)
        ):
            continue  # JSON data cannot hold it
        if all(_holds(atom, value) is outcome for atom, outcome in atoms):
            return value
    return _ERROR


# -- the walk ------------------------------------------------------------------------------


@attrs.define(slots=True)
class _State:
    """One partial path (copied on each branch)."""

    taken: tuple[int, ...] = ()
    facts: dict[tuple[Any, ...], _Truth] = attrs.field(factory=dict)
    atoms: dict[_Var, list[tuple[_Atom, _Truth]]] = attrs.field(factory=dict)
    values: dict[_Var, Any] = attrs.field(factory=dict)
    assumptions: tuple[str, ...] = ()
    opaque: tuple[str, ...] = ()
    refs: dict[str, bool] = attrs.field(factory=dict)  # ref -> set by a send step
    reads: tuple[tuple[int, str, bool], ...] = ()

    def branch(self) -> _State:
        return _State(
            self.taken,
            dict(self.facts),
            {var: list(atoms) for var, atoms in self.atoms.items()},
            dict(self.values),
            self.assumptions,
            self.opaque,
            dict(self.refs),
            self.reads,
        )

    def read_ref(self, index: int, name: str) -> _State:
        state = self.branch()
        state.reads += ((index, name, name in self.refs),)
        return state


def _key(atom: _Atom) -> tuple[Any, ...]:
    literal = atom.literal
    kind = type(literal).__name__ if not isinstance(literal, int | float) else "number"
    if isinstance(literal, bool):
        kind = "bool"
    return (atom.var, atom.op, kind, float(literal) if kind == "number" else repr(literal))


def _decide(state: _State, atom: _Atom, outcome: bool) -> _State | None:
    """``state`` with ``atom`` having ``outcome``, or ``None`` if that cannot hold."""
    var = atom.var
    constraints = [*state.atoms.get(var, ()), (atom, outcome)]
    deeper = any(other[: len(var)] == var and len(other) > len(var) for other in state.atoms)
    value = _witness(var, constraints, deeper)
    if value is _ERROR:
        return None
    new = state.branch()
    new.atoms[var] = constraints
    new.values[var] = value
    for other in state.atoms:  # a path read deeper is an object
        if (
            len(other) < len(var)
            and var[: len(other)] == other
            and not isinstance(new.values[other], _Object)
        ):
            prefix = _witness(other, new.atoms[other], True)
            if prefix is _ERROR:
                return None
            new.values[other] = prefix
    new.facts[_key(atom)] = outcome
    new.assumptions += (atom.holds_text(outcome),)
    return new


def _atom_outcomes(atom: _Atom, state: _State, index: int) -> Iterator[tuple[_Truth, _State]]:
    var = atom.var
    if atom.op == "opaque":
        key = _key(atom)
        if key in state.facts:
            yield state.facts[key], state
            return
        for outcome in (True, False):
            new = state.branch()
            new.facts[key] = outcome
            new.assumptions += (atom.holds_text(outcome),)
            if atom.text not in new.opaque:
                new.opaque += (atom.text,)
            yield outcome, new
        return
    root = var[0]
    if root == "refs":
        yield from _ref_outcomes(atom, state, index)
        return
    if (root in ("data", "profile") and len(var) == 1) or (root in _SCALAR_ROOTS and len(var) > 1):
        concrete = _Object() if len(var) == 1 else UNDEFINED
        if len(var) > 1:  # brand.x: reading a member of a string
            yield _ERROR, state
            return
        yield _holds(atom, concrete), state
        return
    yield from _symbolic(atom, state)


def _symbolic(atom: _Atom, state: _State) -> Iterator[tuple[_Truth, _State]]:
    key = _key(atom)
    if key in state.facts:
        yield state.facts[key], state
        return
    found = False
    for outcome in (True, False):
        new = _decide(state, atom, outcome)
        if new is not None:
            found = True
            yield outcome, new
    if not found:  # the value cannot be compared: the simulator does not evaluate it
        yield _ERROR, state


def _ref_outcomes(atom: _Atom, state: _State, index: int) -> Iterator[tuple[_Truth, _State]]:
    var = atom.var
    if len(var) == 1:  # refs itself: an object
        yield _holds(atom, _Object()), state
        return
    name = var[1]
    state = state.read_ref(index, name)
    if name not in state.refs:
        yield (_holds(atom, UNDEFINED) if len(var) == 2 else _ERROR), state
        return
    if len(var) == 2:
        yield _holds(atom, _Object()), state
        return
    if len(var) == 3 and var[2] == "status":
        if state.refs[name]:
            yield from _symbolic(atom, state)
        else:
            yield _holds(atom, "PROCESSED"), state
        return
    yield from _atom_outcomes(_Atom(("?", atom.text), "opaque", None, atom.text), state, index)


def _outcomes(op: _Op, state: _State, index: int) -> Iterator[tuple[_Truth, _State]]:
    """Each outcome of ``op`` (True, False, or not evaluated) that can hold, with its state."""
    if op.kind == "const":
        yield op.value, state
    elif op.kind == "atom":
        assert op.atom is not None
        yield from _atom_outcomes(op.atom, state, index)
    elif op.kind == "not":
        for value, new in _outcomes(op.children[0], state, index):
            yield (value if value is _ERROR else not value), new
    else:  # and, or: JavaScript's short-circuit
        go_on = op.kind == "and"
        for value, new in _outcomes(op.children[0], state, index):
            if value is go_on:
                yield from _outcomes(op.children[1], new, index)
            else:
                yield value, new


def _refs_in(value: object, found: set[str], depth: int = 0) -> None:
    """The ``refs.<name>`` a step's values read (``Ref("refs.welcome.message_id")``)."""
    if depth > 64:
        return
    if isinstance(value, Ref):
        parts = value.path.split(".")
        if parts[0] == "refs" and len(parts) > 1 and parts[1] not in ("data", "profile"):
            found.add(parts[1])
    elif isinstance(value, Mapping):
        for item in value.values():
            _refs_in(item, found, depth + 1)
    elif isinstance(value, list | tuple):
        for item in value:
            _refs_in(item, found, depth + 1)
    elif attrs.has(type(value)):
        for field in attrs.fields(type(value)):  # type: ignore[arg-type]
            if field.name != "if_":
                _refs_in(getattr(value, field.name), found, depth + 1)


@attrs.frozen(slots=True)
class _Plan:
    """What the walk needs of one step, read once."""

    condition: _Op | None
    ref: str | None
    sends: bool
    reads: tuple[str, ...]


def _plan(step: Step) -> _Plan:
    found: set[str] = set()
    _refs_in(step, found)
    ref = getattr(step, "ref", None)
    return _Plan(
        read_condition(getattr(step, "if_", None)),
        ref if isinstance(ref, str) and ref else None,
        isinstance(step, SEND_STEPS),
        tuple(sorted(found)),
    )


def _walk(plans: list[_Plan], max_paths: int) -> tuple[list[_State], bool]:
    """Every complete path (depth first, in step order), and whether ``max_paths`` cut it."""
    done: list[_State] = []
    stack: list[tuple[int, _State]] = [(0, _State())]
    while stack:
        index, state = stack.pop()
        if index == len(plans):
            if len(done) == max_paths:
                return done, True
            done.append(state)
            continue
        plan = plans[index]
        outcomes = (
            [(True, state)]
            if plan.condition is None
            else list(_outcomes(plan.condition, state, index))
        )
        for holds, new in reversed(outcomes):
            if holds is True:
                new = new.branch() if new is state else new
                for name in plan.reads:
                    new = new.read_ref(index, name)
                new.taken += (index,)
                if plan.ref is not None:
                    new.refs[plan.ref] = plan.sends
            stack.append((index + 1, new))
    return done, False


# -- the witness and the paths -------------------------------------------------------------


@attrs.frozen(slots=True)
class Witness:
    """The run context (and message statuses) a path was simulated with.

    Examples:
        >>> Witness({"tier": "vip"}, {}, {}, {}).data
        {'tier': 'vip'}
    """

    data: Mapping[str, Any]
    profile: Mapping[str, Any]
    statuses: Mapping[str, MessageStatus]
    others: Mapping[str, Any]
    """``recipient``, ``brand`` and ``template``, when set."""

    def context(self) -> dict[str, Any]:
        """The run context: ``data``, ``profile``, ``recipient`` ..."""
        return {"data": dict(self.data), "profile": dict(self.profile), **self.others}


def _place(root: dict[str, Any], parts: _Var, value: Any) -> None:
    node = root
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    if value is UNDEFINED:
        node.pop(parts[-1], None)
    elif isinstance(value, _Object):
        if not isinstance(node.get(parts[-1]), dict):
            node[parts[-1]] = {}
    else:
        node[parts[-1]] = value


def _witness_of(state: _State, base: Mapping[str, Any]) -> Witness:
    context = {key: copy.deepcopy(value) for key, value in base.items()}
    roots: dict[str, dict[str, Any]] = {
        root: dict(context.get(root) or {}) for root in ("data", "profile")
    }
    statuses: dict[str, MessageStatus] = {}
    for var in sorted(state.values, key=len):
        value = state.values[var]
        if var[0] in roots:
            _place(roots[var[0]], var[1:], value)
        elif var[0] == "refs" and isinstance(value, MessageStatus):
            statuses[var[1]] = value
        elif var[0] in _SCALAR_ROOTS:
            context[var[0]] = None if value is UNDEFINED else value
    others = {key: context[key] for key in _SCALAR_ROOTS if context.get(key) is not None}
    return Witness(roots["data"], roots["profile"], statuses, others)


@attrs.frozen(slots=True)
class ExploredPath:
    """One path through a flow: the steps it takes, what must hold for it, and its run.

    Attributes:
        taken: the indexes of the steps that run on this path, in order.
        assumptions: each atom decided on the path and its outcome, as text
            (``data.tier === 'vip'``, ``not (data.tier === 'vip')``).
        opaque: the conditions (or parts) the explorer cannot read; their outcome on this
            path is assumed, not known.
        timeline: the path simulated with its witness.
        witness: the run context and message statuses it was simulated with.
        reads: ``(step, ref, set before)`` for each ``refs.<name>`` read on the path.

    Examples:
        >>> from datetime import UTC, datetime
        >>> from automation_dsl import Automation
        >>> from automation_dsl.conditions import data
        >>> flow = Automation().send("A", if_=data.vip)
        >>> first = flow.explore(recipient="u1", start=datetime(2024, 1, 1, tzinfo=UTC))[0]
        >>> first.taken, first.assumptions, first.witness.data
        ((0,), ('data.vip',), {'vip': True})
    """

    taken: tuple[int, ...]
    assumptions: tuple[str, ...]
    opaque: tuple[str, ...]
    timeline: Timeline = attrs.field(eq=False, repr=False)
    witness: Witness = attrs.field(eq=False, repr=False)
    reads: tuple[tuple[int, str, bool], ...] = attrs.field(eq=False, repr=False)
    flow: AutomationLike = attrs.field(eq=False, repr=False)

    @property
    def simulated(self) -> tuple[int, ...]:
        """The steps the simulation ran (differs from `taken` only through opaque parts)."""
        run = next((e.run_id for e in self.timeline if e.step is None), None)
        seen: list[int] = []
        for event in self.timeline:
            if (
                event.run_id == run
                and event.step is not None
                and event.outcome not in ("skipped", "not-evaluated")
                and event.step not in seen
            ):
                seen.append(event.step)
        return tuple(seen)

    def describe(self) -> str:
        """The path in a few lines: assumptions, opaque parts, steps taken."""
        lines = ["assumptions: " + (" and ".join(self.assumptions) or "(none)")]
        if self.opaque:
            lines.append("opaque: " + "; ".join(self.opaque))
        steps = self.flow.steps
        taken = ", ".join(f"{index} {steps[index].action}" for index in self.taken)
        lines.append("taken: " + (taken or "(no step)"))
        return "\n".join(lines)

    def to_svg(self) -> str:
        """The flow drawn with this path's steps highlighted and its assumptions above."""
        return self.flow.to_svg(highlight=self.taken, notes=self.assumptions)

    def __str__(self) -> str:
        return f"{self.describe()}\n{self.timeline}"


@runtime_checkable
class Rule(Protocol):
    """A rule over paths: `broken` says how a path breaks it, or ``None``.

    Examples:
        >>> from automation_dsl import ends_or_cancelable
        >>> isinstance(ends_or_cancelable(), Rule)
        True
    """

    @property
    def name(self) -> str:
        """The rule as written (``max_sends(2, per=24:00:00)``)."""
        ...

    def broken(self, path: ExploredPath) -> str | None:
        """How ``path`` breaks the rule, or ``None`` when it holds."""
        ...


@attrs.frozen(slots=True)
class Violation:
    """A rule broken on a path: the counterexample.

    Attributes:
        rule: the rule, as written.
        message: what broke, and where.
        path: the path that breaks it (its assumptions, steps and timeline).

    Examples:
        >>> from datetime import UTC, datetime, timedelta
        >>> from automation_dsl import Automation, max_sends
        >>> flow = Automation().send("A").send("B")
        >>> exploration = flow.explore(recipient="u1", start=datetime(2024, 1, 1, tzinfo=UTC))
        >>> print(exploration.check(max_sends(1, per=timedelta(days=1)))[0].message)
        2 sends within 0 s: steps 0, 1 (more than 1)
    """

    rule: str
    message: str
    path: ExploredPath

    @property
    def timeline(self) -> Timeline:
        """The counterexample's simulated run."""
        return self.path.timeline

    def __str__(self) -> str:
        return f"{self.rule} fails: {self.message}\n{self.path}"

    def _repr_html_(self) -> str:
        head = html.escape(f"{self.rule} fails: {self.message}")
        body = "<br>".join(html.escape(line) for line in self.path.describe().splitlines())
        picture = self.path.to_svg()  # the flow, this path's steps highlighted
        return f"<p><strong>{head}</strong></p><p>{body}</p>{picture}{self.timeline._repr_html_()}"


@attrs.frozen(slots=True)
class Exploration:
    """The distinct paths through a flow; made by [`Automation.explore`][].

    Iterate it for the [`ExploredPath`][] objects; `check` proves rules over all of them.
    ``truncated`` is true when ``max_paths`` stopped the enumeration (then no rule is
    proven).

    Examples:
        >>> from datetime import UTC, datetime, timedelta
        >>> from automation_dsl import Automation, max_sends
        >>> from automation_dsl.conditions import data
        >>> flow = Automation().send("A").send("B", if_=data.vip)
        >>> exploration = flow.explore(recipient="u1", start=datetime(2024, 1, 1, tzinfo=UTC))
        >>> rule = max_sends(1, per=timedelta(hours=1))
        >>> len(exploration), [violation.path.taken for violation in exploration.check(rule)]
        (2, [(0, 1)])
    """

    flow: AutomationLike = attrs.field(repr=False)
    paths: tuple[ExploredPath, ...]
    truncated: bool = False

    def __iter__(self) -> Iterator[ExploredPath]:
        return iter(self.paths)

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> ExploredPath:
        return self.paths[index]

    def check(self, *rules: Rule) -> list[Violation]:
        """The violations of ``rules`` (`max_sends`, `quiet_hours` ...) on every path: each
        names the rule, says what broke, and holds the path and its timeline.

        A truncated exploration proves nothing: checking it raises a `ValidationError`.
        """
        for index, rule in enumerate(rules):
            if not isinstance(rule, Rule):
                expected = "a rule (max_sends, quiet_hours ...)"
                raise ValidationTypeError("Exploration.check", f"rules[{index}]", expected, rule)
        if self.truncated:
            raise ValidationError(
                "Exploration.check",
                "paths",
                "every path (explore with a larger max_paths)",
                f"the first {len(self.paths)}",
            )
        found = []
        for rule in rules:
            for path in self.paths:
                message = rule.broken(path)
                if message is not None:
                    found.append(Violation(rule.name, message, path))
        return found

    def __str__(self) -> str:
        head = f"{len(self.paths)} paths through {len(self.flow.steps)} steps"
        if self.truncated:
            head += " (truncated: more paths exist)"
        blocks = [head]
        for number, path in enumerate(self.paths, 1):
            block = "\n".join("  " + line for line in path.describe().splitlines())
            blocks.append(f"path {number}\n{block}")
        return "\n".join(blocks)

    def _repr_html_(self) -> str:
        rows = []
        for number, path in enumerate(self.paths, 1):
            cells = (
                str(number),
                ", ".join(map(str, path.taken)) or "-",
                "<br>".join(html.escape(text) for text in path.assumptions) or "-",
                "<br>".join(html.escape(text) for text in path.opaque) or "-",
            )
            rows.append("<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>")
        head = html.escape(str(self).splitlines()[0])
        return (
            f"<p>{head}</p><table><thead><tr><th>path</th><th>steps taken</th>"
            f"<th>assumptions</th><th>opaque</th></tr></thead><tbody>"
            + "".join(rows)
            + "</tbody></table>"
        )


def explore(
    flow: AutomationLike,
    *,
    start: datetime | None = None,
    data: Mapping[str, Any] | None = None,
    profile: Mapping[str, Any] | None = None,
    recipient: str | None = None,
    brand: str | None = None,
    template: str | None = None,
    templates: Mapping[str, AutomationLike] | None = None,
    max_paths: int = MAX_PATHS,
) -> Exploration:
    """Enumerate the distinct paths through ``flow``: what [`Automation.explore`][] does.

    Examples:
        >>> from automation_dsl import Automation
        >>> exploration = explore(Automation().send("A", if_="data.n > 5 && data.n < 3"))
        >>> [path.assumptions for path in exploration]  # A never runs: no path takes it
        [('data.n <= 5',), ('data.n > 5', 'data.n >= 3')]
    """
    if not isinstance(flow, AutomationLike):
        raise ValidationTypeError(_OWNER, "flow", "an Automation", flow)
    if isinstance(max_paths, bool) or not isinstance(max_paths, int) or max_paths < 1:
        raise ValidationError(_OWNER, "max_paths", "a positive int", max_paths)
    # The run context, start and templates are checked as simulate checks them, once,
    # before any path is walked (a context nested past the limit never reaches the walk).
    given = given_context(
        data=data, profile=profile, recipient=recipient, brand=brand, template=template
    )
    base = RunContext(**given).to_wire()
    if isinstance(start, datetime) and start.tzinfo is None:  # as before: a type error here
        raise ValidationTypeError(_OWNER, "start", "an aware datetime or None", start)
    start = VirtualClock(start, owner=_OWNER).now()
    templates = check_templates(templates, _OWNER)
    states, truncated = _walk([_plan(step) for step in flow.steps], max_paths)
    paths: list[ExploredPath] = []
    seen: set[tuple[tuple[int, ...], frozenset[str]]] = set()
    for state in states:
        key = (state.taken, frozenset(state.assumptions))
        if key in seen:
            continue
        seen.add(key)
        witness = _witness_of(state, base)
        context = witness.context()
        timeline = simulate(
            flow,
            start=start,
            templates=templates,
            statuses=witness.statuses,
            **context,
        )
        paths.append(
            ExploredPath(
                state.taken,
                state.assumptions,
                state.opaque,
                timeline,
                witness,
                state.reads,
                flow,
            )
        )
    return Exploration(flow, tuple(paths), truncated)
