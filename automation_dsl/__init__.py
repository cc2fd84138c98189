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

Every public name lives in a private module and is exported here, from one table,
`_EXPORTS`. Public classes and functions report this package as their module
(``automation_dsl.Send``, as httpx does), so reprs, tracebacks, docs and pickles name
the public home and survive private moves.
"""

from importlib import import_module
from types import FunctionType
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "AddToBatch": "._steps",
    "AddToDigest": "._steps",
    "AsyncCourierClient": "._client",
    "AuthenticationError": "._errors",
    "Automation": "._automation",
    "AutomationDiff": "._diff",
    "AutomationError": "._errors",
    "AutomationRun": "._runs",
    "AutomationTemplate": "._runs",
    "BadRequestError": "._errors",
    "BatchScope": "._values",
    "BulkFailure": "._bulk",
    "BulkResult": "._bulk",
    "Cancel": "._steps",
    "ConditionLike": ".conditions",
    "ConfigurationError": "._errors",
    "ConflictError": "._errors",
    "CourierAPIError": "._errors",
    "CourierClient": "._client",
    "CourierConnectionError": "._errors",
    "CourierTimeoutError": "._errors",
    "DataSource": "._values",
    "Delay": "._steps",
    "Event": "._timeline",
    "FieldChange": "._diff",
    "Exploration": "._explore",
    "ExploredPath": "._explore",
    "FetchData": "._steps",
    "HttpMethod": "._values",
    "IdempotencyKeyReusedError": "._errors",
    "Invoke": "._steps",
    "JournalError": "._errors",
    "LocalInstant": "._localtime",
    "LocalTime": "._localtime",
    "MergeStrategy": "._values",
    "Message": "._timeline",
    "MessageDelay": "._delivery",
    "MessageStatus": "._status",
    "NotEvaluated": "._errors",
    "NotFoundError": "._errors",
    "OpeningHours": "._delivery",
    "PayloadSchema": "._payload_schema",
    "PermissionDeniedError": "._errors",
    "RateLimitError": "._errors",
    "RawStep": "._steps",
    "Ref": "._ref",
    "RefLike": "._ref",
    "Retain": "._values",
    "RetainType": "._values",
    "RetryPolicy": "._retry",
    "Rule": "._explore",
    "RunContext": "._values",
    "RunStatus": "._status",
    "RunStep": "._runs",
    "Schedule": "._schedule",
    "ScheduleRow": "._schedule",
    "ScheduledStep": "._schedule",
    "Send": "._steps",
    "SendList": "._steps",
    "SendMessage": "._steps",
    "ServerError": "._errors",
    "Step": "._steps",
    "StepChange": "._diff",
    "SupportsRef": "._ref",
    "Throttle": "._steps",
    "Timeline": "._timeline",
    "UnprocessableEntityError": "._errors",
    "UntilFormat": "._time",
    "UpdateProfile": "._steps",
    "ValidationError": "._errors",
    "ValidationTypeError": "._errors",
    "Violation": "._explore",
    "WaitTimeoutError": "._errors",
    "Webhook": "._values",
    "Witness": "._explore",
    "at": "._localtime",
    "ends_or_cancelable": "._rules",
    "format_duration": "._timetext",
    "format_period": "._timetext",
    "format_until": "._timetext",
    "invoke_schema": "._schema",
    "max_sends": "._rules",
    "no_send_after_cancel": "._rules",
    "parse_duration": "._timetext",
    "parse_period": "._timetext",
    "parse_until": "._timetext",
    "quiet_hours": "._rules",
    "refs_set_before_read": "._rules",
    "when": "._when",
}
"""Each public name and the private module that defines it."""

# Building automations never imports httpx: these modules load on first use.
_LAZY_MODULES = frozenset(
    {
        "._bulk",
        "._client",
        "._explore",
        "._retry",
        "._rules",
        "._runs",
        "._timeline",
        "._when",
        ".conditions",
    }
)

__all__ = sorted(_EXPORTS)  # pyright: ignore[reportUnsupportedDunderAll]


_PUBLIC: dict[str, Any] = {}


def _publish(module: str) -> None:
    """Load the public names of ``module`` and name this package as their module.

    They are served by ``__getattr__`` and kept out of this module's namespace, so a
    doctest finder reads each docstring once, in its defining module (``__test__``
    there lists the names it now reports as ours).
    """
    loaded = import_module(module, __name__)
    tests = loaded.__dict__.setdefault("__test__", {})
    for name, home in _EXPORTS.items():
        if home == module and name not in _PUBLIC:
            value = getattr(loaded, name)
            if isinstance(value, type | FunctionType):  # not a type alias
                if value.__module__ == loaded.__name__:
                    value.__module__ = __name__
                tests[name] = value
            _PUBLIC[name] = value


def _publish_eager() -> None:
    for module in sorted(set(_EXPORTS.values()) - _LAZY_MODULES):
        _publish(module)


_publish_eager()


def __getattr__(name: str) -> Any:
    try:
        return _PUBLIC[name]
    except KeyError:
        pass
    home = _EXPORTS.get(name)
    if home is None:
        raise AttributeError(f"module 'automation_dsl' has no attribute {name!r}")
    _publish(home)
    return _PUBLIC[name]


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:  # what type checkers read; tests check that it matches _EXPORTS
    from ._automation import Automation as Automation
    from ._bulk import BulkFailure as BulkFailure
    from ._bulk import BulkResult as BulkResult
    from ._client import AsyncCourierClient as AsyncCourierClient
    from ._client import CourierClient as CourierClient
    from ._delivery import MessageDelay as MessageDelay
    from ._delivery import OpeningHours as OpeningHours
    from ._diff import AutomationDiff as AutomationDiff
    from ._diff import FieldChange as FieldChange
    from ._diff import StepChange as StepChange
    from ._errors import AuthenticationError as AuthenticationError
    from ._errors import AutomationError as AutomationError
    from ._errors import BadRequestError as BadRequestError
    from ._errors import ConfigurationError as ConfigurationError
    from ._errors import ConflictError as ConflictError
    from ._errors import CourierAPIError as CourierAPIError
    from ._errors import CourierConnectionError as CourierConnectionError
    from ._errors import CourierTimeoutError as CourierTimeoutError
    from ._errors import IdempotencyKeyReusedError as IdempotencyKeyReusedError
    from ._errors import JournalError as JournalError
    from ._errors import NotEvaluated as NotEvaluated
    from ._errors import NotFoundError as NotFoundError
    from ._errors import PermissionDeniedError as PermissionDeniedError
    from ._errors import RateLimitError as RateLimitError
    from ._errors import ServerError as ServerError
    from ._errors import UnprocessableEntityError as UnprocessableEntityError
    from ._errors import ValidationError as ValidationError
    from ._errors import ValidationTypeError as ValidationTypeError
    from ._errors import WaitTimeoutError as WaitTimeoutError
    from ._explore import Exploration as Exploration
    from ._explore import ExploredPath as ExploredPath
    from ._explore import Rule as Rule
    from ._explore import Violation as Violation
    from ._explore import Witness as Witness
    from ._localtime import LocalInstant as LocalInstant
    from ._localtime import LocalTime as LocalTime
    from ._localtime import at as at
    from ._payload_schema import PayloadSchema as PayloadSchema
    from ._ref import Ref as Ref
    from ._ref import RefLike as RefLike
    from ._ref import SupportsRef as SupportsRef
    from ._retry import RetryPolicy as RetryPolicy
    from ._rules import ends_or_cancelable as ends_or_cancelable
    from ._rules import max_sends as max_sends
    from ._rules import no_send_after_cancel as no_send_after_cancel
    from ._rules import quiet_hours as quiet_hours
    from ._rules import refs_set_before_read as refs_set_before_read
    from ._runs import AutomationRun as AutomationRun
    from ._runs import AutomationTemplate as AutomationTemplate
    from ._runs import RunStep as RunStep
    from ._schedule import Schedule as Schedule
    from ._schedule import ScheduledStep as ScheduledStep
    from ._schedule import ScheduleRow as ScheduleRow
    from ._schema import invoke_schema as invoke_schema
    from ._status import MessageStatus as MessageStatus
    from ._status import RunStatus as RunStatus
    from ._steps import AddToBatch as AddToBatch
    from ._steps import AddToDigest as AddToDigest
    from ._steps import Cancel as Cancel
    from ._steps import Delay as Delay
    from ._steps import FetchData as FetchData
    from ._steps import Invoke as Invoke
    from ._steps import RawStep as RawStep
    from ._steps import Send as Send
    from ._steps import SendList as SendList
    from ._steps import SendMessage as SendMessage
    from ._steps import Step as Step
    from ._steps import Throttle as Throttle
    from ._steps import UpdateProfile as UpdateProfile
    from ._time import UntilFormat as UntilFormat
    from ._timeline import Event as Event
    from ._timeline import Message as Message
    from ._timeline import Timeline as Timeline
    from ._timetext import format_duration as format_duration
    from ._timetext import format_period as format_period
    from ._timetext import format_until as format_until
    from ._timetext import parse_duration as parse_duration
    from ._timetext import parse_period as parse_period
    from ._timetext import parse_until as parse_until
    from ._values import BatchScope as BatchScope
    from ._values import DataSource as DataSource
    from ._values import HttpMethod as HttpMethod
    from ._values import MergeStrategy as MergeStrategy
    from ._values import Retain as Retain
    from ._values import RetainType as RetainType
    from ._values import RunContext as RunContext
    from ._values import Webhook as Webhook
    from ._when import when as when
    from .conditions import ConditionLike as ConditionLike
