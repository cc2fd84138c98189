"""The sandbox server: endpoints, errors, idempotency, durability, simulation, faults, CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from automation_dsl import Automation, ConfigurationError, RetryPolicy
from automation_dsl.sandbox import Faults, Sandbox
from tests._flows import FLOW, START


def invoke(http: httpx.Client, body: Any, **headers: str) -> httpx.Response:
    return http.post("/automations/invoke", json=body, headers=headers)


def test_auth_is_bearer_with_courier_error_body(sandbox: Sandbox) -> None:
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": sandbox.api_key}):
        response = httpx.post(f"{sandbox.url}/automations/invoke", json={}, headers=headers)
        assert response.status_code == 401
        assert response.json()["type"] == "authentication_error"
        assert set(response.json()) == {"message", "type"}
    assert httpx.get(f"{sandbox.url}/automations/runs").status_code == 401


def test_unknown_routes_and_methods(http: httpx.Client) -> None:
    missing = http.get("/nope")
    assert missing.status_code == 404
    assert missing.json()["type"] == "invalid_request_error"
    wrong = http.get("/automations/invoke")
    assert wrong.status_code == 405
    assert "POST" in wrong.headers["allow"]
    assert wrong.json()["message"].startswith("Method GET not allowed")


def test_bad_bodies_are_400_naming_step_and_field(http: httpx.Client) -> None:
    not_json = http.post("/automations/invoke", content=b"{nope")
    assert not_json.status_code == 400
    assert not_json.json()["message"].startswith(
        "Invalid JSON body: expected valid JSON (Expecting property name"
    )
    typo = invoke(http, {"automation": {"steps": [{"action": "send"}, {"action": "delay"}]}})
    assert typo.status_code == 400
    assert "steps[1]" in typo.json()["message"]
    assert "exactly one of until= or duration=" in typo.json()["message"]
    naive = invoke(http, {"automation": {"steps": [{"action": "delay", "until": "soon"}]}})
    assert "steps[0].until" in naive.json()["message"]


def test_idempotent_replay_and_scope(sandbox: Sandbox, http: httpx.Client) -> None:
    body = FLOW.to_payload(recipient="u1")
    first = invoke(http, body, **{"Idempotency-Key": "k1"})
    again = invoke(http, body, **{"Idempotency-Key": "k1"})
    assert first.json() == again.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    sandbox.register_template("t", FLOW)
    other_path = http.post(
        "/automations/t/invoke", json={"recipient": "u1"}, headers={"Idempotency-Key": "k1"}
    )
    assert other_path.json() != first.json()
    assert len(sandbox.runs()) == 2


def test_validation_failures_are_not_remembered(sandbox: Sandbox, http: httpx.Client) -> None:
    bad = invoke(http, {"automation": {"steps": [{"action": "dealy"}]}}, **{"Idempotency-Key": "k"})
    good = invoke(http, FLOW.to_payload(), **{"Idempotency-Key": "k"})
    assert (bad.status_code, good.status_code) == (400, 200)
    assert len(sandbox.runs()) == 1


def test_error_answers_are_replayed_too(sandbox: Sandbox, http: httpx.Client) -> None:
    headers = {"Idempotency-Key": "k-404"}
    first = http.post("/automations/later/invoke", json={"recipient": "u"}, headers=headers)
    sandbox.register_template("later", FLOW)
    again = http.post("/automations/later/invoke", json={"recipient": "u"}, headers=headers)
    fresh = http.post("/automations/later/invoke", json={"recipient": "u"})
    assert (first.status_code, again.status_code, fresh.status_code) == (404, 404, 200)
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert [r.outcome for r in sandbox.requests()] == ["not-found", "replayed", "accepted"]


def test_a_key_is_kept_until_its_expiration(sandbox: Sandbox, http: httpx.Client) -> None:
    soon = str(int(time.time()) + 3600)
    headers = {"Idempotency-Key": "k", "x-idempotency-expiration": soon}
    first = invoke(http, FLOW.to_payload(), **headers)
    assert invoke(http, FLOW.to_payload(), **{"Idempotency-Key": "k"}).json() == first.json()
    keys = sandbox._service.idempotency
    keys.now = lambda: time.time() + 3601  # an hour later
    second = invoke(http, FLOW.to_payload(), **{"Idempotency-Key": "k"})
    third = invoke(http, FLOW.to_payload(), **{"Idempotency-Key": "k"})
    assert first.json() != second.json() == third.json()
    assert len(sandbox.runs()) == 2


def test_a_concurrent_request_with_the_same_key_gets_409(sandbox: Sandbox) -> None:
    sandbox.faults.latency = 0.3
    answers: list[httpx.Response] = []

    def send() -> None:
        answers.append(
            httpx.post(
                f"{sandbox.url}/automations/invoke",
                json=FLOW.to_payload(),
                headers={"Authorization": f"Bearer {sandbox.api_key}", "Idempotency-Key": "same"},
            )
        )

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
        time.sleep(0.05)
    for thread in threads:
        thread.join()
    assert sorted(a.status_code for a in answers) == [200, 409]
    assert len(sandbox.runs()) == 1


def test_templated_invoke_rules(sandbox: Sandbox, http: httpx.Client) -> None:
    missing = http.post("/automations/nope/invoke", json={"recipient": "u1"})
    assert missing.status_code == 404
    sandbox.register_template("welcome", FLOW)
    no_recipient = http.post("/automations/welcome/invoke", json={"data": {}})
    assert no_recipient.status_code == 400
    assert "recipient" in no_recipient.json()["message"]
    ok = http.post("/automations/welcome/invoke", json={"recipient": None, "data": {"a": 1}})
    assert ok.status_code == 200
    assert sandbox.run(ok.json()["runId"]).template_id == "welcome"
    assert sandbox.run(ok.json()["runId"]).payload == {"data": {"a": 1}}


def test_runs_listing_pages_and_filters(sandbox: Sandbox, http: httpx.Client) -> None:
    sandbox.register_template("t", Automation().send("A"))
    ids = [invoke(http, FLOW.to_payload(recipient=f"u{i}")).json()["runId"] for i in range(5)]
    templated = http.post("/automations/t/invoke", json={"recipient": "x"}).json()["runId"]
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        page = http.get("/automations/runs", params=params).json()
        assert len(page["runs"]) <= 2
        seen += [run["run_id"] for run in page["runs"]]
        cursor = page.get("next_cursor")
        if not cursor:
            break
    assert seen == [templated, *reversed(ids)]
    waiting = http.get("/automations/runs", params={"status": "WAITING"}).json()["runs"]
    assert {run["run_id"] for run in waiting} == set(ids)
    by_template = http.get("/automations/runs", params={"template_id": "t"}).json()["runs"]
    assert [run["run_id"] for run in by_template] == [templated]
    assert by_template[0]["source"] == ["invoke/t"]
    in_range = http.get(
        "/automations/runs", params={"start_date": "2024-04-08", "end_date": "2024-04-08"}
    ).json()
    assert len(in_range["runs"]) == 6
    later = http.get("/automations/runs", params={"start_date": "2024-04-09"}).json()
    assert later["runs"] == []
    assert http.get("/automations/runs", params={"start_date": "yesterday"}).status_code == 400
    assert len(http.get("/automations/runs", params={"limit": "999"}).json()["runs"]) == 6
    assert http.get("/automations/runs", params={"cursor": "garbage"}).status_code == 400


def test_run_steps(sandbox: Sandbox, http: httpx.Client) -> None:
    run_id = invoke(http, FLOW.to_payload(recipient="u1")).json()["runId"]
    steps = http.get(f"/automations/runs/{run_id}/steps").json()["steps"]
    assert [(s["action"], s["status"]) for s in steps] == [
        ("send", "PROCESSED"),
        ("delay", "WAITING"),
        ("send", "NOT PROCESSED"),
    ]
    assert steps[0]["message_id"]
    assert steps[0]["created_at"] == "2024-04-08T09:00:00.000Z"
    sandbox.advance()
    steps = http.get(f"/automations/runs/{run_id}/steps").json()["steps"]
    assert [s["status"] for s in steps] == ["PROCESSED"] * 3
    assert steps[2]["created_at"] == "2024-04-09T09:00:00.000Z"
    assert http.get("/automations/runs/nope/steps").status_code == 404


def test_a_restarted_sandbox_keeps_every_run(tmp_path: Path) -> None:
    db = tmp_path / "runs.db"
    with Sandbox(db=db, start=START) as first, first.client() as client:
        first.register_template("t", Automation().send("T"))
        waiting = client.invoke(FLOW, recipient="u1", idempotency_key="k")
        done = client.invoke(Automation().update_profile({"plan": "pro"}, recipient_id="u1"))
    with Sandbox(db=db) as second:
        assert {run.run_id for run in second.runs()} == {waiting, done}
        assert second.run(waiting).status == "WAITING"
        assert second.profile("u1") == {"plan": "pro"}
        assert second.now() == START
        with second.client() as client:
            assert client.invoke(FLOW, recipient="u1", idempotency_key="k") == waiting
            client.invoke_template("t", recipient="u2")
        second.advance()
        assert [m.template for m in second.run(waiting).messages] == ["WELCOME", "NUDGE"]
        assert len(second.runs()) == 3


@pytest.mark.parametrize(
    ("merge", "expected"),
    [
        ("replace", {"b": 2, "c": 3}),
        ("overwrite", {"a": 1, "b": 2, "c": 3}),
        ("soft-merge", {"a": 1, "b": 1, "c": 3}),
        ("none", {"a": 1, "b": 1}),
    ],
)
def test_update_profile_merge_strategies(
    sandbox: Sandbox, merge: str, expected: dict[str, int]
) -> None:
    flow = (
        Automation()
        .update_profile({"a": 1, "b": 1}, recipient_id="u1")
        .update_profile({"b": 2, "c": 3}, recipient_id="u1", merge=merge)  # type: ignore[arg-type]
    )
    with sandbox.client() as client:
        client.invoke(flow)
    assert sandbox.profile("u1") == expected


def test_cancel_by_token(sandbox: Sandbox) -> None:
    reminder = Automation("signup-u1").delay(hours=2).send("REMINDER")
    other = Automation("signup-u2").delay(hours=2).send("REMINDER")
    with sandbox.client() as client:
        canceled = client.invoke(reminder, recipient="u1")
        kept = client.invoke(other, recipient="u2")
        sandbox.advance(timedelta(hours=1))
        canceler = client.invoke(Automation().cancel("signup-u1"))
    sandbox.advance()
    assert sandbox.run(canceled).status == "CANCELED"
    assert sandbox.run(canceled).messages == ()
    assert [m.recipient for m in sandbox.messages()] == ["u2"]
    assert sandbox.run(kept).status == "PROCESSED"
    (event,) = [e for e in sandbox.run(canceler).events if e.action == "cancel"]
    assert event.detail == {"token": "signup-u1", "runs": 1}


def test_cancel_by_token_read_from_data(sandbox: Sandbox) -> None:
    from automation_dsl import Ref

    reminder = Automation(Ref("data.order")).delay(hours=2).send("REMINDER")
    with sandbox.client() as client:
        run_id = client.invoke(reminder, recipient="u1", data={"order": "o-9"})
        client.invoke(Automation().cancel(Ref("data.order")), data={"order": "o-9"})
    assert sandbox.run(run_id).status == "CANCELED"


def test_conditions_refs_and_message_status(sandbox: Sandbox) -> None:
    flow = (
        Automation()
        .send("WELCOME", ref="welcome")
        .delay(days=2)
        .send("NUDGE", if_="refs.welcome.status < MessageStatus.Opened")
        .send("PRO", if_="data.plan === 'pro'")
        .send("WEIRD", if_="data.items.map(x => x)")
    )
    with sandbox.client() as client:
        opened = client.invoke(flow, recipient="u1", data={"plan": "pro"})
        ignored = client.invoke(flow, recipient="u2", data={"plan": "free"})
    welcome = sandbox.run(opened).messages[0]
    sandbox.set_message_status(welcome.message_id, "OPENED")
    sandbox.advance()
    assert [m.template for m in sandbox.run(opened).messages] == ["WELCOME", "PRO"]
    assert [m.template for m in sandbox.run(ignored).messages] == ["WELCOME", "NUDGE"]
    outcomes = {(e.step, e.outcome) for e in sandbox.run(ignored).events}
    assert (3, "skipped") in outcomes
    assert (4, "not-evaluated") in outcomes


def test_invoke_step_fetch_data_and_send_composition(sandbox: Sandbox) -> None:
    sandbox.register_template("child", Automation().send("CHILD"))
    flow = (
        Automation()
        .fetch_data("https://api.example.test/user", merge_strategy="overwrite")
        .send("HELLO", data={"step": 1}, profile={"email": "s@x.test"})
        .invoke("child", context={"recipient": "kid"})
    )
    with (
        Sandbox(
            start=START,
            webhooks={"https://api.example.test/user": {"name": "Zoë"}},
            templates={"child": Automation().send("CHILD")},
        ) as sb,
        sb.client() as client,
    ):
        run_id = client.invoke(flow, recipient="u1", data={"plan": "pro"}, profile={"tz": "UTC"})
        hello, child = sb.messages()
        assert (hello.template, hello.recipient) == ("HELLO", "u1")
        assert hello.data == {"plan": "pro", "name": "Zoë", "step": 1}
        assert hello.profile == {"tz": "UTC", "email": "s@x.test"}
        assert (child.template, child.recipient) == ("CHILD", "kid")
        assert len(sb.runs()) == 2
        fetch = next(e for e in sb.run(run_id).events if e.action == "fetch-data")
        assert fetch.detail["url"] == "https://api.example.test/user"
        assert len(sb.timeline(run_id)) > len(sb.run(run_id).events)


def test_real_time_clock() -> None:
    with Sandbox(clock="real") as sb, sb.client() as client:
        soon = datetime.now(UTC) + timedelta(seconds=1)
        run_id = client.invoke(Automation().delay(until=soon).send("LATER"), recipient="u1")
        assert sb.run(run_id).status == "WAITING"
        deadline = time.monotonic() + 5
        while sb.run(run_id).status == "WAITING" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sb.run(run_id).status == "PROCESSED"
        with pytest.raises(ConfigurationError, match="virtual clock"):
            sb.advance()


def test_fault_injection_rates(sandbox: Sandbox) -> None:
    """Retryable faults (a 500 is not: Courier replays it for the key, see the next tests)."""
    sandbox.faults = Faults(
        error_503=0.2,
        rate_limit=0.1,
        retry_after=0.01,
        drop_before=0.05,
        drop_after=0.05,
        seed=3,
    )
    retry = RetryPolicy(
        max_retries=20, backoff=0.001, max_backoff=0.005, max_retry_after=0.01, budget_ratio=None
    )
    with Sandbox(faults=sandbox.faults) as sb, sb.client(retry=retry) as client:
        run_ids = [client.invoke(FLOW, recipient=f"u{i}") for i in range(150)]
        outcomes = [r.outcome for r in sb.requests()]
    assert len(set(run_ids)) == 150
    assert len(sb.runs()) == 150
    for kind in ("503", "429", "drop-before", "drop-after"):
        assert kind in outcomes, kind
    faulty = sum(o not in ("accepted", "replayed") for o in outcomes) / len(outcomes)
    assert 0.25 < faulty < 0.55


def test_faults_are_validated() -> None:
    with pytest.raises(ValueError, match="probability"):
        Faults(error_500=1.5)
    with pytest.raises(ValueError, match="script"):
        Faults(script=["boom"])


def test_templates_dir(tmp_path: Path) -> None:
    (tmp_path / "welcome.json").write_text(json.dumps(FLOW.to_dict()))
    with Sandbox(templates_dir=tmp_path) as sb, sb.client() as client:
        run_id = client.invoke_template("welcome", recipient="u1")
        assert sb.run(run_id).automation == FLOW


def test_cli_serves_the_sandbox(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "automation_dsl._cli",
            "sandbox",
            "--port",
            "0",
            "--api-key",
            "sk_cli",
            "--db",
            str(tmp_path / "cli.db"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("Courier sandbox on http://127.0.0.1:")
        url = line.split()[3]
        deadline = time.monotonic() + 10
        while True:
            try:
                response = httpx.post(
                    f"{url}/automations/invoke",
                    json=FLOW.to_payload(),
                    headers={"Authorization": "Bearer sk_cli"},
                )
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        assert response.status_code == 200
        assert response.json()["runId"].startswith("1-")
    finally:
        process.terminate()
        process.wait(timeout=10)
        assert process.stdout is not None
        assert process.stderr is not None
        process.stdout.close()
        process.stderr.close()
    with Sandbox(db=tmp_path / "cli.db") as reopened:
        assert len(reopened.runs()) == 1


def test_an_unknown_run_id_is_a_library_error_and_still_a_key_error(sandbox: Sandbox) -> None:
    from automation_dsl import ValidationError

    for run_id in ("nope", 42, ["x"]):
        with pytest.raises(ValidationError) as raised:
            sandbox.run(run_id)  # type: ignore[arg-type]
        assert raised.value.field == "run_id"
        assert isinstance(raised.value, KeyError)  # code written for the old KeyError
        assert str(raised.value).startswith("Sandbox.run: 'run_id' expected the id of a run")


def test_the_log_filter_is_installed_by_start_not_by_import() -> None:
    script = (
        "import logging\n"
        "import automation_dsl.sandbox as sandbox\n"
        "log = logging.getLogger('uvicorn.error')\n"
        "assert log.filters == [], log.filters\n"
        "with sandbox.Sandbox(), sandbox.Sandbox():\n"
        "    pass\n"
        "with sandbox.Sandbox():\n"
        "    pass\n"
        "assert len(log.filters) == 1, log.filters\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
