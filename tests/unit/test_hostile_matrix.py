"""Hostile input: every public entry point, every parameter, every bad value.

Each case calls one entry point with one parameter replaced by a bad value (the others
valid) and asserts the rule of the library: either the call succeeds and what it produces
is strict JSON that encodes as UTF-8 (for the client: the request body it sent), or it
raises an ``AutomationError`` whose message names the parameter (or its Courier field).
A raw ``TypeError``/``ValueError``/``RecursionError``/... is a bug. Values that no
parameter can hold (NaN, infinity, a lone surrogate, an arbitrary object, a set, a
recursive or 5000-level dict) must be refused, except in the small ``ACCEPTED`` table.

Then Hypothesis feeds mutated valid documents to ``Automation.from_dict`` and to the
``validate`` command.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import io
import json
import math
import re
import threading
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings

from automation_dsl import (
    AddToBatch,
    AddToDigest,
    AsyncCourierClient,
    Automation,
    AutomationError,
    BulkResult,
    Cancel,
    CourierClient,
    DataSource,
    Delay,
    FetchData,
    Invoke,
    RawStep,
    Ref,
    Retain,
    RetryPolicy,
    RunContext,
    Send,
    SendList,
    SendMessage,
    Step,
    Throttle,
    UpdateProfile,
    ValidationError,
    Webhook,
)
from automation_dsl import _cli as cli
from automation_dsl.sandbox import Faults, Sandbox
from tests.strategies import DEEP, mutated_documents, mutated_payloads, self_containing

# Built once: each case looks its value up by name (and the ids stay readable).
BAD: dict[str, Any] = {
    "None": None,
    "empty": "",
    "blank": "   ",
    "zero": 0,
    "minus-one": -1,
    "huge-int": 10**30,
    "nan": math.nan,
    "inf": math.inf,
    "surrogate": "a\ud800",
    "bytes": b"x",
    "object": object(),
    "list": [],
    "dict": {},
    "set": {1},
    "deep-5000": DEEP,
    "recursive": self_containing(),
    "naive-datetime": datetime(2024, 1, 1),
    "date": date(2024, 1, 1),
    "negative-timedelta": timedelta(days=-1),
    "true": True,
    "crlf": "a\r\nb",
    "long-string": "x" * 200_000,
}
NEVER_VALID = {"nan", "inf", "surrogate", "object", "set", "deep-5000", "recursive"}
"""No parameter of the library can mean anything by these: accepting one is a bug."""

# -- the entry points -------------------------------------------------------------------------

FLOW = Automation().send("TPL", ref="r")
URL = "https://example.test/hook"
RETAIN = {"type": "first", "count": 1}
BATCH = {"wait_period": "PT5M", "max_wait_period": "PT1H", "retain": RETAIN}
THROTTLE = {"max_allowed": 1, "period": "PT1H", "scope": "user", "on_throttle": "n1"}
MESSAGE = {"to": {"user_id": "u"}, "template": "TPL"}
DELAY_GROUP = frozenset({"until", "duration", "weeks", "days", "hours", "minutes"})
SENT: list[httpx.Request] = []
HANG_SECONDS = 10


def _answer(request: httpx.Request) -> httpx.Response:
    SENT.append(request)
    return httpx.Response(200, json={"runId": "r"})


async def _answer_async(request: httpx.Request) -> httpx.Response:
    return _answer(request)


def _client(**options: Any) -> CourierClient:
    return CourierClient(**{"api_key": "k", **options, "transport": httpx.MockTransport(_answer)})


def _async_client(**options: Any) -> AsyncCourierClient:
    transport = httpx.MockTransport(_answer_async)
    return AsyncCourierClient(**{"api_key": "k", **options, "transport": transport})


def _async_invoke(automation: Any = FLOW, **options: Any) -> str:
    async def invoke() -> str:
        async with _async_client() as client:
            return await client.invoke(automation, **options)

    return asyncio.run(invoke())


def _sandbox(**options: Any) -> Sandbox:
    sandbox = Sandbox(**options)
    sandbox.stop()  # never started: this closes its database
    return sandbox


@dataclass(frozen=True)
class Entry:
    """A public entry point: how to call it, valid values for what it requires."""

    call: Callable[..., Any]
    baseline: dict[str, Any] = field(default_factory=dict)
    signature_of: Callable[..., Any] | None = None  # when ``call`` wraps it
    exclusive: frozenset[str] = frozenset()  # the baseline of one of these drops the others
    skip: tuple[str, ...] = ()  # parameters that are not data (the test transport)

    def parameters(self) -> list[inspect.Parameter]:
        signature = inspect.signature(self.signature_of or self.call)
        return [
            p
            for p in signature.parameters.values()
            if p.name not in ("self", *self.skip)
            and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]


class Hung(Exception):
    """The call did not return: a hang is a bug too, and must not hang the suite."""


def _client_method(name: str, consume: bool = False) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        with _client() as client:
            result = getattr(client, name)(*args, **kwargs)
            return list(result) if consume else result

    if name != "invoke_many":
        return call

    def guarded(*args: Any, **kwargs: Any) -> Any:
        """invoke_many runs worker threads: a bad setting could leave it waiting forever."""
        outcome: dict[str, Any] = {}

        def run() -> None:
            try:
                outcome["result"] = call(*args, **kwargs)
            except BaseException as error:  # handed to the caller below
                outcome["error"] = error

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        thread.join(HANG_SECONDS)
        if thread.is_alive():
            raise Hung(f"did not return in {HANG_SECONDS} s")
        if "error" in outcome:
            raise outcome["error"]
        return outcome["result"]

    return guarded


CLIENT_OPTIONS = ("transport", "http_client")
ENTRIES: dict[str, Entry] = {
    "Automation": Entry(Automation),
    "Automation.send": Entry(FLOW.send),
    "Automation.send_message": Entry(FLOW.send_message, {"message": MESSAGE}),
    "Automation.send_list": Entry(FLOW.send_list, {"list": "LIST"}),
    "Automation.delay": Entry(FLOW.delay, {"days": 1}, exclusive=DELAY_GROUP),
    "Automation.cancel": Entry(FLOW.cancel, {"cancelation_token": "tok"}),
    "Automation.invoke": Entry(FLOW.invoke, {"template": "TPL"}),
    "Automation.update_profile": Entry(FLOW.update_profile, {"profile": {"a": 1}}),
    "Automation.fetch_data": Entry(FLOW.fetch_data, {"url": URL}),
    "Automation.add_to_batch": Entry(FLOW.add_to_batch, BATCH),
    "Automation.add_to_digest": Entry(FLOW.add_to_digest, {"subscription_topic_id": "topic"}),
    "Automation.throttle": Entry(FLOW.throttle, THROTTLE),
    "Automation.raw": Entry(FLOW.raw, {"step": {"action": "x-custom"}}),
    "Automation.step": Entry(FLOW.step, {"step": Send(template="A")}),
    "Automation.then": Entry(FLOW.then, {"other": Automation().send("B")}),
    "Automation.pipe": Entry(FLOW.pipe, {"fn": lambda flow: flow}),
    "Automation.with_cancelation_token": Entry(FLOW.with_cancelation_token, {"token": "tok"}),
    "Automation.with_until_format": Entry(FLOW.with_until_format, {"until_format": "extended"}),
    "Automation.to_dict": Entry(FLOW.to_dict),
    "Automation.to_payload": Entry(FLOW.to_payload),
    "Automation.to_json": Entry(FLOW.to_json),
    "Automation.from_dict": Entry(Automation.from_dict, {"data": {"steps": []}}),
    "Automation.from_payload": Entry(
        Automation.from_payload, {"payload": {"automation": {"steps": []}}}
    ),
    "Automation.from_json": Entry(Automation.from_json, {"text": '{"steps": []}'}),
    "Send": Entry(Send),
    "SendList": Entry(SendList, {"list": "LIST"}),
    "SendMessage": Entry(SendMessage, {"message": MESSAGE}),
    "Delay": Entry(Delay, {"duration": "1 day"}, exclusive=frozenset({"until", "duration"})),
    "Cancel": Entry(Cancel, {"cancelation_token": "tok"}),
    "Invoke": Entry(Invoke, {"template": "TPL"}),
    "UpdateProfile": Entry(UpdateProfile, {"profile": {"a": 1}}),
    "FetchData": Entry(FetchData, {"webhook": Webhook(url=URL)}),
    "AddToBatch": Entry(AddToBatch, BATCH),
    "AddToDigest": Entry(AddToDigest, {"subscription_topic_id": "topic"}),
    "Throttle": Entry(Throttle, THROTTLE),
    "RawStep": Entry(RawStep, {"body": {"action": "x-custom"}}),
    "Retain": Entry(Retain, RETAIN),
    "DataSource": Entry(DataSource, {"webhook": Webhook(url=URL)}),
    "Webhook": Entry(Webhook, {"url": URL}),
    "Ref": Entry(Ref, {"path": "data.x"}),
    "RunContext": Entry(RunContext),
    "RetryPolicy": Entry(RetryPolicy),
    "CourierClient": Entry(_client, signature_of=CourierClient, skip=CLIENT_OPTIONS),
    "AsyncCourierClient": Entry(
        _async_client, signature_of=AsyncCourierClient, skip=CLIENT_OPTIONS
    ),
    "CourierClient.invoke": Entry(
        _client_method("invoke"), {"automation": FLOW}, CourierClient.invoke
    ),
    "CourierClient.invoke_template": Entry(
        _client_method("invoke_template"),
        {"template_id": "TPL", "recipient": "user-1"},
        CourierClient.invoke_template,
    ),
    "CourierClient.run_steps": Entry(
        _client_method("run_steps"), {"run_id": "r"}, CourierClient.run_steps
    ),
    "CourierClient.list_runs": Entry(
        _client_method("list_runs", consume=True), signature_of=CourierClient.list_runs
    ),
    "CourierClient.invoke_many": Entry(
        _client_method("invoke_many"),
        {"automation": FLOW, "contexts": [{"recipient": "user-1"}]},
        CourierClient.invoke_many,
    ),
    "AsyncCourierClient.invoke": Entry(
        _async_invoke, {"automation": FLOW}, AsyncCourierClient.invoke
    ),
    "Sandbox": Entry(_sandbox, signature_of=Sandbox),
    "Faults": Entry(Faults),
}

# Where accepting a value in NEVER_VALID is correct: flags read as true or false, as
# Python's own flags are (any value is one or the other).
FLAGS = (
    ("Automation.from_dict", "lenient"),
    ("Automation.from_payload", "lenient"),
    ("Automation.from_json", "lenient"),
    ("CourierClient.invoke_many", "resume"),
    ("CourierClient.invoke_many", "progress"),
)
ACCEPTED: set[tuple[str, str, str]] = {
    (entry, parameter, bad) for entry, parameter in FLAGS for bad in NEVER_VALID
}
ALIASES: dict[tuple[str, str], tuple[str, ...]] = {
    # parse errors name the document's own fields and paths, not the Python parameter
    ("Automation.from_dict", "data"): ("automation", "steps"),
    ("Automation.from_payload", "payload"): ("automation", "steps"),
    ("Automation.from_json", "text"): ("json", "automation", "steps"),
    ("RawStep", "body"): ("action", "step"),
    ("Automation.raw", "step"): ("action",),
    ("Automation.with_cancelation_token", "token"): ("cancelation_token",),
    ("CourierClient", "api_key"): ("api key",),
    ("AsyncCourierClient", "api_key"): ("api key",),
    ("CourierClient.invoke", "idempotency_key"): ("idempotency-key",),
    ("CourierClient.invoke_template", "idempotency_key"): ("idempotency-key",),
    ("AsyncCourierClient.invoke", "idempotency_key"): ("idempotency-key",),
    ("CourierClient.invoke", "idempotency_expiration"): ("x-idempotency-expiration",),
    ("CourierClient.invoke_template", "idempotency_expiration"): ("x-idempotency-expiration",),
    ("AsyncCourierClient.invoke", "idempotency_expiration"): ("x-idempotency-expiration",),
}


def _names(entry: str, parameter: str) -> tuple[str, ...]:
    """The names a message may use for a parameter: Python's, Courier's, the aliases."""
    bare = parameter.rstrip("_")
    camel = re.sub(r"_(\w)", lambda m: m.group(1).upper(), bare)
    return (bare, camel, bare.replace("_", "-"), *ALIASES.get((entry, parameter), ()))


def _cases() -> Iterator[Any]:
    for name, entry in ENTRIES.items():
        for parameter in entry.parameters():
            for bad in BAD:
                yield pytest.param(name, parameter.name, bad, id=f"{name}-{parameter.name}-{bad}")


CASES = list(_cases())

# -- what a success must produce --------------------------------------------------------------


def _refuse(constant: str) -> Any:
    raise ValueError(f"{constant} in JSON")


def _strict(text: str | bytes) -> None:
    """Valid strict JSON in UTF-8: no NaN/Infinity, no lone surrogate."""
    if isinstance(text, str):
        text = text.encode("utf-8")  # a lone surrogate cannot be encoded
    json.loads(text.decode("utf-8"), parse_constant=_refuse)


def _json_of(result: Any) -> str | bytes | None:
    """The JSON a successful call produced (or would send), if any."""
    if isinstance(result, Automation):
        return result.to_json()
    if isinstance(result, Step):
        return Automation(steps=[result]).to_json()
    if isinstance(result, Ref):
        return Automation().send(result).to_json()
    if isinstance(result, RunContext):
        return Automation().to_json(result)
    if isinstance(result, Webhook):
        return Automation(steps=[FetchData(webhook=result)]).to_json()
    if isinstance(result, DataSource):
        return Automation(steps=[SendList(list="L", data_source=result)]).to_json()
    if isinstance(result, Retain):
        return Automation(steps=[AddToBatch(**{**BATCH, "retain": result})]).to_json()
    if isinstance(result, tuple) and len(result) == 2 and isinstance(result[0], Automation):
        return result[0].to_json(result[1])  # from_payload
    if isinstance(result, dict):
        return json.dumps(result, allow_nan=False, ensure_ascii=False)
    if isinstance(result, str) and result[:1] in ("{", "["):
        return result
    return None


def _is_signature_error(error: BaseException) -> bool:
    """Python refusing the call itself (missing/unexpected argument): out of scope."""
    frames = traceback.extract_tb(error.__traceback__)
    words = ("missing", "unexpected keyword", "positional argument", "got multiple values")
    return (
        isinstance(error, TypeError)
        and len(frames) <= 2
        and any(word in str(error) for word in words)
    )


def _problem(entry: str, parameter: str, bad: str) -> str | None:
    """What went wrong with this case, or None."""
    spec = ENTRIES[entry]
    kwargs = dict(spec.baseline)
    if parameter in spec.exclusive:
        kwargs = {k: v for k, v in kwargs.items() if k not in spec.exclusive}
    kwargs[parameter] = BAD[bad]
    args: list[Any] = []
    for p in spec.parameters():
        if p.kind is p.POSITIONAL_ONLY and p.name in kwargs:
            args.append(kwargs.pop(p.name))
    SENT.clear()
    try:
        result = spec.call(*args, **kwargs)
    except AutomationError as error:
        message = str(error).lower()
        if not any(name.lower() in message for name in _names(entry, parameter)):
            return f"{type(error).__name__} does not name {parameter!r}: {str(error)[:150]}"
        return None
    except Exception as error:  # RecursionError included
        if _is_signature_error(error):
            return None
        return f"raised {_describe(error)}"
    try:
        if isinstance(result, BulkResult):
            unnamed = [f for f in result.failures if not isinstance(f.error, AutomationError)]
            if unnamed:
                return f"a row failed with a raw {_describe(unnamed[0].error)}"
        text = _json_of(result)
        if text is not None:
            _strict(text)
        for request in SENT:
            if request.content:  # a GET has no body
                _strict(request.content)
    except AutomationError as error:
        return f"accepted, then its JSON refused: {_describe(error)}"
    except Exception as error:
        return f"accepted, then its JSON is broken: {_describe(error)}"
    if bad in NEVER_VALID and (entry, parameter, bad) not in ACCEPTED:
        return "accepted a value no parameter can hold"
    return None


def _describe(error: BaseException) -> str:
    if isinstance(error, RecursionError):
        return "RecursionError"
    frames = traceback.extract_tb(error.__traceback__)
    where = f" [{Path(frames[-1].filename).name}:{frames[-1].lineno}]" if frames else ""
    return f"{type(error).__name__}: {str(error)[:120]}{where}"


@pytest.fixture(scope="module", autouse=True)
def _in_a_temporary_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Paths the matrix passes (journal, db) land in a temporary folder; no key is set."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path_factory.mktemp("matrix"))
        for name in ("COURIER_API_KEY", "COURIER_AUTH_TOKEN", "COURIER_BASE_URL"):
            patch.delenv(name, raising=False)
        yield


@pytest.mark.parametrize(("entry", "parameter", "bad"), CASES)
def test_hostile_value(entry: str, parameter: str, bad: str) -> None:
    problem = _problem(entry, parameter, bad)
    if problem is not None:
        pytest.fail(f"{entry}({parameter}={bad}): {problem}", pytrace=False)


@pytest.mark.parametrize("entry", list(ENTRIES))
def test_the_baseline_call_succeeds(entry: str) -> None:
    """Each case changes one value of a call that works: otherwise the matrix proves nothing."""
    spec = ENTRIES[entry]
    kwargs = dict(spec.baseline)
    args = [
        kwargs.pop(p.name)
        for p in spec.parameters()
        if p.kind is p.POSITIONAL_ONLY and p.name in kwargs
    ]
    result = spec.call(*args, **kwargs)
    text = _json_of(result)
    if text is not None:
        _strict(text)


def test_the_matrix_covers_every_entry_point_and_value() -> None:
    assert len(ENTRIES) == 52
    assert all(ENTRIES[name].parameters() for name in ENTRIES)
    assert len(CASES) > 4000
    assert {case.values[2] for case in CASES} == set(BAD)
    assert all(key[2] in BAD and key[0] in ENTRIES for key in ACCEPTED)


# -- mutated documents: from_dict and the validate command ------------------------------------


def _round_trips(automation: Automation) -> None:
    text = automation.to_json()
    _strict(text)
    assert Automation.from_json(text) == automation


@settings(max_examples=150)
@given(mutated_documents())
def test_from_dict_of_a_mutated_document_round_trips_or_names_a_path(document: Any) -> None:
    try:
        automation = Automation.from_dict(document, lenient=False)
    except ValidationError as error:
        path, message = error.path, str(error)
    else:
        _round_trips(automation)
        return
    assert path, f"a ValidationError without a path: {message!a}"


@settings(max_examples=60)
@given(mutated_payloads())
def test_from_payload_of_a_mutated_body_round_trips_or_names_a_path(body: Any) -> None:
    try:
        automation, context = Automation.from_payload(body)
    except ValidationError as error:
        path, message = error.path, str(error)
    else:
        _strict(automation.to_json(context))
        return
    assert path, f"a ValidationError without a path: {message!a}"


@pytest.fixture(scope="module")
def document_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hostile") / "flow.json"


@settings(  # a function-scoped tmp file is reused across examples on purpose
    max_examples=60,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(document=mutated_payloads() | mutated_documents())
def test_validate_command_on_a_mutated_document_exits_0_or_1_without_a_traceback(
    document_file: Path, document: Any
) -> None:
    try:
        text = json.dumps(document)  # NaN/Infinity written as such: the command must refuse
    except RecursionError:
        text = "[" * 5000 + "]" * 5000
    document_file.write_text(text, encoding="utf-8", errors="surrogatepass")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["validate", str(document_file)])
    assert code in (0, 1), err.getvalue()
    assert "Traceback" not in err.getvalue()
    assert "internal error" not in err.getvalue()
    if code == 0:
        assert out.getvalue().startswith("ok: ")
    else:
        assert err.getvalue().strip()
