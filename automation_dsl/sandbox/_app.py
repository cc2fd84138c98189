"""The sandbox's HTTP API: Courier's automations endpoints on Starlette.

* ``POST /automations/invoke`` and ``POST /automations/{templateId}/invoke``
* ``GET /automations/runs`` (cursor-paged, filtered), ``GET /automations/runs/{id}`` and
  ``GET /automations/runs/{id}/steps``
* ``GET /automations``: the registered templates (cursor-paged)

Errors use Courier's body, ``{"message": ..., "type": ...}``, and its statuses. Bodies are
read incrementally up to `RequestLimits.max_body_size` (413 past it), checked (JSON only, no
NaN/Infinity, nesting and step counts bounded) and parsed by the library's own parser; the
work of a request that may take long (a large body, an ``invoke``, injected latency) runs in
a worker thread, and so does any work that would wait for the service's lock, so one
request never holds up the event loop and the others.

The handlers are module-level functions, as Starlette's are; what they serve is on
``request.app.state`` (``service``, ``api_key``, ``faults``, ``limits``), set by
`create_app`. They read the service through its read API only.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import State
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from .._errors import ValidationError
from .._steps import Invoke
from .._time import UntilFormat, format_until
from ._faults import Faults
from ._idempotency import KeyReused, KeyUse
from ._requests import (
    INVALID,
    Refused,
    RequestLimits,
    cursor,
    date_bound,
    load_json,
    offset,
    page_size,
    parse_invoke,
    read_body,
)
from ._service import InvokeRequest, RunSummary, Service

__all__ = ["ROUTES", "RequestLimits", "create_app"]

_FAILURE = json.dumps(
    {"message": "Injected failure (sandbox fault injection)", "type": "api_error"}
)
_GATEWAY_FAULTS = ("503", "429", "drop-before")
"""Faults answered in front of the service, as at a gateway: never remembered for a key."""
_INLINE_BODY = 16 * 1024
_INLINE_STEPS = 100
_TEMPLATES_PAGE = 20

_Log = Callable[..., None]


def error(
    status: int, message: str, kind: str, headers: Mapping[str, str] | None = None
) -> Response:
    """A Courier-style error response."""
    return JSONResponse({"message": message, "type": kind}, status_code=status, headers=headers)


def _refusal(refused: Refused) -> Response:
    return error(refused.status, refused.message, refused.kind)


class _DropConnection(Response):
    """Starts a response and ends the exchange without its body: the client sees the
    connection drop mid-answer."""

    def __init__(self) -> None:
        super().__init__(status_code=200)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"64")],
            }
        )
        await send({"type": "http.response.body", "body": b'{"run', "more_body": True})


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else format_until(moment, UntilFormat.EXTENDED)


def _state(request: Request) -> State:
    state: State = request.app.state
    return state


def _unauthorized(request: Request) -> Response | None:
    """Courier's 401 unless the request carries the sandbox's API key."""
    if request.headers.get("authorization") != f"Bearer {_state(request).api_key}":
        return error(401, "Unauthorized: the API key is missing or wrong", "authentication_error")
    return None


async def _cheaply(
    service: Service, costly: bool, work: Callable[..., Response], *args: Any
) -> Response:
    """Do ``work`` on the event loop when it is cheap and the service is free (the
    common case: no thread hop), else in a worker thread: the loop never waits."""
    if not costly and service.lock.acquire(blocking=False):
        try:
            return work(*args)
        finally:
            service.lock.release()
    return await run_in_threadpool(work, *args)


def _heavy(service: Service, faults: Faults, raw: bytes, template_id: str | None) -> bool:
    """Whether a request may take long: a large body, an ``invoke`` (a run tree),
    a long template, or injected latency."""
    if faults.latency or len(raw) > _INLINE_BODY:
        return True
    if template_id is None:
        return b'"invoke"' in raw
    template = service.template(template_id, wait=False)  # on the event loop: no waiting
    steps = template.steps if template is not None else ()
    return len(steps) > _INLINE_STEPS or any(isinstance(s, Invoke) for s in steps)


# -- invoking ---------------------------------------------------------------------------


def _process(
    state: State,
    path: str,
    template_id: str | None,
    raw: bytes,
    headers: Mapping[str, str],
    fault: str,
) -> Response:
    """Everything after the body is read, in a worker thread: parse, replay, run."""
    service: Service = state.service
    key = headers.get("idempotency-key")

    def log(outcome: str, run_id: str | None = None) -> None:
        service.log(InvokeRequest(path, key, outcome, run_id))

    try:
        payload = load_json(raw, state.limits.max_depth)
        use = None
        if key is not None:
            expiration = headers.get("x-idempotency-expiration")
            use = service.idempotency.use(path, key, expiration, payload)
    except ValidationError as exc:
        log("invalid")
        return error(400, str(exc), INVALID)
    except Refused as refused:
        log(refused.outcome)
        return _refusal(refused)
    if use is not None and not service.idempotency.claim(use):
        log("conflict")
        return error(409, "A request with this Idempotency-Key is being processed", INVALID)
    try:
        return _answer(state, template_id, payload, use, fault, log)
    finally:
        if use is not None:
            service.idempotency.release(use)


def _replayed(service: Service, use: KeyUse, fault: str, log: _Log) -> Response | None:
    """The answer stored for the key, replayed (``None``: nothing stored yet)."""
    try:
        stored = service.idempotency.replay(use)
    except KeyReused:
        log("key-reused")
        return error(
            422,
            "This Idempotency-Key was already used with a different request body; "
            "use a new key for a different request",
            "idempotency_error",
        )
    if stored is None:
        return None
    run_id = json.loads(stored.body).get("runId")
    if fault == "drop-after":  # the replay is the processing: drop its answer
        log("drop-after", run_id)
        return _DropConnection()
    log("replayed", run_id)
    return Response(
        stored.body,
        status_code=stored.status,
        media_type="application/json",
        headers={"Idempotent-Replayed": "true"},
    )


def _answer(
    state: State,
    template_id: str | None,
    payload: Any,
    use: KeyUse | None,
    fault: str,
    log: _Log,
) -> Response:
    service: Service = state.service
    faults: Faults = state.faults
    if use is not None and (replayed := _replayed(service, use, fault, log)) is not None:
        return replayed
    if faults.latency:
        time.sleep(faults.latency)  # a worker thread: the event loop goes on
    try:
        automation, context = parse_invoke(payload, template_id, service, state.limits)
    except Refused as refused:
        log(refused.outcome)
        if use is not None and refused.status != 400:
            # Courier keeps every answer but a failed validation for the key
            body = json.dumps({"message": refused.message, "type": refused.kind})
            service.refuse(use, refused.status, body)
        return _refusal(refused)
    if fault == "500":  # the service fails before storing the run: the answer is kept
        if use is not None:
            service.refuse(use, 500, _FAILURE)
        log("500")
        return Response(_FAILURE, status_code=500, media_type="application/json")
    failure = _FAILURE if fault == "500-after" else None
    run_id = service.accept(automation, context, template_id=template_id, key=use, failure=failure)
    if failure is not None:  # the run is stored; the answer, a 500, is kept for the key
        log("500-after", run_id)
        return Response(failure, status_code=500, media_type="application/json")
    if fault == "drop-after":
        log("drop-after", run_id)
        return _DropConnection()
    log("accepted", run_id)
    return JSONResponse({"runId": run_id})


def _gateway_fault(fault: str, faults: Faults) -> Response:
    """The answer to a fault injected in front of the service."""
    if fault == "503":
        return error(503, "Injected failure (sandbox fault injection)", "api_error")
    if fault == "429":
        return error(
            429,
            "Too many requests (sandbox fault injection)",
            "rate_limit_error",
            {"Retry-After": f"{faults.retry_after:g}"},
        )
    return _DropConnection()


async def _invoke(request: Request, template_id: str | None) -> Response:
    state = _state(request)
    service: Service = state.service
    faults: Faults = state.faults
    path = request.url.path
    if (refused := _unauthorized(request)) is not None:
        service.log(InvokeRequest(path, None, "unauthorized"))  # nothing of it is kept
        return refused
    for name in ("idempotency-key", "x-idempotency-expiration"):
        if len(request.headers.getlist(name)) > 1:
            service.log(InvokeRequest(path, None, "invalid"))
            return error(400, f"{name}: expected one header, got several", INVALID)
    key = request.headers.get("idempotency-key")
    fault = faults.draw()
    if fault in _GATEWAY_FAULTS:
        service.log(InvokeRequest(path, key, fault))
        return _gateway_fault(fault, faults)
    try:
        raw = await read_body(request, state.limits.max_body_size)
    except Refused as problem:
        service.log(InvokeRequest(path, key, problem.outcome))
        return _refusal(problem)
    except ClientDisconnect:  # nothing was claimed or stored; there is no one to answer
        service.log(InvokeRequest(path, key, "disconnected"))
        return Response(status_code=400)
    headers = dict(request.headers)
    costly = _heavy(service, faults, raw, template_id)
    return await _cheaply(service, costly, _process, state, path, template_id, raw, headers, fault)


async def invoke_ad_hoc(request: Request) -> Response:
    """``POST /automations/invoke``: run the automation in the body."""
    return await _invoke(request, None)


async def invoke_template(request: Request) -> Response:
    """``POST /automations/{template_id}/invoke``: run a registered template."""
    return await _invoke(request, request.path_params["template_id"])


# -- reading runs -----------------------------------------------------------------------


def _run_item(run: RunSummary) -> dict[str, Any]:
    return {
        "run_id": run.run_id,
        "status": run.status,
        "created_at": _iso(run.created_at),
        "template_id": run.template_id,
        "source": [f"invoke/{run.template_id}" if run.template_id else "invoke/ad-hoc"],
    }


def _page_of_runs(service: Service, query: Mapping[str, str]) -> Response:
    limit = page_size(query.get("limit"))
    statuses = set(filter(None, query.get("status", "").split(",")))
    templates = set(filter(None, query.get("template_id", "").split(",")))
    start = date_bound("start_date", query.get("start_date"), end=False)
    end = date_bound("end_date", query.get("end_date"), end=True)
    first = offset(query.get("cursor"))
    page, more = service.run_page(
        first, limit, statuses=statuses, template_ids=templates, start=start, end=end
    )
    body: dict[str, Any] = {"runs": [_run_item(run) for run in page]}
    if more:
        body["next_cursor"] = cursor(first + limit)
    return JSONResponse(body)


async def list_runs(request: Request) -> Response:
    """``GET /automations/runs``: the runs, newest first, a page at a time."""
    if (refused := _unauthorized(request)) is not None:
        return refused
    service: Service = _state(request).service
    return await _cheaply(service, False, _page_of_runs, service, request.query_params)


def _one_run(service: Service, run_id: str) -> Response:
    run = service.run_summary(run_id)
    if run is None:
        return error(404, f"Run {run_id} not found", INVALID)
    return JSONResponse(_run_item(run))


async def get_run(request: Request) -> Response:
    """``GET /automations/runs/{run_id}``: one run, as the runs list shows it."""
    if (refused := _unauthorized(request)) is not None:
        return refused
    service: Service = _state(request).service
    return await _cheaply(service, False, _one_run, service, request.path_params["run_id"])


def _page_of_templates(service: Service, query: Mapping[str, str]) -> Response:
    version = query.get("version", "published")
    if version not in ("published", "draft"):
        return error(400, "version: expected 'published' or 'draft'", INVALID)
    first = offset(query.get("cursor"))
    ids = service.template_ids()
    body: dict[str, Any] = {
        "templates": [
            {"id": template_id, "name": template_id, "version": version}
            for template_id in ids[first : first + _TEMPLATES_PAGE]
        ]
    }
    if first + _TEMPLATES_PAGE < len(ids):
        body["cursor"] = cursor(first + _TEMPLATES_PAGE)
    return JSONResponse(body)


async def list_templates(request: Request) -> Response:
    """``GET /automations``: the registered templates, in id order, a page at a time
    (each is both its published and its draft version)."""
    if (refused := _unauthorized(request)) is not None:
        return refused
    service: Service = _state(request).service
    return await _cheaply(service, False, _page_of_templates, service, request.query_params)


def _steps_of(service: Service, run_id: str) -> Response:
    records = service.steps(run_id)
    if records is None:
        return error(404, f"Run {run_id} not found", INVALID)
    steps = [
        {
            "action": record.action,
            "status": record.status,
            "step_id": f"{run_id}/{index}",
            "message_id": record.message_id,
            "created_at": _iso(record.created_at),
            "updated_at": _iso(record.updated_at),
        }
        for index, record in enumerate(records)
    ]
    return JSONResponse({"steps": steps})


async def run_steps(request: Request) -> Response:
    """``GET /automations/runs/{run_id}/steps``: what became of each step of a run."""
    if (refused := _unauthorized(request)) is not None:
        return refused
    service: Service = _state(request).service
    return await _cheaply(service, False, _steps_of, service, request.path_params["run_id"])


# -- errors and wiring ------------------------------------------------------------------


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's HTTP errors (no route, wrong method, a bad query) in Courier's body."""
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404 and exc.detail == "Not Found":  # the router's: no route
        return error(404, f"No route {request.method} {request.url.path}", INVALID)
    if exc.status_code == 405:
        return error(
            405,
            f"Method {request.method} not allowed on {request.url.path}",
            INVALID,
            headers=exc.headers,
        )
    return error(exc.status_code, str(exc.detail), INVALID)


async def server_error(request: Request, exc: Exception) -> Response:
    """A bug in the sandbox: Courier's 500 body (the server logs the traceback once)."""
    return error(500, "Internal error in the sandbox", "api_error")


ROUTES = (
    Route("/automations", list_templates, methods=["GET"]),
    Route("/automations/invoke", invoke_ad_hoc, methods=["POST"]),
    Route("/automations/runs", list_runs, methods=["GET"]),
    Route("/automations/runs/{run_id}", get_run, methods=["GET"]),
    Route("/automations/runs/{run_id}/steps", run_steps, methods=["GET"]),
    Route("/automations/{template_id}/invoke", invoke_template, methods=["POST"]),
)
"""The routes of every sandbox app (they hold no state: it is on ``app.state``)."""


def create_app(
    service: Service, api_key: str, faults: Faults, limits: RequestLimits | None = None
) -> Starlette:
    """The ASGI application serving ``service``, bounded by ``limits`` (the defaults)."""
    app = Starlette(
        routes=ROUTES,
        exception_handlers={HTTPException: http_error, Exception: server_error},
    )
    app.state.service = service
    app.state.api_key = api_key
    app.state.faults = faults
    app.state.limits = limits or RequestLimits()
    return app
