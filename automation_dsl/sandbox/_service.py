"""The sandbox's state and behaviour, apart from HTTP: the engine, the store, the clock.

`Service` is used under one lock, from the server's event loop (requests) and
from the caller's thread (``Sandbox.advance`` ...). It changes state through a few
commands (``accept``, ``advance`` ...) and shows it through a read API (``runs``,
``run_page``, ``steps``, ``messages``, ``timeline`` ...) that hands out copies and
records of its own: neither the HTTP app nor [`Sandbox`][] touches the engine.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections import deque
from collections.abc import Iterator, Mapping, Set
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol, cast

import attrs

from .._automation import Automation
from .._errors import ConfigurationError, ValidationError, ValidationTypeError, _show
from .._js import MessageStatus
from .._json import freeze, thaw
from ._idempotency import Idempotency, KeyUse
from ._simulator import Engine, Event, Message, RunState, Timeline, VirtualClock
from ._store import Store

MAX_REQUESTS = 10_000
"""How many invoke requests [`Sandbox.requests`][] remembers (the latest ones)."""


class Clock(Protocol):
    """What the service reads the time from: `VirtualClock` (moved by
    ``advance``) or `RealClock`."""

    def now(self) -> datetime:
        """The current time (aware, UTC)."""
        ...


class RealClock:
    """Wall-clock time, in UTC."""

    def now(self) -> datetime:
        """The current time."""
        return datetime.now(UTC)


@attrs.frozen(slots=True)
class SandboxRun:
    """A run the sandbox accepted.

    Attributes:
        run_id: as returned to the client.
        status: ``PROCESSING``, ``WAITING``, ``PROCESSED``, ``CANCELED`` or ``ERROR``.
        created_at: when it was accepted, on the sandbox's clock.
        template_id: the template it ran, for templated invokes.
        automation: the automation that ran.
        context: its run context (``data``, ``profile``, ``recipient`` ...).
        events: what happened, in order.
        messages: what it sent.

    Examples:
        >>> from automation_dsl.sandbox import Sandbox
        >>> from automation_dsl import Automation
        >>> with Sandbox() as sandbox:
        ...     with sandbox.client() as client:
        ...         run_id = client.invoke(Automation().send("A"), recipient="u1")
        ...     run = sandbox.run(run_id)
        >>> run.status, [m.template for m in run.messages]
        ('PROCESSED', ['A'])
    """

    run_id: str
    status: str
    created_at: datetime
    template_id: str | None
    automation: Automation
    context: Mapping[str, Any]
    events: tuple[Event, ...]
    messages: tuple[Message, ...]

    @property
    def payload(self) -> dict[str, Any]:
        """The invoke body the run was accepted with (templated runs: their context only)."""
        if self.template_id is not None:
            return dict(self.context)
        return self.automation.to_payload(self.context)

    def _repr_html_(self) -> str:
        from .._render import timeline_html

        return timeline_html(self.events, f"Run {self.run_id} ({self.status})")


@attrs.frozen(slots=True)
class InvokeRequest:
    """An invoke request as the sandbox saw it, for checking what a client sent.

    Attributes:
        path: the request path.
        idempotency_key: its ``Idempotency-Key`` header, if any.
        outcome: ``accepted``, ``replayed``, ``conflict``, ``invalid``, ``not-found``,
            ``unauthorized``,
            or the injected fault (``500``, ``503``, ``429``, ``drop-before``,
            ``drop-after``).
        run_id: the run it started or replayed, if any.

    Examples:
        >>> InvokeRequest("/automations/invoke", "k-1", "accepted", "1-abc").outcome
        'accepted'
    """

    path: str
    idempotency_key: str | None
    outcome: str
    run_id: str | None = None


@attrs.frozen(slots=True)
class RunSummary:
    """A run as ``GET /automations/runs`` lists it: its record, without events."""

    run_id: str
    status: str
    created_at: datetime
    template_id: str | None


@attrs.frozen(slots=True)
class StepRecord:
    """One step of a run as ``GET /automations/runs/{id}/steps`` shows it."""

    action: str
    status: str
    message_id: str | None
    created_at: datetime | None
    updated_at: datetime | None


class RunNotFound(ValidationError, KeyError):
    """No run with this id in the sandbox (also a ``KeyError``, as it was first).

    Examples:
        >>> error = RunNotFound("Sandbox.run", "run_id", "the id of a run", "nope")
        >>> isinstance(error, KeyError), str(error)
        (True, "Sandbox.run: 'run_id' expected the id of a run, got 'nope' (str)")
    """

    __str__ = Exception.__str__  # the message as it is, not KeyError's repr of it


class Service:
    """Everything the sandbox knows and does, behind one lock."""

    def __init__(
        self,
        *,
        db: str | Path,
        clock: str,
        start: datetime | None,
        webhooks: Mapping[str, Any] | None = None,
    ) -> None:
        if clock not in ("virtual", "real"):
            raise ValidationError("Sandbox", "clock", "'virtual' or 'real'", clock)
        if not isinstance(db, str | Path):
            raise ValidationTypeError("Sandbox", "db", "a file path or ':memory:'", db)
        if webhooks is not None and not isinstance(webhooks, Mapping):
            raise ValidationTypeError("Sandbox", "webhooks", "a mapping of URL to reply", webhooks)
        if start is not None and not isinstance(start, datetime):
            raise ValidationTypeError("Sandbox", "start", "an aware datetime", start)
        replies = None if webhooks is None else thaw(freeze(webhooks, "Sandbox", "webhooks"))
        self.lock = threading.RLock()
        try:
            self.store = Store(db)
        except (sqlite3.Error, OSError, ValueError) as error:
            reason = getattr(error, "strerror", None) or str(error)[:80]
            raise ConfigurationError(
                f"Sandbox: db {_show(db)} cannot be opened ({reason}): give a writable file "
                "path or ':memory:'"
            ) from None
        self.real_time = clock == "real"
        self._start = start
        self._webhooks = replies
        self.idempotency = Idempotency(self.store, lock=self.lock)
        self.requests: deque[InvokeRequest] = deque(maxlen=MAX_REQUESTS)
        self._load()

    def _load(self) -> None:
        """Build the clock and the engine from the store: the committed state, only."""
        saved = self.store.get_meta("clock")
        if self.real_time:
            self.clock: Clock = RealClock()
        else:
            self.clock = VirtualClock(datetime.fromisoformat(saved) if saved else self._start)
            self._start = self.clock.now()  # a reload before the first save keeps the time
        self.engine = Engine(
            self.clock.now,
            templates={
                template_id: Automation.from_dict(body, lenient=True)
                for template_id, body in self.store.templates().items()
            },
            profiles=self.store.profiles(),
            webhooks=self._webhooks,
            on_change=self._persist,
        )
        self._restore()

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """One unit of change: committed to the store, or undone in the store *and* in
        memory (nothing of a failed request stays: no run, event, message or key)."""
        with self.lock:
            try:
                with self.store.transaction():
                    yield
            except BaseException:
                if not self.store.db.in_transaction:  # the outermost unit: start over
                    self._load()
                raise

    # -- persistence ----------------------------------------------------------------------

    def _persist(self, run: RunState, events: list[Event], messages: list[Message]) -> None:
        self.store.save_run(run, events, messages)
        if any(event.outcome == "profile-updated" for event in events):
            for recipient, profile in self.engine.profiles.items():
                self.store.put_profile(recipient, profile)
        if isinstance(self.clock, VirtualClock):
            self.store.set_meta("clock", self.clock.now().isoformat())

    def _restore(self) -> None:
        engine = self.engine
        for row, state in self.store.load_runs():
            run = RunState(
                run_id=row["run_id"],
                automation=Automation.from_dict(row["automation"], lenient=True),
                context=state["context"],
                created_at=row["created_at"],
                template_id=row["template_id"],
                cancelation_token=state["cancelation_token"],
                status=row["status"],
                position=state["position"],
                resume_at=state["resume_at"],
                refs=state["refs"],
                step_status=state["step_status"],
            )
            engine.runs[run.run_id] = run
        engine.events.extend(Event.from_dict(body) for body in self.store.load_events())
        engine.messages.extend(Message.from_dict(m) for m in self.store.load_messages())

    def close(self) -> None:
        """Close the database."""
        with self.lock:
            self.store.close()

    # -- templates ------------------------------------------------------------------------

    def register_template(self, template_id: str, automation: Automation) -> None:
        """Make ``template_id`` invocable (templated invokes and ``invoke`` steps)."""
        if not isinstance(template_id, str) or not template_id.strip():
            raise ValidationTypeError(
                "register_template", "template_id", "a non-empty string", template_id
            )
        if not isinstance(automation, Automation):
            raise ValidationTypeError(
                "register_template", "automation", "an Automation", automation
            )
        with self.atomic():
            self.engine.templates[template_id] = automation
            self.store.put_template(template_id, automation.to_dict())

    # -- invoking -------------------------------------------------------------------------

    def template(self, template_id: str, *, wait: bool = True) -> Automation | None:
        """A registered template, if any.

        With ``wait=False``, a glimpse taken without the lock (a dict lookup is atomic),
        for the event loop, which must never wait for the service: it may miss a template
        being registered at that very moment.
        """
        if not wait:
            return cast("Automation | None", self.engine.templates.get(template_id))
        with self.lock:
            return cast("Automation | None", self.engine.templates.get(template_id))

    def accept(
        self,
        automation: Automation,
        context: Mapping[str, Any],
        *,
        template_id: str | None,
        key: KeyUse | None,
        failure: str | None = None,
    ) -> str:
        """Start a run; with ``key``, remember the answer in the same transaction.

        ``failure`` (a Courier error body) is the answer instead of the run id: the run
        is stored, but the request fails afterwards (an injected 500 after the store).
        """
        with self.atomic():
            run = self.engine.start(automation, context, template_id=template_id)
            if key is not None:
                if failure is None:
                    self.idempotency.remember(key, 200, json.dumps({"runId": run.run_id}))
                else:
                    self.idempotency.remember(key, 500, failure)
            return run.run_id

    def refuse(self, key: KeyUse, status: int, body: str) -> None:
        """Remember an error answer for a key (Courier keeps all but validation failures)."""
        with self.atomic():
            self.idempotency.remember(key, status, body)

    def log(self, request: InvokeRequest) -> None:
        """Record an invoke request (in memory; the latest `MAX_REQUESTS` only).

        Without the lock (a deque's append is atomic): the event loop never waits here.
        """
        self.requests.append(request)

    # -- time -----------------------------------------------------------------------------

    def advance(self, by: timedelta | None, to: datetime | None) -> None:
        """Move the virtual clock, resuming runs as they fall due."""
        if not isinstance(self.clock, VirtualClock):
            raise ConfigurationError(
                "Sandbox.advance needs the virtual clock; this sandbox runs in real time "
                "(Sandbox(clock='virtual'))"
            )
        _check_advance(self.clock.now(), by, to)
        with self.atomic():
            self.engine.advance(self.clock, by, to=to)
            self.store.set_meta("clock", self.clock.now().isoformat())

    def tick(self) -> None:
        """Real time: resume the runs that are due now."""
        with self.atomic():
            self.engine.run_due()

    def set_message_status(self, message_id: str, status: str) -> None:
        """Change a message's status (``"OPENED"`` ...), as later ``if`` conditions read it."""
        status = _check_status(status)
        with self.lock:
            if not any(message.message_id == message_id for message in self.engine.messages):
                raise ValidationError(
                    _SET_STATUS, "message_id", "the id of a message this sandbox sent", message_id
                )
        with self.lock, self.store.transaction():
            self.engine.set_message_status(message_id, status)

    def now(self) -> datetime:
        """The time on the sandbox's clock."""
        return self.clock.now()

    # -- reading --------------------------------------------------------------------------

    def runs(self, run_id: str | None = None) -> list[SandboxRun]:
        """Every accepted run, oldest first; or only the run ``run_id`` (if it exists)."""
        with self.lock:
            if run_id is None:
                chosen = list(self.engine.runs.values())
            else:
                chosen = [self.engine.runs[run_id]] if run_id in self.engine.runs else []
            wanted = {run.run_id for run in chosen}
            events: dict[str, list[Event]] = {}
            for event in self.engine.events:
                if event.run_id in wanted:
                    events.setdefault(event.run_id, []).append(event)
            messages: dict[str, list[Message]] = {}
            for message in self.engine.messages:
                if message.run_id in wanted:
                    messages.setdefault(message.run_id, []).append(message)
            return [
                SandboxRun(
                    run_id=run.run_id,
                    status=run.status,
                    created_at=run.created_at,
                    template_id=run.template_id,
                    automation=cast(Automation, run.automation),
                    context=dict(run.context),
                    events=tuple(events.get(run.run_id, ())),
                    messages=tuple(messages.get(run.run_id, ())),
                )
                for run in chosen
            ]

    def run(self, run_id: str) -> SandboxRun:
        """One accepted run.

        Raises:
            RunNotFound: no run has this id.
        """
        found = self.runs(run_id) if isinstance(run_id, str) else []
        if not found:
            raise RunNotFound(
                "Sandbox.run", "run_id", "the id of a run this sandbox accepted", run_id
            )
        return found[0]

    def run_page(
        self,
        offset: int,
        limit: int,
        *,
        statuses: Set[str] = frozenset(),
        template_ids: Set[str] = frozenset(),
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> tuple[list[RunSummary], bool]:
        """A page of runs, newest first, and whether more follow; each filter that is
        given (a non-empty set, a bound) must match."""
        with self.lock:  # the run records alone: a page needs no events
            states = list(self.engine.runs.values())
        runs = [
            run
            for run in reversed(states)
            if (not statuses or run.status in statuses)
            and (not template_ids or run.template_id in template_ids)
            and (start is None or run.created_at >= start)
            and (end is None or run.created_at <= end)
        ]
        page = [
            RunSummary(run.run_id, run.status, run.created_at, run.template_id)
            for run in runs[offset : offset + limit]
        ]
        return page, offset + limit < len(runs)

    def run_summary(self, run_id: str) -> RunSummary | None:
        """One run's record, as the runs list shows it (``None``: no such run)."""
        with self.lock:
            run = self.engine.runs.get(run_id)
            if run is None:
                return None
            return RunSummary(run.run_id, run.status, run.created_at, run.template_id)

    def template_ids(self) -> list[str]:
        """The ids of the registered templates, sorted."""
        with self.lock:
            return sorted(self.engine.templates)

    def steps(self, run_id: str) -> list[StepRecord] | None:
        """The steps of a run and what became of each (``None``: no such run)."""
        with self.lock:
            run = self.engine.runs.get(run_id)
            if run is None:
                return None
            steps = []
            for index, step in enumerate(run.automation.steps):
                record = run.step_status.get(index)
                if not record:
                    after_end = run.status == "CANCELED" and index > run.position
                    status = "CANCELED" if after_end else "NOT PROCESSED"
                    steps.append(StepRecord(step.action, status, None, None, None))
                else:
                    steps.append(
                        StepRecord(
                            step.action,
                            record["status"],
                            record.get("message_id"),
                            record["created_at"],
                            record["updated_at"],
                        )
                    )
            return steps

    def messages(self) -> list[Message]:
        """Every message the runs sent, in order."""
        with self.lock:
            return list(self.engine.messages)

    def profile(self, recipient: str) -> dict[str, Any]:
        """A copy of a recipient's stored profile (empty if none)."""
        with self.lock:
            profile: dict[str, Any] = json.loads(
                json.dumps(self.engine.profiles.get(recipient, {}))
            )
            return profile

    def timeline(self, run_id: str | None = None) -> Timeline:
        """The events of one run and the runs it invoked, or of every run."""
        with self.lock:
            engine = self.engine
            if run_id is None:
                return engine.timeline()
            chosen = {run_id}
            for event in engine.events:
                if event.run_id in chosen and event.outcome == "invoked":
                    chosen.add(event.detail["child"])
            return engine.timeline(chosen)

    def request_log(self) -> list[InvokeRequest]:
        """The invoke requests received (the latest `MAX_REQUESTS`), in order."""
        with self.lock:
            return list(self.requests)


_ADVANCE = "Sandbox.advance"
_SET_STATUS = "Sandbox.set_message_status"


def _check_advance(now: datetime, by: object, to: object) -> None:
    """``by`` a timedelta >= 0, or ``to`` an aware datetime not before ``now``; not both."""
    if by is not None and to is not None:
        raise ValidationError(_ADVANCE, "by", "either by= or to=, not both", by)
    if by is not None:
        if not isinstance(by, timedelta):
            hint = "for example timedelta(hours=2)"
            raise ValidationTypeError(_ADVANCE, "by", "a timedelta", by, hint=hint)
        if by < timedelta(0):
            raise ValidationError(_ADVANCE, "by", "a timedelta of zero or more", by)
        if by > datetime.max.replace(tzinfo=UTC) - now:
            raise ValidationError(_ADVANCE, "by", "a timedelta the calendar can hold", by)
    if to is not None:
        if not isinstance(to, datetime):
            raise ValidationTypeError(_ADVANCE, "to", "an aware datetime", to)
        if to.utcoffset() is None:
            raise ValidationError(_ADVANCE, "to", "an aware datetime (attach a tzinfo)", to)
        if to < now:
            raise ValidationError(_ADVANCE, "to", f"a time not before the clock ({now})", to)


def _check_status(status: object) -> str:
    """A message status name (``"OPENED"``, any case) or a ``MessageStatus``."""
    names = [status.name for status in MessageStatus]
    if isinstance(status, MessageStatus):
        return status.name
    if not isinstance(status, str):
        raise ValidationTypeError(_SET_STATUS, "status", f"one of {names}", status)
    if status.upper() not in names:
        raise ValidationError(_SET_STATUS, "status", f"one of {names}", status)
    return status.upper()
