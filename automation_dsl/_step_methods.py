"""The step methods of the builder: one chainable method per step kind.

`StepMethods` is a base of [`Automation`][]: ``send``, ``delay``,
``fetch_data`` ... each build their step (validated by the step's class) and return
``self._append(step)``, a new automation. The core of the builder (the fields, ``_append``,
``step``, composition, serialization) stays in ``_automation``.

The examples name ``Automation``, which this module cannot import (it is Automation's base):
``_automation`` binds the name here for the doctests.

Examples:
    >>> from automation_dsl import Automation
    >>> Automation().send("WELCOME").delay(days=1).to_dict()["steps"][1]
    {'action': 'delay', 'duration': '1 day'}
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from ._errors import MISSING, ValidationError, ValidationTypeError
from ._localtime import LocalTime
from ._payload_schema import PayloadSchema, SchemaSource
from ._ref import RefLike
from ._steps import (
    AddToBatch,
    AddToDigest,
    Cancel,
    Delay,
    FetchData,
    Invoke,
    RawStep,
    Send,
    SendList,
    SendMessage,
    Step,
    Throttle,
    UpdateProfile,
)
from ._time import duration_from_units
from ._types import Expiry
from ._values import (
    DataSource,
    HttpMethod,
    HttpMethodLike,
    MergeLike,
    Retain,
    RunContext,
    ScopeLike,
    Webhook,
)

if TYPE_CHECKING:
    from ._automation import Automation
    from .conditions import ConditionLike


class StepMethods:
    """The step methods of [`Automation`][] (its base; holds no state)."""

    __slots__ = ()

    if TYPE_CHECKING:

        def _append(self, step: Step) -> Automation: ...

    def send(
        self,
        template: str | RefLike | None = None,
        /,
        *,
        recipient: str | RefLike | None = None,
        brand: str | RefLike | None = None,
        data: Mapping[str, Any] | RefLike | None = None,
        profile: Mapping[str, Any] | RefLike | None = None,
        override: Mapping[str, Any] | RefLike | None = None,
        idempotency_key: str | None = None,
        idempotency_expiry: Expiry | None = None,
        if_: ConditionLike | None = None,
        ref: str | None = None,
    ) -> Automation:
        """Append a ``send`` step: send the notification ``template``.

        Fields left unset fall back to the run context (``recipient``, ``template`` ...).
        See [`Send`][] for each field.

        Examples:
            >>> from automation_dsl import Automation
            >>> Automation().send("WELCOME", recipient="user-1").to_dict()["steps"]
            [{'action': 'send', 'template': 'WELCOME', 'recipient': 'user-1'}]
        """
        return self._append(
            Send._new(
                template=template,
                recipient=recipient,
                brand=brand,
                data=data,
                profile=profile,
                override=override,
                idempotency_key=idempotency_key,
                idempotency_expiry=idempotency_expiry,
                if_=if_,
                ref=ref,
            )
        )

    def send_message(
        self,
        message: Mapping[str, Any],
        /,
        *,
        if_: ConditionLike | None = None,
        ref: str | None = None,
    ) -> Automation:
        """Append a v2 (legacy) ``send`` step carrying a Send API ``message``.

        Examples:
            >>> from automation_dsl import Automation
            >>> msg = {"to": {"user_id": "u1"}, "template": "WELCOME"}
            >>> Automation().send_message(msg).to_dict()["steps"][0]["message"]["template"]
            'WELCOME'
        """
        return self._append(SendMessage._new(message=message, if_=if_, ref=ref))

    def send_list(
        self,
        list: str | RefLike,
        /,
        *,
        template: str | RefLike | None = None,
        brand: str | RefLike | None = None,
        data: Mapping[str, Any] | RefLike | None = None,
        override: Mapping[str, Any] | RefLike | None = None,
        data_source: DataSource | Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
        idempotency_expiry: Expiry | None = None,
        if_: ConditionLike | None = None,
        ref: str | None = None,
    ) -> Automation:
        """Append a ``send-list`` step: send to every subscriber of ``list``.

        Examples:
            >>> from automation_dsl import Automation
            >>> Automation().send_list("beta-users", template="NEWS").to_dict()["steps"]
            [{'action': 'send-list', 'list': 'beta-users', 'template': 'NEWS'}]
        """
        return self._append(
            SendList._new(
                list=list,
                template=template,
                brand=brand,
                data=data,
                override=override,
                data_source=data_source,
                idempotency_key=idempotency_key,
                idempotency_expiry=idempotency_expiry,
                if_=if_,
                ref=ref,
            )
        )

    def delay(
        self,
        *,
        until: datetime | date | str | LocalTime | RefLike | None = None,
        duration: timedelta | str | RefLike | None = None,
        weeks: int = 0,
        days: int = 0,
        hours: int = 0,
        minutes: int = 0,
        if_: ConditionLike | None = None,
        ref: str | None = None,
    ) -> Automation:
        """Append a ``delay`` step: wait ``until`` a moment, or for a ``duration``.

        The duration may also be given in keyword units (``days=1``, ``hours=36``); a
        ``timedelta`` is written in the largest unit that divides it exactly.

        Examples:
            >>> from automation_dsl import Automation
            >>> Automation().delay(hours=36).to_dict()["steps"]
            [{'action': 'delay', 'duration': '36 hours'}]
            >>> Automation().delay(until="2024-04-08T10:09:10+02:00").to_dict()["steps"]
            [{'action': 'delay', 'until': '20240408T080910.000'}]
        """
        units = {
            unit: count
            for unit, count in (
                ("weeks", weeks),
                ("days", days),
                ("hours", hours),
                ("minutes", minutes),
            )
            if not (count.__class__ is int and count == 0)  # the default: not given
        }
        if units:
            if duration is not None:
                raise ValidationError(
                    "delay step",
                    "duration",
                    "either duration= or keyword units (weeks=, days=, hours=, minutes=)",
                    duration,
                )
            duration = duration_from_units("delay step", **units)
            if not duration:
                raise ValidationError(
                    "delay step", "/".join(units), "a total length above zero", units
                )
        elif until is None and duration is None:
            raise ValidationError(
                "delay step",
                "until/duration",
                "one of until=, duration= or units (weeks=, days=, hours=, minutes=) above zero",
                MISSING,
            )
        return self._append(Delay._new(until=until, duration=duration, if_=if_, ref=ref))

    def cancel(
        self,
        cancelation_token: str | RefLike,
        /,
        *,
        if_: ConditionLike | None = None,
        ref: str | None = None,
    ) -> Automation:
        """Append a ``cancel`` step: cancel in-progress runs with this ``cancelation_token``.

        Examples:
            >>> from automation_dsl import Automation
            >>> Automation().cancel("order-42").to_dict()["steps"]
            [{'action': 'cancel', 'cancelation_token': 'order-42'}]
        """
        return self._append(Cancel._new(cancelation_token=cancelation_token, if_=if_, ref=ref))

    def invoke(
        self,
        template: str | RefLike,
        /,
        *,
        context: RunContext | Mapping[str, Any] | RefLike | None = None,
        if_: ConditionLike | None = None,
        ref: str | None = None,
    ) -> Automation:
        """Append an ``invoke`` step: start the automation template ``template``.

        This adds a step; to run a flow, hand it to a client.

        Examples:
            >>> from automation_dsl import Automation
            >>> Automation().invoke("onboarding-v2").to_dict()["steps"]
            [{'action': 'invoke', 'template': 'onboarding-v2'}]
        """
        return self._append(Invoke._new(template=template, context=context, if_=if_, ref=ref))

    def update_profile(
        self,
        profile: Mapping[str, Any] | RefLike,
        /,
        *,
        recipient_id: str | RefLike | None = None,
        merge: MergeLike | None = None,
        if_: ConditionLike | None = None,
        ref: str | None = None,
    ) -> Automation:
        """Append an ``update-profile`` step: merge ``profile`` into the stored profile.

        Examples:
            >>> from automation_dsl import Automation
            >>> Automation().update_profile({"plan": "pro"}, merge="overwrite").to_dict()["steps"]
            [{'action': 'update-profile', 'profile': {'plan': 'pro'}, 'merge': 'overwrite'}]
        """
        step = UpdateProfile._new(
            profile=profile, recipient_id=recipient_id, merge=merge, if_=if_, ref=ref
        )
        return self._append(step)

    def fetch_data(
        self,
        url: str | RefLike,
        /,
        *,
        method: HttpMethodLike = HttpMethod.GET,
        headers: Mapping[str, str] | None = None,
        body: str | Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        merge_strategy: MergeLike | None = None,
        idempotency_key: str | None = None,
        idempotency_expiry: Expiry | None = None,
        if_: ConditionLike | None = None,
        ref: str | None = None,
        returns: PayloadSchema | SchemaSource | None = None,
    ) -> Automation:
        """Append a ``fetch-data`` step: call ``url`` and merge the JSON reply into ``data``.

        ``body`` may be a string or a dict, which is JSON-encoded. ``returns`` declares the
        reply's shape (an attrs class, dataclass, ``TypedDict`` or JSON Schema; never sent):
        with a ``data_schema``, later steps may read its paths (docs/payload-schemas.md).

        Examples:
            >>> from automation_dsl import Automation
            >>> Automation().fetch_data("https://x.test/u", method="POST",
            ...                         body={"id": 1}).to_dict()["steps"][0]["webhook"]
            {'url': 'https://x.test/u', 'method': 'POST', 'body': '{"id":1}'}
        """
        webhook = Webhook._new(url=url, method=method, headers=headers, body=body, params=params)
        return self._append(
            FetchData._new(
                webhook=webhook,
                merge_strategy=merge_strategy,
                idempotency_key=idempotency_key,
                idempotency_expiry=idempotency_expiry,
                if_=if_,
                ref=ref,
                returns=returns,
            )
        )

    def add_to_batch(
        self,
        *,
        wait_period: timedelta | str | RefLike,
        max_wait_period: timedelta | str | RefLike,
        retain: Retain | Mapping[str, Any],
        max_items: int | None = None,
        scope: ScopeLike | None = None,
        batch_key: str | None = None,
        batch_id: str | None = None,
        category_key: str | None = None,
        if_: ConditionLike | None = None,
        ref: str | None = None,
    ) -> Automation:
        """Append an ``add-to-batch`` step (Courier public beta). Periods are ISO 8601.

        Examples:
            >>> from automation_dsl import Automation
            >>> from datetime import timedelta
            >>> flow = Automation().add_to_batch(
            ...     wait_period=timedelta(minutes=5), max_wait_period=timedelta(hours=1),
            ...     retain={"type": "last", "count": 10})
            >>> flow.to_dict()["steps"][0]["max_wait_period"]
            'PT1H'
        """
        return self._append(
            AddToBatch._new(
                wait_period=wait_period,
                max_wait_period=max_wait_period,
                retain=retain,
                max_items=max_items,
                scope=scope,
                batch_key=batch_key,
                batch_id=batch_id,
                category_key=category_key,
                if_=if_,
                ref=ref,
            )
        )

    def add_to_digest(
        self,
        subscription_topic_id: str,
        /,
        *,
        if_: ConditionLike | None = None,
        ref: str | None = None,
    ) -> Automation:
        """Append an ``add-to-digest`` step (Courier legacy).

        Examples:
            >>> from automation_dsl import Automation
            >>> Automation().add_to_digest("TOPIC").to_dict()["steps"]
            [{'action': 'add-to-digest', 'subscription_topic_id': 'TOPIC'}]
        """
        return self._append(
            AddToDigest._new(subscription_topic_id=subscription_topic_id, if_=if_, ref=ref)
        )

    def throttle(
        self,
        *,
        max_allowed: int,
        period: timedelta | str | RefLike,
        scope: ScopeLike,
        on_throttle: str,
        throttle_key: str | None = None,
        should_alert: bool | None = None,
        if_: ConditionLike | None = None,
        ref: str | None = None,
    ) -> Automation:
        """Append a ``throttle`` step (Courier private beta). ``period`` is ISO 8601.

        Examples:
            >>> from automation_dsl import Automation
            >>> from datetime import timedelta
            >>> Automation().throttle(max_allowed=1, period=timedelta(hours=1), scope="user",
            ...                       on_throttle="node-2").to_dict()["steps"][0]["period"]
            'PT1H'
        """
        return self._append(
            Throttle._new(
                max_allowed=max_allowed,
                period=period,
                scope=scope,
                on_throttle=on_throttle,
                throttle_key=throttle_key,
                should_alert=should_alert,
                if_=if_,
                ref=ref,
            )
        )

    def raw(self, step: Mapping[str, Any], /) -> Automation:
        """Append a step this library does not model, as its JSON object, untouched.

        Examples:
            >>> from automation_dsl import Automation
            >>> Automation().raw({"action": "get-profile", "user_id": "u1"}).to_dict()["steps"]
            [{'action': 'get-profile', 'user_id': 'u1'}]
        """
        if not isinstance(step, Mapping):
            raise ValidationTypeError(
                "Automation.raw", "step", "a JSON object with an 'action'", step
            )
        return self._append(RawStep(step))
