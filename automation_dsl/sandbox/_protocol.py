"""The sandbox's HTTP/1.1 connections, with limits: uvicorn's httptools protocol, bounded.

uvicorn reads a request head of any size, never closes a connection that has not sent a
request, and logs one line (often a traceback) per failed connection. Here:

* a request must arrive in full (head and body) within ``request_timeout`` of its first
  byte; otherwise the connection is closed (``408`` if only part of a head came), and a
  handler still reading the body sees the client disconnect, so its cleanup runs;
* a connection with no request under way is closed after ``idle_timeout`` (fresh or
  kept alive);
* a request head (request line and headers) larger than ``max_header_bytes`` gets
  ``431`` and the connection is closed, having held at most that many bytes;
* past ``max_connections`` open connections, a new one gets ``503`` and is closed at
  once, so a flood cannot use up the process's file descriptors;
* warnings and errors (uvicorn's and the event loop's, accept failures included) are
  logged once per kind every `LOG_EVERY` seconds, with a count of those left out;
  a handler failing because its client went away is not an error.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from asyncio import TimerHandle
from typing import Any, ClassVar

import attrs
from starlette.requests import ClientDisconnect
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

__all__ = ["LOG_EVERY", "ConnectionLimits", "QuietLogger", "bounded_protocol"]

LOG_EVERY = 60.0
"""Seconds between two log lines of the same kind."""


@attrs.frozen
class ConnectionLimits:
    """The transport limits of one sandbox (checked by ``Sandbox``)."""

    request_timeout: float
    idle_timeout: float
    max_connections: int
    max_header_bytes: int


class QuietLogger(logging.Logger):
    """Passes warnings and errors on to ``target``, at most once per kind (the message
    format) every ``every`` seconds; the next line of a kind says how many were left out.

    Examples:
        >>> import logging
        >>> quiet = QuietLogger(logging.getLogger("demo"), every=60)
        >>> quiet.warning("refused")  # logged
        >>> quiet.warning("refused")  # counted, not logged
        >>> quiet.skipped
        {'refused': 1}
    """

    _MAX_KINDS = 256

    def __init__(self, target: logging.Logger, every: float = LOG_EVERY) -> None:
        super().__init__(target.name, logging.WARNING)
        self.target = target
        self.every = every
        self.last: dict[str, float] = {}
        self.skipped: dict[str, int] = {}

    def handle(self, record: logging.LogRecord) -> None:
        if record.exc_info and isinstance(record.exc_info[1], ClientDisconnect):
            return  # the client left, or was cut off, mid-request: no server failure
        kind, now = str(record.msg), time.monotonic()
        if now - self.last.get(kind, -self.every) < self.every:
            self.skipped[kind] = self.skipped.get(kind, 0) + 1
            return
        if len(self.last) >= self._MAX_KINDS:
            self.last.clear()
        self.last[kind] = now
        if left_out := self.skipped.pop(kind, 0):
            record.msg = f"{record.getMessage()} (and {left_out} more like it not logged)"
            record.args = None
        self.target.handle(record)

    def loop_exception(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        """An event loop exception handler: one line, no traceback (``accept()`` failing
        with too many open files, a connection's transport failing ...)."""
        message = str(context.get("message", "event loop error")).replace("%", "%%")
        self.error(f"{message}: %s", context.get("exception", ""))


def _answer(status: int, message: str) -> bytes:
    """A complete ``Connection: close`` response with a Courier-style error body."""
    body = json.dumps({"message": message, "type": "invalid_request_error"}).encode()
    head = (
        b"content-type: application/json\r\ncontent-length: %d\r\nconnection: close\r\n\r\n"
        % len(body)
    )
    return STATUS_LINE[status] + head + body


class _BoundedProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, bounded by `ConnectionLimits`
    (set by `bounded_protocol`)."""

    limits: ClassVar[ConnectionLimits]
    quiet: ClassVar[QuietLogger]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.logger = self.quiet
        self.timeout_keep_alive = self.limits.idle_timeout  # type: ignore[assignment]
        self._head: int | None = 0  # bytes of the request head read; None past the head
        self._deadline: TimerHandle | None = None
        self._refused = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        if len(self.connections) >= self.limits.max_connections:
            self._refused = True
            self.logger.warning(
                "Refused connections past the limit of %d open (503)", self.limits.max_connections
            )
            transport.write(_answer(503, "Too many open connections; try again"))
            transport.close()
            return
        super().connection_made(transport)
        self.timeout_keep_alive_task = self.loop.call_later(
            self.timeout_keep_alive, self.timeout_keep_alive_handler
        )

    def connection_lost(self, exc: Exception | None) -> None:
        if self._refused:
            return
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._deadline is None and self._head is not None:
            self._deadline = self.loop.call_later(self.limits.request_timeout, self._expire)
        while data and not self.transport.is_closing():
            if self._head is None:  # a body: uvicorn's flow control bounds what it holds
                super().data_received(data)
                return
            room = self.limits.max_header_bytes - self._head
            if room <= 0:
                self._close(431, f"Request head larger than {self.limits.max_header_bytes} bytes")
                return
            piece, data = data[:room], data[room:]
            self._head += len(piece)
            super().data_received(piece)

    def on_headers_complete(self) -> None:
        self._head = None
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._head = 0
        self._disarm()

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expire(self) -> None:
        """``request_timeout`` after a request's first byte, it has not arrived in full."""
        self._deadline = None
        cycle = self.cycle
        if cycle is not None and not cycle.more_body and not cycle.response_complete:
            return  # the request came in full and is being answered
        self.logger.warning(
            "Closed connections that sent no complete request within %g s",
            self.limits.request_timeout,
        )
        self._close(408, f"Request not received in full within {self.limits.request_timeout:g} s")

    def _close(self, status: int, message: str) -> None:
        """Answer ``status`` if no answer is under way, then close; a handler still reading
        the body sees the client disconnect."""
        if self.transport.is_closing():
            return
        if self._head and (self.cycle is None or self.cycle.response_complete):
            self.transport.write(_answer(status, message))
        self.transport.close()


def bounded_protocol(limits: ConnectionLimits, logger: QuietLogger) -> type[HttpToolsProtocol]:
    """The protocol class to give ``uvicorn.Config(http=...)`` for one server."""

    class BoundedHttpToolsProtocol(_BoundedProtocol):
        pass

    BoundedHttpToolsProtocol.limits = limits
    BoundedHttpToolsProtocol.quiet = logger
    return BoundedHttpToolsProtocol
