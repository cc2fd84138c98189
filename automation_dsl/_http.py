"""What goes on the wire to Courier and what comes back: the API key, the base URL, the
idempotency headers, the invoke bodies and run queries, the one strict JSON encoder, the
checks of the client's arguments (timeouts, ids), the run id of an answer, and error
answers mapped to exceptions.

Everything here is checked before a request is built, so nothing reaches httpx that it
would refuse (a newline in a header) or that Courier could misread (``NaN`` in a body).

Examples:
    >>> _encode({"a": 1.5}, "invoke")
    b'{"a":1.5}'
    >>> _encode({"a": [float("nan")]}, "invoke")
    Traceback (most recent call last):
    ...
    automation_dsl.ValidationError: a[0]: invoke: 'a' expected a finite number ...
"""

from __future__ import annotations

import json
import math
import os
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from ipaddress import ip_address
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from ._automation import Automation
from ._document import SCHEMAS_KEY
from ._errors import (
    STATUS_ERRORS,
    ConfigurationError,
    CourierAPIError,
    IdempotencyKeyReusedError,
    ServerError,
    ValidationError,
    ValidationTypeError,
    _cut,
)
from ._values import RunContext

if TYPE_CHECKING:  # httpx loads with the clients, not with this module
    import httpx

DEFAULT_BASE_URL = "https://api.courier.com"
_USER_AGENT = "automation-dsl/0.1.0"
_REQUEST_ID_HEADERS = ("x-request-id", "x-amzn-requestid", "request-id")
_LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}
_KEY_VARIABLES = ("COURIER_API_KEY", "COURIER_AUTH_TOKEN")
MAX_IDEMPOTENCY_KEY = 255
# Courier keeps an idempotency key from 24 hours to 1 year (api-reference §1.4).
MIN_EXPIRATION = timedelta(hours=24)
MAX_EXPIRATION = timedelta(days=366)
# a datetime or epoch computed as "now + 24 hours" just before the call still passes
_CLOCK_SLACK = timedelta(minutes=1)
MAX_PAGE_SIZE = 50  # Courier's runs list pages hold 1 to 50 runs


class _Secret:
    """Holds the API key; its repr never shows it."""

    __slots__ = ("value",)

    def __init__(self, value: str | None) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "<secret>"

    def __reduce__(self) -> Any:
        raise TypeError("a client holding an API key cannot be pickled")


def _resolve_api_key(api_key: object) -> str | None:
    """The key given, else the environment's; refused (never shown) if no header can hold it."""
    if api_key is not None and not isinstance(api_key, str):
        raise ConfigurationError(f"api_key: expected a string, got {type(api_key).__name__}")
    if api_key:
        _check_api_key(api_key, "api_key")
        return api_key
    for name in _KEY_VARIABLES:
        value = os.environ.get(name)
        if value:
            _check_api_key(value, f"the {name} environment variable")
            return value
    return None


def _check_api_key(key: str, source: str) -> None:
    """Refuse a key with a character that cannot go in a Bearer header, saying where it
    is but not what the key is."""
    if key.isascii() and key.isprintable() and " " not in key:
        return
    index, char = next((i, c) for i, c in enumerate(key) if not "!" <= c <= "~")
    kind = (
        "a line break"
        if char in "\r\n"
        else "whitespace"
        if char.isspace()
        else "a non-ASCII character"
        if not char.isascii()
        else "a control character"
    )
    where = (
        "at its end"
        if index == len(key) - 1
        else "at its start"
        if index == 0
        else f"at position {index + 1} of {len(key)}"
    )
    raise ConfigurationError(
        f"{source}: the API key contains {kind} {where}, which cannot go in an HTTP "
        "header; a key read from a file or a mounted secret often ends in a newline: "
        "strip it (for example Path(...).read_text().strip())"
    )


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _resolve_base_url(base_url: object) -> str:
    if base_url is not None and not isinstance(base_url, str):
        raise ValidationTypeError("CourierClient", "base_url", "a URL string", base_url)
    source = "base_url" if base_url else "COURIER_BASE_URL"
    url = (base_url or os.environ.get("COURIER_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
    refused = ConfigurationError(
        f"{source}: expected an http(s) URL such as {DEFAULT_BASE_URL!r}, got {_cut(repr(url))}"
    )
    if not (url.isascii() and url.isprintable()) or " " in url:  # a newline from a file ...
        raise ConfigurationError(
            f"{source}: expected a URL of printable ASCII without spaces or line breaks, "
            f"got {_cut(repr(url))}"
        )
    try:
        parts = urlsplit(url)
        host, _port = parts.hostname, parts.port  # a port past 65535 raises here
    except ValueError:  # a malformed IPv6 literal, a bad port
        raise refused from None
    if parts.scheme not in ("http", "https") or not host:
        raise refused
    if parts.scheme == "http" and not _is_loopback(host):
        raise ConfigurationError(
            f"base_url: plain http is refused except for loopback hosts (the API key would "
            f"travel unencrypted); use https, got {url!r}"
        )
    return url


MAX_ID_LENGTH = 1024
"""The longest id or filter the client puts in a URL (Courier's ids are far shorter)."""


def _check_text(owner: str, field: str, value: object) -> str:
    """A non-empty string of at most `MAX_ID_LENGTH` characters that UTF-8 can
    encode (no lone surrogates): an id or a filter that goes into a URL."""
    if not isinstance(value, str):
        raise ValidationTypeError(owner, field, "a non-empty string", value)
    if not value.strip() or len(value) > MAX_ID_LENGTH:
        expected = f"a non-empty string of at most {MAX_ID_LENGTH} characters"
        raise ValidationError(owner, field, expected, value)
    if value in (".", ".."):  # a URL would resolve it as a path step: another endpoint
        raise ValidationError(owner, field, "an id, not a '.' or '..' path step", value)
    if not value.isascii():
        try:
            value.encode()
        except UnicodeEncodeError:
            raise ValidationError(
                owner, field, "text without lone surrogates (UTF-8 cannot encode them)", value
            ) from None
    return value


def _check_idempotency_key(value: object, owner: str, field: str = "idempotency_key") -> str:
    """A key that an HTTP header carries unchanged: 1 to 255 visible ASCII characters.

    ``field`` names the parameter the key came from (``key`` for a bulk ``key(context)``).
    """
    if not isinstance(value, str):
        raise ValidationTypeError(owner, field, "a non-empty string", value)
    if not (
        0 < len(value) <= MAX_IDEMPOTENCY_KEY
        and value.isascii()
        and value.isprintable()
        and value == value.strip()
    ):
        raise ValidationError(
            owner,
            field,
            f"1 to {MAX_IDEMPOTENCY_KEY} visible ASCII characters (inner spaces allowed)",
            value,
            hint="an HTTP header cannot carry line breaks, control or non-ASCII characters",
        )
    return value


def _expiration_header(value: object, owner: str) -> str:
    """The ``x-idempotency-expiration`` value: epoch seconds, 24 hours to 1 year from now."""
    if isinstance(value, bool) or not isinstance(value, datetime | timedelta | int):
        raise ValidationTypeError(
            owner, "idempotency_expiration", "a datetime, a timedelta or epoch seconds", value
        )
    expected = "24 hours to 1 year from now (Courier's limits)"
    now = datetime.now(UTC)
    if isinstance(value, timedelta):
        if not MIN_EXPIRATION <= value <= MAX_EXPIRATION:
            raise ValidationError(owner, "idempotency_expiration", expected, value)
        return str(int((now + value).timestamp()))
    if isinstance(value, datetime):
        if value.utcoffset() is None:
            raise ValidationError(
                owner,
                "idempotency_expiration",
                "an aware datetime",
                value,
                hint="attach a tzinfo, for example timezone.utc",
            )
        moment = value
    else:
        moment = datetime.fromtimestamp(max(0, min(value, 2**34)), UTC)
    if not now + MIN_EXPIRATION - _CLOCK_SLACK <= moment <= now + MAX_EXPIRATION:
        hint = None
        if isinstance(value, int):
            hint = (
                f"{value} looks like a duration: pass timedelta(seconds={value})"
                if 0 <= value < 10**9
                else "epoch seconds are expected, not milliseconds"
                if value > 10**12
                else None
            )
        raise ValidationError(owner, "idempotency_expiration", expected, value, hint=hint)
    return str(int(moment.timestamp()))


def _idempotency_headers(idempotency_key: object, expiration: object, owner: str) -> dict[str, str]:
    """One Idempotency-Key per logical call: the caller's, or a fresh one."""
    headers = {
        "Idempotency-Key": f"automation-dsl-{uuid.uuid4().hex}"
        if idempotency_key is None
        else _check_idempotency_key(idempotency_key, owner)
    }
    if expiration is not None:
        headers["x-idempotency-expiration"] = _expiration_header(expiration, owner)
    return headers


def _encode(body: Any, owner: str) -> bytes:
    """The one encoder of request bodies: compact UTF-8 JSON that never holds ``NaN``,
    ``Infinity`` or a value JSON has no form for; such a value is a ValidationError
    naming where it is."""
    try:
        return json.dumps(body, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()
    except (TypeError, ValueError, RecursionError):  # UnicodeEncodeError is a ValueError
        raise _unencodable(body, owner) from None


def _unencodable(body: Any, owner: str) -> ValidationError:
    """Find the first value of ``body`` that `_encode` cannot write (without recursion:
    the body may be nested deeper than the interpreter's recursion limit)."""
    on_path: set[int] = set()
    stack: list[Any] = [(body, "", 0)]
    deepest = 0
    while stack:
        entry = stack.pop()
        if isinstance(entry, int):  # leaving a container
            on_path.discard(entry)
            continue
        value, path, depth = entry
        deepest = max(deepest, depth)
        field = path.split(".")[-1].split("[")[0] or "body"
        problem = _problem(value)
        if problem is not None:
            if isinstance(value, int):  # too long for repr() too
                value = f"an integer of about {int(value.bit_length() * 0.30103)} digits"
            return ValidationError(owner, field, problem, value, path=path or None)
        if isinstance(value, dict | list | tuple):
            if id(value) in on_path:
                return ValidationError(
                    owner, field, "a JSON value without cycles", "<a cycle>", path=path or None
                )
            on_path.add(id(value))
            stack.append(id(value))
            if isinstance(value, dict):
                children = []
                for key, item in value.items():
                    name = key if isinstance(key, str) else str(key)
                    if key is not None and not isinstance(key, str | int | float):
                        return ValidationError(
                            owner, field, "an object with string keys", key, path=path or None
                        )
                    if _problem(name) is not None:
                        return ValidationError(
                            owner, field, "keys without lone surrogates", key, path=path or None
                        )
                    children.append((item, f"{path}.{name}" if path else name, depth + 1))
            else:
                children = [(item, f"{path}[{i}]", depth + 1) for i, item in enumerate(value)]
            stack.extend(reversed(children))
    return ValidationError(
        owner,
        "body",
        "JSON nested less deeply than the interpreter's recursion limit",
        f"{deepest} levels",
    )


def _problem(value: Any) -> str | None:
    """What is wrong with one value for the encoder, or ``None`` (containers: nothing)."""
    if value is None or isinstance(value, bool | dict | list | tuple):
        return None
    if isinstance(value, str):
        if value.isascii():
            return None
        try:
            value.encode()
        except UnicodeEncodeError:
            return "text without lone surrogates (UTF-8 cannot encode them)"
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else "a finite number (JSON has no NaN or Infinity)"
    if isinstance(value, int):
        try:
            str(value)
        except ValueError:
            return "an integer of at most 4300 digits"
        return None
    return "a JSON value (str, int, float, bool, None, list or dict)"


def _api_error_from(
    status: int,
    headers: Mapping[str, str],
    content: bytes,
    reason: str,
    attempts: int,
    idempotency_key: str | None = None,
) -> CourierAPIError:
    """Map an error answer to its exception, with Courier's ``message`` and ``type``."""
    text = content.decode("utf-8", "replace")
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    message = text[:500] or reason
    kind = None
    if isinstance(body, Mapping):
        message = str(body.get("message", message))
        kind = body.get("type") if isinstance(body.get("type"), str) else None
    cls = STATUS_ERRORS.get(status, ServerError if status >= 500 else CourierAPIError)
    if status == 422 and kind == "idempotency_error":
        cls = IdempotencyKeyReusedError
    request_id = next((headers[h] for h in _REQUEST_ID_HEADERS if h in headers), None)
    return cls(
        status,
        message,
        type=kind,
        request_id=request_id,
        attempts=attempts,
        body=body,
        idempotency_key=idempotency_key,
    )


def _run_id_from(content: bytes, status: int, attempts: int) -> str:
    """The ``runId`` of an invoke answer, or an error saying what came instead."""
    try:
        run_id = json.loads(content).get("runId")
    except (ValueError, AttributeError):
        run_id = None
    if not isinstance(run_id, str):
        raise CourierAPIError(
            status,
            f"expected a JSON body with a 'runId', got {content[:200]!r}",
            attempts=attempts,
        )
    return run_id


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


def _run_id(response: httpx.Response) -> str:
    """The ``runId`` of an httpx invoke answer (sent by a client's retry loop)."""
    return _run_id_from(
        response.content, response.status_code, response.extensions["automation_dsl.attempts"]
    )


MAX_TIMEOUT = 24 * 3600.0
"""The longest timeout accepted, in seconds: past that the socket layer overflows."""


def _check_timeout(value: object, owner: str) -> httpx.Timeout | float | None:
    """``None``, seconds (a number > 0, at most `MAX_TIMEOUT`), or an
    ``httpx.Timeout`` of such numbers."""
    if value is None:
        return None
    import httpx  # loaded already: only a client asks

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
    raise ValidationError(
        owner, "timeout", f"a number of seconds > 0 and at most {MAX_TIMEOUT:g}", value
    )


def _positive(value: object) -> bool:
    return (
        isinstance(value, int | float) and not isinstance(value, bool) and 0 < value <= MAX_TIMEOUT
    )


def _invoke_body(
    automation: Automation | Mapping[str, Any],
    given: dict[str, Any],
    validate: bool,
    now: datetime | None = None,
) -> Any:
    """The invoke body: an automation with its run context (local times resolved as
    invoked at ``now``), or a ready payload (parsed as Courier would, unless ``validate``
    is false)."""
    if validate.__class__ is not bool:
        raise ValidationTypeError("invoke", "validate", "True or False", validate)
    if isinstance(automation, Automation):
        return automation.to_payload(**given, now=now)
    if isinstance(automation, Mapping) and validate:
        flow, context = Automation.from_payload(automation)
        return flow.to_payload(context, **given, now=now)
    if isinstance(automation, Mapping) and isinstance(automation.get("automation"), Mapping):
        sent = {key: value for key, value in automation.items() if key != SCHEMAS_KEY}
        return {**sent, **RunContext(**given).to_wire()}
    raise ValidationTypeError(
        "invoke",
        "automation",
        "an Automation or an invoke body with an 'automation' key",
        automation,
    )


def _template_body(recipient: str | None, context: dict[str, Any]) -> dict[str, Any]:
    """The body of a template invoke: the recipient is checked as a run-context field,
    and always sent, null included."""
    return {"recipient": None, **RunContext(recipient=recipient, **context).to_wire()}


def _template_path(template_id: str) -> str:
    template_id = _check_text("invoke_template", "template_id", template_id)
    return f"/automations/{quote(template_id, safe='')}/invoke"


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


def _steps_path(run_id: str) -> str:
    run_id = _check_text("run_steps", "run_id", run_id)
    return f"/automations/runs/{quote(run_id, safe='')}/steps"
