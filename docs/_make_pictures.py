"""Draw the pictures of docs/pictures.md into docs/pictures/ (tests/unit/test_svg.py checks
they are up to date): ``python docs/_make_pictures.py``."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from automation_dsl import Automation, MessageStatus, Ref, Timeline, at
from automation_dsl.conditions import data, refs
from automation_dsl.sandbox import Sandbox

HERE = Path(__file__).parent / "pictures"
START = datetime(2024, 4, 8, 9, 0, tzinfo=UTC)

FLOW = (
    Automation(Ref("data.order_id"))
    .send("WELCOME", ref="welcome")
    .delay(days=1)
    .send("NUDGE", if_=refs.welcome.status < MessageStatus.OPENED, ref="nudge")
    .delay(until=at("09:00", days="Mo-Fr", tz=Ref("profile.timezone"), fallback="UTC"))
    .send("VIP_OFFER", if_=data.tier == "vip")
    .delay(duration=Ref("data.follow_up"))
    .send("LAST_CALL", if_=refs.nudge.status < MessageStatus.CLICKED)
    .cancel(Ref("data.order_id"), if_="data.done === true")
)
"""The sample flow: refs, guards, every kind of delay, a cancelation token and a cancel."""

RUNS = (
    Automation(Ref("data.order_id"))
    .send("WELCOME", ref="welcome")
    .delay(minutes=10)
    .send("TIPS")
    .delay(days=1)
    .send("NUDGE", if_=refs.welcome.status < MessageStatus.OPENED)
    .delay(duration=Ref("data.follow_up"))
    .send("LAST_CALL")
)
"""The flow of the sample timeline: minutes, a day, then weeks or a month."""


def sample_timeline() -> Timeline:
    """Four runs in a sandbox: one completes, one errors, one is canceled, one canceller."""
    with Sandbox(start=START) as sandbox, sandbox.client() as client:
        for number, extra in enumerate(({"follow_up": "2 weeks"}, {}, {"follow_up": "1 month"})):
            client.invoke(
                RUNS,
                recipient=f"user-{number}",
                data={"order_id": f"order-{number}", **extra},
            )
        sandbox.advance(timedelta(days=3))
        client.invoke(Automation().cancel("order-2"), recipient="ops")
        sandbox.advance(timedelta(days=60))
        return sandbox.timeline()


def pictures() -> dict[str, str]:
    """Each picture's file name and SVG."""
    path = [0, 1, 2, 3, 5, 6]
    return {
        "flow.svg": FLOW.to_svg(),
        "path.svg": FLOW.to_svg(
            highlight=path,
            notes=["not (data.tier === 'vip')", "refs.welcome.status < MessageStatus.OPENED"],
            title="One path through the flow",
        ),
        "timeline.svg": sample_timeline().to_svg(),
    }


if __name__ == "__main__":  # pragma: no cover - a script
    for name, svg in pictures().items():
        (HERE / name).write_text(svg + "\n", encoding="utf-8")
        print(f"wrote {HERE / name}", file=sys.stderr)
