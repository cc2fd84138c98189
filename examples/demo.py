"""The main job, offline: build the seed automation, invoke it on the local sandbox,
and print the invoke body, the runId and the simulated timeline.

Run it with ``make demo``; no Courier account, API key or network is needed.
"""

from __future__ import annotations

from datetime import UTC, datetime

from automation_dsl import Automation
from automation_dsl.sandbox import Sandbox

SEND_AT = datetime(2024, 4, 8, 8, 9, 10, 123000, tzinfo=UTC)
DATA = {"name": "Jane Doe", "age": 27}
PROFILE = {"user_id": "fubar", "email": "hello@example.com"}


def main() -> None:
    flow = Automation().send("SAMPLE_TEMPLATE").delay(until=SEND_AT)
    print("The automation, as the builder reads it:")
    print(f"  {flow!r}\n")
    print("The body of POST /automations/invoke:")
    print(flow.to_json(data=DATA, profile=PROFILE, indent=2), "\n")

    with Sandbox(start=datetime(2024, 4, 7, 9, 0, tzinfo=UTC)) as sandbox:
        with sandbox.client() as client:
            run_id = client.invoke(flow, data=DATA, profile=PROFILE, recipient="fubar")
        print(f"Invoked on the local sandbox at {sandbox.url}: runId = {run_id}\n")
        sandbox.advance()  # the virtual clock runs until no run is waiting
        print("The simulated timeline:")
        print(sandbox.timeline(run_id))
        print(f"\nRun status: {sandbox.run(run_id).status}")


if __name__ == "__main__":
    main()
