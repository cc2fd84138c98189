"""``Sandbox``: the local Courier-compatible server, in a background thread.

Examples:
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
import ipaddress
import logging
import math
import os
import re
import secrets
import socket
import sys
import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Self

import attrs
import uvicorn

from .._automation import Automation
from .._errors import ConfigurationError, ValidationError, ValidationTypeError
from ._app import RequestLimits, create_app
from ._faults import Faults
from ._protocol import ConnectionLimits, QuietLogger, bounded_protocol
from ._service import InvokeRequest, SandboxRun, Service
from ._simulator import Message, Timeline

if TYPE_CHECKING:
    import httpx

    from .._client import AsyncCourierClient, CourierClient
    from .._retry import RetryPolicy

__all__ = ["Sandbox"]


_OWNER = "Sandbox"
_BACKLOG = 128
"""Connections waiting to be accepted, and accepted at once: asyncio accepts up to this
many in one go before refusing any, so it is part of the open-file budget."""
_HOSTNAME = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*\.?")


def _check_host(host: Any) -> str:
    """The address to listen on (an IP address unbracketed and normalized)."""
    expected = "an IP address or host name to listen on, such as '127.0.0.1' or '::1'"
    if not isinstance(host, str):
        raise ValidationTypeError(_OWNER, "host", expected, host)
    bare = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    with contextlib.suppress(ValueError):
        return str(ipaddress.ip_address(bare))
    if len(bare) > 253 or not _HOSTNAME.fullmatch(bare):
        raise ValidationError(_OWNER, "host", expected, host)
    return bare


def _check_number(field: str, value: Any, minimum: float, *, integer: bool = False) -> Any:
    """``value`` if it is a finite number (an ``int`` if ``integer``) >= ``minimum``."""
    kind = "an integer" if integer else "a number of seconds"
    expected = f"{kind} >= {minimum:g}"
    allowed = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, allowed):
        raise ValidationTypeError(_OWNER, field, expected, value)
    if not math.isfinite(value) or value < minimum:
        raise ValidationError(_OWNER, field, expected, value)
    return value


def _check_api_key(api_key: Any) -> str:
    """The key clients must send (a random one for ``None``); never shown in an error."""
    expected = "None or a non-empty str of printable ASCII without spaces"
    if api_key is None:
        return f"sk_sandbox_{secrets.token_hex(12)}"
    if not isinstance(api_key, str):
        raise ValidationTypeError(_OWNER, "api_key", expected, type(api_key))
    if not api_key or not all("!" <= char <= "~" for char in api_key):
        hint = "it is empty or has a space, control or non-ASCII character (the key is not shown)"
        raise ValidationError(_OWNER, "api_key", expected, "<hidden>", hint=hint)
    return api_key


def _connect_host(address: str) -> str:
    """The host part of a URL that reaches ``address``: a wildcard address through
    loopback, an IPv6 address in brackets."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.is_unspecified:
        ip = ipaddress.ip_address("::1" if ip.version == 6 else "127.0.0.1")
    return f"[{ip}]" if ip.version == 6 else str(ip)


def _is_loopback(address: str) -> bool:
    with contextlib.suppress(ValueError):
        return ipaddress.ip_address(address).is_loopback
    return False


class _DropFilter(logging.Filter):
    """Keeps the server's log quiet about connections the sandbox drops on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "without completing response" not in record.getMessage()


_DROP_FILTER = _DropFilter()


def _quiet_drops() -> None:
    """Install `_DropFilter` on uvicorn's error log, once (a filter already
    there is not added again); serving starts here, so importing the sandbox changes
    no logger."""
    logging.getLogger("uvicorn.error").addFilter(_DROP_FILTER)


def _file_budget(wanted: int) -> int:
    """``wanted`` connections, but at most half the process's open-file limit left after
    an accept burst (`_BACKLOG`), so accepting never runs out of file descriptors."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows has no RLIMIT_NOFILE
        return wanted
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return wanted
    return max(1, min(wanted, (soft - _BACKLOG) // 2))


class Sandbox:
    """A local Courier automations API for demos, notebooks and tests: no account, no network.

    Args:
        host: the address to listen on: loopback by default; any other address (such as
            ``"0.0.0.0"``) exposes the sandbox to the network, with a warning on stderr.
        port: the port; ``0`` (default) picks a free one.
        db: a SQLite file to keep runs in across restarts; in memory by default.
        api_key: the key clients must send; a random ``sk_sandbox_...`` by default.
        clock: ``"virtual"`` (default: time moves when you call `advance`) or
            ``"real"`` (delays take their real time).
        start: the virtual clock's start (an aware datetime); now by default.
        faults: fault injection settings ([`Faults`][]); none by default.
        templates: automation templates to register, by id.
        templates_dir: a folder of ``<template id>.json`` files, each an automation object.
        webhooks: JSON replies for ``fetch-data`` URLs (no outbound request is made).
        request_timeout: seconds a request may take to arrive in full, from its first
            byte; the connection is closed after that (a slow or stalled client).
        idle_timeout: seconds a connection with no request under way stays open.
        max_connections: open connections at most; more are answered 503 and closed
            (never more than half the process's open-file limit).
        max_header_bytes: the largest request head (request line and headers); a
            larger one is answered 431.
        max_body_size: the largest request body in bytes, read incrementally; a larger
            one is answered 413.
        max_json_depth: nesting levels of a JSON body; deeper is answered 400.
        max_steps: steps in one ad hoc automation; more are answered 400.

    Examples:
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
        request_timeout: float = 30.0,
        idle_timeout: float = 20.0,
        max_connections: int = 512,
        max_header_bytes: int = 16384,
        max_body_size: int = 1024 * 1024,
        max_json_depth: int = 64,
        max_steps: int = 1000,
    ) -> None:
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        if type(port) is not int:
            raise ValidationTypeError(_OWNER, "port", "an integer from 0 to 65535", port)
        if not 0 <= port <= 65535:
            raise ValidationError(_OWNER, "port", "an integer from 0 to 65535", port)
        if clock not in ("virtual", "real"):
            raise ValidationError(_OWNER, "clock", "'virtual' or 'real'", clock)
        if templates is not None and not isinstance(templates, Mapping):
            raise ValidationTypeError(
                _OWNER, "templates", "a mapping of id to Automation", templates
            )
        if faults is not None and not isinstance(faults, Faults):
            raise ValidationTypeError(_OWNER, "faults", "a Faults or None", faults)
        self.limits = ConnectionLimits(
            request_timeout=_check_number("request_timeout", request_timeout, 0.001),
            idle_timeout=_check_number("idle_timeout", idle_timeout, 0.001),
            max_connections=_check_number("max_connections", max_connections, 1, integer=True),
            max_header_bytes=_check_number(
                "max_header_bytes", max_header_bytes, 1024, integer=True
            ),
        )
        self.request_limits = RequestLimits(
            max_body_size=_check_number("max_body_size", max_body_size, 1, integer=True),
            max_depth=_check_number("max_json_depth", max_json_depth, 1, integer=True),
            max_steps=_check_number("max_steps", max_steps, 1, integer=True),
        )
        self.host = _check_host(host)
        self.port = port
        self.api_key = _check_api_key(api_key)
        self.faults = faults or Faults()
        self._service = Service(db=db, clock=clock, start=start, webhooks=webhooks)
        for template_id, automation in (templates or {}).items():
            try:
                self.register_template(template_id, automation)
            except ValidationError as error:
                expected = "a mapping of non-empty str ids to Automation"
                raise type(error)(_OWNER, "templates", expected, error.got) from None
        if templates_dir is not None:
            self._register_folder(templates_dir)
        self._address = self.host  # the address bound, once bound
        self._quiet = QuietLogger(logging.getLogger("uvicorn.error"))

    def _register_folder(self, templates_dir: str | Path) -> None:
        if not isinstance(templates_dir, str | os.PathLike):
            raise ValidationTypeError(_OWNER, "templates_dir", "a folder path", templates_dir)
        folder = Path(templates_dir)
        try:
            files = sorted(folder.glob("*.json")) if folder.is_dir() else None
        except (OSError, ValueError):  # a name too long, lone surrogates, NUL ...
            files = None
        if files is None:
            raise ValidationError(_OWNER, "templates_dir", "a folder", templates_dir)
        for path in files:
            try:
                automation = Automation.from_json(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeError, ValueError) as error:
                raise ConfigurationError(f"templates_dir: {path}: {error}") from error
            self.register_template(path.stem, automation)

    def __repr__(self) -> str:
        state = self.url if self._server is not None else "stopped"
        return f"Sandbox({state})"

    # -- lifecycle ------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The base URL to give a client (``http://127.0.0.1:<port>``); a sandbox that
        listens on every interface (``0.0.0.0``, ``::``) is reached through loopback.

        Examples:
            >>> Sandbox(host="::", port=8787).url
            'http://[::1]:8787'
        """
        return f"http://{_connect_host(self._address)}:{self.port}"

    def _bind(self) -> socket.socket:
        where = f"{_connect_host(self.host)}:{self.port}"
        try:
            family, kind, proto, _, address = socket.getaddrinfo(
                self.host, self.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
            )[0]
            sock = socket.socket(family, kind, proto)
        except OSError as error:
            raise ConfigurationError(f"Sandbox: cannot listen on {where}: {error}") from None
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            # accepted connections inherit it: without it, Nagle and delayed ACKs add ~40 ms
            # to every answer on a kept-alive connection
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.bind(address)
            sock.listen(_BACKLOG)  # from now on, connections wait for the server to serve
        except OSError as error:
            sock.close()
            raise ConfigurationError(f"Sandbox: cannot listen on {where}: {error}") from None
        self._address, self.port = sock.getsockname()[:2]
        if not _is_loopback(self._address):
            self._warn_exposed()
        return sock

    def _warn_exposed(self) -> None:
        print(
            f"warning: the sandbox listens on {self.host} port {self.port}, which other "
            "machines can reach, over plain HTTP: anyone who gets its API key can use it, "
            "and `automation-dsl sandbox` prints that key on start-up. Listen on 127.0.0.1 "
            "to keep it on this machine.",
            file=sys.stderr,
            flush=True,
        )

    def _config(self) -> uvicorn.Config:
        app = create_app(self._service, self.api_key, self.faults, self.request_limits)
        # each connection is capped by the protocol, which refuses the one past
        # max_connections; uvicorn's limit_concurrency then only bounds requests still
        # running for clients that went away (it answers 503 from that number on)
        connections = _file_budget(self.limits.max_connections)
        return uvicorn.Config(
            app,
            http=bounded_protocol(
                attrs.evolve(self.limits, max_connections=connections), self._quiet
            ),
            loop="asyncio",
            lifespan="off",
            log_level="warning",
            access_log=False,
            limit_concurrency=connections + 1,
            backlog=_BACKLOG,
        )

    async def _ticking(self, server: uvicorn.Server) -> None:
        """Real time: resume due runs about every tenth of a second."""
        while not server.should_exit:
            await asyncio.sleep(0.1)
            self._service.tick()

    def _serve(self, server: uvicorn.Server, sock: socket.socket) -> None:
        async def main() -> None:
            asyncio.get_running_loop().set_exception_handler(self._quiet.loop_exception)
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
        _quiet_drops()
        sock = self._bind()
        server = uvicorn.Server(self._config())
        thread = threading.Thread(
            target=self._serve, args=(server, sock), name="automation-dsl-sandbox", daemon=True
        )
        thread.start()
        while not server.started:
            if not thread.is_alive():
                raise ConfigurationError(f"Sandbox: could not start on {self.url}")
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
        _quiet_drops()
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

    def client(
        self,
        *,
        timeout: httpx.Timeout | float | None = None,
        max_retries: int | None = None,
        retry: RetryPolicy | None = None,
        http_client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> CourierClient:
        """A [`CourierClient`][] pointed at this sandbox, with its API key; the options are
        the client's own.

        Examples:
            >>> with Sandbox() as sandbox, sandbox.client(max_retries=0) as client:
            ...     client.invoke({"automation": {"steps": []}}).startswith("1-")
            True
        """
        from .._client import CourierClient

        client = CourierClient(
            api_key=self.api_key,
            base_url=self.url,
            timeout=timeout,
            max_retries=max_retries,
            retry=retry,
            http_client=http_client,
            transport=transport,
        )
        client._clock = self.now  # local-time delays resolve on the sandbox's clock
        return client

    def async_client(
        self,
        *,
        timeout: httpx.Timeout | float | None = None,
        max_retries: int | None = None,
        retry: RetryPolicy | None = None,
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> AsyncCourierClient:
        """An [`AsyncCourierClient`][] pointed at this sandbox, with its API key."""
        from .._client import AsyncCourierClient

        client = AsyncCourierClient(
            api_key=self.api_key,
            base_url=self.url,
            timeout=timeout,
            max_retries=max_retries,
            retry=retry,
            http_client=http_client,
            transport=transport,
        )
        client._clock = self.now  # local-time delays resolve on the sandbox's clock
        return client

    # -- state ----------------------------------------------------------------------------

    def register_template(self, template_id: str, automation: Automation) -> None:
        """Register an automation template for ``POST /automations/{id}/invoke`` and
        ``invoke`` steps."""
        if not isinstance(template_id, str):
            raise ValidationTypeError("register_template", "template_id", "a str", template_id)
        if not template_id:
            raise ValidationError("register_template", "template_id", "a non-empty str", "")
        if not isinstance(automation, Automation):
            raise ValidationTypeError(
                "register_template", "automation", "an Automation", automation
            )
        self._service.register_template(template_id, automation)

    def runs(self) -> list[SandboxRun]:
        """Every run the sandbox accepted, oldest first."""
        return self._service.runs()

    def run(self, run_id: str) -> SandboxRun:
        """One accepted run, by id.

        Raises:
            ValidationError: no run has this id (also a ``KeyError``).
        """
        return self._service.run(run_id)

    def requests(self) -> list[InvokeRequest]:
        """Every invoke request received, in order, with what became of it."""
        return self._service.request_log()

    def messages(self) -> list[Message]:
        """Every message the sandbox's runs sent, in order."""
        return self._service.messages()

    def profile(self, recipient: str) -> dict[str, Any]:
        """A recipient's stored profile, as ``update-profile`` steps left it."""
        return self._service.profile(recipient)

    def timeline(self, run_id: str | None = None) -> Timeline:
        """The events of one run (and the runs it invoked), or of every run."""
        return self._service.timeline(run_id)

    def set_message_status(self, message_id: str, status: str) -> None:
        """Change a message's status (``"OPENED"`` ...), as later ``if`` conditions read it."""
        self._service.set_message_status(message_id, status)

    def now(self) -> datetime:
        """The sandbox's clock."""
        return self._service.now()

    def advance(self, by: timedelta | None = None, *, to: datetime | None = None) -> None:
        """Move the virtual clock and run what falls due; with no argument, until idle."""
        self._service.advance(by, to)
