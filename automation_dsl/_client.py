"""The executor: ``CourierClient`` and ``AsyncCourierClient`` on httpx.

Thin, and safe to retry: every logical invoke carries one ``Idempotency-Key`` (yours, or
one generated for that call), sent unchanged on every retry, so a timeout or a 5xx never
starts a run twice. Their shared settings and request building are
`_ClientBase`; each client adds its send loop and the
public methods.

Examples:
    >>> import httpx
    >>> from automation_dsl import Automation, CourierClient
    >>> transport = httpx.MockTransport(lambda request: httpx.Response(200, json={"runId": "r-1"}))
    >>> with CourierClient(api_key="pk_test", transport=transport) as client:
    ...     client.invoke(Automation().send("WELCOME"), recipient="user-1")
    'r-1'
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
import time
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import httpx

from ._automation import Automation
from ._bulk import BulkPlan, BulkResult, RateLimiter
from ._bulk_run import batch_size, open_sender, run_in_thread, run_tasks, run_threads, uses_aiohttp
from ._client_base import (
    _LOCAL_ERRORS,
    _SOCKET_OPTIONS,
    _async_transport,
    _ClientBase,
    _run_from,
    _timed_out,
)
from ._errors import CourierAPIError, RateLimitError
from ._http import (
    _api_error,
    _check_timeout,
    _run_id,
    _runs_query,
    _steps_path,
)
from ._retry import RetryPolicy, RetryState
from ._runs import AutomationRun, AutomationTemplate, RunStep, _page
from ._types import DataLike, Expiration, KeyFunction, OnInvalid
from ._values import RunContext, given_context
from ._wait import WaitPlan

_RUNS = "GET /automations/runs"
_STEPS = "GET /automations/runs/{id}/steps"
_TEMPLATES = "GET /automations"


def _next_cursor(cursor: str | None, seen: set[bytes], endpoint: str) -> str | None:
    """The next page's cursor; one seen before (``A, B, A``) would loop forever: an error.

    ``seen`` keeps a digest of each cursor followed, so a long cursor costs 32 bytes.
    """
    if cursor is None:
        return None
    digest = hashlib.sha256(cursor.encode("utf-8", "surrogatepass")).digest()
    if digest in seen:
        raise CourierAPIError(
            200, f"{endpoint}: the next cursor repeats an earlier one ({cursor[:80]!r})"
        )
    seen.add(digest)
    return cursor


__all__ = ["AsyncCourierClient", "CourierClient"]


class CourierClient(_ClientBase):
    """A synchronous Courier automations client.

    Args:
        api_key: your Courier API key; else ``COURIER_API_KEY``, else ``COURIER_AUTH_TOKEN``.
            A missing key is reported on first use.
        base_url: else ``COURIER_BASE_URL``, else ``https://api.courier.com``. Plain
            ``http://`` is accepted only for loopback hosts (a local sandbox).
        timeout: an ``httpx.Timeout`` or seconds; default 30 s (5 s to connect).
        max_retries: retries after the first attempt (default 3).
        retry: a [`RetryPolicy`][] for finer control.
        http_client: an ``httpx.Client`` to use (you keep ownership: it is not closed).
        transport: an httpx transport for a client this one creates (tests use
            ``httpx.MockTransport``).

    Examples:
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

    _HTTP_CLIENT = httpx.Client
    _TRANSPORT = httpx.BaseTransport

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
        self._http = http_client or httpx.Client(  # pyright: ignore[reportIncompatibleVariableOverride]
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
        attempts = RetryState(self.retry, request.method, request.url.path)
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
        data: DataLike | None = None,
        profile: DataLike | None = None,
        recipient: str | None = None,
        brand: str | None = None,
        template: str | None = None,
        idempotency_key: str | None = None,
        idempotency_expiration: Expiration | None = None,
        timeout: httpx.Timeout | float | None = None,
        validate: bool = True,
        now: datetime | None = None,
    ) -> str:
        """Run an automation (``POST /automations/invoke``) and return its ``runId``.

        ``automation`` is an [`Automation`][] or a ready invoke body.
        A ready body is parsed as [`Automation.from_payload`][] parses it, so a typo such
        as ``"dealy"`` is a [`ValidationError`][] here, not a run;
        ``validate=False`` sends it as given (for actions this library does not know yet).
        Either way the JSON is strict: no ``NaN``, ``Infinity`` or value JSON cannot hold.

        The call sends one ``Idempotency-Key`` (``idempotency_key``, or a fresh one) on
        every attempt, so retries never start a second run; pin the key to make
        re-running the same code (a notebook cell) safe too. ``idempotency_expiration``
        (24 hours to 1 year from now, as Courier allows) is an aware datetime, a
        timedelta or epoch seconds. Local-time delays ([`at`][automation_dsl.at]) are
        resolved for this run as invoked at ``now`` (by default, the current time).

        Examples:
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
            automation, context, idempotency_key, idempotency_expiration, timeout, validate, now
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

        Examples:
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
        contexts: Iterable[Mapping[Any, Any] | RunContext],
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
        now: datetime | None = None,
    ) -> BulkResult:
        """Invoke one automation for every run context, each exactly once; see the guide.

        Args:
            automation: the automation, serialized once for the whole batch.
            contexts: rows, consumed lazily (a generator of 100,000 works): mappings with
                ``recipient``, ``brand``, ``template``, ``profile``, ``data``, where every
                other key (a flat ``df.to_dict("records")`` row's columns) goes into
                ``data`` and empty cells (None, NaN, NaT) are left out; or
                [`RunContext`][] objects.
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
            now: the invoke time that local-time delays ([`at`][automation_dsl.at]) are
                resolved from, for every row; when the batch starts by default. A resumed
                row resends the body the journal kept when it was first sent.

        Ctrl-C stops scheduling, lets the requests in flight finish, and returns the
        partial result (``interrupted=True``); the journal stays consistent.

        Examples:
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
            now=self._invoke_time(now),
            total=batch_size(contexts),
        )
        if dry_run or not uses_aiohttp(self._default_http):  # threads on this client's httpx

            def send(body: bytes, key: str) -> tuple[str, int]:
                response = self._send(self._bulk_request(body, key, timeout))
                return _run_id(response), response.extensions["automation_dsl.attempts"]

            return run_threads(plan, contexts, concurrency, limiter, send)
        options = self._twin_options()

        async def batch(stop: threading.Event) -> BulkResult:
            async with AsyncCourierClient(**options) as twin:
                try:
                    sender = open_sender(twin, concurrency, timeout, dry_run=False)
                except BaseException:
                    plan.finish()  # release the journal and its lock
                    raise
                return await run_tasks(plan, contexts, concurrency, limiter, sender, stop)

        return run_in_thread(batch)

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

        Examples:
            >>> import httpx
            >>> from automation_dsl import CourierClient
            >>> page = {"runs": [{"run_id": "r-1", "status": "PROCESSED", "source": []}]}
            >>> ok = httpx.MockTransport(lambda r: httpx.Response(200, json=page))
            >>> [run.run_id for run in CourierClient(api_key="k", transport=ok).list_runs()]
            ['r-1']
        """
        return self._runs(_runs_query(template_id, status, start_date, end_date, page_size))

    def _runs(self, query: dict[str, str]) -> Iterator[AutomationRun]:
        cursor: str | None = None
        seen: set[bytes] = set()
        while True:
            params = query if cursor is None else {**query, "cursor": cursor}
            response = self._send(self._request("GET", "/automations/runs", params=params))
            code = response.status_code
            items, following = _page(response.content, code, _RUNS, "runs", "next_cursor")
            yield from (AutomationRun.from_wire(item, code=code) for item in items)
            cursor = _next_cursor(following, seen, _RUNS)
            if cursor is None:
                return

    def get_run(self, run_id: str) -> AutomationRun:
        """One run (``GET /automations/runs/{run_id}``): its status now.

        Courier's current SDK lists runs but reads none by id, and the runs list takes no
        run-id filter; this reads the single-run endpoint its API reference documents
        (``/automations/runs/:run_id``). An answer without ``run_id`` is the run asked
        for; its ``status`` may be one Courier added since ([`RunStatus`][] is open).

        Raises:
            NotFoundError: no run has this id.

        Examples:
            >>> import httpx
            >>> from automation_dsl import CourierClient
            >>> body = {"run_id": "r-1", "status": "WAITING", "source": []}
            >>> ok = httpx.MockTransport(lambda r: httpx.Response(200, json=body))
            >>> CourierClient(api_key="k", transport=ok).get_run("r-1").status
            'WAITING'
        """
        request = self._run_request(run_id)
        return _run_from(self._send(request), run_id)

    def wait_for(
        self,
        run_id: str,
        *,
        until: str | Iterable[str] | None = None,
        timeout: float = 300.0,
        poll: float = 1.0,
    ) -> AutomationRun:
        """Poll a run until its status is one of ``until``; return the run then.

        Args:
            run_id: the run, as ``invoke`` returned it.
            until: a status or several ([`RunStatus`][] members or Courier's text, a status
                it added since too); by default any status of a run that ended
                (``RunStatus.TERMINAL``: processed, canceled, error, throttled, not processed).
            timeout: seconds to wait, more than 0 and at most 30 days.
            poll: seconds before the first poll again; each later interval is half as long
                again, capped at 30 s (or ``poll`` if larger), never past the deadline.

        The run is read with [`get_run`][automation_dsl.CourierClient.get_run]; a 429
        that outlasts the client's retries slows the polling down rather than ending it.

        Raises:
            WaitTimeoutError: the deadline passed first; it names the run and the last
                status seen.
            NotFoundError: no run has this id.

        Examples:
            >>> from automation_dsl import Automation
            >>> from automation_dsl.sandbox import Sandbox
            >>> with Sandbox(clock="real") as sandbox, sandbox.client() as client:
            ...     run_id = client.invoke(Automation().send("WELCOME"), recipient="u1")
            ...     client.wait_for(run_id, timeout=10, poll=0.05).status
            'PROCESSED'
        """
        plan = WaitPlan.check(run_id, until, timeout, poll)
        request = self._run_request(run_id, "wait_for")
        while True:
            try:
                if plan.done((run := _run_from(self._send(request), run_id)).status):
                    return run
            except RateLimitError:
                plan.slow_down()
            if (late := plan.expired()) is not None:
                raise late
            time.sleep(plan.next_interval())
            if (late := plan.expired()) is not None:
                raise late

    def list_templates(self, *, version: str | None = None) -> Iterator[AutomationTemplate]:
        """Iterate over the saved automation templates (``GET /automations``), page by page.

        ``version`` is ``"published"`` (Courier's default) or ``"draft"``.

        Examples:
            >>> import httpx
            >>> from automation_dsl import CourierClient
            >>> page = {"templates": [{"id": "t-1", "name": "Onboarding", "version": "published"}]}
            >>> ok = httpx.MockTransport(lambda r: httpx.Response(200, json=page))
            >>> [t.id for t in CourierClient(api_key="k", transport=ok).list_templates()]
            ['t-1']
        """
        first = self._templates_request(version, None)  # a bad version: raise here, not later
        return self._templates(first, version)

    def _templates(self, first: httpx.Request, version: str | None) -> Iterator[AutomationTemplate]:
        request, seen = first, set[bytes]()
        while True:
            response = self._send(request)
            code = response.status_code
            items, following = _page(response.content, code, _TEMPLATES, "templates", "cursor")
            yield from (AutomationTemplate.from_wire(item, code=code) for item in items)
            cursor = _next_cursor(following, seen, _TEMPLATES)
            if cursor is None:
                return
            request = self._templates_request(version, cursor)

    def run_steps(self, run_id: str) -> list[RunStep]:
        """The steps of a run (``GET /automations/runs/{id}/steps``).

        Examples:
            >>> import httpx
            >>> from automation_dsl import CourierClient
            >>> body = {"steps": [{"action": "send", "status": "PROCESSED"}]}
            >>> ok = httpx.MockTransport(lambda r: httpx.Response(200, json=body))
            >>> CourierClient(api_key="k", transport=ok).run_steps("r-1")[0].status
            'PROCESSED'
        """
        response = self._send(self._request("GET", _steps_path(run_id)))
        items, _ = _page(response.content, response.status_code, _STEPS, "steps", "")
        return [RunStep.from_wire(item) for item in items]


class AsyncCourierClient(_ClientBase):
    """The asyncio twin of [`CourierClient`][]: the same arguments, awaitable methods.

    Examples:
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

    _HTTP_CLIENT = httpx.AsyncClient
    _TRANSPORT = httpx.AsyncBaseTransport

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
        self._http = http_client or httpx.AsyncClient(transport=transport or _async_transport())  # pyright: ignore[reportIncompatibleVariableOverride]

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
        attempts = RetryState(self.retry, request.method, request.url.path)
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
        data: DataLike | None = None,
        profile: DataLike | None = None,
        recipient: str | None = None,
        brand: str | None = None,
        template: str | None = None,
        idempotency_key: str | None = None,
        idempotency_expiration: Expiration | None = None,
        timeout: httpx.Timeout | float | None = None,
        validate: bool = True,
        now: datetime | None = None,
    ) -> str:
        """Run an automation and return its ``runId``; see [`CourierClient.invoke`][].

        Examples:
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
            automation, context, idempotency_key, idempotency_expiration, timeout, validate, now
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
        """Run a saved automation template; see [`CourierClient.invoke_template`][].

        Examples:
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
        contexts: Iterable[Mapping[Any, Any] | RunContext]
        | AsyncIterable[Mapping[Any, Any] | RunContext],
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
        now: datetime | None = None,
    ) -> BulkResult:
        """Invoke one automation for every run context; see [`CourierClient.invoke_many`][].

        ``contexts`` may also be an async iterable. Cancelling the task stops the batch;
        the journal stays consistent, and the requests cut short are resent on resume
        with the same keys, so none starts a second run.

        Examples:
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
            now=self._invoke_time(now),
            total=batch_size(contexts),
            allow_async=True,
        )
        try:
            sender = open_sender(self, concurrency, timeout, dry_run)
        except BaseException:
            plan.finish()  # release the journal and its lock
            raise
        return await run_tasks(plan, contexts, concurrency, limiter, sender)

    def list_runs(
        self,
        *,
        template_id: str | None = None,
        status: str | None = None,
        start_date: str | None = None,
        end_date: str | None = None,
        page_size: int | None = None,
    ) -> AsyncIterator[AutomationRun]:
        """Iterate over runs, fetching pages as needed; see [`CourierClient.list_runs`][].

        Examples:
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
        return self._runs(_runs_query(template_id, status, start_date, end_date, page_size))

    async def _runs(self, query: dict[str, str]) -> AsyncIterator[AutomationRun]:
        cursor: str | None = None
        seen: set[bytes] = set()
        while True:
            params = query if cursor is None else {**query, "cursor": cursor}
            response = await self._send(self._request("GET", "/automations/runs", params=params))
            code = response.status_code
            items, following = _page(response.content, code, _RUNS, "runs", "next_cursor")
            for item in items:
                yield AutomationRun.from_wire(item, code=code)
            cursor = _next_cursor(following, seen, _RUNS)
            if cursor is None:
                return

    async def get_run(self, run_id: str) -> AutomationRun:
        """One run; see [`CourierClient.get_run`][].

        Examples:
            >>> import asyncio, httpx
            >>> from automation_dsl import AsyncCourierClient
            >>> body = {"run_id": "r-1", "status": "PROCESSED", "source": []}
            >>> ok = httpx.MockTransport(lambda r: httpx.Response(200, json=body))
            >>> asyncio.run(AsyncCourierClient(api_key="k", transport=ok).get_run("r-1")).status
            'PROCESSED'
        """
        request = self._run_request(run_id)
        return _run_from(await self._send(request), run_id)

    async def wait_for(
        self,
        run_id: str,
        *,
        until: str | Iterable[str] | None = None,
        timeout: float = 300.0,
        poll: float = 1.0,
    ) -> AutomationRun:
        """Poll a run until its status is one of ``until``; see [`CourierClient.wait_for`][].

        Examples:
            >>> import asyncio
            >>> from automation_dsl import Automation
            >>> from automation_dsl.sandbox import Sandbox
            >>> async def main(sandbox):
            ...     async with sandbox.async_client() as client:
            ...         run_id = await client.invoke(Automation().send("HI"), recipient="u1")
            ...         return await client.wait_for(run_id, timeout=10, poll=0.05)
            >>> with Sandbox(clock="real") as sandbox:
            ...     asyncio.run(main(sandbox)).status
            'PROCESSED'
        """
        plan = WaitPlan.check(run_id, until, timeout, poll)
        request = self._run_request(run_id, "wait_for")
        while True:
            try:
                if plan.done((run := _run_from(await self._send(request), run_id)).status):
                    return run
            except RateLimitError:
                plan.slow_down()
            if (late := plan.expired()) is not None:
                raise late
            await asyncio.sleep(plan.next_interval())
            if (late := plan.expired()) is not None:
                raise late

    def list_templates(self, *, version: str | None = None) -> AsyncIterator[AutomationTemplate]:
        """Iterate over the saved automation templates; see [`CourierClient.list_templates`][].

        Examples:
            >>> import asyncio, httpx
            >>> from automation_dsl import AsyncCourierClient
            >>> page = {"templates": [{"id": "t-1", "name": "T", "version": "draft"}]}
            >>> ok = httpx.MockTransport(lambda r: httpx.Response(200, json=page))
            >>> async def ids():
            ...     client = AsyncCourierClient(api_key="k", transport=ok)
            ...     return [t.id async for t in client.list_templates(version="draft")]
            >>> asyncio.run(ids())
            ['t-1']
        """
        first = self._templates_request(version, None)
        return self._templates(first, version)

    async def _templates(
        self, first: httpx.Request, version: str | None
    ) -> AsyncIterator[AutomationTemplate]:
        request, seen = first, set[bytes]()
        while True:
            response = await self._send(request)
            code = response.status_code
            items, following = _page(response.content, code, _TEMPLATES, "templates", "cursor")
            for item in items:
                yield AutomationTemplate.from_wire(item, code=code)
            cursor = _next_cursor(following, seen, _TEMPLATES)
            if cursor is None:
                return
            request = self._templates_request(version, cursor)

    async def run_steps(self, run_id: str) -> list[RunStep]:
        """The steps of a run; see [`CourierClient.run_steps`][].

        Examples:
            >>> import asyncio, httpx
            >>> from automation_dsl import AsyncCourierClient
            >>> body = {"steps": [{"action": "delay", "status": "WAITING"}]}
            >>> ok = httpx.MockTransport(lambda r: httpx.Response(200, json=body))
            >>> asyncio.run(AsyncCourierClient(api_key="k", transport=ok).run_steps("r"))[0].action
            'delay'
        """
        response = await self._send(self._request("GET", _steps_path(run_id)))
        items, _ = _page(response.content, response.status_code, _STEPS, "steps", "")
        return [RunStep.from_wire(item) for item in items]
