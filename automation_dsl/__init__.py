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

from ._automation import Automation
from ._errors import AutomationError, ValidationError, ValidationTypeError
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

__version__ = "0.1.0"

__all__ = [
    "AddToBatch",
    "AddToDigest",
    "Automation",
    "AutomationError",
    "BatchScope",
    "Cancel",
    "DataSource",
    "Delay",
    "FetchData",
    "HttpMethod",
    "Invoke",
    "MergeStrategy",
    "RawStep",
    "Ref",
    "Retain",
    "RetainType",
    "RunContext",
    "Send",
    "SendList",
    "SendMessage",
    "Step",
    "Throttle",
    "UntilFormat",
    "UpdateProfile",
    "ValidationError",
    "ValidationTypeError",
    "Webhook",
    "invoke_schema",
]
