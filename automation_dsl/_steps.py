"""The automation steps: one frozen, slotted class per Courier action.

The seven actions of Courier's current API are [`Send`][], [`SendList`][],
[`Delay`][], [`Cancel`][], [`Invoke`][], [`UpdateProfile`][] and
[`FetchData`][]. The documented beta and legacy actions are [`AddToBatch`][],
[`AddToDigest`][], [`Throttle`][] and the v2 [`SendMessage`][]; a
[`RawStep`][] carries the JSON of an action this library does not know yet.

Every typed step takes ``if_`` (Courier's ``if``: a JavaScript boolean expression)
and ``ref`` (a name later steps read as ``refs.<name>``); on [`Step`][] both read
``None``, so code can read ``step.if_`` and ``step.ref`` of any step.

Each step class of this package that declares its own ``action`` registers itself in
`STEP_CLASSES` (``action`` -> class) as it is defined; parsing and the schema
tests read that table. [`SendMessage`][] shares ``send`` with [`Send`][] and is
chosen by its ``message`` key, so it is not in the table.

`AutomationLike` is what lower layers (the simulator, the renderer, the
client) need of an automation, without importing the builder.

Examples:
    >>> from automation_dsl import Send
    >>> Send(template="WELCOME", ref="welcome").to_wire()
    {'action': 'send', 'template': 'WELCOME', 'ref': 'welcome'}
    >>> STEP_CLASSES["send"] is Send
    True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, cast, runtime_checkable

import attrs

from . import _fields as f
from ._compile import fast_init
from ._delivery import check_delay, lift_delay
from ._errors import ValidationError
from ._json import thaw
from ._localtime import LocalTime
from ._payload_schema import PayloadSchema, SchemaSource
from ._ref import Ref, RefLike
from ._time import (
    UntilFormat,
    calendar_hint,
    courier_duration,
    format_until,
    iso_duration,
    iso_length,
    to_utc,
)
from ._types import DataLike, Expiry, JSONValue
from ._values import (
    BatchScope,
    DataSource,
    HttpMethod,
    MergeLike,
    MergeStrategy,
    Retain,
    RunContext,
    ScopeLike,
    Webhook,
)
from ._values import RetainType as RetainType  # for pickles made by 0.1.0, see below
from ._wire import WireObject, call_repr, plain_to_wire, show

if TYPE_CHECKING:
    from .conditions import ConditionLike

# Pickles made by 0.1.0 name the value classes and enums at their old home, this
# module: it keeps them importable here (all but RetainType are used below anyway).

__all__ = [
    "AddToBatch",
    "AddToDigest",
    "Cancel",
    "Delay",
    "FetchData",
    "Invoke",
    "RawStep",
    "Send",
    "SendList",
    "SendMessage",
    "Step",
    "Throttle",
    "UpdateProfile",
]

STEP_CLASSES: dict[str, type[Step]] = {}
"""The typed step class of each action Courier documents (``send`` with ``message``
aside), filled by `Step.__init_subclass__`."""


class Step(WireObject):
    """The base of every step. ``action`` is fixed by each subclass.

    Examples:
        >>> from automation_dsl import Delay
        >>> isinstance(Delay(duration="1 hour"), Step), Delay.action
        (True, 'delay')
    """

    __slots__ = ()
    action: ClassVar[str]
    SUMMARY: ClassVar[str] = ""
    """One line saying what the step does (its docstring's first line)."""
    _method: ClassVar[str]
    _positional: ClassVar[tuple[str, ...]] = ()
    _registered: ClassVar[bool] = True  # False: a variant of another class's action

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__doc__:
            cls.SUMMARY = cls.__doc__.strip().partition("\n")[0]
        action = cls.__dict__.get("action")
        # attrs makes each class twice (the slotted class replaces the first): the
        # later one wins. A subclass made outside the package leaves parsing alone.
        if (
            isinstance(action, str)
            and cls.__dict__.get("_registered", True)
            and cls.__module__.partition(".")[0] == __name__.partition(".")[0]
        ):
            STEP_CLASSES[action] = cls

    @property
    def if_(self) -> ConditionLike | None:
        """The step's condition; ``None`` for steps without one ([`RawStep`][])."""
        return None

    @property
    def ref(self) -> str | None:
        """The step's name for later steps; ``None`` for steps without one."""
        return None

    @plain_to_wire
    def to_wire(self, until_format: UntilFormat = UntilFormat.BASIC) -> dict[str, Any]:
        """Return the step as the JSON object Courier reads, unset fields omitted."""
        return self._wire_items(until_format)

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> Step:
        """Parse a step's JSON object (``action`` included) into this class."""
        return cls(**cls._kwargs_from_wire(data, skip=("action",)))

    def _chain_kwargs(self) -> dict[str, Any]:
        return self._set_fields()

    def chain(self) -> str:
        """Return the builder call that adds this step, as it reads in a ``repr``.

        Examples:
            >>> from automation_dsl import Send
            >>> Send(template="A", recipient="u").chain()
            ".send('A', recipient='u')"
        """
        return call_repr(self._method, self._positional, self._chain_kwargs())


@runtime_checkable
class AutomationLike(Protocol):
    """What lower layers read of an automation: its steps, its token and its JSON.

    Examples:
        >>> from automation_dsl import Automation
        >>> isinstance(Automation().send("T"), AutomationLike)
        True
    """

    @property
    def steps(self) -> tuple[Step, ...]: ...

    @property
    def cancelation_token(self) -> str | RefLike | None: ...

    def to_dict(self, *, until_format: UntilFormat | str | None = None) -> dict[str, Any]: ...

    def to_svg(
        self,
        *,
        highlight: Iterable[int] = (),
        notes: Sequence[str] = (),
        title: str | None = None,
    ) -> str: ...

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
    ) -> dict[str, Any]: ...


@fast_init
@attrs.frozen(slots=True, kw_only=True, repr=False)
class _Typed(Step):
    """A step with Courier's common ``if`` and ``ref`` fields."""

    if_: ConditionLike | None = f.condition()  # pyright: ignore[reportIncompatibleMethodOverride]
    ref: str | None = f.name()  # pyright: ignore[reportIncompatibleMethodOverride]


@fast_init
@attrs.frozen(slots=True, kw_only=True, repr=False)
class Send(_Typed):
    """``send``: send a notification template to a recipient.

    Args:
        template: the notification id or event; falls back to the run's ``template``.
        recipient: the user id; falls back to the run's ``recipient``.
        brand: a brand id.
        data: template data; wins over the run's data.
        profile: profile values for the providers.
        override: provider request overrides (Courier's guides).
        idempotency_key: Courier de-duplicates sends with the same key.
        idempotency_expiry: when that key expires: epoch seconds, ISO 8601, or an aware datetime.
        if_: a JavaScript condition; the step runs only when it is true.
        ref: a name later steps read as ``refs.<name>`` (the message ``status``, for example).

    Examples:
        >>> Send(template="WELCOME", data={"plan": "pro"}).to_wire()
        {'action': 'send', 'template': 'WELCOME', 'data': {'plan': 'pro'}}
    """

    action: ClassVar[str] = "send"
    OWNER: ClassVar[str] = "send step"
    _method: ClassVar[str] = "send"
    _positional: ClassVar[tuple[str, ...]] = ("template",)

    template: str | RefLike | None = f.text(required=False, ref=True)
    recipient: str | RefLike | None = f.text(required=False, ref=True)
    brand: str | RefLike | None = f.text(required=False, ref=True)
    data: JSONValue | None = f.json_object()
    profile: JSONValue | None = f.json_object()
    override: JSONValue | None = f.json_object()
    idempotency_key: str | None = f.text(required=False)
    idempotency_expiry: Expiry | None = f.epoch_or_iso()


@fast_init
@attrs.frozen(slots=True, kw_only=True, repr=False)
class SendMessage(_Typed):
    """``send`` (v2, legacy): send a Send API ``message`` (``to``, and ``template`` or ``content``).

    Examples:
        >>> SendMessage(message={"to": {"user_id": "u1"}, "template": "W"}).to_wire()
        {'action': 'send', 'message': {'to': {'user_id': 'u1'}, 'template': 'W'}}

        The message's ``delay`` may be a [`MessageDelay`][] (a delivery window ...):

        >>> from automation_dsl import MessageDelay
        >>> window = MessageDelay(until="Mo-Fr 09:00-17:00")
        >>> SendMessage(message={"to": "u1", "template": "W", "delay": window}).message["delay"]
        FrozenDict({'until': 'Mo-Fr 09:00-17:00'})
    """

    action: ClassVar[str] = "send"
    _registered: ClassVar[bool] = False  # chosen over Send by its ``message`` key
    OWNER: ClassVar[str] = "send (message) step"
    _method: ClassVar[str] = "send_message"
    _positional: ClassVar[tuple[str, ...]] = ("message",)

    message: JSONValue = f.json_object(required=True, ref=False, prepare=lift_delay)

    def __attrs_post_init__(self) -> None:
        message = self.message
        if "to" not in message or ("template" in message) == ("content" in message):
            raise ValidationError(
                self.OWNER,
                "message",
                "a message with 'to' and exactly one of 'template' or 'content'",
                thaw(message),
            )
        check_delay(message.get("delay"))


@fast_init
@attrs.frozen(slots=True, kw_only=True, repr=False)
class SendList(_Typed):
    """``send-list``: send a template to every subscriber of a list.

    Examples:
        >>> SendList(list="team-weekly", template="DIGEST").to_wire()
        {'action': 'send-list', 'list': 'team-weekly', 'template': 'DIGEST'}
    """

    action: ClassVar[str] = "send-list"
    OWNER: ClassVar[str] = "send-list step"
    _method: ClassVar[str] = "send_list"
    _positional: ClassVar[tuple[str, ...]] = ("list",)

    list: str | RefLike = f.text(ref=True)
    template: str | RefLike | None = f.text(required=False, ref=True)
    brand: str | RefLike | None = f.text(required=False, ref=True)
    data: JSONValue | None = f.json_object()
    override: JSONValue | None = f.json_object()
    data_source: DataSource | Mapping[str, Any] | None = f.nested(
        DataSource, "a DataSource or a mapping", required=False
    )
    idempotency_key: str | None = f.text(required=False)
    idempotency_expiry: Expiry | None = f.epoch_or_iso()


def _until(value: Any, owner: str, field: str) -> datetime | LocalTime:
    """A delay's ``until``: a local time (`at`, or its ``{"$local": ...}`` document form)
    as it is, anything else as a UTC instant."""
    if isinstance(value, LocalTime):
        return value
    if isinstance(value, Mapping) and "$local" in value:
        return LocalTime.from_wire(value)
    return to_utc(value, owner, field)


def _encode_until(value: datetime | LocalTime | Ref, until_format: UntilFormat | None) -> Any:
    """Write ``until`` in the serialization's format (basic unless told)."""
    if type(value) is datetime:
        return format_until(value, UntilFormat.BASIC if until_format is None else until_format)
    return value.to_wire()  # type: ignore[union-attr]


_encode_until.takes_format = True  # type: ignore[attr-defined]


@fast_init
@attrs.frozen(slots=True, kw_only=True, repr=False)
class Delay(_Typed):
    """``delay``: wait until a moment, or for a duration. Exactly one of the two.

    Args:
        until: an aware ``datetime``, a ``date`` (midnight UTC) or an ISO 8601 string (read
            as UTC without an offset), stored in UTC, to the millisecond; or a wall-clock
            time in each recipient's zone, [`at`][automation_dsl.at]`("09:00", tz=...)`,
            resolved per run when the payload is made.
        duration: a ``timedelta`` of whole minutes or a Courier duration such as ``"5 minutes"``.

    Examples:
        >>> from datetime import datetime, timezone
        >>> Delay(until=datetime(2024, 4, 8, 8, 9, 10, 123000, tzinfo=timezone.utc)).to_wire()
        {'action': 'delay', 'until': '20240408T080910.123'}
    """

    action: ClassVar[str] = "delay"
    OWNER: ClassVar[str] = "delay step"
    _method: ClassVar[str] = "delay"

    until: datetime | date | str | LocalTime | RefLike | None = f.converted(
        f.ref_or(_until), required=False, encode=_encode_until
    )
    duration: timedelta | str | RefLike | None = f.converted(
        f.ref_or(courier_duration), required=False, encode=f.encode_text
    )

    def __attrs_post_init__(self) -> None:
        if (self.until is None) == (self.duration is None):
            raise ValidationError(
                self.OWNER,
                "until/duration",
                "exactly one of until= or duration=",
                {"until": self.until, "duration": self.duration},
            )

    def _chain_kwargs(self) -> dict[str, Any]:
        kwargs = super()._chain_kwargs()
        if isinstance(self.until, datetime):
            kwargs["until"] = format_until(self.until, UntilFormat.EXTENDED)
        return kwargs


@fast_init
@attrs.frozen(slots=True, kw_only=True, repr=False)
class Cancel(_Typed):
    """``cancel``: cancel every in-progress run whose ``cancelation_token`` matches.

    Examples:
        >>> Cancel(cancelation_token="order-1").to_wire()
        {'action': 'cancel', 'cancelation_token': 'order-1'}
    """

    action: ClassVar[str] = "cancel"
    OWNER: ClassVar[str] = "cancel step"
    _method: ClassVar[str] = "cancel"
    _positional: ClassVar[tuple[str, ...]] = ("cancelation_token",)

    cancelation_token: str | RefLike = f.text(ref=True)


@fast_init
@attrs.frozen(slots=True, kw_only=True, repr=False)
class Invoke(_Typed):
    """``invoke``: start another automation template, optionally with its own run context.

    Examples:
        >>> Invoke(template="onboarding-v2", context={"recipient": "u1"}).to_wire()
        {'action': 'invoke', 'template': 'onboarding-v2', 'context': {'recipient': 'u1'}}
    """

    action: ClassVar[str] = "invoke"
    OWNER: ClassVar[str] = "invoke step"
    _method: ClassVar[str] = "invoke"
    _positional: ClassVar[tuple[str, ...]] = ("template",)

    template: str | RefLike = f.text(ref=True)
    context: RunContext | Mapping[str, Any] | RefLike | None = f.nested(
        RunContext, "a RunContext or a mapping", required=False, ref=True
    )


@fast_init
@attrs.frozen(slots=True, kw_only=True, repr=False)
class UpdateProfile(_Typed):
    """``update-profile``: merge values into a recipient's stored profile.

    Examples:
        >>> UpdateProfile(profile={"plan": "pro"}, merge="soft-merge").to_wire()
        {'action': 'update-profile', 'profile': {'plan': 'pro'}, 'merge': 'soft-merge'}
    """

    action: ClassVar[str] = "update-profile"
    OWNER: ClassVar[str] = "update-profile step"
    _method: ClassVar[str] = "update_profile"
    _positional: ClassVar[tuple[str, ...]] = ("profile",)

    profile: JSONValue = f.json_object(required=True)
    recipient_id: str | RefLike | None = f.text(required=False, ref=True)
    merge: MergeLike | None = f.choice(MergeStrategy)


@fast_init
@attrs.frozen(slots=True, kw_only=True, repr=False)
class FetchData(_Typed):
    """``fetch-data``: call a webhook and merge its JSON response into the run's ``data``.

    ``returns`` (never sent to Courier) declares the reply's shape, as a payload schema
    source: with ``Automation(data_schema=...)``, later steps may read its paths too.

    Examples:
        >>> FetchData(webhook=Webhook(url="https://x.test/u"), merge_strategy="overwrite").to_wire()
        {'action': 'fetch-data', 'webhook': {'url': 'https://x.test/u', 'method': 'GET'}, \
'merge_strategy': 'overwrite'}
    """

    action: ClassVar[str] = "fetch-data"
    OWNER: ClassVar[str] = "fetch-data step"
    _method: ClassVar[str] = "fetch_data"
    _positional: ClassVar[tuple[str, ...]] = ("url",)

    webhook: Webhook | Mapping[str, Any] = f.nested(Webhook, "a Webhook or a mapping")
    merge_strategy: MergeLike | None = f.choice(MergeStrategy)
    idempotency_key: str | None = f.text(required=False)
    idempotency_expiry: Expiry | None = f.epoch_or_iso()
    returns: PayloadSchema | SchemaSource | None = f.payload_schema()

    def _chain_kwargs(self) -> dict[str, Any]:
        kwargs = super()._chain_kwargs()
        webhook = kwargs.pop("webhook")
        flat = webhook._set_fields()
        if flat["method"] is HttpMethod.GET:
            del flat["method"]
        return {**flat, **kwargs}


_set_returns = FetchData.__dict__["returns"].__set__
_fetch_data_setstate = cast(Any, FetchData).__setstate__


def _setstate(self: FetchData, state: Any) -> None:
    """attrs' ``__setstate__``, after the default of ``returns`` (0.1.0 pickles lack it)."""
    _set_returns(self, None)
    _fetch_data_setstate(self, state)


cast(Any, FetchData).__setstate__ = _setstate

_iso_period = f.ref_or(iso_duration)
_BATCH_LONGEST = timedelta(days=60)
_batch_period = f.ref_or(partial(iso_duration, longest=_BATCH_LONGEST))


@fast_init
@attrs.frozen(slots=True, kw_only=True, repr=False)
class AddToBatch(_Typed):
    """``add-to-batch`` (public beta): collect events and release them together.

    Examples:
        >>> from datetime import timedelta
        >>> AddToBatch(wait_period=timedelta(minutes=5), max_wait_period="PT1H",
        ...            retain=Retain(type="last", count=10)).to_wire()["wait_period"]
        'PT5M'
    """

    action: ClassVar[str] = "add-to-batch"
    OWNER: ClassVar[str] = "add-to-batch step"
    _method: ClassVar[str] = "add_to_batch"

    wait_period: timedelta | str | RefLike = f.converted(_batch_period, encode=f.encode_text)
    max_wait_period: timedelta | str | RefLike = f.converted(_batch_period, encode=f.encode_text)
    retain: Retain | Mapping[str, Any] = f.nested(Retain, "a Retain or a mapping")
    max_items: int | None = f.integer(required=False)
    scope: ScopeLike | None = f.choice(BatchScope)
    batch_key: str | None = f.text(required=False)
    batch_id: str | None = f.text(required=False)
    category_key: str | None = f.text(required=False)

    def __attrs_post_init__(self) -> None:
        wait, longest = self.wait_period, self.max_wait_period
        if (
            isinstance(wait, str)
            and isinstance(longest, str)
            and iso_length(wait) > iso_length(longest)
        ):
            raise ValidationError(
                self.OWNER,
                "wait_period",
                f"at most max_wait_period ({longest})",
                wait,
                hint=calendar_hint(wait, longest),
            )
        if self.scope is BatchScope.DYNAMIC and self.batch_key is None:
            raise ValidationError(self.OWNER, "batch_key", "a key when scope is 'dynamic'", None)


@fast_init
@attrs.frozen(slots=True, kw_only=True, repr=False)
class AddToDigest(_Typed):
    """``add-to-digest`` (legacy): add the event to a digest of a subscription topic.

    Examples:
        >>> AddToDigest(subscription_topic_id="RAJE97CMT04KDJJ88ZDS2TP1690S").to_wire()["action"]
        'add-to-digest'
    """

    action: ClassVar[str] = "add-to-digest"
    OWNER: ClassVar[str] = "add-to-digest step"
    _method: ClassVar[str] = "add_to_digest"
    _positional: ClassVar[tuple[str, ...]] = ("subscription_topic_id",)

    subscription_topic_id: str = f.text()


@fast_init
@attrs.frozen(slots=True, kw_only=True, repr=False)
class Throttle(_Typed):
    """``throttle`` (private beta): allow at most ``max_allowed`` runs per ``period``.

    ``on_throttle`` is the id of the designer node to go to when throttled, sent as
    ``{"$node_id": ...}``.

    Examples:
        >>> Throttle(max_allowed=1, period="PT1H", scope="user", on_throttle="n1").to_wire()
        {'action': 'throttle', 'max_allowed': 1, 'period': 'PT1H', 'scope': 'user', \
'on_throttle': {'$node_id': 'n1'}}
    """

    action: ClassVar[str] = "throttle"
    OWNER: ClassVar[str] = "throttle step"
    _method: ClassVar[str] = "throttle"

    max_allowed: int = f.integer()
    period: timedelta | str | RefLike = f.converted(_iso_period, encode=f.encode_text)
    scope: ScopeLike = f.choice(BatchScope, required=True)
    on_throttle: str | Mapping[str, str] = f.converted(f.node_id)
    throttle_key: str | None = f.text(required=False)
    should_alert: bool | None = f.boolean()

    def __attrs_post_init__(self) -> None:
        if self.scope is BatchScope.DYNAMIC and self.throttle_key is None:
            raise ValidationError(self.OWNER, "throttle_key", "a key when scope is 'dynamic'", None)

    def to_wire(self, until_format: UntilFormat = UntilFormat.BASIC) -> dict[str, Any]:
        """Return the JSON object, ``on_throttle`` as ``{"$node_id": ...}``."""
        out = super().to_wire(until_format)
        out["on_throttle"] = {"$node_id": self.on_throttle}
        return out


@attrs.frozen(slots=True, repr=False)
class RawStep(Step):
    """A step this library does not model, carried as its JSON object, untouched.

    Examples:
        >>> RawStep({"action": "get-profile", "user_id": "u1"}).to_wire()
        {'action': 'get-profile', 'user_id': 'u1'}
    """

    OWNER: ClassVar[str] = "raw step"
    _method: ClassVar[str] = "raw"

    body: JSONValue = f.json_object(required=True, ref=False)

    def __attrs_post_init__(self) -> None:
        action = self.body.get("action")
        if not isinstance(action, str) or not action:
            raise ValidationError(self.OWNER, "action", "a non-empty string", action)
        until = self.body.get("until")
        if action == "delay" and isinstance(until, Mapping) and "$local" in until:
            raise ValidationError(
                self.OWNER,
                "until",
                "an until Courier reads: a local time is resolved per run, so it cannot be "
                "kept raw",
                until,
                hint="drop the fields delay does not know, or use delay(until=at(...))",
            )

    @property
    def action(self) -> str:  # type: ignore[override]
        """The step's ``action``, read from its JSON."""
        return str(self.body["action"])

    def to_wire(self, until_format: UntilFormat = UntilFormat.BASIC) -> dict[str, Any]:
        """Return a plain copy of the JSON object."""
        return thaw(self.body)  # type: ignore[no-any-return]

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> RawStep:
        """Keep the JSON object as it is."""
        return cls(data)

    def chain(self) -> str:
        """Return ``.raw({...})``."""
        return f".raw({show(self.body)})"

    def __repr__(self) -> str:
        return f"RawStep({show(self.body)})"
