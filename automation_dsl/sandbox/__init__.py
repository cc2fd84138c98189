"""A local, Courier-compatible automations server: the built-in default for demos,
notebooks and tests.

It speaks Courier's automations API on loopback (invoke, templated invoke, runs and
run steps), with Bearer auth, Courier's error bodies, idempotency keys as Courier
documents them, and fault injection; it runs each automation on a clock with the
library's simulator and keeps everything in SQLite. Install it with the ``sandbox``
extra (Starlette and uvicorn).

Examples:
    >>> from datetime import datetime, timezone
    >>> from automation_dsl import Automation
    >>> from automation_dsl.sandbox import Sandbox
    >>> flow = Automation().send("WELCOME").delay(days=1).send("NUDGE")
    >>> with Sandbox(start=datetime(2024, 4, 8, tzinfo=timezone.utc)) as sandbox:
    ...     with sandbox.client() as client:
    ...         run_id = client.invoke(flow, recipient="user-1")
    ...     sandbox.advance()  # until no run is waiting
    ...     [(m.template, m.at.day) for m in sandbox.messages()]
    [('WELCOME', 8), ('NUDGE', 9)]
"""

from ._faults import FAULT_KINDS, Faults
from ._server import Sandbox
from ._service import InvokeRequest, SandboxRun
from ._simulator import Event, Message, Timeline

__all__ = [
    "FAULT_KINDS",
    "Event",
    "Faults",
    "InvokeRequest",
    "Message",
    "Sandbox",
    "SandboxRun",
    "Timeline",
]
