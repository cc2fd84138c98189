"""``Sandbox``: the local Courier-compatible server, in a background thread.

Example:
    >>> from automation_dsl import Automation
    >>> from automation_dsl.sandbox import Sandbox
    >>> with Sandbox() as sandbox:
    ...     with sandbox.client() as client:
    ...         run_id = client.invoke(Automation().send("WELCOME"), recipient="user-1")
    ...     [m.template for m in sandbox.run(run_id).messages]
    ['WELCOME']
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import socket
import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Self

import uvicorn

from .._automation import Automation
from .._simulate import Message, Timeline
from ._app import create_app
from ._faults import Faults
from ._service import InvokeRequest, SandboxRun, Service

if TYPE_CHECKING:
    from .._client import AsyncCourierClient, CourierClient

__all__ = ["Sandbox"]


class Sandbox:
    """A local Courier automations API for demos, notebooks and tests: no account, no network.

    Args:
        host: the loopback address to listen on.
        port: the port; ``0`` (default) picks a free one.
        db: a SQLite file to keep runs in across restarts; in memory by default.
        api_key: the key clients must send; a random ``sk_sandbox_...`` by default.
        clock: ``"virtual"`` (default: time moves when you call :meth:`advance`) or
            ``"real"`` (delays take their real time).
        start: the virtual clock's start (an aware datetime); now by default.
        faults: fault injection settings (:class:`Faults`); none by default.
        templates: automation templates to register, by id.
        templates_dir: a folder of ``<template id>.json`` files, each an automation object.
        webhooks: JSON replies for ``fetch-data`` URLs (no outbound request is made).

    Example:
        >>> from automation_dsl.sandbox import Faults, Sandbox
        >>> sandbox = Sandbox(faults=Faults(error_503=0.2, seed=1)).start()
        >>> sandbox.url.startswith("http://127.0.0.1:")
        True
        >>> sandbox.stop()
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        db: str | Path = ":memory:",
        api_key: str | None = None,
        clock: Literal["virtual", "real"] = "virtual",
        start: datetime | None = None,
        faults: Faults | None = None,
        templates: Mapping[str, Automation] | None = None,
        templates_dir: str | Path | None = None,
        webhooks: Mapping[str, Any] | None = None,
    ) -> None:
        if clock not in ("virtual", "real"):
            raise ValueError(f"Sandbox: 'clock' expected 'virtual' or 'real', got {clock!r}")
        self.host = host
        self.port = port
        self.api_key = api_key or f"sk_sandbox_{secrets.token_hex(12)}"
        self.faults = faults or Faults()
        self._service = Service(db=db, clock=clock, start=start, webhooks=webhooks)
        for template_id, automation in (templates or {}).items():
            self.register_template(template_id, automation)
        if templates_dir is not None:
            for path in sorted(Path(templates_dir).glob("*.json")):
                self.register_template(path.stem, Automation.from_json(path.read_text()))
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        state = self.url if self._server is not None else "stopped"
        return f"Sandbox({state})"

    # -- lifecycle ------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The base URL to give a client (``http://127.0.0.1:<port>``)."""
        return f"http://{self.host}:{self.port}"

    def _bind(self) -> socket.socket:
        sock = socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # accepted connections inherit it: without it, Nagle and delayed ACKs add ~40 ms
        # to every answer on a kept-alive connection
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        return sock

    def _config(self) -> uvicorn.Config:
        app = create_app(self._service, self.api_key, self.faults)
        return uvicorn.Config(
            app,
            http="auto",  # httptools when installed (the sandbox extra has it), else h11
            loop="asyncio",
            lifespan="off",
            log_level="warning",
            access_log=False,
        )

    async def _ticking(self, server: uvicorn.Server) -> None:
        """Real time: resume due runs about every tenth of a second."""
        while not server.should_exit:
            await asyncio.sleep(0.1)
            self._service.tick()

    def _serve(self, server: uvicorn.Server, sock: socket.socket) -> None:
        async def main() -> None:
            ticker = None
            if self._service.real_time:
                ticker = asyncio.ensure_future(self._ticking(server))
            await server.serve(sockets=[sock])
            if ticker is not None:
                ticker.cancel()

        asyncio.run(main())

    def start(self) -> Self:
        """Start serving in a background thread; returns the sandbox."""
        if self._server is not None:
            return self
        sock = self._bind()
        server = uvicorn.Server(self._config())
        thread = threading.Thread(
            target=self._serve, args=(server, sock), name="automation-dsl-sandbox", daemon=True
        )
        thread.start()
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError(f"the sandbox could not start on {self.url}")
            threading.Event().wait(0.005)
        self._server, self._thread = server, thread
        return self

    def stop(self) -> None:
        """Stop serving and close the database (a file ``db`` keeps every run)."""
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
            self._server = self._thread = None
        self._service.close()

    def serve_forever(self, ready: Callable[[], None] | None = None) -> None:
        """Serve in this thread until interrupted (the ``automation-dsl sandbox`` command).

        ``ready`` is called once the port is bound (``self.url`` is then final).
        """
        sock = self._bind()
        server = uvicorn.Server(self._config())
        if ready is not None:
            ready()
        with contextlib.suppress(KeyboardInterrupt):
            self._serve(server, sock)
        self._service.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- clients --------------------------------------------------------------------------

    def client(self, **options: Any) -> CourierClient:
        """A :class:`~automation_dsl.CourierClient` pointed at this sandbox.

        ``options`` go to the client (``max_retries``, ``retry``, ``timeout`` ...).
        """
        from .._client import CourierClient

        return CourierClient(api_key=self.api_key, base_url=self.url, **options)

    def async_client(self, **options: Any) -> AsyncCourierClient:
        """An :class:`~automation_dsl.AsyncCourierClient` pointed at this sandbox."""
        from .._client import AsyncCourierClient

        return AsyncCourierClient(api_key=self.api_key, base_url=self.url, **options)

    # -- state ----------------------------------------------------------------------------

    def register_template(self, template_id: str, automation: Automation) -> None:
        """Register an automation template for ``POST /automations/{id}/invoke`` and
        ``invoke`` steps."""
        if not isinstance(automation, Automation):
            raise TypeError(f"register_template: expected an Automation, got {automation!r}")
        self._service.register_template(template_id, automation)

    def runs(self) -> list[SandboxRun]:
        """Every run the sandbox accepted, oldest first."""
        return self._service.runs()

    def run(self, run_id: str) -> SandboxRun:
        """One accepted run, by id."""
        found = self._service.runs(run_id)
        if not found:
            raise KeyError(f"no run {run_id!r} in this sandbox")
        return found[0]

    def requests(self) -> list[InvokeRequest]:
        """Every invoke request received, in order, with what became of it."""
        with self._service.lock:
            return list(self._service.requests)

    def messages(self) -> list[Message]:
        """Every message the sandbox's runs sent, in order."""
        with self._service.lock:
            return list(self._service.engine.messages)

    def profile(self, recipient: str) -> dict[str, Any]:
        """A recipient's stored profile, as ``update-profile`` steps left it."""
        with self._service.lock:
            profile: dict[str, Any] = json.loads(
                json.dumps(self._service.engine.profiles.get(recipient, {}))
            )
            return profile

    def timeline(self, run_id: str | None = None) -> Timeline:
        """The events of one run (and the runs it invoked), or of every run."""
        with self._service.lock:
            engine = self._service.engine
            if run_id is None:
                return engine.timeline()
            chosen = {run_id}
            for event in engine.events:
                if event.run_id in chosen and event.outcome == "invoked":
                    chosen.add(event.detail["child"])
            return engine.timeline(chosen)

    def set_message_status(self, message_id: str, status: str) -> None:
        """Change a message's status (``"OPENED"`` ...), as later ``if`` conditions read it."""
        with self._service.lock, self._service.store.transaction():
            self._service.engine.set_message_status(message_id, status)

    def now(self) -> datetime:
        """The sandbox's clock."""
        return self._service.clock.now()

    def advance(self, by: timedelta | None = None, *, to: datetime | None = None) -> None:
        """Move the virtual clock and run what falls due; with no argument, until idle."""
        self._service.advance(by, to)
