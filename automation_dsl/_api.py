"""The one-liners: invoke an automation with a client made for the call (httpx's ``_api``).

``run`` and ``arun`` own their client when none is given: one made from the environment
(``COURIER_API_KEY``, ``COURIER_BASE_URL``), used once and closed. [`Automation.run`][]
and [`Automation.arun`][] delegate here, so an automation never sends itself. The
client, and httpx, load on first use.

Examples:
    >>> from automation_dsl import Automation
    >>> from automation_dsl.sandbox import Sandbox
    >>> with Sandbox() as sandbox, sandbox.client() as client:
    ...     run_id = run(Automation().send("WELCOME"), recipient="user-1", client=client)
    >>> run_id.startswith("1-")
    True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._types import DataLike
from ._values import given_context

if TYPE_CHECKING:
    import httpx

    from ._automation import Automation
    from ._client import AsyncCourierClient, CourierClient


def run(
    automation: Automation,
    *,
    data: DataLike | None = None,
    profile: DataLike | None = None,
    recipient: str | None = None,
    brand: str | None = None,
    template: str | None = None,
    idempotency_key: str | None = None,
    client: CourierClient | None = None,
    transport: httpx.BaseTransport | None = None,
) -> str:
    """Invoke ``automation`` and return the ``runId``: what [`Automation.run`][] does.

    Without ``client``, a [`CourierClient`][] is made from the
    environment for this call (with ``transport``, if given, as its HTTP transport).
    """
    from ._client import CourierClient

    context = given_context(
        data=data, profile=profile, recipient=recipient, brand=brand, template=template
    )
    if client is not None:
        return client.invoke(automation, idempotency_key=idempotency_key, **context)
    with CourierClient(transport=transport) as own:
        return own.invoke(automation, idempotency_key=idempotency_key, **context)


async def arun(
    automation: Automation,
    *,
    data: DataLike | None = None,
    profile: DataLike | None = None,
    recipient: str | None = None,
    brand: str | None = None,
    template: str | None = None,
    idempotency_key: str | None = None,
    client: AsyncCourierClient | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> str:
    """The asyncio twin of `run`: what [`Automation.arun`][] does."""
    from ._client import AsyncCourierClient

    context = given_context(
        data=data, profile=profile, recipient=recipient, brand=brand, template=template
    )
    if client is not None:
        return await client.invoke(automation, idempotency_key=idempotency_key, **context)
    async with AsyncCourierClient(transport=transport) as own:
        return await own.invoke(automation, idempotency_key=idempotency_key, **context)
