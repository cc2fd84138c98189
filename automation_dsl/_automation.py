"""``Automation``: the immutable, chainable builder of a Courier automation.

Every method returns a new automation and leaves its receiver as it was, so a
base flow can be branched and reused safely.

Examples:
    >>> from datetime import datetime, timezone
    >>> from automation_dsl import Automation
    >>> flow = Automation().send("SAMPLE_TEMPLATE").delay(
    ...     until=datetime(2024, 4, 8, 8, 9, 10, 123000, tzinfo=timezone.utc))
    >>> flow.to_dict()
    {'steps': [{'action': 'send', 'template': 'SAMPLE_TEMPLATE'}, \
{'action': 'delay', 'until': '20240408T080910.123'}]}
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, cast, overload

import attrs

from . import _document
from . import _fields as f
from ._errors import ValidationError, ValidationTypeError, _show
from ._localtime import LocalTime
from ._payload_schema import PayloadSchema, SchemaSource
from ._ref import Ref, RefLike
from ._schema_check import check_automation
from ._step_methods import StepMethods
from ._steps import Step
from ._time import UntilFormat
from ._timing import check_timing
from ._types import DataLike
from ._values import RunContext

if TYPE_CHECKING:
    from ._client import AsyncCourierClient, CourierClient
    from ._explore import Exploration
    from ._schedule import Schedule
    from ._timeline import Timeline

__all__ = ["Automation"]

P = ParamSpec("P")
_object_new = object.__new__


def _steps(value: Iterable[Step]) -> tuple[Step, ...]:
    if not isinstance(value, Iterable) or isinstance(value, str | bytes | Mapping):
        raise ValidationTypeError(
            "Automation", "steps", "a list or tuple of step objects (Send, Delay, ...)", value
        )
    steps = tuple(value)
    for index, step in enumerate(steps):
        if not isinstance(step, Step):
            raise ValidationTypeError(
                "Automation", f"steps[{index}]", "a step object (Send, Delay, ...)", step
            )
    return steps


def _until_format(value: UntilFormat | str) -> UntilFormat:
    if isinstance(value, str):  # the enum's own error would repr any value, unbounded
        try:
            return UntilFormat(value)
        except ValueError:
            pass
    error = ValidationError if isinstance(value, str) else ValidationTypeError
    raise error("Automation", "until_format", "'basic' or 'extended'", value)


def _data_schema(value: PayloadSchema | SchemaSource | None) -> PayloadSchema | None:
    return PayloadSchema.of(value, "Automation", "data_schema")


def _profile_schema(value: PayloadSchema | SchemaSource | None) -> PayloadSchema | None:
    return PayloadSchema.of(value, "Automation", "profile_schema")


def _same(left: Any, right: Any, field: str) -> Any:
    """The value of ``field`` for ``left + right``: whichever side sets it; two differ: error."""
    if right is None:
        return left
    if left is not None and left != right:
        raise ValidationError(
            "Automation.then",
            field,
            f"the same {'token' if field == 'cancelation_token' else field} on both sides "
            f"(left is {_show(left)})",
            right,
        )
    return right


def _same_schema(
    left: PayloadSchema | None, right: PayloadSchema | None, field: str
) -> PayloadSchema | None:
    """As ``_same``; of two equal schemas, the one made from a class (it takes instances)."""
    kept = _same(left, right, field)
    return left if left is not None and left.cls is not None else kept


def _typed_reads(step: Step) -> set[str]:
    """The ``refs.<name>`` a step's typed condition reads (a string ``if`` is not read)."""
    condition = getattr(step, "if_", None)
    if condition is None or isinstance(condition, str):
        return set()
    return cast(Any, condition).refs_read()  # type: ignore[no-any-return]


def _ref_error(steps: tuple[Step, ...], index: int, name: str, hint: str) -> ValidationError:
    condition = cast(Any, steps[index].if_)
    return ValidationError(
        f"{steps[index].OWNER} #{index}",
        "if",
        f"refs.{name} set by an earlier step",
        condition.to_js(),
        hint=hint,
    )


def _check_refs(steps: tuple[Step, ...], start: int, *, whole: bool = False) -> None:
    """Typed conditions from ``steps[start]`` on read refs set by earlier steps.

    A fragment may read a ref that the flow it is added to sets, so a ref that no step sets
    is refused only for a ``whole`` flow (when it is invoked, serialized as a body or
    simulated). Always refused: a ref set by a later step (the order is wrong) and one
    that resembles an earlier step's ref (a typo: did you mean ...?).
    """
    for index in range(start, len(steps)):
        reads = _typed_reads(steps[index])
        if not reads:
            continue
        earlier = [ref for step in steps[:index] if (ref := getattr(step, "ref", None))]
        for name in sorted(reads - set(earlier)):
            later = [i for i, step in enumerate(steps) if getattr(step, "ref", None) == name]
            if later:
                hint = (
                    f"ref={name!r} is set by a later step, {steps[later[0]].OWNER} "
                    f"#{later[0]}: move it before step #{index}"
                )
                raise _ref_error(steps, index, name, hint)
            close = difflib.get_close_matches(name, earlier, n=1, cutoff=0.8)
            known = ", ".join(repr(ref) for ref in earlier[:20]) or "none"
            if close:
                hint = f"did you mean refs.{close[0]}? (earlier refs: {known})"
                raise _ref_error(steps, index, name, hint)
            if whole:
                hint = (
                    f"no earlier step has ref={name!r} (earlier refs: {known}); a fragment "
                    "that reads its host's refs runs only added after the step that sets them"
                )
                raise _ref_error(steps, index, name, hint)


def _check_new_ref(steps: tuple[Step, ...]) -> None:
    """The last step sets a ``ref``: no earlier step may have read it (the order is wrong)."""
    name = getattr(steps[-1], "ref", None)
    if name is None:
        return
    for index, step in enumerate(steps[:-1]):
        if name in _typed_reads(step):
            hint = (
                f"ref={name!r} is set by a later step, {steps[-1].OWNER} "
                f"#{len(steps) - 1}: move it before step #{index}"
            )
            raise _ref_error(steps, index, name, hint)


def check_refs(steps: tuple[Step, ...]) -> None:
    """The compose-time check of ``steps`` (see `_check_refs`): refs in the wrong order
    and probable typos are refused, refs that no step sets are left to the host flow."""
    _check_refs(steps, 0)


def check_whole_refs(automation: Automation) -> None:
    """Refuse an automation run as a whole flow whose typed conditions read a ref that no
    earlier step sets (a fragment's, not yet added to the flow that sets it)."""
    _check_refs(automation.steps, 0, whole=True)


@attrs.frozen(slots=True, repr=False, init=False)
class Automation(StepMethods):
    """An automation: an ordered, immutable tuple of steps and an optional cancelation token.

    Args:
        cancelation_token: a token that makes runs of this automation cancelable by a later
            ``cancel`` step with the same token; a string or a [`Ref`][].
        steps: the steps, for building from existing step objects.
        until_format: how ``delay(until=...)`` is written: ``"basic"``
            (``20240408T080910.123``, the default) or ``"extended"``
            (``2024-04-08T08:09:10.123Z``).
        data_schema: the shape of the run's ``data``: an attrs class, a dataclass, a
            ``TypedDict`` or a JSON Schema mapping (see docs/payload-schemas.md). Every
            ``data.`` path a step reads is checked against it as the step is added, and
            ``data`` against it when the automation is invoked.
        profile_schema: the same for the run's ``profile``.

    Examples:
        >>> base = Automation().send("WELCOME")
        >>> nudge = base.delay(days=1).send("NUDGE")
        >>> len(base), len(nudge)
        (1, 3)
        >>> nudge
        Automation().send('WELCOME').delay(duration='1 day').send('NUDGE')
    """

    OWNER = "Automation"

    cancelation_token: str | Ref | None = f.text(required=False, ref=True)
    steps: tuple[Step, ...] = attrs.field(default=(), kw_only=True)
    until_format: UntilFormat = attrs.field(default=UntilFormat.BASIC, kw_only=True)
    data_schema: PayloadSchema | None = attrs.field(default=None, kw_only=True)
    profile_schema: PayloadSchema | None = attrs.field(default=None, kw_only=True)

    def __init__(
        self,
        cancelation_token: str | RefLike | None = None,
        *,
        steps: Iterable[Step] = (),
        until_format: UntilFormat | str = UntilFormat.BASIC,
        data_schema: PayloadSchema | SchemaSource | None = None,
        profile_schema: PayloadSchema | SchemaSource | None = None,
    ) -> None:
        # Written by hand: the parameters accept more than the attributes hold (a typed
        # path becomes a Ref, any iterable a tuple, a class a PayloadSchema), which attrs'
        # converters would hide from type checkers.
        _set_token(self, _convert_token(cancelation_token, self, _TOKEN))
        _set_steps(self, _steps(steps))
        _set_format(self, _until_format(until_format))
        _set_data_schema(self, _data_schema(data_schema))
        _set_profile_schema(self, _profile_schema(profile_schema))
        check_automation(self.steps, self.cancelation_token, self.data_schema, self.profile_schema)
        check_timing(self.steps)

    # -- building -------------------------------------------------------------------------

    def _with(self, steps: tuple[Step, ...]) -> Automation:
        """A copy holding ``steps``, already validated: skips re-checking every step."""
        new = _object_new(Automation)
        _set_token(new, self.cancelation_token)
        _set_steps(new, steps)
        _set_format(new, self.until_format)
        _set_data_schema(new, self.data_schema)
        _set_profile_schema(new, self.profile_schema)
        return new

    def _append(self, step: Step) -> Automation:
        """A copy with one more step, already validated by its class."""
        steps = (*self.steps, step)
        condition = getattr(step, "if_", None)
        if condition is not None and condition.__class__ is not str:
            _check_refs(steps, len(steps) - 1)
        if getattr(step, "ref", None) is not None:
            _check_new_ref(steps)
        if getattr(step, "until", None).__class__ is LocalTime:
            check_timing(steps, len(steps) - 1)
        if self.data_schema is not None or self.profile_schema is not None:
            check_automation(
                steps, None, self.data_schema, self.profile_schema, start=len(steps) - 1
            )
        return self._with(steps)

    def step(self, step: Step) -> Automation:
        """Append any step object.

        Examples:
            >>> from automation_dsl import Cancel
            >>> Automation().step(Cancel(cancelation_token="t")).to_dict()["steps"]
            [{'action': 'cancel', 'cancelation_token': 't'}]
        """
        if not isinstance(step, Step):
            raise ValidationTypeError("Automation.step", "step", "a step object", step)
        return self._append(step)

    # -- composing ------------------------------------------------------------------------

    def then(self, other: Automation) -> Automation:
        """Return this automation's steps followed by ``other``'s (also ``self + other``).

        The cancelation token is kept from whichever side sets it; two different tokens are
        an error.

        Examples:
            >>> welcome = Automation().send("WELCOME")
            >>> nudge = Automation().delay(days=2).send("NUDGE")
            >>> len(welcome + nudge)
            3
        """
        if not isinstance(other, Automation):
            raise ValidationTypeError("Automation.then", "other", "an Automation", other)
        token = _same(self.cancelation_token, other.cancelation_token, "cancelation_token")
        data_schema = _same_schema(self.data_schema, other.data_schema, "data_schema")
        profile_schema = _same_schema(self.profile_schema, other.profile_schema, "profile_schema")
        steps = self.steps + other.steps
        _check_refs(steps, 0)
        return attrs.evolve(
            self,
            cancelation_token=token,
            steps=steps,
            data_schema=data_schema,
            profile_schema=profile_schema,
        )

    def __add__(self, other: Automation) -> Automation:
        return self.then(other)

    def pipe(
        self,
        fn: Callable[Concatenate[Automation, P], Automation],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> Automation:
        """Return ``fn(self, *args, **kwargs)``: apply a reusable flow fragment.

        Examples:
            >>> def remind(flow, template, *, after):
            ...     return flow.delay(duration=after).send(template)
            >>> Automation().send("WELCOME").pipe(remind, "NUDGE", after="1 day")
            Automation().send('WELCOME').delay(duration='1 day').send('NUDGE')
        """
        if not callable(fn):
            raise ValidationTypeError(
                "Automation.pipe", "fn", "a function taking and returning an Automation", fn
            )
        result = fn(self, *args, **kwargs)
        if not isinstance(result, Automation):
            raise ValidationTypeError(
                "Automation.pipe",
                "fn",
                "a function returning an Automation",
                result,
                hint=f"{_show(getattr(fn, '__name__', fn))} returned something else",
            )
        return result

    def with_cancelation_token(self, token: str | RefLike | None) -> Automation:
        """Return a copy with another cancelation token (``None`` removes it).

        Examples:
            >>> Automation().send("A").with_cancelation_token("t").to_dict()["cancelation_token"]
            't'
        """
        return attrs.evolve(self, cancelation_token=token)

    def with_data_schema(self, schema: PayloadSchema | SchemaSource | None) -> Automation:
        """Return a copy whose ``data`` has this schema (``None`` removes it); every step's
        paths are checked against it.

        Examples:
            >>> from typing import TypedDict
            >>> class Order(TypedDict):
            ...     total: float
            >>> Automation().with_data_schema(Order).data_schema
            PayloadSchema(Order)
        """
        return attrs.evolve(self, data_schema=schema)

    def with_profile_schema(self, schema: PayloadSchema | SchemaSource | None) -> Automation:
        """Return a copy whose ``profile`` has this schema (``None`` removes it).

        Examples:
            >>> schema = {"type": "object", "properties": {"email": {"type": "string"}}}
            >>> Automation().with_profile_schema(schema).profile_schema is not None
            True
        """
        return attrs.evolve(self, profile_schema=schema)

    def with_until_format(self, until_format: UntilFormat | str) -> Automation:
        """Return a copy that writes ``until`` in another format (``"basic"`` or ``"extended"``).

        Examples:
            >>> flow = Automation().delay(until="2024-04-08T08:09:10Z")
            >>> flow.with_until_format("extended").to_dict()["steps"][0]["until"]
            '2024-04-08T08:09:10.000Z'
        """
        return attrs.evolve(self, until_format=until_format)

    @property
    def unresolved_refs(self) -> tuple[str, ...]:
        """The refs this automation's typed conditions read that no earlier step sets:
        a fragment's reads of the flow it will be added to. A whole flow has none (it is
        refused when invoked, serialized as an invoke body, simulated or explored).

        Examples:
            >>> from automation_dsl.conditions import MessageStatus, refs
            >>> nudge = Automation().send("NUDGE", if_=refs.welcome.status < MessageStatus.OPENED)
            >>> nudge.unresolved_refs
            ('welcome',)
            >>> (Automation().send("WELCOME", ref="welcome") + nudge).unresolved_refs
            ()
        """
        found: set[str] = set()
        earlier: set[str] = set()
        for step in self.steps:
            found |= _typed_reads(step) - earlier
            if (ref := getattr(step, "ref", None)) is not None:
                earlier.add(ref)
        return tuple(sorted(found))

    # -- the sequence protocol ------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.steps)

    def __iter__(self) -> Iterator[Step]:
        return iter(self.steps)

    @overload
    def __getitem__(self, index: int) -> Step: ...

    @overload
    def __getitem__(self, index: slice) -> Automation: ...

    def __getitem__(self, index: int | slice) -> Step | Automation:
        if isinstance(index, slice):
            sliced = self._with(self.steps[index])
            check_automation(sliced.steps, None, self.data_schema, self.profile_schema)
            return sliced
        return self.steps[index]

    def __repr__(self) -> str:
        args = []
        if self.cancelation_token is not None:
            args.append(repr(self.cancelation_token))
        if self.until_format is not UntilFormat.BASIC:
            args.append(f"until_format={self.until_format.value!r}")
        for name in ("data_schema", "profile_schema"):
            if getattr(self, name) is not None:
                args.append(f"{name}={getattr(self, name)!r}")
        return f"Automation({', '.join(args)})" + "".join(step.chain() for step in self.steps)

    # -- showing ------------------------------------------------------------------------

    def explain(self) -> str:
        """A plain-text table of the steps: action, key fields, ``if``/``ref``, and when.

        Examples:
            >>> print(Automation().send("A", ref="a").delay(hours=36).send("B").explain())
            #  action  details              when
            0  send    template=A  [ref a]  start
            1  delay   duration=36 hours    start
            2  send    template=B           start + 36 hours
        """
        from ._render import explain

        return explain(self)

    def to_svg(
        self,
        *,
        highlight: Iterable[int] = (),
        notes: Sequence[str] = (),
        title: str | None = None,
    ) -> str:
        """Draw the automation as a self-contained SVG picture (no script, no network).

        Steps run top to bottom; a condition is a tab on the step it gates, a delay a gap
        labelled with its time, a ref an arrow from the step that sets it to the steps that
        read it; the cancelation token and the cancel steps are marked. See the
        [pictures guide](../pictures.md).

        Args:
            highlight: the indexes of the steps a path takes: drawn emphasised, the others dimmed.
            notes: lines printed above the picture (a path's assumptions, say).
            title: the picture's accessible title (default: ``Automation: N steps``).

        Examples:
            >>> svg = Automation().send("A", ref="a").delay(days=1).to_svg(highlight=[0])
            >>> svg.startswith("<svg") and "wait 1 day" in svg
            True
        """
        from ._svg import flow_svg  # documented upward edge: pictures live with _render

        return flow_svg(self, highlight=highlight, notes=notes, title=title)

    def to_mermaid(self) -> str:
        """The automation as a Mermaid flowchart, for Markdown (GitHub, mkdocs).

        Examples:
            >>> print(Automation().send("A").delay(hours=2).to_mermaid())
            flowchart TD
              s0["0 send: template=A"]
              s1(["1 wait 2 hours"])
              s0 --> s1
        """
        from ._mermaid import flow_mermaid  # documented upward edge: pictures live with _render

        return flow_mermaid(self)

    def _repr_html_(self) -> str:
        from ._render import automation_html

        return automation_html(self)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        """Jupyter's rich display: an HTML table, the ``automation`` JSON, and the repr."""
        return {
            "text/plain": repr(self),
            "text/html": self._repr_html_(),
            "application/json": self.to_dict(),
        }

    # -- serialization --------------------------------------------------------------------

    def to_dict(self, *, until_format: UntilFormat | str | None = None) -> dict[str, Any]:
        """Return the ``automation`` object of an invoke body: ``steps`` and ``cancelation_token``.

        Args:
            until_format: overrides the automation's own ``until_format`` for this call.

        Examples:
            >>> Automation("t").cancel("t").to_dict()
            {'cancelation_token': 't', 'steps': [{'action': 'cancel', 'cancelation_token': 't'}]}
        """
        fmt = self.until_format if until_format is None else _until_format(until_format)
        out: dict[str, Any] = {}
        if self.cancelation_token is not None:
            token = self.cancelation_token
            out["cancelation_token"] = token.to_wire() if isinstance(token, Ref) else token
        out["steps"] = [step.to_wire(fmt) for step in self.steps]
        return out

    def to_payload(
        self,
        context: RunContext | Mapping[str, Any] | None = None,
        /,
        *,
        data: DataLike | None = None,
        profile: DataLike | None = None,
        recipient: str | None = None,
        brand: str | None = None,
        template: str | None = None,
        until_format: UntilFormat | str | None = None,
        now: datetime | None = None,
    ) -> dict[str, Any]:
        """Return the whole body of ``POST /automations/invoke``.

        The run context is given as keywords, or as a [`RunContext`][]
        or a mapping of its fields (keywords then override them). Unset fields are omitted.

        A local-time delay ([`at`][automation_dsl.at]) is resolved for this run context as
        invoked at ``now`` (by default, the current time): Courier receives its instant.

        Examples:
            >>> Automation().send("A").to_payload(recipient="user-1")
            {'automation': {'steps': [{'action': 'send', 'template': 'A'}]}, 'recipient': 'user-1'}
            >>> from datetime import UTC, datetime
            >>> from automation_dsl import at
            >>> from automation_dsl.conditions import profile
            >>> nine = Automation().delay(until=at("09:00", tz=profile.timezone))
            >>> body = nine.to_payload(profile={"timezone": "Asia/Tokyo"},
            ...                        now=datetime(2026, 7, 1, 12, tzinfo=UTC))
            >>> body["automation"]["steps"][0]
            {'action': 'delay', 'until': '20260702T000000.000'}
        """
        check_whole_refs(self)
        return _document.to_payload(
            self,
            context,
            data=data,
            profile=profile,
            recipient=recipient,
            brand=brand,
            template=template,
            until_format=until_format,
            now=now,
        )

    def to_json(
        self,
        context: RunContext | Mapping[str, Any] | None = None,
        /,
        *,
        indent: int | None = None,
        data: DataLike | None = None,
        profile: DataLike | None = None,
        recipient: str | None = None,
        brand: str | None = None,
        template: str | None = None,
        until_format: UntilFormat | str | None = None,
        now: datetime | None = None,
    ) -> str:
        """Return `to_payload` as JSON text (the body a client sends).

        Examples:
            >>> Automation().send("A").to_json()
            '{"automation": {"steps": [{"action": "send", "template": "A"}]}}'
        """
        return _document.to_json(
            self,
            context,
            indent=indent,
            data=data,
            profile=profile,
            recipient=recipient,
            brand=brand,
            template=template,
            until_format=until_format,
            now=now,
        )

    # -- simulating -----------------------------------------------------------------------

    def simulate(
        self,
        *,
        start: datetime | None = None,
        data: Mapping[str, Any] | None = None,
        profile: Mapping[str, Any] | None = None,
        recipient: str | None = None,
        brand: str | None = None,
        template: str | None = None,
        templates: Mapping[str, Automation] | None = None,
        webhooks: Mapping[str, Any] | None = None,
        profiles: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> Timeline:
        """Run this automation on a virtual clock, offline, and return what it would do.

        Args:
            start: the clock's start (an aware datetime); now by default.
            data: the run's ``data`` (the run context, as at invoke).
            profile: the run's ``profile``.
            recipient: the run's recipient user id.
            brand: the run's brand id.
            template: the run's template (the default of ``send`` steps without one).
            templates: automation templates that ``invoke`` steps may start, by id.
            webhooks: JSON replies for ``fetch-data`` URLs (no request is ever made).
            profiles: stored profiles, by recipient, before the run.

        Delays pass instantly; conditions outside the supported JavaScript subset are
        reported as not evaluated (the step does not run). See
        [`Sandbox`][automation_dsl.sandbox.Sandbox] for the same simulator behind Courier's
        HTTP API.

        Examples:
            >>> from datetime import datetime, timezone
            >>> flow = Automation().send("WELCOME", ref="welcome").delay(days=2).send(
            ...     "NUDGE", if_="refs.welcome.status < MessageStatus.Opened")
            >>> timeline = flow.simulate(start=datetime(2024, 4, 8, tzinfo=timezone.utc),
            ...                          recipient="user-1")
            >>> [(e.at.day, e.outcome) for e in timeline if e.step is not None]
            [(8, 'sent'), (8, 'waiting'), (10, 'resumed'), (10, 'sent')]
        """
        from ._engine import simulate  # documented upward edge: the offline layer

        check_whole_refs(self)
        return simulate(
            self,
            start=start,
            data=data,
            profile=profile,
            recipient=recipient,
            brand=brand,
            template=template,
            templates=templates,
            webhooks=webhooks,
            profiles=profiles,
        )

    def explore(
        self,
        *,
        start: datetime | None = None,
        data: Mapping[str, Any] | None = None,
        profile: Mapping[str, Any] | None = None,
        recipient: str | None = None,
        brand: str | None = None,
        template: str | None = None,
        templates: Mapping[str, Automation] | None = None,
        max_paths: int = 10_000,
    ) -> Exploration:
        """Enumerate the distinct paths through this automation, each simulated.

        Each step's ``if`` is split into atoms (comparisons over ``data`` and ``profile``,
        ``refs.x.status`` over `MessageStatus`); their outcomes are enumerated, pruned to
        what can hold together, and each path is simulated with a run context (a witness)
        that makes them hold. See [Exploring paths](explore.md).

        Args:
            start: when each path's run starts (an aware datetime); now by default.
            data: the base ``data``: the witness of each path overrides what conditions read.
            profile: the base ``profile`` (a zone for `quiet_hours` goes here).
            recipient: the run's recipient user id.
            brand: the run's brand id.
            template: the run's template.
            templates: automation templates that ``invoke`` steps may start, by id.
            max_paths: stop after this many paths (the exploration is then ``truncated``).

        Examples:
            >>> from datetime import UTC, datetime
            >>> from automation_dsl.conditions import data
            >>> flow = Automation().send("A").send("B", if_=(data.n > 5) & (data.n < 3))
            >>> [path.taken for path in flow.explore(recipient="u1")]  # B never runs
            [(0,), (0,)]
        """
        from ._explore import explore  # documented upward edge: the offline layer

        check_whole_refs(self)
        return explore(
            self,
            start=start,
            data=data,
            profile=profile,
            recipient=recipient,
            brand=brand,
            template=template,
            templates=templates,
            max_paths=max_paths,
        )

    def schedule(
        self,
        contexts: Iterable[RunContext | Mapping[str, Any]],
        *,
        start: datetime | None = None,
    ) -> Schedule:
        """Preview, offline, when each step fires for each run context: in UTC and in the
        recipient's zone, with DST gaps and folds, fallback zones and missing zones flagged.

        Args:
            contexts: run contexts as ``invoke_many`` takes them (dicts or
                [`RunContext`][] objects; columns other than the run-context fields go into
                ``data``): a list, DataFrame records, or a generator, read lazily.
            start: when every run is invoked (an aware datetime); now by default.

        Returns a lazy [`Schedule`][automation_dsl.Schedule]: iterate it for one
        [`ScheduleRow`][automation_dsl.ScheduleRow] per context, or print it (a text table of
        the first rows and counts of all; an HTML table in a notebook).

        Examples:
            >>> from datetime import UTC, datetime
            >>> from automation_dsl import at
            >>> from automation_dsl.conditions import profile
            >>> flow = Automation().delay(until=at("09:00", tz=profile.timezone, days="Mo-Fr"))
            >>> preview = flow.schedule([{"profile": {"timezone": "America/New_York"}}],
            ...                         start=datetime(2026, 3, 6, 18, tzinfo=UTC))
            >>> [str(row.steps[0].local) for row in preview]
            ['2026-03-09 09:00:00-04:00']
        """
        from ._schedule import Schedule  # documented upward edge: the preview reads rows

        return Schedule(self, contexts, start)

    # -- running --------------------------------------------------------------------------

    def run(
        self,
        *,
        data: DataLike | None = None,
        profile: DataLike | None = None,
        recipient: str | None = None,
        brand: str | None = None,
        template: str | None = None,
        idempotency_key: str | None = None,
        client: CourierClient | None = None,
    ) -> str:
        """Invoke this automation and return the ``runId``: the one-liner for scripts.

        Without ``client``, a [`CourierClient`][] is made from the
        environment (``COURIER_API_KEY``, ``COURIER_BASE_URL``) for this call. Each call
        is a new run unless ``idempotency_key`` is pinned: re-running a notebook cell with
        the same key does not start a second run.

        Examples:
            >>> from automation_dsl.sandbox import Sandbox
            >>> with Sandbox() as sandbox, sandbox.client() as client:
            ...     run_id = Automation().send("WELCOME").run(recipient="user-1", client=client)
            >>> run_id.startswith("1-")
            True
        """
        from ._api import run  # documented upward edge: the facade owns the client

        return run(
            self,
            data=data,
            profile=profile,
            recipient=recipient,
            brand=brand,
            template=template,
            idempotency_key=idempotency_key,
            client=client,
        )

    async def arun(
        self,
        *,
        data: DataLike | None = None,
        profile: DataLike | None = None,
        recipient: str | None = None,
        brand: str | None = None,
        template: str | None = None,
        idempotency_key: str | None = None,
        client: AsyncCourierClient | None = None,
    ) -> str:
        """The asyncio twin of `run`.

        Examples:
            >>> import asyncio
            >>> from automation_dsl.sandbox import Sandbox
            >>> async def main(sandbox):
            ...     async with sandbox.async_client() as client:
            ...         return await Automation().send("WELCOME").arun(client=client)
            >>> with Sandbox() as sandbox:
            ...     run_id = asyncio.run(main(sandbox))
            >>> run_id.startswith("1-")
            True
        """
        from ._api import arun  # documented upward edge: the facade owns the client

        return await arun(
            self,
            data=data,
            profile=profile,
            recipient=recipient,
            brand=brand,
            template=template,
            idempotency_key=idempotency_key,
            client=client,
        )

    # -- parsing --------------------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, lenient: bool = False) -> Automation:
        """Parse an ``automation`` object (``{"steps": [...], "cancelation_token": ...}``).

        Errors carry a path such as ``steps[2].until``. An unknown action is an error
        unless ``lenient=True``, which keeps such steps untouched as raw steps. The
        ``until`` format of the input is kept, so the round trip is exact.

        Examples:
            >>> Automation.from_dict({"steps": [{"action": "delay", "duration": "1 hour"}]})
            Automation().delay(duration='1 hour')
        """
        return _document.from_dict(cls, data, lenient=lenient)

    @classmethod
    def from_payload(
        cls, payload: Mapping[str, Any], *, lenient: bool = False
    ) -> tuple[Automation, RunContext]:
        """Parse a whole invoke body into the automation and its run context.

        Examples:
            >>> flow, context = Automation.from_payload(
            ...     {"automation": {"steps": []}, "recipient": "user-1"})
            >>> context.recipient
            'user-1'
        """
        return _document.from_payload(cls, payload, lenient=lenient)

    @classmethod
    def from_json(cls, text: str | bytes, *, lenient: bool = False) -> Automation:
        """Parse JSON text: a whole invoke body, or just its ``automation`` object.

        Use `from_payload` to keep the run context too.

        Examples:
            >>> Automation.from_json('{"automation": {"steps": [{"action": "send"}]}}')
            Automation().send()
        """
        return _document.from_json(cls, text, lenient=lenient)


# Slot setters for Automation._with: cheaper than object.__setattr__ on a frozen class.
_set_token = Automation.__dict__["cancelation_token"].__set__
_TOKEN = attrs.fields(Automation).cancelation_token
_token_converter: Any = _TOKEN.converter
_convert_token = _token_converter.converter  # f.text's check, given the instance and field
_set_steps = Automation.__dict__["steps"].__set__
_set_format = Automation.__dict__["until_format"].__set__
_set_data_schema = Automation.__dict__["data_schema"].__set__
_set_profile_schema = Automation.__dict__["profile_schema"].__set__
_attrs_setstate = cast(Any, Automation).__setstate__


def _setstate(self: Automation, state: Any) -> None:
    """attrs' ``__setstate__``, after defaults for the fields older pickles lack (0.1.0
    pickles have no payload schemas)."""
    _set_data_schema(self, None)
    _set_profile_schema(self, None)
    _attrs_setstate(self, state)


cast(Any, Automation).__setstate__ = _setstate
