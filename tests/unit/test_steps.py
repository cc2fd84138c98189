"""Each step class: its JSON, its required fields, and errors that name the field."""

from __future__ import annotations

from datetime import UTC, datetime

import attrs
import pytest

from automation_dsl import (
    AddToBatch,
    AddToDigest,
    Automation,
    BatchScope,
    Cancel,
    DataSource,
    Delay,
    FetchData,
    HttpMethod,
    Invoke,
    MergeStrategy,
    RawStep,
    Ref,
    Retain,
    RunContext,
    Send,
    SendList,
    SendMessage,
    Throttle,
    UpdateProfile,
    ValidationError,
    ValidationTypeError,
    Webhook,
)


def test_send_with_every_field() -> None:
    step = Send(
        template="ORDER_SHIPPED",
        recipient="user-123",
        brand="BRAND",
        data={"order": "A-1", "items": [1, 2]},
        profile={"email": "a@example.com"},
        override={"channel": {"email": {"subject": "Hi"}}},
        idempotency_key="order-A-1",
        idempotency_expiry=datetime(2030, 1, 1, tzinfo=UTC),
        if_="data.ok === true",
        ref="shipped",
    )
    assert step.to_wire() == {
        "action": "send",
        "template": "ORDER_SHIPPED",
        "recipient": "user-123",
        "brand": "BRAND",
        "data": {"order": "A-1", "items": [1, 2]},
        "profile": {"email": "a@example.com"},
        "override": {"channel": {"email": {"subject": "Hi"}}},
        "idempotency_key": "order-A-1",
        "idempotency_expiry": 1893456000,
        "if": "data.ok === true",
        "ref": "shipped",
    }


def test_unset_fields_are_omitted_never_null() -> None:
    assert Send().to_wire() == {"action": "send"}
    assert Automation().send("A").to_payload() == {
        "automation": {"steps": [{"action": "send", "template": "A"}]}
    }


def test_action_is_fixed_by_the_class() -> None:
    actions = {
        cls: cls.action for cls in (Send, SendList, Delay, Cancel, Invoke, UpdateProfile, FetchData)
    }
    assert actions == {
        Send: "send",
        SendList: "send-list",
        Delay: "delay",
        Cancel: "cancel",
        Invoke: "invoke",
        UpdateProfile: "update-profile",
        FetchData: "fetch-data",
    }
    assert (AddToBatch.action, AddToDigest.action, Throttle.action, SendMessage.action) == (
        "add-to-batch",
        "add-to-digest",
        "throttle",
        "send",
    )
    with pytest.raises(TypeError):
        Send(action="delay")  # type: ignore[call-arg]


def test_steps_are_frozen_and_slotted() -> None:
    step = Send(template="A", data={"k": [1]})
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        step.template = "B"  # type: ignore[misc]
    with pytest.raises(TypeError):
        step.data["k"] = 2  # type: ignore[index]
    assert not hasattr(step, "__dict__")
    assert hash(step) == hash(Send(template="A", data={"k": [1]}))


def test_caller_mutations_do_not_reach_a_built_step() -> None:
    data = {"tags": ["a"]}
    flow = Automation().send("A", data=data)
    data["tags"].append("b")
    data["new"] = 1
    assert flow.to_dict()["steps"][0]["data"] == {"tags": ["a"]}
    flow.to_dict()["steps"][0]["data"]["tags"].append("c")
    assert flow.to_dict()["steps"][0]["data"] == {"tags": ["a"]}


def test_send_list_with_data_source() -> None:
    step = SendList(
        list="team-weekly",
        template="WEEKLY",
        data_source={"webhook": {"url": "https://x.test/r"}, "merge_strategy": "soft-merge"},
    )
    assert step.data_source == DataSource(
        webhook=Webhook(url="https://x.test/r"), merge_strategy=MergeStrategy.SOFT_MERGE
    )
    assert step.to_wire()["data_source"] == {
        "webhook": {"url": "https://x.test/r", "method": "GET"},
        "merge_strategy": "soft-merge",
    }


def test_send_list_requires_a_list() -> None:
    with pytest.raises(TypeError, match="'list'"):
        SendList()  # type: ignore[call-arg]
    with pytest.raises(TypeError, match=r"send-list step: 'list' expected a non-empty string"):
        SendList(list=None)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="'list'"):
        Automation().send_list("")


def test_cancel_requires_a_token() -> None:
    with pytest.raises(ValidationTypeError, match=r"cancel step: 'cancelation_token'"):
        Automation().cancel(None)  # type: ignore[arg-type]
    assert Automation().cancel(Ref("data.token")).to_dict()["steps"][0] == {
        "action": "cancel",
        "cancelation_token": {"$ref": "data.token"},
    }


def test_invoke_context_accepts_mapping_context_or_ref() -> None:
    by_mapping = Invoke(template="T", context={"recipient": "u1", "data": {"plan": "pro"}})
    assert by_mapping.context == RunContext(recipient="u1", data={"plan": "pro"})
    assert Invoke(template="T", context=Ref("data.ctx")).to_wire()["context"] == {
        "$ref": "data.ctx"
    }
    with pytest.raises(ValidationError, match=r"context\.colour"):
        Invoke(template="T", context={"colour": "blue"})


def test_update_profile_merge_strategies() -> None:
    for strategy in ("replace", "none", "overwrite", "soft-merge"):
        step = UpdateProfile(profile={"a": 1}, merge=strategy)  # type: ignore[arg-type]
        assert step.to_wire()["merge"] == strategy
        assert isinstance(step.merge, MergeStrategy)
    with pytest.raises(ValidationError) as caught:
        Automation().update_profile({"a": 1}, merge="smush")
    assert str(caught.value) == (
        "update-profile step: 'merge' expected one of 'replace', 'none', 'overwrite', "
        "'soft-merge', got 'smush' (str)"
    )


def test_update_profile_requires_a_mapping_profile() -> None:
    with pytest.raises(
        ValidationTypeError, match=r"update-profile step: 'profile' expected a mapping"
    ):
        Automation().update_profile(["not", "a", "dict"])  # type: ignore[arg-type]


def test_fetch_data_body_dict_is_json_encoded() -> None:
    flow = Automation().fetch_data(
        "https://api.example.com/digest",
        method="POST",
        headers={"Authorization": "Bearer x"},
        body={"user": "u1", "name": "Zoë"},
        params={"u": "1"},
        merge_strategy="soft-merge",
    )
    webhook = flow.to_dict()["steps"][0]["webhook"]
    assert webhook == {
        "url": "https://api.example.com/digest",
        "method": "POST",
        "headers": {"Authorization": "Bearer x"},
        "body": '{"user":"u1","name":"Zoë"}',
        "params": {"u": "1"},
    }


def test_fetch_data_string_body_is_kept_and_method_always_sent() -> None:
    step = FetchData(webhook=Webhook(url="https://x.test", body="a=1"))
    assert step.to_wire()["webhook"] == {"url": "https://x.test", "method": "GET", "body": "a=1"}
    assert step.webhook.method is HttpMethod.GET


def test_fetch_data_validation() -> None:
    with pytest.raises(ValidationError, match=r"webhook: 'method' expected one of 'GET'"):
        Automation().fetch_data("https://x.test", method="FETCH")
    with pytest.raises(ValidationTypeError, match=r"webhook: \"headers\['X'\]\" expected a string"):
        Automation().fetch_data("https://x.test", headers={"X": 1})  # type: ignore[dict-item]
    with pytest.raises(ValidationTypeError, match=r"webhook: 'body' expected a string, or a dict"):
        Automation().fetch_data("https://x.test", body=42)  # type: ignore[arg-type]


def test_send_message_v2() -> None:
    message = {"to": {"user_id": "u1"}, "template": "WELCOME"}
    assert Automation().send_message(message).to_dict()["steps"] == [
        {"action": "send", "message": message}
    ]
    with pytest.raises(ValidationError, match="exactly one of 'template' or 'content'"):
        SendMessage(message={"to": {"user_id": "u1"}})


def test_add_to_batch_rules() -> None:
    step = AddToBatch(
        wait_period="PT5M",
        max_wait_period="PT1H",
        retain=Retain(type="highest", count=10, sort_key="refs.data.score"),  # type: ignore[arg-type]
        scope="user",  # type: ignore[arg-type]
        category_key="likes",
    )
    assert step.to_wire() == {
        "action": "add-to-batch",
        "wait_period": "PT5M",
        "max_wait_period": "PT1H",
        "retain": {"type": "highest", "count": 10, "sort_key": "refs.data.score"},
        "scope": "user",
        "category_key": "likes",
    }
    with pytest.raises(ValidationError, match=r"retain.*'sort_key' expected a sort key"):
        Retain(type="lowest", count=3)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="'max_wait_period' expected at most 60 days"):
        AddToBatch(wait_period="PT5M", max_wait_period="P61D", retain={"type": "last", "count": 1})  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="'batch_key'"):
        AddToBatch(
            wait_period="PT5M",
            max_wait_period="PT1H",
            retain={"type": "last", "count": 1},  # type: ignore[arg-type]
            scope=BatchScope.DYNAMIC,
        )
    with pytest.raises(ValidationError, match=r"retain: 'count' expected an integer >= 1"):
        Retain(type="last", count=0)  # type: ignore[arg-type]


def test_throttle_and_digest() -> None:
    flow = (
        Automation()
        .throttle(
            max_allowed=2,
            period="PT1H",
            scope="dynamic",
            throttle_key="refs.data.k",
            on_throttle="node-9",
            should_alert=False,
        )
        .add_to_digest("RAJE97CMT04KDJJ88ZDS2TP1690S")
    )
    assert flow.to_dict()["steps"] == [
        {
            "action": "throttle",
            "max_allowed": 2,
            "period": "PT1H",
            "scope": "dynamic",
            "on_throttle": {"$node_id": "node-9"},
            "throttle_key": "refs.data.k",
            "should_alert": False,
        },
        {"action": "add-to-digest", "subscription_topic_id": "RAJE97CMT04KDJJ88ZDS2TP1690S"},
    ]
    with pytest.raises(ValidationTypeError, match="'max_allowed' expected an integer"):
        Automation().throttle(max_allowed=True, period="PT1H", scope="user", on_throttle="n")


def test_raw_step_is_carried_untouched() -> None:
    body = {"action": "get-profile", "user_id": "u1", "nested": {"$ref": "data.x"}, "n": [1]}
    flow = Automation().raw(body)
    assert flow.to_dict()["steps"] == [body]
    assert flow[0] == RawStep(body)
    assert flow[0].action == "get-profile"
    with pytest.raises(ValidationError, match="'action'"):
        RawStep({"user_id": "u1"})


def test_if_and_ref_on_every_typed_step() -> None:
    steps = [
        Send(if_="x", ref="a"),
        SendList(list="l", if_="x", ref="a"),
        Delay(duration="1 day", if_="x", ref="a"),
        Cancel(cancelation_token="t", if_="x", ref="a"),
        Invoke(template="t", if_="x", ref="a"),
        UpdateProfile(profile={}, if_="x", ref="a"),
        FetchData(webhook={"url": "u"}, if_="x", ref="a"),  # type: ignore[arg-type]
        AddToDigest(subscription_topic_id="t", if_="x", ref="a"),
    ]
    for step in steps:
        wire = step.to_wire()
        assert (wire["if"], wire["ref"]) == ("x", "a"), step


@pytest.mark.parametrize("bad", ["has space", "a.b", ""])
def test_ref_names_are_checked(bad: str) -> None:
    with pytest.raises(ValidationError, match=r"send step: 'ref' expected a name"):
        Automation().send("A", ref=bad)


@pytest.mark.parametrize("bad", ["", "data..x", "data. x", " data"])
def test_ref_paths_are_checked(bad: str) -> None:
    with pytest.raises(ValidationError, match="Ref: 'path' expected a dotted path"):
        Ref(bad)


def test_error_names_owner_field_expectation_and_value() -> None:
    with pytest.raises(ValidationTypeError) as caught:
        Automation().send(42)  # type: ignore[arg-type]
    error = caught.value
    assert isinstance(error, TypeError)
    assert isinstance(error, ValueError)
    assert (error.owner, error.field, error.got) == ("send step", "template", 42)
    assert str(error) == "send step: 'template' expected a non-empty string or a Ref, got 42 (int)"


@pytest.mark.parametrize(
    ("data", "where"),
    [
        ({"when": datetime(2024, 1, 1, tzinfo=UTC)}, "data.when"),
        ({"n": float("nan")}, "data.n"),
        ({1: "x"}, "data"),
        ({"deep": [{"x": {1, 2}}]}, "data.deep[0].x"),
    ],
)
def test_non_json_data_is_refused_with_its_place(data: dict[object, object], where: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Automation().send("A", data=data)  # type: ignore[arg-type]
    assert (caught.value.field, caught.value.path) == ("data", where)


def test_idempotency_expiry_forms() -> None:
    assert Send(idempotency_expiry=1785312000).idempotency_expiry == 1785312000
    assert Send(idempotency_expiry="2026-07-29T00:00:00Z").idempotency_expiry == (
        "2026-07-29T00:00:00Z"
    )
    with pytest.raises(ValidationError, match="attach a tzinfo"):
        Send(idempotency_expiry=datetime(2030, 1, 1))  # type: ignore[arg-type]


def test_the_step_registry_holds_each_action_once() -> None:
    """Step classes register themselves as they are defined; parsing reads the table."""
    from automation_dsl._steps import STEP_CLASSES, Step

    def leaves(cls: type[Step]) -> set[type[Step]]:
        return {cls} | {c for sub in cls.__subclasses__() for c in leaves(sub)}

    typed = {
        cls
        for cls in leaves(Step)
        if isinstance(cls.__dict__.get("action"), str) and cls.__module__ == "automation_dsl"
    }
    assert set(STEP_CLASSES.values()) == typed - {SendMessage}
    assert all(STEP_CLASSES[cls.action] is cls for cls in typed - {SendMessage})
    assert list(STEP_CLASSES) == [
        "send",
        "send-list",
        "delay",
        "cancel",
        "invoke",
        "update-profile",
        "fetch-data",
        "add-to-batch",
        "add-to-digest",
        "throttle",
    ]


def test_a_step_class_made_outside_the_package_is_not_registered() -> None:
    from automation_dsl._steps import STEP_CLASSES

    @attrs.frozen(slots=True, kw_only=True, repr=False)
    class Mine(Send):
        action = "send"  # type: ignore[misc]

    assert STEP_CLASSES["send"] is Send
    assert Automation.from_dict({"steps": [{"action": "send"}]}).steps[0].__class__ is Send


def test_every_step_reads_if_and_ref() -> None:
    raw = RawStep({"action": "x"})
    assert (raw.if_, raw.ref) == (None, None)
    send = Send(template="T", if_="data.a", ref="w")
    assert (send.if_, send.ref) == ("data.a", "w")
    assert Send.SUMMARY == "``send``: send a notification template to a recipient."
