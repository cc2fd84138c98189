"""The aiohttp bulk sender: bulk invokes straight through an ``aiohttp.ClientSession``.

About a quarter of the client CPU per request of httpx on aiohttp, with the same retry
loop (`RetryState`) and the same errors. Optional: it needs
the ``fast`` extra, and `automation_dsl._bulk_run.open_sender` is the one place
that decides to use it (only for a client given no transport or http client of the
caller's). Importing this module imports aiohttp.
"""

from __future__ import annotations

import asyncio

import aiohttp
import httpx

from ._http import _USER_AGENT, _api_error_from, _run_id_from
from ._retry import RetryPolicy, RetryState

_PATH = "/automations/invoke"


class AiohttpSender:
    """A `BulkSender` on an ``aiohttp.ClientSession`` of
    its own, holding at most ``concurrency`` connections; open it inside the event loop
    that uses it."""

    def __init__(
        self,
        base_url: str,
        authorization: str,
        retry: RetryPolicy,
        timeout: httpx.Timeout,
        concurrency: int,
    ) -> None:
        self.errors = (aiohttp.ClientError, asyncio.TimeoutError)
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=concurrency),
            timeout=aiohttp.ClientTimeout(sock_connect=timeout.connect, sock_read=timeout.read),
            headers={
                "Authorization": authorization,
                "Accept": "application/json",
                "Content-Type": "application/json",
                "User-Agent": _USER_AGENT,
            },
        )
        self.url = base_url + _PATH
        self.retry = retry

    async def send(self, body: bytes, key: str) -> tuple[str, int]:
        """POST one invoke; returns its run id and the attempts it took."""
        attempts = RetryState(self.retry, "POST", _PATH)
        while True:
            attempts.start()
            try:
                async with self.session.post(
                    self.url, data=body, headers={"Idempotency-Key": key}
                ) as response:
                    content = await response.read()
            except self.errors as error:
                timed_out = isinstance(error, asyncio.TimeoutError)
                wait = attempts.failed(type(error).__name__, timed_out=timed_out)
            else:
                status = response.status
                retry_in = attempts.answered(status, response.headers.get("Retry-After"))
                if retry_in is None:
                    if status >= 400:
                        raise _api_error_from(
                            status,
                            response.headers,
                            content,
                            response.reason or "",
                            attempts.count,
                            key,
                        )
                    return _run_id_from(content, status, attempts.count), attempts.count
                wait = retry_in
            await asyncio.sleep(wait)

    async def close(self) -> None:
        """Close the session and its connections."""
        await self.session.close()
