"""A reusable workflows module, written the way a typed user writes one.

``make typecheck`` reads it with ``mypy --strict`` and pyright (strict): every documented
feature, used as the docs show it, must type-check with no casts and no ignores. And
``tests/integration/test_user_module.py`` runs :func:`main` against the local sandbox, so
this is code that works, not only code that checks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Literal, NotRequired, TypedDict
from zoneinfo import ZoneInfo

import attrs

from automation_dsl import (
    AddToBatch,
    AddToDigest,
    AsyncCourierClient,
    Automation,
    AutomationError,
    BatchScope,
    BulkResult,
    Cancel,
    ConditionLike,
    CourierClient,
    DataSource,
    Delay,
    FetchData,
    HttpMethod,
    Invoke,
    LocalInstant,
    LocalTime,
    MergeStrategy,
    MessageDelay,
    MessageStatus,
    PayloadSchema,
    RawStep,
    Ref,
    RefLike,
    Retain,
    RetainType,
    RetryPolicy,
    RunContext,
    Send,
    SendList,
    SendMessage,
    Step,
    Throttle,
    Timeline,
    UntilFormat,
    UpdateProfile,
    ValidationError,
    Webhook,
    at,
    invoke_schema,
)
from automation_dsl.conditions import Condition, Path, data, evaluate, parse, profile, refs
from automation_dsl.sandbox import Sandbox

START = datetime(2026, 3, 2, 9, tzinfo=UTC)


def is_pro(plan: str = "pro") -> ConditionLike:
    """A condition other modules reuse; any ConditionLike goes where ``if_`` does."""
    return (data.plan == plan) & ~(profile.opted_out == True)  # noqa: E712


def order_token() -> RefLike:
    """A value read when the run executes: a typed path or a ``Ref``."""
    return data.order.token


def remind(flow: Automation, template: str, *, after: timedelta) -> Automation:
    """A fragment for ``pipe``: wait, then send unless the first message was opened."""
    unopened = refs.welcome.status < MessageStatus.OPENED
    return flow.delay(duration=after).send(template, if_=unopened)


def onboarding() -> Automation:
    """Every builder step, with typed conditions and paths where the docs use them."""
    return (
        Automation(cancelation_token=order_token())
        .send("WELCOME", recipient=profile.user_id, data={"plan": data.plan}, ref="welcome")
        .pipe(remind, "NUDGE", after=timedelta(days=2))
        .send("PRO_TIPS", if_=is_pro())
        .send("LEGACY", if_="data.plan === 'legacy'")
        .send("ANY_PLAN", if_=data.plan)
        .delay(until=START + timedelta(days=7))
        .delay(until=date(2026, 4, 1))
        .delay(until="2026-04-02T09:00:00+02:00")
        .delay(duration="1 day", if_=data.slow == True)  # noqa: E712
        .delay(hours=1, minutes=30)
        .send_list("weekly", data_source=DataSource(webhook=Webhook(url="https://x.test/l")))
        .fetch_data(
            "https://x.test/orders",
            method=HttpMethod.POST,
            headers={"Accept": "application/json"},
            body={"id": data.order.id},
            merge_strategy=MergeStrategy.SOFT_MERGE,
        )
        .invoke("child-flow", context=RunContext(recipient="ops", data={"n": 1}))
        .update_profile({"onboarded": True}, recipient_id=data.user_id, merge="soft-merge")
        .add_to_batch(
            wait_period=timedelta(minutes=5),
            max_wait_period="PT1H",
            retain=Retain(type=RetainType.FIRST, count=10),
            scope=BatchScope.USER,
        )
        .throttle(
            max_allowed=1, period="PT1H", scope="user", on_throttle="$node_19", throttle_key="k"
        )
        .send_message({"to": {"user_id": "u1"}, "template": "V2"})
        .add_to_digest("weekly-digest")
        .raw({"action": "get-profile", "user_id": "u1"})
        .cancel(order_token(), if_=data.order.status == "canceled")
    )


@attrs.frozen
class Order:
    """The shape of ``data`` for the receipts flow."""

    id: str
    total: float
    tier: Literal["vip", "standard"]
    token: str = "t-1"


class Reply(TypedDict):
    """What the loyalty webhook answers (merged into ``data``)."""

    points: int
    note: NotRequired[str]


def receipts() -> dict[str, object]:
    """A flow whose ``data`` is declared: paths and literals checked while building, the
    data checked (and an instance written as JSON) when the payload is made."""
    flow = (
        Automation(cancelation_token=data.token, data_schema=Order)
        .fetch_data("https://x.test/loyalty", returns=Reply)
        .send("VIP", if_=(data.tier == "vip") & (data.points > 100))
    )
    hint: str | None = None
    try:
        flow.send("TYPO", if_=data.tierr == "vip")
    except ValidationError as error:
        hint = error.hint  # did you mean 'data.tier'?
    assert hint is not None
    assert "data.tier" in hint
    schema = PayloadSchema(Order)
    assert invoke_schema(flow)["properties"]["data"]
    return flow.to_payload(recipient="u1", data=Order("o-1", 120.0, "vip")) | {
        "json": schema.to_json(Order("o-2", 5.0, "standard"))
    }


def local_times() -> str:
    """09:00 in each recipient's zone on weekdays, resolved per run; a Send API delivery
    window on a v2 send."""
    nine: LocalTime = at("09:00", tz=profile.timezone, days="Mo-Fr", fallback="UTC")
    flow = (
        Automation()
        .send("HELLO")
        .delay(until=nine)
        .send_message(
            {
                "to": {"user_id": "u1"},
                "template": "DIGEST",
                "delay": MessageDelay(until="Mo-Fr 09:00-17:00", timezone="Europe/Paris"),
            }
        )
    )
    body = flow.to_payload(profile={"timezone": "Asia/Tokyo"}, now=START)
    landed: LocalInstant = nine.resolve(START, {"profile": {"timezone": "Europe/London"}})
    assert landed.local.hour == 9
    return str(body["automation"]["steps"][1]["until"])


def from_step_objects() -> Automation:
    """The same kind of flow, from step classes."""
    steps: list[Step] = [
        Send(template="A", if_=data.vip, recipient=Ref("data.user")),
        SendList(list="team", template=data.template_id),
        Delay(until=START, if_=(data.n > 3) | (data.n < 0)),
        Delay(duration=timedelta(hours=2)),
        Cancel(cancelation_token=data.order.token),
        Invoke(template="child", context={"recipient": "u2"}),
        UpdateProfile(profile={"vip": True}, recipient_id=data.user_id),
        FetchData(webhook=Webhook(url="https://x.test/d", method="GET")),
        AddToBatch(wait_period="PT5M", max_wait_period="PT1H", retain=Retain(type="last", count=2)),
        AddToDigest(subscription_topic_id="topic"),
        Throttle(max_allowed=2, period="P1D", scope="global", on_throttle="$node_1"),
        SendMessage(message={"to": {"email": "a@x.test"}, "content": {"body": "hi"}}),
        RawStep({"action": "future-step"}),
    ]
    flow = Automation("token", steps=steps, until_format=UntilFormat.EXTENDED)
    return flow.with_cancelation_token(None).with_until_format("basic")


def conditions_in_python() -> bool:
    """Conditions read back from Courier's strings, and evaluated offline."""
    condition: Condition | None = parse("data.plan === 'pro' && data.seats > 3")
    path: Path = data.order["id"]
    scope = {"data": {"plan": "pro", "seats": 5, "order": {"id": "o-1"}}}
    return condition is not None and evaluate(condition, scope) and evaluate(path, scope)


def documents(flow: Automation) -> Automation:
    """JSON both ways, a payload, and the schema of what ``invoke`` sends."""
    text: str = flow.to_json(indent=2)
    again = Automation.from_json(text, lenient=True)  # lenient: keeps the raw step
    assert again == flow
    payload = flow.to_payload(recipient="u1", data={"plan": "pro"})
    parsed, context = Automation.from_payload(payload, lenient=True)
    assert parsed == flow
    assert context == RunContext(recipient="u1", data={"plan": "pro"})
    extended = Automation.from_dict(flow.to_dict(until_format="extended"), lenient=True)
    assert extended.until_format is UntilFormat.EXTENDED
    assert extended.to_dict(until_format="basic") == flow.to_dict()
    assert "properties" in invoke_schema()
    return again


def refused(value: object) -> str:
    """Bad input is an error that names the field and what was expected."""
    try:
        Automation().delay(until=datetime(2026, 1, 1))  # naive: refused
    except ValidationError as error:
        return f"{error.path}: {error}"
    return repr(value)


def simulated(flow: Automation) -> Timeline:
    """The flow on a virtual clock, offline."""
    context = {"plan": "pro", "order": {"token": "o-1"}}
    timeline = flow.simulate(start=START, profile={"user_id": "u1"}, data=context)
    outcomes: list[str] = [event.outcome for event in timeline if event.step is not None]
    assert "sent" in outcomes, timeline
    return timeline


def rows(count: int) -> Iterator[dict[str, object]]:
    """Bulk rows from anywhere (a generator, a DataFrame's records ...)."""
    for number in range(count):
        yield {"recipient": f"user-{number}", "data": {"plan": "pro"}}


def run_on(client: CourierClient, sandbox: Sandbox) -> BulkResult:
    """The client, as the docs show it, against the sandbox."""
    flow = Automation().send("WELCOME", ref="welcome").pipe(remind, "NUDGE", after=timedelta(1))
    run_id: str = client.invoke(flow, recipient="u1", idempotency_key="user-flows-1")
    assert flow.run(recipient="u1", idempotency_key="user-flows-1", client=client) == run_id
    sandbox.register_template("tpl-1", flow)
    client.invoke_template("tpl-1", recipient="u2", data={"plan": "pro"})
    sandbox.advance(timedelta(days=2))
    statuses = [run.status for run in client.list_runs(template_id="tpl-1")]
    assert statuses
    assert client.run_steps(run_id)
    return client.invoke_many(flow, rows(5), concurrency=2, progress=False)


async def run_async(client: AsyncCourierClient) -> str:
    """The async client: same calls, awaited."""
    flow = Automation().send("WELCOME")
    result = await client.invoke_many(flow, [{"recipient": "a"}, {"recipient": "b"}])
    assert result.ok
    return await flow.arun(recipient="u3", client=client)


def main() -> dict[str, str]:
    """Build, check, simulate and run everything above; return what a script would print."""
    flow = onboarding()
    out = {"explain": flow.explain(), "repr": repr(from_step_objects()), "refused": refused(None)}
    assert conditions_in_python()
    out["receipt data"] = str(receipts()["data"])
    out["nine in Tokyo"] = local_times()
    documents(flow)
    out["events"] = str(len(simulated(onboarding()[:6])))
    retry = RetryPolicy(max_retries=2, budget_ratio=0.1)
    with Sandbox(start=START) as sandbox, sandbox.client(retry=retry) as client:
        result = run_on(client, sandbox)
        assert result.ok
        assert len(result.run_ids) == 5

        async def use_async() -> str:
            async with sandbox.async_client() as async_client:
                return await run_async(async_client)

        out["async run"] = asyncio.run(use_async())
    try:
        Automation().send("X", if_="   ")
    except AutomationError as error:
        out["blank condition"] = type(error).__name__
    out["paris"] = str(datetime(2026, 1, 1, tzinfo=ZoneInfo("Europe/Paris")))
    return out


if __name__ == "__main__":
    for name, value in main().items():
        print(f"{name}: {value}")
