"""Mermaid flowcharts: one node per step, guards on edges, refs dotted, labels escaped."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from automation_dsl import Automation, MessageStatus, Ref
from automation_dsl._mermaid import label
from automation_dsl._svg import MAX_STEPS
from automation_dsl.conditions import refs

LINE = re.compile(
    r'  (?:(?:token\{\{|s\d+\{\{)"[^"]*"\}\}|s\d+\["[^"]*"\]|s\d+\(\["[^"]*"\]\)|more\["[^"]*"\]'
    r'|(?:start\(\[start\]\)|s\d+) (?:-->|-\.->)(?:\|"[^"]*"\|)? (?:s\d+|more))'
)


def check(text: str) -> list[str]:
    """Every line is one node or one edge of a known shape; no raw special character."""
    lines = text.splitlines()
    assert lines[0] == "flowchart TD"
    for line in lines[1:]:
        assert LINE.fullmatch(line), line
    for banned in ("<", ">", "&", "`", ";;", "%%", "\x00"):
        assert banned not in text.replace("-->", "").replace("-.->", ""), banned
    return lines


def test_steps_guards_delays_refs_token_and_cancel() -> None:
    flow = (
        Automation("order-1")
        .send("WELCOME", ref="welcome")
        .delay(days=1)
        .send("NUDGE", if_=refs.welcome.status < MessageStatus.OPENED)
        .delay(duration=Ref("data.wait"))
        .cancel("order-1", if_="data.done === true")
    )
    lines = check(flow.to_mermaid())
    assert lines == [
        "flowchart TD",
        '  token{{"cancelation token: order-1"}}',
        '  s0["0 send: template=WELCOME #40;ref=welcome#41;"]',
        '  s1(["1 wait 1 day"])',
        '  s2["2 send: template=NUDGE"]',
        '  s3(["3 wait #36;ref data.wait"])',
        '  s4{{"4 cancel: token=order-1"}}',
        "  s0 --> s1",
        '  s1 -->|"if refs.welcome.status #60; MessageStatus.Opened"| s2',
        "  s2 --> s3",
        '  s3 -->|"if data.done === true"| s4',
        '  s0 -.->|"refs.welcome"| s2',
    ]


def test_hostile_labels_cannot_break_out() -> None:
    hostile = '"]-->x[<script>` %% ;\n```\x00\u202e'
    flow = Automation(hostile).send(hostile, if_=f"data.a === '{hostile[:6]}'")
    text = flow.to_mermaid()
    check(text)
    assert "#60;script#62;" in text
    assert "#96;#96;#96;" in text


@settings(max_examples=80, deadline=None)
@given(st.text(max_size=60))
def test_any_label_stays_inside_its_quotes(text: str) -> None:
    out = label(text)
    assert '"' not in out
    assert "\n" not in out
    assert "|" not in out
    assert "]" not in out
    assert re.fullmatch(r"[A-Za-z0-9 .,:_=+/#;-]*", out), out


def test_a_huge_flow_is_capped() -> None:
    flow = Automation()
    for index in range(MAX_STEPS + 50):
        flow = flow.send(f"T{index}")
    lines = check(flow.to_mermaid())
    assert '  more["50 more steps not drawn"]' in lines
    assert len(lines) < 2 * MAX_STEPS + 5
