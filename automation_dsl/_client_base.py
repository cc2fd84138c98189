"""What both Courier clients share: settings and request building.

`_ClientBase` resolves the API key (kept out of reprs), base URL, timeout and
retry policy, and builds every request (headers, strict JSON body, ``Idempotency-Key``)
for [`CourierClient`][] and [`AsyncCourierClient`][]
of `automation_dsl._client`; beside it the transports' socket options and what
counts as a timeout.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import quote

import attrs
import httpx

from ._automation import Automation
from ._errors import ConfigurationError, ValidationError, ValidationTypeError
from ._http import (
    _USER_AGENT,
    _check_text,
    _check_timeout,
    _encode,
    _idempotency_headers,
    _invoke_body,
    _resolve_api_key,
    _resolve_base_url,
    _Secret,
    _template_body,
    _template_path,
)
from ._retry import RetryPolicy
from ._runs import AutomationRun, _bad_answer, _json_object
from ._types import Expiration

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
# Requests go out as headers then body: without TCP_NODELAY, Nagle's algorithm can hold
# the body back until the server acknowledges the headers.
_SOCKET_OPTIONS = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
# httpx refuses these before a byte is sent: a bug on our side, never worth a retry
_LOCAL_ERRORS = (httpx.LocalProtocolError, httpx.UnsupportedProtocol)


def _timed_out(error: httpx.TransportError) -> bool:
    """Whether no answer came in time. httpx-aiohttp reports a refused connection as a
    ``ConnectTimeout``: an OS error other than a timeout beneath it is a connection error."""
    cause = error.__cause__
    return isinstance(error, httpx.TimeoutException) and (
        isinstance(cause, TimeoutError) or not isinstance(cause, OSError)
    )


def _async_transport() -> httpx.AsyncBaseTransport:
    """aiohttp under httpx's API when the ``fast`` extra is installed: about a fifth of the
    CPU per request of httpx's own async transport; else httpx's, with TCP_NODELAY."""
    try:
        from httpx_aiohttp import AiohttpTransport
    except ImportError:
        return httpx.AsyncHTTPTransport(socket_options=_SOCKET_OPTIONS)
    return AiohttpTransport()


class _ClientBase:
    """Configuration and request building shared by both clients."""

    base_url: str
    retry: RetryPolicy
    timeout: httpx.Timeout
    _http: httpx.Client | httpx.AsyncClient
    _HTTP_CLIENT: ClassVar[type]  # what ``http_client=`` must be, for each client
    _TRANSPORT: ClassVar[type]  # what ``transport=`` must be
    _clock: Callable[[], datetime] | None = None
    """Invoke time for local-time delays when a call gives no ``now``: the current time,
    or the sandbox's virtual clock for its clients."""

    def __init__(
        self,
        api_key: str | None,
        base_url: str | None,
        timeout: httpx.Timeout | float | None,
        max_retries: int | None,
        retry: RetryPolicy | None,
        http_client: object,
        transport: object,
    ) -> None:
        owner = type(self).__name__
        for name, value, kind in (
            ("http_client", http_client, self._HTTP_CLIENT),
            ("transport", transport, self._TRANSPORT),
        ):
            if value is not None and not isinstance(value, kind):
                expected = f"an {kind.__module__}.{kind.__name__} or None"
                raise ValidationTypeError(owner, name, expected, value)
        self.__api_key = _Secret(_resolve_api_key(api_key))
        self._owns_http = http_client is None
        # bulk invokes may bypass the HTTP layer only when the caller did not choose it
        self._default_http = http_client is None and transport is None
        self.base_url = _resolve_base_url(base_url)
        timeout = _check_timeout(timeout, owner)
        self.timeout = (
            timeout
            if isinstance(timeout, httpx.Timeout)
            else (DEFAULT_TIMEOUT if timeout is None else httpx.Timeout(timeout))
        )
        if retry is not None and not isinstance(retry, RetryPolicy):
            raise ValidationTypeError(owner, "retry", "a RetryPolicy or None", retry)
        policy = retry or RetryPolicy()
        if max_retries is not None:
            policy = attrs.evolve(policy, max_retries=max_retries)
        self.retry = policy._for_client()

    def __repr__(self) -> str:
        key = "set" if self.__api_key.value else "missing"
        return f"{type(self).__name__}(base_url={self.base_url!r}, api_key=<{key}>)"

    def _twin_options(self) -> dict[str, Any]:
        """The settings of this client, for a twin of the other kind."""
        return {
            "api_key": self.__api_key.value,
            "base_url": self.base_url,
            "timeout": self.timeout,
            "retry": self.retry,
        }

    def _auth(self) -> str:
        if not self.__api_key.value:
            raise ConfigurationError(
                "no Courier API key: pass api_key=... or set the COURIER_API_KEY environment "
                "variable (COURIER_AUTH_TOKEN, from older SDKs, works too)"
            )
        return f"Bearer {self.__api_key.value}"

    def _request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        owner: str = "request",
        content: bytes | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: httpx.Timeout | float | None = None,
    ) -> httpx.Request:
        all_headers = {
            "Authorization": self._auth(),
            "Accept": "application/json",
            "User-Agent": _USER_AGENT,
            **(headers or {}),
        }
        if body is not None:
            content = _encode(body, owner)
        if content is not None:
            all_headers["Content-Type"] = "application/json"
        return self._http.build_request(
            method,
            self.base_url + path,
            content=content,
            params=params,
            headers=all_headers,
            timeout=self.timeout if timeout is None else timeout,
        )

    def _invoke_request(
        self,
        automation: Automation | Mapping[str, Any],
        context: dict[str, Any],
        idempotency_key: str | None,
        idempotency_expiration: Expiration | None,
        timeout: httpx.Timeout | float | None,
        validate: bool,
        now: datetime | None = None,
    ) -> httpx.Request:
        headers = _idempotency_headers(idempotency_key, idempotency_expiration, "invoke")
        return self._request(
            "POST",
            "/automations/invoke",
            body=_invoke_body(automation, context, validate, self._invoke_time(now)),
            owner="invoke",
            headers=headers,
            timeout=_check_timeout(timeout, "invoke"),
        )

    def _invoke_time(self, now: datetime | None) -> datetime | None:
        """``now``, or the client's clock (``None``: the current time)."""
        return now if now is not None or self._clock is None else self._clock()

    def _template_request(
        self,
        template_id: str,
        recipient: str | None,
        context: dict[str, Any],
        idempotency_key: str | None,
        idempotency_expiration: Expiration | None,
        timeout: httpx.Timeout | float | None,
    ) -> httpx.Request:
        owner = "invoke_template"
        path = _template_path(template_id)
        headers = _idempotency_headers(idempotency_key, idempotency_expiration, owner)
        return self._request(
            "POST",
            path,
            body=_template_body(recipient, context),
            owner=owner,
            headers=headers,
            timeout=_check_timeout(timeout, owner),
        )

    def _bulk_request(
        self, body: bytes, key: str, timeout: httpx.Timeout | float | None
    ) -> httpx.Request:
        return self._request(
            "POST",
            "/automations/invoke",
            content=body,
            headers={"Idempotency-Key": key},
            timeout=timeout,
        )

    def _run_request(self, run_id: str, owner: str = "get_run") -> httpx.Request:
        """``GET /automations/runs/{run_id}``, the id checked and escaped (``/`` too)."""
        run_id = _check_text(owner, "run_id", run_id)
        return self._request("GET", f"/automations/runs/{quote(run_id, safe='')}")

    def _templates_request(self, version: str | None, cursor: str | None) -> httpx.Request:
        """One page of ``GET /automations``."""
        params = {}
        if version is not None:
            if version not in ("published", "draft"):
                raise ValidationError(
                    "list_templates", "version", "'published', 'draft' or None", version
                )
            params["version"] = version
        if cursor is not None:
            params["cursor"] = cursor
        return self._request("GET", "/automations", params=params)


def _run_from(response: httpx.Response, run_id: str) -> AutomationRun:
    """The run of a ``GET /automations/runs/{id}`` answer: its fields as a runs list item
    has them; the id asked for when the answer names none."""
    endpoint = "GET /automations/runs/{id}"
    body = _json_object(response.content, response.status_code, endpoint)
    if "run_id" not in body:
        body = {**body, "run_id": run_id}
    run = AutomationRun.from_wire(body, endpoint=endpoint, code=response.status_code)
    if run.run_id != run_id:  # an answer about another run is no answer about this one
        raise _bad_answer(endpoint, response.status_code, f"the run {run_id!r}", run.run_id)
    return run
