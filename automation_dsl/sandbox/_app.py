"""The sandbox's HTTP API: Courier's automations endpoints on Starlette.

* ``POST /automations/invoke`` and ``POST /automations/{templateId}/invoke``
* ``GET /automations/runs`` (cursor-paged, filtered) and ``GET /automations/runs/{id}/steps``

Errors use Courier's body, ``{"message": ..., "type": ...}``, and its statuses.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from .._automation import Automation
from .._errors import ValidationError
from .._steps import RunContext
from .._time import UntilFormat, format_until
from ._faults import Faults
from ._service import IDEMPOTENCY_TTL, InvokeRequest, Service

__all__ = ["create_app"]

_INVALID = "invalid_request_error"


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


def _expiry(value: str | None) -> float:
    """When a remembered answer expires: ``x-idempotency-expiration`` or 25 hours."""
    now = time.time()
    if value:
        try:
            number = float(value)
        except ValueError:
            try:
                return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
            except ValueError:
                pass
        else:
            return number / 1000 if number > 1e11 else number  # milliseconds, as old docs say
    return now + IDEMPOTENCY_TTL.total_seconds()


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        kind, _, number = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        if kind == "offset":
            return int(number)
    except ValueError:
        pass
    raise HTTPException(400, "cursor: expected a next_cursor from an earlier page")


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


def create_app(service: Service, api_key: str, faults: Faults) -> Starlette:
    """The ASGI application serving ``service``."""

    def authorized(request: Request) -> Response | None:
        if request.headers.get("authorization") != f"Bearer {api_key}":
            return error(
                401, "Unauthorized: the API key is missing or wrong", "authentication_error"
            )
        return None

    async def body_of(request: Request) -> Any:
        try:
            return json.loads(await request.body())
        except ValueError:
            raise HTTPException(400, "Invalid JSON body") from None

    async def invoke(request: Request, template_id: str | None) -> Response:
        path = request.url.path
        key = request.headers.get("idempotency-key")

        def log(outcome: str, run_id: str | None = None) -> None:
            service.log(InvokeRequest(path, key, outcome, run_id))

        if (refused := authorized(request)) is not None:
            log("unauthorized")
            return refused
        fault = faults.draw()
        if fault != "ok" and fault != "drop-after":
            log(fault)
        if fault in ("500", "503"):
            return error(int(fault), "Injected failure (sandbox fault injection)", "api_error")
        if fault == "429":
            retry_after = f"{faults.retry_after:g}"
            return error(
                429,
                "Too many requests (sandbox fault injection)",
                "rate_limit_error",
                {"Retry-After": retry_after},
            )
        if fault == "drop-before":
            return _DropConnection()
        if key is not None:
            stored = service.remembered(path, key)
            if stored is not None:
                status, body = stored
                if fault == "drop-after":  # the replay is the processing: drop its answer
                    log("drop-after", json.loads(body).get("runId"))
                    return _DropConnection()
                log("replayed", json.loads(body).get("runId"))
                return Response(
                    body,
                    status_code=status,
                    media_type="application/json",
                    headers={"Idempotent-Replayed": "true"},
                )
            if not service.claim(path, key):
                log("conflict")
                return error(
                    409, "A request with this Idempotency-Key is being processed", _INVALID
                )
        try:
            if faults.latency:
                await asyncio.sleep(faults.latency)
            payload = await body_of(request)
            expires = _expiry(request.headers.get("x-idempotency-expiration"))
            try:
                automation, context = _parse(payload, template_id, service)
            except HTTPException as problem:
                log("invalid" if problem.status_code == 400 else "not-found")
                if key is not None and problem.status_code != 400:
                    # Courier keeps every answer but a failed validation for the key
                    body = json.dumps({"message": problem.detail, "type": _INVALID})
                    service.remember(path, key, problem.status_code, body, expires)
                raise
            answer = (path, key, expires) if key is not None else None
            run_id = service.accept(automation, context, template_id=template_id, answer=answer)
        finally:
            if key is not None:
                service.release(path, key)
        if fault == "drop-after":
            log("drop-after", run_id)
            return _DropConnection()
        log("accepted", run_id)
        return JSONResponse({"runId": run_id})

    async def invoke_ad_hoc(request: Request) -> Response:
        return await invoke(request, None)

    async def invoke_template(request: Request) -> Response:
        return await invoke(request, request.path_params["template_id"])

    async def list_runs(request: Request) -> Response:
        if (refused := authorized(request)) is not None:
            return refused
        query = request.query_params
        try:
            limit = min(max(int(query.get("limit", "20")), 1), 50)
        except ValueError:
            limit = 20
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

    async def run_steps(request: Request) -> Response:
        if (refused := authorized(request)) is not None:
            return refused
        run_id = request.path_params["run_id"]
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

    return Starlette(
        routes=[
            Route("/automations/invoke", invoke_ad_hoc, methods=["POST"]),
            Route("/automations/runs", list_runs, methods=["GET"]),
            Route("/automations/runs/{run_id}/steps", run_steps, methods=["GET"]),
            Route("/automations/{template_id}/invoke", invoke_template, methods=["POST"]),
        ],
        exception_handlers={HTTPException: http_error},
    )


def _parse(
    payload: Any, template_id: str | None, service: Service
) -> tuple[Automation, dict[str, Any]]:
    """Validate an invoke body with the library's own parser; 400 names the step and field."""
    try:
        if template_id is None:
            automation, context = Automation.from_payload(payload)
            return automation, context.to_wire()
        if not isinstance(payload, dict) or "recipient" not in payload:
            raise HTTPException(400, "recipient: required (it may be null)")
        fields = {key: value for key, value in payload.items() if value is not None}
        template_context = RunContext.from_wire(fields).to_wire()
    except ValidationError as exc:
        raise HTTPException(400, f"Invalid Steps Definition: {exc}") from None
    with service.lock:
        template: Automation | None = service.engine.templates.get(template_id)
    if template is None:
        raise HTTPException(404, f"Automation template {template_id} not found")
    return template, template_context
