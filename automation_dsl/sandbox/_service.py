"""The sandbox's state and behaviour, apart from HTTP: the engine, the store, the clock.

:class:`Service` is used under one lock, from the server's event loop (requests) and
from the caller's thread (``Sandbox.advance`` ...).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs

from .._automation import Automation
from .._simulate import Engine, Event, Message, RunState, VirtualClock
from ._store import Store, message_from_dict

IDEMPOTENCY_TTL = timedelta(hours=25)
"""How long an ``Idempotency-Key`` is remembered when the request does not say."""


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

    Example:
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

    Example:
        >>> InvokeRequest("/automations/invoke", "k-1", "accepted", "1-abc").outcome
        'accepted'
    """

    path: str
    idempotency_key: str | None
    outcome: str
    run_id: str | None = None


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
        self.lock = threading.RLock()
        self.store = Store(db)
        self.real_time = clock == "real"
        saved = self.store.get_meta("clock")
        if self.real_time:
            self.clock: VirtualClock | RealClock = RealClock()
        else:
            self.clock = VirtualClock(datetime.fromisoformat(saved) if saved else start)
        self.engine = Engine(
            self.clock.now,
            templates={
                template_id: Automation.from_dict(body, lenient=True)
                for template_id, body in self.store.templates().items()
            },
            profiles=self.store.profiles(),
            webhooks=webhooks,
            on_change=self._persist,
        )
        self.in_flight: set[tuple[str, str]] = set()
        self.requests: list[InvokeRequest] = []
        self._restore()

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
        for body in self.store.load_events():
            engine.events.append(
                Event(
                    datetime.fromisoformat(body["at"]),
                    body["run_id"],
                    body["step"],
                    body["action"],
                    body["outcome"],
                    body["detail"],
                )
            )
        engine.messages.extend(message_from_dict(m) for m in self.store.load_messages())

    def close(self) -> None:
        """Close the database."""
        with self.lock:
            self.store.close()

    # -- templates ------------------------------------------------------------------------

    def register_template(self, template_id: str, automation: Automation) -> None:
        """Make ``template_id`` invocable (templated invokes and ``invoke`` steps)."""
        with self.lock, self.store.transaction():
            self.engine.templates[template_id] = automation
            self.store.put_template(template_id, automation.to_dict())

    # -- invoking -------------------------------------------------------------------------

    def remembered(self, path: str, key: str) -> tuple[int, str] | None:
        """The stored answer for an idempotency key on a path."""
        with self.lock:
            return self.store.remembered(path, key, time.time())

    def remember(self, path: str, key: str, status: int, body: str, expires_at: float) -> None:
        """Store an answer (an error) for an idempotency key on a path."""
        with self.lock, self.store.transaction():
            self.store.remember(path, key, status, body, expires_at)

    def claim(self, path: str, key: str) -> bool:
        """Mark a key in flight; False when a request with it is being processed."""
        with self.lock:
            if (path, key) in self.in_flight:
                return False
            self.in_flight.add((path, key))
            return True

    def release(self, path: str, key: str) -> None:
        """The request holding a key is done."""
        with self.lock:
            self.in_flight.discard((path, key))

    def accept(
        self,
        automation: Automation,
        context: Mapping[str, Any],
        *,
        template_id: str | None,
        answer: tuple[str, str, float] | None,
    ) -> str:
        """Start a run; with ``answer`` (path, key, expiry), remember the response too."""
        with self.lock, self.store.transaction():
            run = self.engine.start(automation, context, template_id=template_id)
            if answer is not None:
                path, key, expires_at = answer
                body = json.dumps({"runId": run.run_id})
                self.store.remember(path, key, 200, body, expires_at)
            return run.run_id

    def log(self, request: InvokeRequest) -> None:
        """Record an invoke request (kept in memory only)."""
        with self.lock:
            self.requests.append(request)

    # -- time -----------------------------------------------------------------------------

    def advance(self, by: timedelta | None, to: datetime | None) -> None:
        """Move the virtual clock, resuming runs as they fall due."""
        if not isinstance(self.clock, VirtualClock):
            raise RuntimeError("advance() needs the virtual clock; this sandbox runs in real time")
        with self.lock, self.store.transaction():
            self.engine.advance(self.clock, by, to=to)
            self.store.set_meta("clock", self.clock.now().isoformat())

    def tick(self) -> None:
        """Real time: resume the runs that are due now."""
        with self.lock, self.store.transaction():
            self.engine.run_due()

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
                    automation=run.automation,
                    context=dict(run.context),
                    events=tuple(events.get(run.run_id, ())),
                    messages=tuple(messages.get(run.run_id, ())),
                )
                for run in chosen
            ]
