"""Hostile inputs to local times and delivery windows, found by a careful new user: each
test here failed before its fix (a raw Python exception, a wrong path, a wrong instant, or
``$local`` on the wire)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest

from automation_dsl import (
    Automation,
    LocalTime,
    MessageDelay,
    OpeningHours,
    Ref,
    ValidationError,
    at,
)
from automation_dsl._journal import Journal
from automation_dsl.conditions import profile

NOW = datetime(2026, 7, 1, 12, tzinfo=UTC)  # a Wednesday
LOCAL = {"$local": {"at": "09:00", "tz": "UTC"}}


class _Zone(tzinfo):
    def dst(self, dt: datetime | None) -> timedelta | None:
        return None

    def tzname(self, dt: datetime | None) -> str | None:
        return None


class _Raises(_Zone):
    def utcoffset(self, dt: datetime | None) -> timedelta:
        raise RuntimeError("boom")


class _TooFar(_Zone):
    def utcoffset(self, dt: datetime | None) -> timedelta:
        return timedelta(hours=30)


class _NotAnOffset(_Zone):
    def utcoffset(self, dt: datetime | None) -> timedelta:
        return 5  # type: ignore[return-value]


BAD_ZONES = [_Raises(), _TooFar(), _NotAnOffset()]
FLOW = Automation().delay(until=at("09:00", tz=profile.timezone)).send("NINE")
TOKYO = {"timezone": "Asia/Tokyo"}


@pytest.mark.parametrize("zone", BAD_ZONES, ids=type)
@pytest.mark.parametrize(
    ("field", "call"),
    [
        ("now", lambda now: FLOW.to_payload(profile=TOKYO, now=now)),
        ("now", lambda now: FLOW.to_json(profile=TOKYO, now=now)),
        ("start", lambda now: FLOW.simulate(start=now, profile=TOKYO)),
    ],
    ids=["to_payload", "to_json", "simulate"],
)
def test_a_tzinfo_without_a_usable_offset_is_a_library_error(
    zone: tzinfo, field: str, call: Callable[[datetime], object]
) -> None:
    with pytest.raises(ValidationError) as caught:
        call(datetime(2026, 1, 1, tzinfo=zone))
    assert caught.value.field == field, str(caught.value)


@pytest.mark.parametrize(
    ("local", "path"),
    [
        ({"at": 9, "tz": "UTC"}, "steps[0].until.$local.at"),
        ({"at": "24:00", "tz": "UTC"}, "steps[0].until.$local.at"),
        ({"at": "09:00", "tz": None}, "steps[0].until.$local.tz"),
        ({"at": "09:00", "tz": {"$ref": "refs.x.tz"}}, "steps[0].until.$local.tz"),
        ({"at": "09:00", "tz": {"$ref": ""}}, "steps[0].until.$local.tz.$ref"),
        ({"at": "09:00", "tz": "UTC", "days": 5}, "steps[0].until.$local.days"),
        ({"at": "09:00", "tz": "UTC", "fallback": 1}, "steps[0].until.$local.fallback"),
        ({"at": "09:00", "tz": "UTC", "fold": "x"}, "steps[0].until.$local.fold"),
    ],
)
def test_a_tampered_local_document_names_its_own_path(local: dict[str, Any], path: str) -> None:
    document = {"steps": [{"action": "delay", "until": {"$local": local}}]}
    with pytest.raises(ValidationError) as caught:
        Automation.from_dict(document)
    assert caught.value.path == path, str(caught.value)
    assert f"'{path.rpartition('.')[2]}'" in str(caught.value)


def test_a_local_time_after_a_wait_of_unknown_length_is_located_in_the_document() -> None:
    document = {"steps": [{"action": "delay", "duration": "1 day", "if": "data.x"}, LOCAL_STEP]}
    with pytest.raises(ValidationError) as caught:
        Automation.from_dict(document)
    assert caught.value.path == "steps[1].until", str(caught.value)


LOCAL_STEP = {"action": "delay", "until": LOCAL}
NINE = at("09:00", tz="UTC")


@pytest.mark.parametrize(
    "build",
    [
        lambda: Automation.from_dict(
            {"steps": [{"action": "delay", "duration": "3 days", "note": 1}, LOCAL_STEP]},
            lenient=True,
        ),
        lambda: Automation().raw({"action": "delay", "duration": "3 days"}).delay(until=NINE),
        lambda: (
            Automation().raw({"action": "wait-for-event", "timeout": "3 days"}).delay(until=NINE)
        ),
    ],
    ids=["lenient", "raw-delay", "raw-future-action"],
)
def test_a_raw_step_before_a_local_time_is_a_wait_of_unknown_length(
    build: Callable[[], Automation],
) -> None:
    # Before: the raw step was taken to last no time, so 09:00 on July 2nd went on the wire
    # while the run reaches the delay on July 4th (Courier would not wait at all).
    with pytest.raises(ValidationError) as caught:
        build().to_payload(now=NOW)
    assert caught.value.field == "until", str(caught.value)


@pytest.mark.parametrize(
    "build",
    [
        lambda: Automation.from_dict({"steps": [{**LOCAL_STEP, "note": 1}]}, lenient=True),
        lambda: Automation().raw(LOCAL_STEP),
    ],
    ids=["lenient", "raw"],
)
def test_a_local_time_is_never_kept_raw_so_never_sent_as_local(
    build: Callable[[], Automation],
) -> None:
    with pytest.raises(ValidationError) as caught:
        build().to_payload(now=NOW)
    assert "$local" in str(caught.value.path) or caught.value.field == "until", str(caught.value)


def test_local_in_a_raw_steps_data_stays_data() -> None:
    step = {"action": "get-profile", "data": {"until": LOCAL}}
    body = Automation().raw(step).to_payload(now=NOW)
    assert body["automation"]["steps"] == [step]


# Courier's delivery windows ------------------------------------------------------------------

WINDOW = MessageDelay(until="Mo-Fr 09:00-17:00")
LATEST = datetime.max.replace(tzinfo=UTC)
EARLIEST = datetime.min.replace(tzinfo=UTC)


@pytest.mark.parametrize(
    "call",
    [
        lambda: WINDOW.deliver_at(LATEST),
        lambda: WINDOW.deliver_at(EARLIEST, ZoneInfo("America/New_York")),
        lambda: MessageDelay(duration=timedelta(days=300)).deliver_at(LATEST),
        lambda: OpeningHours("Mo 09:00-10:00").next_open(LATEST, UTC),
    ],
    ids=["window-at-the-end", "window-at-the-start", "duration-past-the-end", "next-open"],
)
def test_delivery_at_the_ends_of_the_calendar_is_a_library_error(
    call: Callable[[], object],
) -> None:
    with pytest.raises(ValidationError):
        call()


@pytest.mark.parametrize("zone", ["UTC", None, 5])
def test_next_open_refuses_a_zone_that_is_not_a_tzinfo(zone: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        OpeningHours("Mo 09:00-10:00").next_open(NOW, zone)
    assert caught.value.field == "zone", str(caught.value)


def test_an_until_before_year_1000_is_written_with_four_digit_years() -> None:
    delay = MessageDelay(until="0001-01-01T00:00:00-14:00")
    assert delay.to_wire() == {"until": "0001-01-01T14:00:00Z"}
    assert MessageDelay.from_wire(delay.to_wire()) == delay


@pytest.mark.parametrize("zone", BAD_ZONES, ids=type)
def test_delivery_refuses_a_moment_whose_tzinfo_gives_no_offset(zone: tzinfo) -> None:
    moment = datetime(2026, 1, 1, tzinfo=zone)
    with pytest.raises(ValidationError):
        WINDOW.deliver_at(moment)
    with pytest.raises(ValidationError):
        OpeningHours("Mo-Fr 09:00-17:00").next_open(moment, UTC)


# Journals ------------------------------------------------------------------------------------

_OLD_ITEMS = (
    "CREATE TABLE items (key TEXT PRIMARY KEY, item INTEGER NOT NULL, run_id TEXT, "
    "error TEXT, attempts INTEGER NOT NULL, fingerprint TEXT)"
)


def _old_journal(path: Path) -> None:
    """A journal as the release before local times wrote it (no body column)."""
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        db.execute(_OLD_ITEMS)
        db.execute("INSERT INTO meta VALUES ('automation', 'digest')")
        db.execute("INSERT INTO items VALUES ('k0', 0, NULL, 'err', 1, 'f')")


def test_a_plain_batch_leaves_an_older_journal_usable_by_the_older_release(tmp_path: Path) -> None:
    # Before: opening it added a body column, and the older release's six-value INSERT then
    # failed ("table items has 7 columns but 6 values were supplied").
    path = tmp_path / "batch.db"
    _old_journal(path)
    journal = Journal(path, "digest", resume=True)
    journal.close()
    fresh = Journal(tmp_path / "fresh.db", "digest", resume=False)
    fresh.close()
    for file in (path, tmp_path / "fresh.db"):
        with sqlite3.connect(file) as db:
            db.execute("INSERT INTO items VALUES ('k1', 1, 'run', NULL, 1, 'f')")  # the old write


def test_a_local_time_batch_keeps_bodies_in_an_older_journal(tmp_path: Path) -> None:
    path = tmp_path / "batch.db"
    _old_journal(path)
    journal = Journal(path, "digest", resume=True, keep_bodies=True)

    class Row:
        index, key, fingerprint, body = 1, "k1", "f", b'{"automation":{}}'

    journal.record(Row(), None, None, 0)
    assert journal.body("k1") == Row.body
    journal.close()


def test_fixed_waits_past_the_end_of_the_calendar_are_a_library_error() -> None:
    flow = Automation().delay(duration="3660 days").delay(until=at("09:00", tz="UTC"))
    with pytest.raises(ValidationError) as caught:
        flow.to_payload(now=datetime(9990, 1, 1, tzinfo=UTC))
    assert caught.value.field == "duration", str(caught.value)


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: LocalTime(time(9), "Mars/Base"), "tz"),
        (lambda: LocalTime(time(9), "../../etc/passwd"), "tz"),
        (lambda: LocalTime("09:00", "UTC"), "time"),  # type: ignore[arg-type]
        (lambda: LocalTime(time(9), Ref("refs.x.tz")), "tz"),
        (lambda: LocalTime(time(9), "UTC", days=frozenset({9})), "days"),
        (lambda: LocalTime(time(9), "UTC", fallback="nope"), "fallback"),
        (lambda: LocalTime(time(9), "UTC", fold="x"), "fold"),  # type: ignore[arg-type]
        (lambda: LocalTime(time(9), "UTC", on_gap="x"), "on_gap"),  # type: ignore[arg-type]
        (lambda: attrs.evolve(at("09:00", tz="UTC"), tz="nope"), "tz"),
    ],
)
def test_a_local_time_made_directly_is_checked_as_at_checks_it(
    make: Callable[[], object], field: str
) -> None:
    # Before: LocalTime(...) and attrs.evolve skipped every check, and the bad value
    # surfaced later as ZoneInfoNotFoundError, ValueError or AttributeError.
    with pytest.raises(ValidationError) as caught:
        make()
    assert caught.value.field == field, str(caught.value)


def test_a_window_open_across_the_london_fold_is_open_at_its_first_reading() -> None:
    after = datetime(2026, 10, 25, 0, 0, tzinfo=UTC)  # 01:00 BST, the fold's first 01:00
    got = OpeningHours("Sa 16:00-02:00").next_open(after, ZoneInfo("Europe/London"))
    assert got.astimezone(UTC) == after  # ``got == after`` is False by PEP 495 (a fold)
