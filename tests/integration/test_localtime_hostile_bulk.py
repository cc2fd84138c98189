"""Hostile resumes of local-time batches through the sandbox: a kept body is resent only
for the row it was first sent for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from automation_dsl import Automation, at
from automation_dsl.conditions import profile
from automation_dsl.sandbox import Sandbox

START = datetime(2026, 3, 7, 12, tzinfo=UTC)
PLAIN = Automation().delay(hours=1).send("A")
LOCAL = Automation().delay(until=at("09:00", tz=profile.timezone, fallback="UTC")).send("A")


@pytest.mark.parametrize("flow", [PLAIN, LOCAL], ids=["plain", "local-time"])
def test_a_key_reused_for_a_changed_row_is_refused_on_resume(
    flow: Automation, tmp_path: Path
) -> None:
    # Before: a local-time batch resent (or counted as done) the body kept for the key,
    # silently ignoring that the row's data had changed; a plain batch refuses it.
    journal = tmp_path / "batch.db"
    first = [{"recipient": "u1", "data": {"v": 1}, "profile": {"timezone": "Asia/Tokyo"}}]
    changed = [{"recipient": "u1", "data": {"v": 2}, "profile": {"timezone": "Asia/Tokyo"}}]

    def key(context: dict[str, object]) -> str:
        return str(context["recipient"])

    with Sandbox(start=START) as sandbox, sandbox.client() as client:
        done = client.invoke_many(flow, first, key=key, journal=journal, now=START, progress=False)
        assert done.ok
        again = client.invoke_many(
            flow,
            changed,
            key=key,
            journal=journal,
            resume=True,
            now=START + timedelta(days=1),
            progress=False,
        )
    assert again.resumed == 0
    assert [failure.error.field for failure in again.failures] == ["key"]  # type: ignore[attr-defined]


def test_the_sandbox_refuses_an_unresolved_local_time_as_courier_would() -> None:
    # Before: the sandbox ran {"$local": ...} (200), so a client that forgot to resolve it
    # passed its tests and failed against Courier, which knows no $local.
    body = {
        "automation": {
            "steps": [{"action": "delay", "until": {"$local": {"at": "09:00", "tz": "UTC"}}}]
        },
        "recipient": "u1",
    }
    with Sandbox(start=START) as sandbox:
        answer = httpx.post(
            sandbox.url + "/automations/invoke",
            json=body,
            headers={"Authorization": f"Bearer {sandbox.api_key}"},
        )
    assert answer.status_code == 400, answer.text
    assert "steps[0].until" in answer.json()["message"]
