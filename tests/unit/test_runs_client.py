"""get_run, wait_for and list_templates against httpx.MockTransport, hostile answers
included; RunStatus as an open enum."""

from __future__ import annotations

import asyncio
import json
import math
import pickle
from collections.abc import Callable, Iterator
from urllib.parse import unquote

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from automation_dsl import (
    AsyncCourierClient,
    AutomationRun,
    AutomationTemplate,
    CourierAPIError,
    CourierClient,
    NotFoundError,
    RetryPolicy,
    RunStatus,
    ValidationError,
    WaitTimeoutError,
)

Handler = Callable[[httpx.Request], httpx.Response]
NO_RETRY = RetryPolicy(max_retries=0)


def client(handler: Handler) -> CourierClient:
    return CourierClient(api_key="k", transport=httpx.MockTransport(handler), retry=NO_RETRY)


def aclient(handler: Handler) -> AsyncCourierClient:
    async def respond(request: httpx.Request) -> httpx.Response:
        return handler(request)

    return AsyncCourierClient(api_key="k", transport=httpx.MockTransport(respond), retry=NO_RETRY)


def statuses(*sequence: str | None) -> tuple[Handler, list[httpx.Request]]:
    """A handler answering each GET of the run with the next status (the last repeats)."""
    seen: list[httpx.Request] = []
    answers: Iterator[str | None] = iter(sequence)
    last: list[str | None] = [None]

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        last[0] = next(answers, last[0])
        asked = unquote(request.url.raw_path.decode().rpartition("/")[2])
        body: dict[str, object] = {"run_id": asked, "source": []}  # the run asked for
        if last[0] is not None:
            body["status"] = last[0]
        return httpx.Response(200, json=body)

    return handler, seen


# -- RunStatus ---------------------------------------------------------------------------


def test_run_status_members_are_the_strings_courier_sends() -> None:
    assert RunStatus("NOT PROCESSED") is RunStatus.NOT_PROCESSED
    assert RunStatus.WAITING == "WAITING"
    assert json.dumps([RunStatus.ERROR]) == '["ERROR"]'
    assert repr(RunStatus.CANCELED) == "'CANCELED'"
    assert set(RunStatus.ACTIVE) | set(RunStatus.TERMINAL) == {s.value for s in RunStatus}


@given(st.text(max_size=50))
def test_any_text_is_a_run_status(text: str) -> None:
    status = RunStatus(text)
    assert status == text
    assert isinstance(status, str)
    assert status.known == (text in {s.value for s in RunStatus})
    assert status.terminal == (text in RunStatus.TERMINAL)


def test_a_status_courier_added_parses_and_is_not_cached() -> None:
    run = AutomationRun.from_wire({"run_id": "r", "status": "PAUSED", "source": []})
    assert run.status == "PAUSED"
    assert run.status is not None
    assert not run.status.known
    assert not run.status.terminal
    for index in range(1000):
        RunStatus(f"NEW-{index}")
    assert len(RunStatus.__members__) == 7
    assert pickle.loads(pickle.dumps(RunStatus.WAITING)) is RunStatus.WAITING


def test_run_status_refuses_what_is_not_text() -> None:
    with pytest.raises(ValueError, match="expected a status name"):
        RunStatus(3)  # type: ignore[arg-type]


# -- get_run -----------------------------------------------------------------------------


def test_get_run_reads_the_single_run_endpoint() -> None:
    handler, seen = statuses("WAITING")
    run = client(handler).get_run("1-abc/../x")
    assert seen[0].url.raw_path == b"/automations/runs/1-abc%2F..%2Fx"
    assert (run.run_id, run.status) == ("1-abc/../x", RunStatus.WAITING)


def test_get_run_without_run_id_is_the_run_asked_for() -> None:
    answer = httpx.Response(200, json={"status": "PROCESSED"})
    run = client(lambda r: answer).get_run("r-9")
    assert (run.run_id, run.status) == ("r-9", "PROCESSED")


@pytest.mark.parametrize(
    ("content", "shown"),
    [
        (b"not json", "a JSON object"),
        (b"[1, 2]", "a JSON object"),
        (b"\xff\xfe", "a JSON object"),
        (b'{"run_id": 5}', "a string 'run_id'"),
        (b"[" * 100_000 + b"]" * 100_000, "a JSON object"),
    ],
)
def test_get_run_hostile_answers_are_courier_api_errors(content: bytes, shown: str) -> None:
    with pytest.raises(CourierAPIError, match=shown) as caught:
        client(lambda r: httpx.Response(200, content=content)).get_run("r")
    assert len(str(caught.value)) < 400


def test_get_run_wrong_types_read_as_absent() -> None:
    body = {"run_id": "r", "status": 7, "created_at": [], "template_id": {}, "source": "x"}
    run = client(lambda r: httpx.Response(200, json=body)).get_run("r")
    assert run == AutomationRun(run_id="r")


def test_get_run_not_found() -> None:
    answer = httpx.Response(404, json={"message": "Run not found", "type": "invalid_request_error"})
    with pytest.raises(NotFoundError):
        client(lambda r: answer).get_run("nope")


@pytest.mark.parametrize(
    "run_id", ["", " ", ".", "..", "x" * 10_000, "a\ud800", None, 5, b"r-1", ["r"]]
)
def test_get_run_hostile_ids_are_refused_before_sending(run_id: object) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError("sent")

    with pytest.raises(ValidationError, match="run_id"):
        client(handler).get_run(run_id)  # type: ignore[arg-type]


def test_get_run_nul_and_slash_are_escaped() -> None:
    handler, seen = statuses("WAITING")
    client(handler).get_run("a\x00b/c")
    assert seen[0].url.raw_path == b"/automations/runs/a%00b%2Fc"


# -- wait_for ----------------------------------------------------------------------------


def test_wait_for_polls_until_a_terminal_status() -> None:
    handler, seen = statuses("PROCESSING", "WAITING", "WAITING", "PROCESSED")
    run = client(handler).wait_for("r-1", timeout=5, poll=0.001)
    assert run.status == RunStatus.PROCESSED
    assert len(seen) == 4


def test_wait_for_a_given_status_a_new_one_too() -> None:
    handler, _ = statuses("PROCESSING", "PAUSED")
    assert client(handler).wait_for("r-1", until="PAUSED", poll=0.001).status == "PAUSED"
    handler, _ = statuses("PROCESSING", "WAITING")
    run = client(handler).wait_for("r-1", until=[RunStatus.WAITING, "ERROR"], poll=0.001)
    assert run.status is RunStatus.WAITING


def test_wait_for_times_out_naming_run_and_last_status() -> None:
    handler, _ = statuses("WAITING")
    with pytest.raises(WaitTimeoutError) as caught:
        client(handler).wait_for("r-1", timeout=0.05, poll=0.01)
    error = caught.value
    assert (error.run_id, error.last_status) == ("r-1", "WAITING")
    assert "'r-1'" in str(error)
    assert "WAITING" in str(error)
    assert "PROCESSED" in str(error)
    assert isinstance(error, TimeoutError)
    assert 0.05 <= error.waited < 2
    assert pickle.loads(pickle.dumps(error)).run_id == "r-1"


def test_wait_for_a_run_without_status_reports_none_() -> None:
    handler, _ = statuses(None)
    with pytest.raises(WaitTimeoutError, match="none seen"):
        client(handler).wait_for("r-1", timeout=0.03, poll=0.01)


def test_wait_for_backs_off_and_caps_the_interval() -> None:
    from automation_dsl._wait import MAX_POLL, WaitPlan

    plan = WaitPlan.check("r", None, 1000, 1.0)
    intervals = [plan.next_interval() for _ in range(20)]
    assert intervals[:3] == [1.0, 1.5, 2.25]
    assert max(intervals) == MAX_POLL
    big = WaitPlan.check("r", None, 1000, 60.0)
    assert [big.next_interval() for _ in range(3)] == [60.0, 60.0, 60.0]
    short = WaitPlan.check("r", None, 0.5, 10.0)
    assert short.next_interval() <= 0.5


def test_wait_for_a_429_while_polling_slows_down_and_goes_on() -> None:
    answers = iter(
        [
            httpx.Response(429, json={"message": "slow down", "type": "rate_limit_error"}),
            httpx.Response(200, json={"run_id": "r-1", "status": "PROCESSED"}),
        ]
    )
    run = client(lambda r: next(answers)).wait_for("r-1", timeout=5, poll=0.001)
    assert run.status == "PROCESSED"


def test_wait_for_a_429_until_the_deadline_is_a_timeout() -> None:
    answer = httpx.Response(429, json={"message": "slow down", "type": "rate_limit_error"})
    with pytest.raises(WaitTimeoutError):
        client(lambda r: answer).wait_for("r-1", timeout=0.05, poll=0.01)


def test_wait_for_other_errors_end_the_wait() -> None:
    answer = httpx.Response(404, json={"message": "no", "type": "invalid_request_error"})
    with pytest.raises(NotFoundError):
        client(lambda r: answer).wait_for("r-1", timeout=5, poll=0.01)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("timeout", 0),
        ("timeout", -1),
        ("timeout", math.nan),
        ("timeout", math.inf),
        ("timeout", 1e300),
        ("timeout", True),
        ("timeout", "5"),
        ("timeout", None),
        ("poll", 0),
        ("poll", 0.0),
        ("poll", -0.5),
        ("poll", math.nan),
        ("until", []),
        ("until", ""),
        ("until", 5),
        ("until", [None]),
        ("until", {"PROCESSED": 1}),
        ("until", "A\x00"),
        ("until", "x" * 10_000),
        ("until", ["A"] * 101 + ["B"]),
    ],
)
def test_wait_for_hostile_arguments_name_the_field(field: str, value: object) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError("sent")

    kwargs: dict[str, object] = {"timeout": 1.0, "poll": 0.1, field: value}
    with pytest.raises(ValidationError, match=field):
        client(handler).wait_for("r-1", **kwargs)  # type: ignore[arg-type]


def test_wait_for_hostile_run_ids() -> None:
    for run_id in ("..", "x" * 10_000, "", None):
        with pytest.raises(ValidationError, match="run_id"):
            client(lambda r: httpx.Response(500)).wait_for(run_id, poll=0.1)  # type: ignore[arg-type]


def test_async_get_run_and_wait_for() -> None:
    handler, _ = statuses("PROCESSING", "CANCELED")

    async def main() -> tuple[AutomationRun, AutomationRun]:
        async with aclient(handler) as c:
            return await c.get_run("r-1"), await c.wait_for("r-1", poll=0.001)

    first, last = asyncio.run(main())
    assert (first.status, last.status) == ("PROCESSING", "CANCELED")


def test_async_wait_for_times_out_and_survives_429() -> None:
    handler, _ = statuses("WAITING")

    async def main() -> None:
        async with aclient(handler) as c:
            await c.wait_for("r-1", timeout=0.03, poll=0.01)

    with pytest.raises(WaitTimeoutError, match="WAITING"):
        asyncio.run(main())
    answers = iter(
        [httpx.Response(429), httpx.Response(200, json={"run_id": "r", "status": "ERROR"})]
    )

    async def after_429() -> AutomationRun:
        async with aclient(lambda r: next(answers)) as c:
            return await c.wait_for("r", timeout=5, poll=0.001)

    assert asyncio.run(after_429()).status == "ERROR"


def test_async_wait_for_hostile_arguments() -> None:
    async def main() -> None:
        async with aclient(lambda r: httpx.Response(500)) as c:
            await c.wait_for("r", poll=0)

    with pytest.raises(ValidationError, match="poll"):
        asyncio.run(main())


# -- list_templates ------------------------------------------------------------------------


def pages(*bodies: object) -> tuple[Handler, list[httpx.Request]]:
    seen: list[httpx.Request] = []
    answers = iter(bodies)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=next(answers))

    return handler, seen


def template(index: int) -> dict[str, object]:
    return {
        "id": f"t-{index}",
        "name": f"T {index}",
        "version": "published",
        "createdAt": "2026-01-01T00:00:00Z",
    }


def test_list_templates_pages_lazily() -> None:
    handler, seen = pages(
        {"templates": [template(1), template(2)], "cursor": "c2"},
        {"templates": [template(3)]},
    )
    templates = client(handler).list_templates(version="draft")
    assert seen == []
    first = next(templates)
    assert first == AutomationTemplate("t-1", "T 1", "published", "2026-01-01T00:00:00Z")
    assert len(seen) == 1
    assert [t.id for t in templates] == ["t-2", "t-3"]
    assert seen[0].url.params["version"] == "draft"
    assert "cursor" not in seen[0].url.params
    assert seen[1].url.params["cursor"] == "c2"


def test_list_templates_huge_page_streams() -> None:
    handler, _ = pages({"templates": [template(i) for i in range(20_000)]})
    assert sum(1 for _ in client(handler).list_templates()) == 20_000


@pytest.mark.parametrize(
    "body",
    [
        [1],
        "templates",
        {"templates": "x"},
        {"templates": [1]},
        {"templates": [{"name": "no id"}]},
        {"templates": [{"id": 5}]},
    ],
)
def test_list_templates_hostile_pages(body: object) -> None:
    handler, _ = pages(body)
    with pytest.raises(CourierAPIError, match="GET /automations"):
        list(client(handler).list_templates())


def test_list_templates_a_repeated_cursor_is_an_error_not_a_loop() -> None:
    handler, _ = pages(*[{"templates": [template(1)], "cursor": "same"}] * 3)
    with pytest.raises(CourierAPIError, match="repeats"):
        list(client(handler).list_templates())


def test_list_templates_missing_or_wrong_fields() -> None:
    handler, _ = pages({"cursor": 5}, {})
    assert list(client(handler).list_templates()) == []
    handler, _ = pages({"templates": [{"id": "t", "name": 3, "version": None}]})
    assert list(client(handler).list_templates()) == [AutomationTemplate("t")]


@pytest.mark.parametrize("version", ["", "Published", 1, "draft\x00"])
def test_list_templates_bad_version_raises_at_the_call(version: object) -> None:
    with pytest.raises(ValidationError, match="version"):
        client(lambda r: httpx.Response(500)).list_templates(version=version)  # type: ignore[arg-type]


def test_async_list_templates() -> None:
    handler, _ = pages({"templates": [template(1)], "cursor": "n"}, {"templates": [template(2)]})

    async def main() -> list[str]:
        async with aclient(handler) as c:
            return [t.id async for t in c.list_templates()]

    assert asyncio.run(main()) == ["t-1", "t-2"]


# -- list_runs / run_steps, hostile answers -----------------------------------------------


def test_list_runs_hostile_pages_and_unknown_status() -> None:
    handler, _ = pages({"runs": [{"run_id": "r", "status": "BRAND NEW", "source": [1, "a"]}]})
    run = next(client(handler).list_runs())
    assert run.status == "BRAND NEW"
    assert run.source == ("a",)
    handler, _ = pages({"runs": {"run_id": "r"}})
    with pytest.raises(CourierAPIError, match="GET /automations/runs"):
        list(client(handler).list_runs())
    handler, _ = pages(*[{"runs": [], "next_cursor": "c"}] * 3)
    with pytest.raises(CourierAPIError, match="repeats"):
        list(client(handler).list_runs())


def test_run_steps_hostile_answers() -> None:
    handler, _ = pages({"steps": [{"action": 1, "status": None}]})
    step = client(handler).run_steps("r")[0]
    assert (step.action, step.status) == ("", "")
    with pytest.raises(CourierAPIError):
        client(lambda r: httpx.Response(200, content=b"<html>")).run_steps("r")


def test_wait_for_reads_a_status_as_courier_spells_it() -> None:
    from automation_dsl._wait import WaitPlan

    plan = WaitPlan.check("1-a", ["processed", "not_processed", "Canceled", "PAUSED"], 10, 1)
    assert plan.until == ("PROCESSED", "NOT PROCESSED", "CANCELED", "PAUSED")
    assert plan.done(RunStatus("PROCESSED"))


def test_get_run_refuses_an_answer_about_another_run() -> None:
    answer = {"run_id": "1-other", "status": "PROCESSED"}
    client = CourierClient(
        api_key="k", transport=httpx.MockTransport(lambda r: httpx.Response(200, json=answer))
    )
    with pytest.raises(CourierAPIError, match="1-other"):
        client.get_run("1-mine")
