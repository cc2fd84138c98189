"""The sandbox under hostile input: no phantom runs, Courier's idempotency rules, limits,
strict paging, never a 500 for a bad request, and configuration errors that name the value."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from automation_dsl import Automation, BadRequestError, ValidationError, ValidationTypeError
from automation_dsl.sandbox import Faults, Sandbox
from automation_dsl.sandbox._app import RequestLimits
from automation_dsl.sandbox._idempotency import Idempotency
from automation_dsl.sandbox._service import MAX_REQUESTS
from automation_dsl.sandbox._store import Store
from tests._flows import FLOW, START

BODY = FLOW.to_payload(recipient="u1", data={"plan": "pro"})


def invoke(http: httpx.Client, body: Any = BODY, **headers: str) -> httpx.Response:
    return http.post("/automations/invoke", json=body, headers=headers)


def assert_courier_error(response: httpx.Response, status: int, *words: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"message", "type"}
    for word in words:
        assert word in body["message"], (word, body["message"])


def raw_request(sandbox: Sandbox, head: bytes, body: bytes = b"") -> bytes:
    """Send bytes as they are (what no polite client sends) and read the answer."""
    with socket.create_connection((sandbox.host, sandbox.port), timeout=10) as sock:
        sock.sendall(head + body)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def head(sandbox: Sandbox, length: int, *extra: bytes) -> bytes:
    lines = [
        b"POST /automations/invoke HTTP/1.1",
        b"Host: sandbox",
        b"Authorization: Bearer " + sandbox.api_key.encode(),
        b"Content-Type: application/json",
        b"Content-Length: " + str(length).encode(),
        b"Connection: close",
        *extra,
    ]
    return b"\r\n".join(lines) + b"\r\n\r\n"


# -- phantom runs ---------------------------------------------------------------------------


class Boom(Exception):
    pass


def test_a_request_that_fails_after_the_run_was_registered_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "runs.db"
    with Sandbox(db=db, start=START) as sandbox:
        headers = {"Authorization": f"Bearer {sandbox.api_key}", "Idempotency-Key": "k"}
        store = sandbox._service.store

        def failing(*args: Any) -> None:  # the run is in the engine; storing its answer fails
            raise Boom("disk full")

        monkeypatch.setattr(store, "remember", failing)
        for _ in range(3):  # each retry with the key used to add a phantom
            failed = httpx.post(f"{sandbox.url}/automations/invoke", json=BODY, headers=headers)
            assert_courier_error(failed, 500, "Internal error")
        assert sandbox.runs() == []
        assert sandbox.messages() == []
        assert list(sandbox.timeline()) == []
        listed = httpx.get(f"{sandbox.url}/automations/runs", headers=headers).json()
        assert listed == {"runs": []}
        sandbox.advance()  # nothing waits, nothing sends
        assert sandbox.messages() == []
        monkeypatch.undo()
        ok = httpx.post(f"{sandbox.url}/automations/invoke", json=BODY, headers=headers)
        assert ok.status_code == 200  # the key was freed and nothing was kept for it
        run_id = ok.json()["runId"]
    with Sandbox(db=db) as reopened:
        assert [run.run_id for run in reopened.runs()] == [run_id]
        assert [m.template for m in reopened.messages()] == ["WELCOME"]


def test_a_failure_while_advancing_is_undone_in_memory_too(
    sandbox: Sandbox, http: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id = invoke(http).json()["runId"]
    monkeypatch.setattr(
        sandbox._service.store, "set_meta", lambda *a: (_ for _ in ()).throw(Boom())
    )
    with pytest.raises(Boom):
        sandbox.advance()
    monkeypatch.undo()
    assert sandbox.run(run_id).status == "WAITING"
    assert [m.template for m in sandbox.messages()] == ["WELCOME"]
    assert sandbox.now() == START
    sandbox.advance()
    assert [m.template for m in sandbox.messages()] == ["WELCOME", "NUDGE"]


# -- idempotency as Courier documents it ----------------------------------------------------


@pytest.mark.parametrize("fault", ["500", "500-after"])
def test_an_injected_500_is_kept_and_replayed_for_the_key(
    sandbox: Sandbox, http: httpx.Client, fault: str
) -> None:
    sandbox.faults.script.append(fault)
    first = invoke(http, **{"Idempotency-Key": "k"})
    again = invoke(http, **{"Idempotency-Key": "k"})
    assert_courier_error(first, 500, "Injected failure")
    assert (again.status_code, again.json()) == (500, first.json())
    assert again.headers["Idempotent-Replayed"] == "true"
    stored = 1 if fault == "500-after" else 0  # after the store, the run exists all the same
    assert len(sandbox.runs()) == stored
    assert [r.outcome for r in sandbox.requests()] == [fault, "replayed"]
    assert invoke(http, **{"Idempotency-Key": "k2"}).status_code == 200  # a new key is new
    assert len(sandbox.runs()) == stored + 1


@pytest.mark.parametrize("fault", ["503", "429", "drop-before"])
def test_gateway_faults_are_not_kept(sandbox: Sandbox, http: httpx.Client, fault: str) -> None:
    sandbox.faults.retry_after = 0
    sandbox.faults.script.append(fault)
    # a dropped connection reads as closed (FIN) or reset (RST), as the kernel's timing has it
    dropped = (httpx.RemoteProtocolError, httpx.ReadError)
    with pytest.raises(dropped) if fault == "drop-before" else nullcontext():
        assert invoke(http, **{"Idempotency-Key": "k"}).status_code == int(fault)
    retried = invoke(http, **{"Idempotency-Key": "k"})
    assert retried.status_code == 200
    assert "Idempotent-Replayed" not in retried.headers
    assert len(sandbox.runs()) == 1


def test_the_same_key_with_another_body_is_422(sandbox: Sandbox, http: httpx.Client) -> None:
    first = invoke(http, **{"Idempotency-Key": "k"})
    other = invoke(http, FLOW.to_payload(recipient="u2"), **{"Idempotency-Key": "k"})
    assert_courier_error(other, 422, "Idempotency-Key", "different request body")
    assert other.json()["type"] == "idempotency_error"
    reordered = json.dumps(dict(reversed(BODY.items())), indent=3).encode()
    replay = http.post(
        "/automations/invoke",
        content=reordered,
        headers={"Idempotency-Key": "k", "Content-Type": "application/json"},
    )
    assert replay.json() == first.json()  # key order and whitespace do not matter
    assert len(sandbox.runs()) == 1
    assert [r.outcome for r in sandbox.requests()] == ["accepted", "key-reused", "replayed"]


NOW = time.time()


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("0", "in the past"),
        ("-1", "in the past"),
        ("2020-01-01T00:00:00Z", "in the past"),
        (str(int(NOW) - 10), "in the past"),
        (str(int(NOW) + 2 * 366 * 86400), "more than 1 year ahead"),
        (str(int((NOW + 400 * 86400) * 1000)), "more than 1 year ahead"),
        ("99999999999999999999999", "more than 1 year ahead"),
        ("tomorrow", "not a number or a date"),
        ("", "not a number or a date"),
        ("nan", "x-idempotency-expiration"),
        ("inf", "x-idempotency-expiration"),
        ("1e400", "x-idempotency-expiration"),
        ("2024-13-45", "not a number or a date"),
    ],
)
def test_a_bad_expiration_is_400(
    sandbox: Sandbox, http: httpx.Client, value: str, reason: str
) -> None:
    refused = invoke(http, **{"Idempotency-Key": "k", "x-idempotency-expiration": value})
    assert_courier_error(refused, 400, "'x-idempotency-expiration'", reason)
    assert sandbox.runs() == []
    assert invoke(http, **{"Idempotency-Key": "k"}).status_code == 200  # nothing was kept


@pytest.mark.parametrize(
    "value",
    [
        str(int(NOW) + 86400),
        str(int((NOW + 86400) * 1000)),  # epoch milliseconds, as the old docs say
        (datetime.now(UTC) + timedelta(days=30)).isoformat(),
        (datetime.now(UTC) + timedelta(days=365)).strftime("%Y%m%dT%H%M%S"),
    ],
)
def test_good_expirations_are_accepted(http: httpx.Client, value: str) -> None:
    first = invoke(http, **{"Idempotency-Key": "k", "x-idempotency-expiration": value})
    assert first.status_code == 200, first.text
    assert invoke(http, **{"Idempotency-Key": "k"}).headers["Idempotent-Replayed"] == "true"


def test_expiry_is_exact() -> None:
    keys = Idempotency(Store(":memory:"), now=lambda: 1_700_000_000.0)
    assert keys.expiry(None) == 1_700_000_000.0 + 25 * 3600
    assert keys.expiry("1700000001") == 1_700_000_001.0
    assert keys.expiry("1700000001000") == 1_700_000_001.0
    assert keys.expiry("2023-11-15T00:00:00Z") == datetime(2023, 11, 15, tzinfo=UTC).timestamp()
    with pytest.raises(ValidationError, match="in the past") as caught:
        keys.expiry("1700000000")
    assert caught.value.field == "x-idempotency-expiration"


@pytest.mark.parametrize("key", ["", "   ", "k" * 256, "tab\there"])
def test_a_bad_key_is_400(sandbox: Sandbox, key: str) -> None:
    answer = raw_request(
        sandbox,
        head(sandbox, len(json.dumps(BODY)), b"Idempotency-Key: " + key.encode()),
        json.dumps(BODY).encode(),
    )
    assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
    assert b"Idempotency-Key" in answer
    assert sandbox.runs() == []


def test_a_half_sent_body_holds_no_key(sandbox: Sandbox, http: httpx.Client) -> None:
    with socket.create_connection((sandbox.host, sandbox.port), timeout=10) as sock:
        sock.sendall(head(sandbox, 1000, b"Idempotency-Key: k") + b'{"automation": ')
        for _ in range(100):  # wait until the sandbox has seen the request start
            if any(r.outcome == "disconnected" for r in sandbox.requests()):
                break
            answer = invoke(http, **{"Idempotency-Key": "k"})
            assert answer.status_code != 409
            if answer.status_code == 200:
                break
    assert len(sandbox.runs()) == 1


# -- limits ---------------------------------------------------------------------------------


def test_a_body_over_the_limit_is_413_before_it_is_read(sandbox: Sandbox) -> None:
    answer = raw_request(sandbox, head(sandbox, 100 * 1024 * 1024), b"{" * 1024)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    body = json.loads(answer.split(b"\r\n\r\n", 1)[1])
    assert body == {
        "message": "Request body too large: the limit is 1048576 bytes",
        "type": "invalid_request_error",
    }
    assert [r.outcome for r in sandbox.requests()] == ["too-large"]


def test_a_chunked_body_is_read_only_up_to_the_limit(sandbox: Sandbox, http: httpx.Client) -> None:
    sent = 0

    def chunks() -> Iterator[bytes]:
        nonlocal sent
        for _ in range(100):  # 100 MiB offered
            sent += 1
            yield b" " * (1024 * 1024)

    try:
        answer = http.post("/automations/invoke", content=chunks())
    except httpx.TransportError:  # the server may close before the client stops writing
        pass
    else:
        assert_courier_error(answer, 413, "too large")
    assert [r.outcome for r in sandbox.requests()] == ["too-large"]
    assert sandbox.runs() == []


def test_limits_are_configurable_and_validated() -> None:
    assert RequestLimits(max_body_size=10).max_body_size == 10
    for bad in (0, -1, 1.5, "1", True):
        with pytest.raises(ValidationError, match="max_body_size"):
            RequestLimits(max_body_size=bad)  # type: ignore[arg-type]


def test_the_request_limits_are_set_on_the_sandbox() -> None:
    with Sandbox(max_body_size=100) as small, httpx.Client(base_url=small.url) as http:
        http.headers["Authorization"] = f"Bearer {small.api_key}"
        assert_courier_error(invoke(http, BODY), 413, "100 bytes")
    with Sandbox(max_json_depth=5, max_steps=2) as small, small.client() as client:
        data = {"a": {"b": {"c": {}}}}
        deep = {"automation": {"steps": [{"action": "send", "template": "A", "data": data}]}}
        with pytest.raises(BadRequestError, match="nest"):
            client.invoke(deep, recipient="u", validate=False)
        with pytest.raises(BadRequestError, match="at most 2"):
            client.invoke(Automation().send("A").send("B").send("C"), recipient="u")
        assert small.runs() == []


def test_too_many_steps_is_400(http: httpx.Client, sandbox: Sandbox) -> None:
    body = {"automation": {"steps": [{"action": "send", "template": "A"}] * 1001}}
    assert_courier_error(invoke(http, body), 400, "automation.steps", "at most 1000")
    assert sandbox.runs() == []


SEND = b'{"automation": {"steps": [{"action": "send", "template": "A", "data": %s}]}}'


@pytest.mark.parametrize(
    "raw",
    [
        SEND % b'{"x": NaN}',
        SEND % b'{"x": -Infinity}',
        SEND % b'{"x": 1e999}',
        SEND % b'{"x": "a\\ud800"}',
        SEND % b'{"\\udfff": 1}',
        b'{"automation": {"steps": [], "data": ' + b"[" * 5000 + b"]" * 5000 + b"}}",
        b'{"a": ' + b"[" * 100 + b"]" * 100 + b"}",
        b'{"x": 1' + b"0" * 5000 + b"}",
        b"\xff\xfe{}",
        b"",
        b"[]",
        b'"automation"',
        b"null",
        b"42",
    ],
)
def test_hostile_bodies_are_400(sandbox: Sandbox, http: httpx.Client, raw: bytes) -> None:
    answer = http.post("/automations/invoke", content=raw)
    assert_courier_error(answer, 400)
    assert answer.json()["message"].startswith(("Invalid JSON body", "Invalid request body"))
    assert sandbox.runs() == []


def test_surrogate_pairs_are_fine(http: httpx.Client, sandbox: Sandbox) -> None:
    raw = b'{"automation": {"steps": [{"action": "send", "template": "A\\ud83d\\ude00"}]}, '
    raw += b'"recipient": "u"}'
    assert http.post("/automations/invoke", content=raw).status_code == 200
    assert sandbox.messages()[0].template == "A\N{GRINNING FACE}"


@pytest.mark.parametrize(
    "step",
    [
        {"action": "update-profile"},
        {"action": "send-list"},
        {"action": "cancel"},
        {"action": "invoke"},
        {"action": "fetch-data"},
        {"action": "delay"},
        {"action": "send", "template": 5},
        {"action": None},
        {},
        [],
        "send",
    ],
)
def test_missing_or_wrong_fields_are_400_not_500(
    sandbox: Sandbox, http: httpx.Client, step: Any
) -> None:
    answer = invoke(http, {"automation": {"steps": [step]}}, **{"Idempotency-Key": "k"})
    assert_courier_error(answer, 400, "Invalid Steps Definition")
    assert sandbox.runs() == []
    assert invoke(http, **{"Idempotency-Key": "k"}).status_code == 200  # 400s are not kept


@pytest.mark.parametrize(
    "duration", ["9999999 years", "9" * 30 + " minutes", "999999999 weeks", "9" * 5000 + " hours"]
)
def test_a_duration_out_of_range_is_never_a_500(
    sandbox: Sandbox, http: httpx.Client, duration: str
) -> None:
    direct = {"automation": {"steps": [{"action": "delay", "duration": duration}]}}
    assert invoke(http, direct).status_code in (200, 400)
    by_ref = {
        "automation": {"steps": [{"action": "delay", "duration": {"$ref": "data.wait"}}]},
        "data": {"wait": duration},
    }
    answer = invoke(http, by_ref)
    assert answer.status_code == 200
    run = sandbox.run(answer.json()["runId"])
    assert run.status == "ERROR"
    assert "out of range" in run.events[-1].detail["reason"]


def test_a_template_that_invokes_itself_twice_is_stopped(
    sandbox: Sandbox, http: httpx.Client
) -> None:
    sandbox.register_template("fork", Automation().invoke("fork").invoke("fork"))
    answer = http.post("/automations/fork/invoke", json={"recipient": "u"})
    assert answer.status_code == 200
    runs = sandbox.runs()
    assert len(runs) <= 2001  # one run per executed invoke step at most
    assert sandbox.run(answer.json()["runId"]).status == "PROCESSED"  # it invoked two
    assert {run.status for run in runs} == {"PROCESSED", "ERROR"}
    stopped = [e for e in sandbox.timeline() if e.outcome == "error"]
    assert stopped
    assert "does a template invoke itself?" in stopped[-1].detail["reason"]


def test_one_slow_request_does_not_hold_up_the_others(
    sandbox: Sandbox, http: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = sandbox._service
    accept = service.accept
    entered, release = threading.Event(), threading.Event()

    def slow(*args: Any, **kwargs: Any) -> str:
        entered.set()
        release.wait(30)
        return accept(*args, **kwargs)

    monkeypatch.setattr(service, "accept", slow)
    # an invoke step makes a run tree: work that may take long goes to a worker thread
    body = Automation().invoke("child").to_payload()
    worker = threading.Thread(target=invoke, args=(http, body))
    worker.start()
    try:
        assert entered.wait(30)
        assert http.get("/automations/runs").status_code == 200  # answered meanwhile
        assert http.post("/automations/invoke", content=b'{"x": Infinity}').status_code == 400
        assert worker.is_alive()
    finally:
        release.set()
        worker.join(30)
    assert len(sandbox.runs()) == 1


def test_the_event_loop_never_waits_for_the_service(sandbox: Sandbox, http: httpx.Client) -> None:
    done: list[int] = []
    with sandbox._service.lock:  # held as a long advance() in another thread would
        thread = threading.Thread(target=lambda: done.append(invoke(http).status_code), daemon=True)
        thread.start()
        refused = httpx.post(f"{sandbox.url}/automations/invoke", json=BODY)  # no key
        assert refused.status_code == 401  # answered while the invoke waits for the lock
        assert http.get("/nope").status_code == 404
        assert done == []
    thread.join(30)
    assert done == [200]


def test_the_request_log_is_bounded_and_keeps_nothing_of_a_401(sandbox: Sandbox) -> None:
    assert sandbox._service.requests.maxlen == MAX_REQUESTS
    refused = httpx.post(
        f"{sandbox.url}/automations/invoke",
        json=BODY,
        headers={"Idempotency-Key": "x" * 10_000},
    )
    assert refused.status_code == 401
    (request,) = sandbox.requests()
    assert (request.outcome, request.idempotency_key) == ("unauthorized", None)


# -- paging ---------------------------------------------------------------------------------


def cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    ("params", "word"),
    [
        ({"limit": "-1"}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"limit": "x"}, "limit"),
        ({"limit": "1e3"}, "limit"),
        ({"cursor": "garbage"}, "cursor"),
        ({"cursor": cursor("offset:-5")}, "cursor"),
        ({"cursor": cursor("offset:abc")}, "cursor"),
        ({"cursor": cursor("page:1")}, "cursor"),
        ({"cursor": "\N{SNOWMAN}"}, "cursor"),
        ({"start_date": "2024-02-30"}, "start_date"),
        ({"end_date": "\x00"}, "end_date"),
    ],
)
def test_bad_paging_is_400(http: httpx.Client, params: dict[str, str], word: str) -> None:
    assert_courier_error(http.get("/automations/runs", params=params), 400, word)


def test_a_large_limit_is_capped(http: httpx.Client) -> None:
    for _ in range(3):
        invoke(http)
    assert len(http.get("/automations/runs", params={"limit": "999"}).json()["runs"]) == 3


# -- configuration errors -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "field", "kind"),
    [
        ({"db": 5}, "db", ValidationTypeError),
        ({"start": "2024-01-01"}, "start", ValidationTypeError),
        ({"start": datetime(2024, 1, 1)}, "start", ValidationError),  # naive
        ({"webhooks": ["https://x.test"]}, "webhooks", ValidationTypeError),
    ],
)
def test_sandbox_configuration_errors_name_the_parameter(
    options: dict[str, Any], field: str, kind: type[Exception]
) -> None:
    with pytest.raises(kind) as caught:
        Sandbox(**options)
    assert caught.value.field == field  # type: ignore[attr-defined]


def test_register_template_names_the_parameter(sandbox: Sandbox) -> None:
    with pytest.raises(ValidationError, match="template_id"):
        sandbox.register_template("", FLOW)


@pytest.mark.parametrize(
    ("options", "field", "kind"),
    [
        ({"error_500": 1.5}, "error_500", ValidationError),
        ({"error_503": -0.1}, "error_503", ValidationError),
        ({"rate_limit": float("nan")}, "rate_limit", ValidationError),
        ({"drop_after": "0.1"}, "drop_after", ValidationTypeError),
        ({"drop_before": None}, "drop_before", ValidationTypeError),
        ({"error_500_after": float("inf")}, "error_500_after", ValidationError),
        ({"error_500": 0.7, "error_503": 0.7}, "error_503", ValidationError),
        ({"latency": -1}, "latency", ValidationError),
        ({"latency": float("nan")}, "latency", ValidationError),
        ({"retry_after": True}, "retry_after", ValidationTypeError),
        ({"seed": "7"}, "seed", ValidationTypeError),
        ({"script": "500"}, "script", ValidationTypeError),
        ({"script": ["boom"]}, "script", ValidationError),
        ({"script": 5}, "script", ValidationTypeError),
    ],
)
def test_faults_configuration_errors_name_the_parameter(
    options: dict[str, Any], field: str, kind: type[Exception]
) -> None:
    with pytest.raises(kind) as caught:
        Faults(**options)
    assert caught.value.field in (field, "error_500")  # type: ignore[attr-defined]
    assert f"'{caught.value.field}'" in str(caught.value)  # type: ignore[attr-defined]


def test_faults_are_validated_when_changed_too() -> None:
    faults = Faults()
    with pytest.raises(ValidationError, match="'latency'"):
        faults.latency = -0.5
    assert faults.latency == 0


# -- mutated valid payloads -----------------------------------------------------------------

SEEDS = [
    BODY,
    Automation("tok")
    .send("A", data={"a": [1, {"b": None}]}, if_="data.a", ref="r")
    .delay(until=START)
    .send_list("team", template="T")
    .update_profile({"plan": "pro"}, recipient_id="u1", merge="overwrite")
    .cancel("tok")
    .invoke("child", context={"recipient": "kid"})
    .fetch_data("https://api.test/x", method="POST")
    .to_payload(recipient="u1", profile={"email": "e@x.test"}),
]
HOSTILE = st.sampled_from(
    [
        None,
        True,
        -1,
        0,
        10**30,
        1.5,
        float("nan"),
        float("inf"),
        "",
        "   ",
        "a\ud800",
        "x" * 10_000,
        [],
        {},
        {"$ref": ""},
        {"$ref": "data.nope"},
        "dealy",
        "9999999 years",
        "9" * 30 + " minutes",
        "2024-02-30T00:00:00Z",
    ]
).map(copy.deepcopy)  # the mutations change what they insert: never a shared instance


def nest(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if len(prefix) > 12:  # inside a nested mutation: deep enough
        return
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths(item, (*prefix, index))


@st.composite
def mutated(draw: st.DrawFn) -> Any:
    payload = json.loads(json.dumps(draw(st.sampled_from(SEEDS))))
    for _ in range(draw(st.integers(1, 3))):
        where = draw(st.sampled_from(list(paths(payload))))
        if not where:
            payload = draw(HOSTILE)
            continue
        parent = payload
        for part in where[:-1]:
            parent = parent[part]
        last = where[-1]
        how = draw(st.sampled_from(["drop", "replace", "nest", "unknown"]))
        if how == "drop":
            del parent[last]
        elif how == "replace":
            parent[last] = draw(HOSTILE)
        elif how == "nest":
            parent[last] = nest(draw(st.sampled_from([10, 70, 300])))
        elif isinstance(parent, dict):
            parent["unknown_" + str(last)] = draw(HOSTILE)
        if not isinstance(payload, dict | list):
            break
    return payload


@pytest.fixture(scope="module")
def shared() -> Iterator[tuple[Sandbox, httpx.Client]]:
    with Sandbox(start=START, templates={"child": Automation().send("C")}) as sb:
        headers = {"Authorization": f"Bearer {sb.api_key}"}
        with httpx.Client(base_url=sb.url, headers=headers, timeout=30) as client:
            yield sb, client


@settings(max_examples=150)
@given(payload=mutated(), templated=st.booleans())
def test_mutated_payloads_never_5xx_and_4xx_store_nothing(
    shared: tuple[Sandbox, httpx.Client], payload: Any, templated: bool
) -> None:
    sandbox, http = shared
    before = (len(sandbox.runs()), len(sandbox.messages()))
    raw = json.dumps(payload, allow_nan=True).encode()  # NaN goes out as sent by hostile code
    path = "/automations/child/invoke" if templated else "/automations/invoke"
    answer = http.post(
        path, content=raw, headers={"Idempotency-Key": hashlib.sha256(raw).hexdigest()}
    )
    assert answer.status_code < 500, (answer.text, raw[:300], path)
    if answer.status_code >= 400:
        assert set(answer.json()) == {"message", "type"}
        assert (len(sandbox.runs()), len(sandbox.messages())) == before
    else:
        assert answer.json()["runId"] in {run.run_id for run in sandbox.runs()}


# -- found by a hostile new user after the first round ------------------------------------


def test_a_fault_script_refuses_an_unknown_name_when_it_is_changed(sandbox: Sandbox) -> None:
    for change in (
        lambda: sandbox.faults.script.append("bogus"),
        lambda: sandbox.faults.script.append(None),  # type: ignore[arg-type]
        lambda: sandbox.faults.script.extend(["ok", "nope"]),
        lambda: sandbox.faults.script.insert(0, "500x"),
    ):
        with pytest.raises(ValidationError, match="'script'"):
            change()
    assert list(sandbox.faults.script) == []  # nothing half-added
    sandbox.faults.script += ["503"]
    assert sandbox.faults.draw() == "503"


@pytest.mark.parametrize(
    ("call", "field", "error"),
    [
        (lambda sb: sb.advance(5), "by", ValidationTypeError),
        (lambda sb: sb.advance(float("nan")), "by", ValidationTypeError),
        (lambda sb: sb.advance(True), "by", ValidationTypeError),
        (lambda sb: sb.advance(timedelta(days=-1)), "by", ValidationError),
        (lambda sb: sb.advance(timedelta.max), "by", ValidationError),
        (lambda sb: sb.advance(timedelta(1), to=START), "by", ValidationError),
        (lambda sb: sb.advance(to=datetime(2030, 1, 1)), "to", ValidationError),
        (lambda sb: sb.advance(to=START - timedelta(days=1)), "to", ValidationError),
        (lambda sb: sb.advance(to="2030-01-01"), "to", ValidationTypeError),
        (lambda sb: sb.set_message_status("nope", "OPENED"), "message_id", ValidationError),
    ],
)
def test_advance_and_set_message_status_check_their_arguments(
    sandbox: Sandbox, call: Any, field: str, error: type[Exception]
) -> None:
    before = sandbox.now()
    with pytest.raises(error) as caught:
        call(sandbox)
    assert type(caught.value) is error
    assert f"'{field}'" in str(caught.value)
    assert sandbox.now() == before


@pytest.mark.parametrize("status", ["WHATEVER", None, 3])
def test_a_message_status_must_be_known(sandbox: Sandbox, http: httpx.Client, status: Any) -> None:
    assert invoke(http).status_code == 200
    (message,) = sandbox.runs()[0].messages
    with pytest.raises(ValidationError, match="'status'"):
        sandbox.set_message_status(message.message_id, status)
    sandbox.set_message_status(message.message_id, "opened")  # any case, as before
    assert sandbox.runs()[0].messages[0].status == "OPENED"


@pytest.mark.parametrize(
    "extra",
    [
        [b"Idempotency-Key: \xff\xfe"],
        [b"Idempotency-Key: a", b"Idempotency-Key: b"],
        [b"x-idempotency-expiration: 1", b"x-idempotency-expiration: 2"],
    ],
    ids=["non-ascii key", "two keys", "two expirations"],
)
def test_odd_idempotency_headers_are_400(sandbox: Sandbox, extra: list[bytes]) -> None:
    body = json.dumps(BODY).encode()
    answer = raw_request(sandbox, head(sandbox, len(body), *extra), body)
    assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
    assert sandbox.runs() == []


@pytest.mark.parametrize("limit", ["1_0", "%201%20", "%D9%A1%D9%A2", "+5", "-0"])
def test_a_limit_must_be_plain_digits(http: httpx.Client, limit: str) -> None:
    answer = http.get(f"/automations/runs?limit={limit}")
    assert answer.status_code == 400, answer.text
    assert "limit" in answer.json()["message"]


def test_a_huge_limit_gets_a_full_page(http: httpx.Client) -> None:
    assert http.get("/automations/runs?limit=" + "9" * 5000).status_code == 200
