"""Payload schemas end to end: per-row reports of invoke_many against the sandbox, and the
CLI's validate, schema and invoke commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from automation_dsl import Automation, ValidationError, invoke_schema
from automation_dsl.sandbox import Sandbox
from tests.integration.conftest import run_cli, with_path

ORDER = {
    "type": "object",
    "properties": {
        "total": {"type": "number"},
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"sku": {"type": "string"}},
                "required": ["sku"],
            },
        },
    },
    "required": ["total", "items"],
}
FLOW = Automation(data_schema=ORDER).send("RECEIPT", if_="data.total > 100")


def test_invoke_many_on_the_sandbox_reports_bad_rows_and_sends_the_rest(
    sandbox: Sandbox,
) -> None:
    rows: list[dict[str, Any]] = [
        {"recipient": f"user-{i}", "data": {"total": 150, "items": [{"sku": "A"}]}}
        for i in range(5)
    ]
    rows[2]["data"] = {"total": 150, "items": [{"sku": "A"}, {"sku": "B"}, {"sku": 7}]}
    rows[4]["data"] = {"total": "150", "items": []}
    with sandbox.client() as client:
        result = client.invoke_many(FLOW, rows, progress=False)
    assert result.succeeded == 3
    assert [(f.index, f.error.path) for f in result.failures] == [  # type: ignore[attr-defined]
        (2, "contexts[2].data.items[2].sku"),
        (4, "contexts[4].data.total"),
    ]
    assert all(f.invalid for f in result.failures)
    assert [index for index, run_id in enumerate(result.run_ids) if run_id] == [0, 1, 3]


def test_invoke_refuses_bad_data_before_sending(sandbox: Sandbox) -> None:
    with sandbox.client() as client:
        run_id = client.invoke(FLOW, recipient="u", data={"total": 1, "items": []})
        assert run_id.startswith("1-")
        with pytest.raises(ValidationError, match=r"data\.items\[0\]\.sku"):
            client.invoke(FLOW, recipient="u", data={"total": 1, "items": [{}]})
        assert len(sandbox.runs()) == 1


FLOWS = """
from typing import TypedDict
from automation_dsl import Automation
from automation_dsl.conditions import data

class Order(TypedDict):
    total: float
    sku: str

orders = Automation(data_schema=Order).send("RECEIPT", if_=data.total > 100)
"""


def test_the_cli_checks_data_and_prints_the_schema(tmp_path: Path) -> None:
    (tmp_path / "shop_flows.py").write_text(FLOWS)
    env = with_path(tmp_path)
    bad = run_cli("validate", "shop_flows:orders", "--data", '{"total": "x"}', **env)
    assert bad.returncode == 1
    lines = bad.stderr.strip().splitlines()
    assert [line.split(": ")[1] for line in lines] == ["data.total", "data.sku"]
    good = run_cli("validate", "shop_flows:orders", "--data", '{"total": 5, "sku": "A"}', **env)
    assert good.returncode == 0, good.stderr
    printed = run_cli("schema", "shop_flows:orders", **env)
    assert printed.returncode == 0, printed.stderr
    schema = json.loads(printed.stdout)
    assert schema["properties"]["data"] == {"$ref": "#/$defs/data.Order"}
    assert json.loads(run_cli("schema").stdout) == invoke_schema()
    invoked = run_cli("invoke", "shop_flows:orders", "--sandbox", "--data", '{"total": 5}', **env)
    assert invoked.returncode == 1
    assert "data.sku" in invoked.stderr


def test_a_json_document_carries_its_schema_through_the_cli(tmp_path: Path) -> None:
    path = tmp_path / "flow.json"
    document = json.loads(FLOW.to_json(data={"total": 1, "items": []}))
    document["data"]["items"] = [{"sku": 5}]  # edited by hand
    path.write_text(json.dumps(document))
    result = run_cli("validate", str(path))
    assert result.returncode == 1
    assert "data.items[0].sku" in result.stderr
    path.write_text(FLOW.to_json(data={"total": 1, "items": []}, indent=2))
    assert run_cli("validate", str(path)).returncode == 0
    assert run_cli("invoke", str(path), "--sandbox").returncode == 0
