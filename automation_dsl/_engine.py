"""The simulator's engine: runs automations on a clock and records what they would do.

The sandbox server and [`Automation.simulate`][] share it. Sends become recorded
messages, composed as Courier composes them (step values win over run values); delays
are scheduled on the clock; ``cancel`` cancels the in-progress runs with the same token;
``invoke`` starts a registered template; ``update-profile`` merges into a per-recipient
profile store; ``fetch-data`` records the request it would make (and merges a reply you
registered for its URL); ``if`` is evaluated by `automation_dsl._js`. Steps the simulator does
not model (batch, digest, throttle, raw steps) are recorded as such. Each step class has
its handler in one table (``_HANDLERS``).

What a run leaves behind (events, messages, the timeline) and the virtual clock are in
`automation_dsl._timeline`. The engine reads automations through `AutomationLike`, never
the builder class.

Durations in months and years are read as 30 and 365 days.

Examples:
    >>> from datetime import datetime, timezone
    >>> from automation_dsl import Automation
    >>> start = datetime(2024, 4, 8, 9, 0, tzinfo=timezone.utc)
    >>> timeline = Automation().send("WELCOME").delay(days=1).send("NUDGE").simulate(
    ...     start=start, recipient="user-1")
    >>> [(e.at.isoformat(), e.action, e.outcome) for e in timeline if e.action == "send"]
    [('2024-04-08T09:00:00+00:00', 'send', 'sent'), ('2024-04-09T09:00:00+00:00', 'send', 'sent')]
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs

from ._delivery import MessageDelay, recipient_zone
from ._errors import ValidationError, ValidationTypeError
from ._js import MessageStatus, NotEvaluated, evaluate
from ._json import thaw
from ._localtime import LocalTime
from ._ref import Ref
from ._status import RunStatus
from ._steps import (
    AutomationLike,
    Cancel,
    Delay,
    FetchData,
    Invoke,
    Send,
    SendList,
    SendMessage,
    Step,
    UpdateProfile,
)
from ._time import UntilFormat, duration_length, format_until, to_utc
from ._timeline import Event, Message, Timeline, VirtualClock, new_run_id
from ._values import MergeStrategy, RunContext, given_context


def _extended(moment: datetime) -> str:
    return format_until(moment, UntilFormat.EXTENDED)


MAX_INVOKE_DEPTH = 32
"""How deep ``invoke`` steps may nest (a template invoking itself stops there)."""
MAX_STEPS = 2_000
"""How many steps one run and the runs it invokes may execute before they are stopped
(a template that invokes itself twice would otherwise run 2**32 runs)."""


@attrs.define
class RunState:
    """A run inside the engine (mutable; the engine owns it)."""

    run_id: str
    automation: AutomationLike
    context: dict[str, Any]
    created_at: datetime
    template_id: str | None = None
    cancelation_token: str | None = None
    status: str = RunStatus.PROCESSING
    position: int = 0
    resume_at: datetime | None = None
    refs: dict[str, Any] = attrs.field(factory=dict)
    step_status: dict[int, dict[str, Any]] = attrs.field(factory=dict)
    depth: int = 0


def _merge(
    strategy: MergeStrategy | None, existing: dict[str, Any] | None, incoming: dict[str, Any]
) -> dict[str, Any]:
    """Courier's merge strategies: A (incoming) into B (existing); replace by default."""
    strategy = strategy or MergeStrategy.REPLACE
    if strategy is MergeStrategy.REPLACE or existing is None:
        return dict(incoming)
    if strategy is MergeStrategy.OVERWRITE:
        return {**existing, **incoming}
    if strategy is MergeStrategy.SOFT_MERGE:
        return {**incoming, **existing}
    return dict(existing)  # none: B exists, so it is left alone


def _recipient_of(to: Any) -> str | None:
    """Who a v2 message goes to: its user id, email, phone number or list, as given."""
    if isinstance(to, Mapping):
        for key in ("user_id", "email", "phone_number", "list_id", "audience_id"):
            if to.get(key):
                return str(to[key])
        return None
    return str(to) if to else None


_Record = dict[str, Any]
"""A step's status record in a run (``status``, ``created_at`` ...)."""
_Read = dict[str, Any]
"""What a ``ref`` to a step reads (``{"status": ..., "message_id": ...}``)."""


class StepError(Exception):
    """A step could not run (a missing template, an unresolved $ref ...)."""


class Engine:
    """Runs automations step by step on a clock, recording events and messages.

    ``on_change(run, events, messages)`` is called after each change, so a store can
    persist it. A run started (or resumed) and the runs it invokes execute at most
    ``max_steps`` steps together; past that, each of them ends in ``ERROR``. ``statuses``
    maps a send step's ``ref`` to the status its messages have as soon as they are sent
    (``SENT`` otherwise): what the path explorer uses to make ``refs.x.status`` conditions hold.

    Examples:
        >>> from datetime import UTC
        >>> from automation_dsl import Automation
        >>> clock = VirtualClock(datetime(2024, 1, 1, tzinfo=UTC))
        >>> engine = Engine(clock.now)
        >>> run = engine.start(Automation().delay(hours=2).send("A"), {"recipient": "u1"})
        >>> run.status
        'WAITING'
        >>> engine.advance(clock, timedelta(hours=2))
        >>> run.status, len(engine.messages)
        ('PROCESSED', 1)
    """

    def __init__(
        self,
        now: Callable[[], datetime],
        *,
        templates: Mapping[str, AutomationLike] | None = None,
        profiles: dict[str, dict[str, Any]] | None = None,
        webhooks: Mapping[str, Any] | None = None,
        on_change: Callable[[RunState, list[Event], list[Message]], None] | None = None,
        max_steps: int = MAX_STEPS,
        statuses: Mapping[str, MessageStatus] | None = None,
    ) -> None:
        self.now = now
        self.statuses = dict(statuses or {})
        self.max_steps = max_steps
        self._steps_left = max_steps
        self.templates: dict[str, AutomationLike] = dict(templates or {})
        self.profiles: dict[str, dict[str, Any]] = profiles if profiles is not None else {}
        self.webhooks = dict(webhooks or {})
        self.on_change = on_change
        self._ready: deque[RunState] = deque()
        self.runs: dict[str, RunState] = {}
        self.events: list[Event] = []
        self.messages: list[Message] = []
        self._pending_events: list[Event] = []
        self._pending_messages: list[Message] = []

    # -- recording ------------------------------------------------------------------------

    def _event(
        self, run: RunState, step: int | None, action: str, outcome: str, **detail: Any
    ) -> None:
        event = Event(self.now(), run.run_id, step, action, outcome, detail)
        self.events.append(event)
        self._pending_events.append(event)

    def _flush(self, run: RunState) -> None:
        events, messages = self._pending_events, self._pending_messages
        self._pending_events, self._pending_messages = [], []
        if self.on_change is not None:
            self.on_change(run, events, messages)

    # -- running --------------------------------------------------------------------------

    def start(
        self,
        automation: AutomationLike,
        context: RunContext | Mapping[str, Any],
        *,
        run_id: str | None = None,
        template_id: str | None = None,
    ) -> RunState:
        """Accept a run and execute it (and the runs it invokes) until each waits or ends."""
        self._steps_left = self.max_steps
        run = self._accept(automation, context, run_id=run_id, template_id=template_id, depth=0)
        self._drain()
        return run

    def _accept(
        self,
        automation: AutomationLike,
        context: RunContext | Mapping[str, Any],
        *,
        run_id: str | None,
        template_id: str | None,
        depth: int,
    ) -> RunState:
        """Record a new run and queue it to execute."""
        if isinstance(context, RunContext):
            context = context.to_wire()
        now = self.now()
        run = RunState(
            run_id=run_id or new_run_id(now),
            automation=automation,
            context={key: thaw(value) for key, value in context.items()},
            created_at=now,
            template_id=template_id,
            depth=depth,
        )
        self.runs[run.run_id] = run
        token = automation.cancelation_token
        try:
            run.cancelation_token = self._resolve(run, token) if token is not None else None
        except StepError as error:
            self._event(run, None, "run", "error", reason=str(error))
            run.status = RunStatus.ERROR
            self._flush(run)
            return run
        self._event(run, None, "run", "started", template_id=template_id)
        self._ready.append(run)
        return run

    def _drain(self) -> None:
        """Execute queued runs in turn: invoked runs start after the step that invoked them."""
        while self._ready:
            self._continue(self._ready.popleft())

    def due(self) -> datetime | None:
        """When the next waiting run resumes, if any."""
        times = [
            r.resume_at for r in self.runs.values() if r.status == RunStatus.WAITING and r.resume_at
        ]
        return min(times, default=None)

    def run_due(self) -> None:
        """Resume every waiting run whose time has come, in time order."""
        now = self.now()
        waiting = sorted(
            (
                r
                for r in self.runs.values()
                if r.status == RunStatus.WAITING and r.resume_at is not None and r.resume_at <= now
            ),
            key=lambda r: (r.resume_at, r.created_at),
        )
        for run in waiting:
            if run.status != RunStatus.WAITING:  # canceled by a run resumed just before
                continue
            run.status = RunStatus.PROCESSING
            run.resume_at = None
            self._event(run, run.position, "delay", "resumed")
            run.step_status[run.position]["status"] = RunStatus.PROCESSED
            run.step_status[run.position]["updated_at"] = now
            run.position += 1
            self._steps_left = self.max_steps
            self._ready.append(run)
            self._drain()

    def advance(
        self, clock: VirtualClock, by: timedelta | None = None, *, to: datetime | None = None
    ) -> None:
        """Move a virtual clock forward, resuming runs at the times they are due.

        With neither ``by`` nor ``to``, runs until no run is waiting.
        """
        target = to if to is not None else (clock.now() + by if by is not None else None)
        while (due := self.due()) is not None and (target is None or due <= target):
            clock.set(due)
            self.run_due()
        if target is not None:
            clock.set(target)

    def set_message_status(self, message_id: str, status: MessageStatus | str) -> None:
        """Change a message's status (``OPENED`` ...), as later conditions will read it."""
        status = status if isinstance(status, MessageStatus) else MessageStatus[status.upper()]
        for index, message in enumerate(self.messages):
            if message.message_id == message_id:
                self.messages[index] = attrs.evolve(message, status=status.value)
                run = self.runs[message.run_id]
                for ref in run.refs.values():
                    if isinstance(ref, dict) and ref.get("message_id") == message_id:
                        ref["status"] = status
                self._pending_messages.append(self.messages[index])
                self._flush(run)
                return
        raise KeyError(f"no message {message_id!r}")

    def _continue(self, run: RunState) -> None:
        steps = run.automation.steps
        while run.status == RunStatus.PROCESSING and run.position < len(steps):
            index = run.position
            step = steps[index]
            if self._steps_left <= 0:
                self._event(
                    run,
                    index,
                    step.action,
                    "error",
                    reason=f"stopped: more than {self.max_steps} steps executed by one run and "
                    "the runs it invoked (does a template invoke itself?)",
                )
                run.status = RunStatus.ERROR
                break
            self._steps_left -= 1
            now = self.now()
            record = {"status": RunStatus.PROCESSED, "created_at": now, "updated_at": now}
            run.step_status[index] = record
            if not self._condition_holds(run, index, step):
                record["status"] = "SKIPPED"
                run.position += 1
                continue
            try:
                self._execute(run, index, step, record)
            except StepError as error:
                self._event(run, index, step.action, "error", reason=str(error))
                record["status"] = RunStatus.ERROR
                run.status = RunStatus.ERROR
                break
            if run.status == RunStatus.WAITING:
                record["status"] = RunStatus.WAITING
                break
            run.position += 1
        if run.status == RunStatus.PROCESSING:
            run.status = RunStatus.PROCESSED
            self._event(run, None, "run", "completed")
        self._flush(run)

    def _scope(self, run: RunState) -> dict[str, Any]:
        context = run.context
        data, profile = context.get("data") or {}, context.get("profile") or {}
        return {
            "data": data,
            "profile": profile,
            "brand": context.get("brand"),
            "template": context.get("template"),
            "recipient": context.get("recipient"),
            "refs": {**run.refs, "data": data, "profile": profile},
        }

    def _condition_holds(self, run: RunState, index: int, step: Step) -> bool:
        condition = getattr(step, "if_", None)
        if condition is None:
            return True
        if not isinstance(condition, str):  # a typed condition: the same grammar
            condition = condition.to_js()
        try:
            holds = evaluate(condition, self._scope(run))
        except NotEvaluated as reason:
            self._event(
                run, index, step.action, "not-evaluated", condition=condition, reason=str(reason)
            )
            return False
        if not holds:
            self._event(run, index, step.action, "skipped", condition=condition)
        return holds

    def _resolve(self, run: RunState, value: Any) -> Any:
        """A step value with any ``Ref`` read from the run's scope."""
        if not isinstance(value, Ref):
            return thaw(value)
        node: Any = self._scope(run)
        for part in value.path.split("."):
            if not isinstance(node, Mapping) or part not in node:
                raise StepError(f"$ref {value.path!r} is not set in this run")
            node = node[part]
        return node

    def _execute(self, run: RunState, index: int, step: Step, record: dict[str, Any]) -> None:
        """Run one step through its class's handler; a ``ref`` reads what it returns."""
        read = _handler(type(step))(self, run, index, step, record)
        ref = getattr(step, "ref", None)
        if ref:
            run.refs[ref] = read if read is not None else {"status": record["status"]}

    # -- the handlers, one per step class (``_HANDLERS``) -----------------------------------
    # Each returns what a ``ref`` to its step reads, or ``None`` for the step's status.

    def _cancel(self, run: RunState, index: int, step: Cancel, record: _Record) -> None:
        token = self._resolve(run, step.cancelation_token)
        canceled = []
        for other in self.runs.values():
            if (
                other is not run
                and other.cancelation_token == token
                and other.status in RunStatus.ACTIVE
            ):
                other.status = RunStatus.CANCELED
                other.resume_at = None
                self._event(other, None, "run", "canceled", by=run.run_id)
                if other.position in other.step_status:
                    other.step_status[other.position]["status"] = RunStatus.CANCELED
                self._flush(other)
                canceled.append(other.run_id)
        self._event(run, index, "cancel", "canceled", token=token, runs=len(canceled))

    def _update_profile(
        self, run: RunState, index: int, step: UpdateProfile, record: _Record
    ) -> None:
        recipient = self._resolve(run, step.recipient_id) or run.context.get("recipient")
        if not recipient:
            raise StepError("update-profile needs recipient_id or a run recipient")
        incoming = self._resolve(run, step.profile)
        merged = _merge(step.merge, self.profiles.get(recipient), incoming)  # type: ignore[arg-type]
        self.profiles[recipient] = merged
        self._event(
            run,
            index,
            "update-profile",
            "profile-updated",
            recipient=recipient,
            merge=str(step.merge or "replace"),
        )

    def _not_simulated(self, run: RunState, index: int, step: Step, record: _Record) -> None:
        self._event(run, index, step.action, "not-simulated")

    def _send(self, run: RunState, index: int, step: Send, record: _Record) -> _Read:
        context = run.context
        template, data = self._template_and_data(run, step)
        recipient = self._resolve(run, step.recipient) or context.get("recipient")
        if not recipient:
            raise StepError("no recipient: set one on the step or in the run context")
        stored = self.profiles.get(recipient, {}) if recipient else {}
        profile = {
            **stored,
            **(context.get("profile") or {}),
            **(self._resolve(run, step.profile) or {}),
        }
        brand = self._resolve(run, step.brand) or context.get("brand")
        return self._sent(
            run, index, step, record, template, recipient, brand, data=data, profile=profile
        )

    def _send_list(self, run: RunState, index: int, step: SendList, record: _Record) -> _Read:
        template, data = self._template_and_data(run, step)
        brand = self._resolve(run, step.brand) or run.context.get("brand")
        listed = self._resolve(run, step.list)
        return self._sent(run, index, step, record, template, None, brand, list=listed, data=data)

    def _send_message(self, run: RunState, index: int, step: SendMessage, record: _Record) -> _Read:
        body = thaw(step.message)
        recipient = _recipient_of(body.get("to"))
        if not recipient:
            raise StepError("no recipient: the message has no 'to'")
        template, data = body.get("template"), body.get("data") or {}
        deliver_at = self._delivery_time(run, step.message.get("delay"), body["to"], recipient)
        return self._sent(
            run, index, step, record, template, recipient, None, deliver_at=deliver_at, data=data
        )

    def _delivery_time(self, run: RunState, delay: Any, to: Any, recipient: str) -> datetime | None:
        """When a message with a Send API ``delay`` is delivered: a delivery window opens in
        the delay's ``timezone``, else the recipient's (``to``, then the run's profile, then
        the stored profile: ``zoneinfo`` before ``timezone``), else UTC."""
        if delay is None:
            return None
        if isinstance(delay, Mapping):
            delay = {key: self._resolve(run, value) for key, value in delay.items()}
        else:
            delay = self._resolve(run, delay)
        profile = {
            **self.profiles.get(recipient, {}),
            **(run.context.get("profile") or {}),
            **(to if isinstance(to, Mapping) else {}),
        }
        try:
            return MessageDelay.from_wire(delay).deliver_at(self.now(), recipient_zone(profile))
        except ValidationError as error:
            raise StepError(str(error)) from None

    def _template_and_data(self, run: RunState, step: Send | SendList) -> tuple[Any, _Record]:
        template = self._resolve(run, step.template) or run.context.get("template")
        if not template:
            raise StepError("no template: set one on the step or in the run context")
        data = {**(run.context.get("data") or {}), **(self._resolve(run, step.data) or {})}
        return template, data

    def _sent(
        self,
        run: RunState,
        index: int,
        step: Step,
        record: _Record,
        template: Any,
        recipient: Any,
        brand: Any,
        *,
        deliver_at: datetime | None = None,
        **fields: Any,
    ) -> _Read:
        """Record a message (delivered now, or at ``deliver_at``); a ``ref`` to its step
        reads its status and id."""
        now = self.now()
        message_id = new_run_id(now)
        at = now if deliver_at is None else deliver_at.astimezone(UTC)
        status = self.statuses.get(getattr(step, "ref", None) or "", MessageStatus.SENT)
        message = Message(
            message_id,
            run.run_id,
            index,
            at,
            template,
            recipient,
            brand,
            **fields,
            status=status.value,
        )
        self.messages.append(message)
        self._pending_messages.append(message)
        target = {"list": message.list} if message.list else {"recipient": message.recipient}
        self._event(
            run,
            index,
            step.action,
            "sent",
            template=message.template,
            **target,
            message_id=message_id,
            **({} if deliver_at is None else {"deliver_at": at.isoformat().replace("+00:00", "Z")}),
        )
        record["message_id"] = message_id
        return {"status": status, "message_id": message_id}

    def _delay(self, run: RunState, index: int, step: Delay, record: _Record) -> None:
        now = self.now()
        details: dict[str, Any] = {}
        if isinstance(step.until, LocalTime):  # resolved for this run, as it gets here
            try:
                local = step.until.resolve(now, self._scope(run))
            except ValidationError as error:
                raise StepError(str(error)) from None
            resume = local.utc
            details["local"] = local.local.isoformat()
            details.update({flag: True for flag in ("gap", "fold") if getattr(local, flag)})
        elif step.until is not None:
            until = self._resolve(run, step.until)  # a Ref read from the run, else as given
            try:
                resume = to_utc(until, "delay step", "until")
            except (ValueError, OverflowError) as error:
                raise StepError(str(error)) from None
        else:
            text = self._resolve(run, step.duration)
            try:
                resume = now + duration_length(str(text))
            except ValueError as error:
                raise StepError(str(error)) from None
            except OverflowError:  # a $ref read at run time: the builder bounds the others
                raise StepError(f"duration {str(text)[:40]!r} is out of range") from None
        if resume <= now:
            self._event(run, index, "delay", "resumed", until=_extended(resume), **details)
            return
        run.status = RunStatus.WAITING
        run.resume_at = resume
        self._event(run, index, "delay", "waiting", until=_extended(resume), **details)

    def _invoke(self, run: RunState, index: int, step: Invoke, record: _Record) -> None:
        template_id = self._resolve(run, step.template)
        automation = self.templates.get(template_id)
        if automation is None:
            raise StepError(f"no automation template {template_id!r} is registered")
        if isinstance(step.context, RunContext):
            given = step.context._set_fields()
            context = {key: self._resolve(run, value) for key, value in given.items()}
        elif isinstance(step.context, Ref):
            context = dict(self._resolve(run, step.context) or {})
        else:
            context = dict(run.context)
        if run.depth >= MAX_INVOKE_DEPTH:
            raise StepError(
                f"invoke nested more than {MAX_INVOKE_DEPTH} deep: does a template invoke itself?"
            )
        child = self._accept(
            automation, context, run_id=None, template_id=template_id, depth=run.depth + 1
        )
        self._event(run, index, "invoke", "invoked", template_id=template_id, child=child.run_id)

    def _fetch(self, run: RunState, index: int, step: FetchData, record: _Record) -> None:
        webhook = step.webhook
        assert not isinstance(webhook, Mapping)
        url = self._resolve(run, webhook.url)
        reply = self.webhooks.get(url)
        if isinstance(reply, Mapping):
            data = run.context.get("data")
            run.context["data"] = _merge(step.merge_strategy, data, dict(reply))  # type: ignore[arg-type]
        self._event(
            run,
            index,
            "fetch-data",
            "fetched",
            method=str(webhook.method),
            url=url,
            replied=reply is not None,
        )

    def timeline(self, run_ids: set[str] | None = None) -> Timeline:
        """The recorded events (of some runs), in time order."""
        chosen: Iterator[Event] = (e for e in self.events if run_ids is None or e.run_id in run_ids)
        return Timeline(chosen)


_Handler = Callable[[Engine, RunState, int, Any, _Record], "_Read | None"]

_HANDLERS: dict[type[Step], _Handler] = {
    Send: Engine._send,
    SendList: Engine._send_list,
    SendMessage: Engine._send_message,
    Delay: Engine._delay,
    Cancel: Engine._cancel,
    Invoke: Engine._invoke,
    UpdateProfile: Engine._update_profile,
    FetchData: Engine._fetch,
}
"""Each step class the engine models, and its handler; any other step is not simulated."""


def _handler(cls: type[Step]) -> _Handler:
    for base in cls.__mro__:  # a subclass runs as the step it extends
        handler = _HANDLERS.get(base)
        if handler is not None:
            return handler
    return Engine._not_simulated


def check_templates(templates: object, owner: str) -> Mapping[str, AutomationLike] | None:
    """``templates`` (the automations ``invoke`` steps may start, by id), or the
    [`ValidationTypeError`][] naming what is wrong with it.

    Examples:
        >>> check_templates(None, "simulate") is None
        True
    """
    if templates is None:
        return None
    expected = "a mapping of template ids to automations, or None"
    if not isinstance(templates, Mapping):
        raise ValidationTypeError(owner, "templates", expected, templates)
    for key, value in templates.items():
        if not isinstance(key, str) or not isinstance(value, AutomationLike):
            raise ValidationTypeError(owner, f"templates[{key!r:.60}]", expected, value)
    return templates


def simulate(
    automation: AutomationLike,
    *,
    start: datetime | None = None,
    data: Mapping[str, Any] | None = None,
    profile: Mapping[str, Any] | None = None,
    recipient: str | None = None,
    brand: str | None = None,
    template: str | None = None,
    templates: Mapping[str, AutomationLike] | None = None,
    webhooks: Mapping[str, Any] | None = None,
    profiles: Mapping[str, Mapping[str, Any]] | None = None,
    statuses: Mapping[str, MessageStatus] | None = None,
) -> Timeline:
    """Run an automation on a virtual clock, offline: what [`Automation.simulate`][] does.

    ``statuses`` (for the path explorer) gives the messages of a send step with that
    ``ref`` that status as soon as they are sent.

    Examples:
        >>> from datetime import UTC
        >>> from automation_dsl import Automation
        >>> timeline = simulate(Automation().send("A"), recipient="u1",
        ...                     start=datetime(2024, 1, 1, tzinfo=UTC))
        >>> [event.outcome for event in timeline]
        ['started', 'sent', 'completed']
    """
    clock = VirtualClock(start, owner="simulate")
    engine = Engine(
        clock.now,
        templates=check_templates(templates, "simulate"),
        profiles={key: dict(value) for key, value in (profiles or {}).items()},
        webhooks=webhooks,
        statuses=statuses,
    )
    given = given_context(
        data=data, profile=profile, recipient=recipient, brand=brand, template=template
    )
    engine.start(automation, RunContext(**given))
    engine.advance(clock)
    return engine.timeline()
