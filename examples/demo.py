"""The seed automation, built with automation-dsl, and the invoke body it sends."""

from datetime import UTC, datetime

from automation_dsl import Automation

flow = (
    Automation()
    .send("SAMPLE_TEMPLATE")
    .delay(until=datetime(2024, 4, 8, 8, 9, 10, 123000, tzinfo=UTC))
)

print(flow)
print(
    flow.to_json(
        data={"name": "Jane Doe", "age": 27},
        profile={"user_id": "fubar", "email": "hello@example.com"},
        indent=2,
    )
)
