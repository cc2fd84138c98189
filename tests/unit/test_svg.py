"""Pictures as SVG: well-formed, escaped, bounded, self-contained, and saying what they show."""

from __future__ import annotations

import sys
import time
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from automation_dsl import Automation, Event, MessageStatus, Ref, Timeline, ValidationError, at
from automation_dsl._svg import MAX_LANES, MAX_MARKS, MAX_STEPS, TimeScale, span_text
from automation_dsl.conditions import data, refs

NS = "{http://www.w3.org/2000/svg}"
START = datetime(2024, 4, 8, 9, 0, tzinfo=UTC)
HOSTILE = "<script>alert(1)</script>]]>&\"'\x00\x07\u202e"
SURROGATE = HOSTILE + "\ud800"  # steps refuse it (not UTF-8); notes, titles and events may hold it
DOCS = Path(__file__).parents[2] / "docs"


def check(svg: str) -> ET.Element:
    """Well-formed, self-contained, accessible: what every picture must be."""
    root = ET.fromstring(svg)
    assert root.tag == f"{NS}svg"
    assert root.get("role") == "img"
    assert root.find(f"{NS}title") is not None
    assert root.find(f"{NS}title").text
    lowered = svg.lower()
    for banned in (
        "<script",
        "href=",
        "@import",
        "url(",
        "javascript:",
        "<foreignobject",
        "<image",
    ):
        assert banned not in lowered, banned
    assert "\ud800" not in svg
    assert "\x00" not in svg
    assert "\x07" not in svg
    svg.encode("utf-8")  # no lone surrogate survives
    return root


def texts(root: ET.Element) -> str:
    return " ".join("".join(node.itertext()) for node in root.iter(f"{NS}text"))


FLOW = (
    Automation(Ref("data.order_id"))
    .send("WELCOME", ref="welcome")
    .delay(days=1)
    .send("NUDGE", if_=refs.welcome.status < MessageStatus.OPENED, ref="nudge")
    .delay(until=at("09:00", days="Mo-Fr", tz=Ref("profile.timezone"), fallback="UTC"))
    .send("VIP", if_=data.tier == "vip")
    .delay(until=START + timedelta(days=30))
    .delay(duration=Ref("data.follow_up"))
    .send("LAST", if_="refs.nudge.status < MessageStatus.Clicked")
    .send(Ref("refs.welcome.template"))
    .cancel(Ref("data.order_id"))
)


def test_a_flow_shows_guards_delays_refs_token_and_cancel() -> None:
    root = check(FLOW.to_svg())
    shown = texts(root)
    assert "cancelation token: $ref data.order_id" in shown
    assert "if refs.welcome.status < MessageStatus.Opened" in shown
    assert "if data.tier === 'vip'" in shown
    assert "wait 1 day" in shown
    assert "until 09:00 Mo-Fr in profile.timezone (else UTC)" in shown
    assert "until 2024-05-08T09:00:00.000Z" in shown
    assert "wait $ref data.follow_up" in shown
    assert "⊘ cancel" in shown
    arrows = [t.text for t in root.iter(f"{NS}title") if t.text and "→" in t.text]
    # typed condition, string condition (parsed) and a $ref value: three arrows
    assert arrows == [
        "refs.welcome: step 0 → step 2",
        "refs.nudge: step 2 → step 7",
        "refs.welcome: step 0 → step 8",
    ]
    assert root.get("width")
    assert int(root.get("width", "0")) <= 1000


def test_highlight_dims_the_steps_a_path_skips_and_notes_print_above() -> None:
    svg = FLOW.to_svg(highlight=[0, 1, 2], notes=["data.tier is not 'vip'", HOSTILE], title="P")
    root = check(svg)
    groups = list(root.iter(f"{NS}g"))
    dimmed = [g.get("class") == "dim" for g in groups]
    assert dimmed == [False, False, False] + [True] * (len(FLOW) - 3)
    assert svg.count(" hot") == 3
    shown = texts(root)
    assert shown.index("data.tier is not 'vip'") < shown.index("send")
    assert root.find(f"{NS}title").text == "P"  # type: ignore[union-attr]
    assert 'class="dim"' not in FLOW.to_svg()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"highlight": [len(FLOW)]}, "highlight"),
        ({"highlight": [-1]}, "highlight"),
        ({"highlight": ["0"]}, "highlight"),
        ({"highlight": [True]}, "highlight"),
        ({"highlight": 3}, "highlight"),
        ({"highlight": "01"}, "highlight"),
        ({"notes": "one note"}, "notes"),
        ({"notes": [None]}, "notes"),
        ({"title": 3}, "title"),
    ],
)
def test_bad_arguments_name_the_field(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError, match=field):
        FLOW.to_svg(**kwargs)


def test_hostile_labels_are_escaped_everywhere() -> None:
    flow = (
        Automation(HOSTILE)
        .send(HOSTILE, ref="r", if_=f"data.x === '{HOSTILE[:20]}'")
        .send("B", if_="refs.r.status === ']]>'", data={"k": HOSTILE})
        .cancel(HOSTILE)
    )
    svg = flow.to_svg(notes=[SURROGATE], title=SURROGATE)
    root = check(svg)
    assert "<script>" in texts(root)  # shown as text, exactly
    assert "]]>" not in svg.replace("]]&gt;", "")
    assert "\u202e" not in svg  # a bidi override would reorder the labels after it
    timeline = Timeline(
        [
            Event(START, SURROGATE, None, "run", "started", {"template_id": SURROGATE}),
            Event(START, SURROGATE, 0, "send", "sent", {"template": SURROGATE}),
            Event(START, SURROGATE, 1, "delay", "waiting", {"until": SURROGATE}),
            Event(START, SURROGATE, 2, "send", "error", {"reason": SURROGATE}),
            Event(START, SURROGATE, 2, "send", "skipped", {"condition": SURROGATE}),
            Event(START, SURROGATE, None, "run", "canceled"),
        ]
    )
    root = check(timeline.to_svg())
    assert "<script>" in texts(root)


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=80))
def test_any_text_makes_a_well_formed_picture(text: str) -> None:
    flow = Automation().send("T", data={"x": text}, ref="r").delay(days=1)
    check(flow.to_svg(notes=[text], title=text))
    event = Event(START, text or "r", 0, "send", "sent", {"template": text})
    check(Timeline([event]).to_svg())


def test_a_huge_flow_is_drawn_bounded() -> None:
    flow = Automation()
    for index in range(2000):
        flow = flow.send(
            f"T{index}",
            ref=f"r{index}",
            if_=f"refs.r{index - 1}.status === 'SENT'" if index else None,
        )
    started = time.perf_counter()
    svg = flow.to_svg()
    took = time.perf_counter() - started
    root = check(svg)
    assert f"{2000 - MAX_STEPS} more steps not drawn (2000 in all)" in texts(root)
    assert len(svg) < 400_000
    assert took < 2.0
    assert int(root.get("height", "0")) < 20_000


def _many_events(runs: int, per_run: int) -> Timeline:
    events = []
    for run in range(runs):
        at_ = START + timedelta(minutes=run)
        events.append(Event(at_, f"run-{run}", None, "run", "started"))
        for step in range(per_run):
            at_ += timedelta(minutes=5 * (step % 7) + 1, days=step % 3)
            events.append(
                Event(at_, f"run-{run}", step, "send", "sent", {"template": f"T{step % 12}"})
            )
        events.append(Event(at_, f"run-{run}", None, "run", "error" if run % 5 else "canceled"))
    return Timeline(sorted(events, key=lambda e: e.at))


def test_a_huge_timeline_in_few_lanes_is_drawn_bounded() -> None:
    timeline = _many_events(20, 500)
    assert len(timeline) > 10_000
    started = time.perf_counter()
    svg = timeline.to_svg()
    took = time.perf_counter() - started
    root = check(svg)
    assert f"{len(timeline) - MAX_MARKS} more events not drawn" in texts(root)
    assert len(svg) < 600_000
    assert took < 3.0


def test_many_runs_are_aggregated_into_sends_per_template() -> None:
    timeline = _many_events(MAX_LANES + 200, 50)
    started = time.perf_counter()
    svg = timeline.to_svg()
    took = time.perf_counter() - started
    root = check(svg)
    shown = texts(root)
    assert (
        f"{MAX_LANES + 200} runs, {(MAX_LANES + 200) * 50} sends, 46 canceled, 184 errors" in shown
    )
    assert "T0" in shown
    assert "other" in shown
    assert len(svg) < 200_000
    assert took < 3.0
    bars = [t.text for t in root.iter(f"{NS}title") if t.text and t.text.startswith("T0: ")]
    assert sum(int(text.split(": ")[1]) for text in bars) == (MAX_LANES + 200) * 5  # every T0


def test_a_timeline_shows_sends_waits_cancels_and_errors() -> None:
    timeline = Timeline(
        [
            Event(START, "a", None, "run", "started"),
            Event(START, "a", 0, "send", "sent", {"template": "WELCOME"}),
            Event(START, "a", 1, "delay", "waiting", {"until": "2024-05-08T09:00:00.000Z"}),
            Event(START, "b", None, "run", "started"),
            Event(START + timedelta(minutes=2), "b", 0, "send", "error", {"reason": "no"}),
            Event(START + timedelta(days=3), "a", None, "run", "canceled"),
        ]
    )
    root = check(timeline.to_svg())
    shown = texts(root)
    assert "WELCOME" in shown
    assert "! error" in shown
    assert "✕ canceled" in shown
    assert "#1" in shown
    assert "#2" in shown
    wait = next(r for r in root.iter(f"{NS}rect") if r.get("class") == "wait")
    # the wait ends where the run was canceled, not at its until
    assert "+3 days" in shown or "+2 days" in shown
    assert float(wait.get("width", "0")) > 100


def test_the_scale_keeps_minutes_and_months_readable() -> None:
    moments = [START, START + timedelta(minutes=1), START + timedelta(minutes=2)]
    moments.append(START + timedelta(days=90))
    scale = TimeScale(moments, left=0, width=1000)
    xs = [scale.x(moment) for moment in moments]
    assert xs == sorted(xs)
    assert xs[0] == 0
    assert xs[-1] == pytest.approx(1000)
    assert xs[1] - xs[0] > 40  # a minute is still visible next to three months
    assert [span_text(seconds) for _, _, seconds in scale.breaks] == ["≈3 months"]
    assert scale.x(START - timedelta(days=1)) == 0
    assert scale.x(START + timedelta(days=99)) == pytest.approx(1000)
    single = TimeScale([START], left=5, width=10)
    assert single.x(START) == 5
    assert single.labels()[0][1] == START


def test_an_empty_timeline_is_a_small_picture() -> None:
    root = check(Timeline().to_svg())
    assert "no events" in texts(root)


def test_the_html_views_embed_the_picture_above_the_table() -> None:
    html = FLOW._repr_html_()
    assert html.index("<svg") < html.index("<table")
    assert "max-height:640px" in html
    timeline = FLOW.simulate(
        start=START, recipient="u1", data={"order_id": "o", "follow_up": "1 day"}
    )
    html = timeline._repr_html_()
    assert html.index("<svg") < html.index("<table")


def test_the_docs_pictures_are_up_to_date() -> None:
    sys.path.insert(0, str(DOCS))
    try:
        from _make_pictures import pictures  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(DOCS))
    for name, svg in pictures().items():
        check(svg)
        written = (DOCS / "pictures" / name).read_text(encoding="utf-8")
        if name == "timeline.svg":  # run ids are random: compare all but them
            continue
        assert written == svg + "\n", f"run python docs/_make_pictures.py ({name} is stale)"
