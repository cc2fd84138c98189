"""The builder: every call returns a new automation; flows compose and read like the chain."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta

import pytest

import automation_dsl
from automation_dsl import (
    Automation,
    Cancel,
    Delay,
    Ref,
    Send,
    ValidationError,
    ValidationTypeError,
)

pytestmark = pytest.mark.usefixtures("schema_checked")


def test_base_flow_is_unchanged_by_what_is_built_on_it() -> None:
    base = Automation().send("A")
    snapshot = base.to_dict()
    delayed = base.delay(days=1)
    other = base.send("B")
    branched = base.cancel("t").pipe(lambda f: f.send("C"))
    assert len(base) == 1
    assert base.to_dict() == snapshot
    assert [len(delayed), len(other), len(branched)] == [2, 2, 3]
    assert base.steps == (Send(template="A"),)
    assert isinstance(base.steps, tuple)


def test_every_chain_method_returns_a_new_automation() -> None:
    base = Automation()
    calls = [
        lambda a: a.send("A"),
        lambda a: a.send_message({"to": {"user_id": "u"}, "template": "T"}),
        lambda a: a.send_list("L"),
        lambda a: a.delay(duration="1 hour"),
        lambda a: a.cancel("t"),
        lambda a: a.invoke("T"),
        lambda a: a.update_profile({"a": 1}),
        lambda a: a.fetch_data("https://x.test"),
        lambda a: a.add_to_batch(
            wait_period="PT5M", max_wait_period="PT1H", retain={"type": "last", "count": 1}
        ),
        lambda a: a.add_to_digest("T"),
        lambda a: a.throttle(max_allowed=1, period="PT1H", scope="user", on_throttle="n"),
        lambda a: a.raw({"action": "x"}),
        lambda a: a.step(Cancel(cancelation_token="t")),
    ]
    for call in calls:
        result = call(base)
        assert result is not base
        assert len(result) == 1
        assert len(base) == 0


def test_composition_with_plus_then_and_pipe() -> None:
    welcome = Automation().send("WELCOME")
    nudge = Automation().delay(days=2).send("NUDGE")
    assert welcome + nudge == welcome.then(nudge)
    assert [s.to_wire()["action"] for s in welcome + nudge] == ["send", "delay", "send"]

    def remind(flow: Automation, template: str, *, after: timedelta) -> Automation:
        return flow.delay(duration=after).send(template)

    assert welcome.pipe(remind, "NUDGE", after=timedelta(days=2)) == welcome + nudge
    with pytest.raises(TypeError, match="a function returning an Automation"):
        welcome.pipe(lambda f: None)  # type: ignore[arg-type,return-value]
    with pytest.raises(TypeError):
        welcome + 1  # type: ignore[operator]


def test_composition_keeps_the_cancelation_token() -> None:
    assert (Automation("t").send("A") + Automation().send("B")).cancelation_token == "t"
    assert (Automation().send("A") + Automation("t").send("B")).cancelation_token == "t"
    with pytest.raises(ValidationError, match="the same token on both sides"):
        Automation("t1") + Automation("t2")


def test_sequence_protocol() -> None:
    flow = Automation().send("A").delay(duration="1 day").send("B")
    assert len(flow) == 3
    assert list(flow) == list(flow.steps)
    assert flow[0] == Send(template="A")
    assert flow[-1] == Send(template="B")
    assert flow[1:] == Automation().delay(duration="1 day").send("B")
    assert isinstance(flow[1], Delay)


def test_equality_and_hashing() -> None:
    def make() -> Automation:
        return Automation("tok").send("A", data={"x": [1, {"y": 2}]}).delay(hours=1)

    assert make() == make()
    assert hash(make()) == hash(make())
    assert len({make(), make(), make().send("B")}) == 2
    assert make() != make().send("B")
    assert make() != make().with_until_format("extended")


def test_repr_reads_like_the_chain_and_evaluates_back() -> None:
    flow = (
        Automation("order-1")
        .send("WELCOME", recipient="u1", data={"plan": "pro"}, ref="welcome")
        .delay(until=datetime(2024, 4, 8, 8, 9, 10, 123000, tzinfo=UTC))
        .send("NUDGE", if_="refs.welcome.status < MessageStatus.Opened")
        .fetch_data("https://x.test", method="POST", body={"a": 1}, merge_strategy="overwrite")
        .update_profile({"seen": True}, merge="soft-merge")
        .cancel(Ref("data.token"))
        .raw({"action": "future-thing", "n": 1})
    )
    text = repr(flow)
    assert text.startswith(
        "Automation('order-1').send('WELCOME', recipient='u1', data={'plan': 'pro'}, "
        "ref='welcome').delay(until='2024-04-08T08:09:10.123Z')"
    )
    namespace = {name: getattr(automation_dsl, name) for name in automation_dsl.__all__}
    assert eval(text, namespace) == flow


def test_steps_must_be_step_objects() -> None:
    with pytest.raises(ValidationTypeError, match=r"'steps\[1\]' expected a step object"):
        Automation(steps=[Send(), {"action": "send"}])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="a step object"):
        Automation().step({"action": "send"})  # type: ignore[arg-type]


def test_bad_until_format() -> None:
    with pytest.raises(ValidationError, match="'basic' or 'extended'"):
        Automation(until_format="iso")  # type: ignore[arg-type]


def test_automations_pickle() -> None:
    flow = Automation("t").send("A", data={"x": 1}).delay(until="2024-01-01T00:00:00Z")
    assert pickle.loads(pickle.dumps(flow)) == flow
    error = ValidationError("send step", "template", "a string", 1, path="steps[0].template")
    again = pickle.loads(pickle.dumps(error))
    assert (str(again), again.path) == (str(error), error.path)
