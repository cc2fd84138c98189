"""Hypothesis strategies that build every step type with every field, typed conditions, and
hostile (mutated) documents.

Names: ``conditions`` are JavaScript condition *strings*; ``typed_conditions`` are the typed
``automation_dsl.conditions`` expressions. ``refs`` draws ``Ref`` values, not condition paths.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

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
    RetainType,
    RunContext,
    Send,
    SendList,
    SendMessage,
    Step,
    Throttle,
    UpdateProfile,
    Webhook,
)
from automation_dsl.conditions import Compare, Literal, MessageStatus, Status, Var

text = st.text(min_size=1, max_size=12)
names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_-]{0,8}", fullmatch=True)
refs = st.lists(names, min_size=1, max_size=4).map(lambda parts: Ref(".".join(parts)))
text_or_ref = st.one_of(text, refs)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**53), max_value=2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
json_objects = st.dictionaries(st.text(max_size=6), json_values, max_size=4)
objects_or_ref = st.one_of(json_objects, refs)


def opt(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


conditions = text.filter(str.strip)  # whitespace alone is no condition
common = {"if_": opt(conditions), "ref": opt(names)}


def draw_common(draw: st.DrawFn) -> dict[str, Any]:
    """The fields every step has (``if_``, ``ref``), drawn in ``@st.composite`` strategies."""
    return {k: draw(v) for k, v in common.items()}


expiry = opt(
    st.one_of(
        st.integers(min_value=1, max_value=253402300799),
        st.sampled_from(["2030-01-01T00:00:00Z", "20300101T000000.000", "2026-11-29"]),
    )
)
moments = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=datetime(9998, 12, 31), timezones=st.just(UTC)
)
whole_minutes = st.integers(min_value=1, max_value=10**6).map(lambda m: timedelta(minutes=m))
iso_periods = st.integers(min_value=1, max_value=60 * 24 * 60).map(lambda m: timedelta(minutes=m))

headers = st.dictionaries(  # HTTP header names; values without control characters
    st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,11}", fullmatch=True),
    st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=8),
    max_size=3,
)
webhooks = st.builds(
    Webhook,
    url=text_or_ref,
    method=st.sampled_from(HttpMethod),
    headers=opt(headers),
    body=opt(st.one_of(st.text(max_size=10), json_objects)),
    params=opt(json_objects),
)
# The current spec's webhook: a literal URL and no ``params``.
spec_webhooks = st.builds(
    Webhook,
    url=text,
    method=st.sampled_from(HttpMethod),
    headers=opt(headers),
    body=opt(st.one_of(st.text(max_size=10), json_objects)),
)
contexts = st.builds(
    RunContext,
    data=opt(objects_or_ref),
    profile=opt(objects_or_ref),
    recipient=opt(text_or_ref),
    brand=opt(text_or_ref),
    template=opt(text_or_ref),
)


@st.composite
def retains(draw: st.DrawFn) -> Retain:
    kind = draw(st.sampled_from(RetainType))
    needs_key = kind in (RetainType.HIGHEST, RetainType.LOWEST)
    return Retain(
        type=kind,
        count=draw(st.integers(min_value=1, max_value=100)),
        sort_key=draw(text if needs_key else opt(text)),
    )


@st.composite
def batches(draw: st.DrawFn) -> AddToBatch:
    scope = draw(opt(st.sampled_from(BatchScope)))
    wait, longest = sorted((draw(iso_periods), draw(iso_periods)))  # wait <= max
    return AddToBatch(
        wait_period=wait,
        max_wait_period=longest,
        retain=draw(retains()),
        max_items=draw(opt(st.integers(min_value=1, max_value=1000))),
        scope=scope,
        batch_key=draw(text if scope is BatchScope.DYNAMIC else opt(text)),
        batch_id=draw(opt(text)),
        category_key=draw(opt(text)),
        **draw_common(draw),
    )


@st.composite
def throttles(draw: st.DrawFn) -> Throttle:
    scope = draw(st.sampled_from(BatchScope))
    return Throttle(
        max_allowed=draw(st.integers(min_value=1, max_value=1000)),
        period=draw(iso_periods),
        scope=scope,
        on_throttle=draw(text),
        throttle_key=draw(text if scope is BatchScope.DYNAMIC else opt(text)),
        should_alert=draw(opt(st.booleans())),
        **draw_common(draw),
    )


@st.composite
def delays(draw: st.DrawFn) -> Delay:
    if draw(st.booleans()):
        return Delay(until=draw(st.one_of(moments, refs)), **draw_common(draw))
    duration = draw(st.one_of(whole_minutes, refs, st.sampled_from(["1 month", "2 years"])))
    return Delay(duration=duration, **draw_common(draw))


send_messages = st.builds(
    SendMessage,
    message=st.builds(
        lambda to, key, value: {"to": to, key: value},
        json_objects,
        st.sampled_from(["template", "content"]),
        json_values,
    ),
    **common,
)

current_steps: st.SearchStrategy[Step] = st.one_of(
    st.builds(
        Send,
        template=opt(text_or_ref),
        recipient=opt(text_or_ref),
        brand=opt(text_or_ref),
        data=opt(objects_or_ref),
        profile=opt(objects_or_ref),
        override=opt(objects_or_ref),
        idempotency_key=opt(text),
        idempotency_expiry=expiry,
        **common,
    ),
    st.builds(
        SendList,
        list=text_or_ref,
        template=opt(text_or_ref),
        brand=opt(text_or_ref),
        data=opt(objects_or_ref),
        override=opt(objects_or_ref),
        data_source=opt(
            st.builds(
                DataSource, webhook=webhooks, merge_strategy=opt(st.sampled_from(MergeStrategy))
            )
        ),
        idempotency_key=opt(text),
        idempotency_expiry=expiry,
        **common,
    ),
    delays(),
    st.builds(Cancel, cancelation_token=text_or_ref, **common),
    st.builds(Invoke, template=text_or_ref, context=opt(st.one_of(contexts, refs)), **common),
    st.builds(
        UpdateProfile,
        profile=objects_or_ref,
        recipient_id=opt(text_or_ref),
        merge=opt(st.sampled_from(MergeStrategy)),
        **common,
    ),
    st.builds(
        FetchData,
        webhook=webhooks,
        merge_strategy=opt(st.sampled_from(MergeStrategy)),
        idempotency_key=opt(text),
        idempotency_expiry=expiry,
        **common,
    ),
)
legacy_steps: st.SearchStrategy[Step] = st.one_of(
    batches(),
    throttles(),
    st.builds(AddToDigest, subscription_topic_id=text, **common),
    send_messages,
)
any_steps = st.one_of(current_steps, legacy_steps)
raw_steps = st.builds(
    lambda action, extra: RawStep({"action": action, **extra}),
    st.from_regex(r"x-[a-z]{1,8}", fullmatch=True),
    json_objects.filter(lambda d: "action" not in d),
)

automations = st.builds(
    Automation,
    opt(text_or_ref),
    steps=st.lists(st.one_of(any_steps, raw_steps), max_size=6),
    until_format=st.sampled_from(["basic", "extended"]),
)

# Only what Courier's current spec has: the seven actions, their spec fields, no if/ref/$ref.
spec_steps: st.SearchStrategy[Step] = st.one_of(
    st.builds(
        Send,
        template=opt(text),
        recipient=opt(text),
        brand=opt(text),
        data=opt(json_objects),
        profile=opt(json_objects),
    ),
    st.builds(SendList, list=text, brand=opt(text), data=opt(json_objects)),
    st.builds(Delay, until=moments),
    st.builds(Delay, duration=whole_minutes),
    st.builds(Cancel, cancelation_token=text),
    st.builds(Invoke, template=text),
    st.builds(
        UpdateProfile,
        profile=json_objects,
        recipient_id=opt(text),
        merge=opt(st.sampled_from(MergeStrategy)),
    ),
    st.builds(
        FetchData,
        webhook=spec_webhooks,
        merge_strategy=opt(st.sampled_from([m for m in MergeStrategy if m != "none"])),
    ),
)


# -- typed conditions (automation_dsl.conditions) ----------------------------------------------

condition_keys = st.text(min_size=1, max_size=6)
condition_paths = st.builds(
    lambda root, rest: Var((root, *rest)),
    st.sampled_from(["data", "profile", "brand", "template", "recipient"]),
    st.lists(condition_keys, max_size=3),
)
condition_literals = st.builds(
    Literal,
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(10**18), max_value=10**18),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=10),
    ),
)
condition_statuses = st.sampled_from(list(MessageStatus)).map(Status)
condition_operands = st.one_of(condition_paths, condition_literals, condition_statuses)
comparisons = st.builds(
    Compare,
    st.sampled_from(["===", "!==", "<", "<=", ">", ">="]),
    condition_operands,
    condition_operands,
)
typed_conditions = st.recursive(
    st.one_of(comparisons, condition_paths),
    lambda inner: st.one_of(
        st.builds(lambda a, b: a & b, inner, inner),
        st.builds(lambda a, b: a | b, inner, inner),
        st.builds(lambda a: ~a, inner),
    ),
    max_leaves=8,
)


# -- hostile payloads: valid documents, then mutated -------------------------------------------


def deep_nesting(levels: int, leaf: Any = 1) -> Any:
    """``{"a": {"a": ... leaf}}``, ``levels`` deep, built without recursion."""
    value: Any = leaf
    for _ in range(levels):
        value = {"a": value}
    return value


def self_containing() -> dict[str, Any]:
    """``{"self": <itself>}``: a value no JSON can hold."""
    value: dict[str, Any] = {}
    value["self"] = value
    return value


DEEP = deep_nesting(5000)  # built once: the mutations share it
WRONG_ENUMS = {
    "action": "dealy",
    "method": "FETCH",
    "merge_strategy": "mix",
    "merge": "mix",
    "scope": "everyone",
    "type": "middle",
    "until": "next tuesday",
    "duration": "5 fortnights",
}
hostile_scalars = st.sampled_from(
    [
        None,
        True,
        0,
        -1,
        10**30,
        -(10**30),
        2**53 + 1,
        float("nan"),
        float("inf"),
        float("-inf"),
        "",
        "   ",
        "a\ud800",
        "\udfff",
        "a\r\nb",
        "\x00",
        "x" * 10_000,
        "9999999999 years",
        [],
        {},
        [None],
        {"": None},
    ]
)


def _locations(document: Any) -> list[tuple[Any, Any]]:
    """Every (container, key-or-index) in a JSON document, without recursion."""
    found: list[tuple[Any, Any]] = []
    stack = [document]
    while stack:
        container = stack.pop()
        keys = container.keys() if isinstance(container, dict) else range(len(container))
        for key in keys:
            found.append((container, key))
            value = container[key]
            if isinstance(value, dict | list) and value and value is not DEEP:  # DEEP is shared
                stack.append(value)
    return found


def _mutate(draw: st.DrawFn, document: Any) -> None:
    """Apply one mutation somewhere in ``document``, in place."""
    places = _locations(document)
    kind = draw(
        st.sampled_from(
            ["drop", "retype", "scalar", "enum", "unknown", "deep", "huge"]
            if places
            else ["unknown"]
        )
    )
    if kind == "unknown":
        targets = [c for c, k in places if isinstance(c[k], dict)] + [document]
        target = draw(st.sampled_from(targets))
        if isinstance(target, dict):
            target[draw(st.sampled_from(["recipent", "x-extra", "", "a\ud800", "$ref"]))] = draw(
                hostile_scalars
            )
        return
    container, key = draw(st.sampled_from(places))
    if kind == "drop":
        del container[key]
    elif kind == "retype":
        old = container[key]
        container[key] = draw(
            st.sampled_from(
                [
                    type(old).__name__,
                    [old],
                    {"value": old},
                    1 if isinstance(old, str) else "1",
                    None,
                ]
            )
        )
    elif kind == "scalar":
        container[key] = draw(hostile_scalars)
    elif kind == "enum":
        container[key] = WRONG_ENUMS.get(key, "no-such-value") if isinstance(key, str) else "?"
    elif kind == "deep":
        container[key] = DEEP
    else:
        container[key] = draw(st.sampled_from([10**30, 10**400, 1e308, -(2**63), 2**64]))


@st.composite
def mutated_documents(draw: st.DrawFn, max_mutations: int = 3) -> Any:
    """A valid automation object (``Automation.to_dict()``), then 1 to ``max_mutations``
    hostile changes: a required key dropped, a value's type changed, NaN/inf, huge
    numbers, 5000-level nesting, lone surrogates, a wrong enum, an unknown key.

    The result is a plain JSON-like value (maybe holding NaN, surrogates or ``DEEP``).
    """
    document = draw(automations.filter(lambda a: len(a) > 0)).to_dict()
    for _ in range(draw(st.integers(min_value=1, max_value=max_mutations))):
        _mutate(draw, document)
    return document


@st.composite
def mutated_payloads(draw: st.DrawFn) -> Any:
    """A whole invoke body (``{"automation": ..., "recipient": ...}``), then mutated."""
    body = {"automation": draw(automations).to_dict(), "recipient": "user-1", "data": {"a": 1}}
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        _mutate(draw, body)
    return body
