"""The executor: ``CourierClient`` and ``AsyncCourierClient`` on httpx.

Thin, and safe to retry: every logical invoke carries one ``Idempotency-Key`` (yours, or
one generated for that call), sent unchanged on every retry, so a timeout or a 5xx never
starts a run twice.

Example:
    >>> import httpx
    >>> from automation_dsl import Automation, CourierClient
    >>> transport = httpx.MockTransport(lambda request: httpx.Response(200, json={"runId": "r-1"}))
    >>> with CourierClient(api_key="pk_test", transport=transport) as client:
    ...     client.invoke(Automation().send("WELCOME"), recipient="user-1")
    'r-1'
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote

import attrs
import httpx

from ._automation import Automation
from ._bulk import BulkItem, BulkPlan, BulkResult, KeyFunction, OnInvalid, RateLimiter
from ._errors import (
    AutomationError,
    ConfigurationError,
    CourierAPIError,
    CourierConnectionError,
    CourierTimeoutError,
    ValidationError,
    ValidationTypeError,
)
from ._http import (
    _USER_AGENT,
    Expiration,
    _api_error_from,
    _check_text,
    _encode,
    _idempotency_headers,
    _resolve_api_key,
    _resolve_base_url,
    _run_id_from,
    _Secret,
)
from ._retry import RetryPolicy
from ._runs import AutomationRun, RunStep
from ._values import RunContext, given_context

__all__ = ["AsyncCourierClient", "CourierClient"]

logger = logging.getLogger("automation_dsl")

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
# Requests go out as headers then body: without TCP_NODELAY, Nagle's algorithm can hold
# the body back until the server acknowledges the headers.
_SOCKET_OPTIONS = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
# httpx refuses these before a byte is sent: a bug on our side, never worth a retry
_LOCAL_ERRORS = (httpx.LocalProtocolError, httpx.UnsupportedProtocol)
MAX_PAGE_SIZE = 50  # Courier's runs list pages hold 1 to 50 runs


def _invoke_body(
    automation: Automation | Mapping[str, Any], given: dict[str, Any], validate: bool
) -> Any:
    """The invoke body: an automation with its run context, or a ready payload (parsed
    as Courier would, unless ``validate`` is false)."""
    if validate.__class__ is not bool:
        raise ValidationTypeError("invoke", "validate", "True or False", validate)
    if isinstance(automation, Automation):
        return automation.to_payload(**given)
    if isinstance(automation, Mapping) and validate:
        flow, context = Automation.from_payload(automation)
        return flow.to_payload(context, **given)
    if isinstance(automation, Mapping) and isinstance(automation.get("automation"), Mapping):
        return {**automation, **RunContext(**given).to_wire()}
    raise ValidationTypeError(
        "invoke",
        "automation",
        "an Automation or an invoke body with an 'automation' key",
        automation,
    )


def _check_timeout(value: object, owner: str) -> httpx.Timeout | float | None:
    """``None``, seconds (a finite number > 0), or an ``httpx.Timeout`` of such numbers."""
    if value is None:
        return None
    if isinstance(value, httpx.Timeout):
        parts = (value.connect, value.read, value.write, value.pool)
        if all(part is None or _positive(part) for part in parts):
            return value
    elif _positive(value):
        return value  # type: ignore[return-value]
    elif isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationTypeError(
            owner, "timeout", "seconds (a number > 0), an httpx.Timeout or None", value
        )
    raise ValidationError(owner, "timeout", "a finite number of seconds > 0", value)


def _positive(value: object) -> bool:
    return (
        isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < float("inf")
    )


def _timed_out(error: httpx.TransportError) -> bool:
    """Whether no answer came in time. httpx-aiohttp reports a refused connection as a
    ``ConnectTimeout``: an OS error other than a timeout beneath it is a connection error."""
    cause = error.__cause__
    return isinstance(error, httpx.TimeoutException) and (
        isinstance(cause, TimeoutError) or not isinstance(cause, OSError)
    )


def _api_error(response: httpx.Response, attempts: int) -> CourierAPIError:
    """Map an httpx error response to its exception."""
    return _api_error_from(
        response.status_code,
        response.headers,
        response.content,
        response.reason_phrase,
        attempts,
        response.request.headers.get("Idempotency-Key"),
    )


def _length(contexts: object) -> int | None:
    """How many contexts there are, when the container knows (for the progress bar)."""
    try:
        return len(contexts)  # type: ignore[arg-type]
    except TypeError:
        return None


def _run_id(response: httpx.Response) -> str:
    return _run_id_from(
        response.content, response.status_code, response.extensions["automation_dsl.attempts"]
    )


def _async_transport() -> httpx.AsyncBaseTransport:
    """aiohttp under httpx's API when the ``fast`` extra is installed: about a fifth of the
    CPU per request of httpx's own async transport; else httpx's, with TCP_NODELAY."""
    try:
        from httpx_aiohttp import AiohttpTransport
    except ImportError:
        return httpx.AsyncHTTPTransport(socket_options=_SOCKET_OPTIONS)
    return AiohttpTransport()


class _DirectSender:
    """Bulk invokes straight through an ``aiohttp.ClientSession``: about a quarter of the
    client CPU per request of httpx on aiohttp, with the same retry loop and errors.

    Used by :meth:`AsyncCourierClient.invoke_many` when the ``fast`` extra is installed
    and the client was given no transport or http client of the caller's.
    """

    def __init__(
        self, client: _ClientBase, concurrency: int, timeout: httpx.Timeout | float | None
    ) -> None:
        import aiohttp

        self.errors = (aiohttp.ClientError, asyncio.TimeoutError)
        limits = client.timeout if timeout is None else httpx.Timeout(timeout)
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=concurrency),
            timeout=aiohttp.ClientTimeout(sock_connect=limits.connect, sock_read=limits.read),
            headers={
                "Authorization": client._auth(),
                "Accept": "application/json",
                "Content-Type": "application/json",
                "User-Agent": _USER_AGENT,
            },
        )
        self.url = client.base_url + "/automations/invoke"
        self.retry = client.retry

    async def send(self, body: bytes, key: str) -> tuple[str, int]:
        """POST one invoke; returns its run id and the attempts it took."""
        attempts = _Attempts(self.retry, "POST", "/automations/invoke")
        while True:
            attempts.start()
            try:
                async with self.session.post(
                    self.url, data=body, headers={"Idempotency-Key": key}
                ) as response:
                    content = await response.read()
            except self.errors as error:
                timed_out = isinstance(error, asyncio.TimeoutError)
                wait = attempts.failed(type(error).__name__, timed_out=timed_out)
            else:
                status = response.status
                retry_in = attempts.answered(status, response.headers.get("Retry-After"))
                if retry_in is None:
                    if status >= 400:
                        raise _api_error_from(
                            status,
                            response.headers,
                            content,
                            response.reason or "",
                            attempts.count,
                            key,
                        )
                    return _run_id_from(content, status, attempts.count), attempts.count
                wait = retry_in
            await asyncio.sleep(wait)

    async def close(self) -> None:
        await self.session.close()


def _has_aiohttp() -> bool:
    try:
        import aiohttp  # noqa: F401
    except ImportError:
        return False
    return True


class _Attempts:
    """The sans-IO half of the retry loop, shared by every loop that sends.

    Each attempt's outcome goes in; out comes the seconds to wait before trying again,
    ``None`` when the answer is final, or the exception to raise when retrying is over.
    Every logical request pays into the policy's retry budget, and every retry draws on it.
    """

    def __init__(self, retry: RetryPolicy, method: str, path: str) -> None:
        self.retry = retry
        self.method = method
        self.path = path
        self.count = 0
        self.started = 0.0
        self.budget = retry._budget
        if self.budget is not None:
            self.budget.deposit()

    def start(self) -> None:
        self.count += 1
        self.started = time.perf_counter()

    def _log(self, outcome: object) -> None:
        logger.debug(
            "%s %s -> %s attempt=%d elapsed=%.3fs",
            self.method,
            self.path,
            outcome,
            self.count,
            time.perf_counter() - self.started,
        )

    def _may_retry(self) -> bool:
        if self.count > self.retry.max_retries:
            return False
        if self.budget is not None and not self.budget.withdraw():
            logger.debug("%s %s -> not retried: retry budget spent", self.method, self.path)
            return False
        return True

    def answered(self, status: int, retry_after: str | None) -> float | None:
        """The wait before the next attempt, or ``None`` when this answer is final
        (a success, or an error to raise)."""
        self._log(status)
        if status < 400 or not self.retry.should_retry_status(status):
            return None
        if not self._may_retry():
            return None
        return self.retry.delay(self.count, retry_after)

    def failed(self, error: str, *, timed_out: bool) -> float:
        """The wait before the next attempt after no answer (named ``error``), or raise."""
        self._log(error)
        if not self._may_retry():
            if timed_out:
                raise CourierTimeoutError(
                    f"{self.method} {self.path} timed out", attempts=self.count
                ) from None
            raise CourierConnectionError(
                f"{self.method} {self.path} failed: {error}", attempts=self.count
            ) from None
        return self.retry.delay(self.count)

    def refused(self, error: str) -> ConfigurationError:
        """The error for a request httpx refused to send: never retried."""
        self._log(error)
        return ConfigurationError(
            f"{self.method} {self.path} was refused by httpx before sending ({error}): a "
            "header or URL it cannot write, so not a network failure and not retried; "
            "check the headers and transport of the http_client you passed"
        )


class _ClientBase:
    """Configuration and request building shared by both clients."""

    base_url: str
    retry: RetryPolicy
    timeout: httpx.Timeout
    _http: httpx.Client | httpx.AsyncClient

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
        self.__api_key = _Secret(_resolve_api_key(api_key))
        self._owns_http = http_client is None
        # bulk invokes go straight through aiohttp unless the caller chose the HTTP layer
        self._direct = http_client is None and transport is None and _has_aiohttp()
        self.base_url = _resolve_base_url(base_url)
        owner = type(self).__name__
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
    ) -> httpx.Request:
        headers = _idempotency_headers(idempotency_key, idempotency_expiration, "invoke")
        return self._request(
            "POST",
            "/automations/invoke",
            body=_invoke_body(automation, context, validate),
            owner="invoke",
            headers=headers,
            timeout=_check_timeout(timeout, "invoke"),
        )

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
        path = f"/automations/{quote(_check_text(owner, 'template_id', template_id), safe='')}"
        headers = _idempotency_headers(idempotency_key, idempotency_expiration, owner)
        # the recipient is checked as a run-context field, and always sent, null included
        body = {"recipient": None, **RunContext(recipient=recipient, **context).to_wire()}
        return self._request(
            "POST",
            f"{path}/invoke",
            body=body,
            owner=owner,
            headers=headers,
            timeout=_check_timeout(timeout, owner),
        )

    def _bulk_request(
        self, plan: BulkPlan, item: BulkItem, timeout: httpx.Timeout | float | None
    ) -> httpx.Request:
        return self._request(
            "POST",
            "/automations/invoke",
            content=item.body,
            headers={"Idempotency-Key": item.key},
            timeout=timeout,
        )

    @staticmethod
    def _runs_query(
        template_id: str | None,
        status: str | None,
        start_date: str | None,
        end_date: str | None,
        page_size: int | None,
    ) -> dict[str, str]:
        """The query of ``GET /automations/runs`` without the cursor, checked."""
        query = {}
        filters = {
            "template_id": template_id,
            "status": status,
            "start_date": start_date,
            "end_date": end_date,
        }
        for name, value in filters.items():
            if value is not None:
                query[name] = _check_text("list_runs", name, value)
        if page_size is not None:
            if isinstance(page_size, bool) or not isinstance(page_size, int):
                raise ValidationTypeError(
                    "list_runs", "page_size", f"an integer from 1 to {MAX_PAGE_SIZE}", page_size
                )
            if not 1 <= page_size <= MAX_PAGE_SIZE:
                raise ValidationError(
                    "list_runs", "page_size", f"an integer from 1 to {MAX_PAGE_SIZE}", page_size
                )
            query["limit"] = str(page_size)
        return query

    @staticmethod
    def _steps_path(run_id: str) -> str:
        run_id = _check_text("run_steps", "run_id", run_id)
        return f"/automations/runs/{quote(run_id, safe='')}/steps"


class CourierClient(_ClientBase):
    """A synchronous Courier automations client.

    Args:
        api_key: your Courier API key; else ``COURIER_API_KEY``, else ``COURIER_AUTH_TOKEN``.
            A missing key is reported on first use.
        base_url: else ``COURIER_BASE_URL``, else ``https://api.courier.com``. Plain
            ``http://`` is accepted only for loopback hosts (a local sandbox).
        timeout: an ``httpx.Timeout`` or seconds; default 30 s (5 s to connect).
        max_retries: retries after the first attempt (default 3).
        retry: a :class:`~automation_dsl.RetryPolicy` for finer control.
        http_client: an ``httpx.Client`` to use (you keep ownership: it is not closed).
        transport: an httpx transport for a client this one creates (tests use
            ``httpx.MockTransport``).

    Example:
        >>> import httpx
        >>> from automation_dsl import Automation, CourierClient
        >>> seen = []
        >>> def handler(request):
        ...     seen.append(request.headers["Idempotency-Key"])
        ...     return httpx.Response(200, json={"runId": "r-1"})
        >>> client = CourierClient(api_key="pk_test", transport=httpx.MockTransport(handler))
        >>> client.invoke(Automation().send("WELCOME"), idempotency_key="signup-42")
        'r-1'
        >>> seen
        ['signup-42']
        >>> client.close()
    """

    _http: httpx.Client

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        timeout: httpx.Timeout | float | None = None,
        max_retries: int | None = None,
        retry: RetryPolicy | None = None,
        http_client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(api_key, base_url, timeout, max_retries, retry, http_client, transport)
        self._http = http_client or httpx.Client(
            transport=transport or httpx.HTTPTransport(socket_options=_SOCKET_OPTIONS)
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP connections this client opened (not an ``http_client`` you passed)."""
        if self._owns_http:
            self._http.close()

    def _send(self, request: httpx.Request) -> httpx.Response:
        attempts = _Attempts(self.retry, request.method, request.url.path)
        while True:
            attempts.start()
            try:
                response = self._http.send(request)
            except _LOCAL_ERRORS as error:
                raise attempts.refused(type(error).__name__) from None
            except httpx.TransportError as error:
                wait = attempts.failed(type(error).__name__, timed_out=_timed_out(error))
            else:
                response.read()
                retry_in = attempts.answered(
                    response.status_code, response.headers.get("retry-after")
                )
                if retry_in is None:
                    if response.status_code >= 400:
                        raise _api_error(response, attempts.count)
                    response.extensions["automation_dsl.attempts"] = attempts.count
                    return response
                wait = retry_in
            time.sleep(wait)

    def invoke(
        self,
        automation: Automation | Mapping[str, Any],
        *,
        data: Mapping[str, Any] | None = None,
        profile: Mapping[str, Any] | None = None,
        recipient: str | None = None,
        brand: str | None = None,
        template: str | None = None,
        idempotency_key: str | None = None,
        idempotency_expiration: Expiration | None = None,
        timeout: httpx.Timeout | float | None = None,
        validate: bool = True,
    ) -> str:
        """Run an automation (``POST /automations/invoke``) and return its ``runId``.

        ``automation`` is an :class:`~automation_dsl.Automation` or a ready invoke body.
        A ready body is parsed as :meth:`Automation.from_payload` parses it, so a typo such
        as ``"dealy"`` is a :class:`~automation_dsl.ValidationError` here, not a run;
        ``validate=False`` sends it as given (for actions this library does not know yet).
        Either way the JSON is strict: no ``NaN``, ``Infinity`` or value JSON cannot hold.

        The call sends one ``Idempotency-Key`` (``idempotency_key``, or a fresh one) on
        every attempt, so retries never start a second run; pin the key to make
        re-running the same code (a notebook cell) safe too. ``idempotency_expiration``
        (24 hours to 1 year from now, as Courier allows) is an aware datetime, a
        timedelta or epoch seconds.

        Example:
            >>> import httpx
            >>> from automation_dsl import Automation, CourierClient
            >>> ok = httpx.MockTransport(lambda r: httpx.Response(200, json={"runId": "r-9"}))
            >>> CourierClient(api_key="k", transport=ok).invoke({"automation": {"steps": []}})
            'r-9'
        """
        context = given_context(
            data=data, profile=profile, recipient=recipient, brand=brand, template=template
        )
        request = self._invoke_request(
            automation, context, idempotency_key, idempotency_expiration, timeout, validate
        )
        return _run_id(self._send(request))

    def invoke_template(
        self,
        template_id: str,
        *,
        recipient: str | None,
        data: Mapping[str, Any] | None = None,
        profile: Mapping[str, Any] | None = None,
        brand: str | None = None,
        template: str | None = None,
        idempotency_key: str | None = None,
        idempotency_expiration: Expiration | None = None,
        timeout: httpx.Timeout | float | None = None,
    ) -> str:
        """Run a saved automation template (``POST /automations/{id}/invoke``); return the runId.

        ``recipient`` is always sent, ``null`` included, as Courier's current spec requires.

        Example:
            >>> import httpx
            >>> from automation_dsl import CourierClient
            >>> ok = httpx.MockTransport(lambda r: httpx.Response(200, json={"runId": "r-7"}))
            >>> client = CourierClient(api_key="k", transport=ok)
            >>> client.invoke_template("onboarding", recipient="u1")
            'r-7'
        """
        context = given_context(data=data, profile=profile, brand=brand, template=template)
        request = self._template_request(
            template_id, recipient, context, idempotency_key, idempotency_expiration, timeout
        )
        return _run_id(self._send(request))

    def invoke_many(
        self,
        automation: Automation,
        contexts: Iterable[Mapping[str, Any] | RunContext],
        *,
        concurrency: int = 16,
        rate_limit: float | None = None,
        key: KeyFunction | None = None,
        journal: str | Path | None = None,
        resume: bool = False,
        progress: bool | None = None,
        timeout: httpx.Timeout | float | None = None,
        on_invalid: OnInvalid = "fail",
        dry_run: bool = False,
    ) -> BulkResult:
        """Invoke one automation for every run context, each exactly once; see the guide.

        Args:
            automation: the automation, serialized once for the whole batch.
            contexts: rows, consumed lazily (a generator of 100,000 works): mappings with
                ``recipient``, ``brand``, ``template``, ``profile``, ``data``, where every
                other key (a flat ``df.to_dict("records")`` row's columns) goes into
                ``data`` and empty cells (None, NaN, NaT) are left out; or
                :class:`~automation_dsl.RunContext` objects.
            concurrency: requests in flight at once (threads), 1 to 1000.
            rate_limit: at most this many invokes started per second.
            key: ``key(context) -> str``, each row's ``Idempotency-Key``; by default a
                digest of the automation and the context, so running the same batch (or
                cell) again starts no second run for any row.
            journal: a SQLite file recording each outcome as it lands.
            resume: skip the rows the journal records as done.
            progress: a progress bar (tqdm); by default on in a terminal or notebook.
            timeout: the timeout of each request.
            on_invalid: ``"fail"`` (default): a row that cannot be sent (bad data, a key
                function that raises, a key reused for another body) is a failure in the
                result and the others go on; ``"raise"``: raise its ``ValidationError``
                there, once the requests in flight are done (the rows before it were sent).
            dry_run: validate every row and send nothing (no API key needed); the result
                says what would be sent (``unsent``) and what is refused (``failures``).

        Ctrl-C stops scheduling, lets the requests in flight finish, and returns the
        partial result (``interrupted=True``); the journal stays consistent.

        Example:
            >>> from automation_dsl.sandbox import Sandbox
            >>> flow = Automation().send("WELCOME")
            >>> users = ({"recipient": f"user-{i}"} for i in range(50))
            >>> with Sandbox() as sandbox, sandbox.client() as client:
            ...     result = client.invoke_many(flow, users, concurrency=8, progress=False)
            ...     again = client.invoke_many(flow, ({"recipient": f"user-{i}"}
            ...                                       for i in range(50)), progress=False)
            ...     stored = len(sandbox.runs())
            >>> result.succeeded, again.run_ids == result.run_ids, stored
            (50, True, 50)
        """
        timeout = _check_timeout(timeout, "invoke_many")
        if not dry_run:
            self._auth()  # no API key: say so before the journal is opened
        limiter = RateLimiter(rate_limit)
        plan = BulkPlan(
            automation,
            contexts,
            concurrency=concurrency,
            key=key,
            journal=journal,
            resume=resume,
            progress=progress,
            on_invalid=on_invalid,
            dry_run=dry_run,
            total=_length(contexts),
        )
        if self._direct and not dry_run:
            return self._run_bulk_in_loop(plan, contexts, concurrency, limiter, timeout)

        def send(item: BulkItem) -> httpx.Response:
            wait = limiter.reserve()
            if wait:
                time.sleep(wait)
            return self._send(self._bulk_request(plan, item, timeout))

        pending: dict[Future[httpx.Response], BulkItem] = {}

        def settle(futures: Iterable[Future[httpx.Response]]) -> None:
            for future in futures:
                item = pending.pop(future)
                try:
                    response = future.result()
                    run_id = _run_id(response)
                except AutomationError as error:
                    plan.failed(item, error)
                else:
                    plan.succeeded(item, run_id, response.extensions["automation_dsl.attempts"])

        interrupted = raised = False
        with ThreadPoolExecutor(concurrency, thread_name_prefix="invoke_many") as pool:
            try:
                for index, raw in plan.rows(contexts):
                    item = plan.admit(index, raw)
                    if item is None:
                        continue
                    if len(pending) >= concurrency:
                        settle(wait(pending, return_when=FIRST_COMPLETED).done)
                    pending[pool.submit(send, item)] = item
            except KeyboardInterrupt:
                interrupted = True
            except BaseException:
                raised = True
                raise
            finally:
                while pending:  # the requests in flight finish and are recorded
                    try:
                        settle(wait(pending, return_when=FIRST_COMPLETED).done)
                    except KeyboardInterrupt:
                        interrupted = True
                if raised:
                    plan.finish()  # close the journal and the bar; the error goes on up
        return plan.finish(interrupted=interrupted)

    def _run_bulk_in_loop(
        self,
        plan: BulkPlan,
        contexts: Iterable[Any],
        concurrency: int,
        limiter: RateLimiter,
        timeout: httpx.Timeout | float | None,
    ) -> BulkResult:
        """The fast path: the async bulk sender in an event loop of its own thread (so it
        also works where a loop already runs, as in a notebook). Ctrl-C stops the
        scheduling; the requests in flight finish and the partial result comes back."""
        stop = threading.Event()

        async def batch() -> BulkResult:
            async with AsyncCourierClient(**self._twin_options()) as twin:
                return await twin._run_bulk(plan, contexts, concurrency, limiter, timeout, stop)

        with ThreadPoolExecutor(1, thread_name_prefix="invoke_many") as pool:
            future = pool.submit(asyncio.run, batch())
            while True:
                try:  # short waits: a Ctrl-C is seen at once, whatever the platform
                    return future.result(timeout=0.2)
                except TimeoutError:
                    continue
                except KeyboardInterrupt:
                    stop.set()

    def list_runs(
        self,
        *,
        template_id: str | None = None,
        status: str | None = None,
        start_date: str | None = None,
        end_date: str | None = None,
        page_size: int | None = None,
    ) -> Iterator[AutomationRun]:
        """Iterate over runs (``GET /automations/runs``), fetching pages as needed.

        Filters are Courier's: comma-separated ``template_id`` and ``status`` lists, and
        ISO 8601 ``start_date``/``end_date`` bounds.

        Example:
            >>> import httpx
            >>> from automation_dsl import CourierClient
            >>> page = {"runs": [{"run_id": "r-1", "status": "PROCESSED", "source": []}]}
            >>> ok = httpx.MockTransport(lambda r: httpx.Response(200, json=page))
            >>> [run.run_id for run in CourierClient(api_key="k", transport=ok).list_runs()]
            ['r-1']
        """
        return self._runs(self._runs_query(template_id, status, start_date, end_date, page_size))

    def _runs(self, query: dict[str, str]) -> Iterator[AutomationRun]:
        cursor: str | None = None
        while True:
            params = query if cursor is None else {**query, "cursor": cursor}
            response = self._send(self._request("GET", "/automations/runs", params=params))
            page = response.json()
            yield from (AutomationRun.from_wire(item) for item in page.get("runs", []))
            cursor = page.get("next_cursor")
            if not cursor:
                return

    def run_steps(self, run_id: str) -> list[RunStep]:
        """The steps of a run (``GET /automations/runs/{id}/steps``).

        Example:
            >>> import httpx
            >>> from automation_dsl import CourierClient
            >>> body = {"steps": [{"action": "send", "status": "PROCESSED"}]}
            >>> ok = httpx.MockTransport(lambda r: httpx.Response(200, json=body))
            >>> CourierClient(api_key="k", transport=ok).run_steps("r-1")[0].status
            'PROCESSED'
        """
        response = self._send(self._request("GET", self._steps_path(run_id)))
        return [RunStep.from_wire(item) for item in response.json().get("steps", [])]


class AsyncCourierClient(_ClientBase):
    """The asyncio twin of :class:`CourierClient`: the same arguments, awaitable methods.

    Example:
        >>> import asyncio, httpx
        >>> from automation_dsl import Automation, AsyncCourierClient
        >>> ok = httpx.MockTransport(lambda r: httpx.Response(200, json={"runId": "r-1"}))
        >>> async def main():
        ...     async with AsyncCourierClient(api_key="k", transport=ok) as client:
        ...         return await client.invoke(Automation().send("WELCOME"))
        >>> asyncio.run(main())
        'r-1'
    """

    _http: httpx.AsyncClient

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        timeout: httpx.Timeout | float | None = None,
        max_retries: int | None = None,
        retry: RetryPolicy | None = None,
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(api_key, base_url, timeout, max_retries, retry, http_client, transport)
        self._http = http_client or httpx.AsyncClient(transport=transport or _async_transport())

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP connections this client opened (not an ``http_client`` you passed)."""
        if self._owns_http:
            await self._http.aclose()

    async def _send(self, request: httpx.Request) -> httpx.Response:
        attempts = _Attempts(self.retry, request.method, request.url.path)
        while True:
            attempts.start()
            try:
                response = await self._http.send(request)
            except _LOCAL_ERRORS as error:
                raise attempts.refused(type(error).__name__) from None
            except httpx.TransportError as error:
                wait = attempts.failed(type(error).__name__, timed_out=_timed_out(error))
            else:
                await response.aread()
                retry_in = attempts.answered(
                    response.status_code, response.headers.get("retry-after")
                )
                if retry_in is None:
                    if response.status_code >= 400:
                        raise _api_error(response, attempts.count)
                    response.extensions["automation_dsl.attempts"] = attempts.count
                    return response
                wait = retry_in
            await asyncio.sleep(wait)

    async def invoke(
        self,
        automation: Automation | Mapping[str, Any],
        *,
        data: Mapping[str, Any] | None = None,
        profile: Mapping[str, Any] | None = None,
        recipient: str | None = None,
        brand: str | None = None,
        template: str | None = None,
        idempotency_key: str | None = None,
        idempotency_expiration: Expiration | None = None,
        timeout: httpx.Timeout | float | None = None,
        validate: bool = True,
    ) -> str:
        """Run an automation and return its ``runId``; see :meth:`CourierClient.invoke`.

        Example:
            >>> import asyncio, httpx
            >>> from automation_dsl import Automation, AsyncCourierClient
            >>> ok = httpx.MockTransport(lambda r: httpx.Response(200, json={"runId": "r-2"}))
            >>> client = AsyncCourierClient(api_key="k", transport=ok)
            >>> asyncio.run(client.invoke(Automation().send("A")))
            'r-2'
        """
        context = given_context(
            data=data, profile=profile, recipient=recipient, brand=brand, template=template
        )
        request = self._invoke_request(
            automation, context, idempotency_key, idempotency_expiration, timeout, validate
        )
        return _run_id(await self._send(request))

    async def invoke_template(
        self,
        template_id: str,
        *,
        recipient: str | None,
        data: Mapping[str, Any] | None = None,
        profile: Mapping[str, Any] | None = None,
        brand: str | None = None,
        template: str | None = None,
        idempotency_key: str | None = None,
        idempotency_expiration: Expiration | None = None,
        timeout: httpx.Timeout | float | None = None,
    ) -> str:
        """Run a saved automation template; see :meth:`CourierClient.invoke_template`.

        Example:
            >>> import asyncio, httpx
            >>> from automation_dsl import AsyncCourierClient
            >>> ok = httpx.MockTransport(lambda r: httpx.Response(200, json={"runId": "r-3"}))
            >>> client = AsyncCourierClient(api_key="k", transport=ok)
            >>> asyncio.run(client.invoke_template("onboarding", recipient=None))
            'r-3'
        """
        context = given_context(data=data, profile=profile, brand=brand, template=template)
        request = self._template_request(
            template_id, recipient, context, idempotency_key, idempotency_expiration, timeout
        )
        return _run_id(await self._send(request))

    async def invoke_many(
        self,
        automation: Automation,
        contexts: Iterable[Mapping[str, Any] | RunContext]
        | AsyncIterable[Mapping[str, Any] | RunContext],
        *,
        concurrency: int = 32,
        rate_limit: float | None = None,
        key: KeyFunction | None = None,
        journal: str | Path | None = None,
        resume: bool = False,
        progress: bool | None = None,
        timeout: httpx.Timeout | float | None = None,
        on_invalid: OnInvalid = "fail",
        dry_run: bool = False,
    ) -> BulkResult:
        """Invoke one automation for every run context; see :meth:`CourierClient.invoke_many`.

        ``contexts`` may also be an async iterable. Cancelling the task stops the batch;
        the journal stays consistent, and the requests cut short are resent on resume
        with the same keys, so none starts a second run.

        Example:
            >>> import asyncio
            >>> from automation_dsl.sandbox import Sandbox
            >>> async def main(sandbox):
            ...     async with sandbox.async_client() as client:
            ...         users = ({"recipient": f"user-{i}"} for i in range(40))
            ...         return await client.invoke_many(Automation().send("HI"), users,
            ...                                         progress=False)
            >>> with Sandbox() as sandbox:
            ...     result = asyncio.run(main(sandbox))
            >>> result.succeeded, result.failed
            (40, 0)
        """
        timeout = _check_timeout(timeout, "invoke_many")
        if not dry_run:
            self._auth()  # no API key: say so before the journal is opened
        limiter = RateLimiter(rate_limit)
        plan = BulkPlan(
            automation,
            contexts,
            concurrency=concurrency,
            key=key,
            journal=journal,
            resume=resume,
            progress=progress,
            on_invalid=on_invalid,
            dry_run=dry_run,
            total=_length(contexts),
            allow_async=True,
        )
        return await self._run_bulk(plan, contexts, concurrency, limiter, timeout, stop=None)

    async def _run_bulk(
        self,
        plan: BulkPlan,
        contexts: Iterable[Any] | AsyncIterable[Any],
        concurrency: int,
        limiter: RateLimiter,
        timeout: httpx.Timeout | float | None,
        stop: threading.Event | None,
    ) -> BulkResult:
        """Send a planned batch; ``stop`` (from another thread) ends the scheduling, as a
        KeyboardInterrupt raised by the contexts' iterator does. An error (a refused row
        with ``on_invalid="raise"``, the iterator's own, the journal's) stops the
        scheduling too, and is raised once the requests in flight are recorded."""
        stop = stop or threading.Event()
        source: Iterator[Any] | AsyncIterator[Any] = (
            aiter(contexts) if isinstance(contexts, AsyncIterable) else iter(contexts)
        )
        lock = asyncio.Lock()
        counter = 0
        problems: list[BaseException] = []

        async def next_item() -> BulkItem | None:
            nonlocal counter
            async with lock:
                while not stop.is_set():
                    try:
                        if isinstance(source, AsyncIterator):
                            raw = await anext(source)
                        else:
                            raw = next(source)
                    except (StopIteration, StopAsyncIteration):
                        return None
                    except KeyboardInterrupt:
                        stop.set()
                        return None
                    except Exception as error:
                        raise plan.source_failed(counter, error) from error
                    counter += 1
                    item = plan.admit(counter - 1, raw)
                    if item is not None:
                        return item
                return None

        direct = (
            _DirectSender(self, concurrency, timeout) if self._direct and not plan.dry_run else None
        )

        async def send(item: BulkItem) -> tuple[str, int]:
            if direct is not None:
                return await direct.send(item.body, item.key)
            response = await self._send(self._bulk_request(plan, item, timeout))
            return _run_id(response), response.extensions["automation_dsl.attempts"]

        async def worker() -> None:
            try:
                while (item := await next_item()) is not None:
                    wait = limiter.reserve()
                    if wait:
                        await asyncio.sleep(wait)
                    try:
                        run_id, attempts = await send(item)
                    except AutomationError as error:
                        plan.failed(item, error)
                    else:
                        plan.succeeded(item, run_id, attempts)
            except Exception as error:  # the others finish what they sent, then it is raised
                problems.append(error)
                stop.set()

        try:
            await asyncio.gather(*(worker() for _ in range(concurrency)))
        except asyncio.CancelledError:
            plan.finish(interrupted=True)
            raise
        finally:
            if direct is not None:
                await direct.close()
        if problems:
            plan.finish()
            raise problems[0]
        return plan.finish(interrupted=stop.is_set())

    def list_runs(
        self,
        *,
        template_id: str | None = None,
        status: str | None = None,
        start_date: str | None = None,
        end_date: str | None = None,
        page_size: int | None = None,
    ) -> AsyncIterator[AutomationRun]:
        """Iterate over runs, fetching pages as needed; see :meth:`CourierClient.list_runs`.

        Example:
            >>> import asyncio, httpx
            >>> from automation_dsl import AsyncCourierClient
            >>> page = {"runs": [{"run_id": "r-1", "source": []}]}
            >>> ok = httpx.MockTransport(lambda r: httpx.Response(200, json=page))
            >>> async def ids():
            ...     return [run.run_id async for run in AsyncCourierClient(
            ...         api_key="k", transport=ok).list_runs()]
            >>> asyncio.run(ids())
            ['r-1']
        """
        return self._runs(self._runs_query(template_id, status, start_date, end_date, page_size))

    async def _runs(self, query: dict[str, str]) -> AsyncIterator[AutomationRun]:
        cursor: str | None = None
        while True:
            params = query if cursor is None else {**query, "cursor": cursor}
            response = await self._send(self._request("GET", "/automations/runs", params=params))
            page = response.json()
            for item in page.get("runs", []):
                yield AutomationRun.from_wire(item)
            cursor = page.get("next_cursor")
            if not cursor:
                return

    async def run_steps(self, run_id: str) -> list[RunStep]:
        """The steps of a run; see :meth:`CourierClient.run_steps`.

        Example:
            >>> import asyncio, httpx
            >>> from automation_dsl import AsyncCourierClient
            >>> body = {"steps": [{"action": "delay", "status": "WAITING"}]}
            >>> ok = httpx.MockTransport(lambda r: httpx.Response(200, json=body))
            >>> asyncio.run(AsyncCourierClient(api_key="k", transport=ok).run_steps("r"))[0].action
            'delay'
        """
        response = await self._send(self._request("GET", self._steps_path(run_id)))
        return [RunStep.from_wire(item) for item in response.json().get("steps", [])]
