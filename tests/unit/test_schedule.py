"""The schedule preview (`Automation.schedule`): its values are `plan`'s and `next_local`'s,
its flags, its rows that cannot be scheduled, its laziness and bounded memory, its views,
and hostile inputs."""

from __future__ import annotations

import gc
import math
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from automation_dsl import (
    Automation,
    RunContext,
    Schedule,
    ScheduleRow,
    ValidationError,
    ValidationTypeError,
    at,
)
from automation_dsl._localtime import next_local
from automation_dsl._timing import plan
from automation_dsl.conditions import data, profile

START = datetime(2026, 3, 6, 18, tzinfo=UTC)  # a Friday; New York springs forward on the 8th
NINE = at("09:00", tz=profile.timezone, days="Mo-Fr")
FLOW = Automation().send("HELLO").delay(until=NINE).send("NINE").delay(days=2).send("LATER")
ZONES = ("America/New_York", "Europe/London", "Australia/Lord_Howe", "Asia/Kolkata",
         "America/Sao_Paulo", "Pacific/Chatham", "Asia/Tokyo")  # fmt: skip


def rows_of(flow: Automation, contexts: list[Any], start: datetime = START) -> list[ScheduleRow]:
    return list(flow.schedule(contexts, start=start))


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("offset_hours", [0, 7, 30, 50, 24 * 5 + 3])
def test_each_step_is_plans_instant_in_utc_and_in_the_recipients_zone(
    zone: str, offset_hours: int
) -> None:
    start = START + timedelta(hours=offset_hours)
    context = {"recipient": "r", "profile": {"timezone": zone}}
    (row,) = rows_of(FLOW, [context], start)
    expected = plan(FLOW.steps, context, start)
    assert row.ok
    assert row.zone == zone
    assert row.recipient == "r"
    assert [step.utc for step in row.steps] == [
        (timed.local.utc if timed.local else timed.at) for timed in expected
    ]
    assert [step.action for step in row.steps] == [step.action for step in FLOW.steps]
    for step in row.steps:
        assert step.local == step.utc
        assert step.local.tzinfo is not None
        assert step.local.utcoffset() == step.utc.astimezone(ZoneInfo(zone)).utcoffset()
    oracle = next_local(start, time(9), ZoneInfo(zone), frozenset(range(5)))
    assert (row.steps[1].utc, row.steps[1].local) == (oracle.utc, oracle.local)
    assert row.steps[4].utc == oracle.utc + timedelta(days=2)


def test_a_flow_without_local_time_is_shown_in_utc() -> None:
    (row,) = rows_of(Automation().send("A").delay(hours=3).send("B"), [{"recipient": "r"}])
    assert row.zone == "UTC"
    assert [step.local for step in row.steps] == [START, START + timedelta(hours=3)] * 1 + [
        START + timedelta(hours=3)
    ]
    assert all(step.local.utcoffset() == timedelta(0) for step in row.steps)


def test_gap_and_fold_are_flagged_on_the_step_and_the_row() -> None:
    flow = Automation().delay(until=at("02:30", tz=profile.timezone)).send("A")
    gap, fold = rows_of(
        flow.with_until_format("basic"),
        [{"profile": {"timezone": "America/New_York"}}],
        datetime(2026, 3, 8, 5, tzinfo=UTC),
    ) + rows_of(
        Automation().delay(until=at("01:30", tz="America/New_York", fold="later")),
        [{}],
        datetime(2026, 11, 1, 4, tzinfo=UTC),
    )
    assert gap.flags == ("gap",)
    assert gap.steps[0].gap
    assert not gap.steps[1].gap
    assert gap.steps[0].local.strftime("%H:%M %Z") == "03:30 EDT"
    assert fold.flags == ("fold",)
    assert fold.steps[0].fold
    assert fold.steps[0].utc == datetime(2026, 11, 1, 6, 30, tzinfo=UTC)
    assert "gap" in gap.to_record()["flags"]


def test_a_recipient_without_a_zone_is_a_flagged_row_and_the_preview_goes_on() -> None:
    contexts: list[Any] = [
        {"recipient": "a", "profile": {"timezone": "Asia/Tokyo"}},
        {"recipient": "b", "profile": {}},
        {"recipient": "c", "profile": {"timezone": "Mars/Olympus"}},
        {"recipient": "d", "profile": {"timezone": 5}},
        {"recipient": "e", "profile": {"timezone": "Europe/Paris"}},
    ]
    rows = rows_of(FLOW, contexts)
    assert [row.ok for row in rows] == [True, False, False, False, True]
    for row in rows[1:4]:
        assert row.flags == ("no zone",)
        assert row.zone is None
        assert row.steps == ()
        assert isinstance(row.error, ValidationError)
        assert row.error.path is not None
        assert row.error.path.startswith(f"contexts[{row.index}]")
    assert rows[1].error is not None
    assert rows[1].error.path == "contexts[1].profile.timezone"


def test_the_fallback_zone_is_used_and_flagged() -> None:
    flow = Automation().delay(until=at("09:00", tz=data.tz, fallback="Europe/Oslo"))
    given, missing, bad = rows_of(flow, [{"tz": "Asia/Kolkata"}, {}, {"tz": "Nowhere/Zone"}])
    assert given.zone == "Asia/Kolkata"
    assert given.flags == ()
    for row in (missing, bad):
        assert row.ok
        assert row.zone == "Europe/Oslo"
        assert row.flags == ("fallback",)
        assert row.steps[0].utc == next_local(START, time(9), ZoneInfo("Europe/Oslo"), None).utc


def test_a_fallback_equal_to_the_given_zone_is_not_flagged() -> None:
    flow = Automation().delay(until=at("09:00", tz=profile.timezone, fallback="UTC"))
    (row,) = rows_of(flow, [{"profile": {"timezone": "UTC"}}])
    assert row.flags == ()
    assert row.zone == "UTC"


def test_on_gap_raise_is_a_flagged_row() -> None:
    flow = Automation().delay(until=at("02:30", tz=profile.timezone, on_gap="raise"))
    gap, fine = rows_of(
        flow,
        [{"profile": {"timezone": "America/New_York"}}, {"profile": {"timezone": "Asia/Tokyo"}}],
        datetime(2026, 3, 8, 5, tzinfo=UTC),
    )
    assert gap.flags == ("error",)
    assert gap.error is not None
    assert "2026-03-08" in str(gap.error)
    assert fine.ok


def test_rows_are_read_as_invoke_many_reads_them() -> None:
    flow = Automation().delay(until=at("09:00", tz=data.tz)).send("A")
    rows = rows_of(
        flow,
        [
            {"recipient": "a", "tz": "Asia/Tokyo"},  # a flat column goes into data
            RunContext(recipient="b", data={"tz": "Europe/London"}),
            {"recipient": "c", "data": {"tz": "Asia/Tokyo"}},
        ],
    )
    assert [(row.recipient, row.zone) for row in rows] == [
        ("a", "Asia/Tokyo"),
        ("b", "Europe/London"),
        ("c", "Asia/Tokyo"),
    ]


@pytest.mark.parametrize(
    "row",
    [
        5,
        None,
        "recipient",
        [("recipient", "a")],
        {"recipent": "a"},  # a misspelt run-context column
        {"profile": "Asia/Tokyo"},
        {"recipient": 5},
        {"when": datetime(2026, 1, 1)},  # a naive datetime column
        {"note": "\ud800"},
        {"data": {"x": math.nan}},
        {"data": {"x": math.inf}},
        {1: "a"},
    ],
    ids=repr,
)
def test_a_malformed_row_is_an_invalid_row_not_an_exception(row: Any) -> None:
    first, bad, last = rows_of(FLOW, [{"profile": {"timezone": "UTC"}}, row, {}])
    assert first.ok
    assert bad.flags == ("invalid",)
    assert not bad.ok
    assert bad.error is not None
    assert bad.error.path is not None
    assert bad.error.path.startswith("contexts[1]")
    assert last.flags == ("no zone",)


def test_deeply_nested_and_self_containing_rows_are_invalid_rows() -> None:
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(5000):
        node["x"] = {}
        node = node["x"]
    cyclic: dict[str, Any] = {}
    cyclic["self"] = cyclic
    rows = rows_of(Automation().send("A"), [{"data": deep}, {"data": cyclic}])
    assert [row.flags for row in rows] == [("invalid",), ("invalid",)]


def test_a_source_that_raises_is_a_validation_error_naming_the_row() -> None:
    def broken() -> Iterator[dict[str, Any]]:
        yield {}
        raise KeyError("boom")

    preview = Automation().send("A").schedule(broken(), start=START)
    with pytest.raises(ValidationError) as caught:
        list(preview)
    assert caught.value.path == "contexts[1]"
    assert "row 1" in str(caught.value)


@pytest.mark.parametrize(
    "contexts",
    [None, 5, 1.5, "rows.jsonl", b"rows", {"recipient": "a"}, RunContext(recipient="a"), object()],
    ids=repr,
)
def test_contexts_that_are_not_an_iterable_of_rows_are_refused_at_once(contexts: Any) -> None:
    with pytest.raises(ValidationTypeError) as caught:
        FLOW.schedule(contexts, start=START)
    assert caught.value.field == "contexts"


@pytest.mark.parametrize(
    "start",
    [datetime(2026, 1, 1), "2026-01-01T00:00Z", 0, math.nan, math.inf, object()],
    ids=repr,
)
def test_a_start_that_is_not_an_aware_datetime_is_refused(start: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        FLOW.schedule([], start=start)
    assert caught.value.field == "start"
    assert caught.value.owner == "Automation.schedule"


def test_a_start_at_the_edge_of_time() -> None:
    with pytest.raises(ValidationError, match="start"):
        FLOW.schedule([], start=datetime.min.replace(tzinfo=timezone(timedelta(hours=14))))
    late = datetime.max.replace(tzinfo=UTC)
    (row,) = rows_of(FLOW, [{"profile": {"timezone": "Asia/Tokyo"}}], late)
    assert row.flags == ("error",)
    assert row.error is not None
    assert "9999" in str(row.error) or row.error.field in ("start", "after")


def test_start_defaults_to_now() -> None:
    before = datetime.now(UTC)
    preview = Automation().send("A").schedule([{}])
    assert before <= preview.start <= datetime.now(UTC)
    assert preview.start.tzinfo is UTC


@pytest.mark.parametrize("limit", [-1, 1.5, "3", True, math.nan])
def test_bad_limits_are_refused(limit: Any) -> None:
    preview = FLOW.schedule([{}], start=START)
    for call in (preview.to_records, preview.to_text, preview.to_html, preview.summary):
        with pytest.raises(ValidationError):
            call(limit)


def test_to_records_all_or_the_first_n() -> None:
    contexts = [{"recipient": f"u{n}", "profile": {"timezone": ZONES[n % 7]}} for n in range(9)]
    preview = FLOW.schedule(contexts, start=START)
    records = preview.to_records()
    assert [record["row"] for record in records] == list(range(9))
    assert preview.to_records(3) == records[:3]
    assert preview.to_records(0) == []
    assert (
        records[0]["step1_utc"]
        == next_local(START, time(9), ZoneInfo(ZONES[0]), frozenset(range(5))).utc.isoformat()
    )


def test_views_show_the_first_rows_and_count_them_all() -> None:
    contexts: list[Any] = [{"recipient": f"u{n}", "profile": {"timezone": "Asia/Tokyo"}} for n in
                           range(50)]  # fmt: skip
    contexts[7] = {"recipient": "nozone"}
    preview = FLOW.schedule(contexts, start=START)
    text = preview.to_text(5)
    assert text.splitlines()[0].split() == ["row", "recipient", "zone", "step", "utc", "local",
                                            "flags"]  # fmt: skip
    assert len(text.splitlines()) == 1 + 5 * len(FLOW) + 1
    assert "50 recipients: 49 scheduled, 1 without a zone; the first 5 shown" in text
    assert str(preview) == preview.to_text()
    html = preview._repr_html_()
    assert html.startswith("<table")
    assert "1 without a zone" in html
    assert "nozone" in html
    assert "contexts[7].profile.timezone" in html
    assert "<script" not in html


def test_html_escapes_every_value() -> None:
    preview = Automation().send("A").schedule([{"recipient": "<b>x</b>&"}], start=START)
    html = preview.to_html()
    assert "<b>x</b>" not in html
    assert "&lt;b&gt;x&lt;/b&gt;&amp;" in html


def test_repr_is_bounded_and_reads_nothing() -> None:
    read: list[int] = []

    def source() -> Iterator[dict[str, Any]]:
        for n in range(10**9):
            read.append(n)
            yield {}

    preview = Automation().send("A").schedule(source(), start=START)
    assert repr(preview).startswith("<Schedule of 1 steps from 2026-03-06T18:00:00+00:00")
    assert "not read yet" in repr(preview)
    assert read == []
    assert len(repr(preview)) < 200


def test_a_one_shot_source_is_read_once_and_its_views_kept() -> None:
    preview = Automation().send("A").schedule(({"recipient": str(n)} for n in range(30)),
                                              start=START)  # fmt: skip
    first = preview.to_text(3)
    assert first == preview.to_text(3)
    assert "30 recipients" in first
    assert "30 rows" in repr(preview)
    with pytest.raises(ValidationError, match="read already"):
        iter(preview)


def test_a_list_can_be_iterated_again() -> None:
    preview = FLOW.schedule([{"profile": {"timezone": "UTC"}}], start=START)
    assert list(preview) == list(preview)
    assert isinstance(preview, Schedule)
    assert preview.automation is FLOW


def test_rows_are_read_incrementally() -> None:
    read: list[int] = []

    def source() -> Iterator[dict[str, Any]]:
        for n in range(100_000):
            read.append(n)
            yield {"profile": {"timezone": ZONES[n % len(ZONES)]}}

    rows = iter(FLOW.schedule(source(), start=START))
    first = next(rows)
    assert first.ok
    assert len(read) == 1
    next(rows)
    assert len(read) == 2


def _peak(count: int) -> int:
    def source() -> Iterator[dict[str, Any]]:
        for n in range(count):
            zone = {} if n % 100 == 99 else {"timezone": ZONES[n % len(ZONES)]}
            yield {"recipient": f"user-{n}", "profile": zone}

    flow = Automation().delay(until=at("09:00", tz=profile.timezone, fallback="UTC")).send("A")
    gc.collect()
    tracemalloc.start()
    try:
        _, total, counts = flow.schedule(source(), start=START).summary()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert total == count
    assert counts == {"fallback": count // 100}
    return peak


def test_100000_rows_stream_in_bounded_memory() -> None:
    small, large = _peak(1_000), _peak(100_000)
    assert large < 2 * 1024 * 1024  # a fixed bound, whatever the number of rows
    assert large < small + 256 * 1024  # and no growth with it
