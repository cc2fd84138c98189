"""Rich display: self-contained HTML (escaped, no scripts, no network) and plain text."""

from __future__ import annotations

from datetime import UTC, datetime
from html.parser import HTMLParser

from automation_dsl import Automation, Ref
from automation_dsl.sandbox import Sandbox

HOSTILE = '<script>alert("x")</script>'
FLOW = (
    Automation("order-<1>")
    .send(HOSTILE, data={"html": "<b>bold</b>"}, ref="welcome")
    .delay(hours=36)
    .send("NUDGE", if_="refs.welcome.status < MessageStatus.Opened && data.a === '<i>'")
    .delay(until=datetime(2024, 4, 8, 8, 9, 10, tzinfo=UTC))
    .update_profile({"seen": True}, merge="soft-merge")
    .fetch_data("https://api.example.test/u?a=1&b=2", method="POST")
    .delay(duration=Ref("data.wait"))
    .cancel("order-1")
)


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.seen: list[str] = []
        self.text: list[str] = []
        self.pictures = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.seen.append(tag)
        if tag == "svg":
            self.pictures += 1
        if tag != "br":
            self.open.append(tag)
        for name, _ in attrs:
            if "svg" in self.open:  # the picture (tests/unit/test_svg.py): no link, no script
                assert not name.startswith("on"), name
                assert "href" not in name, name
                assert name != "src", name
            else:
                assert name == "style", name  # inline styles only: no class, no src, no on*

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        self.open.pop()

    def handle_endtag(self, tag: str) -> None:
        assert self.open.pop() == tag

    def handle_data(self, data: str) -> None:
        if "style" not in self.open and "title" not in self.open:
            self.text.append(data)


def parse(html: str) -> Tags:
    tags = Tags()
    tags.feed(html)
    tags.close()
    assert tags.open == []
    return tags


def test_html_shows_each_step_and_escapes_hostile_strings() -> None:
    html = FLOW._repr_html_()
    tags = parse(html)
    assert "script" not in tags.seen
    assert "<script" not in html
    assert "&lt;script&gt;" in html
    text = "".join(tags.text)
    assert HOSTILE in text  # shown as text, exactly
    assert "<b>bold</b>" in text
    assert tags.pictures == 1
    assert html.index("<svg") < html.index("<table")
    rows = html.count("<tr>") - 1
    assert rows == len(FLOW)
    for step in FLOW:
        assert f">{step.action}<" in html
    assert "if refs.welcome.status &lt; MessageStatus.Opened" in html
    assert "ref welcome" in html
    assert "start + 36 hours" in html
    assert "2024-04-08T08:09:10.000Z" in html
    assert "2024-04-08T08:09:10.000Z + ?" in html  # after a $ref duration
    assert "javascript" not in html.lower()
    outside = html.replace("https://api.example.test/u?a=1&amp;b=2", "")
    assert "http" not in outside.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_mimebundle_hands_front_ends_the_json() -> None:
    bundle = FLOW._repr_mimebundle_()
    assert bundle["application/json"] == FLOW.to_dict()
    assert bundle["text/plain"] == repr(FLOW)
    assert bundle["text/html"] == FLOW._repr_html_()


def test_explain_is_the_same_picture_in_text() -> None:
    text = FLOW.explain()
    lines = text.splitlines()
    assert lines[0] == "cancelation_token=order-<1>"
    assert len(lines) == len(FLOW) + 2
    assert "[ref welcome]" in lines[2]
    assert lines[4].endswith("start + 36 hours")
    assert "webhook=POST https://api.example.test/u?a=1&b=2" in text


def test_timelines_and_sandbox_runs_render_the_same_way() -> None:
    timeline = FLOW.simulate(
        start=datetime(2024, 4, 7, tzinfo=UTC), recipient="u1", data={"wait": "1 day"}
    )
    html = timeline._repr_html_()
    tags = parse(html)
    assert html.count("<tr>") - 1 == len(timeline)
    assert tags.pictures == 1
    assert HOSTILE in "".join(tags.text)
    with Sandbox() as sandbox, sandbox.client() as client:
        run_id = client.invoke(FLOW, recipient="u1", data={"wait": "1 day"})
        run = sandbox.run(run_id)
    run_html = run._repr_html_()
    parse(run_html)
    assert f"Run {run_id}" in run_html
    assert run_html.count("<tr>") - 1 == len(run.events)


def test_typed_conditions_render_as_their_javascript() -> None:
    from automation_dsl.conditions import data

    flow = Automation().send("A", if_=(data.plan == "<pro>") & ~data.muted)
    html = flow._repr_html_()
    assert "if data.plan === &#x27;&lt;pro&gt;&#x27; &amp;&amp; !data.muted" in html
    assert "[if data.plan === '<pro>' && !data.muted]" in flow.explain()
    assert repr(flow) == "Automation().send('A', if_=\"data.plan === '<pro>' && !data.muted\")"
