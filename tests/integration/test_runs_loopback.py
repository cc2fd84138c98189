"""get_run, wait_for and list_templates against a real sandbox on loopback, sync and async."""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta

import pytest

from automation_dsl import (
    Automation,
    AutomationRun,
    NotFoundError,
    RunStatus,
    ValidationError,
    WaitTimeoutError,
)
from automation_dsl.sandbox import Sandbox

pytestmark = pytest.mark.integration

SLOW = Automation().send("WELCOME").delay(days=1).send("NUDGE")


def test_get_run_follows_the_run(sandbox: Sandbox) -> None:
    with sandbox.client() as client:
        run_id = client.invoke(SLOW, recipient="u1")
        run = client.get_run(run_id)
        assert (run.run_id, run.status) == (run_id, RunStatus.WAITING)
        assert run == next(r for r in client.list_runs() if r.run_id == run_id)
        sandbox.advance(timedelta(days=2))
        assert client.get_run(run_id).status is RunStatus.PROCESSED
        with pytest.raises(NotFoundError, match="not found"):
            client.get_run("1-nope")
        with pytest.raises(ValidationError, match="run_id"):
            client.get_run("..")


def test_wait_for_returns_when_the_clock_moves_and_times_out_otherwise(sandbox: Sandbox) -> None:
    with sandbox.client() as client:
        run_id = client.invoke(SLOW, recipient="u1")
        with pytest.raises(WaitTimeoutError) as caught:
            client.wait_for(run_id, timeout=0.2, poll=0.02)
        assert (caught.value.run_id, caught.value.last_status) == (run_id, "WAITING")
        assert client.wait_for(run_id, until=RunStatus.WAITING, poll=0.02).status == "WAITING"
        done: list[AutomationRun] = []
        waiter = threading.Thread(
            target=lambda: done.append(client.wait_for(run_id, timeout=20, poll=0.02))
        )
        waiter.start()
        sandbox.advance(timedelta(days=2))
        waiter.join(30)
        assert [run.status for run in done] == [RunStatus.PROCESSED]


def test_list_templates_serves_the_registered_templates(sandbox: Sandbox) -> None:
    for index in range(45):
        sandbox.register_template(f"tpl-{index:02}", Automation().send(f"T{index}"))
    with sandbox.client() as client:
        templates = list(client.list_templates())
        drafts = list(client.list_templates(version="draft"))
    assert [t.id for t in templates] == [f"tpl-{i:02}" for i in range(45)]
    assert {t.version for t in templates} == {"published"}
    assert {t.version for t in drafts} == {"draft"}


def test_async_get_run_wait_for_and_list_templates(sandbox: Sandbox) -> None:
    sandbox.register_template("onboarding", Automation().send("WELCOME"))

    async def main() -> tuple[str | None, str | None, list[str]]:
        async with sandbox.async_client() as client:
            run_id = await client.invoke_template("onboarding", recipient="u1")
            first = await client.get_run(run_id)
            last = await client.wait_for(run_id, timeout=10, poll=0.02)
            ids = [t.id async for t in client.list_templates()]
            slow = await client.invoke(SLOW, recipient="u2")
            with pytest.raises(WaitTimeoutError, match="WAITING"):
                await client.wait_for(slow, timeout=0.1, poll=0.02)
            return first.status, last.status, ids

    assert asyncio.run(main()) == ("PROCESSED", "PROCESSED", ["onboarding"])
