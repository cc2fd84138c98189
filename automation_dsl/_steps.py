"""The automation steps: one frozen, slotted class per Courier action.

The seven actions of Courier's current API are :class:`Send`, :class:`SendList`,
:class:`Delay`, :class:`Cancel`, :class:`Invoke`, :class:`UpdateProfile` and
:class:`FetchData`. The documented beta and legacy actions are :class:`AddToBatch`,
:class:`AddToDigest`, :class:`Throttle` and the v2 :class:`SendMessage`; a
:class:`RawStep` carries the JSON of an action this library does not know yet.

Every typed step takes ``if_`` (Courier's ``if``: a JavaScript boolean expression)
and ``ref`` (a name later steps read as ``refs.<name>``).

Example:
    >>> from automation_dsl import Send
    >>> Send(template="WELCOME", ref="welcome").to_wire()
    {'action': 'send', 'template': 'WELCOME', 'ref': 'welcome'}
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeAlias

import attrs

from . import _fields as f
from ._compile import compile_wire_items, fast_init, wire_plan
from ._errors import MISSING, ValidationError, ValidationTypeError
from ._json import FrozenDict, JSONValue, thaw
from ._ref import Ref, as_ref

if TYPE_CHECKING:
    from .conditions import Condition

from ._time import (
    UntilFormat,
    calendar_hint,
    courier_duration,
    format_until,
    iso_duration,
    iso_length,
    to_utc,
)

__all__ = [
    "AddToBatch",
    "AddToDigest",
    "BatchScope",
    "Cancel",
    "DataSource",
    "Delay",
    "FetchData",
    "HttpMethod",
    "Invoke",
    "MergeStrategy",
    "RawStep",
    "Retain",
    "RetainType",
    "RunContext",
    "Send",
    "SendList",
    "SendMessage",
    "Step",
    "Throttle",
    "UpdateProfile",
    "Webhook",
]


class MergeStrategy(StrEnum):
    """How incoming data (A) is merged into existing data (B).

    Example:
        >>> MergeStrategy("soft-merge")
        <MergeStrategy.SOFT_MERGE: 'soft-merge'>
    """

    REPLACE = "replace"
    """B becomes A: keys missing from A are removed."""
    NONE = "none"
    """B is left alone if it exists, otherwise B becomes A."""
    OVERWRITE = "overwrite"
    """Every key of A is copied onto B."""
    SOFT_MERGE = "soft-merge"
    """Only the keys of A missing in B are added."""


class HttpMethod(StrEnum):
    """The HTTP method of a ``fetch-data`` webhook.

    Example:
        >>> HttpMethod("POST") is HttpMethod.POST
        True
    """

    GET = "GET"
    POST = "POST"
    PUT = "PUT"
    PATCH = "PATCH"
    DELETE = "DELETE"


class RetainType(StrEnum):
    """Which items an ``add-to-batch`` step keeps.

    Example:
        >>> RetainType("highest").value
        'highest'
    """

    FIRST = "first"
    LAST = "last"
    HIGHEST = "highest"
    LOWEST = "lowest"


class BatchScope(StrEnum):
    """The scope of a batch or a throttle: per user, global, or by a dynamic key.

    Example:
        >>> BatchScope("dynamic").value
        'dynamic'
    """

    USER = "user"
    GLOBAL = "global"
    DYNAMIC = "dynamic"


MergeLike: TypeAlias = MergeStrategy | Literal["replace", "none", "overwrite", "soft-merge"]
"""A merge strategy, as the enum or its string value."""
HttpMethodLike: TypeAlias = HttpMethod | Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
"""An HTTP method, as the enum or its string value."""
RetainTypeLike: TypeAlias = RetainType | Literal["first", "last", "highest", "lowest"]
"""A retain type, as the enum or its string value."""
ScopeLike: TypeAlias = BatchScope | Literal["user", "global", "dynamic"]
"""A batch or throttle scope, as the enum or its string value."""
Expiry: TypeAlias = int | str | datetime
"""An idempotency expiry: epoch seconds, an ISO 8601 string, or an aware datetime."""


class _Wire:
    """Mixin: JSON serialization and parsing driven by the attrs fields of the class."""

    __slots__ = ()
    OWNER: ClassVar[str]
    _new: ClassVar[Callable[..., Any]]  # the compiled constructor (see _compile.fast_init)
    _plan: ClassVar[tuple[tuple[str, str, Callable[[Any], Any] | None], ...]]
    _by_wire: ClassVar[dict[str, str]]
    _required: ClassVar[tuple[tuple[str, str], ...]]  # (Python name, JSON name)

    @classmethod
    def _wire_fields(cls) -> tuple[tuple[str, str, Callable[[Any], Any] | None], ...]:
        # Computed on first use: attrs replaces the class after its body has run.
        plan = cls.__dict__.get("_plan")
        if plan is None:
            plan = wire_plan(cls)
            cls._plan = plan
            cls._by_wire = {wire: name for name, wire, _ in plan}
            cls._required = tuple(
                (a.name, f.wire_name(a))
                for a in attrs.fields(cls)  # type: ignore[arg-type]
                if a.default is attrs.NOTHING
            )
        return plan

    def to_wire(self) -> dict[str, Any]:
        """Return the JSON object Courier reads, unset fields omitted."""
        return self._wire_items()

    def _set_fields(self) -> dict[str, Any]:
        """The fields that are set, by Python name, in JSON order."""
        return {
            name: getattr(self, name)
            for name, _, _ in self._wire_fields()
            if getattr(self, name) is not None
        }

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={_show(v)}" for k, v in self._set_fields().items())
        return f"{type(self).__name__}({fields})"

    def _wire_items(self, until_format: UntilFormat | None = None) -> dict[str, Any]:
        """The JSON object of the set fields (and ``action`` for steps), ``until`` in
        ``until_format``.

        The first call compiles a function for the class, with one line per field, and
        installs it as the class's ``_wire_items``: serialization is a hot path. That
        call answers exactly as the compiled function does on every later call.
        """
        cls = type(self)
        compiled = compile_wire_items(cls, self._wire_fields())
        cls._wire_items = compiled  # type: ignore[method-assign]
        if cls.to_wire in (_Wire.to_wire, Step.to_wire):  # not overridden: skip a call
            cls.to_wire = compiled  # type: ignore[method-assign]
        return compiled(self, until_format)

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> Any:
        """Parse this object from its JSON form, refusing unknown keys."""
        return cls(**cls._kwargs_from_wire(data))

    @classmethod
    def _kwargs_from_wire(
        cls, data: Mapping[str, Any], skip: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        """Map JSON keys to constructor arguments, refusing keys the class does not know."""
        if not isinstance(data, Mapping):
            raise ValidationTypeError(cls.OWNER, "", "a JSON object", data)
        cls._wire_fields()
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            if key in skip:
                continue
            name = cls._by_wire.get(key)
            if name is None:
                known = ", ".join(repr(k) for k in cls._by_wire)
                raise ValidationError(
                    cls.OWNER, key, f"a known field ({known})", value, hint="unknown field"
                )
            kwargs[name] = value
        for name, wire in cls._required:
            if name not in kwargs:
                raise ValidationError(cls.OWNER, wire, "a value (required field)", MISSING)
        return kwargs


_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # RFC 9110 token
_HEADER_VALUE_BAD = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # RFC 9110: HTAB is allowed


@fast_init
@attrs.frozen(slots=True, kw_only=True, repr=False)
class Webhook(_Wire):
    """The HTTP request of a ``fetch-data`` step (or of a ``send-list`` data source).

    Args:
        url: the address to call.
        method: ``GET`` (default), ``POST``, ``PUT``, ``PATCH`` or ``DELETE``; always sent,
            as Courier's current spec requires it.
        headers: request headers, string to string.
        body: the request body: a string, or a dict that is JSON-encoded.
        params: query parameters (documented by Courier's guides, not its current spec).

    Example:
        >>> Webhook(url="https://api.example.com/u/1", body={"a": 1}).to_wire()
        {'url': 'https://api.example.com/u/1', 'method': 'GET', 'body': '{"a":1}'}
    """

    OWNER: ClassVar[str] = "webhook"

    url: str | Ref = f.text(ref=True)
    method: HttpMethodLike = f.choice(HttpMethod, required=True, default=HttpMethod.GET)
    headers: JSONValue | None = f.json_object(ref=False)
    body: str | Mapping[str, Any] | None = f.json_body()
    params: JSONValue | None = f.json_object(ref=False)

    def __attrs_post_init__(self) -> None:
        if self.headers is not None:
            for key, value in self.headers.items():
                if not _HEADER_NAME.fullmatch(key):
                    raise ValidationError(self.OWNER, "headers", "HTTP header names", key)
                if not isinstance(value, str):
                    raise ValidationTypeError(
                        self.OWNER, f"headers[{key!r}]", "a string header value", value
                    )
                if _HEADER_VALUE_BAD.search(value) or not f.utf8(value):
                    raise ValidationError(
                        self.OWNER,
                        f"headers[{key!r}]",
                        "a header value without CR, LF or other control characters",
                        value,
                    )


@fast_init
@attrs.frozen(slots=True, kw_only=True, repr=False)
class DataSource(_Wire):
    """Where a ``send-list`` step fetches per-recipient data (Courier's guides).

    Example:
        >>> DataSource(webhook={"url": "https://x.test/d"}).to_wire()
        {'webhook': {'url': 'https://x.test/d', 'method': 'GET'}}
    """

    OWNER: ClassVar[str] = "data_source"

    webhook: Webhook | Mapping[str, Any] = f.nested(Webhook, "a Webhook or a mapping")
    merge_strategy: MergeLike | None = f.choice(MergeStrategy)


@fast_init
@attrs.frozen(slots=True, kw_only=True, repr=False)
class Retain(_Wire):
    """Which items an ``add-to-batch`` step keeps, and how many.

    Example:
        >>> Retain(type="highest", count=5, sort_key="refs.data.score").to_wire()
        {'type': 'highest', 'count': 5, 'sort_key': 'refs.data.score'}
    """

    OWNER: ClassVar[str] = "retain"

    type: RetainTypeLike = f.choice(RetainType, required=True)
    count: int = f.integer(maximum=100)
    sort_key: str | None = f.text(required=False)

    def __attrs_post_init__(self) -> None:
        if self.type in (RetainType.HIGHEST, RetainType.LOWEST) and self.sort_key is None:
            raise ValidationError(
                self.OWNER, "sort_key", f"a sort key when type is '{self.type}'", None
            )


def given_context(
    *,
    data: Any = None,
    profile: Any = None,
    recipient: Any = None,
    brand: Any = None,
    template: Any = None,
) -> dict[str, Any]:
    """The run-context fields that were given (not ``None``), by name.

    Example:
        >>> given_context(recipient="u1", data=None)
        {'recipient': 'u1'}
    """
    fields = {
        "data": data,
        "profile": profile,
        "recipient": recipient,
        "brand": brand,
        "template": template,
    }
    return {key: value for key, value in fields.items() if value is not None}


@fast_init
@attrs.frozen(slots=True, kw_only=True, repr=False)
class RunContext(_Wire):
    """The run context: ``data``, ``profile``, ``recipient``, ``brand`` and ``template``.

    It is the top-level part of an invoke body beside ``automation``, and the
    ``context`` of an ``invoke`` step. Step values win over run values.

    Example:
        >>> RunContext(recipient="user-1", data={"plan": "pro"}).to_wire()
        {'data': {'plan': 'pro'}, 'recipient': 'user-1'}
    """

    OWNER: ClassVar[str] = "run context"

    data: JSONValue | None = f.json_object()
    profile: JSONValue | None = f.json_object()
    recipient: str | Ref | None = f.text(required=False, ref=True)
    brand: str | Ref | None = f.text(required=False, ref=True)
    template: str | Ref | None = f.text(required=False, ref=True)

    @classmethod
    def from_wire(cls, data: Mapping[str, Any], *, skip: tuple[str, ...] = ()) -> RunContext:
        """Parse a run context, ignoring the keys named in ``skip``."""
        return cls(**cls._kwargs_from_wire(data, skip))


class Step(_Wire):
    """The base of every step. ``action`` is fixed by each subclass.

    Example:
        >>> from automation_dsl import Delay
        >>> isinstance(Delay(duration="1 hour"), Step), Delay.action
        (True, 'delay')
    """

    __slots__ = ()
    action: ClassVar[str]
    _method: ClassVar[str]
    _positional: ClassVar[tuple[str, ...]] = ()

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

        Example:
            >>> from automation_dsl import Send
            >>> Send(template="A", recipient="u").chain()
            ".send('A', recipient='u')"
        """
        kwargs = self._chain_kwargs()
        args = [_show(kwargs.pop(name)) for name in self._positional if name in kwargs]
        args += [f"{key}={_show(value)}" for key, value in kwargs.items()]
        return f".{self._method}({', '.join(args)})"


def _show(value: Any) -> str:
    if hasattr(value, "to_js"):  # a typed condition: shown as the string it equals
        return repr(value.to_js())
    if isinstance(value, FrozenDict | tuple):
        return repr(thaw(value))
    if isinstance(value, StrEnum):
        return repr(value.value)
    return repr(value)


@fast_init
@attrs.frozen(slots=True, kw_only=True, repr=False)
class _Typed(Step):
    """A step with Courier's common ``if`` and ``ref`` fields."""

    if_: str | Condition | None = f.condition()
    ref: str | None = f.name()


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

    Example:
        >>> Send(template="WELCOME", data={"plan": "pro"}).to_wire()
        {'action': 'send', 'template': 'WELCOME', 'data': {'plan': 'pro'}}
    """

    action: ClassVar[str] = "send"
    OWNER: ClassVar[str] = "send step"
    _method: ClassVar[str] = "send"
    _positional: ClassVar[tuple[str, ...]] = ("template",)

    template: str | Ref | None = f.text(required=False, ref=True)
    recipient: str | Ref | None = f.text(required=False, ref=True)
    brand: str | Ref | None = f.text(required=False, ref=True)
    data: JSONValue | None = f.json_object()
    profile: JSONValue | None = f.json_object()
    override: JSONValue | None = f.json_object()
    idempotency_key: str | None = f.text(required=False)
    idempotency_expiry: Expiry | None = f.epoch_or_iso()


@fast_init
@attrs.frozen(slots=True, kw_only=True, repr=False)
class SendMessage(_Typed):
    """``send`` (v2, legacy): send a Send API ``message`` (``to``, and ``template`` or ``content``).

    Example:
        >>> SendMessage(message={"to": {"user_id": "u1"}, "template": "W"}).to_wire()
        {'action': 'send', 'message': {'to': {'user_id': 'u1'}, 'template': 'W'}}
    """

    action: ClassVar[str] = "send"
    OWNER: ClassVar[str] = "send (message) step"
    _method: ClassVar[str] = "send_message"
    _positional: ClassVar[tuple[str, ...]] = ("message",)

    message: JSONValue = f.json_object(required=True, ref=False)

    def __attrs_post_init__(self) -> None:
        message = self.message
        if "to" not in message or ("template" in message) == ("content" in message):
            raise ValidationError(
                self.OWNER,
                "message",
                "a message with 'to' and exactly one of 'template' or 'content'",
                thaw(message),
            )


@fast_init
@attrs.frozen(slots=True, kw_only=True, repr=False)
class SendList(_Typed):
    """``send-list``: send a template to every subscriber of a list.

    Example:
        >>> SendList(list="team-weekly", template="DIGEST").to_wire()
        {'action': 'send-list', 'list': 'team-weekly', 'template': 'DIGEST'}
    """

    action: ClassVar[str] = "send-list"
    OWNER: ClassVar[str] = "send-list step"
    _method: ClassVar[str] = "send_list"
    _positional: ClassVar[tuple[str, ...]] = ("list",)

    list: str | Ref = f.text(ref=True)
    template: str | Ref | None = f.text(required=False, ref=True)
    brand: str | Ref | None = f.text(required=False, ref=True)
    data: JSONValue | None = f.json_object()
    override: JSONValue | None = f.json_object()
    data_source: DataSource | Mapping[str, Any] | None = f.nested(
        DataSource, "a DataSource or a mapping", required=False
    )
    idempotency_key: str | None = f.text(required=False)
    idempotency_expiry: Expiry | None = f.epoch_or_iso()


def _encode_until(value: datetime | Ref, until_format: UntilFormat | None) -> Any:
    """Write ``until`` in the serialization's format (basic unless told)."""
    if value.__class__ is datetime:
        return format_until(value, UntilFormat.BASIC if until_format is None else until_format)
    return value.to_wire()  # type: ignore[union-attr]


_encode_until.takes_format = True  # type: ignore[attr-defined]


def _ref_or(
    convert: Callable[[Any, str, str], Any],
) -> Callable[[Any, Any, attrs.Attribute[Any]], Any]:
    """A converter that keeps Refs and hands other values to ``convert``."""

    def wrapped(value: Any, instance: Any, field: attrs.Attribute[Any]) -> Any:
        kind = value.__class__
        if kind is str or kind is datetime or kind is timedelta:
            return convert(value, instance.OWNER, field.name)  # the common case first
        accessor = as_ref(value)
        if accessor is not None:
            return accessor
        return convert(value, instance.OWNER, field.name)

    return wrapped


@fast_init
@attrs.frozen(slots=True, kw_only=True, repr=False)
class Delay(_Typed):
    """``delay``: wait until a moment, or for a duration. Exactly one of the two.

    Args:
        until: an aware ``datetime``, a ``date`` (midnight UTC) or an ISO 8601 string (read
            as UTC without an offset); stored in UTC, to the millisecond.
        duration: a ``timedelta`` of whole minutes or a Courier duration such as ``"5 minutes"``.

    Example:
        >>> from datetime import datetime, timezone
        >>> Delay(until=datetime(2024, 4, 8, 8, 9, 10, 123000, tzinfo=timezone.utc)).to_wire()
        {'action': 'delay', 'until': '20240408T080910.123'}
    """

    action: ClassVar[str] = "delay"
    OWNER: ClassVar[str] = "delay step"
    _method: ClassVar[str] = "delay"

    until: datetime | date | str | Ref | None = f.converted(
        _ref_or(to_utc), required=False, encode=_encode_until
    )
    duration: timedelta | str | Ref | None = f.converted(
        _ref_or(courier_duration), required=False, encode=f.encode_text
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

    Example:
        >>> Cancel(cancelation_token="order-1").to_wire()
        {'action': 'cancel', 'cancelation_token': 'order-1'}
    """

    action: ClassVar[str] = "cancel"
    OWNER: ClassVar[str] = "cancel step"
    _method: ClassVar[str] = "cancel"
    _positional: ClassVar[tuple[str, ...]] = ("cancelation_token",)

    cancelation_token: str | Ref = f.text(ref=True)


@fast_init
@attrs.frozen(slots=True, kw_only=True, repr=False)
class Invoke(_Typed):
    """``invoke``: start another automation template, optionally with its own run context.

    Example:
        >>> Invoke(template="onboarding-v2", context={"recipient": "u1"}).to_wire()
        {'action': 'invoke', 'template': 'onboarding-v2', 'context': {'recipient': 'u1'}}
    """

    action: ClassVar[str] = "invoke"
    OWNER: ClassVar[str] = "invoke step"
    _method: ClassVar[str] = "invoke"
    _positional: ClassVar[tuple[str, ...]] = ("template",)

    template: str | Ref = f.text(ref=True)
    context: RunContext | Mapping[str, Any] | Ref | None = f.nested(
        RunContext, "a RunContext or a mapping", required=False, ref=True
    )


@fast_init
@attrs.frozen(slots=True, kw_only=True, repr=False)
class UpdateProfile(_Typed):
    """``update-profile``: merge values into a recipient's stored profile.

    Example:
        >>> UpdateProfile(profile={"plan": "pro"}, merge="soft-merge").to_wire()
        {'action': 'update-profile', 'profile': {'plan': 'pro'}, 'merge': 'soft-merge'}
    """

    action: ClassVar[str] = "update-profile"
    OWNER: ClassVar[str] = "update-profile step"
    _method: ClassVar[str] = "update_profile"
    _positional: ClassVar[tuple[str, ...]] = ("profile",)

    profile: JSONValue = f.json_object(required=True)
    recipient_id: str | Ref | None = f.text(required=False, ref=True)
    merge: MergeLike | None = f.choice(MergeStrategy)


@fast_init
@attrs.frozen(slots=True, kw_only=True, repr=False)
class FetchData(_Typed):
    """``fetch-data``: call a webhook and merge its JSON response into the run's ``data``.

    Example:
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

    def _chain_kwargs(self) -> dict[str, Any]:
        kwargs = super()._chain_kwargs()
        webhook = kwargs.pop("webhook")
        flat = webhook._set_fields()
        if flat["method"] is HttpMethod.GET:
            del flat["method"]
        return {**flat, **kwargs}


_iso_period = _ref_or(iso_duration)
_BATCH_LONGEST = timedelta(days=60)
_batch_period = _ref_or(partial(iso_duration, longest=_BATCH_LONGEST))


@fast_init
@attrs.frozen(slots=True, kw_only=True, repr=False)
class AddToBatch(_Typed):
    """``add-to-batch`` (public beta): collect events and release them together.

    Example:
        >>> from datetime import timedelta
        >>> AddToBatch(wait_period=timedelta(minutes=5), max_wait_period="PT1H",
        ...            retain=Retain(type="last", count=10)).to_wire()["wait_period"]
        'PT5M'
    """

    action: ClassVar[str] = "add-to-batch"
    OWNER: ClassVar[str] = "add-to-batch step"
    _method: ClassVar[str] = "add_to_batch"

    wait_period: timedelta | str | Ref = f.converted(_batch_period, encode=f.encode_text)
    max_wait_period: timedelta | str | Ref = f.converted(_batch_period, encode=f.encode_text)
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

    Example:
        >>> AddToDigest(subscription_topic_id="RAJE97CMT04KDJJ88ZDS2TP1690S").to_wire()["action"]
        'add-to-digest'
    """

    action: ClassVar[str] = "add-to-digest"
    OWNER: ClassVar[str] = "add-to-digest step"
    _method: ClassVar[str] = "add_to_digest"
    _positional: ClassVar[tuple[str, ...]] = ("subscription_topic_id",)

    subscription_topic_id: str = f.text()


def _node(value: Any, instance: Any, field: attrs.Attribute[Any]) -> str:
    """Accept a node id, or Courier's ``{"$node_id": id}`` form."""
    if isinstance(value, Mapping) and len(value) == 1 and "$node_id" in value:
        value = value["$node_id"]
    if not isinstance(value, str) or not value:
        raise ValidationTypeError(instance.OWNER, field.name, "a designer node id string", value)
    if not f.utf8(value):
        raise ValidationError(instance.OWNER, field.name, "a designer node id in UTF-8", value)
    return value


@fast_init
@attrs.frozen(slots=True, kw_only=True, repr=False)
class Throttle(_Typed):
    """``throttle`` (private beta): allow at most ``max_allowed`` runs per ``period``.

    ``on_throttle`` is the id of the designer node to go to when throttled, sent as
    ``{"$node_id": ...}``.

    Example:
        >>> Throttle(max_allowed=1, period="PT1H", scope="user", on_throttle="n1").to_wire()
        {'action': 'throttle', 'max_allowed': 1, 'period': 'PT1H', 'scope': 'user', \
'on_throttle': {'$node_id': 'n1'}}
    """

    action: ClassVar[str] = "throttle"
    OWNER: ClassVar[str] = "throttle step"
    _method: ClassVar[str] = "throttle"

    max_allowed: int = f.integer()
    period: timedelta | str | Ref = f.converted(_iso_period, encode=f.encode_text)
    scope: ScopeLike = f.choice(BatchScope, required=True)
    on_throttle: str | Mapping[str, str] = f.converted(_node)
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

    Example:
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
        return f".raw({thaw(self.body)!r})"

    def __repr__(self) -> str:
        return f"RawStep({thaw(self.body)!r})"
