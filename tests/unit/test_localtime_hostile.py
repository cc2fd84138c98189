"""Hostile inputs to local times and delivery windows, found by a careful new user: each
test here failed before its fix (a raw Python exception, a wrong path, a wrong instant, or
``$local`` on the wire)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

import pytest

from automation_dsl import Automation, ValidationError, at
from automation_dsl.conditions import profile

NOW = datetime(2026, 7, 1, 12, tzinfo=UTC)  # a Wednesday
LOCAL = {"$local": {"at": "09:00", "tz": "UTC"}}


class _Raises(tzinfo):
    def utcoffset(self, dt: datetime | None) -> timedelta:
        raise RuntimeError("boom")


class _TooFar(tzinfo):
    def utcoffset(self, dt: datetime | None) -> timedelta:
        return timedelta(hours=30)


class _NotAnOffset(tzinfo):
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
