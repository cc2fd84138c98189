"""The exceptions automation-dsl raises.

Every exception the library raises on purpose derives from [`AutomationError`][],
so one ``except`` clause catches them all; a bad argument never surfaces as a raw
``TypeError``, ``RecursionError`` or ``UnicodeError`` from deep inside. Validation
errors also derive from the builtin they resemble, so code that already catches
``ValueError`` or ``TypeError`` keeps working. (Exceptions raised by your own code,
such as a function given to [`Automation.pipe`][], pass through
unchanged. Python's own protocols keep their builtin errors: ``bool()``, ``and``/``or``
and chained comparisons on a typed condition raise ``TypeError`` with a hint, as
SQLAlchemy's expressions do, and a client holding an API key refuses to be pickled.)::

    AutomationError
    ├── ValidationError (+ ValueError)        bad input: names the field, what was
    │   │                                     expected and what was given; parse
    │   │                                     errors carry a path (steps[2].until)
    │   └── ValidationTypeError (+ TypeError) the value has the wrong type
    ├── NotEvaluated                          a condition the simulator cannot
    │                                         evaluate (outside the supported subset)
    ├── ConfigurationError (+ ValueError)     no API key, a malformed key or base URL
    │   └── JournalError (+ OSError)          a bulk journal that cannot be used: names
    │                                         the file and what to do
    ├── CourierAPIError                       Courier answered with an error status
    │   ├── BadRequestError                   400
    │   ├── AuthenticationError               401
    │   ├── PermissionDeniedError             403
    │   ├── NotFoundError                     404
    │   ├── ConflictError                     409
    │   ├── UnprocessableEntityError          422
    │   │   └── IdempotencyKeyReusedError     the Idempotency-Key was used for another body
    │   ├── RateLimitError                    429
    │   └── ServerError                       5xx
    ├── CourierConnectionError                no answer: connection failed or dropped
    │   └── CourierTimeoutError               no answer in time
    └── WaitTimeoutError (+ TimeoutError)     a run did not reach a status in time

Errors from the client say how many attempts were made (``attempts``) and never
contain the API key.

Examples:
    >>> from automation_dsl import Automation, ValidationError
    >>> try:
    ...     Automation().delay(duration="5 fortnights")
    ... except ValidationError as exc:
    ...     print(exc.field)
    duration
"""

from __future__ import annotations

import reprlib
from functools import partial
from typing import Any

__all__ = [
    "AuthenticationError",
    "AutomationError",
    "BadRequestError",
    "ConfigurationError",
    "ConflictError",
    "CourierAPIError",
    "CourierConnectionError",
    "CourierTimeoutError",
    "IdempotencyKeyReusedError",
    "JournalError",
    "NotEvaluated",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ServerError",
    "UnprocessableEntityError",
    "ValidationError",
    "ValidationTypeError",
    "WaitTimeoutError",
]


class AutomationError(Exception):
    """The root of every exception raised by automation-dsl.

    Examples:
        >>> from automation_dsl import Automation, AutomationError
        >>> try:
        ...     Automation().send("")
        ... except AutomationError as exc:
        ...     print(type(exc).__name__)
        ValidationError
    """


class _Short(reprlib.Repr):
    """``reprlib`` limits, also for frozen JSON values: nesting, items and text are all cut."""

    def __init__(self) -> None:
        super().__init__()
        self.maxlevel = 3
        self.maxdict = self.maxlist = self.maxtuple = self.maxset = self.maxfrozenset = 5
        self.maxstring = self.maxother = self.maxlong = 60

    def repr_FrozenDict(self, value: Any, level: int) -> str:
        return f"FrozenDict({self.repr_dict(value._items, level)})"


_short = _Short()

SHOW_LIMIT = 100
"""The longest a value is shown in an error message, in characters."""


def _show(value: Any) -> str:
    """Render a given value for an error message: bounded in length and depth, never failing.

    Examples:
        >>> deep = 1
        >>> for _ in range(10_000):
        ...     deep = {"a": deep}
        >>> _show(deep)
        "{'a': {'a': {'a': {...}}}} (dict)"
        >>> len(_show("x" * 10**6)) <= SHOW_LIMIT + 10
        True
    """
    try:
        text = _short.repr(value)
    except Exception:  # a __repr__ that fails, or recurses without end
        text = f"<{type(value).__name__} object>"
    if len(text) > SHOW_LIMIT:
        text = text[: SHOW_LIMIT - 3] + "..."
    return f"{text} ({type(value).__name__})"


def _cut(text: str) -> str:
    """A name or path for a message, cut to `SHOW_LIMIT` characters."""
    return text if len(text) <= SHOW_LIMIT else text[: SHOW_LIMIT - 3] + "..."


def path_step(field: Any) -> str:
    """A field name as a step of a path: itself, or its repr in brackets when it is
    empty or holds what a message cannot show as is (``['']``, ``['a\\ud800']``).

    Examples:
        >>> path_step("until"), path_step("")
        ('until', "['']")
    """
    text = str(field)
    return text if text and text.isprintable() else f"[{_cut(repr(text))}]"


class _Missing:
    """The type of `MISSING`: one instance, kept by pickling."""

    def __repr__(self) -> str:
        return "MISSING"

    def __reduce__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
"""The ``got`` of a [`ValidationError`][] for a required field that was not given."""


class ValidationError(AutomationError, ValueError):
    """A value was refused: the message names where, what was expected and what was given.

    Attributes:
        owner: the step or builder the value was given to (``"delay step"``).
        field: the field name as Courier spells it (``"until"``).
        expected: what would have been accepted.
        got: the value that was given.
        path: where in a parsed document the value was (``"steps[2].until"``), or
            where inside a JSON value (``"data.order.items[3]"``); ``None`` for other
            values given in Python. Messages show it and the value cut to a bounded length.

    Examples:
        >>> from automation_dsl import Automation, ValidationError
        >>> try:
        ...     Automation.from_dict({"steps": [{"action": "dealy"}]})
        ... except ValidationError as exc:
        ...     print(exc.path)
        steps[0].action
    """

    owner: str
    field: str
    expected: str
    got: Any
    path: str | None
    hint: str | None

    def __init__(
        self,
        owner: str,
        field: str,
        expected: str,
        got: Any,
        *,
        hint: str | None = None,
        path: str | None = None,
    ) -> None:
        self.owner = owner
        self.field = field
        self.expected = expected
        self.got = got
        self.hint = hint
        self.path = path
        super().__init__(self._message())

    def _message(self) -> str:
        where = f"{_cut(str(self.path))}: " if self.path else ""
        field = _cut(repr(self.field)) if isinstance(self.field, str) else _show(self.field)
        got = "nothing" if self.got is MISSING else _show(self.got)
        text = f"{where}{self.owner}: {field} expected {self.expected}, got {got}"
        if self.hint:
            text += f"; {self.hint}"
        return text

    def at(self, prefix: str) -> ValidationError:
        """Return a copy of this error located under ``prefix`` in a parsed document."""
        inner = self.path if self.path is not None else path_step(self.field)
        joined = f"{prefix}{inner}" if not inner or inner.startswith("[") else f"{prefix}.{inner}"
        return type(self)(
            self.owner, self.field, self.expected, self.got, hint=self.hint, path=joined
        )

    def __reduce__(self) -> tuple[Any, ...]:
        rebuild = partial(
            type(self),
            self.owner,
            self.field,
            self.expected,
            self.got,
            hint=self.hint,
            path=self.path,
        )
        return (rebuild, ())


class ValidationTypeError(ValidationError, TypeError):
    """A value of the wrong type was given (also a ``TypeError``).

    Examples:
        >>> from automation_dsl import Automation
        >>> try:
        ...     Automation().send(42)
        ... except TypeError as exc:
        ...     print("send step" in str(exc))
        True
    """


class NotEvaluated(AutomationError):
    """A condition outside the supported subset, or one JavaScript itself would throw on.

    An [`AutomationError`][], like every exception the library raises.

    Examples:
        >>> from automation_dsl import MessageStatus
        >>> try:
        ...     MessageStatus.SENT < MessageStatus.UNROUTABLE
        ... except NotEvaluated as exc:
        ...     print(exc)
        SENT and UNROUTABLE have no documented order
    """

    def __init__(self, reason: str) -> None:
        if len(reason) > 200:  # it may quote the condition: keep messages bounded
            reason = reason[:197] + "..."
        super().__init__(reason)


class ConfigurationError(AutomationError, ValueError):
    """The client cannot be used as configured: no API key, or a base URL it refuses.

    Examples:
        >>> from automation_dsl import ConfigurationError, CourierClient
        >>> try:
        ...     CourierClient(api_key="k", base_url="http://example.com")
        ... except ConfigurationError as exc:
        ...     print("https" in str(exc))
        True
    """


class JournalError(ConfigurationError, OSError):
    """A bulk journal cannot be used: its file is missing, read-only, locked, corrupt,
    a directory, or it records another batch. The message names the file and what to do.

    Attributes:
        path: the journal's path, as given.

    Examples:
        >>> from automation_dsl import JournalError
        >>> err = JournalError("batch.db", "the directory 'x' does not exist: create it")
        >>> err.path, isinstance(err, OSError)
        ('batch.db', True)
    """

    path: str

    def __init__(self, path: object, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"journal {_cut(repr(self.path))}: {problem}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.path, self.problem))


class CourierAPIError(AutomationError):
    """Courier answered with an error status.

    Attributes:
        status_code: the HTTP status.
        message: Courier's ``message``, or the response text.
        type: Courier's error ``type`` (``invalid_request_error`` ...), if given.
        request_id: the request id header of the response, if any.
        attempts: how many attempts were made before giving up.
        body: the parsed JSON body, or ``None``.
        idempotency_key: the ``Idempotency-Key`` the request carried, if any.

    Examples:
        >>> err = CourierAPIError(400, "Invalid Steps Definition", type="invalid_request_error")
        >>> str(err)
        '400 invalid_request_error: Invalid Steps Definition'
    """

    status_code: int
    message: str
    type: str | None
    request_id: str | None
    attempts: int
    body: Any
    idempotency_key: str | None

    def __init__(
        self,
        status_code: int,
        message: str,
        *,
        type: str | None = None,
        request_id: str | None = None,
        attempts: int = 1,
        body: Any = None,
        idempotency_key: str | None = None,
    ) -> None:
        self.status_code = status_code
        self.message = message
        self.type = type
        self.request_id = request_id
        self.attempts = attempts
        self.body = body
        self.idempotency_key = idempotency_key
        super().__init__(self._text())

    def _text(self) -> str:
        kind = f" {self.type}" if self.type else ""
        text = f"{self.status_code}{kind}: {self.message}"
        if self.request_id:
            text += f" (request id {self.request_id})"
        if self.attempts > 1:
            text += f" after {self.attempts} attempts"
        if self.idempotency_key is not None and self.status_code >= 500:
            text += (
                f"; Courier may have stored this answer for Idempotency-Key "
                f"{self.idempotency_key!r} and replays it to that key: check list_runs "
                "before sending again (see the client guide, 'Exactly once')"
            )
        return text

    def __reduce__(self) -> tuple[Any, ...]:
        kwargs = {
            "type": self.type,
            "request_id": self.request_id,
            "attempts": self.attempts,
            "body": self.body,
            "idempotency_key": self.idempotency_key,
        }
        return (partial(type(self), self.status_code, self.message, **kwargs), ())


class BadRequestError(CourierAPIError):
    """400: the request was refused as malformed (Courier's ``message`` says why).

    Examples:
        >>> issubclass(BadRequestError, CourierAPIError)
        True
    """


class AuthenticationError(CourierAPIError):
    """401: the API key is missing or wrong (test and production keys differ).

    Examples:
        >>> AuthenticationError(401, "Unauthorized").status_code
        401
    """


class PermissionDeniedError(CourierAPIError):
    """403: the key has no access to this workspace or resource.

    Examples:
        >>> PermissionDeniedError(403, "Forbidden").status_code
        403
    """


class NotFoundError(CourierAPIError):
    """404: the template, run or route does not exist here.

    Examples:
        >>> NotFoundError(404, "Not found").status_code
        404
    """


class ConflictError(CourierAPIError):
    """409: a request with the same ``Idempotency-Key`` is still being processed.

    Examples:
        >>> ConflictError(409, "In progress").status_code
        409
    """


class UnprocessableEntityError(CourierAPIError):
    """422: the request was understood but cannot be processed.

    Examples:
        >>> UnprocessableEntityError(422, "Unprocessable").status_code
        422
    """


class IdempotencyKeyReusedError(UnprocessableEntityError):
    """422 ``idempotency_error``: this ``Idempotency-Key`` was already used with another body.

    The server keeps the first request of a key; a different body under the same key is
    refused rather than answered with the first run. Use a new key for a new request.

    Examples:
        >>> err = IdempotencyKeyReusedError(
        ...     422, "key reused", type="idempotency_error", idempotency_key="signup-42")
        >>> isinstance(err, UnprocessableEntityError), err.idempotency_key
        (True, 'signup-42')
    """


class RateLimitError(CourierAPIError):
    """429: too many requests; the client waits as ``Retry-After`` says, up to a cap.

    Examples:
        >>> RateLimitError(429, "Slow down").status_code
        429
    """


class ServerError(CourierAPIError):
    """5xx: Courier failed; retried with backoff before this is raised.

    Examples:
        >>> ServerError(503, "Unavailable").status_code
        503
    """


class CourierConnectionError(AutomationError):
    """No answer from Courier: the connection failed or was dropped.

    Attributes:
        attempts: how many attempts were made before giving up.

    Examples:
        >>> str(CourierConnectionError("connection refused", attempts=3))
        'connection refused after 3 attempts'
    """

    message: str
    attempts: int

    def __init__(self, message: str, *, attempts: int = 1) -> None:
        self.message = message
        self.attempts = attempts
        suffix = f" after {attempts} attempts" if attempts > 1 else ""
        super().__init__(f"{message}{suffix}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (partial(type(self), self.message, attempts=self.attempts), ())


class CourierTimeoutError(CourierConnectionError):
    """No answer from Courier in time.

    Examples:
        >>> issubclass(CourierTimeoutError, CourierConnectionError)
        True
    """


class WaitTimeoutError(AutomationError, TimeoutError):
    """A run did not reach the awaited status in time ([`CourierClient.wait_for`][]).

    Attributes:
        run_id: the run waited for.
        last_status: the status last seen (``None``: Courier gave none, or no answer came).
        waited: the seconds waited.
        until: the statuses awaited.

    Examples:
        >>> error = WaitTimeoutError("1-abc", "WAITING", 30.0, ("PROCESSED",))
        >>> str(error)
        "run '1-abc' did not reach PROCESSED within 30.0 s (last status: 'WAITING')"
    """

    run_id: str
    last_status: str | None
    waited: float
    until: tuple[str, ...]

    def __init__(
        self, run_id: str, last_status: str | None, waited: float, until: tuple[str, ...]
    ) -> None:
        self.run_id = run_id
        self.last_status = last_status
        self.waited = waited
        self.until = until
        wanted = " or ".join(str(status) for status in until)
        seen = "none seen" if last_status is None else repr(str(last_status))
        super().__init__(
            f"run {_cut(repr(run_id))} did not reach {_cut(wanted)} within {waited:.1f} s "
            f"(last status: {_cut(seen)})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.run_id, self.last_status, self.waited, self.until))


STATUS_ERRORS: dict[int, type[CourierAPIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}
"""The exception class of each documented error status (5xx is [`ServerError`][])."""
