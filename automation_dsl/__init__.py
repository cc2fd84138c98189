"""automation-dsl: Courier notification automations as typed, immutable Python.

Build an automation with a chain of calls; each returns a new automation:

    >>> from datetime import datetime, timezone
    >>> from automation_dsl import Automation
    >>> flow = (
    ...     Automation()
    ...     .send("SAMPLE_TEMPLATE")
    ...     .delay(until=datetime(2024, 4, 8, 8, 9, 10, 123000, tzinfo=timezone.utc))
    ... )
    >>> flow.to_payload(data={"name": "Jane Doe"})["automation"]["steps"][1]
    {'action': 'delay', 'until': '20240408T080910.123'}
"""

from typing import TYPE_CHECKING, Any

from ._automation import Automation
from ._errors import (
    AuthenticationError,
    AutomationError,
    BadRequestError,
    ConfigurationError,
    ConflictError,
    CourierAPIError,
    CourierConnectionError,
    CourierTimeoutError,
    IdempotencyKeyReusedError,
    JournalError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    UnprocessableEntityError,
    ValidationError,
    ValidationTypeError,
)
from ._ref import Ref
from ._schema import invoke_schema
from ._steps import (
    AddToBatch,
    AddToDigest,
    BatchScope,
    Cancel,
    DataSource,
    Delay,
    FetchData,
    HttpMethod,
    Invoke,
    MergeStrategy,
    RawStep,
    Retain,
    RetainType,
    RunContext,
    Send,
    SendList,
    SendMessage,
    Step,
    Throttle,
    UpdateProfile,
    Webhook,
)
from ._time import UntilFormat

if TYPE_CHECKING:
    from ._bulk import BulkFailure, BulkResult
    from ._client import AsyncCourierClient, CourierClient
    from ._js import MessageStatus, NotEvaluated
    from ._retry import RetryPolicy
    from ._runs import AutomationRun, RunStep
    from ._timeline import Event, Message, Timeline

__version__ = "0.1.0"

# Building automations never imports httpx: the client, the simulator and their helpers
# load on first use.
_LAZY = {
    "AsyncCourierClient": "._client",
    "BulkFailure": "._bulk",
    "BulkResult": "._bulk",
    "AutomationRun": "._runs",
    "CourierClient": "._client",
    "Event": "._timeline",
    "Message": "._timeline",
    "MessageStatus": "._js",
    "NotEvaluated": "._js",
    "RetryPolicy": "._retry",
    "RunStep": "._runs",
    "Timeline": "._timeline",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'automation_dsl' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "AddToBatch",
    "AddToDigest",
    "AsyncCourierClient",
    "AuthenticationError",
    "Automation",
    "AutomationError",
    "AutomationRun",
    "BadRequestError",
    "BatchScope",
    "BulkFailure",
    "BulkResult",
    "Cancel",
    "ConfigurationError",
    "ConflictError",
    "CourierAPIError",
    "CourierClient",
    "CourierConnectionError",
    "CourierTimeoutError",
    "DataSource",
    "Delay",
    "Event",
    "FetchData",
    "HttpMethod",
    "IdempotencyKeyReusedError",
    "Invoke",
    "JournalError",
    "MergeStrategy",
    "Message",
    "MessageStatus",
    "NotEvaluated",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RawStep",
    "Ref",
    "Retain",
    "RetainType",
    "RetryPolicy",
    "RunContext",
    "RunStep",
    "Send",
    "SendList",
    "SendMessage",
    "ServerError",
    "Step",
    "Throttle",
    "Timeline",
    "UnprocessableEntityError",
    "UntilFormat",
    "UpdateProfile",
    "ValidationError",
    "ValidationTypeError",
    "Webhook",
    "invoke_schema",
]
