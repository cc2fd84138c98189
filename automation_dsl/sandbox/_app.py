"""The sandbox's HTTP API: Courier's automations endpoints on Starlette.

* ``POST /automations/invoke`` and ``POST /automations/{templateId}/invoke``
* ``GET /automations/runs`` (cursor-paged, filtered) and ``GET /automations/runs/{id}/steps``

Errors use Courier's body, ``{"message": ..., "type": ...}``, and its statuses. Bodies are
read incrementally up to :attr:`RequestLimits.max_body_size` (413 past it), checked (JSON only, no
NaN/Infinity, nesting and step counts bounded) and parsed by the library's own parser; the
work of a request that may take long (a large body, an ``invoke``, injected latency) runs in
a worker thread, and so does any work that would wait for the service's lock, so one
request never holds up the event loop and the others.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import attrs
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from .._automation import Automation
from .._errors import AutomationError, ValidationError, ValidationTypeError
from .._json import loads
from .._steps import Invoke
from .._time import UntilFormat, format_until
from .._values import RunContext
from ._faults import Faults
from ._idempotency import KeyReused, KeyUse, check_key, fingerprint
from ._service import InvokeRequest, Service

__all__ = ["RequestLimits", "create_app"]

_INVALID = "invalid_request_error"
_FAILURE = json.dumps(
    {"message": "Injected failure (sandbox fault injection)", "type": "api_error"}
)
_GATEWAY_FAULTS = ("503", "429", "drop-before")
"""Faults answered in front of the service, as at a gateway: never remembered for a key."""
_MAX_PAGE = 50
_INLINE_BODY = 16 * 1024
_INLINE_STEPS = 100


def _positive(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        kind = ValidationError if isinstance(value, int) else ValidationTypeError
        raise kind("RequestLimits", attribute.name, "a positive integer", value)


@attrs.frozen
class RequestLimits:
    """What one request may ask of the sandbox.

    Args:
        max_body_size: bytes of request body (413 ``invalid_request_error`` past it).
        max_depth: nesting levels of the JSON body (400 past it).
        max_steps: steps in one ad hoc automation (400 past it). The simulator also stops
            an invoke tree after ``Engine.max_steps`` executed steps.

    Example:
        >>> RequestLimits(max_body_size=64 * 1024).max_body_size
        65536
    """

    max_body_size: int = attrs.field(default=1024 * 1024, validator=_positive)
    max_depth: int = attrs.field(default=64, validator=_positive)
    max_steps: int = attrs.field(default=1000, validator=_positive)


class _Refused(Exception):
    """A request answered with a Courier error: ``outcome`` is what the request log says."""

    def __init__(self, status: int, message: str, outcome: str, kind: str = _INVALID) -> None:
        super().__init__(message)
        self.status, self.message, self.outcome, self.kind = status, message, outcome, kind

    def response(self) -> Response:
        return error(self.status, self.message, self.kind)


class _DropFilter(logging.Filter):
    """Keeps the server's log quiet about connections the sandbox drops on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "without completing response" not in record.getMessage()


logging.getLogger("uvicorn.error").addFilter(_DropFilter())


def error(
    status: int, message: str, kind: str, headers: Mapping[str, str] | None = None
) -> Response:
    """A Courier-style error response."""
    return JSONResponse({"message": message, "type": kind}, status_code=status, headers=headers)


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


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        kind, _, number = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        if kind == "offset" and int(number) >= 0:
            return int(number)
    except ValueError:
        pass
    raise HTTPException(400, "cursor: expected a next_cursor from an earlier page")


def _limit(value: str | None) -> int:
    """The page size: 20 by default, at most 50 (larger asks get 50)."""
    if value is None:
        return 20
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise HTTPException(400, f"limit: expected an integer from 1 to {_MAX_PAGE}, got {value!r}")
    return min(number, _MAX_PAGE)


def _date_bound(name: str, value: str | None, end: bool) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise HTTPException(400, f"{name}: expected an ISO 8601 date or timestamp") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if end and len(value) == 10:  # a bare date includes that whole day
        moment = moment.replace(hour=23, minute=59, second=59, microsecond=999999)
    return moment


def _iso(moment: datetime) -> str:
    return format_until(moment, UntilFormat.EXTENDED)


# -- request bodies ---------------------------------------------------------------------


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, read chunk by chunk and abandoned as soon as it passes ``limit`` bytes."""
    too_large = _Refused(413, f"Request body too large: the limit is {limit} bytes", "too-large")
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise _Refused(400, f"Invalid Content-Length {declared[:40]!r}", "invalid")
        if int(declared) > limit:
            raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise too_large
    return bytes(body)


def _load_json(raw: bytes, max_depth: int) -> Any:
    """The parsed body: strict JSON, nested at most ``max_depth`` deep, no lone surrogates."""
    try:
        return loads(raw, owner="invoke body", field="body", max_depth=max_depth)
    except ValidationError as error:
        where = f" ({error.hint})" if error.hint else ""
        raise _Refused(
            400, f"Invalid JSON body: expected {error.expected}{where}", "invalid"
        ) from None


def _parse(
    payload: Any, template_id: str | None, service: Service, limits: RequestLimits
) -> tuple[Automation, dict[str, Any]]:
    """Validate an invoke body with the library's own parser; 400 names the step and field."""
    if not isinstance(payload, dict):
        raise _Refused(
            400,
            f"Invalid request body: expected a JSON object, got {type(payload).__name__}",
            "invalid",
        )
    try:
        if template_id is None:
            automation = payload.get("automation")
            steps = automation.get("steps") if isinstance(automation, dict) else None
            if isinstance(steps, list) and len(steps) > limits.max_steps:
                raise _Refused(
                    400,
                    f"Invalid Steps Definition: automation.steps: at most {limits.max_steps} "
                    f"steps, got {len(steps)}",
                    "invalid",
                )
            parsed, context = Automation.from_payload(payload)
            return parsed, context.to_wire()
        if "recipient" not in payload:
            raise _Refused(400, "recipient: required (it may be null)", "invalid")
        fields = {key: value for key, value in payload.items() if value is not None}
        template_context = RunContext.from_wire(fields).to_wire()
    # the parser is the judge of a body: whatever it refuses is the body's fault (a 400),
    # including the raw TypeError/ValueError a parser bug may still let through
    except (AutomationError, TypeError, ValueError, RecursionError) as exc:
        raise _Refused(400, f"Invalid Steps Definition: {exc}", "invalid") from None
    template = service.template(template_id)
    if template is None:
        raise _Refused(404, f"Automation template {template_id} not found", "not-found")
    return template, template_context


# -- the application --------------------------------------------------------------------


def create_app(
    service: Service, api_key: str, faults: Faults, limits: RequestLimits | None = None
) -> Starlette:
    """The ASGI application serving ``service``, bounded by ``limits`` (the defaults)."""
    limits = limits or RequestLimits()

    async def cheaply(costly: bool, work: Callable[..., Response], *args: Any) -> Response:
        """Do ``work`` on the event loop when it is cheap and the service is free (the
        common case: no thread hop), else in a worker thread: the loop never waits."""
        if not costly and service.lock.acquire(blocking=False):
            try:
                return work(*args)
            finally:
                service.lock.release()
        return await run_in_threadpool(work, *args)

    def heavy(raw: bytes, template_id: str | None) -> bool:
        """Whether a request may take long: a large body, an ``invoke`` (a run tree),
        a long template, or injected latency."""
        if faults.latency or len(raw) > _INLINE_BODY:
            return True
        if template_id is None:
            return b'"invoke"' in raw
        template = service.engine.templates.get(template_id)
        steps = template.steps if template is not None else ()
        return len(steps) > _INLINE_STEPS or any(isinstance(s, Invoke) for s in steps)

    def authorized(request: Request) -> Response | None:
        if request.headers.get("authorization") != f"Bearer {api_key}":
            return error(
                401, "Unauthorized: the API key is missing or wrong", "authentication_error"
            )
        return None

    def process(
        path: str, template_id: str | None, raw: bytes, headers: Mapping[str, str], fault: str
    ) -> Response:
        """Everything after the body is read, in a worker thread: parse, replay, run."""
        key = headers.get("idempotency-key")

        def log(outcome: str, run_id: str | None = None) -> None:
            service.log(InvokeRequest(path, key, outcome, run_id))

        try:
            payload = _load_json(raw, limits.max_depth)
            use = None
            if key is not None:
                check_key(key)
                expires = service.idempotency.expiry(headers.get("x-idempotency-expiration"))
                use = KeyUse(path, key, fingerprint(payload), expires)
        except ValidationError as exc:
            log("invalid")
            return error(400, str(exc), _INVALID)
        except _Refused as refused:
            log(refused.outcome)
            return refused.response()
        if use is not None and not service.idempotency.claim(use):
            log("conflict")
            return error(409, "A request with this Idempotency-Key is being processed", _INVALID)
        try:
            return answer(path, template_id, payload, use, fault, log)
        finally:
            if use is not None:
                service.idempotency.release(use)

    def answer(
        path: str,
        template_id: str | None,
        payload: Any,
        use: KeyUse | None,
        fault: str,
        log: Any,
    ) -> Response:
        if use is not None:
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
            if stored is not None:
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
        if faults.latency:
            time.sleep(faults.latency)  # a worker thread: the event loop goes on
        try:
            automation, context = _parse(payload, template_id, service, limits)
        except _Refused as refused:
            log(refused.outcome)
            if use is not None and refused.status != 400:
                # Courier keeps every answer but a failed validation for the key
                body = json.dumps({"message": refused.message, "type": refused.kind})
                service.refuse(use, refused.status, body)
            return refused.response()
        if fault == "500":  # the service fails before storing the run: the answer is kept
            if use is not None:
                service.refuse(use, 500, _FAILURE)
            log("500")
            return Response(_FAILURE, status_code=500, media_type="application/json")
        failure = _FAILURE if fault == "500-after" else None
        run_id = service.accept(
            automation, context, template_id=template_id, key=use, failure=failure
        )
        if failure is not None:  # the run is stored; the answer, a 500, is kept for the key
            log("500-after", run_id)
            return Response(failure, status_code=500, media_type="application/json")
        if fault == "drop-after":
            log("drop-after", run_id)
            return _DropConnection()
        log("accepted", run_id)
        return JSONResponse({"runId": run_id})

    async def invoke(request: Request, template_id: str | None) -> Response:
        path = request.url.path
        if (refused := authorized(request)) is not None:
            service.log(InvokeRequest(path, None, "unauthorized"))  # nothing of it is kept
            return refused
        key = request.headers.get("idempotency-key")
        fault = faults.draw()
        if fault in _GATEWAY_FAULTS:
            service.log(InvokeRequest(path, key, fault))
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
        try:
            raw = await _read_body(request, limits.max_body_size)
        except _Refused as problem:
            service.log(InvokeRequest(path, key, problem.outcome))
            return problem.response()
        except ClientDisconnect:  # nothing was claimed or stored; there is no one to answer
            service.log(InvokeRequest(path, key, "disconnected"))
            return Response(status_code=400)
        headers = dict(request.headers)
        return await cheaply(
            heavy(raw, template_id), process, path, template_id, raw, headers, fault
        )

    async def invoke_ad_hoc(request: Request) -> Response:
        return await invoke(request, None)

    async def invoke_template(request: Request) -> Response:
        return await invoke(request, request.path_params["template_id"])

    def page_of_runs(query: Mapping[str, str]) -> Response:
        limit = _limit(query.get("limit"))
        statuses = set(filter(None, query.get("status", "").split(",")))
        templates = set(filter(None, query.get("template_id", "").split(",")))
        start = _date_bound("start_date", query.get("start_date"), end=False)
        end = _date_bound("end_date", query.get("end_date"), end=True)
        offset = _offset(query.get("cursor"))
        with service.lock:  # the run records alone: a page needs no events
            states = list(service.engine.runs.values())
        runs = [
            run
            for run in reversed(states)
            if (not statuses or run.status in statuses)
            and (not templates or run.template_id in templates)
            and (start is None or run.created_at >= start)
            and (end is None or run.created_at <= end)
        ]
        page = runs[offset : offset + limit]
        body: dict[str, Any] = {
            "runs": [
                {
                    "run_id": run.run_id,
                    "status": run.status,
                    "created_at": _iso(run.created_at),
                    "template_id": run.template_id,
                    "source": [f"invoke/{run.template_id}" if run.template_id else "invoke/ad-hoc"],
                }
                for run in page
            ]
        }
        if offset + limit < len(runs):
            body["next_cursor"] = _cursor(offset + limit)
        return JSONResponse(body)

    async def list_runs(request: Request) -> Response:
        if (refused := authorized(request)) is not None:
            return refused
        return await cheaply(False, page_of_runs, request.query_params)

    def steps_of(run_id: str) -> Response:
        with service.lock:
            run = service.engine.runs.get(run_id)
            if run is None:
                return error(404, f"Run {run_id} not found", _INVALID)
            steps = []
            for index, step in enumerate(run.automation.steps):
                record = run.step_status.get(index)
                after_end = run.status == "CANCELED" and index > run.position
                status = (
                    record["status"] if record else ("CANCELED" if after_end else "NOT PROCESSED")
                )
                steps.append(
                    {
                        "action": step.action,
                        "status": status,
                        "step_id": f"{run_id}/{index}",
                        "message_id": record.get("message_id") if record else None,
                        "created_at": _iso(record["created_at"]) if record else None,
                        "updated_at": _iso(record["updated_at"]) if record else None,
                    }
                )
        return JSONResponse({"steps": steps})

    async def run_steps(request: Request) -> Response:
        if (refused := authorized(request)) is not None:
            return refused
        return await cheaply(False, steps_of, request.path_params["run_id"])

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 404 and exc.detail == "Not Found":  # the router's: no route
            return error(404, f"No route {request.method} {request.url.path}", _INVALID)
        if exc.status_code == 405:
            return error(
                405,
                f"Method {request.method} not allowed on {request.url.path}",
                _INVALID,
                headers=exc.headers,
            )
        return error(exc.status_code, str(exc.detail), _INVALID)

    async def server_error(request: Request, exc: Exception) -> Response:
        """A bug in the sandbox: Courier's 500 body (the server logs the traceback once)."""
        return error(500, "Internal error in the sandbox", "api_error")

    return Starlette(
        routes=[
            Route("/automations/invoke", invoke_ad_hoc, methods=["POST"]),
            Route("/automations/runs", list_runs, methods=["GET"]),
            Route("/automations/runs/{run_id}/steps", run_steps, methods=["GET"]),
            Route("/automations/{template_id}/invoke", invoke_template, methods=["POST"]),
        ],
        exception_handlers={HTTPException: http_error, Exception: server_error},
    )
